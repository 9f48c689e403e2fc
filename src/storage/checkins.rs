//! Check-ins and commitments.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};

use super::{from_ts, ts, Result, Store};
use crate::domain::checkin::{CheckinKind, Outcome};
use crate::domain::ids::{GuildId, UserId};
use crate::domain::time::IsoWeek;

/// A commitment as stored.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Commitment {
    /// Row id.
    pub id: i64,
    /// What was promised.
    pub text: String,
    /// Local due date.
    pub due: NaiveDate,
    /// To whom.
    pub partner: Option<UserId>,
    /// How it ended; `None` while open.
    pub outcome: Option<Outcome>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was resolved.
    pub resolved_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct CommitmentRow {
    id: i64,
    text: String,
    due_date: String,
    partner_id: Option<i64>,
    status: String,
    created_at: i64,
    resolved_at: Option<i64>,
}

impl From<CommitmentRow> for Commitment {
    fn from(r: CommitmentRow) -> Self {
        Commitment {
            id: r.id,
            text: r.text,
            due: NaiveDate::parse_from_str(&r.due_date, "%Y-%m-%d").unwrap_or_default(),
            partner: r.partner_id.map(UserId::from_db),
            outcome: Outcome::from_status(&r.status),
            created_at: from_ts(r.created_at),
            resolved_at: r.resolved_at.map(from_ts),
        }
    }
}

const COMMITMENT_COLUMNS: &str = "id, text, due_date, partner_id, status, created_at, resolved_at";

/// A row of a multi-statement batch: a tag saying which statement produced it, and values.
type TaggedRow = (String, Option<String>, Option<String>);

/// The weeks a member checked in (`week` rows) and their time away (`away` rows), newest
/// first; appended to each check-in's write batch so the streak costs no extra trip. Plain
/// `?` only: sqlx resolves a numbered `?1` against the whole batch's arguments, not the
/// statement's (bind with [`bind_streak`]).
const STREAK_SQL: &str = "SELECT 'week', iso_week, NULL FROM (SELECT DISTINCT iso_week FROM checkins WHERE guild_id = ? AND user_id = ? \
     ORDER BY iso_week DESC LIMIT 520) \
     UNION ALL SELECT 'away', start_date, end_date FROM (SELECT start_date, end_date FROM away WHERE guild_id = ? AND user_id = ? \
     ORDER BY end_date DESC LIMIT 200)";

type TaggedQuery<'q> = sqlx::query::QueryAs<'q, sqlx::Sqlite, TaggedRow, sqlx::sqlite::SqliteArguments>;

/// Binds [`STREAK_SQL`]'s four parameters.
fn bind_streak(q: TaggedQuery<'_>, guild: GuildId, user: UserId) -> TaggedQuery<'_> {
    q.bind(guild.to_db()).bind(user.to_db()).bind(guild.to_db()).bind(user.to_db())
}

/// What a member's streak is computed from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreakWeeks {
    /// ISO weeks with at least one check-in.
    pub checked: BTreeSet<IsoWeek>,
    /// ISO weeks with at least one day away.
    pub away: BTreeSet<IsoWeek>,
}

impl StreakWeeks {
    fn from_rows(rows: &[TaggedRow]) -> Self {
        let mut w = StreakWeeks::default();
        for (tag, a, b) in rows {
            match (tag.as_str(), a.as_deref(), b.as_deref()) {
                ("week", Some(week), _) => w.checked.extend(IsoWeek::parse(week)),
                ("away", Some(start), Some(end)) => {
                    let (Ok(start), Ok(end)) = (start.parse::<NaiveDate>(), end.parse::<NaiveDate>()) else { continue };
                    let mut week = IsoWeek::of(start);
                    while week <= IsoWeek::of(end) {
                        w.away.insert(week);
                        week = week.next();
                    }
                }
                _ => {}
            }
        }
        w
    }
}

/// Who checked in, where and when (local date and week in the guild's zone).
#[derive(Clone, Copy, Debug)]
pub struct CheckinContext {
    /// The guild.
    pub guild: GuildId,
    /// The member.
    pub user: UserId,
    /// Their local date.
    pub local_date: NaiveDate,
    /// The guild's ISO week of that date.
    pub week: IsoWeek,
    /// Now.
    pub now: DateTime<Utc>,
}

/// A new commitment.
#[derive(Clone, Debug)]
pub struct NewCommitment {
    /// Cleaned text, ≤300 characters.
    pub text: String,
    /// Due date.
    pub due: NaiveDate,
    /// To whom.
    pub partner: Option<UserId>,
}

/// A commitments check-in.
#[derive(Clone, Debug)]
pub struct CommitmentCheckin {
    /// Resolve this open commitment with this outcome.
    pub resolve: Option<(i64, Outcome)>,
    /// Make this new commitment.
    pub next: Option<NewCommitment>,
    /// A blocker note.
    pub blocker: Option<String>,
    /// The partner named in the check-in.
    pub partner: Option<UserId>,
}

/// A communication check-in.
#[derive(Clone, Debug)]
pub struct CommunicationCheckin {
    /// 1–5.
    pub rating: u8,
    /// What went well.
    pub went_well: Option<String>,
    /// What to improve.
    pub improve: Option<String>,
    /// With whom.
    pub partner: Option<UserId>,
}

/// What a commitments check-in changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitmentCheckinSaved {
    /// The check-in row.
    pub checkin_id: i64,
    /// Whether the open commitment was resolved (false if it had been resolved meanwhile).
    pub resolved: bool,
    /// The new commitment's id.
    pub new_commitment: Option<i64>,
    /// The member's weeks, read after the write (for the streak).
    pub weeks: StreakWeeks,
}

impl Store {
    /// Records a commitments check-in: resolves the open commitment, stores the answer and
    /// the new commitment, all in one transaction.
    pub async fn record_commitment_checkin(&self, ctx: CheckinContext, c: &CommitmentCheckin) -> Result<CommitmentCheckinSaved> {
        // The statements go to the writer as one batch inside the transaction (sqlx runs a
        // multi-statement query in one trip to its connection thread and binds the arguments
        // in order): three trips (BEGIN, batch, COMMIT) instead of five. Each RETURNING is
        // tagged so the rows can be told apart.
        let mut sql = String::new();
        if c.resolve.is_some() {
            sql.push_str(
                "UPDATE commitments SET status = ?, resolved_week = ?, resolved_at = ? \
                 WHERE id = ? AND guild_id = ? AND user_id = ? AND status = 'open' RETURNING 'resolved', CAST(id AS TEXT), NULL; ",
            );
        }
        // The outcome is recorded only if the UPDATE above changed the row: changes() is the
        // count of the statement completed just before this one.
        let outcome = if c.resolve.is_some() { "CASE WHEN changes() = 1 THEN ? END" } else { "NULL" };
        sql.push_str(&format!(
            "INSERT INTO checkins (guild_id, user_id, kind, local_date, iso_week, outcome, blocker, partner_id, created_at, updated_at) \
             VALUES (?, ?, 'commitments', ?, ?, {outcome}, ?, ?, ?, ?) RETURNING 'checkin', CAST(id AS TEXT), NULL; "
        ));
        if c.next.is_some() {
            sql.push_str(
                "INSERT INTO commitments (guild_id, user_id, text, due_date, partner_id, created_week, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING 'commitment', CAST(id AS TEXT), NULL; ",
            );
        }
        sql.push_str(STREAK_SQL);
        let mut q = sqlx::query_as::<_, TaggedRow>(sqlx::AssertSqlSafe(sql));
        if let Some((id, o)) = c.resolve {
            q = q.bind(o.status()).bind(ctx.week.to_string()).bind(ts(ctx.now)).bind(id).bind(ctx.guild.to_db()).bind(ctx.user.to_db());
        }
        q = q.bind(ctx.guild.to_db()).bind(ctx.user.to_db()).bind(ctx.local_date.to_string()).bind(ctx.week.to_string());
        if let Some((_, o)) = c.resolve {
            q = q.bind(o.status());
        }
        q = q.bind(c.blocker.clone()).bind(c.partner.map(UserId::to_db)).bind(ts(ctx.now)).bind(ts(ctx.now));
        if let Some(n) = &c.next {
            q = q
                .bind(ctx.guild.to_db())
                .bind(ctx.user.to_db())
                .bind(n.text.clone())
                .bind(n.due.to_string())
                .bind(n.partner.map(UserId::to_db))
                .bind(ctx.week.to_string())
                .bind(ts(ctx.now));
        }
        q = bind_streak(q, ctx.guild, ctx.user);
        let mut tx = self.begin_write().await?;
        let rows = q.fetch_all(&mut *tx).await?;
        tx.commit().await?;
        let id_of = |tag: &str| rows.iter().find(|(t, ..)| t == tag).and_then(|(_, id, _)| id.as_deref()?.parse::<i64>().ok());
        Ok(CommitmentCheckinSaved {
            checkin_id: id_of("checkin").ok_or(sqlx::Error::RowNotFound)?,
            resolved: id_of("resolved").is_some(),
            new_commitment: id_of("commitment"),
            weeks: StreakWeeks::from_rows(&rows),
        })
    }

    /// Records a communication check-in. A second one by the same member on the same local
    /// day replaces the first; returns true when it did.
    pub async fn record_communication_checkin(&self, ctx: CheckinContext, c: &CommunicationCheckin) -> Result<(bool, StreakWeeks)> {
        // One statement is one transaction: the upsert inserts or replaces, and its revision
        // says which, with no read before it. The streak's read rides in the same batch: one
        // trip to the writer's thread for the whole check-in.
        let q: TaggedQuery<'_> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO checkins (guild_id, user_id, kind, local_date, iso_week, rating, went_well, improve, partner_id, created_at, updated_at) \
             VALUES (?, ?, 'communication', ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (guild_id, user_id, local_date) WHERE kind = 'communication' DO UPDATE SET \
             rating = excluded.rating, went_well = excluded.went_well, improve = excluded.improve, partner_id = excluded.partner_id, \
             iso_week = excluded.iso_week, updated_at = excluded.updated_at, revision = revision + 1 \
             RETURNING 'revision', CAST(revision AS TEXT), NULL; {STREAK_SQL}"
        )))
        .bind(ctx.guild.to_db())
        .bind(ctx.user.to_db())
        .bind(ctx.local_date.to_string())
        .bind(ctx.week.to_string())
        .bind(i64::from(c.rating))
        .bind(c.went_well.as_deref())
        .bind(c.improve.as_deref())
        .bind(c.partner.map(UserId::to_db))
        .bind(ts(ctx.now))
        .bind(ts(ctx.now));
        let rows = bind_streak(q, ctx.guild, ctx.user).fetch_all(&self.write).await?;
        let replaced = rows.iter().any(|(t, v, _)| t == "revision" && v.as_deref().is_some_and(|v| v != "0"));
        Ok((replaced, StreakWeeks::from_rows(&rows)))
    }

    /// The weeks a member checked in and the weeks they were away, in one read.
    pub async fn streak_weeks(&self, guild: GuildId, user: UserId) -> Result<StreakWeeks> {
        let rows: Vec<TaggedRow> = bind_streak(sqlx::query_as(STREAK_SQL), guild, user).fetch_all(&self.read).await?;
        Ok(StreakWeeks::from_rows(&rows))
    }

    /// A member's open commitments, earliest due first.
    pub async fn open_commitments(&self, guild: GuildId, user: UserId) -> Result<Vec<Commitment>> {
        let rows: Vec<CommitmentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COMMITMENT_COLUMNS} FROM commitments WHERE guild_id = ? AND user_id = ? AND status = 'open' ORDER BY due_date, id"
        )))
        .bind(guild.to_db())
        .bind(user.to_db())
        .fetch_all(&self.read)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// A member's most recently resolved commitments.
    pub async fn resolved_commitments(&self, guild: GuildId, user: UserId, limit: u32) -> Result<Vec<Commitment>> {
        // The limit is written into the SQL, not bound: SQLite plans `LIMIT ?` with the bound
        // value and re-prepares the statement on every execution that binds it.
        let rows: Vec<CommitmentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COMMITMENT_COLUMNS} FROM commitments WHERE guild_id = ? AND user_id = ? AND status != 'open' ORDER BY resolved_at DESC, id DESC LIMIT {limit}"
        )))
        .bind(guild.to_db())
        .bind(user.to_db())
        .fetch_all(&self.read)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// The ISO weeks in which a member checked in (for the streak), newest 520 at most.
    pub async fn checkin_weeks(&self, guild: GuildId, user: UserId) -> Result<BTreeSet<IsoWeek>> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT iso_week FROM checkins WHERE guild_id = ? AND user_id = ? ORDER BY iso_week DESC LIMIT 520",
        )
        .bind(guild.to_db())
        .bind(user.to_db())
        .fetch_all(&self.read)
        .await?;
        Ok(rows.iter().filter_map(|w| IsoWeek::parse(w)).collect())
    }

    /// How many check-ins and commitments are stored for a member in a guild.
    pub async fn member_counts(&self, guild: GuildId, user: UserId) -> Result<(i64, i64)> {
        sqlx::query_as(
            "SELECT (SELECT count(*) FROM checkins WHERE guild_id = ?1 AND user_id = ?2), \
             (SELECT count(*) FROM commitments WHERE guild_id = ?1 AND user_id = ?2)",
        )
        .bind(guild.to_db())
        .bind(user.to_db())
        .fetch_one(&self.read)
        .await
    }

    /// Whether a member checked in during a week.
    pub async fn has_checked_in(&self, guild: GuildId, user: UserId, week: IsoWeek) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM checkins WHERE guild_id = ? AND user_id = ? AND iso_week = ?")
            .bind(guild.to_db())
            .bind(user.to_db())
            .bind(week.to_string())
            .fetch_one(&self.read)
            .await?;
        Ok(n > 0)
    }

    /// How many check-ins of a kind a guild has in total (tests and the load driver).
    pub async fn count_checkins(&self, guild: Option<GuildId>, kind: Option<CheckinKind>) -> Result<i64> {
        sqlx::query_scalar("SELECT count(*) FROM checkins WHERE (?1 IS NULL OR guild_id = ?1) AND (?2 IS NULL OR kind = ?2)")
            .bind(guild.map(GuildId::to_db))
            .bind(kind.map(CheckinKind::as_str))
            .fetch_one(&self.read)
            .await
    }
}

impl Store {
    /// Deletes check-ins and commitments older than each guild's retention (guilds with 0
    /// keep everything). Returns the number of rows deleted.
    pub async fn apply_retention(&self, now: DateTime<Utc>) -> Result<u64> {
        let mut deleted = 0;
        for (guild, weeks) in self.guilds_with_retention().await? {
            let cutoff = ts(now) - i64::from(weeks) * 7 * 86_400;
            let mut tx = self.begin_write().await?;
            for sql in [
                "DELETE FROM checkins WHERE guild_id = ? AND created_at < ?",
                "DELETE FROM commitments WHERE guild_id = ? AND created_at < ?",
            ] {
                deleted += sqlx::query(sql).bind(guild.to_db()).bind(cutoff).execute(&mut *tx).await?.rows_affected();
            }
            tx.commit().await?;
        }
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::test_support::store;

    fn ctx(date: &str) -> CheckinContext {
        let local_date = NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
        CheckinContext { guild: GuildId(1), user: UserId(2), local_date, week: IsoWeek::of(local_date), now: Utc::now() }
    }

    fn commit(text: &str, due: &str) -> CommitmentCheckin {
        CommitmentCheckin {
            resolve: None,
            next: Some(NewCommitment {
                text: text.into(),
                due: NaiveDate::parse_from_str(due, "%Y-%m-%d").unwrap(),
                partner: Some(UserId(3)),
            }),
            blocker: None,
            partner: Some(UserId(3)),
        }
    }

    #[tokio::test]
    async fn a_commitment_is_made_then_resolved_in_a_later_checkin() {
        let (s, _dir) = store().await;
        let saved = s.record_commitment_checkin(ctx("2026-11-23"), &commit("send the draft", "2026-11-27")).await.unwrap();
        let open = s.open_commitments(GuildId(1), UserId(2)).await.unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].id, saved.new_commitment.unwrap());
        assert_eq!(open[0].partner, Some(UserId(3)));

        let mut second = commit("review the contract", "2026-12-04");
        second.resolve = Some((open[0].id, Outcome::Partly));
        second.blocker = Some("waiting for legal".into());
        let saved = s.record_commitment_checkin(ctx("2026-11-30"), &second).await.unwrap();
        assert!(saved.resolved);
        assert_eq!(saved.weeks.checked.len(), 2, "the streak's weeks come back with the write: {:?}", saved.weeks);
        let open = s.open_commitments(GuildId(1), UserId(2)).await.unwrap();
        assert_eq!(open.iter().map(|c| c.text.as_str()).collect::<Vec<_>>(), vec!["review the contract"]);
        let resolved = s.resolved_commitments(GuildId(1), UserId(2), 5).await.unwrap();
        assert_eq!(resolved[0].outcome, Some(Outcome::Partly));
        assert_eq!(s.checkin_weeks(GuildId(1), UserId(2)).await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn resolving_someone_elses_or_a_closed_commitment_changes_nothing() {
        let (s, _dir) = store().await;
        let saved = s.record_commitment_checkin(ctx("2026-11-23"), &commit("a", "2026-11-27")).await.unwrap();
        let id = saved.new_commitment.unwrap();
        let mut other = ctx("2026-11-24");
        other.user = UserId(99);
        let c = CommitmentCheckin { resolve: Some((id, Outcome::Kept)), next: None, blocker: None, partner: None };
        assert!(!s.record_commitment_checkin(other, &c).await.unwrap().resolved);
        // The other member's check-in records no outcome for a commitment it did not resolve.
        let outcome: Option<String> =
            sqlx::query_scalar("SELECT outcome FROM checkins WHERE user_id = 99").fetch_one(&s.read).await.unwrap();
        assert_eq!(outcome, None);
        assert!(s.record_commitment_checkin(ctx("2026-11-24"), &c).await.unwrap().resolved);
        let outcome: Option<String> = sqlx::query_scalar("SELECT outcome FROM checkins WHERE user_id = 2 AND local_date = '2026-11-24'")
            .fetch_one(&s.read)
            .await
            .unwrap();
        assert_eq!(outcome.as_deref(), Some("kept"));
        assert!(!s.record_commitment_checkin(ctx("2026-11-25"), &c).await.unwrap().resolved);
    }

    #[tokio::test]
    async fn a_second_communication_checkin_the_same_day_replaces_the_first() {
        let (s, _dir) = store().await;
        let c = CommunicationCheckin { rating: 2, went_well: Some("demo".into()), improve: None, partner: None };
        let (replaced, weeks) = s.record_communication_checkin(ctx("2026-11-27"), &c).await.unwrap();
        assert!(!replaced);
        // The streak's weeks come back with the write, the new check-in included.
        assert_eq!(weeks.checked.iter().map(ToString::to_string).collect::<Vec<_>>(), vec!["2026-W48"]);
        let c2 = CommunicationCheckin { rating: 4, ..c.clone() };
        assert!(s.record_communication_checkin(ctx("2026-11-27"), &c2).await.unwrap().0);
        assert_eq!(s.count_checkins(Some(GuildId(1)), Some(CheckinKind::Communication)).await.unwrap(), 1);
        let rating: i64 = sqlx::query_scalar("SELECT rating FROM checkins").fetch_one(&s.read).await.unwrap();
        assert_eq!(rating, 4);
        assert!(!s.record_communication_checkin(ctx("2026-11-28"), &c).await.unwrap().0);
        assert_eq!(s.count_checkins(None, None).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn the_schema_refuses_a_rating_on_a_commitments_checkin() {
        let (s, _dir) = store().await;
        let r = sqlx::query("INSERT INTO checkins (guild_id, user_id, kind, local_date, iso_week, rating, created_at, updated_at) VALUES (1, 2, 'commitments', '2026-11-27', '2026-W48', 3, 0, 0)")
            .execute(&s.write)
            .await;
        assert!(r.is_err());
    }
}
