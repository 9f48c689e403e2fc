//! Check-in rules: what a member can say, the limits, and the weekly streak.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::time::IsoWeek;

/// Longest commitment text, in characters (DESIGN.md).
pub const COMMITMENT_LIMIT: usize = 300;
/// Longest note (blocker, went well, to improve), in characters.
pub const NOTE_LIMIT: usize = 500;

/// The two kinds of check-in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckinKind {
    /// What I promised and whether I kept it (principle 10).
    Commitments,
    /// How well we talked and what to improve (principle 4).
    Communication,
}

impl CheckinKind {
    /// Database and JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckinKind::Commitments => "commitments",
            CheckinKind::Communication => "communication",
        }
    }

    /// Inverse of [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "commitments" => Some(CheckinKind::Commitments),
            "communication" => Some(CheckinKind::Communication),
            _ => None,
        }
    }
}

/// How an open commitment ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Done as promised.
    Kept,
    /// Partly done.
    Partly,
    /// Not done.
    Missed,
}

impl Outcome {
    /// Parses the `/checkin commitments kept` choice: `yes`, `partly`, `no`.
    pub fn from_choice(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "yes" | "kept" => Some(Outcome::Kept),
            "partly" => Some(Outcome::Partly),
            "no" | "missed" => Some(Outcome::Missed),
            _ => None,
        }
    }

    /// The choice value that produced it, used in modal custom ids.
    pub fn choice(self) -> &'static str {
        match self {
            Outcome::Kept => "yes",
            Outcome::Partly => "partly",
            Outcome::Missed => "no",
        }
    }

    /// Database status name.
    pub fn status(self) -> &'static str {
        match self {
            Outcome::Kept => "kept",
            Outcome::Partly => "partly",
            Outcome::Missed => "missed",
        }
    }

    /// Inverse of [`Self::status`].
    pub fn from_status(s: &str) -> Option<Self> {
        match s {
            "kept" => Some(Outcome::Kept),
            "partly" => Some(Outcome::Partly),
            "missed" => Some(Outcome::Missed),
            _ => None,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.status())
    }
}

/// A communication rating, 1–5.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rating(u8);

impl Rating {
    /// Checks the range on the server, whatever the client declared.
    pub fn parse(v: i64) -> Option<Self> {
        (1..=5).contains(&v).then_some(Self(v as u8))
    }

    /// The value.
    pub fn get(self) -> u8 {
        self.0
    }
}

/// The weekly streak: consecutive ISO weeks with at least one check-in, counted back from
/// `current`. The current week counts once the member has checked in; until then the streak
/// stands on the weeks before (it is not broken until the week is over). Weeks the member was
/// away and did not check in neither add to nor break it.
pub fn streak(checked: &BTreeSet<IsoWeek>, away: &BTreeSet<IsoWeek>, current: IsoWeek) -> u32 {
    let mut week = current;
    let mut count = 0;
    if !checked.contains(&week) {
        week = week.prev();
    }
    // A streak cannot be older than the oldest check-in; stop there.
    let Some(oldest) = checked.first().copied() else { return 0 };
    while week >= oldest {
        if checked.contains(&week) {
            count += 1;
        } else if !away.contains(&week) {
            break;
        }
        week = week.prev();
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> IsoWeek {
        IsoWeek::parse(s).unwrap()
    }
    fn set(ws: &[&str]) -> BTreeSet<IsoWeek> {
        ws.iter().map(|s| w(s)).collect()
    }

    #[test]
    fn streak_counts_consecutive_weeks_across_a_year_with_53_weeks() {
        let checked = set(&["2026-W51", "2026-W52", "2026-W53", "2027-W01", "2027-W02"]);
        assert_eq!(streak(&checked, &set(&[]), w("2027-W02")), 5);
    }

    #[test]
    fn streak_across_an_ordinary_year_end() {
        let checked = set(&["2025-W51", "2025-W52", "2026-W01"]);
        assert_eq!(streak(&checked, &set(&[]), w("2026-W01")), 3);
    }

    #[test]
    fn a_missed_week_breaks_the_streak() {
        let checked = set(&["2026-W40", "2026-W42", "2026-W43"]);
        assert_eq!(streak(&checked, &set(&[]), w("2026-W43")), 2);
    }

    #[test]
    fn the_current_week_does_not_break_the_streak_before_it_is_over() {
        let checked = set(&["2026-W41", "2026-W42"]);
        assert_eq!(streak(&checked, &set(&[]), w("2026-W43")), 2);
        assert_eq!(streak(&checked, &set(&[]), w("2026-W44")), 0);
    }

    #[test]
    fn weeks_away_do_not_break_the_streak() {
        let checked = set(&["2026-W40", "2026-W41", "2026-W44"]);
        assert_eq!(streak(&checked, &set(&["2026-W42", "2026-W43"]), w("2026-W44")), 3);
    }

    #[test]
    fn no_check_ins_is_a_streak_of_zero() {
        assert_eq!(streak(&set(&[]), &set(&["2026-W40"]), w("2026-W44")), 0);
    }

    #[test]
    fn ratings_outside_one_to_five_are_refused() {
        assert!(Rating::parse(0).is_none());
        assert!(Rating::parse(6).is_none());
        assert_eq!(Rating::parse(5).unwrap().get(), 5);
    }

    #[test]
    fn kept_choices_map_to_outcomes() {
        assert_eq!(Outcome::from_choice("yes"), Some(Outcome::Kept));
        assert_eq!(Outcome::from_choice("partly"), Some(Outcome::Partly));
        assert_eq!(Outcome::from_choice("no"), Some(Outcome::Missed));
        assert_eq!(Outcome::from_choice("maybe"), None);
    }
}
