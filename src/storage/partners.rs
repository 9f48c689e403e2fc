//! The partner's side of a commitment, the work the bot still owes each commitment (DMs to
//! the partner, its board message) and board messages to remove.

use chrono::{DateTime, NaiveDate, Utc};

use super::{from_ts, ts, JobKind, Result, Store};
use crate::domain::checkin::Outcome;
use crate::domain::ids::{ChannelId, GuildId, MessageId, TeamId, TeamKey, UserId};
use crate::domain::time::IsoWeek;

/// The partner's answer to "do you agree to this commitment?".
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Agreement {
    /// They agreed.
    Agreed,
    /// They want to talk it over first (the member was told).
    Talk,
}

impl Agreement {
    /// Database name.
    pub fn as_str(self) -> &'static str {
        match self {
            Agreement::Agreed => "agreed",
            Agreement::Talk => "talk",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "agreed" => Some(Agreement::Agreed),
            "talk" => Some(Agreement::Talk),
            _ => None,
        }
    }
}

/// Why a partner is not asked (again).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unreachable {
    /// Not in the server (Discord said so).
    Left,
    /// Their DMs are closed to the bot.
    DmsClosed,
    /// A bot account.
    Bot,
}

impl Unreachable {
    /// Database name.
    pub fn as_str(self) -> &'static str {
        match self {
            Unreachable::Left => "left",
            Unreachable::DmsClosed => "dms_closed",
            Unreachable::Bot => "bot",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "left" => Some(Unreachable::Left),
            "dms_closed" => Some(Unreachable::DmsClosed),
            "bot" => Some(Unreachable::Bot),
            _ => None,
        }
    }
}

/// The partner's view of one commitment, beside the member's own.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PartnerView {
    /// The partner.
    pub partner: UserId,
    /// Their answer to the agree DM.
    pub agreement: Option<Agreement>,
    /// When they answered it.
    pub agreed_at: Option<DateTime<Utc>>,
    /// Whether it was kept, in their eyes.
    pub verdict: Option<Outcome>,
    /// When they said so.
    pub verdict_at: Option<DateTime<Utc>>,
    /// Why they are not asked, if they are not.
    pub unreachable: Option<Unreachable>,
}

type ViewRow = (i64, i64, Option<String>, Option<i64>, Option<String>, Option<i64>, Option<String>);

fn view_of(r: ViewRow) -> (i64, PartnerView) {
    let (id, partner, agreement, agreed_at, verdict, verdict_at, unreachable) = r;
    (
        id,
        PartnerView {
            partner: UserId::from_db(partner),
            agreement: agreement.as_deref().and_then(Agreement::parse),
            agreed_at: agreed_at.map(from_ts),
            verdict: verdict.as_deref().and_then(Outcome::from_status),
            verdict_at: verdict_at.map(from_ts),
            unreachable: unreachable.as_deref().and_then(Unreachable::parse),
        },
    )
}

const VIEW_COLUMNS: &str = "commitment_id, partner_id, agreement, agreed_at, verdict, verdict_at, unreachable";

/// What the bot still owes a commitment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TaskKind {
    /// The partner's agree DM.
    Ask,
    /// The partner's "was it kept?" DM.
    Check,
    /// Telling the member the partner wants to talk.
    Talk,
    /// Posting or editing the commitment's board message.
    Board,
}

impl TaskKind {
    /// Database name.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::Ask => "ask",
            TaskKind::Check => "check",
            TaskKind::Talk => "talk",
            TaskKind::Board => "board",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "ask" => TaskKind::Ask,
            "check" => TaskKind::Check,
            "talk" => TaskKind::Talk,
            "board" => TaskKind::Board,
            _ => return None,
        })
    }
}

/// One due task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Task {
    /// The commitment.
    pub commitment: i64,
    /// What to do.
    pub kind: TaskKind,
    /// Its team.
    pub team: TeamKey,
    /// When it was due, as read (a retry moves it only from there).
    pub due_at: DateTime<Utc>,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Its version: queued again since it was read, it is not finished by this run.
    pub queued: i64,
}

/// A commitment as its tasks need it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskCommitment {
    /// Its id.
    pub id: i64,
    /// Its team.
    pub team: TeamKey,
    /// Who made it.
    pub user: UserId,
    /// What.
    pub text: String,
    /// By when.
    pub due: NaiveDate,
    /// To whom (as stored: `/forget` of the partner clears it).
    pub partner: Option<UserId>,
    /// Kept off the board.
    pub private: bool,
    /// How it ended; `None` while open.
    pub outcome: Option<Outcome>,
    /// The team's week it was made in (its board thread's week).
    pub created_week: IsoWeek,
    /// The partner's side, if the partner is asked.
    pub view: Option<PartnerView>,
}

/// A board message to delete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoardRemoval {
    /// The guild.
    pub guild: GuildId,
    /// The board thread.
    pub channel: ChannelId,
    /// The message.
    pub message: MessageId,
    /// Failed attempts so far.
    pub attempts: u32,
}

/// Which of the partner's two answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PartnerAnswerKind {
    Agreement(Agreement),
    Verdict(Outcome),
}

/// What a partner's click changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PartnerAnswer {
    /// Recorded.
    Recorded(TaskCommitment),
    /// The commitment is gone (undone, forgotten, retention, its team deleted).
    Gone,
    /// The clicker is not the commitment's partner (any more).
    NotPartner,
}

// Shared by both backends: `$N` placeholders and statements both dialects read alike (see
// `schedule.rs`). `private` is INTEGER on SQLite and BOOLEAN on PostgreSQL: it is read and
// bound as a `bool`, which each driver maps to its own column type.

const FINISH_TASK_SQL: &str = "DELETE FROM commitment_tasks WHERE commitment_id = $1 AND task = $2 AND queued = $3";
const RETRY_TASK_SQL: &str = "UPDATE commitment_tasks SET attempts = attempts + $1, due_at = $2, claimed_by = NULL, claimed_until = NULL \
     WHERE commitment_id = $3 AND task = $4 AND queued = $5";
const UNREACHABLE_SQL: &str = "UPDATE partner_views SET unreachable = $1 WHERE commitment_id = $2";
const AGREEMENT_SQL: &str = "UPDATE partner_views SET agreement = $1, agreed_at = $2 WHERE commitment_id = $3";
const VERDICT_SQL: &str = "UPDATE partner_views SET verdict = $1, verdict_at = $2 WHERE commitment_id = $3";
const TALK_SQL: &str = "INSERT INTO commitment_tasks (commitment_id, task, guild_id, team_id, due_at) VALUES ($1, 'talk', $2, $3, $4) \
     ON CONFLICT DO NOTHING";
const REMOVAL_DONE_SQL: &str = "DELETE FROM board_removals WHERE channel_id = $1 AND message_id = $2";
const REMOVAL_RETRY_SQL: &str = "UPDATE board_removals SET attempts = attempts + 1, due_at = $1, claimed_by = NULL, claimed_until = NULL WHERE channel_id = $2 AND message_id = $3";
const RESET_BOARD_SQL: &str =
    "DELETE FROM deliveries WHERE kind = 'board-week' AND guild_id = $1 AND team_id = $2 AND status IN ('failed', 'skipped')";
const TASK_COMMITMENT_SQL: &str =
    "SELECT guild_id, team_id, user_id, text, due_date, partner_id, private, status, created_week FROM commitments WHERE id = $1";
const VIEW_SQL: &str =
    "SELECT commitment_id, partner_id, agreement, agreed_at, verdict, verdict_at, unreachable FROM partner_views WHERE commitment_id = $1";
/// An edit of the commitment `$2`'s board message at `$1`, if it has one still shown (or one
/// being posted).
pub(super) const BOARD_EDIT_SQL: &str = "INSERT INTO commitment_tasks (commitment_id, task, guild_id, team_id, due_at) \
     SELECT c.id, 'board', c.guild_id, c.team_id, $1 FROM commitments c WHERE c.id = $2 \
     AND (EXISTS (SELECT 1 FROM deliveries d WHERE d.kind = 'board' AND d.guild_id = c.guild_id AND d.team_id = c.team_id \
     AND d.user_id = c.user_id AND d.period = CAST(c.id AS TEXT) AND d.status IN ('pending', 'sent')) \
     OR EXISTS (SELECT 1 FROM commitment_tasks t WHERE t.commitment_id = c.id AND t.task = 'board')) \
     ON CONFLICT (commitment_id, task) DO UPDATE SET due_at = excluded.due_at, queued = commitment_tasks.queued + 1";

/// A commitment and its partner's side (a [`TaskCommitment`]) read on `$conn`, a connection
/// or transaction of either backend.
macro_rules! task_commitment {
    ($conn:expr, $id:expr) => {{
        let (conn, id): (_, i64) = ($conn, $id);
        type Row = (i64, i64, i64, String, String, Option<i64>, bool, String, String);
        let row: Option<Row> = sqlx::query_as(TASK_COMMITMENT_SQL).bind(id).fetch_optional(&mut *conn).await?;
        match row {
            None => None,
            Some((g, t, u, text, due, partner, private, status, week)) => {
                let view: Option<ViewRow> = sqlx::query_as(VIEW_SQL).bind(id).fetch_optional(&mut *conn).await?;
                Some(TaskCommitment {
                    id,
                    team: TeamKey::new(GuildId::from_db(g), TeamId::from_db(t)),
                    user: UserId::from_db(u),
                    text,
                    due: due.parse().unwrap_or_default(),
                    partner: partner.map(UserId::from_db),
                    private,
                    outcome: Outcome::from_status(&status),
                    created_week: IsoWeek::parse(&week).unwrap_or_else(|| IsoWeek::of(NaiveDate::default())),
                    view: view.map(|v| view_of(v).1),
                })
            }
        }
    }};
}

/// Queues an edit of the commitment's board message, if it has one still shown; on either
/// backend's connection.
macro_rules! queue_board_edit {
    ($conn:expr, $commitment:expr, $now:expr) => {{
        let (commitment, now): (i64, i64) = ($commitment, $now);
        sqlx::query($crate::storage::partners::BOARD_EDIT_SQL).bind(now).bind(commitment).execute(&mut *$conn).await?;
    }};
}

/// Queues the deletion of the messages of `$kind` (`board`, `thanks`) whose delivery records
/// match `$condition` (SQL on `deliveries`, built by the callers from integers only) and
/// deletes those records: the messages go from Discord (the scheduler deletes them), their
/// records now. On either backend's connection.
macro_rules! queue_message_removals {
    ($conn:expr, $kind:expr, $guild:expr, $condition:expr, $now:expr) => {{
        let (kind, guild, condition, now): (&str, i64, &str, i64) = ($kind, $guild, $condition, $now);
        let conn = $conn;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO board_removals (channel_id, message_id, guild_id, due_at) \
             SELECT channel_id, message_id, guild_id, $1 FROM deliveries WHERE kind = $2 AND guild_id = $3 AND status = 'sent' \
             AND channel_id IS NOT NULL AND message_id IS NOT NULL AND ({condition}) ON CONFLICT DO NOTHING"
        )))
        .bind(now)
        .bind(kind)
        .bind(guild)
        .execute(&mut *conn)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM deliveries WHERE kind = $1 AND guild_id = $2 AND ({condition})")))
            .bind(kind)
            .bind(guild)
            .execute(&mut *conn)
            .await?;
    }};
}

/// What goes with a deleted commitment: its partner's side, its pending work, and its board
/// message (queued for deletion; its record goes). Evaluates to how many partner views went.
macro_rules! drop_commitment_extras {
    ($conn:expr, $guild:expr, $commitment:expr, $now:expr) => {{
        let (guild, commitment, now): (GuildId, i64, i64) = ($guild, $commitment, $now);
        let conn = $conn;
        let views =
            sqlx::query("DELETE FROM partner_views WHERE commitment_id = $1").bind(commitment).execute(&mut *conn).await?.rows_affected();
        sqlx::query("DELETE FROM commitment_tasks WHERE commitment_id = $1").bind(commitment).execute(&mut *conn).await?;
        queue_message_removals!(&mut *conn, "board", guild.to_db(), &format!("period = '{commitment}'"), now);
        views
    }};
}

impl Store {
    /// Tasks due at `now`, oldest first, claimed by this store (see [`super::claim_sql`]).
    pub async fn due_tasks(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<Task>> {
        if !self.any_due("commitment_tasks", now).await? {
            return Ok(Vec::new());
        }
        // The limit is written in, not bound: SQLite re-prepares a statement that binds it.
        let sql = super::claim_sql(
            "commitment_tasks",
            "commitment_id, task",
            "commitment_id, task, guild_id, team_id, due_at, attempts, queued",
            limit,
            self.shards(),
        );
        let (owner, until, now) = self.claim_args(now);
        let mut rows: Vec<(i64, String, i64, i64, i64, i64, i64)> =
            with_conn!(self, writer, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(&owner).bind(until).bind(now).fetch_all(c).await?);
        rows.sort_by_key(|r| (r.4, r.0));
        Ok(rows
            .into_iter()
            .filter_map(|(c, kind, g, t, due, attempts, queued)| {
                Some(Task {
                    commitment: c,
                    kind: TaskKind::parse(&kind)?,
                    team: TeamKey::new(GuildId::from_db(g), TeamId::from_db(t)),
                    due_at: from_ts(due),
                    attempts: attempts.max(0) as u32,
                    queued,
                })
            })
            .collect())
    }

    /// A task is done (or moot): it goes, unless it was queued again since it was read.
    pub async fn finish_task(&self, task: &Task) -> Result<()> {
        with_conn!(self, writer, |c| sqlx::query(FINISH_TASK_SQL)
            .bind(task.commitment)
            .bind(task.kind.as_str())
            .bind(task.queued)
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// A task failed in a way worth retrying: one more attempt, at `at`. Only the version
    /// it read: one queued again meanwhile is due as it was queued.
    pub async fn retry_task(&self, task: &Task, at: DateTime<Utc>, count: bool) -> Result<()> {
        with_conn!(self, writer, |c| sqlx::query(RETRY_TASK_SQL)
            .bind(i64::from(count))
            .bind(ts(at))
            .bind(task.commitment)
            .bind(task.kind.as_str())
            .bind(task.queued)
            .execute(c)
            .await?
            .rows_affected());
        let kind = match task.kind {
            TaskKind::Ask => JobKind::PartnerAsk,
            TaskKind::Check => JobKind::PartnerCheck,
            TaskKind::Talk => JobKind::PartnerTalk,
            TaskKind::Board => JobKind::Board,
        };
        super::schedule::count_delivery(kind, "retried");
        Ok(())
    }

    /// A commitment and its partner's side, for its tasks.
    pub async fn task_commitment(&self, id: i64) -> Result<Option<TaskCommitment>> {
        Ok(with_conn!(self, reader, |c| task_commitment!(c, id)))
    }

    /// The partner will not be asked (again), and why.
    pub async fn mark_unreachable(&self, commitment: i64, why: Unreachable) -> Result<()> {
        with_conn!(self, writer, |c| sqlx::query(UNREACHABLE_SQL).bind(why.as_str()).bind(commitment).execute(c).await?.rows_affected());
        Ok(())
    }

    /// The partner's answer to the agree DM, checked against the database: only the
    /// commitment's partner, only while it exists. "Let's talk" queues the DM to the member
    /// (once: a second click finds it queued or delivered); either answer updates the board.
    pub async fn record_agreement(&self, commitment: i64, partner: UserId, a: Agreement, now: DateTime<Utc>) -> Result<PartnerAnswer> {
        self.record_answer(commitment, partner, PartnerAnswerKind::Agreement(a), now).await
    }

    /// The partner's answer to "was it kept?", checked as [`Store::record_agreement`] is. A
    /// later answer replaces an earlier one (and once it is given, the pending DM asking it
    /// is not sent: its task sees the verdict).
    pub async fn record_verdict(&self, commitment: i64, partner: UserId, verdict: Outcome, now: DateTime<Utc>) -> Result<PartnerAnswer> {
        self.record_answer(commitment, partner, PartnerAnswerKind::Verdict(verdict), now).await
    }

    async fn record_answer(
        &self,
        commitment: i64,
        partner: UserId,
        answer: PartnerAnswerKind,
        now: DateTime<Utc>,
    ) -> Result<PartnerAnswer> {
        Ok(with_tx!(self, |tx| {
            match task_commitment!(&mut *tx, commitment) {
                None => PartnerAnswer::Gone,
                Some(c) if c.view.as_ref().map(|v| v.partner) != Some(partner) || c.partner != Some(partner) => PartnerAnswer::NotPartner,
                Some(c) => {
                    let (sql, value) = match answer {
                        PartnerAnswerKind::Agreement(a) => (AGREEMENT_SQL, a.as_str()),
                        PartnerAnswerKind::Verdict(v) => (VERDICT_SQL, v.status()),
                    };
                    sqlx::query(sql).bind(value).bind(ts(now)).bind(commitment).execute(&mut *tx).await?;
                    if answer == PartnerAnswerKind::Agreement(Agreement::Talk) {
                        sqlx::query(TALK_SQL)
                            .bind(commitment)
                            .bind(c.team.guild.to_db())
                            .bind(c.team.team.to_db())
                            .bind(ts(now))
                            .execute(&mut *tx)
                            .await?;
                    }
                    queue_board_edit!(&mut *tx, commitment, ts(now));
                    PartnerAnswer::Recorded(task_commitment!(&mut *tx, commitment).ok_or(sqlx::Error::RowNotFound)?)
                }
            }
        }))
    }

    /// The partner's side of these commitments (those with one), for `/commitments`.
    pub async fn partner_views(&self, ids: &[i64]) -> Result<std::collections::HashMap<i64, PartnerView>> {
        if ids.is_empty() {
            return Ok(Default::default());
        }
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        // The ids are integers from the database, written in as digits.
        let sql = format!("SELECT {VIEW_COLUMNS} FROM partner_views WHERE commitment_id IN ({list})");
        let rows: Vec<ViewRow> = with_conn!(self, reader, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(c).await?);
        Ok(rows.into_iter().map(view_of).collect())
    }

    /// Board messages due for deletion, claimed by this store (see [`super::claim_sql`]).
    pub async fn due_board_removals(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<BoardRemoval>> {
        if !self.any_due("board_removals", now).await? {
            return Ok(Vec::new());
        }
        let sql = super::claim_sql(
            "board_removals",
            "channel_id, message_id",
            "guild_id, channel_id, message_id, attempts, due_at",
            limit,
            self.shards(),
        );
        let (owner, until, now) = self.claim_args(now);
        let mut rows: Vec<(i64, i64, i64, i64, i64)> =
            with_conn!(self, writer, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(&owner).bind(until).bind(now).fetch_all(c).await?);
        rows.sort_by_key(|r| (r.4, r.1, r.2));
        Ok(rows
            .into_iter()
            .map(|(g, c, m, a, _)| BoardRemoval {
                guild: GuildId::from_db(g),
                channel: ChannelId::from_db(c),
                message: MessageId::from_db(m),
                attempts: a.max(0) as u32,
            })
            .collect())
    }

    /// A board message is deleted (or was already): its removal goes; `retry_at` keeps it
    /// for another attempt instead.
    pub async fn board_removal_done(&self, r: &BoardRemoval, retry_at: Option<DateTime<Utc>>) -> Result<()> {
        let (channel, message) = (r.channel.to_db(), r.message.to_db());
        with_conn!(self, writer, |c| match retry_at {
            None => sqlx::query(REMOVAL_DONE_SQL).bind(channel).bind(message).execute(c).await?.rows_affected(),
            Some(at) => sqlx::query(REMOVAL_RETRY_SQL).bind(ts(at)).bind(channel).bind(message).execute(c).await?.rows_affected(),
        });
        Ok(())
    }

    /// `/setup board` again: the week's thread may be opened anew where it failed before (a
    /// permission since granted).
    pub async fn reset_board_failures(&self, team: TeamKey) -> Result<()> {
        with_conn!(self, writer, |c| sqlx::query(RESET_BOARD_SQL)
            .bind(team.guild.to_db())
            .bind(team.team.to_db())
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::storage::test_support::stores;
    use crate::storage::{CheckinContext, CommitmentCheckin, DeliveryOutcome, DigestSpans, JobKey, JobKind, NewCommitment};

    const G: GuildId = GuildId(1);

    fn team() -> TeamKey {
        TeamKey::default_of(G)
    }

    fn at(day: &str, hour: u32) -> DateTime<Utc> {
        let d: NaiveDate = day.parse().unwrap();
        Utc.from_utc_datetime(&d.and_hms_opt(hour, 0, 0).unwrap())
    }

    fn ctx(user: u64, day: &str) -> CheckinContext {
        let local_date: NaiveDate = day.parse().unwrap();
        CheckinContext { guild: G, team: TeamId::DEFAULT, user: UserId(user), local_date, week: IsoWeek::of(local_date), now: at(day, 9) }
    }

    /// Member `user` commits to `partner` on `day`, due two days later; returns its id.
    async fn commit_to(s: &Store, user: u64, partner: u64, day: &str, board: bool) -> i64 {
        let c = ctx(user, day);
        let due = c.local_date + chrono::Days::new(2);
        let next = NewCommitment {
            text: format!("promise of {user}"),
            due,
            partner: Some(UserId(partner)),
            partner_check_at: Some(at(&(due + chrono::Days::new(2)).to_string(), 10)),
            board,
            ..Default::default()
        };
        let checkin = CommitmentCheckin { kept: None, which: None, next: Some(next), blocker: None, partner: Some(UserId(partner)) };
        s.record_commitment_checkin(c, &checkin).await.unwrap().new_commitment.unwrap()
    }

    async fn resolve(s: &Store, user: u64, day: &str, how: Outcome) {
        let checkin = CommitmentCheckin { kept: Some(how), which: None, next: None, blocker: None, partner: None };
        s.record_commitment_checkin(ctx(user, day), &checkin).await.unwrap();
    }

    async fn tasks(s: &Store) -> Vec<(i64, String, i64)> {
        let read = async {
            Ok::<_, crate::storage::Error>(with_conn!(s, reader, |c| sqlx::query_as(
                "SELECT commitment_id, task, due_at FROM commitment_tasks ORDER BY commitment_id, task"
            )
            .fetch_all(c)
            .await?))
        };
        read.await.unwrap()
    }

    #[tokio::test]
    async fn a_commitment_to_a_partner_asks_now_and_checks_after_its_due_date_or_when_resolved() {
        for (s, _dir) in stores("a_commitment_to_a_partner_asks_now_and_checks_after_its_due_date_or_when_resolved").await {
            let id = commit_to(&s, 2, 3, "2026-11-23", false).await;
            let check_at = at("2026-11-27", 10);
            assert_eq!(
                tasks(&s).await,
                vec![(id, "ask".into(), super::ts(at("2026-11-23", 9))), (id, "check".into(), super::ts(check_at))],
                "no board task without a board"
            );
            let c = s.task_commitment(id).await.unwrap().unwrap();
            assert_eq!((c.partner, c.private), (Some(UserId(3)), false));
            assert_eq!(c.view.as_ref().map(|v| (v.partner, v.agreement, v.verdict)), Some((UserId(3), None, None)));
            assert_eq!(s.due_tasks(at("2026-11-23", 9), 10).await.unwrap().len(), 1, "only the ask is due");

            // Resolved early: the check is due at once. Undone: back to two days after the due date.
            resolve(&s, 2, "2026-11-24", Outcome::Kept).await;
            assert_eq!(tasks(&s).await[1], (id, "check".into(), super::ts(at("2026-11-24", 9))));
            s.undo_last_checkin(team(), UserId(2), "2026-11-24".parse().unwrap(), at("2026-11-24", 9)).await.unwrap().unwrap();
            assert_eq!(tasks(&s).await[1], (id, "check".into(), super::ts(check_at)));

            // Undoing the check-in that made it takes its partner's side and its work with it.
            s.undo_last_checkin(team(), UserId(2), "2026-11-23".parse().unwrap(), at("2026-11-23", 9)).await.unwrap().unwrap();
            assert!(tasks(&s).await.is_empty());
            assert_eq!(s.task_commitment(id).await.unwrap(), None);
            assert!(s.partner_views(&[id]).await.unwrap().is_empty());
            // A new commitment never takes the deleted one's id: the DM records and buttons that
            // name that id must not come to mean another commitment.
            let again = commit_to(&s, 2, 3, "2026-11-23", false).await;
            assert!(again > id, "{again} reused {id}");
        }
    }

    #[tokio::test]
    async fn only_the_partner_answers_and_talk_is_queued_once() {
        for (s, _dir) in stores("only_the_partner_answers_and_talk_is_queued_once").await {
            let id = commit_to(&s, 2, 3, "2026-11-23", false).await;
            let now = at("2026-11-23", 12);
            assert_eq!(s.record_agreement(id, UserId(4), Agreement::Agreed, now).await.unwrap(), PartnerAnswer::NotPartner);
            assert_eq!(
                s.record_agreement(id, UserId(2), Agreement::Agreed, now).await.unwrap(),
                PartnerAnswer::NotPartner,
                "not the maker"
            );
            assert_eq!(s.record_agreement(id + 1, UserId(3), Agreement::Agreed, now).await.unwrap(), PartnerAnswer::Gone);
            for _ in 0..2 {
                assert!(matches!(s.record_agreement(id, UserId(3), Agreement::Talk, now).await.unwrap(), PartnerAnswer::Recorded(_)));
            }
            let talks = tasks(&s).await.into_iter().filter(|t| t.1 == "talk").count();
            assert_eq!(talks, 1);
            let PartnerAnswer::Recorded(c) = s.record_verdict(id, UserId(3), Outcome::Partly, now).await.unwrap() else { panic!() };
            let view = c.view.unwrap();
            assert_eq!((view.agreement, view.verdict, view.verdict_at), (Some(Agreement::Talk), Some(Outcome::Partly), Some(now)));
            // Unanswered, nobody had a board message: no board task was queued.
            assert!(tasks(&s).await.iter().all(|t| t.1 != "board"));
        }
    }

    #[tokio::test]
    async fn a_resolution_or_an_answer_queues_an_edit_of_the_board_message_only_when_there_is_one() {
        for (s, _dir) in stores("a_resolution_or_an_answer_queues_an_edit_of_the_board_message_only_when_there_is_one").await {
            let id = commit_to(&s, 2, 3, "2026-11-23", true).await;
            assert!(tasks(&s).await.iter().any(|t| t.1 == "board"));
            s.finish_task(&Task { commitment: id, kind: TaskKind::Board, team: team(), due_at: Utc::now(), attempts: 0, queued: 0 })
                .await
                .unwrap();
            let key = JobKey { kind: JobKind::Board, guild: G, team: TeamId::DEFAULT, user: UserId(2) };
            s.begin_delivery(key, &id.to_string(), Utc::now()).await.unwrap();
            let sent = DeliveryOutcome::Sent { channel: ChannelId(70), message: MessageId(71), principle: None };
            s.record_delivery(key, &id.to_string(), sent, Utc::now()).await.unwrap();
            assert_eq!(s.delivery(key, &id.to_string()).await.unwrap().map(|d| d.status), Some(crate::storage::DeliveryStatus::Sent));
            resolve(&s, 2, "2026-11-24", Outcome::Missed).await;
            assert!(tasks(&s).await.iter().any(|t| t.0 == id && t.1 == "board"), "the resolution is shown on the board");

            // Forgetting the member queues their board message for deletion.
            let f = s.forget_member(G, UserId(2), at("2026-11-25", 9)).await.unwrap();
            assert_eq!((f.partner_answers_received, f.partner_answers_given), (0, 0), "the partner never answered: no answer to count");
            let removals = s.due_board_removals(at("2026-11-25", 9), 10).await.unwrap();
            assert_eq!(removals.iter().map(|r| (r.channel, r.message)).collect::<Vec<_>>(), vec![(ChannelId(70), MessageId(71))]);
            assert!(tasks(&s).await.is_empty());
        }
    }

    #[tokio::test]
    async fn a_task_queued_again_while_it_runs_is_not_finished_by_that_run() {
        for (s, _dir) in stores("a_task_queued_again_while_it_runs_is_not_finished_by_that_run").await {
            let id = commit_to(&s, 2, 3, "2026-11-23", true).await;
            let now = at("2026-11-23", 9);
            let read = s.due_tasks(now, 10).await.unwrap().into_iter().find(|t| t.kind == TaskKind::Board).unwrap();
            // While its message is being posted, the partner answers: the board needs an edit.
            let queue = async || -> Result<()> {
                with_conn!(s, writer, |w| queue_board_edit!(w, id, super::ts(now)));
                Ok(())
            };
            queue().await.unwrap();
            crate::storage::test_support::exec(
                &s,
                &format!(
                    "INSERT INTO deliveries (kind, guild_id, team_id, user_id, period, status, created_at, updated_at) \
                     VALUES ('board', 1, 0, 2, '{id}', 'pending', 0, 0)"
                ),
            )
            .await
            .unwrap();
            queue().await.unwrap();
            s.finish_task(&read).await.unwrap();
            assert!(tasks(&s).await.iter().any(|t| t.1 == "board"), "the edit queued meanwhile still runs");
        }
    }

    #[tokio::test]
    async fn retention_takes_the_partner_side_and_the_work_of_the_commitments_it_deletes() {
        for (s, _dir) in stores("retention_takes_the_partner_side_and_the_work_of_the_commitments_it_deletes").await {
            let old = commit_to(&s, 2, 3, "2024-01-08", false).await;
            resolve(&s, 2, "2024-01-09", Outcome::Kept).await;
            let recent = commit_to(&s, 4, 3, "2026-11-23", false).await;
            s.update_guild(team(), crate::storage::GuildChange::Retention(52), &[], at("2026-11-23", 9)).await.unwrap();
            s.apply_retention(at("2026-11-25", 9)).await.unwrap();
            assert_eq!(s.task_commitment(old).await.unwrap(), None);
            assert!(s.partner_views(&[old]).await.unwrap().is_empty(), "its partner's side went with it");
            assert!(tasks(&s).await.iter().all(|t| t.0 != old), "and its pending work");
            assert_eq!(s.partner_views(&[recent]).await.unwrap().len(), 1, "a recent one stays");
        }
    }

    #[tokio::test]
    async fn forgetting_a_partner_deletes_the_answers_they_gave_and_stops_asking_them() {
        for (s, _dir) in stores("forgetting_a_partner_deletes_the_answers_they_gave_and_stops_asking_them").await {
            let id = commit_to(&s, 2, 3, "2026-11-23", false).await;
            s.record_agreement(id, UserId(3), Agreement::Agreed, at("2026-11-23", 12)).await.unwrap();
            let f = s.forget_member(G, UserId(3), at("2026-11-24", 9)).await.unwrap();
            assert_eq!((f.partner_answers_given, f.partner_answers_received), (1, 0));
            assert!(s.partner_views(&[id]).await.unwrap().is_empty());
            assert!(tasks(&s).await.is_empty(), "nothing more is asked of them");
            assert_eq!(s.task_commitment(id).await.unwrap().unwrap().partner, None);
        }
    }

    #[tokio::test]
    async fn the_digest_counts_partner_answers_and_the_people_behind_them() {
        for (s, _dir) in stores("the_digest_counts_partner_answers_and_the_people_behind_them").await {
            // W48: members 2, 3, 4 commit to partners 12, 13, 12 and resolve; partners 12 and 13
            // answer (agreeing twice with the maker, once not).
            let mut ids = Vec::new();
            for (user, partner) in [(2, 12), (3, 13), (4, 12)] {
                ids.push(commit_to(&s, user, partner, "2026-11-23", false).await);
                resolve(&s, user, "2026-11-25", Outcome::Kept).await;
            }
            let now = at("2026-11-26", 9);
            s.record_verdict(ids[0], UserId(12), Outcome::Kept, now).await.unwrap();
            s.record_verdict(ids[1], UserId(13), Outcome::Partly, now).await.unwrap();
            s.record_verdict(ids[2], UserId(12), Outcome::Kept, now).await.unwrap();
            let spans = DigestSpans {
                week: IsoWeek::parse("2026-W48").unwrap(),
                overdue_before: "2026-11-27".parse().unwrap(),
                members_from: IsoWeek::parse("2026-W45").unwrap(),
                away: ("2026-11-23".parse().unwrap(), "2026-11-29".parse().unwrap()),
                posts: ("2026-11-23".parse().unwrap(), "2026-11-29".parse().unwrap()),
            };
            let r = s.digest_reads(team(), spans).await.unwrap();
            let p = r.this.partners;
            assert_eq!((p.with_partner, p.makers, p.confirmed, p.agreed), (3, 3, 3, 2));
            assert_eq!(p.confirmers, 2, "two different partners answered: counted in people, not answers");
            assert_eq!(p.confirmed_makers, 3);
            // Commitments resolved in another week or without a partner asked are not counted.
            let last = s.digest_reads(team(), DigestSpans { week: IsoWeek::parse("2026-W47").unwrap(), ..spans }).await.unwrap();
            assert_eq!(last.this.partners, Default::default());
        }
    }
}
