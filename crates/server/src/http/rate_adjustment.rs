//! `POST /api/v1/rate_adjustment`: 缴存比例调整, re-checked with the centre's own data (policy year, the unit's
//! facts, the bases of its 正常 contributors) and stored whole or not at all. Approval changes the unit's rates and
//! recomputes every 正常 person's monthly amounts in the review transaction.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use gjj_domain::api::{Role, SubmissionStatus};
use gjj_domain::money::Fen;
use gjj_domain::month::Month;
use gjj_domain::rate::Rate;
use gjj_domain::rate_adjustment::{self, RateAdjustment};
use gjj_domain::rounding;
use sqlx::{Any, Row, Transaction};

use super::{intake, me, AppState, Caller, HttpError};

/// The business name in every layer.
pub const BUSINESS: &str = "rate_adjustment";
/// 个人账户状态 正常 (JGJ/T 320 附A.6).
const PERSON_ACTIVE: &str = "01";
/// The business whose stored amounts a rate change would make stale (see [`base_adjustment_open`]).
const BASE_ADJUSTMENT: &str = "base_adjustment";

/// An open 缴存基数调整 blocks a rate change: its rows carry monthly amounts computed at the current rates, which
/// its approval writes as they are. Approving it first and recomputing with the new rates afterwards is the only
/// order that leaves every amount right, so the rate change waits (at submission and again at approval) [I].
fn base_adjustment_open(serial: &str) -> HttpError {
    HttpError::new(
        StatusCode::CONFLICT,
        "BUSINESS_OPEN",
        format!(
            "本单位有缴存基数调整尚未办结（业务流水号 {serial}），调整比例会使其中的月缴存额失效。请等该业务办结或撤回后再办理缴存比例调整。"
        ),
    )
}

/// Accepts a signed 缴存比例调整.
pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, HttpError> {
    caller.require(Role::Employer)?;
    let signed = intake::verify(&caller, &headers, intake::body(&state, body)?)?;
    if let Some(replayed) = intake::replay(&state, &caller, &signed).await? {
        return Ok(replayed);
    }
    let payload: RateAdjustment = intake::payload(&signed)?;
    let today = state.today();
    let policy = me::current_policy(&state).await?;
    let unit = &caller.unit.facts;
    // The bases are the centre's, never the client's: every 正常 contributor of the unit.
    let bases: Vec<Fen> = state
        .db
        .persons_of_unit(&unit.account)
        .await?
        .into_values()
        .filter(|p| p.status == PERSON_ACTIVE)
        .map(|p| p.base)
        .collect();
    let issues = rate_adjustment::check(&payload, &policy, unit, today, &bases);
    if let Some(serial) = state.db.open_submission(&unit.account, BUSINESS).await? {
        return Err(intake::open_business(&serial));
    }
    if let Some(serial) = state.db.open_submission(&unit.account, BASE_ADJUSTMENT).await? {
        return Err(base_adjustment_open(&serial));
    }
    if !issues.is_empty() {
        return Err(HttpError::rules(issues));
    }
    let mut pending = match intake::begin(&state, &caller, &signed, BUSINESS, 1, true).await? {
        intake::Begun::New(p) => p,
        intake::Begun::Replayed(resp) => return Ok(resp),
    };
    sqlx::query(
        "INSERT INTO rate_adjustments (serial, old_unit_rate_bp, old_person_rate_bp, new_unit_rate_bp, \
         new_person_rate_bp, effective_month, active_persons) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(pending.serial.clone())
    .bind(i64::from(unit.unit_rate.0))
    .bind(i64::from(unit.person_rate.0))
    .bind(i64::from(payload.unit_rate.0))
    .bind(i64::from(payload.person_rate.0))
    .bind(payload.effective_month.to_string())
    .bind(i64::try_from(bases.len()).unwrap_or(i64::MAX))
    .execute(&mut *pending.tx)
    .await?;
    intake::commit(pending).await
}

fn rate(row: &sqlx::any::AnyRow, column: &str) -> Result<Rate, HttpError> {
    let bp: i64 = row.try_get(column)?;
    u32::try_from(bp)
        .map(Rate)
        .map_err(|_| HttpError::from(sqlx::Error::RowNotFound))
}

/// Applies an approved 缴存比例调整 inside the review transaction: the unit's rates become the new ones and every
/// 正常 person's 单位/个人月缴存额 is recomputed from their current base with the policy's rounding (封存 persons
/// keep theirs until 启封 sets a base). The 月缴存额 rule is re-run first on the bases as they are now — they may
/// have changed since acceptance — and a violation refuses the approval (staff then return it).
pub async fn apply(
    tx: &mut Transaction<'static, Any>,
    state: &AppState,
    serial: &str,
    account: &str,
) -> Result<(), HttpError> {
    let row = sqlx::query(
        "SELECT new_unit_rate_bp, new_person_rate_bp, effective_month FROM rate_adjustments WHERE serial = $1",
    )
    .bind(serial)
    .fetch_one(&mut **tx)
    .await?;
    let month: String = row.try_get("effective_month")?;
    let payload = RateAdjustment {
        unit_rate: rate(&row, "new_unit_rate_bp")?,
        person_rate: rate(&row, "new_person_rate_bp")?,
        effective_month: Month::parse(&month).map_err(|_| HttpError::from(sqlx::Error::RowNotFound))?,
    };
    let open: Option<String> = sqlx::query_scalar(
        "SELECT serial FROM submissions WHERE unit_account = $1 AND business = $2 AND status IN ($3, $4)",
    )
    .bind(account)
    .bind(BASE_ADJUSTMENT)
    .bind(SubmissionStatus::Accepted.code())
    .bind(SubmissionStatus::Reviewing.code())
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(open) = open {
        let mut e = base_adjustment_open(&open);
        e.body.message = format!(
            "本单位有缴存基数调整尚未办结（业务流水号 {open}）。请先审核该业务，再办结本缴存比例调整（按新比例重算月缴存额）。"
        );
        return Err(e);
    }
    // The policy year of the 生效年月: its limits and rounding govern the amounts from that month on.
    let policy = match state.db.policy_for(payload.effective_month).await? {
        Some(p) => p,
        None => me::current_policy(state).await?,
    };
    let persons =
        sqlx::query("SELECT account, base_fen FROM persons WHERE unit_account = $1 AND status = $2")
            .bind(account)
            .bind(PERSON_ACTIVE)
            .fetch_all(&mut **tx)
            .await?;
    let mut people = Vec::with_capacity(persons.len());
    for p in &persons {
        people.push((p.try_get::<String, _>("account")?, Fen(p.try_get("base_fen")?)));
    }
    let bases: Vec<Fen> = people.iter().map(|(_, b)| *b).collect();
    if let Some(issue) = rate_adjustment::amounts_issue(&payload, &policy, &bases) {
        return Err(HttpError::rules(vec![issue]));
    }
    sqlx::query("UPDATE units SET unit_rate_bp = $1, person_rate_bp = $2 WHERE account = $3")
        .bind(i64::from(payload.unit_rate.0))
        .bind(i64::from(payload.person_rate.0))
        .bind(account)
        .execute(&mut **tx)
        .await?;
    for (person, base) in &people {
        let unit_amount = rounding::amount(*base, payload.unit_rate, policy.round_to);
        let person_amount = rounding::amount(*base, payload.person_rate, policy.round_to);
        sqlx::query("UPDATE persons SET unit_amount_fen = $1, person_amount_fen = $2 WHERE account = $3")
            .bind(unit_amount.0)
            .bind(person_amount.0)
            .bind(person)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
