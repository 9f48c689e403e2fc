//! Interactions that are not slash commands: the commitment modal's submit (and, later,
//! buttons). Their custom ids carry all the state they need, so they survive a restart.

use chrono::NaiveDate;
use poise::serenity_prelude as serenity;
use serenity::{
    ButtonStyle, CreateActionRow, CreateButton, CreateInputText, CreateInteractionResponse, CreateInteractionResponseFollowup,
    CreateInteractionResponseMessage, CreateModal, InputTextStyle,
};
use tracing::{error, info};

use super::context::{caller_from, deferring_after, failure_reply, no_pings, Data, DEFER_AFTER};
use super::render;
use crate::domain::checkin::{Outcome, COMMITMENT_LIMIT, NOTE_LIMIT};
use crate::domain::ids::{TeamId, UserId};
use crate::domain::lang::Lang;
use crate::domain::teams::Purpose;
use crate::domain::text::shorten;
use crate::keys as k;
use crate::prompts::Prompts;
use crate::service::{CommitmentsInput, CommitmentsOutcome, ModalState};

const MODAL_PREFIX: &str = "pc:ci";
const FORGET_YES: &str = "pc:forget";
const FORGET_NO: &str = "pc:forget-no";

/// The file name of `/mydata`.
pub const MYDATA_FILE: &str = "partner-coach-my-data.json";

/// The confirm and cancel buttons of `/forget`. Their custom ids carry who asked and when,
/// so the click is checked without any state (and survives a restart).
pub fn forget_buttons(p: &Prompts, lang: Lang, owner: UserId, issued: chrono::DateTime<chrono::Utc>) -> Vec<CreateActionRow> {
    vec![CreateActionRow::Buttons(vec![
        CreateButton::new(format!("{FORGET_YES}:{owner}:{}", issued.timestamp()))
            .label(shorten(p.text(lang, k::FORGET_BUTTON), 80))
            .style(ButtonStyle::Danger),
        CreateButton::new(format!("{FORGET_NO}:{owner}")).label(shorten(p.text(lang, k::FORGET_CANCEL), 80)).style(ButtonStyle::Secondary),
    ])]
}

const TEAM_DELETE_YES: &str = "pc:team-del";
const TEAM_DELETE_NO: &str = "pc:team-keep";

/// The confirm and cancel buttons of `/team delete`: who asked, which team and when are in
/// the custom id, checked on the click (and still valid after a restart).
pub fn team_delete_buttons(
    p: &Prompts,
    lang: Lang,
    owner: UserId,
    team: TeamId,
    issued: chrono::DateTime<chrono::Utc>,
) -> Vec<CreateActionRow> {
    vec![CreateActionRow::Buttons(vec![
        CreateButton::new(format!("{TEAM_DELETE_YES}:{owner}:{team}:{}", issued.timestamp()))
            .label(shorten(p.text(lang, k::TEAM_DELETE_BUTTON), 80))
            .style(ButtonStyle::Danger),
        CreateButton::new(format!("{TEAM_DELETE_NO}:{owner}"))
            .label(shorten(p.text(lang, k::TEAM_DELETE_CANCEL), 80))
            .style(ButtonStyle::Secondary),
    ])]
}

enum TeamDeleteClick {
    Confirm(UserId, TeamId, chrono::DateTime<chrono::Utc>),
    Cancel(UserId),
}

fn parse_team_delete(id: &str) -> Option<TeamDeleteClick> {
    let parts: Vec<&str> = id.split(':').collect();
    match parts.as_slice() {
        ["pc", "team-del", owner, team, ts] => Some(TeamDeleteClick::Confirm(
            UserId(owner.parse().ok()?),
            TeamId(team.parse().ok()?),
            chrono::DateTime::from_timestamp(ts.parse().ok()?, 0)?,
        )),
        ["pc", "team-keep", owner] => Some(TeamDeleteClick::Cancel(UserId(owner.parse().ok()?))),
        _ => None,
    }
}

enum ForgetClick {
    Confirm(UserId, chrono::DateTime<chrono::Utc>),
    Cancel(UserId),
}

fn parse_forget(id: &str) -> Option<ForgetClick> {
    let parts: Vec<&str> = id.split(':').collect();
    match parts.as_slice() {
        ["pc", "forget", owner, ts] => {
            Some(ForgetClick::Confirm(UserId(owner.parse().ok()?), chrono::DateTime::from_timestamp(ts.parse().ok()?, 0)?))
        }
        ["pc", "forget-no", owner] => Some(ForgetClick::Cancel(UserId(owner.parse().ok()?))),
        _ => None,
    }
}
const FIELD_NEXT: &str = "next";
const FIELD_BLOCKER: &str = "blocker";

/// Encodes a modal's state in its custom id
/// (`pc:ci:<kept>:<due>:<partner>[:<which>[:<team>[:<flags>]]]`, ≤ 80 chars; flags: `p`
/// private, `b` the partner is a bot). Without a chosen commitment, for the default team and
/// without flags, the id is as it always was, so a form opened before an upgrade still
/// submits.
pub fn encode_modal_state(s: &ModalState) -> String {
    let mut id = format!(
        "{MODAL_PREFIX}:{}:{}:{}",
        s.kept.map_or("-", Outcome::choice),
        s.due.map_or_else(|| "-".to_owned(), |d| d.format("%Y%m%d").to_string()),
        s.partner.map_or_else(|| "-".to_owned(), |u| u.to_string()),
    );
    let flags = format!("{}{}", if s.private { "p" } else { "" }, if s.partner_is_bot { "b" } else { "" });
    if s.which.is_some() || !s.team.is_default() || !flags.is_empty() {
        id.push_str(&format!(":{}", s.which.map_or_else(|| "-".to_owned(), |w| w.to_string())));
    }
    if !s.team.is_default() || !flags.is_empty() {
        id.push_str(&format!(":{}", s.team));
    }
    if !flags.is_empty() {
        id.push_str(&format!(":{flags}"));
    }
    id
}

/// The inverse of [`encode_modal_state`] (without the blocker, which travels in the modal).
pub fn decode_modal_state(id: &str) -> Option<ModalState> {
    let rest = id.strip_prefix(MODAL_PREFIX)?.strip_prefix(':')?;
    let mut parts = rest.split(':');
    let (kept, due, partner) = (parts.next()?, parts.next()?, parts.next()?);
    let which = match parts.next() {
        None | Some("-") => None,
        Some(w) => Some(w.parse::<i64>().ok()?),
    };
    let team = match parts.next() {
        None => TeamId::DEFAULT,
        Some(t) => TeamId(t.parse().ok()?),
    };
    let flags = parts.next().unwrap_or("");
    if parts.next().is_some() || !flags.chars().all(|c| c == 'p' || c == 'b') {
        return None;
    }
    Some(ModalState {
        kept: match kept {
            "-" => None,
            s => Some(Outcome::from_choice(s)?),
        },
        due: match due {
            "-" => None,
            s => Some(NaiveDate::parse_from_str(s, "%Y%m%d").ok()?),
        },
        partner: match partner {
            "-" => None,
            s => Some(UserId(s.parse().ok()?)),
        },
        blocker: None,
        which,
        team,
        private: flags.contains('p'),
        partner_is_bot: flags.contains('b'),
    })
}

/// The modal asking for the next commitment and an optional blocker.
pub fn commitment_modal(p: &Prompts, lang: Lang, state: &ModalState) -> CreateModal {
    // Labels and the title have hard caps (45); the prompts are checked by a test, and
    // shortening here keeps a future edit from breaking the modal.
    let label = |key| shorten(p.text(lang, key), 45);
    let next = CreateInputText::new(InputTextStyle::Paragraph, label(k::MODAL_NEXT), FIELD_NEXT)
        .placeholder(shorten(p.text(lang, k::MODAL_NEXT_PLACEHOLDER), 100))
        .max_length(COMMITMENT_LIMIT as u16)
        // Empty only closes the commitment `kept` resolves; the service refuses an empty
        // form that would record nothing.
        .required(false);
    let mut blocker = CreateInputText::new(InputTextStyle::Paragraph, label(k::MODAL_BLOCKER), FIELD_BLOCKER)
        .placeholder(shorten(p.text(lang, k::MODAL_BLOCKER_PLACEHOLDER), 100))
        .max_length(NOTE_LIMIT as u16)
        .required(false);
    if let Some(b) = &state.blocker {
        blocker = blocker.value(b.clone());
    }
    CreateModal::new(encode_modal_state(state), label(k::MODAL_TITLE))
        .components(vec![CreateActionRow::InputText(next), CreateActionRow::InputText(blocker)])
}

fn modal_value(m: &serenity::ModalInteraction, field: &str) -> Option<String> {
    m.data.components.iter().flat_map(|row| row.components.iter()).find_map(|c| match c {
        serenity::ActionRowComponent::InputText(t) if t.custom_id == field => t.value.clone(),
        _ => None,
    })
}

/// Handles an interaction poise does not (modal submits, buttons).
pub async fn handle(ctx: &serenity::Context, data: &Data, interaction: &serenity::Interaction) {
    match interaction {
        serenity::Interaction::Modal(m) => {
            if let Some(state) = decode_modal_state(&m.data.custom_id) {
                submit_commitment_modal(ctx, data, m, state).await;
            }
        }
        serenity::Interaction::Component(c) => {
            if let Some(click) = parse_forget(&c.data.custom_id) {
                forget_click(ctx, data, c, click).await;
            } else if let Some(click) = parse_team_delete(&c.data.custom_id) {
                team_delete_click(ctx, data, c, click).await;
            } else if let Some(click) = super::partners::parse(&c.data.custom_id) {
                super::partners::click(ctx, data, c, click).await;
            } else if let Some(click) = super::charter::parse(&c.data.custom_id) {
                super::charter::click(ctx, data, c, click).await;
            }
        }
        _ => {}
    }
}

async fn forget_click(ctx: &serenity::Context, data: &Data, c: &serenity::ComponentInteraction, click: ForgetClick) {
    let service = &data.service;
    let caller = caller_from(c.guild_id, &c.user, c.member.as_ref(), &c.locale, c.channel.as_ref());
    let lang = match service.session(caller.clone(), None, Purpose::Ambient).await {
        Ok(s) => s.lang,
        Err(_) => Lang::from_locale(&caller.locale),
    };
    // Another member's click gets its own private answer; the owner's message is untouched.
    let owner = match &click {
        ForgetClick::Confirm(o, _) | ForgetClick::Cancel(o) => *o,
    };
    let response = if owner != caller.user {
        info!(user = %caller.user, "forget: someone else's button");
        let msg = CreateInteractionResponseMessage::new().content(service.prompts.text(lang, k::ERR_FORGET_NOT_YOURS)).ephemeral(true);
        CreateInteractionResponse::Message(msg.allowed_mentions(no_pings()))
    } else {
        let text = match click {
            ForgetClick::Cancel(_) => service.prompts.text(lang, k::FORGET_CANCELLED).to_owned(),
            ForgetClick::Confirm(owner, issued) => match service.session(caller.clone(), None, Purpose::Ambient).await {
                Ok(session) => match service.forget_confirm(&session, owner, issued).await {
                    Ok(f) => {
                        info!(user = %owner, checkins = f.checkins, commitments = f.commitments, "forget: member data deleted");
                        let mut text = service.prompts.render(
                            lang,
                            k::FORGET_DONE,
                            &[
                                ("checkins", f.checkins.to_string()),
                                ("commitments", f.commitments.to_string()),
                                ("mentions", f.mentions.to_string()),
                            ],
                        );
                        if f.charter_votes + f.thanks_given + f.thanks_received + f.proposals > 0 {
                            text.push(' ');
                            text.push_str(&service.prompts.render(
                                lang,
                                k::FORGET_CHARTER,
                                &[
                                    ("votes", f.charter_votes.to_string()),
                                    ("thanks", f.thanks_given.to_string()),
                                    ("proposals", f.proposals.to_string()),
                                    ("received", f.thanks_received.to_string()),
                                ],
                            ));
                        }
                        if f.partner_answers_given + f.partner_answers_received > 0 {
                            text.push(' ');
                            text.push_str(&service.prompts.render(
                                lang,
                                k::FORGET_PARTNERS,
                                &[("given", f.partner_answers_given.to_string()), ("received", f.partner_answers_received.to_string())],
                            ));
                        }
                        text
                    }
                    Err(e) => failure_reply(service, lang, &e, "forget", &caller).0,
                },
                Err(e) => {
                    error!(error = ?e, "forget: no session");
                    service.prompts.text(lang, k::ERR_GENERIC).to_owned()
                }
            },
        };
        // Replace the confirmation in place, without its buttons.
        let msg = CreateInteractionResponseMessage::new().content(text).components(Vec::new()).allowed_mentions(no_pings());
        CreateInteractionResponse::UpdateMessage(msg)
    };
    if let Err(e) = c.create_response(&ctx.http, response).await {
        error!(error = ?e, "could not answer a button click");
    }
}

async fn team_delete_click(ctx: &serenity::Context, data: &Data, c: &serenity::ComponentInteraction, click: TeamDeleteClick) {
    let service = &data.service;
    let caller = caller_from(c.guild_id, &c.user, c.member.as_ref(), &c.locale, c.channel.as_ref());
    let session = service.session(caller.clone(), None, Purpose::Ambient).await;
    let lang = session.as_ref().map_or_else(|_| Lang::from_locale(&caller.locale), |s| s.lang);
    let owner = match &click {
        TeamDeleteClick::Confirm(o, ..) | TeamDeleteClick::Cancel(o) => *o,
    };
    // Someone else's click gets its own private answer; the admin's message is untouched.
    let response = if owner != caller.user {
        info!(user = %caller.user, "team delete: someone else's button");
        let msg = CreateInteractionResponseMessage::new().content(service.prompts.text(lang, k::ERR_TEAM_BUTTON_NOT_YOURS)).ephemeral(true);
        CreateInteractionResponse::Message(msg.allowed_mentions(no_pings()))
    } else {
        let text = match (click, session) {
            (TeamDeleteClick::Cancel(_), _) => service.prompts.text(lang, k::TEAM_DELETE_CANCELLED).to_owned(),
            (TeamDeleteClick::Confirm(owner, team, issued), Ok(session)) => {
                match service.team_delete_confirm(&session, owner, team, issued).await {
                    Ok((name, counts)) => service.prompts.render(
                        lang,
                        k::TEAM_DELETED,
                        &[
                            ("team", crate::domain::text::neutralize(&name)),
                            ("checkins", counts.checkins.to_string()),
                            ("commitments", counts.commitments.to_string()),
                        ],
                    ),
                    Err(e) => failure_reply(service, lang, &e, "team delete", &caller).0,
                }
            }
            (TeamDeleteClick::Confirm(..), Err(e)) => failure_reply(service, lang, &e, "team delete", &caller).0,
        };
        // Replace the confirmation in place, without its buttons.
        let msg = CreateInteractionResponseMessage::new().content(text).components(Vec::new()).allowed_mentions(no_pings());
        CreateInteractionResponse::UpdateMessage(msg)
    };
    if let Err(e) = c.create_response(&ctx.http, response).await {
        error!(error = ?e, "could not answer a button click");
    }
}

async fn submit_commitment_modal(ctx: &serenity::Context, data: &Data, m: &serenity::ModalInteraction, state: ModalState) {
    let service = &data.service;
    let caller = caller_from(m.guild_id, &m.user, m.member.as_ref(), &m.locale, m.channel.as_ref());
    let session = match service.session_in(caller.clone(), state.team).await {
        Ok(s) => s,
        // A refusal (the form's team was deleted after it was opened) is said as such, like
        // any refusal; only an unexpected failure gets the apology and an error log.
        Err(e) => {
            let (text, _) = failure_reply(service, Lang::from_locale(&caller.locale), &e, "modal submit", &caller);
            respond_text(ctx, m, text).await;
            return;
        }
    };
    let input = CommitmentsInput {
        kept: None,
        next: modal_value(m, FIELD_NEXT).filter(|n| !n.trim().is_empty()),
        due: None,
        blocker: modal_value(m, FIELD_BLOCKER),
        partner: None,
        partner_is_bot: false,
        which: None,
        private: false,
    };
    // As for slash commands: past DEFER_AFTER, acknowledge first so the 3-second window
    // cannot pass while the database is busy.
    let work = service.checkin_commitments(&session, input, Some(state));
    let defer = || m.create_response(&ctx.http, CreateInteractionResponse::Defer(CreateInteractionResponseMessage::new().ephemeral(true)));
    let (result, deferred) = deferring_after(DEFER_AFTER, work, defer).await;
    if let Some(Err(e)) = &deferred {
        error!(error = ?e, "modal submit: could not defer");
    }
    let (text, embed, file) = match result {
        Ok(CommitmentsOutcome::Saved(saved)) => (
            None,
            Some(render::with_team(
                render::commitments_saved(&service.prompts, session.lang, &saved),
                &service.prompts,
                session.lang,
                &session,
            )),
            None,
        ),
        // Cannot happen: the modal always comes back with its state. Answer rather than
        // leave the member with a spinning modal.
        Ok(CommitmentsOutcome::NeedModal(_)) => (Some(service.prompts.text(session.lang, k::ERR_GENERIC).to_owned()), None, None),
        Err(e) => {
            let (text, file) = failure_reply(service, session.lang, &e, "modal submit", &caller);
            (Some(text), None, file)
        }
    };
    // One answer, sent as the response or, once deferred, as its follow-up: serenity has a
    // builder type for each, with the same methods.
    macro_rules! answer {
        ($builder:expr) => {{
            let mut b = $builder.ephemeral(true).allowed_mentions(no_pings());
            if let Some(t) = text {
                b = b.content(shorten(&t, 2000));
            }
            if let Some(e) = embed {
                b = b.embed(e);
            }
            if let Some(file) = file {
                b = b.add_file(file);
            }
            b
        }};
    }
    let sent = if deferred.is_some() {
        m.create_followup(&ctx.http, answer!(CreateInteractionResponseFollowup::new())).await.map(|_| ())
    } else {
        m.create_response(&ctx.http, CreateInteractionResponse::Message(answer!(CreateInteractionResponseMessage::new()))).await
    };
    if let Err(e) = sent {
        error!(error = ?e, "modal submit: could not answer");
    }
}

async fn respond_text(ctx: &serenity::Context, m: &serenity::ModalInteraction, text: String) {
    let msg = CreateInteractionResponseMessage::new().content(shorten(&text, 2000)).ephemeral(true).allowed_mentions(no_pings());
    if let Err(e) = m.create_response(&ctx.http, CreateInteractionResponse::Message(msg)).await {
        error!(error = ?e, "could not answer an interaction");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modal_state_round_trips_through_the_custom_id() {
        let s = ModalState {
            kept: Some(Outcome::Partly),
            due: NaiveDate::from_ymd_opt(2026, 12, 4),
            partner: Some(UserId(u64::MAX)),
            blocker: None,
            which: Some(i64::MAX),
            team: TeamId(u32::MAX),
            private: true,
            partner_is_bot: true,
        };
        let id = encode_modal_state(&s);
        assert!(id.len() <= 100);
        assert_eq!(decode_modal_state(&id), Some(s));
        let empty = ModalState {
            kept: None,
            due: None,
            partner: None,
            blocker: None,
            which: None,
            team: TeamId::DEFAULT,
            private: false,
            partner_is_bot: false,
        };
        assert_eq!(encode_modal_state(&empty), "pc:ci:-:-:-", "the default team's form ids are those from before teams");
        assert_eq!(decode_modal_state(&encode_modal_state(&empty)), Some(empty.clone()));
        let other = ModalState { team: TeamId(3), ..empty.clone() };
        assert_eq!(decode_modal_state(&encode_modal_state(&other)), Some(other));
        let private = ModalState { private: true, ..empty };
        assert_eq!(encode_modal_state(&private), "pc:ci:-:-:-:-:0:p");
        assert_eq!(decode_modal_state("pc:ci:-:-:-:-:0:p"), Some(private));
        assert_eq!(decode_modal_state("pc:ci:-:-:-:-:0:x"), None);
        assert_eq!(decode_modal_state("pc:ci:maybe:-:-"), None);
        assert_eq!(decode_modal_state("something-else"), None);
    }

    #[test]
    fn modal_labels_fit_discords_limits_in_both_languages() {
        let p = Prompts::builtin().unwrap();
        for lang in Lang::ALL {
            for key in [k::MODAL_TITLE, k::MODAL_NEXT, k::MODAL_BLOCKER] {
                assert!(p.text(lang, key).chars().count() <= 45, "{lang} {}", key.0);
            }
        }
    }
}
