//! Two-sided commitments and the board: the partner's DMs, their answers, and the team's
//! weekly board thread with one message per commitment.
//!
//! Each piece of work a commitment needs is a row of `commitment_tasks`; the scheduler's
//! tick runs the due ones. Every DM and board message has a delivery record like a
//! scheduled post (`JobKind::PartnerAsk`, …, period = the commitment's id), so it goes out
//! once across restarts, 429 and 5xx; board edits are idempotent and simply retried.

use chrono::{DateTime, NaiveDate, Utc};
use futures::StreamExt;
use tracing::{info, warn};

use super::scheduler::{backoff, JobResult, Opened, CONCURRENCY, TICK_BATCH, UNKNOWN_CHANNEL};
use super::{Destination, Outbox, Post, Result, SendError, Service, TickReport};
use crate::domain::checkin::Outcome;
use crate::domain::ids::{ChannelId, GuildId, MessageId, TeamKey, UserId};
use crate::domain::lang::Lang;
use crate::domain::refusal::Refusal;
use crate::domain::time::IsoWeek;
use crate::keys as k;
use crate::storage::{
    Agreement, DeliveryOutcome, DeliveryStatus, JobKey, JobKind, PartnerAnswer, Task, TaskCommitment, TaskKind, Unreachable,
};

/// How long a partner's buttons work after their DM was first sent.
pub const BUTTONS_LAST_DAYS: i64 = 14;

/// Attempts at one task before it is given up (with [`backoff`], about an hour of trying).
const MAX_TASK_ATTEMPTS: u32 = 16;

/// Discord's JSON error codes the tasks act on.
const CANNOT_DM: i64 = 50007;
const UNKNOWN_MESSAGE: i64 = 10008;

/// A DM about one commitment, to its partner or its member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartnerDm {
    /// Language.
    pub lang: Lang,
    /// The server it is about.
    pub guild: GuildId,
    /// The team's name, in a server with several teams.
    pub team: Option<String>,
    /// The commitment.
    pub commitment: i64,
    /// Who made it.
    pub member: UserId,
    /// To whom.
    pub partner: UserId,
    /// What.
    pub text: String,
    /// By when.
    pub due: NaiveDate,
    /// When its buttons stop working.
    pub expires: DateTime<Utc>,
}

/// A commitment's message on the board.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoardEntry {
    /// Language.
    pub lang: Lang,
    /// Who made it.
    pub member: UserId,
    /// To whom.
    pub partner: Option<UserId>,
    /// What.
    pub text: String,
    /// By when.
    pub due: NaiveDate,
    /// How it ended, by the member's word.
    pub outcome: Option<Outcome>,
    /// The partner's answer to the agree DM.
    pub agreement: Option<Agreement>,
    /// The partner's answer to "was it kept?".
    pub verdict: Option<Outcome>,
}

/// A partner's click.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartnerClick {
    /// "Agree" or "let's talk" on the agree DM.
    Agreement(Agreement),
    /// Yes / partly / no on the "was it kept?" DM.
    Verdict(Outcome),
}

/// What a click did, for the answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClickResult {
    /// Recorded; the DM is updated to say so.
    Recorded(PartnerClick),
    /// The commitment no longer exists.
    Gone,
}

impl Service {
    /// The due commitment tasks and board removals, one tick's worth.
    pub(super) async fn run_tasks<O: Outbox>(&self, outbox: &O, now: DateTime<Utc>) -> Result<TickReport> {
        let tasks = self.store.due_tasks(now, TICK_BATCH).await?;
        let mut report = TickReport { due: tasks.len(), ..Default::default() };
        // DMs run side by side; board work runs one at a time, so two commitments of one
        // week never both open that week's thread.
        let (board, dms): (Vec<Task>, Vec<Task>) = tasks.into_iter().partition(|t| t.kind == TaskKind::Board);
        let mut results: Vec<JobResult> = futures::stream::iter(dms)
            .map(|task| async move { self.run_task_logged(task, outbox, now).await })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        for task in board {
            let r = self.run_task_logged(task, outbox, now).await;
            // Discord limiting or failing the board's channel: the rest wait for the next
            // tick rather than each spending an attempt on the same limit.
            let stop = matches!(r, JobResult::Retried);
            results.push(r);
            if stop {
                break;
            }
        }
        for r in results {
            report.count(r);
        }
        for removal in self.store.due_board_removals(now, TICK_BATCH).await? {
            let retry = match outbox.delete(removal.channel, removal.message).await {
                // Gone already (a moderator, the thread deleted): nothing left to do.
                Ok(()) | Err(SendError::Permanent { code: Some(UNKNOWN_MESSAGE | UNKNOWN_CHANNEL), .. }) => None,
                // Anything else (a permission taken away, Discord failing) is tried again for
                // a while: a member's name must not stay up by accident.
                Err(SendError::Permanent { reason, .. } | SendError::Retry { reason, .. }) if removal.attempts + 1 >= MAX_TASK_ATTEMPTS => {
                    warn!(%reason, channel = %removal.channel, "message removal given up");
                    None
                }
                Err(SendError::Retry { after, .. }) => Some(after_wait(now, removal.attempts, after)),
                Err(SendError::Permanent { .. }) => Some(after_wait(now, removal.attempts, None)),
            };
            self.store.board_removal_done(&removal, retry).await?;
        }
        Ok(report)
    }

    async fn run_task_logged<O: Outbox>(&self, task: Task, outbox: &O, now: DateTime<Utc>) -> JobResult {
        match self.run_task(task, outbox, now).await {
            Ok(r) => r,
            Err(e) => {
                // One task's database trouble must not stop the others or the tick.
                warn!(error = ?e, task = task.kind.as_str(), commitment = task.commitment, "commitment task failed");
                JobResult::Nothing
            }
        }
    }

    async fn run_task<O: Outbox>(&self, task: Task, outbox: &O, now: DateTime<Utc>) -> Result<JobResult> {
        let commitment = self.store.task_commitment(task.commitment).await?;
        let settings = match &commitment {
            Some(c) => self.settings_or_default(c.team).await?.filter(|s| !s.left),
            None => None,
        };
        let (Some(c), Some(settings)) = (commitment, settings) else {
            // The commitment or its team is gone, or the bot left the server.
            self.store.finish_task(&task).await?;
            return Ok(JobResult::Nothing);
        };
        let several = self.teams(c.team.guild).await?.len() > 1;
        let lang = settings.language.unwrap_or(Lang::En);
        let team = several.then(|| settings.team.name.clone());
        match task.kind {
            TaskKind::Ask | TaskKind::Check => self.ask_partner(task, &c, lang, team, outbox, now).await,
            TaskKind::Talk => self.tell_member(task, &c, lang, team, outbox, now).await,
            TaskKind::Board => match settings.board {
                Some(board) if !c.private => {
                    self.board_message(task, &c, board, lang, several.then_some(settings.team.name.as_str()), outbox, now).await
                }
                // The board was turned off (or the commitment is private): nothing to show.
                _ => {
                    self.store.finish_task(&task).await?;
                    Ok(JobResult::Nothing)
                }
            },
        }
    }

    /// The partner's agree DM (`Ask`) or "was it kept?" DM (`Check`). Discord is asked
    /// first whether the partner is still in the server; one who left, a bot, or closed DMs
    /// is recorded once and never asked again, and nothing is posted anywhere instead.
    async fn ask_partner<O: Outbox>(
        &self,
        task: Task,
        c: &TaskCommitment,
        lang: Lang,
        team: Option<String>,
        outbox: &O,
        now: DateTime<Utc>,
    ) -> Result<JobResult> {
        let guild = c.team.guild;
        let Some(view) = c.view.as_ref().filter(|v| c.partner == Some(v.partner) && v.unreachable.is_none()) else {
            self.store.finish_task(&task).await?;
            return Ok(JobResult::Nothing);
        };
        // The partner already said whether it was kept (from an earlier DM's buttons).
        if task.kind == TaskKind::Check && view.verdict.is_some() {
            self.store.finish_task(&task).await?;
            return Ok(JobResult::Nothing);
        }
        let kind = if task.kind == TaskKind::Ask { JobKind::PartnerAsk } else { JobKind::PartnerCheck };
        let key = JobKey { kind, guild, team: c.team.team, user: view.partner };
        let period = c.id.to_string();
        let (status, opened) = self.store.begin_delivery(key, &period, now).await?;
        if status.is_final() {
            self.store.finish_task(&task).await?;
            return Ok(JobResult::Nothing);
        }
        match outbox.member(guild, view.partner).await {
            Ok(Some(m)) if m.bot => return self.unreachable(task, c, key, &period, Unreachable::Bot, now).await,
            Ok(Some(_)) => {}
            Ok(None) => return self.unreachable(task, c, key, &period, Unreachable::Left, now).await,
            Err(SendError::Retry { after, reason }) => return self.retry_task(task, key, &period, after, &reason, now).await,
            // Unknown (not a failure worth retrying): the DM itself will tell.
            Err(SendError::Permanent { reason, .. }) => warn!(%guild, %reason, "could not check the partner's membership; sending"),
        }
        let dm = PartnerDm {
            lang,
            guild,
            team,
            commitment: c.id,
            member: c.user,
            partner: view.partner,
            text: c.text.clone(),
            due: c.due,
            // From the first attempt: a retry renders the same DM, which `find_sent` matches.
            expires: opened + chrono::Duration::days(BUTTONS_LAST_DAYS),
        };
        let post = if task.kind == TaskKind::Ask { Post::PartnerAsk(Box::new(dm)) } else { Post::PartnerCheck(Box::new(dm)) };
        self.send_task_dm(task, c, Destination::User(view.partner), &post, Opened { key, period: &period, opened }, outbox, now).await
    }

    /// The member's DM: their partner wants to talk the commitment over.
    async fn tell_member<O: Outbox>(
        &self,
        task: Task,
        c: &TaskCommitment,
        lang: Lang,
        team: Option<String>,
        outbox: &O,
        now: DateTime<Utc>,
    ) -> Result<JobResult> {
        let Some(view) = &c.view else {
            self.store.finish_task(&task).await?;
            return Ok(JobResult::Nothing);
        };
        let key = JobKey { kind: JobKind::PartnerTalk, guild: c.team.guild, team: c.team.team, user: c.user };
        let period = c.id.to_string();
        let (status, opened) = self.store.begin_delivery(key, &period, now).await?;
        if status.is_final() {
            self.store.finish_task(&task).await?;
            return Ok(JobResult::Nothing);
        }
        let dm = PartnerDm {
            lang,
            guild: c.team.guild,
            team,
            commitment: c.id,
            member: c.user,
            partner: view.partner,
            text: c.text.clone(),
            due: c.due,
            expires: opened,
        };
        let post = Post::PartnerTalk(Box::new(dm));
        self.send_task_dm(task, c, Destination::User(c.user), &post, Opened { key, period: &period, opened }, outbox, now).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn send_task_dm<O: Outbox>(
        &self,
        task: Task,
        c: &TaskCommitment,
        to: Destination,
        post: &Post,
        record: Opened<'_>,
        outbox: &O,
        now: DateTime<Utc>,
    ) -> Result<JobResult> {
        let (key, period) = (record.key, record.period);
        match self.send_once(to, post, record, outbox, now).await {
            Ok((channel, message)) => {
                info!(kind = key.kind.as_str(), guild = %key.guild, commitment = c.id, "partner DM delivered");
                self.store.record_delivery(key, period, DeliveryOutcome::Sent { channel, message, principle: None }, now).await?;
                self.store.finish_task(&task).await?;
                Ok(JobResult::Sent)
            }
            Err(SendError::Permanent { code, reason }) => {
                warn!(kind = key.kind.as_str(), guild = %key.guild, commitment = c.id, %reason, "partner DM not delivered; not retrying");
                self.store.record_delivery(key, period, DeliveryOutcome::Failed { error: &reason }, now).await?;
                // Closed DMs of the partner: they are not asked again about this commitment.
                if code == Some(CANNOT_DM) && key.kind != JobKind::PartnerTalk {
                    self.store.mark_unreachable(c.id, Unreachable::DmsClosed).await?;
                }
                self.store.finish_task(&task).await?;
                Ok(JobResult::Failed)
            }
            Err(SendError::Retry { after, reason }) => self.retry_task(task, key, period, after, &reason, now).await,
        }
    }

    /// The partner is not asked, now or later: recorded on the delivery and the view.
    async fn unreachable(
        &self,
        task: Task,
        c: &TaskCommitment,
        key: JobKey,
        period: &str,
        why: Unreachable,
        now: DateTime<Utc>,
    ) -> Result<JobResult> {
        let reason = match why {
            Unreachable::Left => "the partner is not in the server",
            Unreachable::Bot => "the partner is a bot",
            Unreachable::DmsClosed => "the partner's DMs are closed",
        };
        info!(guild = %c.team.guild, commitment = c.id, reason, "partner not asked");
        self.store.record_delivery(key, period, DeliveryOutcome::Skipped { reason }, now).await?;
        self.store.mark_unreachable(c.id, why).await?;
        self.store.finish_task(&task).await?;
        Ok(JobResult::Nothing)
    }

    /// A failure worth retrying: the task waits ([`backoff`]), or after
    /// [`MAX_TASK_ATTEMPTS`] is given up and its delivery recorded as failed.
    async fn retry_task(
        &self,
        task: Task,
        key: JobKey,
        period: &str,
        after: Option<std::time::Duration>,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<JobResult> {
        if task.attempts + 1 >= MAX_TASK_ATTEMPTS {
            warn!(kind = key.kind.as_str(), guild = %key.guild, commitment = task.commitment, %reason, "giving up");
            let error = format!("{reason} (retried {MAX_TASK_ATTEMPTS} times)");
            self.store.record_delivery(key, period, DeliveryOutcome::Failed { error: &error }, now).await?;
            self.store.finish_task(&task).await?;
            return Ok(JobResult::Failed);
        }
        info!(kind = key.kind.as_str(), guild = %key.guild, commitment = task.commitment, %reason, "will retry");
        // A 429 says when to come back and is not a failure of ours: it spends no attempt.
        self.store.retry_task(&task, after_wait(now, task.attempts, after), after.is_none()).await?;
        Ok(JobResult::Retried)
    }

    /// Posts the commitment's board message in its week's thread, or edits the one there.
    /// One that a moderator deleted is not recreated.
    #[allow(clippy::too_many_arguments)]
    async fn board_message<O: Outbox>(
        &self,
        task: Task,
        c: &TaskCommitment,
        board: ChannelId,
        lang: Lang,
        team: Option<&str>,
        outbox: &O,
        now: DateTime<Utc>,
    ) -> Result<JobResult> {
        let key = JobKey { kind: JobKind::Board, guild: c.team.guild, team: c.team.team, user: c.user };
        let period = c.id.to_string();
        let post = Post::Board(Box::new(board_entry(c, lang)));
        let existing = self.store.delivery(key, &period).await?;
        if let Some(d) = existing.as_ref().filter(|d| d.status == DeliveryStatus::Sent) {
            let (Some(channel), Some(message)) = (d.channel_id, d.message_id) else {
                self.store.finish_task(&task).await?;
                return Ok(JobResult::Nothing);
            };
            return match outbox.edit(channel, message, &post).await {
                Ok(()) => {
                    self.store.finish_task(&task).await?;
                    Ok(JobResult::Sent)
                }
                Err(SendError::Permanent { code, reason }) => {
                    // Deleted by a moderator (or its thread deleted): it stays deleted.
                    if matches!(code, Some(UNKNOWN_MESSAGE | UNKNOWN_CHANNEL)) {
                        info!(guild = %c.team.guild, commitment = c.id, "board message deleted; not recreating it");
                        self.store
                            .record_delivery(key, &period, DeliveryOutcome::Skipped { reason: "deleted from the board" }, now)
                            .await?;
                    } else {
                        warn!(guild = %c.team.guild, commitment = c.id, %reason, "board edit failed; not retrying");
                    }
                    self.store.finish_task(&task).await?;
                    Ok(JobResult::Failed)
                }
                Err(SendError::Retry { after, reason }) => self.retry_edit(task, after, &reason, now).await,
            };
        }
        if existing.as_ref().is_some_and(|d| d.status.is_final()) {
            // Failed or skipped before: not posted again.
            self.store.finish_task(&task).await?;
            return Ok(JobResult::Nothing);
        }
        let thread = match self.board_thread(c.team, board, c.created_week, lang, team, outbox, now).await? {
            Ok(thread) => thread,
            Err(SendError::Retry { after, reason }) => return self.retry_task(task, key, &period, after, &reason, now).await,
            Err(SendError::Permanent { reason, .. }) => {
                self.store.begin_delivery(key, &period, now).await?;
                let error = format!("the board thread could not be opened: {reason}");
                self.store.record_delivery(key, &period, DeliveryOutcome::Failed { error: &error }, now).await?;
                self.store.finish_task(&task).await?;
                return Ok(JobResult::Failed);
            }
        };
        let (_, opened) = self.store.begin_delivery(key, &period, now).await?;
        match self.send_once(Destination::Channel(thread), &post, Opened { key, period: &period, opened }, outbox, now).await {
            Ok((channel, message)) => {
                self.store.record_delivery(key, &period, DeliveryOutcome::Sent { channel, message, principle: None }, now).await?;
                // Forgotten (or undone) while it was being posted: its record is gone (and
                // recording it updated nothing), so the message goes too rather than stay up
                // unrecorded. Looked at after recording, so neither order of the two escapes.
                if self.store.delivery(key, &period).await?.is_none() {
                    if let Err(e) = outbox.delete(channel, message).await {
                        warn!(error = ?e, "could not delete a board message posted during its removal");
                    }
                    self.store.finish_task(&task).await?;
                    return Ok(JobResult::Nothing);
                }
                self.store.finish_task(&task).await?;
                Ok(JobResult::Sent)
            }
            Err(SendError::Permanent { reason, .. }) => {
                warn!(guild = %c.team.guild, commitment = c.id, %reason, "board message not posted; not retrying");
                self.store.record_delivery(key, &period, DeliveryOutcome::Failed { error: &reason }, now).await?;
                self.store.finish_task(&task).await?;
                Ok(JobResult::Failed)
            }
            Err(SendError::Retry { after, reason }) => self.retry_task(task, key, &period, after, &reason, now).await,
        }
    }

    async fn retry_edit(&self, task: Task, after: Option<std::time::Duration>, reason: &str, now: DateTime<Utc>) -> Result<JobResult> {
        if task.attempts + 1 >= MAX_TASK_ATTEMPTS {
            warn!(commitment = task.commitment, %reason, "board edit given up");
            self.store.finish_task(&task).await?;
            return Ok(JobResult::Failed);
        }
        self.store.retry_task(&task, after_wait(now, task.attempts, after), after.is_none()).await?;
        Ok(JobResult::Retried)
    }

    /// The team's board thread of `week`, opened once. `Ok(Err(..))`: Discord's refusal or
    /// a failure worth retrying.
    #[allow(clippy::too_many_arguments)]
    async fn board_thread<O: Outbox>(
        &self,
        team: TeamKey,
        board: ChannelId,
        week: IsoWeek,
        lang: Lang,
        team_name: Option<&str>,
        outbox: &O,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<ChannelId, SendError>> {
        let key = JobKey::team(JobKind::BoardWeek, team);
        // Per channel too: a board moved to another channel opens its own thread there.
        let period = format!("{week}:{board}");
        if let Some(d) = self.store.delivery(key, &period).await? {
            match (d.status, d.channel_id) {
                (DeliveryStatus::Sent, Some(thread)) => return Ok(Ok(thread)),
                (DeliveryStatus::Failed, _) | (DeliveryStatus::Skipped, _) => {
                    let reason = d.last_error.unwrap_or_else(|| "the board thread could not be opened".into());
                    return Ok(Err(SendError::Permanent { code: None, reason }));
                }
                _ => {}
            }
        }
        let (_, opened) = self.store.begin_delivery(key, &period, now).await?;
        let name = crate::domain::text::shorten(&board_thread_name(&self.prompts, lang, team_name, week), 100);
        // An earlier attempt may have opened it and lost the answer: look first. Threads have
        // no nonce, so this is what keeps a week to one thread.
        if opened < now {
            match outbox.find_thread(team.guild, board, &name).await {
                Ok(Some(thread)) => {
                    self.store.record_delivery(key, &period, thread_opened(thread), now).await?;
                    return Ok(Ok(thread));
                }
                Ok(None) => {}
                Err(e) => return Ok(Err(e)),
            }
        }
        match outbox.open_thread(board, &name).await {
            Ok(thread) => {
                info!(guild = %team.guild, %week, %thread, "opened the board thread");
                self.store.record_delivery(key, &period, thread_opened(thread), now).await?;
                Ok(Ok(thread))
            }
            Err(SendError::Permanent { code, reason }) => {
                warn!(guild = %team.guild, %reason, "could not open the board thread");
                let gone =
                    if code == Some(UNKNOWN_CHANNEL) { " (the board's channel was deleted: `/setup board` sets another)" } else { "" };
                let error = format!("{reason}{gone}");
                self.store.record_delivery(key, &period, DeliveryOutcome::Failed { error: &error }, now).await?;
                Ok(Err(SendError::Permanent { code, reason: error }))
            }
            Err(retry) => Ok(Err(retry)),
        }
    }

    /// A partner's click on a DM button, checked against the database: only the commitment's
    /// partner, only while it exists and the buttons have not expired.
    pub async fn partner_click(
        &self,
        clicker: UserId,
        commitment: i64,
        partner: UserId,
        click: PartnerClick,
        expires: DateTime<Utc>,
    ) -> Result<ClickResult> {
        if clicker != partner {
            return Err(Refusal::new(k::PARTNER_NOT_YOURS).into());
        }
        let now = self.now();
        if now > expires {
            return Err(Refusal::new(k::PARTNER_EXPIRED).arg("date", expires.date_naive()).into());
        }
        let answer = match click {
            PartnerClick::Agreement(a) => self.store.record_agreement(commitment, clicker, a, now).await?,
            PartnerClick::Verdict(v) => self.store.record_verdict(commitment, clicker, v, now).await?,
        };
        match answer {
            PartnerAnswer::Recorded(_) => {
                // "Let's talk" and the board's edit are queued: send them now.
                self.scheduler_wake.notify_one();
                Ok(ClickResult::Recorded(click))
            }
            PartnerAnswer::Gone => Ok(ClickResult::Gone),
            PartnerAnswer::NotPartner => Err(Refusal::new(k::PARTNER_NOT_YOURS).into()),
        }
    }
}

/// The wait before a task's next attempt.
fn after_wait(now: DateTime<Utc>, attempts: u32, after: Option<std::time::Duration>) -> DateTime<Utc> {
    now + chrono::Duration::from_std(backoff(attempts, after)).unwrap_or_default()
}

/// A thread's delivery record: the thread is both where and what.
fn thread_opened(thread: ChannelId) -> DeliveryOutcome<'static> {
    DeliveryOutcome::Sent { channel: thread, message: MessageId(thread.get()), principle: None }
}

/// The name of a team's board thread of one week, e.g. "Commitments · 2026-W49".
pub fn board_thread_name(p: &crate::prompts::Prompts, lang: Lang, team: Option<&str>, week: IsoWeek) -> String {
    let base = p.text(lang, k::BOARD_THREAD).replace("{week}", &week.to_string());
    match team {
        Some(t) => format!("{base} · {}", crate::domain::text::clean(t)),
        None => base,
    }
}

fn board_entry(c: &TaskCommitment, lang: Lang) -> BoardEntry {
    BoardEntry {
        lang,
        member: c.user,
        partner: c.partner,
        text: c.text.clone(),
        due: c.due,
        outcome: c.outcome,
        agreement: c.view.as_ref().and_then(|v| v.agreement),
        verdict: c.view.as_ref().and_then(|v| v.verdict),
    }
}
