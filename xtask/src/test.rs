//! `cargo xtask test`: everything, on a fresh Debian/Ubuntu machine — installs what it needs, then runs
//! formatting and lint checks, the ui tests, every Rust test (unit, sheets fixtures, end-to-end over real
//! mTLS with SoftHSM tokens on SQLite and PostgreSQL), and a smoke run of the desktop app under Xvfb.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::Result;

use crate::{deps, pki, postgres::Postgres, sh, token};

/// Options.
pub struct TestOptions {
    /// Skip the desktop build and smoke run (machines without WebKitGTK).
    pub no_desktop: bool,
}

pub fn run(root: &Path, opts: &TestOptions) -> Result<()> {
    let start = Instant::now();
    deps::ensure(deps::CORE)?;
    if !opts.no_desktop {
        deps::ensure(deps::DESKTOP)?;
    }
    let ui = root.join("ui");
    if !opts.no_desktop {
        sh::run(
            "npm ci (ui)",
            sh::npm(&ui).args(["ci", "--no-audit", "--no-fund", "--prefer-offline"]),
        )?;
        sh::run("ui type check + build", sh::npm(&ui).args(["run", "build"]))?;
        sh::run("ui tests (vitest)", sh::npm(&ui).args(["test"]))?;
    }
    sh::run("cargo fmt --check", sh::cargo().args(["fmt", "--all", "--check"]))?;
    let mut clippy = sh::cargo();
    clippy.args(["clippy", "--all-targets"]);
    if opts.no_desktop {
        clippy.arg("--workspace").args(["--exclude", "gjj-desktop"]);
    } else {
        clippy.arg("--workspace");
    }
    sh::run("cargo clippy -D warnings", clippy.args(["--", "-D", "warnings"]))?;
    sh::run(
        "build gjj-server and gjj",
        sh::cargo().args(["build", "-p", "gjj-server", "-p", "gjj-cli"]),
    )?;

    // A fresh dev PKI and fresh tokens for this run: the tests change token PIN flags.
    let fixtures = root.join("target").join("gjj-test-fixtures");
    if fixtures.exists() {
        std::fs::remove_dir_all(&fixtures)?;
    }
    pki::run(&fixtures)?;
    token::run(&fixtures)?;
    let pg = Postgres::start(&root.join("target").join("gjj-test-postgres"))?;

    sh::run(
        "cargo test (unit, fixtures, end-to-end on SQLite and PostgreSQL)",
        sh::cargo()
            .args([
                "test",
                "--workspace",
                "--exclude",
                "gjj-desktop",
                "--no-fail-fast",
            ])
            .env(gjj_tests::FIXTURES_ENV, &fixtures)
            .env(gjj_tests::POSTGRES_ENV, &pg.url)
            .env("SOFTHSM2_CONF", token::softhsm_conf(&fixtures)),
    )?;
    drop(pg);

    if !opts.no_desktop {
        desktop_smoke(root)?;
    }
    println!(
        "\n全部测试通过 — all tests passed in {:.0} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `npm ci` + type check + vite build of the ui (the desktop app embeds ui/dist).
pub fn build_ui(root: &Path) -> Result<()> {
    let ui = root.join("ui");
    sh::run(
        "npm ci (ui)",
        sh::npm(&ui).args(["ci", "--no-audit", "--no-fund", "--prefer-offline"]),
    )?;
    sh::run("ui type check + build", sh::npm(&ui).args(["run", "build"]))
}

/// Builds the desktop app (debug) with ui/dist embedded; returns the binary.
pub fn build_desktop(root: &Path) -> Result<std::path::PathBuf> {
    sh::run(
        "build desktop app (debug, ui embedded)",
        sh::cargo().args([
            "build",
            "-p",
            "gjj-desktop",
            "--features",
            "tauri/custom-protocol",
        ]),
    )?;
    Ok(root
        .join("target")
        .join("debug")
        .join(format!("gjj-desktop{}", std::env::consts::EXE_SUFFIX)))
}

/// Checks that the desktop app starts and shows its window under Xvfb.
fn desktop_smoke(root: &Path) -> Result<()> {
    let exe = build_desktop(root)?;
    // Passes when a window titled 住房公积金网厅 appears within 15 s and the app is still running.
    let script = format!(
        "{} & pid=$!; for i in $(seq 30); do xwininfo -root -tree | grep -q '\"住房公积金网厅\"' && break; sleep 0.5; done; \
         xwininfo -root -tree | grep -q '\"住房公积金网厅\"'; rc=$?; kill -0 $pid || rc=1; kill $pid; wait $pid; exit $rc",
        exe.display()
    );
    sh::run(
        "desktop smoke run under Xvfb (window 住房公积金网厅 appears)",
        Command::new("xvfb-run").args(["-a", "-s", "-screen 0 1280x800x24", "sh", "-c", &script]),
    )
}
