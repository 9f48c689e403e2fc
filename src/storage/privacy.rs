//! A member's data: everything stored about them (for `/mydata`), deleting it (`/forget`),
//! and a guild's tables for the operator's export.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{from_ts, Result, Store};
use crate::domain::ids::{GuildId, TeamId, UserId};

/// One check-in row, as exported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct CheckinRecord {
    /// Row id.
    pub id: i64,
    /// Guild.
    pub guild_id: i64,
    /// Team in the guild (0: its default team).
    pub team_id: i64,
    /// Member.
    pub user_id: i64,
    /// `commitments` or `communication`.
    pub kind: String,
    /// The member's local date of the check-in.
    pub local_date: String,
    /// The guild's ISO week.
    pub iso_week: String,
    /// Communication rating, 1–5.
    pub rating: Option<i64>,
    /// How the previous commitment went (commitment check-ins).
    pub outcome: Option<String>,
    /// Note: what went well.
    pub went_well: Option<String>,
    /// Note: what to improve.
    pub improve: Option<String>,
    /// Note: what blocks the member.
    pub blocker: Option<String>,
    /// The partner named.
    pub partner_id: Option<i64>,
    /// Created (unix seconds, UTC).
    pub created_at: i64,
    /// Last changed (unix seconds, UTC).
    pub updated_at: i64,
}

/// One commitment row, as exported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct CommitmentRecord {
    /// Row id.
    pub id: i64,
    /// Guild.
    pub guild_id: i64,
    /// Team in the guild (0: its default team).
    pub team_id: i64,
    /// Member.
    pub user_id: i64,
    /// What was promised.
    pub text: String,
    /// Due date (local).
    pub due_date: String,
    /// To whom.
    pub partner_id: Option<i64>,
    /// open, kept, partly, missed.
    pub status: String,
    /// ISO week it was made.
    pub created_week: String,
    /// ISO week it was resolved.
    pub resolved_week: Option<String>,
    /// Created (unix seconds, UTC).
    pub created_at: i64,
    /// Resolved (unix seconds, UTC).
    pub resolved_at: Option<i64>,
}

/// The columns of [`CheckinRecord`], in table order, for the SELECTs. The export's CSV header
/// comes from its serde view (`crate::export`), which a test holds to this order.
pub const CHECKIN_COLUMNS: &[&str] = &[
    "id",
    "guild_id",
    "team_id",
    "user_id",
    "kind",
    "local_date",
    "iso_week",
    "rating",
    "outcome",
    "went_well",
    "improve",
    "blocker",
    "partner_id",
    "created_at",
    "updated_at",
];

/// The columns of [`CommitmentRecord`], in table order, for the SELECTs. The export's CSV header
/// comes from its serde view (`crate::export`), which a test holds to this order.
pub const COMMITMENT_COLUMNS: &[&str] = &[
    "id",
    "guild_id",
    "team_id",
    "user_id",
    "text",
    "due_date",
    "partner_id",
    "status",
    "created_week",
    "resolved_week",
    "created_at",
    "resolved_at",
];

/// What `/forget` deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Forgotten {
    /// Check-ins deleted.
    pub checkins: u64,
    /// Commitments deleted.
    pub commitments: u64,
    /// Other members' notes and commitments whose mention of the member was removed.
    pub mentions: u64,
    /// Answers the member gave as a partner (to others' commitments), deleted.
    pub partner_answers_given: u64,
    /// Partner answers about the member's own commitments, deleted with them.
    pub partner_answers_received: u64,
    /// Votes on charter proposals, deleted.
    pub charter_votes: u64,
    /// Thank-yous the member gave, deleted (their messages too).
    pub thanks_given: u64,
    /// Thank-yous the member received, without their name now.
    pub thanks_received: u64,
    /// Proposals the member made, which stay the team's without their name.
    pub proposals: u64,
}

/// A member's charter and thanks records, for `/mydata`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct MemberCharter {
    /// Proposals they made.
    pub proposals: Vec<crate::storage::CharterItem>,
    /// Their votes: (item, `agree` or `not_yet`, when).
    pub votes: Vec<VoteRecord>,
    /// Thank-yous they gave.
    pub thanks_given: Vec<ThanksRecord>,
    /// Thank-yous they received.
    pub thanks_received: Vec<ThanksRecord>,
}

/// One charter item, as exported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct CharterRecord {
    /// Its id.
    pub id: i64,
    /// Team in the guild.
    pub team_id: i64,
    /// `goal` or `agreement`.
    pub kind: String,
    /// The text.
    pub text: String,
    /// Who proposed it (empty once they used /forget).
    pub author_id: Option<i64>,
    /// `proposed`, `adopted`, `expired` or `retired`.
    pub status: String,
    /// Unix seconds, UTC.
    pub proposed_at: i64,
    /// Unix seconds, UTC.
    pub expires_at: i64,
    /// Unix seconds, UTC.
    pub adopted_at: Option<i64>,
    /// `majority` or `lead`.
    pub adopted_by: Option<String>,
    /// Local date.
    pub review_on: Option<String>,
    /// Unix seconds, UTC.
    pub retired_at: Option<i64>,
}

/// One vote, as exported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct GuildVoteRecord {
    /// The proposal.
    pub item_id: i64,
    /// Who voted.
    pub user_id: i64,
    /// `agree` or `not_yet`.
    pub vote: String,
    /// Unix seconds, UTC.
    pub voted_at: i64,
}

/// One vote, as `/mydata` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct VoteRecord {
    /// The proposal.
    pub item_id: i64,
    /// `agree` or `not_yet`.
    pub vote: String,
    /// When (unix seconds, UTC).
    pub voted_at: i64,
}

/// One thank-you, as `/mydata` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ThanksRecord {
    /// Its id.
    pub id: i64,
    /// Team in the guild.
    pub team_id: i64,
    /// Who thanked.
    pub from_id: i64,
    /// Who was thanked (empty once they used /forget).
    pub to_id: Option<i64>,
    /// The note.
    pub note: String,
    /// The principle named.
    pub principle: Option<i64>,
    /// When (unix seconds, UTC).
    pub created_at: i64,
}

/// One partner view, as `/mydata` shows it: the partner's answers about one commitment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct PartnerViewRecord {
    /// The commitment.
    pub commitment_id: i64,
    /// Team in the guild.
    pub team_id: i64,
    /// Who made it.
    pub user_id: i64,
    /// Who it was made to.
    pub partner_id: i64,
    /// The partner's answer to the agree DM: `agreed` or `talk`.
    pub agreement: Option<String>,
    /// When (unix seconds, UTC).
    pub agreed_at: Option<i64>,
    /// The partner's answer to "was it kept?": `kept`, `partly` or `missed`.
    pub verdict: Option<String>,
    /// When (unix seconds, UTC).
    pub verdict_at: Option<i64>,
    /// Why the partner was not asked: `left`, `dms_closed` or `bot`.
    pub unreachable: Option<String>,
}

/// What a mention of a forgotten member becomes in other members' notes.
pub const FORGOTTEN_MENTION: &str = "@former-member";

/// One delivery record about a member (their reminders), for `/mydata`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct DeliveryRecord {
    /// `reminder`.
    pub kind: String,
    /// The member's ISO week it was for.
    pub period: String,
    /// pending, sent, failed, skipped.
    pub status: String,
    /// Attempts that failed.
    pub attempts: i64,
    /// Discord's answer or why it was skipped.
    pub last_error: Option<String>,
    /// First recorded (unix seconds, UTC).
    pub created_at: i64,
    /// Last changed (unix seconds, UTC).
    pub updated_at: i64,
}

/// One scheduled job of a member (their next reminder), for `/mydata`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ScheduleRecord {
    /// `reminder`.
    pub kind: String,
    /// When it is next due (unix seconds, UTC).
    pub due_at: i64,
    /// The local date of that occurrence.
    pub period_date: String,
    /// Failed attempts for it so far.
    pub attempts: i64,
}

impl Store {
    /// A member's check-ins in a guild, oldest first.
    pub async fn member_checkins(&self, guild: GuildId, user: UserId) -> Result<Vec<CheckinRecord>> {
        Ok(with_conn!(self, reader, |c| sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM checkins WHERE guild_id = $1 AND user_id = $2 ORDER BY id",
            CHECKIN_COLUMNS.join(", ")
        )))
        .bind(guild.to_db())
        .bind(user.to_db())
        .fetch_all(c)
        .await?))
    }

    /// A member's commitments in a guild, oldest first.
    pub async fn member_commitments(&self, guild: GuildId, user: UserId) -> Result<Vec<CommitmentRecord>> {
        Ok(with_conn!(self, reader, |c| sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM commitments WHERE guild_id = $1 AND user_id = $2 ORDER BY id",
            COMMITMENT_COLUMNS.join(", ")
        )))
        .bind(guild.to_db())
        .bind(user.to_db())
        .fetch_all(c)
        .await?))
    }

    /// The delivery records of a member's own messages (reminders), oldest first.
    pub async fn member_deliveries(&self, guild: GuildId, user: UserId) -> Result<Vec<DeliveryRecord>> {
        Ok(with_conn!(self, reader, |c| sqlx::query_as(
            "SELECT kind, period, status, attempts, last_error, created_at, updated_at FROM deliveries \
             WHERE guild_id = $1 AND user_id = $2 ORDER BY created_at, period",
        )
        .bind(guild.to_db())
        .bind(user.to_db())
        .fetch_all(c)
        .await?))
    }

    /// A member's scheduled jobs.
    pub async fn member_schedule(&self, guild: GuildId, user: UserId) -> Result<Vec<ScheduleRecord>> {
        Ok(with_conn!(self, reader, |c| sqlx::query_as(
            "SELECT kind, due_at, period_date, attempts FROM schedule WHERE guild_id = $1 AND user_id = $2 ORDER BY kind"
        )
        .bind(guild.to_db())
        .bind(user.to_db())
        .fetch_all(c)
        .await?))
    }

    /// The partner answers a member gave (to others' commitments) and received (about their
    /// own), oldest first.
    pub async fn member_partner_views(&self, guild: GuildId, user: UserId) -> Result<(Vec<PartnerViewRecord>, Vec<PartnerViewRecord>)> {
        let q = |col: &str| {
            format!(
                "SELECT commitment_id, team_id, user_id, partner_id, agreement, agreed_at, verdict, verdict_at, unreachable \
                 FROM partner_views WHERE guild_id = $1 AND {col} = $2 ORDER BY commitment_id"
            )
        };
        let (g, u) = (guild.to_db(), user.to_db());
        let (given, received) = with_conn!(self, reader, |c| {
            let given = sqlx::query_as(sqlx::AssertSqlSafe(q("partner_id"))).bind(g).bind(u).fetch_all(&mut *c).await?;
            (given, sqlx::query_as(sqlx::AssertSqlSafe(q("user_id"))).bind(g).bind(u).fetch_all(&mut *c).await?)
        });
        Ok((given, received))
    }

    /// A member's proposals, votes and thanks given and received in a guild, oldest first.
    pub async fn member_charter(&self, guild: GuildId, user: UserId) -> Result<MemberCharter> {
        let (g, u) = (guild.to_db(), user.to_db());
        let ids: Vec<i64> = with_conn!(self, reader, |c| sqlx::query_scalar(
            "SELECT id FROM charter_items WHERE guild_id = $1 AND author_id = $2 ORDER BY id"
        )
        .bind(g)
        .bind(u)
        .fetch_all(c)
        .await?);
        let mut proposals = Vec::new();
        for id in ids {
            proposals.extend(self.charter_item(id).await?);
        }
        let q = |col: &str| {
            format!(
                "SELECT id, team_id, from_id, to_id, note, principle, created_at FROM thanks WHERE guild_id = $1 AND {col} = $2 ORDER BY id"
            )
        };
        let (votes, thanks_given, thanks_received) = with_conn!(self, reader, |c| {
            let votes =
                sqlx::query_as("SELECT item_id, vote, voted_at FROM charter_votes WHERE guild_id = $1 AND user_id = $2 ORDER BY item_id")
                    .bind(g)
                    .bind(u)
                    .fetch_all(&mut *c)
                    .await?;
            let given = sqlx::query_as(sqlx::AssertSqlSafe(q("from_id"))).bind(g).bind(u).fetch_all(&mut *c).await?;
            (votes, given, sqlx::query_as(sqlx::AssertSqlSafe(q("to_id"))).bind(g).bind(u).fetch_all(&mut *c).await?)
        });
        Ok(MemberCharter { proposals, votes, thanks_given, thanks_received })
    }

    /// How many of other members' check-ins and commitments name this member as partner.
    pub async fn partner_mentions(&self, guild: GuildId, user: UserId) -> Result<i64> {
        Ok(with_conn!(self, reader, |c| sqlx::query_scalar(
            "SELECT (SELECT count(*) FROM checkins WHERE guild_id = $1 AND partner_id = $2 AND user_id != $2) + \
             (SELECT count(*) FROM commitments WHERE guild_id = $1 AND partner_id = $2 AND user_id != $2)",
        )
        .bind(guild.to_db())
        .bind(user.to_db())
        .fetch_one(c)
        .await?))
    }

    /// Deletes everything stored about a member in a guild, in one transaction: their
    /// check-ins, commitments, settings, time away, reminder and its delivery records; and
    /// their id where other members named them as partner. Returns the counts.
    pub async fn forget_member(&self, guild: GuildId, user: UserId, now: DateTime<Utc>) -> Result<Forgotten> {
        let (g, u) = (guild.to_db(), user.to_db());
        Ok(with_tx!(self, |tx| {
            // Partner answers: those they gave, and those about their own commitments.
            // Counted as answers: the rows where the partner said something (all of them go).
            let answered = |who: &str| {
                format!(
                    "DELETE FROM partner_views WHERE guild_id = $1 AND {who} = $2 RETURNING agreement IS NOT NULL OR verdict IS NOT NULL"
                )
            };
            let given: Vec<bool> =
                sqlx::query_scalar(sqlx::AssertSqlSafe(answered("partner_id"))).bind(g).bind(u).fetch_all(&mut *tx).await?;
            let received: Vec<bool> =
                sqlx::query_scalar(sqlx::AssertSqlSafe(answered("user_id"))).bind(g).bind(u).fetch_all(&mut *tx).await?;
            let (partner_answers_given, partner_answers_received) =
                (given.iter().filter(|a| **a).count() as u64, received.iter().filter(|a| **a).count() as u64);
            // Their board messages are deleted from Discord (queued: the scheduler does it); the
            // board messages of commitments made to them are edited to drop their name, and
            // nothing more is asked of them.
            queue_message_removals!(&mut *tx, "board", g, &format!("user_id = {u}"), super::ts(now));
            sqlx::query(
            "INSERT INTO commitment_tasks (commitment_id, task, guild_id, team_id, due_at) \
             SELECT c.id, 'board', c.guild_id, c.team_id, $1 FROM commitments c WHERE c.guild_id = $2 AND c.partner_id = $3 AND c.user_id != $4 \
             AND EXISTS (SELECT 1 FROM deliveries d WHERE d.kind = 'board' AND d.guild_id = c.guild_id AND d.team_id = c.team_id \
             AND d.user_id = c.user_id AND d.period = CAST(c.id AS TEXT) AND d.status IN ('pending', 'sent')) \
             ON CONFLICT (commitment_id, task) DO UPDATE SET due_at = excluded.due_at, queued = commitment_tasks.queued + 1",
        )
        .bind(super::ts(now))
        .bind(g)
        .bind(u)
        .bind(u)
        .execute(&mut *tx)
        .await?;
            sqlx::query(
                "DELETE FROM commitment_tasks WHERE task IN ('ask', 'check', 'talk') AND commitment_id IN \
             (SELECT id FROM commitments WHERE guild_id = $1 AND (partner_id = $2 OR user_id = $3))",
            )
            .bind(g)
            .bind(u)
            .bind(u)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "DELETE FROM commitment_tasks WHERE commitment_id IN (SELECT id FROM commitments WHERE guild_id = $1 AND user_id = $2)",
            )
            .bind(g)
            .bind(u)
            .execute(&mut *tx)
            .await?;
            // The charter and thanks: their votes go (an open proposal's count is redrawn), the
            // thanks they gave go with their messages; their name goes from thanks they received
            // and from proposals they made, which stay the team's (and are redrawn without it).
            let voted: Vec<(i64, i64, i64)> = sqlx::query_as(
                "DELETE FROM charter_votes WHERE guild_id = $1 AND user_id = $2 RETURNING item_id, \
             (SELECT guild_id FROM charter_items WHERE id = item_id), (SELECT team_id FROM charter_items WHERE id = item_id)",
            )
            .bind(g)
            .bind(u)
            .fetch_all(&mut *tx)
            .await?;
            let charter_votes = voted.len() as u64;
            queue_message_removals!(&mut *tx, "thanks", g, &format!("user_id = {u}"), super::ts(now));
            let thanks_given = sqlx::query("DELETE FROM thanks WHERE guild_id = $1 AND from_id = $2")
                .bind(g)
                .bind(u)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let received: Vec<(i64, i64)> =
                sqlx::query_as("UPDATE thanks SET to_id = NULL WHERE guild_id = $1 AND to_id = $2 RETURNING id, team_id")
                    .bind(g)
                    .bind(u)
                    .fetch_all(&mut *tx)
                    .await?;
            let proposed: Vec<(i64, i64)> =
                sqlx::query_as("UPDATE charter_items SET author_id = NULL WHERE guild_id = $1 AND author_id = $2 RETURNING id, team_id")
                    .bind(g)
                    .bind(u)
                    .fetch_all(&mut *tx)
                    .await?;
            let team = |t: i64| crate::domain::ids::TeamKey::new(guild, TeamId::from_db(t));
            let redraw: Vec<(i64, i64)> = voted.iter().map(|(id, _, t)| (*id, *t)).chain(proposed.iter().copied()).collect();
            for (id, t) in redraw {
                queue_post_query!(super::TeamPostKind::Charter, id, team(t), super::ts(now)).execute(&mut *tx).await?;
            }
            for (id, t) in &received {
                queue_post_query!(super::TeamPostKind::Thanks, *id, team(*t), super::ts(now)).execute(&mut *tx).await?;
            }
            let (thanks_received, proposals) = (received.len() as u64, proposed.len() as u64);
            let checkins = sqlx::query("DELETE FROM checkins WHERE guild_id = $1 AND user_id = $2")
                .bind(g)
                .bind(u)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let commitments = sqlx::query("DELETE FROM commitments WHERE guild_id = $1 AND user_id = $2")
                .bind(g)
                .bind(u)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            for sql in [
                "DELETE FROM members WHERE guild_id = $1 AND user_id = $2",
                "DELETE FROM away WHERE guild_id = $1 AND user_id = $2",
                "DELETE FROM schedule WHERE guild_id = $1 AND user_id = $2",
                "DELETE FROM deliveries WHERE guild_id = $1 AND user_id = $2",
                "DELETE FROM team_members WHERE guild_id = $1 AND user_id = $2",
                "UPDATE checkins SET partner_id = NULL WHERE guild_id = $1 AND partner_id = $2",
                "UPDATE commitments SET partner_id = NULL WHERE guild_id = $1 AND partner_id = $2",
            ] {
                sqlx::query(sql).bind(g).bind(u).execute(&mut *tx).await?;
            }
            // Other members' notes may mention them (`<@id>`, or `<@!id>` from older clients):
            // their id goes from those too. The notes stay: they are the other members' data.
            let (plain, nick) = (format!("<@{user}>"), format!("<@!{user}>"));
            let scrub = |col: &str| format!("{col} = replace(replace({col}, $1, $3), $2, $3)");
            // `replace` is in both dialects (`instr` is SQLite's only).
            let has = |col: &str| format!("replace({col}, $1, '') <> {col} OR replace({col}, $2, '') <> {col}");
            let mut mentions = 0;
            for sql in [
                format!(
                    "UPDATE checkins SET {}, {}, {} WHERE guild_id = $4 AND ({} OR {} OR {})",
                    scrub("went_well"),
                    scrub("improve"),
                    scrub("blocker"),
                    has("went_well"),
                    has("improve"),
                    has("blocker")
                ),
                format!("UPDATE commitments SET {} WHERE guild_id = $4 AND ({})", scrub("text"), has("text")),
            ] {
                mentions += sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(&plain)
                    .bind(&nick)
                    .bind(FORGOTTEN_MENTION)
                    .bind(g)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            Forgotten {
                checkins,
                commitments,
                mentions,
                partner_answers_given,
                partner_answers_received,
                charter_votes,
                thanks_given,
                thanks_received,
                proposals,
            }
        }))
    }

    /// All of a guild's check-ins (or one team's), for the operator's export.
    pub async fn guild_checkins(&self, guild: GuildId, team: Option<TeamId>) -> Result<Vec<CheckinRecord>> {
        Ok(with_conn!(self, reader, |c| sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM checkins WHERE guild_id = $1 AND ($2 IS NULL OR team_id = $2) ORDER BY id",
            CHECKIN_COLUMNS.join(", ")
        )))
        .bind(guild.to_db())
        .bind(team.map(TeamId::to_db))
        .fetch_all(c)
        .await?))
    }

    /// All of a guild's commitments (or one team's), for the operator's export.
    pub async fn guild_partner_views(&self, guild: GuildId, team: Option<TeamId>) -> Result<Vec<PartnerViewRecord>> {
        Ok(with_conn!(self, reader, |c| sqlx::query_as(
            "SELECT commitment_id, team_id, user_id, partner_id, agreement, agreed_at, verdict, verdict_at, unreachable \
             FROM partner_views WHERE guild_id = $1 AND ($2 IS NULL OR team_id = $2) ORDER BY commitment_id",
        )
        .bind(guild.to_db())
        .bind(team.map(TeamId::to_db))
        .fetch_all(c)
        .await?))
    }

    /// A guild's (or one team's) charter items, votes and thanks, for the operator's export.
    pub async fn guild_charter(
        &self,
        guild: GuildId,
        team: Option<TeamId>,
    ) -> Result<(Vec<CharterRecord>, Vec<GuildVoteRecord>, Vec<ThanksRecord>)> {
        let t = team.map(TeamId::to_db);
        Ok(with_conn!(self, reader, |c| {
            let items = sqlx::query_as(
            "SELECT id, team_id, kind, text, author_id, status, proposed_at, expires_at, adopted_at, adopted_by, review_on, retired_at \
             FROM charter_items WHERE guild_id = $1 AND ($2 IS NULL OR team_id = $2) ORDER BY id",
        )
        .bind(guild.to_db())
        .bind(t)
        .fetch_all(&mut *c)
        .await?;
            let votes = sqlx::query_as(
                "SELECT v.item_id, v.user_id, v.vote, v.voted_at FROM charter_votes v JOIN charter_items i ON i.id = v.item_id \
             WHERE v.guild_id = $1 AND ($2 IS NULL OR i.team_id = $2) ORDER BY v.item_id, v.user_id",
            )
            .bind(guild.to_db())
            .bind(t)
            .fetch_all(&mut *c)
            .await?;
            let thanks = sqlx::query_as(
            "SELECT id, team_id, from_id, to_id, note, principle, created_at FROM thanks WHERE guild_id = $1 AND ($2 IS NULL OR team_id = $2) ORDER BY id",
        )
        .bind(guild.to_db())
        .bind(t)
        .fetch_all(&mut *c)
        .await?;
            (items, votes, thanks)
        }))
    }

    /// All of a guild's commitments (or one team's), for the operator's export.
    pub async fn guild_commitments(&self, guild: GuildId, team: Option<TeamId>) -> Result<Vec<CommitmentRecord>> {
        Ok(with_conn!(self, reader, |c| sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM commitments WHERE guild_id = $1 AND ($2 IS NULL OR team_id = $2) ORDER BY id",
            COMMITMENT_COLUMNS.join(", ")
        )))
        .bind(guild.to_db())
        .bind(team.map(TeamId::to_db))
        .fetch_all(c)
        .await?))
    }
}

/// Unix seconds as RFC 3339, for people reading an export.
pub fn rfc3339(ts: i64) -> String {
    let t: DateTime<Utc> = from_ts(ts);
    t.to_rfc3339()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::test_support::stores;
    use crate::storage::{CheckinContext, CommitmentCheckin, CommunicationCheckin, NewCommitment};
    use chrono::NaiveDate;

    #[tokio::test]
    async fn forgetting_a_member_deletes_their_rows_and_only_theirs() {
        for (s, _dir) in stores("forgetting_a_member_deletes_their_rows_and_only_theirs").await {
            let date = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
            for user in [1u64, 2] {
                let ctx = CheckinContext {
                    guild: GuildId(9),
                    team: TeamId::DEFAULT,
                    user: UserId(user),
                    local_date: date,
                    week: crate::domain::time::IsoWeek::of(date),
                    now: Utc::now(),
                };
                s.record_communication_checkin(
                    ctx,
                    &CommunicationCheckin { rating: 4, went_well: None, improve: None, partner: Some(UserId(3 - user)) },
                )
                .await
                .unwrap();
                let c = CommitmentCheckin {
                    which: None,
                    kept: None,
                    next: Some(NewCommitment { text: "t".into(), due: date, partner: Some(UserId(3 - user)), ..Default::default() }),
                    blocker: None,
                    partner: None,
                };
                s.record_commitment_checkin(ctx, &c).await.unwrap();
            }
            assert_eq!(s.partner_mentions(GuildId(9), UserId(1)).await.unwrap(), 2);
            let f = s.forget_member(GuildId(9), UserId(1), chrono::Utc::now()).await.unwrap();
            assert_eq!(
                f,
                Forgotten {
                    checkins: 2,
                    commitments: 1,
                    mentions: 0,
                    partner_answers_given: 0,
                    partner_answers_received: 0,
                    ..Default::default()
                }
            );
            assert!(s.member_checkins(GuildId(9), UserId(1)).await.unwrap().is_empty());
            assert_eq!(s.member_checkins(GuildId(9), UserId(2)).await.unwrap().len(), 2);
            assert_eq!(s.partner_mentions(GuildId(9), UserId(1)).await.unwrap(), 0, "their id is gone from others' rows");
        }
    }

    #[tokio::test]
    async fn forgetting_a_member_removes_their_mentions_from_other_members_notes() {
        for (s, _dir) in stores("forgetting_a_member_removes_their_mentions_from_other_members_notes").await {
            let date = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
            let ctx = CheckinContext {
                guild: GuildId(9),
                team: TeamId::DEFAULT,
                user: UserId(2),
                local_date: date,
                week: crate::domain::time::IsoWeek::of(date),
                now: Utc::now(),
            };
            let note = |s: &str| Some(s.to_owned());
            let c = CommunicationCheckin {
                rating: 4,
                went_well: note("pairing with <@1> helped"),
                improve: note("ask <@!1> and <@3> sooner"),
                partner: None,
            };
            s.record_communication_checkin(ctx, &c).await.unwrap();
            let commit = CommitmentCheckin {
                which: None,
                kept: None,
                next: Some(NewCommitment { text: "send <@1> the draft".into(), due: date, partner: None, ..Default::default() }),
                blocker: note("<@1> is away"),
                partner: None,
            };
            s.record_commitment_checkin(ctx, &commit).await.unwrap();
            let f = s.forget_member(GuildId(9), UserId(1), chrono::Utc::now()).await.unwrap();
            assert_eq!(f.mentions, 3, "two check-ins and one commitment carried the mention");
            let rows = s.member_checkins(GuildId(9), UserId(2)).await.unwrap();
            let all: Vec<String> =
                rows.iter().flat_map(|r| [r.went_well.clone(), r.improve.clone(), r.blocker.clone()]).flatten().collect();
            assert!(all.iter().all(|n| !n.contains("<@1>") && !n.contains("<@!1>")), "{all:?}");
            assert!(all.iter().any(|n| n == "ask @former-member and <@3> sooner"), "other mentions stay: {all:?}");
            let text = &s.member_commitments(GuildId(9), UserId(2)).await.unwrap()[0].text;
            assert_eq!(text, "send @former-member the draft");
        }
    }
}
