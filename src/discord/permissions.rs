//! The bot's permissions in a channel, asked of Discord when `/setup` names one, instead of
//! read from serenity's guild cache: keeping every guild's channels, roles and members in
//! memory cost ~36 KB a guild for three look-ups a server makes a few times in its life.

use std::collections::HashMap;
use std::time::Duration;

use poise::serenity_prelude as serenity;
use serenity::{Permissions, RoleId, UserId};
use tracing::debug;

/// How long the look-ups at `/setup` may take together. An interaction must be answered
/// within 3 s; a slow Discord makes the answer say it could not check rather than miss that.
const LOOKUP_TIMEOUT: Duration = Duration::from_millis(1500);

/// The bot's permissions in a channel as Discord computes them (topics/permissions.mdx,
/// "Permission Overwrites"): the owner has all; else @everyone's and the member's roles'
/// permissions, all of them with Administrator; then the channel's overwrites for
/// @everyone, for the member's roles together, for the member, each denying before it
/// allows. `roles` are the guild's roles' permissions (@everyone's role has the guild's id).
pub fn permissions_in(
    guild: serenity::GuildId,
    owner: UserId,
    roles: &HashMap<RoleId, Permissions>,
    member: UserId,
    member_roles: &[RoleId],
    overwrites: &[serenity::PermissionOverwrite],
) -> Permissions {
    if member == owner {
        return Permissions::all();
    }
    let everyone = guild.everyone_role();
    let role = |r: &RoleId| roles.get(r).copied().unwrap_or_else(Permissions::empty);
    let mut p = member_roles.iter().fold(role(&everyone), |p, r| p | role(r));
    if p.administrator() {
        return Permissions::all();
    }
    let apply = |p: Permissions, allow: Permissions, deny: Permissions| (p & !deny) | allow;
    for o in overwrites {
        if o.kind == serenity::PermissionOverwriteType::Role(everyone) {
            p = apply(p, o.allow, o.deny);
        }
    }
    // A member's roles' overwrites count as one: an allow of one role beats a deny of another.
    let (mut allow, mut deny) = (Permissions::empty(), Permissions::empty());
    for o in overwrites {
        if let serenity::PermissionOverwriteType::Role(r) = o.kind {
            if r != everyone && member_roles.contains(&r) {
                allow |= o.allow;
                deny |= o.deny;
            }
        }
    }
    p = apply(p, allow, deny);
    for o in overwrites {
        if o.kind == serenity::PermissionOverwriteType::Member(member) {
            p = apply(p, o.allow, o.deny);
        }
    }
    p
}

/// What Discord said of a channel named in a command's option.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChannelFacts {
    /// Whether it is a channel of the interaction's guild; `None` when Discord did not say
    /// (a channel the bot cannot see, or Discord did not answer).
    pub in_guild: Option<bool>,
    /// The bot's permissions there; `None` when they could not be looked up.
    pub bot: Option<Permissions>,
}

/// Asks Discord about `channel`: `GET /channels/{id}` (its guild and overwrites) and, with
/// `permissions`, `GET /guilds/{id}` (roles, owner) and `GET /guilds/{id}/members/{bot}`
/// (the bot's roles), at once. Any failure leaves the part it concerns unknown; it never
/// refuses on its own.
pub async fn look_up_channel(
    http: &serenity::Http,
    guild: serenity::GuildId,
    me: UserId,
    channel: serenity::ChannelId,
    permissions: bool,
) -> ChannelFacts {
    let work = async {
        if !permissions {
            return (http.get_channel(channel).await, None);
        }
        let (c, g, m) = tokio::join!(http.get_channel(channel), http.get_guild(guild), http.get_member(guild, me));
        (c, Some((g, m)))
    };
    let Ok((channel_answer, guild_answers)) = tokio::time::timeout(LOOKUP_TIMEOUT, work).await else {
        debug!(%channel, "no answer from Discord in time about a channel's permissions");
        return ChannelFacts::default();
    };
    let overwrites = match channel_answer {
        Ok(serenity::Channel::Guild(c)) if c.guild_id == guild => c.permission_overwrites,
        Ok(_) => return ChannelFacts { in_guild: Some(false), bot: None },
        Err(e) => {
            return match status_of(&e) {
                // Unknown Channel: not one Discord has, so not this server's either.
                Some(404) => ChannelFacts { in_guild: Some(false), bot: None },
                // Missing Access: the bot cannot see it, so it cannot post there, whichever
                // server it is in.
                Some(403) => ChannelFacts { in_guild: None, bot: Some(Permissions::empty()) },
                _ => {
                    debug!(%channel, error = %e, "could not look a channel up");
                    ChannelFacts::default()
                }
            };
        }
    };
    let bot = match guild_answers {
        Some((Ok(g), Ok(m))) => {
            let roles = g.roles.iter().map(|(id, r)| (*id, r.permissions)).collect();
            Some(permissions_in(guild, g.owner_id, &roles, me, &m.roles, &overwrites))
        }
        Some((g, m)) => {
            debug!(guild = g.is_ok(), member = m.is_ok(), "could not look up the bot's roles");
            None
        }
        None => None,
    };
    ChannelFacts { in_guild: Some(true), bot }
}

/// Whether `role` is one of `guild`'s (`GET /guilds/{id}`); `None` when Discord did not say.
pub async fn role_in_guild(http: &serenity::Http, guild: serenity::GuildId, role: RoleId) -> Option<bool> {
    match tokio::time::timeout(LOOKUP_TIMEOUT, http.get_guild(guild)).await {
        Ok(Ok(g)) => Some(g.roles.contains_key(&role)),
        Ok(Err(e)) => {
            debug!(%guild, error = %e, "could not look up the guild's roles");
            None
        }
        Err(_) => None,
    }
}

/// The HTTP status of a REST error Discord answered.
fn status_of(e: &serenity::Error) -> Option<u16> {
    match e {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(r)) => Some(r.status_code.as_u16()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use poise::serenity_prelude::{GuildId, PermissionOverwrite, PermissionOverwriteType as Kind};

    const GUILD: GuildId = GuildId::new(100);
    const BOT: UserId = UserId::new(7);
    const OWNER: UserId = UserId::new(1);
    const BOT_ROLE: RoleId = RoleId::new(200);
    const OTHER_ROLE: RoleId = RoleId::new(300);

    fn roles(everyone: Permissions, bot_role: Permissions) -> HashMap<RoleId, Permissions> {
        HashMap::from([(GUILD.everyone_role(), everyone), (BOT_ROLE, bot_role), (OTHER_ROLE, Permissions::empty())])
    }

    fn ow(kind: Kind, allow: Permissions, deny: Permissions) -> PermissionOverwrite {
        PermissionOverwrite { allow, deny, kind }
    }

    fn post() -> Permissions {
        Permissions::VIEW_CHANNEL | Permissions::SEND_MESSAGES | Permissions::EMBED_LINKS
    }

    #[test]
    fn roles_add_up_and_a_role_the_bot_lacks_gives_nothing() {
        let mut r = roles(Permissions::VIEW_CHANNEL, Permissions::SEND_MESSAGES);
        r.insert(OTHER_ROLE, Permissions::all());
        let p = permissions_in(GUILD, OWNER, &r, BOT, &[BOT_ROLE], &[]);
        assert_eq!(p, Permissions::VIEW_CHANNEL | Permissions::SEND_MESSAGES);
        // OTHER_ROLE has everything, but the bot does not hold it.
        assert_eq!(permissions_in(GUILD, OWNER, &r, BOT, &[], &[]), Permissions::VIEW_CHANNEL);
    }

    #[test]
    fn an_everyone_deny_takes_away_and_a_role_allow_gives_back() {
        let r = roles(post(), Permissions::empty());
        let deny = ow(Kind::Role(GUILD.everyone_role()), Permissions::empty(), Permissions::SEND_MESSAGES);
        assert_eq!(permissions_in(GUILD, OWNER, &r, BOT, &[BOT_ROLE], std::slice::from_ref(&deny)), post() - Permissions::SEND_MESSAGES);
        let allow = ow(Kind::Role(BOT_ROLE), Permissions::SEND_MESSAGES, Permissions::empty());
        assert_eq!(permissions_in(GUILD, OWNER, &r, BOT, &[BOT_ROLE], &[deny.clone(), allow.clone()]), post());
        // The role's allow counts only for a member who has the role.
        assert_eq!(permissions_in(GUILD, OWNER, &r, BOT, &[], &[deny, allow]), post() - Permissions::SEND_MESSAGES);
    }

    #[test]
    fn among_roles_an_allow_beats_a_deny_and_the_member_overwrite_comes_last() {
        let r = roles(post(), Permissions::empty());
        let role_deny = ow(Kind::Role(OTHER_ROLE), Permissions::empty(), Permissions::EMBED_LINKS);
        let role_allow = ow(Kind::Role(BOT_ROLE), Permissions::EMBED_LINKS, Permissions::empty());
        let both = [role_deny.clone(), role_allow];
        assert_eq!(permissions_in(GUILD, OWNER, &r, BOT, &[BOT_ROLE, OTHER_ROLE], &both), post());
        assert_eq!(permissions_in(GUILD, OWNER, &r, BOT, &[OTHER_ROLE], &[role_deny]), post() - Permissions::EMBED_LINKS);
        // A member overwrite beats the roles' allow; another member's does nothing.
        let member_deny = ow(Kind::Member(BOT), Permissions::empty(), Permissions::VIEW_CHANNEL);
        let someone_else = ow(Kind::Member(OWNER), Permissions::empty(), Permissions::all());
        let all = [both[0].clone(), both[1].clone(), member_deny, someone_else.clone()];
        assert_eq!(permissions_in(GUILD, OWNER, &r, BOT, &[BOT_ROLE, OTHER_ROLE], &all), post() - Permissions::VIEW_CHANNEL);
        assert_eq!(permissions_in(GUILD, OWNER, &r, BOT, &[BOT_ROLE], &[someone_else]), post());
        let member_allow = ow(Kind::Member(BOT), Permissions::CREATE_PUBLIC_THREADS, Permissions::empty());
        let everyone_deny = ow(Kind::Role(GUILD.everyone_role()), Permissions::empty(), Permissions::CREATE_PUBLIC_THREADS);
        let p = permissions_in(GUILD, OWNER, &r, BOT, &[], &[member_allow, everyone_deny]);
        assert!(p.create_public_threads(), "{p:?}");
    }

    #[test]
    fn the_owner_and_administrator_have_everything_whatever_the_overwrites() {
        let r = roles(Permissions::VIEW_CHANNEL, Permissions::ADMINISTRATOR);
        let deny_all = [
            ow(Kind::Role(GUILD.everyone_role()), Permissions::empty(), Permissions::all()),
            ow(Kind::Member(BOT), Permissions::empty(), Permissions::all()),
        ];
        assert_eq!(permissions_in(GUILD, OWNER, &r, BOT, &[BOT_ROLE], &deny_all), Permissions::all());
        assert_eq!(permissions_in(GUILD, BOT, &r, BOT, &[], &deny_all), Permissions::all());
        // Without the role nor the ownership, the same overwrites leave nothing.
        assert_eq!(permissions_in(GUILD, OWNER, &r, BOT, &[], &deny_all), Permissions::empty());
    }
}
