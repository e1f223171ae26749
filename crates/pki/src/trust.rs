//! The centre's CA bundle: the only trust anchors the client (and the gateway, for client certificates) use.

use std::path::Path;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::PkiError;

/// The centre's CA certificates, split into self-signed roots and intermediates, with the SM2 (国密) chains kept
/// apart: rustls has no SM2, so those never go into a rustls store; [`crate::sm2`] verifies SM2 unit
/// certificates against them.
#[derive(Clone, Debug, Default)]
pub struct TrustBundle {
    /// Self-signed CA certificates: trust anchors.
    pub roots: Vec<CertificateDer<'static>>,
    /// CA certificates issued by another CA: sent along with a client certificate so the gateway can build the
    /// chain (USB keys usually hold only the leaf).
    pub intermediates: Vec<CertificateDer<'static>>,
    /// Self-signed SM2 CA certificates.
    pub sm2_roots: Vec<CertificateDer<'static>>,
    /// SM2 CA certificates issued by another SM2 CA.
    pub sm2_intermediates: Vec<CertificateDer<'static>>,
}

impl TrustBundle {
    /// Reads a PEM bundle.
    pub fn from_pem_file(path: &Path) -> Result<Self, PkiError> {
        let bytes = std::fs::read(path).map_err(|e| PkiError::TrustBundle {
            path: path.to_owned(),
            detail: e.to_string(),
        })?;
        Self::from_pem(&bytes).map_err(|detail| PkiError::TrustBundle {
            path: path.to_owned(),
            detail,
        })
    }

    /// Parses a PEM bundle from memory.
    pub fn from_pem(pem: &[u8]) -> Result<Self, String> {
        let mut bundle = TrustBundle::default();
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| e.to_string())?;
            let (_, parsed) = X509Certificate::from_der(&cert).map_err(|e| e.to_string())?;
            let root = parsed.subject() == parsed.issuer();
            match (crate::sm2::is_sm2(&parsed), root) {
                (false, true) => bundle.roots.push(cert),
                (false, false) => bundle.intermediates.push(cert),
                (true, true) => bundle.sm2_roots.push(cert),
                (true, false) => bundle.sm2_intermediates.push(cert),
            }
        }
        if bundle.roots.is_empty() && bundle.sm2_roots.is_empty() {
            return Err("文件中没有自签名的根证书".into());
        }
        Ok(bundle)
    }

    /// Every RSA/ECDSA certificate in the bundle (roots first): what rustls gets.
    pub fn all(&self) -> impl Iterator<Item = &CertificateDer<'static>> {
        self.roots.iter().chain(self.intermediates.iter())
    }
}
