//! Teams: their rows, who joined the ones without a role, and deleting one with its answers.

use chrono::{DateTime, Utc};

use super::{ts, Result, Store};
use crate::domain::ids::{ChannelId, GuildId, RoleId, TeamId, TeamKey, UserId};
use crate::domain::teams::{name_key, Team};

/// Why a team could not be created or renamed: what is already taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TeamConflict {
    /// Another team has this name (any case); its name as stored.
    Name(String),
    /// Another team has this role; its name.
    Role(String),
    /// This channel is another team's home; its name.
    Home(String),
}

/// What deleting a team removes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TeamCounts {
    /// Check-ins.
    pub checkins: i64,
    /// Commitments.
    pub commitments: i64,
}

/// On PostgreSQL, where transactions on other connections run at once, locks the server's
/// row until the transaction ends: two teams created at the same moment would otherwise both
/// pass the name check and take the same next id. SQLite's one writer runs them in turn
/// already, so there it does nothing.
macro_rules! lock_guild {
    ($conn:expr, $guild:expr) => {{
        let conn = $conn;
        let guild: GuildId = $guild;
        if $crate::storage::on_postgres(&*conn) {
            sqlx::query("SELECT 1 FROM guilds WHERE guild_id = $1 FOR UPDATE").bind(guild.to_db()).execute(&mut *conn).await?;
        }
    }};
}

/// The team (other than `except`) that already has this name, role or home channel: a role
/// or a channel that made two teams would leave a member's or a command's team ambiguous.
/// On either backend's connection.
macro_rules! conflict {
    ($conn:expr, $guild:expr, $except:expr, $name:expr, $role:expr, $home:expr) => {{
        let conn = $conn;
        let (guild, except, name, role, home): (GuildId, Option<TeamId>, &str, Option<RoleId>, Option<ChannelId>) =
            ($guild, $except, $name, $role, $home);
        let rows: Vec<(String, String, Option<i64>, Option<i64>)> = sqlx::query_as(
            "SELECT name, name_key, role_id, home_channel_id FROM teams WHERE guild_id = $1 AND ($2 IS NULL OR team_id != $2)",
        )
        .bind(guild.to_db())
        .bind(except.map(TeamId::to_db))
        .fetch_all(&mut *conn)
        .await?;
        find_conflict(&rows, name, role, home)
    }};
}

fn find_conflict(
    rows: &[(String, String, Option<i64>, Option<i64>)],
    name: &str,
    role: Option<RoleId>,
    home: Option<ChannelId>,
) -> Option<TeamConflict> {
    let key = name_key(name);
    if let Some((n, ..)) = rows.iter().find(|r| r.1 == key) {
        return Some(TeamConflict::Name(n.clone()));
    }
    if let Some((n, ..)) = role.and_then(|role| rows.iter().find(|r| r.2 == Some(role.to_db()))) {
        return Some(TeamConflict::Role(n.clone()));
    }
    if let Some((n, ..)) = home.and_then(|home| rows.iter().find(|r| r.3 == Some(home.to_db()))) {
        return Some(TeamConflict::Home(n.clone()));
    }
    None
}

impl Store {
    /// A server's teams, the default team first (named "default" if it has no row yet).
    pub async fn teams(&self, guild: GuildId) -> Result<Vec<Team>> {
        let rows: Vec<(i64, String, Option<i64>, Option<i64>)> = with_conn!(self, reader, |c| sqlx::query_as(
            "SELECT team_id, name, role_id, home_channel_id FROM teams WHERE guild_id = $1 ORDER BY team_id"
        )
        .bind(guild.to_db())
        .fetch_all(c)
        .await?);
        let mut teams: Vec<Team> = rows
            .into_iter()
            .map(|(id, name, role, home)| Team {
                id: TeamId::from_db(id),
                name,
                role: role.map(RoleId::from_db),
                home: home.map(ChannelId::from_db),
            })
            .collect();
        if teams.first().is_none_or(|t| !t.id.is_default()) {
            teams.insert(0, Team::default_team());
        }
        Ok(teams)
    }

    /// The role-less teams a member joined.
    pub async fn joined_teams(&self, guild: GuildId, user: UserId) -> Result<Vec<TeamId>> {
        let ids: Vec<i64> = with_conn!(self, reader, |c| sqlx::query_scalar(
            "SELECT team_id FROM team_members WHERE guild_id = $1 AND user_id = $2 ORDER BY team_id"
        )
        .bind(guild.to_db())
        .bind(user.to_db())
        .fetch_all(c)
        .await?);
        Ok(ids.into_iter().map(TeamId::from_db).collect())
    }

    /// How many members joined each role-less team of a server.
    pub async fn joined_counts(&self, guild: GuildId) -> Result<Vec<(TeamId, i64)>> {
        let rows: Vec<(i64, i64)> =
            with_conn!(self, reader, |c| sqlx::query_as("SELECT team_id, count(*) FROM team_members WHERE guild_id = $1 GROUP BY team_id")
                .bind(guild.to_db())
                .fetch_all(c)
                .await?);
        Ok(rows.into_iter().map(|(t, n)| (TeamId::from_db(t), n)).collect())
    }

    /// Creates a team with the next free id; refuses a name or role another team has.
    pub async fn create_team(
        &self,
        guild: GuildId,
        name: &str,
        role: Option<RoleId>,
        home: Option<ChannelId>,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<Team, TeamConflict>> {
        Ok(with_tx!(self, |tx| {
            ensure_rows!(&mut *tx, guild, now);
            lock_guild!(&mut *tx, guild);
            match conflict!(&mut *tx, guild, None, name, role, home) {
                Some(conflict) => Err(conflict),
                None => {
                    // Ids are never reused while the highest one lives, and a deleted team's rows
                    // are deleted with it, so a reused id inherits nothing.
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO teams (guild_id, team_id, name, name_key, role_id, home_channel_id, created_at, updated_at) \
                         SELECT $1, coalesce(max(team_id), 0) + 1, $2, $3, $4, $5, $6, $6 FROM teams WHERE guild_id = $1 RETURNING team_id",
                    )
                    .bind(guild.to_db())
                    .bind(name)
                    .bind(name_key(name))
                    .bind(role.map(RoleId::to_db))
                    .bind(home.map(ChannelId::to_db))
                    .bind(ts(now))
                    .fetch_one(&mut *tx)
                    .await?;
                    Ok(Team { id: TeamId::from_db(id), name: name.to_owned(), role, home })
                }
            }
        }))
    }

    /// Renames a team; refuses a name another team has. `false` when there is no such team.
    pub async fn rename_team(&self, team: TeamKey, name: &str, now: DateTime<Utc>) -> Result<std::result::Result<bool, TeamConflict>> {
        Ok(with_tx!(self, |tx| {
            ensure_rows!(&mut *tx, team.guild, now);
            lock_guild!(&mut *tx, team.guild);
            match conflict!(&mut *tx, team.guild, Some(team.team), name, None, None) {
                Some(conflict) => Err(conflict),
                None => {
                    let done =
                        sqlx::query("UPDATE teams SET name = $1, name_key = $2, updated_at = $3 WHERE guild_id = $4 AND team_id = $5")
                            .bind(name)
                            .bind(name_key(name))
                            .bind(ts(now))
                            .bind(team.guild.to_db())
                            .bind(team.team.to_db())
                            .execute(&mut *tx)
                            .await?
                            .rows_affected();
                    Ok(done > 0)
                }
            }
        }))
    }

    /// How many check-ins and commitments a team holds (what deleting it removes).
    pub async fn team_counts(&self, team: TeamKey) -> Result<TeamCounts> {
        let (checkins, commitments) = with_conn!(self, reader, |c| sqlx::query_as(
            "SELECT (SELECT count(*) FROM checkins WHERE guild_id = $1 AND team_id = $2), \
             (SELECT count(*) FROM commitments WHERE guild_id = $1 AND team_id = $2)",
        )
        .bind(team.guild.to_db())
        .bind(team.team.to_db())
        .fetch_one(c)
        .await?);
        Ok(TeamCounts { checkins, commitments })
    }

    /// Deletes a team other than the default one with everything that is its own, in one
    /// transaction. `None` when there is no such team (deleted meanwhile).
    pub async fn delete_team(&self, team: TeamKey) -> Result<Option<TeamCounts>> {
        assert!(!team.team.is_default(), "the default team is never deleted");
        let (g, t) = (team.guild.to_db(), team.team.to_db());
        Ok(with_tx!(self, |tx| {
            let gone = sqlx::query("DELETE FROM teams WHERE guild_id = $1 AND team_id = $2")
                .bind(g)
                .bind(t)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if gone == 0 {
                None
            } else {
                // Its board messages go from Discord too (due at once: time 0 is before any now).
                queue_message_removals!(&mut *tx, "board", g, &format!("team_id = {t}"), 0);
                sqlx::query(
                    "DELETE FROM charter_votes WHERE item_id IN (SELECT id FROM charter_items WHERE guild_id = $1 AND team_id = $2)",
                )
                .bind(g)
                .bind(t)
                .execute(&mut *tx)
                .await?;
                let mut counts = TeamCounts::default();
                for (table, count) in [
                    ("checkins", Some(&mut counts.checkins)),
                    ("commitments", Some(&mut counts.commitments)),
                    ("partner_views", None),
                    ("commitment_tasks", None),
                    ("charter_items", None),
                    ("thanks", None),
                    ("team_posts", None),
                    ("schedule", None),
                    ("deliveries", None),
                    ("team_members", None),
                    ("team_pauses", None),
                ] {
                    // The table names are the literals above.
                    let n = sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE guild_id = $1 AND team_id = $2")))
                        .bind(g)
                        .bind(t)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    if let Some(c) = count {
                        *c = n as i64;
                    }
                }
                Some(counts)
            }
        }))
    }

    /// A member joins a role-less team. `false` if they were in it already.
    pub async fn join_team(&self, team: TeamKey, user: UserId, now: DateTime<Utc>) -> Result<bool> {
        let n = with_conn!(self, writer, |c| sqlx::query(
            "INSERT INTO team_members (guild_id, user_id, team_id, joined_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (guild_id, user_id, team_id) DO NOTHING",
        )
        .bind(team.guild.to_db())
        .bind(user.to_db())
        .bind(team.team.to_db())
        .bind(ts(now))
        .execute(c)
        .await?
        .rows_affected());
        Ok(n > 0)
    }

    /// A member leaves a team they joined. `false` if they were not in it. Their answers stay
    /// the team's, like a member who left the server.
    pub async fn leave_team(&self, team: TeamKey, user: UserId) -> Result<bool> {
        let n = with_conn!(self, writer, |c| sqlx::query("DELETE FROM team_members WHERE guild_id = $1 AND user_id = $2 AND team_id = $3")
            .bind(team.guild.to_db())
            .bind(user.to_db())
            .bind(team.team.to_db())
            .execute(c)
            .await?
            .rows_affected());
        Ok(n > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::test_support::{store, stores};

    #[tokio::test]
    async fn teams_are_created_renamed_and_deleted_with_their_rows() {
        for (s, _dir) in stores("teams_are_created_renamed_and_deleted_with_their_rows").await {
            let (g, now) = (GuildId(1), Utc::now());
            assert_eq!(s.teams(g).await.unwrap(), vec![Team::default_team()], "a server without teams has its default team");
            let design = s.create_team(g, "Design", Some(RoleId(10)), Some(ChannelId(100)), now).await.unwrap().unwrap();
            let eng = s.create_team(g, "Engineering", None, None, now).await.unwrap().unwrap();
            assert_eq!((design.id, eng.id), (TeamId(1), TeamId(2)));
            assert_eq!(s.create_team(g, "DESIGN", None, None, now).await.unwrap(), Err(TeamConflict::Name("Design".into())));
            assert_eq!(s.create_team(g, "Default", None, None, now).await.unwrap(), Err(TeamConflict::Name("default".into())));
            assert_eq!(s.create_team(g, "Ops", Some(RoleId(10)), None, now).await.unwrap(), Err(TeamConflict::Role("Design".into())));
            assert_eq!(s.create_team(g, "Ops", None, Some(ChannelId(100)), now).await.unwrap(), Err(TeamConflict::Home("Design".into())));
            // Another server's names are its own.
            assert!(s.create_team(GuildId(2), "Design", Some(RoleId(10)), None, now).await.unwrap().is_ok());
            assert_eq!(s.rename_team(TeamKey::new(g, eng.id), "design", now).await.unwrap(), Err(TeamConflict::Name("Design".into())));
            assert_eq!(s.rename_team(TeamKey::new(g, design.id), "design", now).await.unwrap(), Ok(true), "a team may change its own case");
            assert_eq!(
                s.teams(g).await.unwrap().iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
                vec!["default", "design", "Engineering"]
            );

            let key = TeamKey::new(g, eng.id);
            assert!(s.join_team(key, UserId(5), now).await.unwrap());
            assert!(!s.join_team(key, UserId(5), now).await.unwrap());
            assert_eq!(s.joined_teams(g, UserId(5)).await.unwrap(), vec![eng.id]);
            crate::storage::test_support::exec(&s, "INSERT INTO checkins (guild_id, team_id, user_id, kind, local_date, iso_week, rating, created_at, updated_at) VALUES (1, 2, 5, 'communication', '2026-11-30', '2026-W49', 4, 0, 0), (1, 0, 5, 'communication', '2026-11-30', '2026-W49', 4, 0, 0)")
                .await
                .unwrap();
            assert_eq!(s.team_counts(key).await.unwrap(), TeamCounts { checkins: 1, commitments: 0 });
            assert_eq!(s.delete_team(key).await.unwrap(), Some(TeamCounts { checkins: 1, commitments: 0 }));
            assert_eq!(s.delete_team(key).await.unwrap(), None);
            assert!(s.joined_teams(g, UserId(5)).await.unwrap().is_empty());
            assert_eq!(s.count_checkins(Some(g), None).await.unwrap(), 1, "the default team's check-in stays");
            // A deleted team's id may be given again: nothing of the old team is left under it.
            assert_eq!(s.create_team(g, "Ops", None, None, now).await.unwrap().unwrap().id, TeamId(2));
        }
    }

    #[tokio::test]
    async fn a_teams_answers_digest_streak_and_undo_are_its_own() {
        use crate::domain::checkin::Outcome;
        use crate::domain::time::IsoWeek;
        use crate::storage::{CheckinContext, CommitmentCheckin, CommunicationCheckin, DigestSpans, NewCommitment};
        let (s, _dir) = store().await;
        let (g, now) = (GuildId(1), Utc::now());
        let design = s.create_team(g, "Design", None, None, now).await.unwrap().unwrap();
        let (a, b) = (TeamKey::new(g, design.id), TeamKey::default_of(g));
        let date: chrono::NaiveDate = "2026-11-25".parse().unwrap();
        let ctx = |team: TeamKey, user: u64| CheckinContext {
            guild: g,
            team: team.team,
            user: UserId(user),
            local_date: date,
            week: IsoWeek::of(date),
            now,
        };
        // The same three members rate in both teams on the same day: one answer per team.
        for user in 1..=3 {
            let note =
                |t: &str| CommunicationCheckin { rating: 5, went_well: Some(format!("{t} note {user}")), improve: None, partner: None };
            assert!(!s.record_communication_checkin(ctx(a, user), &note("design")).await.unwrap().0);
            assert!(!s.record_communication_checkin(ctx(b, user), &note("default")).await.unwrap().0, "not a replacement");
        }
        let promise = CommitmentCheckin {
            which: None,
            kept: None,
            next: Some(NewCommitment { text: "design promise".into(), due: date, partner: None, ..Default::default() }),
            blocker: None,
            partner: None,
        };
        s.record_commitment_checkin(ctx(a, 1), &promise).await.unwrap();
        let kept = CommitmentCheckin { kept: Some(Outcome::Kept), next: None, ..promise.clone() };
        assert!(!s.record_commitment_checkin(ctx(b, 1), &kept).await.unwrap().resolved, "the default team has nothing open");
        assert_eq!(s.open_commitments(a, UserId(1)).await.unwrap().len(), 1);
        assert!(s.open_commitments(b, UserId(1)).await.unwrap().is_empty());

        let week = IsoWeek::of(date);
        let spans = DigestSpans { week, overdue_before: date, members_from: week.prev(), away: (date, date), posts: (date, date) };
        let (ra, rb) = (s.digest_reads(a, spans).await.unwrap(), s.digest_reads(b, spans).await.unwrap());
        assert_eq!((ra.this.made, rb.this.made), (1, 0));
        assert!(ra.this.went_well.iter().all(|n| n.starts_with("design")), "{:?}", ra.this.went_well);
        assert!(rb.this.went_well.iter().all(|n| n.starts_with("default")), "{:?}", rb.this.went_well);
        assert_eq!((ra.this.people.ratings, rb.this.people.ratings), (3, 3));

        // Undo takes the latest check-in in that team only.
        let u = s.undo_last_checkin(b, UserId(1), date, chrono::Utc::now()).await.unwrap().unwrap();
        assert_eq!(u.reopened, None, "the design commitment stays open");
        assert_eq!(s.open_commitments(a, UserId(1)).await.unwrap().len(), 1);
        assert!(s.has_checked_in(a, UserId(1), week).await.unwrap());
        assert!(!s.has_checked_in(TeamKey::new(g, TeamId(9)), UserId(1), week).await.unwrap());

        // A team's holiday counts as time away in its members' streaks, in that team only.
        let monday: chrono::NaiveDate = "2026-11-30".parse().unwrap();
        s.update_guild(a, crate::storage::GuildChange::Pause(monday, Some(monday + chrono::Duration::days(6))), &[], now).await.unwrap();
        let away_a = s.streak_weeks(a, UserId(1)).await.unwrap().away;
        assert!(away_a.contains(&IsoWeek::of(monday)), "{away_a:?}");
        assert!(s.streak_weeks(b, UserId(1)).await.unwrap().away.is_empty());
        let settings = s.team_settings(a).await.unwrap().unwrap();
        assert!(settings.paused_on(monday) && !settings.paused_on(date));
        // Ending it on its second day keeps the first as history.
        s.update_guild(a, crate::storage::GuildChange::Pause(monday + chrono::Duration::days(1), None), &[], now).await.unwrap();
        let settings = s.team_settings(a).await.unwrap().unwrap();
        assert_eq!(settings.pause, Some((monday, monday)));
    }
}
