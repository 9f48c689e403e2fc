//! The only place with SQL. One [`Store`] over SQLite: a single connection for writes
//! (SQLite has one writer anyway; queuing in-process avoids `SQLITE_BUSY` retries) and a few
//! for reads, which WAL lets run beside the writer.

/// Runs `$body` with `$c`, a connection of whichever backend the store is on (`reader` or
/// `writer` on SQLite; a pooled connection on PostgreSQL). The body is compiled once per
/// backend, so the same SQL text is typed for each driver.
macro_rules! with_conn {
    ($store:expr, $role:ident, |$c:ident| $body:expr) => {
        match $store.pg() {
            Some(pool) => {
                let mut held = pool.acquire().await?;
                let $c: &mut sqlx::PgConnection = &mut held;
                $body
            }
            None => {
                let mut held = $store.$role().await?;
                let $c: &mut sqlx::SqliteConnection = &mut held;
                $body
            }
        }
    };
}

/// Runs `$body` in a write transaction `$tx` of whichever backend the store is on, and
/// commits it (SQLite: `BEGIN IMMEDIATE` on the writer). A `?` in the body rolls it back. On
/// PostgreSQL, where transactions on other connections run at once, a transaction that lost
/// a deadlock or a serialization conflict (nothing of it was written) is run once more
/// before the failure is reported, as busy (see [`is_busy`]).
macro_rules! with_tx {
    ($store:expr, |$tx:ident| $body:expr) => {
        match $store.pg() {
            Some(pool) => {
                let mut retried = false;
                loop {
                    let run = async {
                        let mut $tx = pool.begin().await?;
                        let out = $body;
                        $tx.commit().await?;
                        Ok::<_, $crate::storage::Error>(out)
                    };
                    match run.await {
                        Err(e) if !retried && $crate::storage::is_conflict(&e) => {
                            retried = true;
                            // Not at once: the winner needs a moment to take the rows it
                            // waited for, or the two would meet again the same way.
                            tokio::time::sleep($crate::storage::conflict_pause()).await;
                        }
                        done => break done?,
                    }
                }
            }
            None => {
                let mut held = $store.writer().await?;
                let mut $tx = Store::begin_write(&mut held).await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
        }
    };
}

mod batch;
// The modules on both backends define the query macros the others' transactions use: they
// come first.
#[macro_use]
mod schedule;
#[macro_use]
mod members;
#[macro_use]
mod guilds;
#[macro_use]
mod partners;
#[macro_use]
mod charter;
mod checkins;
mod conns;
mod copy;
mod digest;
#[cfg(test)]
mod postgres_tests;
mod privacy;
mod teams;
#[cfg(test)]
mod upgrade_tests;

use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::Connection;

use conns::{Conn, Conns};

pub use charter::*;
pub use checkins::*;
pub use copy::{CopyError, TableCopy, POSTGRES_MIGRATOR};
pub use digest::{DigestReads, DigestSpans, MemberTrendReads, PostedPrinciple, TrendReads};
pub use guilds::*;
pub use members::*;
pub use partners::*;
pub use privacy::*;
pub use schedule::*;
pub use teams::*;

/// How long a statement waits for another process's lock (a backup, an operator's sqlite3
/// shell) before it fails: long enough to ride out a short lock.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// A storage failure: unexpected by definition, since user mistakes are refused before they
/// get here (sqlx's error, named here so nothing above storage names sqlx).
pub type Error = sqlx::Error;

/// Storage results.
pub type Result<T> = std::result::Result<T, Error>;

/// Whether a failure is the database staying locked by another process or connection
/// longer than the busy timeout: nothing was written, and trying again later may work.
/// SQLite: SQLITE_BUSY and its extended codes, or no connection free in time. PostgreSQL: a
/// lock not granted within `lock_timeout`, a statement cancelled by `statement_timeout`, and
/// a conflict ([`is_conflict`]) that happened again when retried.
pub fn is_busy(e: &Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            // SQLITE_BUSY (5), BUSY_RECOVERY (261), BUSY_SNAPSHOT (517); PostgreSQL's
            // lock_not_available (55P03) and query_canceled (57014).
            d.code().is_some_and(|c| matches!(c.as_ref(), "5" | "261" | "517" | "55P03" | "57014"))
                || d.message().contains("database is locked")
                || is_conflict(e)
        }
        sqlx::Error::PoolTimedOut => true,
        _ => false,
    }
}

/// How long a transaction that lost a conflict waits before it runs again: 20 to 50 ms,
/// random, so two losers do not come back in step.
pub(crate) fn conflict_pause() -> Duration {
    Duration::from_millis(20 + rand::random::<u64>() % 30)
}

/// Whether PostgreSQL rolled a transaction back because it conflicted with another one
/// (serialization_failure 40001, deadlock_detected 40P01): run again, it may well succeed.
pub fn is_conflict(e: &Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.code().is_some_and(|c| matches!(c.as_ref(), "40001" | "40P01")))
}

/// The database: SQLite (the default, embedded), or PostgreSQL (issue 18: the operations
/// ported so far; every other one answers [`not_on_postgres`] until the port is complete, and
/// the bot does not start on PostgreSQL yet).
#[derive(Clone, Debug)]
pub struct Store {
    backend: Backend,
    /// The token this store's claims carry (see [`claim_sql`]): one per opened store, so a
    /// bot restarted on the same database is a new holder.
    owner: Arc<str>,
    /// The shards of this process when it runs a range of them (`SHARDS`): it claims only
    /// the work of their guilds. Unset: every guild's. Set once, when the bot knows the count
    /// (Discord may say it), and shared by every clone of the store.
    shards: Arc<std::sync::OnceLock<crate::domain::shards::ShardRange>>,
}

#[derive(Clone, Debug)]
enum Backend {
    Sqlite { write: Arc<Conns>, read: Arc<Conns> },
    Postgres(sqlx::PgPool),
}

/// How long a claim holds: longer than one tick's work on what it claimed (a tick's batch
/// of sends, each with its HTTP timeout), so that work is never taken from a running bot; a
/// bot that crashed holds its claims this long before another takes them.
pub const CLAIM_LEASE: Duration = Duration::from_secs(120);

/// The tables whose rows are claimed, with their keys and what a claim returns.
const CLAIMED: [&str; 4] = ["schedule", "commitment_tasks", "team_posts", "board_removals"];

/// A new holder token: the process id, for an operator reading the tables, and random bits,
/// so two bots never share one.
fn new_owner() -> Arc<str> {
    format!("{}-{:08x}", std::process::id(), rand::random::<u32>()).into()
}

/// The statement that claims up to `limit` due rows of `table` (keyed by `key`, the columns
/// of its primary key) and returns `returning` of each: one conditional UPDATE, so of several
/// connections or processes running it at once, each row is returned to exactly one. On
/// PostgreSQL a second claimer waits for the first's row lock, then checks the row again as
/// it is now and skips it if it is taken or no longer due (done meanwhile, its claim
/// released); only the conditions outside the subquery are checked again, so both are
/// written there (the concurrency test found the job done twice without the second). SQLite
/// has one writer. A row is free when unclaimed, its lease is over, or this holder claimed it.
/// Arguments: holder `$1`, lease end `$2`, now `$3`. The names are this module's literals.
///
/// With `shards`, only rows of guilds on those shards are claimed (the numbers are written
/// in: they are this process's settings, integers).
fn claim_sql(table: &str, key: &str, returning: &str, limit: u32, shards: Option<crate::domain::shards::ShardRange>) -> String {
    const FREE: &str = "(claimed_until IS NULL OR claimed_until <= $3 OR claimed_by = $1)";
    let mine = shard_condition(shards);
    format!(
        "UPDATE {table} SET claimed_by = $1, claimed_until = $2 WHERE ({key}) IN \
         (SELECT {key} FROM {table} WHERE due_at <= $3 AND {FREE}{mine} ORDER BY due_at LIMIT {limit}) AND due_at <= $3 AND {FREE} RETURNING {returning}"
    )
}

/// ` AND` the condition that a row's guild is on `shards`, or nothing for every shard.
fn shard_condition(shards: Option<crate::domain::shards::ShardRange>) -> String {
    match shards {
        Some(r) if !r.is_all() => format!(" AND (guild_id >> 22) % {} BETWEEN {} AND {}", r.count, r.first, r.last),
        _ => String::new(),
    }
}

/// Whether `url` names a PostgreSQL database.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// What an operation not yet ported answers on PostgreSQL.
pub fn not_on_postgres() -> Error {
    sqlx::Error::Configuration("this operation runs on SQLite only in this build (the PostgreSQL port is not complete)".into())
}

/// Connections to a PostgreSQL server: as many as a busy bot keeps in flight.
const POSTGRES_CONNECTIONS: u32 = 16;

/// Readers: a digest of a large guild and a few members' reads can run at once.
const READERS: u32 = 4;

/// How long a query waits for a connection: the busy timeout of the one ahead of it, and
/// some slack.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(BUSY_TIMEOUT.as_secs() + 5);

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

impl Store {
    /// Opens (creating if missing) and migrates the database.
    pub async fn open(options: SqliteConnectOptions) -> Result<Self> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL in WAL mode survives a process crash (the WAL is on disk when a commit
            // returns); only a power cut can lose the last transactions.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            // No checkpoint inside a commit: the one commit that crosses the threshold would
            // copy the WAL and fsync while every write queued behind it waits (the load
            // driver's p99 spikes). The bot checkpoints in the background instead
            // (`checkpoint`), and SQLite checkpoints when the last connection closes.
            .pragma("wal_autocheckpoint", "0")
            .pragma("mmap_size", "268435456");
        let write = Conns::open("write", options.clone(), 1, ACQUIRE_TIMEOUT).await?;
        // `run_direct` (what `run` calls after acquiring) because `run(&mut conn)` makes the
        // future not `Send` for every lifetime ("Acquire is not general enough"), which
        // `tokio::spawn(startup::run(..))` needs; `false` applies the migrations, not skips them.
        MIGRATOR.run_direct(None, &mut *write.get().await?, false).await?;
        let read = Conns::open("read", options, READERS, ACQUIRE_TIMEOUT).await?;
        let (write, read) = (Arc::new(write), Arc::new(read));
        Ok(Self { backend: Backend::Sqlite { write, read }, owner: new_owner(), shards: Arc::default() })
    }

    /// Connects to PostgreSQL at `url` and migrates it (migrations/postgres).
    pub async fn open_postgres(url: &str) -> Result<Self> {
        use std::str::FromStr;
        // A statement waits for another's lock as long as SQLite's busy timeout, then fails
        // as busy; one that runs far longer than any of the bot's is stopped likewise.
        let busy = format!("{}s", BUSY_TIMEOUT.as_secs());
        let options = sqlx::postgres::PgConnectOptions::from_str(url)?
            // The server's NOTICEs ("relation … already exists, skipping" from a migration run
            // again) are not news to anyone running the bot.
            .options([("lock_timeout", busy.as_str()), ("statement_timeout", "60s"), ("client_min_messages", "warning")])
            .application_name("partner-coach");
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(POSTGRES_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await?;
        POSTGRES_MIGRATOR.run(&pool).await.map_err(|e| sqlx::Error::Migrate(Box::new(e)))?;
        Ok(Self { backend: Backend::Postgres(pool), owner: new_owner(), shards: Arc::default() })
    }

    /// Opens the database `url` names: PostgreSQL for `postgres://` and `postgresql://`,
    /// SQLite (`sqlite://FILE`) otherwise. A bad SQLite URL is refused by
    /// [`crate::config::database_options`] with its own message; this wraps it as a
    /// configuration error.
    pub async fn connect(url: &str) -> Result<Self> {
        if is_postgres_url(url) {
            return Self::open_postgres(url).await;
        }
        let options = crate::config::database_options(url).map_err(|e| sqlx::Error::Configuration(e.to_string().into()))?;
        Self::open(options).await
    }

    /// This store for a process that runs `shards` of the bot's gateway shards: it claims only
    /// the scheduled work of their guilds (every clone of it too). Set once; a second call
    /// changes nothing.
    pub fn set_shards(&self, shards: crate::domain::shards::ShardRange) {
        let _ = self.shards.set(shards);
    }

    /// The shards whose work this store claims, if not all.
    fn shards(&self) -> Option<crate::domain::shards::ShardRange> {
        self.shards.get().copied()
    }

    /// Claims interaction `id` for this bot: `true` for the first claimer, `false` for any
    /// other (which must drop it unanswered). One insert that only one caller can make.
    pub async fn claim_interaction(&self, id: u64, now: chrono::DateTime<chrono::Utc>) -> Result<bool> {
        let n = with_conn!(self, writer, |c| sqlx::query(
            "INSERT INTO interaction_claims (id, claimed_by, claimed_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING"
        )
        .bind(id as i64)
        .bind(&*self.owner)
        .bind(ts(now))
        .execute(c)
        .await?
        .rows_affected());
        Ok(n == 1)
    }

    /// Reserves a window of `span` in which this process may IDENTIFY its shards, the next one
    /// after every other process's, and returns when it starts (now, if nobody identifies
    /// now). One conditional statement: of processes starting together, each gets its own.
    pub async fn reserve_identify_window(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        span: Duration,
    ) -> Result<chrono::DateTime<chrono::Utc>> {
        let (now_ms, span_ms) = (now.timestamp_millis(), span.as_millis() as i64);
        let end: i64 = with_conn!(self, writer, |c| sqlx::query_scalar(
            "UPDATE identify_window SET next_free_ms = CASE WHEN next_free_ms > $1 THEN next_free_ms ELSE $1 END + $2 \
             WHERE id = 1 RETURNING next_free_ms"
        )
        .bind(now_ms)
        .bind(span_ms)
        .fetch_one(c)
        .await?);
        Ok(chrono::DateTime::from_timestamp_millis(end - span_ms).unwrap_or(now))
    }

    /// Forgets interaction claims from before `before`.
    pub async fn prune_interaction_claims(&self, before: chrono::DateTime<chrono::Utc>) -> Result<u64> {
        Ok(with_conn!(self, writer, |c| sqlx::query("DELETE FROM interaction_claims WHERE claimed_at < $1")
            .bind(ts(before))
            .execute(c)
            .await?
            .rows_affected()))
    }

    /// The holder token of this store's claims.
    pub fn claim_owner(&self) -> &str {
        &self.owner
    }

    /// Whether any row of `table` (one of [`CLAIMED`]) is due at `now` for this store's
    /// shards: read first, so that a tick with nothing due writes nothing. On SQLite a claim is
    /// a write on the one writer connection, and a tick that claimed nothing would still queue
    /// behind (and keep waiting on) another process's lock, holding up the members' check-ins.
    async fn any_due(&self, table: &str, now: chrono::DateTime<chrono::Utc>) -> Result<bool> {
        let sql = format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE due_at <= $1{})", shard_condition(self.shards()));
        Ok(with_conn!(self, reader, |c| sqlx::query_scalar::<_, bool>(sqlx::AssertSqlSafe(sql)).bind(ts(now)).fetch_one(c).await?))
    }

    /// The bindings of [`claim_sql`] at `now`.
    fn claim_args(&self, now: chrono::DateTime<chrono::Utc>) -> (String, i64, i64) {
        (self.owner.to_string(), ts(now) + CLAIM_LEASE.as_secs() as i64, ts(now))
    }

    /// Releases every claim this store holds.
    async fn release_claims(&self) -> Result<()> {
        for table in CLAIMED {
            // The table names are the literals of CLAIMED.
            let sql = format!("UPDATE {table} SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = $1");
            with_conn!(self, writer, |c| sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&*self.owner).execute(c).await?.rows_affected());
        }
        Ok(())
    }

    /// Whether this store is on PostgreSQL (several processes may share it).
    pub fn is_postgres(&self) -> bool {
        self.pg().is_some()
    }

    /// Which backend this store is on, for `check` and the logs.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite { .. } => "SQLite",
            Backend::Postgres(_) => "PostgreSQL",
        }
    }

    /// Flushes and closes the connections; waits for writes in flight. The claims this store
    /// holds are released first, so a bot started next on the database takes that work at
    /// once rather than after the lease.
    pub async fn close(&self) {
        if let Err(e) = self.release_claims().await {
            tracing::warn!(error = %e, "could not release this bot's claims; they end with their lease");
        }
        match &self.backend {
            Backend::Sqlite { write, read } => {
                write.close().await;
                read.close().await;
            }
            Backend::Postgres(pool) => pool.close().await,
        }
    }

    /// The PostgreSQL pool, when this store is on PostgreSQL.
    fn pg(&self) -> Option<&sqlx::PgPool> {
        match &self.backend {
            Backend::Postgres(pool) => Some(pool),
            Backend::Sqlite { .. } => None,
        }
    }

    /// Copies the WAL back into the database without blocking writers (PASSIVE); called
    /// every few seconds by the bot.
    /// PostgreSQL checkpoints on its own: nothing to do there.
    pub async fn checkpoint(&self) -> Result<()> {
        if self.pg().is_some() {
            return Ok(());
        }
        sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&mut *self.reader().await?).await?;
        Ok(())
    }

    /// Whether the database answers (one trivial query), for `/healthz`.
    pub async fn ping(&self) -> Result<()> {
        let one: i64 = with_conn!(self, reader, |c| sqlx::query_scalar("SELECT CAST(1 AS BIGINT)").fetch_one(c).await?);
        debug_assert_eq!(one, 1);
        Ok(())
    }

    /// Quick health figures for `partner-coach check`.
    pub async fn summary(&self) -> Result<StoreSummary> {
        const COUNTS: &str = "SELECT (SELECT count(*) FROM guilds), (SELECT count(*) FROM checkins), (SELECT count(*) FROM commitments)";
        const MIGRATIONS: &str = "SELECT count(*) FROM _sqlx_migrations WHERE success";
        if let Some(pool) = self.pg() {
            // PostgreSQL checks its own pages (checksums, WAL replay); there is no
            // quick_check to run.
            let (guilds, checkins, commitments): (i64, i64, i64) = sqlx::query_as(COUNTS).fetch_one(pool).await?;
            let migrations: i64 = sqlx::query_scalar(MIGRATIONS).fetch_one(pool).await?;
            return Ok(StoreSummary { guilds, checkins, commitments, migrations, integrity_ok: true });
        }
        let mut conn = self.reader().await?;
        let (guilds, checkins, commitments): (i64, i64, i64) = sqlx::query_as(COUNTS).fetch_one(&mut *conn).await?;
        let migrations: i64 = sqlx::query_scalar(MIGRATIONS).fetch_one(&mut *conn).await?;
        let integrity: String = sqlx::query_scalar("PRAGMA quick_check").fetch_one(&mut *conn).await?;
        Ok(StoreSummary { guilds, checkins, commitments, migrations, integrity_ok: integrity == "ok" })
    }

    /// A consistent copy of the database at `path`, safe while the bot runs (`VACUUM INTO`
    /// reads one snapshot; writers go on meanwhile).
    pub async fn backup(&self, path: &str) -> Result<()> {
        sqlx::query("VACUUM INTO ?").bind(path).execute(&mut *self.reader().await?).await?;
        Ok(())
    }

    /// Begins a write transaction. `BEGIN IMMEDIATE` takes the write lock up front, so a
    /// transaction never fails half-way when another process holds the lock: it waits for
    /// the busy timeout at the start instead.
    async fn begin_write<'c>(conn: &'c mut Conn<'_>) -> Result<sqlx::Transaction<'c, sqlx::Sqlite>> {
        conn.begin_with("BEGIN IMMEDIATE").await
    }

    /// The SQLite writer connection, once the writes queued before this one are done.
    async fn writer(&self) -> Result<Conn<'_>> {
        match &self.backend {
            Backend::Sqlite { write, .. } => write.get().await,
            Backend::Postgres(_) => Err(not_on_postgres()),
        }
    }

    /// A SQLite reader connection.
    async fn reader(&self) -> Result<Conn<'_>> {
        match &self.backend {
            Backend::Sqlite { read, .. } => read.get().await,
            Backend::Postgres(_) => Err(not_on_postgres()),
        }
    }
}

/// Counts shown by `partner-coach check`.
#[derive(Debug, Clone, Copy)]
pub struct StoreSummary {
    /// Guilds known.
    pub guilds: i64,
    /// Check-ins stored.
    pub checkins: i64,
    /// Commitments stored.
    pub commitments: i64,
    /// Migrations applied.
    pub migrations: i64,
    /// `PRAGMA quick_check` said ok.
    pub integrity_ok: bool,
}

/// Which backend a connection is of, for the rare statement only one of them needs (a row
/// lock PostgreSQL takes where SQLite's single writer already runs transactions in turn).
pub(crate) trait Dialect {
    /// PostgreSQL.
    const POSTGRES: bool;
}

impl Dialect for sqlx::PgConnection {
    const POSTGRES: bool = true;
}

impl Dialect for sqlx::SqliteConnection {
    const POSTGRES: bool = false;
}

/// Whether `conn` is a PostgreSQL connection.
pub(crate) fn on_postgres<C: Dialect>(_conn: &C) -> bool {
    C::POSTGRES
}

/// `sql` with each plain `?` numbered (`$1`, `$2`, ...), as PostgreSQL writes placeholders:
/// for the few statements SQLite runs in a batch, where numbered ones do not work (see
/// `batch.rs`), and PostgreSQL runs alone. No `?` may appear inside a string literal.
pub(crate) fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for ch in sql.chars() {
        if ch == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(ch);
        }
    }
    out
}

/// Unix seconds for a UTC instant.
pub(crate) fn ts(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp()
}

/// The inverse of [`ts`].
pub(crate) fn from_ts(s: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(s, 0).unwrap_or_default()
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    /// A fresh store on each backend: SQLite always, and PostgreSQL when a test server is
    /// given (a new database on it; see `postgres_tests.rs`). The same test code runs on
    /// every store returned. The guard keeps the SQLite file alive.
    pub async fn stores(test: &str) -> Vec<(Store, Option<tempfile::TempDir>)> {
        let (sqlite, dir) = store().await;
        let mut all = vec![(sqlite, Some(dir))];
        if let Some(db) = super::postgres_tests::TestDatabase::create(test).await {
            all.push((Store::open_postgres(&db.url).await.expect("the test server takes the schema"), None));
        }
        all
    }

    /// The URL of a fresh database on each backend, as [`stores`] makes them, for tests that
    /// open several stores on one database (as several bots would). The guard keeps the
    /// SQLite file alive.
    pub async fn database_urls(test: &str) -> Vec<(String, Option<tempfile::TempDir>)> {
        let dir = tempfile::tempdir().unwrap();
        let mut all = vec![(format!("sqlite://{}", dir.path().join("test.db").display()), Some(dir))];
        if let Some(db) = super::postgres_tests::TestDatabase::create(test).await {
            all.push((db.url.clone(), None));
        }
        all
    }

    /// One integer that `sql` (no parameters) reads, on either backend.
    pub async fn int(s: &Store, sql: &str) -> i64 {
        let read = async {
            Ok::<_, Error>(with_conn!(s, reader, |c| sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned()))
                .fetch_one(c)
                .await?))
        };
        read.await.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The one text column of every row `sql` (no parameters) reads, sorted, on either backend.
    pub async fn rows(s: &Store, sql: &str) -> Vec<String> {
        let read = async {
            Ok::<_, Error>(with_conn!(s, reader, |c| sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql.to_owned()))
                .fetch_all(c)
                .await?))
        };
        let mut rows = read.await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        rows.sort();
        rows
    }

    /// One text (or NULL) that `sql` (no parameters) reads, on either backend.
    pub async fn text(s: &Store, sql: &str) -> Option<String> {
        let read = async {
            Ok::<_, Error>(with_conn!(s, reader, |c| sqlx::query_scalar::<_, Option<String>>(sqlx::AssertSqlSafe(sql.to_owned()))
                .fetch_one(c)
                .await?))
        };
        read.await.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Runs `sql` (no parameters) on either backend's writer.
    pub async fn exec(s: &Store, sql: &str) -> Result<u64> {
        Ok(with_conn!(s, writer, |c| sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).execute(c).await?.rows_affected()))
    }

    /// A fresh database file in its own temporary directory (kept alive by the guard).
    pub async fn store() -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let store = Store::open(crate::config::database_options(&url).unwrap()).await.unwrap();
        (store, dir)
    }
}
