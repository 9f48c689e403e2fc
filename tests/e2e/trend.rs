//! The picture of the trend: the digest's chart as Discord receives it (multipart, the embed's
//! image naming the file, accepted by the fake's validator), the scheduled digest's too, the
//! CLI's PNG and JSON trend, and a member's own `/me history`.

use crate::fake_discord::interactions::{CHANNEL, GUILD};
use crate::fake_discord::{GuildSpec, Interaction};
use crate::helpers::{at, TestApp};

fn member(n: u64) -> u64 {
    500_000_000_000_002_000 + n
}

/// Three members rate and make commitments this week (enough for every section).
async fn seed(app: &TestApp) {
    for i in 0..3 {
        let r = app.fake.send(Interaction::sub("checkin", "communication").int("rating", 4).str("went_well", "ok").by(member(i))).await;
        assert_eq!(r.embeds().len(), 1, "recorded: {}", r.text());
        app.fake.send(Interaction::sub("checkin", "commitments").str("next", &format!("Task {i}")).by(member(i))).await;
    }
}

fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    // IHDR is the first chunk: width and height, big-endian, at bytes 16..24.
    (u32::from_be_bytes(bytes[16..20].try_into().unwrap()), u32::from_be_bytes(bytes[20..24].try_into().unwrap()))
}

#[tokio::test]
async fn the_digest_carries_its_chart_as_an_attached_png_shown_as_the_embeds_image() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    let reply = app.fake.send(Interaction::command("digest").manager()).await;
    assert!(reply.ephemeral());
    assert_eq!(reply.files.len(), 1, "one file: the chart");
    let (name, png) = &reply.files[0];
    assert_eq!(name, "trend.png");
    assert_eq!(png_size(png), (800, 400));
    assert!(png.len() < 200 * 1024, "{} bytes", png.len());
    let embed = &reply.embeds()[0];
    assert_eq!(embed["image"]["url"], "attachment://trend.png", "{embed}");
    // Posted for the channel: the same picture.
    let public = app.fake.send(Interaction::command("digest").bool("post", true).manager()).await;
    assert!(!public.ephemeral());
    assert_eq!(public.files.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(), vec!["trend.png"]);
    assert!(app.fake.violations().is_empty(), "{:?}", app.fake.violations());
}

#[tokio::test]
async fn a_digest_with_nothing_to_draw_has_no_picture_rather_than_a_broken_one() {
    let app = TestApp::spawn().await;
    // One member: every week is under the privacy threshold.
    app.fake.send(Interaction::sub("checkin", "communication").int("rating", 2).by(member(1))).await;
    let reply = app.fake.send(Interaction::command("digest").manager()).await;
    assert!(reply.text().contains("Weekly digest"), "{}", reply.text());
    assert!(reply.files.is_empty());
    assert!(reply.embeds()[0].get("image").is_none_or(|i| i.is_null()), "{}", reply.embeds()[0]);
}

#[tokio::test]
async fn the_scheduled_digest_is_sent_as_multipart_with_the_chart() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    app.fake
        .send(Interaction::sub("setup", "digest").channel_opt("channel", CHANNEL).str("day", "fri").str("time", "16:00").manager())
        .await;
    app.set_time(at("2026-11-27T16:00:00Z"));
    let msgs = app.fake.wait_for_messages(CHANNEL, 1).await;
    assert_eq!(msgs[0].body["embeds"][0]["image"]["url"], "attachment://trend.png", "{}", msgs[0].body);
    let post = app
        .fake
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path.ends_with(&format!("/channels/{CHANNEL}/messages")))
        .expect("the digest's request");
    assert_eq!(post.files.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(), vec!["trend.png"]);
    assert_eq!(png_size(&post.files[0].1), (800, 400));
    assert_eq!(post.body["attachments"][0]["filename"], "trend.png", "{}", post.body);
    assert!(app.fake.violations().is_empty(), "{:?}", app.fake.violations());
}

#[tokio::test]
async fn the_command_line_writes_the_chart_and_the_json_trend() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("trend.png");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_partner-coach"))
            // The command line reads the real clock; the test's week is named.
            .args(["digest", "--guild", &GUILD.to_string(), "--week", "2026-W48"])
            .args(args)
            .env_clear()
            .env("DATABASE_URL", app.database_url())
            .output()
            .unwrap()
    };
    let png = run(&["--format", "png", "--out", &out.display().to_string()]);
    assert!(png.status.success(), "{}", String::from_utf8_lossy(&png.stderr));
    assert_eq!(png_size(&std::fs::read(&out).unwrap()), (800, 400));
    // Never over an existing file, and never without --out.
    assert!(!run(&["--format", "png", "--out", &out.display().to_string()]).status.success());
    let no_out = run(&["--format", "png"]);
    assert!(!no_out.status.success() && String::from_utf8_lossy(&no_out.stderr).contains("--out"));

    let json = run(&["--format", "json"]);
    assert!(json.status.success());
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let trend = v["trend"].as_array().unwrap();
    assert_eq!(trend.len(), 12);
    assert_eq!(trend[11]["week"], "2026-W48");
    assert_eq!(trend[11]["rating"], 4.0);
    assert!(trend[0]["rating"].is_null(), "a week without answers is null, never 0: {}", trend[0]);
    let text = run(&[]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("Trend, 2026-W37 to 2026-W48"));
}

#[tokio::test]
async fn me_history_shows_a_member_their_own_weeks_only_with_a_small_chart() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    // Last week too, for member 0 only: their history has two weeks; nobody else's shows.
    app.set_time(at("2026-11-30T10:00:00Z"));
    app.fake.send(Interaction::sub("checkin", "communication").int("rating", 2).by(member(0))).await;
    app.fake.send(Interaction::sub("checkin", "commitments").str("kept", "yes").str("next", "Another").by(member(0))).await;
    let reply = app.fake.send(Interaction::sub("me", "history").by(member(0))).await;
    assert!(reply.ephemeral(), "only the member sees it");
    let text = reply.text();
    assert!(text.contains("Checked in: 2 of 12 weeks"), "{text}");
    assert!(text.contains("2 made · 1 kept"), "{text}");
    assert_eq!(reply.files.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(), vec!["my-weeks.png"]);
    assert_eq!(reply.embeds()[0]["image"]["url"], "attachment://my-weeks.png");
    // Someone with no answers is told how to start; no picture.
    let empty = app.fake.send(Interaction::sub("me", "history").by(member(9))).await;
    assert!(empty.text().contains("Nothing yet"), "{}", empty.text());
    assert!(empty.files.is_empty());
    assert!(app.fake.violations().is_empty(), "{:?}", app.fake.violations());
}

#[tokio::test]
async fn a_vietnamese_teams_chart_is_drawn_with_its_title() {
    let app = TestApp::spawn_with(vec![GuildSpec::new(GUILD)]).await;
    app.fake.send(Interaction::sub("setup", "language").str("language", "vi").manager()).await;
    seed(&app).await;
    let reply = app.fake.send(Interaction::command("digest").manager()).await;
    assert!(reply.text().contains("2026-W48"), "{}", reply.text());
    assert_eq!(reply.files.len(), 1);
    assert_eq!(png_size(&reply.files[0].1), (800, 400));
}

#[test]
fn the_fakes_upload_check_refuses_an_image_that_names_no_attached_file() {
    use crate::fake_discord::validate::check_attachments;
    let png = b"\x89PNG\r\n\x1a\nrest".to_vec();
    let body = serde_json::json!({ "embeds": [{ "image": { "url": "attachment://trend.png" } }], "attachments": [{ "id": 0, "filename": "trend.png" }] });
    assert!(check_attachments(&body, &[("trend.png".into(), png.clone())]).is_empty());
    assert!(!check_attachments(&body, &[]).is_empty(), "the image names a file that was not sent");
    assert!(!check_attachments(&body, &[("other.png".into(), png)]).is_empty());
    assert!(!check_attachments(&body, &[("trend.png".into(), b"not an image".to_vec())]).is_empty(), "shown, but not an image");
    // A file that is only attached, not shown, may hold anything (Discord's own rule).
    assert!(check_attachments(&serde_json::json!({ "content": "x" }), &[("data.png".into(), vec![1, 2, 3])]).is_empty());
    // An interaction callback carries its message under `data`.
    let callback = serde_json::json!({ "type": 4, "data": body });
    assert!(!check_attachments(&callback, &[]).is_empty());
}
