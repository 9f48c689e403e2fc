//! What every command shares: the poise types, who is calling, and how answers and errors
//! are sent back.

use std::sync::Arc;

use poise::serenity_prelude as serenity;
use tracing::{error, info, warn};

use crate::domain::ids::{ChannelId, GuildId, RoleId, UserId};
use crate::domain::lang::Lang;
use crate::domain::refusal::Refusal;
use crate::domain::teams::{Place, Purpose};
use crate::keys as k;
use crate::service::{Caller, Service, ServiceError, Session};

/// Shared state of the poise framework.
pub struct Data {
    /// The application.
    pub service: Arc<Service>,
}

/// Errors a command can return: the service's.
pub type Error = ServiceError;
/// The poise context.
pub type Context<'a> = poise::Context<'a, Data, Error>;

/// The caller of a command interaction.
pub fn caller_of(ctx: Context<'_>) -> Caller {
    match ctx {
        poise::Context::Application(a) => caller_from(
            a.interaction.guild_id,
            &a.interaction.user,
            a.interaction.member.as_deref(),
            &a.interaction.locale,
            a.interaction.channel.as_ref(),
        ),
        poise::Context::Prefix(p) => caller_from(p.msg.guild_id, &p.msg.author, None, "en-US", None),
    }
}

/// The caller from the parts every interaction has.
pub fn caller_from(
    guild: Option<serenity::GuildId>,
    user: &serenity::User,
    member: Option<&serenity::Member>,
    locale: &str,
    channel: Option<&serenity::PartialChannel>,
) -> Caller {
    // Discord computes `member.permissions` for the interaction's channel, overwrites and
    // Administrator included; that is the server-side truth, whatever the client showed.
    let perms = member.and_then(|m| m.permissions).unwrap_or_else(serenity::Permissions::empty);
    Caller {
        guild: guild.map(|g| GuildId(g.get())),
        user: UserId(user.id.get()),
        locale: locale.to_owned(),
        can_manage: perms.manage_guild() || perms.administrator(),
        roles: member.map(|m| m.roles.iter().map(|r| RoleId(r.get())).collect()).unwrap_or_default(),
        // A thread's parent tells which team's channel it is in.
        place: Place {
            channel: channel.map(|c| ChannelId(c.id.get())),
            parent: channel.and_then(|c| c.parent_id).map(|p| ChannelId(p.get())),
        },
    }
}

/// The session of a command that does not act on one team (`/help`, `/me`): the team only
/// picks the language, and the call is never refused for being ambiguous.
pub async fn session(ctx: Context<'_>) -> Result<Session, Error> {
    ctx.data().service.session(caller_of(ctx), None, Purpose::Ambient).await
}

/// The session of a command that acts on one team: the one named in `team`, else as
/// DESIGN.md resolves it (an ambiguous call is refused with the caller's teams).
pub async fn team_session(ctx: Context<'_>, team: Option<&str>) -> Result<Session, Error> {
    ctx.data().service.session(caller_of(ctx), team, Purpose::Act).await
}

/// The session of a `/setup` command: outside any team's channel, the default team.
pub async fn setup_session(ctx: Context<'_>, team: Option<&str>) -> Result<Session, Error> {
    ctx.data().service.session(caller_of(ctx), team, Purpose::Setup).await
}

/// The value typed so far for another string option of the same (sub)command, in an
/// autocomplete interaction.
pub fn typed_option(ctx: Context<'_>, name: &str) -> Option<String> {
    let poise::Context::Application(a) = ctx else { return None };
    fn find(options: &[serenity::CommandDataOption], name: &str) -> Option<String> {
        options.iter().find_map(|o| match &o.value {
            serenity::CommandDataOptionValue::SubCommand(inner) | serenity::CommandDataOptionValue::SubCommandGroup(inner) => {
                find(inner, name)
            }
            serenity::CommandDataOptionValue::String(s) if o.name == name => Some(s.clone()),
            serenity::CommandDataOptionValue::Autocomplete { value, .. } if o.name == name => Some(value.clone()),
            _ => None,
        })
    }
    find(&a.interaction.data.options, name).filter(|s| !s.trim().is_empty())
}

/// Autocomplete for `team`, as poise wants it.
pub async fn autocomplete_team_response(ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    serenity::CreateAutocompleteResponse::new().set_choices(team_choices(ctx, partial).await)
}

/// Autocomplete for `team`: the caller's teams first, then the server's others.
pub async fn team_choices(ctx: Context<'_>, partial: &str) -> Vec<serenity::AutocompleteChoice> {
    let service = &ctx.data().service;
    let caller = caller_of(ctx);
    let Ok(session) = service.session(caller, None, Purpose::Ambient).await else { return Vec::new() };
    let typed = crate::domain::text::fold(partial.trim());
    let mut teams: Vec<&crate::domain::teams::Team> =
        session.teams.iter().filter(|t| typed.is_empty() || crate::domain::text::fold(&t.name).contains(&typed)).collect();
    // Stable: the caller's own first, each group in the server's order.
    teams.sort_by_key(|t| !session.mine.contains(&t.id));
    teams.into_iter().take(25).map(|t| serenity::AutocompleteChoice::new(t.name.clone(), t.name.clone())).collect()
}

/// Past this, a command that is still working acknowledges the interaction (a deferred
/// response) so Discord's 3-second window cannot pass while it waits, e.g. on a database
/// locked by a backup.
pub const DEFER_AFTER: std::time::Duration = std::time::Duration::from_millis(1500);

/// Runs a command's work; if it is not done within [`DEFER_AFTER`], defers the response
/// (ephemeral or public, matching the answer to come) and then finishes it.
pub async fn within_window<T>(
    ctx: Context<'_>,
    ephemeral: bool,
    work: impl std::future::Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let defer = || async move {
        info!(command = %ctx.command().qualified_name, "slow answer: deferring the response");
        if ephemeral {
            ctx.defer_ephemeral().await
        } else {
            ctx.defer().await
        }
    };
    let (result, deferred) = deferring_after(DEFER_AFTER, work, defer).await;
    deferred.transpose().map_err(discord_error)?;
    result
}

/// Runs `work`; if it is still running after `after`, runs `defer` (acknowledging the
/// interaction) and then waits for `work`. Returns the work's result and, if it deferred,
/// the acknowledgement's. The one place of the defer rule, for commands and components.
pub async fn deferring_after<T, D, F>(
    after: std::time::Duration,
    work: impl std::future::Future<Output = T>,
    defer: impl FnOnce() -> F,
) -> (T, Option<D>)
where
    F: std::future::Future<Output = D>,
{
    tokio::pin!(work);
    tokio::select! {
        r = &mut work => (r, None),
        _ = tokio::time::sleep(after) => {
            let d = defer().await;
            (work.await, Some(d))
        }
    }
}

/// Mentions in bot replies never ping: user text may contain `@everyone`.
pub fn no_pings() -> serenity::CreateAllowedMentions {
    serenity::CreateAllowedMentions::new()
}

/// Sends an ephemeral reply with one embed.
pub async fn reply_embed(ctx: Context<'_>, embed: serenity::CreateEmbed) -> Result<(), Error> {
    ctx.send(poise::CreateReply::default().embed(embed).ephemeral(true).allowed_mentions(no_pings())).await.map_err(discord_error)?;
    Ok(())
}

/// Sends an ephemeral text reply.
pub async fn reply_text(ctx: Context<'_>, text: impl Into<String>) -> Result<(), Error> {
    ctx.send(poise::CreateReply::default().content(fit_content(text.into())).ephemeral(true).allowed_mentions(no_pings()))
        .await
        .map_err(discord_error)?;
    Ok(())
}

/// A serenity failure while answering: unexpected by definition.
pub fn discord_error(e: serenity::Error) -> Error {
    ServiceError::Unexpected(anyhow::Error::new(e).context("discord"))
}

/// Message content is capped at 2000 characters; a refusal that quotes a long text back
/// must still be sent.
pub fn fit_content(s: String) -> String {
    crate::domain::text::shorten(&s, 2000)
}

/// The text of a refusal in a language.
pub fn refusal_text(service: &Service, lang: Lang, r: &Refusal) -> String {
    let args: Vec<(&str, String)> = r.args.iter().map(|(k, v)| (*k, v.clone())).collect();
    service.prompts.render(lang, r.key, &args)
}

/// A refusal as a reply: its text, and when the member's own text does not fit in one
/// message (a 5,000-character note), that text as an attached file, so nothing typed is lost.
pub fn refusal_reply(service: &Service, lang: Lang, r: &Refusal) -> (String, Option<serenity::CreateAttachment>) {
    let text = refusal_text(service, lang, r);
    if text.chars().count() <= 2000 {
        return (text, None);
    }
    let Some((_, typed)) = r.args.iter().find(|(k, _)| *k == "text") else { return (fit_content(text), None) };
    let mut short = r.clone();
    for (k, v) in &mut short.args {
        if *k == "text" {
            *v = service.prompts.render(lang, k::ERR_TEXT_ATTACHED, &[("file", TYPED_TEXT_FILE.into())]);
        }
    }
    (fit_content(refusal_text(service, lang, &short)), Some(serenity::CreateAttachment::bytes(typed.clone().into_bytes(), TYPED_TEXT_FILE)))
}

/// The file name of a member's text given back with a refusal.
pub const TYPED_TEXT_FILE: &str = "your-text.txt";

/// What the member sees when a use case fails, logged the way robbb does: refusals at info
/// (the member's mistake), a busy database at warn, anything else at error with its cause.
pub fn failure_reply(
    service: &Service,
    lang: Lang,
    error: &ServiceError,
    what: &str,
    caller: &Caller,
) -> (String, Option<serenity::CreateAttachment>) {
    match error {
        ServiceError::Refused(r) => {
            crate::metrics::set_outcome("refused");
            info!(what, user = %caller.user, refusal = %r.key.0, "refused");
            refusal_reply(service, lang, r)
        }
        ServiceError::Busy(e) => {
            crate::metrics::set_outcome("busy");
            warn!(what, user = %caller.user, error = %e, "database busy; nothing written");
            (service.prompts.text(lang, k::ERR_BUSY).to_owned(), None)
        }
        ServiceError::Unexpected(e) => {
            crate::metrics::set_outcome("error");
            error!(what, user = %caller.user, error = ?e, "failed");
            (service.prompts.text(lang, k::ERR_GENERIC).to_owned(), None)
        }
    }
}

/// poise's error hook: refusals are answered ephemerally and logged at info; anything else
/// gets a short apology and a full log with the cause chain.
pub async fn on_error(err: poise::FrameworkError<'_, Data, Error>) {
    match err {
        poise::FrameworkError::Command { error, ctx, .. } => {
            let service = &ctx.data().service;
            let caller = caller_of(ctx);
            let lang = match service.session(caller.clone(), None, Purpose::Ambient).await {
                Ok(s) => s.lang,
                Err(_) => Lang::from_locale(&caller.locale),
            };
            let (text, file) = failure_reply(service, lang, &error, &ctx.command().qualified_name, &caller);
            let mut reply = poise::CreateReply::default().content(text).ephemeral(true).allowed_mentions(no_pings());
            if let Some(f) = file {
                reply = reply.attachment(f);
            }
            if let Err(e) = ctx.send(reply).await {
                error!(error = ?e, "could not send the error reply");
            }
        }
        poise::FrameworkError::ArgumentParse { error, ctx, input, .. } => {
            crate::metrics::set_outcome("refused");
            info!(command = %ctx.command().qualified_name, ?input, %error, "could not parse options");
            let lang = Lang::from_locale(ctx.locale().unwrap_or("en-US"));
            let _ = reply_text(ctx, ctx.data().service.prompts.text(lang, k::ERR_GENERIC).to_owned()).await;
        }
        other => {
            if let Err(e) = poise::builtins::on_error(other).await {
                error!(error = ?e, "error while handling an error");
            }
        }
    }
}
