//! The fake's own REST features, driven through serenity's `Http` as the bot builds it, so
//! they prove serenity 0.12.5 parses what the fake answers (and the validator accepts what
//! serenity sends).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::{SinkExt, StreamExt};
use poise::serenity_prelude as serenity;
use serde_json::{json, Value};
use serenity::{
    AutoArchiveDuration, ButtonStyle, ChannelId, ChannelType, CreateActionRow, CreateAttachment, CreateButton, CreateEmbed,
    CreateInteractionResponse, CreateInteractionResponseMessage, CreateMessage, CreateThread, EditInteractionResponse, EditMessage,
    EditThread, GetMessages, GuildChannel, GuildId, MessageId, Nonce, RoleId, UserId,
};
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::fake_discord::interactions::{GUILD, MEMBER};
use crate::fake_discord::payloads::snowflake_of_time;
use crate::fake_discord::{intents, perms, FakeDiscord, GuildSpec, Interaction, APP_ID, TOKEN};
use crate::helpers::at;

/// serenity's `Http` pointed at the fake, as `discord::run` builds it.
fn http(fake: &FakeDiscord) -> serenity::Http {
    serenity::HttpBuilder::new(TOKEN).proxy(fake.api_url()).ratelimiter_disabled(true).build()
}

/// Discord's JSON error code of a failed request.
fn discord_code(e: &serenity::Error) -> Option<isize> {
    match e {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(r)) => Some(r.error.code),
        _ => None,
    }
}

/// A clock the test moves by hand, as the fake's time source.
fn manual_time(fake: &FakeDiscord, start: DateTime<Utc>) -> Arc<Mutex<DateTime<Utc>>> {
    let now = Arc::new(Mutex::new(start));
    let source = now.clone();
    fake.set_time_source(move || *source.lock().unwrap());
    now
}

fn post(text: &str) -> CreateMessage {
    CreateMessage::new().content(text)
}

fn contents(msgs: &[serenity::Message]) -> Vec<&str> {
    msgs.iter().map(|m| m.content.as_str()).collect()
}

#[tokio::test]
async fn an_enforced_nonce_returns_the_first_message_until_it_expires() {
    let fake = FakeDiscord::start(vec![GuildSpec::new(GUILD)]).await;
    let http = http(&fake);
    let channel = ChannelId::new(GUILD + 1);
    let retry = CreateMessage::new().content("daily post").nonce(Nonce::String("daily-1".into())).enforce_nonce(true);
    let first = channel.send_message(&http, retry.clone()).await.unwrap();
    let again = channel.send_message(&http, retry.clone()).await.unwrap();
    assert_eq!(again.id, first.id, "within the lifetime the nonce de-duplicates");
    assert_eq!(fake.messages_in(GUILD + 1).len(), 1);
    let records = fake.nonces();
    assert_eq!((records.len(), records[0].message_id, records[0].nonce.as_str()), (1, first.id.get(), "daily-1"));

    fake.set_nonce_ttl(Duration::from_millis(100));
    tokio::time::sleep(Duration::from_millis(150)).await;
    let late = channel.send_message(&http, retry).await.unwrap();
    assert_ne!(late.id, first.id, "an expired nonce creates a new message");
    assert_eq!(fake.messages_in(GUILD + 1).len(), 2);
    assert_eq!(fake.nonces()[0].message_id, late.id.get(), "the nonce now names the new message");
}

#[tokio::test]
async fn channel_messages_are_listed_newest_first_and_paged_like_discord() {
    let fake = FakeDiscord::start(vec![GuildSpec::new(GUILD)]).await;
    let http = http(&fake);
    let channel = ChannelId::new(GUILD + 1);
    let morning = at("2026-11-27T09:00:00Z");
    let now = manual_time(&fake, morning);
    for n in 1..=3 {
        channel.send_message(&http, post(&format!("morning {n}"))).await.unwrap();
    }
    let noon = at("2026-11-27T12:00:00Z");
    *now.lock().unwrap() = noon;
    channel.send_message(&http, post("noon 1")).await.unwrap();
    channel.send_files(&http, [CreateAttachment::bytes(vec![1u8, 2, 3], "chart.png")], post("noon 2")).await.unwrap();

    let all = channel.messages(&http, GetMessages::new()).await.unwrap();
    assert_eq!(contents(&all), ["noon 2", "noon 1", "morning 3", "morning 2", "morning 1"]);
    let newest = &all[0];
    assert_eq!((newest.author.id.get(), newest.author.bot), (APP_ID, true));
    assert_eq!(newest.channel_id, channel);
    assert_eq!(newest.timestamp.unix_timestamp(), noon.timestamp());
    assert_eq!(newest.id.created_at().unix_timestamp(), noon.timestamp(), "the id's time part is its creation time");
    assert_eq!((newest.attachments[0].filename.as_str(), newest.attachments[0].size), ("chart.png", 3));

    let two = channel.messages(&http, GetMessages::new().limit(2)).await.unwrap();
    assert_eq!(contents(&two), ["noon 2", "noon 1"]);
    let before = channel.messages(&http, GetMessages::new().before(all[1].id).limit(2)).await.unwrap();
    assert_eq!(contents(&before), ["morning 3", "morning 2"]);
    let since_noon = channel.messages(&http, GetMessages::new().after(MessageId::new(snowflake_of_time(noon)))).await.unwrap();
    assert_eq!(contents(&since_noon), ["noon 2", "noon 1"]);
    let first_after = channel.messages(&http, GetMessages::new().after(all[4].id).limit(2)).await.unwrap();
    assert_eq!(contents(&first_after), ["morning 3", "morning 2"], "the ones right after, newest first");
    let around = channel.messages(&http, GetMessages::new().around(all[2].id).limit(3)).await.unwrap();
    assert_eq!(contents(&around), ["noon 1", "morning 3", "morning 2"]);
    assert_eq!(fake.count_requests("GET", &format!("/channels/{channel}/messages")), 6);
    assert!(fake.requests().iter().any(|r| r.query.contains(&format!("before={}", all[1].id))), "the query is recorded");
}

#[tokio::test]
async fn dm_history_is_listed_and_a_deleted_channel_is_unknown() {
    let fake = FakeDiscord::start(vec![GuildSpec::new(GUILD)]).await;
    let http = http(&fake);
    let dm = UserId::new(MEMBER).create_dm_channel(&http).await.unwrap();
    dm.id.send_message(&http, post("your weekly reminder")).await.unwrap();
    let history = dm.id.messages(&http, GetMessages::new().limit(10)).await.unwrap();
    assert_eq!(contents(&history), ["your weekly reminder"]);
    assert_eq!(fake.dms_to(MEMBER)[0].id, history[0].id.get());

    fake.delete_channel(GUILD + 1);
    let gone = ChannelId::new(GUILD + 1).messages(&http, GetMessages::new()).await.unwrap_err();
    assert_eq!(discord_code(&gone), Some(10003), "{gone}");
}

#[tokio::test]
async fn a_member_is_found_until_they_leave() {
    let fake = FakeDiscord::start(vec![GuildSpec::new(GUILD).role(GUILD + 50, "leads")]).await;
    let http = http(&fake);
    let guild = GuildId::new(GUILD);
    fake.set_member_roles(GUILD, MEMBER, &[GUILD + 50]);
    let member = guild.member(&http, UserId::new(MEMBER)).await.unwrap();
    assert_eq!((member.user.id.get(), member.guild_id), (MEMBER, guild));
    assert_eq!(member.roles, [RoleId::new(GUILD + 50)]);

    fake.member_left(GUILD, MEMBER);
    let left = guild.member(&http, UserId::new(MEMBER)).await.unwrap_err();
    assert_eq!(discord_code(&left), Some(10007), "{left}");
    assert!(left.to_string().contains("Unknown Member"), "{left}");
    assert!(guild.member(&http, UserId::new(MEMBER + 1)).await.is_ok(), "others are still members");
    let unknown_guild = GuildId::new(GUILD + 7).member(&http, UserId::new(MEMBER)).await.unwrap_err();
    assert_eq!(discord_code(&unknown_guild), Some(10004));
}

#[tokio::test]
async fn the_guild_and_the_bots_roles_are_what_a_permission_check_needs() {
    // What `/setup` asks of Discord instead of a guild cache: the guild's roles and owner,
    // the bot's roles, a channel's overwrites; serenity parses each answer.
    let fake = FakeDiscord::start(vec![board_guild().role(GUILD + 50, "leads").bot_permissions(perms::MANAGE_THREADS)]).await;
    let http = http(&fake);
    let guild = http.get_guild(GuildId::new(GUILD)).await.unwrap();
    assert_eq!((guild.id.get(), guild.owner_id.get()), (GUILD, 1));
    let spec = board_guild().bot_permissions(perms::MANAGE_THREADS);
    let bot_role = RoleId::new(spec.bot_role());
    assert_eq!(guild.roles.len(), 3, "@everyone, leads and the bot's: {:?}", guild.roles.keys());
    assert_eq!(guild.roles[&bot_role].permissions.bits(), perms::MANAGE_THREADS);
    assert_eq!(guild.roles[&RoleId::new(GUILD)].permissions.bits(), perms::MEMBER);
    let me = http.get_member(GuildId::new(GUILD), UserId::new(APP_ID)).await.unwrap();
    assert_eq!(me.roles, [bot_role], "the bot holds its managed role");
    let plain = FakeDiscord::start(vec![GuildSpec::new(GUILD + 9)]).await;
    let none = crate::fake_api::http(&plain).get_member(GuildId::new(GUILD + 9), UserId::new(APP_ID)).await.unwrap();
    assert!(none.roles.is_empty(), "no managed role without permissions at invite");
    let unknown = http.get_guild(GuildId::new(GUILD + 7)).await.unwrap_err();
    assert_eq!(discord_code(&unknown), Some(10004), "{unknown}");
    let channel = http.get_channel(ChannelId::new(NO_THREADS)).await.unwrap().guild().unwrap();
    assert_eq!(channel.guild_id.get(), GUILD);
    let deny = channel.permission_overwrites[0].deny.bits();
    assert_eq!(deny, perms::CREATE_PUBLIC_THREADS | perms::CREATE_PRIVATE_THREADS);
    fake.assert_clean();
    plain.assert_clean();
}

#[tokio::test]
async fn app_permissions_are_the_bots_in_the_interactions_channel() {
    let spec = GuildSpec::new(GUILD).read_only_channel(GUILD + 5, "announcements").bot_permissions(perms::MANAGE_THREADS);
    let fake = FakeDiscord::start(vec![spec]).await;
    assert_eq!(fake.app_permissions(&Interaction::command("help")), Some(perms::MEMBER | perms::MANAGE_THREADS));
    let seen = fake.app_permissions(&Interaction::command("help").in_channel(GUILD + 5));
    assert_eq!(seen, Some((perms::MEMBER | perms::MANAGE_THREADS) & !perms::SEND_MESSAGES));
    let admin = FakeDiscord::start(vec![GuildSpec::new(GUILD).bot_permissions(perms::ADMINISTRATOR)]).await;
    let all = admin.app_permissions(&Interaction::command("help")).unwrap();
    assert!(all & perms::ADMINISTRATOR != 0 && all & perms::SEND_MESSAGES != 0 && all < 1 << 51, "{all:b}");
}

/// The board channel threads are started in, in the default test guild.
const BOARD: u64 = GUILD + 20;
/// A channel where the bot may post but not start threads.
const NO_THREADS: u64 = GUILD + 21;
/// The partner DMed with buttons, and someone else.
const PARTNER: u64 = MEMBER + 1;
const OTHER: u64 = MEMBER + 2;

fn board_guild() -> GuildSpec {
    GuildSpec::new(GUILD).channel(BOARD, "board").channel_without_threads(NO_THREADS, "announcements")
}

fn week_thread(name: &str) -> CreateThread<'_> {
    CreateThread::new(name).kind(ChannelType::PublicThread).auto_archive_duration(AutoArchiveDuration::OneWeek)
}

fn buttons(ids: &[&str]) -> Vec<CreateActionRow> {
    vec![CreateActionRow::Buttons(ids.iter().map(|id| CreateButton::new(*id).label(*id).style(ButtonStyle::Success)).collect())]
}

/// The thread's `thread_metadata` flags (archived, locked), as the fake has them now.
fn thread_state(fake: &FakeDiscord, thread: ChannelId) -> (bool, bool) {
    let t = fake.thread(thread.get()).expect("the fake knows the thread");
    (t.archived, t.locked)
}

#[tokio::test]
async fn a_week_thread_is_started_in_the_board_listed_and_posted_in() {
    let fake = FakeDiscord::start(vec![board_guild()]).await;
    let http = http(&fake);
    let board = ChannelId::new(BOARD);
    let thread = board.create_thread(&http, week_thread("Week 48")).await.unwrap();
    assert_eq!(fake.requests().last().map(|r| r.status), Some(201), "Start Thread answers 201 Created");
    assert_eq!((thread.kind, thread.parent_id, thread.guild_id), (ChannelType::PublicThread, Some(board), GuildId::new(GUILD)));
    assert_eq!((thread.name.as_str(), thread.owner_id), ("Week 48", Some(UserId::new(APP_ID))));
    let meta = thread.thread_metadata.expect("a thread has thread_metadata");
    assert_eq!((meta.archived, meta.locked, meta.auto_archive_duration), (false, false, AutoArchiveDuration::OneWeek));
    assert!(meta.create_timestamp.is_some() && meta.archive_timestamp.is_some());

    // THREAD_CREATE (newly created) and THREAD_MEMBERS_UPDATE (the bot joined), as serenity reads them.
    let created = fake.dispatched("THREAD_CREATE");
    assert_eq!((created.len(), &created[0]["newly_created"]), (1, &json!(true)));
    let event: serenity::ThreadCreateEvent = serde_json::from_value(created[0].clone()).unwrap();
    assert_eq!(event.thread.id, thread.id);
    let joined: serenity::ThreadMembersUpdateEvent = serde_json::from_value(fake.dispatched("THREAD_MEMBERS_UPDATE")[0].clone()).unwrap();
    assert_eq!((joined.id, joined.added_members[0].user_id), (thread.id, UserId::new(APP_ID)));

    // A thread is a place: messages go there, with the guild's id, and are listed.
    let first = thread.id.send_message(&http, post("ship the API review")).await.unwrap();
    thread.id.send_message(&http, post("draft the mock-ups")).await.unwrap();
    assert_eq!((first.channel_id, first.guild_id), (thread.id, Some(GuildId::new(GUILD))));
    let listed = thread.id.messages(&http, GetMessages::new()).await.unwrap();
    assert_eq!(contents(&listed), ["draft the mock-ups", "ship the API review"]);
    assert_eq!(fake.messages_in(thread.id.get()).len(), 2);
    assert_eq!(thread.id.message(&http, first.id).await.unwrap().content, "ship the API review");
    let objects = fake.threads_in(BOARD);
    assert_eq!((objects.len(), &objects[0]["message_count"], &objects[0]["total_message_sent"]), (1, &json!(2), &json!(2)));

    // Without a type Discord starts a private thread, archiving after a day.
    let private = board.create_thread(&http, CreateThread::new("leads only")).await.unwrap();
    let meta = private.thread_metadata.unwrap();
    assert_eq!((private.kind, meta.auto_archive_duration), (ChannelType::PrivateThread, AutoArchiveDuration::OneDay));

    let active = GuildId::new(GUILD).get_active_threads(&http).await.unwrap();
    let ids: Vec<ChannelId> = active.threads.iter().map(|t| t.id).collect();
    assert_eq!(ids, [private.id, thread.id], "newest first");
    assert!(active.members.iter().all(|m| m.user_id == UserId::new(APP_ID)) && active.members.len() == 2, "the bot joined both");
    let serenity::Channel::Guild(fetched) = thread.id.to_channel(&http).await.unwrap() else { panic!("a thread is a guild channel") };
    assert_eq!((fetched.id, fetched.message_count), (thread.id, Some(2)));
    assert_eq!(fake.threads_in(BOARD).len(), 2);
    assert!(fake.threads_in(GUILD + 1).is_empty(), "none in general");
}

#[tokio::test]
async fn threads_are_refused_where_discord_refuses_them() {
    let fake = FakeDiscord::start(vec![board_guild()]).await;
    let http = http(&fake);
    let unknown = ChannelId::new(GUILD + 99).create_thread(&http, week_thread("x")).await.unwrap_err();
    assert_eq!(discord_code(&unknown), Some(10003), "{unknown}");
    let denied = ChannelId::new(NO_THREADS).create_thread(&http, week_thread("x")).await.unwrap_err();
    assert_eq!(discord_code(&denied), Some(50013), "{denied}");
    assert!(ChannelId::new(NO_THREADS).send_message(&http, post("posting is fine")).await.is_ok());

    let dm = UserId::new(PARTNER).create_dm_channel(&http).await.unwrap();
    let in_dm = dm.id.create_thread(&http, week_thread("x")).await.unwrap_err();
    assert_eq!(discord_code(&in_dm), Some(50024), "{in_dm}");
    let thread = ChannelId::new(BOARD).create_thread(&http, week_thread("Week 48")).await.unwrap();
    let nested = thread.id.create_thread(&http, week_thread("x")).await.unwrap_err();
    assert_eq!(discord_code(&nested), Some(50024), "{nested}");

    fake.delete_channel(thread.id.get());
    let gone = thread.id.send_message(&http, post("hello?")).await.unwrap_err();
    assert_eq!(discord_code(&gone), Some(10003), "{gone}");
    let deleted = fake.dispatched("THREAD_DELETE");
    assert_eq!((deleted.len(), &deleted[0]["parent_id"]), (1, &json!(BOARD.to_string())));
    assert!(fake.threads_in(BOARD).is_empty() && GuildId::new(GUILD).get_active_threads(&http).await.unwrap().threads.is_empty());
    fake.assert_clean();
}

#[tokio::test]
async fn an_archived_thread_reopens_on_a_post_but_not_on_an_edit_and_a_locked_one_stays_shut() {
    let fake = FakeDiscord::start(vec![board_guild()]).await;
    let http = http(&fake);
    let thread = ChannelId::new(BOARD).create_thread(&http, week_thread("Week 48")).await.unwrap().id;
    let card = thread.send_message(&http, post("commitment: ship it")).await.unwrap();

    fake.archive_thread(thread.get());
    assert_eq!(thread_state(&fake, thread), (true, false));
    assert!(GuildId::new(GUILD).get_active_threads(&http).await.unwrap().threads.is_empty(), "archived threads are not active");
    let archived = ChannelId::new(BOARD).get_archived_public_threads(&http, None, None).await.unwrap();
    assert_eq!(archived.threads.iter().map(|t| t.id).collect::<Vec<_>>(), [thread]);
    let edit = thread.edit_message(&http, card.id, EditMessage::new().content("commitment: shipped")).await.unwrap_err();
    assert_eq!(discord_code(&edit), Some(50083), "editing does not unarchive: {edit}");
    assert_eq!(fake.message(thread.get(), card.id.get()).unwrap().object["content"], "commitment: ship it");
    thread.send_message(&http, post("a new week's note")).await.unwrap();
    assert_eq!(thread_state(&fake, thread), (false, false), "a post unarchives");
    let updates = fake.dispatched("THREAD_UPDATE");
    assert_eq!(updates.last().unwrap()["thread_metadata"]["archived"], json!(false));
    thread.edit_message(&http, card.id, EditMessage::new().content("commitment: shipped")).await.unwrap();

    // The bot archives and reopens the thread it started; renaming needs it open.
    let closed = thread.edit_thread(&http, EditThread::new().archived(true)).await.unwrap();
    assert!(closed.thread_metadata.unwrap().archived);
    let rename = thread.edit_thread(&http, EditThread::new().name("Week 48 (done)")).await.unwrap_err();
    assert_eq!(discord_code(&rename), Some(50083), "{rename}");
    let reopened = thread.edit_thread(&http, EditThread::new().archived(false).name("Week 48 (done)")).await.unwrap();
    assert_eq!((reopened.name.as_str(), reopened.thread_metadata.unwrap().archived), ("Week 48 (done)", false));
    let lock = thread.edit_thread(&http, EditThread::new().locked(true)).await.unwrap_err();
    assert_eq!(discord_code(&lock), Some(50013), "locking needs Manage Threads: {lock}");

    // A moderator locks it: no more posts or edits; archived as well, posts are refused too.
    fake.lock_thread(thread.get());
    let post_locked = thread.send_message(&http, post("x")).await.unwrap_err();
    assert_eq!(discord_code(&post_locked), Some(160005), "{post_locked}");
    let edit_locked = thread.edit_message(&http, card.id, EditMessage::new().content("x")).await.unwrap_err();
    assert_eq!(discord_code(&edit_locked), Some(160005), "{edit_locked}");
    fake.archive_thread(thread.get());
    let post_archived = thread.send_message(&http, post("x")).await.unwrap_err();
    assert_eq!(discord_code(&post_archived), Some(50083), "{post_archived}");
    assert_eq!(thread_state(&fake, thread), (true, true), "a locked thread stays archived");
    let reopen = thread.edit_thread(&http, EditThread::new().archived(false)).await.unwrap_err();
    assert_eq!(discord_code(&reopen), Some(50013), "only moderators reopen a locked thread: {reopen}");
    fake.assert_clean();
}

#[tokio::test]
async fn a_bot_with_manage_threads_locks_and_reopens_threads() {
    let fake = FakeDiscord::start(vec![board_guild().bot_permissions(perms::MANAGE_THREADS)]).await;
    let http = http(&fake);
    let thread = ChannelId::new(BOARD).create_thread(&http, week_thread("Week 48")).await.unwrap().id;
    let shut = thread.edit_thread(&http, EditThread::new().archived(true).locked(true)).await.unwrap();
    let meta = shut.thread_metadata.unwrap();
    assert_eq!((meta.archived, meta.locked), (true, true));
    let open = thread.edit_thread(&http, EditThread::new().archived(false).locked(false)).await.unwrap().thread_metadata.unwrap();
    assert_eq!((open.archived, open.locked), (false, false));
    let role = &GuildSpec::new(GUILD).bot_permissions(perms::MANAGE_THREADS).payload()["roles"][1];
    assert_eq!((&role["managed"], &role["permissions"]), (&json!(true), &json!(perms::MANAGE_THREADS.to_string())));
}

#[tokio::test]
async fn messages_are_edited_and_deleted_as_on_discord() {
    let fake = FakeDiscord::start(vec![board_guild()]).await;
    let http = http(&fake);
    let channel = ChannelId::new(BOARD);
    let card = channel
        .send_message(
            &http,
            CreateMessage::new().content("commitment: ship it").embed(CreateEmbed::new().title("open")).components(buttons(&["done"])),
        )
        .await
        .unwrap();
    assert!(card.edited_timestamp.is_none());

    let edited = channel.edit_message(&http, card.id, EditMessage::new().content("commitment: shipped")).await.unwrap();
    assert_eq!((edited.id, edited.content.as_str()), (card.id, "commitment: shipped"));
    assert!(edited.edited_timestamp.is_some());
    assert_eq!((edited.embeds.len(), edited.components.len()), (1, 1), "what the edit leaves out stays");
    let edited = channel.edit_message(&http, card.id, EditMessage::new().embeds(vec![]).components(vec![])).await.unwrap();
    assert_eq!((edited.content.as_str(), edited.embeds.len(), edited.components.len()), ("commitment: shipped", 0, 0));
    let stored = fake.message(BOARD, card.id.get()).unwrap();
    assert_eq!((stored.edits.len(), stored.edited()), (2, true));
    assert_eq!((&stored.body["content"], &stored.body["components"]), (&json!("commitment: shipped"), &json!([])));
    let update: serenity::MessageUpdateEvent = serde_json::from_value(fake.dispatched("MESSAGE_UPDATE")[1].clone()).unwrap();
    assert_eq!((update.id, update.content.as_deref()), (card.id, Some("commitment: shipped")));

    let unknown = channel.edit_message(&http, MessageId::new(card.id.get() + 1), EditMessage::new().content("x")).await.unwrap_err();
    assert_eq!(discord_code(&unknown), Some(10008), "{unknown}");
    let theirs = MessageId::new(fake.member_posts(BOARD, MEMBER, "my own note"));
    let not_mine = channel.edit_message(&http, theirs, EditMessage::new().content("x")).await.unwrap_err();
    assert_eq!(discord_code(&not_mine), Some(50005), "{not_mine}");
    let delete_theirs = channel.delete_message(&http, theirs).await.unwrap_err();
    assert_eq!(discord_code(&delete_theirs), Some(50013), "deleting others' messages needs Manage Messages: {delete_theirs}");

    channel.delete_message(&http, card.id).await.unwrap();
    assert_eq!(fake.requests().last().map(|r| r.status), Some(204));
    assert!(fake.message(BOARD, card.id.get()).is_none());
    assert_eq!(fake.deleted_messages_in(BOARD)[0].id, card.id.get());
    for gone in [channel.delete_message(&http, card.id).await.unwrap_err(), channel.message(&http, card.id).await.unwrap_err()] {
        assert_eq!(discord_code(&gone), Some(10008), "{gone}");
    }
    let edit_gone = channel.edit_message(&http, card.id, EditMessage::new().content("x")).await.unwrap_err();
    assert_eq!(discord_code(&edit_gone), Some(10008), "{edit_gone}");

    // A moderator deletes a message: it is gone, and MESSAGE_DELETE says so.
    fake.delete_message(BOARD, theirs.get());
    let deleted: Vec<serenity::MessageDeleteEvent> =
        fake.dispatched("MESSAGE_DELETE").into_iter().map(|d| serde_json::from_value(d).unwrap()).collect();
    assert_eq!(deleted.iter().map(|d| d.message_id).collect::<Vec<_>>(), [card.id, theirs]);
    assert_eq!(deleted[0].guild_id, Some(GuildId::new(GUILD)));
    assert!(fake.messages_in(BOARD).is_empty());
    fake.assert_clean();

    // Edits are validated as creates are.
    let mine = channel.send_message(&http, post("x")).await.unwrap();
    let long = json!({ "content": "é".repeat(2001) });
    http.edit_message(channel, mine.id, &long, vec![]).await.unwrap_err();
    let twice = json!({ "components": [{ "type": 1, "components": [
        { "type": 2, "style": 1, "custom_id": "same", "label": "a" }, { "type": 2, "style": 2, "custom_id": "same", "label": "b" }] }] });
    http.edit_message(channel, mine.id, &twice, vec![]).await.unwrap_err();
    let v = fake.violations();
    assert!(v.len() == 2 && v[0].contains("content: Must be 2000 or fewer") && v[1].contains("custom_ids must be unique"), "{v:#?}");
    fake.clear_violations();
}

/// The INTERACTION_CREATE the fake sent last (from its gateway log).
fn last_interaction(fake: &FakeDiscord) -> Value {
    let log = fake.shared_state().log.clone();
    let text = log.iter().rev().map(|(_, t)| t).find(|t| t.contains("\"INTERACTION_CREATE\"")).expect("an interaction was sent").clone();
    serde_json::from_str::<Value>(&text).unwrap()["d"].clone()
}

#[tokio::test]
async fn a_dm_click_carries_the_message_it_was_made_on() {
    let fake = FakeDiscord::start(vec![board_guild()]).await;
    let http = http(&fake);
    let dm = UserId::new(PARTNER).create_dm_channel(&http).await.unwrap().id;
    assert_eq!(fake.dm_channel_of(PARTNER), Some(dm.get()));
    let ask = dm
        .send_message(&http, CreateMessage::new().content("Did you keep it?").components(buttons(&["kept:1", "missed:1"])))
        .await
        .unwrap();

    fake.dispatch_interaction(&Interaction::button("kept:1").on_message(&fake, dm.get(), ask.id.get()));
    let d = last_interaction(&fake);
    assert!(d.get("guild_id").is_none() && d.get("member").is_none(), "{d}");
    assert_eq!((&d["context"], &d["channel"]["type"], &d["channel_id"]), (&json!(1), &json!(1), &json!(dm.to_string())));
    assert_eq!(d["message"]["components"], fake.message(dm.get(), ask.id.get()).unwrap().object["components"]);
    let serenity::Interaction::Component(click) = serde_json::from_value(d).unwrap() else { panic!("a component interaction") };
    assert_eq!((click.user.id, click.guild_id, click.channel_id), (UserId::new(PARTNER), None, dm), "the DM's recipient clicks");
    assert_eq!((click.message.id, click.message.author.id, click.data.custom_id.as_str()), (ask.id, UserId::new(APP_ID), "kept:1"));
    assert_eq!(click.message.components[0].components.len(), 2);
    assert_eq!(fake.message(dm.get(), ask.id.get()).unwrap().custom_ids(), ["kept:1", "missed:1"]);

    fake.dispatch_interaction(&Interaction::button("kept:1").on_message(&fake, dm.get(), ask.id.get()).by(OTHER));
    let serenity::Interaction::Component(by_other) = serde_json::from_value(last_interaction(&fake)).unwrap() else { panic!() };
    assert_eq!((by_other.user.id, by_other.message.id), (UserId::new(OTHER), ask.id));

    // Without a message: the click still comes from the user's DM channel with the bot.
    fake.dispatch_interaction(&Interaction::button("kept:2").in_dm().by(MEMBER));
    let d = last_interaction(&fake);
    let opened = fake.dm_channel_of(MEMBER).expect("a DM interaction opens the DM channel");
    assert_eq!((&d["channel_id"], &d["message"]["channel_id"]), (&json!(opened.to_string()), &json!(opened.to_string())));
    assert!(d["user"].is_object() && d.get("member").is_none());
    assert_eq!(UserId::new(MEMBER).create_dm_channel(&http).await.unwrap().id.get(), opened, "the bot gets the same channel");

    // In a guild, the message's channel and guild.
    let card = ChannelId::new(BOARD).send_message(&http, post("x").components(buttons(&["done"]))).await.unwrap();
    fake.dispatch_interaction(&Interaction::button("done").on_message(&fake, BOARD, card.id.get()));
    let serenity::Interaction::Component(in_guild) = serde_json::from_value(last_interaction(&fake)).unwrap() else { panic!() };
    assert_eq!(
        (in_guild.guild_id, in_guild.channel_id, in_guild.user.id),
        (Some(GuildId::new(GUILD)), ChannelId::new(BOARD), UserId::new(MEMBER))
    );
}

#[tokio::test]
#[should_panic(expected = "has no component")]
async fn a_click_on_a_button_the_message_lacks_is_a_test_bug() {
    let fake = FakeDiscord::start(vec![board_guild()]).await;
    let card = ChannelId::new(BOARD).send_message(&http(&fake), post("x").components(buttons(&["done"]))).await.unwrap();
    let _ = Interaction::button("undo").on_message(&fake, BOARD, card.id.get());
}

#[tokio::test]
async fn component_updates_edit_the_clicked_message() {
    let fake = FakeDiscord::start(vec![board_guild()]).await;
    let http = http(&fake);
    let dm = UserId::new(PARTNER).create_dm_channel(&http).await.unwrap().id;
    let ask =
        dm.send_message(&http, CreateMessage::new().content("Did you keep it?").components(buttons(&["kept", "missed"]))).await.unwrap();
    let click = || fake.dispatch_interaction(&Interaction::button("kept").on_message(&fake, dm.get(), ask.id.get()));
    let id_of = |token: &str| serenity::InteractionId::new(fake.shared_state().interactions[token].id);

    // UPDATE_MESSAGE (7) edits the message the button was on.
    let token = click();
    let update = CreateInteractionResponse::UpdateMessage(CreateInteractionResponseMessage::new().content("Kept ✓").components(vec![]));
    http.create_interaction_response(id_of(&token), &token, &update, vec![]).await.unwrap();
    let stored = fake.message(dm.get(), ask.id.get()).unwrap();
    assert_eq!((&stored.object["content"], &stored.object["components"], stored.edits.len()), (&json!("Kept ✓"), &json!([]), 1));
    assert!(stored.object["edited_timestamp"].is_string());

    // DEFERRED_UPDATE_MESSAGE (6), then an edit of @original: the same message.
    http.set_application_id(serenity::ApplicationId::new(APP_ID));
    let token = click_after_restore(&fake, &http, dm, ask.id).await;
    http.create_interaction_response(id_of(&token), &token, &CreateInteractionResponse::Acknowledge, vec![]).await.unwrap();
    let edited =
        http.edit_original_interaction_response(&token, &EditInteractionResponse::new().content("Kept, noted."), vec![]).await.unwrap();
    assert_eq!((edited.id, edited.channel_id, edited.content.as_str()), (ask.id, dm, "Kept, noted."));
    assert_eq!(http.get_original_interaction_response(&token).await.unwrap().id, ask.id);
    assert_eq!(fake.message(dm.get(), ask.id.get()).unwrap().edits.len(), 3);
    assert_eq!(fake.dispatched("MESSAGE_UPDATE").len(), 3);

    // A click on the stand-in message (no stored message) edits nothing stored.
    let token = fake.dispatch_interaction(&Interaction::button("confirm"));
    let update = CreateInteractionResponse::UpdateMessage(CreateInteractionResponseMessage::new().content("Cancelled."));
    http.create_interaction_response(id_of(&token), &token, &update, vec![]).await.unwrap();
    assert_eq!(fake.message(dm.get(), ask.id.get()).unwrap().edits.len(), 3);
    fake.assert_clean();
}

/// Puts the buttons back on the message (an edit by the bot), then clicks "kept" again.
async fn click_after_restore(fake: &FakeDiscord, http: &serenity::Http, dm: ChannelId, ask: MessageId) -> String {
    dm.edit_message(http, ask, EditMessage::new().components(buttons(&["kept", "missed"]))).await.unwrap();
    fake.dispatch_interaction(&Interaction::button("kept").on_message(fake, dm.get(), ask.get()))
}

#[tokio::test]
async fn a_bot_account_can_be_picked_as_a_user_option() {
    let fake = FakeDiscord::start(vec![board_guild()]).await;
    fake.dispatch_interaction(&Interaction::sub("partner", "set").user_opt_bot("partner", OTHER));
    let serenity::Interaction::Command(cmd) = serde_json::from_value(last_interaction(&fake)).unwrap() else { panic!() };
    let user = &cmd.data.resolved.users[&UserId::new(OTHER)];
    assert!(user.bot, "{user:?}");
    fake.dispatch_interaction(&Interaction::sub("partner", "set").user_opt("partner", PARTNER));
    let serenity::Interaction::Command(cmd) = serde_json::from_value(last_interaction(&fake)).unwrap() else { panic!() };
    assert!(!cmd.data.resolved.users[&UserId::new(PARTNER)].bot);
}

/// Connects to the fake's gateway and identifies with `intents`; returns the GUILD_CREATE.
async fn identify(
    fake: &FakeDiscord,
    intents: u64,
) -> (Value, tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>) {
    let url = fake.shared().gateway_url.clone();
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let identify =
        json!({ "op": 2, "d": { "token": TOKEN, "intents": intents, "properties": { "os": "linux", "browser": "t", "device": "t" } } });
    ws.send(WsMessage::Text(identify.to_string())).await.unwrap();
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), ws.next()).await.unwrap().unwrap().unwrap();
        let v: Value = serde_json::from_str(frame.to_text().unwrap()).unwrap();
        if v["t"] == "GUILD_CREATE" {
            return (v["d"].clone(), ws);
        }
    }
}

#[tokio::test]
async fn events_follow_the_sessions_intents_and_guild_create_carries_active_threads() {
    let fake = FakeDiscord::start(vec![board_guild()]).await;
    let http = http(&fake);
    let thread = ChannelId::new(BOARD).create_thread(&http, week_thread("Week 48")).await.unwrap().id;
    let card = thread.send_message(&http, post("commitment")).await.unwrap();

    // The bot's intents: GUILDS only.
    let (guild, _ws) = identify(&fake, intents::GUILDS).await;
    let threads: Vec<GuildChannel> = serde_json::from_value(guild["threads"].clone()).unwrap();
    assert_eq!((threads.len(), threads[0].id), (1, thread));
    assert!(threads[0].member.is_some(), "the bot's thread member rides along");
    let parsed: serenity::Guild = serde_json::from_value(guild).unwrap();
    assert_eq!(parsed.threads.iter().map(|t| t.id).collect::<Vec<_>>(), [thread], "serenity reads the whole GUILD_CREATE");
    thread.edit_message(&http, card.id, EditMessage::new().content("done")).await.unwrap();
    thread.delete_message(&http, card.id).await.unwrap();
    assert!(fake.dispatched("MESSAGE_UPDATE").is_empty() && fake.dispatched("MESSAGE_DELETE").is_empty(), "no message intents");
    fake.archive_thread(thread.get());
    assert_eq!(fake.dispatched("THREAD_UPDATE").len(), 1, "GUILDS brings thread events");

    let (_, _ws) = identify(&fake, intents::GUILDS | intents::GUILD_MESSAGES).await;
    let again = thread.send_message(&http, post("reopened")).await.unwrap();
    thread.edit_message(&http, again.id, EditMessage::new().content("reopened!")).await.unwrap();
    assert_eq!(fake.dispatched("MESSAGE_UPDATE").len(), 1);
    fake.assert_clean();
}

// Sharding, as Discord does it: a guild's events on its shard's sessions, DMs on shard 0,
// every session of a shard getting them all, IDENTIFY checked and rate limited.

/// Guilds whose shard of 2 is known: `(n << 22) + k` is on shard `n % 2`.
const SHARD0_A: u64 = (214_576_000_000 << 22) + 17;
const SHARD1_A: u64 = (214_576_000_001 << 22) + 17;
const SHARD0_B: u64 = (214_576_000_002 << 22) + 17;
const SHARD1_B: u64 = (214_576_000_003 << 22) + 17;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A gateway client by hand: connects, identifies with `shard`, reads frames.
struct Gateway {
    ws: Ws,
}

impl Gateway {
    /// Connects to `url` and sends IDENTIFY with `shard` (left out when `None`).
    async fn identify(url: &str, shard: Option<[u32; 2]>) -> Self {
        let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let mut d = json!({ "token": TOKEN, "intents": intents::GUILDS, "properties": { "os": "linux", "browser": "t", "device": "t" } });
        if let Some(shard) = shard {
            d["shard"] = json!(shard);
        }
        ws.send(WsMessage::Text(json!({ "op": 2, "d": d }).to_string())).await.unwrap();
        Self { ws }
    }

    /// The next dispatch (op 0), within 5 s.
    async fn next(&mut self) -> Value {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(5), self.ws.next()).await.expect("a frame within 5 s").unwrap().unwrap();
            let v: Value = serde_json::from_str(frame.to_text().unwrap()).unwrap();
            if v["op"] == 0 {
                return v;
            }
        }
    }

    /// Every dispatch up to and including the first `t` that `pred` accepts.
    async fn until(&mut self, t: &str, pred: impl Fn(&Value) -> bool) -> Vec<Value> {
        let mut seen = Vec::new();
        loop {
            let v = self.next().await;
            let done = v["t"] == t && pred(&v["d"]);
            seen.push(v);
            if done {
                return seen;
            }
        }
    }

    /// READY and the GUILD_CREATEs that follow it, up to the first other event: (READY's `d`,
    /// the guild ids). `marker` is an event sent after them, to know they are all there.
    async fn ready_and_guilds(&mut self, marker: &str) -> (Value, Vec<u64>) {
        let frames = self.until("INTERACTION_CREATE", |d| d["token"] == marker).await;
        assert_eq!(frames[0]["t"], "READY", "READY comes first");
        let guilds = frames.iter().filter(|f| f["t"] == "GUILD_CREATE").map(|f| f["d"]["id"].as_str().unwrap().parse().unwrap()).collect();
        (frames[0]["d"].clone(), guilds)
    }

    /// The close frame the fake ends the connection with.
    async fn close_frame(&mut self) -> (u16, String) {
        loop {
            match tokio::time::timeout(Duration::from_secs(5), self.ws.next()).await.expect("closed within 5 s") {
                Some(Ok(WsMessage::Close(Some(frame)))) => return (frame.code.into(), frame.reason.to_string()),
                Some(Ok(_)) => continue,
                other => panic!("no close frame: {other:?}"),
            }
        }
    }
}

/// The tokens of the INTERACTION_CREATEs among `frames`.
fn interaction_tokens(frames: &[Value]) -> Vec<String> {
    frames.iter().filter(|f| f["t"] == "INTERACTION_CREATE").map(|f| f["d"]["token"].as_str().unwrap().to_owned()).collect()
}

fn sharded_guilds() -> Vec<GuildSpec> {
    [SHARD0_A, SHARD1_A, SHARD0_B, SHARD1_B].into_iter().map(GuildSpec::new).collect()
}

#[tokio::test]
async fn gateway_bot_recommends_the_configured_shards_with_one_identify_per_5_s() {
    let fake = FakeDiscord::start(vec![GuildSpec::new(GUILD)]).await;
    let one = http(&fake).get_bot_gateway().await.unwrap();
    assert_eq!((one.shards, one.session_start_limit.max_concurrency), (1, 1), "one shard unless a test says otherwise");
    fake.set_shard_count(4);
    let four = http(&fake).get_bot_gateway().await.unwrap();
    assert_eq!((four.shards, four.session_start_limit.max_concurrency), (4, 1));
    assert_eq!(four.url, fake.shared().gateway_url);
    assert_eq!(crate::fake_discord::shard_of(SHARD1_B, 2), 1);
    assert_eq!(crate::fake_discord::shard_of(SHARD0_B, 2), 0);
}

#[tokio::test]
async fn each_guild_comes_on_its_shards_session_and_dms_on_shard_zero() {
    let fake = FakeDiscord::start(sharded_guilds()).await;
    fake.set_shard_count(2);
    // The fake's own tests identify by hand, so they may space IDENTIFYs less than 5 s.
    fake.set_identify_limit(Some(Duration::from_millis(300)));
    let url = fake.shared().gateway_url.clone();
    let mut zero = Gateway::identify(&url, Some([0, 2])).await;
    fake.wait_for("shard 0", |i| i.connected_via("", 0).then_some(())).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut one = Gateway::identify(&url, Some([1, 2])).await;
    fake.wait_for("shard 1", |i| i.connected_via("", 1).then_some(())).await;

    // READY names the session's shard and its guilds; GUILD_CREATE follows for those only.
    let mark0 = fake.dispatch_interaction(&Interaction::command("help").in_guild(SHARD0_A));
    let mark1 = fake.dispatch_interaction(&Interaction::command("help").in_guild(SHARD1_A));
    let (ready0, guilds0) = zero.ready_and_guilds(&mark0).await;
    let (ready1, guilds1) = one.ready_and_guilds(&mark1).await;
    assert_eq!((&ready0["shard"], guilds0.as_slice()), (&json!([0, 2]), [SHARD0_A, SHARD0_B].as_slice()));
    assert_eq!((&ready1["shard"], guilds1.as_slice()), (&json!([1, 2]), [SHARD1_A, SHARD1_B].as_slice()));
    let unavailable: Vec<&str> = ready1["guilds"].as_array().unwrap().iter().map(|g| g["id"].as_str().unwrap()).collect();
    assert_eq!(unavailable, [SHARD1_A.to_string(), SHARD1_B.to_string()]);
    let parsed: serenity::Ready = serde_json::from_value(ready1).unwrap();
    assert_eq!(parsed.shard.map(|s| (s.id.0, s.total)), Some((1, 2)), "serenity reads the shard");

    // Interactions, a DM and a new guild: each on its own shard's connection. An event on the
    // other connection would have come before the marker sent after it.
    let on1 = fake.dispatch_interaction(&Interaction::sub("checkin", "communication").int("rating", 4).in_guild(SHARD1_B));
    let dm = fake.dispatch_interaction(&Interaction::command("help").in_dm());
    let new_guild = (214_576_000_005 << 22) + 3;
    fake.add_guild(GuildSpec::new(new_guild));
    let end0 = fake.dispatch_interaction(&Interaction::command("help").in_guild(SHARD0_B));
    let end1 = fake.dispatch_interaction(&Interaction::command("help").in_guild(SHARD1_A));
    let got0 = zero.until("INTERACTION_CREATE", |d| d["token"] == end0.as_str()).await;
    let got1 = one.until("INTERACTION_CREATE", |d| d["token"] == end1.as_str()).await;
    assert_eq!(interaction_tokens(&got0), [dm.clone(), end0.clone()], "the DM on shard 0");
    assert_eq!(interaction_tokens(&got1), [on1.clone(), end1.clone()]);
    let created: Vec<&Value> = got1.iter().filter(|f| f["t"] == "GUILD_CREATE").collect();
    assert_eq!((created.len(), &created[0]["d"]["id"]), (1, &json!(new_guild.to_string())), "(n << 22) with n odd: shard 1");
    assert!(got0.iter().all(|f| f["t"] != "GUILD_CREATE"));
    assert_eq!((fake.delivered_to(&on1), fake.delivered_to(&dm)), (vec![String::new()], vec![String::new()]));
    // Each session numbers its own frames.
    let seqs: Vec<u64> = got1.iter().map(|f| f["s"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
    let sessions = fake.gateway_sessions();
    assert_eq!(sessions.iter().map(|s| (s.shard, s.count)).collect::<Vec<_>>(), [(0, 2), (1, 2)]);
    fake.assert_clean();
}

#[tokio::test]
async fn two_sessions_of_one_shard_both_get_its_events_and_one_resumes_what_it_missed() {
    let fake = FakeDiscord::start(sharded_guilds()).await;
    fake.set_shard_count(2);
    fake.set_identify_limit(Some(Duration::from_millis(200)));
    let old_url = fake.shared().gateway_url.clone();
    let new_api = fake.endpoint("new").await;
    let new_url = http_get_json(&format!("{new_api}/api/v10/gateway")).await["url"].as_str().unwrap().to_owned();
    assert_ne!(new_url, old_url, "each endpoint has its own gateway");

    // A rolling restart: the old process's session of shard 1 and the new one's, at once.
    let mut old = Gateway::identify(&old_url, Some([1, 2])).await;
    fake.wait_for("the old session", |i| i.connected_via("", 1).then_some(())).await;
    tokio::time::sleep(Duration::from_millis(250)).await;
    let mut new = Gateway::identify(&new_url, Some([1, 2])).await;
    fake.wait_connected("new", 1).await;
    let both = fake.dispatch_interaction(&Interaction::command("principles").in_guild(SHARD1_A));
    for gw in [&mut old, &mut new] {
        let frames = gw.until("INTERACTION_CREATE", |d| d["token"] == both.as_str()).await;
        assert_eq!(frames.iter().filter(|f| f["t"] == "GUILD_CREATE").count(), 2, "each session gets its shard's guilds");
    }
    assert_eq!(fake.delivered_to(&both), ["", "new"], "written to both connections");

    // The old connection drops: the new one alone gets what follows; the old session,
    // resumed, gets it replayed.
    let session = fake.gateway_sessions()[0].clone();
    fake.drop_connections("", 1);
    fake.wait_for("the drop", |i| i.sessions[0].conn.is_none().then_some(())).await;
    let missed = fake.dispatch_interaction(&Interaction::command("principles").in_guild(SHARD1_B));
    let to_new = new.until("INTERACTION_CREATE", |d| d["token"] == missed.as_str()).await;
    assert_eq!(interaction_tokens(&to_new), std::slice::from_ref(&missed));
    assert_eq!(fake.delivered_to(&missed), ["new"]);
    let (mut ws, _) = tokio_tungstenite::connect_async(&old_url).await.unwrap();
    let resume = json!({ "op": 6, "d": { "token": TOKEN, "session_id": session.id, "seq": session.seq } });
    ws.send(WsMessage::Text(resume.to_string())).await.unwrap();
    let mut resumed = Gateway { ws };
    let replay = resumed.until("RESUMED", |_| true).await;
    assert_eq!(interaction_tokens(&replay), [missed], "replayed in the resumed session");
    assert_eq!(replay[0]["s"].as_u64(), Some(session.seq + 1), "in that session's own sequence");
    fake.assert_clean();
}

#[tokio::test]
async fn an_identify_with_a_wrong_shard_or_too_soon_is_a_violation_as_discord_refuses_it() {
    let fake = FakeDiscord::start(sharded_guilds()).await;
    fake.set_shard_count(2);
    let url = fake.shared().gateway_url.clone();
    // Without `shard`, on a bot of two shards: Discord's 4011.
    let (code, reason) = Gateway::identify(&url, None).await.close_frame().await;
    assert_eq!((code, reason.as_str()), (4011, "Sharding required"));
    let v = fake.violations();
    assert!(v.len() == 1 && v[0].contains("no `shard`"), "{v:#?}");
    fake.clear_violations();

    // A shard beyond the count: 4010. And it came right after the first one: the rate limit
    // (5 s, the real one: nothing here waits for it) is broken too.
    let (code, _) = Gateway::identify(&url, Some([2, 2])).await.close_frame().await;
    assert_eq!(code, 4010);
    let v = fake.violations();
    assert_eq!(v.len(), 2, "{v:#?}");
    assert!(v.iter().any(|e| e.contains("with max_concurrency 1 Discord allows one IDENTIFY per 5 s")), "{v:#?}");
    assert!(v.iter().any(|e| e.contains("[2, 2]") && e.contains("below the number of shards")), "{v:#?}");
    fake.clear_violations();

    // Another count than the bot's: the session runs (Discord cannot tell), the test fails.
    fake.set_identify_limit(None);
    let mut other = Gateway::identify(&url, Some([0, 3])).await;
    assert_eq!(other.next().await["t"], "READY");
    let v = fake.violations();
    assert!(v.len() == 1 && v[0].contains("the bot has 2 shards"), "{v:#?}");
    fake.clear_violations();
    assert_eq!(fake.identify_log().iter().map(|r| r.shard).collect::<Vec<_>>(), [None, Some((2, 2)), Some((0, 3))]);

    // What the test told the bot counts, whatever Discord recommends.
    fake.expect_shard_count(3);
    fake.set_identify_limit(None);
    let mut three = Gateway::identify(&url, Some([2, 3])).await;
    assert_eq!(three.next().await["d"]["shard"], json!([2, 3]));
    fake.assert_clean();
}

#[tokio::test]
async fn identifies_spaced_by_the_limit_pass_and_an_unsharded_fake_does_not_count_them() {
    // One shard (every other test's fake): a bot restarted at once identifies again at once.
    let fake = FakeDiscord::start(vec![GuildSpec::new(GUILD)]).await;
    let url = fake.shared().gateway_url.clone();
    let mut a = Gateway::identify(&url, Some([0, 1])).await;
    let mut b = Gateway::identify(&url, None).await;
    assert_eq!((a.next().await["t"].clone(), b.next().await["t"].clone()), (json!("READY"), json!("READY")));
    fake.assert_clean();

    // Sharded, IDENTIFYs spaced by the (shortened) interval are fine.
    let sharded = FakeDiscord::start(sharded_guilds()).await;
    sharded.set_shard_count(2);
    sharded.set_identify_limit(Some(Duration::from_millis(400)));
    let url = sharded.shared().gateway_url.clone();
    let _zero = Gateway::identify(&url, Some([0, 2])).await;
    sharded.wait_for("shard 0", |i| i.connected_via("", 0).then_some(())).await;
    sharded.wait_identify_window().await;
    let mut one = Gateway::identify(&url, Some([1, 2])).await;
    assert_eq!(one.next().await["t"], "READY");
    let log = sharded.identify_log();
    assert!(log[1].at - log[0].at >= Duration::from_millis(400), "{:?}", log[1].at - log[0].at);
    sharded.assert_clean();
}

/// A GET through the fake's REST API, as JSON (with the bot's token).
async fn http_get_json(url: &str) -> Value {
    reqwest::Client::new().get(url).header("authorization", format!("Bot {TOKEN}")).send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn a_request_through_an_endpoint_is_labelled_with_it() {
    let fake = FakeDiscord::start(vec![GuildSpec::new(GUILD)]).await;
    let b = fake.endpoint("b").await;
    let via_b = serenity::HttpBuilder::new(TOKEN).proxy(b).ratelimiter_disabled(true).build();
    ChannelId::new(GUILD + 1).send_message(&via_b, post("from b")).await.unwrap();
    ChannelId::new(GUILD + 1).send_message(&http(&fake), post("from the fake's own")).await.unwrap();
    let via: Vec<String> = fake.requests().iter().map(|r| r.via.clone()).collect();
    assert_eq!(via, ["b", ""]);
    assert_eq!(fake.messages_in(GUILD + 1).len(), 2, "one Discord behind both");

    // The answer to an interaction says which endpoint it came through.
    let token = fake.dispatch_interaction(&Interaction::command("help"));
    let id = serenity::InteractionId::new(fake.shared_state().interactions[&token].id);
    let answer = CreateInteractionResponse::Message(CreateInteractionResponseMessage::new().content("hi"));
    via_b.create_interaction_response(id, &token, &answer, vec![]).await.unwrap();
    let again = http(&fake).create_interaction_response(id, &token, &answer, vec![]).await.unwrap_err();
    assert_eq!(discord_code(&again), Some(40060), "{again}");
    assert_eq!(fake.answered_via(&token).as_deref(), Some("b"));
    let attempts: Vec<(String, u16)> = fake.callback_requests(&token).into_iter().map(|r| (r.via, r.status)).collect();
    assert_eq!(attempts, [("b".to_owned(), 204), (String::new(), 400)], "a second answer is refused, and counted");
}
