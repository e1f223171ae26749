//! 补充项目材料 `project_material`: resumable, chunked, idempotent uploads of a developer's project documents.
//!
//! - `POST /api/v1/project_material/uploads` declares a file (project, 材料类型, name, size, SHA-256). The centre
//!   keeps one upload per (project, SHA-256): declaring the same file again answers the same upload with the
//!   chunks already held — which is how a broken upload resumes — or the material when it is recorded already.
//! - `PUT …/uploads/{id}/chunks/{index}` stores one 1 MiB chunk; a chunk sent twice is stored once.
//! - `POST …/uploads/{id}/complete` carries the developer's detached signature over a small JSON manifest
//!   {project, building, kind, name, size, sha256}; the centre assembles the chunks, checks size, SHA-256 and
//!   the type by content, then records the material with its signed submission in one transaction. Bytes that
//!   fail a check are deleted with their upload: nothing is recorded and the developer starts that file again.
//! - `GET /api/v1/project_material?project=…` lists, `GET /api/v1/project_material/{id}/content` fetches back.
//!
//! Only the developer owning the project may use these routes; another developer's project gets the same
//! answer as an unknown one. Centre staff may list and fetch (they review the documents) [I].
//! File names are metadata only (sanitised); the bytes live in the database under the upload id.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use gjj_domain::api::{Receipt, Role, SubmissionStatus};
use gjj_domain::issue::Issue;
use gjj_domain::project_material::{
    self, chunk_count, chunk_len, human_size, FileType, Manifest, Material, MaterialReceipt,
    UploadDeclaration, UploadState, CHUNK_SIZE, KINDS,
};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row, Transaction};
use time::format_description::well_known::Rfc3339;

use super::{intake, AppState, Caller, HttpError};

/// The business name in every layer.
pub const BUSINESS: &str = "project_material";

/// Body limit of a chunk route: one chunk (the global JSON limit does not apply to it).
pub const CHUNK_BODY_LIMIT: usize = CHUNK_SIZE as usize + 1024;
/// Body limit of the JSON routes (declaration, signed manifest): small, they carry a few fields.
pub const JSON_BODY_LIMIT: usize = 64 * 1024;

fn err(status: StatusCode, code: &str, message: impl Into<String>) -> HttpError {
    HttpError::new(status, code, message)
}

/// One rule issue as the error: its own code at the top level (so a client can tell "too large" from "not a
/// PDF" without reading the list) and in the issue list.
fn refuse(status: StatusCode, issue: Issue) -> HttpError {
    let mut e = HttpError::new(status, issue.code.as_str(), issue.message.clone());
    e.body.issues = vec![issue];
    e
}

fn now(state: &AppState) -> String {
    state
        .now()
        .to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_default()
}

fn project_unknown(project: &str) -> HttpError {
    // The same answer for another developer's project as for one that does not exist: nothing leaks.
    err(
        StatusCode::NOT_FOUND,
        "MATERIAL_PROJECT_UNKNOWN",
        format!("没有项目编号为 {project} 的本公司项目。请核对项目编号；新项目请先办理项目录入。"),
    )
}

fn upload_unknown() -> HttpError {
    err(
        StatusCode::NOT_FOUND,
        "MATERIAL_UPLOAD_UNKNOWN",
        "没有这个上传编号的本公司上传。请重新选择文件上传（已传的部分不会重复传送）。",
    )
}

fn material_unknown(id: &str) -> HttpError {
    err(
        StatusCode::NOT_FOUND,
        "MATERIAL_UNKNOWN",
        format!("没有材料编号为 {id} 的本公司材料。请先查询项目的材料清单。"),
    )
}

fn json_body<T: serde::de::DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, HttpError> {
    let bytes = body.map_err(|_| {
        err(
            StatusCode::BAD_REQUEST,
            "BODY_INCOMPLETE",
            "请求内容没有完整传到中心或超过允许的大小。请检查网络后重试。",
        )
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        err(
            StatusCode::BAD_REQUEST,
            "PAYLOAD_INVALID",
            format!("请求内容格式不正确（{e}）。请用最新版客户端重试。"),
        )
    })
}

/// The developer hall, or centre staff reading what they review; an employer is told which hall this is.
fn require_reader(caller: &Caller) -> Result<(), HttpError> {
    if caller.unit.role == Role::Staff {
        Ok(())
    } else {
        caller.require(Role::Developer)
    }
}

/// Whether the caller may see the project: the developer owning it, or centre staff (read-only routes).
async fn check_project(
    state: &AppState,
    caller: &Caller,
    project: &str,
    staff_may_read: bool,
) -> Result<(), HttpError> {
    let staff = staff_may_read && caller.unit.role == Role::Staff;
    if !staff {
        caller.require(Role::Developer)?;
    }
    let found: Option<String> = if staff {
        sqlx::query_scalar("SELECT id FROM projects WHERE id = $1")
            .bind(project)
            .fetch_optional(state.db.pool())
            .await?
    } else {
        sqlx::query_scalar("SELECT id FROM projects WHERE id = $1 AND developer_account = $2")
            .bind(project)
            .bind(&caller.unit.facts.account)
            .fetch_optional(state.db.pool())
            .await?
    };
    found.map(|_| ()).ok_or_else(|| project_unknown(project))
}

/// An upload as stored.
struct Upload {
    id: String,
    project: String,
    building: Option<String>,
    kind: String,
    name: String,
    size: u64,
    sha256: String,
    chunk_size: u64,
}

const UPLOAD_COLUMNS: &str = "id, project_id, building_id, kind, name, size_bytes, sha256, chunk_size";

fn upload_from_row(r: &AnyRow) -> Result<Upload, sqlx::Error> {
    Ok(Upload {
        id: r.try_get("id")?,
        project: r.try_get("project_id")?,
        building: r.try_get("building_id")?,
        kind: r.try_get("kind")?,
        name: r.try_get("name")?,
        size: u64::try_from(r.try_get::<i64, _>("size_bytes")?).unwrap_or(0),
        sha256: r.try_get("sha256")?,
        chunk_size: u64::try_from(r.try_get::<i64, _>("chunk_size")?).unwrap_or(CHUNK_SIZE),
    })
}

/// The caller's own upload (staff never upload).
async fn own_upload(state: &AppState, caller: &Caller, id: &str) -> Result<Upload, HttpError> {
    caller.require(Role::Developer)?;
    let row = sqlx::query(&format!(
        "SELECT {UPLOAD_COLUMNS} FROM project_material_uploads WHERE id = $1 AND developer_account = $2"
    ))
    .bind(id)
    .bind(&caller.unit.facts.account)
    .fetch_optional(state.db.pool())
    .await?;
    row.map(|r| upload_from_row(&r))
        .transpose()?
        .ok_or_else(upload_unknown)
}

const MATERIAL_COLUMNS: &str =
    "m.id, m.project_id, m.building_id, m.kind, m.name, m.file_type, m.size_bytes, \
     m.sha256, m.serial, m.created_at, s.status";

fn material_from_row(r: &AnyRow) -> Result<Material, sqlx::Error> {
    let kind: String = r.try_get("kind")?;
    let file_type: String = r.try_get("file_type")?;
    let status: String = r.try_get("status")?;
    Ok(Material {
        id: r.try_get("id")?,
        project: r.try_get("project_id")?,
        building: r.try_get("building_id")?,
        kind_label: KINDS.entry(&kind).map(|e| e.label).unwrap_or("其他").to_owned(),
        kind,
        name: r.try_get("name")?,
        file_type: FileType::parse(&file_type).unwrap_or(FileType::Pdf),
        size: u64::try_from(r.try_get::<i64, _>("size_bytes")?).unwrap_or(0),
        sha256: r.try_get("sha256")?,
        serial: r.try_get("serial")?,
        status: SubmissionStatus::parse(&status).unwrap_or(SubmissionStatus::Accepted),
        uploaded_at: r.try_get("created_at")?,
    })
}

/// The material recorded from an upload, if any.
async fn material_of_upload<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    upload_id: &str,
) -> Result<Option<Material>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {MATERIAL_COLUMNS} FROM project_materials m JOIN submissions s ON s.serial = m.serial \
         WHERE m.upload_id = $1"
    ))
    .bind(upload_id)
    .fetch_optional(exec)
    .await?;
    row.map(|r| material_from_row(&r)).transpose()
}

/// What the centre holds of an upload.
async fn upload_state(state: &AppState, upload: &Upload) -> Result<UploadState, HttpError> {
    let rows = sqlx::query(
        "SELECT chunk_index, size_bytes FROM project_material_chunks WHERE upload_id = $1 ORDER BY chunk_index",
    )
    .bind(&upload.id)
    .fetch_all(state.db.pool())
    .await?;
    let mut received = Vec::with_capacity(rows.len());
    let mut received_bytes = 0u64;
    for r in &rows {
        received.push(u64::try_from(r.try_get::<i64, _>("chunk_index")?).unwrap_or(0));
        received_bytes += u64::try_from(r.try_get::<i64, _>("size_bytes")?).unwrap_or(0);
    }
    Ok(UploadState {
        upload_id: upload.id.clone(),
        chunk_size: upload.chunk_size,
        chunk_count: chunk_count(upload.size, upload.chunk_size),
        received,
        received_bytes,
        material: material_of_upload(state.db.pool(), &upload.id).await?,
    })
}

async fn next_id(
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

/// `POST /api/v1/project_material/uploads`: declares a file; answers the upload and what the centre has of it.
pub async fn declare(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, HttpError> {
    caller.require(Role::Developer)?;
    let decl: UploadDeclaration = json_body(body)?;
    // The same domain rules the client ran before sending.
    let mut issues = project_material::check_declaration(&decl, state.limits.max_material_file_bytes);
    if let Some(first) = issues.first() {
        let status = if first.code == gjj_domain::issue::Code::MaterialFileTooLarge {
            StatusCode::PAYLOAD_TOO_LARGE
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        if issues.len() == 1 {
            return Err(refuse(status, issues.remove(0)));
        }
        return Err(HttpError::rules(issues));
    }
    let project = decl.project.trim();
    check_project(&state, &caller, project, false).await?;
    let building = decl.building.as_deref().map(str::trim).filter(|b| !b.is_empty());
    if let Some(b) = building {
        let found: Option<String> =
            sqlx::query_scalar("SELECT id FROM buildings WHERE id = $1 AND project_id = $2")
                .bind(b)
                .bind(project)
                .fetch_optional(state.db.pool())
                .await?;
        if found.is_none() {
            return Err(err(
                StatusCode::NOT_FOUND,
                "MATERIAL_BUILDING_UNKNOWN",
                format!(
                    "项目 {project} 没有楼栋编号为 {b} 的已办结楼栋。请核对楼栋编号，或把材料挂在项目上。"
                ),
            ));
        }
    }

    let account = &caller.unit.facts.account;
    let mut tx = state.db.pool().begin().await?;
    // The developer's lock: the per-project total and the one-upload-per-digest rule hold under concurrency.
    sqlx::query("UPDATE units SET lock_version = lock_version + 1 WHERE account = $1")
        .bind(account)
        .execute(&mut *tx)
        .await?;
    let existing = sqlx::query(&format!(
        "SELECT {UPLOAD_COLUMNS} FROM project_material_uploads WHERE project_id = $1 AND sha256 = $2"
    ))
    .bind(project)
    .bind(&decl.sha256)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(row) = existing {
        // [I] The same bytes are one material of the project whatever kind or name they are declared with
        // the second time: the first declaration's kind and name stand.
        let upload = upload_from_row(&row)?;
        drop(tx);
        return Ok((StatusCode::OK, Json(upload_state(&state, &upload).await?)).into_response());
    }
    let used: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) FROM project_material_uploads WHERE project_id = $1",
    )
    .bind(project)
    .fetch_one(&mut *tx)
    .await?;
    let used = u64::try_from(used).unwrap_or(0);
    let limit = state.limits.max_material_project_bytes;
    if used.saturating_add(decl.size) > limit {
        return Err(err(
            StatusCode::PAYLOAD_TOO_LARGE,
            "MATERIAL_PROJECT_TOO_LARGE",
            format!(
                "项目 {project} 的材料已有 {}，加上本文件 {} 超过每个项目 {} 的上限，中心未接收。请压缩扫描件或联系中心。",
                human_size(used),
                human_size(decl.size),
                human_size(limit)
            ),
        ));
    }
    let id = next_id(&mut tx, "project_material_upload", "UP").await?;
    let size = i64::try_from(decl.size).unwrap_or(i64::MAX);
    sqlx::query(
        "INSERT INTO project_material_uploads (id, developer_account, project_id, building_id, kind, name, \
         size_bytes, sha256, chunk_size, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&id)
    .bind(account)
    .bind(project)
    .bind(building.map(str::to_owned))
    .bind(decl.kind.trim())
    .bind(project_material::sanitize_name(&decl.name))
    .bind(size)
    .bind(&decl.sha256)
    .bind(CHUNK_SIZE as i64)
    .bind(now(&state))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let state_now = UploadState {
        upload_id: id,
        chunk_size: CHUNK_SIZE,
        chunk_count: chunk_count(decl.size, CHUNK_SIZE),
        received: Vec::new(),
        received_bytes: 0,
        material: None,
    };
    Ok((StatusCode::CREATED, Json(state_now)).into_response())
}

/// `PUT /api/v1/project_material/uploads/{id}/chunks/{index}`: one chunk's bytes.
pub async fn put_chunk(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, index)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<UploadState>, HttpError> {
    let upload = own_upload(&state, &caller, &id).await?;
    let count = chunk_count(upload.size, upload.chunk_size);
    let index = index.parse::<u64>().ok().filter(|i| *i < count).ok_or_else(|| {
        err(
            StatusCode::BAD_REQUEST,
            "MATERIAL_CHUNK_OUT_OF_RANGE",
            format!(
                "分片序号 {index} 超出范围（本文件共 {count} 片，序号 0–{}）。请升级客户端后重试。",
                count.saturating_sub(1)
            ),
        )
    })?;
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            err(
                StatusCode::PAYLOAD_TOO_LARGE,
                "MATERIAL_CHUNK_TOO_LARGE",
                format!("分片超过 {}。请升级客户端后重试。", human_size(upload.chunk_size)),
            )
        } else {
            err(
                StatusCode::BAD_REQUEST,
                "BODY_INCOMPLETE",
                "分片没有完整传到中心。请检查网络后继续上传（已收到的分片不必重传）。",
            )
        }
    })?;
    let expected = chunk_len(upload.size, upload.chunk_size, index);
    if bytes.len() as u64 != expected {
        return Err(err(
            StatusCode::BAD_REQUEST,
            "MATERIAL_CHUNK_SIZE",
            format!(
                "第 {index} 片应为 {expected} 字节，收到 {} 字节。请升级客户端后重试。",
                bytes.len()
            ),
        ));
    }
    if material_of_upload(state.db.pool(), &upload.id).await?.is_some() {
        // Already recorded: nothing more to store.
        return Ok(Json(upload_state(&state, &upload).await?));
    }
    let digest = hex::encode(ring::digest::digest(&ring::digest::SHA256, &bytes));
    let done = sqlx::query(
        "INSERT INTO project_material_chunks (upload_id, chunk_index, size_bytes, sha256, content) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (upload_id, chunk_index) DO NOTHING",
    )
    .bind(&upload.id)
    .bind(i64::try_from(index).unwrap_or(i64::MAX))
    .bind(i64::try_from(bytes.len()).unwrap_or(i64::MAX))
    .bind(&digest)
    .bind(base64::engine::general_purpose::STANDARD.encode(&bytes))
    .execute(state.db.pool())
    .await?;
    if done.rows_affected() == 0 {
        // Sent before: accepted once. Different bytes under the same index mean the file changed mid-upload.
        let stored: Option<String> = sqlx::query_scalar(
            "SELECT sha256 FROM project_material_chunks WHERE upload_id = $1 AND chunk_index = $2",
        )
        .bind(&upload.id)
        .bind(i64::try_from(index).unwrap_or(i64::MAX))
        .fetch_optional(state.db.pool())
        .await?;
        if stored.is_some_and(|s| s != digest) {
            return Err(err(
                StatusCode::CONFLICT,
                "MATERIAL_CHUNK_CONFLICT",
                format!("第 {index} 片与中心已收到的内容不同：文件在上传过程中被修改了。请确认文件后重新选择上传。"),
            ));
        }
    }
    Ok(Json(upload_state(&state, &upload).await?))
}

/// The whole file of an upload from its chunks, or `None` when a chunk is missing.
async fn assemble<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    upload_id: &str,
    count: u64,
) -> Result<Result<Vec<u8>, u64>, HttpError> {
    let rows = sqlx::query(
        "SELECT chunk_index, content FROM project_material_chunks WHERE upload_id = $1 ORDER BY chunk_index",
    )
    .bind(upload_id)
    .fetch_all(exec)
    .await?;
    let have = rows.len() as u64;
    if have < count {
        return Ok(Err(count - have));
    }
    let mut out = Vec::new();
    for (expected, r) in rows.iter().enumerate() {
        let index: i64 = r.try_get("chunk_index")?;
        if usize::try_from(index).ok() != Some(expected) {
            return Ok(Err(count.saturating_sub(expected as u64)));
        }
        let content: String = r.try_get("content")?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(content)
            .map_err(|e| sqlx::Error::Decode(e.into()))?;
        out.extend_from_slice(&bytes);
    }
    Ok(Ok(out))
}

/// Deletes an upload whose bytes the centre refused, so nothing of it stays and the file can be sent afresh.
async fn discard(state: &AppState, upload_id: &str) -> Result<(), HttpError> {
    let mut tx = state.db.pool().begin().await?;
    sqlx::query("DELETE FROM project_material_chunks WHERE upload_id = $1")
        .bind(upload_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM project_material_uploads WHERE id = $1")
        .bind(upload_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

async fn receipt_of(state: &AppState, serial: &str) -> Result<Receipt, HttpError> {
    let json: String = sqlx::query_scalar("SELECT receipt FROM submissions WHERE serial = $1")
        .bind(serial)
        .fetch_one(state.db.pool())
        .await?;
    serde_json::from_str(&json).map_err(|e| HttpError::from(sqlx::Error::Decode(e.into())))
}

async fn answer_existing(state: &AppState, material: Material) -> Result<Response, HttpError> {
    let receipt = receipt_of(state, &material.serial).await?;
    let mut resp = (
        StatusCode::OK,
        Json(MaterialReceipt {
            material,
            receipt,
            existing: true,
        }),
    )
        .into_response();
    resp.headers_mut()
        .insert(gjj_domain::api::REPLAYED, HeaderValue::from_static("true"));
    Ok(resp)
}

/// `POST /api/v1/project_material/uploads/{id}/complete`: the signed manifest; records the material.
pub async fn complete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, HttpError> {
    let upload = own_upload(&state, &caller, &id).await?;
    let signed = intake::verify(&caller, &headers, intake::body(&state, body)?)?;
    let manifest: Manifest = intake::payload(&signed)?;
    let same_file = manifest.project.trim() == upload.project
        && manifest.size == upload.size
        && manifest.sha256 == upload.sha256;
    if same_file {
        // The same file again (whatever kind or name it is sent with now): stored once, answered with the
        // material and the receipt of the submission that recorded it.
        if let Some(material) = material_of_upload(state.db.pool(), &upload.id).await? {
            return answer_existing(&state, material).await;
        }
    }
    let building = upload.building.as_deref();
    if !same_file
        || manifest
            .building
            .as_deref()
            .map(str::trim)
            .filter(|b| !b.is_empty())
            != building
        || manifest.kind.trim() != upload.kind
        || project_material::sanitize_name(&manifest.name) != upload.name
    {
        return Err(err(
            StatusCode::BAD_REQUEST,
            "MATERIAL_MANIFEST_MISMATCH",
            "签名的材料清单与上传登记的项目、类型、文件名、大小或摘要不一致，中心未受理。请重新选择文件上传。",
        ));
    }
    let count = chunk_count(upload.size, upload.chunk_size);
    let bytes = match assemble(state.db.pool(), &upload.id, count).await? {
        Ok(bytes) => bytes,
        Err(missing) => {
            return Err(err(
                StatusCode::CONFLICT,
                "MATERIAL_INCOMPLETE",
                format!("中心还缺本文件的 {missing} 片（共 {count} 片）。请继续上传后再确认。"),
            ))
        }
    };
    let digest = hex::encode(ring::digest::digest(&ring::digest::SHA256, &bytes));
    if bytes.len() as u64 != upload.size || digest != upload.sha256 {
        discard(&state, &upload.id).await?;
        return Err(err(
            StatusCode::UNPROCESSABLE_ENTITY,
            "MATERIAL_DIGEST_MISMATCH",
            "中心收到的文件与登记的大小或 SHA-256 摘要不一致（文件在上传中被修改或损坏），未作记录，已收到的部分已删除。请重新上传该文件。",
        ));
    }
    let file_type = match project_material::sniff(&bytes) {
        Ok(t) => t,
        Err(issue) => {
            discard(&state, &upload.id).await?;
            return Err(refuse(StatusCode::UNPROCESSABLE_ENTITY, issue));
        }
    };

    let mut pending = match intake::begin(&state, &caller, &signed, BUSINESS, 1, false).await? {
        intake::Begun::New(p) => p,
        intake::Begun::Replayed(_) => {
            // The same signed manifest got there first: answer with the material it recorded.
            return match material_of_upload(state.db.pool(), &upload.id).await? {
                Some(m) => answer_existing(&state, m).await,
                None => Err(upload_unknown()),
            };
        }
    };
    // Re-checked under the developer's lock: two completions with different keys record one material.
    if material_of_upload(&mut *pending.tx, &upload.id).await?.is_some() {
        drop(pending);
        return match material_of_upload(state.db.pool(), &upload.id).await? {
            Some(m) => answer_existing(&state, m).await,
            None => Err(upload_unknown()),
        };
    }
    let material_id = next_id(&mut pending.tx, "project_material", "CL").await?;
    sqlx::query(
        "INSERT INTO project_materials (id, serial, upload_id, developer_account, project_id, building_id, kind, \
         name, file_type, size_bytes, sha256, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&material_id)
    .bind(pending.serial.clone())
    .bind(&upload.id)
    .bind(&caller.unit.facts.account)
    .bind(&upload.project)
    .bind(upload.building.clone())
    .bind(&upload.kind)
    .bind(&upload.name)
    .bind(file_type.code())
    .bind(i64::try_from(upload.size).unwrap_or(i64::MAX))
    .bind(&upload.sha256)
    .bind(now(&state))
    .execute(&mut *pending.tx)
    .await?;
    let serial = pending.serial.clone();
    // `commit` answers with the bare receipt; this route answers with the material as well.
    intake::commit(pending).await?;
    let material = material_of_upload(state.db.pool(), &upload.id)
        .await?
        .ok_or_else(upload_unknown)?;
    let receipt = receipt_of(&state, &serial).await?;
    Ok((
        StatusCode::CREATED,
        Json(MaterialReceipt {
            material,
            receipt,
            existing: false,
        }),
    )
        .into_response())
}

/// `GET /api/v1/project_material?project=XM…`: the project's materials, oldest first.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Vec<Material>>, HttpError> {
    require_reader(&caller)?;
    let project = query
        .get("project")
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .ok_or_else(|| {
            err(
                StatusCode::BAD_REQUEST,
                "MATERIAL_PROJECT_REQUIRED",
                "请指定项目编号（?project=XM…）。",
            )
        })?;
    check_project(&state, &caller, &project, true).await?;
    let rows = sqlx::query(&format!(
        "SELECT {MATERIAL_COLUMNS} FROM project_materials m JOIN submissions s ON s.serial = m.serial \
         WHERE m.project_id = $1 ORDER BY m.id"
    ))
    .bind(&project)
    .fetch_all(state.db.pool())
    .await?;
    let materials = rows
        .iter()
        .map(material_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(materials))
}

/// `GET /api/v1/project_material/{id}/content`: the file's bytes, as recorded.
pub async fn content(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    require_reader(&caller)?;
    let row = sqlx::query("SELECT project_id, upload_id FROM project_materials WHERE id = $1")
        .bind(&id)
        .fetch_optional(state.db.pool())
        .await?;
    let Some(row) = row else {
        return Err(material_unknown(&id));
    };
    let project: String = row.try_get("project_id")?;
    let upload_id: String = row.try_get("upload_id")?;
    // Another developer's material: the same answer as an unknown one.
    check_project(&state, &caller, &project, true)
        .await
        .map_err(|e| {
            if e.status == StatusCode::NOT_FOUND {
                material_unknown(&id)
            } else {
                e
            }
        })?;
    let material = material_of_upload(state.db.pool(), &upload_id)
        .await?
        .ok_or_else(|| material_unknown(&id))?;
    let count = chunk_count(material.size, CHUNK_SIZE);
    let bytes = assemble(state.db.pool(), &upload_id, count)
        .await?
        .map_err(|_| HttpError::from(sqlx::Error::RowNotFound))?;
    let mut resp = (StatusCode::OK, bytes).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(material.file_type.media_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&material.sha256) {
        h.insert("X-Gjj-Content-Sha256", v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename*=UTF-8''{}",
        percent_encode(&material.name)
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

/// RFC 5987 value: unreserved ASCII as is, every other byte %XX.
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Approving a 补充项目材料 changes no other data: the material is listed from the moment it is recorded, and
/// the submission's status (已办结) is the centre's acknowledgement that the document is in order [I].
pub async fn apply(_tx: &mut Transaction<'static, Any>, _serial: &str) -> Result<(), HttpError> {
    Ok(())
}
