//! gjj-winstore: certificates in the Windows certificate store and their keys, signing without the key
//! leaving the CA's driver (README.md). The only crate of the workspace with `unsafe` code; on other
//! platforms it compiles to "no store" ([`list`] is empty, [`StoreKey::open`] fails) so callers need no `cfg`.
#![cfg_attr(not(windows), forbid(unsafe_code))]

use std::fmt;

pub mod dpapi;

/// A system store the CA's driver or IT may have put the certificate in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Location {
    /// `CurrentUser\MY` (个人): where a CA's driver registers the inserted key's certificate.
    CurrentUser,
    /// `LocalMachine\MY`: where IT put it for every user of the PC.
    LocalMachine,
}

impl Location {
    /// Both, in the order they are searched.
    pub const ALL: [Location; 2] = [Location::CurrentUser, Location::LocalMachine];

    /// The name Windows tools use (`certutil -user -store My`, `Cert:\CurrentUser\My`).
    pub fn id(self) -> &'static str {
        match self {
            Location::CurrentUser => "CurrentUser",
            Location::LocalMachine => "LocalMachine",
        }
    }

    /// Parses [`Location::id`].
    pub fn parse(id: &str) -> Option<Location> {
        Location::ALL
            .into_iter()
            .find(|l| l.id().eq_ignore_ascii_case(id))
    }

    /// The name certmgr.msc shows, in Chinese.
    pub fn label(self) -> &'static str {
        match self {
            Location::CurrentUser => "Windows 证书存储（当前用户\\个人）",
            Location::LocalMachine => "Windows 证书存储（本机\\个人）",
        }
    }
}

/// A certificate that has a private key, as the store describes it, read without opening the key (no PIN
/// dialog, no driver call).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreCert {
    /// Which store.
    pub location: Location,
    /// The certificate (DER).
    pub der: Vec<u8>,
    /// SHA-1 thumbprint: how Windows tools name a certificate.
    pub sha1: [u8; 20],
    /// The CSP or CNG key storage provider holding the key (the CA driver's name for it).
    pub provider: String,
    /// Key container name.
    pub container: String,
    /// The provider is a CNG key storage provider (provider type 0); otherwise a legacy CryptoAPI CSP.
    pub cng_provider: bool,
}

/// A failed Windows call: which one and the code it returned (an HRESULT, or a Win32 error from
/// `GetLastError`, as the API reports it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WinError {
    /// The API function.
    pub op: &'static str,
    /// Its error code.
    pub code: u32,
}

impl fmt::Display for WinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} 0x{:08X}", self.op, self.code)
    }
}

impl std::error::Error for WinError {}

/// Code used off Windows: there is no certificate store to open.
pub const E_NOT_WINDOWS: u32 = 0x8007_0032; // HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)

/// How the key is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// CNG (NCrypt): RSA PKCS#1 v1.5 and PSS, ECDSA.
    Cng,
    /// A legacy CryptoAPI CSP: RSA PKCS#1 v1.5 only.
    Csp,
}

/// The key's algorithm family.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyAlgorithm {
    /// RSA.
    Rsa,
    /// ECDSA (the curve follows from the certificate).
    Ecdsa,
    /// Anything else the provider names (e.g. an SM2 key of a vendor KSP).
    Other(String),
}

/// RSA padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Padding {
    /// PKCS#1 v1.5 with the SHA-256 DigestInfo.
    Pkcs1,
    /// PSS, MGF1-SHA-256, salt = 32 bytes (what TLS 1.3 asks).
    Pss,
    /// ECDSA: no padding.
    None,
}

/// Certificates with a private key in one store. A store that does not exist yet (a fresh Windows profile)
/// is empty, not an error.
pub fn list(location: Location) -> Result<Vec<StoreCert>, WinError> {
    imp::list(location)
}

/// An opened private key of a store certificate.
pub struct StoreKey {
    inner: imp::Key,
}

impl fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreKey")
            .field("kind", &self.kind())
            .finish_non_exhaustive()
    }
}

impl StoreKey {
    /// Acquires the key of the certificate with this thumbprint: CNG when the provider offers it, the legacy
    /// CSP otherwise. `parent_window` (an HWND) becomes the owner of the driver's PIN dialog where the API
    /// allows. Does not sign; the PIN dialog, if any, appears at the first [`sign_sha256`](Self::sign_sha256).
    pub fn open(
        location: Location,
        sha1: &[u8; 20],
        parent_window: Option<isize>,
    ) -> Result<StoreKey, WinError> {
        imp::Key::open(location, sha1, parent_window).map(|inner| StoreKey { inner })
    }

    /// CNG or CSP.
    pub fn kind(&self) -> KeyKind {
        self.inner.kind()
    }

    /// The key's algorithm as the provider names it.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.inner.algorithm()
    }

    /// Signs a SHA-256 digest. RSA signatures are big-endian as TLS wants them; ECDSA signatures are raw
    /// `r || s` (IEEE P1363), which the caller encodes as DER.
    pub fn sign_sha256(&self, digest: &[u8; 32], padding: Padding) -> Result<Vec<u8>, WinError> {
        self.inner.sign_sha256(digest, padding)
    }
}

#[cfg(not(windows))]
mod imp {
    use super::*;

    pub(crate) enum Key {}

    pub(crate) fn list(_: Location) -> Result<Vec<StoreCert>, WinError> {
        Ok(Vec::new())
    }

    impl Key {
        pub(crate) fn open(_: Location, _: &[u8; 20], _: Option<isize>) -> Result<Key, WinError> {
            Err(WinError {
                op: "CertOpenStore",
                code: E_NOT_WINDOWS,
            })
        }

        pub(crate) fn kind(&self) -> KeyKind {
            match *self {}
        }

        pub(crate) fn algorithm(&self) -> KeyAlgorithm {
            match *self {}
        }

        pub(crate) fn sign_sha256(&self, _: &[u8; 32], _: Padding) -> Result<Vec<u8>, WinError> {
            match *self {}
        }
    }
}

#[cfg(windows)]
mod imp;
