//! Everything the bot says, loaded from `prompts/` (built into the binary with
//! `include_str!`, so a fresh build needs no extra files) and validated at start: a malformed
//! file is an error naming the file, the principle or key, and the field.

/// The message keys live in [`crate::keys`], where the domain can name them without depending on the loader.
pub use crate::keys;

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use serde::Deserialize;

use crate::domain::lang::Lang;
use crate::domain::principles::{Catalog, Practice, Principle, PrincipleText, Template, COUNT};
use keys::Key;

/// The principle keys, in order. Code and tests refer to principles by these.
pub const PRINCIPLE_KEYS: [&str; COUNT as usize] = [
    "common-goals",
    "mutual-benefit",
    "trust-respect",
    "communication",
    "agreements",
    "share-information",
    "constructive-conflict",
    "long-term",
    "evaluate-improve",
    "accountability",
];

/// Limits of where each principle text is shown (Discord's, with room for decoration).
pub mod limits {
    /// Titles appear in autocomplete choices (100) as "10. title" and in embed titles (256).
    pub const TITLE: usize = 80;
    /// The summary is an embed description (4096); kept short enough to read.
    pub const SUMMARY: usize = 1000;
    /// One tip; the tips together form one embed field (1024) with "• " bullets.
    pub const TIP: usize = 200;
    /// All tips of a principle joined with bullets and newlines.
    pub const TIPS_FIELD: usize = 1024;
    /// One reflection question.
    pub const QUESTION: usize = 200;
    /// The "try this today" line, an embed field value.
    pub const TRY_TODAY: usize = 200;
    /// A message text is used as message content at most (2000).
    pub const MESSAGE: usize = 2000;
    /// The practice's purpose: one line, an embed description or field value.
    pub const PURPOSE: usize = 200;
    /// One timed step of a practice.
    pub const STEP: usize = 250;
    /// All steps joined, each as "**NN min** · text" and a newline (14 characters of
    /// decoration per step), form one embed field (1024).
    pub const STEPS_FIELD: usize = 1024;
    /// Decoration per step in [`STEPS_FIELD`].
    pub const STEP_DECORATION: usize = 14;
    /// One question for the group.
    pub const PRACTICE_QUESTION: usize = 200;
    /// What to write down at the end, an embed field value.
    pub const WRITE_DOWN: usize = 300;
    /// A template's title, an embed field name (256) with room for decoration.
    pub const TEMPLATE_TITLE: usize = 100;
    /// One line of a template.
    pub const TEMPLATE_LINE: usize = 200;
    /// All lines of a template in one embed field (1024), each with "• " or a newline (3
    /// characters), inside a code block (8 characters for the fences).
    pub const TEMPLATE_FIELD: usize = 1024;
    /// How many steps a practice has.
    pub const STEPS: std::ops::RangeInclusive<usize> = 3..=4;
    /// How long a practice takes, in minutes: about fifteen.
    pub const PRACTICE_MINUTES: std::ops::RangeInclusive<u32> = 13..=17;
}

/// The raw texts of the prompt files: by default the ones built into the binary; tests swap
/// one for a broken copy to see it refused.
#[derive(Clone, Debug)]
pub struct Sources {
    /// `(file name, contents)` for the English and Vietnamese principles.
    pub principles: [(&'static str, String); 2],
    /// `(file name, contents)` for the English and Vietnamese messages.
    pub messages: [(&'static str, String); 2],
}

impl Sources {
    /// The files in `prompts/`, as built into the binary.
    pub fn builtin() -> Self {
        Self {
            principles: [
                ("prompts/principles.en.toml", include_str!("../../prompts/principles.en.toml").to_owned()),
                ("prompts/principles.vi.toml", include_str!("../../prompts/principles.vi.toml").to_owned()),
            ],
            messages: [
                ("prompts/messages.en.toml", include_str!("../../prompts/messages.en.toml").to_owned()),
                ("prompts/messages.vi.toml", include_str!("../../prompts/messages.vi.toml").to_owned()),
            ],
        }
    }
}

/// A problem in a prompt file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptError {
    /// The file, e.g. `prompts/principles.vi.toml`.
    pub file: String,
    /// Where in it: `principle 4 (communication), field tips[2]` or `key help.body`.
    pub place: String,
    /// What is wrong.
    pub problem: String,
}

impl fmt::Display for PromptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.place.is_empty() {
            write!(f, "{}: {}", self.file, self.problem)
        } else {
            write!(f, "{}: {}: {}", self.file, self.place, self.problem)
        }
    }
}

impl std::error::Error for PromptError {}

/// The validated texts: the principles catalog and the messages in both languages.
#[derive(Debug)]
pub struct Prompts {
    /// The ten principles.
    pub catalog: Catalog,
    messages: [HashMap<String, String>; 2],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PrinciplesFile {
    principle: Vec<RawPrinciple>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrinciple {
    number: u8,
    key: String,
    title: String,
    summary: String,
    tips: Vec<String>,
    questions: Vec<String>,
    try_today: String,
    practice: Option<RawPractice>,
    template: Option<RawTemplate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPractice {
    purpose: String,
    steps: Vec<RawStep>,
    questions: Vec<String>,
    write_down: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    minutes: u8,
    text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemplate {
    title: String,
    lines: Vec<String>,
}

impl Prompts {
    /// Loads and validates the built-in prompt files.
    pub fn builtin() -> Result<Self, PromptError> {
        Self::load(&Sources::builtin())
    }

    /// Loads and validates prompt files given as text.
    pub fn load(src: &Sources) -> Result<Self, PromptError> {
        let en = load_principles(src.principles[0].0, &src.principles[0].1)?;
        let vi = load_principles(src.principles[1].0, &src.principles[1].1)?;
        let principles = en.into_iter().zip(vi).map(|((number, key, en), (_, _, vi))| Principle { number, key, en, vi }).collect();
        let m_en = load_messages(src.messages[0].0, &src.messages[0].1)?;
        let m_vi = load_messages(src.messages[1].0, &src.messages[1].1)?;
        // Both languages must offer the same placeholders, or one of them would print a raw
        // `{name}` or drop a value.
        for key in keys::ALL {
            let (a, b) = (placeholders(&m_en[key.0]), placeholders(&m_vi[key.0]));
            if a != b {
                return Err(PromptError {
                    file: src.messages[1].0.to_owned(),
                    place: format!("key {}", key.0),
                    problem: format!("placeholders {b:?} differ from the English {a:?}"),
                });
            }
        }
        Ok(Self { catalog: Catalog::from_checked(principles), messages: [m_en, m_vi] })
    }

    /// The raw text of a message (placeholders unfilled).
    pub fn text(&self, lang: Lang, key: Key) -> &str {
        &self.messages[lang as usize][key.0]
    }

    /// A message with its `{name}` placeholders filled in.
    pub fn render(&self, lang: Lang, key: Key, args: &[(&str, String)]) -> String {
        fill(self.text(lang, key), args)
    }
}

/// Replaces `{name}` with its value; unknown placeholders stay as they are.
pub fn fill(template: &str, args: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) if after[..end].chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
                let name = &after[..end];
                match args.iter().find(|(n, _)| *n == name) {
                    Some((_, v)) => out.push_str(v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[end + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn placeholders(s: &str) -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    let mut rest = s;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) if after[..end].chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && end > 0 => {
                set.insert(after[..end].to_owned());
                rest = &after[end + 1..];
            }
            _ => rest = after,
        }
    }
    set
}

fn load_principles(file: &str, text: &str) -> Result<Vec<(u8, String, PrincipleText)>, PromptError> {
    let err = |place: String, problem: String| PromptError { file: file.to_owned(), place, problem };
    let parsed: PrinciplesFile = toml::from_str(text).map_err(|e| err(String::new(), format!("not valid TOML: {}", e.message())))?;
    if parsed.principle.len() != COUNT as usize {
        return Err(err(String::new(), format!("has {} principles; exactly {COUNT} are needed", parsed.principle.len())));
    }
    let mut out = Vec::with_capacity(COUNT as usize);
    for (i, p) in parsed.principle.into_iter().enumerate() {
        let expected_key = PRINCIPLE_KEYS[i];
        let place = |field: &str| format!("principle {} ({}), field {field}", i + 1, expected_key);
        if usize::from(p.number) != i + 1 {
            return Err(err(place("number"), format!("is {}; principles must be numbered 1 to {COUNT} in order", p.number)));
        }
        if p.key != expected_key {
            return Err(err(place("key"), format!("is {:?}; expected {expected_key:?}", p.key)));
        }
        let check = |field: String, value: &str, max: usize| -> Result<(), PromptError> {
            let len = value.trim().chars().count();
            if len == 0 {
                return Err(err(place(&field), "is empty".into()));
            }
            if len > max {
                return Err(err(place(&field), format!("is {len} characters; at most {max} fit where it is shown")));
            }
            if value.contains("@everyone") || value.contains("@here") || value.contains("<@") {
                return Err(err(place(&field), "contains mention syntax".into()));
            }
            Ok(())
        };
        check("title".into(), &p.title, limits::TITLE)?;
        check("summary".into(), &p.summary, limits::SUMMARY)?;
        check("try_today".into(), &p.try_today, limits::TRY_TODAY)?;
        if p.try_today.contains('\n') {
            return Err(err(place("try_today"), "must be one line".into()));
        }
        if p.tips.len() < 4 {
            return Err(err(place("tips"), format!("has {} tips; at least 4 are needed", p.tips.len())));
        }
        for (j, tip) in p.tips.iter().enumerate() {
            check(format!("tips[{j}]"), tip, limits::TIP)?;
        }
        let field_len: usize = p.tips.iter().map(|t| t.trim().chars().count() + 3).sum();
        if field_len > limits::TIPS_FIELD {
            return Err(err(
                place("tips"),
                format!("together are {field_len} characters with bullets; at most {} fit in one embed field", limits::TIPS_FIELD),
            ));
        }
        if p.questions.len() != 2 {
            return Err(err(place("questions"), format!("has {} questions; exactly 2 are needed", p.questions.len())));
        }
        for (j, q) in p.questions.iter().enumerate() {
            check(format!("questions[{j}]"), q, limits::QUESTION)?;
        }
        let Some(practice) = p.practice else {
            return Err(err(place("practice"), "is missing: every principle needs a team practice".into()));
        };
        let one_line = |field: &str, value: &str| -> Result<(), PromptError> {
            if value.trim().contains('\n') {
                return Err(err(place(field), "must be one line".into()));
            }
            Ok(())
        };
        check("practice.purpose".into(), &practice.purpose, limits::PURPOSE)?;
        one_line("practice.purpose", &practice.purpose)?;
        if !limits::STEPS.contains(&practice.steps.len()) {
            return Err(err(
                place("practice.steps"),
                format!("has {} steps; {} to {} are needed", practice.steps.len(), limits::STEPS.start(), limits::STEPS.end()),
            ));
        }
        for (j, step) in practice.steps.iter().enumerate() {
            check(format!("practice.steps[{j}].text"), &step.text, limits::STEP)?;
            one_line(&format!("practice.steps[{j}].text"), &step.text)?;
            if step.minutes == 0 || step.minutes > 15 {
                return Err(err(
                    place(&format!("practice.steps[{j}].minutes")),
                    format!("is {}; a step takes 1 to 15 minutes", step.minutes),
                ));
            }
        }
        let minutes: u32 = practice.steps.iter().map(|s| u32::from(s.minutes)).sum();
        if !limits::PRACTICE_MINUTES.contains(&minutes) {
            return Err(err(
                place("practice.steps"),
                format!(
                    "take {minutes} minutes together; a practice takes about 15 ({} to {})",
                    limits::PRACTICE_MINUTES.start(),
                    limits::PRACTICE_MINUTES.end()
                ),
            ));
        }
        let steps_len: usize = practice.steps.iter().map(|s| s.text.trim().chars().count() + limits::STEP_DECORATION).sum();
        if steps_len > limits::STEPS_FIELD {
            return Err(err(
                place("practice.steps"),
                format!("together are {steps_len} characters with their minutes; at most {} fit in one embed field", limits::STEPS_FIELD),
            ));
        }
        if practice.questions.len() != 2 {
            return Err(err(place("practice.questions"), format!("has {} questions; exactly 2 are needed", practice.questions.len())));
        }
        for (j, q) in practice.questions.iter().enumerate() {
            check(format!("practice.questions[{j}]"), q, limits::PRACTICE_QUESTION)?;
        }
        check("practice.write_down".into(), &practice.write_down, limits::WRITE_DOWN)?;
        let template = match p.template {
            None => None,
            Some(t) => {
                check("template.title".into(), &t.title, limits::TEMPLATE_TITLE)?;
                one_line("template.title", &t.title)?;
                if t.lines.len() < 3 {
                    return Err(err(place("template.lines"), format!("has {} lines; at least 3 are needed", t.lines.len())));
                }
                for (j, line) in t.lines.iter().enumerate() {
                    check(format!("template.lines[{j}]"), line, limits::TEMPLATE_LINE)?;
                    one_line(&format!("template.lines[{j}]"), line)?;
                }
                let len: usize = t.lines.iter().map(|l| l.trim().chars().count() + 3).sum::<usize>() + 8;
                if len > limits::TEMPLATE_FIELD {
                    return Err(err(
                        place("template.lines"),
                        format!("together are {len} characters as shown; at most {} fit in one embed field", limits::TEMPLATE_FIELD),
                    ));
                }
                Some(Template { title: t.title.trim().to_owned(), lines: t.lines.iter().map(|l| l.trim().to_owned()).collect() })
            }
        };
        let trim = |v: Vec<String>| v.into_iter().map(|s| s.trim().to_owned()).collect();
        out.push((
            p.number,
            p.key,
            PrincipleText {
                title: p.title.trim().to_owned(),
                summary: p.summary.trim().to_owned(),
                tips: trim(p.tips),
                questions: trim(p.questions),
                try_today: p.try_today.trim().to_owned(),
                practice: Practice {
                    purpose: practice.purpose.trim().to_owned(),
                    steps: practice.steps.into_iter().map(|s| (s.minutes, s.text.trim().to_owned())).collect(),
                    questions: trim(practice.questions),
                    write_down: practice.write_down.trim().to_owned(),
                },
                template,
            },
        ));
    }
    Ok(out)
}

fn load_messages(file: &str, text: &str) -> Result<HashMap<String, String>, PromptError> {
    let err = |place: String, problem: String| PromptError { file: file.to_owned(), place, problem };
    let value: toml::Table = toml::from_str(text).map_err(|e| err(String::new(), format!("not valid TOML: {}", e.message())))?;
    let mut flat = HashMap::new();
    flatten("", &toml::Value::Table(value), &mut flat).map_err(|(place, problem)| err(place, problem))?;
    for key in keys::ALL {
        match flat.get(key.0) {
            None => return Err(err(format!("key {}", key.0), "is missing".into())),
            Some(v) if v.trim().is_empty() => return Err(err(format!("key {}", key.0), "is empty".into())),
            Some(v) if v.chars().count() > limits::MESSAGE => {
                return Err(err(format!("key {}", key.0), format!("is longer than {} characters", limits::MESSAGE)))
            }
            Some(_) => {}
        }
    }
    let known: BTreeSet<&str> = keys::ALL.iter().map(|k| k.0).collect();
    if let Some(extra) = flat.keys().find(|k| !known.contains(k.as_str())) {
        return Err(err(format!("key {extra}"), "is not used by the bot (a typo?)".into()));
    }
    Ok(flat)
}

fn flatten(prefix: &str, v: &toml::Value, out: &mut HashMap<String, String>) -> Result<(), (String, String)> {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&key, v, out)?;
            }
            Ok(())
        }
        toml::Value::String(s) => {
            out.insert(prefix.to_owned(), s.trim_end_matches('\n').to_owned());
            Ok(())
        }
        _ => Err((format!("key {prefix}"), "must be a string".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_prompts_are_valid() {
        let p = Prompts::builtin().unwrap();
        assert_eq!(p.catalog.all().len(), 10);
        assert_eq!(p.catalog.get(4).vi.title, "Giao tiếp hiệu quả");
    }

    #[test]
    fn every_key_the_code_uses_exists_in_both_languages() {
        let p = Prompts::builtin().unwrap();
        for lang in Lang::ALL {
            for key in keys::ALL {
                assert!(!p.text(lang, *key).is_empty(), "{lang} {}", key.0);
            }
        }
    }

    fn broken(f: impl FnOnce(&mut Sources)) -> PromptError {
        let mut s = Sources::builtin();
        f(&mut s);
        Prompts::load(&s).unwrap_err()
    }

    #[test]
    fn a_missing_field_names_the_file_principle_and_field() {
        let e = broken(|s| {
            let t = &mut s.principles[1].1;
            let start = t.find("try_today").unwrap();
            let end = start + t[start..].find('\n').unwrap();
            t.replace_range(start..=end, "");
        });
        assert_eq!(e.file, "prompts/principles.vi.toml");
        assert!(e.to_string().contains("try_today"), "{e}");
    }

    #[test]
    fn a_tip_over_the_limit_names_the_principle_and_the_tip() {
        let e = broken(|s| {
            let t = &mut s.principles[0].1;
            let at = t.find("tips = [").unwrap() + "tips = [".len();
            t.insert_str(at, &format!("\n  \"{}\",", "x".repeat(250)));
        });
        assert_eq!(e.file, "prompts/principles.en.toml");
        assert_eq!(e.place, "principle 1 (common-goals), field tips[0]");
        assert!(e.problem.contains("250 characters"), "{e}");
    }

    #[test]
    fn nine_principles_are_refused() {
        let e = broken(|s| {
            let t = &mut s.principles[0].1;
            let last = t.rfind("[[principle]]").unwrap();
            t.truncate(last);
        });
        assert!(e.problem.contains("has 9 principles"), "{e}");
    }

    #[test]
    fn malformed_toml_is_refused_with_the_file_name() {
        let e = broken(|s| s.messages[1].1.push_str("\n[broken"));
        assert_eq!(e.file, "prompts/messages.vi.toml");
        assert!(e.problem.starts_with("not valid TOML"));
    }

    #[test]
    fn a_missing_message_key_is_named() {
        let e = broken(|s| {
            let t = &mut s.messages[0].1;
            let start = t.find("\nguild_only").unwrap();
            let end = start + 1 + t[start + 1..].find('\n').unwrap();
            t.replace_range(start..end, "");
        });
        assert_eq!(e.place, "key err.guild_only");
        assert_eq!(e.problem, "is missing");
    }

    #[test]
    fn a_practice_that_does_not_take_about_fifteen_minutes_is_refused() {
        let e = broken(|s| {
            let t = &mut s.principles[1].1;
            let at = t.find("{ minutes = 3,").unwrap();
            t.replace_range(at..at + "{ minutes = 3,".len(), "{ minutes = 12,");
        });
        assert_eq!(e.file, "prompts/principles.vi.toml");
        assert_eq!(e.place, "principle 1 (common-goals), field practice.steps");
        assert!(e.problem.contains("24 minutes"), "{e}");
    }

    #[test]
    fn a_missing_practice_names_the_principle() {
        let e = broken(|s| {
            let t = &mut s.principles[0].1;
            let start = t.find("[principle.practice]").unwrap();
            let end = start + t[start..].find("[principle.template]").unwrap();
            t.replace_range(start..end, "");
        });
        assert_eq!(e.file, "prompts/principles.en.toml");
        assert_eq!(e.place, "principle 1 (common-goals), field practice");
    }

    #[test]
    fn a_template_line_over_the_limit_is_refused() {
        let e = broken(|s| {
            let t = &mut s.principles[0].1;
            let at = t.find("[principle.template]").unwrap();
            let at = at + t[at..].find("lines = [").unwrap() + "lines = [".len();
            t.insert_str(at, &format!("\n  \"{}\",", "y".repeat(300)));
        });
        assert_eq!(e.place, "principle 1 (common-goals), field template.lines[0]");
    }

    /// Text compared without case, marks or punctuation.
    fn normalised(s: &str) -> String {
        crate::domain::text::words(s).join(" ")
    }

    /// The principles that come with a template to pin.
    const WITH_TEMPLATE: [u8; 5] = [1, 2, 5, 7, 9];

    #[test]
    fn every_principle_is_whole_in_both_languages_one_to_one() {
        let p = Prompts::builtin().unwrap();
        for pr in p.catalog.all() {
            let n = pr.number;
            for lang in Lang::ALL {
                let t = pr.text(lang);
                assert!(t.tips.len() >= 6, "{lang} {n}: {} tips", t.tips.len());
                assert_eq!(t.questions.len(), 2, "{lang} {n}: reflection questions");
                let today = normalised(&t.try_today);
                for tip in &t.tips {
                    assert_ne!(normalised(tip), today, "{lang} {n}: try_today repeats a tip");
                }
                let practice = &t.practice;
                assert!((3..=4).contains(&practice.steps.len()), "{lang} {n}: {} steps", practice.steps.len());
                assert!((13..=17).contains(&practice.minutes()), "{lang} {n}: {} minutes", practice.minutes());
                assert_eq!(practice.questions.len(), 2, "{lang} {n}: group questions");
                assert!(!practice.purpose.is_empty() && !practice.write_down.is_empty(), "{lang} {n}");
                assert_eq!(t.template.is_some(), WITH_TEMPLATE.contains(&n), "{lang} {n}: template");
            }
            let (en, vi) = (&pr.en, &pr.vi);
            assert_eq!(en.tips.len(), vi.tips.len(), "{n}: tips");
            assert_eq!(en.practice.steps.len(), vi.practice.steps.len(), "{n}: steps");
            let minutes = |t: &PrincipleText| t.practice.steps.iter().map(|(m, _)| *m).collect::<Vec<_>>();
            assert_eq!(minutes(en), minutes(vi), "{n}: the same minutes for each step in both languages");
            assert_eq!(en.template.as_ref().map(|t| t.lines.len()), vi.template.as_ref().map(|t| t.lines.len()), "{n}: template lines");
        }
    }

    #[test]
    fn the_goal_and_agreement_templates_end_by_pointing_to_the_charter() {
        let p = Prompts::builtin().unwrap();
        for n in [1, 5] {
            for lang in Lang::ALL {
                let last = p.catalog.get(n).text(lang).template.as_ref().unwrap().lines.last().unwrap().clone();
                assert!(last.contains("`/charter propose`"), "{lang} {n}: {last}");
            }
        }
    }

    #[test]
    fn practice_questions_speak_to_the_group_not_to_one_person() {
        let p = Prompts::builtin().unwrap();
        for pr in p.catalog.all() {
            for q in &pr.en.practice.questions {
                let w = crate::domain::text::words(q);
                assert!(!w.iter().any(|w| ["i", "my", "me"].contains(&w.as_str())), "{}: {q}", pr.number);
                assert!(w.iter().any(|w| ["we", "us", "our"].contains(&w.as_str())), "{}: {q}", pr.number);
            }
            for q in &pr.vi.practice.questions {
                assert!(!crate::domain::text::words(q).contains(&"toi".to_owned()), "{}: {q}", pr.number);
                assert!(q.to_lowercase().contains("chúng ta"), "{}: {q}", pr.number);
            }
        }
    }

    /// Every Vietnamese text the bot can show: principle fields and message values.
    fn vietnamese_texts(p: &Prompts) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = p.messages[Lang::Vi as usize].iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        for pr in p.catalog.all() {
            let t = &pr.vi;
            let n = pr.number;
            let mut add = |field: &str, v: &str| out.push((format!("principle {n} {field}"), v.to_owned()));
            add("title", &t.title);
            add("summary", &t.summary);
            t.tips.iter().for_each(|v| add("tip", v));
            t.questions.iter().for_each(|v| add("question", v));
            add("try_today", &t.try_today);
            add("practice.purpose", &t.practice.purpose);
            t.practice.steps.iter().for_each(|(_, v)| add("practice.step", v));
            t.practice.questions.iter().for_each(|v| add("practice.question", v));
            add("practice.write_down", &t.practice.write_down);
            if let Some(tpl) = &t.template {
                add("template.title", &tpl.title);
                tpl.lines.iter().for_each(|v| add("template.line", v));
            }
        }
        out
    }

    #[test]
    fn vietnamese_uses_one_style_no_calqued_semicolons_and_one_word_per_notion() {
        let p = Prompts::builtin().unwrap();
        for (place, text) in vietnamese_texts(&p) {
            assert!(!text.contains(';'), "{place}: a semicolon calqued from English: {text}");
            for word in text.split(|c: char| !c.is_alphabetic()).map(str::to_lowercase) {
                let c: Vec<char> = word.chars().collect();
                let old_style = match c.as_slice() {
                    [.., 'o', last] => "áàảãạéèẻẽẹ".contains(*last),
                    [.., before, 'u', last] => *before != 'q' && "ýỳỷỹỵ".contains(*last),
                    ['u', last] => "ýỳỷỹỵ".contains(*last),
                    _ => false,
                };
                assert!(!old_style, "{place}: `{word}` uses the old tone-mark style (write hóa, hòa, thỏa, thủy)");
            }
            for other in ["hạn chót", "thời hạn", "hạn hoàn thành", "lời hứa", "trưởng nhóm/", "người dẫn dắt"] {
                assert!(!text.contains(other), "{place}: `{other}`: say hạn, cam kết, trưởng nhóm");
            }
        }
    }

    #[test]
    fn the_principles_never_use_the_reflexive_minh_and_public_posts_speak_to_the_team() {
        let p = Prompts::builtin().unwrap();
        for (place, text) in vietnamese_texts(&p).into_iter().filter(|(k, _)| k.starts_with("principle ")) {
            assert!(!crate::domain::text::words(&text).contains(&"minh".to_owned()), "{place}: {text}");
        }
        // The daily post and the digest are read by the whole team: "các bạn", never one "bạn".
        for (key, text) in &p.messages[Lang::Vi as usize] {
            if ["daily.", "digest.", "focus."].iter().any(|s| key.starts_with(s)) {
                let lower = text.to_lowercase();
                let lone = lower.match_indices("bạn").any(|(i, _)| !lower[..i].ends_with("các "));
                assert!(!lone, "{key} addresses one member in a public post: {text}");
            }
        }
        assert!(p.text(Lang::Vi, keys::DAILY_INVITE).contains("các bạn"));
    }

    #[test]
    fn the_partner_is_said_once_to_be_a_client_another_team_or_a_teammate() {
        let p = Prompts::builtin().unwrap();
        let goals = p.catalog.get(1);
        for (lang, phrase) in [(Lang::En, "a client, another team or a teammate"), (Lang::Vi, "khách hàng, một nhóm khác hay")] {
            assert!(p.text(lang, keys::HELP_BODY).contains(phrase), "{lang} help.body");
            assert!(goals.text(lang).summary.contains(phrase), "{lang} principle 1");
        }
    }

    #[test]
    fn the_digest_calls_the_keep_rate_a_score_and_says_why_blockers_point_to_conflict() {
        let p = Prompts::builtin().unwrap();
        let en = p.text(Lang::En, keys::FOCUS_LOW_KEEP_RATE);
        assert!(en.contains("half") && !en.contains("were kept"), "{en}");
        assert!(p.text(Lang::Vi, keys::FOCUS_LOW_KEEP_RATE).contains("một nửa"));
        assert!(p.text(Lang::En, keys::FOCUS_PERSISTENT_BLOCKERS).contains("disagreement"));
        assert!(p.text(Lang::Vi, keys::FOCUS_PERSISTENT_BLOCKERS).contains("bất đồng"));
    }

    #[test]
    fn practices_and_templates_fit_in_discord_embeds() {
        let p = Prompts::builtin().unwrap();
        for pr in p.catalog.all() {
            for lang in Lang::ALL {
                let t = pr.text(lang);
                let steps: usize = t.practice.steps.iter().map(|(m, s)| format!("**{m} min** · {s}\n").chars().count()).sum();
                assert!(steps <= 1024, "{lang} {}: steps field {steps}", pr.number);
                let questions: usize = t.practice.questions.iter().map(|q| q.chars().count() + 3).sum();
                assert!(questions <= 1024 && t.practice.write_down.chars().count() <= 1024);
                if let Some(tpl) = &t.template {
                    let field = format!("```\n{}\n```", tpl.lines.join("\n")).chars().count();
                    assert!(field <= 1024 && tpl.title.chars().count() <= 256, "{lang} {}: template {field}", pr.number);
                }
            }
        }
    }

    #[test]
    fn fill_replaces_known_placeholders_only() {
        assert_eq!(fill("{a} and {b} {", &[("a", "1".into())]), "1 and {b} {");
    }
}
