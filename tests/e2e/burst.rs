//! Many posts due at one moment: the scheduler spreads them within its share of Discord's
//! global REST limit instead of meeting 429s, every post still goes out once on its day, and
//! `/setup show` says when a post went out late and by how much.

use std::time::{Duration, Instant};

use crate::fake_discord::{GuildSpec, Interaction};
use crate::helpers::{at, TestApp};

/// Guild `n`'s id (and its `general` channel is the id + 1).
fn guild(n: u64) -> u64 {
    900_000_000_000_100_000 + n * 1_000
}

#[tokio::test]
async fn a_burst_of_due_posts_is_spread_within_the_rest_budget_and_each_goes_out_once() {
    const GUILDS: u64 = 100;
    let app = TestApp::spawn_with((0..GUILDS).map(|n| GuildSpec::new(guild(n))).collect()).await;
    for n in 0..GUILDS {
        let g = guild(n);
        let setup = Interaction::sub("setup", "daily").channel_opt("channel", g + 1).str("time", "09:00").str("timezone", "UTC");
        let r = app.fake.send(setup.manager().in_guild(g)).await;
        assert!(r.text().contains("09:00"), "{}", r.text());
    }
    // Every daily post falls due at once, and Discord's global limit holds from here.
    app.fake.set_global_limit(50);
    let started = Instant::now();
    app.set_time(at("2026-11-28T09:00:00Z"));
    let total = || (0..GUILDS).map(|n| app.fake.messages_in(guild(n) + 1).len()).sum::<usize>();
    while total() < GUILDS as usize {
        assert!(started.elapsed() < Duration::from_secs(30), "only {} of {GUILDS} posts in 30 s", total());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let drained = started.elapsed();
    // The budget is 40 requests a second after a first burst of 5: 100 posts take more than
    // two seconds (asserted: a second and a half). Without it they would all go out in a few milliseconds, which
    // Discord answers with 429s.
    let budget = partner_coach::discord::REST_PER_SECOND as f64;
    let least = (GUILDS as f64 - budget) / budget;
    assert!(drained.as_secs_f64() >= least * 0.9, "{GUILDS} posts in {drained:?}: faster than {budget}/s");
    tokio::time::sleep(Duration::from_millis(300)).await;
    for n in 0..GUILDS {
        assert_eq!(app.fake.messages_in(guild(n) + 1).len(), 1, "guild {n}: exactly once");
    }
    assert_eq!(app.fake.global_429s(), 0, "no request met Discord's global limit");
    app.fake.assert_clean();
}

#[tokio::test]
async fn setup_show_says_when_a_post_went_out_late_and_by_how_much() {
    let app = TestApp::spawn().await;
    let channel = crate::fake_discord::interactions::CHANNEL;
    let setup = Interaction::sub("setup", "daily").channel_opt("channel", channel).str("time", "09:00").str("timezone", "UTC");
    app.fake.send(setup.manager()).await;
    let show = || app.fake.send(Interaction::sub("setup", "show").manager());
    assert!(!show().await.text().contains("late"), "nothing late yet");
    // The bot was busy (or Discord slow): the 09:00 post goes out at 09:07.
    app.set_time(at("2026-11-28T09:07:00Z"));
    app.fake.wait_for_messages(channel, 1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let text = show().await.text();
    assert!(text.contains("daily 2026-11-28 post went out 7 min late"), "{text}");
    // A post on time says nothing new; a week on, the notice is gone.
    app.set_time(at("2026-12-06T09:00:00Z"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!show().await.text().contains("late"), "{}", show().await.text());
}

#[tokio::test]
async fn a_post_that_waited_its_turn_past_midnight_still_goes_out_for_its_own_day() {
    use partner_coach::domain::ids::GuildId;
    use partner_coach::domain::principles::principle_of_day;
    let app = TestApp::spawn().await;
    let (guild, channel) = (crate::fake_discord::interactions::GUILD, crate::fake_discord::interactions::CHANNEL);
    let setup = Interaction::sub("setup", "daily").channel_opt("channel", channel).str("time", "23:59").str("timezone", "UTC");
    app.fake.send(setup.manager()).await;
    // Due at 23:59 on the 27th (the tests' day); its turn comes at 00:03 on the 28th (a long
    // queue of posts).
    app.set_time(at("2026-11-28T00:03:00Z"));
    let msgs = app.fake.wait_for_messages(channel, 1).await;
    let expected = principle_of_day(GuildId(guild), "2026-11-27".parse().unwrap());
    let title = msgs[0].body["embeds"][0]["title"].as_str().unwrap().to_owned();
    assert!(title.contains(&format!("{expected}. ")), "the 27th's principle: {title}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.fake.messages_in(channel).len(), 1, "once");
    let text = app.fake.send(Interaction::sub("setup", "show").manager()).await.text();
    assert!(text.contains("daily 2026-11-27 post went out 4 min late"), "{text}");
    // The 28th's goes out at its own time.
    app.set_time(at("2026-11-28T23:59:00Z"));
    app.fake.wait_for_messages(channel, 2).await;
}
