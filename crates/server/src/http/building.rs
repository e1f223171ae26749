//! `POST /api/v1/building`: 楼栋录入 (developer hall) — one building of an approved project of this developer with
//! its 户 list, re-checked with the same gjj-domain rules plus the centre's facts, stored whole or not at all.
//! Approval ([`apply`]) creates the building ("LD" + 8 digits) and its houses (可售) in the review transaction.
//!
//! Facts only the centre has:
//! - the project is this developer's (an unknown project and another developer's get the same answer) and 已办结;
//! - the 预售许可证号 is used by no other building of the centre, approved or under review (Bijie
//!   `checkYSXKZUniq`); the message never says which project or developer holds it;
//! - the 楼栋号 is new in the project (approved or under review).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use gjj_domain::api::{Role, SubmissionStatus};
use gjj_domain::building::{self, field, Building, HOUSE_FOR_SALE};
use gjj_domain::issue::{Code, Issue};
use sqlx::{Any, AnyConnection, Row, Transaction};
use time::format_description::well_known::Rfc3339;

use super::project::{next_id, project_issue, project_of_developer};
use super::{intake, seal, AppState, Caller, HttpError};

/// The business name in every layer.
pub const BUSINESS: &str = "building";

fn permit_in_use(permit: &str) -> Issue {
    Issue::new(
        0,
        field::PRESALE_PERMIT,
        Code::PresalePermitInUse,
        format!("预售许可证号 {permit} 已被中心登记的其他楼栋使用（或正在审核）。每栋楼的预售许可证号不能重复，请按本楼栋的预售许可证核对。"),
    )
}

fn building_no_in_use(no: &str) -> Issue {
    Issue::new(
        0,
        field::BUILDING_NO,
        Code::BuildingNoInUse,
        format!(
            "本项目已有楼栋号为 {no} 的楼栋（或正在审核）。请核对楼栋号；要修改已登记的楼栋请办理楼栋变更。"
        ),
    )
}

/// The database facts; empty when all hold. Run before storing and again under the lock.
async fn facts(conn: &mut AnyConnection, developer: &str, b: &Building) -> Result<Vec<Issue>, sqlx::Error> {
    let mut issues = Vec::new();
    match project_of_developer(&mut *conn, developer, &b.project_id).await? {
        None => issues.push(project_issue(&b.project_id)),
        Some(p) if !p.is_active() => issues.push(Issue::new(
            0,
            field::PROJECT,
            Code::ProjectNotActive,
            format!(
                "项目 {}（{}）尚未经中心审核通过，不能录入楼栋。请等项目录入办结后再提交。",
                p.id, p.name
            ),
        )),
        Some(_) => {}
    }
    let open = [
        SubmissionStatus::Accepted.code(),
        SubmissionStatus::Reviewing.code(),
    ];
    let permit_used: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM buildings WHERE presale_permit = $1) + \
         (SELECT COUNT(*) FROM building_submissions b JOIN submissions s ON s.serial = b.serial \
          WHERE b.presale_permit = $1 AND s.status IN ($2, $3))",
    )
    .bind(&b.presale_permit)
    .bind(open[0])
    .bind(open[1])
    .fetch_one(&mut *conn)
    .await?;
    if permit_used > 0 {
        issues.push(permit_in_use(&b.presale_permit));
    }
    let no_used: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM buildings WHERE project_id = $1 AND building_no = $2) + \
         (SELECT COUNT(*) FROM building_submissions b JOIN submissions s ON s.serial = b.serial \
          WHERE b.project_id = $1 AND b.building_no = $2 AND s.status IN ($3, $4))",
    )
    .bind(&b.project_id)
    .bind(&b.building_no)
    .bind(open[0])
    .bind(open[1])
    .fetch_one(&mut *conn)
    .await?;
    if no_used > 0 {
        issues.push(building_no_in_use(&b.building_no));
    }
    Ok(issues)
}

/// Accepts a signed 楼栋录入.
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
    let payload: Building = intake::payload(&signed)?;
    let rows = seal::row_cap(&state, payload.houses.len())?;
    let valid = building::check(&payload).map_err(HttpError::rules)?;
    let developer = caller.unit.facts.account.clone();
    let issues = {
        let mut conn = state.db.pool().acquire().await?;
        facts(&mut conn, &developer, &valid).await?
    };
    if !issues.is_empty() {
        return Err(HttpError::rules(issues));
    }
    let mut pending = match intake::begin(&state, &caller, &signed, BUSINESS, rows, false).await? {
        intake::Begun::New(p) => p,
        intake::Begun::Replayed(resp) => return Ok(resp),
    };
    // Under the developer's lock; a building of ANOTHER developer with the same permit accepted meanwhile is
    // caught here too (its row is committed before ours can be), or at approval by the UNIQUE constraint.
    let issues = facts(&mut pending.tx, &developer, &valid).await?;
    if !issues.is_empty() {
        return Err(HttpError::rules(issues));
    }
    sqlx::query(
        "INSERT INTO building_submissions (serial, project_id, building_no, presale_permit, unit_count, \
         floor_count, completion_date, loan_ratio_bp, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&pending.serial)
    .bind(&valid.project_id)
    .bind(&valid.building_no)
    .bind(&valid.presale_permit)
    .bind(i64::from(valid.unit_count))
    .bind(i64::from(valid.floor_count))
    .bind(&valid.completion_date)
    .bind(i64::from(valid.loan_ratio.0))
    .bind(valid.note.clone())
    .execute(&mut *pending.tx)
    .await?;
    const COLUMNS: usize = 8;
    for chunk in valid.houses.chunks(crate::db::rows_per_insert(COLUMNS)) {
        let sql = format!(
            "INSERT INTO building_house_rows (serial, row_no, house_no, unit_no, floor, area_centi, \
             inner_area_centi, price_fen) VALUES {}",
            crate::db::values_placeholders(chunk.len(), COLUMNS)
        );
        let mut q = sqlx::query(&sql);
        for h in chunk {
            q = q
                .bind(pending.serial.clone())
                .bind(i64::from(h.row))
                .bind(h.house_no.clone())
                .bind(i64::from(h.unit_no))
                .bind(i64::from(h.floor))
                .bind(h.area.0)
                .bind(h.inner_area.0)
                .bind(h.price.0);
        }
        q.execute(&mut *pending.tx).await?;
    }
    intake::commit(pending).await
}

/// Applies an approved 楼栋录入: the building and its houses (可售) are created. Refused (the approval rolls back)
/// when the project is no longer active or the permit / 楼栋号 got taken meanwhile.
pub async fn apply(
    tx: &mut Transaction<'static, Any>,
    state: &AppState,
    serial: &str,
    developer: &str,
) -> Result<(), HttpError> {
    let row = sqlx::query(
        "SELECT project_id, building_no, presale_permit, unit_count, floor_count, completion_date, \
         loan_ratio_bp, note FROM building_submissions WHERE serial = $1",
    )
    .bind(serial)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| HttpError::from(sqlx::Error::RowNotFound))?;
    let project_id: String = row.try_get("project_id")?;
    let building_no: String = row.try_get("building_no")?;
    let permit: String = row.try_get("presale_permit")?;
    let active = project_of_developer(&mut **tx, developer, &project_id)
        .await?
        .is_some_and(|p| p.is_active());
    let taken: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM buildings WHERE presale_permit = $1 OR (project_id = $2 AND building_no = $3)",
    )
    .bind(&permit)
    .bind(&project_id)
    .bind(&building_no)
    .fetch_one(&mut **tx)
    .await?;
    if !active || taken > 0 {
        return Err(HttpError::new(
            StatusCode::CONFLICT,
            "APPLY_CONFLICT",
            format!("业务 {serial} 的项目已不是已办结状态，或其预售许可证号/楼栋号已被其他楼栋登记，本次审核未生效。请退回该业务。"),
        ));
    }
    let id = next_id(tx, "building_id", "LD").await?;
    let created_at = state
        .now()
        .to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_default();
    sqlx::query(
        "INSERT INTO buildings (id, project_id, building_no, presale_permit, unit_count, floor_count, \
         completion_date, loan_ratio_bp, note, serial, created_at) \
         SELECT $1, project_id, building_no, presale_permit, unit_count, floor_count, completion_date, \
         loan_ratio_bp, note, serial, $2 FROM building_submissions WHERE serial = $3",
    )
    .bind(&id)
    .bind(created_at)
    .bind(serial)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO houses (building_id, house_no, unit_no, floor, area_centi, inner_area_centi, price_fen, \
         status) SELECT $1, house_no, unit_no, floor, area_centi, inner_area_centi, price_fen, $2 \
         FROM building_house_rows WHERE serial = $3",
    )
    .bind(&id)
    .bind(HOUSE_FOR_SALE)
    .bind(serial)
    .execute(&mut **tx)
    .await?;
    tracing::info!(%serial, building = %id, %project_id, "building created");
    Ok(())
}
