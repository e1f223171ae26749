//! The transport of an SM2 (国密) session. TLS cannot carry an SM2 client key, so the session keeps one TLS 1.3
//! connection (server authentication only, the centre's CA the only trust anchor) on which the key signs the
//! gateway's challenge together with this connection's exporter value; every request of the session then goes
//! over that connection. reqwest hides the exporter and pools connections, hence hyper directly.
//!
//! When the connection drops (idle timeout, network), the next request connects and logs in again: the key
//! stays logged in for the session, so that costs one signature and no PIN.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use gjj_domain::api::{Me, Sm2Challenge, Sm2Login};
use gjj_pki::Credential;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::ClientError;

/// An answer: status, headers, whole body.
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// One channel-bound connection per session.
pub(crate) struct Bound {
    tls: tokio_rustls::TlsConnector,
    server_name: ServerName<'static>,
    /// `host:port` of the centre (the Host header and the CONNECT target).
    authority: String,
    /// `host:port` of an HTTP proxy to tunnel through.
    proxy: Option<String>,
    credential: Credential,
    timeout: Duration,
    conn: tokio::sync::Mutex<Option<SendRequest<Full<Bytes>>>>,
}

impl std::fmt::Debug for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bound")
            .field("authority", &self.authority)
            .finish()
    }
}

impl Bound {
    /// A transport to `server` (an https URL) for an SM2 credential; connects on the first request.
    pub(crate) fn new(
        server: &str,
        tls: rustls::ClientConfig,
        credential: Credential,
        proxy: Option<&str>,
        timeout: Duration,
    ) -> Result<Bound, ClientError> {
        let url = reqwest::Url::parse(server)
            .map_err(|e| ClientError::Protocol(format!("中心地址“{server}”无效（{e}）")))?;
        let host = url
            .host_str()
            .ok_or_else(|| ClientError::Protocol(format!("中心地址“{server}”没有主机名")))?;
        let port = url.port_or_known_default().unwrap_or(443);
        let server_name = ServerName::try_from(host.trim_matches(['[', ']']).to_owned())
            .map_err(|e| ClientError::Protocol(format!("中心主机名“{host}”无效（{e}）")))?;
        let proxy = match proxy.map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => {
                let u = reqwest::Url::parse(p).map_err(|e| {
                    ClientError::Protocol(format!(
                        "代理地址“{p}”无效（{e}）。请在设置中改正或请 IT 检查统一配置"
                    ))
                })?;
                let h = u
                    .host_str()
                    .ok_or_else(|| ClientError::Protocol(format!("代理地址“{p}”没有主机名")))?;
                Some(format!("{h}:{}", u.port_or_known_default().unwrap_or(8080)))
            }
            None => None,
        };
        Ok(Bound {
            tls: tokio_rustls::TlsConnector::from(Arc::new(tls)),
            server_name,
            authority: format!("{host}:{port}"),
            proxy,
            credential,
            timeout,
            conn: tokio::sync::Mutex::new(None),
        })
    }

    /// Sends one request on the logged-in connection (connecting and logging in first when needed).
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        headers: HeaderMap,
        body: Vec<u8>,
    ) -> Result<Reply, ClientError> {
        let mut slot = self.conn.lock().await;
        let reusable = slot.as_mut().is_some_and(|s| !s.is_closed());
        if !reusable {
            *slot = None;
            *slot = Some(self.connect().await?);
        }
        let Some(sender) = slot.as_mut() else {
            return Err(ClientError::Network("连接未建立".into()));
        };
        let request = self.request(method, path, headers, body)?;
        let result = tokio::time::timeout(self.timeout, exchange(sender, request)).await;
        match result {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(e)) => {
                *slot = None;
                Err(e)
            }
            Err(_) => {
                *slot = None;
                Err(ClientError::Network("中心在规定时间内没有应答".into()))
            }
        }
    }

    fn request(
        &self,
        method: Method,
        path: &str,
        headers: HeaderMap,
        body: Vec<u8>,
    ) -> Result<Request<Full<Bytes>>, ClientError> {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(http::header::HOST, &self.authority)
            .header(
                http::header::USER_AGENT,
                concat!("gjj-client/", env!("CARGO_PKG_VERSION")),
            )
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| ClientError::Protocol(e.to_string()))?;
        request.headers_mut().extend(headers);
        Ok(request)
    }

    /// TCP (through the proxy's CONNECT tunnel if any), TLS 1.3, then the SM2 login bound to this connection.
    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, ClientError> {
        let tcp = tokio::time::timeout(Duration::from_secs(15), self.tcp())
            .await
            .map_err(|_| ClientError::Network(format!("连接 {} 超时", self.authority)))??;
        let tls = tokio::time::timeout(
            Duration::from_secs(30),
            self.tls.connect(self.server_name.clone(), tcp),
        )
        .await
        .map_err(|_| ClientError::Network("TLS 握手超时".into()))?
        .map_err(|e| ClientError::from_transport(&e, self.credential.identity()))?;
        let mut exporter = [0u8; gjj_pki::sm2::EXPORTER_LEN];
        tls.get_ref()
            .1
            .export_keying_material(&mut exporter, gjj_pki::sm2::EXPORTER_LABEL, None)
            .map_err(|e| ClientError::Protocol(format!("TLS 导出值不可用（{e}）")))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| ClientError::Network(e.to_string()))?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "SM2 session connection ended");
            }
        });

        let reply = exchange(
            &mut sender,
            self.request(Method::POST, "/api/v1/sm2/challenge", json(), b"{}".to_vec())?,
        )
        .await?;
        let challenge: Sm2Challenge = parse(reply)?;
        let b64 = base64::engine::general_purpose::STANDARD;
        let challenge = b64
            .decode(&challenge.challenge)
            .map_err(|e| ClientError::Protocol(format!("登录挑战格式错误（{e}）")))?;
        // The USB key signs on a blocking thread: a vendor driver may show its own dialog.
        let credential = self.credential.clone();
        let signature = tokio::task::spawn_blocking(move || credential.sign_login(&challenge, &exporter))
            .await
            .map_err(|e| ClientError::Protocol(e.to_string()))??;
        let login = Sm2Login {
            certificate: b64.encode(self.credential.leaf()),
            signature: b64.encode(signature),
        };
        let body = serde_json::to_vec(&login).map_err(|e| ClientError::Protocol(e.to_string()))?;
        let reply = exchange(
            &mut sender,
            self.request(Method::POST, "/api/v1/sm2/login", json(), body)?,
        )
        .await?;
        let me: Me = parse(reply)?;
        tracing::info!(serial = %me.certificate_serial, "SM2 login bound to the connection");
        Ok(sender)
    }

    async fn tcp(&self) -> Result<TcpStream, ClientError> {
        let Some(proxy) = &self.proxy else {
            return TcpStream::connect(&self.authority)
                .await
                .map_err(|e| ClientError::Network(format!("{}：{e}", self.authority)));
        };
        let mut tcp = TcpStream::connect(proxy)
            .await
            .map_err(|e| ClientError::Network(format!("代理 {proxy}：{e}")))?;
        let target = &self.authority;
        tcp.write_all(format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n").as_bytes())
            .await
            .map_err(|e| ClientError::Network(format!("代理 {proxy}：{e}")))?;
        // Read the proxy's answer up to the blank line, byte by byte so nothing of the TLS stream is consumed.
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            if head.len() > 8192 {
                return Err(ClientError::Network(format!("代理 {proxy} 的应答过长")));
            }
            let byte = tcp
                .read_u8()
                .await
                .map_err(|e| ClientError::Network(format!("代理 {proxy}：{e}")))?;
            head.push(byte);
        }
        let status_line = String::from_utf8_lossy(&head);
        let ok = status_line
            .split_whitespace()
            .nth(1)
            .is_some_and(|code| code == "200");
        if !ok {
            let first = status_line.lines().next().unwrap_or_default().to_owned();
            return Err(ClientError::Network(format!(
                "代理 {proxy} 拒绝建立到中心的隧道（{first}）。请 IT 检查代理设置"
            )));
        }
        Ok(tcp)
    }
}

fn json() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    headers
}

async fn exchange(
    sender: &mut SendRequest<Full<Bytes>>,
    request: Request<Full<Bytes>>,
) -> Result<Reply, ClientError> {
    sender
        .ready()
        .await
        .map_err(|e| ClientError::Network(e.to_string()))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| ClientError::Network(e.to_string()))?;
    let (parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|e| ClientError::Network(e.to_string()))?
        .to_bytes();
    Ok(Reply {
        status: parts.status,
        headers: parts.headers,
        body,
    })
}

/// A JSON answer, or the centre's error.
fn parse<T: serde::de::DeserializeOwned>(reply: Reply) -> Result<T, ClientError> {
    if reply.status.is_success() {
        return serde_json::from_slice(&reply.body).map_err(|e| ClientError::Protocol(e.to_string()));
    }
    Err(crate::session::api_error(reply.status, &reply.body))
}
