//! One error type for every handler: a status, a stable code, a Chinese message, and optional row issues.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use gjj_domain::api::ApiError;
use gjj_domain::issue::Issue;

/// An error response.
#[derive(Debug)]
pub struct HttpError {
    /// HTTP status.
    pub status: StatusCode,
    /// Body.
    pub body: ApiError,
}

impl HttpError {
    /// An error with a code and a message.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> HttpError {
        HttpError {
            status,
            body: ApiError {
                code: code.to_owned(),
                message: message.into(),
                issues: Vec::new(),
            },
        }
    }

    /// Rule violations: nothing was stored.
    pub fn rules(issues: Vec<Issue>) -> HttpError {
        let n = issues.len();
        let mut e = HttpError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "RULES_VIOLATED",
            format!("提交内容有 {n} 处不符合规定，中心未受理任何一行。请按问题清单修改后重新提交。"),
        );
        e.body.issues = issues;
        e
    }
}

/// Whether the database refused a write for want of space: SQLite's SQLITE_FULL (13), PostgreSQL's disk_full
/// (53100). The transaction was rolled back, so nothing of the business is stored.
fn storage_full(e: &sqlx::Error) -> bool {
    let full = |code: &str| matches!(code, "13" | "53100");
    match e {
        sqlx::Error::Database(d) => d.code().is_some_and(|c| full(&c)),
        sqlx::Error::Io(io) => io.raw_os_error() == Some(28), // ENOSPC
        _ => false,
    }
}

impl From<sqlx::Error> for HttpError {
    fn from(e: sqlx::Error) -> Self {
        if storage_full(&e) {
            tracing::error!(error = %e, "database storage full: writes refused until space is freed");
            metrics::counter!("gjj_storage_full_total").increment(1);
            return HttpError::new(
                StatusCode::INSUFFICIENT_STORAGE,
                "CENTRE_STORAGE_FULL",
                "中心存储空间已满，本次提交没有被受理，也没有保存任何内容。请稍后重新提交（不会重复受理）；中心 IT 已收到告警。",
            );
        }
        // The detail is for the log, never for the client.
        tracing::error!(error = %e, "database error");
        HttpError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            "中心系统暂时无法处理，请稍后重试；如持续出现请联系中心。",
        )
    }
}

/// The stable code and message of an error response, for the metrics and the audit log (crate::http's
/// `observe`).
#[derive(Clone, Debug)]
pub struct ErrorCode {
    /// The code.
    pub code: String,
    /// The message.
    pub message: String,
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let code = ErrorCode {
            code: self.body.code.clone(),
            message: self.body.message.clone(),
        };
        let mut resp = (self.status, Json(self.body)).into_response();
        resp.extensions_mut().insert(code);
        resp
    }
}
