//! `/team`: several teams in one server.

use chrono::{DateTime, Utc};

use super::{Result, Service, ServiceError, Session};
use crate::domain::ids::{ChannelId, RoleId, TeamId, TeamKey, UserId};
use crate::domain::refusal::Refusal;
use crate::domain::teams::{clean_name, find, unknown, Team};
use crate::keys as k;
use crate::storage::{TeamConflict, TeamCounts};

/// How long a `/team delete` confirmation button works.
pub const DELETE_CONFIRM_FOR: chrono::Duration = chrono::Duration::minutes(15);

/// What `/team list` shows.
#[derive(Clone, Debug)]
pub struct TeamList {
    /// The server's teams, the default team first, with how many joined each role-less one.
    pub teams: Vec<(Team, Option<i64>)>,
    /// The caller's teams.
    pub mine: Vec<TeamId>,
}

/// What a `/team delete` confirmation says will go.
#[derive(Clone, Debug)]
pub struct DeletePlan {
    /// The team.
    pub team: Team,
    /// What it holds.
    pub counts: TeamCounts,
    /// When it was asked (the button's expiry counts from here).
    pub issued: DateTime<Utc>,
}

fn conflict(c: TeamConflict) -> ServiceError {
    match c {
        TeamConflict::Name(n) => Refusal::new(k::ERR_TEAM_TAKEN).arg("team", n).into(),
        TeamConflict::Role(n) => Refusal::new(k::ERR_ROLE_TAKEN).arg("team", n).arg("role", "—").into(),
        TeamConflict::Home(n) => Refusal::new(k::ERR_HOME_TAKEN).arg("team", n).arg("channel", "—").into(),
    }
}

impl Service {
    /// `/team create name [role] [channel]` (Manage Server).
    pub async fn team_create(&self, session: &Session, name: &str, role: Option<RoleId>, home: Option<ChannelId>) -> Result<Team> {
        let guild = session.require_manager()?;
        let name = clean_name(name)?;
        // The @everyone role has the server's id, and Discord never lists it in a member's
        // roles: a team made of its holders would have no members, and no one could check in.
        if role.is_some_and(|r| r.0 == guild.0) {
            return Err(Refusal::new(k::ERR_EVERYONE_ROLE).into());
        }
        let created = self.store.create_team(guild, &name, role, home, self.now()).await?;
        self.settings_changed(guild);
        let team = created.map_err(|c| match (c, role, home) {
            (TeamConflict::Role(n), Some(r), _) => Refusal::new(k::ERR_ROLE_TAKEN).arg("team", n).arg("role", format!("<@&{r}>")).into(),
            (TeamConflict::Home(n), _, Some(c)) => Refusal::new(k::ERR_HOME_TAKEN).arg("team", n).arg("channel", format!("<#{c}>")).into(),
            (c, ..) => conflict(c),
        })?;
        tracing::info!(%guild, team = %team.id, "team created");
        Ok(team)
    }

    /// `/team list` (everyone).
    pub async fn team_list(&self, session: &Session) -> Result<TeamList> {
        let guild = session.guild()?;
        let joined = self.store.joined_counts(guild).await?;
        let teams = session
            .teams
            .iter()
            .map(|t| {
                let n = (!t.id.is_default() && t.role.is_none()).then(|| joined.iter().find(|(id, _)| *id == t.id).map_or(0, |(_, n)| *n));
                (t.clone(), n)
            })
            .collect();
        Ok(TeamList { teams, mine: session.mine.clone() })
    }

    /// The team a `/team` subcommand names (its own `team` option, required).
    fn named(&self, session: &Session, name: &str) -> Result<Team> {
        find(&session.teams, name).cloned().ok_or_else(|| unknown(&session.teams, name).into())
    }

    /// `/team join team` (members; role-less teams only). Returns the team and whether the
    /// member was already in it.
    pub async fn team_join(&self, session: &Session, name: &str) -> Result<(Team, bool)> {
        let guild = session.guild()?;
        let team = self.joinable(session, name)?;
        let new = self.store.join_team(TeamKey::new(guild, team.id), session.caller.user, self.now()).await?;
        Ok((team, !new))
    }

    /// `/team leave team`. Returns the team and whether the member was in it.
    pub async fn team_leave(&self, session: &Session, name: &str) -> Result<(Team, bool)> {
        let guild = session.guild()?;
        let team = self.joinable(session, name)?;
        let was = self.store.leave_team(TeamKey::new(guild, team.id), session.caller.user).await?;
        Ok((team, was))
    }

    fn joinable(&self, session: &Session, name: &str) -> Result<Team> {
        let team = self.named(session, name)?;
        if team.id.is_default() {
            return Err(Refusal::new(k::ERR_JOIN_DEFAULT).arg("team", &team.name).into());
        }
        if let Some(r) = team.role {
            return Err(Refusal::new(k::ERR_JOIN_ROLE_TEAM).arg("team", &team.name).arg("role", format!("<@&{r}>")).into());
        }
        Ok(team)
    }

    /// `/team rename team name` (Manage Server). Returns the old name and the new.
    pub async fn team_rename(&self, session: &Session, name: &str, new_name: &str) -> Result<(String, String)> {
        let guild = session.require_manager()?;
        let team = self.named(session, name)?;
        let new_name = clean_name(new_name)?;
        let done = self.store.rename_team(TeamKey::new(guild, team.id), &new_name, self.now()).await?.map_err(conflict)?;
        self.settings_changed(guild);
        if !done {
            return Err(unknown(&session.teams, name).into());
        }
        Ok((team.name, new_name))
    }

    /// `/team delete team` (Manage Server): what would go, for the confirmation.
    pub async fn team_delete_plan(&self, session: &Session, name: &str) -> Result<DeletePlan> {
        let guild = session.require_manager()?;
        let team = self.named(session, name)?;
        if team.id.is_default() {
            return Err(Refusal::new(k::ERR_DELETE_DEFAULT).arg("team", &team.name).into());
        }
        let counts = self.store.team_counts(TeamKey::new(guild, team.id)).await?;
        Ok(DeletePlan { team, counts, issued: self.now() })
    }

    /// The confirmation button of `/team delete`: only the admin who asked, within
    /// [`DELETE_CONFIRM_FOR`], and still with Manage Server. Returns the team's name and
    /// what was deleted.
    pub async fn team_delete_confirm(
        &self,
        session: &Session,
        owner: UserId,
        team: TeamId,
        issued: DateTime<Utc>,
    ) -> Result<(String, TeamCounts)> {
        let guild = session.require_manager()?;
        if session.caller.user != owner {
            return Err(Refusal::new(k::ERR_TEAM_BUTTON_NOT_YOURS).into());
        }
        if self.now() - issued > DELETE_CONFIRM_FOR || team.is_default() {
            return Err(Refusal::new(k::ERR_TEAM_BUTTON_EXPIRED).into());
        }
        let name = session.teams.iter().find(|t| t.id == team).map(|t| t.name.clone());
        let (Some(name), Some(counts)) = (name, self.store.delete_team(TeamKey::new(guild, team)).await?) else {
            return Err(Refusal::new(k::ERR_TEAM_BUTTON_EXPIRED).into());
        };
        self.settings_changed(guild);
        tracing::info!(%guild, %team, checkins = counts.checkins, commitments = counts.commitments, "team deleted");
        Ok((name, counts))
    }
}
