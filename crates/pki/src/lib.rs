//! gjj-pki: who a certificate is, and how its private key signs without leaving the USB key.
//!
//! - [`identity`] reads a unit's identity (USCC, name, serial, validity, issuer, role) from an X.509 certificate.
//! - [`pkcs11`] lists USB keys (PKCS#11 tokens) and their certificates without a PIN, logs in, and signs on the
//!   token. SoftHSM2 stands in for the USB key in development and tests.
//! - [`pfx`] loads a soft certificate (.pfx / PKCS#12, including legacy RC2-encrypted files).
//! - [`credential`] turns either into a rustls client identity and signs detached submission signatures.
//! - [`detached`] verifies raw signatures on the gateway; [`cms`] wraps business signatures as detached CMS
//!   SignedData (RFC 5652; GB/T 35275 for SM2) that OpenSSL and other tools check.
//! - [`winstore`] lists and logs in with certificates in the Windows certificate store (CNG or legacy CSP keys,
//!   through `gjj-winstore`).
//!
//! Invariants: the private key of a token never leaves it (only digests go in, signatures come out); the PIN is
//! only passed through to the token and never stored, logged or formatted; every error a person can cause has a
//! stable code ([`PkiError::code`]) and a Chinese message that says what to do.
#![forbid(unsafe_code)]

pub mod cms;
pub mod credential;
pub mod detached;
mod error;
pub mod identity;
pub mod pfx;
pub mod pkcs11;
pub mod receipt_seal;
pub mod skf;
pub mod sm2;
pub mod trust;
pub mod winstore;

pub use credential::{Credential, KeySigner};
pub use detached::{verify_detached, DetachedSignature, SigAlg};
pub use error::{PinState, PkiError};
pub use identity::CertIdentity;
pub use trust::TrustBundle;

/// A USB-key driver file, whichever interface it speaks: the user and IT never say which.
pub enum Driver {
    /// A PKCS#11 module.
    Pkcs11(pkcs11::Module),
    /// A vendor's SKF library (GM/T 0016) of an SM2 key.
    Skf(skf::SkfDriver),
}

impl Driver {
    /// Loads `path` as PKCS#11 and, when it is not one, as SKF; when it is neither, the PKCS#11 error.
    pub fn load(path: &std::path::Path) -> Result<Driver, PkiError> {
        match pkcs11::Module::load(path) {
            Ok(m) => Ok(Driver::Pkcs11(m)),
            Err(e) => skf::SkfDriver::load(path).map(Driver::Skf).map_err(|_| e),
        }
    }
}
