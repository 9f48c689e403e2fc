//! Start-up: registering the slash commands is retried when Discord fails, and a bot that
//! cannot register stops with a clear error instead of running without answering anything.

use std::time::{Duration, Instant};

use partner_coach::domain::ids::GuildId;
use partner_coach::startup::{BotOptions, RegistrationPolicy};
use partner_coach::storage::{JobKey, JobKind};

use crate::fake_discord::interactions::GUILD;
use crate::fake_discord::{GuildSpec, Interaction};
use crate::helpers::TestApp;

/// Short waits, so a test sees several tries in a second or two.
fn quick(deadline: Duration) -> RegistrationPolicy {
    RegistrationPolicy {
        deadline,
        first_retry: Duration::from_millis(100),
        max_retry: Duration::from_millis(400),
        attempt_timeout: Duration::from_millis(500),
    }
}

/// The statuses the fake answered to command registrations, in order.
fn registration_statuses(app: &TestApp) -> Vec<u16> {
    app.fake.requests().iter().filter(|r| r.method == "PUT" && r.path.ends_with("/commands")).map(|r| r.status).collect()
}

#[tokio::test]
async fn registration_failing_twice_is_retried_and_then_the_bot_answers() {
    let mut app = TestApp::new(vec![GuildSpec::new(GUILD)]).await;
    app.fake.fail_registrations(2);
    app.launch(BotOptions { registration: quick(Duration::from_secs(10)), ..app.bot_options() });
    app.fake.wait_ready().await;
    assert_eq!(registration_statuses(&app), [500, 500, 200]);
    let reply = app.fake.send(Interaction::command("principle").str("which", "4")).await;
    assert_eq!(reply.embeds()[0]["title"], "4. Communicate effectively");
}

#[tokio::test]
async fn a_registration_that_hangs_counts_as_a_failed_try() {
    let mut app = TestApp::new(vec![GuildSpec::new(GUILD)]).await;
    app.fake.hang_registrations(1, Duration::from_secs(3));
    let started = Instant::now();
    app.launch(BotOptions { registration: quick(Duration::from_secs(10)), ..app.bot_options() });
    app.fake.wait_ready().await;
    assert!(started.elapsed() < Duration::from_secs(3), "the second try did not wait for the hung one: {:?}", started.elapsed());
    let reply = app.fake.send(Interaction::command("principle").str("which", "4")).await;
    assert_eq!(reply.kind(), 4);
}

#[tokio::test]
async fn a_bot_that_cannot_register_stops_with_one_clear_line_and_never_comes_online() {
    let mut app = TestApp::new(vec![GuildSpec::new(GUILD)]).await;
    app.fake.fail_registrations(usize::MAX);
    let started = Instant::now();
    app.launch(BotOptions { registration: quick(Duration::from_secs(2)), ..app.bot_options() });
    let error = app.exited(Duration::from_secs(10)).await.expect_err("startup::run must fail");
    assert!(started.elapsed() < Duration::from_secs(4), "gave up after {:?}", started.elapsed());
    // What `partner-coach run` prints after "error: ".
    let line = format!("{error:#}");
    assert!(
        line.starts_with("could not register the slash commands with Discord within 2s: Discord answered 500 Internal Server Error"),
        "{line}"
    );
    assert!(!line.contains('\n'), "{line}");
    assert!(registration_statuses(&app).len() >= 3, "it retried: {:?}", registration_statuses(&app));
    assert_eq!(app.fake.sessions(), (0, 0), "it never connected to the gateway");
    // The scheduler's first act is to schedule maintenance; it never ran.
    let store = app.store().await;
    assert!(store.job(JobKey::guild(JobKind::Retention, GuildId(0))).await.unwrap().is_none(), "the scheduler started");
}

#[tokio::test]
async fn shutdown_during_registration_retries_stops_cleanly() {
    let mut app = TestApp::new(vec![GuildSpec::new(GUILD)]).await;
    app.fake.fail_registrations(usize::MAX);
    app.launch(BotOptions { registration: quick(Duration::from_secs(60)), ..app.bot_options() });
    app.fake.wait_for("a failed registration", |i| i.requests.iter().any(|r| r.method == "PUT" && r.status == 500).then_some(())).await;
    app.stop().await;
}
