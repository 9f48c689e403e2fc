//! The daily principle post: setup, the right minute, exactly once through restarts, 429s,
//! deleted channels and downtime.

use std::time::Duration;

use chrono::NaiveDate;
use partner_coach::domain::ids::GuildId;
use partner_coach::domain::principles::principle_of_day;
use partner_coach::storage::{DeliveryStatus, JobKey, JobKind};

use crate::fake_discord::interactions::{message_text, pings_nobody, CHANNEL, GUILD};
use crate::fake_discord::{GuildSpec, Interaction};
use crate::helpers::{at, TestApp};

const OTHER: u64 = 900_000_000_000_000_200;

fn setup_daily(channel: u64, time: &str, zone: &str) -> Interaction {
    Interaction::sub("setup", "daily").channel_opt("channel", channel).str("time", time).str("timezone", zone).manager()
}

/// Lets the scheduler run a few ticks (20 ms each) of real time.
async fn ticks() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[tokio::test]
async fn the_days_principle_is_posted_once_at_the_local_minute() {
    let mut app = TestApp::spawn().await;
    let reply = app.fake.send(setup_daily(CHANNEL, "09:00", "Asia/Ho_Chi_Minh")).await;
    assert!(reply.ephemeral());
    let text = reply.text();
    assert!(text.contains("09:00") && text.contains("Asia/Ho_Chi_Minh") && text.contains("<t:1795831200:F>"), "{text}");

    app.set_time(at("2026-11-28T01:59:00Z"));
    ticks().await;
    assert!(app.fake.messages_in(CHANNEL).is_empty(), "posted a minute early");

    app.set_time(at("2026-11-28T02:00:00Z"));
    let msgs = app.fake.wait_for_messages(CHANNEL, 1).await;
    let post = &msgs[0].body;
    let expected = principle_of_day(GuildId(GUILD), day("2026-11-28"));
    let embed = &post["embeds"][0];
    assert!(embed["title"].as_str().unwrap().contains(&format!("{expected}. ")), "{}", embed["title"]);
    let text = message_text(post);
    assert!(text.contains("/checkin") && text.contains("Try this week") && text.contains("Reflect"), "{text}");
    assert!(pings_nobody(post));
    assert_eq!(post["enforce_nonce"], true);

    // /principle without a value shows the same principle.
    let reply = app.fake.send(Interaction::command("principle")).await;
    assert!(reply.embeds()[0]["title"].as_str().unwrap().starts_with(&format!("{expected}. ")));

    ticks().await;
    assert_eq!(app.fake.messages_in(CHANNEL).len(), 1, "posted twice");
    app.restart().await;
    ticks().await;
    assert_eq!(app.fake.messages_in(CHANNEL).len(), 1, "posted again after a restart");

    // The next day, the next principle.
    app.set_time(at("2026-11-29T02:00:30Z"));
    let msgs = app.fake.wait_for_messages(CHANNEL, 2).await;
    let next = principle_of_day(GuildId(GUILD), day("2026-11-29"));
    assert_ne!(next, expected);
    assert!(msgs[1].body["embeds"][0]["title"].as_str().unwrap().contains(&format!("{next}. ")));
}

#[tokio::test]
async fn setup_is_refused_to_members_without_manage_server() {
    let app = TestApp::spawn().await;
    let setup = app.fake.commands().into_iter().find(|c| c["name"] == "setup").unwrap();
    assert_eq!(setup["default_member_permissions"], "32", "hidden from non-managers in the client");
    // ...and refused on the server when a client shows it anyway.
    let reply = app.fake.send(setup_daily(CHANNEL, "09:00", "UTC").perms(crate::fake_discord::perms::MEMBER)).await;
    assert!(reply.ephemeral());
    assert!(reply.text().contains("Manage Server"), "{}", reply.text());
    assert!(app.store().await.team_settings(partner_coach::domain::ids::TeamKey::default_of(GuildId(GUILD))).await.unwrap().is_none());
    // Administrator implies it.
    let reply = app
        .fake
        .send(setup_daily(CHANNEL, "09:00", "UTC").perms(crate::fake_discord::perms::MEMBER | crate::fake_discord::perms::ADMINISTRATOR))
        .await;
    assert!(reply.text().contains("Done"), "{}", reply.text());
}

#[tokio::test]
async fn bad_times_zones_and_channels_are_refused_and_change_nothing() {
    let app = TestApp::spawn_with(vec![GuildSpec::new(GUILD).read_only_channel(GUILD + 5, "announcements")]).await;
    let reply = app.fake.send(setup_daily(CHANNEL, "25:99", "UTC")).await;
    assert!(reply.text().contains("`25:99` is not a time") && reply.text().contains("HH:MM"), "{}", reply.text());
    let reply = app.fake.send(setup_daily(CHANNEL, "09:00", "Mars/Olympus")).await;
    assert!(reply.text().contains("`Mars/Olympus` is not a time zone"), "{}", reply.text());
    let reply = app.fake.send(setup_daily(GUILD + 5, "09:00", "UTC")).await;
    assert!(reply.text().contains("can't post in") && reply.text().contains("Send Messages"), "{}", reply.text());
    assert!(app.store().await.team_settings(partner_coach::domain::ids::TeamKey::default_of(GuildId(GUILD))).await.unwrap().is_none());
    // 12-hour times are understood.
    let reply = app.fake.send(setup_daily(CHANNEL, "9am", "europe/berlin")).await;
    assert!(reply.text().contains("09:00") && reply.text().contains("Europe/Berlin"), "{}", reply.text());
}

#[tokio::test]
async fn the_bots_permissions_come_with_the_interaction_here_and_from_discord_elsewhere() {
    use partner_coach::domain::ids::{ChannelId, TeamKey};
    const READ_ONLY: u64 = GUILD + 5;
    const NEWS: u64 = GUILD + 6;
    let app = TestApp::spawn_with(vec![GuildSpec::new(GUILD).read_only_channel(READ_ONLY, "announcements").channel(NEWS, "news")]).await;
    let asked = |app: &TestApp| {
        let f = &app.fake;
        (
            f.count_requests("GET", &format!("/channels/{READ_ONLY}")) + f.count_requests("GET", &format!("/channels/{NEWS}")),
            f.count_requests("GET", &format!("/guilds/{GUILD}")),
        )
    };
    // In the command's own channel the interaction's app_permissions tell: nothing is asked.
    let reply = app.fake.send(setup_daily(READ_ONLY, "09:00", "UTC").in_channel(READ_ONLY)).await;
    assert!(reply.text().contains("can't post in") && reply.text().contains("Send Messages"), "{}", reply.text());
    assert_eq!(asked(&app), (0, 0));
    // Elsewhere Discord is asked: the channel, then the guild's roles and the bot's.
    let reply = app.fake.send(setup_daily(NEWS, "09:00", "UTC")).await;
    assert!(reply.text().contains("Done") && !reply.text().contains("could not check"), "{}", reply.text());
    assert_eq!(asked(&app), (1, 2));
    assert_eq!(app.fake.count_requests("GET", &format!("/guilds/{GUILD}/members/{}", crate::fake_discord::APP_ID)), 1);
    // When Discord does not answer, the setup is not blocked: the answer says what was not
    // checked, and the first post will tell.
    app.fake.fail_next("GET", &format!("/channels/{READ_ONLY}"), 1, 500, 0.0);
    let reply = app.fake.send(setup_daily(READ_ONLY, "10:00", "UTC")).await;
    assert!(reply.text().contains("Done") && reply.text().contains("could not check my permissions"), "{}", reply.text());
    let settings = app.store().await.team_settings(TeamKey::default_of(GuildId(GUILD))).await.unwrap().unwrap();
    assert_eq!(settings.daily.unwrap().channel, ChannelId(READ_ONLY));
    // With Discord answering again, the same channel is refused as before.
    let reply = app.fake.send(setup_daily(READ_ONLY, "10:00", "UTC")).await;
    assert!(reply.text().contains("can't post in"), "{}", reply.text());
}

#[tokio::test]
async fn timezone_autocomplete_finds_cities() {
    let app = TestApp::spawn().await;
    let reply = app.fake.send(Interaction::autocomplete("setup", Some("daily"), "timezone", "ho chi").manager()).await;
    assert_eq!(reply.choices()[0].1, "Asia/Ho_Chi_Minh");
    let reply = app.fake.send(Interaction::autocomplete("setup", Some("daily"), "timezone", "berlin").manager()).await;
    assert_eq!(reply.choices()[0].1, "Europe/Berlin");
    assert!(reply.choices().len() <= 25);
}

#[tokio::test]
async fn rate_limits_are_retried_after_retry_after_and_the_post_goes_out_once() {
    let app = TestApp::spawn().await;
    app.fake.send(setup_daily(CHANNEL, "09:00", "UTC")).await;
    let path = format!("/channels/{CHANNEL}/messages");
    app.fake.fail_next("POST", &path, 2, 429, 1.5);
    app.set_time(at("2026-11-28T09:00:00Z"));
    // Each attempt waits retry_after on the bot's clock; move it on until the post lands.
    let mut t = at("2026-11-28T09:00:00Z");
    for _ in 0..20 {
        if !app.fake.messages_in(CHANNEL).is_empty() {
            break;
        }
        ticks().await;
        t += chrono::Duration::seconds(1);
        app.set_time(t);
    }
    app.fake.wait_for_messages(CHANNEL, 1).await;
    ticks().await;
    assert_eq!(app.fake.messages_in(CHANNEL).len(), 1);
    let attempts: Vec<u16> = app.fake.requests().iter().filter(|r| r.path.ends_with(&path)).map(|r| r.status).collect();
    assert_eq!(attempts, vec![429, 429, 200]);
    let d = app.store().await.delivery(JobKey::guild(JobKind::Daily, GuildId(GUILD)), "2026-11-28").await.unwrap().unwrap();
    assert_eq!((d.status, d.attempts), (DeliveryStatus::Sent, 2));
}

#[tokio::test]
async fn a_server_error_that_did_create_the_message_is_not_posted_twice() {
    // Discord can answer 500 after creating the message; the retry carries the same nonce
    // and enforce_nonce, so Discord returns the first message instead of a second one.
    let app = TestApp::spawn().await;
    app.fake.send(setup_daily(CHANNEL, "09:00", "UTC")).await;
    app.set_time(at("2026-11-28T09:00:00Z"));
    let first = app.fake.wait_for_messages(CHANNEL, 1).await;
    let nonce = first[0].body["nonce"].as_str().unwrap().to_owned();
    // Replay the same request as a retry would: the fake dedupes on the nonce.
    let again = reqwest::Client::new()
        .post(format!("{}/api/v10/channels/{CHANNEL}/messages", app.fake.api_url()))
        .header("authorization", format!("Bot {}", crate::fake_discord::TOKEN))
        .json(&first[0].body)
        .send()
        .await
        .unwrap();
    let again: serde_json::Value = again.json().await.unwrap();
    assert_eq!(again["id"].as_str().unwrap(), first[0].id.to_string());
    assert_eq!(again["nonce"], nonce);
    assert_eq!(app.fake.messages_in(CHANNEL).len(), 1);
}

#[tokio::test]
async fn a_deleted_channel_is_a_recorded_failure_and_the_next_guild_still_gets_its_post() {
    let app = TestApp::spawn_with(vec![GuildSpec::new(GUILD), GuildSpec::new(OTHER)]).await;
    app.fake.send(setup_daily(CHANNEL, "09:00", "UTC")).await;
    app.fake.send(setup_daily(OTHER + 1, "09:00", "UTC").in_guild(OTHER)).await;
    app.fake.delete_channel(CHANNEL);
    app.set_time(at("2026-11-28T09:00:00Z"));
    app.fake.wait_for_messages(OTHER + 1, 1).await;
    let store = app.store().await;
    let mut status = None;
    for _ in 0..50 {
        status = store.delivery(JobKey::guild(JobKind::Daily, GuildId(GUILD)), "2026-11-28").await.unwrap().map(|d| d.status);
        if status == Some(DeliveryStatus::Failed) {
            break;
        }
        ticks().await;
    }
    assert_eq!(status, Some(DeliveryStatus::Failed));
    // One attempt only: a 404 is not retried.
    let attempts = app.fake.requests().iter().filter(|r| r.path.ends_with(&format!("/channels/{CHANNEL}/messages"))).count();
    assert_eq!(attempts, 1);
    let reply = app.fake.send(Interaction::sub("setup", "show").manager()).await;
    assert!(reply.text().contains("Last failure") && reply.text().contains("404"), "{}", reply.text());
    assert!(reply.text().contains(&format!("<#{CHANNEL}>")));
}

#[tokio::test]
async fn a_deleted_channel_tells_the_owner_once_and_stops_the_post_until_it_is_set_again() {
    const OWNER: u64 = 1; // the fake's guild owner
    const OTHER_CHANNEL: u64 = GUILD + 77;
    let app = TestApp::spawn_with(vec![GuildSpec::new(GUILD).channel(OTHER_CHANNEL, "new-home")]).await;
    app.fake.send(setup_daily(CHANNEL, "09:00", "UTC")).await;
    app.fake.delete_channel(CHANNEL);
    app.set_time(at("2026-11-28T09:00:00Z"));
    let dm = app.fake.wait_for("the owner's notice", |i| i.dm_channels.get(&OWNER).copied()).await;
    let notice = app.fake.wait_for_messages(dm, 1).await;
    let text = notice[0].body["content"].as_str().unwrap_or_default().to_owned();
    assert!(text.contains("/setup daily") && text.contains(&CHANNEL.to_string()), "{text}");
    let store = app.store().await;
    let daily = JobKey::guild(JobKind::Daily, GuildId(GUILD));
    for _ in 0..50 {
        if store.job(daily).await.unwrap().is_none() {
            break;
        }
        ticks().await;
    }
    assert_eq!(store.job(daily).await.unwrap(), None, "the post stopped trying");
    // The next days: no attempt at the gone channel, no second notice.
    for day in ["2026-11-29T09:00:00Z", "2026-11-30T09:00:00Z"] {
        app.set_time(at(day));
        ticks().await;
    }
    let posts =
        app.fake.requests().iter().filter(|r| r.method == "POST" && r.path.ends_with(&format!("/channels/{CHANNEL}/messages"))).count();
    assert_eq!(posts, 1);
    assert_eq!(app.fake.dms_to(OWNER).len(), 1, "told once");
    // Setting a channel again brings the post back.
    app.fake.send(setup_daily(OTHER_CHANNEL, "10:00", "UTC")).await;
    assert!(store.job(daily).await.unwrap().is_some());
    app.set_time(at("2026-11-30T10:00:00Z"));
    app.fake.wait_for_messages(OTHER_CHANNEL, 1).await;
}

#[tokio::test]
async fn a_post_missed_earlier_today_goes_out_late_once_and_one_from_yesterday_does_not() {
    let mut app = TestApp::spawn().await;
    app.fake.send(setup_daily(CHANNEL, "09:00", "UTC")).await;
    app.stop().await;
    // Down through 09:00; back at 11:00 the same day: sent late, once.
    app.set_time(at("2026-11-28T11:00:00Z"));
    app.start().await;
    app.fake.wait_for_messages(CHANNEL, 1).await;
    app.stop().await;
    // Down for all of the 29th; back on the 30th after 09:00: the 29th is skipped, the
    // 30th goes out.
    app.set_time(at("2026-11-30T10:00:00Z"));
    app.start().await;
    let msgs = app.fake.wait_for_messages(CHANNEL, 2).await;
    let p30 = principle_of_day(GuildId(GUILD), day("2026-11-30"));
    assert!(msgs[1].body["embeds"][0]["title"].as_str().unwrap().contains(&format!("{p30}. ")));
    ticks().await;
    assert_eq!(app.fake.messages_in(CHANNEL).len(), 2);
    let store = app.store().await;
    let key = JobKey::guild(JobKind::Daily, GuildId(GUILD));
    assert_eq!(store.delivery(key, "2026-11-29").await.unwrap().unwrap().status, DeliveryStatus::Skipped);
    assert_eq!(store.delivery(key, "2026-11-30").await.unwrap().unwrap().status, DeliveryStatus::Sent);
}

#[tokio::test]
async fn a_guild_that_removed_the_bot_gets_no_more_posts_and_keeps_its_data() {
    let app = TestApp::spawn().await;
    app.fake.send(setup_daily(CHANNEL, "09:00", "UTC")).await;
    app.fake.send(Interaction::sub("checkin", "communication").int("rating", 4)).await;
    // Let the start-up GUILD_CREATE be handled first: events run as concurrent tasks, and a
    // removal milliseconds after joining is not what Discord does.
    ticks().await;
    app.fake.remove_guild(GUILD);
    let store = app.store().await;
    for _ in 0..50 {
        if store.job(JobKey::guild(JobKind::Daily, GuildId(GUILD))).await.unwrap().is_none() {
            break;
        }
        ticks().await;
    }
    app.set_time(at("2026-11-28T09:00:00Z"));
    ticks().await;
    assert!(app.fake.messages_in(CHANNEL).is_empty());
    let settings = store.team_settings(partner_coach::domain::ids::TeamKey::default_of(GuildId(GUILD))).await.unwrap().unwrap();
    assert!(settings.left && settings.daily.is_some(), "{settings:?}");
    assert_eq!(store.count_checkins(Some(GuildId(GUILD)), None).await.unwrap(), 1);
}

#[tokio::test]
async fn setup_show_states_the_settings_and_the_next_post_in_local_time() {
    let app = TestApp::spawn().await;
    app.fake.send(setup_daily(CHANNEL, "07:30", "Europe/Berlin").bool("weekdays_only", true)).await;
    let reply = app.fake.send(Interaction::sub("setup", "show").manager()).await;
    let text = reply.text();
    // Friday 09:00 UTC: next is Monday 07:30 Berlin (06:30 UTC).
    assert!(text.contains("07:30") && text.contains("Europe/Berlin") && text.contains("Monday to Friday"), "{text}");
    assert!(text.contains("2026-11-30 07:30") && text.contains("<t:1796020200:R>"), "{text}");
    assert!(text.contains("No delivery failures"), "{text}");
}
