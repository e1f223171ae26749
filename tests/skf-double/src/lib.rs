//! TEST DOUBLE of an SM2 USB key's SKF driver (GM/T 0016-2012). Nothing here emulates a real key's hardware; it
//! exists because no SM2 USB key can be reached from this machine. The client loads it exactly as it loads a
//! vendor's `*_SKF.dll` / `libskf.so` (gjj-skf), and it behaves as such a key does at that interface:
//!
//! - one device, one application, one container holding an SM2 signing key, its signing certificate and an
//!   encryption certificate (listed, never used to log in);
//! - certificates and the public key are readable without a PIN; `SKF_ECCSignData` needs the user PIN verified
//!   on that application handle (`SAR_USER_NOT_LOGGED_IN` otherwise); the private key is never exported;
//! - the user PIN allows 6 tries: a wrong PIN returns `SAR_PIN_INCORRECT` with the tries left, the last one
//!   `SAR_PIN_LOCKED`, and a locked PIN refuses even the right one. The count is kept in a file, so it survives
//!   across processes as a key's counter does.
//!
//! Its state is a directory named by `GJJ_SKF_DOUBLE_DIR`: `sign.key` (PKCS#8 PEM SM2 key), `sign.der`,
//! `enc.der` (optional), `pin`, `retries` (written by the double), `label` (optional device name).

use std::collections::BTreeMap;
use std::ffi::{c_char, c_void, CStr};
use std::path::PathBuf;
use std::sync::Mutex;

use sm2::dsa::signature::hazmat::PrehashSigner;
use sm2::dsa::SigningKey;
use sm2::elliptic_curve::sec1::ToEncodedPoint;
use sm2::pkcs8::DecodePrivateKey;

type Ulong = u32;
type Bool = i32;
type Handle = *mut c_void;

const SAR_OK: Ulong = 0;
const SAR_FAIL: Ulong = 0x0A00_0001;
const SAR_INVALIDHANDLEERR: Ulong = 0x0A00_0005;
const SAR_INVALIDPARAMERR: Ulong = 0x0A00_0006;
const SAR_INDATALENERR: Ulong = 0x0A00_0010;
const SAR_CERTNOTFOUNTERR: Ulong = 0x0A00_001C;
const SAR_BUFFER_TOO_SMALL: Ulong = 0x0A00_0020;
const SAR_PIN_INCORRECT: Ulong = 0x0A00_0024;
const SAR_PIN_LOCKED: Ulong = 0x0A00_0025;
const SAR_USER_TYPE_INVALID: Ulong = 0x0A00_002A;
const SAR_APPLICATION_NOT_EXISTS: Ulong = 0x0A00_002E;
const SAR_USER_NOT_LOGGED_IN: Ulong = 0x0A00_002D;
const SAR_DEVICE_REMOVED: Ulong = 0x0A00_0023;

const MAX_RETRIES: Ulong = 6;
const APPLICATION: &str = "GJJ_DOUBLE_APP";
const CONTAINER: &str = "GJJ_DOUBLE_SM2";

#[repr(C, packed)]
pub struct EccPublicKeyBlob {
    bit_len: u32,
    x: [u8; 64],
    y: [u8; 64],
}

#[repr(C, packed)]
pub struct EccSignatureBlob {
    r: [u8; 64],
    s: [u8; 64],
}

enum Object {
    Device,
    Application { logged_in: bool },
    Container { app: usize },
}

struct Handles {
    next: usize,
    objects: BTreeMap<usize, Object>,
}

static HANDLES: Mutex<Handles> = Mutex::new(Handles {
    next: 0x1000,
    objects: BTreeMap::new(),
});

fn handles() -> std::sync::MutexGuard<'static, Handles> {
    HANDLES.lock().unwrap_or_else(|p| p.into_inner())
}

fn new_handle(object: Object) -> Handle {
    let mut h = handles();
    h.next += 0x10;
    let id = h.next;
    h.objects.insert(id, object);
    id as Handle
}

fn dir() -> Option<PathBuf> {
    std::env::var_os("GJJ_SKF_DOUBLE_DIR").map(PathBuf::from)
}

fn device_name() -> String {
    dir()
        .and_then(|d| std::fs::read_to_string(d.join("label")).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|| "SKF-TEST-DOUBLE-0001".to_owned())
}

fn retries() -> Ulong {
    dir()
        .and_then(|d| std::fs::read_to_string(d.join("retries")).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(MAX_RETRIES)
}

fn set_retries(n: Ulong) {
    if let Some(d) = dir() {
        let _ = std::fs::write(d.join("retries"), n.to_string());
    }
}

fn signing_key() -> Option<SigningKey> {
    let pem = std::fs::read_to_string(dir()?.join("sign.key")).ok()?;
    let secret = sm2::SecretKey::from_pkcs8_pem(&pem).ok()?;
    SigningKey::new("1234567812345678", &secret).ok()
}

/// Runs an export body without unwinding into the caller.
fn guard(body: impl FnOnce() -> Ulong + std::panic::UnwindSafe) -> Ulong {
    std::panic::catch_unwind(body).unwrap_or(SAR_FAIL)
}

/// Writes a NUL-separated, double-NUL-terminated list per the size-query convention.
///
/// # Safety
/// `buf` is null or holds `*len` bytes; `len` is valid.
unsafe fn write_list(names: &[String], buf: *mut c_char, len: *mut Ulong) -> Ulong {
    if len.is_null() {
        return SAR_INVALIDPARAMERR;
    }
    let mut bytes = Vec::new();
    for n in names {
        bytes.extend_from_slice(n.as_bytes());
        bytes.push(0);
    }
    bytes.push(0);
    // SAFETY: guaranteed by the caller.
    unsafe { write_bytes(&bytes, buf.cast(), len) }
}

/// # Safety
/// `buf` is null or holds `*len` bytes; `len` is valid.
unsafe fn write_bytes(bytes: &[u8], buf: *mut u8, len: *mut Ulong) -> Ulong {
    if len.is_null() {
        return SAR_INVALIDPARAMERR;
    }
    let needed = bytes.len() as Ulong;
    // SAFETY: guaranteed by the caller.
    unsafe {
        if buf.is_null() {
            *len = needed;
            return SAR_OK;
        }
        if *len < needed {
            *len = needed;
            return SAR_BUFFER_TOO_SMALL;
        }
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf, bytes.len());
        *len = needed;
    }
    SAR_OK
}

fn present() -> bool {
    dir().is_some_and(|d| d.join("sign.key").exists())
        && std::env::var("GJJ_SKF_DOUBLE_PRESENT").map_or(true, |v| v != "0")
}

#[no_mangle]
pub unsafe extern "system" fn SKF_EnumDev(_present: Bool, list: *mut c_char, len: *mut Ulong) -> Ulong {
    guard(|| {
        let names = if present() {
            vec![device_name()]
        } else {
            Vec::new()
        };
        // SAFETY: per the SKF contract the caller passes a valid size pointer and a buffer of that size.
        unsafe { write_list(&names, list, len) }
    })
}

#[no_mangle]
pub unsafe extern "system" fn SKF_ConnectDev(name: *const c_char, dev: *mut Handle) -> Ulong {
    guard(|| {
        if name.is_null() || dev.is_null() {
            return SAR_INVALIDPARAMERR;
        }
        // SAFETY: a NUL-terminated name per the contract.
        let name = unsafe { CStr::from_ptr(name) }.to_string_lossy().into_owned();
        if !present() || name != device_name() {
            return SAR_DEVICE_REMOVED;
        }
        // SAFETY: an out pointer per the contract.
        unsafe { *dev = new_handle(Object::Device) };
        SAR_OK
    })
}

fn close(handle: Handle) -> Ulong {
    match handles().objects.remove(&(handle as usize)) {
        Some(_) => SAR_OK,
        None => SAR_INVALIDHANDLEERR,
    }
}

#[no_mangle]
pub unsafe extern "system" fn SKF_DisConnectDev(dev: Handle) -> Ulong {
    guard(|| close(dev))
}

#[no_mangle]
pub unsafe extern "system" fn SKF_CloseApplication(app: Handle) -> Ulong {
    guard(|| close(app))
}

#[no_mangle]
pub unsafe extern "system" fn SKF_CloseContainer(con: Handle) -> Ulong {
    guard(|| close(con))
}

fn is(handle: Handle, want: fn(&Object) -> bool) -> bool {
    handles().objects.get(&(handle as usize)).is_some_and(want)
}

#[no_mangle]
pub unsafe extern "system" fn SKF_EnumApplication(dev: Handle, list: *mut c_char, len: *mut Ulong) -> Ulong {
    guard(|| {
        if !is(dev, |o| matches!(o, Object::Device)) {
            return SAR_INVALIDHANDLEERR;
        }
        // SAFETY: as in SKF_EnumDev.
        unsafe { write_list(&[APPLICATION.to_owned()], list, len) }
    })
}

#[no_mangle]
pub unsafe extern "system" fn SKF_OpenApplication(
    dev: Handle,
    name: *const c_char,
    app: *mut Handle,
) -> Ulong {
    guard(|| {
        if !is(dev, |o| matches!(o, Object::Device)) || name.is_null() || app.is_null() {
            return SAR_INVALIDHANDLEERR;
        }
        // SAFETY: a NUL-terminated name per the contract.
        if unsafe { CStr::from_ptr(name) }.to_bytes() != APPLICATION.as_bytes() {
            return SAR_APPLICATION_NOT_EXISTS;
        }
        // SAFETY: an out pointer per the contract.
        unsafe { *app = new_handle(Object::Application { logged_in: false }) };
        SAR_OK
    })
}

#[no_mangle]
pub unsafe extern "system" fn SKF_GetPINInfo(
    app: Handle,
    pin_type: Ulong,
    max: *mut Ulong,
    remaining: *mut Ulong,
    default_pin: *mut Bool,
) -> Ulong {
    guard(|| {
        if !is(app, |o| matches!(o, Object::Application { .. })) {
            return SAR_INVALIDHANDLEERR;
        }
        if pin_type != 1 {
            return SAR_USER_TYPE_INVALID;
        }
        // SAFETY: out pointers per the contract.
        unsafe {
            *max = MAX_RETRIES;
            *remaining = retries();
            *default_pin = 0;
        }
        SAR_OK
    })
}

#[no_mangle]
pub unsafe extern "system" fn SKF_VerifyPIN(
    app: Handle,
    pin_type: Ulong,
    pin: *const c_char,
    left: *mut Ulong,
) -> Ulong {
    guard(|| {
        if !is(app, |o| matches!(o, Object::Application { .. })) || pin.is_null() || left.is_null() {
            return SAR_INVALIDHANDLEERR;
        }
        if pin_type != 1 {
            return SAR_USER_TYPE_INVALID;
        }
        let remaining = retries();
        if remaining == 0 {
            // SAFETY: an out pointer per the contract.
            unsafe { *left = 0 };
            return SAR_PIN_LOCKED;
        }
        let expected = dir()
            .and_then(|d| std::fs::read_to_string(d.join("pin")).ok())
            .map(|s| s.trim().to_owned())
            .unwrap_or_default();
        // SAFETY: a NUL-terminated PIN per the contract.
        let given = unsafe { CStr::from_ptr(pin) }.to_bytes();
        if !expected.is_empty() && given == expected.as_bytes() {
            set_retries(MAX_RETRIES);
            if let Some(Object::Application { logged_in }) = handles().objects.get_mut(&(app as usize)) {
                *logged_in = true;
            }
            // SAFETY: as above.
            unsafe { *left = MAX_RETRIES };
            return SAR_OK;
        }
        let now = remaining - 1;
        set_retries(now);
        // SAFETY: as above.
        unsafe { *left = now };
        if now == 0 {
            SAR_PIN_LOCKED
        } else {
            SAR_PIN_INCORRECT
        }
    })
}

#[no_mangle]
pub unsafe extern "system" fn SKF_EnumContainer(app: Handle, list: *mut c_char, len: *mut Ulong) -> Ulong {
    guard(|| {
        if !is(app, |o| matches!(o, Object::Application { .. })) {
            return SAR_INVALIDHANDLEERR;
        }
        // SAFETY: as in SKF_EnumDev.
        unsafe { write_list(&[CONTAINER.to_owned()], list, len) }
    })
}

#[no_mangle]
pub unsafe extern "system" fn SKF_OpenContainer(app: Handle, name: *const c_char, con: *mut Handle) -> Ulong {
    guard(|| {
        if !is(app, |o| matches!(o, Object::Application { .. })) || name.is_null() || con.is_null() {
            return SAR_INVALIDHANDLEERR;
        }
        // SAFETY: a NUL-terminated name per the contract.
        if unsafe { CStr::from_ptr(name) }.to_bytes() != CONTAINER.as_bytes() {
            return SAR_INVALIDPARAMERR;
        }
        // SAFETY: an out pointer per the contract.
        unsafe { *con = new_handle(Object::Container { app: app as usize }) };
        SAR_OK
    })
}

#[no_mangle]
pub unsafe extern "system" fn SKF_GetContainerType(con: Handle, kind: *mut Ulong) -> Ulong {
    guard(|| {
        if !is(con, |o| matches!(o, Object::Container { .. })) || kind.is_null() {
            return SAR_INVALIDHANDLEERR;
        }
        // SAFETY: an out pointer per the contract.
        unsafe { *kind = 2 };
        SAR_OK
    })
}

#[no_mangle]
pub unsafe extern "system" fn SKF_ExportCertificate(
    con: Handle,
    sign: Bool,
    cert: *mut u8,
    len: *mut Ulong,
) -> Ulong {
    guard(|| {
        if !is(con, |o| matches!(o, Object::Container { .. })) {
            return SAR_INVALIDHANDLEERR;
        }
        let file = if sign != 0 { "sign.der" } else { "enc.der" };
        let Some(der) = dir().and_then(|d| std::fs::read(d.join(file)).ok()) else {
            return SAR_CERTNOTFOUNTERR;
        };
        // SAFETY: as in write_bytes' contract, given by the caller.
        unsafe { write_bytes(&der, cert, len) }
    })
}

#[no_mangle]
pub unsafe extern "system" fn SKF_ExportPublicKey(
    con: Handle,
    sign: Bool,
    blob: *mut u8,
    len: *mut Ulong,
) -> Ulong {
    guard(|| {
        if !is(con, |o| matches!(o, Object::Container { .. })) {
            return SAR_INVALIDHANDLEERR;
        }
        if sign == 0 {
            return SAR_CERTNOTFOUNTERR;
        }
        let Some(key) = signing_key() else {
            return SAR_FAIL;
        };
        let point = key.verifying_key().to_encoded_point(false);
        let mut out = EccPublicKeyBlob {
            bit_len: 256,
            x: [0; 64],
            y: [0; 64],
        };
        out.x[32..].copy_from_slice(&point.as_bytes()[1..33]);
        out.y[32..].copy_from_slice(&point.as_bytes()[33..65]);
        // SAFETY: the blob is plain bytes of its declared size.
        let bytes = unsafe {
            std::slice::from_raw_parts(
                (&out as *const EccPublicKeyBlob).cast::<u8>(),
                std::mem::size_of::<EccPublicKeyBlob>(),
            )
        };
        // SAFETY: as in write_bytes' contract, given by the caller.
        unsafe { write_bytes(bytes, blob, len) }
    })
}

#[no_mangle]
pub unsafe extern "system" fn SKF_ECCSignData(
    con: Handle,
    digest: *const u8,
    digest_len: Ulong,
    signature: *mut EccSignatureBlob,
) -> Ulong {
    guard(|| {
        let app = match handles().objects.get(&(con as usize)) {
            Some(Object::Container { app }) => *app,
            _ => return SAR_INVALIDHANDLEERR,
        };
        let logged_in = matches!(
            handles().objects.get(&app),
            Some(Object::Application { logged_in: true })
        );
        if !logged_in {
            return SAR_USER_NOT_LOGGED_IN;
        }
        if digest.is_null() || signature.is_null() || digest_len != 32 {
            return SAR_INDATALENERR;
        }
        // SAFETY: 32 readable bytes per the contract (checked above).
        let e = unsafe { std::slice::from_raw_parts(digest, 32) };
        let Some(key) = signing_key() else {
            return SAR_FAIL;
        };
        let Ok(sig): Result<sm2::dsa::Signature, _> = key.sign_prehash(e) else {
            return SAR_FAIL;
        };
        let rs = sig.to_bytes();
        let mut out = EccSignatureBlob {
            r: [0; 64],
            s: [0; 64],
        };
        out.r[32..].copy_from_slice(&rs[..32]);
        out.s[32..].copy_from_slice(&rs[32..]);
        // SAFETY: an out blob per the contract.
        unsafe { std::ptr::write_unaligned(signature, out) };
        SAR_OK
    })
}
