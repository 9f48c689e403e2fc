//! The weekly digest: figures from one week's rows (and the week before), the privacy rule,
//! and the coaching rules that pick next week's focus. Pure: the service fetches the rows.

use std::collections::BTreeSet;

use serde::Serialize;

use super::checkin::{CheckinKind, Outcome};
use super::ids::UserId;
use super::principles::{no, COUNT};
use super::time::IsoWeek;
use crate::keys::{self as k, Key};

/// Fewer different members than this and a section shows "not enough answers yet": with one
/// or two people, a figure would reveal a person's own answer. Counted in people, never in
/// rows: one member checking in three times is still one person. A server may raise it
/// (`/setup privacy`), never lower it.
pub const MIN_PEOPLE: u32 = 3;
/// The highest threshold `/setup privacy` accepts.
pub const MAX_PEOPLE: u32 = 10;
/// Quotes shown per section.
pub const MAX_WENT_WELL: usize = 3;
/// Quotes shown per section.
pub const MAX_IMPROVE: usize = 3;
/// Blockers shown.
pub const MAX_BLOCKERS: usize = 5;

/// One check-in row as the digest needs it (no timestamps, no names shown).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckinRow {
    /// Who (only counted, never shown).
    pub user: UserId,
    /// Which kind.
    pub kind: CheckinKind,
    /// Communication rating.
    pub rating: Option<u8>,
    /// Note.
    pub went_well: Option<String>,
    /// Note.
    pub improve: Option<String>,
    /// Note.
    pub blocker: Option<String>,
}

/// How many different members gave each kind of answer in a week: what the privacy rule
/// counts. Storage may count fewer than there are, never more: answers up to [`MAX_PEOPLE`]
/// (no threshold asks for more), note writers among the newest notes it reads. Too few only
/// ever hides a section.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct People {
    /// Members with a commitments check-in.
    pub commitments: u32,
    /// Members who resolved a commitment.
    pub resolved: u32,
    /// Members who gave a communication rating.
    pub ratings: u32,
    /// Members who wrote a "went well" note.
    pub went_well: u32,
    /// Members who wrote a "to improve" note.
    pub improve: u32,
    /// Members who named a blocker.
    pub blockers: u32,
}

/// The week's resolved commitments whose partner was asked, as storage counts them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PartnerCounts {
    /// Resolved commitments with a partner asked.
    pub with_partner: u32,
    /// Different members who made them (the privacy rule counts these).
    pub makers: u32,
    /// Of those, how many the partner said were kept, partly or not.
    pub confirmed: u32,
    /// Different partners who said (counted too: their answers are what is shown).
    pub confirmers: u32,
    /// Different members whose commitments those answers are about: the agreement rate
    /// compares their answers, so they are counted as well.
    pub confirmed_makers: u32,
    /// Confirmed ones where the partner's answer is the member's own.
    pub agreed: u32,
}

/// A week's public thanks in a team, as storage counts them: never who thanked whom.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ThanksWeek {
    /// Thanks given.
    pub given: u32,
    /// Different members who gave them (the privacy rule counts these).
    pub givers: u32,
    /// The principles named, most named first, with counts.
    pub principles: Vec<(u8, u32)>,
}

/// One week of one guild, as counts and the newest notes: what the digest needs, and all
/// storage has to send (the week's rows are aggregated by SQLite, not copied out).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WeekRows {
    /// Different members behind each kind of answer.
    pub people: People,
    /// Members who checked in (either kind).
    pub members: BTreeSet<UserId>,
    /// Commitment check-ins.
    pub commitment_answers: u32,
    /// Commitment check-ins that named a blocker.
    pub blockers: u32,
    /// How many ratings of 1, 2, 3, 4, 5.
    pub ratings: [u32; 5],
    /// "Went well" notes, newest first (more than are shown, so repeats can be skipped).
    pub went_well: Vec<String>,
    /// "To improve" notes, newest first.
    pub improve: Vec<String>,
    /// Blocker notes, newest first.
    pub blocker_notes: Vec<String>,
    /// Commitments made during the week.
    pub made: u32,
    /// Outcomes of commitments resolved during the week.
    pub resolved: Vec<Outcome>,
    /// Those of them made to a partner who was asked.
    pub partners: PartnerCounts,
    /// The week's thanks.
    pub thanks: ThanksWeek,
}

impl WeekRows {
    /// Aggregates raw check-ins (oldest first) and the week's resolved commitments (whose,
    /// how) the way storage does in SQL: the reference for tests and fixtures.
    pub fn from_rows(rows: &[CheckinRow], made: u32, resolved: &[(UserId, Outcome)]) -> Self {
        let mut w = WeekRows { made, resolved: resolved.iter().map(|(_, o)| *o).collect(), ..Default::default() };
        let people =
            |pick: &dyn Fn(&CheckinRow) -> bool| rows.iter().filter(|r| pick(r)).map(|r| r.user).collect::<BTreeSet<_>>().len() as u32;
        w.people = People {
            commitments: people(&|r| r.kind == CheckinKind::Commitments),
            resolved: resolved.iter().map(|(u, _)| *u).collect::<BTreeSet<_>>().len() as u32,
            ratings: people(&|r| r.rating.is_some()),
            went_well: people(&|r| r.went_well.is_some()),
            improve: people(&|r| r.improve.is_some()),
            blockers: people(&|r| r.blocker.is_some()),
        };
        for r in rows {
            w.members.insert(r.user);
            if r.kind == CheckinKind::Commitments {
                w.commitment_answers += 1;
                w.blockers += u32::from(r.blocker.is_some());
            }
            if let Some(rating) = r.rating {
                w.ratings[usize::from(rating.clamp(1, 5) - 1)] += 1;
            }
        }
        let newest = |pick: fn(&CheckinRow) -> Option<&String>| rows.iter().rev().filter_map(pick).cloned().collect();
        w.went_well = newest(|r| r.went_well.as_ref());
        w.improve = newest(|r| r.improve.as_ref());
        w.blocker_notes = newest(|r| r.blocker.as_ref());
        w
    }

    fn answers(&self) -> u32 {
        self.ratings.iter().sum()
    }

    fn mean(&self) -> f64 {
        let sum: u32 = self.ratings.iter().enumerate().map(|(i, n)| (i as u32 + 1) * n).sum();
        f64::from(sum) / f64::from(self.answers().max(1))
    }
}

/// Everything the digest is computed from.
#[derive(Clone, Debug, Default)]
pub struct DigestInput {
    /// The week.
    pub week: Option<IsoWeek>,
    /// Its rows.
    pub this: WeekRows,
    /// The week before's rows.
    pub last: WeekRows,
    /// Members who checked in during the four weeks ending with this one.
    pub active: BTreeSet<UserId>,
    /// The same for the four weeks ending with last week.
    pub active_last: BTreeSet<UserId>,
    /// Members away at some point this week.
    pub away: BTreeSet<UserId>,
    /// Members away at some point last week.
    pub away_last: BTreeSet<UserId>,
    /// Open commitments past their due date.
    pub overdue: u32,
    /// Principles posted (daily posts) during the week, in order.
    pub posted: Vec<u8>,
    /// How often each principle (index 0 = principle 1) was posted in the last four weeks.
    pub seen_recently: [u32; COUNT as usize],
    /// The focus of the previous digest, if any.
    pub last_focus: Option<u8>,
    /// The rule that chose it and the value it read, when the previous digest recorded them.
    pub last_focus_signal: Option<(String, f64)>,
    /// The server's privacy threshold (`/setup privacy`); below [`MIN_PEOPLE`] counts as it.
    pub min_people: u32,
    /// The team's holiday during this week, clipped to it (`/setup pause`).
    pub paused: Option<(chrono::NaiveDate, chrono::NaiveDate)>,
    /// The team was on holiday at some point last week.
    pub paused_last: bool,
}

/// A section's figures, or "not enough answers yet".
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "status", content = "figures", rename_all = "snake_case")]
pub enum Section<T> {
    /// Enough answers to show figures.
    Figures(T),
    /// Fewer different members than the threshold ([`MIN_PEOPLE`] or the server's own).
    NotEnough,
}

impl<T> Section<T> {
    /// The figures, if shown.
    pub fn figures(&self) -> Option<&T> {
        match self {
            Section::Figures(t) => Some(t),
            Section::NotEnough => None,
        }
    }
}

/// Participation figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Participation {
    /// Members (not away) who checked in this week.
    pub checked_in: u32,
    /// Active members (not away).
    pub active: u32,
    /// Members away this week (counted separately).
    pub away: u32,
    /// `checked_in` minus last week's, when last week had enough members to show.
    pub change: Option<i64>,
}

impl Participation {
    /// Share of active members who checked in.
    pub fn rate(&self) -> f64 {
        if self.active == 0 {
            0.0
        } else {
            f64::from(self.checked_in) / f64::from(self.active)
        }
    }
}

/// Commitment figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CommitmentStats {
    /// Made this week.
    pub made: u32,
    /// How the commitments resolved this week ended: its own section, since fewer members
    /// may have resolved one than checked in.
    pub outcomes: Section<Outcomes>,
    /// Commitments open at the end of the week (today, for the running week) past their due
    /// date.
    pub overdue: u32,
}

/// How the week's resolved commitments ended.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Outcomes {
    /// Resolved as kept.
    pub kept: u32,
    /// Resolved as partly kept.
    pub partly: u32,
    /// Resolved as not kept.
    pub missed: u32,
    /// (kept + ½·partly) / resolved.
    pub keep_rate: f64,
    /// Change from last week's keep rate, when last week had enough members resolving.
    pub keep_rate_change: Option<f64>,
}

/// The partners' side of the week's resolved commitments.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PartnerStats {
    /// Resolved commitments made to a partner who was asked.
    pub with_partner: u32,
    /// What the partners said: its own section, since fewer partners may have answered
    /// than members resolved.
    pub confirmations: Section<Confirmations>,
}

/// How the partners' answers compare with the members' own.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Confirmations {
    /// Commitments the partner said were kept, partly or not.
    pub confirmed: u32,
    /// Of those, where both sides said the same.
    pub agreed: u32,
    /// agreed / confirmed.
    pub agreement_rate: f64,
}

/// The week's thanks, shown to the team's leads.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ThanksStats {
    /// Thanks given.
    pub given: u32,
    /// The principles they named most (up to three), with counts.
    pub principles: Vec<(u8, u32)>,
}

/// A charter item whose review is due.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CharterDue {
    /// The item's id (the review buttons name it).
    pub id: i64,
    /// `goal` or `agreement`.
    pub kind: &'static str,
    /// Its text (the team's own charter: not one member's answer).
    pub text: String,
    /// Its review date.
    pub review_on: chrono::NaiveDate,
}

/// Communication figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CommunicationStats {
    /// Ratings given.
    pub answers: u32,
    /// Mean rating.
    pub mean: f64,
    /// Change from last week's mean, when last week had enough answers.
    pub mean_change: Option<f64>,
    /// How many gave 1, 2, 3, 4, 5.
    pub distribution: [u32; 5],
}

/// Next week's focus and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Focus {
    /// The principle.
    pub principle: u8,
    /// Which rule chose it (its id in [`RULES`], or `least_seen`).
    pub rule: &'static str,
    /// The message explaining it.
    #[serde(skip)]
    pub reason: Key,
    /// Values for the message.
    #[serde(skip)]
    pub args: Vec<(&'static str, String)>,
}

/// The digest of one week.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Digest {
    /// The week.
    pub week: String,
    /// Participation.
    pub participation: Section<Participation>,
    /// Commitments.
    pub commitments: Section<CommitmentStats>,
    /// The partners' side, when a resolved commitment of the week had a partner who was
    /// asked (absent otherwise: a team that never names partners sees the digest it knew).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partners: Option<Section<PartnerStats>>,
    /// Communication.
    pub communication: Section<CommunicationStats>,
    /// The week's thanks, when there were any (absent otherwise: a team that never thanks
    /// sees the digest it knew).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thanks: Option<Section<ThanksStats>>,
    /// Charter items due for review by the week's end (set by the service).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub charter_due: Vec<CharterDue>,
    /// Up to three "went well" notes (raw; rendering neutralises them).
    pub went_well: Vec<String>,
    /// Up to three "to improve" notes.
    pub improve: Vec<String>,
    /// Up to five blockers.
    pub blockers: Vec<String>,
    /// Principles posted this week.
    pub principles_posted: Vec<u8>,
    /// Next week's focus.
    pub focus: Focus,
    /// The team's holiday during this week (first and last day, within the week): the
    /// digest says so, and compares nothing with the week before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paused: Option<(chrono::NaiveDate, chrono::NaiveDate)>,
    /// The team's name, in a server with several teams (set by the service).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// The twelve weeks ending with this one, oldest first (set by the service; the chart).
    pub trend: Vec<super::trend::TrendWeek>,
    /// What happened to the signal that chose last week's focus.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<FocusFollowUp>,
    /// The value the focus rule read (recorded with the digest, for the next one).
    #[serde(skip)]
    pub focus_signal: Option<f64>,
    /// The four-week review (the first scheduled digest of a month, or `/digest review:true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review: Option<super::trend::Review>,
}

/// The signals the focus rules read. A figure is `None` when its section had too few
/// answers: the rules never act on data the digest would not show.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Signals {
    /// Participation rate, 0–1.
    pub participation_rate: Option<f64>,
    /// Members checked in this week, and last week.
    pub participation_counts: Option<(u32, u32)>,
    /// Keep rate, 0–1.
    pub keep_rate: Option<f64>,
    /// Keep rate change.
    pub keep_rate_change: Option<f64>,
    /// Overdue commitments.
    pub overdue: Option<u32>,
    /// Mean communication rating.
    pub mean: Option<f64>,
    /// Change of the mean.
    pub mean_change: Option<f64>,
    /// Blockers reported this week.
    pub blockers: Option<u32>,
    /// Blockers reported last week, when last week's blockers had enough members to show.
    pub blockers_last: Option<u32>,
    /// How often partners saw resolved commitments as their makers did, 0–1.
    pub agreement_rate: Option<f64>,
}

/// Values for a message's placeholders.
pub type Args = Vec<(&'static str, String)>;

/// One coaching rule: when `applies` returns values, the focus is `principle`, explained by
/// `reason` filled with those values.
pub struct Rule {
    /// Stable id (tests and the JSON output name rules by it).
    pub id: &'static str,
    /// The principle it points to.
    pub principle: u8,
    /// The explanation.
    pub reason: Key,
    /// The condition, returning the explanation's values when it holds.
    pub applies: fn(&Signals) -> Option<Args>,
}

/// Formats a 0–1 rate as a whole percentage.
pub fn percent(r: f64) -> String {
    format!("{:.0}%", r * 100.0)
}

/// The coaching rules, strongest first. The first that holds picks the focus.
pub const RULES: &[Rule] = &[
    // Promises are the team's currency: a low keep rate undermines everything else.
    Rule {
        id: "low_keep_rate",
        principle: no::ACCOUNTABILITY,
        reason: k::FOCUS_LOW_KEEP_RATE,
        applies: |s| s.keep_rate.filter(|r| *r < 0.6).map(|r| vec![("rate", percent(r))]),
    },
    Rule {
        id: "low_communication",
        principle: no::COMMUNICATION,
        reason: k::FOCUS_LOW_COMMUNICATION,
        applies: |s| s.mean.filter(|m| *m < 3.0).map(|m| vec![("mean", format!("{m:.1}"))]),
    },
    // Blockers two weeks running point at something unresolved between people.
    Rule {
        id: "persistent_blockers",
        principle: no::CONFLICT,
        reason: k::FOCUS_PERSISTENT_BLOCKERS,
        applies: |s| s.blockers.zip(s.blockers_last).filter(|(b, l)| *b >= 2 && *l >= 2).map(|_| vec![]),
    },
    // Partners who see a commitment's end differently from its maker did not share one
    // understanding of it: what was promised, by when, and what "done" means.
    Rule {
        id: "low_agreement",
        principle: no::AGREEMENTS,
        reason: k::FOCUS_LOW_AGREEMENT,
        applies: |s| s.agreement_rate.filter(|r| *r < 0.6).map(|r| vec![("rate", percent(r))]),
    },
    Rule {
        id: "falling_keep_rate",
        principle: no::ACCOUNTABILITY,
        reason: k::FOCUS_FALLING_KEEP_RATE,
        applies: |s| match (s.keep_rate, s.keep_rate_change) {
            (Some(r), Some(c)) if c <= -0.2 => Some(vec![("before", percent(r - c)), ("after", percent(r))]),
            _ => None,
        },
    },
    Rule {
        id: "falling_communication",
        principle: no::COMMUNICATION,
        reason: k::FOCUS_FALLING_COMMUNICATION,
        applies: |s| match (s.mean, s.mean_change) {
            (Some(m), Some(c)) if c <= -0.5 => Some(vec![("before", format!("{:.1}", m - c)), ("after", format!("{m:.1}"))]),
            _ => None,
        },
    },
    Rule {
        id: "many_blockers",
        principle: no::SHARE_INFORMATION,
        reason: k::FOCUS_MANY_BLOCKERS,
        applies: |s| s.blockers.filter(|b| *b >= 3).map(|b| vec![("count", b.to_string())]),
    },
    Rule {
        id: "low_participation",
        principle: no::COMMON_GOALS,
        reason: k::FOCUS_LOW_PARTICIPATION,
        applies: |s| s.participation_rate.filter(|r| *r < 0.5).map(|r| vec![("rate", percent(r))]),
    },
    Rule {
        id: "falling_participation",
        principle: no::EVALUATE,
        reason: k::FOCUS_FALLING_PARTICIPATION,
        applies: |s| match (s.participation_rate, s.participation_counts) {
            (Some(r), Some((now, before))) if before >= now + 2 && r < 0.8 => {
                Some(vec![("before", before.to_string()), ("after", now.to_string())])
            }
            _ => None,
        },
    },
    Rule {
        id: "many_overdue",
        principle: no::AGREEMENTS,
        reason: k::FOCUS_MANY_OVERDUE,
        applies: |s| s.overdue.filter(|o| *o >= 3).map(|o| vec![("count", o.to_string())]),
    },
];

/// What a rule reads, so the next digest can say whether it moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// The keep score, 0–1.
    KeepRate,
    /// The mean rating, 1–5.
    Mean,
    /// Blockers reported.
    Blockers,
    /// Participation, 0–1.
    Participation,
    /// Overdue commitments.
    Overdue,
    /// Partner agreement, 0–1.
    Agreement,
}

impl Measure {
    /// The measure behind a rule; `None` for `least_seen`, which reads no figure.
    pub fn of_rule(rule: &str) -> Option<Self> {
        Some(match rule {
            "low_keep_rate" | "falling_keep_rate" => Measure::KeepRate,
            "low_communication" | "falling_communication" => Measure::Mean,
            "persistent_blockers" | "many_blockers" => Measure::Blockers,
            "low_participation" | "falling_participation" => Measure::Participation,
            "many_overdue" => Measure::Overdue,
            "low_agreement" => Measure::Agreement,
            _ => return None,
        })
    }

    /// Its value in a week's signals, if that week showed it.
    pub fn value(self, s: &Signals) -> Option<f64> {
        match self {
            Measure::KeepRate => s.keep_rate,
            Measure::Mean => s.mean,
            Measure::Blockers => s.blockers.map(f64::from),
            Measure::Participation => s.participation_rate,
            Measure::Overdue => s.overdue.map(f64::from),
            Measure::Agreement => s.agreement_rate,
        }
    }

    /// As shown: `45%`, `2.8/5`, `3`.
    pub fn show(self, v: f64) -> String {
        match self {
            Measure::KeepRate | Measure::Participation | Measure::Agreement => percent(v),
            Measure::Mean => format!("{v:.1}/5"),
            Measure::Blockers | Measure::Overdue => format!("{v:.0}"),
        }
    }
}

/// What happened to the signal that chose last week's focus.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FocusFollowUp {
    /// Last week's focus.
    pub principle: u8,
    /// The measure that chose it.
    pub measure: Measure,
    /// Its value then.
    pub before: f64,
    /// Its value this week; `None`: not enough answers to say.
    pub now: Option<f64>,
}

/// Members who checked in, without those away (they are counted apart).
fn present(rows: &WeekRows, away: &BTreeSet<UserId>) -> BTreeSet<UserId> {
    rows.members.iter().filter(|u| !away.contains(u)).copied().collect()
}

fn keep_rate(outcomes: &[Outcome]) -> Option<f64> {
    if outcomes.is_empty() {
        return None;
    }
    let score: f64 = outcomes
        .iter()
        .map(|o| match o {
            Outcome::Kept => 1.0,
            Outcome::Partly => 0.5,
            Outcome::Missed => 0.0,
        })
        .sum();
    Some(score / outcomes.len() as f64)
}

/// Computes the digest. Every section is shown only when enough different members stand
/// behind it, and the focus rules read only what is shown.
pub fn compute(input: &DigestInput) -> Digest {
    let (this, last) = (&input.this, &input.last);
    let (members, members_last) = (present(this, &input.away), present(last, &input.away_last));
    let min = input.min_people.max(MIN_PEOPLE);
    let enough = |people: u32| people >= min;

    let active = input.active.iter().filter(|u| !input.away.contains(u)).count() as u32;
    // A week with a team holiday is compared with nothing: fewer answers on holiday are not
    // a fall, and more after it are not a rise.
    let compare = input.paused.is_none() && !input.paused_last;
    let last_shown = compare && enough(members_last.len() as u32);
    let participation = if enough(members.len() as u32) {
        Section::Figures(Participation {
            checked_in: members.len() as u32,
            active: active.max(members.len() as u32),
            away: input.away.len() as u32,
            change: last_shown.then(|| members.len() as i64 - members_last.len() as i64),
        })
    } else {
        Section::NotEnough
    };

    let kr_last = keep_rate(&last.resolved).filter(|_| compare && enough(last.people.resolved));
    let commitments = if enough(this.people.commitments) {
        let outcomes = match keep_rate(&this.resolved) {
            Some(rate) if enough(this.people.resolved) => {
                let count = |o: Outcome| this.resolved.iter().filter(|r| **r == o).count() as u32;
                Section::Figures(Outcomes {
                    kept: count(Outcome::Kept),
                    partly: count(Outcome::Partly),
                    missed: count(Outcome::Missed),
                    keep_rate: rate,
                    keep_rate_change: kr_last.map(|b| rate - b),
                })
            }
            _ => Section::NotEnough,
        };
        Section::Figures(CommitmentStats { made: this.made, outcomes, overdue: input.overdue })
    } else {
        Section::NotEnough
    };

    let communication = if enough(this.people.ratings) {
        Section::Figures(CommunicationStats {
            answers: this.answers(),
            mean: this.mean(),
            mean_change: (compare && enough(last.people.ratings)).then(|| this.mean() - last.mean()),
            distribution: this.ratings,
        })
    } else {
        Section::NotEnough
    };

    // Quotes only where enough different members wrote that kind of note: otherwise a lone
    // note would be easy to attribute.
    let notes = |newest: &[String], max: usize, shown: bool| -> Vec<String> {
        if !shown {
            return Vec::new();
        }
        let mut seen = BTreeSet::new();
        newest.iter().filter(|n| seen.insert(n.to_lowercase())).take(max).cloned().collect()
    };
    let comm_shown = communication.figures().is_some();
    let blockers_shown = commitments.figures().is_some() && enough(this.people.blockers);
    let went_well = notes(&this.went_well, MAX_WENT_WELL, comm_shown && enough(this.people.went_well));
    let improve = notes(&this.improve, MAX_IMPROVE, comm_shown && enough(this.people.improve));
    let blockers = notes(&this.blocker_notes, MAX_BLOCKERS, blockers_shown);

    // Shown only where enough different members made them and, for what partners said,
    // enough different partners said it: one partner's answers are theirs to give.
    let pc = this.partners;
    let partners = (pc.with_partner > 0).then(|| {
        if enough(pc.makers) && commitments.figures().is_some() {
            let confirmations = if enough(pc.confirmers) && enough(pc.confirmed_makers) && pc.confirmed > 0 {
                Section::Figures(Confirmations {
                    confirmed: pc.confirmed,
                    agreed: pc.agreed,
                    agreement_rate: f64::from(pc.agreed) / f64::from(pc.confirmed),
                })
            } else {
                Section::NotEnough
            };
            Section::Figures(PartnerStats { with_partner: pc.with_partner, confirmations })
        } else {
            Section::NotEnough
        }
    });
    // Thanks are public messages, but who gave them is counted like any answer.
    let thanks = (this.thanks.given > 0).then(|| {
        if enough(this.thanks.givers) {
            Section::Figures(ThanksStats { given: this.thanks.given, principles: this.thanks.principles.iter().take(3).copied().collect() })
        } else {
            Section::NotEnough
        }
    });
    let agreement_rate = partners.as_ref().and_then(Section::figures).and_then(|p| p.confirmations.figures()).map(|c| c.agreement_rate);

    let outcomes = commitments.figures().and_then(|c| c.outcomes.figures());
    let signals = Signals {
        // On holiday, a low participation says nothing about the team.
        participation_rate: participation.figures().filter(|_| input.paused.is_none()).map(Participation::rate),
        participation_counts: participation.figures().filter(|_| last_shown).map(|p| (p.checked_in, members_last.len() as u32)),
        keep_rate: outcomes.map(|o| o.keep_rate),
        keep_rate_change: outcomes.and_then(|o| o.keep_rate_change),
        overdue: commitments.figures().map(|c| c.overdue),
        mean: communication.figures().map(|c| c.mean),
        mean_change: communication.figures().and_then(|c| c.mean_change),
        blockers: blockers_shown.then_some(this.blockers),
        blockers_last: (compare && enough(last.people.commitments) && enough(last.people.blockers)).then_some(last.blockers),
        agreement_rate,
    };
    let focus = choose_focus(&signals, &input.seen_recently, input.last_focus);
    let follow_up = match (input.last_focus, &input.last_focus_signal) {
        (Some(principle), Some((rule, before))) => {
            Measure::of_rule(rule).map(|measure| FocusFollowUp { principle, measure, before: *before, now: measure.value(&signals) })
        }
        _ => None,
    };
    let focus_signal = Measure::of_rule(focus.rule).and_then(|m| m.value(&signals));

    Digest {
        week: input.week.map(|w| w.to_string()).unwrap_or_default(),
        participation,
        commitments,
        partners,
        communication,
        thanks,
        charter_due: Vec::new(),
        went_well,
        improve,
        blockers,
        principles_posted: input.posted.clone(),
        focus,
        paused: input.paused,
        team: None,
        trend: Vec::new(),
        follow_up,
        focus_signal,
        review: None,
    }
}

/// The first rule that holds; with none, the principle seen least in recent daily posts
/// (ties: not last week's focus, then the lowest number).
pub fn choose_focus(s: &Signals, seen: &[u32; COUNT as usize], last_focus: Option<u8>) -> Focus {
    for rule in RULES {
        if let Some(args) = (rule.applies)(s) {
            return Focus { principle: rule.principle, rule: rule.id, reason: rule.reason, args };
        }
    }
    let principle = (1..=COUNT).min_by_key(|p| (seen[usize::from(*p) - 1], Some(*p) == last_focus, *p)).expect("ten principles");
    Focus { principle, rule: "least_seen", reason: k::FOCUS_LEAST_SEEN, args: vec![] }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(n: u64) -> UserId {
        UserId(n)
    }

    fn comm(user: u64, rating: u8) -> CheckinRow {
        CheckinRow { user: u(user), kind: CheckinKind::Communication, rating: Some(rating), went_well: None, improve: None, blocker: None }
    }

    fn commit(user: u64, blocker: Option<&str>) -> CheckinRow {
        CheckinRow {
            user: u(user),
            kind: CheckinKind::Commitments,
            rating: None,
            went_well: None,
            improve: None,
            blocker: blocker.map(str::to_owned),
        }
    }

    fn input(this: Vec<CheckinRow>) -> DigestInput {
        let active = this.iter().map(|c| c.user).collect();
        DigestInput { week: IsoWeek::parse("2026-W48"), this: WeekRows::from_rows(&this, 0, &[]), active, ..Default::default() }
    }

    #[test]
    fn partner_figures_show_only_with_enough_makers_and_enough_answering_partners() {
        let with = |partners: PartnerCounts| {
            let mut i = input(vec![commit(1, None), commit(2, None), commit(3, None)]);
            i.this.partners = partners;
            compute(&i)
        };
        // No partner asked: no section at all, as before partners were asked.
        assert_eq!(with(PartnerCounts::default()).partners, None);
        // Two makers: nothing shown, not even the count.
        let two = with(PartnerCounts { with_partner: 4, makers: 2, confirmed: 4, confirmers: 3, confirmed_makers: 2, agreed: 1 });
        assert_eq!(two.partners, Some(Section::NotEnough));
        assert_ne!(two.focus.rule, "low_agreement", "the rules never read what is hidden");
        // Three makers, two partners answering: the count, but not what the partners said.
        let few = with(PartnerCounts { with_partner: 4, makers: 3, confirmed: 4, confirmers: 2, confirmed_makers: 3, agreed: 1 });
        assert_eq!(few.partners, Some(Section::Figures(PartnerStats { with_partner: 4, confirmations: Section::NotEnough })));
        assert_ne!(few.focus.rule, "low_agreement");
        // Three partners answering about one member's commitments: still that member's figures.
        let one = with(PartnerCounts { with_partner: 5, makers: 3, confirmed: 3, confirmers: 3, confirmed_makers: 1, agreed: 0 });
        assert_eq!(one.partners, Some(Section::Figures(PartnerStats { with_partner: 5, confirmations: Section::NotEnough })));
        assert_ne!(one.focus.rule, "low_agreement");
        // Three of each: the figures, and a low agreement picks clear agreements.
        let shown = with(PartnerCounts { with_partner: 4, makers: 3, confirmed: 4, confirmers: 3, confirmed_makers: 3, agreed: 1 });
        let Some(Section::Figures(f)) = &shown.partners else { panic!("{:?}", shown.partners) };
        assert_eq!(f.confirmations, Section::Figures(Confirmations { confirmed: 4, agreed: 1, agreement_rate: 0.25 }));
        assert_eq!((shown.focus.rule, shown.focus.principle), ("low_agreement", no::AGREEMENTS));
        assert_eq!(shown.focus_signal, Some(0.25));
    }

    #[test]
    fn an_empty_week_has_no_figures_and_falls_back_to_the_least_seen_principle() {
        let d = compute(&DigestInput::default());
        assert_eq!(d.participation, Section::NotEnough);
        assert_eq!(d.commitments, Section::NotEnough);
        assert_eq!(d.communication, Section::NotEnough);
        assert!(d.went_well.is_empty() && d.blockers.is_empty());
        assert_eq!(d.focus.rule, "least_seen");
        assert_eq!(d.focus.principle, 1);
    }

    #[test]
    fn a_single_member_never_sees_figures_that_would_reveal_their_answers() {
        let mut lone = comm(1, 2);
        lone.went_well = Some("the demo".into());
        let i = input(vec![lone, commit(1, Some("waiting on legal"))]);
        let d = compute(&i);
        assert_eq!(d.participation, Section::NotEnough);
        assert_eq!(d.communication, Section::NotEnough);
        assert!(d.went_well.is_empty(), "a lone note would be attributable");
        assert!(d.blockers.is_empty());
        // And the rules do not act on the hidden rating of 2.
        assert_eq!(d.focus.rule, "least_seen");
    }

    #[test]
    fn participation_counts_members_out_of_active_ones_without_the_away() {
        let mut i = input(vec![comm(1, 4), comm(2, 4), comm(3, 4), comm(3, 5)]);
        i.active = [1, 2, 3, 4, 5, 6].into_iter().map(u).collect();
        i.away = [u(6)].into_iter().collect();
        i.last = WeekRows::from_rows(&[comm(1, 4), comm(2, 4), comm(4, 4)], 0, &[]);
        let d = compute(&i);
        let p = d.participation.figures().unwrap();
        assert_eq!((p.checked_in, p.active, p.away, p.change), (3, 5, 1, Some(0)));
        assert!((p.rate() - 0.6).abs() < 1e-9);
    }

    #[test]
    fn the_next_digest_says_what_happened_to_the_signal_that_chose_the_focus() {
        // This week: four members rate 4, the mean is 4.0.
        let mut i = input(vec![comm(1, 4), comm(2, 4), comm(3, 4), comm(4, 4)]);
        i.last_focus = Some(no::COMMUNICATION);
        i.last_focus_signal = Some(("low_communication".into(), 2.6));
        let d = compute(&i);
        let f = d.follow_up.clone().expect("a follow-up");
        assert_eq!((f.principle, f.measure, f.before, f.now), (no::COMMUNICATION, Measure::Mean, 2.6, Some(4.0)));
        // Too few raters this week: it says it cannot tell, never a zero.
        let mut few = input(vec![comm(1, 4), comm(2, 4)]);
        few.last_focus = Some(no::COMMUNICATION);
        few.last_focus_signal = Some(("low_communication".into(), 2.6));
        assert_eq!(compute(&few).follow_up.unwrap().now, None);
        // A focus no figure chose has nothing to follow up.
        let mut seen = i.clone();
        seen.last_focus_signal = Some(("least_seen".into(), 0.0));
        assert_eq!(compute(&seen).follow_up, None);
        // Every rule names the measure it read, and the digest records the value for next week.
        for rule in RULES {
            assert!(Measure::of_rule(rule.id).is_some(), "{}", rule.id);
        }
        let low = compute(&input(vec![comm(1, 1), comm(2, 2), comm(3, 2)]));
        assert_eq!((low.focus.rule, low.focus_signal.map(|v| (v * 100.0).round())), ("low_communication", Some(167.0)));
    }

    #[test]
    fn a_week_with_a_team_holiday_is_compared_with_nothing_and_says_so() {
        // Five members last week, three this week: a fall of two, which would choose the
        // falling-participation focus in an ordinary week.
        let mut i = input(vec![comm(1, 4), comm(2, 4), comm(3, 4)]);
        i.active = (1..=6).map(u).collect();
        i.last = WeekRows::from_rows(&[comm(1, 2), comm(2, 2), comm(3, 2), comm(4, 2), comm(5, 2)], 0, &[]);
        let ordinary = compute(&i);
        assert_eq!(ordinary.participation.figures().unwrap().change, Some(-2));
        assert!(ordinary.communication.figures().unwrap().mean_change.is_some());
        assert_eq!(ordinary.paused, None);

        let days = (chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(), chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap());
        let paused = compute(&DigestInput { paused: Some(days), ..i.clone() });
        assert_eq!(paused.paused, Some(days), "the digest says the team was on holiday");
        let p = paused.participation.figures().unwrap();
        assert_eq!((p.checked_in, p.change), (3, None), "figures stay, the fall is not reported");
        assert_eq!(paused.communication.figures().unwrap().mean_change, None);
        assert_ne!(paused.focus.rule, "falling_participation");
        assert_ne!(paused.focus.rule, "low_participation", "a holiday's low participation says nothing");
        // The week after a holiday is not compared with it either.
        let after = compute(&DigestInput { paused_last: true, ..i });
        assert_eq!((after.paused, after.participation.figures().unwrap().change), (None, None));
    }

    #[test]
    fn the_keep_rate_counts_partly_as_half_and_reports_its_change() {
        use Outcome::{Kept, Missed, Partly};
        let mut i = input(vec![commit(1, None), commit(2, None), commit(3, None)]);
        i.this = WeekRows::from_rows(
            &[commit(1, None), commit(2, None), commit(3, None)],
            4,
            &[(u(1), Kept), (u(2), Partly), (u(3), Missed), (u(1), Kept)],
        );
        i.last = WeekRows::from_rows(&[commit(1, None), commit(2, None), commit(3, None)], 0, &[(u(1), Kept), (u(2), Kept), (u(3), Kept)]);
        i.overdue = 2;
        let d = compute(&i);
        let c = d.commitments.figures().unwrap();
        assert_eq!((c.made, c.overdue), (4, 2));
        let o = c.outcomes.figures().unwrap();
        assert_eq!((o.kept, o.partly, o.missed), (2, 1, 1));
        assert!((o.keep_rate - 0.625).abs() < 1e-9);
        assert!((o.keep_rate_change.unwrap() + 0.375).abs() < 1e-9);
    }

    #[test]
    fn nothing_resolved_means_no_keep_rate_rather_than_zero() {
        let d = compute(&input(vec![commit(1, None), commit(2, None), commit(3, None)]));
        assert_eq!(d.commitments.figures().unwrap().outcomes, Section::NotEnough);
    }

    #[test]
    fn communication_has_a_mean_a_change_and_a_distribution() {
        let mut i = input(vec![comm(1, 5), comm(2, 4), comm(3, 4), comm(4, 1)]);
        i.last = WeekRows::from_rows(&[comm(1, 5), comm(2, 5), comm(3, 5)], 0, &[]);
        let d = compute(&i);
        let c = d.communication.figures().unwrap();
        assert_eq!(c.answers, 4);
        assert!((c.mean - 3.5).abs() < 1e-9);
        assert!((c.mean_change.unwrap() + 1.5).abs() < 1e-9);
        assert_eq!(c.distribution, [1, 0, 0, 2, 1]);
    }

    #[test]
    fn a_change_is_not_shown_against_a_week_with_too_few_answers() {
        let mut i = input(vec![comm(1, 5), comm(2, 4), comm(3, 4)]);
        i.last = WeekRows::from_rows(&[comm(1, 1)], 0, &[]);
        assert_eq!(compute(&i).communication.figures().unwrap().mean_change, None);
    }

    #[test]
    fn notes_are_quoted_newest_first_without_duplicates_and_capped() {
        let mut rows: Vec<CheckinRow> = (1..=6).map(|n| comm(n, 4)).collect();
        for (n, r) in rows.iter_mut().enumerate() {
            r.went_well = Some(format!("note {}", n % 4));
            r.improve = Some("Same".into());
        }
        rows[0].improve = Some("same".into());
        let d = compute(&input(rows));
        assert_eq!(d.went_well, vec!["note 1", "note 0", "note 3"]);
        assert_eq!(d.improve, vec!["Same"]);
    }

    fn signals() -> Signals {
        Signals::default()
    }

    fn rule_for(s: &Signals) -> (&'static str, u8) {
        let f = choose_focus(s, &[0; 10], None);
        (f.rule, f.principle)
    }

    #[test]
    fn each_focus_rule_fires_on_its_signal() {
        assert_eq!(rule_for(&Signals { keep_rate: Some(0.5), ..signals() }), ("low_keep_rate", 10));
        assert_eq!(rule_for(&Signals { mean: Some(2.6), ..signals() }), ("low_communication", 4));
        assert_eq!(rule_for(&Signals { blockers: Some(2), blockers_last: Some(3), ..signals() }), ("persistent_blockers", 7));
        assert_eq!(rule_for(&Signals { keep_rate: Some(0.7), keep_rate_change: Some(-0.25), ..signals() }), ("falling_keep_rate", 10));
        assert_eq!(rule_for(&Signals { mean: Some(3.4), mean_change: Some(-0.6), ..signals() }), ("falling_communication", 4));
        assert_eq!(rule_for(&Signals { blockers: Some(4), ..signals() }), ("many_blockers", 6));
        assert_eq!(rule_for(&Signals { participation_rate: Some(0.4), ..signals() }), ("low_participation", 1));
        assert_eq!(
            rule_for(&Signals { participation_rate: Some(0.6), participation_counts: Some((3, 6)), ..signals() }),
            ("falling_participation", 9)
        );
        assert_eq!(rule_for(&Signals { overdue: Some(3), ..signals() }), ("many_overdue", 5));
        assert_eq!(rule_for(&Signals { agreement_rate: Some(0.5), ..signals() }), ("low_agreement", 5));
        // A low agreement outranks a falling keep score: the two sides disagree on what was kept.
        assert_eq!(
            rule_for(&Signals { agreement_rate: Some(0.4), keep_rate: Some(0.7), keep_rate_change: Some(-0.3), ..signals() }).0,
            "low_agreement"
        );
    }

    #[test]
    fn healthy_signals_fire_no_rule() {
        let s = Signals {
            participation_rate: Some(0.9),
            participation_counts: Some((9, 9)),
            keep_rate: Some(0.8),
            keep_rate_change: Some(0.1),
            overdue: Some(1),
            mean: Some(4.2),
            mean_change: Some(0.2),
            blockers: Some(1),
            blockers_last: Some(0),
            agreement_rate: Some(0.8),
        };
        assert_eq!(rule_for(&s).0, "least_seen");
    }

    #[test]
    fn rules_are_ordered_by_strength() {
        // Low keep rate and low communication together: promises first.
        assert_eq!(rule_for(&Signals { keep_rate: Some(0.3), mean: Some(2.0), ..signals() }).0, "low_keep_rate");
        let ids: BTreeSet<&str> = RULES.iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), RULES.len(), "rule ids are unique");
    }

    #[test]
    fn the_least_seen_principle_avoids_last_weeks_focus_on_a_tie() {
        let mut seen = [2u32; 10];
        seen[6] = 0;
        assert_eq!(choose_focus(&signals(), &seen, None).principle, 7);
        let seen = [0u32; 10];
        assert_eq!(choose_focus(&signals(), &seen, Some(1)).principle, 2);
    }

    #[test]
    fn a_week_across_the_year_end_is_named_by_its_iso_week() {
        let mut i = input(vec![comm(1, 4), comm(2, 4), comm(3, 4)]);
        i.week = IsoWeek::parse("2026-W53");
        assert_eq!(compute(&i).week, "2026-W53");
    }

    #[test]
    fn the_focus_reason_carries_its_figures() {
        let f = choose_focus(&Signals { keep_rate: Some(0.4), ..signals() }, &[0; 10], None);
        assert_eq!(f.args, vec![("rate", "40%".to_string())]);
    }

    fn noted(user: u64, rating: u8, note: &str) -> CheckinRow {
        CheckinRow { went_well: Some(note.into()), improve: Some(note.into()), ..comm(user, rating) }
    }

    #[test]
    fn one_member_checking_in_many_times_unlocks_nothing() {
        use Outcome::Kept;
        // One person, five answers of each kind: five rows, one member.
        let rows: Vec<CheckinRow> = (0..5).flat_map(|n| [noted(1, 2, &format!("note {n}")), commit(1, Some("waiting on legal"))]).collect();
        let mut i = input(rows.clone());
        i.this = WeekRows::from_rows(&rows, 5, &[(u(1), Kept), (u(1), Kept), (u(1), Kept)]);
        i.overdue = 4;
        let d = compute(&i);
        assert_eq!(d.participation, Section::NotEnough);
        assert_eq!(d.commitments, Section::NotEnough, "keep rate, overdue and made stay hidden");
        assert_eq!(d.communication, Section::NotEnough);
        assert!(d.went_well.is_empty() && d.improve.is_empty() && d.blockers.is_empty(), "no quotes of one person");
        assert_eq!(d.focus.rule, "least_seen", "the rules did not read the hidden rating, blockers or overdue count");
    }

    #[test]
    fn two_members_are_still_too_few_and_the_third_unlocks_the_figures() {
        use Outcome::{Kept, Missed};
        let two =
            vec![noted(1, 2, "a"), noted(2, 1, "b"), noted(1, 2, "c"), commit(1, Some("x")), commit(2, Some("y")), commit(2, Some("z"))];
        let mut i = input(two.clone());
        i.this = WeekRows::from_rows(&two, 3, &[(u(1), Missed), (u(2), Missed), (u(2), Missed)]);
        let d = compute(&i);
        assert_eq!((d.commitments.clone(), d.communication.clone()), (Section::NotEnough, Section::NotEnough));
        assert!(d.went_well.is_empty() && d.blockers.is_empty());
        assert_eq!(d.focus.rule, "least_seen");

        let mut three = two.clone();
        three.extend([noted(3, 2, "d"), commit(3, Some("w"))]);
        let mut i = input(three.clone());
        i.this = WeekRows::from_rows(&three, 4, &[(u(1), Missed), (u(2), Missed), (u(3), Kept)]);
        let d = compute(&i);
        assert!(d.communication.figures().is_some() && d.commitments.figures().unwrap().outcomes.figures().is_some());
        assert_eq!(d.blockers.len(), 4);
        assert_eq!(d.focus.rule, "low_keep_rate");
    }

    #[test]
    fn outcomes_and_notes_each_need_their_own_three_people() {
        use Outcome::Missed;
        // Three members rated and checked in on commitments, but one wrote the only notes,
        // named the only blockers and resolved the only commitments.
        let rows = vec![
            noted(1, 4, "mine"),
            comm(2, 4),
            comm(3, 4),
            commit(1, Some("b1")),
            commit(1, Some("b2")),
            commit(2, None),
            commit(3, None),
        ];
        let mut i = input(rows.clone());
        i.this = WeekRows::from_rows(&rows, 4, &[(u(1), Missed), (u(1), Missed), (u(1), Missed)]);
        let d = compute(&i);
        let c = d.commitments.figures().expect("three members checked in");
        assert_eq!(c.outcomes, Section::NotEnough, "one member's outcomes");
        assert!(d.communication.figures().is_some());
        assert!(d.went_well.is_empty() && d.improve.is_empty() && d.blockers.is_empty());
        assert_eq!(d.focus.rule, "least_seen", "no keep rate to act on");
    }

    #[test]
    fn a_server_threshold_above_three_is_honoured_and_one_below_is_not() {
        let rows: Vec<CheckinRow> = (1..=4).map(|n| comm(n, 2)).collect();
        let mut i = input(rows);
        i.min_people = 5;
        assert_eq!(compute(&i).communication, Section::NotEnough);
        assert_eq!(compute(&i).participation, Section::NotEnough);
        i.min_people = 4;
        assert!(compute(&i).communication.figures().is_some());
        i.min_people = 1;
        let mut lone = input(vec![comm(1, 2), comm(2, 2)]);
        lone.min_people = 1;
        assert_eq!(compute(&lone).communication, Section::NotEnough, "never below three");
    }

    #[test]
    fn last_weeks_suppressed_figures_feed_no_rule_and_no_change() {
        use Outcome::Kept;
        // Last week: one member, three blockers, a perfect keep rate, ten check-ins.
        let last_rows: Vec<CheckinRow> = (0..10).map(|_| commit(9, Some("blocked"))).collect();
        let this_rows = vec![commit(1, Some("a")), commit(2, Some("b")), commit(3, Some("c")), comm(1, 4), comm(2, 4), comm(3, 4)];
        let mut i = input(this_rows.clone());
        i.this = WeekRows::from_rows(&this_rows, 3, &[(u(1), Kept), (u(2), Kept), (u(3), Kept)]);
        i.last = WeekRows::from_rows(&last_rows, 3, &[(u(9), Kept), (u(9), Kept), (u(9), Kept)]);
        let d = compute(&i);
        assert_eq!(d.participation.figures().unwrap().change, None, "last week's one member is not shown as a difference");
        assert_eq!(d.commitments.figures().unwrap().outcomes.figures().unwrap().keep_rate_change, None);
        // Two blockers this week would be "persistent" only with last week's hidden ones.
        assert_ne!(d.focus.rule, "persistent_blockers");
    }
}
