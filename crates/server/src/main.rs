//! gjj-server: `gjj-server --config FILE [serve]`, `seed --demo`, `audit`, `backup`, `restore`.

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
    /// Show refusals from the audit log (refused certificates, forbidden routes, rate limits…), newest first.
    Audit {
        /// Only events at or after this time (RFC 3339, e.g. 2026-07-31T00:00:00Z).
        #[arg(long)]
        since: Option<String>,
        /// Only this code (e.g. CERT_REVOKED, ROLE_FORBIDDEN).
        #[arg(long)]
        code: Option<String>,
        /// Only this unit (单位账号 or 统一社会信用代码).
        #[arg(long)]
        unit: Option<String>,
        /// Most events shown.
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Copy the SQLite database while the gateway runs (a consistent snapshot). PostgreSQL: use pg_dump.
    Backup {
        /// The backup file to write (must not exist).
        #[arg(long)]
        to: PathBuf,
    },
    /// Put a SQLite backup in place of the database (stop the gateway first). PostgreSQL: use pg_restore.
    Restore {
        /// The backup file made by `backup`.
        #[arg(long)]
        from: PathBuf,
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
            raise_open_files(config.limits.max_connections);
            let shutdown = async {
                #[cfg(unix)]
                if let Ok(mut term) =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                {
                    // systemd and `kill` stop with SIGTERM; Ctrl+C in a terminal.
                    tokio::select! {
                        _ = term.recv() => {}
                        _ = tokio::signal::ctrl_c() => {}
                    }
                    return;
                }
                let _ = tokio::signal::ctrl_c().await;
            };
            // Line-buffered stdout may sit in a pipe; the "listening" line must reach the reader now.
            let result = gjj_server::run(config, shutdown).await;
            let _ = std::io::stdout().flush();
            result
        }
        Cmd::Audit {
            since,
            code,
            unit,
            limit,
            json,
        } => {
            let db = gjj_server::db::Db::connect(&config.database_url).await?;
            let query = gjj_server::audit::Query {
                since,
                code,
                unit,
                limit,
            };
            let events = gjj_server::audit::query(&db, &query).await?;
            let mut out = std::io::stdout().lock();
            for e in &events {
                if json {
                    writeln!(out, "{}", serde_json::to_string(e)?)?;
                } else {
                    let f = &e.event;
                    writeln!(
                        out,
                        "{}  {:<24} {:>3}  {:<21}  {}  {}  {}",
                        e.at,
                        f.code,
                        f.status.map(|s| s.to_string()).unwrap_or_else(|| "TLS".into()),
                        f.remote,
                        f.route.as_deref().unwrap_or("-"),
                        f.unit_account.as_deref().or(f.uscc.as_deref()).unwrap_or("-"),
                        f.cert_subject.as_deref().unwrap_or("-"),
                    )?;
                }
            }
            if !json {
                writeln!(out, "共 {} 条。", events.len())?;
            }
            Ok(())
        }
        Cmd::Backup { to } => {
            gjj_server::backup::backup(&config.database_url, &to).await?;
            println!("已备份到 {}。", to.display());
            Ok(())
        }
        Cmd::Restore { from } => {
            gjj_server::backup::restore(&config.database_url, &from).await?;
            println!("已从 {} 恢复数据库。", from.display());
            Ok(())
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

/// Raises the soft open-file limit toward the hard one: every connection is a descriptor, and distributions
/// start services with 1,024.
fn raise_open_files(max_connections: usize) {
    #[cfg(unix)]
    {
        let want = u64::try_from(max_connections)
            .unwrap_or(u64::MAX)
            .saturating_add(256);
        match rlimit::increase_nofile_limit(want) {
            Ok(got) if got < want => tracing::warn!(
                got,
                want,
                "open-file limit below max_connections: raise LimitNOFILE (systemd) or lower [limits] max_connections"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not raise the open-file limit"),
        }
    }
    #[cfg(not(unix))]
    let _ = max_connections;
}
