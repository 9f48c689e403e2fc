//! The command line against PostgreSQL: `copy-db` fills an empty database from the bot's
//! SQLite file (and refuses one that holds data), `check` reports the server and the schema,
//! `backup` points to pg_dump. Skipped, saying why, without a server (see
//! `scripts/with-postgres`).

use sqlx::{Connection, Executor};

use crate::fake_discord::Interaction;
use crate::helpers::TestApp;

/// A fresh database on the test server: (its URL, the admin URL, its name).
pub(crate) async fn database(test: &str) -> Option<(String, String, String)> {
    let Ok(admin) = std::env::var("PC_TEST_POSTGRES") else {
        assert!(std::env::var_os("PC_REQUIRE_POSTGRES").is_none(), "PC_REQUIRE_POSTGRES is set but PC_TEST_POSTGRES is not");
        eprintln!("{test}: skipped: no PostgreSQL server (PC_TEST_POSTGRES is not set; `scripts/with-postgres cargo test` runs it)");
        return None;
    };
    let name = format!("pc_e2e_{}_{}", std::process::id(), rand::random::<u32>());
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.unwrap();
    let base = admin.rsplit_once('/').unwrap().0.to_owned();
    Some((format!("{base}/{name}"), admin, name))
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
    let Some((url, admin, name)) = database("copy_db_moves_the_bots_data_into_an_empty_postgres_database_once").await else { return };
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
    assert_eq!(text.lines().filter(|l| l.starts_with("FAIL")).collect::<Vec<_>>(), ["FAIL DISCORD_TOKEN: DISCORD_TOKEN is not set: put your bot token in .env (see .env.example) or the environment; README.md \"Create the Discord application\" explains where to get it"], "{text}");
    // `backup` points to pg_dump instead of failing obscurely.
    let backup = cli(&["backup", "/tmp/never-written.db"], &url);
    assert!(String::from_utf8_lossy(&backup.stderr).contains("pg_dump"), "{}", String::from_utf8_lossy(&backup.stderr));

    let mut admin = sqlx::PgConnection::connect(&admin).await.unwrap();
    admin.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)"))).await.unwrap();
}

/// Drops a database [`database`] made.
pub(crate) async fn drop_database(admin: &str, name: &str) {
    let mut admin = sqlx::PgConnection::connect(admin).await.unwrap();
    admin.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)"))).await.unwrap();
}
