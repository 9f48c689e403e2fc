//! The upgrade, end to end. Every test's database starts as the bot left it before teams
//! (`helpers::write_pre_teams_database`: migrations 0001-0004 and an old server with settings,
//! schedule, a reminder, time away, check-ins, commitments and deliveries), and the bot's own
//! start migrates it; so the whole suite runs on upgraded databases. Here the fake serves that
//! old server, and what it stored before teams works through the bot.

use std::time::Duration;

use chrono::NaiveDate;
use partner_coach::domain::ids::{GuildId, UserId};
use partner_coach::storage::{DeliveryStatus, JobKey, JobKind};

use crate::fake_discord::interactions::{message_text, MEMBER};
use crate::fake_discord::{perms, Interaction};
use crate::helpers::{at, old_guild_spec, sqlite_only, OldJobs, TestApp, OLD_CHANNEL, OLD_DIGEST_CHANNEL, OLD_GUILD, OLD_LEADS};

/// Why these tests do not run on PostgreSQL.
const SQLITE_ONLY: &str =
    "the old server is a SQLite database written before teams; PostgreSQL's upgrade is tested in storage/postgres_tests.rs";

async fn spawn(old: OldJobs) -> TestApp {
    let mut app = TestApp::new_with_old_guild(vec![old_guild_spec()], old).await;
    app.start().await;
    app
}

fn old(i: Interaction) -> Interaction {
    i.in_guild(OLD_GUILD)
}

#[tokio::test]
async fn a_member_of_an_old_server_sees_the_open_commitment_made_before_teams() {
    if sqlite_only(SQLITE_ONLY) {
        return;
    }
    let app = spawn(OldJobs::default()).await;
    let reply = app.fake.send(old(Interaction::command("commitments")).by(MEMBER)).await;
    let embed = &reply.embeds()[0];
    let open = embed["fields"][0]["value"].as_str().unwrap();
    assert!(open.contains("review the old contract"), "{open}");
    let resolved = embed["fields"][1]["value"].as_str().unwrap();
    assert!(resolved.contains("send the old draft") && resolved.contains("kept"), "{resolved}");
    // Kept as before, the old commitment is resolved by a check-in today.
    let r = app.fake.send(old(Interaction::sub("checkin", "commitments")).str("kept", "yes").str("next", "a new one")).await;
    assert!(!r.text().contains("Something went wrong"), "{}", r.text());
    let store = app.store().await;
    let default = partner_coach::domain::ids::TeamKey::default_of(GuildId(OLD_GUILD));
    let open = store.open_commitments(default, UserId(MEMBER)).await.unwrap();
    assert_eq!(open.iter().map(|c| c.text.as_str()).collect::<Vec<_>>(), vec!["a new one"]);
}

#[tokio::test]
async fn the_digest_of_an_old_week_shows_the_figures_stored_before_teams() {
    if sqlite_only(SQLITE_ONLY) {
        return;
    }
    let app = spawn(OldJobs::default()).await;
    let reply = app.fake.send(old(Interaction::command("digest")).str("week", "2026-W47").manager()).await;
    let text = reply.text();
    assert!(text.contains("Weekly digest · 2026-W47"), "{text}");
    assert!(text.contains("3 answers · mean 3.7/5"), "{text}");
    assert!(text.contains("3 of 3 active members checked in"), "{text}");
    assert!(text.contains("4 made · 1 kept · 1 partly · 1 not kept") && text.contains("Keep score 50%"), "{text}");
    // One member's note is still one member's: the privacy rule holds for old rows too.
    assert!(!text.contains("the old demo") && !text.contains("waiting on legal"), "{text}");
    // The old lead role still makes a lead.
    let reply = app.fake.send(old(Interaction::command("digest")).str("week", "2026-W47").perms(perms::MEMBER).roles(&[OLD_LEADS])).await;
    assert!(reply.text().contains("3 answers · mean 3.7/5"), "{}", reply.text());
}

#[tokio::test]
async fn setup_show_has_the_old_settings_and_team_list_only_the_default_team() {
    if sqlite_only(SQLITE_ONLY) {
        return;
    }
    let app = spawn(OldJobs::default()).await;
    let text = app.fake.send(old(Interaction::sub("setup", "show")).manager()).await.text();
    assert!(text.contains(&format!("<#{OLD_CHANNEL}>")) && text.contains("09:00") && text.contains("Monday to Friday"), "{text}");
    assert!(text.contains(&format!("<#{OLD_DIGEST_CHANNEL}>")) && text.contains("16:00"), "{text}");
    assert!(text.contains("Europe/Berlin") && text.contains(&format!("<@&{OLD_LEADS}>")), "{text}");
    assert!(text.contains("Retention: 52"), "{text}");
    let reply = app.fake.send(old(Interaction::sub("team", "list"))).await;
    let text = reply.text();
    assert!(text.contains("default"), "{text}");
    let store = app.store().await;
    assert_eq!(store.teams(GuildId(OLD_GUILD)).await.unwrap(), vec![partner_coach::domain::teams::Team::default_team()]);
}

#[tokio::test]
async fn the_old_daily_job_posts_once_to_the_old_channel() {
    if sqlite_only(SQLITE_ONLY) {
        return;
    }
    let friday = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
    let app = spawn(OldJobs { daily: Some((at("2026-11-27T09:01:00Z"), friday)) }).await;
    assert!(app.fake.messages_in(OLD_CHANNEL).is_empty());
    app.set_time(at("2026-11-27T09:01:00Z"));
    let msgs = app.fake.wait_for_messages(OLD_CHANNEL, 1).await;
    assert!(message_text(&msgs[0].body).contains("Today's principle"), "{}", message_text(&msgs[0].body));
    // Later the same day, nothing more.
    app.set_time(at("2026-11-27T12:00:00Z"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.fake.messages_in(OLD_CHANNEL).len(), 1);
    assert!(app.fake.messages_in(OLD_DIGEST_CHANNEL).is_empty());
    let store = app.store().await;
    let key = JobKey::guild(JobKind::Daily, GuildId(OLD_GUILD));
    assert_eq!(store.delivery(key, "2026-11-27").await.unwrap().map(|d| d.status), Some(DeliveryStatus::Sent));
    // The old record of Thursday is still there, and the next post follows the old settings:
    // Monday (weekdays only) at 09:00 Berlin.
    assert_eq!(store.delivery(key, "2026-11-26").await.unwrap().map(|d| d.status), Some(DeliveryStatus::Sent));
    assert_eq!(store.job(key).await.unwrap().map(|j| j.due_at), Some(at("2026-11-30T08:00:00Z")));
}
