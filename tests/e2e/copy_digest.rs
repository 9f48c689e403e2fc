//! Moving to PostgreSQL changes no figure: the digest a team's data gives on SQLite is, byte
//! for byte, the one it gives after `copy-db` on PostgreSQL, in every format the command line
//! prints (JSON, text, Markdown, and the chart's PNG).

use crate::fake_discord::interactions::{GUILD, MEMBER};
use crate::fake_discord::Interaction;
use crate::helpers::{at, TestApp};

fn member(n: u64) -> u64 {
    MEMBER + n
}

/// Two weeks of a team's answers: ratings and notes from four members, commitments with
/// partners made in the first week and resolved in the second, blockers, and thanks.
async fn two_weeks(app: &TestApp) {
    app.set_time(at("2026-11-18T09:00:00Z"));
    for (n, rating) in [(0, 2), (1, 3), (2, 4), (3, 4)] {
        let note = format!("week one, member {n}");
        let c = Interaction::sub("checkin", "communication").int("rating", rating).str("went_well", &note).str("improve", "less chat");
        assert!(app.fake.send(c.by(member(n))).await.text().contains("Rating"));
        let c =
            Interaction::sub("checkin", "commitments").str("next", &format!("Deliver part {n}")).user_opt("partner", member((n + 1) % 4));
        app.fake.send(c.by(member(n))).await;
    }
    app.set_time(at("2026-11-25T09:00:00Z"));
    for (n, rating, kept) in [(0, 5, "yes"), (1, 4, "partly"), (2, 3, "no"), (3, 5, "yes")] {
        let c = Interaction::sub("checkin", "communication").int("rating", rating).str("went_well", &format!("week two, {n}"));
        app.fake.send(c.by(member(n))).await;
        let c = Interaction::sub("checkin", "commitments")
            .str("kept", kept)
            .str("next", "Next part")
            .str("blocker", &format!("waiting on {n}"));
        app.fake.send(c.by(member(n))).await;
    }
    for (from, to, principle) in [(0, 1, "4"), (2, 1, "4"), (3, 0, "6")] {
        let t = Interaction::command("thanks").user_opt("member", member(to)).str("note", "thank you").str("principle", principle);
        app.fake.send(t.by(member(from))).await;
    }
}

/// The command line's digest of 2026-W48 in `format` (the PNG's bytes for `png`).
fn digest(database_url: &str, format: &str, dir: &std::path::Path) -> Vec<u8> {
    let png = dir.join(format!("digest-{}.png", rand::random::<u32>()));
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_partner-coach"));
    cmd.args(["digest", "--guild", &GUILD.to_string(), "--week", "2026-W48", "--format", format]);
    if format == "png" {
        cmd.arg("--out").arg(&png);
    }
    let out = cmd.env_clear().env("DATABASE_URL", database_url).output().unwrap();
    assert!(out.status.success(), "digest --format {format}: {}", String::from_utf8_lossy(&out.stderr));
    if format == "png" {
        std::fs::read(&png).unwrap()
    } else {
        out.stdout
    }
}

#[tokio::test]
async fn the_digest_is_byte_for_byte_the_same_after_copy_db_to_postgres() {
    if crate::helpers::sqlite_only("copies from the SQLite database the bot wrote") {
        return;
    }
    let Some(target) = crate::postgres::database("the_digest_is_byte_for_byte_the_same_after_copy_db_to_postgres").await else {
        return;
    };
    let url = target.url.clone();
    let mut app = TestApp::spawn().await;
    two_weeks(&app).await;
    app.stop().await;
    let sqlite = app.database_url();
    let formats = ["json", "text", "markdown", "png"];
    let before: Vec<Vec<u8>> = formats.iter().map(|f| digest(&sqlite, f, app.dir.path())).collect();
    let json: serde_json::Value = serde_json::from_slice(&before[0]).unwrap();
    // The data is rich enough to mean something: every section has figures.
    assert_eq!(json["communication"]["figures"]["answers"], 4, "{json}");
    assert!(json.to_string().contains("waiting on"), "blockers quoted: {json}");

    let copy = std::process::Command::new(env!("CARGO_BIN_EXE_partner-coach"))
        .args(["copy-db", "--from", &sqlite, "--to", &url])
        .env_clear()
        .output()
        .unwrap();
    assert!(copy.status.success(), "{}", String::from_utf8_lossy(&copy.stderr));
    for (format, before) in formats.iter().zip(&before) {
        let after = digest(&url, format, app.dir.path());
        assert!(
            &after == before,
            "digest --format {format} differs after copy-db:\n--- SQLite\n{}\n--- PostgreSQL\n{}",
            String::from_utf8_lossy(before),
            String::from_utf8_lossy(&after)
        );
    }
}
