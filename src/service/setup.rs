//! `/setup`: a team's schedule and settings, and the server's retention and privacy.

use super::{Result, Service, Session};
use crate::domain::digest::{MAX_PEOPLE, MIN_PEOPLE};
use chrono::NaiveDate;

use crate::domain::ids::{ChannelId, GuildId, RoleId, TeamKey};
use crate::domain::lang::Lang;
use crate::domain::refusal::Refusal;
use crate::domain::schedule::Occurrence;
use crate::domain::settings::{DailySetup, DigestSetup, GuildSettings, MAX_RETENTION_WEEKS};
use crate::domain::time::{parse_away_until, parse_weekday, LocalTime, Zone};
use crate::keys as k;
use crate::storage::{Cleared, Failure, GuildChange, JobKey, JobKind, JobUpdate};

/// The settings `/setup clear` can turn off (DESIGN.md's choices).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClearSetting {
    /// The daily post.
    Daily,
    /// The scheduled digest.
    Digest,
    /// The lead role.
    LeadRole,
    /// The commitments board.
    Board,
}

impl ClearSetting {
    /// The choice value: `daily`, `digest`, `lead-role`, `board`.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "daily" => ClearSetting::Daily,
            "digest" => ClearSetting::Digest,
            "lead-role" | "lead_role" => ClearSetting::LeadRole,
            "board" => ClearSetting::Board,
            _ => return None,
        })
    }
}

/// What `/setup show` displays.
#[derive(Clone, Debug)]
pub struct SetupView {
    /// The settings.
    pub settings: GuildSettings,
    /// When the next daily post is due.
    pub next_daily: Option<Occurrence>,
    /// When the next digest is due.
    pub next_digest: Option<Occurrence>,
    /// The last failed delivery.
    pub last_failure: Option<Failure>,
    /// The latest post in the last week that went out a minute late or more.
    pub last_late: Option<crate::storage::LatePost>,
    /// The server's teams, when the caller has Manage Server and the server has several.
    pub teams: Vec<crate::domain::teams::Team>,
}

impl Service {
    /// `/setup daily`. `postable` is the Discord layer's answer to "can the bot post there?"
    /// (`None` when it cannot tell).
    pub async fn setup_daily(
        &self,
        session: &Session,
        channel: ChannelId,
        time: &str,
        zone: &str,
        weekdays_only: bool,
        postable: Option<bool>,
    ) -> Result<(DailySetup, Zone, Occurrence)> {
        session.require_manager()?;
        let team = session.team();
        let time = LocalTime::parse(time)?;
        let zone = Zone::parse(zone)?;
        check_postable(channel, postable)?;
        let daily = DailySetup { channel, time, weekdays_only };
        let next = daily.recurrence().next_after(zone.0, self.now());
        // Everything else that follows the team's zone moves with it.
        let mut jobs = self.zone_jobs(&GuildSettings { daily: None, ..session.settings.clone() }, zone, false).await?;
        jobs.push(JobUpdate::new(JobKey::team(JobKind::Daily, team), next.at, next.date));
        self.change_guild(team, GuildChange::Daily(daily, zone), &jobs).await?;
        Ok((daily, zone, next))
    }

    /// `/setup timezone`: the team's zone on its own. The daily post, the digest and (for the
    /// default team, whose zone is the server's) the reminders of members without a zone of
    /// their own move to it.
    pub async fn setup_timezone(&self, session: &Session, zone: &str) -> Result<Zone> {
        session.require_manager()?;
        let zone = Zone::parse(zone)?;
        let jobs = self.zone_jobs(&session.settings, zone, false).await?;
        self.change_guild(session.team(), GuildChange::Zone(zone), &jobs).await?;
        Ok(zone)
    }

    /// The next occurrence, in `zone`, of every job that follows the team's zone: its daily
    /// post and digest (as `settings` has them) and, for the default team, the reminders of
    /// members with no zone of their own; with `every_reminder`, also the others', each in the
    /// member's own zone.
    async fn zone_jobs(&self, settings: &GuildSettings, zone: Zone, every_reminder: bool) -> Result<Vec<JobUpdate>> {
        let (now, team, guild) = (self.now(), settings.key(), settings.guild);
        let mut jobs = Vec::new();
        if let Some(d) = settings.daily {
            let n = d.recurrence().next_after(zone.0, now);
            jobs.push(JobUpdate::new(JobKey::team(JobKind::Daily, team), n.at, n.date));
        }
        if let Some(d) = settings.digest {
            let n = d.recurrence().next_after(zone.0, now);
            jobs.push(JobUpdate::new(JobKey::team(JobKind::Digest, team), n.at, n.date));
        }
        // A reminder is the member's and their server's, in the server's (default team's) zone.
        if !team.team.is_default() {
            return Ok(jobs);
        }
        for (user, reminder, own) in self.store.guild_reminders(guild).await? {
            let Some(tz) = (match own {
                None => Some(zone),
                Some(own) => every_reminder.then_some(own),
            }) else {
                continue;
            };
            let n = reminder.recurrence().next_after(tz.0, now);
            jobs.push(JobUpdate::new(JobKey::member(JobKind::Reminder, guild, user), n.at, n.date));
        }
        Ok(jobs)
    }

    /// `/setup privacy min_people`: 3 to 10.
    pub async fn setup_privacy(&self, session: &Session, min_people: i64) -> Result<u32> {
        session.require_manager()?;
        let n = u32::try_from(min_people)
            .ok()
            .filter(|n| (MIN_PEOPLE..=MAX_PEOPLE).contains(n))
            .ok_or_else(|| Refusal::new(k::ERR_BAD_PRIVACY).arg("input", min_people).arg("min", MIN_PEOPLE).arg("max", MAX_PEOPLE))?;
        self.change_guild(session.team(), GuildChange::Privacy(n), &[]).await?;
        Ok(n)
    }

    /// `/setup board channel`: the team's commitments, one thread a week in `channel`.
    /// `threads` is whether the bot may open threads and post in them there, when the cache
    /// knows.
    pub async fn setup_board(&self, session: &Session, channel: ChannelId, threads: Option<bool>) -> Result<()> {
        session.require_manager()?;
        if threads == Some(false) {
            return Err(Refusal::new(k::ERR_BOARD_CHANNEL).arg("channel", format!("<#{channel}>")).into());
        }
        self.change_guild(session.team(), GuildChange::Board(channel), &[]).await?;
        Ok(self.store.reset_board_failures(session.team()).await?)
    }

    /// `/setup clear setting`: turns the daily post, the digest, the lead role or the board
    /// off. Returns what it cleared and whether it was set.
    pub async fn setup_clear(&self, session: &Session, setting: &str) -> Result<(ClearSetting, bool)> {
        session.require_manager()?;
        let which = ClearSetting::parse(setting).ok_or_else(|| Refusal::new(k::ERR_BAD_CLEAR).arg("input", setting.trim()))?;
        let s = &session.settings;
        let (change, was_set) = match which {
            ClearSetting::Daily => (Some(Cleared::Daily), s.daily.is_some()),
            ClearSetting::Digest => (Some(Cleared::Digest), s.digest.is_some()),
            ClearSetting::LeadRole => (Some(Cleared::LeadRole), s.lead_role.is_some()),
            ClearSetting::Board => (Some(Cleared::Board), s.board.is_some()),
        };
        if let Some(change) = change.filter(|_| was_set) {
            self.change_guild(session.team(), GuildChange::Clear(change), &[]).await?;
        }
        Ok((which, was_set))
    }

    /// `/setup digest`.
    pub async fn setup_digest(
        &self,
        session: &Session,
        channel: ChannelId,
        day: &str,
        time: &str,
        postable: Option<bool>,
    ) -> Result<(DigestSetup, Occurrence)> {
        session.require_manager()?;
        let day = parse_weekday(day).ok_or_else(|| Refusal::new(k::ERR_BAD_DAY).arg("input", day.trim()))?;
        let time = LocalTime::parse(time)?;
        check_postable(channel, postable)?;
        let digest = DigestSetup { channel, day, time };
        let next = digest.recurrence().next_after(session.settings.zone.0, self.now());
        let job = JobUpdate::new(JobKey::team(JobKind::Digest, session.team()), next.at, next.date);
        self.change_guild(session.team(), GuildChange::Digest(digest), &[job]).await?;
        Ok((digest, next))
    }

    /// `/setup lead-role`.
    pub async fn setup_lead_role(&self, session: &Session, role: RoleId) -> Result<()> {
        session.require_manager()?;
        self.change_guild(session.team(), GuildChange::LeadRole(role), &[]).await?;
        Ok(())
    }

    /// `/setup language`; returns the new language (replies use it at once).
    pub async fn setup_language(&self, session: &Session, language: &str) -> Result<Lang> {
        session.require_manager()?;
        let lang = Lang::parse(language).ok_or_else(|| Refusal::new(k::ERR_BAD_LANGUAGE).arg("input", language.trim()))?;
        self.change_guild(session.team(), GuildChange::Language(lang), &[]).await?;
        Ok(lang)
    }

    /// `/setup retention`.
    pub async fn setup_retention(&self, session: &Session, weeks: i64) -> Result<u32> {
        session.require_manager()?;
        let weeks = u32::try_from(weeks)
            .ok()
            .filter(|w| *w <= MAX_RETENTION_WEEKS)
            .ok_or_else(|| Refusal::new(k::ERR_BAD_RETENTION).arg("input", weeks))?;
        self.change_guild(session.team(), GuildChange::Retention(weeks), &[]).await?;
        Ok(weeks)
    }

    /// `/setup pause until`: a date, a number of days (today is day 1), or `off`. Returns the
    /// holiday's first and last day, or `None` when it was ended.
    pub async fn setup_pause(&self, session: &Session, until: &str) -> Result<Option<(NaiveDate, NaiveDate)>> {
        session.require_manager()?;
        let today = self.today(session.settings.zone);
        let end = parse_away_until(until, today).map_err(|e| match e.key {
            k::ERR_BAD_AWAY => Refusal::new(k::ERR_BAD_PAUSE).arg("input", until.trim()),
            _ => e,
        })?;
        self.change_guild(session.team(), GuildChange::Pause(today, end), &[]).await?;
        Ok(end.map(|end| (today, end)))
    }

    /// Writes a settings change with its schedule updates, and drops the cached settings:
    /// every `/setup` change goes through here, so none can leave the cache stale.
    async fn change_guild(&self, team: TeamKey, change: GuildChange, jobs: &[JobUpdate]) -> Result<()> {
        self.store.update_guild(team, change, jobs, self.now()).await?;
        self.settings_changed(team.guild);
        Ok(())
    }

    /// `/setup show`.
    pub async fn setup_show(&self, session: &Session) -> Result<SetupView> {
        session.require_manager()?;
        let team = session.team();
        let (daily_job, digest_job, last_failure, last_late) = tokio::try_join!(
            self.store.job(JobKey::team(JobKind::Daily, team)),
            self.store.job(JobKey::team(JobKind::Digest, team)),
            self.store.last_failure(team),
            self.store.last_late_post(team, self.now() - chrono::Duration::days(7)),
        )?;
        let occ = |j: Option<crate::storage::Job>| j.map(|j| Occurrence { date: j.period_date, at: j.due_at });
        let teams = if session.has_teams() { session.teams.to_vec() } else { Vec::new() };
        Ok(SetupView {
            settings: session.settings.clone(),
            next_daily: occ(daily_job),
            next_digest: occ(digest_job),
            last_failure,
            last_late,
            teams,
        })
    }

    /// The bot is in a guild (GUILD_CREATE). If it had been removed before, its schedule is
    /// put back from its settings.
    pub async fn guild_available(&self, guild: GuildId) -> Result<()> {
        // Every start brings a GUILD_CREATE per guild: read first (readers never wait on the
        // writer) and write only for a guild that had removed the bot.
        let Some(_) = self.store.team_settings(TeamKey::default_of(guild)).await?.filter(|s| s.left) else { return Ok(()) };
        let changed = self.store.mark_guild_present(guild, self.now()).await?;
        self.settings_changed(guild);
        if !changed {
            return Ok(());
        }
        // Leaving removed every job of the guild; put back each that its teams' settings still
        // ask for: their daily posts and digests, and every member's reminder, each in its own zone.
        let mut jobs = Vec::new();
        for team in self.store.teams(guild).await?.iter() {
            let Some(settings) = self.store.team_settings(TeamKey::new(guild, team.id)).await? else { continue };
            jobs.extend(self.zone_jobs(&settings, settings.zone, true).await?);
        }
        self.store.put_jobs(&jobs).await?;
        Ok(())
    }

    /// The bot was removed from a guild (GUILD_DELETE, not an outage): posts stop, data stays.
    pub async fn guild_removed(&self, guild: GuildId) -> Result<()> {
        self.store.mark_guild_left(guild, self.now()).await?;
        self.settings_changed(guild);
        Ok(())
    }
}

fn check_postable(channel: ChannelId, postable: Option<bool>) -> std::result::Result<(), Refusal> {
    if postable == Some(false) {
        return Err(Refusal::new(k::ERR_CHANNEL).arg("channel", format!("<#{channel}>")));
    }
    Ok(())
}
