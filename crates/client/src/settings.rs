//! Settings: the user's own file under a managed file that IT deploys for everyone (issue 6 item 4).
//!
//! - Managed file (TOML, any subset of the fields; every field present is locked): `GJJ_MANAGED_CONFIG`, else
//!   Windows `%ProgramData%\GJJ\managed.toml`, Linux `/etc/gjj/managed.toml`, macOS
//!   `/Library/Application Support/GJJ/managed.toml`. Sample: installer/managed.sample.toml.
//! - User file: `<config_dir>/settings.toml` ([`config_dir`]).
//! - Effective = defaults ← user file ← managed file: a locked field always has the managed value, whatever the
//!   user file says.
//!
//! A malformed file is an error naming the file and the line, never silently ignored: a deployment IT believes
//! is in force must not quietly fall back to defaults.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Folder name under the platform's config and data dirs.
pub const APP_DIR: &str = "gjj-hall";
/// Overrides [`config_dir`].
pub const CONFIG_DIR_ENV: &str = "GJJ_CONFIG_DIR";
/// Overrides [`data_dir`].
pub const DATA_DIR_ENV: &str = "GJJ_DATA_DIR";
/// Overrides [`managed_path`].
pub const MANAGED_ENV: &str = "GJJ_MANAGED_CONFIG";
/// Log levels accepted in `log_level`.
pub const LOG_LEVELS: &[&str] = &["error", "warn", "info", "debug", "trace"];

/// The settings (api.ts `Settings`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Settings {
    /// The centre's URL, https://…; empty = not configured (the doctor says so).
    pub server: String,
    /// Path of the centre's CA bundle (PEM); empty = not configured.
    pub ca_bundle: String,
    /// PKCS#11 module paths (USB-key drivers) besides the known vendor paths. When IT fixes this list in the
    /// managed file, only these modules are loaded ([`SettingsView::modules_locked`]).
    pub pkcs11_modules: Vec<String>,
    /// HTTP(S) proxy URL; none = direct.
    pub proxy: Option<String>,
    /// error | warn | info | debug | trace.
    pub log_level: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            server: String::new(),
            ca_bundle: String::new(),
            pkcs11_modules: Vec::new(),
            proxy: None,
            log_level: "info".into(),
        }
    }
}

impl Settings {
    /// The configured module paths.
    pub fn module_paths(&self) -> Vec<PathBuf> {
        self.pkcs11_modules
            .iter()
            .filter(|m| !m.trim().is_empty())
            .map(PathBuf::from)
            .collect()
    }
}

/// What the settings screen shows (api.ts `SettingsView`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SettingsView {
    /// What is in force.
    pub effective: Settings,
    /// The user's own file (locked fields may differ from `effective`: the managed value wins).
    pub user: Settings,
    /// Field names fixed by the managed file, shown read-only.
    pub locked: Vec<String>,
    /// The managed file in force, if any.
    pub managed_path: Option<String>,
    /// Base URL of the centre's update service, set only by IT in the managed file (`update_url`); none = the
    /// app never looks for updates. See [`update_endpoint`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_url: Option<String>,
    /// Days a finished business's payload stays on this PC after the centre finished it (已办结 / withdrawn),
    /// set only by IT in the managed file (`retention_days`, 1–3650); [`DEFAULT_RETENTION_DAYS`] otherwise.
    pub retention_days: u32,
}

/// How long a finished business's payload stays on the PC when IT has not said (`retention_days`).
pub const DEFAULT_RETENTION_DAYS: u32 = 30;

impl SettingsView {
    /// True when IT fixed the module list: load only those modules, search no vendor paths.
    pub fn modules_locked(&self) -> bool {
        self.locked.iter().any(|f| f == "pkcs11_modules")
    }
}

/// The managed file: every field optional, unknown fields refused (a misspelt field would silently not lock).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Managed {
    server: Option<String>,
    ca_bundle: Option<String>,
    pkcs11_modules: Option<Vec<String>>,
    /// "" locks "no proxy" (TOML has no null).
    proxy: Option<String>,
    log_level: Option<String>,
    /// Not a user setting: where the app looks for updates (only IT decides that).
    update_url: Option<String>,
    /// Not a user setting: how long finished payloads stay on the PC (only IT decides that).
    retention_days: Option<u32>,
}

/// Why the settings could not be read or saved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// The managed file is not valid.
    #[error("IT 下发的配置文件 {path} {place}有误：{detail}。请联系单位 IT 修正该文件后重新打开程序。")]
    Managed {
        /// The file.
        path: String,
        /// "第 N 行" or "".
        place: String,
        /// What is wrong.
        detail: String,
    },
    /// The user's settings file is not valid.
    #[error(
        "设置文件 {path} {place}有误：{detail}。请改正或删除该文件（删除后恢复默认设置）后重新打开程序。"
    )]
    User {
        /// The file.
        path: String,
        /// "第 N 行" or "".
        place: String,
        /// What is wrong.
        detail: String,
    },
    /// A value the user entered is not acceptable.
    #[error("{field}：{message}")]
    Invalid {
        /// Field name.
        field: &'static str,
        /// What to enter instead.
        message: String,
    },
    /// Reading or writing a file failed.
    #[error("无法{op}设置文件 {path}（{detail}）。请确认该目录存在且可写。")]
    Io {
        /// 读取 / 保存.
        op: &'static str,
        /// The file.
        path: String,
        /// The OS error.
        detail: String,
    },
}

impl SettingsError {
    /// Stable code for the UI.
    pub fn code(&self) -> &'static str {
        match self {
            SettingsError::Managed { .. } => "SETTINGS_MANAGED_INVALID",
            SettingsError::User { .. } => "SETTINGS_USER_INVALID",
            SettingsError::Invalid { .. } => "SETTINGS_INVALID",
            SettingsError::Io { .. } => "SETTINGS_IO",
        }
    }
}

fn env_dir(var: &str) -> Option<PathBuf> {
    std::env::var_os(var).filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// Per-user configuration directory: `GJJ_CONFIG_DIR`, else the platform's (`~/.config`, `%APPDATA%`,
/// `~/Library/Application Support`) + "gjj-hall".
pub fn config_dir() -> PathBuf {
    env_dir(CONFIG_DIR_ENV).unwrap_or_else(|| {
        dirs::config_dir()
            .unwrap_or_else(|| PathBuf::from("."))
            .join(APP_DIR)
    })
}

/// Per-user data directory (outbox database, logs): `GJJ_DATA_DIR`, else the platform's local data dir
/// (`~/.local/share`, `%LOCALAPPDATA%`, `~/Library/Application Support`) + "gjj-hall".
pub fn data_dir() -> PathBuf {
    env_dir(DATA_DIR_ENV).unwrap_or_else(|| {
        dirs::data_local_dir()
            .unwrap_or_else(|| PathBuf::from("."))
            .join(APP_DIR)
    })
}

/// The user settings file.
pub fn user_path() -> PathBuf {
    config_dir().join("settings.toml")
}

/// Where the managed file is looked for (it need not exist).
pub fn managed_path() -> PathBuf {
    if let Some(p) = env_dir(MANAGED_ENV) {
        return p;
    }
    if cfg!(windows) {
        env_dir("ProgramData")
            .unwrap_or_else(|| PathBuf::from(r"C:\ProgramData"))
            .join("GJJ")
            .join("managed.toml")
    } else if cfg!(target_os = "macos") {
        PathBuf::from("/Library/Application Support/GJJ/managed.toml")
    } else {
        PathBuf::from("/etc/gjj/managed.toml")
    }
}

/// Reads the user file and the managed file at their standard places.
pub fn load() -> Result<SettingsView, SettingsError> {
    load_from(&user_path(), Some(&managed_path()))
}

/// Reads the settings from these files; a missing file counts as empty.
pub fn load_from(user: &Path, managed: Option<&Path>) -> Result<SettingsView, SettingsError> {
    let user_settings = match read(user)? {
        Some(text) => {
            let s: Settings = toml::from_str(&text).map_err(|e| {
                let (place, detail) = toml_place(&text, &e);
                SettingsError::User {
                    path: user.display().to_string(),
                    place,
                    detail,
                }
            })?;
            s
        }
        None => Settings::default(),
    };
    let mut effective = user_settings.clone();
    let mut locked = Vec::new();
    let mut managed_path = None;
    let mut update_url = None;
    let mut retention_days = DEFAULT_RETENTION_DAYS;
    if let Some(path) = managed {
        if let Some(text) = read(path)? {
            let bad = |place: String, detail: String| SettingsError::Managed {
                path: path.display().to_string(),
                place,
                detail,
            };
            let m: Managed = toml::from_str(&text).map_err(|e| {
                let (place, detail) = toml_place(&text, &e);
                bad(place, detail)
            })?;
            if let Some(url) = m.update_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
                validate_update_url(url).map_err(|e| bad(String::new(), e.to_string()))?;
                update_url = Some(url.trim_end_matches('/').to_owned());
            }
            if let Some(days) = m.retention_days {
                if !(1..=3650).contains(&days) {
                    return Err(bad(
                        String::new(),
                        format!("retention_days = {days} 不在 1–3650 天之间"),
                    ));
                }
                retention_days = days;
            }
            apply_managed(&mut effective, &mut locked, m);
            validate(&effective).map_err(|e| bad(String::new(), e.to_string()))?;
            managed_path = Some(path.display().to_string());
        }
    }
    Ok(SettingsView {
        effective,
        user: user_settings,
        locked,
        managed_path,
        update_url,
        retention_days,
    })
}

fn validate_update_url(url: &str) -> Result<(), SettingsError> {
    match reqwest::Url::parse(url) {
        Ok(u) if u.scheme() == "https" && u.host_str().is_some() && u.query().is_none() => Ok(()),
        _ => Err(SettingsError::Invalid {
            field: "update_url",
            message: format!(
                "更新地址“{url}”不是有效的 https 网址，请填写中心提供的更新服务地址，如 https://wt.example.gov.cn:8444"
            ),
        }),
    }
}

/// The updater's endpoint under the centre's update service `base` (managed `update_url`): the Tauri updater
/// fills in `{{target}}-{{arch}}` (e.g. `windows-x86_64`) and `{{current_version}}`; the gateway answers
/// `GET /updates/{target}/{current_version}` with 204 (nothing newer) or a signed manifest.
pub fn update_endpoint(base: &str) -> String {
    format!(
        "{}/updates/{{{{target}}}}-{{{{arch}}}}/{{{{current_version}}}}",
        base.trim().trim_end_matches('/')
    )
}

fn apply_managed(effective: &mut Settings, locked: &mut Vec<String>, m: Managed) {
    if let Some(v) = m.server {
        effective.server = v;
        locked.push("server".into());
    }
    if let Some(v) = m.ca_bundle {
        effective.ca_bundle = v;
        locked.push("ca_bundle".into());
    }
    if let Some(v) = m.pkcs11_modules {
        effective.pkcs11_modules = v;
        locked.push("pkcs11_modules".into());
    }
    if let Some(v) = m.proxy {
        effective.proxy = Some(v).filter(|p| !p.trim().is_empty());
        locked.push("proxy".into());
    }
    if let Some(v) = m.log_level {
        effective.log_level = v;
        locked.push("log_level".into());
    }
}

fn read(path: &Path) -> Result<Option<String>, SettingsError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(SettingsError::Io {
            op: "读取",
            path: path.display().to_string(),
            detail: e.to_string(),
        }),
    }
}

/// "第 N 行" and the parser's message.
fn toml_place(text: &str, e: &toml::de::Error) -> (String, String) {
    let place = e
        .span()
        .map(|s| {
            let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
            format!("第 {line} 行")
        })
        .unwrap_or_default();
    (place, e.message().trim().replace('\n', "，"))
}

/// Checks values a person typed: the centre URL, proxy URL and log level.
pub fn validate(s: &Settings) -> Result<(), SettingsError> {
    let server = s.server.trim();
    if !server.is_empty() {
        match reqwest::Url::parse(server) {
            Ok(u) if u.scheme() == "https" && u.host_str().is_some() => {}
            _ => {
                return Err(SettingsError::Invalid {
                    field: "server",
                    message: format!(
                        "中心地址“{server}”不是有效的 https 网址，请填写中心提供的地址，如 https://wt.example.gov.cn:8443"
                    ),
                })
            }
        }
    }
    if let Some(proxy) = s.proxy.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        let ok = reqwest::Url::parse(proxy)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https" | "socks5") && u.host_str().is_some());
        if !ok {
            return Err(SettingsError::Invalid {
                field: "proxy",
                message: format!(
                    "代理地址“{proxy}”无效，请填写如 http://proxy.example.com:8080 的地址，不用代理时留空"
                ),
            });
        }
    }
    if !LOG_LEVELS.contains(&s.log_level.as_str()) {
        return Err(SettingsError::Invalid {
            field: "log_level",
            message: format!("日志级别“{}”无效，请选择 {}", s.log_level, LOG_LEVELS.join(" / ")),
        });
    }
    Ok(())
}

/// Saves the user's settings at the standard place and returns what is now in force.
pub fn save_user(settings: &Settings) -> Result<SettingsView, SettingsError> {
    save_user_to(&user_path(), Some(&managed_path()), settings)
}

/// Saves the user's settings to `user` (atomically: a crash never leaves half a file) and reads both files back.
/// Locked fields are saved as given but stay overridden by the managed file.
pub fn save_user_to(
    user: &Path,
    managed: Option<&Path>,
    settings: &Settings,
) -> Result<SettingsView, SettingsError> {
    validate(settings)?;
    let io = |e: std::io::Error| SettingsError::Io {
        op: "保存",
        path: user.display().to_string(),
        detail: e.to_string(),
    };
    let text = toml::to_string_pretty(settings).map_err(|e| SettingsError::Io {
        op: "保存",
        path: user.display().to_string(),
        detail: e.to_string(),
    })?;
    if let Some(dir) = user.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let tmp = user.with_extension(format!("toml.tmp-{}", std::process::id()));
    std::fs::write(&tmp, text).map_err(io)?;
    // rename replaces the target atomically on the same filesystem (also on Windows, MoveFileEx).
    if let Err(e) = std::fs::rename(&tmp, user) {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    load_from(user, managed)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn defaults_when_no_file_exists() {
        let dir = tempfile::tempdir().unwrap();
        let v = load_from(
            &dir.path().join("settings.toml"),
            Some(&dir.path().join("managed.toml")),
        )
        .unwrap();
        assert_eq!(v.effective, Settings::default());
        assert_eq!(
            v.effective.server, "",
            "no centre configured until IT or the user says so"
        );
        assert_eq!(v.effective.log_level, "info");
        assert!(v.locked.is_empty());
        assert_eq!(v.managed_path, None);
    }

    #[test]
    fn managed_fields_override_and_lock() {
        let dir = tempfile::tempdir().unwrap();
        let user = write(
            dir.path(),
            "settings.toml",
            "server = \"https://user.example:8443\"\nca_bundle = \"/home/u/ca.pem\"\nlog_level = \"debug\"\nproxy = \"http://user-proxy:3128\"\n",
        );
        let managed = write(
            dir.path(),
            "managed.toml",
            "# IT\nserver = \"https://wt.gjj.example.gov.cn:8443\"\npkcs11_modules = [\"C:\\\\Windows\\\\System32\\\\HtPkcs11.dll\"]\nproxy = \"\"\n",
        );
        let v = load_from(&user, Some(&managed)).unwrap();
        assert_eq!(v.effective.server, "https://wt.gjj.example.gov.cn:8443");
        assert_eq!(
            v.effective.pkcs11_modules,
            vec![r"C:\Windows\System32\HtPkcs11.dll".to_owned()]
        );
        assert_eq!(v.effective.proxy, None, "an empty managed proxy locks 'no proxy'");
        // Not in the managed file: the user's value.
        assert_eq!(v.effective.ca_bundle, "/home/u/ca.pem");
        assert_eq!(v.effective.log_level, "debug");
        assert_eq!(v.user.server, "https://user.example:8443");
        assert_eq!(v.locked, vec!["server", "pkcs11_modules", "proxy"]);
        assert!(v.modules_locked());
        assert_eq!(
            v.managed_path.as_deref(),
            Some(managed.display().to_string().as_str())
        );
    }

    #[test]
    fn saving_cannot_unlock_a_managed_field() {
        let dir = tempfile::tempdir().unwrap();
        let user = dir.path().join("cfg").join("settings.toml");
        let managed = write(
            dir.path(),
            "managed.toml",
            "server = \"https://wt.gjj.example.gov.cn\"\n",
        );
        let mine = Settings {
            server: "https://elsewhere.example".into(),
            ca_bundle: "/etc/ssl/centre.pem".into(),
            ..Settings::default()
        };
        let v = save_user_to(&user, Some(&managed), &mine).unwrap();
        assert_eq!(v.user.server, "https://elsewhere.example");
        assert_eq!(v.effective.server, "https://wt.gjj.example.gov.cn");
        assert_eq!(v.effective.ca_bundle, "/etc/ssl/centre.pem");
        assert_eq!(v.locked, vec!["server"]);
        // And reading again gives the same.
        assert_eq!(load_from(&user, Some(&managed)).unwrap(), v);
    }

    #[test]
    fn save_then_load_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let user = dir.path().join("settings.toml");
        let s = Settings {
            server: "https://127.0.0.1:8443".into(),
            ca_bundle: r"C:\ProgramData\GJJ\ca-bundle.pem".into(),
            pkcs11_modules: vec!["/usr/lib/softhsm/libsofthsm2.so".into(), "/opt/x/lib.so".into()],
            proxy: Some("http://proxy.example:8080".into()),
            log_level: "warn".into(),
        };
        let saved = save_user_to(&user, None, &s).unwrap();
        assert_eq!(saved.user, s);
        assert_eq!(saved.effective, s);
        let loaded = load_from(&user, None).unwrap();
        assert_eq!(loaded.effective, s);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left behind");
    }

    #[test]
    fn malformed_managed_file_names_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let managed = write(
            dir.path(),
            "managed.toml",
            "server = \"https://wt.example\"\n\nca_bundle = /etc/gjj/ca.pem\n",
        );
        let err = load_from(&dir.path().join("settings.toml"), Some(&managed)).unwrap_err();
        assert_eq!(err.code(), "SETTINGS_MANAGED_INVALID");
        let msg = err.to_string();
        assert!(msg.contains(&managed.display().to_string()), "{msg}");
        assert!(msg.contains("第 3 行"), "{msg}");
        assert!(msg.contains("IT"), "{msg}");
    }

    #[test]
    fn misspelt_or_invalid_managed_field_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let user = dir.path().join("settings.toml");
        let typo = write(dir.path(), "typo.toml", "sever = \"https://wt.example\"\n");
        let err = load_from(&user, Some(&typo)).unwrap_err();
        assert!(err.to_string().contains("第 1 行"), "{err}");
        assert!(err.to_string().contains("sever"), "{err}");
        let http = write(dir.path(), "http.toml", "server = \"http://wt.example\"\n");
        let err = load_from(&user, Some(&http)).unwrap_err();
        assert_eq!(err.code(), "SETTINGS_MANAGED_INVALID");
        assert!(err.to_string().contains("https"), "{err}");
    }

    #[test]
    fn malformed_user_file_is_an_error_too() {
        let dir = tempfile::tempdir().unwrap();
        let user = write(
            dir.path(),
            "settings.toml",
            "log_level = \"info\"\nserver = https://x\n",
        );
        let err = load_from(&user, None).unwrap_err();
        assert_eq!(err.code(), "SETTINGS_USER_INVALID");
        assert!(err.to_string().contains("第 2 行"), "{err}");
        assert!(!err.to_string().contains('\n'), "one line: {err}");
    }

    #[test]
    fn invalid_values_are_refused_on_save() {
        let dir = tempfile::tempdir().unwrap();
        let user = dir.path().join("settings.toml");
        let bad = Settings {
            server: "wt.example.gov.cn".into(),
            ..Settings::default()
        };
        let err = save_user_to(&user, None, &bad).unwrap_err();
        assert_eq!(err.code(), "SETTINGS_INVALID");
        assert!(!user.exists(), "nothing written");
        let bad = Settings {
            log_level: "loud".into(),
            ..Settings::default()
        };
        assert!(save_user_to(&user, None, &bad).is_err());
    }

    #[test]
    fn the_installer_sample_is_a_valid_managed_file() {
        let dir = tempfile::tempdir().unwrap();
        let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../installer/managed.sample.toml");
        let v = load_from(&dir.path().join("settings.toml"), Some(&sample)).unwrap();
        assert_eq!(
            v.locked,
            vec!["server", "ca_bundle", "pkcs11_modules", "log_level"]
        );
        assert_eq!(v.effective.ca_bundle, r"C:\ProgramData\GJJ\ca-bundle.pem");
        assert_eq!(v.effective.pkcs11_modules.len(), 2);
        assert_eq!(v.effective.proxy, None);
        assert_eq!(
            v.update_url.as_deref(),
            Some("https://wt.gjj.example.gov.cn:8444")
        );
        assert_eq!(v.retention_days, 30);
    }

    #[test]
    fn the_retention_period_is_it_s_to_set_within_bounds() {
        let dir = tempfile::tempdir().unwrap();
        let user = dir.path().join("settings.toml");
        std::fs::write(&user, "retention_days = 1\n").unwrap();
        // A user cannot shorten or lengthen it: the user file knows no such field.
        assert!(
            load_from(&user, None).is_err()
                || load_from(&user, None).unwrap().retention_days == DEFAULT_RETENTION_DAYS
        );
        std::fs::remove_file(&user).unwrap();
        let managed = dir.path().join("managed.toml");
        std::fs::write(&managed, "retention_days = 7\n").unwrap();
        assert_eq!(load_from(&user, Some(&managed)).unwrap().retention_days, 7);
        std::fs::write(&managed, "retention_days = 0\n").unwrap();
        let err = load_from(&user, Some(&managed)).unwrap_err();
        assert!(err.to_string().contains("retention_days"), "{err}");
        assert_eq!(
            load_from(&user, None).unwrap().retention_days,
            DEFAULT_RETENTION_DAYS
        );
    }

    #[test]
    fn update_url_comes_only_from_the_managed_file() {
        let dir = tempfile::tempdir().unwrap();
        let user = write(dir.path(), "settings.toml", "log_level = \"warn\"\n");
        let managed = write(
            dir.path(),
            "managed.toml",
            "update_url = \"https://wt.gjj.example.gov.cn:8444/\"\n",
        );
        let v = load_from(&user, Some(&managed)).unwrap();
        assert_eq!(
            v.update_url.as_deref(),
            Some("https://wt.gjj.example.gov.cn:8444")
        );
        assert!(v.locked.is_empty(), "not a user setting, so nothing to lock");
        assert_eq!(
            update_endpoint(v.update_url.as_deref().unwrap()),
            "https://wt.gjj.example.gov.cn:8444/updates/{{target}}-{{arch}}/{{current_version}}"
        );
        // The user file cannot set it.
        let sneaky = write(
            dir.path(),
            "sneaky.toml",
            "update_url = \"https://evil.example\"\n",
        );
        assert_eq!(load_from(&sneaky, None).unwrap().update_url, None);
        let plain = write(
            dir.path(),
            "plain.toml",
            "update_url = \"http://wt.example:8444\"\n",
        );
        let err = load_from(&user, Some(&plain)).unwrap_err();
        assert_eq!(err.code(), "SETTINGS_MANAGED_INVALID");
        assert!(err.to_string().contains("更新地址"), "{err}");
    }

    #[test]
    fn view_serialises_to_the_api_shape() {
        let v = SettingsView {
            effective: Settings::default(),
            user: Settings::default(),
            locked: vec!["server".into()],
            managed_path: None,
            update_url: None,
            retention_days: DEFAULT_RETENTION_DAYS,
        };
        let j = serde_json::to_value(&v).unwrap();
        assert_eq!(
            j["effective"],
            serde_json::json!({"server":"","ca_bundle":"","pkcs11_modules":[],"proxy":null,"log_level":"info"})
        );
        assert_eq!(j["locked"], serde_json::json!(["server"]));
        assert!(j["managed_path"].is_null());
        assert!(j.get("update_url").is_none(), "absent unless IT set it");
        // The window sends back a partial object (older UI): the missing fields take their defaults.
        let s: Settings = serde_json::from_value(serde_json::json!({"server":"https://x"})).unwrap();
        assert_eq!(s.log_level, "info");
    }
}
