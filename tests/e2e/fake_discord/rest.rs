//! The fake's REST API: the routes a bot uses, answered as Discord answers them.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};
use tokio::net::TcpListener;

use chrono::{DateTime, Utc};

use super::{intents, payloads, perms, Endpoint, NonceRecord, Recorded, Shared, StoredMessage, StoredThread, APP_ID, TOKEN};

pub async fn serve(listener: TcpListener, endpoint: Arc<Endpoint>) {
    let app = Router::new().fallback(handle).with_state(endpoint);
    // No Nagle: small answers go out at once, as from Discord's edge.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).await.expect("fake REST server");
}

fn reply(status: u16, body: Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap();
    if status == StatusCode::NO_CONTENT {
        return status.into_response();
    }
    (status, [("content-type", "application/json")], body.to_string()).into_response()
}

fn discord_error(status: u16, code: u64, message: &str) -> Response {
    reply(status, json!({ "code": code, "message": message }))
}

/// Splits a multipart/form-data body into its `payload_json` (or JSON body) and files.
fn parse_body(headers: &HeaderMap, body: &Bytes) -> (Value, Vec<(String, Vec<u8>)>) {
    let ctype = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    if let Some(boundary) = ctype.split("boundary=").nth(1) {
        let boundary = format!("--{}", boundary.trim_matches('"'));
        let mut json_body = Value::Null;
        let mut files = Vec::new();
        let raw = body.as_ref();
        let mut parts = Vec::new();
        let b = boundary.as_bytes();
        let mut start = None;
        let mut i = 0;
        while i + b.len() <= raw.len() {
            if &raw[i..i + b.len()] == b {
                if let Some(s) = start {
                    parts.push(&raw[s..i]);
                }
                start = Some(i + b.len());
                i += b.len();
            } else {
                i += 1;
            }
        }
        for part in parts {
            let Some(split) = part.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
            let head = String::from_utf8_lossy(&part[..split]).to_string();
            let mut content = &part[split + 4..];
            if content.ends_with(b"\r\n") {
                content = &content[..content.len() - 2];
            }
            let name = head.split("name=\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or("").to_owned();
            let filename = head.split("filename=\"").nth(1).and_then(|s| s.split('"').next()).map(str::to_owned);
            if name == "payload_json" {
                json_body = serde_json::from_slice(content).unwrap_or(Value::Null);
            } else if let Some(f) = filename {
                files.push((f, content.to_vec()));
            }
        }
        return (json_body, files);
    }
    if body.is_empty() {
        (Value::Null, Vec::new())
    } else {
        (serde_json::from_slice(body).unwrap_or_else(|_| json!({ "__unparseable__": String::from_utf8_lossy(body) })), Vec::new())
    }
}

async fn handle(State(ep): State<Arc<Endpoint>>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let s = &*ep.shared;
    let finish = |m: &str, path: &str, query: &str, body: Value, files: Vec<(String, Vec<u8>)>, resp: Response| {
        record(s, &ep.label, m, path, query, body, files, resp)
    };
    let path = uri.path().to_owned();
    let query = uri.query().unwrap_or("").to_owned();
    let (json_body, files) = parse_body(&headers, &body);
    let segs: Vec<&str> = path.trim_start_matches("/api/v10/").split('/').collect();
    let m = method.as_str().to_owned();

    // Interaction callbacks and webhooks are authenticated by their token; everything else
    // needs the bot token, as on Discord.
    let token_routes = matches!(segs.first(), Some(&"interactions") | Some(&"webhooks"));
    let auth_ok = headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bot {TOKEN}"));
    if !token_routes && !auth_ok {
        s.lock().violations.push(format!("{m} {path}: missing or wrong Authorization header"));
        return finish(&m, &path, &query, json_body, files, discord_error(401, 0, "401: Unauthorized"));
    }

    // Validate the body against the spec and the docs' limits.
    let interaction_type = match segs.as_slice() {
        ["interactions", _, token, "callback"] => s.lock().interactions.get(*token).map(|i| i.kind),
        _ => None,
    };
    let has_body = !json_body.is_null();
    if let Some(validator) = &s.validator {
        let target = if query.is_empty() { path.clone() } else { format!("{path}?{query}") };
        let mut errors = validator.validate(&m, &target, has_body.then_some(&json_body), interaction_type);
        errors.extend(super::validate::check_attachments(&json_body, &files));
        if !errors.is_empty() {
            s.lock().violations.push(format!("{m} {path}: {}\n  body: {}", errors.join("; "), json_body));
            let resp = reply(
                400,
                json!({ "code": 50035, "message": "Invalid Form Body", "errors": { "_errors": errors.iter().map(|e| json!({"code": "INVALID", "message": e})).collect::<Vec<_>>() } }),
            );
            return finish(&m, &path, &query, json_body, files, resp);
        }
    }

    // Discord's global limit, when enforced: interaction callbacks and webhooks are exempt.
    let exempt = matches!(segs.first(), Some(&"interactions") | Some(&"webhooks"));
    if !exempt {
        let mut i = s.lock();
        if let Some(limit) = i.global_limit {
            let now = Instant::now();
            while i.global_window.front().is_some_and(|t| now.duration_since(*t) >= std::time::Duration::from_secs(1)) {
                i.global_window.pop_front();
            }
            if i.global_window.len() >= limit as usize {
                i.global_429s += 1;
                let wait = 1.0 - now.duration_since(*i.global_window.front().expect("full")).as_secs_f64();
                drop(i);
                let mut r = reply(429, json!({ "message": "You are being rate limited.", "retry_after": wait, "global": true }));
                r.headers_mut().insert("x-ratelimit-global", HeaderValue::from_static("true"));
                return finish(&m, &path, &query, json_body, files, r);
            }
            i.global_window.push_back(now);
        }
    }

    // Injected faults. The lock is released before any wait (a hang must not stall the fake).
    let hit = {
        let mut i = s.lock();
        let now = Instant::now();
        i.faults
            .iter_mut()
            .find(|f| f.remaining > 0 && f.until.is_none_or(|u| now < u) && f.method == m && path.contains(&f.path_contains))
            .and_then(|f| {
                f.seen += 1;
                (f.seen % f.every == 0).then(|| {
                    f.remaining -= 1;
                    (f.status, f.retry_after, f.lose_response, f.delay)
                })
            })
    };
    if let Some((status, retry_after, lose_response, delay)) = hit {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        if lose_response {
            let _ = route(&ep, &m, &segs, &query, &json_body, &files);
        }
        let resp = if status == 429 {
            let mut r = reply(429, json!({ "message": "You are being rate limited.", "retry_after": retry_after, "global": false }));
            r.headers_mut().insert("retry-after", HeaderValue::from_str(&retry_after.ceil().to_string()).unwrap());
            r
        } else {
            discord_error(status, 0, "500: Internal Server Error")
        };
        return finish(&m, &path, &query, json_body, files, resp);
    }

    let resp = route(&ep, &m, &segs, &query, &json_body, &files);
    finish(&m, &path, &query, json_body, files, resp)
}

/// Records the request (with the endpoint it came in on) and wakes the waiters.
#[allow(clippy::too_many_arguments)]
fn record(
    s: &Shared,
    via: &str,
    method: &str,
    path: &str,
    query: &str,
    body: Value,
    files: Vec<(String, Vec<u8>)>,
    resp: Response,
) -> Response {
    let status = resp.status().as_u16();
    s.lock().requests.push(Recorded {
        method: method.into(),
        path: path.into(),
        query: query.into(),
        body,
        files,
        status,
        via: via.into(),
    });
    s.changed.notify_waiters();
    resp
}

fn bot_user() -> Value {
    payloads::user(APP_ID, "partner-coach", true)
}

fn route(ep: &Endpoint, m: &str, segs: &[&str], query: &str, body: &Value, files: &[(String, Vec<u8>)]) -> Response {
    let s = &*ep.shared;
    match (m, segs) {
        ("GET", ["gateway"]) => reply(200, json!({ "url": ep.gateway_url })),
        // gateway.mdx, "Get Gateway Bot": the recommended shard count, and the session start
        // limit, whose `max_concurrency` 1 means one IDENTIFY per 5 s (checked by the gateway).
        ("GET", ["gateway", "bot"]) => {
            let i = s.lock();
            let remaining = 1000usize.saturating_sub(i.identifies);
            reply(
                200,
                json!({ "url": ep.gateway_url, "shards": i.recommended_shards, "session_start_limit": { "total": 1000, "remaining": remaining, "reset_after": 86_400_000, "max_concurrency": 1 } }),
            )
        }
        ("GET", ["oauth2", "applications", "@me"]) => reply(200, payloads::application(APP_ID, payloads::user(1, "owner", false))),
        ("GET", ["users", "@me"]) => reply(200, bot_user()),
        ("PUT", ["applications", app, "commands"]) | ("PUT", ["applications", app, "guilds", _, "commands"]) => {
            if *app != APP_ID.to_string() {
                return discord_error(404, 10002, "Unknown Application");
            }
            let guild = match segs {
                [_, _, "guilds", g, _] => g.parse().ok(),
                _ => None,
            };
            let cmds: Vec<Value> = body.as_array().cloned().unwrap_or_default();
            let registered: Vec<Value> = cmds.iter().map(|c| payloads::registered_command(c, s.next_id(), APP_ID, guild)).collect();
            let mut i = s.lock();
            i.commands = registered.clone();
            i.command_puts += 1;
            reply(200, Value::Array(registered))
        }
        ("POST", ["interactions", id, token, "callback"]) => {
            let mut i = s.lock();
            let Some(state) = i.interactions.get_mut(*token) else {
                return discord_error(404, 10062, "Unknown interaction");
            };
            if state.id.to_string() != *id {
                return discord_error(404, 10062, "Unknown interaction");
            }
            if state.callback_at.is_some() {
                return discord_error(400, 40060, "Interaction has already been acknowledged.");
            }
            if state.sent_at.elapsed() > s.callback_deadline {
                return discord_error(404, 10062, "Unknown interaction");
            }
            state.callbacks.push(body.clone());
            state.callback_files = files.to_vec();
            state.callback_at = Some(Instant::now());
            state.answered_via = Some(ep.label.clone());
            // UPDATE_MESSAGE edits the message the component was attached to
            // (receiving-and-responding.mdx, callback type 7).
            let update = state.message.filter(|_| body["type"].as_u64() == Some(7));
            drop(i);
            if let Some((channel, message)) = update {
                let data = body.get("data").filter(|d| d.is_object()).cloned().unwrap_or_else(|| json!({}));
                apply_edit(s, channel, message, &data, files);
            }
            reply(204, Value::Null)
        }
        ("POST", ["webhooks", app, token]) => {
            let id = s.next_id();
            let mut i = s.lock();
            match i.interactions.get_mut(*token) {
                Some(state) if *app == APP_ID.to_string() && state.callback_at.is_some() => {
                    state.followups.push(body.clone());
                    reply(200, payloads::message(id, 1, bot_user(), body, None, Some(APP_ID)))
                }
                Some(_) => discord_error(400, 40060, "Interaction has not been acknowledged"),
                None => discord_error(404, 10015, "Unknown Webhook"),
            }
        }
        ("PATCH", ["webhooks", _, token, "messages", which]) | ("GET", ["webhooks", _, token, "messages", which]) => {
            let id = s.next_id();
            let mut i = s.lock();
            match i.interactions.get_mut(*token) {
                Some(state) if state.callback_at.is_some() => {
                    if m == "PATCH" {
                        state.edits.push(body.clone());
                    }
                    // After DEFERRED_UPDATE_MESSAGE (6) or UPDATE_MESSAGE (7), @original is
                    // the message the component was on.
                    let deferred_update = matches!(state.callbacks.first().and_then(|c| c["type"].as_u64()), Some(6 | 7));
                    if let Some((channel, message)) = state.message.filter(|_| deferred_update && *which == "@original") {
                        drop(i);
                        let object = if m == "PATCH" {
                            apply_edit(s, channel, message, body, files)
                        } else {
                            s.lock().messages.iter().find(|x| x.channel_id == channel && x.id == message).map(|x| x.object.clone())
                        };
                        return object.map_or_else(|| discord_error(404, 10008, "Unknown Message"), |o| reply(200, o));
                    }
                    let shown = state.edits.last().or(state.callbacks.last().and_then(|c| c.get("data"))).cloned().unwrap_or(json!({}));
                    reply(200, payloads::message(id, 1, bot_user(), &shown, None, Some(APP_ID)))
                }
                _ => discord_error(404, 10008, "Unknown Message"),
            }
        }
        ("POST", ["users", "@me", "channels"]) => {
            let Some(user) =
                body.get("recipient_id").and_then(|v| v.as_str().map(str::to_owned).or_else(|| v.as_u64().map(|n| n.to_string())))
            else {
                return discord_error(400, 50035, "Invalid Form Body");
            };
            let user: u64 = user.parse().unwrap_or(0);
            let existing = s.lock().dm_channels.get(&user).copied();
            let ch = existing.unwrap_or_else(|| s.next_id());
            s.lock().dm_channels.insert(user, ch);
            reply(200, payloads::dm_channel(ch, payloads::user(user, "member", false)))
        }
        ("POST", ["channels", ch, "messages"]) => create_message(s, ch, body, files),
        ("GET", ["channels", ch, "messages"]) => list_messages(s, ch, query),
        ("GET", ["channels", ch, "messages", id]) => get_message(s, ch, id),
        ("PATCH", ["channels", ch, "messages", id]) => edit_message(s, ch, id, body, files),
        ("DELETE", ["channels", ch, "messages", id]) => delete_message(s, ch, id),
        ("POST", ["channels", ch, "threads"]) => create_thread(s, ch, body),
        ("GET", ["channels", ch, "threads", "archived", "public"]) => archived_threads(s, ch, query),
        ("GET", ["channels", ch]) => get_channel(s, ch),
        ("PATCH", ["channels", ch]) => modify_channel(s, ch, body),
        ("GET", ["guilds", guild, "threads", "active"]) => active_threads(s, guild),
        ("GET", ["guilds", guild, "members", user]) => guild_member(s, guild, user),
        ("GET", ["guilds", guild]) => get_guild(s, guild),
        _ => {
            s.lock()
                .violations
                .push(format!("{m} /api/v10/{}: a route the fake does not know (is it one the bot should use?)", segs.join("/")));
            discord_error(404, 0, "404: Not Found")
        }
    }
}

/// Where a channel is, with what the bot may do there.
enum Place {
    /// A guild text channel; `perms` are the bot's there ([`super::GuildSpec::bot_perms`]).
    Guild {
        guild: u64,
        perms: u64,
    },
    /// A thread of a guild text channel; `perms` are the bot's in the parent, which threads
    /// inherit (topics/permissions.mdx, "Inherited Permissions (Threads)").
    Thread {
        guild: u64,
        perms: u64,
        thread: Box<StoredThread>,
    },
    Dm {
        user: u64,
    },
}

impl Place {
    /// The bot's permissions; everything in a DM.
    fn perms(&self) -> u64 {
        match self {
            Place::Guild { perms, .. } | Place::Thread { perms, .. } => *perms,
            Place::Dm { .. } => u64::MAX,
        }
    }
}

/// The channel named in a path; `None` if it does not exist (any more): a thread goes with
/// its parent, and with its guild.
fn find_channel(s: &Shared, ch: &str) -> Option<(u64, Place)> {
    let ch = ch.parse::<u64>().ok()?;
    let i = s.lock();
    if i.deleted_channels.contains(&ch) {
        return None;
    }
    if let Some((guild, perms)) = i.guilds.iter().find_map(|g| g.channels.iter().find(|c| c.0 == ch).map(|c| (g.id, g.bot_perms(c.2)))) {
        return Some((ch, Place::Guild { guild, perms }));
    }
    if let Some(t) = i.thread(ch) {
        if i.thread_deleted(t) {
            return None;
        }
        let g = i.guild(t.guild_id)?;
        let deny = g.channels.iter().find(|c| c.0 == t.parent_id).map_or(0, |c| c.2);
        return Some((ch, Place::Thread { guild: t.guild_id, perms: g.bot_perms(deny), thread: Box::new(t.clone()) }));
    }
    i.dm_channels.iter().find(|(_, c)| **c == ch).map(|(user, _)| (ch, Place::Dm { user: *user }))
}

/// A number sent as a JSON number or a string of digits (Discord takes both).
fn num(v: Option<&Value>) -> Option<u64> {
    v.and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
}

fn create_message(s: &Shared, ch: &str, body: &Value, files: &[(String, Vec<u8>)]) -> Response {
    let Some((ch, place)) = find_channel(s, ch) else { return discord_error(404, 10003, "Unknown Channel") };
    let guild = match &place {
        Place::Dm { user } if s.lock().closed_dms.contains(user) => {
            return discord_error(403, 50007, "Cannot send messages to this user");
        }
        Place::Dm { .. } => None,
        Place::Guild { perms, .. }
            if perms & (perms::SEND_MESSAGES | perms::VIEW_CHANNEL) != perms::SEND_MESSAGES | perms::VIEW_CHANNEL =>
        {
            return discord_error(403, 50013, "Missing Permissions");
        }
        Place::Guild { guild, .. } => Some(*guild),
        // In a thread SEND_MESSAGES has no effect: SEND_MESSAGES_IN_THREADS it is.
        Place::Thread { perms, .. }
            if perms & (perms::SEND_MESSAGES_IN_THREADS | perms::VIEW_CHANNEL) != perms::SEND_MESSAGES_IN_THREADS | perms::VIEW_CHANNEL =>
        {
            return discord_error(403, 50013, "Missing Permissions");
        }
        // "Sending a message will automatically unarchive the thread, unless the thread has
        // been locked by a moderator" (topics/threads.mdx); a locked one takes posts from
        // moderators only ("Locked Threads").
        Place::Thread { thread, .. } if thread.locked && thread.archived => {
            return discord_error(400, 50083, "Thread is archived");
        }
        Place::Thread { thread, perms, .. } if thread.locked && perms & perms::MANAGE_THREADS == 0 => {
            return discord_error(403, 160005, "Thread is locked");
        }
        Place::Thread { guild, .. } => Some(*guild),
    };
    // enforce_nonce: the same nonce from the same author within minutes returns the first
    // message instead of creating another (Discord's idempotency for retries); an older one
    // creates a new message.
    let nonce = body.get("nonce").map(|n| n.as_str().map(str::to_owned).unwrap_or_else(|| n.to_string()));
    let enforce = body.get("enforce_nonce").and_then(Value::as_bool).unwrap_or(false);
    if let (Some(n), true) = (&nonce, enforce) {
        let i = s.lock();
        if let Some((record, existing)) = i.nonces.get(&(ch, n.clone())) {
            if record.created.elapsed() < i.nonce_ttl {
                return reply(200, existing.clone());
            }
        }
    }
    let timestamp = s.now();
    let id = s.next_id();
    let mut msg = payloads::message(id, ch, bot_user(), body, guild, None);
    msg["timestamp"] = json!(payloads::timestamp(timestamp));
    msg["attachments"] = files.iter().map(|(name, data)| payloads::attachment(s.next_id(), name, data.len())).collect();
    let mut i = s.lock();
    let mut unarchived = None;
    if let Some(t) = i.threads.iter_mut().find(|t| t.id == ch) {
        // The approximate position in the thread (message.mdx, `position`).
        msg["position"] = json!(t.total_message_sent);
        t.message_count += 1;
        t.total_message_sent += 1;
        t.last_message_id = Some(id);
        if t.archived {
            t.archived = false;
            t.archive_timestamp = timestamp;
            unarchived = Some(t.object());
        }
    }
    i.messages.push(StoredMessage { id, channel_id: ch, body: body.clone(), timestamp, object: msg.clone(), edits: Vec::new() });
    if let (Some(n), true) = (nonce, enforce) {
        let record = NonceRecord { channel_id: ch, nonce: n.clone(), message_id: id, created: Instant::now() };
        i.nonces.insert((ch, n), (record, msg.clone()));
    }
    drop(i);
    if let Some(thread) = unarchived {
        s.dispatch_for(intents::GUILDS, "THREAD_UPDATE", thread);
    }
    reply(200, msg)
}

/// `GET /channels/{id}/messages/{message}`: needs View Channel and Read Message History in a
/// guild (message.mdx, Get Channel Message).
fn get_message(s: &Shared, ch: &str, id: &str) -> Response {
    let Some((ch, place)) = find_channel(s, ch) else { return discord_error(404, 10003, "Unknown Channel") };
    if place.perms() & (perms::VIEW_CHANNEL | perms::READ_HISTORY) != perms::VIEW_CHANNEL | perms::READ_HISTORY {
        return discord_error(403, 50001, "Missing Access");
    }
    let object =
        id.parse::<u64>().ok().and_then(|id| s.lock().messages.iter().find(|m| m.channel_id == ch && m.id == id).map(|m| m.object.clone()));
    object.map_or_else(|| discord_error(404, 10008, "Unknown Message"), |o| reply(200, o))
}

/// `PATCH /channels/{id}/messages/{message}` (message.mdx, Edit Message): only the author
/// edits content, embeds and components; nobody edits in an archived thread (editing does not
/// unarchive it, unlike sending: topics/threads.mdx, "Active & Archived Threads"), and only
/// moderators in a locked one.
fn edit_message(s: &Shared, ch: &str, id: &str, body: &Value, files: &[(String, Vec<u8>)]) -> Response {
    let Some((ch, place)) = find_channel(s, ch) else { return discord_error(404, 10003, "Unknown Channel") };
    if place.perms() & perms::VIEW_CHANNEL == 0 {
        return discord_error(403, 50001, "Missing Access");
    }
    let Some(msg) = id.parse::<u64>().ok().and_then(|id| s.lock().messages.iter().find(|m| m.channel_id == ch && m.id == id).cloned())
    else {
        return discord_error(404, 10008, "Unknown Message");
    };
    if msg.author_id() != APP_ID {
        return discord_error(403, 50005, "Cannot edit a message authored by another user");
    }
    if let Place::Thread { thread, perms, .. } = &place {
        if thread.archived {
            return discord_error(400, 50083, "Thread is archived");
        }
        if thread.locked && perms & perms::MANAGE_THREADS == 0 {
            return discord_error(403, 160005, "Thread is locked");
        }
    }
    apply_edit(s, ch, msg.id, body, files).map_or_else(|| discord_error(404, 10008, "Unknown Message"), |o| reply(200, o))
}

/// Applies an edit to a stored message as Discord does and dispatches MESSAGE_UPDATE; returns
/// the new message object, `None` if the message is gone.
pub(crate) fn apply_edit(s: &Shared, channel: u64, id: u64, body: &Value, files: &[(String, Vec<u8>)]) -> Option<Value> {
    let now = s.now();
    let uploads: Vec<Value> = files.iter().map(|(name, data)| payloads::attachment(s.next_id(), name, data.len())).collect();
    let object = {
        let mut i = s.lock();
        let m = i.messages.iter_mut().find(|m| m.channel_id == channel && m.id == id)?;
        merge_edit(m, body, uploads, payloads::timestamp(now));
        m.object.clone()
    };
    s.dispatch_message_event(channel, "MESSAGE_UPDATE", object.clone());
    s.changed.notify_waiters();
    Some(object)
}

/// Message flags an edit may change (message.mdx, Edit Message): SUPPRESS_EMBEDS both ways,
/// IS_COMPONENTS_V2 only on.
const SUPPRESS_EMBEDS: u64 = 1 << 2;
const IS_COMPONENTS_V2: u64 = 1 << 15;

/// Edit Message semantics: a field sent replaces the old one (null clears it), a field left
/// out stays; `attachments` lists the files to keep, new uploads are added.
fn merge_edit(m: &mut StoredMessage, body: &Value, uploads: Vec<Value>, edited_at: String) {
    let empty = serde_json::Map::new();
    let edit = body.as_object().unwrap_or(&empty);
    for (k, v) in edit {
        if v.is_null() {
            if let Some(b) = m.body.as_object_mut() {
                b.remove(k);
            }
        } else {
            m.body[k] = v.clone();
        }
    }
    let o = &mut m.object;
    if let Some(c) = edit.get("content") {
        o["content"] = if c.is_null() { json!("") } else { c.clone() };
    }
    for k in ["embeds", "components"] {
        if let Some(v) = edit.get(k) {
            o[k] = if v.is_null() { json!([]) } else { v.clone() };
        }
    }
    if let Some(f) = edit.get("flags") {
        let old = o["flags"].as_u64().unwrap_or(0);
        let new = num(Some(f)).unwrap_or(0);
        o["flags"] = json!((old & !SUPPRESS_EMBEDS) | (new & SUPPRESS_EMBEDS) | ((old | new) & IS_COMPONENTS_V2));
    }
    let existing = o["attachments"].as_array().cloned().unwrap_or_default();
    let mut kept: Vec<Value> = match edit.get("attachments") {
        Some(Value::Array(keep)) => {
            let ids: Vec<String> = keep.iter().map(|a| a["id"].as_str().map_or_else(|| a["id"].to_string(), str::to_owned)).collect();
            existing.into_iter().filter(|a| a["id"].as_str().is_some_and(|id| ids.iter().any(|k| k == id))).collect()
        }
        Some(Value::Null) => Vec::new(),
        _ => existing,
    };
    kept.extend(uploads);
    o["attachments"] = Value::Array(kept);
    o["edited_timestamp"] = json!(edited_at);
    m.edits.push(body.clone());
}

/// `DELETE /channels/{id}/messages/{message}` (message.mdx, Delete Message): 204; someone
/// else's message needs Manage Messages in a guild and cannot be deleted in a DM; in a locked
/// thread only while it is active ("Locked Threads").
fn delete_message(s: &Shared, ch: &str, id: &str) -> Response {
    let Some((ch, place)) = find_channel(s, ch) else { return discord_error(404, 10003, "Unknown Channel") };
    if place.perms() & perms::VIEW_CHANNEL == 0 {
        return discord_error(403, 50001, "Missing Access");
    }
    let Some(msg) = id.parse::<u64>().ok().and_then(|id| s.lock().messages.iter().find(|m| m.channel_id == ch && m.id == id).cloned())
    else {
        return discord_error(404, 10008, "Unknown Message");
    };
    if msg.author_id() != APP_ID {
        match &place {
            Place::Dm { .. } => return discord_error(403, 50003, "Cannot execute action on a DM channel"),
            _ if place.perms() & perms::MANAGE_MESSAGES == 0 => return discord_error(403, 50013, "Missing Permissions"),
            _ => {}
        }
    }
    if let Place::Thread { thread, perms, .. } = &place {
        if thread.locked && thread.archived && perms & perms::MANAGE_THREADS == 0 {
            return discord_error(400, 50083, "Thread is archived");
        }
    }
    if super::remove_message(s, ch, msg.id) {
        reply(204, Value::Null)
    } else {
        discord_error(404, 10008, "Unknown Message")
    }
}

/// `POST /channels/{id}/threads` (channel.mdx, Start Thread without Message): in a guild text
/// channel only; `type` defaults to 12 (private), `auto_archive_duration` to 1440 (what
/// Discord does whatever the channel's default, discord-api-docs#3660). Creating a public
/// thread needs Create Public Threads, a private one Create Private Threads. Answers 201 with
/// the thread and dispatches THREAD_CREATE (`newly_created`) and THREAD_MEMBERS_UPDATE (the
/// bot joined it).
fn create_thread(s: &Shared, ch: &str, body: &Value) -> Response {
    let Some((parent, place)) = find_channel(s, ch) else { return discord_error(404, 10003, "Unknown Channel") };
    let (guild, perms) = match place {
        Place::Guild { guild, perms } => (guild, perms),
        Place::Dm { .. } | Place::Thread { .. } => return discord_error(400, 50024, "Cannot execute action on this channel type"),
    };
    if perms & perms::VIEW_CHANNEL == 0 {
        return discord_error(403, 50001, "Missing Access");
    }
    let kind = num(body.get("type")).unwrap_or(12);
    let needed = match kind {
        11 => perms::CREATE_PUBLIC_THREADS,
        12 => perms::CREATE_PRIVATE_THREADS,
        // 10 (announcement thread) needs an announcement channel as its parent.
        _ => return discord_error(400, 50024, "Cannot execute action on this channel type"),
    };
    if perms & needed == 0 {
        return discord_error(403, 50013, "Missing Permissions");
    }
    let now = s.now();
    let id = s.next_id();
    let thread = StoredThread {
        id,
        guild_id: guild,
        parent_id: parent,
        kind: kind as u8,
        name: body["name"].as_str().unwrap_or_default().to_owned(),
        owner_id: APP_ID,
        archived: false,
        locked: false,
        invitable: body["invitable"].as_bool().unwrap_or(true),
        auto_archive_duration: num(body.get("auto_archive_duration")).unwrap_or(1440),
        archive_timestamp: now,
        create_timestamp: now,
        rate_limit_per_user: num(body.get("rate_limit_per_user")).unwrap_or(0),
        message_count: 0,
        total_message_sent: 0,
        last_message_id: None,
    };
    let object = thread.object();
    s.lock().threads.push(thread);
    let mut created = object.clone();
    created["newly_created"] = json!(true);
    s.dispatch_for(intents::GUILDS, "THREAD_CREATE", created);
    let mut joined = payloads::thread_member(id, APP_ID, now);
    joined["member"] = payloads::member(APP_ID, "partner-coach", &[], None, true);
    joined["presence"] = Value::Null;
    let members = json!({ "id": id.to_string(), "guild_id": guild.to_string(), "member_count": 1, "added_members": [joined] });
    s.dispatch_for(intents::GUILDS, "THREAD_MEMBERS_UPDATE", members);
    reply(201, object)
}

/// `GET /channels/{id}`: a thread with the bot's thread member (it joined the threads it
/// started), a text channel, or a DM channel.
fn get_channel(s: &Shared, ch: &str) -> Response {
    let Some((ch, place)) = find_channel(s, ch) else { return discord_error(404, 10003, "Unknown Channel") };
    if place.perms() & perms::VIEW_CHANNEL == 0 {
        return discord_error(403, 50001, "Missing Access");
    }
    match place {
        Place::Thread { thread, .. } => {
            let mut object = thread.object();
            if thread.owner_id == APP_ID {
                object["member"] = payloads::thread_member(thread.id, APP_ID, thread.create_timestamp);
            }
            reply(200, object)
        }
        Place::Guild { guild, .. } => {
            let i = s.lock();
            let c = i.guild(guild).and_then(|g| g.channels.iter().find(|c| c.0 == ch)).cloned().unwrap_or((ch, String::new(), 0));
            reply(200, payloads::text_channel(ch, guild, &c.1, c.2))
        }
        Place::Dm { user } => reply(200, payloads::dm_channel(ch, payloads::user(user, "member", false))),
    }
}

/// `PATCH /channels/{id}` on a thread (channel.mdx, Modify Channel, "JSON Params (Thread)",
/// and topics/threads.mdx, "Editing & Deleting Threads"): the thread must be active or be
/// unarchived by the request; its starter or a moderator (Manage Threads) changes `name`,
/// `archived`, `auto_archive_duration`; only a moderator changes `locked` and
/// `rate_limit_per_user`, or anything of a locked thread. Dispatches THREAD_UPDATE.
fn modify_channel(s: &Shared, ch: &str, body: &Value) -> Response {
    let Some((_, place)) = find_channel(s, ch) else { return discord_error(404, 10003, "Unknown Channel") };
    let (perms, thread) = match place {
        Place::Dm { .. } => return discord_error(400, 50003, "Cannot execute action on a DM channel"),
        Place::Guild { perms, .. } if perms & perms::MANAGE_CHANNELS == 0 => return discord_error(403, 50013, "Missing Permissions"),
        Place::Guild { .. } => {
            s.lock().violations.push(format!("PATCH /channels/{ch}: the fake models modifying threads only, not text channels"));
            return discord_error(400, 0, "not modelled by the fake");
        }
        Place::Thread { perms, thread, .. } => (perms, thread),
    };
    if perms & perms::VIEW_CHANNEL == 0 {
        return discord_error(403, 50001, "Missing Access");
    }
    let archived = body["archived"].as_bool();
    let locked = body["locked"].as_bool();
    let name = body["name"].as_str();
    let duration = num(body.get("auto_archive_duration"));
    let rate = num(body.get("rate_limit_per_user"));
    let invitable = body["invitable"].as_bool();
    if thread.archived && archived != Some(false) {
        return discord_error(400, 50083, "Thread is archived");
    }
    let moderator = perms & perms::MANAGE_THREADS != 0;
    let starter = thread.owner_id == APP_ID;
    let changes_locked = locked.is_some_and(|l| l != thread.locked);
    let changes_rate = rate.is_some_and(|r| r != thread.rate_limit_per_user);
    let changes_own = name.is_some_and(|n| n != thread.name)
        || archived.is_some_and(|a| a != thread.archived)
        || duration.is_some_and(|d| d != thread.auto_archive_duration);
    if !moderator && (thread.locked || changes_locked || changes_rate || (changes_own && !starter)) {
        return discord_error(403, 50013, "Missing Permissions");
    }
    let now = s.now();
    let object = {
        let mut i = s.lock();
        let Some(t) = i.threads.iter_mut().find(|t| t.id == thread.id) else { return discord_error(404, 10003, "Unknown Channel") };
        if let Some(n) = name {
            t.name = n.to_owned();
        }
        if let Some(a) = archived {
            if a != t.archived {
                t.archived = a;
                t.archive_timestamp = now;
            }
        }
        if let Some(l) = locked {
            t.locked = l;
        }
        if let Some(d) = duration {
            if d != t.auto_archive_duration {
                t.auto_archive_duration = d;
                t.archive_timestamp = now;
            }
        }
        if let Some(r) = rate {
            t.rate_limit_per_user = r;
        }
        if let (Some(v), 12) = (invitable, t.kind) {
            t.invitable = v;
        }
        t.object()
    };
    s.dispatch_for(intents::GUILDS, "THREAD_UPDATE", object.clone());
    reply(200, object)
}

/// Thread member objects for the threads the bot joined (the ones it started).
fn joined_members(s: &Shared, threads: &[Value]) -> Vec<Value> {
    let i = s.lock();
    threads
        .iter()
        .filter_map(|t| i.thread(t["id"].as_str()?.parse().ok()?))
        .filter(|t| t.owner_id == APP_ID)
        .map(|t| payloads::thread_member(t.id, APP_ID, t.create_timestamp))
        .collect()
}

/// `GET /guilds/{id}/threads/active` (guild.mdx, List Active Guild Threads): the guild's
/// threads that are not archived, newest first, with a thread member for each the bot joined.
fn active_threads(s: &Shared, guild: &str) -> Response {
    let Some(guild) = guild.parse::<u64>().ok().filter(|g| s.lock().guild(*g).is_some()) else {
        return discord_error(404, 10004, "Unknown Guild");
    };
    let threads = s.lock().active_threads(guild);
    let members = joined_members(s, &threads);
    reply(200, json!({ "threads": threads, "members": members }))
}

/// `GET /channels/{id}/threads/archived/public` (channel.mdx, List Public Archived Threads):
/// needs Read Message History; archived public threads, most recently archived first,
/// `before` (an ISO 8601 timestamp) and `limit` (default 50) paging them, with `has_more`.
fn archived_threads(s: &Shared, ch: &str, query: &str) -> Response {
    let Some((parent, place)) = find_channel(s, ch) else { return discord_error(404, 10003, "Unknown Channel") };
    let Place::Guild { perms, .. } = place else { return discord_error(400, 50024, "Cannot execute action on this channel type") };
    if perms & perms::VIEW_CHANNEL == 0 {
        return discord_error(403, 50001, "Missing Access");
    }
    if perms & perms::READ_HISTORY == 0 {
        return discord_error(403, 50013, "Missing Permissions");
    }
    let param = |name: &str| query.split('&').find_map(|kv| kv.strip_prefix(name)?.strip_prefix('=').map(str::to_owned));
    let limit = param("limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(50).max(1);
    let before = param("before").and_then(|b| {
        let decoded = b.replace("%3A", ":").replace("%2B", "+").replace("%3a", ":").replace("%2b", "+");
        DateTime::parse_from_rfc3339(&decoded).ok().map(|t| t.with_timezone(&Utc))
    });
    let mut archived: Vec<StoredThread> = {
        let i = s.lock();
        i.threads
            .iter()
            .filter(|t| t.parent_id == parent && t.kind == 11 && t.archived && !i.thread_deleted(t))
            .filter(|t| before.is_none_or(|b| t.archive_timestamp < b))
            .cloned()
            .collect()
    };
    archived.sort_by_key(|t| std::cmp::Reverse((t.archive_timestamp, t.id)));
    let has_more = archived.len() > limit;
    let threads: Vec<Value> = archived.iter().take(limit).map(StoredThread::object).collect();
    let members = joined_members(s, &threads);
    reply(200, json!({ "threads": threads, "members": members, "has_more": has_more }))
}

/// `GET /channels/{id}/messages`: newest first, as Discord answers. Discord takes one of
/// `around`, `before` and `after`; here `around` wins over `before`, which wins over `after`.
fn list_messages(s: &Shared, ch: &str, query: &str) -> Response {
    let Some((ch, place)) = find_channel(s, ch) else { return discord_error(404, 10003, "Unknown Channel") };
    if place.perms() & perms::VIEW_CHANNEL == 0 {
        return discord_error(403, 50001, "Missing Access");
    }
    // Without Read Message History Discord answers an empty list, not an error.
    if place.perms() & perms::READ_HISTORY == 0 {
        return reply(200, json!([]));
    }
    let param = |name: &str| query.split('&').find_map(|kv| kv.strip_prefix(name)?.strip_prefix('=')?.parse::<u64>().ok());
    let limit = param("limit").unwrap_or(50).clamp(1, 100) as usize;
    let mut all: Vec<(u64, Value)> = s.lock().messages.iter().filter(|m| m.channel_id == ch).map(|m| (m.id, m.object.clone())).collect();
    all.sort_by_key(|(id, _)| std::cmp::Reverse(*id));
    let page: Vec<(u64, Value)> = if let Some(around) = param("around") {
        // Half newer than `around` (the closest ones), the rest from `around` down.
        let newer: Vec<_> = all.iter().filter(|(id, _)| *id > around).rev().take(limit / 2).cloned().collect();
        let older = all.iter().filter(|(id, _)| *id <= around).take(limit - newer.len()).cloned();
        newer.into_iter().rev().chain(older).collect()
    } else if let Some(before) = param("before") {
        all.into_iter().filter(|(id, _)| *id < before).take(limit).collect()
    } else if let Some(after) = param("after") {
        // The `limit` messages right after `after`, still newest first.
        let mut newer: Vec<_> = all.into_iter().filter(|(id, _)| *id > after).rev().take(limit).collect();
        newer.reverse();
        newer
    } else {
        all.into_iter().take(limit).collect()
    };
    reply(200, page.into_iter().map(|(_, m)| m).collect())
}

/// `GET /guilds/{guild}/members/{user}`: every user is a member of every guild the fake has,
/// unless the test said they left.
fn guild_member(s: &Shared, guild: &str, user: &str) -> Response {
    let (Ok(guild), Ok(user)) = (guild.parse::<u64>(), user.parse::<u64>()) else {
        return discord_error(404, 10004, "Unknown Guild");
    };
    let i = s.lock();
    if !i.guilds.iter().any(|g| g.id == guild) {
        return discord_error(404, 10004, "Unknown Guild");
    }
    if i.left_members.contains(&(guild, user)) {
        return discord_error(404, 10007, "Unknown Member");
    }
    // The bot holds its managed role (when it was invited with permissions) unless a test
    // set its roles.
    let bot_roles = || i.guild(guild).filter(|g| g.bot_permissions != 0).map(|g| vec![g.bot_role()]).unwrap_or_default();
    let roles = match i.member_roles.get(&(guild, user)) {
        Some(r) => r.clone(),
        None if user == APP_ID => bot_roles(),
        None => Vec::new(),
    };
    let (name, bot) = if user == APP_ID { ("partner-coach", true) } else { ("member", false) };
    reply(200, payloads::member(user, name, &roles, None, bot))
}

/// `GET /guilds/{id}` (guild.mdx, Get Guild): the guild object without what only GUILD_CREATE
/// carries (members, channels, threads, presences, voice states and the like).
fn get_guild(s: &Shared, guild: &str) -> Response {
    let Ok(guild) = guild.parse::<u64>() else { return discord_error(404, 10004, "Unknown Guild") };
    let i = s.lock();
    let Some(spec) = i.guild(guild) else { return discord_error(404, 10004, "Unknown Guild") };
    let mut object = spec.payload();
    if let Some(o) = object.as_object_mut() {
        for gateway_only in [
            "joined_at",
            "large",
            "unavailable",
            "member_count",
            "voice_states",
            "members",
            "channels",
            "threads",
            "presences",
            "stage_instances",
            "guild_scheduled_events",
        ] {
            o.remove(gateway_only);
        }
    }
    reply(200, object)
}
