//! Hardening: late retries and restarts after a lost answer, members who left, the team's
//! zone moving every schedule, `/setup clear` and `/setup privacy`, re-adding the bot,
//! `/checkin undo` and `kept` with `which`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use partner_coach::domain::ids::{GuildId, MessageId, UserId};
use partner_coach::storage::{Delivery, DeliveryStatus, JobKey, JobKind};

use crate::fake_discord::interactions::{CHANNEL, GUILD, MEMBER};
use crate::fake_discord::{GuildSpec, Interaction};
use crate::helpers::{at, TestApp};

/// A member with their own zone, next to `MEMBER` who has none.
const ZONED: u64 = MEMBER + 7;

/// Lets the scheduler run a few ticks (20 ms each) of real time.
async fn ticks() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

fn setup_daily(time: &str, zone: &str) -> Interaction {
    Interaction::sub("setup", "daily").channel_opt("channel", CHANNEL).str("time", time).str("timezone", zone).manager()
}

fn remind_on(day: &str, time: &str) -> Interaction {
    Interaction::sub("remind", "on").str("day", day).str("time", time)
}

fn daily_key() -> JobKey {
    JobKey::guild(JobKind::Daily, GuildId(GUILD))
}

fn reminder_key(user: u64) -> JobKey {
    JobKey::member(JobKind::Reminder, GuildId(GUILD), UserId(user))
}

/// Polls the stored delivery until `done` holds (the scheduler runs on its own task).
pub(crate) async fn delivery_when(app: &TestApp, key: JobKey, period: &str, done: impl Fn(&Delivery) -> bool) -> Delivery {
    let store = app.store().await;
    let mut last = None;
    for _ in 0..100 {
        last = store.delivery(key, period).await.unwrap();
        if let Some(d) = last.as_ref().filter(|d| done(d)) {
            return d.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("delivery {period} never reached the expected state; last {last:?}")
}

/// The due time of a job, polled until `ok` holds (events are handled on their own tasks).
async fn job_due_when(app: &TestApp, key: JobKey, ok: impl Fn(Option<DateTime<Utc>>) -> bool) -> Option<DateTime<Utc>> {
    let store = app.store().await;
    let mut due = None;
    for _ in 0..100 {
        due = store.job(key).await.unwrap().map(|j| j.due_at);
        if ok(due) {
            return due;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("job {key:?} never reached the expected state; last due {due:?}")
}

/// Sets up the daily post, makes its first send create the message but answer 500, and lets
/// Discord forget the nonce: only looking in the channel can now keep a retry from posting
/// twice.
async fn first_post_lost_and_nonce_forgotten(app: &TestApp) -> u64 {
    app.fake.send(setup_daily("09:00", "UTC")).await;
    app.fake.set_nonce_ttl(Duration::from_millis(50));
    app.fake.lose_next_responses("POST", &format!("/channels/{CHANNEL}/messages"), 1, 500);
    app.set_time(at("2026-11-28T09:00:00Z"));
    let first = app.fake.wait_for_messages(CHANNEL, 1).await;
    delivery_when(app, daily_key(), "2026-11-28", |d| d.status == DeliveryStatus::Pending && d.last_error.is_some()).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(app.fake.count_requests("GET", &format!("/channels/{CHANNEL}/messages")), 0, "looked before it had to");
    first[0].id
}

#[tokio::test]
async fn a_late_retry_finds_its_earlier_post_instead_of_posting_twice() {
    let app = TestApp::spawn().await;
    let first = first_post_lost_and_nonce_forgotten(&app).await;
    // Past NONCE_MEMORY the retry is due and must look before it sends.
    app.set_time(at("2026-11-28T09:03:00Z"));
    let d = delivery_when(&app, daily_key(), "2026-11-28", |d| d.status == DeliveryStatus::Sent).await;
    ticks().await;
    assert_eq!(app.fake.messages_in(CHANNEL).len(), 1, "posted twice");
    assert_eq!(d.message_id, Some(MessageId(first)));
    assert!(app.fake.count_requests("GET", &format!("/channels/{CHANNEL}/messages")) >= 1, "never looked in the channel");
}

#[tokio::test]
async fn a_late_restart_finds_its_earlier_post_instead_of_posting_twice() {
    let mut app = TestApp::spawn().await;
    let first = first_post_lost_and_nonce_forgotten(&app).await;
    app.stop().await;
    app.set_time(at("2026-11-28T09:07:00Z"));
    app.start().await;
    let d = delivery_when(&app, daily_key(), "2026-11-28", |d| d.status == DeliveryStatus::Sent).await;
    ticks().await;
    assert_eq!(app.fake.messages_in(CHANNEL).len(), 1, "posted twice after the restart");
    assert_eq!(d.message_id, Some(MessageId(first)));
    assert!(app.fake.count_requests("GET", &format!("/channels/{CHANNEL}/messages")) >= 1);
}

#[tokio::test]
async fn a_member_who_left_is_not_reminded_and_is_dropped_from_reminders() {
    let app = TestApp::spawn().await;
    app.fake.send(remind_on("sat", "10:00")).await;
    app.fake.member_left(GUILD, MEMBER);
    app.set_time(at("2026-11-28T10:00:00Z"));
    let lookup = format!("/guilds/{GUILD}/members/{MEMBER}");
    app.fake
        .wait_for("the membership lookup", |i| i.requests.iter().any(|r| r.method == "GET" && r.path.ends_with(&lookup)).then_some(()))
        .await;
    job_due_when(&app, reminder_key(MEMBER), |d| d.is_none()).await;
    ticks().await;
    assert_eq!(app.fake.count_requests("POST", "/users/@me/channels"), 0, "opened a DM to someone who left");
    assert!(app.fake.dms_to(MEMBER).is_empty());
    let settings = app.store().await.member_settings(GuildId(GUILD), UserId(MEMBER)).await.unwrap();
    assert!(settings.reminder.is_none(), "{settings:?}");
    let r = app.fake.send(Interaction::sub("me", "show")).await;
    assert!(r.text().contains("Reminder: off"), "{}", r.text());

    // A week later: nothing sent, nothing asked.
    let asked = app.fake.count_requests("GET", &lookup);
    app.set_time(at("2026-12-05T10:00:00Z"));
    ticks().await;
    assert_eq!(app.fake.count_requests("GET", &lookup), asked);
    assert_eq!(app.fake.count_requests("POST", "/users/@me/channels"), 0);
}

#[tokio::test]
async fn setup_timezone_moves_the_digest_and_reminders_of_members_without_their_own_zone() {
    let app = TestApp::spawn().await;
    app.fake
        .send(Interaction::sub("setup", "digest").channel_opt("channel", CHANNEL).str("day", "sat").str("time", "09:00").manager())
        .await;
    app.fake.send(remind_on("sat", "10:00")).await;
    app.fake.send(Interaction::sub("me", "timezone").str("zone", "Europe/Berlin").by(ZONED)).await;
    app.fake.send(remind_on("sat", "10:00").by(ZONED)).await;
    let digest = JobKey::guild(JobKind::Digest, GuildId(GUILD));
    let store = app.store().await;
    let due = |key| {
        let store = store.clone();
        async move { store.job(key).await.unwrap().map(|j| j.due_at) }
    };
    assert_eq!(due(digest).await, Some(at("2026-11-28T09:00:00Z")));
    assert_eq!(due(reminder_key(MEMBER)).await, Some(at("2026-11-28T10:00:00Z")));
    assert_eq!(due(reminder_key(ZONED)).await, Some(at("2026-11-28T09:00:00Z")));

    let r = app.fake.send(Interaction::sub("setup", "timezone").str("zone", "Asia/Ho_Chi_Minh").manager()).await;
    assert!(r.text().contains("Asia/Ho_Chi_Minh"), "{}", r.text());
    // Saturday 09:00 and 10:00 in Ho Chi Minh City (UTC+7).
    assert_eq!(due(digest).await, Some(at("2026-11-28T02:00:00Z")));
    assert_eq!(due(reminder_key(MEMBER)).await, Some(at("2026-11-28T03:00:00Z")));
    assert_eq!(due(reminder_key(ZONED)).await, Some(at("2026-11-28T09:00:00Z")), "a member's own zone wins");
}

#[tokio::test]
async fn setup_clear_turns_off_the_daily_post_and_setup_show_says_so() {
    let app = TestApp::spawn().await;
    app.fake.send(setup_daily("09:00", "UTC")).await;
    assert!(app.store().await.job(daily_key()).await.unwrap().is_some());
    let r = app.fake.send(Interaction::sub("setup", "clear").str("setting", "daily").manager()).await;
    assert!(r.text().contains("daily principle is off"), "{}", r.text());
    assert!(app.store().await.job(daily_key()).await.unwrap().is_none());
    app.set_time(at("2026-11-28T09:00:00Z"));
    ticks().await;
    assert!(app.fake.messages_in(CHANNEL).is_empty());
    let r = app.fake.send(Interaction::sub("setup", "show").manager()).await;
    assert!(r.text().contains("Daily principle: off"), "{}", r.text());
    let r = app.fake.send(Interaction::sub("setup", "clear").str("setting", "lead-role").manager()).await;
    assert!(r.text().contains("`lead-role` was not set, so nothing changed"), "{}", r.text());
}

/// Removes the bot from the guild and adds it back, then checks the member's reminder is
/// scheduled again and goes out at its time.
async fn readd_and_expect_the_reminder(app: &TestApp) {
    // Let the start-up GUILD_CREATE be handled first (events run as concurrent tasks).
    ticks().await;
    app.fake.remove_guild(GUILD);
    job_due_when(app, reminder_key(MEMBER), |d| d.is_none()).await;
    app.fake.add_guild(GuildSpec::new(GUILD));
    let due = job_due_when(app, reminder_key(MEMBER), |d| d.is_some()).await;
    assert_eq!(due, Some(at("2026-11-28T10:00:00Z")));
    app.set_time(at("2026-11-28T10:00:00Z"));
    app.fake
        .wait_for("the reminder DM", |i| {
            i.dm_channels.get(&MEMBER).and_then(|ch| i.messages.iter().find(|m| m.channel_id == *ch)).map(|_| ())
        })
        .await;
    assert_eq!(app.fake.dms_to(MEMBER).len(), 1);
}

#[tokio::test]
async fn readding_the_bot_restores_members_reminders() {
    let app = TestApp::spawn().await;
    app.fake.send(remind_on("sat", "10:00")).await;
    readd_and_expect_the_reminder(&app).await;
}

#[tokio::test]
async fn readding_the_bot_to_a_set_up_guild_restores_members_reminders() {
    let app = TestApp::spawn().await;
    // Any /setup change gives the guild its row, which is what records that the bot left.
    app.fake.send(Interaction::sub("setup", "timezone").str("zone", "UTC").manager()).await;
    app.fake.send(remind_on("sat", "10:00")).await;
    readd_and_expect_the_reminder(&app).await;
}

#[tokio::test]
async fn setup_privacy_raises_the_threshold_for_every_digest() {
    let app = TestApp::spawn().await;
    for n in 1..=4u64 {
        app.fake.send(Interaction::sub("checkin", "communication").int("rating", 4).by(MEMBER + n)).await;
    }
    let digest = || Interaction::command("digest").manager();
    let text = app.fake.send(digest()).await.text();
    assert!(text.contains("4.0/5"), "figures at the default threshold: {text}");

    let r = app.fake.send(Interaction::sub("setup", "privacy").int("min_people", 5).manager()).await;
    assert!(r.text().contains("at least 5 different members"), "{}", r.text());
    let text = app.fake.send(digest()).await.text();
    assert!(text.contains("Not enough answers yet") && !text.contains("4.0/5"), "{text}");

    // Discord's client enforces min_value 3; a raw interaction gets past it and the bot must
    // refuse on its own.
    let r = app.fake.send(Interaction::sub("setup", "privacy").int("min_people", 2).manager()).await;
    assert!(r.ephemeral());
    assert!(r.text().contains("from 3 to 10") && r.text().contains("`2`"), "{}", r.text());
    let settings = app.store().await.team_settings(partner_coach::domain::ids::TeamKey::default_of(GuildId(GUILD))).await.unwrap().unwrap();
    assert_eq!(settings.min_people, 5, "the refused value was stored");
}

#[tokio::test]
async fn checkin_undo_reopens_the_commitment_it_resolved() {
    let app = TestApp::spawn().await;
    let commitments = || Interaction::sub("checkin", "commitments");
    let undo = || Interaction::sub("checkin", "undo");
    app.fake.send(commitments().str("next", "Write the agreement")).await;
    app.fake.send(commitments().str("kept", "yes").str("next", "Send it to Lan")).await;
    let store = app.store().await;
    let open =
        || async { store.open_commitments(partner_coach::domain::ids::TeamKey::default_of(GuildId(GUILD)), UserId(MEMBER)).await.unwrap() };
    assert_eq!(open().await.iter().map(|c| c.text.as_str()).collect::<Vec<_>>(), ["Send it to Lan"]);

    let r = app.fake.send(undo()).await;
    assert!(r.text().contains("Undone: your commitments check-in of today"), "{}", r.text());
    let now_open = open().await;
    assert_eq!(now_open.iter().map(|c| c.text.as_str()).collect::<Vec<_>>(), ["Write the agreement"]);
    assert!(now_open[0].outcome.is_none() && now_open[0].resolved_at.is_none());

    // The next undo takes the check-in before it; then nothing of today is left.
    let r = app.fake.send(undo()).await;
    assert!(r.text().contains("Undone"), "{}", r.text());
    assert!(open().await.is_empty());
    let r = app.fake.send(undo()).await;
    assert!(r.text().contains("no check-in today"), "{}", r.text());
    assert_eq!(store.count_checkins(Some(GuildId(GUILD)), None).await.unwrap(), 0);
}

#[tokio::test]
async fn kept_with_which_resolves_the_chosen_commitment() {
    let app = TestApp::spawn().await;
    let commitments = || Interaction::sub("checkin", "commitments");
    app.fake.send(commitments().str("next", "Call the supplier").str("due", "2026-11-30")).await;
    app.fake.send(commitments().str("next", "Share the minutes").str("due", "2026-12-03")).await;
    let store = app.store().await;
    let open = store.open_commitments(partner_coach::domain::ids::TeamKey::default_of(GuildId(GUILD)), UserId(MEMBER)).await.unwrap();
    assert_eq!(open.len(), 2);
    let later = open.iter().find(|c| c.text == "Share the minutes").unwrap().id;
    let earlier = open.iter().find(|c| c.text == "Call the supplier").unwrap().id;

    let r = app.fake.send(Interaction::autocomplete("checkin", Some("commitments"), "which", "")).await;
    let mut values: Vec<String> = r.choices().into_iter().map(|c| c.1).collect();
    values.sort();
    let mut ids = vec![earlier.to_string(), later.to_string()];
    ids.sort();
    assert_eq!(values, ids, "{:?}", r.choices());

    app.fake.send(commitments().str("kept", "yes").str("which", &later.to_string()).str("next", "Book the venue")).await;
    let open: Vec<(i64, String)> = store
        .open_commitments(partner_coach::domain::ids::TeamKey::default_of(GuildId(GUILD)), UserId(MEMBER))
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.id, c.text))
        .collect();
    assert!(open.iter().any(|(id, _)| *id == earlier), "the earlier one (due first) was resolved instead: {open:?}");
    assert!(!open.iter().any(|(id, _)| *id == later), "{open:?}");
    assert_eq!(open.len(), 2, "{open:?}");
}

#[tokio::test]
async fn already_checked_in_asks_about_the_week_check_ins_are_recorded_under() {
    let app = TestApp::spawn().await;
    // The member lives at UTC+14; the server is on UTC. Their Monday 08:00 reminder falls on
    // the server's Sunday, still the server's week 48.
    app.fake.send(Interaction::sub("me", "timezone").str("zone", "Pacific/Kiritimati")).await;
    app.fake.send(remind_on("mon", "08:00")).await;
    // Sunday 10:00 UTC: the check-in is recorded under the server's week 48, although it is
    // already Monday (week 49) for the member.
    app.set_time(at("2026-11-29T10:00:00Z"));
    let r = app.fake.send(Interaction::sub("checkin", "communication").int("rating", 4)).await;
    assert!(r.ephemeral(), "{}", r.text());
    app.set_time(at("2026-11-29T18:00:00Z"));
    let d = delivery_when(&app, reminder_key(MEMBER), "2026-W49", |d| d.status != DeliveryStatus::Pending).await;
    assert_eq!((d.status, d.last_error.as_deref()), (DeliveryStatus::Skipped, Some("already checked in this week")));
    assert!(app.fake.dms_to(MEMBER).is_empty());
}

#[tokio::test]
async fn moving_the_digest_day_never_covers_a_week_twice() {
    let app = TestApp::spawn().await;
    let digest_on = |day: &str, time: &str| {
        Interaction::sub("setup", "digest").channel_opt("channel", CHANNEL).str("day", day).str("time", time).manager()
    };
    app.fake.send(digest_on("fri", "16:00")).await;
    // Friday of week 48: the digest covers week 48.
    app.set_time(at("2026-11-27T16:00:00Z"));
    app.fake.wait_for_messages(CHANNEL, 1).await;
    // Moved to Mondays: Monday of week 49 would cover week 48 again, which went out already.
    app.fake.send(digest_on("mon", "09:00")).await;
    app.set_time(at("2026-11-30T09:00:00Z"));
    let key = JobKey::guild(JobKind::Digest, GuildId(GUILD));
    let store = app.store().await;
    for _ in 0..50 {
        if store.job(key).await.unwrap().is_some_and(|j| j.due_at > at("2026-11-30T09:00:00Z")) {
            break;
        }
        ticks().await;
    }
    assert_eq!(app.fake.messages_in(CHANNEL).len(), 1, "week 48 is not covered twice");
    // The next Monday covers week 49, which nobody has seen.
    app.set_time(at("2026-12-07T09:00:00Z"));
    let posted = app.fake.wait_for_messages(CHANNEL, 2).await;
    let title = posted[1].body["embeds"][0]["title"].as_str().unwrap_or_default().to_owned();
    assert!(title.contains("2026-W49"), "{title}");
    assert_eq!(delivery_when(&app, key, "2026-W48", |d| d.status == DeliveryStatus::Sent).await.message_id, Some(MessageId(posted[0].id)));
}
