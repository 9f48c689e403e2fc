//! The charter's proposal messages and pages, the digest's review buttons, public thanks.

use poise::serenity_prelude as serenity;
use serenity::{ButtonStyle, CreateActionRow, CreateButton, CreateEmbed};

use super::{date_stamp, embed, field, footer, limits, mention, stamp, t, PostBody};
use crate::discord::charter::{page_id, review_id, vote_id};
use crate::domain::lang::Lang;
use crate::domain::text::{neutralize, shorten};
use crate::keys as k;
use crate::prompts::Prompts;
use crate::service::{CharterPost, CharterView, Review, ThanksPost};
use crate::storage::{AdoptedBy, CharterKind, CharterStatus, Thanks, Vote};

fn kind_word(p: &Prompts, lang: Lang, kind: CharterKind) -> String {
    p.text(lang, if kind == CharterKind::Goal { k::CHARTER_GOAL } else { k::CHARTER_AGREEMENT }).to_owned()
}

/// A proposal's message: who proposed what, the votes so far and what adopts it, with the
/// vote buttons while it is open; once adopted or expired, that, and no buttons.
pub fn proposal(p: &Prompts, c: &CharterPost) -> PostBody {
    let (lang, i) = (c.lang, &c.item);
    let author = i.author.map(mention).unwrap_or_else(|| p.text(lang, k::THANKS_FORMER).to_owned());
    let text = neutralize(&i.text).replace('\n', "\n> ");
    let mut lines = vec![t(p, lang, k::CHARTER_PROPOSAL, &[("author", author), ("kind", kind_word(p, lang, i.kind)), ("text", text)])];
    let review = i.review_on.map(date_stamp).unwrap_or_default();
    let adopted = i.adopted_at.map(|a| date_stamp(a.date_naive())).unwrap_or_default();
    let mut components = Vec::new();
    match (i.status, i.adopted_by) {
        (CharterStatus::Adopted | CharterStatus::Retired, Some(AdoptedBy::Lead)) => {
            lines.push(t(p, lang, k::CHARTER_ADOPTED_LEAD, &[("date", adopted), ("review", review)]))
        }
        (CharterStatus::Adopted | CharterStatus::Retired, _) => {
            lines.push(t(p, lang, k::CHARTER_ADOPTED_MAJORITY, &[("date", adopted), ("review", review), ("active", c.active.to_string())]))
        }
        (CharterStatus::Expired, _) => lines.push(p.text(lang, k::CHARTER_EXPIRED).to_owned()),
        (CharterStatus::Proposed, _) => {
            lines.push(t(
                p,
                lang,
                k::CHARTER_VOTES,
                &[
                    ("agree", i.agree.to_string()),
                    ("not_yet", i.not_yet.to_string()),
                    ("needed", crate::domain::charter::votes_needed(c.active).to_string()),
                    ("active", c.active.to_string()),
                    ("expires", stamp(i.expires_at, 'D')),
                ],
            ));
            components.push(CreateActionRow::Buttons(vec![
                CreateButton::new(vote_id(i.id, Vote::Agree))
                    .label(shorten(p.text(lang, k::CHARTER_AGREE_BUTTON), 80))
                    .style(ButtonStyle::Success),
                CreateButton::new(vote_id(i.id, Vote::NotYet))
                    .label(shorten(p.text(lang, k::CHARTER_NOT_YET_BUTTON), 80))
                    .style(ButtonStyle::Secondary),
            ]));
        }
    }
    if let (CharterStatus::Retired, Some(at)) = (i.status, i.retired_at) {
        lines.push(t(p, lang, k::CHARTER_RETIRED, &[("date", date_stamp(at.date_naive()))]));
    }
    PostBody { content: Some(shorten(&lines.join("\n"), 2000)), embed: None, files: Vec::new(), components, ping: Vec::new() }
}

/// A public thank-you. It pings the member thanked, and no one else.
pub fn thanks(p: &Prompts, post: &ThanksPost) -> PostBody {
    let (lang, th) = (post.lang, &post.thanks);
    let to = th.to.map(mention).unwrap_or_else(|| p.text(lang, k::THANKS_FORMER).to_owned());
    let mut text =
        t(p, lang, k::THANKS_POST, &[("from", mention(th.from)), ("to", to), ("note", neutralize(&th.note).replace('\n', "\n> "))]);
    if let Some(n) = th.principle {
        text.push('\n');
        text.push_str(&t(p, lang, k::THANKS_PRINCIPLE, &[("number", n.to_string()), ("title", p.catalog.get(n).text(lang).title.clone())]));
    }
    PostBody {
        content: Some(shorten(&text, 2000)),
        embed: None,
        files: Vec::new(),
        components: Vec::new(),
        ping: th.to.into_iter().collect(),
    }
}

/// One page of `/charter show`, with buttons to the pages before and after.
pub fn charter_page(p: &Prompts, lang: Lang, v: &CharterView, team: crate::domain::ids::TeamId) -> (CreateEmbed, Vec<CreateActionRow>) {
    let mut e = embed(p.text(lang, k::CHARTER_TITLE).to_owned());
    if v.items.is_empty() {
        e = e.description(p.text(lang, k::CHARTER_EMPTY));
    }
    for (kind, key) in [(CharterKind::Goal, k::CHARTER_GOALS), (CharterKind::Agreement, k::CHARTER_AGREEMENTS)] {
        let lines: Vec<String> = v
            .items
            .iter()
            .filter(|(_, i)| i.kind == kind)
            .map(|(n, i)| {
                t(
                    p,
                    lang,
                    k::CHARTER_LINE,
                    &[
                        ("n", n.to_string()),
                        ("text", neutralize(&i.text).replace('\n', " ")),
                        ("adopted", i.adopted_at.map(|a| date_stamp(a.date_naive())).unwrap_or_default()),
                        ("review", i.review_on.map(date_stamp).unwrap_or_default()),
                    ],
                )
            })
            .collect();
        if !lines.is_empty() {
            // A field holds 1,024 characters: a long page of one kind is split across fields.
            let mut chunk = String::new();
            for line in lines {
                if chunk.chars().count() + line.chars().count() + 1 > limits::FIELD_VALUE {
                    e = field(e, p.text(lang, key).to_owned(), std::mem::take(&mut chunk));
                }
                if !chunk.is_empty() {
                    chunk.push('\n');
                }
                chunk.push_str(&shorten(&line, limits::FIELD_VALUE));
            }
            e = field(e, p.text(lang, key).to_owned(), chunk);
        }
    }
    let mut notes = Vec::new();
    if v.open > 0 {
        notes.push(t(p, lang, k::CHARTER_OPEN, &[("count", v.open.to_string())]));
    }
    if v.pages > 1 {
        notes.push(t(p, lang, k::CHARTER_PAGE, &[("page", (v.page + 1).to_string()), ("pages", v.pages.to_string())]));
    }
    if !notes.is_empty() {
        e = footer(e, notes.join(" · "));
    }
    let mut rows = Vec::new();
    if v.pages > 1 {
        rows.push(CreateActionRow::Buttons(vec![
            CreateButton::new(page_id(team, v.page.saturating_sub(1), "prev"))
                .label(shorten(p.text(lang, k::CHARTER_PREV), 80))
                .style(ButtonStyle::Secondary)
                .disabled(v.page == 0),
            CreateButton::new(page_id(team, (v.page + 1).min(v.pages - 1), "next"))
                .label(shorten(p.text(lang, k::CHARTER_NEXT), 80))
                .style(ButtonStyle::Secondary)
                .disabled(v.page + 1 >= v.pages),
        ]));
    }
    (e, rows)
}

/// The digest's review buttons: keep or retire, one row per item due (Discord allows five
/// rows; more items are reviewed with `/charter retire` or in the next digest).
pub fn digest_review_buttons(p: &Prompts, lang: Lang, d: &crate::domain::digest::Digest) -> Vec<CreateActionRow> {
    d.charter_due
        .iter()
        .take(5)
        .map(|c| {
            let id = c.id.to_string();
            CreateActionRow::Buttons(vec![
                CreateButton::new(review_id(c.id, Review::Keep))
                    .label(shorten(&t(p, lang, k::CHARTER_KEEP_BUTTON, &[("id", id.clone())]), 80))
                    .style(ButtonStyle::Success),
                CreateButton::new(review_id(c.id, Review::Retire))
                    .label(shorten(&t(p, lang, k::CHARTER_RETIRE_BUTTON, &[("id", id)]), 80))
                    .style(ButtonStyle::Danger),
            ])
        })
        .collect()
}

/// `/me history`'s thanks: how many, and the newest few with who gave them.
pub fn thanks_received(p: &Prompts, lang: Lang, count: u32, recent: &[Thanks]) -> Option<(String, String)> {
    if count == 0 {
        return None;
    }
    let mut lines = vec![t(p, lang, k::HISTORY_THANKS_VALUE, &[("count", count.to_string())])];
    lines.extend(recent.iter().map(|th| format!("• {}: “{}”", mention(th.from), neutralize(&shorten(&th.note, 120)).replace('\n', " "))));
    Some((p.text(lang, k::HISTORY_THANKS).to_owned(), lines.join("\n")))
}
