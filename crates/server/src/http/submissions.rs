//! A unit's submissions and their status.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use gjj_domain::api::{SignedReceipt, SubmissionView};

use super::{AppState, Caller, HttpError};

/// `GET /api/v1/submissions`: the caller's submissions, newest first (at most 500).
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<SubmissionView>>, HttpError> {
    Ok(Json(state.db.submissions(&caller.unit.facts.account, 500).await?))
}

/// `GET /api/v1/submissions/{serial}`: one of the caller's submissions. Another unit's serial is "not found":
/// its existence is not revealed.
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(serial): Path<String>,
) -> Result<Json<SubmissionView>, HttpError> {
    view(&state, &caller, &serial).await.map(Json)
}

async fn view(state: &AppState, caller: &Caller, serial: &str) -> Result<SubmissionView, HttpError> {
    state
        .db
        .submission_view(&caller.unit.facts.account, serial)
        .await?
        .ok_or_else(|| {
            HttpError::new(
                StatusCode::NOT_FOUND,
                "SUBMISSION_NOT_FOUND",
                format!("本单位没有业务流水号为 {serial} 的业务。请核对流水号。"),
            )
        })
}

fn seal_error(e: impl std::fmt::Display) -> HttpError {
    tracing::error!(error = %e, "receipt seal failed");
    HttpError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "RECEIPT_SEAL_UNAVAILABLE",
        "中心暂时无法为回执加盖电子签章，请稍后再试；业务本身已受理，不受影响。",
    )
}

/// The seal and the canonical receipt (the exact bytes sealed).
async fn sealed(
    state: &AppState,
    caller: &Caller,
    serial: &str,
) -> Result<
    (
        std::sync::Arc<crate::receipts::ReceiptSeal>,
        SubmissionView,
        Vec<u8>,
    ),
    HttpError,
> {
    let seal = state.receipts.clone().ok_or_else(|| {
        HttpError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "RECEIPT_SEAL_UNAVAILABLE",
            "中心未配置回执签章证书，暂不能出具签章回执；业务本身已受理。请联系中心。",
        )
    })?;
    let view = view(state, caller, serial).await?;
    let canonical = serde_json::to_vec(&view.receipt).map_err(seal_error)?;
    Ok((seal, view, canonical))
}

/// `GET /api/v1/submissions/{serial}/receipt`: the receipt with the centre's CMS seal.
pub async fn receipt(
    State(state): State<AppState>,
    caller: Caller,
    Path(serial): Path<String>,
) -> Result<Json<SignedReceipt>, HttpError> {
    let (seal, _, canonical) = sealed(&state, &caller, &serial).await?;
    let signature = seal.sign(&canonical).map_err(seal_error)?;
    Ok(Json(SignedReceipt {
        receipt_json: String::from_utf8_lossy(&canonical).into_owned(),
        signature: base64::engine::general_purpose::STANDARD.encode(signature),
    }))
}

/// `GET /api/v1/submissions/{serial}/receipt.pdf`: the PDF receipt, signed by the centre as a PDF signature.
pub async fn receipt_pdf(
    State(state): State<AppState>,
    caller: Caller,
    Path(serial): Path<String>,
) -> Result<Response, HttpError> {
    let (seal, view, canonical) = sealed(&state, &caller, &serial).await?;
    let accepted_at = time::OffsetDateTime::parse(
        &view.receipt.received_at,
        &time::format_description::well_known::Rfc3339,
    )
    .map(|t| {
        let t = t.to_offset(state.offset);
        format!(
            "{}-{:02}-{:02} {:02}:{:02}:{:02}（UTC{:+}）",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            state.offset.whole_hours()
        )
    })
    .unwrap_or_else(|_| view.receipt.received_at.clone());
    let uscc = caller.unit.facts.uscc.clone();
    // Font subsetting and signing take a few milliseconds of CPU: off the async workers.
    let pdf = tokio::task::spawn_blocking(move || seal.pdf(&view.receipt, &uscc, &canonical, &accepted_at))
        .await
        .map_err(seal_error)?
        .map_err(seal_error)?
        .ok_or_else(|| {
            HttpError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "RECEIPT_FONT_MISSING",
                "中心服务器缺少中文字体，暂不能生成 PDF 回执（签章的 JSON 回执可用）。请联系中心安装 fonts-noto-cjk 或在 [receipt] 中配置 font。",
            )
        })?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"receipt-{}.pdf\"",
                    serial
                        .chars()
                        .filter(char::is_ascii_alphanumeric)
                        .collect::<String>()
                ),
            ),
        ],
        pdf,
    )
        .into_response())
}
