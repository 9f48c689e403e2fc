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
use crate::domain::ids::{ChannelId, GuildId, MessageId, RoleId, TeamKey, UserId};
use crate::domain::lang::Lang;
use crate::domain::principles::principle_of_posting_day;
use crate::domain::schedule::{digest_week, local_date, Recurrence};
use crate::storage::{DeliveryOutcome, Job, JobKey, JobKind, JobUpdate};

/// Where a scheduled message goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Destination {
    /// A guild channel.
    Channel(ChannelId),
    /// A member's DMs.
    User(UserId),
    /// The DMs of a guild's owner, who always has Manage Server.
    Owner(GuildId),
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
        /// The team's focus this week (named by last week's digest), if any.
        focus: Option<u8>,
    },
    /// A member's weekly reminder DM.
    Reminder {
        /// Language.
        lang: Lang,
        /// The guild it is about.
        guild: GuildId,
        /// The week's principle (today's in the guild).
        principle: u8,
        /// The teams not checked in to yet, when the server has several (empty: it has one,
        /// and the reminder reads as it always did).
        teams: Vec<String>,
    },
    /// The weekly digest.
    Digest {
        /// Language.
        lang: Lang,
        /// The digest.
        digest: Box<crate::domain::digest::Digest>,
    },
    /// To a partner: a commitment made to them, with buttons to agree or to ask to talk.
    PartnerAsk(Box<super::partners::PartnerDm>),
    /// To a partner: was the commitment kept? Buttons yes / partly / no.
    PartnerCheck(Box<super::partners::PartnerDm>),
    /// To the member: their partner wants to talk the commitment over.
    PartnerTalk(Box<super::partners::PartnerDm>),
    /// A commitment's message on the team's board.
    Board(Box<super::partners::BoardEntry>),
    /// A charter proposal, with its vote buttons while it is open.
    Charter(Box<super::charter::CharterPost>),
    /// A public thank-you, which pings the member thanked.
    Thanks(Box<super::charter::ThanksPost>),
    /// To the owner: a post stopped because its channel was deleted, and how to fix it.
    ChannelGone {
        /// Language.
        lang: Lang,
        /// The guild.
        guild: GuildId,
        /// The daily post or the digest.
        what: JobKind,
        /// The channel that is gone.
        channel: ChannelId,
    },
}

impl Post {
    /// The language it is written in.
    pub fn lang(&self) -> Lang {
        match self {
            Post::Daily { lang, .. } | Post::Reminder { lang, .. } | Post::Digest { lang, .. } | Post::ChannelGone { lang, .. } => *lang,
            Post::PartnerAsk(d) | Post::PartnerCheck(d) | Post::PartnerTalk(d) => d.lang,
            Post::Board(b) => b.lang,
            Post::Charter(c) => c.lang,
            Post::Thanks(t) => t.lang,
        }
    }
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
    /// most one message while Discord remembers it (a few minutes).
    fn send(
        &self,
        to: Destination,
        post: &Post,
        nonce: &str,
    ) -> impl Future<Output = std::result::Result<(ChannelId, MessageId), SendError>> + Send;

    /// Looks in `to`'s messages since `since` for one the bot sent with this post's content:
    /// what a send that Discord accepted, but whose answer never arrived, left behind.
    fn find_sent(
        &self,
        to: Destination,
        post: &Post,
        since: DateTime<Utc>,
    ) -> impl Future<Output = std::result::Result<Option<(ChannelId, MessageId)>, SendError>> + Send;

    /// `user` as a member of `guild` (their roles, whether they are a bot), or `None` if
    /// they are no longer a member (the bot has no member intent, so it asks).
    fn member(&self, guild: GuildId, user: UserId) -> impl Future<Output = std::result::Result<Option<Member>, SendError>> + Send;

    /// Opens a public thread named `name` in `parent` (no starter message).
    fn open_thread(&self, parent: ChannelId, name: &str) -> impl Future<Output = std::result::Result<ChannelId, SendError>> + Send;

    /// Finds an active thread named `name` in `parent` that the bot opened: what an open
    /// whose answer was lost left behind.
    fn find_thread(
        &self,
        guild: GuildId,
        parent: ChannelId,
        name: &str,
    ) -> impl Future<Output = std::result::Result<Option<ChannelId>, SendError>> + Send;

    /// Replaces a message the bot sent with `post` as rendered now. A message in an archived
    /// thread is edited after unarchiving the thread.
    fn edit(&self, channel: ChannelId, message: MessageId, post: &Post) -> impl Future<Output = std::result::Result<(), SendError>> + Send;

    /// Deletes a message the bot sent.
    fn delete(&self, channel: ChannelId, message: MessageId) -> impl Future<Output = std::result::Result<(), SendError>> + Send;
}

/// What Discord says of one member.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Member {
    /// Their roles.
    pub roles: Vec<RoleId>,
    /// A bot account.
    pub bot: bool,
}

/// How long after a delivery was first tried Discord's `enforce_nonce` is trusted to drop a
/// repeat. Discord remembers a nonce for a few minutes; past this, a pending delivery is
/// resent only after looking for it in the channel.
pub const NONCE_MEMORY: chrono::Duration = chrono::Duration::minutes(2);

/// Discord's JSON error code for a channel that no longer exists.
pub(super) const UNKNOWN_CHANNEL: i64 = 10003;

/// One delivery about to be made: what, where, and how its job moves on.
struct Delivery {
    /// The job as it was read (its next due time moves only if nothing changed it since).
    job: Job,
    /// The exactly-once key.
    period: String,
    /// The local date of the occurrence.
    period_date: NaiveDate,
    /// Where.
    to: Destination,
    /// What.
    post: Post,
    /// The principle it carries, recorded for the digest.
    principle: Option<u8>,
    /// The job's recurrence and zone, for the next occurrence.
    rec: Recurrence,
    /// The zone.
    tz: chrono_tz::Tz,
}

/// A delivery's exactly-once record, as `begin_delivery` opened it.
#[derive(Clone, Copy)]
pub(super) struct Opened<'a> {
    pub(super) key: JobKey,
    pub(super) period: &'a str,
    /// When the first attempt was recorded.
    pub(super) opened: DateTime<Utc>,
}

impl Delivery {
    /// The job's next occurrence after this one.
    fn after_this(&self) -> JobUpdate {
        let n = self.rec.on_or_after(self.tz, self.period_date.succ_opt().unwrap_or(self.period_date));
        JobUpdate::new(self.job.key, n.at, n.date)
    }
}

/// How many due jobs one tick takes, and how many it runs at once. A slow guild (a long
/// retry_after) never holds the others: it is rescheduled, not waited for.
pub(super) const TICK_BATCH: u32 = 256;
pub(super) const CONCURRENCY: usize = 16;

/// How long after its time a post not yet tried still goes out for its own day when that day
/// is over: the longest a burst of due posts takes to drain (10,000 in about five minutes at
/// the REST budget), with room.
pub const QUEUE_GRACE: Duration = Duration::from_secs(30 * 60);

/// A post this many seconds after its time or more is reported as late in `/setup show`.
pub const LATE_NOTICE_SECS: i64 = 60;

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

impl TickReport {
    /// Counts one delivery's result.
    pub(super) fn count(&mut self, r: JobResult) {
        match r {
            JobResult::Sent => self.sent += 1,
            JobResult::Retried => self.retried += 1,
            JobResult::Failed => self.failed += 1,
            JobResult::Nothing => {}
        }
    }
}

pub(super) enum JobResult {
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
            report.count(r);
        }
        // Then the work interactions queued (partner DMs, the board, the charter, thanks):
        // after the scheduled posts, so a burst of it never holds up a daily post, and its
        // trouble is logged, never the end of the tick.
        for more in [self.run_tasks(outbox, now).await, self.run_team_posts(outbox, now).await] {
            match more {
                Ok(r) => {
                    report.due += r.due;
                    report.sent += r.sent;
                    report.retried += r.retried;
                    report.failed += r.failed;
                }
                Err(e) => warn!(error = ?e, "queued work failed this tick"),
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
            // Never scheduled (their work is queued elsewhere); a stray row is removed.
            JobKind::Notice
            | JobKind::PartnerAsk
            | JobKind::PartnerCheck
            | JobKind::PartnerTalk
            | JobKind::Board
            | JobKind::BoardWeek
            | JobKind::Charter
            | JobKind::Thanks => {
                self.store.delete_job(job.key).await?;
                Ok(JobResult::Nothing)
            }
        }
    }

    async fn run_daily<O: Outbox>(&self, job: Job, outbox: &O, now: DateTime<Utc>) -> Result<JobResult> {
        let guild = job.key.guild;
        let settings = self.store.team_settings(job.key.team_key()).await?;
        let Some((settings, daily)) = settings.and_then(|s| s.daily.map(|d| (s, d))).filter(|(s, _)| !s.left) else {
            self.store.delete_job(job.key).await?;
            return Ok(JobResult::Nothing);
        };
        let rec = daily.recurrence();
        let Some(period_date) = self.current_period(job, rec, settings.zone.0, now).await? else {
            return Ok(JobResult::Nothing);
        };
        let period = period_date.to_string();
        if settings.paused_on(period_date) {
            return self.skip(job, &period, "the team is on holiday", rec, settings.zone.0, period_date, now).await;
        }
        let principle = self.daily_principle(job.key.team_key(), period_date, daily.weekdays_only).await?;
        let focus = self.team_week_focus(job.key.team_key(), crate::domain::time::IsoWeek::of(period_date)).await?;
        let text = self.prompts.catalog.get(principle).text(settings.language.unwrap_or(Lang::En));
        let seed = guild.get() ^ (period_date.num_days_from_ce() as u64);
        let post = Post::Daily {
            lang: settings.language.unwrap_or(Lang::En),
            principle,
            // The same tip and question on a retry, so a deduplicated resend is identical.
            tip: (seed % text.tips.len() as u64) as usize,
            question: (seed / 7 % text.questions.len() as u64) as usize,
            date: period_date,
            focus,
        };
        let to = Destination::Channel(daily.channel);
        let d = Delivery { job, period, period_date, to, post, principle: Some(principle), rec, tz: settings.zone.0 };
        self.deliver(d, outbox, now).await
    }

    async fn run_digest<O: Outbox>(&self, job: Job, outbox: &O, now: DateTime<Utc>) -> Result<JobResult> {
        let settings = self.store.team_settings(job.key.team_key()).await?;
        let Some((settings, setup)) = settings.and_then(|s| s.digest.map(|d| (s, d))).filter(|(s, _)| !s.left) else {
            self.store.delete_job(job.key).await?;
            return Ok(JobResult::Nothing);
        };
        let rec = setup.recurrence();
        let Some(period_date) = self.current_period(job, rec, settings.zone.0, now).await? else {
            return Ok(JobResult::Nothing);
        };
        let period = self.period_key(JobKind::Digest, period_date);
        let mut digest = self.digest_for(&settings, digest_week(period_date)).await?;
        // The first scheduled digest of each month (in the team's zone) looks back four weeks.
        if crate::domain::trend::is_first_of_month(period_date) {
            self.add_review(&settings, digest_week(period_date), &mut digest).await?;
        }
        let focus = digest.focus.principle;
        let signal = digest.focus_signal.map(|v| (digest.focus.rule, v));
        let post = Post::Digest { lang: settings.language.unwrap_or(Lang::En), digest: Box::new(digest) };
        let to = Destination::Channel(setup.channel);
        let result = self
            .deliver(Delivery { job, period, period_date, to, post, principle: Some(focus), rec, tz: settings.zone.0 }, outbox, now)
            .await?;
        // What chose the focus, for the next digest's "what happened" line. Written after the
        // send: losing it to a crash costs that line, never a second digest.
        if let (JobResult::Sent, Some((rule, value))) = (&result, signal) {
            self.store.record_focus_signal(job.key.team_key(), digest_week(period_date), rule, value).await?;
        }
        Ok(result)
    }

    /// A member's reminder: one DM in their week if they have not checked in and are not
    /// away. Closed DMs (403, code 50007) end it for that week: recorded, shown in `/me show`,
    /// never retried in a loop and never posted in the channel instead.
    async fn run_reminder<O: Outbox>(&self, job: Job, outbox: &O, now: DateTime<Utc>) -> Result<JobResult> {
        let (guild, user) = (job.key.guild, job.key.user);
        let default = TeamKey::default_of(guild);
        let settings = self.store.team_settings(default).await?.unwrap_or_else(|| crate::domain::settings::GuildSettings::new(guild));
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
        // Once per member and week of their own.
        let period = crate::domain::time::IsoWeek::of(period_date).to_string();
        // The member's teams; their roles decide them, which only Discord knows, so it is
        // asked first when a team has a role (and that answer doubles as the member check).
        let teams = self.teams(guild).await?;
        let mut asked = None;
        if teams.iter().any(|t| t.role.is_some()) {
            asked = Some(outbox.member(guild, user).await);
        }
        // Without the roles the member's teams are unknown: guessing (no roles, so the
        // default team) would remind one who checked in to all their teams, naming a team
        // they are not in. A lookup that Discord could not answer now (429, 5xx) is retried
        // like a send that failed so.
        if let Some(Err(SendError::Retry { after, reason })) = &asked {
            let next = rec.on_or_after(zone.0, period_date.succ_opt().unwrap_or(period_date));
            let after_this = JobUpdate::new(job.key, next.at, next.date);
            let (status, _) = self.store.begin_delivery(job.key, &period, now).await?;
            if status.is_final() {
                self.store.advance(&job, Some(after_this)).await?;
                return Ok(JobResult::Nothing);
            }
            let reason = format!("could not read the member's roles: {reason}");
            return self.retry_or_give_up(job, &period, period_date, zone.0, after_this, *after, &reason, now).await;
        }
        let roles = match &asked {
            Some(Ok(Some(m))) => m.roles.clone(),
            _ => Vec::new(),
        };
        // "Already checked in" asks each team about the week its check-ins are stored
        // under, in its own zone; a team on holiday is not reminded of.
        let mut pending = Vec::new();
        let mut paused = 0;
        let mut first = None;
        let mine = self.teams_of_member(guild, user, &roles).await?;
        for id in &mine {
            let key = TeamKey::new(guild, *id);
            let Some(s) = self.settings_or_default(key).await? else { continue };
            let team_today = local_date(s.zone.0, now);
            if s.paused_on(team_today) {
                paused += 1;
                continue;
            }
            if !self.store.has_checked_in(key, user, crate::domain::time::IsoWeek::of(team_today)).await? {
                first.get_or_insert((s.clone(), team_today));
                pending.push(s.team.name.clone());
            }
        }
        let (about, about_today) = first.clone().unwrap_or((settings.clone(), local_date(settings.zone.0, now)));
        let weekdays_only = about.daily.is_some_and(|d| d.weekdays_only);
        let principle = principle_of_posting_day(guild, about_today, weekdays_only);
        let lang = about.language.or(settings.language).or(member.lang).unwrap_or(Lang::En);
        let names = if teams.len() > 1 { pending.clone() } else { Vec::new() };
        let post = Post::Reminder { lang, guild, principle, teams: names };
        let d = Delivery { job, period, period_date, to: Destination::User(user), post, principle: None, rec, tz: zone.0 };
        let skip = if pending.is_empty() && paused > 0 && paused == mine.len() {
            Some("the team is on holiday")
        } else if pending.is_empty() {
            Some("already checked in this week")
        } else if self.store.away_on(guild, user, period_date).await?.is_some() {
            Some("away")
        } else {
            None
        };
        if let Some(reason) = skip {
            // Also moves a job whose week is already final on, as every other delivery does.
            return self.skip(job, &d.period, reason, rec, zone.0, period_date, now).await;
        }
        // Only a member still in the server is reminded. One who left is dropped from
        // reminders once, recorded, and not asked about again.
        let membership = match asked {
            Some(answer) => answer,
            None => outbox.member(guild, user).await,
        };
        match membership {
            Ok(Some(_)) => {}
            Ok(None) => {
                if !self.store.begin_delivery(job.key, &d.period, now).await?.0.is_final() {
                    info!(%guild, %user, "reminder: the member left the server; turning it off");
                    self.store.drop_reminder(&job, &d.period, "the member left the server", now).await?;
                }
                return Ok(JobResult::Nothing);
            }
            // Unknown (Discord failing): the DM itself will say more; do not drop anyone on
            // a 5xx.
            Err(e) => warn!(%guild, %user, error = ?e, "reminder: could not check membership; sending anyway"),
        }
        self.deliver(d, outbox, now).await
    }

    /// Records an occurrence as deliberately not sent and moves its job to the next one.
    #[allow(clippy::too_many_arguments)]
    async fn skip(
        &self,
        job: Job,
        period: &str,
        reason: &'static str,
        rec: Recurrence,
        tz: chrono_tz::Tz,
        period_date: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<JobResult> {
        let n = rec.on_or_after(tz, period_date.succ_opt().unwrap_or(period_date));
        let next = JobUpdate::new(job.key, n.at, n.date);
        if !self.store.begin_delivery(job.key, period, now).await?.0.is_final() {
            self.store.finish_delivery(&job, period, DeliveryOutcome::Skipped { reason }, Some(next), now).await?;
        } else {
            self.store.advance(&job, Some(next)).await?;
        }
        Ok(JobResult::Nothing)
    }

    /// Decides which occurrence a due job is for. An occurrence from an earlier local day is
    /// not sent late: it is recorded as skipped and the job moves to today's occurrence (which
    /// goes out at once if its time has passed: "missed earlier today, sent late, once").
    async fn current_period(&self, job: Job, rec: Recurrence, tz: chrono_tz::Tz, now: DateTime<Utc>) -> Result<Option<NaiveDate>> {
        let today = local_date(tz, now);
        // A first attempt a short while past midnight is a post that waited its turn (a
        // burst spread within Discord's limit), not one missed while the bot was down: it
        // still goes out, for its own day.
        let queued = job.attempts == 0 && now - job.due_at < chrono::Duration::from_std(QUEUE_GRACE).unwrap_or_default();
        if job.period_date < today && !queued {
            let period = self.period_key(job.key.kind, job.period_date);
            let next = rec.on_or_after(tz, today);
            let update = JobUpdate::new(job.key, next.at, next.date);
            if !self.store.begin_delivery(job.key, &period, now).await?.0.is_final() {
                info!(kind = job.key.kind.as_str(), guild = %job.key.guild, %period, "missed while offline; skipping");
                let skipped = DeliveryOutcome::Skipped { reason: "missed on an earlier day" };
                self.store.finish_delivery(&job, &period, skipped, Some(update), now).await?;
            } else {
                self.store.advance(&job, Some(update)).await?;
            }
            return Ok(None);
        }
        Ok(Some(job.period_date))
    }

    /// The exactly-once key of a period: the local date for daily posts, the ISO week a
    /// digest covers (so moving the digest day never covers a week twice or skips one), the
    /// member's ISO week for reminders.
    fn period_key(&self, kind: JobKind, date: NaiveDate) -> String {
        match kind {
            JobKind::Digest => digest_week(date).to_string(),
            JobKind::Reminder => crate::domain::time::IsoWeek::of(date).to_string(),
            _ => date.to_string(),
        }
    }

    /// Delivers once: records the attempt, sends (or, for an attempt older than Discord's
    /// nonce memory, first looks for an earlier send in the channel), records the outcome.
    async fn deliver<O: Outbox>(&self, d: Delivery, outbox: &O, now: DateTime<Utc>) -> Result<JobResult> {
        let (job, period) = (d.job, d.period.as_str());
        let after_this = d.after_this();
        let (status, opened) = self.store.begin_delivery(job.key, period, now).await?;
        if status.is_final() {
            self.store.advance(&job, Some(after_this)).await?;
            return Ok(JobResult::Nothing);
        }
        let mut result = self.send_once(d.to, &d.post, Opened { key: job.key, period, opened }, outbox, now).await;
        // A deleted channel will not come back: the owner is told once how to fix it, and
        // the post stops (below). Telling them is retried like the post itself.
        if let (Err(SendError::Permanent { code: Some(UNKNOWN_CHANNEL), .. }), Destination::Channel(channel)) = (&result, d.to) {
            if let Err(retry) = self.tell_owner_channel_gone(job, channel, d.post.lang(), outbox, now).await? {
                result = Err(retry);
            }
        }
        match result {
            Ok((channel, message)) => {
                info!(kind = job.key.kind.as_str(), guild = %job.key.guild, %period, %message, "delivered");
                let sent = DeliveryOutcome::Sent { channel, message, principle: d.principle };
                self.store.finish_delivery(&job, period, sent, Some(after_this), now).await?;
                // Late from when it was due (a retry's due time is its retry's: then from its
                // first attempt), to now, after the wait for the REST budget.
                let due = if job.attempts == 0 { job.due_at } else { opened };
                let late = (self.now() - due).num_seconds();
                if late >= LATE_NOTICE_SECS {
                    info!(kind = job.key.kind.as_str(), guild = %job.key.guild, %period, late_secs = late, "delivered late");
                    self.store.record_lateness(job.key, period, late).await?;
                }
                if job.key.kind == JobKind::Digest {
                    self.focus_changed(job.key.team_key());
                }
                Ok(JobResult::Sent)
            }
            Err(SendError::Retry { after, reason }) => {
                self.retry_or_give_up(job, period, d.period_date, d.tz, after_this, after, &reason, now).await
            }
            Err(SendError::Permanent { code, reason }) => {
                // A deleted channel: stop trying until `/setup` sets a channel again (which
                // schedules the job anew); `/setup show` says so.
                let gone = code == Some(UNKNOWN_CHANNEL) && matches!(d.to, Destination::Channel(_));
                let next = (!gone).then_some(after_this);
                warn!(kind = job.key.kind.as_str(), guild = %job.key.guild, %period, %reason, stopped = gone, "delivery failed; not retrying this period");
                self.store.finish_delivery(&job, period, DeliveryOutcome::Failed { error: &reason }, next, now).await?;
                Ok(JobResult::Failed)
            }
        }
    }

    /// After a failure worth retrying: schedules the next attempt with [`backoff`], or gives
    /// the occurrence up (recorded as failed, the job moved to `after_this`) when that attempt
    /// would fall on a later local day than the one it is for.
    #[allow(clippy::too_many_arguments)]
    async fn retry_or_give_up(
        &self,
        job: Job,
        period: &str,
        period_date: NaiveDate,
        tz: chrono_tz::Tz,
        after_this: JobUpdate,
        after: Option<Duration>,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<JobResult> {
        let wait = backoff(job.attempts, after);
        let retry_at = now + chrono::Duration::from_std(wait).unwrap_or_default();
        if local_date(tz, retry_at) > period_date {
            warn!(kind = job.key.kind.as_str(), guild = %job.key.guild, %period, %reason, "giving up: the day is over");
            let error = format!("{reason} (retried until the day was over)");
            self.store.finish_delivery(&job, period, DeliveryOutcome::Failed { error: &error }, Some(after_this), now).await?;
            return Ok(JobResult::Failed);
        }
        info!(kind = job.key.kind.as_str(), guild = %job.key.guild, %period, %reason, wait_ms = wait.as_millis() as u64, "will retry");
        let retry = JobUpdate { key: job.key, due_at: retry_at, period_date, attempts: job.attempts + 1 };
        self.store.retry_delivery(&job, period, reason, retry, now).await?;
        Ok(JobResult::Retried)
    }

    /// Sends a post once: for an attempt first made longer ago than Discord's nonce memory,
    /// only after looking for an earlier send of it that Discord accepted.
    pub(super) async fn send_once<O: Outbox>(
        &self,
        to: Destination,
        post: &Post,
        record: Opened<'_>,
        outbox: &O,
        now: DateTime<Utc>,
    ) -> std::result::Result<(ChannelId, MessageId), SendError> {
        let Opened { key, period, opened } = record;
        if now - opened >= NONCE_MEMORY {
            // Discord may have forgotten the nonce: a blind resend could post twice.
            if let Some(found) = outbox.find_sent(to, post, opened).await? {
                info!(kind = key.kind.as_str(), guild = %key.guild, %period, "found an earlier send; not sending again");
                return Ok(found);
            }
        }
        outbox.send(to, post, &nonce(key, period)).await
    }

    /// Tells the guild's owner, once per deleted channel, that a post stopped and how to set
    /// it again. `Ok(Err(..))` is a failure worth retrying (with the post's own retries).
    async fn tell_owner_channel_gone<O: Outbox>(
        &self,
        job: Job,
        channel: ChannelId,
        lang: Lang,
        outbox: &O,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<(), SendError>> {
        let guild = job.key.guild;
        let key = JobKey::guild(JobKind::Notice, guild);
        let period = format!("{}:{channel}", job.key.kind.as_str());
        let (status, opened) = self.store.begin_delivery(key, &period, now).await?;
        if status.is_final() {
            return Ok(Ok(()));
        }
        let post = Post::ChannelGone { lang, guild, what: job.key.kind, channel };
        let outcome = match self.send_once(Destination::Owner(guild), &post, Opened { key, period: &period, opened }, outbox, now).await {
            Ok((channel, message)) => DeliveryOutcome::Sent { channel, message, principle: None },
            Err(SendError::Permanent { reason, .. }) => {
                warn!(%guild, %reason, "could not tell the owner that a channel is gone");
                self.store.record_delivery(key, &period, DeliveryOutcome::Failed { error: &reason }, now).await?;
                return Ok(Ok(()));
            }
            Err(retry) => return Ok(Err(retry)),
        };
        info!(%guild, %channel, "told the owner that a post's channel is gone");
        self.store.record_delivery(key, &period, outcome, now).await?;
        Ok(Ok(()))
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
    let mut input = format!("{}:{}:{}:{}", key.kind.as_str(), key.guild, key.user, period);
    // The default team's nonces are those from before teams, so a delivery left pending by
    // the previous version is still deduplicated by Discord after the upgrade.
    if !key.team.is_default() {
        input.push_str(&format!(":team{}", key.team));
    }
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
        // Two teams posting the same day each get their own message.
        let team = JobKey::team(JobKind::Daily, TeamKey::new(GuildId(u64::MAX), crate::domain::ids::TeamId(1)));
        assert_ne!(a, nonce(team, "2026-11-27"));
        assert_eq!(a, nonce(JobKey::team(JobKind::Daily, TeamKey::default_of(GuildId(u64::MAX))), "2026-11-27"));
    }
}
