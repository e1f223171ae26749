//! `cargo xtask bench [--quick]`: a clerk's speed as one table — figure, ours, the anchor measured in the same
//! run, ratio, goal, met? — printed and written with machine, date and commit to docs/bench.md. It builds
//! everything it runs. Figures only: nothing here fails on a slow number (a benchmark, not a test).
//!
//! - `gjj check` (the real CLI, `--offline`: no key, no centre) of a 100,000-row 基数调整 and a 50,000-row 缴存人登记
//!   sheet against calamine's bare streaming read of the same file: wall, CPU and peak RSS of each process as GNU
//!   `time` reports them (a tool that is not ours), best of 5 pairs.
//! - The same check of a 基数调整 sheet with an issue on every row (the desktop import's anchor).
//! - The big writes (crates/sheets/examples/bench_write.rs): the 汇缴清册 of 50,000 contributors and the 问题清单 of
//!   100,000 issues against rust_xlsxwriter alone writing the same cells.
//! - The gateway storing a signed 50,000-row 缴存人登记 (SQLite) and its approval.
//! - The desktop app under Xvfb (tests/examples/bench_desktop.rs): cold start, the import of the every-row-wrong
//!   sheet through the window (离线检查, the CLI's basis) against `gjj check` of it, memory split into anonymous
//!   and file-backed.
//! - The installers' sizes when `cargo xtask dist` has built them.
//!
//! `--quick` (run by `cargo xtask test`): small sizes, debug builds already there, one run each, the table to
//! target/bench/bench-quick.md — it proves the benchmark still runs; its timings are never judged.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::{pki, sh, token};

/// Sizes and repetitions of a run.
struct Sizes {
    quick: bool,
    base_rows: u32,
    registration_rows: u32,
    list_rows: u32,
    issue_rows: u32,
    store_rows: u32,
    runs: usize,
}

impl Sizes {
    fn of(quick: bool) -> Sizes {
        if quick {
            Sizes {
                quick,
                base_rows: 2_000,
                registration_rows: 1_000,
                list_rows: 1_000,
                issue_rows: 2_000,
                store_rows: 500,
                runs: 1,
            }
        } else {
            Sizes {
                quick,
                base_rows: 100_000,
                registration_rows: 50_000,
                list_rows: 50_000,
                issue_rows: 100_000,
                store_rows: 50_000,
                runs: 5,
            }
        }
    }
}

/// One line of the table.
struct Row {
    figure: String,
    ours: String,
    anchor: String,
    ratio: Option<f64>,
    goal: String,
    met: Option<bool>,
}

impl Row {
    /// Ours against an anchor: the ratio judged against `max_ratio`.
    fn ratio(figure: String, ours: f64, anchor: f64, unit: &str, max_ratio: f64) -> Row {
        let ratio = (anchor > 0.0).then(|| ours / anchor);
        Row {
            figure,
            ours: format!("{ours:.3} {unit}"),
            anchor: format!("{anchor:.3} {unit}"),
            ratio,
            goal: format!("≤ {max_ratio:.2}×"),
            met: ratio.map(|r| r <= max_ratio),
        }
    }

    /// Ours against an absolute limit (the anchor shown for scale, when there is one).
    fn limit(figure: String, ours: f64, anchor: Option<f64>, unit: &str, max: f64) -> Row {
        Row {
            figure,
            ours: format!("{ours:.2} {unit}"),
            anchor: anchor.map_or_else(|| "—".to_owned(), |a| format!("{a:.2} {unit}")),
            ratio: anchor.filter(|a| *a > 0.0).map(|a| ours / a),
            goal: format!("≤ {max} {unit}"),
            met: Some(ours <= max),
        }
    }

    /// A figure reported without a goal.
    fn info(figure: String, ours: String) -> Row {
        Row {
            figure,
            ours,
            anchor: "—".to_owned(),
            ratio: None,
            goal: "—".to_owned(),
            met: None,
        }
    }
}

/// A whole process as GNU `time` saw it.
#[derive(Clone, Copy, Default)]
struct Process {
    wall: f64,
    cpu: f64,
    peak_mib: f64,
}

/// Runs `cmd` under `/usr/bin/time`, its output discarded; fails when it fails (exit 1 of `gjj check` — issues
/// found — counts as having run).
fn timed(cmd: &mut Command, ok_codes: &[i32]) -> Result<Process> {
    let out = tempfile::NamedTempFile::new()?;
    let program = cmd.get_program().to_owned();
    let mut timed = Command::new("/usr/bin/time");
    timed
        .args(["-f", "%e %U %S %M", "-o"])
        .arg(out.path())
        .arg(&program)
        .args(cmd.get_args())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => timed.env(k, v),
            None => timed.env_remove(k),
        };
    }
    let run = timed
        .output()
        .with_context(|| format!("running {}", program.to_string_lossy()))?;
    let code = run.status.code().unwrap_or(-1);
    if !ok_codes.contains(&code) {
        bail!(
            "{} exited {code}: {}",
            program.to_string_lossy(),
            String::from_utf8_lossy(&run.stderr)
        );
    }
    let text = std::fs::read_to_string(out.path())?;
    // GNU time prints "Command exited with non-zero status N" before the format line when the exit is not 0.
    let line = text.lines().last().unwrap_or_default();
    let f: Vec<f64> = line.split_whitespace().filter_map(|v| v.parse().ok()).collect();
    let [wall, user, sys, kib] = f.as_slice() else {
        bail!("unexpected output of /usr/bin/time: {text}");
    };
    Ok(Process {
        wall: *wall,
        cpu: user + sys,
        peak_mib: kib / 1024.0,
    })
}

/// Best of `runs` (by wall time) for ours and the anchor, run in alternation so both see the same machine.
fn pairs(
    runs: usize,
    ours: &mut dyn FnMut() -> Result<Process>,
    anchor: &mut dyn FnMut() -> Result<Process>,
) -> Result<(Process, Process)> {
    let mut best: (Option<Process>, Option<Process>) = (None, None);
    for _ in 0..runs {
        let a = anchor()?;
        let o = ours()?;
        if best.1.is_none_or(|b| a.wall < b.wall) {
            best.1 = Some(a);
        }
        if best.0.is_none_or(|b| o.wall < b.wall) {
            best.0 = Some(o);
        }
    }
    Ok((best.0.unwrap_or_default(), best.1.unwrap_or_default()))
}

/// The JSON line a benchmark example prints.
fn json_of(cmd: &mut Command) -> Result<Value> {
    let out = cmd.stderr(Stdio::inherit()).output()?;
    if !out.status.success() {
        bail!(
            "{} failed: {}",
            cmd.get_program().to_string_lossy(),
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .context("no JSON line")?;
    Ok(serde_json::from_str(line)?)
}

fn f(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or(0.0)
}

/// `cargo xtask bench [--quick]`.
pub fn run(root: &Path, quick: bool, desktop: bool) -> Result<()> {
    // The gateway, SoftHSM and openssl for the fixtures, like the tests; GNU time for the process figures.
    crate::deps::ensure(crate::deps::CORE)?;
    crate::deps::ensure(&["time"])?;
    let sizes = Sizes::of(quick);
    let profile = if quick { "debug" } else { "release" };
    let bin = root.join("target").join(profile);
    build(quick)?;
    let dir = root.join("target").join("bench");
    std::fs::create_dir_all(&dir)?;
    let mut rows = Vec::new();

    // 1. gjj check against calamine.
    let sheet = |example: &str, mode: &str, n: u32| -> Result<PathBuf> {
        let file = dir.join(format!("{example}-{mode}-{n}.xlsx"));
        if !file.exists() {
            sh::run(
                &format!("generate a {n}-row sheet ({example} {mode})"),
                Command::new(bin.join("examples").join(example))
                    .args([mode, &n.to_string()])
                    .arg(&file),
            )?;
        }
        Ok(file)
    };
    let store = tempfile::tempdir()?;
    let gjj_check = |business: &str, file: &Path| -> Result<Process> {
        timed(
            Command::new(bin.join("gjj"))
                .env_remove("GJJ_CONFIG")
                .arg("--store")
                .arg(store.path().join("bench.sqlite"))
                .args(["check", business, "--offline"])
                .arg(file),
            &[0, 1],
        )
    };
    let bare = |example: &str, file: &Path| -> Result<Process> {
        timed(
            Command::new(bin.join("examples").join(example))
                .arg("bare")
                .arg(file),
            &[0],
        )
    };
    let base = sheet("bench_check", "generate", sizes.base_rows)?;
    let registration = sheet("bench_registration", "generate", sizes.registration_rows)?;
    let every_row_wrong = sheet("bench_check", "generate-bad", sizes.base_rows)?;
    let mut cli_every_row_wrong = Process::default();
    for (label, business, example, file, n, wrong) in [
        (
            "基数调整",
            "base-adjustment",
            "bench_check",
            &base,
            sizes.base_rows,
            false,
        ),
        (
            "缴存人登记",
            "contributor-registration",
            "bench_registration",
            &registration,
            sizes.registration_rows,
            false,
        ),
        (
            "基数调整（每行都有问题）",
            "base-adjustment",
            "bench_check",
            &every_row_wrong,
            sizes.base_rows,
            true,
        ),
    ] {
        let (ours, anchor) = pairs(sizes.runs, &mut || gjj_check(business, file), &mut || {
            bare(example, file)
        })?;
        let what = format!("`gjj check` {label} {n} 行 vs calamine 直读");
        if wrong {
            cli_every_row_wrong = ours;
            rows.push(Row::info(
                format!("{what}：用时 / 峰值内存"),
                format!(
                    "{:.3} s（calamine {:.3} s）/ {:.1} MiB（calamine {:.1} MiB）",
                    ours.wall, anchor.wall, ours.peak_mib, anchor.peak_mib
                ),
            ));
            continue;
        }
        rows.push(Row::ratio(
            format!("{what}：用时"),
            ours.wall,
            anchor.wall,
            "s",
            1.05,
        ));
        rows.push(Row::ratio(format!("{what}：CPU"), ours.cpu, anchor.cpu, "s", 1.2));
        rows.push(Row::limit(
            format!("{what}：峰值内存"),
            ours.peak_mib,
            Some(anchor.peak_mib),
            "MiB",
            16.0,
        ));
    }

    // 2. The big writes against rust_xlsxwriter alone.
    let write = |mode: &str, n: u32| -> Result<Value> {
        json_of(
            Command::new(bin.join("examples").join("bench_write"))
                .args([mode, &n.to_string()])
                .arg(dir.join(format!("write-{mode}.xlsx"))),
        )
    };
    for (label, mode, n) in [
        ("汇缴清册", "list", sizes.list_rows),
        ("问题清单导出", "issues", sizes.issue_rows),
    ] {
        let mut best: (Option<Value>, Option<Value>) = (None, None);
        for _ in 0..sizes.runs {
            let a = write(&format!("bare-{mode}"), n)?;
            let o = write(mode, n)?;
            if best.1.as_ref().is_none_or(|b| f(&a, "seconds") < f(b, "seconds")) {
                best.1 = Some(a);
            }
            if best.0.as_ref().is_none_or(|b| f(&o, "seconds") < f(b, "seconds")) {
                best.0 = Some(o);
            }
        }
        let (o, a) = (best.0.unwrap_or_default(), best.1.unwrap_or_default());
        let what = format!("{label} {n} 行 vs rust_xlsxwriter 直写");
        rows.push(Row::ratio(
            format!("{what}：用时"),
            f(&o, "seconds"),
            f(&a, "seconds"),
            "s",
            1.2,
        ));
        rows.push(Row::ratio(
            format!("{what}：峰值内存"),
            f(&o, "peak_rss_kib") / 1024.0,
            f(&a, "peak_rss_kib") / 1024.0,
            "MiB",
            1.5,
        ));
    }

    // 3. The gateway (a dev PKI and tokens of its own in target/, like the tests').
    let fixtures = root.join("target").join("gjj-bench-fixtures");
    if !fixtures.join("softhsm").exists() {
        pki::run(&fixtures)?;
        token::run(&fixtures)?;
    }
    let stored = json_of(
        Command::new(bin.join("examples").join("bench_registration_store"))
            .arg(sizes.store_rows.to_string())
            .env(gjj_tests::FIXTURES_ENV, &fixtures)
            .env("SOFTHSM2_CONF", token::softhsm_conf(&fixtures)),
    )?;
    // Issue 3's target for 50,000 rows.
    let store_goal = 2.0;
    rows.push(Row::limit(
        format!(
            "中心受理并存储 {} 行缴存人登记（SQLite，首字节到回执）",
            sizes.store_rows
        ),
        f(&stored, "seconds"),
        None,
        "s",
        store_goal,
    ));
    rows.push(Row::info(
        "中心审核通过（开户）".to_owned(),
        format!("{:.3} s", f(&stored, "approve_seconds")),
    ));

    // 4. The desktop app.
    if desktop {
        let d = desktop_bench(root, &fixtures, &bin, &every_row_wrong, quick)?;
        let mib = |v: &Value, k: &str| v[k].as_f64().unwrap_or(0.0) / 1024.0;
        let (login, after) = (&d["login"], &d["after"]);
        // The figures below depend on it: the app decides at start (gjj_client::desktop::prepare_process).
        rows.push(Row::info(
            "桌面端窗口绘制方式（本机 Xvfb）".to_owned(),
            if gjj_client::desktop::paints_without_compositing_here() {
                "无 GPU：不用 WebKit 加速合成（应用在无 GPU 的电脑上即如此）".to_owned()
            } else {
                "WebKit 加速合成".to_owned()
            },
        ));
        rows.push(Row::limit(
            "桌面端冷启动到登录页".to_owned(),
            f(&d, "cold_start_s"),
            None,
            "s",
            0.5,
        ));
        rows.push(Row::ratio(
            format!(
                "桌面端导入 {} 行（每行都有问题）到汇总 vs `gjj check` 同一文件",
                sizes.base_rows
            ),
            f(&d, "import_s"),
            cli_every_row_wrong.wall,
            "s",
            1.5,
        ));
        rows.push(Row::limit(
            "桌面端进程导入后匿名内存".to_owned(),
            mib(after, "anon_kib"),
            Some(mib(login, "anon_kib")),
            "MiB",
            40.0,
        ));
        rows.push(Row::info(
            "桌面端进程导入后文件映射内存（共享库等，登录页时）".to_owned(),
            format!(
                "{:.0} MiB（{:.0} MiB）",
                mib(after, "app_kib") - mib(after, "anon_kib"),
                mib(login, "app_kib") - mib(login, "anon_kib")
            ),
        ));
        // Within the WebDriver session that imports (its scripts live in the web process); a cold start's
        // login screen has none of them, which counted WebDriver's share as growth.
        let session_login = d.get("session_login").unwrap_or(login);
        rows.push(Row::info(
            "桌面端进程 + WebKit 进程合计（导入后，登录页时）".to_owned(),
            format!(
                "{:.0} MiB（{:.0} MiB）",
                mib(after, "tree_kib"),
                mib(session_login, "tree_kib")
            ),
        ));
        let web = |m: &Value| mib(m, "tree_kib") - mib(m, "app_kib");
        rows.push(Row::limit(
            "WebKit 网页进程：登录页到导入后增长（同一会话）".to_owned(),
            web(after) - web(session_login),
            None,
            "MiB",
            60.0,
        ));
    } else {
        rows.push(Row::info("桌面端".to_owned(), "未测（--no-desktop）".to_owned()));
    }

    // 5. The installers, when built.
    let dist = crate::dist::dist_dir(root, crate::dist::Profile::Release).join("windows");
    for (what, suffix, max) in [("setup.exe", "-setup.exe", 15.0), (".msi", ".msi", 20.0)] {
        let found = std::fs::read_dir(&dist).ok().and_then(|d| {
            d.flatten()
                .find(|e| e.file_name().to_string_lossy().ends_with(suffix))
                .and_then(|e| e.metadata().ok())
        });
        rows.push(match found {
            Some(m) => Row::limit(
                format!("Windows 安装包 {what}（release）"),
                m.len() as f64 / 1e6,
                None,
                "MB",
                max,
            ),
            None => Row::info(
                format!("Windows 安装包 {what}"),
                "未构建（cargo xtask dist）".to_owned(),
            ),
        });
    }

    let table = report(&rows, &sizes);
    println!("\n{table}");
    if quick {
        std::fs::write(dir.join("bench-quick.md"), &table)?;
        println!("(quick run: written to target/bench/bench-quick.md; its timings are not judged)");
    } else {
        crate::load::write_section(root, HEADING, &table)?;
        println!("written to docs/bench.md");
        // 国密 figures, printed as the example words them (no goals of this issue).
        sh::run(
            "国密: SKF signing, CMS, SM2 login vs mTLS login, signed PDF receipt (release)",
            Command::new(bin.join("examples").join("bench_sm2"))
                .env(gjj_tests::FIXTURES_ENV, &fixtures)
                .env("SOFTHSM2_CONF", token::softhsm_conf(&fixtures)),
        )?;
    }
    Ok(())
}

const HEADING: &str = "## A clerk's speed (cargo xtask bench)";

fn report(rows: &[Row], sizes: &Sizes) -> String {
    let root = crate::workspace_root();
    let date = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let mut out = format!(
        "Machine: {}. Date: {date}. Commit: {}. {}\n\n\
         | figure | ours | anchor (same run) | ratio | goal | met |\n|---|---:|---:|---:|---|---|\n",
        crate::load::machine(),
        crate::load::git_commit(&root),
        if sizes.quick {
            "Quick run (debug builds, small sizes, one run): proves the benchmark runs; timings not judged."
        } else {
            "Release builds; best of 5 (pairs run in alternation); peak memory as GNU time reports it."
        },
    );
    let mut met = 0;
    let mut judged = 0;
    for r in rows {
        // A quick run's timings come from debug builds and toy sizes: shown, never judged.
        let judge = if sizes.quick { None } else { r.met };
        let verdict = match judge {
            Some(true) => "✔",
            Some(false) => "✘",
            None => "",
        };
        if let Some(m) = judge {
            judged += 1;
            met += usize::from(m);
        }
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {verdict} |\n",
            r.figure,
            r.ours,
            r.anchor,
            r.ratio.map_or_else(|| "—".to_owned(), |x| format!("{x:.2}")),
            r.goal
        ));
    }
    if !sizes.quick {
        out.push_str(&format!("\n{met} of {judged} goals met.\n"));
    }
    out
}

/// Everything the bench runs. Quick: the debug builds `cargo xtask test` made, plus the examples it did not.
fn build(quick: bool) -> Result<()> {
    let mut args = vec!["build"];
    if !quick {
        args.push("--release");
    }
    // Target flags apply to every package named: --bins too, or only the examples are built.
    args.extend([
        "--bins",
        "--lib",
        "-p",
        "gjj-sheets",
        "--example",
        "bench_check",
        "--example",
        "bench_registration",
        "--example",
        "bench_write",
        "-p",
        "gjj-server",
        "-p",
        "gjj-cli",
        "-p",
        "gjj-skf-test-double",
        "-p",
        "gjj-tests",
        "--example",
        "bench_registration_store",
        "--example",
        "bench_sm2",
    ]);
    sh::run(
        if quick {
            "build the benchmarks (debug)"
        } else {
            "build the benchmarks (release)"
        },
        sh::cargo().args(&args),
    )
}

/// The desktop figures (tests/examples/bench_desktop.rs) with the app and its ui embedded.
fn desktop_bench(root: &Path, fixtures: &Path, bin: &Path, sheet: &Path, quick: bool) -> Result<Value> {
    crate::deps::ensure(crate::deps::DESKTOP)?;
    crate::desktop::build_ui(root)?;
    let mut build = vec![
        "build",
        "-p",
        "gjj-desktop",
        "--features",
        "tauri/custom-protocol",
    ];
    let mut example = vec![
        "build",
        "-p",
        "gjj-tests",
        "--features",
        "desktop-e2e",
        "--example",
        "bench_desktop",
    ];
    if !quick {
        build.push("--release");
        example.push("--release");
    }
    sh::run("build the desktop app (ui embedded)", sh::cargo().args(&build))?;
    sh::run("build the desktop benchmark", sh::cargo().args(&example))?;
    let driver = crate::desktop::tauri_driver(root)?;
    json_of(
        Command::new("xvfb-run")
            .args(["-a", "-s", "-screen 0 1280x800x24"])
            .arg(bin.join("examples").join("bench_desktop"))
            .env(gjj_tests::FIXTURES_ENV, fixtures)
            .env("SOFTHSM2_CONF", token::softhsm_conf(fixtures))
            .env("GJJ_DESKTOP_BIN", bin.join("gjj-desktop"))
            .env("GJJ_TAURI_DRIVER", driver)
            .env("GJJ_BENCH_SHEET", sheet)
            .env("GJJ_SCREENSHOTS", root.join("target/bench/screenshots")),
    )
}
