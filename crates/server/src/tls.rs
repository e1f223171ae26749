//! The mTLS listener: rustls with client-certificate verification against the centre's CA bundle + CRLs
//! (reloaded without a restart), connection and handshake limits that hold under a slowloris, a stable code for
//! every refused handshake, and an accept loop that hands each connection's verified peer certificate to the
//! router.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use axum::Router;
use gjj_pki::{CertIdentity, TrustBundle};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::UnixTime;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, Semaphore};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use crate::audit::{AuditEvent, AuditLog};
use crate::config::{Limits, TlsConfig};

/// The verified client certificate of a connection.
#[derive(Debug)]
pub struct Peer {
    /// DER of the leaf certificate.
    pub cert_der: Vec<u8>,
    /// Identity read from it.
    pub identity: CertIdentity,
    /// SHA-256 of the certificate: the key of its request rate limit.
    pub fingerprint: [u8; 32],
    /// The subject DN as text (clipped), as the audit log names the certificate.
    pub subject: String,
}

impl Peer {
    /// A peer from its certificate and the identity read from it.
    pub fn new(cert_der: Vec<u8>, identity: CertIdentity) -> Peer {
        let mut fingerprint = [0u8; 32];
        fingerprint.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, &cert_der).as_ref());
        let subject = subject_text(&cert_der);
        Peer {
            cert_der,
            identity,
            fingerprint,
            subject,
        }
    }
}

/// A certificate's subject DN as text, clipped: the same spelling for refused handshakes and HTTP refusals.
fn subject_text(der: &[u8]) -> String {
    x509_parser::parse_x509_certificate(der)
        .map(|(_, c)| clip(&c.subject().to_string(), 512))
        .unwrap_or_else(|_| "(无法解析的证书)".to_owned())
}

/// The address a connection came from (the load balancer's when it does not pass the client's on).
#[derive(Clone, Copy, Debug)]
pub struct Remote(pub SocketAddr);

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

/// The client-certificate trust and the API's TLS configuration built from it, replaced as a whole when a CRL
/// or CA file changes (a CA publishes a new CRL every few hours to days; a restart for each would drop clerks'
/// connections).
#[derive(Debug)]
pub struct TlsState {
    files: TlsConfig,
    current: RwLock<(Arc<ClientTrust>, Arc<rustls::ServerConfig>)>,
    stamp: Mutex<Vec<Option<SystemTime>>>,
}

impl TlsState {
    /// Loads the files once; an error here stops the gateway's start.
    pub fn load(files: &TlsConfig) -> Result<Arc<TlsState>> {
        let trust = Arc::new(ClientTrust::load(files)?);
        let config = Arc::new(server_config(files, &trust)?);
        crl_gauge(&trust);
        Ok(Arc::new(TlsState {
            files: files.clone(),
            current: RwLock::new((trust, config)),
            stamp: Mutex::new(stamps(files)),
        }))
    }

    /// The trust now in force.
    pub fn trust(&self) -> Arc<ClientTrust> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).0.clone()
    }

    /// The API's TLS configuration now in force.
    pub fn server_config(&self) -> Arc<rustls::ServerConfig> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).1.clone()
    }

    /// Reads the files again and switches to them; on an error (a half-written CRL) the old ones stay.
    pub fn reload(&self) -> Result<()> {
        let trust = Arc::new(ClientTrust::load(&self.files)?);
        let config = Arc::new(server_config(&self.files, &trust)?);
        crl_gauge(&trust);
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = (trust, config);
        *self.stamp.lock().unwrap_or_else(|p| p.into_inner()) = stamps(&self.files);
        metrics::counter!("gjj_tls_reloads_total").increment(1);
        tracing::info!("client CA bundle and CRLs reloaded");
        Ok(())
    }

    /// Reloads when a file's modification time changed since the last load.
    pub fn reload_if_changed(&self) -> Result<bool> {
        let now = stamps(&self.files);
        if *self.stamp.lock().unwrap_or_else(|p| p.into_inner()) == now {
            return Ok(false);
        }
        self.reload()?;
        Ok(true)
    }
}

fn watched(files: &TlsConfig) -> Vec<PathBuf> {
    let mut paths = vec![files.client_ca.clone()];
    paths.extend(files.crls.iter().cloned());
    paths
}

fn stamps(files: &TlsConfig) -> Vec<Option<SystemTime>> {
    watched(files)
        .iter()
        .map(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
        .collect()
}

/// Seconds until the first CRL passes its nextUpdate: alert on it, because past it every certificate that CRL
/// covers is refused (fail closed).
fn crl_gauge(trust: &ClientTrust) {
    let soonest = trust
        .crls
        .iter()
        .map(|c| c.as_ref())
        .chain(trust.sm2_crls.iter().map(Vec::as_slice))
        .filter_map(|der| {
            x509_parser::parse_x509_crl(der)
                .ok()
                .and_then(|(_, crl)| crl.next_update().map(|t| t.timestamp()))
        })
        .min();
    if let Some(next) = soonest {
        let left = next - time::OffsetDateTime::now_utc().unix_timestamp();
        metrics::gauge!("gjj_crl_next_update_seconds").set(left as f64);
        if left < 0 {
            tracing::error!("a CRL is past its nextUpdate: every certificate it covers is refused until a new CRL is installed");
        }
    }
}

/// Builds the server TLS configuration. A client certificate is asked for and, when sent, must pass (chain,
/// CRL — fail closed past its nextUpdate —, expiry, purpose, key usage, key size); a client without one gets a
/// connection whose requests need the SM2 login ([`ChannelLogin`]) before anything else answers.
pub fn server_config(tls: &TlsConfig, trust: &ClientTrust) -> Result<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for root in &trust.bundle.roots {
        roots.add(root.clone()).context("client_ca 中的根证书无效")?;
    }
    let webpki = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .with_crls(trust.crls.iter().cloned())
        // A CRL past its nextUpdate no longer says who is revoked: refuse rather than guess.
        .enforce_revocation_expiration()
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
        .with_client_cert_verifier(Arc::new(GatewayVerifier { webpki }))
        .with_single_cert(chain, key)?;
    Ok(config)
}

/// A refusal of a client certificate by a check webpki does not make, with its stable code.
#[derive(Debug)]
pub struct CertRefusal {
    /// Stable code (audit log, metrics).
    pub code: &'static str,
    detail: String,
}

impl std::fmt::Display for CertRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.detail)
    }
}

impl std::error::Error for CertRefusal {}

fn refusal(code: &'static str, detail: impl Into<String>) -> rustls::Error {
    rustls::Error::InvalidCertificate(CertificateError::Other(rustls::OtherError(Arc::new(
        CertRefusal {
            code,
            detail: detail.into(),
        },
    ))))
}

/// The smallest RSA modulus accepted: NIST SP 800-131A and GM/T 0034 both retired 1024 bits.
const MIN_RSA_BITS: usize = 2048;

/// webpki's chain, validity, revocation and purpose checks, then what webpki leaves to the application: a
/// leaf that is a CA, a key usage without digitalSignature (a key-exchange-only certificate), a weak RSA key.
#[derive(Debug)]
struct GatewayVerifier {
    webpki: Arc<dyn ClientCertVerifier>,
}

/// What is known of the certificate of the handshake this thread just refused (for the audit event).
///
/// rustls calls the verifier inside the poll of the accept future, and the accept task reads this right after
/// that same poll returned the error, on the same thread, before it yields.
#[derive(Clone, Debug, Default)]
pub struct RefusedCert {
    /// Subject, as text.
    pub subject: String,
    /// Serial, hex.
    pub serial: String,
    /// 统一社会信用代码, when the certificate carries one.
    pub uscc: Option<String>,
}

thread_local! {
    static REFUSED: RefCell<Option<RefusedCert>> = const { RefCell::new(None) };
}

fn remember_refused(der: &[u8]) {
    let cert = match x509_parser::parse_x509_certificate(der) {
        Ok((_, c)) => RefusedCert {
            subject: subject_text(der),
            // The same spelling as the HTTP refusals' serial (CertIdentity): one query finds both.
            serial: hex::encode_upper(c.raw_serial()),
            uscc: CertIdentity::from_der(der).ok().and_then(|i| i.uscc),
        },
        Err(_) => RefusedCert {
            subject: "(无法解析的证书)".to_owned(),
            ..RefusedCert::default()
        },
    };
    REFUSED.with(|r| *r.borrow_mut() = Some(cert));
}

fn take_refused() -> Option<RefusedCert> {
    REFUSED.with(|r| r.borrow_mut().take())
}

/// At most `max` characters (a 64 KB subject must not become a 64 KB log line).
pub fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

fn extra_checks(der: &[u8]) -> Result<(), rustls::Error> {
    let (_, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
    if cert.is_ca() {
        return Err(refusal(
            "CERT_CA_AS_LEAF",
            "a CA certificate presented as a client certificate",
        ));
    }
    if let Ok(Some(ku)) = cert.key_usage() {
        if !ku.value.digital_signature() {
            return Err(refusal("CERT_KEY_USAGE", "key usage without digitalSignature"));
        }
    }
    if let Ok(x509_parser::public_key::PublicKey::RSA(rsa)) = cert.public_key().parsed() {
        if rsa.key_size() < MIN_RSA_BITS {
            return Err(refusal(
                "CERT_WEAK_KEY",
                format!("RSA-{} key (at least {MIN_RSA_BITS} required)", rsa.key_size()),
            ));
        }
    }
    Ok(())
}

impl ClientCertVerifier for GatewayVerifier {
    fn offer_client_auth(&self) -> bool {
        self.webpki.offer_client_auth()
    }

    fn client_auth_mandatory(&self) -> bool {
        self.webpki.client_auth_mandatory()
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.webpki.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let verdict = self
            .webpki
            .verify_client_cert(end_entity, intermediates, now)
            .map_err(|e| match e {
                // webpki's "CA used as end entity" comes as an opaque Other: name it.
                rustls::Error::InvalidCertificate(CertificateError::Other(_))
                    if extra_checks(end_entity).is_err() =>
                {
                    extra_checks(end_entity).err().unwrap_or(e)
                }
                e => e,
            })
            .and_then(|v| extra_checks(end_entity).map(|()| v));
        if verdict.is_err() {
            remember_refused(end_entity);
        }
        verdict
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// The stable code of a refused handshake (audit log, metrics, docs/security.md).
pub fn refusal_code(error: &std::io::Error) -> &'static str {
    let Some(tls) = error.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()) else {
        return match error.kind() {
            std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset => "TLS_CLOSED",
            _ => "TLS_IO",
        };
    };
    use rustls::Error as E;
    use CertificateError as C;
    match tls {
        E::InvalidCertificate(c) => match c {
            C::Expired | C::ExpiredContext { .. } => "CERT_EXPIRED",
            C::NotValidYet | C::NotValidYetContext { .. } => "CERT_NOT_YET_VALID",
            C::Revoked => "CERT_REVOKED",
            C::UnknownIssuer => "CERT_UNKNOWN_CA",
            C::UnknownRevocationStatus => "CERT_REVOCATION_UNKNOWN",
            C::ExpiredRevocationList | C::ExpiredRevocationListContext { .. } => "CRL_EXPIRED",
            C::InvalidPurpose | C::InvalidPurposeContext { .. } => "CERT_WRONG_PURPOSE",
            #[allow(deprecated)]
            C::BadSignature
            | C::UnsupportedSignatureAlgorithm
            | C::UnsupportedSignatureAlgorithmContext { .. }
            | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => "CERT_SIGNATURE",
            C::BadEncoding => "CERT_MALFORMED",
            C::Other(other) => other
                .0
                .downcast_ref::<CertRefusal>()
                .map_or("CERT_INVALID", |r| r.code),
            _ => "CERT_INVALID",
        },
        E::InvalidCertRevocationList(_) => "CRL_INVALID",
        E::PeerIncompatible(p) => {
            use rustls::PeerIncompatible as P;
            match p {
                // Only a TLS 1.0/1.1 (or SSL 3) ClientHello lacks signature_algorithms, and rustls refuses on
                // that before it looks at the version: name the real reason.
                P::SignatureAlgorithmsExtensionRequired
                | P::SupportedVersionsExtensionRequired
                | P::Tls12NotOffered
                | P::Tls12NotOfferedOrEnabled
                | P::ServerDoesNotSupportTls12Or13 => "TLS_VERSION",
                _ => "TLS_INCOMPATIBLE",
            }
        }
        E::InvalidMessage(m) => {
            use rustls::InvalidMessage as M;
            match m {
                M::HandshakePayloadTooLarge | M::MessageTooLarge | M::CertificatePayloadTooLarge => {
                    "TLS_MESSAGE_TOO_LARGE"
                }
                _ => "TLS_INVALID_MESSAGE",
            }
        }
        E::InappropriateHandshakeMessage { .. } | E::InappropriateMessage { .. } => "TLS_INVALID_MESSAGE",
        E::AlertReceived(_) => "TLS_ALERT_FROM_CLIENT",
        E::NoCertificatesPresented => "CERT_REQUIRED",
        _ => "TLS_REFUSED",
    }
}

/// Whether a handshake refusal is about the client's certificate or protocol (an audit event) rather than a
/// connection that just went away.
fn audited(code: &str) -> bool {
    !matches!(code, "TLS_CLOSED" | "TLS_IO" | "TLS_ALERT_FROM_CLIENT")
}

/// How one listener limits its connections.
#[derive(Clone, Debug)]
pub struct ConnLimits {
    /// Connections open at once.
    pub max_connections: usize,
    /// Handshakes in flight; one more pushes out the oldest.
    pub max_handshakes: usize,
    /// Time to finish a handshake.
    pub handshake_timeout: Duration,
    /// Largest request head.
    pub max_header_bytes: usize,
    /// After the shutdown signal, how long open connections may finish their requests.
    pub grace: Duration,
}

impl ConnLimits {
    /// The limits of the configuration.
    pub fn new(tls: &TlsConfig, limits: &Limits, grace: Duration) -> ConnLimits {
        ConnLimits {
            max_connections: limits.max_connections.max(1),
            max_handshakes: limits.max_handshakes.max(1),
            handshake_timeout: Duration::from_secs(tls.handshake_timeout_secs),
            max_header_bytes: limits.max_header_bytes.max(4096),
            grace,
        }
    }
}

/// The handshakes in flight, oldest first. Full means the next one pushes out the oldest: a slowloris of idle
/// half-open connections then only ever displaces its own, while a real client's handshake (milliseconds)
/// finishes long before the attacker could open `max` more.
#[derive(Debug)]
struct HandshakeSlots {
    max: usize,
    inner: Mutex<(u64, BTreeMap<u64, oneshot::Sender<()>>)>,
}

impl HandshakeSlots {
    fn enter(&self) -> (u64, oneshot::Receiver<()>) {
        let (tx, rx) = oneshot::channel();
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if inner.1.len() >= self.max {
            if let Some((_, oldest)) = inner.1.pop_first() {
                let _ = oldest.send(());
            }
        }
        inner.0 += 1;
        let id = inner.0;
        inner.1.insert(id, tx);
        (id, rx)
    }

    fn leave(&self, id: u64) {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).1.remove(&id);
    }
}

/// Accepts connections until `shutdown` resolves: the API. Each connection's verified client certificate goes
/// to the router as an `Extension<Arc<Peer>>`; a TLS 1.3 connection without one gets an
/// `Extension<Arc<ChannelLogin>>` for the SM2 login.
pub async fn serve(
    listener: TcpListener,
    tls: Arc<TlsState>,
    limits: ConnLimits,
    audit: AuditLog,
    app: Router,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    let header_limit = limits.max_header_bytes;
    let conn_audit = audit.clone();
    accept_loop(
        listener,
        move || tls.server_config(),
        limits,
        Some(audit),
        shutdown,
        "api",
        move |tls, remote| {
            let app = app.clone();
            let conn_audit = conn_audit.clone();
            async move {
                let conn = tls.get_ref().1;
                let mut with = Connection {
                    remote: Remote(remote),
                    peer: None,
                    login: None,
                };
                let Some(leaf) = conn
                    .peer_certificates()
                    .and_then(|c| c.first())
                    .map(|c| c.to_vec())
                else {
                    let mut exporter = [0u8; gjj_pki::sm2::EXPORTER_LEN];
                    // TLS 1.2 without a certificate gets no login: every request answers CERT_REQUIRED.
                    if conn.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3)
                        && conn
                            .export_keying_material(&mut exporter, gjj_pki::sm2::EXPORTER_LABEL, None)
                            .is_ok()
                    {
                        with.login = Some(Arc::new(ChannelLogin {
                            exporter,
                            challenge: std::sync::Mutex::new(None),
                            peer: std::sync::OnceLock::new(),
                        }));
                    }
                    tracing::debug!(%remote, "client connected without a certificate");
                    serve_http(tls, app, with, header_limit).await;
                    return;
                };
                let identity = match CertIdentity::from_der(&leaf) {
                    Ok(i) => i,
                    Err(e) => {
                        // webpki accepted it, we cannot read who it is: refused all the same, on the record.
                        tracing::info!(%remote, error = %e, "unparsable client certificate");
                        metrics::counter!("gjj_handshake_failures_total", "listener" => "api", "reason" => "CERT_MALFORMED")
                            .increment(1);
                        conn_audit.record(AuditEvent {
                            listener: "api",
                            remote: remote.to_string(),
                            code: "CERT_MALFORMED".to_owned(),
                            status: None,
                            method: None,
                            route: None,
                            cert_serial: None,
                            cert_subject: Some(subject_text(&leaf)),
                            uscc: None,
                            detail: clip(&e.to_string(), 512),
                        });
                        return;
                    }
                };
                tracing::debug!(%remote, serial = %identity.serial, "client connected");
                with.peer = Some(Arc::new(Peer::new(leaf, identity)));
                serve_http(tls, app, with, header_limit).await;
            }
        },
    )
    .await
}

/// The accept loop of every TLS listener of the gateway (`what` names it in the log and the metrics).
///
/// Each connection holds one of `max_connections` permits for its life (one more is closed at once, so the
/// kernel's backlog never fills with connections nobody will serve); each handshake runs in its own task with
/// a timeout and a slot among `max_handshakes`; a completed handshake goes to `connection`. After `shutdown`,
/// open connections get `grace` to finish their requests.
pub async fn accept_loop<C, F, Fut>(
    listener: TcpListener,
    config: C,
    limits: ConnLimits,
    audit: Option<AuditLog>,
    shutdown: impl Future<Output = ()>,
    what: &'static str,
    connection: F,
) -> Result<()>
where
    C: Fn() -> Arc<rustls::ServerConfig>,
    F: Fn(TlsStream<TcpStream>, SocketAddr) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let slots = Arc::new(HandshakeSlots {
        max: limits.max_handshakes,
        inner: Mutex::new((0, BTreeMap::new())),
    });
    tokio::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors or similar: wait a moment rather than spin on the error.
                    tracing::warn!(listener = what, error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            metrics::counter!("gjj_connections_refused_total", "listener" => what).increment(1);
            drop(stream);
            continue;
        };
        let acceptor = TlsAcceptor::from(config());
        let connection = connection.clone();
        let slots = slots.clone();
        let audit = audit.clone();
        let timeout = limits.handshake_timeout;
        tokio::spawn(async move {
            let _permit = permit;
            let _open = Gauge::up(metrics::gauge!("gjj_connections_open", "listener" => what));
            let (slot, evicted) = slots.enter();
            let handshake = {
                let _in_flight = Gauge::up(metrics::gauge!("gjj_handshakes_in_flight", "listener" => what));
                tokio::select! {
                    r = tokio::time::timeout(timeout, acceptor.accept(stream)) => Some(r),
                    _ = evicted => None,
                }
            };
            slots.leave(slot);
            let failed = |code: &'static str| {
                metrics::counter!("gjj_handshake_failures_total", "listener" => what, "reason" => code)
                    .increment(1);
            };
            match handshake {
                Some(Ok(Ok(tls))) => {
                    metrics::counter!("gjj_handshakes_total", "listener" => what).increment(1);
                    connection(tls, remote).await;
                }
                // Refused certificates end here (expired, revoked, foreign CA, wrong EKU…): the client gets
                // the TLS alert, the centre an audit event with the code.
                Some(Ok(Err(e))) => {
                    let refused = take_refused();
                    let code = refusal_code(&e);
                    failed(code);
                    tracing::info!(listener = what, %remote, code, error = %e, "TLS handshake refused");
                    if let (true, Some(audit)) = (audited(code), &audit) {
                        let cert = refused.unwrap_or_default();
                        audit.record(AuditEvent {
                            listener: what,
                            remote: remote.to_string(),
                            code: code.to_owned(),
                            status: None,
                            method: None,
                            route: None,
                            cert_serial: Some(cert.serial).filter(|s| !s.is_empty()),
                            cert_subject: Some(cert.subject).filter(|s| !s.is_empty()),
                            uscc: cert.uscc,
                            detail: clip(&e.to_string(), 512),
                        });
                    }
                }
                Some(Err(_)) => {
                    failed("HANDSHAKE_TIMEOUT");
                    tracing::debug!(listener = what, %remote, "TLS handshake timed out");
                }
                None => {
                    failed("HANDSHAKE_EVICTED");
                    tracing::debug!(listener = what, %remote, "TLS handshake pushed out by a newer one");
                }
            }
        });
    }
    // Stop taking connections; let the open ones finish what they are doing.
    drop(listener);
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(limits.grace, open.acquire_many(all)).await;
    Ok(())
}

/// A gauge raised for as long as this lives (also when the future holding it is dropped).
pub(crate) struct Gauge(metrics::Gauge);

impl Gauge {
    pub(crate) fn up(gauge: metrics::Gauge) -> Gauge {
        gauge.increment(1.0);
        Gauge(gauge)
    }
}

impl Drop for Gauge {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}

/// What a connection gives each of its requests (as request extensions): its address, its verified client
/// certificate, or its SM2 login state.
#[derive(Clone, Debug)]
pub struct Connection {
    /// Where it comes from.
    pub remote: Remote,
    /// The mTLS client certificate.
    pub peer: Option<Arc<Peer>>,
    /// The SM2 login of a connection without one.
    pub login: Option<Arc<ChannelLogin>>,
}

impl Connection {
    /// A connection that offers only its address (the updates and ops ports).
    pub fn anonymous(remote: SocketAddr) -> Connection {
        Connection {
            remote: Remote(remote),
            peer: None,
            login: None,
        }
    }
}

/// Serves HTTP/1.1 on an established TLS connection; a request head larger than `max_header_bytes` is refused
/// (431) before any handler runs, and a head not sent within 30 s closes the connection (also an idle one).
/// The connection's facts are put into each request (cheaper than a router layered per connection).
pub async fn serve_http(tls: TlsStream<TcpStream>, app: Router, with: Connection, max_header_bytes: usize) {
    let remote = with.remote.0;
    let service = tower::service_fn(move |mut req: axum::http::Request<hyper::body::Incoming>| {
        let ext = req.extensions_mut();
        ext.insert(with.remote);
        if let Some(peer) = &with.peer {
            ext.insert(peer.clone());
        }
        if let Some(login) = &with.login {
            ext.insert(login.clone());
        }
        tower::ServiceExt::oneshot(app.clone(), req)
    });
    let result = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30))
        .max_buf_size(max_header_bytes.max(8192))
        .max_headers(100)
        .serve_connection(TokioIo::new(tls), TowerToHyperService::new(service))
        .await;
    if let Err(e) = result {
        tracing::debug!(%remote, error = %e, "connection ended with an error");
    }
}
