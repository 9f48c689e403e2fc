//! Check-ins on commitments and communication.

use chrono::NaiveDate;

use super::{Result, Service, Session};
use crate::domain::checkin::{streak, Outcome, Rating, COMMITMENT_LIMIT, NOTE_LIMIT};
use crate::domain::ids::UserId;
use crate::domain::principles::no;
use crate::domain::refusal::Refusal;
use crate::domain::text::Note;
use crate::domain::time::{parse_due, IsoWeek};
use crate::keys as k;
use crate::storage::{CheckinContext, Commitment, CommitmentCheckin, CommunicationCheckin, NewCommitment, Undone};

/// The options of `/checkin commitments`, as typed.
#[derive(Clone, Debug, Default)]
pub struct CommitmentsInput {
    /// `kept`: yes / partly / no.
    pub kept: Option<String>,
    /// `next`: the next commitment.
    pub next: Option<String>,
    /// `due`: when the next one is due.
    pub due: Option<String>,
    /// `blocker`.
    pub blocker: Option<String>,
    /// `partner`.
    pub partner: Option<UserId>,
    /// The partner is a bot account (Discord says so in the option's resolved user).
    pub partner_is_bot: bool,
    /// `which`: the id of the open commitment `kept` resolves (from autocomplete).
    pub which: Option<String>,
    /// `private`: keep the new commitment off the team's board.
    pub private: bool,
}

/// What `/checkin commitments` did, for the reply.
#[derive(Clone, Debug)]
pub enum CommitmentsOutcome {
    /// No `next` was given: ask for it in a modal, then call again with the answers. The
    /// state to carry is already validated.
    NeedModal(ModalState),
    /// Saved.
    Saved(CommitmentsSaved),
}

/// What the modal must carry to finish a commitments check-in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModalState {
    /// The `kept` answer.
    pub kept: Option<Outcome>,
    /// The validated due date, if one was given.
    pub due: Option<NaiveDate>,
    /// The partner.
    pub partner: Option<UserId>,
    /// A blocker typed in the command, to prefill the modal.
    pub blocker: Option<String>,
    /// The commitment `kept` resolves, if the member chose one.
    pub which: Option<i64>,
    /// The team checked in to.
    pub team: crate::domain::ids::TeamId,
    /// `private: true`.
    pub private: bool,
    /// The partner is a bot.
    pub partner_is_bot: bool,
}

/// A saved commitments check-in.
#[derive(Clone, Debug)]
pub struct CommitmentsSaved {
    /// The open commitment the member had ("last time you committed to …").
    pub previous: Option<Commitment>,
    /// How it was resolved, if it was.
    pub resolved: Option<Outcome>,
    /// `kept` was given but there was nothing open.
    pub nothing_to_resolve: bool,
    /// The new commitment.
    pub new: Option<NewCommitment>,
    /// Whether its partner is asked to confirm it, and if not, why.
    pub partner_asked: Option<PartnerAsked>,
    /// The board channel it goes on (in that week's thread), if it does.
    pub board: Option<crate::domain::ids::ChannelId>,
    /// The blocker noted.
    pub blocker: Option<String>,
    /// Consecutive weeks with a check-in, this one included.
    pub streak: u32,
    /// A coaching tip: `(principle, tip index)`.
    pub coach: (u8, usize),
}

/// Whether the partner of a new commitment is asked to agree and confirm it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartnerAsked {
    /// They get a DM now.
    Asked,
    /// The member named themself.
    Yourself,
    /// The partner is a bot.
    Bot,
}

/// A saved communication check-in.
#[derive(Clone, Debug)]
pub struct CommunicationSaved {
    /// The rating.
    pub rating: u8,
    /// It replaced one from earlier the same day.
    pub replaced: bool,
    /// Streak, as above.
    pub streak: u32,
    /// A coaching tip from principle 4.
    pub coach: (u8, usize),
}

/// `/commitments`.
#[derive(Clone, Debug)]
pub struct CommitmentsView {
    /// Open ones, earliest due first.
    pub open: Vec<Commitment>,
    /// The last five resolved.
    pub resolved: Vec<Commitment>,
    /// Today in the guild's zone, to mark overdue ones.
    pub today: NaiveDate,
    /// The partner's side of those made to a partner who was asked, by commitment id.
    pub views: std::collections::HashMap<i64, crate::storage::PartnerView>,
}

impl Service {
    /// `/checkin commitments` and its modal submit (`from_modal` carries the modal's state).
    pub async fn checkin_commitments(
        &self,
        session: &Session,
        input: CommitmentsInput,
        from_modal: Option<ModalState>,
    ) -> Result<CommitmentsOutcome> {
        let guild = session.require_member()?;
        let zone = session.settings.zone;
        let today = self.today(zone);
        let kept = match (&from_modal, input.kept.as_deref()) {
            (Some(m), _) => m.kept,
            (None, None) => None,
            (None, Some(s)) => Some(Outcome::from_choice(s).ok_or_else(|| Refusal::new(k::ERR_BAD_KEPT).arg("input", s))?),
        };
        let due = match (&from_modal, input.due.as_deref().map(str::trim).filter(|s| !s.is_empty())) {
            (_, Some(s)) => Some(parse_due(s, today)?),
            (Some(m), None) => match m.due {
                // The modal may have stayed open past midnight; a due date that has become
                // past is refused like a typed one.
                Some(d) if d < today => return Err(Refusal::new(k::ERR_DUE_PAST).arg("input", d).arg("today", today).into()),
                d => d,
            },
            (None, None) => None,
        };
        let partner = input.partner.or(from_modal.as_ref().and_then(|m| m.partner));
        let partner_is_bot =
            if input.partner.is_some() { input.partner_is_bot } else { from_modal.as_ref().is_some_and(|m| m.partner_is_bot) };
        let private = input.private || from_modal.as_ref().is_some_and(|m| m.private);
        let which = match (&from_modal, input.which.as_deref().map(str::trim).filter(|s| !s.is_empty())) {
            (_, Some(w)) => Some(self.parse_which(session, w, kept).await?),
            (Some(m), None) => m.which,
            (None, None) => None,
        };
        let blocker = match input.blocker.as_deref() {
            Some(b) => Note::parse(b, NOTE_LIMIT, &self.field(session, k::FIELD_BLOCKER))?,
            None => None,
        };
        let next = match input.next.as_deref() {
            Some(n) => Note::parse(n, COMMITMENT_LIMIT, &self.field(session, k::FIELD_COMMITMENT))?,
            None => None,
        };
        if next.is_none() && from_modal.is_none() {
            let team = session.settings.team.id;
            return Ok(CommitmentsOutcome::NeedModal(ModalState {
                kept,
                due,
                partner,
                blocker: blocker.map(Note::into_inner),
                which,
                team,
                private,
                partner_is_bot,
            }));
        }
        // The form's "next" may be left empty only to close a commitment.
        if next.is_none() && kept.is_none() {
            return Err(Refusal::new(k::ERR_NOTHING_TO_RECORD).into());
        }
        // No due date: the end of the guild's current week.
        let due = due.unwrap_or_else(|| IsoWeek::of(today).sunday());
        // A partner is asked to agree, and later whether it was kept, unless they are the
        // member or a bot; if the member has not resolved it two days after its due date,
        // the partner is asked then (at 10:00 in the team's zone).
        let partner_asked = partner.map(|p| match () {
            _ if p == session.caller.user => PartnerAsked::Yourself,
            _ if partner_is_bot => PartnerAsked::Bot,
            _ => PartnerAsked::Asked,
        });
        let partner_check_at = (partner_asked == Some(PartnerAsked::Asked)).then(|| check_time(due, zone));
        let board = session.settings.board.filter(|_| !private && next.is_some());
        let new = next.map(|n| NewCommitment { text: n.into_inner(), due, partner, private, partner_check_at, board: board.is_some() });
        let ctx = self.checkin_context(session, guild, today);
        let blocker_text = blocker.as_ref().map(|b| b.as_str().to_owned());
        let checkin = CommitmentCheckin { which, kept, next: new.clone(), blocker: blocker_text, partner };
        let saved = self.store.record_commitment_checkin(ctx, &checkin).await?;
        if partner_check_at.is_some() || board.is_some() || saved.resolved {
            self.scheduler_wake.notify_one();
        }
        let streak = streak(&saved.weeks.checked, &saved.weeks.away, ctx.week);
        Ok(CommitmentsOutcome::Saved(CommitmentsSaved {
            resolved: kept.filter(|_| saved.resolved),
            nothing_to_resolve: kept.is_some() && saved.previous.is_none(),
            previous: saved.previous,
            partner_asked: partner_asked.filter(|_| new.is_some()),
            board,
            new,
            blocker: blocker.map(Note::into_inner),
            streak,
            coach: self.coach_tip(session, self.week_focus(session, ctx.week).await?.unwrap_or(no::ACCOUNTABILITY)),
        }))
    }

    /// `/checkin communication`.
    pub async fn checkin_communication(
        &self,
        session: &Session,
        rating: i64,
        went_well: Option<&str>,
        improve: Option<&str>,
        partner: Option<UserId>,
    ) -> Result<CommunicationSaved> {
        let guild = session.require_member()?;
        let rating = Rating::parse(rating).ok_or_else(|| Refusal::new(k::ERR_BAD_RATING).arg("input", rating))?;
        let went_well = went_well.map(|s| Note::parse(s, NOTE_LIMIT, &self.field(session, k::FIELD_WENT_WELL))).transpose()?.flatten();
        let improve = improve.map(|s| Note::parse(s, NOTE_LIMIT, &self.field(session, k::FIELD_IMPROVE))).transpose()?.flatten();
        let today = self.today(session.settings.zone);
        let ctx = self.checkin_context(session, guild, today);
        let (replaced, weeks) = self
            .store
            .record_communication_checkin(
                ctx,
                &CommunicationCheckin {
                    rating: rating.get(),
                    went_well: went_well.map(Note::into_inner),
                    improve: improve.map(Note::into_inner),
                    partner,
                },
            )
            .await?;
        let streak = streak(&weeks.checked, &weeks.away, ctx.week);
        let coach = self.coach_tip(session, self.week_focus(session, ctx.week).await?.unwrap_or(no::COMMUNICATION));
        Ok(CommunicationSaved { rating: rating.get(), replaced, streak, coach })
    }

    /// Reads `/checkin commitments which`: one of the caller's open commitments, by the id
    /// autocomplete gave (or a typed number of one).
    async fn parse_which(&self, session: &Session, raw: &str, kept: Option<Outcome>) -> Result<i64> {
        if kept.is_none() {
            return Err(Refusal::new(k::ERR_WHICH_WITHOUT_KEPT).into());
        }
        let open = self.store.open_commitments(session.team(), session.caller.user).await?;
        raw.parse::<i64>()
            .ok()
            .filter(|id| open.iter().any(|c| c.id == *id))
            .ok_or_else(|| Refusal::new(k::ERR_BAD_WHICH).arg("input", raw).arg("open", open.len()).into())
    }

    /// Autocomplete for `which`: the caller's open commitments matching what was typed,
    /// earliest due first, as (label, id).
    pub async fn open_commitment_choices(&self, session: &Session, partial: &str) -> Result<Vec<(String, String)>> {
        session.guild()?;
        let typed = crate::domain::text::fold(partial.trim());
        let open = self.store.open_commitments(session.team(), session.caller.user).await?;
        Ok(open
            .into_iter()
            .filter(|c| typed.is_empty() || crate::domain::text::fold(&c.text).contains(&typed))
            .take(25)
            .map(|c| (crate::domain::text::shorten(&format!("{} · {}", c.due, c.text.replace('\n', " ")), 100), c.id.to_string()))
            .collect())
    }

    /// `/checkin undo`: the caller's latest check-in of today goes, with what it changed.
    pub async fn checkin_undo(&self, session: &Session) -> Result<Undone> {
        session.guild()?;
        let today = self.today(session.settings.zone);
        self.store
            .undo_last_checkin(session.team(), session.caller.user, today, self.now())
            .await?
            .ok_or_else(|| Refusal::new(k::ERR_NOTHING_TO_UNDO).into())
    }

    /// `/commitments`.
    pub async fn commitments(&self, session: &Session) -> Result<CommitmentsView> {
        session.guild()?;
        let user = session.caller.user;
        let (open, resolved) = self.store.commitments_of(session.team(), user, 5).await?;
        let with_partner: Vec<i64> = open.iter().chain(&resolved).filter(|c| c.partner.is_some()).map(|c| c.id).collect();
        let views = self.store.partner_views(&with_partner).await?;
        Ok(CommitmentsView { open, resolved, today: self.today(session.settings.zone), views })
    }

    /// The member's weekly streak as of `week`.
    pub async fn streak(&self, session: &Session, week: IsoWeek) -> Result<u32> {
        session.guild()?;
        let user = session.caller.user;
        let w = self.store.streak_weeks(session.team(), user).await?;
        Ok(streak(&w.checked, &w.away, week))
    }

    fn checkin_context(&self, session: &Session, guild: crate::domain::ids::GuildId, today: NaiveDate) -> CheckinContext {
        CheckinContext {
            guild,
            team: session.settings.team.id,
            user: session.caller.user,
            local_date: today,
            week: IsoWeek::of(today),
            now: self.now(),
        }
    }

    fn coach_tip(&self, session: &Session, principle: u8) -> (u8, usize) {
        let n = self.prompts.catalog.get(principle).text(session.lang).tips.len();
        (principle, self.pick(n))
    }
}

impl Service {
    /// The localized name of a field, for "your {field} is too long".
    fn field(&self, session: &Session, key: crate::keys::Key) -> String {
        self.prompts.text(session.lang, key).to_owned()
    }
}

/// Days after its due date that an unresolved commitment's partner is asked whether it was
/// kept, and at what local time: late enough for the member to have resolved it themself.
pub const PARTNER_CHECK_AFTER_DAYS: u64 = 2;
const PARTNER_CHECK_HOUR: u32 = 10;

/// When the partner of a commitment due on `due` is asked whether it was kept, if the member
/// has not resolved it before.
pub fn check_time(due: NaiveDate, zone: crate::domain::time::Zone) -> chrono::DateTime<chrono::Utc> {
    let day = due.checked_add_days(chrono::Days::new(PARTNER_CHECK_AFTER_DAYS)).unwrap_or(due);
    let time = crate::domain::time::LocalTime::new(PARTNER_CHECK_HOUR, 0).expect("a valid hour");
    crate::domain::schedule::at_local(zone.0, day, time)
}
