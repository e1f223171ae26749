//! A certificate plus a key that can sign: the client's identity in the TLS handshake and in detached
//! submission signatures. The key may live on a token ([`crate::pkcs11`]) or in memory ([`crate::pfx`]).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rustls::client::ResolvesClientCert;
use rustls::sign::{CertifiedKey, Signer, SigningKey};
use rustls::{SignatureAlgorithm, SignatureScheme};
use rustls_pki_types::CertificateDer;

use crate::detached::{DetachedSignature, SigAlg};
use crate::{CertIdentity, PkiError, TrustBundle};

/// DER prefix of DigestInfo{sha256} for RSA PKCS#1 v1.5 signatures made with raw CKM_RSA_PKCS.
pub(crate) const PKCS1_SHA256_DIGEST_INFO: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
    0x04, 0x20,
];

/// Something that signs with a private key it does not reveal.
pub trait KeySigner: Send + Sync + fmt::Debug {
    /// Schemes this key can sign with, most preferred first (SHA-256 only: many tokens refuse larger hashes).
    fn schemes(&self) -> &[SignatureScheme];
    /// The key's algorithm family.
    fn algorithm(&self) -> SignatureAlgorithm;
    /// Signs `message` (the whole message; the signer hashes it).
    fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, PkiError>;
    /// Where the key lives, for messages ("USB key“…”", "证书文件 …").
    fn describe(&self) -> String;
    /// An SM2 (国密) key: signs SM2-with-SM3 (the scheme argument is ignored) and logs in through the
    /// channel-bound login ([`crate::sm2::login_message`]), since TLS cannot carry it.
    fn sm2(&self) -> bool {
        false
    }
}

struct Inner {
    leaf: CertificateDer<'static>,
    identity: CertIdentity,
    signer: Arc<dyn KeySigner>,
    handshake_signatures: AtomicU64,
    detached_signatures: AtomicU64,
}

/// A logged-in identity. Cheap to clone; all clones share the key and the counters.
#[derive(Clone)]
pub struct Credential {
    inner: Arc<Inner>,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("name", &self.inner.identity.name)
            .field("key", &self.inner.signer)
            .finish()
    }
}

impl Credential {
    /// Pairs a certificate with its signer.
    pub fn new(leaf: CertificateDer<'static>, signer: Arc<dyn KeySigner>) -> Result<Credential, PkiError> {
        let identity = CertIdentity::from_der(&leaf)?;
        Ok(Credential {
            inner: Arc::new(Inner {
                leaf,
                identity,
                signer,
                handshake_signatures: AtomicU64::new(0),
                detached_signatures: AtomicU64::new(0),
            }),
        })
    }

    /// Who the certificate says it is.
    pub fn identity(&self) -> &CertIdentity {
        &self.inner.identity
    }

    /// The DER leaf certificate.
    pub fn leaf(&self) -> &CertificateDer<'static> {
        &self.inner.leaf
    }

    /// Where the key lives.
    pub fn key_description(&self) -> String {
        self.inner.signer.describe()
    }

    /// Schemes the key signs with.
    pub fn schemes(&self) -> &[SignatureScheme] {
        self.inner.signer.schemes()
    }

    /// An SM2 key: no client certificate in TLS; the session logs in with a channel-bound signature instead.
    pub fn is_sm2(&self) -> bool {
        self.inner.signer.sm2()
    }

    /// Signs the channel-bound SM2 login ([`crate::sm2::login_message`]) of one TLS connection.
    pub fn sign_login(&self, challenge: &[u8], exporter: &[u8]) -> Result<Vec<u8>, PkiError> {
        if !self.is_sm2() {
            return Err(PkiError::UnsupportedKey("只有国密 SM2 密钥使用签名登录".into()));
        }
        self.inner.signer.sign(
            SignatureScheme::Unknown(0),
            &crate::sm2::login_message(challenge, exporter),
        )
    }

    /// True when the key can only make RSA PKCS#1 signatures, which TLS 1.3 forbids: connect with TLS 1.2.
    pub fn tls12_only(&self) -> bool {
        !self.is_sm2()
            && !self.schemes().iter().any(|s| {
                matches!(
                    s,
                    SignatureScheme::ECDSA_NISTP256_SHA256
                        | SignatureScheme::RSA_PSS_SHA256
                        | SignatureScheme::RSA_PSS_SHA384
                        | SignatureScheme::RSA_PSS_SHA512
                )
            })
    }

    /// Signatures made by the key for TLS handshakes since login.
    pub fn handshake_signatures(&self) -> u64 {
        self.inner.handshake_signatures.load(Ordering::Relaxed)
    }

    /// Detached signatures made since login.
    pub fn detached_signatures(&self) -> u64 {
        self.inner.detached_signatures.load(Ordering::Relaxed)
    }

    /// Signs a submission payload (non-repudiation) with the key's preferred scheme.
    pub fn sign_detached(&self, payload: &[u8]) -> Result<DetachedSignature, PkiError> {
        if self.is_sm2() {
            let signature = self.inner.signer.sign(SignatureScheme::Unknown(0), payload)?;
            self.inner.detached_signatures.fetch_add(1, Ordering::Relaxed);
            return Ok(DetachedSignature {
                alg: SigAlg::Sm2Sm3,
                signature,
            });
        }
        let scheme = *self
            .schemes()
            .first()
            .ok_or_else(|| PkiError::UnsupportedKey("无可用签名算法".into()))?;
        let alg =
            SigAlg::from_scheme(scheme).ok_or_else(|| PkiError::UnsupportedKey(format!("{scheme:?}")))?;
        let signature = self.inner.signer.sign(scheme, payload)?;
        self.inner.detached_signatures.fetch_add(1, Ordering::Relaxed);
        Ok(DetachedSignature { alg, signature })
    }

    /// A rustls client configuration that trusts only the centre's bundle and authenticates with this key.
    ///
    /// TLS 1.2 only when the key cannot sign RSA-PSS; otherwise TLS 1.3 preferred. Session resumption stays on
    /// (rustls' default in-memory cache), so a reconnect within a login does not need the token again.
    /// An SM2 key gets TLS 1.3 with server authentication only: it logs in over the connection afterwards,
    /// bound to the connection's exporter, which TLS 1.3 makes safe without more negotiation.
    pub fn client_config(&self, trust: &TrustBundle) -> Result<rustls::ClientConfig, PkiError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let roots = roots_of(trust)?;
        if self.is_sm2() {
            return Ok(rustls::ClientConfig::builder_with_provider(provider)
                .with_protocol_versions(&[&rustls::version::TLS13])
                .map_err(|e| PkiError::UnsupportedKey(e.to_string()))?
                .with_root_certificates(roots)
                .with_no_client_auth());
        }
        let versions: &[&rustls::SupportedProtocolVersion] = if self.tls12_only() {
            &[&rustls::version::TLS12]
        } else {
            &[&rustls::version::TLS13, &rustls::version::TLS12]
        };
        let mut chain = vec![self.inner.leaf.clone()];
        chain.extend(trust.intermediates.iter().cloned());
        let certified = Arc::new(CertifiedKey::new(chain, Arc::new(RustlsKey(self.clone()))));
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .map_err(|e| PkiError::UnsupportedKey(e.to_string()))?
            .with_root_certificates(roots)
            .with_client_cert_resolver(Arc::new(Resolver(certified)));
        Ok(config)
    }
}

/// The centre's RSA/ECDSA roots and intermediates as a rustls store (the SM2 chains never go to rustls).
fn roots_of(trust: &TrustBundle) -> Result<rustls::RootCertStore, PkiError> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in trust.all() {
        roots
            .add(cert.clone())
            .map_err(|e| PkiError::CertificateInvalid(e.to_string()))?;
    }
    Ok(roots)
}

#[derive(Debug)]
struct Resolver(Arc<CertifiedKey>);

impl ResolvesClientCert for Resolver {
    fn resolve(&self, _hints: &[&[u8]], sigschemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        // Offer the certificate only when the server accepts one of our schemes; otherwise the server's
        // refusal names the real problem instead of a signature failure.
        self.0.key.choose_scheme(sigschemes).map(|_| self.0.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

#[derive(Debug)]
struct RustlsKey(Credential);

impl SigningKey for RustlsKey {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        let scheme = self.0.schemes().iter().find(|s| offered.contains(s))?;
        Some(Box::new(RustlsSigner {
            cred: self.0.clone(),
            scheme: *scheme,
        }))
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        self.0.inner.signer.algorithm()
    }
}

#[derive(Debug)]
struct RustlsSigner {
    cred: Credential,
    scheme: SignatureScheme,
}

impl Signer for RustlsSigner {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rustls::Error> {
        let sig = self
            .cred
            .inner
            .signer
            .sign(self.scheme, message)
            .map_err(|e| rustls::Error::General(e.to_string()))?;
        self.cred
            .inner
            .handshake_signatures
            .fetch_add(1, Ordering::Relaxed);
        Ok(sig)
    }

    fn scheme(&self) -> SignatureScheme {
        self.scheme
    }
}

/// Re-encodes a raw PKCS#11 ECDSA signature (r || s) as the DER `Ecdsa-Sig-Value` TLS expects.
pub(crate) fn der_ecdsa_signature(raw: &[u8]) -> Result<Vec<u8>, PkiError> {
    if raw.is_empty() || raw.len() % 2 != 0 {
        return Err(PkiError::Token {
            op: "C_Sign",
            detail: format!("ECDSA 签名长度异常 {}", raw.len()),
        });
    }
    let (r, s) = raw.split_at(raw.len() / 2);
    let mut body = Vec::with_capacity(raw.len() + 6);
    for int in [r, s] {
        let trimmed = match int.iter().position(|&b| b != 0) {
            Some(i) => &int[i..],
            None => &[0u8][..],
        };
        let pad = trimmed[0] & 0x80 != 0;
        body.push(0x02);
        body.push((trimmed.len() + usize::from(pad)) as u8);
        if pad {
            body.push(0);
        }
        body.extend_from_slice(trimmed);
    }
    let mut out = vec![0x30];
    if body.len() >= 0x80 {
        out.push(0x81);
    }
    out.push(body.len() as u8);
    out.extend_from_slice(&body);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecdsa_der_pads_high_bit_and_strips_zeros() {
        let mut raw = vec![0u8; 64];
        raw[0] = 0x80; // r needs a leading zero
        raw[32] = 0x00;
        raw[33] = 0x01; // s has a leading zero byte to strip
        let der = der_ecdsa_signature(&raw).unwrap();
        assert_eq!(der[0], 0x30);
        assert_eq!(&der[2..5], &[0x02, 33, 0x00]);
        let s_at = 2 + 2 + 33;
        assert_eq!(&der[s_at..s_at + 2], &[0x02, 31]);
        assert_eq!(der[1] as usize, der.len() - 2);
    }
}
