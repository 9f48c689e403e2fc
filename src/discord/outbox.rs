//! The scheduler's sender: posts and DMs over Discord's REST API.
//!
//! This talks to the API directly rather than through serenity's `Http` because the
//! scheduler must see Discord's answer as it is: `retry_after` of a 429 (serenity drops the
//! body when its own rate limiter is off) and the JSON error code of a 403 (50007: the member
//! does not accept DMs).

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use super::guilds::Guilds;
use super::render;
use crate::config::Token;
use chrono::{DateTime, Utc};

use crate::domain::ids::{ChannelId, GuildId, MessageId, RoleId, UserId};
use crate::prompts::Prompts;
use crate::service::{Destination, Member, Outbox, Post, SendError};

/// Discord's REST base when no `DISCORD_API_URL` is set.
pub const DISCORD_BASE: &str = "https://discord.com";

/// Sends scheduled posts over REST.
pub struct RestOutbox {
    client: reqwest::Client,
    base: String,
    token: Token,
    prompts: Arc<Prompts>,
    /// Guild names and owners from the gateway (`None`: names read `server <id>`, owners
    /// are asked of Discord).
    guilds: Option<Arc<Guilds>>,
    /// The bot's user id, to tell its own messages and threads from others' (`None`: any
    /// author counts).
    me: Option<u64>,
    /// This process's share of Discord's global REST limit: every request waits for it, so a
    /// burst of due posts is spread out rather than answered with 429s.
    budget: Option<Arc<governor::DefaultDirectRateLimiter>>,
}

#[derive(Deserialize)]
struct Created {
    id: String,
    #[serde(default)]
    channel_id: Option<String>,
}

#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    retry_after: Option<f64>,
}

impl RestOutbox {
    /// A sender for `base` (`https://discord.com` or a fake on loopback); see the fields for
    /// `guilds` and `me`.
    pub fn new(base: Option<&str>, token: Token, prompts: Arc<Prompts>, guilds: Option<Arc<Guilds>>, me: Option<u64>) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .user_agent(concat!("DiscordBot (https://github.com/partner-coach, ", env!("CARGO_PKG_VERSION"), ")"))
            .build()
            .expect("a TLS backend is compiled in");
        Self { client, base: base.unwrap_or(DISCORD_BASE).trim_end_matches('/').to_owned(), token, prompts, guilds, me, budget: None }
    }

    /// The same sender, making at most `per_second` requests a second. A burst is allowed an
    /// eighth of that at once: any one second then sees the rate plus that eighth at most,
    /// within Discord's 50 (a full second's burst on top of the rate would make 80; the fake
    /// Discord's global limit found it).
    pub fn with_budget(mut self, per_second: u32) -> Self {
        let rate = std::num::NonZeroU32::new(per_second.max(1)).expect("at least one");
        let burst = std::num::NonZeroU32::new((per_second / 8).max(1)).expect("at least one");
        let quota = governor::Quota::per_second(rate).allow_burst(burst);
        self.budget = Some(Arc::new(governor::RateLimiter::direct(quota)));
        self
    }

    async fn call(&self, path: &str, body: &serde_json::Value) -> Result<serde_json::Value, SendError> {
        self.request(reqwest::Method::POST, path, Some(body)).await
    }

    async fn request(&self, method: reqwest::Method, path: &str, body: Option<&serde_json::Value>) -> Result<serde_json::Value, SendError> {
        let url = format!("{}/api/v10{path}", self.base);
        let mut req = self.client.request(method, &url).header(reqwest::header::AUTHORIZATION, format!("Bot {}", self.token.expose()));
        if let Some(body) = body {
            req = req.json(body);
        }
        self.answer(req).await
    }

    /// Sends a request and reads Discord's answer: JSON on success; 429 and 5xx worth a retry
    /// (with Discord's `retry_after`), anything else not.
    async fn answer(&self, req: reqwest::RequestBuilder) -> Result<serde_json::Value, SendError> {
        if let Some(budget) = &self.budget {
            budget.until_ready().await;
        }
        let res = req.send().await.map_err(|e| SendError::Retry { after: None, reason: format!("network: {}", without_url(&e)) })?;
        self.answer_response(res).await
    }

    async fn answer_response(&self, res: reqwest::Response) -> Result<serde_json::Value, SendError> {
        let status = res.status();
        let header_retry =
            res.headers().get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<f64>().ok());
        let text = res.text().await.unwrap_or_default();
        if status.is_success() {
            return serde_json::from_str(&text).map_err(|e| SendError::Retry { after: None, reason: format!("unreadable answer: {e}") });
        }
        let err: ErrorBody = serde_json::from_str(&text).unwrap_or_default();
        let reason = format!(
            "HTTP {}{}{}",
            status.as_u16(),
            err.code.map(|c| format!(" code {c}")).unwrap_or_default(),
            err.message.as_deref().map(|m| format!(": {m}")).unwrap_or_default()
        );
        if status.as_u16() == 429 {
            let secs = err.retry_after.or(header_retry).unwrap_or(1.0).max(0.0);
            return Err(SendError::Retry { after: Some(Duration::from_secs_f64(secs)), reason });
        }
        if status.is_server_error() {
            return Err(SendError::Retry { after: None, reason });
        }
        Err(SendError::Permanent { code: err.code, reason })
    }

    /// The channel a destination means: the channel itself, or the DM channel of a member or
    /// of the guild's owner (from the gateway's GUILD_CREATE, else from Discord).
    async fn channel_of(&self, to: Destination) -> Result<ChannelId, SendError> {
        match to {
            Destination::Channel(c) => Ok(c),
            Destination::User(u) => self.dm_channel(u).await,
            Destination::Owner(g) => {
                let cached = self.guilds.as_ref().and_then(|guilds| guilds.owner(g));
                let owner = match cached {
                    Some(o) => o,
                    None => {
                        let v = self.request(reqwest::Method::GET, &format!("/guilds/{g}"), None).await?;
                        v["owner_id"]
                            .as_str()
                            .and_then(|o| o.parse().ok())
                            .ok_or_else(|| SendError::Retry { after: None, reason: "guild without owner_id".into() })?
                    }
                };
                self.dm_channel(UserId(owner)).await
            }
        }
    }

    async fn dm_channel(&self, user: crate::domain::ids::UserId) -> Result<ChannelId, SendError> {
        let v = self.call("/users/@me/channels", &json!({ "recipient_id": user.to_string() })).await?;
        v.get("id")
            .and_then(|id| id.as_str())
            .and_then(|id| id.parse().ok())
            .map(ChannelId)
            .ok_or_else(|| SendError::Retry { after: None, reason: "DM channel without id".into() })
    }

    /// Posts a message with files: multipart, the JSON as `payload_json` and each file as
    /// `files[n]`, named in `attachments` (how Discord takes uploads).
    async fn call_with_files(
        &self,
        path: &str,
        body: &serde_json::Value,
        files: &[(String, Vec<u8>)],
    ) -> Result<serde_json::Value, SendError> {
        let url = format!("{}/api/v10{path}", self.base);
        let mut payload = body.clone();
        payload["attachments"] =
            json!(files.iter().enumerate().map(|(i, (name, _))| json!({ "id": i, "filename": name })).collect::<Vec<_>>());
        let mut form = reqwest::multipart::Form::new().part(
            "payload_json",
            reqwest::multipart::Part::text(payload.to_string()).mime_str("application/json").expect("a valid mime type"),
        );
        for (i, (name, bytes)) in files.iter().enumerate() {
            let part =
                reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.clone()).mime_str("image/png").expect("a valid mime type");
            form = form.part(format!("files[{i}]"), part);
        }
        let req = self.client.post(&url).header(reqwest::header::AUTHORIZATION, format!("Bot {}", self.token.expose())).multipart(form);
        self.answer(req).await
    }

    fn body(&self, post: &Post, nonce: &str) -> (serde_json::Value, Vec<(String, Vec<u8>)>) {
        let body = render::post(&self.prompts, post, self.guilds.as_deref());
        let mut v = json!({
            // Posts can quote member text (digest notes): never ping anyone but the member a
            // post is for (a thank-you), whatever the text says.
            "allowed_mentions": allowed_mentions(&body.ping),
            "nonce": nonce,
            "enforce_nonce": true,
        });
        if let Some(c) = body.content {
            v["content"] = json!(c);
        }
        if let Some(e) = body.embed {
            v["embeds"] = json!([e]);
        }
        if !body.components.is_empty() {
            v["components"] = json!(body.components);
        }
        (v, body.files)
    }

    /// An edit's body: the post as rendered now, all of it replaced (an empty `components`
    /// removes buttons), pinging nobody.
    fn edit_body(&self, post: &Post) -> serde_json::Value {
        let body = render::post(&self.prompts, post, self.guilds.as_deref());
        json!({
            "allowed_mentions": allowed_mentions(&body.ping),
            "content": body.content.unwrap_or_default(),
            "embeds": body.embed.map(|e| vec![e]).unwrap_or_default(),
            "components": body.components,
        })
    }
}

/// Pings nobody, or exactly these members: `parse` empty, so no text in the message can add
/// anyone (an `@everyone`, a role or user mention inside a note).
fn allowed_mentions(ping: &[UserId]) -> serde_json::Value {
    if ping.is_empty() {
        json!({ "parse": [] })
    } else {
        json!({ "parse": [], "users": ping.iter().map(|u| u.to_string()).collect::<Vec<_>>() })
    }
}

/// Discord's JSON error code for an edit in an archived thread.
const THREAD_ARCHIVED: i64 = 50083;

/// A Discord snowflake for an instant: message ids sort by time, so `after=` this id lists
/// what was posted since then.
fn snowflake_at(t: DateTime<Utc>) -> u64 {
    const DISCORD_EPOCH_MS: i64 = 1_420_070_400_000;
    ((t.timestamp_millis() - DISCORD_EPOCH_MS).max(0) as u64) << 22
}

/// Whether a listed message is this post as the bot sent it: by the bot, with the same text
/// and the same first embed's title, description and footer.
fn same_post(message: &serde_json::Value, sent: &serde_json::Value, me: Option<u64>) -> bool {
    let author = &message["author"];
    let by_me = match me {
        Some(me) => author["id"].as_str().and_then(|id| id.parse::<u64>().ok()) == Some(me),
        None => author["bot"].as_bool().unwrap_or(false),
    };
    // A message's stable head: its text up to and including the quoted member text. What
    // follows (a board message's status, a DM's answer below it) changes with edits, and an
    // earlier send must still be found after them.
    let text = |v: &serde_json::Value| {
        let content = v["content"].as_str().unwrap_or("");
        let mut head = Vec::new();
        for line in content.split('\n') {
            head.push(line);
            if line.starts_with("> ") {
                break;
            }
        }
        head.join("\n")
    };
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v["components"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
            .filter_map(|b| b["custom_id"].as_str().map(str::to_owned))
            .collect()
    };
    // Buttons name what they act on: a DM with the same ones is the same DM (once they are
    // pressed and gone, its unchanged head still says so).
    // Only the partner's DM buttons name one message alone; a digest's review buttons repeat
    // from week to week.
    let sent_ids = ids(sent);
    if by_me && !sent_ids.is_empty() && sent_ids.iter().all(|id| id.starts_with("pc:pr:")) && ids(message) == sent_ids {
        return true;
    }
    let embed = |v: &serde_json::Value, f: &str| {
        let e = &v["embeds"][0];
        match f {
            "footer" => e["footer"]["text"].as_str().unwrap_or("").to_owned(),
            f => e[f].as_str().unwrap_or("").to_owned(),
        }
    };
    by_me && text(message) == text(sent) && ["title", "description", "footer"].iter().all(|f| embed(message, f) == embed(sent, f))
}

impl Outbox for RestOutbox {
    async fn find_sent(&self, to: Destination, post: &Post, since: DateTime<Utc>) -> Result<Option<(ChannelId, MessageId)>, SendError> {
        let channel = self.channel_of(to).await?;
        // A minute of slack for clocks; a hundred messages is more than one delivery's
        // retries ever leave behind in a team's channel.
        let after = snowflake_at(since - chrono::Duration::minutes(1));
        let listed = self.request(reqwest::Method::GET, &format!("/channels/{channel}/messages?limit=100&after={after}"), None).await?;
        let sent = self.body(post, "").0;
        let me = self.me;
        Ok(listed.as_array().into_iter().flatten().find(|m| same_post(m, &sent, me)).and_then(|m| {
            let id = m["id"].as_str()?.parse().ok()?;
            Some((channel, MessageId(id)))
        }))
    }

    async fn member(&self, guild: GuildId, user: UserId) -> Result<Option<Member>, SendError> {
        match self.request(reqwest::Method::GET, &format!("/guilds/{guild}/members/{user}"), None).await {
            Ok(v) => {
                let roles = v["roles"].as_array().map(|r| r.iter().filter_map(|r| r.as_str()?.parse().ok()).map(RoleId).collect());
                Ok(Some(Member { roles: roles.unwrap_or_default(), bot: v["user"]["bot"].as_bool().unwrap_or(false) }))
            }
            // 10007 Unknown Member (10013 Unknown User: the account is gone altogether).
            Err(SendError::Permanent { code: Some(10007 | 10013), .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn open_thread(&self, parent: ChannelId, name: &str) -> Result<ChannelId, SendError> {
        // A public thread without a starter message; archived after a week without activity
        // (Discord's longest), which a message or an edit after unarchiving brings back.
        let body = json!({ "name": name, "type": 11, "auto_archive_duration": 10080 });
        let v = self.call(&format!("/channels/{parent}/threads"), &body).await?;
        v["id"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .map(ChannelId)
            .ok_or_else(|| SendError::Retry { after: None, reason: "thread without id".into() })
    }

    async fn find_thread(&self, guild: GuildId, parent: ChannelId, name: &str) -> Result<Option<ChannelId>, SendError> {
        let v = self.request(reqwest::Method::GET, &format!("/guilds/{guild}/threads/active"), None).await?;
        let me = self.me.map(|me| me.to_string());
        Ok(v["threads"].as_array().into_iter().flatten().find_map(|t| {
            let mine = me.as_deref().is_none_or(|me| t["owner_id"].as_str() == Some(me));
            (mine && t["parent_id"].as_str() == Some(&parent.to_string()) && t["name"].as_str() == Some(name))
                .then(|| t["id"].as_str()?.parse().ok().map(ChannelId))
                .flatten()
        }))
    }

    async fn edit(&self, channel: ChannelId, message: MessageId, post: &Post) -> Result<(), SendError> {
        let path = format!("/channels/{channel}/messages/{message}");
        let body = self.edit_body(post);
        match self.request(reqwest::Method::PATCH, &path, Some(&body)).await {
            Err(SendError::Permanent { code: Some(THREAD_ARCHIVED), .. }) => {
                // An archived thread takes no edits; unarchiving it is what a moderator would do.
                self.request(reqwest::Method::PATCH, &format!("/channels/{channel}"), Some(&json!({ "archived": false }))).await?;
                self.request(reqwest::Method::PATCH, &path, Some(&body)).await.map(|_| ())
            }
            r => r.map(|_| ()),
        }
    }

    async fn delete(&self, channel: ChannelId, message: MessageId) -> Result<(), SendError> {
        match self.delete_once(channel, message).await {
            // An archived thread's messages cannot be deleted until it is unarchived.
            Err(SendError::Permanent { code: Some(THREAD_ARCHIVED), .. }) => {
                self.request(reqwest::Method::PATCH, &format!("/channels/{channel}"), Some(&json!({ "archived": false }))).await?;
                self.delete_once(channel, message).await
            }
            r => r,
        }
    }

    async fn send(&self, to: Destination, post: &Post, nonce: &str) -> Result<(ChannelId, MessageId), SendError> {
        let channel = self.channel_of(to).await?;
        let path = format!("/channels/{channel}/messages");
        let (body, files) = self.body(post, nonce);
        let v = if files.is_empty() { self.call(&path, &body).await? } else { self.call_with_files(&path, &body, &files).await? };
        let created: Created =
            serde_json::from_value(v).map_err(|e| SendError::Retry { after: None, reason: format!("unreadable message: {e}") })?;
        let message =
            created.id.parse().map(MessageId).map_err(|_| SendError::Retry { after: None, reason: "message without id".into() })?;
        let channel = created.channel_id.and_then(|c| c.parse().ok()).map(ChannelId).unwrap_or(channel);
        Ok((channel, message))
    }
}

impl RestOutbox {
    async fn delete_once(&self, channel: ChannelId, message: MessageId) -> Result<(), SendError> {
        let url = format!("{}/api/v10/channels/{channel}/messages/{message}", self.base);
        let req = self.client.delete(&url).header(reqwest::header::AUTHORIZATION, format!("Bot {}", self.token.expose()));
        let res = req.send().await.map_err(|e| SendError::Retry { after: None, reason: format!("network: {}", without_url(&e)) })?;
        // 204 No Content has no JSON to read.
        if res.status().is_success() {
            return Ok(());
        }
        self.answer_response(res).await.map(|_| ())
    }
}

/// reqwest errors print the URL; ours has no secret in it, but keep logs short.
fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(url) = e.url() {
        s = s.replace(url.as_str(), "");
    }
    s
}
