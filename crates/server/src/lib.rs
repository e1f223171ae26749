//! gjj-server: the hall gateway of a housing provident fund centre.
//!
//! A mutual-TLS endpoint ([`tls`]) that binds each client certificate to the unit the centre has on record
//! ([`http::Caller`]), re-runs every gjj-domain rule with the centre's own data, stores each business atomically
//! with the client's detached signature, and returns a receipt ([`http`]). Storage is sqlx `Any` over SQLite
//! (embedded default) or PostgreSQL ([`db`]).
#![forbid(unsafe_code)]

pub mod config;
pub mod db;
pub mod http;
pub mod receipts;
pub mod seed;
pub mod tls;
pub mod updates;

use std::future::Future;
use std::time::Duration;

use anyhow::Result;
use time::UtcOffset;

/// Runs the gateway until `shutdown` resolves. Prints the bound address once listening (tests and scripts
/// read it; `listen = "127.0.0.1:0"` picks a free port).
pub async fn run(config: config::Config, shutdown: impl Future<Output = ()>) -> Result<()> {
    let db = db::Db::connect(&config.database_url).await?;
    let trust = std::sync::Arc::new(tls::ClientTrust::load(&config.tls)?);
    let tls = tls::server_config(&config.tls, &trust)?;
    let offset = UtcOffset::from_hms(config.utc_offset_hours, 0, 0)?;
    let receipts = match &config.receipt {
        Some(r) => Some(std::sync::Arc::new(receipts::ReceiptSeal::load(r)?)),
        None => {
            tracing::warn!("no [receipt] seal configured: receipts are not signed by the centre");
            None
        }
    };
    let state = http::AppState {
        db,
        limits: config.limits.clone(),
        offset,
        trust,
        receipts,
    };
    let handshake = Duration::from_secs(config.tls.handshake_timeout_secs);
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    // Both ports stop on the same signal.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let updates = match &config.updates {
        Some(u) => {
            updates::check_dir(&u.dir)?;
            let listener = tokio::net::TcpListener::bind(u.listen).await?;
            let addr = listener.local_addr()?;
            println!("gjj-server updates on {addr}");
            tracing::info!(%addr, dir = %u.dir.display(), "update service listening");
            Some(tokio::spawn(updates::serve(
                listener,
                updates::server_config(&config.tls)?,
                handshake,
                updates::app(u),
                stopped(stop_rx.clone()),
            )))
        }
        None => None,
    };
    println!("gjj-server listening on {addr}");
    tracing::info!(%addr, "listening");
    let api = tls::serve(listener, tls, handshake, http::app(state), stopped(stop_rx));
    tokio::pin!(api);
    let result = tokio::select! {
        r = &mut api => r,
        () = shutdown => {
            let _ = stop_tx.send(true);
            api.await
        }
    };
    let _ = stop_tx.send(true);
    if let Some(task) = updates {
        task.await??;
    }
    result
}
