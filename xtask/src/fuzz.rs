//! `cargo xtask fuzz [--seconds N]`: the fuzz targets of fuzz/ (cargo-fuzz, nightly): a short run in CI, a long
//! run on demand. Each target runs for a fixed time with libFuzzer's limits (RSS, per-input time); the figures
//! (executions, new inputs, peak RSS) are printed per target, and any crash, hang or memory blow-up fails the
//! run with the input that caused it. Without nightly Rust (or cargo-fuzz) the fuzzing is skipped with a
//! `SKIPPED: cargo-fuzz …` line and the stable mutation test (tests/tests/fuzz_corpus.rs) runs instead
//! (`GJJ_TEST_FUZZ=0` skips it on purpose).
//! See fuzz/README.md.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::sh;

/// Every fuzz target (fuzz/Cargo.toml's bins), the importers first.
pub const TARGETS: &[&str] = &[
    "sheet_bytes",
    "sheet_xlsx",
    "cms_verify",
    "signature",
    "submission",
    "material_upload",
    "material_rules",
];

/// Seconds per target of the CI run: seven targets and the (cached) build fit in three minutes on two cores.
pub const SHORT_SECONDS: u64 = 18;
/// libFuzzer's memory limit (RSS and any single allocation), MB: an input that needs more is a finding.
pub const RSS_LIMIT_MB: u64 = 2048;
/// libFuzzer's per-input time limit, seconds: an input that takes longer is a hang.
pub const TIMEOUT_SECS: u64 = 10;

/// The CI run: every target for [`SHORT_SECONDS`].
pub fn short(root: &Path) -> Result<()> {
    // A fixed libFuzzer seed: the gate tries the same inputs on every run (a finding is the code's, not luck's);
    // the long run explores with fresh seeds.
    run(root, SHORT_SECONDS, Some(1))?;
    // The sanitizer builds are 2.5 GB that nothing later in the test run reads, and CI's disk ran out at the
    // desktop build after them. The corpus, logs and artifacts stay; a failed run returned above with its binaries.
    let out = root.join("target").join("fuzz");
    for built in ["release", "x86_64-unknown-linux-gnu"] {
        let dir = out.join(built);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
    }
    Ok(())
}

/// A long run: every target for `seconds` (the corpus grows in target/fuzz/corpus and is reused next time).
pub fn long(root: &Path, seconds: u64) -> Result<()> {
    run(root, seconds, None)
}

/// What one target's run did.
struct Figures {
    target: &'static str,
    runs: u64,
    per_second: u64,
    new_units: u64,
    peak_rss_mb: u64,
    crash: Option<String>,
}

fn run(root: &Path, seconds: u64, seed: Option<u64>) -> Result<()> {
    let started = Instant::now();
    let cargo_fuzz = match prepare(root) {
        Ok(path) => path,
        Err(reason) => {
            println!("SKIPPED: cargo-fuzz not run on this machine because {reason}; running the stable mutation test instead");
            return sh::run(
                "mutation test of the importers (tests/tests/fuzz_corpus.rs)",
                sh::cargo().args(["test", "-p", "gjj-tests", "--test", "fuzz_corpus"]),
            );
        }
    };
    let fuzz_dir = root.join("fuzz");
    let out = root.join("target").join("fuzz");
    sh::run(
        "build the fuzz targets (cargo +nightly fuzz build)",
        nightly_fuzz(&cargo_fuzz, &fuzz_dir)
            .args(["build", "-s", "none", "--target-dir"])
            .arg(&out),
    )?;
    let built = started.elapsed();
    let mut figures = Vec::new();
    for &target in TARGETS {
        figures.push(fuzz_one(&cargo_fuzz, root, target, seconds, seed)?);
    }
    println!(
        "\nfuzzing, {seconds} s per target (build {:.0} s):",
        built.as_secs_f64()
    );
    println!(
        "  {:<16} {:>12} {:>9} {:>6} {:>9}  result",
        "target", "executions", "exec/s", "new", "peak RSS"
    );
    for f in &figures {
        println!(
            "  {:<16} {:>12} {:>9} {:>6} {:>6} MB  {}",
            f.target,
            f.runs,
            f.per_second,
            f.new_units,
            f.peak_rss_mb,
            f.crash.as_deref().unwrap_or("ok")
        );
    }
    let total: u64 = figures.iter().map(|f| f.runs).sum();
    println!(
        "  {total} executions in {:.0} s in all (build included); limits: {RSS_LIMIT_MB} MB RSS, {TIMEOUT_SECS} s per input",
        started.elapsed().as_secs_f64()
    );
    let crashed: Vec<&Figures> = figures.iter().filter(|f| f.crash.is_some()).collect();
    if !crashed.is_empty() {
        bail!(
            "fuzzing failed in {} target(s): {} (logs in target/fuzz/logs/, inputs in target/fuzz/artifacts/; \
             replay one with `target/fuzz/x86_64-unknown-linux-gnu/release/TARGET FILE`)",
            crashed.len(),
            crashed.iter().map(|f| f.target).collect::<Vec<_>>().join(", ")
        );
    }
    Ok(())
}

/// `cargo +nightly fuzz` in fuzz/, with cargo-fuzz found on PATH.
fn nightly_fuzz(cargo_fuzz: &Path, fuzz_dir: &Path) -> Command {
    let mut cmd = Command::new("cargo");
    cmd.arg("+nightly").arg("fuzz").current_dir(fuzz_dir);
    if let Some(bin) = cargo_fuzz.parent() {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![bin.to_path_buf()];
        dirs.extend(std::env::split_paths(&path));
        if let Ok(joined) = std::env::join_paths(dirs) {
            cmd.env("PATH", joined);
        }
    }
    cmd
}

/// Nightly Rust and cargo-fuzz (installed once into target/tools); `Err` says why fuzzing cannot run here.
fn prepare(root: &Path) -> std::result::Result<PathBuf, String> {
    if std::env::var_os("GJJ_TEST_FUZZ").is_some_and(|v| v == "0") {
        return Err("GJJ_TEST_FUZZ=0 asks to skip it".into());
    }
    let nightly = Command::new("cargo")
        .args(["+nightly", "--version"])
        .output()
        .map_err(|e| format!("cargo (rustup) cannot be started: {e}"))?;
    if !nightly.status.success() {
        return Err("the nightly toolchain is not installed (`rustup toolchain install nightly`)".into());
    }
    let tools = root.join("target").join("tools");
    let bin = tools.join("bin").join("cargo-fuzz");
    if !bin.exists() {
        sh::run(
            "install cargo-fuzz (crates.io, once)",
            sh::cargo()
                .args(["install", "cargo-fuzz", "--locked", "--root"])
                .arg(&tools),
        )
        .map_err(|e| format!("cargo-fuzz could not be installed ({e:#})"))?;
    }
    Ok(bin)
}

/// Runs one target for `seconds` on its corpus (target/fuzz/corpus/TARGET, grown run after run) and its seeds
/// (fuzz/seeds/TARGET, read only); libFuzzer's output goes to target/fuzz/logs/TARGET.log.
fn fuzz_one(
    cargo_fuzz: &Path,
    root: &Path,
    target: &'static str,
    seconds: u64,
    seed: Option<u64>,
) -> Result<Figures> {
    let out = root.join("target").join("fuzz");
    let corpus = out.join("corpus").join(target);
    let artifacts = out.join("artifacts").join(target);
    let logs = out.join("logs");
    // A crash file from an earlier run is not this run's finding.
    let _ = std::fs::remove_dir_all(&artifacts);
    for dir in [&corpus, &artifacts, &logs] {
        std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    }
    let seeds = root.join("fuzz").join("seeds").join(target);
    let log_path = logs.join(format!("{target}.log"));
    let log = std::fs::File::create(&log_path).with_context(|| format!("create {}", log_path.display()))?;
    println!("\n▶ fuzz {target} for {seconds} s");
    let mut cmd = nightly_fuzz(cargo_fuzz, &root.join("fuzz"));
    cmd.args(["run", "-s", "none", "--target-dir"])
        .arg(&out)
        .arg(target)
        .arg(&corpus);
    if seeds.is_dir() {
        cmd.arg(&seeds);
    }
    let mut prefix = artifacts.into_os_string();
    prefix.push("/");
    let mut artifact_prefix = std::ffi::OsString::from("-artifact_prefix=");
    artifact_prefix.push(&prefix);
    cmd.arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-rss_limit_mb={RSS_LIMIT_MB}"))
        .arg(format!("-malloc_limit_mb={RSS_LIMIT_MB}"))
        .arg(format!("-timeout={TIMEOUT_SECS}"))
        .arg("-print_final_stats=1")
        .args(seed.map(|s| format!("-seed={s}")))
        .arg(artifact_prefix)
        .stdout(log.try_clone()?)
        .stderr(log);
    let status = cmd
        .status()
        .with_context(|| format!("start cargo fuzz run {target}"))?;
    let text = std::fs::read_to_string(&log_path).unwrap_or_default();
    let stat = |name: &str| -> u64 {
        text.lines()
            .rev()
            .find_map(|l| l.strip_prefix(&format!("stat::{name}:")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    let crash = if status.success() {
        None
    } else {
        let found: Vec<String> = std::fs::read_dir(Path::new(&prefix))
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| e.path().display().to_string())
                    .collect()
            })
            .unwrap_or_default();
        let summary = text
            .lines()
            .find(|l| l.contains("SUMMARY:") || l.contains("panicked at"))
            .map(|l| l.trim().to_owned());
        println!(
            "  {target}: {}\n  input: {}\n  log: {}",
            summary.as_deref().unwrap_or("see the log"),
            found.join(", "),
            log_path.display()
        );
        Some(match summary {
            Some(s) => format!("CRASH ({s})"),
            // No libFuzzer summary: the target did not even start (it failed to build, most likely).
            None if text.contains("failed to build") => "BUILD FAILED".to_owned(),
            None => "FAILED".to_owned(),
        })
    };
    Ok(Figures {
        target,
        runs: stat("number_of_executed_units"),
        per_second: stat("average_exec_per_sec"),
        new_units: stat("new_units_added"),
        peak_rss_mb: stat("peak_rss_mb"),
        crash,
    })
}
