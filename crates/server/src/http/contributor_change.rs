//! `GET /api/v1/employees/{account}` (one contributor's record: what a 缴存人信息变更 form starts from) and
//! `POST /api/v1/contributor_change` (缴存人信息变更, form or batch): re-checked against the centre's own records,
//! stored whole or not at all; approval writes the new values in the review transaction.
//!
//! Database facts: the person belongs to the unit (an unknown account and another unit's get the same answer) and
//! is who the row says; the account is open (not 销户: 附A.6 03/04/05 — a 封存 account may still correct its data,
//! as at a real counter); a stated old value still stands; a new 证件号码 or 手机 is not held by another open
//! account, a registration under review or another change under review anywhere in the centre (the message never
//! says where). Like 单位信息变更, a unit has one open 缴存人信息变更 at a time: two pending changes of the same
//! person would otherwise race at approval.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use gjj_domain::api::{Role, SubmissionStatus};
use gjj_domain::contributor_change::{
    col, Checker, ContributorChange, PersonDetails, PersonField, ValidChange,
};
use gjj_domain::ids::normalize_name;
use gjj_domain::issue::{Code, Issue};
use sqlx::{Any, AnyConnection, Row, Transaction};

use super::{intake, me, AppState, Caller, HttpError};

/// The business name in every layer.
pub const BUSINESS: &str = "contributor_change";
/// 个人账户状态 that are closed (附A.6: 03 合并销户, 04 外部转出销户, 05 提取销户); every other status is open.
const CLOSED: [&str; 3] = ["03", "04", "05"];

const PERSON_COLUMNS: &str =
    "account, status, name, id_type, id_number, sex, birth_month, mobile, landline, bank_account, bank_name";

fn details(r: &sqlx::any::AnyRow) -> Result<PersonDetails, sqlx::Error> {
    Ok(PersonDetails {
        account: r.try_get("account")?,
        status: r.try_get("status")?,
        name: r.try_get("name")?,
        id_type: r.try_get("id_type")?,
        id_number: r.try_get("id_number")?,
        sex: r.try_get("sex")?,
        birth_month: r.try_get("birth_month")?,
        mobile: r.try_get("mobile")?,
        landline: r.try_get("landline")?,
        bank_account: r.try_get("bank_account")?,
        bank_name: r.try_get("bank_name")?,
    })
}

/// The unit's persons with every changeable field, by 个人账号.
async fn persons<'c, E>(exec: E, unit: &str) -> Result<HashMap<String, PersonDetails>, sqlx::Error>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    let rows = sqlx::query(&format!(
        "SELECT {PERSON_COLUMNS} FROM persons WHERE unit_account = $1"
    ))
    .bind(unit)
    .fetch_all(exec)
    .await?;
    rows.iter()
        .map(|r| details(r).map(|p| (p.account.clone(), p)))
        .collect()
}

fn not_in_unit(account: &str) -> String {
    // The same words as every per-person business: nothing tells an unknown account from another unit's.
    format!("个人账号 {account} 不是本单位的缴存职工。请核对个人账号；新职工请先办理缴存人登记。")
}

/// `GET /api/v1/employees/{account}`: one contributor of the caller's unit, every field a change can touch.
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(account): Path<String>,
) -> Result<Json<PersonDetails>, HttpError> {
    let row = sqlx::query(&format!(
        "SELECT {PERSON_COLUMNS} FROM persons WHERE unit_account = $1 AND account = $2"
    ))
    .bind(&caller.unit.facts.account)
    .bind(&account)
    .fetch_optional(state.db.pool())
    .await?;
    match row {
        Some(r) => Ok(Json(details(&r)?)),
        None => Err(HttpError::new(
            StatusCode::NOT_FOUND,
            "PERSON_NOT_IN_UNIT",
            not_in_unit(&account),
        )),
    }
}

/// Accepts a signed 缴存人信息变更.
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
    let mut payload: ContributorChange = intake::payload(&signed)?;
    let rows = super::seal::row_cap(&state, payload.rows.len())?;
    for row in &mut payload.rows {
        row.normalize();
    }
    let today = state.today();
    let policy = me::current_policy(&state).await?;
    let unit = &caller.unit.facts;
    let records = persons(state.db.pool(), &unit.account).await?;
    let (valid, mut issues) = judge(&payload, &records, &policy, unit, today);
    if let Some(serial) = state.db.open_submission(&unit.account, BUSINESS).await? {
        return Err(intake::open_business(&serial));
    }
    {
        let mut conn = state.db.pool().acquire().await?;
        in_use(&mut conn, &valid, &mut issues).await?;
    }
    if !issues.is_empty() {
        issues.sort_by_key(|i| i.row);
        return Err(HttpError::rules(issues));
    }
    let items: usize = valid.iter().map(|(_, _, v)| v.len()).sum();
    let mut pending = match intake::begin(&state, &caller, &signed, BUSINESS, rows, true).await? {
        intake::Begun::New(p) => p,
        intake::Begun::Replayed(resp) => return Ok(resp),
    };
    // Under the unit lock: an approval committed since our read would make an old value stale, and another unit's
    // registration or change may have taken a number meanwhile.
    let locked = persons(&mut *pending.tx, &unit.account).await?;
    for (r, account, changes) in &valid {
        let Some(now) = locked.get(account) else {
            return Err(HttpError::rules(vec![Issue::new(
                *r,
                col::ACCOUNT,
                Code::PersonNotInUnit,
                not_in_unit(account),
            )]));
        };
        if let Some(c) = changes.iter().find(|c| now.get(c.field) != c.old.as_deref()) {
            return Err(stale(c.field));
        }
    }
    in_use(&mut pending.tx, &valid, &mut issues).await?;
    if !issues.is_empty() {
        return Err(HttpError::rules(issues));
    }
    let flat: Vec<(u32, &str, &ValidChange)> = valid
        .iter()
        .flat_map(|(r, a, cs)| cs.iter().map(move |c| (*r, a.as_str(), c)))
        .collect();
    debug_assert_eq!(flat.len(), items);
    const COLUMNS: usize = 7;
    let mut item = 0i64;
    for chunk in flat.chunks(crate::db::rows_per_insert(COLUMNS)) {
        let sql = format!(
            "INSERT INTO contributor_change_rows (serial, item_no, row_no, person_account, field, old_value, new_value) \
             VALUES {}",
            crate::db::values_placeholders(chunk.len(), COLUMNS)
        );
        let mut q = sqlx::query(&sql);
        for (r, account, c) in chunk {
            item += 1;
            q = q
                .bind(pending.serial.clone())
                .bind(item)
                .bind(i64::from(*r))
                .bind((*account).to_owned())
                .bind(c.field.key())
                .bind(c.old.clone())
                .bind(c.new.clone());
        }
        q.execute(&mut *pending.tx).await?;
    }
    intake::commit(pending).await
}

/// The domain rules with each person's record, plus the person facts. Returns the normalised changes per row
/// (row number, 个人账号, changes) and every issue.
#[allow(clippy::type_complexity)]
fn judge(
    payload: &ContributorChange,
    records: &HashMap<String, PersonDetails>,
    policy: &gjj_domain::policy::Policy,
    unit: &gjj_domain::unit::UnitFacts,
    today: gjj_domain::month::Month,
) -> (Vec<(u32, String, Vec<ValidChange>)>, Vec<Issue>) {
    let mut checker = Checker::new(policy, unit, today);
    let mut issues = Vec::new();
    let mut valid = Vec::new();
    for row in &payload.rows {
        let r = row.row;
        let record = records.get(&row.account);
        match record {
            None => issues.push(Issue::new(
                r,
                col::ACCOUNT,
                Code::PersonNotInUnit,
                not_in_unit(&row.account),
            )),
            Some(p) => {
                if p.name != normalize_name(&row.name) || !p.id_number.eq_ignore_ascii_case(&row.id_number) {
                    issues.push(Issue::new(
                        r,
                        col::NAME,
                        Code::PersonMismatch,
                        format!(
                            "个人账号 {} 的姓名或证件号码与中心登记的不一致。请按中心当前登记的姓名和证件号码填写（要变更的新值填在“新…”列）。",
                            row.account
                        ),
                    ));
                }
                if CLOSED.contains(&p.status.as_str()) {
                    issues.push(Issue::new(
                        r,
                        col::ACCOUNT,
                        Code::PersonNotActive,
                        format!(
                            "个人账号 {} 已销户，不能变更个人信息。请核对个人账号；如需更正销户账户的信息请联系公积金中心。",
                            row.account
                        ),
                    ));
                }
            }
        }
        // Without a record only the record-free rules run (the row is refused anyway).
        if let Some(changes) = checker.push(row, record, &mut issues) {
            if record.is_some() {
                valid.push((r, row.account.clone(), changes));
            }
        }
    }
    checker.finish(&mut issues);
    (valid, issues)
}

fn stale(field: PersonField) -> HttpError {
    HttpError::new(
        StatusCode::CONFLICT,
        "CONTRIBUTOR_CHANGE_STALE",
        format!(
            "职工的{}在中心已被变更，与本次变更的原值不一致。请重新获取该职工的信息（gjj employee show 个人账号）后再提交。",
            field.label()
        ),
    )
}

/// Adds an issue for every new 证件号码 / 手机号码 already held by another open account, a registration under
/// review or another change under review, anywhere in the centre. The messages name no unit and no account.
async fn in_use(
    conn: &mut AnyConnection,
    valid: &[(u32, String, Vec<ValidChange>)],
    issues: &mut Vec<Issue>,
) -> Result<(), HttpError> {
    for (r, account, changes) in valid {
        for c in changes {
            let (column, code, message) = match c.field {
                PersonField::IdNumber => (
                    "id_number",
                    Code::IdNumberInUse,
                    "新证件号码在中心已有未销户的个人账户（或在一笔尚未办结的业务中），同一证件只能有一个个人账户。请核对证件号码，有疑问请联系公积金中心。",
                ),
                PersonField::Mobile => (
                    "mobile",
                    Code::MobileInUse,
                    "新手机号码已登记在中心一个未销户的个人账户（或一笔尚未办结的业务）中，每名职工须登记本人的手机号码。请核对；如号码确为本人使用，请联系公积金中心处理。",
                ),
                _ => continue,
            };
            let Some(value) = &c.new else { continue };
            if taken(conn, column, value, account, true).await? {
                issues.push(Issue::new(*r, c.field.column(), code, message));
            }
        }
    }
    Ok(())
}

/// Whether `value` of `column` ("id_number" / "mobile") is held by an open person other than `account`, or (with
/// `pending`) by a registration or another person's change under review.
async fn taken(
    conn: &mut AnyConnection,
    column: &str,
    value: &str,
    account: &str,
    pending: bool,
) -> Result<bool, HttpError> {
    let mut sql = format!(
        "SELECT 1 AS hit FROM persons p WHERE p.{column} = $1 AND p.account <> $2 AND p.status NOT IN ($3, $4, $5)"
    );
    if pending {
        sql.push_str(&format!(
            " UNION ALL SELECT 1 AS hit FROM contributor_registration_rows r JOIN submissions s ON s.serial = r.serial \
             WHERE r.{column} = $1 AND s.status IN ($6, $7) \
             UNION ALL SELECT 1 AS hit FROM contributor_change_rows c JOIN submissions s ON s.serial = c.serial \
             WHERE c.field = $8 AND c.new_value = $1 AND c.person_account <> $2 AND s.status IN ($6, $7)"
        ));
    }
    let mut q = sqlx::query(&sql)
        .bind(value)
        .bind(account)
        .bind(CLOSED[0])
        .bind(CLOSED[1])
        .bind(CLOSED[2]);
    if pending {
        q = q
            .bind(SubmissionStatus::Accepted.code())
            .bind(SubmissionStatus::Reviewing.code())
            .bind(column);
    }
    Ok(q.fetch_optional(&mut *conn).await?.is_some())
}

/// Applies an approved 缴存人信息变更: each stored change is written to `persons` after checking that the field
/// still holds the value it replaces and that a new 证件号码/手机 has not gone to another open account meanwhile;
/// otherwise the whole approval is refused (409) and rolls back — staff should return the submission.
pub async fn apply(tx: &mut Transaction<'static, Any>, serial: &str, unit: &str) -> Result<(), HttpError> {
    let rows = sqlx::query(
        "SELECT person_account, field, old_value, new_value FROM contributor_change_rows \
         WHERE serial = $1 ORDER BY item_no",
    )
    .bind(serial)
    .fetch_all(&mut **tx)
    .await?;
    let current = persons(&mut **tx, unit).await?;
    let mut writes: Vec<(String, PersonField, Option<String>)> = Vec::with_capacity(rows.len());
    for row in &rows {
        let account: String = row.try_get("person_account")?;
        let key: String = row.try_get("field")?;
        let field = PersonField::lookup(&key).ok_or_else(|| HttpError::from(sqlx::Error::RowNotFound))?;
        let old: Option<String> = row.try_get("old_value")?;
        let new: Option<String> = row.try_get("new_value")?;
        let now = current.get(&account);
        if now.is_none_or(|p| p.get(field) != old.as_deref() || CLOSED.contains(&p.status.as_str())) {
            let mut e = stale(field);
            e.body.message = format!(
                "业务 {serial} 中有职工的{}在受理后已被变更（或账户已不可变更），不能办结。请退回本业务，请单位重新获取职工信息后再提交。",
                field.label()
            );
            return Err(e);
        }
        if let (Some(value), PersonField::IdNumber | PersonField::Mobile) = (&new, field) {
            let conn: &mut AnyConnection = tx;
            if taken(conn, field.key(), value, &account, false).await? {
                let code = if field == PersonField::IdNumber {
                    "ID_NUMBER_IN_USE"
                } else {
                    "MOBILE_IN_USE"
                };
                return Err(HttpError::new(
                    StatusCode::CONFLICT,
                    code,
                    format!(
                        "业务 {serial} 中有职工的新{}在受理后已被其他未销户的个人账户使用，不能办结。请退回本业务，请单位核对后重新提交。",
                        field.label()
                    ),
                ));
            }
        }
        writes.push((account, field, new));
    }
    for (account, field, new) in writes {
        // The column name is a constant of ours (PersonField::key), never input.
        sqlx::query(&format!(
            "UPDATE persons SET {} = $1 WHERE account = $2 AND unit_account = $3",
            field.key()
        ))
        .bind(new)
        .bind(account)
        .bind(unit)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
