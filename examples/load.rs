//! Load driver: the real bot (release binary, its own process) against the fake Discord,
//! slash commands from many members across many guilds at a set rate.
//!
//! ```sh
//! cargo build --release && cargo run --release --example load -- --rate 500 --secs 60
//! cargo run --release --example load -- --find-max          # highest rate with p99 <= 20 ms
//! cargo run --release --example load -- --idle-guilds 1000  # memory with 1,000 guilds cached
//! cargo run --release --example load -- --teams 0          # every guild only its default team
//! cargo run --release --example load -- --teams 0 --bot /work/base-target/release/partner-coach
//! cargo run --release --example load -- --partners  # half the commitments name a partner; every team has a board
//! cargo run --release --example load -- --database postgres://postgres@127.0.0.1:5432/postgres   # the bot on PostgreSQL
//! cargo run --release --example load -- --database sqlite --database postgres://…   # both, one after the other, compared
//! cargo run --release --example load -- --processes 2 --database postgres://…   # two bot processes, a shard each
//! cargo run --release --example load -- --secs 0 --due-posts 10000   # 10,000 daily posts due at one minute, Discord's global limit enforced
//! ```
//! `--database` is `sqlite` (the default: a fresh file in a temporary folder) or the URL of a
//! PostgreSQL server and a role that may create databases: the driver creates a fresh
//! database there for the run, gives the bot its URL, and drops it at the end. Given more
//! than once, the same load runs on each in turn, each with its own fake Discord and bot,
//! and the report ends with their CPU per interaction side by side. On PostgreSQL part of the
//! work is in the server's processes, not the bot's: the report gives the CPU of the server
//! processes serving the bot's connections apart.
//! By default each guild has four teams besides its default one (`/team create` with a role,
//! sent before the load): a member is in one of the five, by their role, and every command
//! that acts on a team is about theirs (half of the check-ins name it with `team`, the others
//! leave it to the caller's only team). `--teams 0` is the mix from before teams, which an
//! older build of the bot (`--bot`) also runs.
//! Latency is measured by the fake from dispatching INTERACTION_CREATE to receiving the
//! bot's callback. CPU comes from /proc for both processes, so the report shows the bot's
//! cost apart from the driver's (the fake, the validator and this loop).

// The fake's GUILD_CREATE payload is one large `json!` literal.
#![recursion_limit = "256"]

#[path = "../tests/e2e/fake_discord/mod.rs"]
#[allow(dead_code)]
mod fake_discord;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use fake_discord::interactions::MEMBER;
use fake_discord::{FakeDiscord, GuildSpec, Interaction};

struct Args {
    rate: u64,
    secs: u64,
    guilds: u64,
    members: u64,
    idle_guilds: u64,
    find_max: bool,
    validate: bool,
    /// Only one kind of interaction (communication, commitment, principle, commitments, digest).
    only: Option<String>,
    /// Teams per guild besides the default one.
    teams: u64,
    /// The bot binary to run (default: the partner-coach next to this driver).
    bot: Option<PathBuf>,
    /// Half the commitments name a partner (who gets a DM), and every team has a board.
    partners: bool,
    /// Guilds whose daily posts all fall due at the same minute, against a fake Discord that
    /// enforces the global REST limit (50/s): how long they take to drain.
    due_posts: u64,
    /// Bot processes, each running one of as many gateway shards (`SHARD_COUNT`, `SHARDS`), on
    /// one database (PostgreSQL past one).
    processes: u32,
    /// The databases to run the bot on, in turn (default: SQLite).
    databases: Vec<DbChoice>,
}

/// Where the bot's database lives for one run.
#[derive(Clone, Debug)]
enum DbChoice {
    /// A fresh SQLite file.
    Sqlite,
    /// A fresh database on this PostgreSQL server (the URL of a role that may create one).
    Postgres(String),
}

impl DbChoice {
    fn parse(v: &str) -> Self {
        if v == "sqlite" {
            DbChoice::Sqlite
        } else if v.starts_with("postgres://") || v.starts_with("postgresql://") {
            DbChoice::Postgres(v.to_owned())
        } else {
            panic!("--database {v}: use sqlite or postgres://user@host:port/db (a server where the role may create databases)")
        }
    }

    fn name(&self) -> &'static str {
        match self {
            DbChoice::Sqlite => "SQLite",
            DbChoice::Postgres(_) => "PostgreSQL",
        }
    }
}

fn args() -> Args {
    let mut a = Args {
        rate: 500,
        secs: 60,
        guilds: 20,
        members: 100,
        idle_guilds: 0,
        processes: 1,
        due_posts: 0,
        find_max: false,
        validate: true,
        only: None,
        teams: 4,
        bot: None,
        partners: false,
        databases: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut num = || it.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{k} needs a number"));
        match k.as_str() {
            "--rate" => a.rate = num(),
            "--secs" => a.secs = num(),
            "--guilds" => a.guilds = num(),
            "--members" => a.members = num(),
            "--idle-guilds" => a.idle_guilds = num(),
            "--processes" => a.processes = num() as u32,
            "--due-posts" => a.due_posts = num(),
            "--find-max" => a.find_max = true,
            "--no-validate" => a.validate = false,
            "--only" => a.only = it.next(),
            "--teams" => a.teams = num(),
            "--bot" => a.bot = Some(it.next().expect("--bot needs a path").into()),
            "--partners" => a.partners = true,
            "--database" => a.databases.push(DbChoice::parse(&it.next().expect("--database needs sqlite or a postgres:// URL"))),
            "--help" | "-h" => {
                println!(
                    "load [--rate N/s] [--secs N] [--guilds N] [--members N per guild] [--idle-guilds N] [--due-posts N] [--processes N] [--teams N per guild] [--partners] [--bot PATH] [--database sqlite|postgres://… (repeatable)] [--find-max] [--no-validate]"
                );
                std::process::exit(0);
            }
            other => panic!("unknown argument {other}"),
        }
    }
    if a.databases.is_empty() {
        a.databases.push(DbChoice::Sqlite);
    }
    a
}

/// Guild `n`'s id: one step of the shard bits apart (`id >> 22`), so consecutive guilds fall
/// on consecutive shards, as real guilds spread evenly.
fn guild_id(n: u64) -> u64 {
    910_000_000_000_000_000 + (n << 22)
}

/// Guild `n` of `--due-posts` (its `general` channel is the id + 1).
fn due_guild(n: u64) -> u64 {
    980_000_000_000_000_000 + n * 1000
}

/// `--due-posts`: every one of `n` guilds sets its daily post for the same minute; Discord's
/// global limit is enforced from then on; reports how long the posts took from that minute to
/// the last, how many requests met the limit, and that each went out once.
async fn due_posts(fake: &FakeDiscord, n: u64) {
    use chrono::Timelike;
    // Two minutes ahead, on the minute: time to set every guild up first.
    let due = chrono::Utc::now() + chrono::Duration::minutes(2);
    let due = due.with_second(0).unwrap().with_nanosecond(0).unwrap();
    let time = format!("{:02}:{:02}", due.hour(), due.minute());
    let t = Instant::now();
    let ids: Vec<u64> = (0..n).collect();
    for chunk in ids.chunks(200) {
        futures::future::join_all(chunk.iter().map(|g| {
            let setup = Interaction::sub("setup", "daily")
                .channel_opt("channel", due_guild(*g) + 1)
                .str("time", &time)
                .str("timezone", "UTC")
                .manager()
                .in_guild(due_guild(*g));
            fake.send(setup)
        }))
        .await;
    }
    println!("{n} daily posts set for {time} UTC in {:.1} s", t.elapsed().as_secs_f64());
    fake.set_global_limit(50);
    let wait = (due - chrono::Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait).await;
    let started = Instant::now();
    let channels: std::collections::HashSet<u64> = (0..n).map(|g| due_guild(g) + 1).collect();
    let count = || fake.shared_state().messages.iter().filter(|m| channels.contains(&m.channel_id)).count() as u64;
    let mut last;
    loop {
        let sent = count();
        last = sent;
        if sent >= n || started.elapsed() > Duration::from_secs(30 * 60) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let drained = started.elapsed();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let per_channel = {
        let i = fake.shared_state();
        let mut per: std::collections::HashMap<u64, u64> = Default::default();
        for m in i.messages.iter().filter(|m| channels.contains(&m.channel_id)) {
            *per.entry(m.channel_id).or_default() += 1;
        }
        per
    };
    let twice = per_channel.values().filter(|c| **c > 1).count();
    println!(
        "{} of {n} posts out {:.1} s after they were due ({:.1}/s); {} requests met the global limit; {} channels got more than one",
        last,
        drained.as_secs_f64(),
        last as f64 / drained.as_secs_f64().max(0.001),
        fake.global_429s(),
        twice
    );
}

/// The role of team `k` (1-based) of guild `g`; its holders are the team.
fn team_role(g: u64, k: u64) -> u64 {
    guild_id(g) + 100 + k
}

/// Creates `teams` teams with a role in every load guild.
async fn create_teams(fake: &FakeDiscord, a: &Args) {
    for g in 0..a.guilds {
        for k in 1..=a.teams {
            let create = Interaction::sub("team", "create").str("name", &format!("team-{k}")).role_opt("role", team_role(g, k)).manager();
            let r = fake.send(create.in_guild(guild_id(g))).await;
            assert!(r.text().contains(&format!("**team-{k}**")), "creating team-{k} in guild {g}: {}", r.text());
        }
    }
}

/// The channel of guild `g`'s boards (each team's weekly thread opens there).
fn board_channel(g: u64) -> u64 {
    guild_id(g) + 50
}

/// Turns on a board for every team of every load guild, the default team included.
async fn set_up_boards(fake: &FakeDiscord, a: &Args) {
    for g in 0..a.guilds {
        for k in 0..=a.teams {
            let mut setup = Interaction::sub("setup", "board").channel_opt("channel", board_channel(g)).manager();
            if k > 0 {
                setup = setup.str("team", &format!("team-{k}"));
            }
            let r = fake.send(setup.in_guild(guild_id(g))).await;
            assert!(r.text().contains("Each week a thread"), "board of team {k} in guild {g}: {}", r.text());
        }
    }
}

/// CPU time of a process in milliseconds (utime + stime from /proc/<pid>/stat).
fn cpu_ms(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 =
        f.get(11).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) + f.get(12).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    ticks * 1000.0 / 100.0 // USER_HZ is 100 on Linux
}

/// Resident memory in MB (VmRSS).
fn rss_mb(pid: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn bot_binary() -> PathBuf {
    if let Some(bot) = args().bot {
        return bot;
    }
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/examples/load → target/<profile>/partner-coach
    let bin = exe.parent().and_then(|p| p.parent()).unwrap().join("partner-coach");
    if !bin.exists() {
        eprintln!("building the bot first: cargo build --release --bin partner-coach");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        assert!(std::process::Command::new(cargo).args(["build", "--release", "--bin", "partner-coach"]).status().unwrap().success());
    }
    bin
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    percentile(v, 0.5)
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Kind {
    Communication,
    Commitment,
    Principle,
    Commitments,
    Digest,
}

struct Run {
    rate: u64,
    sent: usize,
    answered: usize,
    failures: usize,
    p50: f64,
    p95: f64,
    p99: f64,
    max: f64,
    over_3s: usize,
    bot_cpu_per_interaction_ms: f64,
    /// PostgreSQL's server processes for the bot's connections, per interaction answered
    /// (None on SQLite, whose work is inside the bot).
    server_cpu_per_interaction_ms: Option<f64>,
    bot_cpu_share: f64,
    driver_cpu_share: f64,
    expected_rows: usize,
    rows: i64,
    rss_after: f64,
}

struct Bot {
    /// Each process of the bot and its pid.
    procs: Vec<(std::process::Child, String)>,
    db: Db,
    _dir: tempfile::TempDir,
}

impl Bot {
    /// CPU time of all its processes, in milliseconds.
    fn cpu_ms(&self) -> f64 {
        self.procs.iter().map(|(_, pid)| cpu_ms(pid)).sum()
    }

    /// RSS of all its processes, in MB.
    fn rss_mb(&self) -> f64 {
        self.procs.iter().map(|(_, pid)| rss_mb(pid)).sum()
    }
}

/// The bot's database as the driver reads it: counted with plain SQL (opening a `Store`
/// would migrate an older bot's database under it).
enum Db {
    Sqlite {
        url: String,
    },
    /// A database of this run on a PostgreSQL server, dropped by [`Db::drop_run_database`].
    Postgres {
        url: String,
        admin: String,
        name: String,
    },
}

impl Db {
    /// A fresh database for one run.
    async fn create(choice: &DbChoice, dir: &std::path::Path) -> Self {
        use sqlx::{Connection, Executor};
        match choice {
            DbChoice::Sqlite => Db::Sqlite { url: format!("sqlite://{}/load.db", dir.display()) },
            DbChoice::Postgres(admin) => {
                let name = format!("pc_load_{}_{}", std::process::id(), rand::random::<u32>());
                let mut conn = sqlx::PgConnection::connect(admin).await.expect("the PostgreSQL server given to --database answers");
                conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .await
                    .expect("a database for the run (the role needs CREATEDB)");
                conn.close().await.unwrap();
                let mut url = reqwest::Url::parse(admin).expect("--database is a URL");
                url.set_path(&name);
                Db::Postgres { url: url.to_string(), admin: admin.clone(), name }
            }
        }
    }

    /// The bot's DATABASE_URL.
    fn url(&self) -> &str {
        match self {
            Db::Sqlite { url } | Db::Postgres { url, .. } => url,
        }
    }

    /// A plain connection pool on it.
    async fn pool(&self) -> Pool {
        match self {
            Db::Sqlite { url } => Pool::Sqlite(sqlx::SqlitePool::connect(url).await.unwrap()),
            Db::Postgres { url, .. } => Pool::Postgres(sqlx::PgPool::connect(url).await.unwrap()),
        }
    }

    /// The server processes serving connections to this run's database, PostgreSQL only
    /// (their CPU is the bot's work too).
    async fn server_pids(&self) -> Vec<String> {
        let Db::Postgres { admin, name, .. } = self else { return Vec::new() };
        let pool = sqlx::PgPool::connect(admin).await.unwrap();
        let pids: Vec<i32> = sqlx::query_scalar("SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()")
            .bind(name)
            .fetch_all(&pool)
            .await
            .unwrap();
        pool.close().await;
        pids.into_iter().map(|p| p.to_string()).collect()
    }

    /// Drops the run's PostgreSQL database (the bot has stopped).
    async fn drop_run_database(&self) {
        use sqlx::{Connection, Executor};
        if let Db::Postgres { admin, name, .. } = self {
            let mut conn = sqlx::PgConnection::connect(admin).await.unwrap();
            conn.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).await.unwrap();
            conn.close().await.unwrap();
        }
    }
}

/// A pool on either backend, for the driver's counts.
enum Pool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Pool {
    /// `SELECT count(*) …`: the same text on both backends.
    async fn count(&self, sql: &'static str) -> i64 {
        match self {
            Pool::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
            Pool::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
        }
    }

    async fn close(&self) {
        match self {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}

async fn start_bot(fake: &FakeDiscord, choice: &DbChoice, processes: u32) -> (Bot, Duration, f64) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::create(choice, dir.path()).await;
    if processes > 1 {
        fake.set_shard_count(processes);
    }
    let started = Instant::now();
    let mut procs = Vec::new();
    let mut startup = Duration::ZERO;
    for shard in 0..processes {
        // Each process on its own endpoint of the fake, so its connections are told apart.
        let via = if shard == 0 { String::new() } else { format!("bot-{shard}") };
        let api = if via.is_empty() { fake.api_url() } else { fake.endpoint(&via).await };
        // BOT_LOG keeps the bot's log at a path of your choosing; by default it goes with the temp dir.
        let log_path = std::env::var("BOT_LOG")
            .map(|p| PathBuf::from(format!("{p}{}", if shard == 0 { String::new() } else { format!(".{shard}") })))
            .unwrap_or_else(|_| dir.path().join(format!("bot-{shard}.log")));
        let log = std::fs::File::create(log_path).unwrap();
        // BOT_WRAPPER runs the bot under a profiler, e.g. "valgrind --tool=callgrind";
        // BOT_RUST_LOG sets its log filter (default warn), e.g. "sqlx::query=debug".
        let mut cmd = match std::env::var("BOT_WRAPPER") {
            Ok(w) if !w.trim().is_empty() => {
                let mut parts = w.split_whitespace();
                let mut c = std::process::Command::new(parts.next().unwrap());
                c.args(parts).arg(bot_binary());
                c
            }
            _ => std::process::Command::new(bot_binary()),
        };
        cmd.arg("run")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DISCORD_TOKEN", fake_discord::TOKEN)
            .env("DISCORD_API_URL", &api)
            .env("DATABASE_URL", db.url())
            .env("RUST_LOG", std::env::var("BOT_RUST_LOG").unwrap_or_else(|_| "warn".into()));
        if processes > 1 {
            cmd.env("SHARD_COUNT", processes.to_string()).env("SHARDS", shard.to_string());
            // Discord allows one IDENTIFY per five seconds; serenity spaces only one
            // process's shards, so the processes are started that far apart, as an operator's
            // rollout does.
            fake.wait_identify_window().await;
        }
        let child = cmd.stdout(log.try_clone().unwrap()).stderr(log).spawn().unwrap();
        let pid = child.id().to_string();
        procs.push((child, pid));
        if shard == 0 {
            fake.wait_ready().await;
            startup = started.elapsed();
        } else {
            fake.wait_connected(&via, shard).await;
        }
    }
    // Idle means settled: past the start's burst of GUILD_CREATEs and the bot's first trim of
    // freed memory (five seconds after it starts).
    tokio::time::sleep(Duration::from_secs(8)).await;
    let bot = Bot { procs, db, _dir: dir };
    let idle = bot.rss_mb();
    (bot, startup, idle)
}

async fn run_load(fake: &FakeDiscord, bot: &Bot, a: &Args, rate: u64, secs: u64, epoch: &mut u64) -> Run {
    let driver_pid = std::process::id().to_string();
    let mut seed = 0x2545_F491_4F6C_DD1Du64 ^ rate;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let total = (rate * secs) as usize;
    let mut sent: Vec<(String, Kind, u64, u64)> = Vec::with_capacity(total);
    let mut interval = tokio::time::interval(Duration::from_nanos(1_000_000_000 / rate));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let server_pids0 = bot.db.server_pids().await;
    let server_cpu0: f64 = server_pids0.iter().map(|p| cpu_ms(p)).sum();
    let (bot_cpu0, drv_cpu0, t0) = (bot.cpu_ms(), cpu_ms(&driver_pid), Instant::now());
    let mut per_second: Vec<f64> = Vec::new();
    let (mut last_cpu, mut last_answered, mut last_t) = (bot_cpu0, 0usize, Instant::now());
    for n in 0..total {
        interval.tick().await;
        let g = next() % a.guilds;
        let member = next() % a.members;
        let m = MEMBER + g * 10_000 + member;
        // The member's team: 0 is the default team (no role).
        let team = member % (a.teams + 1);
        let name_it = team > 0 && next() % 2 == 0;
        let r = match a.only.as_deref() {
            None => next() % 100,
            Some("communication") => 0,
            Some("commitment") => 40,
            Some("principle") => 60,
            Some("commitments") => 80,
            Some("digest") => 90,
            Some(other) => panic!("unknown kind {other}"),
        };
        // A unique commitment text per interaction, so the database check is exact.
        *epoch += 1;
        let (kind, mut i) = match r {
            0..=39 => (
                Kind::Communication,
                Interaction::sub("checkin", "communication").int("rating", (next() % 5 + 1) as i64).str("went_well", "clear hand-offs"),
            ),
            40..=59 => {
                let mut c = Interaction::sub("checkin", "commitments").str("next", &format!("load promise {epoch}")).str("due", "friday");
                if a.partners && next() % 2 == 0 {
                    // Another member of the same guild.
                    let partner = MEMBER + g * 10_000 + (member + 1 + next() % (a.members - 1)) % a.members;
                    c = c.user_opt("partner", partner);
                }
                (Kind::Commitment, c)
            }
            60..=79 => (Kind::Principle, Interaction::command("principle").str("which", &(next() % 10 + 1).to_string())),
            80..=89 => (Kind::Commitments, Interaction::command("commitments")),
            // A lead of the member's team (Manage Server with the team's role).
            _ => (Kind::Digest, Interaction::command("digest").manager()),
        };
        if team > 0 {
            i = i.roles(&[team_role(g, team)]);
            if name_it && matches!(kind, Kind::Communication | Kind::Commitment) {
                i = i.str("team", &format!("team-{team}"));
            }
        }
        let token = fake.dispatch_interaction(&i.by(m).in_guild(guild_id(g)));
        sent.push((token, kind, m, g));
        if last_t.elapsed() >= Duration::from_secs(1) {
            let answered = fake.shared_state().interactions.values().filter(|s| s.callback_at.is_some()).count();
            let cpu = bot.cpu_ms();
            let done = answered.saturating_sub(last_answered);
            if done > 0 {
                per_second.push((cpu - last_cpu) / done as f64);
            }
            (last_cpu, last_answered, last_t) = (cpu, answered, Instant::now());
            let _ = n;
        }
    }
    // Let the last answers arrive (Discord's window is 3 s).
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        let missing = {
            let st = fake.shared_state();
            sent.iter().filter(|(t, ..)| st.interactions[t].callback_at.is_none()).count()
        };
        if missing == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let wall = t0.elapsed().as_secs_f64() * 1000.0;
    let (bot_cpu, drv_cpu) = (bot.cpu_ms() - bot_cpu0, cpu_ms(&driver_pid) - drv_cpu0);
    // Server processes that started during the run count from zero; the pool keeps its
    // connections, so nearly all of them were there at the start.
    let server_cpu = match &bot.db {
        Db::Sqlite { .. } => None,
        Db::Postgres { .. } => Some(bot.db.server_pids().await.iter().map(|p| cpu_ms(p)).sum::<f64>() - server_cpu0),
    };

    let mut lat = Vec::new();
    let (mut failures, mut over_3s) = (0, 0);
    let mut comm_days: BTreeSet<(u64, u64)> = BTreeSet::new();
    let mut commitments = 0;
    {
        let st = fake.shared_state();
        for (token, kind, member, g) in &sent {
            let s = &st.interactions[token];
            match s.callback_at {
                Some(at) => {
                    let ms = (at - s.sent_at).as_secs_f64() * 1000.0;
                    if ms > 3000.0 {
                        over_3s += 1;
                    }
                    let text = fake_discord::interactions::message_text(&s.callbacks[0]["data"]);
                    // A refusal (not in the team, which team?) would be a wrong mix, not load.
                    if text.contains("Something went wrong")
                        || text.contains("busy")
                        || text.contains("You are in several teams")
                        || text.contains("You are not in team")
                    {
                        failures += 1;
                    }
                    lat.push(ms);
                    match kind {
                        Kind::Communication => {
                            comm_days.insert((*member, *g));
                        }
                        Kind::Commitment => commitments += 1,
                        _ => {}
                    }
                }
                None => failures += 1,
            }
        }
    }
    lat.sort_by(f64::total_cmp);
    let pool = bot.db.pool().await;
    let rows = pool.count("SELECT count(*) FROM checkins").await;
    if a.partners {
        // Every DM and board message out once: what the database recorded against what the
        // fake received, after the queue has drained.
        let deadline = Instant::now() + Duration::from_secs(30);
        let (asked, posted) = loop {
            let asked = pool.count("SELECT count(*) FROM partner_views").await;
            let posted = pool.count("SELECT count(*) FROM commitments WHERE created_at > 0").await;
            let pending = pool.count("SELECT count(*) FROM commitment_tasks WHERE task IN ('ask', 'board')").await;
            if pending == 0 || Instant::now() > deadline {
                break (asked, posted);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let (dms, board_messages, threads) = {
            let st = fake.shared_state();
            let dm_channels: BTreeSet<u64> = st.dm_channels.values().copied().collect();
            let threads: BTreeSet<u64> = st.threads.iter().map(|t| t.id).collect();
            let dms = st.messages.iter().filter(|m| dm_channels.contains(&m.channel_id)).count();
            let board = st.messages.iter().filter(|m| threads.contains(&m.channel_id)).count();
            (dms, board, threads.len())
        };
        let sent_dms = pool.count("SELECT count(*) FROM deliveries WHERE kind = 'partner-ask' AND status = 'sent'").await;
        println!(
            "partners: {asked} commitments named a partner, {sent_dms} agree DMs recorded sent, {dms} DMs received by the fake{}; \
             board: {board_messages} messages in {threads} weekly threads for {posted} commitments{}",
            if dms as i64 == sent_dms && sent_dms == asked { "" } else { "  <-- MISMATCH" },
            if board_messages as i64 == posted { "" } else { "  <-- MISMATCH" }
        );
    }
    pool.close().await;
    let answered = lat.len();
    let server_cpu_per_interaction_ms = server_cpu.map(|c| c / answered.max(1) as f64);
    Run {
        rate,
        sent: sent.len(),
        answered,
        failures: failures + over_3s,
        p50: percentile(&lat, 0.5),
        p95: percentile(&lat, 0.95),
        p99: percentile(&lat, 0.99),
        max: lat.last().copied().unwrap_or(f64::NAN),
        over_3s,
        bot_cpu_per_interaction_ms: median(&mut per_second),
        server_cpu_per_interaction_ms,
        bot_cpu_share: bot_cpu / wall,
        driver_cpu_share: drv_cpu / wall,
        expected_rows: comm_days.len() + commitments,
        rows,
        rss_after: bot.rss_mb(),
    }
}

fn report(r: &Run) {
    println!(
        "rate {:>5}/s  sent {:>6}  answered {:>6}  failures {:>3}  p50 {:>6.2} ms  p95 {:>6.2} ms  p99 {:>6.2} ms  max {:>7.2} ms  \
         bot cpu/interaction {:.3} ms (median)  bot cpu {:>4.0}%  driver+fake cpu {:>4.0}%  (ratio {:.2})  rss {:.1} MB",
        r.rate,
        r.sent,
        r.answered,
        r.failures,
        r.p50,
        r.p95,
        r.p99,
        r.max,
        r.bot_cpu_per_interaction_ms,
        r.bot_cpu_share * 100.0,
        r.driver_cpu_share * 100.0,
        // The driver's work per interaction is fixed, so this ratio moves with the bot's cost
        // and not with how busy the shared machine is.
        r.bot_cpu_share / r.driver_cpu_share.max(f64::EPSILON),
        r.rss_after
    );
    if let Some(server) = r.server_cpu_per_interaction_ms {
        println!("  PostgreSQL server processes of the bot's connections: cpu/interaction {server:.3} ms (mean over the run)");
    }
}

#[tokio::main]
async fn main() {
    let a = args();
    if a.processes > 1 && a.databases.iter().any(|d| matches!(d, DbChoice::Sqlite)) {
        eprintln!("--processes {}: several bot processes share one PostgreSQL database; give --database postgres://…", a.processes);
        std::process::exit(2);
    }
    let mut results = Vec::new();
    for choice in &a.databases {
        println!("== the bot on {}", choice.name());
        if let Some(r) = session(&a, choice).await {
            results.push((choice.name(), r));
        }
    }
    if results.len() > 1 {
        let (base_name, base) = &results[0];
        for (name, r) in &results[1..] {
            println!(
                "{name} against {base_name}: bot cpu/interaction {:.3} / {:.3} ms (x{:.2}){}; p99 {:.2} / {:.2} ms",
                r.bot_cpu_per_interaction_ms,
                base.bot_cpu_per_interaction_ms,
                r.bot_cpu_per_interaction_ms / base.bot_cpu_per_interaction_ms.max(f64::EPSILON),
                r.server_cpu_per_interaction_ms.map_or(String::new(), |s| format!(", plus {s:.3} ms in the PostgreSQL server")),
                r.p99,
                base.p99
            );
        }
    }
}

/// One fake Discord, one bot on a fresh database of `choice`, the load, the report; the run
/// (`None` for `--find-max` and `--secs 0`).
async fn session(a: &Args, choice: &DbChoice) -> Option<Run> {
    let mut guilds: Vec<GuildSpec> = (0..a.guilds)
        .map(|g| {
            (1..=a.teams)
                .fold(GuildSpec::new(guild_id(g)), |spec, k| spec.role(team_role(g, k), &format!("team-{k}")))
                .channel(board_channel(g), "commitments")
        })
        .collect();
    guilds.extend((0..a.idle_guilds).map(|g| GuildSpec::new(990_000_000_000_000_000 + g * 1000)));
    guilds.extend((0..a.due_posts).map(|g| GuildSpec::new(due_guild(g))));
    let fake = FakeDiscord::start_with(guilds, a.validate).await;
    let (mut bot, startup, idle) = start_bot(&fake, choice, a.processes).await;
    if a.processes > 1 {
        let mut per = vec![0u64; a.processes as usize];
        for g in 0..a.guilds {
            per[((guild_id(g) >> 22) % u64::from(a.processes)) as usize] += 1;
        }
        println!("{} processes, one shard each; the load's guilds per shard: {per:?}", a.processes);
    }
    println!(
        "bot started: commands registered {:.0} ms after spawn; idle RSS {:.1} MB with {} guilds in the cache",
        startup.as_secs_f64() * 1000.0,
        idle,
        a.guilds + a.idle_guilds
    );
    if a.teams > 0 {
        let t = Instant::now();
        create_teams(&fake, a).await;
        println!("{} teams created in each of {} guilds in {:.0} ms", a.teams, a.guilds, t.elapsed().as_secs_f64() * 1000.0);
    }
    if a.partners {
        set_up_boards(&fake, a).await;
    }
    if a.due_posts > 0 {
        due_posts(&fake, a.due_posts).await;
    }
    let mut epoch = 0;
    let mut result = None;
    if a.find_max {
        let mut best = None;
        for rate in [250, 500, 750, 1000, 1250, 1500, 2000, 2500, 3000] {
            let r = run_load(&fake, &bot, a, rate, a.secs.min(15), &mut epoch).await;
            report(&r);
            if r.failures == 0 && r.p99 <= 20.0 {
                best = Some(rate);
            } else {
                break;
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        println!("highest sustained rate with p99 <= 20 ms and no failure: {}", best.map_or("none".into(), |r| format!("{r}/s")));
    } else if a.secs > 0 {
        let r = run_load(&fake, &bot, a, a.rate, a.secs, &mut epoch).await;
        report(&r);
        println!(
            "check-ins: {} expected in the database (commitment check-ins + distinct member-days of communication), {} found{}",
            r.expected_rows,
            r.rows,
            if r.rows as usize == r.expected_rows { "" } else { "  <-- MISMATCH" }
        );
        println!("answers over 3 s: {}", r.over_3s);
        result = Some(r);
    }
    let violations = fake.violations();
    if !violations.is_empty() {
        println!("{} invalid requests, first: {}", violations.len(), violations[0]);
        fake.clear_violations();
    }
    // SIGTERM: the bot shuts down cleanly (and a profiler wrapping it writes its output).
    for (_, pid) in &bot.procs {
        let _ = std::process::Command::new("kill").args(["-TERM", pid]).status();
    }
    for (child, _) in &mut bot.procs {
        let mut stopped = false;
        for _ in 0..300 {
            if child.try_wait().ok().flatten().is_some() {
                stopped = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if !stopped {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
    bot.db.drop_run_database().await;
    result
}
