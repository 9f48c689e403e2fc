//! The fake's own REST features, driven through serenity's `Http` as the bot builds it, so
//! they prove serenity 0.12.5 parses what the fake answers (and the validator accepts what
//! serenity sends).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use poise::serenity_prelude as serenity;
use serenity::{ChannelId, CreateAttachment, CreateMessage, GetMessages, GuildId, MessageId, Nonce, RoleId, UserId};

use crate::fake_discord::interactions::{GUILD, MEMBER};
use crate::fake_discord::payloads::snowflake_of_time;
use crate::fake_discord::{FakeDiscord, GuildSpec, APP_ID, TOKEN};
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
