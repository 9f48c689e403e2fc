//! `/setup`: a team's schedule and settings, and the server's retention and privacy (Manage Server).

use poise::serenity_prelude as serenity;

use super::{ClearChoice, DayChoice, LanguageChoice};
use crate::discord::context::{reply_embed, reply_text, session, setup_session, within_window, Context, Error};
use crate::discord::permissions;
use crate::discord::render::{self, stamp, t};
use crate::domain::ids::{ChannelId, RoleId};
use crate::domain::time::{search_zones, weekday_code};
use crate::keys as k;

/// Set up the daily principle, the digest and the bot's settings
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    subcommands("daily", "digest", "timezone", "lead_role", "language", "retention", "privacy", "board", "clear", "show", "pause"),
    subcommand_required,
    description_localized("vi", "Thiết lập nguyên tắc hằng ngày, bản tổng hợp và cài đặt của bot")
)]
pub async fn setup(_: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Where and when to post the day's principle
#[poise::command(slash_command, guild_only, description_localized("vi", "Đăng nguyên tắc mỗi ngày ở đâu và lúc nào"))]
pub async fn daily(
    ctx: Context<'_>,
    #[description = "The channel for the daily post"]
    #[description_localized("vi", "Kênh đăng bài hằng ngày")]
    #[channel_types("Text", "News")]
    channel: serenity::PartialChannel,
    #[description = "Local time, HH:MM (24-hour), e.g. 09:00"]
    #[description_localized("vi", "Giờ địa phương, HH:MM (24 giờ), ví dụ 09:00")]
    time: String,
    #[description = "Time zone (IANA), e.g. Asia/Ho_Chi_Minh"]
    #[description_localized("vi", "Múi giờ (IANA), ví dụ Asia/Ho_Chi_Minh")]
    #[autocomplete = "autocomplete_zone"]
    timezone: String,
    #[description = "Skip Saturday and Sunday"]
    #[description_localized("vi", "Bỏ qua thứ bảy và chủ nhật")]
    weekdays_only: Option<bool>,
    #[description = "The team (default: this channel's team, else the server's default team)"]
    #[description_localized("vi", "Nhóm (mặc định: nhóm của kênh này, nếu không thì nhóm mặc định của máy chủ)")]
    #[autocomplete = "crate::discord::context::autocomplete_team_response"]
    team: Option<String>,
) -> Result<(), Error> {
    let s = setup_session(ctx, team.as_deref()).await?;
    s.require_manager()?;
    let service = &ctx.data().service;
    let postable = can_post(ctx, channel.id).await?;
    let work = service.setup_daily(&s, ChannelId(channel.id.get()), &time, &timezone, weekdays_only.unwrap_or(false), postable);
    let (daily, zone, next) = within_window(ctx, true, work).await?;
    let p = &service.prompts;
    let days = p.text(s.lang, if daily.weekdays_only { k::SETUP_WEEKDAYS_ONLY } else { k::SETUP_EVERY_DAY });
    let text = t(
        p,
        s.lang,
        k::SETUP_DAILY_DONE,
        &[
            ("channel", format!("<#{}>", daily.channel)),
            ("time", daily.time.to_string()),
            ("zone", zone.to_string()),
            ("days", days.into()),
            ("next", stamp(next.at, 'F')),
        ],
    );
    reply_text(ctx, unless_checked(ctx, s.lang, text, postable, channel.id)).await
}

/// Where and when to post the weekly digest
#[poise::command(slash_command, guild_only, description_localized("vi", "Đăng bản tổng hợp hằng tuần ở đâu và lúc nào"))]
pub async fn digest(
    ctx: Context<'_>,
    #[description = "The channel for the digest"]
    #[description_localized("vi", "Kênh đăng bản tổng hợp")]
    #[channel_types("Text", "News")]
    channel: serenity::PartialChannel,
    #[description = "Day of the week"]
    #[description_localized("vi", "Ngày trong tuần")]
    day: DayChoice,
    #[description = "Local time, HH:MM (24-hour), e.g. 16:00"]
    #[description_localized("vi", "Giờ địa phương, HH:MM (24 giờ), ví dụ 16:00")]
    time: String,
    #[description = "The team (default: this channel's team, else the server's default team)"]
    #[description_localized("vi", "Nhóm (mặc định: nhóm của kênh này, nếu không thì nhóm mặc định của máy chủ)")]
    #[autocomplete = "crate::discord::context::autocomplete_team_response"]
    team: Option<String>,
) -> Result<(), Error> {
    let s = setup_session(ctx, team.as_deref()).await?;
    s.require_manager()?;
    let service = &ctx.data().service;
    let postable = can_post(ctx, channel.id).await?;
    let (d, next) = within_window(ctx, true, service.setup_digest(&s, ChannelId(channel.id.get()), &day.0, &time, postable)).await?;
    let text = t(
        &service.prompts,
        s.lang,
        k::SETUP_DIGEST_DONE,
        &[
            ("channel", format!("<#{}>", d.channel)),
            ("day", weekday_code(d.day).into()),
            ("time", d.time.to_string()),
            ("zone", s.settings.zone.to_string()),
            ("next", stamp(next.at, 'F')),
        ],
    );
    reply_text(ctx, unless_checked(ctx, s.lang, text, postable, channel.id)).await
}

/// The role whose members may read digests
#[poise::command(slash_command, guild_only, rename = "lead-role", description_localized("vi", "Vai trò có quyền xem bản tổng hợp"))]
pub async fn lead_role(
    ctx: Context<'_>,
    #[description = "The team leads' role"]
    #[description_localized("vi", "Vai trò của trưởng nhóm")]
    role: serenity::RoleId,
    #[description = "The team (default: this channel's team, else the server's default team)"]
    #[description_localized("vi", "Nhóm (mặc định: nhóm của kênh này, nếu không thì nhóm mặc định của máy chủ)")]
    #[autocomplete = "crate::discord::context::autocomplete_team_response"]
    team: Option<String>,
) -> Result<(), Error> {
    let s = setup_session(ctx, team.as_deref()).await?;
    s.require_manager()?;
    check_in_guild(ctx, None, Some(role)).await?;
    let service = &ctx.data().service;
    within_window(ctx, true, service.setup_lead_role(&s, RoleId(role.get()))).await?;
    reply_text(ctx, t(&service.prompts, s.lang, k::SETUP_LEAD_ROLE_DONE, &[("role", format!("<@&{role}>"))])).await
}

/// Opt in: each week a thread in this channel shows the team's commitments
#[poise::command(
    slash_command,
    guild_only,
    description_localized("vi", "Tùy chọn: mỗi tuần một luồng trong kênh này hiện các cam kết của nhóm")
)]
pub async fn board(
    ctx: Context<'_>,
    #[description = "The channel for the weekly board thread"]
    #[description_localized("vi", "Kênh mở luồng bảng cam kết hằng tuần")]
    #[channel_types("Text")]
    channel: serenity::PartialChannel,
    #[description = "The team (default: this channel's team, else the server's default team)"]
    #[description_localized("vi", "Nhóm (mặc định: nhóm của kênh này, nếu không thì nhóm mặc định của máy chủ)")]
    #[autocomplete = "crate::discord::context::autocomplete_team_response"]
    team: Option<String>,
) -> Result<(), Error> {
    let s = setup_session(ctx, team.as_deref()).await?;
    s.require_manager()?;
    let service = &ctx.data().service;
    let threads = can_open_threads(ctx, channel.id).await?;
    within_window(ctx, true, service.setup_board(&s, ChannelId(channel.id.get()), threads)).await?;
    let text = t(
        &service.prompts,
        s.lang,
        k::SETUP_BOARD_DONE,
        &[("channel", format!("<#{}>", channel.id)), ("team", s.settings.team.name.clone())],
    );
    reply_text(ctx, unless_checked(ctx, s.lang, text, threads, channel.id)).await
}

/// The language the bot speaks in this server
#[poise::command(slash_command, guild_only, description_localized("vi", "Ngôn ngữ bot dùng trong máy chủ này"))]
pub async fn language(
    ctx: Context<'_>,
    #[description = "en (English) or vi (Vietnamese)"]
    #[description_localized("vi", "en (tiếng Anh) hoặc vi (tiếng Việt)")]
    language: LanguageChoice,
    #[description = "The team (default: this channel's team, else the server's default team)"]
    #[description_localized("vi", "Nhóm (mặc định: nhóm của kênh này, nếu không thì nhóm mặc định của máy chủ)")]
    #[autocomplete = "crate::discord::context::autocomplete_team_response"]
    team: Option<String>,
) -> Result<(), Error> {
    let s = setup_session(ctx, team.as_deref()).await?;
    let service = &ctx.data().service;
    let lang = within_window(ctx, true, service.setup_language(&s, &language.0)).await?;
    reply_text(ctx, service.prompts.text(lang, k::SETUP_LANGUAGE_DONE).to_owned()).await
}

/// How many weeks of check-ins to keep (0 = forever)
#[poise::command(slash_command, guild_only, description_localized("vi", "Giữ check-in bao nhiêu tuần (0 = mãi mãi)"))]
pub async fn retention(
    ctx: Context<'_>,
    #[description = "Weeks to keep; 0 keeps everything (default 104)"]
    #[description_localized("vi", "Số tuần lưu giữ; 0 là giữ tất cả (mặc định 104)")]
    #[min = 0]
    #[max = 1040]
    weeks: i64,
) -> Result<(), Error> {
    let s = session(ctx).await?;
    let service = &ctx.data().service;
    let weeks = within_window(ctx, true, service.setup_retention(&s, weeks)).await?;
    let text = if weeks == 0 {
        service.prompts.text(s.lang, k::SETUP_RETENTION_FOREVER).to_owned()
    } else {
        t(&service.prompts, s.lang, k::SETUP_RETENTION_DONE, &[("weeks", weeks.to_string())])
    };
    reply_text(ctx, text).await
}

/// The server's time zone, on its own (weeks, daily post, digest, reminders)
#[poise::command(
    slash_command,
    guild_only,
    description_localized("vi", "Múi giờ của máy chủ (tuần, bài hằng ngày, bản tổng hợp, lời nhắc)")
)]
pub async fn timezone(
    ctx: Context<'_>,
    #[description = "Time zone (IANA), e.g. Asia/Ho_Chi_Minh"]
    #[description_localized("vi", "Múi giờ (IANA), ví dụ Asia/Ho_Chi_Minh")]
    #[autocomplete = "autocomplete_zone"]
    zone: String,
    #[description = "The team (default: this channel's team, else the server's default team)"]
    #[description_localized("vi", "Nhóm (mặc định: nhóm của kênh này, nếu không thì nhóm mặc định của máy chủ)")]
    #[autocomplete = "crate::discord::context::autocomplete_team_response"]
    team: Option<String>,
) -> Result<(), Error> {
    let s = setup_session(ctx, team.as_deref()).await?;
    let service = &ctx.data().service;
    let zone = within_window(ctx, true, service.setup_timezone(&s, &zone)).await?;
    reply_text(ctx, t(&service.prompts, s.lang, k::SETUP_TIMEZONE_DONE, &[("zone", zone.to_string())])).await
}

/// How many different members a digest section needs before it shows anything
#[poise::command(slash_command, guild_only, description_localized("vi", "Mỗi phần của bản tổng hợp cần bao nhiêu thành viên khác nhau"))]
pub async fn privacy(
    ctx: Context<'_>,
    #[description = "The fewest different members per section, 3 to 10 (default 3)"]
    #[description_localized("vi", "Số thành viên khác nhau tối thiểu cho mỗi phần, từ 3 đến 10 (mặc định 3)")]
    #[min = 3]
    #[max = 10]
    min_people: i64,
) -> Result<(), Error> {
    let s = session(ctx).await?;
    let service = &ctx.data().service;
    let n = within_window(ctx, true, service.setup_privacy(&s, min_people)).await?;
    reply_text(ctx, t(&service.prompts, s.lang, k::SETUP_PRIVACY_DONE, &[("count", n.to_string())])).await
}

/// Turn a setting off: the daily post, the digest, the lead role or the board
#[poise::command(
    slash_command,
    guild_only,
    description_localized("vi", "Tắt một cài đặt: bài hằng ngày, bản tổng hợp, vai trò trưởng nhóm hoặc bảng")
)]
pub async fn clear(
    ctx: Context<'_>,
    #[description = "What to turn off"]
    #[description_localized("vi", "Tắt cài đặt nào")]
    setting: ClearChoice,
    #[description = "The team (default: this channel's team, else the server's default team)"]
    #[description_localized("vi", "Nhóm (mặc định: nhóm của kênh này, nếu không thì nhóm mặc định của máy chủ)")]
    #[autocomplete = "crate::discord::context::autocomplete_team_response"]
    team: Option<String>,
) -> Result<(), Error> {
    let s = setup_session(ctx, team.as_deref()).await?;
    let service = &ctx.data().service;
    let (which, was_set) = within_window(ctx, true, service.setup_clear(&s, &setting.0)).await?;
    reply_text(ctx, render::setup_cleared(&service.prompts, s.lang, which, was_set, &setting.0)).await
}

/// This server's settings and the next scheduled posts
#[poise::command(slash_command, guild_only, description_localized("vi", "Cài đặt của máy chủ và các bài đăng sắp tới"))]
pub async fn show(
    ctx: Context<'_>,
    #[description = "The team (default: this channel's team, else the server's default team)"]
    #[description_localized("vi", "Nhóm (mặc định: nhóm của kênh này, nếu không thì nhóm mặc định của máy chủ)")]
    #[autocomplete = "crate::discord::context::autocomplete_team_response"]
    team: Option<String>,
) -> Result<(), Error> {
    let s = setup_session(ctx, team.as_deref()).await?;
    let service = &ctx.data().service;
    let view = within_window(ctx, true, service.setup_show(&s)).await?;
    let today = service.today(s.settings.zone);
    reply_embed(ctx, render::setup_show(&service.prompts, s.lang, &view, today)).await
}

/// The team's holiday: no daily posts and no reminders until a date
#[poise::command(
    slash_command,
    guild_only,
    description_localized("vi", "Kỳ nghỉ của nhóm: không đăng bài hằng ngày, không nhắc nhở cho đến một ngày")
)]
pub async fn pause(
    ctx: Context<'_>,
    #[description = "A date (2026-12-24), a number of days (5), or off"]
    #[description_localized("vi", "Một ngày (2026-12-24), một số ngày (5), hoặc off")]
    until: String,
    #[description = "The team (default: this channel's team, else the server's default team)"]
    #[description_localized("vi", "Nhóm (mặc định: nhóm của kênh này, nếu không thì nhóm mặc định của máy chủ)")]
    #[autocomplete = "crate::discord::context::autocomplete_team_response"]
    team: Option<String>,
) -> Result<(), Error> {
    let s = setup_session(ctx, team.as_deref()).await?;
    let service = &ctx.data().service;
    let span = within_window(ctx, true, service.setup_pause(&s, &until)).await?;
    let name = crate::domain::text::neutralize(&s.settings.team.name);
    let text = match span {
        Some((start, end)) => {
            t(&service.prompts, s.lang, k::SETUP_PAUSE_DONE, &[("team", name), ("start", start.to_string()), ("end", end.to_string())])
        }
        None => t(&service.prompts, s.lang, k::SETUP_PAUSE_OFF, &[("team", name)]),
    };
    reply_text(ctx, text).await
}

/// Refuses a channel or role that Discord says is not this server's (a forged or stale
/// option); `Ok` when Discord cannot tell or does not answer, as it only offers the server's
/// own.
pub async fn check_in_guild(ctx: Context<'_>, channel: Option<serenity::ChannelId>, role: Option<serenity::RoleId>) -> Result<(), Error> {
    let Some(guild_id) = ctx.guild_id() else { return Ok(()) };
    if let Some(c) = channel {
        // The command's own channel is this server's by definition.
        if c != ctx.channel_id() {
            let me = ctx.serenity_context().cache.current_user().id;
            let facts = permissions::look_up_channel(ctx.http(), guild_id, me, c, false).await;
            if facts.in_guild == Some(false) {
                return Err(crate::domain::refusal::Refusal::new(k::ERR_FOREIGN_CHANNEL).into());
            }
        }
    }
    if let Some(r) = role {
        if permissions::role_in_guild(ctx.http(), guild_id, r).await == Some(false) {
            return Err(crate::domain::refusal::Refusal::new(k::ERR_FOREIGN_ROLE).into());
        }
    }
    Ok(())
}

/// Whether the bot can post in a channel: View Channel, Send Messages and Embed Links after
/// the channel's overwrites; refuses a channel of another server. `None` when that could not
/// be checked (then the answer says so, and the first post's failure shows up in `/setup
/// show`).
pub(crate) async fn can_post(ctx: Context<'_>, channel: serenity::ChannelId) -> Result<Option<bool>, Error> {
    Ok(ours(bot_permissions_in(ctx, channel).await)?.map(postable))
}

/// [`can_post`] for a channel the bot chose itself (a team's home channel): one Discord does
/// not know (deleted since) is not refused as another server's, and the post will tell.
pub(crate) async fn may_post(ctx: Context<'_>, channel: serenity::ChannelId) -> Option<bool> {
    bot_permissions_in(ctx, channel).await.bot.map(postable)
}

fn postable(p: serenity::Permissions) -> bool {
    p.view_channel() && p.send_messages() && p.embed_links()
}

/// Whether the bot may open public threads in `channel` and post in them (`None`: that
/// could not be checked, and Discord will tell at the first post).
async fn can_open_threads(ctx: Context<'_>, channel: serenity::ChannelId) -> Result<Option<bool>, Error> {
    Ok(ours(bot_permissions_in(ctx, channel).await)?.map(|p| p.view_channel() && p.create_public_threads() && p.send_messages_in_threads()))
}

/// The bot's permissions, refusing a channel Discord says is not this server's.
fn ours(facts: permissions::ChannelFacts) -> Result<Option<serenity::Permissions>, Error> {
    if facts.in_guild == Some(false) {
        return Err(crate::domain::refusal::Refusal::new(k::ERR_FOREIGN_CHANNEL).into());
    }
    Ok(facts.bot)
}

/// What is known of `channel` and the bot's permissions there after its overwrites. In the
/// command's own channel they came with the interaction (`app_permissions`); elsewhere they
/// are asked of Discord.
async fn bot_permissions_in(ctx: Context<'_>, channel: serenity::ChannelId) -> permissions::ChannelFacts {
    let Some(guild_id) = ctx.guild_id() else { return permissions::ChannelFacts::default() };
    if channel == ctx.channel_id() {
        if let poise::Context::Application(a) = ctx {
            if let Some(p) = a.interaction.app_permissions {
                return permissions::ChannelFacts { in_guild: Some(true), bot: Some(p) };
            }
        }
    }
    let me = ctx.serenity_context().cache.current_user().id;
    permissions::look_up_channel(ctx.http(), guild_id, me, channel, true).await
}

/// A setup's answer, with a word when the bot could not check the channel's permissions.
fn unless_checked(
    ctx: Context<'_>,
    lang: crate::domain::lang::Lang,
    text: String,
    checked: Option<bool>,
    channel: serenity::ChannelId,
) -> String {
    if checked.is_some() {
        return text;
    }
    let note = t(&ctx.data().service.prompts, lang, k::SETUP_UNCHECKED, &[("channel", format!("<#{channel}>"))]);
    format!("{text}\n{note}")
}

/// IANA zones matching what was typed ("ho chi" finds Asia/Ho_Chi_Minh).
pub async fn autocomplete_zone(_ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let choices = search_zones(partial, 25).into_iter().map(|z| serenity::AutocompleteChoice::new(z, z)).collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}
