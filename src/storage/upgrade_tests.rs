//! A database written by the earlier migrations (0001–0004), upgraded by [`Store::open`]
//! through every later one: nothing is lost, and what the later ones change reads right
//! through the current code: 0004's digest records re-keyed to the week they cover and new
//! columns with their defaults, 0005's rows in the server's default team with the settings
//! moved to it, 0006's focus rule (NULL for old digests); then rows the code of 0005–0006
//! wrote (a named team with its members, holiday, check-in, commitment and digest record)
//! through 0007 (which rebuilds `commitments`) and 0008. `postgres_tests.rs` runs the same
//! history on PostgreSQL. A database at 0008 with rows in every table 0007–0008 made goes
//! through 0009–0012 (claims, interaction claims, late posts, the identify window) on both
//! backends, every column of every row kept and its old work claimed by today's code.

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
pub(super) const OLD_ROWS: &str = "
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

/// Rows the code of 0005–0006 wrote: a team with a role and home channel, a member who
/// joined it, its holiday, a commitments check-in and the commitment it made (undo names
/// it), and the team's digest record with the rule that chose its focus. Portable SQL.
pub(super) const TEAM_ROWS: &str = "
INSERT INTO teams (guild_id, team_id, name, name_key, role_id, home_channel_id, timezone, created_at, updated_at)
    VALUES (1, 3, 'Design', 'design', 30, 31, 'UTC', 1795900000, 1795900000);
INSERT INTO team_members (guild_id, user_id, team_id, joined_at) VALUES (1, 7, 3, 1795900000);
INSERT INTO team_pauses (guild_id, team_id, start_date, end_date, created_at) VALUES (1, 3, '2026-12-21', '2026-12-31', 1795900000);
INSERT INTO checkins (guild_id, team_id, user_id, kind, local_date, iso_week, created_at, updated_at)
    VALUES (1, 3, 7, 'commitments', '2026-12-01', '2026-W49', 1795990000, 1795990000);
INSERT INTO commitments (guild_id, team_id, user_id, text, due_date, partner_id, status, created_week, created_at, made_by_checkin)
    VALUES (1, 3, 7, 'ship the mockups', '2026-12-04', 5, 'open', '2026-W49', 1795990000, (SELECT max(id) FROM checkins));
INSERT INTO deliveries (kind, guild_id, team_id, user_id, period, status, channel_id, message_id, principle, focus_rule, focus_value, created_at, updated_at)
    VALUES ('digest', 1, 3, 0, '2026-W48', 'sent', 31, 902, 5, 'many_overdue', 3.5, 1796029300, 1796029300);
";

/// Every column of every table as 0006 left them: what 0007 and 0008 must keep.
pub(super) const TABLES_AT_0006: &[(&str, &[&str])] = &[
    ("guilds", &["guild_id", "retention_weeks", "left_at", "created_at", "min_people"]),
    (
        "teams",
        &[
            "guild_id",
            "team_id",
            "name",
            "name_key",
            "role_id",
            "home_channel_id",
            "language",
            "timezone",
            "daily_channel_id",
            "daily_time",
            "daily_weekdays_only",
            "digest_channel_id",
            "digest_day",
            "digest_time",
            "lead_role_id",
            "created_at",
        ],
    ),
    ("team_members", &["guild_id", "user_id", "team_id", "joined_at"]),
    ("team_pauses", &["guild_id", "team_id", "start_date", "end_date"]),
    ("schedule", &["kind", "guild_id", "team_id", "user_id", "due_at", "period_date", "attempts"]),
    (
        "deliveries",
        &[
            "kind",
            "guild_id",
            "team_id",
            "user_id",
            "period",
            "status",
            "channel_id",
            "message_id",
            "principle",
            "attempts",
            "last_error",
            "focus_rule",
            "focus_value",
        ],
    ),
    (
        "checkins",
        &[
            "id",
            "guild_id",
            "team_id",
            "user_id",
            "kind",
            "local_date",
            "iso_week",
            "rating",
            "outcome",
            "went_well",
            "improve",
            "blocker",
            "partner_id",
            "created_at",
            "revision",
        ],
    ),
    (
        "commitments",
        &[
            "id",
            "guild_id",
            "team_id",
            "user_id",
            "text",
            "due_date",
            "partner_id",
            "status",
            "created_week",
            "resolved_week",
            "created_at",
            "resolved_at",
            "made_by_checkin",
            "resolved_by_checkin",
        ],
    ),
    ("members", &["guild_id", "user_id", "timezone", "remind_day", "remind_time", "lang"]),
    ("away", &["guild_id", "user_id", "start_date", "end_date"]),
];

/// A table's rows as text (`'∅'` for NULL), sorted, in SQLite.
async fn dump_columns(conn: &mut SqliteConnection, table: &str, columns: &[&str]) -> Vec<String> {
    let row = columns.iter().map(|c| format!("coalesce(CAST({c} AS TEXT), '∅')")).collect::<Vec<_>>().join(" || '|' || ");
    let mut rows: Vec<String> =
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT {row} FROM {table}"))).fetch_all(conn).await.unwrap();
    rows.sort();
    rows
}

/// The earlier migrations `0001..=last`, exactly as released (the same files, so their
/// checksums match what the current migrator expects), in a folder of their own.
pub(super) fn old_migrations(backend: &str, dir: &Path, last: u32) -> std::path::PathBuf {
    let old = dir.join(format!("old-{backend}-migrations"));
    std::fs::create_dir(&old).unwrap();
    let all = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
    for entry in std::fs::read_dir(&all).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.get(..4).and_then(|n| n.parse::<u32>().ok()).is_some_and(|n| n <= last) {
            std::fs::copy(all.join(&name), old.join(&name)).unwrap();
        }
    }
    old
}

/// Every table's rows, as text, for comparing before and after.
async fn dump(conn: &mut SqliteConnection, table: &str, columns: &str) -> Vec<String> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT {columns} FROM {table} ORDER BY 1"))).fetch_all(conn).await.unwrap()
}

#[tokio::test]
async fn a_database_from_the_earlier_migrations_upgrades_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let old = Migrator::new(old_migrations("sqlite", dir.path(), 6).as_path()).await.unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    let options = crate::config::database_options(&url).unwrap().create_if_missing(true);
    let mut conn = SqliteConnection::connect_with(&options).await.unwrap();
    old.run_direct(Some(4), &mut conn, false).await.unwrap();
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
    // Then 0005–0006 as released, and what their code wrote.
    old.run_direct(Some(6), &mut conn, false).await.unwrap();
    sqlx::raw_sql(TEAM_ROWS).execute(&mut conn).await.unwrap();
    let mut at_0006 = Vec::new();
    for (table, columns) in TABLES_AT_0006 {
        at_0006.push(dump_columns(&mut conn, table, columns).await);
    }
    conn.close().await.unwrap();

    let s = Store::open(crate::config::database_options(&url).unwrap()).await.unwrap();
    let mut r = s.reader().await.unwrap();
    for ((table, columns), rows) in tables.iter().zip(&before) {
        // The settings of a guild are its default team's now, beside the server's own.
        // Rows written after teams (TEAM_ROWS) are compared below, with every column.
        let table = match *table {
            "guilds" => "teams JOIN guilds USING (guild_id) WHERE team_id = 0".to_owned(),
            t @ ("schedule" | "deliveries" | "checkins" | "commitments") => format!("{t} WHERE team_id = 0"),
            t => t.to_owned(),
        };
        let (table, columns) = (table.as_str(), columns.to_string());
        assert_eq!(&dump(&mut r, table, &columns).await, rows, "{table} changed in the upgrade");
        assert!(!rows.is_empty(), "{table} had rows to keep");
    }
    // Every column of every row as 0006 left it, through 0007's rebuild of `commitments`.
    for ((table, columns), rows) in TABLES_AT_0006.iter().zip(&at_0006) {
        assert_eq!(&dump_columns(&mut r, table, columns).await, rows, "{table} changed by the later migrations");
        assert!(!rows.is_empty(), "{table} had rows to keep");
    }
    // Every row from before teams was found above under `team_id = 0`: 0005 put them all in
    // the default team.
    let migrations: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success").fetch_one(&mut *r).await.unwrap();
    assert_eq!(migrations as usize, super::MIGRATOR.iter().count(), "every migration applied");
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
    let teams = s.teams(GuildId(1)).await.unwrap();
    assert_eq!(teams.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), vec!["default", "Design"]);
    // The named team's commitment reads through today's code, and 0007's ids are never
    // reused: a commitment made after its undo gets a new one.
    let design = TeamKey::new(GuildId(1), crate::domain::ids::TeamId(3));
    let mockups = s.open_commitments(design, UserId(7)).await.unwrap();
    assert_eq!(mockups.iter().map(|c| (c.text.as_str(), c.partner)).collect::<Vec<_>>(), vec![("ship the mockups", Some(UserId(5)))]);
    let undone = s.undo_last_checkin(design, UserId(7), NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(), chrono::Utc::now()).await.unwrap();
    assert_eq!(undone.and_then(|u| u.removed).as_deref(), Some("ship the mockups"), "undo still names what the old check-in made");
    let ctx = CheckinContext {
        guild: GuildId(1),
        team: crate::domain::ids::TeamId(3),
        user: UserId(7),
        local_date: NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
        week: IsoWeek::parse("2026-W49").unwrap(),
        now: chrono::Utc::now(),
    };
    let next = NewCommitment { text: "again".into(), due: NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(), ..Default::default() };
    let c = CommitmentCheckin { kept: None, which: None, next: Some(next), blocker: None, partner: None };
    let again = s.record_commitment_checkin(ctx, &c).await.unwrap().new_commitment.unwrap();
    assert!(again > mockups[0].id, "{again} reused {}", mockups[0].id);
    let focus = s.focus_signal(design, IsoWeek::parse("2026-W48").unwrap()).await.unwrap();
    assert_eq!(focus, Some(("many_overdue".to_owned(), 3.5)), "0006's record of the rule that chose the focus");

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

/// Rows the code of 0007–0008 wrote, in the tables those migrations made (which the later
/// ones alter): a private commitment to a partner who agreed, its pending "was it kept?" task,
/// a board message to delete and its record, a proposal with a vote, a thank-you queued to
/// post. Portable SQL (SQLite reads TRUE as 1).
const PARTNER_ROWS: &str = "
INSERT INTO commitments (guild_id, team_id, user_id, text, due_date, partner_id, status, created_week, created_at, private)
    VALUES (2, 0, 20, 'call the vendor', '2026-12-09', 21, 'open', '2026-W50', 1796600000, TRUE);
INSERT INTO partner_views (commitment_id, guild_id, team_id, user_id, partner_id, agreement, agreed_at, created_at)
    VALUES ((SELECT max(id) FROM commitments), 2, 0, 20, 21, 'agreed', 1796600100, 1796600000);
INSERT INTO commitment_tasks (commitment_id, task, guild_id, team_id, due_at, later_at, attempts, queued)
    VALUES ((SELECT max(id) FROM commitments), 'check', 2, 0, 1796900000, 1796900000, 1, 2);
INSERT INTO board_removals (channel_id, message_id, guild_id, due_at, attempts) VALUES (70, 71, 2, 1796600000, 3);
INSERT INTO deliveries (kind, guild_id, team_id, user_id, period, status, channel_id, message_id, attempts, created_at, updated_at)
    VALUES ('board', 2, 0, 20, '77', 'sent', 73, 74, 0, 1796600000, 1796600000);
INSERT INTO charter_items (guild_id, team_id, kind, text, author_id, status, proposed_at, expires_at, channel_id)
    VALUES (2, 0, 'agreement', 'reply within a day', 20, 'proposed', 1796600000, 1797800000, 72);
INSERT INTO charter_votes (item_id, guild_id, user_id, vote, voted_at) VALUES ((SELECT max(id) FROM charter_items), 2, 21, 'agree', 1796600200);
INSERT INTO thanks (guild_id, team_id, from_id, to_id, note, principle, local_date, iso_week, channel_id, created_at)
    VALUES (2, 0, 21, 20, 'thanks for the demo', 4, '2026-12-07', '2026-W50', 72, 1796600300);
INSERT INTO team_posts (kind, ref_id, guild_id, team_id, due_at, attempts, queued) VALUES ('thanks', (SELECT max(id) FROM thanks), 2, 0, 1796600300, 0, 0);
INSERT INTO schedule (kind, guild_id, team_id, user_id, due_at, period_date, attempts) VALUES ('daily', 2, 0, 0, 1796600000, '2026-12-07', 0);
";

/// Every column of the tables 0009–0012 alter, and of those 0007–0008 made, as 0008 left them.
const TABLES_AT_0008: &[(&str, &str)] = &[
    ("commitments", "id, guild_id, team_id, user_id, text, due_date, partner_id, status, created_week, created_at, private"),
    (
        "partner_views",
        "commitment_id, guild_id, team_id, user_id, partner_id, agreement, agreed_at, verdict, verdict_at, unreachable, created_at",
    ),
    ("commitment_tasks", "commitment_id, task, guild_id, team_id, due_at, later_at, attempts, queued"),
    ("board_removals", "channel_id, message_id, guild_id, due_at, attempts"),
    ("deliveries", "kind, guild_id, team_id, user_id, period, status, channel_id, message_id, attempts, created_at, updated_at"),
    ("charter_items", "id, guild_id, team_id, kind, text, author_id, status, proposed_at, expires_at, channel_id"),
    ("charter_votes", "item_id, guild_id, user_id, vote, voted_at"),
    ("thanks", "id, guild_id, team_id, from_id, to_id, note, principle, local_date, iso_week, channel_id, created_at"),
    ("team_posts", "kind, ref_id, guild_id, team_id, due_at, attempts, queued"),
    ("schedule", "kind, guild_id, team_id, user_id, due_at, period_date, attempts"),
];

/// `SELECT` of a table's rows as text (`'∅'` for NULL), in SQL both backends read alike.
fn dump_sql(table: &str, columns: &str) -> String {
    let row = columns.split(", ").map(|c| format!("coalesce(CAST({c} AS TEXT), '∅')")).collect::<Vec<_>>().join(" || '|' || ");
    format!("SELECT {row} FROM {table} WHERE guild_id = 2")
}

#[tokio::test]
async fn a_database_from_0008_keeps_every_row_through_the_claims_and_its_old_work_is_claimed() {
    for (url, dir) in super::test_support::database_urls("a_database_from_0008_keeps_every_row_through_the_claims").await {
        let scratch = tempfile::tempdir().unwrap();
        let postgres = is_postgres_url(&url);
        let old = Migrator::new(old_migrations(if postgres { "postgres" } else { "sqlite" }, scratch.path(), 8).as_path()).await.unwrap();
        // 0001–0008 as released, the rows of their code, and every row as text.
        let mut before = Vec::new();
        if postgres {
            let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
            old.run_direct(None, &mut conn, false).await.unwrap();
            sqlx::raw_sql(PARTNER_ROWS).execute(&mut conn).await.unwrap();
            for (table, columns) in TABLES_AT_0008 {
                let mut rows: Vec<String> =
                    sqlx::query_scalar(sqlx::AssertSqlSafe(dump_sql(table, columns))).fetch_all(&mut conn).await.unwrap();
                rows.sort();
                before.push(rows);
            }
            conn.close().await.unwrap();
        } else {
            let options = crate::config::database_options(&url).unwrap().create_if_missing(true);
            let mut conn = SqliteConnection::connect_with(&options).await.unwrap();
            old.run_direct(None, &mut conn, false).await.unwrap();
            sqlx::raw_sql(PARTNER_ROWS).execute(&mut conn).await.unwrap();
            for (table, columns) in TABLES_AT_0008 {
                let mut rows: Vec<String> =
                    sqlx::query_scalar(sqlx::AssertSqlSafe(dump_sql(table, columns))).fetch_all(&mut conn).await.unwrap();
                rows.sort();
                before.push(rows);
            }
            conn.close().await.unwrap();
        }

        // The current code opens it, running 0009–0012 over those rows.
        let s = Store::connect(&url).await.unwrap();
        let migrations = super::test_support::int(&s, "SELECT count(*) FROM _sqlx_migrations WHERE success").await;
        let total = if postgres { POSTGRES_MIGRATOR.iter().count() } else { MIGRATOR.iter().count() };
        assert_eq!(migrations as usize, total, "every migration applied ({url})");
        for ((table, columns), rows) in TABLES_AT_0008.iter().zip(&before) {
            let after = super::test_support::rows(&s, &dump_sql(table, columns)).await;
            assert_eq!(&after, rows, "{table} changed by the later migrations ({url})");
            assert!(!rows.is_empty(), "{table} had rows to keep");
        }
        // The new columns start empty: no old row is claimed or marked late, and the identify
        // window is free.
        for table in ["schedule", "commitment_tasks", "team_posts", "board_removals"] {
            let claimed = super::test_support::int(
                &s,
                &format!("SELECT count(*) FROM {table} WHERE claimed_by IS NOT NULL OR claimed_until IS NOT NULL"),
            )
            .await;
            assert_eq!(claimed, 0, "{table} ({url})");
        }
        assert_eq!(super::test_support::int(&s, "SELECT count(*) FROM deliveries WHERE late_secs IS NOT NULL").await, 0);
        assert_eq!(super::test_support::int(&s, "SELECT next_free_ms FROM identify_window").await, 0);
        // And the old rows are work today's code claims and reads: the task, the removal,
        // the post and the job, each once.
        let now = crate::storage::from_ts(1_797_000_000);
        let tasks = s.due_tasks(now, 10).await.unwrap();
        assert_eq!(tasks.iter().map(|t| (t.kind, t.attempts, t.queued)).collect::<Vec<_>>(), vec![(TaskKind::Check, 1, 2)]);
        let c = s.task_commitment(tasks[0].commitment).await.unwrap().unwrap();
        assert!(c.private && c.view.is_some_and(|v| v.agreement == Some(Agreement::Agreed)), "0007's flag and view read as written");
        assert_eq!(
            s.due_board_removals(now, 10).await.unwrap().iter().map(|r| (r.message.get(), r.attempts)).collect::<Vec<_>>(),
            vec![(71, 3)]
        );
        assert_eq!(s.due_team_posts(now, 10).await.unwrap().len(), 1);
        assert_eq!(s.due_jobs(now, 10).await.unwrap().iter().filter(|j| j.key.guild == GuildId(2)).count(), 1);
        let other = Store::connect(&url).await.unwrap();
        assert!(other.due_tasks(now, 10).await.unwrap().is_empty(), "claimed once, by the first ({url})");
        other.close().await;
        s.close().await;
        drop(dir);
    }
}
