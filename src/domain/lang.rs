//! The two languages the bot speaks.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A language the bot can answer in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English.
    En,
    /// Vietnamese (tiếng Việt).
    Vi,
}

impl Lang {
    /// Both languages, English first.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Vi];

    /// The short code stored in the database and used in file names.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Vi => "vi",
        }
    }

    /// Parses `en` or `vi` (any case).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" | "english" => Some(Lang::En),
            "vi" | "vietnamese" | "tiếng việt" => Some(Lang::Vi),
            _ => None,
        }
    }

    /// The language for a Discord locale: `vi` means Vietnamese, anything else English.
    pub fn from_locale(locale: &str) -> Self {
        if locale == "vi" || locale.starts_with("vi-") {
            Lang::Vi
        } else {
            Lang::En
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vietnamese_locale_means_vietnamese_and_everything_else_english() {
        assert_eq!(Lang::from_locale("vi"), Lang::Vi);
        assert_eq!(Lang::from_locale("en-US"), Lang::En);
        assert_eq!(Lang::from_locale("fr"), Lang::En);
        assert_eq!(Lang::from_locale(""), Lang::En);
    }

    #[test]
    fn parse_accepts_codes_in_any_case() {
        assert_eq!(Lang::parse("VI"), Some(Lang::Vi));
        assert_eq!(Lang::parse(" en "), Some(Lang::En));
        assert_eq!(Lang::parse("de"), None);
    }
}
