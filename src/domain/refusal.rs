//! What the user did wrong, said in a way the Discord layer can put into either language.

use std::fmt;

use crate::keys::Key;

/// A refused input: a message key from `prompts/messages.*.toml` plus its placeholder values.
/// Anything the user typed goes into `args` so the reply can give it back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// Which message explains the problem.
    pub key: Key,
    /// Values for the `{name}` placeholders of that message.
    pub args: Vec<(&'static str, String)>,
}

impl Refusal {
    /// A refusal without placeholders.
    pub fn new(key: Key) -> Self {
        Self { key, args: Vec::new() }
    }

    /// Adds a placeholder value.
    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.key.0)?;
        for (k, v) in &self.args {
            write!(f, " {k}={v:?}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Refusal {}
