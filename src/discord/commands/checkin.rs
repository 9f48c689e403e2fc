//! `/checkin commitments`, `/checkin communication`, `/commitments`.

use poise::serenity_prelude as serenity;

use super::KeptChoice;
use crate::discord::context::{discord_error, reply_embed, reply_text, team_session, within_window, Context, Error};
use crate::discord::{interactions, render};
use crate::domain::ids::UserId;
use crate::service::{CommitmentsInput, CommitmentsOutcome};

/// Check in on your commitments or on how the team communicated
#[poise::command(
    slash_command,
    guild_only = false,
    subcommands("checkin_commitments", "checkin_communication", "checkin_undo"),
    subcommand_required,
    description_localized("vi", "Check-in về cam kết hoặc về cách nhóm giao tiếp")
)]
pub async fn checkin(_: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// What you promised, whether you kept it, and your next commitment
// One argument per option: Discord's command is the contract, and poise reads it from here.
#[allow(clippy::too_many_arguments)]
#[poise::command(slash_command, rename = "commitments", description_localized("vi", "Bạn đã hứa gì, đã giữ chưa, và cam kết tiếp theo"))]
pub async fn checkin_commitments(
    ctx: Context<'_>,
    #[description = "Did you keep your open commitment?"]
    #[description_localized("vi", "Bạn đã giữ cam kết đang mở chưa?")]
    kept: Option<KeptChoice>,
    #[description = "Your next commitment (max 300 characters)"]
    #[description_localized("vi", "Cam kết tiếp theo của bạn (tối đa 300 ký tự)")]
    #[max_length = 300]
    next: Option<String>,
    #[description = "When it is due: YYYY-MM-DD, a weekday or tomorrow (default: end of week)"]
    #[description_localized("vi", "Hạn: YYYY-MM-DD, một thứ trong tuần hoặc ngày mai (mặc định: cuối tuần)")]
    due: Option<String>,
    #[description = "Anything blocking you (max 500 characters)"]
    #[description_localized("vi", "Điều đang cản trở bạn (tối đa 500 ký tự)")]
    #[max_length = 500]
    blocker: Option<String>,
    #[description = "Who the commitment is to: they are asked to agree, and later whether it was kept"]
    #[description_localized("vi", "Bạn cam kết với ai: họ được hỏi để đồng ý, và sau đó cam kết có được giữ không")]
    partner: Option<serenity::User>,
    #[description = "Which open commitment `kept` is about (default: the one due first)"]
    #[description_localized("vi", "`kept` nói về cam kết đang mở nào (mặc định: cam kết đến hạn sớm nhất)")]
    #[autocomplete = "autocomplete_open"]
    which: Option<String>,
    #[description = "Keep the new commitment off the team's board"]
    #[description_localized("vi", "Giữ cam kết mới ngoài bảng cam kết của nhóm")]
    private: Option<bool>,
    #[description = "The team (default: this channel's team, else yours)"]
    #[description_localized("vi", "Nhóm (mặc định: nhóm của kênh này, nếu không thì nhóm của bạn)")]
    #[autocomplete = "crate::discord::context::autocomplete_team_response"]
    team: Option<String>,
) -> Result<(), Error> {
    let s = team_session(ctx, team.as_deref()).await?;
    let service = &ctx.data().service;
    let input = CommitmentsInput {
        kept: kept.map(|k| k.0),
        next,
        due,
        blocker,
        partner_is_bot: partner.as_ref().is_some_and(|u| u.bot),
        partner: partner.map(|u| UserId(u.id.get())),
        which,
        private: private.unwrap_or(false),
    };
    match within_window(ctx, true, service.checkin_commitments(&s, input, None)).await? {
        CommitmentsOutcome::Saved(saved) => {
            let e = render::commitments_saved(&service.prompts, s.lang, &saved);
            reply_embed(ctx, render::with_team(e, &service.prompts, s.lang, &s)).await
        }
        CommitmentsOutcome::NeedModal(state) => {
            let poise::Context::Application(actx) = ctx else { return Ok(()) };
            let modal = interactions::commitment_modal(&service.prompts, s.lang, &state);
            actx.interaction.create_response(ctx.http(), serenity::CreateInteractionResponse::Modal(modal)).await.map_err(discord_error)?;
            // The modal is the initial response; the submit arrives as its own interaction.
            actx.has_sent_initial_response.store(true, std::sync::atomic::Ordering::SeqCst);
            Ok(())
        }
    }
}

/// How well the team communicated this week, and what to improve
#[poise::command(
    slash_command,
    rename = "communication",
    description_localized("vi", "Nhóm đã giao tiếp tốt thế nào tuần này, và cần cải thiện gì")
)]
pub async fn checkin_communication(
    ctx: Context<'_>,
    #[description = "1 (poor) to 5 (excellent)"]
    #[description_localized("vi", "1 (kém) đến 5 (rất tốt)")]
    #[min = 1]
    #[max = 5]
    rating: i64,
    #[description = "What went well (max 500 characters)"]
    #[description_localized("vi", "Điều đã làm tốt (tối đa 500 ký tự)")]
    #[max_length = 500]
    went_well: Option<String>,
    #[description = "What to improve (max 500 characters)"]
    #[description_localized("vi", "Điều cần cải thiện (tối đa 500 ký tự)")]
    #[max_length = 500]
    improve: Option<String>,
    #[description = "Who you worked with most"]
    #[description_localized("vi", "Người bạn làm việc cùng nhiều nhất")]
    partner: Option<serenity::UserId>,
    #[description = "The team (default: this channel's team, else yours)"]
    #[description_localized("vi", "Nhóm (mặc định: nhóm của kênh này, nếu không thì nhóm của bạn)")]
    #[autocomplete = "crate::discord::context::autocomplete_team_response"]
    team: Option<String>,
) -> Result<(), Error> {
    let s = team_session(ctx, team.as_deref()).await?;
    let service = &ctx.data().service;
    let work = service.checkin_communication(&s, rating, went_well.as_deref(), improve.as_deref(), partner.map(|u| UserId(u.get())));
    let saved = within_window(ctx, true, work).await?;
    let e = render::communication_saved(&service.prompts, s.lang, &saved);
    reply_embed(ctx, render::with_team(e, &service.prompts, s.lang, &s)).await
}

/// Undo your latest check-in of today (a commitment it resolved opens again)
#[poise::command(
    slash_command,
    rename = "undo",
    description_localized("vi", "Hoàn tác lượt check-in gần nhất hôm nay (cam kết đã chốt sẽ mở lại)")
)]
pub async fn checkin_undo(
    ctx: Context<'_>,
    #[description = "The team (default: this channel's team, else yours)"]
    #[description_localized("vi", "Nhóm (mặc định: nhóm của kênh này, nếu không thì nhóm của bạn)")]
    #[autocomplete = "crate::discord::context::autocomplete_team_response"]
    team: Option<String>,
) -> Result<(), Error> {
    let s = team_session(ctx, team.as_deref()).await?;
    let service = &ctx.data().service;
    let undone = within_window(ctx, true, service.checkin_undo(&s)).await?;
    reply_text(ctx, render::undone(&service.prompts, s.lang, &undone)).await
}

/// The caller's open commitments for `which`.
async fn autocomplete_open(ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    // The team typed so far in the same command, if any.
    let team = crate::discord::context::typed_option(ctx, "team");
    let caller = crate::discord::context::caller_of(ctx);
    let choices = match ctx.data().service.session(caller, team.as_deref(), crate::domain::teams::Purpose::Ambient).await {
        Ok(s) => ctx.data().service.open_commitment_choices(&s, partial).await.unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    serenity::CreateAutocompleteResponse::new()
        .set_choices(choices.into_iter().map(|(name, value)| serenity::AutocompleteChoice::new(name, value)).collect())
}

/// Your open and recent commitments
#[poise::command(slash_command, description_localized("vi", "Các cam kết đang mở và gần đây của bạn"))]
pub async fn commitments(
    ctx: Context<'_>,
    #[description = "The team (default: this channel's team, else yours)"]
    #[description_localized("vi", "Nhóm (mặc định: nhóm của kênh này, nếu không thì nhóm của bạn)")]
    #[autocomplete = "crate::discord::context::autocomplete_team_response"]
    team: Option<String>,
) -> Result<(), Error> {
    let s = team_session(ctx, team.as_deref()).await?;
    let service = &ctx.data().service;
    let v = service.commitments(&s).await?;
    reply_embed(ctx, render::with_team(render::commitments(&service.prompts, s.lang, &v), &service.prompts, s.lang, &s)).await
}
