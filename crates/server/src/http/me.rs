//! Who am I, which policy applies, and who works here.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use gjj_domain::api::{Employee, Me};
use gjj_domain::policy::Policy;

use super::{AppState, Caller, HttpError};

/// `GET /api/v1/me`.
pub async fn me(State(state): State<AppState>, caller: Caller) -> Json<Me> {
    Json(Me {
        unit: caller.unit.facts.clone(),
        role: caller.unit.role,
        certificate_serial: caller.peer.identity.serial.clone(),
        certificate_not_after: caller.peer.identity.not_after,
        server_time: state.now().unix_timestamp(),
        today: state.today(),
    })
}

/// `GET /api/v1/policy`: the policy year in force this month.
pub async fn policy(State(state): State<AppState>, _caller: Caller) -> Result<Json<Policy>, HttpError> {
    current_policy(&state).await.map(Json)
}

pub(super) async fn current_policy(state: &AppState) -> Result<Policy, HttpError> {
    let today = state.today();
    state.db.policy_for(today).await?.ok_or_else(|| {
        HttpError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "POLICY_MISSING",
            format!("中心尚未发布 {today} 所在年度的缴存政策，暂不能办理。请稍后再试或联系中心。"),
        )
    })
}

/// `GET /api/v1/employees`: the caller unit's contributors.
pub async fn employees(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<Employee>>, HttpError> {
    let persons = state.db.persons_of_unit(&caller.unit.facts.account).await?;
    let mut list: Vec<Employee> = persons
        .into_values()
        .map(|p| Employee {
            account: p.account,
            name: p.name,
            id_number: p.id_number,
            status: p.status,
            base: p.base,
        })
        .collect();
    list.sort_by(|a, b| a.account.cmp(&b.account));
    Ok(Json(list))
}
