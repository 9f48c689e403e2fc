//! Guild settings.

use chrono::{DateTime, Utc};

use super::{ts, Result, Store};
use crate::domain::ids::{ChannelId, GuildId, RoleId};
use crate::domain::lang::Lang;
use crate::domain::settings::{DailySetup, DigestSetup, GuildSettings};
use crate::domain::time::{parse_weekday, weekday_code, LocalTime, Zone};

#[derive(sqlx::FromRow)]
struct GuildRow {
    guild_id: i64,
    language: Option<String>,
    timezone: String,
    daily_channel_id: Option<i64>,
    daily_time: Option<String>,
    daily_weekdays_only: bool,
    digest_channel_id: Option<i64>,
    digest_day: Option<String>,
    digest_time: Option<String>,
    lead_role_id: Option<i64>,
    retention_weeks: i64,
    min_people: i64,
    left_at: Option<i64>,
}

impl From<GuildRow> for GuildSettings {
    fn from(r: GuildRow) -> Self {
        // Rows were written from parsed values; a value that no longer parses (a zone removed
        // from the tz database) falls back to "not configured" rather than failing the guild.
        let zone = Zone::parse(&r.timezone).unwrap_or(Zone::UTC);
        let daily = match (r.daily_channel_id, r.daily_time.as_deref().and_then(|t| LocalTime::parse(t).ok())) {
            (Some(c), Some(time)) => Some(DailySetup { channel: ChannelId::from_db(c), time, weekdays_only: r.daily_weekdays_only }),
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
        GuildSettings {
            guild: GuildId::from_db(r.guild_id),
            language: r.language.as_deref().and_then(Lang::parse),
            zone,
            daily,
            digest,
            lead_role: r.lead_role_id.map(RoleId::from_db),
            retention_weeks: r.retention_weeks.max(0) as u32,
            min_people: r.min_people.clamp(0, i64::from(u32::MAX)) as u32,
            left: r.left_at.is_some(),
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
    /// `/setup retention`.
    Retention(u32),
    /// `/setup privacy`.
    Privacy(u32),
    /// `/setup timezone`.
    Zone(Zone),
    /// `/setup clear`: turns one setting off.
    Clear(Cleared),
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
}

impl Store {
    /// A guild's settings; `None` if it never configured anything.
    pub async fn guild_settings(&self, guild: GuildId) -> Result<Option<GuildSettings>> {
        let row: Option<GuildRow> = sqlx::query_as(
            "SELECT guild_id, language, timezone, daily_channel_id, daily_time, daily_weekdays_only, digest_channel_id, \
             digest_day, digest_time, lead_role_id, retention_weeks, min_people, left_at FROM guilds WHERE guild_id = ?",
        )
        .bind(guild.to_db())
        .fetch_optional(&mut *self.reader().await?)
        .await?;
        Ok(row.map(Into::into))
    }

    /// Applies one settings change, creating the guild's row if needed, and replaces the
    /// guild's scheduled jobs with `jobs` in the same transaction (so a change of time or zone
    /// can never leave a stale due time behind).
    pub async fn update_guild(&self, guild: GuildId, change: GuildChange, jobs: &[super::JobUpdate], now: DateTime<Utc>) -> Result<()> {
        let mut w = self.writer().await?;
        let mut tx = Self::begin_write(&mut w).await?;
        sqlx::query("INSERT INTO guilds (guild_id, created_at, updated_at) VALUES (?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET updated_at = excluded.updated_at")
            .bind(guild.to_db())
            .bind(ts(now))
            .bind(ts(now))
            .execute(&mut *tx)
            .await?;
        let q = match change {
            GuildChange::Daily(d, zone) => sqlx::query(
                "UPDATE guilds SET daily_channel_id = ?, daily_time = ?, daily_weekdays_only = ?, timezone = ? WHERE guild_id = ?",
            )
            .bind(d.channel.to_db())
            .bind(d.time.to_string())
            .bind(d.weekdays_only)
            .bind(zone.name()),
            GuildChange::Digest(d) => {
                sqlx::query("UPDATE guilds SET digest_channel_id = ?, digest_day = ?, digest_time = ? WHERE guild_id = ?")
                    .bind(d.channel.to_db())
                    .bind(weekday_code(d.day))
                    .bind(d.time.to_string())
            }
            GuildChange::Language(l) => sqlx::query("UPDATE guilds SET language = ? WHERE guild_id = ?").bind(l.code()),
            GuildChange::LeadRole(r) => sqlx::query("UPDATE guilds SET lead_role_id = ? WHERE guild_id = ?").bind(r.to_db()),
            GuildChange::Retention(w) => sqlx::query("UPDATE guilds SET retention_weeks = ? WHERE guild_id = ?").bind(i64::from(w)),
            GuildChange::Privacy(n) => sqlx::query("UPDATE guilds SET min_people = ? WHERE guild_id = ?").bind(i64::from(n)),
            GuildChange::Zone(z) => sqlx::query("UPDATE guilds SET timezone = ? WHERE guild_id = ?").bind(z.name()),
            GuildChange::Clear(Cleared::Daily) => {
                sqlx::query("UPDATE guilds SET daily_channel_id = NULL, daily_time = NULL, daily_weekdays_only = 0 WHERE guild_id = ?")
            }
            GuildChange::Clear(Cleared::Digest) => {
                sqlx::query("UPDATE guilds SET digest_channel_id = NULL, digest_day = NULL, digest_time = NULL WHERE guild_id = ?")
            }
            GuildChange::Clear(Cleared::LeadRole) => sqlx::query("UPDATE guilds SET lead_role_id = NULL WHERE guild_id = ?"),
        };
        q.bind(guild.to_db()).execute(&mut *tx).await?;
        // A setting turned off takes its job with it, in the same transaction.
        let stopped = match change {
            GuildChange::Clear(Cleared::Daily) => Some(super::JobKind::Daily),
            GuildChange::Clear(Cleared::Digest) => Some(super::JobKind::Digest),
            _ => None,
        };
        if let Some(kind) = stopped {
            super::schedule::delete_job(&mut tx, super::JobKey::guild(kind, guild)).await?;
        }
        for job in jobs {
            super::schedule::put_job(&mut tx, job).await?;
        }
        tx.commit().await
    }

    /// The bot was removed from a guild: its scheduled posts stop; its data stays.
    pub async fn mark_guild_left(&self, guild: GuildId, now: DateTime<Utc>) -> Result<()> {
        let mut w = self.writer().await?;
        let mut tx = Self::begin_write(&mut w).await?;
        // A guild that never ran `/setup` has no row yet, but its members' reminders are in
        // the schedule: the row records that the bot left, so coming back restores them.
        sqlx::query(
            "INSERT INTO guilds (guild_id, left_at, created_at, updated_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (guild_id) DO UPDATE SET left_at = excluded.left_at, updated_at = excluded.updated_at",
        )
        .bind(guild.to_db())
        .bind(ts(now))
        .bind(ts(now))
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM schedule WHERE guild_id = ?").bind(guild.to_db()).execute(&mut *tx).await?;
        tx.commit().await
    }

    /// The bot is in a guild (again). Returns true if it had left before, so the caller can
    /// put its schedule back.
    pub async fn mark_guild_present(&self, guild: GuildId, now: DateTime<Utc>) -> Result<bool> {
        let res = sqlx::query("UPDATE guilds SET left_at = NULL, updated_at = ? WHERE guild_id = ? AND left_at IS NOT NULL")
            .bind(ts(now))
            .bind(guild.to_db())
            .execute(&mut *self.writer().await?)
            .await?;
        Ok(res.rows_affected() > 0)
    }

    /// Guilds with a retention limit, for the daily clean-up.
    pub async fn guilds_with_retention(&self) -> Result<Vec<(GuildId, u32)>> {
        let rows: Vec<(i64, i64)> = sqlx::query_as("SELECT guild_id, retention_weeks FROM guilds WHERE retention_weeks > 0")
            .fetch_all(&mut *self.reader().await?)
            .await?;
        Ok(rows.into_iter().map(|(g, w)| (GuildId::from_db(g), w as u32)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::test_support::store;
    use chrono::Weekday;

    #[tokio::test]
    async fn settings_round_trip_through_the_database() {
        let (s, _dir) = store().await;
        let g = GuildId(7);
        let now = Utc::now();
        assert!(s.guild_settings(g).await.unwrap().is_none());
        let daily = DailySetup { channel: ChannelId(9), time: LocalTime::parse("09:30").unwrap(), weekdays_only: true };
        let zone = Zone::parse("Asia/Ho_Chi_Minh").unwrap();
        s.update_guild(g, GuildChange::Daily(daily, zone), &[], now).await.unwrap();
        let digest = DigestSetup { channel: ChannelId(10), day: Weekday::Fri, time: LocalTime::parse("16:00").unwrap() };
        s.update_guild(g, GuildChange::Digest(digest), &[], now).await.unwrap();
        s.update_guild(g, GuildChange::Language(Lang::Vi), &[], now).await.unwrap();
        s.update_guild(g, GuildChange::LeadRole(RoleId(11)), &[], now).await.unwrap();
        s.update_guild(g, GuildChange::Retention(0), &[], now).await.unwrap();
        let got = s.guild_settings(g).await.unwrap().unwrap();
        assert_eq!(got.daily, Some(daily));
        assert_eq!(got.digest, Some(digest));
        assert_eq!(got.zone, zone);
        assert_eq!(got.language, Some(Lang::Vi));
        assert_eq!(got.lead_role, Some(RoleId(11)));
        assert_eq!(got.retention_weeks, 0);
        assert!(!got.left);
    }

    #[tokio::test]
    async fn leaving_a_guild_stops_its_jobs_and_keeps_its_settings() {
        let (s, _dir) = store().await;
        let g = GuildId(7);
        let now = Utc::now();
        let daily = DailySetup { channel: ChannelId(9), time: LocalTime::parse("09:30").unwrap(), weekdays_only: false };
        let job = crate::storage::JobUpdate::new(crate::storage::JobKey::guild(crate::storage::JobKind::Daily, g), now, now.date_naive());
        s.update_guild(g, GuildChange::Daily(daily, Zone::UTC), &[job], now).await.unwrap();
        assert_eq!(s.due_jobs(now, 10).await.unwrap().len(), 1);
        s.mark_guild_left(g, now).await.unwrap();
        assert!(s.due_jobs(now, 10).await.unwrap().is_empty());
        let got = s.guild_settings(g).await.unwrap().unwrap();
        assert!(got.left);
        assert_eq!(got.daily, Some(daily));
        assert!(s.mark_guild_present(g, now).await.unwrap());
        assert!(!s.mark_guild_present(g, now).await.unwrap());
    }
}
