//! TEST DOUBLE of a vendor's PKCS#11 module for an SM2 (国密) USB key. No SM2 PKCS#11 key can be reached from
//! this machine and SoftHSM has no SM2, so this library stands in for one at the PKCS#11 boundary, using the
//! vendor mechanism Westone documents (`pkcs11_extendt.h`: CKK_SM2 = 0x80000001, CKM_SM2 = 0x80000002, signing
//! a 32-byte digest e = SM3(Z‖M) the caller computed, answering r‖s). The client loads it as it loads any
//! PKCS#11 module:
//!
//! - one slot, one token (manufacturerID "Westone (GJJ TEST DOUBLE)"), a certificate object and a private key
//!   object with the same CKA_ID; the private key's value is never readable;
//! - C_Sign needs C_Login with the user PIN; a wrong PIN returns CKR_PIN_INCORRECT and sets the token's
//!   COUNT_LOW / FINAL_TRY / LOCKED flags from a 6-try counter kept in a file (as a key keeps it across
//!   processes); a locked token answers CKR_PIN_LOCKED.
//!
//! State: the directory named by `GJJ_PKCS11_SM2_DOUBLE_DIR`, in the SKF double's format: `sign.key` (PKCS#8 PEM),
//! `sign.der`, `pin`, `retries` (written here), `label` (optional token label).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use cryptoki_sys::*;
use sm2::dsa::signature::hazmat::PrehashSigner;
use sm2::dsa::SigningKey;
use sm2::pkcs8::DecodePrivateKey;

const CKK_SM2: CK_ULONG = 0x8000_0001;
const CKM_SM2: CK_ULONG = 0x8000_0002;
const MAX_RETRIES: u32 = 6;
const SLOT: CK_SLOT_ID = 1;
const CERT: CK_OBJECT_HANDLE = 1;
const KEY: CK_OBJECT_HANDLE = 2;
const KEY_ID: &[u8] = &[0x01];

#[derive(Default)]
struct SessionState {
    logged_in: bool,
    found: Vec<CK_OBJECT_HANDLE>,
    signing: bool,
}

struct State {
    next: CK_SESSION_HANDLE,
    sessions: BTreeMap<CK_SESSION_HANDLE, SessionState>,
}

static STATE: Mutex<State> = Mutex::new(State {
    next: 0x100,
    sessions: BTreeMap::new(),
});

fn state() -> std::sync::MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(|p| p.into_inner())
}

fn dir() -> Option<PathBuf> {
    std::env::var_os("GJJ_PKCS11_SM2_DOUBLE_DIR").map(PathBuf::from)
}

fn retries() -> u32 {
    dir()
        .and_then(|d| std::fs::read_to_string(d.join("retries")).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(MAX_RETRIES)
}

fn set_retries(n: u32) {
    if let Some(d) = dir() {
        let _ = std::fs::write(d.join("retries"), n.to_string());
    }
}

fn token_label() -> String {
    dir()
        .and_then(|d| std::fs::read_to_string(d.join("label")).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|| "GJJ SM2 PKCS11 DOUBLE".to_owned())
}

fn certificate() -> Option<Vec<u8>> {
    std::fs::read(dir()?.join("sign.der")).ok()
}

fn signing_key() -> Option<SigningKey> {
    let pem = std::fs::read_to_string(dir()?.join("sign.key")).ok()?;
    let secret = sm2::SecretKey::from_pkcs8_pem(&pem).ok()?;
    SigningKey::new("1234567812345678", &secret).ok()
}

/// Runs an export body without unwinding into the caller.
fn guard(body: impl FnOnce() -> CK_RV + std::panic::UnwindSafe) -> CK_RV {
    std::panic::catch_unwind(body).unwrap_or(CKR_GENERAL_ERROR)
}

fn padded<const N: usize>(text: &str) -> [u8; N] {
    let mut out = [b' '; N];
    for (o, b) in out.iter_mut().zip(text.bytes()) {
        *o = b;
    }
    out
}

/// Copies `bytes` out per the PKCS#11 size-query convention.
///
/// # Safety
/// `buf` is null or holds `*len` bytes; `len` is valid.
unsafe fn write_out(bytes: &[u8], buf: *mut u8, len: *mut CK_ULONG) -> CK_RV {
    if len.is_null() {
        return CKR_ARGUMENTS_BAD;
    }
    let needed = bytes.len() as CK_ULONG;
    // SAFETY: guaranteed by the caller.
    unsafe {
        if buf.is_null() {
            *len = needed;
            return CKR_OK;
        }
        if *len < needed {
            *len = needed;
            return CKR_BUFFER_TOO_SMALL;
        }
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf, bytes.len());
        *len = needed;
    }
    CKR_OK
}

fn ulong(v: CK_ULONG) -> Vec<u8> {
    v.to_ne_bytes().to_vec()
}

/// The attributes of the two objects; the key's value is not among them (never extractable).
fn attribute(object: CK_OBJECT_HANDLE, kind: CK_ATTRIBUTE_TYPE) -> Option<Vec<u8>> {
    match (object, kind) {
        (CERT, CKA_CLASS) => Some(ulong(CKO_CERTIFICATE)),
        (CERT, CKA_CERTIFICATE_TYPE) => Some(ulong(CKC_X_509)),
        (CERT, CKA_VALUE) => certificate(),
        (KEY, CKA_CLASS) => Some(ulong(CKO_PRIVATE_KEY)),
        (KEY, CKA_KEY_TYPE) => Some(ulong(CKK_SM2)),
        (KEY, CKA_SIGN) => Some(vec![CK_TRUE]),
        (KEY, CKA_SENSITIVE) | (KEY, CKA_PRIVATE) => Some(vec![CK_TRUE]),
        (KEY, CKA_EXTRACTABLE) => Some(vec![CK_FALSE]),
        (_, CKA_ID) => Some(KEY_ID.to_vec()),
        (_, CKA_LABEL) => Some(b"GJJ SM2 signing key".to_vec()),
        _ => None,
    }
}

fn present() -> bool {
    certificate().is_some()
}

unsafe extern "C" fn initialize(_args: *mut std::ffi::c_void) -> CK_RV {
    CKR_OK
}

unsafe extern "C" fn finalize(_reserved: *mut std::ffi::c_void) -> CK_RV {
    state().sessions.clear();
    CKR_OK
}

unsafe extern "C" fn get_info(info: *mut CK_INFO) -> CK_RV {
    guard(|| {
        if info.is_null() {
            return CKR_ARGUMENTS_BAD;
        }
        let value = CK_INFO {
            cryptokiVersion: CK_VERSION { major: 2, minor: 40 },
            manufacturerID: padded("Westone (GJJ TEST DOUBLE)"),
            flags: 0,
            libraryDescription: padded("SM2 PKCS#11 TEST DOUBLE"),
            libraryVersion: CK_VERSION { major: 1, minor: 0 },
        };
        // SAFETY: an out pointer per the contract.
        unsafe { *info = value };
        CKR_OK
    })
}

unsafe extern "C" fn get_slot_list(_present: CK_BBOOL, list: *mut CK_SLOT_ID, count: *mut CK_ULONG) -> CK_RV {
    guard(|| {
        if count.is_null() {
            return CKR_ARGUMENTS_BAD;
        }
        let slots: &[CK_SLOT_ID] = if present() { &[SLOT] } else { &[] };
        // SAFETY: `count` is valid; `list` is null or holds `*count` slots.
        unsafe {
            if !list.is_null() {
                if *count < slots.len() as CK_ULONG {
                    *count = slots.len() as CK_ULONG;
                    return CKR_BUFFER_TOO_SMALL;
                }
                std::ptr::copy_nonoverlapping(slots.as_ptr(), list, slots.len());
            }
            *count = slots.len() as CK_ULONG;
        }
        CKR_OK
    })
}

unsafe extern "C" fn get_slot_info(slot: CK_SLOT_ID, info: *mut CK_SLOT_INFO) -> CK_RV {
    guard(|| {
        if slot != SLOT || info.is_null() {
            return CKR_SLOT_ID_INVALID;
        }
        let value = CK_SLOT_INFO {
            slotDescription: padded("GJJ TEST DOUBLE slot"),
            manufacturerID: padded("Westone (GJJ TEST DOUBLE)"),
            flags: CKF_TOKEN_PRESENT | CKF_REMOVABLE_DEVICE | CKF_HW_SLOT,
            hardwareVersion: CK_VERSION { major: 1, minor: 0 },
            firmwareVersion: CK_VERSION { major: 1, minor: 0 },
        };
        // SAFETY: an out pointer per the contract.
        unsafe { *info = value };
        CKR_OK
    })
}

unsafe extern "C" fn get_token_info(slot: CK_SLOT_ID, info: *mut CK_TOKEN_INFO) -> CK_RV {
    guard(|| {
        if slot != SLOT || info.is_null() || !present() {
            return CKR_SLOT_ID_INVALID;
        }
        let left = retries();
        let mut flags = CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED | CKF_LOGIN_REQUIRED | CKF_RNG;
        // "Few tries left" at half, as the SKF double and the PIN screens count it.
        if left <= MAX_RETRIES / 2 {
            flags |= CKF_USER_PIN_COUNT_LOW;
        }
        if left == 1 {
            flags |= CKF_USER_PIN_FINAL_TRY;
        }
        if left == 0 {
            flags |= CKF_USER_PIN_LOCKED;
        }
        let value = CK_TOKEN_INFO {
            label: padded(&token_label()),
            manufacturerID: padded("Westone (GJJ TEST DOUBLE)"),
            model: padded("SM2 double"),
            serialNumber: padded("P11SM2-0001"),
            flags,
            ulMaxSessionCount: 16,
            ulSessionCount: 0,
            ulMaxRwSessionCount: 16,
            ulRwSessionCount: 0,
            ulMaxPinLen: 16,
            ulMinPinLen: 4,
            ulTotalPublicMemory: CK_UNAVAILABLE_INFORMATION,
            ulFreePublicMemory: CK_UNAVAILABLE_INFORMATION,
            ulTotalPrivateMemory: CK_UNAVAILABLE_INFORMATION,
            ulFreePrivateMemory: CK_UNAVAILABLE_INFORMATION,
            hardwareVersion: CK_VERSION { major: 1, minor: 0 },
            firmwareVersion: CK_VERSION { major: 1, minor: 0 },
            utcTime: padded(""),
        };
        // SAFETY: an out pointer per the contract.
        unsafe { *info = value };
        CKR_OK
    })
}

unsafe extern "C" fn get_mechanism_list(
    slot: CK_SLOT_ID,
    list: *mut CK_MECHANISM_TYPE,
    count: *mut CK_ULONG,
) -> CK_RV {
    guard(|| {
        if slot != SLOT || count.is_null() {
            return CKR_SLOT_ID_INVALID;
        }
        let mechanisms = [CKM_SM2];
        // SAFETY: `count` is valid; `list` is null or holds `*count` entries.
        unsafe {
            if !list.is_null() {
                if *count < mechanisms.len() as CK_ULONG {
                    *count = mechanisms.len() as CK_ULONG;
                    return CKR_BUFFER_TOO_SMALL;
                }
                std::ptr::copy_nonoverlapping(mechanisms.as_ptr(), list, mechanisms.len());
            }
            *count = mechanisms.len() as CK_ULONG;
        }
        CKR_OK
    })
}

unsafe extern "C" fn open_session(
    slot: CK_SLOT_ID,
    _flags: CK_FLAGS,
    _app: *mut std::ffi::c_void,
    _notify: CK_NOTIFY,
    session: *mut CK_SESSION_HANDLE,
) -> CK_RV {
    guard(|| {
        if slot != SLOT || session.is_null() || !present() {
            return CKR_SLOT_ID_INVALID;
        }
        let mut s = state();
        s.next += 1;
        let handle = s.next;
        // A login holds for every session of the application (PKCS#11 §5.4).
        let logged_in = s.sessions.values().any(|x| x.logged_in);
        s.sessions.insert(
            handle,
            SessionState {
                logged_in,
                ..SessionState::default()
            },
        );
        // SAFETY: an out pointer per the contract.
        unsafe { *session = handle };
        CKR_OK
    })
}

unsafe extern "C" fn close_session(session: CK_SESSION_HANDLE) -> CK_RV {
    guard(|| match state().sessions.remove(&session) {
        Some(_) => CKR_OK,
        None => CKR_SESSION_HANDLE_INVALID,
    })
}

unsafe extern "C" fn login(
    session: CK_SESSION_HANDLE,
    user: CK_USER_TYPE,
    pin: *mut CK_UTF8CHAR,
    len: CK_ULONG,
) -> CK_RV {
    guard(|| {
        if user != CKU_USER {
            return CKR_USER_TYPE_INVALID;
        }
        if !state().sessions.contains_key(&session) {
            return CKR_SESSION_HANDLE_INVALID;
        }
        let left = retries();
        if left == 0 {
            return CKR_PIN_LOCKED;
        }
        let given = if pin.is_null() {
            Vec::new()
        } else {
            // SAFETY: `len` bytes per the contract.
            unsafe { std::slice::from_raw_parts(pin, len as usize) }.to_vec()
        };
        let expected = dir()
            .and_then(|d| std::fs::read_to_string(d.join("pin")).ok())
            .unwrap_or_default();
        if given != expected.trim().as_bytes() {
            set_retries(left - 1);
            return if left == 1 {
                CKR_PIN_LOCKED
            } else {
                CKR_PIN_INCORRECT
            };
        }
        set_retries(MAX_RETRIES);
        for s in state().sessions.values_mut() {
            s.logged_in = true;
        }
        CKR_OK
    })
}

unsafe extern "C" fn logout(session: CK_SESSION_HANDLE) -> CK_RV {
    guard(|| {
        let mut s = state();
        if !s.sessions.contains_key(&session) {
            return CKR_SESSION_HANDLE_INVALID;
        }
        for x in s.sessions.values_mut() {
            x.logged_in = false;
        }
        CKR_OK
    })
}

unsafe extern "C" fn find_objects_init(
    session: CK_SESSION_HANDLE,
    template: *mut CK_ATTRIBUTE,
    count: CK_ULONG,
) -> CK_RV {
    guard(|| {
        let wanted: Vec<(CK_ATTRIBUTE_TYPE, Vec<u8>)> = if template.is_null() {
            Vec::new()
        } else {
            // SAFETY: `count` attributes per the contract, each with `ulValueLen` bytes.
            unsafe { std::slice::from_raw_parts(template, count as usize) }
                .iter()
                .map(|a| {
                    let value = if a.pValue.is_null() {
                        Vec::new()
                    } else {
                        // SAFETY: as above.
                        unsafe { std::slice::from_raw_parts(a.pValue.cast::<u8>(), a.ulValueLen as usize) }
                            .to_vec()
                    };
                    (a.type_, value)
                })
                .collect()
        };
        let mut s = state();
        let Some(session) = s.sessions.get_mut(&session) else {
            return CKR_SESSION_HANDLE_INVALID;
        };
        session.found = [CERT, KEY]
            .into_iter()
            // Private objects are visible only after login.
            .filter(|o| *o != KEY || session.logged_in)
            .filter(|o| {
                wanted
                    .iter()
                    .all(|(kind, value)| attribute(*o, *kind).as_deref() == Some(value.as_slice()))
            })
            .collect();
        CKR_OK
    })
}

unsafe extern "C" fn find_objects(
    session: CK_SESSION_HANDLE,
    out: *mut CK_OBJECT_HANDLE,
    max: CK_ULONG,
    count: *mut CK_ULONG,
) -> CK_RV {
    guard(|| {
        if count.is_null() || (out.is_null() && max > 0) {
            return CKR_ARGUMENTS_BAD;
        }
        let mut s = state();
        let Some(session) = s.sessions.get_mut(&session) else {
            return CKR_SESSION_HANDLE_INVALID;
        };
        let n = session.found.len().min(max as usize);
        let taken: Vec<CK_OBJECT_HANDLE> = session.found.drain(..n).collect();
        // SAFETY: `out` holds `max` handles; `count` is valid.
        unsafe {
            if n > 0 {
                std::ptr::copy_nonoverlapping(taken.as_ptr(), out, n);
            }
            *count = n as CK_ULONG;
        }
        CKR_OK
    })
}

unsafe extern "C" fn find_objects_final(session: CK_SESSION_HANDLE) -> CK_RV {
    guard(|| match state().sessions.get_mut(&session) {
        Some(s) => {
            s.found.clear();
            CKR_OK
        }
        None => CKR_SESSION_HANDLE_INVALID,
    })
}

unsafe extern "C" fn get_attribute_value(
    session: CK_SESSION_HANDLE,
    object: CK_OBJECT_HANDLE,
    template: *mut CK_ATTRIBUTE,
    count: CK_ULONG,
) -> CK_RV {
    guard(|| {
        if !state().sessions.contains_key(&session) {
            return CKR_SESSION_HANDLE_INVALID;
        }
        if object != CERT && object != KEY {
            return CKR_OBJECT_HANDLE_INVALID;
        }
        if template.is_null() {
            return CKR_ARGUMENTS_BAD;
        }
        let mut rv = CKR_OK;
        // SAFETY: `count` attributes per the contract.
        let attrs = unsafe { std::slice::from_raw_parts_mut(template, count as usize) };
        for a in attrs {
            match attribute(object, a.type_) {
                None => {
                    a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
                    rv = CKR_ATTRIBUTE_TYPE_INVALID;
                }
                // SAFETY: `pValue` is null or holds `ulValueLen` bytes.
                Some(value) => match unsafe { write_out(&value, a.pValue.cast(), &mut a.ulValueLen) } {
                    CKR_OK => {}
                    other => {
                        a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
                        rv = other;
                    }
                },
            }
        }
        rv
    })
}

unsafe extern "C" fn sign_init(
    session: CK_SESSION_HANDLE,
    mechanism: *mut CK_MECHANISM,
    key: CK_OBJECT_HANDLE,
) -> CK_RV {
    guard(|| {
        let mut s = state();
        let Some(session) = s.sessions.get_mut(&session) else {
            return CKR_SESSION_HANDLE_INVALID;
        };
        if !session.logged_in {
            return CKR_USER_NOT_LOGGED_IN;
        }
        // SAFETY: a valid mechanism per the contract.
        if mechanism.is_null() || unsafe { (*mechanism).mechanism } != CKM_SM2 {
            return CKR_MECHANISM_INVALID;
        }
        if key != KEY {
            return CKR_KEY_HANDLE_INVALID;
        }
        session.signing = true;
        CKR_OK
    })
}

unsafe extern "C" fn sign(
    session: CK_SESSION_HANDLE,
    data: *mut CK_BYTE,
    len: CK_ULONG,
    signature: *mut CK_BYTE,
    signature_len: *mut CK_ULONG,
) -> CK_RV {
    guard(|| {
        let mut s = state();
        let Some(state) = s.sessions.get_mut(&session) else {
            return CKR_SESSION_HANDLE_INVALID;
        };
        if !state.signing {
            return CKR_OPERATION_NOT_INITIALIZED;
        }
        // CKM_SM2 signs the digest e the caller computed: exactly 32 bytes.
        if data.is_null() || len != 32 {
            state.signing = false;
            return CKR_DATA_LEN_RANGE;
        }
        // The size query (null buffer) keeps the operation active (PKCS#11 §5.2).
        if signature.is_null() {
            if signature_len.is_null() {
                return CKR_ARGUMENTS_BAD;
            }
            // SAFETY: a valid out pointer.
            unsafe { *signature_len = 64 };
            return CKR_OK;
        }
        state.signing = false;
        // SAFETY: 32 bytes per the check above.
        let e = unsafe { std::slice::from_raw_parts(data, 32) };
        let Some(key) = signing_key() else {
            return CKR_DEVICE_ERROR;
        };
        let Ok(sig): Result<sm2::dsa::Signature, _> = key.sign_prehash(e) else {
            return CKR_FUNCTION_FAILED;
        };
        // SAFETY: `signature` holds `*signature_len` bytes.
        unsafe { write_out(&sig.to_bytes(), signature, signature_len) }
    })
}

/// The function list: what is not here answers "not supported" (cryptoki reads a missing entry so).
#[no_mangle]
pub unsafe extern "C" fn C_GetFunctionList(list: *mut *mut CK_FUNCTION_LIST) -> CK_RV {
    static LIST: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    if list.is_null() {
        return CKR_ARGUMENTS_BAD;
    }
    let address = *LIST.get_or_init(|| {
        let functions = CK_FUNCTION_LIST {
            version: CK_VERSION { major: 2, minor: 40 },
            C_Initialize: Some(initialize),
            C_Finalize: Some(finalize),
            C_GetInfo: Some(get_info),
            C_GetFunctionList: Some(C_GetFunctionList),
            C_GetSlotList: Some(get_slot_list),
            C_GetSlotInfo: Some(get_slot_info),
            C_GetTokenInfo: Some(get_token_info),
            C_GetMechanismList: Some(get_mechanism_list),
            C_OpenSession: Some(open_session),
            C_CloseSession: Some(close_session),
            C_Login: Some(login),
            C_Logout: Some(logout),
            C_GetAttributeValue: Some(get_attribute_value),
            C_FindObjectsInit: Some(find_objects_init),
            C_FindObjects: Some(find_objects),
            C_FindObjectsFinal: Some(find_objects_final),
            C_SignInit: Some(sign_init),
            C_Sign: Some(sign),
            ..CK_FUNCTION_LIST::default()
        };
        Box::into_raw(Box::new(functions)) as usize
    });
    // SAFETY: an out pointer per the contract; the list lives for the process.
    unsafe { *list = address as *mut CK_FUNCTION_LIST };
    CKR_OK
}
