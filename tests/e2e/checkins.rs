//! Check-ins on commitments (options and modal paths) and communication, /commitments, and
//! every refusal with nothing stored.

use partner_coach::domain::checkin::{CheckinKind, Outcome};
use partner_coach::domain::ids::{GuildId, UserId};

use crate::fake_discord::interactions::{GUILD, MEMBER};
use crate::fake_discord::Interaction;
use crate::helpers::{at, TestApp};

const PARTNER: u64 = 500_000_000_000_000_099;

fn commitments() -> Interaction {
    Interaction::sub("checkin", "commitments")
}

fn communication() -> Interaction {
    Interaction::sub("checkin", "communication")
}

async fn open(app: &TestApp) -> Vec<partner_coach::storage::Commitment> {
    app.store().await.open_commitments(partner_coach::domain::ids::TeamKey::default_of(GuildId(GUILD)), UserId(MEMBER)).await.unwrap()
}

async fn count(app: &TestApp) -> i64 {
    app.store().await.count_checkins(Some(GuildId(GUILD)), None).await.unwrap()
}

#[tokio::test]
async fn a_commitment_with_options_is_stored_and_confirmed_privately() {
    let app = TestApp::spawn().await;
    let reply = app
        .fake
        .send(commitments().str("next", "Send the draft agreement to Lan").str("due", "tuesday").user_opt("partner", PARTNER))
        .await;
    assert_eq!(reply.kind(), 4);
    assert!(reply.ephemeral() && reply.pings_nobody());
    let text = reply.text();
    assert!(text.contains("Send the draft agreement to Lan") && text.contains(&format!("<@{PARTNER}>")), "{text}");
    assert!(text.contains("1 week(s) in a row"), "{text}");
    assert!(text.contains("💡"), "a coaching line: {text}");
    let open = open(&app).await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].due.to_string(), "2026-12-01", "tuesday after Friday 2026-11-27");
    assert_eq!(open[0].partner, Some(UserId(PARTNER)));
}

#[tokio::test]
async fn kept_resolves_the_open_commitment_and_the_reply_shows_it_first() {
    let app = TestApp::spawn().await;
    app.fake.send(commitments().str("next", "Review the contract").str("due", "2026-11-30")).await;
    app.set_time(at("2026-12-01T09:00:00Z"));
    let reply = app.fake.send(commitments().str("kept", "partly").str("next", "Finish the review")).await;
    let text = reply.text();
    let last = text.find("Last time you committed to").expect("shows the previous commitment");
    let marked = text.find("partly kept").expect("says how it was resolved");
    assert!(last < marked, "{text}");
    let store = app.store().await;
    let resolved =
        store.commitments_of(partner_coach::domain::ids::TeamKey::default_of(GuildId(GUILD)), UserId(MEMBER), 5).await.unwrap().1;
    assert_eq!(resolved[0].outcome, Some(Outcome::Partly));
    assert_eq!(open(&app).await.len(), 1);
    // Without `due`, the new one is due at the end of the guild's week (Sunday).
    assert_eq!(open(&app).await[0].due.to_string(), "2026-12-06");
    assert!(text.contains("2 week(s) in a row"), "{text}");
}

#[tokio::test]
async fn without_next_a_modal_asks_for_it_and_the_submit_is_stored_the_same_way() {
    let app = TestApp::spawn().await;
    app.fake.send(commitments().str("next", "Old promise")).await;
    let reply = app.fake.send(commitments().str("kept", "yes").str("due", "friday").user_opt("partner", PARTNER)).await;
    assert_eq!(reply.kind(), 9, "a modal");
    let custom_id = reply.data()["custom_id"].as_str().unwrap().to_owned();
    assert!(custom_id.len() <= 100);
    assert_eq!(count(&app).await, 1, "nothing stored before the submit");

    let submit = Interaction::modal_submit(
        &custom_id,
        &[("next", "  Call the supplier about delivery dates  "), ("blocker", "Waiting for the budget")],
    );
    let reply = app.fake.send(submit).await;
    assert_eq!(reply.kind(), 4);
    assert!(reply.ephemeral());
    let text = reply.text();
    assert!(text.contains("Old promise") && text.contains("Marked as **kept**") && text.contains("Waiting for the budget"), "{text}");
    let open = open(&app).await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].text, "Call the supplier about delivery dates", "trimmed");
    assert_eq!(open[0].due.to_string(), "2026-11-27", "friday is today");
    assert_eq!(open[0].partner, Some(UserId(PARTNER)));
    assert_eq!(count(&app).await, 2);
}

#[tokio::test]
async fn a_second_communication_checkin_the_same_day_replaces_the_first() {
    let app = TestApp::spawn().await;
    let reply = app.fake.send(communication().int("rating", 3).str("went_well", "Clear stand-ups").str("improve", "Answer faster")).await;
    assert!(reply.text().contains("Rating 3/5"), "{}", reply.text());
    assert!(!reply.text().contains("replaces"));
    let reply = app.fake.send(communication().int("rating", 5)).await;
    assert!(reply.text().contains("replaces your communication check-in from earlier today"), "{}", reply.text());
    let store = app.store().await;
    assert_eq!(store.count_checkins(Some(GuildId(GUILD)), Some(CheckinKind::Communication)).await.unwrap(), 1);
    // The next day is a new check-in.
    app.set_time(at("2026-11-28T09:00:00Z"));
    let reply = app.fake.send(communication().int("rating", 4)).await;
    assert!(!reply.text().contains("replaces"));
    assert_eq!(store.count_checkins(Some(GuildId(GUILD)), Some(CheckinKind::Communication)).await.unwrap(), 2);
}

#[tokio::test]
async fn a_rating_outside_one_to_five_is_refused_on_the_server() {
    let app = TestApp::spawn().await;
    for bad in [0, 6, 99] {
        let reply = app.fake.send(communication().int("rating", bad)).await;
        assert!(reply.ephemeral());
        assert!(reply.text().contains("1 to 5"), "{}", reply.text());
    }
    assert_eq!(count(&app).await, 0);
}

#[tokio::test]
async fn an_over_long_commitment_is_refused_with_the_limit_the_length_and_the_text_back() {
    let app = TestApp::spawn().await;
    let long = "a".repeat(301);
    let reply = app.fake.send(commitments().str("next", &long)).await;
    let text = reply.text();
    assert!(text.contains("301 characters") && text.contains("limit is 300") && text.contains(&long), "{text}");
    assert_eq!(count(&app).await, 0);
    assert!(open(&app).await.is_empty());
}

#[tokio::test]
async fn a_5000_character_note_is_refused_and_given_back_as_a_file() {
    let app = TestApp::spawn().await;
    let note = "Lorem ipsum dolor sit amet. ".repeat(179);
    assert!(note.chars().count() > 5000 - 28);
    let reply = app.fake.send(communication().int("rating", 4).str("improve", &note)).await;
    assert!(reply.ephemeral());
    assert!(reply.text().contains("limit is 500"), "{}", reply.text());
    assert_eq!(reply.files.len(), 1, "the text comes back as an attachment");
    assert_eq!(String::from_utf8(reply.files[0].1.clone()).unwrap(), note.trim());
    assert_eq!(count(&app).await, 0);
}

#[tokio::test]
async fn bad_due_dates_are_refused_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let reply = app.fake.send(commitments().str("next", "x").str("due", "2026-11-20")).await;
    assert!(reply.text().contains("in the past"), "{}", reply.text());
    let reply = app.fake.send(commitments().str("next", "x").str("due", "someday")).await;
    assert!(reply.text().contains("YYYY-MM-DD"), "{}", reply.text());
    let reply = app.fake.send(commitments().str("next", "x").str("due", "thứ hai")).await;
    assert!(reply.text().contains("2026-11-30"), "a Vietnamese weekday works: {}", reply.text());
    assert_eq!(count(&app).await, 1);
}

#[tokio::test]
async fn control_characters_are_removed_from_notes() {
    let app = TestApp::spawn().await;
    app.fake.send(commitments().str("next", "Ship\u{7} it\u{1b}[2J\u{200b}")).await;
    assert_eq!(open(&app).await[0].text, "Ship it[2J");
}

#[tokio::test]
async fn a_checkin_in_a_dm_is_told_it_belongs_to_a_teams_server() {
    let app = TestApp::spawn().await;
    let reply = app.fake.send(communication().int("rating", 4).in_dm()).await;
    assert!(reply.text().contains("team's server"), "{}", reply.text());
    let reply = app.fake.send(commitments().str("next", "x").in_dm()).await;
    assert!(reply.text().contains("team's server"), "{}", reply.text());
    assert_eq!(app.store().await.count_checkins(None, None).await.unwrap(), app.preexisting_checkins(), "nothing stored anywhere");
}

#[tokio::test]
async fn commitments_lists_open_ones_with_overdue_marked_and_recent_resolved_ones() {
    let app = TestApp::spawn().await;
    app.fake.send(commitments().str("next", "First").str("due", "2026-11-28")).await;
    app.fake.send(commitments().str("next", "Second").str("due", "2026-12-10").user_opt("partner", PARTNER)).await;
    app.set_time(at("2026-12-01T09:00:00Z"));
    let reply = app.fake.send(Interaction::command("commitments")).await;
    let embed = &reply.embeds()[0];
    let open = embed["fields"][0]["value"].as_str().unwrap();
    let first = open.lines().find(|l| l.contains("First")).unwrap();
    let second = open.lines().find(|l| l.contains("Second")).unwrap();
    assert!(first.contains("overdue") && !second.contains("overdue"), "{open}");
    assert!(second.contains(&format!("<@{PARTNER}>")) && second.contains("<t:"), "{second}");
    assert!(embed["fields"][1]["value"].as_str().unwrap().contains("Nothing resolved yet"));

    app.fake.send(commitments().str("kept", "no").str("next", "Third")).await;
    let reply = app.fake.send(Interaction::command("commitments")).await;
    let resolved = reply.embeds()[0]["fields"][1]["value"].as_str().unwrap().to_owned();
    assert!(resolved.contains("First") && resolved.contains("not kept"), "{resolved}");
}
