//! The thin Discord adapter: serenity + poise. Commands parse options and call the service;
//! `render` turns answers into embeds; `outbox` sends the scheduler's posts.

pub mod charter;
pub mod commands;
pub mod context;
pub mod interactions;
pub mod outbox;
pub mod partners;
pub mod render;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

/// How long any one REST call through serenity's `Http` may take. Without it a Discord that
/// accepts the connection and never answers holds the caller forever (reqwest has no default
/// timeout); the scheduler's outbox has its own client with the same limit.
const HTTP_TIMEOUT: Duration = Duration::from_secs(15);

/// How registering the slash commands at start is retried. A bot that cannot register answers
/// nothing, so it must not stay alive pretending to run (REVIEW.md finding 2): it retries with
/// a doubling wait, and stops with an error once `deadline` has passed.
#[derive(Clone, Debug)]
pub struct RegistrationPolicy {
    /// Give up, and stop the bot with an error, if no try has succeeded by then (from start).
    pub deadline: Duration,
    /// The wait after the first failure; it doubles after each further one...
    pub first_retry: Duration,
    /// ...up to this.
    pub max_retry: Duration,
    /// A try that has not been answered by then counts as failed (a hanging Discord).
    pub attempt_timeout: Duration,
}

impl Default for RegistrationPolicy {
    /// Three minutes in all, waits of 1 s, 2 s, 4 s ... capped at 20 s, 10 s per try.
    fn default() -> Self {
        Self {
            deadline: Duration::from_secs(180),
            first_retry: Duration::from_secs(1),
            max_retry: Duration::from_secs(20),
            attempt_timeout: Duration::from_secs(10),
        }
    }
}

/// Runs the bot until `shutdown` completes, then closes the shards and waits for the
/// scheduler to finish its tick. The caller closes the database afterwards.
///
/// The commands are registered first, before the gateway connects and the scheduler starts;
/// if that does not succeed within `registration.deadline`, this returns the error and the
/// bot never comes online.
pub async fn run(
    service: Arc<Service>,
    settings: &Settings,
    scheduler_interval: Duration,
    registration: &RegistrationPolicy,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let token = settings.require_token()?.clone();
    let client = reqwest::Client::builder().use_rustls_tls().timeout(HTTP_TIMEOUT).build().context("could not build the HTTP client")?;
    let http = match &settings.api_url {
        // serenity rewrites https://discord.com to the proxy only with its rate limiter off
        // (the limiter builds its own URLs); a local fake Discord does not rate-limit anyway.
        Some(url) => serenity::HttpBuilder::new(token.expose()).client(client).proxy(url.clone()).ratelimiter_disabled(true).build(),
        None => serenity::HttpBuilder::new(token.expose()).client(client).build(),
    };
    // The shutdown future is awaited in two places (during registration, then while the
    // gateway runs), so it is turned into a flag both can watch.
    let (stopping_tx, stopping) = watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stopping_tx.send(true);
    });

    let commands = commands::all();
    let registered = tokio::select! {
        r = register_with_retries(&http, &commands, settings.guild_id, registration) => r,
        () = stop_requested(stopping.clone()) => {
            info!("shutting down before the commands were registered");
            return Ok(());
        }
    };
    registered?;

    let (stop_tx, stop_rx) = watch::channel(false);
    let scheduler: Arc<Mutex<Option<JoinHandle<()>>>> = Arc::default();
    let api_url = settings.api_url.clone();
    let framework = {
        let scheduler = scheduler.clone();
        poise::Framework::builder()
            .options(poise::FrameworkOptions {
                commands,
                on_error: |e| Box::pin(context::on_error(e)),
                event_handler: |fw, event| Box::pin(on_event(fw.serenity_context, event, fw.user_data)),
                ..Default::default()
            })
            .setup(move |ctx, ready, _framework| {
                Box::pin(async move {
                    info!(bot = %ready.user.name, guilds = ready.guilds.len(), "connected");
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
        stop_requested(stopping).await;
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

/// Resolves once shutdown was asked for; never, if it cannot be any more.
async fn stop_requested(mut stopping: watch::Receiver<bool>) {
    if stopping.wait_for(|s| *s).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Registers the commands, retrying as `policy` says; the error is one line naming what
/// failed last.
async fn register_with_retries(
    http: &serenity::Http,
    commands: &[poise::Command<Data, Error>],
    guild: Option<GuildId>,
    policy: &RegistrationPolicy,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut wait = policy.first_retry;
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let left = policy.deadline.saturating_sub(started.elapsed());
        let limit = policy.attempt_timeout.min(left);
        let error = match tokio::time::timeout(limit, register(http, commands, guild)).await {
            Ok(Ok(())) => {
                info!(attempt, ms = started.elapsed().as_millis() as u64, "commands registered");
                return Ok(());
            }
            Ok(Err(e)) => describe(&e),
            Err(_) => format!("no answer within {}", human(limit)),
        };
        warn!(attempt, %error, "could not register the slash commands; retrying");
        // Waiting past the deadline would only delay the same verdict.
        if started.elapsed() + wait >= policy.deadline {
            anyhow::bail!("could not register the slash commands with Discord within {}: {error}", human(policy.deadline));
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(policy.max_retry);
    }
}

async fn register(http: &serenity::Http, commands: &[poise::Command<Data, Error>], guild: Option<GuildId>) -> Result<(), serenity::Error> {
    // The application id normally arrives with READY; registration runs before the gateway.
    if http.application_id().is_none() {
        let app = http.get_current_application_info().await?;
        http.set_application_id(app.id);
    }
    match guild {
        Some(g) => poise::builtins::register_in_guild(http, commands, serenity::GuildId::new(g.get())).await,
        None => poise::builtins::register_globally(http, commands).await,
    }
}

/// serenity's `Display` of an HTTP error is Discord's message only; the status says more.
fn describe(e: &serenity::Error) -> String {
    match e {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(r)) => {
            format!("Discord answered {} to {} ({})", r.status_code, r.method, r.error.message)
        }
        other => other.to_string(),
    }
}

/// `3m`, `20s`, `1500ms`: durations as an operator reads them.
fn human(d: Duration) -> String {
    let ms = d.as_millis();
    match ms {
        _ if ms >= 60_000 && ms.is_multiple_of(60_000) => format!("{}m", ms / 60_000),
        _ if ms >= 1000 && ms.is_multiple_of(1000) => format!("{}s", ms / 1000),
        _ => format!("{ms}ms"),
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
            _ = service.scheduler_wake.notified() => {}
            _ = stop.changed() => break,
        }
    }
    debug!("scheduler stopped");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_the_registration_error_read_as_an_operator_writes_them() {
        assert_eq!(human(RegistrationPolicy::default().deadline), "3m");
        assert_eq!(human(Duration::from_secs(90)), "90s");
        assert_eq!(human(Duration::from_secs(2)), "2s");
        assert_eq!(human(Duration::from_millis(1500)), "1500ms");
    }
}
