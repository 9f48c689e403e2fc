//! What an operator watches: Prometheus metrics at `/metrics` and health at `/healthz`, served
//! on `METRICS_ADDR` when it is set (nothing is bound otherwise). The figures are recorded
//! through the `metrics` facade where they happen, which costs nothing while no recorder is
//! installed; `metrics-exporter-prometheus` renders them.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use anyhow::Context as _;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Interactions handled, by `command` (a slash command's full name, `button:<kind>`,
/// `modal:<kind>`, `autocomplete:<command>`) and `outcome` (`ok`, `refused`: the member was
/// told why, `error`, `dropped`: another process claimed it).
pub const INTERACTIONS: &str = "partner_coach_interactions_total";
/// Seconds from an interaction's event arriving to its handler finishing (its answer sent),
/// by `command`.
pub const INTERACTION_SECONDS: &str = "partner_coach_interaction_duration_seconds";
/// Deliveries (scheduled posts, reminders, DMs, board and team messages) by `kind` and
/// `result`: `sent`, `retried`, `failed`, `skipped`.
pub const DELIVERIES: &str = "partner_coach_deliveries_total";
/// Storage operations refused because the database stayed busy past the busy timeout.
pub const DATABASE_BUSY: &str = "partner_coach_database_busy_total";
/// Gateway reconnections, by `shard` (a shard that was connected connecting again).
pub const GATEWAY_RECONNECTS: &str = "partner_coach_gateway_reconnects_total";
/// 1 while a shard of this process is connected, 0 otherwise, by `shard`.
pub const SHARD_CONNECTED: &str = "partner_coach_shard_connected";
/// Always 1, with the build's `version`.
pub const BUILD_INFO: &str = "partner_coach_build_info";

/// The interaction latency histogram's buckets, in seconds: Discord allows three seconds to
/// answer, and the bot's typical answer takes a few milliseconds.
const LATENCY_BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

/// The process's Prometheus recorder, installed once: the facade has one global recorder,
/// and a test binary starts many bots.
fn recorder() -> anyhow::Result<PrometheusHandle> {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    if let Some(h) = HANDLE.get() {
        return Ok(h.clone());
    }
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(INTERACTION_SECONDS.into()), &LATENCY_BUCKETS)
        .context("the latency buckets")?
        .build_recorder();
    let handle = recorder.handle();
    if metrics::set_global_recorder(recorder).is_ok() {
        let _ = HANDLE.set(handle.clone());
        metrics::gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
        // The handle keeps histograms in buckets; without an upkeep they grow, unread.
        let upkeep = handle.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(5)).await;
                upkeep.run_upkeep();
            }
        });
    }
    HANDLE.get().cloned().context("another metrics recorder is installed")
}

/// Each shard of this process and whether it is connected, as the gateway reports it.
#[derive(Clone, Debug, Default)]
pub struct ShardStates {
    inner: Arc<Mutex<BTreeMap<u32, ShardState>>>,
}

#[derive(Clone, Copy, Debug, Default)]
struct ShardState {
    connected: bool,
    /// Connected at least once: connecting again is a reconnect.
    ever: bool,
}

impl ShardStates {
    /// The shards this process runs, none connected yet.
    pub fn new(shards: impl IntoIterator<Item = u32>) -> Self {
        let states = Self::default();
        for shard in shards {
            states.inner.lock().expect("shard states").insert(shard, ShardState::default());
            metrics::gauge!(SHARD_CONNECTED, "shard" => shard.to_string()).set(0.0);
        }
        states
    }

    /// A shard connected (READY or RESUMED) or lost its connection.
    pub fn set(&self, shard: u32, connected: bool) {
        let mut all = self.inner.lock().expect("shard states");
        let s = all.entry(shard).or_default();
        if connected && !s.connected && s.ever {
            metrics::counter!(GATEWAY_RECONNECTS, "shard" => shard.to_string()).increment(1);
        }
        s.connected = connected;
        s.ever |= connected;
        metrics::gauge!(SHARD_CONNECTED, "shard" => shard.to_string()).set(if connected { 1.0 } else { 0.0 });
    }

    /// The shards not connected now, if any.
    pub fn disconnected(&self) -> Vec<u32> {
        self.inner.lock().expect("shard states").iter().filter(|(_, s)| !s.connected).map(|(id, _)| *id).collect()
    }
}

/// What `/healthz` checks: this process's shards, and that the database answers.
#[derive(Clone)]
pub struct Health {
    /// The shards.
    pub shards: ShardStates,
    /// The database.
    pub store: crate::storage::Store,
}

impl Health {
    /// `Ok` when every shard is connected and the database answers within two seconds;
    /// otherwise why not.
    pub async fn check(&self) -> Result<(), String> {
        let down = self.shards.disconnected();
        if !down.is_empty() {
            let list = down.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
            return Err(format!("gateway shard(s) {list} not connected"));
        }
        match tokio::time::timeout(Duration::from_secs(2), self.store.ping()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("the database does not answer: {e}")),
            Err(_) => Err("the database did not answer within 2s".into()),
        }
    }
}

/// Serves `/metrics` and `/healthz` on `addr` until `stop` resolves. Returns once bound (a
/// port in use is an error at start, with the address), serving in the background.
pub async fn serve(
    addr: SocketAddr,
    health: Health,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    use axum::http::StatusCode;
    use axum::routing::get;
    let handle = recorder()?;
    let app = axum::Router::new()
        .route(
            "/metrics",
            get(move || {
                let handle = handle.clone();
                async move { ([("content-type", "text/plain; version=0.0.4")], handle.render()) }
            }),
        )
        .route(
            "/healthz",
            get(move || {
                let health = health.clone();
                async move {
                    match health.check().await {
                        Ok(()) => (StatusCode::OK, "ok\n".to_owned()),
                        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, format!("{why}\n")),
                    }
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("METRICS_ADDR={addr}: cannot listen there"))?;
    tracing::info!(%addr, "serving /metrics and /healthz");
    Ok(tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(stop).await {
            tracing::warn!(error = %e, "the metrics server stopped");
        }
    }))
}

tokio::task_local! {
    /// The outcome of the interaction being handled on this task (see [`timed`]).
    static OUTCOME: std::cell::Cell<&'static str>;
}

/// Says how the interaction being handled ended (`refused`, `busy`, `error`); called where the
/// member's answer is chosen. Outside [`timed`] it does nothing.
pub fn set_outcome(outcome: &'static str) {
    let _ = OUTCOME.try_with(|o| o.set(outcome));
}

/// Runs the handler of an interaction labelled `command`, counting it by outcome (`ok` unless
/// [`set_outcome`] said otherwise) and timing it.
pub async fn timed(command: String, handler: impl std::future::Future<Output = ()>) {
    let started = std::time::Instant::now();
    let outcome = OUTCOME
        .scope(std::cell::Cell::new("ok"), async {
            handler.await;
            OUTCOME.with(std::cell::Cell::get)
        })
        .await;
    metrics::histogram!(INTERACTION_SECONDS, "command" => command.clone()).record(started.elapsed().as_secs_f64());
    metrics::counter!(INTERACTIONS, "command" => command, "outcome" => outcome).increment(1);
}

/// Counts an interaction another process claimed and this one dropped.
pub fn dropped(command: String) {
    metrics::counter!(INTERACTIONS, "command" => command, "outcome" => "dropped").increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_interactions_outcome_is_what_its_handler_said_or_ok() {
        let handle = recorder().unwrap();
        timed("probe ok".into(), async {}).await;
        timed("probe refused".into(), async { set_outcome("refused") }).await;
        set_outcome("error"); // outside a handler: ignored
        let text = handle.render();
        assert!(text.contains(r#"partner_coach_interactions_total{command="probe ok",outcome="ok"} 1"#), "{text}");
        assert!(text.contains(r#"partner_coach_interactions_total{command="probe refused",outcome="refused"} 1"#), "{text}");
        assert!(text.contains(r#"partner_coach_interaction_duration_seconds_bucket{command="probe ok",le="0.001"}"#), "{text}");
        assert!(text.contains(r#"partner_coach_build_info{version=""#), "{text}");
    }

    #[test]
    fn a_shard_connecting_again_counts_as_a_reconnect() {
        let states = ShardStates::new([0, 1]);
        assert_eq!(states.disconnected(), vec![0, 1]);
        states.set(0, true);
        states.set(1, true);
        assert!(states.disconnected().is_empty());
        states.set(1, false);
        assert_eq!(states.disconnected(), vec![1]);
        let all = states.inner.lock().unwrap();
        assert!(all[&1].ever && !all[&1].connected);
    }
}
