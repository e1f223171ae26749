//! The mTLS listener: rustls with client-certificate verification against the centre's CA bundle + CRLs,
//! and an accept loop that hands each connection's verified peer certificate to the router.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::{Extension, Router};
use gjj_pki::{CertIdentity, TrustBundle};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use crate::config::TlsConfig;

/// The verified client certificate of a connection.
#[derive(Debug)]
pub struct Peer {
    /// DER of the leaf certificate.
    pub cert_der: Vec<u8>,
    /// Identity read from it.
    pub identity: CertIdentity,
}

/// A connection without a client certificate: TLS 1.3 with server authentication, on which an SM2 (国密) key
/// logs in by signing the gateway's challenge together with this connection's exporter value (RFC 9266).
/// The login holds for this connection only: it lives here, not in a token the client could carry elsewhere.
#[derive(Debug)]
pub struct ChannelLogin {
    /// `EXPORTER-Channel-Binding` of this connection.
    pub exporter: [u8; gjj_pki::sm2::EXPORTER_LEN],
    /// The outstanding one-time challenge and when it was issued.
    pub challenge: std::sync::Mutex<Option<([u8; 32], std::time::Instant)>>,
    /// Set once by a successful login.
    pub peer: std::sync::OnceLock<Arc<Peer>>,
}

/// The centre's trust for client certificates: the bundle and CRLs, with the SM2 ones apart (webpki cannot
/// check SM2 signatures; [`gjj_pki::sm2`] checks SM2 certificates against them at the SM2 login).
#[derive(Debug)]
pub struct ClientTrust {
    /// The CA bundle.
    pub bundle: TrustBundle,
    /// RSA/ECDSA CRLs, for webpki.
    pub crls: Vec<CertificateRevocationListDer<'static>>,
    /// SM2 CRLs (DER), for the SM2 login.
    pub sm2_crls: Vec<Vec<u8>>,
}

impl ClientTrust {
    /// Reads `client_ca` and `crls`.
    pub fn load(tls: &TlsConfig) -> Result<ClientTrust> {
        let bundle = TrustBundle::from_pem_file(&tls.client_ca)?;
        let (mut crls, mut sm2_crls) = (Vec::new(), Vec::new());
        for path in &tls.crls {
            for crl in CertificateRevocationListDer::pem_file_iter(path)
                .with_context(|| format!("读取 CRL {}", path.display()))?
            {
                let crl = crl.with_context(|| format!("CRL {} 格式错误", path.display()))?;
                if gjj_pki::sm2::is_sm2_crl(&crl) {
                    sm2_crls.push(crl.to_vec());
                } else {
                    crls.push(crl);
                }
            }
        }
        Ok(ClientTrust {
            bundle,
            crls,
            sm2_crls,
        })
    }
}

/// Builds the server TLS configuration. A client certificate is asked for and, when sent, must pass (chain,
/// CRL, expiry, purpose); a client without one gets a connection whose requests need the SM2 login
/// ([`ChannelLogin`]) before anything else answers.
pub fn server_config(tls: &TlsConfig, trust: &ClientTrust) -> Result<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for root in &trust.bundle.roots {
        roots.add(root.clone()).context("client_ca 中的根证书无效")?;
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .with_crls(trust.crls.iter().cloned())
        .allow_unauthenticated()
        .build()
        .context("客户端证书校验器配置错误")?;
    let chain = CertificateDer::pem_file_iter(&tls.cert)
        .with_context(|| format!("读取服务器证书 {}", tls.cert.display()))?
        .collect::<Result<Vec<_>, _>>()?;
    let key = PrivateKeyDer::from_pem_file(&tls.key)
        .with_context(|| format!("读取服务器私钥 {}", tls.key.display()))?;
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)?;
    Ok(config)
}

/// Accepts connections until `shutdown` resolves: the API. Each connection's verified client certificate goes
/// to the router as an `Extension<Arc<Peer>>`; a TLS 1.3 connection without one gets an
/// `Extension<Arc<ChannelLogin>>` for the SM2 login.
pub async fn serve(
    listener: TcpListener,
    tls: rustls::ServerConfig,
    handshake_timeout: Duration,
    app: Router,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    accept_loop(
        listener,
        tls,
        handshake_timeout,
        shutdown,
        "api",
        move |tls, remote| {
            let app = app.clone();
            async move {
                let conn = tls.get_ref().1;
                let Some(leaf) = conn
                    .peer_certificates()
                    .and_then(|c| c.first())
                    .map(|c| c.to_vec())
                else {
                    let mut exporter = [0u8; gjj_pki::sm2::EXPORTER_LEN];
                    let app = if conn.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3)
                        && conn
                            .export_keying_material(&mut exporter, gjj_pki::sm2::EXPORTER_LABEL, None)
                            .is_ok()
                    {
                        app.layer(Extension(Arc::new(ChannelLogin {
                            exporter,
                            challenge: std::sync::Mutex::new(None),
                            peer: std::sync::OnceLock::new(),
                        })))
                    } else {
                        // TLS 1.2 without a certificate: every request answers CERT_REQUIRED.
                        app
                    };
                    tracing::debug!(%remote, "client connected without a certificate");
                    serve_http(tls, app, remote).await;
                    return;
                };
                let identity = match CertIdentity::from_der(&leaf) {
                    Ok(i) => i,
                    Err(e) => {
                        tracing::info!(%remote, error = %e, "unparsable client certificate");
                        return;
                    }
                };
                tracing::debug!(%remote, serial = %identity.serial, "client connected");
                let peer = Arc::new(Peer {
                    cert_der: leaf,
                    identity,
                });
                serve_http(tls, app.layer(Extension(peer)), remote).await;
            }
        },
    )
    .await
}

/// The accept loop of every TLS listener of the gateway (`what` names it in the log). Each handshake runs in
/// its own task with a timeout, so a client that stalls mid-handshake holds nothing but its own task; a
/// completed handshake goes to `connection`.
pub async fn accept_loop<F, Fut>(
    listener: TcpListener,
    tls: rustls::ServerConfig,
    handshake_timeout: Duration,
    shutdown: impl Future<Output = ()>,
    what: &'static str,
    connection: F,
) -> Result<()>
where
    F: Fn(TlsStream<TcpStream>, SocketAddr) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let acceptor = TlsAcceptor::from(Arc::new(tls));
    tokio::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(listener = what, error = %e, "accept failed");
                    continue;
                }
            },
            () = &mut shutdown => return Ok(()),
        };
        let acceptor = acceptor.clone();
        let connection = connection.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(handshake_timeout, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => connection(tls, remote).await,
                // Refused certificates end here (expired, revoked, foreign CA, wrong EKU): the client gets
                // the TLS alert, we keep one line for IT.
                Ok(Err(e)) => tracing::info!(listener = what, %remote, error = %e, "TLS handshake refused"),
                Err(_) => tracing::info!(listener = what, %remote, "TLS handshake timed out"),
            }
        });
    }
}

/// Serves HTTP/1.1 on an established TLS connection.
pub async fn serve_http(tls: TlsStream<TcpStream>, app: Router, remote: SocketAddr) {
    let result = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30))
        .serve_connection(TokioIo::new(tls), TowerToHyperService::new(app))
        .await;
    if let Err(e) = result {
        tracing::debug!(%remote, error = %e, "connection ended with an error");
    }
}
