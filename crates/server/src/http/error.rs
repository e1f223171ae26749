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

impl From<sqlx::Error> for HttpError {
    fn from(e: sqlx::Error) -> Self {
        // The detail is for the log, never for the client.
        tracing::error!(error = %e, "database error");
        HttpError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            "中心系统暂时无法处理，请稍后重试；如持续出现请联系中心。",
        )
    }
}

/// The stable code of an error response, for the metrics and the audit log (crate::http's `observe`).
#[derive(Clone, Debug)]
pub struct ErrorCode(pub String);

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let code = ErrorCode(self.body.code.clone());
        let mut resp = (self.status, Json(self.body)).into_response();
        resp.extensions_mut().insert(code);
        resp
    }
}
