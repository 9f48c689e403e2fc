//! A fake Discord on 127.0.0.1 that speaks the real protocol: REST (axum) and the gateway
//! (a websocket). The bot under test connects to it exactly as to discord.com, through
//! `DISCORD_API_URL`. Every request body the bot sends is checked against Discord's OpenAPI
//! spec and the docs' limits (`validate.rs`); a violation fails the test that caused it
//! (when the fake is dropped, or at `assert_clean`).

mod gateway;
pub mod interactions;
pub mod payloads;
mod rest;
pub mod validate;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, Notify};

pub use interactions::Interaction;

/// The bot's token in tests. Tests check it never shows up in logs.
pub const TOKEN: &str = "MTIwMDAwMDAwMDAwMDAwMDAwMQ.fake.c2VjcmV0LXRva2VuLWRvLW5vdC1sb2c";
/// The application (and bot user) id, which the token's first part encodes.
pub const APP_ID: u64 = 1_200_000_000_000_000_001;

/// Permission bits used by the fake.
pub mod perms {
    pub const ADMINISTRATOR: u64 = 1 << 3;
    pub const MANAGE_GUILD: u64 = 1 << 5;
    pub const VIEW_CHANNEL: u64 = 1 << 10;
    pub const SEND_MESSAGES: u64 = 1 << 11;
    pub const EMBED_LINKS: u64 = 1 << 14;
    pub const ATTACH_FILES: u64 = 1 << 15;
    pub const READ_HISTORY: u64 = 1 << 16;
    pub const USE_COMMANDS: u64 = 1 << 31;
    /// What a plain member has in a channel.
    pub const MEMBER: u64 = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_HISTORY | USE_COMMANDS;
    /// A member with Manage Server.
    pub const MANAGER: u64 = MEMBER | MANAGE_GUILD;
}

/// A guild the fake serves in READY / GUILD_CREATE.
#[derive(Clone, Debug)]
pub struct GuildSpec {
    /// Guild id; also the @everyone role id.
    pub id: u64,
    /// Text channels: (id, name, permission bits denied to @everyone).
    pub channels: Vec<(u64, String, u64)>,
    /// Extra roles: (id, name).
    pub roles: Vec<(u64, String)>,
}

impl GuildSpec {
    /// A guild with one channel `general` (id = guild id + 1) the bot can post in.
    pub fn new(id: u64) -> Self {
        Self { id, channels: vec![(id + 1, "general".into(), 0)], roles: Vec::new() }
    }

    /// Adds a channel the bot can post in.
    pub fn channel(mut self, id: u64, name: &str) -> Self {
        self.channels.push((id, name.into(), 0));
        self
    }

    /// Adds a channel where @everyone (the bot included) may not send messages.
    pub fn read_only_channel(mut self, id: u64, name: &str) -> Self {
        self.channels.push((id, name.into(), perms::SEND_MESSAGES));
        self
    }

    /// Adds a role.
    pub fn role(mut self, id: u64, name: &str) -> Self {
        self.roles.push((id, name.into()));
        self
    }

    /// The GUILD_CREATE payload.
    pub fn payload(&self) -> Value {
        let mut roles = vec![payloads::role(self.id, "@everyone", perms::MEMBER, 0)];
        roles.extend(self.roles.iter().enumerate().map(|(i, (id, name))| payloads::role(*id, name, perms::MEMBER, i as u64 + 1)));
        let channels = self.channels.iter().map(|(id, name, deny)| payloads::text_channel(*id, self.id, name, *deny)).collect();
        let members = vec![payloads::member(APP_ID, "partner-coach", &[], None, true)];
        payloads::guild(self.id, &format!("Team {}", self.id), 1, roles, channels, members)
    }
}

/// One request the bot made.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// HTTP method.
    pub method: String,
    /// Path (without the query).
    pub path: String,
    /// The query string without its `?` (`limit=10&after=123`), empty if none.
    pub query: String,
    /// JSON body (for multipart, the `payload_json` part), or null.
    pub body: Value,
    /// Files attached (multipart): (file name, contents).
    pub files: Vec<(String, Vec<u8>)>,
    /// Status the fake answered.
    pub status: u16,
}

/// A fault to inject on matching requests.
#[derive(Clone, Debug)]
pub struct Fault {
    method: String,
    path_contains: String,
    status: u16,
    retry_after: f64,
    remaining: usize,
    /// Fail only every `every`-th matching request (1 = all).
    every: usize,
    seen: usize,
    /// Stop failing after this instant.
    until: Option<Instant>,
    /// Create the message, then answer the error anyway (a response lost on the way back).
    lose_response: bool,
    /// Answer only after this long (a Discord that hangs); zero = at once.
    delay: Duration,
}

impl Fault {
    /// Every matching request answers `status` at once, until `remaining` are used up.
    fn new(method: &str, path_contains: &str, status: u16, remaining: usize) -> Self {
        Self {
            method: method.into(),
            path_contains: path_contains.into(),
            status,
            retry_after: 0.0,
            remaining,
            every: 1,
            seen: 0,
            until: None,
            lose_response: false,
            delay: Duration::ZERO,
        }
    }
}

/// The path fragment of command registration: `PUT /applications/{id}/commands` and
/// `PUT /applications/{id}/guilds/{guild}/commands`.
const REGISTRATION_PATH: &str = "/commands";

/// A message created in a channel (or DM).
#[derive(Clone, Debug)]
pub struct StoredMessage {
    /// Message id: a snowflake whose timestamp part is `timestamp`.
    pub id: u64,
    /// Channel id.
    pub channel_id: u64,
    /// The body the bot sent.
    pub body: Value,
    /// When the fake created it, by the fake's time source ([`FakeDiscord::set_time_source`]).
    pub timestamp: DateTime<Utc>,
    /// The message object as Discord answers it (create, and `GET .../messages`).
    pub object: Value,
}

/// One `enforce_nonce` the fake remembers: within [`FakeDiscord::set_nonce_ttl`] of
/// `created`, the same nonce in the same channel answers `message_id` again.
#[derive(Clone, Debug)]
pub struct NonceRecord {
    /// The channel posted to.
    pub channel_id: u64,
    /// The nonce as sent (a number is kept as its digits).
    pub nonce: String,
    /// The message it created.
    pub message_id: u64,
    /// When the message was created (real time: Discord's window is wall-clock minutes).
    pub created: Instant,
}

/// How long Discord de-duplicates an `enforce_nonce` ("the past few minutes", docs of Create
/// Message); after that the same nonce creates a new message.
pub const NONCE_TTL: Duration = Duration::from_secs(180);

/// Where the fake's "now" comes from (message timestamps and the time part of ids).
pub type TimeSource = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// State of one interaction sent to the bot.
#[derive(Clone, Debug)]
pub struct InteractionState {
    pub id: u64,
    pub kind: u8,
    pub sent_at: Instant,
    /// Callback bodies accepted (at most one) and refused.
    pub callbacks: Vec<Value>,
    pub callback_files: Vec<(String, Vec<u8>)>,
    pub callback_at: Option<Instant>,
    pub followups: Vec<Value>,
    pub edits: Vec<Value>,
}

pub(crate) enum WsCmd {
    Send(String),
    /// Drop the TCP connection without a close frame, as a network failure would.
    Drop,
}

#[derive(Default)]
pub(crate) struct Inner {
    pub requests: Vec<Recorded>,
    pub violations: Vec<String>,
    pub interactions: HashMap<String, InteractionState>,
    pub messages: Vec<StoredMessage>,
    pub commands: Vec<Value>,
    pub command_puts: usize,
    pub faults: Vec<Fault>,
    pub guilds: Vec<GuildSpec>,
    pub deleted_channels: HashSet<u64>,
    pub closed_dms: HashSet<u64>,
    pub dm_channels: HashMap<u64, u64>,
    pub nonces: HashMap<(u64, String), (NonceRecord, Value)>,
    pub nonce_ttl: Duration,
    pub time_source: Option<TimeSource>,
    /// (guild, user) pairs that are not members (any other user is a member of every guild).
    pub left_members: HashSet<(u64, u64)>,
    pub member_roles: HashMap<(u64, u64), Vec<u64>>,
    pub counter: u64,
    // Gateway.
    pub conn: Option<(u64, mpsc::UnboundedSender<WsCmd>)>,
    pub conn_counter: u64,
    pub session_id: Option<String>,
    pub seq: u64,
    pub log: Vec<(u64, String)>,
    pub identifies: usize,
    pub resumes: usize,
}

pub(crate) struct Shared {
    pub inner: Mutex<Inner>,
    pub changed: Notify,
    pub validator: Option<validate::Validator>,
    pub gateway_url: String,
    pub callback_deadline: Duration,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The fake's "now": its time source, or the system clock.
    pub fn now(&self) -> DateTime<Utc> {
        // Called outside the lock: a time source may take locks of its own.
        let source = self.lock().time_source.clone();
        source.map_or_else(Utc::now, |f| f())
    }

    /// A new snowflake whose timestamp part is [`Self::now`].
    pub fn next_id(&self) -> u64 {
        let at = self.now();
        let mut i = self.lock();
        i.counter += 1;
        payloads::snowflake_at(at, i.counter)
    }

    /// Sends a gateway event (or queues it for replay after a resume).
    pub fn dispatch(&self, t: &str, d: Value) {
        let mut i = self.lock();
        i.seq += 1;
        let text = json!({ "op": 0, "t": t, "s": i.seq, "d": d }).to_string();
        let seq = i.seq;
        i.log.push((seq, text.clone()));
        if let Some((_, tx)) = &i.conn {
            let _ = tx.send(WsCmd::Send(text));
        }
    }
}

/// The fake Discord. Dropping it shuts its servers down and fails the test if the bot sent
/// an invalid request.
pub struct FakeDiscord {
    shared: Arc<Shared>,
    base_url: String,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// How long helpers wait for the bot before failing a test.
pub const WAIT: Duration = Duration::from_secs(20);

impl FakeDiscord {
    /// Starts REST and gateway servers on ports the OS picks.
    pub async fn start(guilds: Vec<GuildSpec>) -> Self {
        Self::start_with(guilds, true).await
    }

    /// As [`Self::start`]; `validate: false` skips the request checks (load runs that want
    /// to measure the bot without the validator's cost in the same process).
    pub async fn start_with(guilds: Vec<GuildSpec>, validate: bool) -> Self {
        let rest = TcpListener::bind("127.0.0.1:0").await.expect("bind REST");
        let ws = TcpListener::bind("127.0.0.1:0").await.expect("bind gateway");
        let base_url = format!("http://{}", rest.local_addr().unwrap());
        let gateway_url = format!("ws://{}", ws.local_addr().unwrap());
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner { guilds, nonce_ttl: NONCE_TTL, ..Default::default() }),
            changed: Notify::new(),
            validator: validate.then(|| validate::Validator::new(include_str!("../../data/discord-openapi.json"))),
            gateway_url,
            callback_deadline: Duration::from_secs(3),
        });
        let tasks = vec![tokio::spawn(rest::serve(rest, shared.clone())), tokio::spawn(gateway::serve(ws, shared.clone()))];
        Self { shared, base_url, tasks }
    }

    /// The value for `DISCORD_API_URL`.
    pub fn api_url(&self) -> String {
        self.base_url.clone()
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Waits until `f` returns `Some`, re-checking on every change; panics after [`WAIT`].
    pub async fn wait_for<T>(&self, what: &str, mut f: impl FnMut(&Inner) -> Option<T>) -> T {
        self.wait_for_within(what, WAIT, &mut f).await
    }

    /// As [`Self::wait_for`] with a custom timeout.
    pub async fn wait_for_within<T>(&self, what: &str, timeout: Duration, f: &mut impl FnMut(&Inner) -> Option<T>) -> T {
        let deadline = Instant::now() + timeout;
        loop {
            let notified = self.shared.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(t) = f(&self.shared.lock()) {
                return t;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || tokio::time::timeout(left, notified).await.is_err() {
                panic!("timed out after {timeout:?} waiting for {what}");
            }
        }
    }

    /// Waits until the bot has identified and registered its commands.
    pub async fn wait_ready(&self) {
        self.wait_for("command registration", |i| (i.command_puts > 0 && i.conn.is_some()).then_some(())).await;
    }

    /// The commands the bot registered last.
    pub fn commands(&self) -> Vec<Value> {
        self.shared.lock().commands.clone()
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.lock().requests.clone()
    }

    /// Messages created in a channel (or DM channel), oldest first.
    pub fn messages_in(&self, channel: u64) -> Vec<StoredMessage> {
        self.shared.lock().messages.iter().filter(|m| m.channel_id == channel).cloned().collect()
    }

    /// DMs sent to a user, oldest first.
    pub fn dms_to(&self, user: u64) -> Vec<StoredMessage> {
        let i = self.shared.lock();
        match i.dm_channels.get(&user) {
            Some(ch) => i.messages.iter().filter(|m| m.channel_id == *ch).cloned().collect(),
            None => Vec::new(),
        }
    }

    /// Waits until a channel holds at least `n` messages.
    pub async fn wait_for_messages(&self, channel: u64, n: usize) -> Vec<StoredMessage> {
        self.wait_for(&format!("{n} message(s) in channel {channel}"), |i| {
            let msgs: Vec<_> = i.messages.iter().filter(|m| m.channel_id == channel).cloned().collect();
            (msgs.len() >= n).then_some(msgs)
        })
        .await
    }

    /// The next `n` requests matching `method` and a path fragment answer `status` (429
    /// carries `retry_after` in the body and the `Retry-After` header).
    pub fn fail_next(&self, method: &str, path_contains: &str, n: usize, status: u16, retry_after: f64) {
        self.shared.lock().faults.push(Fault { retry_after, ..Fault::new(method, path_contains, status, n) });
    }

    /// The next `n` requests matching `method` and a path fragment create the message and
    /// then answer `status` anyway: Discord did the work, the answer was lost.
    pub fn lose_next_responses(&self, method: &str, path_contains: &str, n: usize, status: u16) {
        self.shared.lock().faults.push(Fault { lose_response: true, ..Fault::new(method, path_contains, status, n) });
    }

    /// The next `n` command registrations (`PUT .../commands`, global or guild) answer 500.
    pub fn fail_registrations(&self, n: usize) {
        self.fail_next("PUT", REGISTRATION_PATH, n, 500, 0.0);
    }

    /// The next `n` command registrations get an answer only after `delay`, and then a 500:
    /// a Discord that accepts the connection and hangs.
    pub fn hang_registrations(&self, n: usize, delay: Duration) {
        self.hang_next("PUT", REGISTRATION_PATH, n, delay);
    }

    /// The next `n` requests matching `method` and a path fragment are answered only after
    /// `delay`, with a 500 (the work is not done).
    pub fn hang_next(&self, method: &str, path_contains: &str, n: usize, delay: Duration) {
        self.shared.lock().faults.push(Fault { delay, ..Fault::new(method, path_contains, 500, n) });
    }

    /// For `duration`, every `every`-th matching request answers `status`. With
    /// `lose_response`, the message is created first (Discord did the work, the answer was
    /// lost), so only the nonce keeps a retry from posting twice.
    pub fn fail_every(&self, method: &str, path_contains: &str, every: usize, status: u16, duration: Duration, lose_response: bool) {
        self.shared.lock().faults.push(Fault {
            every,
            until: Some(Instant::now() + duration),
            lose_response,
            ..Fault::new(method, path_contains, status, usize::MAX)
        });
    }

    /// Sets how long an `enforce_nonce` de-duplicates (default [`NONCE_TTL`]); a nonce older
    /// than that creates a new message. Applies to nonces already remembered too.
    pub fn set_nonce_ttl(&self, ttl: Duration) {
        self.shared.lock().nonce_ttl = ttl;
    }

    /// Every nonce remembered (expired ones included until reused), in no order.
    pub fn nonces(&self) -> Vec<NonceRecord> {
        self.shared.lock().nonces.values().map(|(r, _)| r.clone()).collect()
    }

    /// Makes the fake's "now" (message timestamps, the time part of new ids) follow `source`,
    /// e.g. the bot's test clock, so `after=<snowflake of a time>` means the same instant to
    /// both. Default: the system clock. Ids stay unique whatever it returns.
    pub fn set_time_source(&self, source: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) {
        self.shared.lock().time_source = Some(Arc::new(source));
    }

    /// The user left the guild: `GET /guilds/{guild}/members/{user}` answers 404 Unknown
    /// Member (code 10007). Every other user is a member of every guild the fake has.
    pub fn member_left(&self, guild: u64, user: u64) {
        self.shared.lock().left_members.insert((guild, user));
    }

    /// The user is a member again (after [`Self::member_left`]).
    pub fn member_rejoined(&self, guild: u64, user: u64) {
        self.shared.lock().left_members.remove(&(guild, user));
    }

    /// The roles `GET /guilds/{guild}/members/{user}` reports for the user (default none).
    pub fn set_member_roles(&self, guild: u64, user: u64, roles: &[u64]) {
        self.shared.lock().member_roles.insert((guild, user), roles.to_vec());
    }

    /// How many requests used `method` on a path starting with `path_prefix` (with or
    /// without `/api/v10`), e.g. `("GET", "/channels/123/messages")`.
    pub fn count_requests(&self, method: &str, path_prefix: &str) -> usize {
        let prefix = path_prefix.trim_start_matches("/api/v10");
        self.shared
            .lock()
            .requests
            .iter()
            .filter(|r| r.method == method && r.path.trim_start_matches("/api/v10").starts_with(prefix))
            .count()
    }

    /// The channel is gone: posts to it answer 404 Unknown Channel.
    pub fn delete_channel(&self, channel: u64) {
        self.shared.lock().deleted_channels.insert(channel);
    }

    /// The user does not accept DMs from the bot: messages answer 403 code 50007.
    pub fn close_dms(&self, user: u64) {
        self.shared.lock().closed_dms.insert(user);
    }

    /// Drops the gateway connection as a network failure would; the bot must resume.
    pub fn drop_gateway(&self) {
        let i = self.shared.lock();
        if let Some((_, tx)) = &i.conn {
            let _ = tx.send(WsCmd::Drop);
        }
    }

    /// How many IDENTIFYs and RESUMEs the bot sent.
    pub fn sessions(&self) -> (usize, usize) {
        let i = self.shared.lock();
        (i.identifies, i.resumes)
    }

    /// Waits for the bot to resume after [`Self::drop_gateway`].
    pub async fn wait_resumed(&self, before: usize) {
        self.wait_for("a RESUME", |i| (i.resumes > before && i.conn.is_some()).then_some(())).await;
    }

    /// Sends GUILD_CREATE for a new guild.
    pub fn add_guild(&self, spec: GuildSpec) {
        let payload = spec.payload();
        self.shared.lock().guilds.push(spec);
        self.shared.dispatch("GUILD_CREATE", payload);
    }

    /// Sends GUILD_DELETE: the bot was removed from the guild.
    pub fn remove_guild(&self, guild: u64) {
        self.shared.lock().guilds.retain(|g| g.id != guild);
        self.shared.dispatch("GUILD_DELETE", json!({ "id": guild.to_string() }));
    }

    /// Invalid requests the bot sent so far.
    pub fn violations(&self) -> Vec<String> {
        self.shared.lock().violations.clone()
    }

    /// Forgets recorded violations (for the test that sends one on purpose).
    pub fn clear_violations(&self) {
        self.shared.lock().violations.clear();
    }

    /// Fails the test if the bot sent an invalid request.
    pub fn assert_clean(&self) {
        let v = self.violations();
        assert!(v.is_empty(), "the bot sent {} invalid request(s):\n{}", v.len(), v.join("\n"));
    }
}

impl Drop for FakeDiscord {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        if let Some((_, tx)) = self.shared.lock().conn.take() {
            let _ = tx.send(WsCmd::Drop);
        }
        if !std::thread::panicking() {
            self.assert_clean();
        }
    }
}

impl FakeDiscord {
    /// A look at the fake's state (for assertions over many interactions).
    pub fn shared_state(&self) -> MutexGuard<'_, Inner> {
        self.shared.lock()
    }
}
