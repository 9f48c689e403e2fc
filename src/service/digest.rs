//! The weekly digest: gathering a week's rows and computing it (domain::digest).

use std::collections::{BTreeMap, BTreeSet};

use chrono::Duration;

use super::{Result, Service, Session};
use crate::domain::digest::{compute, Digest, DigestInput};
use crate::domain::ids::UserId;
use crate::domain::principles::COUNT;
use crate::domain::refusal::Refusal;
use crate::domain::settings::GuildSettings;
use crate::domain::time::IsoWeek;
use crate::domain::trend::{team_trend, weeks_ending, MemberWeek, TrendWeek};
use crate::keys as k;
use crate::storage::{DigestReads, DigestSpans};

/// Parses `/digest week`: `this`, `last` or `YYYY-Www` (in the guild's zone).
pub fn parse_week(raw: Option<&str>, this_week: IsoWeek) -> std::result::Result<IsoWeek, Refusal> {
    let s = raw.map(str::trim).unwrap_or("");
    match crate::domain::text::fold(s).as_str() {
        "" | "this" | "tuan nay" => Ok(this_week),
        "last" | "tuan truoc" => Ok(this_week.prev()),
        _ => IsoWeek::parse(s).ok_or_else(|| Refusal::new(k::ERR_BAD_WEEK).arg("input", s)),
    }
}

impl Service {
    /// The digest of one team's week, as of now, under the server's privacy threshold.
    pub async fn digest_for(&self, settings: &GuildSettings, week: IsoWeek) -> Result<Digest> {
        let zone = settings.zone;
        let s = &self.store;
        let four_back = week.prev().prev().prev();
        // Overdue as of the end of that week (or today, for the current week).
        let reference = self.today(zone).min(week.sunday() + Duration::days(1));
        let reads = s
            .digest_reads(
                settings.key(),
                DigestSpans {
                    week,
                    overdue_before: reference,
                    members_from: four_back.prev(),
                    away: (week.prev().monday(), week.sunday()),
                    posts: (four_back.monday(), week.sunday()),
                },
            )
            .await?;
        let DigestReads { mut this, mut last, overdue, member_weeks, away: away_spans, paused: pauses, posted: posts } = reads;
        let members = |from: IsoWeek, to: IsoWeek| -> BTreeSet<UserId> {
            member_weeks.iter().filter(|(w, _)| (from..=to).contains(w)).map(|(_, u)| *u).collect()
        };
        this.members = members(week, week);
        last.members = members(week.prev(), week.prev());
        let (active, active_last) = (members(four_back, week), members(four_back.prev(), week.prev()));
        let away_during = |w: IsoWeek| -> BTreeSet<UserId> {
            away_spans.iter().filter(|(_, a)| a.end >= w.monday() && a.start <= w.sunday()).map(|(u, _)| *u).collect()
        };
        let (away, away_last) = (away_during(week), away_during(week.prev()));
        // The team's holiday within a week, clipped to it.
        let paused_in = |w: IsoWeek| {
            pauses
                .iter()
                .filter(|p| p.end >= w.monday() && p.start <= w.sunday())
                .map(|p| (p.start.max(w.monday()), p.end.min(w.sunday())))
                .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)))
        };
        let (paused, paused_last) = (paused_in(week), paused_in(week.prev()).is_some());
        let (monday, sunday) = (week.monday().to_string(), week.sunday().to_string());
        let daily = posts.iter().filter(|p| p.kind == "daily");
        let posted = daily.clone().filter(|p| p.period >= monday && p.period <= sunday).map(|p| p.principle).collect();
        let mut seen_recently = [0u32; COUNT as usize];
        for p in daily.filter(|p| (1..=COUNT).contains(&p.principle)) {
            seen_recently[usize::from(p.principle) - 1] += 1;
        }
        let last_focus = posts.iter().rfind(|p| p.kind == "digest").map(|p| p.principle);
        let mut digest = compute(&DigestInput {
            week: Some(week),
            this,
            last,
            active,
            active_last,
            away,
            away_last,
            overdue,
            posted,
            seen_recently,
            last_focus,
            min_people: settings.min_people,
            paused,
            paused_last,
            last_focus_signal: self.store.focus_signal(settings.key(), week.prev()).await?,
        });
        if self.teams(settings.guild).await?.len() > 1 {
            digest.team = Some(settings.team.name.clone());
        }
        digest.trend = self.trend(settings, week).await?;
        digest.charter_due = self
            .store
            .charter_due(settings.key(), week.sunday())
            .await?
            .into_iter()
            .map(|i| crate::domain::digest::CharterDue {
                id: i.id,
                kind: i.kind.as_str(),
                text: i.text,
                review_on: i.review_on.unwrap_or(week.sunday()),
            })
            .collect();
        Ok(digest)
    }

    /// The team's twelve weeks ending with `week`, each figure under the privacy threshold.
    pub async fn trend(&self, settings: &GuildSettings, week: IsoWeek) -> Result<Vec<TrendWeek>> {
        let weeks = weeks_ending(week);
        let reads = self.store.trend_reads(settings.key(), weeks[0], week).await?;
        let mut away: BTreeMap<IsoWeek, BTreeSet<UserId>> = BTreeMap::new();
        for (user, span) in &reads.away {
            for &w in weeks.iter().filter(|w| span.end >= w.monday() && span.start <= w.sunday()) {
                away.entry(w).or_default().insert(*user);
            }
        }
        Ok(team_trend(&weeks, &reads.member_weeks, &away, &reads.counts, settings.min_people))
    }

    /// `/me history`: the caller's own twelve weeks in this team. Their own data: no
    /// threshold applies, and only they see it.
    pub async fn member_history(&self, session: &Session) -> Result<Vec<MemberWeek>> {
        session.guild()?;
        let weeks = weeks_ending(self.this_week(session.settings.zone));
        let last = *weeks.last().expect("twelve weeks");
        let r = self.store.member_trend_reads(session.team(), session.caller.user, weeks[0], last).await?;
        Ok(weeks
            .iter()
            .map(|w| {
                let (checkins, sum, ratings) = r.checkins.get(w).copied().unwrap_or_default();
                let (kept, partly, missed) = r.resolved.get(w).copied().unwrap_or_default();
                MemberWeek {
                    week: w.to_string(),
                    checked_in: checkins > 0,
                    made: r.made.get(w).copied().unwrap_or_default(),
                    kept,
                    partly,
                    missed,
                    rating: (ratings > 0).then(|| f64::from(sum) / f64::from(ratings)),
                }
            })
            .collect())
    }

    /// `/digest [week] [review]`: for Manage Server or the lead role.
    pub async fn digest(&self, session: &Session, week: Option<&str>, review: bool) -> Result<Digest> {
        session.require_lead()?;
        let week = parse_week(week, self.this_week(session.settings.zone))?;
        let mut d = self.digest_for(&session.settings, week).await?;
        if review {
            self.add_review(&session.settings, week, &mut d).await?;
        }
        Ok(d)
    }

    /// Adds the four-week review to a digest of `week`: its last four weeks of trend, the
    /// strongest and weakest signal, and the principles practised (the foci of those weeks).
    pub async fn add_review(&self, settings: &GuildSettings, week: IsoWeek, d: &mut Digest) -> Result<()> {
        let first = week.prev().prev().prev();
        // A week's focus is named by the digest of the week before it.
        let practised = self.store.digest_foci(settings.key(), first.prev(), week.prev()).await?;
        d.review = Some(crate::domain::trend::review(&d.trend, practised));
        Ok(())
    }

    /// Autocomplete for `/digest week`: this, last and the eight weeks before.
    pub fn week_choices(&self, session: &Session, partial: &str) -> Vec<String> {
        let this = self.this_week(session.settings.zone);
        let mut all = vec!["this".to_owned(), "last".to_owned()];
        let mut w = this;
        for _ in 0..10 {
            all.push(w.to_string());
            w = w.prev();
        }
        let p = partial.trim().to_ascii_lowercase();
        all.into_iter().filter(|c| c.to_ascii_lowercase().starts_with(&p) || c.to_ascii_lowercase().contains(&p)).take(25).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn week_accepts_this_last_and_iso_weeks_and_refuses_the_rest_with_examples() {
        let this = IsoWeek::parse("2027-W01").unwrap();
        assert_eq!(parse_week(None, this).unwrap(), this);
        assert_eq!(parse_week(Some("this"), this).unwrap(), this);
        assert_eq!(parse_week(Some("LAST"), this).unwrap().to_string(), "2026-W53");
        assert_eq!(parse_week(Some("2026-W48"), this).unwrap().to_string(), "2026-W48");
        let e = parse_week(Some("next month"), this).unwrap_err();
        assert_eq!(e.key, k::ERR_BAD_WEEK);
        assert!(parse_week(Some("2025-W53"), this).is_err());
    }
}
