//! Options: command line over `gjj.toml` over defaults.
//!
//! `gjj.toml` is looked up at `--config`, else `./gjj.toml`, else the desktop app's user config dir
//! (`~/.config/gjj-hall/gjj.toml`; `%APPDATA%\gjj-hall\gjj.toml` on Windows). What neither sets (centre URL, CA
//! bundle, USB-key driver) comes from the desktop app's settings on this computer: IT's managed file
//! (`%ProgramData%\GJJ\managed.toml`, `/etc/gjj/managed.toml`) over the user's settings, so that an installed
//! `gjj` works with no options at all. The local store defaults to the app's (`%LOCALAPPDATA%\gjj-hall\
//! outbox.sqlite`, `~/.local/share/gjj-hall/outbox.sqlite`): one history per user whichever front end sent it.
//! The PIN is never an option here.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Deserialize;

/// The file form.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Centre URL.
    pub server: Option<String>,
    /// Centre CA bundle (PEM).
    pub ca_bundle: Option<PathBuf>,
    /// PKCS#11 module of the USB key.
    pub pkcs11_module: Option<PathBuf>,
    /// Token label to use when several keys are inserted.
    pub token_label: Option<String>,
    /// A .pfx soft certificate instead of a USB key.
    pub pfx: Option<PathBuf>,
    /// A certificate of the Windows certificate store (SHA-1 thumbprint or SHA-256 fingerprint).
    pub windows_cert: Option<String>,
    /// Local store (outbox + receipts).
    pub store: Option<PathBuf>,
}

/// Resolved settings.
#[derive(Debug)]
pub struct Settings {
    pub server: Option<String>,
    pub ca_bundle: Option<PathBuf>,
    pub pkcs11_module: Option<PathBuf>,
    pub token_label: Option<String>,
    pub pfx: Option<PathBuf>,
    pub windows_cert: Option<String>,
    pub store: PathBuf,
    pub pin_env: Option<String>,
}

impl Settings {
    /// Fills what the flags and gjj.toml left open from the desktop app's settings (managed over user).
    fn fill_from(&mut self, app: gjj_client::settings::Settings) {
        let set = |v: String| Some(v).filter(|v| !v.trim().is_empty());
        let module = app.module_paths().into_iter().next();
        if self.server.is_none() {
            self.server = set(app.server);
        }
        if self.ca_bundle.is_none() {
            self.ca_bundle = set(app.ca_bundle).map(PathBuf::from);
        }
        if self.pkcs11_module.is_none() && self.pfx.is_none() && self.windows_cert.is_none() {
            self.pkcs11_module = module;
        }
    }
}

/// The global flags, as clap parsed them.
#[derive(Debug, clap::Args)]
pub struct GlobalArgs {
    /// gjj.toml to read
    #[arg(long, global = true, env = "GJJ_CONFIG")]
    pub config: Option<PathBuf>,
    /// Centre URL, e.g. https://wt.example.gov.cn:8443
    #[arg(long, global = true, env = "GJJ_SERVER")]
    pub server: Option<String>,
    /// The centre's CA bundle (PEM): the only certificates trusted
    #[arg(long, global = true, env = "GJJ_CA_BUNDLE")]
    pub ca_bundle: Option<PathBuf>,
    /// PKCS#11 module (USB-key driver) path
    #[arg(long, global = true, env = "GJJ_PKCS11_MODULE")]
    pub pkcs11_module: Option<PathBuf>,
    /// Token label, when several USB keys are inserted
    #[arg(long = "token", global = true, env = "GJJ_TOKEN")]
    pub token_label: Option<String>,
    /// Use a .pfx soft certificate instead of a USB key
    #[arg(long, global = true, env = "GJJ_PFX")]
    pub pfx: Option<PathBuf>,
    /// Use this certificate of the Windows certificate store (its SHA-1 thumbprint as certmgr.msc shows it, or
    /// its SHA-256 fingerprint); the USB-key driver asks for the PIN in its own window
    #[arg(long, global = true, env = "GJJ_WINDOWS_CERT")]
    pub windows_cert: Option<String>,
    /// Local store file (outbox and receipts)
    #[arg(long, global = true, env = "GJJ_STORE")]
    pub store: Option<PathBuf>,
    /// Read the PIN (or .pfx password) from this environment variable instead of prompting
    #[arg(long, global = true)]
    pub pin_env: Option<String>,
}

fn relative_to(base: &Path, p: Option<PathBuf>) -> Option<PathBuf> {
    p.map(|p| if p.is_relative() { base.join(p) } else { p })
}

impl GlobalArgs {
    /// Merges flags over the file.
    pub fn resolve(&self) -> Result<Settings> {
        let path = self.config.clone().or_else(|| {
            let local = PathBuf::from("gjj.toml");
            let user = gjj_client::settings::config_dir().join("gjj.toml");
            [local, user].into_iter().find(|p| p.exists())
        });
        let (file, base) = match &path {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("读取配置文件 {} 失败", p.display()))?;
                let file: FileConfig =
                    toml::from_str(&text).with_context(|| format!("配置文件 {} 格式错误", p.display()))?;
                (file, p.parent().map(Path::to_path_buf).unwrap_or_default())
            }
            None => (FileConfig::default(), PathBuf::from(".")),
        };
        let mut settings = Settings {
            server: self.server.clone().or(file.server),
            ca_bundle: self.ca_bundle.clone().or(relative_to(&base, file.ca_bundle)),
            pkcs11_module: self
                .pkcs11_module
                .clone()
                .or(relative_to(&base, file.pkcs11_module)),
            token_label: self.token_label.clone().or(file.token_label),
            pfx: self.pfx.clone().or(relative_to(&base, file.pfx)),
            windows_cert: self.windows_cert.clone().or(file.windows_cert),
            store: self
                .store
                .clone()
                .or(relative_to(&base, file.store))
                .unwrap_or_else(|| gjj_client::settings::data_dir().join("outbox.sqlite")),
            pin_env: self.pin_env.clone(),
        };
        if settings.server.is_none() || settings.ca_bundle.is_none() {
            settings.fill_from(gjj_client::settings::load()?.effective);
        }
        Ok(settings)
    }
}
