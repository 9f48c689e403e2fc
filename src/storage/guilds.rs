//! Settings: each team's own, and the server's retention and privacy minimum.

use chrono::{DateTime, NaiveDate, Utc};

use super::{ts, Result, Store};
use crate::domain::ids::{ChannelId, GuildId, RoleId, TeamId, TeamKey};
use crate::domain::lang::Lang;
use crate::domain::settings::{DailySetup, DigestSetup, GuildSettings};
use crate::domain::teams::{Team, DEFAULT_NAME};
use crate::domain::time::{parse_weekday, weekday_code, LocalTime, Zone};

#[derive(sqlx::FromRow)]
struct SettingsRow {
    guild_id: i64,
    team_id: i64,
    name: Option<String>,
    role_id: Option<i64>,
    home_channel_id: Option<i64>,
    language: Option<String>,
    timezone: Option<String>,
    daily_channel_id: Option<i64>,
    daily_time: Option<String>,
    daily_weekdays_only: Option<bool>,
    digest_channel_id: Option<i64>,
    digest_day: Option<String>,
    digest_time: Option<String>,
    lead_role_id: Option<i64>,
    board_channel_id: Option<i64>,
    retention_weeks: Option<i64>,
    min_people: Option<i64>,
    left_at: Option<i64>,
    pause: Option<String>,
}

impl From<SettingsRow> for GuildSettings {
    fn from(r: SettingsRow) -> Self {
        let defaults = GuildSettings::new(GuildId::from_db(r.guild_id));
        // Rows were written from parsed values; a value that no longer parses (a zone removed
        // from the tz database) falls back to "not configured" rather than failing the team.
        let zone = r.timezone.as_deref().and_then(|z| Zone::parse(z).ok()).unwrap_or(Zone::UTC);
        let daily = match (r.daily_channel_id, r.daily_time.as_deref().and_then(|t| LocalTime::parse(t).ok())) {
            (Some(c), Some(time)) => {
                Some(DailySetup { channel: ChannelId::from_db(c), time, weekdays_only: r.daily_weekdays_only.unwrap_or(false) })
            }
            _ => None,
        };
        let digest = match (
            r.digest_channel_id,
            r.digest_day.as_deref().and_then(parse_weekday),
            r.digest_time.as_deref().and_then(|t| LocalTime::parse(t).ok()),
        ) {
            (Some(c), Some(day), Some(time)) => Some(DigestSetup { channel: ChannelId::from_db(c), day, time }),
            _ => None,
        };
        let team = Team {
            id: TeamId::from_db(r.team_id),
            name: r.name.unwrap_or_else(|| DEFAULT_NAME.to_owned()),
            role: r.role_id.map(RoleId::from_db),
            home: r.home_channel_id.map(ChannelId::from_db),
        };
        let pause = r.pause.as_deref().and_then(|p| {
            let (a, b) = p.split_once('/')?;
            Some((a.parse().ok()?, b.parse().ok()?))
        });
        GuildSettings {
            guild: defaults.guild,
            team,
            language: r.language.as_deref().and_then(Lang::parse),
            zone,
            daily,
            digest,
            lead_role: r.lead_role_id.map(RoleId::from_db),
            board: r.board_channel_id.map(ChannelId::from_db),
            retention_weeks: r.retention_weeks.map_or(defaults.retention_weeks, |w| w.max(0) as u32),
            min_people: r.min_people.map_or(defaults.min_people, |n| n.clamp(0, i64::from(u32::MAX)) as u32),
            left: r.left_at.is_some(),
            pause,
        }
    }
}

/// One guild-settings change.
#[derive(Clone, Copy, Debug)]
pub enum GuildChange {
    /// `/setup daily` (the zone is the guild's).
    Daily(DailySetup, Zone),
    /// `/setup digest`.
    Digest(DigestSetup),
    /// `/setup language`.
    Language(Lang),
    /// `/setup lead-role`.
    LeadRole(RoleId),
    /// `/setup board`.
    Board(ChannelId),
    /// `/setup retention`.
    Retention(u32),
    /// `/setup privacy`.
    Privacy(u32),
    /// `/setup timezone`.
    Zone(Zone),
    /// `/setup clear`: turns one setting off.
    Clear(Cleared),
    /// `/setup pause`: a holiday from the first to the last day, or `None` to end the one
    /// running or planned on that first day.
    Pause(NaiveDate, Option<NaiveDate>),
}

impl GuildChange {
    /// Whether it is a setting of the server rather than of one team.
    fn is_server_wide(self) -> bool {
        matches!(self, GuildChange::Retention(_) | GuildChange::Privacy(_))
    }
}

/// A setting `/setup clear` turns off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cleared {
    /// The daily post.
    Daily,
    /// The scheduled digest.
    Digest,
    /// The lead role.
    LeadRole,
    /// The board.
    Board,
}

// Shared by both backends: `$N` placeholders and statements both dialects read alike (see
// `schedule.rs`). A parameter standing alone in a select list is cast: PostgreSQL must know
// its type, and SQLite reads the cast as an integer.
const TEAM_SETTINGS_SQL: &str = "SELECT CAST($1 AS BIGINT) AS guild_id, CAST($2 AS BIGINT) AS team_id, t.name, t.role_id, \
     t.home_channel_id, t.language, t.timezone, t.daily_channel_id, t.daily_time, t.daily_weekdays_only, t.digest_channel_id, \
     t.digest_day, t.digest_time, t.lead_role_id, t.board_channel_id, g.retention_weeks, g.min_people, g.left_at, \
     (SELECT start_date || '/' || end_date FROM team_pauses WHERE guild_id = $1 AND team_id = $2 ORDER BY end_date DESC LIMIT 1) AS pause \
     FROM (SELECT 1) AS one LEFT JOIN guilds g ON g.guild_id = $1 LEFT JOIN teams t ON t.guild_id = $1 AND t.team_id = $2 \
     WHERE g.guild_id IS NOT NULL OR t.team_id IS NOT NULL";

/// The server's row and its default team's, created on first use.
macro_rules! ensure_rows {
    ($conn:expr, $guild:expr, $now:expr) => {{
        let (guild, now): ($crate::domain::ids::GuildId, chrono::DateTime<chrono::Utc>) = ($guild, $now);
        let conn = $conn;
        sqlx::query("INSERT INTO guilds (guild_id, created_at, updated_at) VALUES ($1, $2, $2) ON CONFLICT (guild_id) DO NOTHING")
            .bind(guild.to_db())
            .bind($crate::storage::ts(now))
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "INSERT INTO teams (guild_id, team_id, name, name_key, created_at, updated_at) VALUES ($1, 0, $2, $2, $3, $3) \
             ON CONFLICT (guild_id, team_id) DO NOTHING",
        )
        .bind(guild.to_db())
        .bind($crate::domain::teams::DEFAULT_NAME)
        .bind($crate::storage::ts(now))
        .execute(&mut *conn)
        .await?;
    }};
}

impl Store {
    /// A team's settings (the server's shared ones included); `None` if neither the team nor
    /// its server has a row: a default team that never configured anything, or no such team.
    pub async fn team_settings(&self, key: TeamKey) -> Result<Option<GuildSettings>> {
        let row: Option<SettingsRow> = with_conn!(self, reader, |c| sqlx::query_as(TEAM_SETTINGS_SQL)
            .bind(key.guild.to_db())
            .bind(key.team.to_db())
            .fetch_optional(c)
            .await?);
        // A team other than the default exists only as a row of its own.
        Ok(row.filter(|r| r.team_id == 0 || r.name.is_some()).map(Into::into))
    }

    /// Applies one settings change (to the team, or to its server for retention and the
    /// privacy minimum), creating the rows it needs, and replaces the team's scheduled jobs
    /// with `jobs` in the same transaction (so a change of time or zone can never leave a
    /// stale due time behind).
    pub async fn update_guild(&self, key: TeamKey, change: GuildChange, jobs: &[super::JobUpdate], now: DateTime<Utc>) -> Result<()> {
        let (g, t) = (key.guild.to_db(), key.team.to_db());
        // A setting turned off takes its job with it, in the same transaction.
        let stopped = match change {
            GuildChange::Clear(Cleared::Daily) => Some(super::JobKind::Daily),
            GuildChange::Clear(Cleared::Digest) => Some(super::JobKind::Digest),
            _ => None,
        };
        with_tx!(self, |tx| {
            ensure_rows!(&mut *tx, key.guild, now);
            if let GuildChange::Pause(start, end) = change {
                set_span!(&mut *tx, "team_pauses", "team_id", g, t, start, end, now);
            } else if change.is_server_wide() {
                let q = match change {
                    GuildChange::Retention(w) => {
                        sqlx::query("UPDATE guilds SET retention_weeks = $1, updated_at = $2 WHERE guild_id = $3").bind(i64::from(w))
                    }
                    GuildChange::Privacy(n) => {
                        sqlx::query("UPDATE guilds SET min_people = $1, updated_at = $2 WHERE guild_id = $3").bind(i64::from(n))
                    }
                    _ => unreachable!("server-wide changes are the two above"),
                };
                q.bind(ts(now)).bind(g).execute(&mut *tx).await?;
            } else {
                let q = match change {
                    GuildChange::Daily(d, zone) => sqlx::query(
                        "UPDATE teams SET daily_channel_id = $1, daily_time = $2, daily_weekdays_only = $3, timezone = $4, updated_at = $5 \
                         WHERE guild_id = $6 AND team_id = $7",
                    )
                    .bind(d.channel.to_db())
                    .bind(d.time.to_string())
                    .bind(d.weekdays_only)
                    .bind(zone.name()),
                    GuildChange::Digest(d) => sqlx::query(
                        "UPDATE teams SET digest_channel_id = $1, digest_day = $2, digest_time = $3, updated_at = $4 \
                         WHERE guild_id = $5 AND team_id = $6",
                    )
                    .bind(d.channel.to_db())
                    .bind(weekday_code(d.day))
                    .bind(d.time.to_string()),
                    GuildChange::Language(l) => {
                        sqlx::query("UPDATE teams SET language = $1, updated_at = $2 WHERE guild_id = $3 AND team_id = $4").bind(l.code())
                    }
                    GuildChange::LeadRole(r) => {
                        sqlx::query("UPDATE teams SET lead_role_id = $1, updated_at = $2 WHERE guild_id = $3 AND team_id = $4").bind(r.to_db())
                    }
                    GuildChange::Board(c) => sqlx::query("UPDATE teams SET board_channel_id = $1, updated_at = $2 WHERE guild_id = $3 AND team_id = $4")
                        .bind(c.to_db()),
                    GuildChange::Zone(z) => {
                        sqlx::query("UPDATE teams SET timezone = $1, updated_at = $2 WHERE guild_id = $3 AND team_id = $4").bind(z.name())
                    }
                    GuildChange::Clear(Cleared::Daily) => sqlx::query(
                        "UPDATE teams SET daily_channel_id = NULL, daily_time = NULL, daily_weekdays_only = FALSE, updated_at = $1 \
                         WHERE guild_id = $2 AND team_id = $3",
                    ),
                    GuildChange::Clear(Cleared::Digest) => sqlx::query(
                        "UPDATE teams SET digest_channel_id = NULL, digest_day = NULL, digest_time = NULL, updated_at = $1 \
                         WHERE guild_id = $2 AND team_id = $3",
                    ),
                    GuildChange::Clear(Cleared::Board) => {
                        sqlx::query("UPDATE teams SET board_channel_id = NULL, updated_at = $1 WHERE guild_id = $2 AND team_id = $3")
                    }
                    GuildChange::Clear(Cleared::LeadRole) => {
                        sqlx::query("UPDATE teams SET lead_role_id = NULL, updated_at = $1 WHERE guild_id = $2 AND team_id = $3")
                    }
                    GuildChange::Retention(_) | GuildChange::Privacy(_) | GuildChange::Pause(..) => unreachable!("handled above"),
                };
                q.bind(ts(now)).bind(g).bind(t).execute(&mut *tx).await?;
            }
            if let Some(kind) = stopped {
                delete_job_query!(super::JobKey::team(kind, key)).execute(&mut *tx).await?;
            }
            for job in jobs {
                put_job_query!(job).execute(&mut *tx).await?;
            }
        });
        Ok(())
    }

    /// The bot was removed from a guild: its scheduled posts stop; its data stays.
    pub async fn mark_guild_left(&self, guild: GuildId, now: DateTime<Utc>) -> Result<()> {
        with_tx!(self, |tx| {
            // A guild that never ran `/setup` has no row yet, but its members' reminders are
            // in the schedule: the row records that the bot left, so coming back restores them.
            ensure_rows!(&mut *tx, guild, now);
            sqlx::query("UPDATE guilds SET left_at = $1, updated_at = $1 WHERE guild_id = $2")
                .bind(ts(now))
                .bind(guild.to_db())
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM schedule WHERE guild_id = $1").bind(guild.to_db()).execute(&mut *tx).await?;
        });
        Ok(())
    }

    /// The bot is in a guild (again). Returns true if it had left before, so the caller can
    /// put its schedule back.
    pub async fn mark_guild_present(&self, guild: GuildId, now: DateTime<Utc>) -> Result<bool> {
        let affected = with_conn!(self, writer, |c| sqlx::query(
            "UPDATE guilds SET left_at = NULL, updated_at = $1 WHERE guild_id = $2 AND left_at IS NOT NULL"
        )
        .bind(ts(now))
        .bind(guild.to_db())
        .execute(c)
        .await?
        .rows_affected());
        Ok(affected > 0)
    }

    /// Guilds with a retention limit, for the daily clean-up.
    pub async fn guilds_with_retention(&self) -> Result<Vec<(GuildId, u32)>> {
        let rows: Vec<(i64, i64)> =
            with_conn!(self, reader, |c| sqlx::query_as("SELECT guild_id, retention_weeks FROM guilds WHERE retention_weeks > 0")
                .fetch_all(c)
                .await?);
        Ok(rows.into_iter().map(|(g, w)| (GuildId::from_db(g), w as u32)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::test_support::stores;
    use chrono::Weekday;

    #[tokio::test]
    async fn settings_round_trip_through_the_database() {
        // On SQLite, and on PostgreSQL when a test server is given: the same code.
        for (s, _dir) in stores("settings_round_trip_through_the_database").await {
            let g = GuildId(7);
            let now = Utc::now();
            assert!(s.team_settings(crate::domain::ids::TeamKey::default_of(g)).await.unwrap().is_none());
            let daily = DailySetup { channel: ChannelId(9), time: LocalTime::parse("09:30").unwrap(), weekdays_only: true };
            let zone = Zone::parse("Asia/Ho_Chi_Minh").unwrap();
            s.update_guild(crate::domain::ids::TeamKey::default_of(g), GuildChange::Daily(daily, zone), &[], now).await.unwrap();
            let digest = DigestSetup { channel: ChannelId(10), day: Weekday::Fri, time: LocalTime::parse("16:00").unwrap() };
            s.update_guild(crate::domain::ids::TeamKey::default_of(g), GuildChange::Digest(digest), &[], now).await.unwrap();
            s.update_guild(crate::domain::ids::TeamKey::default_of(g), GuildChange::Language(Lang::Vi), &[], now).await.unwrap();
            s.update_guild(crate::domain::ids::TeamKey::default_of(g), GuildChange::LeadRole(RoleId(11)), &[], now).await.unwrap();
            s.update_guild(crate::domain::ids::TeamKey::default_of(g), GuildChange::Retention(0), &[], now).await.unwrap();
            let got = s.team_settings(crate::domain::ids::TeamKey::default_of(g)).await.unwrap().unwrap();
            assert_eq!(got.daily, Some(daily));
            assert_eq!(got.digest, Some(digest));
            assert_eq!(got.zone, zone);
            assert_eq!(got.language, Some(Lang::Vi));
            assert_eq!(got.lead_role, Some(RoleId(11)));
            assert_eq!(got.retention_weeks, 0);
            assert!(!got.left);
        }
    }

    #[tokio::test]
    async fn leaving_a_guild_stops_its_jobs_and_keeps_its_settings() {
        // On SQLite, and on PostgreSQL when a test server is given: the same code.
        for (s, _dir) in stores("leaving_a_guild_stops_its_jobs_and_keeps_its_settings").await {
            let g = GuildId(7);
            let now = Utc::now();
            let daily = DailySetup { channel: ChannelId(9), time: LocalTime::parse("09:30").unwrap(), weekdays_only: false };
            let job =
                crate::storage::JobUpdate::new(crate::storage::JobKey::guild(crate::storage::JobKind::Daily, g), now, now.date_naive());
            s.update_guild(crate::domain::ids::TeamKey::default_of(g), GuildChange::Daily(daily, Zone::UTC), &[job], now).await.unwrap();
            assert_eq!(s.due_jobs(now, 10).await.unwrap().len(), 1);
            s.mark_guild_left(g, now).await.unwrap();
            assert!(s.due_jobs(now, 10).await.unwrap().is_empty());
            let got = s.team_settings(crate::domain::ids::TeamKey::default_of(g)).await.unwrap().unwrap();
            assert!(got.left);
            assert_eq!(got.daily, Some(daily));
            assert!(s.mark_guild_present(g, now).await.unwrap());
            assert!(!s.mark_guild_present(g, now).await.unwrap());
        }
    }
}
