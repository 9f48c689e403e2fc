//! Twelve weeks at a glance: a team's participation, keep rate and mean rating per week, each
//! under the same privacy rule as the digest (a week with too few different members behind a
//! figure has no figure: a gap, never a zero), and a member's own weeks for `/me history`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::digest::MIN_PEOPLE;
use super::ids::UserId;
use super::time::IsoWeek;

/// How many weeks the trend covers.
pub const WEEKS: usize = 12;

/// One week of a team's counts, as storage reads them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WeekCounts {
    /// Different members who checked in on commitments.
    pub commitment_people: u32,
    /// Different members who rated.
    pub raters: u32,
    /// Sum and number of ratings.
    pub rating_sum: u32,
    /// See above.
    pub ratings: u32,
    /// Commitments resolved as kept, partly, not kept.
    pub kept: u32,
    /// See above.
    pub partly: u32,
    /// See above.
    pub missed: u32,
    /// Different members who resolved one.
    pub resolvers: u32,
}

/// One week of the trend: `None` is a suppressed (or empty) week.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrendWeek {
    /// `2026-W48`.
    pub week: String,
    /// Share of active members (not away) who checked in, 0–1.
    pub participation: Option<f64>,
    /// (kept + ½·partly) / resolved, 0–1.
    pub keep_rate: Option<f64>,
    /// Mean communication rating, 1–5.
    pub rating: Option<f64>,
}

/// The weeks ending with `last`, oldest first.
pub fn weeks_ending(last: IsoWeek) -> Vec<IsoWeek> {
    let mut weeks = vec![last];
    while weeks.len() < WEEKS {
        let prev = weeks.last().expect("one week").prev();
        weeks.push(prev);
    }
    weeks.reverse();
    weeks
}

/// The team's trend over `weeks`. `members` lists who checked in which week (from four weeks
/// before the first, so every week has its active members: anyone who checked in during the
/// four weeks ending with it, as in the digest); `away` who was away which week.
pub fn team_trend(
    weeks: &[IsoWeek],
    members: &[(IsoWeek, UserId)],
    away: &BTreeMap<IsoWeek, BTreeSet<UserId>>,
    counts: &BTreeMap<IsoWeek, WeekCounts>,
    min_people: u32,
) -> Vec<TrendWeek> {
    let min = min_people.max(MIN_PEOPLE);
    let nobody = BTreeSet::new();
    weeks
        .iter()
        .map(|&week| {
            let away = away.get(&week).unwrap_or(&nobody);
            let first = week.prev().prev().prev();
            let present: BTreeSet<UserId> = members.iter().filter(|(w, u)| *w == week && !away.contains(u)).map(|(_, u)| *u).collect();
            let active: BTreeSet<UserId> =
                members.iter().filter(|(w, u)| (first..=week).contains(w) && !away.contains(u)).map(|(_, u)| *u).collect();
            let participation =
                (present.len() as u32 >= min && !active.is_empty()).then(|| present.len() as f64 / active.len().max(present.len()) as f64);
            let c = counts.get(&week).cloned().unwrap_or_default();
            let resolved = c.kept + c.partly + c.missed;
            // As in the digest: outcomes show only inside a commitments section with enough people.
            let keep_rate = (c.commitment_people >= min && c.resolvers >= min && resolved > 0)
                .then(|| (f64::from(c.kept) + 0.5 * f64::from(c.partly)) / f64::from(resolved));
            let rating = (c.raters >= min && c.ratings > 0).then(|| f64::from(c.rating_sum) / f64::from(c.ratings));
            TrendWeek { week: week.to_string(), participation, keep_rate, rating }
        })
        .collect()
}

/// The four-week review the first scheduled digest of each month adds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Review {
    /// The last four weeks, oldest first.
    pub weeks: Vec<TrendWeek>,
    /// The strongest and the weakest signal of the latest week that showed them: which, and
    /// its value (participation and keep score 0–1, the mean 1–5).
    pub strongest: Option<(ReviewSignal, f64)>,
    /// See above.
    pub weakest: Option<(ReviewSignal, f64)>,
    /// The foci of the four weeks' digests, oldest first.
    pub practised: Vec<u8>,
}

/// A signal the review compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewSignal {
    /// Participation.
    Participation,
    /// The keep score.
    KeepRate,
    /// The mean rating.
    Rating,
}

/// Whether a scheduled digest posted on `date` (the team's local date) is the month's first:
/// digests are weekly, so the first of a month falls on its first seven days.
pub fn is_first_of_month(date: chrono::NaiveDate) -> bool {
    chrono::Datelike::day(&date) <= 7
}

/// The review of the four weeks ending the trend: the strongest and the weakest signal are
/// compared on one scale (share of the best possible: a mean of 4 is 0.75 of the way from 1
/// to 5), each from the newest week that showed it.
pub fn review(trend: &[TrendWeek], practised: Vec<u8>) -> Review {
    let weeks: Vec<TrendWeek> = trend.iter().rev().take(4).rev().cloned().collect();
    let newest = |f: fn(&TrendWeek) -> Option<f64>| weeks.iter().rev().find_map(f);
    let mut signals: Vec<(ReviewSignal, f64, f64)> = Vec::new();
    if let Some(v) = newest(|w| w.participation) {
        signals.push((ReviewSignal::Participation, v, v));
    }
    if let Some(v) = newest(|w| w.keep_rate) {
        signals.push((ReviewSignal::KeepRate, v, v));
    }
    if let Some(v) = newest(|w| w.rating) {
        signals.push((ReviewSignal::Rating, v, (v - 1.0) / 4.0));
    }
    let by_scale = |a: &&(ReviewSignal, f64, f64), b: &&(ReviewSignal, f64, f64)| a.2.total_cmp(&b.2);
    let strongest = signals.iter().max_by(by_scale).map(|s| (s.0, s.1));
    // With one signal only, it is not also the weakest.
    let weakest = signals.iter().min_by(by_scale).filter(|_| signals.len() > 1).map(|s| (s.0, s.1));
    Review { weeks, strongest, weakest, practised }
}

/// One week of a member's own history.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MemberWeek {
    /// `2026-W48`.
    pub week: String,
    /// They checked in that week.
    pub checked_in: bool,
    /// Commitments made.
    pub made: u32,
    /// Commitments resolved as kept, partly, not kept.
    pub kept: u32,
    /// See above.
    pub partly: u32,
    /// See above.
    pub missed: u32,
    /// Their mean rating that week.
    pub rating: Option<f64>,
}

impl MemberWeek {
    /// Their keep rate that week, if they resolved any.
    pub fn keep_rate(&self) -> Option<f64> {
        let n = self.kept + self.partly + self.missed;
        (n > 0).then(|| (f64::from(self.kept) + 0.5 * f64::from(self.partly)) / f64::from(n))
    }
}

/// The eight levels of a text sparkline.
const SPARKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A sparkline of values between `lo` and `hi`; a missing value is a `·`.
pub fn sparkline(values: impl Iterator<Item = Option<f64>>, lo: f64, hi: f64) -> String {
    values
        .map(|v| match v {
            Some(v) => {
                let t = ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
                SPARKS[((t * 7.0).round() as usize).min(7)]
            }
            None => '·',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> IsoWeek {
        IsoWeek::parse(s).unwrap()
    }

    #[test]
    fn twelve_weeks_end_with_the_digests_and_cross_the_year() {
        let weeks = weeks_ending(w("2027-W02"));
        assert_eq!(weeks.len(), 12);
        assert_eq!(weeks.last(), Some(&w("2027-W02")));
        assert_eq!(weeks.first(), Some(&w("2026-W44")), "2026 has 53 ISO weeks");
    }

    #[test]
    fn a_week_under_the_threshold_is_a_gap_and_the_others_are_figures() {
        let weeks = weeks_ending(w("2026-W48"));
        let u = UserId;
        let mut members = Vec::new();
        // Four members every week; in W45 only two checked in.
        for &week in &weeks {
            let n = if week == w("2026-W45") { 2 } else { 4 };
            members.extend((1..=n).map(|i| (week, u(i))));
        }
        let full = WeekCounts { commitment_people: 4, raters: 3, rating_sum: 12, ratings: 3, kept: 3, partly: 1, missed: 0, resolvers: 3 };
        let mut counts: BTreeMap<IsoWeek, WeekCounts> = weeks.iter().map(|&wk| (wk, full.clone())).collect();
        // W46: two raters only; W47: three resolved, by two people.
        counts.insert(w("2026-W46"), WeekCounts { raters: 2, ..full.clone() });
        counts.insert(w("2026-W47"), WeekCounts { resolvers: 2, ..full.clone() });
        let mut away = BTreeMap::new();
        away.insert(w("2026-W48"), [u(4)].into_iter().collect());
        let t = team_trend(&weeks, &members, &away, &counts, 3);
        let at = |s: &str| t.iter().find(|x| x.week == s).unwrap();
        assert_eq!(at("2026-W44").participation, Some(1.0));
        assert_eq!(at("2026-W45").participation, None, "two members: suppressed, not 50%");
        assert_eq!(at("2026-W46").rating, None);
        assert_eq!(at("2026-W46").keep_rate, Some(0.875));
        assert_eq!(at("2026-W47").keep_rate, None);
        assert_eq!(at("2026-W47").rating, Some(4.0));
        // The member away is left out of both sides.
        assert_eq!(at("2026-W48").participation, Some(1.0));
        // A higher server minimum hides more.
        assert!(team_trend(&weeks, &members, &away, &counts, 5).iter().all(|x| x.participation.is_none() && x.rating.is_none()));
    }

    #[test]
    fn the_review_comes_with_the_first_digest_of_each_month_across_a_year_end() {
        let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
        assert!(is_first_of_month(d("2027-01-01")) && is_first_of_month(d("2027-01-07")));
        assert!(!is_first_of_month(d("2026-12-31")) && !is_first_of_month(d("2027-01-08")));
        // A weekly digest on any weekday hits exactly one of a month's first seven days.
        for start in 0..7 {
            let mut day = d("2026-11-08") + chrono::Duration::days(start);
            let mut months = BTreeMap::new();
            while day < d("2027-03-01") {
                if is_first_of_month(day) {
                    *months.entry((chrono::Datelike::year(&day), chrono::Datelike::month(&day))).or_insert(0) += 1;
                }
                day += chrono::Duration::days(7);
            }
            assert_eq!(months.len(), 3, "December, January and February, none missed: {months:?}");
            assert!(months.values().all(|n| *n == 1), "{months:?}");
        }
    }

    #[test]
    fn the_review_names_the_strongest_and_the_weakest_signal_on_one_scale() {
        let w = |p: Option<f64>, k: Option<f64>, r: Option<f64>| TrendWeek { week: "x".into(), participation: p, keep_rate: k, rating: r };
        let trend = vec![w(Some(0.1), None, None), w(Some(0.9), Some(0.5), Some(4.6)), w(Some(0.8), None, Some(2.0))];
        let r = review(&trend, vec![4, 10]);
        assert_eq!(r.weeks.len(), 3);
        // Newest values: participation 0.8, keep score 0.5 (week 2), rating 2.0 (0.25 of the scale).
        assert_eq!(r.strongest, Some((ReviewSignal::Participation, 0.8)));
        assert_eq!(r.weakest, Some((ReviewSignal::Rating, 2.0)));
        assert_eq!(review(&[w(Some(0.5), None, None)], vec![]).weakest, None, "one signal is not both");
        assert_eq!(review(&[], vec![]).strongest, None);
    }

    #[test]
    fn sparklines_scale_and_show_gaps() {
        assert_eq!(sparkline([Some(0.0), Some(0.5), None, Some(1.0)].into_iter(), 0.0, 1.0), "▁▅·█");
        assert_eq!(sparkline([Some(1.0), Some(5.0), Some(9.0)].into_iter(), 1.0, 5.0), "▁██");
    }
}
