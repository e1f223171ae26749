//! Logging in: a USB key through PKCS#11 or a .pfx file, then one mTLS session.

use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use gjj_client::{Outbox, Session, SessionConfig};
use gjj_pki::pkcs11::{Module, TokenSelector};
use gjj_pki::{CertIdentity, Credential, TrustBundle};
use zeroize::Zeroizing;

use crate::config::Settings;

/// Where the key comes from.
pub enum KeySource {
    /// A PKCS#11 module.
    Token(Module),
    /// A .pfx file.
    Pfx(std::path::PathBuf),
}

/// The configured key source.
pub fn key_source(settings: &Settings) -> Result<KeySource> {
    if let Some(pfx) = &settings.pfx {
        return Ok(KeySource::Pfx(pfx.clone()));
    }
    let module = settings.pkcs11_module.as_ref().ok_or_else(|| {
        anyhow!("未配置 USB key 驱动。请在 gjj.toml 中填写 pkcs11_module，或使用 --pkcs11-module 指定驱动文件路径。")
    })?;
    Ok(KeySource::Token(Module::load(module)?))
}

fn selector(settings: &Settings) -> TokenSelector {
    TokenSelector {
        label: settings.token_label.clone(),
        certificate: None,
    }
}

/// The identity of the configured certificate without asking for the PIN (USB keys only).
pub fn identity_without_pin(settings: &Settings) -> Result<Option<CertIdentity>> {
    match key_source(settings)? {
        KeySource::Pfx(_) => Ok(None),
        KeySource::Token(module) => {
            let tokens = module.tokens()?;
            let wanted = settings.token_label.as_deref();
            let token = tokens
                .iter()
                .filter(|t| wanted.is_none_or(|w| t.label == w))
                .collect::<Vec<_>>();
            Ok(match token.as_slice() {
                [one] => one.certificates.first().map(|c| c.identity.clone()),
                _ => None,
            })
        }
    }
}

fn secret(settings: &Settings, prompt: &str) -> Result<Zeroizing<String>> {
    if let Some(var) = &settings.pin_env {
        let value = std::env::var(var)
            .map_err(|_| anyhow!("环境变量 {var} 未设置（--pin-env 指定的 PIN 来源）。"))?;
        return Ok(Zeroizing::new(value));
    }
    rpassword::prompt_password(prompt)
        .map(Zeroizing::new)
        .map_err(|_| anyhow!("无法从终端读取 PIN。无人值守运行时请用 --pin-env 指定保存 PIN 的环境变量。"))
}

/// Logs in: asks for the PIN (or reads it from the named environment variable) and opens the key.
pub fn credential(settings: &Settings) -> Result<Credential> {
    match key_source(settings)? {
        KeySource::Pfx(path) => {
            let password = secret(settings, "请输入证书文件密码：")?;
            Ok(gjj_pki::pfx::load_pfx(&path, &password)?)
        }
        KeySource::Token(module) => {
            let pin = secret(settings, "请输入 USB key 的 PIN：")?;
            Ok(module.login(&selector(settings), &pin)?)
        }
    }
}

/// The session configuration: centre URL and CA bundle.
pub fn session_config(settings: &Settings) -> Result<SessionConfig> {
    let server = settings
        .server
        .clone()
        .ok_or_else(|| anyhow!("未配置中心地址。请在 gjj.toml 中填写 server，或使用 --server。"))?;
    let bundle = settings.ca_bundle.as_ref().ok_or_else(|| {
        anyhow!("未配置中心 CA 证书文件。请在 gjj.toml 中填写 ca_bundle，或使用 --ca-bundle。")
    })?;
    Ok(SessionConfig {
        server,
        trust: TrustBundle::from_pem_file(bundle)?,
        timeout: Duration::from_secs(300),
    })
}

/// Logs in and opens a session.
pub fn session(settings: &Settings) -> Result<Session> {
    let config = session_config(settings)?;
    Ok(Session::open(&config, credential(settings)?)?)
}

/// Opens the local store.
pub async fn outbox(settings: &Settings) -> Result<Outbox> {
    Outbox::open(&settings.store)
        .await
        .with_context(|| format!("本地数据库 {}", settings.store.display()))
}
