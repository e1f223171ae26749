//! The centre's CA bundle: the only trust anchors the client (and the gateway, for client certificates) use.

use std::path::Path;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::PkiError;

/// The centre's CA certificates, split into self-signed roots and intermediates.
#[derive(Clone, Debug, Default)]
pub struct TrustBundle {
    /// Self-signed CA certificates: trust anchors.
    pub roots: Vec<CertificateDer<'static>>,
    /// CA certificates issued by another CA: sent along with a client certificate so the gateway can build the
    /// chain (USB keys usually hold only the leaf).
    pub intermediates: Vec<CertificateDer<'static>>,
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
            if parsed.subject() == parsed.issuer() {
                bundle.roots.push(cert);
            } else {
                bundle.intermediates.push(cert);
            }
        }
        if bundle.roots.is_empty() {
            return Err("文件中没有自签名的根证书".into());
        }
        Ok(bundle)
    }

    /// Every certificate in the bundle (roots first).
    pub fn all(&self) -> impl Iterator<Item = &CertificateDer<'static>> {
        self.roots.iter().chain(self.intermediates.iter())
    }
}
