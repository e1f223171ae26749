//! The Windows calls. Every handle is owned by one value and released in its `Drop`.

use std::ffi::c_void;
use std::ptr;
use std::sync::Mutex;

use rustls_cng::key::{AlgorithmGroup, NCryptKey, SignaturePadding};
use windows_sys::core::PCWSTR;
use windows_sys::Win32::Foundation::{GetLastError, NTE_BAD_ALGID};
use windows_sys::Win32::Security::Cryptography::{
    CertCloseStore, CertEnumCertificatesInStore, CertFindCertificateInStore, CertFreeCertificateContext,
    CertGetCertificateContextProperty, CertOpenStore, CryptAcquireCertificatePrivateKey,
    CryptAcquireContextW, CryptCreateHash, CryptDestroyHash, CryptReleaseContext, CryptSetHashParam,
    CryptSetProvParam, CryptSignHashW, NCryptSetProperty, AT_KEYEXCHANGE, AT_SIGNATURE, CALG_SHA_256,
    CERT_CONTEXT, CERT_FIND_SHA1_HASH, CERT_KEY_PROV_INFO_PROP_ID, CERT_NCRYPT_KEY_SPEC,
    CERT_SHA1_HASH_PROP_ID, CERT_STORE_OPEN_EXISTING_FLAG, CERT_STORE_PROV_SYSTEM_W,
    CERT_STORE_READONLY_FLAG, CERT_SYSTEM_STORE_CURRENT_USER, CERT_SYSTEM_STORE_LOCAL_MACHINE,
    CRYPT_ACQUIRE_PREFER_NCRYPT_KEY_FLAG, CRYPT_ACQUIRE_WINDOW_HANDLE_FLAG, CRYPT_INTEGER_BLOB,
    CRYPT_KEY_PROV_INFO, CRYPT_MACHINE_KEYSET, HP_HASHVAL, MS_ENH_RSA_AES_PROV_W,
    NCRYPT_WINDOW_HANDLE_PROPERTY, PKCS_7_ASN_ENCODING, PP_CLIENT_HWND, PROV_RSA_AES, X509_ASN_ENCODING,
};

use crate::{KeyAlgorithm, KeyKind, Location, Padding, StoreCert, WinError};

const ENCODING: u32 = X509_ASN_ENCODING | PKCS_7_ASN_ENCODING;
/// ERROR_FILE_NOT_FOUND / its HRESULT: the store's registry key does not exist yet (a fresh profile).
const NOT_FOUND: [u32; 2] = [2, 0x8007_0002];

fn last_error(op: &'static str) -> WinError {
    // SAFETY: reads the calling thread's last-error value; no preconditions.
    let code = unsafe { GetLastError() };
    WinError { op, code }
}

fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

/// # Safety
/// `p` is null or points to a NUL-terminated UTF-16 string.
unsafe fn from_wide(p: *const u16) -> String {
    if p.is_null() {
        return String::new();
    }
    let mut len = 0;
    // SAFETY: the caller guarantees a NUL terminator, so every index up to it is in bounds.
    unsafe {
        while *p.add(len) != 0 {
            len += 1;
        }
        String::from_utf16_lossy(std::slice::from_raw_parts(p, len))
    }
}

/// An open system store, read-only: a clerk without admin rights can read `LocalMachine\MY`.
struct Store(*mut c_void);

impl Store {
    fn open(location: Location) -> Result<Option<Store>, WinError> {
        let where_ = match location {
            Location::CurrentUser => CERT_SYSTEM_STORE_CURRENT_USER,
            Location::LocalMachine => CERT_SYSTEM_STORE_LOCAL_MACHINE,
        };
        let name = wide("MY");
        // SAFETY: CERT_STORE_PROV_SYSTEM_W takes a NUL-terminated UTF-16 store name, alive for the call.
        let handle = unsafe {
            CertOpenStore(
                CERT_STORE_PROV_SYSTEM_W,
                0,
                0,
                where_ | CERT_STORE_READONLY_FLAG | CERT_STORE_OPEN_EXISTING_FLAG,
                name.as_ptr().cast(),
            )
        };
        if handle.is_null() {
            let e = last_error("CertOpenStore");
            return if NOT_FOUND.contains(&e.code) {
                Ok(None)
            } else {
                Err(e)
            };
        }
        Ok(Some(Store(handle)))
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        // SAFETY: the handle came from CertOpenStore and is closed once.
        unsafe {
            CertCloseStore(self.0, 0);
        }
    }
}

/// A certificate context we own a reference to.
struct Cert(*const CERT_CONTEXT);

impl Drop for Cert {
    fn drop(&mut self) {
        // SAFETY: the context came from CertFindCertificateInStore and is freed once.
        unsafe {
            CertFreeCertificateContext(self.0);
        }
    }
}

/// A context property as bytes (8-byte aligned, so that structures can be read from it).
///
/// # Safety
/// `cert` is a valid certificate context.
unsafe fn property(cert: *const CERT_CONTEXT, id: u32) -> Option<Vec<u64>> {
    let mut size = 0u32;
    // SAFETY: a null buffer asks for the size only.
    if unsafe { CertGetCertificateContextProperty(cert, id, ptr::null_mut(), &mut size) } == 0 {
        return None;
    }
    let mut buf = vec![0u64; (size as usize).div_ceil(8)];
    // SAFETY: buf holds at least `size` bytes.
    let ok = unsafe { CertGetCertificateContextProperty(cert, id, buf.as_mut_ptr().cast(), &mut size) };
    (ok != 0).then_some(buf)
}

/// What CERT_KEY_PROV_INFO says about the key: (provider, container, provider type, flags, key spec).
///
/// # Safety
/// `cert` is a valid certificate context.
unsafe fn prov_info(cert: *const CERT_CONTEXT) -> Option<(String, String, u32, u32, u32)> {
    // SAFETY: forwarded from the caller.
    let buf = unsafe { property(cert, CERT_KEY_PROV_INFO_PROP_ID)? };
    if buf.len() * 8 < std::mem::size_of::<CRYPT_KEY_PROV_INFO>() {
        return None;
    }
    // SAFETY: the property is a CRYPT_KEY_PROV_INFO followed by the strings it points into; buf is aligned
    // for it and large enough.
    unsafe {
        let info = &*buf.as_ptr().cast::<CRYPT_KEY_PROV_INFO>();
        Some((
            from_wide(info.pwszProvName),
            from_wide(info.pwszContainerName),
            info.dwProvType,
            info.dwFlags,
            info.dwKeySpec,
        ))
    }
}

pub(crate) fn list(location: Location) -> Result<Vec<StoreCert>, WinError> {
    let Some(store) = Store::open(location)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    let mut cur: *const CERT_CONTEXT = ptr::null();
    loop {
        // SAFETY: `cur` is null or the previous context of this enumeration, which the call frees.
        cur = unsafe { CertEnumCertificatesInStore(store.0, cur) };
        if cur.is_null() {
            break;
        }
        // SAFETY: `cur` is a valid context until the next enumeration call.
        let Some((provider, container, prov_type, _, _)) = (unsafe { prov_info(cur) }) else {
            continue; // no private key: not a login certificate
        };
        // SAFETY: as above.
        let der = unsafe {
            let c = &*cur;
            std::slice::from_raw_parts(c.pbCertEncoded, c.cbCertEncoded as usize).to_vec()
        };
        let mut sha1 = [0u8; 20];
        // SAFETY: as above.
        if let Some(hash) = unsafe { property(cur, CERT_SHA1_HASH_PROP_ID) } {
            let bytes: Vec<u8> = hash.iter().flat_map(|w| w.to_ne_bytes()).collect();
            sha1.copy_from_slice(&bytes[..20]);
        }
        out.push(StoreCert {
            location,
            der,
            sha1,
            provider,
            container,
            cng_provider: prov_type == 0,
        });
    }
    Ok(out)
}

/// A legacy CSP key: the provider handle and which key of the container.
struct Csp {
    prov: usize,
    spec: u32,
}

impl Drop for Csp {
    fn drop(&mut self) {
        // SAFETY: the handle was acquired for us (caller-free) and is released once.
        unsafe {
            CryptReleaseContext(self.prov, 0);
        }
    }
}

impl Csp {
    /// Whether the provider can hash SHA-256 (Microsoft's base and strong CSPs cannot; their AES CSP can).
    fn has_sha256(&self) -> bool {
        let mut hash = 0usize;
        // SAFETY: a valid provider handle; the hash is destroyed right away.
        unsafe {
            if CryptCreateHash(self.prov, CALG_SHA_256, 0, 0, &mut hash) == 0 {
                return false;
            }
            CryptDestroyHash(hash);
        }
        true
    }

    fn sign(&self, digest: &[u8; 32]) -> Result<Vec<u8>, WinError> {
        let mut hash = 0usize;
        // SAFETY: valid provider handle; `hash` is destroyed on every path below.
        if unsafe { CryptCreateHash(self.prov, CALG_SHA_256, 0, 0, &mut hash) } == 0 {
            return Err(last_error("CryptCreateHash"));
        }
        let result = (|| {
            // SAFETY: HP_HASHVAL takes the digest (32 bytes for SHA-256), alive for the call.
            if unsafe { CryptSetHashParam(hash, HP_HASHVAL, digest.as_ptr(), 0) } == 0 {
                return Err(last_error("CryptSetHashParam"));
            }
            let mut len = 0u32;
            // SAFETY: a null buffer asks for the length. The driver may show its PIN dialog here.
            if unsafe { CryptSignHashW(hash, self.spec, ptr::null(), 0, ptr::null_mut(), &mut len) } == 0 {
                return Err(last_error("CryptSignHashW"));
            }
            let mut sig = vec![0u8; len as usize];
            // SAFETY: `sig` holds `len` bytes.
            if unsafe { CryptSignHashW(hash, self.spec, ptr::null(), 0, sig.as_mut_ptr(), &mut len) } == 0 {
                return Err(last_error("CryptSignHashW"));
            }
            sig.truncate(len as usize);
            // CryptoAPI returns the signature little-endian.
            sig.reverse();
            Ok(sig)
        })();
        // SAFETY: created above, destroyed once.
        unsafe {
            CryptDestroyHash(hash);
        }
        result
    }
}

enum Handle {
    Cng(NCryptKey),
    Csp(Csp),
}

pub(crate) struct Key {
    // One call at a time: CSP handles are not safe to share between threads, and a PIN dialog must not be
    // asked for twice at once.
    handle: Mutex<Handle>,
    kind: KeyKind,
    algorithm: KeyAlgorithm,
}

// SAFETY: the handles are plain integers owned by this value; every use goes through the Mutex.
unsafe impl Send for Key {}
// SAFETY: as above.
unsafe impl Sync for Key {}

impl Key {
    pub(crate) fn open(location: Location, sha1: &[u8; 20], parent: Option<isize>) -> Result<Key, WinError> {
        let store = Store::open(location)?.ok_or(WinError {
            op: "CertOpenStore",
            code: 0x8009_2004, // CRYPT_E_NOT_FOUND
        })?;
        let blob = CRYPT_INTEGER_BLOB {
            cbData: 20,
            pbData: sha1.as_ptr().cast_mut(),
        };
        // SAFETY: the blob points at 20 bytes alive for the call.
        let found = unsafe {
            CertFindCertificateInStore(
                store.0,
                ENCODING,
                0,
                CERT_FIND_SHA1_HASH,
                (&blob as *const CRYPT_INTEGER_BLOB).cast(),
                ptr::null(),
            )
        };
        if found.is_null() {
            return Err(last_error("CertFindCertificateInStore"));
        }
        let cert = Cert(found);
        let hwnd = parent.unwrap_or(0) as *mut c_void;
        let mut flags = CRYPT_ACQUIRE_PREFER_NCRYPT_KEY_FLAG;
        if parent.is_some() {
            flags |= CRYPT_ACQUIRE_WINDOW_HANDLE_FLAG;
        }
        let (mut handle, mut spec, mut free) = (0usize, 0u32, 0);
        // SAFETY: a valid context; with the window-handle flag the parameter points at an HWND.
        let ok = unsafe {
            CryptAcquireCertificatePrivateKey(
                cert.0,
                flags,
                if parent.is_some() {
                    (&hwnd as *const *mut c_void).cast()
                } else {
                    ptr::null()
                },
                &mut handle,
                &mut spec,
                &mut free,
            )
        };
        if ok == 0 {
            return Err(last_error("CryptAcquireCertificatePrivateKey"));
        }
        if spec == CERT_NCRYPT_KEY_SPEC {
            let mut key = if free != 0 {
                NCryptKey::new_owned(handle)
            } else {
                NCryptKey::new_borrowed(handle)
            };
            // The PIN dialog is the driver's: let it show.
            key.set_silent(false);
            if parent.is_some() {
                // SAFETY: the property takes the HWND's bytes; best effort (older KSPs ignore it).
                unsafe {
                    NCryptSetProperty(
                        key.inner(),
                        NCRYPT_WINDOW_HANDLE_PROPERTY,
                        (&hwnd as *const *mut c_void).cast(),
                        std::mem::size_of::<*mut c_void>() as u32,
                        0,
                    );
                }
            }
            let algorithm = match key.algorithm_group() {
                Ok(AlgorithmGroup::Rsa) => KeyAlgorithm::Rsa,
                Ok(AlgorithmGroup::Ecdsa) => KeyAlgorithm::Ecdsa,
                Ok(other) => KeyAlgorithm::Other(format!("{other:?}")),
                Err(_) => KeyAlgorithm::Other(key.algorithm().unwrap_or_default()),
            };
            return Ok(Key {
                handle: Mutex::new(Handle::Cng(key)),
                kind: KeyKind::Cng,
                algorithm,
            });
        }
        // A legacy CSP key. Key spec 3 (both) is what Wine's PFX import records; rsaenh wants 1 or 2.
        let spec = if spec == AT_SIGNATURE {
            AT_SIGNATURE
        } else {
            AT_KEYEXCHANGE
        };
        let mut csp = Csp { prov: handle, spec };
        if free == 0 {
            // A cached handle belongs to the context: take our own instead (released in Drop).
            csp = reacquire(cert.0, None, spec)?.unwrap_or(csp);
        }
        if !csp.has_sha256() {
            // Microsoft's older software CSPs share their containers with the AES CSP, which hashes SHA-256.
            if let Some(aes) = reacquire(cert.0, Some((MS_ENH_RSA_AES_PROV_W, PROV_RSA_AES)), spec)? {
                csp = aes;
            }
        }
        if parent.is_some() {
            // SAFETY: PP_CLIENT_HWND takes a pointer to the HWND; best effort (many CSPs ignore it).
            unsafe {
                CryptSetProvParam(csp.prov, PP_CLIENT_HWND, (&hwnd as *const *mut c_void).cast(), 0);
            }
        }
        Ok(Key {
            handle: Mutex::new(Handle::Csp(csp)),
            kind: KeyKind::Csp,
            algorithm: KeyAlgorithm::Rsa,
        })
    }

    pub(crate) fn kind(&self) -> KeyKind {
        self.kind
    }

    pub(crate) fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm.clone()
    }

    pub(crate) fn sign_sha256(&self, digest: &[u8; 32], padding: Padding) -> Result<Vec<u8>, WinError> {
        let handle = self.handle.lock().unwrap_or_else(|p| p.into_inner());
        match &*handle {
            Handle::Cng(key) => {
                let padding = match padding {
                    Padding::Pkcs1 => SignaturePadding::Pkcs1,
                    Padding::Pss => SignaturePadding::Pss,
                    Padding::None => SignaturePadding::None,
                };
                key.sign(digest, padding).map_err(|e| WinError {
                    op: "NCryptSignHash",
                    code: match e {
                        rustls_cng::error::CngError::WindowsError(code) => code,
                        _ => 0x8009_0009, // NTE_BAD_FLAGS: a request rustls-cng refused before calling
                    },
                })
            }
            Handle::Csp(csp) => match padding {
                Padding::Pkcs1 => csp.sign(digest),
                _ => Err(WinError {
                    op: "CryptSignHashW",
                    code: NTE_BAD_ALGID as u32,
                }),
            },
        }
    }
}

/// Acquires the certificate's container again through `CryptAcquireContextW`, with another provider when
/// given. None when the certificate names no container.
fn reacquire(
    cert: *const CERT_CONTEXT,
    provider: Option<(PCWSTR, u32)>,
    spec: u32,
) -> Result<Option<Csp>, WinError> {
    // SAFETY: a valid context.
    let Some((prov_name, container, prov_type, flags, _)) = (unsafe { prov_info(cert) }) else {
        return Ok(None);
    };
    let container = wide(&container);
    let own_name = wide(&prov_name);
    let (name, prov_type) = provider.unwrap_or((own_name.as_ptr(), prov_type));
    let mut prov = 0usize;
    // SAFETY: NUL-terminated names alive for the call.
    let ok = unsafe {
        CryptAcquireContextW(
            &mut prov,
            container.as_ptr(),
            name,
            prov_type,
            flags & CRYPT_MACHINE_KEYSET,
        )
    };
    if ok == 0 {
        return if provider.is_some() {
            Ok(None) // no such provider here: keep the original handle
        } else {
            Err(last_error("CryptAcquireContextW"))
        };
    }
    Ok(Some(Csp { prov, spec }))
}
