//! gjj-server: the hall gateway of a housing provident fund centre.
//!
//! A mutual-TLS endpoint ([`tls`]) that binds each client certificate to the unit the centre has on record
//! ([`http::Caller`]), re-runs every gjj-domain rule with the centre's own data, stores each business atomically
//! with the client's detached signature, and returns a receipt ([`http`]). Storage is sqlx `Any` over SQLite
//! (embedded default) or PostgreSQL ([`db`]).
#![forbid(unsafe_code)]

pub mod audit;
pub mod backup;
pub mod config;
pub mod db;
pub mod http;
pub mod ops;
pub mod receipts;
pub mod seed;
pub mod tls;
pub mod updates;

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use time::UtcOffset;

/// Runs the gateway until `shutdown` resolves, then drains: readiness turns 503 for `[ops] drain_secs`, the
/// ports close, open connections get `shutdown_grace_secs` to finish. Prints each bound address once
/// listening (tests and scripts read them; `listen = "127.0.0.1:0"` picks a free port).
pub async fn run(config: config::Config, shutdown: impl Future<Output = ()>) -> Result<()> {
    ops::metrics();
    let db = db::Db::connect(&config.database_url).await?;
    let tls = tls::TlsState::load(&config.tls)?;
    let offset = UtcOffset::from_hms(config.utc_offset_hours, 0, 0)?;
    let receipts = match &config.receipt {
        Some(r) => Some(Arc::new(receipts::ReceiptSeal::load(r)?)),
        None => {
            tracing::warn!("no [receipt] seal configured: receipts are not signed by the centre");
            None
        }
    };
    let audit = audit::AuditLog::start(db.clone());
    let state = http::AppState {
        db: db.clone(),
        limits: config.limits.clone(),
        offset,
        tls: tls.clone(),
        receipts,
        rate: http::RateLimit::new(&config.limits),
        audit: audit.clone(),
        in_flight: Arc::new(tokio::sync::Semaphore::new(config.limits.max_in_flight.max(1))),
    };
    let grace = Duration::from_secs(config.shutdown_grace_secs);
    let limits = tls::ConnLimits::new(&config.tls, &config.limits, grace);
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    // Every port stops on the same signal.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let mut side_tasks = Vec::new();
    if let Some(u) = &config.updates {
        updates::check_dir(&u.dir)?;
        let listener = tokio::net::TcpListener::bind(u.listen).await?;
        let addr = listener.local_addr()?;
        println!("gjj-server updates on {addr}");
        tracing::info!(%addr, dir = %u.dir.display(), "update service listening");
        side_tasks.push(tokio::spawn(updates::serve(
            listener,
            updates::server_config(&config.tls)?,
            limits.clone(),
            updates::app(u),
            stopped(stop_rx.clone()),
        )));
    }
    let draining = Arc::new(AtomicBool::new(false));
    let drain = match &config.ops {
        Some(o) => {
            let listener = tokio::net::TcpListener::bind(o.listen).await?;
            let addr = listener.local_addr()?;
            println!("gjj-server ops on {addr}");
            tracing::info!(%addr, "ops (health, metrics) listening");
            side_tasks.push(tokio::spawn(updates::serve(
                listener,
                updates::server_config(&config.tls)?,
                limits.clone(),
                ops::app(ops::Ops::new(db.clone(), draining.clone())),
                stopped(stop_rx.clone()),
            )));
            Duration::from_secs(o.drain_secs)
        }
        None => Duration::ZERO,
    };
    let forget = tokio::spawn(http::forget_quiet(state.rate.clone()));
    let refresh = tokio::spawn(refresh_trust(
        tls.clone(),
        Duration::from_secs(config.tls.crl_refresh_secs.max(1)),
    ));
    println!("gjj-server listening on {addr}");
    tracing::info!(%addr, "listening");
    // The API stops taking connections only after the drain: until then it serves whoever still comes.
    let (api_stop_tx, api_stop_rx) = tokio::sync::watch::channel(false);
    let api = tls::serve(
        listener,
        tls,
        limits,
        audit,
        http::app(state),
        stopped(api_stop_rx),
    );
    tokio::pin!(api);
    let result = tokio::select! {
        r = &mut api => r,
        () = shutdown => {
            draining.store(true, Ordering::Relaxed);
            tracing::info!(drain_secs = drain.as_secs(), "shutting down: readiness off");
            // The API keeps serving through the drain (it must be polled meanwhile), then stops.
            match tokio::time::timeout(drain, &mut api).await {
                Ok(r) => r,
                Err(_) => {
                    let _ = api_stop_tx.send(true);
                    api.await
                }
            }
        }
    };
    let _ = stop_tx.send(true);
    refresh.abort();
    forget.abort();
    for task in side_tasks {
        task.await??;
    }
    result
}

/// Reloads the client CA bundle and CRLs when their files change (checked every `every`) or on SIGHUP.
async fn refresh_trust(tls: Arc<tls::TlsState>, every: Duration) {
    #[cfg(unix)]
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    loop {
        #[cfg(unix)]
        let forced = match hup.as_mut() {
            Some(h) => tokio::select! {
                _ = h.recv() => true,
                () = tokio::time::sleep(every) => false,
            },
            None => {
                tokio::time::sleep(every).await;
                false
            }
        };
        #[cfg(not(unix))]
        let forced = {
            tokio::time::sleep(every).await;
            false
        };
        let result = if forced {
            tls.reload().map(|()| true)
        } else {
            tls.reload_if_changed()
        };
        if let Err(e) = result {
            // The trust in force stays; IT sees the line and the metric.
            metrics::counter!("gjj_tls_reload_failures_total").increment(1);
            tracing::error!(error = %format!("{e:#}"), "client CA bundle / CRLs not reloaded; the previous ones stay in force");
        }
    }
}
