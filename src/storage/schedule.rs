//! What is due (`schedule`) and what was delivered (`deliveries`).

use chrono::{DateTime, NaiveDate, Utc};

use super::{from_ts, ts, Result, Store};
use crate::domain::ids::{ChannelId, GuildId, MessageId, TeamId, TeamKey, UserId};

/// The kinds of recurring job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// The day's principle in a guild's channel.
    Daily,
    /// The weekly digest in a guild's channel.
    Digest,
    /// A member's weekly reminder DM.
    Reminder,
    /// The daily retention clean-up (one global job, guild 0).
    Retention,
    /// A one-off notice to a guild's owner (a post's channel was deleted). Only its
    /// delivery record exists, never a schedule row: the failing post's own retries carry it.
    Notice,
    /// A partner's DM asking them to agree to a commitment (per commitment: the period is
    /// its id, the user the partner). Like every kind below, only its delivery record exists:
    /// `commitment_tasks` says when it is due.
    PartnerAsk,
    /// A partner's DM asking whether a commitment was kept.
    PartnerCheck,
    /// The member's DM saying their partner wants to talk a commitment over.
    PartnerTalk,
    /// A commitment's message on the team's board (the user is the member).
    Board,
    /// A team's board thread of one week (the period is the week).
    BoardWeek,
    /// A charter proposal's message (the period is the item's id; `team_posts` says when).
    Charter,
    /// A thank-you's message (the user is the giver).
    Thanks,
}

impl JobKind {
    /// Database name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Daily => "daily",
            JobKind::Digest => "digest",
            JobKind::Reminder => "reminder",
            JobKind::Retention => "retention",
            JobKind::Notice => "notice",
            JobKind::PartnerAsk => "partner-ask",
            JobKind::PartnerCheck => "partner-check",
            JobKind::PartnerTalk => "partner-talk",
            JobKind::Board => "board",
            JobKind::BoardWeek => "board-week",
            JobKind::Charter => "charter",
            JobKind::Thanks => "thanks",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "daily" => JobKind::Daily,
            "digest" => JobKind::Digest,
            "reminder" => JobKind::Reminder,
            "retention" => JobKind::Retention,
            _ => return None,
        })
    }
}

/// Which job: kind, guild and (for reminders) member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct JobKey {
    /// The kind.
    pub kind: JobKind,
    /// The guild (0 for the global retention job).
    pub guild: GuildId,
    /// The team (the default team for jobs of a member or the whole server).
    pub team: TeamId,
    /// The member, or `UserId(0)` for a team's jobs.
    pub user: UserId,
}

impl JobKey {
    /// A job of the whole server (retention, a notice): kept under its default team.
    pub fn guild(kind: JobKind, guild: GuildId) -> Self {
        Self { kind, guild, team: TeamId::DEFAULT, user: UserId(0) }
    }

    /// A team's job (its daily post, its digest).
    pub fn team(kind: JobKind, team: TeamKey) -> Self {
        Self { kind, guild: team.guild, team: team.team, user: UserId(0) }
    }

    /// A member's job (one per member and server: a reminder names all their teams).
    pub fn member(kind: JobKind, guild: GuildId, user: UserId) -> Self {
        Self { kind, guild, team: TeamId::DEFAULT, user }
    }

    /// The team this job is about.
    pub fn team_key(self) -> TeamKey {
        TeamKey::new(self.guild, self.team)
    }
}

/// A job that is due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Job {
    /// Which job.
    pub key: JobKey,
    /// When it became due.
    pub due_at: DateTime<Utc>,
    /// The local date of the occurrence.
    pub period_date: NaiveDate,
    /// Failed attempts so far for this occurrence.
    pub attempts: u32,
}

/// The next due time of a job (insert or replace).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobUpdate {
    /// Which job.
    pub key: JobKey,
    /// When it is next due.
    pub due_at: DateTime<Utc>,
    /// The local date of that occurrence.
    pub period_date: NaiveDate,
    /// Failed attempts for that occurrence (0 for a new occurrence).
    pub attempts: u32,
}

impl JobUpdate {
    /// A fresh occurrence.
    pub fn new(key: JobKey, due_at: DateTime<Utc>, period_date: NaiveDate) -> Self {
        Self { key, due_at, period_date, attempts: 0 }
    }
}

/// The state of one delivery in the exactly-once record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Recorded, not known to be sent: send it (Discord's nonce dedupes a repeat).
    Pending,
    /// Sent; never send again.
    Sent,
    /// Given up for this period (no access, channel gone, day over).
    Failed,
    /// Deliberately not sent (a reminder for a member who checked in, an away member).
    Skipped,
}

impl DeliveryStatus {
    fn parse(s: &str) -> Self {
        match s {
            "sent" => DeliveryStatus::Sent,
            "failed" => DeliveryStatus::Failed,
            "skipped" => DeliveryStatus::Skipped,
            _ => DeliveryStatus::Pending,
        }
    }

    /// Whether the period is finished either way.
    pub fn is_final(self) -> bool {
        !matches!(self, DeliveryStatus::Pending)
    }
}

/// The last failed delivery of a guild, for `/setup show`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// `daily`, `digest` or `reminder`.
    pub kind: String,
    /// The period it was for.
    pub period: String,
    /// Discord's answer, in short.
    pub error: String,
    /// When it was given up.
    pub at: DateTime<Utc>,
}

/// A post that went out late, for `/setup show`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LatePost {
    /// `daily` or `digest`.
    pub kind: String,
    /// The period it was for.
    pub period: String,
    /// How late, in seconds.
    pub late_secs: i64,
    /// When it went out.
    pub at: DateTime<Utc>,
}

/// A delivered (or failed) record, for tests and `/me show`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// Its status.
    pub status: DeliveryStatus,
    /// The message, once sent.
    pub message_id: Option<MessageId>,
    /// The channel it went to.
    pub channel_id: Option<ChannelId>,
    /// Attempts made.
    pub attempts: u32,
    /// The last error, if any.
    pub last_error: Option<String>,
    /// The principle a daily post carried.
    pub principle: Option<u8>,
}

/// status, message_id, channel_id, attempts, last_error, principle
type DeliveryRow = (String, Option<i64>, Option<i64>, i64, Option<String>, Option<i64>);

// The SQL below is shared by both backends: `$N` placeholders, which sqlx binds by number
// on SQLite as on PostgreSQL, and statements both dialects read alike. Each query is built by
// a macro so that it is typed once for each driver.

pub(super) const PUT_JOB_SQL: &str = "INSERT INTO schedule (kind, guild_id, team_id, user_id, due_at, period_date, attempts) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (kind, guild_id, team_id, user_id) DO UPDATE SET due_at = excluded.due_at, \
     period_date = excluded.period_date, attempts = excluded.attempts";

macro_rules! put_job_query {
    ($job:expr) => {{
        let job: &$crate::storage::JobUpdate = $job;
        sqlx::query($crate::storage::schedule::PUT_JOB_SQL)
            .bind(job.key.kind.as_str())
            .bind(job.key.guild.to_db())
            .bind(job.key.team.to_db())
            .bind(job.key.user.to_db())
            .bind($crate::storage::ts(job.due_at))
            .bind(job.period_date.to_string())
            .bind(i64::from(job.attempts))
    }};
}

pub(super) const ADVANCE_SQL: &str =
    "UPDATE schedule SET due_at = $1, period_date = $2, attempts = $3, claimed_by = NULL, claimed_until = NULL \
     WHERE kind = $4 AND guild_id = $5 AND team_id = $6 AND user_id = $7 AND due_at = $8 AND period_date = $9 AND attempts = $10";
pub(super) const ADVANCE_DELETE_SQL: &str =
    "DELETE FROM schedule WHERE kind = $1 AND guild_id = $2 AND team_id = $3 AND user_id = $4 AND due_at = $5 AND period_date = $6 AND attempts = $7";

/// Moves a job on from the occurrence it was read at (and lets go of its claim: the work it
/// was claimed for is done), unless it changed meanwhile: a
/// `/setup daily` or a `/forget` while a delivery was in flight wins over the next due time
/// the delivery computed before sending (or over re-creating a deleted job).
macro_rules! advance_query {
    ($read:expr, $next:expr) => {{
        let (read, next): (&$crate::storage::Job, Option<&$crate::storage::JobUpdate>) = ($read, $next);
        let key = read.key;
        let q = match next {
            Some(n) => sqlx::query($crate::storage::schedule::ADVANCE_SQL)
                .bind($crate::storage::ts(n.due_at))
                .bind(n.period_date.to_string())
                .bind(i64::from(n.attempts)),
            None => sqlx::query($crate::storage::schedule::ADVANCE_DELETE_SQL),
        };
        q.bind(key.kind.as_str())
            .bind(key.guild.to_db())
            .bind(key.team.to_db())
            .bind(key.user.to_db())
            .bind($crate::storage::ts(read.due_at))
            .bind(read.period_date.to_string())
            .bind(i64::from(read.attempts))
    }};
}

pub(super) const END_DELIVERY_SQL: &str = "UPDATE deliveries SET status = $1, channel_id = coalesce($2, channel_id), message_id = $3, \
     principle = $4, last_error = coalesce($5, last_error), updated_at = $6 \
     WHERE kind = $7 AND guild_id = $8 AND team_id = $9 AND user_id = $10 AND period = $11";

/// Writes a delivery's outcome onto its record (opened by `begin_delivery`); a record that
/// is gone (a `/forget` meanwhile) stays gone.
macro_rules! end_delivery_query {
    ($key:expr, $period:expr, $outcome:expr, $now:expr) => {{
        let (key, period, outcome, now): (
            $crate::storage::JobKey,
            &str,
            $crate::storage::DeliveryOutcome<'_>,
            chrono::DateTime<chrono::Utc>,
        ) = ($key, $period, $outcome, $now);
        let (status, channel, message, principle, error) = match outcome {
            $crate::storage::DeliveryOutcome::Sent { channel, message, principle } => {
                ("sent", Some(channel.to_db()), Some(message.to_db()), principle.map(i64::from), None)
            }
            $crate::storage::DeliveryOutcome::Failed { error } => ("failed", None, None, None, Some(error)),
            $crate::storage::DeliveryOutcome::Skipped { reason } => ("skipped", None, None, None, Some(reason)),
        };
        sqlx::query($crate::storage::schedule::END_DELIVERY_SQL)
            .bind(status)
            .bind(channel)
            .bind(message)
            .bind(principle)
            .bind(error)
            .bind($crate::storage::ts(now))
            .bind(key.kind.as_str())
            .bind(key.guild.to_db())
            .bind(key.team.to_db())
            .bind(key.user.to_db())
            .bind(period)
    }};
}

pub(super) const DELETE_JOB_SQL: &str = "DELETE FROM schedule WHERE kind = $1 AND guild_id = $2 AND team_id = $3 AND user_id = $4";

macro_rules! delete_job_query {
    ($key:expr) => {{
        let key: $crate::storage::JobKey = $key;
        sqlx::query($crate::storage::schedule::DELETE_JOB_SQL)
            .bind(key.kind.as_str())
            .bind(key.guild.to_db())
            .bind(key.team.to_db())
            .bind(key.user.to_db())
    }};
}

const RETRY_SQL: &str = "UPDATE deliveries SET attempts = attempts + 1, last_error = $1, updated_at = $2 \
     WHERE kind = $3 AND guild_id = $4 AND team_id = $5 AND user_id = $6 AND period = $7";

const DELIVERY_SQL: &str = "SELECT status, message_id, channel_id, attempts, last_error, principle FROM deliveries \
     WHERE kind = $1 AND guild_id = $2 AND team_id = $3 AND user_id = $4 AND period = $5";

const OPEN_DELIVERY_SQL: &str = "INSERT INTO deliveries (kind, guild_id, team_id, user_id, period, status, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6) ON CONFLICT DO NOTHING";

const OPENED_SQL: &str =
    "SELECT status, created_at FROM deliveries WHERE kind = $1 AND guild_id = $2 AND team_id = $3 AND user_id = $4 AND period = $5";

const JOB_SQL: &str =
    "SELECT due_at, period_date, attempts FROM schedule WHERE kind = $1 AND guild_id = $2 AND team_id = $3 AND user_id = $4";

const LATE_SQL: &str =
    "UPDATE deliveries SET late_secs = $1 WHERE kind = $2 AND guild_id = $3 AND team_id = $4 AND user_id = $5 AND period = $6";
const LAST_LATE_SQL: &str = "SELECT kind, period, late_secs, updated_at FROM deliveries \
     WHERE guild_id = $1 AND team_id = $2 AND user_id = 0 AND status = 'sent' AND late_secs IS NOT NULL AND updated_at >= $3 \
     ORDER BY updated_at DESC LIMIT 1";

const LAST_FAILURE_SQL: &str = "SELECT kind, period, last_error, updated_at FROM deliveries f \
     WHERE guild_id = $1 AND status = 'failed' AND team_id = $2 AND user_id = 0 \
     AND NOT EXISTS (SELECT 1 FROM deliveries s WHERE s.guild_id = f.guild_id AND s.team_id = f.team_id AND s.user_id = 0 \
     AND s.kind = f.kind AND s.status = 'sent' AND s.updated_at >= f.updated_at) ORDER BY updated_at DESC LIMIT 1";

impl Store {
    /// Jobs due at `now`, oldest first, claimed by this store (see [`super::claim_sql`]): a
    /// job another bot holds is not returned. Finds them by the `schedule_due` index: the
    /// cost follows the number of due jobs, not the number of guilds.
    pub async fn due_jobs(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<Job>> {
        if !self.any_due("schedule", now).await? {
            return Ok(Vec::new());
        }
        // A literal limit: a bound `LIMIT ?` makes SQLite re-prepare on every tick.
        let sql = super::claim_sql(
            "schedule",
            "kind, guild_id, team_id, user_id",
            "kind, guild_id, team_id, user_id, due_at, period_date, attempts",
            limit,
            self.shards(),
        );
        let (owner, until, now) = self.claim_args(now);
        let mut rows: Vec<(String, i64, i64, i64, i64, String, i64)> =
            with_conn!(self, writer, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(&owner).bind(until).bind(now).fetch_all(c).await?);
        // RETURNING keeps no order.
        rows.sort_by_key(|r| r.4);
        Ok(rows
            .into_iter()
            .filter_map(|(kind, g, t, u, due, period, attempts)| {
                Some(Job {
                    key: JobKey {
                        kind: JobKind::parse(&kind)?,
                        guild: GuildId::from_db(g),
                        team: TeamId::from_db(t),
                        user: UserId::from_db(u),
                    },
                    due_at: from_ts(due),
                    period_date: NaiveDate::parse_from_str(&period, "%Y-%m-%d").ok()?,
                    attempts: attempts.max(0) as u32,
                })
            })
            .collect())
    }

    /// When a job is next due, if it is scheduled.
    pub async fn job(&self, key: JobKey) -> Result<Option<Job>> {
        let row: Option<(i64, String, i64)> = with_conn!(self, reader, |c| sqlx::query_as(JOB_SQL)
            .bind(key.kind.as_str())
            .bind(key.guild.to_db())
            .bind(key.team.to_db())
            .bind(key.user.to_db())
            .fetch_optional(c)
            .await?);
        Ok(row.and_then(|(due, period, attempts)| {
            Some(Job {
                key,
                due_at: from_ts(due),
                period_date: NaiveDate::parse_from_str(&period, "%Y-%m-%d").ok()?,
                attempts: attempts.max(0) as u32,
            })
        }))
    }

    /// Inserts or moves a job.
    pub async fn put_job(&self, job: JobUpdate) -> Result<()> {
        with_conn!(self, writer, |c| {
            put_job_query!(&job).execute(c).await?;
        });
        Ok(())
    }

    /// Inserts or moves several jobs in one transaction.
    pub async fn put_jobs(&self, jobs: &[JobUpdate]) -> Result<()> {
        with_tx!(self, |tx| {
            for job in jobs {
                put_job_query!(job).execute(&mut *tx).await?;
            }
        });
        Ok(())
    }

    /// Removes a job.
    pub async fn delete_job(&self, key: JobKey) -> Result<()> {
        with_conn!(self, writer, |c| {
            delete_job_query!(key).execute(c).await?;
        });
        Ok(())
    }

    /// Opens the exactly-once record for `(job, period)` if it does not exist and returns
    /// its status and when it was first opened. Call before sending; send only if the answer
    /// is `Pending` (and, for a record older than Discord's nonce memory, only after looking
    /// for the post in the channel).
    pub async fn begin_delivery(&self, key: JobKey, period: &str, now: DateTime<Utc>) -> Result<(DeliveryStatus, DateTime<Utc>)> {
        let (status, created): (String, i64) = with_tx!(self, |tx| {
            sqlx::query(OPEN_DELIVERY_SQL)
                .bind(key.kind.as_str())
                .bind(key.guild.to_db())
                .bind(key.team.to_db())
                .bind(key.user.to_db())
                .bind(period)
                .bind(ts(now))
                .execute(&mut *tx)
                .await?;
            sqlx::query_as(OPENED_SQL)
                .bind(key.kind.as_str())
                .bind(key.guild.to_db())
                .bind(key.team.to_db())
                .bind(key.user.to_db())
                .bind(period)
                .fetch_one(&mut *tx)
                .await?
        });
        Ok((DeliveryStatus::parse(&status), from_ts(created)))
    }

    /// Records how a delivery ended and moves its job (as it was read, `job`) to the next
    /// occurrence, atomically. The record is updated, never re-created: a `/forget` that
    /// deleted it while the message was in flight stays done. The job moves only if nothing
    /// changed it meanwhile (see [`advance_job`]).
    pub async fn finish_delivery(
        &self,
        job: &Job,
        period: &str,
        outcome: DeliveryOutcome<'_>,
        next: Option<JobUpdate>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        with_tx!(self, |tx| {
            end_delivery_query!(job.key, period, outcome, now).execute(&mut *tx).await?;
            advance_query!(job, next.as_ref()).execute(&mut *tx).await?;
        });
        count_delivery(job.key.kind, outcome.result());
        Ok(())
    }

    /// Records how a delivery without a job of its own (a notice) ended.
    pub async fn record_delivery(&self, key: JobKey, period: &str, outcome: DeliveryOutcome<'_>, now: DateTime<Utc>) -> Result<()> {
        with_conn!(self, writer, |c| {
            end_delivery_query!(key, period, outcome, now).execute(c).await?;
        });
        count_delivery(key.kind, outcome.result());
        Ok(())
    }

    /// Records a failed attempt that will be retried: the error, one more attempt, and when
    /// to try again (unless the job changed meanwhile).
    pub async fn retry_delivery(&self, job: &Job, period: &str, error: &str, retry: JobUpdate, now: DateTime<Utc>) -> Result<()> {
        let key = job.key;
        with_tx!(self, |tx| {
            sqlx::query(RETRY_SQL)
                .bind(error)
                .bind(ts(now))
                .bind(key.kind.as_str())
                .bind(key.guild.to_db())
                .bind(key.team.to_db())
                .bind(key.user.to_db())
                .bind(period)
                .execute(&mut *tx)
                .await?;
            advance_query!(job, Some(&retry)).execute(&mut *tx).await?;
        });
        count_delivery(key.kind, "retried");
        Ok(())
    }

    /// Moves a job on from the occurrence it was read at, unless it changed meanwhile.
    pub async fn advance(&self, job: &Job, next: Option<JobUpdate>) -> Result<()> {
        with_conn!(self, writer, |c| {
            advance_query!(job, next.as_ref()).execute(c).await?;
        });
        Ok(())
    }

    /// One delivery record.
    pub async fn delivery(&self, key: JobKey, period: &str) -> Result<Option<Delivery>> {
        let row: Option<DeliveryRow> = with_conn!(self, reader, |c| sqlx::query_as(DELIVERY_SQL)
            .bind(key.kind.as_str())
            .bind(key.guild.to_db())
            .bind(key.team.to_db())
            .bind(key.user.to_db())
            .bind(period)
            .fetch_optional(c)
            .await?);
        Ok(row.map(|(status, message, channel, attempts, last_error, principle)| Delivery {
            status: DeliveryStatus::parse(&status),
            message_id: message.map(MessageId::from_db),
            channel_id: channel.map(ChannelId::from_db),
            attempts: attempts.max(0) as u32,
            last_error,
            principle: principle.map(|p| p as u8),
        }))
    }

    /// Records that a sent delivery went out `late_secs` late.
    pub async fn record_lateness(&self, key: JobKey, period: &str, late_secs: i64) -> Result<()> {
        with_conn!(self, writer, |c| sqlx::query(LATE_SQL)
            .bind(late_secs)
            .bind(key.kind.as_str())
            .bind(key.guild.to_db())
            .bind(key.team.to_db())
            .bind(key.user.to_db())
            .bind(period)
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// The team's latest post that went out late, since `since`.
    pub async fn last_late_post(&self, team: TeamKey, since: DateTime<Utc>) -> Result<Option<LatePost>> {
        let row: Option<(String, String, i64, i64)> = with_conn!(self, reader, |c| sqlx::query_as(LAST_LATE_SQL)
            .bind(team.guild.to_db())
            .bind(team.team.to_db())
            .bind(ts(since))
            .fetch_optional(c)
            .await?);
        Ok(row.map(|(kind, period, late_secs, at)| LatePost { kind, period, late_secs, at: from_ts(at) }))
    }

    /// The most recent failed delivery (daily or digest) of a team, unless a later delivery
    /// of the same kind went out: a notice clears once things work again.
    pub async fn last_failure(&self, team: TeamKey) -> Result<Option<Failure>> {
        let row: Option<(String, String, Option<String>, i64)> = with_conn!(self, reader, |c| sqlx::query_as(LAST_FAILURE_SQL)
            .bind(team.guild.to_db())
            .bind(team.team.to_db())
            .fetch_optional(c)
            .await?);
        Ok(row.map(|(kind, period, error, at)| Failure { kind, period, error: error.unwrap_or_default(), at: from_ts(at) }))
    }
}

/// Counts a delivery's outcome for `/metrics`. Here, where every delivery's end is written,
/// so that no path of the scheduler, the partner DMs, the board or the team posts goes
/// uncounted.
pub(super) fn count_delivery(kind: JobKind, result: &'static str) {
    metrics::counter!(crate::metrics::DELIVERIES, "kind" => kind.as_str(), "result" => result).increment(1);
}

impl DeliveryOutcome<'_> {
    /// The metrics' name of this outcome.
    fn result(&self) -> &'static str {
        match self {
            DeliveryOutcome::Sent { .. } => "sent",
            DeliveryOutcome::Failed { .. } => "failed",
            DeliveryOutcome::Skipped { .. } => "skipped",
        }
    }
}

/// How a delivery ended.
#[derive(Clone, Copy, Debug)]
pub enum DeliveryOutcome<'a> {
    /// Discord accepted it.
    Sent {
        /// Where.
        channel: ChannelId,
        /// The message.
        message: MessageId,
        /// The principle it carried (daily posts).
        principle: Option<u8>,
    },
    /// Given up for this period.
    Failed {
        /// Why.
        error: &'a str,
    },
    /// Not sent on purpose.
    Skipped {
        /// Why.
        reason: &'a str,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    use crate::storage::test_support::stores;
    use chrono::Duration;

    fn key() -> JobKey {
        JobKey::guild(JobKind::Daily, GuildId(5))
    }

    /// Puts the job and reads it back, as the scheduler would.
    async fn scheduled(s: &Store, key: JobKey, due: DateTime<Utc>) -> Job {
        s.put_job(JobUpdate::new(key, due, due.date_naive())).await.unwrap();
        s.job(key).await.unwrap().unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_claimers_each_take_a_due_job_exactly_once() {
        const JOBS: u64 = 400;
        for (url, _dir) in crate::storage::test_support::database_urls("concurrent_claimers_each_take_a_due_job_exactly_once").await {
            // Six bots on one database, as several processes would be.
            let mut bots = Vec::new();
            for _ in 0..6 {
                bots.push(Store::connect(&url).await.unwrap());
            }
            let now = Utc::now();
            let jobs: Vec<JobUpdate> =
                (1..=JOBS).map(|g| JobUpdate::new(JobKey::guild(JobKind::Daily, GuildId(g)), now, now.date_naive())).collect();
            bots[0].put_jobs(&jobs).await.unwrap();
            // Each bot claims a few at a time, as its scheduler's ticks do (one after another:
            // a holder may take its own claims again), and finishes what it claimed (the job
            // moves a day on); all the bots at once, each on its own connections.
            let mut runs = Vec::new();
            for bot in &bots {
                let bot = bot.clone();
                runs.push(tokio::spawn(async move {
                    let mut taken = Vec::new();
                    loop {
                        let claimed = bot.due_jobs(now, 7).await.unwrap();
                        if claimed.is_empty() {
                            return taken;
                        }
                        for job in claimed {
                            taken.push((bot.claim_owner().to_owned(), job.key.guild));
                            let next = JobUpdate::new(job.key, now + Duration::days(1), now.date_naive() + Duration::days(1));
                            bot.advance(&job, Some(next)).await.unwrap();
                        }
                    }
                }));
            }
            let mut taken = Vec::new();
            for run in runs {
                taken.extend(run.await.unwrap());
            }
            let guilds: BTreeSet<GuildId> = taken.iter().map(|t| t.1).collect();
            assert_eq!(guilds.len() as u64, JOBS, "every job was done ({url})");
            // Every claim that came back is counted: a job two bots both took shows here.
            assert_eq!(taken.len() as u64, JOBS, "and each exactly once ({url})");
            let holders: BTreeSet<&str> = taken.iter().map(|t| t.0.as_str()).collect();
            assert!(holders.len() > 1, "the work was shared, so the claims did meet ({url})");
            for bot in &bots {
                bot.close().await;
            }
        }
    }

    #[tokio::test]
    async fn a_claim_holds_another_bot_off_until_released_or_its_lease_ends() {
        for (url, _dir) in
            crate::storage::test_support::database_urls("a_claim_holds_another_bot_off_until_released_or_its_lease_ends").await
        {
            let (a, b) = (Store::connect(&url).await.unwrap(), Store::connect(&url).await.unwrap());
            let now = Utc::now();
            a.put_job(JobUpdate::new(key(), now, now.date_naive())).await.unwrap();
            assert_eq!(a.due_jobs(now, 10).await.unwrap().len(), 1);
            assert_eq!(a.due_jobs(now, 10).await.unwrap().len(), 1, "its holder may take it again (a retry, the next tick)");
            assert!(b.due_jobs(now, 10).await.unwrap().is_empty(), "another bot may not");
            let later = now + crate::storage::CLAIM_LEASE + Duration::seconds(1);
            assert_eq!(b.due_jobs(later, 10).await.unwrap().len(), 1, "after the lease (a crashed holder) it may");
            assert!(a.due_jobs(later, 10).await.unwrap().is_empty(), "and then the first may not");
            // Work done lets go of its claim: the job's next occurrence is anyone's.
            let job = b.due_jobs(later, 10).await.unwrap().remove(0);
            b.advance(&job, Some(JobUpdate::new(key(), later, later.date_naive()))).await.unwrap();
            assert_eq!(a.due_jobs(later, 10).await.unwrap().len(), 1, "advanced, so free again at once");
            // A bot that stops cleanly lets go at once.
            b.due_jobs(later + crate::storage::CLAIM_LEASE * 2, 10).await.unwrap();
            b.close().await;
            assert_eq!(a.due_jobs(later + crate::storage::CLAIM_LEASE * 2, 10).await.unwrap().len(), 1);
            a.close().await;
        }
    }

    #[tokio::test]
    async fn a_bot_on_some_shards_claims_only_the_work_of_their_guilds() {
        use crate::domain::shards::{shard_of, ShardRange};
        for (url, _dir) in crate::storage::test_support::database_urls("a_bot_on_some_shards_claims_only_the_work_of_their_guilds").await {
            let (zero, one) = (Store::connect(&url).await.unwrap(), Store::connect(&url).await.unwrap());
            zero.set_shards(ShardRange::new(Some((0, 0)), 2, "0").unwrap());
            one.set_shards(ShardRange::new(Some((1, 1)), 2, "1").unwrap());
            let now = Utc::now();
            // Snowflake-like ids: ten guilds, five on each shard.
            let guilds: Vec<GuildId> = (0..10u64).map(|n| GuildId(((1_000 + n) << 22) | 77)).collect();
            let jobs: Vec<JobUpdate> =
                guilds.iter().map(|g| JobUpdate::new(JobKey::guild(JobKind::Daily, *g), now, now.date_naive())).collect();
            zero.put_jobs(&jobs).await.unwrap();
            let of = |jobs: Vec<Job>| jobs.into_iter().map(|j| j.key.guild).collect::<BTreeSet<_>>();
            let (a, b) = (of(zero.due_jobs(now, 100).await.unwrap()), of(one.due_jobs(now, 100).await.unwrap()));
            assert_eq!(a, guilds.iter().copied().filter(|g| shard_of(*g, 2) == 0).collect(), "{url}");
            assert_eq!(b, guilds.iter().copied().filter(|g| shard_of(*g, 2) == 1).collect(), "{url}");
            assert_eq!((a.len(), b.len()), (5, 5));
            zero.close().await;
            one.close().await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn an_interaction_is_claimed_by_exactly_one_of_the_bots_that_receive_it() {
        for (url, _dir) in
            crate::storage::test_support::database_urls("an_interaction_is_claimed_by_exactly_one_of_the_bots_that_receive_it").await
        {
            let bots = [Store::connect(&url).await.unwrap(), Store::connect(&url).await.unwrap(), Store::connect(&url).await.unwrap()];
            let now = Utc::now();
            // Each interaction reaches every bot at once, as it does while they run one shard.
            let mut runs = Vec::new();
            for bot in &bots {
                let bot = bot.clone();
                runs.push(tokio::spawn(async move {
                    let mut won = Vec::new();
                    for id in 1..=200u64 {
                        if bot.claim_interaction(id, now).await.unwrap() {
                            won.push(id);
                        }
                    }
                    won
                }));
            }
            let mut all = Vec::new();
            for run in runs {
                all.extend(run.await.unwrap());
            }
            all.sort_unstable();
            assert_eq!(all, (1..=200).collect::<Vec<_>>(), "each once ({url})");
            assert_eq!(bots[0].prune_interaction_claims(now + Duration::seconds(1)).await.unwrap(), 200);
            assert!(bots[1].claim_interaction(7, now).await.unwrap(), "pruned, so claimable again");
            for bot in &bots {
                bot.close().await;
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn processes_starting_together_each_get_their_own_identify_window() {
        for (url, _dir) in
            crate::storage::test_support::database_urls("processes_starting_together_each_get_their_own_identify_window").await
        {
            let bots = [Store::connect(&url).await.unwrap(), Store::connect(&url).await.unwrap(), Store::connect(&url).await.unwrap()];
            let now = Utc::now();
            let span = std::time::Duration::from_millis(5_500);
            let mut runs = Vec::new();
            for bot in &bots {
                let bot = bot.clone();
                runs.push(tokio::spawn(async move { bot.reserve_identify_window(now, span).await.unwrap() }));
            }
            let mut starts = Vec::new();
            for run in runs {
                starts.push(run.await.unwrap());
            }
            starts.sort();
            let gaps: Vec<i64> = starts.windows(2).map(|w| (w[1] - w[0]).num_milliseconds()).collect();
            assert_eq!(starts[0].timestamp_millis(), now.timestamp_millis(), "the first starts at once ({url})");
            assert_eq!(gaps, vec![5_500, 5_500], "each after the one before ({url})");
            // Long after, the window is free again: no wait.
            let later = now + Duration::minutes(5);
            assert_eq!(bots[0].reserve_identify_window(later, span).await.unwrap().timestamp_millis(), later.timestamp_millis());
            for bot in &bots {
                bot.close().await;
            }
        }
    }

    #[tokio::test]
    async fn a_delivery_is_pending_until_sent_and_then_final() {
        // On SQLite, and on PostgreSQL when a test server is given: the same code.
        for (s, _dir) in stores("a_delivery_is_pending_until_sent_and_then_final").await {
            let now = Utc::now();
            let job = scheduled(&s, key(), now).await;
            assert_eq!(s.begin_delivery(key(), "2026-11-27", now).await.unwrap().0, DeliveryStatus::Pending);
            // A restart before it was marked sent sees it pending again, opened at the first try.
            let later = now + Duration::minutes(10);
            let (status, opened) = s.begin_delivery(key(), "2026-11-27", later).await.unwrap();
            assert_eq!((status, opened.timestamp()), (DeliveryStatus::Pending, now.timestamp()));
            let sent = DeliveryOutcome::Sent { channel: ChannelId(1), message: MessageId(2), principle: Some(4) };
            s.finish_delivery(&job, "2026-11-27", sent, None, now).await.unwrap();
            assert_eq!(s.begin_delivery(key(), "2026-11-27", now).await.unwrap().0, DeliveryStatus::Sent);
            let d = s.delivery(key(), "2026-11-27").await.unwrap().unwrap();
            assert_eq!(d.message_id, Some(MessageId(2)));
            assert_eq!(d.principle, Some(4));
            // Another day is a new delivery.
            assert_eq!(s.begin_delivery(key(), "2026-11-28", now).await.unwrap().0, DeliveryStatus::Pending);
        }
    }

    #[tokio::test]
    async fn due_jobs_returns_only_what_is_due_oldest_first() {
        // On SQLite, and on PostgreSQL when a test server is given: the same code.
        for (s, _dir) in stores("due_jobs_returns_only_what_is_due_oldest_first").await {
            let now = Utc::now();
            for (g, mins) in [(1u64, -5i64), (2, 10), (3, -10), (4, 0)] {
                let k = JobKey::guild(JobKind::Daily, GuildId(g));
                s.put_job(JobUpdate::new(k, now + Duration::minutes(mins), now.date_naive())).await.unwrap();
            }
            let due: Vec<u64> = s.due_jobs(now, 10).await.unwrap().iter().map(|j| j.key.guild.get()).collect();
            assert_eq!(due, vec![3, 1, 4]);
            assert_eq!(s.due_jobs(now, 1).await.unwrap().len(), 1);
        }
    }

    #[tokio::test]
    async fn a_retry_counts_the_attempt_and_moves_the_job() {
        // On SQLite, and on PostgreSQL when a test server is given: the same code.
        for (s, _dir) in stores("a_retry_counts_the_attempt_and_moves_the_job").await {
            let now = Utc::now();
            let job = scheduled(&s, key(), now).await;
            s.begin_delivery(key(), "p", now).await.unwrap();
            let retry = JobUpdate { key: key(), due_at: now + Duration::seconds(30), period_date: now.date_naive(), attempts: 1 };
            s.retry_delivery(&job, "p", "HTTP 500", retry, now).await.unwrap();
            let d = s.delivery(key(), "p").await.unwrap().unwrap();
            assert_eq!((d.attempts, d.last_error.as_deref(), d.status), (1, Some("HTTP 500"), DeliveryStatus::Pending));
            assert!(s.due_jobs(now, 10).await.unwrap().is_empty());
            assert_eq!(s.job(key()).await.unwrap().unwrap().attempts, 1);
        }
    }

    #[tokio::test]
    async fn a_change_made_while_a_delivery_is_in_flight_wins() {
        // On SQLite, and on PostgreSQL when a test server is given: the same code.
        for (s, _dir) in stores("a_change_made_while_a_delivery_is_in_flight_wins").await {
            let now = Utc::now();
            let job = scheduled(&s, key(), now).await;
            s.begin_delivery(key(), "p", now).await.unwrap();
            // Meanwhile `/setup daily` moves the post to a new time.
            let moved = JobUpdate::new(key(), now + Duration::hours(5), now.date_naive());
            s.put_job(moved).await.unwrap();
            let after = JobUpdate::new(key(), now + Duration::days(1), now.date_naive() + Duration::days(1));
            let sent = DeliveryOutcome::Sent { channel: ChannelId(1), message: MessageId(2), principle: None };
            s.finish_delivery(&job, "p", sent, Some(after), now).await.unwrap();
            assert_eq!(s.job(key()).await.unwrap().unwrap().due_at.timestamp(), moved.due_at.timestamp(), "the new time stands");
            assert_eq!(s.delivery(key(), "p").await.unwrap().unwrap().status, DeliveryStatus::Sent);
            // Unchanged, the job moves on.
            let job = s.job(key()).await.unwrap().unwrap();
            s.begin_delivery(key(), "q", now).await.unwrap();
            s.finish_delivery(&job, "q", sent, Some(after), now).await.unwrap();
            assert_eq!(s.job(key()).await.unwrap().unwrap().due_at.timestamp(), after.due_at.timestamp());
        }
    }

    #[tokio::test]
    async fn a_forget_during_a_reminder_leaves_nothing_of_the_member() {
        for (s, _dir) in stores("a_forget_during_a_reminder_leaves_nothing_of_the_member").await {
            let now = Utc::now();
            let k = JobKey::member(JobKind::Reminder, GuildId(5), UserId(7));
            let job = scheduled(&s, k, now).await;
            s.begin_delivery(k, "2026-W48", now).await.unwrap();
            s.forget_member(GuildId(5), UserId(7), chrono::Utc::now()).await.unwrap();
            let next = JobUpdate::new(k, now + Duration::days(7), now.date_naive() + Duration::days(7));
            let sent = DeliveryOutcome::Sent { channel: ChannelId(1), message: MessageId(2), principle: None };
            s.finish_delivery(&job, "2026-W48", sent, Some(next), now).await.unwrap();
            assert_eq!(s.delivery(k, "2026-W48").await.unwrap(), None, "no delivery record written back");
            assert_eq!(s.job(k).await.unwrap(), None, "no reminder job written back");
        }
    }

    #[tokio::test]
    async fn the_last_failure_is_reported_until_a_later_delivery_succeeds() {
        // On SQLite, and on PostgreSQL when a test server is given: the same code.
        for (s, _dir) in stores("the_last_failure_is_reported_until_a_later_delivery_succeeds").await {
            let now = Utc::now();
            assert!(s.last_failure(TeamKey::default_of(GuildId(5))).await.unwrap().is_none());
            let job = scheduled(&s, key(), now).await;
            s.begin_delivery(key(), "2026-11-27", now).await.unwrap();
            s.finish_delivery(&job, "2026-11-27", DeliveryOutcome::Failed { error: "404 Unknown Channel" }, None, now).await.unwrap();
            let f = s.last_failure(TeamKey::default_of(GuildId(5))).await.unwrap().unwrap();
            assert_eq!((f.kind.as_str(), f.error.as_str()), ("daily", "404 Unknown Channel"));
            // The next day's post goes out: the notice clears.
            let job = scheduled(&s, key(), now).await;
            s.begin_delivery(key(), "2026-11-28", now).await.unwrap();
            let sent = DeliveryOutcome::Sent { channel: ChannelId(1), message: MessageId(2), principle: None };
            s.finish_delivery(&job, "2026-11-28", sent, None, now + Duration::days(1)).await.unwrap();
            assert!(s.last_failure(TeamKey::default_of(GuildId(5))).await.unwrap().is_none());
        }
    }
}
