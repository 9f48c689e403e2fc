//! Text rules for what members type: folding for search, cleaning and limits for notes, and
//! neutralising anything that could ping or forge structure when shown again.

use unicode_normalization::UnicodeNormalization;

use super::refusal::Refusal;
use crate::keys as k;

/// Lowercases and strips diacritics so "Giao tiếp" and "giao tiep" compare equal. Vietnamese
/// `đ` is a letter of its own, not a `d` with a mark, so it is mapped by hand.
pub fn fold(s: &str) -> String {
    s.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'đ' { 'd' } else { c })
        .collect()
}

/// Splits folded text into words on anything that is not a letter or digit.
pub fn words(s: &str) -> Vec<String> {
    fold(s).split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_owned).collect()
}

/// A member's note after the server-side rules: trimmed, control characters removed (newlines
/// kept inside, collapsed), never empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note(String);

impl Note {
    /// Cleans `raw` and checks it against `limit` characters. Empty after cleaning is `None`.
    /// Over the limit is refused with the limit, the length sent and the text itself, so the
    /// member can copy it back.
    pub fn parse(raw: &str, limit: usize, field: &str) -> Result<Option<Self>, Refusal> {
        let cleaned = clean(raw);
        if cleaned.is_empty() {
            return Ok(None);
        }
        let len = cleaned.chars().count();
        if len > limit {
            return Err(Refusal::new(k::ERR_TOO_LONG).arg("field", field).arg("limit", limit).arg("length", len).arg("text", raw.trim()));
        }
        Ok(Some(Self(cleaned)))
    }

    /// The cleaned text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Takes the cleaned text out.
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Trims, drops control characters (keeping single newlines between lines) and squeezes runs
/// of blank lines, so a note cannot smuggle terminal escapes or bury text under empty space.
pub fn clean(raw: &str) -> String {
    let lines: Vec<String> = raw
        .split('\n')
        .map(|line| line.chars().filter(|c| !c.is_control() && !is_invisible_format(*c)).collect::<String>().trim().to_owned())
        .collect();
    let mut out = String::new();
    let mut blank = false;
    for line in lines {
        if line.is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank { "\n\n" } else { "\n" });
        }
        blank = false;
        out.push_str(&line);
    }
    out
}

/// Zero-width and direction-override characters: invisible, and used to disguise text.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

/// Makes member text safe to show inside a bot message: mentions cannot ping or render
/// (a zero-width space after `@`, `<@…>`, `<#…>` and `<@&…>` broken), and markdown that could
/// forge structure (headings, quotes, lists, code fences, masked links, bold "labels") is
/// escaped. `allowed_mentions` already stops pings; this also stops the *look* of one.
pub fn neutralize(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for (i, line) in s.lines().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let line = line.trim_start();
        // Structure markers only matter at the start of a line; escape them there.
        let starts_structure = line.starts_with('#')
            || line.starts_with('>')
            || line.starts_with("- ")
            || line.starts_with("-# ")
            || line.starts_with("* ")
            || line.starts_with("+ ")
            || line.starts_with(|c: char| c.is_ascii_digit()) && line.contains(". ");
        if starts_structure {
            out.push('\\');
        }
        for c in line.chars() {
            match c {
                '@' => out.push_str("@\u{200B}"),
                '<' => out.push_str("<\u{200B}"),
                '*' | '_' | '~' | '`' | '|' | '[' | ']' | '\\' => {
                    out.push('\\');
                    out.push(c);
                }
                _ => out.push(c),
            }
        }
    }
    out
}

/// Shortens `s` to at most `max` characters, ending with an ellipsis when it had to cut.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    // Do not leave a dangling escape backslash that would eat the ellipsis.
    while out.ends_with('\\') {
        out.pop();
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_strips_vietnamese_diacritics_and_case() {
        assert_eq!(fold("Giao tiếp hiệu quả"), "giao tiep hieu qua");
        assert_eq!(fold("Đánh giá"), "danh gia");
        assert_eq!(fold("THỨ SÁU"), "thu sau");
    }

    #[test]
    fn a_note_is_trimmed_and_loses_control_characters() {
        let n = Note::parse("  hello\u{7}\u{1b}[31m world \u{200B} ", 500, "note").unwrap();
        assert_eq!(n.unwrap().as_str(), "hello[31m world");
    }

    #[test]
    fn an_empty_note_is_none() {
        assert_eq!(Note::parse(" \n\t ", 500, "note").unwrap(), None);
    }

    #[test]
    fn a_note_over_the_limit_is_refused_with_limit_length_and_text() {
        let raw = "x".repeat(5000);
        let err = Note::parse(&raw, 500, "note").unwrap_err();
        assert_eq!(err.key, k::ERR_TOO_LONG);
        assert!(err.args.contains(&("limit", "500".into())));
        assert!(err.args.contains(&("length", "5000".into())));
        assert!(err.args.contains(&("text", raw)));
    }

    #[test]
    fn the_limit_counts_characters_not_bytes() {
        let raw = "ệ".repeat(300);
        assert!(Note::parse(&raw, 300, "note").unwrap().is_some());
    }

    #[test]
    fn blank_line_runs_are_squeezed() {
        assert_eq!(clean("a\n\n\n\nb\nc"), "a\n\nb\nc");
    }

    #[test]
    fn neutralize_breaks_mentions_and_escapes_structure() {
        let s = neutralize("@everyone <@123> # Focus\n## Fake heading **bold**");
        assert!(!s.contains("@everyone"));
        assert!(!s.contains("<@123>"));
        assert!(s.contains("\\*\\*bold\\*\\*"));
        assert!(s.contains("\\## Fake heading"));
        assert!(!s.contains('\n'));
    }

    #[test]
    fn shorten_adds_an_ellipsis_only_when_it_cuts() {
        assert_eq!(shorten("short", 10), "short");
        let s = shorten(&"word ".repeat(100), 20);
        assert!(s.chars().count() <= 20);
        assert!(s.ends_with('…'));
    }
}
