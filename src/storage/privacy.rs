//! A member's data: everything stored about them (for `/mydata`), deleting it (`/forget`),
//! and a guild's tables for the operator's export.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{from_ts, Result, Store};
use crate::domain::ids::{GuildId, UserId};

/// One check-in row, as exported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct CheckinRecord {
    /// Row id.
    pub id: i64,
    /// Guild.
    pub guild_id: i64,
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Forgotten {
    /// Check-ins deleted.
    pub checkins: u64,
    /// Commitments deleted.
    pub commitments: u64,
}

impl Store {
    /// A member's check-ins in a guild, oldest first.
    pub async fn member_checkins(&self, guild: GuildId, user: UserId) -> Result<Vec<CheckinRecord>> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM checkins WHERE guild_id = ? AND user_id = ? ORDER BY id",
            CHECKIN_COLUMNS.join(", ")
        )))
        .bind(guild.to_db())
        .bind(user.to_db())
        .fetch_all(&mut *self.reader().await?)
        .await
    }

    /// A member's commitments in a guild, oldest first.
    pub async fn member_commitments(&self, guild: GuildId, user: UserId) -> Result<Vec<CommitmentRecord>> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM commitments WHERE guild_id = ? AND user_id = ? ORDER BY id",
            COMMITMENT_COLUMNS.join(", ")
        )))
        .bind(guild.to_db())
        .bind(user.to_db())
        .fetch_all(&mut *self.reader().await?)
        .await
    }

    /// How many of other members' check-ins and commitments name this member as partner.
    pub async fn partner_mentions(&self, guild: GuildId, user: UserId) -> Result<i64> {
        sqlx::query_scalar(
            "SELECT (SELECT count(*) FROM checkins WHERE guild_id = ?1 AND partner_id = ?2 AND user_id != ?2) + \
             (SELECT count(*) FROM commitments WHERE guild_id = ?1 AND partner_id = ?2 AND user_id != ?2)",
        )
        .bind(guild.to_db())
        .bind(user.to_db())
        .fetch_one(&mut *self.reader().await?)
        .await
    }

    /// Deletes everything stored about a member in a guild, in one transaction: their
    /// check-ins, commitments, settings, time away, reminder and its delivery records; and
    /// their id where other members named them as partner. Returns the counts.
    pub async fn forget_member(&self, guild: GuildId, user: UserId) -> Result<Forgotten> {
        let mut w = self.writer().await?;
        let mut tx = Self::begin_write(&mut w).await?;
        let (g, u) = (guild.to_db(), user.to_db());
        let checkins =
            sqlx::query("DELETE FROM checkins WHERE guild_id = ? AND user_id = ?").bind(g).bind(u).execute(&mut *tx).await?.rows_affected();
        let commitments = sqlx::query("DELETE FROM commitments WHERE guild_id = ? AND user_id = ?")
            .bind(g)
            .bind(u)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        for sql in [
            "DELETE FROM members WHERE guild_id = ? AND user_id = ?",
            "DELETE FROM away WHERE guild_id = ? AND user_id = ?",
            "DELETE FROM schedule WHERE guild_id = ? AND user_id = ?",
            "DELETE FROM deliveries WHERE guild_id = ? AND user_id = ?",
            "UPDATE checkins SET partner_id = NULL WHERE guild_id = ? AND partner_id = ?",
            "UPDATE commitments SET partner_id = NULL WHERE guild_id = ? AND partner_id = ?",
        ] {
            sqlx::query(sql).bind(g).bind(u).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(Forgotten { checkins, commitments })
    }

    /// All of a guild's check-ins, for the operator's export.
    pub async fn guild_checkins(&self, guild: GuildId) -> Result<Vec<CheckinRecord>> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {} FROM checkins WHERE guild_id = ? ORDER BY id", CHECKIN_COLUMNS.join(", "))))
            .bind(guild.to_db())
            .fetch_all(&mut *self.reader().await?)
            .await
    }

    /// All of a guild's commitments, for the operator's export.
    pub async fn guild_commitments(&self, guild: GuildId) -> Result<Vec<CommitmentRecord>> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM commitments WHERE guild_id = ? ORDER BY id",
            COMMITMENT_COLUMNS.join(", ")
        )))
        .bind(guild.to_db())
        .fetch_all(&mut *self.reader().await?)
        .await
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
    use crate::storage::test_support::store;
    use crate::storage::{CheckinContext, CommitmentCheckin, CommunicationCheckin, NewCommitment};
    use chrono::NaiveDate;

    #[tokio::test]
    async fn forgetting_a_member_deletes_their_rows_and_only_theirs() {
        let (s, _dir) = store().await;
        let date = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        for user in [1u64, 2] {
            let ctx = CheckinContext {
                guild: GuildId(9),
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
                kept: None,
                next: Some(NewCommitment { text: "t".into(), due: date, partner: Some(UserId(3 - user)) }),
                blocker: None,
                partner: None,
            };
            s.record_commitment_checkin(ctx, &c).await.unwrap();
        }
        assert_eq!(s.partner_mentions(GuildId(9), UserId(1)).await.unwrap(), 2);
        let f = s.forget_member(GuildId(9), UserId(1)).await.unwrap();
        assert_eq!(f, Forgotten { checkins: 2, commitments: 1 });
        assert!(s.member_checkins(GuildId(9), UserId(1)).await.unwrap().is_empty());
        assert_eq!(s.member_checkins(GuildId(9), UserId(2)).await.unwrap().len(), 2);
        assert_eq!(s.partner_mentions(GuildId(9), UserId(1)).await.unwrap(), 0, "their id is gone from others' rows");
    }
}
