//! A team's and a member's settings, as the service sees them.

use chrono::{NaiveDate, Weekday};

use super::ids::{ChannelId, GuildId, RoleId, TeamId, TeamKey};
use super::lang::Lang;
use super::schedule::Recurrence;
use super::time::{LocalTime, Zone};

/// The default retention: two years of weekly check-ins.
pub const DEFAULT_RETENTION_WEEKS: u32 = 104;
/// The longest retention `/setup retention` accepts (20 years); beyond it, use 0 (forever).
pub const MAX_RETENTION_WEEKS: u32 = 1040;

/// Where and when the day's principle is posted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DailySetup {
    /// The channel.
    pub channel: ChannelId,
    /// Local time of day.
    pub time: LocalTime,
    /// Skip weekends.
    pub weekdays_only: bool,
}

impl DailySetup {
    /// As a recurrence.
    pub fn recurrence(self) -> Recurrence {
        Recurrence::Daily { time: self.time, weekdays_only: self.weekdays_only }
    }
}

/// Where and when the weekly digest is posted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DigestSetup {
    /// The channel.
    pub channel: ChannelId,
    /// Local day of the week.
    pub day: Weekday,
    /// Local time of day.
    pub time: LocalTime,
}

impl DigestSetup {
    /// As a recurrence.
    pub fn recurrence(self) -> Recurrence {
        Recurrence::Weekly { day: self.day, time: self.time }
    }
}

/// Everything configured for one team of a guild: its own settings, and the server's
/// retention and privacy minimum, which all its teams share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuildSettings {
    /// The guild.
    pub guild: GuildId,
    /// The team these settings are about (its name, role and home channel).
    pub team: super::teams::Team,
    /// Fixed language, or `None` for each caller's locale.
    pub language: Option<Lang>,
    /// The guild's zone (UTC until `/setup daily` sets one).
    pub zone: Zone,
    /// The daily post, if configured.
    pub daily: Option<DailySetup>,
    /// The scheduled digest, if configured.
    pub digest: Option<DigestSetup>,
    /// Members with this role may read digests.
    pub lead_role: Option<RoleId>,
    /// The team's board: one thread a week in this channel shows its commitments.
    pub board: Option<ChannelId>,
    /// Weeks to keep check-ins; 0 = forever.
    pub retention_weeks: u32,
    /// The fewest different members a digest section needs (`/setup privacy`, 3–10).
    pub min_people: u32,
    /// The bot was removed from the guild.
    pub left: bool,
    /// The team's latest holiday (`/setup pause`), first and last day, if it has not ended
    /// before today (the caller compares with its own today).
    pub pause: Option<(NaiveDate, NaiveDate)>,
}

impl GuildSettings {
    /// A guild that has configured nothing: its default team.
    pub fn new(guild: GuildId) -> Self {
        Self {
            guild,
            team: super::teams::Team::default_team(),
            language: None,
            zone: Zone::UTC,
            daily: None,
            digest: None,
            lead_role: None,
            board: None,
            retention_weeks: DEFAULT_RETENTION_WEEKS,
            min_people: crate::domain::digest::MIN_PEOPLE,
            left: false,
            pause: None,
        }
    }

    /// The team these settings are about.
    pub fn key(&self) -> TeamKey {
        TeamKey::new(self.guild, self.team.id)
    }

    /// Whether the team is on holiday on `date`.
    pub fn paused_on(&self, date: NaiveDate) -> bool {
        self.pause.is_some_and(|(start, end)| start <= date && date <= end)
    }

    /// The team's id.
    pub fn team_id(&self) -> TeamId {
        self.team.id
    }
}

/// A member's weekly reminder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reminder {
    /// Local day of the week.
    pub day: Weekday,
    /// Local time of day.
    pub time: LocalTime,
}

impl Reminder {
    /// As a recurrence.
    pub fn recurrence(self) -> Recurrence {
        Recurrence::Weekly { day: self.day, time: self.time }
    }
}

/// A member's own settings in one guild.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberSettings {
    /// Their own zone, if set.
    pub zone: Option<Zone>,
    /// Their reminder, if on.
    pub reminder: Option<Reminder>,
    /// The language of their reminders.
    pub lang: Option<Lang>,
}
