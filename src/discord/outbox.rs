//! The scheduler's sender: posts and DMs over Discord's REST API.
//!
//! This talks to the API directly rather than through serenity's `Http` because the
//! scheduler must see Discord's answer as it is: `retry_after` of a 429 (serenity drops the
//! body when its own rate limiter is off) and the JSON error code of a 403 (50007: the member
//! does not accept DMs).

use std::sync::Arc;
use std::time::Duration;

use poise::serenity_prelude as serenity;
use serde::Deserialize;
use serde_json::json;

use super::render;
use crate::config::Token;
use crate::domain::ids::{ChannelId, MessageId};
use crate::prompts::Prompts;
use crate::service::{Destination, Outbox, Post, SendError};

/// Discord's REST base when no `DISCORD_API_URL` is set.
pub const DISCORD_BASE: &str = "https://discord.com";

/// Sends scheduled posts over REST.
pub struct RestOutbox {
    client: reqwest::Client,
    base: String,
    token: Token,
    prompts: Arc<Prompts>,
    cache: Option<Arc<serenity::Cache>>,
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
    /// A sender for `base` (`https://discord.com` or a fake on loopback).
    pub fn new(base: Option<&str>, token: Token, prompts: Arc<Prompts>, cache: Option<Arc<serenity::Cache>>) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .user_agent(concat!("DiscordBot (https://github.com/partner-coach, ", env!("CARGO_PKG_VERSION"), ")"))
            .build()
            .expect("a TLS backend is compiled in");
        Self { client, base: base.unwrap_or(DISCORD_BASE).trim_end_matches('/').to_owned(), token, prompts, cache }
    }

    async fn call(&self, path: &str, body: &serde_json::Value) -> Result<serde_json::Value, SendError> {
        let url = format!("{}/api/v10{path}", self.base);
        let res = self
            .client
            .post(&url)
            .header(reqwest::header::AUTHORIZATION, format!("Bot {}", self.token.expose()))
            .json(body)
            .send()
            .await
            .map_err(|e| SendError::Retry { after: None, reason: format!("network: {}", without_url(&e)) })?;
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

    async fn dm_channel(&self, user: crate::domain::ids::UserId) -> Result<ChannelId, SendError> {
        let v = self.call("/users/@me/channels", &json!({ "recipient_id": user.to_string() })).await?;
        v.get("id")
            .and_then(|id| id.as_str())
            .and_then(|id| id.parse().ok())
            .map(ChannelId)
            .ok_or_else(|| SendError::Retry { after: None, reason: "DM channel without id".into() })
    }

    fn body(&self, post: &Post, nonce: &str) -> serde_json::Value {
        let body = render::post(&self.prompts, post, self.cache.as_deref());
        let mut v = json!({
            // Posts can quote member text (digest notes): never ping anyone.
            "allowed_mentions": { "parse": [] },
            "nonce": nonce,
            "enforce_nonce": true,
        });
        if let Some(c) = body.content {
            v["content"] = json!(c);
        }
        if let Some(e) = body.embed {
            v["embeds"] = json!([e]);
        }
        v
    }
}

impl Outbox for RestOutbox {
    async fn send(&self, to: Destination, post: &Post, nonce: &str) -> Result<(ChannelId, MessageId), SendError> {
        let channel = match to {
            Destination::Channel(c) => c,
            Destination::User(u) => self.dm_channel(u).await?,
        };
        let v = self.call(&format!("/channels/{channel}/messages"), &self.body(post, nonce)).await?;
        let created: Created =
            serde_json::from_value(v).map_err(|e| SendError::Retry { after: None, reason: format!("unreadable message: {e}") })?;
        let message =
            created.id.parse().map(MessageId).map_err(|_| SendError::Retry { after: None, reason: "message without id".into() })?;
        let channel = created.channel_id.and_then(|c| c.parse().ok()).map(ChannelId).unwrap_or(channel);
        Ok((channel, message))
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
