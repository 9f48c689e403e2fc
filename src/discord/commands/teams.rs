//! `/team`: create, list, join, leave, rename and delete the server's teams.

use poise::serenity_prelude as serenity;

use crate::discord::commands::setup::check_in_guild;
use crate::discord::context::{reply_embed, reply_text, session, within_window, Context, Error};
use crate::discord::render::{self, t};
use crate::discord::{context, interactions};
use crate::domain::ids::{ChannelId, RoleId};
use crate::domain::text::neutralize;
use crate::keys as k;

/// Several teams in this server: create, list, join and leave them
#[poise::command(
    slash_command,
    guild_only,
    subcommands("create", "list", "join", "leave", "rename", "delete"),
    subcommand_required,
    description_localized("vi", "Nhiều nhóm trong một máy chủ: tạo, xem, tham gia và rời nhóm")
)]
pub async fn team(_: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Create a team with its own rhythm, lead and digest (Manage Server)
#[poise::command(
    slash_command,
    guild_only,
    description_localized("vi", "Tạo một nhóm có nhịp, trưởng nhóm và bản tổng hợp riêng (Quản lý máy chủ)")
)]
pub async fn create(
    ctx: Context<'_>,
    #[description = "The team's name (1 to 32 characters, unique in the server)"]
    #[description_localized("vi", "Tên nhóm (1 đến 32 ký tự, không trùng trong máy chủ)")]
    #[max_length = 100]
    name: String,
    #[description = "Its members are this role's holders (default: whoever joins with /team join)"]
    #[description_localized("vi", "Thành viên là những người có vai trò này (mặc định: ai tham gia bằng /team join)")]
    role: Option<serenity::RoleId>,
    #[description = "Its home channel: commands used there are about this team"]
    #[description_localized("vi", "Kênh chính của nhóm: lệnh dùng ở đó là dành cho nhóm này")]
    #[channel_types("Text", "News", "Forum")]
    channel: Option<serenity::PartialChannel>,
) -> Result<(), Error> {
    check_in_guild(ctx, channel.as_ref().map(|c| c.id), role).await?;
    let s = session(ctx).await?;
    let service = &ctx.data().service;
    let work = service.team_create(&s, &name, role.map(|r| RoleId(r.get())), channel.as_ref().map(|c| ChannelId(c.id.get())));
    let team = within_window(ctx, true, work).await?;
    let how = match (team.role, team.home) {
        (Some(r), Some(c)) => format!(" (<@&{r}>, <#{c}>)"),
        (Some(r), None) => format!(" (<@&{r}>)"),
        (None, Some(c)) => format!(" (<#{c}>)"),
        (None, None) => String::new(),
    };
    reply_text(ctx, t(&service.prompts, s.lang, k::TEAM_CREATED, &[("team", neutralize(&team.name)), ("how", how)])).await
}

/// The server's teams, their home channels and roles
#[poise::command(slash_command, guild_only, description_localized("vi", "Các nhóm của máy chủ, kênh chính và vai trò của từng nhóm"))]
pub async fn list(ctx: Context<'_>) -> Result<(), Error> {
    let s = session(ctx).await?;
    let service = &ctx.data().service;
    let v = within_window(ctx, true, service.team_list(&s)).await?;
    reply_embed(ctx, render::team_list(&service.prompts, s.lang, &v)).await
}

/// Join a team that has no role
#[poise::command(slash_command, guild_only, description_localized("vi", "Tham gia một nhóm không có vai trò"))]
pub async fn join(
    ctx: Context<'_>,
    #[description = "The team"]
    #[description_localized("vi", "Nhóm")]
    #[autocomplete = "context::autocomplete_team_response"]
    team: String,
) -> Result<(), Error> {
    join_or_leave(ctx, &team, true).await
}

/// Leave a team you joined
#[poise::command(slash_command, guild_only, description_localized("vi", "Rời một nhóm bạn đã tham gia"))]
pub async fn leave(
    ctx: Context<'_>,
    #[description = "The team"]
    #[description_localized("vi", "Nhóm")]
    #[autocomplete = "context::autocomplete_team_response"]
    team: String,
) -> Result<(), Error> {
    join_or_leave(ctx, &team, false).await
}

/// `/team join` and `/team leave`: one answer for each of the four outcomes.
async fn join_or_leave(ctx: Context<'_>, team: &str, join: bool) -> Result<(), Error> {
    let s = session(ctx).await?;
    let service = &ctx.data().service;
    let (team, key) = if join {
        let (team, already) = within_window(ctx, true, service.team_join(&s, team)).await?;
        (team, if already { k::TEAM_ALREADY_IN } else { k::TEAM_JOINED })
    } else {
        let (team, was) = within_window(ctx, true, service.team_leave(&s, team)).await?;
        (team, if was { k::TEAM_LEFT } else { k::TEAM_NOT_JOINED })
    };
    reply_text(ctx, t(&service.prompts, s.lang, key, &[("team", neutralize(&team.name))])).await
}

/// Rename a team (Manage Server)
#[poise::command(slash_command, guild_only, description_localized("vi", "Đổi tên một nhóm (Quản lý máy chủ)"))]
pub async fn rename(
    ctx: Context<'_>,
    #[description = "The team"]
    #[description_localized("vi", "Nhóm")]
    #[autocomplete = "context::autocomplete_team_response"]
    team: String,
    #[description = "Its new name (1 to 32 characters)"]
    #[description_localized("vi", "Tên mới (1 đến 32 ký tự)")]
    #[max_length = 100]
    name: String,
) -> Result<(), Error> {
    let s = session(ctx).await?;
    let service = &ctx.data().service;
    let (old, new) = within_window(ctx, true, service.team_rename(&s, &team, &name)).await?;
    reply_text(ctx, t(&service.prompts, s.lang, k::TEAM_RENAMED, &[("old", neutralize(&old)), ("team", neutralize(&new))])).await
}

/// Delete a team and all its answers, after a confirmation (Manage Server)
#[poise::command(
    slash_command,
    guild_only,
    description_localized("vi", "Xóa một nhóm cùng mọi câu trả lời, sau khi xác nhận (Quản lý máy chủ)")
)]
pub async fn delete(
    ctx: Context<'_>,
    #[description = "The team"]
    #[description_localized("vi", "Nhóm")]
    #[autocomplete = "context::autocomplete_team_response"]
    team: String,
) -> Result<(), Error> {
    let s = session(ctx).await?;
    let service = &ctx.data().service;
    let plan = within_window(ctx, true, service.team_delete_plan(&s, &team)).await?;
    let p = &service.prompts;
    let text = t(
        p,
        s.lang,
        k::TEAM_DELETE_CONFIRM,
        &[
            ("team", neutralize(&plan.team.name)),
            ("checkins", plan.counts.checkins.to_string()),
            ("commitments", plan.counts.commitments.to_string()),
            ("guild", s.settings.guild.to_string()),
        ],
    );
    let buttons = interactions::team_delete_buttons(p, s.lang, s.caller.user, plan.team.id, plan.issued);
    let reply = poise::CreateReply::default()
        .content(context::fit_content(text))
        .components(buttons)
        .ephemeral(true)
        .allowed_mentions(context::no_pings());
    ctx.send(reply).await.map_err(context::discord_error)?;
    Ok(())
}
