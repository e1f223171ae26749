//! DPAPI: data only this Windows user on this PC can read back (`CryptProtectData`, user scope). The client's
//! local store keeps its encryption key wrapped this way, so a copied store, or one read by another user, stays
//! sealed. Elsewhere these calls fail with [`Unsupported`](DpapiError::Unsupported) and the caller falls back
//! to a key file only the user can read.

/// Why a DPAPI call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DpapiError {
    /// Not Windows.
    Unsupported,
    /// Windows refused (the Win32 error code): typically another user's or another PC's blob.
    Failed(u32),
}

impl std::fmt::Display for DpapiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DpapiError::Unsupported => f.write_str("DPAPI 仅在 Windows 上可用"),
            DpapiError::Failed(code) => write!(f, "DPAPI 调用失败（Windows 错误 {code}）"),
        }
    }
}

impl std::error::Error for DpapiError {}

/// `data` wrapped for the current user (no UI: never a prompt).
pub fn protect(data: &[u8]) -> Result<Vec<u8>, DpapiError> {
    imp::call(data, true)
}

/// What [`protect`] wrapped, if this user on this PC wrapped it.
pub fn unprotect(blob: &[u8]) -> Result<Vec<u8>, DpapiError> {
    imp::call(blob, false)
}

#[cfg(not(windows))]
mod imp {
    use super::DpapiError;

    pub(super) fn call(_data: &[u8], _protect: bool) -> Result<Vec<u8>, DpapiError> {
        Err(DpapiError::Unsupported)
    }
}

#[cfg(windows)]
mod imp {
    use super::DpapiError;
    use windows_sys::Win32::Foundation::{GetLastError, LocalFree};
    use windows_sys::Win32::Security::Cryptography::{
        CryptProtectData, CryptUnprotectData, CRYPTPROTECT_UI_FORBIDDEN, CRYPT_INTEGER_BLOB,
    };

    pub(super) fn call(data: &[u8], protect: bool) -> Result<Vec<u8>, DpapiError> {
        let input = CRYPT_INTEGER_BLOB {
            cbData: u32::try_from(data.len()).map_err(|_| DpapiError::Failed(0))?,
            // DPAPI only reads the input.
            pbData: data.as_ptr().cast_mut(),
        };
        let mut output = CRYPT_INTEGER_BLOB::default();
        // SAFETY: `input` points at `data` for the call; `output` is filled by Windows with a LocalAlloc'd
        // buffer that is copied and freed below; no description, entropy, reserved or prompt pointers.
        let ok = unsafe {
            if protect {
                CryptProtectData(
                    &input,
                    std::ptr::null(),
                    std::ptr::null(),
                    std::ptr::null(),
                    std::ptr::null(),
                    CRYPTPROTECT_UI_FORBIDDEN,
                    &mut output,
                )
            } else {
                CryptUnprotectData(
                    &input,
                    std::ptr::null_mut(),
                    std::ptr::null(),
                    std::ptr::null(),
                    std::ptr::null(),
                    CRYPTPROTECT_UI_FORBIDDEN,
                    &mut output,
                )
            }
        };
        if ok == 0 {
            // SAFETY: reads the calling thread's last error; no arguments.
            return Err(DpapiError::Failed(unsafe { GetLastError() }));
        }
        // SAFETY: on success `output` describes `cbData` bytes Windows allocated; copied before LocalFree.
        let out = unsafe { std::slice::from_raw_parts(output.pbData, output.cbData as usize) }.to_vec();
        // SAFETY: the buffer was allocated by DPAPI with LocalAlloc and is freed exactly once.
        unsafe { LocalFree(output.pbData.cast()) };
        Ok(out)
    }
}
