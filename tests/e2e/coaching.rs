//! The first steps of the coaching loop: `/practice`, and the focus a digest names showing up
//! the week after (the daily post names it, `/practice` offers it, check-in tips come from it).

use partner_coach::domain::lang::Lang;
use partner_coach::prompts::Prompts;

use partner_coach::domain::ids::{GuildId, TeamKey};
use partner_coach::storage::{DeliveryStatus, JobKey, JobKind};

use crate::fake_discord::interactions::{message_text, CHANNEL, GUILD};
use crate::fake_discord::{perms, Interaction};
use crate::helpers::{at, TestApp};

fn member(n: u64) -> u64 {
    500_000_000_000_003_000 + n
}

#[tokio::test]
async fn practice_shows_a_timed_team_exercise_and_its_template_in_both_languages() {
    let app = TestApp::spawn().await;
    let p = Prompts::builtin().unwrap();
    let en = app.fake.send(Interaction::command("practice").str("which", "5")).await;
    assert!(en.ephemeral());
    let e = &en.embeds()[0];
    let title = e["title"].as_str().unwrap();
    let minutes = p.catalog.get(5).text(Lang::En).practice.minutes();
    assert!(title.contains("5. ") && title.contains(&format!("{minutes} minutes")), "{title}");
    let fields: Vec<&str> = e["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert!(fields.contains(&"Steps") && fields.contains(&"For the group") && fields.contains(&"Write down at the end"), "{fields:?}");
    let template = &p.catalog.get(5).text(Lang::En).template.as_ref().unwrap().title;
    assert!(fields.iter().any(|f| f.contains(template.as_str())), "principle 5 has its working agreement: {fields:?}");
    // Principle 4 has no template: no template field.
    let four = app.fake.send(Interaction::command("practice").str("which", "4")).await;
    assert_eq!(four.embeds()[0]["fields"].as_array().unwrap().len(), 3);

    app.fake.send(Interaction::sub("setup", "language").str("language", "vi").manager()).await;
    let vi = app.fake.send(Interaction::command("practice").str("which", "7")).await;
    let text = vi.text();
    assert!(text.contains("Bài tập nhóm") && text.contains("phút") && text.contains("Để cả nhóm cùng bàn"), "{text}");
    assert!(text.contains(&p.catalog.get(7).text(Lang::Vi).template.as_ref().unwrap().title), "{text}");
    // Every reply above passed the fake's checks of Discord's limits.
    assert!(app.fake.violations().is_empty(), "{:?}", app.fake.violations());
}

#[tokio::test]
async fn posting_a_practice_for_the_channel_is_for_leads() {
    let app = TestApp::spawn().await;
    let member_try = app.fake.send(Interaction::command("practice").bool("post", true).perms(perms::MEMBER)).await;
    assert!(member_try.ephemeral() && member_try.text().contains("Only team leads"), "{}", member_try.text());
    let lead = app.fake.send(Interaction::command("practice").bool("post", true).manager()).await;
    assert!(!lead.ephemeral());
    assert!(lead.pings_nobody());
}

#[tokio::test]
async fn the_week_after_a_digest_names_a_focus_the_bot_coaches_on_it() {
    let app = TestApp::spawn().await;
    let p = Prompts::builtin().unwrap();
    // Three members answer this week; the digest goes out Friday and names a focus.
    for i in 0..3 {
        app.fake.send(Interaction::sub("checkin", "communication").int("rating", 2).by(member(i))).await;
        app.fake.send(Interaction::sub("checkin", "commitments").str("next", &format!("Task {i}")).by(member(i))).await;
    }
    app.fake
        .send(Interaction::sub("setup", "digest").channel_opt("channel", CHANNEL).str("day", "fri").str("time", "16:00").manager())
        .await;
    // Before any digest: `/practice` falls back to today's principle.
    let before = app.fake.send(Interaction::command("practice")).await;
    assert!(before.text().contains("Today's principle"), "{}", before.text());
    app.set_time(at("2026-11-27T16:00:00Z"));
    let msgs = app.fake.wait_for_messages(CHANNEL, 1).await;
    let digest = &msgs[0].body["embeds"][0];
    assert!(!message_text(&msgs[0].body).contains("Four-week review"), "27 November's digest is not a month's first");
    let focus_field = digest["fields"].as_array().unwrap().iter().find(|f| f["name"].as_str().unwrap().contains("Focus")).unwrap();
    let name = focus_field["name"].as_str().unwrap();
    let focus: u8 = name.split(": ").nth(1).and_then(|s| s.split('.').next()).and_then(|n| n.trim().parse().ok()).expect(name);
    let focus_title = p.catalog.get(focus).text(Lang::En).title.clone();
    // The bot records the digest as sent once Discord has answered: wait for that record.
    let key = JobKey::team(JobKind::Digest, TeamKey::default_of(GuildId(GUILD)));
    crate::hardening::delivery_when(&app, key, "2026-W48", |d| d.status == DeliveryStatus::Sent).await;

    // The week after: `/practice` offers the focus ...
    app.set_time(at("2026-11-30T10:00:00Z"));
    let practice = app.fake.send(Interaction::command("practice")).await;
    assert!(practice.text().contains(&format!("{focus}. {focus_title}")), "{}", practice.text());
    assert!(practice.text().contains("This week's focus"), "{}", practice.text());
    // ... and a check-in's tip comes from it.
    let r = app.fake.send(Interaction::sub("checkin", "communication").int("rating", 4).by(member(1))).await;
    let footer = r.embeds()[0]["footer"]["text"].as_str().unwrap().to_owned();
    assert!(p.catalog.get(focus).text(Lang::En).tips.iter().any(|t| footer.contains(t.as_str())), "tip not from {focus}: {footer}");

    // The daily post names the focus on a day whose principle is another one.
    app.fake
        .send(Interaction::sub("setup", "daily").channel_opt("channel", CHANNEL).str("time", "09:00").str("timezone", "UTC").manager())
        .await;
    let mut named = false;
    for (day, n) in [("2026-12-01", 2), ("2026-12-02", 3)] {
        app.set_time(at(&format!("{day}T09:00:00Z")));
        let posts = app.fake.wait_for_messages(CHANNEL, n).await;
        let text = message_text(&posts[n - 1].body);
        let todays = posts[n - 1].body["embeds"][0]["title"].as_str().unwrap().to_owned();
        if !todays.contains(&format!("{focus}. ")) {
            assert!(text.contains(&format!("This week's focus: **{focus}. {focus_title}**")), "{text}");
            named = true;
        }
    }
    assert!(named, "two days in a row cannot both be the focus");

    // The next digest says what happened to the signal that chose the focus.
    app.set_time(at("2026-12-04T16:00:00Z"));
    let posts = app.fake.wait_for_messages(CHANNEL, 5).await;
    let next = posts.iter().rev().map(|m| message_text(&m.body)).find(|t| t.contains("Weekly digest · 2026-W49")).expect("W49's digest");
    assert!(next.contains(&format!("Last week's focus was {focus}. {focus_title}, because")), "{next}");
    // 4 December's is December's first scheduled digest: it looks back four weeks.
    assert!(next.contains("Four-week review") && next.contains("2026-W46:") && next.contains("2026-W49:"), "{next}");
    assert!(next.contains(&format!("Principles practised: {focus}. {focus_title}")), "{next}");
    assert!(next.contains("To discuss together:"), "{next}");
}

#[tokio::test]
async fn a_lead_adds_the_four_week_review_on_demand_in_either_language() {
    let app = TestApp::spawn().await;
    for i in 0..3 {
        app.fake.send(Interaction::sub("checkin", "communication").int("rating", 5).by(member(i))).await;
    }
    let plain = app.fake.send(Interaction::command("digest").manager()).await;
    assert!(!plain.text().contains("Four-week review"));
    let with = app.fake.send(Interaction::command("digest").bool("review", true).manager()).await;
    let text = with.text();
    assert!(text.contains("Four-week review") && text.contains("2026-W48: participation 100%"), "{text}");
    assert!(text.contains("No focus was named in these four weeks yet."), "{text}");
    app.fake.send(Interaction::sub("setup", "language").str("language", "vi").manager()).await;
    let vi = app.fake.send(Interaction::command("digest").bool("review", true).manager()).await;
    assert!(vi.text().contains("Nhìn lại bốn tuần") && vi.text().contains("Để cả nhóm cùng bàn"), "{}", vi.text());
    assert!(app.fake.violations().is_empty(), "{:?}", app.fake.violations());
}

#[tokio::test]
async fn a_focus_week_opens_with_the_focus_and_its_team_practice_when_the_rotation_allows() {
    use partner_coach::domain::time::IsoWeek;
    let app = TestApp::spawn().await;
    let p = Prompts::builtin().unwrap();
    for i in 0..3 {
        app.fake.send(Interaction::sub("checkin", "communication").int("rating", 2).by(member(i))).await;
    }
    app.fake
        .send(Interaction::sub("setup", "digest").channel_opt("channel", CHANNEL).str("day", "fri").str("time", "16:00").manager())
        .await;
    app.set_time(at("2026-11-27T16:00:00Z"));
    let msgs = app.fake.wait_for_messages(CHANNEL, 1).await;
    let key = JobKey::team(JobKind::Digest, TeamKey::default_of(GuildId(GUILD)));
    let digest = crate::hardening::delivery_when(&app, key, "2026-W48", |d| d.status == DeliveryStatus::Sent).await;
    let focus = digest.principle.expect("the digest's focus");
    assert!(message_text(&msgs[0].body).contains(&format!("{focus}. ")));
    // The daily post starts on Friday evening; the weekend passes without the bot posting.
    app.set_time(at("2026-11-27T17:00:00Z"));
    app.fake
        .send(Interaction::sub("setup", "daily").channel_opt("channel", CHANNEL).str("time", "09:00").str("timezone", "UTC").manager())
        .await;
    app.set_time(at("2026-11-30T09:00:00Z"));
    let posts = app.fake.wait_for_messages(CHANNEL, 2).await;
    let monday = posts[1].body["embeds"][0].clone();
    // What the rotation allows on this Monday, by the same rule the bot uses.
    let date: chrono::NaiveDate = "2026-11-30".parse().unwrap();
    let week = IsoWeek::of(date);
    let expected =
        partner_coach::domain::focus::principle_with_focus(GuildId(GUILD), date, false, |w| (w == week).then_some(focus), |_| None);
    let title = monday["title"].as_str().unwrap();
    assert!(title.contains(&format!("{expected}. ")), "{title}");
    let fields: Vec<String> = monday["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap().to_owned()).collect();
    if expected == focus {
        assert!(fields.iter().any(|f| f.contains("team practice")), "the focus's day brings its practice: {fields:?}");
        let step = &p.catalog.get(focus).text(Lang::En).practice.steps[0].1;
        assert!(message_text(&posts[1].body).contains(step.as_str()));
    } else {
        assert!(message_text(&posts[1].body).contains("This week's focus"), "{}", message_text(&posts[1].body));
    }
    // `/principle` agrees with the post about today.
    let today = app.fake.send(Interaction::command("principle")).await;
    assert!(today.embeds()[0]["title"].as_str().unwrap().contains(&format!("{expected}. ")));
}
