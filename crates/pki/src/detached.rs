//! Detached signatures over submission payloads (non-repudiation), and their verification on the gateway.

use serde::{Deserialize, Serialize};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::PkiError;

/// Signature algorithm of a detached signature; the wire name is stable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SigAlg {
    /// ECDSA P-256 with SHA-256, DER signature.
    #[serde(rename = "ecdsa-p256-sha256")]
    EcdsaP256Sha256,
    /// RSA-PSS with SHA-256, MGF1-SHA-256, salt 32.
    #[serde(rename = "rsa-pss-sha256")]
    RsaPssSha256,
    /// RSA PKCS#1 v1.5 with SHA-256.
    #[serde(rename = "rsa-pkcs1-sha256")]
    RsaPkcs1Sha256,
    /// SM2 with SM3 and GM/T 0009's distinguishing ID (国密 keys), DER signature.
    #[serde(rename = "sm2-sm3")]
    Sm2Sm3,
}

impl SigAlg {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            SigAlg::EcdsaP256Sha256 => "ecdsa-p256-sha256",
            SigAlg::RsaPssSha256 => "rsa-pss-sha256",
            SigAlg::RsaPkcs1Sha256 => "rsa-pkcs1-sha256",
            SigAlg::Sm2Sm3 => "sm2-sm3",
        }
    }

    /// Parses the wire name.
    pub fn parse(text: &str) -> Option<SigAlg> {
        [
            SigAlg::EcdsaP256Sha256,
            SigAlg::RsaPssSha256,
            SigAlg::RsaPkcs1Sha256,
            SigAlg::Sm2Sm3,
        ]
        .into_iter()
        .find(|a| a.as_str() == text)
    }

    pub(crate) fn from_scheme(scheme: rustls::SignatureScheme) -> Option<SigAlg> {
        use rustls::SignatureScheme as S;
        match scheme {
            S::ECDSA_NISTP256_SHA256 => Some(SigAlg::EcdsaP256Sha256),
            S::RSA_PSS_SHA256 => Some(SigAlg::RsaPssSha256),
            S::RSA_PKCS1_SHA256 => Some(SigAlg::RsaPkcs1Sha256),
            _ => None,
        }
    }
}

/// A signature made by the client's key over the exact payload bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DetachedSignature {
    /// Algorithm.
    pub alg: SigAlg,
    /// Signature bytes.
    pub signature: Vec<u8>,
}

/// Verifies `signature` over `payload` with the public key of `cert_der`.
pub fn verify_detached(
    cert_der: &[u8],
    alg: SigAlg,
    payload: &[u8],
    signature: &[u8],
) -> Result<(), PkiError> {
    let (_, cert) =
        X509Certificate::from_der(cert_der).map_err(|e| PkiError::CertificateInvalid(e.to_string()))?;
    let key = cert.public_key().subject_public_key.data.as_ref();
    let algorithm: &dyn ring::signature::VerificationAlgorithm = match alg {
        SigAlg::EcdsaP256Sha256 => &ring::signature::ECDSA_P256_SHA256_ASN1,
        SigAlg::RsaPssSha256 => &ring::signature::RSA_PSS_2048_8192_SHA256,
        SigAlg::RsaPkcs1Sha256 => &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        // ring has no SM2.
        SigAlg::Sm2Sm3 => return crate::sm2::verify_by_certificate(cert_der, payload, signature),
    };
    ring::signature::UnparsedPublicKey::new(algorithm, key)
        .verify(payload, signature)
        .map_err(|_| PkiError::SignatureInvalid)
}
