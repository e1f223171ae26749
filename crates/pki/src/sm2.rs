//! SM2 (国密) certificates: recognising them, verifying a unit's SM2 certificate chain and CRLs with SM3 and the
//! distinguishing ID, and verifying SM2 signatures. rustls and ring have no SM2; RustCrypto's `sm2` does.
//!
//! The distinguishing ID is GM/T 0009's default, [`DIST_ID`], applied to every SM2 signature check: OpenSSL 3
//! uses an empty ID unless told, Chinese CAs and USB keys use this one (shared/notes/sm2.md).

use ::sm2::dsa::signature::Verifier;
use ::sm2::dsa::{Signature, VerifyingKey};
use x509_parser::oid_registry::Oid;
use x509_parser::prelude::*;
use x509_parser::revocation_list::CertificateRevocationList;

use crate::{CertIdentity, PkiError, TrustBundle};

/// GM/T 0009's default distinguishing ID ("1234567812345678").
pub const DIST_ID: &str = "1234567812345678";

/// SM2-with-SM3 (GM/T 0006): the signature algorithm of SM2 certificates and CRLs.
const OID_SM2_SM3: &str = "1.2.156.10197.1.501";
/// The SM2 curve (sm2p256v1).
const OID_SM2_CURVE: &str = "1.2.156.10197.1.301";

/// RFC 9266's exporter label for channel binding ("tls-exporter"): both ends derive the value of their TLS 1.3
/// connection with it (32 bytes, no context).
pub const EXPORTER_LABEL: &[u8] = b"EXPORTER-Channel-Binding";
/// Length of the exporter value.
pub const EXPORTER_LEN: usize = 32;

/// What an SM2 key signs to log in on one TLS connection: a fixed purpose string, the gateway's one-time
/// challenge and the connection's exporter value. The exporter differs on every connection (and a relay in the
/// middle has two connections), so the signature is worth nothing anywhere but where it was made.
pub fn login_message(challenge: &[u8], exporter: &[u8]) -> Vec<u8> {
    const PURPOSE: &[u8] = b"GJJ-HALL SM2 LOGIN v1\0";
    let mut message = Vec::with_capacity(PURPOSE.len() + challenge.len() + exporter.len());
    message.extend_from_slice(PURPOSE);
    message.extend_from_slice(challenge);
    message.extend_from_slice(exporter);
    message
}

fn oid_is(oid: &Oid<'_>, dotted: &str) -> bool {
    oid.to_id_string() == dotted
}

/// Whether a certificate is an SM2 one: signed with SM2-with-SM3, or carrying an SM2 public key.
pub fn is_sm2(cert: &X509Certificate<'_>) -> bool {
    oid_is(&cert.signature_algorithm.algorithm, OID_SM2_SM3) || has_sm2_key(cert)
}

fn has_sm2_key(cert: &X509Certificate<'_>) -> bool {
    cert.public_key()
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .is_some_and(|oid| oid_is(&oid, OID_SM2_CURVE))
}

/// Whether a DER certificate is an SM2 one (false for anything unparsable).
pub fn is_sm2_der(der: &[u8]) -> bool {
    X509Certificate::from_der(der).is_ok_and(|(_, c)| is_sm2(&c))
}

/// Whether a DER CRL is signed with SM2-with-SM3 (false for anything unparsable).
pub fn is_sm2_crl(der: &[u8]) -> bool {
    CertificateRevocationList::from_der(der)
        .is_ok_and(|(_, crl)| oid_is(&crl.signature_algorithm.algorithm, OID_SM2_SM3))
}

/// The SM2 public key of a certificate, for verifying its signatures with [`DIST_ID`].
pub fn verifying_key(cert: &X509Certificate<'_>) -> Result<VerifyingKey, PkiError> {
    if !has_sm2_key(cert) {
        return Err(PkiError::UnsupportedKey("证书的公钥不是 SM2".into()));
    }
    VerifyingKey::from_sec1_bytes(DIST_ID, &cert.public_key().subject_public_key.data)
        .map_err(|e| PkiError::CertificateInvalid(format!("SM2 公钥无效：{e}")))
}

/// Verifies an SM2 signature (DER `SEQUENCE { r, s }`, as in certificates, CRLs and CMS) over `message`; the
/// Z value of [`DIST_ID`] and the key is hashed in by `VerifyingKey`.
pub fn verify(key: &VerifyingKey, message: &[u8], der_signature: &[u8]) -> Result<(), PkiError> {
    let raw = raw_signature(der_signature).ok_or(PkiError::SignatureInvalid)?;
    let signature = Signature::from_slice(&raw).map_err(|_| PkiError::SignatureInvalid)?;
    key.verify(message, &signature)
        .map_err(|_| PkiError::SignatureInvalid)
}

/// Verifies an SM2 signature over `message` by the key of a DER certificate.
pub fn verify_by_certificate(cert_der: &[u8], message: &[u8], der_signature: &[u8]) -> Result<(), PkiError> {
    let (_, cert) =
        X509Certificate::from_der(cert_der).map_err(|e| PkiError::CertificateInvalid(e.to_string()))?;
    verify(&verifying_key(&cert)?, message, der_signature)
}

/// DER `SEQUENCE { INTEGER r, INTEGER s }` → `r || s`, 32 bytes each (sm2 0.13 reads no DER).
pub fn raw_signature(der: &[u8]) -> Option<[u8; 64]> {
    use x509_parser::der_parser::der::parse_der_sequence;
    let (rest, seq) = parse_der_sequence(der).ok()?;
    if !rest.is_empty() {
        return None;
    }
    let items = seq.as_sequence().ok()?;
    let [r, s] = items.as_slice() else {
        return None;
    };
    let mut out = [0u8; 64];
    for (i, int) in [r, s].into_iter().enumerate() {
        let bytes = int.as_slice().ok()?;
        let trimmed = &bytes[bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len())..];
        if trimmed.len() > 32 {
            return None;
        }
        out[i * 32 + 32 - trimmed.len()..(i + 1) * 32].copy_from_slice(trimmed);
    }
    Some(out)
}

/// Why an SM2 unit certificate is refused; the codes match what the gateway says for the same problem over
/// mutual TLS (`CERT_EXPIRED`, `CERT_REVOKED`, `CERT_UNTRUSTED`, …).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Sm2CertError {
    /// Not an SM2 certificate, or not parsable.
    #[error("不是可用的 SM2 证书：{0}")]
    Invalid(String),
    /// Outside its validity period.
    #[error("证书已过期或尚未生效")]
    Expired,
    /// No path to an SM2 root of the centre's bundle, or a signature on the path does not verify.
    #[error("证书不是中心信任的 CA 签发的")]
    Untrusted,
    /// On a CRL of its issuer.
    #[error("证书已被吊销")]
    Revoked,
    /// Not a signing certificate for client authentication (e.g. the encryption certificate of the pair).
    #[error("这是加密证书或不允许用于登录的证书")]
    Purpose,
}

impl Sm2CertError {
    /// The stable code, the same as the mTLS refusals of the gateway.
    pub fn code(&self) -> &'static str {
        match self {
            Sm2CertError::Invalid(_) => "CERT_INVALID",
            Sm2CertError::Expired => "CERT_EXPIRED",
            Sm2CertError::Untrusted => "CERT_UNTRUSTED",
            Sm2CertError::Revoked => "CERT_REVOKED",
            Sm2CertError::Purpose => "CERT_PURPOSE",
        }
    }
}

/// Checks an SM2 unit certificate as the gateway must: SM2, valid at `now` (Unix seconds), a signing certificate
/// for client authentication, chained by SM2-with-SM3 signatures (with [`DIST_ID`]) to an SM2 root of the bundle
/// through its SM2 intermediates, and on no CRL of its issuers (`crls`: DER CRLs, each checked against its
/// issuer before it is believed). Returns who it is.
pub fn verify_certificate(
    leaf: &[u8],
    trust: &TrustBundle,
    crls: &[Vec<u8>],
    now: i64,
) -> Result<CertIdentity, Sm2CertError> {
    let (_, cert) = X509Certificate::from_der(leaf).map_err(|e| Sm2CertError::Invalid(e.to_string()))?;
    if !has_sm2_key(&cert) {
        return Err(Sm2CertError::Invalid("公钥不是 SM2".into()));
    }
    if !crate::identity::usable_for_login(leaf) {
        return Err(Sm2CertError::Purpose);
    }
    let cas: Vec<X509Certificate<'_>> = trust
        .sm2_intermediates
        .iter()
        .chain(&trust.sm2_roots)
        .filter_map(|c| X509Certificate::from_der(c).ok().map(|(_, c)| c))
        .collect();
    let mut chain = vec![cert];
    // Walk up by issuer name, verifying each signature, until a self-signed root of the bundle.
    loop {
        let current = chain.last().ok_or(Sm2CertError::Untrusted)?;
        let validity = current.validity();
        if now < validity.not_before.timestamp() || now > validity.not_after.timestamp() {
            return Err(Sm2CertError::Expired);
        }
        let issuer = cas
            .iter()
            .find(|ca| ca.subject() == current.issuer() && signed_by(current, ca))
            .ok_or(Sm2CertError::Untrusted)?;
        if is_revoked(current, issuer, crls) {
            return Err(Sm2CertError::Revoked);
        }
        if issuer.subject() == issuer.issuer() {
            break;
        }
        if chain.len() > 4 {
            return Err(Sm2CertError::Untrusted);
        }
        chain.push(issuer.clone());
    }
    CertIdentity::from_der(leaf).map_err(|e| Sm2CertError::Invalid(e.to_string()))
}

fn signed_by(cert: &X509Certificate<'_>, ca: &X509Certificate<'_>) -> bool {
    if !oid_is(&cert.signature_algorithm.algorithm, OID_SM2_SM3) {
        return false;
    }
    let Ok(key) = verifying_key(ca) else {
        return false;
    };
    verify(&key, cert.tbs_certificate.as_ref(), &cert.signature_value.data).is_ok()
}

/// Whether `cert` is on a CRL that `issuer` signed (CRLs of other issuers, or with a bad signature, are ignored).
fn is_revoked(cert: &X509Certificate<'_>, issuer: &X509Certificate<'_>, crls: &[Vec<u8>]) -> bool {
    let Ok(key) = verifying_key(issuer) else {
        return false;
    };
    crls.iter().any(|der| {
        let Ok((_, crl)) = CertificateRevocationList::from_der(der) else {
            return false;
        };
        crl.issuer() == issuer.subject()
            && oid_is(&crl.signature_algorithm.algorithm, OID_SM2_SM3)
            && verify(&key, crl.tbs_cert_list.as_ref(), &crl.signature_value.data).is_ok()
            && crl
                .iter_revoked_certificates()
                .any(|r| r.raw_serial() == cert.raw_serial())
    })
}
