//! The little the bot keeps of each guild in place of serenity's guild cache: its name (for
//! reminders and partner DMs, which name the server) and its owner (for the DM when a
//! channel is gone). Filled from GUILD_CREATE and GUILD_UPDATE; about 100 bytes a guild
//! where the cache held every channel, role and member.

use std::collections::HashMap;
use std::sync::RwLock;

use poise::serenity_prelude as serenity;

use crate::domain::ids::GuildId;

/// Name and owner of each guild this process has seen.
#[derive(Default)]
pub struct Guilds {
    map: RwLock<HashMap<u64, Facts>>,
}

struct Facts {
    // A boxed str: the name never grows, so the spare capacity of a String is waste.
    name: Box<str>,
    owner: u64,
}

impl Guilds {
    /// Remembers (or updates) a guild.
    pub fn insert(&self, guild: GuildId, name: &str, owner: u64) {
        self.map.write().expect("guilds").insert(guild.get(), Facts { name: name.into(), owner });
    }

    /// Forgets a guild the bot left.
    pub fn remove(&self, guild: GuildId) {
        self.map.write().expect("guilds").remove(&guild.get());
    }

    /// The guild's name, if it arrived.
    pub fn name(&self, guild: GuildId) -> Option<String> {
        self.map.read().expect("guilds").get(&guild.get()).map(|f| f.name.to_string())
    }

    /// The guild owner's user id, if it arrived.
    pub fn owner(&self, guild: GuildId) -> Option<u64> {
        self.map.read().expect("guilds").get(&guild.get()).map(|f| f.owner)
    }

    /// How many guilds are known.
    pub fn len(&self) -> usize {
        self.map.read().expect("guilds").len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keeps what a gateway event says of a guild: GUILD_CREATE and GUILD_UPDATE fill it,
    /// a GUILD_DELETE that is not an outage empties it.
    pub fn observe(&self, event: &serenity::FullEvent) {
        match event {
            serenity::FullEvent::GuildCreate { guild, .. } => self.insert(GuildId(guild.id.get()), &guild.name, guild.owner_id.get()),
            serenity::FullEvent::GuildUpdate { new_data, .. } => {
                self.insert(GuildId(new_data.id.get()), &new_data.name, new_data.owner_id.get())
            }
            serenity::FullEvent::GuildDelete { incomplete, .. } if !incomplete.unavailable => self.remove(GuildId(incomplete.id.get())),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_owners_are_kept_updated_and_forgotten() {
        let g = Guilds::default();
        assert_eq!(g.name(GuildId(5)), None);
        g.insert(GuildId(5), "Team 5", 42);
        g.insert(GuildId(6), "Six", 43);
        assert_eq!((g.name(GuildId(5)).as_deref(), g.owner(GuildId(5))), (Some("Team 5"), Some(42)));
        g.insert(GuildId(5), "Renamed", 44);
        assert_eq!((g.name(GuildId(5)).as_deref(), g.owner(GuildId(5))), (Some("Renamed"), Some(44)));
        g.remove(GuildId(5));
        assert_eq!((g.name(GuildId(5)), g.owner(GuildId(5)), g.len()), (None, None, 1));
    }
}
