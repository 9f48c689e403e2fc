//! Building INTERACTION_CREATE events (slash commands with options, autocomplete, modal
//! submits, button clicks) and reading the bot's answers.

use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use super::{payloads, perms, FakeDiscord, InteractionState, APP_ID};

/// The default test guild, its general channel, and the default member.
pub const GUILD: u64 = 900_000_000_000_000_100;
pub const CHANNEL: u64 = GUILD + 1;
pub const MEMBER: u64 = 500_000_000_000_000_001;

/// An interaction to send to the bot.
#[derive(Clone, Debug)]
pub struct Interaction {
    kind: u8,
    name: String,
    sub: Option<String>,
    options: Vec<Value>,
    resolved: Map<String, Value>,
    custom_id: Option<String>,
    components: Vec<Value>,
    /// Who sends it.
    pub user: u64,
    guild: Option<u64>,
    channel: u64,
    /// When it is used in a thread: the thread's parent channel.
    thread_parent: Option<u64>,
    perms: u64,
    roles: Vec<u64>,
    locale: String,
}

impl Interaction {
    fn base(kind: u8, name: &str) -> Self {
        Self {
            kind,
            name: name.into(),
            sub: None,
            options: Vec::new(),
            resolved: Map::new(),
            custom_id: None,
            components: Vec::new(),
            user: MEMBER,
            guild: Some(GUILD),
            channel: CHANNEL,
            thread_parent: None,
            perms: perms::MEMBER,
            roles: Vec::new(),
            locale: "en-US".into(),
        }
    }

    /// `/name`.
    pub fn command(name: &str) -> Self {
        Self::base(2, name)
    }

    /// `/name sub`.
    pub fn sub(name: &str, sub: &str) -> Self {
        let mut i = Self::base(2, name);
        i.sub = Some(sub.into());
        i
    }

    /// Autocomplete on `option` of `/name [sub]`, the member having typed `partial`.
    pub fn autocomplete(name: &str, sub: Option<&str>, option: &str, partial: &str) -> Self {
        let mut i = Self::base(4, name);
        i.sub = sub.map(str::to_owned);
        i.options.push(json!({ "type": 3, "name": option, "value": partial, "focused": true }));
        i
    }

    /// A modal submit with text inputs `(custom_id, value)`.
    pub fn modal_submit(custom_id: &str, fields: &[(&str, &str)]) -> Self {
        let mut i = Self::base(5, "");
        i.custom_id = Some(custom_id.into());
        i.components =
            fields.iter().map(|(id, v)| json!({ "type": 1, "components": [{ "type": 4, "custom_id": id, "value": v }] })).collect();
        i
    }

    /// A click on a button with `custom_id`.
    pub fn button(custom_id: &str) -> Self {
        let mut i = Self::base(3, "");
        i.custom_id = Some(custom_id.into());
        i
    }

    /// A string option.
    pub fn str(mut self, name: &str, v: &str) -> Self {
        self.options.push(json!({ "type": 3, "name": name, "value": v }));
        self
    }

    /// An integer option.
    pub fn int(mut self, name: &str, v: i64) -> Self {
        self.options.push(json!({ "type": 4, "name": name, "value": v }));
        self
    }

    /// A boolean option.
    pub fn bool(mut self, name: &str, v: bool) -> Self {
        self.options.push(json!({ "type": 5, "name": name, "value": v }));
        self
    }

    /// A user option (with its resolved user and member).
    pub fn user_opt(mut self, name: &str, user: u64) -> Self {
        self.options.push(json!({ "type": 6, "name": name, "value": user.to_string() }));
        let users = self.resolved.entry("users").or_insert_with(|| json!({}));
        users[user.to_string()] = payloads::user(user, "partner", false);
        self
    }

    /// A channel option (with its resolved channel).
    pub fn channel_opt(mut self, name: &str, channel: u64) -> Self {
        self.options.push(json!({ "type": 7, "name": name, "value": channel.to_string() }));
        let chans = self.resolved.entry("channels").or_insert_with(|| json!({}));
        chans[channel.to_string()] =
            json!({ "id": channel.to_string(), "name": "channel", "type": 0, "permissions": perms::MEMBER.to_string(), "flags": 0 });
        self
    }

    /// A role option (with its resolved role).
    pub fn role_opt(mut self, name: &str, role: u64) -> Self {
        self.options.push(json!({ "type": 8, "name": name, "value": role.to_string() }));
        let roles = self.resolved.entry("roles").or_insert_with(|| json!({}));
        roles[role.to_string()] = payloads::role(role, "leads", 0, 1);
        self
    }

    /// Sent by `user`.
    pub fn by(mut self, user: u64) -> Self {
        self.user = user;
        self
    }

    /// In `guild`, from its general channel.
    pub fn in_guild(mut self, guild: u64) -> Self {
        self.guild = Some(guild);
        self.channel = guild + 1;
        self.thread_parent = None;
        self
    }

    /// Used in `channel` of its guild (default: the guild's general channel).
    pub fn in_channel(mut self, channel: u64) -> Self {
        self.channel = channel;
        self.thread_parent = None;
        self
    }

    /// Used in the public thread `thread` whose parent is the channel `parent`: Discord sends
    /// the thread as the interaction's `channel` (type 11, with `parent_id` and
    /// `thread_metadata`) and its id as `channel_id`.
    pub fn in_thread(mut self, thread: u64, parent: u64) -> Self {
        self.channel = thread;
        self.thread_parent = Some(parent);
        self
    }

    /// In a DM with the bot.
    pub fn in_dm(mut self) -> Self {
        self.guild = None;
        self
    }

    /// The member's computed permissions in the channel.
    pub fn perms(mut self, p: u64) -> Self {
        self.perms = p;
        self
    }

    /// A member with Manage Server.
    pub fn manager(self) -> Self {
        self.perms(perms::MANAGER)
    }

    /// The member's roles.
    pub fn roles(mut self, roles: &[u64]) -> Self {
        self.roles = roles.to_vec();
        self
    }

    /// The member's Discord locale.
    pub fn locale(mut self, l: &str) -> Self {
        self.locale = l.into();
        self
    }

    /// The INTERACTION_CREATE `d` payload.
    pub fn payload(&self, id: u64, token: &str, command_id: Option<String>) -> Value {
        let mut d = json!({
            "id": id.to_string(),
            "application_id": APP_ID.to_string(),
            "type": self.kind,
            "token": token,
            "version": 1,
            "locale": self.locale,
            "app_permissions": perms::MEMBER.to_string(),
            "entitlements": [],
            "attachment_size_limit": 10485760,
            "channel_id": self.channel.to_string(),
        });
        match self.guild {
            Some(g) => {
                d["guild_id"] = json!(g.to_string());
                d["guild_locale"] = json!("en-US");
                d["member"] = payloads::member(self.user, "member", &self.roles, Some(self.perms), false);
                d["channel"] = match self.thread_parent {
                    Some(parent) => payloads::interaction_thread(self.channel, g, parent, self.user),
                    None => payloads::interaction_channel(self.channel, g),
                };
                d["authorizing_integration_owners"] = json!({ "0": g.to_string() });
                d["context"] = json!(0);
            }
            None => {
                d["user"] = payloads::user(self.user, "member", false);
                d["channel"] = json!({ "id": self.channel.to_string(), "type": 1, "flags": 0, "last_message_id": null, "recipients": [payloads::user(self.user, "member", false)] });
                d["authorizing_integration_owners"] = json!({ "0": "0" });
                d["context"] = json!(1);
            }
        }
        d["data"] = match self.kind {
            2 | 4 => {
                let options = match &self.sub {
                    Some(sub) => json!([{ "type": 1, "name": sub, "options": self.options }]),
                    None => json!(self.options),
                };
                let mut data = json!({ "id": command_id.unwrap_or_else(|| "1".into()), "name": self.name, "type": 1, "options": options });
                if let Some(g) = self.guild {
                    data["guild_id"] = json!(g.to_string());
                }
                if !self.resolved.is_empty() {
                    data["resolved"] = Value::Object(self.resolved.clone());
                }
                data
            }
            5 => json!({ "custom_id": self.custom_id, "components": self.components }),
            3 => json!({ "custom_id": self.custom_id, "component_type": 2 }),
            _ => json!({}),
        };
        if self.kind == 3 {
            d["message"] = payloads::message(
                id - 1,
                self.channel,
                payloads::user(APP_ID, "partner-coach", true),
                &json!({ "content": "…", "flags": 64 }),
                self.guild,
                Some(APP_ID),
            );
        }
        d
    }
}

/// The bot's initial response to an interaction.
#[derive(Clone, Debug)]
pub struct Reply {
    /// The interaction token (for follow-ups).
    pub token: String,
    /// The callback body.
    pub callback: Value,
    /// Files attached to the callback.
    pub files: Vec<(String, Vec<u8>)>,
    /// Time from dispatch to the callback.
    pub latency: Duration,
}

impl Reply {
    /// The callback type (4 message, 5 deferred, 6/7 update, 8 autocomplete, 9 modal).
    pub fn kind(&self) -> u64 {
        self.callback["type"].as_u64().unwrap_or(0)
    }

    /// The callback data.
    pub fn data(&self) -> &Value {
        &self.callback["data"]
    }

    /// Flags include EPHEMERAL.
    pub fn ephemeral(&self) -> bool {
        self.data()["flags"].as_u64().unwrap_or(0) & 64 != 0
    }

    /// All visible text: content, embed titles, descriptions, fields and footers.
    pub fn text(&self) -> String {
        message_text(self.data())
    }

    /// The embeds.
    pub fn embeds(&self) -> Vec<Value> {
        self.data()["embeds"].as_array().cloned().unwrap_or_default()
    }

    /// Autocomplete choices as (name, value).
    pub fn choices(&self) -> Vec<(String, String)> {
        self.data()["choices"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|c| {
                        (
                            c["name"].as_str().unwrap_or("").to_owned(),
                            c["value"].as_str().map(str::to_owned).unwrap_or_else(|| c["value"].to_string()),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The `allowed_mentions` of the answer pings nobody.
    pub fn pings_nobody(&self) -> bool {
        pings_nobody(self.data())
    }
}

/// All visible text of a message body.
pub fn message_text(m: &Value) -> String {
    let mut out = vec![m["content"].as_str().unwrap_or("").to_owned()];
    for e in m["embeds"].as_array().into_iter().flatten() {
        for k in ["title", "description"] {
            out.push(e[k].as_str().unwrap_or("").to_owned());
        }
        for f in e["fields"].as_array().into_iter().flatten() {
            out.push(f["name"].as_str().unwrap_or("").to_owned());
            out.push(f["value"].as_str().unwrap_or("").to_owned());
        }
        out.push(e["footer"]["text"].as_str().unwrap_or("").to_owned());
    }
    out.retain(|s| !s.is_empty());
    out.join("\n")
}

/// `allowed_mentions` is present and allows no parsed mentions and no explicit ids.
pub fn pings_nobody(m: &Value) -> bool {
    let am = &m["allowed_mentions"];
    am.is_object()
        && am["parse"].as_array().is_some_and(|a| a.is_empty())
        && am["users"].as_array().is_none_or(|a| a.is_empty())
        && am["roles"].as_array().is_none_or(|a| a.is_empty())
}

impl FakeDiscord {
    /// Sends an interaction and waits for the bot's initial response.
    pub async fn send(&self, i: Interaction) -> Reply {
        let token = self.dispatch_interaction(&i);
        self.reply_to(&token).await
    }

    /// Sends an interaction without waiting; returns its token.
    pub fn dispatch_interaction(&self, i: &Interaction) -> String {
        let s = self.shared();
        let id = s.next_id();
        let token = format!("itoken-{id}");
        let command_id = s.lock().commands.iter().find(|c| c["name"] == i.name).and_then(|c| c["id"].as_str().map(str::to_owned));
        let payload = i.payload(id, &token, command_id);
        s.lock().interactions.insert(
            token.clone(),
            InteractionState {
                id,
                kind: i.kind,
                sent_at: Instant::now(),
                callbacks: Vec::new(),
                callback_files: Vec::new(),
                callback_at: None,
                followups: Vec::new(),
                edits: Vec::new(),
            },
        );
        s.dispatch("INTERACTION_CREATE", payload);
        token
    }

    /// Waits for the initial response to the interaction with `token`.
    pub async fn reply_to(&self, token: &str) -> Reply {
        let token = token.to_owned();
        self.wait_for(&format!("the answer to interaction {token}"), |i| {
            let st = i.interactions.get(&token)?;
            let at = st.callback_at?;
            Some(Reply {
                token: token.clone(),
                callback: st.callbacks[0].clone(),
                files: st.callback_files.clone(),
                latency: at - st.sent_at,
            })
        })
        .await
    }

    /// Waits for the `n`th follow-up (1-based) of an interaction.
    pub async fn followup(&self, token: &str, n: usize) -> Value {
        let token = token.to_owned();
        self.wait_for(&format!("follow-up {n} of {token}"), |i| i.interactions.get(&token)?.followups.get(n - 1).cloned()).await
    }
}
