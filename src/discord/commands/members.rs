//! `/me`, `/remind`, `/away`: a member's own settings.

use super::DayChoice;
use crate::discord::context::{reply_embed, reply_text, session, within_window, Context, Error};
use crate::discord::render::{self, stamp, t};
use crate::domain::time::weekday_code;
use crate::keys as k;

/// Your own settings: time zone, what the bot knows about you
#[poise::command(
    slash_command,
    subcommands("me_timezone", "me_show", "me_history"),
    subcommand_required,
    description_localized("vi", "Cài đặt của riêng bạn: múi giờ, những gì bot biết về bạn")
)]
pub async fn me(_: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Set your own time zone (reminders use it)
#[poise::command(slash_command, rename = "timezone", description_localized("vi", "Đặt múi giờ của riêng bạn (dùng cho lời nhắc)"))]
pub async fn me_timezone(
    ctx: Context<'_>,
    #[description = "Time zone (IANA), e.g. Asia/Ho_Chi_Minh"]
    #[description_localized("vi", "Múi giờ (IANA), ví dụ Asia/Ho_Chi_Minh")]
    #[autocomplete = "super::setup::autocomplete_zone"]
    zone: String,
) -> Result<(), Error> {
    let s = session(ctx).await?;
    let service = &ctx.data().service;
    let zone = within_window(ctx, true, service.me_timezone(&s, &zone)).await?;
    reply_text(ctx, t(&service.prompts, s.lang, k::ME_TIMEZONE_DONE, &[("zone", zone.to_string())])).await
}

/// Your own last 12 weeks in this team, with a chart (only you see it)
#[poise::command(
    slash_command,
    rename = "history",
    description_localized("vi", "12 tuần gần đây của bạn trong nhóm này, kèm biểu đồ (chỉ bạn thấy)")
)]
pub async fn me_history(
    ctx: Context<'_>,
    #[description = "The team (default: this channel's team, else yours)"]
    #[description_localized("vi", "Nhóm (mặc định: nhóm của kênh này, nếu không thì nhóm của bạn)")]
    #[autocomplete = "crate::discord::context::autocomplete_team_response"]
    team: Option<String>,
) -> Result<(), Error> {
    let s = crate::discord::context::team_session(ctx, team.as_deref()).await?;
    let service = &ctx.data().service;
    let (weeks, (thanks, count)) =
        within_window(ctx, true, async { Ok((service.member_history(&s).await?, service.thanks_received(&s).await?)) }).await?;
    let thanks = render::thanks_received(&service.prompts, s.lang, count, &thanks);
    let (embed, chart) = render::history(&service.prompts, s.lang, &weeks, thanks);
    let embed = render::with_team(embed, &service.prompts, s.lang, &s);
    // Their own data, to them alone: ephemeral, whatever the channel.
    let mut reply = poise::CreateReply::default().embed(embed).ephemeral(true).allowed_mentions(crate::discord::context::no_pings());
    if let Some(png) = chart {
        reply = reply.attachment(poise::serenity_prelude::CreateAttachment::bytes(png, render::HISTORY_FILE));
    }
    ctx.send(reply).await.map_err(crate::discord::context::discord_error)?;
    Ok(())
}

/// What the bot knows about you in this server
#[poise::command(slash_command, rename = "show", description_localized("vi", "Những gì bot biết về bạn trong máy chủ này"))]
pub async fn me_show(ctx: Context<'_>) -> Result<(), Error> {
    let s = session(ctx).await?;
    let service = &ctx.data().service;
    let v = service.me_show(&s).await?;
    let (p, lang) = (&service.prompts, s.lang);
    let mut lines = vec![match v.settings.zone {
        Some(z) => t(p, lang, k::ME_SHOW_ZONE, &[("zone", z.to_string())]),
        None => t(p, lang, k::ME_SHOW_ZONE_GUILD, &[("zone", v.guild_zone.to_string())]),
    }];
    lines.push(match v.settings.reminder {
        Some(r) => t(p, lang, k::ME_SHOW_REMIND, &[("day", weekday_code(r.day).into()), ("time", r.time.to_string())]),
        None => p.text(lang, k::ME_SHOW_REMIND_OFF).to_owned(),
    });
    lines.push(match v.away {
        Some(a) => t(p, lang, k::ME_SHOW_AWAY, &[("until", a.end.to_string())]),
        None => p.text(lang, k::ME_SHOW_NOT_AWAY).to_owned(),
    });
    if let Some((week, _)) = &v.reminder_failure {
        lines.push(t(p, lang, k::ME_SHOW_DM_CLOSED, &[("week", week.clone())]));
    }
    lines.push(t(p, lang, k::ME_SHOW_STREAK, &[("weeks", v.streak.to_string())]));
    lines.push(t(p, lang, k::ME_SHOW_CHECKINS, &[("checkins", v.checkins.to_string()), ("commitments", v.commitments.to_string())]));
    let embed = poise::serenity_prelude::CreateEmbed::new()
        .colour(render::COLOR)
        .title(p.text(lang, k::ME_SHOW_TITLE))
        .description(lines.join("\n"));
    reply_embed(ctx, embed).await
}

/// A weekly reminder in your DMs if you have not checked in
#[poise::command(
    slash_command,
    subcommands("remind_on", "remind_off"),
    subcommand_required,
    description_localized("vi", "Lời nhắc hằng tuần qua tin nhắn riêng nếu bạn chưa check-in")
)]
pub async fn remind(_: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Turn on one DM a week, at your local day and time, if you have not checked in
#[poise::command(
    slash_command,
    rename = "on",
    description_localized("vi", "Bật một tin nhắn mỗi tuần, vào ngày giờ của bạn, nếu chưa check-in")
)]
pub async fn remind_on(
    ctx: Context<'_>,
    #[description = "Day of the week"]
    #[description_localized("vi", "Ngày trong tuần")]
    day: DayChoice,
    #[description = "Your local time, HH:MM (24-hour), e.g. 15:00"]
    #[description_localized("vi", "Giờ địa phương của bạn, HH:MM (24 giờ), ví dụ 15:00")]
    time: String,
) -> Result<(), Error> {
    let s = session(ctx).await?;
    let service = &ctx.data().service;
    let (r, zone, next) = within_window(ctx, true, service.remind_on(&s, &day.0, &time)).await?;
    let text = t(
        &service.prompts,
        s.lang,
        k::REMIND_ON_DONE,
        &[("day", weekday_code(r.day).into()), ("time", r.time.to_string()), ("zone", zone.to_string())],
    );
    reply_text(ctx, format!("{text} ({})", stamp(next.at, 'F'))).await
}

/// Turn your reminders off
#[poise::command(slash_command, rename = "off", description_localized("vi", "Tắt lời nhắc"))]
pub async fn remind_off(ctx: Context<'_>) -> Result<(), Error> {
    let s = session(ctx).await?;
    let service = &ctx.data().service;
    within_window(ctx, true, service.remind_off(&s)).await?;
    reply_text(ctx, service.prompts.text(s.lang, k::REMIND_OFF_DONE).to_owned()).await
}

/// Time away: no reminders, left out of participation, your streak kept
#[poise::command(slash_command, description_localized("vi", "Thời gian vắng mặt: không nhắc, không tính vào tỷ lệ tham gia, giữ chuỗi"))]
pub async fn away(
    ctx: Context<'_>,
    #[description = "Until a date (2026-12-24), for a number of days (5), or off"]
    #[description_localized("vi", "Đến ngày (2026-12-24), số ngày (5), hoặc off để kết thúc")]
    until: String,
) -> Result<(), Error> {
    let s = session(ctx).await?;
    let service = &ctx.data().service;
    let text = match within_window(ctx, true, service.away(&s, &until)).await? {
        Some(end) => t(&service.prompts, s.lang, k::AWAY_DONE, &[("until", end.to_string())]),
        None => service.prompts.text(s.lang, k::AWAY_OFF_DONE).to_owned(),
    };
    reply_text(ctx, text).await
}
