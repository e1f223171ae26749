//! The local outbox and receipt store (SQLite through sqlx). Personal data — payloads, receipts, drafts — is
//! sealed with the user's [`Vault`] key before it is written (`secure_delete` zeroes what is overwritten), and a
//! payload is purged once the centre has finished its business and the retention period has passed. A batch
//! submission also keeps the grid it was made from ([`SubmittedSheet`], sealed the same way, purged with the
//! payload), so that 办理记录 can reopen it.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use gjj_domain::api::{Me, Receipt};
use gjj_domain::policy::Policy;
use gjj_sheets::Grid;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{Row, SqlitePool};
use time::format_description::well_known::Rfc3339;

use crate::vault::Vault;
use crate::ClientError;

/// Where an outbox entry stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutboxState {
    /// Written, not yet answered by the centre: will be (re)sent with the same idempotency key.
    Pending,
    /// The centre accepted it; the receipt is stored.
    Sent,
    /// The centre refused it (rules, certificate): not resent; the error is stored.
    Rejected,
}

impl OutboxState {
    /// pending | sent | rejected.
    pub fn code(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Sent => "sent",
            OutboxState::Rejected => "rejected",
        }
    }

    fn parse(code: &str) -> OutboxState {
        match code {
            "sent" => OutboxState::Sent,
            "rejected" => OutboxState::Rejected,
            _ => OutboxState::Pending,
        }
    }
}

/// One submission in the local store.
#[derive(Clone, Debug)]
pub struct OutboxEntry {
    /// The idempotency key, generated when the entry was written.
    pub idempotency_key: String,
    /// USCC of the unit that submitted it.
    pub unit_uscc: String,
    /// Business name (route name).
    pub business: String,
    /// The exact JSON bytes that are signed and sent.
    pub payload: String,
    /// Rows in the payload.
    pub row_count: u32,
    /// State.
    pub state: OutboxState,
    /// Send attempts so far.
    pub attempts: u32,
    /// Last error (code: message), when any.
    pub last_error: Option<String>,
    /// The receipt, once sent.
    pub receipt: Option<Receipt>,
    /// When it was written (RFC 3339).
    pub created_at: String,
    /// When the payload was purged after the retention period (`payload` is then empty; the receipt stays).
    pub purged_at: Option<String>,
    /// The grid it was made from is kept ([`Outbox::sheet`]): a batch submission whose payload is not purged.
    pub has_sheet: bool,
}

/// The sheet a batch submission was made from, as the desktop grid held it when it was submitted (see
/// migrations/0004_submitted_sheets.sql).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SubmittedSheet {
    /// Business code.
    pub business: String,
    /// The name of the file it was imported from (shown; the file itself may be gone).
    pub file_name: String,
    /// The grid, with the fixes made in the app.
    pub grid: Grid,
}

/// The centre's facts cached at the last login, for offline checks.
#[derive(Clone, Debug)]
pub struct CachedContext {
    /// `GET /me` answer.
    pub me: Me,
    /// `GET /policy` answer.
    pub policy: Policy,
    /// When fetched (RFC 3339).
    pub fetched_at: String,
}

/// Work saved without sending (see migrations/0002_drafts.sql).
#[derive(Clone, Debug, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Draft {
    /// Its id.
    pub id: String,
    /// Business code.
    pub business: String,
    /// What the clerk called it.
    pub title: String,
    /// A form's fields, or `{file}` for a sheet.
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub data: serde_json::Value,
    /// Last saved (RFC 3339).
    pub updated_at: String,
}

/// The local store.
#[derive(Clone, Debug)]
pub struct Outbox {
    pool: SqlitePool,
    vault: Arc<Vault>,
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

impl Outbox {
    /// Opens (creating) the store file with the current user's key ([`Vault::for_user`]).
    pub async fn open(path: &Path) -> Result<Outbox, ClientError> {
        Outbox::open_with(path, Arc::new(Vault::for_user()?)).await
    }

    /// Opens (creating) the store file, applies migrations and seals what an older client left plain.
    pub async fn open_with(path: &Path, vault: Arc<Vault>) -> Result<Outbox, ClientError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| ClientError::Store(format!("{}: {e}", dir.display())))?;
        }
        let options = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(std::time::Duration::from_secs(10))
            // What is overwritten or deleted is zeroed, not left in free pages.
            .pragma("secure_delete", "ON");
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        let outbox = Outbox { pool, vault };
        outbox.seal_plain_rows().await?;
        Ok(outbox)
    }

    /// The store's key (for the doctor).
    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    /// Seals the payloads, receipts and drafts an older client wrote in plain text; then compacts the file
    /// so that no old page keeps them.
    async fn seal_plain_rows(&self) -> Result<(), ClientError> {
        // Done once per store: every value written since is sealed, so later opens skip the scan of every row.
        let version: i64 = sqlx::query_scalar("PRAGMA user_version")
            .fetch_one(&self.pool)
            .await?;
        if version >= SEALED_STORE_VERSION {
            return Ok(());
        }
        let mut sealed = 0usize;
        let rows = sqlx::query(
            "SELECT idempotency_key, payload, receipt FROM outbox \
             WHERE (payload <> '' AND payload NOT LIKE 'gjj1:%') OR (receipt IS NOT NULL AND receipt NOT LIKE 'gjj1:%')",
        )
        .fetch_all(&self.pool)
        .await?;
        for r in &rows {
            let key: String = r.try_get("idempotency_key")?;
            let payload: String = r.try_get("payload")?;
            let receipt: Option<String> = r.try_get("receipt")?;
            let payload = if payload.is_empty() || Vault::is_sealed(&payload) {
                payload
            } else {
                self.vault.seal(&payload_context(&key), &payload)?
            };
            let receipt = match receipt {
                Some(r) if !Vault::is_sealed(&r) => Some(self.vault.seal(&receipt_context(&key), &r)?),
                other => other,
            };
            sqlx::query("UPDATE outbox SET payload = ?, receipt = ? WHERE idempotency_key = ?")
                .bind(payload)
                .bind(receipt)
                .bind(&key)
                .execute(&self.pool)
                .await?;
            sealed += 1;
        }
        let drafts = sqlx::query("SELECT id, data FROM drafts WHERE data NOT LIKE 'gjj1:%'")
            .fetch_all(&self.pool)
            .await?;
        for r in &drafts {
            let id: String = r.try_get("id")?;
            let data: String = r.try_get("data")?;
            sqlx::query("UPDATE drafts SET data = ? WHERE id = ?")
                .bind(self.vault.seal(&draft_context(&id), &data)?)
                .bind(&id)
                .execute(&self.pool)
                .await?;
            sealed += 1;
        }
        sqlx::query(&format!("PRAGMA user_version = {SEALED_STORE_VERSION}"))
            .execute(&self.pool)
            .await?;
        if sealed > 0 {
            sqlx::query("VACUUM").execute(&self.pool).await?;
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.pool)
                .await?;
            tracing::info!(rows = sealed, "local store: plain rows sealed");
        }
        Ok(())
    }

    /// Notes when the centre finished these submissions (by 业务流水号); the retention period runs from then.
    pub async fn record_finished(&self, serials: &[String]) -> Result<(), ClientError> {
        if serials.is_empty() {
            return Ok(());
        }
        // One statement for the whole list: the home screen passes every submission it shows, on each refresh.
        sqlx::query(
            "UPDATE outbox SET finished_at = ? \
             WHERE finished_at IS NULL AND serial IN (SELECT value FROM json_each(?))",
        )
        .bind(now())
        .bind(to_json(&serials)?)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Purges the payload of every submission the centre finished at least `retention_days` before `now`;
    /// the receipt (with the signed payload's SHA-256) stays. Returns how many were purged.
    pub async fn purge_finished(
        &self,
        now: time::OffsetDateTime,
        retention_days: u32,
    ) -> Result<u64, ClientError> {
        let cutoff = (now - time::Duration::days(i64::from(retention_days)))
            .format(&Rfc3339)
            .unwrap_or_default();
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE outbox SET payload = '', purged_at = ? \
             WHERE state = 'sent' AND finished_at IS NOT NULL AND finished_at <= ? AND purged_at IS NULL",
        )
        .bind(now.format(&Rfc3339).unwrap_or_default())
        .bind(cutoff)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        // The grid holds the same people as the payload: a purged entry keeps no grid (same transaction).
        sqlx::query(
            "DELETE FROM outbox_sheets WHERE idempotency_key IN \
             (SELECT idempotency_key FROM outbox WHERE purged_at IS NOT NULL)",
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        if done > 0 {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.pool)
                .await?;
            tracing::info!(
                purged = done,
                retention_days,
                "local store: finished payloads purged"
            );
        }
        Ok(done)
    }

    /// Writes a new pending entry — before anything is sent.
    pub async fn write(
        &self,
        unit_uscc: &str,
        business: &str,
        payload: &str,
        row_count: u32,
    ) -> Result<OutboxEntry, ClientError> {
        self.write_with_sheet(unit_uscc, business, payload, row_count, None)
            .await
    }

    /// [`Outbox::write`], keeping the sheet a batch submission was made from beside it (sealed, one
    /// transaction: an entry never lacks the sheet it was written with).
    pub async fn write_with_sheet(
        &self,
        unit_uscc: &str,
        business: &str,
        payload: &str,
        row_count: u32,
        sheet: Option<&SubmittedSheet>,
    ) -> Result<OutboxEntry, ClientError> {
        let key = uuid::Uuid::new_v4().to_string();
        let created_at = now();
        // Sealed before the transaction: a large grid is not serialised while the store is locked.
        let sealed_sheet = match sheet {
            Some(sheet) => Some(self.vault.seal(&sheet_context(&key), &to_json(sheet)?)?),
            None => None,
        };
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO outbox (idempotency_key, unit_uscc, business, payload, row_count, state, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)",
        )
        .bind(&key)
        .bind(unit_uscc)
        .bind(business)
        .bind(self.vault.seal(&payload_context(&key), payload)?)
        .bind(i64::from(row_count))
        .bind(&created_at)
        .bind(&created_at)
        .execute(&mut *tx)
        .await?;
        if let Some(sealed) = &sealed_sheet {
            sqlx::query("INSERT INTO outbox_sheets (idempotency_key, sheet) VALUES (?, ?)")
                .bind(&key)
                .bind(sealed)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(OutboxEntry {
            idempotency_key: key,
            unit_uscc: unit_uscc.to_owned(),
            business: business.to_owned(),
            payload: payload.to_owned(),
            row_count,
            state: OutboxState::Pending,
            attempts: 0,
            last_error: None,
            receipt: None,
            created_at,
            purged_at: None,
            has_sheet: sealed_sheet.is_some(),
        })
    }

    /// The sheet kept with entry `key` ([`Outbox::write_with_sheet`]); `None` when it had none or it was purged.
    pub async fn sheet(&self, key: &str) -> Result<Option<SubmittedSheet>, ClientError> {
        let sealed: Option<String> =
            sqlx::query_scalar("SELECT sheet FROM outbox_sheets WHERE idempotency_key = ?")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
        let Some(sealed) = sealed else {
            return Ok(None);
        };
        let json = self.vault.open(&sheet_context(key), &sealed)?;
        serde_json::from_str(&json)
            .map(Some)
            .map_err(|e| ClientError::Store(e.to_string()))
    }

    /// Marks an entry sent, with its receipt.
    pub async fn mark_sent(&self, key: &str, receipt: &Receipt) -> Result<(), ClientError> {
        let json = self.vault.seal(&receipt_context(key), &to_json(receipt)?)?;
        sqlx::query(
            "UPDATE outbox SET state = 'sent', attempts = attempts + 1, serial = ?, receipt = ?, last_error = NULL, \
             updated_at = ? WHERE idempotency_key = ?",
        )
        .bind(&receipt.serial)
        .bind(json)
        .bind(now())
        .bind(key)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records a send attempt that did not get an answer: the entry stays pending.
    pub async fn attempt_failed(&self, key: &str, error: &ClientError) -> Result<(), ClientError> {
        self.record_error(key, OutboxState::Pending, error).await
    }

    /// Marks an entry refused by the centre (not resent).
    pub async fn mark_rejected(&self, key: &str, error: &ClientError) -> Result<(), ClientError> {
        self.record_error(key, OutboxState::Rejected, error).await
    }

    async fn record_error(
        &self,
        key: &str,
        state: OutboxState,
        error: &ClientError,
    ) -> Result<(), ClientError> {
        sqlx::query(
            "UPDATE outbox SET state = ?, attempts = attempts + 1, last_error = ?, updated_at = ? WHERE idempotency_key = ?",
        )
        .bind(state.code())
        // The centre's words may quote a row: no full 身份证 number is kept.
        .bind(gjj_domain::ids::mask_id_numbers_in(&format!("{}: {error}", error.code())))
        .bind(now())
        .bind(key)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Entries of a unit in a state, oldest first.
    pub async fn entries(
        &self,
        unit_uscc: &str,
        state: Option<OutboxState>,
    ) -> Result<Vec<OutboxEntry>, ClientError> {
        let rows = sqlx::query(&format!(
            "{ENTRY_COLUMNS} WHERE unit_uscc = ? AND (? IS NULL OR state = ?) ORDER BY created_at, rowid"
        ))
        .bind(unit_uscc)
        .bind(state.map(OutboxState::code))
        .bind(state.map(OutboxState::code))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| self.entry_of(r)).collect()
    }

    /// A unit's entry by its idempotency key or its 业务流水号.
    pub async fn entry(&self, unit_uscc: &str, id: &str) -> Result<Option<OutboxEntry>, ClientError> {
        let row = sqlx::query(&format!(
            "{ENTRY_COLUMNS} WHERE unit_uscc = ? AND (idempotency_key = ? OR serial = ?) \
             ORDER BY created_at DESC LIMIT 1"
        ))
        .bind(unit_uscc)
        .bind(id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(|r| self.entry_of(r)).transpose()
    }

    fn entry_of(&self, r: &sqlx::sqlite::SqliteRow) -> Result<OutboxEntry, ClientError> {
        let key: String = r.try_get("idempotency_key")?;
        let receipt = match r.try_get::<Option<String>, _>("receipt")? {
            Some(sealed) => Some(self.vault.open(&receipt_context(&key), &sealed)?),
            None => None,
        };
        let payload: String = r.try_get("payload")?;
        let payload = self.vault.open(&payload_context(&key), &payload)?;
        Ok(OutboxEntry {
            idempotency_key: key,
            unit_uscc: r.try_get("unit_uscc")?,
            business: r.try_get("business")?,
            payload,
            row_count: u32::try_from(r.try_get::<i64, _>("row_count")?).unwrap_or_default(),
            state: OutboxState::parse(&r.try_get::<String, _>("state")?),
            attempts: u32::try_from(r.try_get::<i64, _>("attempts")?).unwrap_or_default(),
            last_error: r.try_get("last_error")?,
            receipt: receipt.and_then(|j| serde_json::from_str(&j).ok()),
            created_at: r.try_get("created_at")?,
            purged_at: r.try_get("purged_at")?,
            has_sheet: r.try_get::<i64, _>("has_sheet")? != 0,
        })
    }

    /// Saves a draft (new when `id` is `None`); returns it.
    pub async fn save_draft(
        &self,
        unit_uscc: &str,
        id: Option<&str>,
        business: &str,
        title: &str,
        data: &serde_json::Value,
    ) -> Result<Draft, ClientError> {
        let id = id.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
        let updated_at = now();
        sqlx::query(
            "INSERT INTO drafts (id, unit_uscc, business, title, data, updated_at) VALUES (?, ?, ?, ?, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET business = excluded.business, title = excluded.title, \
             data = excluded.data, updated_at = excluded.updated_at",
        )
        .bind(&id)
        .bind(unit_uscc)
        .bind(business)
        .bind(title)
        .bind(self.vault.seal(&draft_context(&id), &data.to_string())?)
        .bind(&updated_at)
        .execute(&self.pool)
        .await?;
        Ok(Draft {
            id,
            business: business.to_owned(),
            title: title.to_owned(),
            data: data.clone(),
            updated_at,
        })
    }

    /// A unit's drafts, newest first.
    pub async fn drafts(&self, unit_uscc: &str) -> Result<Vec<Draft>, ClientError> {
        let rows = sqlx::query(
            "SELECT id, business, title, data, updated_at FROM drafts WHERE unit_uscc = ? ORDER BY updated_at DESC",
        )
        .bind(unit_uscc)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                let data = self
                    .vault
                    .open(&draft_context(&id), &r.try_get::<String, _>("data")?)?;
                Ok(Draft {
                    id,
                    business: r.try_get("business")?,
                    title: r.try_get("title")?,
                    data: serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
                    updated_at: r.try_get("updated_at")?,
                })
            })
            .collect()
    }

    /// Deletes a unit's draft.
    pub async fn delete_draft(&self, unit_uscc: &str, id: &str) -> Result<(), ClientError> {
        sqlx::query("DELETE FROM drafts WHERE unit_uscc = ? AND id = ?")
            .bind(unit_uscc)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Stores what the centre said at login.
    pub async fn cache_context(&self, me: &Me, policy: &Policy) -> Result<(), ClientError> {
        sqlx::query(
            "INSERT INTO context_cache (unit_uscc, me, policy, fetched_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (unit_uscc) DO UPDATE SET me = excluded.me, policy = excluded.policy, fetched_at = excluded.fetched_at",
        )
        .bind(&me.unit.uscc)
        .bind(to_json(me)?)
        .bind(to_json(policy)?)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The context cached for a unit, when any.
    pub async fn cached_context(&self, unit_uscc: &str) -> Result<Option<CachedContext>, ClientError> {
        let row = sqlx::query("SELECT me, policy, fetched_at FROM context_cache WHERE unit_uscc = ?")
            .bind(unit_uscc)
            .fetch_optional(&self.pool)
            .await?;
        Self::context_of(row)
    }

    /// The context cached at the latest login on this PC, whichever unit it was.
    pub async fn latest_cached_context(&self) -> Result<Option<CachedContext>, ClientError> {
        let row =
            sqlx::query("SELECT me, policy, fetched_at FROM context_cache ORDER BY fetched_at DESC LIMIT 1")
                .fetch_optional(&self.pool)
                .await?;
        Self::context_of(row)
    }

    fn context_of(row: Option<sqlx::sqlite::SqliteRow>) -> Result<Option<CachedContext>, ClientError> {
        let Some(row) = row else { return Ok(None) };
        let me: String = row.try_get("me")?;
        let policy: String = row.try_get("policy")?;
        let parse = |e: serde_json::Error| ClientError::Store(e.to_string());
        Ok(Some(CachedContext {
            me: serde_json::from_str(&me).map_err(parse)?,
            policy: serde_json::from_str(&policy).map_err(parse)?,
            fetched_at: row.try_get("fetched_at")?,
        }))
    }
}

/// The columns of an [`OutboxEntry`] (whether a sheet is kept, without reading it).
const ENTRY_COLUMNS: &str =
    "SELECT idempotency_key, unit_uscc, business, payload, row_count, state, attempts, \
     last_error, receipt, created_at, purged_at, \
     EXISTS (SELECT 1 FROM outbox_sheets s WHERE s.idempotency_key = outbox.idempotency_key) AS has_sheet \
     FROM outbox";

/// `PRAGMA user_version` of a store whose rows are all sealed (0: written by a client before sealing).
const SEALED_STORE_VERSION: i64 = 1;

/// The row a sealed value belongs to (the AEAD's associated data).
fn payload_context(key: &str) -> String {
    format!("outbox/{key}/payload")
}

fn receipt_context(key: &str) -> String {
    format!("outbox/{key}/receipt")
}

fn sheet_context(key: &str) -> String {
    format!("outbox/{key}/sheet")
}

fn draft_context(id: &str) -> String {
    format!("drafts/{id}/data")
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, ClientError> {
    serde_json::to_string(value).map_err(|e| ClientError::Store(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A batch submission's grid is kept sealed beside its entry, reads back exactly (typed cells, fixes made in
    /// the app), and goes when the payload is purged.
    #[tokio::test]
    async fn a_submitted_sheet_is_sealed_and_purged_with_its_payload() {
        use gjj_sheets::CellKind;
        let dir = tempfile::tempdir().unwrap();
        let vault = Arc::new(Vault::at(&dir.path().join("store.key")).unwrap());
        let path = dir.path().join("outbox.sqlite");
        let outbox = Outbox::open_with(&path, vault).await.unwrap();
        let uscc = "91430405MA4PYC0138";
        let mut grid = Grid::new(vec!["姓名".into(), "身份证号".into(), "基数".into()], Some(3));
        grid.push_row(
            4,
            [
                ("欧阳表格", CellKind::Text),
                ("430405199506070011", CellKind::Text),
                ("5000", CellKind::Number(5000.0)),
            ],
        );
        grid.push_row(5, [("李四", CellKind::Text)]);
        assert!(grid.set(5, "基数", "6000.00"));
        let sheet = SubmittedSheet {
            business: "base_adjustment".into(),
            file_name: "基数调整.xlsx".into(),
            grid,
        };
        let plain = outbox.write("other-unit", "seal", "{}", 1).await.unwrap();
        assert!(!plain.has_sheet);
        let entry = outbox
            .write_with_sheet(uscc, "base_adjustment", "{}", 2, Some(&sheet))
            .await
            .unwrap();
        assert!(entry.has_sheet);
        let key = entry.idempotency_key.clone();
        assert_eq!(outbox.sheet(&key).await.unwrap(), Some(sheet.clone()));
        assert!(outbox.sheet(&plain.idempotency_key).await.unwrap().is_none());
        assert!(outbox.entries(uscc, None).await.unwrap()[0].has_sheet);
        assert!(
            outbox.entry("other-unit", &key).await.unwrap().is_none(),
            "another unit's entry is not found"
        );

        let receipt: Receipt = serde_json::from_value(serde_json::json!({
            "serial": "JS2026000001", "business": "base_adjustment", "unit_account": "A1", "unit_name": "单位",
            "accepted_rows": 2, "payload_sha256": "00", "signature_alg": "cms", "certificate_serial": "01",
            "idempotency_key": key, "received_at": now(),
        }))
        .unwrap();
        outbox.mark_sent(&key, &receipt).await.unwrap();
        let by_serial = outbox.entry(uscc, "JS2026000001").await.unwrap().unwrap();
        assert_eq!(by_serial.idempotency_key, key);
        outbox
            .record_finished(&["JS2026000001".to_owned()])
            .await
            .unwrap();
        let now = time::OffsetDateTime::now_utc();
        assert_eq!(outbox.purge_finished(now, 30).await.unwrap(), 0);
        assert!(
            outbox.sheet(&key).await.unwrap().is_some(),
            "kept within the period"
        );
        let later = now + time::Duration::days(31);
        assert_eq!(outbox.purge_finished(later, 30).await.unwrap(), 1);
        assert!(
            outbox.sheet(&key).await.unwrap().is_none(),
            "purged with the payload"
        );
        assert!(!outbox.entry(uscc, &key).await.unwrap().unwrap().has_sheet);
        outbox.pool.close().await;
        for file in std::fs::read_dir(dir.path()).unwrap().flatten() {
            let Ok(bytes) = std::fs::read(file.path()) else {
                continue;
            };
            for needle in ["430405199506070011", "欧阳表格"] {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                    "{} keeps {needle}",
                    file.path().display()
                );
            }
        }
    }

    /// A store an older client wrote in plain text is sealed when this one opens it, and no page of the file
    /// keeps the plain text.
    #[tokio::test]
    async fn a_plain_store_from_an_older_client_is_sealed_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Arc::new(Vault::at(&dir.path().join("store.key")).unwrap());
        let path = dir.path().join("outbox.sqlite");
        let plain = r#"{"rows":[{"name":"欧阳旧存","id_number":"430405199506070011"}]}"#;
        {
            let outbox = Outbox::open_with(&path, vault.clone()).await.unwrap();
            let entry = outbox
                .write("91430405MA4PYC0138", "base_adjustment", plain, 1)
                .await
                .unwrap();
            outbox
                .save_draft(
                    "91430405MA4PYC0138",
                    Some("d1"),
                    "seal",
                    "旧草稿",
                    &serde_json::json!({"name": "欧阳旧存"}),
                )
                .await
                .unwrap();
            // What a client before sealing left: the same rows in plain text.
            sqlx::query("UPDATE outbox SET payload = ? WHERE idempotency_key = ?")
                .bind(plain)
                .bind(&entry.idempotency_key)
                .execute(&outbox.pool)
                .await
                .unwrap();
            sqlx::query("UPDATE drafts SET data = ?")
                .bind(r#"{"name":"欧阳旧存"}"#)
                .execute(&outbox.pool)
                .await
                .unwrap();
            // An older client's store never had its rows sealed.
            sqlx::query("PRAGMA user_version = 0")
                .execute(&outbox.pool)
                .await
                .unwrap();
            outbox.pool.close().await;
        }
        let outbox = Outbox::open_with(&path, vault).await.unwrap();
        let entries = outbox.entries("91430405MA4PYC0138", None).await.unwrap();
        assert_eq!(
            entries[0].payload, plain,
            "the payload reads back exactly (it is what was signed)"
        );
        assert_eq!(
            outbox.drafts("91430405MA4PYC0138").await.unwrap()[0].data["name"],
            "欧阳旧存"
        );
        outbox.pool.close().await;
        for file in std::fs::read_dir(dir.path()).unwrap().flatten() {
            // SQLite may still be removing its -wal / -shm after the close: a file that is gone holds nothing.
            let Ok(bytes) = std::fs::read(file.path()) else {
                continue;
            };
            for needle in ["430405199506070011", "欧阳旧存"] {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                    "{} keeps {needle}",
                    file.path().display()
                );
            }
        }
    }
}
