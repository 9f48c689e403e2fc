//! Teams in a server: their names, who is in them, and which team a command is about when
//! its `team` option is left out (DESIGN.md, Teams).

use unicode_normalization::UnicodeNormalization;

use super::ids::{ChannelId, RoleId, TeamId};
use super::refusal::Refusal;
use crate::keys as k;

/// The longest team name.
pub const MAX_NAME: usize = 32;

/// The default team's name until someone renames it.
pub const DEFAULT_NAME: &str = "default";

/// A team as commands see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Team {
    /// Its id in the server.
    pub id: TeamId,
    /// Its name, as typed when it was created.
    pub name: String,
    /// Its members are this role's holders; `None`: those who joined it.
    pub role: Option<RoleId>,
    /// Its home channel.
    pub home: Option<ChannelId>,
}

impl Team {
    /// The default team of a server that never named it.
    pub fn default_team() -> Self {
        Self { id: TeamId::DEFAULT, name: DEFAULT_NAME.into(), role: None, home: None }
    }
}

/// A team name after the server-side rules: trimmed, inner whitespace squeezed to one space,
/// no control or invisible characters, NFC, 1–32 characters.
pub fn clean_name(raw: &str) -> Result<String, Refusal> {
    let cleaned = super::text::clean(raw).split_whitespace().collect::<Vec<_>>().join(" ").nfc().collect::<String>();
    let len = cleaned.chars().count();
    if len == 0 || len > MAX_NAME {
        return Err(Refusal::new(k::ERR_TEAM_NAME).arg("limit", MAX_NAME).arg("length", len).arg("name", raw.trim()));
    }
    Ok(cleaned)
}

/// What names are compared by: "Design", "design" and "DESIGN" are one name.
pub fn name_key(name: &str) -> String {
    name.nfc().flat_map(char::to_lowercase).collect()
}

/// The teams a member is in: the teams whose role they hold and the role-less teams they
/// joined; the default team when that is none.
pub fn member_teams(teams: &[Team], roles: &[RoleId], joined: &[TeamId]) -> Vec<TeamId> {
    let mine: Vec<TeamId> = teams
        .iter()
        .filter(|t| !t.id.is_default())
        .filter(|t| match t.role {
            Some(r) => roles.contains(&r),
            None => joined.contains(&t.id),
        })
        .map(|t| t.id)
        .collect();
    if mine.is_empty() {
        vec![TeamId::DEFAULT]
    } else {
        mine
    }
}

/// Where a command was used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Place {
    /// The channel (or thread).
    pub channel: Option<ChannelId>,
    /// The thread's parent channel, when it is a thread.
    pub parent: Option<ChannelId>,
}

/// What the command does with its team, which decides what happens when `team` is left out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// It acts on one team (a check-in, a digest): never guess, ask.
    Act,
    /// `/setup`: outside any team's channel it means the default team.
    Setup,
    /// It does not act on a team (`/help`, `/me`): the team only picks the language.
    Ambient,
}

/// The outcome of resolving a command's team.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    /// This team.
    Team(TeamId),
    /// Ambiguous: ask the member to choose one of these (their teams).
    Ask(Vec<TeamId>),
}

/// Which team a command is about (DESIGN.md, Teams): the one named in `team`; else the team
/// whose home channel, or a thread in it, the command was used in; else the caller's only
/// team; else the server's only team; else a question. `teams` holds the server's teams
/// (the default team among them or not), `mine` the caller's (from [`member_teams`]).
pub fn resolve(teams: &[Team], mine: &[TeamId], asked: Option<&str>, place: Place, purpose: Purpose) -> Result<Resolved, Refusal> {
    if let Some(asked) = asked.map(str::trim).filter(|s| !s.is_empty()) {
        return find(teams, asked).map(|t| Resolved::Team(t.id)).ok_or_else(|| unknown(teams, asked));
    }
    let others: Vec<&Team> = teams.iter().filter(|t| !t.id.is_default()).collect();
    // A server without teams: everything is its default team, exactly as before teams.
    if others.is_empty() {
        return Ok(Resolved::Team(TeamId::DEFAULT));
    }
    for channel in [place.channel, place.parent].into_iter().flatten() {
        if let Some(t) = teams.iter().find(|t| t.home == Some(channel)) {
            return Ok(Resolved::Team(t.id));
        }
    }
    match purpose {
        Purpose::Setup => Ok(Resolved::Team(TeamId::DEFAULT)),
        _ if mine.len() == 1 => Ok(Resolved::Team(mine[0])),
        Purpose::Ambient => Ok(Resolved::Team(mine.first().copied().unwrap_or_default())),
        Purpose::Act if mine.is_empty() && teams.len() == 1 => Ok(Resolved::Team(teams[0].id)),
        Purpose::Act => Ok(Resolved::Ask(mine.to_vec())),
    }
}

/// The team named `name` (any case), or with that id.
pub fn find<'t>(teams: &'t [Team], name: &str) -> Option<&'t Team> {
    let key = name_key(name.trim());
    teams.iter().find(|t| name_key(&t.name) == key)
}

/// "There is no team X; these are the teams".
pub fn unknown(teams: &[Team], asked: &str) -> Refusal {
    Refusal::new(k::ERR_UNKNOWN_TEAM).arg("team", asked.trim()).arg("teams", names(teams.iter()))
}

/// Team names for a message: `design`, `engineering`.
pub fn names<'t>(teams: impl Iterator<Item = &'t Team>) -> String {
    let names: Vec<String> = teams.map(|t| format!("`{}`", t.name)).collect();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team(id: u32, name: &str, role: Option<u64>, home: Option<u64>) -> Team {
        Team { id: TeamId(id), name: name.into(), role: role.map(RoleId), home: home.map(ChannelId) }
    }

    fn server() -> Vec<Team> {
        vec![Team::default_team(), team(1, "Design", Some(10), Some(100)), team(2, "Engineering", None, Some(200))]
    }

    #[test]
    fn names_are_cleaned_limited_and_compared_whatever_the_case() {
        assert_eq!(clean_name("  Thiết   kế \u{200b}").unwrap(), "Thiết kế");
        assert!(clean_name("").is_err());
        assert!(clean_name(" \n ").is_err());
        assert_eq!(clean_name(&"x".repeat(32)).unwrap().len(), 32);
        let r = clean_name(&"x".repeat(33)).unwrap_err();
        assert_eq!(r.key, k::ERR_TEAM_NAME);
        assert!(r.args.contains(&("length", "33".into())));
        assert_eq!(name_key("ĐỒ HỌA"), name_key("đồ họa"));
        // NFD input (as some keyboards send it) is the same name as NFC.
        assert_eq!(name_key("Thie\u{302}\u{301}t"), name_key("Thiết"));
        assert_eq!(find(&server(), "design").map(|t| t.id), Some(TeamId(1)));
        assert_eq!(find(&server(), "DEFAULT").map(|t| t.id), Some(TeamId(0)));
        assert_eq!(find(&server(), "ops"), None);
    }

    #[test]
    fn a_member_is_in_their_roles_teams_and_joined_teams_else_the_default_team() {
        let s = server();
        assert_eq!(member_teams(&s, &[RoleId(10)], &[]), vec![TeamId(1)]);
        assert_eq!(member_teams(&s, &[RoleId(10)], &[TeamId(2)]), vec![TeamId(1), TeamId(2)]);
        assert_eq!(member_teams(&s, &[], &[]), vec![TeamId::DEFAULT]);
        // Joining a role team means nothing: its members are the role's holders.
        assert_eq!(member_teams(&s, &[], &[TeamId(1)]), vec![TeamId::DEFAULT]);
        // A joined team that was deleted is no team.
        assert_eq!(member_teams(&s, &[], &[TeamId(7)]), vec![TeamId::DEFAULT]);
    }

    #[test]
    fn the_team_of_a_command_follows_the_design_order() {
        let s = server();
        let nowhere = Place::default();
        let both = [TeamId(1), TeamId(2)];
        // Named: that team, whatever the channel; an unknown name is refused with the list.
        let r = resolve(&s, &both, Some("engineering"), Place { channel: Some(ChannelId(100)), parent: None }, Purpose::Act);
        assert_eq!(r, Ok(Resolved::Team(TeamId(2))));
        let e = resolve(&s, &both, Some("ops"), nowhere, Purpose::Act).unwrap_err();
        assert_eq!(e.key, k::ERR_UNKNOWN_TEAM);
        assert!(e.args.iter().any(|(n, v)| *n == "teams" && v.contains("`Design`") && v.contains("`default`")));
        // The home channel, or a thread in it.
        assert_eq!(
            resolve(&s, &both, None, Place { channel: Some(ChannelId(200)), parent: None }, Purpose::Act),
            Ok(Resolved::Team(TeamId(2)))
        );
        let thread = Place { channel: Some(ChannelId(555)), parent: Some(ChannelId(100)) };
        assert_eq!(resolve(&s, &both, None, thread, Purpose::Act), Ok(Resolved::Team(TeamId(1))));
        // Elsewhere: the caller's only team ...
        assert_eq!(resolve(&s, &[TeamId(2)], None, nowhere, Purpose::Act), Ok(Resolved::Team(TeamId(2))));
        // ... else a question naming theirs, never a guess.
        assert_eq!(resolve(&s, &both, None, nowhere, Purpose::Act), Ok(Resolved::Ask(both.to_vec())));
        // `/setup` outside any team's channel is the default team; an ambient command takes
        // the first of the caller's teams for its language.
        assert_eq!(resolve(&s, &both, None, nowhere, Purpose::Setup), Ok(Resolved::Team(TeamId::DEFAULT)));
        assert_eq!(resolve(&s, &both, None, nowhere, Purpose::Ambient), Ok(Resolved::Team(TeamId(1))));
    }

    #[test]
    fn a_server_without_teams_is_its_default_team_everywhere() {
        for teams in [vec![], vec![Team::default_team()]] {
            for purpose in [Purpose::Act, Purpose::Setup, Purpose::Ambient] {
                let r = resolve(&teams, &[TeamId::DEFAULT], None, Place { channel: Some(ChannelId(9)), parent: None }, purpose);
                assert_eq!(r, Ok(Resolved::Team(TeamId::DEFAULT)));
            }
        }
    }
}
