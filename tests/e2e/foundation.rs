//! The bot starts, registers valid commands, answers, survives a dropped gateway, and refuses
//! bad settings with clear messages.

use std::process::Command;
use std::time::Duration;

use serde_json::json;

use crate::fake_discord::interactions::{GUILD, MEMBER};
use crate::fake_discord::{GuildSpec, Interaction, APP_ID, TOKEN};
use crate::helpers::TestApp;

/// DESIGN.md's slash commands; registration must offer exactly these (as they are built).
const TOP_LEVEL: &[&str] = &["help", "principle", "principles", "tip", "checkin", "commitments", "setup"];

#[tokio::test]
async fn the_bot_starts_registers_valid_commands_and_answers_help_ephemerally() {
    let app = TestApp::spawn().await;
    let names: Vec<String> = app.fake.commands().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect();
    for n in TOP_LEVEL {
        assert!(names.contains(&n.to_string()), "{n} not registered: {names:?}");
    }
    // Registered globally when DISCORD_GUILD_ID is unset.
    assert!(app.fake.requests().iter().any(|r| r.method == "PUT" && r.path == format!("/api/v10/applications/{APP_ID}/commands")));
    // Every description, of commands, subcommands and options, carries a Vietnamese one.
    fn check_vi(v: &serde_json::Value, path: &str) {
        let name = format!("{path} {}", v["name"].as_str().unwrap_or(""));
        assert!(v["description_localizations"]["vi"].as_str().is_some_and(|s| !s.is_empty()), "{name} lacks a vi description");
        for o in v["options"].as_array().into_iter().flatten() {
            check_vi(o, &name);
        }
    }
    for c in app.fake.commands() {
        check_vi(&c, "");
    }

    let reply = app.fake.send(Interaction::command("help")).await;
    assert_eq!(reply.kind(), 4);
    assert!(reply.ephemeral());
    assert!(reply.pings_nobody());
    let text = reply.text();
    assert!(text.contains("/principle") && text.contains("/principles") && text.contains("/tip"), "{text}");
    assert!(text.contains("/checkin"), "{text}");
    app.fake.assert_clean();
}

#[tokio::test]
async fn help_answers_in_vietnamese_for_a_vietnamese_locale() {
    let app = TestApp::spawn().await;
    let reply = app.fake.send(Interaction::command("help").locale("vi")).await;
    assert!(reply.text().contains("nguyên tắc"), "{}", reply.text());
}

#[tokio::test]
async fn commands_go_to_one_guild_when_discord_guild_id_is_set() {
    let mut app = TestApp::new(vec![GuildSpec::new(GUILD)]).await;
    app.guild_id_setting = Some(GUILD);
    app.start().await;
    let puts: Vec<_> = app.fake.requests().into_iter().filter(|r| r.method == "PUT").collect();
    assert_eq!(puts.len(), 1);
    assert_eq!(puts[0].path, format!("/api/v10/applications/{APP_ID}/guilds/{GUILD}/commands"));
}

#[tokio::test]
async fn the_fake_refuses_a_malformed_request_and_records_it() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::new();
    // Content over 2000 characters, sent the way a buggy bot would.
    let res = client
        .post(format!("{}/api/v10/channels/{}/messages", app.fake.api_url(), GUILD + 1))
        .header("authorization", format!("Bot {TOKEN}"))
        .json(&json!({ "content": "x".repeat(2001) }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], 50035);
    // An embed field with an empty value, and an invalid command name.
    let res = client
        .post(format!("{}/api/v10/channels/{}/messages", app.fake.api_url(), GUILD + 1))
        .header("authorization", format!("Bot {TOKEN}"))
        .json(&json!({ "embeds": [{ "title": "t", "fields": [{ "name": "n", "value": "" }] }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = client
        .put(format!("{}/api/v10/applications/{APP_ID}/commands", app.fake.api_url()))
        .header("authorization", format!("Bot {TOKEN}"))
        .json(&json!([{ "name": "Bad Name", "description": "x", "type": 1 }]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let v = app.fake.violations();
    assert_eq!(v.len(), 3, "{v:#?}");
    assert!(v[0].contains("content"), "{}", v[0]);
    app.fake.clear_violations();
}

#[tokio::test]
async fn the_bot_resumes_after_the_gateway_drops_and_answers_the_next_interaction() {
    let app = TestApp::spawn().await;
    let (_, resumes) = app.fake.sessions();
    app.fake.drop_gateway();
    app.fake.wait_resumed(resumes).await;
    let reply = app.fake.send(Interaction::command("help")).await;
    assert_eq!(reply.kind(), 4);
    let (identifies, _) = app.fake.sessions();
    assert_eq!(identifies, 1, "a resume, not a new session");
}

#[tokio::test]
async fn an_interaction_sent_while_the_gateway_is_down_is_answered_after_the_resume() {
    let app = TestApp::spawn().await;
    let (_, resumes) = app.fake.sessions();
    app.fake.drop_gateway();
    // Queued in the session log; replayed on RESUME.
    let token = app.fake.dispatch_interaction(&Interaction::command("principles"));
    app.fake.wait_resumed(resumes).await;
    let reply = app.fake.reply_to(&token).await;
    assert!(reply.text().contains("10."));
}

#[tokio::test]
async fn a_database_failure_gets_a_short_apology_not_silence() {
    let app = TestApp::spawn().await;
    // Break the database under the running bot.
    let pool = sqlx::SqlitePool::connect(&app.database_url()).await.unwrap();
    sqlx::query("DROP TABLE commitments").execute(&pool).await.unwrap();
    let reply = app.fake.send(Interaction::command("commitments")).await;
    assert!(reply.ephemeral());
    assert!(reply.text().contains("Something went wrong"), "{}", reply.text());
}

#[tokio::test]
async fn ctrl_c_stops_the_bot_cleanly_and_a_restart_works() {
    let mut app = TestApp::spawn().await;
    app.stop().await;
    app.start().await;
    let reply = app.fake.send(Interaction::command("help").by(MEMBER)).await;
    assert_eq!(reply.kind(), 4);
}

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_partner-coach"));
    // A clean environment: no .env from the developer's checkout, no inherited settings.
    c.env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
    c.current_dir(tempfile::tempdir().unwrap().keep());
    c
}

#[test]
fn run_without_a_token_exits_with_one_clear_line() {
    let out = bin().arg("run").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("DISCORD_TOKEN is not set") && err.contains("README"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn a_bad_database_url_or_path_is_named() {
    let out = bin().arg("run").env("DISCORD_TOKEN", TOKEN).env("DATABASE_URL", "mysql://db/x").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("DATABASE_URL") && err.contains("sqlite://") && err.contains("postgres://"), "{err}");

    // PostgreSQL where no server listens (port 1 on this machine): one line naming the URL
    // without its password and saying what is wrong, at once rather than after the pool's
    // connection timeout.
    let started = std::time::Instant::now();
    let out = bin().arg("run").env("DISCORD_TOKEN", TOKEN).env("DATABASE_URL", "postgres://bot:s3cret@127.0.0.1:1/pc").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("could not connect to PostgreSQL at DATABASE_URL=\"postgres://bot:***@127.0.0.1:1/pc\""), "{err}");
    assert!(err.contains("is PostgreSQL running"), "{err}");
    assert!(!err.contains("s3cret"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());

    let out = bin().arg("check").env("DISCORD_TOKEN", TOKEN).env("DATABASE_URL", "sqlite:///no/such/dir/x.db").output().unwrap();
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("FAIL database") && text.contains("/no/such/dir") && text.contains("does not exist"), "{text}");

    let ro = tempfile::tempdir().unwrap();
    let mut perms = std::fs::metadata(ro.path()).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o555);
    std::fs::set_permissions(ro.path(), perms).unwrap();
    let url = format!("sqlite://{}/x.db", ro.path().display());
    let out = bin().arg("check").env("DISCORD_TOKEN", TOKEN).env("DATABASE_URL", &url).output().unwrap();
    // Root ignores directory permissions; the check only means something for other users.
    if !is_root() {
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stdout).contains("cannot write"));
    }
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

#[test]
fn check_validates_settings_prompts_and_database() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/pc.db", dir.path().display());
    let out = bin().arg("check").env("DISCORD_TOKEN", TOKEN).env("DATABASE_URL", &url).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("ok   prompts") && text.contains("ok   database") && text.contains("migrated"), "{text}");
    assert!(!text.contains("c2VjcmV0"), "check printed the token");
    assert!(dir.path().join("pc.db").exists());
    // Without a token, check fails and says so.
    let out = bin().arg("check").env("DATABASE_URL", &url).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("FAIL DISCORD_TOKEN"));
}

#[test]
fn invite_url_asks_for_the_bot_and_commands_scopes_and_the_permissions_used() {
    let out = bin().arg("invite-url").env("DISCORD_TOKEN", TOKEN).output().unwrap();
    let url = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(url.contains(&format!("client_id={APP_ID}")), "{url}");
    assert!(url.contains("scope=bot%20applications.commands"));
    assert!(url.trim().ends_with("permissions=52224"), "{url}");
}

#[test]
fn every_command_has_help() {
    for sub in [&["--help"][..], &["run", "--help"], &["check", "--help"], &["invite-url", "--help"], &["principle", "--help"]] {
        let out = bin().args(sub).output().unwrap();
        assert!(out.status.success(), "{sub:?}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("Usage"), "{sub:?}");
    }
}

#[tokio::test]
async fn the_binary_never_logs_the_token_even_at_trace_level_and_stops_on_sigterm() {
    let app = TestApp::new(vec![GuildSpec::new(GUILD)]).await;
    let dir = tempfile::tempdir().unwrap();
    // Logs go to a file, not a pipe: at trace level they would fill a pipe nobody reads
    // while the test waits, and block the bot.
    let log_path = dir.path().join("bot.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_partner-coach"))
        .arg("run")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DISCORD_TOKEN", TOKEN)
        .env("DISCORD_API_URL", app.fake.api_url())
        .env("DATABASE_URL", format!("sqlite://{}/pc.db", dir.path().display()))
        .env("RUST_LOG", "trace")
        .current_dir(dir.path())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    app.fake.wait_ready().await;
    let reply = app.fake.send(Interaction::command("help")).await;
    assert_eq!(reply.kind(), 4);
    let pid = child.id().unwrap();
    Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
    let mut child = child;
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait()).await.expect("stopped on SIGTERM").unwrap();
    assert!(status.success(), "exit {status:?}");
    let logs = std::fs::read_to_string(&log_path).unwrap();
    assert!(logs.contains("stopped"), "no clean-stop line in the logs");
    assert!(logs.contains("TRACE"), "the test must run at trace level to mean something");
    let secret = TOKEN.rsplit('.').next().unwrap();
    let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
    assert!(!logs.contains(secret), "the token's secret part appears in the logs");
    assert!(!logs.to_lowercase().contains(&hex), "the token appears hex-encoded (a websocket frame dump?)");
}
