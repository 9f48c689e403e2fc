//! The team charter (goals and working agreements, proposed, voted on, adopted, reviewed)
//! and public thanks; and the queue of the messages they need (`team_posts`).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::{from_ts, ts, Result, Store};
use crate::domain::ids::{ChannelId, GuildId, TeamId, TeamKey, UserId};
use crate::domain::time::IsoWeek;

/// A common goal or a working agreement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CharterKind {
    /// A common goal (principle 1).
    Goal,
    /// A working agreement (principle 5).
    Agreement,
}

impl CharterKind {
    /// Database and choice name.
    pub fn as_str(self) -> &'static str {
        match self {
            CharterKind::Goal => "goal",
            CharterKind::Agreement => "agreement",
        }
    }

    /// Inverse of [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "goal" => Some(CharterKind::Goal),
            "agreement" => Some(CharterKind::Agreement),
            _ => None,
        }
    }
}

/// Where an item stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CharterStatus {
    /// Waiting for votes.
    Proposed,
    /// Part of the charter.
    Adopted,
    /// Not adopted in time.
    Expired,
    /// Taken out of the charter by a lead.
    Retired,
}

impl CharterStatus {
    fn parse(s: &str) -> Self {
        match s {
            "adopted" => CharterStatus::Adopted,
            "expired" => CharterStatus::Expired,
            "retired" => CharterStatus::Retired,
            _ => CharterStatus::Proposed,
        }
    }
}

/// How an item was adopted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AdoptedBy {
    /// More than half of the team's active members agreed.
    Majority,
    /// A lead agreed.
    Lead,
}

/// A member's vote on a proposal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vote {
    /// Agree.
    Agree,
    /// Not yet.
    NotYet,
}

impl Vote {
    fn as_str(self) -> &'static str {
        match self {
            Vote::Agree => "agree",
            Vote::NotYet => "not_yet",
        }
    }
}

/// One charter item with its votes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CharterItem {
    /// Its id.
    pub id: i64,
    /// Its team.
    #[serde(skip)]
    pub team: TeamKey,
    /// Goal or agreement.
    pub kind: CharterKind,
    /// The text.
    pub text: String,
    /// Who proposed it (`None` once they used `/forget`).
    #[serde(skip)]
    pub author: Option<UserId>,
    /// Where it stands.
    pub status: CharterStatus,
    /// When it was proposed.
    pub proposed_at: DateTime<Utc>,
    /// When the proposal expires if not adopted.
    pub expires_at: DateTime<Utc>,
    /// When it was adopted.
    pub adopted_at: Option<DateTime<Utc>>,
    /// How.
    pub adopted_by: Option<AdoptedBy>,
    /// Its next review (local date).
    pub review_on: Option<NaiveDate>,
    /// When a lead retired it.
    pub retired_at: Option<DateTime<Utc>>,
    /// Where the proposal was posted.
    #[serde(skip)]
    pub channel: ChannelId,
    /// Agree votes.
    pub agree: u32,
    /// "Not yet" votes.
    pub not_yet: u32,
}

const ITEM_SQL: &str = "SELECT i.id, i.guild_id, i.team_id, i.kind, i.text, i.author_id, i.status, i.proposed_at, i.expires_at, \
     i.adopted_at, i.adopted_by, i.review_on, i.retired_at, i.channel_id, \
     (SELECT count(*) FROM charter_votes v WHERE v.item_id = i.id AND v.vote = 'agree') AS agree, \
     (SELECT count(*) FROM charter_votes v WHERE v.item_id = i.id AND v.vote = 'not_yet') AS not_yet FROM charter_items i";

#[derive(sqlx::FromRow)]
struct ItemRow {
    id: i64,
    guild_id: i64,
    team_id: i64,
    kind: String,
    text: String,
    author_id: Option<i64>,
    status: String,
    proposed_at: i64,
    expires_at: i64,
    adopted_at: Option<i64>,
    adopted_by: Option<String>,
    review_on: Option<String>,
    retired_at: Option<i64>,
    channel_id: i64,
    agree: i64,
    not_yet: i64,
}

impl From<ItemRow> for CharterItem {
    fn from(r: ItemRow) -> Self {
        CharterItem {
            id: r.id,
            team: TeamKey::new(GuildId::from_db(r.guild_id), TeamId::from_db(r.team_id)),
            kind: CharterKind::parse(&r.kind).unwrap_or(CharterKind::Agreement),
            text: r.text,
            author: r.author_id.map(UserId::from_db),
            status: CharterStatus::parse(&r.status),
            proposed_at: from_ts(r.proposed_at),
            expires_at: from_ts(r.expires_at),
            adopted_at: r.adopted_at.map(from_ts),
            adopted_by: r.adopted_by.as_deref().map(|b| if b == "lead" { AdoptedBy::Lead } else { AdoptedBy::Majority }),
            review_on: r.review_on.and_then(|d| d.parse().ok()),
            retired_at: r.retired_at.map(from_ts),
            channel: ChannelId::from_db(r.channel_id),
            agree: r.agree.max(0) as u32,
            not_yet: r.not_yet.max(0) as u32,
        }
    }
}

/// What a vote did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Voted {
    /// The item after the vote.
    pub item: CharterItem,
    /// The vote was recorded (the proposal was still open).
    pub recorded: bool,
}

/// A thank-you.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Thanks {
    /// Its id.
    pub id: i64,
    /// Its team.
    pub team: TeamKey,
    /// Who thanks.
    pub from: UserId,
    /// Who is thanked (`None` once they used `/forget`).
    pub to: Option<UserId>,
    /// The note.
    pub note: String,
    /// The principle it shows, if named.
    pub principle: Option<u8>,
    /// Where it is posted.
    pub channel: ChannelId,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A new thank-you.
#[derive(Clone, Debug)]
pub struct NewThanks {
    /// Who thanks.
    pub from: UserId,
    /// Who is thanked.
    pub to: UserId,
    /// The cleaned note.
    pub note: String,
    /// The principle it shows.
    pub principle: Option<u8>,
    /// The giver's local date in the team's zone.
    pub local_date: NaiveDate,
    /// Where it is posted.
    pub channel: ChannelId,
}

/// A message the charter or thanks still needs: post or edit a proposal, post or edit a
/// thank-you.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TeamPost {
    /// `charter` or `thanks`.
    pub kind: TeamPostKind,
    /// The item's or thank-you's id.
    pub id: i64,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Its version (queued again since it was read: not finished by this run).
    pub queued: i64,
}

/// Which kind of message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TeamPostKind {
    /// A charter proposal.
    Charter,
    /// A thank-you.
    Thanks,
}

impl TeamPostKind {
    /// Database name.
    pub fn as_str(self) -> &'static str {
        match self {
            TeamPostKind::Charter => "charter",
            TeamPostKind::Thanks => "thanks",
        }
    }
}

/// `/thanks` beyond the day's limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooManyThanks;

// Shared by both backends: `$N` placeholders and statements both dialects read alike (see
// `schedule.rs`); each query is a macro, typed once per driver.

/// One item with its votes, on either backend's connection.
macro_rules! item_query {
    ($conn:expr, $id:expr) => {{
        let id: i64 = $id;
        let row: Option<ItemRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{ITEM_SQL} WHERE i.id = $1"))).bind(id).fetch_optional($conn).await?;
        row.map(CharterItem::from)
    }};
}

/// Queues a message (again: a later change bumps its version).
macro_rules! queue_post_query {
    ($kind:expr, $id:expr, $team:expr, $now:expr) => {{
        let (kind, id, team, now): ($crate::storage::TeamPostKind, i64, $crate::domain::ids::TeamKey, i64) = ($kind, $id, $team, $now);
        sqlx::query(
            "INSERT INTO team_posts (kind, ref_id, guild_id, team_id, due_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (kind, ref_id) DO UPDATE SET due_at = excluded.due_at, queued = team_posts.queued + 1",
        )
        .bind(kind.as_str())
        .bind(id)
        .bind(team.guild.to_db())
        .bind(team.team.to_db())
        .bind(now)
    }};
}

impl Store {
    /// Stores a proposal and queues its post, in one transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn propose(
        &self,
        team: TeamKey,
        kind: CharterKind,
        text: &str,
        author: UserId,
        channel: ChannelId,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<CharterItem> {
        let item = with_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO charter_items (guild_id, team_id, kind, text, author_id, proposed_at, expires_at, channel_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(team.guild.to_db())
            .bind(team.team.to_db())
            .bind(kind.as_str())
            .bind(text)
            .bind(author.to_db())
            .bind(ts(now))
            .bind(ts(expires))
            .bind(channel.to_db())
            .fetch_one(&mut *tx)
            .await?;
            queue_post_query!(TeamPostKind::Charter, id, team, ts(now)).execute(&mut *tx).await?;
            item_query!(&mut *tx, id)
        });
        item.ok_or(sqlx::Error::RowNotFound)
    }

    /// One charter item with its votes.
    pub async fn charter_item(&self, id: i64) -> Result<Option<CharterItem>> {
        Ok(with_conn!(self, reader, |c| item_query!(c, id)))
    }

    /// A member's vote, in one transaction with what it decides: a lead's agree adopts the
    /// proposal, as does an agree that makes more than half of `active` members (and at
    /// least two), counting only the agrees of members who are active themselves (a check-in
    /// in the weeks `active_weeks`). A closed proposal takes no vote; one past its expiry is
    /// expired here, so no click redraws it open. Every recorded vote queues the message's
    /// edit, so the channel shows what the database holds even if the click's own answer is
    /// lost or two answers cross.
    #[allow(clippy::too_many_arguments)]
    pub async fn vote(
        &self,
        id: i64,
        user: UserId,
        vote: Vote,
        lead: bool,
        active: u32,
        active_weeks: (IsoWeek, IsoWeek),
        review_on: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<Option<Voted>> {
        let voted: Option<Voted> = with_tx!(self, |tx| {
            match item_query!(&mut *tx, id) {
                None => None,
                Some(before) if before.status == CharterStatus::Proposed && before.expires_at <= now => {
                    sqlx::query("UPDATE charter_items SET status = 'expired' WHERE id = $1 AND status = 'proposed'")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    queue_post_query!(TeamPostKind::Charter, id, before.team, ts(now)).execute(&mut *tx).await?;
                    let expired = item_query!(&mut *tx, id).ok_or(sqlx::Error::RowNotFound)?;
                    Some(Voted { item: expired, recorded: false })
                }
                Some(before) if before.status != CharterStatus::Proposed => Some(Voted { item: before, recorded: false }),
                Some(before) => {
                    sqlx::query(
                        "INSERT INTO charter_votes (item_id, guild_id, user_id, vote, voted_at) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (item_id, user_id) DO UPDATE SET vote = excluded.vote, voted_at = excluded.voted_at",
                    )
                    .bind(id)
                    .bind(before.team.guild.to_db())
                    .bind(user.to_db())
                    .bind(vote.as_str())
                    .bind(ts(now))
                    .execute(&mut *tx)
                    .await?;
                    let active_agree: i64 = sqlx::query_scalar(
                        "SELECT count(*) FROM charter_votes v WHERE v.item_id = $1 AND v.vote = 'agree' AND EXISTS (SELECT 1 FROM checkins c \
                         WHERE c.guild_id = $2 AND c.team_id = $3 AND c.user_id = v.user_id AND c.iso_week BETWEEN $4 AND $5)",
                    )
                    .bind(id)
                    .bind(before.team.guild.to_db())
                    .bind(before.team.team.to_db())
                    .bind(active_weeks.0.to_string())
                    .bind(active_weeks.1.to_string())
                    .fetch_one(&mut *tx)
                    .await?;
                    let by = if lead && vote == Vote::Agree {
                        Some(AdoptedBy::Lead)
                    } else if crate::domain::charter::adopted_by_majority(active_agree.max(0) as u32, active) {
                        Some(AdoptedBy::Majority)
                    } else {
                        None
                    };
                    if let Some(by) = by {
                        sqlx::query(
                            "UPDATE charter_items SET status = 'adopted', adopted_at = $1, adopted_by = $2, review_on = $3 WHERE id = $4",
                        )
                        .bind(ts(now))
                        .bind(if by == AdoptedBy::Lead { "lead" } else { "majority" })
                        .bind(review_on.to_string())
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    }
                    queue_post_query!(TeamPostKind::Charter, id, before.team, ts(now)).execute(&mut *tx).await?;
                    let after = item_query!(&mut *tx, id).ok_or(sqlx::Error::RowNotFound)?;
                    Some(Voted { item: after, recorded: true })
                }
            }
        });
        Ok(voted)
    }

    /// Proposals not adopted by their expiry become expired; their messages are queued for
    /// an edit that says so. Returns how many expired.
    pub async fn expire_proposals(&self, now: DateTime<Utc>) -> Result<u64> {
        // Every tick asks; almost every tick the answer is none. A read on the partial index
        // first keeps the writer (and other processes' locks) out of it.
        let due: i64 = with_conn!(self, reader, |c| sqlx::query_scalar(
            "SELECT count(*) FROM charter_items WHERE status = 'proposed' AND expires_at <= $1"
        )
        .bind(ts(now))
        .fetch_one(c)
        .await?);
        if due == 0 {
            return Ok(0);
        }
        let n = with_tx!(self, |tx| {
            let expired: Vec<(i64, i64, i64)> = sqlx::query_as(
                "UPDATE charter_items SET status = 'expired' WHERE status = 'proposed' AND expires_at <= $1 RETURNING id, guild_id, team_id",
            )
            .bind(ts(now))
            .fetch_all(&mut *tx)
            .await?;
            for (id, g, t) in &expired {
                let team = TeamKey::new(GuildId::from_db(*g), TeamId::from_db(*t));
                queue_post_query!(TeamPostKind::Charter, *id, team, ts(now)).execute(&mut *tx).await?;
            }
            expired.len() as u64
        });
        Ok(n)
    }

    /// A team's adopted items (goals first, then agreements, oldest first) and how many
    /// proposals are open.
    pub async fn charter(&self, team: TeamKey) -> Result<(Vec<CharterItem>, u32)> {
        let sql = format!(
            "{ITEM_SQL} WHERE i.guild_id = $1 AND i.team_id = $2 AND i.status = 'adopted' ORDER BY i.kind = 'agreement', i.adopted_at, i.id"
        );
        let (rows, open): (Vec<ItemRow>, i64) = with_conn!(self, reader, |c| {
            let rows = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(team.guild.to_db()).bind(team.team.to_db()).fetch_all(&mut *c).await?;
            let open =
                sqlx::query_scalar("SELECT count(*) FROM charter_items WHERE guild_id = $1 AND team_id = $2 AND status = 'proposed'")
                    .bind(team.guild.to_db())
                    .bind(team.team.to_db())
                    .fetch_one(&mut *c)
                    .await?;
            (rows, open)
        });
        Ok((rows.into_iter().map(Into::into).collect(), open.max(0) as u32))
    }

    /// Adopted items whose review is due on or before `by`, the oldest review first.
    pub async fn charter_due(&self, team: TeamKey, by: NaiveDate) -> Result<Vec<CharterItem>> {
        let sql = format!(
            "{ITEM_SQL} WHERE i.guild_id = $1 AND i.team_id = $2 AND i.status = 'adopted' AND i.review_on <= $3 ORDER BY i.review_on, i.id"
        );
        let rows: Vec<ItemRow> = with_conn!(self, reader, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(team.guild.to_db())
            .bind(team.team.to_db())
            .bind(by.to_string())
            .fetch_all(c)
            .await?);
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// A lead's review: keep the item with a new review date, or retire it. Only an adopted
    /// item changes; returns it as it is after.
    pub async fn review_item(&self, id: i64, keep_until: Option<NaiveDate>, now: DateTime<Utc>) -> Result<Option<CharterItem>> {
        let after = with_tx!(self, |tx| {
            let changed = match keep_until {
                Some(date) => sqlx::query("UPDATE charter_items SET review_on = $1 WHERE id = $2 AND status = 'adopted'")
                    .bind(date.to_string())
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected(),
                None => sqlx::query("UPDATE charter_items SET status = 'retired', retired_at = $1 WHERE id = $2 AND status = 'adopted'")
                    .bind(ts(now))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected(),
            };
            let after = item_query!(&mut *tx, id);
            // Its proposal's message shows the new review date, or that it was retired.
            if let Some(i) = after.as_ref().filter(|_| changed > 0) {
                queue_post_query!(TeamPostKind::Charter, id, i.team, ts(now)).execute(&mut *tx).await?;
            }
            after
        });
        Ok(after)
    }

    /// Members of a team with a check-in in the weeks from `from` to `to`: its active
    /// members, who decide a proposal by majority.
    pub async fn active_members(&self, team: TeamKey, from: IsoWeek, to: IsoWeek) -> Result<u32> {
        let n: i64 = with_conn!(self, reader, |c| sqlx::query_scalar(
            "SELECT count(DISTINCT user_id) FROM checkins WHERE guild_id = $1 AND team_id = $2 AND iso_week BETWEEN $3 AND $4",
        )
        .bind(team.guild.to_db())
        .bind(team.team.to_db())
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_one(c)
        .await?);
        Ok(n.max(0) as u32)
    }

    /// Stores a thank-you and queues its post, unless the giver already gave `limit` that day
    /// (in any team of the server).
    pub async fn record_thanks(
        &self,
        team: TeamKey,
        t: &NewThanks,
        limit: u32,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<i64, TooManyThanks>> {
        let out = with_tx!(self, |tx| {
            let today: i64 = sqlx::query_scalar("SELECT count(*) FROM thanks WHERE guild_id = $1 AND from_id = $2 AND local_date = $3")
                .bind(team.guild.to_db())
                .bind(t.from.to_db())
                .bind(t.local_date.to_string())
                .fetch_one(&mut *tx)
                .await?;
            if today >= i64::from(limit) {
                Err(TooManyThanks)
            } else {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO thanks (guild_id, team_id, from_id, to_id, note, principle, local_date, iso_week, channel_id, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                )
                .bind(team.guild.to_db())
                .bind(team.team.to_db())
                .bind(t.from.to_db())
                .bind(t.to.to_db())
                .bind(&t.note)
                .bind(t.principle.map(i64::from))
                .bind(t.local_date.to_string())
                .bind(IsoWeek::of(t.local_date).to_string())
                .bind(t.channel.to_db())
                .bind(ts(now))
                .fetch_one(&mut *tx)
                .await?;
                queue_post_query!(TeamPostKind::Thanks, id, team, ts(now)).execute(&mut *tx).await?;
                Ok(id)
            }
        });
        Ok(out)
    }

    /// One thank-you.
    pub async fn thanks(&self, id: i64) -> Result<Option<Thanks>> {
        let row: Option<ThanksRow> = with_conn!(self, reader, |c| sqlx::query_as(
            "SELECT id, guild_id, team_id, from_id, to_id, note, principle, channel_id, created_at FROM thanks WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(c)
        .await?);
        Ok(row.map(Into::into))
    }

    /// The thanks a member received in a team since `since` (newest first, at most `limit`)
    /// and how many in all since then.
    pub async fn thanks_received(&self, team: TeamKey, user: UserId, since: IsoWeek, limit: u32) -> Result<(Vec<Thanks>, u32)> {
        let (rows, n): (Vec<ThanksRow>, i64) = with_conn!(self, reader, |c| {
            let rows = sqlx::query_as(
                "SELECT id, guild_id, team_id, from_id, to_id, note, principle, channel_id, created_at FROM thanks \
                 WHERE guild_id = $1 AND to_id = $2 AND team_id = $3 AND iso_week >= $4 ORDER BY created_at DESC, id DESC LIMIT $5",
            )
            .bind(team.guild.to_db())
            .bind(user.to_db())
            .bind(team.team.to_db())
            .bind(since.to_string())
            .bind(i64::from(limit))
            .fetch_all(&mut *c)
            .await?;
            let n =
                sqlx::query_scalar("SELECT count(*) FROM thanks WHERE guild_id = $1 AND to_id = $2 AND team_id = $3 AND iso_week >= $4")
                    .bind(team.guild.to_db())
                    .bind(user.to_db())
                    .bind(team.team.to_db())
                    .bind(since.to_string())
                    .fetch_one(&mut *c)
                    .await?;
            (rows, n)
        });
        Ok((rows.into_iter().map(Into::into).collect(), n.max(0) as u32))
    }

    /// Messages due, claimed by this store (see [`super::claim_sql`]).
    pub async fn due_team_posts(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<TeamPost>> {
        if !self.any_due("team_posts", now).await? {
            return Ok(Vec::new());
        }
        let sql = super::claim_sql("team_posts", "kind, ref_id", "kind, ref_id, attempts, queued, due_at", limit, self.shards());
        let (owner, until, now) = self.claim_args(now);
        let mut rows: Vec<(String, i64, i64, i64, i64)> =
            with_conn!(self, writer, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(&owner).bind(until).bind(now).fetch_all(c).await?);
        rows.sort_by_key(|r| (r.4, r.1));
        Ok(rows
            .into_iter()
            .map(|(kind, id, attempts, queued, _)| TeamPost {
                kind: if kind == "thanks" { TeamPostKind::Thanks } else { TeamPostKind::Charter },
                id,
                attempts: attempts.max(0) as u32,
                queued,
            })
            .collect())
    }

    /// A message is done (or moot): its row goes, unless queued again since it was read;
    /// `retry_at` keeps it for another attempt instead.
    pub async fn team_post_done(&self, p: &TeamPost, retry_at: Option<(DateTime<Utc>, bool)>) -> Result<()> {
        if retry_at.is_some() {
            let kind = if p.kind == TeamPostKind::Thanks { super::JobKind::Thanks } else { super::JobKind::Charter };
            super::schedule::count_delivery(kind, "retried");
        }
        with_conn!(self, writer, |c| {
            match retry_at {
                None => {
                    sqlx::query("DELETE FROM team_posts WHERE kind = $1 AND ref_id = $2 AND queued = $3")
                        .bind(p.kind.as_str())
                        .bind(p.id)
                        .bind(p.queued)
                        .execute(c)
                        .await?;
                }
                // `count`: a 429 names its wait and spends no attempt.
                Some((at, count)) => {
                    sqlx::query(
                        "UPDATE team_posts SET attempts = attempts + $1, due_at = $2, claimed_by = NULL, claimed_until = NULL WHERE kind = $3 AND ref_id = $4 AND queued = $5",
                    )
                    .bind(i64::from(count))
                    .bind(ts(at))
                    .bind(p.kind.as_str())
                    .bind(p.id)
                    .bind(p.queued)
                    .execute(c)
                    .await?;
                }
            }
        });
        Ok(())
    }
}

#[derive(sqlx::FromRow)]
struct ThanksRow {
    id: i64,
    guild_id: i64,
    team_id: i64,
    from_id: i64,
    to_id: Option<i64>,
    note: String,
    principle: Option<i64>,
    channel_id: i64,
    created_at: i64,
}

impl From<ThanksRow> for Thanks {
    fn from(r: ThanksRow) -> Self {
        Thanks {
            id: r.id,
            team: TeamKey::new(GuildId::from_db(r.guild_id), TeamId::from_db(r.team_id)),
            from: UserId::from_db(r.from_id),
            to: r.to_id.map(UserId::from_db),
            note: r.note,
            principle: r.principle.map(|p| p.clamp(1, 10) as u8),
            channel: ChannelId::from_db(r.channel_id),
            created_at: from_ts(r.created_at),
        }
    }
}

/// The partner-free part of a week's thanks, as one JSON row for the digest's batch: given,
/// givers (up to ten) and `[principle, count]` pairs. Arguments: guild, team, week, three times.
pub(super) const THANKS_WEEK_SQL: &str = "SELECT json_array(\
     (SELECT count(*) FROM thanks WHERE guild_id = ? AND team_id = ? AND iso_week = ?), \
     (SELECT count(*) FROM (SELECT DISTINCT from_id FROM thanks WHERE guild_id = ? AND team_id = ? AND iso_week = ? LIMIT 10)), \
     (SELECT json_group_array(json_array(principle, n)) FROM (SELECT principle, count(*) AS n FROM thanks \
      WHERE guild_id = ? AND team_id = ? AND iso_week = ? AND principle IS NOT NULL GROUP BY principle)))";

/// Reads [`THANKS_WEEK_SQL`]'s row.
pub(super) fn thanks_counts(json: &str) -> Result<crate::domain::digest::ThanksWeek> {
    let (given, givers, pairs): (i64, i64, serde_json::Value) = serde_json::from_str(json).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    // json_group_array of a subquery comes back as a string inside the outer array.
    let pairs: Vec<(i64, i64)> = match pairs {
        serde_json::Value::String(s) => serde_json::from_str(&s).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        v => serde_json::from_value(v).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
    };
    let mut principles: Vec<(u8, u32)> =
        pairs.into_iter().filter(|(p, _)| (1..=10).contains(p)).map(|(p, n)| (p as u8, n.max(0) as u32)).collect();
    principles.sort_by_key(|(p, n)| (std::cmp::Reverse(*n), *p));
    Ok(crate::domain::digest::ThanksWeek { given: given.max(0) as u32, givers: givers.max(0) as u32, principles })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::storage::test_support::stores;

    fn team() -> TeamKey {
        TeamKey::default_of(GuildId(1))
    }

    fn at(day: &str) -> DateTime<Utc> {
        let d: NaiveDate = day.parse().unwrap();
        Utc.from_utc_datetime(&d.and_hms_opt(9, 0, 0).unwrap())
    }

    fn weeks() -> (IsoWeek, IsoWeek) {
        (IsoWeek::parse("2026-W45").unwrap(), IsoWeek::parse("2026-W48").unwrap())
    }

    /// Members who checked in this week (W48): active.
    async fn active(s: &Store, users: &[u64]) {
        for u in users {
            let d: NaiveDate = "2026-11-23".parse().unwrap();
            let ctx = crate::storage::CheckinContext {
                guild: GuildId(1),
                team: TeamId::DEFAULT,
                user: UserId(*u),
                local_date: d,
                week: IsoWeek::of(d),
                now: at("2026-11-23"),
            };
            let c = crate::storage::CommunicationCheckin { rating: 4, went_well: None, improve: None, partner: None };
            s.record_communication_checkin(ctx, &c).await.unwrap();
        }
    }

    async fn propose(s: &Store, day: &str) -> CharterItem {
        s.propose(
            team(),
            CharterKind::Agreement,
            "Reply within a day",
            UserId(2),
            ChannelId(10),
            at(day),
            at(day) + chrono::Duration::days(14),
        )
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn more_than_half_of_the_active_members_adopt_a_proposal_and_a_vote_can_change() {
        for (s, _dir) in stores("more_than_half_of_the_active_members_adopt_a_proposal_and_a_vote_can_change").await {
            active(&s, &[2, 3, 4, 5]).await;
            let i = propose(&s, "2026-11-23").await;
            let review = "2027-01-18".parse().unwrap();
            let now = at("2026-11-24");
            // Four active members: two agreeing is half, not more.
            let v = s.vote(i.id, UserId(2), Vote::Agree, false, 4, weeks(), review, now).await.unwrap().unwrap();
            assert!(v.recorded && v.item.status == CharterStatus::Proposed);
            let v = s.vote(i.id, UserId(3), Vote::NotYet, false, 4, weeks(), review, now).await.unwrap().unwrap();
            assert_eq!((v.item.agree, v.item.not_yet), (1, 1));
            let v = s.vote(i.id, UserId(3), Vote::Agree, false, 4, weeks(), review, now).await.unwrap().unwrap();
            assert_eq!((v.item.agree, v.item.not_yet, v.item.status), (2, 0, CharterStatus::Proposed), "one vote per member, changed");
            let v = s.vote(i.id, UserId(4), Vote::Agree, false, 4, weeks(), review, now).await.unwrap().unwrap();
            assert_eq!(
                (v.item.status, v.item.adopted_by, v.item.review_on),
                (CharterStatus::Adopted, Some(AdoptedBy::Majority), Some(review))
            );
            // Closed: a late vote is not recorded.
            let late = s.vote(i.id, UserId(5), Vote::NotYet, false, 4, weeks(), review, now).await.unwrap().unwrap();
            assert!(!late.recorded && late.item.not_yet == 0);
            assert_eq!(s.charter(team()).await.unwrap().0.len(), 1);
        }
    }

    #[tokio::test]
    async fn agrees_of_members_who_are_not_active_do_not_make_a_majority() {
        for (s, _dir) in stores("agrees_of_members_who_are_not_active_do_not_make_a_majority").await {
            active(&s, &[2, 3, 4]).await;
            let i = propose(&s, "2026-11-23").await;
            let review = "2027-01-18".parse().unwrap();
            for newcomer in [20, 21, 22] {
                let v = s.vote(i.id, UserId(newcomer), Vote::Agree, false, 3, weeks(), review, at("2026-11-24")).await.unwrap().unwrap();
                assert_eq!(v.item.status, CharterStatus::Proposed, "agrees of members with no check-in in four weeks");
            }
            s.vote(i.id, UserId(2), Vote::Agree, false, 3, weeks(), review, at("2026-11-24")).await.unwrap();
            let v = s.vote(i.id, UserId(3), Vote::Agree, false, 3, weeks(), review, at("2026-11-24")).await.unwrap().unwrap();
            assert_eq!((v.item.status, v.item.agree), (CharterStatus::Adopted, 5), "two of the three active members");
        }
    }

    #[tokio::test]
    async fn a_leads_agree_adopts_and_an_old_proposal_expires_and_is_queued_for_its_edit() {
        // On SQLite, and on PostgreSQL when a test server is given: the same code.
        for (s, _dir) in stores("a_leads_agree_adopts_and_an_old_proposal_expires_and_is_queued_for_its_edit").await {
            let a = propose(&s, "2026-11-23").await;
            let b = propose(&s, "2026-11-01").await;
            let v = s
                .vote(a.id, UserId(9), Vote::Agree, true, 20, weeks(), "2027-01-18".parse().unwrap(), at("2026-11-24"))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(v.item.adopted_by, Some(AdoptedBy::Lead));
            assert_eq!(s.expire_proposals(at("2026-11-24")).await.unwrap(), 1);
            assert_eq!(s.charter_item(b.id).await.unwrap().unwrap().status, CharterStatus::Expired);
            let due = s.due_team_posts(at("2026-11-24"), 10).await.unwrap();
            assert!(due.iter().any(|p| p.kind == TeamPostKind::Charter && p.id == b.id), "{due:?}");
            // An expired proposal takes no vote, even one in time by the clock of a slow click.
            let v = s
                .vote(b.id, UserId(2), Vote::Agree, true, 2, weeks(), "2027-01-18".parse().unwrap(), at("2026-11-14"))
                .await
                .unwrap()
                .unwrap();
            assert!(!v.recorded && v.item.status == CharterStatus::Expired);
        }
    }

    #[tokio::test]
    async fn reviews_keep_or_retire_only_adopted_items_and_the_digest_lists_those_due() {
        // On SQLite, and on PostgreSQL when a test server is given: the same code.
        for (s, _dir) in stores("reviews_keep_or_retire_only_adopted_items_and_the_digest_lists_those_due").await {
            let a = propose(&s, "2026-11-23").await;
            s.vote(a.id, UserId(9), Vote::Agree, true, 3, weeks(), "2026-11-27".parse().unwrap(), at("2026-11-23")).await.unwrap();
            assert_eq!(s.charter_due(team(), "2026-11-26".parse().unwrap()).await.unwrap().len(), 0);
            assert_eq!(s.charter_due(team(), "2026-11-29".parse().unwrap()).await.unwrap().len(), 1);
            let kept = s.review_item(a.id, Some("2027-01-24".parse().unwrap()), at("2026-11-27")).await.unwrap().unwrap();
            assert_eq!(kept.review_on, Some("2027-01-24".parse().unwrap()));
            assert!(s.charter_due(team(), "2026-11-29".parse().unwrap()).await.unwrap().is_empty());
            let retired = s.review_item(a.id, None, at("2026-11-28")).await.unwrap().unwrap();
            assert_eq!(retired.status, CharterStatus::Retired);
            assert!(s.charter(team()).await.unwrap().0.is_empty());
            let open = propose(&s, "2026-11-23").await;
            assert_eq!(
                s.review_item(open.id, None, at("2026-11-28")).await.unwrap().unwrap().status,
                CharterStatus::Proposed,
                "not adopted: unchanged"
            );
        }
    }

    #[tokio::test]
    async fn five_thanks_a_day_and_the_week_counts_givers_and_principles() {
        for (s, _dir) in stores("five_thanks_a_day_and_the_week_counts_givers_and_principles").await {
            let day: NaiveDate = "2026-11-24".parse().unwrap();
            let thank = |from: u64, principle: Option<u8>| NewThanks {
                from: UserId(from),
                to: UserId(99),
                note: "thanks".into(),
                principle,
                local_date: day,
                channel: ChannelId(10),
            };
            for _ in 0..5 {
                assert!(s.record_thanks(team(), &thank(2, Some(3)), 5, at("2026-11-24")).await.unwrap().is_ok());
            }
            assert_eq!(s.record_thanks(team(), &thank(2, None), 5, at("2026-11-24")).await.unwrap(), Err(TooManyThanks));
            s.record_thanks(team(), &thank(3, Some(6)), 5, at("2026-11-24")).await.unwrap().unwrap();
            // The next day the giver may thank again.
            let tomorrow = NewThanks { local_date: day.succ_opt().unwrap(), ..thank(2, None) };
            assert!(s.record_thanks(team(), &tomorrow, 5, at("2026-11-25")).await.unwrap().is_ok());
            let week = IsoWeek::parse("2026-W48").unwrap();
            let (monday, sunday) = (week.monday(), week.sunday());
            let spans = crate::storage::DigestSpans {
                week,
                overdue_before: sunday,
                members_from: week,
                away: (monday, sunday),
                posts: (monday, sunday),
            };
            let w = s.digest_reads(team(), spans).await.unwrap().this.thanks;
            assert_eq!((w.given, w.givers), (7, 2), "people, not thanks: two givers");
            assert_eq!(w.principles, vec![(3, 5), (6, 1)]);
            let (recent, n) = s.thanks_received(team(), UserId(99), IsoWeek::parse("2026-W45").unwrap(), 3).await.unwrap();
            assert_eq!((recent.len(), n), (3, 7));
        }
    }
}
