//! The thin Discord adapter: serenity + poise. Commands parse options and call the service;
//! `render` turns answers into embeds; `outbox` sends the scheduler's posts.

pub mod charter;
pub mod commands;
pub mod context;
pub mod guilds;
pub mod interactions;
pub mod outbox;
pub mod partners;
pub mod permissions;
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

/// The gateway intents the bot needs: guild create/delete (a guild's name and owner, and
/// whether the bot is still in it). Interactions need no intent; nothing privileged.
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

    let shards = tokio::select! {
        r = shard_plan(&http, settings) => r?,
        () = stop_requested(stopping.clone()) => return Ok(()),
    };
    // Several processes share the work through the database's claims, which take one
    // database server: a SQLite file is one process's.
    if !shards.is_all() && !service.store.is_postgres() {
        anyhow::bail!(
            "SHARDS={} runs {shards} only, so other processes run the rest, and they must share one database: \
             set DATABASE_URL to PostgreSQL (postgres://…); a SQLite file serves one process running every shard",
            settings.shards_text
        );
    }
    if !shards.is_all() {
        service.store.set_shards(shards);
    }
    info!(%shards, "gateway shards");

    let commands = commands::all();
    // One process registers the commands: the one that runs shard 0 (which also gets the
    // DMs). Two processes registering at once would race each other's overwrite.
    if shards.has_shard_zero() {
        let registered = tokio::select! {
            r = register_with_retries(&http, &commands, settings.guild_id, registration) => r,
            () = stop_requested(stopping.clone()) => {
                info!("shutting down before the commands were registered");
                return Ok(());
            }
        };
        registered?;
    } else {
        info!("the commands are registered by the process that runs shard 0");
    }
    let trimmer = tokio::spawn(trim_memory());
    let states = crate::metrics::ShardStates::new(shards.first..=shards.last);
    let inflight = Inflight::default();
    let metrics_server = match settings.metrics_addr {
        Some(addr) => {
            let health = crate::metrics::Health { shards: states.clone(), store: service.store.clone() };
            Some(crate::metrics::serve(addr, health, stop_requested(stopping.clone())).await?)
        }
        None => None,
    };

    let (stop_tx, stop_rx) = watch::channel(false);
    let scheduler: Arc<Mutex<Option<JoinHandle<()>>>> = Arc::default();
    let api_url = settings.api_url.clone();
    // Several processes (SHARDS set) take turns to identify: serenity spaces one process's
    // shards by five seconds, and the database spaces the processes.
    if settings.shards.is_some() {
        let span = IDENTIFY_SPACING * shards.len();
        let start = service.store.reserve_identify_window(service.now(), span).await?;
        let wait = (start - service.now()).to_std().unwrap_or_default();
        if !wait.is_zero() {
            info!(wait_ms = wait.as_millis() as u64, "another process is identifying its shards; waiting for the gateway's turn");
            tokio::time::sleep(wait).await;
        }
    }
    let (store, clock) = (service.store.clone(), service.clock());
    let guilds = Arc::new(guilds::Guilds::default());
    let gate_service = service.clone();
    let framework = {
        let guilds = guilds.clone();
        let scheduler = scheduler.clone();
        poise::Framework::builder()
            .options(poise::FrameworkOptions {
                commands,
                on_error: |e| Box::pin(context::on_error(e)),
                event_handler: |fw, event| Box::pin(on_event(fw.serenity_context, event, fw.user_data)),
                ..Default::default()
            })
            .setup(move |_ctx, ready, _framework| {
                Box::pin(async move {
                    info!(bot = %ready.user.name, guilds = ready.guilds.len(), "connected");
                    // poise runs `setup` once, on the first READY; a reconnect does not start
                    // a second scheduler.
                    let me = Some(ready.user.id.get());
                    let outbox = RestOutbox::new(api_url.as_deref(), token, service.prompts.clone(), Some(guilds), me)
                        .with_budget(rest_share(shards));
                    let handle = tokio::spawn(scheduler_loop(service.clone(), outbox, scheduler_interval, stop_rx));
                    *scheduler.lock().expect("scheduler slot") = Some(handle);
                    Ok(Data { service })
                })
            })
            .build()
    };

    // No guild cache: a guild's channels, roles and members cost ~36 KB a guild in it, for
    // what the bot reads of them: a guild's name and owner (kept in `guilds` from
    // GUILD_CREATE) and its own permissions in a channel at `/setup` (asked of Discord then,
    // see `permissions`). The bot never reads messages, and a user cache would only fill
    // from the guilds' members. The current user is kept apart from these maps (READY).
    let mut cache = serenity::cache::Settings::default();
    cache.max_messages = 0;
    cache.cache_guilds = false;
    cache.cache_channels = false;
    cache.cache_users = false;
    let gate = Gate {
        inner: framework,
        store,
        clock,
        // Only while processes may overlap on a shard: a claim costs a write per interaction.
        claims: settings.shards.is_some(),
        states,
        inflight: inflight.clone(),
        guilds,
        service: gate_service,
    };
    let mut client = serenity::ClientBuilder::new_with_http(http, INTENTS)
        .framework(gate)
        .cache_settings(cache)
        .await
        .context("could not build the Discord client")?;

    let manager = client.shard_manager.clone();
    let (closed_tx, closed_rx) = tokio::sync::oneshot::channel::<()>();
    {
        let (scheduler, stop_tx) = (scheduler.clone(), stop_tx.clone());
        tokio::spawn(async move {
            stop_requested(stopping).await;
            // A rolling restart loses nothing: the answers being written and the scheduler's
            // tick finish before the gateway closes (another process takes over what comes next).
            info!("shutting down: finishing the interactions and the scheduler tick in flight");
            let _ = stop_tx.send(true);
            let handle = scheduler.lock().expect("scheduler slot").take();
            if let Some(handle) = handle {
                let _ = handle.await;
            }
            if !inflight.idle_within(DRAIN_GRACE).await {
                warn!("interactions still in flight after {DRAIN_GRACE:?}; closing the gateway anyway");
            }
            info!("shutting down: closing the gateway");
            manager.shutdown_all().await;
            let _ = closed_tx.send(());
        });
    }
    let result = tokio::select! {
        r = client.start_shard_range(shards.serenity_range(), shards.count) => r.context("the Discord client stopped with an error"),
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
    if let Some(server) = metrics_server {
        let _ = server.await;
    }
    trimmer.abort();
    result
}

/// The scheduler's REST calls a second, all processes together: Discord's global limit is
/// 50 a bot (interaction answers aside), and some room is left for the follow-ups and edits
/// the interaction handlers make.
pub const REST_PER_SECOND: u32 = 40;

/// This process's share of [`REST_PER_SECOND`]: its part of the shards, as each process
/// handles its shards' guilds (a proxy that holds the limit for all, such as
/// twilight-http-proxy, would let a busy process borrow an idle one's share; README.md says
/// how).
pub fn rest_share(shards: crate::domain::shards::ShardRange) -> u32 {
    (REST_PER_SECOND * shards.len()).div_ceil(shards.count).max(1)
}

/// How long one shard's IDENTIFY holds Discord's identify limit (one per five seconds), with
/// a margin.
const IDENTIFY_SPACING: Duration = Duration::from_millis(5_500);

/// Hands memory that is free back to the system, now and then. At start Discord sends one
/// GUILD_CREATE per server at once; parsing ten thousand of them allocates far more than the
/// bot keeps (59 MB live of 150-280 MB resident for 10,000 guilds), and glibc keeps what was
/// freed for later instead of returning it. `malloc_trim` returns it; it is glibc's, so other
/// C libraries skip this.
async fn trim_memory() {
    let mut wait = Duration::from_secs(5);
    loop {
        tokio::time::sleep(wait).await;
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: malloc_trim only releases free memory of the allocator's own arenas; it takes
        // the allocator's locks like any allocation and touches no memory in use.
        unsafe {
            libc::malloc_trim(0);
        }
        wait = Duration::from_secs(60);
    }
}

/// How long a shutdown waits for interactions in flight before closing the gateway.
const DRAIN_GRACE: Duration = Duration::from_secs(10);

/// The shards this process runs: `SHARDS` of `SHARD_COUNT`, the count asked of Discord
/// (`GET /gateway/bot`, its recommendation) when it is not set.
async fn shard_plan(http: &serenity::Http, settings: &Settings) -> anyhow::Result<crate::domain::shards::ShardRange> {
    let count = match settings.shard_count {
        Some(count) => count,
        None => {
            let mut tries = 0;
            loop {
                tries += 1;
                match http.get_bot_gateway().await {
                    Ok(g) => break g.shards.max(1),
                    Err(e) if tries < 5 => {
                        warn!(error = %describe(&e), "could not ask Discord how many shards to run; retrying");
                        tokio::time::sleep(Duration::from_secs(tries)).await;
                    }
                    Err(e) => anyhow::bail!("could not ask Discord how many shards to run (set SHARD_COUNT to say): {}", describe(&e)),
                }
            }
        }
    };
    Ok(crate::domain::shards::ShardRange::new(settings.shards, count, &settings.shards_text)?)
}

/// Interaction handlers running now, so a shutdown can wait for them.
#[derive(Clone, Default)]
struct Inflight {
    count: Arc<std::sync::atomic::AtomicUsize>,
    idle: Arc<tokio::sync::Notify>,
}

impl Inflight {
    /// Counts a handler in until the guard drops.
    fn enter(&self) -> InflightGuard {
        self.count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        InflightGuard(self.clone())
    }

    /// Whether no handler runs, waiting up to `grace` for that.
    async fn idle_within(&self, grace: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + grace;
        loop {
            let notified = self.idle.notified();
            if self.count.load(std::sync::atomic::Ordering::SeqCst) == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.count.load(std::sync::atomic::Ordering::SeqCst) == 0;
            }
        }
    }
}

struct InflightGuard(Inflight);

impl Drop for InflightGuard {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, std::sync::atomic::Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

/// poise's framework behind a gate that every event passes first: an interaction is claimed
/// by its id when processes may overlap on a shard (the loser drops it unanswered), counted
/// and timed for `/metrics`, and tracked while in flight; shard state changes feed
/// `/healthz`.
struct Gate {
    inner: poise::Framework<Data, Error>,
    store: crate::storage::Store,
    clock: Arc<dyn crate::clock::Clock>,
    claims: bool,
    states: crate::metrics::ShardStates,
    inflight: Inflight,
    /// Guild names and owners, kept from the events that pass here (poise's handlers run
    /// only once its setup has run; these events may come before).
    guilds: Arc<guilds::Guilds>,
    service: Arc<Service>,
}

#[serenity::async_trait]
impl serenity::Framework for Gate {
    async fn init(&mut self, client: &serenity::Client) {
        self.inner.init(client).await;
    }

    async fn dispatch(&self, ctx: serenity::Context, event: serenity::FullEvent) {
        self.guilds.observe(&event);
        if let serenity::FullEvent::GuildCreate { guild, .. } = &event {
            // The guild's id is all that is left to use: the event (every channel, role and
            // member) is dropped before the database is asked, or a start's 10,000
            // GUILD_CREATEs waiting for a connection would hold them all at once (150-250 MB
            // at the peak, kept by the allocator afterwards).
            let id = GuildId(guild.id.get());
            drop(event);
            debug!(guild = %id, "guild available");
            if let Err(e) = self.service.guild_available(id).await {
                warn!(error = ?e, guild = %id, "could not note a guild's return");
            }
            return;
        }
        match &event {
            serenity::FullEvent::InteractionCreate { interaction } => {
                let _guard = self.inflight.enter();
                let label = interaction_label(interaction);
                if self.claims {
                    match self.store.claim_interaction(interaction.id().get(), self.clock.now()).await {
                        Ok(true) => {}
                        Ok(false) => {
                            debug!(interaction = %interaction.id(), "answered by another process running this shard");
                            crate::metrics::dropped(label);
                            return;
                        }
                        // Answering without a claim risks a second answer (which Discord
                        // refuses); not answering is sure to leave the member without one.
                        Err(e) => warn!(error = %e, "could not claim an interaction; handling it anyway"),
                    }
                }
                crate::metrics::timed(label, self.inner.dispatch(ctx, event)).await;
                return;
            }
            serenity::FullEvent::ShardStageUpdate { event: e } => {
                self.states.set(e.shard_id.0, e.new == serenity::ConnectionStage::Connected);
            }
            serenity::FullEvent::Ready { .. } | serenity::FullEvent::Resume { .. } => self.states.set(ctx.shard_id.0, true),
            _ => {}
        }
        self.inner.dispatch(ctx, event).await;
    }
}

/// An interaction's name in the metrics: a command's full name, or the kind of button or
/// form (the custom id's prefix, before its first `:`), never a member's input.
fn interaction_label(i: &serenity::Interaction) -> String {
    fn command_name(data: &serenity::CommandData) -> String {
        let mut name = data.name.clone();
        let mut options = &data.options;
        while let Some(o) = options.first() {
            match &o.value {
                serenity::CommandDataOptionValue::SubCommand(inner) | serenity::CommandDataOptionValue::SubCommandGroup(inner) => {
                    name.push(' ');
                    name.push_str(&o.name);
                    options = inner;
                }
                _ => break,
            }
        }
        name
    }
    let prefix = |id: &str| id.split(':').next().unwrap_or_default().chars().take(24).collect::<String>();
    match i {
        serenity::Interaction::Command(c) => command_name(&c.data),
        serenity::Interaction::Autocomplete(c) => format!("autocomplete:{}", command_name(&c.data)),
        serenity::Interaction::Component(c) => format!("button:{}", prefix(&c.data.custom_id)),
        serenity::Interaction::Modal(m) => format!("modal:{}", prefix(&m.data.custom_id)),
        _ => "other".into(),
    }
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
    fn each_process_takes_its_shards_share_of_the_rest_budget() {
        use crate::domain::shards::ShardRange;
        assert_eq!(rest_share(ShardRange::all(1)), REST_PER_SECOND);
        assert_eq!(rest_share(ShardRange::new(Some((0, 0)), 2, "0").unwrap()), REST_PER_SECOND / 2);
        // Shares round up, never to nothing: three processes of one shard each get 14 of 40.
        assert_eq!(rest_share(ShardRange::new(Some((2, 2)), 3, "2").unwrap()), 14);
        assert_eq!(rest_share(ShardRange::new(Some((7, 7)), 4096, "7").unwrap()), 1);
    }

    #[test]
    fn durations_in_the_registration_error_read_as_an_operator_writes_them() {
        assert_eq!(human(RegistrationPolicy::default().deadline), "3m");
        assert_eq!(human(Duration::from_secs(90)), "90s");
        assert_eq!(human(Duration::from_secs(2)), "2s");
        assert_eq!(human(Duration::from_millis(1500)), "1500ms");
    }
}
