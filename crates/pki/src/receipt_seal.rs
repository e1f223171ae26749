//! The centre's receipt seal (回执签章), checked offline: a detached CMS over the canonical receipt JSON (or, in a
//! PDF receipt, over the signed byte range) by a certificate of the centre's CA that is a receipt signer
//! (documentSigning, RFC 9336, and not a login certificate: a unit's USB key from the same CA cannot seal).

use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::{X509StoreContext, X509};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::{CertIdentity, PkiError, SigAlg, TrustBundle};

/// id-kp-documentSigning (RFC 9336).
const DOCUMENT_SIGNING: &str = "1.3.6.1.5.5.7.3.36";

/// Who sealed a receipt, and when.
#[derive(Clone, Debug)]
pub struct Seal {
    /// The receipt signer.
    pub signer: CertIdentity,
    /// The CMS signing time (Unix seconds), when present.
    pub signing_time: Option<i64>,
    /// The signature algorithm.
    pub alg: SigAlg,
}

fn invalid(detail: impl std::fmt::Display) -> PkiError {
    PkiError::ReceiptSeal(detail.to_string())
}

/// Whether a certificate may seal receipts: documentSigning among its purposes, and no client authentication.
pub fn is_receipt_signer(der: &[u8]) -> bool {
    let Ok((_, cert)) = X509Certificate::from_der(der) else {
        return false;
    };
    match cert.extended_key_usage() {
        Ok(Some(eku)) => {
            !eku.value.client_auth
                && eku
                    .value
                    .other
                    .iter()
                    .any(|oid| oid.to_id_string() == DOCUMENT_SIGNING)
        }
        _ => false,
    }
}

/// The receipt's verification code: the first 16 hex digits of SHA-256 of the canonical receipt, in groups of
/// four — short enough to read out over the phone to the centre.
pub fn verification_code(canonical: &[u8]) -> String {
    let digest = hex::encode_upper(ring::digest::digest(&ring::digest::SHA256, canonical));
    digest.as_bytes()[..16]
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// Verifies a receipt seal over `content`: the CMS signature and digest, the signer's chain to a root of the
/// centre's bundle (RSA/ECDSA; OpenSSL builds the path), and the signer's receipt purpose.
pub fn verify(content: &[u8], cms_der: &[u8], trust: &TrustBundle) -> Result<Seal, PkiError> {
    let cms = crate::cms::verify(cms_der, content).map_err(|e| match e {
        PkiError::SignatureInvalid => invalid("签章与回执内容不符，内容在签章后被修改过"),
        other => invalid(other),
    })?;
    if !is_receipt_signer(&cms.certificate) {
        return Err(invalid("签章证书不是中心的回执签章证书"));
    }
    let signer = X509::from_der(&cms.certificate).map_err(invalid)?;
    let mut store = X509StoreBuilder::new().map_err(invalid)?;
    for root in &trust.roots {
        store
            .add_cert(X509::from_der(root).map_err(invalid)?)
            .map_err(invalid)?;
    }
    let store = store.build();
    let mut chain = Stack::new().map_err(invalid)?;
    for der in &trust.intermediates {
        chain
            .push(X509::from_der(der).map_err(invalid)?)
            .map_err(invalid)?;
    }
    let mut context = X509StoreContext::new().map_err(invalid)?;
    let trusted = context
        .init(&store, &signer, &chain, |c| {
            let ok = c.verify_cert()?;
            Ok(ok.then_some(()).ok_or_else(|| c.error().to_string()))
        })
        .map_err(invalid)?;
    trusted.map_err(|e| invalid(format!("签章证书不是中心 CA 签发的或已失效（{e}）")))?;
    Ok(Seal {
        signer: CertIdentity::from_der(&cms.certificate).map_err(invalid)?,
        signing_time: cms.signing_time,
        alg: cms.alg,
    })
}
