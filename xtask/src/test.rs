//! `cargo xtask test`: everything, on a fresh Debian/Ubuntu machine — installs what it needs, then runs
//! formatting and lint checks, the ui tests, every Rust test (unit, sheets fixtures, end-to-end over real
//! mTLS with SoftHSM tokens on SQLite and PostgreSQL), the desktop app end to end under Xvfb, then the
//! installers built from those debug binaries and checked (`cargo xtask dist --debug --check`): the .deb
//! installed, started and purged; the Windows setup.exe and .msi cross-built and inspected where this machine
//! can build them (`GJJ_TEST_WINDOWS`).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::Result;

use crate::{deps, dist, pki, postgres::Postgres, sh, token};

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
        crate::desktop::build_ui(root)?;
        sh::run("ui tests (vitest)", sh::npm(&ui).args(["test"]))?;
    }
    sh::run("cargo fmt --check", sh::cargo().args(["fmt", "--all", "--check"]))?;
    let mut clippy = sh::cargo();
    clippy.args(["clippy", "--all-targets"]);
    if opts.no_desktop {
        clippy.arg("--workspace").args(["--exclude", "gjj-desktop"]);
    } else {
        // With the desktop end-to-end test and the desktop benchmark (feature-gated: they need a window).
        clippy
            .arg("--workspace")
            .args(["--features", "gjj-tests/desktop-e2e,gjj-tests/wine-e2e"]);
    }
    sh::run("cargo clippy -D warnings", clippy.args(["--", "-D", "warnings"]))?;
    sh::run(
        "build gjj-server, gjj and the SM2 key test doubles (SKF, PKCS#11)",
        sh::cargo().args([
            "build",
            "-p",
            "gjj-server",
            "-p",
            "gjj-cli",
            "-p",
            "gjj-skf-test-double",
            "-p",
            "gjj-pkcs11-sm2-test-double",
        ]),
    )?;
    let python = foreign_python(root)?;

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
                // The receipt crate's own checks with pyHanko, pdftotext and qpdf.
                "--features",
                "gjj-receipt/foreign-tools",
            ])
            .env(gjj_tests::FIXTURES_ENV, &fixtures)
            .env(gjj_tests::POSTGRES_ENV, &pg.url)
            .env("GJJ_PYTHON", &python)
            .env("GJJ_PYHANKO", python.with_file_name("pyhanko"))
            .env("SOFTHSM2_CONF", token::softhsm_conf(&fixtures))
            // No desktop session here: the local store's key takes the user-only file path.
            .env_remove("DBUS_SESSION_BUS_ADDRESS"),
    )?;
    // Faults under load (issue 14 §6): kill -9, PostgreSQL restart, cut connections; nothing lost or twice.
    crate::load::fault_test(&fixtures, &pg, None)?;
    drop(pg);
    secret_service(&fixtures)?;
    // The fuzzers' short run (issue 14 §8; cargo-fuzz on nightly, fuzz/README.md).
    crate::fuzz::short(root)?;

    if !opts.no_desktop {
        desktop_e2e(root, &fixtures, &root.join("target").join("screenshots"), true)?;
        installers(root, &fixtures)?;
    }
    // The benchmark still runs (issue 15 §7): small sizes, debug builds; its timings are not judged here.
    crate::bench::run(root, true, !opts.no_desktop)?;
    println!(
        "\n全部测试通过 — all tests passed in {:.0} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The installer tests on the debug builds made above (app with the ui embedded, gjj, gjj-server): the
/// .deb always; the Windows installers unless this machine cannot cross-build them, which is said plainly.
fn installers(root: &Path, fixtures: &Path) -> Result<()> {
    let target = match windows_plan() {
        Ok(()) => dist::Target::All,
        Err(reason) => {
            println!("\nSKIPPED: Windows installers not built/checked on this machine because {reason}");
            println!("SKIPPED: Windows under Wine (gjj.exe, setup.exe, .msi) because there is no Windows build: {reason}");
            dist::Target::Linux
        }
    };
    let windows = target == dist::Target::All;
    dist::run(
        root,
        &dist::DistOptions {
            target,
            profile: dist::Profile::Debug,
            ui_built: true,
            check: true,
            server: dist::DEFAULT_SERVER.to_owned(),
            ca_bundle: Some(fixtures.join("ca-bundle.pem")),
            update_url: dist::DEFAULT_UPDATE_URL.to_owned(),
            webview2: None,
        },
    )?;
    if windows {
        windows_under_wine(root, fixtures)?;
    }
    Ok(())
}

/// The personal-data test once more on a Linux desktop's Secret Service: a D-Bus session with GNOME Keyring unlocked
/// (headless: the password comes on stdin), so the local store's key is kept there, not in a file.
fn secret_service(fixtures: &Path) -> Result<()> {
    deps::ensure(deps::SECRET_SERVICE)?;
    for dir in ["keyring-data", "keyring-run"] {
        let dir = fixtures.join(dir);
        std::fs::create_dir_all(&dir)?;
        // gnome-keyring refuses a runtime directory others can read.
        #[cfg(unix)]
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
    }
    sh::run(
        "personal data with the Secret Service (GNOME Keyring in a D-Bus session)",
        Command::new("dbus-run-session")
            .args([
                "--",
                "sh",
                "-c",
                // A throwaway keyring: its password only unlocks it for this session.
                "printf %s gjj-test-keyring | gnome-keyring-daemon --unlock --components=secrets >/dev/null && \
                 exec cargo test -p gjj-tests --test personal_data",
            ])
            .env(gjj_tests::FIXTURES_ENV, fixtures)
            .env("SOFTHSM2_CONF", token::softhsm_conf(fixtures))
            .env("GJJ_EXPECT_SECRET_SERVICE", "1")
            // The keyring's files go with the test's temporary home, not the user's.
            .env("XDG_DATA_HOME", fixtures.join("keyring-data"))
            .env("XDG_RUNTIME_DIR", fixtures.join("keyring-run")),
    )
}

/// The cross-built gjj.exe and both installers run under Wine against a Linux gateway
/// (tests/tests/windows_wine.rs); said plainly when Wine cannot be installed here.
fn windows_under_wine(root: &Path, fixtures: &Path) -> Result<()> {
    if let Err(e) = deps::ensure(deps::WINE) {
        println!(
            "\nSKIPPED: Windows under Wine (gjj.exe, setup.exe, .msi) because Wine could not be installed ({}): {e:#}",
            deps::WINE.join(" ")
        );
        return Ok(());
    }
    let started = Instant::now();
    let exe = root
        .join("target")
        .join(dist::WIN_TRIPLE)
        .join("debug")
        .join("gjj.exe");
    sh::run(
        "Windows under Wine: gjj.exe flow, certificate store, console, installers",
        sh::cargo()
            .args([
                "test",
                "-p",
                "gjj-tests",
                "--features",
                "wine-e2e",
                "--test",
                "windows_wine",
            ])
            .env(gjj_tests::FIXTURES_ENV, fixtures)
            .env(gjj_tests::wine::GJJ_EXE_ENV, &exe)
            .env(
                gjj_tests::wine::DIST_ENV,
                dist::dist_dir(root, dist::Profile::Debug).join("windows"),
            ),
    )?;
    println!("Windows under Wine: {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Whether the Windows installers are built here: `GJJ_TEST_WINDOWS=0` skips them; otherwise they are built
/// when the toolchain can be installed.
fn windows_plan() -> std::result::Result<(), String> {
    if std::env::var("GJJ_TEST_WINDOWS").is_ok_and(|v| v == "0") {
        return Err("GJJ_TEST_WINDOWS=0 is set".into());
    }
    dist::windows_toolchain().map_err(|e| format!("{e:#}"))
}

/// A Python with the foreign verifiers the tests call (gmssl: an independent SM2 implementation), in a venv
/// under target/ so that nothing is installed system-wide.
fn foreign_python(root: &Path) -> Result<std::path::PathBuf> {
    let venv = root.join("target").join("gjj-test-python");
    let python = venv.join("bin").join("python");
    if !python.exists() {
        sh::run(
            "python venv for the foreign verifiers",
            Command::new("python3").args(["-m", "venv"]).arg(&venv),
        )?;
    }
    sh::run(
        "pip install gmssl asn1crypto pyhanko (PyPI)",
        Command::new(&python).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "gmssl==3.2.2",
            "asn1crypto==1.5.1",
            // pyHanko validates the centre's signed PDF receipts; since 0.38 its command is in pyhanko-cli.
            "pyhanko==0.38.0",
            "pyhanko-certvalidator==0.33.0",
            "pyhanko-cli==0.6.0",
        ]),
    )?;
    // The TLS scanner of tests/security_matrix.rs, in a venv of its own beside this one (where the test looks):
    // sslyze 6 pins cryptography < 47, pyHanko needs ≥ 48.
    let sslyze = root.join("target").join("gjj-test-sslyze");
    if !sslyze.join("bin").join("python").exists() {
        sh::run(
            "python venv for sslyze",
            Command::new("python3").args(["-m", "venv"]).arg(&sslyze),
        )?;
    }
    sh::run(
        "pip install sslyze (PyPI)",
        Command::new(sslyze.join("bin").join("python")).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "sslyze==6.3.1",
        ]),
    )?;
    Ok(python)
}

/// The desktop app end to end on its real window (tests/tests/desktop.rs): built with the ui embedded, driven
/// by WebDriver under Xvfb against a real gateway and SoftHSM tokens; screenshots of each state go to `shots`.
///
/// Xvfb has no GPU, so the app paints without WebKit's accelerated compositing (`gjj_client::desktop::prepare_process`).
/// `also_compositing` runs the suite a second time with compositing kept (`WEBKIT_DISABLE_COMPOSITING_MODE=0`),
/// the way a PC with a GPU paints, its screenshots beside `shots` (`…-compositing`).
pub fn desktop_e2e(root: &Path, fixtures: &Path, shots: &Path, also_compositing: bool) -> Result<()> {
    let exe = crate::desktop::build_desktop(root)?;
    let driver = crate::desktop::tauri_driver(root)?;
    let mut runs = vec![("no GPU: painted without compositing", None, shots.to_path_buf())];
    if also_compositing {
        let mut name = shots.file_name().unwrap_or_default().to_os_string();
        name.push("-compositing");
        runs.push((
            "with accelerated compositing",
            Some("0"),
            shots.with_file_name(name),
        ));
    }
    for (mode, switch, shots) in runs {
        let mut cmd = Command::new("xvfb-run");
        cmd.args(["-a", "-s", "-screen 0 1280x800x24"])
            .arg(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .args([
                "test",
                "-p",
                "gjj-tests",
                "--features",
                "desktop-e2e",
                "--test",
                "desktop",
                "--",
                "--test-threads=1",
            ])
            .env(gjj_tests::FIXTURES_ENV, fixtures)
            .env("GJJ_DESKTOP_BIN", &exe)
            .env("GJJ_TAURI_DRIVER", &driver)
            .env("GJJ_SCREENSHOTS", shots);
        match switch {
            Some(v) => cmd.env(gjj_client::desktop::WEBKIT_COMPOSITING_SWITCH, v),
            None => cmd.env_remove(gjj_client::desktop::WEBKIT_COMPOSITING_SWITCH),
        };
        sh::run(
            &format!("desktop end to end, {mode} (tauri-driver + WebKitWebDriver under Xvfb)"),
            &mut cmd,
        )?;
    }
    Ok(())
}
