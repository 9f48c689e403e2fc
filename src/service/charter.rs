//! The team charter (`/charter propose|show|retire`, the vote and review buttons) and public
//! thanks (`/thanks`), and the scheduler's side: posting and editing their messages once.

use chrono::{DateTime, Utc};
use tracing::{info, warn};

use super::scheduler::{backoff, JobResult, Opened, UNKNOWN_CHANNEL};
use super::{Destination, Outbox, Post, Result, SendError, Service, Session, TickReport};
use crate::domain::charter::{review_date, ACTIVE_WEEKS, PAGE_SIZE, PROPOSAL_DAYS, THANKS_PER_DAY};
use crate::domain::ids::{ChannelId, TeamKey, UserId};
use crate::domain::lang::Lang;
use crate::domain::refusal::Refusal;
use crate::domain::text::Note;
use crate::keys as k;
use crate::storage::{
    CharterItem, CharterKind, CharterStatus, DeliveryOutcome, DeliveryStatus, JobKey, JobKind, NewThanks, TeamPost, TeamPostKind, Thanks,
    Vote,
};

/// Longest charter item or thank-you note, in characters.
pub const CHARTER_TEXT_LIMIT: usize = 300;

/// Attempts at one message before it is given up.
const MAX_POST_ATTEMPTS: u32 = 16;
const UNKNOWN_MESSAGE: i64 = 10008;

/// A proposal's message as it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CharterPost {
    /// Language.
    pub lang: Lang,
    /// The item and its votes.
    pub item: CharterItem,
    /// The team's active members now (the majority's base).
    pub active: u32,
}

/// A thank-you's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThanksPost {
    /// Language.
    pub lang: Lang,
    /// The thank-you.
    pub thanks: Thanks,
}

/// `/charter propose`'s answer.
#[derive(Clone, Debug)]
pub struct Proposed {
    /// The proposal.
    pub item: CharterItem,
    /// Where it is posted.
    pub channel: ChannelId,
    /// Active members now.
    pub active: u32,
}

/// `/charter show`: one page.
#[derive(Clone, Debug)]
pub struct CharterView {
    /// The items on this page, each with its number in the whole charter.
    pub items: Vec<(usize, CharterItem)>,
    /// Which page (0-based) of how many.
    pub page: usize,
    /// Pages in all (at least one).
    pub pages: usize,
    /// Open proposals.
    pub open: u32,
}

/// A lead's review click, or `/charter retire`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Review {
    /// Keep it: a new review date.
    Keep,
    /// Take it out of the charter.
    Retire,
}

impl Service {
    /// `/charter propose kind text`: stores the proposal and queues its post in the team's
    /// home channel, else `here`. `postable` is the cache's word on whether the bot can post
    /// there.
    pub async fn charter_propose(
        &self,
        session: &Session,
        kind: &str,
        text: &str,
        here: Option<ChannelId>,
        postable: impl Fn(ChannelId) -> Option<bool>,
    ) -> Result<Proposed> {
        session.require_member()?;
        let kind = CharterKind::parse(kind).ok_or_else(|| Refusal::new(k::ERR_CHARTER_KIND).arg("input", kind.trim()))?;
        let field = self.prompts.text(session.lang, if kind == CharterKind::Goal { k::CHARTER_GOAL } else { k::CHARTER_AGREEMENT });
        let Some(text) = Note::parse(text, CHARTER_TEXT_LIMIT, field)? else {
            return Err(Refusal::new(k::ERR_EMPTY_TEXT).arg("field", field).into());
        };
        let channel = self.team_channel(session, here)?;
        if postable(channel) == Some(false) {
            return Err(Refusal::new(k::ERR_CHANNEL).arg("channel", format!("<#{channel}>")).into());
        }
        let now = self.now();
        let expires = now + chrono::Duration::days(PROPOSAL_DAYS);
        let item = self.store.propose(session.team(), kind, text.as_str(), session.caller.user, channel, now, expires).await?;
        self.scheduler_wake.notify_one();
        let active = self.active_members(session.team(), session.settings.zone).await?;
        Ok(Proposed { item, channel, active })
    }

    /// A vote on a proposal's button. Only members of its team; a lead's agree adopts it.
    /// Returns the proposal's message as it now stands.
    pub async fn charter_vote(&self, caller: super::Caller, item: i64, vote: Vote) -> Result<Option<CharterPost>> {
        let Some(found) = self.store.charter_item(item).await? else { return Ok(None) };
        let session = self.session_in(caller, found.team.team).await?;
        if session.caller.guild != Some(found.team.guild) {
            return Ok(None);
        }
        // A lead may adopt whether or not they are one of the team's members ("or a lead
        // does"); anyone else votes only in their own team.
        let lead = session.require_lead().is_ok();
        if !lead && session.has_teams() && !session.mine.contains(&found.team.team) {
            return Err(Refusal::new(k::ERR_CHARTER_NOT_MEMBER)
                .arg("team", &session.settings.team.name)
                .arg("teams", session.my_team_names())
                .into());
        }
        let weeks = self.active_weeks(session.settings.zone);
        let active = self.store.active_members(found.team, weeks.0, weeks.1).await?;
        let review = review_date(self.today(session.settings.zone));
        let Some(voted) = self.store.vote(item, session.caller.user, vote, lead, active, weeks, review, self.now()).await? else {
            return Ok(None);
        };
        if voted.recorded {
            info!(guild = %found.team.guild, item, adopted = voted.item.status == CharterStatus::Adopted, "charter vote");
        }
        // The public message's language is the team's, never the clicker's (the scheduler
        // draws it the same way).
        Ok(Some(CharterPost { lang: session.settings.language.unwrap_or(Lang::En), item: voted.item, active }))
    }

    /// `/charter show`: one page of the team's adopted goals and agreements.
    pub async fn charter_show(&self, session: &Session, page: usize) -> Result<CharterView> {
        session.guild()?;
        let (items, open) = self.store.charter(session.team()).await?;
        let pages = items.len().div_ceil(PAGE_SIZE).max(1);
        let page = page.min(pages - 1);
        let items = items.into_iter().enumerate().skip(page * PAGE_SIZE).take(PAGE_SIZE).map(|(i, item)| (i + 1, item)).collect();
        Ok(CharterView { items, page, pages, open })
    }

    /// Autocomplete for `/charter retire item`: the team's adopted items.
    pub async fn charter_choices(&self, session: &Session, partial: &str) -> Result<Vec<(String, String)>> {
        session.guild()?;
        let typed = crate::domain::text::fold(partial.trim());
        let (items, _) = self.store.charter(session.team()).await?;
        Ok(items
            .into_iter()
            .enumerate()
            .filter(|(_, i)| typed.is_empty() || crate::domain::text::fold(&i.text).contains(&typed))
            .take(25)
            .map(|(n, i)| (crate::domain::text::shorten(&format!("{}. {}", n + 1, i.text.replace('\n', " ")), 100), i.id.to_string()))
            .collect())
    }

    /// The session of a review button's click: the caller in the item's own team (`None`:
    /// the item is gone).
    pub async fn charter_item_session(&self, caller: super::Caller, item: i64) -> Result<Option<Session>> {
        match self.store.charter_item(item).await? {
            Some(found) => Ok(Some(self.session_in(caller, found.team.team).await?)),
            None => Ok(None),
        }
    }

    /// `/charter retire item` and the digest's review buttons: leads only, an adopted item
    /// of this team only.
    pub async fn charter_review(&self, session: &Session, item: &str, review: Review) -> Result<CharterItem> {
        let found = match item.trim().parse::<i64>() {
            Ok(id) => self.store.charter_item(id).await?,
            Err(_) => None,
        };
        let unknown = || Refusal::new(k::ERR_CHARTER_UNKNOWN).arg("input", item.trim()).arg("team", &session.settings.team.name);
        let Some(found) = found.filter(|i| i.team == session.team() && i.status == CharterStatus::Adopted) else {
            session.guild()?;
            return Err(unknown().into());
        };
        if session.require_lead().is_err() {
            let role = session.settings.lead_role.map(|r| format!("<@&{r}>")).unwrap_or_else(|| "—".into());
            return Err(Refusal::new(k::ERR_CHARTER_NOT_LEAD).arg("role", role).into());
        }
        let keep = (review == Review::Keep).then(|| review_date(self.today(session.settings.zone)));
        Ok(self.store.review_item(found.id, keep, self.now()).await?.unwrap_or(found))
    }

    /// `/thanks member note [principle]`: a public thank-you in the team's channel, pinging
    /// only the member thanked. Not to oneself, not to a bot, five a day at most.
    #[allow(clippy::too_many_arguments)]
    pub async fn thank(
        &self,
        session: &Session,
        member: UserId,
        member_is_bot: bool,
        note: &str,
        principle: Option<&str>,
        here: Option<ChannelId>,
        postable: impl Fn(ChannelId) -> Option<bool>,
    ) -> Result<ChannelId> {
        session.require_member()?;
        if member == session.caller.user {
            return Err(Refusal::new(k::ERR_THANKS_SELF).into());
        }
        if member_is_bot {
            return Err(Refusal::new(k::ERR_THANKS_BOT).arg("member", format!("<@{member}>")).into());
        }
        let field = self.prompts.text(session.lang, k::FIELD_NOTE);
        let Some(note) = Note::parse(note, CHARTER_TEXT_LIMIT, field)? else {
            return Err(Refusal::new(k::ERR_EMPTY_TEXT).arg("field", field).into());
        };
        let principle = match principle.map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => Some(self.prompts.catalog.resolve(p)?.number),
            None => None,
        };
        let channel = self.team_channel(session, here)?;
        if postable(channel) == Some(false) {
            return Err(Refusal::new(k::ERR_CHANNEL).arg("channel", format!("<#{channel}>")).into());
        }
        let thanks = NewThanks {
            from: session.caller.user,
            to: member,
            note: note.into_inner(),
            principle,
            local_date: self.today(session.settings.zone),
            channel,
        };
        match self.store.record_thanks(session.team(), &thanks, THANKS_PER_DAY, self.now()).await? {
            Ok(_) => {
                self.scheduler_wake.notify_one();
                Ok(channel)
            }
            Err(_) => Err(Refusal::new(k::ERR_THANKS_LIMIT).arg("limit", THANKS_PER_DAY).into()),
        }
    }

    /// `/me history`'s thanks: the newest three the caller received in the team in the last
    /// twelve weeks, and how many.
    pub async fn thanks_received(&self, session: &Session) -> Result<(Vec<Thanks>, u32)> {
        session.guild()?;
        let since = *crate::domain::trend::weeks_ending(self.this_week(session.settings.zone)).first().expect("twelve weeks");
        Ok(self.store.thanks_received(session.team(), session.caller.user, since, 3).await?)
    }

    /// The team's home channel, else where the command was used.
    fn team_channel(&self, session: &Session, here: Option<ChannelId>) -> Result<ChannelId> {
        session.settings.team.home.or(here).ok_or_else(|| Refusal::new(k::ERR_GUILD_ONLY).into())
    }

    /// Members who checked in to the team during the last [`ACTIVE_WEEKS`] weeks.
    async fn active_members(&self, team: TeamKey, zone: crate::domain::time::Zone) -> Result<u32> {
        let (from, to) = self.active_weeks(zone);
        Ok(self.store.active_members(team, from, to).await?)
    }

    /// The weeks a member must have checked in during to count as active: this one and the
    /// three before, as the digest counts them.
    fn active_weeks(&self, zone: crate::domain::time::Zone) -> (crate::domain::time::IsoWeek, crate::domain::time::IsoWeek) {
        let to = self.this_week(zone);
        let mut from = to;
        for _ in 1..ACTIVE_WEEKS {
            from = from.prev();
        }
        (from, to)
    }

    /// The scheduler's part: proposals past their expiry, then the messages due.
    pub(super) async fn run_team_posts<O: Outbox>(&self, outbox: &O, now: DateTime<Utc>) -> Result<TickReport> {
        let expired = self.store.expire_proposals(now).await?;
        if expired > 0 {
            info!(expired, "charter proposals expired");
        }
        let mut report = TickReport::default();
        for post in self.store.due_team_posts(now, super::scheduler::TICK_BATCH).await? {
            report.due += 1;
            let result = match self.run_team_post(post, outbox, now).await {
                Ok(r) => r,
                Err(e) => {
                    warn!(error = ?e, kind = post.kind.as_str(), id = post.id, "team post failed");
                    JobResult::Nothing
                }
            };
            // Discord limiting or failing: the rest wait for the next tick instead of each
            // spending an attempt on the same trouble.
            let stop = matches!(result, JobResult::Retried);
            report.count(result);
            if stop {
                break;
            }
        }
        Ok(report)
    }

    async fn run_team_post<O: Outbox>(&self, post: TeamPost, outbox: &O, now: DateTime<Utc>) -> Result<JobResult> {
        let (rendered, team, channel, kind, user) = match post.kind {
            TeamPostKind::Charter => {
                let Some(item) = self.store.charter_item(post.id).await? else { return self.team_post_done(post).await };
                let Some(settings) = self.settings_or_default(item.team).await?.filter(|s| !s.left) else {
                    return self.team_post_done(post).await;
                };
                let active = self.active_members(item.team, settings.zone).await?;
                let lang = settings.language.unwrap_or(Lang::En);
                let (team, channel) = (item.team, item.channel);
                (Post::Charter(Box::new(CharterPost { lang, item, active })), team, channel, JobKind::Charter, UserId(0))
            }
            TeamPostKind::Thanks => {
                let Some(thanks) = self.store.thanks(post.id).await? else { return self.team_post_done(post).await };
                let Some(settings) = self.settings_or_default(thanks.team).await?.filter(|s| !s.left) else {
                    return self.team_post_done(post).await;
                };
                let lang = settings.language.unwrap_or(Lang::En);
                let (team, channel, from) = (thanks.team, thanks.channel, thanks.from);
                (Post::Thanks(Box::new(ThanksPost { lang, thanks })), team, channel, JobKind::Thanks, from)
            }
        };
        let key = JobKey { kind, guild: team.guild, team: team.team, user };
        let period = post.id.to_string();
        let existing = self.store.delivery(key, &period).await?;
        if let Some(d) = existing.as_ref().filter(|d| d.status == DeliveryStatus::Sent) {
            let (Some(channel), Some(message)) = (d.channel_id, d.message_id) else { return self.team_post_done(post).await };
            return match outbox.edit(channel, message, &rendered).await {
                Ok(()) => {
                    self.team_post_done(post).await?;
                    Ok(JobResult::Sent)
                }
                Err(SendError::Permanent { code, reason }) => {
                    if matches!(code, Some(UNKNOWN_MESSAGE | UNKNOWN_CHANNEL)) {
                        // Deleted by a moderator: it stays deleted.
                        self.store
                            .record_delivery(key, &period, DeliveryOutcome::Skipped { reason: "deleted from the channel" }, now)
                            .await?;
                    } else {
                        warn!(guild = %team.guild, %reason, "could not edit a team post");
                    }
                    self.team_post_done(post).await?;
                    Ok(JobResult::Failed)
                }
                // An edit given up leaves the record of the sent message alone: a later
                // `/forget` must still find the message to delete it.
                Err(SendError::Retry { after, reason }) => self.retry_team_post(post, None, &period, after, &reason, now).await,
            };
        }
        if existing.as_ref().is_some_and(|d| d.status.is_final()) {
            return self.team_post_done(post).await;
        }
        let (_, opened) = self.store.begin_delivery(key, &period, now).await?;
        match self.send_once(Destination::Channel(channel), &rendered, Opened { key, period: &period, opened }, outbox, now).await {
            Ok((channel, message)) => {
                self.store.record_delivery(key, &period, DeliveryOutcome::Sent { channel, message, principle: None }, now).await?;
                // A thank-you whose giver used /forget while it was being posted: its record
                // is gone, so the message goes too.
                if self.store.delivery(key, &period).await?.is_none() {
                    if let Err(e) = outbox.delete(channel, message).await {
                        warn!(error = ?e, "could not delete a message posted during its removal");
                    }
                }
                self.team_post_done(post).await?;
                Ok(JobResult::Sent)
            }
            Err(SendError::Permanent { reason, .. }) => {
                warn!(guild = %team.guild, kind = post.kind.as_str(), %reason, "team post not delivered; not retrying");
                self.store.record_delivery(key, &period, DeliveryOutcome::Failed { error: &reason }, now).await?;
                self.team_post_done(post).await?;
                Ok(JobResult::Failed)
            }
            Err(SendError::Retry { after, reason }) => self.retry_team_post(post, Some(key), &period, after, &reason, now).await,
        }
    }

    async fn team_post_done(&self, post: TeamPost) -> Result<JobResult> {
        self.store.team_post_done(&post, None).await?;
        Ok(JobResult::Nothing)
    }

    /// `key`: the post's record, to mark failed when a first post is given up (`None` for an
    /// edit, whose sent record must stay). A 429 names its wait and spends no attempt.
    async fn retry_team_post(
        &self,
        post: TeamPost,
        key: Option<JobKey>,
        period: &str,
        after: Option<std::time::Duration>,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<JobResult> {
        if post.attempts + 1 >= MAX_POST_ATTEMPTS {
            warn!(kind = post.kind.as_str(), id = post.id, %reason, "team post given up");
            if let Some(key) = key {
                let error = format!("{reason} (retried {MAX_POST_ATTEMPTS} times)");
                self.store.record_delivery(key, period, DeliveryOutcome::Failed { error: &error }, now).await?;
            }
            self.store.team_post_done(&post, None).await?;
            return Ok(JobResult::Failed);
        }
        let at = now + chrono::Duration::from_std(backoff(post.attempts, after)).unwrap_or_default();
        self.store.team_post_done(&post, Some((at, after.is_none()))).await?;
        Ok(JobResult::Retried)
    }
}
