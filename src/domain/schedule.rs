//! Schedule maths: when a daily or weekly post is next due, in a zone with daylight saving.
//! Pure functions of (rule, zone, instant); the scheduler stores their answers in the database.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use super::time::{IsoWeek, LocalTime};

/// How often something recurs, in local time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recurrence {
    /// Every day at `time`; with `weekdays_only`, Monday to Friday.
    Daily {
        /// Local time of day.
        time: LocalTime,
        /// Skip Saturday and Sunday.
        weekdays_only: bool,
    },
    /// Once a week on `day` at `time`.
    Weekly {
        /// Local day of the week.
        day: Weekday,
        /// Local time of day.
        time: LocalTime,
    },
}

/// One occurrence: the local date it belongs to and the UTC instant it is due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Occurrence {
    /// The local date in the rule's zone: the key for "once per day".
    pub date: NaiveDate,
    /// When it is due.
    pub at: DateTime<Utc>,
}

impl Recurrence {
    fn time(self) -> LocalTime {
        match self {
            Recurrence::Daily { time, .. } | Recurrence::Weekly { time, .. } => time,
        }
    }

    fn allows(self, date: NaiveDate) -> bool {
        match self {
            Recurrence::Daily { weekdays_only, .. } => !weekdays_only || !matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
            Recurrence::Weekly { day, .. } => date.weekday() == day,
        }
    }

    /// The first occurrence on `date` or later, whether or not it is already past.
    pub fn on_or_after(self, tz: Tz, date: NaiveDate) -> Occurrence {
        let date = date.iter_days().take(8).find(|d| self.allows(*d)).expect("every rule allows some day within a week");
        Occurrence { date, at: at_local(tz, date, self.time()) }
    }

    /// The first occurrence strictly after `now`.
    pub fn next_after(self, tz: Tz, now: DateTime<Utc>) -> Occurrence {
        let today = local_date(tz, now);
        let occ = self.on_or_after(tz, today);
        if occ.at > now {
            occ
        } else {
            self.on_or_after(tz, occ.date + Duration::days(1))
        }
    }
}

/// The local date of an instant in a zone.
pub fn local_date(tz: Tz, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&tz).date_naive()
}

/// The UTC instant of `time` on `date` in `tz`. On the spring-forward day a time inside the
/// gap does not exist: it becomes the first valid minute after it. On the fall-back day a time
/// that exists twice is the earlier one (the post keys on the date, so it goes out once).
pub fn at_local(tz: Tz, date: NaiveDate, time: LocalTime) -> DateTime<Utc> {
    let mut naive = date.and_time(time.naive());
    // Gaps are at most a few hours (usually one; 30 minutes on Lord Howe Island); a day is
    // a generous bound that still terminates for any zone.
    for _ in 0..(24 * 60) {
        match tz.from_local_datetime(&naive) {
            LocalResult::Single(t) => return t.with_timezone(&Utc),
            LocalResult::Ambiguous(earlier, _) => return earlier.with_timezone(&Utc),
            LocalResult::None => naive += Duration::minutes(1),
        }
    }
    unreachable!("no zone skips a whole day at {date} {time}")
}

/// The week a digest posted on `posting_date` covers: Friday to Sunday posts cover their own
/// week, Monday to Thursday the week before (the team has not lived the new week yet).
pub fn digest_week(posting_date: NaiveDate) -> IsoWeek {
    let week = IsoWeek::of(posting_date);
    match posting_date.weekday() {
        Weekday::Fri | Weekday::Sat | Weekday::Sun => week,
        _ => week.prev(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::{America::New_York, Asia::Ho_Chi_Minh, Australia::Sydney, Europe::Berlin};

    fn t(s: &str) -> LocalTime {
        LocalTime::parse(s).unwrap()
    }
    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }
    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }
    fn daily(time: &str) -> Recurrence {
        Recurrence::Daily { time: t(time), weekdays_only: false }
    }

    #[test]
    fn ho_chi_minh_has_no_dst_and_is_always_utc_plus_7() {
        let r = daily("09:00");
        for day in ["2026-01-15", "2026-03-29", "2026-07-01", "2026-10-25"] {
            let occ = r.on_or_after(Ho_Chi_Minh, d(day));
            assert_eq!(occ.at, utc(&format!("{day}T02:00:00Z")));
        }
    }

    #[test]
    fn next_after_moves_to_tomorrow_once_today_is_past() {
        let r = daily("09:00");
        let before = r.next_after(Ho_Chi_Minh, utc("2026-11-27T01:59:00Z"));
        assert_eq!(before.date, d("2026-11-27"));
        let at = r.next_after(Ho_Chi_Minh, utc("2026-11-27T02:00:00Z"));
        assert_eq!(at.date, d("2026-11-28"), "a post due exactly now is not 'after now'");
    }

    #[test]
    fn berlin_spring_forward_gap_posts_at_the_first_valid_minute() {
        // 2026-03-29: 02:00 CET jumps to 03:00 CEST. 02:30 does not exist.
        let occ = daily("02:30").on_or_after(Berlin, d("2026-03-29"));
        assert_eq!(occ.at, utc("2026-03-29T01:00:00Z")); // 03:00 CEST
        assert_eq!(occ.date, d("2026-03-29"));
        // The day before and after are ordinary.
        assert_eq!(daily("02:30").on_or_after(Berlin, d("2026-03-28")).at, utc("2026-03-28T01:30:00Z"));
        assert_eq!(daily("02:30").on_or_after(Berlin, d("2026-03-30")).at, utc("2026-03-30T00:30:00Z"));
    }

    #[test]
    fn berlin_fall_back_posts_once_at_the_earlier_instant() {
        // 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:30 happens twice.
        let r = daily("02:30");
        let occ = r.on_or_after(Berlin, d("2026-10-25"));
        assert_eq!(occ.at, utc("2026-10-25T00:30:00Z"));
        // After the first 02:30 has passed, the next is the following day, not the repeat.
        let next = r.next_after(Berlin, occ.at);
        assert_eq!(next.date, d("2026-10-26"));
        assert_eq!(next.at, utc("2026-10-26T01:30:00Z"));
    }

    #[test]
    fn new_york_dst_changes_shift_utc_but_not_local_time() {
        let r = daily("09:00");
        assert_eq!(r.on_or_after(New_York, d("2026-03-07")).at, utc("2026-03-07T14:00:00Z"));
        assert_eq!(r.on_or_after(New_York, d("2026-03-08")).at, utc("2026-03-08T13:00:00Z"));
        // Spring forward at 02:00 → 03:00: 02:15 becomes 03:00 EDT.
        assert_eq!(daily("02:15").on_or_after(New_York, d("2026-03-08")).at, utc("2026-03-08T07:00:00Z"));
        // Fall back 2026-11-01: 01:30 happens twice; the earlier is EDT.
        assert_eq!(daily("01:30").on_or_after(New_York, d("2026-11-01")).at, utc("2026-11-01T05:30:00Z"));
        assert_eq!(r.on_or_after(New_York, d("2026-11-02")).at, utc("2026-11-02T14:00:00Z"));
    }

    #[test]
    fn sydney_dst_runs_the_other_way_round() {
        // DST ends 2026-04-05 at 03:00 AEDT → 02:00 AEST; starts 2026-10-04 at 02:00 → 03:00.
        let r = daily("08:00");
        assert_eq!(r.on_or_after(Sydney, d("2026-04-04")).at, utc("2026-04-03T21:00:00Z"));
        assert_eq!(r.on_or_after(Sydney, d("2026-04-05")).at, utc("2026-04-04T22:00:00Z"));
        assert_eq!(daily("02:30").on_or_after(Sydney, d("2026-10-04")).at, utc("2026-10-03T16:00:00Z"));
        assert_eq!(daily("02:30").on_or_after(Sydney, d("2026-04-05")).at, utc("2026-04-04T15:30:00Z"));
    }

    #[test]
    fn weekdays_only_skips_saturday_and_sunday_in_the_local_zone() {
        let r = Recurrence::Daily { time: t("09:00"), weekdays_only: true };
        // Friday 09:00 in Ho Chi Minh has passed → next is Monday.
        let next = r.next_after(Ho_Chi_Minh, utc("2026-11-27T03:00:00Z"));
        assert_eq!(next.date, d("2026-11-30"));
        assert_eq!(next.date.weekday(), Weekday::Mon);
        // Late Sunday UTC is already Monday in Sydney: Monday counts.
        let next = r.next_after(Sydney, utc("2026-11-29T20:00:00Z"));
        assert_eq!(next.date, d("2026-11-30"));
    }

    #[test]
    fn weekly_rule_finds_the_next_matching_weekday() {
        let r = Recurrence::Weekly { day: Weekday::Fri, time: t("16:00") };
        let next = r.next_after(Berlin, utc("2026-11-27T14:59:00Z"));
        assert_eq!(next.date, d("2026-11-27"));
        let next = r.next_after(Berlin, utc("2026-11-27T15:00:00Z"));
        assert_eq!(next.date, d("2026-12-04"));
    }

    #[test]
    fn a_weekly_reminder_keeps_its_local_time_across_dst_in_the_members_zone() {
        // A Sunday 02:30 reminder in Berlin: the gap on 2026-03-29 moves it to 03:00 CEST,
        // and the week after it is 02:30 CEST again.
        let r = Recurrence::Weekly { day: Weekday::Sun, time: t("02:30") };
        let gap = r.next_after(Berlin, utc("2026-03-28T12:00:00Z"));
        assert_eq!((gap.date, gap.at), (d("2026-03-29"), utc("2026-03-29T01:00:00Z")));
        let next = r.next_after(Berlin, gap.at);
        assert_eq!((next.date, next.at), (d("2026-04-05"), utc("2026-04-05T00:30:00Z")));
        // In New York, a Monday 09:00 reminder moves from 14:00 to 13:00 UTC across 8 March.
        let r = Recurrence::Weekly { day: Weekday::Mon, time: t("09:00") };
        assert_eq!(r.next_after(New_York, utc("2026-03-01T00:00:00Z")).at, utc("2026-03-02T14:00:00Z"));
        assert_eq!(r.next_after(New_York, utc("2026-03-03T00:00:00Z")).at, utc("2026-03-09T13:00:00Z"));
    }

    #[test]
    fn a_digest_covers_its_own_week_from_friday_and_the_last_week_before() {
        assert_eq!(digest_week(d("2026-11-27")).to_string(), "2026-W48"); // Fri
        assert_eq!(digest_week(d("2026-11-29")).to_string(), "2026-W48"); // Sun
        assert_eq!(digest_week(d("2026-11-30")).to_string(), "2026-W48"); // Mon
        assert_eq!(digest_week(d("2026-12-03")).to_string(), "2026-W48"); // Thu
        assert_eq!(digest_week(d("2027-01-04")).to_string(), "2026-W53"); // Mon after W53
    }
}
