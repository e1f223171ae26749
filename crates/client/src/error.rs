use gjj_domain::api::ApiError;
use gjj_pki::identity::Validity;
use gjj_pki::{CertIdentity, PkiError};
use rustls::AlertDescription;

/// Why a request failed. Every variant has a stable [`code`](ClientError::code) and a Chinese message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// Certificate or key problem on this side.
    #[error(transparent)]
    Pki(#[from] PkiError),
    /// The centre refused our certificate during the TLS handshake.
    #[error("{message}")]
    CertificateRefused {
        /// Stable code: CERT_EXPIRED, CERT_NOT_YET_VALID, CERT_REVOKED, CERT_UNTRUSTED, CERT_PURPOSE, CERT_REFUSED.
        code: &'static str,
        /// Chinese explanation.
        message: String,
    },
    /// The centre's server certificate is not trusted by the configured CA bundle.
    #[error("中心服务器的证书不受信任（{0}）。请确认中心网址正确、CA 证书文件是中心提供的最新版本。")]
    ServerUntrusted(String),
    /// The centre could not be reached.
    #[error(
        "无法连接中心服务器（{0}）。请检查网络或代理设置；已保存的提交会在网络恢复后重发，不会重复受理。"
    )]
    Network(String),
    /// The centre answered with an error.
    #[error("{}", .body.message)]
    Api {
        /// HTTP status.
        status: u16,
        /// The centre's error body (code, message, row issues).
        body: ApiError,
    },
    /// The centre answered something this client does not understand.
    #[error("中心返回了无法识别的内容（{0}）。请升级客户端；仍有问题请联系中心。")]
    Protocol(String),
    /// A receipt file that cannot be read as the centre's sealed receipt (PDF structure, modified after signing).
    #[error(transparent)]
    Receipt(#[from] gjj_receipt::ReceiptError),
    /// The local store failed.
    #[error("本地数据库出错（{0}）。请确认磁盘空间充足、数据目录可写。")]
    Store(String),
    /// The local store's sealed data cannot be opened with this user's key (another user's or PC's store).
    #[error("{0}")]
    StoreKey(String),
}

impl ClientError {
    /// Stable code for scripts and the UI.
    pub fn code(&self) -> &str {
        match self {
            ClientError::Pki(e) => e.code(),
            ClientError::CertificateRefused { code, .. } => code,
            ClientError::ServerUntrusted(_) => "SERVER_UNTRUSTED",
            ClientError::Network(_) => "NETWORK",
            ClientError::Api { body, .. } => &body.code,
            ClientError::Protocol(_) => "PROTOCOL",
            ClientError::Store(_) => "LOCAL_STORE",
            ClientError::StoreKey(_) => "LOCAL_STORE_KEY",
            ClientError::Receipt(e) => e.code(),
        }
    }

    /// True when the request may not have reached the centre, or the centre failed before answering: the
    /// outbox keeps the submission and resends it with the same idempotency key.
    pub fn is_retryable(&self) -> bool {
        match self {
            ClientError::Network(_) => true,
            ClientError::Api { status, .. } => *status >= 500 || *status == 408 || *status == 429,
            _ => false,
        }
    }

    /// Classifies a transport error: a TLS alert from the centre names which certificate problem it was.
    pub(crate) fn from_transport(
        err: &(dyn std::error::Error + 'static),
        identity: &CertIdentity,
    ) -> ClientError {
        match find_rustls(err) {
            Some(rustls::Error::AlertReceived(alert)) => refused(*alert, identity),
            Some(rustls::Error::InvalidCertificate(e)) => ClientError::ServerUntrusted(e.to_string()),
            Some(other) => ClientError::Network(format!("TLS：{other}")),
            None => ClientError::Network(chain(err)),
        }
    }
}

fn refused(alert: AlertDescription, identity: &CertIdentity) -> ClientError {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let date = |t: i64| {
        time::OffsetDateTime::from_unix_timestamp(t)
            .map(|d| format!("{}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()))
            .unwrap_or_default()
    };
    let (code, message) = match alert {
        AlertDescription::CertificateExpired => match identity.validity_at(now) {
            Validity::NotYetValid => (
                "CERT_NOT_YET_VALID",
                format!("证书尚未生效（{} 起生效），中心拒绝登录。请检查电脑日期时间是否正确，或到生效日后再登录。", date(identity.not_before)),
            ),
            _ => (
                "CERT_EXPIRED",
                format!("证书已于 {} 过期，中心拒绝登录。请联系证书颁发机构办理证书续期。", date(identity.not_after)),
            ),
        },
        AlertDescription::CertificateRevoked => (
            "CERT_REVOKED",
            "证书已被证书颁发机构吊销，中心拒绝登录。请联系证书颁发机构补办新证书；如 USB key 遗失请立即挂失。".to_owned(),
        ),
        AlertDescription::UnknownCA => (
            "CERT_UNTRUSTED",
            format!("证书不是中心认可的证书颁发机构签发的（签发者：{}），中心拒绝登录。请使用中心指定机构办理的单位证书。", identity.issuer),
        ),
        AlertDescription::UnsupportedCertificate => (
            "CERT_PURPOSE",
            "证书的用途不是“客户端身份认证”，不能用于登录网厅。请联系证书颁发机构换发网厅登录证书。".to_owned(),
        ),
        other => ("CERT_REFUSED", format!("中心拒绝了该证书（TLS 告警 {other:?}）。请在诊断页导出日志交给 IT 或中心。")),
    };
    ClientError::CertificateRefused { code, message }
}

/// Walks the source chain (through io::Error wrappers) to the rustls error, if any.
fn find_rustls<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(r) = e.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        if let Some(inner) = e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            if let Some(r) = inner.downcast_ref::<rustls::Error>() {
                return Some(r);
            }
        }
        current = e.source();
    }
    None
}

fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut current = err.source();
    while let Some(e) = current {
        parts.push(e.to_string());
        current = e.source();
    }
    parts.join(": ")
}

impl From<sqlx::Error> for ClientError {
    fn from(e: sqlx::Error) -> Self {
        ClientError::Store(e.to_string())
    }
}

impl From<sqlx::migrate::MigrateError> for ClientError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        ClientError::Store(e.to_string())
    }
}
