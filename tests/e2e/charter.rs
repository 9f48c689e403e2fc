//! The team charter and public thanks: proposals adopted by a majority of active members or
//! by a lead, expiry, votes by non-members, changed votes, retiring, the digest's review
//! list, `/charter show` pages, `/thanks` pinging only the member thanked, the daily limit.

use std::time::Duration;

use serde_json::{json, Value};

use crate::fake_discord::interactions::{CHANNEL, GUILD, MEMBER};
use crate::fake_discord::{FakeDiscord, GuildSpec, Interaction, StoredMessage};
use crate::helpers::{at, TestApp};

const B: u64 = MEMBER + 1;
const C: u64 = MEMBER + 2;
const LEAD: u64 = MEMBER + 3;

fn propose(kind: &str, text: &str) -> Interaction {
    Interaction::sub("charter", "propose").str("kind", kind).str("text", text)
}

/// Makes members active: each checks in once this week.
async fn active(app: &TestApp, members: &[u64]) {
    for m in members {
        app.fake.send(Interaction::sub("checkin", "communication").int("rating", 4).by(*m)).await;
    }
}

/// The `n`-th message the bot posted in `channel`.
async fn nth_post(fake: &FakeDiscord, channel: u64, n: usize) -> StoredMessage {
    fake.wait_for_messages(channel, n + 1).await.remove(n)
}

fn content(m: &StoredMessage) -> String {
    m.object["content"].as_str().unwrap_or_default().to_owned()
}

/// Clicks a button of a posted message, as `by`.
fn press(fake: &FakeDiscord, m: &StoredMessage, button: usize, by: u64) -> Interaction {
    let id = m.custom_ids()[button].clone();
    Interaction::button(&id).on_message(fake, m.channel_id, m.id).by(by)
}

/// Waits until the message's current text contains `what`.
async fn says(fake: &FakeDiscord, m: &StoredMessage, what: &str) -> StoredMessage {
    fake.wait_for(&format!("message {} to say {what}", m.id), |i| {
        i.messages
            .iter()
            .find(|x| x.channel_id == m.channel_id && x.id == m.id)
            .filter(|x| x.object["content"].as_str().unwrap_or("").contains(what))
            .cloned()
    })
    .await
}

#[tokio::test]
async fn a_proposal_is_adopted_when_more_than_half_of_three_active_members_agree_and_a_vote_can_change() {
    let app = TestApp::spawn().await;
    active(&app, &[MEMBER, B, C]).await;
    let r = app.fake.send(propose("agreement", "We answer each other within one working day")).await;
    assert!(
        r.ephemeral() && r.text().contains(&format!("Proposed in <#{CHANNEL}>")) && r.text().contains("3 active members"),
        "{}",
        r.text()
    );
    let m = nth_post(&app.fake, CHANNEL, 0).await;
    assert!(content(&m).contains(&format!("<@{MEMBER}> proposes this agreement for the team charter")), "{}", content(&m));
    assert!(content(&m).contains("> We answer each other within one working day"), "{}", content(&m));
    assert!(content(&m).contains("0 agree · ✋ 0 not yet · adopted when 2 of the 3 active members agree"), "{}", content(&m));
    assert_eq!(m.custom_ids().len(), 2);

    // B says not yet, then changes their mind: one vote per member.
    let r = app.fake.send(press(&app.fake, &m, 1, B)).await;
    assert_eq!(r.kind(), 7);
    assert!(r.text().contains("0 agree · ✋ 1 not yet"), "{}", r.text());
    let r = app.fake.send(press(&app.fake, &m, 0, B)).await;
    assert!(r.text().contains("1 agree · ✋ 0 not yet"), "{}", r.text());
    // C agrees: two of three is more than half.
    let r = app.fake.send(press(&app.fake, &m, 0, C)).await;
    assert!(r.text().contains("Adopted on") && r.text().contains("by more than half of the 3 active members"), "{}", r.text());
    assert_eq!(r.data()["components"], json!([]), "no buttons once adopted");
    let now = app.fake.message(m.channel_id, m.id).unwrap();
    assert!(now.custom_ids().is_empty());

    let r = app.fake.send(Interaction::sub("charter", "show")).await;
    assert!(r.text().contains("Working agreements") && r.text().contains("1. We answer each other within one working day"), "{}", r.text());
    assert!(r.text().contains("review <t:"), "{}", r.text());
    app.fake.assert_clean();
}

#[tokio::test]
async fn a_lead_adopts_alone_and_an_unadopted_proposal_expires_after_fourteen_days() {
    let app = TestApp::spawn().await;
    active(&app, &[MEMBER, B, C]).await;
    app.fake.send(propose("goal", "Ship the pilot with the client by March")).await;
    app.fake.send(propose("agreement", "No meetings on Fridays")).await;
    let goal = nth_post(&app.fake, CHANNEL, 0).await;
    let friday = nth_post(&app.fake, CHANNEL, 1).await;
    let r = app.fake.send(press(&app.fake, &goal, 0, LEAD).manager()).await;
    assert!(r.text().contains("Adopted on") && r.text().contains("by a lead"), "{}", r.text());

    // Fifteen days later nobody adopted the other one: its message says it expired.
    app.set_time(at("2026-12-12T09:00:00Z"));
    let expired = says(&app.fake, &friday, "expired").await;
    assert!(expired.custom_ids().is_empty(), "an expired proposal has no buttons");
    // A click on a stale copy of its buttons changes nothing.
    let id = friday.custom_ids()[0].clone();
    let r = app.fake.send(Interaction::button(&id).by(B)).await;
    assert!(r.text().contains("expired"), "{}", r.text());
    let r = app.fake.send(Interaction::sub("charter", "show")).await;
    assert!(r.text().contains("Ship the pilot") && !r.text().contains("No meetings on Fridays"), "{}", r.text());
}

#[tokio::test]
async fn only_members_of_the_team_vote_and_only_leads_retire() {
    const TEAM_ROLE: u64 = GUILD + 30;
    const HOME: u64 = GUILD + 31;
    let spec = GuildSpec::new(GUILD).role(TEAM_ROLE, "design").channel(HOME, "design");
    let app = TestApp::spawn_with(vec![spec]).await;
    app.fake
        .send(Interaction::sub("team", "create").str("name", "Design").role_opt("role", TEAM_ROLE).channel_opt("channel", HOME).manager())
        .await;
    let r = app.fake.send(propose("agreement", "Designs are reviewed before sprint planning").roles(&[TEAM_ROLE]).in_channel(HOME)).await;
    assert!(r.text().contains(&format!("Proposed in <#{HOME}>")), "{}", r.text());
    let m = nth_post(&app.fake, HOME, 0).await;
    // Someone outside the team: refused, privately, and nothing counted.
    let r = app.fake.send(press(&app.fake, &m, 0, B)).await;
    assert!(r.ephemeral() && r.text().contains("Only members of team **Design** vote"), "{}", r.text());
    // A member of the team who is a lead (the server's Manage Server): adopted.
    let r = app.fake.send(press(&app.fake, &m, 0, LEAD).roles(&[TEAM_ROLE]).manager()).await;
    assert!(r.text().contains("by a lead"), "{}", r.text());
    let item = app.fake.send(Interaction::autocomplete("charter", Some("retire"), "item", "").roles(&[TEAM_ROLE]).in_channel(HOME)).await;
    let (_, id) = item.choices().into_iter().next().expect("the adopted item");
    let r = app.fake.send(Interaction::sub("charter", "retire").str("item", &id).roles(&[TEAM_ROLE]).in_channel(HOME)).await;
    assert!(r.ephemeral() && r.text().contains("Only team leads"), "{}", r.text());
    let r = app.fake.send(Interaction::sub("charter", "retire").str("item", &id).in_channel(HOME).manager()).await;
    assert!(r.text().contains("Retired: “Designs are reviewed before sprint planning”"), "{}", r.text());
    let r = app.fake.send(Interaction::sub("charter", "show").in_channel(HOME)).await;
    assert!(r.text().contains("No goals or agreements yet"), "{}", r.text());
}

#[tokio::test]
async fn the_digest_lists_items_due_for_review_and_a_lead_keeps_one_with_its_button() {
    let app = TestApp::spawn().await;
    active(&app, &[MEMBER, B, C]).await;
    app.fake.send(propose("goal", "Every client call has notes shared the same day")).await;
    let m = nth_post(&app.fake, CHANNEL, 0).await;
    app.fake.send(press(&app.fake, &m, 0, LEAD).manager()).await;
    // Not due yet this week.
    let r = app.fake.send(Interaction::command("digest").manager()).await;
    assert!(!r.text().contains("due for review"), "{}", r.text());
    // Eight weeks later (2027-01-22, a Friday): the digest of that week lists it, with buttons.
    app.set_time(at("2027-01-22T09:00:00Z"));
    let r = app.fake.send(Interaction::command("digest").manager()).await;
    assert!(r.text().contains("Charter: due for review") && r.text().contains("Every client call has notes"), "{}", r.text());
    let ids: Vec<String> =
        r.data()["components"][0]["components"].as_array().unwrap().iter().map(|b| b["custom_id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids.len(), 2, "keep and retire");
    // A member's click is refused; the lead's keeps it for eight more weeks.
    let r = app.fake.send(Interaction::button(&ids[0]).by(B)).await;
    assert!(r.ephemeral() && r.text().contains("Only team leads"), "{}", r.text());
    let r = app.fake.send(Interaction::button(&ids[0]).by(LEAD).manager()).await;
    assert!(r.text().contains("Kept: “Every client call has notes shared the same day”. Next review on <t:"), "{}", r.text());
    assert!(r.text().contains("2027-03-19"), "{}", r.text());
    let r = app.fake.send(Interaction::command("digest").manager()).await;
    assert!(!r.text().contains("due for review"), "{}", r.text());
    app.fake.assert_clean();
}

#[tokio::test]
async fn charter_show_pages_a_long_charter_with_buttons() {
    let app = TestApp::spawn().await;
    for n in 0..12 {
        app.fake.send(propose("agreement", &format!("Agreement number {n:02}, written out at some length so it fills the page"))).await;
        let m = nth_post(&app.fake, CHANNEL, n).await;
        app.fake.send(press(&app.fake, &m, 0, LEAD).manager()).await;
    }
    let r = app.fake.send(Interaction::sub("charter", "show")).await;
    assert!(
        r.text().contains("5. Agreement number 04") && !r.text().contains("Agreement number 05") && r.text().contains("Page 1 of 3"),
        "{}",
        r.text()
    );
    let next = r.data()["components"][0]["components"][1]["custom_id"].as_str().unwrap().to_owned();
    let r = app.fake.send(Interaction::button(&next)).await;
    assert_eq!(r.kind(), 7);
    assert!(r.text().contains("6. Agreement number 05") && r.text().contains("Page 2 of 3"), "{}", r.text());
    app.fake.assert_clean();
}

#[tokio::test]
async fn thanks_pings_only_the_member_thanked_whatever_the_note_says() {
    const ROLE: u64 = GUILD + 40;
    let app = TestApp::spawn_with(vec![GuildSpec::new(GUILD).role(ROLE, "everyone-ish")]).await;
    let note = format!("@everyone @here <@&{ROLE}> <@{C}> thanks for the demo");
    let r = app.fake.send(Interaction::command("thanks").user_opt("member", B).str("note", &note).str("principle", "4")).await;
    assert!(r.ephemeral() && r.text().contains(&format!("<@{B}> is notified, nobody else is")), "{}", r.text());
    let m = nth_post(&app.fake, CHANNEL, 0).await;
    assert_eq!(m.body["allowed_mentions"], json!({ "parse": [], "users": [B.to_string()] }), "{}", m.body);
    let text = content(&m);
    assert!(text.contains(&format!("<@{MEMBER}> thanks <@{B}>")) && text.contains("principle 4"), "{text}");
    assert!(!text.contains("@everyone") || text.contains("@\u{200b}everyone"), "mass mentions are defused in the text too: {text}");

    // The digest counts it (one giver is below the threshold: no figures yet)...
    let r = app.fake.send(Interaction::command("digest").manager()).await;
    assert!(r.text().contains("Thanks") && r.text().contains("Not enough answers yet"), "{}", r.text());
    // ...and the member thanked sees it in their history.
    let r = app.fake.send(Interaction::sub("me", "history").by(B)).await;
    assert!(
        r.text().contains("Thanks received") && r.text().contains("1 in these twelve weeks") && r.text().contains(&format!("<@{MEMBER}>")),
        "{}",
        r.text()
    );
    app.fake.assert_clean();
}

#[tokio::test]
async fn the_sixth_thanks_of_the_day_and_thanks_to_oneself_or_a_bot_are_refused() {
    let app = TestApp::spawn().await;
    for n in 0..5 {
        let r = app.fake.send(Interaction::command("thanks").user_opt("member", B).str("note", &format!("thanks {n}"))).await;
        assert!(r.text().contains("is notified"), "{}", r.text());
    }
    let r = app.fake.send(Interaction::command("thanks").user_opt("member", C).str("note", "one more")).await;
    assert!(r.ephemeral() && r.text().contains("You have given 5 thanks today"), "{}", r.text());
    let r = app.fake.send(Interaction::command("thanks").user_opt("member", C).str("note", "me").by(C)).await;
    assert!(r.text().contains("You can't thank yourself"), "{}", r.text());
    let r = app.fake.send(Interaction::command("thanks").user_opt_bot("member", MEMBER + 99).str("note", "bot").by(C)).await;
    assert!(r.text().contains("is a bot"), "{}", r.text());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.fake.messages_in(CHANNEL).len(), 5, "only the five were posted");
    // The next day the limit starts again.
    app.set_time(at("2026-11-28T09:00:00Z"));
    let r = app.fake.send(Interaction::command("thanks").user_opt("member", C).str("note", "a new day")).await;
    assert!(r.text().contains("is notified"), "{}", r.text());
}

#[tokio::test]
async fn mydata_holds_proposals_votes_and_thanks_and_forget_deletes_or_unnames_them() {
    let app = TestApp::spawn().await;
    active(&app, &[MEMBER, B, C]).await;
    app.fake.send(propose("goal", "Mine: a goal")).await;
    let m = nth_post(&app.fake, CHANNEL, 0).await;
    app.fake.send(press(&app.fake, &m, 1, MEMBER)).await;
    app.fake.send(Interaction::command("thanks").user_opt("member", B).str("note", "given")).await;
    app.fake.send(Interaction::command("thanks").user_opt("member", MEMBER).str("note", "received").by(C)).await;
    nth_post(&app.fake, CHANNEL, 2).await;
    let reply = app.fake.send(Interaction::command("mydata")).await;
    let doc: Value = serde_json::from_slice(&reply.files[0].1).unwrap();
    assert_eq!(doc["charter_proposals"][0]["text"], "Mine: a goal");
    assert_eq!(doc["charter_votes"][0]["vote"], "not_yet");
    assert_eq!(doc["thanks_given"][0]["note"], "given");
    assert_eq!(doc["thanks_received"][0]["note"], "received");

    let reply = app.fake.send(Interaction::command("forget")).await;
    let confirm = reply.data()["components"][0]["components"][0]["custom_id"].as_str().unwrap().to_owned();
    let r = app.fake.send(Interaction::button(&confirm)).await;
    assert!(r.text().contains("1 vote(s) on charter proposals and 1 thank-you(s) you gave"), "{}", r.text());
    assert!(r.text().contains("off 1 proposal(s), which stay the team's, and off 1 thank-you(s) you received"), "{}", r.text());
    // The proposal stays, without its author and without the vote; the thank-you they gave is
    // deleted from the channel; the one they received no longer names them.
    let proposal = says(&app.fake, &m, "a former member proposes this goal").await;
    assert!(content(&proposal).contains("0 not yet"), "{}", content(&proposal));
    for _ in 0..100 {
        if app.fake.deleted_messages_in(CHANNEL).iter().any(|d| content(d).contains("given")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(app.fake.deleted_messages_in(CHANNEL).iter().any(|d| content(d).contains("given")), "the thank-you they gave is deleted");
    let received = app.fake.messages_in(CHANNEL).into_iter().find(|x| content(x).contains("received")).unwrap();
    let received = says(&app.fake, &received, "thanks a former member").await;
    assert!(!content(&received).contains(&format!("<@{MEMBER}>")));
}

#[tokio::test]
async fn agrees_of_members_who_never_checked_in_do_not_adopt_and_a_click_keeps_the_teams_language() {
    let app = TestApp::spawn().await;
    active(&app, &[MEMBER, B, C]).await;
    app.fake.send(propose("agreement", "Demos every second Friday")).await;
    let m = nth_post(&app.fake, CHANNEL, 0).await;
    // Two members with no check-in in four weeks, one of them with a Vietnamese client.
    for (n, newcomer) in [MEMBER + 20, MEMBER + 21].into_iter().enumerate() {
        let click = press(&app.fake, &m, 0, newcomer);
        let click = if n == 0 { click.locale("vi") } else { click };
        let r = app.fake.send(click).await;
        assert!(
            r.text().contains("adopted when 2 of the 3 active members agree"),
            "the public message stays in the team's language: {}",
            r.text()
        );
    }
    let r = app.fake.send(press(&app.fake, &m, 0, B)).await;
    assert!(r.text().contains("3 agree") && !r.text().contains("Adopted"), "{}", r.text());
    let r = app.fake.send(press(&app.fake, &m, 0, C)).await;
    assert!(r.text().contains("Adopted on"), "{}", r.text());
}

#[tokio::test]
async fn a_long_run_of_429s_delays_a_thank_you_but_never_loses_or_doubles_it() {
    let app = TestApp::spawn().await;
    app.fake.fail_next("POST", &format!("/channels/{CHANNEL}/messages"), 20, 429, 0.5);
    let r = app.fake.send(Interaction::command("thanks").user_opt("member", B).str("note", "for staying late")).await;
    assert!(r.text().contains("is notified"), "{}", r.text());
    // The test clock stands still: move it past each retry_after.
    let mut t = at("2026-11-27T09:00:00Z");
    for _ in 0..40 {
        if !app.fake.messages_in(CHANNEL).is_empty() {
            break;
        }
        t += chrono::Duration::seconds(1);
        app.set_time(t);
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    let posted = app.fake.wait_for_messages(CHANNEL, 1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(app.fake.messages_in(CHANNEL).len(), 1, "{posted:?}");
    assert!(app.fake.requests().iter().filter(|r| r.status == 429).count() >= 20);
}

#[tokio::test]
async fn a_proposals_buttons_work_after_a_restart() {
    let mut app = TestApp::spawn().await;
    active(&app, &[MEMBER, B, C]).await;
    app.fake.send(propose("goal", "Every release has a written note")).await;
    let m = nth_post(&app.fake, CHANNEL, 0).await;
    app.fake.send(press(&app.fake, &m, 0, B)).await;
    app.restart().await;
    let r = app.fake.send(press(&app.fake, &m, 0, C)).await;
    assert!(r.text().contains("Adopted on") && r.text().contains("3 active members"), "{}", r.text());
}
