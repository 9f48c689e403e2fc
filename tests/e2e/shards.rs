//! Several bot processes on one PostgreSQL database, each running a range of the gateway's
//! shards (`SHARDS` of `SHARD_COUNT`), against a fake Discord that shards as Discord does:
//! each guild's command is answered by the process of its shard and its daily post goes out
//! once; a third process overlapping both (a rolling restart) gets every interaction a second
//! time and drops it; a process killed with SIGKILL loses no answered check-in. `/metrics`
//! and `/healthz` are read as an operator would. And the settings a process refuses at start.
//!
//! Each bot process talks to the fake through an endpoint of its own
//! ([`FakeDiscord::endpoint`]), so the fake knows which process a request or a gateway
//! session is. Processes are started [`crate::fake_discord::IDENTIFY_INTERVAL`] apart, as a
//! rollout must: Discord allows one IDENTIFY per 5 s for the whole bot, and serenity spaces
//! only one process's shards.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use sqlx::Connection;

use crate::fake_discord::interactions::MEMBER;
use crate::fake_discord::{shard_of, FakeDiscord, GuildSpec, Interaction};
use crate::helpers::{backend, Backend, PgDatabase, ProcessBot};

/// Guilds whose shard of 2 is known: `(n << 22) + k` is on shard `n % 2`. Two on each.
const GUILDS: [u64; 4] =
    [(214_576_000_000 << 22) + 17, (214_576_000_001 << 22) + 17, (214_576_000_002 << 22) + 17, (214_576_000_003 << 22) + 17];

/// The database for a test of several processes, or `None` (saying why) when there is none,
/// or on the end-to-end suite's second pass: these tests make their own PostgreSQL database
/// whatever `PC_E2E_BACKEND` says, so they ran in the first pass already.
async fn database(test: &str) -> Option<PgDatabase> {
    if backend() == Backend::Postgres {
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            format!("{test}: skipped on the PostgreSQL pass: it runs its own processes on PostgreSQL in the first pass\n").as_bytes(),
        );
        return None;
    }
    crate::postgres::database(test).await
}

/// A port nothing listens on now, for a process's `METRICS_ADDR`.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// One bot process of the test: its endpoint label, shards and metrics address.
struct Bot {
    label: &'static str,
    process: ProcessBot,
    metrics: String,
}

impl Bot {
    /// Starts `partner-coach run` with `SHARDS=shards` (and `SHARD_COUNT=2` unless
    /// `ask_discord`: then the count comes from `GET /gateway/bot`), through the fake's
    /// endpoint `label`, once the identify rate limit allows.
    async fn start(fake: &FakeDiscord, db: &str, dir: &std::path::Path, label: &'static str, shards: &str, ask_discord: bool) -> Self {
        let api = fake.endpoint(label).await;
        let metrics = format!("127.0.0.1:{}", free_port());
        let mut env = vec![("SHARDS", shards), ("METRICS_ADDR", metrics.as_str())];
        if !ask_discord {
            env.push(("SHARD_COUNT", "2"));
        }
        fake.wait_identify_window().await;
        let process = ProcessBot::spawn_with(&api, db, dir, &env);
        Self { label, process, metrics: format!("http://{metrics}") }
    }

    /// `GET path` on its metrics address: (status, body), or `None` while nothing listens.
    async fn get(&self, path: &str) -> Option<(u16, String)> {
        let r = reqwest::get(format!("{}{path}", self.metrics)).await.ok()?;
        Some((r.status().as_u16(), r.text().await.unwrap_or_default()))
    }

    /// `/metrics`, once it answers.
    async fn metrics(&self) -> String {
        for _ in 0..100 {
            if let Some((200, text)) = self.get("/metrics").await {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{}: /metrics did not answer; log:\n{}", self.label, self.process.logs());
    }
}

/// The sum of the series of `name` whose labels include all of `labels`, in Prometheus text.
fn metric(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let (n, rest) = series.split_once('{').unwrap_or((series, ""));
            (n == name && labels.iter().all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")))).then(|| value.parse::<f64>().ok())?
        })
        .sum()
}

/// The process label that runs `guild`'s shard of 2 in the split: `a` runs 0, `b` runs 1.
fn owner(guild: u64) -> &'static str {
    if shard_of(guild, 2) == 0 {
        "a"
    } else {
        "b"
    }
}

fn setup_daily(guild: u64) -> Interaction {
    Interaction::sub("setup", "daily")
        .channel_opt("channel", guild + 1)
        .str("time", "09:00")
        .str("timezone", "UTC")
        .in_guild(guild)
        .manager()
}

/// Check-in `n`: its commitment is `promise {n}`, by a member of its own.
fn checkin(guild: u64, n: u64) -> Interaction {
    Interaction::sub("checkin", "commitments").str("next", &promise(n)).in_guild(guild).by(MEMBER + n)
}

fn promise(n: u64) -> String {
    format!("promise {n}")
}

/// Makes every team's next daily post due now, as if its day had come: the processes run on
/// the real clock, and the test cannot wait for tomorrow. A day later every claim's lease
/// (`CLAIM_LEASE`, two minutes) would be over too, so the leases end now as well. That
/// matters: a job keeps the claim of the process that last ran it (finishing it does not
/// release it), and a process killed with SIGKILL never releases its claims, so without
/// this its jobs would wait out the lease the test skipped past.
async fn make_daily_due(db: &str) {
    let mut conn = sqlx::PgConnection::connect(db).await.unwrap();
    let now = chrono::Utc::now().timestamp();
    let sql = "UPDATE schedule SET due_at = $1, claimed_until = CASE WHEN claimed_until IS NULL THEN NULL ELSE $1 END WHERE kind = 'daily'";
    let n = sqlx::query(sql).bind(now).execute(&mut conn).await.unwrap().rows_affected();
    assert_eq!(n, GUILDS.len() as u64, "one daily post per guild is scheduled");
    conn.close().await.unwrap();
}

/// How many times each commitment text is stored.
async fn stored_commitments(db: &str) -> BTreeMap<String, i64> {
    let mut conn = sqlx::PgConnection::connect(db).await.unwrap();
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT text, count(*) FROM commitments GROUP BY text").fetch_all(&mut conn).await.unwrap();
    conn.close().await.unwrap();
    rows.into_iter().collect()
}

/// Waits until every guild's channel holds `n` posts, then a few scheduler ticks (one a
/// second) more, and checks that no guild got more: each post once.
async fn posts_are(fake: &FakeDiscord, n: usize) {
    for g in GUILDS {
        fake.wait_for_messages(g + 1, n).await;
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    for g in GUILDS {
        assert_eq!(fake.messages_in(g + 1).len(), n, "guild {g} (shard {}): each daily post once", shard_of(g, 2));
    }
}

/// Who sent the posts in `guild`'s channel, oldest first.
fn posted_via(fake: &FakeDiscord, guild: u64) -> Vec<String> {
    let path = format!("/api/v10/channels/{}/messages", guild + 1);
    fake.requests().into_iter().filter(|r| r.method == "POST" && r.path == path && r.status == 200).map(|r| r.via).collect()
}

#[tokio::test]
async fn processes_split_the_shards_overlap_in_a_rolling_restart_and_survive_a_sigkill() {
    let test = "processes_split_the_shards_overlap_in_a_rolling_restart_and_survive_a_sigkill";
    let Some(pg) = database(test).await else { return };
    let db = pg.url.clone();
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeDiscord::start(GUILDS.iter().map(|g| GuildSpec::new(*g)).collect()).await;
    fake.set_shard_count(2);

    // Split: `a` runs shard 0 (told SHARD_COUNT=2), `b` shard 1 (asks Discord how many).
    let a = Bot::start(&fake, &db, dir.path(), "a", "0-0", false).await;
    fake.wait_connected("a", 0).await;
    let b = Bot::start(&fake, &db, dir.path(), "b", "1-1", true).await;
    fake.wait_connected("b", 1).await;
    let requests = fake.requests();
    let puts: Vec<&str> = requests.iter().filter(|r| r.method == "PUT" && r.path.ends_with("/commands")).map(|r| r.via.as_str()).collect();
    assert_eq!(puts, ["a"], "only the process with shard 0 registers the commands");
    assert!(requests.iter().any(|r| r.via == "b" && r.path == "/api/v10/gateway/bot"), "b asked Discord for the count");
    let sessions: Vec<(String, u32, u32)> = fake.gateway_sessions().into_iter().map(|s| (s.via, s.shard, s.count)).collect();
    assert_eq!(sessions, [("a".to_owned(), 0, 2), ("b".to_owned(), 1, 2)]);

    // Each guild's command reaches the process of its shard only, which answers it.
    for g in GUILDS {
        let reply = fake.send(setup_daily(g)).await;
        assert!(reply.text().contains("Done"), "guild {g}: {}", reply.text());
        assert_eq!(fake.delivered_to(&reply.token), [owner(g)], "guild {g} is on shard {}", shard_of(g, 2));
        assert_eq!(fake.answered_via(&reply.token).as_deref(), Some(owner(g)));
    }
    // A DM has no guild: shard 0.
    let dm = fake.send(Interaction::command("help").in_dm()).await;
    assert_eq!((fake.delivered_to(&dm.token), fake.answered_via(&dm.token)), (vec!["a".to_owned()], Some("a".to_owned())));

    // Each guild's daily post goes out once, from the process of its shard.
    make_daily_due(&db).await;
    posts_are(&fake, 1).await;
    for g in GUILDS {
        assert_eq!(posted_via(&fake, g), [owner(g)], "guild {g}");
    }

    // A third process on both shards while the two run: a rolling restart's overlap. Its
    // health says which shard is not up while serenity waits 5 s before the second.
    let c = Bot::start(&fake, &db, dir.path(), "c", "0-1", false).await;
    fake.wait_connected("c", 0).await;
    let mut partial = None;
    while !fake.shared_state().connected_via("c", 1) {
        // Until READY reaches the handler, shard 0 is not up either.
        match c.get("/healthz").await {
            Some((503, why)) if why == "gateway shard(s) 1 not connected\n" => {
                partial = Some(why);
                break;
            }
            Some((503, _)) | None => tokio::time::sleep(Duration::from_millis(50)).await,
            other => panic!("c is healthy with shard 1 down: {other:?}"),
        }
    }
    assert!(partial.is_some(), "within serenity's 5 s between shards, /healthz said shard 1 was down");
    fake.wait_connected("c", 1).await;
    for bot in [&a, &b, &c] {
        let mut health = bot.get("/healthz").await;
        // READY may still be on its way to the handler that marks the shard connected.
        for _ in 0..40 {
            if matches!(&health, Some((200, _))) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            health = bot.get("/healthz").await;
        }
        assert_eq!(health, Some((200, "ok\n".to_owned())), "{}", bot.label);
    }
    let puts_by_c = fake.requests().iter().filter(|r| r.via == "c" && r.method == "PUT" && r.path.ends_with("/commands")).count();
    assert_eq!(puts_by_c, 1, "c runs shard 0, so it registers the commands too");

    // Every interaction now reaches two processes: answered once, stored once.
    let per_guild = 5u64;
    let mut overlap = Vec::new();
    for (k, g) in GUILDS.into_iter().enumerate() {
        for n in 0..per_guild {
            let n = k as u64 * per_guild + n;
            overlap.push((g, n, fake.dispatch_interaction(&checkin(g, n))));
        }
    }
    for (g, _, token) in &overlap {
        fake.reply_to(token).await;
        let mut to = fake.delivered_to(token);
        to.sort();
        assert_eq!(to, [owner(*g), "c"], "guild {g}: both processes of its shard get it");
        assert_eq!(fake.callback_requests(token).len(), 1, "answered once, by one of them");
    }
    let stored = stored_commitments(&db).await;
    for (_, n, _) in &overlap {
        assert_eq!(stored.get(&promise(*n)), Some(&1), "check-in {n} stored once");
    }

    // The overlap's posts: still one each.
    make_daily_due(&db).await;
    posts_are(&fake, 2).await;

    // What an operator sees: every interaction counted once as handled (`ok`) by the process
    // that won its claim and once as `dropped` by the other; the shards connected.
    let command = ("command", "checkin commitments");
    let texts = [a.metrics().await, b.metrics().await, c.metrics().await];
    let handled = |t: &str, outcome: &str| metric(t, "partner_coach_interactions_total", &[command, ("outcome", outcome)]);
    let total = (GUILDS.len() as u64 * per_guild) as f64;
    assert_eq!(texts.iter().map(|t| handled(t, "ok")).sum::<f64>(), total, "each handled once");
    assert_eq!(texts.iter().map(|t| handled(t, "dropped")).sum::<f64>(), total, "and dropped once by the other process");
    let seen = |t: &str| handled(t, "ok") + handled(t, "dropped");
    assert_eq!((seen(&texts[0]), seen(&texts[1]), seen(&texts[2])), (total / 2.0, total / 2.0, total), "a and b each half, c all");
    assert_eq!(metric(&texts[0], "partner_coach_interactions_total", &[("command", "setup daily"), ("outcome", "ok")]), 2.0);
    for (text, shards) in [(&texts[0], &["0"][..]), (&texts[1], &["1"][..]), (&texts[2], &["0", "1"][..])] {
        for shard in shards {
            assert_eq!(metric(text, "partner_coach_shard_connected", &[("shard", shard)]), 1.0, "shard {shard}:\n{text}");
        }
        assert!(text.contains("partner_coach_build_info{version=\""), "{text}");
        assert!(text.contains("partner_coach_interaction_duration_seconds_bucket{command=\"checkin commitments\""), "{text}");
    }
    assert_eq!(metric(&texts[1], "partner_coach_shard_connected", &[("shard", "0")]), 0.0, "b has no shard 0 series");
    let sent: f64 = texts.iter().map(|t| metric(t, "partner_coach_deliveries_total", &[("kind", "daily"), ("result", "sent")])).sum();
    assert_eq!(sent, 2.0 * GUILDS.len() as f64, "every daily post counted once, by the process that sent it");

    // `b` is killed in the middle of check-ins on its shard, some of them still in its hands
    // (claimed, not answered: those are lost, as with one process). `c` runs that shard too:
    // whatever comes after the kill is answered, by `c`.
    let mut burst = Vec::new();
    for n in 100..130u64 {
        let g = GUILDS[(n % 4) as usize];
        burst.push((g, n, fake.dispatch_interaction(&checkin(g, n))));
    }
    // Once b has answered one, the rest of its share is on its way through it (unless `c`
    // won every claim: then there is nothing of b's to lose).
    fake.wait_for("b answering in the burst", |i| {
        let by = |t: &String| i.interactions[t].answered_via.clone();
        let by_b = burst.iter().any(|(_, _, t)| by(t).as_deref() == Some("b"));
        let all = burst.iter().all(|(_, _, t)| by(t).is_some());
        (by_b || all).then_some(())
    })
    .await;
    b.process.kill9().await;
    let mut after_kill = Vec::new();
    for n in 130..160u64 {
        let g = GUILDS[(n % 4) as usize];
        after_kill.push((g, n, fake.dispatch_interaction(&checkin(g, n))));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for (g, n, token) in &after_kill {
        fake.reply_to(token).await;
        let by = fake.answered_via(token).unwrap();
        assert!(if shard_of(*g, 2) == 1 { by == "c" } else { by == "a" || by == "c" }, "check-in {n} answered by {by}");
    }
    // The answers that were going to come have come within Discord's 3 s.
    tokio::time::sleep(Duration::from_secs(3)).await;
    burst.extend(after_kill);
    let answered: BTreeSet<String> = burst
        .iter()
        .filter(|(_, _, t)| fake.answered_via(t).is_some())
        .map(|(_, n, t)| {
            assert_eq!(fake.callback_requests(t).len(), 1, "check-in {n} answered once");
            promise(*n)
        })
        .collect();
    let stored = stored_commitments(&db).await;
    let missing: Vec<&String> = answered.iter().filter(|t| stored.get(*t) != Some(&1)).collect();
    assert!(missing.is_empty(), "answered but not stored once: {missing:?}");

    // Restarted: `b` again on shard 1, beside `c`.
    let b2 = Bot::start(&fake, &db, dir.path(), "b2", "1-1", false).await;
    fake.wait_connected("b2", 1).await;
    let mut after = Vec::new();
    for (k, g) in GUILDS.into_iter().filter(|g| shard_of(*g, 2) == 1).enumerate() {
        for n in 0..per_guild {
            after.push(fake.dispatch_interaction(&checkin(g, 200 + k as u64 * per_guild + n)));
        }
    }
    for token in &after {
        fake.reply_to(token).await;
        assert_eq!(fake.callback_requests(token).len(), 1);
        let mut to = fake.delivered_to(token);
        to.sort();
        assert_eq!(to, ["b2", "c"]);
    }
    make_daily_due(&db).await;
    posts_are(&fake, 3).await;
    let stored = stored_commitments(&db).await;
    assert!(stored.values().all(|n| *n == 1), "nothing stored twice: {stored:?}");
    let number = |t: &String| t.strip_prefix("promise ").and_then(|n| n.parse::<u64>().ok());
    assert_eq!(
        stored.keys().filter(|t| number(t).is_some_and(|n| n >= 200)).count(),
        after.len(),
        "every check-in after the restart stored"
    );
    assert!(b2.metrics().await.contains("partner_coach_shard_connected{shard=\"1\"} 1"));

    // A graceful hand-over: `a` is told to stop (SIGTERM, as systemd or a rollout does) in
    // the middle of check-ins on shard 0, which `c` runs too. Nothing is lost: each one is
    // answered once, by whichever claimed it, and `a` finishes what it took before it goes.
    let mut a = a;
    let pid = a.process.child.id().expect("a runs").to_string();
    let shard0: Vec<u64> = GUILDS.into_iter().filter(|g| shard_of(*g, 2) == 0).collect();
    let mut handover = Vec::new();
    for n in 300..340u64 {
        let g = shard0[(n % 2) as usize];
        handover.push((n, fake.dispatch_interaction(&checkin(g, n))));
        if n == 310 {
            let term = std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap();
            assert!(term.success());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for (n, token) in &handover {
        fake.reply_to(token).await;
        assert_eq!(fake.callback_requests(token).len(), 1, "check-in {n} answered once");
    }
    let exit = tokio::time::timeout(Duration::from_secs(20), a.process.child.wait()).await.expect("a stopped").unwrap();
    assert!(exit.success(), "a stopped cleanly: {exit:?}\n{}", a.process.logs());
    assert!(a.process.logs().contains("shutting down"), "{}", a.process.logs());
    let stored = stored_commitments(&db).await;
    for (n, _) in &handover {
        assert_eq!(stored.get(&promise(*n)), Some(&1), "check-in {n} stored once");
    }
    let by_a = handover.iter().filter(|(_, t)| fake.answered_via(t).as_deref() == Some("a")).count();
    let by_c = handover.iter().filter(|(_, t)| fake.answered_via(t).as_deref() == Some("c")).count();
    assert_eq!(by_a + by_c, handover.len(), "answered by a (before it went) or c");

    // Every post on its own day, once: three days, three deliveries sent per guild.
    let mut conn = sqlx::PgConnection::connect(&db).await.unwrap();
    let days: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT guild_id, count(DISTINCT period) FROM deliveries WHERE kind = 'daily' AND status = 'sent' GROUP BY guild_id",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    assert_eq!(days.len(), GUILDS.len());
    assert!(days.iter().all(|(_, n)| *n == 3), "{days:?}");
    fake.assert_clean();
}

/// `partner-coach run` with `env` (and the fake's URL and a token) on `db`: (exit success,
/// stderr), within 20 s.
async fn run_refused(fake: &FakeDiscord, db: &str, env: &[(&str, &str)]) -> (bool, String) {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_partner-coach"));
    cmd.arg("run")
        .env_clear()
        .env("DISCORD_TOKEN", crate::fake_discord::TOKEN)
        .env("DISCORD_API_URL", fake.api_url())
        .env("DATABASE_URL", db)
        .envs(env.iter().copied())
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(20), cmd.output()).await.expect("the bot stopped at start").unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The lines of stderr that say what went wrong (not the log's INFO lines): exactly one.
fn the_error_line(stderr: &str) -> String {
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:") || l.contains(" ERROR ")).collect();
    assert_eq!(errors.len(), 1, "one line says what is wrong:\n{stderr}");
    errors[0].to_owned()
}

#[tokio::test]
async fn a_partial_shard_range_on_sqlite_and_a_bad_shards_value_stop_the_bot_with_one_clear_line() {
    let fake = FakeDiscord::start(vec![GuildSpec::new(GUILDS[0])]).await;
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("pc.db").display());

    // Several processes share their work through the database: not a SQLite file.
    let (ok, stderr) = run_refused(&fake, &sqlite, &[("SHARD_COUNT", "2"), ("SHARDS", "0-0")]).await;
    assert!(!ok, "{stderr}");
    let line = the_error_line(&stderr);
    assert!(line.contains("SHARDS=0-0") && line.contains("PostgreSQL") && line.contains("DATABASE_URL"), "{line}");

    // Every shard in one process is fine on SQLite; nothing else would be.
    for (env, says) in [
        (vec![("SHARDS", "3-1")], "runs backwards"),
        (vec![("SHARD_COUNT", "8"), ("SHARDS", "9")], "names shard 9, but there are 8 shards (0 to 7)"),
        (vec![("SHARDS", "shard one")], "is not a shard"),
        (vec![("SHARD_COUNT", "zero")], "SHARD_COUNT=\"zero\""),
    ] {
        let (ok, stderr) = run_refused(&fake, &sqlite, &env).await;
        assert!(!ok, "{env:?}: {stderr}");
        let line = the_error_line(&stderr);
        assert!(line.contains(says), "{env:?}: {line}");
    }
    // A range beyond the count Discord recommends (SHARD_COUNT unset): found once it asked.
    fake.set_shard_count(8);
    let (ok, stderr) = run_refused(&fake, &sqlite, &[("SHARDS", "9")]).await;
    assert!(!ok, "{stderr}");
    assert!(the_error_line(&stderr).contains("names shard 9, but there are 8 shards (0 to 7)"), "{stderr}");
    assert_eq!(fake.count_requests("GET", "/gateway/bot"), 1, "it asked Discord");
    // None of them got as far as the gateway or the commands.
    assert!(fake.identify_log().is_empty() && fake.shared_command_puts() == 0, "refused before connecting");
}
