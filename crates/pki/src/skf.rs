//! SM2 (国密) USB keys through their SKF driver (`gjj-skf`): the keys and certificates without a PIN, the PIN
//! with the key's own retry counter, and SM2 signatures made on the key.
//!
//! Signing follows GM/T 0009: e = SM3(Z ‖ M) with Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA) and the default
//! ID [`crate::sm2::DIST_ID`], computed here on the host from the certificate's public key; only e goes to the
//! key (`SKF_ECCSignData`), which returns (r, s). Computing Z here rather than through the vendor's
//! `SKF_DigestInit` keeps one implementation for every vendor and is checked against RustCrypto's verifier.

use std::path::Path;
use std::sync::Arc;

use gjj_skf::{Application, Container, Device, Library, PinInfo, SkfError};
use sm3::{Digest, Sm3};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::{CertIdentity, PinState, PkiError};

/// SM2 curve parameters a, b, xG, yG (GM/T 0003.5), hashed into Z.
const CURVE: [&str; 4] = [
    "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC",
    "28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93",
    "32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7",
    "BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0",
];

/// Z of GM/T 0009 for a public key (`04 ‖ X ‖ Y`) and a distinguishing ID.
pub fn z_value(public_key: &[u8], id: &str) -> Result<[u8; 32], PkiError> {
    if public_key.len() != 65 || public_key[0] != 4 {
        return Err(PkiError::UnsupportedKey("SM2 公钥格式不对".into()));
    }
    let bits = u16::try_from(id.len() * 8).map_err(|_| PkiError::UnsupportedKey("SM2 ID 过长".into()))?;
    let mut h = Sm3::new();
    h.update(bits.to_be_bytes());
    h.update(id.as_bytes());
    for c in CURVE {
        h.update(hex::decode(c).map_err(|e| PkiError::UnsupportedKey(e.to_string()))?);
    }
    h.update(&public_key[1..]);
    Ok(h.finalize().into())
}

/// e = SM3(Z ‖ M): what an SM2 key signs.
pub fn digest(z: &[u8; 32], message: &[u8]) -> [u8; 32] {
    Sm3::new().chain_update(z).chain_update(message).finalize().into()
}

/// An SKF driver (a vendor's library).
#[derive(Clone, Debug)]
pub struct SkfDriver {
    lib: Library,
}

/// A key's SM2 signing certificate as listed without a PIN.
#[derive(Clone, Debug)]
pub struct SkfKey {
    /// The device name the driver reports.
    pub device: String,
    /// Application and container holding the key.
    pub application: String,
    /// Container name.
    pub container: String,
    /// Who the signing certificate says it is.
    pub identity: CertIdentity,
    /// The signing certificate (DER).
    pub der: Vec<u8>,
    /// The encryption certificate of the pair, if any (listed, never used to log in).
    pub encryption: Option<CertIdentity>,
    /// The user PIN's counters.
    pub pin: PinFlagsSkf,
}

/// The user PIN's state from the key's counters, in the PKCS#11 flags' terms, so one PIN screen serves both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PinFlagsSkf {
    /// Tries left.
    pub remaining: u32,
    /// Tries allowed.
    pub max: u32,
    /// Fewer tries left than allowed (a wrong PIN was entered).
    pub count_low: bool,
    /// One try left.
    pub final_try: bool,
    /// Locked.
    pub locked: bool,
}

impl From<PinInfo> for PinFlagsSkf {
    fn from(p: PinInfo) -> Self {
        PinFlagsSkf {
            remaining: p.remaining,
            max: p.max_retries,
            count_low: p.remaining < p.max_retries,
            final_try: p.remaining == 1,
            locked: p.remaining == 0,
        }
    }
}

fn load_error(path: &Path, e: SkfError) -> PkiError {
    PkiError::ModuleLoad {
        path: path.to_owned(),
        detail: e.to_string(),
    }
}

fn token_error(op: &'static str, e: SkfError) -> PkiError {
    match e {
        SkfError::PinLocked => PkiError::Pin(PinState::Locked),
        SkfError::PinIncorrect { retries: 1 } => PkiError::Pin(PinState::FinalTry),
        SkfError::PinIncorrect { retries } if retries <= 3 => PkiError::Pin(PinState::CountLow),
        SkfError::PinIncorrect { .. } => PkiError::Pin(PinState::Incorrect),
        SkfError::PinInvalid => PkiError::PinLength,
        SkfError::Removed => PkiError::NoToken {
            wanted: String::new(),
        },
        other => PkiError::Token {
            op,
            detail: other.to_string(),
        },
    }
}

/// An opened key's container with its application (and so its PIN session) and device.
struct Opened {
    app: Arc<Application>,
    container: Container,
}

impl SkfDriver {
    /// Loads a vendor's SKF library.
    pub fn load(path: &Path) -> Result<SkfDriver, PkiError> {
        Library::load(path)
            .map(|lib| SkfDriver { lib })
            .map_err(|e| load_error(path, e))
    }

    /// The library's path.
    pub fn path(&self) -> &Path {
        self.lib.path()
    }

    fn each_container(&self, mut visit: impl FnMut(&str, &str, &str, Opened)) -> Result<(), PkiError> {
        for device in self.lib.devices().map_err(|e| token_error("SKF_EnumDev", e))? {
            let Ok(dev) = self.lib.connect(&device) else {
                continue;
            };
            let dev: Arc<Device> = Arc::new(dev);
            for app_name in dev.applications().unwrap_or_default() {
                let Ok(app) = dev.open_application(&app_name) else {
                    continue;
                };
                let app = Arc::new(app);
                for name in app.containers().unwrap_or_default() {
                    let Ok(container) = app.open_container(&name) else {
                        continue;
                    };
                    if container.kind().ok() != Some(gjj_skf::CONTAINER_ECC) {
                        continue;
                    }
                    visit(
                        &device,
                        &app_name,
                        &name,
                        Opened {
                            app: Arc::clone(&app),
                            container,
                        },
                    );
                }
            }
        }
        Ok(())
    }

    /// Every SM2 container with a signing certificate, without a PIN.
    pub fn keys(&self) -> Result<Vec<SkfKey>, PkiError> {
        let mut out = Vec::new();
        self.each_container(|device, application, container, opened| {
            let Ok(Some(der)) = opened.container.certificate(true) else {
                return;
            };
            let Ok(identity) = CertIdentity::from_der(&der) else {
                return;
            };
            let encryption = opened
                .container
                .certificate(false)
                .ok()
                .flatten()
                .and_then(|d| CertIdentity::from_der(&d).ok());
            let pin = opened.app.pin_info().map(PinFlagsSkf::from).unwrap_or_default();
            out.push(SkfKey {
                device: device.to_owned(),
                application: application.to_owned(),
                container: container.to_owned(),
                identity,
                der,
                encryption,
                pin,
            });
        })?;
        Ok(out)
    }

    /// Verifies the PIN on the key holding the signing certificate with this SHA-256 fingerprint (or the only
    /// one when `fingerprint` is None) and returns its signer. A locked key is refused before a try is used.
    pub fn login(&self, fingerprint: Option<&str>, pin: &str) -> Result<Sm2Signer, PkiError> {
        let mut found = Vec::new();
        self.each_container(|_, _, _, opened| {
            let Ok(Some(der)) = opened.container.certificate(true) else {
                return;
            };
            let Ok(identity) = CertIdentity::from_der(&der) else {
                return;
            };
            if fingerprint.is_none_or(|f| f.eq_ignore_ascii_case(&identity.fingerprint)) {
                found.push((opened, der, identity));
            }
        })?;
        let (opened, der, identity) = match found.len() {
            0 => {
                return Err(PkiError::NoToken {
                    wanted: fingerprint.map(|f| format!("（证书 {f}）")).unwrap_or_default(),
                })
            }
            1 => found.remove(0),
            _ => {
                return Err(PkiError::TokenAmbiguous {
                    labels: found
                        .iter()
                        .map(|(_, _, i)| i.name.clone())
                        .collect::<Vec<_>>()
                        .join("、"),
                })
            }
        };
        if opened.app.pin_info().is_ok_and(|p| p.remaining == 0) {
            return Err(PkiError::Pin(PinState::Locked));
        }
        opened
            .app
            .verify_pin(pin)
            .map_err(|e| token_error("SKF_VerifyPIN", e))?;
        let point = public_key_of(&der)?;
        let z = z_value(&point, crate::sm2::DIST_ID)?;
        Ok(Sm2Signer {
            opened: Arc::new(opened),
            der,
            identity,
            z,
            library: self.lib.path().display().to_string(),
        })
    }
}

/// The `04 ‖ X ‖ Y` point of an SM2 certificate.
pub fn public_key_of(der: &[u8]) -> Result<Vec<u8>, PkiError> {
    let (_, cert) =
        X509Certificate::from_der(der).map_err(|e| PkiError::CertificateInvalid(e.to_string()))?;
    if !crate::sm2::is_sm2(&cert) {
        return Err(PkiError::UnsupportedKey("证书不是 SM2 证书".into()));
    }
    Ok(cert.public_key().subject_public_key.data.to_vec())
}

/// A logged-in SM2 key: signs with SM2-with-SM3 on the key. Cheap to clone.
#[derive(Clone)]
pub struct Sm2Signer {
    opened: Arc<Opened>,
    der: Vec<u8>,
    identity: CertIdentity,
    z: [u8; 32],
    library: String,
}

impl std::fmt::Debug for Sm2Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sm2Signer")
            .field("name", &self.identity.name)
            .field("library", &self.library)
            .finish()
    }
}

impl Sm2Signer {
    /// The signing certificate (DER).
    pub fn certificate(&self) -> &[u8] {
        &self.der
    }

    /// Who it is.
    pub fn identity(&self) -> &CertIdentity {
        &self.identity
    }

    /// Where the key lives, for messages.
    pub fn describe(&self) -> String {
        format!("国密 USB key（SKF 驱动 {}）", self.library)
    }

    /// The logged-in key as a session credential (it logs in with the centre by the channel-bound login).
    pub fn into_credential(self) -> Result<crate::Credential, PkiError> {
        let leaf = rustls_pki_types::CertificateDer::from(self.der.clone());
        crate::Credential::new(leaf, Arc::new(self))
    }

    /// Signs `message` (SM2 with SM3 and the default ID); returns the DER `SEQUENCE { r, s }`.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, PkiError> {
        let e = digest(&self.z, message);
        let raw = self
            .opened
            .container
            .sign_digest(&e)
            .map_err(|e| token_error("SKF_ECCSignData", e))?;
        crate::credential::der_ecdsa_signature(&raw)
    }
}

/// An SM2 key in a [`crate::Credential`]: it signs detached signatures and the channel-bound login, never a
/// TLS handshake (no scheme is offered to rustls).
impl crate::KeySigner for Sm2Signer {
    fn schemes(&self) -> &[rustls::SignatureScheme] {
        &[]
    }

    fn algorithm(&self) -> rustls::SignatureAlgorithm {
        rustls::SignatureAlgorithm::Unknown(0)
    }

    fn sign(&self, _scheme: rustls::SignatureScheme, message: &[u8]) -> Result<Vec<u8>, PkiError> {
        Sm2Signer::sign(self, message)
    }

    fn describe(&self) -> String {
        Sm2Signer::describe(self)
    }

    fn sm2(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A vector made with OpenSSL 3.0 (`openssl pkeyutl -sign -digest sm3 -pkeyopt distid:1234567812345678`),
    /// which OpenSSL verifies from the message and from e: so Z and e here are GM/T 0009's.
    #[test]
    fn z_and_e_match_openssl() {
        let point = hex::decode(concat!(
            "04",
            "B71543D8C987D0A63B8761A458FDCA75ADD7F054DFFFA1DAD3B710033B11D82C",
            "CD1EF96534C830FED66489B894957772DE983047AC762113050ABAFDF118ED53"
        ))
        .unwrap();
        let z = z_value(&point, "1234567812345678").unwrap();
        assert_eq!(
            hex::encode(z),
            "4f473f836044b0c5a50ea8e50042f3a12d83addfc8b56428f73c47ee4dcb15ee"
        );
        assert_eq!(
            hex::encode(digest(&z, b"abc")),
            "c54cb2b404bc09a2791faf74c083d0a92a0fbdb443d93ae75bc94ae4719e0c71"
        );
        // OpenSSL's signature of "abc" verifies with our verifier (DER built from r, s).
        let mut raw = [0u8; 64];
        raw[..32].copy_from_slice(
            &hex::decode("2F7E73E38C5819F37A486F32F0EABFB55362F2A5FC7DE8D1AD061553F7AC4B44").unwrap(),
        );
        raw[32..].copy_from_slice(
            &hex::decode("022486CF1750D8BCBA240E4867EE79BCCB01C0FE52848E1FBF1A6E905FDB41BB").unwrap(),
        );
        let der = crate::credential::der_ecdsa_signature(&raw).unwrap();
        let key = ::sm2::dsa::VerifyingKey::from_sec1_bytes(crate::sm2::DIST_ID, &point).unwrap();
        crate::sm2::verify(&key, b"abc", &der).unwrap();
        assert!(crate::sm2::verify(&key, b"abd", &der).is_err());
        assert_eq!(crate::sm2::raw_signature(&der), Some(raw));
    }

    #[test]
    fn pin_errors_map_to_the_pkcs11_states() {
        let code = |e| token_error("SKF_VerifyPIN", e).code();
        assert_eq!(code(SkfError::PinIncorrect { retries: 5 }), "PIN_INCORRECT");
        assert_eq!(code(SkfError::PinIncorrect { retries: 3 }), "PIN_COUNT_LOW");
        assert_eq!(code(SkfError::PinIncorrect { retries: 1 }), "PIN_FINAL_TRY");
        assert_eq!(code(SkfError::PinLocked), "PIN_LOCKED");
        assert_eq!(code(SkfError::Removed), "TOKEN_NOT_FOUND");
    }
}
