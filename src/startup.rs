//! Building the application from its settings, and running it. Tests call these with their
//! own clock, seed and fake Discord URL.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tracing::info;

use crate::clock::{Clock, Random, SystemClock};
use crate::config::Settings;
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

/// Opens the database named by the settings, with a message that names it on failure.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    let options = settings.database_options()?;
    Store::open(options).await.with_context(|| format!("could not open the database DATABASE_URL={:?}", settings.database_url))
}

/// Runs the bot until `shutdown` resolves, then closes everything cleanly: shards, the
/// scheduler's current tick, the database. An error (the commands could not be registered,
/// the database could not be opened) is one line that says what failed.
pub async fn run(options: BotOptions, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
    // Refuse before touching the database: a missing token is the most common first mistake.
    options.settings.require_token()?;
    let service = build_service(&options.settings, options.clock, options.rng).await?;
    info!(database = %options.settings.database_url, discord = options.settings.api_url.as_deref().unwrap_or("https://discord.com"), "starting");
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
