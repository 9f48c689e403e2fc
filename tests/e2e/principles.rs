//! Learning the principles: /principle, /principles, /tip and autocomplete, in both languages.

use partner_coach::domain::ids::GuildId;
use partner_coach::domain::principles::principle_of_day;

use crate::fake_discord::interactions::GUILD;
use crate::fake_discord::Interaction;
use crate::helpers::TestApp;

#[tokio::test]
async fn a_principle_is_an_ephemeral_embed_with_summary_tips_questions_and_a_try_today() {
    let app = TestApp::spawn().await;
    let reply = app.fake.send(Interaction::command("principle").str("which", "4")).await;
    assert_eq!(reply.kind(), 4);
    assert!(reply.ephemeral() && reply.pings_nobody());
    let embed = &reply.embeds()[0];
    assert_eq!(embed["title"], "4. Communicate effectively");
    assert!(embed["description"].as_str().unwrap().len() > 100);
    let fields: Vec<&str> = embed["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["Practical tips", "Reflect", "Try this today"]);
    assert!(embed["fields"][0]["value"].as_str().unwrap().matches('•').count() >= 4);
    assert_eq!(embed["fields"][1]["value"].as_str().unwrap().matches('•').count(), 2);
}

#[tokio::test]
async fn a_vietnamese_member_reads_it_in_vietnamese() {
    let app = TestApp::spawn().await;
    let reply = app.fake.send(Interaction::command("principle").str("which", "4").locale("vi")).await;
    assert_eq!(reply.embeds()[0]["title"], "4. Giao tiếp hiệu quả");
    assert!(reply.text().contains("Mẹo thực hành") || reply.text().contains("mẹo"), "{}", reply.text());
}

#[tokio::test]
async fn every_principle_renders_within_discords_limits_in_both_languages() {
    let app = TestApp::spawn().await;
    for locale in ["en-US", "vi"] {
        for n in 1..=10 {
            let reply = app.fake.send(Interaction::command("principle").str("which", &n.to_string()).locale(locale)).await;
            assert!(reply.embeds()[0]["title"].as_str().unwrap().starts_with(&format!("{n}. ")));
        }
    }
    // The fake validated every answer against the spec and the embed limits.
    app.fake.assert_clean();
}

#[tokio::test]
async fn without_a_choice_it_is_todays_principle_for_this_guild() {
    let app = TestApp::spawn().await;
    let today = app.clock_now().date_naive();
    let expected = principle_of_day(GuildId(GUILD), today);
    let reply = app.fake.send(Interaction::command("principle")).await;
    let title = reply.embeds()[0]["title"].as_str().unwrap().to_owned();
    assert!(title.starts_with(&format!("{expected}. ")), "{title} is not principle {expected}");
    assert!(reply.text().contains("Today's principle"));
}

#[tokio::test]
async fn an_unknown_choice_is_refused_with_how_to_choose() {
    let app = TestApp::spawn().await;
    for bad in ["42", "banana", "0"] {
        let reply = app.fake.send(Interaction::command("principle").str("which", bad)).await;
        assert!(reply.ephemeral());
        let text = reply.text();
        assert!(
            text.contains(&format!("`{bad}` is not one of the ten principles")) && text.contains("1 to 10") && text.contains("/principles"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn words_of_a_title_in_either_language_find_the_principle() {
    let app = TestApp::spawn().await;
    let reply = app.fake.send(Interaction::command("principle").str("which", "giao tiep")).await;
    assert!(reply.embeds()[0]["title"].as_str().unwrap().starts_with("4. "));
    let reply = app.fake.send(Interaction::command("principle").str("which", "conflict")).await;
    assert!(reply.embeds()[0]["title"].as_str().unwrap().starts_with("7. "));
}

#[tokio::test]
async fn autocomplete_matches_numbers_and_words_ignoring_diacritics() {
    let app = TestApp::spawn().await;
    let reply = app.fake.send(Interaction::autocomplete("principle", None, "which", "giao tiep")).await;
    assert_eq!(reply.kind(), 8);
    let choices = reply.choices();
    assert_eq!(choices.first().map(|c| c.1.as_str()), Some("4"), "{choices:?}");

    let reply = app.fake.send(Interaction::autocomplete("principle", None, "which", "1")).await;
    let values: Vec<String> = reply.choices().into_iter().map(|c| c.1).collect();
    assert_eq!(values, vec!["1", "10"]);

    let reply = app.fake.send(Interaction::autocomplete("principle", None, "which", "")).await;
    assert_eq!(reply.choices().len(), 10);
    assert!(reply.choices().len() <= 25);

    let reply = app.fake.send(Interaction::autocomplete("principle", None, "which", "long tin").locale("vi")).await;
    assert_eq!(reply.choices()[0].1, "3");
    assert!(reply.choices()[0].0.starts_with("3. Xây dựng lòng tin"), "{:?}", reply.choices());

    let reply = app.fake.send(Interaction::autocomplete("tip", None, "which", "zzz")).await;
    assert!(reply.choices().is_empty());
}

#[tokio::test]
async fn principles_lists_the_ten_one_line_each() {
    let app = TestApp::spawn().await;
    let reply = app.fake.send(Interaction::command("principles")).await;
    let desc = reply.embeds()[0]["description"].as_str().unwrap().to_owned();
    assert_eq!(desc.lines().count(), 10);
    for n in 1..=10 {
        assert!(desc.contains(&format!("**{n}.**")), "{desc}");
    }
}

#[tokio::test]
async fn tip_draws_one_tip_from_the_chosen_principle() {
    let app = TestApp::spawn().await;
    let prompts = partner_coach::prompts::Prompts::builtin().unwrap();
    let tips = &prompts.catalog.get(10).en.tips;
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..12 {
        let reply = app.fake.send(Interaction::command("tip").str("which", "10")).await;
        let embed = &reply.embeds()[0];
        assert!(embed["title"].as_str().unwrap().contains("10."));
        let tip = embed["description"].as_str().unwrap().to_owned();
        assert!(tips.contains(&tip), "{tip} is not a tip of principle 10");
        seen.insert(tip);
    }
    assert!(seen.len() > 1, "always the same tip: not random");
    let reply = app.fake.send(Interaction::command("tip")).await;
    assert!(reply.embeds()[0]["title"].as_str().unwrap().starts_with("Tip · "));
}

#[tokio::test]
async fn the_guilds_language_wins_over_the_members_locale() {
    let app = TestApp::spawn().await;
    let reply = app.fake.send(Interaction::sub("setup", "language").str("language", "vi").manager()).await;
    assert!(reply.text().contains("tiếng Việt") || reply.text().contains("Tiếng Việt"), "{}", reply.text());
    let reply = app.fake.send(Interaction::command("principle").str("which", "4").locale("en-US")).await;
    assert_eq!(reply.embeds()[0]["title"], "4. Giao tiếp hiệu quả");
}
