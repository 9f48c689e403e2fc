//! Check-ins and commitments.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};

use super::batch::{Arg, Batch};
use super::{from_ts, ts, Result, Store};
use crate::domain::checkin::{CheckinKind, Outcome};
use crate::domain::ids::{GuildId, TeamId, TeamKey, UserId};
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

/// A row of a multi-statement batch: a tag saying which statement produced it, and values
/// as text (`CAST(.. AS TEXT)`: sqlx decodes a `String` only from a text value).
type TaggedRow = (String, Option<String>, Option<String>, Option<String>, Option<String>, Option<String>);

/// The weeks a member checked in and their time away, newest first, as two text columns
/// (`2026-W48,2026-W47` and `2026-11-02/2026-11-06,..`): added to each check-in's write so
/// the streak costs no extra trip, and packed into one row because sqlx hands each row
/// across threads on its own. Plain `?` only: sqlx resolves a numbered `?1` against the
/// whole batch's arguments, not the statement's (bind with [`bind_streak`]).
macro_rules! streak_columns {
    () => {
        "(SELECT group_concat(iso_week) FROM (SELECT DISTINCT iso_week FROM checkins WHERE guild_id = ? AND team_id = ? AND user_id = ? \
         ORDER BY iso_week DESC LIMIT 520)), \
         (SELECT group_concat(start_date || '/' || end_date) FROM (SELECT start_date, end_date FROM away \
         WHERE guild_id = ? AND user_id = ? UNION ALL SELECT start_date, end_date FROM team_pauses WHERE guild_id = ? AND team_id = ? \
         ORDER BY end_date DESC LIMIT 200))"
    };
}

/// A task for the commitment just inserted (`last_insert_rowid()`): task, guild, team, due,
/// later.
const NEW_TASK_SQL: &str = "INSERT INTO commitment_tasks (commitment_id, task, guild_id, team_id, due_at, later_at) \
                            VALUES (last_insert_rowid(), ?, ?, ?, ?, ?)";

/// On resolution by the check-in just inserted: the partner's "was it kept?" is due now.
const RESOLVED_CHECK_SQL: &str = "UPDATE commitment_tasks SET due_at = min(due_at, ?), queued = queued + 1 WHERE task = 'check' \
                                  AND commitment_id IN (SELECT id FROM commitments WHERE resolved_by_checkin = last_insert_rowid())";

/// On resolution: the board message, if there is one, is edited to show it.
const RESOLVED_BOARD_SQL: &str = "INSERT INTO commitment_tasks (commitment_id, task, guild_id, team_id, due_at) \
     SELECT c.id, 'board', c.guild_id, c.team_id, ? FROM commitments c WHERE c.resolved_by_checkin = last_insert_rowid() \
     AND (EXISTS (SELECT 1 FROM deliveries d WHERE d.kind = 'board' AND d.guild_id = c.guild_id AND d.team_id = c.team_id \
     AND d.user_id = c.user_id AND d.period = CAST(c.id AS TEXT) AND d.status IN ('pending', 'sent')) \
     OR EXISTS (SELECT 1 FROM commitment_tasks t WHERE t.commitment_id = c.id AND t.task = 'board')) \
     ON CONFLICT (commitment_id, task) DO UPDATE SET due_at = excluded.due_at, queued = queued + 1";

/// The streak on its own, as the last two columns of a `streak` row.
const STREAK_SQL: &str = concat!("SELECT 'streak', NULL, NULL, NULL, ", streak_columns!());

type TaggedQuery<'q> = sqlx::query::QueryAs<'q, sqlx::Sqlite, TaggedRow, sqlx::sqlite::SqliteArguments>;

/// Binds the parameters of [`streak_columns`].
fn bind_streak(q: TaggedQuery<'_>, team: TeamKey, user: UserId) -> TaggedQuery<'_> {
    let (g, t) = (team.guild.to_db(), team.team.to_db());
    q.bind(g).bind(t).bind(user.to_db()).bind(g).bind(user.to_db()).bind(g).bind(t)
}

/// The arguments of [`streak_columns`] for a batch.
fn streak_args(team: TeamKey, user: UserId) -> Vec<Arg> {
    let (g, t, u) = (Arg::Int(team.guild.to_db()), Arg::Int(team.team.to_db()), Arg::Int(user.to_db()));
    vec![g.clone(), t.clone(), u.clone(), g.clone(), u, g, t]
}

/// What a member's streak is computed from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreakWeeks {
    /// ISO weeks with at least one check-in.
    pub checked: BTreeSet<IsoWeek>,
    /// ISO weeks with at least one day away (the member's, or their team's holiday).
    pub away: BTreeSet<IsoWeek>,
}

impl StreakWeeks {
    /// From the two columns of [`streak_columns`] in `row`, with `this_week` counted as
    /// checked (the check-in the row came back with).
    fn from_row(row: Option<&TaggedRow>, this_week: Option<IsoWeek>) -> Self {
        let mut w = StreakWeeks::default();
        w.checked.extend(this_week);
        let Some((.., weeks, away)) = row else { return w };
        w.checked.extend(weeks.iter().flat_map(|s| s.split(',')).filter_map(IsoWeek::parse));
        for span in away.iter().flat_map(|s| s.split(',')) {
            let Some((start, end)) = span.split_once('/') else { continue };
            let (Ok(start), Ok(end)) = (start.parse::<NaiveDate>(), end.parse::<NaiveDate>()) else { continue };
            let mut week = IsoWeek::of(start);
            while week <= IsoWeek::of(end) {
                w.away.insert(week);
                week = week.next();
            }
        }
        w
    }
}

/// Who checked in, where and when (local date and week in the team's zone).
#[derive(Clone, Copy, Debug)]
pub struct CheckinContext {
    /// The guild.
    pub guild: GuildId,
    /// The team checked in to.
    pub team: TeamId,
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
#[derive(Clone, Debug, Default)]
pub struct NewCommitment {
    /// Cleaned text, ≤300 characters.
    pub text: String,
    /// Due date.
    pub due: NaiveDate,
    /// To whom.
    pub partner: Option<UserId>,
    /// `private: true`: kept off the team's board.
    pub private: bool,
    /// The partner is asked to agree now, and whether it was kept at this time if the
    /// member has not resolved it by then (two days after the due date). `None`: nobody is
    /// asked (no partner, or one who is the member or a bot).
    pub partner_check_at: Option<DateTime<Utc>>,
    /// It goes on the team's board.
    pub board: bool,
}

/// A commitments check-in.
#[derive(Clone, Debug)]
pub struct CommitmentCheckin {
    /// Resolve one of the member's open commitments with this outcome.
    pub kept: Option<Outcome>,
    /// Which one `kept` resolves (its id, `/checkin commitments which`); `None` = the one
    /// due first.
    pub which: Option<i64>,
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

/// What `/checkin undo` undid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Undone {
    /// The kind of check-in removed.
    pub kind: CheckinKind,
    /// Its rating (communication).
    pub rating: Option<u8>,
    /// The commitment it had resolved, open again.
    pub reopened: Option<String>,
    /// The commitment it had made, deleted.
    pub removed: Option<String>,
}

/// What a commitments check-in changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitmentCheckinSaved {
    /// The check-in row.
    pub checkin_id: i64,
    /// The member's open commitment due first, as it was before this check-in.
    pub previous: Option<Commitment>,
    /// Whether `previous` was resolved (`kept` given and something open).
    pub resolved: bool,
    /// The new commitment's id.
    pub new_commitment: Option<i64>,
    /// The member's weeks, read after the write (for the streak).
    pub weeks: StreakWeeks,
}

impl Store {
    /// Records a commitments check-in: reads the open commitment `kept` is about (the one
    /// chosen with `which`, else the one due first), resolves it if `kept` is given, stores
    /// the answer and the new commitment, all in one transaction.
    pub async fn record_commitment_checkin(&self, ctx: CheckinContext, c: &CommitmentCheckin) -> Result<CommitmentCheckinSaved> {
        if let Some(pool) = self.pg() {
            return Self::record_commitment_checkin_pg(pool, ctx, c).await;
        }
        let (g, t, u) = (Arg::Int(ctx.guild.to_db()), Arg::Int(ctx.team.to_db()), Arg::Int(ctx.user.to_db()));
        let now = Arg::Int(ts(ctx.now));
        let week = Arg::Text(ctx.week.to_string());
        // The commitment this check-in is about, as a condition on `commitments`.
        const TARGET: &str = "id = (SELECT id FROM commitments WHERE guild_id = ? AND team_id = ? AND user_id = ? AND status = 'open' \
                              AND (? IS NULL OR id = ?) ORDER BY due_date, id LIMIT 1)";
        let target = || vec![g.clone(), t.clone(), u.clone(), Arg::OptInt(c.which), Arg::OptInt(c.which)];
        // The whole transaction, BEGIN to COMMIT, is one batch: one trip to the writer's
        // thread instead of five (read, BEGIN, writes, COMMIT, and the streak). Each row is
        // tagged so the rows can be told apart; each statement's arguments are counted
        // against its placeholders as it is added.
        let mut b = Batch::default();
        b.push("BEGIN IMMEDIATE", vec![]);
        b.push(
            &format!(
                "SELECT 'previous', CAST(id AS TEXT), text, due_date, CAST(partner_id AS TEXT), CAST(created_at AS TEXT) FROM commitments WHERE {TARGET}"
            ),
            target(),
        );
        // The check-in first, so the statements after it can name it by last_insert_rowid().
        // Its outcome is recorded only if there is a commitment to resolve.
        let (outcome_sql, mut outcome_args) = match c.kept {
            Some(_) => (format!("CASE WHEN EXISTS (SELECT 1 FROM commitments WHERE {TARGET}) THEN ? END"), target()),
            None => ("NULL".to_owned(), vec![]),
        };
        if let Some(o) = c.kept {
            outcome_args.push(Arg::Text(o.status().into()));
        }
        let mut args = vec![g.clone(), t.clone(), u.clone(), Arg::Text(ctx.local_date.to_string()), week.clone()];
        args.extend(outcome_args);
        args.extend([Arg::OptText(c.blocker.clone()), Arg::OptInt(c.partner.map(UserId::to_db)), now.clone(), now.clone()]);
        b.push(
            &format!(
                "INSERT INTO checkins (guild_id, team_id, user_id, kind, local_date, iso_week, outcome, blocker, partner_id, created_at, updated_at) \
                 VALUES (?, ?, ?, 'commitments', ?, ?, {outcome_sql}, ?, ?, ?, ?) RETURNING 'checkin', CAST(id AS TEXT), NULL, NULL, NULL, NULL"
            ),
            args,
        );
        if let Some(o) = c.kept {
            let mut args = vec![Arg::Text(o.status().into()), week.clone(), now.clone()];
            args.extend(target());
            b.push(
                &format!(
                    "UPDATE commitments SET status = ?, resolved_week = ?, resolved_at = ?, resolved_by_checkin = last_insert_rowid() \
                     WHERE {TARGET} RETURNING 'resolved', CAST(id AS TEXT), NULL, NULL, NULL, NULL"
                ),
                args,
            );
            // Resolved: the partner is asked now whether it was kept, and its board message
            // shows the outcome. Tasks are WITHOUT ROWID, so last_insert_rowid() stays the
            // check-in's id; a server without partners or a board writes nothing here.
            b.push(RESOLVED_CHECK_SQL, vec![now.clone()]);
            b.push(RESOLVED_BOARD_SQL, vec![now.clone()]);
        }
        if let Some(n) = &c.next {
            // An UPDATE leaves last_insert_rowid() alone: it is still the check-in's id.
            b.push(
                "INSERT INTO commitments (guild_id, team_id, user_id, text, due_date, partner_id, created_week, created_at, private, made_by_checkin) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, last_insert_rowid()) RETURNING 'commitment', CAST(id AS TEXT), NULL, NULL, NULL, NULL",
                vec![
                    g.clone(),
                    t.clone(),
                    u.clone(),
                    Arg::Text(n.text.clone()),
                    Arg::Text(n.due.to_string()),
                    Arg::OptInt(n.partner.map(UserId::to_db)),
                    week.clone(),
                    now.clone(),
                    Arg::Int(i64::from(n.private)),
                ],
            );
            // The commitment's own work, named by last_insert_rowid(): partner_views' rowid
            // is the commitment's id, and tasks have no rowid, so it stays the same.
            if let (Some(partner), Some(check_at)) = (n.partner, n.partner_check_at) {
                b.push(
                    "INSERT INTO partner_views (commitment_id, guild_id, team_id, user_id, partner_id, created_at) \
                     VALUES (last_insert_rowid(), ?, ?, ?, ?, ?)",
                    vec![g.clone(), t.clone(), u.clone(), Arg::Int(partner.to_db()), now.clone()],
                );
                b.push(NEW_TASK_SQL, vec![Arg::Text("ask".into()), g.clone(), t.clone(), now.clone(), Arg::OptInt(None)]);
                let later = Arg::Int(ts(check_at));
                b.push(NEW_TASK_SQL, vec![Arg::Text("check".into()), g.clone(), t.clone(), later.clone(), Arg::OptInt(Some(ts(check_at)))]);
            }
            if n.board && !n.private {
                b.push(NEW_TASK_SQL, vec![Arg::Text("board".into()), g.clone(), t.clone(), now.clone(), Arg::OptInt(None)]);
            }
        }
        b.push(STREAK_SQL, streak_args(TeamKey::new(ctx.guild, ctx.team), ctx.user));
        b.push("COMMIT", vec![]);
        let rows = self.write_transaction(b.rows()).await?;
        let id_of = |tag: &str| rows.iter().find(|r| r.0 == tag).and_then(|r| r.1.as_deref()?.parse::<i64>().ok());
        let previous = rows.iter().find(|r| r.0 == "previous").and_then(|(_, id, text, due, partner, created)| {
            Some(Commitment {
                id: id.as_deref()?.parse().ok()?,
                text: text.clone()?,
                due: due.as_deref()?.parse().ok()?,
                partner: partner.as_deref().and_then(|p| p.parse().ok()).map(UserId::from_db),
                outcome: None,
                created_at: from_ts(created.as_deref()?.parse().ok()?),
                resolved_at: None,
            })
        });
        Ok(CommitmentCheckinSaved {
            checkin_id: id_of("checkin").ok_or(sqlx::Error::RowNotFound)?,
            previous,
            resolved: id_of("resolved").is_some(),
            new_commitment: id_of("commitment"),
            weeks: StreakWeeks::from_row(rows.iter().find(|r| r.0 == "streak"), Some(ctx.week)),
        })
    }

    /// Undoes a member's latest check-in of `date` in one transaction: the check-in goes,
    /// the commitment it resolved opens again and the one it made is deleted. `None` when
    /// there is nothing to undo that day.
    pub async fn undo_last_checkin(&self, team: TeamKey, user: UserId, date: NaiveDate, now: DateTime<Utc>) -> Result<Option<Undone>> {
        let now = ts(now);
        Ok(with_tx!(self, |tx| {
            let last: Option<(i64, String, Option<i64>)> = sqlx::query_as(
                "SELECT id, kind, rating FROM checkins WHERE guild_id = $1 AND team_id = $2 AND user_id = $3 AND local_date = $4 \
                 ORDER BY updated_at DESC, id DESC LIMIT 1",
            )
            .bind(team.guild.to_db())
            .bind(team.team.to_db())
            .bind(user.to_db())
            .bind(date.to_string())
            .fetch_optional(&mut *tx)
            .await?;
            match last {
                None => None,
                Some((id, kind, rating)) => {
                    let reopened: Vec<(i64, String)> = sqlx::query_as(
                        "UPDATE commitments SET status = 'open', resolved_week = NULL, resolved_at = NULL, resolved_by_checkin = NULL \
                         WHERE resolved_by_checkin = $1 RETURNING id, text",
                    )
                    .bind(id)
                    .fetch_all(&mut *tx)
                    .await?;
                    for (commitment, _) in &reopened {
                        // Open again: the partner's "was it kept?" waits for the due date again
                        // (unless it went out already), and the board message shows it open.
                        sqlx::query(
                            "UPDATE commitment_tasks SET due_at = coalesce(later_at, due_at), queued = queued + 1 \
                             WHERE commitment_id = $1 AND task = 'check'",
                        )
                        .bind(commitment)
                        .execute(&mut *tx)
                        .await?;
                        queue_board_edit!(&mut *tx, *commitment, now);
                    }
                    let removed: Vec<(i64, String)> =
                        sqlx::query_as("DELETE FROM commitments WHERE made_by_checkin = $1 RETURNING id, text")
                            .bind(id)
                            .fetch_all(&mut *tx)
                            .await?;
                    for (commitment, _) in &removed {
                        drop_commitment_extras!(&mut *tx, team.guild, *commitment, now);
                    }
                    sqlx::query("DELETE FROM checkins WHERE id = $1").bind(id).execute(&mut *tx).await?;
                    Some(Undone {
                        kind: CheckinKind::parse(&kind).unwrap_or(CheckinKind::Commitments),
                        rating: rating.map(|r| r as u8),
                        reopened: reopened.into_iter().map(|(_, t)| t).next(),
                        removed: removed.into_iter().map(|(_, t)| t).next(),
                    })
                }
            }
        }))
    }

    /// Runs a batch that begins and commits its own transaction on the writer. A statement
    /// that fails stops the batch inside the transaction: it is rolled back here before the
    /// connection is lent again, and if the caller stops waiting half-way the connection is
    /// closed instead (see [`super::conns::Conn::discard`]), so nothing is ever half-written.
    async fn write_transaction(&self, q: TaggedQuery<'_>) -> Result<Vec<TaggedRow>> {
        let mut conn = self.writer().await?;
        conn.discard = true;
        let result = q.fetch_all(&mut *conn).await;
        if result.is_err() {
            // Fails harmlessly ("no transaction is active") when BEGIN itself failed.
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        }
        conn.discard = false;
        result
    }

    /// Records a communication check-in. A second one by the same member on the same local
    /// day replaces the first; returns true when it did.
    pub async fn record_communication_checkin(&self, ctx: CheckinContext, c: &CommunicationCheckin) -> Result<(bool, StreakWeeks)> {
        const UPSERT: &str = "INSERT INTO checkins (guild_id, team_id, user_id, kind, local_date, iso_week, rating, went_well, improve, \
             partner_id, created_at, updated_at) VALUES (?, ?, ?, 'communication', ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (guild_id, team_id, user_id, local_date) WHERE kind = 'communication' DO UPDATE SET \
             rating = excluded.rating, went_well = excluded.went_well, improve = excluded.improve, partner_id = excluded.partner_id, \
             iso_week = excluded.iso_week, updated_at = excluded.updated_at, revision = checkins.revision + 1 ";
        macro_rules! bind_upsert {
            ($q:expr) => {
                $q.bind(ctx.guild.to_db())
                    .bind(ctx.team.to_db())
                    .bind(ctx.user.to_db())
                    .bind(ctx.local_date.to_string())
                    .bind(ctx.week.to_string())
                    .bind(i64::from(c.rating))
                    .bind(c.went_well.as_deref())
                    .bind(c.improve.as_deref())
                    .bind(c.partner.map(UserId::to_db))
                    .bind(ts(ctx.now))
                    .bind(ts(ctx.now))
            };
        }
        let team = TeamKey::new(ctx.guild, ctx.team);
        if let Some(pool) = self.pg() {
            // PostgreSQL numbers its placeholders; the statement is the same.
            let sql = super::numbered_placeholders(UPSERT);
            let mut conn = pool.acquire().await?;
            let revision: i64 =
                bind_upsert!(sqlx::query_scalar(sqlx::AssertSqlSafe(format!("{sql}RETURNING revision")))).fetch_one(&mut *conn).await?;
            let streak = pg_streak(&mut conn, team, ctx.user).await?;
            return Ok((revision != 0, StreakWeeks::from_row(Some(&streak), Some(ctx.week))));
        }
        // One statement, one transaction, one row back: the upsert inserts or replaces, its
        // revision says which, with no read before it, and the streak's read rides in its
        // RETURNING. One trip to the writer's thread for the whole check-in.
        let sql = format!(concat!("{}RETURNING 'revision', CAST(revision AS TEXT), NULL, NULL, ", streak_columns!()), UPSERT);
        let q: TaggedQuery<'_> = bind_upsert!(sqlx::query_as(sqlx::AssertSqlSafe(sql)));
        let rows = bind_streak(q, team, ctx.user).fetch_all(&mut *self.writer().await?).await?;
        let row = rows.first();
        let replaced = row.and_then(|r| r.1.as_deref()).is_some_and(|v| v != "0");
        Ok((replaced, StreakWeeks::from_row(row, Some(ctx.week))))
    }

    /// The weeks a member checked in to a team and the weeks they or the team were away, in one read.
    pub async fn streak_weeks(&self, team: TeamKey, user: UserId) -> Result<StreakWeeks> {
        let row: TaggedRow = match self.pg() {
            Some(pool) => pg_streak(&mut *pool.acquire().await?, team, user).await?,
            None => bind_streak(sqlx::query_as(STREAK_SQL), team, user).fetch_one(&mut *self.reader().await?).await?,
        };
        Ok(StreakWeeks::from_row(Some(&row), None))
    }

    /// A member's open commitments, earliest due first.
    pub async fn open_commitments(&self, team: TeamKey, user: UserId) -> Result<Vec<Commitment>> {
        Ok(self.commitments_of(team, user, 0).await?.0)
    }

    /// A member's open commitments (earliest due first) and the `limit` resolved last, in
    /// one statement: one trip to one reader's thread for `/commitments`.
    pub async fn commitments_of(&self, team: TeamKey, user: UserId, limit: u32) -> Result<(Vec<Commitment>, Vec<Commitment>)> {
        // The limit is written into the SQL, not bound: SQLite plans `LIMIT ?` with the bound
        // value and re-prepares the statement on every execution that binds it.
        #[derive(sqlx::FromRow)]
        struct Listed {
            resolved: bool,
            #[sqlx(flatten)]
            row: CommitmentRow,
        }
        let sql = format!(
            "SELECT FALSE AS resolved, * FROM (SELECT {COMMITMENT_COLUMNS} FROM commitments WHERE guild_id = $1 AND team_id = $3 AND user_id = $2 \
             AND status = 'open' ORDER BY due_date, id) o \
             UNION ALL SELECT TRUE, * FROM (SELECT {COMMITMENT_COLUMNS} FROM commitments WHERE guild_id = $1 AND team_id = $3 AND user_id = $2 \
             AND status != 'open' ORDER BY resolved_at DESC, id DESC LIMIT {limit}) r"
        );
        let rows: Vec<Listed> = with_conn!(self, reader, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(team.guild.to_db())
            .bind(user.to_db())
            .bind(team.team.to_db())
            .fetch_all(c)
            .await?);
        let (resolved, open): (Vec<_>, Vec<_>) = rows.into_iter().partition(|l| l.resolved);
        let (mut open, mut resolved): (Vec<Commitment>, Vec<Commitment>) =
            (open.into_iter().map(|l| l.row.into()).collect(), resolved.into_iter().map(|l| l.row.into()).collect());
        // SQL promises no order across a UNION; each list is put back in its own.
        open.sort_by_key(|c| (c.due, c.id));
        resolved.sort_by_key(|c| std::cmp::Reverse((c.resolved_at, c.id)));
        Ok((open, resolved))
    }

    /// How many check-ins and commitments are stored for a member in a guild.
    pub async fn member_counts(&self, guild: GuildId, user: UserId) -> Result<(i64, i64)> {
        Ok(with_conn!(self, reader, |c| sqlx::query_as(
            "SELECT (SELECT count(*) FROM checkins WHERE guild_id = $1 AND user_id = $2), \
             (SELECT count(*) FROM commitments WHERE guild_id = $1 AND user_id = $2)",
        )
        .bind(guild.to_db())
        .bind(user.to_db())
        .fetch_one(c)
        .await?))
    }

    /// Whether a member checked in to a team during a week.
    pub async fn has_checked_in(&self, team: TeamKey, user: UserId, week: IsoWeek) -> Result<bool> {
        let n: i64 = with_conn!(self, reader, |c| sqlx::query_scalar(
            "SELECT count(*) FROM checkins WHERE guild_id = $1 AND team_id = $2 AND user_id = $3 AND iso_week = $4"
        )
        .bind(team.guild.to_db())
        .bind(team.team.to_db())
        .bind(user.to_db())
        .bind(week.to_string())
        .fetch_one(c)
        .await?);
        Ok(n > 0)
    }

    /// How many check-ins of a kind a guild has in total (tests and the load driver).
    pub async fn count_checkins(&self, guild: Option<GuildId>, kind: Option<CheckinKind>) -> Result<i64> {
        Ok(with_conn!(self, reader, |c| sqlx::query_scalar(
            "SELECT count(*) FROM checkins WHERE ($1 IS NULL OR guild_id = $1) AND ($2 IS NULL OR kind = $2)"
        )
        .bind(guild.map(GuildId::to_db))
        .bind(kind.map(CheckinKind::as_str))
        .fetch_one(c)
        .await?))
    }
}

impl Store {
    /// Deletes what is older than each guild's retention (guilds with 0 keep everything):
    /// check-ins, resolved commitments (an open one is kept, however old: it is still a
    /// promise), delivery records and time away that ended before the cut-off. Returns the
    /// number of rows deleted.
    pub async fn apply_retention(&self, now: DateTime<Utc>) -> Result<u64> {
        let mut deleted = 0;
        for (guild, weeks) in self.guilds_with_retention().await? {
            let cutoff = now - chrono::Duration::weeks(i64::from(weeks));
            // A row's week is its local week, and no zone is more than a day ahead of UTC:
            // every row created before the cutoff is in the cutoff's week (+1 day) or
            // earlier. The week bound lets SQLite walk the week indexes instead of every row.
            let last_week = IsoWeek::of((cutoff + chrono::Duration::days(1)).date_naive()).to_string();
            let last_day = (cutoff - chrono::Duration::days(1)).date_naive().to_string();
            let g = guild.to_db();
            deleted += with_tx!(self, |tx| {
                let mut deleted = 0;
                for sql in [
                    "DELETE FROM checkins WHERE guild_id = $1 AND iso_week <= $2 AND created_at < $3",
                    "DELETE FROM commitments WHERE guild_id = $1 AND created_week <= $2 AND created_at < $3 AND status != 'open'",
                ] {
                    deleted += sqlx::query(sql).bind(g).bind(&last_week).bind(ts(cutoff)).execute(&mut *tx).await?.rows_affected();
                }
                // Thanks are kept as long as check-ins.
                deleted += sqlx::query("DELETE FROM thanks WHERE guild_id = $1 AND created_at < $2")
                    .bind(g)
                    .bind(ts(cutoff))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                // The partner's side and the pending work of commitments just deleted go with them.
                for sql in [
                    "DELETE FROM partner_views WHERE guild_id = $1 AND commitment_id NOT IN (SELECT id FROM commitments WHERE guild_id = $1)",
                    "DELETE FROM commitment_tasks WHERE guild_id = $1 AND commitment_id NOT IN (SELECT id FROM commitments WHERE guild_id = $1)",
                ] {
                    deleted += sqlx::query(sql).bind(g).execute(&mut *tx).await?.rows_affected();
                }
                // Charter items closed long ago go with their votes (who voted what).
                for sql in [
                    "DELETE FROM charter_votes WHERE item_id IN (SELECT id FROM charter_items WHERE guild_id = $1 \
                     AND status IN ('expired', 'retired') AND coalesce(retired_at, expires_at) < $2)",
                    "DELETE FROM charter_items WHERE guild_id = $1 AND status IN ('expired', 'retired') AND coalesce(retired_at, expires_at) < $2",
                ] {
                    deleted += sqlx::query(sql).bind(g).bind(ts(cutoff)).execute(&mut *tx).await?.rows_affected();
                }
                // Board messages of commitments deleted here leave the board too, as after
                // `/forget`; their records go with them.
                let gone = format!("period NOT IN (SELECT CAST(id AS TEXT) FROM commitments WHERE guild_id = {g})");
                queue_message_removals!(&mut *tx, "board", g, &gone, ts(now));
                // A delivery record older than the cut-off is for a period long past: it can no
                // longer be sent again. Records that stand for a message the bot may still edit or
                // delete (a board message, a partner's DM, a proposal, a thank-you) are kept while
                // what they are about exists: without them an edit would post a second message.
                deleted += sqlx::query(
                    "DELETE FROM deliveries WHERE guild_id = $1 AND updated_at < $2 AND status != 'pending' \
                     AND kind NOT IN ('board', 'partner-ask', 'partner-check', 'partner-talk', 'charter', 'thanks')",
                )
                .bind(g)
                .bind(ts(cutoff))
                .execute(&mut *tx)
                .await?
                .rows_affected();
                for (kinds, table) in [
                    ("'partner-ask', 'partner-check', 'partner-talk'", "commitments"),
                    ("'charter'", "charter_items"),
                    ("'thanks'", "thanks"),
                ] {
                    // The kinds and tables are the literals above.
                    deleted += sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DELETE FROM deliveries WHERE guild_id = $1 AND kind IN ({kinds}) \
                         AND period NOT IN (SELECT CAST(id AS TEXT) FROM {table} WHERE guild_id = $1)"
                    )))
                    .bind(g)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                }
                for table in ["away", "team_pauses"] {
                    // The table names are the literals above.
                    deleted += sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE guild_id = $1 AND end_date < $2")))
                        .bind(g)
                        .bind(&last_day)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                }
                deleted
            });
        }
        // Interaction claims are only needed while the interaction can arrive at a second
        // process (seconds, at most the fifteen minutes it can be answered in).
        deleted += self.prune_interaction_claims(now - chrono::Duration::hours(1)).await?;
        Ok(deleted)
    }
}

/// [`streak_columns`] for PostgreSQL, as one statement: guild `$1`, team `$2`, member `$3`.
const PG_STREAK_SQL: &str = "SELECT (SELECT string_agg(iso_week, ',') FROM (SELECT DISTINCT iso_week FROM checkins \
     WHERE guild_id = $1 AND team_id = $2 AND user_id = $3 ORDER BY iso_week DESC LIMIT 520) w), \
     (SELECT string_agg(start_date || '/' || end_date, ',') FROM (SELECT start_date, end_date FROM away \
     WHERE guild_id = $1 AND user_id = $3 UNION ALL SELECT start_date, end_date FROM team_pauses WHERE guild_id = $1 AND team_id = $2 \
     ORDER BY end_date DESC LIMIT 200) a)";

/// The streak's weeks on PostgreSQL, as a [`TaggedRow`] for [`StreakWeeks::from_row`].
async fn pg_streak(conn: &mut sqlx::PgConnection, team: TeamKey, user: UserId) -> Result<TaggedRow> {
    let (weeks, away): (Option<String>, Option<String>) =
        sqlx::query_as(PG_STREAK_SQL).bind(team.guild.to_db()).bind(team.team.to_db()).bind(user.to_db()).fetch_one(&mut *conn).await?;
    Ok(("streak".into(), None, None, None, weeks, away))
}

impl Store {
    /// [`Store::record_commitment_checkin`] on PostgreSQL: the same statements, one by one in
    /// one transaction (a server round trip each; ids come back by RETURNING where SQLite's
    /// batch names them by `last_insert_rowid()`). The commitment to resolve is locked as it
    /// is read, so two check-ins at once never resolve it twice.
    async fn record_commitment_checkin_pg(
        pool: &sqlx::PgPool,
        ctx: CheckinContext,
        c: &CommitmentCheckin,
    ) -> Result<CommitmentCheckinSaved> {
        let (g, t, u, now) = (ctx.guild.to_db(), ctx.team.to_db(), ctx.user.to_db(), ts(ctx.now));
        let week = ctx.week.to_string();
        let mut tx = pool.begin().await?;
        let previous: Option<CommitmentRow> = sqlx::query_as(
            "SELECT id, text, due_date, partner_id, status, created_at, resolved_at FROM commitments \
             WHERE guild_id = $1 AND team_id = $2 AND user_id = $3 AND status = 'open' AND ($4::BIGINT IS NULL OR id = $4) \
             ORDER BY due_date, id LIMIT 1 FOR UPDATE",
        )
        .bind(g)
        .bind(t)
        .bind(u)
        .bind(c.which)
        .fetch_optional(&mut *tx)
        .await?;
        let previous: Option<Commitment> = previous.map(Into::into);
        let outcome = c.kept.filter(|_| previous.is_some());
        let checkin: i64 = sqlx::query_scalar(
            "INSERT INTO checkins (guild_id, team_id, user_id, kind, local_date, iso_week, outcome, blocker, partner_id, created_at, updated_at) \
             VALUES ($1, $2, $3, 'commitments', $4, $5, $6, $7, $8, $9, $9) RETURNING id",
        )
        .bind(g)
        .bind(t)
        .bind(u)
        .bind(ctx.local_date.to_string())
        .bind(&week)
        .bind(outcome.map(Outcome::status))
        .bind(c.blocker.as_deref())
        .bind(c.partner.map(UserId::to_db))
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        if let (Some(o), Some(p)) = (outcome, &previous) {
            sqlx::query("UPDATE commitments SET status = $1, resolved_week = $2, resolved_at = $3, resolved_by_checkin = $4 WHERE id = $5")
                .bind(o.status())
                .bind(&week)
                .bind(now)
                .bind(checkin)
                .bind(p.id)
                .execute(&mut *tx)
                .await?;
            // As on SQLite: the partner's check is due now, the board shows the outcome.
            sqlx::query(
                "UPDATE commitment_tasks SET due_at = LEAST(due_at, $1), queued = queued + 1 WHERE task = 'check' AND commitment_id = $2",
            )
            .bind(now)
            .bind(p.id)
            .execute(&mut *tx)
            .await?;
            queue_board_edit!(&mut *tx, p.id, now);
        }
        let mut new_commitment = None;
        if let Some(n) = &c.next {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO commitments (guild_id, team_id, user_id, text, due_date, partner_id, created_week, created_at, private, made_by_checkin) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            )
            .bind(g)
            .bind(t)
            .bind(u)
            .bind(&n.text)
            .bind(n.due.to_string())
            .bind(n.partner.map(UserId::to_db))
            .bind(&week)
            .bind(now)
            .bind(n.private)
            .bind(checkin)
            .fetch_one(&mut *tx)
            .await?;
            new_commitment = Some(id);
            let task =
                "INSERT INTO commitment_tasks (commitment_id, task, guild_id, team_id, due_at, later_at) VALUES ($1, $2, $3, $4, $5, $6)";
            if let (Some(partner), Some(check_at)) = (n.partner, n.partner_check_at) {
                sqlx::query(
                    "INSERT INTO partner_views (commitment_id, guild_id, team_id, user_id, partner_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(id)
                .bind(g)
                .bind(t)
                .bind(u)
                .bind(partner.to_db())
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let later = ts(check_at);
                for (kind, due, later) in [("ask", now, None), ("check", later, Some(later))] {
                    sqlx::query(task).bind(id).bind(kind).bind(g).bind(t).bind(due).bind(later).execute(&mut *tx).await?;
                }
            }
            if n.board && !n.private {
                sqlx::query(task).bind(id).bind("board").bind(g).bind(t).bind(now).bind(None::<i64>).execute(&mut *tx).await?;
            }
        }
        let streak = pg_streak(&mut tx, TeamKey::new(ctx.guild, ctx.team), ctx.user).await?;
        tx.commit().await?;
        Ok(CommitmentCheckinSaved {
            checkin_id: checkin,
            resolved: outcome.is_some(),
            previous,
            new_commitment,
            weeks: StreakWeeks::from_row(Some(&streak), Some(ctx.week)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::test_support::{store, stores};

    fn ctx(date: &str) -> CheckinContext {
        let local_date = NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
        CheckinContext {
            guild: GuildId(1),
            team: crate::domain::ids::TeamId::DEFAULT,
            user: UserId(2),
            local_date,
            week: IsoWeek::of(local_date),
            now: Utc::now(),
        }
    }

    fn commit(text: &str, due: &str) -> CommitmentCheckin {
        CommitmentCheckin {
            which: None,
            kept: None,
            next: Some(NewCommitment {
                text: text.into(),
                due: NaiveDate::parse_from_str(due, "%Y-%m-%d").unwrap(),
                partner: Some(UserId(3)),
                ..Default::default()
            }),
            blocker: None,
            partner: Some(UserId(3)),
        }
    }

    #[tokio::test]
    async fn a_commitment_is_made_then_resolved_in_a_later_checkin() {
        for (s, _dir) in stores("a_commitment_is_made_then_resolved_in_a_later_checkin").await {
            let saved = s.record_commitment_checkin(ctx("2026-11-23"), &commit("send the draft", "2026-11-27")).await.unwrap();
            assert_eq!(saved.previous, None);
            let open = s.open_commitments(crate::domain::ids::TeamKey::default_of(GuildId(1)), UserId(2)).await.unwrap();
            assert_eq!(open.len(), 1);
            assert_eq!(open[0].id, saved.new_commitment.unwrap());
            assert_eq!(open[0].partner, Some(UserId(3)));

            let mut second = commit("review the contract", "2026-12-04");
            second.kept = Some(Outcome::Partly);
            second.blocker = Some("waiting for legal".into());
            let saved = s.record_commitment_checkin(ctx("2026-11-30"), &second).await.unwrap();
            assert_eq!(saved.previous.as_ref(), Some(&open[0]), "the commitment it resolved, as it was");
            assert!(saved.resolved);
            assert_eq!(saved.weeks.checked.len(), 2, "the streak's weeks come back with the write: {:?}", saved.weeks);
            let open = s.open_commitments(crate::domain::ids::TeamKey::default_of(GuildId(1)), UserId(2)).await.unwrap();
            assert_eq!(open.iter().map(|c| c.text.as_str()).collect::<Vec<_>>(), vec!["review the contract"]);
            let resolved = s.commitments_of(crate::domain::ids::TeamKey::default_of(GuildId(1)), UserId(2), 5).await.unwrap().1;
            assert_eq!(resolved[0].outcome, Some(Outcome::Partly));
            assert_eq!(s.streak_weeks(crate::domain::ids::TeamKey::default_of(GuildId(1)), UserId(2)).await.unwrap().checked.len(), 2);
        }
    }

    #[tokio::test]
    async fn kept_resolves_only_the_members_own_open_commitment_due_first() {
        for (s, _dir) in stores("kept_resolves_only_the_members_own_open_commitment_due_first").await {
            s.record_commitment_checkin(ctx("2026-11-23"), &commit("later", "2026-11-28")).await.unwrap();
            s.record_commitment_checkin(ctx("2026-11-23"), &commit("a", "2026-11-27")).await.unwrap();
            let mut other = ctx("2026-11-24");
            other.user = UserId(99);
            let c = CommitmentCheckin { which: None, kept: Some(Outcome::Kept), next: None, blocker: None, partner: None };
            let saved = s.record_commitment_checkin(other, &c).await.unwrap();
            assert!(!saved.resolved && saved.previous.is_none(), "another member has nothing open");
            // The other member's check-in records no outcome for a commitment it did not resolve.
            let outcome = crate::storage::test_support::text(&s, "SELECT outcome FROM checkins WHERE user_id = 99").await;
            assert_eq!(outcome, None);
            assert!(s.record_commitment_checkin(ctx("2026-11-24"), &c).await.unwrap().resolved);
            let outcome =
                crate::storage::test_support::text(&s, "SELECT outcome FROM checkins WHERE user_id = 2 AND local_date = '2026-11-24'")
                    .await;
            assert_eq!(outcome.as_deref(), Some("kept"));
            let open = s.open_commitments(crate::domain::ids::TeamKey::default_of(GuildId(1)), UserId(2)).await.unwrap();
            assert_eq!(open.iter().map(|c| c.text.as_str()).collect::<Vec<_>>(), vec!["later"], "the one due first was resolved");
            assert!(s.record_commitment_checkin(ctx("2026-11-25"), &c).await.unwrap().resolved);
            let saved = s.record_commitment_checkin(ctx("2026-11-26"), &c).await.unwrap();
            assert!(!saved.resolved && saved.previous.is_none(), "nothing left open");
        }
    }

    #[tokio::test]
    async fn a_batch_that_fails_half_way_is_rolled_back_and_the_writer_goes_on() {
        for (s, _dir) in stores("a_batch_that_fails_half_way_is_rolled_back_and_the_writer_goes_on").await {
            s.record_commitment_checkin(ctx("2026-11-23"), &commit("a", "2026-11-27")).await.unwrap();
            // The UPDATE and the check-in's INSERT succeed, then the new commitment breaks the
            // schema's length CHECK: the batch stops inside its transaction.
            let mut bad = commit(&"x".repeat(301), "2026-12-04");
            bad.kept = Some(Outcome::Kept);
            assert!(s.record_commitment_checkin(ctx("2026-11-30"), &bad).await.is_err());
            let open = s.open_commitments(crate::domain::ids::TeamKey::default_of(GuildId(1)), UserId(2)).await.unwrap();
            assert_eq!(open.iter().map(|c| c.text.as_str()).collect::<Vec<_>>(), vec!["a"], "the resolve was rolled back");
            assert_eq!(s.count_checkins(None, None).await.unwrap(), 1, "so was the check-in");
            // The writer is not left inside the failed transaction: the next BEGIN works.
            let mut good = commit("b", "2026-12-04");
            good.kept = Some(Outcome::Kept);
            assert!(s.record_commitment_checkin(ctx("2026-11-30"), &good).await.unwrap().resolved);
        }
    }

    #[tokio::test]
    async fn a_connection_dropped_inside_a_transaction_is_closed_not_reused() {
        let (s, _dir) = store().await;
        {
            let mut w = s.writer().await.unwrap();
            w.discard = true;
            sqlx::query("BEGIN IMMEDIATE; INSERT INTO away (guild_id, user_id, start_date, end_date, created_at) VALUES (1, 2, '2026-11-30', '2026-12-04', 0)")
                .execute(&mut *w)
                .await
                .unwrap();
            // Dropped here, as a cancelled caller's future would drop it: no COMMIT ran.
        }
        // A reused connection would still be inside that transaction; a new one is not, and
        // closing the old one rolled its insert back.
        let away: i64 = sqlx::query_scalar("SELECT count(*) FROM away").fetch_one(&mut *s.reader().await.unwrap()).await.unwrap();
        assert_eq!(away, 0);
        s.record_commitment_checkin(ctx("2026-11-23"), &commit("a", "2026-11-27")).await.unwrap();
        assert_eq!(s.count_checkins(None, None).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn retention_and_the_digests_resolved_counts_search_an_index() {
        let (s, _dir) = store().await;
        for sql in [
            "DELETE FROM checkins WHERE guild_id = 1 AND iso_week <= '2026-W48' AND created_at < 5",
            "DELETE FROM commitments WHERE guild_id = 1 AND created_week <= '2026-W48' AND created_at < 5",
            "SELECT count(*) FROM commitments WHERE guild_id = 1 AND resolved_week = '2026-W48' AND status = 'kept'",
        ] {
            let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                .fetch_all(&mut *s.reader().await.unwrap())
                .await
                .unwrap();
            assert!(!plan.is_empty() && plan.iter().all(|r| r.3.starts_with("SEARCH")), "{sql}: {plan:?}");
        }
    }

    #[tokio::test]
    async fn a_second_communication_checkin_the_same_day_replaces_the_first() {
        for (s, _dir) in stores("a_second_communication_checkin_the_same_day_replaces_the_first").await {
            let c = CommunicationCheckin { rating: 2, went_well: Some("demo".into()), improve: None, partner: None };
            let (replaced, weeks) = s.record_communication_checkin(ctx("2026-11-27"), &c).await.unwrap();
            assert!(!replaced);
            // The streak's weeks come back with the write, the new check-in included.
            assert_eq!(weeks.checked.iter().map(ToString::to_string).collect::<Vec<_>>(), vec!["2026-W48"]);
            let c2 = CommunicationCheckin { rating: 4, ..c.clone() };
            assert!(s.record_communication_checkin(ctx("2026-11-27"), &c2).await.unwrap().0);
            assert_eq!(s.count_checkins(Some(GuildId(1)), Some(CheckinKind::Communication)).await.unwrap(), 1);
            let rating = crate::storage::test_support::int(&s, "SELECT rating FROM checkins").await;
            assert_eq!(rating, 4);
            assert!(!s.record_communication_checkin(ctx("2026-11-28"), &c).await.unwrap().0);
            assert_eq!(s.count_checkins(None, None).await.unwrap(), 2);
        }
    }

    #[tokio::test]
    async fn the_schema_refuses_a_rating_on_a_commitments_checkin() {
        for (s, _dir) in stores("the_schema_refuses_a_rating_on_a_commitments_checkin").await {
            let r = crate::storage::test_support::exec(&s, "INSERT INTO checkins (guild_id, user_id, kind, local_date, iso_week, rating, created_at, updated_at) VALUES (1, 2, 'commitments', '2026-11-27', '2026-W48', 3, 0, 0)").await;
            assert!(r.is_err());
        }
    }

    #[tokio::test]
    async fn retention_keeps_open_commitments_and_prunes_old_deliveries_and_time_away() {
        for (s, _dir) in stores("retention_keeps_open_commitments_and_prunes_old_deliveries_and_time_away").await {
            let now = Utc::now();
            let old = now - chrono::Duration::weeks(60);
            let g = GuildId(1);
            s.update_guild(crate::domain::ids::TeamKey::default_of(g), crate::storage::GuildChange::Retention(52), &[], now).await.unwrap();
            let mut then = ctx("2025-10-06");
            then.now = old;
            s.record_commitment_checkin(then, &commit("still open", "2025-10-10")).await.unwrap();
            s.record_commitment_checkin(then, &commit("kept long ago", "2025-10-09")).await.unwrap();
            let kept = CommitmentCheckin { which: None, kept: Some(Outcome::Kept), next: None, blocker: None, partner: None };
            s.record_commitment_checkin(then, &kept).await.unwrap();
            s.set_away(g, UserId(2), "2025-10-01".parse().unwrap(), Some("2025-10-05".parse().unwrap()), old).await.unwrap();
            s.set_away(g, UserId(3), now.date_naive(), Some(now.date_naive() + chrono::Duration::days(3)), now).await.unwrap();
            let key = crate::storage::JobKey::member(crate::storage::JobKind::Reminder, g, UserId(2));
            s.put_job(crate::storage::JobUpdate::new(key, old, old.date_naive())).await.unwrap();
            let job = s.job(key).await.unwrap().unwrap();
            s.begin_delivery(key, "2025-W41", old).await.unwrap();
            s.finish_delivery(&job, "2025-W41", crate::storage::DeliveryOutcome::Skipped { reason: "away" }, None, old).await.unwrap();
            s.begin_delivery(key, "2026-W48", now).await.unwrap();

            // Interaction claims an hour old go whatever the guild's retention; a recent one stays.
            s.claim_interaction(7, now - chrono::Duration::hours(2)).await.unwrap();
            s.claim_interaction(8, now).await.unwrap();
            s.apply_retention(now).await.unwrap();
            assert!(s.claim_interaction(7, now).await.unwrap(), "an old claim is pruned");
            assert!(!s.claim_interaction(8, now).await.unwrap(), "a recent one is kept");
            let open = s.open_commitments(crate::domain::ids::TeamKey::default_of(g), UserId(2)).await.unwrap();
            assert_eq!(open.iter().map(|c| c.text.as_str()).collect::<Vec<_>>(), vec!["still open"], "an open promise is never deleted");
            assert!(
                s.commitments_of(crate::domain::ids::TeamKey::default_of(g), UserId(2), 5).await.unwrap().1.is_empty(),
                "the old resolved one is gone"
            );
            assert_eq!(s.count_checkins(Some(g), None).await.unwrap(), 0);
            assert_eq!(s.delivery(key, "2025-W41").await.unwrap(), None, "an old delivery record is pruned");
            assert!(s.delivery(key, "2026-W48").await.unwrap().is_some(), "a recent one stays");
            assert!(s.member_away(g, UserId(2)).await.unwrap().is_empty(), "time away that ended long ago is pruned");
            assert_eq!(s.member_away(g, UserId(3)).await.unwrap().len(), 1);
        }
    }

    #[tokio::test]
    async fn which_chooses_the_commitment_kept_resolves_and_undo_puts_it_all_back() {
        for (s, _dir) in stores("which_chooses_the_commitment_kept_resolves_and_undo_puts_it_all_back").await {
            s.record_commitment_checkin(ctx("2026-11-23"), &commit("first due", "2026-11-25")).await.unwrap();
            let later = s.record_commitment_checkin(ctx("2026-11-23"), &commit("due later", "2026-11-27")).await.unwrap().new_commitment;
            let mut c = commit("the next one", "2026-12-04");
            c.kept = Some(Outcome::Partly);
            c.which = later;
            let saved = s.record_commitment_checkin(ctx("2026-11-26"), &c).await.unwrap();
            assert!(saved.resolved);
            assert_eq!(saved.previous.map(|p| p.text), Some("due later".to_owned()), "the chosen one, not the one due first");
            let open: Vec<String> = s
                .open_commitments(crate::domain::ids::TeamKey::default_of(GuildId(1)), UserId(2))
                .await
                .unwrap()
                .into_iter()
                .map(|c| c.text)
                .collect();
            assert_eq!(open, vec!["first due", "the next one"]);
            // A `which` that is not one of the member's open commitments resolves nothing.
            let mut other = c.clone();
            other.next = None;
            other.which = later;
            assert!(!s.record_commitment_checkin(ctx("2026-11-26"), &other).await.unwrap().resolved);

            // Undo takes the latest check-in of the day: `other` (it changed nothing else) ...
            let u = s
                .undo_last_checkin(
                    crate::domain::ids::TeamKey::default_of(GuildId(1)),
                    UserId(2),
                    "2026-11-26".parse().unwrap(),
                    chrono::Utc::now(),
                )
                .await
                .unwrap()
                .unwrap();
            assert_eq!((u.reopened, u.removed), (None, None));
            // ... then `c`: "due later" opens again, "the next one" is gone.
            let u = s
                .undo_last_checkin(
                    crate::domain::ids::TeamKey::default_of(GuildId(1)),
                    UserId(2),
                    "2026-11-26".parse().unwrap(),
                    chrono::Utc::now(),
                )
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                (u.kind, u.reopened.as_deref(), u.removed.as_deref()),
                (CheckinKind::Commitments, Some("due later"), Some("the next one"))
            );
            let open: Vec<String> = s
                .open_commitments(crate::domain::ids::TeamKey::default_of(GuildId(1)), UserId(2))
                .await
                .unwrap()
                .into_iter()
                .map(|c| c.text)
                .collect();
            assert_eq!(open, vec!["first due", "due later"]);
            assert_eq!(s.count_checkins(None, None).await.unwrap(), 2);
            assert_eq!(
                s.undo_last_checkin(
                    crate::domain::ids::TeamKey::default_of(GuildId(1)),
                    UserId(2),
                    "2026-11-26".parse().unwrap(),
                    chrono::Utc::now()
                )
                .await
                .unwrap(),
                None,
                "nothing left that day"
            );
        }
    }
}
