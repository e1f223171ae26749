//! Signing keys for the harnesses: an ECDSA P-256 and an RSA-2048 key (made once per process), each with
//! certificates that name a unit the way real CA certificates do (O = unit name, OU = 统一社会信用代码), and a
//! `gjj_pki::Credential` over them, so the targets sign exactly as the client does (CMS or raw).

use std::sync::{Arc, OnceLock};

use gjj_pki::{Credential, KeySigner, SigAlg};
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, RsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING, RSA_PKCS1_SHA256};
use rustls::{SignatureAlgorithm, SignatureScheme};
use rustls_pki_types::CertificateDer;

/// A private key, the ways the harness needs it.
pub struct Key {
    /// PKCS#8 of the key (rcgen signs certificates with it).
    pkcs8: Vec<u8>,
    rsa: bool,
    signer: Arc<dyn KeySigner>,
}

#[derive(Debug)]
struct Ec(EcdsaKeyPair);

impl KeySigner for Ec {
    fn schemes(&self) -> &[SignatureScheme] {
        &[SignatureScheme::ECDSA_NISTP256_SHA256]
    }
    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::ECDSA
    }
    fn sign(&self, _scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, gjj_pki::PkiError> {
        self.0
            .sign(&SystemRandom::new(), message)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| gjj_pki::PkiError::SignatureInvalid)
    }
    fn describe(&self) -> String {
        "fuzz ECDSA key".into()
    }
}

#[derive(Debug)]
struct Rsa(RsaKeyPair);

impl KeySigner for Rsa {
    fn schemes(&self) -> &[SignatureScheme] {
        &[SignatureScheme::RSA_PKCS1_SHA256]
    }
    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::RSA
    }
    fn sign(&self, _scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, gjj_pki::PkiError> {
        let mut sig = vec![0u8; self.0.public().modulus_len()];
        self.0
            .sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut sig)
            .map_err(|_| gjj_pki::PkiError::SignatureInvalid)?;
        Ok(sig)
    }
    fn describe(&self) -> String {
        "fuzz RSA key".into()
    }
}

/// The ECDSA P-256 key.
pub fn ec() -> &'static Key {
    static KEY: OnceLock<Key> = OnceLock::new();
    KEY.get_or_init(|| {
        let pair = KeyPair::generate().expect("ECDSA key");
        let pkcs8 = pair.serialize_der();
        let ring = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &pkcs8, &SystemRandom::new())
            .expect("ring reads rcgen's key");
        Key {
            pkcs8,
            rsa: false,
            signer: Arc::new(Ec(ring)),
        }
    })
}

/// The RSA-2048 key (generated with OpenSSL: ring cannot make RSA keys).
pub fn rsa() -> &'static Key {
    static KEY: OnceLock<Key> = OnceLock::new();
    KEY.get_or_init(|| {
        let rsa = openssl::rsa::Rsa::generate(2048).expect("RSA key");
        let pkey = openssl::pkey::PKey::from_rsa(rsa).expect("PKey");
        let pkcs8 = pkey.private_key_to_pkcs8().expect("PKCS#8");
        let ring = RsaKeyPair::from_pkcs8(&pkcs8).expect("ring reads the RSA key");
        Key {
            pkcs8,
            rsa: true,
            signer: Arc::new(Rsa(ring)),
        }
    })
}

impl Key {
    fn rcgen(&self) -> KeyPair {
        let der = rustls_pki_types::PrivatePkcs8KeyDer::from(self.pkcs8.clone());
        let alg = if self.rsa {
            &rcgen::PKCS_RSA_SHA256
        } else {
            &rcgen::PKCS_ECDSA_P256_SHA256
        };
        KeyPair::from_pkcs8_der_and_sign_algo(&der, alg).expect("rcgen reads the key")
    }

    /// A self-signed certificate for this key naming unit `name` with USCC `uscc` (when given).
    pub fn certificate(&self, name: &str, uscc: Option<&str>) -> Vec<u8> {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, name);
        dn.push(DnType::OrganizationName, name);
        if let Some(uscc) = uscc {
            dn.push(DnType::OrganizationalUnitName, uscc);
        }
        params.distinguished_name = dn;
        params
            .self_signed(&self.rcgen())
            .expect("certificate")
            .der()
            .to_vec()
    }

    /// The algorithm of this key's raw signatures.
    pub fn alg(&self) -> SigAlg {
        if self.rsa {
            SigAlg::RsaPkcs1Sha256
        } else {
            SigAlg::EcdsaP256Sha256
        }
    }

    /// The key with certificate `cert`, as the client holds it.
    pub fn credential(&self, cert: &[u8]) -> Credential {
        Credential::new(CertificateDer::from(cert.to_vec()), self.signer.clone()).expect("credential")
    }

    /// A raw (pre-CMS clients') signature of `message`.
    pub fn sign_raw(&self, message: &[u8]) -> Vec<u8> {
        self.signer.sign(self.signer.schemes()[0], message).expect("sign")
    }
}

/// A detached CMS SignedData over `content` by `key` with certificate `cert`, as the client makes it.
pub fn cms(key: &Key, cert: &[u8], content: &[u8]) -> Vec<u8> {
    gjj_pki::cms::sign(&key.credential(cert), content, 1_780_000_000).expect("CMS signature")
}
