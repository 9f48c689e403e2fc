//! A member's own settings and time away.

use chrono::{DateTime, NaiveDate, Utc};

use super::{ts, JobKey, JobUpdate, Result, Store};
use crate::domain::ids::{GuildId, UserId};
use crate::domain::settings::{MemberSettings, Reminder};
use crate::domain::time::{parse_weekday, weekday_code, LocalTime, Zone};

/// A stretch of time away, inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AwaySpan {
    /// First day away.
    pub start: NaiveDate,
    /// Last day away.
    pub end: NaiveDate,
}

/// Starts (or replaces) a span of days in `table` (`away`, per member, or `team_pauses`, per
/// team: `owner` names the column `id` is for) from `start` to `end`, or ends the current one
/// when `end` is `None` (it then ends the day before `start`). Earlier spans stay as history.
/// A macro, so that it runs on either backend's transaction.
macro_rules! set_span {
    ($conn:expr, $table:expr, $owner:expr, $guild:expr, $id:expr, $start:expr, $end:expr, $now:expr) => {{
        let (table, owner, guild, id, start, end, now): (
            &'static str,
            &'static str,
            i64,
            i64,
            NaiveDate,
            Option<NaiveDate>,
            DateTime<Utc>,
        ) = ($table, $owner, $guild, $id, $start, $end, $now);
        let conn = $conn;
        // Both names are the literals of the callers, never input.
        let sql = |s: String| sqlx::AssertSqlSafe(s);
        // A span that has not started yet is replaced; one that is running is cut at yesterday.
        sqlx::query(sql(format!("DELETE FROM {table} WHERE guild_id = $1 AND {owner} = $2 AND start_date >= $3")))
            .bind(guild)
            .bind(id)
            .bind(start.to_string())
            .execute(&mut *conn)
            .await?;
        let yesterday = start.pred_opt().unwrap_or(start);
        sqlx::query(sql(format!("UPDATE {table} SET end_date = $1 WHERE guild_id = $2 AND {owner} = $3 AND end_date >= $4")))
            .bind(yesterday.to_string())
            .bind(guild)
            .bind(id)
            .bind(start.to_string())
            .execute(&mut *conn)
            .await?;
        if let Some(end) = end {
            sqlx::query(sql(format!(
                "INSERT INTO {table} (guild_id, {owner}, start_date, end_date, created_at) VALUES ($1, $2, $3, $4, $5)"
            )))
            .bind(guild)
            .bind(id)
            .bind(start.to_string())
            .bind(end.to_string())
            .bind(ts(now))
            .execute(&mut *conn)
            .await?;
        }
    }};
}

// Shared by both backends: `$N` placeholders and statements both dialects read alike (see
// `schedule.rs`).

const LAST_REMINDER_FAILURE_SQL: &str = "SELECT period, last_error FROM deliveries f \
     WHERE kind = 'reminder' AND guild_id = $1 AND user_id = $2 AND status = 'failed' \
     AND NOT EXISTS (SELECT 1 FROM deliveries s WHERE s.kind = 'reminder' AND s.guild_id = f.guild_id AND s.user_id = f.user_id \
     AND s.status = 'sent' AND s.period > f.period) ORDER BY period DESC LIMIT 1";
const MEMBER_SQL: &str = "SELECT timezone, remind_day, remind_time, lang FROM members WHERE guild_id = $1 AND user_id = $2";
const SET_ZONE_SQL: &str = "INSERT INTO members (guild_id, user_id, timezone, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) \
     ON CONFLICT (guild_id, user_id) DO UPDATE SET timezone = excluded.timezone, updated_at = excluded.updated_at";
const SET_REMINDER_SQL: &str = "INSERT INTO members (guild_id, user_id, remind_day, remind_time, lang, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (guild_id, user_id) DO UPDATE SET remind_day = excluded.remind_day, \
     remind_time = excluded.remind_time, lang = excluded.lang, updated_at = excluded.updated_at";
const DROP_REMINDER_SQL: &str =
    "UPDATE members SET remind_day = NULL, remind_time = NULL, updated_at = $1 WHERE guild_id = $2 AND user_id = $3";
const SKIP_REMINDER_SQL: &str = "UPDATE deliveries SET status = 'skipped', last_error = $1, updated_at = $2 \
     WHERE kind = 'reminder' AND guild_id = $3 AND user_id = $4 AND period = $5";
const AWAY_SQL: &str = "SELECT start_date, end_date FROM away WHERE guild_id = $1 AND user_id = $2 ORDER BY start_date";
const AWAY_ON_SQL: &str = "SELECT start_date, end_date FROM away WHERE guild_id = $1 AND user_id = $2 AND start_date <= $3 \
     AND end_date >= $3 ORDER BY end_date DESC LIMIT 1";
const GUILD_REMINDERS_SQL: &str = "SELECT user_id, remind_day, remind_time, timezone FROM members \
     WHERE guild_id = $1 AND remind_day IS NOT NULL AND remind_time IS NOT NULL";

impl Store {
    /// The last reminder of a member that could not be delivered, (ISO week, error), unless
    /// a later one went out.
    pub async fn last_reminder_failure(&self, guild: GuildId, user: UserId) -> Result<Option<(String, String)>> {
        let row: Option<(String, Option<String>)> = with_conn!(self, reader, |c| sqlx::query_as(LAST_REMINDER_FAILURE_SQL)
            .bind(guild.to_db())
            .bind(user.to_db())
            .fetch_optional(c)
            .await?);
        Ok(row.map(|(p, e)| (p, e.unwrap_or_default())))
    }

    /// A member's settings (defaults if none).
    pub async fn member_settings(&self, guild: GuildId, user: UserId) -> Result<MemberSettings> {
        // timezone, remind_day, remind_time, lang
        type Row = (Option<String>, Option<String>, Option<String>, Option<String>);
        let row: Option<Row> =
            with_conn!(self, reader, |c| sqlx::query_as(MEMBER_SQL).bind(guild.to_db()).bind(user.to_db()).fetch_optional(c).await?);
        let Some((zone, day, time, lang)) = row else { return Ok(MemberSettings::default()) };
        let reminder = match (day.as_deref().and_then(parse_weekday), time.as_deref().and_then(|t| LocalTime::parse(t).ok())) {
            (Some(day), Some(time)) => Some(Reminder { day, time }),
            _ => None,
        };
        Ok(MemberSettings {
            zone: zone.as_deref().and_then(|z| Zone::parse(z).ok()),
            reminder,
            lang: lang.as_deref().and_then(crate::domain::lang::Lang::parse),
        })
    }

    /// Sets a member's zone and moves their reminder job (if any) in the same transaction.
    pub async fn set_member_zone(
        &self,
        guild: GuildId,
        user: UserId,
        zone: Zone,
        job: Option<JobUpdate>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        with_tx!(self, |tx| {
            sqlx::query(SET_ZONE_SQL).bind(guild.to_db()).bind(user.to_db()).bind(zone.name()).bind(ts(now)).execute(&mut *tx).await?;
            if let Some(job) = &job {
                put_job_query!(job).execute(&mut *tx).await?;
            }
        });
        Ok(())
    }

    /// Turns a member's reminder on (with its first job) or off (removing the job).
    pub async fn set_reminder(
        &self,
        guild: GuildId,
        user: UserId,
        reminder: Option<(Reminder, JobUpdate)>,
        lang: crate::domain::lang::Lang,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let (day, time) = match &reminder {
            Some((r, _)) => (Some(weekday_code(r.day)), Some(r.time.to_string())),
            None => (None, None),
        };
        with_tx!(self, |tx| {
            sqlx::query(SET_REMINDER_SQL)
                .bind(guild.to_db())
                .bind(user.to_db())
                .bind(day)
                .bind(time.clone())
                .bind(lang.code())
                .bind(ts(now))
                .execute(&mut *tx)
                .await?;
            match &reminder {
                Some((_, job)) => put_job_query!(job).execute(&mut *tx).await?,
                None => delete_job_query!(JobKey::member(super::JobKind::Reminder, guild, user)).execute(&mut *tx).await?,
            };
        });
        Ok(())
    }

    /// Turns off the reminder of a member who left the server, records why against the
    /// delivery it was due for, and stops its job, in one transaction (unless `/remind`
    /// changed the job meanwhile).
    pub async fn drop_reminder(&self, job: &super::Job, period: &str, reason: &str, now: DateTime<Utc>) -> Result<()> {
        let (g, u) = (job.key.guild.to_db(), job.key.user.to_db());
        with_tx!(self, |tx| {
            sqlx::query(DROP_REMINDER_SQL).bind(ts(now)).bind(g).bind(u).execute(&mut *tx).await?;
            sqlx::query(SKIP_REMINDER_SQL).bind(reason).bind(ts(now)).bind(g).bind(u).bind(period).execute(&mut *tx).await?;
            advance_query!(job, None).execute(&mut *tx).await?;
        });
        Ok(())
    }

    /// Starts (or replaces) time away from `start` to `end`, or ends the current one when
    /// `end` is `None` (it then ends yesterday, so today counts as present).
    pub async fn set_away(&self, guild: GuildId, user: UserId, start: NaiveDate, end: Option<NaiveDate>, now: DateTime<Utc>) -> Result<()> {
        with_tx!(self, |tx| {
            set_span!(&mut *tx, "away", "user_id", guild.to_db(), user.to_db(), start, end, now);
        });
        Ok(())
    }

    /// Every stretch of time away a member recorded, oldest first.
    pub async fn member_away(&self, guild: GuildId, user: UserId) -> Result<Vec<AwaySpan>> {
        let rows: Vec<(String, String)> =
            with_conn!(self, reader, |c| sqlx::query_as(AWAY_SQL).bind(guild.to_db()).bind(user.to_db()).fetch_all(c).await?);
        Ok(rows.into_iter().filter_map(|(s, e)| Some(AwaySpan { start: s.parse().ok()?, end: e.parse().ok()? })).collect())
    }

    /// The span a member is away on `date`, if any.
    pub async fn away_on(&self, guild: GuildId, user: UserId, date: NaiveDate) -> Result<Option<AwaySpan>> {
        let row: Option<(String, String)> = with_conn!(self, reader, |c| sqlx::query_as(AWAY_ON_SQL)
            .bind(guild.to_db())
            .bind(user.to_db())
            .bind(date.to_string())
            .fetch_optional(c)
            .await?);
        Ok(row.and_then(|(s, e)| Some(AwaySpan { start: s.parse().ok()?, end: e.parse().ok()? })))
    }

    /// The members of a guild whose weekly reminder is on, with their own zone if they set
    /// one: what `/setup timezone` moves and re-adding the bot puts back.
    pub async fn guild_reminders(&self, guild: GuildId) -> Result<Vec<(UserId, Reminder, Option<Zone>)>> {
        let rows: Vec<(i64, String, String, Option<String>)> =
            with_conn!(self, reader, |c| sqlx::query_as(GUILD_REMINDERS_SQL).bind(guild.to_db()).fetch_all(c).await?);
        Ok(rows
            .into_iter()
            .filter_map(|(u, day, time, zone)| {
                let reminder = Reminder { day: parse_weekday(&day)?, time: LocalTime::parse(&time).ok()? };
                Some((UserId::from_db(u), reminder, zone.as_deref().and_then(|z| Zone::parse(z).ok())))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::test_support::stores;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[tokio::test]
    async fn away_spans_cover_weeks_and_end_early_with_off() {
        // On SQLite, and on PostgreSQL when a test server is given: the same code.
        for (s, _dir) in stores("away_spans_cover_weeks_and_end_early_with_off").await {
            let (g, u) = (GuildId(1), UserId(2));
            s.set_away(g, u, d("2026-11-27"), Some(d("2026-12-09")), Utc::now()).await.unwrap();
            assert!(s.away_on(g, u, d("2026-12-01")).await.unwrap().is_some());
            assert_eq!(s.member_away(g, u).await.unwrap(), vec![AwaySpan { start: d("2026-11-27"), end: d("2026-12-09") }]);
            // Ending it on Dec 2 keeps Nov 27 – Dec 1 as history.
            s.set_away(g, u, d("2026-12-02"), None, Utc::now()).await.unwrap();
            assert!(s.away_on(g, u, d("2026-12-02")).await.unwrap().is_none());
            assert!(s.away_on(g, u, d("2026-12-01")).await.unwrap().is_some());
            assert_eq!(s.member_away(g, u).await.unwrap(), vec![AwaySpan { start: d("2026-11-27"), end: d("2026-12-01") }]);
        }
    }

    #[tokio::test]
    async fn a_reminder_failure_is_shown_until_a_later_reminder_goes_out() {
        // On SQLite, and on PostgreSQL when a test server is given: the same code.
        for (s, _dir) in stores("a_reminder_failure_is_shown_until_a_later_reminder_goes_out").await {
            let (g, u) = (GuildId(1), UserId(2));
            let key = JobKey::member(super::super::JobKind::Reminder, g, u);
            let now = Utc::now();
            s.put_job(JobUpdate::new(key, now, now.date_naive())).await.unwrap();
            let job = s.job(key).await.unwrap().unwrap();
            s.begin_delivery(key, "2026-W47", now).await.unwrap();
            s.finish_delivery(&job, "2026-W47", super::super::DeliveryOutcome::Failed { error: "HTTP 403 code 50007" }, None, now)
                .await
                .unwrap();
            assert_eq!(s.last_reminder_failure(g, u).await.unwrap(), Some(("2026-W47".into(), "HTTP 403 code 50007".into())));
            s.begin_delivery(key, "2026-W48", now).await.unwrap();
            let sent = super::super::DeliveryOutcome::Sent {
                channel: crate::domain::ids::ChannelId(3),
                message: crate::domain::ids::MessageId(4),
                principle: None,
            };
            s.finish_delivery(&job, "2026-W48", sent, None, now).await.unwrap();
            assert_eq!(s.last_reminder_failure(g, u).await.unwrap(), None, "the DMs work again");
        }
    }
}
