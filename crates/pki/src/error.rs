use std::path::PathBuf;

/// What the token says about the user PIN after a failed login (PKCS#11 token flags).
///
/// PKCS#11 has no retry counter, only these flags; vendors differ in which ones they set
/// (SoftHSM2 sets `CountLow` after any failure and never `FinalTry`/`Locked`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinState {
    /// A wrong PIN, no warning flag set.
    Incorrect,
    /// A wrong PIN and the token warns that few tries are left.
    CountLow,
    /// A wrong PIN and the next wrong PIN locks the key.
    FinalTry,
    /// The PIN is locked.
    Locked,
}

/// Errors from certificates, tokens and keys. Each has a stable [`code`](PkiError::code).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PkiError {
    /// The PKCS#11 module (USB-key driver) could not be loaded or initialised.
    #[error("无法加载 USB key 驱动 {path}（{detail}）。请安装证书颁发机构提供的 USB key 驱动，或在设置中填写正确的驱动路径。")]
    ModuleLoad { path: PathBuf, detail: String },
    /// No token is inserted (or none matches the requested label).
    #[error("未检测到 USB key{wanted}。请插入单位的 USB key；已插入时请重新插拔，或在诊断页检查驱动。")]
    NoToken { wanted: String },
    /// Several tokens match and the caller did not say which one.
    #[error("检测到多个 USB key（{labels}），请指定要使用的一个（--token 或 gjj.toml 中的 token_label）。")]
    TokenAmbiguous { labels: String },
    /// The token holds no usable certificate.
    #[error("USB key“{label}”中没有可用的证书。请联系证书颁发机构重新写入证书。")]
    NoCertificate { label: String },
    /// The certificate's private key is not on the token.
    #[error("USB key 中找不到与证书配对的私钥。请联系证书颁发机构检查 USB key。")]
    KeyNotFound,
    /// Wrong PIN (and what the token says about remaining tries).
    #[error("{}", pin_message(*.0))]
    Pin(PinState),
    /// The PIN has a length the token does not accept.
    #[error("PIN 长度不符合 USB key 的要求，请检查后重新输入。")]
    PinLength,
    /// A token operation failed for a reason the user cannot fix by retyping.
    #[error(
        "USB key 操作失败（{op}：{detail}）。请重新插拔 USB key 后重试；仍失败请在诊断页导出日志交给 IT。"
    )]
    Token { op: &'static str, detail: String },
    /// A certificate could not be parsed.
    #[error("证书无法解析（{0}）。请确认证书文件完整，或联系证书颁发机构。")]
    CertificateInvalid(String),
    /// The key type or signature scheme is not supported.
    #[error("不支持的密钥类型（{0}）。本客户端支持 RSA、ECDSA P-256 和国密 SM2 证书（SM2 经 USB key 厂商的 SKF 驱动，或已知厂商的 PKCS#11 驱动）。")]
    UnsupportedKey(String),
    /// A .pfx file could not be read.
    #[error("证书文件 {path} 无法读取（{detail}）。请确认文件完整且是 .pfx / .p12 格式。")]
    Pfx { path: PathBuf, detail: String },
    /// Wrong password for a .pfx file.
    #[error("证书文件密码错误，请重新输入。")]
    PfxPassword,
    /// The centre CA bundle could not be read.
    #[error("中心根证书文件 {path} 无法读取（{detail}）。请在设置中重新指定中心提供的 CA 证书文件。")]
    TrustBundle { path: PathBuf, detail: String },
    /// The user closed the USB-key driver's PIN dialog (a Windows certificate-store key).
    #[error("已取消输入 PIN，未登录。需要登录时请重新选择证书，并在 USB key 驱动弹出的窗口中输入 PIN。")]
    PinCancelled,
    /// A key in the Windows certificate store could not be used.
    #[error(
        "Windows 证书存储中的密钥无法使用（{op}：0x{code:08X}）。请重新插拔 USB key；仍失败请重新安装证书颁发机构提供的 USB key 驱动，或在诊断页导出报告交给 IT。"
    )]
    StoreKey {
        /// The Windows call that failed.
        op: &'static str,
        /// Its error code.
        code: u32,
    },
    /// A detached signature does not verify against the certificate.
    #[error("签名验证失败：提交内容与签名不符。请重新提交；若反复出现请联系中心。")]
    SignatureInvalid,
    /// A receipt whose centre seal does not hold.
    #[error("回执签章无效：{0}。该回执可能被修改过或不是中心签发的，请勿作为凭证使用，并向中心核实。")]
    ReceiptSeal(String),
    /// A CMS signature that cannot be read as a detached SignedData of one signer.
    #[error("签名格式不正确（{0}）。请升级客户端后重新提交；若反复出现请联系中心。")]
    CmsInvalid(String),
}

fn pin_message(state: PinState) -> &'static str {
    match state {
        PinState::Incorrect => "PIN 错误，请重新输入。",
        PinState::CountLow => {
            "PIN 错误，USB key 提示剩余尝试次数已不多。请确认 PIN 后再输入，多次输错将锁定。"
        }
        PinState::FinalTry => {
            "PIN 错误，还剩最后一次机会：再输错一次 USB key 将被锁定。不确定 PIN 时请先联系单位的证书管理员。"
        }
        PinState::Locked => {
            "USB key 的 PIN 已被锁定。请携带 USB key、单位介绍信和经办人身份证到证书颁发机构解锁。"
        }
    }
}

impl PkiError {
    /// A stable, machine-readable code for scripts and the UI.
    pub fn code(&self) -> &'static str {
        match self {
            Self::ModuleLoad { .. } => "PKCS11_MODULE_LOAD",
            Self::NoToken { .. } => "TOKEN_NOT_FOUND",
            Self::TokenAmbiguous { .. } => "TOKEN_AMBIGUOUS",
            Self::NoCertificate { .. } => "CERT_NOT_FOUND",
            Self::KeyNotFound => "KEY_NOT_FOUND",
            Self::Pin(PinState::Incorrect) => "PIN_INCORRECT",
            Self::Pin(PinState::CountLow) => "PIN_COUNT_LOW",
            Self::Pin(PinState::FinalTry) => "PIN_FINAL_TRY",
            Self::Pin(PinState::Locked) => "PIN_LOCKED",
            Self::PinLength => "PIN_LENGTH",
            Self::Token { .. } => "TOKEN_ERROR",
            Self::CertificateInvalid(_) => "CERT_INVALID",
            Self::UnsupportedKey(_) => "KEY_UNSUPPORTED",
            Self::Pfx { .. } => "PFX_UNREADABLE",
            Self::PfxPassword => "PFX_PASSWORD",
            Self::TrustBundle { .. } => "CA_BUNDLE_UNREADABLE",
            Self::SignatureInvalid => "SIGNATURE_INVALID",
            Self::CmsInvalid(_) => "SIGNATURE_FORMAT",
            Self::ReceiptSeal(_) => "RECEIPT_SEAL_INVALID",
            Self::PinCancelled => "PIN_CANCELLED",
            Self::StoreKey { .. } => "STORE_KEY_ERROR",
        }
    }
}
