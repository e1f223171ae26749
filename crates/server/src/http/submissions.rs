//! A unit's submissions and their status.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use gjj_domain::api::SubmissionView;

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
    state
        .db
        .submission_view(&caller.unit.facts.account, &serial)
        .await?
        .map(Json)
        .ok_or_else(|| {
            HttpError::new(
                StatusCode::NOT_FOUND,
                "SUBMISSION_NOT_FOUND",
                format!("本单位没有业务流水号为 {serial} 的业务。请核对流水号。"),
            )
        })
}
