//! 项目录入 (`project`, developer hall): drafts, signed submissions, the project list and one project.
//!
//! Lifecycle (a real centre's 楼盘项目 screen works this way: a developer fills a project over several sittings,
//! then signs it once it is complete):
//! - `POST /api/v1/project/draft` (unsigned JSON [`Project`]): creates a project ("XM" + 8 digits, a centre-wide
//!   sequence) or replaces the fields of an editable one; status `draft`. Not in the review queue, nothing signed —
//!   a draft binds nobody.
//! - `POST /api/v1/project` (signed [`Project`] with or without `project_id`): every rule, then the project's
//!   fields become the submitted ones, a submission (业务流水号, receipt) enters the review queue. The receipt's
//!   `accounts` carries the project id as row 1 (a new project gets its id here).
//! - Staff return it with a reason → the project is `returned` and editable again (the reason is on the project
//!   view); the developer corrects it (draft save or directly) and submits again: a NEW submission for the SAME
//!   project id. At most one open submission per project.
//! - Staff approve → [`apply`]: the project becomes `active` (已办结); buildings can be entered under it.
//!
//! `projects.status` is `draft` | `submitted` | `active`; for `submitted` the view derives reviewing / returned /
//! withdrawn from the last submission's own status, so the review routes need no project-specific code for
//! returning or withdrawing.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use gjj_domain::api::{Role, RowAccount, SubmissionStatus};
use gjj_domain::area::Area;
use gjj_domain::building::{BuildingView, HouseView};
use gjj_domain::issue::{Code, Issue};
use gjj_domain::money::Fen;
use gjj_domain::project::{self, project_status_label, Project, ProjectView};
use gjj_domain::rate::Rate;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use time::format_description::well_known::Rfc3339;

use super::{intake, AppState, Caller, HttpError};

/// The business name in every layer.
pub const BUSINESS: &str = "project";

/// Stored project status: saved but never submitted.
const DRAFT: &str = "draft";
/// Stored project status: has a submission (see the module docs).
const SUBMITTED: &str = "submitted";
/// Stored project status: approved (已办结).
pub(crate) const ACTIVE: &str = "active";

/// A project as the ownership check sees it.
#[derive(Clone, Debug)]
pub struct ProjectRecord {
    /// 项目编号.
    pub id: String,
    /// 楼盘名称.
    pub name: String,
    /// Stored status: `draft`, `submitted` or `active`.
    pub status: String,
    /// The latest submission.
    pub last_serial: Option<String>,
}

impl ProjectRecord {
    /// Approved by the centre.
    pub fn is_active(&self) -> bool {
        self.status == ACTIVE
    }
}

/// The project `project_id` when it belongs to `developer_account`; `None` for an unknown project and for
/// another developer's alike (callers answer both the same way, so nothing about other developers leaks).
/// For other developer-hall businesses (补充项目材料, 贷款申请) to check ownership.
pub async fn project_of_developer<'c, E>(
    exec: E,
    developer_account: &str,
    project_id: &str,
) -> Result<Option<ProjectRecord>, sqlx::Error>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    let row = sqlx::query(
        "SELECT id, name, status, last_serial FROM projects \
         WHERE id = $1 AND developer_account = $2",
    )
    .bind(project_id)
    .bind(developer_account)
    .fetch_optional(exec)
    .await?;
    row.map(|r| {
        Ok(ProjectRecord {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            status: r.try_get("status")?,
            last_serial: r.try_get("last_serial")?,
        })
    })
    .transpose()
}

fn now(state: &AppState) -> String {
    state
        .now()
        .to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_default()
}

pub(crate) fn not_found(id: &str) -> HttpError {
    HttpError::new(
        StatusCode::NOT_FOUND,
        "PROJECT_NOT_FOUND",
        format!("本公司没有项目编号为 {id} 的项目。请用 gjj project list 核对项目编号。"),
    )
}

/// Next id of a centre-wide sequence: `prefix` + 8 digits.
pub(crate) async fn next_id(
    tx: &mut Transaction<'static, Any>,
    counter: &str,
    prefix: &str,
) -> Result<String, sqlx::Error> {
    let value: i64 = sqlx::query_scalar(
        "INSERT INTO counters (name, value) VALUES ($1, 1) \
         ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
    )
    .bind(counter)
    .fetch_one(&mut **tx)
    .await?;
    Ok(format!("{prefix}{value:08}"))
}

/// (status code, return reason) of a project for its view.
async fn derived_status<'c, E>(
    exec: E,
    rec: &ProjectRecord,
) -> Result<(&'static str, Option<String>), sqlx::Error>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    match rec.status.as_str() {
        ACTIVE => Ok(("active", None)),
        SUBMITTED => {
            let Some(serial) = &rec.last_serial else {
                return Ok(("draft", None));
            };
            let row = sqlx::query("SELECT status, return_reason FROM submissions WHERE serial = $1")
                .bind(serial)
                .fetch_optional(exec)
                .await?;
            let Some(row) = row else {
                return Ok(("draft", None));
            };
            let status: String = row.try_get("status")?;
            Ok(match SubmissionStatus::parse(&status) {
                Some(SubmissionStatus::Returned) => ("returned", row.try_get("return_reason")?),
                Some(SubmissionStatus::Withdrawn) => ("withdrawn", None),
                Some(SubmissionStatus::Done) => ("active", None),
                _ => ("reviewing", None),
            })
        }
        _ => Ok(("draft", None)),
    }
}

fn editable(status: &str) -> bool {
    matches!(status, "draft" | "returned" | "withdrawn")
}

fn not_editable(id: &str, status: &str) -> HttpError {
    HttpError::new(
        StatusCode::CONFLICT,
        "PROJECT_NOT_EDITABLE",
        format!(
            "项目 {id} 当前为“{}”，不能修改或重新提交。审核中的项目请等待中心审核（或撤回后再改）；已办结的项目请办理项目变更。",
            project_status_label(status)
        ),
    )
}

const FIELD_COLUMNS: &str = "name, address, presale_permit, land_planning_permit, land_certificate, \
    engineering_planning_permit, construction_permit, mortgage_agreement_date, deposit_ratio_bp, deposit_account, \
    deposit_bank, deposit_account_name, total_area_centi, total_amount_fen, land_total_fen, land_unit_price_fen, \
    contact_name, contact_phone, note";

fn project_from_row(row: &AnyRow) -> Result<Project, sqlx::Error> {
    let bp: Option<i64> = row.try_get("deposit_ratio_bp")?;
    let fen =
        |c: &str| -> Result<Option<Fen>, sqlx::Error> { Ok(row.try_get::<Option<i64>, _>(c)?.map(Fen)) };
    Ok(Project {
        project_id: Some(row.try_get("id")?),
        name: Some(row.try_get("name")?),
        address: row.try_get("address")?,
        presale_permit: row.try_get("presale_permit")?,
        land_planning_permit: row.try_get("land_planning_permit")?,
        land_certificate: row.try_get("land_certificate")?,
        engineering_planning_permit: row.try_get("engineering_planning_permit")?,
        construction_permit: row.try_get("construction_permit")?,
        mortgage_agreement_date: row.try_get("mortgage_agreement_date")?,
        deposit_ratio: bp.map(|b| Rate(u32::try_from(b).unwrap_or(0))),
        deposit_account: row.try_get("deposit_account")?,
        deposit_bank: row.try_get("deposit_bank")?,
        deposit_account_name: row.try_get("deposit_account_name")?,
        total_area: row.try_get::<Option<i64>, _>("total_area_centi")?.map(Area),
        total_amount: fen("total_amount_fen")?,
        land_total: fen("land_total_fen")?,
        land_unit_price: fen("land_unit_price_fen")?,
        contact_name: row.try_get("contact_name")?,
        contact_phone: row.try_get("contact_phone")?,
        note: row.try_get("note")?,
    })
}

/// Binds the 19 field values in [`FIELD_COLUMNS`] order.
fn bind_fields<'q>(
    mut q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    p: &Project,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    q = q
        .bind(p.name.clone().unwrap_or_default())
        .bind(p.address.clone())
        .bind(p.presale_permit.clone())
        .bind(p.land_planning_permit.clone())
        .bind(p.land_certificate.clone())
        .bind(p.engineering_planning_permit.clone())
        .bind(p.construction_permit.clone())
        .bind(p.mortgage_agreement_date.clone())
        .bind(p.deposit_ratio.map(|r| i64::from(r.0)))
        .bind(p.deposit_account.clone())
        .bind(p.deposit_bank.clone())
        .bind(p.deposit_account_name.clone())
        .bind(p.total_area.map(|a| a.0))
        .bind(p.total_amount.map(|f| f.0))
        .bind(p.land_total.map(|f| f.0))
        .bind(p.land_unit_price.map(|f| f.0))
        .bind(p.contact_name.clone())
        .bind(p.contact_phone.clone())
        .bind(p.note.clone());
    q
}

/// Inserts a new project with `status`; returns its id.
async fn insert(
    tx: &mut Transaction<'static, Any>,
    state: &AppState,
    developer: &str,
    p: &Project,
    status: &str,
) -> Result<String, sqlx::Error> {
    let id = next_id(tx, "project_id", "XM").await?;
    let sql = format!(
        "INSERT INTO projects (id, developer_account, status, created_at, updated_at, {FIELD_COLUMNS}) VALUES {}",
        crate::db::values_placeholders(1, 24)
    );
    let at = now(state);
    let q = sqlx::query(&sql)
        .bind(id.clone())
        .bind(developer.to_owned())
        .bind(status.to_owned())
        .bind(at.clone())
        .bind(at);
    bind_fields(q, p).execute(&mut **tx).await?;
    Ok(id)
}

/// Replaces the fields of project `id` and sets `status` (+ `last_serial` when given).
async fn update(
    tx: &mut Transaction<'static, Any>,
    state: &AppState,
    id: &str,
    p: &Project,
    status: &str,
    serial: Option<&str>,
) -> Result<(), sqlx::Error> {
    let sets: Vec<String> = FIELD_COLUMNS
        .split(',')
        .map(str::trim)
        .enumerate()
        .map(|(i, c)| format!("{c} = ${}", i + 1))
        .collect();
    let sql = format!(
        "UPDATE projects SET {}, status = $20, updated_at = $21, last_serial = COALESCE($22, last_serial) \
         WHERE id = $23",
        sets.join(", ")
    );
    bind_fields(sqlx::query(&sql), p)
        .bind(status.to_owned())
        .bind(now(state))
        .bind(serial.map(str::to_owned))
        .bind(id.to_owned())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Locks the developer (the unit row), like every write of a unit, and checks `id` is theirs and editable.
async fn lock_editable(
    tx: &mut Transaction<'static, Any>,
    developer: &str,
    id: &str,
) -> Result<(), HttpError> {
    sqlx::query("UPDATE units SET lock_version = lock_version + 1 WHERE account = $1")
        .bind(developer)
        .execute(&mut **tx)
        .await?;
    let rec = project_of_developer(&mut **tx, developer, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let (status, _) = derived_status(&mut **tx, &rec).await?;
    if !editable(status) {
        return Err(not_editable(id, status));
    }
    Ok(())
}

/// `POST /api/v1/project/draft`: save a draft (new or editable project); answers with the project.
pub async fn draft(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<Project>, JsonRejection>,
) -> Result<Json<ProjectView>, HttpError> {
    caller.require(Role::Developer)?;
    let Json(payload) = body.map_err(|e| {
        HttpError::new(
            StatusCode::BAD_REQUEST,
            "PAYLOAD_INVALID",
            format!(
                "草稿内容格式不正确（{}）。请用最新版客户端重新保存。",
                e.body_text()
            ),
        )
    })?;
    let valid = project::check_draft(&payload).map_err(HttpError::rules)?;
    let developer = caller.unit.facts.account.clone();
    let mut tx = state.db.pool().begin().await?;
    let id = match &valid.project_id {
        Some(id) => {
            lock_editable(&mut tx, &developer, id).await?;
            // A returned or withdrawn project saved again is a draft until it is submitted again; the last
            // submission stays on record.
            update(&mut tx, &state, id, &valid, DRAFT, None).await?;
            id.clone()
        }
        None => insert(&mut tx, &state, &developer, &valid, DRAFT).await?,
    };
    tx.commit().await?;
    tracing::info!(project = %id, developer = %developer, "project draft saved");
    view(&state, &developer, &id).await.map(Json)
}

/// Accepts a signed 项目录入.
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
    let payload: Project = intake::payload(&signed)?;
    let valid = project::check_submit(&payload, state.today()).map_err(HttpError::rules)?;
    let developer = caller.unit.facts.account.clone();
    if let Some(id) = &valid.project_id {
        // Before storing anything: an unknown / foreign / locked project is refused with nothing recorded.
        let rec = project_of_developer(state.db.pool(), &developer, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        let (status, _) = derived_status(state.db.pool(), &rec).await?;
        if !editable(status) {
            return Err(not_editable(id, status));
        }
    }
    // One open submission per project, not per developer: a developer has several projects in review at once.
    let mut pending = match intake::begin(&state, &caller, &signed, BUSINESS, 1, false).await? {
        intake::Begun::New(p) => p,
        intake::Begun::Replayed(resp) => return Ok(resp),
    };
    let serial = pending.serial.clone();
    let id = match &valid.project_id {
        Some(id) => {
            // Re-checked under the unit lock `begin` took (a concurrent submit of the same project loses here).
            let rec = project_of_developer(&mut *pending.tx, &developer, id)
                .await?
                .ok_or_else(|| not_found(id))?;
            let (status, _) = derived_status(&mut *pending.tx, &rec).await?;
            if !editable(status) {
                return Err(not_editable(id, status));
            }
            update(&mut pending.tx, &state, id, &valid, SUBMITTED, Some(&serial)).await?;
            id.clone()
        }
        None => {
            let id = insert(&mut pending.tx, &state, &developer, &valid, SUBMITTED).await?;
            sqlx::query("UPDATE projects SET last_serial = $1 WHERE id = $2")
                .bind(&serial)
                .bind(&id)
                .execute(&mut *pending.tx)
                .await?;
            id
        }
    };
    sqlx::query("INSERT INTO project_submissions (serial, project_id) VALUES ($1, $2)")
        .bind(&serial)
        .bind(&id)
        .execute(&mut *pending.tx)
        .await?;
    pending
        .set_accounts(vec![RowAccount { row: 1, account: id }])
        .await?;
    intake::commit(pending).await
}

/// Applies an approved 项目录入: the project becomes active (已办结) with the fields it was submitted with (the
/// project cannot change while its submission is open).
pub async fn apply(tx: &mut Transaction<'static, Any>, serial: &str) -> Result<(), HttpError> {
    let done = sqlx::query(
        "UPDATE projects SET status = $1 WHERE last_serial = $2 AND status = $3 \
         AND id = (SELECT project_id FROM project_submissions WHERE serial = $2)",
    )
    .bind(ACTIVE)
    .bind(serial)
    .bind(SUBMITTED)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if done != 1 {
        return Err(HttpError::new(
            StatusCode::CONFLICT,
            "APPLY_CONFLICT",
            format!(
                "业务 {serial} 不是该项目最新的提交，或项目已不在待审状态，本次审核未生效。请退回该业务。"
            ),
        ));
    }
    Ok(())
}

/// The approved buildings of a project with their houses.
async fn buildings_of(state: &AppState, project_id: &str) -> Result<Vec<BuildingView>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, building_no, presale_permit, unit_count, floor_count, completion_date, loan_ratio_bp \
         FROM buildings WHERE project_id = $1 ORDER BY id",
    )
    .bind(project_id)
    .fetch_all(state.db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: String = r.try_get("id")?;
        let houses = sqlx::query(
            "SELECT house_no, unit_no, floor, area_centi, inner_area_centi, price_fen, status FROM houses \
             WHERE building_id = $1 ORDER BY house_no",
        )
        .bind(&id)
        .fetch_all(state.db.pool())
        .await?
        .iter()
        .map(|h| {
            Ok(HouseView {
                house_no: h.try_get("house_no")?,
                unit_no: u32::try_from(h.try_get::<i64, _>("unit_no")?).unwrap_or(0),
                floor: u32::try_from(h.try_get::<i64, _>("floor")?).unwrap_or(0),
                area: Area(h.try_get("area_centi")?),
                inner_area: Area(h.try_get("inner_area_centi")?),
                price: Fen(h.try_get("price_fen")?),
                status: h.try_get("status")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        out.push(BuildingView {
            id,
            building_no: r.try_get("building_no")?,
            presale_permit: r.try_get("presale_permit")?,
            unit_count: u32::try_from(r.try_get::<i64, _>("unit_count")?).unwrap_or(0),
            floor_count: u32::try_from(r.try_get::<i64, _>("floor_count")?).unwrap_or(0),
            completion_date: r.try_get("completion_date")?,
            loan_ratio: Rate(u32::try_from(r.try_get::<i64, _>("loan_ratio_bp")?).unwrap_or(0)),
            houses,
        });
    }
    Ok(out)
}

async fn view(state: &AppState, developer: &str, id: &str) -> Result<ProjectView, HttpError> {
    let sql = format!(
        "SELECT id, developer_account, status, last_serial, {FIELD_COLUMNS} FROM projects \
         WHERE id = $1 AND developer_account = $2"
    );
    let row = sqlx::query(&sql)
        .bind(id)
        .bind(developer)
        .fetch_optional(state.db.pool())
        .await?
        .ok_or_else(|| not_found(id))?;
    let rec = ProjectRecord {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        status: row.try_get("status")?,
        last_serial: row.try_get("last_serial")?,
    };
    let (status, return_reason) = derived_status(state.db.pool(), &rec).await?;
    Ok(ProjectView {
        id: rec.id.clone(),
        status: status.to_owned(),
        status_label: project_status_label(status).to_owned(),
        editable: editable(status),
        last_serial: rec.last_serial.clone(),
        return_reason,
        project: project_from_row(&row)?,
        buildings: buildings_of(state, id).await?,
    })
}

/// `GET /api/v1/projects`: the developer's projects, newest first.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ProjectView>>, HttpError> {
    caller.require(Role::Developer)?;
    let developer = caller.unit.facts.account.clone();
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT id FROM projects WHERE developer_account = $1 ORDER BY id DESC LIMIT 500")
            .bind(&developer)
            .fetch_all(state.db.pool())
            .await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(view(&state, &developer, &id).await?);
    }
    Ok(Json(out))
}

/// `GET /api/v1/projects/{id}`: one project of the developer, with its approved buildings and houses.
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ProjectView>, HttpError> {
    caller.require(Role::Developer)?;
    view(&state, &caller.unit.facts.account, &id).await.map(Json)
}

/// An issue (not an HTTP error) for a building naming a project that is not the developer's.
pub(crate) fn project_issue(id: &str) -> Issue {
    Issue::new(
        0,
        gjj_domain::building::field::PROJECT,
        Code::ProjectNotFound,
        format!("本公司没有项目编号为 {id} 的项目。请用 gjj project list 核对项目编号。"),
    )
}
