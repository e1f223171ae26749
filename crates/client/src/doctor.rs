//! Diagnostics for IT: the same checks in the app's 诊断 page and in `gjj doctor`.
//!
//! Each [`Check`] has a stable id (`version`, `settings`, `modules`, `keys`, `certificate`, `reachability`,
//! `handshake`, `clock`, `revocation`), a status, what was found in plain words and what to do. Nothing here
//! needs the PIN: without a session the handshake test proves the centre's server certificate only; with a
//! logged-in session it proves mutual TLS with the key, and the centre's clock and its verdict on the
//! certificate become visible.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gjj_pki::TrustBundle;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::keys::{self, CertInfo, KeyList, WarningLevel};
use crate::settings::Settings;
use crate::Session;

/// How long the TCP connection may take (the reachability check).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long the TLS handshake may take once connected.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Clock skew above which the check warns.
pub const SKEW_WARN_SECS: i64 = 60;
/// Clock skew above which the check fails.
pub const SKEW_FAIL_SECS: i64 = 300;

/// Outcome of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum CheckStatus {
    /// Fine.
    Ok,
    /// Works, but something needs attention.
    Warn,
    /// Broken: the user cannot log in or submit until it is fixed.
    Fail,
    /// Not tested (not applicable, or needs a login or an earlier check to pass).
    Skip,
}

impl CheckStatus {
    /// 通过 / 警告 / 失败 / 跳过.
    pub fn label(self) -> &'static str {
        match self {
            CheckStatus::Ok => "通过",
            CheckStatus::Warn => "警告",
            CheckStatus::Fail => "失败",
            CheckStatus::Skip => "跳过",
        }
    }

    fn rank(self) -> u8 {
        match self {
            CheckStatus::Skip => 0,
            CheckStatus::Ok => 1,
            CheckStatus::Warn => 2,
            CheckStatus::Fail => 3,
        }
    }

    fn worst(self, other: CheckStatus) -> CheckStatus {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }
}

/// One diagnostic check (api.ts `Check`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Check {
    /// Stable id.
    pub id: String,
    /// Title in Chinese.
    pub title: String,
    /// Outcome.
    pub status: CheckStatus,
    /// What was found, in plain words.
    pub detail: String,
    /// What to do.
    pub advice: Option<String>,
}

impl Check {
    fn new(id: &str, title: &str, status: CheckStatus, detail: impl Into<String>) -> Check {
        Check {
            id: id.into(),
            title: title.into(),
            status,
            detail: detail.into(),
            advice: None,
        }
    }

    fn advice(mut self, advice: impl Into<String>) -> Check {
        self.advice = Some(advice.into());
        self
    }
}

/// Every check (api.ts `DoctorReport`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DoctorReport {
    /// In a fixed order.
    pub checks: Vec<Check>,
    /// RFC 3339.
    pub generated_at: String,
}

impl DoctorReport {
    /// True when a check failed.
    pub fn failed(&self) -> bool {
        self.checks.iter().any(|c| c.status == CheckStatus::Fail)
    }

    /// The check with this id.
    pub fn check(&self, id: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }
}

/// Runs every check. `keys` is what [`keys::discover`] found; `session` a logged-in session, if any.
pub async fn run(settings: &Settings, keys: &KeyList, session: Option<&Session>) -> DoctorReport {
    let now = OffsetDateTime::now_utc();
    let mut checks = vec![version()];
    let (settings_check, server, trust) = check_settings(settings);
    checks.push(settings_check);
    checks.push(check_modules(keys, session.is_some()));
    checks.push(check_keys(keys, session));
    let ders = certificate_ders(keys, session).await;
    checks.push(check_certificates(keys, session, &ders, trust.as_ref(), now));

    let reach = match &server {
        Some(target) => check_reachability(target, settings.proxy.as_deref()).await,
        None => Check::new(
            "reachability",
            TITLE_REACH,
            CheckStatus::Skip,
            "未配置中心地址，未检测。",
        ),
    };
    let reachable = reach.status == CheckStatus::Ok;
    checks.push(reach);

    let mut me = None;
    let handshake = match (&server, session) {
        (None, _) => Check::new(
            "handshake",
            TITLE_HANDSHAKE,
            CheckStatus::Skip,
            "未配置中心地址，未检测。",
        ),
        (Some(_), _) if !reachable => Check::new(
            "handshake",
            TITLE_HANDSHAKE,
            CheckStatus::Skip,
            "网络不通，未测试安全连接。",
        ),
        (Some(_), Some(session)) => {
            let (check, result) = mutual_tls(session).await;
            me = Some(result);
            check
        }
        (Some(target), None) => match &trust {
            Some(trust) => server_tls(target, trust, settings.proxy.as_deref()).await,
            None => Check::new(
                "handshake",
                TITLE_HANDSHAKE,
                CheckStatus::Skip,
                "CA 证书文件不可用，无法验证中心服务器证书。",
            ),
        },
    };
    checks.push(handshake);
    checks.push(check_clock(me.as_ref(), now));
    checks.push(check_revocation(me.as_ref(), session.is_some()));
    checks.push(check_local_data());
    DoctorReport {
        checks,
        generated_at: now.format(&Rfc3339).unwrap_or_default(),
    }
}

const TITLE_REACH: &str = "网络连通";

/// How this user's local store is protected (REFERENCE: 个人信息保护法; issue: personal data at rest).
fn check_local_data() -> Check {
    use crate::vault::{Protection, Vault};
    let path = crate::settings::config_dir().join("store.key");
    let title = "本地数据保护";
    match Vault::inspect(&path) {
        Ok(Some(p @ Protection::Dpapi)) => Check::new("local_data", title, CheckStatus::Ok, p.describe()),
        Ok(Some(p @ Protection::UserFile)) if cfg!(windows) => Check::new(
            "local_data",
            title,
            CheckStatus::Warn,
            p.describe(),
        )
        .advice(
            "Windows 数据保护（DPAPI）不可用，密钥以仅当前用户可读的文件保存。请 IT 检查本机的用户配置文件。",
        ),
        Ok(Some(p)) => Check::new(
            "local_data",
            title,
            CheckStatus::Ok,
            format!("{}：{}", p.describe(), path.display()),
        ),
        Ok(None) => Check::new(
            "local_data",
            title,
            CheckStatus::Ok,
            "本机尚未保存提交内容；首次保存时建立加密密钥（Windows 上由 DPAPI 为当前用户保护）。",
        ),
        Err(e) => Check::new("local_data", title, CheckStatus::Fail, e.to_string()).advice(
            "本机保存的提交内容无法解密。已受理业务的回执可在中心重新查看；未发送的内容请重新导入表格提交。",
        ),
    }
}
const TITLE_HANDSHAKE: &str = "安全连接（TLS 握手）";
const TITLE_CLOCK: &str = "本机时间";
const TITLE_REVOCATION: &str = "证书吊销状态";

fn version() -> Check {
    Check::new(
        "version",
        "客户端版本",
        CheckStatus::Ok,
        format!(
            "网厅客户端 {}（{} {}）",
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS,
            std::env::consts::ARCH
        ),
    )
}

/// Where to connect: host (no brackets), port, and the URL as configured.
#[derive(Clone, Debug)]
struct Target {
    host: String,
    port: u16,
}

impl Target {
    fn display(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

fn parse_target(url: &str) -> Option<Target> {
    let url = reqwest::Url::parse(url.trim()).ok()?;
    let host = url
        .host_str()?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    Some(Target {
        host,
        port: url.port_or_known_default()?,
    })
}

fn check_settings(settings: &Settings) -> (Check, Option<Target>, Option<TrustBundle>) {
    const TITLE: &str = "中心地址与 CA 证书";
    let mut status = CheckStatus::Ok;
    let mut lines = Vec::new();
    let mut advice = Vec::new();
    let server = settings.server.trim();
    let target = if server.is_empty() {
        status = CheckStatus::Fail;
        lines.push("未配置中心地址。".to_owned());
        advice.push("在“设置”中填写中心提供的网址（如 https://wt.example.gov.cn:8443），或由 IT 在管理配置文件中统一设置。");
        None
    } else {
        match parse_target(server) {
            Some(t) if server.starts_with("https://") => {
                lines.push(format!("中心地址 {server}。"));
                Some(t)
            }
            _ => {
                status = CheckStatus::Fail;
                lines.push(format!("中心地址“{server}”不是有效的 https 网址。"));
                advice.push("请按中心提供的网址填写，以 https:// 开头。");
                None
            }
        }
    };
    let bundle = settings.ca_bundle.trim();
    let trust = if bundle.is_empty() {
        status = CheckStatus::Fail;
        lines.push("未配置中心 CA 证书文件。".to_owned());
        advice.push("在“设置”中选择中心提供的 CA 证书文件（.pem），安装包通常已带此文件。");
        None
    } else {
        match TrustBundle::from_pem_file(std::path::Path::new(bundle)) {
            Ok(trust) => {
                let names: Vec<String> = trust.all().map(|c| cert_name(c.as_ref())).collect();
                lines.push(format!(
                    "CA 证书文件 {bundle}：根证书 {} 个、中级证书 {} 个（{}）。",
                    trust.roots.len(),
                    trust.intermediates.len(),
                    names.join("、")
                ));
                if !trust.sm2_roots.is_empty() {
                    let sm2: Vec<String> = trust
                        .sm2_roots
                        .iter()
                        .chain(&trust.sm2_intermediates)
                        .map(|c| cert_name(c.as_ref()))
                        .collect();
                    lines.push(format!(
                        "另有国密 SM2 证书链：根证书 {} 个、中级证书 {} 个（{}）。",
                        trust.sm2_roots.len(),
                        trust.sm2_intermediates.len(),
                        sm2.join("、")
                    ));
                }
                Some(trust)
            }
            Err(e) => {
                status = CheckStatus::Fail;
                lines.push(format!("CA 证书文件 {bundle} 不可用：{e}"));
                advice.push("请重新选择中心提供的 CA 证书文件（PEM 格式，含根证书）。");
                None
            }
        }
    };
    let mut check = Check::new("settings", TITLE, status, lines.join(""));
    if !advice.is_empty() {
        check = check.advice(advice.join(""));
    }
    (check, target, trust)
}

fn check_modules(keys: &KeyList, logged_in: bool) -> Check {
    const TITLE: &str = "USB key 驱动";
    let store_keys = keys.keys.iter().filter(|k| k.store.is_some()).count();
    if keys.modules.is_empty() && store_keys > 0 {
        return Check::new(
            "modules",
            TITLE,
            CheckStatus::Ok,
            format!(
                "未找到 PKCS#11 驱动；CA 的驱动已把 {store_keys} 张证书登记在 Windows 证书存储中（通过 CSP / CNG 使用）。"
            ),
        );
    }
    if keys.modules.is_empty() {
        let status = if logged_in {
            CheckStatus::Warn
        } else {
            CheckStatus::Fail
        };
        let hint = keys
            .hint
            .clone()
            .unwrap_or_else(|| "未找到 USB key 驱动。".into());
        return Check::new(
            "modules",
            TITLE,
            status,
            "未找到任何 USB key 驱动（PKCS#11 模块）。",
        )
        .advice(hint);
    }
    let mut lines = Vec::new();
    let mut loaded = 0;
    for m in &keys.modules {
        let source = if m.configured {
            "设置中指定"
        } else {
            "自动发现"
        };
        let vendor = if m.vendor.is_empty() {
            "未知厂商"
        } else {
            m.vendor.as_str()
        };
        match &m.error {
            None => {
                loaded += 1;
                let version = m.library_version.as_deref().unwrap_or("未知");
                lines.push(format!("{}（{vendor}，版本 {version}，{source}）", m.path));
            }
            Some(e) => lines.push(format!("{}（{vendor}，{source}）无法使用：{e}", m.path)),
        }
    }
    let status = if loaded == keys.modules.len() {
        CheckStatus::Ok
    } else if loaded > 0 {
        CheckStatus::Warn
    } else {
        CheckStatus::Fail
    };
    let mut check = Check::new("modules", TITLE, status, lines.join("\n"));
    if status != CheckStatus::Ok {
        check = check.advice(
            "无法使用的驱动请按提示重新安装 CA 提供的 64 位驱动；不再使用的驱动（如其他省份 CA 的驱动）可卸载，避免冲突。",
        );
    }
    check
}

fn check_keys(keys: &KeyList, session: Option<&Session>) -> Check {
    const TITLE: &str = "USB key";
    if keys.keys.is_empty() {
        if let Some(s) = session {
            return Check::new(
                "keys",
                TITLE,
                CheckStatus::Skip,
                format!(
                    "未检测到 USB key；当前登录使用 {}。",
                    s.credential().key_description()
                ),
            );
        }
        return Check::new("keys", TITLE, CheckStatus::Fail, "未检测到 USB key。").advice(
            keys.hint
                .clone()
                .unwrap_or_else(|| "请插入单位的 USB key。".into()),
        );
    }
    let mut status = CheckStatus::Ok;
    let mut lines = Vec::new();
    let mut advice = Vec::new();
    for k in &keys.keys {
        let certs: Vec<String> = k
            .certificates
            .iter()
            .map(|c| {
                format!(
                    "{}（{}）",
                    c.unit_name,
                    c.uscc.as_deref().unwrap_or("无统一社会信用代码")
                )
            })
            .collect();
        let pin = if k.pin_flags.locked {
            status = status.worst(CheckStatus::Fail);
            advice.push(format!(
                "USB key“{}”的 PIN 已锁定：请携带 USB key、单位介绍信和经办人身份证到签发证书的 CA 解锁。",
                k.label
            ));
            "，PIN 已锁定"
        } else if k.pin_flags.final_try {
            status = status.worst(CheckStatus::Warn);
            advice.push(format!(
                "USB key“{}”只剩最后一次 PIN 机会，再输错将锁定：不确定 PIN 时先联系单位的证书管理员。",
                k.label
            ));
            "，PIN 仅剩最后一次机会"
        } else if k.pin_flags.count_low {
            status = status.worst(CheckStatus::Warn);
            "，PIN 曾输错"
        } else {
            ""
        };
        if let Some(store) = &k.store {
            lines.push(store_key_line(k, store, &certs));
            continue;
        }
        if k.certificates.is_empty() {
            status = status.worst(CheckStatus::Fail);
            advice.push(format!("USB key“{}”中没有证书：请联系签发证书的 CA。", k.label));
        }
        lines.push(format!(
            "“{}”（{}，由驱动 {} 读取，序列号 {}，槽 {}{pin}）证书：{}",
            k.label,
            k.vendor,
            k.module,
            k.serial,
            k.slot,
            if certs.is_empty() {
                "无".to_owned()
            } else {
                certs.join("、")
            }
        ));
    }
    let count: usize = keys.keys.iter().map(|k| k.certificates.len()).sum();
    if keys.keys.len() > 1 || count > 1 {
        status = status.worst(CheckStatus::Warn);
        advice.push(format!(
            "检测到 {} 个 USB key、{count} 张证书：登录时请选择本单位的那一个；暂不使用的 USB key 建议拔下，避免选错单位。",
            keys.keys.len()
        ));
    }
    let mut check = Check::new("keys", TITLE, status, lines.join("\n"));
    if !advice.is_empty() {
        check = check.advice(advice.join(""));
    }
    check
}

/// One line for a Windows certificate-store key: where, which provider, and what a legacy CSP means for TLS.
fn store_key_line(k: &keys::KeyInfo, store: &keys::StoreKeyInfo, certs: &[String]) -> String {
    let interface = if store.cng {
        "CNG 密钥存储提供程序"
    } else {
        "传统 CSP"
    };
    let tls = if store.tls12_only {
        "；该 CSP 只能做 RSA PKCS#1 v1.5 签名（不支持 TLS 1.3 要求的 RSA-PSS），登录时将使用 TLS 1.2"
    } else {
        ""
    };
    format!(
        "“{}”（{}，{interface}，指纹 {}；PIN 由 USB key 驱动自己的窗口询问{tls}）证书：{}",
        k.label,
        store.provider,
        k.serial,
        certs.join("、")
    )
}

/// DER certificates by fingerprint: read again from the keys listed (certificates need no PIN), plus the
/// session's own certificate (a .pfx login).
async fn certificate_ders(keys: &KeyList, session: Option<&Session>) -> HashMap<String, Vec<u8>> {
    let modules: Vec<String> = {
        let mut m: Vec<String> = keys
            .keys
            .iter()
            .filter(|k| k.store.is_none())
            .map(|k| k.module.clone())
            .collect();
        m.dedup();
        m
    };
    let mut ders = tokio::task::spawn_blocking(move || {
        let mut out = HashMap::new();
        for path in modules {
            let Ok(module) = gjj_pki::pkcs11::Module::load(std::path::Path::new(&path)) else {
                continue;
            };
            for token in module.tokens().unwrap_or_default() {
                for cert in token.certificates {
                    out.insert(cert.identity.fingerprint.clone(), cert.der);
                }
            }
        }
        for cert in gjj_pki::winstore::certificates().certificates {
            out.insert(cert.identity.fingerprint.clone(), cert.der().to_vec());
        }
        out
    })
    .await
    .unwrap_or_default();
    if let Some(s) = session {
        let c = s.credential();
        ders.insert(c.identity().fingerprint.clone(), c.leaf().to_vec());
    }
    ders
}

fn check_certificates(
    keys: &KeyList,
    session: Option<&Session>,
    ders: &HashMap<String, Vec<u8>>,
    trust: Option<&TrustBundle>,
    now: OffsetDateTime,
) -> Check {
    const TITLE: &str = "证书有效期与签发链";
    let mut certs: Vec<CertInfo> = keys
        .keys
        .iter()
        .flat_map(|k| k.certificates.iter().cloned())
        .collect();
    if let Some(s) = session {
        let id = s.credential().identity();
        if !certs.iter().any(|c| c.fingerprint == id.fingerprint) {
            certs.push(keys::cert_info(id, now));
        }
    }
    if certs.is_empty() {
        return Check::new("certificate", TITLE, CheckStatus::Skip, "没有可检查的证书。");
    }
    let mut status = CheckStatus::Ok;
    let mut lines = Vec::new();
    let mut advice: Vec<String> = Vec::new();
    for c in &certs {
        let until = c.not_after.get(..10).unwrap_or(&c.not_after);
        let mut line = format!("“{}”（序列号 {}）有效期至 {until}", c.unit_name, c.serial);
        match &c.expiry_warning {
            Some(w) => {
                status = status.worst(match w.level {
                    WarningLevel::Danger if c.days_left <= 0 || c.days_left > 7 => CheckStatus::Fail,
                    WarningLevel::Danger | WarningLevel::Warning => CheckStatus::Warn,
                    WarningLevel::Info => CheckStatus::Ok,
                });
                line.push_str(&format!("，{}", w.message));
            }
            None => line.push_str(&format!("，还有 {} 天", c.days_left)),
        }
        let chain = match (trust, ders.get(&c.fingerprint)) {
            (None, _) => "签发链：未检查（CA 证书文件不可用）。".to_owned(),
            (Some(_), None) => "签发链：未检查（未能再次读取该证书）。".to_owned(),
            (Some(trust), Some(der)) => match verify_chain(der, trust) {
                Ok(chain) => chain,
                Err(e) => {
                    status = status.worst(CheckStatus::Fail);
                    advice.push(
                        "请使用中心认可的 CA 签发的单位证书；若中心刚更换了 CA，请确认 CA 证书文件是中心提供的最新版本。"
                            .to_owned(),
                    );
                    format!("签发链：{e}")
                }
            },
        };
        line.push_str(&format!("；签发者 {}；{chain}", c.issuer));
        lines.push(line);
        if let Some(tip) = issuer_driver_advice(&c.issuer, keys) {
            advice.push(tip);
        }
    }
    if status != CheckStatus::Ok && advice.is_empty() {
        advice.push(
            "证书到期前请联系签发证书的 CA 办理更新（续期）；已过期或未生效时请先检查电脑日期时间。".into(),
        );
    }
    let mut check = Check::new("certificate", TITLE, status, lines.join("\n"));
    if !advice.is_empty() {
        advice.dedup();
        check = check.advice(advice.join(""));
    }
    check
}

/// When the certificate's CA is known to use vendor drivers and none of them is loaded here (the key was read
/// by a generic module, or by another vendor's), which driver to install.
fn issuer_driver_advice(issuer: &str, keys: &KeyList) -> Option<String> {
    let wanted = keys::drivers_for_issuer(issuer);
    if wanted.is_empty() {
        return None;
    }
    let loaded = |d: &keys::KnownDriver| {
        keys.modules
            .iter()
            .any(|m| m.error.is_none() && m.vendor == d.label())
    };
    if wanted.iter().any(|d| loaded(d)) {
        return None;
    }
    let names: Vec<String> = wanted.iter().map(|d| d.label()).collect();
    Some(format!(
        "签发者“{issuer}”的 USB key 通常使用 {} 的驱动，本机未加载该驱动：如登录或签名不正常，请安装该 CA 提供的驱动（64 位）。",
        names.join(" 或 ")
    ))
}

fn cert_name(der: &[u8]) -> String {
    match X509Certificate::from_der(der) {
        Ok((_, c)) => name_of(c.subject()),
        Err(_) => "（无法解析的证书）".into(),
    }
}

fn name_of(name: &x509_parser::x509::X509Name<'_>) -> String {
    name.iter_common_name()
        .find_map(|a| a.as_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| name.to_string())
}

/// Walks from the leaf to a self-signed root of the bundle, verifying each signature with the issuer's key.
/// Signature algorithms `ring` cannot check (SM2) fall back to the issuer name match, and say so.
fn verify_chain(leaf: &[u8], trust: &TrustBundle) -> Result<String, String> {
    let (_, leaf) = X509Certificate::from_der(leaf).map_err(|e| format!("证书无法解析（{e}）"))?;
    let bundle: Vec<X509Certificate<'_>> = trust
        .all()
        .filter_map(|c| X509Certificate::from_der(c.as_ref()).ok().map(|(_, x)| x))
        .collect();
    let mut path = Vec::new();
    let mut name_only = false;
    let mut current = &leaf;
    for _ in 0..8 {
        let issuers: Vec<&X509Certificate<'_>> = bundle
            .iter()
            .filter(|c| c.subject().as_raw() == current.issuer().as_raw())
            .collect();
        if issuers.is_empty() {
            return Err(format!(
                "签发者“{}”不在中心 CA 证书文件中，中心不会接受此证书",
                name_of(current.issuer())
            ));
        }
        let mut next = None;
        for issuer in &issuers {
            match current.verify_signature(Some(issuer.public_key())) {
                Ok(()) => {
                    next = Some(*issuer);
                    break;
                }
                Err(x509_parser::error::X509Error::SignatureUnsupportedAlgorithm) => {
                    name_only = true;
                    next = Some(*issuer);
                    break;
                }
                Err(_) => {}
            }
        }
        let Some(issuer) = next else {
            return Err(format!(
                "证书上的签名与 CA 证书文件中的“{}”不符（证书可能是伪造的，或 CA 证书文件不是最新版本）",
                name_of(current.issuer())
            ));
        };
        path.push(name_of(issuer.subject()));
        if issuer.subject().as_raw() == issuer.issuer().as_raw() {
            let how = if name_only {
                "签发者名称匹配（该签名算法无法在本机验证）"
            } else {
                "签名逐级验证通过"
            };
            return Ok(format!("{} → {how}。", path.join(" → ")));
        }
        current = issuer;
    }
    Err("签发链过长或成环".into())
}

/// Why a connection failed, in plain words.
#[derive(Debug)]
enum NetError {
    Dns(String),
    Refused,
    Timeout,
    Proxy(String),
    Other(String),
}

impl NetError {
    fn describe(&self, target: &str) -> String {
        match self {
            NetError::Dns(e) => format!("地址 {target} 无法解析（{e}）：地址错误，或本机 DNS 不可用。"),
            NetError::Refused => {
                format!("{target} 拒绝连接：地址或端口错误，或中心服务未运行。")
            }
            NetError::Timeout => format!(
                "{} 秒内连不上 {target}：网络不通、被防火墙拦截，或单位网络需要经代理访问。",
                CONNECT_TIMEOUT.as_secs()
            ),
            NetError::Proxy(e) => format!("经代理连接 {target} 失败：{e}"),
            NetError::Other(e) => format!("连接 {target} 失败：{e}"),
        }
    }
}

fn io_net(e: std::io::Error) -> NetError {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => NetError::Refused,
        std::io::ErrorKind::TimedOut => NetError::Timeout,
        _ => NetError::Other(e.to_string()),
    }
}

async fn tcp(host: &str, port: u16) -> Result<TcpStream, NetError> {
    let attempt = async {
        let addrs: Vec<_> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| NetError::Dns(e.to_string()))?
            .collect();
        let mut last = NetError::Dns("没有地址".into());
        for addr in addrs {
            match TcpStream::connect(addr).await {
                Ok(s) => return Ok(s),
                Err(e) => last = io_net(e),
            }
        }
        Err(last)
    };
    tokio::time::timeout(CONNECT_TIMEOUT, attempt)
        .await
        .unwrap_or(Err(NetError::Timeout))
}

/// A TCP stream to the centre, directly or through an HTTP proxy (CONNECT).
async fn open(target: &Target, proxy: Option<&str>) -> Result<TcpStream, NetError> {
    let Some(proxy) = proxy.map(str::trim).filter(|p| !p.is_empty()) else {
        return tcp(&target.host, target.port).await;
    };
    let p = parse_target(proxy)
        .filter(|_| proxy.starts_with("http://"))
        .ok_or_else(|| NetError::Proxy(format!("只能检测 http:// 代理，当前为“{proxy}”")))?;
    let mut stream = tcp(&p.host, p.port)
        .await
        .map_err(|e| NetError::Proxy(e.describe(&p.display())))?;
    let dest = target.display();
    let connect = async {
        let request = format!("CONNECT {dest} HTTP/1.1\r\nHost: {dest}\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        // Byte by byte up to the blank line: nothing of the tunnelled stream may be consumed.
        while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
            if stream.read(&mut byte).await? == 0 {
                break;
            }
            head.push(byte[0]);
        }
        Ok::<_, std::io::Error>(head)
    };
    let head = tokio::time::timeout(CONNECT_TIMEOUT, connect)
        .await
        .map_err(|_| {
            NetError::Proxy(format!(
                "代理 {} 在 {} 秒内没有回应",
                p.display(),
                CONNECT_TIMEOUT.as_secs()
            ))
        })?
        .map_err(|e| NetError::Proxy(e.to_string()))?;
    let status_line = String::from_utf8_lossy(&head)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    if status_line.split_whitespace().nth(1) == Some("200") {
        Ok(stream)
    } else {
        Err(NetError::Proxy(format!(
            "代理 {} 拒绝转发（{status_line}）",
            p.display()
        )))
    }
}

async fn check_reachability(target: &Target, proxy: Option<&str>) -> Check {
    let shown = target.display();
    let via = proxy
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("（经代理 {p}）"))
        .unwrap_or_default();
    match open(target, proxy).await {
        Ok(_) => Check::new(
            "reachability",
            TITLE_REACH,
            CheckStatus::Ok,
            format!("可以连接中心 {shown}{via}。"),
        ),
        Err(e) => Check::new("reachability", TITLE_REACH, CheckStatus::Fail, format!("网络不通：{}", e.describe(&shown)))
            .advice(format!(
                "请 IT 检查：中心地址和端口是否正确（{shown}）；本机能否访问该地址（防火墙、安全软件是否放行该端口）；单位网络是否需要代理（需要时在设置中填写代理地址）。"
            )),
    }
}

/// Wraps the WebPKI verifier to remember the server certificate it accepted: the server may still end the
/// handshake afterwards (it wants a client certificate), which says nothing against its own certificate.
#[derive(Debug)]
struct Recording {
    inner: Arc<WebPkiServerVerifier>,
    accepted: Arc<Mutex<Option<Vec<u8>>>>,
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict =
            self.inner
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)?;
        if let Ok(mut slot) = self.accepted.lock() {
            *slot = Some(end_entity.to_vec());
        }
        Ok(verdict)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

fn find_rustls(err: &std::io::Error) -> Option<&rustls::Error> {
    err.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>())
}

/// A TLS handshake without a client certificate, trusting only the CA bundle (as the session does).
async fn server_tls(target: &Target, trust: &TrustBundle, proxy: Option<&str>) -> Check {
    let shown = target.display();
    let fail = |detail: String| Check::new("handshake", TITLE_HANDSHAKE, CheckStatus::Fail, detail);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for cert in trust.all() {
        // A CA the parser rejects is reported by the settings check; the others still count.
        let _ = roots.add(cert.clone());
    }
    let inner = match WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone()).build() {
        Ok(v) => v,
        Err(e) => return fail(format!("CA 证书文件无法用于验证：{e}")),
    };
    let accepted = Arc::new(Mutex::new(None));
    let verifier = Recording {
        inner,
        accepted: accepted.clone(),
    };
    let config =
        match rustls::ClientConfig::builder_with_provider(provider).with_safe_default_protocol_versions() {
            Ok(b) => b
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verifier))
                .with_no_client_auth(),
            Err(e) => return fail(format!("TLS 配置失败：{e}")),
        };
    let Ok(name) = ServerName::try_from(target.host.clone()) else {
        return fail(format!("中心地址中的主机名“{}”无效。", target.host));
    };
    let tcp = match open(target, proxy).await {
        Ok(s) => s,
        Err(e) => return fail(format!("网络不通：{}", e.describe(&shown))),
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let result = tokio::time::timeout(HANDSHAKE_TIMEOUT, connector.connect(name, tcp)).await;
    let seen = accepted.lock().ok().and_then(|s| s.clone());
    let trusted = |der: &[u8]| {
        Check::new(
            "handshake",
            TITLE_HANDSHAKE,
            CheckStatus::Ok,
            format!(
                "服务器证书可信：{}。双向认证（USB key 证书）需登录后检测。",
                describe_server_cert(der)
            ),
        )
    };
    match (result, seen) {
        (Ok(Ok(_stream)), Some(der)) => trusted(&der),
        // The centre ended the handshake after we accepted its certificate: it wants a client certificate.
        (Ok(Err(_)), Some(der)) => trusted(&der),
        (Ok(Ok(_)), None) => fail("握手完成但未收到服务器证书。".into()),
        (Err(_), _) => fail(format!(
            "{} 秒内未完成安全连接：对方可能不是中心的网厅服务，或网络质量很差。",
            HANDSHAKE_TIMEOUT.as_secs()
        ))
        .advice("请确认中心地址和端口正确；仍失败请导出日志交给 IT。"),
        (Ok(Err(e)), None) => {
            let (detail, advice) = explain_tls(find_rustls(&e), &e, &target.host);
            fail(detail).advice(advice)
        }
    }
}

fn describe_server_cert(der: &[u8]) -> String {
    match X509Certificate::from_der(der) {
        Ok((_, c)) => {
            let until = c.validity().not_after.timestamp();
            let until = OffsetDateTime::from_unix_timestamp(until)
                .map(|d| format!("{}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()))
                .unwrap_or_default();
            format!(
                "“{}”，由“{}”签发，有效期至 {until}",
                name_of(c.subject()),
                name_of(c.issuer())
            )
        }
        Err(_) => "（证书无法解析）".into(),
    }
}

fn explain_tls(err: Option<&rustls::Error>, io: &std::io::Error, host: &str) -> (String, String) {
    let check_bundle = "请确认中心地址正确、CA 证书文件是中心提供的最新版本；若单位网络对 HTTPS 做了审计或代理替换证书，请 IT 对中心地址放行。";
    match err {
        Some(rustls::Error::InvalidCertificate(e)) => match e {
            CertificateError::UnknownIssuer => (
                "服务器证书不受信任：它不是由 CA 证书文件中的机构签发的（可能连到了别的服务器，或 CA 证书文件不是中心提供的）。".into(),
                check_bundle.into(),
            ),
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => (
                format!("服务器证书上的名称与地址“{host}”不符：地址写错，或连到了别的服务器。"),
                "请按中心提供的网址填写（域名或 IP 必须与中心证书一致）。".into(),
            ),
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => (
                "服务器证书已过期（或本机时间比实际晚很多）。".into(),
                "请先检查本机日期时间；时间正确时请联系中心（服务器证书需要更新）。".into(),
            ),
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => (
                "服务器证书尚未生效（本机时间可能比实际早）。".into(),
                "请检查并校准本机日期时间。".into(),
            ),
            CertificateError::Revoked => (
                "服务器证书已被吊销。".into(),
                "请暂停使用并联系中心确认网址。".into(),
            ),
            other => (format!("服务器证书无效（{other:?}）。"), check_bundle.into()),
        },
        Some(rustls::Error::AlertReceived(alert)) => (
            format!("中心中止了握手（TLS 告警 {alert:?}）。"),
            "请确认中心地址和端口正确；仍失败请导出日志交给 IT 或中心。".into(),
        ),
        Some(rustls::Error::InvalidMessage(_)) | Some(rustls::Error::InappropriateMessage { .. }) => (
            "对方不是 TLS（https）服务：地址或端口错误。".into(),
            "请按中心提供的网址填写，含正确的端口。".into(),
        ),
        Some(other) => (format!("安全连接失败（{other}）。"), check_bundle.into()),
        None => (
            format!("安全连接失败（{io}）：连接被对方关闭。"),
            "请确认中心地址和端口正确；仍失败请导出日志交给 IT。".into(),
        ),
    }
}

/// Which TLS version the key allows, in words: a key that cannot sign RSA-PSS (a legacy CSP, a token
/// restricted to CKM_RSA_PKCS) connects with TLS 1.2 only.
fn tls_version_note(credential: &gjj_pki::Credential) -> &'static str {
    if credential.is_sm2() {
        "国密 SM2 证书：TLS 1.3 单向认证（只信任中心 CA），再用 USB key 对中心的挑战和本连接的 TLS 导出值签名登录，签名只在本连接有效。"
    } else if credential.tls12_only() {
        "使用 TLS 1.2：该密钥只能做 RSA PKCS#1 v1.5 签名，不支持 TLS 1.3 要求的 RSA-PSS（安全性仍满足要求）。"
    } else {
        "TLS 1.3 优先。"
    }
}

async fn mutual_tls(session: &Session) -> (Check, Result<gjj_domain::api::Me, (String, String)>) {
    match session.me().await {
        Ok(me) => {
            let check = Check::new(
                "handshake",
                TITLE_HANDSHAKE,
                CheckStatus::Ok,
                format!(
                    "{}：中心确认证书属于“{}”（{}，单位账号 {}）。密钥：{}；{}",
                    if session.credential().is_sm2() {
                        "国密登录成功"
                    } else {
                        "双向认证成功"
                    },
                    me.unit.name,
                    me.role.label(),
                    me.unit.account,
                    session.credential().key_description(),
                    tls_version_note(session.credential()),
                ),
            );
            (check, Ok(me))
        }
        Err(e) => {
            let code = e.code().to_owned();
            let check = Check::new(
                "handshake",
                TITLE_HANDSHAKE,
                CheckStatus::Fail,
                format!("双向认证失败 [{code}]：{e}"),
            );
            (check, Err((code, e.to_string())))
        }
    }
}

type MeResult = Result<gjj_domain::api::Me, (String, String)>;

fn check_clock(me: Option<&MeResult>, now: OffsetDateTime) -> Check {
    let Some(me) = me else {
        return Check::new(
            "clock",
            TITLE_CLOCK,
            CheckStatus::Skip,
            "登录后检测：需要中心返回的时间。",
        );
    };
    let Ok(me) = me else {
        return Check::new(
            "clock",
            TITLE_CLOCK,
            CheckStatus::Skip,
            "未能从中心取得时间（见安全连接一项）。",
        );
    };
    let skew = me.server_time - now.unix_timestamp();
    let dir = if skew > 0 { "慢" } else { "快" };
    let abs = skew.abs();
    let advice = "请把电脑时间设为自动同步（Windows：设置 → 时间和语言 → 自动设置时间），或请 IT 配置时间服务器：证书有效期判断和提交签名都依赖准确的时间。";
    if abs > SKEW_FAIL_SECS {
        Check::new(
            "clock",
            TITLE_CLOCK,
            CheckStatus::Fail,
            format!("本机时间比中心{dir} {abs} 秒（超过 {SKEW_FAIL_SECS} 秒）。"),
        )
        .advice(advice)
    } else if abs > SKEW_WARN_SECS {
        Check::new(
            "clock",
            TITLE_CLOCK,
            CheckStatus::Warn,
            format!("本机时间比中心{dir} {abs} 秒（超过 {SKEW_WARN_SECS} 秒）。"),
        )
        .advice(advice)
    } else {
        Check::new(
            "clock",
            TITLE_CLOCK,
            CheckStatus::Ok,
            format!("本机时间与中心相差 {abs} 秒。"),
        )
    }
}

fn check_revocation(me: Option<&MeResult>, logged_in: bool) -> Check {
    match me {
        Some(Ok(me)) => Check::new(
            "revocation",
            TITLE_REVOCATION,
            CheckStatus::Ok,
            format!(
                "中心在登录时按吊销列表（CRL）检查了证书（序列号 {}），已接受：证书未被吊销。",
                me.certificate_serial
            ),
        ),
        Some(Err((code, message))) if code == "CERT_REVOKED" => {
            Check::new("revocation", TITLE_REVOCATION, CheckStatus::Fail, message.clone())
        }
        Some(Err(_)) | None if logged_in => Check::new(
            "revocation",
            TITLE_REVOCATION,
            CheckStatus::Skip,
            "未能连到中心，无法确认吊销状态（见安全连接一项）。",
        ),
        _ => Check::new(
            "revocation",
            TITLE_REVOCATION,
            CheckStatus::Skip,
            "登录时由中心按吊销列表（CRL）检查证书；登录后显示结果。",
        ),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn me(server_time: i64) -> MeResult {
        let json = serde_json::json!({
            "unit": {"account":"430400000001","name":"衡阳雁城科技有限公司","uscc":"91430405MA4PYC0138",
                     "status":"01","unit_rate":1200,"person_rate":1200,"first_month":"202001","paid_through":null},
            "role":"employer","certificate_serial":"0A","certificate_not_after":0,
            "server_time": server_time, "today":"202611"
        });
        serde_json::from_value(json).map_err(|e| (String::new(), e.to_string()))
    }

    #[test]
    fn clock_thresholds() {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let t = now.unix_timestamp();
        assert_eq!(check_clock(Some(&me(t + 30)), now).status, CheckStatus::Ok);
        assert_eq!(check_clock(Some(&me(t - 61)), now).status, CheckStatus::Warn);
        let fail = check_clock(Some(&me(t + 301)), now);
        assert_eq!(fail.status, CheckStatus::Fail);
        assert!(fail.detail.contains("慢 301 秒"), "{}", fail.detail);
        assert!(fail.advice.unwrap().contains("同步"));
        assert_eq!(check_clock(None, now).status, CheckStatus::Skip);
        assert!(check_clock(None, now).detail.contains("登录后检测"));
    }

    #[test]
    fn advice_names_the_driver_of_the_certificates_ca_when_it_is_not_loaded() {
        let module = |vendor: &str| crate::keys::ModuleInfo {
            path: "/usr/lib/x.so".into(),
            vendor: vendor.into(),
            library_version: Some("1.0".into()),
            configured: false,
            error: None,
        };
        let generic = KeyList {
            modules: vec![module("OpenSC opensc-pkcs11")],
            ..KeyList::default()
        };
        let tip = issuer_driver_advice("BJCA SM2 CA (北京数字认证股份有限公司)", &generic).unwrap();
        assert!(tip.contains("龙脉 Longmai mToken GM3000"), "{tip}");
        let vendor = KeyList {
            modules: vec![module("龙脉 Longmai mToken GM3000")],
            ..KeyList::default()
        };
        assert_eq!(
            issuer_driver_advice("BJCA SM2 CA", &vendor),
            None,
            "already loaded"
        );
        assert_eq!(issuer_driver_advice("衡阳公积金开发测试业务CA", &generic), None);
    }

    #[test]
    fn report_serialises_to_the_api_shape() {
        let r = DoctorReport {
            checks: vec![version().advice("x")],
            generated_at: "2026-11-27T00:00:00Z".into(),
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["checks"][0]["status"], "ok");
        assert_eq!(v["checks"][0]["id"], "version");
        let keys: Vec<&String> = v["checks"][0].as_object().unwrap().keys().collect();
        assert_eq!(keys, vec!["advice", "detail", "id", "status", "title"]);
        assert_eq!(serde_json::to_value(CheckStatus::Skip).unwrap(), "skip");
    }

    #[tokio::test]
    async fn unconfigured_settings_fail_and_network_checks_are_skipped() {
        let report = run(&Settings::default(), &KeyList::default(), None).await;
        let ids: Vec<&str> = report.checks.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "version",
                "settings",
                "modules",
                "keys",
                "certificate",
                "reachability",
                "handshake",
                "clock",
                "revocation",
                "local_data"
            ]
        );
        let status = |id| report.check(id).unwrap().status;
        assert_eq!(status("version"), CheckStatus::Ok);
        assert_eq!(status("settings"), CheckStatus::Fail);
        assert!(report
            .check("settings")
            .unwrap()
            .detail
            .contains("未配置中心地址"));
        assert_eq!(status("modules"), CheckStatus::Fail);
        assert_eq!(status("reachability"), CheckStatus::Skip);
        assert_eq!(status("handshake"), CheckStatus::Skip);
        assert_eq!(status("clock"), CheckStatus::Skip);
        assert!(report.failed());
    }

    #[tokio::test]
    async fn a_closed_port_fails_reachability_in_plain_words() {
        // Bind then drop: the port is (almost certainly) closed right after.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let target = parse_target(&format!("https://127.0.0.1:{port}")).unwrap();
        let c = check_reachability(&target, None).await;
        assert_eq!(c.status, CheckStatus::Fail);
        assert!(c.detail.contains("拒绝连接"), "{}", c.detail);
        assert!(c.advice.unwrap().contains("防火墙"));
    }

    #[tokio::test]
    async fn a_plain_tcp_service_is_not_a_tls_server() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            if let Ok((mut s, _)) = listener.accept().await {
                let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
            }
        });
        let trust = test_root_bundle();
        let target = parse_target(&format!("https://127.0.0.1:{port}")).unwrap();
        let c = server_tls(&target, &trust, None).await;
        assert_eq!(c.status, CheckStatus::Fail);
        assert!(c.detail.contains("不是 TLS"), "{}", c.detail);
    }

    #[tokio::test]
    async fn proxy_connect_is_used_and_its_refusal_reported() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(String::new()));
        let seen2 = seen.clone();
        tokio::spawn(async move {
            if let Ok((mut s, _)) = listener.accept().await {
                let mut buf = vec![0u8; 1024];
                let n = s.read(&mut buf).await.unwrap_or(0);
                *seen2.lock().unwrap() = String::from_utf8_lossy(&buf[..n]).into_owned();
                let _ = s.write_all(b"HTTP/1.1 403 Forbidden\r\n\r\n").await;
            }
        });
        let target = parse_target("https://wt.example.gov.cn:8443").unwrap();
        let c = check_reachability(&target, Some(&format!("http://127.0.0.1:{port}"))).await;
        assert_eq!(c.status, CheckStatus::Fail);
        assert!(c.detail.contains("403"), "{}", c.detail);
        assert!(seen
            .lock()
            .unwrap()
            .starts_with("CONNECT wt.example.gov.cn:8443 HTTP/1.1"));
    }

    struct Ca {
        cert: rcgen::Certificate,
        key: rcgen::KeyPair,
    }

    fn ca(name: &str) -> Ca {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(rcgen::DnType::CommonName, name);
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let key = rcgen::KeyPair::generate().unwrap();
        Ca {
            cert: params.self_signed(&key).unwrap(),
            key,
        }
    }

    fn leaf(issuer: &Ca) -> Vec<u8> {
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "衡阳雁城科技有限公司");
        let key = rcgen::KeyPair::generate().unwrap();
        params
            .signed_by(&key, &issuer.cert, &issuer.key)
            .unwrap()
            .der()
            .to_vec()
    }

    fn bundle(cas: &[&Ca]) -> TrustBundle {
        let pem: String = cas.iter().map(|c| c.cert.pem()).collect();
        TrustBundle::from_pem(pem.as_bytes()).unwrap()
    }

    #[test]
    fn chain_is_verified_by_signature_not_only_by_name() {
        let root = ca("衡阳公积金测试根CA");
        let good = leaf(&root);
        let ok = verify_chain(&good, &bundle(&[&root])).unwrap();
        assert!(
            ok.contains("衡阳公积金测试根CA") && ok.contains("签名逐级验证通过"),
            "{ok}"
        );
        // Another CA with the very same name: the name matches, the signature does not.
        let impostor = ca("衡阳公积金测试根CA");
        let err = verify_chain(&good, &bundle(&[&impostor])).unwrap_err();
        assert!(err.contains("签名"), "{err}");
        let other = ca("别的省CA");
        let err = verify_chain(&good, &bundle(&[&other])).unwrap_err();
        assert!(err.contains("不在中心 CA 证书文件中"), "{err}");
    }

    fn test_root_bundle() -> TrustBundle {
        bundle(&[&ca("testCA")])
    }
}
