//! The partner's buttons: their custom ids, and what a click does.
//!
//! A button's custom id carries everything it acts on (`pc:pr:<commitment>:<partner>:<what>:<expires>`),
//! and every click is checked against the database: only the commitment's partner, only
//! while the commitment exists and the buttons have not expired. So buttons keep working
//! after a restart, with no state kept in memory.

use chrono::{DateTime, Utc};
use poise::serenity_prelude as serenity;
use serenity::{CreateInteractionResponse, CreateInteractionResponseMessage};
use tracing::error;

use super::context::{caller_from, failure_reply, no_pings, Data};
use super::render;
use crate::domain::checkin::Outcome;
use crate::domain::ids::UserId;
use crate::domain::lang::Lang;
use crate::domain::text::shorten;
use crate::keys as k;
use crate::service::{ClickResult, PartnerClick};
use crate::storage::Agreement;

const PREFIX: &str = "pc:pr";

/// One of the partner's buttons.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Button {
    /// Agree to the commitment.
    Agree,
    /// Ask to talk it over.
    Talk,
    /// It was kept.
    Kept,
    /// Partly.
    Partly,
    /// Not kept.
    Missed,
}

impl Button {
    fn code(self) -> &'static str {
        match self {
            Button::Agree => "agree",
            Button::Talk => "talk",
            Button::Kept => "yes",
            Button::Partly => "partly",
            Button::Missed => "no",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "agree" => Button::Agree,
            "talk" => Button::Talk,
            "yes" => Button::Kept,
            "partly" => Button::Partly,
            "no" => Button::Missed,
            _ => return None,
        })
    }

    fn click(self) -> PartnerClick {
        match self {
            Button::Agree => PartnerClick::Agreement(Agreement::Agreed),
            Button::Talk => PartnerClick::Agreement(Agreement::Talk),
            Button::Kept => PartnerClick::Verdict(Outcome::Kept),
            Button::Partly => PartnerClick::Verdict(Outcome::Partly),
            Button::Missed => PartnerClick::Verdict(Outcome::Missed),
        }
    }
}

/// A parsed click.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Click {
    /// The commitment.
    pub commitment: i64,
    /// Its partner, as the DM was addressed.
    pub partner: UserId,
    /// Which button.
    pub button: Button,
    /// When the buttons stop working.
    pub expires: DateTime<Utc>,
}

/// A partner button's custom id (≤ 100 characters: at most 67 with the largest ids).
pub fn button_id(commitment: i64, partner: UserId, button: Button, expires: DateTime<Utc>) -> String {
    format!("{PREFIX}:{commitment}:{partner}:{}:{}", button.code(), expires.timestamp())
}

/// The inverse of [`button_id`].
pub fn parse(id: &str) -> Option<Click> {
    let rest = id.strip_prefix(PREFIX)?.strip_prefix(':')?;
    let parts: Vec<&str> = rest.split(':').collect();
    let [commitment, partner, button, expires] = parts.as_slice() else { return None };
    Some(Click {
        commitment: commitment.parse().ok()?,
        partner: UserId(partner.parse().ok()?),
        button: Button::parse(button)?,
        expires: DateTime::from_timestamp(expires.parse().ok()?, 0)?,
    })
}

/// A click on a partner's button. Someone else's click, or one after the buttons expired,
/// gets a private answer and changes nothing; the partner's own replaces the DM's buttons
/// with what they answered.
pub async fn click(ctx: &serenity::Context, data: &Data, c: &serenity::ComponentInteraction, click: Click) {
    let service = &data.service;
    let caller = caller_from(c.guild_id, &c.user, c.member.as_ref(), &c.locale, c.channel.as_ref());
    let lang = Lang::from_locale(&c.locale);
    let result = service.partner_click(caller.user, click.commitment, click.partner, click.button.click(), click.expires).await;
    let p = &service.prompts;
    let response = match result {
        Ok(outcome) => {
            let line = match outcome {
                ClickResult::Recorded(PartnerClick::Agreement(Agreement::Agreed)) => p.text(lang, k::PARTNER_AGREED_DONE).to_owned(),
                ClickResult::Recorded(PartnerClick::Agreement(Agreement::Talk)) => {
                    render::t(p, lang, k::PARTNER_TALK_DONE, &[("member", member_of(&c.message.content))])
                }
                ClickResult::Recorded(PartnerClick::Verdict(o)) => {
                    render::t(p, lang, k::PARTNER_VERDICT_DONE, &[("outcome", render::outcome_word(p, lang, o))])
                }
                ClickResult::Gone => p.text(lang, k::PARTNER_GONE).to_owned(),
            };
            // The DM as it was, with the answer below it and no buttons left to press.
            let content = shorten(&format!("{}\n\n{line}", c.message.content), 2000);
            let msg = CreateInteractionResponseMessage::new().content(content).components(Vec::new()).allowed_mentions(no_pings());
            CreateInteractionResponse::UpdateMessage(msg)
        }
        Err(e) => {
            let (text, _) = failure_reply(service, lang, &e, "partner button", &caller);
            let msg = CreateInteractionResponseMessage::new().content(shorten(&text, 2000)).ephemeral(true).allowed_mentions(no_pings());
            CreateInteractionResponse::Message(msg)
        }
    };
    if let Err(e) = c.create_response(&ctx.http, response).await {
        error!(error = ?e, "could not answer a partner's click");
    }
}

/// The member named first in a DM (`<@id>`), to name them again in the answer.
fn member_of(content: &str) -> String {
    let Some(start) = content.find("<@") else { return String::new() };
    content[start..].find('>').map(|end| content[start..start + end + 1].to_owned()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn button_ids_round_trip_and_fit_discord() {
        let expires = DateTime::from_timestamp(4_102_444_800, 0).unwrap();
        for b in [Button::Agree, Button::Talk, Button::Kept, Button::Partly, Button::Missed] {
            let id = button_id(i64::MAX, UserId(u64::MAX), b, expires);
            assert!(id.len() <= 100, "{id}");
            assert_eq!(parse(&id), Some(Click { commitment: i64::MAX, partner: UserId(u64::MAX), button: b, expires }));
        }
        assert_eq!(parse("pc:pr:1:2:maybe:3"), None);
        assert_eq!(parse("pc:pr:1:2:yes"), None);
        assert_eq!(parse("pc:forget:1:2"), None);
    }

    #[test]
    fn the_member_is_read_back_from_the_dm() {
        assert_eq!(member_of("<@42> made a commitment to you"), "<@42>");
        assert_eq!(member_of("no mention"), "");
    }
}
