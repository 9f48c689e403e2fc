//! The thin Discord adapter: serenity + poise. Commands parse options and call the service;
//! `render` turns answers into embeds; `outbox` sends the scheduler's posts.

pub mod commands;
pub mod context;
pub mod interactions;
pub mod outbox;
pub mod render;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use poise::serenity_prelude as serenity;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use crate::config::Settings;
use crate::domain::ids::GuildId;
use crate::service::{Outbox, Service};
use context::{Data, Error};
use outbox::RestOutbox;

/// The gateway intents the bot needs: guild create/delete (and the guild's channels and
/// roles, to check where it may post). Interactions need no intent; nothing privileged.
pub const INTENTS: serenity::GatewayIntents = serenity::GatewayIntents::GUILDS;

/// How long a shutdown waits for the gateway to close before giving up on it.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Runs the bot until `shutdown` completes, then closes the shards and waits for the
/// scheduler to finish its tick. The caller closes the database afterwards.
pub async fn run(
    service: Arc<Service>,
    settings: &Settings,
    scheduler_interval: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let token = settings.require_token()?.clone();
    let http = match &settings.api_url {
        // serenity rewrites https://discord.com to the proxy only with its rate limiter off
        // (the limiter builds its own URLs); a local fake Discord does not rate-limit anyway.
        Some(url) => serenity::HttpBuilder::new(token.expose()).proxy(url.clone()).ratelimiter_disabled(true).build(),
        None => serenity::HttpBuilder::new(token.expose()).build(),
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    let scheduler: Arc<Mutex<Option<JoinHandle<()>>>> = Arc::default();
    let register_in = settings.guild_id;
    let api_url = settings.api_url.clone();

    let framework = {
        let scheduler = scheduler.clone();
        poise::Framework::builder()
            .options(poise::FrameworkOptions {
                commands: commands::all(),
                on_error: |e| Box::pin(context::on_error(e)),
                event_handler: |fw, event| Box::pin(on_event(fw.serenity_context, event, fw.user_data)),
                ..Default::default()
            })
            .setup(move |ctx, ready, framework| {
                Box::pin(async move {
                    let started = std::time::Instant::now();
                    register(ctx, &framework.options().commands, register_in).await.map_err(context::discord_error)?;
                    info!(bot = %ready.user.name, guilds = ready.guilds.len(), ms = started.elapsed().as_millis() as u64, "commands registered");
                    // poise runs `setup` once, on the first READY; a reconnect does not start
                    // a second scheduler.
                    let outbox = RestOutbox::new(api_url.as_deref(), token, service.prompts.clone(), Some(ctx.cache.clone()));
                    let handle = tokio::spawn(scheduler_loop(service.clone(), outbox, scheduler_interval, stop_rx));
                    *scheduler.lock().expect("scheduler slot") = Some(handle);
                    Ok(Data { service })
                })
            })
            .build()
    };

    let mut cache = serenity::cache::Settings::default();
    // The bot never reads messages; caching them would only cost memory.
    cache.max_messages = 0;
    let mut client = serenity::ClientBuilder::new_with_http(http, INTENTS)
        .framework(framework)
        .cache_settings(cache)
        .await
        .context("could not build the Discord client")?;

    let shards = client.shard_manager.clone();
    let (closed_tx, closed_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        shutdown.await;
        info!("shutting down: closing the gateway");
        shards.shutdown_all().await;
        let _ = closed_tx.send(());
    });
    let result = tokio::select! {
        r = client.start() => r.context("the Discord client stopped with an error"),
        // A shard that is retrying a connection (Discord unreachable) does not notice the
        // shutdown; do not let that keep the process alive.
        _ = async {
            if closed_rx.await.is_ok() {
                tokio::time::sleep(SHUTDOWN_GRACE).await;
            } else {
                std::future::pending::<()>().await;
            }
        } => {
            warn!("the gateway did not close within {SHUTDOWN_GRACE:?}; stopping anyway");
            Ok(())
        }
    };
    let _ = stop_tx.send(true);
    let handle = scheduler.lock().expect("scheduler slot").take();
    if let Some(handle) = handle {
        let _ = handle.await;
    }
    result
}

async fn register(
    ctx: &serenity::Context,
    commands: &[poise::Command<Data, Error>],
    guild: Option<GuildId>,
) -> Result<(), serenity::Error> {
    match guild {
        Some(g) => poise::builtins::register_in_guild(ctx, commands, serenity::GuildId::new(g.get())).await,
        None => poise::builtins::register_globally(ctx, commands).await,
    }
}

async fn on_event(ctx: &serenity::Context, event: &serenity::FullEvent, data: &Data) -> Result<(), Error> {
    match event {
        serenity::FullEvent::InteractionCreate { interaction } => interactions::handle(ctx, data, interaction).await,
        serenity::FullEvent::GuildCreate { guild, .. } => {
            debug!(guild = %guild.id, "guild available");
            data.service.guild_available(GuildId(guild.id.get())).await?
        }
        // `unavailable` means an outage, not a removal: keep posting once it is back.
        serenity::FullEvent::GuildDelete { incomplete, .. } if !incomplete.unavailable => {
            info!(guild = %incomplete.id, "removed from a guild; its posts stop, its data stays");
            data.service.guild_removed(GuildId(incomplete.id.get())).await?
        }
        _ => {}
    }
    Ok(())
}

/// How often the WAL is copied back into the database (see `Store::checkpoint`).
const CHECKPOINT_EVERY: Duration = Duration::from_secs(5);

/// The scheduler: one tick every `interval`, until told to stop. Errors are logged and the
/// loop goes on: one bad tick must not end the daily posts.
pub async fn scheduler_loop<O: Outbox>(service: Arc<Service>, outbox: O, interval: Duration, mut stop: watch::Receiver<bool>) {
    if let Err(e) = service.ensure_maintenance_jobs().await {
        warn!(error = ?e, "could not schedule maintenance");
    }
    let mut last_checkpoint = std::time::Instant::now();
    loop {
        if last_checkpoint.elapsed() >= CHECKPOINT_EVERY {
            if let Err(e) = service.store.checkpoint().await {
                warn!(error = ?e, "WAL checkpoint failed");
            }
            last_checkpoint = std::time::Instant::now();
        }
        match service.tick(&outbox).await {
            Ok(r) if r.due > 0 => debug!(?r, "scheduler tick"),
            Ok(_) => {}
            Err(e) => warn!(error = ?e, "scheduler tick failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.changed() => break,
        }
    }
    debug!("scheduler stopped");
}
