//! Reminders at each member's own time, time away, and closed DMs.

use std::time::Duration;

use partner_coach::domain::ids::{GuildId, UserId};
use partner_coach::storage::{DeliveryStatus, JobKey, JobKind};

use crate::fake_discord::interactions::{CHANNEL, GUILD, MEMBER};
use crate::fake_discord::Interaction;
use crate::helpers::{at, TestApp};

async fn ticks() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

fn remind_on(day: &str, time: &str) -> Interaction {
    Interaction::sub("remind", "on").str("day", day).str("time", time)
}

async fn reminder_status(app: &TestApp, week: &str) -> Option<DeliveryStatus> {
    let key = JobKey::member(JobKind::Reminder, GuildId(GUILD), UserId(MEMBER));
    for _ in 0..50 {
        if let Some(d) = app.store().await.delivery(key, week).await.unwrap() {
            if d.status != DeliveryStatus::Pending {
                return Some(d.status);
            }
        }
        ticks().await;
    }
    None
}

#[tokio::test]
async fn a_member_who_opted_in_gets_one_dm_at_their_own_local_time() {
    let mut app = TestApp::spawn().await;
    let r = app.fake.send(Interaction::sub("me", "timezone").str("zone", "Asia/Ho_Chi_Minh")).await;
    assert!(r.text().contains("Asia/Ho_Chi_Minh"), "{}", r.text());
    let r = app.fake.send(remind_on("sat", "10:00")).await;
    assert!(r.ephemeral());
    assert!(r.text().contains("sat") && r.text().contains("10:00") && r.text().contains("Asia/Ho_Chi_Minh"), "{}", r.text());

    app.set_time(at("2026-11-28T02:59:00Z"));
    ticks().await;
    assert!(app.fake.dms_to(MEMBER).is_empty(), "a minute early");
    app.set_time(at("2026-11-28T03:00:00Z"));
    app.fake
        .wait_for("the reminder DM", |i| {
            i.dm_channels.get(&MEMBER).and_then(|ch| i.messages.iter().find(|m| m.channel_id == *ch)).map(|_| ())
        })
        .await;
    let dms = app.fake.dms_to(MEMBER);
    assert_eq!(dms.len(), 1);
    let text = dms[0].body["content"].as_str().unwrap();
    assert!(text.contains("/checkin") && text.contains("Team"), "{text}");
    let paths: Vec<String> = app.fake.requests().iter().filter(|r| r.method == "POST").map(|r| r.path.clone()).collect();
    let open_dm = paths.iter().position(|p| p == "/api/v10/users/@me/channels").expect("opened a DM channel");
    assert!(paths[open_dm + 1..].iter().any(|p| p.ends_with("/messages")));
    assert!(app.fake.messages_in(CHANNEL).is_empty(), "nothing in the team channel");

    // A restart does not repeat it, and the rest of the week stays quiet.
    app.restart().await;
    app.set_time(at("2026-11-29T12:00:00Z"));
    ticks().await;
    assert_eq!(app.fake.dms_to(MEMBER).len(), 1);
}

#[tokio::test]
async fn members_who_already_checked_in_get_no_reminder() {
    let app = TestApp::spawn().await;
    app.fake.send(remind_on("sat", "10:00")).await;
    app.fake.send(Interaction::sub("checkin", "communication").int("rating", 4)).await;
    app.set_time(at("2026-11-28T10:00:00Z"));
    assert_eq!(reminder_status(&app, "2026-W48").await, Some(DeliveryStatus::Skipped));
    assert!(app.fake.dms_to(MEMBER).is_empty());
}

#[tokio::test]
async fn away_members_get_no_reminder_and_keep_their_streak() {
    let app = TestApp::spawn().await;
    // Week 48: a check-in.
    app.fake.send(Interaction::sub("checkin", "communication").int("rating", 4)).await;
    app.fake.send(remind_on("wed", "10:00")).await;
    // Away for 10 days from Friday 27 November: all of week 49.
    let r = app.fake.send(Interaction::command("away").str("until", "10")).await;
    assert!(r.text().contains("2026-12-06"), "{}", r.text());
    app.set_time(at("2026-12-02T10:00:00Z"));
    assert_eq!(reminder_status(&app, "2026-W49").await, Some(DeliveryStatus::Skipped));
    assert!(app.fake.dms_to(MEMBER).is_empty());
    // Back in week 50: the streak spans the week away.
    app.set_time(at("2026-12-08T09:00:00Z"));
    let r = app.fake.send(Interaction::sub("checkin", "communication").int("rating", 5)).await;
    assert!(r.text().contains("2 week(s) in a row"), "{}", r.text());
    let r = app.fake.send(Interaction::sub("me", "show")).await;
    assert!(r.text().contains("Streak: 2"), "{}", r.text());
}

#[tokio::test]
async fn closed_dms_drop_the_reminder_for_the_week_once_and_me_show_says_so() {
    let app = TestApp::spawn().await;
    app.fake.close_dms(MEMBER);
    app.fake.send(remind_on("sat", "10:00")).await;
    app.set_time(at("2026-11-28T10:00:00Z"));
    assert_eq!(reminder_status(&app, "2026-W48").await, Some(DeliveryStatus::Failed));
    ticks().await;
    let attempts =
        app.fake.requests().iter().filter(|r| r.path.contains("/channels/") && r.path.ends_with("/messages") && r.status == 403).count();
    assert_eq!(attempts, 1, "not retried in a loop");
    assert!(app.fake.messages_in(CHANNEL).is_empty(), "never posted in the channel instead");
    let r = app.fake.send(Interaction::sub("me", "show")).await;
    assert!(r.text().contains("2026-W48") && r.text().contains("could not be delivered"), "{}", r.text());
}

#[tokio::test]
async fn remind_off_stops_reminders_and_away_off_ends_time_away() {
    let app = TestApp::spawn().await;
    app.fake.send(remind_on("sat", "10:00")).await;
    let r = app.fake.send(Interaction::sub("remind", "off")).await;
    assert!(r.text().contains("No more reminders"));
    app.set_time(at("2026-11-28T10:00:00Z"));
    ticks().await;
    assert!(app.fake.dms_to(MEMBER).is_empty());

    app.fake.send(Interaction::command("away").str("until", "2026-12-24")).await;
    let r = app.fake.send(Interaction::sub("me", "show")).await;
    assert!(r.text().contains("Away until 2026-12-24"), "{}", r.text());
    let r = app.fake.send(Interaction::command("away").str("until", "off")).await;
    assert!(r.text().contains("Welcome back"));
    let r = app.fake.send(Interaction::command("away").str("until", "soon")).await;
    assert!(r.text().contains("`soon`"), "{}", r.text());
}

#[tokio::test]
async fn the_digest_counts_members_away_separately() {
    let app = TestApp::spawn().await;
    for n in 1..=3u64 {
        app.fake.send(Interaction::sub("checkin", "communication").int("rating", 4).by(MEMBER + n)).await;
    }
    // An active member (checked in last week) who is away this week.
    app.set_time(at("2026-11-18T09:00:00Z"));
    app.fake.send(Interaction::sub("checkin", "communication").int("rating", 4).by(MEMBER)).await;
    app.set_time(at("2026-11-27T09:00:00Z"));
    app.fake.send(Interaction::command("away").str("until", "3")).await;
    let r = app.fake.send(Interaction::command("digest").manager()).await;
    assert!(r.text().contains("3 of 3 active members checked in") && r.text().contains("1 away"), "{}", r.text());
}
