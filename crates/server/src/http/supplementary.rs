//! `POST /api/v1/supplementary`: 补缴, re-checked with the centre's own data and stored whole or not at all.
//!
//! Besides the rows, every person-month a 补缴 covers is stored in `supplementary_months`. A month is taken while
//! its submission is open (已受理/审核中) or done (已办结); a returned or withdrawn one frees it. Several 补缴 of a
//! unit may be open at once (different reasons, different people) — what may not happen is one person-month
//! twice, which is checked against the stored months, again under the unit lock in the storing transaction (so
//! two concurrent submissions cannot both take a month). Approval marks the months paid.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use gjj_domain::api::{Role, SubmissionStatus};
use gjj_domain::code_table::{PERSON_NORMAL, PERSON_SEALED};
use gjj_domain::issue::{Code, Issue};
use gjj_domain::month::Month;
use gjj_domain::policy::Policy;
use gjj_domain::supplementary::{self, col, Supplementary, SupplementaryRow};
use sqlx::{Any, AnyConnection, Row, Transaction};
use time::format_description::well_known::Rfc3339;

use super::seal::{person_facts, row_cap, Transition};
use super::{intake, me, AppState, Caller, HttpError};

/// The business name in every layer.
pub const BUSINESS: &str = "supplementary";

/// 补缴 pays months already past, so a person sealed since may still be paid for; a closed or frozen account may
/// not [I]. Two "transitions" (no status changes) so the shared person check accepts either status.
const FOR_NORMAL: Transition = Transition {
    from: PERSON_NORMAL,
    to: PERSON_NORMAL,
    code: Code::PersonNotActive,
    verb: "补缴",
    advice: "补缴只适用于正常或封存状态的账户；已销户、冻结的账户请联系公积金中心",
};
const FOR_SEALED: Transition = Transition {
    from: PERSON_SEALED,
    ..FOR_NORMAL
};

/// Accepts a signed 补缴 batch.
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
    let mut payload: Supplementary = intake::payload(&signed)?;
    let rows = row_cap(&state, payload.rows.len())?;
    // The stored rows carry the normalised values (reason as its code), whatever the client sent.
    for row in &mut payload.rows {
        row.normalize();
    }
    let today = state.today();
    let policy = me::current_policy(&state).await?;
    let earlier = policies(&state).await?;
    let unit = &caller.unit.facts;
    let mut issues = payload.check(&policy, &earlier, unit, today);

    // Database facts: the person belongs to this unit (unknown and another unit's accounts get the same answer),
    // is who the row says, is 正常 or 封存, and the months lie within their own 首次汇缴年月 … 缴至年月.
    let persons = state.db.persons_of_unit(&unit.account).await?;
    let months = person_months(&state, &unit.account).await?;
    for row in &payload.rows {
        let t = match persons.get(&row.account) {
            Some(p) if p.status == PERSON_SEALED => &FOR_SEALED,
            _ => &FOR_NORMAL,
        };
        let Some(person) = person_facts(
            &persons,
            row.row,
            &row.account,
            &row.name,
            &row.id_number,
            t,
            &mut issues,
        ) else {
            continue;
        };
        if let Some((first, paid)) = months.get(&person.account) {
            supplementary::check_person_months(row, *first, *paid, &mut issues);
        }
    }
    // No month paid twice: against the centre's open and completed 补缴.
    let mut conn = state.db.pool().acquire().await?;
    already_taken(&mut conn, &unit.account, &payload.rows, &mut issues).await?;
    drop(conn);
    if !issues.is_empty() {
        issues.sort_by_key(|i| i.row);
        return Err(HttpError::rules(issues));
    }

    let mut pending = match intake::begin(&state, &caller, &signed, BUSINESS, rows, false).await? {
        intake::Begun::New(p) => p,
        intake::Begun::Replayed(resp) => return Ok(resp),
    };
    // Again under the unit lock: a concurrent 补缴 of this unit may have taken a month since.
    already_taken(&mut pending.tx, &unit.account, &payload.rows, &mut issues).await?;
    if !issues.is_empty() {
        // Dropping the transaction rolls back the submission record too.
        drop(pending);
        return Err(HttpError::rules(issues));
    }
    // About 256 parameters per statement: see `db::rows_per_insert` for why not more.
    const COLUMNS: usize = 10;
    for chunk in payload.rows.chunks(crate::db::rows_per_insert(COLUMNS)) {
        let sql = format!(
            "INSERT INTO supplementary_rows (serial, row_no, person_account, start_month, end_month, base_fen, \
             unit_amount_fen, person_amount_fen, reason_code, reason_text) VALUES {}",
            crate::db::values_placeholders(chunk.len(), COLUMNS)
        );
        let mut q = sqlx::query(&sql);
        for row in chunk {
            q = q
                .bind(pending.serial.clone())
                .bind(i64::from(row.row))
                .bind(row.account.clone())
                .bind(row.start.to_string())
                .bind(row.end.to_string())
                .bind(row.base.0)
                .bind(row.unit_amount.0)
                .bind(row.person_amount.0)
                .bind(row.reason.clone())
                .bind(row.reason_text.clone());
        }
        q.execute(&mut *pending.tx).await?;
    }
    let person_months: Vec<(&str, Month)> = payload
        .rows
        .iter()
        .flat_map(|r| r.months().map(move |m| (r.account.as_str(), m)))
        .collect();
    for chunk in person_months.chunks(crate::db::rows_per_insert(3)) {
        let sql = format!(
            "INSERT INTO supplementary_months (person_account, month, serial) VALUES {}",
            crate::db::values_placeholders(chunk.len(), 3)
        );
        let mut q = sqlx::query(&sql);
        for (account, month) in chunk {
            q = q
                .bind((*account).to_owned())
                .bind(month.to_string())
                .bind(pending.serial.clone());
        }
        q.execute(&mut *pending.tx).await?;
    }
    intake::commit(pending).await
}

/// Every policy year on record: a 补缴 range is judged by the limits of each year it touches.
async fn policies(state: &AppState) -> Result<Vec<Policy>, HttpError> {
    let starts: Vec<String> = sqlx::query_scalar("SELECT starts FROM policies ORDER BY year")
        .fetch_all(state.db.pool())
        .await?;
    let mut out = Vec::with_capacity(starts.len());
    for s in starts {
        let Ok(month) = Month::parse(&s) else { continue };
        if let Some(p) = state.db.policy_for(month).await? {
            out.push(p);
        }
    }
    Ok(out)
}

/// 首次汇缴年月 and 缴至年月 of every person of the unit, by 个人账号 (also used by 汇缴).
pub(super) async fn person_months(
    state: &AppState,
    unit: &str,
) -> Result<HashMap<String, (Month, Option<Month>)>, HttpError> {
    let rows = sqlx::query("SELECT account, first_month, paid_through FROM persons WHERE unit_account = $1")
        .bind(unit)
        .fetch_all(state.db.pool())
        .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for r in rows {
        let account: String = r.try_get("account")?;
        let first: String = r.try_get("first_month")?;
        let paid: Option<String> = r.try_get("paid_through")?;
        // A stored month that does not parse is the centre's data error: skip the rule rather than guess.
        let Ok(first) = Month::parse(&first) else { continue };
        let paid = paid.as_deref().and_then(|p| Month::parse(p).ok());
        out.insert(account, (first, paid));
    }
    Ok(out)
}

/// One issue per row naming the months an open or completed 补缴 already covers, and which one.
async fn already_taken(
    conn: &mut AnyConnection,
    unit: &str,
    rows: &[SupplementaryRow],
    issues: &mut Vec<Issue>,
) -> Result<(), HttpError> {
    let taken = sqlx::query(
        "SELECT m.person_account, m.month, m.serial FROM supplementary_months m \
         JOIN submissions s ON s.serial = m.serial \
         JOIN persons p ON p.account = m.person_account \
         WHERE p.unit_account = $1 AND s.status IN ($2, $3, $4)",
    )
    .bind(unit)
    .bind(SubmissionStatus::Accepted.code())
    .bind(SubmissionStatus::Reviewing.code())
    .bind(SubmissionStatus::Done.code())
    .fetch_all(&mut *conn)
    .await?;
    if taken.is_empty() {
        return Ok(());
    }
    let mut by_month: HashMap<(String, String), String> = HashMap::with_capacity(taken.len());
    for r in taken {
        by_month.insert(
            (r.try_get("person_account")?, r.try_get("month")?),
            r.try_get("serial")?,
        );
    }
    for row in rows {
        let hits: Vec<(Month, &String)> = row
            .months()
            .filter_map(|m| {
                by_month
                    .get(&(row.account.clone(), m.to_string()))
                    .map(|s| (m, s))
            })
            .collect();
        let Some(&(first, serial)) = hits.first() else {
            continue;
        };
        let last = hits.last().map_or(first, |h| h.0);
        let span = if hits.len() == 1 {
            first.to_string()
        } else {
            format!("{first}–{last} 中的 {} 个月", hits.len())
        };
        issues.push(Issue::new(
            row.row,
            col::START,
            Code::SupplementaryMonthAlreadyPaid,
            format!(
                "个人账号 {} 的 {span} 已在补缴业务 {serial} 中补缴（或正在审核），同一月份只能补缴一次；请从本行去掉这些月份。如那笔补缴有误，请先撤回或等中心退回后再提交",
                row.account
            ),
        ));
    }
    Ok(())
}

/// Applies an approved 补缴: its person-months are paid.
pub async fn apply(
    tx: &mut Transaction<'static, Any>,
    state: &AppState,
    serial: &str,
) -> Result<(), HttpError> {
    let now = state
        .now()
        .to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_default();
    sqlx::query("UPDATE supplementary_months SET paid_at = $1 WHERE serial = $2")
        .bind(now)
        .bind(serial)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
