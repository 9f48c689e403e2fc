//! Turning service answers into Discord embeds and text, within Discord's limits.

use chrono::{DateTime, NaiveDate, Utc};
use poise::serenity_prelude as serenity;
use serenity::{CreateEmbed, CreateEmbedFooter};

use crate::domain::checkin::{CheckinKind, Outcome};
use crate::domain::ids::UserId;
use crate::domain::lang::Lang;
use crate::domain::schedule::Occurrence;
use crate::domain::text::{neutralize, shorten};
use crate::domain::time::weekday_code;
use crate::keys::{self as k, Key};
use crate::prompts::Prompts;
use crate::service::{ClearSetting, CommitmentsSaved, CommitmentsView, CommunicationSaved, Post, SetupView, TipView};
use crate::storage::{Commitment, JobKind, Undone};

mod charter;
mod partners;
pub use charter::{charter_page, digest_review_buttons, thanks_received};
pub use partners::partner_line;

/// The bot's accent colour.
pub const COLOR: u32 = 0x2E86AB;

/// Discord's embed limits (shared/discord/LIMITS.md).
pub mod limits {
    /// Embed title.
    pub const TITLE: usize = 256;
    /// Embed description.
    pub const DESCRIPTION: usize = 4096;
    /// Field name.
    pub const FIELD_NAME: usize = 256;
    /// Field value.
    pub const FIELD_VALUE: usize = 1024;
    /// Footer text.
    pub const FOOTER: usize = 2048;
}

/// Text with placeholders filled.
pub fn t(p: &Prompts, lang: Lang, key: Key, args: &[(&str, String)]) -> String {
    p.render(lang, key, args)
}

fn embed(title: String) -> CreateEmbed {
    CreateEmbed::new().colour(COLOR).title(shorten(&title, limits::TITLE))
}

fn field(e: CreateEmbed, name: String, value: String) -> CreateEmbed {
    // Discord refuses empty field values; a blank one becomes a dash.
    let value = if value.trim().is_empty() { "—".to_owned() } else { value };
    e.field(shorten(&name, limits::FIELD_NAME), shorten(&value, limits::FIELD_VALUE), false)
}

fn footer(e: CreateEmbed, text: String) -> CreateEmbed {
    e.footer(CreateEmbedFooter::new(shorten(&text, limits::FOOTER)))
}

fn bullets(items: &[String]) -> String {
    items.iter().map(|s| format!("• {s}")).collect::<Vec<_>>().join("\n")
}

/// A Discord timestamp that each reader sees in their own zone: `<t:…:D>` (date) or `:f`.
pub fn stamp(at: DateTime<Utc>, style: char) -> String {
    format!("<t:{}:{style}>", at.timestamp())
}

/// A local date shown as a Discord date stamp (noon UTC of that date, so it shows the same
/// calendar day everywhere from UTC-11 to UTC+11).
pub fn date_stamp(d: NaiveDate) -> String {
    let noon = d.and_hms_opt(12, 0, 0).expect("valid").and_utc();
    format!("{} ({})", stamp(noon, 'D'), d)
}

/// `/help`.
pub fn help(p: &Prompts, lang: Lang) -> CreateEmbed {
    let e = embed(p.text(lang, k::HELP_TITLE).to_owned()).description(p.text(lang, k::HELP_BODY));
    let e = field(e, "📖".into(), p.text(lang, k::HELP_LEARN).to_owned());
    let e = field(e, "✅".into(), p.text(lang, k::HELP_CHECKIN).to_owned());
    let e = field(e, "🤝".into(), p.text(lang, k::HELP_TEAM).to_owned());
    let e = field(e, "📊".into(), p.text(lang, k::HELP_LEADS).to_owned());
    field(e, "🔒".into(), p.text(lang, k::HELP_PRIVACY).to_owned())
}

/// `/principle`: number and title, summary, tips, reflection questions, try this today.
pub fn principle(p: &Prompts, lang: Lang, number: u8, today: Option<NaiveDate>) -> CreateEmbed {
    let pr = p.catalog.get(number).text(lang);
    let title = t(p, lang, k::PRINCIPLE_HEADING, &[("number", number.to_string()), ("title", pr.title.clone())]);
    let e = embed(title).description(shorten(&pr.summary, limits::DESCRIPTION));
    let e = field(e, p.text(lang, k::PRINCIPLE_TIPS).to_owned(), bullets(&pr.tips));
    let e = field(e, p.text(lang, k::PRINCIPLE_QUESTIONS).to_owned(), bullets(&pr.questions));
    let e = field(e, p.text(lang, k::PRINCIPLE_TRY_TODAY).to_owned(), pr.try_today.clone());
    let foot = match today {
        Some(d) => t(p, lang, k::PRINCIPLE_TODAY_FOOTER, &[("date", d.to_string())]),
        None => t(p, lang, k::PRINCIPLE_FOOTER, &[("number", number.to_string())]),
    };
    footer(e, foot)
}

/// `/practice`: the principle's team exercise, and its template where it has one.
pub fn practice(p: &Prompts, lang: Lang, v: crate::service::PracticeView) -> CreateEmbed {
    use crate::service::PracticeWhy;
    let pr = p.catalog.get(v.number).text(lang);
    let pc = &pr.practice;
    let title = t(
        p,
        lang,
        k::PRACTICE_TITLE,
        &[("number", v.number.to_string()), ("title", pr.title.clone()), ("minutes", pc.minutes().to_string())],
    );
    let e = embed(shorten(&title, limits::TITLE)).description(shorten(&pc.purpose, limits::DESCRIPTION));
    let steps: Vec<String> =
        pc.steps.iter().map(|(m, text)| t(p, lang, k::PRACTICE_STEP, &[("minutes", m.to_string()), ("text", text.clone())])).collect();
    let e = field(e, p.text(lang, k::PRACTICE_STEPS).to_owned(), fit_lines(steps.into_iter()));
    let e = field(e, p.text(lang, k::PRACTICE_QUESTIONS).to_owned(), bullets(&pc.questions));
    let mut e = field(e, p.text(lang, k::PRACTICE_WRITE_DOWN).to_owned(), pc.write_down.clone());
    if let Some(tpl) = &pr.template {
        e = field(e, format!("📋 {}", tpl.title), bullets(&tpl.lines));
    }
    let foot = match v.why {
        PracticeWhy::Focus => k::PRACTICE_FOOTER_FOCUS,
        PracticeWhy::Today => k::PRACTICE_FOOTER_TODAY,
        PracticeWhy::Chosen => k::PRACTICE_FOOTER_CHOSEN,
    };
    footer(e, p.text(lang, foot).to_owned())
}

/// `/principles`: the ten, one line each.
pub fn principles(p: &Prompts, lang: Lang) -> CreateEmbed {
    let lines: Vec<String> = p.catalog.all().iter().map(|pr| format!("**{}.** {}", pr.number, pr.text(lang).title)).collect();
    let e = embed(p.text(lang, k::PRINCIPLES_TITLE).to_owned()).description(lines.join("\n"));
    footer(e, p.text(lang, k::PRINCIPLES_FOOTER).to_owned())
}

/// `/tip`.
pub fn tip(p: &Prompts, lang: Lang, v: TipView) -> CreateEmbed {
    let pr = p.catalog.get(v.number).text(lang);
    let tip = pr.tips.get(v.tip).cloned().unwrap_or_default();
    let e = embed(t(p, lang, k::TIP_TITLE, &[("number", v.number.to_string()), ("title", pr.title.clone())])).description(tip);
    footer(e, t(p, lang, k::TIP_FOOTER, &[("number", v.number.to_string())]))
}

/// A scheduled post: message content and/or one embed, and the files it attaches.
pub struct PostBody {
    /// Plain text.
    pub content: Option<String>,
    /// The embed.
    pub embed: Option<CreateEmbed>,
    /// Attached files: (name, bytes). The digest's chart, shown as the embed's image.
    pub files: Vec<(String, Vec<u8>)>,
    /// Buttons (a partner's DM, a charter proposal).
    pub components: Vec<serenity::CreateActionRow>,
    /// The only members it may ping (a thank-you pings the member thanked); everything
    /// else the bot posts pings nobody.
    pub ping: Vec<UserId>,
}

/// Renders a scheduled post. `guilds` (when there are) give a reminder the guild's name.
pub fn post(p: &Prompts, post: &Post, guilds: Option<&super::guilds::Guilds>) -> PostBody {
    match post {
        Post::Reminder { lang, guild, principle, teams } => {
            let name = guilds.and_then(|g| g.name(*guild)).unwrap_or_else(|| format!("server {guild}"));
            let title = p.catalog.get(*principle).text(*lang).title.clone();
            let mut args = vec![("guild", neutralize(&name)), ("number", principle.to_string()), ("title", title)];
            // Named only in a server with teams; with one, the reminder reads as it always did.
            let key = if teams.is_empty() {
                k::REMIND_DM
            } else {
                let names: Vec<String> = teams.iter().map(|n| format!("**{}**", neutralize(n))).collect();
                args.push(("teams", names.join(", ")));
                k::REMIND_DM_TEAMS
            };
            let text = t(p, *lang, key, &args);
            PostBody { content: Some(shorten(&text, 2000)), embed: None, files: Vec::new(), components: Vec::new(), ping: Vec::new() }
        }
        Post::ChannelGone { lang, guild, what, channel } => {
            let name = guilds.and_then(|g| g.name(*guild)).unwrap_or_else(|| format!("server {guild}"));
            let key = if *what == JobKind::Digest { k::NOTICE_DIGEST_GONE } else { k::NOTICE_DAILY_GONE };
            let text = t(p, *lang, key, &[("guild", neutralize(&name)), ("channel", channel.to_string())]);
            PostBody { content: Some(shorten(&text, 2000)), embed: None, files: Vec::new(), components: Vec::new(), ping: Vec::new() }
        }
        Post::Digest { lang, digest: d } => {
            let (embed, chart) = digest_with_chart(p, *lang, d);
            PostBody {
                content: None,
                embed: Some(embed),
                files: chart.into_iter().map(|png| (crate::report::CHART_FILE.to_owned(), png)).collect(),
                components: digest_review_buttons(p, *lang, d),
                ping: Vec::new(),
            }
        }
        Post::PartnerAsk(dm) => partners::dm(p, dm, partners::DmKind::Ask, guilds),
        Post::PartnerCheck(dm) => partners::dm(p, dm, partners::DmKind::Check, guilds),
        Post::PartnerTalk(dm) => partners::dm(p, dm, partners::DmKind::Talk, guilds),
        Post::Board(entry) => partners::board(p, entry),
        Post::Charter(c) => charter::proposal(p, c),
        Post::Thanks(t) => charter::thanks(p, t),
        other => PostBody { content: None, embed: Some(post_embed(p, other)), files: Vec::new(), components: Vec::new(), ping: Vec::new() },
    }
}

fn post_embed(p: &Prompts, post: &Post) -> CreateEmbed {
    match post {
        // Rendered as text by `post` before this is reached.
        Post::PartnerAsk(_) | Post::PartnerCheck(_) | Post::PartnerTalk(_) | Post::Board(_) | Post::Charter(_) | Post::Thanks(_) => {
            CreateEmbed::new()
        }
        Post::Daily { lang, principle, tip, question, date, focus } => {
            let lang = *lang;
            let pr = p.catalog.get(*principle).text(lang);
            let title = t(p, lang, k::DAILY_TITLE, &[("number", principle.to_string()), ("title", pr.title.clone())]);
            let mut description = pr.summary.clone();
            // The week's focus, named in one line on the days it is not the day's principle.
            if let Some(f) = focus.filter(|f| f != principle) {
                let title = p.catalog.get(f).text(lang).title.clone();
                description.push_str("\n\n");
                description.push_str(&t(p, lang, k::DAILY_FOCUS, &[("number", f.to_string()), ("title", title)]));
            }
            let e = embed(title).description(shorten(&description, limits::DESCRIPTION));
            let e = field(e, p.text(lang, k::DAILY_TIP).to_owned(), pr.tips.get(*tip).cloned().unwrap_or_default());
            let e = field(e, p.text(lang, k::DAILY_QUESTION).to_owned(), pr.questions.get(*question).cloned().unwrap_or_default());
            let mut e = field(e, "✅".into(), p.text(lang, k::DAILY_INVITE).to_owned());
            // The focus principle's own day brings the team exercise for it.
            if *focus == Some(*principle) {
                let pc = &pr.practice;
                let steps: Vec<String> = pc
                    .steps
                    .iter()
                    .map(|(m, text)| t(p, lang, k::PRACTICE_STEP, &[("minutes", m.to_string()), ("text", text.clone())]))
                    .collect();
                let name = t(p, lang, k::DAILY_PRACTICE, &[("minutes", pc.minutes().to_string())]);
                e = field(e, name, fit_lines(std::iter::once(pc.purpose.clone()).chain(steps)));
            }
            footer(e, t(p, lang, k::PRINCIPLE_TODAY_FOOTER, &[("date", date.to_string())]))
        }
        Post::Digest { lang, digest: d } => digest(p, *lang, d),
        Post::Reminder { .. } | Post::ChannelGone { .. } => unreachable!("plain text, rendered in `post`"),
    }
}

/// The digest's embed with its chart as the image, and the chart's PNG to attach; without a
/// chart (nothing to draw yet) the embed has no image, never a broken one.
pub fn digest_with_chart(p: &Prompts, lang: Lang, d: &crate::domain::digest::Digest) -> (CreateEmbed, Option<Vec<u8>>) {
    let e = digest(p, lang, d);
    match crate::report::chart(p, lang, d) {
        Some(chart) => (e.image(format!("attachment://{}", crate::report::CHART_FILE)), Some(chart.png)),
        None => (e, None),
    }
}

/// The weekly digest as one embed. Every section is cut to Discord's limits (whole lines
/// first, then an ellipsis), so a long note can never get the message refused.
pub fn digest(p: &Prompts, lang: Lang, d: &crate::domain::digest::Digest) -> CreateEmbed {
    let r = crate::report::layout(p, lang, d, true);
    let mut e = embed(r.title);
    for s in r.sections {
        e = field(e, s.title, fit_lines(s.body.lines().map(str::to_owned)));
    }
    e = field(e, format!("🎯 {}", r.focus_title), r.focus_reason);
    footer(e, r.footer)
}

fn mention(u: UserId) -> String {
    format!("<@{u}>")
}

/// How a commitment ended, as a word: the member's own outcome and a partner's answer alike.
pub fn outcome_word(p: &Prompts, lang: Lang, o: Outcome) -> String {
    p.text(
        lang,
        match o {
            Outcome::Kept => k::OUTCOME_KEPT,
            Outcome::Partly => k::OUTCOME_PARTLY,
            Outcome::Missed => k::OUTCOME_MISSED,
        },
    )
    .to_owned()
}

/// Confirmation of a commitments check-in.
pub fn commitments_saved(p: &Prompts, lang: Lang, s: &CommitmentsSaved) -> CreateEmbed {
    let mut lines = Vec::new();
    if let Some(prev) = &s.previous {
        let args =
            [("text", neutralize(&prev.text)), ("due", date_stamp(prev.due)), ("partner", prev.partner.map(mention).unwrap_or_default())];
        let key = if prev.partner.is_some() { k::CHECKIN_LAST_TIME_PARTNER } else { k::CHECKIN_LAST_TIME };
        lines.push(t(p, lang, key, &args));
        match s.resolved {
            Some(o) => lines.push(t(p, lang, k::CHECKIN_RESOLVED, &[("outcome", outcome_word(p, lang, o))])),
            None => lines.push(p.text(lang, k::CHECKIN_OPEN_UNRESOLVED).to_owned()),
        }
    } else if s.nothing_to_resolve {
        lines.push(p.text(lang, k::ERR_NOTHING_TO_RESOLVE).to_owned());
    }
    if let Some(n) = &s.new {
        let args = [("text", neutralize(&n.text)), ("due", date_stamp(n.due)), ("partner", n.partner.map(mention).unwrap_or_default())];
        let key = if n.partner.is_some() { k::CHECKIN_NEW_COMMITMENT_PARTNER } else { k::CHECKIN_NEW_COMMITMENT };
        lines.push(t(p, lang, key, &args));
    }
    if let (Some(asked), Some(partner)) = (s.partner_asked, s.new.as_ref().and_then(|n| n.partner)) {
        let key = match asked {
            crate::service::PartnerAsked::Asked => k::CHECKIN_PARTNER_ASKED,
            crate::service::PartnerAsked::Yourself => k::CHECKIN_PARTNER_YOURSELF,
            crate::service::PartnerAsked::Bot => k::CHECKIN_PARTNER_BOT,
        };
        lines.push(t(p, lang, key, &[("partner", mention(partner))]));
    }
    if let Some(board) = s.board {
        lines.push(t(p, lang, k::CHECKIN_ON_BOARD, &[("channel", format!("<#{board}>"))]));
    }
    if let Some(b) = &s.blocker {
        lines.push(t(p, lang, k::CHECKIN_BLOCKER, &[("text", neutralize(b))]));
    }
    lines.push(t(p, lang, k::CHECKIN_STREAK, &[("weeks", s.streak.to_string())]));
    let e = embed(p.text(lang, k::CHECKIN_TITLE_COMMITMENTS).to_owned()).description(shorten(&lines.join("\n"), limits::DESCRIPTION));
    footer(e, coach(p, lang, s.coach))
}

/// Confirmation of a communication check-in.
pub fn communication_saved(p: &Prompts, lang: Lang, s: &CommunicationSaved) -> CreateEmbed {
    let mut lines = vec![t(p, lang, k::CHECKIN_COMMUNICATION, &[("rating", s.rating.to_string())])];
    if s.replaced {
        lines.push(p.text(lang, k::CHECKIN_REPLACED).to_owned());
    }
    lines.push(t(p, lang, k::CHECKIN_STREAK, &[("weeks", s.streak.to_string())]));
    let e = embed(p.text(lang, k::CHECKIN_TITLE_COMMUNICATION).to_owned()).description(lines.join("\n"));
    footer(e, coach(p, lang, s.coach))
}

fn coach(p: &Prompts, lang: Lang, (principle, tip): (u8, usize)) -> String {
    let tip = p.catalog.get(principle).text(lang).tips.get(tip).cloned().unwrap_or_default();
    t(p, lang, k::CHECKIN_COACH, &[("tip", tip)])
}

/// `/commitments`.
pub fn commitments(p: &Prompts, lang: Lang, v: &CommitmentsView) -> CreateEmbed {
    let line = |c: &Commitment| {
        let mut parts = vec![format!("\"{}\"", neutralize(&shorten(&c.text, 120)))];
        parts.push(t(p, lang, k::COMMITMENTS_DUE, &[("due", date_stamp(c.due))]));
        let view = v.views.get(&c.id);
        if let (Some(u), None) = (c.partner, view) {
            parts.push(t(p, lang, k::COMMITMENTS_TO, &[("partner", mention(u))]));
        }
        match c.outcome {
            Some(o) => parts.push(format!("**{}**", outcome_word(p, lang, o))),
            None if c.due < v.today => parts.push(p.text(lang, k::COMMITMENTS_OVERDUE).to_owned()),
            None => {}
        }
        // The partner's side beside the member's own.
        if let Some(view) = view {
            parts.push(partner_line(p, lang, view));
        }
        format!("• {}", parts.join(" · "))
    };
    let open = if v.open.is_empty() { p.text(lang, k::COMMITMENTS_NONE).to_owned() } else { fit_lines(v.open.iter().map(line)) };
    let resolved =
        if v.resolved.is_empty() { p.text(lang, k::COMMITMENTS_NONE_RESOLVED).to_owned() } else { fit_lines(v.resolved.iter().map(line)) };
    let e = embed(p.text(lang, k::COMMITMENTS_TITLE).to_owned());
    let e = field(e, p.text(lang, k::COMMITMENTS_OPEN).to_owned(), open);
    field(e, p.text(lang, k::COMMITMENTS_RESOLVED).to_owned(), resolved)
}

/// `/checkin undo`: what was undone.
pub fn undone(p: &Prompts, lang: Lang, u: &Undone) -> String {
    let mut lines = vec![match (u.kind, u.rating) {
        (CheckinKind::Communication, Some(r)) => t(p, lang, k::UNDO_COMMUNICATION, &[("rating", r.to_string())]),
        _ => p.text(lang, k::UNDO_COMMITMENTS).to_owned(),
    }];
    if let Some(text) = &u.reopened {
        lines.push(t(p, lang, k::UNDO_REOPENED, &[("text", neutralize(&shorten(text, 300)))]));
    }
    if let Some(text) = &u.removed {
        lines.push(t(p, lang, k::UNDO_REMOVED, &[("text", neutralize(&shorten(text, 300)))]));
    }
    lines.join("\n")
}

/// `/setup clear`: what was turned off, or that `setting` was not set.
pub fn setup_cleared(p: &Prompts, lang: Lang, which: ClearSetting, was_set: bool, setting: &str) -> String {
    let key = match (was_set, which) {
        (true, ClearSetting::Daily) => k::SETUP_CLEARED_DAILY,
        (true, ClearSetting::Digest) => k::SETUP_CLEARED_DIGEST,
        (true, ClearSetting::LeadRole) => k::SETUP_CLEARED_LEAD_ROLE,
        (true, ClearSetting::Board) => k::SETUP_CLEARED_BOARD,
        (false, _) => return t(p, lang, k::SETUP_CLEARED_NOTHING, &[("setting", neutralize(setting))]),
    };
    p.text(lang, key).to_owned()
}

/// `/setup show`: the settings, the next posts and the last failure, if any.
pub fn setup_show(p: &Prompts, lang: Lang, v: &SetupView, today: chrono::NaiveDate) -> CreateEmbed {
    let st = &v.settings;
    let zone = st.zone;
    let mut lines = Vec::new();
    // In a server with teams, the settings shown are one team's: say which, and which others
    // there are.
    if !v.teams.is_empty() {
        lines.push(t(p, lang, k::SETUP_SHOW_TEAM, &[("team", neutralize(&st.team.name))]));
        let names: Vec<String> = v.teams.iter().map(|t| format!("`{}`", neutralize(&t.name))).collect();
        lines.push(t(p, lang, k::SETUP_SHOW_TEAMS, &[("teams", names.join(", "))]));
    }
    if let Some((start, end)) = st.pause.filter(|(_, end)| *end >= today) {
        lines.push(t(p, lang, k::SETUP_SHOW_PAUSE, &[("start", start.to_string()), ("end", end.to_string())]));
    }
    let next_line = |what: &str, occ: &Occurrence| {
        let local = occ.at.with_timezone(&zone.0).format("%Y-%m-%d %H:%M").to_string();
        t(p, lang, k::SETUP_SHOW_NEXT, &[("what", what.into()), ("local", local), ("stamp", stamp(occ.at, 'R'))])
    };
    match st.daily {
        Some(d) => {
            let days = p.text(lang, if d.weekdays_only { k::SETUP_WEEKDAYS_ONLY } else { k::SETUP_EVERY_DAY });
            lines.push(t(
                p,
                lang,
                k::SETUP_SHOW_DAILY,
                &[
                    ("channel", format!("<#{}>", d.channel)),
                    ("time", d.time.to_string()),
                    ("zone", zone.to_string()),
                    ("days", days.into()),
                ],
            ));
            if let Some(n) = &v.next_daily {
                lines.push(next_line("📅", n));
            }
        }
        None => lines.push(p.text(lang, k::SETUP_SHOW_DAILY_OFF).to_owned()),
    }
    match st.digest {
        Some(d) => {
            lines.push(t(
                p,
                lang,
                k::SETUP_SHOW_DIGEST,
                &[
                    ("channel", format!("<#{}>", d.channel)),
                    ("day", weekday_code(d.day).into()),
                    ("time", d.time.to_string()),
                    ("zone", zone.to_string()),
                ],
            ));
            if let Some(n) = &v.next_digest {
                lines.push(next_line("📊", n));
            }
        }
        None => lines.push(p.text(lang, k::SETUP_SHOW_DIGEST_OFF).to_owned()),
    }
    lines.push(match st.language {
        Some(l) => t(p, lang, k::SETUP_SHOW_LANGUAGE, &[("language", l.code().into())]),
        None => p.text(lang, k::SETUP_SHOW_LANGUAGE_AUTO).to_owned(),
    });
    lines.push(match st.lead_role {
        Some(r) => t(p, lang, k::SETUP_SHOW_LEAD_ROLE, &[("role", format!("<@&{r}>"))]),
        None => p.text(lang, k::SETUP_SHOW_LEAD_ROLE_NONE).to_owned(),
    });
    if let Some(board) = st.board {
        lines.push(t(p, lang, k::SETUP_SHOW_BOARD, &[("channel", format!("<#{board}>"))]));
    }
    lines.push(t(p, lang, k::SETUP_SHOW_ZONE, &[("zone", zone.to_string())]));
    lines.push(t(p, lang, k::SETUP_SHOW_PRIVACY, &[("count", st.min_people.to_string())]));
    let retention = if st.retention_weeks == 0 { "∞".to_owned() } else { st.retention_weeks.to_string() };
    lines.push(t(p, lang, k::SETUP_SHOW_RETENTION, &[("weeks", retention)]));
    lines.push(match &v.last_failure {
        Some(f) => t(
            p,
            lang,
            k::SETUP_SHOW_FAILURE,
            &[
                ("what", format!("{} {}", f.kind, f.period)),
                ("when", stamp(f.at, 'R')),
                ("error", crate::domain::text::neutralize(&f.error)),
            ],
        ),
        None => p.text(lang, k::SETUP_SHOW_NO_FAILURE).to_owned(),
    });
    if let Some(late) = &v.last_late {
        let minutes = ((late.late_secs + 30) / 60).max(1);
        lines.push(t(
            p,
            lang,
            k::SETUP_SHOW_LATE,
            &[("what", format!("{} {}", late.kind, late.period)), ("minutes", minutes.to_string()), ("when", stamp(late.at, 'R'))],
        ));
    }
    CreateEmbed::new()
        .colour(COLOR)
        .title(p.text(lang, k::SETUP_SHOW_TITLE))
        .description(crate::domain::text::shorten(&lines.join("\n"), limits::DESCRIPTION))
}

/// Names the team an answer is about (as the embed's author line), in a server with teams;
/// unchanged in a server without them.
pub fn with_team(e: CreateEmbed, p: &Prompts, lang: Lang, session: &crate::service::Session) -> CreateEmbed {
    if !session.has_teams() {
        return e;
    }
    let name = t(p, lang, k::TEAM_OF, &[("team", session.settings.team.name.clone())]);
    e.author(serenity::CreateEmbedAuthor::new(shorten(&name, 256)))
}

/// The file name of `/me history`'s chart.
pub const HISTORY_FILE: &str = "my-weeks.png";

/// `/me history`: the member's twelve weeks as lines and a small chart (their keep rate and
/// their mean rating; no threshold: it is their own data, shown to them alone).
pub fn history(
    p: &Prompts,
    lang: Lang,
    weeks: &[crate::domain::trend::MemberWeek],
    thanks: Option<(String, String)>,
) -> (CreateEmbed, Option<Vec<u8>>) {
    use crate::domain::trend::sparkline;
    let (first, last) =
        (weeks.first().map(|w| w.week.clone()).unwrap_or_default(), weeks.last().map(|w| w.week.clone()).unwrap_or_default());
    let e = embed(p.text(lang, k::HISTORY_TITLE).to_owned());
    let e = footer(e, t(p, lang, k::HISTORY_FOOTER, &[("first", first), ("last", last)]));
    // The thanks the member received, seen only by them.
    let e = match thanks {
        Some((name, value)) => field(e, name, value),
        None => e,
    };
    if weeks.iter().all(|w| !w.checked_in && w.made == 0 && w.keep_rate().is_none()) {
        return (e.description(p.text(lang, k::HISTORY_NONE)), None);
    }
    let checked = weeks.iter().filter(|w| w.checked_in).count();
    let presence: String = weeks.iter().map(|w| if w.checked_in { '■' } else { '□' }).collect();
    let sum = |f: fn(&crate::domain::trend::MemberWeek) -> u32| weeks.iter().map(f).sum::<u32>().to_string();
    let rated: Vec<f64> = weeks.iter().filter_map(|w| w.rating).collect();
    let mean = if rated.is_empty() { "—".to_owned() } else { format!("{:.1}/5", rated.iter().sum::<f64>() / rated.len() as f64) };
    let lines = [
        t(p, lang, k::HISTORY_WEEKS, &[("count", checked.to_string()), ("line", presence)]),
        t(
            p,
            lang,
            k::HISTORY_COMMITMENTS,
            &[("made", sum(|w| w.made)), ("kept", sum(|w| w.kept)), ("partly", sum(|w| w.partly)), ("missed", sum(|w| w.missed))],
        ),
        t(p, lang, k::HISTORY_RATINGS, &[("line", sparkline(weeks.iter().map(|w| w.rating), 1.0, 5.0)), ("mean", mean)]),
    ];
    let chart_weeks: Vec<crate::chart::ChartWeek> = weeks
        .iter()
        .map(|w| crate::chart::ChartWeek {
            label: w.week.rsplit('-').next().unwrap_or(&w.week).to_owned(),
            participation: None,
            keep_rate: w.keep_rate(),
            rating: w.rating,
        })
        .collect();
    let labels = crate::chart::ChartLabels {
        title: p.text(lang, k::HISTORY_CHART_TITLE).to_owned(),
        participation: String::new(),
        keep_rate: p.text(lang, k::CHART_KEEP_RATE).to_owned(),
        rating: p.text(lang, k::CHART_RATING).to_owned(),
    };
    let chart = crate::chart::render(&chart_weeks, &labels);
    let e = e.description(lines.join("\n"));
    match chart {
        Some(c) => (e.image(format!("attachment://{HISTORY_FILE}")), Some(c.png)),
        None => (e, None),
    }
}

/// `/team list`.
pub fn team_list(p: &Prompts, lang: Lang, v: &crate::service::TeamList) -> CreateEmbed {
    let mut lines = Vec::new();
    for (team, joined) in &v.teams {
        let members = match (team.role, joined) {
            _ if team.id.is_default() => p.text(lang, k::TEAM_LIST_DEFAULT).to_owned(),
            (Some(r), _) => t(p, lang, k::TEAM_LIST_ROLE, &[("role", format!("<@&{r}>"))]),
            (None, n) => t(p, lang, k::TEAM_LIST_JOINED, &[("count", n.unwrap_or(0).to_string())]),
        };
        let home = team.home.map(|c| t(p, lang, k::TEAM_LIST_HOME, &[("channel", format!("<#{c}>"))])).unwrap_or_default();
        lines.push(t(p, lang, k::TEAM_LIST_LINE, &[("team", neutralize(&team.name)), ("members", members), ("home", home)]));
    }
    let mine: Vec<String> =
        v.teams.iter().filter(|(t, _)| v.mine.contains(&t.id)).map(|(t, _)| format!("**{}**", neutralize(&t.name))).collect();
    lines.push(String::new());
    lines.push(t(p, lang, k::TEAM_LIST_MINE, &[("teams", mine.join(", "))]));
    let e = CreateEmbed::new()
        .colour(COLOR)
        .title(p.text(lang, k::TEAM_LIST_TITLE))
        .description(crate::domain::text::shorten(&lines.join("\n"), limits::DESCRIPTION));
    footer(e, p.text(lang, k::TEAM_LIST_FOOTER).to_owned())
}

/// Joins lines into one field value, dropping whole lines (with a "…") rather than cutting
/// one in half when they do not fit.
pub fn fit_lines(lines: impl Iterator<Item = String>) -> String {
    let mut out = String::new();
    let mut used = 0;
    for l in lines {
        let l = shorten(&l, limits::FIELD_VALUE - 2);
        let len = l.chars().count() + 1;
        if used + len > limits::FIELD_VALUE - 2 {
            out.push_str("\n…");
            break;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&l);
        used += len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::snapshots;

    #[test]
    fn snapshot_digest_embed() {
        // The embed exactly as it is sent.
        let p = Prompts::builtin().unwrap();
        let embed = serde_json::to_string_pretty(&digest(&p, Lang::En, &snapshots::fixture())).unwrap() + "\n";
        snapshots::check("digest.embed.json", &embed);
    }

    #[test]
    fn a_digest_with_huge_notes_still_fits_every_embed_limit() {
        let p = Prompts::builtin().unwrap();
        let mut d = snapshots::fixture();
        d.went_well = vec!["word ".repeat(900); 3];
        d.blockers = vec!["ệ".repeat(4000); 5];
        let v = serde_json::to_value(digest(&p, Lang::Vi, &d)).unwrap();
        let mut total = v["title"].as_str().unwrap().chars().count() + v["footer"]["text"].as_str().unwrap().chars().count();
        for f in v["fields"].as_array().unwrap() {
            let (n, val) = (f["name"].as_str().unwrap().chars().count(), f["value"].as_str().unwrap().chars().count());
            assert!(n <= limits::FIELD_NAME && val <= limits::FIELD_VALUE && val > 0);
            total += n + val;
        }
        assert!(total <= 6000, "{total}");
    }
}
