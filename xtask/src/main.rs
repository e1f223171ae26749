//! cargo xtask: the project's tooling, in Rust so it runs the same everywhere.
//!
//! `pki` (dev PKI), `token` (SoftHSM2 USB-key stand-ins), `deps` (system packages), `demo`, `test`, `bench`.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Parser, Subcommand};

mod demo_data;
mod pki;
mod token;

#[derive(Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Generate the development PKI (CAs, CRLs, server and client certificates).
    Pki {
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Create SoftHSM2 tokens (USB-key stand-ins) with keys generated on the token.
    Token {
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

/// The workspace root (xtask lives one level below it).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let root = workspace_root();
    match cli.cmd {
        Cmd::Pki { dir } => pki::run(&dir.unwrap_or_else(|| pki::default_dir(&root))),
        Cmd::Token { dir } => token::run(&dir.unwrap_or_else(|| pki::default_dir(&root))),
    }
}
