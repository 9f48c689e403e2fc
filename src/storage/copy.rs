//! `partner-coach copy-db`: a whole SQLite database into an empty PostgreSQL one, when the bot
//! outgrows one process. The target is migrated first (migrations/postgres), refused if any
//! table holds a row, and filled in one transaction, one pass per table in batches; identity
//! columns then continue after the copied ids; row counts are compared per table at the end.
//!
//! The tables and columns are read from the target's schema, which `postgres_tests.rs` keeps
//! equal to SQLite's; each value is converted by the target column's type (SQLite keeps flags
//! as 0/1, PostgreSQL as booleans).

use futures::TryStreamExt;
use sqlx::{Connection, Row};

use super::Store;

/// The PostgreSQL schema's migrations.
pub static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// One table's copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableCopy {
    /// The table.
    pub table: String,
    /// Rows in the source.
    pub source: i64,
    /// Rows in the target after the copy.
    pub target: i64,
}

/// Why a copy did not happen.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The target already holds rows: a copy never mixes two databases.
    #[error("the target already holds data (table {0} has rows): copy-db fills an empty database only")]
    TargetHasData(String),
    /// A database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// The target's migrations failed.
    #[error("the target's migrations failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Rows per INSERT: well under PostgreSQL's 65,535 bound parameters for the widest table.
const BATCH_ROWS: usize = 500;

/// A target column: its name, its PostgreSQL type, whether it is an identity.
type Column = (String, String, bool);

#[derive(Clone, Debug)]
enum Value {
    Int(Option<i64>),
    Bool(Option<bool>),
    Float(Option<f64>),
    Text(Option<String>),
}

/// Tables `copy-db` leaves alone: the gateway's identify window and the interaction claims of
/// running bots (a stopped bot's are of no use to the next).
const NOT_COPIED: [&str; 2] = ["identify_window", "interaction_claims"];

impl Store {
    /// Copies every table of this (SQLite) database into the empty PostgreSQL database at
    /// `target`, and returns each table's row counts on both sides.
    pub async fn copy_to_postgres(&self, target: &str) -> Result<Vec<TableCopy>, CopyError> {
        let mut pg = sqlx::PgConnection::connect(target).await?;
        POSTGRES_MIGRATOR.run(&mut pg).await?;
        let columns: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT table_name::text, column_name::text, data_type::text, is_identity::text FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name != '_sqlx_migrations' ORDER BY table_name, ordinal_position",
        )
        .fetch_all(&mut pg)
        .await?;
        // Not data but the running bots' coordination, which each database keeps for itself
        // (the identify window is a row the migration writes).
        let columns = columns.into_iter().filter(|c| !NOT_COPIED.contains(&c.0.as_str()));
        let mut tables: Vec<(String, Vec<Column>)> = Vec::new();
        for (table, column, kind, identity) in columns {
            if tables.last().is_none_or(|(t, _)| *t != table) {
                tables.push((table.clone(), Vec::new()));
            }
            tables.last_mut().expect("pushed").1.push((column, kind, identity == "YES"));
        }
        for (table, _) in &tables {
            // Table names come from the target's own catalogue.
            let has: bool =
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT EXISTS (SELECT 1 FROM {table})"))).fetch_one(&mut pg).await?;
            if has {
                return Err(CopyError::TargetHasData(table.clone()));
            }
        }
        let mut tx = pg.begin().await?;
        let mut source = self.reader().await?;
        for (table, cols) in &tables {
            let names = cols.iter().map(|(c, _, _)| c.as_str()).collect::<Vec<_>>().join(", ");
            let select = format!("SELECT {names} FROM {table}");
            let mut rows = sqlx::query(sqlx::AssertSqlSafe(select)).fetch(&mut *source);
            let mut batch: Vec<Vec<Value>> = Vec::with_capacity(BATCH_ROWS);
            while let Some(row) = rows.try_next().await? {
                let mut values = Vec::with_capacity(cols.len());
                for (i, (_, kind, _)) in cols.iter().enumerate() {
                    values.push(match kind.as_str() {
                        "bigint" | "integer" | "smallint" => Value::Int(row.try_get(i)?),
                        "boolean" => Value::Bool(row.try_get::<Option<i64>, _>(i)?.map(|v| v != 0)),
                        "double precision" | "real" => Value::Float(row.try_get(i)?),
                        _ => Value::Text(row.try_get(i)?),
                    });
                }
                batch.push(values);
                if batch.len() == BATCH_ROWS {
                    insert(&mut tx, table, &names, std::mem::take(&mut batch)).await?;
                }
            }
            drop(rows);
            if !batch.is_empty() {
                insert(&mut tx, table, &names, batch).await?;
            }
            // New rows continue after the copied ids.
            for (col, _, identity) in cols {
                if *identity {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', '{col}'), (SELECT coalesce(max({col}), 0) + 1 FROM {table}), false)"
                    )))
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        tx.commit().await?;
        let mut report = Vec::new();
        for (table, _) in &tables {
            let count = format!("SELECT count(*) FROM {table}");
            let s: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count.clone())).fetch_one(&mut *source).await?;
            let t: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count)).fetch_one(&mut pg).await?;
            report.push(TableCopy { table: table.clone(), source: s, target: t });
        }
        pg.close().await?;
        Ok(report)
    }
}

async fn insert(conn: &mut sqlx::PgConnection, table: &str, names: &str, rows: Vec<Vec<Value>>) -> Result<(), sqlx::Error> {
    let mut q = sqlx::QueryBuilder::<sqlx::Postgres>::new(format!("INSERT INTO {table} ({names}) "));
    q.push_values(rows, |mut b, row| {
        for v in row {
            match v {
                Value::Int(v) => b.push_bind(v),
                Value::Bool(v) => b.push_bind(v),
                Value::Float(v) => b.push_bind(v),
                Value::Text(v) => b.push_bind(v),
            };
        }
    });
    q.build().execute(conn).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::domain::ids::{ChannelId, GuildId, TeamKey, UserId};
    use crate::storage::postgres_tests::TestDatabase;
    use crate::storage::test_support::store;

    /// Every table's rows as text, in a stable order, to compare two databases by value.
    async fn contents_sqlite(s: &Store, table: &str, cols: &str) -> Vec<String> {
        let q = format!("SELECT {cols} FROM {table}");
        let rows = sqlx::query(sqlx::AssertSqlSafe(q)).fetch_all(&mut *s.reader().await.unwrap()).await.unwrap();
        let mut out: Vec<String> = rows.iter().map(|r| (0..r.len()).map(|i| cell_sqlite(r, i)).collect::<Vec<_>>().join("|")).collect();
        out.sort();
        out
    }

    fn cell_sqlite(r: &sqlx::sqlite::SqliteRow, i: usize) -> String {
        if let Ok(v) = r.try_get::<Option<i64>, _>(i) {
            return format!("{v:?}");
        }
        if let Ok(v) = r.try_get::<Option<f64>, _>(i) {
            return format!("{v:?}");
        }
        format!("{:?}", r.try_get::<Option<String>, _>(i).unwrap())
    }

    async fn contents_pg(url: &str, table: &str, cols: &[(String, String)]) -> Vec<String> {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        let names = cols.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>().join(", ");
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {names} FROM {table}"))).fetch_all(&mut conn).await.unwrap();
        let mut out: Vec<String> = rows
            .iter()
            .map(|r| {
                cols.iter()
                    .enumerate()
                    .map(|(i, (_, kind))| match kind.as_str() {
                        "bigint" => format!("{:?}", r.get::<Option<i64>, _>(i)),
                        // SQLite's 0/1 flags read as integers there.
                        "boolean" => format!("{:?}", r.get::<Option<bool>, _>(i).map(i64::from)),
                        "double precision" => format!("{:?}", r.get::<Option<f64>, _>(i)),
                        _ => format!("{:?}", r.get::<Option<String>, _>(i)),
                    })
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect();
        out.sort();
        out
    }

    /// A source with rows in many tables, made the way the bot makes them.
    async fn filled() -> (Store, tempfile::TempDir) {
        let (s, dir) = store().await;
        let now = Utc::now();
        let g = GuildId(1);
        let team = TeamKey::default_of(g);
        s.update_guild(team, crate::storage::GuildChange::Board(ChannelId(5)), &[], now).await.unwrap();
        for user in 2..6u64 {
            let d: chrono::NaiveDate = "2026-11-23".parse().unwrap();
            let ctx = crate::storage::CheckinContext {
                guild: g,
                team: crate::domain::ids::TeamId::DEFAULT,
                user: UserId(user),
                local_date: d,
                week: crate::domain::time::IsoWeek::of(d),
                now,
            };
            let c = crate::storage::CommunicationCheckin {
                rating: 4,
                went_well: Some(format!("ok {user} 'quoted' \"x\"")),
                improve: None,
                partner: None,
            };
            s.record_communication_checkin(ctx, &c).await.unwrap();
            let next = crate::storage::NewCommitment {
                text: format!("promise {user}"),
                due: d,
                partner: Some(UserId(user + 10)),
                private: user % 2 == 0,
                partner_check_at: Some(now),
                board: true,
            };
            let cc = crate::storage::CommitmentCheckin { kept: None, which: None, next: Some(next), blocker: None, partner: None };
            s.record_commitment_checkin(ctx, &cc).await.unwrap();
        }
        s.propose(team, crate::storage::CharterKind::Goal, "a goal", UserId(2), ChannelId(9), now, now).await.unwrap();
        (s, dir)
    }

    #[tokio::test]
    async fn a_sqlite_database_copies_into_an_empty_postgres_one_value_for_value_and_only_once() {
        let Some(db) = TestDatabase::create("a_sqlite_database_copies_into_an_empty_postgres_one").await else { return };
        let (s, _dir) = filled().await;
        let report = s.copy_to_postgres(&db.url).await.unwrap();
        assert!(report.iter().all(|t| t.source == t.target), "{report:?}");
        assert!(report.iter().any(|t| t.table == "commitments" && t.source == 4), "{report:?}");
        // Every value, flags included, is the same on both sides.
        let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
        let cols: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name != '_sqlx_migrations' ORDER BY table_name, ordinal_position",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        let mut by_table: std::collections::BTreeMap<String, Vec<(String, String)>> = Default::default();
        for (t, c, k) in cols {
            by_table.entry(t).or_default().push((c, k));
        }
        for (table, cols) in &by_table {
            let names = cols.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>().join(", ");
            assert_eq!(contents_sqlite(&s, table, &names).await, contents_pg(&db.url, table, cols).await, "{table}");
        }
        // New rows continue after the copied ids.
        let next: i64 = sqlx::query_scalar(
            "INSERT INTO charter_items (guild_id, team_id, kind, text, proposed_at, expires_at, channel_id) \
                                            VALUES (1, 0, 'goal', 'next', 0, 0, 9) RETURNING id",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        assert_eq!(next, 2);
        conn.close().await.unwrap();
        // A second copy into the same database is refused, and changes nothing.
        assert!(matches!(s.copy_to_postgres(&db.url).await, Err(CopyError::TargetHasData(_))));
        db.drop_now().await;
    }
}
