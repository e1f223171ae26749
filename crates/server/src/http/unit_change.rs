//! `GET /api/v1/unit` (the unit's record as the centre holds it) and `POST /api/v1/unit_change` (单位信息变更: a
//! signed diff, re-checked against the centre's own record and stored whole or not at all). Approval writes the
//! new values in the review transaction, after checking once more that nobody changed them meanwhile.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use gjj_domain::api::Role;
use gjj_domain::unit_change::{self, FieldKey, UnitChange, UnitDetails, UnitField};
use sqlx::{Any, Row, Transaction};

use super::{intake, AppState, Caller, HttpError};

/// The business name in every layer.
pub const BUSINESS: &str = "unit_change";

/// Fields kept in `units` itself (0001); every other field is a column of `unit_details` named by its key.
fn in_units(field: UnitField) -> bool {
    matches!(field, UnitField::Name | UnitField::Address)
}

fn detail_fields() -> impl Iterator<Item = UnitField> {
    UnitField::ALL.iter().copied().filter(|f| !in_units(*f))
}

/// The unit's record: `units` joined with its `unit_details` row (absent for a unit never given details).
///
/// Column names come from [`UnitField::key`] — constants of our own, never input — so building the SQL text is
/// safe.
async fn load<'c, E>(exec: E, account: &str) -> Result<Option<UnitDetails>, sqlx::Error>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    let columns: Vec<String> = detail_fields().map(|f| format!("d.{}", f.key())).collect();
    let sql = format!(
        "SELECT u.account, u.uscc, u.name, u.address, {} FROM units u \
         LEFT JOIN unit_details d ON d.unit_account = u.account WHERE u.account = $1",
        columns.join(", ")
    );
    let Some(row) = sqlx::query(&sql).bind(account).fetch_optional(exec).await? else {
        return Ok(None);
    };
    let mut details = UnitDetails {
        account: row.try_get("account")?,
        uscc: row.try_get("uscc")?,
        ..UnitDetails::default()
    };
    for &field in UnitField::ALL {
        let value: Option<String> = row.try_get(field.key())?;
        details.set(field, value);
    }
    Ok(Some(details))
}

fn internal() -> HttpError {
    HttpError::from(sqlx::Error::RowNotFound)
}

/// `GET /api/v1/unit`: the caller's unit record — identity (read only) and the changeable fields. Any hall may
/// read its own record; only employers change it here (a developer's record changes by 房开变更).
pub async fn show(State(state): State<AppState>, caller: Caller) -> Result<Json<UnitDetails>, HttpError> {
    load(state.db.pool(), &caller.unit.facts.account)
        .await?
        .map(Json)
        .ok_or_else(internal)
}

fn stale(field: UnitField) -> HttpError {
    HttpError::new(
        StatusCode::CONFLICT,
        "UNIT_CHANGE_STALE",
        format!(
            "{}在中心已被变更，与本次变更的原值不一致。请重新获取单位信息（gjj unit show）后再提交。",
            field.label()
        ),
    )
}

/// Accepts a signed 单位信息变更.
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
    let payload: UnitChange = intake::payload(&signed)?;
    let account = &caller.unit.facts.account;
    let current = load(state.db.pool(), account).await?.ok_or_else(internal)?;
    // The same rules the client ran, against the centre's record: a stale `old` is refused here.
    let checked = unit_change::check(&payload, &current, state.today());
    if let Some(serial) = state.db.open_submission(account, BUSINESS).await? {
        return Err(intake::open_business(&serial));
    }
    let valid = checked.map_err(HttpError::rules)?;
    let rows = u32::try_from(valid.len()).unwrap_or(u32::MAX);
    let mut pending = match intake::begin(&state, &caller, &signed, BUSINESS, rows, true).await? {
        intake::Begun::New(p) => p,
        intake::Begun::Replayed(resp) => return Ok(resp),
    };
    // Under the unit lock: an approval committed between our read and the lock would make `old` stale.
    let locked = load(&mut *pending.tx, account).await?.ok_or_else(internal)?;
    if let Some(change) = valid.iter().find(|c| locked.get(c.field) != c.old.as_deref()) {
        return Err(stale(change.field));
    }
    const COLUMNS: usize = 5;
    let sql = format!(
        "INSERT INTO unit_change_rows (serial, row_no, field, old_value, new_value) VALUES {}",
        crate::db::values_placeholders(valid.len(), COLUMNS)
    );
    let mut q = sqlx::query(&sql);
    for (i, change) in valid.iter().enumerate() {
        q = q
            .bind(pending.serial.clone())
            .bind(i64::try_from(i + 1).unwrap_or(i64::MAX))
            .bind(change.field.key())
            .bind(change.old.clone())
            .bind(change.new.clone());
    }
    q.execute(&mut *pending.tx).await?;
    intake::commit(pending).await
}

/// Writes one field of a unit's record (inside the caller's transaction).
async fn write(
    tx: &mut Transaction<'static, Any>,
    account: &str,
    field: UnitField,
    value: Option<&str>,
) -> Result<(), sqlx::Error> {
    let sql = if in_units(field) {
        format!("UPDATE units SET {} = $1 WHERE account = $2", field.key())
    } else {
        format!(
            "UPDATE unit_details SET {} = $1 WHERE unit_account = $2",
            field.key()
        )
    };
    sqlx::query(&sql)
        .bind(value.map(str::to_owned))
        .bind(account)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Applies an approved 单位信息变更 to the unit's record. Refused (and the whole approval rolled back) when a
/// field no longer holds the value the change was made against: staff should return the submission.
pub async fn apply(tx: &mut Transaction<'static, Any>, serial: &str, account: &str) -> Result<(), HttpError> {
    let rows = sqlx::query(
        "SELECT field, old_value, new_value FROM unit_change_rows WHERE serial = $1 ORDER BY row_no",
    )
    .bind(serial)
    .fetch_all(&mut **tx)
    .await?;
    let current = load(&mut **tx, account).await?.ok_or_else(internal)?;
    let mut changes = Vec::with_capacity(rows.len());
    for row in &rows {
        let key: String = row.try_get("field")?;
        let FieldKey::Field(field) = UnitField::lookup(&key) else {
            return Err(internal());
        };
        let old: Option<String> = row.try_get("old_value")?;
        if current.get(field) != old.as_deref() {
            let mut e = stale(field);
            e.body.message = format!(
                "{}在受理后已被变更，与本业务的原值不一致，不能办结。请退回本业务，请单位重新获取单位信息后再提交。",
                field.label()
            );
            return Err(e);
        }
        changes.push((field, row.try_get::<Option<String>, _>("new_value")?));
    }
    if changes.iter().any(|(f, _)| !in_units(*f)) {
        sqlx::query(
            "INSERT INTO unit_details (unit_account) VALUES ($1) ON CONFLICT (unit_account) DO NOTHING",
        )
        .bind(account)
        .execute(&mut **tx)
        .await?;
    }
    for (field, new) in &changes {
        write(tx, account, *field, new.as_deref()).await?;
    }
    Ok(())
}

/// Seeds a unit's `unit_details` row from demo data (`[unit.details]` of seed/demo.toml), each value checked and
/// normalised by gjj-domain, so the demo record obeys the rules a change must obey.
pub(crate) async fn seed_details(
    tx: &mut Transaction<'static, Any>,
    account: &str,
    details: &BTreeMap<String, String>,
) -> anyhow::Result<()> {
    if details.is_empty() {
        return Ok(());
    }
    let mut values: Vec<(UnitField, String)> = Vec::new();
    for (key, value) in details {
        let field = match UnitField::lookup(key) {
            FieldKey::Field(f) if !in_units(f) => f,
            _ => anyhow::bail!("seed/demo.toml: unit {account}: unknown detail field {key}"),
        };
        let normalised = field
            .validate(value)
            .map_err(|e| anyhow::anyhow!("seed/demo.toml: unit {account}: {e}"))?;
        values.push((field, normalised));
    }
    let columns: Vec<&str> = values.iter().map(|(f, _)| f.key()).collect();
    let sql = format!(
        "INSERT INTO unit_details (unit_account, {}) VALUES {}",
        columns.join(", "),
        crate::db::values_placeholders(1, values.len() + 1)
    );
    let mut q = sqlx::query(&sql).bind(account.to_owned());
    for (_, v) in values {
        q = q.bind(v);
    }
    q.execute(&mut **tx).await?;
    Ok(())
}
