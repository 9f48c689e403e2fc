//! The charter's buttons: votes on a proposal (`pc:cv:<item>:<agree|notyet>`), the pages of
//! `/charter show` (`pc:cp:<team>:<page>:<dir>`) and a lead's review on the digest
//! (`pc:cr:<item>:<keep|retire>`). Each id names what it acts on, and every click is checked
//! on the server against the database and the clicker's roles, so they work after a restart.

use poise::serenity_prelude as serenity;
use serenity::{CreateInteractionResponse, CreateInteractionResponseMessage};
use tracing::error;

use super::context::{caller_from, failure_reply, no_pings, Data};
use super::render;
use crate::domain::ids::TeamId;
use crate::domain::lang::Lang;
use crate::domain::text::{neutralize, shorten};
use crate::keys as k;
use crate::service::{CharterPost, Post, Review};
use crate::storage::Vote;

/// A vote button's custom id.
pub fn vote_id(item: i64, vote: Vote) -> String {
    format!("pc:cv:{item}:{}", if vote == Vote::Agree { "agree" } else { "notyet" })
}

/// A page button's custom id (`dir` keeps the two buttons' ids different when both point
/// at the same page, as Discord requires).
pub fn page_id(team: TeamId, page: usize, dir: &str) -> String {
    format!("pc:cp:{team}:{page}:{dir}")
}

/// A review button's custom id.
pub fn review_id(item: i64, review: Review) -> String {
    format!("pc:cr:{item}:{}", if review == Review::Keep { "keep" } else { "retire" })
}

/// A parsed click.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Click {
    /// A vote.
    Vote(i64, Vote),
    /// A page of `/charter show`.
    Page(TeamId, usize),
    /// A lead's review.
    Review(i64, Review),
}

/// The inverse of the ids above.
pub fn parse(id: &str) -> Option<Click> {
    let parts: Vec<&str> = id.split(':').collect();
    Some(match parts.as_slice() {
        ["pc", "cv", item, "agree"] => Click::Vote(item.parse().ok()?, Vote::Agree),
        ["pc", "cv", item, "notyet"] => Click::Vote(item.parse().ok()?, Vote::NotYet),
        ["pc", "cp", team, page, "prev" | "next"] => Click::Page(TeamId(team.parse().ok()?), page.parse().ok()?),
        ["pc", "cr", item, "keep"] => Click::Review(item.parse().ok()?, Review::Keep),
        ["pc", "cr", item, "retire"] => Click::Review(item.parse().ok()?, Review::Retire),
        _ => return None,
    })
}

/// Handles a click on one of the charter's buttons.
pub async fn click(ctx: &serenity::Context, data: &Data, c: &serenity::ComponentInteraction, click: Click) {
    let service = &data.service;
    let caller = caller_from(c.guild_id, &c.user, c.member.as_ref(), &c.locale, c.channel.as_ref());
    let p = &service.prompts;
    let private = |text: String| {
        CreateInteractionResponse::Message(
            CreateInteractionResponseMessage::new().content(shorten(&text, 2000)).ephemeral(true).allowed_mentions(no_pings()),
        )
    };
    let response = match click {
        Click::Vote(item, vote) => match service.charter_vote(caller.clone(), item, vote).await {
            // The proposal's message, as it now stands (votes, or adopted without buttons).
            Ok(Some(post)) => update_with(p, &post),
            Ok(None) => private(p.text(Lang::from_locale(&caller.locale), k::CHARTER_GONE).to_owned()),
            Err(e) => private(failure_reply(service, Lang::from_locale(&caller.locale), &e, "charter vote", &caller).0),
        },
        Click::Page(team, page) => match service.session_in(caller.clone(), team).await {
            Ok(s) => match service.charter_show(&s, page).await {
                Ok(view) => {
                    let (embed, rows) = render::charter_page(p, s.lang, &view, team);
                    let embed = render::with_team(embed, p, s.lang, &s);
                    CreateInteractionResponse::UpdateMessage(
                        CreateInteractionResponseMessage::new().embed(embed).components(rows).allowed_mentions(no_pings()),
                    )
                }
                Err(e) => private(failure_reply(service, s.lang, &e, "charter page", &caller).0),
            },
            Err(e) => private(failure_reply(service, Lang::from_locale(&caller.locale), &e, "charter page", &caller).0),
        },
        Click::Review(item, review) => match service.charter_item_session(caller.clone(), item).await {
            Ok(None) => private(p.text(Lang::from_locale(&caller.locale), k::CHARTER_GONE).to_owned()),
            Ok(Some(s)) => match service.charter_review(&s, &item.to_string(), review).await {
                Ok(done) => {
                    let text = neutralize(&done.text);
                    private(match review {
                        Review::Keep => render::t(
                            p,
                            s.lang,
                            k::CHARTER_KEPT_DONE,
                            &[("text", text), ("date", done.review_on.map(render::date_stamp).unwrap_or_default())],
                        ),
                        Review::Retire => render::t(p, s.lang, k::CHARTER_RETIRED_DONE, &[("text", text)]),
                    })
                }
                Err(e) => private(failure_reply(service, s.lang, &e, "charter review", &caller).0),
            },
            Err(e) => private(failure_reply(service, Lang::from_locale(&caller.locale), &e, "charter review", &caller).0),
        },
    };
    if let Err(e) = c.create_response(&ctx.http, response).await {
        error!(error = ?e, "could not answer a charter click");
    }
}

fn update_with(p: &crate::prompts::Prompts, post: &CharterPost) -> CreateInteractionResponse {
    let body = render::post(p, &Post::Charter(Box::new(post.clone())), None);
    CreateInteractionResponse::UpdateMessage(
        CreateInteractionResponseMessage::new()
            .content(body.content.unwrap_or_default())
            .components(body.components)
            .allowed_mentions(no_pings()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charter_button_ids_round_trip_and_fit_discord() {
        for vote in [Vote::Agree, Vote::NotYet] {
            let id = vote_id(i64::MAX, vote);
            assert!(id.len() <= 100);
            assert_eq!(parse(&id), Some(Click::Vote(i64::MAX, vote)));
        }
        for review in [Review::Keep, Review::Retire] {
            assert_eq!(parse(&review_id(7, review)), Some(Click::Review(7, review)));
        }
        assert_eq!(parse(&page_id(TeamId(u32::MAX), 3, "next")), Some(Click::Page(TeamId(u32::MAX), 3)));
        assert_ne!(page_id(TeamId(1), 0, "prev"), page_id(TeamId(1), 0, "next"));
        assert_eq!(parse("pc:cv:1:maybe"), None);
        assert_eq!(parse("pc:pr:1:2:yes:3"), None);
    }
}
