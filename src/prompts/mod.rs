//! Everything the bot says, loaded from `prompts/` (built into the binary with
//! `include_str!`, so a fresh build needs no extra files) and validated at start: a malformed
//! file is an error naming the file, the principle or key, and the field.

/// The message keys live in [`crate::keys`], where the domain can name them without depending on the loader.
pub use crate::keys;

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use serde::Deserialize;

use crate::domain::lang::Lang;
use crate::domain::principles::{Catalog, Principle, PrincipleText, COUNT};
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
    fn fill_replaces_known_placeholders_only() {
        assert_eq!(fill("{a} and {b} {", &[("a", "1".into())]), "1 and {b} {");
    }
}
