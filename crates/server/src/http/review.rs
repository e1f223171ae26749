//! The centre's review: staff list what waits, take it into review, approve (which applies the change to the
//! centre's data in the same transaction) or return it with a reason. A unit may withdraw what nobody has
//! started reviewing.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use gjj_domain::api::{ReturnReason, ReviewItem, Role, SubmissionStatus, SubmissionView};
use gjj_domain::business::Business;
use sqlx::{Any, Row, Transaction};
use time::format_description::well_known::Rfc3339;

use super::{
    base_adjustment, contributor_registration, rate_adjustment, seal, unit_change, unseal, AppState, Caller,
    HttpError,
};
use super::{building, contributor_change, project, remittance, supplementary};

fn now(state: &AppState) -> String {
    state
        .now()
        .to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// `GET /api/v1/review/pending`: every submission waiting for the centre, oldest first.
pub async fn pending(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ReviewItem>>, HttpError> {
    caller.require(Role::Staff)?;
    let rows = sqlx::query(
        "SELECT serial, unit_account FROM submissions WHERE status IN ($1, $2) ORDER BY created_at, serial LIMIT 1000",
    )
    .bind(SubmissionStatus::Accepted.code())
    .bind(SubmissionStatus::Reviewing.code())
    .fetch_all(state.db.pool())
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let serial: String = row.try_get("serial")?;
        let unit: String = row.try_get("unit_account")?;
        if let Some(view) = state.db.submission_view(&unit, &serial).await? {
            let label = Business::parse(&view.receipt.business)
                .map(Business::label)
                .unwrap_or("未知业务");
            items.push(ReviewItem {
                business_label: label.to_owned(),
                submission: view,
            });
        }
    }
    Ok(Json(items))
}

/// Moves a submission from one of `from` to `to`; returns (business, unit) or an error naming the status.
async fn transition(
    tx: &mut Transaction<'static, Any>,
    state: &AppState,
    serial: &str,
    unit: Option<&str>,
    from: &[SubmissionStatus],
    to: SubmissionStatus,
    reason: Option<&str>,
) -> Result<(Business, String), HttpError> {
    // The owner unit's lock first, as every submission takes it: the transaction writes from its first
    // statement (on SQLite a deferred read-then-write transaction fails at once with "database is locked"
    // when another writer commits in between), and two moves of one business — a withdraw racing an approval
    // on another gateway instance — run one after the other, the second seeing the first's status.
    sqlx::query(
        "UPDATE units SET lock_version = lock_version + 1 \
         WHERE account = (SELECT unit_account FROM submissions WHERE serial = $1)",
    )
    .bind(serial)
    .execute(&mut **tx)
    .await?;
    let current = sqlx::query("SELECT business, unit_account, status FROM submissions WHERE serial = $1")
        .bind(serial)
        .fetch_optional(&mut **tx)
        .await?;
    let not_found = || {
        HttpError::new(
            StatusCode::NOT_FOUND,
            "SUBMISSION_NOT_FOUND",
            format!("没有业务流水号为 {serial} 的业务。请核对流水号。"),
        )
    };
    let Some(row) = current else {
        return Err(not_found());
    };
    let owner: String = row.try_get("unit_account")?;
    if unit.is_some_and(|u| u != owner) {
        return Err(not_found());
    }
    let status_code: String = row.try_get("status")?;
    let status = SubmissionStatus::parse(&status_code).unwrap_or(SubmissionStatus::Done);
    if !from.contains(&status) {
        return Err(HttpError::new(
            StatusCode::CONFLICT,
            "STATUS_CONFLICT",
            format!(
                "业务 {serial} 当前状态为“{}”，不能{}。请刷新后查看最新状态。",
                status.label(),
                action_label(to)
            ),
        ));
    }
    let business_code: String = row.try_get("business")?;
    let business =
        Business::parse(&business_code).ok_or_else(|| HttpError::from(sqlx::Error::RowNotFound))?;
    let moved = sqlx::query("UPDATE submissions SET status = $1, return_reason = $2, updated_at = $3 WHERE serial = $4 AND status = $5")
        .bind(to.code())
        .bind(reason)
        .bind(now(state))
        .bind(serial)
        .bind(status.code())
        .execute(&mut **tx)
        .await?;
    if moved.rows_affected() != 1 {
        return Err(HttpError::new(
            StatusCode::CONFLICT,
            "STATUS_CONFLICT",
            format!(
                "业务 {serial} 的状态刚刚被另一操作改变，不能{}。请刷新后查看最新状态。",
                action_label(to)
            ),
        ));
    }
    Ok((business, owner))
}

fn action_label(to: SubmissionStatus) -> &'static str {
    match to {
        SubmissionStatus::Reviewing => "开始审核",
        SubmissionStatus::Done => "审核通过",
        SubmissionStatus::Returned => "退回",
        SubmissionStatus::Withdrawn => "撤回",
        SubmissionStatus::Accepted => "受理",
    }
}

async fn view(state: &AppState, unit: &str, serial: &str) -> Result<Json<SubmissionView>, HttpError> {
    state
        .db
        .submission_view(unit, serial)
        .await?
        .map(Json)
        .ok_or_else(|| HttpError::from(sqlx::Error::RowNotFound))
}

/// `POST /api/v1/review/{serial}/start`: 已受理 → 审核中.
pub async fn start(
    State(state): State<AppState>,
    caller: Caller,
    Path(serial): Path<String>,
) -> Result<Json<SubmissionView>, HttpError> {
    caller.require(Role::Staff)?;
    let mut tx = state.db.pool().begin().await?;
    let (_, unit) = transition(
        &mut tx,
        &state,
        &serial,
        None,
        &[SubmissionStatus::Accepted],
        SubmissionStatus::Reviewing,
        None,
    )
    .await?;
    tx.commit().await?;
    view(&state, &unit, &serial).await
}

/// `POST /api/v1/review/{serial}/approve`: → 已办结, and the change is applied to the centre's data in the same
/// transaction (all or nothing).
pub async fn approve(
    State(state): State<AppState>,
    caller: Caller,
    Path(serial): Path<String>,
) -> Result<Json<SubmissionView>, HttpError> {
    caller.require(Role::Staff)?;
    let mut tx = state.db.pool().begin().await?;
    let from = [SubmissionStatus::Accepted, SubmissionStatus::Reviewing];
    let (business, unit) = transition(
        &mut tx,
        &state,
        &serial,
        None,
        &from,
        SubmissionStatus::Done,
        None,
    )
    .await?;
    sqlx::query("UPDATE units SET lock_version = lock_version + 1 WHERE account = $1")
        .bind(&unit)
        .execute(&mut *tx)
        .await?;
    match business {
        Business::BaseAdjustment => base_adjustment::apply(&mut tx, &serial).await?,
        Business::ContributorRegistration => {
            contributor_registration::apply(&mut tx, &state, &serial, &unit).await?
        }
        Business::UnitChange => unit_change::apply(&mut tx, &serial, &unit).await?,
        Business::ContributorChange => contributor_change::apply(&mut tx, &serial, &unit).await?,
        Business::RateAdjustment => rate_adjustment::apply(&mut tx, &state, &serial, &unit).await?,
        Business::Seal => seal::apply(&mut tx, &serial).await?,
        Business::Unseal => unseal::apply(&mut tx, &state, &serial).await?,
        Business::Remittance => remittance::apply(&mut tx, &serial, &unit).await?,
        Business::Supplementary => supplementary::apply(&mut tx, &state, &serial).await?,
        Business::Project => project::apply(&mut tx, &serial).await?,
        Business::Building => building::apply(&mut tx, &state, &serial, &unit).await?,
        Business::ProjectMaterial => super::project_material::apply(&mut tx, &serial).await?,
        // Every business now applies on approval: the match is exhaustive, so a new business cannot be
        // approved before its `apply` exists.
        Business::LoanApplication => super::loan_application::apply(&mut tx, &serial).await?,
    }
    tx.commit().await?;
    tracing::info!(%serial, business = business.code(), %unit, "approved and applied");
    view(&state, &unit, &serial).await
}

/// `POST /api/v1/review/{serial}/return` with `{"reason": "…"}`: → 已退回, the reason shown to the unit.
pub async fn return_(
    State(state): State<AppState>,
    caller: Caller,
    Path(serial): Path<String>,
    body: Result<Json<ReturnReason>, JsonRejection>,
) -> Result<Json<SubmissionView>, HttpError> {
    caller.require(Role::Staff)?;
    // Axum's own rejection is plain text; every answer of this API is an ApiError.
    let reason = body.map(|Json(b)| b.reason).unwrap_or_default();
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(HttpError::new(
            StatusCode::BAD_REQUEST,
            "RETURN_REASON_REQUIRED",
            "退回必须写明原因（1–500 字），告诉单位需要改什么。",
        ));
    }
    let mut tx = state.db.pool().begin().await?;
    let from = [SubmissionStatus::Accepted, SubmissionStatus::Reviewing];
    let (_, unit) = transition(
        &mut tx,
        &state,
        &serial,
        None,
        &from,
        SubmissionStatus::Returned,
        Some(reason),
    )
    .await?;
    tx.commit().await?;
    view(&state, &unit, &serial).await
}

/// `POST /api/v1/submissions/{serial}/withdraw`: the unit takes back a submission nobody has started reviewing.
pub async fn withdraw(
    State(state): State<AppState>,
    caller: Caller,
    Path(serial): Path<String>,
) -> Result<Json<SubmissionView>, HttpError> {
    let unit = caller.unit.facts.account.clone();
    let mut tx = state.db.pool().begin().await?;
    transition(
        &mut tx,
        &state,
        &serial,
        Some(&unit),
        &[SubmissionStatus::Accepted],
        SubmissionStatus::Withdrawn,
        None,
    )
    .await?;
    tx.commit().await?;
    view(&state, &unit, &serial).await
}
