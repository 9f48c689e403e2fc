//! A batch of statements sent as one string, in one trip to a connection's thread, with its
//! arguments in order. sqlx binds a batch's arguments positionally across all its statements
//! (a numbered `?1` is resolved against the whole batch, not the statement), so one argument
//! too few would shift every later statement's: [`Batch::push`] counts each statement's
//! placeholders against its arguments as it is added, and refuses a miscount outright.

use sqlx::sqlite::SqliteArguments;
use sqlx::Sqlite;

/// A value bound in a [`Batch`].
#[derive(Clone, Debug)]
pub(super) enum Arg {
    Int(i64),
    OptInt(Option<i64>),
    Text(String),
    OptText(Option<String>),
}

/// The statements and their arguments.
#[derive(Default)]
pub(super) struct Batch {
    sql: String,
    args: Vec<Arg>,
}

macro_rules! bind_all {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::Int(v) => q.bind(v),
                Arg::OptInt(v) => q.bind(v),
                Arg::Text(v) => q.bind(v),
                Arg::OptText(v) => q.bind(v),
            };
        }
        q
    }};
}

impl Batch {
    /// Adds one statement (plain `?` placeholders only) with its arguments.
    pub(super) fn push(&mut self, sql: &str, args: Vec<Arg>) {
        assert_eq!(sql.matches('?').count(), args.len(), "arguments for {sql}");
        self.sql.push_str(sql);
        self.sql.push_str(";\n");
        self.args.extend(args);
    }

    /// The batch as a query whose statements each return rows of `R`.
    pub(super) fn rows<R>(self) -> sqlx::query::QueryAs<'static, Sqlite, R, SqliteArguments>
    where
        R: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>,
    {
        bind_all!(sqlx::query_as::<_, R>(sqlx::AssertSqlSafe(self.sql)), self.args)
    }

    /// The batch as a query whose statements each return one text column.
    pub(super) fn scalars(self) -> sqlx::query::QueryScalar<'static, Sqlite, String, SqliteArguments> {
        bind_all!(sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(self.sql)), self.args)
    }
}
