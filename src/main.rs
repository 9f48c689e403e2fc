//! The `partner-coach` binary: parse the command line, run it, exit with its code.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = partner_coach::cli::Cli::parse();
    partner_coach::cli::execute(cli).await
}
