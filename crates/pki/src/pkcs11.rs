//! USB keys through PKCS#11 (cryptoki): list tokens and certificates without a PIN, log in, sign on the token.
//!
//! Facts this module relies on (shared/notes/pki.md): certificates are visible before login, private keys only
//! after; SoftHSM offers CKM_ECDSA but not CKM_ECDSA_SHA256, so we hash on the host and send the digest; a
//! `Session` is Send but not Sync, hence the Mutex; the module is initialised once per process and kept alive.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsPssParams};
use cryptoki::mechanism::vendor_defined::VendorDefinedMechanism;
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, CertificateType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use rustls::{SignatureAlgorithm, SignatureScheme};
use serde::Serialize;

use crate::credential::{der_ecdsa_signature, KeySigner, PKCS1_SHA256_DIGEST_INFO};
use crate::identity::CertIdentity;
use crate::{Credential, PinState, PkiError};

/// A loaded PKCS#11 module (a USB-key driver).
#[derive(Clone)]
pub struct Module {
    path: PathBuf,
    ctx: Pkcs11,
}

/// What the module says about itself.
#[derive(Clone, Debug, Serialize)]
pub struct ModuleInfo {
    /// Path the module was loaded from.
    pub path: PathBuf,
    /// Manufacturer ID.
    pub manufacturer: String,
    /// Library description.
    pub description: String,
    /// Library version "major.minor".
    pub version: String,
}

/// The PIN warning flags of a token (readable without a PIN).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PinFlags {
    /// A wrong PIN was entered since the last success.
    pub count_low: bool,
    /// One more wrong PIN locks the token.
    pub final_try: bool,
    /// The PIN is locked.
    pub locked: bool,
}

/// A certificate found on a token.
#[derive(Clone, Debug, Serialize)]
pub struct TokenCertificate {
    /// CKA_ID, hex: pairs the certificate with its private key.
    pub id: String,
    /// CKA_LABEL.
    pub label: String,
    /// The DER certificate.
    #[serde(skip)]
    pub der: Vec<u8>,
    /// Who it says it is.
    pub identity: CertIdentity,
}

/// An inserted token and its certificates.
#[derive(Clone, Debug, Serialize)]
pub struct TokenSummary {
    /// PKCS#11 slot id.
    pub slot: u64,
    /// Token label (for SoftHSM test keys: the unit name).
    pub label: String,
    /// Token manufacturer.
    pub manufacturer: String,
    /// Token model.
    pub model: String,
    /// Token serial number.
    pub serial: String,
    /// PIN warning flags.
    pub pin: PinFlags,
    /// Certificates on the token.
    pub certificates: Vec<TokenCertificate>,
}

/// Which token and certificate to use.
#[derive(Clone, Debug, Default)]
pub struct TokenSelector {
    /// Token label; `None` = the only token present.
    pub label: Option<String>,
    /// Certificate fingerprint (SHA-256 hex) or serial (hex); `None` = the first certificate with a key.
    pub certificate: Option<String>,
}

fn modules() -> &'static Mutex<HashMap<PathBuf, Pkcs11>> {
    static MODULES: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    MODULES.get_or_init(|| Mutex::new(HashMap::new()))
}

fn token_err(op: &'static str) -> impl Fn(CkError) -> PkiError {
    move |e| PkiError::Token {
        op,
        detail: e.to_string(),
    }
}

impl Module {
    /// Loads and initialises a module once per process (a second C_Initialize fails on most drivers).
    pub fn load(path: &Path) -> Result<Module, PkiError> {
        let mut cache = modules().lock().unwrap_or_else(|p| p.into_inner());
        if let Some(ctx) = cache.get(path) {
            return Ok(Module {
                path: path.to_owned(),
                ctx: ctx.clone(),
            });
        }
        let load_err = |detail: String| PkiError::ModuleLoad {
            path: path.to_owned(),
            detail,
        };
        if !path.exists() {
            return Err(load_err("文件不存在".into()));
        }
        let ctx = Pkcs11::new(path).map_err(|e| load_err(e.to_string()))?;
        match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(()) => {}
            Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
            Err(e) => return Err(load_err(e.to_string())),
        }
        cache.insert(path.to_owned(), ctx.clone());
        Ok(Module {
            path: path.to_owned(),
            ctx,
        })
    }

    /// The module's self-description.
    pub fn info(&self) -> Result<ModuleInfo, PkiError> {
        let info = self.ctx.get_library_info().map_err(token_err("C_GetInfo"))?;
        let v = info.library_version();
        Ok(ModuleInfo {
            path: self.path.clone(),
            manufacturer: info.manufacturer_id().trim().to_owned(),
            description: info.library_description().trim().to_owned(),
            version: format!("{}.{}", v.major(), v.minor()),
        })
    }

    /// Inserted tokens and their certificates, read without a PIN.
    ///
    /// Retried twice on a token error: a key being plugged in, or another process (SoftHSM's file store)
    /// updating the token at that instant, fails the read transiently.
    pub fn tokens(&self) -> Result<Vec<TokenSummary>, PkiError> {
        let mut attempt = 0;
        loop {
            match self.read_tokens() {
                Err(PkiError::Token { .. }) if attempt < 2 => {
                    attempt += 1;
                    std::thread::sleep(std::time::Duration::from_millis(150));
                }
                result => return result,
            }
        }
    }

    fn read_tokens(&self) -> Result<Vec<TokenSummary>, PkiError> {
        let slots = self
            .ctx
            .get_slots_with_token()
            .map_err(token_err("C_GetSlotList"))?;
        let mut out = Vec::new();
        for slot in slots {
            let info = self
                .ctx
                .get_token_info(slot)
                .map_err(token_err("C_GetTokenInfo"))?;
            if !info.token_initialized() {
                continue;
            }
            let session = self
                .ctx
                .open_ro_session(slot)
                .map_err(token_err("C_OpenSession"))?;
            out.push(TokenSummary {
                slot: slot.id(),
                label: info.label().trim().to_owned(),
                manufacturer: info.manufacturer_id().trim().to_owned(),
                model: info.model().trim().to_owned(),
                serial: info.serial_number().trim().to_owned(),
                pin: PinFlags {
                    count_low: info.user_pin_count_low(),
                    final_try: info.user_pin_final_try(),
                    locked: info.user_pin_locked(),
                },
                certificates: certificates(&session)?,
            });
        }
        Ok(out)
    }

    /// Finds the token, logs in with the PIN and returns a credential whose key stays on the token.
    ///
    /// The PIN is handed to the token and dropped; it is never kept, logged or formatted.
    pub fn login(&self, selector: &TokenSelector, pin: &str) -> Result<Credential, PkiError> {
        // A token being written by another process (SoftHSM's file store) or just plugged in can be missing
        // from one slot listing: look again briefly before telling the user it is not there.
        let mut tokens = self.tokens()?;
        for _ in 0..3 {
            if !matches!(
                pick_token(&tokens, selector.label.as_deref()),
                Err(PkiError::NoToken { .. })
            ) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
            tokens = self.tokens()?;
        }
        let token = pick_token(&tokens, selector.label.as_deref())?;
        let slot = Slot::try_from(token.slot).map_err(token_err("slot"))?;
        let session = self
            .ctx
            .open_ro_session(slot)
            .map_err(token_err("C_OpenSession"))?;
        let auth = AuthPin::from(pin);
        // CKR_GENERAL_ERROR is not a PIN verdict: SoftHSM answers it when another process rewrites the token
        // file at the same moment, some vendor drivers on a USB hiccup. Try again briefly before reporting it.
        let mut attempt = session.login(UserType::User, Some(&auth));
        for _ in 0..3 {
            if !matches!(attempt, Err(CkError::Pkcs11(RvError::GeneralError, _))) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(150));
            attempt = session.login(UserType::User, Some(&auth));
        }
        match attempt {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(CkError::Pkcs11(rv, _)) => {
                let flags = self.ctx.get_token_info(slot).map(|i| PinFlags {
                    count_low: i.user_pin_count_low(),
                    final_try: i.user_pin_final_try(),
                    locked: i.user_pin_locked(),
                });
                return Err(pin_error(rv, flags.unwrap_or_default()));
            }
            Err(e) => return Err(token_err("C_Login")(e)),
        }
        let mut chosen = None;
        for cert in &token.certificates {
            let wanted = selector.certificate.as_deref().is_none_or(|w| {
                w.eq_ignore_ascii_case(&cert.identity.fingerprint)
                    || w.eq_ignore_ascii_case(&cert.identity.serial)
            });
            if !wanted {
                continue;
            }
            let id = hex::decode(&cert.id).map_err(|e| PkiError::Token {
                op: "CKA_ID",
                detail: e.to_string(),
            })?;
            let keys = session
                .find_objects(&[Attribute::Class(ObjectClass::PRIVATE_KEY), Attribute::Id(id)])
                .map_err(token_err("C_FindObjects"))?;
            if let Some(key) = keys.first() {
                chosen = Some((cert.clone(), *key));
                break;
            }
        }
        let Some((cert, key)) = chosen else {
            return Err(if token.certificates.is_empty() {
                PkiError::NoCertificate {
                    label: token.label.clone(),
                }
            } else {
                PkiError::KeyNotFound
            });
        };
        let mechanisms = self
            .ctx
            .get_mechanism_list(slot)
            .map_err(token_err("C_GetMechanismList"))?;
        if crate::sm2::is_sm2_der(&cert.der) {
            let signer = Sm2TokenSigner::new(session, key, &cert.der, token, &mechanisms)?;
            return Credential::new(cert.der.into(), Arc::new(signer));
        }
        let signer = TokenSigner::new(session, key, &mechanisms, &token.label)?;
        Credential::new(cert.der.into(), Arc::new(signer))
    }
}

/// Vendor-defined PKCS#11 mechanisms that sign an SM2 digest e = SM3(Z‖M) computed by the caller, by the
/// manufacturer that documents them (token manufacturerID, lower-cased substring). The numbers collide across
/// vendors (0x80000002 is Westone's SM2 and Sansec's SSF33-ECB), so the manufacturer picks the entry, never the
/// number alone. The output may be r‖s or DER: both are read.
pub const VENDOR_SM2: &[VendorSm2] = &[
    VendorSm2 {
        manufacturer: "westone",
        mechanism: 0x8000_0002,
        source: "卫士通 Westone pkcs11_extendt.h CKM_SM2 (github kztao/CSM, csm/src/main/jni/P11/pkcs11_extendt.h)",
    },
    VendorSm2 {
        manufacturer: "tass",
        mechanism: 0x8000_8000,
        source: "江南天安 TASS CKM_VENDOR_SM2 (github xipki/ipkcs11wrapper, vendor.conf)",
    },
    VendorSm2 {
        manufacturer: "sansec",
        mechanism: 0x8000_8104,
        source: "三未信安 Sansec swpkcs11.h CKM_SM2_SIGN (xipki/ipkcs11wrapper vendor.conf)",
    },
    VendorSm2 {
        manufacturer: "safenet",
        mechanism: 0x8000_0B21,
        source: "Thales Luna CKM_SM2DSA (xipki/ipkcs11wrapper vendor.conf; OpenSC PR #3343)",
    },
];

/// One documented vendor SM2 signing mechanism.
#[derive(Clone, Copy, Debug)]
pub struct VendorSm2 {
    /// Lower-cased substring of the token's manufacturerID.
    pub manufacturer: &'static str,
    /// The CKM_ value (CKM_VENDOR_DEFINED range).
    pub mechanism: u64,
    /// Where it is documented.
    pub source: &'static str,
}

/// The documented SM2 mechanism of a token by its manufacturer, if any.
pub fn vendor_sm2(manufacturer: &str) -> Option<&'static VendorSm2> {
    let manufacturer = manufacturer.to_ascii_lowercase();
    VENDOR_SM2.iter().find(|v| manufacturer.contains(v.manufacturer))
}

/// An SM2 key on a PKCS#11 token through its vendor's mechanism: Z and e on the host (GM/T 0009, the default
/// ID), e signed on the token. It logs in with the channel-bound SM2 login, like an SKF key.
struct Sm2TokenSigner {
    session: Mutex<Session>,
    key: ObjectHandle,
    mechanism: MechanismType,
    z: [u8; 32],
    label: String,
}

impl std::fmt::Debug for Sm2TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sm2TokenSigner")
            .field("label", &self.label)
            .finish()
    }
}

impl Sm2TokenSigner {
    fn new(
        session: Session,
        key: ObjectHandle,
        cert_der: &[u8],
        token: &TokenSummary,
        token_mechanisms: &[MechanismType],
    ) -> Result<Sm2TokenSigner, PkiError> {
        let no_mechanism = || {
            PkiError::UnsupportedKey(format!(
                "USB key“{}”（{}）的 PKCS#11 驱动没有已知的国密 SM2 签名机制。请改用该 key 厂商的 SKF 驱动（文件名多为 *_SKF.dll），或联系 IT",
                token.label, token.manufacturer
            ))
        };
        // cryptoki drops vendor-defined entries from C_GetMechanismList, so the token's list cannot confirm the
        // mechanism: the manufacturer decides, and a token without it fails C_SignInit with a clear code.
        let _ = token_mechanisms;
        let vendor = vendor_sm2(&token.manufacturer).ok_or_else(no_mechanism)?;
        let mechanism =
            MechanismType::new_vendor_defined(vendor.mechanism as _).map_err(|_| no_mechanism())?;
        let point = crate::skf::public_key_of(cert_der)?;
        Ok(Sm2TokenSigner {
            session: Mutex::new(session),
            key,
            mechanism,
            z: crate::skf::z_value(&point, crate::sm2::DIST_ID)?,
            label: token.label.clone(),
        })
    }
}

impl KeySigner for Sm2TokenSigner {
    fn schemes(&self) -> &[SignatureScheme] {
        &[]
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::Unknown(0)
    }

    fn sign(&self, _scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, PkiError> {
        let e = crate::skf::digest(&self.z, message);
        let mechanism = Mechanism::VendorDefined(VendorDefinedMechanism::new::<()>(self.mechanism, None));
        let session = self.session.lock().unwrap_or_else(|p| p.into_inner());
        let out = session
            .sign(&mechanism, self.key, &e)
            .map_err(token_err("C_Sign"))?;
        if out.len() == 64 {
            der_ecdsa_signature(&out)
        } else if crate::sm2::raw_signature(&out).is_some() {
            Ok(out)
        } else {
            Err(PkiError::Token {
                op: "C_Sign",
                detail: format!("SM2 签名格式异常（{} 字节）", out.len()),
            })
        }
    }

    fn describe(&self) -> String {
        format!("国密 USB key“{}”（PKCS#11）", self.label)
    }

    fn sm2(&self) -> bool {
        true
    }
}

/// Maps a failed C_Login and the token's flags read right after it to the error the user sees.
pub fn pin_error(rv: RvError, flags: PinFlags) -> PkiError {
    match rv {
        RvError::PinLocked => PkiError::Pin(PinState::Locked),
        RvError::PinLenRange => PkiError::PinLength,
        RvError::PinIncorrect | RvError::PinInvalid => PkiError::Pin(if flags.locked {
            PinState::Locked
        } else if flags.final_try {
            PinState::FinalTry
        } else if flags.count_low {
            PinState::CountLow
        } else {
            PinState::Incorrect
        }),
        other => PkiError::Token {
            op: "C_Login",
            detail: other.to_string(),
        },
    }
}

fn pick_token<'a>(tokens: &'a [TokenSummary], label: Option<&str>) -> Result<&'a TokenSummary, PkiError> {
    let matching: Vec<&TokenSummary> = tokens
        .iter()
        .filter(|t| label.is_none_or(|l| t.label == l.trim()))
        .collect();
    match matching.as_slice() {
        [] => Err(PkiError::NoToken {
            wanted: label.map(|l| format!("“{l}”")).unwrap_or_default(),
        }),
        [one] => Ok(one),
        many => Err(PkiError::TokenAmbiguous {
            labels: many
                .iter()
                .map(|t| t.label.as_str())
                .collect::<Vec<_>>()
                .join("、"),
        }),
    }
}

fn certificates(session: &Session) -> Result<Vec<TokenCertificate>, PkiError> {
    let handles = session
        .find_objects(&[
            Attribute::Class(ObjectClass::CERTIFICATE),
            Attribute::CertificateType(CertificateType::X_509),
        ])
        .map_err(token_err("C_FindObjects"))?;
    let mut out = Vec::new();
    for handle in handles {
        let attrs = session
            .get_attributes(
                handle,
                &[AttributeType::Id, AttributeType::Label, AttributeType::Value],
            )
            .map_err(token_err("C_GetAttributeValue"))?;
        let (mut id, mut label, mut der) = (Vec::new(), String::new(), Vec::new());
        for attr in attrs {
            match attr {
                Attribute::Id(v) => id = v,
                Attribute::Label(v) => label = String::from_utf8_lossy(&v).into_owned(),
                Attribute::Value(v) => der = v,
                _ => {}
            }
        }
        // A certificate we cannot parse is skipped rather than hiding the others on the token.
        if let Ok(identity) = CertIdentity::from_der(&der) {
            out.push(TokenCertificate {
                id: hex::encode(id),
                label,
                der,
                identity,
            });
        }
    }
    Ok(out)
}

#[derive(Clone, Copy, Debug)]
enum KeyKind {
    EcP256,
    Rsa,
}

/// A private key on a token, used through one logged-in session.
struct TokenSigner {
    session: Mutex<Session>,
    key: ObjectHandle,
    kind: KeyKind,
    schemes: Vec<SignatureScheme>,
    label: String,
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSigner")
            .field("label", &self.label)
            .field("kind", &self.kind)
            .finish()
    }
}

impl TokenSigner {
    /// Decides the signature schemes from the key type, the token's mechanism list and the key's
    /// CKA_ALLOWED_MECHANISMS — before any connection, because TLS 1.3 needs RSA-PSS for RSA keys.
    fn new(
        session: Session,
        key: ObjectHandle,
        token_mechanisms: &[MechanismType],
        label: &str,
    ) -> Result<TokenSigner, PkiError> {
        let attrs = session
            .get_attributes(key, &[AttributeType::KeyType, AttributeType::AllowedMechanisms])
            .map_err(token_err("C_GetAttributeValue"))?;
        let mut key_type = None;
        let mut allowed: Vec<MechanismType> = Vec::new();
        for attr in attrs {
            match attr {
                Attribute::KeyType(t) => key_type = Some(t),
                Attribute::AllowedMechanisms(m) => allowed = m,
                _ => {}
            }
        }
        let usable =
            |m: MechanismType| token_mechanisms.contains(&m) && (allowed.is_empty() || allowed.contains(&m));
        let (kind, schemes) = match key_type {
            Some(KeyType::EC) if usable(MechanismType::ECDSA) => {
                (KeyKind::EcP256, vec![SignatureScheme::ECDSA_NISTP256_SHA256])
            }
            Some(KeyType::RSA) => {
                let mut s = Vec::new();
                if usable(MechanismType::RSA_PKCS_PSS) {
                    s.push(SignatureScheme::RSA_PSS_SHA256);
                }
                if usable(MechanismType::RSA_PKCS) {
                    s.push(SignatureScheme::RSA_PKCS1_SHA256);
                }
                (KeyKind::Rsa, s)
            }
            other => return Err(PkiError::UnsupportedKey(format!("{other:?}"))),
        };
        if schemes.is_empty() {
            return Err(PkiError::UnsupportedKey(
                "USB key 不允许该密钥做任何受支持的签名".into(),
            ));
        }
        Ok(TokenSigner {
            session: Mutex::new(session),
            key,
            kind,
            schemes,
            label: label.to_owned(),
        })
    }
}

impl KeySigner for TokenSigner {
    fn schemes(&self) -> &[SignatureScheme] {
        &self.schemes
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        match self.kind {
            KeyKind::EcP256 => SignatureAlgorithm::ECDSA,
            KeyKind::Rsa => SignatureAlgorithm::RSA,
        }
    }

    fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, PkiError> {
        let digest = ring::digest::digest(&ring::digest::SHA256, message);
        let session = self.session.lock().unwrap_or_else(|p| p.into_inner());
        let sign = |mech: &Mechanism<'_>, data: &[u8]| {
            session.sign(mech, self.key, data).map_err(token_err("C_Sign"))
        };
        match (self.kind, scheme) {
            (KeyKind::EcP256, SignatureScheme::ECDSA_NISTP256_SHA256) => {
                let raw = sign(&Mechanism::Ecdsa, digest.as_ref())?;
                der_ecdsa_signature(&raw)
            }
            (KeyKind::Rsa, SignatureScheme::RSA_PSS_SHA256) => {
                let params = PkcsPssParams {
                    hash_alg: MechanismType::SHA256,
                    mgf: PkcsMgfType::MGF1_SHA256,
                    s_len: 32.into(),
                };
                sign(&Mechanism::RsaPkcsPss(params), digest.as_ref())
            }
            (KeyKind::Rsa, SignatureScheme::RSA_PKCS1_SHA256) => {
                let mut input = PKCS1_SHA256_DIGEST_INFO.to_vec();
                input.extend_from_slice(digest.as_ref());
                sign(&Mechanism::RsaPkcs, &input)
            }
            (_, other) => Err(PkiError::UnsupportedKey(format!("{other:?}"))),
        }
    }

    fn describe(&self) -> String {
        format!("USB key“{}”", self.label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sm2_mechanisms_are_picked_by_manufacturer_never_by_number() {
        assert_eq!(
            vendor_sm2("Westone Information Industry").map(|v| v.mechanism),
            Some(0x8000_0002)
        );
        assert_eq!(vendor_sm2("SANSEC").map(|v| v.mechanism), Some(0x8000_8104));
        assert!(vendor_sm2("Feitian Technologies").is_none());
        assert!(vendor_sm2("SoftHSM project").is_none());
        // Each documented number appears once.
        let mut numbers: Vec<u64> = VENDOR_SM2.iter().map(|v| v.mechanism).collect();
        numbers.dedup();
        assert_eq!(numbers.len(), VENDOR_SM2.len());
    }

    #[test]
    fn pin_errors_follow_token_flags() {
        let f = |count_low, final_try, locked| PinFlags {
            count_low,
            final_try,
            locked,
        };
        let code = |rv, flags| pin_error(rv, flags).code();
        assert_eq!(
            code(RvError::PinIncorrect, f(false, false, false)),
            "PIN_INCORRECT"
        );
        assert_eq!(
            code(RvError::PinIncorrect, f(true, false, false)),
            "PIN_COUNT_LOW"
        );
        assert_eq!(code(RvError::PinIncorrect, f(true, true, false)), "PIN_FINAL_TRY");
        assert_eq!(code(RvError::PinIncorrect, f(true, true, true)), "PIN_LOCKED");
        assert_eq!(code(RvError::PinLocked, f(false, false, false)), "PIN_LOCKED");
        assert_eq!(code(RvError::PinLenRange, f(false, false, false)), "PIN_LENGTH");
    }
}
