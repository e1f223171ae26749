//! 汇缴: `GET /api/v1/remittance/list` (the centre's current 清册 for the unit's 应汇缴年月, with the amounts
//! computed by the domain's one formula) and `POST /api/v1/remittance` (the confirmed 清册, re-checked with the
//! centre's own data and stored whole or not at all). Approval moves the unit's and the persons' 缴至年月 to the
//! month, in the approving transaction.
//!
//! One open 汇缴 per unit: the month must be the 应汇缴年月, which only moves when a 汇缴 is approved, so a second
//! open one could only be for the same month — it is refused with BUSINESS_OPEN (checked again under the unit
//! lock in the storing transaction).

use std::collections::{HashMap, HashSet};

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use gjj_domain::api::Role;
use gjj_domain::code_table::{person_status_label, PERSON_NORMAL, PERSON_SEALED};
use gjj_domain::issue::{Code, Issue};
use gjj_domain::month::Month;
use gjj_domain::policy::Policy;
use gjj_domain::remittance::{self, col, ListEntry, Remittance, RemittanceList};
use serde::Deserialize;
use sqlx::{Any, Transaction};

use super::seal::{person_facts, row_cap, Transition};
use super::supplementary::person_months;
use super::{intake, me, AppState, Caller, HttpError};

/// The business name in every layer.
pub const BUSINESS: &str = "remittance";

/// Only 正常 contributors are remitted for (a 封存 one is not in the 清册). `to` is unused: 汇缴 changes no status.
const REMIT: Transition = Transition {
    from: PERSON_NORMAL,
    to: PERSON_NORMAL,
    code: Code::PersonNotActive,
    verb: "汇缴",
    advice: "封存的职工不在汇缴清册中，请删除该行；需要继续为其缴存请先办理个人启封",
};

/// `?month=YYYYMM` of the list.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// 清册年月; the unit's 应汇缴年月 when absent.
    month: Option<String>,
}

/// `GET /api/v1/remittance/list[?month=YYYYMM]`: the unit's 正常 contributors with their current bases and the
/// monthly amounts, for the 应汇缴年月 (a month that is not due is refused with the domain's message).
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<RemittanceList>, HttpError> {
    caller.require(Role::Employer)?;
    let unit = &caller.unit.facts;
    let today = state.today();
    let month = match query.ok().and_then(|Query(q)| q.month) {
        None => unit.due_month(),
        Some(text) => Month::parse(&text).map_err(|e| {
            HttpError::new(
                StatusCode::BAD_REQUEST,
                Code::MonthInvalid.as_str(),
                format!("清册年月：{e}"),
            )
        })?,
    };
    if let Some(issue) = remittance::check_month(unit, month, today) {
        return Err(refusal(issue));
    }
    if !unit.status.allows_deposit_business() {
        return Err(HttpError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            Code::UnitStatusNotAllowed.as_str(),
            format!(
                "单位账户状态为“{}”（{}），只有正常、开户、缓缴状态的单位可以办理汇缴；请先办理单位启封等相应业务，或联系公积金中心",
                unit.status.label(),
                unit.status.code()
            ),
        ));
    }
    let policy = policy_of(&state, month).await?;
    let persons = state.db.persons_of_unit(&unit.account).await?;
    let months = person_months(&state, &unit.account).await?;
    let mut entries: Vec<ListEntry> = persons
        .into_values()
        .filter(|p| p.status == PERSON_NORMAL && contributes_in(&months, &p.account, month))
        .map(|p| ListEntry::new(p.account, p.name, p.id_number, p.base, unit, &policy))
        .collect();
    entries.sort_by(|a, b| a.account.cmp(&b.account));
    Ok(Json(RemittanceList::new(unit.clone(), month, policy, entries)))
}

/// Whether a person contributes in `month`: their 首次汇缴年月 is not after it. A contributor registered with a
/// later 首次汇缴年月 (缴存人登记 allows up to next month) joins the 清册 from that month.
fn contributes_in(months: &HashMap<String, (Month, Option<Month>)>, account: &str, month: Month) -> bool {
    months.get(account).is_none_or(|(first, _)| *first <= month)
}

/// A sheet-level rule issue as the answer of a GET: its code and message, no rows.
fn refusal(issue: Issue) -> HttpError {
    HttpError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        issue.code.as_str(),
        issue.message,
    )
}

/// The policy year covering `month`: its limits and rounding apply to that month's 清册.
async fn policy_of(state: &AppState, month: Month) -> Result<Policy, HttpError> {
    state.db.policy_for(month).await?.ok_or_else(|| {
        HttpError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "POLICY_MISSING",
            format!("中心没有 {month} 所在年度的缴存政策，暂不能办理该月汇缴。请联系中心。"),
        )
    })
}

/// Accepts a signed 汇缴 (the confirmed 清册).
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
    let mut payload: Remittance = intake::payload(&signed)?;
    let rows = row_cap(&state, payload.rows.len())?;
    for row in &mut payload.rows {
        row.normalize();
    }
    let today = state.today();
    let unit = &caller.unit.facts;
    // The year of the month remitted decides its limits; a month the centre has no policy for is not due
    // either, and the domain says so with the current year's figures.
    let policy = match state.db.policy_for(payload.month).await? {
        Some(p) => p,
        None => me::current_policy(&state).await?,
    };
    let mut issues = payload.check(&policy, unit, today);

    // Database facts. Each row: the person belongs to this unit (unknown and another unit's accounts get the same
    // answer), is who the row says, is 正常, and the base is the centre's current one.
    let persons = state.db.persons_of_unit(&unit.account).await?;
    let months = person_months(&state, &unit.account).await?;
    let mut listed: HashSet<&str> = HashSet::with_capacity(payload.rows.len());
    for row in &payload.rows {
        let Some(person) = person_facts(
            &persons,
            row.row,
            &row.account,
            &row.name,
            &row.id_number,
            &REMIT,
            &mut issues,
        ) else {
            continue;
        };
        listed.insert(person.account.as_str());
        if !contributes_in(&months, &person.account, payload.month) {
            let first = months
                .get(&person.account)
                .map(|m| m.0.to_string())
                .unwrap_or_default();
            issues.push(Issue::new(
                row.row,
                col::ACCOUNT,
                Code::RemittanceBeforeFirstMonth,
                format!(
                    "个人账号 {} 的首次汇缴年月为 {first}，晚于汇缴年月 {}，该月还不需要为其汇缴；请删除该行，从 {first} 起再列入清册",
                    row.account, payload.month
                ),
            ));
            continue;
        }
        if person.base != row.base && person.status == PERSON_NORMAL {
            issues.push(Issue::new(
                row.row,
                col::BASE,
                Code::RemittanceBaseNotCurrent,
                format!(
                    "个人缴存基数 {} 元与中心记录的当前基数 {} 元不一致。汇缴按中心记录的基数缴存，不能在清册中改基数；请先办理缴存基数调整，审核通过后重新下载清册再汇缴",
                    row.base, person.base
                ),
            ));
        }
    }
    // Every 正常 contributor is remitted for: leaving one out is how 漏缴 happens. They are this unit's own people,
    // so naming them is fine.
    let mut missing: Vec<_> = persons
        .values()
        .filter(|p| {
            p.status == PERSON_NORMAL
                && !listed.contains(p.account.as_str())
                && contributes_in(&months, &p.account, payload.month)
        })
        .collect();
    missing.sort_by(|a, b| a.account.cmp(&b.account));
    for p in missing {
        issues.push(Issue::new(
            0,
            col::ACCOUNT,
            Code::RemittancePersonMissing,
            format!(
                "本单位正常缴存职工 {}（个人账号 {}）不在清册中。正常缴存的职工每月都须汇缴：请把该职工加回清册；如已离职，请先办理个人封存（状态为“{}”后不再列入清册），再重新下载清册",
                p.name, p.account, person_status_label(PERSON_SEALED)
            ),
        ));
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
    sqlx::query(
        "INSERT INTO remittance_batches (serial, unit_account, month, method, person_count, total_fen) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(pending.serial.clone())
    .bind(unit.account.clone())
    .bind(payload.month.to_string())
    .bind(payload.method.code())
    .bind(i64::from(payload.person_count))
    .bind(payload.total.0)
    .execute(&mut *pending.tx)
    .await?;
    // About 256 parameters per statement: see `db::rows_per_insert` for why not more.
    const COLUMNS: usize = 6;
    for chunk in payload.rows.chunks(crate::db::rows_per_insert(COLUMNS)) {
        let sql = format!(
            "INSERT INTO remittance_rows (serial, row_no, person_account, base_fen, unit_amount_fen, person_amount_fen) \
             VALUES {}",
            crate::db::values_placeholders(chunk.len(), COLUMNS)
        );
        let mut q = sqlx::query(&sql);
        for row in chunk {
            q = q
                .bind(pending.serial.clone())
                .bind(i64::from(row.row))
                .bind(row.account.clone())
                .bind(row.base.0)
                .bind(row.unit_amount.0)
                .bind(row.person_amount.0);
        }
        q.execute(&mut *pending.tx).await?;
    }
    intake::commit(pending).await
}

/// Applies an approved 汇缴: the unit's 缴至年月 and that of every person in the 清册 become the month. The unit's
/// may only move forward by exactly this month; anything else means the centre's data changed since the 清册
/// was accepted, and the approval is refused (its transaction rolls back).
pub async fn apply(tx: &mut Transaction<'static, Any>, serial: &str, unit: &str) -> Result<(), HttpError> {
    let month: String = sqlx::query_scalar("SELECT month FROM remittance_batches WHERE serial = $1")
        .bind(serial)
        .fetch_one(&mut **tx)
        .await?;
    let month = Month::parse(&month).map_err(|_| HttpError::from(sqlx::Error::RowNotFound))?;
    let (first, paid): (String, Option<String>) =
        sqlx::query_as("SELECT first_month, paid_through FROM units WHERE account = $1")
            .bind(unit)
            .fetch_one(&mut **tx)
            .await?;
    let due = match paid.as_deref().map(Month::parse) {
        Some(Ok(p)) => p.next(),
        Some(Err(_)) => return Err(HttpError::from(sqlx::Error::RowNotFound)),
        None => Month::parse(&first).map_err(|_| HttpError::from(sqlx::Error::RowNotFound))?,
    };
    if due != month {
        return Err(HttpError::new(
            StatusCode::CONFLICT,
            "APPLY_CONFLICT",
            format!(
                "业务 {serial} 是 {month} 的汇缴，但单位当前的应汇缴年月已是 {due}，本次审核未生效。请退回该业务，由单位重新下载清册后提交。"
            ),
        ));
    }
    let m = month.to_string();
    sqlx::query("UPDATE units SET paid_through = $1 WHERE account = $2")
        .bind(&m)
        .bind(unit)
        .execute(&mut **tx)
        .await?;
    // Only forward: a person already paid further (never in practice) keeps their month.
    sqlx::query(
        "UPDATE persons SET paid_through = $1 WHERE (paid_through IS NULL OR paid_through < $1) \
         AND account IN (SELECT person_account FROM remittance_rows WHERE serial = $2)",
    )
    .bind(&m)
    .bind(serial)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
