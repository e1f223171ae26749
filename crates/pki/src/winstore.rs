//! Keys in the Windows certificate store (`CurrentUser\MY`, `LocalMachine\MY`), where most Chinese CAs'
//! UKey drivers register the inserted key's certificate through a CSP or a smart-card minidriver.
//!
//! The calls into Windows are in `gjj-winstore`; the decisions are here, tested on every platform:
//! which certificates are offered ([`usable_for_login`]), which signature schemes a key gets
//! ([`schemes_for`]: a legacy CSP cannot make RSA-PSS, so such a key logs in over TLS 1.2 with PKCS#1 v1.5)
//! and what a Windows error means to the user ([`classify`]: cancel stays cancel, a wrong PIN is a wrong PIN).
//!
//! The PIN dialog of such a key belongs to the vendor's driver. [`login`] signs one challenge at once, so the
//! dialog appears while the user is logging in (not in the middle of a TLS handshake) and a cancel is reported
//! as [`PkiError::PinCancelled`]; callers run it off the UI thread (it blocks while the dialog is open) and may
//! pass the app window as the dialog's parent. The driver keeps the PIN for the open key, so the handshake and
//! the submissions of that login do not ask again.

use std::sync::Arc;

pub use gjj_winstore::Location;
use gjj_winstore::{KeyAlgorithm, KeyKind, Padding, StoreKey, WinError};
use rustls::{SignatureAlgorithm, SignatureScheme};
use x509_parser::prelude::*;

use crate::credential::{der_ecdsa_signature, KeySigner};
use crate::{verify_detached, CertIdentity, Credential, PkiError, SigAlg};

/// A certificate in the store with a private key, listed without a PIN.
#[derive(Clone, Debug)]
pub struct StoreCertificate {
    /// Which store.
    pub location: Location,
    /// Who it is.
    pub identity: CertIdentity,
    /// The CSP / key storage provider the CA's driver registered (e.g. "HaiTai Cryptographic Service Provider").
    pub provider: String,
    /// The provider is CNG; otherwise a legacy CSP (then RSA keys log in over TLS 1.2).
    pub cng_provider: bool,
    sha1: [u8; 20],
    der: Vec<u8>,
}

impl StoreCertificate {
    /// The SHA-1 thumbprint, as certmgr.msc shows it (lower-case hex).
    pub fn thumbprint(&self) -> String {
        hex::encode(self.sha1)
    }

    /// The certificate (DER).
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// Whether `id` names this certificate: its SHA-256 fingerprint or its SHA-1 thumbprint (hex, any case,
    /// spaces or colons allowed, as certmgr.msc and certutil print them).
    pub fn matches(&self, id: &str) -> bool {
        let id: String = id
            .chars()
            .filter(|c| !c.is_whitespace() && *c != ':')
            .collect::<String>()
            .to_ascii_lowercase();
        id == self.identity.fingerprint.to_ascii_lowercase() || id == self.thumbprint()
    }
}

/// What the store holds: the usable certificates, and a line per store that could not be read.
#[derive(Clone, Debug, Default)]
pub struct StoreListing {
    /// Certificates offered for login, current user's first.
    pub certificates: Vec<StoreCertificate>,
    /// Stores that could not be opened, with why (for the doctor).
    pub errors: Vec<String>,
}

/// Lists the store certificates a unit can log in with (empty off Windows). Reads no key: no PIN dialog.
pub fn certificates() -> StoreListing {
    let mut out = StoreListing::default();
    for location in Location::ALL {
        match gjj_winstore::list(location) {
            Ok(certs) => {
                for c in certs {
                    if !usable_for_login(&c.der) {
                        continue;
                    }
                    let Ok(identity) = CertIdentity::from_der(&c.der) else {
                        continue;
                    };
                    // The same certificate in both stores is one choice.
                    if out
                        .certificates
                        .iter()
                        .any(|o| o.identity.fingerprint == identity.fingerprint)
                    {
                        continue;
                    }
                    out.certificates.push(StoreCertificate {
                        location,
                        identity,
                        provider: c.provider,
                        cng_provider: c.cng_provider,
                        sha1: c.sha1,
                        der: c.der,
                    });
                }
            }
            Err(e) => out.errors.push(format!("{}：{e}", location.label())),
        }
    }
    out
}

pub use crate::identity::usable_for_login;

/// The public key family of a certificate, for [`schemes_for`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertKey {
    /// RSA.
    Rsa,
    /// ECDSA on P-256.
    EcP256,
    /// Anything else (other curves, SM2).
    Other,
}

impl CertKey {
    /// Reads it from a DER certificate.
    pub fn of(der: &[u8]) -> CertKey {
        let Ok((_, cert)) = X509Certificate::from_der(der) else {
            return CertKey::Other;
        };
        match cert.public_key().parsed() {
            Ok(x509_parser::public_key::PublicKey::RSA(_)) => CertKey::Rsa,
            Ok(x509_parser::public_key::PublicKey::EC(_)) => {
                let p256 = cert
                    .public_key()
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.as_oid().ok())
                    .is_some_and(|oid| oid == x509_parser::oid_registry::OID_EC_P256);
                if p256 {
                    CertKey::EcP256
                } else {
                    CertKey::Other
                }
            }
            _ => CertKey::Other,
        }
    }
}

/// The schemes a store key signs with, most preferred first; `Err` when the key cannot log in here.
/// A legacy CSP key makes PKCS#1 v1.5 signatures only: TLS 1.3 forbids those in the handshake, so the key
/// gets TLS 1.2 ([`Credential::tls12_only`]) and the doctor says so.
pub fn schemes_for(
    kind: KeyKind,
    algorithm: &KeyAlgorithm,
    cert: CertKey,
) -> Result<Vec<SignatureScheme>, PkiError> {
    match (kind, algorithm, cert) {
        (KeyKind::Cng, KeyAlgorithm::Rsa, CertKey::Rsa) => Ok(vec![
            SignatureScheme::RSA_PSS_SHA256,
            SignatureScheme::RSA_PKCS1_SHA256,
        ]),
        (KeyKind::Csp, KeyAlgorithm::Rsa, CertKey::Rsa) => Ok(vec![SignatureScheme::RSA_PKCS1_SHA256]),
        (KeyKind::Cng, KeyAlgorithm::Ecdsa, CertKey::EcP256) => {
            Ok(vec![SignatureScheme::ECDSA_NISTP256_SHA256])
        }
        (_, KeyAlgorithm::Other(name), _) => Err(PkiError::UnsupportedKey(format!(
            "Windows 证书存储中的 {name} 密钥"
        ))),
        (_, alg, cert) => Err(PkiError::UnsupportedKey(format!(
            "Windows 证书存储中的密钥（{alg:?}，证书公钥 {cert:?}）"
        ))),
    }
}

/// What a Windows error from acquiring or using a store key means to the user.
pub fn classify(e: WinError) -> PkiError {
    match e.code {
        // SCARD_W_CANCELLED_BY_USER, ERROR_CANCELLED (Win32 and HRESULT), NTE_USER_CANCELLED, SCARD_E_CANCELLED
        0x8010_006E | 0x0000_04C7 | 0x8007_04C7 | 0x8009_0036 | 0x8010_0002 => PkiError::PinCancelled,
        // SCARD_W_WRONG_CHV
        0x8010_006B => PkiError::Pin(crate::PinState::Incorrect),
        // SCARD_W_CHV_BLOCKED
        0x8010_006C => PkiError::Pin(crate::PinState::Locked),
        // SCARD_E_NO_SMARTCARD, SCARD_W_REMOVED_CARD, SCARD_E_NO_READERS_AVAILABLE
        0x8010_000C | 0x8010_0069 | 0x8010_002E => PkiError::NoToken {
            wanted: String::new(),
        },
        // NTE_NO_KEY, NTE_BAD_KEYSET, CRYPT_E_NO_KEY_PROPERTY, NTE_KEYSET_NOT_DEF
        0x8009_000D | 0x8009_0016 | 0x8009_200B | 0x8009_0019 => PkiError::KeyNotFound,
        _ => PkiError::StoreKey {
            op: e.op,
            code: e.code,
        },
    }
}

/// Logs in with a store certificate, named by its SHA-256 fingerprint ([`CertIdentity::fingerprint`]) or its
/// SHA-1 thumbprint ([`StoreCertificate::matches`]).
/// Signs a challenge at once (the driver's PIN dialog, if any, appears now) and checks the signature against
/// the certificate, so a key that does not match or cannot sign fails here, not in the handshake.
/// `parent_window`: the app window's HWND, the dialog's owner where the driver honours it.
pub fn login(fingerprint: &str, parent_window: Option<isize>) -> Result<Credential, PkiError> {
    let listing = certificates();
    let cert = listing
        .certificates
        .into_iter()
        .find(|c| c.matches(fingerprint))
        .ok_or_else(|| PkiError::NoCertificate {
            label: "Windows 证书存储".into(),
        })?;
    let der = cert.der;
    let key = StoreKey::open(cert.location, &cert.sha1, parent_window).map_err(classify)?;
    let schemes = schemes_for(key.kind(), &key.algorithm(), CertKey::of(&der))?;
    let signer = StoreSigner {
        key,
        schemes,
        describe: format!("{}（{}）", cert.location.label(), cert.provider),
    };
    let challenge = format!(
        "gjj-hall login {fingerprint} {}",
        ::time::OffsetDateTime::now_utc()
    );
    let scheme = signer.schemes[0];
    let signature = signer.sign(scheme, challenge.as_bytes())?;
    let alg = SigAlg::from_scheme(scheme).ok_or_else(|| PkiError::UnsupportedKey(format!("{scheme:?}")))?;
    verify_detached(&der, alg, challenge.as_bytes(), &signature).map_err(|_| PkiError::StoreKey {
        op: "签名与证书不匹配",
        code: 0x8009_0006, // NTE_BAD_SIGNATURE
    })?;
    Credential::new(der.into(), Arc::new(signer))
}

struct StoreSigner {
    key: StoreKey,
    schemes: Vec<SignatureScheme>,
    describe: String,
}

impl std::fmt::Debug for StoreSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreSigner")
            .field("key", &self.key)
            .field("schemes", &self.schemes)
            .finish()
    }
}

impl KeySigner for StoreSigner {
    fn schemes(&self) -> &[SignatureScheme] {
        &self.schemes
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        match self.schemes.first() {
            Some(SignatureScheme::ECDSA_NISTP256_SHA256) => SignatureAlgorithm::ECDSA,
            _ => SignatureAlgorithm::RSA,
        }
    }

    fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, PkiError> {
        let padding = match scheme {
            SignatureScheme::RSA_PKCS1_SHA256 => Padding::Pkcs1,
            SignatureScheme::RSA_PSS_SHA256 => Padding::Pss,
            SignatureScheme::ECDSA_NISTP256_SHA256 => Padding::None,
            other => return Err(PkiError::UnsupportedKey(format!("{other:?}"))),
        };
        let mut digest = [0u8; 32];
        digest.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, message).as_ref());
        let signature = self.key.sign_sha256(&digest, padding).map_err(classify)?;
        if padding == Padding::None {
            der_ecdsa_signature(&signature)
        } else {
            Ok(signature)
        }
    }

    fn describe(&self) -> String {
        self.describe.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(params: rcgen::CertificateParams, alg: &'static rcgen::SignatureAlgorithm) -> Vec<u8> {
        let key = rcgen::KeyPair::generate_for(alg).expect("key");
        params.self_signed(&key).expect("cert").der().to_vec()
    }

    #[test]
    fn a_csp_rsa_key_gets_pkcs1_only_and_so_tls12() {
        let s = schemes_for(KeyKind::Csp, &KeyAlgorithm::Rsa, CertKey::Rsa).expect("schemes");
        assert_eq!(s, vec![SignatureScheme::RSA_PKCS1_SHA256]);
        let c = schemes_for(KeyKind::Cng, &KeyAlgorithm::Rsa, CertKey::Rsa).expect("schemes");
        assert_eq!(
            c[0],
            SignatureScheme::RSA_PSS_SHA256,
            "CNG RSA prefers PSS (TLS 1.3)"
        );
        assert!(c.contains(&SignatureScheme::RSA_PKCS1_SHA256));
        let e = schemes_for(KeyKind::Cng, &KeyAlgorithm::Ecdsa, CertKey::EcP256).expect("schemes");
        assert_eq!(e, vec![SignatureScheme::ECDSA_NISTP256_SHA256]);
    }

    #[test]
    fn keys_that_cannot_log_in_are_refused_with_a_reason() {
        for (kind, alg, cert) in [
            (KeyKind::Csp, KeyAlgorithm::Ecdsa, CertKey::EcP256),
            (KeyKind::Cng, KeyAlgorithm::Ecdsa, CertKey::Other),
            (KeyKind::Cng, KeyAlgorithm::Other("SM2".into()), CertKey::Other),
            (KeyKind::Cng, KeyAlgorithm::Rsa, CertKey::EcP256),
        ] {
            let e = schemes_for(kind, &alg, cert).expect_err("refused");
            assert_eq!(e.code(), "KEY_UNSUPPORTED", "{kind:?} {alg:?} {cert:?}");
        }
    }

    #[test]
    fn cancel_is_cancel_and_pin_errors_are_pin_errors() {
        let e = |code| {
            classify(WinError {
                op: "NCryptSignHash",
                code,
            })
        };
        for code in [0x8010_006E, 0x4C7, 0x8007_04C7, 0x8009_0036, 0x8010_0002] {
            assert_eq!(e(code).code(), "PIN_CANCELLED", "{code:#x}");
        }
        assert_eq!(e(0x8010_006B).code(), "PIN_INCORRECT");
        assert_eq!(e(0x8010_006C).code(), "PIN_LOCKED");
        assert_eq!(e(0x8010_0069).code(), "TOKEN_NOT_FOUND");
        assert_eq!(e(0x8009_0016).code(), "KEY_NOT_FOUND");
        let other = e(0x8009_0020);
        assert_eq!(other.code(), "STORE_KEY_ERROR");
        assert!(other.to_string().contains("0x80090020"), "{other}");
    }

    #[test]
    fn only_end_entity_signing_certificates_are_offered() {
        let mut client = rcgen::CertificateParams::new(vec!["unit".into()]).expect("params");
        client.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        client.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        assert!(usable_for_login(&cert(client, &rcgen::PKCS_ECDSA_P256_SHA256)));

        let plain = rcgen::CertificateParams::new(vec!["unit".into()]).expect("params");
        assert!(
            usable_for_login(&cert(plain, &rcgen::PKCS_ECDSA_P256_SHA256)),
            "no EKU/KU: any use"
        );

        let mut server = rcgen::CertificateParams::new(vec!["unit".into()]).expect("params");
        server.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        assert!(!usable_for_login(&cert(server, &rcgen::PKCS_ECDSA_P256_SHA256)));

        // The encryption certificate of a signing + encryption pair.
        let mut enc = rcgen::CertificateParams::new(vec!["unit".into()]).expect("params");
        enc.key_usages = vec![rcgen::KeyUsagePurpose::KeyEncipherment];
        assert!(!usable_for_login(&cert(enc, &rcgen::PKCS_ECDSA_P256_SHA256)));

        let mut ca = rcgen::CertificateParams::new(vec!["CA".into()]).expect("params");
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        assert!(!usable_for_login(&cert(ca, &rcgen::PKCS_ECDSA_P256_SHA256)));

        assert!(!usable_for_login(b"not a certificate"));
    }

    #[test]
    fn cert_key_family_is_read_from_the_certificate() {
        let p = || rcgen::CertificateParams::new(vec!["unit".into()]).expect("params");
        assert_eq!(
            CertKey::of(&cert(p(), &rcgen::PKCS_ECDSA_P256_SHA256)),
            CertKey::EcP256
        );
        assert_eq!(
            CertKey::of(&cert(p(), &rcgen::PKCS_ECDSA_P384_SHA384)),
            CertKey::Other
        );
        assert_eq!(CertKey::of(b"junk"), CertKey::Other);
    }

    #[cfg(not(windows))]
    #[test]
    fn off_windows_the_store_is_empty_and_login_says_no_certificate() {
        let l = certificates();
        assert!(l.certificates.is_empty() && l.errors.is_empty());
        assert_eq!(login("00", None).expect_err("none").code(), "CERT_NOT_FOUND");
    }
}
