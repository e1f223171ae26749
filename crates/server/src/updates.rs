//! The desktop app's update service (issue 6 item 5): `GET /updates/{target}/{current_version}` answers the
//! Tauri updater with 204 (nothing newer) or a signed update manifest, and `GET /updates/files/{name}` serves
//! the installer it names.
//!
//! **A separate HTTPS port without client certificates**, not a route of the mTLS API (and not under /api/v1,
//! so not in docs/openapi.json):
//! - the updater cannot log in with the USB key (the key needs the PIN, and the updater's HTTP client is its
//!   own), and an update must still reach a clerk whose certificate has expired or whose key is not inserted;
//! - nothing here is secret, and the authenticity of an installer comes from its minisign signature, checked
//!   by the app against the public key compiled into it — not from TLS. The port still uses the gateway's
//!   server certificate, so the app checks it against the centre's CA bundle like every other connection;
//! - a centre may as well serve the same directory from its web server or CDN: the layout is plain files.
//!
//! Directory (`[updates] dir` in the gateway configuration), written by `cargo xtask dist`:
//! ```text
//! windows-x86_64.json   {"version": "0.2.0", "notes": "…", "pub_date": "2026-12-01T00:00:00Z",
//!                        "file": "gjj-hall_0.2.0_x64-setup.exe"}
//! linux-x86_64.json     the same for the .deb
//! files/gjj-hall_0.2.0_x64-setup.exe
//! files/gjj-hall_0.2.0_x64-setup.exe.sig    (`tauri signer sign` output)
//! ```
//! Files are read on every request: publishing a release is copying files, no restart.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;

use crate::config::{TlsConfig, UpdatesConfig};
use crate::http::HttpError;

/// What the centre publishes for one target (`<dir>/<target>.json`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Semantic version of the release.
    pub version: String,
    /// Release notes shown to the user.
    #[serde(default)]
    pub notes: Option<String>,
    /// RFC 3339 publication time.
    #[serde(default)]
    pub pub_date: Option<String>,
    /// Installer file name under `files/`; its signature is `files/<file>.sig`.
    pub file: String,
}

/// The Tauri updater's "dynamic" answer.
#[derive(Debug, Serialize)]
struct Answer {
    version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    notes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub_date: Option<String>,
    url: String,
    signature: String,
}

#[derive(Clone, Debug)]
struct UpdatesState {
    dir: PathBuf,
    public_url: Option<String>,
}

/// The update router.
pub fn app(config: &UpdatesConfig) -> Router {
    let state = Arc::new(UpdatesState {
        dir: config.dir.clone(),
        public_url: config
            .public_url
            .as_deref()
            .map(|u| u.trim_end_matches('/').to_owned()),
    });
    Router::new()
        .route("/updates/files/{name}", get(file))
        .route("/updates/{target}/{current_version}", get(manifest))
        .fallback(|| async {
            HttpError::new(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                "更新服务没有这个地址。请确认 IT 配置的更新地址（update_url）只写到端口为止。",
            )
        })
        .with_state(state)
}

/// A file or target name: letters, digits, `.`, `_`, `-`; never a path.
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn internal(what: String) -> HttpError {
    tracing::error!("update service: {what}");
    HttpError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "UPDATE_UNAVAILABLE",
        "中心的更新服务暂时不可用，当前版本可继续使用。",
    )
}

async fn manifest(
    State(state): State<Arc<UpdatesState>>,
    UrlPath((target, current)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    if !plain_name(&target) {
        return Err(HttpError::new(
            StatusCode::BAD_REQUEST,
            "UPDATE_BAD_TARGET",
            format!("平台名“{target}”无效（应如 windows-x86_64）。"),
        ));
    }
    let current = semver::Version::parse(&current).map_err(|_| {
        HttpError::new(
            StatusCode::BAD_REQUEST,
            "UPDATE_BAD_VERSION",
            format!("版本号“{current}”无效（应如 0.1.0）。"),
        )
    })?;
    let path = state.dir.join(format!("{target}.json"));
    let text = match tokio::fs::read_to_string(&path).await {
        Ok(t) => t,
        // Nothing published for this platform: nothing newer.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(StatusCode::NO_CONTENT.into_response())
        }
        Err(e) => return Err(internal(format!("{}: {e}", path.display()))),
    };
    let m: Manifest = serde_json::from_str(&text)
        .map_err(|e| internal(format!("{} is not a manifest: {e}", path.display())))?;
    let latest = semver::Version::parse(&m.version)
        .map_err(|e| internal(format!("{}: version {:?}: {e}", path.display(), m.version)))?;
    if latest <= current {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    if !plain_name(&m.file) {
        return Err(internal(format!(
            "{}: file {:?} is not a plain name",
            path.display(),
            m.file
        )));
    }
    let files = state.dir.join("files");
    if !files.join(&m.file).is_file() {
        return Err(internal(format!("{}: {} is missing", path.display(), m.file)));
    }
    // Never announce an unsigned installer: the app would refuse it anyway, after downloading it.
    let sig_path = files.join(format!("{}.sig", m.file));
    let signature = tokio::fs::read_to_string(&sig_path)
        .await
        .map_err(|e| internal(format!("{}: {e}", sig_path.display())))?
        .trim()
        .to_owned();
    let base = match &state.public_url {
        Some(u) => u.clone(),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .filter(|h| plain_host(h))
                .ok_or_else(|| {
                    HttpError::new(
                        StatusCode::BAD_REQUEST,
                        "UPDATE_BAD_HOST",
                        "请求缺少有效的 Host。",
                    )
                })?;
            format!("https://{host}")
        }
    };
    Ok(Json(Answer {
        version: latest.to_string(),
        notes: m.notes,
        pub_date: m.pub_date,
        url: format!("{base}/updates/files/{}", m.file),
        signature,
    })
    .into_response())
}

/// host[:port] or [v6]:port, nothing that could change the URL's path.
fn plain_host(h: &str) -> bool {
    !h.is_empty()
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}

async fn file(
    State(state): State<Arc<UpdatesState>>,
    UrlPath(name): UrlPath<String>,
) -> Result<Response, HttpError> {
    let not_found = || {
        HttpError::new(
            StatusCode::NOT_FOUND,
            "UPDATE_FILE_NOT_FOUND",
            format!("更新文件 {name} 不存在。"),
        )
    };
    if !plain_name(&name) {
        return Err(not_found());
    }
    let path = state.dir.join("files").join(&name);
    // Installers are tens of MB at most; reading whole keeps this free of streaming machinery.
    match tokio::fs::read(&path).await {
        Ok(bytes) => Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(not_found()),
        Err(e) => Err(internal(format!("{}: {e}", path.display()))),
    }
}

/// TLS with the gateway's server certificate and **no** client certificate request.
pub fn server_config(tls: &TlsConfig) -> Result<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = CertificateDer::pem_file_iter(&tls.cert)
        .with_context(|| format!("读取服务器证书 {}", tls.cert.display()))?
        .collect::<Result<Vec<_>, _>>()?;
    let key = PrivateKeyDer::from_pem_file(&tls.key)
        .with_context(|| format!("读取服务器私钥 {}", tls.key.display()))?;
    Ok(rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_single_cert(chain, key)?)
}

/// Accepts connections until `shutdown` resolves (no client certificate asked: see the module doc).
pub async fn serve(
    listener: TcpListener,
    tls: rustls::ServerConfig,
    limits: crate::tls::ConnLimits,
    app: Router,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    let tls = Arc::new(tls);
    let header_limit = limits.max_header_bytes;
    crate::tls::accept_loop(
        listener,
        move || tls.clone(),
        limits,
        None,
        shutdown,
        "updates",
        move |tls, remote| {
            crate::tls::serve_http(
                tls,
                app.clone(),
                crate::tls::Connection::anonymous(remote),
                header_limit,
            )
        },
    )
    .await
}

/// Checks the directory at start, so that a typo in the configuration shows before the first client asks.
pub fn check_dir(dir: &Path) -> Result<()> {
    anyhow::ensure!(
        dir.is_dir(),
        "更新目录 {} 不存在：请创建它（可为空），或从配置中删除 [updates]",
        dir.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    fn router(dir: &Path, public_url: Option<&str>) -> Router {
        app(&UpdatesConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            dir: dir.to_path_buf(),
            public_url: public_url.map(str::to_owned),
        })
    }

    async fn get(app: &Router, uri: &str) -> (StatusCode, Vec<u8>) {
        let res = app
            .clone()
            .oneshot(
                Request::get(uri)
                    .header("host", "wt.example.gov.cn:8444")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        let status = res.status();
        let body = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
        (status, body.to_vec())
    }

    fn publish(dir: &Path, version: &str, sig: bool) {
        std::fs::create_dir_all(dir.join("files")).unwrap();
        let file = format!("gjj-hall_{version}_x64-setup.exe");
        std::fs::write(dir.join("files").join(&file), b"MZ installer").unwrap();
        if sig {
            std::fs::write(dir.join("files").join(format!("{file}.sig")), "c2lnbmF0dXJl\n").unwrap();
        }
        std::fs::write(
            dir.join("windows-x86_64.json"),
            format!(r#"{{"version":"{version}","notes":"修正若干问题","file":"{file}"}}"#),
        )
        .unwrap();
    }

    #[tokio::test]
    async fn newer_version_gets_a_signed_manifest_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        publish(dir.path(), "0.2.0", true);
        let app = router(dir.path(), None);
        let (status, body) = get(&app, "/updates/windows-x86_64/0.1.0").await;
        assert_eq!(status, StatusCode::OK);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["version"], "0.2.0");
        assert_eq!(v["signature"], "c2lnbmF0dXJl", "the .sig file, trimmed");
        assert_eq!(v["notes"], "修正若干问题");
        assert_eq!(
            v["url"],
            "https://wt.example.gov.cn:8444/updates/files/gjj-hall_0.2.0_x64-setup.exe"
        );
        let (status, bytes) = get(&app, "/updates/files/gjj-hall_0.2.0_x64-setup.exe").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(bytes, b"MZ installer");
        // A configured public URL wins over the Host header.
        let app = router(dir.path(), Some("https://updates.example.gov.cn/"));
        let (_, body) = get(&app, "/updates/windows-x86_64/0.1.0").await;
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            v["url"],
            "https://updates.example.gov.cn/updates/files/gjj-hall_0.2.0_x64-setup.exe"
        );
    }

    #[tokio::test]
    async fn same_or_newer_client_or_unknown_platform_gets_204() {
        let dir = tempfile::tempdir().unwrap();
        publish(dir.path(), "0.2.0", true);
        let app = router(dir.path(), None);
        for uri in [
            "/updates/windows-x86_64/0.2.0",
            "/updates/windows-x86_64/0.3.0-beta.1",
            "/updates/linux-x86_64/0.1.0",
        ] {
            let (status, body) = get(&app, uri).await;
            assert_eq!(status, StatusCode::NO_CONTENT, "{uri}");
            assert!(body.is_empty());
        }
        // 0.2.0-rc.1 < 0.2.0 (semver): the release is offered.
        assert_eq!(
            get(&app, "/updates/windows-x86_64/0.2.0-rc.1").await.0,
            StatusCode::OK
        );
    }

    #[tokio::test]
    async fn bad_input_and_unsigned_releases_are_refused_in_json() {
        let dir = tempfile::tempdir().unwrap();
        publish(dir.path(), "0.2.0", false);
        let app = router(dir.path(), None);
        let (status, body) = get(&app, "/updates/windows-x86_64/0.1.0").await;
        assert_eq!(
            status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "no .sig: never announced"
        );
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["code"], "UPDATE_UNAVAILABLE");
        let (status, body) = get(&app, "/updates/windows-x86_64/v1").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(String::from_utf8(body).unwrap().contains("UPDATE_BAD_VERSION"));
        assert_eq!(
            get(&app, "/updates/..%2Fsecret/0.1.0").await.0,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            get(&app, "/updates/files/..%2Fwindows-x86_64.json").await.0,
            StatusCode::NOT_FOUND
        );
        let (status, body) = get(&app, "/api/v1/me").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "the API is not on this port");
        assert!(String::from_utf8(body).unwrap().contains("NOT_FOUND"));
    }
}
