//! Members own their data: `/mydata` and `/forget`.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use super::{Result, Service, Session};
use crate::domain::ids::UserId;
use crate::domain::refusal::Refusal;
use crate::domain::time::weekday_code;
use crate::keys as k;
use crate::storage::{rfc3339, Forgotten};

/// How long a `/forget` confirmation stays valid (Discord's interaction token lasts as long).
pub const FORGET_WINDOW: Duration = Duration::minutes(15);

/// What `/mydata` returns: the JSON document and the counts for the reply.
#[derive(Clone, Debug)]
pub struct MyData {
    /// The pretty-printed JSON.
    pub json: String,
    /// Check-ins in it.
    pub checkins: usize,
    /// Commitments in it.
    pub commitments: usize,
}

impl Service {
    /// `/mydata`: everything stored about the caller in this guild, as a readable JSON
    /// document with documented field names. Nothing from other members, nothing from
    /// other guilds.
    pub async fn my_data(&self, session: &Session) -> Result<MyData> {
        let guild = session.guild()?;
        let user = session.caller.user;
        let (checkins, commitments, settings, away, mentions) = tokio::try_join!(
            self.store.member_checkins(guild, user),
            self.store.member_commitments(guild, user),
            self.store.member_settings(guild, user),
            self.store.member_away(guild, user),
            self.store.partner_mentions(guild, user),
        )?;
        let (deliveries, scheduled, joined, (given, received)) = tokio::try_join!(
            self.store.member_deliveries(guild, user),
            self.store.member_schedule(guild, user),
            self.store.joined_teams(guild, user),
            self.store.member_partner_views(guild, user),
        )?;
        let charter = self.store.member_charter(guild, user).await?;
        let teams_joined: Vec<Value> =
            session.teams.iter().filter(|t| joined.contains(&t.id)).map(|t| json!({ "team_id": t.id, "name": t.name })).collect();
        let streak = self.streak(session, self.this_week(session.settings.zone)).await?;
        let doc = json!({
            "about": "Everything partner-coach stores about you in this server. Instants are UTC (RFC 3339); \
                      local_date, due_date and iso_week are in the server's time zone. Run /forget to delete it.",
            "fields": {
                "checkins": "Your answers to /checkin: kind (commitments or communication), rating (1-5, communication only), \
                             outcome (how your previous commitment went), went_well / improve / blocker (your notes), \
                             partner_id (who you named).",
                "commitments": "Your commitments: text, due_date, partner_id, status (open, kept, partly, missed), \
                                created_week / resolved_week.",
                "deliveries": "The bot's record of each message it sent you or skipped (your weekly reminders): \
                               the week, status (sent, failed, skipped, pending), attempts and Discord's answer or the reason.",
                "scheduled": "What the bot has scheduled for you: your next reminder, when it is due (UTC) and its local date.",
                "named_as_partner_by_others": "How many of other members' answers name you as their partner (their data; \
                                               /forget removes your id from them).",
                "partner_answers_given": "Your answers as the partner of other members' commitments: agreement (agreed, or talk: \
                                          you asked to talk it over), verdict (kept, partly, missed: whether it was kept, as you saw it).",
                "partner_answers_received": "What your partners answered about your commitments, with the same fields; \
                                             unreachable says why a partner was not asked (left the server, dms_closed, bot).",
                "charter_proposals": "Goals and agreements you proposed with /charter propose: kind, text, status (proposed, \
                                      adopted, expired, retired), the votes so far, when it was adopted and its review date.",
                "charter_votes": "Your votes on proposals: agree or not_yet.",
                "thanks_given": "Thank-yous you posted with /thanks: who you thanked (to_id), the note and the principle named.",
                "thanks_received": "Thank-yous other members posted for you (from_id: who thanked you).",
                "teams_joined": "The teams you joined with /team join (teams with a role are their role's holders). \
                                 Each check-in's and commitment's team_id says which team it belongs to (0: the server's default team).",
            },
            "generated_at": self.now().to_rfc3339(),
            "guild_id": guild.to_string(),
            "user_id": user.to_string(),
            "settings": {
                "timezone": settings.zone.map(|z| z.name()),
                "reminder": settings.reminder.map(|r| json!({ "day": weekday_code(r.day), "time": r.time.to_string() })),
                "reminder_language": settings.lang.map(|l| l.code()),
            },
            "time_away": away,
            "teams_joined": teams_joined,
            "weekly_streak": streak,
            "named_as_partner_by_others": mentions,
            "checkins": checkins.iter().map(|c| {
                let mut v = serde_json::to_value(c).expect("serialisable");
                humanize(&mut v, &["created_at", "updated_at"]);
                v
            }).collect::<Vec<Value>>(),
            "deliveries": deliveries.iter().map(|d| {
                let mut v = serde_json::to_value(d).expect("serialisable");
                humanize(&mut v, &["created_at", "updated_at"]);
                v
            }).collect::<Vec<Value>>(),
            "scheduled": scheduled.iter().map(|j| {
                let mut v = serde_json::to_value(j).expect("serialisable");
                humanize(&mut v, &["due_at"]);
                v
            }).collect::<Vec<Value>>(),
            "commitments": commitments.iter().map(|c| {
                let mut v = serde_json::to_value(c).expect("serialisable");
                humanize(&mut v, &["created_at", "resolved_at"]);
                v
            }).collect::<Vec<Value>>(),
            "partner_answers_given": given.iter().map(|r| {
                let mut v = serde_json::to_value(r).expect("serialisable");
                humanize(&mut v, &["agreed_at", "verdict_at"]);
                v
            }).collect::<Vec<Value>>(),
            "charter_proposals": charter.proposals,
            "charter_votes": charter.votes.iter().map(|r| {
                let mut v = serde_json::to_value(r).expect("serialisable");
                humanize(&mut v, &["voted_at"]);
                v
            }).collect::<Vec<Value>>(),
            "thanks_given": charter.thanks_given.iter().map(|r| {
                let mut v = serde_json::to_value(r).expect("serialisable");
                humanize(&mut v, &["created_at"]);
                v
            }).collect::<Vec<Value>>(),
            "thanks_received": charter.thanks_received.iter().map(|r| {
                let mut v = serde_json::to_value(r).expect("serialisable");
                humanize(&mut v, &["created_at"]);
                v
            }).collect::<Vec<Value>>(),
            "partner_answers_received": received.iter().map(|r| {
                let mut v = serde_json::to_value(r).expect("serialisable");
                humanize(&mut v, &["agreed_at", "verdict_at"]);
                v
            }).collect::<Vec<Value>>(),
        });
        Ok(MyData {
            json: serde_json::to_string_pretty(&doc).expect("serialisable"),
            checkins: checkins.len(),
            commitments: commitments.len(),
        })
    }

    /// `/forget`, first step: what would be deleted, and when the confirmation was issued.
    pub async fn forget_preview(&self, session: &Session) -> Result<((i64, i64), DateTime<Utc>)> {
        let guild = session.guild()?;
        Ok((self.store.member_counts(guild, session.caller.user).await?, self.now()))
    }

    /// `/forget`, the confirmation click: only the member who asked, within 15 minutes.
    pub async fn forget_confirm(&self, session: &Session, owner: UserId, issued: DateTime<Utc>) -> Result<Forgotten> {
        let guild = session.guild()?;
        if session.caller.user != owner {
            return Err(Refusal::new(k::ERR_FORGET_NOT_YOURS).into());
        }
        if self.now() - issued > FORGET_WINDOW {
            return Err(Refusal::new(k::ERR_FORGET_EXPIRED).into());
        }
        let forgotten = self.store.forget_member(guild, owner, self.now()).await?;
        // Board messages to delete or edit are queued: let the scheduler do them now.
        self.scheduler_wake.notify_one();
        Ok(forgotten)
    }
}

/// Replaces unix-second fields with RFC 3339 strings, for a person reading the file.
fn humanize(v: &mut Value, fields: &[&str]) {
    for f in fields {
        if let Some(ts) = v.get(*f).and_then(Value::as_i64) {
            v[*f] = json!(rfc3339(ts));
        }
    }
    // Ids as strings: JSON numbers lose precision above 2^53 in many readers.
    for f in ["guild_id", "user_id", "partner_id"] {
        if let Some(id) = v.get(f).and_then(Value::as_i64) {
            v[f] = json!((id as u64).to_string());
        }
    }
}
