//! Learning the principles: today's, any one, a tip.

use chrono::NaiveDate;

use super::{Result, Service, Session};
use crate::domain::ids::GuildId;
use crate::domain::principles::principle_of_posting_day;

/// A principle to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrincipleView {
    /// 1–10.
    pub number: u8,
    /// Set when it was chosen as today's principle (the local date it is for).
    pub today: Option<NaiveDate>,
}

/// One tip to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TipView {
    /// The principle it belongs to.
    pub number: u8,
    /// Index into that principle's tips.
    pub tip: usize,
}

/// Which practice `/practice` shows, and why that one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PracticeView {
    /// 1–10.
    pub number: u8,
    /// Chosen with `which`, this week's focus, or today's principle.
    pub why: PracticeWhy,
}

/// Why `/practice` shows the principle it shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PracticeWhy {
    /// The member chose it.
    Chosen,
    /// It is the team's focus this week.
    Focus,
    /// It is today's principle (no focus yet).
    Today,
}

impl Service {
    /// The principle a team's daily post shows on `date`: the rotation's, with a focus week's
    /// opening swap (domain::focus). Reads the foci of the five weeks up to `date` (cached)
    /// and what the posts of the last four weeks showed.
    pub async fn daily_principle(&self, team: crate::domain::ids::TeamKey, date: NaiveDate, weekdays_only: bool) -> Result<u8> {
        use crate::domain::time::IsoWeek;
        let week = IsoWeek::of(date);
        let mut foci = std::collections::BTreeMap::new();
        let mut w = week;
        for _ in 0..5 {
            foci.insert(w, self.team_week_focus(team, w).await?);
            w = w.prev();
        }
        if foci.values().all(Option::is_none) {
            return Ok(principle_of_posting_day(team.guild, date, weekdays_only));
        }
        let posted = self.store.daily_principles(team, date - chrono::Duration::days(35), date).await?;
        Ok(crate::domain::focus::principle_with_focus(
            team.guild,
            date,
            weekdays_only,
            |w| foci.get(&w).copied().flatten(),
            |d| if d < date { posted.get(&d).copied() } else { None },
        ))
    }

    /// Today's principle for a team (the same rule as its daily post).
    pub async fn todays_principle(&self, session: &Session) -> Result<(u8, NaiveDate)> {
        let today = self.today(session.settings.zone);
        let weekdays_only = session.settings.daily.is_some_and(|d| d.weekdays_only);
        match session.caller.guild {
            Some(_) => Ok((self.daily_principle(session.team(), today, weekdays_only).await?, today)),
            // In a DM there is no guild: the caller's own id seeds the rotation instead.
            None => Ok((principle_of_posting_day(GuildId(session.caller.user.get()), today, weekdays_only), today)),
        }
    }

    /// `/principle [which]`.
    pub async fn principle(&self, session: &Session, which: Option<&str>) -> Result<PrincipleView> {
        match which.map(str::trim).filter(|w| !w.is_empty()) {
            None => {
                let (number, today) = self.todays_principle(session).await?;
                Ok(PrincipleView { number, today: Some(today) })
            }
            Some(w) => Ok(PrincipleView { number: self.prompts.catalog.resolve(w)?.number, today: None }),
        }
    }

    /// `/tip [which]`: a random tip from one principle, or from any.
    pub fn tip(&self, session: &Session, which: Option<&str>) -> Result<TipView> {
        let number = match which.map(str::trim).filter(|w| !w.is_empty()) {
            Some(w) => self.prompts.catalog.resolve(w)?.number,
            None => self.pick(10) as u8 + 1,
        };
        let tips = self.prompts.catalog.get(number).text(session.lang).tips.len();
        Ok(TipView { number, tip: self.pick(tips) })
    }

    /// `/practice [which] [post]`: the principle's 15-minute team exercise. Without `which`:
    /// the team's focus this week (named by last week's digest), else today's principle.
    /// Posting it for the channel is for leads; reading it is for everyone.
    pub async fn practice(&self, session: &Session, which: Option<&str>, post: bool) -> Result<PracticeView> {
        if post {
            session.require_lead()?;
        }
        if let Some(w) = which.map(str::trim).filter(|w| !w.is_empty()) {
            return Ok(PracticeView { number: self.prompts.catalog.resolve(w)?.number, why: PracticeWhy::Chosen });
        }
        if session.caller.guild.is_some() {
            let week = self.this_week(session.settings.zone);
            if let Some(focus) = self.store.week_focus(session.team(), week).await? {
                return Ok(PracticeView { number: focus, why: PracticeWhy::Focus });
            }
        }
        Ok(PracticeView { number: self.todays_principle(session).await?.0, why: PracticeWhy::Today })
    }

    /// Autocomplete for `which`: `(label, value)` pairs, at most 25, in the session language.
    pub fn principle_choices(&self, session: &Session, query: &str) -> Vec<(String, String)> {
        self.prompts
            .catalog
            .search(query)
            .into_iter()
            .map(|p| (format!("{}. {}", p.number, p.text(session.lang).title), p.number.to_string()))
            .collect()
    }
}
