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
use crate::keys as k;
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
    Busy(anyhow::Error),
    /// A bug or an outage.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<crate::storage::Error> for ServiceError {
    fn from(e: crate::storage::Error) -> Self {
        // Which storage failure is "busy" is storage's knowledge; the use cases only see
        // the two outcomes.
        if crate::storage::is_busy(&e) {
            ServiceError::Busy(anyhow::Error::new(e))
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
    settings_cache: std::sync::RwLock<SettingsCache>,
}

/// The cached settings and a generation that every change bumps. A read that missed the
/// cache stores what it read from the database only if no change happened since it started:
/// otherwise a change landing between its read and its store would be overwritten with the
/// old value, and stay stale.
#[derive(Default)]
struct SettingsCache {
    entries: std::collections::HashMap<GuildId, Option<GuildSettings>>,
    generation: u64,
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
        let generation = {
            let cache = self.settings_cache.read().expect("settings cache");
            if let Some(s) = cache.entries.get(&guild) {
                return Ok(s.clone());
            }
            cache.generation
        };
        let s = self.store.guild_settings(guild).await?;
        self.cache_settings(guild, generation, &s);
        Ok(s)
    }

    /// Stores settings read at `generation`, unless a change came after.
    fn cache_settings(&self, guild: GuildId, generation: u64, s: &Option<GuildSettings>) {
        let mut cache = self.settings_cache.write().expect("settings cache");
        if cache.generation == generation {
            cache.entries.insert(guild, s.clone());
        }
    }

    /// Forgets a guild's cached settings after a change, and makes every read that started
    /// before it leave the cache alone.
    pub(crate) fn settings_changed(&self, guild: GuildId) {
        let mut cache = self.settings_cache.write().expect("settings cache");
        cache.entries.remove(&guild);
        cache.generation += 1;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::domain::ids::RoleId;
    use crate::storage::test_support::store;
    use crate::storage::GuildChange;

    #[tokio::test]
    async fn a_settings_change_that_races_a_cache_fill_wins() {
        let (store, _dir) = store().await;
        let service = Service::new(store, Arc::new(Prompts::builtin().unwrap()), Arc::new(ManualClock::new(Utc::now())), Random::seeded(1));
        let g = GuildId(1);
        service.store.update_guild(g, GuildChange::LeadRole(RoleId(10)), &[], service.now()).await.unwrap();
        // A read misses the cache and reads the old role from the database ...
        let generation = service.settings_cache.read().unwrap().generation;
        let old = service.store.guild_settings(g).await.unwrap();
        // ... then `/setup lead-role` changes it before that read stores what it saw.
        service.store.update_guild(g, GuildChange::LeadRole(RoleId(20)), &[], service.now()).await.unwrap();
        service.settings_changed(g);
        service.cache_settings(g, generation, &old);
        let now = service.guild_settings(g).await.unwrap().unwrap();
        assert_eq!(now.lead_role, Some(RoleId(20)), "the change wins over the read that raced it");
        // And a read that started after the change fills the cache as usual.
        assert!(service.settings_cache.read().unwrap().entries.contains_key(&g));
    }
}
