//! `POST /api/v1/loan_application`: 贷款申请 (developer hall) — a batch of applicants (or one, from the form),
//! each judged ON ITS OWN with the gjj-domain rules and the centre's facts. The accepted applicants are stored
//! (with their repayment plans) and the receipt lists every applicant's outcome (`Receipt::applicants`); when no
//! applicant is acceptable the whole submission is refused (422) and nothing is stored. Never half an applicant.
//! Approval ([`apply`]) marks the houses 已售 in the review transaction.
//!
//! Facts only the centre has, per applicant:
//! - each stated 公积金账号 exists and is the stated 证件号码's (an unknown account and another person's get the same
//!   answer; a person of ANY unit may borrow);
//! - the borrower or the co-borrower has a 正常 (01) account with at least `min_contribution_months` continuous
//!   months, counted as 缴至年月 − 首次汇缴年月 + 1. The centre's records hold no gaps inside that span (a seal sets
//!   the status to 02, which fails anyway), so the span is the continuous run [I];
//! - the house is in an approved building of an approved project of THIS developer (else the same answer as an
//!   unknown house), is 可售, and is not under another open 贷款申请 (the message never says whose).

use std::collections::HashSet;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use gjj_domain::api::{ApplicantOutcome, Role, SubmissionStatus};
use gjj_domain::building::HOUSE_FOR_SALE;
use gjj_domain::ids::{normalize_code, normalize_name, normalize_text};
use gjj_domain::issue::{Code, Issue};
use gjj_domain::loan_application::{
    check_applicant, col, Applicant, LoanApplication, LoanPlan, LoanPolicy, Party, HOUSE_SOLD,
};
use gjj_domain::money::Fen;
use gjj_domain::month::Month;
use gjj_domain::rate::Rate;
use sqlx::{Any, AnyConnection, Row, Transaction};

use super::{intake, seal, AppState, Caller, HttpError};

/// The business name in every layer.
pub const BUSINESS: &str = "loan_application";
/// 个人账户状态 正常 (JGJ/T 320 附A.6).
const PERSON_ACTIVE: &str = "01";
/// Stored project status once approved (project.rs).
const PROJECT_ACTIVE: &str = "active";

/// `[[loan_policy]]` of seed/demo.toml (percentages whole; rates in 0.001 %).
#[derive(serde::Deserialize)]
pub struct SeedLoanPolicy {
    year: i64,
    starts: String,
    max_amount_yuan: i64,
    max_ratio_pct: i64,
    min_down_ratio_pct: i64,
    max_years: i64,
    age_limit: i64,
    min_contribution_months: i64,
    short_term_years: i64,
    first_short_rate: i64,
    first_long_rate: i64,
    second_short_rate: i64,
    second_long_rate: i64,
    uplift_two_children_pct: i64,
    uplift_three_children_pct: i64,
}

/// Seeds one loan policy year.
pub(crate) async fn seed_policy(
    tx: &mut Transaction<'static, Any>,
    p: &SeedLoanPolicy,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO loan_policies (year, starts, max_amount_fen, max_ratio_bp, min_down_ratio_bp, max_years, \
         age_limit, min_contribution_months, short_term_years, first_short_rate, first_long_rate, second_short_rate, \
         second_long_rate, uplift_two_children_bp, uplift_three_children_bp) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(p.year)
    .bind(&p.starts)
    .bind(p.max_amount_yuan * 100)
    .bind(p.max_ratio_pct * 100)
    .bind(p.min_down_ratio_pct * 100)
    .bind(p.max_years)
    .bind(p.age_limit)
    .bind(p.min_contribution_months)
    .bind(p.short_term_years)
    .bind(p.first_short_rate)
    .bind(p.first_long_rate)
    .bind(p.second_short_rate)
    .bind(p.second_long_rate)
    .bind(p.uplift_two_children_pct * 100)
    .bind(p.uplift_three_children_pct * 100)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The loan policy in force in `month`: the latest year starting no later.
async fn policy(conn: &mut AnyConnection, month: Month) -> Result<LoanPolicy, HttpError> {
    let r = sqlx::query(
        "SELECT year, starts, max_amount_fen, max_ratio_bp, min_down_ratio_bp, max_years, age_limit, \
         min_contribution_months, short_term_years, first_short_rate, first_long_rate, second_short_rate, \
         second_long_rate, uplift_two_children_bp, uplift_three_children_bp FROM loan_policies \
         WHERE starts <= $1 ORDER BY starts DESC LIMIT 1",
    )
    .bind(month.to_string())
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| {
        HttpError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "LOAN_POLICY_MISSING",
            format!("中心尚未设置 {month} 适用的贷款政策，暂不能受理贷款申请。请联系公积金中心。"),
        )
    })?;
    let bad = |what: &str| HttpError::from(sqlx::Error::Decode(format!("loan_policies.{what}").into()));
    let u = |name: &'static str| -> Result<u32, HttpError> {
        let v: i64 = r.try_get(name)?;
        u32::try_from(v).map_err(|_| bad(name))
    };
    let starts: String = r.try_get("starts")?;
    Ok(LoanPolicy {
        year: i32::try_from(r.try_get::<i64, _>("year")?).map_err(|_| bad("year"))?,
        starts: Month::parse(&starts).map_err(|_| bad("starts"))?,
        max_amount: Fen(r.try_get("max_amount_fen")?),
        max_ratio: Rate(u("max_ratio_bp")?),
        min_down_ratio: Rate(u("min_down_ratio_bp")?),
        max_years: u("max_years")?,
        age_limit: u("age_limit")?,
        min_contribution_months: u("min_contribution_months")?,
        short_term_years: u("short_term_years")?,
        first_short_rate: u("first_short_rate")?,
        first_long_rate: u("first_long_rate")?,
        second_short_rate: u("second_short_rate")?,
        second_long_rate: u("second_long_rate")?,
        uplift_two_children: Rate(u("uplift_two_children_bp")?),
        uplift_three_children: Rate(u("uplift_three_children_bp")?),
    })
}

fn norm_id(s: &str) -> String {
    normalize_code(s).to_uppercase()
}

/// Whether a stated account is the person's, and whether it qualifies; `None` when unknown / not theirs.
async fn account_qualifies(
    conn: &mut AnyConnection,
    p: &Party,
    min_months: u32,
) -> Result<Option<bool>, HttpError> {
    let account = normalize_code(&p.account);
    let row =
        sqlx::query("SELECT id_number, status, first_month, paid_through FROM persons WHERE account = $1")
            .bind(account.as_ref())
            .fetch_optional(&mut *conn)
            .await?;
    let Some(row) = row else { return Ok(None) };
    let id: String = row.try_get("id_number")?;
    if norm_id(&id) != norm_id(&p.id_number) {
        return Ok(None);
    }
    let status: String = row.try_get("status")?;
    let first = Month::parse(&row.try_get::<String, _>("first_month")?).ok();
    let paid = row
        .try_get::<Option<String>, _>("paid_through")?
        .and_then(|m| Month::parse(&m).ok());
    let months = match (first, paid) {
        (Some(f), Some(p)) if p >= f => i64::from(f.months_until(p)) + 1,
        _ => 0,
    };
    Ok(Some(status == PERSON_ACTIVE && months >= i64::from(min_months)))
}

/// The database facts of one applicant that passed the pure rules: the building id of its house, or the issues.
async fn facts(
    conn: &mut AnyConnection,
    developer: &str,
    a: &Applicant,
    policy: &LoanPolicy,
) -> Result<Result<String, Vec<Issue>>, HttpError> {
    let row = a.row;
    let mut issues = Vec::new();
    let mut qualified = false;
    let parties = std::iter::once((&a.borrower, "借款人", col::ACCOUNT))
        .chain(a.co_borrower.iter().map(|c| (c, "共同借款人", col::CO_ACCOUNT)));
    for (p, who, column) in parties {
        if normalize_code(&p.account).is_empty() {
            continue;
        }
        match account_qualifies(conn, p, policy.min_contribution_months).await? {
            None => issues.push(Issue::new(
                row,
                column,
                Code::LoanAccountNotFound,
                format!("{who}的公积金账号与证件号码不符，或中心没有这个账号。请核对账号和证件号码。"),
            )),
            Some(q) => qualified |= q,
        }
    }
    if issues.is_empty() && !qualified {
        issues.push(Issue::new(
            row,
            col::ACCOUNT,
            Code::LoanContributionTooShort,
            format!(
                "借款人和共同借款人都没有连续正常缴存满 {} 个月的公积金账户（账户须为正常状态），暂不符合贷款条件。",
                policy.min_contribution_months
            ),
        ));
    }
    let house_no = normalize_text(&a.house_no).into_owned();
    let building = normalize_text(&a.building).into_owned();
    let building_id: Option<String> = sqlx::query_scalar(
        "SELECT b.id FROM buildings b JOIN projects p ON p.id = b.project_id \
         WHERE p.id = $1 AND p.developer_account = $2 AND p.status = $3 AND (b.id = $4 OR b.building_no = $4)",
    )
    .bind(normalize_code(&a.project_id).as_ref())
    .bind(developer)
    .bind(PROJECT_ACTIVE)
    .bind(&building)
    .fetch_optional(&mut *conn)
    .await?;
    let status: Option<String> = match &building_id {
        Some(id) => {
            sqlx::query_scalar("SELECT status FROM houses WHERE building_id = $1 AND house_no = $2")
                .bind(id)
                .bind(&house_no)
                .fetch_optional(&mut *conn)
                .await?
        }
        None => None,
    };
    match (&building_id, status) {
        (Some(id), Some(s)) => {
            if s != HOUSE_FOR_SALE {
                issues.push(Issue::new(
                    row,
                    col::HOUSE_NO,
                    Code::HouseNotForSale,
                    format!("房号 {house_no} 的状态为“{s}”，不是可售房屋，不能申请贷款。请核对房号。"),
                ));
            }
            let open: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM loan_application_rows r JOIN submissions s ON s.serial = r.serial \
                 WHERE r.building_id = $1 AND r.house_no = $2 AND s.status IN ($3, $4)",
            )
            .bind(id)
            .bind(&house_no)
            .bind(SubmissionStatus::Accepted.code())
            .bind(SubmissionStatus::Reviewing.code())
            .fetch_one(&mut *conn)
            .await?;
            if open > 0 {
                issues.push(under_application(row, &house_no));
            }
        }
        _ => issues.push(Issue::new(
            row,
            col::HOUSE_NO,
            Code::HouseNotFound,
            format!(
                "在本公司已审核通过的项目 {} 楼栋 {building} 中找不到房号 {house_no}。请核对项目编号、楼栋和房号。",
                a.project_id
            ),
        )),
    }
    Ok(match (issues.is_empty(), building_id) {
        (true, Some(id)) => Ok(id),
        _ => Err(issues),
    })
}

fn under_application(row: u32, house_no: &str) -> Issue {
    Issue::new(
        row,
        col::HOUSE_NO,
        Code::HouseUnderApplication,
        format!("房号 {house_no} 已有一笔尚未办结的贷款申请（或在本批中重复），同一套房屋不能同时申请两笔贷款。请核对房号。"),
    )
}

/// An applicant that passed every rule and fact.
struct Accepted<'a> {
    applicant: &'a Applicant,
    building_id: String,
    plan: LoanPlan,
}

/// Judges every applicant; the accepted ones and every outcome (in row order).
async fn judge<'a>(
    conn: &mut AnyConnection,
    developer: &str,
    payload: &'a LoanApplication,
    policy: &LoanPolicy,
    today: Month,
) -> Result<(Vec<Accepted<'a>>, Vec<ApplicantOutcome>), HttpError> {
    let mut accepted = Vec::new();
    let mut outcomes = Vec::new();
    let mut houses = HashSet::new();
    for a in &payload.applicants {
        let result = match check_applicant(a, policy, today) {
            Err(issues) => Err(issues),
            Ok(plan) => match facts(conn, developer, a, policy).await? {
                Err(issues) => Err(issues),
                Ok(building_id) => {
                    let key = (building_id.clone(), normalize_text(&a.house_no).into_owned());
                    if houses.insert(key) {
                        Ok((building_id, plan))
                    } else {
                        Err(vec![under_application(a.row, &a.house_no)])
                    }
                }
            },
        };
        let name = normalize_name(&a.borrower.name);
        match result {
            Ok((building_id, plan)) => {
                outcomes.push(ApplicantOutcome {
                    row: a.row,
                    name,
                    accepted: true,
                    plan: Some(plan.clone()),
                    issues: Vec::new(),
                });
                accepted.push(Accepted {
                    applicant: a,
                    building_id,
                    plan,
                });
            }
            Err(issues) => outcomes.push(ApplicantOutcome {
                row: a.row,
                name,
                accepted: false,
                plan: None,
                issues,
            }),
        }
    }
    Ok((accepted, outcomes))
}

fn none_acceptable(outcomes: Vec<ApplicantOutcome>) -> HttpError {
    let mut issues: Vec<Issue> = outcomes.into_iter().flat_map(|o| o.issues).collect();
    if issues.is_empty() {
        issues.push(Issue::sheet(
            Code::NoRows,
            "贷款申请中没有申请人，请至少填写一名申请人。",
        ));
    }
    HttpError::rules(issues)
}

/// Accepts a signed 贷款申请.
pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, HttpError> {
    caller.require(Role::Developer)?;
    let signed = intake::verify(&caller, &headers, intake::body(&state, body)?)?;
    if let Some(replayed) = intake::replay(&state, &caller, &signed).await? {
        return Ok(replayed);
    }
    let payload: LoanApplication = intake::payload(&signed)?;
    seal::row_cap(&state, payload.applicants.len())?;
    let developer = caller.unit.facts.account.clone();
    let today = state.today();
    let (policy, count) = {
        let mut conn = state.db.pool().acquire().await?;
        let policy = policy(&mut conn, today).await?;
        let (accepted, outcomes) = judge(&mut conn, &developer, &payload, &policy, today).await?;
        if accepted.is_empty() {
            return Err(none_acceptable(outcomes));
        }
        (policy, accepted.len())
    };
    let rows = u32::try_from(count).unwrap_or(u32::MAX);
    let mut pending = match intake::begin(&state, &caller, &signed, BUSINESS, rows, false).await? {
        intake::Begun::New(p) => p,
        intake::Begun::Replayed(resp) => return Ok(resp),
    };
    // Judged again under the developer's lock: another application for the same house may have been accepted
    // meanwhile. The receipt reports this second judgement, which is what was stored.
    let (accepted, outcomes) = judge(&mut pending.tx, &developer, &payload, &policy, today).await?;
    if accepted.is_empty() {
        return Err(none_acceptable(outcomes));
    }
    if accepted.len() != count {
        let n = u32::try_from(accepted.len()).unwrap_or(u32::MAX);
        sqlx::query("UPDATE submissions SET row_count = $1 WHERE serial = $2")
            .bind(i64::from(n))
            .bind(&pending.serial)
            .execute(&mut *pending.tx)
            .await?;
        pending.set_accepted_rows(n);
    }
    const COLUMNS: usize = 26;
    for chunk in accepted.chunks(crate::db::rows_per_insert(COLUMNS)) {
        let sql = format!(
            "INSERT INTO loan_application_rows (serial, row_no, borrower_name, borrower_id_number, borrower_account, \
             borrower_mobile, borrower_income_fen, co_name, co_id_number, co_account, co_mobile, co_income_fen, \
             co_relation, building_id, house_no, price_fen, down_payment_fen, amount_fen, months, repayment, \
             house_count, children, annual_rate, first_payment_fen, last_payment_fen, total_interest_fen) VALUES {}",
            crate::db::values_placeholders(chunk.len(), COLUMNS)
        );
        let mut q = sqlx::query(&sql);
        for acc in chunk {
            let a = acc.applicant;
            let b = &a.borrower;
            let co = a.co_borrower.as_ref();
            let co_account = co
                .map(|c| normalize_code(&c.account).into_owned())
                .filter(|s| !s.is_empty());
            q = q
                .bind(pending.serial.clone())
                .bind(i64::from(a.row))
                .bind(normalize_name(&b.name))
                .bind(norm_id(&b.id_number))
                .bind(normalize_code(&b.account).into_owned())
                .bind(normalize_text(&b.mobile).into_owned())
                .bind(b.income.0)
                .bind(co.map(|c| normalize_name(&c.name)))
                .bind(co.map(|c| norm_id(&c.id_number)))
                .bind(co_account)
                .bind(co.map(|c| normalize_text(&c.mobile).into_owned()))
                .bind(co.map(|c| c.income.0))
                .bind(co.and_then(|c| c.relation.as_deref().map(|r| normalize_text(r).into_owned())))
                .bind(acc.building_id.clone())
                .bind(normalize_text(&a.house_no).into_owned())
                .bind(a.price.0)
                .bind(a.down_payment.0)
                .bind(a.amount.0)
                .bind(i64::from(a.months))
                .bind(acc.plan.repayment.clone())
                .bind(i64::from(a.house_count))
                .bind(i64::from(a.children))
                .bind(i64::from(acc.plan.annual_rate))
                .bind(acc.plan.first_payment.0)
                .bind(acc.plan.last_payment.0)
                .bind(acc.plan.total_interest.0);
        }
        q.execute(&mut *pending.tx).await?;
    }
    pending.set_applicants(outcomes).await?;
    intake::commit(pending).await
}

/// Applies an approved 贷款申请: every house of its accepted applicants becomes 已售. Refused (the approval rolls
/// back) when one of them is no longer 可售.
pub async fn apply(tx: &mut Transaction<'static, Any>, serial: &str) -> Result<(), HttpError> {
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM loan_application_rows WHERE serial = $1")
        .bind(serial)
        .fetch_one(&mut **tx)
        .await?;
    let done = sqlx::query(
        "UPDATE houses SET status = $1 WHERE status = $2 AND EXISTS (SELECT 1 FROM loan_application_rows r \
         WHERE r.serial = $3 AND r.building_id = houses.building_id AND r.house_no = houses.house_no)",
    )
    .bind(HOUSE_SOLD)
    .bind(HOUSE_FOR_SALE)
    .bind(serial)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if i64::try_from(done).unwrap_or(i64::MAX) != rows {
        return Err(HttpError::new(
            StatusCode::CONFLICT,
            "APPLY_CONFLICT",
            format!("业务 {serial} 中有房屋已不是可售状态，本次审核未生效。请退回该业务，请开发商核对后重新申请。"),
        ));
    }
    tracing::info!(%serial, houses = rows, "loan application approved");
    Ok(())
}
