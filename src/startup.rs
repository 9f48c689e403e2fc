//! Building the application from its settings, and running it. Tests call these with their
//! own clock, seed and fake Discord URL.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tracing::info;

use crate::clock::{Clock, Random, SystemClock};
use crate::config::{redacted, Database, Settings};
pub use crate::discord::RegistrationPolicy;
use crate::prompts::Prompts;
use crate::service::Service;
use crate::storage::Store;

/// Everything needed to start the bot.
pub struct BotOptions {
    /// Settings (token, database, Discord base URL, registration guild).
    pub settings: Settings,
    /// Where "now" comes from.
    pub clock: Arc<dyn Clock>,
    /// Randomness (tips).
    pub rng: Random,
    /// How often the scheduler looks for due posts.
    pub scheduler_interval: Duration,
    /// How registering the slash commands is retried, and when the bot gives up on it.
    pub registration: RegistrationPolicy,
}

impl BotOptions {
    /// Production options: the real clock, OS randomness, a tick a second, registration
    /// retried for up to three minutes.
    pub fn new(settings: Settings) -> Self {
        Self {
            settings,
            clock: Arc::new(SystemClock),
            rng: Random::from_entropy(),
            scheduler_interval: Duration::from_secs(1),
            registration: RegistrationPolicy::default(),
        }
    }
}

/// Loads the prompts and opens (creating and migrating) the database.
pub async fn build_service(settings: &Settings, clock: Arc<dyn Clock>, rng: Random) -> anyhow::Result<Arc<Service>> {
    let prompts = Arc::new(Prompts::builtin().context("the built-in prompts are invalid")?);
    let store = open_store(settings).await?;
    Ok(Arc::new(Service::new(store, prompts, clock, rng)))
}

/// Opens the database named by the settings (SQLite or PostgreSQL, by the URL's scheme),
/// with a message that names it on failure.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    match settings.database()? {
        Database::Sqlite(options) => {
            Store::open(options).await.with_context(|| format!("could not open the database DATABASE_URL={:?}", settings.database_url))
        }
        Database::Postgres(url) => open_postgres(&url).await,
    }
}

/// How long start-up waits for a PostgreSQL server to answer at all: as long as the store
/// waits for a connection later.
const POSTGRES_CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// Connects to PostgreSQL and migrates it. One plain connection is tried first because the
/// pool behind [`Store::open_postgres`] retries a refused connection until its acquire
/// timeout and then says only that it timed out; the first try says what is wrong (no
/// server there, the login refused, no such database) at once, in one line.
async fn open_postgres(url: &str) -> anyhow::Result<Store> {
    use sqlx::Connection;
    let shown = redacted(url);
    match tokio::time::timeout(POSTGRES_CONNECT_TIMEOUT, sqlx::PgConnection::connect(url)).await {
        Err(_) => anyhow::bail!(
            "could not connect to PostgreSQL at DATABASE_URL={shown:?}: no answer within {}s (is the host right, and is the port open?)",
            POSTGRES_CONNECT_TIMEOUT.as_secs()
        ),
        Ok(Err(e)) => anyhow::bail!("could not connect to PostgreSQL at DATABASE_URL={shown:?}: {}", postgres_problem(&e)),
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
        }
    }
    Store::open_postgres(url)
        .await
        .map_err(|e| anyhow::anyhow!("could not open the PostgreSQL database DATABASE_URL={shown:?}: {}", postgres_problem(&e)))
}

/// A PostgreSQL failure to connect or migrate, said with what to do about it. sqlx's and the
/// server's messages name the user and the database, never the password.
pub fn postgres_problem(e: &sqlx::Error) -> String {
    let code = match e {
        sqlx::Error::Database(d) => d.code().map(|c| c.into_owned()),
        _ => None,
    };
    // The server's own words, without sqlx's framing ("error returned from database: … at
    // line 948", the line being in PostgreSQL's C source).
    let text = match e {
        sqlx::Error::Database(d) => d.message().to_owned(),
        _ => e.to_string(),
    };
    // https://www.postgresql.org/docs/current/errcodes-appendix.html
    let hint = match code.as_deref() {
        Some("28P01") | Some("28000") => "the server refused the login: check the user and password in DATABASE_URL",
        Some("3D000") => "create the database first (an empty one, owned by the bot's role: createdb --owner=ROLE NAME)",
        Some("53300") => "the server has no connection left (max_connections)",
        _ => match e {
            sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
                "nothing listens there: is PostgreSQL running, and on that host and port?"
            }
            sqlx::Error::Io(_) => "the server cannot be reached: check the host and port",
            // 42501, wrapped in the migrator's error when it is the first CREATE TABLE.
            _ if text.contains("permission denied") => {
                "the role cannot create the bot's tables: make it the database's owner (ALTER DATABASE NAME OWNER TO ROLE)"
            }
            _ => "",
        },
    };
    // One line: a server message may carry a detail on a line of its own.
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if hint.is_empty() {
        text
    } else {
        format!("{text} ({hint})")
    }
}

/// Runs the bot until `shutdown` resolves, then closes everything cleanly: shards, the
/// scheduler's current tick, the database. An error (the commands could not be registered,
/// the database could not be opened) is one line that says what failed.
pub async fn run(options: BotOptions, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
    // Refuse before touching the database: a missing token is the most common first mistake.
    options.settings.require_token()?;
    let service = build_service(&options.settings, options.clock, options.rng).await?;
    info!(database = %redacted(&options.settings.database_url), backend = service.store.backend_name(), discord = options.settings.api_url.as_deref().unwrap_or("https://discord.com"), "starting");
    let result = crate::discord::run(service.clone(), &options.settings, options.scheduler_interval, &options.registration, shutdown).await;
    service.store.close().await;
    info!("stopped");
    result
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
