//! Options: command line over `gjj.toml` over defaults.
//!
//! `gjj.toml` is looked up at `--config`, else `./gjj.toml`, else the user config dir
//! (`~/.config/gjj/gjj.toml`; `%APPDATA%\gjj\gjj.toml` on Windows). The PIN is never an option here.

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
    pub store: PathBuf,
    pub pin_env: Option<String>,
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
    /// Local store file (outbox and receipts)
    #[arg(long, global = true, env = "GJJ_STORE")]
    pub store: Option<PathBuf>,
    /// Read the PIN (or .pfx password) from this environment variable instead of prompting
    #[arg(long, global = true)]
    pub pin_env: Option<String>,
}

fn user_dir(kind: &str) -> PathBuf {
    if cfg!(windows) {
        let var = if kind == "config" {
            "APPDATA"
        } else {
            "LOCALAPPDATA"
        };
        std::env::var_os(var)
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."))
            .join("gjj")
    } else {
        let (xdg, fallback) = if kind == "config" {
            ("XDG_CONFIG_HOME", ".config")
        } else {
            ("XDG_DATA_HOME", ".local/share")
        };
        std::env::var_os(xdg)
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(fallback)))
            .unwrap_or_else(|| PathBuf::from("."))
            .join("gjj")
    }
}

fn relative_to(base: &Path, p: Option<PathBuf>) -> Option<PathBuf> {
    p.map(|p| if p.is_relative() { base.join(p) } else { p })
}

impl GlobalArgs {
    /// Merges flags over the file.
    pub fn resolve(&self) -> Result<Settings> {
        let path = self.config.clone().or_else(|| {
            let local = PathBuf::from("gjj.toml");
            let user = user_dir("config").join("gjj.toml");
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
        Ok(Settings {
            server: self.server.clone().or(file.server),
            ca_bundle: self.ca_bundle.clone().or(relative_to(&base, file.ca_bundle)),
            pkcs11_module: self
                .pkcs11_module
                .clone()
                .or(relative_to(&base, file.pkcs11_module)),
            token_label: self.token_label.clone().or(file.token_label),
            pfx: self.pfx.clone().or(relative_to(&base, file.pfx)),
            store: self
                .store
                .clone()
                .or(relative_to(&base, file.store))
                .unwrap_or_else(|| user_dir("data").join("gjj-client.sqlite")),
            pin_env: self.pin_env.clone(),
        })
    }
}
