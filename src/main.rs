//! The `partner-coach` binary: parse the command line, run it, exit with its code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = partner_coach::cli::Cli::parse();
    // One async worker by default: the bot's work is network I/O and SQLite, which runs on
    // sqlx's own threads. A second worker cost 20-30% more CPU per interaction in context
    // switches under the load driver (README, "Performance"). TOKIO_WORKER_THREADS overrides.
    let workers = std::env::var("TOKIO_WORKER_THREADS").ok().and_then(|v| v.parse().ok()).unwrap_or(1);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(workers).enable_all().build().expect("a tokio runtime");
    runtime.block_on(partner_coach::cli::execute(cli))
}
