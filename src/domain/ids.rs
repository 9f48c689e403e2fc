//! The project's own ids. Discord snowflakes cross into the domain as these newtypes, so the
//! service and storage layers never see a serenity type.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! snowflake {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl $name {
            /// The raw snowflake.
            pub fn get(self) -> u64 {
                self.0
            }

            /// SQLite stores integers as i64; snowflakes stay below 2^63 until the year 2084.
            pub fn to_db(self) -> i64 {
                self.0 as i64
            }

            /// The inverse of [`Self::to_db`].
            pub fn from_db(v: i64) -> Self {
                Self(v as u64)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.trim().parse().map(Self)
            }
        }
    };
}

snowflake!(
    /// A Discord server ("guild"): one or more teams.
    GuildId
);
snowflake!(
    /// A Discord user: one team member.
    UserId
);
snowflake!(
    /// A text channel (or a DM channel) the bot posts in.
    ChannelId
);
snowflake!(
    /// A guild role, used for the lead role.
    RoleId
);
snowflake!(
    /// A message the bot sent.
    MessageId
);

/// A team within its server: 0 is the server's default team, others are numbered from 1 as
/// `/team create` makes them. Only meaningful together with its guild ([`TeamKey`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TeamId(pub u32);

impl TeamId {
    /// Every server's default team.
    pub const DEFAULT: TeamId = TeamId(0);

    /// As stored.
    pub fn to_db(self) -> i64 {
        i64::from(self.0)
    }

    /// The inverse of [`Self::to_db`].
    pub fn from_db(v: i64) -> Self {
        Self(v.clamp(0, i64::from(u32::MAX)) as u32)
    }

    /// Whether this is the server's default team.
    pub fn is_default(self) -> bool {
        self == Self::DEFAULT
    }
}

impl fmt::Display for TeamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// One team of one server: what check-ins, commitments, digests and scheduled posts belong to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TeamKey {
    /// The server.
    pub guild: GuildId,
    /// The team in it.
    pub team: TeamId,
}

impl TeamKey {
    /// A team of a server.
    pub fn new(guild: GuildId, team: TeamId) -> Self {
        Self { guild, team }
    }

    /// A server's default team (the only one of a server without teams).
    pub fn default_of(guild: GuildId) -> Self {
        Self { guild, team: TeamId::DEFAULT }
    }
}
