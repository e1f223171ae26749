//! `cargo xtask load`: the gateway under a month's-end load (issue 14), printed and written to docs/bench.md.
//!
//! The generator is xtask itself, rebuilt with `--release` and re-run (`cargo xtask` is a debug build, whose
//! TLS and JSON would make the generator, not the gateway, the bottleneck). It runs against the release
//! gjj-server: one instance on SQLite, then two on one PostgreSQL behind HAProxy (`gjj_tests::cluster`).
//!
//! - 1,000 simulated units, each with its own certificate from the dev intermediate CA (P-256 keys made in
//!   memory) and 200 缴存人 inserted with SQL; 5 % are developers with a project.
//! - Per step (16, 64, 256 connections, 60 s each): every connection runs unit sessions one after another. A
//!   session is a new TLS connection (= a login, no resumption): employers `GET /me`, download the 汇缴 清册,
//!   submit a signed 200-row 基数调整, poll its status twice and withdraw it (so the unit may submit again, as
//!   one 基数调整 may be open at a time); developers declare a 1.1 MiB 补充项目材料, send its two chunks,
//!   complete it with a signed manifest and poll the receipt.
//! - Anchors measured in the same run: full mTLS handshakes/s of the gateway against a bare tokio-rustls server
//!   (same certificate, key, CA bundle and CRLs; same concurrency) and rows stored/s of a 50,000-row
//!   缴存人登记 through the gateway against a bare multi-row INSERT of the same rows into a table of the same
//!   shape in the same kind of database.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use base64::Engine;
use gjj_domain::api::{self, Role};
use gjj_domain::base_adjustment::{BaseAdjustment, BaseAdjustmentRow};
use gjj_domain::contributor_registration::{ContributorRegistration, ContributorRegistrationRow};
use gjj_domain::ids::id_check_char;
use gjj_domain::money::Fen;
use gjj_domain::month::Month;
use gjj_domain::project_material::{Manifest, UploadDeclaration};
use gjj_pki::credential::KeySigner;
use gjj_pki::{Credential, PkiError, TrustBundle};
use gjj_tests::cluster::{Cluster, ClusterOptions};
use gjj_tests::{spawn_gateway, Fixtures, GatewayConfig};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{SignatureAlgorithm, SignatureScheme};
use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;
use time::OffsetDateTime;

use crate::demo_data::Party;
use crate::{chaos, pki, postgres, sh, token};

/// What `cargo xtask load` was asked for.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Seconds per concurrency step.
    pub seconds: Option<u64>,
    /// Tiny sizes for a smoke run.
    pub quick: bool,
    /// The kill -9 / PostgreSQL restart soak (extension point, see [`chaos`]).
    pub chaos: bool,
}

/// The sizes of a run.
#[derive(Clone, Debug)]
struct Sizes {
    units: usize,
    persons: usize,
    seconds: u64,
    steps: Vec<usize>,
    intake_rows: u32,
    material_bytes: usize,
    handshake_seconds: u64,
}

impl Sizes {
    fn of(o: &LoadOptions) -> Sizes {
        if o.quick {
            Sizes {
                units: 300,
                persons: 200,
                seconds: o.seconds.unwrap_or(3),
                steps: vec![16, 64, 256],
                intake_rows: 5_000,
                material_bytes: 100 * 1024,
                handshake_seconds: 3,
            }
        } else {
            let seconds = o.seconds.unwrap_or(60);
            Sizes {
                units: 1_000,
                persons: 200,
                seconds,
                steps: vec![16, 64, 256],
                intake_rows: 50_000,
                // Two chunks: the resumable upload path, not a single PUT.
                material_bytes: 1024 * 1024 + 100 * 1024,
                handshake_seconds: seconds.clamp(3, 15),
            }
        }
    }
}

/// Every third argument after `load`, passed on to the release build.
fn args_of(o: &LoadOptions) -> Vec<String> {
    let mut a = vec!["load".to_owned()];
    if let Some(s) = o.seconds {
        a.extend(["--seconds".to_owned(), s.to_string()]);
    }
    if o.quick {
        a.push("--quick".to_owned());
    }
    if o.chaos {
        a.push("--chaos".to_owned());
    }
    a
}

/// `cargo xtask load`: builds the release gateway and generator, then runs the generator.
pub fn run(root: &Path, o: &LoadOptions) -> Result<()> {
    if cfg!(debug_assertions) {
        // HAProxy and PostgreSQL, and SoftHSM and openssl for the fixtures: a fresh clone has none of them.
        crate::deps::ensure(crate::deps::CORE)?;
        sh::run(
            "build gjj-server and the load generator (release)",
            sh::cargo().args(["build", "--release", "-p", "gjj-server", "-p", "xtask"]),
        )?;
        let exe = root.join("target/release/xtask");
        let status = Command::new(&exe)
            .args(args_of(o))
            .status()
            .with_context(|| format!("running {}", exe.display()))?;
        if !status.success() {
            bail!("the load run failed ({status})");
        }
        return Ok(());
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(run_release(root, o))
}

/// A soft P-256 key in memory (fine for load: the key's home is not what is measured).
#[derive(Debug)]
struct MemoryKey(Arc<dyn rustls::sign::SigningKey>);

impl KeySigner for MemoryKey {
    fn schemes(&self) -> &[SignatureScheme] {
        &[SignatureScheme::ECDSA_NISTP256_SHA256]
    }
    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::ECDSA
    }
    fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, PkiError> {
        let signer = self
            .0
            .choose_scheme(&[scheme])
            .ok_or_else(|| PkiError::UnsupportedKey(format!("{scheme:?}")))?;
        signer
            .sign(message)
            .map_err(|e| PkiError::UnsupportedKey(e.to_string()))
    }
    fn describe(&self) -> String {
        "内存中的负载测试密钥".to_owned()
    }
}

struct Person {
    account: String,
    name: String,
    id_number: String,
    base: Fen,
}

/// A simulated unit: its record, certificate and 缴存人.
struct Unit {
    account: String,
    uscc: String,
    name: String,
    role: Role,
    credential: Credential,
    tls: Arc<rustls::ClientConfig>,
    persons: Vec<Person>,
    project: Option<String>,
    busy: tokio::sync::Mutex<()>,
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰",
];

/// A valid 身份证 number, unique per `n` (up to 336,000 × 1,000), region 120101 (nobody of the demo centre).
fn person_id(n: usize) -> String {
    let d = n / 1000;
    let first17 = format!(
        "120101{:04}{:02}{:02}{:03}",
        1970 + d / 336 % 30,
        d / 28 % 12 + 1,
        d % 28 + 1,
        n % 1000
    );
    let check = id_check_char(&first17).unwrap_or('X');
    format!("{first17}{check}")
}

/// A valid 统一社会信用代码 for unit `i` (the gateway checks the check characters of a certificate's USCC):
/// 91 + 430400 + an all-digit 组织机构代码 body, its GB 11714 check character, then the GB 32100 one.
fn uscc(i: usize) -> Result<String> {
    let body = format!("{:08}", 60_000_000 + i);
    let weights = [3u32, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .bytes()
        .zip(weights)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    let org = match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        n => char::from_digit(n, 10).unwrap_or('0'),
    };
    let draft = format!("91430400{body}{org}0");
    match gjj_domain::ids::check_uscc(&draft) {
        Ok(()) => Ok(draft),
        // The checker names the check character it expected.
        Err(gjj_domain::ids::IdError::UsccChecksum { expected, .. }) => {
            Ok(format!("91430400{body}{org}{expected}"))
        }
        Err(e) => bail!("USCC {draft}: {e}"),
    }
}

/// Issues the units' certificates from the dev intermediate CA.
fn make_units(fixtures: &Path, sizes: &Sizes, trust: &TrustBundle) -> Result<Vec<Arc<Unit>>> {
    let ca = pki::Ca::load(fixtures, "intermediate-ca")?;
    let now = OffsetDateTime::now_utc();
    let mut units = Vec::with_capacity(sizes.units);
    for i in 0..sizes.units {
        // Every 20th unit is a developer (5 %): they upload materials, the others do the 缴存 business.
        let developer = i % 20 == 19;
        let party = Party {
            key: format!("load-{i}"),
            name: format!("衡阳负载测试{i:04}有限公司"),
            uscc: uscc(i)?,
            role: if developer { "开发商" } else { "单位" }.to_owned(),
            token: None,
        };
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let spec = pki::ClientSpec {
            tag: &format!("load-unit-{i}"),
            party: &party,
            not_before: now - time::Duration::days(1),
            not_after: now + time::Duration::days(30),
            eku: rcgen::ExtendedKeyUsagePurpose::ClientAuth,
        };
        let cert = pki::client_params(&spec)?.signed_by(&key, &ca.cert, &ca.key)?;
        let signing = rustls::crypto::ring::sign::any_supported_type(&PrivateKeyDer::Pkcs8(
            PrivatePkcs8KeyDer::from(key.serialize_der()),
        ))?;
        let credential = Credential::new(
            CertificateDer::from(cert.der().to_vec()),
            Arc::new(MemoryKey(signing)),
        )?;
        let mut tls = credential.client_config(trust)?;
        // A login is a full handshake: no session resumption between sessions of a unit.
        tls.resumption = rustls::client::Resumption::disabled();
        let persons = if developer {
            Vec::new()
        } else {
            (0..sizes.persons)
                .map(|p| {
                    let n = i * sizes.persons + p;
                    Person {
                        account: format!("97{i:04}{p:06}"),
                        name: format!("{}{}", SURNAMES[n % SURNAMES.len()], GIVEN[n / 7 % GIVEN.len()]),
                        id_number: person_id(n),
                        base: Fen::from_yuan(3000 + (n % 9000) as i64),
                    }
                })
                .collect()
        };
        units.push(Arc::new(Unit {
            account: format!("97{i:011}"),
            uscc: party.uscc,
            name: party.name,
            role: if developer {
                Role::Developer
            } else {
                Role::Employer
            },
            credential,
            tls: Arc::new(tls),
            persons,
            project: developer.then(|| format!("XM9{i:07}")),
            busy: tokio::sync::Mutex::new(()),
        }));
    }
    Ok(units)
}

/// A value bound into a multi-row INSERT.
enum V {
    T(String),
    I(i64),
    N,
}

/// Multi-row INSERTs of `per` rows each (default: about 256 parameters, like the gateway's
/// `db::rows_per_insert`), in one transaction.
async fn insert(
    pool: &AnyPool,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<V>>,
    per: Option<usize>,
) -> Result<()> {
    let per = per.unwrap_or((256 / columns.len()).max(1));
    let mut tx = pool.begin().await?;
    for chunk in rows.chunks(per) {
        let mut values = Vec::with_capacity(chunk.len());
        for r in 0..chunk.len() {
            let p: Vec<String> = (0..columns.len())
                .map(|c| format!("${}", r * columns.len() + c + 1))
                .collect();
            values.push(format!("({})", p.join(", ")));
        }
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES {}",
            columns.join(", "),
            values.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for row in chunk {
            for v in row {
                q = match v {
                    V::T(s) => q.bind(s.clone()),
                    V::I(n) => q.bind(*n),
                    V::N => q.bind(Option::<String>::None),
                };
            }
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The centre's month as the gateway computes it (UTC+8).
fn centre_month() -> Result<Month> {
    let now = OffsetDateTime::now_utc().to_offset(time::UtcOffset::from_hms(8, 0, 0)?);
    Month::new(now.year(), u32::from(u8::from(now.month()))).context("month")
}

/// Registers the units, their 缴存人 and the developers' projects.
async fn register_units(database_url: &str, units: &[Arc<Unit>]) -> Result<()> {
    sqlx::any::install_default_drivers();
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect(database_url)
        .await?;
    let due = centre_month()?;
    let paid = due.add_months(-1).to_string();
    let unit_rows = units
        .iter()
        .map(|u| {
            vec![
                V::T(u.account.clone()),
                V::T(u.uscc.clone()),
                V::T(u.name.clone()),
                V::T(u.role.code().to_owned()),
                V::T("01".into()),
                V::I(1200),
                V::I(1200),
                V::T("201501".into()),
                if u.role == Role::Employer {
                    V::T(paid.clone())
                } else {
                    V::N
                },
                V::T("衡阳市蒸湘区负载路 1 号".into()),
            ]
        })
        .collect();
    insert(
        &pool,
        "units",
        &[
            "account",
            "uscc",
            "name",
            "role",
            "status",
            "unit_rate_bp",
            "person_rate_bp",
            "first_month",
            "paid_through",
            "address",
        ],
        unit_rows,
        None,
    )
    .await?;
    let mut persons = Vec::new();
    for u in units {
        for p in &u.persons {
            // 12 % + 12 % of the base, rounded to the fen like the policy says.
            let amount = (p.base.0 * 1200 + 5000) / 10_000;
            persons.push(vec![
                V::T(p.account.clone()),
                V::T(u.account.clone()),
                V::T(p.name.clone()),
                V::T(p.id_number.clone()),
                V::T("01".into()),
                V::I(p.base.0),
                V::I(amount),
                V::I(amount),
                V::T("201501".into()),
                V::T(paid.clone()),
            ]);
        }
    }
    insert(
        &pool,
        "persons",
        &[
            "account",
            "unit_account",
            "name",
            "id_number",
            "status",
            "base_fen",
            "unit_amount_fen",
            "person_amount_fen",
            "first_month",
            "paid_through",
        ],
        persons,
        None,
    )
    .await?;
    let now = OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let projects = units
        .iter()
        .filter_map(|u| {
            u.project.as_ref().map(|p| {
                vec![
                    V::T(p.clone()),
                    V::T(u.account.clone()),
                    V::T(format!("{}项目", u.name)),
                    V::T("active".into()),
                    V::T(now.clone()),
                    V::T(now.clone()),
                ]
            })
        })
        .collect();
    insert(
        &pool,
        "projects",
        &[
            "id",
            "developer_account",
            "name",
            "status",
            "created_at",
            "updated_at",
        ],
        projects,
        None,
    )
    .await?;
    pool.close().await;
    Ok(())
}

/// What one request came to.
struct Outcome {
    micros: u64,
    error: Option<(String, String)>,
}

/// Per-step tallies shared by the connections.
#[derive(Default)]
struct Tally {
    latencies: Vec<u64>,
    errors: BTreeMap<String, (usize, String)>,
}

impl Tally {
    fn add(&mut self, o: Outcome) {
        self.latencies.push(o.micros);
        if let Some((kind, detail)) = o.error {
            let e = self.errors.entry(kind).or_insert((0, detail));
            e.0 += 1;
        }
    }
}

/// One request: its latency, and an error kind ("POST /api/v1/x 409 CODE") unless the status is `expect`.
async fn call(
    req: reqwest::RequestBuilder,
    route: &str,
    expect: &[u16],
    tally: &Mutex<Tally>,
) -> Option<serde_json::Value> {
    let start = Instant::now();
    let result = async {
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await?;
        Ok::<_, reqwest::Error>((status, bytes))
    }
    .await;
    let micros = start.elapsed().as_micros() as u64;
    let (value, error) = match result {
        Ok((status, bytes)) if expect.contains(&status) => (serde_json::from_slice(&bytes).ok(), None),
        Ok((status, bytes)) => {
            let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            let code = body["code"].as_str().unwrap_or("").to_owned();
            (
                None,
                Some((
                    format!("{route} {status} {code}"),
                    String::from_utf8_lossy(&bytes).chars().take(300).collect(),
                )),
            )
        }
        Err(e) => {
            let kind = if e.is_timeout() {
                "timeout"
            } else if e.is_connect() {
                "connect"
            } else {
                "transport"
            };
            (None, Some((format!("{route} {kind}"), format!("{e:?}"))))
        }
    };
    if let Ok(mut t) = tally.lock() {
        t.add(Outcome { micros, error });
    }
    value
}

fn signed(
    req: reqwest::RequestBuilder,
    unit: &Unit,
    key: &str,
    body: Vec<u8>,
) -> Result<reqwest::RequestBuilder> {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let cms = gjj_pki::cms::sign(&unit.credential, &body, now)?;
    Ok(req
        .header(api::IDEMPOTENCY_KEY, key)
        .header(api::SIGNATURE_FORMAT, "cms")
        .header(
            api::SIGNATURE,
            base64::engine::general_purpose::STANDARD.encode(cms),
        )
        .header("content-type", "application/json")
        .body(body))
}

static KEYS: AtomicUsize = AtomicUsize::new(0);

fn next_key(prefix: &str) -> String {
    format!(
        "load-{prefix}-{}-{:08}",
        std::process::id(),
        KEYS.fetch_add(1, Ordering::Relaxed)
    )
}

/// One employer session: login, 清册, 基数调整 submit, two polls, withdraw.
async fn employer_session(url: &str, unit: &Unit, today: Month, tally: &Mutex<Tally>) -> Result<()> {
    let client = session_client(unit)?;
    call(client.get(format!("{url}/api/v1/me")), "GET /me", &[200], tally).await;
    call(
        client.get(format!("{url}/api/v1/remittance/list")),
        "GET /remittance/list",
        &[200],
        tally,
    )
    .await;
    let flip = KEYS.load(Ordering::Relaxed) % 2 == 0;
    let payload = BaseAdjustment {
        rows: unit
            .persons
            .iter()
            .enumerate()
            .map(|(i, p)| BaseAdjustmentRow {
                row: 5 + i as u32,
                account: p.account.clone(),
                name: p.name.clone(),
                id_number: p.id_number.clone(),
                old_base: Some(p.base),
                new_base: Fen(p.base.0 + if flip { 10_000 } else { 20_000 }),
                effective_month: today,
                note: None,
            })
            .collect(),
    };
    let body = serde_json::to_vec(&payload)?;
    let req = signed(
        client.post(format!("{url}/api/v1/base_adjustment")),
        unit,
        &next_key("ba"),
        body,
    )?;
    let Some(receipt) = call(req, "POST /base_adjustment", &[201], tally).await else {
        return Ok(());
    };
    let serial = receipt["serial"].as_str().unwrap_or_default().to_owned();
    for _ in 0..2 {
        call(
            client.get(format!("{url}/api/v1/submissions/{serial}")),
            "GET /submissions/{serial}",
            &[200],
            tally,
        )
        .await;
    }
    call(
        client.post(format!("{url}/api/v1/submissions/{serial}/withdraw")),
        "POST /submissions/{serial}/withdraw",
        &[200],
        tally,
    )
    .await;
    Ok(())
}

static MATERIALS: AtomicUsize = AtomicUsize::new(0);

/// One developer session: login, declare a material, its chunks, the signed completion, a poll.
async fn developer_session(url: &str, unit: &Unit, size: usize, tally: &Mutex<Tally>) -> Result<()> {
    let Some(project) = unit.project.as_deref() else {
        return Ok(());
    };
    let client = session_client(unit)?;
    call(client.get(format!("{url}/api/v1/me")), "GET /me", &[200], tally).await;
    // A PDF header and unique bytes: one material per upload (the centre stores a file once per project).
    let mut file = format!(
        "%PDF-1.4\n% load {} {}\n",
        std::process::id(),
        MATERIALS.fetch_add(1, Ordering::Relaxed)
    )
    .into_bytes();
    file.resize(size, b'0');
    let sha256 = hex::encode(ring::digest::digest(&ring::digest::SHA256, &file));
    let decl = UploadDeclaration {
        project: project.to_owned(),
        building: None,
        kind: "01".into(),
        name: "营业执照.pdf".into(),
        size: file.len() as u64,
        sha256: sha256.clone(),
    };
    let Some(state) = call(
        client
            .post(format!("{url}/api/v1/project_material/uploads"))
            .json(&decl),
        "POST /project_material/uploads",
        &[200, 201],
        tally,
    )
    .await
    else {
        return Ok(());
    };
    let id = state["upload_id"].as_str().unwrap_or_default().to_owned();
    let chunk = usize::try_from(state["chunk_size"].as_u64().unwrap_or(1 << 20))?.max(1);
    for (i, part) in file.chunks(chunk).enumerate() {
        call(
            client
                .put(format!("{url}/api/v1/project_material/uploads/{id}/chunks/{i}"))
                .body(part.to_vec()),
            "PUT /project_material/uploads/{id}/chunks/{i}",
            &[200],
            tally,
        )
        .await;
    }
    let manifest = serde_json::to_vec(&Manifest {
        project: project.to_owned(),
        building: None,
        kind: decl.kind,
        name: decl.name,
        size: decl.size,
        sha256,
    })?;
    let req = signed(
        client.post(format!("{url}/api/v1/project_material/uploads/{id}/complete")),
        unit,
        &next_key("pm"),
        manifest,
    )?;
    let Some(done) = call(req, "POST /project_material/uploads/{id}/complete", &[201], tally).await else {
        return Ok(());
    };
    let serial = done["receipt"]["serial"].as_str().unwrap_or_default().to_owned();
    call(
        client.get(format!("{url}/api/v1/submissions/{serial}")),
        "GET /submissions/{serial}",
        &[200],
        tally,
    )
    .await;
    Ok(())
}

fn session_client(unit: &Unit) -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .use_preconfigured_tls((*unit.tls).clone())
        .timeout(Duration::from_secs(180))
        .build()?)
}

/// One row of the table.
struct Row {
    backend: String,
    concurrency: usize,
    requests: usize,
    seconds: f64,
    p50: f64,
    p95: f64,
    p99: f64,
    errors: BTreeMap<String, (usize, String)>,
    rss_mib: Vec<f64>,
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)] as f64 / 1000.0
}

/// VmHWM (peak resident set) of a process, MiB.
fn peak_rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|k| k.parse::<f64>().ok()))
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// One concurrency step against `url`.
async fn step(
    backend: &str,
    url: &str,
    units: &[Arc<Unit>],
    concurrency: usize,
    sizes: &Sizes,
    pids: &[u32],
) -> Result<Row> {
    let today = centre_month()?;
    let tally = Arc::new(Mutex::new(Tally::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (tally, stop, next) = (tally.clone(), stop.clone(), next.clone());
        let units = units.to_vec();
        let url = url.to_owned();
        let size = sizes.material_bytes;
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let unit = &units[next.fetch_add(1, Ordering::Relaxed) % units.len()];
                // A unit runs one session at a time (one clerk); another connection takes the next unit.
                let Ok(_guard) = unit.busy.try_lock() else {
                    tokio::task::yield_now().await;
                    continue;
                };
                let r = match unit.role {
                    Role::Developer => developer_session(&url, unit, size, &tally).await,
                    _ => employer_session(&url, unit, today, &tally).await,
                };
                if let Err(e) = r {
                    if let Ok(mut t) = tally.lock() {
                        t.errors
                            .entry("session (generator)".into())
                            .or_insert((0, e.to_string()))
                            .0 += 1;
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(sizes.seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await?;
    }
    let seconds = start.elapsed().as_secs_f64();
    let mut t = std::mem::take(&mut *tally.lock().map_err(|_| anyhow::anyhow!("tally poisoned"))?);
    t.latencies.sort_unstable();
    Ok(Row {
        backend: backend.to_owned(),
        concurrency,
        requests: t.latencies.len(),
        seconds,
        p50: percentile(&t.latencies, 0.50),
        p95: percentile(&t.latencies, 0.95),
        p99: percentile(&t.latencies, 0.99),
        errors: t.errors,
        rss_mib: pids.iter().map(|p| peak_rss_mib(*p)).collect(),
    })
}

/// Full mTLS handshakes per second against `addr` for `seconds` at `concurrency`: connect, handshake (the
/// client's certificate verified by the server), close_notify, and wait for the server to close — so the
/// server has finished its side of every handshake counted.
async fn handshakes(
    addr: &str,
    units: &[Arc<Unit>],
    concurrency: usize,
    seconds: u64,
) -> Result<(f64, usize)> {
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (stop, count, errors, next) = (stop.clone(), count.clone(), errors.clone(), next.clone());
        let units = units.to_vec();
        let addr = addr.to_owned();
        tasks.push(tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            while !stop.load(Ordering::Relaxed) {
                let unit = units[next.fetch_add(1, Ordering::Relaxed) % units.len()].clone();
                let ok = async {
                    let tcp = tokio::net::TcpStream::connect(&addr).await?;
                    let connector = tokio_rustls::TlsConnector::from(unit.tls.clone());
                    let name = ServerName::IpAddress(std::net::Ipv4Addr::LOCALHOST.into());
                    let mut tls = connector.connect(name, tcp).await?;
                    tls.shutdown().await?;
                    let mut sink = Vec::new();
                    let _ = tls.read_to_end(&mut sink).await;
                    Ok::<_, std::io::Error>(())
                }
                .await;
                match ok {
                    Ok(()) => count.fetch_add(1, Ordering::Relaxed),
                    Err(_) => errors.fetch_add(1, Ordering::Relaxed),
                };
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await?;
    }
    let n = count.load(Ordering::Relaxed);
    Ok((
        n as f64 / start.elapsed().as_secs_f64(),
        errors.load(Ordering::Relaxed),
    ))
}

/// The gateway's handshakes/s and the bare server's, each the best of 3 rounds taken in alternation (`seconds`
/// split between them) after a pause: measured once each, straight after the 256-connection step, the gateway
/// was still finishing that step's work (its ratio went 0.78–0.98 between runs of the same build).
async fn handshake_pair(
    gateway: &str,
    bare: &str,
    units: &[Arc<Unit>],
    concurrency: usize,
    seconds: u64,
) -> Result<(f64, f64, usize, usize)> {
    const ROUNDS: u64 = 3;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let each = (seconds / ROUNDS).max(1);
    let (mut gw, mut bare_best, mut gw_errors, mut bare_errors) = (0f64, 0f64, 0, 0);
    for _ in 0..ROUNDS {
        let (rate, errors) = handshakes(gateway, units, concurrency, each).await?;
        gw = gw.max(rate);
        gw_errors += errors;
        let (rate, errors) = handshakes(bare, units, concurrency, each).await?;
        bare_best = bare_best.max(rate);
        bare_errors += errors;
    }
    Ok((gw, bare_best, gw_errors, bare_errors))
}

/// The bare TLS server of the handshake anchor: tokio-rustls with the gateway's certificate and key and the
/// same client verifier (the CA bundle's roots, the RSA/ECDSA CRLs, a certificate asked for but optional as the
/// gateway's SM2 login needs), on its own runtime thread so it competes for the CPU like a separate process.
fn bare_tls_server(fixtures: &Path) -> Result<(String, std::sync::mpsc::Sender<()>)> {
    use rustls_pki_types::pem::PemObject;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let trust = TrustBundle::from_pem_file(&fixtures.join("ca-bundle.pem"))?;
    let mut roots = rustls::RootCertStore::empty();
    for r in &trust.roots {
        roots.add(r.clone())?;
    }
    let mut crls = Vec::new();
    for f in ["root-ca.crl.pem", "intermediate-ca.crl.pem"] {
        for crl in rustls_pki_types::CertificateRevocationListDer::pem_file_iter(fixtures.join(f))? {
            crls.push(crl?);
        }
    }
    let verifier =
        rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .with_crls(crls)
            .allow_unauthenticated()
            .build()?;
    let chain = CertificateDer::pem_file_iter(fixtures.join("server.pem"))?.collect::<Result<Vec<_>, _>>()?;
    let key = PrivateKeyDer::from_pem_file(fixtures.join("server.key"))?;
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?.to_string();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_multi_thread().enable_all().build() else {
            return;
        };
        rt.block_on(async move {
            let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                return;
            };
            loop {
                if stop_rx.try_recv().is_ok() {
                    return;
                }
                let Ok(Ok((stream, _))) =
                    tokio::time::timeout(Duration::from_millis(200), listener.accept()).await
                else {
                    continue;
                };
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    use tokio::io::AsyncReadExt;
                    if let Ok(mut tls) = acceptor.accept(stream).await {
                        let mut sink = Vec::new();
                        let _ = tls.read_to_end(&mut sink).await;
                    }
                });
            }
        });
    });
    Ok((addr, stop_tx))
}

/// A 缴存人登记 of `rows` new people (IDs of region 110101, mobiles 139…), first month `month`.
fn registration(rows: u32, month: Month) -> ContributorRegistration {
    ContributorRegistration {
        rows: (0..rows)
            .map(|i| {
                let d = i / 1000;
                let first17 = format!(
                    "110101{:04}{:02}{:02}{:03}",
                    1970 + d / 336 % 30,
                    d / 28 % 12 + 1,
                    d % 28 + 1,
                    i % 1000
                );
                ContributorRegistrationRow {
                    row: i + 5,
                    name: "王建华".to_owned(),
                    id_type: "01".to_owned(),
                    id_number: format!("{first17}{}", id_check_char(&first17).unwrap_or('X')),
                    sex: None,
                    birth_month: None,
                    mobile: format!("139{i:08}"),
                    landline: None,
                    base: Fen::from_yuan(2000 + i64::from(i * 37 % 15_000)),
                    first_month: month,
                    bank_account: None,
                    bank_name: None,
                    note: None,
                }
            })
            .collect(),
    }
}

/// Rows/s of a signed registration through the gateway at `url`, from the first byte sent to the receipt.
async fn intake_rate(url: &str, unit: &Unit, rows: u32) -> Result<f64> {
    let body = serde_json::to_vec(&registration(rows, centre_month()?))?;
    let client = reqwest::Client::builder()
        .use_preconfigured_tls((*unit.tls).clone())
        .timeout(Duration::from_secs(900))
        .build()?;
    // Connection and handshake first: the figure is the intake alone.
    client.get(format!("{url}/api/v1/me")).send().await?;
    let req = signed(
        client.post(format!("{url}/api/v1/contributor_registration")),
        unit,
        &next_key("intake"),
        body,
    )?;
    let start = Instant::now();
    let resp = req.send().await?;
    let status = resp.status();
    let text = resp.text().await?;
    let seconds = start.elapsed().as_secs_f64();
    if status.as_u16() != 201 {
        bail!(
            "the {rows}-row registration was refused: {status} {}",
            text.chars().take(500).collect::<String>()
        );
    }
    Ok(f64::from(rows) / seconds)
}

/// Rows/s of a bare multi-row INSERT of the same rows into a table shaped like contributor_registration_rows,
/// 16 rows per statement like the gateway, one transaction, on a fresh database at `database_url`.
async fn bare_insert_rate(database_url: &str, rows: u32) -> Result<f64> {
    sqlx::any::install_default_drivers();
    let sqlite = database_url.starts_with("sqlite:");
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if sqlite {
                    // The gateway's own pragmas (db.rs), foreign keys enforced like there.
                    for p in [
                        "PRAGMA journal_mode = WAL",
                        "PRAGMA synchronous = NORMAL",
                        "PRAGMA foreign_keys = ON",
                    ] {
                        sqlx::query(p).execute(&mut *conn).await?;
                    }
                }
                Ok(())
            })
        })
        .connect(database_url)
        .await?;
    // The same shape as the gateway's table, its foreign key to the submission included: on PostgreSQL that
    // check is a trigger per row, a third of the insert's time (50,000 rows: 0.37 s without, 0.65 s with).
    for ddl in [
        "CREATE TABLE bare_submissions (serial TEXT PRIMARY KEY)",
        "INSERT INTO bare_submissions (serial) VALUES ('02000000000001')",
        "CREATE TABLE bare_rows (serial TEXT NOT NULL REFERENCES bare_submissions (serial), row_no BIGINT NOT NULL, person_account TEXT NOT NULL UNIQUE, \
         name TEXT NOT NULL, id_type TEXT NOT NULL, id_number TEXT NOT NULL, sex TEXT, birth_month TEXT, \
         mobile TEXT NOT NULL, landline TEXT, base_fen BIGINT NOT NULL, unit_amount_fen BIGINT NOT NULL, \
         person_amount_fen BIGINT NOT NULL, first_month TEXT NOT NULL, bank_account TEXT, bank_name TEXT, note TEXT, \
         PRIMARY KEY (serial, row_no))",
        "CREATE INDEX bare_rows_by_id_number ON bare_rows (id_number)",
        "CREATE INDEX bare_rows_by_mobile ON bare_rows (mobile)",
    ] {
        sqlx::query(ddl).execute(&pool).await?;
    }
    let payload = registration(rows, centre_month()?);
    let month = centre_month()?.to_string();
    let start = Instant::now();
    let values: Vec<Vec<V>> = payload
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let amount = (r.base.0 * 1200 + 5000) / 10_000;
            vec![
                V::T("02000000000001".into()),
                V::I(i64::from(r.row)),
                V::T(format!("9900{i:010}")),
                V::T(r.name.clone()),
                V::T(r.id_type.clone()),
                V::T(r.id_number.clone()),
                V::T("1".into()),
                V::T("197001".into()),
                V::T(r.mobile.clone()),
                V::N,
                V::I(r.base.0),
                V::I(amount),
                V::I(amount),
                V::T(month.clone()),
                V::N,
                V::N,
                V::N,
            ]
        })
        .collect();
    let columns = [
        "serial",
        "row_no",
        "person_account",
        "name",
        "id_type",
        "id_number",
        "sex",
        "birth_month",
        "mobile",
        "landline",
        "base_fen",
        "unit_amount_fen",
        "person_amount_fen",
        "first_month",
        "bank_account",
        "bank_name",
        "note",
    ];
    // 16 rows × 17 columns per statement: the gateway's INSERT_CHUNK.
    insert(&pool, "bare_rows", &columns, values, Some(16)).await?;
    let seconds = start.elapsed().as_secs_f64();
    pool.close().await;
    Ok(f64::from(rows) / seconds)
}

/// A single gateway on a SQLite file.
struct Single {
    child: Child,
    url: String,
    addr: String,
    database_url: String,
}

impl Drop for Single {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The load run's gateway config: room for the 50,000-row intake (≈ 13 MB of JSON, minutes on a slow disk).
const LOAD_BODY_BYTES: usize = 64 * 1024 * 1024;
const LOAD_REQUEST_TIMEOUT_SECS: u64 = 600;

fn start_single(fixtures: &Fixtures, server: &Path, dir: &Path) -> Result<Single> {
    let database_url = format!("sqlite://{}?mode=rwc", dir.join("centre.sqlite").display());
    let mut config = GatewayConfig::new("127.0.0.1:0", &database_url);
    config.max_body_bytes = LOAD_BODY_BYTES;
    config.request_timeout_secs = LOAD_REQUEST_TIMEOUT_SECS;
    let path = dir.join("server.toml");
    config.write(fixtures, &path)?;
    let seeded = Command::new(server)
        .arg("--config")
        .arg(&path)
        .args(["seed", "--demo"])
        .stdout(Stdio::null())
        .status()?;
    if !seeded.success() {
        bail!("gjj-server seed --demo failed");
    }
    let log = std::fs::File::create(dir.join("gateway.log"))?;
    let mut cmd = Command::new(server);
    cmd.arg("--config")
        .arg(&path)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(log);
    let (child, addrs) = spawn_gateway(&mut cmd, false)?;
    Ok(Single {
        child,
        url: format!("https://{}", addrs.api),
        addr: addrs.api,
        database_url,
    })
}

/// The anchors of one backend.
struct Anchors {
    gateway_hs: f64,
    bare_hs: f64,
    hs_errors: usize,
    gateway_rows: f64,
    bare_rows: f64,
}

/// The load run's units as the soak's (the same certificates and 缴存人, registered already).
fn chaos_units(units: &[Arc<Unit>]) -> Vec<chaos::ChaosUnit> {
    units
        .iter()
        .map(|u| chaos::ChaosUnit {
            account: u.account.clone(),
            credential: u.credential.clone(),
            persons: u
                .persons
                .iter()
                .map(|p| chaos::ChaosPerson {
                    account: p.account.clone(),
                    name: p.name.clone(),
                    id_number: p.id_number.clone(),
                    base: p.base,
                })
                .collect(),
            project: u.project.clone(),
        })
        .collect()
}

/// Spreads the soak's units: every developer among the first `n`, the rest employers.
fn chaos_pick(units: &[Arc<Unit>], n: usize) -> Vec<chaos::ChaosUnit> {
    let mut picked = chaos_units(units);
    picked.sort_by_key(|u| u.project.is_none());
    let developers = picked
        .iter()
        .filter(|u| u.project.is_some())
        .count()
        .min(n / 4)
        .max(1);
    let mut out: Vec<_> = picked
        .iter()
        .filter(|u| u.project.is_some())
        .take(developers)
        .cloned()
        .collect();
    out.extend(
        picked
            .into_iter()
            .filter(|u| u.project.is_none())
            .take(n.saturating_sub(out.len())),
    );
    out
}

/// `--chaos`: the soak — kill -9 of an instance at random moments, PostgreSQL restarts, connections cut
/// mid-request, mid-upload and mid-answer — then every client's outbox against the database.
async fn chaos(
    cluster: &mut Cluster,
    pg: &postgres::Postgres,
    units: &[Arc<Unit>],
    sizes: &Sizes,
    dir: &Path,
    trust: &TrustBundle,
) -> Result<chaos::Report> {
    let plan = chaos::Plan::soak(sizes.seconds * 5);
    println!(
        "▶ chaos soak: {} s, {} units, kill -9 every ~{} s, {} PostgreSQL restarts, {:.0} % of connections cut",
        plan.seconds,
        plan.units,
        plan.kill_every_secs,
        plan.pg_restarts,
        plan.cut_share * 100.0
    );
    let picked = chaos_pick(units, plan.units);
    let report = chaos::run(
        cluster,
        &|| pg.restart(),
        picked,
        trust,
        dir,
        &plan,
        centre_month()?,
    )
    .await?;
    println!("  {}", report.summary());
    if !report.clean() {
        bail!("the soak lost or duplicated businesses: {}", report.summary());
    }
    Ok(report)
}

/// The fault test of `cargo xtask test` (`seconds: None`, short) or `cargo xtask faults --seconds N` (the soak
/// plan for N seconds): two debug gateways on `pg` behind HAProxy.
pub fn fault_test(fixtures_dir: &Path, pg: &postgres::Postgres, seconds: Option<u64>) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let plan = seconds.map_or_else(chaos::Plan::short, chaos::Plan::soak);
        let sizes = Sizes {
            units: (plan.units * 4).max(40),
            persons: plan.rows,
            seconds: plan.seconds,
            steps: Vec::new(),
            intake_rows: 0,
            material_bytes: plan.material_bytes,
            handshake_seconds: 0,
        };
        let trust = TrustBundle::from_pem_file(&fixtures_dir.join("ca-bundle.pem"))?;
        let units = make_units(fixtures_dir, &sizes, &trust)?;
        let fixtures = Fixtures {
            dir: fixtures_dir.to_owned(),
        };
        let url = pg.url.clone();
        let mut cluster = tokio::task::spawn_blocking(move || {
            Cluster::start_with(&fixtures, &url, &ClusterOptions::new(2))
        })
        .await??;
        register_units(cluster.database_url(), &units).await?;
        let dir = cluster.dir().join("clients");
        std::fs::create_dir_all(&dir)?;
        let picked = chaos_pick(&units, plan.units);
        let started = Instant::now();
        let report = chaos::run(
            &mut cluster,
            &|| pg.restart(),
            picked,
            &trust,
            &dir,
            &plan,
            centre_month()?,
        )
        .await?;
        println!(
            "fault test ({:.0} s): {}",
            started.elapsed().as_secs_f64(),
            report.summary()
        );
        anyhow::ensure!(
            // Every fault happened, and at least one answer was lost after its business was stored.
            report.clean()
                && report.kills > 0
                && report.pg_restarts > 0
                && report.cuts > 0
                && report.replayed > 0
                && report.accepted > 0
                && report.uploads > 0,
            "fault test failed: {}",
            report.summary()
        );
        Ok(())
    })
}

async fn run_release(root: &Path, o: &LoadOptions) -> Result<()> {
    let sizes = Sizes::of(o);
    let server = root.join("target/release/gjj-server");
    let fixtures_dir = root.join("target").join("gjj-bench-fixtures");
    if !fixtures_dir.join("softhsm").exists() {
        pki::run(&fixtures_dir)?;
        token::run(&fixtures_dir)?;
    }
    let fixtures = Fixtures {
        dir: fixtures_dir.clone(),
    };
    let trust = TrustBundle::from_pem_file(&fixtures.ca_bundle())?;
    let t = Instant::now();
    let units = make_units(&fixtures_dir, &sizes, &trust)?;
    println!(
        "▶ {} units with their own certificates ({:.1} s)",
        units.len(),
        t.elapsed().as_secs_f64()
    );
    let hs_concurrency = 64;
    let mut rows = Vec::new();
    let mut anchors = Vec::new();

    // SQLite: one instance.
    // Under target/, wiped each run: the SQLite files of a full run are a few GB, more than a small /tmp holds.
    let work = root.join("target").join("gjj-load");
    if work.exists() {
        std::fs::remove_dir_all(&work)?;
    }
    std::fs::create_dir_all(&work)?;
    {
        let single = start_single(&fixtures, &server, work.as_path())?;
        register_units(&single.database_url, &units).await?;
        println!("▶ SQLite gateway on {}", single.url);
        for &c in &sizes.steps {
            let row = step("SQLite ×1", &single.url, &units, c, &sizes, &[single.child.id()]).await?;
            print_row(&row);
            rows.push(row);
        }
        let (bare_addr, stop) = bare_tls_server(&fixtures_dir)?;
        let (gateway_hs, bare_hs, e1, e2) = handshake_pair(
            &single.addr,
            &bare_addr,
            &units,
            hs_concurrency,
            sizes.handshake_seconds,
        )
        .await?;
        let _ = stop.send(());
        let gateway_rows = intake_rate(&single.url, &units[0], sizes.intake_rows).await?;
        let bare_url = format!(
            "sqlite://{}?mode=rwc",
            work.as_path().join("bare.sqlite").display()
        );
        let bare_rows = bare_insert_rate(&bare_url, sizes.intake_rows).await?;
        anchors.push((
            "SQLite ×1",
            Anchors {
                gateway_hs,
                bare_hs,
                hs_errors: e1 + e2,
                gateway_rows,
                bare_rows,
            },
        ));
    }

    // PostgreSQL: two instances behind HAProxy.
    let pg = postgres::Postgres::start(&root.join("target").join("gjj-load-postgres"))?;
    let mut options = ClusterOptions::new(2);
    options.server_bin = server.clone();
    options.max_body_bytes = LOAD_BODY_BYTES;
    options.request_timeout_secs = LOAD_REQUEST_TIMEOUT_SECS;
    let (f, url) = (fixtures.clone(), pg.url.clone());
    let mut cluster = tokio::task::spawn_blocking(move || Cluster::start_with(&f, &url, &options)).await??;
    register_units(cluster.database_url(), &units).await?;
    println!(
        "▶ PostgreSQL: 2 gateways behind HAProxy on {} (health checks: {})",
        cluster.url(),
        if cluster.has_ops() {
            "/readyz over TLS"
        } else {
            "TCP (no [ops] in this gjj-server)"
        }
    );
    let pids: Vec<u32> = (0..cluster.instances()).filter_map(|i| cluster.pid(i)).collect();
    for &c in &sizes.steps {
        let row = step(
            "PostgreSQL ×2 + HAProxy",
            &cluster.url(),
            &units,
            c,
            &sizes,
            &pids,
        )
        .await?;
        print_row(&row);
        rows.push(row);
    }
    // Instance 0 directly: the same single server as the bare one (through HAProxy it would add the proxy).
    let (bare_addr, stop) = bare_tls_server(&fixtures_dir)?;
    let (gateway_hs, bare_hs, e1, e2) = handshake_pair(
        cluster.instance_url(0).trim_start_matches("https://"),
        &bare_addr,
        &units,
        hs_concurrency,
        sizes.handshake_seconds,
    )
    .await?;
    let _ = stop.send(());
    let gateway_rows = intake_rate(&cluster.url(), &units[0], sizes.intake_rows).await?;
    let server_url = pg.url.clone();
    // It runs its own small runtime: off this one.
    let bare_db =
        tokio::task::spawn_blocking(move || gjj_tests::fresh_postgres_database(&server_url)).await??;
    let bare_rows = bare_insert_rate(&bare_db, sizes.intake_rows).await?;
    anchors.push((
        "PostgreSQL ×2 + HAProxy",
        Anchors {
            gateway_hs,
            bare_hs,
            hs_errors: e1 + e2,
            gateway_rows,
            bare_rows,
        },
    ));
    // The table first (a failed soak must not lose it), then the soak on the same cluster.
    let mut report = report(&rows, &anchors, &sizes, hs_concurrency, o);
    println!("\n{report}");
    write_section(root, HEADING, &report)?;
    println!("written to docs/bench.md");
    if o.chaos {
        let dir = work.join("chaos-clients");
        std::fs::create_dir_all(&dir)?;
        let soak = chaos(&mut cluster, &pg, &units, &sizes, &dir, &trust).await;
        let line = match &soak {
            Ok(r) => format!(
                "\nChaos soak (PostgreSQL ×2 + HAProxy, a TCP proxy cutting connections, real clients with their \
                 outboxes; the units' earlier businesses of this run excluded): {}. {}\n",
                r.summary(),
                verdict(r.clean())
            ),
            Err(e) => format!("\nChaos soak failed: {e:#}\n"),
        };
        report.push_str(&line);
        write_section(root, HEADING, &report)?;
        soak?;
    }
    drop(cluster);
    drop(pg);
    Ok(())
}

fn print_row(r: &Row) {
    for (kind, (n, detail)) in &r.errors {
        println!(
            "    error ×{n} {kind}: {}",
            detail.chars().take(200).collect::<String>()
        );
    }
    println!(
        "  {:<24} {:>4} conns  {:>8.1} req/s  p50 {:>7.1} ms  p95 {:>7.1} ms  p99 {:>7.1} ms  errors {}",
        r.backend,
        r.concurrency,
        r.requests as f64 / r.seconds,
        r.p50,
        r.p95,
        r.p99,
        r.errors.values().map(|e| e.0).sum::<usize>()
    );
}

pub(crate) fn machine() -> String {
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|k| k.parse::<f64>().ok()))
        })
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1).map(|m| m.trim().to_owned()))
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{nproc} CPUs ({cpu}), {mem:.1} GiB RAM")
}

pub(crate) fn git_commit(root: &Path) -> String {
    Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(root)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn report(
    rows: &[Row],
    anchors: &[(&str, Anchors)],
    sizes: &Sizes,
    hs_concurrency: usize,
    o: &LoadOptions,
) -> String {
    let root = crate::workspace_root();
    let date = OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let mut s = format!(
        "Machine: {}. Date: {date}. Commit: {}{}. Release builds; {} units ({} developers), {} 缴存人 each, {} s per \
         step{}.\n\n",
        machine(),
        git_commit(&root),
        if Command::new("git")
            .args(["diff", "--quiet", "HEAD"])
            .current_dir(&root)
            .status()
            .is_ok_and(|s| s.success())
        {
            ""
        } else {
            " (+ uncommitted changes)"
        },
        sizes.units,
        sizes.units / 20,
        sizes.persons,
        sizes.seconds,
        if o.quick { ", --quick" } else { "" }
    );
    s.push_str("| backend | connections | requests/s | p50 ms | p95 ms | p99 ms | errors | server peak RSS (VmHWM) |\n");
    s.push_str("|---|---:|---:|---:|---:|---:|---:|---|\n");
    for r in rows {
        let rss: Vec<String> = r.rss_mib.iter().map(|m| format!("{m:.0} MiB")).collect();
        s.push_str(&format!(
            "| {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {} | {} |\n",
            r.backend,
            r.concurrency,
            r.requests as f64 / r.seconds,
            r.p50,
            r.p95,
            r.p99,
            r.errors.values().map(|e| e.0).sum::<usize>(),
            rss.join(" / ")
        ));
    }
    let mut first_errors = HashMap::new();
    for r in rows {
        for (kind, (n, detail)) in &r.errors {
            first_errors.entry(kind.clone()).or_insert_with(|| {
                format!(
                    "- `{kind}` ×{n} first at {} {} conns: {detail}",
                    r.backend, r.concurrency
                )
            });
        }
    }
    if !first_errors.is_empty() {
        s.push_str("\nFirst error of each kind:\n\n");
        let mut e: Vec<_> = first_errors.into_values().collect();
        e.sort();
        for line in e {
            s.push_str(&line.replace('\n', " "));
            s.push('\n');
        }
    }
    s.push_str(&format!(
        "\nAnchors (same run): full mTLS handshakes/s at {hs_concurrency} connections, new connection each, no \
         resumption, best of 3 rounds taken in alternation with the bare server; rows stored/s of a {}-row 缴存人登记 from first byte to receipt vs a bare multi-row INSERT \
         (16 rows per statement, one transaction) into a table of the same shape in the same kind of database.\n\n",
        sizes.intake_rows
    ));
    s.push_str("| backend | gateway handshakes/s | bare rustls handshakes/s | ratio (target ≥ 0.8) | gateway rows/s | bare INSERT rows/s | ratio (target ≥ 0.5) |\n");
    s.push_str("|---|---:|---:|---:|---:|---:|---:|\n");
    for (b, a) in anchors {
        s.push_str(&format!(
            "| {b} | {:.0} | {:.0} | {:.2} {} | {:.0} | {:.0} | {:.2} {} |\n",
            a.gateway_hs,
            a.bare_hs,
            a.gateway_hs / a.bare_hs,
            verdict(a.gateway_hs / a.bare_hs >= 0.8),
            a.gateway_rows,
            a.bare_rows,
            a.gateway_rows / a.bare_rows,
            verdict(a.gateway_rows / a.bare_rows >= 0.5),
        ));
        if a.hs_errors > 0 {
            s.push_str(&format!("\n{b}: {} handshakes failed.\n", a.hs_errors));
        }
    }
    let at256: usize = rows
        .iter()
        .filter(|r| r.concurrency == 256)
        .map(|r| r.errors.values().map(|e| e.0).sum::<usize>())
        .sum();
    let peak = rows
        .iter()
        .flat_map(|r| r.rss_mib.iter().copied())
        .fold(0.0, f64::max);
    s.push_str(&format!(
        "\nTargets: 0 errors at 256 connections: {} ({at256}); server RSS bounded: peak {peak:.0} MiB per instance \
         (see the column: it should level off across the steps, not grow with them).\n",
        verdict(at256 == 0)
    ));
    s
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "✔"
    } else {
        "✘"
    }
}

const HEADING: &str = "## Gateway load (cargo xtask load)";

/// Replaces this command's section of docs/bench.md (created when missing); other sections stay.
/// Replaces (or appends) the section under `heading` of docs/bench.md, leaving the others (`cargo xtask bench`
/// and `cargo xtask load` each own one).
pub(crate) fn write_section(root: &Path, heading: &str, report: &str) -> Result<()> {
    let path: PathBuf = root.join("docs").join("bench.md");
    let old = std::fs::read_to_string(&path).unwrap_or_else(|_| "# Benchmarks\n".to_owned());
    let section = format!("{heading}\n\n{report}");
    let new = match old.find(heading) {
        Some(at) => {
            let rest = &old[at + heading.len()..];
            let end = rest
                .find("\n## ")
                .map_or(old.len(), |e| at + heading.len() + e + 1);
            format!("{}{section}\n{}", &old[..at], &old[end..])
        }
        None => format!("{}\n\n{section}", old.trim_end()),
    };
    std::fs::write(&path, new.trim_end().to_owned() + "\n")?;
    Ok(())
}
