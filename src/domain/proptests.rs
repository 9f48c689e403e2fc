//! Property tests of every parser of member input: no input panics, and every refusal names
//! a message that exists (so the member always gets a clear answer).

use chrono::NaiveDate;
use proptest::prelude::*;

use super::refusal::Refusal;
use super::text::{clean, neutralize, shorten, Note};
use super::time::{parse_away_until, parse_due, parse_weekday, IsoWeek, LocalTime, Zone};
use crate::keys::ALL;

fn known(r: &Refusal) -> bool {
    ALL.contains(&r.key)
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
}

/// Inputs that look like what members type, plus arbitrary Unicode.
fn typed() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9:apmhAPM .-]{0,12}",
        "[0-9]{1,4}-[0-9]{1,2}-[0-9]{1,3}",
        "[0-9]{4}-?[wW][0-9]{1,3}",
        "[a-zA-Z_/ ]{0,30}",
        "(thứ|chủ|ngày) ?[a-zđáàảãạâấầẩẫậăắằẳẵặéèẻẽẹêếềểễệíìỉĩịóòỏõọôốồổỗộơớờởỡợúùủũụưứừửữựýỳỷỹỵ ]{0,12}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn local_time_never_panics_and_round_trips(s in typed()) {
        match LocalTime::parse(&s) {
            Ok(t) => prop_assert_eq!(LocalTime::parse(&t.to_string()).unwrap(), t),
            Err(r) => prop_assert!(known(&r)),
        }
    }

    #[test]
    fn zone_never_panics(s in typed()) {
        if let Err(r) = Zone::parse(&s) {
            prop_assert!(known(&r));
        }
    }

    #[test]
    fn due_dates_are_never_in_the_past(s in typed()) {
        match parse_due(&s, today()) {
            Ok(d) => prop_assert!(d >= today()),
            Err(r) => prop_assert!(known(&r)),
        }
    }

    #[test]
    fn away_never_ends_before_today(s in typed()) {
        match parse_away_until(&s, today()) {
            Ok(Some(d)) => prop_assert!(d >= today()),
            Ok(None) => {}
            Err(r) => prop_assert!(known(&r)),
        }
    }

    #[test]
    fn iso_weeks_round_trip(s in typed()) {
        if let Some(w) = IsoWeek::parse(&s) {
            prop_assert_eq!(IsoWeek::parse(&w.to_string()), Some(w));
            prop_assert!(w.contains(w.monday()) && w.contains(w.sunday()));
        }
    }

    #[test]
    fn weekday_never_panics(s in typed()) {
        let _ = parse_weekday(&s);
    }

    #[test]
    fn notes_are_clean_and_within_the_limit(s in any::<String>(), limit in 1usize..600) {
        match Note::parse(&s, limit, "note") {
            Ok(Some(n)) => {
                prop_assert!(n.as_str().chars().count() <= limit);
                prop_assert!(!n.as_str().chars().any(|c| c.is_control() && c != '\n'));
                prop_assert_eq!(n.as_str(), n.as_str().trim());
            }
            Ok(None) => prop_assert!(clean(&s).is_empty()),
            Err(r) => {
                prop_assert!(known(&r));
                // The refusal gives the text back.
                prop_assert!(r.args.iter().any(|(k, v)| *k == "text" && *v == s.trim()));
            }
        }
    }

    #[test]
    fn neutralized_text_cannot_mention_or_start_structure(s in any::<String>()) {
        let n = neutralize(&s);
        prop_assert!(!n.contains("@everyone") && !n.contains("@here"));
        prop_assert!(!n.contains("<@"));
        prop_assert!(!n.contains('\n'));
        prop_assert!(!n.starts_with('#') && !n.starts_with('>'));
    }

    #[test]
    fn shorten_respects_the_limit(s in any::<String>(), max in 1usize..300) {
        prop_assert!(shorten(&s, max).chars().count() <= max);
    }
}
