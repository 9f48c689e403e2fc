//! The weekly digest: who may read it, what it shows, how member text is neutralised, and
//! the scheduled digest going out once.

use std::time::Duration;

use crate::fake_discord::interactions::{message_text, pings_nobody, CHANNEL, GUILD};
use crate::fake_discord::{perms, Interaction};
use crate::helpers::{at, TestApp};

const LEADS: u64 = 900_000_000_000_000_777;

fn member(n: u64) -> u64 {
    500_000_000_000_001_000 + n
}

/// Four communication check-ins and three commitment check-ins with blockers, this week.
async fn seed_week(app: &TestApp) {
    let notes = [
        (2, "Nothing much", "Reply to partners within a day"),
        (4, "Quick answers in the thread", "Fewer meetings"),
        (5, "Clear owner for every task", "Write decisions down"),
        // Newest last: the digest quotes the newest notes first.
        (4, "@everyone the demo went great <@123>", "## Focus for next week: 1. Fake heading"),
    ];
    for (i, (rating, well, improve)) in notes.iter().enumerate() {
        let r = app
            .fake
            .send(
                Interaction::sub("checkin", "communication")
                    .int("rating", *rating)
                    .str("went_well", well)
                    .str("improve", improve)
                    .by(member(i as u64)),
            )
            .await;
        assert!(r.text().contains("Rating"), "{}", r.text());
    }
    for i in 0..3 {
        app.fake
            .send(
                Interaction::sub("checkin", "commitments")
                    .str("next", &format!("Task {i}"))
                    .str("blocker", &format!("Blocked by vendor {i}"))
                    .by(member(i)),
            )
            .await;
    }
}

#[tokio::test]
async fn a_lead_gets_the_weeks_figures_and_a_focus_with_member_text_neutralised() {
    let app = TestApp::spawn().await;
    seed_week(&app).await;
    let reply = app.fake.send(Interaction::command("digest").manager()).await;
    assert_eq!(reply.kind(), 4);
    assert!(reply.ephemeral() && reply.pings_nobody());
    let text = reply.text();
    assert!(text.contains("Weekly digest · 2026-W48"), "{text}");
    assert!(text.contains("4 of 4 active members checked in"), "{text}");
    assert!(text.contains("4 answers · mean 3.8/5"), "{text}");
    assert!(text.contains("3 made"), "{text}");
    assert!(text.contains("Blocked by vendor"), "{text}");
    // Quotes carry no names, mentions cannot ping or render, a fake heading is escaped.
    assert!(!text.contains("@everyone") && !text.contains("<@123>"), "{text}");
    assert!(text.contains("@\u{200b}everyone"));
    assert!(text.contains("\\## Focus for next week"), "{text}");
    assert!(!text.contains(&member(0).to_string()), "a member id leaked");
    // Three blockers this week → share information (6).
    let focus =
        reply.embeds()[0]["fields"].as_array().unwrap().iter().find(|f| f["name"].as_str().unwrap().contains("Focus")).unwrap().clone();
    assert!(focus["name"].as_str().unwrap().contains("6. "), "{focus}");
}

#[tokio::test]
async fn with_fewer_than_three_answers_the_digest_shows_no_figures() {
    let app = TestApp::spawn().await;
    app.fake.send(Interaction::sub("checkin", "communication").int("rating", 1).str("improve", "Stop interrupting me").by(member(1))).await;
    let reply = app.fake.send(Interaction::command("digest").manager()).await;
    let text = reply.text();
    assert!(text.matches("Not enough answers yet").count() >= 3, "{text}");
    assert!(!text.contains("Stop interrupting me"), "a lone note would be attributable: {text}");
    assert!(!text.contains("1.0/5"));
}

#[tokio::test]
async fn members_without_rights_are_refused_and_the_lead_role_is_let_in() {
    let app = TestApp::spawn_with(vec![crate::fake_discord::GuildSpec::new(GUILD).role(LEADS, "leads")]).await;
    let reply = app.fake.send(Interaction::command("digest").perms(perms::MEMBER)).await;
    assert!(reply.ephemeral());
    assert!(reply.text().contains("Only team leads"), "{}", reply.text());

    let r = app.fake.send(Interaction::sub("setup", "lead-role").role_opt("role", LEADS).manager()).await;
    assert!(r.text().contains(&format!("<@&{LEADS}>")), "{}", r.text());
    let reply = app.fake.send(Interaction::command("digest").perms(perms::MEMBER).roles(&[LEADS])).await;
    assert!(reply.text().contains("Weekly digest"), "{}", reply.text());
    let reply = app.fake.send(Interaction::command("digest").perms(perms::MEMBER).roles(&[LEADS + 1])).await;
    assert!(reply.text().contains("Only team leads"));
}

#[tokio::test]
async fn week_accepts_this_last_and_iso_weeks_and_refuses_anything_else_with_examples() {
    let app = TestApp::spawn().await;
    let reply = app.fake.send(Interaction::command("digest").str("week", "last").manager()).await;
    assert!(reply.text().contains("2026-W47"), "{}", reply.text());
    let reply = app.fake.send(Interaction::command("digest").str("week", "2026-W40").manager()).await;
    assert!(reply.text().contains("2026-W40"));
    let reply = app.fake.send(Interaction::command("digest").str("week", "next month").manager()).await;
    let text = reply.text();
    assert!(text.contains("`next month` is not a week") && text.contains("`this`") && text.contains("2026-W48"), "{text}");
    let reply = app.fake.send(Interaction::autocomplete("digest", None, "week", "2026").manager()).await;
    assert!(reply.choices().iter().any(|c| c.1 == "2026-W48"));
}

#[tokio::test]
async fn post_true_posts_it_for_the_channel_and_still_pings_nobody() {
    let app = TestApp::spawn().await;
    seed_week(&app).await;
    let reply = app.fake.send(Interaction::command("digest").bool("post", true).manager()).await;
    assert!(!reply.ephemeral());
    assert!(reply.pings_nobody());
}

#[tokio::test]
async fn the_scheduled_digest_goes_out_once_a_week() {
    let mut app = TestApp::spawn().await;
    seed_week(&app).await;
    let r = app
        .fake
        .send(Interaction::sub("setup", "digest").channel_opt("channel", CHANNEL).str("day", "fri").str("time", "16:00").manager())
        .await;
    assert!(r.text().contains("fri") && r.text().contains("16:00"), "{}", r.text());
    app.set_time(at("2026-11-27T16:00:00Z"));
    let msgs = app.fake.wait_for_messages(CHANNEL, 1).await;
    let text = message_text(&msgs[0].body);
    assert!(text.contains("Weekly digest · 2026-W48") && text.contains("4 of 4"), "{text}");
    assert!(pings_nobody(&msgs[0].body));
    assert!(!text.contains("@everyone"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.restart().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.fake.messages_in(CHANNEL).len(), 1);
    // A week later: the next one, covering its own week.
    app.set_time(at("2026-12-04T16:00:00Z"));
    let msgs = app.fake.wait_for_messages(CHANNEL, 2).await;
    assert!(message_text(&msgs[1].body).contains("2026-W49"));
}

#[tokio::test]
async fn the_command_line_prints_the_digest_from_the_database_in_three_formats() {
    let app = TestApp::spawn().await;
    seed_week(&app).await;
    let run = |format: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_partner-coach"))
            .args(["digest", "--guild", &GUILD.to_string(), "--week", "2026-W48", "--format", format])
            .env_clear()
            .env("DATABASE_URL", app.database_url())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let text = run("text");
    assert!(text.starts_with("Weekly digest · 2026-W48\n====="), "{text}");
    assert!(text.contains("@everyone the demo"), "plain text keeps the note as typed: {text}");
    let md = run("markdown");
    assert!(md.starts_with("# Weekly digest · 2026-W48"));
    assert!(md.contains("\\## Focus for next week"), "a note cannot forge a heading: {md}");
    let json: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    assert_eq!(json["week"], "2026-W48");
    assert_eq!(json["communication"]["figures"]["answers"], 4);
    assert_eq!(json["focus"]["principle"], 6);
    assert_eq!(json["focus"]["rule"], "many_blockers");
    // An unknown guild is a clear error.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_partner-coach"))
        .args(["digest", "--guild", "42"])
        .env_clear()
        .env("DATABASE_URL", app.database_url())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no data for guild 42"));
}
