//! The audit log: who was refused what, when and why, in the gateway's database (`audit_events`), queried with
//! `gjj-server audit`.
//!
//! Events go through a bounded queue to one writer task that stores them in batches, so a flood of refusals
//! (a scanner, a slowloris) costs the database one INSERT per batch and never slows an answer; what does not
//! fit in the queue is counted (`gjj_audit_dropped_total`) instead of stored.

use std::time::Duration;

use serde::Serialize;
use sqlx::Row;
use time::format_description::well_known::Rfc3339;
use tokio::sync::mpsc;

use crate::db::{values_placeholders, Db};

/// One refusal.
#[derive(Clone, Debug, Serialize)]
pub struct AuditEvent {
    /// Which listener ("api").
    pub listener: &'static str,
    /// The client's address.
    pub remote: String,
    /// Stable code (CERT_EXPIRED, ROLE_FORBIDDEN, RATE_LIMITED…).
    pub code: String,
    /// HTTP status; none for a refused handshake.
    pub status: Option<u16>,
    /// HTTP method.
    pub method: Option<String>,
    /// The route pattern (`/api/v1/review/{serial}/approve`), never a URL with values in it.
    pub route: Option<String>,
    /// Certificate serial, hex.
    pub cert_serial: Option<String>,
    /// Certificate subject.
    pub cert_subject: Option<String>,
    /// 统一社会信用代码 of the certificate.
    pub uscc: Option<String>,
    /// Why, in a line: the message the client got, or the TLS error (ID numbers masked).
    pub detail: String,
}

/// A stored event, as `gjj-server audit` prints it.
#[derive(Clone, Debug, Serialize)]
pub struct StoredEvent {
    /// When (UTC, RFC 3339).
    pub at: String,
    /// The event.
    #[serde(flatten)]
    pub event: StoredFields,
}

/// The stored columns.
#[derive(Clone, Debug, Serialize)]
pub struct StoredFields {
    /// See [`AuditEvent`].
    pub listener: String,
    /// See [`AuditEvent`].
    pub remote: String,
    /// See [`AuditEvent`].
    pub code: String,
    /// See [`AuditEvent`].
    pub status: Option<i64>,
    /// See [`AuditEvent`].
    pub method: Option<String>,
    /// See [`AuditEvent`].
    pub route: Option<String>,
    /// See [`AuditEvent`].
    pub cert_serial: Option<String>,
    /// See [`AuditEvent`].
    pub cert_subject: Option<String>,
    /// See [`AuditEvent`].
    pub uscc: Option<String>,
    /// The unit registered under the certificate's USCC, when there is one.
    pub unit_account: Option<String>,
    /// See [`AuditEvent`].
    pub detail: String,
}

const QUEUE: usize = 10_000;
const BATCH: usize = 256;
const COLUMNS: &str =
    "at, listener, remote, code, status, method, route, cert_serial, cert_subject, uscc, detail";

/// The sending side; cheap to clone.
#[derive(Clone, Debug)]
pub struct AuditLog {
    tx: mpsc::Sender<(String, AuditEvent)>,
}

impl AuditLog {
    /// Starts the writer task on `db`.
    pub fn start(db: Db) -> AuditLog {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(writer(db, rx));
        AuditLog { tx }
    }

    /// Queues an event; never waits.
    pub fn record(&self, mut event: AuditEvent) {
        event.detail = gjj_domain::ids::mask_id_numbers_in(&event.detail);
        let at = time::OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_default();
        metrics::counter!("gjj_audit_events_total", "code" => event.code.clone()).increment(1);
        if self.tx.try_send((at, event)).is_err() {
            metrics::counter!("gjj_audit_dropped_total").increment(1);
        }
    }
}

async fn writer(db: Db, mut rx: mpsc::Receiver<(String, AuditEvent)>) {
    let mut batch = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        // A database that is down for a moment (a restart) must not lose the batch: retry a few times.
        for attempt in 0..5u32 {
            match store(&db, &batch).await {
                Ok(()) => break,
                Err(e) => {
                    tracing::warn!(error = %e, attempt, events = batch.len(), "audit events not stored yet");
                    tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
                }
            }
        }
        batch.clear();
    }
}

async fn store(db: &Db, batch: &[(String, AuditEvent)]) -> Result<(), sqlx::Error> {
    for rows in batch.chunks(crate::db::rows_per_insert(11)) {
        let sql = format!(
            "INSERT INTO audit_events ({COLUMNS}) VALUES {}",
            values_placeholders(rows.len(), 11)
        );
        let mut q = sqlx::query(&sql);
        for (at, e) in rows {
            q = q
                .bind(at.clone())
                .bind(e.listener)
                .bind(e.remote.clone())
                .bind(e.code.clone())
                .bind(e.status.map(i64::from))
                .bind(e.method.clone())
                .bind(e.route.clone())
                .bind(e.cert_serial.clone())
                .bind(e.cert_subject.clone())
                .bind(e.uscc.clone())
                .bind(e.detail.clone());
        }
        q.execute(db.pool()).await?;
    }
    Ok(())
}

/// What `gjj-server audit` asks for.
#[derive(Clone, Debug, Default)]
pub struct Query {
    /// Events at or after this time (RFC 3339).
    pub since: Option<String>,
    /// Only this code.
    pub code: Option<String>,
    /// Only this unit (个人/单位账号) or USCC.
    pub unit: Option<String>,
    /// Most events, newest first.
    pub limit: i64,
}

/// The stored events matching `query`, newest first.
pub async fn query(db: &Db, query: &Query) -> Result<Vec<StoredEvent>, sqlx::Error> {
    let sql = "SELECT a.at, a.listener, a.remote, a.code, a.status, a.method, a.route, a.cert_serial, \
         a.cert_subject, a.uscc, u.account AS unit_account, a.detail \
         FROM audit_events a LEFT JOIN units u ON u.uscc = a.uscc \
         WHERE (CAST($1 AS TEXT) IS NULL OR a.at >= $1) \
         AND (CAST($2 AS TEXT) IS NULL OR a.code = $2) \
         AND (CAST($3 AS TEXT) IS NULL OR u.account = $3 OR a.uscc = $3) ORDER BY a.at DESC LIMIT $4";
    let rows = sqlx::query(sql)
        .bind(query.since.clone())
        .bind(query.code.clone())
        .bind(query.unit.clone())
        .bind(query.limit)
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| {
            Ok(StoredEvent {
                at: r.try_get("at")?,
                event: StoredFields {
                    listener: r.try_get("listener")?,
                    remote: r.try_get("remote")?,
                    code: r.try_get("code")?,
                    status: r.try_get("status")?,
                    method: r.try_get("method")?,
                    route: r.try_get("route")?,
                    cert_serial: r.try_get("cert_serial")?,
                    cert_subject: r.try_get("cert_subject")?,
                    uscc: r.try_get("uscc")?,
                    unit_account: r.try_get("unit_account")?,
                    detail: r.try_get("detail")?,
                },
            })
        })
        .collect()
}
