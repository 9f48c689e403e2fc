//! Time as members type it: a local time of day, a time zone, a weekday, an ISO week, a due
//! date. Each is parsed once at the edge; holding one means it is valid.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use chrono_tz::Tz;

use super::refusal::Refusal;
use super::text::fold;
use crate::keys as k;

/// A time of day in a guild's or member's own zone, to the minute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalTime {
    hour: u32,
    minute: u32,
}

impl LocalTime {
    /// Builds a time; `None` outside 00:00–23:59.
    pub fn new(hour: u32, minute: u32) -> Option<Self> {
        (hour < 24 && minute < 60).then_some(Self { hour, minute })
    }

    /// Parses `HH:MM` (24-hour, `9:05` too) or a 12-hour time such as `9am`, `9:30 pm`.
    pub fn parse(raw: &str) -> Result<Self, Refusal> {
        let refuse = || Refusal::new(k::ERR_BAD_TIME).arg("input", raw.trim());
        let s = raw.trim().to_ascii_lowercase().replace(' ', "");
        let (body, pm) = if let Some(b) = s.strip_suffix("am") {
            (b, Some(false))
        } else if let Some(b) = s.strip_suffix("pm") {
            (b, Some(true))
        } else {
            (s.as_str(), None)
        };
        let (h, m) = match body.split_once([':', 'h', '.']) {
            Some((h, m)) => (h, if m.is_empty() { "0" } else { m }),
            None if pm.is_some() => (body, "0"),
            None => return Err(refuse()),
        };
        let digits = |x: &str, max_len: usize| {
            (!x.is_empty() && x.len() <= max_len && x.bytes().all(|b| b.is_ascii_digit())).then(|| x.parse::<u32>().ok()).flatten()
        };
        let (Some(mut hour), Some(minute)) = (digits(h, 2), digits(m, 2)) else {
            return Err(refuse());
        };
        if let Some(pm) = pm {
            if !(1..=12).contains(&hour) {
                return Err(refuse());
            }
            hour = match (hour, pm) {
                (12, false) => 0,
                (12, true) => 12,
                (h, true) => h + 12,
                (h, false) => h,
            };
        }
        Self::new(hour, minute).ok_or_else(refuse)
    }

    /// The hour, 0–23.
    pub fn hour(self) -> u32 {
        self.hour
    }

    /// The minute, 0–59.
    pub fn minute(self) -> u32 {
        self.minute
    }

    /// As a chrono time.
    pub fn naive(self) -> chrono::NaiveTime {
        chrono::NaiveTime::from_hms_opt(self.hour, self.minute, 0).expect("validated at parse")
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

impl FromStr for LocalTime {
    type Err = Refusal;
    fn from_str(s: &str) -> Result<Self, Refusal> {
        Self::parse(s)
    }
}

/// An IANA time zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Zone(pub Tz);

impl Zone {
    /// UTC, the zone of a guild that has not set one.
    pub const UTC: Zone = Zone(Tz::UTC);

    /// Parses an IANA name, ignoring case (`asia/ho_chi_minh` is fine). Unknown names are
    /// refused with up to three close names as suggestions.
    pub fn parse(raw: &str) -> Result<Self, Refusal> {
        let s = raw.trim();
        if let Ok(tz) = Tz::from_str_insensitive(s) {
            return Ok(Zone(tz));
        }
        let suggestions = search_zones(s, 3).join(", ");
        Err(Refusal::new(k::ERR_BAD_ZONE).arg("input", s).arg(
            "suggestions",
            if suggestions.is_empty() { "Asia/Ho_Chi_Minh, Europe/Berlin, America/New_York".into() } else { suggestions },
        ))
    }

    /// The IANA name.
    pub fn name(self) -> &'static str {
        self.0.name()
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// IANA names matching every word of `query` (folded; `_` and `/` count as spaces), best
/// first: names whose city starts with the query, then shorter names. At most `limit`.
pub fn search_zones(query: &str, limit: usize) -> Vec<&'static str> {
    let q: Vec<String> = super::text::words(query);
    let mut hits: Vec<(u8, usize, &'static str)> = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|tz| tz.name())
        // Legacy aliases ("US/Eastern", "Etc/GMT+7") confuse more than they help.
        .filter(|n| n.contains('/') && !n.starts_with("Etc/") && !n.starts_with("US/") && !n.starts_with("SystemV"))
        .filter_map(|name| {
            let hay = fold(&name.replace(['_', '/', '-'], " "));
            if !q.iter().all(|w| hay.contains(w.as_str())) {
                return None;
            }
            let city = hay.rsplit(' ').next().unwrap_or("");
            let city_full = fold(&name.rsplit('/').next().unwrap_or("").replace('_', " "));
            let rank = match q.first() {
                Some(w) if city_full.starts_with(w.as_str()) => 0,
                Some(w) if city.starts_with(w.as_str()) => 1,
                Some(_) => 2,
                None => 3,
            };
            Some((rank, name.len(), name))
        })
        .collect();
    hits.sort();
    hits.into_iter().take(limit).map(|(_, _, n)| n).collect()
}

/// A day of the week as members type it, in English or Vietnamese.
pub fn parse_weekday(raw: &str) -> Option<Weekday> {
    let s = fold(raw.trim());
    let s = s.trim_end_matches('.');
    Some(match s {
        "mon" | "monday" | "thu hai" | "thu 2" | "t2" => Weekday::Mon,
        "tue" | "tues" | "tuesday" | "thu ba" | "thu 3" | "t3" => Weekday::Tue,
        "wed" | "wednesday" | "thu tu" | "thu 4" | "t4" => Weekday::Wed,
        "thu" | "thur" | "thurs" | "thursday" | "thu nam" | "thu 5" | "t5" => Weekday::Thu,
        "fri" | "friday" | "thu sau" | "thu 6" | "t6" => Weekday::Fri,
        "sat" | "saturday" | "thu bay" | "thu 7" | "t7" => Weekday::Sat,
        "sun" | "sunday" | "chu nhat" | "cn" => Weekday::Sun,
        _ => return None,
    })
}

/// The three-letter code used in `/setup digest day` and stored in the database.
pub fn weekday_code(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "mon",
        Weekday::Tue => "tue",
        Weekday::Wed => "wed",
        Weekday::Thu => "thu",
        Weekday::Fri => "fri",
        Weekday::Sat => "sat",
        Weekday::Sun => "sun",
    }
}

/// An ISO 8601 week (Monday to Sunday), written `2026-W48`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IsoWeek {
    year: i32,
    week: u32,
}

impl IsoWeek {
    /// The week a date falls in.
    pub fn of(date: NaiveDate) -> Self {
        let w = date.iso_week();
        Self { year: w.year(), week: w.week() }
    }

    /// Parses `YYYY-Www` (also `YYYY-wWW`, `YYYYWww`); the week must exist in that year.
    pub fn parse(raw: &str) -> Option<Self> {
        let s = raw.trim().to_ascii_uppercase();
        let (y, w) = s.split_once('W')?;
        let y = y.strip_suffix('-').unwrap_or(y);
        if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if w.is_empty() || w.len() > 2 || !w.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let (year, week) = (y.parse().ok()?, w.parse().ok()?);
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)?;
        Some(Self { year, week })
    }

    /// The ISO year (which differs from the calendar year around New Year).
    pub fn year(self) -> i32 {
        self.year
    }

    /// The week number, 1–53.
    pub fn week(self) -> u32 {
        self.week
    }

    /// The week's Monday.
    pub fn monday(self) -> NaiveDate {
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon).expect("valid week")
    }

    /// The week's Sunday.
    pub fn sunday(self) -> NaiveDate {
        self.monday() + Duration::days(6)
    }

    /// The seven dates, Monday first.
    pub fn days(self) -> impl Iterator<Item = NaiveDate> {
        let m = self.monday();
        (0..7).map(move |i| m + Duration::days(i))
    }

    /// The week before.
    pub fn prev(self) -> Self {
        Self::of(self.monday() - Duration::days(7))
    }

    /// The week after.
    pub fn next(self) -> Self {
        Self::of(self.monday() + Duration::days(7))
    }

    /// Whether `date` is inside this week.
    pub fn contains(self, date: NaiveDate) -> bool {
        Self::of(date) == self
    }
}

impl fmt::Display for IsoWeek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-W{:02}", self.year, self.week)
    }
}

/// Parses a due date for a commitment, relative to `today` in the member's zone:
/// `YYYY-MM-DD`, `today`, `tomorrow` (`hôm nay`, `ngày mai`), or a weekday in English or
/// Vietnamese meaning its next occurrence (today counts if it is that day). A date in the
/// past is refused; so is one more than a year ahead, which is almost always a typo.
pub fn parse_due(raw: &str, today: NaiveDate) -> Result<NaiveDate, Refusal> {
    let s = raw.trim();
    let folded = fold(s);
    let date = if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        d
    } else if matches!(folded.as_str(), "today" | "hom nay") {
        today
    } else if matches!(folded.as_str(), "tomorrow" | "ngay mai" | "mai") {
        today + Duration::days(1)
    } else if let Some(wd) = parse_weekday(s) {
        let ahead = (7 + wd.num_days_from_monday() as i64 - today.weekday().num_days_from_monday() as i64) % 7;
        today + Duration::days(ahead)
    } else {
        return Err(Refusal::new(k::ERR_BAD_DUE).arg("input", s));
    };
    if date < today {
        return Err(Refusal::new(k::ERR_DUE_PAST).arg("input", s).arg("today", today));
    }
    if date > today + Duration::days(366) {
        return Err(Refusal::new(k::ERR_DUE_FAR).arg("input", s));
    }
    Ok(date)
}

/// Parses `/away until`: a date, a number of days (counting today as day 1), or `off`.
/// `Ok(None)` means "end it". The result is the last day away, inclusive.
pub fn parse_away_until(raw: &str, today: NaiveDate) -> Result<Option<NaiveDate>, Refusal> {
    let s = raw.trim();
    let folded = fold(s);
    if matches!(folded.as_str(), "off" | "none" | "stop" | "end" | "tat" | "ket thuc" | "0") {
        return Ok(None);
    }
    let days = folded.trim_end_matches(" days").trim_end_matches(" day").trim_end_matches(" ngay").trim_end_matches('d');
    if !days.is_empty() && days.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = days.parse().map_err(|_| Refusal::new(k::ERR_BAD_AWAY).arg("input", s))?;
        if !(1..=366).contains(&n) {
            return Err(Refusal::new(k::ERR_BAD_AWAY).arg("input", s));
        }
        return Ok(Some(today + Duration::days(n - 1)));
    }
    match parse_due(s, today) {
        Ok(d) => Ok(Some(d)),
        Err(e) if e.key == k::ERR_BAD_DUE => Err(Refusal::new(k::ERR_BAD_AWAY).arg("input", s)),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn local_time_accepts_24_hour_and_12_hour_forms() {
        assert_eq!(LocalTime::parse("09:00").unwrap().to_string(), "09:00");
        assert_eq!(LocalTime::parse("9:05").unwrap().to_string(), "09:05");
        assert_eq!(LocalTime::parse("9am").unwrap().to_string(), "09:00");
        assert_eq!(LocalTime::parse("9:30 PM").unwrap().to_string(), "21:30");
        assert_eq!(LocalTime::parse("12am").unwrap().to_string(), "00:00");
        assert_eq!(LocalTime::parse("12pm").unwrap().to_string(), "12:00");
        assert_eq!(LocalTime::parse("18h30").unwrap().to_string(), "18:30");
    }

    #[test]
    fn local_time_refuses_impossible_times_with_the_input() {
        for bad in ["25:99", "24:00", "13pm", "9", "", "ab:cd", "1:234", "-1:00", "9:60"] {
            let e = LocalTime::parse(bad).unwrap_err();
            assert_eq!(e.key, k::ERR_BAD_TIME, "{bad}");
        }
    }

    #[test]
    fn zone_parse_ignores_case_and_suggests_on_typos() {
        assert_eq!(Zone::parse("asia/ho_chi_minh").unwrap().name(), "Asia/Ho_Chi_Minh");
        let e = Zone::parse("Mars/Olympus").unwrap_err();
        assert_eq!(e.key, k::ERR_BAD_ZONE);
        let e = Zone::parse("Berlin").unwrap_err();
        assert!(e.args.iter().any(|(n, v)| *n == "suggestions" && v.contains("Europe/Berlin")));
    }

    #[test]
    fn zone_search_finds_cities_by_words() {
        assert_eq!(search_zones("ho chi", 25)[0], "Asia/Ho_Chi_Minh");
        assert_eq!(search_zones("berlin", 25)[0], "Europe/Berlin");
        assert_eq!(search_zones("new york", 25)[0], "America/New_York");
        assert!(search_zones("", 25).len() == 25);
        assert!(search_zones("zzzz", 25).is_empty());
    }

    #[test]
    fn weekdays_parse_in_english_and_vietnamese() {
        assert_eq!(parse_weekday("Friday"), Some(Weekday::Fri));
        assert_eq!(parse_weekday("thứ sáu"), Some(Weekday::Fri));
        assert_eq!(parse_weekday("Thu sau"), Some(Weekday::Fri));
        assert_eq!(parse_weekday("chủ nhật"), Some(Weekday::Sun));
        assert_eq!(parse_weekday("thu"), Some(Weekday::Thu));
        assert_eq!(parse_weekday("thứ năm"), Some(Weekday::Thu));
        assert_eq!(parse_weekday("someday"), None);
    }

    #[test]
    fn iso_weeks_parse_print_and_cross_year_ends() {
        let w = IsoWeek::parse("2026-W53").unwrap();
        assert_eq!(w.to_string(), "2026-W53");
        assert_eq!(w.monday(), d("2026-12-28"));
        assert_eq!(w.next().to_string(), "2027-W01");
        assert_eq!(IsoWeek::parse("2027-W01").unwrap().prev(), w);
        assert_eq!(IsoWeek::of(d("2027-01-03")), w);
        assert!(IsoWeek::parse("2025-W53").is_none(), "2025 has 52 weeks");
        assert!(IsoWeek::parse("2026-W00").is_none());
        assert!(IsoWeek::parse("banana").is_none());
        assert_eq!(IsoWeek::parse("2026w5").unwrap().to_string(), "2026-W05");
    }

    #[test]
    fn due_dates_parse_relative_to_today() {
        let today = d("2026-11-27"); // a Friday
        assert_eq!(parse_due("2026-12-01", today).unwrap(), d("2026-12-01"));
        assert_eq!(parse_due("friday", today).unwrap(), today);
        assert_eq!(parse_due("thứ sáu", today).unwrap(), today);
        assert_eq!(parse_due("Monday", today).unwrap(), d("2026-11-30"));
        assert_eq!(parse_due("thứ hai", today).unwrap(), d("2026-11-30"));
        assert_eq!(parse_due("tomorrow", today).unwrap(), d("2026-11-28"));
        assert_eq!(parse_due("ngày mai", today).unwrap(), d("2026-11-28"));
    }

    #[test]
    fn due_dates_in_the_past_or_malformed_are_refused() {
        let today = d("2026-11-27");
        assert_eq!(parse_due("2026-11-26", today).unwrap_err().key, k::ERR_DUE_PAST);
        assert_eq!(parse_due("next blue moon", today).unwrap_err().key, k::ERR_BAD_DUE);
        assert_eq!(parse_due("2026-02-30", today).unwrap_err().key, k::ERR_BAD_DUE);
        assert_eq!(parse_due("2030-01-01", today).unwrap_err().key, k::ERR_DUE_FAR);
    }

    #[test]
    fn away_accepts_days_dates_and_off() {
        let today = d("2026-11-27");
        assert_eq!(parse_away_until("off", today).unwrap(), None);
        assert_eq!(parse_away_until("3", today).unwrap(), Some(d("2026-11-29")));
        assert_eq!(parse_away_until("7 days", today).unwrap(), Some(d("2026-12-03")));
        assert_eq!(parse_away_until("2026-12-24", today).unwrap(), Some(d("2026-12-24")));
        assert_eq!(parse_away_until("soon", today).unwrap_err().key, k::ERR_BAD_AWAY);
        assert_eq!(parse_away_until("9999", today).unwrap_err().key, k::ERR_BAD_AWAY);
    }
}
