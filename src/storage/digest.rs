//! What a digest is computed from, read in six statements whatever the guild's size: the
//! week's rows are counted by SQLite through the week indexes, and only counts, member ids
//! and the newest notes come back. The cost follows the week, not the guild's history.

use chrono::NaiveDate;

use super::{Result, Store};
use crate::domain::checkin::Outcome;
use crate::domain::digest::WeekRows;
use crate::domain::ids::{GuildId, UserId};
use crate::domain::time::IsoWeek;

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

// checkin counts (commitment answers, blockers, ratings 1-5), made, kept, partly, missed, overdue
type Figures = (i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64);

impl Store {
    /// A week's counts, and the number of open commitments due before `overdue_before`.
    /// With `notes`, also the newest notes of each kind. Members are filled by
    /// [`Self::member_weeks`].
    pub async fn week_rows(&self, guild: GuildId, week: IsoWeek, notes: bool, overdue_before: NaiveDate) -> Result<(WeekRows, u32)> {
        let w = week.to_string();
        let f: Figures = sqlx::query_as(
            // Every column here is in checkins_week_figures, and blockers are counted from their
            // partial index: the week's rows themselves are never read.
            "SELECT coalesce(sum(kind = 'commitments'), 0), \
             (SELECT count(*) FROM checkins WHERE guild_id = ?1 AND iso_week = ?2 AND blocker IS NOT NULL), \
             coalesce(sum(rating = 1), 0), coalesce(sum(rating = 2), 0), coalesce(sum(rating = 3), 0), coalesce(sum(rating = 4), 0), \
             coalesce(sum(rating = 5), 0), \
             (SELECT count(*) FROM commitments WHERE guild_id = ?1 AND created_week = ?2), \
             (SELECT count(*) FROM commitments WHERE guild_id = ?1 AND resolved_week = ?2 AND status = 'kept'), \
             (SELECT count(*) FROM commitments WHERE guild_id = ?1 AND resolved_week = ?2 AND status = 'partly'), \
             (SELECT count(*) FROM commitments WHERE guild_id = ?1 AND resolved_week = ?2 AND status = 'missed'), \
             (SELECT count(*) FROM commitments WHERE guild_id = ?1 AND status = 'open' AND due_date < ?3) \
             FROM checkins WHERE guild_id = ?1 AND iso_week = ?2",
        )
        .bind(guild.to_db())
        .bind(&w)
        .bind(overdue_before.to_string())
        .fetch_one(&mut *self.reader().await?)
        .await?;
        let n = |v: i64| v.max(0) as u32;
        let mut rows = WeekRows {
            commitment_answers: n(f.0),
            blockers: n(f.1),
            ratings: [n(f.2), n(f.3), n(f.4), n(f.5), n(f.6)],
            made: n(f.7),
            ..Default::default()
        };
        rows.resolved = std::iter::repeat_n(Outcome::Kept, f.8 as usize)
            .chain(std::iter::repeat_n(Outcome::Partly, f.9 as usize))
            .chain(std::iter::repeat_n(Outcome::Missed, f.10 as usize))
            .collect();
        if notes {
            let texts: Vec<(i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT 0, went_well FROM (SELECT went_well FROM checkins WHERE guild_id = ?1 AND iso_week = ?2 AND went_well IS NOT NULL \
                 ORDER BY id DESC LIMIT {NOTES_FETCHED}) \
                 UNION ALL SELECT 1, improve FROM (SELECT improve FROM checkins WHERE guild_id = ?1 AND iso_week = ?2 AND improve IS NOT NULL \
                 ORDER BY id DESC LIMIT {NOTES_FETCHED}) \
                 UNION ALL SELECT 2, blocker FROM (SELECT blocker FROM checkins WHERE guild_id = ?1 AND iso_week = ?2 AND blocker IS NOT NULL \
                 ORDER BY id DESC LIMIT {NOTES_FETCHED})"
            )))
            .bind(guild.to_db())
            .bind(&w)
            .fetch_all(&mut *self.reader().await?)
            .await?;
            for (kind, text) in texts {
                match kind {
                    0 => rows.went_well.push(text),
                    1 => rows.improve.push(text),
                    _ => rows.blocker_notes.push(text),
                }
            }
        }
        Ok((rows, n(f.11)))
    }

    /// Which members checked in during which weeks, for the weeks `from..=to`.
    pub async fn member_weeks(&self, guild: GuildId, from: IsoWeek, to: IsoWeek) -> Result<Vec<(IsoWeek, UserId)>> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT DISTINCT iso_week, user_id FROM checkins WHERE guild_id = ? AND iso_week BETWEEN ? AND ?")
                .bind(guild.to_db())
                .bind(from.to_string())
                .bind(to.to_string())
                .fetch_all(&mut *self.reader().await?)
                .await?;
        Ok(rows.into_iter().filter_map(|(w, u)| Some((IsoWeek::parse(&w)?, UserId::from_db(u)))).collect())
    }

    /// Daily posts sent between two local dates (inclusive) and every digest sent before
    /// `digests_before`, with the principle each carried.
    pub async fn posted(&self, guild: GuildId, from: NaiveDate, to: NaiveDate, digests_before: IsoWeek) -> Result<Vec<PostedPrinciple>> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT kind, period, principle FROM deliveries WHERE guild_id = ?1 AND user_id = 0 AND status = 'sent' AND principle IS NOT NULL \
             AND ((kind = 'daily' AND period BETWEEN ?2 AND ?3) OR (kind = 'digest' AND period < ?4)) ORDER BY period",
        )
        .bind(guild.to_db())
        .bind(from.to_string())
        .bind(to.to_string())
        .bind(digests_before.to_string())
        .fetch_all(&mut *self.reader().await?)
        .await?;
        Ok(rows.into_iter().map(|(kind, period, principle)| PostedPrinciple { kind, period, principle: principle as u8 }).collect())
    }
}
