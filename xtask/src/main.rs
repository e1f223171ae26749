//! cargo xtask: the project's tooling, in Rust so it runs the same everywhere.
//!
//! `demo` and `test` are the README's two commands; `pki`, `token`, `deps` and `bench` are their parts; `dist`
//! builds the installers.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Parser, Subcommand};

mod bench;
mod chaos;
mod demo;
mod demo_data;
mod deps;
mod desktop;
mod dist;
mod fuzz;
mod load;
mod pki;
mod pki_sm2;
mod postgres;
mod sh;
mod test;
mod token;

#[derive(Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the demo: dev PKI, SoftHSM USB keys, gateway on SQLite, then the app (or the CLI flow with --headless)
    Demo {
        /// Run the CLI flow instead of opening the desktop app
        #[arg(long)]
        headless: bool,
        /// Keep the gateway running afterwards
        #[arg(long)]
        serve: bool,
    },
    /// Run every test, the installers' included (installs missing system and npm packages first)
    Test {
        /// Skip the desktop app and its installers (no WebKitGTK on this machine)
        #[arg(long)]
        no_desktop: bool,
    },
    /// A clerk's speed as one table (release builds) → docs/bench.md; --quick: small sizes, debug builds (the
    /// run `cargo xtask test` makes to prove the benchmark works)
    Bench {
        #[arg(long)]
        quick: bool,
        /// Leave out the desktop app (no Xvfb/WebKit here)
        #[arg(long)]
        no_desktop: bool,
    },
    /// Fuzz the importers, the signature parser, the submission intake and the upload protocol (cargo-fuzz,
    /// nightly): every target for a short fixed time, or --seconds each (see fuzz/README.md)
    Fuzz {
        /// Seconds per target (a long run); default: the short CI run
        #[arg(long)]
        seconds: Option<u64>,
    },
    /// Load the gateway like a month's end (release builds): 1,000 units, 16/64/256 connections, SQLite and
    /// PostgreSQL ×2 behind HAProxy, with the handshake and intake anchors; writes docs/bench.md
    Load {
        /// Seconds per concurrency step [default: 60; --quick: 3]
        #[arg(long)]
        seconds: Option<u64>,
        /// Tiny sizes for a smoke run
        #[arg(long)]
        quick: bool,
        /// Then the soak: kill -9, PostgreSQL restarts, cut connections for 5 × --seconds; outboxes vs the database
        #[arg(long)]
        chaos: bool,
    },
    /// Faults under load on its own (the fault test of `cargo xtask test`, or a soak of --seconds): two gateways
    /// on PostgreSQL behind HAProxy, kill -9, PostgreSQL restarts, cut connections; outboxes vs the database
    Faults {
        /// Soak this long instead of the short fault test
        #[arg(long)]
        seconds: Option<u64>,
    },
    /// Regenerate docs/screenshots/ (one PNG per screen state) by running the desktop end-to-end test
    Screenshots,
    /// Build the release app and its installers into target/dist/ (.deb; cross-built setup.exe and .msi)
    Dist {
        /// linux (.deb), windows (setup.exe + .msi, cross-built) or all
        #[arg(long, value_enum, default_value = "linux")]
        target: dist::Target,
        /// Then verify them: dpkg install + start under Xvfb + uninstall; msiinfo; 7z listing of setup.exe
        #[arg(long)]
        check: bool,
        /// Package debug binaries instead (quick; for tests, not for distribution) into target/dist-debug/
        #[arg(long)]
        debug: bool,
        /// The centre's URL in the installed managed configuration
        #[arg(long, default_value = dist::DEFAULT_SERVER)]
        server: String,
        /// The centre's CA bundle to install [default: certs/dev/ca-bundle.pem]
        #[arg(long)]
        ca_bundle: Option<PathBuf>,
        /// The centre's update service in the managed configuration ("" = no automatic updates)
        #[arg(long, default_value = dist::DEFAULT_UPDATE_URL)]
        update_url: String,
        /// Microsoft's WebView2 Evergreen Standalone Installer (x64) to embed in setup.exe
        /// [default: installer/windows/webview2/MicrosoftEdgeWebView2RuntimeInstallerX64.exe]
        #[arg(long)]
        webview2: Option<PathBuf>,
    },
    /// Install the system packages the demo and the tests need
    Deps {
        /// Also the desktop (Tauri/WebKitGTK) packages
        #[arg(long)]
        desktop: bool,
    },
    /// Generate the development PKI (CAs, CRLs, server and client certificates)
    Pki {
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Create SoftHSM2 tokens (USB-key stand-ins) with keys generated on the token
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

/// Drops the variables `cargo run` set for xtask itself. Children inherit the environment, and build scripts
/// that track them (ring's `rerun-if-env-changed=CARGO_MANIFEST_DIR`, …) would otherwise see them change
/// between `cargo xtask` (none) and xtask's own cargo calls (xtask's), rebuilding ring and every crate above
/// it on each switch.
fn forget_cargo_run_env() {
    let ours: Vec<std::ffi::OsString> = std::env::vars_os()
        .map(|(k, _)| k)
        .filter(|k| {
            k.to_str().is_some_and(|k| {
                k.starts_with("CARGO_PKG_")
                    || k.starts_with("CARGO_MANIFEST_")
                    || matches!(k, "CARGO_CRATE_NAME" | "CARGO_BIN_NAME" | "CARGO_PRIMARY_PACKAGE")
            })
        })
        .collect();
    for k in ours {
        // Single-threaded here: nothing else reads the environment yet.
        std::env::remove_var(k);
    }
}

fn main() -> Result<()> {
    forget_cargo_run_env();
    let cli = Cli::parse();
    let root = workspace_root();
    match cli.cmd {
        Cmd::Demo { headless, serve } => demo::run(&root, &demo::DemoOptions { headless, serve }),
        Cmd::Test { no_desktop } => test::run(&root, &test::TestOptions { no_desktop }),
        Cmd::Bench { quick, no_desktop } => bench::run(&root, quick, !no_desktop),
        Cmd::Fuzz { seconds } => match seconds {
            Some(s) => fuzz::long(&root, s),
            None => fuzz::short(&root),
        },
        Cmd::Load {
            seconds,
            quick,
            chaos,
        } => load::run(
            &root,
            &load::LoadOptions {
                seconds,
                quick,
                chaos,
            },
        ),
        Cmd::Faults { seconds } => {
            deps::ensure(deps::CORE)?;
            sh::run(
                "build gjj-server",
                sh::cargo().args(["build", "-p", "gjj-server"]),
            )?;
            let fixtures = root.join("target").join("gjj-test-fixtures");
            if !fixtures.join("intermediate-ca.key").exists() {
                pki::run(&fixtures)?;
            }
            let pg = postgres::Postgres::start(&root.join("target").join("gjj-faults-postgres"))?;
            load::fault_test(&fixtures, &pg, seconds)
        }
        Cmd::Screenshots => {
            deps::ensure(deps::CORE)?;
            deps::ensure(deps::DESKTOP)?;
            desktop::build_ui(&root)?;
            let fixtures = root.join("target").join("gjj-test-fixtures");
            if !fixtures.join("ca-bundle.pem").exists() {
                pki::run(&fixtures)?;
                token::run(&fixtures)?;
            }
            sh::run(
                "build gjj-server and gjj",
                sh::cargo().args(["build", "-p", "gjj-server", "-p", "gjj-cli"]),
            )?;
            test::desktop_e2e(&root, &fixtures, &root.join("docs").join("screenshots"), false)
        }
        Cmd::Dist {
            target,
            check,
            debug,
            server,
            ca_bundle,
            update_url,
            webview2,
        } => dist::run(
            &root,
            &dist::DistOptions {
                target,
                profile: if debug {
                    dist::Profile::Debug
                } else {
                    dist::Profile::Release
                },
                ui_built: false,
                check,
                server,
                ca_bundle,
                update_url,
                webview2,
            },
        ),
        Cmd::Deps { desktop } => {
            deps::ensure(deps::CORE)?;
            if desktop {
                deps::ensure(deps::DESKTOP)?;
            }
            Ok(())
        }
        Cmd::Pki { dir } => pki::run(&dir.unwrap_or_else(|| pki::default_dir(&root))),
        Cmd::Token { dir } => token::run(&dir.unwrap_or_else(|| pki::default_dir(&root))),
    }
}
