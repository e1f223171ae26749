//! `cargo xtask deps`: the Debian/Ubuntu packages the demo and the tests need, installed when missing.
//! npm packages are installed from ui/package-lock.json by `npm ci` where they are needed.

use std::process::Command;

use anyhow::{bail, Result};

use crate::sh;

/// Packages for the gateway, the CLI and the end-to-end tests.
pub const CORE: &[&str] = &[
    "build-essential",
    "pkg-config",
    "libssl-dev",
    "softhsm2",
    // The `openssl` command makes the SM2 branch of the dev PKI (rcgen has no SM2).
    "openssl",
    // A venv for the foreign verifiers the tests run (Python gmssl for SM2), where python3 is Debian's.
    "python3-venv",
    "opensc",
    "postgresql",
    // A CJK font for the centre's PDF receipts (small TrueType; fonts-noto-cjk is preferred when installed),
    // and the foreign readers the receipt tests use: pdftotext, qpdf.
    "fonts-wqy-microhei",
    "poppler-utils",
    "qpdf",
    // The PKCS#11 header for the locked-USB-key test double (tests/pkcs11-double), built by the tests with gcc.
    "libp11-kit-dev",
    // The load balancer in front of the gateways of gjj_tests::cluster (tests/tests/cluster.rs, cargo xtask load).
    "haproxy",
];
/// Packages to build and run the desktop app (Tauri on WebKitGTK) and drive it under Xvfb.
pub const DESKTOP: &[&str] = &[
    "libwebkit2gtk-4.1-dev",
    "libgtk-3-dev",
    "librsvg2-dev",
    "libayatana-appindicator3-dev",
    "libxdo-dev",
    "file",
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    "fonts-noto-cjk",
    "x11-utils",
];

/// Packages to build the installers (`cargo xtask dist`): NSIS and wixl/msitools for the Windows setup.exe and
/// .msi, mingw-w64 to cross-build the Windows app, 7-Zip to list what the NSIS installer carries.
pub const DIST: &[&str] = &[
    "nsis",
    "msitools",
    "wixl",
    "gcc-mingw-w64-x86-64-posix",
    "p7zip-full",
];

/// Wine (Debian 12 has 8.0; 64-bit only, no i386 multiarch needed) to run the Windows builds in the tests.
pub const WINE: &[&str] = &["wine64", "wine"];
/// A Linux desktop's Secret Service for the personal-data test: GNOME Keyring in a D-Bus session.
pub const SECRET_SERVICE: &[&str] = &["gnome-keyring", "dbus-daemon"];

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

/// Installs whichever of `packages` are missing.
pub fn ensure(packages: &[&str]) -> Result<()> {
    let missing: Vec<&str> = packages.iter().copied().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    if Command::new("apt-get").arg("--version").output().is_err() {
        bail!("missing packages {missing:?} and no apt-get: install them with your system's package manager");
    }
    let sudo = if sh::is_root() { None } else { Some("sudo") };
    let apt = |args: &[&str]| {
        let mut cmd = match sudo {
            Some(s) => {
                let mut c = Command::new(s);
                c.arg("apt-get");
                c
            }
            None => Command::new("apt-get"),
        };
        cmd.env("DEBIAN_FRONTEND", "noninteractive").args(args);
        cmd
    };
    sh::run("apt-get update", &mut apt(&["update", "-q"]))?;
    let mut args = vec!["install", "-y", "-q", "--no-install-recommends"];
    args.extend(&missing);
    sh::run(&format!("apt-get install {}", missing.join(" ")), &mut apt(&args))
}
