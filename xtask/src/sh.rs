//! Running commands with a visible step line, failing loudly.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};

/// Runs `cmd`, printing it as a step; errors when it fails.
pub fn run(step: &str, cmd: &mut Command) -> Result<()> {
    let start = Instant::now();
    println!("\n▶ {step}");
    let status = cmd
        .status()
        .with_context(|| format!("{step}: cannot start {:?}", cmd.get_program()))?;
    if !status.success() {
        bail!("{step} failed ({status})");
    }
    println!("✔ {step} ({:.1} s)", start.elapsed().as_secs_f64());
    Ok(())
}

/// `cargo` with the same toolchain that runs xtask.
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// npm in `dir`.
pub fn npm(dir: &Path) -> Command {
    let mut cmd = Command::new("npm");
    cmd.current_dir(dir);
    cmd
}

/// True when running as root (no sudo needed for apt-get).
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// `npm ci` of the ui, failing on any package whose `engines` excludes this machine's Node (the machines have
/// Node 20; ui/package.json pins element-plus and overrides nopt for it) instead of warning and going on.
pub fn npm_ci(ui: &Path) -> Result<()> {
    run(
        "npm ci (ui)",
        npm(ui).args([
            "ci",
            "--no-audit",
            "--no-fund",
            "--prefer-offline",
            "--engine-strict",
        ]),
    )
}
