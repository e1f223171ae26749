//! Logging in: a USB key through PKCS#11, a certificate of the Windows certificate store (CNG or a CA's CSP)
//! or a .pfx file, then one mTLS session.

use std::path::Path;
use std::time::Duration;

use anyhow::{anyhow, Result};
use gjj_client::app::{App, Connection, Reach};
use gjj_client::SessionConfig;
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
    /// A certificate of the Windows certificate store (its SHA-1 thumbprint or SHA-256 fingerprint).
    WindowsStore(String),
    /// An SM2 (国密) key's SKF driver (the module given is not PKCS#11 but GM/T 0016).
    Skf(gjj_pki::skf::SkfDriver),
}

/// The configured key source. With nothing configured, the one certificate of the Windows certificate store
/// (a CA's driver registers the inserted key's certificate there); several are listed, never guessed.
pub fn key_source(settings: &Settings) -> Result<KeySource> {
    if let Some(pfx) = &settings.pfx {
        return Ok(KeySource::Pfx(pfx.clone()));
    }
    if let Some(cert) = &settings.windows_cert {
        return Ok(KeySource::WindowsStore(cert.clone()));
    }
    if let Some(module) = &settings.pkcs11_module {
        // The user need not know which interface the driver speaks.
        return Ok(match gjj_pki::Driver::load(module)? {
            gjj_pki::Driver::Pkcs11(m) => KeySource::Token(m),
            gjj_pki::Driver::Skf(d) => KeySource::Skf(d),
        });
    }
    let store = gjj_pki::winstore::certificates().certificates;
    match store.as_slice() {
        [one] => Ok(KeySource::WindowsStore(one.thumbprint())),
        [] => Err(anyhow!(
            "未配置 USB key 驱动。请在 gjj.toml 中填写 pkcs11_module，或使用 --pkcs11-module 指定驱动文件路径（Windows 上也可用 --windows-cert 指定证书存储中的证书）。"
        )),
        several => Err(anyhow!(
            "Windows 证书存储中有 {} 张可登录的证书，请用 --windows-cert 指定其中一张（指纹见 gjj token list）：{}",
            several.len(),
            several
                .iter()
                .map(|c| format!("{}（{}）", c.identity.name, c.thumbprint()))
                .collect::<Vec<_>>()
                .join("、")
        )),
    }
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
        KeySource::Skf(driver) => Ok(match driver.keys()?.as_slice() {
            [one] => Some(one.identity.clone()),
            _ => None,
        }),
        KeySource::WindowsStore(id) => Ok(gjj_pki::winstore::certificates()
            .certificates
            .into_iter()
            .find(|c| c.matches(&id))
            .map(|c| c.identity)),
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
        // The driver asks for the PIN in its own dialog; no window of ours to own it.
        KeySource::WindowsStore(id) => Ok(gjj_pki::winstore::login(&id, None)?),
        // An SM2 key: the PIN on the key, then the channel-bound login when the session first connects.
        KeySource::Skf(driver) => {
            let pin = secret(settings, "请输入 USB key 的 PIN：")?;
            Ok(driver.login(None, &pin)?.into_credential()?)
        }
    }
}

/// The session configuration: centre URL and CA bundle.
pub fn session_config(settings: &Settings) -> Result<SessionConfig> {
    let server = settings
        .server
        .clone()
        .ok_or_else(|| anyhow!("未配置中心地址。请在 gjj.toml 中填写 server，或使用 --server。"))?;
    Ok(SessionConfig {
        server,
        trust: trust(settings)?,
        timeout: Duration::from_secs(300),
    })
}

/// The centre's CA bundle from the settings.
pub fn trust(settings: &Settings) -> Result<TrustBundle> {
    let bundle = settings.ca_bundle.as_ref().ok_or_else(|| {
        anyhow!("未配置中心 CA 证书文件。请在 gjj.toml 中填写 ca_bundle，或使用 --ca-bundle。")
    })?;
    Ok(TrustBundle::from_pem_file(bundle)?)
}

/// A session for `gjj doctor`, which judges the handshake itself (no facts fetched, so a refusal is reported as
/// a check rather than stopping the report).
pub fn session(settings: &Settings) -> Result<gjj_client::Session> {
    let config = session_config(settings)?;
    Ok(gjj_client::Session::open(&config, credential(settings)?)?)
}

/// The client core over this configuration's local store and, when one is configured, its centre.
fn core(settings: &Settings, centre: Option<SessionConfig>) -> App {
    let data_dir = settings
        .store
        .parent()
        .map_or_else(gjj_client::settings::data_dir, Path::to_path_buf);
    let app = App::new(data_dir).with_store(settings.store.clone());
    match centre {
        Some(config) => app.with_connection(Connection { config, proxy: None }),
        None => app,
    }
}

/// The client core, not logged in: without a centre configured the local commands (outbox, offline check, a
/// blank template) still work.
pub fn app(settings: &Settings) -> App {
    core(settings, session_config(settings).ok())
}

/// Logs `app` in with the configured key (PIN from the terminal or `--pin-env`).
async fn sign_in(app: &App, settings: &Settings, reach: Reach) -> Result<()> {
    app.login_credential(credential(settings)?, reach).await?;
    Ok(())
}

/// Logs in: the client core with the session and the centre's facts. An unconfigured centre is said in the
/// CLI's words (gjj.toml, `--server`) before a PIN is asked for.
pub async fn login(settings: &Settings, reach: Reach) -> Result<App> {
    let app = core(settings, Some(session_config(settings)?));
    sign_in(&app, settings, reach).await?;
    Ok(app)
}

/// The client core for checking a sheet (its `offline_report` says when it checks without the key and the
/// centre).
///
/// `offline`: never touches the key or the network (`--offline`). Otherwise: today's facts cached at an earlier
/// login when the key's certificate can be read without a PIN, else a login; when the key is absent or the
/// centre cannot be reached, an offline check on the facts cached at the last login (of the key's unit when
/// known, or `unit`), said on stderr. A wrong PIN or a refused certificate stays an error: that is not "offline".
pub async fn for_check(settings: &Settings, offline: bool, unit: Option<&str>) -> Result<App> {
    let centre = session_config(settings);
    let app = core(settings, centre.as_ref().ok().cloned());
    if offline {
        app.offline_check(unit).await?;
        return Ok(app);
    }
    let identity = match identity_without_pin(settings) {
        Ok(identity) => identity,
        Err(e) if is_absent(&e) => return fall_back(app, unit, &e).await,
        Err(e) => return Err(e),
    };
    let uscc = identity.and_then(|i| i.uscc);
    if let Some(uscc) = &uscc {
        if app.offline(uscc).await? {
            return Ok(app);
        }
    }
    let mine = uscc.as_deref().or(unit);
    if let Err(e) = centre {
        return fall_back(app, mine, &e).await;
    }
    match sign_in(&app, settings, Reach::Online).await {
        Ok(()) => Ok(app),
        Err(e) if is_absent(&e) => fall_back(app, mine, &e).await,
        Err(e) => Err(e),
    }
}

/// No key plugged in, no driver, no centre configured or reachable: what an offline check stands in for.
fn is_absent(e: &anyhow::Error) -> bool {
    let code = crate::output::code_of(e);
    matches!(
        code.as_str(),
        "TOKEN_NOT_FOUND" | "CERT_NOT_FOUND" | "KEY_NOT_FOUND" | "PKCS11_MODULE_LOAD" | "NETWORK" | "ERROR"
    )
}

async fn fall_back(app: App, unit: Option<&str>, why: &anyhow::Error) -> Result<App> {
    eprintln!("{why}\n改为离线检查（不用 USB key，不连接中心）。");
    app.offline_check(unit).await?;
    Ok(app)
}
