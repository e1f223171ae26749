//! `POST /api/v1/seal`: 个人封存, re-checked with the centre's own data and stored whole or not at all; and what
//! 个人封存 and 个人启封 share on the gateway: the person facts and the row cap.
//!
//! Open batches: like 基数调整, a unit has at most one open (已受理/审核中) 封存 batch — a second one is refused
//! with BUSINESS_OPEN until the first is reviewed or withdrawn. A real centre's counter works this way (one
//! 封存清册 at a time per unit), and it keeps a person out of two open 封存 at once without a per-person lock.
//! 封存 and 启封 do not block each other: the status rule already does (a person with an open 封存 is still 正常,
//! so a 启封 of them is refused; one with an open 启封 is still 封存, so a 封存 of them is refused).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use gjj_domain::api::Role;
use gjj_domain::code_table::{person_status_label, PERSON_NORMAL, PERSON_SEALED};
use gjj_domain::ids::normalize_name;
use gjj_domain::issue::{Code, Issue};
use gjj_domain::seal::{self, col, Seal};
use sqlx::{Any, Transaction};

use super::{intake, me, AppState, Caller, HttpError};
use crate::db::PersonRecord;

/// The business name in every layer.
pub const BUSINESS: &str = "seal";

/// The status change a business makes, and how a person in another status is refused.
pub(super) struct Transition {
    /// The only 个人账户状态 the business applies to.
    pub from: &'static str,
    /// The status after approval.
    pub to: &'static str,
    /// The issue code for a person in another status.
    pub code: Code,
    /// "封存" / "启封", for messages.
    pub verb: &'static str,
    /// What to do instead, for messages.
    pub advice: &'static str,
}

/// 封存: only from 正常.
const SEAL: Transition = Transition {
    from: PERSON_NORMAL,
    to: PERSON_SEALED,
    code: Code::SealRequiresNormal,
    verb: "封存",
    advice: "已封存的职工无需再封存；其他状态请联系公积金中心",
};

/// Refuses more rows than the centre accepts in one batch.
pub(super) fn row_cap(state: &AppState, len: usize) -> Result<u32, HttpError> {
    let rows = u32::try_from(len).unwrap_or(u32::MAX);
    if rows > state.limits.max_rows {
        return Err(HttpError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "TOO_MANY_ROWS",
            format!(
                "一次最多提交 {} 行，本次 {rows} 行。请拆分成多个文件分别提交。",
                state.limits.max_rows
            ),
        ));
    }
    Ok(rows)
}

/// The database facts of one row: the person belongs to this unit (an unknown account and another unit's get
/// the same answer, so nothing about other units leaks), is who the row says, and is in `t.from` status.
/// Returns the person when they belong to the unit.
pub(super) fn person_facts<'p>(
    persons: &'p HashMap<String, PersonRecord>,
    row: u32,
    account: &str,
    name: &str,
    id_number: &str,
    t: &Transition,
    issues: &mut Vec<Issue>,
) -> Option<&'p PersonRecord> {
    let Some(person) = persons.get(account) else {
        issues.push(Issue::new(
            row,
            col::ACCOUNT,
            Code::PersonNotInUnit,
            format!("个人账号 {account} 不是本单位的缴存职工。请核对个人账号；新职工请先办理缴存人登记。"),
        ));
        return None;
    };
    if person.name != normalize_name(name) || !person.id_number.eq_ignore_ascii_case(id_number) {
        issues.push(Issue::new(
            row,
            col::NAME,
            Code::PersonMismatch,
            format!("个人账号 {account} 的姓名或证件号码与中心登记的不一致。请核对；信息有变请先办理缴存人信息变更。"),
        ));
    }
    if person.status != t.from {
        issues.push(Issue::new(
            row,
            col::ACCOUNT,
            t.code,
            format!(
                "个人账号 {account} 当前为“{}”状态（{}），只有“{}”状态的职工可以{}。请核对个人账号；{}。",
                person_status_label(&person.status),
                person.status,
                person_status_label(t.from),
                t.verb,
                t.advice
            ),
        ));
    }
    Some(person)
}

/// Sets `t.to` on every person of an approved batch that is still in `t.from`; the approval fails (and its
/// transaction rolls back) when any of them has left `t.from` since the batch was accepted.
async fn transition_persons(
    tx: &mut Transaction<'static, Any>,
    serial: &str,
    rows_table: &str,
    t: &Transition,
) -> Result<(), HttpError> {
    let expected: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {rows_table} WHERE serial = $1"))
        .bind(serial)
        .fetch_one(&mut **tx)
        .await?;
    let done = sqlx::query(&format!(
        "UPDATE persons SET status = $1 WHERE status = $2 \
         AND account IN (SELECT person_account FROM {rows_table} WHERE serial = $3)"
    ))
    .bind(t.to)
    .bind(t.from)
    .bind(serial)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if i64::try_from(done).unwrap_or(i64::MAX) != expected {
        return Err(apply_conflict(serial, t));
    }
    Ok(())
}

/// Some person of the batch is no longer in the status the batch was accepted for.
pub(super) fn apply_conflict(serial: &str, t: &Transition) -> HttpError {
    HttpError::new(
        StatusCode::CONFLICT,
        "APPLY_CONFLICT",
        format!(
            "业务 {serial} 中有职工的个人账户状态在受理后已不是“{}”，不能{}，本次审核未生效。请退回该业务，由单位核对后重新提交。",
            person_status_label(t.from),
            t.verb
        ),
    )
}

/// Accepts a signed 个人封存 batch.
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
    let mut payload: Seal = intake::payload(&signed)?;
    let rows = row_cap(&state, payload.rows.len())?;
    // The stored rows carry the normalised values (reason as its code), whatever the client sent.
    for row in &mut payload.rows {
        row.normalize();
    }
    let today = state.today();
    let policy = me::current_policy(&state).await?;
    let unit = &caller.unit.facts;
    let mut issues = seal::check(&payload.rows, &policy, unit, today);

    let persons = state.db.persons_of_unit(&unit.account).await?;
    for row in &payload.rows {
        person_facts(
            &persons,
            row.row,
            &row.account,
            &row.name,
            &row.id_number,
            &SEAL,
            &mut issues,
        );
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
    // About 256 parameters per statement: see `db::rows_per_insert` for why not more.
    const COLUMNS: usize = 6;
    for chunk in payload.rows.chunks(crate::db::rows_per_insert(COLUMNS)) {
        let sql = format!(
            "INSERT INTO seal_rows (serial, row_no, person_account, effective_month, reason_code, note) VALUES {}",
            crate::db::values_placeholders(chunk.len(), COLUMNS)
        );
        let mut q = sqlx::query(&sql);
        for row in chunk {
            q = q
                .bind(pending.serial.clone())
                .bind(i64::from(row.row))
                .bind(row.account.clone())
                .bind(row.effective_month.to_string())
                .bind(row.reason.clone())
                .bind(row.note.clone());
        }
        q.execute(&mut *pending.tx).await?;
    }
    intake::commit(pending).await
}

/// Applies an approved 个人封存: every person of the batch becomes 封存 (02).
pub async fn apply(tx: &mut Transaction<'static, Any>, serial: &str) -> Result<(), HttpError> {
    transition_persons(tx, serial, "seal_rows", &SEAL).await
}
