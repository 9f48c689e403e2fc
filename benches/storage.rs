//! `cargo bench`: the two storage-bound targets, measured on real SQLite files.
//!
//! - scheduler: with 10,000 (and 100,000) configured guilds, finding the posts due in one
//!   tick (target: well under 10 ms, flat in the number of guilds that are not due);
//! - digest: one week's digest of a 500-member guild with one year of history (~250,000
//!   check-ins, 25,000 commitments), and with four years (target: ≤ 50 ms, and four years
//!   at most 1.5× one year); its twelve-week trend on its own (target: ≤ 20 ms);
//! - teams: the digest of one team of 25 in a server of 20 such teams, twelve weeks of history
//!   for every team (target: within the same 50 ms, and about what the team costs alone in its
//!   server); finding the due posts with 10, 1,000 and 10,000 idle teams' jobs and the same 50
//!   due (flat in the teams that are not due).
//! - digest on PostgreSQL, with `PC_BENCH_POSTGRES=postgres://…` (a server and a role that may
//!   create databases; `scripts/with-postgres sh -c 'PC_BENCH_POSTGRES=$PC_TEST_POSTGRES cargo
//!   bench -- digest'` starts a throwaway one): the same 500 members and year of history, in a
//!   fresh database dropped afterwards (target: ≤ 50 ms). Its digest must equal SQLite's, figure
//!   for figure, when both ran: a benchmark on other data would measure something else.
//!
//! Medians of many runs, printed with their ratios; no assertions (machines here are shared
//! and noisy). A hand-rolled harness: criterion would add a minute of build for two numbers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use partner_coach::clock::{ManualClock, Random};
use partner_coach::domain::ids::{GuildId, TeamId, TeamKey};
use partner_coach::domain::settings::GuildSettings;
use partner_coach::domain::time::IsoWeek;
use partner_coach::prompts::Prompts;
use partner_coach::service::Service;
use partner_coach::storage::{JobKey, JobKind, JobUpdate, Store};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn open(dir: &std::path::Path, name: &str) -> (Store, String) {
    let url = format!("sqlite://{}", dir.join(name).display());
    (Store::open(partner_coach::config::database_options(&url).unwrap()).await.unwrap(), url)
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-27T09:00:00Z").unwrap().with_timezone(&Utc)
}

/// `guilds` daily jobs, 100 of them due now, the rest spread over the next day.
async fn scheduler(guilds: u64) -> (Duration, usize) {
    let dir = tempfile::tempdir().unwrap();
    let (store, url) = open(dir.path(), "sched.db").await;
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    let t = now().timestamp();
    for g in 1..=guilds {
        let due = if g % (guilds / 100) == 0 { t - 30 } else { t + 60 + (g as i64 * 7919) % 86_000 };
        sqlx::query(
            "INSERT INTO schedule (kind, guild_id, user_id, due_at, period_date, attempts) VALUES ('daily', ?, 0, ?, '2026-11-27', 0)",
        )
        .bind(g as i64)
        .bind(due)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    // Warm up, then measure.
    let due = store.due_jobs(now(), 256).await.unwrap().len();
    let mut times = Vec::new();
    for _ in 0..300 {
        let s = Instant::now();
        let jobs = store.due_jobs(now(), 256).await.unwrap();
        times.push(s.elapsed());
        assert_eq!(jobs.len(), due);
    }
    // Keep the API honest: putting a job back is one indexed write.
    store.put_job(JobUpdate::new(JobKey::guild(JobKind::Daily, GuildId(1)), now(), now().date_naive())).await.unwrap();
    (median(times), due)
}

/// A 500-member guild with `days` days of history: every member rates communication every
/// day (with notes) and checks in on commitments every third day (with a blocker now and
/// then), plus one commitment a week per member: ~250,000 check-ins and 26,000 commitments
/// a year.
async fn digest(days: i64) -> (Duration, i64, i64, Duration, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let (store, url) = open(dir.path(), "digest.db").await;
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let (end, start) = history(days);
    // All in the default team (team 0): the server without teams the digest always served.
    seed(&pool, 0..=0, DIGEST_MEMBERS, start, days).await;
    sqlx::query("ANALYZE").execute(&pool).await.unwrap();
    let checkins: i64 = sqlx::query_scalar("SELECT count(*) FROM checkins").fetch_one(&pool).await.unwrap();
    let commitments: i64 = sqlx::query_scalar("SELECT count(*) FROM commitments").fetch_one(&pool).await.unwrap();
    pool.close().await;
    let (median, trend, json) = time_digest(store, end).await;
    (median, checkins, commitments, trend, json)
}

/// The digest's 500 members.
const DIGEST_MEMBERS: u32 = 500;

/// The week's last day and the history's first for `days` days of history.
fn history(days: i64) -> (NaiveDate, NaiveDate) {
    let end = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
    (end, end - chrono::Duration::days(days - 1))
}

/// The median digest and trend times of guild 1's default team on `store`, seeded up to
/// `end`, and the digest as JSON.
async fn time_digest(store: Store, end: NaiveDate) -> (Duration, Duration, serde_json::Value) {
    let prompts = Arc::new(Prompts::builtin().unwrap());
    let service = Service::new(store, prompts.clone(), Arc::new(ManualClock::new(now())), Random::seeded(1));
    let week = IsoWeek::of(end);
    let d = service.digest_for(&GuildSettings::new(GuildId(1)), week).await.unwrap();
    assert!(d.participation.figures().is_some());
    let json = partner_coach::report::json(&prompts, partner_coach::domain::lang::Lang::En, &d);
    let mut times = Vec::new();
    for _ in 0..40 {
        let s = Instant::now();
        let _ = service.digest_for(&GuildSettings::new(GuildId(1)), week).await.unwrap();
        times.push(s.elapsed());
    }
    // The twelve weeks of the chart on their own (part of every digest above).
    let trend = service.trend(&GuildSettings::new(GuildId(1)), week).await.unwrap();
    assert!(trend.iter().all(|w| w.participation.is_some()), "every week has figures");
    let mut trend_times = Vec::new();
    for _ in 0..40 {
        let s = Instant::now();
        let _ = service.trend(&GuildSettings::new(GuildId(1)), week).await.unwrap();
        trend_times.push(s.elapsed());
    }
    service.store.close().await;
    (median(times), median(trend_times), json)
}

/// [`digest`] on PostgreSQL: a fresh database on the server `admin` names, the same rows
/// (generated by the server in one statement per table, the fastest way to put a quarter of
/// a million rows there), dropped at the end. Also returns how long the rows took to write.
async fn digest_postgres(admin: &str, days: i64) -> (Duration, i64, i64, Duration, serde_json::Value, Duration) {
    use sqlx::{Connection, Executor};
    let name = format!("pc_bench_{}_{}", std::process::id(), rand::random::<u32>());
    let mut conn = sqlx::PgConnection::connect(admin).await.expect("PC_BENCH_POSTGRES answers");
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.expect("a bench database (the role needs CREATEDB)");
    let url = format!("{}/{name}", admin.rsplit_once('/').map_or(admin, |(base, _)| base));
    let store = Store::open_postgres(&url).await.unwrap();
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let (end, start) = history(days);
    let seeding = Instant::now();
    seed_postgres(&pool, DIGEST_MEMBERS, start, days).await;
    // VACUUM as well as ANALYZE: the visibility map lets the digest's index-only scans skip
    // the table, as a database that autovacuum has visited would.
    sqlx::query("VACUUM ANALYZE").execute(&pool).await.unwrap();
    let seeded = seeding.elapsed();
    let checkins: i64 = sqlx::query_scalar("SELECT count(*) FROM checkins").fetch_one(&pool).await.unwrap();
    let commitments: i64 = sqlx::query_scalar("SELECT count(*) FROM commitments").fetch_one(&pool).await.unwrap();
    pool.close().await;
    let (median, trend, json) = time_digest(store, end).await;
    conn.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)"))).await.unwrap();
    conn.close().await.unwrap();
    (median, checkins, commitments, trend, json, seeded)
}

/// [`seed`]'s rows for the default team, in PostgreSQL's dialect: `generate_series` for the
/// recursive counters, `to_char` for SQLite's `date`/`strftime('%G-W%V')`, `extract(epoch)`
/// for `unixepoch`.
async fn seed_postgres(pool: &sqlx::PgPool, members: u32, start: NaiveDate, days: i64) {
    sqlx::query(
        "INSERT INTO checkins (guild_id, team_id, user_id, kind, local_date, iso_week, rating, went_well, improve, blocker, created_at, updated_at) \
         SELECT 1, 0, 1000 + u, k.kind, to_char(d, 'YYYY-MM-DD'), to_char(d, 'IYYY-\"W\"IW'), \
                CASE WHEN k.kind = 'communication' THEN 1 + (n * 7 + u) % 5 END, \
                CASE WHEN k.kind = 'communication' THEN 'clear hand-offs in the thread' END, \
                CASE WHEN k.kind = 'communication' THEN 'answer partners within a day' END, \
                CASE WHEN k.kind = 'commitments' AND u % 7 = 0 THEN 'waiting for the vendor' END, \
                extract(epoch FROM d)::bigint, extract(epoch FROM d)::bigint \
         FROM generate_series(0, $1::int - 1) AS n \
              CROSS JOIN LATERAL (SELECT $3::date + n AS d) AS day \
              CROSS JOIN generate_series(0, $2::int - 1) AS u \
              CROSS JOIN (VALUES ('communication'), ('commitments')) AS k(kind) \
         WHERE k.kind = 'communication' OR (n + u) % 3 = 0",
    )
    .bind(days)
    .bind(i64::from(members))
    .bind(start.to_string())
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO commitments (guild_id, team_id, user_id, text, due_date, status, created_week, resolved_week, created_at, resolved_at) \
         SELECT 1, 0, 1000 + u, 'send the weekly report', to_char($3::date + (n * 7 + 4), 'YYYY-MM-DD'), \
                CASE WHEN n * 7 + 7 >= $4 THEN 'open' ELSE CASE (n + u) % 3 WHEN 0 THEN 'kept' WHEN 1 THEN 'partly' ELSE 'missed' END END, \
                to_char($3::date + n * 7, 'IYYY-\"W\"IW'), \
                CASE WHEN n * 7 + 7 >= $4 THEN NULL ELSE to_char($3::date + (n * 7 + 7), 'IYYY-\"W\"IW') END, \
                extract(epoch FROM $3::date + n * 7)::bigint, \
                CASE WHEN n * 7 + 7 >= $4 THEN NULL ELSE extract(epoch FROM $3::date + (n * 7 + 7))::bigint END \
         FROM generate_series(0, $1::int - 1) AS n CROSS JOIN generate_series(0, $2::int - 1) AS u",
    )
    .bind(days / 7)
    .bind(i64::from(members))
    .bind(start.to_string())
    .bind(days)
    .execute(pool)
    .await
    .unwrap();
}

/// Members `1000 + 100 t + u` (u below `members`) of teams `teams`, each with `days` days of
/// history in their team from `start`: a rating with notes every day, a commitments check-in
/// every third day (a blocker for one member in seven), a commitment a week resolved the week
/// after (kept, partly, missed in turn) and the last one open.
async fn seed(pool: &sqlx::SqlitePool, teams: std::ops::RangeInclusive<u32>, members: u32, start: NaiveDate, days: i64) {
    let (first, last) = (*teams.start(), *teams.end());
    sqlx::query(
        "WITH RECURSIVE d(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM d WHERE n + 1 < ?1), \
                       t(t) AS (SELECT ?5 UNION ALL SELECT t + 1 FROM t WHERE t + 1 <= ?4), \
                       m(u) AS (SELECT 0 UNION ALL SELECT u + 1 FROM m WHERE u + 1 < ?2) \
         INSERT INTO checkins (guild_id, team_id, user_id, kind, local_date, iso_week, rating, went_well, improve, blocker, created_at, updated_at) \
                  SELECT 1, t, 1000 + 100 * t + u, k.kind, \
                date(?3, '+' || n || ' days'), strftime('%G-W%V', date(?3, '+' || n || ' days')), \
                CASE WHEN k.kind = 'communication' THEN 1 + (n * 7 + u + t) % 5 END, \
                CASE WHEN k.kind = 'communication' THEN 'clear hand-offs in the thread' END, \
                CASE WHEN k.kind = 'communication' THEN 'answer partners within a day' END, \
                CASE WHEN k.kind = 'commitments' AND u % 7 = 0 THEN 'waiting for the vendor' END, \
                unixepoch(date(?3, '+' || n || ' days')), unixepoch(date(?3, '+' || n || ' days')) \
         FROM d, t, m, (SELECT 'communication' AS kind UNION ALL SELECT 'commitments') AS k \
         WHERE k.kind = 'communication' OR (n + u) % 3 = 0",
    )
    .bind(days)
    .bind(members)
    .bind(start.to_string())
    .bind(last)
    .bind(first)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "WITH RECURSIVE w(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM w WHERE n + 1 < ?1), \
                       t(t) AS (SELECT ?6 UNION ALL SELECT t + 1 FROM t WHERE t + 1 <= ?5), \
                       m(u) AS (SELECT 0 UNION ALL SELECT u + 1 FROM m WHERE u + 1 < ?2) \
         INSERT INTO commitments (guild_id, team_id, user_id, text, due_date, status, created_week, resolved_week, created_at, resolved_at) \
         SELECT 1, t, 1000 + 100 * t + u, 'send the weekly report', date(?3, '+' || (n * 7 + 4) || ' days'), \
                CASE WHEN n * 7 + 7 >= ?4 THEN 'open' ELSE CASE (n + u + t) % 3 WHEN 0 THEN 'kept' WHEN 1 THEN 'partly' ELSE 'missed' END END, \
                strftime('%G-W%V', date(?3, '+' || (n * 7) || ' days')), \
                CASE WHEN n * 7 + 7 >= ?4 THEN NULL ELSE strftime('%G-W%V', date(?3, '+' || (n * 7 + 7) || ' days')) END, \
                unixepoch(date(?3, '+' || (n * 7) || ' days')), \
                CASE WHEN n * 7 + 7 >= ?4 THEN NULL ELSE unixepoch(date(?3, '+' || (n * 7 + 7) || ' days')) END \
         FROM w, t, m",
    )
    .bind(days / 7)
    .bind(members)
    .bind(start.to_string())
    .bind(days)
    .bind(last)
    .bind(first)
    .execute(pool)
    .await
    .unwrap();
}

/// `teams` teams of 25 members in server 1, each member with `days` days of history in their
/// own team as in [`digest`] (a rating with notes every day, a commitments check-in every third
/// day, a commitment a week). Returns the median digest time of one team in the middle.
async fn team_digest(teams: u32, days: i64) -> (Duration, i64, i64) {
    let dir = tempfile::tempdir().unwrap();
    let (store, url) = open(dir.path(), "teams.db").await;
    for t in 1..=teams {
        store.create_team(GuildId(1), &format!("team-{t}"), None, None, now()).await.unwrap().unwrap();
    }
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let end = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
    let start = end - chrono::Duration::days(days - 1);
    let members: u32 = 25;
    // Member u of team t is user 1000 + 100 t + u; each is in one team (`/team join`).
    sqlx::query(
        "WITH RECURSIVE t(t) AS (SELECT 1 UNION ALL SELECT t + 1 FROM t WHERE t + 1 <= ?1), \
                       m(u) AS (SELECT 0 UNION ALL SELECT u + 1 FROM m WHERE u + 1 < ?2) \
         INSERT INTO team_members (guild_id, user_id, team_id, joined_at) SELECT 1, 1000 + 100 * t + u, t, 0 FROM t, m",
    )
    .bind(teams)
    .bind(members)
    .execute(&pool)
    .await
    .unwrap();
    seed(&pool, 1..=teams, members, start, days).await;
    sqlx::query("ANALYZE").execute(&pool).await.unwrap();
    let checkins: i64 = sqlx::query_scalar("SELECT count(*) FROM checkins").fetch_one(&pool).await.unwrap();
    let commitments: i64 = sqlx::query_scalar("SELECT count(*) FROM commitments").fetch_one(&pool).await.unwrap();
    pool.close().await;
    let team = TeamKey::new(GuildId(1), TeamId(teams.div_ceil(2)));
    let settings = store.team_settings(team).await.unwrap().unwrap();
    let service = Service::new(store, Arc::new(Prompts::builtin().unwrap()), Arc::new(ManualClock::new(now())), Random::seeded(1));
    let week = IsoWeek::of(end);
    let d = service.digest_for(&settings, week).await.unwrap();
    // The team's own 25, not the server's.
    assert_eq!(d.participation.figures().map(|p| p.active), Some(members), "{:?}", d.participation);
    let mut times = Vec::new();
    for _ in 0..100 {
        let s = Instant::now();
        let _ = service.digest_for(&settings, week).await.unwrap();
        times.push(s.elapsed());
    }
    (median(times), checkins, commitments)
}

/// `idle` teams' daily and digest jobs due later today (20 teams a server), and the same 50
/// teams' daily posts due now.
async fn team_jobs(idle: u64) -> (Duration, usize) {
    let dir = tempfile::tempdir().unwrap();
    let (store, url) = open(dir.path(), "team-jobs.db").await;
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    let t = now().timestamp();
    let insert =
        "INSERT INTO schedule (kind, guild_id, team_id, user_id, due_at, period_date, attempts) VALUES (?, ?, ?, 0, ?, '2026-11-27', 0)";
    for n in 0..idle {
        for kind in ["daily", "digest"] {
            let due = t + 60 + (n as i64 * 7919) % 86_000;
            sqlx::query(insert).bind(kind).bind(1 + (n / 20) as i64).bind((n % 20) as i64).bind(due).execute(&mut *tx).await.unwrap();
        }
    }
    for n in 0..50u64 {
        sqlx::query(insert)
            .bind("daily")
            .bind(1_000_000 + (n / 20) as i64)
            .bind((n % 20) as i64)
            .bind(t - 30)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    sqlx::query("ANALYZE").execute(&pool).await.unwrap();
    pool.close().await;
    let due = store.due_jobs(now(), 256).await.unwrap().len();
    let mut times = Vec::new();
    for _ in 0..300 {
        let s = Instant::now();
        let jobs = store.due_jobs(now(), 256).await.unwrap();
        times.push(s.elapsed());
        assert_eq!(jobs.len(), due);
    }
    (median(times), due)
}

#[tokio::main]
async fn main() {
    // `cargo bench -- <filter>` passes a filter; `cargo test --benches` passes --bench.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with("--")).unwrap_or_default();
    if "scheduler".contains(&filter) || filter.is_empty() {
        let (t10k, due10k) = scheduler(10_000).await;
        let (t100k, due100k) = scheduler(100_000).await;
        println!("scheduler: due_jobs with 10,000 guilds ({due10k} due): median {t10k:?}");
        println!("scheduler: due_jobs with 100,000 guilds ({due100k} due): median {t100k:?}");
        println!("scheduler: ratio 100k/10k = {:.2}", t100k.as_secs_f64() / t10k.as_secs_f64());
    }
    let mut sqlite_year = None;
    if "digest".contains(&filter) || filter.is_empty() {
        let (t1, c1, k1, w1, json) = digest(365).await;
        sqlite_year = Some((c1, k1, json));
        println!("digest: one year, {c1} check-ins, {k1} commitments: median {t1:?}");
        println!("trend: the twelve weeks of one year's 500-member team, one batch: median {w1:?} (target ≤ 20 ms)");
        let (t4, c4, k4, w4, _) = digest(4 * 365).await;
        println!("digest: four years, {c4} check-ins, {k4} commitments: median {t4:?}");
        println!("trend: the same with four years: median {w4:?}");
        println!("digest: ratio four years / one year = {:.2}", t4.as_secs_f64() / t1.as_secs_f64());
    }
    if "digest".contains(&filter) || "postgres".contains(&filter) || filter.is_empty() {
        match std::env::var("PC_BENCH_POSTGRES") {
            Ok(admin) => {
                let (t, c, k, w, json, seeded) = digest_postgres(&admin, 365).await;
                println!("digest on PostgreSQL: one year, {c} check-ins, {k} commitments (written in {seeded:.1?}): median {t:?} (target ≤ 50 ms)");
                println!("trend on PostgreSQL: the twelve weeks of the same team: median {w:?}");
                if let Some((sc, sk, sjson)) = sqlite_year {
                    assert_eq!((c, k), (sc, sk), "PostgreSQL was seeded with other rows than SQLite");
                    assert_eq!(json, sjson, "the digest on PostgreSQL differs from SQLite's on the same rows");
                    println!("digest on PostgreSQL: the same digest as SQLite's, figure for figure");
                }
            }
            Err(_) => println!(
                "digest on PostgreSQL: skipped (set PC_BENCH_POSTGRES=postgres://… to a server where the role may create databases)"
            ),
        }
    }
    if "teams".contains(&filter) || filter.is_empty() {
        let (t20, c20, k20) = team_digest(20, 84).await;
        println!("teams: digest of one team of 25 among 20 teams, twelve weeks ({c20} check-ins, {k20} commitments in the server): median {t20:?}");
        let (t1, c1, k1) = team_digest(1, 84).await;
        println!("teams: digest of the same team alone in its server ({c1} check-ins, {k1} commitments): median {t1:?}");
        println!("teams: ratio 20 teams / 1 team = {:.2}", t20.as_secs_f64() / t1.as_secs_f64());
        let mut base = None;
        for idle in [10, 1_000, 10_000] {
            let (t, due) = team_jobs(idle).await;
            let base = *base.get_or_insert(t);
            println!(
                "teams: due_jobs with {idle} idle teams' jobs (x2: daily and digest) and {due} due: median {t:?} (ratio to 10 idle {:.2})",
                t.as_secs_f64() / base.as_secs_f64()
            );
        }
    }
}
