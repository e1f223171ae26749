//! Faults under load, with nothing lost and nothing twice (issue 14 §6).
//!
//! Units work through the **real client** (`gjj_client::Session` with its `Outbox`, the clerk's own store)
//! against gateway instances behind HAProxy on PostgreSQL, through a TCP proxy that cuts connections
//! mid-request, mid-upload and mid-answer. Meanwhile an instance is killed with SIGKILL at random moments and
//! restarted, and PostgreSQL is restarted. Afterwards every client's outbox is compared with what the
//! database holds: every receipt a client holds is stored with its idempotency key and payload digest (0 lost),
//! nothing is stored that no client sent and no key twice (0 duplicated), every 流水号 is unique, every stored
//! business has all its rows, every finished upload is stored once with its digest.
//!
//! `cargo xtask test` runs it short (the fault test); `cargo xtask load --chaos` runs it long (the soak).

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use gjj_client::{MaterialFile, Outbox, OutboxState, Session, SessionConfig, Submitted};
use gjj_domain::base_adjustment::{BaseAdjustment, BaseAdjustmentRow};
use gjj_domain::money::Fen;
use gjj_domain::month::Month;
use gjj_pki::{Credential, TrustBundle};
use gjj_tests::cluster::Cluster;
use sqlx::Row;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One 缴存人 of a unit, as the centre holds them.
#[derive(Clone, Debug)]
pub struct ChaosPerson {
    /// 个人账号.
    pub account: String,
    /// 姓名.
    pub name: String,
    /// 证件号码.
    pub id_number: String,
    /// 缴存基数 now.
    pub base: Fen,
}

/// A unit that works during the soak: an employer submits 基数调整 (and withdraws it, so the next may come),
/// a developer (with a project) uploads materials.
#[derive(Clone, Debug)]
pub struct ChaosUnit {
    /// 单位账号.
    pub account: String,
    /// Its certificate and key.
    pub credential: Credential,
    /// Its 缴存人 (employers).
    pub persons: Vec<ChaosPerson>,
    /// Its project (developers).
    pub project: Option<String>,
}

/// How hard and how long.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Seconds of faults under load.
    pub seconds: u64,
    /// Units working at once.
    pub units: usize,
    /// Rows per 基数调整.
    pub rows: usize,
    /// Bytes per uploaded material (more than one chunk makes a resumable upload).
    pub material_bytes: usize,
    /// Mean seconds between two kills of an instance.
    pub kill_every_secs: f64,
    /// PostgreSQL restarts during the run.
    pub pg_restarts: usize,
    /// Share of connections the proxy cuts (0.0–1.0).
    pub cut_share: f64,
}

impl Plan {
    /// The fault test of `cargo xtask test`: short, every fault at least once.
    pub fn short() -> Plan {
        Plan {
            seconds: 25,
            units: 12,
            rows: 20,
            material_bytes: 1024 * 1024 + 64 * 1024,
            kill_every_secs: 6.0,
            pg_restarts: 1,
            cut_share: 0.5,
        }
    }

    /// The soak of `cargo xtask load --chaos`.
    pub fn soak(seconds: u64) -> Plan {
        Plan {
            seconds,
            units: 64,
            rows: 200,
            material_bytes: 2 * 1024 * 1024 + 100 * 1024,
            kill_every_secs: 8.0,
            pg_restarts: (seconds / 60).max(1) as usize,
            cut_share: 0.3,
        }
    }
}

/// What happened, and what the comparison found.
#[derive(Debug, Default)]
pub struct Report {
    /// Businesses the clients hold a receipt for.
    pub accepted: usize,
    /// Of them, receipts that came back as a replay of an earlier send (the first answer was lost).
    pub replayed: usize,
    /// Sends that failed and were sent again from the outbox.
    pub resends: usize,
    /// Materials uploaded (each possibly resumed).
    pub uploads: usize,
    /// Instances killed with SIGKILL.
    pub kills: usize,
    /// PostgreSQL restarts.
    pub pg_restarts: usize,
    /// Connections the proxy cut.
    pub cuts: u64,
    /// Receipts held by a client that the database does not hold as sent (must be 0).
    pub lost: usize,
    /// Businesses stored that no client holds, or stored twice (must be 0).
    pub duplicated: usize,
    /// 流水号 given to more than one business (must be 0).
    pub serial_repeats: usize,
    /// Stored businesses missing rows (must be 0).
    pub partial: usize,
    /// Outbox entries still pending after the drain (must be 0).
    pub pending: usize,
    /// Uploads stored other than once with their digest (must be 0).
    pub upload_faults: usize,
}

impl Report {
    /// 0 lost, 0 duplicated, every serial unique, nothing partial, nothing left pending.
    pub fn clean(&self) -> bool {
        self.lost == 0
            && self.duplicated == 0
            && self.serial_repeats == 0
            && self.partial == 0
            && self.pending == 0
            && self.upload_faults == 0
    }

    /// One paragraph for the console and docs/bench.md.
    pub fn summary(&self) -> String {
        format!(
            "{} businesses accepted ({} receipts replayed after a lost answer, {} resends), {} uploads; \
             faults: {} kill -9, {} PostgreSQL restarts, {} connections cut; \
             lost {}, duplicated {}, repeated 流水号 {}, partial {}, left pending {}, upload faults {}",
            self.accepted,
            self.replayed,
            self.resends,
            self.uploads,
            self.kills,
            self.pg_restarts,
            self.cuts,
            self.lost,
            self.duplicated,
            self.serial_repeats,
            self.partial,
            self.pending,
            self.upload_faults
        )
    }
}

/// A tiny xorshift: the faults' timing needs variety, not cryptographic randomness.
struct Dice(u64);

impl Dice {
    fn new(seed: u64) -> Dice {
        Dice(seed | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0x9e37_79b9, |d| d.as_nanos() as u64)
}

/// A TCP proxy that cuts a share of connections: after some bytes towards the gateway (a half-sent request or
/// chunk), or after some bytes of the answer (the business may be stored, the receipt never arrives).
struct CutProxy {
    addr: SocketAddr,
    cutting: Arc<AtomicBool>,
    cuts: Arc<AtomicU64>,
}

impl CutProxy {
    async fn start(upstream: SocketAddr, share: f64) -> Result<CutProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let cutting = Arc::new(AtomicBool::new(true));
        let cuts = Arc::new(AtomicU64::new(0));
        let (on, count) = (cutting.clone(), cuts.clone());
        tokio::spawn(async move {
            let mut dice = Dice::new(seed());
            while let Ok((client, _)) = listener.accept().await {
                let cut = on.load(Ordering::Relaxed) && dice.unit() < share;
                // Which way and after how many bytes. A kept-alive connection carries many requests, so the
                // budget counts across them: a few KB cut one of the first requests (or 1 MiB chunks mid-way),
                // or one of the first answers (the business stored, its receipt lost).
                let (up, down) = match (cut, dice.below(3)) {
                    (false, _) => (u64::MAX, u64::MAX),
                    (true, 0) => (1 + dice.below(48 * 1024), u64::MAX),
                    (true, _) => (u64::MAX, 1 + dice.below(6 * 1024)),
                };
                let count = count.clone();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    let cut = tokio::select! {
                        c = pipe(cr, sw, up) => c,
                        c = pipe(sr, cw, down) => c,
                    };
                    if cut {
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                    // Dropping both halves of both sockets closes them: the cut.
                });
            }
        });
        Ok(CutProxy { addr, cutting, cuts })
    }
}

/// Copies until EOF (false) or until `budget` bytes went through (true: cut here).
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    budget: u64,
) -> bool {
    let mut left = budget;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => {
                let _ = to.shutdown().await;
                return false;
            }
            Ok(n) => n,
        };
        let take = usize::try_from(left.min(n as u64)).unwrap_or(n);
        if to.write_all(&buf[..take]).await.is_err() {
            return false;
        }
        left -= take as u64;
        if left == 0 {
            return true;
        }
    }
}

/// What one unit did.
#[derive(Debug, Default)]
struct UnitLog {
    accepted: usize,
    replayed: usize,
    resends: usize,
    /// (sha256, receipt serial) of each finished upload.
    uploads: Vec<(String, String)>,
}

fn session(url: &str, trust: &TrustBundle, credential: &Credential) -> Result<Session> {
    Ok(Session::open(
        &SessionConfig {
            server: url.to_owned(),
            trust: trust.clone(),
            timeout: Duration::from_secs(30),
        },
        credential.clone(),
    )?)
}

/// Sends what the outbox still holds until nothing is pending or `until` passes.
async fn drain(
    session: &Session,
    outbox: &Outbox,
    uscc: &str,
    until: Instant,
    log: &mut UnitLog,
) -> Result<()> {
    loop {
        let pending = outbox.entries(uscc, Some(OutboxState::Pending)).await?;
        if pending.is_empty() || Instant::now() > until {
            return Ok(());
        }
        log.resends += pending.len();
        for (_, result) in session.resend_pending(outbox).await? {
            if let Ok(Submitted::Accepted { replayed, .. }) = result {
                log.accepted += 1;
                log.replayed += usize::from(replayed);
            }
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Withdraws an accepted business so the unit may submit the next one; a lost answer is retried, and
/// "no longer open" means an earlier attempt went through.
async fn withdraw(session: &Session, serial: &str, until: Instant) {
    while Instant::now() < until {
        match session.withdraw(serial).await {
            Ok(_) => return,
            Err(e) if e.is_retryable() => tokio::time::sleep(Duration::from_millis(200)).await,
            Err(_) => return,
        }
    }
}

async fn employer(
    unit: ChaosUnit,
    url: String,
    trust: TrustBundle,
    dir: PathBuf,
    plan: Plan,
    stop: Instant,
    month: Month,
) -> Result<UnitLog> {
    let session = session(&url, &trust, &unit.credential)?;
    let outbox = Outbox::open_with(
        &dir.join(format!("client-{}.sqlite", unit.account)),
        Arc::new(gjj_client::vault::Vault::at(
            &dir.join(format!("client-{}.key", unit.account)),
        )?),
    )
    .await?;
    let uscc = unit.credential.identity().uscc.clone().unwrap_or_default();
    let mut log = UnitLog::default();
    let mut round: i64 = 0;
    while Instant::now() < stop {
        round += 1;
        let payload = BaseAdjustment {
            rows: unit
                .persons
                .iter()
                .take(plan.rows)
                .enumerate()
                .map(|(i, p)| BaseAdjustmentRow {
                    row: 5 + i as u32,
                    account: p.account.clone(),
                    name: p.name.clone(),
                    id_number: p.id_number.clone(),
                    old_base: Some(p.base),
                    // Each round a different payload (a different business), within the policy's limits.
                    new_base: Fen(p.base.0 + 100 * (round % 50 + 1)),
                    effective_month: month,
                    note: None,
                })
                .collect(),
        };
        let rows = u32::try_from(payload.rows.len())?;
        match session.submit(&outbox, "base_adjustment", &payload, rows).await {
            Ok(Submitted::Accepted { replayed, .. }) => {
                log.accepted += 1;
                log.replayed += usize::from(replayed);
            }
            Err(e) if e.is_retryable() => {
                drain(&session, &outbox, &uscc, stop + Duration::from_secs(60), &mut log).await?;
            }
            // A withdraw whose answer was lost may leave the last one open: withdrawn below, then on.
            Err(e) if e.code() == "BUSINESS_OPEN" => {}
            Err(e) => bail!("unit {}: the centre refused a valid 基数调整: {e}", unit.account),
        }
        // Withdraw what is open, so the next round is not BUSINESS_OPEN; the list itself may be cut off.
        let deadline = stop + Duration::from_secs(60);
        loop {
            match session.submissions().await {
                Ok(list) => {
                    for v in list.into_iter().filter(|v| v.status.is_open()) {
                        withdraw(&session, &v.receipt.serial, deadline).await;
                    }
                    break;
                }
                Err(e) if e.is_retryable() && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => bail!("unit {}: cannot list its businesses: {e}", unit.account),
            }
        }
    }
    drain(&session, &outbox, &uscc, stop + Duration::from_secs(90), &mut log).await?;
    Ok(log)
}

async fn developer(
    unit: ChaosUnit,
    url: String,
    trust: TrustBundle,
    plan: Plan,
    stop: Instant,
    salt: u64,
) -> Result<UnitLog> {
    let Some(project) = unit.project.clone() else {
        return Ok(UnitLog::default());
    };
    let session = session(&url, &trust, &unit.credential)?;
    let mut log = UnitLog::default();
    let mut n = 0u64;
    while Instant::now() < stop {
        n += 1;
        // A PDF by its first bytes, unique per upload.
        let mut bytes = format!("%PDF-1.4\n% chaos {salt} {} {n}\n", unit.account).into_bytes();
        bytes.resize(plan.material_bytes, b'0');
        let sha256 = hex::encode(ring::digest::digest(&ring::digest::SHA256, &bytes));
        let name = format!("预售许可证-{n}.pdf");
        let deadline = stop + Duration::from_secs(90);
        // "Safe to call again after any failure": each call resumes with the chunks the centre lacks.
        loop {
            let file = MaterialFile {
                project: &project,
                building: None,
                kind: "01",
                name: &name,
                bytes: &bytes,
            };
            match session.upload_material(file).await {
                Ok(done) => {
                    log.uploads
                        .push((sha256.clone(), done.receipt.receipt.serial.clone()));
                    break;
                }
                Err(e) if e.is_retryable() && Instant::now() < deadline => {
                    log.resends += 1;
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                // A long soak fills the project's quota (max_material_project_bytes): that unit is done.
                Err(e) if e.code() == "MATERIAL_PROJECT_TOO_LARGE" => return Ok(log),
                Err(e) => bail!("unit {}: upload failed for good: {e}", unit.account),
            }
        }
    }
    Ok(log)
}

/// Runs the plan against `cluster` and compares every outbox with the database.
pub async fn run(
    cluster: &mut Cluster,
    restart_pg: &(dyn Fn() -> Result<()> + Sync),
    units: Vec<ChaosUnit>,
    trust: &TrustBundle,
    dir: &Path,
    plan: &Plan,
    month: Month,
) -> Result<Report> {
    let upstream: SocketAddr = cluster
        .url()
        .trim_start_matches("https://")
        .parse()
        .context("cluster address")?;
    // What the units stored before the soak (a load run's businesses): not the soak's to account for.
    let before = stored_keys(cluster).await?;
    let proxy = CutProxy::start(upstream, plan.cut_share).await?;
    let url = format!("https://{}", proxy.addr);
    let stop = Instant::now() + Duration::from_secs(plan.seconds);
    let salt = seed();
    let mut tasks = Vec::new();
    for unit in units.iter().take(plan.units).cloned() {
        let (url, trust, plan) = (url.clone(), trust.clone(), plan.clone());
        tasks.push(if unit.project.is_some() {
            tokio::spawn(developer(unit, url, trust, plan, stop, salt))
        } else {
            tokio::spawn(employer(unit, url, trust, dir.to_owned(), plan, stop, month))
        });
    }

    // The faults: kill -9 an instance at random moments and bring it back; restart PostgreSQL.
    let mut report = Report::default();
    let mut dice = Dice::new(salt ^ 0x5eed);
    let started = Instant::now();
    let pg_at: Vec<Duration> = (1..=plan.pg_restarts)
        .map(|k| Duration::from_secs_f64(plan.seconds as f64 * k as f64 / (plan.pg_restarts + 1) as f64))
        .collect();
    let mut next_pg = 0;
    let mut next_kill = started + Duration::from_secs_f64(plan.kill_every_secs * (0.5 + dice.unit()));
    while Instant::now() < stop {
        if next_pg < pg_at.len() && started.elapsed() >= pg_at[next_pg] {
            next_pg += 1;
            tokio::task::block_in_place(restart_pg).context("restart PostgreSQL")?;
            report.pg_restarts += 1;
        }
        if Instant::now() >= next_kill {
            let i = usize::try_from(dice.below(cluster.instances() as u64))?;
            cluster.kill(i);
            report.kills += 1;
            tokio::time::sleep(Duration::from_millis(300 + dice.below(1500))).await;
            tokio::task::block_in_place(|| cluster.start_instance(i)).context("restart instance")?;
            next_kill = Instant::now() + Duration::from_secs_f64(plan.kill_every_secs * (0.5 + dice.unit()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The drain: no more faults; every client sends what its outbox still holds.
    proxy.cutting.store(false, Ordering::Relaxed);
    tokio::task::block_in_place(|| cluster.wait_all_up(Duration::from_secs(60)))?;
    let mut logs = Vec::new();
    for t in tasks {
        logs.push(t.await??);
    }
    report.cuts = proxy.cuts.load(Ordering::Relaxed);
    for l in &logs {
        report.accepted += l.accepted;
        report.replayed += l.replayed;
        report.resends += l.resends;
        report.uploads += l.uploads.len();
    }
    compare(
        cluster,
        &units[..plan.units.min(units.len())],
        dir,
        &logs,
        &before,
        &mut report,
    )
    .await?;
    Ok(report)
}

/// Every (unit, idempotency key) stored now.
async fn stored_keys(cluster: &Cluster) -> Result<HashSet<(String, String)>> {
    let db = cluster.db().await?;
    let rows = sqlx::query("SELECT unit_account, idempotency_key FROM submissions")
        .fetch_all(&db)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("unit_account")?, r.try_get("idempotency_key")?)))
        .collect()
}

/// Every outbox against the database.
async fn compare(
    cluster: &Cluster,
    units: &[ChaosUnit],
    dir: &Path,
    logs: &[UnitLog],
    before: &HashSet<(String, String)>,
    report: &mut Report,
) -> Result<()> {
    let db = cluster.db().await?;
    let mut serials = HashSet::new();
    let mut held = 0usize;
    for (unit, log) in units.iter().zip(logs) {
        let stored = sqlx::query(
            "SELECT serial, idempotency_key, payload_sha256, row_count, business FROM submissions \
             WHERE unit_account = $1",
        )
        .bind(&unit.account)
        .fetch_all(&db)
        .await?;
        let mut by_key: HashMap<String, Vec<(String, String)>> = HashMap::new();
        for r in &stored {
            let serial: String = r.try_get("serial")?;
            if !serials.insert(serial.clone()) {
                report.serial_repeats += 1;
            }
            let key: String = r.try_get("idempotency_key")?;
            if before.contains(&(unit.account.clone(), key)) {
                continue;
            }
            by_key
                .entry(r.try_get("idempotency_key")?)
                .or_default()
                .push((serial, r.try_get("payload_sha256")?));
        }
        report.duplicated += by_key.values().filter(|v| v.len() > 1).count();
        if unit.project.is_some() {
            for (sha, serial) in &log.uploads {
                let n: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM project_materials WHERE project_id = $1 AND sha256 = $2",
                )
                .bind(unit.project.as_deref().unwrap_or_default())
                .bind(sha)
                .fetch_one(&db)
                .await?;
                let receipted = stored
                    .iter()
                    .any(|r| r.try_get::<String, _>("serial").is_ok_and(|s| &s == serial));
                if n != 1 || !receipted {
                    report.upload_faults += 1;
                }
            }
            continue;
        }
        let outbox = Outbox::open_with(
            &dir.join(format!("client-{}.sqlite", unit.account)),
            Arc::new(gjj_client::vault::Vault::at(
                &dir.join(format!("client-{}.key", unit.account)),
            )?),
        )
        .await?;
        let uscc = unit.credential.identity().uscc.clone().unwrap_or_default();
        let entries = outbox.entries(&uscc, None).await?;
        let mut keys = HashSet::new();
        for e in &entries {
            keys.insert(e.idempotency_key.clone());
            match (&e.state, &e.receipt) {
                (OutboxState::Sent, Some(receipt)) => {
                    held += 1;
                    let found = by_key.get(&e.idempotency_key).is_some_and(|v| {
                        v.len() == 1 && v[0].0 == receipt.serial && v[0].1 == receipt.payload_sha256
                    });
                    if !found {
                        report.lost += 1;
                    }
                }
                (OutboxState::Pending, _) => report.pending += 1,
                _ => {}
            }
        }
        // Stored without any client knowing of it (not from an outbox entry) would be a business twice.
        report.duplicated += by_key.keys().filter(|k| !keys.contains(*k)).count();
        // Atomic: every 基数调整 the soak stored has all its rows.
        for r in &stored {
            let key: String = r.try_get("idempotency_key")?;
            let business: String = r.try_get("business")?;
            if business != "base_adjustment" || before.contains(&(unit.account.clone(), key)) {
                continue;
            }
            let serial: String = r.try_get("serial")?;
            let expected: i64 = r.try_get("row_count")?;
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM base_adjustment_rows WHERE serial = $1")
                .bind(&serial)
                .fetch_one(&db)
                .await?;
            if n != expected {
                report.partial += 1;
            }
        }
    }
    if held != report.accepted {
        // Every Accepted the clients saw is one sent outbox entry; anything else is a bookkeeping bug here.
        tracing_line(&format!(
            "note: {held} sent outbox entries for {} acceptances seen",
            report.accepted
        ));
    }
    Ok(())
}

fn tracing_line(text: &str) {
    println!("{text}");
}
