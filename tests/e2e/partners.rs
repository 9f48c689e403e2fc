//! Two-sided commitments: the partner's agree DM and its buttons, the "was it kept?" DM
//! after a resolution or two days after the due date, clicks by someone else, a restart
//! between DM and click, closed DMs, a partner who left or is a bot, 429 and 5xx.

use std::time::Duration;

use partner_coach::domain::checkin::Outcome;
use partner_coach::domain::ids::{GuildId, TeamId, UserId};
use partner_coach::storage::{Agreement, DeliveryStatus, JobKey, JobKind, PartnerView, Unreachable};
use serde_json::Value;

use crate::fake_discord::interactions::{GUILD, MEMBER};
use crate::fake_discord::{FakeDiscord, Interaction, StoredMessage};
use crate::hardening::delivery_when;
use crate::helpers::{at, TestApp};

/// The member's partner.
pub const PARTNER: u64 = MEMBER + 40;
/// Someone else in the server.
const OTHER: u64 = MEMBER + 41;

fn commit(next: &str, due: &str, partner: u64) -> Interaction {
    Interaction::sub("checkin", "commitments").str("next", next).str("due", due).user_opt("partner", partner)
}

fn resolve(kept: &str) -> Interaction {
    Interaction::sub("checkin", "commitments").str("kept", kept).str("next", "Something next")
}

/// The `n`-th DM to `user`, waited for.
pub async fn nth_dm(fake: &FakeDiscord, user: u64, n: usize) -> StoredMessage {
    fake.wait_for(&format!("DM {n} to {user}"), |i| {
        let ch = i.dm_channels.get(&user)?;
        i.messages.iter().filter(|m| m.channel_id == *ch).nth(n).cloned()
    })
    .await
}

/// The custom ids of a message's buttons, in order.
pub fn button_ids(m: &StoredMessage) -> Vec<String> {
    m.body["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .filter_map(|b| b["custom_id"].as_str().map(str::to_owned))
        .collect()
}

fn content_now(m: &StoredMessage) -> String {
    m.object["content"].as_str().unwrap_or_default().to_owned()
}

fn content(m: &StoredMessage) -> String {
    m.body["content"].as_str().unwrap_or_default().to_owned()
}

/// The member's only commitment's id.
async fn commitment_id(app: &TestApp) -> i64 {
    let store = app.store().await;
    let (open, resolved) =
        store.commitments_of(partner_coach::domain::ids::TeamKey::default_of(GuildId(GUILD)), UserId(MEMBER), 5).await.unwrap();
    open.iter().chain(&resolved).find(|c| c.partner == Some(UserId(PARTNER))).map(|c| c.id).expect("a commitment to the partner")
}

async fn view(app: &TestApp, id: i64) -> Option<PartnerView> {
    app.store().await.partner_views(&[id]).await.unwrap().remove(&id)
}

/// Polls the partner's view until `ok` holds.
async fn view_when(app: &TestApp, id: i64, ok: impl Fn(&PartnerView) -> bool) -> PartnerView {
    let mut last = None;
    for _ in 0..100 {
        last = view(app, id).await;
        if let Some(v) = last.as_ref().filter(|v| ok(v)) {
            return v.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the partner's view never reached the expected state; last {last:?}")
}

fn key(kind: JobKind, user: u64) -> JobKey {
    JobKey { kind, guild: GuildId(GUILD), team: TeamId::DEFAULT, user: UserId(user) }
}

/// Messages the bot tried to create (in channels and DMs).
fn message_posts(fake: &FakeDiscord) -> usize {
    fake.requests().iter().filter(|r| r.method == "POST" && r.path.contains("/channels/") && r.path.ends_with("/messages")).count()
}

fn click(id: &str, by: u64) -> Interaction {
    Interaction::button(id).in_dm().by(by)
}

#[tokio::test]
async fn the_partner_agrees_in_a_dm_and_the_members_commitments_show_it() {
    let app = TestApp::spawn().await;
    let r = app.fake.send(commit("Send the signed contract", "2026-12-02", PARTNER)).await;
    assert!(r.text().contains(&format!("<@{PARTNER}> gets a DM to agree to it")), "{}", r.text());
    let dm = nth_dm(&app.fake, PARTNER, 0).await;
    let text = content(&dm);
    assert!(text.contains(&format!("<@{MEMBER}> made a commitment to you")) && text.contains("Send the signed contract"), "{text}");
    assert!(text.contains("These buttons work until <t:"), "{text}");
    assert_eq!(dm.body["allowed_mentions"]["parse"], serde_json::json!([]), "a DM quoting member text pings nobody");
    let ids = button_ids(&dm);
    assert_eq!(ids.len(), 2, "agree and let's talk: {ids:?}");

    // Someone else's click changes nothing and is told so, privately.
    let r = app.fake.send(click(&ids[0], OTHER)).await;
    assert!(r.ephemeral() && r.text().contains("for the partner this commitment was made to"), "{}", r.text());
    let id = commitment_id(&app).await;
    assert_eq!(view(&app, id).await.unwrap().agreement, None);

    // The partner's own click on the DM itself: stored, and the DM loses its buttons and
    // says so under its text.
    let r = app.fake.send(click(&ids[0], PARTNER).on_message(&app.fake, dm.channel_id, dm.id)).await;
    assert_eq!(r.kind(), 7, "the DM is updated in place");
    assert!(r.text().contains("You agreed") && r.text().contains("Send the signed contract"), "{}", r.text());
    let updated = app.fake.message(dm.channel_id, dm.id).unwrap();
    assert!(updated.custom_ids().is_empty() && content_now(&updated).contains("You agreed"), "{:?}", updated.object);
    assert_eq!(r.data()["components"], serde_json::json!([]));
    assert_eq!(view(&app, id).await.unwrap().agreement, Some(Agreement::Agreed));

    let r = app.fake.send(Interaction::command("commitments")).await;
    assert!(r.text().contains(&format!("<@{PARTNER}> agreed")), "{}", r.text());
    assert_eq!(app.fake.dms_to(PARTNER).len(), 1, "one DM");
    app.fake.assert_clean();
}

#[tokio::test]
async fn lets_talk_tells_the_member_privately_once() {
    let app = TestApp::spawn().await;
    app.fake.send(commit("Review the budget", "2026-12-02", PARTNER)).await;
    let dm = nth_dm(&app.fake, PARTNER, 0).await;
    let ids = button_ids(&dm);
    let r = app.fake.send(click(&ids[1], PARTNER).on_message(&app.fake, dm.channel_id, dm.id)).await;
    assert!(r.text().contains(&format!("You asked to talk it over. <@{MEMBER}> has been told")), "{}", r.text());
    let told = nth_dm(&app.fake, MEMBER, 0).await;
    assert!(content(&told).contains(&format!("<@{PARTNER}> would like to talk about your commitment")), "{}", content(&told));
    assert!(content(&told).contains("Review the budget"));
    // A second click on the same button (an old client) records it again and DMs no one.
    app.fake.send(click(&ids[1], PARTNER)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.fake.dms_to(MEMBER).len(), 1);
    let r = app.fake.send(Interaction::command("commitments")).await;
    assert!(r.text().contains("wants to talk it over"), "{}", r.text());
    app.fake.assert_clean();
}

#[tokio::test]
async fn a_resolution_asks_the_partner_whether_it_was_kept_and_stores_it_beside_the_members_answer() {
    let app = TestApp::spawn().await;
    app.fake.send(commit("Ship the invoice", "2026-12-02", PARTNER)).await;
    nth_dm(&app.fake, PARTNER, 0).await;
    app.fake.send(resolve("partly")).await;
    let ask = nth_dm(&app.fake, PARTNER, 1).await;
    assert!(content(&ask).contains("Was this commitment to you kept?") && content(&ask).contains("Ship the invoice"), "{}", content(&ask));
    let ids = button_ids(&ask);
    assert_eq!(ids.len(), 3, "yes, partly, no: {ids:?}");
    let r = app.fake.send(click(&ids[0], PARTNER)).await;
    assert!(r.text().contains("You said: kept"), "{}", r.text());
    let id = commitment_id(&app).await;
    assert_eq!(view(&app, id).await.unwrap().verdict, Some(Outcome::Kept));
    let r = app.fake.send(Interaction::command("commitments")).await;
    assert!(r.text().contains("partly kept") && r.text().contains(&format!("<@{PARTNER}> says: kept")), "{}", r.text());
    app.fake.assert_clean();
}

#[tokio::test]
async fn an_unresolved_commitment_is_checked_with_the_partner_two_days_after_its_due_date() {
    let app = TestApp::spawn().await;
    app.fake.send(commit("Call the supplier", "2026-11-30", PARTNER)).await;
    nth_dm(&app.fake, PARTNER, 0).await;
    // The day after the due date: not yet. Two days after, at 10:00 in the team's zone: asked.
    app.set_time(at("2026-12-02T09:59:00Z"));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(app.fake.dms_to(PARTNER).len(), 1);
    app.set_time(at("2026-12-02T10:00:00Z"));
    let ask = nth_dm(&app.fake, PARTNER, 1).await;
    assert!(content(&ask).contains("Call the supplier"));
    let id = commitment_id(&app).await;
    delivery_when(&app, key(JobKind::PartnerCheck, PARTNER), &id.to_string(), |d| d.status == DeliveryStatus::Sent).await;
    // The member resolves it afterwards: the partner is not asked a second time.
    app.fake.send(resolve("yes")).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(app.fake.dms_to(PARTNER).len(), 2);
    app.fake.assert_clean();
}

#[tokio::test]
async fn the_partners_buttons_work_after_a_restart_and_stop_after_fourteen_days() {
    let mut app = TestApp::spawn().await;
    app.fake.send(commit("Draft the plan", "2026-12-02", PARTNER)).await;
    let ids = button_ids(&nth_dm(&app.fake, PARTNER, 0).await);
    app.restart().await;
    let r = app.fake.send(click(&ids[0], PARTNER)).await;
    assert!(r.text().contains("You agreed"), "{}", r.text());
    let id = commitment_id(&app).await;
    assert_eq!(view(&app, id).await.unwrap().agreement, Some(Agreement::Agreed));

    // Fifteen days after the DM: the buttons say they stopped, and nothing changes.
    app.set_time(at("2026-12-12T09:00:00Z"));
    let r = app.fake.send(click(&ids[1], PARTNER)).await;
    assert!(r.ephemeral() && r.text().contains("These buttons stopped working on 2026-12-11"), "{}", r.text());
    assert_eq!(view(&app, id).await.unwrap().agreement, Some(Agreement::Agreed));
    app.fake.assert_clean();
}

#[tokio::test]
async fn a_partner_with_closed_dms_is_recorded_once_and_never_asked_again() {
    let app = TestApp::spawn().await;
    app.fake.close_dms(PARTNER);
    app.fake.send(commit("Send the minutes", "2026-12-02", PARTNER)).await;
    let id = commitment_id(&app).await;
    let d = delivery_when(&app, key(JobKind::PartnerAsk, PARTNER), &id.to_string(), |d| d.status == DeliveryStatus::Failed).await;
    assert!(d.last_error.unwrap_or_default().contains("50007"));
    assert_eq!(view_when(&app, id, |v| v.unreachable.is_some()).await.unreachable, Some(Unreachable::DmsClosed));
    let tries = message_posts(&app.fake);
    assert_eq!(tries, 1);
    app.fake.send(resolve("yes")).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(message_posts(&app.fake), tries, "asked again");
    let r = app.fake.send(Interaction::command("commitments")).await;
    assert!(r.text().contains("DMs are closed: not asked"), "{}", r.text());
    // Nothing was posted in a channel instead.
    assert!(app.fake.messages_in(crate::fake_discord::interactions::CHANNEL).is_empty());
}

#[tokio::test]
async fn a_partner_who_left_or_is_a_bot_or_the_member_is_not_asked() {
    let app = TestApp::spawn().await;
    app.fake.member_left(GUILD, PARTNER);
    app.fake.send(commit("Book the room", "2026-12-02", PARTNER)).await;
    let id = commitment_id(&app).await;
    assert_eq!(view_when(&app, id, |v| v.unreachable.is_some()).await.unreachable, Some(Unreachable::Left));
    assert_eq!(app.fake.count_requests("POST", "/users/@me/channels"), 0, "opened a DM to someone who left");
    let r = app.fake.send(Interaction::command("commitments")).await;
    assert!(r.text().contains("is not in the server: not asked"), "{}", r.text());

    // Oneself: said at once, and nothing is stored for a partner to answer.
    let r =
        app.fake.send(Interaction::sub("checkin", "commitments").str("next", "Note to self").user_opt("partner", OTHER).by(OTHER)).await;
    assert!(r.text().contains("You named yourself as the partner"), "{}", r.text());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(app.fake.dms_to(OTHER).is_empty());
    app.fake.assert_clean();
}

#[tokio::test]
async fn each_partner_dm_goes_out_once_through_429_and_a_lost_answer() {
    let app = TestApp::spawn().await;
    // The DM channel lookup is rate limited once; the DM itself is created but its answer
    // is lost (500): the retry's nonce makes Discord return the same message.
    app.fake.fail_next("POST", "/users/@me/channels", 1, 429, 0.05);
    app.fake.lose_next_responses("POST", "/messages", 1, 500);
    app.fake.send(commit("Share the numbers", "2026-12-02", PARTNER)).await;
    let id = commitment_id(&app).await;
    // The test clock stands still: each retry waits until it is moved past the backoff.
    for (status, later) in [(429, "2026-11-27T09:00:10Z"), (500, "2026-11-27T09:01:00Z")] {
        app.fake.wait_for(&format!("a {status}"), |i| i.requests.iter().any(|r| r.status == status).then_some(())).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        app.set_time(at(later));
    }
    delivery_when(&app, key(JobKind::PartnerAsk, PARTNER), &id.to_string(), |d| d.status == DeliveryStatus::Sent).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.fake.dms_to(PARTNER).len(), 1, "one DM, not two");
    let posts: Vec<Value> = app
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/messages") && r.path.contains("/channels/"))
        .map(|r| r.body)
        .collect();
    assert!(posts.len() >= 2, "the lost answer was retried");
    assert!(posts.windows(2).all(|w| w[0]["nonce"] == w[1]["nonce"]), "one nonce for every try");
}

#[tokio::test]
async fn mydata_holds_the_partner_answers_given_and_received_and_forget_deletes_them() {
    let app = TestApp::spawn().await;
    // The member commits to the partner, who agrees; the partner commits to the member, who
    // agrees too.
    app.fake.send(commit("Mine to the partner", "2026-12-02", PARTNER)).await;
    let mine = button_ids(&nth_dm(&app.fake, PARTNER, 0).await);
    app.fake.send(click(&mine[0], PARTNER)).await;
    app.fake.send(commit("The partner's to me", "2026-12-03", MEMBER).by(PARTNER)).await;
    let theirs = button_ids(&nth_dm(&app.fake, MEMBER, 0).await);
    app.fake.send(click(&theirs[0], MEMBER)).await;

    let reply = app.fake.send(Interaction::command("mydata")).await;
    let doc: Value = serde_json::from_slice(&reply.files[0].1).unwrap();
    let (given, received) = (doc["partner_answers_given"].as_array().unwrap(), doc["partner_answers_received"].as_array().unwrap());
    assert_eq!((given.len(), received.len()), (1, 1), "{doc}");
    assert_eq!(given[0]["user_id"], PARTNER.to_string(), "given: to the partner's commitment");
    assert_eq!(received[0]["partner_id"], PARTNER.to_string());
    assert_eq!(received[0]["agreement"], "agreed");
    assert!(received[0]["agreed_at"].as_str().unwrap().starts_with("2026-11-27T09:00:00"), "readable times");
    assert!(doc["fields"]["partner_answers_given"].as_str().unwrap().contains("verdict"));

    let reply = app.fake.send(Interaction::command("forget")).await;
    let confirm = reply.data()["components"][0]["components"][0]["custom_id"].as_str().unwrap().to_owned();
    let r = app.fake.send(Interaction::button(&confirm)).await;
    assert!(r.text().contains("1 answer(s) you gave as a partner and 1 partner answer(s) about your commitments"), "{}", r.text());
    let store = app.store().await;
    let (given, received) = store.member_partner_views(GuildId(GUILD), UserId(MEMBER)).await.unwrap();
    assert!(given.is_empty() && received.is_empty());
    // The partner's own commitment stays theirs, without the forgotten member as its partner.
    let (open, _) =
        store.commitments_of(partner_coach::domain::ids::TeamKey::default_of(GuildId(GUILD)), UserId(PARTNER), 5).await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].partner, None);
}

#[tokio::test]
async fn the_digest_shows_how_often_partners_agreed_once_three_members_and_three_partners_answered() {
    let app = TestApp::spawn().await;
    let makers = [MEMBER, MEMBER + 1, MEMBER + 2];
    let partners = [PARTNER, PARTNER + 1, PARTNER + 2];
    for (maker, partner) in makers.iter().zip(&partners) {
        app.fake.send(commit("Deliver my part", "2026-11-27", *partner).by(*maker)).await;
        nth_dm(&app.fake, *partner, 0).await;
        app.fake.send(resolve("yes").by(*maker)).await;
    }
    // Two partners agree it was kept; the third says partly.
    for (n, partner) in partners.iter().enumerate() {
        let ids = button_ids(&nth_dm(&app.fake, *partner, 1).await);
        app.fake.send(click(&ids[if n == 2 { 1 } else { 0 }], *partner)).await;
    }
    let r = app.fake.send(Interaction::command("digest").manager()).await;
    assert!(
        r.text().contains("3 resolved commitments had a partner · 3 confirmed by the partner · both sides agreed on 2 (67%)"),
        "{}",
        r.text()
    );
    app.fake.assert_clean();
}
