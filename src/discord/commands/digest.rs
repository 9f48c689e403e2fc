//! `/digest`: the weekly digest for team leads.

use poise::serenity_prelude as serenity;

use crate::discord::context::{discord_error, no_pings, session, team_session, within_window, Context, Error};
use crate::discord::render;

/// The weekly digest: participation, commitments, communication, next focus (leads)
#[poise::command(
    slash_command,
    guild_only,
    description_localized("vi", "Bản tổng hợp tuần: tham gia, cam kết, giao tiếp, trọng tâm tới (trưởng nhóm)")
)]
pub async fn digest(
    ctx: Context<'_>,
    #[description = "this, last or an ISO week such as 2026-W48 (default: this)"]
    #[description_localized("vi", "this, last hoặc tuần ISO như 2026-W48 (mặc định: this)")]
    #[autocomplete = "autocomplete_week"]
    week: Option<String>,
    #[description = "Post it in the channel for everyone (default: only you see it)"]
    #[description_localized("vi", "Đăng lên kênh cho mọi người (mặc định: chỉ bạn thấy)")]
    post: Option<bool>,
    #[description = "Add the four-week review"]
    #[description_localized("vi", "Thêm phần nhìn lại bốn tuần")]
    review: Option<bool>,
    #[description = "The team (default: this channel's team, else yours)"]
    #[description_localized("vi", "Nhóm (mặc định: nhóm của kênh này, nếu không thì nhóm của bạn)")]
    #[autocomplete = "crate::discord::context::autocomplete_team_response"]
    team: Option<String>,
) -> Result<(), Error> {
    let s = team_session(ctx, team.as_deref()).await?;
    let service = &ctx.data().service;
    let public = post.unwrap_or(false);
    let d = within_window(ctx, !public, service.digest(&s, week.as_deref(), review.unwrap_or(false))).await?;
    let (embed, chart) = render::digest_with_chart(&service.prompts, s.lang, &d);
    // A public interaction reply is posted in the channel and needs no Send Messages
    // permission; member notes inside still ping nobody.
    // Charter items due for review come with a lead's keep / retire buttons.
    let rows = render::digest_review_buttons(&service.prompts, s.lang, &d);
    let mut reply = poise::CreateReply::default().embed(embed).components(rows).ephemeral(!public).allowed_mentions(no_pings());
    if let Some(png) = chart {
        reply = reply.attachment(serenity::CreateAttachment::bytes(png, crate::report::CHART_FILE));
    }
    ctx.send(reply).await.map_err(discord_error)?;
    Ok(())
}

async fn autocomplete_week(ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let choices = match session(ctx).await {
        Ok(s) => ctx.data().service.week_choices(&s, partial),
        Err(_) => Vec::new(),
    };
    serenity::CreateAutocompleteResponse::new()
        .set_choices(choices.into_iter().map(|c| serenity::AutocompleteChoice::new(c.clone(), c)).collect())
}
