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
