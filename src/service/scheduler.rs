//! Deciding what is due and delivering it exactly once.
//!
//! The `schedule` table holds each job's next due time; a tick reads only the due rows. Each
//! delivery is recorded as pending before it is sent and as sent after, so a restart never
//! sends twice; Discord's `enforce_nonce` covers the gap between the two (a retry after a
//! crash or a 5xx that did create the message returns the existing message instead of
//! posting again).

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use futures::StreamExt;
use tracing::{info, warn};

use super::{Result, Service};
use crate::domain::ids::{ChannelId, GuildId, MessageId, UserId};
use crate::domain::lang::Lang;
use crate::domain::principles::principle_of_day;
use crate::domain::schedule::{digest_week, local_date, Recurrence};
use crate::storage::{DeliveryOutcome, Job, JobKey, JobKind, JobUpdate};

/// Where a scheduled message goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Destination {
    /// A guild channel.
    Channel(ChannelId),
    /// A member's DMs.
    User(UserId),
}

/// A scheduled message, before rendering.
#[derive(Clone, Debug)]
pub enum Post {
    /// The day's principle.
    Daily {
        /// Language.
        lang: Lang,
        /// Principle number.
        principle: u8,
        /// Which tip.
        tip: usize,
        /// Which reflection question.
        question: usize,
        /// The local date it is for.
        date: NaiveDate,
    },
    /// A member's weekly reminder DM.
    Reminder {
        /// Language.
        lang: Lang,
        /// The guild it is about.
        guild: GuildId,
        /// The week's principle (today's in the guild).
        principle: u8,
    },
    /// The weekly digest.
    Digest {
        /// Language.
        lang: Lang,
        /// The digest.
        digest: Box<crate::domain::digest::Digest>,
    },
}

/// Why a send failed.
#[derive(Clone, Debug, PartialEq)]
pub enum SendError {
    /// Worth retrying: 429, 5xx, a network error. `after` is Discord's `retry_after`.
    Retry {
        /// Discord's `retry_after`, if it said.
        after: Option<Duration>,
        /// For the log and `/setup show`.
        reason: String,
    },
    /// Not worth retrying this period: no access, unknown channel, DMs closed, bad request.
    Permanent {
        /// Discord's JSON error code, if any (50007: cannot DM this user).
        code: Option<i64>,
        /// For the log and `/setup show`.
        reason: String,
    },
}

/// The Discord side of the scheduler: renders and sends one post.
pub trait Outbox: Send + Sync {
    /// Sends `post` to `to`. `nonce` is unique per delivery; the same nonce must produce at
    /// most one message.
    fn send(
        &self,
        to: Destination,
        post: &Post,
        nonce: &str,
    ) -> impl Future<Output = std::result::Result<(ChannelId, MessageId), SendError>> + Send;
}

/// How many due jobs one tick takes, and how many it runs at once. A slow guild (a long
/// retry_after) never holds the others: it is rescheduled, not waited for.
const TICK_BATCH: u32 = 256;
const CONCURRENCY: usize = 16;

/// The longest wait between retries of one delivery.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// What one tick did (for tests and logs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Jobs that were due.
    pub due: usize,
    /// Messages sent.
    pub sent: usize,
    /// Deliveries to retry later.
    pub retried: usize,
    /// Deliveries given up.
    pub failed: usize,
}

enum JobResult {
    Sent,
    Retried,
    Failed,
    Nothing,
}

impl Service {
    /// One scheduler tick: runs every job that is due now.
    pub async fn tick<O: Outbox>(&self, outbox: &O) -> Result<TickReport> {
        let now = self.now();
        let jobs = self.store.due_jobs(now, TICK_BATCH).await?;
        let mut report = TickReport { due: jobs.len(), ..Default::default() };
        let results: Vec<JobResult> = futures::stream::iter(jobs)
            .map(|job| async move {
                match self.run_job(job, outbox, now).await {
                    Ok(r) => r,
                    Err(e) => {
                        // One job's database trouble must not stop the others or the task.
                        warn!(error = ?e, kind = job.key.kind.as_str(), guild = %job.key.guild, "scheduled job failed");
                        JobResult::Nothing
                    }
                }
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        for r in results {
            match r {
                JobResult::Sent => report.sent += 1,
                JobResult::Retried => report.retried += 1,
                JobResult::Failed => report.failed += 1,
                JobResult::Nothing => {}
            }
        }
        Ok(report)
    }

    /// Makes sure the global jobs exist (the daily retention clean-up).
    pub async fn ensure_maintenance_jobs(&self) -> Result<()> {
        let key = JobKey::guild(JobKind::Retention, GuildId(0));
        if self.store.job(key).await?.is_none() {
            let n = retention_recurrence().next_after(chrono_tz::UTC, self.now());
            self.store.put_job(JobUpdate::new(key, n.at, n.date)).await?;
        }
        Ok(())
    }

    async fn run_job<O: Outbox>(&self, job: Job, outbox: &O, now: DateTime<Utc>) -> Result<JobResult> {
        match job.key.kind {
            JobKind::Daily => self.run_daily(job, outbox, now).await,
            JobKind::Retention => self.run_retention(job, now).await,
            JobKind::Digest => self.run_digest(job, outbox, now).await,
            JobKind::Reminder => self.run_reminder(job, outbox, now).await,
        }
    }

    async fn run_daily<O: Outbox>(&self, job: Job, outbox: &O, now: DateTime<Utc>) -> Result<JobResult> {
        let guild = job.key.guild;
        let settings = self.store.guild_settings(guild).await?;
        let Some((settings, daily)) = settings.and_then(|s| s.daily.map(|d| (s, d))).filter(|(s, _)| !s.left) else {
            self.store.delete_job(job.key).await?;
            return Ok(JobResult::Nothing);
        };
        let rec = daily.recurrence();
        let Some(period_date) = self.current_period(job, rec, settings.zone.0, now).await? else {
            return Ok(JobResult::Nothing);
        };
        let period = period_date.to_string();
        let principle = principle_of_day(guild, period_date);
        let text = self.prompts.catalog.get(principle).text(settings.language.unwrap_or(Lang::En));
        let seed = guild.get() ^ (period_date.num_days_from_ce() as u64);
        let post = Post::Daily {
            lang: settings.language.unwrap_or(Lang::En),
            principle,
            // The same tip and question on a retry, so a deduplicated resend is identical.
            tip: (seed % text.tips.len() as u64) as usize,
            question: (seed / 7 % text.questions.len() as u64) as usize,
            date: period_date,
        };
        self.deliver(
            job,
            &period,
            period_date,
            Destination::Channel(daily.channel),
            &post,
            Some(principle),
            rec,
            settings.zone.0,
            outbox,
            now,
        )
        .await
    }

    async fn run_digest<O: Outbox>(&self, job: Job, outbox: &O, now: DateTime<Utc>) -> Result<JobResult> {
        let guild = job.key.guild;
        let settings = self.store.guild_settings(guild).await?;
        let Some((settings, setup)) = settings.and_then(|s| s.digest.map(|d| (s, d))).filter(|(s, _)| !s.left) else {
            self.store.delete_job(job.key).await?;
            return Ok(JobResult::Nothing);
        };
        let rec = setup.recurrence();
        let Some(period_date) = self.current_period(job, rec, settings.zone.0, now).await? else {
            return Ok(JobResult::Nothing);
        };
        let period = self.period_key(JobKind::Digest, period_date);
        let digest = self.digest_for(&settings, digest_week(period_date)).await?;
        let focus = digest.focus.principle;
        let post = Post::Digest { lang: settings.language.unwrap_or(Lang::En), digest: Box::new(digest) };
        self.deliver(job, &period, period_date, Destination::Channel(setup.channel), &post, Some(focus), rec, settings.zone.0, outbox, now)
            .await
    }

    /// A member's reminder: one DM in their week if they have not checked in and are not
    /// away. Closed DMs (403, code 50007) end it for that week: recorded, shown in `/me show`,
    /// never retried in a loop and never posted in the channel instead.
    async fn run_reminder<O: Outbox>(&self, job: Job, outbox: &O, now: DateTime<Utc>) -> Result<JobResult> {
        let (guild, user) = (job.key.guild, job.key.user);
        let settings = self.store.guild_settings(guild).await?.unwrap_or_else(|| crate::domain::settings::GuildSettings::new(guild));
        let member = self.store.member_settings(guild, user).await?;
        let Some(reminder) = member.reminder.filter(|_| !settings.left) else {
            self.store.delete_job(job.key).await?;
            return Ok(JobResult::Nothing);
        };
        let zone = member.zone.unwrap_or(settings.zone);
        let rec = reminder.recurrence();
        let Some(period_date) = self.current_period(job, rec, zone.0, now).await? else {
            return Ok(JobResult::Nothing);
        };
        let week = crate::domain::time::IsoWeek::of(period_date);
        let period = week.to_string();
        let skip = if self.store.has_checked_in(guild, user, week).await? {
            Some("already checked in this week")
        } else if self.store.away_on(guild, user, period_date).await?.is_some() {
            Some("away")
        } else {
            None
        };
        if let Some(reason) = skip {
            if !self.store.begin_delivery(job.key, &period, now).await?.is_final() {
                let n = rec.on_or_after(zone.0, period_date.succ_opt().unwrap_or(period_date));
                self.store
                    .finish_delivery(
                        job.key,
                        &period,
                        DeliveryOutcome::Skipped { reason },
                        Some(JobUpdate::new(job.key, n.at, n.date)),
                        now,
                    )
                    .await?;
            }
            return Ok(JobResult::Nothing);
        }
        let principle = principle_of_day(guild, local_date(settings.zone.0, now));
        let lang = settings.language.or(member.lang).unwrap_or(Lang::En);
        let post = Post::Reminder { lang, guild, principle };
        self.deliver(job, &period, period_date, Destination::User(user), &post, None, rec, zone.0, outbox, now).await
    }

    /// Decides which occurrence a due job is for. An occurrence from an earlier local day is
    /// not sent late: it is recorded as skipped and the job moves to today's occurrence (which
    /// goes out at once if its time has passed: "missed earlier today, sent late, once").
    async fn current_period(&self, job: Job, rec: Recurrence, tz: chrono_tz::Tz, now: DateTime<Utc>) -> Result<Option<NaiveDate>> {
        let today = local_date(tz, now);
        if job.period_date < today {
            let period = self.period_key(job.key.kind, job.period_date);
            if !self.store.begin_delivery(job.key, &period, now).await?.is_final() {
                info!(kind = job.key.kind.as_str(), guild = %job.key.guild, %period, "missed while offline; skipping");
                let next = rec.on_or_after(tz, today);
                let update = JobUpdate::new(job.key, next.at, next.date);
                self.store
                    .finish_delivery(job.key, &period, DeliveryOutcome::Skipped { reason: "missed on an earlier day" }, Some(update), now)
                    .await?;
            } else {
                let next = rec.on_or_after(tz, today);
                self.store.put_job(JobUpdate::new(job.key, next.at, next.date)).await?;
            }
            return Ok(None);
        }
        Ok(Some(job.period_date))
    }

    /// The exactly-once key of a period: the local date for daily posts, the ISO week for
    /// weekly ones.
    fn period_key(&self, kind: JobKind, date: NaiveDate) -> String {
        match kind {
            JobKind::Daily | JobKind::Retention => date.to_string(),
            JobKind::Digest | JobKind::Reminder => crate::domain::time::IsoWeek::of(date).to_string(),
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn deliver<O: Outbox>(
        &self,
        job: Job,
        period: &str,
        period_date: NaiveDate,
        to: Destination,
        post: &Post,
        principle: Option<u8>,
        rec: Recurrence,
        tz: chrono_tz::Tz,
        outbox: &O,
        now: DateTime<Utc>,
    ) -> Result<JobResult> {
        let after_this = {
            let n = rec.on_or_after(tz, period_date.succ_opt().unwrap_or(period_date));
            JobUpdate::new(job.key, n.at, n.date)
        };
        if self.store.begin_delivery(job.key, period, now).await?.is_final() {
            self.store.put_job(after_this).await?;
            return Ok(JobResult::Nothing);
        }
        let nonce = nonce(job.key, period);
        match outbox.send(to, post, &nonce).await {
            Ok((channel, message)) => {
                info!(kind = job.key.kind.as_str(), guild = %job.key.guild, %period, %message, "delivered");
                self.store
                    .finish_delivery(job.key, period, DeliveryOutcome::Sent { channel, message, principle }, Some(after_this), now)
                    .await?;
                Ok(JobResult::Sent)
            }
            Err(SendError::Retry { after, reason }) => {
                let wait = backoff(job.attempts, after);
                let retry_at = now + chrono::Duration::from_std(wait).unwrap_or_default();
                if local_date(tz, retry_at) > period_date {
                    warn!(kind = job.key.kind.as_str(), guild = %job.key.guild, %period, %reason, "giving up: the day is over");
                    let error = format!("{reason} (retried until the day was over)");
                    self.store.finish_delivery(job.key, period, DeliveryOutcome::Failed { error: &error }, Some(after_this), now).await?;
                    return Ok(JobResult::Failed);
                }
                info!(kind = job.key.kind.as_str(), guild = %job.key.guild, %period, %reason, wait_ms = wait.as_millis() as u64, "will retry");
                let retry = JobUpdate { key: job.key, due_at: retry_at, period_date, attempts: job.attempts + 1 };
                self.store.retry_delivery(job.key, period, &reason, retry, now).await?;
                Ok(JobResult::Retried)
            }
            Err(SendError::Permanent { reason, .. }) => {
                warn!(kind = job.key.kind.as_str(), guild = %job.key.guild, %period, %reason, "delivery failed; not retrying this period");
                self.store.finish_delivery(job.key, period, DeliveryOutcome::Failed { error: &reason }, Some(after_this), now).await?;
                Ok(JobResult::Failed)
            }
        }
    }

    async fn run_retention(&self, job: Job, now: DateTime<Utc>) -> Result<JobResult> {
        let deleted = self.store.apply_retention(now).await?;
        if deleted > 0 {
            info!(rows = deleted, "retention: deleted old check-ins and commitments");
        }
        let n = retention_recurrence().next_after(chrono_tz::UTC, now);
        self.store.put_job(JobUpdate::new(job.key, n.at, n.date)).await?;
        Ok(JobResult::Nothing)
    }
}

fn retention_recurrence() -> Recurrence {
    Recurrence::Daily { time: crate::domain::time::LocalTime::new(3, 17).expect("valid"), weekdays_only: false }
}

/// The wait before the next attempt: Discord's `retry_after` when it gave one, else
/// exponential from 2 s, capped at five minutes.
pub fn backoff(attempts: u32, retry_after: Option<Duration>) -> Duration {
    match retry_after {
        Some(after) => after.min(MAX_BACKOFF),
        None => Duration::from_secs(2u64.saturating_pow(attempts.min(16) + 1)).min(MAX_BACKOFF),
    }
}

/// A delivery's nonce for Discord's `enforce_nonce`: at most 25 characters, stable for the
/// delivery, different between deliveries.
pub fn nonce(key: JobKey, period: &str) -> String {
    // FNV-1a: stable across Rust versions, unlike `DefaultHasher`.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let input = format!("{}:{}:{}:{}", key.kind.as_str(), key.guild, key.user, period);
    for b in input.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("pc{h}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_honours_retry_after_and_grows_without_it() {
        assert_eq!(backoff(0, Some(Duration::from_millis(1500))), Duration::from_millis(1500));
        assert_eq!(backoff(0, None), Duration::from_secs(2));
        assert_eq!(backoff(3, None), Duration::from_secs(16));
        assert_eq!(backoff(30, None), MAX_BACKOFF);
        assert_eq!(backoff(0, Some(Duration::from_secs(3600))), MAX_BACKOFF);
    }

    #[test]
    fn nonces_fit_discord_and_differ_per_delivery() {
        let k = JobKey::guild(JobKind::Daily, GuildId(u64::MAX));
        let a = nonce(k, "2026-11-27");
        assert!(a.len() <= 25);
        assert_eq!(a, nonce(k, "2026-11-27"));
        assert_ne!(a, nonce(k, "2026-11-28"));
        assert_ne!(a, nonce(JobKey::guild(JobKind::Digest, GuildId(u64::MAX)), "2026-11-27"));
    }
}
