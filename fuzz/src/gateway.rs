//! The gateway in-process: its real router (`gjj_server::http::app`) over a SQLite file loaded with the demo
//! centre (`gjj_server::seed::demo`) and one project of the demo developer, configured from a gateway.toml as
//! the real one is. A request gets the connection's certificate as the TLS layer hands it over (an `Arc<Peer>`
//! extension); everything from the body limit to the database is the production code.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Method, Request};
use gjj_server::tls::Peer;
use tower::ServiceExt;

/// The demo units the harness logs in as (seed/demo.toml).
pub const EMPLOYER: (&str, &str) = ("衡阳雁城科技有限公司", "91430405MA4PYC0138");
pub const DEVELOPER: (&str, &str) = ("衡阳华信置业有限公司", "91430400MA4PHX0426");
pub const STAFF: (&str, &str) = ("衡阳市住房公积金管理中心", "12430400MB1G0J113B");
/// The project of the demo developer the harness creates.
pub const PROJECT: &str = "XM00000001";

/// Who a request comes from.
#[derive(Clone, Copy, Debug, arbitrary::Arbitrary)]
pub enum Who {
    Employer,
    Developer,
    Staff,
    /// A certificate whose USCC no unit has.
    Unknown,
    /// A certificate without a USCC.
    NoUscc,
    /// No certificate at all.
    Nobody,
}

/// One answer.
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

pub struct Gateway {
    rt: tokio::runtime::Runtime,
    router: axum::Router,
    db: gjj_server::db::Db,
    peers: Vec<(Arc<Peer>, Vec<u8>)>,
    /// A base-adjustment payload the centre accepts: the employer's own persons at their bases, this month.
    pub accepted_base_adjustment: serde_json::Value,
}

/// Removes the databases of harness processes that are gone.
fn sweep(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name.strip_prefix("gjj-fuzz-db-") {
            if !std::path::Path::new("/proc").join(pid).exists() {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

impl Gateway {
    /// The gateway of this process (set up on first use: about a second).
    pub fn get() -> &'static Gateway {
        static GATEWAY: OnceLock<Gateway> = OnceLock::new();
        GATEWAY.get_or_init(Gateway::start)
    }

    fn start() -> Gateway {
        let base = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        sweep(&base);
        let dir = base.join(format!("gjj-fuzz-db-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("harness directory");

        // The TLS files the configuration names (the harness never speaks TLS: requests carry their peer).
        let ca_key = rcgen::KeyPair::generate().expect("CA key");
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.distinguished_name.push(rcgen::DnType::CommonName, "fuzz CA");
        let ca = ca.self_signed(&ca_key).expect("CA");
        let server_key = rcgen::KeyPair::generate().expect("server key");
        let server = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
            .expect("server params")
            .signed_by(&server_key, &ca, &ca_key)
            .expect("server certificate");
        std::fs::write(dir.join("ca.pem"), pem("CERTIFICATE", ca.der())).expect("ca.pem");
        std::fs::write(dir.join("server.pem"), pem("CERTIFICATE", server.der())).expect("server.pem");
        std::fs::write(dir.join("server.key"), server_key.serialize_pem()).expect("server.key");

        // Material files up to 3 MiB (three chunks): the protocol's edges without megabytes per input.
        let toml = format!(
            "listen = \"127.0.0.1:0\"\ndatabase_url = \"sqlite://{db}?mode=rwc\"\n\
             [tls]\ncert = \"{d}/server.pem\"\nkey = \"{d}/server.key\"\nclient_ca = \"{d}/ca.pem\"\n\
             [limits]\nrate_per_second = 1000000\nrate_burst = 1000000\nmax_body_bytes = 1048576\n\
             max_material_file_bytes = 3145728\nmax_material_project_bytes = 8388608\n",
            db = dir.join("centre.sqlite").display(),
            d = dir.display()
        );
        let config: gjj_server::config::Config = toml::from_str(&toml).expect("gateway.toml");

        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let (router, db, accepted_base_adjustment) = rt.block_on(async {
            let db = gjj_server::db::Db::connect(&config.database_url)
                .await
                .expect("database");
            gjj_server::seed::demo(&db).await.expect("demo data");
            sqlx::query(
                "INSERT INTO projects (id, developer_account, name, status, created_at, updated_at) \
                 VALUES ($1, '4000001', '雁城花园', '01', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
            )
            .bind(PROJECT)
            .execute(db.pool())
            .await
            .expect("project");
            // As `gjj_server::run` builds it (a field added there is one more line here).
            let state = gjj_server::http::AppState {
                db: db.clone(),
                limits: config.limits.clone(),
                offset: time::UtcOffset::from_hms(8, 0, 0).expect("offset"),
                tls: gjj_server::tls::TlsState::load(&config.tls).expect("TLS state"),
                receipts: None,
                rate: gjj_server::http::RateLimit::new(&config.limits),
                audit: gjj_server::audit::AuditLog::start(db.clone()),
                in_flight: Arc::new(tokio::sync::Semaphore::new(config.limits.max_in_flight.max(1))),
            };
            let now = state.now();
            let today = gjj_domain::month::Month::new(now.year(), u32::from(u8::from(now.month())))
                .expect("this month");
            let mut persons: Vec<_> = db
                .persons_of_unit("9815070100001")
                .await
                .expect("the employer's persons")
                .into_values()
                .collect();
            persons.sort_by(|a, b| a.account.cmp(&b.account));
            let rows: Vec<gjj_domain::base_adjustment::BaseAdjustmentRow> = persons
                .iter()
                .filter(|p| p.status == "01")
                .take(2)
                .enumerate()
                .map(|(i, p)| gjj_domain::base_adjustment::BaseAdjustmentRow {
                    row: 5 + i as u32,
                    account: p.account.clone(),
                    name: p.name.clone(),
                    id_number: p.id_number.clone(),
                    old_base: Some(p.base),
                    new_base: gjj_domain::money::Fen(p.base.0 + 10_000),
                    effective_month: today,
                    note: None,
                })
                .collect();
            let payload =
                serde_json::to_value(gjj_domain::base_adjustment::BaseAdjustment { rows }).expect("payload");
            (gjj_server::http::app(state), db, payload)
        });

        let key = crate::keys::ec();
        let peer = |name: &str, uscc: Option<&str>| {
            let der = key.certificate(name, uscc);
            let identity = gjj_pki::CertIdentity::from_der(&der).expect("identity");
            (Arc::new(Peer::new(der.clone(), identity)), der)
        };
        let peers = vec![
            peer(EMPLOYER.0, Some(EMPLOYER.1)),
            peer(DEVELOPER.0, Some(DEVELOPER.1)),
            peer(STAFF.0, Some(STAFF.1)),
            peer("衡阳未登记贸易有限公司", Some("91430412MA4PUK0565")),
            peer("没有代码的单位", None),
        ];
        Gateway {
            rt,
            router,
            db,
            peers,
            accepted_base_adjustment,
        }
    }

    /// The certificate (DER) `who` logs in with; `None` for [`Who::Nobody`].
    pub fn certificate(&self, who: Who) -> Option<&[u8]> {
        self.peer_index(who).map(|i| self.peers[i].1.as_slice())
    }

    fn peer_index(&self, who: Who) -> Option<usize> {
        match who {
            Who::Employer => Some(0),
            Who::Developer => Some(1),
            Who::Staff => Some(2),
            Who::Unknown => Some(3),
            Who::NoUscc => Some(4),
            Who::Nobody => None,
        }
    }

    /// Sends one request through the router. Header names or values the HTTP layer could not carry are
    /// dropped, as hyper would refuse them before the router.
    pub fn send(
        &self,
        who: Who,
        method: &str,
        uri: &str,
        headers: &[(String, String)],
        body: Vec<u8>,
    ) -> Reply {
        let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::POST);
        let mut req = match Request::builder().method(method).uri(uri).body(Body::from(body)) {
            Ok(req) => req,
            // A URI hyper would not accept: nothing reaches the gateway.
            Err(_) => {
                return Reply {
                    status: 400,
                    body: Vec::new(),
                }
            }
        };
        for (k, v) in headers {
            if let (Ok(k), Ok(v)) = (
                HeaderName::try_from(k.as_str()),
                HeaderValue::try_from(v.as_str()),
            ) {
                req.headers_mut().append(k, v);
            }
        }
        if let Some(i) = self.peer_index(who) {
            req.extensions_mut().insert(self.peers[i].0.clone());
        }
        let uri = req.uri().to_string();
        let reply = self.rt.block_on(async {
            let resp = self
                .router
                .clone()
                .oneshot(req)
                .await
                .expect("the router is infallible");
            let status = resp.status().as_u16();
            let body = http_body_util::BodyExt::collect(resp.into_body())
                .await
                .map(|b| b.to_bytes().to_vec())
                .unwrap_or_default();
            Reply { status, body }
        });
        // GJJ_FUZZ_TRACE=1: every answer on stderr (to see what the inputs reach).
        if std::env::var_os("GJJ_FUZZ_TRACE").is_some() {
            let text = String::from_utf8_lossy(&reply.body);
            eprintln!(
                "{who:?} {uri} -> {} {}",
                reply.status,
                text.chars().take(160).collect::<String>()
            );
        }
        reply
    }

    /// Runs statements on the database (the harness's own resets between inputs).
    pub fn sql(&self, statements: &[&str]) {
        self.rt.block_on(async {
            for s in statements {
                sqlx::query(s).execute(self.db.pool()).await.expect("harness SQL");
            }
        });
    }
}
