//! `POST /api/v1/contributor_registration`: 缴存人登记 (a batch, or a single person as a one-row batch), re-checked
//! with the centre's own data, stored whole or not at all, with a new 个人账号 per row on the receipt.
//!
//! Database facts: a 证件号码 or 手机号码 may belong to only one open account in the whole centre (REFERENCE §D6,
//! Bijie's uniqueness among non-closed accounts). "Open" is every 个人账户状态 but the three 销户 states of
//! JGJ/T 320 附A.6 (03 合并销户, 04 外部转出销户, 05 提取销户): 正常, 封存 and 冻结 accounts still count. A
//! registration accepted but not yet reviewed counts too, or two units could both register the same person. The
//! refusal never says where the other account is (which unit, which account): the same message whatever it is.
//!
//! 个人账号 are assigned at acceptance, so the receipt can list them per row: "9900" + a 10-digit centre-wide
//! sequence (counter `person_account`). JGJ/T 320 allows 20 characters (GRZH char(20)). The seeded/legacy
//! accounts are "99" + the unit's index (01, 02, … — never "00") + 8 digits, so no assigned account can equal one
//! of them; the "00" in place of a unit index marks an account opened through the hall [I].

use std::collections::HashSet;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use gjj_domain::api::{Role, RowAccount, SubmissionStatus};
use gjj_domain::base_adjustment::amounts;
use gjj_domain::contributor_registration::{
    col, person_facts, ContributorRegistration, ContributorRegistrationRow,
};
use gjj_domain::issue::{Code, Issue};
use gjj_domain::month::Month;
use gjj_domain::rate::Rate;
use gjj_domain::unit::{UnitFacts, UnitStatus};
use sqlx::{Any, AnyConnection, Row, Transaction};

use super::{intake, me, AppState, Caller, HttpError};

/// The business name in every layer.
pub const BUSINESS: &str = "contributor_registration";
/// 个人账户状态 正常 (JGJ/T 320 附A.6): what an approved registration opens.
const PERSON_ACTIVE: &str = "01";
/// 个人账户状态 that are closed (附A.6: 03 合并销户, 04 外部转出销户, 05 提取销户); every other status is open.
const CLOSED: [&str; 3] = ["03", "04", "05"];
/// The centre-wide sequence of 个人账号 assigned by the hall.
const ACCOUNT_COUNTER: &str = "person_account";
/// Rows per multi-row INSERT of 17 columns: `db::rows_per_insert` explains the ~256-parameter budget.
const INSERT_CHUNK: usize = 16;
const _: () = assert!(
    INSERT_CHUNK * 17 <= 288,
    "keep INSERT_CHUNK near db::rows_per_insert(17)"
);

/// The 个人账号 for the n-th account the hall opens (see the module docs).
pub fn account_number(seq: i64) -> String {
    format!("9900{seq:010}")
}

/// Accepts a signed 缴存人登记.
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
    let mut payload: ContributorRegistration = intake::payload(&signed)?;
    let rows = u32::try_from(payload.rows.len()).unwrap_or(u32::MAX);
    if rows > state.limits.max_rows {
        return Err(HttpError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "TOO_MANY_ROWS",
            format!(
                "一次最多登记 {} 人，本次 {rows} 人。请拆分成多个文件分别提交。",
                state.limits.max_rows
            ),
        ));
    }
    let today = state.today();
    let policy = me::current_policy(&state).await?;
    let unit = &caller.unit.facts;
    let mut issues = payload.check(&policy, unit, today);
    // Stored and looked up in the form the checker read.
    for row in &mut payload.rows {
        row.normalize();
    }

    if !issues.is_empty() {
        // Refused anyway: report the database facts too, so one correction round suffices.
        let mut conn = state.db.pool().acquire().await?;
        in_use(&mut conn, &payload.rows, &mut issues).await?;
        issues.sort_by_key(|i| i.row);
        return Err(HttpError::rules(issues));
    }

    // A unit may have several registrations under review at once (new staff join every week): no open check.
    let mut opening = match intake::open(&state, &caller, &signed, BUSINESS, rows, false).await? {
        intake::Opened::New(o) => o,
        intake::Opened::Replayed(resp) => return Ok(resp),
    };
    // The accounts first: on PostgreSQL the counter row stays locked until this transaction ends, so concurrent
    // registrations of other units wait here and then see each other's rows in the uniqueness check below
    // (SQLite has one writer anyway). A refused submission rolls the counter back with everything else.
    let last: i64 = sqlx::query_scalar(
        "INSERT INTO counters (name, value) VALUES ($1, $2) \
         ON CONFLICT (name) DO UPDATE SET value = counters.value + $2 RETURNING value",
    )
    .bind(ACCOUNT_COUNTER)
    .bind(i64::from(rows))
    .fetch_one(&mut *opening.tx)
    .await?;
    let first_seq = last - i64::from(rows) + 1;
    // Known before the submission row is written, so its receipt is written once (rewriting a row that holds a
    // 13 MB payload cost a tenth of a 50,000-row intake on SQLite).
    let accounts: Vec<RowAccount> = payload
        .rows
        .iter()
        .zip(first_seq..)
        .map(|(row, seq)| RowAccount {
            row: row.row,
            account: account_number(seq),
        })
        .collect();
    let mut pending = opening.store_with_accounts(accounts.clone()).await?;
    in_use(&mut pending.tx, &payload.rows, &mut issues).await?;
    if !issues.is_empty() {
        issues.sort_by_key(|i| i.row);
        return Err(HttpError::rules(issues));
    }

    for (chunk, accounts) in payload
        .rows
        .chunks(INSERT_CHUNK)
        .zip(accounts.chunks(INSERT_CHUNK))
    {
        const COLUMNS: usize = 17;
        let sql = format!(
            "INSERT INTO contributor_registration_rows (serial, row_no, person_account, name, id_type, id_number, \
             sex, birth_month, mobile, landline, base_fen, unit_amount_fen, person_amount_fen, first_month, \
             bank_account, bank_name, note) VALUES {}",
            crate::db::values_placeholders(chunk.len(), COLUMNS)
        );
        let mut q = sqlx::query(&sql);
        // The receipt's account of each row.
        for (row, account) in chunk.iter().zip(accounts) {
            let (sex, birth) = person_facts(row);
            let a = amounts(row.base, unit, &policy);
            q = q
                .bind(pending.serial.clone())
                .bind(i64::from(row.row))
                .bind(account.account.clone())
                .bind(row.name.clone())
                .bind(row.id_type.clone())
                .bind(row.id_number.clone())
                .bind(sex.map(|s| s.code().to_owned()))
                .bind(birth.map(|b| b.to_string()))
                .bind(row.mobile.clone())
                .bind(row.landline.clone())
                .bind(row.base.0)
                .bind(a.unit.0)
                .bind(a.person.0)
                .bind(row.first_month.to_string())
                .bind(row.bank_account.clone())
                .bind(row.bank_name.clone())
                .bind(row.note.clone());
        }
        q.execute(&mut *pending.tx).await?;
    }
    intake::commit(pending).await
}

/// Adds an issue for every row whose 证件号码 or 手机号码 is already taken by an open account or by a
/// registration under review, anywhere in the centre. The messages name no unit and no account.
async fn in_use(
    conn: &mut AnyConnection,
    rows: &[ContributorRegistrationRow],
    issues: &mut Vec<Issue>,
) -> Result<(), HttpError> {
    let ids: Vec<&str> = rows
        .iter()
        .map(|r| r.id_number.as_str())
        .filter(|s| !s.is_empty())
        .collect();
    let mobiles: Vec<&str> = rows
        .iter()
        .map(|r| r.mobile.as_str())
        .filter(|s| !s.is_empty())
        .collect();
    let taken_ids = taken(conn, "id_number", &ids).await?;
    let taken_mobiles = taken(conn, "mobile", &mobiles).await?;
    for row in rows {
        if taken_ids.contains(row.id_number.as_str()) {
            issues.push(Issue::new(
                row.row,
                col::ID_NUMBER,
                Code::IdNumberInUse,
                "该证件号码在中心已有未销户的个人账户（或已在一笔尚未办结的缴存人登记中），同一证件只能有一个个人账户，不能重复开户。\
                 职工从其他单位调入的，请办理个人账户转移；请核对证件号码，有疑问请联系公积金中心。",
            ));
        }
        if taken_mobiles.contains(row.mobile.as_str()) {
            issues.push(Issue::new(
                row.row,
                col::MOBILE,
                Code::MobileInUse,
                "该手机号码已登记在中心一个未销户的个人账户（或一笔尚未办结的缴存人登记）中，每名职工须登记本人的手机号码。\
                 请核对；如号码确为本人使用，请联系公积金中心处理。",
            ));
        }
    }
    Ok(())
}

/// Which of `values` (of `column`: "id_number" or "mobile") an open person or a registration under review has.
/// One statement, the values as one JSON array: SQLite looks up each numbered parameter by a linear scan, so
/// 500-value IN lists cost 100 statements and a quadratic bind per 50,000-row registration (PostgreSQL's limit of
/// 65,535 parameters forced chunks there too).
async fn taken(
    conn: &mut AnyConnection,
    column: &str,
    values: &[&str],
) -> Result<HashSet<String>, HttpError> {
    if values.is_empty() {
        return Ok(HashSet::new());
    }
    let list = if conn.backend_name() == "PostgreSQL" {
        "SELECT value FROM json_array_elements_text($6::json)"
    } else {
        "SELECT value FROM json_each($6)"
    };
    // $1–$3 closed statuses, $4–$5 open submission statuses, $6 the values (used in both halves).
    let sql = format!(
        "SELECT p.{column} AS v FROM persons p WHERE p.{column} IN ({list}) AND p.status NOT IN ($1, $2, $3) \
         UNION SELECT r.{column} AS v FROM contributor_registration_rows r JOIN submissions s ON s.serial = r.serial \
         WHERE r.{column} IN ({list}) AND s.status IN ($4, $5)"
    );
    let json = serde_json::to_string(values).map_err(|e| sqlx::Error::Encode(e.into()))?;
    let rows = sqlx::query(&sql)
        .bind(CLOSED[0])
        .bind(CLOSED[1])
        .bind(CLOSED[2])
        .bind(SubmissionStatus::Accepted.code())
        .bind(SubmissionStatus::Reviewing.code())
        .bind(json)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|row| Ok(row.try_get::<String, _>("v")?))
        .collect()
}

/// Applies an approved 缴存人登记: every row becomes a person of the unit with the 个人账号 the receipt gave it,
/// status 01 正常, and the monthly amounts at the unit's rates *now* (a rate change approved since acceptance
/// applies). Refused when a 证件号码 or 手机号码 has meanwhile gone to another open account.
pub async fn apply(
    tx: &mut Transaction<'static, Any>,
    state: &AppState,
    serial: &str,
    unit_account: &str,
) -> Result<(), HttpError> {
    let conflicts: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM contributor_registration_rows r WHERE r.serial = $1 AND EXISTS (\
           SELECT 1 FROM persons p WHERE (p.id_number = r.id_number OR p.mobile = r.mobile) \
           AND p.status NOT IN ($2, $3, $4))",
    )
    .bind(serial)
    .bind(CLOSED[0])
    .bind(CLOSED[1])
    .bind(CLOSED[2])
    .fetch_one(&mut **tx)
    .await?;
    if conflicts > 0 {
        return Err(HttpError::new(
            StatusCode::CONFLICT,
            "ID_NUMBER_IN_USE",
            format!(
                "本笔登记中有 {conflicts} 名职工的证件号码或手机号码在受理后已被其他未销户的个人账户使用，不能办结。\
                 请退回本业务，请单位核对后重新登记。"
            ),
        ));
    }
    let unit = unit_facts(tx, unit_account).await?;
    let policy = me::current_policy(state).await?;
    let stored = sqlx::query(
        "SELECT person_account, name, id_type, id_number, sex, birth_month, mobile, landline, base_fen, first_month, \
         bank_account, bank_name FROM contributor_registration_rows WHERE serial = $1 ORDER BY row_no",
    )
    .bind(serial)
    .fetch_all(&mut **tx)
    .await?;
    for chunk in stored.chunks(INSERT_CHUNK) {
        const COLUMNS: usize = 17;
        let sql = format!(
            "INSERT INTO persons (account, unit_account, name, id_number, status, base_fen, unit_amount_fen, \
             person_amount_fen, first_month, id_type, sex, birth_month, mobile, landline, bank_account, bank_name, \
             paid_through) VALUES {}",
            crate::db::values_placeholders(chunk.len(), COLUMNS)
        );
        let mut q = sqlx::query(&sql);
        for r in chunk {
            let base = gjj_domain::money::Fen(r.try_get("base_fen")?);
            let a = amounts(base, &unit, &policy);
            q = q
                .bind(r.try_get::<String, _>("person_account")?)
                .bind(unit_account.to_owned())
                .bind(r.try_get::<String, _>("name")?)
                .bind(r.try_get::<String, _>("id_number")?)
                .bind(PERSON_ACTIVE)
                .bind(base.0)
                .bind(a.unit.0)
                .bind(a.person.0)
                .bind(r.try_get::<String, _>("first_month")?)
                .bind(r.try_get::<String, _>("id_type")?)
                .bind(r.try_get::<Option<String>, _>("sex")?)
                .bind(r.try_get::<Option<String>, _>("birth_month")?)
                .bind(r.try_get::<String, _>("mobile")?)
                .bind(r.try_get::<Option<String>, _>("landline")?)
                .bind(r.try_get::<Option<String>, _>("bank_account")?)
                .bind(r.try_get::<Option<String>, _>("bank_name")?)
                // Nothing remitted for the person yet.
                .bind(None::<String>);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// The unit's facts as they stand inside the approving transaction (its rates decide the amounts).
async fn unit_facts(tx: &mut Transaction<'static, Any>, account: &str) -> Result<UnitFacts, HttpError> {
    let r = sqlx::query(
        "SELECT account, uscc, name, status, unit_rate_bp, person_rate_bp, first_month, paid_through \
         FROM units WHERE account = $1",
    )
    .bind(account)
    .fetch_one(&mut **tx)
    .await?;
    let bad = |what: &str| HttpError::from(sqlx::Error::Decode(format!("units.{what}").into()));
    let month = |s: String| Month::parse(&s).map_err(|_| bad("month"));
    let rate = |bp: i64| u32::try_from(bp).map(Rate).map_err(|_| bad("rate"));
    let status: String = r.try_get("status")?;
    Ok(UnitFacts {
        account: r.try_get("account")?,
        name: r.try_get("name")?,
        uscc: r.try_get("uscc")?,
        status: UnitStatus::parse(&status).ok_or_else(|| bad("status"))?,
        unit_rate: rate(r.try_get("unit_rate_bp")?)?,
        person_rate: rate(r.try_get("person_rate_bp")?)?,
        first_month: month(r.try_get("first_month")?)?,
        paid_through: r
            .try_get::<Option<String>, _>("paid_through")?
            .map(month)
            .transpose()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assigned_accounts_never_look_like_seeded_ones() {
        assert_eq!(account_number(1), "99000000000001");
        assert_eq!(account_number(9_999_999_999), "99009999999999");
        // Seeded: "99" + the unit's 1-based index, at least two digits, never "00".
        for index in [1usize, 4, 99, 100, 1234] {
            let seeded = format!("99{index:02}{:08}", 1);
            assert!(!seeded.starts_with("9900"), "{seeded}");
        }
    }
}
