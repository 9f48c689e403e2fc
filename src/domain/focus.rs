//! The week a digest names a focus for: the first posting day of the week shows the focus
//! principle itself, while the rotation keeps its promises (every principle once in each
//! block of ten posting days, never the same one on two posting days in a row).
//!
//! How: the focus swaps places, within its block, with the principle the first day would
//! have shown. That day gets the focus; the focus's own later day in the block gets the
//! displaced principle. A block stays a permutation. The swap is made only when it keeps
//! both promises (the focus's slot is later in the same block, and neither swapped principle
//! lands beside itself); otherwise the day shows its own principle and names the focus in one
//! line, as every other day of the week does.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use super::ids::GuildId;
use super::principles::{cycle_order, posting_day, principle_of_posting_day, COUNT};
use super::time::IsoWeek;

/// The posting days (`(first day, the focus's own day)`) the focus of the week starting
/// `monday` swaps, if it can keep the rotation's promises. `before` is what the posting day
/// before `monday` showed.
pub fn focus_swap(guild: GuildId, monday: NaiveDate, focus: u8, weekdays_only: bool, before: u8) -> Option<(i64, i64)> {
    let p = posting_day(monday, weekdays_only);
    let block = p.div_euclid(10);
    let order = cycle_order(guild, block);
    let natural = order[p.rem_euclid(10) as usize];
    if natural == focus || before == focus {
        return None;
    }
    let q = block * 10 + order.iter().position(|&n| n == focus)? as i64;
    // The focus was shown earlier in this block: showing it again would leave another
    // principle out of the block.
    if q <= p {
        return None;
    }
    // Inside the block, a permutation, the displaced principle cannot land beside itself; at
    // the block's end it could meet the next block's first.
    if q.rem_euclid(10) == 9 && cycle_order(guild, block + 1)[0] == natural {
        return None;
    }
    Some((p, q))
}

/// The posting day before `date` (with weekdays only, a Monday's is the Friday).
fn previous_posting_date(date: NaiveDate, weekdays_only: bool) -> NaiveDate {
    match (weekdays_only, date.weekday()) {
        (true, Weekday::Mon) => date - Duration::days(3),
        _ => date - Duration::days(1),
    }
}

/// What a posting day showed: its post's principle, or (no post) the rotation's.
fn shown(guild: GuildId, date: NaiveDate, weekdays_only: bool, posted: &impl Fn(NaiveDate) -> Option<u8>) -> u8 {
    posted(date).unwrap_or_else(|| principle_of_posting_day(guild, date, weekdays_only))
}

/// The swap the week starting `monday` makes, decided on that Monday: none when its Monday
/// is itself the slot the week before's focus moved out of (`depth` bounds how far back that
/// is asked; a chain longer than a block cannot happen).
fn swap_of_week<F, P>(guild: GuildId, monday: NaiveDate, weekdays_only: bool, focus: &F, posted: &P, depth: u8) -> Option<(i64, i64, u8)>
where
    F: Fn(IsoWeek) -> Option<u8>,
    P: Fn(NaiveDate) -> Option<u8>,
{
    let f = focus(IsoWeek::of(monday))?;
    if depth > 0 {
        let prev = monday - Duration::days(7);
        if let Some((_, q, pf)) = swap_of_week(guild, prev, weekdays_only, focus, posted, depth - 1) {
            if q == posting_day(monday, weekdays_only) && posted(prev) == Some(pf) {
                return None;
            }
        }
    }
    // The focus may already have been shown in this block, moved there by an earlier week's
    // swap: showing it again would leave another principle out.
    let block = posting_day(monday, weekdays_only).div_euclid(10);
    let mut day = previous_posting_date(monday, weekdays_only);
    while posting_day(day, weekdays_only).div_euclid(10) == block {
        if shown(guild, day, weekdays_only, posted) == f {
            return None;
        }
        day = previous_posting_date(day, weekdays_only);
    }
    let before = shown(guild, previous_posting_date(monday, weekdays_only), weekdays_only, posted);
    focus_swap(guild, monday, f, weekdays_only, before).map(|(p, q)| (p, q, f))
}

/// The principle a team's daily post shows on `date`: the rotation's, with the swap of a
/// focus week applied. `focus` gives the focus of a week (named by the digest of the week
/// before, if any); `posted` what the post of an earlier date showed, if it went out: the
/// displaced principle moves only if the first day really showed the focus (a digest that
/// came after that day's post leaves the week as it was).
pub fn principle_with_focus(
    guild: GuildId,
    date: NaiveDate,
    weekdays_only: bool,
    focus: impl Fn(IsoWeek) -> Option<u8>,
    posted: impl Fn(NaiveDate) -> Option<u8>,
) -> u8 {
    // With weekdays only, a weekend shows the Friday's principle, as the rotation does.
    let date = match (weekdays_only, date.weekday()) {
        (true, Weekday::Sat) => date - Duration::days(1),
        (true, Weekday::Sun) => date - Duration::days(2),
        _ => date,
    };
    let x = posting_day(date, weekdays_only);
    let monday = IsoWeek::of(date).monday();
    // Today is the slot a focus moved out of (this week's, or last week's in the same block):
    // the principle its first day would have shown.
    for m in [monday, monday - Duration::days(7)] {
        if m >= date {
            continue;
        }
        if let Some((_, q, f)) = swap_of_week(guild, m, weekdays_only, &focus, &posted, 3) {
            if q == x && posted(m) == Some(f) {
                return principle_of_posting_day(guild, m, weekdays_only);
            }
        }
    }
    // Today is a focus week's first day: the focus, when the swap keeps the promises.
    if date == monday {
        if let Some((_, _, f)) = swap_of_week(guild, monday, weekdays_only, &focus, &posted, 3) {
            return f;
        }
    }
    principle_of_posting_day(guild, date, weekdays_only)
}

// The blocks of ten posting days are the ten principles.
const _: () = assert!(COUNT == 10);

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use proptest::prelude::*;

    use super::*;

    /// Every posting day from `start` for `days` calendar days, with a focus per week from
    /// `foci` (index by week number), as the scheduler would post them.
    fn simulate(guild: GuildId, start: NaiveDate, days: i64, weekdays_only: bool, foci: &[Option<u8>]) -> Vec<(NaiveDate, u8)> {
        let first_week = IsoWeek::of(start);
        let focus_of = |w: IsoWeek| {
            let mut n = 0usize;
            let mut k = first_week;
            while k < w {
                k = k.next();
                n += 1;
            }
            foci.get(n % foci.len().max(1)).copied().flatten()
        };
        let mut shown: BTreeMap<NaiveDate, u8> = BTreeMap::new();
        let mut out = Vec::new();
        for d in 0..days {
            let date = start + Duration::days(d);
            if weekdays_only && matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
                continue;
            }
            let p = principle_with_focus(guild, date, weekdays_only, focus_of, |d| shown.get(&d).copied());
            shown.insert(date, p);
            out.push((date, p));
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]
        #[test]
        fn the_rotation_keeps_its_promises_with_a_focus_every_week(
            guild in 1u64..u64::MAX,
            start in 0i64..2000,
            weekdays_only in any::<bool>(),
            foci in proptest::collection::vec(proptest::option::of(1u8..=10), 1..12),
        ) {
            let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + Duration::days(start);
            let guild = GuildId(guild);
            let posts = simulate(guild, start, 400, weekdays_only, &foci);
            // Never the same principle on two posting days in a row.
            for pair in posts.windows(2) {
                prop_assert_ne!(pair[0].1, pair[1].1, "{:?} then {:?}", pair[0], pair[1]);
            }
            // Every principle once in each whole block of ten posting days.
            let mut blocks: BTreeMap<i64, Vec<u8>> = BTreeMap::new();
            for (date, p) in &posts {
                blocks.entry(posting_day(*date, weekdays_only).div_euclid(10)).or_default().push(*p);
            }
            for (block, shown) in blocks.iter().filter(|(_, v)| v.len() == 10) {
                let set: BTreeSet<u8> = shown.iter().copied().collect();
                prop_assert_eq!(set.len(), 10, "block {}: {:?}", block, shown);
            }
        }
    }

    #[test]
    fn a_focus_week_usually_opens_with_the_focus_and_the_others_only_name_it() {
        // Over many weeks and guilds, the first post of a focus week is the focus far more
        // often than the one time in ten the plain rotation would give it.
        let mut opened = 0;
        let mut weeks = 0;
        for g in 1..40u64 {
            for wo in [false, true] {
                let foci: Vec<Option<u8>> = (0..8).map(|i| Some(((g + i) % 10 + 1) as u8)).collect();
                let start = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(); // a Monday
                for (date, p) in simulate(GuildId(g * 7919), start, 56, wo, &foci) {
                    if date.weekday() == Weekday::Mon {
                        weeks += 1;
                        let week = (date - start).num_days() / 7;
                        opened += u32::from(Some(p) == foci[week as usize % foci.len()]);
                    }
                }
            }
        }
        eprintln!("{opened} of {weeks} focus weeks opened with their focus");
        assert!(opened * 2 > weeks, "{opened} of {weeks} focus weeks opened with their focus");
    }

    #[test]
    fn without_a_focus_the_rotation_is_unchanged() {
        let start = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        for wo in [false, true] {
            for (date, p) in simulate(GuildId(42), start, 60, wo, &[None]) {
                assert_eq!(p, principle_of_posting_day(GuildId(42), date, wo));
            }
        }
    }

    #[test]
    fn the_displaced_principle_moves_only_if_the_first_day_really_showed_the_focus() {
        let g = GuildId(77);
        let monday = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let before = principle_of_posting_day(g, monday - Duration::days(1), false);
        let focus = (1..=10).find(|f| focus_swap(g, monday, *f, false, before).is_some()).expect("a focus that can swap");
        let (p, q) = focus_swap(g, monday, focus, false, before).unwrap();
        let slot = monday + Duration::days(q - p);
        let natural_first = principle_of_posting_day(g, monday, false);
        let f = |_: IsoWeek| Some(focus);
        // The first day showed the focus: its own slot shows the displaced principle.
        let showed = |shown: u8| move |d: NaiveDate| (d == monday).then_some(shown);
        assert_eq!(principle_with_focus(g, slot, false, f, showed(focus)), natural_first);
        // It did not (the digest came after that day's post): the slot keeps the focus.
        assert_eq!(principle_with_focus(g, slot, false, f, showed(natural_first)), focus);
    }
}
