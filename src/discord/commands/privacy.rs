//! `/mydata` and `/forget`.

use poise::serenity_prelude as serenity;

use crate::discord::context::{discord_error, no_pings, session, Context, Error};
use crate::discord::interactions::{forget_buttons, MYDATA_FILE};
use crate::discord::render::t;
use crate::keys as k;

/// A file of everything the bot stores about you in this server
#[poise::command(slash_command, description_localized("vi", "Tệp chứa mọi dữ liệu bot lưu về bạn trong máy chủ này"))]
pub async fn mydata(ctx: Context<'_>) -> Result<(), Error> {
    let s = session(ctx).await?;
    let service = &ctx.data().service;
    let data = service.my_data(&s).await?;
    let text = t(
        &service.prompts,
        s.lang,
        k::MYDATA_DONE,
        &[("checkins", data.checkins.to_string()), ("commitments", data.commitments.to_string())],
    );
    let file = serenity::CreateAttachment::bytes(data.json.into_bytes(), MYDATA_FILE);
    ctx.send(poise::CreateReply::default().content(text).attachment(file).ephemeral(true).allowed_mentions(no_pings()))
        .await
        .map_err(discord_error)?;
    Ok(())
}

/// Delete everything the bot stores about you in this server (asks first)
#[poise::command(slash_command, description_localized("vi", "Xoá mọi dữ liệu bot lưu về bạn trong máy chủ này (có xác nhận)"))]
pub async fn forget(ctx: Context<'_>) -> Result<(), Error> {
    let s = session(ctx).await?;
    let service = &ctx.data().service;
    let ((checkins, commitments), issued) = service.forget_preview(&s).await?;
    let text =
        t(&service.prompts, s.lang, k::FORGET_CONFIRM, &[("checkins", checkins.to_string()), ("commitments", commitments.to_string())]);
    let reply = poise::CreateReply::default()
        .content(text)
        .components(forget_buttons(&service.prompts, s.lang, s.caller.user, issued))
        .ephemeral(true)
        .allowed_mentions(no_pings());
    ctx.send(reply).await.map_err(discord_error)?;
    Ok(())
}
