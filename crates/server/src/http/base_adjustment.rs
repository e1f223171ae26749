//! `POST /api/v1/base_adjustment`: 缴存基数调整, re-checked with the centre's own data and stored whole or not at all.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use gjj_domain::api::Role;
use gjj_domain::base_adjustment::{self, col, BaseAdjustment};
use gjj_domain::business::Business;
use gjj_domain::ids::normalize_name;
use gjj_domain::issue::{Code, Issue};

use super::{intake, me, AppState, Caller, HttpError};

/// The business name in every layer.
pub const BUSINESS: &str = "base_adjustment";
/// 个人账户状态 正常 (JGJ/T 320 附A.6).
const PERSON_ACTIVE: &str = "01";

/// Accepts a signed 基数调整 batch.
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
    let payload: BaseAdjustment = intake::payload(&signed)?;
    let rows = u32::try_from(payload.rows.len()).unwrap_or(u32::MAX);
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
    let today = state.today();
    let policy = me::current_policy(&state).await?;
    let unit = &caller.unit.facts;
    let mut issues = base_adjustment::check(&payload.rows, &policy, unit, today);

    // Database facts: each person belongs to this unit, is who the row says, and is contributing.
    // The same message whether an account is unknown or belongs to another unit: nothing about other units leaks.
    let persons = state.db.persons_of_unit(&unit.account).await?;
    let mut current = Vec::with_capacity(payload.rows.len());
    for row in &payload.rows {
        let Some(person) = persons.get(row.account.trim()) else {
            issues.push(Issue::new(
                row.row,
                col::ACCOUNT,
                Code::PersonNotInUnit,
                format!(
                    "个人账号 {} 不是本单位的缴存职工。请核对个人账号；新职工请先办理缴存人登记。",
                    row.account
                ),
            ));
            continue;
        };
        if person.name != normalize_name(&row.name)
            || !person.id_number.eq_ignore_ascii_case(row.id_number.trim())
        {
            issues.push(Issue::new(
                row.row,
                col::NAME,
                Code::PersonMismatch,
                format!("个人账号 {} 的姓名或证件号码与中心登记的不一致。请核对；信息有变请先办理缴存人信息变更。", row.account),
            ));
        }
        if person.status != PERSON_ACTIVE {
            issues.push(Issue::new(
                row.row,
                col::ACCOUNT,
                Code::PersonNotActive,
                format!(
                    "个人账号 {} 当前不是“正常”缴存状态，不能调整基数。封存职工请先办理启封。",
                    row.account
                ),
            ));
        }
        if let Some(old) = row.old_base.filter(|old| *old != person.base) {
            issues.push(Issue::new(
                row.row,
                col::OLD_BASE,
                Code::OldBaseMismatch,
                format!(
                    "调整前基数 {old} 元与中心记录的 {} 元不一致。请下载最新的职工名单重新填写。",
                    person.base
                ),
            ));
        }
        current.push(person.base);
    }
    if let Some(serial) = state.db.open_submission(&unit.account, BUSINESS).await? {
        return Err(intake::open_business(&serial));
    }
    // The rows store amounts at the unit's current rates: a pending rate change would make them stale.
    if let Some(serial) = state
        .db
        .open_submission(&unit.account, Business::RateAdjustment.code())
        .await?
    {
        return Err(HttpError::new(
            StatusCode::CONFLICT,
            "RATE_ADJUSTMENT_OPEN",
            format!("本单位有尚未办结的缴存比例调整（业务流水号 {serial}），月缴存额将按新比例计算。请等比例调整办结后再提交基数调整。"),
        ));
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
    const COLUMNS: usize = 8;
    for (chunk, olds) in payload
        .rows
        .chunks(crate::db::rows_per_insert(COLUMNS))
        .zip(current.chunks(crate::db::rows_per_insert(COLUMNS)))
    {
        let sql = format!(
            "INSERT INTO base_adjustment_rows (serial, row_no, person_account, old_base_fen, new_base_fen, \
             unit_amount_fen, person_amount_fen, effective_month) VALUES {}",
            crate::db::values_placeholders(chunk.len(), COLUMNS)
        );
        let mut q = sqlx::query(&sql);
        for (row, old) in chunk.iter().zip(olds) {
            let amounts = base_adjustment::amounts(row.new_base, unit, &policy);
            q = q
                .bind(pending.serial.clone())
                .bind(i64::from(row.row))
                .bind(row.account.trim().to_owned())
                .bind(old.0)
                .bind(row.new_base.0)
                .bind(amounts.unit.0)
                .bind(amounts.person.0)
                .bind(row.effective_month.to_string());
        }
        q.execute(&mut *pending.tx).await?;
    }
    intake::commit(pending).await
}

/// Applies an approved 基数调整: each person's base and monthly amounts become the submitted ones.
pub async fn apply(tx: &mut sqlx::Transaction<'static, sqlx::Any>, serial: &str) -> Result<(), HttpError> {
    // Correlated subqueries: portable UPDATE … FROM for SQLite and PostgreSQL alike.
    sqlx::query(
        "UPDATE persons SET \
           base_fen = (SELECT r.new_base_fen FROM base_adjustment_rows r WHERE r.serial = $1 AND r.person_account = persons.account), \
           unit_amount_fen = (SELECT r.unit_amount_fen FROM base_adjustment_rows r WHERE r.serial = $1 AND r.person_account = persons.account), \
           person_amount_fen = (SELECT r.person_amount_fen FROM base_adjustment_rows r WHERE r.serial = $1 AND r.person_account = persons.account) \
         WHERE account IN (SELECT person_account FROM base_adjustment_rows WHERE serial = $1)",
    )
    .bind(serial)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
