//! The local store's personal data sealed at rest: payloads, receipts and drafts are encrypted with AES-256-GCM
//! (ring) under a key that only this user on this PC can open — wrapped with DPAPI on Windows, kept by the Secret
//! Service (GNOME Keyring, KWallet) on a Linux desktop; where neither is available, a key file only the user can
//! read, which `doctor` reports. Each value is bound to its row
//! (the AEAD's associated data), so sealed values cannot be swapped between rows.
//!
//! Format of a sealed value: `gjj1:` + base64(nonce ‖ ciphertext ‖ tag). A value without the prefix is a
//! plain one from before this store was sealed: read as is, and sealed by the store's migration.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use crate::ClientError;

const PREFIX: &str = "gjj1:";
/// The key file: magic, how the key is kept, then the key (raw or DPAPI-wrapped).
const MAGIC: &[u8; 4] = b"GJJK";
const KEPT_BY_DPAPI: u8 = b'D';
const KEPT_IN_FILE: u8 = b'F';
/// The key is in the Secret Service; the file holds only the entry's name.
const KEPT_BY_SECRET_SERVICE: u8 = b'S';
/// The Secret Service entry's service attribute.
#[cfg(target_os = "linux")]
const SECRET_SERVICE: &str = "gjj-hall";

/// How the store's key is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protection {
    /// Wrapped with DPAPI for this Windows user on this PC.
    Dpapi,
    /// Kept by the desktop's Secret Service (GNOME Keyring, KWallet) for this user.
    SecretService,
    /// A key file only this user can read (no OS key store available).
    UserFile,
}

impl Protection {
    /// For the doctor and the IT guide, in Chinese.
    pub fn describe(self) -> &'static str {
        match self {
            Protection::Dpapi => "本地数据已加密，密钥由 Windows（DPAPI）为当前用户保护",
            Protection::SecretService => {
                "本地数据已加密，密钥保存在系统密钥库（Secret Service）中，仅当前用户可用"
            }
            Protection::UserFile => {
                "本地数据已加密，密钥保存在仅当前用户可读的文件中（本机没有可用的系统密钥库）"
            }
        }
    }
}

/// The store's data key.
pub struct Vault {
    key: LessSafeKey,
    protection: Protection,
    path: PathBuf,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("protection", &self.protection)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn store_error(what: &str, path: &Path, e: impl std::fmt::Display) -> ClientError {
    ClientError::Store(format!("{what} {}：{e}", path.display()))
}

impl Vault {
    /// The current user's key (`store.key` in the user's config directory), created on first use.
    pub fn for_user() -> Result<Vault, ClientError> {
        Vault::at(&crate::settings::config_dir().join("store.key"))
    }

    /// The key kept at `path`, created when missing.
    pub fn at(path: &Path) -> Result<Vault, ClientError> {
        match std::fs::read(path) {
            Ok(bytes) => Vault::from_file(path, &bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vault::create(path),
            Err(e) => Err(store_error("无法读取本地数据密钥", path, e)),
        }
    }

    fn from_file(path: &Path, bytes: &[u8]) -> Result<Vault, ClientError> {
        let broken = || {
            ClientError::StoreKey(format!(
                "本地数据密钥文件 {} 已损坏。本机保存的提交内容无法解密；已受理业务的回执可在中心重新查看。",
                path.display()
            ))
        };
        let (head, body) = bytes.split_at_checked(5).ok_or_else(broken)?;
        if &head[..4] != MAGIC {
            return Err(broken());
        }
        let (raw, protection) = match head[4] {
            KEPT_BY_DPAPI => {
                let raw = gjj_winstore::dpapi::unprotect(body).map_err(|e| {
                    ClientError::StoreKey(format!(
                        "本地数据密钥属于另一个 Windows 用户或另一台电脑（{e}）。本机保存的提交内容无法解密；\
                         请用建立它的用户登录，已受理业务的回执可在中心重新查看。"
                    ))
                })?;
                (Zeroizing::new(raw), Protection::Dpapi)
            }
            KEPT_IN_FILE => (Zeroizing::new(body.to_vec()), Protection::UserFile),
            KEPT_BY_SECRET_SERVICE => {
                let entry = std::str::from_utf8(body).map_err(|_| broken())?;
                let raw = secret_service::get(entry).map_err(|e| {
                    ClientError::StoreKey(format!(
                        "无法从系统密钥库取得本地数据密钥（{e}）。请先登录桌面并解锁密钥环；\
                         本地数据库来自另一个用户时无法解密，已受理业务的回执可在中心重新查看。"
                    ))
                })?;
                (Zeroizing::new(raw), Protection::SecretService)
            }
            _ => return Err(broken()),
        };
        let key = UnboundKey::new(&AES_256_GCM, &raw).map_err(|_| broken())?;
        Ok(Vault {
            key: LessSafeKey::new(key),
            protection,
            path: path.to_owned(),
        })
    }

    fn create(path: &Path) -> Result<Vault, ClientError> {
        let mut raw = Zeroizing::new([0u8; 32]);
        SystemRandom::new()
            .fill(raw.as_mut())
            .map_err(|_| ClientError::Store("系统随机数不可用".to_owned()))?;
        // The entry's name is unique per key file, so two profiles (or test runs) never share an entry.
        let entry = format!(
            "store-key-{}",
            hex::encode(
                &ring::digest::digest(&ring::digest::SHA256, path.to_string_lossy().as_bytes()).as_ref()[..8]
            )
        );
        let (kept, body) = match gjj_winstore::dpapi::protect(raw.as_ref()) {
            Ok(blob) => (KEPT_BY_DPAPI, blob),
            Err(e) => match secret_service::set(&entry, raw.as_ref()) {
                Ok(()) => (KEPT_BY_SECRET_SERVICE, entry.into_bytes()),
                Err(ss) => {
                    if cfg!(windows) {
                        tracing::warn!(error = %e, "DPAPI unavailable: the store key is kept in a user-only file");
                    } else {
                        tracing::info!(reason = %ss, "no Secret Service: the store key is kept in a user-only file");
                    }
                    (KEPT_IN_FILE, raw.to_vec())
                }
            },
        };
        let mut file_bytes = Zeroizing::new(Vec::with_capacity(5 + body.len()));
        file_bytes.extend_from_slice(MAGIC);
        file_bytes.push(kept);
        file_bytes.extend_from_slice(&body);
        if let Some(dir) = path.parent() {
            create_private_dir(dir).map_err(|e| store_error("无法创建目录", dir, e))?;
        }
        // Created exclusively: two processes starting at once both end up with the first one's key.
        match create_private_file(path) {
            Ok(mut file) => {
                file.write_all(&file_bytes)
                    .and_then(|()| file.sync_all())
                    .map_err(|e| store_error("无法写入本地数据密钥", path, e))?;
                Vault::from_file(path, &file_bytes)
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                // The other writer may still be writing: wait for a whole file.
                for _ in 0..50 {
                    let bytes =
                        std::fs::read(path).map_err(|e| store_error("无法读取本地数据密钥", path, e))?;
                    if bytes.len() >= file_bytes.len().min(5 + 32) {
                        return Vault::from_file(path, &bytes);
                    }
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(store_error("本地数据密钥不完整", path, "请重试"))
            }
            Err(e) => Err(store_error("无法创建本地数据密钥", path, e)),
        }
    }

    /// How the key at `path` is protected, without opening it; `None` when there is none yet.
    pub fn inspect(path: &Path) -> Result<Option<Protection>, ClientError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(store_error("无法读取本地数据密钥", path, e)),
        };
        match (bytes.get(..4), bytes.get(4)) {
            (Some(m), Some(&KEPT_BY_DPAPI)) if m == MAGIC => Ok(Some(Protection::Dpapi)),
            (Some(m), Some(&KEPT_IN_FILE)) if m == MAGIC => Ok(Some(Protection::UserFile)),
            (Some(m), Some(&KEPT_BY_SECRET_SERVICE)) if m == MAGIC => Ok(Some(Protection::SecretService)),
            _ => Err(ClientError::StoreKey(format!(
                "本地数据密钥文件 {} 已损坏。",
                path.display()
            ))),
        }
    }

    /// How the key is protected.
    pub fn protection(&self) -> Protection {
        self.protection
    }

    /// Where the key file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `plain` sealed for the row named `context`.
    pub fn seal(&self, context: &str, plain: &str) -> Result<String, ClientError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| ClientError::Store("系统随机数不可用".to_owned()))?;
        let mut data = plain.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut data,
            )
            .map_err(|_| ClientError::Store("加密失败".to_owned()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        Ok(format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(out)
        ))
    }

    /// Whether `text` is sealed (else a plain value from before).
    pub fn is_sealed(text: &str) -> bool {
        text.starts_with(PREFIX)
    }

    /// What [`Vault::seal`] sealed for `context`; a plain value from before is returned as is.
    pub fn open(&self, context: &str, text: &str) -> Result<String, ClientError> {
        let Some(b64) = text.strip_prefix(PREFIX) else {
            return Ok(text.to_owned());
        };
        let refused = || {
            ClientError::StoreKey(format!(
                "本机保存的提交内容无法解密：本地数据库来自另一个用户或另一台电脑，或密钥文件 {} 已被更换。\
                 已受理业务的回执可在中心重新查看；未发送的内容请重新导入表格提交。",
                self.path.display()
            ))
        };
        let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(b64)
            .map_err(|_| refused())?;
        let (nonce, sealed) = bytes.split_at_checked(NONCE_LEN).ok_or_else(refused)?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| refused())?;
        let mut data = sealed.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut data)
            .map_err(|_| refused())?;
        String::from_utf8(plain.to_vec()).map_err(|_| refused())
    }
}

/// The desktop's Secret Service (Linux): the key stored under [`SECRET_SERVICE`] / `entry`.
#[cfg(target_os = "linux")]
mod secret_service {
    use super::SECRET_SERVICE;

    pub(super) fn set(entry: &str, key: &[u8]) -> Result<(), String> {
        // No session bus (a server, a service account): not worth a D-Bus timeout.
        if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
            return Err("没有桌面会话（D-Bus）".to_owned());
        }
        let e = keyring::Entry::new(SECRET_SERVICE, entry).map_err(|e| e.to_string())?;
        e.set_secret(key).map_err(|e| e.to_string())?;
        // Read back: a locked or half-working keyring must not hold the only copy of a key we cannot get again.
        match e.get_secret() {
            Ok(back) if back == key => Ok(()),
            Ok(_) => Err("系统密钥库返回的密钥不一致".to_owned()),
            Err(err) => Err(err.to_string()),
        }
    }

    pub(super) fn get(entry: &str) -> Result<Vec<u8>, String> {
        keyring::Entry::new(SECRET_SERVICE, entry)
            .and_then(|e| e.get_secret())
            .map_err(|e| e.to_string())
    }
}

/// Elsewhere there is no Secret Service (Windows has DPAPI).
#[cfg(not(target_os = "linux"))]
mod secret_service {
    pub(super) fn set(_entry: &str, _key: &[u8]) -> Result<(), String> {
        Err("not Linux".to_owned())
    }

    pub(super) fn get(_entry: &str) -> Result<Vec<u8>, String> {
        Err("本平台没有 Secret Service".to_owned())
    }
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    // %APPDATA% is the user's own (its ACL admits only the user, SYSTEM and administrators).
    std::fs::create_dir_all(dir)
}

#[cfg(unix)]
fn create_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_row() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::at(&dir.path().join("k")).unwrap();
        let sealed = vault.seal("outbox:1", "张三 430405198803150011").unwrap();
        assert!(Vault::is_sealed(&sealed));
        assert!(!sealed.contains("张三") && !sealed.contains("4304051988"));
        assert_eq!(
            vault.open("outbox:1", &sealed).unwrap(),
            "张三 430405198803150011"
        );
        // Another row's context, another key: refused with the stable code.
        assert_eq!(
            vault.open("outbox:2", &sealed).unwrap_err().code(),
            "LOCAL_STORE_KEY"
        );
        let other = Vault::at(&dir.path().join("other")).unwrap();
        assert_eq!(
            other.open("outbox:1", &sealed).unwrap_err().code(),
            "LOCAL_STORE_KEY"
        );
        // The same file gives the same key; a plain value from before reads as is.
        let again = Vault::at(&dir.path().join("k")).unwrap();
        assert_eq!(
            again.open("outbox:1", &sealed).unwrap(),
            "张三 430405198803150011"
        );
        assert_eq!(again.open("outbox:1", "{\"rows\":[]}").unwrap(), "{\"rows\":[]}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("k"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "the key file is the user's alone: {mode:o}");
        }
        let expected: &[Protection] = if cfg!(windows) {
            &[Protection::Dpapi]
        } else {
            // The Secret Service when a desktop session offers one.
            &[Protection::UserFile, Protection::SecretService]
        };
        assert!(expected.contains(&vault.protection()), "{:?}", vault.protection());
    }
}

#[cfg(test)]
mod secret_service_tests {
    use super::*;

    /// With a desktop session's Secret Service (`cargo xtask test` runs the personal-data test in one), the key
    /// lives there and a second opening of the same key file finds it.
    #[test]
    fn the_key_in_the_secret_service_opens_again() {
        if std::env::var_os("GJJ_EXPECT_SECRET_SERVICE").is_none() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.key");
        let first = Vault::at(&path).unwrap();
        assert_eq!(first.protection(), Protection::SecretService);
        let sealed = first.seal("row", "张三").unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let again = Vault::at(&path).unwrap_or_else(|e| panic!("{e}: {:?}", String::from_utf8_lossy(&bytes)));
        assert_eq!(again.open("row", &sealed).unwrap(), "张三");
    }
}
