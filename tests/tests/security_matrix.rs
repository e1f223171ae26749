//! Issue 14 item 7: the gateway's security matrix, run by FOREIGN clients only — `openssl s_client`, curl,
//! Python's `ssl` module and the TLS scanner sslyze (PyPI) — never by our own client code.
//!
//! Every negative certificate is made here, at test time, with the `openssl` command line (`req` + `ca` with
//! config files in a temp dir), signed by the dev PKI's CA keys or by CAs made here (a second intermediate that
//! the root revokes, one without a CRL, one whose CRL is past its nextUpdate, a foreign root). Each refusal must
//! come with its stable code — in the TLS alert's place an audit event, or the JSON body of an HTTP answer — and
//! as an audit event a centre can query (`gjj-server audit --json`: who, what, when, why); nothing answers 500.
//! The gateways run with a config of this test (its own copies of the CA bundle and CRLs, reloaded every second).

use std::cell::Cell;
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gjj_tests::{bin, spawn_gateway, units, Fixtures, DEV_PIN};
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

// ---------------------------------------------------------------------------------------------------------------
// Processes

/// What a finished (or killed) process said.
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Runs `cmd` with `stdin`, killing it after `limit` (a client that hangs must not hang the test).
fn run(cmd: &mut Command, stdin: Option<&[u8]>, limit: Duration) -> Ran {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("starting {cmd:?}: {e}"));
    if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // A peer that refuses first may close early: a broken pipe is part of the answer here.
        let _ = pipe.write_all(bytes);
    }
    let (out, err) = (drain(child.stdout.take()), drain(child.stderr.take()));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(s) = child.try_wait().expect("waiting for a client process") {
            break Some(s);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Ran {
        code: status.and_then(|s| s.code()),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

/// `openssl ARGS` in `cwd`; its stdout. Fails the test with OpenSSL's words when it fails.
fn openssl(args: &[&str], cwd: &Path) -> String {
    let ran = run(
        Command::new("openssl").args(args).current_dir(cwd),
        None,
        Duration::from_secs(120),
    );
    assert_eq!(ran.code, Some(0), "openssl {}:\n{}", args.join(" "), ran.stderr);
    ran.stdout
}

/// ASN.1 time as `openssl ca` takes it.
fn asn1_time(t: OffsetDateTime) -> String {
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn has_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

// ---------------------------------------------------------------------------------------------------------------
// The demo centre's parties (crates/server/seed/demo.toml: the one place they are written down)

#[derive(Clone, Debug, Default)]
struct Party {
    name: String,
    uscc: String,
    role: String,
    account: String,
    registered: bool,
}

fn demo_parties() -> Vec<Party> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/server/seed/demo.toml");
    let text = std::fs::read_to_string(&path).expect("crates/server/seed/demo.toml");
    let mut out = Vec::new();
    let mut current: Option<Party> = None;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            out.extend(current.take().filter(|p| !p.uscc.is_empty()));
            if line == "[[unit]]" || line == "[[unknown_unit]]" {
                current = Some(Party {
                    registered: line == "[[unit]]",
                    ..Party::default()
                });
            }
            continue;
        }
        let (Some(p), Some((key, value))) = (current.as_mut(), line.split_once('=')) else {
            continue;
        };
        let value = value.split('"').nth(1).unwrap_or_default().to_owned();
        match key.trim() {
            "name" => p.name = value,
            "uscc" => p.uscc = value,
            "role" => p.role = value,
            "account" => p.account = value,
            _ => {}
        }
    }
    out.extend(current.filter(|p| !p.uscc.is_empty()));
    out
}

struct Parties {
    employer_a: Party,
    employer_b: Party,
    developer: Party,
    staff: Party,
    unknown: Party,
}

impl Parties {
    fn load() -> Parties {
        let all = demo_parties();
        let find = |f: &dyn Fn(&Party) -> bool, what: &str| {
            all.iter()
                .find(|p| f(p))
                .cloned()
                .unwrap_or_else(|| panic!("no {what} in demo.toml"))
        };
        Parties {
            employer_a: find(&|p| p.name == units::EMPLOYER_A, "employer A"),
            employer_b: find(&|p| p.name == units::EMPLOYER_B, "employer B"),
            developer: find(&|p| p.name == units::DEVELOPER, "developer"),
            staff: find(&|p| p.role == "中心", "centre staff unit"),
            unknown: find(&|p| !p.registered, "unregistered unit"),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Certificates, made with the openssl command line

#[derive(Clone, Copy)]
enum Key {
    Ec,
    Rsa(u32),
}

enum Validity {
    Days(u32),
    Window(OffsetDateTime, OffsetDateTime),
}

/// A CA that `openssl ca` issues and revokes with (its own index.txt in a directory of the test).
struct Ca {
    dir: PathBuf,
    cert: PathBuf,
    cnf: PathBuf,
    /// What a client sends after a leaf of this CA: the intermediates up to, not including, the root.
    ints: Vec<PathBuf>,
}

/// A client certificate and its key.
#[derive(Clone, Debug)]
struct Leaf {
    cert: PathBuf,
    key: PathBuf,
    /// Leaf followed by its intermediates (curl, Python, sslyze).
    chain: PathBuf,
    /// The intermediates only (`s_client -cert_chain`).
    ints: Option<PathBuf>,
    /// Upper-case hex, as the audit log spells it.
    serial: String,
}

struct LeafSpec {
    dn: Vec<(&'static str, String)>,
    ext: String,
    key: Key,
    validity: Validity,
    md: &'static str,
}

/// A unit's subject as the hall's CAs write it (xtask/src/pki.rs): O and CN the unit name, the USCC in
/// organizationIdentifier "NTRCN-…", the hall in businessCategory.
fn unit_dn(name: &str, uscc: Option<&str>, role: &str) -> Vec<(&'static str, String)> {
    let mut dn = vec![
        ("C", "CN".to_owned()),
        ("ST", "湖南省".to_owned()),
        ("L", "衡阳市".to_owned()),
        ("O", name.to_owned()),
        ("CN", name.to_owned()),
    ];
    if let Some(u) = uscc {
        dn.push(("organizationIdentifier", format!("NTRCN-{u}")));
    }
    dn.push(("businessCategory", role.to_owned()));
    dn
}

/// A client certificate's extensions; the USCC also in 1.2.156.10260.4.1.4 as a UTF8String (GM/T 0015).
fn leaf_ext(uscc: Option<&str>, basic: &str, key_usage: &str, eku: &str) -> String {
    let mut ext = format!(
        "basicConstraints = critical,{basic}\nkeyUsage = critical,{key_usage}\nextendedKeyUsage = {eku}\n\
         subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n"
    );
    if let Some(u) = uscc {
        ext.push_str(&format!("1.2.156.10260.4.1.4 = ASN1:UTF8String:{u}\n"));
    }
    ext
}

fn unit_spec(p: &Party) -> LeafSpec {
    LeafSpec {
        dn: unit_dn(&p.name, Some(p.uscc.as_str()), &p.role),
        ext: leaf_ext(
            Some(p.uscc.as_str()),
            "CA:FALSE",
            "digitalSignature,nonRepudiation",
            "clientAuth",
        ),
        key: Key::Ec,
        validity: Validity::Days(365),
        md: "sha256",
    }
}

struct Pki {
    dir: PathBuf,
    fixtures: Fixtures,
    next: Cell<u32>,
}

impl Pki {
    fn new(dir: &Path, fixtures: &Fixtures) -> Pki {
        std::fs::create_dir_all(dir).expect("pki dir");
        Pki {
            dir: dir.to_path_buf(),
            fixtures: fixtures.clone(),
            next: Cell::new(0),
        }
    }

    /// A fresh positive serial that no earlier run used (the first byte 0x40–0x6f: no leading zero byte).
    fn serial(&self) -> String {
        self.next.set(self.next.get() + 1);
        let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
        format!(
            "{:02X}{:08X}{:08X}{:04X}",
            0x40 + std::process::id() % 0x30,
            std::process::id(),
            (nanos % 0xffff_ffff) as u32,
            self.next.get()
        )
    }

    fn key(&self, tag: &str, kind: Key) -> PathBuf {
        let path = self.dir.join(format!("{tag}.key"));
        let bits;
        let args: Vec<&str> = match kind {
            Key::Ec => vec!["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            Key::Rsa(n) => {
                bits = format!("rsa_keygen_bits:{n}");
                vec!["-algorithm", "RSA", "-pkeyopt", &bits]
            }
        };
        let mut all = vec!["genpkey"];
        all.extend(args);
        all.extend(["-out", s(&path)]);
        openssl(&all, &self.dir);
        path
    }

    fn csr(&self, tag: &str, key: &Path, dn: &[(&'static str, String)]) -> PathBuf {
        // Every field numbered: the 64 KB subject repeats OU a thousand times.
        let mut cnf =
            "[req]\nprompt = no\ndistinguished_name = dn\nstring_mask = utf8only\nutf8 = yes\n[dn]\n"
                .to_owned();
        for (i, (field, value)) in dn.iter().enumerate() {
            cnf.push_str(&format!("{i}.{field} = {value}\n"));
        }
        let (cnf_path, csr) = (
            self.dir.join(format!("{tag}.req.cnf")),
            self.dir.join(format!("{tag}.csr")),
        );
        std::fs::write(&cnf_path, cnf).expect("req config");
        openssl(
            &[
                "req",
                "-new",
                "-utf8",
                "-config",
                s(&cnf_path),
                "-key",
                s(key),
                "-out",
                s(&csr),
            ],
            &self.dir,
        );
        csr
    }

    fn ca_from(&self, name: &str, cert: PathBuf, key: PathBuf, ints: Vec<PathBuf>) -> Ca {
        let dir = self.dir.join(format!("ca-{name}"));
        std::fs::create_dir_all(dir.join("issued")).expect("CA dir");
        std::fs::write(dir.join("index.txt"), "").expect("index.txt");
        std::fs::write(dir.join("index.txt.attr"), "unique_subject = no\n").expect("index.txt.attr");
        std::fs::write(dir.join("crlnumber"), "1000\n").expect("crlnumber");
        let cnf = dir.join("ca.cnf");
        std::fs::write(
            &cnf,
            format!(
                "[ca]\ndefault_ca = this\n[this]\ndatabase = {d}/index.txt\nnew_certs_dir = {d}/issued\n\
                 serial = {d}/serial\ncrlnumber = {d}/crlnumber\ncertificate = {c}\nprivate_key = {k}\n\
                 default_md = sha256\ndefault_days = 365\ndefault_crl_days = 30\npolicy = any\n\
                 unique_subject = no\ncopy_extensions = none\nstring_mask = utf8only\nutf8 = yes\n\
                 email_in_dn = no\ncrl_extensions = crl_ext\n[any]\n[crl_ext]\nauthorityKeyIdentifier = keyid:always\n",
                d = s(&dir),
                c = s(&cert),
                k = s(&key),
            ),
        )
        .expect("CA config");
        Ca { dir, cert, cnf, ints }
    }

    fn dev_root(&self) -> Ca {
        let f = &self.fixtures.dir;
        self.ca_from("root", f.join("root-ca.pem"), f.join("root-ca.key"), Vec::new())
    }

    fn dev_intermediate(&self) -> Ca {
        let f = &self.fixtures.dir;
        self.ca_from(
            "int",
            f.join("intermediate-ca.pem"),
            f.join("intermediate-ca.key"),
            vec![f.join("intermediate-ca.pem")],
        )
    }

    /// Another intermediate CA under `parent` (the dev root).
    fn sub_ca(&self, parent: &Ca, name: &str, cn: &str) -> Ca {
        let key = self.key(&format!("ca-{name}"), Key::Ec);
        let dn = vec![
            ("C", "CN".to_owned()),
            ("O", "衡阳市住房公积金管理中心（开发测试）".to_owned()),
            ("CN", cn.to_owned()),
        ];
        let csr = self.csr(&format!("ca-{name}"), &key, &dn);
        let cert = self.dir.join(format!("ca-{name}.pem"));
        parent.sign(
            self,
            &csr,
            &cert,
            "basicConstraints = critical,CA:TRUE,pathlen:0\nkeyUsage = critical,keyCertSign,cRLSign,digitalSignature\n\
             subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n",
            &Validity::Days(3650),
            "sha256",
        );
        let mut ints = vec![cert.clone()];
        ints.extend(parent.ints.iter().cloned());
        self.ca_from(name, cert, key, ints)
    }

    /// A root the centre does not trust (another province's CA).
    fn foreign_root(&self) -> Ca {
        let key = self.key("ca-foreign", Key::Ec);
        let cnf = self.dir.join("ca-foreign.req.cnf");
        std::fs::write(
            &cnf,
            "[req]\nprompt = no\ndistinguished_name = dn\nstring_mask = utf8only\nutf8 = yes\n\
             x509_extensions = v3\n[dn]\nC = CN\nO = 外省数字证书认证中心\nCN = 外省数字证书认证中心\n[v3]\n\
             basicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\nsubjectKeyIdentifier = hash\n",
        )
        .expect("foreign CA config");
        let cert = self.dir.join("ca-foreign.pem");
        openssl(
            &[
                "req",
                "-x509",
                "-new",
                "-utf8",
                "-days",
                "3650",
                "-config",
                s(&cnf),
                "-key",
                s(&key),
                "-out",
                s(&cert),
            ],
            &self.dir,
        );
        self.ca_from("foreign", cert, key, Vec::new())
    }

    fn leaf(&self, ca: &Ca, tag: &str, spec: &LeafSpec) -> Leaf {
        let key = self.key(tag, spec.key);
        let csr = self.csr(tag, &key, &spec.dn);
        let cert = self.dir.join(format!("{tag}.pem"));
        ca.sign(self, &csr, &cert, &spec.ext, &spec.validity, spec.md);
        self.leaf_files(tag, cert, key, &ca.ints)
    }

    fn leaf_files(&self, tag: &str, cert: PathBuf, key: PathBuf, ints: &[PathBuf]) -> Leaf {
        let read = |p: &Path| std::fs::read_to_string(p).expect("PEM file");
        let chain = self.dir.join(format!("{tag}.chain.pem"));
        let mut text = read(&cert);
        let mut above = String::new();
        for i in ints {
            above.push_str(&read(i));
        }
        text.push_str(&above);
        std::fs::write(&chain, text).expect("chain file");
        let ints_file = (!ints.is_empty()).then(|| {
            let p = self.dir.join(format!("{tag}.ints.pem"));
            std::fs::write(&p, &above).expect("intermediates file");
            p
        });
        // The serial as OpenSSL reads it back: what the gateway must log.
        let serial = openssl(&["x509", "-noout", "-serial", "-in", s(&cert)], &self.dir)
            .trim()
            .trim_start_matches("serial=")
            .to_uppercase();
        Leaf {
            cert,
            key,
            chain,
            ints: ints_file,
            serial,
        }
    }

    /// A .pfx of the fixtures as PEM files (`openssl pkcs12`).
    fn pfx_leaf(&self, stem: &str) -> Leaf {
        let pfx = self.fixtures.pfx(stem);
        let pass = format!("pass:{DEV_PIN}");
        let (key, all) = (
            self.dir.join(format!("{stem}.key")),
            self.dir.join(format!("{stem}.all.pem")),
        );
        openssl(
            &[
                "pkcs12",
                "-in",
                s(&pfx),
                "-passin",
                &pass,
                "-nocerts",
                "-nodes",
                "-out",
                s(&key),
            ],
            &self.dir,
        );
        openssl(
            &[
                "pkcs12",
                "-in",
                s(&pfx),
                "-passin",
                &pass,
                "-clcerts",
                "-nokeys",
                "-out",
                s(&all),
            ],
            &self.dir,
        );
        let cert = self.dir.join(format!("{stem}.pem"));
        openssl(&["x509", "-in", s(&all), "-out", s(&cert)], &self.dir);
        self.leaf_files(stem, cert, key, &[self.fixtures.dir.join("intermediate-ca.pem")])
    }

    fn weak_conf(&self) -> PathBuf {
        // OpenSSL 3 refuses to even load a SHA-1-signed or RSA-1024 certificate at its default security level,
        // and to offer TLS 1.0/1.1: a client that still does is what these cases are about.
        let p = self.dir.join("weak-client.cnf");
        std::fs::write(
            &p,
            "openssl_conf = init\n[init]\nssl_conf = ssl\n[ssl]\nsystem_default = sys\n[sys]\n\
             CipherString = DEFAULT:@SECLEVEL=0\nMinProtocol = TLSv1\n",
        )
        .expect("weak client config");
        p
    }
}

impl Ca {
    fn sign(&self, pki: &Pki, csr: &Path, out: &Path, ext: &str, validity: &Validity, md: &str) {
        std::fs::write(self.dir.join("serial"), format!("{}\n", pki.serial())).expect("serial file");
        let extfile = self.dir.join("ext.cnf");
        std::fs::write(&extfile, format!("[ext]\n{ext}")).expect("extensions file");
        let dates: Vec<String> = match validity {
            Validity::Days(d) => vec!["-days".into(), d.to_string()],
            Validity::Window(from, to) => vec![
                "-startdate".into(),
                asn1_time(*from),
                "-enddate".into(),
                asn1_time(*to),
            ],
        };
        let mut args = vec![
            "ca",
            "-batch",
            "-utf8",
            "-notext",
            "-preserveDN",
            "-config",
            s(&self.cnf),
            "-in",
            s(csr),
            "-out",
            s(out),
            "-extfile",
            s(&extfile),
            "-extensions",
            "ext",
            "-md",
            md,
        ];
        args.extend(dates.iter().map(String::as_str));
        openssl(&args, &self.dir);
    }

    fn revoke(&self, cert: &Path) {
        openssl(
            &[
                "ca",
                "-config",
                s(&self.cnf),
                "-revoke",
                s(cert),
                "-crl_reason",
                "keyCompromise",
            ],
            &self.dir,
        );
    }

    /// Writes this CA's CRL to `out` (`window`: thisUpdate/nextUpdate; default now + 30 days). Written beside and
    /// renamed into place: a gateway watching the file reads the old one or the new one, never half of one.
    fn crl(&self, out: &Path, window: Option<(OffsetDateTime, OffsetDateTime)>) {
        let tmp = out.with_extension("new");
        let mut args = vec![
            "ca".to_owned(),
            "-gencrl".into(),
            "-config".into(),
            s(&self.cnf).into(),
            "-out".into(),
            s(&tmp).into(),
        ];
        if let Some((this, next)) = window {
            args.extend([
                "-crl_lastupdate".into(),
                asn1_time(this),
                "-crl_nextupdate".into(),
                asn1_time(next),
            ]);
        }
        openssl(&args.iter().map(String::as_str).collect::<Vec<_>>(), &self.dir);
        std::fs::rename(&tmp, out).expect("CRL into place");
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The gateway, with this test's CA bundle and CRLs

struct Gateway {
    config: PathBuf,
    child: Child,
    addr: String,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Gateway {
    /// Seeds the demo centre into a fresh SQLite file in `dir` and starts the gateway on it.
    fn start(dir: &Path, fixtures: &Fixtures, client_ca: &Path, crls: &[PathBuf]) -> Gateway {
        let f = &fixtures.dir;
        let mut all_crls: Vec<PathBuf> = crls.to_vec();
        all_crls.push(f.join("sm2-root-ca.crl.pem"));
        all_crls.push(f.join("sm2-intermediate-ca.crl.pem"));
        let crl_list = all_crls
            .iter()
            .map(|p| format!("\"{}\"", p.display()))
            .collect::<Vec<_>>()
            .join(", ");
        // Written here rather than by GatewayConfig: this test swaps its own CRL files under a running gateway.
        let toml = format!(
            "listen = \"127.0.0.1:0\"\ndatabase_url = \"sqlite://{db}?mode=rwc\"\n\n[tls]\ncert = \"{cert}\"\n\
             key = \"{key}\"\nclient_ca = \"{ca}\"\ncrls = [{crl_list}]\ncrl_refresh_secs = 1\n\n[limits]\n\
             max_body_bytes = {body}\nrequest_timeout_secs = {timeout}\n\
             # The matrix sends a few hundred requests per certificate: not a rate-limit test.\n\
             rate_per_second = 1000\nrate_burst = 1000\n\n[receipt]\ncert = \"{rcert}\"\nkey = \"{rkey}\"\n",
            db = dir.join("centre.sqlite").display(),
            cert = f.join("server.pem").display(),
            key = f.join("server.key").display(),
            ca = client_ca.display(),
            body = gjj_tests::MAX_BODY_BYTES,
            timeout = gjj_tests::REQUEST_TIMEOUT_SECS,
            rcert = f.join("receipt-signer.pem").display(),
            rkey = f.join("receipt-signer.key").display(),
        );
        let config = dir.join("server.toml");
        std::fs::write(&config, toml).expect("server.toml");
        let seeded = Command::new(bin("gjj-server"))
            .arg("--config")
            .arg(&config)
            .args(["seed", "--demo"])
            .stdout(Stdio::null())
            .status()
            .expect("gjj-server seed (build it first: cargo build -p gjj-server)");
        assert!(seeded.success(), "gjj-server seed --demo failed");
        let mut cmd = Command::new(bin("gjj-server"));
        cmd.arg("--config")
            .arg(&config)
            // rustls warns of every scanner probe (an IP address as SNI): not news here.
            .env("RUST_LOG", "warn,rustls=error")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let (child, addrs) = spawn_gateway(&mut cmd, false).expect("gateway");
        Gateway {
            config,
            child,
            addr: addrs.api,
        }
    }

    /// Every audit event, newest first, as a centre reads them.
    fn audit(&self) -> Vec<Value> {
        self.audit_query(&[])
    }

    /// `gjj-server audit --json` with a centre's filters (`--code`, `--unit`, `--since`).
    fn audit_query(&self, filters: &[&str]) -> Vec<Value> {
        let ran = run(
            Command::new(bin("gjj-server"))
                .arg("--config")
                .arg(&self.config)
                .args(["audit", "--json", "--limit", "1000000"])
                .args(filters),
            None,
            Duration::from_secs(60),
        );
        assert_eq!(ran.code, Some(0), "gjj-server audit: {}", ran.stderr);
        ran.stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("audit line {l}: {e}")))
            .collect()
    }

    /// The audit log once `done` holds for it (events are written in batches, asynchronously): at most 10 s.
    fn audit_until(&self, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let events = self.audit();
            if done(&events) {
                return events;
            }
            if Instant::now() > deadline {
                let shown: Vec<String> = events.iter().take(20).map(Value::to_string).collect();
                panic!(
                    "audit log: {what} not there within 10 s; newest events:\n{}",
                    shown.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Never a 500: no answer of this gateway was a server error.
    fn assert_no_server_error(&self) {
        let events = self.audit();
        let bad: Vec<&Value> = events
            .iter()
            .filter(|e| e["status"].as_u64().is_some_and(|s| s >= 500) || e["code"] == "INTERNAL")
            .collect();
        assert!(bad.is_empty(), "server errors in the audit log: {bad:#?}");
    }

    fn running(&mut self) -> bool {
        self.child.try_wait().ok().flatten().is_none()
    }
}

fn remote_port(e: &Value) -> Option<u16> {
    e["remote"].as_str()?.rsplit_once(':')?.1.parse().ok()
}

fn at(e: &Value) -> OffsetDateTime {
    let text = e["at"].as_str().unwrap_or_default();
    OffsetDateTime::parse(text, &Rfc3339).unwrap_or_else(|err| panic!("audit `at` {text:?}: {err}"))
}

// ---------------------------------------------------------------------------------------------------------------
// The foreign clients

#[derive(Clone, Copy, Debug, Default)]
struct Tls {
    /// Security level 0: the client loads SHA-1 / RSA-1024 certificates.
    weak: bool,
    /// At most TLS 1.2 (Python's handshakes: refusals then come inside the handshake, not after it).
    max12: bool,
    /// Offer only this old version ("1.0" / "1.1").
    legacy: Option<&'static str>,
}

const TLS13: Tls = Tls {
    weak: false,
    max12: false,
    legacy: None,
};

/// One request by one client: what the server answered, or how the connection ended.
#[derive(Clone, Debug)]
struct Answer {
    client: &'static str,
    /// HTTP status; none when no HTTP answer came (the handshake was refused).
    status: Option<u16>,
    body: String,
    /// The client's own diagnostics (stderr, exception): where the TLS alert is named.
    text: String,
    /// The local port of the connection (the audit event's `remote`); s_client does not say it.
    port: Option<u16>,
}

/// TLS alert descriptions as OpenSSL names them (curl, s_client and Python all print OpenSSL's words).
const ALERTS: &[&str] = &[
    "certificate expired",
    "certificate revoked",
    "unknown ca",
    "bad certificate",
    "unsupported certificate",
    "certificate unknown",
    "decrypt error",
    "protocol version",
    "handshake failure",
    "decode error",
    "record overflow",
    "illegal parameter",
    "access denied",
    "certificate required",
    "internal error",
];

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    fn alert(&self) -> Option<&'static str> {
        let t = self.text.to_lowercase();
        ALERTS
            .iter()
            .copied()
            .find(|a| t.contains(&format!("alert {a}")) || t.contains(&format!("alert, {a}")))
    }

    fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_owned()
    }

    /// Status and body, or the alert: a line of the report.
    fn seen(&self) -> String {
        match self.status {
            Some(st) => format!("HTTP {st} {}", self.code()),
            None => format!(
                "no HTTP answer, alert: {}",
                self.alert().unwrap_or("(none: connection cut)")
            ),
        }
    }
}

/// An HTTP/1.1 response as raw bytes: (status, body).
fn parse_http(raw: &str) -> (Option<u16>, String) {
    let Some(rest) = raw.find("HTTP/1.1 ").map(|i| &raw[i..]) else {
        return (None, String::new());
    };
    let status = rest.get(9..12).and_then(|c| c.parse().ok());
    let body = rest
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

const PYTHON_CLIENT: &str = r#"
import json, socket, ssl, sys
a = json.loads(sys.argv[1])
out = {"status": None, "body": "", "error": "", "port": None}
try:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(a["cafile"])
    if a["weak"] or a["legacy"]:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    if a["legacy"]:
        v = {"1.0": ssl.TLSVersion.TLSv1, "1.1": ssl.TLSVersion.TLSv1_1}[a["legacy"]]
        ctx.minimum_version = v
        ctx.maximum_version = v
    elif a["max12"]:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if a["cert"]:
        ctx.load_cert_chain(a["cert"], a["key"])
    sock = socket.create_connection((a["host"], a["port"]), timeout=15)
    out["port"] = sock.getsockname()[1]
    tls = ctx.wrap_socket(sock, server_hostname=a["host"])
    tls.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (a["path"], a["host"])).encode())
    data = b""
    while True:
        chunk = tls.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    if head:
        out["status"] = int(head.split()[1])
    out["body"] = body.decode("utf-8", "replace")
except Exception as e:
    out["error"] = "%s: %s" % (type(e).__name__, e)
print(json.dumps(out))
"#;

struct Clients {
    addr: String,
    cafile: PathBuf,
    weak_conf: PathBuf,
    python: PathBuf,
    scratch: PathBuf,
    n: Cell<u32>,
}

impl Clients {
    fn new(gw: &Gateway, fixtures: &Fixtures, pki: &Pki) -> Clients {
        let python = std::env::var_os("GJJ_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("python3"));
        Clients {
            addr: gw.addr.clone(),
            // The server's chain ends at the dev root: what every client is told to trust.
            cafile: fixtures.dir.join("root-ca.pem"),
            weak_conf: pki.weak_conf(),
            python,
            scratch: pki.dir.clone(),
            n: Cell::new(0),
        }
    }

    fn port(&self) -> u16 {
        self.addr
            .rsplit_once(':')
            .and_then(|(_, p)| p.parse().ok())
            .expect("gateway port")
    }

    /// curl: any method, with a body for POST/PUT; the body file and `%{local_port}` from its write-out.
    fn curl(&self, who: Option<&Leaf>, tls: Tls, method: &str, path: &str) -> Answer {
        self.n.set(self.n.get() + 1);
        let out = self.scratch.join(format!("curl-{}.body", self.n.get()));
        let _ = std::fs::remove_file(&out);
        let mut cmd = Command::new("curl");
        cmd.args(["-sS", "-v", "--max-time", "15", "-X", method, "-o"])
            .arg(&out)
            .args(["-w", "%{http_code} %{local_port}", "--cacert"])
            .arg(&self.cafile);
        if let Some(l) = who {
            cmd.arg("--cert").arg(&l.chain).arg("--key").arg(&l.key);
        }
        match method {
            "POST" => {
                cmd.args(["-H", "Content-Type: application/json", "--data-binary", "{}"]);
            }
            "PUT" => {
                cmd.args([
                    "-H",
                    "Content-Type: application/octet-stream",
                    "--data-binary",
                    "0123456789abcdef",
                ]);
            }
            _ => {}
        }
        if tls.weak || tls.legacy.is_some() {
            cmd.env("OPENSSL_CONF", &self.weak_conf);
        }
        match tls.legacy {
            Some(v) => {
                cmd.args([format!("--tlsv{v}"), "--tls-max".into(), v.to_owned()]);
            }
            None if tls.max12 => {
                cmd.args(["--tls-max", "1.2"]);
            }
            None => {}
        }
        cmd.arg(format!("https://{}{path}", self.addr));
        let ran = run(&mut cmd, None, Duration::from_secs(20));
        let mut words = ran.stdout.split_whitespace();
        let status = words
            .next()
            .and_then(|c| c.parse::<u16>().ok())
            .filter(|c| *c != 0);
        let port = words
            .next()
            .and_then(|p| p.parse::<u16>().ok())
            .filter(|p| *p != 0);
        Answer {
            client: "curl",
            status,
            body: std::fs::read_to_string(&out).unwrap_or_default(),
            text: ran.stderr,
            port,
        }
    }

    /// `openssl s_client`: a GET written on the connection, the raw answer read back.
    fn s_client(&self, who: Option<&Leaf>, tls: Tls, path: &str) -> Answer {
        let mut cmd = Command::new("openssl");
        cmd.args([
            "s_client",
            "-connect",
            &self.addr,
            "-verify_return_error",
            "-quiet",
            "-CAfile",
        ])
        .arg(&self.cafile);
        if let Some(l) = who {
            cmd.arg("-cert").arg(&l.cert).arg("-key").arg(&l.key);
            if let Some(ints) = &l.ints {
                cmd.arg("-cert_chain").arg(ints);
            }
        }
        if tls.weak || tls.legacy.is_some() {
            cmd.env("OPENSSL_CONF", &self.weak_conf)
                .args(["-cipher", "DEFAULT:@SECLEVEL=0"]);
        }
        match tls.legacy {
            Some("1.0") => {
                cmd.arg("-tls1");
            }
            Some(_) => {
                cmd.arg("-tls1_1");
            }
            None if tls.max12 => {
                cmd.arg("-tls1_2");
            }
            None => {}
        }
        let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        let ran = run(&mut cmd, Some(request.as_bytes()), Duration::from_secs(20));
        let (status, body) = parse_http(&ran.stdout);
        Answer {
            client: "openssl s_client",
            status,
            body,
            text: ran.stderr,
            port: None,
        }
    }

    /// Python's `ssl` module (OpenSSL underneath, but its own handshake driver and error mapping).
    fn python(&self, who: Option<&Leaf>, tls: Tls, path: &str) -> Answer {
        let args = serde_json::json!({
            "host": "127.0.0.1",
            "port": self.port(),
            "cafile": self.cafile,
            "cert": who.map(|l| l.chain.clone()),
            "key": who.map(|l| l.key.clone()),
            "weak": tls.weak,
            "max12": tls.max12,
            "legacy": tls.legacy,
            "path": path,
        });
        let ran = run(
            Command::new(&self.python)
                .args(["-W", "ignore", "-c", PYTHON_CLIENT])
                .arg(args.to_string()),
            None,
            Duration::from_secs(20),
        );
        let out: Value = serde_json::from_str(ran.stdout.trim())
            .unwrap_or_else(|e| panic!("python client: {e}\n{}\n{}", ran.stdout, ran.stderr));
        Answer {
            client: "python ssl",
            status: out["status"].as_u64().and_then(|s| u16::try_from(s).ok()),
            body: out["body"].as_str().unwrap_or_default().to_owned(),
            text: format!("{} {}", out["error"].as_str().unwrap_or_default(), ran.stderr),
            port: out["port"].as_u64().and_then(|p| u16::try_from(p).ok()),
        }
    }

    /// The same GET by all three clients.
    fn all(&self, who: Option<&Leaf>, tls: Tls, python_tls: Tls, path: &str) -> Vec<Answer> {
        vec![
            self.curl(who, tls, "GET", path),
            self.s_client(who, tls, path),
            self.python(who, python_tls, path),
        ]
    }
}

// ---------------------------------------------------------------------------------------------------------------
// One lab: the dev PKI's CAs under openssl, this test's CA bundle and CRLs, one gateway

struct Lab {
    tmp: tempfile::TempDir,
    fixtures: Fixtures,
    parties: Parties,
    pki: Pki,
    root: Ca,
    int: Ca,
    bundle: PathBuf,
    root_crl: PathBuf,
    int_crl: PathBuf,
}

impl Lab {
    fn new(tag: &str) -> Lab {
        let fixtures = Fixtures::from_env();
        let tmp = tempfile::Builder::new()
            .prefix(&format!("gjj-security-{tag}-"))
            .tempdir()
            .expect("temp dir");
        let pki = Pki::new(&tmp.path().join("pki"), &fixtures);
        let root = pki.dev_root();
        let int = pki.dev_intermediate();
        // The fixtures' revoked certificate stays revoked in the CRL this test now issues for the intermediate.
        int.revoke(&fixtures.dir.join("clients").join("revoked.pem"));
        let bundle = tmp.path().join("ca-bundle.pem");
        std::fs::copy(fixtures.ca_bundle(), &bundle).expect("CA bundle copy");
        let (root_crl, int_crl) = (
            tmp.path().join("root-ca.crl.pem"),
            tmp.path().join("intermediate-ca.crl.pem"),
        );
        root.crl(&root_crl, None);
        int.crl(&int_crl, None);
        Lab {
            tmp,
            parties: Parties::load(),
            fixtures,
            pki,
            root,
            int,
            bundle,
            root_crl,
            int_crl,
        }
    }

    fn dir(&self) -> &Path {
        self.tmp.path()
    }

    /// Adds a CA certificate to the centre's bundle (as a centre does for a new intermediate).
    fn trust(&self, ca: &Ca) {
        let mut text = std::fs::read_to_string(&self.bundle).expect("bundle");
        text.push_str(&std::fs::read_to_string(&ca.cert).expect("CA cert"));
        std::fs::write(&self.bundle, text).expect("bundle");
    }

    fn start(&self, extra_crls: &[PathBuf]) -> (Gateway, Clients) {
        let mut crls = vec![self.root_crl.clone(), self.int_crl.clone()];
        crls.extend(extra_crls.iter().cloned());
        let gw = Gateway::start(self.dir(), &self.fixtures, &self.bundle, &crls);
        let clients = Clients::new(&gw, &self.fixtures, &self.pki);
        (gw, clients)
    }
}

/// The report lines of a matrix, printed at the end (`--nocapture`).
fn print_table(title: &str, head: &str, rows: &[String]) {
    println!("\n{title}\n{head}");
    for r in rows {
        println!("{r}");
    }
}

// ---------------------------------------------------------------------------------------------------------------
// 1. Certificates and protocols refused in the handshake, and identities refused over HTTP

struct HandshakeCase {
    name: &'static str,
    leaf: Option<Leaf>,
    tls: Tls,
    code: &'static str,
    /// The alerts a client may name (rustls's choice for the error); empty: the connection is cut.
    alerts: &'static [&'static str],
    /// Whether the gateway could read the certificate (then the event names its serial and subject).
    parsed: bool,
}

#[test]
fn every_refused_certificate_and_protocol_has_its_code_alert_and_audit_event() {
    let lab = Lab::new("handshake");
    let p = &lab.parties;
    let a = &p.employer_a;
    let now = OffsetDateTime::now_utc();
    let day = time::Duration::days(1);

    // Extra CAs under the dev root: one the root revokes, one with no CRL at the centre, one whose CRL is stale.
    let int_revoked = lab
        .pki
        .sub_ca(&lab.root, "revoked", "衡阳公积金开发测试业务CA（已吊销）");
    let int_nocrl = lab
        .pki
        .sub_ca(&lab.root, "nocrl", "衡阳公积金开发测试业务CA（无CRL）");
    let int_stale = lab
        .pki
        .sub_ca(&lab.root, "stale", "衡阳公积金开发测试业务CA（CRL过期）");
    for ca in [&int_revoked, &int_nocrl, &int_stale] {
        lab.trust(ca);
    }
    lab.root.revoke(&int_revoked.cert);
    lab.root.crl(&lab.root_crl, None);
    let (revoked_crl, stale_crl) = (
        lab.dir().join("revoked-ca.crl.pem"),
        lab.dir().join("stale-ca.crl.pem"),
    );
    int_revoked.crl(&revoked_crl, None);
    int_stale.crl(&stale_crl, Some((now - 2 * day, now - day)));
    let foreign = lab.pki.foreign_root();

    let pki = &lab.pki;
    let spec = || unit_spec(a);
    let good = pki.leaf(&lab.int, "good", &spec());
    let revoked = pki.leaf(&lab.int, "revoked", &spec());
    lab.int.revoke(&revoked.cert);
    lab.int.crl(&lab.int_crl, None);

    let with = |f: &dyn Fn(&mut LeafSpec)| {
        let mut sp = spec();
        f(&mut sp);
        sp
    };
    let big_ou: Vec<(&'static str, String)> = (0..1000)
        .map(|i| ("OU", format!("{i:04}{}", "x".repeat(60))))
        .collect();
    let tls12 = Tls { max12: true, ..TLS13 };
    let weak = Tls { weak: true, ..TLS13 };
    let weak12 = Tls {
        weak: true,
        max12: true,
        ..TLS13
    };
    let cases = vec![
        HandshakeCase {
            name: "another CA (a foreign root)",
            leaf: Some(pki.leaf(&foreign, "foreign", &spec())),
            tls: TLS13,
            code: "CERT_UNKNOWN_CA",
            alerts: &["unknown ca"],
            parsed: true,
        },
        HandshakeCase {
            name: "expired",
            leaf: Some(pki.leaf(
                &lab.int,
                "expired",
                &with(&|s| s.validity = Validity::Window(now - 400 * day, now - 30 * day)),
            )),
            tls: TLS13,
            code: "CERT_EXPIRED",
            alerts: &["certificate expired"],
            parsed: true,
        },
        HandshakeCase {
            name: "not yet valid",
            leaf: Some(pki.leaf(
                &lab.int,
                "not-yet-valid",
                &with(&|s| s.validity = Validity::Window(now + 30 * day, now + 400 * day)),
            )),
            tls: TLS13,
            code: "CERT_NOT_YET_VALID",
            // RFC 8446: certificate_expired also means "not currently valid".
            alerts: &["certificate expired"],
            parsed: true,
        },
        HandshakeCase {
            name: "revoked (intermediate's CRL)",
            leaf: Some(revoked.clone()),
            tls: TLS13,
            code: "CERT_REVOKED",
            alerts: &["certificate revoked"],
            parsed: true,
        },
        HandshakeCase {
            name: "revoked intermediate (root's CRL)",
            leaf: Some(pki.leaf(&int_revoked, "under-revoked-ca", &spec())),
            tls: TLS13,
            code: "CERT_REVOKED",
            alerts: &["certificate revoked"],
            parsed: true,
        },
        HandshakeCase {
            name: "issuer without a CRL at the centre",
            leaf: Some(pki.leaf(&int_nocrl, "under-nocrl-ca", &spec())),
            tls: TLS13,
            code: "CERT_REVOCATION_UNKNOWN",
            alerts: &["unknown ca"],
            parsed: true,
        },
        HandshakeCase {
            name: "CRL past its nextUpdate (fail closed)",
            leaf: Some(pki.leaf(&int_stale, "under-stale-ca", &spec())),
            tls: TLS13,
            code: "CRL_EXPIRED",
            alerts: &["unknown ca"],
            parsed: true,
        },
        HandshakeCase {
            name: "leaf with CA:TRUE",
            leaf: Some(pki.leaf(
                &lab.int,
                "ca-leaf",
                &with(&|s| {
                    s.ext = leaf_ext(
                        Some(a.uscc.as_str()),
                        "CA:TRUE",
                        "digitalSignature,keyCertSign",
                        "clientAuth",
                    )
                }),
            )),
            tls: TLS13,
            code: "CERT_CA_AS_LEAF",
            alerts: &["certificate unknown", "bad certificate"],
            parsed: true,
        },
        HandshakeCase {
            name: "keyUsage without digitalSignature",
            leaf: Some(pki.leaf(
                &lab.int,
                "no-digital-signature",
                &with(&|s| s.ext = leaf_ext(Some(a.uscc.as_str()), "CA:FALSE", "keyAgreement", "clientAuth")),
            )),
            tls: TLS13,
            code: "CERT_KEY_USAGE",
            alerts: &["certificate unknown", "bad certificate"],
            parsed: true,
        },
        HandshakeCase {
            name: "serverAuth-only EKU",
            leaf: Some(pki.leaf(
                &lab.int,
                "server-auth-only",
                &with(&|s| {
                    s.ext = leaf_ext(
                        Some(a.uscc.as_str()),
                        "CA:FALSE",
                        "digitalSignature",
                        "serverAuth",
                    )
                }),
            )),
            tls: TLS13,
            code: "CERT_WRONG_PURPOSE",
            alerts: &["unsupported certificate"],
            parsed: true,
        },
        HandshakeCase {
            name: "SHA-1 signed",
            leaf: Some(pki.leaf(&lab.int, "sha1", &with(&|s| s.md = "sha1"))),
            tls: weak,
            code: "CERT_SIGNATURE",
            alerts: &["decrypt error", "bad certificate"],
            parsed: true,
        },
        HandshakeCase {
            name: "RSA-1024 key",
            leaf: Some(pki.leaf(&lab.int, "rsa1024", &with(&|s| s.key = Key::Rsa(1024)))),
            tls: weak,
            code: "CERT_WEAK_KEY",
            alerts: &["certificate unknown", "bad certificate"],
            parsed: true,
        },
        HandshakeCase {
            name: "64 KB subject (1000 OU of 64 characters)",
            leaf: Some(pki.leaf(
                &lab.int,
                "big-subject",
                &with(&|s| {
                    let mut dn = big_ou.clone();
                    dn.extend(unit_dn(&a.name, Some(a.uscc.as_str()), &a.role));
                    s.dn = dn;
                }),
            )),
            tls: TLS13,
            code: "TLS_MESSAGE_TOO_LARGE",
            alerts: &[],
            parsed: false,
        },
        HandshakeCase {
            name: "TLS 1.0 offered",
            leaf: Some(good.clone()),
            tls: Tls {
                legacy: Some("1.0"),
                ..TLS13
            },
            code: "TLS_VERSION",
            // rustls refuses a hello without signature_algorithms before it reads the version.
            alerts: &["protocol version", "handshake failure"],
            parsed: false,
        },
        HandshakeCase {
            name: "TLS 1.1 offered",
            leaf: Some(good.clone()),
            tls: Tls {
                legacy: Some("1.1"),
                ..TLS13
            },
            code: "TLS_VERSION",
            alerts: &["protocol version", "handshake failure"],
            parsed: false,
        },
    ];

    let (mut gw, clients) = lab.start(&[revoked_crl, stale_crl]);

    // Controls first: the valid certificate passes with every client and every TLS setting used below, so a
    // refusal below is the gateway's verdict on the certificate, not a client that cannot connect.
    for tls in [TLS13, tls12, weak, weak12] {
        for ans in clients.all(Some(&good), tls, Tls { max12: true, ..tls }, "/api/v1/me") {
            assert_eq!(
                ans.status,
                Some(200),
                "control {tls:?} by {}: {ans:?}",
                ans.client
            );
            assert_eq!(ans.json()["unit"]["uscc"], a.uscc.as_str(), "{ans:?}");
        }
    }

    let mut rows = Vec::new();
    let mut checks: Vec<(usize, OffsetDateTime, Vec<Answer>)> = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let started = OffsetDateTime::now_utc() - time::Duration::milliseconds(5);
        // Python stays on TLS 1.2 (the refusal inside the handshake); curl and s_client use TLS 1.3.
        let py_tls = if case.tls.legacy.is_some() {
            case.tls
        } else {
            Tls {
                max12: true,
                ..case.tls
            }
        };
        let answers = clients.all(case.leaf.as_ref(), case.tls, py_tls, "/api/v1/me");
        for ans in &answers {
            assert!(
                ans.status.is_none(),
                "{}: {} got an HTTP answer, the handshake should have been refused: {ans:?}",
                case.name,
                ans.client
            );
            if !case.alerts.is_empty() {
                assert!(
                    ans.alert().is_some_and(|al| case.alerts.contains(&al)),
                    "{}: {} saw alert {:?}, expected one of {:?}:\n{}",
                    case.name,
                    ans.client,
                    ans.alert(),
                    case.alerts,
                    ans.text
                );
            }
        }
        checks.push((i, started, answers));
    }

    // The centre's view: one event per refused connection, with the code, who (serial, subject, USCC), where
    // from (remote) and when.
    let events = gw.audit_until("every handshake refusal", |events| {
        checks.iter().all(|(i, started, answers)| {
            let case = &cases[*i];
            let of_case: Vec<&Value> = events
                .iter()
                .filter(|e| e["code"] == case.code && at(e) >= *started)
                .filter(|e| {
                    !case.parsed
                        || case
                            .leaf
                            .as_ref()
                            .is_some_and(|l| e["cert_serial"] == l.serial.as_str())
                })
                .collect();
            of_case.len() >= answers.len()
                && answers
                    .iter()
                    .filter_map(|a| a.port)
                    .all(|port| of_case.iter().any(|e| remote_port(e) == Some(port)))
        })
    });
    let finished = OffsetDateTime::now_utc() + time::Duration::seconds(1);
    for (i, started, answers) in &checks {
        let case = &cases[*i];
        for ans in answers {
            let event = match ans.port {
                Some(port) => events
                    .iter()
                    .find(|e| remote_port(e) == Some(port) && at(e) >= *started)
                    .unwrap_or_else(|| panic!("{}: no event for {}'s connection", case.name, ans.client)),
                None => events
                    .iter()
                    .find(|e| {
                        e["code"] == case.code
                            && at(e) >= *started
                            && (!case.parsed
                                || case
                                    .leaf
                                    .as_ref()
                                    .is_some_and(|l| e["cert_serial"] == l.serial.as_str()))
                    })
                    .unwrap_or_else(|| panic!("{}: no event for {}", case.name, ans.client)),
            };
            assert_eq!(event["code"], case.code, "{}: {event}", case.name);
            assert!(
                event["status"].is_null(),
                "a handshake refusal has no HTTP status: {event}"
            );
            assert!(
                event["remote"]
                    .as_str()
                    .is_some_and(|r| r.starts_with("127.0.0.1:")),
                "{event}"
            );
            let when = at(event);
            assert!(
                when >= *started && when <= finished,
                "{}: at {when} outside the case",
                case.name
            );
            assert!(
                event["detail"].as_str().is_some_and(|d| !d.is_empty()),
                "why: {event}"
            );
            if case.parsed {
                let leaf = case.leaf.as_ref().expect("a certificate case");
                assert_eq!(
                    event["cert_serial"],
                    leaf.serial.as_str(),
                    "{}: {event}",
                    case.name
                );
                assert!(
                    event["cert_subject"]
                        .as_str()
                        .is_some_and(|s| s.contains(&a.name)),
                    "{}: subject {event}",
                    case.name
                );
                assert_eq!(event["uscc"], a.uscc.as_str(), "{}: {event}", case.name);
                // The unit the certificate names, as the centre has it on record.
                assert_eq!(
                    event["unit_account"],
                    a.account.as_str(),
                    "{}: {event}",
                    case.name
                );
            }
            rows.push(format!(
                "| {} | {} | {} | {} |",
                case.name,
                ans.client,
                ans.alert().unwrap_or("(connection cut)"),
                event["code"].as_str().unwrap_or_default()
            ));
        }
    }
    // The centre's filter finds a handshake refusal by its code, like any other.
    let since = checks[0].1.format(&Rfc3339).expect("RFC 3339");
    let expired = gw.audit_query(&["--code", "CERT_EXPIRED", "--since", &since]);
    assert_eq!(expired.len(), 3, "{expired:#?}");
    let by_uscc = gw.audit_query(&["--unit", &a.uscc, "--code", "CERT_REVOKED"]);
    assert!(
        by_uscc.len() >= 6,
        "revoked leaf + leaf of the revoked CA, three clients each: {by_uscc:#?}"
    );
    print_table(
        "Handshake refusals",
        "| case | client | alert the client saw | audit code |\n|---|---|---|---|",
        &rows,
    );

    // The valid certificate still works after all that (no refusal poisoned the listener).
    assert_eq!(
        clients.curl(Some(&good), TLS13, "GET", "/api/v1/me").status,
        Some(200)
    );
    assert!(gw.running(), "the gateway died during the handshake matrix");
    gw.assert_no_server_error();
}

#[test]
fn identities_the_centre_cannot_bind_are_refused_over_http_with_their_code() {
    let lab = Lab::new("identity");
    let p = &lab.parties;
    let (a, b) = (&p.employer_a, &p.employer_b);
    let pki = &lab.pki;
    let with = |party: &Party, f: &dyn Fn(&mut LeafSpec)| {
        let mut sp = unit_spec(party);
        f(&mut sp);
        sp
    };
    // Employer A's USCC with its check character changed (still USCC-shaped, so the CA states it).
    let bad_digit = {
        let (body, last) = a.uscc.split_at(17);
        let alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
        let next = alphabet
            .chars()
            .cycle()
            .skip_while(|c| c.to_string() != last)
            .nth(1)
            .expect("another check character");
        format!("{body}{next}")
    };
    assert_ne!(bad_digit, a.uscc);
    struct HttpCase {
        name: &'static str,
        leaf: Option<Leaf>,
        path: &'static str,
        status: u16,
        code: &'static str,
        uscc: Option<String>,
        unit_account: Option<String>,
    }
    let cases = [
        HttpCase {
            name: "no certificate",
            leaf: None,
            path: "/api/v1/me",
            status: 401,
            code: "CERT_REQUIRED",
            uscc: None,
            unit_account: None,
        },
        HttpCase {
            name: "another unit's USCC under employer A's name",
            leaf: Some(pki.leaf(
                &lab.int,
                "mismatch",
                &with(a, &|s| {
                    s.dn = unit_dn(&a.name, Some(b.uscc.as_str()), &a.role);
                    s.ext = leaf_ext(
                        Some(b.uscc.as_str()),
                        "CA:FALSE",
                        "digitalSignature",
                        "clientAuth",
                    );
                }),
            )),
            path: "/api/v1/me",
            status: 403,
            code: "CERT_UNIT_MISMATCH",
            uscc: Some(b.uscc.clone()),
            // The unit whose code was claimed: a centre asking about it sees who tried.
            unit_account: Some(b.account.clone()),
        },
        HttpCase {
            name: "employer A's USCC with a wrong check digit",
            leaf: Some(pki.leaf(
                &lab.int,
                "bad-check-digit",
                &with(a, &|s| {
                    s.dn = unit_dn(&a.name, Some(bad_digit.as_str()), &a.role);
                    s.ext = leaf_ext(
                        Some(bad_digit.as_str()),
                        "CA:FALSE",
                        "digitalSignature",
                        "clientAuth",
                    );
                }),
            )),
            path: "/api/v1/me",
            status: 403,
            code: "CERT_USCC_INVALID",
            uscc: Some(bad_digit.clone()),
            unit_account: None,
        },
        HttpCase {
            name: "no USCC at all (no organizationIdentifier, no extension, no OU)",
            leaf: Some(pki.leaf(
                &lab.int,
                "no-uscc",
                &with(a, &|s| {
                    s.dn = unit_dn(&a.name, None, &a.role);
                    s.ext = leaf_ext(None, "CA:FALSE", "digitalSignature", "clientAuth");
                }),
            )),
            path: "/api/v1/me",
            status: 403,
            code: "CERT_NO_USCC",
            uscc: None,
            unit_account: None,
        },
        HttpCase {
            name: "a unit the centre has not registered",
            leaf: Some(pki.leaf(&lab.int, "unknown-unit", &unit_spec(&p.unknown))),
            path: "/api/v1/me",
            status: 403,
            code: "UNIT_UNKNOWN",
            uscc: Some(p.unknown.uscc.clone()),
            unit_account: None,
        },
        HttpCase {
            name: "a staff route with a unit's certificate",
            leaf: Some(pki.leaf(&lab.int, "employer-a", &unit_spec(a))),
            path: "/api/v1/review/pending",
            status: 403,
            code: "ROLE_FORBIDDEN",
            uscc: Some(a.uscc.clone()),
            unit_account: Some(a.account.clone()),
        },
    ];
    let (mut gw, clients) = lab.start(&[]);

    let mut checks = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let started = OffsetDateTime::now_utc() - time::Duration::milliseconds(5);
        let answers = clients.all(case.leaf.as_ref(), TLS13, Tls { max12: true, ..TLS13 }, case.path);
        for ans in &answers {
            assert_eq!(
                ans.status,
                Some(case.status),
                "{}: {} {ans:?}",
                case.name,
                ans.client
            );
            let body = ans.json();
            assert_eq!(body["code"], case.code, "{}: {} {ans:?}", case.name, ans.client);
            assert!(
                body["message"].as_str().is_some_and(has_chinese),
                "{}: a Chinese message: {body}",
                case.name
            );
        }
        checks.push((i, started, answers));
    }
    let events = gw.audit_until("every HTTP refusal", |events| {
        checks.iter().all(|(i, started, answers)| {
            let case = &cases[*i];
            let n = events
                .iter()
                .filter(|e| e["code"] == case.code && e["route"] == case.path && at(e) >= *started)
                .count();
            n >= answers.len()
        })
    });
    let mut rows = Vec::new();
    for (i, started, answers) in &checks {
        let case = &cases[*i];
        let of_case: Vec<&Value> = events
            .iter()
            .filter(|e| e["code"] == case.code && e["route"] == case.path && at(e) >= *started)
            .collect();
        for ans in answers {
            let event = match ans.port {
                Some(port) => of_case
                    .iter()
                    .find(|e| remote_port(e) == Some(port))
                    .unwrap_or_else(|| {
                        panic!("{}: no event for {}'s connection {port}", case.name, ans.client)
                    }),
                None => of_case.first().expect("an event"),
            };
            assert_eq!(event["status"], case.status, "{event}");
            assert_eq!(event["method"], "GET", "{event}");
            assert_eq!(
                event["cert_serial"].as_str(),
                case.leaf.as_ref().map(|l| l.serial.as_str()),
                "{event}"
            );
            assert_eq!(
                event["uscc"].as_str(),
                case.uscc.as_deref(),
                "{}: {event}",
                case.name
            );
            assert_eq!(
                event["unit_account"].as_str(),
                case.unit_account.as_deref(),
                "{}: {event}",
                case.name
            );
            if case.leaf.is_some() {
                assert!(
                    event["cert_subject"]
                        .as_str()
                        .is_some_and(|s| s.contains(&a.name) || s.contains(&p.unknown.name)),
                    "{event}"
                );
            }
            rows.push(format!(
                "| {} | {} | {} | {} |",
                case.name,
                ans.client,
                ans.seen(),
                event["code"].as_str().unwrap_or_default()
            ));
        }
    }
    // What a centre asks: who tried to use unit B's code under another name, and every refusal of one kind.
    let about_b = gw.audit_query(&["--unit", &b.account, "--code", "CERT_UNIT_MISMATCH"]);
    assert_eq!(about_b.len(), 3, "one event per client: {about_b:#?}");
    assert!(about_b
        .iter()
        .all(|e| e["uscc"] == b.uscc.as_str()
            && e["cert_subject"].as_str().is_some_and(|s| s.contains(&a.name))));
    let since = checks[0].1.format(&Rfc3339).expect("RFC 3339");
    let no_uscc = gw.audit_query(&["--code", "CERT_NO_USCC", "--since", &since]);
    assert_eq!(no_uscc.len(), 3, "{no_uscc:#?}");
    print_table(
        "Identity refusals over HTTP",
        "| case | client | answer | audit code |\n|---|---|---|---|",
        &rows,
    );
    assert!(gw.running());
    gw.assert_no_server_error();
}

// ---------------------------------------------------------------------------------------------------------------
// 2. The authorization matrix: every route × every role

/// Who may call a route, read from its handler (`caller.require(Role::…)` or the like).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Access {
    /// The SM2 login: answers without a certificate (a certificate's connection is told SM2_LOGIN_NOT_HERE).
    Sm2Login,
    /// Any hall's certificate (the caller's own records only).
    AnyHall,
    /// 单位 only.
    Employer,
    /// 开发商 only.
    Developer,
    /// 开发商, or centre staff reading what they review.
    DeveloperOrStaff,
    /// 中心 only.
    Staff,
}

/// Every route of crates/server/src/http/mod.rs `app()` with its handler's access rule.
const ROUTES: &[(&str, &str, Access)] = &[
    ("POST", "/api/v1/sm2/challenge", Access::Sm2Login),
    ("POST", "/api/v1/sm2/login", Access::Sm2Login),
    ("GET", "/api/v1/me", Access::AnyHall),
    ("GET", "/api/v1/policy", Access::AnyHall),
    ("GET", "/api/v1/employees", Access::AnyHall),
    ("GET", "/api/v1/employees/{account}", Access::AnyHall),
    ("POST", "/api/v1/contributor_change", Access::Employer),
    ("POST", "/api/v1/base_adjustment", Access::Employer),
    ("POST", "/api/v1/contributor_registration", Access::Employer),
    ("GET", "/api/v1/unit", Access::AnyHall),
    ("POST", "/api/v1/unit_change", Access::Employer),
    ("POST", "/api/v1/rate_adjustment", Access::Employer),
    ("POST", "/api/v1/seal", Access::Employer),
    ("POST", "/api/v1/unseal", Access::Employer),
    ("GET", "/api/v1/remittance/list", Access::Employer),
    ("POST", "/api/v1/remittance", Access::Employer),
    ("POST", "/api/v1/supplementary", Access::Employer),
    ("POST", "/api/v1/project_material/uploads", Access::Developer),
    (
        "PUT",
        "/api/v1/project_material/uploads/{id}/chunks/{index}",
        Access::Developer,
    ),
    (
        "POST",
        "/api/v1/project_material/uploads/{id}/complete",
        Access::Developer,
    ),
    ("GET", "/api/v1/project_material", Access::DeveloperOrStaff),
    (
        "GET",
        "/api/v1/project_material/{id}/content",
        Access::DeveloperOrStaff,
    ),
    ("POST", "/api/v1/project/draft", Access::Developer),
    ("POST", "/api/v1/project", Access::Developer),
    ("GET", "/api/v1/projects", Access::Developer),
    ("GET", "/api/v1/projects/{id}", Access::Developer),
    ("POST", "/api/v1/building", Access::Developer),
    ("POST", "/api/v1/loan_application", Access::Developer),
    ("GET", "/api/v1/submissions", Access::AnyHall),
    ("GET", "/api/v1/submissions/{serial}", Access::AnyHall),
    ("GET", "/api/v1/submissions/{serial}/receipt", Access::AnyHall),
    ("GET", "/api/v1/submissions/{serial}/receipt.pdf", Access::AnyHall),
    ("POST", "/api/v1/submissions/{serial}/withdraw", Access::AnyHall),
    ("GET", "/api/v1/review/pending", Access::Staff),
    ("POST", "/api/v1/review/{serial}/start", Access::Staff),
    ("POST", "/api/v1/review/{serial}/approve", Access::Staff),
    ("POST", "/api/v1/review/{serial}/return", Access::Staff),
];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Nobody,
    Employer,
    Developer,
    Staff,
}

fn allowed(access: Access, who: Who) -> bool {
    match access {
        Access::Sm2Login => true,
        Access::AnyHall => who != Who::Nobody,
        Access::Employer => who == Who::Employer,
        Access::Developer => who == Who::Developer,
        Access::DeveloperOrStaff => matches!(who, Who::Developer | Who::Staff),
        Access::Staff => who == Who::Staff,
    }
}

/// The routes `app()` registers, read from its source: (METHOD, path).
fn router_routes() -> BTreeSet<(String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/server/src/http/mod.rs");
    let src = std::fs::read_to_string(&path).expect("crates/server/src/http/mod.rs");
    let start = src.find("pub fn app(").expect("fn app in http/mod.rs");
    let end = src[start..].find(".fallback(").map_or(src.len(), |e| start + e);
    let body = &src[start..end];
    let mut out = BTreeSet::new();
    for call in body.split(".route(").skip(1) {
        let route = call.split('"').nth(1).expect("a route path literal").to_owned();
        for method in ["get", "post", "put", "delete", "patch"] {
            let needle = format!("{method}(");
            let called = call.match_indices(&needle).any(|(i, _)| {
                i == 0
                    || !call[..i]
                        .chars()
                        .next_back()
                        .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
            });
            if called {
                out.insert((method.to_uppercase(), route.clone()));
            }
        }
    }
    out
}

fn openapi_routes() -> BTreeSet<(String, String)> {
    let doc: Value =
        serde_json::from_str(include_str!("../../docs/openapi.json")).expect("docs/openapi.json");
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            if ["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

#[test]
fn every_route_for_every_role_is_allowed_or_refused_as_its_handler_says() {
    // No route escapes the matrix: the router, the published contract and this table list the same routes.
    let router = router_routes();
    let documented = openapi_routes();
    let table: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert!(
        router.len() >= 37,
        "read {} routes from app(): {router:?}",
        router.len()
    );
    let undocumented: Vec<_> = router.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from docs/openapi.json: {undocumented:?}"
    );
    let unrouted: Vec<_> = documented.difference(&router).collect();
    assert!(
        unrouted.is_empty(),
        "documented routes the router lacks: {unrouted:?}"
    );
    let missing: Vec<_> = router.difference(&table).collect();
    assert!(
        missing.is_empty(),
        "routes without an expected access rule in ROUTES (add them): {missing:?}"
    );
    assert_eq!(table.len(), ROUTES.len(), "a route twice in ROUTES");

    let lab = Lab::new("authz");
    let p = &lab.parties;
    let employer = lab.pki.leaf(&lab.int, "employer", &unit_spec(&p.employer_a));
    // The demo developer's USB key lives on a token; its soft certificate is issued here.
    let developer = lab.pki.leaf(&lab.int, "developer", &unit_spec(&p.developer));
    let staff = lab.pki.pfx_leaf("staff");
    let (mut gw, clients) = lab.start(&[]);
    let roles: [(Who, Option<&Leaf>, Option<&Party>); 4] = [
        (Who::Nobody, None, None),
        (Who::Employer, Some(&employer), Some(&p.employer_a)),
        (Who::Developer, Some(&developer), Some(&p.developer)),
        (Who::Staff, Some(&staff), Some(&p.staff)),
    ];

    let mut answers: Vec<(&str, &str, Who, Answer)> = Vec::new();
    for (method, route, access) in ROUTES {
        // Placeholders: a serial, account, project or upload nobody has (404/400 from the handler is fine).
        let path = route
            .replace("{serial}", "020000000000000")
            .replace("{account}", "000000000000")
            .replace("{id}", "XM0000000000")
            .replace("{index}", "0");
        for (who, leaf, party) in &roles {
            let ans = clients.curl(*leaf, TLS13, method, &path);
            let st = ans
                .status
                .unwrap_or_else(|| panic!("{method} {route} as {who:?}: no HTTP answer: {}", ans.text));
            assert!(st < 500, "{method} {route} as {who:?}: {st} {}", ans.body);
            let body = ans.json();
            if allowed(*access, *who) {
                assert!(
                    st != 401 && st != 403,
                    "{method} {route} as {who:?} should be allowed: {st} {}",
                    ans.body
                );
            } else if *who == Who::Nobody {
                assert_eq!(
                    (st, body["code"].as_str()),
                    (401, Some("CERT_REQUIRED")),
                    "{method} {route}: {}",
                    ans.body
                );
            } else {
                assert_eq!(
                    (st, body["code"].as_str()),
                    (403, Some("ROLE_FORBIDDEN")),
                    "{method} {route} as {who:?} ({}): {}",
                    party.map(|p| p.role.as_str()).unwrap_or_default(),
                    ans.body
                );
            }
            if st >= 400 {
                assert!(
                    body["code"].is_string(),
                    "{method} {route} as {who:?}: JSON error body: {}",
                    ans.body
                );
                assert!(
                    body["message"].as_str().is_some_and(has_chinese),
                    "{method} {route} as {who:?}: a Chinese message: {}",
                    ans.body
                );
            }
            answers.push((*method, *route, *who, ans));
        }
    }

    // Every answer ≥ 400 is in the audit log with the route pattern and the caller's unit.
    let refused: Vec<&(&str, &str, Who, Answer)> = answers
        .iter()
        .filter(|(_, _, _, a)| a.status.is_some_and(|s| s >= 400))
        .collect();
    let events = gw.audit_until("every refused route", |events| {
        refused.iter().all(|(_, _, _, a)| {
            events
                .iter()
                .any(|e| remote_port(e) == a.port && e["status"].is_u64())
        })
    });
    for (method, route, who, ans) in &refused {
        let event = events
            .iter()
            .find(|e| remote_port(e) == ans.port && e["status"].is_u64())
            .expect("event");
        let (_, leaf, party) = roles.iter().find(|(w, _, _)| w == who).expect("role");
        assert_eq!(event["route"], *route, "{event}");
        assert_eq!(event["method"], *method, "{event}");
        assert_eq!(event["status"].as_u64(), ans.status.map(u64::from), "{event}");
        assert_eq!(event["code"].as_str(), Some(ans.code().as_str()), "{event}");
        assert_eq!(
            event["cert_serial"].as_str(),
            leaf.map(|l| l.serial.as_str()),
            "{event}"
        );
        assert_eq!(
            event["unit_account"].as_str(),
            party.map(|p| p.account.as_str()),
            "{method} {route} as {who:?}: {event}"
        );
    }

    let mut rows = Vec::new();
    for (method, route, access) in ROUTES {
        let cell = |who: Who| {
            let (_, _, _, a) = answers
                .iter()
                .find(|(m, r, w, _)| m == method && r == route && *w == who)
                .expect("answer");
            let verdict = if allowed(*access, who) { "allow" } else { "deny" };
            format!("{verdict}: {} {}", a.status.unwrap_or(0), a.code())
        };
        rows.push(format!(
            "| {method} {route} | {access:?} | {} | {} | {} | {} |",
            cell(Who::Nobody),
            cell(Who::Employer),
            cell(Who::Developer),
            cell(Who::Staff)
        ));
    }
    print_table(
        "Authorization matrix (curl)",
        "| route | rule | no certificate | 单位 | 开发商 | 中心 |\n|---|---|---|---|---|---|",
        &rows,
    );
    assert!(gw.running());
    gw.assert_no_server_error();
}

// ---------------------------------------------------------------------------------------------------------------
// 3. CRLs reloaded without a restart; a CRL past its nextUpdate fails closed

/// Polls `probe` every 250 ms until it returns true; at most `limit`. The time it took.
fn within(limit: Duration, what: &str, mut probe: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    loop {
        if probe() {
            return started.elapsed();
        }
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn a_new_crl_is_in_force_within_seconds_and_a_stale_one_fails_closed() {
    let lab = Lab::new("reload");
    let a = &lab.parties.employer_a;
    // A sibling intermediate under the same root: a stale CRL of the dev intermediate must not touch it.
    let sibling = lab
        .pki
        .sub_ca(&lab.root, "sibling", "衡阳公积金开发测试业务CA（二）");
    lab.trust(&sibling);
    lab.root.crl(&lab.root_crl, None);
    let sibling_crl = lab.dir().join("sibling-ca.crl.pem");
    sibling.crl(&sibling_crl, None);
    let victim = lab.pki.leaf(&lab.int, "victim", &unit_spec(a));
    let bystander = lab.pki.leaf(&lab.int, "bystander", &unit_spec(a));
    let staff = lab.pki.pfx_leaf("staff");
    let other_ca = lab.pki.leaf(&sibling, "other-ca", &unit_spec(a));
    let (mut gw, clients) = lab.start(&[sibling_crl]);
    let pid = gw.child.id();

    for leaf in [&victim, &bystander, &staff, &other_ca] {
        assert_eq!(
            clients.curl(Some(leaf), TLS13, "GET", "/api/v1/me").status,
            Some(200)
        );
    }

    // The CA revokes the victim and publishes a new CRL: the running gateway picks it up.
    let revoked_at = OffsetDateTime::now_utc() - time::Duration::milliseconds(5);
    lab.int.revoke(&victim.cert);
    lab.int.crl(&lab.int_crl, None);
    let took = within(
        Duration::from_secs(10),
        "the victim refused after the new CRL",
        || {
            clients
                .curl(Some(&victim), TLS13, "GET", "/api/v1/me")
                .status
                .is_none()
        },
    );
    println!("new CRL in force after {took:?} (crl_refresh_secs = 1)");
    let seen = clients.s_client(Some(&victim), TLS13, "/api/v1/me");
    assert_eq!(seen.alert(), Some("certificate revoked"), "{seen:?}");
    gw.audit_until("CERT_REVOKED for the victim", |events| {
        events.iter().any(|e| {
            e["code"] == "CERT_REVOKED" && e["cert_serial"] == victim.serial.as_str() && at(e) >= revoked_at
        })
    });
    let py = clients.python(Some(&bystander), TLS13, "/api/v1/me");
    assert_eq!(py.status, Some(200), "the bystander still works: {py:?}");

    // The CA's next CRL does not come and the one in force passes its nextUpdate: every certificate of that CA
    // is refused (fail closed), the other CA's are not.
    let now = OffsetDateTime::now_utc();
    let stale_at = now - time::Duration::milliseconds(5);
    lab.int.crl(
        &lab.int_crl,
        Some((now - time::Duration::days(2), now - time::Duration::days(1))),
    );
    within(
        Duration::from_secs(10),
        "the bystander refused after the stale CRL",
        || {
            clients
                .curl(Some(&bystander), TLS13, "GET", "/api/v1/me")
                .status
                .is_none()
        },
    );
    let staff_seen = clients.s_client(Some(&staff), TLS13, "/api/v1/me");
    assert!(
        staff_seen.status.is_none(),
        "staff (same CA) refused too: {staff_seen:?}"
    );
    let py = clients.python(Some(&bystander), Tls { max12: true, ..TLS13 }, "/api/v1/me");
    assert!(py.status.is_none(), "{py:?}");
    let other = clients.curl(Some(&other_ca), TLS13, "GET", "/api/v1/me");
    assert_eq!(
        other.status,
        Some(200),
        "another CA's certificate is not affected: {other:?}"
    );
    gw.audit_until("CRL_EXPIRED for every certificate of the CA", |events| {
        [&bystander, &staff].iter().all(|l| {
            events.iter().any(|e| {
                e["code"] == "CRL_EXPIRED" && e["cert_serial"] == l.serial.as_str() && at(e) >= stale_at
            })
        })
    });

    // A fresh CRL restores service, again without a restart; the victim stays revoked.
    lab.int.crl(&lab.int_crl, None);
    within(
        Duration::from_secs(10),
        "the bystander back after a fresh CRL",
        || clients.curl(Some(&bystander), TLS13, "GET", "/api/v1/me").status == Some(200),
    );
    assert!(clients
        .curl(Some(&victim), TLS13, "GET", "/api/v1/me")
        .status
        .is_none());
    assert!(
        gw.running() && gw.child.id() == pid,
        "the gateway was never restarted"
    );
    gw.assert_no_server_error();
}

// ---------------------------------------------------------------------------------------------------------------
// 4. sslyze: protocol versions, suites, renegotiation, compression, the server's chain

/// The sslyze venv: `GJJ_SSLYZE`, else `target/gjj-test-sslyze` beside the `GJJ_PYTHON` venv (`cargo xtask test`
/// makes both; sslyze pins an older `cryptography` than pyHanko needs, so it cannot share that venv).
fn sslyze_python() -> PathBuf {
    if let Some(p) = std::env::var_os("GJJ_SSLYZE") {
        return PathBuf::from(p);
    }
    let python = std::env::var_os("GJJ_PYTHON").map(PathBuf::from).unwrap_or_else(|| {
        panic!("GJJ_PYTHON is not set: run with `cargo xtask test` (it installs sslyze into target/gjj-test-sslyze)")
    });
    let venvs = python
        .parent()
        .and_then(Path::parent)
        .and_then(Path::parent)
        .expect("GJJ_PYTHON is <venv>/bin/python");
    venvs.join("gjj-test-sslyze").join("bin").join("python")
}

fn sslyze(python: &Path, args: &[&str], out: &Path, addr: &str) -> Value {
    let ran = run(
        Command::new(python)
            .args([
                "-W",
                "ignore",
                "-m",
                "sslyze",
                "--quiet",
                "--mozilla_config=disable",
            ])
            .arg(format!("--json_out={}", out.display()))
            .args(args)
            .arg(addr),
        None,
        Duration::from_secs(300),
    );
    assert_eq!(ran.code, Some(0), "sslyze: {}\n{}", ran.stdout, ran.stderr);
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(out).expect("sslyze JSON")).expect("sslyze JSON");
    let server = &doc["server_scan_results"][0];
    assert_eq!(server["connectivity_status"], "COMPLETED", "{server}");
    server["scan_result"].clone()
}

fn completed<'a>(scan: &'a Value, command: &str) -> &'a Value {
    let r = &scan[command];
    assert_eq!(r["status"], "COMPLETED", "sslyze {command}: {r}");
    &r["result"]
}

#[test]
fn sslyze_finds_only_tls_1_2_and_1_3_with_strong_suites_no_renegotiation_and_a_valid_chain() {
    let python = sslyze_python();
    assert!(
        python.exists(),
        "{} missing: run `cargo xtask test` (it installs sslyze==6.3.1 from PyPI)",
        python.display()
    );
    let lab = Lab::new("sslyze");
    let good = lab
        .pki
        .leaf(&lab.int, "scanner", &unit_spec(&lab.parties.employer_a));
    let (mut gw, _clients) = lab.start(&[]);
    let since = OffsetDateTime::now_utc() - time::Duration::milliseconds(5);
    let ca = lab.fixtures.dir.join("root-ca.pem");

    // With a unit's client certificate, as a clerk's PC connects. sslyze's SSL 2.0 probe runs on its legacy
    // OpenSSL, which cannot load this chain; the gateway takes connections without a certificate (the SM2 login),
    // so SSL 2.0 is probed without one.
    let scan = sslyze(
        &python,
        &[
            "--cert",
            s(&good.chain),
            "--key",
            s(&good.key),
            "--certinfo",
            "--certinfo_ca_file",
            s(&ca),
            "--sslv3",
            "--tlsv1",
            "--tlsv1_1",
            "--tlsv1_2",
            "--tlsv1_3",
            "--reneg",
            "--compression",
            "--fallback",
            "--heartbleed",
            "--openssl_ccs",
            "--robot",
            "--ems",
            "--early_data",
            "--elliptic_curves",
        ],
        &lab.dir().join("sslyze.json"),
        &gw.addr,
    );
    let sslv2 = sslyze(&python, &["--sslv2"], &lab.dir().join("sslyze-v2.json"), &gw.addr);

    let mut findings = Vec::new();
    for (scan, command) in [
        (&sslv2, "ssl_2_0_cipher_suites"),
        (&scan, "ssl_3_0_cipher_suites"),
        (&scan, "tls_1_0_cipher_suites"),
        (&scan, "tls_1_1_cipher_suites"),
    ] {
        let r = completed(scan, command);
        assert_eq!(r["is_tls_version_supported"], false, "{command}: {r}");
        assert_eq!(
            r["accepted_cipher_suites"].as_array().map(Vec::len),
            Some(0),
            "{command}"
        );
        findings.push(format!("{command}: not accepted"));
    }
    for command in ["tls_1_2_cipher_suites", "tls_1_3_cipher_suites"] {
        let r = completed(&scan, command);
        assert_eq!(r["is_tls_version_supported"], true, "{command}: {r}");
        let suites: Vec<&Value> = r["accepted_cipher_suites"]
            .as_array()
            .expect("suites")
            .iter()
            .collect();
        assert!(!suites.is_empty(), "{command}");
        let mut names = Vec::new();
        for suite in suites {
            let name = suite["cipher_suite"]["name"].as_str().unwrap_or_default();
            let upper = name.to_uppercase();
            for weak in [
                "RC4", "3DES", "DES_", "NULL", "EXPORT", "ANON", "MD5", "_CBC_", "IDEA", "SEED",
            ] {
                assert!(!upper.contains(weak), "{command}: weak suite {name}");
            }
            assert_eq!(suite["cipher_suite"]["is_anonymous"], false, "{name}");
            // Forward secrecy and AEAD only.
            assert!(
                upper.contains("GCM") || upper.contains("CHACHA20"),
                "{command}: {name} is not AEAD"
            );
            if command == "tls_1_2_cipher_suites" {
                assert!(upper.contains("ECDHE"), "{name} without ECDHE");
            }
            names.push(name.to_owned());
        }
        findings.push(format!("{command}: {}", names.join(", ")));
    }
    let reneg = completed(&scan, "session_renegotiation");
    assert_eq!(
        reneg["is_vulnerable_to_client_renegotiation_dos"], false,
        "{reneg}"
    );
    assert_eq!(reneg["client_renegotiations_success_count"], 0, "{reneg}");
    findings.push(format!(
        "renegotiation: client-initiated refused (0 accepted); RFC 5746 renegotiation_info sent: {}",
        reneg["supports_secure_renegotiation"]
    ));
    assert_eq!(completed(&scan, "tls_compression")["supports_compression"], false);
    assert_eq!(
        completed(&scan, "heartbleed")["is_vulnerable_to_heartbleed"],
        false
    );
    assert_eq!(
        completed(&scan, "openssl_ccs_injection")["is_vulnerable_to_ccs_injection"],
        false
    );
    assert_eq!(
        completed(&scan, "tls_1_3_early_data")["supports_early_data"],
        false
    );
    assert_eq!(
        completed(&scan, "tls_fallback_scsv")["supports_fallback_scsv"],
        true
    );
    assert_eq!(
        completed(&scan, "tls_extended_master_secret")["supports_ems_extension"],
        true
    );
    let robot = completed(&scan, "robot")["robot_result"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(robot.starts_with("NOT_VULNERABLE"), "ROBOT: {robot}");
    let curves: Vec<String> = completed(&scan, "elliptic_curves")["supported_curves"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter_map(|c| c["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    findings.push(format!(
        "compression off; no heartbleed, no CCS injection, no 0-RTT; fallback SCSV and EMS on; ROBOT {robot}; curves {}",
        curves.join(", ")
    ));

    let info = completed(&scan, "certificate_info");
    let deployment = &info["certificate_deployments"][0];
    let ours = deployment["path_validation_results"]
        .as_array()
        .and_then(|r| {
            r.iter().find(|v| {
                v["trust_store"]["path"]
                    .as_str()
                    .is_some_and(|p| p.ends_with("root-ca.pem"))
            })
        })
        .expect("a validation against the dev root (--certinfo_ca_file)");
    assert_eq!(ours["was_validation_successful"], true, "{ours}");
    assert_eq!(deployment["received_chain_has_valid_order"], true);
    assert_eq!(deployment["verified_chain_has_sha1_signature"], false);
    findings.push(format!(
        "server chain: {} certificates, valid against the dev root, in order, no SHA-1",
        deployment["received_certificate_chain"]
            .as_array()
            .map_or(0, Vec::len)
    ));

    // The scanner's refused probes are audited with the version code, not as anything else.
    let events = gw.audit_until("the scanner's TLS 1.0/1.1 probes", |events| {
        events
            .iter()
            .any(|e| e["code"] == "TLS_VERSION" && at(e) >= since)
    });
    let codes: Vec<String> = events
        .iter()
        .filter(|e| at(e) >= since)
        .map(|e| e["code"].as_str().unwrap_or_default().to_owned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    findings.push(format!("audit codes of the scan: {}", codes.join(", ")));
    print_table("sslyze findings", "", &findings);
    assert!(gw.running());
    gw.assert_no_server_error();
}
