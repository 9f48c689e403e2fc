//! The rows a digest is computed from: one guild's week, read through the week indexes, so
//! the cost follows the week's rows and not the guild's history.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::{Result, Store};
use crate::domain::checkin::{CheckinKind, Outcome};
use crate::domain::digest::{CheckinRow, WeekRows};
use crate::domain::ids::{GuildId, UserId};
use crate::domain::principles::COUNT;
use crate::domain::time::IsoWeek;

#[derive(sqlx::FromRow)]
struct Row {
    user_id: i64,
    kind: String,
    rating: Option<i64>,
    went_well: Option<String>,
    improve: Option<String>,
    blocker: Option<String>,
}

impl Store {
    /// A week's check-ins, commitments made and commitments resolved.
    pub async fn week_rows(&self, guild: GuildId, week: IsoWeek) -> Result<WeekRows> {
        let w = week.to_string();
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT user_id, kind, rating, went_well, improve, blocker FROM checkins WHERE guild_id = ? AND iso_week = ? ORDER BY id",
        )
        .bind(guild.to_db())
        .bind(&w)
        .fetch_all(&self.read)
        .await?;
        let made: i64 = sqlx::query_scalar("SELECT count(*) FROM commitments WHERE guild_id = ? AND created_week = ?")
            .bind(guild.to_db())
            .bind(&w)
            .fetch_one(&self.read)
            .await?;
        let resolved: Vec<String> =
            sqlx::query_scalar("SELECT status FROM commitments WHERE guild_id = ? AND resolved_week = ? ORDER BY resolved_at")
                .bind(guild.to_db())
                .bind(&w)
                .fetch_all(&self.read)
                .await?;
        Ok(WeekRows {
            checkins: rows
                .into_iter()
                .filter_map(|r| {
                    Some(CheckinRow {
                        user: UserId::from_db(r.user_id),
                        kind: CheckinKind::parse(&r.kind)?,
                        rating: r.rating.map(|x| x as u8),
                        went_well: r.went_well,
                        improve: r.improve,
                        blocker: r.blocker,
                    })
                })
                .collect(),
            made: made as u32,
            resolved: resolved.iter().filter_map(|s| Outcome::from_status(s)).collect(),
        })
    }

    /// Members who checked in during the weeks `from..=to`.
    pub async fn members_between(&self, guild: GuildId, from: IsoWeek, to: IsoWeek) -> Result<BTreeSet<UserId>> {
        let rows: Vec<i64> = sqlx::query_scalar("SELECT DISTINCT user_id FROM checkins WHERE guild_id = ? AND iso_week BETWEEN ? AND ?")
            .bind(guild.to_db())
            .bind(from.to_string())
            .bind(to.to_string())
            .fetch_all(&self.read)
            .await?;
        Ok(rows.into_iter().map(UserId::from_db).collect())
    }

    /// Open commitments due before `before`.
    pub async fn overdue_count(&self, guild: GuildId, before: NaiveDate) -> Result<u32> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM commitments WHERE guild_id = ? AND status = 'open' AND due_date < ?")
            .bind(guild.to_db())
            .bind(before.to_string())
            .fetch_one(&self.read)
            .await?;
        Ok(n as u32)
    }

    /// Principles of the daily posts sent between two local dates (inclusive), in order.
    pub async fn posted_principles(&self, guild: GuildId, from: NaiveDate, to: NaiveDate) -> Result<Vec<u8>> {
        let rows: Vec<i64> = sqlx::query_scalar(
            "SELECT principle FROM deliveries WHERE kind = 'daily' AND guild_id = ? AND user_id = 0 AND status = 'sent' \
             AND period BETWEEN ? AND ? AND principle IS NOT NULL ORDER BY period",
        )
        .bind(guild.to_db())
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(&self.read)
        .await?;
        Ok(rows.into_iter().map(|p| p as u8).collect())
    }

    /// How often each principle was posted between two dates.
    pub async fn principle_counts(&self, guild: GuildId, from: NaiveDate, to: NaiveDate) -> Result<[u32; COUNT as usize]> {
        let mut counts = [0u32; COUNT as usize];
        for p in self.posted_principles(guild, from, to).await? {
            if (1..=COUNT).contains(&p) {
                counts[usize::from(p) - 1] += 1;
            }
        }
        Ok(counts)
    }

    /// The focus principle of the last digest sent before `week`.
    pub async fn last_focus(&self, guild: GuildId, before: IsoWeek) -> Result<Option<u8>> {
        let p: Option<Option<i64>> = sqlx::query_scalar(
            "SELECT principle FROM deliveries WHERE kind = 'digest' AND guild_id = ? AND user_id = 0 AND status = 'sent' AND period < ? \
             ORDER BY period DESC LIMIT 1",
        )
        .bind(guild.to_db())
        .bind(before.to_string())
        .fetch_optional(&self.read)
        .await?;
        Ok(p.flatten().map(|p| p as u8))
    }
}
