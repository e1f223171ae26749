//! gjj-server: `gjj-server --config FILE [serve]`, `gjj-server --config FILE seed --demo`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};
use gjj_server::config::Config;

#[derive(Parser)]
#[command(name = "gjj-server", version, about = "住房公积金网厅网关 (mutual TLS)")]
struct Cli {
    /// Configuration file (TOML).
    #[arg(long, env = "GJJ_SERVER_CONFIG")]
    config: PathBuf,
    #[command(subcommand)]
    cmd: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve the hall API (default).
    Serve,
    /// Apply migrations and load data.
    Seed {
        /// Load the demo centre (衡阳: test units, employees, policy years).
        #[arg(long)]
        demo: bool,
    },
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let config = Config::load(&cli.config)?;
    match cli.cmd.unwrap_or(Cmd::Serve) {
        Cmd::Serve => {
            let shutdown = async {
                let _ = tokio::signal::ctrl_c().await;
            };
            // Line-buffered stdout may sit in a pipe; the "listening" line must reach the reader now.
            let result = gjj_server::run(config, shutdown).await;
            let _ = std::io::stdout().flush();
            result
        }
        Cmd::Seed { demo } => {
            let db = gjj_server::db::Db::connect(&config.database_url).await?;
            if demo {
                gjj_server::seed::demo(&db).await?;
            } else {
                println!("数据库已迁移到最新版本。");
            }
            Ok(())
        }
    }
}
