//! `cargo xtask dist --target linux|windows|all [--check] [--debug]`: the release app and its installers in
//! target/dist/. `--debug` builds the same installers from debug binaries into target/dist-debug/ (never
//! mixed with the release artifacts): `cargo xtask test` runs `--debug --check` with the builds it already made.
//!
//! - linux: the .deb through the Tauri bundler (`tauri build --bundles deb`), carrying the centre's CA bundle
//!   (/etc/gjj/ca-bundle.pem) and the default managed configuration (copied to /etc/gjj/managed.toml by the
//!   postinst when absent: installer/linux/).
//! - windows: cross-built here (x86_64-pc-windows-gnu + mingw-w64): gjj-desktop.exe and the gjj.exe CLI, with
//!   WebView2Loader.dll beside them, then installer/windows/gjj-hall.nsi → setup.exe (makensis) and
//!   installer/windows/gjj-hall.wxs → .msi (wixl). When the Windows target cannot be installed, this says so
//!   and fails for that target.
//! - Both: each installer signed for the Tauri updater (minisign, `tauri signer sign`) and an update manifest
//!   per target in target/dist/updates/, the directory layout the gateway's `[updates] dir` serves.
//!
//! `--check` then verifies the artifacts (the issue's installer tests): the .deb installs with dpkg, the
//! installed app starts under Xvfb and reaches the login screen, and it uninstalls cleanly (remove, then
//! purge); the MSI is inspected with msitools (files, shortcut, upgrade code, version, codepage) and the NSIS
//! installer's contents are listed with 7-Zip.
//!
//! The centre: `--server` (default the demo centre https://127.0.0.1:8443), `--ca-bundle` (default
//! certs/dev/ca-bundle.pem, made by `cargo xtask pki` when missing) and `--update-url` (default the demo
//! centre's update port). Update signing key: `GJJ_UPDATER_KEY` (a `tauri signer generate` private key file;
//! password in `TAURI_SIGNING_PRIVATE_KEY_PASSWORD`) with its public key in `GJJ_UPDATER_PUBKEY`; without them
//! a development key pair is generated once in certs/dev/updater.key (git-ignored). The public key is
//! compiled into the app (`plugins.updater.pubkey`); see installer/README.md for the production key.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, ensure, Context, Result};

use crate::{deps, pki, sh};

/// The MSI's UpgradeCode: fixed for the life of the product (installer/windows/gjj-hall.wxs).
pub const UPGRADE_CODE: &str = "{67B1F920-3306-48F9-9DB2-B487DF6A1E1A}";
pub const WIN_TRIPLE: &str = "x86_64-pc-windows-gnu";
const PRODUCT: &str = "住房公积金网厅";
const PUBLISHER: &str = "衡阳市住房公积金管理中心";
/// The demo centre (`cargo xtask demo`): the default `--server` of the installed managed configuration.
pub const DEFAULT_SERVER: &str = "https://127.0.0.1:8443";
/// The demo centre's update port: the default `--update-url`.
pub const DEFAULT_UPDATE_URL: &str = "https://127.0.0.1:8444";

/// Which installers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// The .deb.
    Linux,
    /// setup.exe and .msi, cross-built.
    Windows,
    /// Both.
    All,
}

/// Which cargo profile the installed binaries come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// `--release`: what is distributed.
    Release,
    /// The dev profile: the same packaging, quick to build (`cargo xtask test`).
    Debug,
}

impl Profile {
    /// The directory under target/ (or target/<triple>/) cargo writes to.
    fn dir(self) -> &'static str {
        match self {
            Profile::Release => "release",
            Profile::Debug => "debug",
        }
    }

    /// The cargo flag(s) selecting it.
    fn cargo_args(self) -> &'static [&'static str] {
        match self {
            Profile::Release => &["--release"],
            Profile::Debug => &[],
        }
    }

    /// The Windows binaries' profile: release ships as `shipping` (Cargo.toml: LTO, one codegen unit, stripped),
    /// which only these plain cargo builds can use (`tauri build` of the .deb knows release and debug).
    fn windows_dir(self) -> &'static str {
        match self {
            Profile::Release => "shipping",
            Profile::Debug => "debug",
        }
    }

    fn windows_cargo_args(self) -> &'static [&'static str] {
        match self {
            Profile::Release => &["--profile", "shipping"],
            Profile::Debug => &[],
        }
    }
}

/// Options.
pub struct DistOptions {
    /// Which installers.
    pub target: Target,
    /// Release (distribution) or debug binaries (tests).
    pub profile: Profile,
    /// ui/dist is already built (by `cargo xtask test`): rebuilding it would only make cargo re-embed it.
    pub ui_built: bool,
    /// Verify the artifacts after building them.
    pub check: bool,
    /// The centre's URL written into the default managed configuration.
    pub server: String,
    /// The centre's CA bundle shipped with the app.
    pub ca_bundle: Option<PathBuf>,
    /// The centre's update service (managed `update_url`); "" = no automatic updates.
    pub update_url: String,
    /// Microsoft's WebView2 Evergreen Standalone Installer to embed in setup.exe.
    pub webview2: Option<PathBuf>,
}

/// What was made, for the summary.
#[derive(Default)]
struct Report {
    lines: Vec<String>,
    failures: Vec<String>,
}

impl Report {
    fn timed<T>(&mut self, what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let start = Instant::now();
        let out = f();
        self.lines.push(format!(
            "{what}: {} ({:.0} s)",
            if out.is_ok() { "ok" } else { "FAILED" },
            start.elapsed().as_secs_f64()
        ));
        out
    }
}

pub fn run(root: &Path, opts: &DistOptions) -> Result<()> {
    let start = Instant::now();
    deps::ensure(deps::CORE)?;
    deps::ensure(deps::DESKTOP)?;
    let dist = dist_dir(root, opts.profile);
    std::fs::create_dir_all(&dist)?;
    let version = workspace_version(root)?;
    let mut report = Report::default();
    let profile = opts.profile.dir();
    if opts.check && matches!(opts.target, Target::Linux | Target::All) {
        // Before the builds: a machine the .deb check would damage is refused in seconds, not after them.
        deb_check_preflight()?;
    }

    if !opts.ui_built {
        report.timed("ui build", || build_ui(root))?;
    }
    let key = updater_key(root)?;
    let centre = centre_files(root, &dist, opts)?;
    let updates = dist.join("updates");
    std::fs::create_dir_all(updates.join("files"))?;

    if matches!(opts.target, Target::Linux | Target::All) {
        let deb = report.timed(&format!("linux: {profile} build + .deb"), || {
            linux_deb(root, &dist, &centre, &key, &version, opts.profile)
        })?;
        report.timed("linux: sign + update manifest", || {
            publish(root, &updates, &deb, "linux-x86_64", &key, &version)
        })?;
        report.lines.push(format!("  → {}", deb.display()));
        if opts.check {
            if let Err(e) = report.timed("linux check: dpkg install, start under Xvfb, uninstall", || {
                check_deb(&deb, &version)
            }) {
                report.failures.push(format!("linux check: {e:#}"));
            }
        }
    }
    if matches!(opts.target, Target::Windows | Target::All) {
        match windows(root, &dist, &centre, &key, &version, opts, &mut report) {
            Ok((setup, msi)) => {
                report.timed("windows: sign + update manifest", || {
                    publish(root, &updates, &setup, "windows-x86_64", &key, &version)
                })?;
                report.lines.push(format!("  → {}", setup.display()));
                report.lines.push(format!("  → {}", msi.display()));
                if opts.check {
                    if let Err(e) = report.timed("windows check: msiinfo + 7z", || {
                        check_msi(&msi, &version).and_then(|()| check_setup(&setup))
                    }) {
                        report.failures.push(format!("windows check: {e:#}"));
                    }
                }
            }
            Err(e) => report.failures.push(format!("windows: {e:#}")),
        }
    }
    report
        .lines
        .push(format!("update directory for the gateway: {}", updates.display()));

    println!(
        "\n── cargo xtask dist, {profile} binaries ({:.0} s) ──",
        start.elapsed().as_secs_f64()
    );
    for line in &report.lines {
        println!("{line}");
    }
    if !report.failures.is_empty() {
        for f in &report.failures {
            eprintln!("✘ {f}");
        }
        bail!("{} dist step(s) failed (see above)", report.failures.len());
    }
    Ok(())
}

/// ui/dist, embedded in the app. `npm ci` only when ui/node_modules is missing (it deletes and reinstalls it).
fn build_ui(root: &Path) -> Result<()> {
    let ui = root.join("ui");
    if !ui.join("node_modules").join(".bin").join("tauri").exists() {
        sh::npm_ci(&ui)?;
    }
    sh::run("ui type check + build", sh::npm(&ui).args(["run", "build"]))
}

/// Where the installers of `profile` go: release and debug artifacts (and their update manifests) never mix.
pub fn dist_dir(root: &Path, profile: Profile) -> PathBuf {
    root.join("target").join(match profile {
        Profile::Release => "dist",
        Profile::Debug => "dist-debug",
    })
}

fn workspace_version(root: &Path) -> Result<String> {
    let text = std::fs::read_to_string(root.join("Cargo.toml"))?;
    let doc: toml::Value = toml::from_str(&text)?;
    doc.get("workspace")
        .and_then(|w| w.get("package"))
        .and_then(|p| p.get("version"))
        .and_then(|v| v.as_str())
        .map(str::to_owned)
        .context("workspace.package.version missing in Cargo.toml")
}

fn tauri_cli(root: &Path) -> Command {
    let mut cmd = Command::new(root.join("ui").join("node_modules").join(".bin").join("tauri"));
    cmd.current_dir(root);
    cmd
}

/// The updater signing key: (private key file, public key text).
struct UpdaterKey {
    private: PathBuf,
    public: String,
}

fn updater_key(root: &Path) -> Result<UpdaterKey> {
    if let Some(private) = std::env::var_os("GJJ_UPDATER_KEY") {
        let pubfile = std::env::var_os("GJJ_UPDATER_PUBKEY")
            .context("GJJ_UPDATER_KEY is set: set GJJ_UPDATER_PUBKEY to its public key file too")?;
        let public = std::fs::read_to_string(&pubfile)
            .with_context(|| format!("reading {}", PathBuf::from(&pubfile).display()))?;
        return Ok(UpdaterKey {
            private: PathBuf::from(private),
            public: public.trim().to_owned(),
        });
    }
    let private = pki::default_dir(root).join("updater.key");
    let pubfile = private.with_extension("key.pub");
    if !private.exists() || !pubfile.exists() {
        std::fs::create_dir_all(pki::default_dir(root))?;
        sh::run(
            "generate a development update-signing key (certs/dev/updater.key, git-ignored)",
            tauri_cli(root)
                .args(["signer", "generate", "--ci", "--force", "-p", "", "-w"])
                .arg(&private),
        )?;
    }
    Ok(UpdaterKey {
        public: std::fs::read_to_string(&pubfile)?.trim().to_owned(),
        private,
    })
}

/// The centre's files as installed: target/dist/centre/{ca-bundle.pem, managed.linux.toml, managed.windows.toml}.
struct Centre {
    ca_bundle: PathBuf,
    managed_linux: PathBuf,
    managed_windows: PathBuf,
}

fn managed_toml(server: &str, ca_bundle: &str, update_url: &str) -> String {
    let mut text = format!(
        "# 住房公积金网厅 —— 安装包带的默认管理配置（由 cargo xtask dist 生成）。\n\
         # IT 可按 installer/managed.sample.toml 的说明修改本文件；升级安装不会覆盖修改过的本文件。\n\
         server = \"{server}\"\n\
         ca_bundle = '{ca_bundle}'\n\
         log_level = \"info\"\n"
    );
    if !update_url.is_empty() {
        text.push_str(&format!("update_url = \"{update_url}\"\n"));
    }
    text
}

fn centre_files(root: &Path, dist: &Path, opts: &DistOptions) -> Result<Centre> {
    let bundle = match &opts.ca_bundle {
        Some(p) => p.clone(),
        None => {
            let dev = pki::default_dir(root);
            if !dev.join("ca-bundle.pem").exists() {
                pki::run(&dev)?;
            }
            dev.join("ca-bundle.pem")
        }
    };
    let pem = std::fs::read_to_string(&bundle).with_context(|| format!("CA bundle {}", bundle.display()))?;
    ensure!(
        pem.contains("-----BEGIN CERTIFICATE-----"),
        "{} holds no PEM certificate",
        bundle.display()
    );
    ensure!(
        opts.server.starts_with("https://"),
        "--server must be an https:// URL"
    );
    let dir = dist.join("centre");
    std::fs::create_dir_all(&dir)?;
    let c = Centre {
        ca_bundle: dir.join("ca-bundle.pem"),
        managed_linux: dir.join("managed.linux.toml"),
        managed_windows: dir.join("managed.windows.toml"),
    };
    std::fs::write(&c.ca_bundle, pem)?;
    std::fs::write(
        &c.managed_linux,
        managed_toml(&opts.server, "/etc/gjj/ca-bundle.pem", &opts.update_url),
    )?;
    std::fs::write(
        &c.managed_windows,
        managed_toml(
            &opts.server,
            r"C:\ProgramData\GJJ\ca-bundle.pem",
            &opts.update_url,
        ),
    )?;
    Ok(c)
}

/// The Tauri configuration merged at build time: the updater's public key. No `beforeBuildCommand`: dist built
/// ui/dist itself (or `cargo xtask test` did), and a second build would only rewrite it.
fn updater_config(key: &UpdaterKey) -> serde_json::Value {
    serde_json::json!({
        "build": { "beforeBuildCommand": null },
        "plugins": { "updater": { "pubkey": key.public } },
    })
}

fn linux_deb(
    root: &Path,
    dist: &Path,
    centre: &Centre,
    key: &UpdaterKey,
    version: &str,
    profile: Profile,
) -> Result<PathBuf> {
    // The CLI goes into the package too: `gjj doctor` is IT's driver and connection check. In debug, the same
    // package set as `cargo xtask test` builds, so that features unify alike and the build there is a no-op.
    let mut cli = sh::cargo();
    cli.arg("build").args(profile.cargo_args());
    if profile == Profile::Debug {
        cli.args(["-p", "gjj-server"]);
    }
    sh::run(
        &format!("cargo build ({}) -p gjj-cli", profile.dir()),
        cli.args(["-p", "gjj-cli"]),
    )?;
    let target = root.join("target").join(profile.dir());
    let mut config = updater_config(key);
    config["bundle"] = serde_json::json!({ "linux": { "deb": { "files": {
        "/etc/gjj/ca-bundle.pem": centre.ca_bundle,
        "/usr/share/gjj-hall/managed.toml": centre.managed_linux,
        "/usr/bin/gjj": target.join("gjj"),
    }}}});
    let mut tauri = tauri_cli(root);
    tauri.arg("build");
    if profile == Profile::Debug {
        tauri.arg("--debug");
    }
    sh::run(
        &format!("tauri build --bundles deb ({})", profile.dir()),
        tauri.args(["--bundles", "deb", "--config", &config.to_string()]),
    )?;
    let name = format!("gjj-hall_{version}_amd64.deb");
    let built = target.join("bundle/deb").join(&name);
    ensure!(built.exists(), "the bundler did not write {}", built.display());
    let out = dist.join("linux");
    std::fs::create_dir_all(&out)?;
    std::fs::copy(&built, out.join(&name))?;
    Ok(out.join(name))
}

/// Signs `artifact` for the updater and writes the target's manifest next to a copy in `updates/files/`.
fn publish(
    root: &Path,
    updates: &Path,
    artifact: &Path,
    target: &str,
    key: &UpdaterKey,
    version: &str,
) -> Result<()> {
    let mut sign = tauri_cli(root);
    sign.args(["signer", "sign", "--app-version", version, "-f"])
        .arg(&key.private)
        .arg(artifact);
    if std::env::var_os("TAURI_SIGNING_PRIVATE_KEY_PASSWORD").is_none() {
        sign.env("TAURI_SIGNING_PRIVATE_KEY_PASSWORD", "");
    }
    sh::run(&format!("sign {}", artifact.display()), &mut sign)?;
    let name = artifact
        .file_name()
        .and_then(|n| n.to_str())
        .context("artifact name")?
        .to_owned();
    let sig = PathBuf::from(format!("{}.sig", artifact.display()));
    std::fs::copy(artifact, updates.join("files").join(&name))?;
    std::fs::copy(&sig, updates.join("files").join(format!("{name}.sig")))?;
    let manifest = serde_json::json!({
        "version": version,
        "notes": format!("{PRODUCT} {version}"),
        "file": name,
    });
    std::fs::write(
        updates.join(format!("{target}.json")),
        serde_json::to_string_pretty(&manifest)?,
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------
// Windows

fn windows(
    root: &Path,
    dist: &Path,
    centre: &Centre,
    key: &UpdaterKey,
    version: &str,
    opts: &DistOptions,
    report: &mut Report,
) -> Result<(PathBuf, PathBuf)> {
    report.timed("windows: rust target + mingw-w64, nsis, msitools", || {
        windows_toolchain().map_err(|e| anyhow::anyhow!("{e} The Windows installers were NOT built."))
    })?;
    let config = updater_config(key).to_string();
    let profile = opts.profile;
    report.timed(
        &format!("windows: cross-build gjj-desktop.exe ({})", profile.windows_dir()),
        || {
            sh::run(
                &format!(
                    "cargo build ({}) --target {WIN_TRIPLE} -p gjj-desktop",
                    profile.windows_dir()
                ),
                sh::cargo()
                    .arg("build")
                    .args(profile.windows_cargo_args())
                    .args(["--target", WIN_TRIPLE, "-p", "gjj-desktop"])
                    .args(["--features", "tauri/custom-protocol"])
                    .env("TAURI_CONFIG", &config),
            )
        },
    )?;
    report.timed(
        &format!("windows: cross-build gjj.exe ({})", profile.windows_dir()),
        || {
            sh::run(
                &format!(
                    "cargo build ({}) --target {WIN_TRIPLE} -p gjj-cli",
                    profile.windows_dir()
                ),
                sh::cargo()
                    .arg("build")
                    .args(profile.windows_cargo_args())
                    .args(["--target", WIN_TRIPLE, "-p", "gjj-cli"]),
            )
        },
    )?;
    let out = dist.join("windows");
    let stage = out.join("stage");
    if stage.exists() {
        std::fs::remove_dir_all(&stage)?;
    }
    let app = stage.join("app");
    let centre_dir = stage.join("centre");
    std::fs::create_dir_all(&app)?;
    std::fs::create_dir_all(&centre_dir)?;
    let bin = root.join("target").join(WIN_TRIPLE).join(profile.windows_dir());
    std::fs::copy(bin.join("gjj-desktop.exe"), app.join("gjj-desktop.exe"))?;
    std::fs::copy(bin.join("gjj.exe"), app.join("gjj.exe"))?;
    std::fs::copy(webview2_loader(root)?, app.join("WebView2Loader.dll"))?;
    // Symbols are a third of the exe; the installer carries the stripped copies.
    sh::run(
        "strip the Windows executables",
        Command::new("x86_64-w64-mingw32-strip")
            .arg(app.join("gjj-desktop.exe"))
            .arg(app.join("gjj.exe")),
    )?;
    std::fs::copy(&centre.ca_bundle, centre_dir.join("ca-bundle.pem"))?;
    std::fs::copy(&centre.managed_windows, centre_dir.join("managed.toml"))?;
    std::fs::copy(root.join("src-tauri/icons/icon.ico"), stage.join("icon.ico"))?;

    let setup = out.join(format!("gjj-hall_{version}_x64-setup.exe"));
    let webview2 = opts.webview2.clone().unwrap_or_else(|| {
        root.join("installer/windows/webview2/MicrosoftEdgeWebView2RuntimeInstallerX64.exe")
    });
    let embed_webview2 = webview2.is_file();
    // For sites with internet the small Evergreen Bootstrapper will do; the offline installer wins when both.
    let bootstrapper = root.join("installer/windows/webview2/MicrosoftEdgeWebview2Setup.exe");
    let embed_bootstrapper = !embed_webview2 && bootstrapper.is_file();
    if embed_bootstrapper {
        report.lines.push(format!(
            "  WebView2 Evergreen Bootstrapper embedded ({}): needs internet on the PC",
            bootstrapper.display()
        ));
    } else if !embed_webview2 {
        println!(
            "\n⚠ WebView2 offline installer MISSING: {} does not exist. setup.exe is built WITHOUT it: on a PC \
             without the WebView2 runtime (Windows 10 without updates) it stops and asks IT to install the runtime. \
             Put Microsoft's Evergreen Standalone Installer (x64) there, or pass --webview2 PATH.",
            webview2.display()
        );
        report.lines.push(format!(
            "  ⚠ WebView2 offline installer not embedded (missing {})",
            webview2.display()
        ));
    }
    report.timed("windows: makensis → setup.exe", || {
        let mut cmd = Command::new("makensis");
        cmd.args(["-V2", "-WX"])
            .arg(format!("-DVERSION={version}"))
            .arg(format!("-DSRCDIR={}", app.display()))
            .arg(format!("-DCENTREDIR={}", centre_dir.display()))
            .arg(format!("-DOUTFILE={}", setup.display()))
            .arg(format!("-DICON={}", stage.join("icon.ico").display()));
        if embed_webview2 {
            cmd.arg(format!("-DWEBVIEW2_INSTALLER={}", webview2.display()));
        } else if embed_bootstrapper {
            cmd.arg(format!("-DWEBVIEW2_BOOTSTRAPPER={}", bootstrapper.display()));
        }
        cmd.arg(root.join("installer/windows/gjj-hall.nsi"));
        sh::run("makensis installer/windows/gjj-hall.nsi", &mut cmd)
    })?;
    let msi = out.join(format!("gjj-hall_{version}_x64.msi"));
    report.timed("windows: wixl → .msi", || {
        build_msi(root, &stage, &msi, version)
    })?;
    Ok((setup, msi))
}

/// Makes the Windows cross-build possible here, or says plainly why it is not: the Rust target (rustup, needs
/// static.rust-lang.org once), the mingw-w64 toolchain, NSIS and msitools (Debian packages).
pub fn windows_toolchain() -> Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l.trim() == WIN_TRIPLE)
        })
        .unwrap_or(false);
    if !installed {
        let added = Command::new("rustup")
            .args(["target", "add", WIN_TRIPLE])
            .status();
        if !matches!(added, Ok(s) if s.success()) {
            bail!(
                "the Rust target {WIN_TRIPLE} could not be installed (`rustup target add {WIN_TRIPLE}` failed: no \
                 network to static.rust-lang.org, or no rustup)."
            );
        }
    }
    deps::ensure(deps::DIST).map_err(|e| {
        anyhow::anyhow!(
            "the packages to cross-build and package for Windows ({}) could not be installed: {e:#}.",
            deps::DIST.join(" ")
        )
    })?;
    let mingw = Command::new("x86_64-w64-mingw32-gcc").arg("--version").output();
    ensure!(
        matches!(mingw, Ok(o) if o.status.success()),
        "the mingw-w64 C compiler x86_64-w64-mingw32-gcc does not run (package gcc-mingw-w64-x86-64-posix)."
    );
    Ok(())
}

/// WebView2Loader.dll (x64) from the webview2-com-sys crate the app was built with.
fn webview2_loader(root: &Path) -> Result<PathBuf> {
    let lock: toml::Value = toml::from_str(&std::fs::read_to_string(root.join("Cargo.lock"))?)?;
    let version = lock
        .get("package")
        .and_then(|p| p.as_array())
        .and_then(|pkgs| {
            pkgs.iter()
                .find(|p| p.get("name").and_then(|n| n.as_str()) == Some("webview2-com-sys"))
        })
        .and_then(|p| p.get("version"))
        .and_then(|v| v.as_str())
        .context("webview2-com-sys is not in Cargo.lock")?
        .to_owned();
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .context("no CARGO_HOME or HOME")?;
    for entry in std::fs::read_dir(cargo_home.join("registry").join("src"))? {
        let dll = entry?
            .path()
            .join(format!("webview2-com-sys-{version}"))
            .join("x64")
            .join("WebView2Loader.dll");
        if dll.is_file() {
            return Ok(dll);
        }
    }
    bail!("WebView2Loader.dll of webview2-com-sys {version} not found in the cargo registry")
}

/// Strings wixl cannot store: it writes the database with codepage 0 (ASCII) and drops Chinese text, so the
/// MSI gets codepage 936 and these values afterwards (the same text as in gjj-hall.wxs).
const MSI_STRINGS: &[(&str, &str, &str, &str, &str)] = &[
    ("Property", "Value", "Property", "ProductName", PRODUCT),
    ("Property", "Value", "Property", "Manufacturer", PUBLISHER),
    (
        "Shortcut",
        "Name",
        "Shortcut",
        "GjjHallShortcut",
        "GJJHALL|住房公积金网厅",
    ),
    (
        "Shortcut",
        "Description",
        "Shortcut",
        "GjjHallShortcut",
        "住房公积金单位网厅",
    ),
    (
        "LaunchCondition",
        "Description",
        "Condition",
        "NOT WIX_DOWNGRADE_DETECTED",
        "本机已安装更新版本的住房公积金网厅，安装已取消。",
    ),
];
/// msidbComponentAttributes64bit | NeverOverwrite | Permanent: IT's managed.toml survives upgrades and
/// uninstalls (wixl does not know these WiX attributes).
const MANAGED_COMPONENT_ATTRIBUTES: u32 = 256 | 128 | 16;

fn build_msi(root: &Path, stage: &Path, msi: &Path, version: &str) -> Result<()> {
    std::fs::copy(
        root.join("installer/windows/gjj-hall.wxs"),
        stage.join("gjj-hall.wxs"),
    )?;
    let _ = std::fs::remove_file(msi);
    // wixl resolves sources relative to the working directory.
    sh::run(
        "wixl installer/windows/gjj-hall.wxs",
        Command::new("wixl")
            .current_dir(stage)
            .args(["-a", "x64", "-D"])
            .arg(format!("Version={version}"))
            .args([
                "-D",
                "SrcDir=app",
                "-D",
                "CentreDir=centre",
                "-D",
                "Icon=icon.ico",
                "-o",
            ])
            .arg(msi)
            .arg("gjj-hall.wxs"),
    )?;
    let codepage = stage.join("_ForceCodepage.idt");
    std::fs::write(&codepage, "\r\n\r\n936\t_ForceCodepage\r\n")?;
    sh::run(
        "msibuild: codepage 936",
        Command::new("msibuild").arg(msi).arg("-i").arg(&codepage),
    )?;
    let mut queries = vec![format!(
        "UPDATE Component SET Attributes = {MANAGED_COMPONENT_ATTRIBUTES} WHERE Component = 'ManagedConfig'"
    )];
    for (table, column, key, key_value, value) in MSI_STRINGS {
        queries.push(format!(
            "UPDATE {table} SET {column} = '{value}' WHERE `{key}` = '{key_value}'"
        ));
    }
    for q in queries {
        sh::run(
            &format!("msibuild: {q}"),
            Command::new("msibuild").arg(msi).arg("-q").arg(&q),
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------
// Checks

fn output(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .output()
        .with_context(|| format!("cannot start {:?}", cmd.get_program()))?;
    ensure!(
        out.status.success(),
        "{:?} failed: {}",
        cmd.get_program(),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn msi_table(msi: &Path, table: &str) -> Result<Vec<Vec<String>>> {
    let text = output(Command::new("msiinfo").arg("export").arg(msi).arg(table))?;
    // Three header lines (names, types, table + keys), then one row per line.
    Ok(text
        .lines()
        .skip(3)
        .filter(|l| !l.is_empty())
        .map(|l| l.trim_end_matches('\r').split('\t').map(str::to_owned).collect())
        .collect())
}

fn property(rows: &[Vec<String>], name: &str) -> Option<String> {
    rows.iter()
        .find(|r| r.first().map(String::as_str) == Some(name))
        .and_then(|r| r.get(1).cloned())
}

/// The MSI as IT's tools will see it.
fn check_msi(msi: &Path, version: &str) -> Result<()> {
    println!("\n▶ inspect {} with msitools", msi.display());
    let props = msi_table(msi, "Property")?;
    ensure!(
        property(&props, "UpgradeCode").as_deref() == Some(UPGRADE_CODE),
        "UpgradeCode is {:?}",
        property(&props, "UpgradeCode")
    );
    ensure!(property(&props, "ProductVersion").as_deref() == Some(version));
    ensure!(
        property(&props, "ProductName").as_deref() == Some(PRODUCT),
        "ProductName {props:?}"
    );
    ensure!(property(&props, "Manufacturer").as_deref() == Some(PUBLISHER));
    ensure!(
        property(&props, "ALLUSERS").as_deref() == Some("1"),
        "per-machine"
    );

    let files: Vec<(String, String)> = msi_table(msi, "File")?
        .into_iter()
        .map(|r| (r[1].clone(), r[2].clone()))
        .collect();
    let mut names: Vec<&str> = files.iter().map(|(_, n)| n.as_str()).collect();
    names.sort_unstable();
    ensure!(
        names
            == [
                "WebView2Loader.dll",
                "ca-bundle.pem",
                "gjj-desktop.exe",
                "gjj.exe",
                "managed.toml"
            ],
        "MSI files: {names:?}"
    );
    let components = msi_table(msi, "Component")?;
    let dir_of = |component: &str| {
        components
            .iter()
            .find(|r| r[0] == component)
            .map(|r| (r[2].clone(), r[3].parse::<u32>().unwrap_or(0)))
    };
    ensure!(dir_of("App").map(|d| d.0).as_deref() == Some("INSTALLDIR"));
    ensure!(
        dir_of("ManagedConfig").is_some_and(|(d, a)| d == "GJJDATADIR" && a == MANAGED_COMPONENT_ATTRIBUTES)
    );
    let dirs = msi_table(msi, "Directory")?;
    let parent = |id: &str| {
        dirs.iter()
            .find(|r| r[0] == id)
            .map(|r| (r[1].clone(), r[2].clone()))
    };
    ensure!(parent("INSTALLDIR") == Some(("ProgramFiles64Folder".into(), "GJJ Hall".into())));
    ensure!(parent("GJJDATADIR") == Some(("CommonAppDataFolder".into(), "GJJ".into())));

    let shortcuts = msi_table(msi, "Shortcut")?;
    ensure!(shortcuts.len() == 1, "one shortcut: {shortcuts:?}");
    let s = &shortcuts[0];
    ensure!(s[1] == "ProgramMenuFolder", "Start menu shortcut: {s:?}");
    ensure!(s[2].ends_with("|住房公积金网厅"), "shortcut name {:?}", s[2]);
    ensure!(
        s[4] == "[INSTALLDIR]gjj-desktop.exe",
        "shortcut target {:?}",
        s[4]
    );
    let upgrade = msi_table(msi, "Upgrade")?;
    ensure!(
        upgrade
            .iter()
            .any(|r| r[0] == UPGRADE_CODE && r[6] == "WIX_UPGRADE_DETECTED"),
        "MajorUpgrade row: {upgrade:?}"
    );
    let seq = msi_table(msi, "InstallExecuteSequence")?;
    ensure!(
        seq.iter().any(|r| r[0] == "RemoveExistingProducts"),
        "MajorUpgrade removes the old version"
    );
    let info = output(Command::new("msiinfo").arg("suminfo").arg(msi))?;
    ensure!(info.contains("x64;"), "x64 package: {info}");

    // The payload is what was staged (byte for byte).
    let tmp = tempdir("gjj-msi")?;
    output(Command::new("msiextract").arg("-C").arg(&tmp).arg(msi))?;
    let extracted = find_file(&tmp, "managed.toml").context("managed.toml not extracted")?;
    let text = std::fs::read_to_string(extracted)?;
    ensure!(
        text.contains(r"ca_bundle = 'C:\ProgramData\GJJ\ca-bundle.pem'"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&tmp);
    println!("✔ MSI: version {version}, UpgradeCode {UPGRADE_CODE}, 5 files, Start-menu shortcut, managed.toml kept on upgrade");
    Ok(())
}

fn check_setup(setup: &Path) -> Result<()> {
    println!("\n▶ list {} with 7-Zip", setup.display());
    let list = output(Command::new("7z").arg("l").arg(setup))?;
    for needle in [
        ".staging/gjj-desktop.exe",
        ".staging/WebView2Loader.dll",
        ".staging/gjj.exe",
        "GJJ/ca-bundle.pem",
        "GJJ/managed.toml",
        "uninstall.exe",
        "UserInfo.dll",
    ] {
        ensure!(list.contains(needle), "setup.exe lacks {needle}:\n{list}");
    }
    let head = std::fs::read(setup)?;
    ensure!(head.starts_with(b"MZ"), "not a Windows executable");
    println!("✔ setup.exe carries the app, the loader, the CLI, the CA bundle and the managed configuration");
    Ok(())
}

fn tempdir(prefix: &str) -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("{prefix}-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn find_file(dir: &Path, name: &str) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let p = entry.path();
        if p.is_dir() {
            if let Some(found) = find_file(&p, name) {
                return Some(found);
            }
        } else if p.file_name().is_some_and(|n| n == name) {
            return Some(p);
        }
    }
    None
}

const DEB_PACKAGE: &str = "gjj-hall";
const INSTALLED_BIN: &str = "/usr/bin/gjj-desktop";

fn dpkg(args: &[&str]) -> Result<String> {
    let mut cmd = if sh::is_root() {
        Command::new("dpkg")
    } else {
        let mut c = Command::new("sudo");
        c.arg("dpkg");
        c
    };
    output(cmd.args(args))
}

/// Written before the check installs the package and removed once it is purged: the package is machine-wide,
/// so this lives outside the checkout. It tells a run interrupted in between (the next run purges what it
/// left) from a gjj-hall someone installed for real (never touched: the check refuses to run).
const CHECK_MARKER: &str = "/var/tmp/gjj-hall-deb-check.installed";

/// dpkg's status of the package when dpkg knows it (installed, half-installed, or removed with its
/// configuration kept); None when absent or purged.
fn deb_status() -> Option<String> {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f=${Status} ${Version}", DEB_PACKAGE])
        .output()
        .ok()?;
    let status = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (out.status.success() && !status.is_empty() && !status.contains("not-installed")).then_some(status)
}

/// Leaves the machine without the package: `dpkg --purge` when dpkg still knows it, then the marker goes.
fn purge_deb() -> Result<()> {
    if deb_status().is_some() {
        dpkg(&["--purge", DEB_PACKAGE])?;
    }
    ensure!(
        deb_status().is_none(),
        "{DEB_PACKAGE} still known to dpkg after purge"
    );
    let _ = std::fs::remove_file(CHECK_MARKER);
    Ok(())
}

/// The machine as the check needs it: no gjj-hall, no /etc/gjj/managed.toml. What an interrupted check left is
/// purged; anything else is refused, since installing over it and purging would destroy IT's configuration.
fn deb_check_preflight() -> Result<()> {
    let marker = Path::new(CHECK_MARKER).exists();
    if let Some(status) = deb_status() {
        ensure!(
            marker,
            "{DEB_PACKAGE} is already on this machine ({status}) and was not installed by a check run: the check \
             would replace it and then purge it with IT's /etc/gjj/managed.toml. Remove it first \
             (`sudo dpkg --purge {DEB_PACKAGE}`), or run the check on another machine."
        );
        println!(
            "⚠ a previous check was interrupted and left {DEB_PACKAGE} ({status}) installed ({CHECK_MARKER}): \
             purging it"
        );
    }
    purge_deb()?;
    let managed = Path::new("/etc/gjj/managed.toml");
    ensure!(
        !managed.exists(),
        "{} exists already (not from this package): the check would take it over; move it away first",
        managed.display()
    );
    Ok(())
}

/// Install, start from the installed path, uninstall (remove keeps IT's managed.toml, purge removes it). The
/// package is purged whatever fails, so the machine is left as found.
fn check_deb(deb: &Path, version: &str) -> Result<()> {
    deb_check_preflight()?;
    println!("\n▶ dpkg -i {}", deb.display());
    std::fs::write(
        CHECK_MARKER,
        format!(
            "{DEB_PACKAGE} installed by `cargo xtask dist --check` (pid {}) from {}\n",
            std::process::id(),
            deb.display()
        ),
    )
    .with_context(|| format!("writing {CHECK_MARKER}"))?;
    let result = dpkg(&["-i", &deb.display().to_string()]).and_then(|_| installed_checks(version));
    println!("\n▶ dpkg -r / --purge {DEB_PACKAGE}");
    let removed = uninstall_checks();
    // Whatever failed above, the package does not stay on the machine.
    let cleaned = purge_deb();
    result.and(removed).and(cleaned)
}

fn installed_checks(version: &str) -> Result<()> {
    let status = dpkg(&["-s", DEB_PACKAGE])?;
    ensure!(status.contains(&format!("Version: {version}")), "{status}");
    let files = dpkg(&["-L", DEB_PACKAGE])?;
    for f in [
        INSTALLED_BIN,
        "/usr/bin/gjj",
        "/etc/gjj/ca-bundle.pem",
        "/usr/share/gjj-hall/managed.toml",
        "/usr/share/applications/gjj-hall.desktop",
    ] {
        ensure!(files.lines().any(|l| l == f), "{f} not in the package:\n{files}");
        ensure!(Path::new(f).exists(), "{f} not installed");
    }
    let managed = std::fs::read_to_string("/etc/gjj/managed.toml")
        .context("postinst wrote no /etc/gjj/managed.toml")?;
    ensure!(
        managed.contains("ca_bundle = '/etc/gjj/ca-bundle.pem'"),
        "{managed}"
    );
    // IT's check reads the installed configuration: the centre and the CA bundle of the package.
    let home = tempdir("gjj-deb-doctor")?;
    let out = Command::new("/usr/bin/gjj")
        .args(["doctor", "--json"])
        .current_dir(&home)
        .env("HOME", &home)
        .env("GJJ_CONFIG_DIR", home.join("config"))
        .env_remove("GJJ_MANAGED_CONFIG")
        .env_remove("GJJ_CONFIG")
        .output()?;
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .with_context(|| format!("gjj doctor --json: {}", String::from_utf8_lossy(&out.stderr)))?;
    let settings = report["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == "settings"))
        .context("no settings check")?;
    let detail = settings["detail"].as_str().unwrap_or_default();
    ensure!(
        settings["status"] == "ok" && detail.contains("/etc/gjj/ca-bundle.pem"),
        "gjj doctor does not use the installed configuration: {settings}"
    );
    println!("✔ /usr/bin/gjj doctor uses the installed configuration: {detail}");
    let _ = std::fs::remove_dir_all(&home);

    // Start the installed binary as a user would, with its own data and config dirs, and wait for the window
    // title and for the login screen's first call (keys_list, logged as "keys listed").
    let home = tempdir("gjj-deb-home")?;
    let data = home.join("data");
    let log = data.join("logs").join("gjj-hall.log");
    let script = format!(
        "{INSTALLED_BIN} & pid=$!; ok=1; \
         for i in $(seq 120); do \
           if xwininfo -root -tree | grep -q '\"{PRODUCT}\"' && grep -q 'keys listed' '{log}' 2>/dev/null \
              && grep -q -e 'update check' -e 'updates off' -e 'no newer version' '{log}'; then ok=0; break; fi; \
           kill -0 $pid 2>/dev/null || break; sleep 0.5; done; \
         kill -0 $pid 2>/dev/null || ok=1; kill $pid 2>/dev/null; wait $pid 2>/dev/null; exit $ok",
        log = log.display()
    );
    let started = Instant::now();
    let run = sh::run(
        &format!("start {INSTALLED_BIN} under Xvfb: window {PRODUCT} + login screen"),
        Command::new("xvfb-run")
            .args(["-a", "-s", "-screen 0 1280x800x24", "sh", "-c", &script])
            .env("HOME", &home)
            .env("GJJ_DATA_DIR", &data)
            .env("GJJ_CONFIG_DIR", home.join("config"))
            .env_remove("GJJ_MANAGED_CONFIG"),
    );
    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
    if run.is_err() {
        println!("app log ({}):\n{log_text}", log.display());
    }
    run?;
    println!(
        "✔ the installed app reached the login screen in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // The managed file of the package was in force: the update check used its update_url.
    let update_line = log_text
        .lines()
        .find(|l| {
            ["update check", "updates off", "no newer version"]
                .iter()
                .any(|n| l.contains(n))
        })
        .with_context(|| format!("no update check in the log:\n{log_text}"))?;
    println!("✔ update check ran: {update_line}");
    let _ = std::fs::remove_dir_all(&home);
    Ok(())
}

fn uninstall_checks() -> Result<()> {
    dpkg(&["-r", DEB_PACKAGE])?;
    for f in [
        INSTALLED_BIN,
        "/usr/bin/gjj",
        "/etc/gjj/ca-bundle.pem",
        "/usr/share/gjj-hall/managed.toml",
    ] {
        ensure!(!Path::new(f).exists(), "{f} left after dpkg -r");
    }
    ensure!(
        Path::new("/etc/gjj/managed.toml").exists(),
        "dpkg -r must keep IT's /etc/gjj/managed.toml (like a conffile)"
    );
    dpkg(&["--purge", DEB_PACKAGE])?;
    ensure!(!Path::new("/etc/gjj").exists(), "/etc/gjj left after purge");
    ensure!(
        deb_status().is_none(),
        "{DEB_PACKAGE} still known to dpkg after purge"
    );
    println!("✔ removed cleanly (remove keeps /etc/gjj/managed.toml, purge removes it)");
    Ok(())
}
