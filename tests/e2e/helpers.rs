//! `TestApp`: a fake Discord, a fresh database and the real bot started from the library,
//! with a clock the test sets and a seeded random source.
//!
//! The database is a SQLite file by default. With `PC_E2E_BACKEND=postgres` it is a fresh
//! PostgreSQL database per test on the server `PC_TEST_POSTGRES` names (`scripts/test` runs
//! the suite that way a second time, beside the cluster `scripts/with-postgres` starts), so
//! the same tests drive the bot on both backends.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use partner_coach::clock::{ManualClock, Random};
use partner_coach::config::Settings;
use partner_coach::startup::{self, BotOptions, RegistrationPolicy};
use partner_coach::storage::Store;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::fake_discord::{FakeDiscord, GuildSpec, TOKEN};

/// A running bot.
pub struct RunningBot {
    stop: oneshot::Sender<()>,
    handle: JoinHandle<anyhow::Result<()>>,
}

/// The fake Discord, the database and the bot under test.
pub struct TestApp {
    pub fake: FakeDiscord,
    pub clock: Arc<ManualClock>,
    /// The test's own folder: the SQLite database on that backend, and any file a test writes.
    pub dir: tempfile::TempDir,
    /// The test's PostgreSQL database, on that backend (dropped with the app).
    pub pg: Option<PgDatabase>,
    pub bot: Option<RunningBot>,
    pub guild_id_setting: Option<u64>,
}

/// The database backend the end-to-end tests run the bot on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// `PC_E2E_BACKEND`: `sqlite` (the default) or `postgres`.
pub fn backend() -> Backend {
    match std::env::var("PC_E2E_BACKEND").unwrap_or_default().trim() {
        "" | "sqlite" => Backend::Sqlite,
        "postgres" | "postgresql" => Backend::Postgres,
        other => panic!("PC_E2E_BACKEND={other:?}: use sqlite (the default) or postgres"),
    }
}

/// For a test that is about SQLite itself (its file, its locks, `VACUUM INTO`, a database
/// written before teams, a copy from it): on the PostgreSQL run it says it is skipped and
/// why, and returns true, and the test returns. It ran on SQLite in the run before.
pub fn sqlite_only(why: &str) -> bool {
    if backend() != Backend::Postgres {
        return false;
    }
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    // Straight to the process's stderr: libtest captures `eprintln!` of passing tests, and
    // a skip nobody sees would look like a pass.
    let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("{test}: skipped on PostgreSQL: {why}\n").as_bytes());
    true
}

/// The password put into a test database's URL when the server's own URL has none. The test
/// cluster trusts local logins, so it is never checked; it is there so that tests can prove
/// it never reaches a log line or a message.
pub const TEST_DATABASE_PASSWORD: &str = "pc-e2e-not-logged";

/// A fresh database on the PostgreSQL test server, dropped when this is dropped (also when
/// the test panics). The lib's `TestDatabase` is `cfg(test)` code this binary cannot use;
/// this is its small equivalent.
pub struct PgDatabase {
    admin: String,
    name: String,
    /// Its URL, as the bot's `DATABASE_URL`.
    pub url: String,
}

impl PgDatabase {
    /// A new, empty database on `PC_TEST_POSTGRES`, or `None` when no server is given
    /// (which `PC_REQUIRE_POSTGRES` turns into a failure).
    pub async fn create_if_available() -> Option<Self> {
        if std::env::var_os("PC_TEST_POSTGRES").is_none() {
            assert!(
                std::env::var_os("PC_REQUIRE_POSTGRES").is_none(),
                "PC_REQUIRE_POSTGRES is set but PC_TEST_POSTGRES is not: run the tests with scripts/test or scripts/with-postgres"
            );
            return None;
        }
        Some(Self::create().await)
    }

    /// A new, empty database on `PC_TEST_POSTGRES`; panics without a server.
    pub async fn create() -> Self {
        use sqlx::{Connection, Executor};
        let admin = std::env::var("PC_TEST_POSTGRES")
            .expect("PC_E2E_BACKEND=postgres needs a server in PC_TEST_POSTGRES: run the tests with scripts/test or scripts/with-postgres");
        let name = format!("pc_e2e_{}_{}", std::process::id(), rand::random::<u32>());
        let mut conn = sqlx::PgConnection::connect(&admin).await.expect("the PostgreSQL test server answers");
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.expect("a test database");
        conn.close().await.unwrap();
        let mut url = reqwest::Url::parse(&admin).expect("PC_TEST_POSTGRES is a URL");
        url.set_path(&name);
        if url.password().is_none() && !url.username().is_empty() {
            url.set_password(Some(TEST_DATABASE_PASSWORD)).unwrap();
        }
        Self { admin, name, url: url.to_string() }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        use sqlx::{Connection, Executor};
        // Drop cannot await, and it runs on the test's runtime thread, which cannot block on
        // another runtime: a thread of its own drops the database. FORCE ends the
        // connections of a bot the test left running.
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&admin).await?;
                conn.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).await?;
                conn.close().await
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            // Not a panic: this may run while a failed test unwinds. The cluster is thrown
            // away at the end of the run anyway.
            Ok(Err(e)) => eprintln!("could not drop the test database {}: {e}", self.name),
            Err(_) => eprintln!("could not drop the test database {}: the thread panicked", self.name),
        }
    }
}

/// Friday 2026-11-27 09:00 UTC, the default "now" of the tests.
pub fn default_now() -> DateTime<Utc> {
    at("2026-11-27T09:00:00Z")
}

/// An RFC 3339 instant.
pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

impl TestApp {
    /// The bot in one guild (`interactions::GUILD`), started and ready.
    pub async fn spawn() -> Self {
        Self::spawn_with(vec![GuildSpec::new(crate::fake_discord::interactions::GUILD)]).await
    }

    /// The bot in the given guilds, started and ready.
    pub async fn spawn_with(guilds: Vec<GuildSpec>) -> Self {
        let mut app = Self::new(guilds).await;
        app.start().await;
        app
    }

    /// Everything but the bot, on a database from before teams (see [`write_pre_teams_database`])
    /// on SQLite, on an empty one on PostgreSQL.
    pub async fn new(guilds: Vec<GuildSpec>) -> Self {
        Self::new_with_old_guild(guilds, OldJobs::default()).await
    }

    /// Everything but the bot, on a database from before teams whose old server's jobs are
    /// due when `old` says. To have the bot serve that server, pass [`old_guild_spec`] in
    /// `guilds`.
    ///
    /// On PostgreSQL the database starts empty: the bot's start creates its schema. The old
    /// server's rows were written by SQLite-era code (migrations 0001-0004 of SQLite); their
    /// upgrade on PostgreSQL is the storage tests' (`postgres_tests.rs`), and the tests that
    /// need them here are SQLite-only.
    pub async fn new_with_old_guild(guilds: Vec<GuildSpec>, old: OldJobs) -> Self {
        init_test_logging();
        let pg = match backend() {
            Backend::Postgres => {
                assert!(old.daily.is_none(), "the old server's jobs are in the pre-teams SQLite database: use sqlite_only()");
                Some(PgDatabase::create().await)
            }
            Backend::Sqlite => None,
        };
        let fake = FakeDiscord::start(guilds).await;
        let clock = Arc::new(ManualClock::new(default_now()));
        // Message ids and timestamps follow the bot's clock, as Discord's follow the real one.
        let bot_clock = clock.clone();
        fake.set_time_source(move || partner_coach::clock::Clock::now(&*bot_clock));
        let app = Self { fake, clock, dir: tempfile::tempdir().unwrap(), pg, bot: None, guild_id_setting: None };
        if app.pg.is_none() {
            write_pre_teams_database(&app.database_url(), old).await;
        }
        app
    }

    /// `DATABASE_URL` of this test.
    pub fn database_url(&self) -> String {
        match &self.pg {
            Some(db) => db.url.clone(),
            None => format!("sqlite://{}", self.dir.path().join("partner-coach.db").display()),
        }
    }

    /// Whether this test's bot runs on PostgreSQL.
    pub fn on_postgres(&self) -> bool {
        self.pg.is_some()
    }

    /// The check-ins in the database before the test did anything: the old server's on
    /// SQLite, none on PostgreSQL.
    pub fn preexisting_checkins(&self) -> i64 {
        if self.on_postgres() {
            0
        } else {
            OLD_CHECKINS
        }
    }

    /// Runs `sql` on the bot's database behind its back, on either backend (to break it,
    /// say).
    pub async fn execute_sql(&self, sql: &'static str) {
        use sqlx::Connection;
        if let Some(db) = &self.pg {
            let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        } else {
            let mut conn = sqlx::SqliteConnection::connect(&self.database_url()).await.unwrap();
            sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        }
    }

    /// The settings the bot runs with.
    pub fn settings(&self) -> Settings {
        let api = self.fake.api_url();
        let db = self.database_url();
        let guild = self.guild_id_setting.map(|g| g.to_string());
        Settings::from_lookup(|k| match k {
            "DISCORD_TOKEN" => Some(TOKEN.to_owned()),
            "DATABASE_URL" => Some(db.clone()),
            "DISCORD_API_URL" => Some(api.clone()),
            "DISCORD_GUILD_ID" => guild.clone(),
            _ => None,
        })
        .unwrap()
    }

    /// The options the bot starts with: this test's settings, clock and seed.
    pub fn bot_options(&self) -> BotOptions {
        BotOptions {
            settings: self.settings(),
            clock: self.clock.clone(),
            rng: Random::seeded(7),
            scheduler_interval: Duration::from_millis(20),
            registration: RegistrationPolicy::default(),
        }
    }

    /// Starts the bot and waits until it registered its commands.
    pub async fn start(&mut self) {
        let puts_before = self.fake.shared_command_puts();
        self.launch(self.bot_options());
        self.fake.wait_for("the bot to register its commands", |i| (i.command_puts > puts_before && i.connected()).then_some(())).await;
    }

    /// Starts the bot with `options` and returns at once, without waiting for anything.
    pub fn launch(&mut self, options: BotOptions) {
        assert!(self.bot.is_none(), "the bot is already running");
        let (stop, stopped) = oneshot::channel::<()>();
        let handle = tokio::spawn(startup::run(options, async move {
            let _ = stopped.await;
        }));
        self.bot = Some(RunningBot { stop, handle });
    }

    /// Waits up to `within` for the bot to stop on its own, and returns what `startup::run`
    /// returned.
    pub async fn exited(&mut self, within: Duration) -> anyhow::Result<()> {
        let bot = self.bot.take().expect("the bot is not running");
        tokio::time::timeout(within, bot.handle)
            .await
            .unwrap_or_else(|_| panic!("the bot did not stop within {within:?}"))
            .expect("bot task panicked")
    }

    /// Stops the bot the way Ctrl-C does and waits until it has closed everything.
    pub async fn stop(&mut self) {
        let bot = self.bot.take().expect("the bot is not running");
        let _ = bot.stop.send(());
        let result = tokio::time::timeout(Duration::from_secs(20), bot.handle)
            .await
            .expect("the bot did not stop within 20 s")
            .expect("bot task panicked");
        result.expect("the bot stopped with an error");
    }

    /// Stops and starts the bot on the same database.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.start().await;
    }

    /// A second handle on the bot's database, for assertions.
    pub async fn store(&self) -> Store {
        Store::connect(&self.database_url()).await.unwrap()
    }

    /// Moves the test clock.
    pub fn set_time(&self, t: DateTime<Utc>) {
        self.clock.set(t);
    }
}

/// The server whose rows every test database starts with, written by the code from before
/// teams (`tests/e2e/pre_teams.sql`): its #general, digest channel and lead role.
pub const OLD_GUILD: u64 = 900_000_000_000_000_900;
pub const OLD_CHANNEL: u64 = OLD_GUILD + 1;
pub const OLD_DIGEST_CHANNEL: u64 = OLD_GUILD + 2;
pub const OLD_LEADS: u64 = OLD_GUILD + 3;
/// The old server's check-ins, for a test that counts every check-in in the database (see
/// [`TestApp::preexisting_checkins`]).
pub const OLD_CHECKINS: i64 = 7;

/// When the old server's jobs are due. By default in 2036, which no test's clock reaches:
/// the bot never posts for it (the fake would not know its channels).
#[derive(Clone, Copy, Debug, Default)]
pub struct OldJobs {
    /// The daily post's next occurrence: when it is due, and the local date it is for.
    pub daily: Option<(DateTime<Utc>, NaiveDate)>,
}

/// The fake's view of the old server: its channels and lead role.
pub fn old_guild_spec() -> GuildSpec {
    GuildSpec::new(OLD_GUILD).channel(OLD_DIGEST_CHANNEL, "digests").role(OLD_LEADS, "leads")
}

/// Creates the database at `url` as the bot left it before teams: migrations 0001-0004,
/// applied by sqlx from the very files (so their checksums are the ones the bot's migrator
/// checks), and one configured server with every kind of row. The bot's start then migrates
/// it (0005), so every end-to-end test runs on an upgraded database.
pub async fn write_pre_teams_database(url: &str, old: OldJobs) {
    use sqlx::Connection;
    // No fsync: nothing here needs to survive a crash, and a hundred tests do this.
    let options =
        partner_coach::config::database_options(url).unwrap().create_if_missing(true).synchronous(sqlx::sqlite::SqliteSynchronous::Off);
    let mut conn = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
    let migrations = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    let migrator = sqlx::migrate::Migrator::new(migrations).await.unwrap();
    // 0004_hardening is the last migration from before teams.
    migrator.run_direct(Some(4), &mut conn, false).await.unwrap();
    sqlx::raw_sql(include_str!("pre_teams.sql")).execute(&mut conn).await.unwrap();
    if let Some((at, date)) = old.daily {
        sqlx::query("UPDATE schedule SET due_at = ?, period_date = ? WHERE kind = 'daily' AND guild_id = ?")
            .bind(at.timestamp())
            .bind(date.to_string())
            .bind(OLD_GUILD as i64)
            .execute(&mut conn)
            .await
            .unwrap();
    }
    conn.close().await.unwrap();
}

impl FakeDiscord {
    /// How many times commands were registered.
    pub fn shared_command_puts(&self) -> usize {
        self.shared().lock().command_puts
    }
}

fn init_test_logging() {
    // Set TEST_LOG=debug to see the bot's logs while a test runs.
    if let Ok(filter) = std::env::var("TEST_LOG") {
        let _ = tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::new(filter)).with_test_writer().try_init();
    }
}

impl TestApp {
    /// The test clock's current instant.
    pub fn clock_now(&self) -> DateTime<Utc> {
        use partner_coach::clock::Clock;
        self.clock.now()
    }
}

/// The real binary as a separate process, for crashes and signals.
pub struct ProcessBot {
    pub child: tokio::process::Child,
    pub log: std::path::PathBuf,
}

impl ProcessBot {
    /// Starts `partner-coach run` against the fake with the given database; logs go to a file
    /// (a pipe nobody reads would fill up and block the bot).
    pub fn spawn(api_url: &str, database_url: &str, dir: &std::path::Path) -> Self {
        Self::spawn_with(api_url, database_url, dir, &[])
    }

    /// As [`Self::spawn`], with more settings (`SHARDS`, `METRICS_ADDR`, ...) in `env`.
    pub fn spawn_with(api_url: &str, database_url: &str, dir: &std::path::Path, env: &[(&str, &str)]) -> Self {
        let log = dir.join(format!("bot-{}.log", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()));
        let file = std::fs::File::create(&log).unwrap();
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_partner-coach"))
            .arg("run")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DISCORD_TOKEN", TOKEN)
            .env("DISCORD_API_URL", api_url)
            .env("DATABASE_URL", database_url)
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .current_dir(dir)
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        Self { child, log }
    }

    /// SIGKILL: no chance to clean up.
    pub async fn kill9(mut self) {
        self.child.kill().await.unwrap();
    }

    /// The bot's log so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}
