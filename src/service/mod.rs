//! Use cases: everything the bot does, with no Discord types. The Discord layer parses
//! options into plain values, calls one function here, and renders what comes back.

mod charter;
mod checkins;
mod digest;
mod members;
mod partners;
mod principles;
mod privacy;
mod scheduler;
mod setup;
mod teams;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use crate::clock::{Clock, Random};
use crate::domain::ids::{GuildId, RoleId, TeamId, TeamKey, UserId};
use crate::domain::lang::Lang;
use crate::domain::refusal::Refusal;
use crate::domain::schedule::local_date;
use crate::domain::settings::GuildSettings;
use crate::domain::teams::{Place, Purpose, Resolved, Team};
use crate::domain::time::{IsoWeek, Zone};
use crate::keys as k;
use crate::prompts::Prompts;
use crate::storage::Store;

pub use charter::*;
pub use checkins::*;
pub use digest::*;
pub use members::*;
pub use partners::*;
pub use principles::*;
pub use privacy::*;
pub use scheduler::*;
pub use setup::*;
pub use teams::*;

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
            metrics::counter!(crate::metrics::DATABASE_BUSY).increment(1);
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
    /// Where the command was used (which team's channel, if any).
    pub place: Place,
}

/// One interaction's view of the world: the caller, the settings of the team the command is
/// about, and the language to answer in.
#[derive(Clone, Debug)]
pub struct Session {
    /// Who is asking.
    pub caller: Caller,
    /// The team's settings (defaults for a guild that configured nothing, or a DM).
    pub settings: GuildSettings,
    /// The answer language: the team's setting, else the caller's locale.
    pub lang: Lang,
    /// The server's teams, the default team first (shared with the cache: read on every
    /// interaction, never copied).
    pub teams: Arc<Vec<Team>>,
    /// The caller's teams.
    pub mine: Vec<TeamId>,
}

impl Session {
    /// The team the command is about.
    pub fn team(&self) -> TeamKey {
        self.settings.key()
    }

    /// Whether the server has teams besides its default one. Replies name the team only
    /// then: a server without teams reads exactly as before teams existed.
    pub fn has_teams(&self) -> bool {
        self.teams.len() > 1
    }

    /// The caller's teams, as names for a message.
    pub fn my_team_names(&self) -> String {
        crate::domain::teams::names(self.teams.iter().filter(|t| self.mine.contains(&t.id)))
    }

    /// Refuses unless the caller is in the team (they check in to their own teams only).
    pub fn require_member(&self) -> std::result::Result<GuildId, Refusal> {
        let guild = self.guild()?;
        if !self.has_teams() || self.mine.contains(&self.settings.team.id) {
            Ok(guild)
        } else {
            Err(Refusal::new(k::ERR_NOT_IN_TEAM).arg("team", &self.settings.team.name).arg("teams", self.my_team_names()))
        }
    }

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

    /// Refuses unless the caller has Manage Server or the team's lead role.
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
    /// Team settings and each server's teams, read on every interaction, kept until this
    /// service changes them (it is the only writer); `None` caches "not configured". One small
    /// entry per team.
    settings_cache: std::sync::RwLock<SettingsCache>,
    /// Each team's focus of a week (what the digest of the week before named), read by every
    /// check-in for its tip; it changes only when a digest goes out, which clears it.
    focus_cache: std::sync::Mutex<std::collections::HashMap<(TeamKey, IsoWeek), Option<u8>>>,
    /// Woken when an interaction queued work for the scheduler (a partner's DM, a board
    /// message), so it goes out now rather than at the next tick.
    pub scheduler_wake: tokio::sync::Notify,
}

/// The cached settings and a generation that every change bumps. A read that missed the
/// cache stores what it read from the database only if no change happened since it started:
/// otherwise a change landing between its read and its store would be overwritten with the
/// old value, and stay stale.
#[derive(Default)]
struct SettingsCache {
    entries: std::collections::HashMap<TeamKey, Option<GuildSettings>>,
    teams: std::collections::HashMap<GuildId, Arc<Vec<Team>>>,
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
        Self {
            store,
            prompts,
            clock,
            rng,
            settings_cache: Default::default(),
            focus_cache: Default::default(),
            scheduler_wake: tokio::sync::Notify::new(),
        }
    }

    /// The injected clock.
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    /// Now, from the injected clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Loads the settings of the team a command is about (the one named in `team`, else as
    /// DESIGN.md resolves it for `purpose`) and picks the answer language. An ambiguous call
    /// is refused with the caller's teams, never guessed.
    pub async fn session(&self, caller: Caller, team: Option<&str>, purpose: Purpose) -> Result<Session> {
        let Some(guild) = caller.guild else {
            let settings = GuildSettings::new(GuildId(0));
            let lang = Lang::from_locale(&caller.locale);
            return Ok(Session { caller, settings, lang, teams: Arc::new(vec![Team::default_team()]), mine: vec![TeamId::DEFAULT] });
        };
        let teams = self.teams(guild).await?;
        let mine = self.member_teams(guild, &teams, &caller).await?;
        let resolved = crate::domain::teams::resolve(&teams, &mine, team, caller.place, purpose);
        let id = match resolved {
            Ok(Resolved::Team(id)) => id,
            Ok(Resolved::Ask(ids)) => {
                let names = crate::domain::teams::names(teams.iter().filter(|t| ids.contains(&t.id)));
                return Err(Refusal::new(k::ERR_WHICH_TEAM).arg("teams", names).into());
            }
            Err(refusal) => return Err(refusal.into()),
        };
        self.session_of(caller, TeamKey::new(guild, id), teams, mine).await
    }

    /// The session of a command about a known team (a form's or a button's, which carry it).
    /// A team deleted meanwhile is refused as unknown.
    pub async fn session_in(&self, caller: Caller, team: TeamId) -> Result<Session> {
        let Some(guild) = caller.guild else { return self.session(caller, None, Purpose::Ambient).await };
        let teams = self.teams(guild).await?;
        if !teams.iter().any(|t| t.id == team) {
            return Err(crate::domain::teams::unknown(&teams, &format!("#{team}")).into());
        }
        let mine = self.member_teams(guild, &teams, &caller).await?;
        self.session_of(caller, TeamKey::new(guild, team), teams, mine).await
    }

    /// The session once its team is known: that team's settings and language.
    async fn session_of(&self, caller: Caller, key: TeamKey, teams: Arc<Vec<Team>>, mine: Vec<TeamId>) -> Result<Session> {
        let settings = self.settings_of(key, &teams).await?;
        let lang = settings.language.unwrap_or_else(|| Lang::from_locale(&caller.locale));
        Ok(Session { caller, settings, lang, teams, mine })
    }

    /// The caller's teams: by their roles, and the role-less teams they joined (read only
    /// when the server has such a team).
    async fn member_teams(&self, guild: GuildId, teams: &[Team], caller: &Caller) -> Result<Vec<TeamId>> {
        if teams.len() <= 1 {
            return Ok(vec![TeamId::DEFAULT]);
        }
        let joined = if teams.iter().any(|t| !t.id.is_default() && t.role.is_none()) {
            self.store.joined_teams(guild, caller.user).await?
        } else {
            Vec::new()
        };
        Ok(crate::domain::teams::member_teams(teams, &caller.roles, &joined))
    }

    /// A member's teams in a guild, from their roles (the scheduler asks Discord for them).
    pub async fn teams_of_member(&self, guild: GuildId, user: UserId, roles: &[RoleId]) -> Result<Vec<TeamId>> {
        let teams = self.teams(guild).await?;
        let caller =
            Caller { guild: Some(guild), user, locale: String::new(), can_manage: false, roles: roles.to_vec(), place: Place::default() };
        self.member_teams(guild, &teams, &caller).await
    }

    /// A team's settings, with its name, role and home from the server's teams; defaults for a
    /// default team that configured nothing.
    async fn settings_of(&self, key: TeamKey, teams: &[Team]) -> Result<GuildSettings> {
        let mut settings = self.team_settings(key).await?.unwrap_or_else(|| GuildSettings::new(key.guild));
        if let Some(t) = teams.iter().find(|t| t.id == key.team) {
            settings.team = t.clone();
        }
        Ok(settings)
    }

    /// A server's teams (the default team first), from the cache or the database.
    pub async fn teams(&self, guild: GuildId) -> Result<Arc<Vec<Team>>> {
        let generation = {
            let cache = self.settings_cache.read().expect("settings cache");
            if let Some(t) = cache.teams.get(&guild) {
                return Ok(t.clone());
            }
            cache.generation
        };
        let teams = Arc::new(self.store.teams(guild).await?);
        let mut cache = self.settings_cache.write().expect("settings cache");
        if cache.generation == generation {
            cache.teams.insert(guild, teams.clone());
        }
        Ok(teams)
    }

    /// A team's settings, from the cache or the database; `None` for a team that does not
    /// exist, or a default team that configured nothing.
    pub async fn team_settings(&self, key: TeamKey) -> Result<Option<GuildSettings>> {
        let generation = {
            let cache = self.settings_cache.read().expect("settings cache");
            if let Some(s) = cache.entries.get(&key) {
                return Ok(s.clone());
            }
            cache.generation
        };
        let s = self.store.team_settings(key).await?;
        self.cache_settings(key, generation, &s);
        Ok(s)
    }

    /// A team's settings, or the default team's defaults; `None` only for a team that no
    /// longer exists (deleted).
    pub async fn settings_or_default(&self, key: TeamKey) -> Result<Option<GuildSettings>> {
        Ok(match self.team_settings(key).await? {
            Some(s) => Some(s),
            None if key.team.is_default() => Some(GuildSettings::new(key.guild)),
            None => None,
        })
    }

    /// Stores settings read at `generation`, unless a change came after.
    fn cache_settings(&self, key: TeamKey, generation: u64, s: &Option<GuildSettings>) {
        let mut cache = self.settings_cache.write().expect("settings cache");
        if cache.generation == generation {
            cache.entries.insert(key, s.clone());
        }
    }

    /// Forgets a guild's cached settings and teams after a change, and makes every read that
    /// started before it leave the cache alone.
    pub(crate) fn settings_changed(&self, guild: GuildId) {
        let mut cache = self.settings_cache.write().expect("settings cache");
        cache.entries.retain(|k, _| k.guild != guild);
        cache.teams.remove(&guild);
        cache.generation += 1;
    }

    /// The team's focus principle for `week`, if last week's digest named one.
    pub async fn week_focus(&self, session: &Session, week: IsoWeek) -> Result<Option<u8>> {
        if session.caller.guild.is_none() {
            return Ok(None);
        }
        self.team_week_focus(session.team(), week).await
    }

    /// [`Self::week_focus`] for a team, from the cache or the database.
    pub async fn team_week_focus(&self, team: TeamKey, week: IsoWeek) -> Result<Option<u8>> {
        let key = (team, week);
        if let Some(f) = self.focus_cache.lock().expect("focus cache").get(&key) {
            return Ok(*f);
        }
        let focus = self.store.week_focus(key.0, week).await?;
        let mut cache = self.focus_cache.lock().expect("focus cache");
        // Weeks more than a month old are not asked again (the rotation looks back five).
        if cache.len() > 4096 {
            cache.retain(|(_, w), _| *w >= week.prev().prev().prev().prev().prev());
        }
        cache.insert(key, focus);
        Ok(focus)
    }

    /// A digest went out: the focus it names is read anew.
    pub(crate) fn focus_changed(&self, team: TeamKey) {
        self.focus_cache.lock().expect("focus cache").retain(|(t, _), _| *t != team);
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
        let g = TeamKey::default_of(GuildId(1));
        service.store.update_guild(g, GuildChange::LeadRole(RoleId(10)), &[], service.now()).await.unwrap();
        // A read misses the cache and reads the old role from the database ...
        let generation = service.settings_cache.read().unwrap().generation;
        let old = service.store.team_settings(g).await.unwrap();
        // ... then `/setup lead-role` changes it before that read stores what it saw.
        service.store.update_guild(g, GuildChange::LeadRole(RoleId(20)), &[], service.now()).await.unwrap();
        service.settings_changed(g.guild);
        service.cache_settings(g, generation, &old);
        let now = service.team_settings(g).await.unwrap().unwrap();
        assert_eq!(now.lead_role, Some(RoleId(20)), "the change wins over the read that raced it");
        // And a read that started after the change fills the cache as usual.
        assert!(service.settings_cache.read().unwrap().entries.contains_key(&g));
    }
}
