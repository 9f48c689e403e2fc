//! Use cases: everything the bot does, with no Discord types. The Discord layer parses
//! options into plain values, calls one function here, and renders what comes back.

mod checkins;
mod digest;
mod members;
mod principles;
mod privacy;
mod scheduler;
mod setup;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use crate::clock::{Clock, Random};
use crate::domain::ids::{GuildId, RoleId, UserId};
use crate::domain::lang::Lang;
use crate::domain::refusal::Refusal;
use crate::domain::schedule::local_date;
use crate::domain::settings::GuildSettings;
use crate::domain::time::{IsoWeek, Zone};
use crate::prompts::keys as k;
use crate::prompts::Prompts;
use crate::storage::Store;

pub use checkins::*;
pub use digest::*;
pub use members::*;
pub use principles::*;
pub use privacy::*;
pub use scheduler::*;
pub use setup::*;

/// A use case's failure: either the user's input was refused (shown to them, logged at
/// info), or something unexpected broke (a short apology to them, the cause in the log).
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Bad input or missing rights; nothing was changed.
    #[error("refused: {0}")]
    Refused(#[from] Refusal),
    /// The database stayed locked by another process (a backup, an operator's shell) longer
    /// than the busy timeout; nothing was written.
    #[error("the database is busy: {0}")]
    Busy(sqlx::Error),
    /// A bug or an outage.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ServiceError {
    fn from(e: sqlx::Error) -> Self {
        let busy = match &e {
            // SQLITE_BUSY (5) and its extended codes (517 BUSY_SNAPSHOT, 261 BUSY_RECOVERY).
            sqlx::Error::Database(d) => {
                d.code().is_some_and(|c| c == "5" || c == "261" || c == "517") || d.message().contains("database is locked")
            }
            sqlx::Error::PoolTimedOut => true,
            _ => false,
        };
        if busy {
            ServiceError::Busy(e)
        } else {
            ServiceError::Unexpected(anyhow::Error::new(e).context("database"))
        }
    }
}

/// Result of a use case.
pub type Result<T> = std::result::Result<T, ServiceError>;

/// Who is asking, as the Discord layer saw it in the interaction.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The guild, or `None` in a DM.
    pub guild: Option<GuildId>,
    /// The member.
    pub user: UserId,
    /// Their Discord locale (`vi`, `en-US`, …).
    pub locale: String,
    /// They have Manage Server in this guild (from the interaction's member permissions).
    pub can_manage: bool,
    /// Their roles in this guild.
    pub roles: Vec<RoleId>,
}

/// One interaction's view of the world: the caller, their guild's settings, and the language
/// to answer in.
#[derive(Clone, Debug)]
pub struct Session {
    /// Who is asking.
    pub caller: Caller,
    /// The guild's settings (defaults for a guild that configured nothing, or a DM).
    pub settings: GuildSettings,
    /// The answer language: the guild's setting, else the caller's locale.
    pub lang: Lang,
}

impl Session {
    /// The guild, or a refusal saying this belongs in a team's server.
    pub fn guild(&self) -> std::result::Result<GuildId, Refusal> {
        self.caller.guild.ok_or_else(|| Refusal::new(k::ERR_GUILD_ONLY))
    }

    /// Refuses unless the caller has Manage Server.
    pub fn require_manager(&self) -> std::result::Result<GuildId, Refusal> {
        let guild = self.guild()?;
        if self.caller.can_manage {
            Ok(guild)
        } else {
            Err(Refusal::new(k::ERR_NOT_MANAGER))
        }
    }

    /// Refuses unless the caller has Manage Server or the guild's lead role.
    pub fn require_lead(&self) -> std::result::Result<GuildId, Refusal> {
        let guild = self.guild()?;
        let has_role = self.settings.lead_role.is_some_and(|r| self.caller.roles.contains(&r));
        if self.caller.can_manage || has_role {
            Ok(guild)
        } else {
            let role = self.settings.lead_role.map(|r| format!("<@&{r}>")).unwrap_or_else(|| "—".into());
            Err(Refusal::new(k::ERR_NOT_LEAD).arg("role", role))
        }
    }
}

/// The application: storage, texts, time and randomness.
pub struct Service {
    /// The database.
    pub store: Store,
    /// Everything the bot says.
    pub prompts: Arc<Prompts>,
    clock: Arc<dyn Clock>,
    rng: Random,
    /// Guild settings read on every interaction, kept until this service changes them (it is
    /// the only writer); `None` caches "not configured". One small entry per guild.
    settings_cache: std::sync::RwLock<std::collections::HashMap<GuildId, Option<GuildSettings>>>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service").finish_non_exhaustive()
    }
}

impl Service {
    /// Builds the service.
    pub fn new(store: Store, prompts: Arc<Prompts>, clock: Arc<dyn Clock>, rng: Random) -> Self {
        Self { store, prompts, clock, rng, settings_cache: Default::default() }
    }

    /// Now, from the injected clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Loads the caller's guild settings and picks the answer language.
    pub async fn session(&self, caller: Caller) -> Result<Session> {
        let settings = match caller.guild {
            Some(g) => self.guild_settings(g).await?.unwrap_or_else(|| GuildSettings::new(g)),
            None => GuildSettings::new(GuildId(0)),
        };
        let lang = settings.language.unwrap_or_else(|| Lang::from_locale(&caller.locale));
        Ok(Session { caller, settings, lang })
    }

    /// A guild's settings, from the cache or the database.
    pub async fn guild_settings(&self, guild: GuildId) -> Result<Option<GuildSettings>> {
        if let Some(s) = self.settings_cache.read().expect("settings cache").get(&guild) {
            return Ok(s.clone());
        }
        let s = self.store.guild_settings(guild).await?;
        self.settings_cache.write().expect("settings cache").insert(guild, s.clone());
        Ok(s)
    }

    /// Forgets a guild's cached settings after a change.
    pub(crate) fn settings_changed(&self, guild: GuildId) {
        self.settings_cache.write().expect("settings cache").remove(&guild);
    }

    /// Today's date in a zone.
    pub fn today(&self, zone: Zone) -> NaiveDate {
        local_date(zone.0, self.now())
    }

    /// This ISO week in a zone.
    pub fn this_week(&self, zone: Zone) -> IsoWeek {
        IsoWeek::of(self.today(zone))
    }

    /// A uniform random index below `n`.
    pub(crate) fn pick(&self, n: usize) -> usize {
        if n <= 1 {
            0
        } else {
            self.rng.below(n)
        }
    }
}
