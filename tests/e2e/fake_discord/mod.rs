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
    pub const MANAGE_CHANNELS: u64 = 1 << 4;
    pub const MANAGE_MESSAGES: u64 = 1 << 13;
    pub const READ_HISTORY: u64 = 1 << 16;
    pub const USE_COMMANDS: u64 = 1 << 31;
    /// Deleting, archiving and locking threads, unarchiving locked ones, posting in locked ones.
    pub const MANAGE_THREADS: u64 = 1 << 34;
    /// Creating public threads (type 11) in a text channel.
    pub const CREATE_PUBLIC_THREADS: u64 = 1 << 35;
    /// Creating private threads (type 12) in a text channel.
    pub const CREATE_PRIVATE_THREADS: u64 = 1 << 36;
    /// Posting in threads: in a thread `SEND_MESSAGES` has no effect (topics/permissions.mdx,
    /// "Inherited Permissions (Threads)").
    pub const SEND_MESSAGES_IN_THREADS: u64 = 1 << 38;
    /// What a plain member has in a channel: Discord's defaults for @everyone include the
    /// three thread permissions (not Manage Threads).
    pub const MEMBER: u64 = VIEW_CHANNEL
        | SEND_MESSAGES
        | EMBED_LINKS
        | ATTACH_FILES
        | READ_HISTORY
        | USE_COMMANDS
        | CREATE_PUBLIC_THREADS
        | CREATE_PRIVATE_THREADS
        | SEND_MESSAGES_IN_THREADS;
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
    /// Permission bits the bot has on top of @everyone's [`perms::MEMBER`], through its own
    /// managed role (the one Discord creates when a bot is invited with permissions); 0 = no
    /// such role.
    pub bot_permissions: u64,
}

impl GuildSpec {
    /// A guild with one channel `general` (id = guild id + 1) the bot can post in.
    pub fn new(id: u64) -> Self {
        Self { id, channels: vec![(id + 1, "general".into(), 0)], roles: Vec::new(), bot_permissions: 0 }
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

    /// Adds a channel where @everyone (the bot included) is denied `deny` (permission bits).
    pub fn channel_denying(mut self, id: u64, name: &str, deny: u64) -> Self {
        self.channels.push((id, name.into(), deny));
        self
    }

    /// Adds a channel where @everyone (the bot included) may post but not create threads
    /// (public or private): Start Thread answers 403 Missing Permissions (50013) there.
    pub fn channel_without_threads(self, id: u64, name: &str) -> Self {
        self.channel_denying(id, name, perms::CREATE_PUBLIC_THREADS | perms::CREATE_PRIVATE_THREADS)
    }

    /// Adds a role.
    pub fn role(mut self, id: u64, name: &str) -> Self {
        self.roles.push((id, name.into()));
        self
    }

    /// Gives the bot `bits` on top of @everyone's permissions (e.g. [`perms::MANAGE_THREADS`]),
    /// through its managed role. Channel denials to @everyone still apply to them.
    pub fn bot_permissions(mut self, bits: u64) -> Self {
        self.bot_permissions |= bits;
        self
    }

    /// The id of the bot's managed role (present when [`Self::bot_permissions`] were given).
    pub fn bot_role(&self) -> u64 {
        self.id + 4_096
    }

    /// What the bot may do in a channel where @everyone is denied `deny`: @everyone's
    /// permissions plus its role's, less the denial; Administrator is everything.
    pub fn bot_perms(&self, deny: u64) -> u64 {
        let base = perms::MEMBER | self.bot_permissions;
        if base & perms::ADMINISTRATOR != 0 {
            return u64::MAX;
        }
        base & !deny
    }

    /// The GUILD_CREATE payload.
    pub fn payload(&self) -> Value {
        let mut roles = vec![payloads::role(self.id, "@everyone", perms::MEMBER, 0)];
        roles.extend(self.roles.iter().enumerate().map(|(i, (id, name))| payloads::role(*id, name, perms::MEMBER, i as u64 + 1)));
        let mut bot_roles = Vec::new();
        if self.bot_permissions != 0 {
            // A bot's own role is managed by its integration and tagged with its id.
            let mut role = payloads::role(self.bot_role(), "partner-coach", self.bot_permissions, self.roles.len() as u64 + 1);
            role["managed"] = json!(true);
            role["tags"] = json!({ "bot_id": APP_ID.to_string() });
            roles.push(role);
            bot_roles.push(self.bot_role());
        }
        let channels = self.channels.iter().map(|(id, name, deny)| payloads::text_channel(*id, self.id, name, *deny)).collect();
        let members = vec![payloads::member(APP_ID, "partner-coach", &bot_roles, None, true)];
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
    /// The endpoint it came in on: `""` for the fake's own ([`FakeDiscord::api_url`]), else
    /// the label given to [`FakeDiscord::endpoint`] (one per bot process, so a test can tell
    /// which process sent it).
    pub via: String,
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
    /// The body the bot sent, with its edits merged in as Discord merges them: a field an
    /// edit sends replaces this one (null removes it), a field it leaves out stays.
    pub body: Value,
    /// When the fake created it, by the fake's time source ([`FakeDiscord::set_time_source`]).
    pub timestamp: DateTime<Utc>,
    /// The message object as Discord answers it (create, edits, and `GET .../messages`): its
    /// current state, with `edited_timestamp` set once it was edited.
    pub object: Value,
    /// The edit history: every accepted edit's body, oldest first (`PATCH .../messages/{id}`,
    /// an UPDATE_MESSAGE callback, a `PATCH .../@original` after a component's deferred
    /// update). Empty for a message never edited.
    pub edits: Vec<Value>,
}

impl StoredMessage {
    /// The author's user id (the bot's [`APP_ID`] for what the bot sent).
    pub fn author_id(&self) -> u64 {
        self.object["author"]["id"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0)
    }

    /// Whether it was edited at least once.
    pub fn edited(&self) -> bool {
        !self.edits.is_empty()
    }

    /// The custom_ids of its buttons and selects, in order (action rows, and v2 sections and
    /// containers, searched through).
    pub fn custom_ids(&self) -> Vec<String> {
        let mut out = Vec::new();
        interactions::walk_components(&self.object["components"], &mut |c| {
            if let Some(id) = c["custom_id"].as_str() {
                out.push(id.to_owned());
            }
        });
        out
    }
}

/// A thread the bot started (`POST /channels/{id}/threads`), in its current state.
#[derive(Clone, Debug)]
pub struct StoredThread {
    /// Thread (channel) id.
    pub id: u64,
    pub guild_id: u64,
    /// The text channel it was started in.
    pub parent_id: u64,
    /// 11 public, 12 private.
    pub kind: u8,
    pub name: String,
    /// Who started it (the bot).
    pub owner_id: u64,
    pub archived: bool,
    pub locked: bool,
    /// Private threads: whether non-moderators can add other non-moderators.
    pub invitable: bool,
    /// Minutes: 60, 1440, 4320 or 10080.
    pub auto_archive_duration: u64,
    /// Changed on creation, archiving, unarchiving and a new `auto_archive_duration`
    /// (topics/threads.mdx, "Thread Fields").
    pub archive_timestamp: DateTime<Utc>,
    pub create_timestamp: DateTime<Utc>,
    pub rate_limit_per_user: u64,
    /// Messages in it now (a deletion decrements it).
    pub message_count: u64,
    /// Messages ever sent in it (a deletion does not decrement it).
    pub total_message_sent: u64,
    pub last_message_id: Option<u64>,
}

impl StoredThread {
    /// The channel object Discord answers and dispatches for it.
    pub fn object(&self) -> Value {
        payloads::thread(self)
    }
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
    /// For a component interaction made on a stored message ([`Interaction::on_message`]):
    /// (channel, message). An UPDATE_MESSAGE callback, and an edit of `@original` after a
    /// DEFERRED_UPDATE_MESSAGE one, edit that message.
    pub message: Option<(u64, u64)>,
    /// The endpoints ([`Recorded::via`]) of the connections the INTERACTION_CREATE was written
    /// to, one entry per session that had a connection then: two while two sessions run the
    /// interaction's shard.
    pub delivered: Vec<String>,
    /// The endpoint the accepted callback came in on: which process answered.
    pub answered_via: Option<String>,
}

pub(crate) enum WsCmd {
    Send(String),
    /// Drop the TCP connection without a close frame, as a network failure would.
    Drop,
    /// Close the connection with a close code and reason, as Discord ends a session it
    /// refuses (4010 Invalid shard, 4011 Sharding required).
    Close(u16, String),
}

/// A gateway session: what one IDENTIFY started, on one shard. Several sessions may run the
/// same shard at once (while a rolling restart overlaps two processes): Discord sends each of
/// them every event of that shard, and so does the fake.
#[derive(Clone, Debug)]
pub struct Session {
    /// `session_id` in READY, and what a RESUME names.
    pub id: String,
    /// The shard, and the count, as the IDENTIFY gave them (`[0, 1]` without `shard`).
    pub shard: u32,
    pub count: u32,
    pub intents: u64,
    /// The last sequence number sent in this session.
    pub seq: u64,
    /// Frames sent in this session, for replay after a RESUME: (sequence, frame).
    pub log: Vec<(u64, String)>,
    /// The connection it runs on now (`None` after a drop, until a RESUME).
    pub conn: Option<u64>,
    /// The endpoint ([`Recorded::via`]) of that connection, or of the last one.
    pub via: String,
    tx: Option<mpsc::UnboundedSender<WsCmd>>,
}

impl Session {
    /// Sends `t` in this session: numbered, kept for a replay, written to its connection if
    /// it has one. Returns whether it was written.
    fn send(&mut self, t: &str, d: &Value) -> bool {
        self.seq += 1;
        let text = json!({ "op": 0, "t": t, "s": self.seq, "d": d }).to_string();
        self.log.push((self.seq, text.clone()));
        match &self.tx {
            Some(tx) => tx.send(WsCmd::Send(text)).is_ok(),
            None => false,
        }
    }
}

/// One IDENTIFY the fake received.
#[derive(Clone, Debug)]
pub struct IdentifyRecord {
    pub at: Instant,
    /// `shard` as sent, if it was a pair of integers.
    pub shard: Option<(u32, u32)>,
    /// The endpoint ([`Recorded::via`]) of its connection.
    pub via: String,
}

/// Discord's identify limit for a bot whose `max_concurrency` is 1 (what `GET /gateway/bot`
/// answers here): one IDENTIFY per 5 seconds, all shards and processes together
/// (topics/gateway.mdx, "Session Start Limit Object").
pub const IDENTIFY_INTERVAL: Duration = Duration::from_secs(5);

/// How much less than the interval two IDENTIFYs may be apart before the fake calls it a
/// violation. serenity spaces the *connects* of its shards by 5 s (its shard queue), and each
/// IDENTIFY follows its connect by the HELLO round trip, which varies by a few milliseconds
/// (more on a loaded 2-core machine): measured at the IDENTIFYs, a correct bot can be a hair
/// under 5 s. Anything that does not wait at all (two processes started together) is off by
/// seconds, far beyond this.
pub const IDENTIFY_SLACK: Duration = Duration::from_millis(250);

/// The shard a guild's events go to (topics/gateway.mdx, "Sharding"): `(guild_id >> 22) %
/// num_shards`.
pub fn shard_of(guild: u64, count: u32) -> u32 {
    ((guild >> 22) % u64::from(count.max(1))) as u32
}

/// The guild an event is about: its `guild_id`, or for a guild's own events its `id`;
/// `None` for events without a guild (DMs), which Discord sends on shard 0.
fn event_guild(t: &str, d: &Value) -> Option<u64> {
    let id = if t.starts_with("GUILD_") && d.get("guild_id").is_none() { d.get("id") } else { d.get("guild_id") };
    id.and_then(|v| v.as_str().and_then(|s| s.parse().ok()).or_else(|| v.as_u64()))
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
    /// Threads started, in creation order (deleted ones too: see `deleted_channels`).
    pub threads: Vec<StoredThread>,
    /// Messages deleted (by the bot or by [`FakeDiscord::delete_message`]), in deletion order.
    pub deleted_messages: Vec<StoredMessage>,
    /// Gateway events dispatched (or queued for a session), INTERACTION_CREATE left out:
    /// (event name, `d`).
    pub dispatched: Vec<(String, Value)>,
    pub counter: u64,
    // Gateway.
    /// Every session identified, in order (ended ones too: a session can be resumed).
    pub sessions: Vec<Session>,
    pub conn_counter: u64,
    /// Every event dispatched, INTERACTION_CREATE included, one frame each in dispatch order
    /// (numbered by the fake; each session numbers its own frames, see [`Session::seq`]).
    pub log: Vec<(u64, String)>,
    pub identifies: usize,
    pub resumes: usize,
    /// Every IDENTIFY, in order.
    pub identify_log: Vec<IdentifyRecord>,
    /// The shard count `GET /gateway/bot` recommends.
    pub recommended_shards: u32,
    /// Discord's global REST limit, when a test enforces it: requests a second (interaction
    /// callbacks and webhooks aside), the instants of those in the last second, and how many
    /// were answered 429 for it.
    pub global_limit: Option<u32>,
    pub global_window: std::collections::VecDeque<Instant>,
    pub global_429s: u64,
    /// The count the bot was told (`SHARD_COUNT`), when a test says it differs from the
    /// recommendation.
    pub expected_shards: Option<u32>,
    /// The least time between two IDENTIFYs ([`IDENTIFY_INTERVAL`]); `None`: not checked.
    pub identify_limit: Option<Duration>,
}

/// Gateway intents (events/gateway.mdx, "List of Intents") that gate events the fake sends.
pub mod intents {
    /// THREAD_CREATE, THREAD_UPDATE, THREAD_DELETE, THREAD_MEMBERS_UPDATE (and guilds).
    pub const GUILDS: u64 = 1 << 0;
    /// MESSAGE_CREATE, MESSAGE_UPDATE, MESSAGE_DELETE in guild channels and threads.
    pub const GUILD_MESSAGES: u64 = 1 << 9;
    /// The same events in DMs.
    pub const DIRECT_MESSAGES: u64 = 1 << 12;
}

impl Inner {
    /// The shard count IDENTIFYs must carry and events are routed by: the one the bot was
    /// told, else Discord's recommendation.
    pub fn shard_count(&self) -> u32 {
        self.expected_shards.unwrap_or(self.recommended_shards).max(1)
    }

    /// Keeps an event sent (in one session or more) in [`Self::log`] and, INTERACTION_CREATE
    /// aside, in [`Self::dispatched`].
    pub(crate) fn record_event(&mut self, t: &str, d: Value) {
        let n = self.log.len() as u64 + 1;
        self.log.push((n, json!({ "op": 0, "t": t, "s": n, "d": d }).to_string()));
        if t != "INTERACTION_CREATE" {
            self.dispatched.push((t.to_owned(), d));
        }
    }

    /// Whether some session has a connection: the bot is on the gateway.
    pub fn connected(&self) -> bool {
        self.sessions.iter().any(|s| s.conn.is_some())
    }

    /// Whether a session of `shard` runs on a connection of endpoint `via`.
    pub fn connected_via(&self, via: &str, shard: u32) -> bool {
        self.sessions.iter().any(|s| s.conn.is_some() && s.via == via && s.shard == shard)
    }

    /// The thread with this id, deleted or not.
    pub fn thread(&self, id: u64) -> Option<&StoredThread> {
        self.threads.iter().find(|t| t.id == id)
    }

    /// The thread is gone: deleted itself, or with its parent channel.
    pub fn thread_deleted(&self, t: &StoredThread) -> bool {
        self.deleted_channels.contains(&t.id) || self.deleted_channels.contains(&t.parent_id)
    }

    /// The guild's threads that are not archived (nor deleted), as channel objects, newest
    /// (highest id) first, as List Active Guild Threads orders them.
    pub fn active_threads(&self, guild: u64) -> Vec<Value> {
        self.active_thread_states(guild).into_iter().map(StoredThread::object).collect()
    }

    /// As [`Self::active_threads`], the threads themselves.
    pub fn active_thread_states(&self, guild: u64) -> Vec<&StoredThread> {
        let mut active: Vec<&StoredThread> =
            self.threads.iter().filter(|t| t.guild_id == guild && !t.archived && !self.thread_deleted(t)).collect();
        active.sort_by_key(|t| std::cmp::Reverse(t.id));
        active
    }

    /// The guild spec of a guild the fake has.
    pub fn guild(&self, id: u64) -> Option<&GuildSpec> {
        self.guilds.iter().find(|g| g.id == id)
    }
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

    /// Sends a gateway event to every session of its guild's shard (shard 0 without a guild),
    /// each numbering it in its own sequence and keeping it for a replay after a RESUME.
    pub fn dispatch(&self, t: &str, d: Value) {
        self.dispatch_to(None, t, d);
    }

    /// Sends an event only a session that identified with `intent` receives, as Discord does
    /// (events/gateway.mdx, "Gateway Intents"). While no session runs the event's shard the
    /// event is kept (there is no session to leave it out for).
    pub fn dispatch_for(&self, intent: u64, t: &str, d: Value) {
        self.dispatch_to(Some(intent), t, d);
    }

    fn dispatch_to(&self, intent: Option<u64>, t: &str, d: Value) {
        let mut i = self.lock();
        let shard = event_guild(t, &d).map_or(0, |g| shard_of(g, i.shard_count()));
        let on_shard = i.sessions.iter().filter(|s| s.shard == shard).count();
        let takers: Vec<usize> = (0..i.sessions.len())
            .filter(|&n| i.sessions[n].shard == shard && intent.is_none_or(|b| i.sessions[n].intents & b != 0))
            .collect();
        if on_shard > 0 && takers.is_empty() {
            return;
        }
        i.record_event(t, d.clone());
        let mut delivered = Vec::new();
        for n in takers {
            let session = &mut i.sessions[n];
            if session.send(t, &d) {
                delivered.push(session.via.clone());
            }
        }
        if t == "INTERACTION_CREATE" {
            if let Some(state) = d["token"].as_str().and_then(|token| i.interactions.get_mut(token)) {
                state.delivered.extend(delivered);
            }
        }
    }

    /// MESSAGE_UPDATE or MESSAGE_DELETE for a message in `channel`: GUILD_MESSAGES for a
    /// guild channel or thread, DIRECT_MESSAGES for a DM.
    pub fn dispatch_message_event(&self, channel: u64, t: &str, d: Value) {
        let dm = self.lock().dm_channels.values().any(|c| *c == channel);
        self.dispatch_for(if dm { intents::DIRECT_MESSAGES } else { intents::GUILD_MESSAGES }, t, d);
    }
}

/// One pair of listeners (REST and gateway) of the fake: its own, or one a test added for a
/// bot process ([`FakeDiscord::endpoint`]). Everything arriving on it is labelled with it.
pub(crate) struct Endpoint {
    pub shared: Arc<Shared>,
    /// `""` for the fake's own.
    pub label: String,
    /// Its gateway's URL: what `GET /gateway` answers on its REST listener, READY's
    /// `resume_gateway_url` on its gateway.
    pub gateway_url: String,
}

impl Endpoint {
    /// Binds a REST and a gateway listener on ports the OS picks and serves them; returns
    /// the REST base URL and the two tasks.
    async fn start(shared: Arc<Shared>, label: &str) -> (String, [tokio::task::JoinHandle<()>; 2]) {
        let rest = TcpListener::bind("127.0.0.1:0").await.expect("bind REST");
        let ws = TcpListener::bind("127.0.0.1:0").await.expect("bind gateway");
        let base_url = format!("http://{}", rest.local_addr().unwrap());
        let gateway_url = format!("ws://{}", ws.local_addr().unwrap());
        let ep = Arc::new(Endpoint { shared, label: label.to_owned(), gateway_url });
        (base_url, [tokio::spawn(rest::serve(rest, ep.clone())), tokio::spawn(gateway::serve(ws, ep))])
    }
}

/// The fake Discord. Dropping it shuts its servers down and fails the test if the bot sent
/// an invalid request.
pub struct FakeDiscord {
    shared: Arc<Shared>,
    base_url: String,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
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
        // The gateway's URL is known only once it is bound; `Shared` keeps the first
        // endpoint's for the tests that connect by hand.
        let ws = TcpListener::bind("127.0.0.1:0").await.expect("bind gateway");
        let rest = TcpListener::bind("127.0.0.1:0").await.expect("bind REST");
        let base_url = format!("http://{}", rest.local_addr().unwrap());
        let gateway_url = format!("ws://{}", ws.local_addr().unwrap());
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner { guilds, nonce_ttl: NONCE_TTL, recommended_shards: 1, ..Default::default() }),
            changed: Notify::new(),
            validator: validate.then(|| validate::Validator::new(include_str!("../../data/discord-openapi.json"))),
            gateway_url: gateway_url.clone(),
            callback_deadline: Duration::from_secs(3),
        });
        let ep = Arc::new(Endpoint { shared: shared.clone(), label: String::new(), gateway_url });
        let tasks = vec![tokio::spawn(rest::serve(rest, ep.clone())), tokio::spawn(gateway::serve(ws, ep))];
        Self { shared, base_url, tasks: Mutex::new(tasks) }
    }

    /// The value for `DISCORD_API_URL`.
    pub fn api_url(&self) -> String {
        self.base_url.clone()
    }

    /// Another REST and gateway listener on this same Discord, labelled `label`, and its
    /// value for `DISCORD_API_URL`: a bot process pointed at it talks to the same guilds and
    /// interactions, and every request and gateway connection of it carries the label
    /// ([`Recorded::via`], [`Session::via`], [`InteractionState::delivered`] and
    /// `answered_via`). Discord is one service behind many addresses; this is how a test of
    /// several processes tells them apart.
    pub async fn endpoint(&self, label: &str) -> String {
        assert!(!label.is_empty(), "the empty label is the fake's own endpoint");
        let (url, tasks) = Endpoint::start(self.shared.clone(), label).await;
        self.tasks.lock().unwrap().extend(tasks);
        url
    }

    /// Enforces Discord's global rate limit: more than `per_second` requests within a second
    /// (interaction callbacks and follow-ups, which Discord exempts, aside) are answered 429
    /// with `global: true`.
    pub fn set_global_limit(&self, per_second: u32) {
        self.shared.lock().global_limit = Some(per_second);
    }

    /// How many requests met the global limit.
    pub fn global_429s(&self) -> u64 {
        self.shared.lock().global_429s
    }

    /// Discord recommends `count` shards (`GET /gateway/bot`), IDENTIFYs must carry
    /// `shard: [id, count]`, each guild's events go to the sessions of its shard, and the
    /// identify rate limit ([`IDENTIFY_INTERVAL`]) is checked. Call before the bot starts.
    pub fn set_shard_count(&self, count: u32) {
        assert!(count >= 1, "a bot has at least one shard");
        let mut i = self.shared.lock();
        i.recommended_shards = count;
        i.identify_limit = Some(IDENTIFY_INTERVAL);
    }

    /// The bot was told `SHARD_COUNT=count`, whatever Discord recommends: IDENTIFYs must
    /// carry it, and events are routed by it. The identify rate limit is checked.
    pub fn expect_shard_count(&self, count: u32) {
        assert!(count >= 1, "a bot has at least one shard");
        let mut i = self.shared.lock();
        i.expected_shards = Some(count);
        i.identify_limit = Some(IDENTIFY_INTERVAL);
    }

    /// How far apart IDENTIFYs must be (`None`: not checked). The default is not to check it
    /// on an unsharded fake: the single-shard tests restart the bot within a second
    /// (`TestApp::restart`), which Discord would answer with an Invalid Session and serenity
    /// with an IDENTIFY 5 s later; that restart speed is the tests', not the bot's. A sharded
    /// fake checks [`IDENTIFY_INTERVAL`]. A shorter interval is only for the fake's own tests
    /// that identify by hand: serenity's 5 s wait passes any interval up to 5 s, but two bot
    /// processes started closer than 5 s would pass a shorter one and not Discord.
    pub fn set_identify_limit(&self, interval: Option<Duration>) {
        assert!(interval.is_none_or(|d| d <= IDENTIFY_INTERVAL), "Discord's limit is one IDENTIFY per 5 s; a longer one is not Discord's");
        self.shared.lock().identify_limit = interval;
    }

    /// Every gateway session so far, in the order they identified.
    pub fn gateway_sessions(&self) -> Vec<Session> {
        self.shared.lock().sessions.clone()
    }

    /// Every IDENTIFY so far.
    pub fn identify_log(&self) -> Vec<IdentifyRecord> {
        self.shared.lock().identify_log.clone()
    }

    /// Waits until a session of `shard` runs on a connection of endpoint `via` and has been
    /// sent READY (and its guilds).
    pub async fn wait_connected(&self, via: &str, shard: u32) {
        self.wait_for(&format!("a session of shard {shard} via {via:?}"), |i| i.connected_via(via, shard).then_some(())).await;
    }

    /// Sleeps until an IDENTIFY now would keep the identify rate limit (the interval after
    /// the last one, [`IDENTIFY_INTERVAL`] unless a test shortened it). A test starting
    /// another bot process calls this first, as an operator's rollout spaces its processes:
    /// serenity spaces only one process's shards.
    pub async fn wait_identify_window(&self) {
        let (last, interval) = {
            let i = self.shared.lock();
            (i.identify_log.last().map(|r| r.at), i.identify_limit.unwrap_or(IDENTIFY_INTERVAL))
        };
        if let Some(last) = last {
            tokio::time::sleep_until((last + interval).into()).await;
        }
    }

    /// The endpoints the interaction with `token` was written to (see
    /// [`InteractionState::delivered`]).
    pub fn delivered_to(&self, token: &str) -> Vec<String> {
        self.shared.lock().interactions.get(token).map(|s| s.delivered.clone()).unwrap_or_default()
    }

    /// The endpoint the interaction's accepted callback came in on, if answered.
    pub fn answered_via(&self, token: &str) -> Option<String> {
        self.shared.lock().interactions.get(token).and_then(|s| s.answered_via.clone())
    }

    /// Every callback request made for the interaction with `token`, accepted or refused
    /// (a second answer is refused with 40060): more than one means it was answered twice.
    pub fn callback_requests(&self, token: &str) -> Vec<Recorded> {
        let suffix = format!("/{token}/callback");
        self.shared.lock().requests.iter().filter(|r| r.method == "POST" && r.path.ends_with(&suffix)).cloned().collect()
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
        self.wait_for("command registration", |i| (i.command_puts > 0 && i.connected()).then_some(())).await;
    }

    /// The commands the bot registered last.
    pub fn commands(&self) -> Vec<Value> {
        self.shared.lock().commands.clone()
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.lock().requests.clone()
    }

    /// Messages in a channel, DM channel or thread now (edits applied, deleted ones gone:
    /// see [`Self::deleted_messages_in`]), oldest first.
    pub fn messages_in(&self, channel: u64) -> Vec<StoredMessage> {
        self.shared.lock().messages.iter().filter(|m| m.channel_id == channel).cloned().collect()
    }

    /// DMs sent to a user (and not deleted), oldest first.
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

    /// The channel is gone: posts to it answer 404 Unknown Channel. A text channel takes its
    /// threads with it; deleting a thread dispatches THREAD_DELETE (its `id`, `guild_id`,
    /// `parent_id` and `type`, as events/gateway-events.mdx has it).
    pub fn delete_channel(&self, channel: u64) {
        let thread = {
            let mut i = self.shared.lock();
            i.deleted_channels.insert(channel);
            i.thread(channel).cloned()
        };
        if let Some(t) = thread {
            let d =
                json!({ "id": t.id.to_string(), "guild_id": t.guild_id.to_string(), "parent_id": t.parent_id.to_string(), "type": t.kind });
            self.shared.dispatch_for(intents::GUILDS, "THREAD_DELETE", d);
        }
    }

    /// The DM channel the fake opened with `user` (`POST /users/@me/channels`, or a DM
    /// interaction from them), if any.
    pub fn dm_channel_of(&self, user: u64) -> Option<u64> {
        self.shared.lock().dm_channels.get(&user).copied()
    }

    /// A message in its current state (edits applied); `None` if it never existed or was
    /// deleted.
    pub fn message(&self, channel: u64, id: u64) -> Option<StoredMessage> {
        self.shared.lock().messages.iter().find(|m| m.channel_id == channel && m.id == id).cloned()
    }

    /// Messages deleted from a channel (by the bot or [`Self::delete_message`]), in deletion
    /// order, as they were when deleted.
    pub fn deleted_messages_in(&self, channel: u64) -> Vec<StoredMessage> {
        self.shared.lock().deleted_messages.iter().filter(|m| m.channel_id == channel).cloned().collect()
    }

    /// A moderator deletes a message: it is gone (`GET` and edits answer 404 Unknown Message,
    /// 10008), a thread's `message_count` drops, and MESSAGE_DELETE is dispatched (to a bot
    /// with the message intents). Panics if there is no such message.
    pub fn delete_message(&self, channel: u64, message: u64) {
        let removed = remove_message(&self.shared, channel, message);
        assert!(removed, "no message {message} in channel {channel} to delete");
    }

    /// A user (not the bot) posts `content` in a channel, DM or thread; returns the message
    /// id. The bot may not edit it (403, 50005). No MESSAGE_CREATE is dispatched: this bot's
    /// intents do not include messages.
    pub fn member_posts(&self, channel: u64, user: u64, content: &str) -> u64 {
        let timestamp = self.shared.now();
        let id = self.shared.next_id();
        let body = json!({ "content": content });
        let mut i = self.shared.lock();
        let guild = i.guilds.iter().find(|g| g.channels.iter().any(|c| c.0 == channel)).map(|g| g.id);
        let thread = i.threads.iter_mut().find(|t| t.id == channel);
        let guild = guild.or(thread.as_ref().map(|t| t.guild_id));
        let mut msg = payloads::message(id, channel, payloads::user(user, "member", false), &body, guild, None);
        msg["timestamp"] = json!(payloads::timestamp(timestamp));
        if let Some(t) = thread {
            msg["position"] = json!(t.total_message_sent);
            t.message_count += 1;
            t.total_message_sent += 1;
            t.last_message_id = Some(id);
        }
        i.messages.push(StoredMessage { id, channel_id: channel, body, timestamp, object: msg, edits: Vec::new() });
        drop(i);
        self.shared.changed.notify_waiters();
        id
    }

    /// The threads started in a text channel (deleted ones left out), as channel objects in
    /// their current state, in creation order.
    pub fn threads_in(&self, parent: u64) -> Vec<Value> {
        let i = self.shared.lock();
        i.threads.iter().filter(|t| t.parent_id == parent && !i.thread_deleted(t)).map(StoredThread::object).collect()
    }

    /// A thread's current state (deleted ones included).
    pub fn thread(&self, id: u64) -> Option<StoredThread> {
        self.shared.lock().thread(id).cloned()
    }

    /// Waits until at least `n` threads were started in `parent`.
    pub async fn wait_for_threads(&self, parent: u64, n: usize) -> Vec<Value> {
        self.wait_for(&format!("{n} thread(s) in channel {parent}"), |i| {
            let threads: Vec<Value> =
                i.threads.iter().filter(|t| t.parent_id == parent && !i.thread_deleted(t)).map(StoredThread::object).collect();
            (threads.len() >= n).then_some(threads)
        })
        .await
    }

    /// The thread archives (as after its inactivity period, or a moderator's "close"):
    /// THREAD_UPDATE is dispatched. A message the bot sends unarchives it again, unless it is
    /// also locked; edits in it answer 400 Thread is archived (50083).
    pub fn archive_thread(&self, thread: u64) {
        let now = self.shared.now();
        self.update_thread(thread, |t| {
            t.archived = true;
            t.archive_timestamp = now;
        });
    }

    /// A moderator locks the thread: THREAD_UPDATE is dispatched. Without Manage Threads the
    /// bot can no longer post or edit in it (403 Thread is locked, 160005) nor unarchive it;
    /// archived and locked, posts answer 400 Thread is archived (50083).
    pub fn lock_thread(&self, thread: u64) {
        self.update_thread(thread, |t| t.locked = true);
    }

    fn update_thread(&self, thread: u64, f: impl FnOnce(&mut StoredThread)) {
        let object = {
            let mut i = self.shared.lock();
            let t = i.threads.iter_mut().find(|t| t.id == thread).unwrap_or_else(|| panic!("no thread {thread}"));
            f(t);
            t.object()
        };
        self.shared.dispatch_for(intents::GUILDS, "THREAD_UPDATE", object);
        self.shared.changed.notify_waiters();
    }

    /// The `d` of every gateway event named `t` dispatched so far (to the bot's sessions, or
    /// queued before one), oldest first. INTERACTION_CREATE is not kept.
    pub fn dispatched(&self, t: &str) -> Vec<Value> {
        self.shared.lock().dispatched.iter().filter(|(name, _)| name == t).map(|(_, d)| d.clone()).collect()
    }

    /// The user does not accept DMs from the bot: messages answer 403 code 50007.
    pub fn close_dms(&self, user: u64) {
        self.shared.lock().closed_dms.insert(user);
    }

    /// Drops every gateway connection as a network failure would; the bot must resume.
    pub fn drop_gateway(&self) {
        let i = self.shared.lock();
        for tx in i.sessions.iter().filter_map(|s| s.tx.as_ref()) {
            let _ = tx.send(WsCmd::Drop);
        }
    }

    /// Drops the connections of `shard`'s sessions on endpoint `via`, as a network failure
    /// would; their sessions stay resumable.
    pub fn drop_connections(&self, via: &str, shard: u32) {
        let i = self.shared.lock();
        for tx in i.sessions.iter().filter(|s| s.via == via && s.shard == shard).filter_map(|s| s.tx.as_ref()) {
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
        self.wait_for("a RESUME", |i| (i.resumes > before && i.connected()).then_some(())).await;
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

/// Removes a message (to `deleted_messages`), keeps its thread's `message_count` right and
/// dispatches MESSAGE_DELETE; `false` if there was no such message.
pub(crate) fn remove_message(s: &Shared, channel: u64, message: u64) -> bool {
    let guild = {
        let mut i = s.lock();
        let Some(at) = i.messages.iter().position(|m| m.channel_id == channel && m.id == message) else {
            return false;
        };
        let gone = i.messages.remove(at);
        if let Some(t) = i.threads.iter_mut().find(|t| t.id == channel) {
            t.message_count = t.message_count.saturating_sub(1);
        }
        let guild = gone.object.get("guild_id").cloned();
        i.deleted_messages.push(gone);
        guild
    };
    let mut d = json!({ "id": message.to_string(), "channel_id": channel.to_string() });
    if let Some(g) = guild {
        d["guild_id"] = g;
    }
    s.dispatch_message_event(channel, "MESSAGE_DELETE", d);
    s.changed.notify_waiters();
    true
}

impl Drop for FakeDiscord {
    fn drop(&mut self) {
        for t in self.tasks.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            t.abort();
        }
        for tx in self.shared.lock().sessions.iter_mut().filter_map(|s| s.tx.take()) {
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
