//! The desktop app's builds and tools, shared by `test`, `bench` and `demo`: the ui (embedded into the app),
//! the app itself, and tauri-driver for WebDriver.

use std::path::Path;

use anyhow::Result;

use crate::sh;

/// `npm ci` + type check + vite build of the ui (the desktop app embeds ui/dist).
pub fn build_ui(root: &Path) -> Result<()> {
    let ui = root.join("ui");
    sh::npm_ci(&ui)?;
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

/// tauri-driver (the WebDriver server for Tauri apps), installed from crates.io into target/tools once.
pub fn tauri_driver(root: &Path) -> Result<std::path::PathBuf> {
    let tools = root.join("target").join("tools");
    let bin = tools.join("bin").join("tauri-driver");
    if !bin.exists() {
        sh::run(
            "install tauri-driver (crates.io, once)",
            sh::cargo()
                .args(["install", "tauri-driver", "--version", "^2", "--locked", "--root"])
                .arg(&tools),
        )?;
    }
    Ok(bin)
}
