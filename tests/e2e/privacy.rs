//! Members own their data: /mydata, /forget, retention, guild isolation, the export.

use std::time::Duration;

use partner_coach::domain::ids::{GuildId, UserId};
use serde_json::Value;

use crate::fake_discord::interactions::{GUILD, MEMBER};
use crate::fake_discord::{GuildSpec, Interaction};
use crate::helpers::{at, TestApp};

const OTHER: u64 = 900_000_000_000_000_300;
const B: u64 = MEMBER + 1;

fn comm(rating: i64, note: &str) -> Interaction {
    Interaction::sub("checkin", "communication").int("rating", rating).str("went_well", note)
}

fn custom_ids(reply: &crate::fake_discord::interactions::Reply) -> Vec<String> {
    reply.data()["components"][0]["components"].as_array().unwrap().iter().map(|b| b["custom_id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn mydata_holds_exactly_the_callers_rows_in_this_guild() {
    let app = TestApp::spawn_with(vec![GuildSpec::new(GUILD), GuildSpec::new(OTHER)]).await;
    app.fake.send(comm(4, "mine here")).await;
    app.fake.send(Interaction::sub("checkin", "commitments").str("next", "my promise").user_opt("partner", B)).await;
    app.fake.send(comm(2, "someone else's note").by(B)).await;
    app.fake.send(comm(5, "mine elsewhere").in_guild(OTHER)).await;

    let reply = app.fake.send(Interaction::command("mydata")).await;
    assert!(reply.ephemeral());
    assert!(reply.text().contains("2 check-in(s) and 1 commitment(s)"), "{}", reply.text());
    assert_eq!(reply.files.len(), 1);
    let (name, bytes) = &reply.files[0];
    assert!(name.ends_with(".json"));
    let raw = String::from_utf8(bytes.clone()).unwrap();
    assert!(raw.contains("\n  \""), "pretty-printed");
    let doc: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(doc["user_id"], MEMBER.to_string());
    assert_eq!(doc["guild_id"], GUILD.to_string());
    let checkins = doc["checkins"].as_array().unwrap();
    assert_eq!(checkins.len(), 2);
    let (me, here) = (MEMBER.to_string(), GUILD.to_string());
    assert!(checkins.iter().all(|c| c["user_id"] == me && c["guild_id"] == here));
    assert_eq!(doc["commitments"][0]["text"], "my promise");
    assert!(doc["fields"]["checkins"].as_str().unwrap().contains("rating"), "documented field names");
    assert!(!raw.contains("someone else's note") && !raw.contains("mine elsewhere"));
    assert!(checkins[0]["created_at"].as_str().unwrap().starts_with("2026-11-27T09:00:00"), "readable times");
}

#[tokio::test]
async fn mydata_includes_the_members_scheduled_reminder_and_its_delivery_records() {
    let app = TestApp::spawn().await;
    app.fake.send(Interaction::sub("remind", "on").str("day", "sat").str("time", "10:00")).await;
    app.fake.send(Interaction::sub("remind", "on").str("day", "sat").str("time", "10:00").by(B)).await;
    app.set_time(crate::helpers::at("2026-11-28T10:00:00Z"));
    app.fake.wait_for("the reminder", |i| i.dm_channels.contains_key(&MEMBER).then_some(())).await;
    let doc = loop {
        let reply = app.fake.send(Interaction::command("mydata")).await;
        let doc: Value = serde_json::from_slice(&reply.files[0].1).unwrap();
        if doc["deliveries"].as_array().is_some_and(|d| d.iter().any(|d| d["status"] == "sent")) {
            break doc;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let deliveries = doc["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 1, "only the caller's own: {deliveries:?}");
    assert_eq!((deliveries[0]["kind"].as_str(), deliveries[0]["period"].as_str()), (Some("reminder"), Some("2026-W48")));
    let scheduled = doc["scheduled"].as_array().unwrap();
    assert_eq!(scheduled.len(), 1);
    assert_eq!(scheduled[0]["kind"], "reminder");
    assert!(scheduled[0]["due_at"].as_str().unwrap().starts_with("2026-12-05T10:00:00"), "{scheduled:?}");
    assert!(doc["fields"]["deliveries"].as_str().is_some() && doc["fields"]["scheduled"].as_str().is_some());
}

#[tokio::test]
async fn forget_deletes_only_after_the_owners_own_click() {
    let app = TestApp::spawn().await;
    for n in [MEMBER, B, B + 1] {
        app.fake.send(comm(4, "fine").by(n)).await;
    }
    app.fake.send(Interaction::sub("checkin", "commitments").str("next", "x")).await;
    let reply = app.fake.send(Interaction::command("forget")).await;
    assert!(reply.ephemeral());
    assert!(reply.text().contains("2 check-in(s), 1 commitment(s)"), "{}", reply.text());
    let ids = custom_ids(&reply);
    let (confirm, cancel) = (&ids[0], &ids[1]);

    // Someone else's click: refused privately, nothing deleted.
    let r = app.fake.send(Interaction::button(confirm).by(B)).await;
    assert_eq!(r.kind(), 4);
    assert!(r.ephemeral() && r.text().contains("belongs to the member who asked"), "{}", r.text());
    let store = app.store().await;
    assert_eq!(store.member_counts(GuildId(GUILD), UserId(MEMBER)).await.unwrap(), (2, 1));

    // Cancel keeps everything.
    let r = app.fake.send(Interaction::button(cancel)).await;
    assert_eq!(r.kind(), 7);
    assert!(r.text().contains("Nothing was deleted"));
    assert_eq!(store.member_counts(GuildId(GUILD), UserId(MEMBER)).await.unwrap(), (2, 1));

    // The owner's click deletes, says how many rows went, and removes the buttons.
    let r = app.fake.send(Interaction::button(confirm)).await;
    assert_eq!(r.kind(), 7);
    assert!(r.text().contains("Deleted 2 check-in(s) and 1 commitment(s)"), "{}", r.text());
    assert_eq!(r.data()["components"].as_array().map(Vec::len), Some(0));
    assert_eq!(store.member_counts(GuildId(GUILD), UserId(MEMBER)).await.unwrap(), (0, 0));
    assert_eq!(store.member_counts(GuildId(GUILD), UserId(B)).await.unwrap(), (1, 0));
    // The digest no longer counts them.
    let d = app.fake.send(Interaction::command("digest").manager().by(B + 5)).await;
    assert!(d.text().contains("Not enough answers yet"), "{}", d.text());
}

#[tokio::test]
async fn a_forget_click_after_15_minutes_is_refused() {
    let app = TestApp::spawn().await;
    app.fake.send(comm(4, "fine")).await;
    let reply = app.fake.send(Interaction::command("forget")).await;
    let confirm = custom_ids(&reply)[0].clone();
    app.set_time(at("2026-11-27T09:16:00Z"));
    let r = app.fake.send(Interaction::button(&confirm)).await;
    assert!(r.text().contains("expired"), "{}", r.text());
    assert_eq!(app.store().await.member_counts(GuildId(GUILD), UserId(MEMBER)).await.unwrap(), (1, 0));
}

#[tokio::test]
async fn retention_deletes_only_what_is_older_than_the_limit() {
    let app = TestApp::spawn().await;
    let r = app.fake.send(Interaction::sub("setup", "retention").int("weeks", 1).manager()).await;
    assert!(r.text().contains("older than 1 weeks"), "{}", r.text());
    app.fake.send(comm(4, "old")).await;
    app.set_time(at("2026-12-05T09:00:00Z"));
    app.fake.send(comm(5, "new")).await;
    let show = app.fake.send(Interaction::sub("setup", "show").manager()).await;
    assert!(show.text().contains("Retention: 1"), "{}", show.text());
    // The clean-up runs once a day at 03:17 UTC.
    app.set_time(at("2026-12-06T03:17:00Z"));
    let store = app.store().await;
    let mut left = 2;
    // Two ticks: one moves the job from the missed day to today, the next runs it. On a loaded
    // machine that can take more than a few seconds; the wait ends as soon as it is done.
    for _ in 0..400 {
        left = store.member_counts(GuildId(GUILD), UserId(MEMBER)).await.unwrap().0;
        if left == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(left, 1);
    assert_eq!(store.member_checkins(GuildId(GUILD), UserId(MEMBER)).await.unwrap()[0].went_well.as_deref(), Some("new"));
}

#[tokio::test]
async fn a_lead_of_one_guild_never_sees_another_guilds_figures_or_notes() {
    // The same role id exists in guild B only; a role of guild B is refused in guild A.
    let app = TestApp::spawn_with(vec![GuildSpec::new(GUILD), GuildSpec::new(OTHER).role(4_242, "leads")]).await;
    // The same three members answer in both guilds, very differently.
    for n in 0..3 {
        app.fake.send(comm(5, &format!("guild A note {n}")).by(MEMBER + n)).await;
        app.fake.send(comm(1, &format!("guild B secret {n}")).by(MEMBER + n).in_guild(OTHER)).await;
    }
    let a = app.fake.send(Interaction::command("digest").manager()).await;
    assert!(a.text().contains("mean 5.0/5") && a.text().contains("guild A note"), "{}", a.text());
    assert!(!a.text().contains("guild B secret"));
    let b = app.fake.send(Interaction::command("digest").manager().in_guild(OTHER)).await;
    assert!(b.text().contains("mean 1.0/5") && !b.text().contains("guild A note"), "{}", b.text());
    // A member's own views stay in their guild too.
    let c = app.fake.send(Interaction::command("mydata").in_guild(OTHER)).await;
    let raw = String::from_utf8(c.files[0].1.clone()).unwrap();
    assert!(raw.contains("guild B secret 0") && !raw.contains("guild A note"));
    // A lead of guild B (its lead role) is no lead in guild A, even with the same role id.
    const B_LEADS: u64 = 4_242;
    let set = app.fake.send(Interaction::sub("setup", "lead-role").role_opt("role", B_LEADS).manager().in_guild(OTHER)).await;
    assert!(set.text().contains("Done"), "{}", set.text());
    let lead_b = || Interaction::command("digest").by(MEMBER + 9).roles(&[B_LEADS]);
    let in_b = app.fake.send(lead_b().in_guild(OTHER)).await;
    assert!(in_b.text().contains("mean 1.0/5"), "the lead reads guild B's digest: {}", in_b.text());
    let in_a = app.fake.send(lead_b()).await;
    assert!(in_a.text().contains("Only team leads") && !in_a.text().contains("mean"), "{}", in_a.text());
}

#[tokio::test]
async fn the_export_writes_rfc_4180_csv_per_table_and_json() {
    let app = TestApp::spawn().await;
    app.fake.send(comm(4, "said \"hi\", then\nleft")).await;
    app.fake.send(Interaction::sub("checkin", "commitments").str("next", "Gửi bản nháp, hôm nay")).await;
    // Notes a spreadsheet would run as formulas (OWASP's CSV injection).
    let (link, sum) = ("=HYPERLINK(\"http://x\",\"y\")", "@SUM(A1)");
    app.fake.send(comm(5, link).str("improve", sum).by(B)).await;
    let dir = tempfile::tempdir().unwrap();
    let run = |format: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_partner-coach"))
            .args(["export", "--guild", &GUILD.to_string(), "--format", format, "--out", &dir.path().display().to_string()])
            .env_clear()
            .env("DATABASE_URL", app.database_url())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let written = run("csv");
    assert_eq!(written.lines().count(), 5, "check-ins, commitments, partner answers, charter, thanks: {written}");
    let thanks = std::fs::read_to_string(dir.path().join(format!("partner-coach-{GUILD}-thanks.csv"))).unwrap();
    assert!(thanks.starts_with("id,team_id,from_id,to_id,note,"), "{thanks}");
    let partners = std::fs::read_to_string(dir.path().join(format!("partner-coach-{GUILD}-partner-answers.csv"))).unwrap();
    assert!(partners.starts_with("commitment_id,team_id,user_id,partner_id,agreement,"), "{partners}");
    let checkins = std::fs::read_to_string(dir.path().join(format!("partner-coach-{GUILD}-checkins.csv"))).unwrap();
    assert!(checkins.starts_with("id,guild_id,team_id,user_id,kind,"), "{checkins}");
    assert!(checkins.contains("\"said \"\"hi\"\", then\nleft\""), "{checkins}");
    assert!(checkins.contains("\r\n"));
    let commitments = std::fs::read_to_string(dir.path().join(format!("partner-coach-{GUILD}-commitments.csv"))).unwrap();
    assert!(commitments.contains("\"Gửi bản nháp, hôm nay\""), "{commitments}");
    // Neutralised with a leading quote, then quoted per RFC 4180 where the cell needs it.
    let row = checkins.split("\r\n").find(|l| l.contains("HYPERLINK")).unwrap_or_else(|| panic!("{checkins}"));
    assert!(row.contains(",\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",'@SUM(A1),"), "{row}");
    assert!(!checkins.contains(",=") && !checkins.contains(",@"), "no cell starts like a formula: {checkins}");
    run("json");
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(format!("partner-coach-{GUILD}.json"))).unwrap()).unwrap();
    let json_checkins = doc["checkins"].as_array().unwrap();
    assert_eq!(json_checkins.len(), 3);
    assert_eq!(doc["commitments"].as_array().unwrap().len(), 1);
    assert_eq!(doc["partner_answers"], serde_json::json!([]));
    assert_eq!((doc["charter_items"].clone(), doc["thanks"].clone()), (serde_json::json!([]), serde_json::json!([])));
    let noted = json_checkins.iter().find(|c| c["improve"] == sum).expect("the exact note");
    assert_eq!(noted["went_well"], link, "JSON keeps the member's exact text");
}
