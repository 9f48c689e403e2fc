//! Settings from the environment (and `.env`), exactly as DESIGN.md's table names them.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;
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
    /// `SHARD_COUNT`: every process's shards together; `None` = Discord's recommendation.
    pub shard_count: Option<u32>,
    /// `SHARDS`: this process's shards, `(first, last)` inclusive, as given (checked against
    /// the count once it is known); `None` = all of them.
    pub shards: Option<(u32, u32)>,
    /// `SHARDS` as written, for messages.
    pub shards_text: String,
    /// `METRICS_ADDR`: where `/metrics` and `/healthz` are served; `None` = nowhere.
    pub metrics_addr: Option<std::net::SocketAddr>,
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
    /// DATABASE_URL is neither a SQLite nor a PostgreSQL URL, or does not parse as one
    /// (shown without its password).
    #[error(
        "DATABASE_URL={0:?} is not a database URL the bot can use; use sqlite://path/to/file.db (default {DEFAULT_DATABASE_URL}) \
         or postgres://user:password@host:port/database"
    )]
    BadDatabaseUrl(String),
    /// A PostgreSQL URL where only a SQLite file will do (`copy-db --from`, `backup`'s copy).
    #[error("{0:?} is a PostgreSQL URL; this needs a SQLite database (sqlite://path/to/file.db)")]
    NotSqlite(String),
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
    /// SHARD_COUNT or SHARDS cannot be used.
    #[error(transparent)]
    Shards(#[from] crate::domain::shards::ShardError),
    /// METRICS_ADDR is not host:port.
    #[error("METRICS_ADDR={0:?} is not an address to listen on; use IP:PORT such as 127.0.0.1:9100, or leave it unset")]
    BadMetricsAddr(String),
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
        let shard_count = non_empty("SHARD_COUNT").map(|c| crate::domain::shards::parse_count(&c)).transpose()?;
        let shards_text = non_empty("SHARDS").unwrap_or_default();
        let shards = if shards_text.is_empty() { None } else { Some(crate::domain::shards::parse_range(&shards_text)?) };
        // A range checked against a count given here fails at once; against Discord's
        // recommendation, once the bot has asked for it.
        if let (Some(count), Some(range)) = (shard_count, shards) {
            crate::domain::shards::ShardRange::new(Some(range), count, &shards_text)?;
        }
        let metrics_addr = match non_empty("METRICS_ADDR") {
            None => None,
            Some(a) => Some(a.parse::<std::net::SocketAddr>().map_err(|_| SettingsError::BadMetricsAddr(a))?),
        };
        Ok(Self { token, database_url, api_url, guild_id, log_filter, shard_count, shards, shards_text, metrics_addr })
    }

    /// The token, or the error `run` reports without one.
    pub fn require_token(&self) -> Result<&Token, SettingsError> {
        self.token.as_ref().ok_or(SettingsError::MissingToken)
    }

    /// The database `DATABASE_URL` names, checked before anything connects: see [`database`].
    pub fn database(&self) -> Result<Database, SettingsError> {
        database(&self.database_url)
    }

    /// SQLite connection options for the database, after checking the URL and that its
    /// directory exists and is writable: see [`database_options`].
    pub fn database_options(&self) -> Result<SqliteConnectOptions, SettingsError> {
        database_options(&self.database_url)
    }
}

/// Which backend a `DATABASE_URL` selects, with what is needed to open it.
#[derive(Clone, Debug)]
pub enum Database {
    /// A SQLite file (its directory checked by [`database_options`]); boxed, as the options
    /// are ten times the size of the other variant.
    Sqlite(Box<SqliteConnectOptions>),
    /// A PostgreSQL server: the URL as given (it parsed; it is only ever shown through
    /// [`redacted`]).
    Postgres(String),
}

/// The backend `url` selects: `postgres://` and `postgresql://` are PostgreSQL, `sqlite:` is
/// SQLite, anything else is refused. A PostgreSQL URL is only parsed here (a server is
/// reached when the store opens), so a typo in it is a settings error, not a connection one.
pub fn database(url: &str) -> Result<Database, SettingsError> {
    if crate::storage::is_postgres_url(url) {
        PgConnectOptions::from_str(url).map_err(|_| SettingsError::BadDatabaseUrl(redacted(url)))?;
        return Ok(Database::Postgres(url.to_owned()));
    }
    database_options(url).map(|o| Database::Sqlite(Box::new(o)))
}

/// SQLite connection options for `url`, after checking that its directory exists and is
/// writable (SQLite's own message for that is "unable to open database file", which does
/// not say which file or why).
pub fn database_options(url: &str) -> Result<SqliteConnectOptions, SettingsError> {
    if crate::storage::is_postgres_url(url) {
        return Err(SettingsError::NotSqlite(redacted(url)));
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

/// A database URL as it may be printed or logged: its password replaced by `***`, both
/// the one in `user:password@` and a `password=` query parameter (libpq's and sqlx's other
/// way to give it).
pub fn redacted(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let mut out = match (base.find("://"), base.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &base[scheme + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &base[..scheme + 3], &base[at..])
        }
        _ => base.to_owned(),
    };
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => p.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
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
    fn shard_settings_are_read_and_a_bad_one_is_one_clear_line() {
        let s = settings(&[("SHARD_COUNT", "4"), ("SHARDS", "2-3"), ("METRICS_ADDR", "127.0.0.1:9100")]).unwrap();
        assert_eq!((s.shard_count, s.shards, s.metrics_addr.map(|a| a.port())), (Some(4), Some((2, 3)), Some(9100)));
        let s = settings(&[("SHARDS", "5")]).unwrap();
        assert_eq!((s.shard_count, s.shards), (None, Some((5, 5))), "checked once Discord says how many");
        for (vars, says) in [
            (vec![("SHARDS", "3-1")], "runs backwards"),
            (vec![("SHARD_COUNT", "8"), ("SHARDS", "9")], "names shard 9, but there are 8 shards"),
            (vec![("SHARDS", "one")], "is not a shard"),
            (vec![("SHARD_COUNT", "0")], "SHARD_COUNT=\"0\""),
            (vec![("METRICS_ADDR", "localhost")], "METRICS_ADDR=\"localhost\""),
        ] {
            let e = settings(&vars).unwrap_err().to_string();
            assert!(e.contains(says) && !e.contains('\n'), "{vars:?}: {e}");
        }
    }

    #[test]
    fn defaults_match_the_design_table() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.database_url, "sqlite://partner-coach.db");
        assert!(s.token.is_none() && s.api_url.is_none() && s.guild_id.is_none());
        assert_eq!(s.log_filter, "info");
        assert!(s.shard_count.is_none() && s.shards.is_none() && s.metrics_addr.is_none(), "all shards, as Discord recommends; no metrics");
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
        let e = settings(&[("DATABASE_URL", "mysql://bot@db/pc")]).unwrap().database().unwrap_err().to_string();
        assert!(e.contains("DATABASE_URL") && e.contains("sqlite://") && e.contains("postgres://"), "{e}");
        // A PostgreSQL URL that does not parse (a port that is not a number) is a settings
        // error, and its password never reaches the message (nor the log it is written to).
        let e = database("postgres://bot:s3cret@db.example:54x/pc").unwrap_err().to_string();
        assert!(e.contains("DATABASE_URL") && e.contains("bot:***@db.example") && !e.contains("s3cret"), "{e}");
        // Where only a SQLite file will do, a PostgreSQL URL is named as such, without its password.
        let e = database_options("postgres://bot:s3cret@db.example/pc").unwrap_err().to_string();
        assert!(e.contains("bot:***@db.example") && !e.contains("s3cret") && e.contains("needs a SQLite database"), "{e}");
        let e = settings(&[("DISCORD_API_URL", "localhost:3000")]).unwrap_err();
        assert!(e.to_string().contains("DISCORD_API_URL"));
        let e = settings(&[("DISCORD_GUILD_ID", "my-server")]).unwrap_err();
        assert!(e.to_string().contains("DISCORD_GUILD_ID"));
        let e = settings(&[("DISCORD_TOKEN", "two words")]).unwrap_err();
        assert_eq!(e, SettingsError::MalformedToken);
    }

    #[test]
    fn the_scheme_selects_the_backend() {
        for url in ["postgres://bot:pw@db.example:5432/pc", "postgresql://db.example/pc", "postgres:///pc?host=/run/postgresql"] {
            let s = settings(&[("DATABASE_URL", url)]).unwrap();
            assert!(matches!(s.database(), Ok(Database::Postgres(u)) if u == url), "{url}");
        }
        assert!(matches!(settings(&[]).unwrap().database(), Ok(Database::Sqlite(_))));
    }

    #[test]
    fn a_password_in_the_query_is_redacted_too() {
        assert_eq!(
            redacted("postgres://db.example/pc?user=bot&password=s3cret&sslmode=require"),
            "postgres://db.example/pc?user=bot&password=***&sslmode=require"
        );
        assert_eq!(redacted("postgres://bot:pw@db.example/pc?password=s3cret"), "postgres://bot:***@db.example/pc?password=***");
        assert_eq!(redacted("postgres://db.example/pc?sslmode=require"), "postgres://db.example/pc?sslmode=require");
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
