//! Desktop figures for `cargo xtask bench` (issue 5 targets: cold start to the login screen ≤ 1.5 s, RSS ≤ 200 MB
//! at the login screen and after importing a 100,000-row sheet). Run under Xvfb by the bench with the release app:
//!
//! 1. Cold start: the app is spawned directly (no WebDriver in the way) and the clock stops when its login screen
//!    has listed the USB keys (the `keys listed` line the app logs when the login view's first command returns).
//!    Best of 5; RSS of the app and of its WebKit processes read from /proc once the screen is up.
//! 2. A clerk imports a 100,000-row 基数调整 sheet through the real window (WebDriver): time to the summary, and
//!    RSS of the app and its WebKit processes afterwards.
//!
//! Environment: GJJ_DESKTOP_BIN (release app), GJJ_TAURI_DRIVER, GJJ_BENCH_SHEET (the 100,000-row file), the
//! fixtures of the end-to-end tests, DISPLAY.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use std::ffi::{OsStr, OsString};

use gjj_tests::webdriver::{desk_home, env_path, App, Driver};
use gjj_tests::{units, DEV_PIN};

/// Memory in KiB: (RSS of `pid`, its anonymous (private) part, RSS of `pid` and every process descending from it
/// (WebKit's web and network processes)). File-backed RSS is mostly shared libraries (WebKit, and Mesa's LLVM
/// for software GL under Xvfb), hence the anonymous figure beside it.
fn tree_rss_kib(pid: u32) -> (u64, u64, u64) {
    let mut parent_of = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            let Ok(p) = e.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            // pid (comm) state ppid …: comm may contain spaces, so split after the closing parenthesis.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u32>().ok());
            if let Some(ppid) = ppid {
                parent_of.push((p, ppid));
            }
        }
    }
    let mut tree = vec![pid];
    let mut i = 0;
    while i < tree.len() {
        let cur = tree[i];
        tree.extend(parent_of.iter().filter(|(_, pp)| *pp == cur).map(|(p, _)| *p));
        i += 1;
    }
    let field = |p: u32, name: &str| {
        std::fs::read_to_string(format!("/proc/{p}/status"))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (
        field(pid, "VmRSS:"),
        field(pid, "RssAnon:"),
        tree.iter().map(|&p| field(p, "VmRSS:")).sum(),
    )
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Spawns the app, waits for its login screen; returns (seconds, memory as [`tree_rss_kib`]).
fn cold_start(bin: &Path, env: &[(&'static str, OsString)], data: &Path) -> (f64, (u64, u64, u64)) {
    let log = data.join("logs").join("gjj-hall.log");
    let start = Instant::now();
    let mut child = Command::new(bin)
        .envs(env.iter().cloned())
        .env("GJJ_DATA_DIR", data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the app");
    let seconds = loop {
        if std::fs::read_to_string(&log).is_ok_and(|t| t.contains("keys listed")) {
            break start.elapsed().as_secs_f64();
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no login screen within 60 s"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    std::thread::sleep(Duration::from_millis(500));
    let memory = tree_rss_kib(child.id());
    let _ = child.kill();
    let _ = child.wait();
    (seconds, memory)
}

fn app_pid() -> Option<u32> {
    let out = Command::new("pgrep")
        .args(["-n", "-f", "gjj-desktop"])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let (_centre, home, env) = desk_home(None);
    let bin = env_path("GJJ_DESKTOP_BIN");
    let sheet: PathBuf = env_path("GJJ_BENCH_SHEET");

    // A fresh data directory each time: a cold start also creates the local store.
    let runs: Vec<_> = (0..5)
        .map(|i| cold_start(&bin, &env, &home.path().join(format!("cold-{i}"))))
        .collect();
    let best = runs
        .iter()
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .copied()
        .unwrap_or_default();
    println!(
        "desktop cold start to the login screen (release, Xvfb): best {:.2} s of {} (target ≤ 1.5 s); at the login screen: app RSS {:.0} MiB (anonymous {:.0} MiB), app + WebKit processes {:.0} MiB (target ≤ 200 MB)",
        best.0,
        runs.len(),
        mib(best.1 .0),
        mib(best.1 .1),
        mib(best.1 .2)
    );

    let env_refs: Vec<(&str, &OsStr)> = env.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
    let _driver = Driver::start(&env_refs);
    let window = App::connect(&bin, env_path("GJJ_SCREENSHOTS")).await;
    window.login(units::EMPLOYER_A, DEV_PIN).await;
    window.el("[data-testid=home]").await;
    window
        .click("[data-testid=menu-item][data-code=base_adjustment]")
        .await;
    window
        .type_into("[data-testid=file-path] input", &sheet.display().to_string())
        .await;
    let start = Instant::now();
    window.click("[data-testid=import-button]").await;
    window
        .el_within("[data-testid=batch-summary]", Duration::from_secs(300))
        .await;
    let import_s = start.elapsed().as_secs_f64();
    // Scroll the grid to its end and back: the window must stay responsive with 100,000 rows behind it.
    let scroll = Instant::now();
    window
        .client
        .execute(
            "const g = document.querySelector('[data-testid=grid] .vg-body') || document.querySelector('[data-testid=grid]'); g.scrollTop = g.scrollHeight; return g.scrollHeight;",
            vec![],
        )
        .await
        .expect("scroll");
    window.el("[data-testid=cell]").await;
    let scroll_ms = scroll.elapsed().as_millis();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (app, anon, tree) = app_pid().map(tree_rss_kib).unwrap_or_default();
    let summary = window
        .el("[data-testid=batch-summary]")
        .await
        .text()
        .await
        .unwrap_or_default();
    println!(
        "desktop import of a 100,000-row 基数调整 sheet through the window: {import_s:.2} s to the summary ({}); scroll to the end {scroll_ms} ms; after: app RSS {:.0} MiB (anonymous {:.0} MiB), app + WebKit processes {:.0} MiB (target ≤ 200 MB)",
        summary.split_whitespace().collect::<Vec<_>>().join(" "),
        mib(app),
        mib(anon),
        mib(tree)
    );
    window.shot("bench-100000-rows").await;
    let _ = window.client.close().await;
}
