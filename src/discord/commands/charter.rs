//! `/charter propose|show|retire` and `/thanks`.

use poise::serenity_prelude as serenity;

use super::setup::may_post;
use super::CharterKindChoice;
use crate::discord::context::{reply_text, team_session, within_window, Context, Error};
use crate::discord::render;
use crate::domain::ids::{ChannelId, UserId};
use crate::keys as k;
use crate::service::Review;

/// The team's common goals and working agreements
#[poise::command(
    slash_command,
    guild_only,
    subcommands("propose", "show", "retire"),
    subcommand_required,
    description_localized("vi", "Mục tiêu chung và thỏa thuận làm việc của nhóm")
)]
pub async fn charter(_: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Propose a goal or working agreement; the team agrees with buttons
#[poise::command(slash_command, description_localized("vi", "Đề xuất một mục tiêu hoặc thỏa thuận; cả nhóm đồng ý bằng nút bấm"))]
pub async fn propose(
    ctx: Context<'_>,
    #[description = "A common goal or a working agreement"]
    #[description_localized("vi", "Mục tiêu chung hay thỏa thuận làm việc")]
    kind: CharterKindChoice,
    #[description = "What it says (max 300 characters)"]
    #[description_localized("vi", "Nội dung (tối đa 300 ký tự)")]
    #[max_length = 300]
    text: String,
    #[description = "The team (default: this channel's team, else yours)"]
    #[description_localized("vi", "Nhóm (mặc định: nhóm của kênh này, nếu không thì nhóm của bạn)")]
    #[autocomplete = "crate::discord::context::autocomplete_team_response"]
    team: Option<String>,
) -> Result<(), Error> {
    let s = team_session(ctx, team.as_deref()).await?;
    let service = &ctx.data().service;
    let here = Some(ChannelId(ctx.channel_id().get()));
    let postable = postable_team_channel(ctx, &s, here).await;
    let postable = |c: ChannelId| postable.filter(|(at, _)| *at == c).and_then(|(_, can)| can);
    let proposed = within_window(ctx, true, service.charter_propose(&s, &kind.0, &text, here, postable)).await?;
    let text = render::t(
        &service.prompts,
        s.lang,
        k::CHARTER_PROPOSED,
        &[
            ("channel", format!("<#{}>", proposed.channel)),
            ("active", proposed.active.to_string()),
            ("expires", render::stamp(proposed.item.expires_at, 'D')),
        ],
    );
    reply_text(ctx, text).await
}

/// The team's goals and agreements, with their review dates
#[poise::command(slash_command, description_localized("vi", "Mục tiêu và thỏa thuận của nhóm, kèm ngày xem xét lại"))]
pub async fn show(
    ctx: Context<'_>,
    #[description = "The team (default: this channel's team, else yours)"]
    #[description_localized("vi", "Nhóm (mặc định: nhóm của kênh này, nếu không thì nhóm của bạn)")]
    #[autocomplete = "crate::discord::context::autocomplete_team_response"]
    team: Option<String>,
) -> Result<(), Error> {
    let caller = crate::discord::context::caller_of(ctx);
    let s = ctx.data().service.session(caller, team.as_deref(), crate::domain::teams::Purpose::Ambient).await?;
    let service = &ctx.data().service;
    let view = within_window(ctx, true, service.charter_show(&s, 0)).await?;
    let (embed, rows) = render::charter_page(&service.prompts, s.lang, &view, s.settings.team.id);
    let embed = render::with_team(embed, &service.prompts, s.lang, &s);
    let reply =
        poise::CreateReply::default().embed(embed).components(rows).ephemeral(true).allowed_mentions(crate::discord::context::no_pings());
    ctx.send(reply).await.map_err(crate::discord::context::discord_error)?;
    Ok(())
}

/// Take an item out of the team's charter (leads)
#[poise::command(slash_command, description_localized("vi", "Gỡ một mục khỏi hiến chương của nhóm (trưởng nhóm)"))]
pub async fn retire(
    ctx: Context<'_>,
    #[description = "The goal or agreement"]
    #[description_localized("vi", "Mục tiêu hoặc thỏa thuận")]
    #[autocomplete = "autocomplete_item"]
    item: String,
    #[description = "The team (default: this channel's team, else yours)"]
    #[description_localized("vi", "Nhóm (mặc định: nhóm của kênh này, nếu không thì nhóm của bạn)")]
    #[autocomplete = "crate::discord::context::autocomplete_team_response"]
    team: Option<String>,
) -> Result<(), Error> {
    let s = team_session(ctx, team.as_deref()).await?;
    let service = &ctx.data().service;
    let retired = within_window(ctx, true, service.charter_review(&s, &item, Review::Retire)).await?;
    let text = render::t(&service.prompts, s.lang, k::CHARTER_RETIRED_DONE, &[("text", crate::domain::text::neutralize(&retired.text))]);
    reply_text(ctx, text).await
}

/// Whether the bot can post where the service will post the team's proposal or thanks (its
/// home channel, else here), asked before the service runs, as the check may ask Discord.
async fn postable_team_channel(
    ctx: Context<'_>,
    s: &crate::service::Session,
    here: Option<ChannelId>,
) -> Option<(ChannelId, Option<bool>)> {
    let channel = s.settings.team.home.or(here)?;
    Some((channel, may_post(ctx, serenity::ChannelId::new(channel.get().max(1))).await))
}

/// The team's adopted items for `item`.
async fn autocomplete_item(ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let team = crate::discord::context::typed_option(ctx, "team");
    let caller = crate::discord::context::caller_of(ctx);
    let choices = match ctx.data().service.session(caller, team.as_deref(), crate::domain::teams::Purpose::Ambient).await {
        Ok(s) => ctx.data().service.charter_choices(&s, partial).await.unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    serenity::CreateAutocompleteResponse::new()
        .set_choices(choices.into_iter().map(|(name, value)| serenity::AutocompleteChoice::new(name, value)).collect())
}

/// Thank a teammate in the team's channel (it pings only them)
#[poise::command(
    slash_command,
    guild_only,
    description_localized("vi", "Cảm ơn một đồng đội trong kênh của nhóm (chỉ người đó nhận thông báo)")
)]
pub async fn thanks(
    ctx: Context<'_>,
    #[description = "Who you thank"]
    #[description_localized("vi", "Bạn cảm ơn ai")]
    member: serenity::User,
    #[description = "What for (max 300 characters)"]
    #[description_localized("vi", "Cảm ơn vì điều gì (tối đa 300 ký tự)")]
    #[max_length = 300]
    note: String,
    #[description = "The principle it shows: a number 1-10 or words of a title"]
    #[description_localized("vi", "Nguyên tắc mà việc này thể hiện: số 1-10 hoặc vài chữ trong tên")]
    #[autocomplete = "super::learn::autocomplete_principle"]
    principle: Option<String>,
    #[description = "The team (default: this channel's team, else yours)"]
    #[description_localized("vi", "Nhóm (mặc định: nhóm của kênh này, nếu không thì nhóm của bạn)")]
    #[autocomplete = "crate::discord::context::autocomplete_team_response"]
    team: Option<String>,
) -> Result<(), Error> {
    let s = team_session(ctx, team.as_deref()).await?;
    let service = &ctx.data().service;
    let here = Some(ChannelId(ctx.channel_id().get()));
    let postable = postable_team_channel(ctx, &s, here).await;
    let postable = |c: ChannelId| postable.filter(|(at, _)| *at == c).and_then(|(_, can)| can);
    let to = UserId(member.id.get());
    let work = service.thank(&s, to, member.bot, &note, principle.as_deref(), here, postable);
    let channel = within_window(ctx, true, work).await?;
    let text = render::t(&service.prompts, s.lang, k::THANKS_DONE, &[("channel", format!("<#{channel}>")), ("to", format!("<@{to}>"))]);
    reply_text(ctx, text).await
}
