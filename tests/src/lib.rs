//! gjj-tests: a local centre for end-to-end tests and the demo.
//!
//! [`Fixtures`] is a directory made by `cargo xtask pki` + `cargo xtask token` (dev CA, server certificate,
//! soft certificates, SoftHSM tokens). [`LocalCentre`] runs the real `gjj-server` binary on a free loopback port
//! with its own database (a SQLite file, or a fresh PostgreSQL database), seeded with the demo centre, and
//! hands out `gjj` CLI commands configured for a unit's USB key. Nothing here is a mock: the processes, the
//! TLS, the tokens and the databases are the real ones. The one test double is [`locked_token_double`], a
//! PKCS#11 module over SoftHSM for the PIN states (locked, last try) SoftHSM never reaches.

pub mod cluster;
#[cfg(feature = "desktop-e2e")]
pub mod webdriver;
pub mod wine;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use gjj_domain::money::Fen;
pub use gjj_sheets::base_adjustment::FIRST_DATA_ROW;

/// Environment variable naming the fixtures directory (set by `cargo xtask test`).
pub const FIXTURES_ENV: &str = "GJJ_TEST_FIXTURES";
/// Environment variable with a PostgreSQL server URL for the PostgreSQL tests (set by `cargo xtask test`).
pub const POSTGRES_ENV: &str = "GJJ_TEST_POSTGRES_URL";
/// PIN of every dev token and password of every dev .pfx (written by xtask).
pub const DEV_PIN: &str = "123456";
/// The local centre's body limit: small, so the limit tests send little.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// The local centre's request timeout: short, so the half-sent-request test waits little.
pub const REQUEST_TIMEOUT_SECS: u64 = 5;
/// The PKCS#11 module of SoftHSM2 on Debian/Ubuntu.
pub const SOFTHSM_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// The demo units (crates/server/seed/demo.toml), by token label.
pub mod units {
    /// Employer A: EC P-256 key on its token.
    pub const EMPLOYER_A: &str = "衡阳雁城科技有限公司";
    /// Employer B: RSA-2048 key with PSS.
    pub const EMPLOYER_B: &str = "衡阳蒸湘机械有限公司";
    /// Employer C: RSA-2048 key restricted to CKM_RSA_PKCS (TLS 1.2 only).
    pub const EMPLOYER_C: &str = "衡阳石鼓物流有限公司";
    /// The developer: EC P-256.
    pub const DEVELOPER: &str = "衡阳华信置业有限公司";
}

/// The dev PKI and tokens.
#[derive(Clone, Debug)]
pub struct Fixtures {
    /// The directory.
    pub dir: PathBuf,
}

impl Fixtures {
    /// From `GJJ_TEST_FIXTURES`; panics with what to run when unset (these tests need real tokens).
    pub fn from_env() -> Fixtures {
        let dir = std::env::var_os(FIXTURES_ENV).map(PathBuf::from).unwrap_or_else(|| {
            panic!("{FIXTURES_ENV} is not set: run the end-to-end tests with `cargo xtask test` (it makes the dev PKI and SoftHSM tokens)")
        });
        assert!(
            dir.join("ca-bundle.pem").exists(),
            "{} has no ca-bundle.pem: run `cargo xtask pki`",
            dir.display()
        );
        Fixtures { dir }
    }

    /// The SOFTHSM2_CONF of the tokens.
    pub fn softhsm_conf(&self) -> PathBuf {
        self.dir.join("softhsm").join("softhsm2.conf")
    }

    /// The centre's CA bundle.
    pub fn ca_bundle(&self) -> PathBuf {
        self.dir.join("ca-bundle.pem")
    }

    /// A soft certificate by stem (expired, revoked, …).
    pub fn pfx(&self, stem: &str) -> PathBuf {
        self.dir.join("clients").join(format!("{stem}.pfx"))
    }
}

/// Logs in to a SoftHSM token in this process (the module reads SOFTHSM2_CONF once, at initialisation).
pub fn token_credential(fixtures: &Fixtures, label: &str) -> gjj_pki::Credential {
    std::env::set_var("SOFTHSM2_CONF", fixtures.softhsm_conf());
    let module = gjj_pki::pkcs11::Module::load(Path::new(SOFTHSM_MODULE)).expect("SoftHSM module");
    let selector = gjj_pki::pkcs11::TokenSelector {
        label: Some(label.into()),
        certificate: None,
    };
    module.login(&selector, DEV_PIN).expect("token login")
}

/// Environment variable selecting the PIN state the [`locked_token_double`] reports: `locked`, `final_try` or
/// `count_low` (unset: SoftHSM's own flags).
pub const DOUBLE_PIN_STATE_ENV: &str = "GJJ_DOUBLE_PIN_STATE";

/// Builds the PKCS#11 test double of a locked USB key (tests/pkcs11-double/locked_token_double.c) into
/// `out_dir` and returns the module's path. It wraps the SoftHSM module and only changes the PIN state it
/// reports ([`DOUBLE_PIN_STATE_ENV`]): SoftHSM never locks a PIN, real USB keys do. Needs gcc and the p11-kit
/// PKCS#11 header (`libp11-kit-dev`).
pub fn locked_token_double(out_dir: &Path) -> Result<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("pkcs11-double")
        .join("locked_token_double.c");
    let out = out_dir.join("liblocked_token_double.so");
    let built = Command::new("gcc")
        .args(["-shared", "-fPIC", "-Wall", "-Wextra", "-Werror", "-o"])
        .arg(&out)
        .arg(&src)
        .args(["-I/usr/include/p11-kit-1", "-ldl"])
        .output()
        .context("running gcc to build the PKCS#11 test double (install build-essential)")?;
    if !built.status.success() {
        bail!(
            "gcc could not build {} (is libp11-kit-dev installed?):\n{}",
            src.display(),
            String::from_utf8_lossy(&built.stderr)
        );
    }
    Ok(out)
}

/// Environment variable naming the state directory of the SKF test double.
pub const SKF_DOUBLE_DIR_ENV: &str = "GJJ_SKF_DOUBLE_DIR";

/// The SKF TEST DOUBLE library (tests/skf-double, built with the workspace): what the client loads in place of a
/// vendor's SM2 USB-key driver.
pub fn skf_double() -> PathBuf {
    let name = if cfg!(windows) {
        "skf_test_double.dll"
    } else {
        "libskf_test_double.so"
    };
    bin("x").with_file_name(name)
}

/// Names the state directory of the PKCS#11 SM2 TEST DOUBLE (same format as the SKF double's).
pub const PKCS11_SM2_DOUBLE_DIR_ENV: &str = "GJJ_PKCS11_SM2_DOUBLE_DIR";

/// The PKCS#11 SM2 TEST DOUBLE library (tests/pkcs11-sm2-double): a vendor PKCS#11 module of an SM2 key with
/// Westone's documented CKM_SM2.
pub fn pkcs11_sm2_double() -> PathBuf {
    let name = if cfg!(windows) {
        "pkcs11_sm2_test_double.dll"
    } else {
        "libpkcs11_sm2_test_double.so"
    };
    bin("x").with_file_name(name)
}

/// Puts an SM2 unit certificate of the fixtures (`clients/{stem}.pem` + `.key`, and `{enc}` as the encryption
/// certificate) into a fresh state directory of the SKF test double with user PIN [`DEV_PIN`]; returns the dir.
pub fn skf_double_state(fixtures: &Fixtures, stem: &str, enc: Option<&str>, out: &Path) -> Result<PathBuf> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::CertificateDer;
    std::fs::create_dir_all(out)?;
    let clients = fixtures.dir.join("clients");
    let der = |name: &str| -> Result<Vec<u8>> {
        let pem = std::fs::read(clients.join(format!("{name}.pem")))?;
        Ok(CertificateDer::from_pem_slice(&pem)
            .with_context(|| format!("{name}.pem"))?
            .to_vec())
    };
    std::fs::copy(clients.join(format!("{stem}.key")), out.join("sign.key"))?;
    std::fs::write(out.join("sign.der"), der(stem)?)?;
    if let Some(enc) = enc {
        std::fs::write(out.join("enc.der"), der(enc)?)?;
    }
    std::fs::write(out.join("pin"), DEV_PIN)?;
    let _ = std::fs::remove_file(out.join("retries"));
    Ok(out.to_path_buf())
}

/// Runs a `gjj` command: (exit code, stdout as JSON — or as a JSON string when it is not JSON —, stderr).
pub fn run_gjj(cmd: &mut Command) -> (i32, serde_json::Value, String) {
    let out = cmd.output().expect("run gjj");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_str(text.trim()).unwrap_or(serde_json::Value::String(text)),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs any command that must succeed (a foreign tool, a server subcommand); panics with the command and its
/// output when it does not. Returns stdout.
pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().expect("command");
    assert!(
        out.status.success(),
        "{:?}: {}{}",
        cmd,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One check of a `gjj doctor --json` report by its id; panics naming the id when the report has none.
pub fn doctor_check<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("no check {id} in {report}"))
}

/// A current-thread runtime for the blocking tests' async calls.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// One integer from the centre's database (a count, an id).
pub fn scalar(centre: &LocalCentre, sql: &str) -> i64 {
    runtime().block_on(async {
        let pool = centre.db().await.expect("centre database");
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(&pool)
            .await
            .expect(sql)
    })
}

/// Runs one statement on the centre's database (a test setting up the centre's facts).
pub fn execute(centre: &LocalCentre, sql: &str) {
    runtime().block_on(async {
        let pool = centre.db().await.expect("centre database");
        sqlx::query(sql).execute(&pool).await.expect(sql);
    });
}

/// OpenSSL's own verdict on a detached CMS signature (DER) over `payload`, against the centre's CA bundle:
/// `openssl cms -verify -binary` (`-purpose any`: unit certificates are for client authentication, not S/MIME).
pub fn openssl_cms_verify(fixtures: &Fixtures, payload: &[u8], cms_der: &[u8]) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (content, signature) = (dir.path().join("payload"), dir.path().join("signature.p7s"));
    std::fs::write(&content, payload).map_err(|e| e.to_string())?;
    std::fs::write(&signature, cms_der).map_err(|e| e.to_string())?;
    let out = Command::new("openssl")
        .args([
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-purpose",
            "any",
            "-out",
            "/dev/null",
        ])
        .arg("-in")
        .arg(&signature)
        .arg("-content")
        .arg(&content)
        .arg("-CAfile")
        .arg(fixtures.ca_bundle())
        .output()
        .map_err(|e| format!("openssl: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.success() && stderr.contains("Verification successful") {
        Ok(())
    } else {
        Err(stderr)
    }
}

/// pyHanko's verdict on a signed PDF (`pyhanko sign validate`, trusting only the centre's root CA): its output
/// and whether it judged the signature intact, trusted and covering the whole file. `GJJ_PYHANKO` names the
/// executable (`cargo xtask test` installs it from PyPI); unset, the test fails with what to run.
pub fn pyhanko_validate(fixtures: &Fixtures, pdf: &Path) -> (bool, String) {
    let pyhanko = std::env::var("GJJ_PYHANKO").unwrap_or_else(|_| {
        panic!("GJJ_PYHANKO is not set: run with `cargo xtask test` (it installs pyHanko)")
    });
    let out = Command::new(pyhanko)
        .args(["sign", "validate", "--no-revocation-check", "--trust"])
        .arg(fixtures.dir.join("root-ca.pem"))
        .arg("--trust-replace")
        .arg(pdf)
        .output()
        .expect("pyhanko");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.status.success() && text.contains("INTACT:TRUSTED,UNTOUCHED"),
        text,
    )
}

/// The text of a PDF as poppler's `pdftotext` extracts it.
pub fn pdftotext(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (Debian poppler-utils)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Where the workspace's binaries are: next to the running test, example or xtask binary.
pub fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let mut dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.ends_with("deps") || dir.ends_with("examples") {
        dir.pop();
    }
    dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// The PostgreSQL backend from `GJJ_TEST_POSTGRES_URL`; panics with what to run when unset (never skipped).
pub fn postgres_backend() -> Backend {
    let url = std::env::var(POSTGRES_ENV).unwrap_or_else(|_| {
        panic!("{POSTGRES_ENV} is not set: run with `cargo xtask test` (it starts PostgreSQL)")
    });
    Backend::Postgres(url)
}

/// Copies the SoftHSM token store into `dir` with its own SOFTHSM2_CONF. SoftHSM rewrites a token's file at
/// every C_Login (the PIN-count flags), so tests running in parallel on one shared store can catch each other
/// mid-write; a copy per centre makes every test's tokens its own, like a USB key per desk.
fn private_token_store(fixtures: &Fixtures, dir: &Path) -> Result<()> {
    let from = fixtures.dir.join("softhsm").join("tokens");
    let to = dir.join("softhsm").join("tokens");
    copy_tree(&from, &to)?;
    std::fs::write(
        dir.join("softhsm").join("softhsm2.conf"),
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n",
            to.display()
        ),
    )?;
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Which database the centre uses.
#[derive(Clone, Debug)]
pub enum Backend {
    /// A SQLite file in the centre's directory (the embedded default).
    Sqlite,
    /// A fresh database on this PostgreSQL server URL (without database name).
    Postgres(String),
}

/// A gateway's `server.toml`: the one writer of it for [`LocalCentre`] and [`cluster::Cluster`].
#[derive(Clone, Debug)]
pub struct GatewayConfig {
    /// `listen` (a fixed port for a cluster instance, `127.0.0.1:0` otherwise).
    pub listen: String,
    /// `database_url`.
    pub database_url: String,
    /// `[limits] max_body_bytes`.
    pub max_body_bytes: usize,
    /// `[limits] request_timeout_secs`.
    pub request_timeout_secs: u64,
    /// More `[limits]` lines, each `key = value` (the connection and rate limits of a load run).
    pub extra_limits: Vec<String>,
    /// `[ops] listen`: the health and metrics port (no client certificate); `None` = no `[ops]` section.
    pub ops_listen: Option<String>,
}

impl GatewayConfig {
    /// The test centre's settings: small body limit and request timeout, no `[ops]`.
    pub fn new(listen: &str, database_url: &str) -> GatewayConfig {
        GatewayConfig {
            listen: listen.to_owned(),
            database_url: database_url.to_owned(),
            max_body_bytes: MAX_BODY_BYTES,
            request_timeout_secs: REQUEST_TIMEOUT_SECS,
            extra_limits: Vec::new(),
            ops_listen: None,
        }
    }

    /// The TOML, with the fixtures' server certificate, CA bundle, CRLs of every CA level and receipt seal.
    pub fn toml(&self, fixtures: &Fixtures) -> String {
        let f = &fixtures.dir;
        let mut limits = format!(
            "max_body_bytes = {}\nrequest_timeout_secs = {}\n",
            self.max_body_bytes, self.request_timeout_secs
        );
        for line in &self.extra_limits {
            limits.push_str(line);
            limits.push('\n');
        }
        let ops = self
            .ops_listen
            .as_ref()
            .map(|l| format!("\n[ops]\nlisten = \"{l}\"\n"))
            .unwrap_or_default();
        format!(
            "listen = \"{}\"\ndatabase_url = \"{}\"\n\n[tls]\ncert = \"{}\"\nkey = \"{}\"\nclient_ca = \"{}\"\ncrls = [\"{}\", \"{}\", \"{}\", \"{}\"]\n\n[limits]\n{limits}\n[receipt]\ncert = \"{}\"\nkey = \"{}\"\n{ops}",
            self.listen,
            self.database_url,
            f.join("server.pem").display(),
            f.join("server.key").display(),
            f.join("ca-bundle.pem").display(),
            f.join("root-ca.crl.pem").display(),
            f.join("intermediate-ca.crl.pem").display(),
            f.join("sm2-root-ca.crl.pem").display(),
            f.join("sm2-intermediate-ca.crl.pem").display(),
            f.join("receipt-signer.pem").display(),
            f.join("receipt-signer.key").display(),
        )
    }

    /// Writes [`toml`](Self::toml) to `path`.
    pub fn write(&self, fixtures: &Fixtures, path: &Path) -> Result<()> {
        std::fs::write(path, self.toml(fixtures)).with_context(|| format!("writing {}", path.display()))
    }
}

/// The addresses a started gateway printed.
#[derive(Clone, Debug)]
pub struct GatewayAddrs {
    /// `gjj-server listening on ADDR`: the mTLS API.
    pub api: String,
    /// `gjj-server ops on ADDR`, when waited for.
    pub ops: Option<String>,
}

/// Spawns a gateway (`cmd` with stdout piped) and waits for its "listening" line — and its "ops" line when
/// `with_ops`. A thread keeps draining stdout afterwards, so the gateway never blocks on a full pipe.
pub fn spawn_gateway(cmd: &mut Command, with_ops: bool) -> Result<(Child, GatewayAddrs)> {
    let mut child = cmd
        .spawn()
        .context("starting gjj-server (build it first: cargo build -p gjj-server)")?;
    let stdout = child.stdout.take().context("no stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(addr) = line.strip_prefix("gjj-server listening on ") {
                let _ = tx.send((true, addr.trim().to_owned()));
            } else if let Some(addr) = line.strip_prefix("gjj-server ops on ") {
                let _ = tx.send((false, addr.trim().to_owned()));
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let (mut api, mut ops) = (None, None);
    while api.is_none() || (with_ops && ops.is_none()) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((true, a)) => api = Some(a),
            Ok((false, a)) => ops = Some(a),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                bail!("gjj-server did not start listening within 30 s");
            }
        }
    }
    let api = api.context("no listening line")?;
    Ok((child, GatewayAddrs { api, ops }))
}

/// A running gateway.
pub struct LocalCentre {
    /// Its working directory (config, database, CLI stores).
    pub dir: tempfile::TempDir,
    /// The fixtures it trusts.
    pub fixtures: Fixtures,
    /// The sqlx URL of its database.
    pub database_url: String,
    /// Its address once started.
    pub addr: String,
    child: Option<Child>,
}

impl LocalCentre {
    /// Writes the config, seeds the demo centre and starts the gateway.
    pub fn start(fixtures: &Fixtures, backend: Backend) -> Result<LocalCentre> {
        let dir = tempfile::Builder::new().prefix("gjj-centre-").tempdir()?;
        let database_url = match backend {
            Backend::Sqlite => format!("sqlite://{}?mode=rwc", dir.path().join("centre.sqlite").display()),
            Backend::Postgres(server) => fresh_postgres_database(&server)?,
        };
        GatewayConfig::new("127.0.0.1:0", &database_url).write(fixtures, &dir.path().join("server.toml"))?;
        private_token_store(fixtures, dir.path())?;
        let mut centre = LocalCentre {
            dir,
            fixtures: fixtures.clone(),
            database_url,
            addr: String::new(),
            child: None,
        };
        let status = centre
            .server_command()
            .arg("seed")
            .arg("--demo")
            .stdout(Stdio::null())
            .status()?;
        if !status.success() {
            bail!("gjj-server seed --demo failed");
        }
        centre.restart(None)?;
        Ok(centre)
    }

    fn server_command(&self) -> Command {
        let mut cmd = Command::new(bin("gjj-server"));
        cmd.arg("--config")
            .arg(self.dir.path().join("server.toml"))
            .env("RUST_LOG", "warn");
        cmd
    }

    /// (Re)starts the gateway; `fault` sets GJJ_FAULT (debug builds only, e.g. "exit-after-commit").
    pub fn restart(&mut self, fault: Option<&str>) -> Result<()> {
        self.stop();
        let mut cmd = self.server_command();
        cmd.stdout(Stdio::piped()).stderr(Stdio::inherit());
        if let Some(f) = fault {
            cmd.env("GJJ_FAULT", f);
        }
        let (child, addrs) = spawn_gateway(&mut cmd, false)?;
        let addr = addrs.api;
        self.addr = addr;
        self.child = Some(child);
        Ok(())
    }

    /// Kills the gateway (if running) and waits for it.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Waits until the gateway process exits by itself (e.g. a fault point); returns its exit code.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<Option<i32>> {
        let Some(child) = self.child.as_mut() else {
            return Ok(None);
        };
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Some(status) = child.try_wait()? {
                self.child = None;
                return Ok(status.code());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!("gjj-server did not exit within {timeout:?}")
    }

    /// The SOFTHSM2_CONF of this centre's own copy of the tokens.
    pub fn softhsm_conf(&self) -> PathBuf {
        self.dir.path().join("softhsm").join("softhsm2.conf")
    }

    /// The centre's URL.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// A `gjj` command logged in with a unit's USB key (PIN from the environment, never an argument).
    pub fn gjj(&self, token_label: &str) -> Command {
        self.gjj_with_module(token_label, Path::new(SOFTHSM_MODULE))
    }

    /// [`gjj`](Self::gjj) through another PKCS#11 module over this centre's tokens (the test double).
    pub fn gjj_with_module(&self, token_label: &str, module: &Path) -> Command {
        let mut cmd = Command::new(bin("gjj"));
        cmd.env("SOFTHSM2_CONF", self.softhsm_conf())
            .env("GJJ_TEST_PIN", DEV_PIN)
            .env_remove("GJJ_CONFIG")
            .current_dir(self.dir.path())
            .args(["--server", &self.url()])
            .arg("--ca-bundle")
            .arg(self.fixtures.ca_bundle())
            .arg("--pkcs11-module")
            .arg(module)
            .args(["--token", token_label, "--pin-env", "GJJ_TEST_PIN"])
            .arg("--store")
            .arg(
                self.dir
                    .path()
                    .join(format!("client-{}.sqlite", short(token_label))),
            );
        cmd
    }

    /// A `gjj` command using a soft certificate (.pfx) from the fixtures.
    pub fn gjj_pfx(&self, stem: &str) -> Command {
        let mut cmd = Command::new(bin("gjj"));
        cmd.env("GJJ_TEST_PIN", DEV_PIN)
            .env_remove("GJJ_CONFIG")
            .current_dir(self.dir.path())
            .args(["--server", &self.url()])
            .arg("--ca-bundle")
            .arg(self.fixtures.ca_bundle())
            .arg("--pfx")
            .arg(self.fixtures.pfx(stem))
            .args(["--pin-env", "GJJ_TEST_PIN"])
            .arg("--store")
            .arg(self.dir.path().join(format!("client-{stem}.sqlite")));
        cmd
    }

    /// A raw HTTP client on a credential's mTLS identity, to send what `gjj-client` never would.
    pub fn raw_client(&self, credential: &gjj_pki::Credential) -> reqwest::Client {
        let trust = gjj_pki::TrustBundle::from_pem_file(&self.fixtures.ca_bundle()).expect("CA bundle");
        let tls = credential.client_config(&trust).expect("client TLS config");
        reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .build()
            .expect("HTTP client")
    }

    /// Connects to the centre's database (for assertions about what was stored).
    pub async fn db(&self) -> Result<sqlx::AnyPool> {
        sqlx::any::install_default_drivers();
        Ok(sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect(&self.database_url)
            .await?)
    }

    /// The unit's active contributors as the centre stores them: (个人账号, 姓名, 证件号码, 基数).
    pub async fn active_employees(&self, unit_name: &str) -> Result<Vec<Employee>> {
        use sqlx::Row;
        let pool = self.db().await?;
        let rows = sqlx::query(
            "SELECT p.account, p.name, p.id_number, p.base_fen FROM persons p JOIN units u ON u.account = p.unit_account \
             WHERE u.name = $1 AND p.status = '01' ORDER BY p.account",
        )
        .bind(unit_name)
        .fetch_all(&pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Employee {
                    account: r.try_get("account")?,
                    name: r.try_get("name")?,
                    id_number: r.try_get("id_number")?,
                    base: Fen(r.try_get("base_fen")?),
                })
            })
            .collect()
    }
}

impl Drop for LocalCentre {
    fn drop(&mut self) {
        self.stop();
    }
}

fn short(label: &str) -> String {
    format!(
        "{:x}",
        label
            .bytes()
            .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
    )
}

/// A new, empty database on a PostgreSQL server URL (without database name); its sqlx URL.
pub fn fresh_postgres_database(server: &str) -> Result<String> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "gjj_test_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let server = server.trim_end_matches('/').to_owned();
    let admin = format!("{server}/postgres");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect(&admin)
            .await?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&pool)
            .await?;
        anyhow::Ok(())
    })?;
    Ok(format!("{server}/{name}"))
}

/// A contributor as stored by the centre.
#[derive(Clone, Debug)]
pub struct Employee {
    /// 个人账号.
    pub account: String,
    /// 姓名.
    pub name: String,
    /// 证件号码.
    pub id_number: String,
    /// 当前缴存基数.
    pub base: Fen,
}

/// One row to write into a 基数调整 sheet; every cell is written as given (text or number).
#[derive(Clone, Debug, Default)]
pub struct SheetRow {
    /// 个人账号.
    pub account: Cell,
    /// 姓名.
    pub name: Cell,
    /// 证件号码.
    pub id_number: Cell,
    /// 调整前基数.
    pub old_base: Cell,
    /// 调整后基数.
    pub new_base: Cell,
    /// 生效年月.
    pub month: Cell,
}

/// A cell value as a clerk might have typed it.
#[derive(Clone, Debug, Default)]
pub enum Cell {
    /// Left empty.
    #[default]
    Empty,
    /// Typed as text.
    Text(String),
    /// Stored as a number (what Excel does to digits in a General cell).
    Number(f64),
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_owned())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl SheetRow {
    /// A row adjusting an employee's base to `new_base` from `month`.
    pub fn adjust(e: &Employee, new_base: Fen, month: &str) -> SheetRow {
        SheetRow {
            account: e.account.as_str().into(),
            name: e.name.as_str().into(),
            id_number: e.id_number.as_str().into(),
            old_base: Cell::Number(e.base.0 as f64 / 100.0),
            new_base: Cell::Number(new_base.0 as f64 / 100.0),
            month: month.into(),
        }
    }
}

/// Writes a 基数调整 sheet: our template with these rows filled in from the first data row.
pub fn write_base_adjustment(path: &Path, rows: &[SheetRow]) -> Result<()> {
    let opts = gjj_sheets::base_adjustment::TemplateOptions::default();
    let mut wb = gjj_sheets::base_adjustment::template_workbook(&opts)?;
    let sheet = wb.worksheet_from_index(0)?;
    let first = gjj_sheets::base_adjustment::FIRST_DATA_ROW;
    for (i, row) in rows.iter().enumerate() {
        let r = first + u32::try_from(i)?;
        sheet.write_number(r, 0, (i + 1) as f64)?;
        for (col, cell) in [
            (1u16, &row.account),
            (2, &row.name),
            (3, &row.id_number),
            (4, &row.old_base),
            (5, &row.new_base),
            (6, &row.month),
        ] {
            match cell {
                Cell::Empty => {}
                Cell::Text(t) => {
                    sheet.write_string(r, col, t)?;
                }
                Cell::Number(n) => {
                    sheet.write_number(r, col, *n)?;
                }
            }
        }
    }
    wb.save(path)?;
    Ok(())
}

/// The login screen's choice of `unit`'s certificate among the keys the app listed.
pub fn key_choice(list: &gjj_client::keys::KeyList, unit: &str) -> gjj_client::app::KeyChoice {
    let key = list
        .keys
        .iter()
        .find(|k| k.certificates.iter().any(|c| c.unit_name == unit))
        .unwrap_or_else(|| panic!("no key for {unit}"));
    let cert = key
        .certificates
        .iter()
        .find(|c| c.unit_name == unit)
        .unwrap_or_else(|| panic!("no certificate for {unit}"));
    gjj_client::app::KeyChoice {
        module: key.module.clone(),
        label: key.label.clone(),
        fingerprint: cert.fingerprint.clone(),
    }
}

/// Every file below `dir`, not following links (Wine links a user's 文档 folder to the Linux home).
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                dirs.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out
}

/// The desktop core's settings for a test process, as a clerk's PC has them: the user's `settings.toml` naming
/// `centre`, its CA bundle and `driver` (plus `user_extra` lines), and IT's managed file locking the driver list to
/// `driver` (plus `managed_extra` lines), so nothing else on this machine is loaded. Sets `GJJ_CONFIG_DIR` and
/// `GJJ_MANAGED_CONFIG` (the app reads its settings from the environment); returns the config directory.
pub fn app_settings(
    home: &Path,
    centre: &LocalCentre,
    driver: &Path,
    user_extra: &str,
    managed_extra: &str,
) -> Result<PathBuf> {
    let config = home.join("config");
    std::fs::create_dir_all(&config)?;
    std::fs::write(
        config.join("settings.toml"),
        format!(
            "server = \"{}\"\nca_bundle = \"{}\"\npkcs11_modules = [\"{}\"]\n{user_extra}",
            centre.url(),
            centre.fixtures.ca_bundle().display(),
            driver.display()
        ),
    )?;
    let managed = home.join("managed.toml");
    std::fs::write(
        &managed,
        format!("pkcs11_modules = [\"{}\"]\n{managed_extra}", driver.display()),
    )?;
    std::env::set_var("GJJ_CONFIG_DIR", &config);
    std::env::set_var("GJJ_MANAGED_CONFIG", &managed);
    Ok(config)
}
