//! USB keys on this computer: which PKCS#11 drivers are installed, which keys are inserted and which
//! certificates they hold — all read without a PIN.
//!
//! [`KNOWN_DRIVERS`] is the table of vendor modules per platform (issue 6, REFERENCE §E2/§E4: CA drivers of
//! several provinces, several keys plugged in). [`candidate_modules`] finds the installed ones under a root
//! directory (the machine itself, or a test tree laid out like a platform), [`discover`] loads each one and lists
//! every inserted key and certificate. Several keys are all listed, never guessed; when none is found,
//! [`KeyList::hint`] says which driver to install.
//!
//! Marks in the table: [S] the file name was seen in public code or installer scripts that use the vendor's
//! driver; [I] inferred (the vendor's naming pattern, or a directory where its installer usually writes). A
//! missing file costs nothing (it is simply not found), and IT can always list the exact module in the managed
//! configuration (`pkcs11_modules`).

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

use gjj_domain::api::Role;
use gjj_pki::pkcs11::TokenSummary;
use gjj_pki::CertIdentity;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// A vendor's PKCS#11 module (USB-key driver) and where its installer puts it on each platform.
///
/// Each path is either absolute (`/usr/lib/…`, `C:\Program Files\…`: looked up as is) or a bare file name or
/// relative path (`eps2003csp11.dll`, `softhsm/libsofthsm2.so`: looked up in each of the platform's
/// [`Platform::library_dirs`]).
#[derive(Clone, Copy, Debug)]
pub struct KnownDriver {
    /// Maker, e.g. "飞天诚信 Feitian".
    pub vendor: &'static str,
    /// Product line, e.g. "ePass2003".
    pub product: &'static str,
    /// CAs whose keys are known to use it (not exhaustive [I]); empty for generic and development modules,
    /// which are never suggested to a user.
    pub issuers: &'static [&'static str],
    /// Windows paths.
    pub windows: &'static [&'static str],
    /// Linux paths.
    pub linux: &'static [&'static str],
    /// macOS paths.
    pub macos: &'static [&'static str],
}

impl KnownDriver {
    /// "vendor product", as shown to the user.
    pub fn label(&self) -> String {
        format!("{} {}", self.vendor, self.product)
    }

    /// The paths for one platform.
    pub fn paths(&self, platform: Platform) -> &'static [&'static str] {
        match platform {
            Platform::Windows => self.windows,
            Platform::Linux => self.linux,
            Platform::MacOs => self.macos,
        }
    }
}

/// Known USB-key drivers: PKCS#11 modules and vendors' SKF libraries (GM/T 0016, the interface of most SM2 keys).
/// Discovery loads each file found as PKCS#11 and, when it is not one, as SKF, so one table serves both. An SKF
/// file name is listed only with a source, given beside it: N = wuxiaoxia-stu/crypto (NETCA's device installer
/// scripts, 安装包/*.iss), L = liuzhenxin/liuzx-skf config/skf.yaml, Q = radtek/QZSyncWorker src/SOFMedia.h,
/// U = liuzhenxin/uKeyManage choosekeydialog.h.
pub const KNOWN_DRIVERS: &[KnownDriver] = &[
    KnownDriver {
        vendor: "飞天诚信 Feitian",
        product: "ePass2003",
        issuers: &["GDCA 数安时代", "CFCA 中国金融认证中心"], // [I]
        windows: &["eps2003csp11.dll", "eps2003csp11v2.dll"], // [S] System32
        // [S] libeps2003csp11.so; libcastle.so.1.0.0 [I] (the macOS build is libcastle.1.0.0.dylib [S]).
        linux: &["libcastle.so.1.0.0", "libeps2003csp11.so"],
        macos: &[
            "/usr/local/lib/libcastle.1.0.0.dylib",
            "/usr/local/lib/libeps2003csp11.dylib",
        ], // [S]
    },
    KnownDriver {
        vendor: "飞天诚信 Feitian",
        product: "ePass3000GM",
        issuers: &["SZCA 深圳 CA", "GDCA 数安时代"], // [S] ShuttleCsp11_3000GM_SZCA.dll; GDCA [I]
        windows: &[
            "ShuttleCsp11_3000GM.dll",      // [S] System32; SKF too (L)
            "ShuttleCsp11_3000GM_SZCA.dll", // [S] SKF (N: SkfDllPath)
            "Ft3000GM_Netca_SKF.dll",       // [S] SKF (N)
            "HNCA3000GM.dll",               // [S] SKF, the Hunan CA build (U)
        ],
        // [S] libes_3000gm.so.1.0.0 (SKF; PKCS#11 export [I]); libshuttle_p11v220.so [S on Android, I here].
        linux: &["libes_3000gm.so.1.0.0", "libshuttle_p11v220.so"],
        macos: &["/usr/local/lib/libes_3000gm.dylib"], // [S] name, [I] directory
    },
    KnownDriver {
        vendor: "龙脉 Longmai",
        product: "mToken GM3000",
        issuers: &["BJCA 北京数字认证"], // [S] gm3k_for_bjca.dll
        windows: &[
            "gm3000_pkcs11.dll",                                // [S]
            r"C:\Program Files (x86)\GM3000\gm3000_pkcs11.dll", // [I] beside mtoken_gm3000.dll [S]
            r"C:\Program Files\GM3000\gm3000_pkcs11.dll",       // [I]
            "mtoken_gm3000.dll",                                // [S] SKF (L)
            "mtoken_k5.dll",                                    // [S] SKF, mToken K5 (N)
        ],
        linux: &[
            "libgm3000_pkcs11.so",                                            // [S] /usr/lib
            "/opt/apps/com.longmai.gm3000user/files/lib/libgm3000_pkcs11.so", // [S] UOS package
            "/opt/lm-gm3000/lib/libgm3000_pkcs11.so",                         // [I] Kylin package dir [S]
            "libgm3000.1.0.so",                                               // [S] SKF
        ],
        macos: &[
            "/usr/local/lib/libgm3000_pkcs11.dylib",
            "/usr/local/lib/libgm3000.1.0.dylib",
        ], // [I] dir
    },
    KnownDriver {
        vendor: "海泰方圆 HaiTai",
        product: "USB key",
        issuers: &["NETCA 网证通", "SZCA 深圳 CA", "ZJCA 浙江 CA"], // [S]
        windows: &[
            "HtPkcs11.dll",    // [S] System32
            "SKFAPI20524.dll", // [S] SKF, SM2 (N: Netca_Devices_HTSM2.iss)
            "SKFAPI20079.dll", // [S] SKF (Q)
            "SKFAPI20549.dll", // [S] SKF (Q)
            "SKFAPI20509.dll", // [S] SKF (U)
        ],
        linux: &["libhtpkcs11.so"],                   // [I]
        macos: &["/usr/local/lib/libhtpkcs11.dylib"], // [I]
    },
    KnownDriver {
        vendor: "握奇 Watchdata",
        product: "WatchKey",
        issuers: &["GDCA 数安时代", "CFCA 中国金融认证中心"], // [S] GDCA 握奇; CFCA [I]
        windows: &[
            "WDPKCS.dll",                                             // [S] System32
            r"C:\Program Files (x86)\Watchdata\WatchSAFE\WDPKCS.dll", // [I]
        ],
        linux: &["libwdpkcs.so"],                   // [I]
        macos: &["/usr/local/lib/libwdpkcs.dylib"], // [I]
    },
    KnownDriver {
        vendor: "网证通 NETCA",
        product: "SKF 接口",
        issuers: &["NETCA 网证通"],
        windows: &["NetcaSKF.dll"], // [S] SKF (N: Netca_Crypto.iss)
        linux: &[],
        macos: &[],
    },
    KnownDriver {
        vendor: "数安时代 GDCA",
        product: "USB key（国密）",
        issuers: &["GDCA 数安时代"],
        windows: &["gdca_dal_szd3003_sm2.dll", "gdca_dal_ecc27.dll"], // [S] SKF (N: Netca_Devices(GDCA).iss)
        linux: &[],
        macos: &[],
    },
    KnownDriver {
        vendor: "林果 Linguo",
        product: "USB key（北京 CA 国密）",
        issuers: &["BJCA 北京数字认证"],
        windows: &["lgu3073_p1514_gm.dll"], // [S] SKF (Q)
        linux: &[],
        macos: &[],
    },
    KnownDriver {
        vendor: "渔翁 Fisherman",
        product: "USB key",
        issuers: &[],
        windows: &["KeyGDBApi.dll"], // [S] SKF (L)
        linux: &[],
        macos: &[],
    },
    KnownDriver {
        vendor: "文鼎创 Excelsecu",
        product: "USB key",
        issuers: &[],
        windows: &["SJK1217SKF.dll"], // [S] SKF (N: Netca_Devices_ES.iss)
        linux: &[],
        macos: &[],
    },
    KnownDriver {
        // [I] GUESS. REFERENCE §I: the Hengyang centre's CA vendor and its driver files are not known; the names
        // below follow the usual "<CA>_pkcs11" pattern and must be replaced with the files of the CA's driver
        // package (until then IT lists the module in managed.toml `pkcs11_modules`).
        vendor: "湖南省数字认证服务中心",
        product: "USB key 驱动",
        issuers: &["中心指定的湖南 CA"],
        windows: &["hnca_pkcs11.dll", r"C:\Program Files (x86)\HNCA\hnca_pkcs11.dll"],
        linux: &["/opt/hnca/lib/libhnca_pkcs11.so", "libhnca_pkcs11.so"],
        macos: &["/usr/local/lib/libhnca_pkcs11.dylib"],
    },
    KnownDriver {
        vendor: "OpenSC",
        product: "opensc-pkcs11",
        issuers: &[], // generic smart-card module (it also drives ePass2003)
        windows: &[
            r"C:\Program Files\OpenSC Project\OpenSC\pkcs11\opensc-pkcs11.dll", // [S]
            r"C:\Program Files (x86)\OpenSC Project\OpenSC\pkcs11\opensc-pkcs11.dll",
            "opensc-pkcs11.dll",
        ],
        linux: &["opensc-pkcs11.so", "pkcs11/opensc-pkcs11.so"], // [S] Debian/Fedora
        macos: &[
            "/Library/OpenSC/lib/opensc-pkcs11.so",
            "/usr/local/lib/opensc-pkcs11.so",
            "/opt/homebrew/lib/opensc-pkcs11.so",
        ],
    },
    KnownDriver {
        vendor: "SoftHSM",
        product: "SoftHSM2（开发测试用）",
        issuers: &[], // development and test keys
        windows: &[r"C:\SoftHSM2\lib\softhsm2-x64.dll"],
        linux: &["softhsm/libsofthsm2.so", "libsofthsm2.so"], // Debian: /usr/lib/softhsm/libsofthsm2.so
        macos: &[
            "/usr/local/lib/softhsm/libsofthsm2.so",
            "/opt/homebrew/lib/softhsm/libsofthsm2.so",
        ],
    },
];

/// An operating system, for its driver file names and directories.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    /// Windows.
    Windows,
    /// Linux.
    Linux,
    /// macOS.
    MacOs,
}

impl Platform {
    /// The platform this program runs on (other Unixes are treated as Linux).
    pub fn current() -> Platform {
        if cfg!(windows) {
            Platform::Windows
        } else if cfg!(target_os = "macos") {
            Platform::MacOs
        } else {
            Platform::Linux
        }
    }

    /// Where driver installers put bare file names.
    ///
    /// Windows: SysWOW64 holds 32-bit DLLs, which a 64-bit program cannot load; they are still listed so the
    /// user learns that only the 32-bit driver is installed.
    pub fn library_dirs(self) -> &'static [&'static str] {
        match self {
            Platform::Windows => &[r"C:\Windows\System32", r"C:\Windows\SysWOW64"],
            Platform::Linux => &[
                "/usr/lib",
                "/usr/lib64",
                "/usr/lib/x86_64-linux-gnu",
                "/usr/lib/aarch64-linux-gnu",
                "/usr/local/lib",
            ],
            Platform::MacOs => &["/usr/local/lib", "/opt/homebrew/lib"],
        }
    }
}

/// A module to try.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ModuleCandidate {
    /// Where it is (under the root).
    pub path: PathBuf,
    /// "vendor product" from [`KNOWN_DRIVERS`] by file name; empty when unknown.
    pub vendor: String,
    /// Listed in the settings (true) or found at a known vendor path (false).
    pub configured: bool,
}

/// Maps a table path to a file under `root`.
///
/// `root` "/" (or empty) is this computer: paths are used as written; on Windows the standard prefixes
/// `C:\Windows`, `C:\Program Files (x86)` and `C:\Program Files` follow %SystemRoot%, %ProgramFiles(x86)% and
/// %ProgramFiles% when set. Any other root is a directory laid out like the platform (tests, mounted images):
/// `/usr/lib/x.so` → `root/usr/lib/x.so`, and a Windows path `C:\Windows\System32\x.dll` →
/// `root/C/Windows/System32/x.dll` (the drive letter becomes the first directory).
pub fn host_path(root: &Path, platform: Platform, path: &str) -> PathBuf {
    let this_machine = root == Path::new("/") || root.as_os_str().is_empty();
    match platform {
        Platform::Windows if this_machine && cfg!(windows) => PathBuf::from(windows_env_prefix(path)),
        Platform::Windows => {
            let mut out = root.to_path_buf();
            for part in path.split(['\\', '/']).filter(|p| !p.is_empty()) {
                out.push(part.trim_end_matches(':'));
            }
            out
        }
        Platform::Linux | Platform::MacOs => {
            let mut out = root.to_path_buf();
            for part in Path::new(path).components() {
                if let Component::Normal(p) = part {
                    out.push(p);
                }
            }
            out
        }
    }
}

fn windows_env_prefix(path: &str) -> String {
    for (prefix, var) in [
        (r"C:\Windows", "SystemRoot"),
        (r"C:\Program Files (x86)", "ProgramFiles(x86)"),
        (r"C:\Program Files", "ProgramFiles"),
    ] {
        let head = path.get(..prefix.len());
        if head.is_some_and(|h| h.eq_ignore_ascii_case(prefix)) {
            if let Some(value) = std::env::var_os(var) {
                let rest = &path[prefix.len()..];
                // "C:\Program Files" must not swallow "C:\Program Files (x86)".
                if rest.is_empty() || rest.starts_with('\\') {
                    return format!("{}{rest}", value.to_string_lossy());
                }
            }
        }
    }
    path.to_owned()
}

fn is_absolute(platform: Platform, path: &str) -> bool {
    match platform {
        Platform::Windows => path.as_bytes().get(1) == Some(&b':') || path.starts_with('\\'),
        Platform::Linux | Platform::MacOs => path.starts_with('/'),
    }
}

/// Every path of the table for `platform`, mapped under `root`, with its driver.
fn known_paths(root: &Path, platform: Platform) -> Vec<(PathBuf, &'static KnownDriver)> {
    let mut out = Vec::new();
    for driver in KNOWN_DRIVERS {
        for entry in driver.paths(platform) {
            if is_absolute(platform, entry) {
                out.push((host_path(root, platform, entry), driver));
            } else {
                for dir in platform.library_dirs() {
                    let sep = if platform == Platform::Windows { "\\" } else { "/" };
                    out.push((host_path(root, platform, &format!("{dir}{sep}{entry}")), driver));
                }
            }
        }
    }
    out
}

/// The known driver a module file belongs to, by file name (case-insensitive: Windows file names).
pub fn known_driver_of(path: &Path) -> Option<&'static KnownDriver> {
    let name = path.file_name()?.to_string_lossy().to_lowercase();
    KNOWN_DRIVERS.iter().find(|d| {
        [d.windows, d.linux, d.macos].iter().any(|paths| {
            paths.iter().any(|p| {
                p.rsplit(['\\', '/'])
                    .next()
                    .is_some_and(|f| f.to_lowercase() == name)
            })
        })
    })
}

/// Modules to try: the configured paths first (even missing ones, so the user sees why they fail), then every
/// known driver file that exists under `root`. The same file reached twice (a symlink such as Debian's
/// /usr/lib/softhsm/libsofthsm2.so, or a configured path that is also a known one) is listed once: loading it
/// twice would list each of its keys twice.
pub fn candidate_modules(configured: &[PathBuf], root: &Path, platform: Platform) -> Vec<ModuleCandidate> {
    let mut out = Candidates::default();
    out.configured(configured);
    for (path, driver) in known_paths(root, platform) {
        if path.is_file() {
            out.add(path, driver.label(), false);
        }
    }
    out.list
}

/// Only the configured modules, none searched for: for when IT fixed the allowed modules (managed
/// `pkcs11_modules`), so that another province's CA driver on the machine is never loaded.
pub fn configured_candidates(configured: &[PathBuf]) -> Vec<ModuleCandidate> {
    let mut out = Candidates::default();
    out.configured(configured);
    out.list
}

#[derive(Default)]
struct Candidates {
    seen: HashSet<PathBuf>,
    list: Vec<ModuleCandidate>,
}

impl Candidates {
    fn add(&mut self, path: PathBuf, vendor: String, configured: bool) {
        let key = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        if self.seen.insert(key) {
            self.list.push(ModuleCandidate {
                path,
                vendor,
                configured,
            });
        }
    }

    fn configured(&mut self, paths: &[PathBuf]) {
        for path in paths {
            let vendor = known_driver_of(path).map(KnownDriver::label).unwrap_or_default();
            self.add(path.clone(), vendor, true);
        }
    }
}

/// A certificate expiry warning level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum WarningLevel {
    /// 30 days or less.
    Info,
    /// 15 days or less.
    Warning,
    /// 7 days or less, expired, or not valid yet.
    Danger,
}

/// What to tell the user about a certificate's validity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ExpiryWarning {
    /// How urgent.
    pub level: WarningLevel,
    /// What happens and what to do, in Chinese.
    pub message: String,
}

/// The warning for a certificate with `days_left` days of validity (see [`days_left`]): expired at ≤ 0,
/// danger at ≤ 7, warning at ≤ 15, info at ≤ 30, none beyond.
pub fn expiry_warning(days_left: i64) -> Option<ExpiryWarning> {
    let (level, message) = if days_left <= 0 {
        (
            WarningLevel::Danger,
            "证书已过期，不能再登录网厅或提交业务。请联系签发证书的 CA 办理证书更新（续期），更新后再登录。"
                .to_owned(),
        )
    } else if days_left <= 7 {
        (
            WarningLevel::Danger,
            format!("证书还有 {days_left} 天到期，到期后将无法登录网厅。请立即联系签发证书的 CA 办理证书更新（续期）。"),
        )
    } else if days_left <= 15 {
        (
            WarningLevel::Warning,
            format!("证书还有 {days_left} 天到期。请尽快联系签发证书的 CA 办理证书更新（续期），以免到期后无法办理业务。"),
        )
    } else if days_left <= 30 {
        (
            WarningLevel::Info,
            format!("证书将在 {days_left} 天后到期，请在到期前联系签发证书的 CA 办理证书更新（续期）。"),
        )
    } else {
        return None;
    };
    Some(ExpiryWarning { level, message })
}

/// Whole days of validity left at `now`, rounded up: 1 while less than a day remains, ≤ 0 once expired.
pub fn days_left(not_after: i64, now: i64) -> i64 {
    let secs = not_after - now;
    secs.div_euclid(86_400) + i64::from(secs.rem_euclid(86_400) != 0)
}

/// A certificate as the login screen and the diagnostics show it (api.ts `CertInfo`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CertInfo {
    /// SHA-256 of the DER certificate, hex: the id used to pick it (`TokenSelector::certificate`).
    pub fingerprint: String,
    /// Unit name (subject O, else CN).
    pub unit_name: String,
    /// 统一社会信用代码, when the certificate carries one.
    pub uscc: Option<String>,
    /// Issuer "CN (O)".
    pub issuer: String,
    /// Serial number, upper-case hex.
    pub serial: String,
    /// Start of validity, RFC 3339.
    pub not_before: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// See [`days_left`].
    pub days_left: i64,
    /// Expiry (or not-yet-valid) warning.
    pub expiry_warning: Option<ExpiryWarning>,
    /// Hall role stated by the certificate; the centre confirms it at login.
    pub role: Option<Role>,
}

fn rfc3339(t: i64) -> String {
    OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| d.format(&Rfc3339).ok())
        .unwrap_or_default()
}

fn date(t: i64) -> String {
    OffsetDateTime::from_unix_timestamp(t)
        .map(|d| format!("{}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()))
        .unwrap_or_default()
}

/// The [`CertInfo`] of a certificate identity at `now`.
pub fn cert_info(identity: &CertIdentity, now: OffsetDateTime) -> CertInfo {
    let now = now.unix_timestamp();
    let left = days_left(identity.not_after, now);
    let expiry_warning = if now < identity.not_before {
        Some(ExpiryWarning {
            level: WarningLevel::Danger,
            message: format!(
                "证书尚未生效（{} 起生效），现在不能登录。请检查电脑的日期和时间是否正确；时间正确时请到生效日后再登录。",
                date(identity.not_before)
            ),
        })
    } else {
        expiry_warning(left)
    };
    CertInfo {
        fingerprint: identity.fingerprint.clone(),
        unit_name: identity.name.clone(),
        uscc: identity.uscc.clone(),
        issuer: identity.issuer.clone(),
        serial: identity.serial.clone(),
        not_before: rfc3339(identity.not_before),
        not_after: rfc3339(identity.not_after),
        days_left: left,
        expiry_warning,
        role: identity.role,
    }
}

/// A PKCS#11 module as found (api.ts `ModuleInfo`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ModuleInfo {
    /// Module path.
    pub path: String,
    /// From the known-driver table, else the module's manufacturer.
    pub vendor: String,
    /// The module's library version "major.minor", when it loaded.
    pub library_version: Option<String>,
    /// Listed in the settings (true) or found at a known vendor path (false).
    pub configured: bool,
    /// Why it could not be loaded or read.
    pub error: Option<String>,
}

/// The PIN warning flags of a key (api.ts `PinFlags`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PinFlags {
    /// A wrong PIN was entered since the last success.
    pub count_low: bool,
    /// One more wrong PIN locks the key.
    pub final_try: bool,
    /// The PIN is locked.
    pub locked: bool,
}

/// An inserted key (api.ts `KeyInfo`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct KeyInfo {
    /// Path of the module that reads it.
    pub module: String,
    /// Driver vendor (table), else the token's manufacturer.
    pub vendor: String,
    /// PKCS#11 slot id.
    pub slot: u64,
    /// Token label.
    pub label: String,
    /// Token serial number.
    pub serial: String,
    /// PIN warning flags.
    pub pin_flags: PinFlags,
    /// Its certificates.
    pub certificates: Vec<CertInfo>,
    /// Set for a certificate in the Windows certificate store (then `module` is [`STORE_MODULE_PREFIX`] +
    /// location, `serial` the SHA-1 thumbprint): its PIN dialog is the driver's, not ours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<StoreKeyInfo>,
    /// Set for an SM2 (国密) key reached through its SKF driver (then `label` is the device, `serial` the
    /// container): the PIN counter is the key's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skf: Option<SkfKeyInfo>,
}

/// An SM2 key behind an SKF driver (api.ts `SkfKeyInfo`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SkfKeyInfo {
    /// SKF application holding the PIN and the container.
    pub application: String,
    /// Container of the signing key.
    pub container: String,
    /// PIN tries left, as the key counts them.
    pub pin_remaining: u32,
    /// PIN tries allowed.
    pub pin_max: u32,
    /// The encryption certificate of the pair (never used to log in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_certificate: Option<CertInfo>,
}

/// `KeyInfo::module` of a Windows certificate-store entry: this prefix + "CurrentUser" / "LocalMachine".
pub const STORE_MODULE_PREFIX: &str = "windows-store:";

/// A certificate of the Windows certificate store (api.ts `StoreKeyInfo`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StoreKeyInfo {
    /// "CurrentUser" or "LocalMachine".
    pub location: String,
    /// The CSP or key storage provider the CA's driver registered.
    pub provider: String,
    /// A CNG key storage provider (else a legacy CSP).
    pub cng: bool,
    /// The key can only sign RSA PKCS#1 v1.5 (a legacy CSP): the login uses TLS 1.2.
    pub tls12_only: bool,
}

/// Drivers, keys and certificates found (api.ts `KeyList`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct KeyList {
    /// Every module tried.
    pub modules: Vec<ModuleInfo>,
    /// Every inserted key, in module then slot order.
    pub keys: Vec<KeyInfo>,
    /// When no usable key is found: what to do, in words.
    pub hint: Option<String>,
}

/// Finds the modules ([`candidate_modules`]) and lists their keys; see [`discover_candidates`].
pub fn discover(configured: &[PathBuf], root: &Path, platform: Platform, now: OffsetDateTime) -> KeyList {
    discover_candidates(&candidate_modules(configured, root, platform), now)
}

/// Loads each module and lists its keys and certificates without a PIN. Never fails: a module that cannot be
/// loaded or read is reported with its error. Blocking (drivers talk to USB devices): call it off the UI thread.
pub fn discover_candidates(candidates: &[ModuleCandidate], now: OffsetDateTime) -> KeyList {
    let mut list = KeyList::default();
    for candidate in candidates {
        let path = candidate.path.display().to_string();
        let module = match gjj_pki::Driver::load(&candidate.path) {
            Ok(gjj_pki::Driver::Pkcs11(m)) => m,
            // A vendor's SKF library (GM/T 0016) of an SM2 key: listed beside the PKCS#11 keys.
            Ok(gjj_pki::Driver::Skf(driver)) => {
                skf_keys(candidate, &driver, &path, now, &mut list);
                continue;
            }
            Err(e) => {
                list.modules.push(ModuleInfo {
                    path,
                    vendor: candidate.vendor.clone(),
                    library_version: None,
                    configured: candidate.configured,
                    error: Some(load_error(&candidate.path, &e)),
                });
                continue;
            }
        };
        let info = module.info().ok();
        let vendor = if candidate.vendor.is_empty() {
            info.as_ref()
                .map(|i| format!("{} {}", i.manufacturer, i.description).trim().to_owned())
                .unwrap_or_default()
        } else {
            candidate.vendor.clone()
        };
        let mut error = None;
        match module.tokens() {
            Ok(tokens) => {
                for token in tokens {
                    list.keys.push(key_info(&path, &vendor, token, now));
                }
            }
            Err(e) => error = Some(format!("读取 USB key 失败：{e}")),
        }
        list.modules.push(ModuleInfo {
            path,
            vendor,
            library_version: info.map(|i| i.version),
            configured: candidate.configured,
            error,
        });
    }
    list.keys.extend(store_keys(now));
    list.hint = hint(&list);
    list
}

/// Lists the SM2 keys of an SKF library.
fn skf_keys(
    candidate: &ModuleCandidate,
    driver: &gjj_pki::skf::SkfDriver,
    path: &str,
    now: OffsetDateTime,
    list: &mut KeyList,
) {
    let mut error = None;
    match driver.keys() {
        Ok(keys) => {
            for (slot, k) in keys.into_iter().enumerate() {
                list.keys.push(KeyInfo {
                    module: path.to_owned(),
                    vendor: candidate.vendor.clone(),
                    slot: slot as u64,
                    label: k.device.clone(),
                    serial: k.container.clone(),
                    pin_flags: PinFlags {
                        count_low: k.pin.count_low,
                        final_try: k.pin.final_try,
                        locked: k.pin.locked,
                    },
                    certificates: vec![cert_info(&k.identity, now)],
                    store: None,
                    skf: Some(SkfKeyInfo {
                        application: k.application,
                        container: k.container,
                        pin_remaining: k.pin.remaining,
                        pin_max: k.pin.max,
                        encryption_certificate: k.encryption.as_ref().map(|c| cert_info(c, now)),
                    }),
                });
            }
        }
        Err(e) => error = Some(format!("读取国密 USB key 失败：{e}")),
    }
    list.modules.push(ModuleInfo {
        path: path.to_owned(),
        vendor: if candidate.vendor.is_empty() {
            "SKF 驱动（国密）".to_owned()
        } else {
            format!("{}（SKF 国密接口）", candidate.vendor)
        },
        library_version: None,
        configured: candidate.configured,
        error,
    });
}

/// The certificates of the Windows certificate store a unit can log in with, one entry each (empty off
/// Windows). Reads no key: no PIN dialog.
pub fn store_keys(now: OffsetDateTime) -> Vec<KeyInfo> {
    let listing = gjj_pki::winstore::certificates();
    for e in &listing.errors {
        tracing::warn!("Windows certificate store: {e}");
    }
    listing
        .certificates
        .iter()
        .map(|c| {
            let cert_key = gjj_pki::winstore::CertKey::of(c.der());
            KeyInfo {
                module: format!("{STORE_MODULE_PREFIX}{}", c.location.id()),
                vendor: c.provider.clone(),
                slot: 0,
                label: c.location.label().to_owned(),
                serial: c.thumbprint(),
                pin_flags: PinFlags::default(),
                certificates: vec![cert_info(&c.identity, now)],
                skf: None,
                store: Some(StoreKeyInfo {
                    location: c.location.id().to_owned(),
                    provider: c.provider.clone(),
                    cng: c.cng_provider,
                    tls12_only: !c.cng_provider && cert_key == gjj_pki::winstore::CertKey::Rsa,
                }),
            }
        })
        .collect()
}

fn key_info(module: &str, vendor: &str, token: TokenSummary, now: OffsetDateTime) -> KeyInfo {
    KeyInfo {
        module: module.to_owned(),
        vendor: if vendor.is_empty() {
            token.manufacturer.clone()
        } else {
            vendor.to_owned()
        },
        slot: token.slot,
        label: token.label,
        serial: token.serial,
        pin_flags: PinFlags {
            count_low: token.pin.count_low,
            final_try: token.pin.final_try,
            locked: token.pin.locked,
        },
        certificates: token
            .certificates
            .iter()
            .map(|c| cert_info(&c.identity, now))
            .collect(),
        store: None,
        skf: None,
    }
}

fn load_error(path: &Path, e: &gjj_pki::PkiError) -> String {
    let wow64 = path
        .components()
        .any(|c| c.as_os_str().to_string_lossy().eq_ignore_ascii_case("SysWOW64"));
    if wow64 {
        format!("{e}（该文件位于 SysWOW64，是 32 位驱动，本程序为 64 位，无法使用：请安装 CA 提供的 64 位驱动。）")
    } else {
        e.to_string()
    }
}

/// The vendor drivers that keys of the CA named in `issuer` (a certificate's issuer, "CN (O)") are known to
/// use: a tag of [`KnownDriver::issuers`] such as "GDCA 数安时代" matches by any of its words but "CA".
pub fn drivers_for_issuer(issuer: &str) -> Vec<&'static KnownDriver> {
    let issuer = issuer.to_lowercase();
    KNOWN_DRIVERS
        .iter()
        .filter(|d| {
            d.issuers.iter().any(|tag| {
                tag.split_whitespace()
                    .map(str::to_lowercase)
                    .any(|w| w != "ca" && issuer.contains(&w))
            })
        })
        .collect()
}

/// The drivers a user may be told to install: the vendors' ones (not the generic or development modules).
pub fn driver_suggestions() -> String {
    KNOWN_DRIVERS
        .iter()
        .filter(|d| !d.issuers.is_empty())
        .map(|d| format!("{}（{}）", d.label(), d.issuers.join("、")))
        .collect::<Vec<_>>()
        .join("；")
}

fn hint(list: &KeyList) -> Option<String> {
    if list.keys.iter().any(|k| !k.certificates.is_empty()) {
        return None;
    }
    if !list.keys.is_empty() {
        let labels: Vec<&str> = list.keys.iter().map(|k| k.label.as_str()).collect();
        return Some(format!(
            "已检测到 USB key（{}），但其中没有可用的证书。请联系签发证书的 CA 检查或重新写入证书。",
            labels.join("、")
        ));
    }
    let loaded: Vec<&ModuleInfo> = list.modules.iter().filter(|m| m.error.is_none()).collect();
    if !loaded.is_empty() {
        let names: Vec<String> = loaded.iter().map(|m| module_name(m)).collect();
        return Some(format!(
            "已找到驱动 {}，但没有检测到 USB key：请插入单位的 USB key；已插入时请拔下后重新插入，或换一个 USB 口。仍检测不到时，请安装为该 key 签发证书的 CA 提供的驱动。",
            names.join("、")
        ));
    }
    if let Some(first) = list.modules.first() {
        return Some(format!(
            "找到驱动 {}，但无法使用：{} 请重新安装为单位签发证书的 CA 提供的 USB key 驱动（64 位），或在设置中填写正确的驱动文件路径。",
            module_name(first),
            first.error.as_deref().unwrap_or_default()
        ));
    }
    Some(format!(
        "未找到 USB key 驱动。请安装为单位签发证书的 CA（见 USB key 外壳、包装盒或证书上的签发机构）提供的 USB key 驱动，安装后重新插入 USB key。常见驱动：{}。驱动装在其他位置时，请在设置中填写驱动文件路径。",
        driver_suggestions()
    ))
}

fn module_name(m: &ModuleInfo) -> String {
    if m.vendor.is_empty() {
        m.path.clone()
    } else {
        format!("{}（{}）", m.vendor, m.path)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn touch(root: &Path, rel: &str) -> PathBuf {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, b"not a real module").unwrap();
        p
    }

    fn found(c: &[ModuleCandidate], root: &Path) -> Vec<(String, String)> {
        c.iter()
            .map(|m| {
                let rel = m.path.strip_prefix(root).unwrap();
                (rel.to_string_lossy().replace('\\', "/"), m.vendor.clone())
            })
            .collect()
    }

    #[test]
    fn windows_tree_finds_vendor_dlls_in_system_dirs_and_program_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(root, "C/Windows/System32/eps2003csp11.dll");
        touch(root, "C/Windows/SysWOW64/ShuttleCsp11_3000GM.dll");
        touch(root, "C/Windows/System32/HtPkcs11.dll");
        touch(root, "C/Program Files (x86)/GM3000/gm3000_pkcs11.dll");
        touch(
            root,
            "C/Program Files/OpenSC Project/OpenSC/pkcs11/opensc-pkcs11.dll",
        );
        // Not drivers, or a Linux name on a Windows tree: never listed.
        touch(root, "C/Windows/System32/kernel32.dll");
        touch(root, "C/Windows/System32/libcastle.so.1.0.0");
        let c = candidate_modules(&[], root, Platform::Windows);
        let mut got = found(&c, root);
        got.sort();
        let mut want = vec![
            (
                "C/Windows/System32/eps2003csp11.dll".to_owned(),
                "飞天诚信 Feitian ePass2003".to_owned(),
            ),
            (
                "C/Windows/SysWOW64/ShuttleCsp11_3000GM.dll".into(),
                "飞天诚信 Feitian ePass3000GM".into(),
            ),
            (
                "C/Windows/System32/HtPkcs11.dll".into(),
                "海泰方圆 HaiTai USB key".into(),
            ),
            (
                "C/Program Files (x86)/GM3000/gm3000_pkcs11.dll".into(),
                "龙脉 Longmai mToken GM3000".into(),
            ),
            (
                "C/Program Files/OpenSC Project/OpenSC/pkcs11/opensc-pkcs11.dll".into(),
                "OpenSC opensc-pkcs11".into(),
            ),
        ];
        want.sort();
        assert_eq!(got, want);
        assert!(c.iter().all(|m| !m.configured));
    }

    #[test]
    fn linux_tree_finds_multiarch_softhsm_and_opt_paths_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(root, "usr/lib/x86_64-linux-gnu/opensc-pkcs11.so");
        touch(root, "usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so");
        let real = touch(root, "usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so");
        std::fs::create_dir_all(root.join("usr/lib/softhsm")).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(&real, root.join("usr/lib/softhsm/libsofthsm2.so")).unwrap();
        touch(
            root,
            "opt/apps/com.longmai.gm3000user/files/lib/libgm3000_pkcs11.so",
        );
        touch(root, "usr/lib/libcastle.so.1.0.0");
        touch(root, "usr/lib/libssl.so.3");
        // A Windows DLL on a Linux tree is not a Linux driver.
        touch(root, "usr/lib/eps2003csp11.dll");
        let c = candidate_modules(&[], root, Platform::Linux);
        let got = found(&c, root);
        let softhsm: Vec<_> = got.iter().filter(|(_, v)| v.starts_with("SoftHSM")).collect();
        assert_eq!(
            softhsm.len(),
            1,
            "the symlink and its target are one module: {got:?}"
        );
        let mut paths: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
        paths.sort_unstable();
        let mut want = vec![
            "usr/lib/libcastle.so.1.0.0",
            "usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
            "usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so",
            "opt/apps/com.longmai.gm3000user/files/lib/libgm3000_pkcs11.so",
        ];
        let softhsm_path = softhsm[0].0.as_str();
        assert!(
            softhsm_path == "usr/lib/softhsm/libsofthsm2.so"
                || softhsm_path == "usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"
        );
        want.push(softhsm_path);
        want.sort_unstable();
        assert_eq!(paths, want);
        let vendor = |p: &str| got.iter().find(|(q, _)| q == p).map(|(_, v)| v.as_str());
        assert_eq!(
            vendor("usr/lib/libcastle.so.1.0.0"),
            Some("飞天诚信 Feitian ePass2003")
        );
        assert_eq!(
            vendor("opt/apps/com.longmai.gm3000user/files/lib/libgm3000_pkcs11.so"),
            Some("龙脉 Longmai mToken GM3000")
        );
    }

    #[test]
    fn macos_tree_uses_its_own_paths() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(root, "usr/local/lib/libcastle.1.0.0.dylib");
        touch(root, "Library/OpenSC/lib/opensc-pkcs11.so");
        touch(root, "usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"); // a Linux path: not looked at
        let c = candidate_modules(&[], root, Platform::MacOs);
        let mut got = found(&c, root);
        got.sort();
        assert_eq!(
            got,
            vec![
                (
                    "Library/OpenSC/lib/opensc-pkcs11.so".to_owned(),
                    "OpenSC opensc-pkcs11".to_owned()
                ),
                (
                    "usr/local/lib/libcastle.1.0.0.dylib".into(),
                    "飞天诚信 Feitian ePass2003".into()
                ),
            ]
        );
    }

    #[test]
    fn configured_modules_come_first_and_are_not_repeated() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let hsm = touch(root, "usr/lib/softhsm/libsofthsm2.so");
        touch(root, "usr/lib/x86_64-linux-gnu/opensc-pkcs11.so");
        let missing = root.join("opt/vendor/libmissing.so");
        let c = candidate_modules(&[missing.clone(), hsm.clone()], root, Platform::Linux);
        assert_eq!(c.len(), 3, "{c:?}");
        assert_eq!(
            (c[0].path.clone(), c[0].configured, c[0].vendor.as_str()),
            (missing, true, "")
        );
        assert_eq!((c[1].path.clone(), c[1].configured), (hsm, true));
        assert!(c[1].vendor.starts_with("SoftHSM"));
        assert!(!c[2].configured);
        assert!(c[2].path.ends_with("opensc-pkcs11.so"));
    }

    #[test]
    fn host_path_maps_windows_drives_under_a_test_root() {
        let root = Path::new("/tmp/tree");
        assert_eq!(
            host_path(root, Platform::Windows, r"C:\Windows\System32\x.dll"),
            PathBuf::from("/tmp/tree/C/Windows/System32/x.dll")
        );
        assert_eq!(
            host_path(root, Platform::Linux, "/usr/lib/x.so"),
            PathBuf::from("/tmp/tree/usr/lib/x.so")
        );
        assert_eq!(
            host_path(Path::new("/"), Platform::Linux, "/usr/lib/x.so"),
            PathBuf::from("/usr/lib/x.so")
        );
    }

    #[test]
    fn a_file_that_is_not_a_module_is_reported_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let fake = touch(root, "usr/lib/softhsm/libsofthsm2.so");
        let missing = root.join("nowhere/libvendor.so");
        let list = discover(
            std::slice::from_ref(&missing),
            root,
            Platform::Linux,
            OffsetDateTime::now_utc(),
        );
        assert!(list.keys.is_empty());
        assert_eq!(list.modules.len(), 2);
        assert_eq!(list.modules[0].path, missing.display().to_string());
        assert!(list.modules[0].error.as_deref().unwrap().contains("文件不存在"));
        assert_eq!(list.modules[1].path, fake.display().to_string());
        assert!(!list.modules[1].configured);
        assert!(list.modules[1].library_version.is_none());
        let err = list.modules[1].error.as_deref().unwrap();
        assert!(err.contains("无法加载 USB key 驱动"), "{err}");
        let hint = list.hint.unwrap();
        assert!(hint.contains("无法使用"), "{hint}");
    }

    #[test]
    fn no_driver_at_all_names_the_vendors_and_their_cas() {
        let dir = tempfile::tempdir().unwrap();
        let list = discover(&[], dir.path(), Platform::Windows, OffsetDateTime::now_utc());
        assert!(list.modules.is_empty() && list.keys.is_empty());
        let hint = list.hint.unwrap();
        for needle in [
            "未找到 USB key 驱动",
            "ePass3000GM",
            "SZCA",
            "mToken GM3000",
            "BJCA",
            "海泰",
            "握奇",
        ] {
            assert!(hint.contains(needle), "{needle} missing in {hint}");
        }
        assert!(
            !hint.contains("SoftHSM"),
            "development modules are not suggested: {hint}"
        );
    }

    #[test]
    fn hint_when_a_driver_loads_but_no_key_is_inserted() {
        let list = KeyList {
            modules: vec![ModuleInfo {
                path: "/usr/lib/libcastle.so.1.0.0".into(),
                vendor: "飞天诚信 Feitian ePass2003".into(),
                library_version: Some("1.0".into()),
                configured: false,
                error: None,
            }],
            keys: vec![],
            hint: None,
        };
        let h = hint(&list).unwrap();
        assert!(h.starts_with("已找到驱动 飞天诚信 Feitian ePass2003"), "{h}");
        assert!(h.contains("没有检测到 USB key：请插入"), "{h}");
    }

    #[test]
    fn the_issuer_names_the_driver_to_install() {
        let labels =
            |issuer: &str| -> Vec<String> { drivers_for_issuer(issuer).iter().map(|d| d.label()).collect() };
        assert_eq!(
            labels("BJCA SM2 CA (Beijing Certificate Authority)"),
            vec![
                "龙脉 Longmai mToken GM3000",
                "林果 Linguo USB key（北京 CA 国密）"
            ]
        );
        let gdca = labels("数安时代科技股份有限公司 (GDCA)");
        assert!(
            gdca.contains(&"飞天诚信 Feitian ePass2003".to_owned()),
            "{gdca:?}"
        );
        assert!(gdca.contains(&"握奇 Watchdata WatchKey".to_owned()), "{gdca:?}");
        assert!(labels("NETCA SM2 CA (网证通)").contains(&"海泰方圆 HaiTai USB key".to_owned()));
        // "CA" alone names no vendor; the development CA and generic modules are never suggested.
        assert!(labels("衡阳公积金开发测试业务CA").is_empty());
        assert!(labels("Some Other CA").is_empty());
    }

    #[test]
    fn expiry_thresholds() {
        let level = |d| expiry_warning(d).map(|w| w.level);
        assert_eq!(level(-3), Some(WarningLevel::Danger));
        assert_eq!(level(0), Some(WarningLevel::Danger));
        assert!(expiry_warning(0).unwrap().message.contains("已过期"));
        assert_eq!(level(1), Some(WarningLevel::Danger));
        assert_eq!(level(7), Some(WarningLevel::Danger));
        assert!(expiry_warning(7).unwrap().message.contains("7 天"));
        assert_eq!(level(8), Some(WarningLevel::Warning));
        assert_eq!(level(15), Some(WarningLevel::Warning));
        assert_eq!(level(16), Some(WarningLevel::Info));
        assert_eq!(level(30), Some(WarningLevel::Info));
        assert!(expiry_warning(30).unwrap().message.contains("更新"));
        assert_eq!(level(31), None);
    }

    #[test]
    fn days_left_rounds_up_and_is_zero_at_expiry() {
        assert_eq!(days_left(1000, 1000), 0);
        assert_eq!(days_left(1000, 1001), 0, "expired a second ago");
        assert_eq!(days_left(1000 + 3600, 1000), 1);
        assert_eq!(days_left(1000 + 86_400, 1000), 1);
        assert_eq!(days_left(1000 + 86_401, 1000), 2);
        assert_eq!(days_left(1000 - 86_400, 1000), -1);
    }

    #[test]
    fn serialises_to_the_api_shapes() {
        let id = CertIdentity {
            uscc: Some("91430405MA4PYC0138".into()),
            name: "衡阳雁城科技有限公司".into(),
            common_name: "衡阳雁城科技有限公司".into(),
            serial: "0A1B".into(),
            issuer: "衡阳公积金开发测试业务CA".into(),
            not_before: 1_700_000_000,
            not_after: 1_700_000_000 + 10 * 86_400,
            role: Some(Role::Employer),
            fingerprint: "ab".repeat(32),
        };
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let info = cert_info(&id, now);
        let v = serde_json::to_value(&info).unwrap();
        assert_eq!(v["days_left"], 10);
        assert_eq!(v["role"], "employer");
        assert_eq!(v["expiry_warning"]["level"], "warning");
        assert_eq!(v["not_before"], "2023-11-14T22:13:20Z");
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        let mut want = vec![
            "fingerprint",
            "unit_name",
            "uscc",
            "issuer",
            "serial",
            "not_before",
            "not_after",
            "days_left",
            "expiry_warning",
            "role",
        ];
        want.sort_unstable();
        assert_eq!(keys, want);
        let early = cert_info(&id, OffsetDateTime::from_unix_timestamp(1_600_000_000).unwrap());
        assert!(early.expiry_warning.unwrap().message.contains("尚未生效"));
    }
}
