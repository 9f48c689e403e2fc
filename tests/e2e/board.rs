//! The opt-in board: one thread a week in the team's board channel, one message per
//! commitment edited in place when it is resolved or confirmed, private commitments left
//! off, a message a moderator deleted not recreated, Discord's thread rules kept.

use std::time::Duration;

use partner_coach::domain::ids::{GuildId, TeamId, UserId};
use partner_coach::storage::{DeliveryStatus, JobKey, JobKind};
use serde_json::Value;

use crate::fake_discord::interactions::{GUILD, MEMBER};
use crate::fake_discord::{FakeDiscord, GuildSpec, Interaction, StoredMessage};
use crate::hardening::delivery_when;
use crate::helpers::{at, TestApp};
use crate::partners::{button_ids, nth_dm, PARTNER};

const BOARD: u64 = GUILD + 5;
const NO_THREADS: u64 = GUILD + 6;
const SECOND: u64 = MEMBER + 2;

async fn app_with_board() -> TestApp {
    let spec = GuildSpec::new(GUILD).channel(BOARD, "commitments").channel_without_threads(NO_THREADS, "announcements");
    let app = TestApp::spawn_with(vec![spec]).await;
    let r = app.fake.send(Interaction::sub("setup", "board").channel_opt("channel", BOARD).manager()).await;
    assert!(r.text().contains(&format!("Each week a thread in <#{BOARD}>")), "{}", r.text());
    app
}

fn commit(next: &str) -> Interaction {
    Interaction::sub("checkin", "commitments").str("next", next).str("due", "2026-12-02")
}

/// The week's board thread, waited for.
async fn thread(fake: &FakeDiscord, n: usize) -> Value {
    fake.wait_for_threads(BOARD, n).await.pop().unwrap()
}

fn id_of(v: &Value) -> u64 {
    v["id"].as_str().unwrap().parse().unwrap()
}

async fn board_messages(fake: &FakeDiscord, thread: u64, n: usize) -> Vec<StoredMessage> {
    fake.wait_for_messages(thread, n).await
}

fn text(m: &StoredMessage) -> String {
    m.object["content"].as_str().unwrap_or_default().to_owned()
}

/// Waits until the message's current text contains `what`.
async fn edited_to(fake: &FakeDiscord, channel: u64, id: u64, what: &str) -> StoredMessage {
    fake.wait_for(&format!("message {id} to say {what}"), |i| {
        i.messages
            .iter()
            .find(|m| m.channel_id == channel && m.id == id)
            .filter(|m| m.object["content"].as_str().unwrap_or("").contains(what))
            .cloned()
    })
    .await
}

#[tokio::test]
async fn each_week_one_thread_holds_one_message_per_commitment_edited_when_resolved_and_confirmed() {
    let app = app_with_board().await;
    let r = app.fake.send(commit("Send the contract").user_opt("partner", PARTNER)).await;
    assert!(r.text().contains(&format!("It goes on the team's board in <#{BOARD}>")), "{}", r.text());
    let t = thread(&app.fake, 1).await;
    assert_eq!(t["name"], "Commitments · 2026-W48");
    assert_eq!(t["type"], 11, "a public thread");
    let tid = id_of(&t);
    let first = board_messages(&app.fake, tid, 1).await.remove(0);
    let body = text(&first);
    assert!(body.contains(&format!("<@{MEMBER}> → <@{PARTNER}>")) && body.contains("Send the contract") && body.contains("open"), "{body}");
    assert_eq!(first.body["allowed_mentions"]["parse"], serde_json::json!([]), "mentions on the board ping nobody");

    // A second member's commitment that week: the same thread, a message of its own.
    app.fake.send(commit("Fix the build").by(SECOND)).await;
    let msgs = board_messages(&app.fake, tid, 2).await;
    assert!(text(&msgs[1]).contains("Fix the build") && text(&msgs[1]).contains(&format!("<@{SECOND}> · due")));
    assert_eq!(app.fake.threads_in(BOARD).len(), 1, "one thread a week");

    // The partner agrees, then the member resolves it: the same message, edited.
    let ids = button_ids(&nth_dm(&app.fake, PARTNER, 0).await);
    app.fake.send(Interaction::button(&ids[0]).in_dm().by(PARTNER)).await;
    edited_to(&app.fake, tid, first.id, "partner agreed").await;
    app.fake.send(Interaction::sub("checkin", "commitments").str("kept", "yes").str("next", "Plan the launch").bool("private", true)).await;
    let after = edited_to(&app.fake, tid, first.id, "kept").await;
    assert!(after.edited() && text(&after).contains("partner agreed"), "{}", text(&after));
    // The private one stays off the board: still two messages in the thread.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.fake.messages_in(tid).len(), 2);

    // Next week: a thread of its own.
    app.set_time(at("2026-11-30T09:00:00Z"));
    app.fake.send(commit("Next week's").by(SECOND)).await;
    let t2 = thread(&app.fake, 2).await;
    assert_eq!(t2["name"], "Commitments · 2026-W49");
    board_messages(&app.fake, id_of(&t2), 1).await;
    app.fake.assert_clean();
}

#[tokio::test]
async fn a_board_message_a_moderator_deleted_is_not_recreated() {
    let app = app_with_board().await;
    app.fake.send(commit("Write the report")).await;
    let tid = id_of(&thread(&app.fake, 1).await);
    let m = board_messages(&app.fake, tid, 1).await.remove(0);
    app.fake.delete_message(tid, m.id);
    app.fake.send(Interaction::sub("checkin", "commitments").str("kept", "no").str("next", "Try again")).await;
    let store = app.store().await;
    let (_, resolved) =
        store.commitments_of(partner_coach::domain::ids::TeamKey::default_of(GuildId(GUILD)), UserId(MEMBER), 5).await.unwrap();
    let key = JobKey { kind: JobKind::Board, guild: GuildId(GUILD), team: TeamId::DEFAULT, user: UserId(MEMBER) };
    let d = delivery_when(&app, key, &resolved[0].id.to_string(), |d| d.status == DeliveryStatus::Skipped).await;
    assert_eq!(d.last_error.as_deref(), Some("deleted from the board"));
    // "Try again" got a message of its own; the deleted one did not come back.
    let msgs = board_messages(&app.fake, tid, 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(app.fake.messages_in(tid).iter().all(|m| !text(m).contains("Write the report")), "{msgs:?}");
    assert_eq!(app.fake.messages_in(tid).len(), 1);
}

#[tokio::test]
async fn an_archived_thread_is_unarchived_to_edit_and_a_lost_answer_opens_no_second_thread() {
    let app = app_with_board().await;
    // Opening the thread works on Discord's side but its answer is lost: the retry looks
    // among the active threads first.
    app.fake.lose_next_responses("POST", "/threads", 1, 500);
    app.fake.send(commit("Ship it")).await;
    app.fake
        .wait_for("the lost answer", |i| i.requests.iter().any(|r| r.path.ends_with("/threads") && r.status == 500).then_some(()))
        .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    app.set_time(at("2026-11-27T09:00:30Z"));
    let tid = id_of(&thread(&app.fake, 1).await);
    let m = board_messages(&app.fake, tid, 1).await.remove(0);
    assert_eq!(app.fake.threads_in(BOARD).len(), 1, "one thread, not two");
    assert!(app.fake.count_requests("GET", &format!("/guilds/{GUILD}/threads/active")) >= 1);

    // A week without activity archives the thread; the resolution's edit still lands.
    app.fake.archive_thread(tid);
    app.fake.send(Interaction::sub("checkin", "commitments").str("kept", "partly").str("next", "Polish it").bool("private", true)).await;
    edited_to(&app.fake, tid, m.id, "partly kept").await;
    assert!(!app.fake.thread(tid).unwrap().archived, "unarchived to edit");
    app.fake.assert_clean();
}

#[tokio::test]
async fn a_board_channel_where_the_bot_cannot_open_threads_is_refused_and_clearing_turns_it_off() {
    let app = app_with_board().await;
    let r = app.fake.send(Interaction::sub("setup", "board").channel_opt("channel", NO_THREADS).manager()).await;
    assert!(r.ephemeral() && r.text().contains("I can't open threads in"), "{}", r.text());
    let r = app.fake.send(Interaction::sub("setup", "show").manager()).await;
    assert!(r.text().contains(&format!("Board: a weekly thread in <#{BOARD}>")), "the old board stays: {}", r.text());
    let r = app.fake.send(Interaction::sub("setup", "clear").str("setting", "board").manager()).await;
    assert!(r.text().contains("The board is off"), "{}", r.text());
    let r = app.fake.send(commit("Off the board")).await;
    assert!(!r.text().contains("team's board"), "{}", r.text());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(app.fake.threads_in(BOARD).is_empty());
    // A member's own `private` needs no board to be accepted.
    let r = app.fake.send(commit("Quiet one").bool("private", true)).await;
    assert!(r.text().contains("Quiet one"), "{}", r.text());
}

#[tokio::test]
async fn a_bot_as_partner_is_said_at_once_and_never_messaged() {
    let app = TestApp::spawn().await;
    const BOT: u64 = MEMBER + 99;
    let r = app.fake.send(Interaction::sub("checkin", "commitments").str("next", "Feed the bot").user_opt_bot("partner", BOT)).await;
    assert!(r.text().contains(&format!("<@{BOT}> is a bot, so nobody is asked")), "{}", r.text());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(app.fake.dms_to(BOT).is_empty());
    assert_eq!(app.fake.count_requests("POST", "/users/@me/channels"), 0);
}

#[tokio::test]
async fn undo_takes_the_message_off_the_board_and_an_old_dm_says_the_commitment_is_gone() {
    let app = app_with_board().await;
    app.fake.send(commit("Undo me").user_opt("partner", PARTNER)).await;
    let tid = id_of(&thread(&app.fake, 1).await);
    let m = board_messages(&app.fake, tid, 1).await.remove(0);
    let ids = button_ids(&nth_dm(&app.fake, PARTNER, 0).await);
    let r = app.fake.send(Interaction::sub("checkin", "undo")).await;
    assert!(r.text().contains("Undo me"), "{}", r.text());
    app.fake.wait_for("the board message to go", |i| i.deleted_messages.iter().any(|d| d.id == m.id).then_some(())).await;
    // The partner's old buttons now say the commitment is gone, and record nothing.
    let r = app.fake.send(Interaction::button(&ids[0]).in_dm().by(PARTNER)).await;
    assert!(r.text().contains("This commitment no longer exists"), "{}", r.text());
    // A new commitment gets its own id, its own DM and its own board message.
    app.fake.send(commit("The real one").user_opt("partner", PARTNER)).await;
    let dm = nth_dm(&app.fake, PARTNER, 1).await;
    assert!(dm.body["content"].as_str().unwrap().contains("The real one"));
    assert_ne!(button_ids(&dm)[0], ids[0]);
    board_messages(&app.fake, tid, 1).await;
    app.fake.assert_clean();
}

#[tokio::test]
async fn the_board_shows_that_the_partner_answered_but_neither_what_nor_lets_talk() {
    let app = app_with_board().await;
    app.fake.send(commit("Talk first").user_opt("partner", PARTNER)).await;
    let tid = id_of(&thread(&app.fake, 1).await);
    let m = board_messages(&app.fake, tid, 1).await.remove(0);
    let ask = button_ids(&nth_dm(&app.fake, PARTNER, 0).await);
    app.fake.send(Interaction::button(&ask[1]).in_dm().by(PARTNER)).await;
    nth_dm(&app.fake, MEMBER, 0).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!text(&app.fake.message(tid, m.id).unwrap()).contains("talk"), "let's talk stays private");
    app.fake.send(Interaction::sub("checkin", "commitments").str("kept", "yes").str("next", "Next").bool("private", true)).await;
    let check = nth_dm(&app.fake, PARTNER, 1).await;
    let ids = button_ids(&check);
    // Someone else's click on the was-it-kept buttons is refused.
    let r = app.fake.send(Interaction::button(&ids[2]).in_dm().by(SECOND)).await;
    assert!(r.ephemeral() && r.text().contains("for the partner"), "{}", r.text());
    app.fake.send(Interaction::button(&ids[2]).in_dm().by(PARTNER)).await;
    let shown = edited_to(&app.fake, tid, m.id, "partner answered").await;
    assert!(text(&shown).contains("✅ kept") && !text(&shown).contains("not kept"), "{}", text(&shown));
    app.fake.assert_clean();
}

#[tokio::test]
async fn a_long_rate_limit_on_opening_the_thread_delays_the_board_but_loses_and_doubles_nothing() {
    let app = app_with_board().await;
    // More 429s than a task's tries: a 429 names its wait and must not spend them.
    app.fake.fail_next("POST", "/threads", 20, 429, 0.5);
    app.fake.send(commit("First")).await;
    app.fake.send(commit("Second").by(SECOND)).await;
    let mut t = at("2026-11-27T09:00:00Z");
    for _ in 0..60 {
        if app.fake.threads_in(BOARD).len() == 1 && app.fake.messages_in(id_of(&app.fake.threads_in(BOARD)[0])).len() == 2 {
            break;
        }
        t += chrono::Duration::seconds(1);
        app.set_time(t);
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    let threads = app.fake.threads_in(BOARD);
    assert_eq!(threads.len(), 1, "one thread");
    let msgs = app.fake.messages_in(id_of(&threads[0]));
    assert_eq!(msgs.len(), 2, "each commitment once: {msgs:?}");
    assert!(app.fake.requests().iter().filter(|r| r.status == 429).count() >= 20);
}
