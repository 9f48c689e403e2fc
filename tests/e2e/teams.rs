//! Teams: several teams in one server, each with its own home channel, role, daily post,
//! digest, lead role and holiday; resolution of a command's team; `/team` itself; the
//! reminders that name the teams not checked in to; the command line per team.

use std::time::Duration;

use partner_coach::domain::ids::{ChannelId, GuildId, RoleId, TeamId, TeamKey, UserId};
use partner_coach::domain::time::IsoWeek;
use partner_coach::storage::{DeliveryStatus, JobKey, JobKind, Store, TeamCounts};
use serde_json::Value;

use crate::fake_discord::interactions::{message_text, Reply, CHANNEL, GUILD, MEMBER};
use crate::fake_discord::{GuildSpec, Interaction};
use crate::helpers::{at, TestApp};

const R_DESIGN: u64 = 700_000_000_000_000_001;
const R_ENG: u64 = 700_000_000_000_000_002;
const LEAD_A: u64 = 700_000_000_000_000_003;
/// A role no server of the fake has.
const FOREIGN_ROLE: u64 = 700_000_000_000_000_099;
const CH_DESIGN: u64 = GUILD + 10;
const CH_ENG: u64 = GUILD + 11;
/// A thread (in whichever channel a test says).
const THREAD: u64 = GUILD + 50;
const OTHER: u64 = 900_000_000_000_000_300;

const DESIGN: TeamId = TeamId(1);
const ENG: TeamId = TeamId(2);

/// In Design only.
const M1: u64 = MEMBER + 1;
/// In Engineering only.
const M2: u64 = MEMBER + 2;
/// In both.
const M3: u64 = MEMBER + 3;
/// In both too.
const M4: u64 = MEMBER + 4;
const ADMIN: u64 = MEMBER + 50;
const LEADER: u64 = MEMBER + 60;

fn spec() -> GuildSpec {
    GuildSpec::new(GUILD)
        .role(R_DESIGN, "design")
        .role(R_ENG, "engineering")
        .role(LEAD_A, "design leads")
        .channel(CH_DESIGN, "design")
        .channel(CH_ENG, "engineering")
}

fn key(team: TeamId) -> TeamKey {
    TeamKey::new(GuildId(GUILD), team)
}

/// A server with the two teams Design (its role and channel) and Engineering (its own).
async fn two_teams() -> TestApp {
    two_teams_with(vec![spec()]).await
}

async fn two_teams_with(guilds: Vec<GuildSpec>) -> TestApp {
    let app = TestApp::spawn_with(guilds).await;
    for (name, role, channel) in [("Design", R_DESIGN, CH_DESIGN), ("Engineering", R_ENG, CH_ENG)] {
        let create = Interaction::sub("team", "create").str("name", name).role_opt("role", role).channel_opt("channel", channel);
        let r = app.fake.send(create.by(ADMIN).manager()).await;
        assert!(r.ephemeral(), "{:?}", r.callback);
        assert!(r.text().contains(&format!("Team **{name}** is created (<@&{role}>, <#{channel}>)")), "{}", r.text());
    }
    app
}

fn comm(rating: i64) -> Interaction {
    Interaction::sub("checkin", "communication").int("rating", rating)
}

fn commitments() -> Interaction {
    Interaction::sub("checkin", "commitments")
}

fn setup_daily(channel: u64, time: &str) -> Interaction {
    Interaction::sub("setup", "daily").channel_opt("channel", channel).str("time", time).str("timezone", "UTC").by(ADMIN).manager()
}

async fn counts(store: &Store, team: TeamId) -> TeamCounts {
    store.team_counts(key(team)).await.unwrap()
}

async fn team_names(store: &Store) -> Vec<String> {
    store.teams(GuildId(GUILD)).await.unwrap().into_iter().map(|t| t.name).collect()
}

/// Lets the scheduler run a few ticks (20 ms each) of real time.
async fn ticks() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

fn custom_ids(reply: &Reply) -> Vec<String> {
    reply.data()["components"][0]["components"].as_array().unwrap().iter().map(|b| b["custom_id"].as_str().unwrap().to_owned()).collect()
}

/// The same three members (in both teams) answer in both: Design rates 5 with its notes,
/// Engineering 1 with its own.
async fn seed_both(app: &TestApp) {
    for n in 0..3 {
        let who = MEMBER + 10 + n;
        let r = app
            .fake
            .send(comm(5).str("went_well", &format!("design note {n}")).by(who).roles(&[R_DESIGN, R_ENG]).in_channel(CH_DESIGN))
            .await;
        assert!(r.ephemeral() && !r.text().contains("several teams"), "{}", r.text());
        let r = app
            .fake
            .send(comm(1).str("went_well", &format!("engineering secret {n}")).by(who).roles(&[R_DESIGN, R_ENG]).in_channel(CH_ENG))
            .await;
        assert!(r.ephemeral() && !r.text().contains("several teams"), "{}", r.text());
    }
}

/// Polls the delivery record of `key` for `period` until it is no longer pending.
async fn settled(app: &TestApp, key: JobKey, period: &str) -> Option<DeliveryStatus> {
    let store = app.store().await;
    for _ in 0..50 {
        if let Some(d) = store.delivery(key, period).await.unwrap() {
            if d.status != DeliveryStatus::Pending {
                return Some(d.status);
            }
        }
        ticks().await;
    }
    None
}

#[tokio::test]
async fn check_ins_land_in_the_team_of_the_channel_or_of_the_team_option_and_a_member_of_both_is_asked() {
    let app = two_teams().await;
    let store = app.store().await;
    // Each team's home channel, without `team`.
    let r = app.fake.send(comm(5).by(M1).roles(&[R_DESIGN]).in_channel(CH_DESIGN)).await;
    assert!(r.ephemeral(), "{:?}", r.callback);
    assert_eq!(counts(&store, DESIGN).await.checkins, 1);
    assert_eq!(counts(&store, ENG).await.checkins, 0);
    app.fake.send(comm(4).by(M2).roles(&[R_ENG]).in_channel(CH_ENG)).await;
    assert_eq!(counts(&store, ENG).await.checkins, 1);
    // `team:` wins over the channel (here the other team's), in any case.
    let r = app
        .fake
        .send(commitments().str("next", "review the API").str("team", "engineering").by(M2).roles(&[R_ENG]).in_channel(CH_DESIGN))
        .await;
    assert!(r.ephemeral(), "{}", r.text());
    assert_eq!(counts(&store, ENG).await, TeamCounts { checkins: 2, commitments: 1 });
    assert_eq!(counts(&store, DESIGN).await, TeamCounts { checkins: 1, commitments: 0 });
    // A member of one team, outside any team's channel: their team.
    app.fake.send(commitments().str("next", "draft the mock-ups").by(M1).roles(&[R_DESIGN])).await;
    assert_eq!(counts(&store, DESIGN).await, TeamCounts { checkins: 2, commitments: 1 });
    // A team they are not in: refused, nothing stored.
    let r = app.fake.send(comm(3).str("team", "Engineering").by(M1).roles(&[R_DESIGN])).await;
    assert!(r.ephemeral() && r.text().contains("You are not in team `Engineering`") && r.text().contains("`Design`"), "{}", r.text());
    assert_eq!(counts(&store, ENG).await, TeamCounts { checkins: 2, commitments: 1 });

    // A member of both checks in to each on its own.
    let both = [R_DESIGN, R_ENG];
    app.fake.send(comm(5).by(M3).roles(&both).in_channel(CH_DESIGN)).await;
    app.fake.send(comm(2).by(M3).roles(&both).in_channel(CH_ENG)).await;
    assert_eq!(counts(&store, DESIGN).await.checkins, 3);
    assert_eq!(counts(&store, ENG).await.checkins, 3);
    let week = IsoWeek::parse("2026-W48").unwrap();
    for team in [DESIGN, ENG] {
        assert!(store.has_checked_in(key(team), UserId(M3), week).await.unwrap(), "{team:?}");
    }
    assert!(!store.has_checked_in(key(TeamId::DEFAULT), UserId(M3), week).await.unwrap());

    // Outside any team's channel, without `team`: a question naming their teams, nothing stored.
    let before = store.count_checkins(Some(GuildId(GUILD)), None).await.unwrap();
    let r = app.fake.send(comm(4).str("went_well", "lost note").by(M3).roles(&both).in_channel(CHANNEL)).await;
    assert!(r.ephemeral(), "{:?}", r.callback);
    let text = r.text();
    assert!(text.contains("several teams") && text.contains("`Design`") && text.contains("`Engineering`"), "{text}");
    assert!(text.contains("Nothing was recorded") && !text.contains("`default`"), "{text}");
    // The form is not even offered: the question comes first.
    let r = app.fake.send(commitments().by(M3).roles(&both)).await;
    assert_eq!(r.kind(), 4, "{:?}", r.callback);
    assert!(r.ephemeral() && r.text().contains("several teams"), "{}", r.text());
    assert_eq!(store.count_checkins(Some(GuildId(GUILD)), None).await.unwrap(), before);

    // In a team's channel the form carries its team to the submit, wherever that comes from.
    let r = app.fake.send(commitments().by(M3).roles(&both).in_channel(CH_ENG)).await;
    assert_eq!(r.kind(), 9, "a modal: {:?}", r.callback);
    let custom_id = r.data()["custom_id"].as_str().unwrap().to_owned();
    let r = app.fake.send(Interaction::modal_submit(&custom_id, &[("next", "pair on the release")]).by(M3).roles(&both)).await;
    assert!(r.ephemeral(), "{}", r.text());
    assert_eq!(counts(&store, ENG).await.commitments, 2);
    assert_eq!(counts(&store, DESIGN).await.commitments, 1);
}

#[tokio::test]
async fn each_teams_daily_post_goes_to_its_own_channel_once_also_after_a_restart() {
    let mut app = two_teams().await;
    // One by name from elsewhere, the other from its own channel without `team`; same minute.
    let r = app.fake.send(setup_daily(CH_DESIGN, "10:00").str("team", "Design")).await;
    assert!(r.text().contains("10:00") && r.text().contains(&format!("<#{CH_DESIGN}>")), "{}", r.text());
    let r = app.fake.send(setup_daily(CH_ENG, "10:00").in_channel(CH_ENG)).await;
    assert!(r.text().contains("10:00") && r.text().contains(&format!("<#{CH_ENG}>")), "{}", r.text());
    let store = app.store().await;
    let daily_of = |team| {
        let store = &store;
        async move { store.team_settings(key(team)).await.unwrap().and_then(|s| s.daily).map(|d| d.channel) }
    };
    assert_eq!(daily_of(DESIGN).await, Some(ChannelId(CH_DESIGN)));
    assert_eq!(daily_of(ENG).await, Some(ChannelId(CH_ENG)));
    assert_eq!(daily_of(TeamId::DEFAULT).await, None, "the default team was left alone");

    app.set_time(at("2026-11-27T09:59:00Z"));
    ticks().await;
    assert!(app.fake.messages_in(CH_DESIGN).is_empty() && app.fake.messages_in(CH_ENG).is_empty(), "a minute early");
    app.set_time(at("2026-11-27T10:00:00Z"));
    let design = app.fake.wait_for_messages(CH_DESIGN, 1).await;
    let eng = app.fake.wait_for_messages(CH_ENG, 1).await;
    assert!(message_text(&design[0].body).contains("/checkin") && message_text(&eng[0].body).contains("/checkin"));
    ticks().await;
    assert_eq!(app.fake.messages_in(CH_DESIGN).len(), 1, "Design's post went out twice");
    assert_eq!(app.fake.messages_in(CH_ENG).len(), 1, "Engineering's post went out twice");
    assert!(app.fake.messages_in(CHANNEL).is_empty(), "nothing in the general channel");
    for team in [DESIGN, ENG] {
        let d = store.delivery(JobKey::team(JobKind::Daily, key(team)), "2026-11-27").await.unwrap().expect("recorded");
        assert_eq!(d.status, DeliveryStatus::Sent, "{team:?}");
    }

    app.restart().await;
    ticks().await;
    assert_eq!((app.fake.messages_in(CH_DESIGN).len(), app.fake.messages_in(CH_ENG).len()), (1, 1), "posted again after a restart");
    let posts = || app.fake.requests().iter().filter(|r| r.method == "POST" && r.path.ends_with("/messages")).count();
    assert_eq!(posts(), 2, "one request per post: no retries, no strays");
    // The next day, one more each, even when Discord creates Engineering's post and its
    // answer is lost: the retry carries that team's own nonce, so Discord drops it, and
    // Design's post (same minute, same principle) is not mistaken for it.
    app.fake.lose_next_responses("POST", &format!("/channels/{CH_ENG}/messages"), 1, 500);
    app.set_time(at("2026-11-28T10:00:30Z"));
    app.fake.wait_for_messages(CH_DESIGN, 2).await;
    app.fake.wait_for("the lost answer", |i| i.requests.iter().any(|r| r.status == 500).then_some(())).await;
    app.set_time(at("2026-11-28T10:01:30Z"));
    app.fake
        .wait_for("the retry", |i| {
            (i.requests.iter().filter(|r| r.method == "POST" && r.path.ends_with(&format!("/channels/{CH_ENG}/messages"))).count() >= 3)
                .then_some(())
        })
        .await;
    ticks().await;
    assert_eq!((app.fake.messages_in(CH_DESIGN).len(), app.fake.messages_in(CH_ENG).len()), (2, 2));
    assert_eq!(posts(), 5, "one retry, for the lost answer only");
    let d = store.delivery(JobKey::team(JobKind::Daily, key(ENG)), "2026-11-28").await.unwrap().expect("recorded");
    assert_eq!(d.status, DeliveryStatus::Sent);
}

#[tokio::test]
async fn each_teams_digest_shows_its_own_figures_and_never_the_other_teams_notes() {
    let app = two_teams().await;
    seed_both(&app).await;
    let d = app.fake.send(Interaction::command("digest").str("team", "Design").by(ADMIN).manager()).await;
    let text = d.text();
    assert!(d.ephemeral());
    assert!(text.contains("mean 5.0/5") && text.contains("design note"), "{text}");
    assert!(!text.contains("engineering secret") && !text.contains("mean 1.0"), "{text}");
    let e = app.fake.send(Interaction::command("digest").str("team", "engineering").by(ADMIN).manager()).await;
    let text = e.text();
    assert!(text.contains("mean 1.0/5") && text.contains("engineering secret"), "{text}");
    assert!(!text.contains("design note") && !text.contains("mean 5.0"), "{text}");
    // In a team's home channel, without `team`.
    let e = app.fake.send(Interaction::command("digest").by(ADMIN).manager().in_channel(CH_ENG)).await;
    assert!(e.text().contains("mean 1.0/5") && !e.text().contains("design note"), "{}", e.text());

    // Scheduled, each in its own channel at the same minute.
    for (team, channel) in [("Design", CH_DESIGN), ("Engineering", CH_ENG)] {
        let setup = Interaction::sub("setup", "digest").channel_opt("channel", channel).str("day", "fri").str("time", "16:00");
        let r = app.fake.send(setup.str("team", team).by(ADMIN).manager()).await;
        assert!(r.text().contains("fri") && r.text().contains("16:00"), "{}", r.text());
    }
    app.set_time(at("2026-11-27T16:00:00Z"));
    let design = app.fake.wait_for_messages(CH_DESIGN, 1).await;
    let eng = app.fake.wait_for_messages(CH_ENG, 1).await;
    let (design, eng) = (message_text(&design[0].body), message_text(&eng[0].body));
    assert!(design.contains("2026-W48") && design.contains("mean 5.0/5") && design.contains("design note"), "{design}");
    assert!(!design.contains("engineering secret") && !design.contains("mean 1.0"), "{design}");
    assert!(eng.contains("2026-W48") && eng.contains("mean 1.0/5") && eng.contains("engineering secret"), "{eng}");
    assert!(!eng.contains("design note") && !eng.contains("mean 5.0"), "{eng}");
    ticks().await;
    assert_eq!((app.fake.messages_in(CH_DESIGN).len(), app.fake.messages_in(CH_ENG).len()), (1, 1));
    assert!(app.fake.messages_in(CHANNEL).is_empty());
}

#[tokio::test]
async fn a_lead_role_of_one_team_is_refused_for_the_other_and_manage_server_sees_both() {
    let app = two_teams().await;
    seed_both(&app).await;
    let set = Interaction::sub("setup", "lead-role").role_opt("role", LEAD_A).str("team", "Design").by(ADMIN).manager();
    let r = app.fake.send(set).await;
    assert!(r.text().contains("Done"), "{}", r.text());
    let store = app.store().await;
    assert_eq!(store.team_settings(key(DESIGN)).await.unwrap().unwrap().lead_role, Some(RoleId(LEAD_A)));
    assert_eq!(store.team_settings(key(ENG)).await.unwrap().and_then(|s| s.lead_role), None);

    let lead = || Interaction::command("digest").by(LEADER).roles(&[LEAD_A]);
    let a = app.fake.send(lead().str("team", "Design")).await;
    assert!(a.text().contains("mean 5.0/5") && a.text().contains("design note"), "the lead reads their team's: {}", a.text());
    // The other team's, by name or from its channel: refused, no figure and no note.
    for b in [lead().str("team", "Engineering"), lead().in_channel(CH_ENG), lead().in_thread(THREAD, CH_ENG)] {
        let b = app.fake.send(b).await;
        assert!(b.ephemeral(), "{:?}", b.callback);
        let text = b.text();
        assert!(text.contains("Only team leads"), "{text}");
        assert!(!text.contains("mean") && !text.contains("engineering secret") && !text.contains("design note"), "{text}");
    }
    // Nor its settings.
    let s = app.fake.send(Interaction::sub("setup", "show").str("team", "Engineering").by(LEADER).roles(&[LEAD_A])).await;
    assert!(s.text().contains("Manage Server") && !s.text().contains("Team: **Engineering**"), "{}", s.text());
    // A manager's /setup outside any team's channel is the default team's, and names the others.
    let s = app.fake.send(Interaction::sub("setup", "show").by(ADMIN).manager()).await;
    assert!(s.text().contains("Team: **default**") && s.text().contains("`Design`, `Engineering`"), "{}", s.text());
    // Manage Server sees both.
    for (team, mean) in [("Design", "mean 5.0/5"), ("Engineering", "mean 1.0/5")] {
        let r = app.fake.send(Interaction::command("digest").str("team", team).by(ADMIN).manager()).await;
        assert!(r.text().contains(mean), "{team}: {}", r.text());
    }
}

#[tokio::test]
async fn a_server_without_teams_never_mentions_teams() {
    let app = TestApp::spawn_with(vec![spec()]).await;
    // A check-in from any channel is the server's, with no question asked.
    for channel in [CHANNEL, CH_DESIGN] {
        let r = app.fake.send(comm(4).by(M1).roles(&[R_DESIGN]).in_channel(channel)).await;
        assert!(r.ephemeral() && !r.text().contains("several teams") && !r.text().contains("Team:"), "{}", r.text());
    }
    let store = app.store().await;
    assert_eq!(counts(&store, TeamId::DEFAULT).await.checkins, 1, "one a day, in the default team");
    let show = app.fake.send(Interaction::sub("setup", "show").manager()).await;
    assert!(!show.text().contains("Team:") && !show.text().contains("Teams:"), "{}", show.text());
    let digest = app.fake.send(Interaction::command("digest").manager()).await;
    assert!(!digest.text().contains("Team:"), "{}", digest.text());
    let list = app.fake.send(Interaction::sub("team", "list")).await;
    let text = list.text();
    assert!(text.contains("**default**: everyone who is in no other team"), "{text}");
    assert_eq!(text.matches("**: ").count(), 1, "just the default team: {text}");
    assert_eq!(team_names(&store).await, vec!["default"]);
    // The reminder reads as it always did.
    app.fake.send(Interaction::sub("remind", "on").str("day", "sat").str("time", "10:00").by(M2)).await;
    app.set_time(at("2026-11-28T10:00:00Z"));
    app.fake
        .wait_for("the reminder", |i| i.dm_channels.get(&M2).and_then(|c| i.messages.iter().find(|m| m.channel_id == *c)).map(|_| ()))
        .await;
    let dm = app.fake.dms_to(M2)[0].body["content"].as_str().unwrap().to_owned();
    assert!(!dm.contains("team:") && !dm.contains(" for **"), "{dm}");
    assert_eq!(app.fake.count_requests("GET", &format!("/guilds/{GUILD}/members/{M2}")), 1, "asked once, for membership only");
}

#[tokio::test]
async fn bad_team_input_gets_a_clear_private_answer_and_stores_nothing() {
    let app = two_teams_with(vec![spec(), GuildSpec::new(OTHER)]).await;
    let store = app.store().await;
    let teams = || team_names(&store);
    let initial = vec!["default", "Design", "Engineering"];
    assert_eq!(teams().await, initial);

    // An unknown team, on a check-in and on /setup.
    let r = app.fake.send(comm(4).str("team", "Ops").by(M1).roles(&[R_DESIGN])).await;
    assert!(r.ephemeral() && r.text().contains("There is no team `Ops`"), "{}", r.text());
    assert!(r.text().contains("`Design`") && r.text().contains("`Engineering`"), "it lists the teams: {}", r.text());
    assert_eq!(store.count_checkins(Some(GuildId(GUILD)), None).await.unwrap(), 0);
    let r = app.fake.send(setup_daily(CHANNEL, "10:00").str("team", "Ops")).await;
    assert!(r.ephemeral() && r.text().contains("There is no team `Ops`"), "{}", r.text());
    assert!(store.team_settings(key(TeamId::DEFAULT)).await.unwrap().and_then(|s| s.daily).is_none());

    let create = |name: &str| Interaction::sub("team", "create").str("name", name).by(ADMIN).manager();
    let refused = |r: &Reply, says: &str| {
        assert!(r.ephemeral(), "{:?}", r.callback);
        assert!(r.text().contains(says), "expected {says:?} in: {}", r.text());
        assert!(r.data()["components"].as_array().is_none_or(|c| c.is_empty()), "no buttons: {:?}", r.callback);
    };
    // The same name in another case.
    refused(&app.fake.send(create("DESIGN")).await, "There is already a team called `Design`");
    refused(&app.fake.send(create("  engineering ")).await, "There is already a team called `Engineering`");
    // Too long, and empty.
    let long = "x".repeat(33);
    refused(&app.fake.send(create(&long)).await, "1 to 32 characters");
    assert!(app.fake.send(create(&long)).await.text().contains("has 33"));
    refused(&app.fake.send(create("   ")).await, "1 to 32 characters");
    // A role or channel that is not this server's, a role another team has.
    refused(&app.fake.send(create("Ops").role_opt("role", FOREIGN_ROLE)).await, "not one of this server's roles");
    refused(&app.fake.send(create("Ops").channel_opt("channel", OTHER + 1)).await, "not in this server");
    refused(&app.fake.send(create("Ops").role_opt("role", R_DESIGN)).await, "is already the role of team `Design`");
    // @everyone: Discord never lists it among a member's roles, so such a team could have
    // no member at all.
    refused(&app.fake.send(create("All").role_opt("role", GUILD)).await, "`@everyone` cannot be a team's role");
    // Without Manage Server.
    refused(&app.fake.send(Interaction::sub("team", "create").str("name", "Ops").by(M1)).await, "Manage Server");
    assert_eq!(teams().await, initial, "no team was created");

    // /team join on a role team, and on the default team.
    let join = |team: &str| Interaction::sub("team", "join").str("team", team).by(M1).roles(&[R_DESIGN]);
    refused(&app.fake.send(join("Design")).await, &format!("Team `Design` is made of the members with <@&{R_DESIGN}>"));
    refused(&app.fake.send(join("default")).await, "there is nothing to join or leave");
    refused(&app.fake.send(join("Ops")).await, "There is no team `Ops`");
    assert!(store.joined_teams(GuildId(GUILD), UserId(M1)).await.unwrap().is_empty());
    // Deleting the default team, or an unknown one.
    let delete = |team: &str| Interaction::sub("team", "delete").str("team", team).by(ADMIN).manager();
    refused(&app.fake.send(delete("Default")).await, "The default team `default` cannot be deleted");
    refused(&app.fake.send(delete("Ops")).await, "There is no team `Ops`");
    // Renaming to a taken name.
    let rename = Interaction::sub("team", "rename").str("team", "Design").str("name", "engineering").by(ADMIN).manager();
    refused(&app.fake.send(rename).await, "There is already a team called `Engineering`");
    assert_eq!(teams().await, initial, "nothing changed");

    // And the limit itself is fine.
    let r = app.fake.send(create(&"x".repeat(32))).await;
    assert!(r.text().contains("is created"), "{}", r.text());
    assert_eq!(teams().await.len(), 4);
}

#[tokio::test]
async fn deleting_a_team_asks_first_and_only_the_admins_click_deletes_it_with_its_answers_and_schedule() {
    let app = two_teams().await;
    for n in 0..3 {
        app.fake.send(comm(4).by(MEMBER + 10 + n).roles(&[R_ENG]).in_channel(CH_ENG)).await;
    }
    app.fake.send(commitments().str("next", "fix the build").by(M2).roles(&[R_ENG]).in_channel(CH_ENG)).await;
    app.fake.send(comm(5).by(M1).roles(&[R_DESIGN]).in_channel(CH_DESIGN)).await;
    app.fake.send(setup_daily(CH_DESIGN, "10:00").str("team", "Design")).await;
    app.fake.send(setup_daily(CH_ENG, "10:00").str("team", "Engineering")).await;
    let store = app.store().await;
    let eng = counts(&store, ENG).await;
    assert!(eng.checkins >= 3 && eng.commitments == 1, "{eng:?}");
    let design = counts(&store, DESIGN).await;
    let daily_job = |team| JobKey::team(JobKind::Daily, key(team));
    assert!(store.job(daily_job(ENG)).await.unwrap().is_some());

    let ask = || Interaction::sub("team", "delete").str("team", "engineering").by(ADMIN).manager();
    let r = app.fake.send(ask()).await;
    assert!(r.ephemeral(), "{:?}", r.callback);
    let text = r.text();
    assert!(text.contains(&format!("its {} check-ins and {} commitments", eng.checkins, eng.commitments)), "{text}");
    assert!(text.contains(&format!("partner-coach export --guild {GUILD} --team \"Engineering\"")), "{text}");
    let ids = custom_ids(&r);
    assert_eq!(ids.len(), 2, "{ids:?}");
    let (confirm, cancel) = (ids[0].clone(), ids[1].clone());
    assert!(confirm.starts_with(&format!("pc:team-del:{ADMIN}:2:")), "{confirm}");
    assert_eq!(cancel, format!("pc:team-keep:{ADMIN}"));

    // Another admin's click: a private "not yours", nothing deleted, for either button.
    for button in [&confirm, &cancel] {
        let r = app.fake.send(Interaction::button(button).by(ADMIN + 1).manager()).await;
        assert_eq!(r.kind(), 4, "a new private message, the admin's stays: {:?}", r.callback);
        assert!(r.ephemeral() && r.text().contains("belongs to the admin who asked"), "{}", r.text());
    }
    assert_eq!(team_names(&store).await, vec!["default", "Design", "Engineering"]);
    assert_eq!(counts(&store, ENG).await, eng);

    // The admin's own cancel keeps it.
    let r = app.fake.send(Interaction::button(&cancel).by(ADMIN).manager()).await;
    assert_eq!(r.kind(), 7);
    assert!(r.text().contains("Nothing was deleted"), "{}", r.text());
    assert_eq!(counts(&store, ENG).await, eng);

    // The admin's confirm deletes the team, its answers and its schedule.
    let r = app.fake.send(Interaction::button(&confirm).by(ADMIN).manager()).await;
    assert_eq!(r.kind(), 7, "{:?}", r.callback);
    assert!(
        r.text()
            .contains(&format!("Team **Engineering** is deleted, with its {} check-ins and {} commitments", eng.checkins, eng.commitments)),
        "{}",
        r.text()
    );
    assert_eq!(r.data()["components"].as_array().map(Vec::len), Some(0), "the buttons are gone");
    assert_eq!(team_names(&store).await, vec!["default", "Design"]);
    assert_eq!(counts(&store, ENG).await, TeamCounts::default());
    assert!(store.guild_checkins(GuildId(GUILD), Some(ENG)).await.unwrap().is_empty());
    assert!(store.guild_commitments(GuildId(GUILD), Some(ENG)).await.unwrap().is_empty());
    assert_eq!(counts(&store, DESIGN).await, design, "the other team keeps everything");
    assert!(store.job(daily_job(ENG)).await.unwrap().is_none(), "its daily job is gone");
    assert!(store.job(daily_job(DESIGN)).await.unwrap().is_some());

    // Its daily post stops; the other team's goes out.
    app.set_time(at("2026-11-27T10:00:00Z"));
    app.fake.wait_for_messages(CH_DESIGN, 1).await;
    ticks().await;
    assert!(app.fake.messages_in(CH_ENG).is_empty(), "a deleted team posted");
    // A second click deletes nothing more, and the name is unknown now.
    let r = app.fake.send(Interaction::button(&confirm).by(ADMIN).manager()).await;
    assert!(r.text().contains("Nothing was deleted"), "{}", r.text());
    let r = app.fake.send(comm(3).str("team", "Engineering").by(M2).roles(&[R_ENG])).await;
    assert!(r.text().contains("There is no team `Engineering`"), "{}", r.text());
    // Members of its role are back in the default team.
    let r = app.fake.send(comm(3).by(M2).roles(&[R_ENG]).in_channel(CH_ENG)).await;
    assert!(!r.text().contains("several teams"), "{}", r.text());
    assert_eq!(counts(&store, TeamId::DEFAULT).await.checkins, 1);
}

#[tokio::test]
async fn members_join_and_leave_a_team_without_a_role_and_team_list_shows_every_team() {
    let app = two_teams().await;
    let store = app.store().await;
    let r = app.fake.send(Interaction::sub("team", "create").str("name", "Readers").by(ADMIN).manager()).await;
    assert!(r.text().contains("Team **Readers** is created."), "{}", r.text());
    const READERS: TeamId = TeamId(3);
    let m1 = |i: Interaction| i.by(M1).roles(&[R_DESIGN]);

    let list = app.fake.send(m1(Interaction::sub("team", "list"))).await;
    assert!(list.ephemeral());
    let text = list.text();
    for line in [
        "**default**: everyone who is in no other team".to_owned(),
        format!("**Design**: the members with <@&{R_DESIGN}> · home <#{CH_DESIGN}>"),
        format!("**Engineering**: the members with <@&{R_ENG}> · home <#{CH_ENG}>"),
        "**Readers**: 0 joined (`/team join`)".to_owned(),
        "Your teams: **Design**".to_owned(),
    ] {
        assert!(text.contains(&line), "missing {line:?} in {text}");
    }
    assert!(list.pings_nobody());

    // Autocomplete of `team`: the caller's own teams first, then the server's others.
    let r = app.fake.send(Interaction::autocomplete("checkin", Some("communication"), "team", "").by(M2).roles(&[R_ENG])).await;
    let names: Vec<String> = r.choices().into_iter().map(|(name, _)| name).collect();
    assert_eq!(names.first().map(String::as_str), Some("Engineering"), "{names:?}");
    assert_eq!(names.len(), 4, "{names:?}");
    let r = app.fake.send(Interaction::autocomplete("digest", None, "team", "des").by(M2).roles(&[R_ENG])).await;
    assert_eq!(r.choices(), vec![("Design".to_owned(), "Design".to_owned())]);

    let r = app.fake.send(m1(Interaction::sub("team", "join").str("team", "readers"))).await;
    assert!(r.ephemeral() && r.text().contains("You are in team **Readers**"), "{}", r.text());
    let r = app.fake.send(m1(Interaction::sub("team", "join").str("team", "Readers"))).await;
    assert!(r.text().contains("already in team **Readers**"), "{}", r.text());
    assert_eq!(store.joined_teams(GuildId(GUILD), UserId(M1)).await.unwrap(), vec![READERS]);
    let text = app.fake.send(m1(Interaction::sub("team", "list"))).await.text();
    assert!(text.contains("**Readers**: 1 joined") && text.contains("Your teams: **Design**, **Readers**"), "{text}");

    // In two teams now: asked outside their channels, stored where `team:` says.
    let r = app.fake.send(m1(comm(4))).await;
    assert!(r.text().contains("several teams") && r.text().contains("`Readers`"), "{}", r.text());
    app.fake.send(m1(comm(4).str("team", "Readers"))).await;
    assert_eq!(counts(&store, READERS).await.checkins, 1);
    // A member in Readers only: their only team, from anywhere.
    app.fake.send(Interaction::sub("team", "join").str("team", "Readers").by(M4)).await;
    app.fake.send(comm(5).by(M4)).await;
    assert_eq!(counts(&store, READERS).await.checkins, 2);
    assert_eq!(counts(&store, TeamId::DEFAULT).await.checkins, 0);

    let r = app.fake.send(m1(Interaction::sub("team", "leave").str("team", "Readers"))).await;
    assert!(r.text().contains("You left team **Readers**"), "{}", r.text());
    let r = app.fake.send(m1(Interaction::sub("team", "leave").str("team", "Readers"))).await;
    assert!(r.text().contains("You are not in team **Readers**, so there is nothing to leave"), "{}", r.text());
    assert!(store.joined_teams(GuildId(GUILD), UserId(M1)).await.unwrap().is_empty());
    let r = app.fake.send(m1(comm(4).str("team", "Readers"))).await;
    assert!(r.text().contains("You are not in team `Readers`"), "{}", r.text());
    assert_eq!(counts(&store, READERS).await.checkins, 2, "their answer stays the team's, nothing new stored");
    let text = app.fake.send(m1(Interaction::sub("team", "list"))).await.text();
    assert!(text.contains("**Readers**: 1 joined") && text.contains("Your teams: **Design**\n"), "{text}");

    // Renamed, it keeps its members and answers.
    let r = app.fake.send(Interaction::sub("team", "rename").str("team", "Readers").str("name", "Book club").by(ADMIN).manager()).await;
    assert!(r.text().contains("Team **Readers** is now **Book club**"), "{}", r.text());
    let text = app.fake.send(Interaction::sub("team", "list").by(M4)).await.text();
    assert!(text.contains("**Book club**: 1 joined") && text.contains("Your teams: **Book club**") && !text.contains("Readers"), "{text}");
    assert_eq!(counts(&store, READERS).await.checkins, 2);
}

#[tokio::test]
async fn a_member_in_two_teams_gets_one_reminder_a_week_naming_only_the_teams_not_checked_in_to() {
    let app = two_teams().await;
    let both = [R_DESIGN, R_ENG];
    for who in [M3, M4] {
        app.fake.set_member_roles(GUILD, who, &both);
        let r = app.fake.send(Interaction::sub("remind", "on").str("day", "sat").str("time", "10:00").by(who).roles(&both)).await;
        assert!(r.text().contains("sat") && r.text().contains("10:00"), "{}", r.text());
    }
    // M3 checks in to Design only; M4 to both.
    app.fake.send(comm(4).by(M3).roles(&both).in_channel(CH_DESIGN)).await;
    app.fake.send(comm(4).by(M4).roles(&both).in_channel(CH_DESIGN)).await;
    app.fake.send(comm(4).by(M4).roles(&both).in_channel(CH_ENG)).await;

    app.set_time(at("2026-11-28T10:00:00Z"));
    app.fake
        .wait_for("M3's reminder", |i| i.dm_channels.get(&M3).and_then(|c| i.messages.iter().find(|m| m.channel_id == *c)).map(|_| ()))
        .await;
    let reminder = |who| JobKey::member(JobKind::Reminder, GuildId(GUILD), UserId(who));
    assert_eq!(settled(&app, reminder(M4), "2026-W48").await, Some(DeliveryStatus::Skipped), "M4 checked in to both");
    ticks().await;
    let dms = app.fake.dms_to(M3);
    assert_eq!(dms.len(), 1, "one DM, not one per team");
    let text = dms[0].body["content"].as_str().unwrap();
    assert!(text.contains("for **Engineering**") && !text.contains("Design"), "{text}");
    assert!(app.fake.dms_to(M4).is_empty(), "checked in to all their teams");
    assert!(app.fake.count_requests("GET", &format!("/guilds/{GUILD}/members/{M3}")) >= 1, "their roles were asked for");

    // The next week, nobody checked in: one DM each, naming both teams.
    app.set_time(at("2026-12-05T10:00:00Z"));
    app.fake
        .wait_for("M3's second reminder", |i| {
            let c = i.dm_channels.get(&M3)?;
            (i.messages.iter().filter(|m| m.channel_id == *c).count() >= 2).then_some(())
        })
        .await;
    app.fake
        .wait_for("M4's reminder", |i| i.dm_channels.get(&M4).and_then(|c| i.messages.iter().find(|m| m.channel_id == *c)).map(|_| ()))
        .await;
    ticks().await;
    assert_eq!(app.fake.dms_to(M3).len(), 2);
    assert_eq!(app.fake.dms_to(M4).len(), 1);
    for dm in [&app.fake.dms_to(M3)[1], &app.fake.dms_to(M4)[0]] {
        let text = dm.body["content"].as_str().unwrap();
        assert!(text.contains("**Design**") && text.contains("**Engineering**"), "{text}");
    }
}

#[tokio::test]
async fn a_reminder_waits_for_the_members_roles_when_discord_cannot_tell_them_for_now() {
    let app = two_teams().await;
    let both = [R_DESIGN, R_ENG];
    app.fake.set_member_roles(GUILD, M4, &both);
    app.fake.send(Interaction::sub("remind", "on").str("day", "sat").str("time", "10:00").by(M4).roles(&both)).await;
    app.fake.send(comm(4).by(M4).roles(&both).in_channel(CH_DESIGN)).await;
    app.fake.send(comm(4).by(M4).roles(&both).in_channel(CH_ENG)).await;
    // Discord fails the roles lookup once: without the roles the bot cannot know the
    // member's teams, so it must not guess (the default team, "not checked in").
    let member = format!("/guilds/{GUILD}/members/{M4}");
    app.fake.fail_next("GET", &member, 1, 500, 0.0);
    app.set_time(at("2026-11-28T10:00:00Z"));
    app.fake.wait_for("the roles lookup", |i| i.requests.iter().any(|r| r.path.ends_with(&member)).then_some(())).await;
    ticks().await;
    assert!(app.fake.dms_to(M4).is_empty(), "a reminder naming teams the bot could not know: {:?}", app.fake.dms_to(M4));
    // A later attempt, with the roles: they checked in to both teams, so no DM at all.
    app.set_time(at("2026-11-28T10:05:00Z"));
    let reminder = JobKey::member(JobKind::Reminder, GuildId(GUILD), UserId(M4));
    assert_eq!(settled(&app, reminder, "2026-W48").await, Some(DeliveryStatus::Skipped));
    assert!(app.fake.count_requests("GET", &member) >= 2, "asked again");
    assert!(app.fake.dms_to(M4).is_empty());
}

#[tokio::test]
async fn a_paused_team_gets_no_daily_post_and_no_reminder_while_the_other_team_goes_on() {
    let app = two_teams().await;
    app.fake.send(setup_daily(CH_DESIGN, "10:00").str("team", "Design")).await;
    app.fake.send(setup_daily(CH_ENG, "10:00").str("team", "Engineering")).await;
    // Friday to Sunday.
    let r = app.fake.send(Interaction::sub("setup", "pause").str("until", "3").str("team", "Design").by(ADMIN).manager()).await;
    assert!(r.ephemeral() && r.text().contains("Team **Design** is on holiday from 2026-11-27 to 2026-11-29"), "{}", r.text());
    let store = app.store().await;
    assert!(store.team_settings(key(ENG)).await.unwrap().unwrap().pause.is_none(), "the other team works on");
    let both = [R_DESIGN, R_ENG];
    app.fake.set_member_roles(GUILD, M3, &both);
    app.fake.send(Interaction::sub("remind", "on").str("day", "sat").str("time", "11:00").by(M3).roles(&both)).await;

    app.set_time(at("2026-11-27T10:00:00Z"));
    app.fake.wait_for_messages(CH_ENG, 1).await;
    let daily = |team| JobKey::team(JobKind::Daily, key(team));
    assert_eq!(settled(&app, daily(DESIGN), "2026-11-27").await, Some(DeliveryStatus::Skipped));
    assert!(app.fake.messages_in(CH_DESIGN).is_empty(), "a team on holiday got its daily post");
    app.set_time(at("2026-11-28T10:00:00Z"));
    app.fake.wait_for_messages(CH_ENG, 2).await;
    assert_eq!(settled(&app, daily(DESIGN), "2026-11-28").await, Some(DeliveryStatus::Skipped));
    assert!(app.fake.messages_in(CH_DESIGN).is_empty());

    // The reminder names the team that is not on holiday only.
    app.set_time(at("2026-11-28T11:00:00Z"));
    app.fake
        .wait_for("the reminder", |i| i.dm_channels.get(&M3).and_then(|c| i.messages.iter().find(|m| m.channel_id == *c)).map(|_| ()))
        .await;
    let text = app.fake.dms_to(M3)[0].body["content"].as_str().unwrap().to_owned();
    assert!(text.contains("**Engineering**") && !text.contains("Design"), "{text}");

    // The paused team's digest says so; the other team's does not.
    let d = app.fake.send(Interaction::command("digest").str("team", "Design").by(ADMIN).manager()).await;
    assert!(d.text().contains("on holiday from 2026-11-27 to 2026-11-29"), "{}", d.text());
    let e = app.fake.send(Interaction::command("digest").str("team", "Engineering").by(ADMIN).manager()).await;
    assert!(!e.text().contains("holiday"), "{}", e.text());

    // Ended early: Sunday's post goes out again, for both.
    let r = app.fake.send(Interaction::sub("setup", "pause").str("until", "off").str("team", "Design").by(ADMIN).manager()).await;
    assert!(r.text().contains("Team **Design**'s holiday is over"), "{}", r.text());
    app.set_time(at("2026-11-29T10:00:00Z"));
    app.fake.wait_for_messages(CH_DESIGN, 1).await;
    app.fake.wait_for_messages(CH_ENG, 3).await;
    ticks().await;
    assert_eq!((app.fake.messages_in(CH_DESIGN).len(), app.fake.messages_in(CH_ENG).len()), (1, 3));
}

#[tokio::test]
async fn a_command_in_a_thread_of_a_teams_home_channel_is_about_that_team() {
    let app = two_teams().await;
    let store = app.store().await;
    let both = [R_DESIGN, R_ENG];
    let r = app.fake.send(comm(4).by(M3).roles(&both).in_thread(THREAD, CH_ENG)).await;
    assert!(r.ephemeral() && !r.text().contains("several teams"), "{}", r.text());
    assert_eq!((counts(&store, ENG).await.checkins, counts(&store, DESIGN).await.checkins), (1, 0));
    let r = app.fake.send(comm(4).by(M3).roles(&both).in_thread(THREAD + 1, CH_DESIGN)).await;
    assert!(!r.text().contains("several teams"), "{}", r.text());
    assert_eq!(counts(&store, DESIGN).await.checkins, 1);
    // /setup in a thread of a team's channel is about that team, not the default one.
    let show = app.fake.send(Interaction::sub("setup", "show").by(ADMIN).manager().in_thread(THREAD, CH_ENG)).await;
    assert!(show.text().contains("Team: **Engineering**"), "{}", show.text());
    // A thread of a channel that is no team's home: the question.
    let r = app.fake.send(comm(4).by(M3).roles(&both).in_thread(THREAD + 2, CHANNEL)).await;
    assert!(r.text().contains("several teams"), "{}", r.text());
    assert_eq!(store.count_checkins(Some(GuildId(GUILD)), None).await.unwrap(), 2);
}

#[tokio::test]
async fn the_command_line_prints_and_exports_one_teams_data_and_asks_for_a_team_when_there_are_several() {
    let app = two_teams().await;
    seed_both(&app).await;
    app.fake.send(commitments().str("next", "design review").by(M1).roles(&[R_DESIGN])).await;
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_partner-coach"))
            .args(args)
            .env_clear()
            .env("DATABASE_URL", app.database_url())
            .output()
            .unwrap()
    };
    let guild = GUILD.to_string();
    let out = run(&["digest", "--guild", &guild, "--team", "design", "--week", "2026-W48"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("design note") && !text.contains("engineering secret"), "{text}");
    let out = run(&["digest", "--guild", &guild, "--team", "Engineering", "--week", "2026-W48", "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["communication"]["figures"]["answers"], 3, "{json}");
    assert!(!json.to_string().contains("design note"), "{json}");

    // Without --team on a server with several: a non-zero exit naming them.
    let out = run(&["digest", "--guild", &guild, "--week", "2026-W48"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("several teams") && err.contains("\"Design\"") && err.contains("\"Engineering\"") && err.contains("\"default\""),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "no digest printed");
    let out = run(&["digest", "--guild", &guild, "--team", "Ops"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("no team \"Ops\""));

    // One team's export holds its rows only.
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().display().to_string();
    let out = run(&["export", "--guild", &guild, "--team", "ENGINEERING", "--format", "csv", "--out", &out_dir]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let team_column = |csv: &str| -> Vec<String> {
        let mut lines = csv.split("\r\n").filter(|l| !l.is_empty());
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let at = header.iter().position(|h| *h == "team_id").unwrap_or_else(|| panic!("no team_id column: {header:?}"));
        lines.map(|l| l.split(',').nth(at).unwrap().to_owned()).collect()
    };
    let checkins = read(&format!("partner-coach-{GUILD}-team2-checkins.csv"));
    assert_eq!(team_column(&checkins), vec!["2"; 3], "{checkins}");
    assert!(checkins.contains("engineering secret") && !checkins.contains("design note"), "{checkins}");
    let commitments = read(&format!("partner-coach-{GUILD}-team2-commitments.csv"));
    assert!(team_column(&commitments).is_empty() && !commitments.contains("design review"), "{commitments}");
    let out = run(&["export", "--guild", &guild, "--team", "Design", "--format", "json", "--out", &out_dir]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_str(&read(&format!("partner-coach-{GUILD}-team1.json"))).unwrap();
    assert_eq!(doc["teams"].as_array().map(Vec::len), Some(1), "{doc}");
    assert_eq!(doc["teams"][0]["name"], "Design");
    assert!(doc["checkins"].as_array().unwrap().iter().all(|c| c["team_id"] == 1), "{doc}");
    assert_eq!(doc["checkins"].as_array().unwrap().len(), 4);
    assert_eq!(doc["commitments"][0]["text"], "design review");

    // The whole server's, with the team column.
    let out = run(&["export", "--guild", &guild, "--format", "csv", "--out", &out_dir]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut teams = team_column(&read(&format!("partner-coach-{GUILD}-checkins.csv")));
    teams.sort();
    assert_eq!(teams, vec!["1", "1", "1", "1", "2", "2", "2"]);
    assert_eq!(team_column(&read(&format!("partner-coach-{GUILD}-commitments.csv"))), vec!["1"]);
}

#[tokio::test]
async fn a_teams_language_is_its_own() {
    let app = two_teams().await;
    let r = app.fake.send(Interaction::sub("setup", "language").str("language", "vi").str("team", "Design").by(ADMIN).manager()).await;
    assert!(r.ephemeral(), "{:?}", r.callback);
    let list = |channel| Interaction::sub("team", "list").by(M3).roles(&[R_DESIGN, R_ENG]).in_channel(channel);
    let vi = app.fake.send(list(CH_DESIGN)).await;
    assert!(vi.text().contains("Các nhóm trong máy chủ này"), "Design's channel speaks Vietnamese: {}", vi.text());
    let en = app.fake.send(list(CH_ENG)).await;
    assert!(en.text().contains("Teams in this server"), "Engineering's stays English: {}", en.text());
    // A check-in named for a team is answered in that team's language, wherever it is used.
    let both = [R_DESIGN, R_ENG];
    let r = app.fake.send(comm(4).str("team", "Design").by(M3).roles(&both)).await;
    assert!(r.text().contains("Đã lưu check-in giao tiếp"), "{}", r.text());
    let r = app.fake.send(comm(4).str("team", "Engineering").by(M3).roles(&both).in_channel(CH_DESIGN)).await;
    assert!(r.text().contains("Communication check-in saved"), "{}", r.text());
    let store = app.store().await;
    assert!(store.team_settings(key(ENG)).await.unwrap().and_then(|s| s.language).is_none());
}

#[tokio::test]
async fn a_form_whose_team_was_deleted_before_it_was_sent_says_so_and_stores_nothing() {
    let app = two_teams().await;
    let r = app.fake.send(commitments().by(M2).roles(&[R_ENG]).in_channel(CH_ENG)).await;
    assert_eq!(r.kind(), 9, "a modal: {:?}", r.callback);
    let custom_id = r.data()["custom_id"].as_str().unwrap().to_owned();
    // Meanwhile an admin deletes the team.
    let ask = app.fake.send(Interaction::sub("team", "delete").str("team", "Engineering").by(ADMIN).manager()).await;
    let confirm = custom_ids(&ask)[0].clone();
    let r = app.fake.send(Interaction::button(&confirm).by(ADMIN).manager()).await;
    assert!(r.text().contains("is deleted"), "{}", r.text());
    // The member's submit: a clear private answer naming the server's teams, not an apology.
    let r = app.fake.send(Interaction::modal_submit(&custom_id, &[("next", "ship the release")]).by(M2).roles(&[R_ENG])).await;
    assert!(r.ephemeral(), "{:?}", r.callback);
    assert!(r.text().contains("There is no team") && r.text().contains("`Design`"), "{}", r.text());
    let store = app.store().await;
    assert_eq!(store.count_checkins(Some(GuildId(GUILD)), None).await.unwrap(), 0);
    assert!(store.guild_commitments(GuildId(GUILD), None).await.unwrap().is_empty());
}
