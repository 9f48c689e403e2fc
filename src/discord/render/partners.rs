//! The partner's DMs, the board's messages, and the partner's side in `/commitments`.

use poise::serenity_prelude as serenity;
use serenity::{ButtonStyle, CreateActionRow, CreateButton};

use super::{date_stamp, mention, outcome_word, stamp, t, PostBody};
use crate::discord::partners::{button_id, Button};
use crate::domain::checkin::Outcome;
use crate::domain::lang::Lang;
use crate::domain::text::{neutralize, shorten};
use crate::keys as k;
use crate::prompts::Prompts;
use crate::service::{BoardEntry, PartnerDm};
use crate::storage::{Agreement, PartnerView, Unreachable};

/// Which DM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DmKind {
    /// To the partner: agree?
    Ask,
    /// To the partner: was it kept?
    Check,
    /// To the member: the partner wants to talk.
    Talk,
}

/// A DM about a commitment, with its buttons.
pub fn dm(p: &Prompts, dm: &PartnerDm, kind: DmKind, guilds: Option<&crate::discord::guilds::Guilds>) -> PostBody {
    let lang = dm.lang;
    let guild = guilds.and_then(|g| g.name(dm.guild)).unwrap_or_else(|| format!("server {}", dm.guild));
    let team = dm.team.as_deref().map(|name| t(p, lang, k::PARTNER_TEAM, &[("team", neutralize(name))])).unwrap_or_default();
    // The text is quoted on one line per paragraph: a newline would end the quote.
    let text = neutralize(&dm.text).replace('\n', "\n> ");
    let args = [
        ("member", mention(dm.member)),
        ("partner", mention(dm.partner)),
        ("guild", neutralize(&guild)),
        ("team", team),
        ("text", text),
        ("due", date_stamp(dm.due)),
        ("expires", stamp(dm.expires, 'D')),
    ];
    let key = match kind {
        DmKind::Ask => k::PARTNER_ASK_DM,
        DmKind::Check => k::PARTNER_CHECK_DM,
        DmKind::Talk => k::PARTNER_TALK_DM,
    };
    let button = |b: Button, key, style| {
        CreateButton::new(button_id(dm.commitment, dm.partner, b, dm.expires)).label(shorten(p.text(lang, key), 80)).style(style)
    };
    let components = match kind {
        DmKind::Ask => vec![CreateActionRow::Buttons(vec![
            button(Button::Agree, k::PARTNER_AGREE, ButtonStyle::Success),
            button(Button::Talk, k::PARTNER_TALK, ButtonStyle::Secondary),
        ])],
        DmKind::Check => vec![CreateActionRow::Buttons(vec![
            button(Button::Kept, k::PARTNER_KEPT, ButtonStyle::Success),
            button(Button::Partly, k::PARTNER_PARTLY, ButtonStyle::Primary),
            button(Button::Missed, k::PARTNER_MISSED, ButtonStyle::Danger),
        ])],
        DmKind::Talk => Vec::new(),
    };
    PostBody { content: Some(shorten(&t(p, lang, key, &args), 2000)), embed: None, files: Vec::new(), components, ping: Vec::new() }
}

/// A commitment's board message: who, what, by when, to whom, and how it stands. Sent
/// with `allowed_mentions` that ping nobody, so the mentions only name.
pub fn board(p: &Prompts, e: &BoardEntry) -> PostBody {
    let lang = e.lang;
    let mut status = vec![match e.outcome {
        None => p.text(lang, k::BOARD_OPEN),
        Some(Outcome::Kept) => p.text(lang, k::BOARD_KEPT),
        Some(Outcome::Partly) => p.text(lang, k::BOARD_PARTLY),
        Some(Outcome::Missed) => p.text(lang, k::BOARD_MISSED),
    }
    .to_owned()];
    // What the partner said stays between them, the member and the digest's totals: the
    // board shows that they agreed and that they answered, never "let's talk" nor how they
    // judged it.
    match (e.verdict, e.agreement) {
        (Some(_), _) => status.push(p.text(lang, k::BOARD_PARTNER_CONFIRMED).to_owned()),
        (None, Some(Agreement::Agreed)) => status.push(p.text(lang, k::BOARD_PARTNER_AGREED).to_owned()),
        (None, Some(Agreement::Talk) | None) => {}
    }
    let args = [
        ("member", mention(e.member)),
        ("partner", e.partner.map(mention).unwrap_or_default()),
        ("due", date_stamp(e.due)),
        ("text", neutralize(&shorten(&e.text, 300)).replace('\n', "\n> ")),
        ("status", status.join(" · ")),
    ];
    let key = if e.partner.is_some() { k::BOARD_ENTRY } else { k::BOARD_ENTRY_ALONE };
    PostBody {
        content: Some(shorten(&t(p, lang, key, &args), 2000)),
        embed: None,
        files: Vec::new(),
        components: Vec::new(),
        ping: Vec::new(),
    }
}

/// The partner's side of one commitment, for `/commitments`.
pub fn partner_line(p: &Prompts, lang: Lang, v: &PartnerView) -> String {
    let partner = mention(v.partner);
    let one = |key| t(p, lang, key, &[("partner", partner.clone())]);
    // What the partner said comes first; why they were not asked (again) only when they said
    // nothing.
    match (v.verdict, v.agreement, v.unreachable) {
        (Some(o), ..) => t(p, lang, k::COMMITMENTS_PARTNER_SAYS, &[("partner", partner.clone()), ("outcome", outcome_word(p, lang, o))]),
        (None, Some(Agreement::Agreed), _) => one(k::COMMITMENTS_PARTNER_AGREED),
        (None, Some(Agreement::Talk), _) => one(k::COMMITMENTS_PARTNER_TALK),
        (None, None, Some(Unreachable::Left)) => one(k::COMMITMENTS_PARTNER_LEFT),
        (None, None, Some(Unreachable::DmsClosed)) => one(k::COMMITMENTS_PARTNER_DMS_CLOSED),
        (None, None, Some(Unreachable::Bot)) => one(k::COMMITMENTS_PARTNER_BOT),
        (None, None, None) => one(k::COMMITMENTS_PARTNER_WAITING),
    }
}
