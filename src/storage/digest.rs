//! What a digest is computed from, read in one batch of nine statements whatever the team's
//! size: the week's rows are counted by SQLite through the week indexes, and only counts,
//! member ids and the newest notes come back, each statement's as one JSON row. One trip to a
//! reader's thread for the whole digest; the cost follows the week, not the guild's history.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::de::DeserializeOwned;

use super::batch::{Arg, Batch};
use super::{Result, Store};
use crate::domain::checkin::Outcome;
use crate::domain::digest::{PartnerCounts, People, WeekRows};
use crate::domain::ids::{TeamKey, UserId};
use crate::domain::time::IsoWeek;
use crate::domain::trend::WeekCounts;
use crate::storage::AwaySpan;

/// Notes fetched per kind: more than are shown, so repeated notes can be skipped.
const NOTES_FETCHED: u32 = 20;

/// A delivered post the digest mentions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostedPrinciple {
    /// `daily` or `digest`.
    pub kind: String,
    /// Local date (daily) or ISO week (digest).
    pub period: String,
    /// The principle posted (daily) or chosen as focus (digest).
    pub principle: u8,
}

/// A week's counts as one JSON array: commitment answers, blockers, ratings 1-5, made, kept,
/// partly, missed, commitments overdue at a reference date, and the different members who
/// checked in on commitments, rated, and resolved a commitment, which the privacy rule
/// counts. Those stop counting at ten (`LIMIT 10`, the highest threshold `/setup privacy`
/// allows): the rule only asks "at least n?", so a big team's digest reads a few index
/// entries per count, not the week's. Every column but the blocker count comes from a
/// covering index (checkins_week_figures, commitments_made, commitments_resolved and
/// commitments_open; the blocker count reads only the rows that carry a blocker): the week's
/// rows themselves are never read. Arguments: [`figures_args`].
///
/// Overdue counts what was open at the reference date (the end of a past week, today for the
/// running one) and due before it: open now, or resolved in a later week.
const FIGURES_SQL: &str = "SELECT json_array(coalesce(sum(kind = 'commitments'), 0), \
     (SELECT count(*) FROM checkins WHERE guild_id = ? AND team_id = ? AND iso_week = ? AND blocker IS NOT NULL), \
     coalesce(sum(rating = 1), 0), coalesce(sum(rating = 2), 0), coalesce(sum(rating = 3), 0), coalesce(sum(rating = 4), 0), \
     coalesce(sum(rating = 5), 0), \
     (SELECT count(*) FROM commitments WHERE guild_id = ? AND team_id = ? AND created_week = ?), \
     (SELECT count(*) FROM commitments WHERE guild_id = ? AND team_id = ? AND resolved_week = ? AND status = 'kept'), \
     (SELECT count(*) FROM commitments WHERE guild_id = ? AND team_id = ? AND resolved_week = ? AND status = 'partly'), \
     (SELECT count(*) FROM commitments WHERE guild_id = ? AND team_id = ? AND resolved_week = ? AND status = 'missed'), \
     (SELECT count(*) FROM commitments WHERE guild_id = ? AND team_id = ? AND status = 'open' AND due_date < ? AND created_week <= ?) + \
     (SELECT count(*) FROM commitments WHERE guild_id = ? AND team_id = ? AND resolved_week > ? AND due_date < ? AND created_week <= ?), \
     (SELECT count(*) FROM (SELECT DISTINCT user_id FROM checkins WHERE guild_id = ? AND team_id = ? AND iso_week = ? AND kind = 'commitments' LIMIT 10)), \
     (SELECT count(*) FROM (SELECT DISTINCT user_id FROM checkins WHERE guild_id = ? AND team_id = ? AND iso_week = ? AND rating IS NOT NULL LIMIT 10)), \
     (SELECT count(*) FROM (SELECT DISTINCT user_id FROM commitments INDEXED BY commitments_resolved \
      WHERE guild_id = ? AND team_id = ? AND resolved_week = ? LIMIT 10))) \
     FROM checkins WHERE guild_id = ? AND team_id = ? AND iso_week = ?";

fn figures_args(team: TeamKey, week: &str, overdue_before: &str) -> Vec<Arg> {
    let (g, t) = (Arg::Int(team.guild.to_db()), Arg::Int(team.team.to_db()));
    let (w, before) = (Arg::Text(week.to_owned()), Arg::Text(overdue_before.to_owned()));
    let mut args = Vec::new();
    for _ in 0..5 {
        args.extend([g.clone(), t.clone(), w.clone()]);
    }
    args.extend([g.clone(), t.clone(), before.clone(), w.clone(), g.clone(), t.clone(), w.clone(), before, w.clone()]);
    for _ in 0..3 {
        args.extend([g.clone(), t.clone(), w.clone()]);
    }
    args.extend([g, t, w]);
    args
}

fn parse<T: DeserializeOwned>(json: Option<&String>) -> Result<T> {
    let json = json.ok_or(sqlx::Error::RowNotFound)?;
    serde_json::from_str(json).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// Everything a digest of one week is computed from.
#[derive(Clone, Debug, Default)]
pub struct DigestReads {
    /// The week's counts and newest notes (members are filled by the caller from `member_weeks`).
    pub this: WeekRows,
    /// The week before's counts.
    pub last: WeekRows,
    /// Open commitments due before the reference date.
    pub overdue: u32,
    /// Which members checked in during which weeks, over the span asked.
    pub member_weeks: Vec<(IsoWeek, UserId)>,
    /// Time away overlapping the span asked.
    pub away: Vec<(UserId, AwaySpan)>,
    /// The team's holidays overlapping the span asked.
    pub paused: Vec<AwaySpan>,
    /// Posts sent with the principle each carried, oldest first.
    pub posted: Vec<PostedPrinciple>,
}

/// The spans a digest reads.
#[derive(Clone, Copy, Debug)]
pub struct DigestSpans {
    /// The week of the digest.
    pub week: IsoWeek,
    /// Open commitments due before this date count as overdue.
    pub overdue_before: NaiveDate,
    /// Member weeks from this week to `week`.
    pub members_from: IsoWeek,
    /// Time away overlapping these dates.
    pub away: (NaiveDate, NaiveDate),
    /// Daily posts between these dates, and every digest sent before `week`.
    pub posts: (NaiveDate, NaiveDate),
}

impl Store {
    /// What the digest of `spans.week` is computed from, in one trip.
    pub async fn digest_reads(&self, team: TeamKey, spans: DigestSpans) -> Result<DigestReads> {
        let (g, t) = (team.guild.to_db(), team.team.to_db());
        let (week, last_week) = (spans.week.to_string(), spans.week.prev().to_string());
        let overdue = spans.overdue_before.to_string();
        let mut b = Batch::default();
        b.push(FIGURES_SQL, figures_args(team, &week, &overdue));
        b.push(FIGURES_SQL, figures_args(team, &last_week, &overdue));
        // The newest notes of each kind with who wrote them: the quotes, and the people behind
        // each kind of note, counted among those fetched (never more than there are: a kind
        // of note is quoted only when enough different members wrote its newest ones).
        let note = |col: &str, kind: u8| {
            format!(
                "SELECT {kind} AS k, {col} AS t, user_id AS u FROM (SELECT {col}, user_id FROM checkins \
                 WHERE guild_id = ? AND team_id = ? AND iso_week = ? AND {col} IS NOT NULL ORDER BY id DESC LIMIT {NOTES_FETCHED})"
            )
        };
        b.push(
            &format!(
                "SELECT json_group_array(json_array(k, t, u)) FROM ({} UNION ALL {} UNION ALL {})",
                note("went_well", 0),
                note("improve", 1),
                note("blocker", 2)
            ),
            (0..3).flat_map(|_| [Arg::Int(g), Arg::Int(t), Arg::Text(week.clone())]).collect(),
        );
        b.push(
            "SELECT json_group_array(json_array(iso_week, user_id)) FROM \
             (SELECT DISTINCT iso_week, user_id FROM checkins WHERE guild_id = ? AND team_id = ? AND iso_week BETWEEN ? AND ?)",
            vec![Arg::Int(g), Arg::Int(t), Arg::Text(spans.members_from.to_string()), Arg::Text(week.clone())],
        );
        b.push(
            "SELECT json_group_array(json_array(user_id, start_date, end_date)) FROM away \
             WHERE guild_id = ? AND end_date >= ? AND start_date <= ?",
            vec![Arg::Int(g), Arg::Text(spans.away.0.to_string()), Arg::Text(spans.away.1.to_string())],
        );
        b.push(
            "SELECT json_group_array(json_array(start_date, end_date)) FROM team_pauses \
             WHERE guild_id = ? AND team_id = ? AND end_date >= ? AND start_date <= ?",
            vec![Arg::Int(g), Arg::Int(t), Arg::Text(spans.away.0.to_string()), Arg::Text(spans.away.1.to_string())],
        );
        b.push(
            "SELECT json_group_array(json_array(kind, period, principle)) FROM deliveries WHERE guild_id = ? AND team_id = ? AND user_id = 0 \
             AND status = 'sent' AND principle IS NOT NULL AND ((kind = 'daily' AND period BETWEEN ? AND ?) OR (kind = 'digest' AND period < ?))",
            vec![Arg::Int(g), Arg::Int(t), Arg::Text(spans.posts.0.to_string()), Arg::Text(spans.posts.1.to_string()), Arg::Text(week.clone())],
        );
        // The partners' side of the week's resolved commitments: from the resolved index,
        // one primary-key lookup per commitment into partner_views. Makers and confirming
        // partners stop counting at ten, as above.
        b.push(
            "SELECT json_array(count(*), \
             (SELECT count(*) FROM (SELECT DISTINCT c2.user_id FROM commitments c2 INDEXED BY commitments_resolved \
              JOIN partner_views v2 ON v2.commitment_id = c2.id WHERE c2.guild_id = ? AND c2.team_id = ? AND c2.resolved_week = ? LIMIT 10)), \
             count(v.verdict), \
             (SELECT count(*) FROM (SELECT DISTINCT v3.partner_id FROM commitments c3 INDEXED BY commitments_resolved \
              JOIN partner_views v3 ON v3.commitment_id = c3.id WHERE c3.guild_id = ? AND c3.team_id = ? AND c3.resolved_week = ? \
              AND v3.verdict IS NOT NULL LIMIT 10)), \
             coalesce(sum(v.verdict = c.status), 0), \
             (SELECT count(*) FROM (SELECT DISTINCT c4.user_id FROM commitments c4 INDEXED BY commitments_resolved \
              JOIN partner_views v4 ON v4.commitment_id = c4.id WHERE c4.guild_id = ? AND c4.team_id = ? AND c4.resolved_week = ? \
              AND v4.verdict IS NOT NULL LIMIT 10))) \
             FROM commitments c INDEXED BY commitments_resolved JOIN partner_views v ON v.commitment_id = c.id \
             WHERE c.guild_id = ? AND c.team_id = ? AND c.resolved_week = ?",
            (0..4).flat_map(|_| [Arg::Int(g), Arg::Int(t), Arg::Text(week.clone())]).collect(),
        );
        b.push(super::charter::THANKS_WEEK_SQL, (0..3).flat_map(|_| [Arg::Int(g), Arg::Int(t), Arg::Text(week.clone())]).collect());
        let rows = match self.pg() {
            None => b.scalars().fetch_all(&mut *self.reader().await?).await?,
            Some(pool) => pg_columns(
                &sqlx::query(sqlx::AssertSqlSafe(PG_DIGEST_SQL.as_str()))
                    .bind(g)
                    .bind(t)
                    .bind(&week)
                    .bind(&last_week)
                    .bind(&overdue)
                    .bind(spans.members_from.to_string())
                    .bind(spans.away.0.to_string())
                    .bind(spans.away.1.to_string())
                    .bind(spans.posts.0.to_string())
                    .bind(spans.posts.1.to_string())
                    .fetch_one(pool)
                    .await?,
            )?,
        };
        let (this, this_overdue) = week_rows(parse(rows.first())?);
        let (last, _) = week_rows(parse(rows.get(1))?);
        let mut r = DigestReads { this, last, overdue: this_overdue, ..Default::default() };
        let mut writers: [BTreeSet<i64>; 3] = Default::default();
        for (kind, text, user) in parse::<Vec<(u8, String, i64)>>(rows.get(2))? {
            writers[usize::from(kind.min(2))].insert(user);
            match kind {
                0 => r.this.went_well.push(text),
                1 => r.this.improve.push(text),
                _ => r.this.blocker_notes.push(text),
            }
        }
        let [went_well, improve, blockers] = writers.map(|w| w.len() as u32);
        (r.this.people.went_well, r.this.people.improve, r.this.people.blockers) = (went_well, improve, blockers);
        r.member_weeks = parse::<Vec<(String, i64)>>(rows.get(3))?
            .into_iter()
            .filter_map(|(w, u)| Some((IsoWeek::parse(&w)?, UserId::from_db(u))))
            .collect();
        r.away = parse::<Vec<(i64, String, String)>>(rows.get(4))?
            .into_iter()
            .filter_map(|(u, s, e)| Some((UserId::from_db(u), AwaySpan { start: s.parse().ok()?, end: e.parse().ok()? })))
            .collect();
        r.paused = parse::<Vec<(String, String)>>(rows.get(5))?
            .into_iter()
            .filter_map(|(s, e)| Some(AwaySpan { start: s.parse().ok()?, end: e.parse().ok()? }))
            .collect();
        r.posted = parse::<Vec<(String, String, i64)>>(rows.get(6))?
            .into_iter()
            .map(|(kind, period, principle)| PostedPrinciple { kind, period, principle: principle as u8 })
            .collect();
        let [with_partner, makers, confirmed, confirmers, agreed, confirmed_makers] =
            parse::<[i64; 6]>(rows.get(7))?.map(|v| v.max(0) as u32);
        r.this.partners = PartnerCounts { with_partner, makers, confirmed, confirmers, agreed, confirmed_makers };
        r.this.thanks = super::charter::thanks_counts(rows.get(8).ok_or(sqlx::Error::RowNotFound)?)?;
        // SQL promises no order inside an aggregate; the last digest's focus is the newest.
        r.posted.sort_by(|a, b| a.period.cmp(&b.period));
        Ok(r)
    }
}

/// What a team's twelve-week trend is computed from.
#[derive(Clone, Debug, Default)]
pub struct TrendReads {
    /// Who checked in which week, from four weeks before the first (for active members).
    pub member_weeks: Vec<(IsoWeek, UserId)>,
    /// Each week's counts.
    pub counts: std::collections::BTreeMap<IsoWeek, WeekCounts>,
    /// Time away overlapping the span.
    pub away: Vec<(UserId, AwaySpan)>,
}

/// One member's own weeks, for `/me history`.
#[derive(Clone, Debug, Default)]
pub struct MemberTrendReads {
    /// Per week: whether they checked in, their rating sum and count.
    pub checkins: std::collections::BTreeMap<IsoWeek, (u32, u32, u32)>,
    /// Per week: commitments they made.
    pub made: std::collections::BTreeMap<IsoWeek, u32>,
    /// Per week: how their resolved commitments ended (kept, partly, missed).
    pub resolved: std::collections::BTreeMap<IsoWeek, (u32, u32, u32)>,
}

impl Store {
    /// A team's weekly counts from `first` to `last`, in one trip: three statements that read
    /// the week indexes only (checkins_week_figures, commitments_resolved), whatever the
    /// team's history beyond the span.
    pub async fn trend_reads(&self, team: TeamKey, first: IsoWeek, last: IsoWeek) -> Result<TrendReads> {
        let (g, t) = (Arg::Int(team.guild.to_db()), Arg::Int(team.team.to_db()));
        let members_from = first.prev().prev().prev();
        let span = |a: IsoWeek| vec![g.clone(), t.clone(), Arg::Text(a.to_string()), Arg::Text(last.to_string())];
        let mut b = Batch::default();
        // One walk of checkins_week_figures in its own order (team, week, member, kind,
        // rating): one row per member and week, so no DISTINCT needs a sort, and the week's
        // people and ratings are counted from those rows below.
        b.push(
            "SELECT json_group_array(json_array(iso_week, user_id, c, s, n)) FROM (SELECT iso_week, user_id, \
             max(kind = 'commitments') AS c, coalesce(sum(rating), 0) AS s, count(rating) AS n \
             FROM checkins WHERE guild_id = ? AND team_id = ? AND iso_week BETWEEN ? AND ? GROUP BY iso_week, user_id)",
            span(members_from),
        );
        b.push(
            "SELECT json_group_array(json_array(resolved_week, k, p, m, u)) FROM (SELECT resolved_week, \
             sum(status = 'kept') AS k, sum(status = 'partly') AS p, sum(status = 'missed') AS m, count(DISTINCT user_id) AS u \
             FROM commitments INDEXED BY commitments_resolved \
             WHERE guild_id = ? AND team_id = ? AND resolved_week BETWEEN ? AND ? GROUP BY resolved_week)",
            span(first),
        );
        b.push(
            "SELECT json_group_array(json_array(user_id, start_date, end_date)) FROM away WHERE guild_id = ? AND end_date >= ? AND start_date <= ?",
            vec![g.clone(), Arg::Text(first.monday().to_string()), Arg::Text(last.sunday().to_string())],
        );
        let rows = match self.pg() {
            None => b.scalars().fetch_all(&mut *self.reader().await?).await?,
            Some(pool) => pg_columns(
                &sqlx::query(PG_TREND_SQL)
                    .bind(team.guild.to_db())
                    .bind(team.team.to_db())
                    .bind(members_from.to_string())
                    .bind(last.to_string())
                    .bind(first.to_string())
                    .bind(first.monday().to_string())
                    .bind(last.sunday().to_string())
                    .fetch_one(pool)
                    .await?,
            )?,
        };
        let mut r = TrendReads::default();
        let n = |v: i64| v.max(0) as u32;
        for (w, user, commitments, sum, count) in parse::<Vec<(String, i64, i64, i64, i64)>>(rows.first())? {
            let Some(w) = IsoWeek::parse(&w) else { continue };
            r.member_weeks.push((w, UserId::from_db(user)));
            if w < first {
                continue;
            }
            let e = r.counts.entry(w).or_default();
            e.commitment_people += u32::from(commitments > 0);
            e.raters += u32::from(count > 0);
            e.rating_sum += n(sum);
            e.ratings += n(count);
        }
        for (w, kept, partly, missed, users) in parse::<Vec<(String, i64, i64, i64, i64)>>(rows.get(1))? {
            let Some(w) = IsoWeek::parse(&w) else { continue };
            let e = r.counts.entry(w).or_default();
            (e.kept, e.partly, e.missed, e.resolvers) = (n(kept), n(partly), n(missed), n(users));
        }
        r.away = parse::<Vec<(i64, String, String)>>(rows.get(2))?
            .into_iter()
            .filter_map(|(u, s, e)| Some((UserId::from_db(u), AwaySpan { start: s.parse().ok()?, end: e.parse().ok()? })))
            .collect();
        Ok(r)
    }

    /// The focus principle for `week`: the one the team's digest of the week before named (a
    /// digest is recorded under the week it covers, with its focus), if it went out.
    pub async fn week_focus(&self, team: TeamKey, week: IsoWeek) -> Result<Option<u8>> {
        let p: Option<i64> = with_conn!(self, reader, |c| {
            sqlx::query_scalar(
            "SELECT principle FROM deliveries WHERE kind = 'digest' AND guild_id = $1 AND team_id = $2 AND user_id = 0 AND period = $3 \
             AND status = 'sent' AND principle BETWEEN 1 AND 10",
        )
        .bind(team.guild.to_db())
        .bind(team.team.to_db())
        .bind(week.prev().to_string())
        .fetch_optional(c)
        .await?
        })
        .flatten();
        Ok(p.map(|p| p as u8))
    }

    /// What the team's daily posts showed from `first` to `last` (sent ones), by local date.
    pub async fn daily_principles(
        &self,
        team: TeamKey,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<std::collections::BTreeMap<NaiveDate, u8>> {
        let rows: Vec<(String, i64)> = with_conn!(self, reader, |c| sqlx::query_as(
            "SELECT period, principle FROM deliveries WHERE kind = 'daily' AND guild_id = $1 AND team_id = $2 AND user_id = 0 \
             AND period BETWEEN $3 AND $4 AND status = 'sent' AND principle BETWEEN 1 AND 10",
        )
        .bind(team.guild.to_db())
        .bind(team.team.to_db())
        .bind(first.to_string())
        .bind(last.to_string())
        .fetch_all(c)
        .await?);
        Ok(rows.into_iter().filter_map(|(d, p)| Some((d.parse().ok()?, p as u8))).collect())
    }

    /// The foci of the team's digests that covered `first` to `last`, oldest first.
    pub async fn digest_foci(&self, team: TeamKey, first: IsoWeek, last: IsoWeek) -> Result<Vec<u8>> {
        let rows: Vec<i64> = with_conn!(self, reader, |c| sqlx::query_scalar(
            "SELECT principle FROM deliveries WHERE kind = 'digest' AND guild_id = $1 AND team_id = $2 AND user_id = 0 \
             AND period BETWEEN $3 AND $4 AND status = 'sent' AND principle BETWEEN 1 AND 10 ORDER BY period",
        )
        .bind(team.guild.to_db())
        .bind(team.team.to_db())
        .bind(first.to_string())
        .bind(last.to_string())
        .fetch_all(c)
        .await?);
        Ok(rows.into_iter().map(|p| p as u8).collect())
    }

    /// Records, on a sent digest's record, the rule that chose its focus and the value it read.
    pub async fn record_focus_signal(&self, team: TeamKey, week: IsoWeek, rule: &str, value: f64) -> Result<()> {
        with_conn!(self, writer, |c| sqlx::query(
            "UPDATE deliveries SET focus_rule = $1, focus_value = $2 WHERE kind = 'digest' AND guild_id = $3 AND team_id = $4 \
             AND user_id = 0 AND period = $5",
        )
        .bind(rule)
        .bind(value)
        .bind(team.guild.to_db())
        .bind(team.team.to_db())
        .bind(week.to_string())
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// The rule and value behind the focus of the team's digest of `week`, if it recorded them.
    pub async fn focus_signal(&self, team: TeamKey, week: IsoWeek) -> Result<Option<(String, f64)>> {
        let row: Option<(Option<String>, Option<f64>)> = with_conn!(self, reader, |c| sqlx::query_as(
            "SELECT focus_rule, focus_value FROM deliveries WHERE kind = 'digest' AND guild_id = $1 AND team_id = $2 AND user_id = 0 \
             AND period = $3 AND status = 'sent'",
        )
        .bind(team.guild.to_db())
        .bind(team.team.to_db())
        .bind(week.to_string())
        .fetch_optional(c)
        .await?);
        Ok(row.and_then(|(r, v)| Some((r?, v?))))
    }

    /// One member's own weeks in a team from `first` to `last`, in one trip.
    pub async fn member_trend_reads(&self, team: TeamKey, user: UserId, first: IsoWeek, last: IsoWeek) -> Result<MemberTrendReads> {
        let args = || {
            vec![
                Arg::Int(team.guild.to_db()),
                Arg::Int(team.team.to_db()),
                Arg::Int(user.to_db()),
                Arg::Text(first.to_string()),
                Arg::Text(last.to_string()),
            ]
        };
        let mut b = Batch::default();
        b.push(
            "SELECT json_group_array(json_array(iso_week, n, s, r)) FROM (SELECT iso_week, count(*) AS n, coalesce(sum(rating), 0) AS s, \
             count(rating) AS r FROM checkins WHERE guild_id = ? AND team_id = ? AND user_id = ? AND iso_week BETWEEN ? AND ? GROUP BY iso_week)",
            args(),
        );
        b.push(
            "SELECT json_group_array(json_array(created_week, n)) FROM (SELECT created_week, count(*) AS n FROM commitments \
             WHERE guild_id = ? AND team_id = ? AND user_id = ? AND created_week BETWEEN ? AND ? GROUP BY created_week)",
            args(),
        );
        b.push(
            "SELECT json_group_array(json_array(resolved_week, k, p, m)) FROM (SELECT resolved_week, sum(status = 'kept') AS k, \
             sum(status = 'partly') AS p, sum(status = 'missed') AS m FROM commitments \
             WHERE guild_id = ? AND team_id = ? AND user_id = ? AND resolved_week BETWEEN ? AND ? GROUP BY resolved_week)",
            args(),
        );
        let rows = match self.pg() {
            None => b.scalars().fetch_all(&mut *self.reader().await?).await?,
            Some(pool) => pg_columns(
                &sqlx::query(PG_MEMBER_TREND_SQL)
                    .bind(team.guild.to_db())
                    .bind(team.team.to_db())
                    .bind(user.to_db())
                    .bind(first.to_string())
                    .bind(last.to_string())
                    .fetch_one(pool)
                    .await?,
            )?,
        };
        let n = |v: i64| v.max(0) as u32;
        let mut r = MemberTrendReads::default();
        for (w, count, sum, ratings) in parse::<Vec<(String, i64, i64, i64)>>(rows.first())? {
            if let Some(w) = IsoWeek::parse(&w) {
                r.checkins.insert(w, (n(count), n(sum), n(ratings)));
            }
        }
        for (w, made) in parse::<Vec<(String, i64)>>(rows.get(1))? {
            if let Some(w) = IsoWeek::parse(&w) {
                r.made.insert(w, n(made));
            }
        }
        for (w, k, p, m) in parse::<Vec<(String, i64, i64, i64)>>(rows.get(2))? {
            if let Some(w) = IsoWeek::parse(&w) {
                r.resolved.insert(w, (n(k), n(p), n(m)));
            }
        }
        Ok(r)
    }
}

/// Counts from [`FIGURES_SQL`]'s array, and the overdue count. The people behind notes are
/// filled in from the notes themselves.
fn week_rows(f: [i64; 15]) -> (WeekRows, u32) {
    let n = |v: i64| v.max(0) as u32;
    let rows = WeekRows {
        people: People { commitments: n(f[12]), ratings: n(f[13]), resolved: n(f[14]), ..Default::default() },
        commitment_answers: n(f[0]),
        blockers: n(f[1]),
        ratings: [n(f[2]), n(f[3]), n(f[4]), n(f[5]), n(f[6])],
        made: n(f[7]),
        resolved: std::iter::repeat_n(Outcome::Kept, n(f[8]) as usize)
            .chain(std::iter::repeat_n(Outcome::Partly, n(f[9]) as usize))
            .chain(std::iter::repeat_n(Outcome::Missed, n(f[10]) as usize))
            .collect(),
        ..Default::default()
    };
    (rows, n(f[11]))
}

// PostgreSQL's reads of a digest: the same counts as the SQLite batch above, written in its
// dialect (`json_build_array`, `json_agg`, `FILTER`), and sent as one statement of scalar
// subqueries, so a digest is still one round trip. `json_agg` of no rows is NULL, hence the
// `coalesce`s; it is ordered where SQLite's output order is relied on (the notes, newest
// first), so both backends build the same digest from the same rows.

/// [`FIGURES_SQL`] for PostgreSQL: guild `$1`, team `$2`, week `{w}`, overdue before `$5`,
/// and the running week `$3` for what was open then.
fn pg_figures(w: &str) -> String {
    format!(
        "(SELECT json_build_array(count(*) FILTER (WHERE kind = 'commitments'), \
         (SELECT count(*) FROM checkins WHERE guild_id = $1 AND team_id = $2 AND iso_week = {w} AND blocker IS NOT NULL), \
         count(*) FILTER (WHERE rating = 1), count(*) FILTER (WHERE rating = 2), count(*) FILTER (WHERE rating = 3), \
         count(*) FILTER (WHERE rating = 4), count(*) FILTER (WHERE rating = 5), \
         (SELECT count(*) FROM commitments WHERE guild_id = $1 AND team_id = $2 AND created_week = {w}), \
         (SELECT count(*) FROM commitments WHERE guild_id = $1 AND team_id = $2 AND resolved_week = {w} AND status = 'kept'), \
         (SELECT count(*) FROM commitments WHERE guild_id = $1 AND team_id = $2 AND resolved_week = {w} AND status = 'partly'), \
         (SELECT count(*) FROM commitments WHERE guild_id = $1 AND team_id = $2 AND resolved_week = {w} AND status = 'missed'), \
         (SELECT count(*) FROM commitments WHERE guild_id = $1 AND team_id = $2 AND status = 'open' AND due_date < $5 AND created_week <= {w}) + \
         (SELECT count(*) FROM commitments WHERE guild_id = $1 AND team_id = $2 AND resolved_week > {w} AND due_date < $5 AND created_week <= {w}), \
         (SELECT count(*) FROM (SELECT DISTINCT user_id FROM checkins WHERE guild_id = $1 AND team_id = $2 AND iso_week = {w} \
          AND kind = 'commitments' LIMIT 10) p), \
         (SELECT count(*) FROM (SELECT DISTINCT user_id FROM checkins WHERE guild_id = $1 AND team_id = $2 AND iso_week = {w} \
          AND rating IS NOT NULL LIMIT 10) p), \
         (SELECT count(*) FROM (SELECT DISTINCT user_id FROM commitments WHERE guild_id = $1 AND team_id = $2 AND resolved_week = {w} LIMIT 10) p)) \
         FROM checkins WHERE guild_id = $1 AND team_id = $2 AND iso_week = {w})::text"
    )
}

/// Everything [`Store::digest_reads`] reads, on PostgreSQL: guild `$1`, team `$2`, week `$3`,
/// the week before `$4`, overdue before `$5`, members from `$6`, away `$7`–`$8`, posts
/// `$9`–`$10`. Nine text columns, in the SQLite batch's order.
static PG_DIGEST_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let note = |col: &str, kind: u8| {
        format!(
            "(SELECT {kind} AS k, {col} AS t, user_id AS u, id FROM checkins \
             WHERE guild_id = $1 AND team_id = $2 AND iso_week = $3 AND {col} IS NOT NULL ORDER BY id DESC LIMIT {NOTES_FETCHED})"
        )
    };
    let partners = |alias: &str, who: &str, answered: bool| {
        let answered = if answered { format!(" AND v{alias}.verdict IS NOT NULL") } else { String::new() };
        format!(
            "(SELECT count(*) FROM (SELECT DISTINCT {who} FROM commitments c{alias} JOIN partner_views v{alias} ON v{alias}.commitment_id = c{alias}.id \
             WHERE c{alias}.guild_id = $1 AND c{alias}.team_id = $2 AND c{alias}.resolved_week = $3{answered} LIMIT 10) p)"
        )
    };
    let columns = [
        pg_figures("$3"),
        pg_figures("$4"),
        format!(
            "(SELECT coalesce(json_agg(json_build_array(k, t, u) ORDER BY k, id DESC), '[]') FROM ({} UNION ALL {} UNION ALL {}) n)::text",
            note("went_well", 0),
            note("improve", 1),
            note("blocker", 2)
        ),
        "(SELECT coalesce(json_agg(json_build_array(iso_week, user_id) ORDER BY iso_week, user_id), '[]') FROM \
         (SELECT DISTINCT iso_week, user_id FROM checkins WHERE guild_id = $1 AND team_id = $2 AND iso_week BETWEEN $6 AND $3) w)::text"
            .to_owned(),
        "(SELECT coalesce(json_agg(json_build_array(user_id, start_date, end_date) ORDER BY user_id, start_date), '[]') FROM away \
         WHERE guild_id = $1 AND end_date >= $7 AND start_date <= $8)::text"
            .to_owned(),
        "(SELECT coalesce(json_agg(json_build_array(start_date, end_date) ORDER BY start_date), '[]') FROM team_pauses \
         WHERE guild_id = $1 AND team_id = $2 AND end_date >= $7 AND start_date <= $8)::text"
            .to_owned(),
        "(SELECT coalesce(json_agg(json_build_array(kind, period, principle) ORDER BY period), '[]') FROM deliveries \
         WHERE guild_id = $1 AND team_id = $2 AND user_id = 0 AND status = 'sent' AND principle IS NOT NULL \
         AND ((kind = 'daily' AND period BETWEEN $9 AND $10) OR (kind = 'digest' AND period < $3)))::text"
            .to_owned(),
        format!(
            "(SELECT json_build_array(count(*), {}, count(v.verdict), {}, count(*) FILTER (WHERE v.verdict = c.status), {}) \
             FROM commitments c JOIN partner_views v ON v.commitment_id = c.id WHERE c.guild_id = $1 AND c.team_id = $2 AND c.resolved_week = $3)::text",
            partners("2", "c2.user_id", false),
            partners("3", "v3.partner_id", true),
            partners("4", "c4.user_id", true)
        ),
        "(SELECT json_build_array((SELECT count(*) FROM thanks WHERE guild_id = $1 AND team_id = $2 AND iso_week = $3), \
         (SELECT count(*) FROM (SELECT DISTINCT from_id FROM thanks WHERE guild_id = $1 AND team_id = $2 AND iso_week = $3 LIMIT 10) g), \
         (SELECT coalesce(json_agg(json_build_array(principle, n) ORDER BY principle), '[]') FROM (SELECT principle, count(*) AS n FROM thanks \
          WHERE guild_id = $1 AND team_id = $2 AND iso_week = $3 AND principle IS NOT NULL GROUP BY principle) p)))::text"
            .to_owned(),
    ];
    format!("SELECT {}", columns.join(", "))
});

/// [`Store::trend_reads`] on PostgreSQL: guild `$1`, team `$2`, members from `$3`, last
/// week `$4`, first week `$5`, away `$6`–`$7`.
const PG_TREND_SQL: &str = "SELECT \
     (SELECT coalesce(json_agg(json_build_array(iso_week, user_id, c, s, n) ORDER BY iso_week, user_id), '[]') FROM \
      (SELECT iso_week, user_id, max(CASE WHEN kind = 'commitments' THEN 1 ELSE 0 END) AS c, coalesce(sum(rating), 0) AS s, \
       count(rating) AS n FROM checkins WHERE guild_id = $1 AND team_id = $2 AND iso_week BETWEEN $3 AND $4 GROUP BY iso_week, user_id) w)::text, \
     (SELECT coalesce(json_agg(json_build_array(resolved_week, k, p, m, u) ORDER BY resolved_week), '[]') FROM \
      (SELECT resolved_week, count(*) FILTER (WHERE status = 'kept') AS k, count(*) FILTER (WHERE status = 'partly') AS p, \
       count(*) FILTER (WHERE status = 'missed') AS m, count(DISTINCT user_id) AS u FROM commitments \
       WHERE guild_id = $1 AND team_id = $2 AND resolved_week BETWEEN $5 AND $4 GROUP BY resolved_week) r)::text, \
     (SELECT coalesce(json_agg(json_build_array(user_id, start_date, end_date) ORDER BY user_id, start_date), '[]') FROM away \
      WHERE guild_id = $1 AND end_date >= $6 AND start_date <= $7)::text";

/// [`Store::member_trend_reads`] on PostgreSQL: guild `$1`, team `$2`, member `$3`, weeks `$4`–`$5`.
const PG_MEMBER_TREND_SQL: &str = "SELECT \
     (SELECT coalesce(json_agg(json_build_array(iso_week, n, s, r) ORDER BY iso_week), '[]') FROM (SELECT iso_week, count(*) AS n, \
      coalesce(sum(rating), 0) AS s, count(rating) AS r FROM checkins WHERE guild_id = $1 AND team_id = $2 AND user_id = $3 \
      AND iso_week BETWEEN $4 AND $5 GROUP BY iso_week) c)::text, \
     (SELECT coalesce(json_agg(json_build_array(created_week, n) ORDER BY created_week), '[]') FROM (SELECT created_week, count(*) AS n \
      FROM commitments WHERE guild_id = $1 AND team_id = $2 AND user_id = $3 AND created_week BETWEEN $4 AND $5 GROUP BY created_week) m)::text, \
     (SELECT coalesce(json_agg(json_build_array(resolved_week, k, p, m) ORDER BY resolved_week), '[]') FROM (SELECT resolved_week, \
      count(*) FILTER (WHERE status = 'kept') AS k, count(*) FILTER (WHERE status = 'partly') AS p, \
      count(*) FILTER (WHERE status = 'missed') AS m FROM commitments \
      WHERE guild_id = $1 AND team_id = $2 AND user_id = $3 AND resolved_week BETWEEN $4 AND $5 GROUP BY resolved_week) r)::text";

/// The text columns of one PostgreSQL row, in order, as the SQLite batch returns its rows.
fn pg_columns(row: &sqlx::postgres::PgRow) -> Result<Vec<String>> {
    use sqlx::Row;
    (0..row.len()).map(|i| row.try_get::<Option<String>, _>(i).map(Option::unwrap_or_default)).collect()
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::domain::ids::{GuildId, TeamId};
    use crate::storage::test_support::{store, stores};
    use crate::storage::{CheckinContext, CommitmentCheckin, CommunicationCheckin, NewCommitment};

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn ctx(user: u64, date: &str) -> CheckinContext {
        let local_date = day(date);
        CheckinContext {
            guild: GuildId(1),
            team: crate::domain::ids::TeamId::DEFAULT,
            user: UserId(user),
            local_date,
            week: IsoWeek::of(local_date),
            now: Utc::now(),
        }
    }

    #[tokio::test]
    async fn one_batch_reads_every_part_of_a_digest_into_its_place() {
        for (s, _dir) in stores("one_batch_reads_every_part_of_a_digest_into_its_place").await {
            let comm = |rating: u8, went_well: &str| CommunicationCheckin {
                rating,
                went_well: Some(went_well.into()),
                improve: None,
                partner: None,
            };
            // Week 47 (last week): one member rated 2. Week 48: two members, 4 and 5, notes in order.
            s.record_communication_checkin(ctx(2, "2026-11-18"), &comm(2, "last week")).await.unwrap();
            s.record_communication_checkin(ctx(2, "2026-11-24"), &comm(4, "older note")).await.unwrap();
            s.record_communication_checkin(ctx(3, "2026-11-25"), &comm(5, "newest note")).await.unwrap();
            let promise = |text: &str, due: &str| CommitmentCheckin {
                which: None,
                kept: None,
                next: Some(NewCommitment { text: text.into(), due: day(due), partner: None, ..Default::default() }),
                blocker: Some("waiting on legal".into()),
                partner: None,
            };
            s.record_commitment_checkin(ctx(2, "2026-11-24"), &promise("overdue one", "2026-11-25")).await.unwrap();
            s.record_commitment_checkin(ctx(5, "2026-11-19"), &promise("late", "2026-11-20")).await.unwrap();
            let kept = CommitmentCheckin { which: None, kept: Some(Outcome::Kept), ..promise("next one", "2026-12-04") };
            s.record_commitment_checkin(ctx(2, "2026-11-26"), &kept).await.unwrap();
            s.set_away(GuildId(1), UserId(4), day("2026-11-20"), Some(day("2026-11-30")), Utc::now()).await.unwrap();
            for (kind, period, principle) in [("daily", "2026-11-26", 7), ("digest", "2026-W46", 3), ("daily", "2026-11-24", 5)] {
                crate::storage::test_support::exec(
                    &s,
                    &format!(
                        "INSERT INTO deliveries (kind, guild_id, user_id, period, status, principle, created_at, updated_at) \
                         VALUES ('{kind}', 1, 0, '{period}', 'sent', {principle}, 0, 0)"
                    ),
                )
                .await
                .unwrap();
            }
            let week = IsoWeek::parse("2026-W48").unwrap();
            let spans = DigestSpans {
                week,
                overdue_before: day("2026-11-27"),
                members_from: IsoWeek::parse("2026-W43").unwrap(),
                away: (day("2026-11-16"), day("2026-11-29")),
                posts: (day("2026-10-26"), day("2026-11-29")),
            };
            let r = s.digest_reads(crate::domain::ids::TeamKey::default_of(GuildId(1)), spans).await.unwrap();
            assert_eq!(r.this.ratings, [0, 0, 0, 1, 1]);
            assert_eq!(r.last.ratings, [0, 1, 0, 0, 0]);
            assert_eq!((r.this.commitment_answers, r.this.blockers, r.this.made), (2, 2, 2));
            assert_eq!(r.this.resolved, vec![Outcome::Kept]);
            assert_eq!(r.this.went_well, vec!["newest note", "older note"], "newest first");
            assert_eq!(r.this.blocker_notes.len(), 2);
            assert!(r.last.went_well.is_empty(), "notes are read for the digest's week only");
            assert_eq!(r.last.commitment_answers, 1);
            assert_eq!(r.overdue, 1, "member 5's; member 2's first was kept and the next is due later");
            // People, not rows: member 2's two commitment check-ins with blockers are one person.
            let people = r.this.people;
            assert_eq!((people.commitments, people.blockers, people.resolved), (1, 1, 1));
            assert_eq!((people.ratings, people.went_well, people.improve), (2, 2, 0));
            assert_eq!((r.last.people.commitments, r.last.people.ratings), (1, 1));
            let mut members: Vec<_> = r.member_weeks.iter().map(|(w, u)| (w.to_string(), u.get())).collect();
            members.sort();
            assert_eq!(members, vec![("2026-W47".into(), 2), ("2026-W47".into(), 5), ("2026-W48".into(), 2), ("2026-W48".into(), 3)]);
            assert_eq!(r.away, vec![(UserId(4), AwaySpan { start: day("2026-11-20"), end: day("2026-11-30") })]);
            let posted: Vec<_> = r.posted.iter().map(|p| (p.kind.as_str(), p.period.as_str(), p.principle)).collect();
            assert_eq!(posted, vec![("daily", "2026-11-24", 5), ("daily", "2026-11-26", 7), ("digest", "2026-W46", 3)]);
        }
    }

    #[tokio::test]
    async fn overdue_in_a_past_week_counts_what_was_open_then_not_what_is_open_now() {
        for (s, _dir) in stores("overdue_in_a_past_week_counts_what_was_open_then_not_what_is_open_now").await {
            let promise = |text: &str, due: &str, kept: Option<Outcome>| CommitmentCheckin {
                which: None,
                kept,
                next: Some(NewCommitment { text: text.into(), due: day(due), partner: None, ..Default::default() }),
                blocker: None,
                partner: None,
            };
            // W47: two promises due that Friday. One is resolved in W48 (late), one never.
            s.record_commitment_checkin(ctx(2, "2026-11-16"), &promise("late one", "2026-11-20", None)).await.unwrap();
            s.record_commitment_checkin(ctx(3, "2026-11-16"), &promise("forgotten", "2026-11-20", None)).await.unwrap();
            s.record_commitment_checkin(ctx(2, "2026-11-25"), &promise("next", "2026-12-04", Some(Outcome::Kept))).await.unwrap();
            // W48's promise, made after W47 ended, was never overdue in W47.
            let spans = |week: &str, before: &str| DigestSpans {
                week: IsoWeek::parse(week).unwrap(),
                overdue_before: day(before),
                members_from: IsoWeek::parse("2026-W43").unwrap(),
                away: (day("2026-11-09"), day("2026-11-29")),
                posts: (day("2026-10-26"), day("2026-11-29")),
            };
            let w47 = s.digest_reads(crate::domain::ids::TeamKey::default_of(GuildId(1)), spans("2026-W47", "2026-11-23")).await.unwrap();
            assert_eq!(w47.overdue, 2, "both were open and past due when W47 ended");
            let w48 = s.digest_reads(crate::domain::ids::TeamKey::default_of(GuildId(1)), spans("2026-W48", "2026-11-27")).await.unwrap();
            assert_eq!(w48.overdue, 1, "only the forgotten one is still open");
            let w46 = s.digest_reads(crate::domain::ids::TeamKey::default_of(GuildId(1)), spans("2026-W46", "2026-11-16")).await.unwrap();
            assert_eq!(w46.overdue, 0, "nothing had been made yet");
        }
    }

    #[tokio::test]
    async fn people_are_counted_up_to_the_highest_threshold_and_no_further() {
        for (s, _dir) in stores("people_are_counted_up_to_the_highest_threshold_and_no_further").await {
            assert_eq!(FIGURES_SQL.matches(&format!("LIMIT {})", crate::domain::digest::MAX_PEOPLE)).count(), 3, "the cap is MAX_PEOPLE");
            let c = CommunicationCheckin { rating: 4, went_well: Some("good".into()), improve: None, partner: None };
            for user in 1..=12 {
                s.record_communication_checkin(ctx(user, "2026-11-24"), &c).await.unwrap();
            }
            let spans = DigestSpans {
                week: IsoWeek::parse("2026-W48").unwrap(),
                overdue_before: day("2026-11-27"),
                members_from: IsoWeek::parse("2026-W44").unwrap(),
                away: (day("2026-11-16"), day("2026-11-29")),
                posts: (day("2026-10-26"), day("2026-11-29")),
            };
            let r = s.digest_reads(crate::domain::ids::TeamKey::default_of(GuildId(1)), spans).await.unwrap();
            assert_eq!((r.this.people.ratings, r.this.people.improve), (10, 0));
            assert_eq!(r.this.people.went_well, 12, "counted among the fetched notes, which are fewer than NOTES_FETCHED");
            assert_eq!(r.this.ratings, [0, 0, 0, 12, 0], "the figures themselves are not capped");
        }
    }

    #[tokio::test]
    async fn a_weeks_figures_read_indexes_only_never_the_rows() {
        let (s, _dir) = store().await;
        let mut b = Batch::default();
        b.push(&format!("EXPLAIN QUERY PLAN {FIGURES_SQL}"), figures_args(TeamKey::default_of(GuildId(1)), "2026-W47", "2026-11-23"));
        type Plan = (i64, i64, i64, String);
        let plan: Vec<Plan> = b.rows::<Plan>().fetch_all(&mut *s.reader().await.unwrap()).await.unwrap();
        let steps: Vec<&str> = plan.iter().map(|p| p.3.as_str()).collect();
        let tables =
            steps.iter().filter(|d| d.starts_with("SEARCH") || d.starts_with("SCAN checkins") || d.starts_with("SCAN commitments"));
        for step in tables {
            // The blocker count walks the partial index of rows that carry a blocker.
            let covered = step.contains("COVERING INDEX") || step.contains("USING INDEX checkins_blocker ");
            assert!(step.starts_with("SEARCH") && covered, "{step} in {steps:#?}");
        }
        assert_eq!(steps.iter().filter(|d| d.contains("COVERING INDEX")).count(), 10, "{steps:#?}");
    }

    #[tokio::test]
    async fn the_trend_reads_each_weeks_counts_of_one_team_from_the_week_indexes() {
        for (s, _dir) in stores("the_trend_reads_each_weeks_counts_of_one_team_from_the_week_indexes").await {
            let comm = |rating: u8| CommunicationCheckin { rating, went_well: None, improve: None, partner: None };
            // W47: members 2 and 3 rate 2 and 4; W48: member 2 rates 5 and resolves a commitment.
            s.record_communication_checkin(ctx(2, "2026-11-18"), &comm(2)).await.unwrap();
            s.record_communication_checkin(ctx(3, "2026-11-19"), &comm(4)).await.unwrap();
            let promise = CommitmentCheckin {
                which: None,
                kept: None,
                next: Some(NewCommitment { text: "a".into(), due: day("2026-11-20"), partner: None, ..Default::default() }),
                blocker: None,
                partner: None,
            };
            s.record_commitment_checkin(ctx(2, "2026-11-18"), &promise).await.unwrap();
            s.record_communication_checkin(ctx(2, "2026-11-24"), &comm(5)).await.unwrap();
            let kept = CommitmentCheckin { kept: Some(Outcome::Kept), next: None, ..promise.clone() };
            s.record_commitment_checkin(ctx(2, "2026-11-25"), &kept).await.unwrap();
            // Another team's answer in the same week is not this team's.
            let mut other = ctx(9, "2026-11-24");
            other.team = TeamId(1);
            s.record_communication_checkin(other, &comm(1)).await.unwrap();

            let (w47, w48) = (IsoWeek::parse("2026-W47").unwrap(), IsoWeek::parse("2026-W48").unwrap());
            let r = s.trend_reads(TeamKey::default_of(GuildId(1)), w47, w48).await.unwrap();
            let c47 = &r.counts[&w47];
            assert_eq!((c47.raters, c47.rating_sum, c47.ratings, c47.commitment_people), (2, 6, 2, 1));
            let c48 = &r.counts[&w48];
            assert_eq!((c48.raters, c48.rating_sum, c48.kept, c48.resolvers), (1, 5, 1, 1));
            assert!(r.member_weeks.iter().all(|(_, u)| *u != UserId(9)), "{:?}", r.member_weeks);
            assert_eq!(r.member_weeks.len(), 3, "member 2 in both weeks, member 3 in W47: {:?}", r.member_weeks);

            let mine = s.member_trend_reads(TeamKey::default_of(GuildId(1)), UserId(2), w47, w48).await.unwrap();
            assert_eq!(mine.checkins[&w47], (2, 2, 1), "two check-ins, one rating of 2");
            assert_eq!(mine.made[&w47], 1);
            assert_eq!(mine.resolved[&w48], (1, 0, 0));
        }
    }
}
