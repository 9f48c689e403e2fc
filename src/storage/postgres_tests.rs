//! The PostgreSQL schema against SQLite's: both backends' migrations must build the same
//! tables, columns, keys and indexes (migrations/sqlite and migrations/postgres, the same
//! numbers and meaning). Run against a real server: `scripts/with-postgres cargo test` starts
//! a throwaway one; without one these tests say they were skipped and why, and in CI
//! (`PC_REQUIRE_POSTGRES=1`) they fail instead.

use std::collections::BTreeSet;

use sqlx::{Connection, Executor};

/// A fresh database on the test server, dropped by [`TestDatabase::drop_now`].
pub(crate) struct TestDatabase {
    admin: String,
    name: String,
    /// Its URL.
    pub url: String,
}

impl TestDatabase {
    /// A new, empty database, or `None` (with the reason printed) when no server is given.
    pub(crate) async fn create(test: &str) -> Option<Self> {
        let Ok(admin) = std::env::var("PC_TEST_POSTGRES") else {
            assert!(
                std::env::var_os("PC_REQUIRE_POSTGRES").is_none(),
                "PC_REQUIRE_POSTGRES is set but PC_TEST_POSTGRES is not: run the tests with scripts/with-postgres"
            );
            eprintln!("{test}: skipped: no PostgreSQL server (PC_TEST_POSTGRES is not set; `scripts/with-postgres cargo test` runs it)");
            return None;
        };
        let name = format!("pc_test_{}_{}", std::process::id(), rand::random::<u32>());
        let mut conn = sqlx::PgConnection::connect(&admin).await.expect("the test server answers");
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.expect("a test database");
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        Some(Self { url: format!("{base}/{name}"), admin, name })
    }

    /// Drops it (connections to it closed first).
    pub(crate) async fn drop_now(self) {
        let mut conn = sqlx::PgConnection::connect(&self.admin).await.expect("the test server answers");
        conn.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))).await.expect("dropped");
    }
}

/// Tables with their columns, primary keys and index names, as a comparable description.
#[derive(Debug, Default, PartialEq, Eq)]
struct Schema {
    columns: BTreeSet<(String, String)>,
    primary_keys: BTreeSet<(String, String)>,
    indexes: BTreeSet<(String, String)>,
}

async fn sqlite_schema() -> Schema {
    let (store, _dir) = super::test_support::store().await;
    let mut r = store.reader().await.unwrap();
    let mut s = Schema::default();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(&mut *r)
    .await
    .unwrap();
    for t in tables {
        let cols: Vec<(i64, String, String, i64, Option<String>, i64)> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("PRAGMA table_info({t})"))).fetch_all(&mut *r).await.unwrap();
        for (_, name, _, _, _, pk) in cols {
            if pk > 0 {
                s.primary_keys.insert((t.clone(), name.clone()));
            }
            s.columns.insert((t.clone(), name));
        }
        let idx: Vec<String> =
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL")
                .bind(&t)
                .fetch_all(&mut *r)
                .await
                .unwrap();
        s.indexes.extend(idx.into_iter().map(|i| (t.clone(), i)));
    }
    s
}

async fn postgres_schema(url: &str) -> Schema {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    let mut s = Schema::default();
    let cols: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name != '_sqlx_migrations'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    s.columns.extend(cols);
    let pks: Vec<(String, String)> = sqlx::query_as(
        "SELECT tc.table_name::text, kcu.column_name::text FROM information_schema.table_constraints tc \
         JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema \
         WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = 'public' AND tc.table_name != '_sqlx_migrations'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    s.primary_keys.extend(pks);
    // Primary keys are indexes of their own in PostgreSQL and implicit in SQLite: compared
    // above as keys, left out here.
    let idx: Vec<(String, String)> = sqlx::query_as(
        "SELECT tablename::text, indexname::text FROM pg_indexes WHERE schemaname = 'public' \
         AND tablename != '_sqlx_migrations' AND indexname NOT LIKE '%_pkey'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    s.indexes.extend(idx);
    conn.close().await.unwrap();
    s
}

#[tokio::test]
async fn both_backends_have_the_same_migrations_by_number_and_name() {
    let names = |dir: &str| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        v.sort();
        v
    };
    assert_eq!(names("migrations/sqlite"), names("migrations/postgres"));
}

#[tokio::test]
async fn the_postgres_migrations_build_the_sqlite_schema() {
    let Some(db) = TestDatabase::create("the_postgres_migrations_build_the_sqlite_schema").await else { return };
    {
        let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
        sqlx::migrate!("./migrations/postgres").run(&mut conn).await.expect("the PostgreSQL migrations apply");
        // And again: nothing left to apply, nothing fails.
        sqlx::migrate!("./migrations/postgres").run(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    }
    let (lite, pg) = (sqlite_schema().await, postgres_schema(&db.url).await);
    db.drop_now().await;
    assert!(lite.columns.len() > 100 && lite.indexes.len() > 20, "the SQLite schema was read: {lite:?}");
    let only = |a: &BTreeSet<(String, String)>, b: &BTreeSet<(String, String)>| a.difference(b).cloned().collect::<Vec<_>>();
    assert_eq!(
        (only(&lite.columns, &pg.columns), only(&pg.columns, &lite.columns)),
        (vec![], vec![]),
        "columns only in (SQLite, PostgreSQL)"
    );
    assert_eq!(lite.primary_keys, pg.primary_keys, "primary keys");
    assert_eq!(
        (only(&lite.indexes, &pg.indexes), only(&pg.indexes, &lite.indexes)),
        (vec![], vec![]),
        "indexes only in (SQLite, PostgreSQL)"
    );
}

#[tokio::test]
async fn sqlite_takes_numbered_dollar_placeholders_as_postgres_does() {
    // The two backends share SQL text written with `$1, $2, …`: sqlx's SQLite driver binds
    // them by number as PostgreSQL does, reuse and order included.
    let (store, _dir) = super::test_support::store().await;
    let (a, b): (i64, String) =
        sqlx::query_as("SELECT $2 + $2, $1").bind("x").bind(20_i64).fetch_one(&mut *store.reader().await.unwrap()).await.unwrap();
    assert_eq!((a, b.as_str()), (40, "x"));
}

/// A table's rows as text (`'∅'` for NULL), sorted, in PostgreSQL.
async fn pg_dump(conn: &mut sqlx::PgConnection, table: &str, columns: &[&str]) -> Vec<String> {
    let row = columns.iter().map(|c| format!("coalesce({c}::text, '∅')")).collect::<Vec<_>>().join(", ");
    let mut rows: Vec<String> =
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT concat_ws('|', {row}) FROM {table}"))).fetch_all(conn).await.unwrap();
    rows.sort();
    rows
}

#[tokio::test]
async fn a_postgres_database_from_the_earlier_migrations_upgrades_and_loses_nothing() {
    use super::upgrade_tests::{old_migrations, OLD_ROWS, TABLES_AT_0006, TEAM_ROWS};
    let Some(db) = TestDatabase::create("a_postgres_database_from_the_earlier_migrations_upgrades_and_loses_nothing").await else { return };
    let dir = tempfile::tempdir().unwrap();
    let old = sqlx::migrate::Migrator::new(old_migrations("postgres", dir.path(), 6).as_path()).await.unwrap();
    let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
    // The rows of the code before 0004 (flags as PostgreSQL writes them), then 0004–0006 run
    // over them (0004 re-keys the digest record to the week it covers, 0005 moves the
    // settings to the default team), then the rows of 0005–0006's code.
    old.run_direct(Some(3), &mut conn, false).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(OLD_ROWS.replace("'09:00', 1, 12", "'09:00', TRUE, 12"))).execute(&mut conn).await.unwrap();
    old.run_direct(Some(6), &mut conn, false).await.unwrap();
    sqlx::raw_sql(TEAM_ROWS).execute(&mut conn).await.unwrap();
    let mut before = Vec::new();
    for (table, columns) in TABLES_AT_0006 {
        before.push(pg_dump(&mut conn, table, columns).await);
    }
    conn.close().await.unwrap();

    let s = super::Store::open_postgres(&db.url).await.unwrap();
    let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
    for ((table, columns), rows) in TABLES_AT_0006.iter().zip(&before) {
        assert_eq!(&pg_dump(&mut conn, table, columns).await, rows, "{table} changed by the later migrations");
        assert!(!rows.is_empty(), "{table} had rows to keep");
    }
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success").fetch_one(&mut conn).await.unwrap();
    assert_eq!(applied as usize, super::POSTGRES_MIGRATOR.iter().count(), "every migration applied");
    // 0007: new columns at their defaults; partners named before are not asked after the fact.
    let (private, views): (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM commitments WHERE private), (SELECT count(*) FROM partner_views)")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!((private, views), (0, 0));
    // New rows continue after the old ids (identity columns never reuse one).
    let next: i64 = sqlx::query_scalar(
        "INSERT INTO commitments (guild_id, user_id, text, due_date, created_week, created_at) VALUES (1, 5, 'new', '2026-12-11', '2026-W50', 0) RETURNING id",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    let max_old: i64 = sqlx::query_scalar("SELECT max(id) FROM commitments WHERE text != 'new'").fetch_one(&mut conn).await.unwrap();
    assert!(next > max_old);
    conn.close().await.unwrap();

    // What 0004 and 0005 changed reads through today's code on PostgreSQL.
    use crate::domain::ids::{GuildId, TeamKey, UserId};
    use crate::storage::{DeliveryStatus, JobKey, JobKind};
    let team = TeamKey::default_of(GuildId(1));
    let g = s.team_settings(team).await.unwrap().unwrap();
    assert_eq!((g.zone.name(), g.retention_weeks, g.min_people), ("Asia/Ho_Chi_Minh", 52, 3));
    assert!(g.daily.is_some_and(|d| d.weekdays_only) && g.digest.is_some() && g.lead_role.is_some());
    let digest = JobKey::team(JobKind::Digest, team);
    let covered = s.delivery(digest, "2026-W48").await.unwrap().unwrap();
    assert_eq!((covered.status, covered.message_id.map(|m| m.get())), (DeliveryStatus::Sent, Some(901)), "re-keyed by 0004");
    assert_eq!(s.delivery(digest, "2026-W49").await.unwrap(), None);
    assert_eq!(s.member_settings(GuildId(1), UserId(5)).await.unwrap().reminder.map(|r| r.time.to_string()), Some("17:00".into()));
    s.close().await;
    db.drop_now().await;
}

/// A member with a zone and a reminder job, on a fresh PostgreSQL store.
async fn member_with_job(test: &str) -> Option<(TestDatabase, super::Store, super::JobKey)> {
    use crate::domain::ids::{GuildId, UserId};
    let db = TestDatabase::create(test).await?;
    let s = super::Store::open_postgres(&db.url).await.unwrap();
    let now = chrono::Utc::now();
    let key = super::JobKey::member(super::JobKind::Reminder, GuildId(1), UserId(2));
    let zone = crate::domain::time::Zone::parse("Europe/Berlin").unwrap();
    s.set_member_zone(GuildId(1), UserId(2), zone, Some(super::JobUpdate::new(key, now, now.date_naive())), now).await.unwrap();
    Some((db, s, key))
}

#[tokio::test]
async fn a_transaction_that_loses_a_deadlock_is_run_again_and_succeeds() {
    use crate::domain::ids::{GuildId, UserId};
    let Some((db, s, key)) = member_with_job("a_transaction_that_loses_a_deadlock_is_run_again_and_succeeds").await else { return };
    // Another client holds the job's row, then wants the member's: the bot's zone change takes
    // the member's row, then wants the job's. PostgreSQL finds the cycle after its deadlock
    // timeout and rolls back the bot's transaction, which waited first.
    let mut other = sqlx::PgConnection::connect(&db.url).await.unwrap();
    other.execute("BEGIN").await.unwrap();
    other.execute("UPDATE schedule SET attempts = 5 WHERE kind = 'reminder'").await.unwrap();
    let bot = s.clone();
    let change = tokio::spawn(async move {
        let now = chrono::Utc::now();
        let zone = crate::domain::time::Zone::parse("Asia/Ho_Chi_Minh").unwrap();
        bot.set_member_zone(GuildId(1), UserId(2), zone, Some(super::JobUpdate::new(key, now, now.date_naive())), now).await
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // Blocks on the bot's row until the deadlock is resolved in its favour.
    other.execute("UPDATE members SET lang = 'vi' WHERE user_id = 2").await.unwrap();
    other.execute("COMMIT").await.unwrap();
    change.await.unwrap().expect("run again once the other client committed");
    let (zone, attempts): (String, i64) =
        sqlx::query_as("SELECT m.timezone, s.attempts FROM members m, schedule s WHERE m.user_id = 2 AND s.kind = 'reminder'")
            .fetch_one(&mut other)
            .await
            .unwrap();
    assert_eq!((zone.as_str(), attempts), ("Asia/Ho_Chi_Minh", 0), "the bot's change, made after the other client's");
    s.close().await;
    db.drop_now().await;
}

#[tokio::test]
async fn a_lock_held_past_the_busy_timeout_is_reported_as_busy() {
    use crate::domain::ids::{GuildId, UserId};
    let Some((db, s, key)) = member_with_job("a_lock_held_past_the_busy_timeout_is_reported_as_busy").await else { return };
    // An operator's session keeps the schedule locked longer than the bot waits for a lock.
    let mut other = sqlx::PgConnection::connect(&db.url).await.unwrap();
    other.execute("BEGIN").await.unwrap();
    other.execute("LOCK TABLE schedule IN ACCESS EXCLUSIVE MODE").await.unwrap();
    let now = chrono::Utc::now();
    let zone = crate::domain::time::Zone::parse("Asia/Ho_Chi_Minh").unwrap();
    let e = s.set_member_zone(GuildId(1), UserId(2), zone, Some(super::JobUpdate::new(key, now, now.date_naive())), now).await.unwrap_err();
    assert!(super::is_busy(&e), "{e:?}");
    other.execute("ROLLBACK").await.unwrap();
    // Nothing of it was written, and the next change goes through.
    assert_eq!(s.member_settings(GuildId(1), UserId(2)).await.unwrap().zone.map(|z| z.name().to_owned()).as_deref(), Some("Europe/Berlin"));
    s.set_member_zone(GuildId(1), UserId(2), zone, None, now).await.unwrap();
    s.close().await;
    db.drop_now().await;
}
