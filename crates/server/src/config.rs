//! Gateway configuration (`gjj-server --config FILE`, TOML). Relative paths are relative to the file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Deserialize;

/// The whole configuration file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on, e.g. "127.0.0.1:8443".
    pub listen: SocketAddr,
    /// sqlx URL: "sqlite://gjj.sqlite?mode=rwc" (embedded default) or "postgres://user@host/db".
    pub database_url: String,
    /// TLS material.
    pub tls: TlsConfig,
    /// Request limits.
    #[serde(default)]
    pub limits: Limits,
    /// The centre's time zone as hours east of UTC; month rules use the centre's calendar (China: 8).
    #[serde(default = "default_utc_offset")]
    pub utc_offset_hours: i8,
    /// The desktop app's update service (crate::updates), on its own port; absent = not served.
    #[serde(default)]
    pub updates: Option<UpdatesConfig>,
    /// The centre's receipt seal (回执签章); absent = receipts are not signed (the gateway says so at start).
    #[serde(default)]
    pub receipt: Option<ReceiptConfig>,
    /// Health and metrics for operations (crate::ops), on its own port; absent = not served.
    #[serde(default)]
    pub ops: Option<OpsConfig>,
    /// At shutdown, seconds open connections get to finish their requests.
    #[serde(default = "default_grace")]
    pub shutdown_grace_secs: u64,
}

/// `[ops]`: liveness (`/healthz`), readiness (`/readyz`, what a load balancer checks) and Prometheus metrics
/// (`/metrics`) over TLS with the gateway's server certificate and no client certificate. Nothing on it names a
/// unit or a person; keep the port inside the centre's network all the same.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpsConfig {
    /// Address to listen on, e.g. "10.0.0.5:9443".
    pub listen: SocketAddr,
    /// At shutdown, seconds readiness answers 503 while the API still takes connections, so the load balancer
    /// moves new clients away before the port closes (a little more than its check interval × fall count).
    #[serde(default)]
    pub drain_secs: u64,
}

/// `[receipt]`: the certificate and key the centre signs receipts with, and the Chinese font of the PDF.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptConfig {
    /// The receipt-signing certificate chain (PEM, leaf first). The leaf must allow documentSigning.
    pub cert: PathBuf,
    /// Its private key (PEM).
    pub key: PathBuf,
    /// A CJK font file (TTF/OTF/TTC) for the PDF; default: a known system font (fonts-noto-cjk,
    /// fonts-wqy-microhei; SimSun on Windows).
    #[serde(default)]
    pub font: Option<PathBuf>,
    /// The face in a font collection (.ttc).
    #[serde(default)]
    pub font_index: u32,
}

/// `[updates]`: a second HTTPS port (the same server certificate, no client certificate) serving signed
/// update manifests and installers from a directory. See crate::updates for why it is not on the mTLS port.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdatesConfig {
    /// Address to listen on, e.g. "0.0.0.0:8444".
    pub listen: SocketAddr,
    /// Directory with `<target>.json` manifests and `files/` (installers and their `.sig`).
    pub dir: PathBuf,
    /// The URL clients reach this port at, e.g. "https://wt.gjj.example.gov.cn:8444" (download URLs in the
    /// manifest); default: https:// + the request's Host.
    #[serde(default)]
    pub public_url: Option<String>,
}

/// TLS files.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// Server certificate chain (PEM).
    pub cert: PathBuf,
    /// Server private key (PEM).
    pub key: PathBuf,
    /// The CA bundle client certificates must chain to (PEM; self-signed ones become trust anchors).
    pub client_ca: PathBuf,
    /// CRLs of every CA level (PEM). Without them every client fails with an unknown revocation status.
    #[serde(default)]
    pub crls: Vec<PathBuf>,
    /// Seconds a client may take to finish the TLS handshake.
    #[serde(default = "default_handshake_timeout")]
    pub handshake_timeout_secs: u64,
    /// Seconds between looks at the CRL and CA files: a changed file is loaded without a restart (SIGHUP
    /// reloads at once). A CRL past its nextUpdate refuses every certificate it covers (fail closed).
    #[serde(default = "default_crl_refresh")]
    pub crl_refresh_secs: u64,
}

/// Limits that keep one client from exhausting the gateway.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Largest request body accepted, bytes.
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    /// Most rows in one batch.
    #[serde(default = "default_max_rows")]
    pub max_rows: u32,
    /// Seconds a client may take to send a whole request (a half-sent request is cut off after this).
    #[serde(default = "default_request_timeout")]
    pub request_timeout_secs: u64,
    /// 补充项目材料: largest single file, bytes.
    #[serde(default = "default_material_file")]
    pub max_material_file_bytes: u64,
    /// 补充项目材料: largest total of one project's files (declared uploads included), bytes.
    #[serde(default = "default_material_project")]
    pub max_material_project_bytes: u64,
    /// Connections open at once (handshaking or established); one more is closed at once.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// TLS handshakes in flight; one more pushes out the oldest (a stalled client, most likely).
    #[serde(default = "default_max_handshakes")]
    pub max_handshakes: usize,
    /// Largest request head (request line + headers), bytes.
    #[serde(default = "default_max_header")]
    pub max_header_bytes: usize,
    /// Requests handled at once; more wait their turn before their body is read, which bounds the memory a
    /// flood of large submissions can take (each holds its body and its rows while it is checked and stored).
    #[serde(default = "default_in_flight")]
    pub max_in_flight: usize,
    /// Requests per second one certificate may make on average (per gateway instance).
    #[serde(default = "default_rate")]
    pub rate_per_second: u32,
    /// Requests one certificate may make in a burst above the average.
    #[serde(default = "default_burst")]
    pub rate_burst: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: default_max_body(),
            max_rows: default_max_rows(),
            request_timeout_secs: default_request_timeout(),
            max_material_file_bytes: default_material_file(),
            max_material_project_bytes: default_material_project(),
            max_connections: default_max_connections(),
            max_handshakes: default_max_handshakes(),
            max_header_bytes: default_max_header(),
            max_in_flight: default_in_flight(),
            rate_per_second: default_rate(),
            rate_burst: default_burst(),
        }
    }
}

fn default_utc_offset() -> i8 {
    8
}
fn default_handshake_timeout() -> u64 {
    10
}
fn default_grace() -> u64 {
    10
}
fn default_crl_refresh() -> u64 {
    60
}
// [I] A centre of 10,000 units sees a few hundred clerks at once at the month's end; 10,000 leaves room for
// keep-alive connections and fits the open-file limit the gateway raises itself to (see main.rs).
fn default_max_connections() -> usize {
    10_000
}
// A full handshake costs ~1 ms of CPU; 512 in flight is far more than 2–8 cores finish at once, so only
// stalled clients are ever pushed out.
fn default_max_handshakes() -> usize {
    512
}
// A handful per core is enough to keep 2–16 cores and the database busy; beyond that requests only queue in memory.
fn default_in_flight() -> usize {
    64
}
fn default_max_header() -> usize {
    64 * 1024
}
// A clerk's client makes a handful of requests per action; an upload sends 1 MiB chunks one after another.
fn default_rate() -> u32 {
    20
}
fn default_burst() -> u32 {
    200
}
fn default_max_body() -> usize {
    32 * 1024 * 1024
}
fn default_max_rows() -> u32 {
    100_000
}
fn default_request_timeout() -> u64 {
    120
}
// [I] A scanned permit or licence is a few MB at 300 dpi; 20 MB leaves room for a multi-page colour scan.
fn default_material_file() -> u64 {
    20 * 1024 * 1024
}
// [I] About a dozen documents per project plus buildings' 预售许可证 and 楼盘表.
fn default_material_project() -> u64 {
    200 * 1024 * 1024
}

impl Config {
    /// Reads the file and resolves relative paths against its directory.
    pub fn load(path: &Path) -> Result<Config> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("读取配置文件 {} 失败", path.display()))?;
        let mut config: Config =
            toml::from_str(&text).with_context(|| format!("配置文件 {} 格式错误", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        fix(&mut config.tls.cert);
        fix(&mut config.tls.key);
        fix(&mut config.tls.client_ca);
        config.tls.crls.iter_mut().for_each(fix);
        if let Some(u) = config.updates.as_mut() {
            fix(&mut u.dir);
        }
        if let Some(r) = config.receipt.as_mut() {
            fix(&mut r.cert);
            fix(&mut r.key);
            if let Some(f) = r.font.as_mut() {
                fix(f);
            }
        }
        if let Some(rest) = config.database_url.strip_prefix("sqlite://") {
            if !rest.starts_with('/') && !rest.starts_with(":memory:") {
                config.database_url = format!("sqlite://{}", base.join(rest).display());
            }
        }
        Ok(config)
    }
}
