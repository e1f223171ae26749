//! What every submission goes through, whatever the business: the detached signature is verified against the
//! TLS client certificate, the idempotency key is honoured, and the business rows are stored with the receipt
//! in one transaction.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use gjj_domain::api::{self, Receipt, SubmissionStatus};
use gjj_pki::SigAlg;
use sqlx::{Any, Transaction};
use time::format_description::well_known::Rfc3339;

use super::{AppState, Caller, HttpError};

/// A request body whose signature has been verified.
pub struct SignedBody {
    /// The client's idempotency key.
    pub key: String,
    /// Signature algorithm.
    pub alg: SigAlg,
    /// Detached signature over `body`: CMS SignedData (DER) or, from earlier clients, the raw signature.
    pub signature: Vec<u8>,
    /// "cms" or "raw".
    pub format: &'static str,
    /// The exact bytes signed.
    pub body: Bytes,
    /// SHA-256 of `body`, hex.
    pub sha256: String,
}

fn bad_request(code: &str, message: &str) -> HttpError {
    HttpError::new(StatusCode::BAD_REQUEST, code, message)
}

/// The request body, or a clear error when it is too large or was not sent completely.
pub fn body(state: &AppState, body: Result<Bytes, BytesRejection>) -> Result<Bytes, HttpError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            HttpError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                format!(
                    "提交内容超过中心允许的 {} MB，中心未受理。请把文件拆分成几批分别提交。",
                    state.limits.max_body_bytes / (1024 * 1024)
                ),
            )
        } else {
            HttpError::new(
                StatusCode::BAD_REQUEST,
                "BODY_INCOMPLETE",
                "提交内容没有完整传到中心，中心未受理。请检查网络后重新提交（重新提交不会重复受理）。",
            )
        }
    })
}

/// Checks the headers and verifies the signature with the public key of the connection's certificate.
pub fn verify(caller: &Caller, headers: &HeaderMap, body: Bytes) -> Result<SignedBody, HttpError> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let key = header(api::IDEMPOTENCY_KEY)
        .filter(|k| (8..=64).contains(&k.len()) && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .ok_or_else(|| {
            bad_request(
                "IDEMPOTENCY_KEY_REQUIRED",
                "请求缺少有效的 Idempotency-Key（8–64 位字母、数字或“-”）。请升级客户端后重试。",
            )
        })?
        .to_owned();
    let signature = header(api::SIGNATURE)
        .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
        .ok_or_else(|| {
            bad_request(
                "SIGNATURE_REQUIRED",
                "请求缺少签名。提交必须由 USB key 签名，请升级客户端后重试。",
            )
        })?;
    let mismatch = || {
        bad_request(
            "SIGNATURE_INVALID",
            "签名与提交内容或登录证书不符，中心未受理。请重新提交；若反复出现请联系中心。",
        )
    };
    let (alg, format) = if header(api::SIGNATURE_FORMAT) == Some("cms") {
        let cms = gjj_pki::cms::verify(&signature, &body).map_err(|e| match e {
            gjj_pki::PkiError::CmsInvalid(_) => bad_request("SIGNATURE_FORMAT", &e.to_string()),
            _ => mismatch(),
        })?;
        // The signer must be the certificate this connection logged in with.
        if cms.certificate != caller.peer.cert_der {
            return Err(bad_request(
                "SIGNATURE_CERT_MISMATCH",
                "签名所用证书与登录证书不是同一张，中心未受理。请用登录所用的 USB key 重新提交。",
            ));
        }
        (cms.alg, "cms")
    } else {
        let alg = header(api::SIGNATURE_ALG)
            .and_then(SigAlg::parse)
            .ok_or_else(|| {
                bad_request(
                    "SIGNATURE_REQUIRED",
                    "请求缺少签名算法。提交必须由 USB key 签名，请升级客户端后重试。",
                )
            })?;
        gjj_pki::verify_detached(&caller.peer.cert_der, alg, &body, &signature).map_err(|_| mismatch())?;
        (alg, "raw")
    };
    let sha256 = hex::encode(ring::digest::digest(&ring::digest::SHA256, &body));
    Ok(SignedBody {
        key,
        alg,
        signature,
        format,
        body,
        sha256,
    })
}

/// The first receipt when this idempotency key was seen before with the same payload; an error when the key
/// is reused for different content.
pub async fn replay(
    state: &AppState,
    caller: &Caller,
    signed: &SignedBody,
) -> Result<Option<Response>, HttpError> {
    let Some(stored) = state
        .db
        .by_idempotency_key(&caller.unit.facts.account, &signed.key)
        .await?
    else {
        return Ok(None);
    };
    if stored.payload_sha256 != signed.sha256 {
        return Err(HttpError::new(
            StatusCode::CONFLICT,
            "IDEMPOTENCY_KEY_REUSED",
            format!(
                "该提交编号已用于另一份内容（业务流水号 {}）。请作为新的业务重新提交。",
                stored.receipt.serial
            ),
        ));
    }
    let mut resp = (StatusCode::OK, Json(stored.receipt)).into_response();
    resp.headers_mut()
        .insert(api::REPLAYED, HeaderValue::from_static("true"));
    Ok(Some(resp))
}

/// Parses the JSON payload of a verified body.
pub fn payload<T: serde::de::DeserializeOwned>(signed: &SignedBody) -> Result<T, HttpError> {
    serde_json::from_slice(&signed.body).map_err(|e| {
        HttpError::new(
            StatusCode::BAD_REQUEST,
            "PAYLOAD_INVALID",
            format!("提交内容格式不正确（{e}）。请用最新版客户端重新生成后提交。"),
        )
    })
}

/// Next 单位业务流水号: "02" + yyMMdd + 7-digit daily sequence (the JGJ/T 320-era scheme seen in Bijie).
async fn next_serial(tx: &mut Transaction<'static, Any>, state: &AppState) -> Result<String, sqlx::Error> {
    let now = state.now();
    let day = format!(
        "{:02}{:02}{:02}",
        now.year() % 100,
        u8::from(now.month()),
        now.day()
    );
    let value: i64 = sqlx::query_scalar(
        "INSERT INTO counters (name, value) VALUES ($1, 1) \
         ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
    )
    .bind(format!("unit_business:{day}"))
    .fetch_one(&mut **tx)
    .await?;
    Ok(format!("02{day}{value:07}"))
}

/// A submission being stored: the transaction holds the unit lock; the business adds its rows to `tx`, then
/// [`commit`] makes everything visible at once.
pub struct Pending {
    /// The open transaction.
    pub tx: Transaction<'static, Any>,
    /// The 业务流水号 assigned.
    pub serial: String,
    // Boxed: the receipt is the bulk of `Pending`, which `Begun::New` carries by value.
    receipt: Box<Receipt>,
}

/// What [`begin`] found.
pub enum Begun {
    /// A new submission: add the business rows, then [`commit`].
    New(Pending),
    /// Another request with the same key got there first: its receipt.
    Replayed(Response),
}

/// Starts storing a submission atomically: locks the unit, refuses a conflicting open business when
/// `check_open`, assigns the serial and stores payload + signature + receipt. The receipt names the digest.
pub async fn begin(
    state: &AppState,
    caller: &Caller,
    signed: &SignedBody,
    business: &str,
    row_count: u32,
    check_open: bool,
) -> Result<Begun, HttpError> {
    Ok(
        match open(state, caller, signed, business, row_count, check_open).await? {
            Opened::New(o) => Begun::New(o.store().await?),
            Opened::Replayed(resp) => Begun::Replayed(resp),
        },
    )
}

/// A submission with its serial and unit lock, not yet written: what goes into the receipt can still be added
/// ([`Opening::store_with_accounts`]), so the submission row (payload + receipt) is written once.
pub struct Opening<'a> {
    /// The open transaction.
    pub tx: Transaction<'static, Any>,
    /// The 业务流水号 assigned.
    pub serial: String,
    receipt: Box<Receipt>,
    signed: &'a SignedBody,
    cert_fingerprint: String,
}

/// What [`open`] found.
pub enum Opened<'a> {
    /// A new submission: [`Opening::store`] it, add the business rows, then [`commit`].
    New(Opening<'a>),
    /// Another request with the same key got there first: its receipt.
    Replayed(Response),
}

/// The first half of [`begin`]: the unit lock, the idempotency re-check, the open-business check and the serial.
pub async fn open<'a>(
    state: &AppState,
    caller: &Caller,
    signed: &'a SignedBody,
    business: &str,
    row_count: u32,
    check_open: bool,
) -> Result<Opened<'a>, HttpError> {
    let unit = &caller.unit.facts;
    let mut tx = state.db.pool().begin().await?;
    sqlx::query("UPDATE units SET lock_version = lock_version + 1 WHERE account = $1")
        .bind(&unit.account)
        .execute(&mut *tx)
        .await?;
    // Re-checked under the unit lock: two concurrent requests with the same key store one record.
    let existing: Option<String> =
        sqlx::query_scalar("SELECT serial FROM submissions WHERE unit_account = $1 AND idempotency_key = $2")
            .bind(&unit.account)
            .bind(&signed.key)
            .fetch_optional(&mut *tx)
            .await?;
    if existing.is_some() {
        drop(tx);
        let replayed = replay(state, caller, signed).await?;
        return replayed
            .map(Opened::Replayed)
            .ok_or_else(|| HttpError::from(sqlx::Error::RowNotFound));
    }
    if check_open {
        let open: Option<String> = sqlx::query_scalar(
            "SELECT serial FROM submissions WHERE unit_account = $1 AND business = $2 AND status IN ($3, $4)",
        )
        .bind(&unit.account)
        .bind(business)
        .bind(SubmissionStatus::Accepted.code())
        .bind(SubmissionStatus::Reviewing.code())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(serial) = open {
            return Err(open_business(&serial));
        }
    }
    let serial = next_serial(&mut tx, state).await?;
    let received_at = state
        .now()
        .to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_default();
    let receipt = Receipt {
        serial: serial.clone(),
        business: business.to_owned(),
        unit_account: unit.account.clone(),
        unit_name: unit.name.clone(),
        accepted_rows: row_count,
        payload_sha256: signed.sha256.clone(),
        signature_alg: signed.alg.as_str().to_owned(),
        certificate_serial: caller.peer.identity.serial.clone(),
        idempotency_key: signed.key.clone(),
        received_at,
        accounts: Vec::new(),
        applicants: Vec::new(),
    };
    Ok(Opened::New(Opening {
        tx,
        serial,
        receipt: Box::new(receipt),
        signed,
        cert_fingerprint: caller.peer.identity.fingerprint.clone(),
    }))
}

impl Opening<'_> {
    /// Writes the submission row (payload, signature, receipt): the business rows reference it.
    pub async fn store(self) -> Result<Pending, HttpError> {
        self.store_with_accounts(Vec::new()).await
    }

    /// [`Opening::store`] with the 个人账号 assigned per row already in the receipt (缴存人登记): the row, whose
    /// payload is the bulk of a big batch, is written once instead of rewritten for the receipt.
    pub async fn store_with_accounts(self, accounts: Vec<api::RowAccount>) -> Result<Pending, HttpError> {
        let Opening {
            mut tx,
            serial,
            mut receipt,
            signed,
            cert_fingerprint,
        } = self;
        receipt.accounts = accounts;
        let receipt_json = serde_json::to_string(&receipt).map_err(|e| sqlx::Error::Encode(e.into()))?;
        sqlx::query(
            "INSERT INTO submissions (serial, unit_account, business, idempotency_key, status, payload, \
             payload_sha256, signature, signature_alg, cert_serial, cert_fingerprint, row_count, receipt, created_at, \
             updated_at, signature_format) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15)",
        )
        .bind(&serial)
        .bind(&receipt.unit_account)
        .bind(&receipt.business)
        .bind(&signed.key)
        .bind(SubmissionStatus::Accepted.code())
        .bind(String::from_utf8_lossy(&signed.body).into_owned())
        .bind(&signed.sha256)
        .bind(base64::engine::general_purpose::STANDARD.encode(&signed.signature))
        .bind(signed.alg.as_str())
        .bind(&receipt.certificate_serial)
        .bind(&cert_fingerprint)
        .bind(i64::from(receipt.accepted_rows))
        .bind(&receipt_json)
        .bind(&receipt.received_at)
        .bind(signed.format)
        .execute(&mut *tx)
        .await?;
        Ok(Pending { tx, serial, receipt })
    }
}

impl Pending {
    /// Puts the 个人账号 assigned per row into the receipt (stored with the submission and answered), for a
    /// business that creates accounts at acceptance (缴存人登记). Call before [`commit`].
    pub async fn set_accounts(&mut self, accounts: Vec<api::RowAccount>) -> Result<(), HttpError> {
        self.receipt.accounts = accounts;
        let json = serde_json::to_string(&self.receipt).map_err(|e| sqlx::Error::Encode(e.into()))?;
        sqlx::query("UPDATE submissions SET receipt = $1 WHERE serial = $2")
            .bind(json)
            .bind(&self.serial)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }
}

impl Pending {
    /// Corrects the receipt's row count (贷款申请: fewer applicants passed under the lock than before it); stored
    /// with the next [`Pending::set_applicants`].
    pub fn set_accepted_rows(&mut self, n: u32) {
        self.receipt.accepted_rows = n;
    }

    /// Puts the per-applicant outcomes of a 贷款申请 into the receipt (stored and answered). Call before [`commit`].
    pub async fn set_applicants(&mut self, outcomes: Vec<api::ApplicantOutcome>) -> Result<(), HttpError> {
        self.receipt.applicants = outcomes;
        let json = serde_json::to_string(&self.receipt).map_err(|e| sqlx::Error::Encode(e.into()))?;
        sqlx::query("UPDATE submissions SET receipt = $1 WHERE serial = $2")
            .bind(json)
            .bind(&self.serial)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }
}

/// Commits a submission and answers with its receipt.
pub async fn commit(pending: Pending) -> Result<Response, HttpError> {
    pending.tx.commit().await?;
    let r = &pending.receipt;
    tracing::info!(serial = %r.serial, business = %r.business, unit = %r.unit_account, rows = r.accepted_rows, "submission accepted");
    fault_point_after_commit();
    Ok((StatusCode::CREATED, Json(pending.receipt)).into_response())
}

/// The error for a business that may not be submitted while another one is open.
pub fn open_business(serial: &str) -> HttpError {
    HttpError::new(
        StatusCode::CONFLICT,
        "BUSINESS_OPEN",
        format!("本单位已有同类业务尚未办结（业务流水号 {serial}）。请等待中心审核完成，或撤回后再提交。"),
    )
}

/// Test-only crash point (debug builds only): `GJJ_FAULT=exit-after-commit` makes the gateway die after the
/// transaction committed and before the client gets its answer, the worst moment for idempotency.
fn fault_point_after_commit() {
    if cfg!(debug_assertions) && std::env::var("GJJ_FAULT").is_ok_and(|v| v == "exit-after-commit") {
        tracing::warn!("GJJ_FAULT=exit-after-commit: exiting before the response");
        std::process::exit(75);
    }
}
