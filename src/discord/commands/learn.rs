//! Learning the principles: `/help`, `/principle`, `/principles`, `/tip`.

use poise::serenity_prelude as serenity;

use crate::discord::context::{reply_embed, session, Context, Error};
use crate::discord::render;

/// What the bot does and how to start
#[poise::command(slash_command, description_localized("vi", "Bot làm gì và bắt đầu thế nào"))]
pub async fn help(ctx: Context<'_>) -> Result<(), Error> {
    let s = session(ctx).await?;
    reply_embed(ctx, render::help(&ctx.data().service.prompts, s.lang)).await
}

/// Read a principle with practical tips (today's if you choose none)
#[poise::command(slash_command, description_localized("vi", "Đọc một nguyên tắc kèm mẹo thực hành (mặc định: nguyên tắc hôm nay)"))]
pub async fn principle(
    ctx: Context<'_>,
    #[description = "A number 1-10 or words of a title"]
    #[description_localized("vi", "Số 1-10 hoặc vài chữ trong tên nguyên tắc")]
    #[autocomplete = "autocomplete_principle"]
    which: Option<String>,
) -> Result<(), Error> {
    let s = session(ctx).await?;
    let service = &ctx.data().service;
    let v = service.principle(&s, which.as_deref()).await?;
    reply_embed(ctx, render::principle(&service.prompts, s.lang, v.number, v.today)).await
}

/// The ten principles, one line each
#[poise::command(slash_command, description_localized("vi", "Mười nguyên tắc, mỗi nguyên tắc một dòng"))]
pub async fn principles(ctx: Context<'_>) -> Result<(), Error> {
    let s = session(ctx).await?;
    reply_embed(ctx, render::principles(&ctx.data().service.prompts, s.lang)).await
}

/// One practical tip to try, from one principle or any
#[poise::command(slash_command, description_localized("vi", "Một mẹo thực hành để thử, từ một nguyên tắc hoặc bất kỳ"))]
pub async fn tip(
    ctx: Context<'_>,
    #[description = "A number 1-10 or words of a title (optional)"]
    #[description_localized("vi", "Số 1-10 hoặc vài chữ trong tên nguyên tắc (không bắt buộc)")]
    #[autocomplete = "autocomplete_principle"]
    which: Option<String>,
) -> Result<(), Error> {
    let s = session(ctx).await?;
    let service = &ctx.data().service;
    let v = service.tip(&s, which.as_deref())?;
    reply_embed(ctx, render::tip(&service.prompts, s.lang, v)).await
}

/// Autocomplete for `which`: numbers and title words in either language, diacritics ignored.
pub async fn autocomplete_principle(ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let choices = match session(ctx).await {
        Ok(s) => ctx.data().service.principle_choices(&s, partial),
        Err(_) => Vec::new(),
    };
    serenity::CreateAutocompleteResponse::new()
        .set_choices(choices.into_iter().take(25).map(|(name, value)| serenity::AutocompleteChoice::new(name, value)).collect())
}

/// A 15-minute team exercise for a principle (default: this week's focus, else today's)
#[poise::command(
    slash_command,
    description_localized("vi", "Bài tập nhóm 15 phút cho một nguyên tắc (mặc định: trọng tâm tuần này hoặc nguyên tắc hôm nay)")
)]
pub async fn practice(
    ctx: Context<'_>,
    #[description = "A number 1-10 or words of a title"]
    #[description_localized("vi", "Số 1-10 hoặc vài chữ trong tên nguyên tắc")]
    #[autocomplete = "autocomplete_principle"]
    which: Option<String>,
    #[description = "Show it to the channel (leads)"]
    #[description_localized("vi", "Đăng lên kênh cho cả nhóm (trưởng nhóm)")]
    post: Option<bool>,
    #[description = "The team (default: this channel's team, else yours)"]
    #[description_localized("vi", "Nhóm (mặc định: nhóm của kênh này, nếu không thì nhóm của bạn)")]
    #[autocomplete = "crate::discord::context::autocomplete_team_response"]
    team: Option<String>,
) -> Result<(), Error> {
    let service = &ctx.data().service;
    let public = post.unwrap_or(false);
    // In a server it is a team's practice; in a DM, anyone may read one.
    let s =
        if ctx.guild_id().is_some() { crate::discord::context::team_session(ctx, team.as_deref()).await? } else { session(ctx).await? };
    let v = crate::discord::context::within_window(ctx, !public, service.practice(&s, which.as_deref(), public)).await?;
    let embed = render::practice(&service.prompts, s.lang, v);
    let reply = poise::CreateReply::default().embed(embed).ephemeral(!public).allowed_mentions(crate::discord::context::no_pings());
    ctx.send(reply).await.map_err(crate::discord::context::discord_error)?;
    Ok(())
}
