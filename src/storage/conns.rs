//! A few SQLite connections, lent to one query or transaction at a time.
//!
//! Not sqlx's `Pool`: it pings every connection it takes back (a round trip to the
//! connection's thread, meant to catch a network session gone stale), and that ping doubled
//! the thread hand-offs of each query, the largest cost in the bot's CPU per interaction. An
//! in-process SQLite connection cannot go stale, so here a returned connection goes straight
//! back on the idle list.

use std::ops::{Deref, DerefMut};
use std::sync::Mutex;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};
use tokio::sync::{Semaphore, SemaphorePermit};

use super::Result;

/// Up to `max` connections, opened when first needed and kept open.
pub(crate) struct Conns {
    name: &'static str,
    options: SqliteConnectOptions,
    /// Last in, first out: the connection used last has the warmest page cache and thread.
    idle: Mutex<Vec<SqliteConnection>>,
    permits: Semaphore,
    max: u32,
    /// How long a caller waits for a connection before it gets `PoolTimedOut`: a lock held
    /// by another process makes the queue wait the busy timeout, not forever.
    acquire_timeout: Duration,
}

impl std::fmt::Debug for Conns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conns")
            .field("name", &self.name)
            .field("max", &self.max)
            .field("available", &self.permits.available_permits())
            .finish()
    }
}

impl Conns {
    /// Opens the first connection now, so a bad path or a locked file fails at start.
    pub(crate) async fn open(name: &'static str, options: SqliteConnectOptions, max: u32, acquire_timeout: Duration) -> Result<Self> {
        let first = options.connect().await?;
        Ok(Self { name, options, idle: Mutex::new(vec![first]), permits: Semaphore::new(max as usize), max, acquire_timeout })
    }

    /// A connection for one query or transaction; it goes back when the guard drops.
    pub(crate) async fn get(&self) -> Result<Conn<'_>> {
        let permit = match tokio::time::timeout(self.acquire_timeout, self.permits.acquire()).await {
            Err(_) => return Err(sqlx::Error::PoolTimedOut),
            Ok(Err(_)) => return Err(sqlx::Error::PoolClosed),
            Ok(Ok(permit)) => permit,
        };
        let idle = self.idle.lock().expect("idle connections").pop();
        let conn = match idle {
            Some(conn) => conn,
            None => self.options.connect().await?,
        };
        Ok(Conn { conn: Some(conn), owner: self, _permit: permit, discard: false })
    }

    /// Waits for every lent connection to come back, then closes them all. Later `get`s
    /// fail with `PoolClosed`.
    pub(crate) async fn close(&self) {
        if let Ok(all) = self.permits.acquire_many(self.max).await {
            all.forget();
        }
        self.permits.close();
        let conns = std::mem::take(&mut *self.idle.lock().expect("idle connections"));
        for conn in conns {
            if let Err(e) = conn.close().await {
                tracing::warn!(connections = self.name, error = %e, "closing a database connection failed");
            }
        }
    }
}

/// A lent connection.
pub(crate) struct Conn<'a> {
    conn: Option<SqliteConnection>,
    owner: &'a Conns,
    // Dropped after `Drop::drop` has put the connection back, so a waiter never finds the
    // idle list empty while a permit is free.
    _permit: SemaphorePermit<'a>,
    /// Set while a batch that opens and commits its own transaction runs. If the caller's
    /// future is dropped half-way, the connection is closed instead of lent again: closing
    /// rolls the transaction back, where reusing it would run the next caller inside it.
    pub(crate) discard: bool,
}

impl Deref for Conn<'_> {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        self.conn.as_ref().expect("connection present until drop")
    }
}

impl DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        self.conn.as_mut().expect("connection present until drop")
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            if self.discard {
                tracing::warn!(
                    connections = self.owner.name,
                    "a transaction was interrupted; its connection is closed, which rolls it back"
                );
                drop(conn);
            } else {
                self.owner.idle.lock().expect("idle connections").push(conn);
            }
        }
    }
}
