//! The charter's rules: who adopts a proposal, how long it stays open, when an item is
//! reviewed; and the limit on thanks.

use chrono::NaiveDate;

/// A proposal not adopted within this many days expires.
pub const PROPOSAL_DAYS: i64 = 14;
/// An adopted item is reviewed this many weeks after it was adopted (or last kept).
pub const REVIEW_WEEKS: u64 = 8;
/// Items per page of `/charter show`: five items of 300 characters, even with every
/// character escaped (600) and their dates, stay inside an embed's 6,000 in all.
pub const PAGE_SIZE: usize = 5;
/// Thanks one member may give in a day.
pub const THANKS_PER_DAY: u32 = 5;
/// Active members are those who checked in during this many weeks, the current one included.
pub const ACTIVE_WEEKS: u32 = 4;

/// Whether `agree` votes adopt a proposal by majority: more than half of the team's active
/// members, and at least two (one member alone never makes a team's charter).
pub fn adopted_by_majority(agree: u32, active: u32) -> bool {
    agree >= 2 && agree * 2 > active
}

/// The agree votes a proposal needs by majority, with `active` members.
pub fn votes_needed(active: u32) -> u32 {
    (active / 2 + 1).max(2)
}

/// The review date of an item adopted (or kept) on `day`.
pub fn review_date(day: NaiveDate) -> NaiveDate {
    day.checked_add_days(chrono::Days::new(REVIEW_WEEKS * 7)).unwrap_or(day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_majority_is_more_than_half_of_the_active_members_and_at_least_two() {
        assert!(!adopted_by_majority(1, 1), "one member alone is not a team");
        assert!(adopted_by_majority(2, 3));
        assert!(!adopted_by_majority(2, 4), "half is not more than half");
        assert!(adopted_by_majority(3, 4));
        assert!(adopted_by_majority(2, 0), "with nobody active yet, two members decide");
        for active in 0..40 {
            let n = votes_needed(active);
            assert!(adopted_by_majority(n, active) && (n == 2 || !adopted_by_majority(n - 1, active)), "{active}");
        }
    }

    #[test]
    fn an_item_is_reviewed_eight_weeks_after_adoption() {
        assert_eq!(review_date("2026-11-27".parse().unwrap()), "2027-01-22".parse::<NaiveDate>().unwrap());
    }
}
