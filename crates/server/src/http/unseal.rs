//! `POST /api/v1/unseal`: 个人启封, re-checked with the centre's own data and stored whole or not at all.
//!
//! Open batches: at most one open 启封 batch per unit, as for 封存 (see [`super::seal`]).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use gjj_domain::api::Role;
use gjj_domain::base_adjustment;
use gjj_domain::code_table::{PERSON_NORMAL, PERSON_SEALED};
use gjj_domain::issue::Code;
use gjj_domain::money::Fen;
use gjj_domain::unseal::{self, Unseal};
use sqlx::{Any, Row, Transaction};

use super::seal::{apply_conflict, person_facts, row_cap, Transition};
use super::{intake, me, AppState, Caller, HttpError};

/// The business name in every layer.
pub const BUSINESS: &str = "unseal";

/// 启封: only from 封存.
const UNSEAL: Transition = Transition {
    from: PERSON_SEALED,
    to: PERSON_NORMAL,
    code: Code::UnsealRequiresSealed,
    verb: "启封",
    advice: "正常缴存的职工无需启封，调整基数请办理缴存基数调整",
};

/// Accepts a signed 个人启封 batch.
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
    let mut payload: Unseal = intake::payload(&signed)?;
    let rows = row_cap(&state, payload.rows.len())?;
    for row in &mut payload.rows {
        row.normalize();
    }
    let today = state.today();
    let policy = me::current_policy(&state).await?;
    let unit = &caller.unit.facts;
    let mut issues = unseal::check(&payload.rows, &policy, unit, today);

    let persons = state.db.persons_of_unit(&unit.account).await?;
    let mut old_bases = Vec::with_capacity(payload.rows.len());
    for row in &payload.rows {
        let person = person_facts(
            &persons,
            row.row,
            &row.account,
            &row.name,
            &row.id_number,
            &UNSEAL,
            &mut issues,
        );
        old_bases.push(person.map_or(Fen::ZERO, |p| p.base));
    }
    if let Some(serial) = state.db.open_submission(&unit.account, BUSINESS).await? {
        return Err(intake::open_business(&serial));
    }
    if !issues.is_empty() {
        issues.sort_by_key(|i| i.row);
        return Err(HttpError::rules(issues));
    }

    let mut pending = match intake::begin(&state, &caller, &signed, BUSINESS, rows, true).await? {
        intake::Begun::New(p) => p,
        intake::Begun::Replayed(resp) => return Ok(resp),
    };
    // The amounts as at acceptance (what the unit was shown); approval recomputes them with the rates then.
    const COLUMNS: usize = 10;
    for (chunk, olds) in payload
        .rows
        .chunks(crate::db::rows_per_insert(COLUMNS))
        .zip(old_bases.chunks(crate::db::rows_per_insert(COLUMNS)))
    {
        let sql = format!(
            "INSERT INTO unseal_rows (serial, row_no, person_account, effective_month, old_base_fen, new_base_fen, \
             unit_amount_fen, person_amount_fen, reason_code, note) VALUES {}",
            crate::db::values_placeholders(chunk.len(), COLUMNS)
        );
        let mut q = sqlx::query(&sql);
        for (row, old) in chunk.iter().zip(olds) {
            let amounts = base_adjustment::amounts(row.new_base, unit, &policy);
            q = q
                .bind(pending.serial.clone())
                .bind(i64::from(row.row))
                .bind(row.account.clone())
                .bind(row.effective_month.to_string())
                .bind(old.0)
                .bind(row.new_base.0)
                .bind(amounts.unit.0)
                .bind(amounts.person.0)
                .bind(row.reason.clone())
                .bind(row.note.clone());
        }
        q.execute(&mut *pending.tx).await?;
    }
    intake::commit(pending).await
}

/// Applies an approved 个人启封: every person of the batch becomes 正常 (01) with the new base, and the monthly
/// amounts recomputed at the unit's rates and the policy's rounding as they are now (a 缴存比例调整 approved
/// since acceptance must not leave stale amounts). All in the approving transaction.
pub async fn apply(
    tx: &mut Transaction<'static, Any>,
    state: &AppState,
    serial: &str,
) -> Result<(), HttpError> {
    let policy = me::current_policy(state).await?;
    let unit_row = sqlx::query(
        "SELECT u.account, u.uscc, u.name, u.role, u.status, u.unit_rate_bp, u.person_rate_bp, u.first_month, \
         u.paid_through FROM units u JOIN submissions s ON s.unit_account = u.account WHERE s.serial = $1",
    )
    .bind(serial)
    .fetch_one(&mut **tx)
    .await?;
    let unit = crate::db::unit_from_row(&unit_row)?.facts;
    let rows =
        sqlx::query("SELECT person_account, new_base_fen FROM unseal_rows WHERE serial = $1 ORDER BY row_no")
            .bind(serial)
            .fetch_all(&mut **tx)
            .await?;
    for row in rows {
        let account: String = row.try_get("person_account")?;
        let base = Fen(row.try_get("new_base_fen")?);
        let amounts = base_adjustment::amounts(base, &unit, &policy);
        let done = sqlx::query(
            "UPDATE persons SET status = $1, base_fen = $2, unit_amount_fen = $3, person_amount_fen = $4 \
             WHERE account = $5 AND status = $6",
        )
        .bind(UNSEAL.to)
        .bind(base.0)
        .bind(amounts.unit.0)
        .bind(amounts.person.0)
        .bind(&account)
        .bind(UNSEAL.from)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if done != 1 {
            return Err(apply_conflict(serial, &UNSEAL));
        }
    }
    Ok(())
}
