//! A member's own settings: time zone, weekly reminder, time away.

use chrono::NaiveDate;

use super::{Result, Service, Session};
use crate::domain::ids::GuildId;
use crate::domain::ids::TeamKey;
use crate::domain::refusal::Refusal;
use crate::domain::schedule::Occurrence;
use crate::domain::settings::{MemberSettings, Reminder};
use crate::domain::time::{parse_away_until, parse_weekday, LocalTime, Zone};
use crate::keys as k;
use crate::storage::{AwaySpan, JobKey, JobKind, JobUpdate};

/// What `/me show` displays.
#[derive(Clone, Debug)]
pub struct MeView {
    /// The member's settings.
    pub settings: MemberSettings,
    /// The guild's zone (used when the member has none).
    pub guild_zone: Zone,
    /// Current time away.
    pub away: Option<AwaySpan>,
    /// The last reminder that could not be delivered: (week, error).
    pub reminder_failure: Option<(String, String)>,
    /// Weekly streak.
    pub streak: u32,
    /// Check-ins stored.
    pub checkins: i64,
    /// Commitments stored.
    pub commitments: i64,
}

impl Service {
    /// The zone that applies to a member: their own, else the guild's.
    pub async fn member_zone(&self, guild: GuildId, session: &Session) -> Result<(MemberSettings, Zone)> {
        let m = self.store.member_settings(guild, session.caller.user).await?;
        let zone = match m.zone {
            Some(z) => z,
            None => self.server_zone(session).await?,
        };
        Ok((m, zone))
    }

    /// The zone of what belongs to a member and their server rather than to one team (their
    /// reminder, their time away): the default team's.
    pub async fn server_zone(&self, session: &Session) -> Result<Zone> {
        if session.settings.team.id.is_default() {
            return Ok(session.settings.zone);
        }
        let default = TeamKey::default_of(session.settings.guild);
        Ok(self.settings_or_default(default).await?.map_or(Zone::UTC, |s| s.zone))
    }

    /// `/me timezone`.
    pub async fn me_timezone(&self, session: &Session, zone: &str) -> Result<Zone> {
        let guild = session.guild()?;
        let zone = Zone::parse(zone)?;
        let m = self.store.member_settings(guild, session.caller.user).await?;
        // A reminder follows the member's new zone from its next occurrence.
        let job = m.reminder.map(|r| {
            let n = r.recurrence().next_after(zone.0, self.now());
            JobUpdate::new(JobKey::member(JobKind::Reminder, guild, session.caller.user), n.at, n.date)
        });
        self.store.set_member_zone(guild, session.caller.user, zone, job, self.now()).await?;
        Ok(zone)
    }

    /// `/me show`.
    pub async fn me_show(&self, session: &Session) -> Result<MeView> {
        let guild = session.guild()?;
        let user = session.caller.user;
        let (settings, zone) = self.member_zone(guild, session).await?;
        let today = self.today(zone);
        let (away, reminder_failure, (checkins, commitments)) = tokio::try_join!(
            self.store.away_on(guild, user, today),
            self.store.last_reminder_failure(guild, user),
            self.store.member_counts(guild, user),
        )?;
        let streak = self.streak(session, self.this_week(session.settings.zone)).await?;
        let guild_zone = self.server_zone(session).await?;
        Ok(MeView { settings, guild_zone, away, reminder_failure, streak, checkins, commitments })
    }

    /// `/remind on day time`: one DM a week at that local time if not checked in yet.
    pub async fn remind_on(&self, session: &Session, day: &str, time: &str) -> Result<(Reminder, Zone, Occurrence)> {
        let guild = session.guild()?;
        let day = parse_weekday(day).ok_or_else(|| Refusal::new(k::ERR_BAD_DAY).arg("input", day.trim()))?;
        let time = LocalTime::parse(time)?;
        let reminder = Reminder { day, time };
        let (_, zone) = self.member_zone(guild, session).await?;
        let next = reminder.recurrence().next_after(zone.0, self.now());
        let job = JobUpdate::new(JobKey::member(JobKind::Reminder, guild, session.caller.user), next.at, next.date);
        self.store.set_reminder(guild, session.caller.user, Some((reminder, job)), session.lang, self.now()).await?;
        Ok((reminder, zone, next))
    }

    /// `/remind off`.
    pub async fn remind_off(&self, session: &Session) -> Result<()> {
        let guild = session.guild()?;
        self.store.set_reminder(guild, session.caller.user, None, session.lang, self.now()).await?;
        Ok(())
    }

    /// `/away until`: a date, a number of days, or `off`. Returns the last day away.
    pub async fn away(&self, session: &Session, until: &str) -> Result<Option<NaiveDate>> {
        let guild = session.guild()?;
        let (_, zone) = self.member_zone(guild, session).await?;
        let today = self.today(zone);
        let end = parse_away_until(until, today)?;
        self.store.set_away(guild, session.caller.user, today, end, self.now()).await?;
        Ok(end)
    }
}
