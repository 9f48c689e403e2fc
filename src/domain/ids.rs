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
    /// A Discord server ("guild"): one team.
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
