//! The command line against PostgreSQL: `copy-db` fills an empty database from the bot's
//! SQLite file (and refuses one that holds data), `check` reports the server and the schema,
//! `backup` points to pg_dump. Skipped, saying why, without a server (see
//! `scripts/with-postgres`).

use sqlx::Connection;

use crate::fake_discord::Interaction;
use crate::helpers::{sqlite_only, PgDatabase, TestApp};

/// A fresh database on the test server, or `None` (saying why) without one.
pub(crate) async fn database(test: &str) -> Option<PgDatabase> {
    let db = PgDatabase::create_if_available().await;
    if db.is_none() {
        eprintln!("{test}: skipped: no PostgreSQL server (PC_TEST_POSTGRES is not set; `scripts/with-postgres cargo test` runs it)");
    }
    db
}

fn cli(args: &[&str], database_url: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_partner-coach"))
        .args(args)
        .env_clear()
        .env("DATABASE_URL", database_url)
        .output()
        .unwrap()
}

#[tokio::test]
async fn copy_db_moves_the_bots_data_into_an_empty_postgres_database_once() {
    if sqlite_only("copies from the SQLite database the bot wrote") {
        return;
    }
    let Some(target) = database("copy_db_moves_the_bots_data_into_an_empty_postgres_database_once").await else { return };
    let url = target.url.clone();
    let mut app = TestApp::spawn().await;
    app.fake.send(Interaction::sub("checkin", "communication").int("rating", 4).str("went_well", "it's \"fine\"")).await;
    app.fake.send(Interaction::sub("checkin", "commitments").str("next", "Ship it")).await;
    app.stop().await;
    let sqlite = app.database_url();

    let out = cli(&["copy-db", "--from", &sqlite, "--to", &url], &sqlite);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("every table's row count matches"), "{stdout}");
    let line = |table: &str| stdout.lines().find(|l| l.starts_with(&format!("{table} "))).unwrap_or_default().to_owned();
    // The pre-teams rows of every test database plus the two check-ins above.
    assert!(
        line("checkins").ends_with(&format!("{} ->          {}", crate::helpers::OLD_CHECKINS + 2, crate::helpers::OLD_CHECKINS + 2)),
        "{stdout}"
    );
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    let note: String = sqlx::query_scalar("SELECT went_well FROM checkins WHERE went_well LIKE 'it%'").fetch_one(&mut conn).await.unwrap();
    assert_eq!(note, "it's \"fine\"", "text copied exactly");
    conn.close().await.unwrap();

    // Again into the same database: refused, nothing changed.
    let again = cli(&["copy-db", "--from", &sqlite, "--to", &url], &sqlite);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds data"), "{}", String::from_utf8_lossy(&again.stderr));
    // Wrong directions are refused with the form expected.
    let wrong = cli(&["copy-db", "--from", &url, "--to", &sqlite], &sqlite);
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("copies from a SQLite database"));

    // `check` on the PostgreSQL URL: the backend, the server's version and the schema, and
    // the copied rows; it passes (a token is all it lacks, which `cli` leaves out).
    let check = cli(&["check"], &url);
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(text.contains("ok   backend: PostgreSQL 1"), "{text}");
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres")).unwrap().count();
    assert!(text.contains(&format!("ok   database: schema current ({migrations} of {migrations} migrations applied)")), "{text}");
    assert!(text.contains(&format!("{} check-ins", crate::helpers::OLD_CHECKINS + 2)), "{text}");
    assert!(text.contains(":***@") && !text.contains(crate::helpers::TEST_DATABASE_PASSWORD), "{text}");
    assert_eq!(text.lines().filter(|l| l.starts_with("FAIL")).collect::<Vec<_>>(), ["FAIL DISCORD_TOKEN: DISCORD_TOKEN is not set: put your bot token in .env (see .env.example) or the environment; README.md \"Create the Discord application\" explains where to get it"], "{text}");
    // `backup` points to pg_dump instead of failing obscurely.
    let backup = cli(&["backup", "/tmp/never-written.db"], &url);
    assert!(String::from_utf8_lossy(&backup.stderr).contains("pg_dump"), "{}", String::from_utf8_lossy(&backup.stderr));
}

#[tokio::test]
async fn check_on_postgres_reports_the_server_and_the_schema_and_passes() {
    let Some(db) = database("check_on_postgres_reports_the_server_and_the_schema_and_passes").await else { return };
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_partner-coach"))
        .arg("check")
        .env_clear()
        .env("DISCORD_TOKEN", crate::fake_discord::TOKEN)
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("ok   backend: PostgreSQL 1"), "{text}");
    assert!(text.contains("schema current") && text.contains("0 guilds, 0 check-ins, 0 commitments"), "{text}");
    assert!(!text.contains(crate::helpers::TEST_DATABASE_PASSWORD), "{text}");

    // A database that does not exist on a server that does: one FAIL line that says so.
    let missing = db.url.replace("/pc_e2e_", "/pc_missing_");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_partner-coach"))
        .arg("check")
        .env_clear()
        .env("DISCORD_TOKEN", crate::fake_discord::TOKEN)
        .env("DATABASE_URL", &missing)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    let fail = text.lines().find(|l| l.starts_with("FAIL database")).unwrap_or_else(|| panic!("{text}"));
    assert!(fail.contains("does not exist") && fail.contains("createdb"), "{fail}");
    assert!(!fail.contains(crate::helpers::TEST_DATABASE_PASSWORD), "{fail}");
}
