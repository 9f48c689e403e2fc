//! Check-ins on commitments and communication.

use chrono::NaiveDate;

use super::{Result, Service, Session};
use crate::domain::checkin::{streak, Outcome, Rating, COMMITMENT_LIMIT, NOTE_LIMIT};
use crate::domain::ids::UserId;
use crate::domain::principles::no;
use crate::domain::refusal::Refusal;
use crate::domain::text::Note;
use crate::domain::time::{parse_due, IsoWeek};
use crate::prompts::keys as k;
use crate::storage::{CheckinContext, Commitment, CommitmentCheckin, CommunicationCheckin, NewCommitment};

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
    /// The blocker noted.
    pub blocker: Option<String>,
    /// Consecutive weeks with a check-in, this one included.
    pub streak: u32,
    /// A coaching tip: `(principle, tip index)`.
    pub coach: (u8, usize),
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
}

impl Service {
    /// `/checkin commitments` and its modal submit (`from_modal` carries the modal's state).
    pub async fn checkin_commitments(
        &self,
        session: &Session,
        input: CommitmentsInput,
        from_modal: Option<ModalState>,
    ) -> Result<CommitmentsOutcome> {
        let guild = session.guild()?;
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
        let blocker = match input.blocker.as_deref() {
            Some(b) => Note::parse(b, NOTE_LIMIT, &self.field(session, k::FIELD_BLOCKER))?,
            None => None,
        };
        let next = match input.next.as_deref() {
            Some(n) => Note::parse(n, COMMITMENT_LIMIT, &self.field(session, k::FIELD_COMMITMENT))?,
            None => None,
        };
        let Some(next) = next else {
            if from_modal.is_none() {
                return Ok(CommitmentsOutcome::NeedModal(ModalState { kept, due, partner, blocker: blocker.map(Note::into_inner) }));
            }
            // The modal's field is required; an empty one after cleaning is a blank answer.
            return Err(Refusal::new(k::ERR_TOO_LONG)
                .arg("field", self.field(session, k::FIELD_COMMITMENT))
                .arg("limit", COMMITMENT_LIMIT)
                .arg("length", 0)
                .arg("text", "")
                .into());
        };
        // No due date: the end of the guild's current week.
        let due = due.unwrap_or_else(|| IsoWeek::of(today).sunday());
        let new = NewCommitment { text: next.into_inner(), due, partner };
        let ctx = self.checkin_context(session, guild, today);
        let saved = self
            .store
            .record_commitment_checkin(
                ctx,
                &CommitmentCheckin {
                    which: None,
                    kept,
                    next: Some(new.clone()),
                    blocker: blocker.as_ref().map(|b| b.as_str().to_owned()),
                    partner,
                },
            )
            .await?;
        let streak = streak(&saved.weeks.checked, &saved.weeks.away, ctx.week);
        Ok(CommitmentsOutcome::Saved(CommitmentsSaved {
            resolved: kept.filter(|_| saved.resolved),
            nothing_to_resolve: kept.is_some() && saved.previous.is_none(),
            previous: saved.previous,
            new: Some(new),
            blocker: blocker.map(Note::into_inner),
            streak,
            coach: self.coach_tip(session, no::ACCOUNTABILITY),
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
        let guild = session.guild()?;
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
        Ok(CommunicationSaved { rating: rating.get(), replaced, streak, coach: self.coach_tip(session, no::COMMUNICATION) })
    }

    /// `/commitments`.
    pub async fn commitments(&self, session: &Session) -> Result<CommitmentsView> {
        let guild = session.guild()?;
        let user = session.caller.user;
        let (open, resolved) = self.store.commitments_of(guild, user, 5).await?;
        Ok(CommitmentsView { open, resolved, today: self.today(session.settings.zone) })
    }

    /// The member's weekly streak as of `week`.
    pub async fn streak(&self, session: &Session, week: IsoWeek) -> Result<u32> {
        let guild = session.guild()?;
        let user = session.caller.user;
        let w = self.store.streak_weeks(guild, user).await?;
        Ok(streak(&w.checked, &w.away, week))
    }

    fn checkin_context(&self, session: &Session, guild: crate::domain::ids::GuildId, today: NaiveDate) -> CheckinContext {
        CheckinContext { guild, user: session.caller.user, local_date: today, week: IsoWeek::of(today), now: self.now() }
    }

    fn coach_tip(&self, session: &Session, principle: u8) -> (u8, usize) {
        let n = self.prompts.catalog.get(principle).text(session.lang).tips.len();
        (principle, self.pick(n))
    }
}

impl Service {
    /// The localized name of a field, for "your {field} is too long".
    fn field(&self, session: &Session, key: crate::prompts::keys::Key) -> String {
        self.prompts.text(session.lang, key).to_owned()
    }
}
