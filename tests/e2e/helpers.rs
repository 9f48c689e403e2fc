//! `TestApp`: a fake Discord, a fresh database file and the real bot started from the
//! library, with a clock the test sets and a seeded random source.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
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
    pub dir: tempfile::TempDir,
    pub bot: Option<RunningBot>,
    pub guild_id_setting: Option<u64>,
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

    /// Everything but the bot.
    pub async fn new(guilds: Vec<GuildSpec>) -> Self {
        init_test_logging();
        let fake = FakeDiscord::start(guilds).await;
        let clock = Arc::new(ManualClock::new(default_now()));
        // Message ids and timestamps follow the bot's clock, as Discord's follow the real one.
        let bot_clock = clock.clone();
        fake.set_time_source(move || partner_coach::clock::Clock::now(&*bot_clock));
        Self { fake, clock, dir: tempfile::tempdir().unwrap(), bot: None, guild_id_setting: None }
    }

    /// `DATABASE_URL` of this test.
    pub fn database_url(&self) -> String {
        format!("sqlite://{}", self.dir.path().join("partner-coach.db").display())
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
        self.fake.wait_for("the bot to register its commands", |i| (i.command_puts > puts_before && i.conn.is_some()).then_some(())).await;
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
        Store::open(partner_coach::config::database_options(&self.database_url()).unwrap()).await.unwrap()
    }

    /// Moves the test clock.
    pub fn set_time(&self, t: DateTime<Utc>) {
        self.clock.set(t);
    }
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
