//! Operations: liveness, readiness and Prometheus metrics on their own port (`[ops]`), over TLS with the
//! gateway's server certificate and **no** client certificate, so a load balancer's health check and a
//! Prometheus scraper need no unit's key. Nothing here names a unit or a person.
//!
//! - `GET /healthz`: 200 while the process serves (liveness).
//! - `GET /readyz`: 200 when the database answers within 2 s and the gateway is not shutting down; 503
//!   otherwise, so HAProxy sends new connections elsewhere.
//! - `GET /metrics`: requests, refusals by code, handshake failures by reason, latency histograms, open
//!   connections, DB pool use, seconds to the next CRL expiry (names in docs/deploy.md).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::db::Db;

/// Latency buckets, seconds: a status poll takes milliseconds, a 50,000-row intake about a second.
const LATENCY_BUCKETS: &[f64] = &[
    0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The process's metrics recorder, installed once (tests start several gateways in one process).
pub fn metrics() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed: /metrics shows nothing");
        }
        handle
    })
}

/// What the ops port reads.
#[derive(Clone, Debug)]
pub struct Ops {
    db: Db,
    draining: Arc<AtomicBool>,
}

impl Ops {
    /// The ops state over `db`; `draining` turns readiness off at shutdown.
    pub fn new(db: Db, draining: Arc<AtomicBool>) -> Ops {
        Ops { db, draining }
    }
}

/// The ops router.
pub fn app(ops: Ops) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(render))
        .with_state(ops)
}

async fn ready(State(ops): State<Ops>) -> impl IntoResponse {
    if ops.draining.load(Ordering::Relaxed) {
        return (StatusCode::SERVICE_UNAVAILABLE, "draining\n");
    }
    let probe = sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(ops.db.pool());
    match tokio::time::timeout(Duration::from_secs(2), probe).await {
        Ok(Ok(_)) => (StatusCode::OK, "ready\n"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n"),
    }
}

async fn render(State(ops): State<Ops>) -> impl IntoResponse {
    let pool = ops.db.pool();
    let (size, idle) = (pool.size(), pool.num_idle());
    metrics::gauge!("gjj_db_pool_connections", "state" => "idle").set(idle as f64);
    metrics::gauge!("gjj_db_pool_connections", "state" => "in_use").set(f64::from(size) - idle as f64);
    metrics::gauge!("gjj_db_pool_max").set(f64::from(pool.options().get_max_connections()));
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        metrics().render(),
    )
}
