//! Faults: a dropped gateway under load, SIGKILL mid check-ins, a database locked by another
//! process, Discord failing a third of the posts, the bot removed from a guild mid-run.

use std::collections::BTreeSet;
use std::time::Duration;

use partner_coach::domain::ids::GuildId;

use crate::fake_discord::interactions::{message_text, GUILD, MEMBER};
use crate::fake_discord::{GuildSpec, Interaction};
use crate::helpers::{at, sqlite_only, ProcessBot, TestApp};

fn checkin(n: u64) -> Interaction {
    Interaction::sub("checkin", "commitments").str("next", &format!("promise {n}")).by(MEMBER + n)
}

#[tokio::test]
async fn the_gateway_drops_mid_load_and_no_answer_is_lost() {
    let app = TestApp::spawn().await;
    let (_, resumes) = app.fake.sessions();
    let mut tokens = Vec::new();
    for n in 0..120u64 {
        if n == 60 {
            app.fake.drop_gateway();
        }
        let i = if n % 2 == 0 { checkin(n) } else { Interaction::command("principle").str("which", &(n % 10 + 1).to_string()) };
        tokens.push(app.fake.dispatch_interaction(&i));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    app.fake.wait_resumed(resumes).await;
    for t in &tokens {
        let r = app.fake.reply_to(t).await;
        assert_eq!(r.kind(), 4);
    }
    assert_eq!(app.fake.sessions().0, 1, "resumed, not re-identified");
    assert_eq!(app.store().await.count_checkins(Some(GuildId(GUILD)), None).await.unwrap(), 60);
}

#[tokio::test]
async fn after_sigkill_every_answered_checkin_is_in_the_database_and_it_opens_cleanly() {
    let app = TestApp::new(vec![GuildSpec::new(GUILD)]).await;
    let dir = tempfile::tempdir().unwrap();
    // On SQLite a file of its own; on PostgreSQL the test's (empty) database.
    let db = if app.on_postgres() { app.database_url() } else { format!("sqlite://{}/pc.db", dir.path().display()) };
    let bot = ProcessBot::spawn(&app.fake.api_url(), &db, dir.path());
    app.fake.wait_ready().await;

    // Check-ins keep arriving; the bot is killed in the middle of them.
    let mut tokens = Vec::new();
    for n in 0..400u64 {
        tokens.push((n, app.fake.dispatch_interaction(&checkin(n))));
        tokio::time::sleep(Duration::from_millis(2)).await;
        if n == 200 {
            app.fake
                .wait_for("some answers", |i| (i.interactions.values().filter(|s| s.callback_at.is_some()).count() >= 50).then_some(()))
                .await;
        }
    }
    bot.kill9().await;
    let answered: BTreeSet<String> = {
        let i = app.fake.shared_state();
        tokens.iter().filter(|(_, t)| i.interactions[t].callback_at.is_some()).map(|(n, _)| format!("promise {n}")).collect()
    };
    assert!(answered.len() >= 50, "only {} answered before the kill", answered.len());

    // `check` opens it cleanly (integrity ok) and every answered check-in is there.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_partner-coach"))
        .arg("check")
        .env_clear()
        .env("DISCORD_TOKEN", crate::fake_discord::TOKEN)
        .env("DATABASE_URL", &db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let store = partner_coach::storage::Store::connect(&db).await.unwrap();
    let stored: BTreeSet<String> = store.guild_commitments(GuildId(GUILD), None).await.unwrap().into_iter().map(|c| c.text).collect();
    let missing: Vec<_> = answered.difference(&stored).collect();
    assert!(missing.is_empty(), "answered but not stored: {missing:?}");
    store.close().await;

    // And the bot starts again on it.
    let puts = app.fake.shared_command_puts();
    let _bot = ProcessBot::spawn(&app.fake.api_url(), &db, dir.path());
    app.fake.wait_for("the restarted bot", |i| (i.command_puts > puts && i.connected()).then_some(())).await;
    let r = app.fake.send(Interaction::command("commitments").by(MEMBER + 1)).await;
    assert!(r.text().contains("promise 1"), "{}", r.text());
}

/// Waits for the bot's own start-up write (the maintenance job) so the lock below meets the
/// check-in, not start-up.
async fn startup_writes_done(app: &TestApp) {
    let store = app.store().await;
    let key = partner_coach::storage::JobKey::guild(partner_coach::storage::JobKind::Retention, GuildId(0));
    for _ in 0..100 {
        if store.job(key).await.unwrap().is_some() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the maintenance job was never scheduled");
}

/// Holds SQLite's write lock from another process (python3's sqlite3) for `secs`.
fn lock_database(path: &std::path::Path, secs: f64) -> std::process::Child {
    let script = format!(
        "import sqlite3, sys, time\nc = sqlite3.connect({:?}, isolation_level=None, timeout=30)\nc.execute('BEGIN EXCLUSIVE')\nprint('locked', flush=True)\ntime.sleep({secs})\nc.execute('COMMIT')\n",
        path.display().to_string()
    );
    let mut child = std::process::Command::new("python3")
        .args(["-c", &script])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 with sqlite3");
    // Wait until the lock is really held.
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.as_mut().unwrap()), &mut line).unwrap();
    assert_eq!(line.trim(), "locked");
    child
}

#[tokio::test]
async fn a_database_locked_for_a_few_seconds_delays_the_answer_but_loses_nothing() {
    if sqlite_only("holds SQLite's file lock from another process") {
        return;
    }
    let app = TestApp::spawn().await;
    startup_writes_done(&app).await;
    let db = app.dir.path().join("partner-coach.db");
    let mut locker = lock_database(&db, 2.5);
    let token = app.fake.dispatch_interaction(&Interaction::sub("checkin", "communication").int("rating", 4).str("went_well", "waited"));
    let first = app.fake.reply_to(&token).await;
    // The bot acknowledged within Discord's window, then answered when the lock was gone.
    assert_eq!(first.kind(), 5, "a deferred response");
    assert!(first.ephemeral());
    assert!(first.latency < Duration::from_secs(3), "{:?}", first.latency);
    let answer = app.fake.followup(&token, 1).await;
    assert!(message_text(&answer).contains("Rating 4/5"), "{answer}");
    locker.wait().unwrap();
    assert_eq!(app.store().await.count_checkins(Some(GuildId(GUILD)), None).await.unwrap(), 1);
}

#[tokio::test]
async fn a_database_locked_longer_than_the_busy_timeout_fails_clearly_and_writes_nothing() {
    if sqlite_only("holds SQLite's file lock from another process") {
        return;
    }
    let app = TestApp::spawn().await;
    startup_writes_done(&app).await;
    let db = app.dir.path().join("partner-coach.db");
    let mut locker = lock_database(&db, partner_coach::storage::BUSY_TIMEOUT.as_secs_f64() + 2.0);
    let token = app.fake.dispatch_interaction(&Interaction::sub("checkin", "commitments").str("next", "x").str("blocker", "y"));
    assert_eq!(app.fake.reply_to(&token).await.kind(), 5);
    let answer = app.fake.followup(&token, 1).await;
    assert!(message_text(&answer).contains("busy") && message_text(&answer).contains("nothing was saved"), "{answer}");
    locker.wait().unwrap();
    let store = app.store().await;
    assert_eq!(store.count_checkins(None, None).await.unwrap(), app.preexisting_checkins(), "nothing stored anywhere");
    assert!(store.guild_commitments(GuildId(GUILD), None).await.unwrap().is_empty(), "nothing half-written");
}

#[tokio::test]
async fn discord_failing_a_third_of_posts_for_a_minute_still_gets_every_post_out_exactly_once() {
    let guilds: Vec<u64> = (0..6).map(|n| 900_000_000_000_001_000 + n * 10).collect();
    let app = TestApp::spawn_with(guilds.iter().map(|g| GuildSpec::new(*g)).collect()).await;
    for g in &guilds {
        let setup = |sub: &str| Interaction::sub("setup", sub).channel_opt("channel", g + 1).in_guild(*g).manager();
        app.fake.send(setup("daily").str("time", "09:00").str("timezone", "UTC")).await;
        app.fake.send(setup("digest").str("day", "sat").str("time", "09:00")).await;
    }
    // Every third post answers 500, half of them after Discord did create the message.
    app.fake.fail_every("POST", "/messages", 3, 500, Duration::from_secs(60), true);
    let mut t = at("2026-11-28T09:00:00Z");
    app.set_time(t);
    for _ in 0..400 {
        let done = guilds.iter().all(|g| app.fake.messages_in(g + 1).len() >= 2);
        if done {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
        t += chrono::Duration::seconds(2);
        app.set_time(t);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    for g in &guilds {
        let msgs = app.fake.messages_in(g + 1);
        let daily = msgs.iter().filter(|m| message_text(&m.body).contains("Today's principle")).count();
        let digest = msgs.iter().filter(|m| message_text(&m.body).contains("Weekly digest")).count();
        assert_eq!((daily, digest), (1, 1), "guild {g}: {} messages", msgs.len());
    }
    let failed = app.fake.requests().iter().filter(|r| r.path.ends_with("/messages") && r.status == 500).count();
    assert!(failed >= 3, "the fault was injected ({failed} failures)");
}

#[tokio::test]
async fn removing_the_bot_from_one_guild_mid_run_leaves_the_others_untouched() {
    let guilds: Vec<u64> = (0..3).map(|n| 900_000_000_000_002_000 + n * 10).collect();
    let app = TestApp::spawn_with(guilds.iter().map(|g| GuildSpec::new(*g)).collect()).await;
    for g in &guilds {
        app.fake
            .send(
                Interaction::sub("setup", "daily")
                    .channel_opt("channel", g + 1)
                    .str("time", "09:00")
                    .str("timezone", "UTC")
                    .in_guild(*g)
                    .manager(),
            )
            .await;
    }
    app.fake.remove_guild(guilds[1]);
    // Interactions keep flowing in the others while the removal is processed.
    for g in [guilds[0], guilds[2]] {
        let r = app.fake.send(Interaction::sub("checkin", "communication").int("rating", 4).in_guild(g)).await;
        assert!(r.text().contains("Rating 4/5"));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.set_time(at("2026-11-28T09:00:00Z"));
    app.fake.wait_for_messages(guilds[0] + 1, 1).await;
    app.fake.wait_for_messages(guilds[2] + 1, 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(app.fake.messages_in(guilds[1] + 1).is_empty());
}
