//! A throwaway PostgreSQL server for the tests: its own data directory and port, trust auth on loopback.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::sh;

/// A running cluster; stopped on drop.
pub struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    as_postgres: bool,
    /// `postgres://postgres@127.0.0.1:PORT`.
    pub url: String,
}

fn bin_dir() -> Result<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .context("PostgreSQL is not installed (apt-get install postgresql)")?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    dirs.sort();
    dirs.pop().context("no initdb under /usr/lib/postgresql/*/bin")
}

impl Postgres {
    /// initdb + pg_ctl start in `dir` (wiped first). As root, runs as the `postgres` user (initdb refuses root).
    pub fn start(dir: &Path) -> Result<Postgres> {
        let bin = bin_dir()?;
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        std::fs::create_dir_all(dir)?;
        let as_postgres = sh::is_root();
        if as_postgres {
            sh::run(
                "chown postgres data dir",
                Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir),
            )?;
        }
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let pg = Postgres {
            bin,
            data: dir.join("data"),
            as_postgres,
            url: format!("postgres://postgres@127.0.0.1:{port}"),
        };
        sh::run(
            "initdb (PostgreSQL for the tests)",
            pg.command("initdb")
                .args([
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    "-D",
                ])
                .arg(&pg.data),
        )?;
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            dir.display()
        );
        sh::run(
            "pg_ctl start",
            pg.command("pg_ctl")
                .arg("-D")
                .arg(&pg.data)
                .args(["-l"])
                .arg(dir.join("log"))
                .args(["-o", &options, "-w", "start"]),
        )?;
        Ok(pg)
    }

    /// Restarts the server (fast shutdown: open transactions are rolled back, clients see their connections
    /// drop) and waits until it accepts connections again — the fault the soak injects.
    pub fn restart(&self) -> Result<()> {
        let out = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            // Its log file again: otherwise the new server would hold this command's output pipes open.
            .arg("-l")
            .arg(self.data.with_file_name("log"))
            .args(["-m", "fast", "-w", "restart"])
            .output()?;
        anyhow::ensure!(
            out.status.success(),
            "pg_ctl restart: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(())
    }

    fn command(&self, tool: &str) -> Command {
        if self.as_postgres {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(self.bin.join(tool));
            cmd
        } else {
            Command::new(self.bin.join(tool))
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "fast", "stop"])
            .output();
    }
}
