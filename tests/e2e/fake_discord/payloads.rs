//! The JSON the fake sends: complete objects as Discord sends them, with every field
//! serenity 0.12.5 requires (a payload serenity cannot parse is dropped silently, so a
//! missing field would look like a bot that ignores an interaction). `payloads_parse` in
//! `tests` checks each builder against serenity's own types.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

/// Discord's epoch (2015-01-01) in Unix milliseconds.
pub const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

/// A snowflake created at `at`; `counter` fills the low 22 bits (worker, process, increment),
/// which keeps ids of the same millisecond apart.
pub fn snowflake_at(at: DateTime<Utc>, counter: u64) -> u64 {
    let ms = u64::try_from(at.timestamp_millis()).unwrap_or(0).saturating_sub(DISCORD_EPOCH_MS);
    ms << 22 | (counter & 0x3F_FFFF)
}

/// The smallest snowflake of instant `at`: `after=` it means "created at `at` or later".
pub fn snowflake_of_time(at: DateTime<Utc>) -> u64 {
    snowflake_at(at, 0)
}

/// The instant a snowflake was created.
pub fn snowflake_time(id: u64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(((id >> 22) + DISCORD_EPOCH_MS) as i64).unwrap_or_default()
}

/// An ISO 8601 timestamp as Discord writes them (`2026-11-27T09:00:00.000000+00:00`).
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
}

/// The attachment object Discord answers for an uploaded file.
pub fn attachment(id: u64, filename: &str, size: usize) -> Value {
    json!({
        "id": id.to_string(),
        "filename": filename,
        "size": size,
        "url": format!("https://cdn.discordapp.com/attachments/{id}/{filename}"),
        "proxy_url": format!("https://media.discordapp.net/attachments/{id}/{filename}"),
        "content_type": if filename.ends_with(".png") { "image/png" } else { "application/octet-stream" }
    })
}

pub const TIMESTAMP: &str = "2026-11-27T09:00:00.000000+00:00";

/// A user object.
pub fn user(id: u64, name: &str, bot: bool) -> Value {
    json!({
        "id": id.to_string(),
        "username": name,
        "discriminator": "0",
        "global_name": name,
        "avatar": null,
        "bot": bot,
        "public_flags": 0,
        "flags": 0
    })
}

/// A guild member object (as in GUILD_CREATE and interactions).
pub fn member(user_id: u64, name: &str, roles: &[u64], permissions: Option<u64>, bot: bool) -> Value {
    let mut m = json!({
        "user": user(user_id, name, bot),
        "roles": roles.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
        "joined_at": "2025-03-13T19:19:14.040000+00:00",
        "premium_since": null,
        "deaf": false,
        "mute": false,
        "flags": 0,
        "pending": false,
        "nick": null,
        "avatar": null,
        "communication_disabled_until": null
    });
    if let Some(p) = permissions {
        m["permissions"] = json!(p.to_string());
    }
    m
}

/// A role object.
pub fn role(id: u64, name: &str, permissions: u64, position: u64) -> Value {
    json!({
        "id": id.to_string(),
        "name": name,
        "color": 0,
        "colors": { "primary_color": 0, "secondary_color": null, "tertiary_color": null },
        "hoist": false,
        "icon": null,
        "unicode_emoji": null,
        "position": position,
        "permissions": permissions.to_string(),
        "managed": false,
        "mentionable": false,
        "flags": 0
    })
}

/// A guild text channel. `deny_everyone` denies those permission bits to @everyone.
pub fn text_channel(id: u64, guild_id: u64, name: &str, deny_everyone: u64) -> Value {
    let overwrites = if deny_everyone == 0 {
        json!([])
    } else {
        json!([{ "id": guild_id.to_string(), "type": 0, "allow": "0", "deny": deny_everyone.to_string() }])
    };
    json!({
        "id": id.to_string(),
        "type": 0,
        "guild_id": guild_id.to_string(),
        "name": name,
        "position": 0,
        "permission_overwrites": overwrites,
        "nsfw": false,
        "topic": null,
        "last_message_id": null,
        "rate_limit_per_user": 0,
        "parent_id": null,
        "flags": 0
    })
}

/// The channel object serenity expects inside an interaction (partial, with permissions).
pub fn interaction_channel(id: u64, guild_id: u64) -> Value {
    json!({
        "flags": 0,
        "guild_id": guild_id.to_string(),
        "id": id.to_string(),
        "last_message_id": null,
        "name": "general",
        "nsfw": false,
        "parent_id": null,
        "permissions": "2147483647",
        "position": 0,
        "rate_limit_per_user": 0,
        "topic": null,
        "type": 0
    })
}

/// The interaction's `channel` when a command is used in a public thread (type 11) of
/// `parent`: a thread channel object as the OpenAPI spec's `ThreadResponse` has it, with the
/// member's computed permissions like a channel's.
pub fn interaction_thread(id: u64, guild_id: u64, parent: u64, owner: u64) -> Value {
    let created = "2026-11-20T09:00:00.000000+00:00";
    json!({
        "flags": 0,
        "guild_id": guild_id.to_string(),
        "id": id.to_string(),
        "last_message_id": null,
        "member_count": 1,
        "message_count": 0,
        "name": "a thread",
        "owner_id": owner.to_string(),
        "parent_id": parent.to_string(),
        "permissions": "2147483647",
        "rate_limit_per_user": 0,
        "thread_metadata": {
            "archived": false,
            "archive_timestamp": created,
            "auto_archive_duration": 1440,
            "create_timestamp": created,
            "invitable": true,
            "locked": false
        },
        "total_message_sent": 0,
        "type": 11
    })
}

/// A thread channel object (Start Thread's answer, THREAD_CREATE/UPDATE, the thread
/// listings), as the OpenAPI spec's `ThreadResponse` has it: serenity reads it as a
/// `GuildChannel` with `thread_metadata`. `invitable` is only on private threads.
pub fn thread(t: &super::StoredThread) -> Value {
    let mut metadata = json!({
        "archived": t.archived,
        "archive_timestamp": timestamp(t.archive_timestamp),
        "auto_archive_duration": t.auto_archive_duration,
        "locked": t.locked,
        "create_timestamp": timestamp(t.create_timestamp),
    });
    if t.kind == 12 {
        metadata["invitable"] = json!(t.invitable);
    }
    json!({
        "id": t.id.to_string(),
        "type": t.kind,
        "guild_id": t.guild_id.to_string(),
        "parent_id": t.parent_id.to_string(),
        "owner_id": t.owner_id.to_string(),
        "name": t.name,
        "last_message_id": t.last_message_id.map(|m| m.to_string()),
        "last_pin_timestamp": null,
        "rate_limit_per_user": t.rate_limit_per_user,
        "flags": 0,
        "message_count": t.message_count,
        // The starter (the bot) is its only member; Discord stops counting at 50.
        "member_count": 1,
        "total_message_sent": t.total_message_sent,
        "thread_metadata": metadata
    })
}

/// A thread member object: `user` joined thread `thread` at `joined`.
pub fn thread_member(thread: u64, user: u64, joined: DateTime<Utc>) -> Value {
    json!({ "id": thread.to_string(), "user_id": user.to_string(), "join_timestamp": timestamp(joined), "flags": 0 })
}

/// A full guild for GUILD_CREATE.
pub fn guild(id: u64, name: &str, owner: u64, roles: Vec<Value>, channels: Vec<Value>, members: Vec<Value>) -> Value {
    let member_count = members.len();
    json!({
        "id": id.to_string(),
        "name": name,
        "icon": null,
        "icon_hash": null,
        "splash": null,
        "discovery_splash": null,
        "owner_id": owner.to_string(),
        "afk_channel_id": null,
        "afk_timeout": 300,
        "widget_enabled": false,
        "widget_channel_id": null,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": roles,
        "emojis": [],
        "features": [],
        "mfa_level": 0,
        "application_id": null,
        "system_channel_id": null,
        "system_channel_flags": 0,
        "rules_channel_id": null,
        "max_presences": null,
        "max_members": 500000,
        "vanity_url_code": null,
        "description": null,
        "banner": null,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "public_updates_channel_id": null,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
        "nsfw_level": 0,
        "stickers": [],
        "premium_progress_bar_enabled": false,
        "safety_alerts_channel_id": null,
        "joined_at": "2025-01-01T00:00:00.000000+00:00",
        "large": false,
        "unavailable": false,
        "member_count": member_count,
        "voice_states": [],
        "members": members,
        "channels": channels,
        "threads": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "incidents_data": null
    })
}

/// A message object, as returned by create-message and webhook executions.
pub fn message(id: u64, channel_id: u64, author: Value, body: &Value, guild_id: Option<u64>, webhook_app: Option<u64>) -> Value {
    let mut m = json!({
        "id": id.to_string(),
        "channel_id": channel_id.to_string(),
        "author": author,
        "content": body.get("content").cloned().unwrap_or(json!("")),
        "timestamp": TIMESTAMP,
        "edited_timestamp": null,
        "tts": false,
        "mention_everyone": false,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": body.get("embeds").cloned().unwrap_or(json!([])),
        "components": body.get("components").cloned().unwrap_or(json!([])),
        "pinned": false,
        "type": 0,
        "flags": body.get("flags").cloned().unwrap_or(json!(0))
    });
    if let Some(n) = body.get("nonce") {
        m["nonce"] = n.clone();
    }
    if let Some(g) = guild_id {
        m["guild_id"] = json!(g.to_string());
    }
    if let Some(app) = webhook_app {
        m["webhook_id"] = json!(app.to_string());
        m["application_id"] = json!(app.to_string());
    }
    m
}

/// A DM channel object.
pub fn dm_channel(id: u64, recipient: Value) -> Value {
    json!({ "id": id.to_string(), "type": 1, "last_message_id": null, "flags": 0, "recipients": [recipient] })
}

/// The application object of GET /oauth2/applications/@me.
pub fn application(app_id: u64, owner: Value) -> Value {
    json!({
        "id": app_id.to_string(),
        "name": "partner-coach-test",
        "icon": null,
        "description": "",
        "rpc_origins": [],
        "bot_public": true,
        "bot_require_code_grant": false,
        "owner": owner,
        "verify_key": "0000000000000000000000000000000000000000000000000000000000000000",
        "team": null,
        "flags": 0,
        "approximate_guild_count": 1
    })
}

/// One registered command, echoed back with ids as Discord does.
pub fn registered_command(cmd: &Value, id: u64, app_id: u64, guild_id: Option<u64>) -> Value {
    let mut c = cmd.clone();
    c["id"] = json!(id.to_string());
    c["application_id"] = json!(app_id.to_string());
    c["version"] = json!(id.to_string());
    if c.get("type").is_none() {
        c["type"] = json!(1);
    }
    if c.get("default_member_permissions").is_none() {
        c["default_member_permissions"] = Value::Null;
    }
    if let Some(g) = guild_id {
        c["guild_id"] = json!(g.to_string());
    }
    c
}

/// READY for a session.
pub fn ready(bot: Value, app_id: u64, session_id: &str, resume_url: &str, guild_ids: &[u64], shard: [u32; 2]) -> Value {
    json!({
        "v": 10,
        "user": bot,
        "guilds": guild_ids.iter().map(|g| json!({ "id": g.to_string(), "unavailable": true })).collect::<Vec<_>>(),
        "session_id": session_id,
        "resume_gateway_url": resume_url,
        "shard": shard,
        "application": { "id": app_id.to_string(), "flags": 0 }
    })
}
