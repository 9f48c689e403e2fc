//! Settings from the environment (and `.env`), exactly as DESIGN.md's table names them.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::sqlite::SqliteConnectOptions;

use crate::domain::ids::GuildId;

/// The bot token. Its `Debug` and `Display` never show it, so it cannot leak into a log line
/// or a panic message by accident.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// Wraps a token.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The secret itself, for the one place that sends it to Discord.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token([redacted])")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The default database, next to where the bot runs.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://partner-coach.db";

/// The bot's settings.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `DISCORD_TOKEN`: required by `run`.
    pub token: Option<Token>,
    /// `DATABASE_URL`.
    pub database_url: String,
    /// `DISCORD_API_URL`: replaces `https://discord.com` for REST and gateway discovery.
    pub api_url: Option<String>,
    /// `DISCORD_GUILD_ID`: register commands in this guild only.
    pub guild_id: Option<GuildId>,
    /// `RUST_LOG`.
    pub log_filter: String,
}

/// A setting that cannot be used, with what to do about it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettingsError {
    /// No token.
    #[error("DISCORD_TOKEN is not set: put your bot token in .env (see .env.example) or the environment; README.md \"Create the Discord application\" explains where to get it")]
    MissingToken,
    /// A token that cannot be one (empty, or with whitespace inside).
    #[error("DISCORD_TOKEN does not look like a bot token (it is empty or contains spaces); copy it again from the Bot page of your Discord application")]
    MalformedToken,
    /// DATABASE_URL is not a SQLite URL (shown without its password).
    #[error("DATABASE_URL={0:?} is not a SQLite URL; use sqlite://path/to/file.db (default {DEFAULT_DATABASE_URL})")]
    BadDatabaseUrl(String),
    /// DATABASE_URL is PostgreSQL, which this build runs only for `check` and `copy-db`.
    #[error(
        "DATABASE_URL={0:?} is PostgreSQL: this build runs the bot on SQLite only (`check` and `copy-db` already work with PostgreSQL); \
         use sqlite://path/to/file.db (default {DEFAULT_DATABASE_URL})"
    )]
    PostgresNotYet(String),
    /// The database directory does not exist or cannot be written.
    #[error("DATABASE_URL={url:?}: {problem}")]
    DatabasePath {
        /// The URL as given.
        url: String,
        /// What is wrong with its path.
        problem: String,
    },
    /// DISCORD_API_URL is not an http(s) URL.
    #[error("DISCORD_API_URL={0:?} is not a base URL; use http://host:port or https://host, or leave it unset for the real Discord")]
    BadApiUrl(String),
    /// DISCORD_GUILD_ID is not a snowflake.
    #[error("DISCORD_GUILD_ID={0:?} is not a server id; right-click the server with Developer Mode on, choose Copy Server ID, or leave it unset")]
    BadGuildId(String),
}

impl Settings {
    /// Reads the settings from the process environment, after loading `.env` if there is one
    /// (variables already set win over `.env`).
    pub fn from_env() -> Result<Self, SettingsError> {
        let _ = dotenvy::dotenv();
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads the settings through `get`, so tests do not touch the process environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let non_empty = |k: &str| get(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let token = match get("DISCORD_TOKEN") {
            None => None,
            Some(t) if t.trim().is_empty() => None,
            Some(t) if t.trim().contains(char::is_whitespace) => return Err(SettingsError::MalformedToken),
            Some(t) => Some(Token::new(t.trim())),
        };
        let database_url = non_empty("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let api_url = match non_empty("DISCORD_API_URL") {
            None => None,
            Some(u) if u.starts_with("http://") || u.starts_with("https://") => Some(u.trim_end_matches('/').to_owned()),
            Some(u) => return Err(SettingsError::BadApiUrl(u)),
        };
        let guild_id = match non_empty("DISCORD_GUILD_ID") {
            None => None,
            Some(g) => Some(g.parse::<GuildId>().ok().filter(|g| g.get() > 0).ok_or(SettingsError::BadGuildId(g))?),
        };
        let log_filter = non_empty("RUST_LOG").unwrap_or_else(|| "info".to_owned());
        Ok(Self { token, database_url, api_url, guild_id, log_filter })
    }

    /// The token, or the error `run` reports without one.
    pub fn require_token(&self) -> Result<&Token, SettingsError> {
        self.token.as_ref().ok_or(SettingsError::MissingToken)
    }

    /// Connection options for the database, after checking the URL and that its directory
    /// exists and is writable (SQLite's own message for that is "unable to open database
    /// file", which does not say which file or why).
    pub fn database_options(&self) -> Result<SqliteConnectOptions, SettingsError> {
        database_options(&self.database_url)
    }
}

/// See [`Settings::database_options`].
pub fn database_options(url: &str) -> Result<SqliteConnectOptions, SettingsError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Err(SettingsError::PostgresNotYet(redacted(url)));
    }
    if !url.starts_with("sqlite:") {
        return Err(SettingsError::BadDatabaseUrl(redacted(url)));
    }
    let opts = SqliteConnectOptions::from_str(url).map_err(|_| SettingsError::BadDatabaseUrl(redacted(url)))?;
    let path = opts.get_filename();
    if path.as_os_str().is_empty() || path == Path::new(":memory:") {
        return Ok(opts);
    }
    check_writable(path).map_err(|problem| SettingsError::DatabasePath { url: url.to_owned(), problem })?;
    Ok(opts)
}

/// A database URL as it may be printed or logged: its password replaced by `***`.
pub fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

fn check_writable(path: &Path) -> Result<(), String> {
    let dir: PathBuf = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let meta =
        std::fs::metadata(&dir).map_err(|_| format!("the directory {} does not exist; create it or choose another path", dir.display()))?;
    if !meta.is_dir() {
        return Err(format!("{} is not a directory", dir.display()));
    }
    if path.is_dir() {
        return Err(format!("{} is a directory, not a database file", path.display()));
    }
    // Permissions bits lie for root and on some file systems; trying is the only honest test.
    let probe = dir.join(format!(".partner-coach-write-test-{}", std::process::id()));
    match std::fs::OpenOptions::new().write(true).create(true).truncate(true).open(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
        }
        Err(e) => return Err(format!("cannot write in {}: {e}", dir.display())),
    }
    // The database file itself is only looked at, never opened: closing any descriptor of a
    // file drops every POSIX lock this process holds on it, including SQLite's.
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.permissions().readonly() {
            return Err(format!("{} is read-only", path.display()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_match_the_design_table() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.database_url, "sqlite://partner-coach.db");
        assert!(s.token.is_none() && s.api_url.is_none() && s.guild_id.is_none());
        assert_eq!(s.log_filter, "info");
    }

    #[test]
    fn a_missing_token_says_what_to_set_and_where_the_readme_explains_it() {
        let e = settings(&[]).unwrap().require_token().unwrap_err().to_string();
        assert!(e.contains("DISCORD_TOKEN") && e.contains(".env") && e.contains("README"), "{e}");
    }

    #[test]
    fn the_token_never_appears_in_debug_output() {
        let s = settings(&[("DISCORD_TOKEN", "MTIz.secret-token.value")]).unwrap();
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("secret-token"), "{dbg}");
        assert!(dbg.contains("redacted"));
    }

    #[test]
    fn bad_values_are_refused_with_the_variable_name() {
        assert!(settings(&[("DATABASE_URL", "postgres://x")]).is_ok());
        let e = settings(&[("DATABASE_URL", "postgres://x")]).unwrap().database_options().unwrap_err();
        assert!(e.to_string().contains("DATABASE_URL") && e.to_string().contains("sqlite://"));
        // A password in the URL never reaches the message (nor the log it is written to).
        let e = database_options("postgres://bot:s3cret@db.example/pc").unwrap_err().to_string();
        assert!(e.contains("bot:***@db.example") && !e.contains("s3cret") && e.contains("SQLite only"), "{e}");
        let e = settings(&[("DISCORD_API_URL", "localhost:3000")]).unwrap_err();
        assert!(e.to_string().contains("DISCORD_API_URL"));
        let e = settings(&[("DISCORD_GUILD_ID", "my-server")]).unwrap_err();
        assert!(e.to_string().contains("DISCORD_GUILD_ID"));
        let e = settings(&[("DISCORD_TOKEN", "two words")]).unwrap_err();
        assert_eq!(e, SettingsError::MalformedToken);
    }

    #[test]
    fn a_database_in_a_missing_directory_is_named() {
        let e = database_options("sqlite:///no/such/dir/pc.db").unwrap_err().to_string();
        assert!(e.contains("/no/such/dir") && e.contains("does not exist"), "{e}");
    }

    #[test]
    fn the_api_url_loses_its_trailing_slash() {
        let s = settings(&[("DISCORD_API_URL", "http://127.0.0.1:3000/")]).unwrap();
        assert_eq!(s.api_url.as_deref(), Some("http://127.0.0.1:3000"));
    }
}
