//! Windows programs under Wine (Debian's wine64 8.0): a fresh 64-bit prefix per [`Wine`], the cross-built
//! `gjj.exe` and installers run in it against the Linux gateway over loopback (shared/notes/windows.md).
//!
//! Two things here are not ours and not Windows, named as such:
//! - `bcryptprimitives_wine8_standin.c`: a TEST STAND-IN for a system DLL Wine 8 lacks (Rust's std imports
//!   `ProcessPrng` from it; Windows 10/11 and Wine 9+ have it). Copied into the prefix's system32, never shipped.
//! - `wine_test_helper.c`: what a person or another program does on a clerk's PC, with Windows' own APIs:
//!   import a .pfx into the certificate store (as a CA's tool or a double-click does), hold a workbook open the
//!   way Excel does.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// Environment variable: the cross-built `gjj.exe` the Wine tests run (set by `cargo xtask test`).
pub const GJJ_EXE_ENV: &str = "GJJ_WINE_GJJ_EXE";
/// Environment variable: the folder with the Windows installers (setup.exe, .msi) and their staged files.
pub const DIST_ENV: &str = "GJJ_WINE_DIST";

/// A fresh Wine prefix with the stand-in DLL and the helper built.
pub struct Wine {
    /// The prefix (deleted on drop).
    pub prefix: tempfile::TempDir,
    wine64: PathBuf,
    helper: PathBuf,
}

/// The wine64 loader, if installed.
pub fn wine64() -> Option<PathBuf> {
    ["/usr/lib/wine/wine64", "/usr/bin/wine64"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

fn mingw_build(out: &Path, args: &[&str]) -> Result<()> {
    let built = Command::new("x86_64-w64-mingw32-gcc")
        .args(["-O2", "-Wall", "-Wextra", "-Werror", "-o"])
        .arg(out)
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("wine"))
        .output()
        .context("running x86_64-w64-mingw32-gcc (package gcc-mingw-w64-x86-64-posix)")?;
    if !built.status.success() {
        bail!(
            "x86_64-w64-mingw32-gcc failed for {}:\n{}",
            out.display(),
            String::from_utf8_lossy(&built.stderr)
        );
    }
    Ok(())
}

impl Wine {
    /// Creates the prefix (the first start of Wine takes a few seconds), installs the Wine 8 stand-in and
    /// builds the helper.
    pub fn new() -> Result<Wine> {
        let wine64 = wine64().context("wine64 is not installed (Debian package wine64)")?;
        let prefix = tempfile::Builder::new().prefix("gjj-wine-").tempdir()?;
        let wine = Wine {
            prefix,
            wine64,
            helper: PathBuf::new(),
        };
        // The first start creates the prefix. Without the 32-bit part it reports a missing syswow64
        // rundll32 and a non-zero code, yet the prefix is made (shared/notes/windows.md): check the prefix.
        let _ = wine.command("cmd").args(["/c", "exit", "0"]).output()?;
        wine.wait_idle();
        let system32 = wine.c_drive().join("windows").join("system32");
        if !system32.is_dir() {
            bail!(
                "Wine did not create the prefix at {}",
                wine.prefix.path().display()
            );
        }
        let mut wine = wine;
        let tools = wine.prefix.path().join("gjj-test-tools");
        std::fs::create_dir_all(&tools)?;
        mingw_build(
            &system32.join("bcryptprimitives.dll"),
            &[
                "-shared",
                "bcryptprimitives_wine8_standin.c",
                "bcryptprimitives_wine8_standin.def",
                "-ladvapi32",
            ],
        )?;
        wine.helper = tools.join("wine_test_helper.exe");
        mingw_build(&wine.helper, &["-municode", "wine_test_helper.c", "-lcrypt32"])?;
        Ok(wine)
    }

    fn wineserver(&self) -> PathBuf {
        self.wine64.with_file_name("wineserver")
    }

    /// `C:` of the prefix, as a Linux path.
    pub fn c_drive(&self) -> PathBuf {
        self.prefix.path().join("drive_c")
    }

    /// A Windows program (Windows path, Linux path of an .exe, or a program Wine ships such as `cmd`).
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(&self.wine64);
        cmd.arg(program)
            .env("WINEPREFIX", self.prefix.path())
            .env("WINEARCH", "win64")
            .env("WINEDEBUG", "-all")
            // No Mono/Gecko download prompts (no network here, and nothing of ours needs them).
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
            .env_remove("DISPLAY");
        cmd
    }

    /// The test helper (see the module docs).
    pub fn helper(&self) -> Command {
        self.command(&self.helper)
    }

    /// Waits until the prefix's wineserver has nothing left running (installers return before their
    /// children finish).
    pub fn wait_idle(&self) {
        let _ = Command::new(self.wineserver())
            .arg("-w")
            .env("WINEPREFIX", self.prefix.path())
            .status();
    }

    /// Ends every process of the prefix (`wineserver -k`).
    pub fn kill(&self) {
        let _ = Command::new(self.wineserver())
            .arg("-k")
            .env("WINEPREFIX", self.prefix.path())
            .status();
    }

    /// A registry value as `reg query` prints it, or None.
    pub fn reg_query(&self, key: &str, value: &str) -> Option<String> {
        let out = self
            .command("reg")
            .args(["query", key, "/v", value])
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.lines()
            .find(|l| l.trim_start().starts_with(value))
            .and_then(|l| l.split("REG_").nth(1))
            .map(|rest| {
                rest.split_once(char::is_whitespace)
                    .map_or("", |(_, v)| v)
                    .trim()
                    .to_owned()
            })
    }

    /// Sets a registry value (`reg add … /f`).
    pub fn reg_add(&self, key: &str, value: &str, data: &str) -> Result<()> {
        let out = self
            .command("reg")
            .args(["add", key, "/v", value, "/t", "REG_SZ", "/d", data, "/f"])
            .output()?;
        if !out.status.success() {
            bail!(
                "reg add {key} {value} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(())
    }
}

impl Drop for Wine {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A Linux path as Wine's `Z:` drive shows it to a Windows program.
pub fn z_path(p: &Path) -> String {
    format!("Z:{}", p.display()).replace('/', "\\")
}

/// Waits for a file to appear (msiexec returns before the files are laid down).
pub fn wait_for(path: &Path, timeout: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if path.exists() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    path.exists()
}

/// Waits for a file to disappear (uninstallers finish in a child process).
pub fn wait_for_gone(path: &Path, timeout: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if !path.exists() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    !path.exists()
}

/// stdout and stderr as text, for assertion messages.
pub fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
