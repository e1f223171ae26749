//! Soft certificates: a .pfx / .p12 file with the key inside, including legacy RC2-40 files that OpenSSL 3
//! only reads with its legacy provider loaded (shared/notes/pki.md).

use std::path::Path;
use std::sync::{Arc, OnceLock};

use openssl::pkcs12::Pkcs12;
use openssl::pkey::Id;
use openssl::provider::Provider;
use rustls::sign::SigningKey;
use rustls::{SignatureAlgorithm, SignatureScheme};
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::credential::KeySigner;
use crate::{Credential, PkiError};

/// Loading "legacy" explicitly stops "default" from loading by itself, so both are loaded, once, and kept.
fn providers() -> Result<(), String> {
    static PROVIDERS: OnceLock<Result<(Provider, Provider), String>> = OnceLock::new();
    PROVIDERS
        .get_or_init(|| {
            let legacy = Provider::load(None, "legacy").map_err(|e| e.to_string())?;
            let default = Provider::load(None, "default").map_err(|e| e.to_string())?;
            Ok((legacy, default))
        })
        .as_ref()
        .map(|_| ())
        .map_err(Clone::clone)
}

/// Loads a .pfx file. The key stays in this process's memory (it is a soft certificate by nature).
pub fn load_pfx(path: &Path, password: &str) -> Result<Credential, PkiError> {
    let err = |detail: String| PkiError::Pfx {
        path: path.to_owned(),
        detail,
    };
    providers().map_err(|e| err(format!("OpenSSL legacy provider: {e}")))?;
    let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    let pkcs12 = Pkcs12::from_der(&bytes).map_err(|_| err("不是 PKCS#12 文件".into()))?;
    let parsed = pkcs12.parse2(password).map_err(|e| {
        if e.errors()
            .iter()
            .any(|x| x.reason().is_some_and(|r| r.contains("mac verify")))
        {
            PkiError::PfxPassword
        } else {
            err(e.to_string())
        }
    })?;
    let (Some(pkey), Some(cert)) = (parsed.pkey, parsed.cert) else {
        return Err(err("文件中缺少证书或私钥".into()));
    };
    let (schemes, algorithm) = match pkey.id() {
        Id::EC => (
            vec![SignatureScheme::ECDSA_NISTP256_SHA256],
            SignatureAlgorithm::ECDSA,
        ),
        Id::RSA => (
            vec![SignatureScheme::RSA_PSS_SHA256, SignatureScheme::RSA_PKCS1_SHA256],
            SignatureAlgorithm::RSA,
        ),
        other => return Err(PkiError::UnsupportedKey(format!("{other:?}"))),
    };
    let pkcs8 = pkey.private_key_to_pkcs8().map_err(|e| err(e.to_string()))?;
    let key = rustls::crypto::ring::sign::any_supported_type(&PrivateKeyDer::Pkcs8(
        PrivatePkcs8KeyDer::from(pkcs8),
    ))
    .map_err(|e| PkiError::UnsupportedKey(e.to_string()))?;
    let leaf = cert.to_der().map_err(|e| err(e.to_string()))?;
    let signer = SoftSigner {
        key,
        schemes,
        algorithm,
        file: path.display().to_string(),
    };
    Credential::new(leaf.into(), Arc::new(signer))
}

#[derive(Debug)]
struct SoftSigner {
    key: Arc<dyn SigningKey>,
    schemes: Vec<SignatureScheme>,
    algorithm: SignatureAlgorithm,
    file: String,
}

impl KeySigner for SoftSigner {
    fn schemes(&self) -> &[SignatureScheme] {
        &self.schemes
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, PkiError> {
        let signer = self
            .key
            .choose_scheme(&[scheme])
            .ok_or_else(|| PkiError::UnsupportedKey(format!("{scheme:?}")))?;
        signer
            .sign(message)
            .map_err(|e| PkiError::UnsupportedKey(e.to_string()))
    }

    fn describe(&self) -> String {
        format!("证书文件 {}", self.file)
    }
}
