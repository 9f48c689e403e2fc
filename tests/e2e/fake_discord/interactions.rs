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
    /// The clicked component's type (2 button, 3.. selects).
    component_type: u64,
    components: Vec<Value>,
    /// Who sends it.
    pub user: u64,
    /// `by` was called: [`Self::on_message`] keeps that user.
    user_set: bool,
    guild: Option<u64>,
    /// `None`: the guild's general channel, or in a DM the user's DM channel with the bot.
    channel: Option<u64>,
    /// When it is used in a thread: the thread's parent channel.
    thread_parent: Option<u64>,
    /// The message a component was clicked on ([`Self::on_message`]): its object and
    /// (channel, id). `None`: a stand-in ephemeral message of the bot.
    message: Option<(Value, (u64, u64))>,
    /// In a DM: the user on the other side of the DM channel (default: the sender).
    dm_recipient: Option<u64>,
    perms: u64,
    roles: Vec<u64>,
    locale: String,
}

/// Calls `f` on every component of a message's `components`, nested ones included (action
/// rows' children, v2 sections' accessories and containers' children).
pub fn walk_components(components: &Value, f: &mut impl FnMut(&Value)) {
    for c in components.as_array().into_iter().flatten() {
        f(c);
        walk_components(&c["components"], f);
        if c["accessory"].is_object() {
            f(&c["accessory"]);
        }
    }
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
            component_type: 2,
            components: Vec::new(),
            user: MEMBER,
            user_set: false,
            guild: Some(GUILD),
            channel: None,
            thread_parent: None,
            message: None,
            dm_recipient: None,
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

    /// A user option (with its resolved user).
    pub fn user_opt(self, name: &str, user: u64) -> Self {
        self.user_option(name, user, false)
    }

    /// A user option naming a bot account: its resolved user has `bot: true`.
    pub fn user_opt_bot(self, name: &str, user: u64) -> Self {
        self.user_option(name, user, true)
    }

    fn user_option(mut self, name: &str, user: u64, bot: bool) -> Self {
        self.options.push(json!({ "type": 6, "name": name, "value": user.to_string() }));
        let users = self.resolved.entry("users").or_insert_with(|| json!({}));
        users[user.to_string()] = payloads::user(user, if bot { "a-bot" } else { "partner" }, bot);
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

    /// Sent by `user` (also after [`Self::on_message`]: a click by someone else).
    pub fn by(mut self, user: u64) -> Self {
        self.user = user;
        self.user_set = true;
        self
    }

    /// In `guild`, from its general channel.
    pub fn in_guild(mut self, guild: u64) -> Self {
        self.guild = Some(guild);
        self.channel = None;
        self.thread_parent = None;
        self
    }

    /// Used in `channel` of its guild (default: the guild's general channel).
    pub fn in_channel(mut self, channel: u64) -> Self {
        self.channel = Some(channel);
        self.thread_parent = None;
        self
    }

    /// Used in the public thread `thread` whose parent is the channel `parent`: Discord sends
    /// the thread as the interaction's `channel` (type 11, with `parent_id` and
    /// `thread_metadata`) and its id as `channel_id`.
    pub fn in_thread(mut self, thread: u64, parent: u64) -> Self {
        self.channel = Some(thread);
        self.thread_parent = Some(parent);
        self
    }

    /// In a DM with the bot: no `guild_id`, a `user` instead of a `member`, a `channel` of
    /// type 1, `context` 1 (BOT_DM). Unless [`Self::in_channel`] named one, the channel is the
    /// user's DM channel with the bot, which the fake opens if the bot has not yet.
    pub fn in_dm(mut self) -> Self {
        self.guild = None;
        self.thread_parent = None;
        self
    }

    /// A component interaction on a message the bot sent (in a guild channel, a thread or a
    /// DM): it carries the message's current object (author, channel, components) as
    /// Discord's `message`, and happens where the message is; an UPDATE_MESSAGE answer, or
    /// an edit of `@original` after a DEFERRED_UPDATE_MESSAGE one, edits that message. In a
    /// DM the click is by the DM's recipient unless [`Self::by`] says otherwise.
    ///
    /// Panics if there is no such message, or (for a button click) it has no enabled
    /// component with this interaction's `custom_id`: Discord sends clicks only on those.
    pub fn on_message(mut self, fake: &FakeDiscord, channel: u64, message: u64) -> Self {
        let stored = fake.message(channel, message).unwrap_or_else(|| panic!("no message {message} in channel {channel}"));
        let object = stored.object.clone();
        if let Some(custom_id) = &self.custom_id {
            let mut found = None;
            walk_components(&object["components"], &mut |c| {
                if c["custom_id"].as_str() == Some(custom_id) {
                    found = Some(c.clone());
                }
            });
            let component = found.unwrap_or_else(|| panic!("message {message} has no component {custom_id:?}: {}", object["components"]));
            assert!(!component["disabled"].as_bool().unwrap_or(false), "component {custom_id:?} is disabled: Discord sends no click");
            self.component_type = component["type"].as_u64().unwrap_or(2);
        }
        let i = fake.shared().lock();
        let dm = i.dm_channels.iter().find(|(_, c)| **c == channel).map(|(user, _)| *user);
        let thread = i.thread(channel).map(|t| (t.guild_id, t.parent_id));
        let guild = i.guilds.iter().find(|g| g.channels.iter().any(|c| c.0 == channel)).map(|g| g.id);
        drop(i);
        match (dm, thread, guild) {
            (Some(recipient), _, _) => {
                self.guild = None;
                self.dm_recipient = Some(recipient);
                if !self.user_set {
                    self.user = recipient;
                }
                self.thread_parent = None;
            }
            (None, Some((g, parent)), _) => {
                self.guild = Some(g);
                self.thread_parent = Some(parent);
            }
            (None, None, Some(g)) => {
                self.guild = Some(g);
                self.thread_parent = None;
            }
            (None, None, None) => panic!("channel {channel} is not a channel the fake has"),
        }
        self.channel = Some(channel);
        self.message = Some((object, (channel, message)));
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
            "channel_id": self.channel_id().to_string(),
        });
        match self.guild {
            Some(g) => {
                d["guild_id"] = json!(g.to_string());
                d["guild_locale"] = json!("en-US");
                d["member"] = payloads::member(self.user, "member", &self.roles, Some(self.perms), false);
                d["channel"] = match self.thread_parent {
                    Some(parent) => payloads::interaction_thread(self.channel_id(), g, parent, self.user),
                    None => payloads::interaction_channel(self.channel_id(), g),
                };
                d["authorizing_integration_owners"] = json!({ "0": g.to_string() });
                d["context"] = json!(0);
            }
            None => {
                // The DM channel's `recipients` is the user on the other side (the bot is not
                // listed), as in shared/discord/examples/04b.
                let recipient = payloads::user(self.dm_recipient.unwrap_or(self.user), "member", false);
                d["user"] = payloads::user(self.user, "member", false);
                d["channel"] = payloads::dm_channel(self.channel_id(), recipient);
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
            3 => json!({ "custom_id": self.custom_id, "component_type": self.component_type }),
            _ => json!({}),
        };
        if self.kind == 3 {
            d["message"] = match &self.message {
                Some((object, _)) => object.clone(),
                // A stand-in: an ephemeral message of the bot's (an interaction's answer).
                None => payloads::message(
                    id - 1,
                    self.channel_id(),
                    payloads::user(APP_ID, "partner-coach", true),
                    &json!({ "content": "…", "flags": 64 }),
                    self.guild,
                    Some(APP_ID),
                ),
            };
        }
        d
    }

    /// The channel it is used in: as set, else the guild's general channel; a DM without a
    /// channel falls back to [`CHANNEL`] (`dispatch_interaction` gives it the DM channel).
    fn channel_id(&self) -> u64 {
        self.channel.unwrap_or_else(|| self.guild.map_or(CHANNEL, |g| g + 1))
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

    /// The interaction's `app_permissions` as Discord computes them: the bot's in its
    /// channel (a thread's from its parent), overwrites included, as the fake's own checks
    /// do; `None` outside the guilds the fake has (the payload's default stays).
    pub fn app_permissions(&self, i: &Interaction) -> Option<u64> {
        let spec = i.guild.and_then(|g| self.shared().lock().guild(g).cloned())?;
        let at = i.thread_parent.unwrap_or(i.channel_id());
        let deny = spec.channels.iter().find(|c| c.0 == at).map_or(0, |c| c.2);
        // Administrator is every permission; Discord sends the bits it has defined.
        Some(spec.bot_perms(deny) & ((1u64 << 51) - 1))
    }

    /// Sends an interaction without waiting; returns its token.
    pub fn dispatch_interaction(&self, i: &Interaction) -> String {
        let s = self.shared();
        // A DM interaction happens in the user's DM channel with the bot, which exists from
        // then on (the bot opening it gets the same channel).
        let mut i = i.clone();
        if i.guild.is_none() && i.channel.is_none() {
            let known = s.lock().dm_channels.get(&i.user).copied();
            let ch = known.unwrap_or_else(|| s.next_id());
            s.lock().dm_channels.entry(i.user).or_insert(ch);
            i.channel = Some(ch);
        }
        let i = &i;
        let id = s.next_id();
        let token = format!("itoken-{id}");
        let command_id = s.lock().commands.iter().find(|c| c["name"] == i.name).and_then(|c| c["id"].as_str().map(str::to_owned));
        let mut payload = i.payload(id, &token, command_id);
        if let Some(p) = self.app_permissions(i) {
            payload["app_permissions"] = json!(p.to_string());
        }
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
                message: i.message.as_ref().map(|(_, at)| *at),
                delivered: Vec::new(),
                answered_via: None,
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
