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

use super::{payloads, perms, NonceRecord, Recorded, Shared, StoredMessage, APP_ID, TOKEN};

pub async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let app = Router::new().fallback(handle).with_state(shared);
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

async fn handle(State(s): State<Arc<Shared>>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
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
        return finish(&s, &m, &path, &query, json_body, files, discord_error(401, 0, "401: Unauthorized"));
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
            return finish(&s, &m, &path, &query, json_body, files, resp);
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
            let _ = route(&s, &m, &segs, &query, &json_body, &files);
        }
        let resp = if status == 429 {
            let mut r = reply(429, json!({ "message": "You are being rate limited.", "retry_after": retry_after, "global": false }));
            r.headers_mut().insert("retry-after", HeaderValue::from_str(&retry_after.ceil().to_string()).unwrap());
            r
        } else {
            discord_error(status, 0, "500: Internal Server Error")
        };
        return finish(&s, &m, &path, &query, json_body, files, resp);
    }

    let resp = route(&s, &m, &segs, &query, &json_body, &files);
    finish(&s, &m, &path, &query, json_body, files, resp)
}

fn finish(s: &Shared, method: &str, path: &str, query: &str, body: Value, files: Vec<(String, Vec<u8>)>, resp: Response) -> Response {
    let status = resp.status().as_u16();
    s.lock().requests.push(Recorded { method: method.into(), path: path.into(), query: query.into(), body, files, status });
    s.changed.notify_waiters();
    resp
}

fn bot_user() -> Value {
    payloads::user(APP_ID, "partner-coach", true)
}

fn route(s: &Shared, m: &str, segs: &[&str], query: &str, body: &Value, files: &[(String, Vec<u8>)]) -> Response {
    match (m, segs) {
        ("GET", ["gateway"]) => reply(200, json!({ "url": s.gateway_url })),
        ("GET", ["gateway", "bot"]) => reply(
            200,
            json!({ "url": s.gateway_url, "shards": 1, "session_start_limit": { "total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1 } }),
        ),
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
        ("PATCH", ["webhooks", _, token, "messages", _]) | ("GET", ["webhooks", _, token, "messages", _]) => {
            let id = s.next_id();
            let mut i = s.lock();
            match i.interactions.get_mut(*token) {
                Some(state) if state.callback_at.is_some() => {
                    if m == "PATCH" {
                        state.edits.push(body.clone());
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
        ("GET", ["guilds", guild, "members", user]) => guild_member(s, guild, user),
        _ => {
            s.lock()
                .violations
                .push(format!("{m} /api/v10/{}: a route the fake does not know (is it one the bot should use?)", segs.join("/")));
            discord_error(404, 0, "404: Not Found")
        }
    }
}

/// Where a channel is: a guild's text channel (with the permissions denied to @everyone) or
/// a DM channel.
enum Place {
    Guild { guild: u64, deny: u64 },
    Dm { user: u64 },
}

/// The channel named in a path; `None` if it does not exist (any more).
fn find_channel(s: &Shared, ch: &str) -> Option<(u64, Place)> {
    let ch = ch.parse::<u64>().ok()?;
    let i = s.lock();
    if i.deleted_channels.contains(&ch) {
        return None;
    }
    if let Some((guild, deny)) = i.guilds.iter().find_map(|g| g.channels.iter().find(|c| c.0 == ch).map(|c| (g.id, c.2))) {
        return Some((ch, Place::Guild { guild, deny }));
    }
    i.dm_channels.iter().find(|(_, c)| **c == ch).map(|(user, _)| (ch, Place::Dm { user: *user }))
}

fn create_message(s: &Shared, ch: &str, body: &Value, files: &[(String, Vec<u8>)]) -> Response {
    let Some((ch, place)) = find_channel(s, ch) else { return discord_error(404, 10003, "Unknown Channel") };
    let guild = match place {
        Place::Dm { user } if s.lock().closed_dms.contains(&user) => {
            return discord_error(403, 50007, "Cannot send messages to this user");
        }
        Place::Dm { .. } => None,
        Place::Guild { deny, .. } if deny & (perms::SEND_MESSAGES | perms::VIEW_CHANNEL) != 0 => {
            return discord_error(403, 50013, "Missing Permissions");
        }
        Place::Guild { guild, .. } => Some(guild),
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
    i.messages.push(StoredMessage { id, channel_id: ch, body: body.clone(), timestamp, object: msg.clone() });
    if let (Some(n), true) = (nonce, enforce) {
        let record = NonceRecord { channel_id: ch, nonce: n.clone(), message_id: id, created: Instant::now() };
        i.nonces.insert((ch, n), (record, msg.clone()));
    }
    reply(200, msg)
}

/// `GET /channels/{id}/messages`: newest first, as Discord answers. Discord takes one of
/// `around`, `before` and `after`; here `around` wins over `before`, which wins over `after`.
fn list_messages(s: &Shared, ch: &str, query: &str) -> Response {
    let Some((ch, place)) = find_channel(s, ch) else { return discord_error(404, 10003, "Unknown Channel") };
    if let Place::Guild { deny, .. } = place {
        if deny & perms::VIEW_CHANNEL != 0 {
            return discord_error(403, 50001, "Missing Access");
        }
        // Without Read Message History Discord answers an empty list, not an error.
        if deny & perms::READ_HISTORY != 0 {
            return reply(200, json!([]));
        }
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
    let roles = i.member_roles.get(&(guild, user)).cloned().unwrap_or_default();
    let (name, bot) = if user == APP_ID { ("partner-coach", true) } else { ("member", false) };
    reply(200, payloads::member(user, name, &roles, None, bot))
}
