//! The command line: `partner-coach run | check | digest | principle | invite-url | export |
//! backup` (DESIGN.md).

use std::process::ExitCode;

use crate::config::redacted;
use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::domain::lang::Lang;
use crate::prompts::Prompts;
use crate::startup::{self, BotOptions};

/// partner-coach: a Discord bot that coaches teams on the ten principles of successful
/// partnerships. Settings come from the environment and `.env` (see .env.example).
#[derive(Debug, Parser)]
#[command(name = "partner-coach", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the bot (needs DISCORD_TOKEN).
    Run,
    /// Validate settings, prompts and the database (migrating it); non-zero exit on any problem.
    Check,
    /// Print the OAuth2 link that invites the bot with exactly the permissions it uses.
    InviteUrl {
        /// The application id (default: read from DISCORD_TOKEN).
        #[arg(long)]
        client_id: Option<u64>,
    },
    /// Print a team's weekly digest from the database.
    Digest {
        /// The guild (server) id.
        #[arg(long)]
        guild: u64,
        /// The team (any case); needed when the server has several.
        #[arg(long)]
        team: Option<String>,
        /// `this`, `last` or an ISO week such as 2026-W48 (default: this week in the guild's zone).
        #[arg(long)]
        week: Option<String>,
        /// Output format (`png`: the trend chart, written to --out).
        #[arg(long, default_value = "text", value_parser = ["text", "markdown", "json", "png"])]
        format: String,
        /// With `--format png`: the file to write.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Write a guild's (or one team's) check-ins and commitments to files (CSV: one file per table).
    Export {
        /// The guild (server) id.
        #[arg(long)]
        guild: u64,
        /// Only this team's (any case); without it, the whole server, with a team column.
        #[arg(long)]
        team: Option<String>,
        /// File format.
        #[arg(long, value_parser = ["csv", "json"])]
        format: String,
        /// Directory to write into (default: the current one).
        #[arg(long, default_value = ".")]
        out: std::path::PathBuf,
    },
    /// Write a consistent copy of the database to PATH, safe while the bot runs.
    Backup {
        /// Where to write the copy (must not exist yet).
        path: std::path::PathBuf,
    },
    /// Copy a whole SQLite database into an empty PostgreSQL one (row counts checked per table).
    CopyDb {
        /// The SQLite database to copy (sqlite://…).
        #[arg(long)]
        from: String,
        /// The empty PostgreSQL database to fill (postgres://user:pass@host/db).
        #[arg(long)]
        to: String,
    },
    /// Print a principle with its tips; without N, list the ten.
    Principle {
        /// 1–10.
        n: Option<u8>,
        /// Language.
        #[arg(long, default_value = "en", value_parser = ["en", "vi"])]
        lang: String,
    },
}

/// The permissions the bot uses: View Channel, Send Messages, Embed Links, Attach Files
/// (`/mydata` sends a file). 1024 + 2048 + 16384 + 32768.
pub const PERMISSIONS: u64 = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15);

/// Runs a parsed command line; returns the process exit code.
pub async fn execute(cli: Cli) -> ExitCode {
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    init_logging(&settings.log_filter);
    let result = match cli.command {
        Command::Run => startup::run(BotOptions::new(settings), startup::shutdown_signal()).await,
        Command::Check => return check(&settings).await,
        Command::InviteUrl { client_id } => invite_url(&settings, client_id).map(|url| println!("{url}")),
        Command::Digest { guild, team, week, format, out } => {
            digest(&settings, guild, team.as_deref(), week.as_deref(), &format, out.as_deref()).await.map(|s| print!("{s}"))
        }
        Command::Export { guild, team, format, out } => export(&settings, guild, team.as_deref(), &format, &out).await,
        Command::Backup { path } => backup(&settings, &path).await,
        Command::CopyDb { from, to } => copy_db(&from, &to).await,
        Command::Principle { n, lang } => principle(n, Lang::parse(&lang).unwrap_or(Lang::En)).map(|s| print!("{s}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

fn fail(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {e:#}");
    ExitCode::FAILURE
}

fn init_logging(filter: &str) {
    let mut filter = tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // tungstenite dumps every websocket frame at trace level, IDENTIFY (with the token)
    // included: cap it whatever RUST_LOG says.
    for cap in ["tungstenite=debug", "tokio_tungstenite=debug"] {
        filter = filter.add_directive(cap.parse().expect("valid directive"));
    }
    // Logs go to stderr: stdout is what a command prints (`digest --format json > w48.json`).
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_writer(std::io::stderr).try_init();
}

/// `partner-coach check`: one line per check; exit 1 if any failed.
async fn check(settings: &Settings) -> ExitCode {
    let mut ok = true;
    let mut line = |good: bool, what: &str, detail: String| {
        ok &= good;
        println!("{} {what}: {detail}", if good { "ok  " } else { "FAIL" });
    };
    match settings.require_token() {
        Ok(_) => line(true, "DISCORD_TOKEN", "set (not shown)".into()),
        Err(e) => line(false, "DISCORD_TOKEN", e.to_string()),
    }
    line(true, "DISCORD_API_URL", settings.api_url.clone().unwrap_or_else(|| "unset: the real Discord (https://discord.com)".into()));
    line(
        true,
        "DISCORD_GUILD_ID",
        settings
            .guild_id
            .map(|g| format!("commands registered in guild {g}"))
            .unwrap_or_else(|| "unset: commands registered globally".into()),
    );
    match Prompts::builtin() {
        Ok(p) => line(true, "prompts", format!("{} principles in en and vi, all messages present", p.catalog.all().len())),
        Err(e) => line(false, "prompts", e.to_string()),
    }
    if crate::storage::is_postgres_url(&settings.database_url) {
        check_postgres(settings, &mut line).await;
    } else {
        check_sqlite(settings, &mut line).await;
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `check` on PostgreSQL: the backend, the server's version and the schema's migration state,
/// after opening the store the way `run` does (connecting, migrating), so a database `check`
/// passes is one the bot starts on. The figures are read with plain SQL on a connection of
/// its own, which says nothing about the store's other queries.
async fn check_postgres(settings: &Settings, line: &mut impl FnMut(bool, &str, String)) {
    use sqlx::Connection;
    let url = &settings.database_url;
    let shown = redacted(url);
    match startup::open_store(settings).await {
        Ok(store) => store.close().await,
        Err(e) => return line(false, "database", format!("{e:#}")),
    }
    let facts = async {
        let mut conn = sqlx::PgConnection::connect(url).await?;
        let version: String = sqlx::query_scalar("SHOW server_version").fetch_one(&mut conn).await?;
        let applied: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version").fetch_all(&mut conn).await?;
        let (guilds, checkins, commitments): (i64, i64, i64) =
            sqlx::query_as("SELECT (SELECT count(*) FROM guilds), (SELECT count(*) FROM checkins), (SELECT count(*) FROM commitments)")
                .fetch_one(&mut conn)
                .await?;
        let _ = conn.close().await;
        sqlx::Result::Ok((version, applied, guilds, checkins, commitments))
    };
    let (version, applied, guilds, checkins, commitments) = match facts.await {
        Ok(f) => f,
        Err(e) => return line(false, "database", format!("{shown}: {}", startup::postgres_problem(&e))),
    };
    line(true, "backend", format!("PostgreSQL {version} at {shown}"));
    let known: Vec<i64> = crate::storage::POSTGRES_MIGRATOR.iter().map(|m| m.version).collect();
    let current = applied == known;
    line(
        current,
        "database",
        if current {
            format!(
                "schema current ({} of {} migrations applied); {guilds} guilds, {checkins} check-ins, {commitments} commitments",
                applied.len(),
                known.len()
            )
        } else {
            format!("schema not current: migrations {applied:?} applied where this build has {known:?}")
        },
    );
}

async fn check_sqlite(settings: &Settings, line: &mut impl FnMut(bool, &str, String)) {
    match startup::open_store(settings).await {
        Ok(store) => {
            line(true, "backend", format!("{} (embedded, one file)", store.backend_name()));
            match store.summary().await {
                Ok(s) if s.integrity_ok => line(
                    true,
                    "database",
                    format!(
                        "{} migrated ({} migrations); {} guilds, {} check-ins, {} commitments",
                        settings.database_url, s.migrations, s.guilds, s.checkins, s.commitments
                    ),
                ),
                Ok(_) => line(false, "database", format!("{}: integrity check failed; restore a backup", settings.database_url)),
                Err(e) => line(false, "database", format!("{}: {e}", settings.database_url)),
            }
            store.close().await;
        }
        Err(e) => line(false, "database", format!("{e:#}")),
    }
}

/// `partner-coach copy-db --from sqlite://… --to postgres://…`.
async fn copy_db(from: &str, to: &str) -> anyhow::Result<()> {
    if !from.starts_with("sqlite:") {
        anyhow::bail!("--from {}: copy-db copies from a SQLite database (sqlite://FILE)", redacted(from));
    }
    if !crate::storage::is_postgres_url(to) {
        anyhow::bail!("--to {}: copy-db copies into a PostgreSQL database (postgres://user:pass@host/db)", redacted(to));
    }
    let store = crate::storage::Store::open(crate::config::database_options(from)?).await?;
    let result = store.copy_to_postgres(to).await;
    store.close().await;
    let report = result.map_err(|e| anyhow::anyhow!("copy into {} failed, nothing was kept: {e}", redacted(to)))?;
    let mut rows = 0;
    let mut mismatched = Vec::new();
    for t in &report {
        println!("{:<20} {:>10} -> {:>10}{}", t.table, t.source, t.target, if t.source == t.target { "" } else { "  MISMATCH" });
        rows += t.target;
        if t.source != t.target {
            mismatched.push(t.table.clone());
        }
    }
    if !mismatched.is_empty() {
        anyhow::bail!(
            "row counts differ in {}: do not switch DATABASE_URL; run copy-db again into an empty database",
            mismatched.join(", ")
        );
    }
    println!("copied {} tables, {rows} rows, into {}: every table's row count matches", report.len(), redacted(to));
    Ok(())
}

/// `partner-coach digest`.
async fn digest(
    settings: &Settings,
    guild: u64,
    team: Option<&str>,
    week: Option<&str>,
    format: &str,
    out: Option<&std::path::Path>,
) -> anyhow::Result<String> {
    use crate::domain::ids::{GuildId, TeamKey};
    // Checked before the database is opened: a wrong command line changes nothing.
    let png_out = match (format, out) {
        ("png", Some(path)) if path.exists() => anyhow::bail!("{} already exists; choose a new file name", path.display()),
        ("png", Some(path)) => Some(path.to_owned()),
        ("png", None) => anyhow::bail!("--format png writes a file: add --out FILE (e.g. --out trend.png)"),
        (_, Some(_)) => anyhow::bail!("--out is for --format png; the other formats print to standard output"),
        _ => None,
    };
    let service =
        startup::build_service(settings, std::sync::Arc::new(crate::clock::SystemClock), crate::clock::Random::from_entropy()).await?;
    let guild = GuildId(guild);
    let result = async {
        let team = cli_team(&service.store, guild, team, true).await?.unwrap_or_default();
        let known = service.team_settings(TeamKey::new(guild, team)).await?;
        if known.is_none() && service.store.count_checkins(Some(guild), None).await? == 0 {
            anyhow::bail!(
                "no data for guild {guild} in {}: check the id (Server Settings → Widget shows it) and DATABASE_URL",
                redacted(&settings.database_url)
            );
        }
        let mut gs = known.unwrap_or_else(|| crate::domain::settings::GuildSettings::new(guild));
        if let Some(t) = service.store.teams(guild).await?.into_iter().find(|t| t.id == team) {
            gs.team = t;
        }
        let lang = gs.language.unwrap_or(Lang::En);
        let week = crate::service::parse_week(week, service.this_week(gs.zone)).map_err(|r| {
            anyhow::anyhow!("{}", service.prompts.render(Lang::En, r.key, &r.args.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>()))
        })?;
        let d = service.digest_for(&gs, week).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let p = &service.prompts;
        if let Some(path) = &png_out {
            let chart = crate::report::chart(p, lang, &d)
                .ok_or_else(|| anyhow::anyhow!("no chart for {}: no week of the last twelve has enough answers to show", d.week))?;
            std::fs::write(path, &chart.png).map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
            return Ok(format!("{}\n", path.display()));
        }
        Ok(match format {
            "markdown" => crate::report::markdown(p, lang, &d),
            "json" => format!("{}\n", serde_json::to_string_pretty(&crate::report::json(p, lang, &d))?),
            _ => crate::report::text(p, lang, &d),
        })
    }
    .await;
    service.store.close().await;
    result
}

/// `partner-coach export`.
async fn export(settings: &Settings, guild: u64, team: Option<&str>, format: &str, out: &std::path::Path) -> anyhow::Result<()> {
    use crate::domain::ids::GuildId;
    if !out.is_dir() {
        anyhow::bail!("--out {}: not a directory", out.display());
    }
    let store = startup::open_store(settings).await?;
    let guild = GuildId(guild);
    let result = async {
        let team = cli_team(&store, guild, team, false).await?;
        let (checkins, commitments, partners) =
            tokio::try_join!(store.guild_checkins(guild, team), store.guild_commitments(guild, team), store.guild_partner_views(guild, team))?;
        let (charter, votes, thanks) = store.guild_charter(guild, team).await?;
        let teams = store.teams(guild).await?;
        // One team's files are named after it, so a server's export and a team's never collide.
        let stem = match team {
            Some(t) => format!("partner-coach-{guild}-team{t}"),
            None => format!("partner-coach-{guild}"),
        };
        let mut written = Vec::new();
        if format == "json" {
            let path = out.join(format!("{stem}.json"));
            let teams: Vec<_> = teams
                .iter()
                .filter(|t| team.is_none_or(|id| id == t.id))
                .map(|t| serde_json::json!({ "team_id": t.id, "name": t.name, "role_id": t.role.map(|r| r.to_string()), "home_channel_id": t.home.map(|c| c.to_string()) }))
                .collect();
            let doc = serde_json::json!({
                "guild_id": guild.to_string(),
                "teams": teams,
                "checkins": checkins,
                "commitments": commitments,
                "partner_answers": partners,
                "charter_items": charter,
                "charter_votes": votes,
                "thanks": thanks,
            });
            std::fs::write(&path, serde_json::to_string_pretty(&doc)? + "\n")?;
            written.push(path);
        } else {
            let path = out.join(format!("{stem}-checkins.csv"));
            std::fs::write(&path, crate::export::csv(&checkins)?)?;
            written.push(path);
            let path = out.join(format!("{stem}-commitments.csv"));
            std::fs::write(&path, crate::export::csv(&commitments)?)?;
            written.push(path);
            let path = out.join(format!("{stem}-partner-answers.csv"));
            std::fs::write(&path, crate::export::csv(&partners)?)?;
            written.push(path);
            let path = out.join(format!("{stem}-charter.csv"));
            std::fs::write(&path, crate::export::csv(&charter)?)?;
            written.push(path);
            let path = out.join(format!("{stem}-thanks.csv"));
            std::fs::write(&path, crate::export::csv(&thanks)?)?;
            written.push(path);
        }
        for p in &written {
            println!("{}", p.display());
        }
        eprintln!("exported {} check-ins and {} commitments of guild {guild}", checkins.len(), commitments.len());
        anyhow::Ok(())
    }
    .await;
    store.close().await;
    result
}

/// The team `--team` names. Without it: for `digest` (`required`), the server's only team, or
/// an error listing its teams; for `export`, the whole server (`None`).
async fn cli_team(
    store: &crate::storage::Store,
    guild: crate::domain::ids::GuildId,
    name: Option<&str>,
    required: bool,
) -> anyhow::Result<Option<crate::domain::ids::TeamId>> {
    let teams = store.teams(guild).await?;
    let list = || teams.iter().map(|t| format!("\"{}\"", t.name)).collect::<Vec<_>>().join(", ");
    match name {
        Some(n) => match crate::domain::teams::find(&teams, n) {
            Some(t) => Ok(Some(t.id)),
            None => anyhow::bail!("guild {guild} has no team \"{n}\"; its teams: {}", list()),
        },
        None if required && teams.len() > 1 => {
            anyhow::bail!("guild {guild} has several teams: choose one with --team (its teams: {})", list())
        }
        None if required => Ok(Some(crate::domain::ids::TeamId::DEFAULT)),
        None => Ok(None),
    }
}

/// `partner-coach backup PATH`.
async fn backup(settings: &Settings, path: &std::path::Path) -> anyhow::Result<()> {
    if crate::storage::is_postgres_url(&settings.database_url) {
        anyhow::bail!(
            "DATABASE_URL is a PostgreSQL database: back it up with PostgreSQL's own tool, e.g. \
             pg_dump --format=custom --file={} \"$DATABASE_URL\" (restore with pg_restore --dbname=…)",
            path.display()
        );
    }
    if path.exists() {
        anyhow::bail!("{} already exists; choose a new file name (a backup never overwrites)", path.display());
    }
    let store = startup::open_store(settings).await?;
    let result = store.backup(&path.to_string_lossy()).await;
    store.close().await;
    result.map_err(|e| anyhow::anyhow!("backup to {} failed: {e}", path.display()))?;
    // Prove the copy opens and is whole before saying it is a backup.
    let copy = crate::storage::Store::open(crate::config::database_options(&format!("sqlite://{}", path.display()))?).await?;
    let summary = copy.summary().await?;
    copy.close().await;
    if !summary.integrity_ok {
        anyhow::bail!("the copy at {} failed its integrity check", path.display());
    }
    println!("backup written to {} ({} check-ins, {} commitments, integrity ok)", path.display(), summary.checkins, summary.commitments);
    Ok(())
}

/// `partner-coach invite-url`.
pub fn invite_url(settings: &Settings, client_id: Option<u64>) -> anyhow::Result<String> {
    let id = match client_id {
        Some(id) => id,
        None => {
            let token = settings.token.as_ref().ok_or_else(|| {
                anyhow::anyhow!(
                    "give --client-id (the Application ID on the Developer Portal) or set DISCORD_TOKEN, whose first part encodes it"
                )
            })?;
            application_id_from_token(token.expose())
                .ok_or_else(|| anyhow::anyhow!("DISCORD_TOKEN does not start with an application id; give --client-id instead"))?
        }
    };
    Ok(format!("https://discord.com/oauth2/authorize?client_id={id}&scope=bot%20applications.commands&permissions={PERMISSIONS}"))
}

/// A bot token's first segment is the bot's user id (= the application id) in base64.
pub fn application_id_from_token(token: &str) -> Option<u64> {
    let first = token.split('.').next()?;
    let bytes = base64_decode(first)?;
    std::str::from_utf8(&bytes).ok()?.parse().ok()
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|c| *c != b'=') {
        acc = (acc << 6) | val(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// `partner-coach principle [N] [--lang]`.
pub fn principle(n: Option<u8>, lang: Lang) -> anyhow::Result<String> {
    let prompts = Prompts::builtin()?;
    let mut out = String::new();
    match n {
        None => {
            for p in prompts.catalog.all() {
                out.push_str(&format!("{:>2}. {}\n", p.number, p.text(lang).title));
            }
        }
        Some(n) if (1..=10).contains(&n) => {
            let p = prompts.catalog.get(n).text(lang);
            let k = crate::keys::PRINCIPLE_TIPS;
            out.push_str(&format!("{n}. {}\n\n{}\n\n{}:\n", p.title, p.summary, prompts.text(lang, k)));
            for t in &p.tips {
                out.push_str(&format!("  • {t}\n"));
            }
            out.push_str(&format!("\n{}:\n", prompts.text(lang, crate::keys::PRINCIPLE_QUESTIONS)));
            for q in &p.questions {
                out.push_str(&format!("  • {q}\n"));
            }
            out.push_str(&format!("\n{}: {}\n", prompts.text(lang, crate::keys::PRINCIPLE_TRY_TODAY), p.try_today));
        }
        Some(n) => anyhow::bail!("there is no principle {n}; choose 1 to 10, or none to list them"),
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_application_id_is_read_from_the_token() {
        // "MTIzNDU2Nzg5MDEyMzQ1Njc4" is base64 for "123456789012345678".
        assert_eq!(application_id_from_token("MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.secret"), Some(123456789012345678));
        assert_eq!(application_id_from_token("not a token"), None);
    }

    #[test]
    fn the_invite_asks_for_exactly_the_permissions_used() {
        let s = Settings::from_lookup(|_| None).unwrap();
        let url = invite_url(&s, Some(42)).unwrap();
        assert!(url.contains("client_id=42"));
        assert!(url.contains("scope=bot%20applications.commands"));
        assert!(url.ends_with("permissions=52224"), "{url}");
    }

    #[test]
    fn principle_prints_in_both_languages_and_refuses_unknown_numbers() {
        assert!(principle(Some(4), Lang::Vi).unwrap().contains("Giao tiếp hiệu quả"));
        assert_eq!(principle(None, Lang::En).unwrap().lines().count(), 10);
        assert!(principle(Some(11), Lang::En).is_err());
    }
}

#[cfg(test)]
mod copy_tests {
    use crate::config::redacted;

    #[test]
    fn a_database_url_is_printed_without_its_password() {
        assert_eq!(redacted("postgres://bot:s3cret@db.example:5432/pc"), "postgres://bot:***@db.example:5432/pc");
        assert_eq!(redacted("postgres://db.example/pc"), "postgres://db.example/pc");
        assert_eq!(redacted("sqlite://partner-coach.db"), "sqlite://partner-coach.db");
    }
}
