//! A database written by the earlier migrations (0001–0004), upgraded by [`Store::open`]
//! through every later one: nothing is lost, and what the later ones change reads right
//! through the current code: 0004's digest records re-keyed to the week they cover and new
//! columns with their defaults, 0005's rows in the server's default team with the settings
//! moved to it, 0006's focus rule (NULL for old digests). SQLite is the only backend so far;
//! the PostgreSQL issue adds its own run of this test.

use std::path::Path;

use chrono::NaiveDate;
use sqlx::migrate::Migrator;
use sqlx::{Connection, SqliteConnection};

use super::*;
use crate::domain::ids::{GuildId, TeamKey, UserId};
use crate::domain::time::IsoWeek;

/// The rows an operator's database holds after 0001–0003, as the code of that time wrote
/// them: a configured guild, its schedule and delivery records (a digest posted Monday
/// 2026-11-30, recorded under the week it was posted in), check-ins of both kinds with notes,
/// an open and a kept commitment, a member's reminder and time away.
const OLD_ROWS: &str = "
INSERT INTO guilds (guild_id, language, timezone, daily_channel_id, daily_time, daily_weekdays_only,
    digest_channel_id, digest_day, digest_time, lead_role_id, retention_weeks, created_at, updated_at)
    VALUES (1, 'vi', 'Asia/Ho_Chi_Minh', 11, '09:00', 1, 12, 'mon', '16:00', 13, 52, 1795536000, 1795536000);
INSERT INTO schedule (kind, guild_id, user_id, due_at, period_date, attempts) VALUES
    ('daily', 1, 0, 1796436000, '2026-12-05', 0), ('digest', 1, 0, 1796636000, '2026-12-07', 0),
    ('reminder', 1, 5, 1796536000, '2026-12-06', 0), ('retention', 0, 0, 1796486000, '2026-12-05', 0);
INSERT INTO deliveries (kind, guild_id, user_id, period, status, channel_id, message_id, principle, attempts, last_error, created_at, updated_at) VALUES
    ('daily', 1, 0, '2026-11-27', 'sent', 11, 900, 7, 0, NULL, 1795759200, 1795759200),
    ('digest', 1, 0, '2026-W49', 'sent', 12, 901, 4, 0, NULL, 1796029200, 1796029200),
    ('reminder', 1, 5, '2026-W48', 'failed', NULL, NULL, NULL, 1, 'HTTP 403 code 50007', 1795856000, 1795856000);
INSERT INTO checkins (guild_id, user_id, kind, local_date, iso_week, rating, outcome, went_well, improve, blocker, partner_id, created_at, updated_at) VALUES
    (1, 5, 'communication', '2026-11-24', '2026-W48', 4, NULL, 'the demo', 'fewer meetings', NULL, 6, 1795536100, 1795536100),
    (1, 6, 'communication', '2026-11-25', '2026-W48', 2, NULL, NULL, NULL, NULL, NULL, 1795622500, 1795622500),
    (1, 5, 'commitments', '2026-11-26', '2026-W48', NULL, 'kept', NULL, NULL, 'waiting on <@6>', NULL, 1795708900, 1795708900);
INSERT INTO commitments (guild_id, user_id, text, due_date, partner_id, status, created_week, resolved_week, created_at, resolved_at) VALUES
    (1, 5, 'send the draft', '2026-11-25', 6, 'kept', '2026-W48', '2026-W48', 1795536100, 1795708900),
    (1, 5, 'review the contract', '2026-12-04', NULL, 'open', '2026-W48', NULL, 1795708900, NULL);
INSERT INTO members (guild_id, user_id, timezone, remind_day, remind_time, lang, created_at, updated_at)
    VALUES (1, 5, 'Europe/Berlin', 'fri', '17:00', 'en', 1795536000, 1795536000);
INSERT INTO away (guild_id, user_id, start_date, end_date, created_at) VALUES (1, 6, '2026-11-30', '2026-12-04', 1795936000);
";

/// Every table's rows, as text, for comparing before and after.
async fn dump(conn: &mut SqliteConnection, table: &str, columns: &str) -> Vec<String> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT {columns} FROM {table} ORDER BY 1"))).fetch_all(conn).await.unwrap()
}

#[tokio::test]
async fn a_database_from_the_earlier_migrations_upgrades_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // The earlier migrations, exactly as released: the same files, so their checksums match
    // what the current migrator expects.
    let old = dir.path().join("old-migrations");
    std::fs::create_dir(&old).unwrap();
    for name in ["0001_init.sql", "0002_digest_indexes.sql", "0003_fewer_write_indexes.sql", "0004_hardening.sql"] {
        let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite").join(name);
        std::fs::copy(&from, old.join(name)).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
    }
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    let options = crate::config::database_options(&url).unwrap().create_if_missing(true);
    let mut conn = SqliteConnection::connect_with(&options).await.unwrap();
    Migrator::new(old.as_path()).await.unwrap().run_direct(None, &mut conn, false).await.unwrap();
    sqlx::raw_sql(OLD_ROWS).execute(&mut conn).await.unwrap();
    // 0004 re-keys the digest record to the week it covers; written after it, the row is as
    // that version wrote it.
    sqlx::query("UPDATE deliveries SET period = '2026-W48' WHERE kind = 'digest'").execute(&mut conn).await.unwrap();
    // Every column the old schema had, per table, to compare row for row after the upgrade.
    let guild_columns = "guild_id || language || timezone || daily_channel_id || daily_time || daily_weekdays_only || digest_channel_id || digest_day || digest_time || lead_role_id || retention_weeks || min_people";
    let tables = [
        ("guilds", guild_columns),
        ("schedule", "kind || guild_id || user_id || due_at || period_date || attempts"),
        ("checkins", "id || guild_id || user_id || kind || local_date || iso_week || coalesce(rating, '') || coalesce(outcome, '') || coalesce(went_well, '') || coalesce(improve, '') || coalesce(blocker, '') || coalesce(partner_id, '') || created_at"),
        ("commitments", "id || guild_id || user_id || text || due_date || coalesce(partner_id, '') || status || created_week || coalesce(resolved_week, '') || created_at || coalesce(resolved_at, '')"),
        ("members", "guild_id || user_id || timezone || remind_day || remind_time || lang"),
        ("away", "guild_id || user_id || start_date || end_date"),
        ("deliveries", "kind || guild_id || user_id || status || coalesce(message_id, '') || coalesce(principle, '') || coalesce(last_error, '')"),
    ];
    let mut before = Vec::new();
    for (table, columns) in tables {
        before.push(dump(&mut conn, table, columns).await);
    }
    conn.close().await.unwrap();

    let s = Store::open(crate::config::database_options(&url).unwrap()).await.unwrap();
    let mut r = s.reader().await.unwrap();
    for ((table, columns), rows) in tables.iter().zip(&before) {
        // The settings of a guild are its default team's now, beside the server's own.
        let (table, columns) = match *table {
            "guilds" => ("teams JOIN guilds USING (guild_id)", columns.to_string()),
            t => (t, columns.to_string()),
        };
        assert_eq!(&dump(&mut r, table, &columns).await, rows, "{table} changed in the upgrade");
        assert!(!rows.is_empty(), "{table} had rows to keep");
    }
    // Everything is in the default team.
    for table in ["teams", "schedule", "deliveries", "checkins", "commitments"] {
        let other: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table} WHERE team_id != 0")))
            .fetch_one(&mut *r)
            .await
            .unwrap();
        assert_eq!(other, 0, "{table}: every old row is the default team's");
    }
    let migrations: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success").fetch_one(&mut *r).await.unwrap();
    assert_eq!(migrations, 8);
    // Migration 0007: old commitments stay as they were, on no board and public; partners
    // named before it are not asked after the fact (no view, no task).
    let (private, views, tasks): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM commitments WHERE private != 0), (SELECT count(*) FROM partner_views), \
         (SELECT count(*) FROM commitment_tasks)",
    )
    .fetch_one(&mut *r)
    .await
    .unwrap();
    assert_eq!((private, views, tasks), (0, 0, 0));
    drop(r);
    assert_eq!(s.teams(GuildId(1)).await.unwrap(), vec![crate::domain::teams::Team::default_team()]);

    // The guild reads through today's code, with the new setting at its default.
    let g = s.team_settings(TeamKey::default_of(GuildId(1))).await.unwrap().unwrap();
    assert_eq!((g.min_people, g.retention_weeks, g.zone.name()), (3, 52, "Asia/Ho_Chi_Minh"));
    assert!(g.daily.is_some_and(|d| d.weekdays_only) && g.digest.is_some() && g.lead_role.is_some());
    // The digest posted Monday of W49 covered W48 and is recorded so: W49's own digest is
    // neither skipped (W49 free) nor sent twice (W48 taken).
    let digest = JobKey::team(JobKind::Digest, TeamKey::default_of(GuildId(1)));
    let covered = s.delivery(digest, "2026-W48").await.unwrap().unwrap();
    assert_eq!((covered.status, covered.message_id.map(|m| m.get())), (DeliveryStatus::Sent, Some(901)));
    assert_eq!(s.delivery(digest, "2026-W49").await.unwrap(), None);
    // 0006: the old digest still names W49's focus; it recorded no rule, so the next digest
    // has no "what happened" line for it rather than a wrong one.
    let team = TeamKey::default_of(GuildId(1));
    assert_eq!(s.week_focus(team, IsoWeek::parse("2026-W49").unwrap()).await.unwrap(), Some(4));
    assert_eq!(s.focus_signal(team, IsoWeek::parse("2026-W48").unwrap()).await.unwrap(), None);
    // Daily and reminder records keep their periods.
    assert!(s.delivery(JobKey::guild(JobKind::Daily, GuildId(1)), "2026-11-27").await.unwrap().is_some());
    assert!(s.delivery(JobKey::member(JobKind::Reminder, GuildId(1), UserId(5)), "2026-W48").await.unwrap().is_some());
    // Check-ins, commitments and the member's settings read as before.
    let open = s.open_commitments(TeamKey::default_of(GuildId(1)), UserId(5)).await.unwrap();
    assert_eq!(open.iter().map(|c| c.text.as_str()).collect::<Vec<_>>(), vec!["review the contract"]);
    assert_eq!(s.member_settings(GuildId(1), UserId(5)).await.unwrap().reminder.map(|r| r.time.to_string()), Some("17:00".into()));
    let spans = DigestSpans {
        week: IsoWeek::parse("2026-W48").unwrap(),
        overdue_before: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
        members_from: IsoWeek::parse("2026-W44").unwrap(),
        away: (NaiveDate::from_ymd_opt(2026, 11, 16).unwrap(), NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()),
        posts: (NaiveDate::from_ymd_opt(2026, 10, 26).unwrap(), NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()),
    };
    let reads = s.digest_reads(TeamKey::default_of(GuildId(1)), spans).await.unwrap();
    assert_eq!((reads.this.people.ratings, reads.this.people.resolved, reads.this.ratings), (2, 1, [0, 1, 0, 1, 0]));
    // An old check-in, with no record of what it changed, is undone alone: the commitment it
    // resolved stays resolved, rather than a guess reopening the wrong one.
    let undone = s
        .undo_last_checkin(TeamKey::default_of(GuildId(1)), UserId(5), NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(), chrono::Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((undone.reopened, undone.removed), (None, None));
    assert_eq!(s.open_commitments(TeamKey::default_of(GuildId(1)), UserId(5)).await.unwrap().len(), 1);
}
