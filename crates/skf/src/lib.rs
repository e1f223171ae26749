//! gjj-skf: a vendor's SKF library (GM/T 0016-2012, the interface most 国密 USB keys ship, e.g. `*_SKF.dll` or
//! `libskf.so`) loaded at run time: devices, applications, containers, the signing and encryption certificates
//! (no PIN needed), the user PIN with its retry count, and SM2 signatures of a 32-byte digest e = SM3(Z ‖ M)
//! computed on the host (`gjj_pki::sm2`). The private key never leaves the device: only e goes in, (r, s) comes out.
//!
//! ABI (GmSSL's and other public skf.h headers agree): `ULONG` is 32-bit, structures are `#pragma pack(1)`, the
//! calling convention is `__stdcall` (= the C ABI on x64), lists are NUL-separated and end with a double NUL,
//! 256-bit values sit right-aligned in 64-byte fields.
//!
//! Every handle is owned by one value and closed in its `Drop`, children before parents.

use std::ffi::{c_char, c_void, CString};
use std::path::{Path, PathBuf};
use std::sync::Arc;

type Ulong = u32;
type Bool = i32;
type Handle = *mut c_void;

/// SAR_OK.
pub const SAR_OK: u32 = 0;
/// Wrong PIN (the retry count says how many tries are left).
pub const SAR_PIN_INCORRECT: u32 = 0x0A00_0024;
/// PIN locked.
pub const SAR_PIN_LOCKED: u32 = 0x0A00_0025;
/// PIN malformed.
pub const SAR_PIN_INVALID: u32 = 0x0A00_0026;
/// PIN too short or too long.
pub const SAR_PIN_LEN_RANGE: u32 = 0x0A00_0027;
/// The buffer given was too small.
pub const SAR_BUFFER_TOO_SMALL: u32 = 0x0A00_0020;
/// The device was unplugged.
pub const SAR_DEVICE_REMOVED: u32 = 0x0A00_0023;
/// An operation that needs the user PIN was asked before it was verified.
pub const SAR_USER_NOT_LOGGED_IN: u32 = 0x0A00_002D;
/// `ulPINType` of the user PIN.
pub const USER_TYPE: u32 = 1;
/// `SKF_GetContainerType`: an SM2 (ECC) container.
pub const CONTAINER_ECC: u32 = 2;

/// ECCPUBLICKEYBLOB.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub struct EccPublicKeyBlob {
    /// 256 for SM2.
    pub bit_len: u32,
    /// X, right-aligned.
    pub x: [u8; 64],
    /// Y, right-aligned.
    pub y: [u8; 64],
}

/// ECCSIGNATUREBLOB.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub struct EccSignatureBlob {
    /// r, right-aligned.
    pub r: [u8; 64],
    /// s, right-aligned.
    pub s: [u8; 64],
}

const _: () = assert!(std::mem::size_of::<EccPublicKeyBlob>() == 132);
const _: () = assert!(std::mem::size_of::<EccSignatureBlob>() == 128);

/// A failed SKF call.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SkfError {
    /// The library could not be loaded or lacks a function.
    #[error("无法加载 SKF 驱动 {path}：{detail}")]
    Load {
        /// The library.
        path: PathBuf,
        /// Why.
        detail: String,
    },
    /// Wrong PIN; `retries` tries are left (0: now locked).
    #[error("PIN 错误，剩余 {retries} 次")]
    PinIncorrect {
        /// Tries left.
        retries: u32,
    },
    /// The PIN is locked.
    #[error("PIN 已锁定")]
    PinLocked,
    /// The PIN has a length or characters the device refuses.
    #[error("PIN 格式或长度不符合要求")]
    PinInvalid,
    /// The device was removed.
    #[error("USB key 已拔出")]
    Removed,
    /// Any other SAR_* code.
    #[error("{op} 返回 0x{code:08X}")]
    Call {
        /// The SKF function.
        op: &'static str,
        /// Its code.
        code: u32,
    },
}

fn check(op: &'static str, code: Ulong) -> Result<(), SkfError> {
    match code {
        SAR_OK => Ok(()),
        SAR_PIN_LOCKED => Err(SkfError::PinLocked),
        SAR_PIN_INVALID | SAR_PIN_LEN_RANGE => Err(SkfError::PinInvalid),
        SAR_DEVICE_REMOVED => Err(SkfError::Removed),
        code => Err(SkfError::Call { op, code }),
    }
}

type EnumDevFn = unsafe extern "system" fn(Bool, *mut c_char, *mut Ulong) -> Ulong;
type ConnectDevFn = unsafe extern "system" fn(*const c_char, *mut Handle) -> Ulong;
type CloseFn = unsafe extern "system" fn(Handle) -> Ulong;
type EnumInFn = unsafe extern "system" fn(Handle, *mut c_char, *mut Ulong) -> Ulong;
type OpenInFn = unsafe extern "system" fn(Handle, *const c_char, *mut Handle) -> Ulong;
type VerifyPinFn = unsafe extern "system" fn(Handle, Ulong, *const c_char, *mut Ulong) -> Ulong;
type GetPinInfoFn = unsafe extern "system" fn(Handle, Ulong, *mut Ulong, *mut Ulong, *mut u64) -> Ulong;
type GetContainerTypeFn = unsafe extern "system" fn(Handle, *mut Ulong) -> Ulong;
type ExportFn = unsafe extern "system" fn(Handle, Bool, *mut u8, *mut Ulong) -> Ulong;
type EccSignDataFn = unsafe extern "system" fn(Handle, *const u8, Ulong, *mut EccSignatureBlob) -> Ulong;

/// The functions this client calls, resolved once.
struct Functions {
    enum_dev: EnumDevFn,
    connect_dev: ConnectDevFn,
    disconnect_dev: CloseFn,
    enum_application: EnumInFn,
    open_application: OpenInFn,
    close_application: CloseFn,
    verify_pin: VerifyPinFn,
    get_pin_info: GetPinInfoFn,
    enum_container: EnumInFn,
    open_container: OpenInFn,
    close_container: CloseFn,
    get_container_type: GetContainerTypeFn,
    export_certificate: ExportFn,
    export_public_key: ExportFn,
    ecc_sign_data: EccSignDataFn,
}

struct Loaded {
    f: Functions,
    path: PathBuf,
    // Kept loaded for as long as any handle of it lives.
    _lib: libloading::Library,
}

/// A loaded SKF library. Cheap to clone.
#[derive(Clone)]
pub struct Library {
    inner: Arc<Loaded>,
}

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Library").field("path", &self.inner.path).finish()
    }
}

impl Library {
    /// Loads the library and resolves the SKF functions used here.
    pub fn load(path: &Path) -> Result<Library, SkfError> {
        let err = |detail: String| SkfError::Load {
            path: path.to_owned(),
            detail,
        };
        // SAFETY: loading a vendor's driver runs its initialisers; that is the point of a driver, and the path
        // comes from the known-driver table or IT's settings.
        let lib = unsafe { libloading::Library::new(path) }.map_err(|e| err(e.to_string()))?;
        macro_rules! sym {
            ($name:literal) => {
                // SAFETY: the symbol is declared with the prototype of GM/T 0016 (see the module docs).
                *unsafe { lib.get(concat!($name, "\0").as_bytes()) }
                    .map_err(|e| err(format!("缺少函数 {}：{e}", $name)))?
            };
        }
        let f = Functions {
            enum_dev: sym!("SKF_EnumDev"),
            connect_dev: sym!("SKF_ConnectDev"),
            disconnect_dev: sym!("SKF_DisConnectDev"),
            enum_application: sym!("SKF_EnumApplication"),
            open_application: sym!("SKF_OpenApplication"),
            close_application: sym!("SKF_CloseApplication"),
            verify_pin: sym!("SKF_VerifyPIN"),
            get_pin_info: sym!("SKF_GetPINInfo"),
            enum_container: sym!("SKF_EnumContainer"),
            open_container: sym!("SKF_OpenContainer"),
            close_container: sym!("SKF_CloseContainer"),
            get_container_type: sym!("SKF_GetContainerType"),
            export_certificate: sym!("SKF_ExportCertificate"),
            export_public_key: sym!("SKF_ExportPublicKey"),
            ecc_sign_data: sym!("SKF_ECCSignData"),
        };
        Ok(Library {
            inner: Arc::new(Loaded {
                f,
                path: path.to_owned(),
                _lib: lib,
            }),
        })
    }

    /// The library's path.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Names of the devices present.
    pub fn devices(&self) -> Result<Vec<String>, SkfError> {
        let f = self.inner.f.enum_dev;
        // SAFETY: a size query then a fill, per the multi-string convention.
        multi_string("SKF_EnumDev", |buf, len| unsafe { f(1, buf, len) })
    }

    /// Connects to a device.
    pub fn connect(&self, name: &str) -> Result<Device, SkfError> {
        let name = c_string(name)?;
        let mut handle: Handle = std::ptr::null_mut();
        // SAFETY: a NUL-terminated name and an out handle.
        check("SKF_ConnectDev", unsafe {
            (self.inner.f.connect_dev)(name.as_ptr(), &mut handle)
        })?;
        Ok(Device {
            lib: self.clone(),
            handle,
        })
    }
}

fn c_string(s: &str) -> Result<CString, SkfError> {
    CString::new(s).map_err(|_| SkfError::Call {
        op: "名称含 NUL",
        code: 0x0A00_0006,
    })
}

/// Calls an enumeration function twice (size, then fill; once more if the list grew) and splits the result.
fn multi_string(
    op: &'static str,
    mut call: impl FnMut(*mut c_char, *mut Ulong) -> Ulong,
) -> Result<Vec<String>, SkfError> {
    for _ in 0..2 {
        let mut len: Ulong = 0;
        check(op, call(std::ptr::null_mut(), &mut len))?;
        if len == 0 {
            return Ok(Vec::new());
        }
        let mut buf = vec![0u8; len as usize + 2];
        match call(buf.as_mut_ptr().cast(), &mut len) {
            SAR_BUFFER_TOO_SMALL => continue,
            code => check(op, code)?,
        }
        buf.truncate(len as usize);
        return Ok(buf
            .split(|b| *b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect());
    }
    Err(SkfError::Call {
        op,
        code: SAR_BUFFER_TOO_SMALL,
    })
}

/// A connected device.
pub struct Device {
    lib: Library,
    handle: Handle,
}

// SAFETY: the handle is only used through &self calls into the driver, which GM/T 0016 drivers serialise per
// device; the app uses one device from one thread at a time.
unsafe impl Send for Device {}
// SAFETY: as above.
unsafe impl Sync for Device {}

impl Drop for Device {
    fn drop(&mut self) {
        // SAFETY: the handle came from SKF_ConnectDev and is closed once.
        unsafe {
            (self.lib.inner.f.disconnect_dev)(self.handle);
        }
    }
}

impl Device {
    /// The applications on the device.
    pub fn applications(&self) -> Result<Vec<String>, SkfError> {
        let (f, h) = (self.lib.inner.f.enum_application, self.handle);
        // SAFETY: a valid device handle; size query then fill.
        multi_string("SKF_EnumApplication", |buf, len| unsafe { f(h, buf, len) })
    }

    /// Opens an application (where the PIN and the containers live).
    pub fn open_application(self: &Arc<Self>, name: &str) -> Result<Application, SkfError> {
        let name = c_string(name)?;
        let mut handle: Handle = std::ptr::null_mut();
        // SAFETY: a valid device handle, a NUL-terminated name and an out handle.
        check("SKF_OpenApplication", unsafe {
            (self.lib.inner.f.open_application)(self.handle, name.as_ptr(), &mut handle)
        })?;
        Ok(Application {
            device: Arc::clone(self),
            handle,
        })
    }
}

/// An open application.
pub struct Application {
    device: Arc<Device>,
    handle: Handle,
}

// SAFETY: see Device.
unsafe impl Send for Application {}
// SAFETY: see Device.
unsafe impl Sync for Application {}

impl Drop for Application {
    fn drop(&mut self) {
        // SAFETY: the handle came from SKF_OpenApplication and is closed once, before its device.
        unsafe {
            (self.f().close_application)(self.handle);
        }
    }
}

/// The user PIN's counters, read without trying a PIN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PinInfo {
    /// Tries allowed.
    pub max_retries: u32,
    /// Tries left (0 = locked).
    pub remaining: u32,
    /// Still the factory PIN.
    pub default_pin: bool,
}

impl Application {
    fn f(&self) -> &Functions {
        &self.device.lib.inner.f
    }

    /// The user PIN's counters (no try is used).
    pub fn pin_info(&self) -> Result<PinInfo, SkfError> {
        let (mut max, mut remaining) = (0, 0);
        // GmSSL's Linux headers make BOOL a long: give it 8 zeroed bytes.
        let mut default_pin: u64 = 0;
        // SAFETY: a valid application handle and out parameters of the right sizes.
        check("SKF_GetPINInfo", unsafe {
            (self.f().get_pin_info)(self.handle, USER_TYPE, &mut max, &mut remaining, &mut default_pin)
        })?;
        Ok(PinInfo {
            max_retries: max,
            remaining,
            default_pin: default_pin != 0,
        })
    }

    /// Verifies the user PIN. Wrong: [`SkfError::PinIncorrect`] with the tries left; locked (or the last try
    /// used up): [`SkfError::PinLocked`].
    pub fn verify_pin(&self, pin: &str) -> Result<(), SkfError> {
        let pin = c_string(pin)?;
        let mut retries: Ulong = 0;
        // SAFETY: a valid application handle, a NUL-terminated PIN and an out count.
        let code = unsafe { (self.f().verify_pin)(self.handle, USER_TYPE, pin.as_ptr(), &mut retries) };
        match code {
            SAR_PIN_INCORRECT if retries == 0 => Err(SkfError::PinLocked),
            SAR_PIN_INCORRECT => Err(SkfError::PinIncorrect { retries }),
            code => check("SKF_VerifyPIN", code),
        }
    }

    /// The containers (one key pair, or a signing + an encryption pair, each).
    pub fn containers(&self) -> Result<Vec<String>, SkfError> {
        let (f, h) = (self.f().enum_container, self.handle);
        // SAFETY: a valid application handle; size query then fill.
        multi_string("SKF_EnumContainer", |buf, len| unsafe { f(h, buf, len) })
    }

    /// Opens a container.
    pub fn open_container(self: &Arc<Self>, name: &str) -> Result<Container, SkfError> {
        let name = c_string(name)?;
        let mut handle: Handle = std::ptr::null_mut();
        // SAFETY: a valid application handle, a NUL-terminated name and an out handle.
        check("SKF_OpenContainer", unsafe {
            (self.f().open_container)(self.handle, name.as_ptr(), &mut handle)
        })?;
        Ok(Container {
            app: Arc::clone(self),
            handle,
        })
    }
}

/// An open container.
pub struct Container {
    app: Arc<Application>,
    handle: Handle,
}

// SAFETY: see Device.
unsafe impl Send for Container {}
// SAFETY: see Device.
unsafe impl Sync for Container {}

impl Drop for Container {
    fn drop(&mut self) {
        // SAFETY: the handle came from SKF_OpenContainer and is closed once, before its application.
        unsafe {
            (self.app.f().close_container)(self.handle);
        }
    }
}

impl Container {
    /// 1 RSA, 2 ECC (SM2), 0 empty.
    pub fn kind(&self) -> Result<u32, SkfError> {
        let mut kind: Ulong = 0;
        // SAFETY: a valid container handle and an out value.
        check("SKF_GetContainerType", unsafe {
            (self.app.f().get_container_type)(self.handle, &mut kind)
        })?;
        Ok(kind)
    }

    fn export(&self, op: &'static str, f: ExportFn, sign: bool) -> Result<Option<Vec<u8>>, SkfError> {
        let mut len: Ulong = 0;
        // SAFETY: a size query with a null buffer.
        let code = unsafe { f(self.handle, Bool::from(sign), std::ptr::null_mut(), &mut len) };
        if code != SAR_OK || len == 0 {
            // No such certificate/key in this container (vendors answer with various codes).
            return Ok(None);
        }
        let mut buf = vec![0u8; len as usize];
        // SAFETY: the buffer holds `len` bytes.
        check(op, unsafe {
            f(self.handle, Bool::from(sign), buf.as_mut_ptr(), &mut len)
        })?;
        buf.truncate(len as usize);
        Ok(Some(buf))
    }

    /// The signing (`sign`) or encryption certificate, DER; none when the container has none. No PIN needed.
    pub fn certificate(&self, sign: bool) -> Result<Option<Vec<u8>>, SkfError> {
        self.export("SKF_ExportCertificate", self.app.f().export_certificate, sign)
    }

    /// The signing key's public point as `04 ‖ X ‖ Y` (65 bytes).
    pub fn public_key(&self) -> Result<Option<[u8; 65]>, SkfError> {
        let Some(blob) = self.export("SKF_ExportPublicKey", self.app.f().export_public_key, true)? else {
            return Ok(None);
        };
        if blob.len() < std::mem::size_of::<EccPublicKeyBlob>() {
            return Ok(None);
        }
        let mut point = [0u8; 65];
        point[0] = 4;
        point[1..33].copy_from_slice(&blob[4 + 32..4 + 64]);
        point[33..].copy_from_slice(&blob[4 + 64 + 32..4 + 128]);
        Ok(Some(point))
    }

    /// Signs the 32-byte e = SM3(Z ‖ M) with the container's signing key (after [`Application::verify_pin`]);
    /// returns `r ‖ s`, 32 bytes each.
    pub fn sign_digest(&self, e: &[u8; 32]) -> Result<[u8; 64], SkfError> {
        let mut blob = EccSignatureBlob {
            r: [0; 64],
            s: [0; 64],
        };
        // SAFETY: 32 input bytes and an out blob of the declared layout.
        check("SKF_ECCSignData", unsafe {
            (self.app.f().ecc_sign_data)(self.handle, e.as_ptr(), 32, &mut blob)
        })?;
        let (r, s) = ({ blob.r }, { blob.s });
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&r[32..]);
        out[32..].copy_from_slice(&s[32..]);
        Ok(out)
    }
}
