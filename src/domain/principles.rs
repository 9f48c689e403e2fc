//! The ten principles: their texts (loaded from `prompts/`), finding one from what a member
//! typed, and the rotation that picks today's principle for a guild.

use chrono::{Datelike, NaiveDate};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::ids::GuildId;
use super::lang::Lang;
use super::refusal::Refusal;
use super::text::{fold, words};
use crate::keys as k;

/// How many principles there are; the catalog must have exactly this many.
pub const COUNT: u8 = 10;

/// Principle numbers used by the coaching rules.
pub mod no {
    /// 1: define common goals.
    pub const COMMON_GOALS: u8 = 1;
    /// 2: mutual benefit.
    pub const MUTUAL_BENEFIT: u8 = 2;
    /// 3: trust and respect.
    pub const TRUST: u8 = 3;
    /// 4: effective communication (practised by communication check-ins).
    pub const COMMUNICATION: u8 = 4;
    /// 5: relationship infrastructure: rules, agreements.
    pub const AGREEMENTS: u8 = 5;
    /// 6: support and share information.
    pub const SHARE_INFORMATION: u8 = 6;
    /// 7: resolve conflict constructively.
    pub const CONFLICT: u8 = 7;
    /// 8: build for the long term.
    pub const LONG_TERM: u8 = 8;
    /// 9: evaluate and improve.
    pub const EVALUATE: u8 = 9;
    /// 10: discipline and accountability (practised by commitment check-ins).
    pub const ACCOUNTABILITY: u8 = 10;
}

/// One principle's texts in one language.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PrincipleText {
    /// Short title, e.g. "Effective communication".
    pub title: String,
    /// A few sentences: what it means and why it matters.
    pub summary: String,
    /// Concrete actions for this week.
    pub tips: Vec<String>,
    /// Two reflection questions.
    pub questions: Vec<String>,
    /// One small action for today, an exercise of its own (not one of the tips).
    pub try_today: String,
    /// A 15-minute exercise a lead runs with the team.
    pub practice: Practice,
    /// A template to fill in and pin, for the principles that call for one (1, 2, 5, 7, 9).
    pub template: Option<Template>,
}

/// A 15-minute team exercise for one principle, run by a lead.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Practice {
    /// What the exercise is for, in one line.
    pub purpose: String,
    /// Three or four timed steps: `(minutes, what to do)`; the minutes sum to about 15.
    pub steps: Vec<(u8, String)>,
    /// Two questions for the group (addressed to the team, never to one person).
    pub questions: Vec<String>,
    /// What to write down at the end, and where.
    pub write_down: String,
}

impl Practice {
    /// The minutes of all steps together.
    pub fn minutes(&self) -> u32 {
        self.steps.iter().map(|(m, _)| u32::from(*m)).sum()
    }
}

/// A template to copy, fill in and pin: a title and its lines, in order.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Template {
    /// E.g. "Working agreement".
    pub title: String,
    /// The lines to fill in.
    pub lines: Vec<String>,
}

/// A principle in both languages.
#[derive(Clone, Debug)]
pub struct Principle {
    /// 1–10, the seed's order.
    pub number: u8,
    /// Stable id, e.g. `communication`.
    pub key: String,
    /// English texts.
    pub en: PrincipleText,
    /// Vietnamese texts.
    pub vi: PrincipleText,
}

impl Principle {
    /// The texts in `lang`.
    pub fn text(&self, lang: Lang) -> &PrincipleText {
        match lang {
            Lang::En => &self.en,
            Lang::Vi => &self.vi,
        }
    }
}

/// The validated catalog: exactly ten principles, numbered 1–10 in order.
#[derive(Clone, Debug)]
pub struct Catalog {
    principles: Vec<Principle>,
}

impl Catalog {
    /// Wraps principles already checked by the loader (ten, in order).
    pub(crate) fn from_checked(principles: Vec<Principle>) -> Self {
        debug_assert_eq!(principles.len(), COUNT as usize);
        Self { principles }
    }

    /// All ten, in order.
    pub fn all(&self) -> &[Principle] {
        &self.principles
    }

    /// Principle `n` (1–10).
    pub fn get(&self, n: u8) -> &Principle {
        &self.principles[usize::from(n.clamp(1, COUNT)) - 1]
    }

    /// Autocomplete: principles whose number or title words (either language, folded) match
    /// `query`, best first; every principle for an empty query. At most 25 (Discord's cap).
    pub fn search(&self, query: &str) -> Vec<&Principle> {
        let q = query.trim();
        if q.is_empty() {
            return self.principles.iter().collect();
        }
        let q_words = words(q);
        let mut hits: Vec<(u8, &Principle)> = self
            .principles
            .iter()
            .filter_map(|p| {
                let num = p.number.to_string();
                if q.chars().all(|c| c.is_ascii_digit()) {
                    return num.starts_with(q).then_some((u8::from(num != q), p));
                }
                let hay = format!("{} {} {}", fold(&p.en.title), fold(&p.vi.title), p.key.replace('-', " "));
                let hay_words: Vec<&str> = hay.split(|c: char| !c.is_alphanumeric()).collect();
                let all_match = q_words.iter().all(|w| hay_words.iter().any(|h| h.starts_with(w.as_str())) || hay.contains(w.as_str()));
                all_match.then(|| {
                    let exact_prefix = fold(&p.en.title).starts_with(&fold(q)) || fold(&p.vi.title).starts_with(&fold(q));
                    (if exact_prefix { 0 } else { 1 }, p)
                })
            })
            .collect();
        hits.sort_by_key(|(rank, p)| (*rank, p.number));
        hits.into_iter().map(|(_, p)| p).take(25).collect()
    }

    /// Resolves `/principle which`: a number 1–10, a key, or words of a title. Anything else
    /// is refused with a message saying how to choose.
    pub fn resolve(&self, which: &str) -> Result<&Principle, Refusal> {
        let w = which.trim();
        let refuse = || Refusal::new(k::ERR_UNKNOWN_PRINCIPLE).arg("input", w);
        if w.chars().all(|c| c.is_ascii_digit()) {
            return match w.parse::<u8>() {
                Ok(n) if (1..=COUNT).contains(&n) => Ok(self.get(n)),
                _ => Err(refuse()),
            };
        }
        if let Some(p) = self.principles.iter().find(|p| p.key == w) {
            return Ok(p);
        }
        self.search(w).first().copied().ok_or_else(refuse)
    }
}

/// Today's principle for a guild on a local date.
///
/// Days are grouped into ten-day cycles; each cycle is a shuffle of 1–10 seeded by the guild
/// and the cycle, so every principle appears once per cycle, the order changes from cycle to
/// cycle, and nothing needs storing. ChaCha8 with a fixed seed gives the same stream on every
/// platform and version of `rand_chacha`, and the shuffle is our own, so a dependency upgrade
/// cannot silently change what a team sees. If a shuffle would start with the principle that
/// ended the previous cycle, its first two swap: never the same principle two days in a row.
pub fn principle_of_day(guild: GuildId, date: NaiveDate) -> u8 {
    principle_of_posting_day(guild, date, false)
}

/// The principle of a posting day: with `weekdays_only`, the cycles run over Monday–Friday
/// only, so every principle is posted once in each ten posting days (indexed by calendar
/// day, the two that fell on a weekend would never be posted). A Saturday or Sunday has the
/// Friday before's principle, what the team last saw.
pub fn principle_of_posting_day(guild: GuildId, date: NaiveDate, weekdays_only: bool) -> u8 {
    let day = posting_day(date, weekdays_only);
    let (cycle, index) = (day.div_euclid(10), day.rem_euclid(10) as usize);
    cycle_order(guild, cycle)[index]
}

/// The number of a posting day: calendar days since the start of the era, or with
/// `weekdays_only` Mondays to Fridays since then (weekends count as the Friday before).
pub fn posting_day(date: NaiveDate, weekdays_only: bool) -> i64 {
    let day = i64::from(date.num_days_from_ce());
    if !weekdays_only {
        return day;
    }
    // 0001-01-01, day 1, was a Monday: from day 1, every seven days hold five weekdays.
    let from_monday = day - 1;
    from_monday.div_euclid(7) * 5 + from_monday.rem_euclid(7).min(4)
}

/// The order of one ten-day cycle for a guild (see [`principle_of_day`]).
pub fn cycle_order(guild: GuildId, cycle: i64) -> [u8; COUNT as usize] {
    let mut order = raw_order(guild, cycle);
    // Only the first two positions ever move, so the last of every cycle is its raw last and
    // this needs to look back exactly one cycle.
    if order[0] == raw_order(guild, cycle - 1)[COUNT as usize - 1] {
        order.swap(0, 1);
    }
    order
}

fn raw_order(guild: GuildId, cycle: i64) -> [u8; COUNT as usize] {
    let mut rng = ChaCha8Rng::seed_from_u64(mix(guild.get(), cycle as u64));
    let mut order: [u8; COUNT as usize] = std::array::from_fn(|i| i as u8 + 1);
    for i in (1..order.len()).rev() {
        let j = uniform_below(&mut rng, i as u32 + 1) as usize;
        order.swap(i, j);
    }
    order
}

/// An unbiased integer in `0..n` by rejection sampling.
fn uniform_below(rng: &mut impl RngCore, n: u32) -> u32 {
    let zone = u32::MAX - u32::MAX % n;
    loop {
        let v = rng.next_u32();
        if v < zone {
            return v % n;
        }
    }
}

/// SplitMix64 finaliser over guild and cycle: nearby guild ids and cycles get unrelated seeds.
fn mix(a: u64, b: u64) -> u64 {
    let mut z = a ^ b.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn cycle_start(cycle: i64) -> NaiveDate {
        NaiveDate::from_num_days_from_ce_opt((cycle * 10) as i32).unwrap()
    }

    #[test]
    fn every_principle_appears_once_in_each_ten_day_cycle() {
        for guild in (0..40u64).map(|g| GuildId(g * 7_919 + 290_926_798_626_357_999)) {
            for cycle in 73_900..73_960 {
                let start = cycle_start(cycle);
                let mut seen: Vec<u8> = (0..10).map(|i| principle_of_day(guild, start + Duration::days(i))).collect();
                seen.sort();
                assert_eq!(seen, (1..=10).collect::<Vec<u8>>(), "guild {guild} cycle {cycle}");
            }
        }
    }

    #[test]
    fn the_same_principle_never_appears_two_days_in_a_row() {
        for guild in (0..60u64).map(GuildId) {
            let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
            let days: Vec<u8> = (0..1200).map(|i| principle_of_day(guild, start + Duration::days(i))).collect();
            for pair in days.windows(2) {
                assert_ne!(pair[0], pair[1], "guild {guild}");
            }
        }
    }

    #[test]
    fn the_order_differs_between_cycles_and_between_guilds() {
        let g = GuildId(42);
        for cycle in 73_900..74_000 {
            assert_ne!(cycle_order(g, cycle), cycle_order(g, cycle + 1), "cycle {cycle}");
        }
        assert_ne!(cycle_order(GuildId(1), 73_900), cycle_order(GuildId(2), 73_900));
    }

    #[test]
    fn the_rotation_is_reproducible_and_pinned() {
        // Pinned values: if this changes, every team's calendar changes. Do not update it
        // casually; it guards against an RNG or algorithm change.
        assert_eq!(PINNED, cycle_order(GuildId(1), 0));
        let g = GuildId(290_926_798_626_357_999);
        let week: Vec<u8> = (23..=29).map(|d| principle_of_day(g, NaiveDate::from_ymd_opt(2026, 11, d).unwrap())).collect();
        assert_eq!(week, PINNED_WEEK, "2026-11-23 to 29, every day");
        let weekdays: Vec<u8> =
            (23..=29).map(|d| principle_of_posting_day(g, NaiveDate::from_ymd_opt(2026, 11, d).unwrap(), true)).collect();
        assert_eq!(weekdays, PINNED_WEEKDAYS, "the same week, Monday to Friday (the weekend repeats Friday)");
    }

    #[test]
    fn with_weekdays_only_every_principle_is_posted_once_in_each_ten_posting_days() {
        let start = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(); // a Monday
        for guild in (0..30u64).map(GuildId) {
            let dates: Vec<NaiveDate> =
                (0..700).map(|i| start + Duration::days(i)).filter(|d| d.weekday().number_from_monday() <= 5).collect();
            let posted: Vec<u8> = dates.iter().map(|d| principle_of_posting_day(guild, *d, true)).collect();
            // Grouped by ten-posting-day cycle, every whole cycle holds all ten.
            let mut cycles: std::collections::BTreeMap<i64, Vec<u8>> = Default::default();
            for (d, p) in dates.iter().zip(&posted) {
                cycles.entry(posting_day(*d, true).div_euclid(10)).or_default().push(*p);
            }
            for c in cycles.values_mut().filter(|c| c.len() == 10) {
                c.sort();
                assert_eq!(*c, (1..=10).collect::<Vec<u8>>(), "guild {guild}");
            }
            assert!(cycles.values().filter(|c| c.len() == 10).count() >= 45);
            for pair in posted.windows(2) {
                assert_ne!(pair[0], pair[1], "guild {guild}");
            }
        }
    }

    #[test]
    fn posting_days_skip_weekends() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let fri = posting_day(d("2026-11-27"), true);
        assert_eq!(posting_day(d("2026-11-28"), true), fri, "Saturday is Friday's");
        assert_eq!(posting_day(d("2026-11-29"), true), fri);
        assert_eq!(posting_day(d("2026-11-30"), true), fri + 1, "Monday follows Friday");
        assert_eq!(posting_day(d("2026-11-30"), false) - posting_day(d("2026-11-27"), false), 3);
    }

    // Filled from the first run; see `the_rotation_is_reproducible_and_pinned`.
    const PINNED: [u8; 10] = [8, 1, 9, 4, 5, 3, 7, 2, 6, 10];
    const PINNED_WEEK: [u8; 7] = [9, 1, 4, 5, 3, 6, 8];
    const PINNED_WEEKDAYS: [u8; 7] = [8, 10, 2, 3, 9, 9, 9];
}
