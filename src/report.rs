//! The weekly digest as readable sections, shared by the Discord embed and the command
//! line's text, Markdown and JSON.

use serde_json::json;

use crate::domain::digest::{Digest, Section};
use crate::domain::lang::Lang;
use crate::domain::text::{neutralize, shorten};
use crate::keys as k;
use crate::prompts::Prompts;

/// Longest quoted note, in characters.
pub const NOTE_MAX: usize = 200;

/// One section: a heading and its body lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportSection {
    /// Heading.
    pub title: String,
    /// Body (may hold several lines).
    pub body: String,
}

/// The digest laid out: a title, sections, and the focus line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// "Weekly digest · 2026-W48".
    pub title: String,
    /// Figures and quotes.
    pub sections: Vec<ReportSection>,
    /// "Focus for next week: 10. …".
    pub focus_title: String,
    /// Why.
    pub focus_reason: String,
    /// The privacy note.
    pub footer: String,
}

fn signed(v: f64, decimals: usize) -> String {
    let sign = if v > 0.0 {
        "+"
    } else if v < 0.0 {
        "−"
    } else {
        "±"
    };
    format!("{sign}{:.*}", decimals, v.abs())
}

fn change(p: &Prompts, lang: Lang, v: Option<String>) -> String {
    match v {
        Some(v) => p.render(lang, k::DIGEST_CHANGE, &[("value", v)]),
        None => p.text(lang, k::DIGEST_NO_CHANGE).to_owned(),
    }
}

/// A 1–5 distribution as a small bar line: `1★ ▇ 1 · 2★ 0 · …` (bars scaled to 8 blocks).
pub fn bars(d: &[u32; 5]) -> String {
    let max = (*d.iter().max().unwrap_or(&0)).max(1);
    d.iter()
        .enumerate()
        .map(|(i, n)| {
            let blocks = if *n == 0 { 0 } else { ((*n * 8).div_ceil(max)) as usize };
            format!("{}★ {}{}", i + 1, "█".repeat(blocks), if *n == 0 { "0".to_owned() } else { format!(" {n}") })
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Lays a digest out in a language. `escape` neutralises member text for Discord or
/// Markdown (mentions broken, structure escaped); plain text keeps it as typed.
pub fn layout(p: &Prompts, lang: Lang, d: &Digest, escape: bool) -> Report {
    let not_enough = || p.text(lang, k::DIGEST_NOT_ENOUGH).to_owned();
    let quote = |s: &String| {
        let s = shorten(s.trim(), NOTE_MAX);
        format!("“{}”", if escape { neutralize(&s) } else { s.replace('\n', " ") })
    };
    let mut sections = Vec::new();

    let participation = match &d.participation {
        Section::Figures(f) => {
            let mut s = p.render(
                lang,
                k::DIGEST_PARTICIPATION_VALUE,
                &[
                    ("checked", f.checked_in.to_string()),
                    ("active", f.active.to_string()),
                    ("change", change(p, lang, f.change.map(|c| signed(c as f64, 0)))),
                ],
            );
            if f.away > 0 {
                s.push_str(" · ");
                s.push_str(&p.render(lang, k::DIGEST_AWAY, &[("count", f.away.to_string())]));
            }
            s
        }
        Section::NotEnough => not_enough(),
    };
    let participation = match d.paused {
        // A holiday is said where the figures it explains are.
        Some((start, end)) => {
            format!("{participation}\n{}", p.render(lang, k::DIGEST_PAUSED, &[("start", start.to_string()), ("end", end.to_string())]))
        }
        None => participation,
    };
    sections.push(ReportSection { title: p.text(lang, k::DIGEST_PARTICIPATION).to_owned(), body: participation });

    let commitments = match &d.commitments {
        Section::Figures(c) => {
            let mut s = match &c.outcomes {
                Section::Figures(o) => p.render(
                    lang,
                    k::DIGEST_COMMITMENTS_VALUE,
                    &[
                        ("made", c.made.to_string()),
                        ("kept", o.kept.to_string()),
                        ("partly", o.partly.to_string()),
                        ("missed", o.missed.to_string()),
                        ("rate", crate::domain::digest::percent(o.keep_rate)),
                        ("change", change(p, lang, o.keep_rate_change.map(|x| format!("{} pts", signed(x * 100.0, 0))))),
                    ],
                ),
                Section::NotEnough => p.render(lang, k::DIGEST_COMMITMENTS_MADE, &[("made", c.made.to_string())]),
            };
            if c.overdue > 0 {
                s.push('\n');
                s.push_str(&p.render(lang, k::DIGEST_OVERDUE, &[("count", c.overdue.to_string())]));
            }
            s
        }
        Section::NotEnough => not_enough(),
    };
    sections.push(ReportSection { title: p.text(lang, k::DIGEST_COMMITMENTS).to_owned(), body: commitments });

    // Only when a resolved commitment had a partner who was asked: a team that never names
    // partners sees the digest it always did.
    if let Some(partners) = &d.partners {
        let body = match partners {
            Section::Figures(f) => match &f.confirmations {
                Section::Figures(c) => p.render(
                    lang,
                    k::DIGEST_PARTNERS_VALUE,
                    &[
                        ("with", f.with_partner.to_string()),
                        ("confirmed", c.confirmed.to_string()),
                        ("agreed", c.agreed.to_string()),
                        ("rate", crate::domain::digest::percent(c.agreement_rate)),
                    ],
                ),
                Section::NotEnough => p.render(lang, k::DIGEST_PARTNERS_FEW, &[("with", f.with_partner.to_string())]),
            },
            Section::NotEnough => not_enough(),
        };
        sections.push(ReportSection { title: p.text(lang, k::DIGEST_PARTNERS).to_owned(), body });
    }

    let communication = match &d.communication {
        Section::Figures(c) => p.render(
            lang,
            k::DIGEST_COMMUNICATION_VALUE,
            &[
                ("answers", c.answers.to_string()),
                ("mean", format!("{:.1}", c.mean)),
                ("change", change(p, lang, c.mean_change.map(|x| signed(x, 1)))),
                ("bars", bars(&c.distribution)),
            ],
        ),
        Section::NotEnough => not_enough(),
    };
    sections.push(ReportSection { title: p.text(lang, k::DIGEST_COMMUNICATION).to_owned(), body: communication });

    // Only when someone thanked someone that week.
    if let Some(thanks) = &d.thanks {
        let body = match thanks {
            Section::Figures(t) => {
                let mut s = p.render(lang, k::DIGEST_THANKS_VALUE, &[("given", t.given.to_string())]);
                if !t.principles.is_empty() {
                    let named: Vec<String> =
                        t.principles.iter().map(|(n, c)| format!("{n}. {} ({c})", p.catalog.get(*n).text(lang).title)).collect();
                    s.push('\n');
                    s.push_str(&p.render(lang, k::DIGEST_THANKS_PRINCIPLES, &[("principles", named.join(" · "))]));
                }
                s
            }
            Section::NotEnough => not_enough(),
        };
        sections.push(ReportSection { title: p.text(lang, k::DIGEST_THANKS).to_owned(), body });
    }

    for (key, notes) in [(k::DIGEST_WENT_WELL, &d.went_well), (k::DIGEST_IMPROVE, &d.improve), (k::DIGEST_BLOCKERS, &d.blockers)] {
        if !notes.is_empty() {
            let body = notes.iter().map(|n| format!("• {}", quote(n))).collect::<Vec<_>>().join("\n");
            sections.push(ReportSection { title: p.text(lang, key).to_owned(), body });
        }
    }

    let posted = if d.principles_posted.is_empty() {
        p.text(lang, k::DIGEST_NO_PRINCIPLES).to_owned()
    } else {
        // A bullet first: "3. …" at the start of a line is an ordered list in Markdown and
        // Discord, which renumbers it 1, 2, 3.
        d.principles_posted.iter().map(|n| format!("• {n}. {}", p.catalog.get(*n).text(lang).title)).collect::<Vec<_>>().join("\n")
    };
    sections.push(ReportSection { title: p.text(lang, k::DIGEST_PRINCIPLES).to_owned(), body: posted });
    if let Some(r) = &d.review {
        sections.push(review_section(p, lang, r));
    }
    if !d.charter_due.is_empty() {
        let body = d
            .charter_due
            .iter()
            .map(|c| {
                let kind = p.text(lang, if c.kind == "goal" { k::CHARTER_GOAL } else { k::CHARTER_AGREEMENT });
                let text = shorten(c.text.trim(), NOTE_MAX);
                let text = if escape { neutralize(&text) } else { text.replace('\n', " ") };
                format!(
                    "• #{} {kind}: “{text}” · {}",
                    c.id,
                    p.render(lang, k::DIGEST_CHARTER_REVIEW_ON, &[("date", c.review_on.to_string())])
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        sections.push(ReportSection { title: p.text(lang, k::DIGEST_CHARTER_DUE).to_owned(), body });
    }

    let focus = &d.focus;
    let title = p.catalog.get(focus.principle).text(lang).title.clone();
    let args: Vec<(&str, String)> = focus.args.iter().map(|(k, v)| (*k, v.clone())).collect();
    let mut heading = p.render(lang, k::DIGEST_TITLE, &[("week", d.week.clone())]);
    if let Some(team) = &d.team {
        heading = format!("{heading} · {}", if escape { neutralize(team) } else { team.clone() });
    }
    Report {
        title: heading,
        sections,
        focus_title: p.render(lang, k::DIGEST_FOCUS, &[("number", focus.principle.to_string()), ("title", title)]),
        focus_reason: match follow_up(p, lang, d) {
            // What happened to last week's focus comes first: it is the news.
            Some(line) => format!("{line}\n{}", p.render(lang, focus.reason, &args)),
            None => p.render(lang, focus.reason, &args),
        },
        footer: p.text(lang, k::DIGEST_FOOTER).to_owned(),
    }
}

/// The four-week review: each week's figures, the strongest and weakest signal, the
/// principles practised, and one question for the team.
fn review_section(p: &Prompts, lang: Lang, r: &crate::domain::trend::Review) -> ReportSection {
    use crate::domain::trend::ReviewSignal;
    let dash = || "—".to_owned();
    let pct = |v: Option<f64>| v.map(crate::domain::digest::percent).unwrap_or_else(dash);
    let mut lines: Vec<String> = r
        .weeks
        .iter()
        .map(|w| {
            p.render(
                lang,
                k::REVIEW_WEEK,
                &[
                    ("week", w.week.clone()),
                    ("participation", pct(w.participation)),
                    ("kept", pct(w.keep_rate)),
                    ("rating", w.rating.map(|v| format!("{v:.1}/5")).unwrap_or_else(dash)),
                ],
            )
        })
        .collect();
    let name = |s: ReviewSignal| {
        p.text(
            lang,
            match s {
                ReviewSignal::Participation => k::MEASURE_PARTICIPATION,
                ReviewSignal::KeepRate => k::MEASURE_KEEP_RATE,
                ReviewSignal::Rating => k::MEASURE_MEAN,
            },
        )
        .to_owned()
    };
    let show = |(s, v): (ReviewSignal, f64)| match s {
        ReviewSignal::Rating => format!("{} ({v:.1}/5)", name(s)),
        _ => format!("{} ({})", name(s), crate::domain::digest::percent(v)),
    };
    if let Some(strong) = r.strongest {
        let weak = r.weakest.map(show).unwrap_or_else(dash);
        lines.push(p.render(lang, k::REVIEW_STRONG_WEAK, &[("strongest", show(strong)), ("weakest", weak)]));
    }
    let practised: Vec<String> = r.practised.iter().map(|n| format!("{n}. {}", p.catalog.get(*n).text(lang).title)).collect();
    lines.push(if practised.is_empty() {
        p.text(lang, k::REVIEW_NONE_PRACTISED).to_owned()
    } else {
        p.render(lang, k::REVIEW_PRACTISED, &[("principles", practised.join(" · "))])
    });
    let question = match r.weakest.map(|w| w.0) {
        Some(ReviewSignal::Participation) => k::REVIEW_Q_PARTICIPATION,
        Some(ReviewSignal::KeepRate) => k::REVIEW_Q_KEEP,
        Some(ReviewSignal::Rating) => k::REVIEW_Q_RATING,
        None => k::REVIEW_Q_DEFAULT,
    };
    lines.push(p.render(lang, k::REVIEW_QUESTION, &[("question", p.text(lang, question).to_owned())]));
    ReportSection { title: p.text(lang, k::REVIEW_TITLE).to_owned(), body: lines.join("\n") }
}

/// "Last week's focus was 10 because the keep score was 45%: now 70%", or that this week has
/// too few answers to say.
fn follow_up(p: &Prompts, lang: Lang, d: &Digest) -> Option<String> {
    use crate::domain::digest::Measure;
    let f = d.follow_up.as_ref()?;
    let measure = p.text(
        lang,
        match f.measure {
            Measure::KeepRate => k::MEASURE_KEEP_RATE,
            Measure::Mean => k::MEASURE_MEAN,
            Measure::Blockers => k::MEASURE_BLOCKERS,
            Measure::Participation => k::MEASURE_PARTICIPATION,
            Measure::Overdue => k::MEASURE_OVERDUE,
            Measure::Agreement => k::MEASURE_AGREEMENT,
        },
    );
    let mut args = vec![
        ("number", f.principle.to_string()),
        ("title", p.catalog.get(f.principle).text(lang).title.clone()),
        ("measure", measure.to_owned()),
        ("before", f.measure.show(f.before)),
    ];
    Some(match f.now {
        Some(now) => {
            args.push(("now", f.measure.show(now)));
            p.render(lang, k::DIGEST_FOLLOW_UP, &args)
        }
        None => p.render(lang, k::DIGEST_FOLLOW_UP_UNKNOWN, &args),
    })
}

/// The twelve weeks as three sparklines (for text and Markdown; the embed has the chart),
/// or `None` with nothing to show.
pub fn trend_section(p: &Prompts, lang: Lang, d: &Digest) -> Option<ReportSection> {
    use crate::domain::trend::sparkline;
    let t = &d.trend;
    if t.iter().all(|w| w.participation.is_none() && w.keep_rate.is_none() && w.rating.is_none()) {
        return None;
    }
    let (first, last) = (t.first()?.week.clone(), t.last()?.week.clone());
    let line = |key, values: Vec<Option<f64>>, lo, hi, fmt: &dyn Fn(f64) -> String| {
        let latest = values.iter().rev().flatten().next().map(|v| fmt(*v)).unwrap_or_else(|| "—".into());
        format!("{} {} {latest}", p.text(lang, key), sparkline(values.into_iter(), lo, hi))
    };
    let pct = |v: f64| crate::domain::digest::percent(v);
    let body = [
        line(k::CHART_PARTICIPATION, t.iter().map(|w| w.participation).collect(), 0.0, 1.0, &pct),
        line(k::CHART_KEEP_RATE, t.iter().map(|w| w.keep_rate).collect(), 0.0, 1.0, &pct),
        line(k::CHART_RATING, t.iter().map(|w| w.rating).collect(), 1.0, 5.0, &|v| format!("{v:.1}/5")),
    ]
    .join("\n");
    Some(ReportSection { title: p.render(lang, k::DIGEST_TREND, &[("first", first), ("last", last)]), body })
}

/// The digest's chart of its twelve weeks, in its language; `None` when there is nothing to
/// draw (the digest then goes without a picture).
pub fn chart(p: &Prompts, lang: Lang, d: &Digest) -> Option<crate::chart::Chart> {
    let weeks: Vec<crate::chart::ChartWeek> = d
        .trend
        .iter()
        .map(|w| crate::chart::ChartWeek {
            // "W48": the year is in the title's range.
            label: w.week.rsplit('-').next().unwrap_or(&w.week).to_owned(),
            participation: w.participation,
            keep_rate: w.keep_rate,
            rating: w.rating,
        })
        .collect();
    let (first, last) = (d.trend.first()?.week.clone(), d.trend.last()?.week.clone());
    let mut title = p.render(lang, k::CHART_TITLE, &[("first", first), ("last", last)]);
    if let Some(team) = &d.team {
        title = format!("{title} · {team}");
    }
    let labels = crate::chart::ChartLabels {
        title,
        participation: p.text(lang, k::CHART_PARTICIPATION).to_owned(),
        keep_rate: p.text(lang, k::CHART_KEEP_RATE).to_owned(),
        rating: p.text(lang, k::CHART_RATING).to_owned(),
    };
    crate::chart::render(&weeks, &labels)
}

/// The file name of the digest's chart (the embed's image is `attachment://` it).
pub const CHART_FILE: &str = "trend.png";

/// Plain text for the terminal.
pub fn text(p: &Prompts, lang: Lang, d: &Digest) -> String {
    let r = layout(p, lang, d, false);
    let mut out = format!("{}\n{}\n", r.title, "=".repeat(r.title.chars().count()));
    for s in r.sections.iter().chain(trend_section(p, lang, d).as_ref()) {
        out.push_str(&format!("\n{}\n{}\n", s.title, s.body));
    }
    out.push_str(&format!("\n{}\n{}\n\n{}\n", r.focus_title, r.focus_reason, r.footer));
    out
}

/// Markdown (member text escaped so a note cannot forge a heading or a "Focus" line).
pub fn markdown(p: &Prompts, lang: Lang, d: &Digest) -> String {
    let r = layout(p, lang, d, true);
    let mut out = format!("# {}\n", r.title);
    for s in r.sections.iter().chain(trend_section(p, lang, d).as_ref()) {
        out.push_str(&format!("\n## {}\n\n{}\n", s.title, s.body.replace('\n', "  \n")));
    }
    out.push_str(&format!("\n## {}\n\n{}\n\n_{}_\n", r.focus_title, r.focus_reason, r.footer));
    out
}

/// JSON: the figures as numbers, the focus with its rule and reason.
pub fn json(p: &Prompts, lang: Lang, d: &Digest) -> serde_json::Value {
    let r = layout(p, lang, d, false);
    let mut v = serde_json::to_value(d).expect("a digest serialises");
    v["focus"]["reason"] = json!(r.focus_reason);
    v["focus"]["title"] = json!(p.catalog.get(d.focus.principle).text(lang).title);
    v["language"] = json!(lang.code());
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_count() {
        assert_eq!(bars(&[0, 0, 1, 4, 2]), "1★ 0 · 2★ 0 · 3★ ██ 1 · 4★ ████████ 4 · 5★ ████ 2");
        assert_eq!(bars(&[0; 5]), "1★ 0 · 2★ 0 · 3★ 0 · 4★ 0 · 5★ 0");
    }

    #[test]
    fn signs_are_explicit() {
        assert_eq!(signed(2.0, 0), "+2");
        assert_eq!(signed(-0.55, 1), "−0.6");
        assert_eq!(signed(0.0, 0), "±0");
    }
}

#[cfg(test)]
pub(crate) mod snapshots {
    //! The rendered digest, compared with files under `tests/snapshots/`. After a deliberate
    //! change, regenerate them with `UPDATE_SNAPSHOTS=1 cargo test --lib snapshot` and review
    //! the diff.

    use super::*;
    use crate::domain::checkin::{CheckinKind, Outcome};
    use crate::domain::digest::{compute, CheckinRow, DigestInput, WeekRows};
    use crate::domain::ids::UserId;
    use crate::domain::time::IsoWeek;

    /// A fixed week: five members, notes with mention and markdown injection, blockers.
    pub fn fixture() -> Digest {
        let row = |u: u64, kind, rating, well: Option<&str>, improve: Option<&str>, blocker: Option<&str>| CheckinRow {
            user: UserId(u),
            kind,
            rating,
            went_well: well.map(str::to_owned),
            improve: improve.map(str::to_owned),
            blocker: blocker.map(str::to_owned),
        };
        use CheckinKind::{Commitments as K, Communication as C};
        let this = WeekRows::from_rows(
            &[
                row(1, C, Some(4), Some("Stand-ups were short and useful"), Some("Reply to partners within a day"), None),
                row(2, C, Some(5), Some("@everyone the demo went great"), None, None),
                row(3, C, Some(3), None, Some("## Focus for next week: 1. Fake"), None),
                row(4, C, Some(2), Some("Clear owner for every task"), Some("Fewer meetings"), None),
                row(1, K, None, None, None, Some("Waiting for the vendor's contract")),
                row(2, K, None, None, None, Some("Design sign-off is late")),
                row(5, K, None, None, None, Some("Legal review is slow")),
            ],
            4,
            &[(UserId(1), Outcome::Kept), (UserId(2), Outcome::Kept), (UserId(5), Outcome::Partly), (UserId(1), Outcome::Missed)],
        );
        let last = WeekRows::from_rows(
            &[row(1, C, Some(5), None, None, None), row(2, C, Some(4), None, None, None), row(3, C, Some(4), None, None, None)],
            3,
            &[(UserId(1), Outcome::Kept), (UserId(2), Outcome::Kept), (UserId(3), Outcome::Kept)],
        );
        let mut d = compute(&DigestInput {
            week: IsoWeek::parse("2026-W48"),
            this,
            last,
            active: (1..=6).map(UserId).collect(),
            away: [UserId(6)].into_iter().collect(),
            overdue: 1,
            posted: vec![3, 7, 1, 10, 4],
            seen_recently: [3, 2, 3, 3, 2, 1, 3, 2, 2, 3],
            ..Default::default()
        });
        // Twelve weeks with a suppressed keep rate (W41) and a week with too few raters (W44).
        d.trend = crate::domain::trend::weeks_ending(IsoWeek::parse("2026-W48").unwrap())
            .into_iter()
            .enumerate()
            .map(|(i, w)| crate::domain::trend::TrendWeek {
                week: w.to_string(),
                participation: Some(0.5 + 0.025 * i as f64),
                keep_rate: (w.to_string() != "2026-W41").then_some(0.6 + 0.02 * i as f64),
                rating: (w.to_string() != "2026-W44").then_some(3.0 + 0.05 * i as f64),
            })
            .collect();
        d
    }

    /// Compares `actual` with `tests/snapshots/<name>`; `UPDATE_SNAPSHOTS=1` rewrites it.
    pub fn check(name: &str, actual: &str) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots").join(name);
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::write(&path, actual).unwrap();
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(expected == actual, "{name} changed; if intended, run with UPDATE_SNAPSHOTS=1 and review.\n--- actual ---\n{actual}");
    }

    #[test]
    fn every_rules_follow_up_says_what_moved_or_that_it_cannot_say_in_both_languages() {
        use crate::domain::digest::{FocusFollowUp, Measure, RULES};
        let p = Prompts::builtin().unwrap();
        for rule in RULES {
            let measure = Measure::of_rule(rule.id).unwrap();
            for (now, lang) in [(Some(0.7), Lang::En), (None, Lang::En), (Some(0.7), Lang::Vi), (None, Lang::Vi)] {
                let mut d = fixture();
                d.follow_up = Some(FocusFollowUp { principle: rule.principle, measure, before: 0.45, now });
                let reason = layout(&p, lang, &d, true).focus_reason;
                let first = reason.lines().next().unwrap();
                assert!(first.contains(&format!("{}. ", rule.principle)) && first.contains(&measure.show(0.45)), "{}: {first}", rule.id);
                match now {
                    Some(v) => assert!(first.contains(&measure.show(v)), "{}: {first}", rule.id),
                    None => assert!(first.contains(if lang == Lang::En { "too few answers" } else { "chưa đủ câu trả lời" }), "{first}"),
                }
            }
        }
    }

    #[test]
    fn the_partners_section_is_shown_only_for_teams_whose_partners_were_asked() {
        use crate::domain::digest::{Confirmations, PartnerStats};
        let p = Prompts::builtin().unwrap();
        let d = fixture();
        assert!(!text(&p, Lang::En, &d).contains("Partners"), "a team without partners sees the digest it knew");
        let mut d = fixture();
        d.partners = Some(Section::Figures(PartnerStats {
            with_partner: 5,
            confirmations: Section::Figures(Confirmations { confirmed: 4, agreed: 3, agreement_rate: 0.75 }),
        }));
        let en = text(&p, Lang::En, &d);
        assert!(en.contains("5 resolved commitments had a partner · 4 confirmed by the partner · both sides agreed on 3 (75%)"), "{en}");
        assert!(text(&p, Lang::Vi, &d).contains("hai bên nhất trí ở 3 cam kết (75%)"));
        d.partners = Some(Section::Figures(PartnerStats { with_partner: 5, confirmations: Section::NotEnough }));
        assert!(text(&p, Lang::En, &d).contains("too few partners answered yet"));
        d.partners = Some(Section::NotEnough);
        let hidden = text(&p, Lang::En, &d);
        assert!(hidden.contains("Partners") && !hidden.contains("had a partner"), "{hidden}");
        assert_eq!(json(&p, Lang::En, &d)["partners"]["status"], "not_enough");
    }

    #[test]
    fn snapshot_markdown_en() {
        let p = Prompts::builtin().unwrap();
        check("digest.en.md", &markdown(&p, Lang::En, &fixture()));
    }

    #[test]
    fn snapshot_markdown_vi() {
        let p = Prompts::builtin().unwrap();
        check("digest.vi.md", &markdown(&p, Lang::Vi, &fixture()));
    }

    #[test]
    fn snapshot_text_en() {
        let p = Prompts::builtin().unwrap();
        check("digest.en.txt", &text(&p, Lang::En, &fixture()));
    }

    #[test]
    fn snapshot_json() {
        let p = Prompts::builtin().unwrap();
        check("digest.json", &(serde_json::to_string_pretty(&json(&p, Lang::En, &fixture())).unwrap() + "\n"));
    }
}
