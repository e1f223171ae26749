//! 国密 (SM2) keys: the SM2 branch of the dev PKI as the centre's bundle holds it, the checks of an SM2 unit
//! certificate (chain with SM3 and the distinguishing ID, CRL, expiry, purpose), and an SM2 USB key reached
//! through its SKF driver — here the SKF TEST DOUBLE (tests/skf-double), loaded exactly as a vendor's library
//! — with the PIN states a real key has. Signatures are checked by an implementation that is not ours: Python
//! `gmssl` (PyPI), named by `GJJ_PYTHON`.

use std::path::Path;
use std::process::Command;

use base64::Engine;
use gjj_domain::money::Fen;
use gjj_pki::sm2::{verify_certificate, Sm2CertError};
use gjj_pki::TrustBundle;
use gjj_tests::{
    skf_double, skf_double_state, units, write_base_adjustment, Backend, Fixtures, LocalCentre, SheetRow,
    SKF_DOUBLE_DIR_ENV,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

const EMPLOYER_B_USCC: &str = "91430408MA4PKX0227";

fn der(fixtures: &Fixtures, rel: &str) -> Vec<u8> {
    let pem = std::fs::read(fixtures.dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    CertificateDer::from_pem_slice(&pem).expect("PEM").to_vec()
}

fn crls(fixtures: &Fixtures) -> Vec<Vec<u8>> {
    ["sm2-root-ca.crl.pem", "sm2-intermediate-ca.crl.pem"]
        .iter()
        .map(|f| {
            let pem = std::fs::read(fixtures.dir.join(f)).expect("CRL");
            rustls_pki_types::CertificateRevocationListDer::from_pem_slice(&pem)
                .expect("CRL PEM")
                .to_vec()
        })
        .collect()
}

/// The SKF double's state for employer B's SM2 key (signing + encryption certificate, PIN untouched).
fn employer_b_key(fixtures: &Fixtures, work: &Path) -> std::path::PathBuf {
    skf_double_state(
        fixtures,
        "sm2-employer-b-sign",
        Some("sm2-employer-b-enc"),
        &work.join("key"),
    )
    .expect("double state")
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[test]
fn the_centre_bundle_holds_both_chains_and_sm2_unit_certificates_are_judged_like_mtls_ones() {
    let fixtures = Fixtures::from_env();
    let trust = TrustBundle::from_pem_file(&fixtures.ca_bundle()).expect("bundle");
    assert_eq!(
        (trust.roots.len(), trust.intermediates.len()),
        (1, 1),
        "ECDSA chain for rustls"
    );
    assert_eq!(
        (trust.sm2_roots.len(), trust.sm2_intermediates.len()),
        (1, 1),
        "SM2 chain kept apart"
    );

    let crls = crls(&fixtures);
    let id = verify_certificate(
        &der(&fixtures, "clients/sm2-employer-b-sign.pem"),
        &trust,
        &crls,
        now(),
    )
    .expect("the unit's SM2 signing certificate");
    assert_eq!(id.uscc.as_deref(), Some(EMPLOYER_B_USCC));
    assert_eq!(id.name, "衡阳蒸湘机械有限公司");

    let refused = |rel: &str, crls: &[Vec<u8>]| {
        verify_certificate(&der(&fixtures, rel), &trust, crls, now()).expect_err(rel)
    };
    assert_eq!(
        refused("clients/sm2-expired-sign.pem", &crls).code(),
        "CERT_EXPIRED"
    );
    assert_eq!(
        refused("clients/sm2-revoked-sign.pem", &crls),
        Sm2CertError::Revoked
    );
    assert_eq!(
        refused("clients/sm2-foreign-sign.pem", &crls).code(),
        "CERT_UNTRUSTED"
    );
    assert_eq!(
        refused("clients/sm2-employer-b-enc.pem", &crls).code(),
        "CERT_PURPOSE"
    );
    // Without the CRLs the revoked one would pass: the CRL is what refuses it.
    verify_certificate(
        &der(&fixtures, "clients/sm2-revoked-sign.pem"),
        &trust,
        &[],
        now(),
    )
    .expect("no CRL");
    // An ECDSA certificate is not an SM2 one.
    assert_eq!(
        refused("clients/employer-a-soft.pem", &crls).code(),
        "CERT_INVALID"
    );
    // A certificate signed by another SM2 key under the same CA name does not verify.
    let mut forged = der(&fixtures, "clients/sm2-employer-b-sign.pem");
    let last = forged.len() - 3;
    forged[last] ^= 0x01;
    assert_eq!(
        verify_certificate(&forged, &trust, &crls, now())
            .expect_err("forged")
            .code(),
        "CERT_UNTRUSTED"
    );
}

/// The start of both gmssl scripts: `verifier`, gmssl's SM2 verifier for the public key of the certificate
/// `sys.argv[1]` names.
const GMSSL_VERIFIER: &str = r#"
import sys
from asn1crypto import pem, x509
from gmssl import sm2
_, _, cert = pem.unarmor(open(sys.argv[1], 'rb').read())
point = x509.Certificate.load(cert).public_key['public_key'].native
verifier = sm2.CryptSM2(public_key='', private_key='')
# Set after: gmssl 3.2.2 lstrip("04")s a key given starting with 04, and x itself does for 1 key in 256.
verifier.public_key = point[1:].hex()
"#;

/// gmssl's verdict on an SM2 signature (r‖s hex) of `message` by the public key of `cert_pem`, with the
/// default ID 1234567812345678.
fn gmssl_verifies(cert_pem: &Path, message: &[u8], der_signature: &[u8]) -> bool {
    let python =
        std::env::var("GJJ_PYTHON").expect("GJJ_PYTHON: a Python with gmssl; run with `cargo xtask test`");
    let raw = gjj_pki::sm2::raw_signature(der_signature).expect("DER signature");
    let script =
        format!("{GMSSL_VERIFIER}print(verifier.verify_with_sm3(sys.argv[3], bytes.fromhex(sys.argv[2])))\n");
    let out = Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(cert_pem)
        .arg(hex::encode(message))
        .arg(hex::encode(raw))
        .output()
        .expect("python");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim() == "True"
}

#[test]
fn an_sm2_key_behind_an_skf_driver_lists_without_a_pin_locks_like_a_key_and_signs_what_gmssl_verifies() {
    let fixtures = Fixtures::from_env();
    let work = tempfile::tempdir().expect("tmp");
    let state = employer_b_key(&fixtures, work.path());
    std::env::set_var(SKF_DOUBLE_DIR_ENV, &state);
    let driver =
        gjj_pki::skf::SkfDriver::load(&skf_double()).expect("load the SKF double like a vendor's driver");

    // Without a PIN: the signing certificate (the encryption one beside it) and the PIN counter.
    let keys = driver.keys().expect("keys");
    assert_eq!(keys.len(), 1, "{keys:?}");
    let key = &keys[0];
    assert_eq!(key.identity.uscc.as_deref(), Some(EMPLOYER_B_USCC));
    assert!(key.encryption.is_some(), "the encryption certificate is listed");
    assert_eq!((key.pin.remaining, key.pin.max, key.pin.locked), (6, 6, false));

    // Wrong PINs: the same codes a PKCS#11 key gives, from the key's own counter.
    let codes: Vec<&str> = (0..5)
        .map(|_| driver.login(None, "000000").expect_err("wrong PIN").code())
        .collect();
    assert_eq!(
        codes,
        [
            "PIN_INCORRECT",
            "PIN_INCORRECT",
            "PIN_COUNT_LOW",
            "PIN_COUNT_LOW",
            "PIN_FINAL_TRY"
        ]
    );
    let listed = driver.keys().expect("keys");
    assert!(
        listed[0].pin.final_try && listed[0].pin.count_low,
        "{:?}",
        listed[0].pin
    );
    // The right PIN on the last try resets the counter.
    driver.login(None, gjj_tests::DEV_PIN).expect("right PIN");
    assert_eq!(driver.keys().expect("keys")[0].pin.remaining, 6);

    let signer = driver
        .login(Some(&key.identity.fingerprint), gjj_tests::DEV_PIN)
        .expect("login");
    let message = "基数调整 2026 — 衡阳蒸湘机械有限公司".as_bytes();
    let signature = signer.sign(message).expect("sign on the key");
    let cert = fixtures.dir.join("clients/sm2-employer-b-sign.pem");
    assert!(
        gmssl_verifies(&cert, message, &signature),
        "gmssl accepts the key's signature"
    );
    assert!(
        !gmssl_verifies(&cert, b"another message", &signature),
        "and refuses it for other bytes"
    );
    let (_, parsed) = x509_parser::parse_x509_certificate(signer.certificate()).expect("cert");
    let vk = gjj_pki::sm2::verifying_key(&parsed).expect("SM2 key");
    gjj_pki::sm2::verify(&vk, message, &signature).expect("our verifier agrees");
    drop(signer);

    // Locked: six wrong PINs, then even the right one is refused without using a try.
    for _ in 0..6 {
        let _ = driver.login(None, "000000");
    }
    assert_eq!(
        driver.login(None, gjj_tests::DEV_PIN).expect_err("locked").code(),
        "PIN_LOCKED"
    );
    assert!(driver.keys().expect("keys")[0].pin.locked);

    // Unplugged: no key.
    std::env::set_var("GJJ_SKF_DOUBLE_PRESENT", "0");
    assert!(driver.keys().expect("keys").is_empty());
    std::env::remove_var("GJJ_SKF_DOUBLE_PRESENT");
}

#[test]
fn the_cli_lists_an_skf_key_beside_the_others() {
    let fixtures = Fixtures::from_env();
    let work = tempfile::tempdir().expect("tmp");
    let state = employer_b_key(&fixtures, work.path());
    let gjj = || {
        let mut cmd = Command::new(gjj_tests::bin("gjj"));
        cmd.env(SKF_DOUBLE_DIR_ENV, &state)
            .env("GJJ_SKF_DOUBLE_PRESENT", "1")
            .env("GJJ_CONFIG_DIR", work.path().join("config"))
            .env("GJJ_DATA_DIR", work.path().join("data"))
            .env("GJJ_MANAGED_CONFIG", work.path().join("managed.toml"))
            .env("GJJ_TEST_PIN", gjj_tests::DEV_PIN)
            .arg("--pkcs11-module")
            .arg(skf_double())
            .args(["--server", "https://127.0.0.1:9", "--pin-env", "GJJ_TEST_PIN"])
            .arg("--ca-bundle")
            .arg(fixtures.ca_bundle());
        cmd
    };
    // The driver passed as "the USB-key driver": the CLI finds out it speaks SKF.
    let (code, out, err) = gjj_tests::run_gjj(gjj().args(["token", "list", "--json"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out["keys"][0]["uscc"], EMPLOYER_B_USCC, "{out}");
    assert_eq!(out["keys"][0]["pin"]["remaining"], 6);
    assert!(out["keys"][0]["encryption_certificate"].is_string());

    let (code, out, _) = gjj_tests::run_gjj(gjj().args(["doctor", "--json"]));
    assert_eq!(code, 1, "the centre is unreachable here: {out}");
    let keys = gjj_tests::doctor_check(&out, "keys");
    assert!(
        keys["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("衡阳蒸湘机械有限公司"),
        "{keys}"
    );
}

/// `gjj` on the local centre with employer B's SM2 key behind the SKF double.
fn gjj_sm2(centre: &LocalCentre, state: &Path) -> Command {
    let mut cmd = centre.gjj_with_module(units::EMPLOYER_B, &skf_double());
    cmd.env(SKF_DOUBLE_DIR_ENV, state)
        .env("GJJ_SKF_DOUBLE_PRESENT", "1");
    cmd
}

#[test]
fn an_sm2_unit_logs_in_through_its_skf_key_and_submits_a_base_adjustment_that_gmssl_verifies() {
    let fixtures = Fixtures::from_env();
    let centre = LocalCentre::start(&fixtures, Backend::Sqlite).expect("centre");
    let state = employer_b_key(&fixtures, centre.dir.path());

    // Wrong PIN: the key's own counter, the same code as a PKCS#11 key, and nothing reaches the centre.
    let (code, out, err) = gjj_tests::run_gjj(
        gjj_sm2(&centre, &state)
            .env("GJJ_TEST_PIN", "000000")
            .args(["whoami", "--json"]),
    );
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (2, Some("PIN_INCORRECT")),
        "{out} {err}"
    );

    let (code, out, err) = gjj_tests::run_gjj(gjj_sm2(&centre, &state).args(["whoami", "--json"]));
    assert_eq!(code, 0, "{out} {err}");
    assert_eq!(out["me"]["unit"]["name"], units::EMPLOYER_B, "{out}");
    let sm2_cert = der(&fixtures, "clients/sm2-employer-b-sign.pem");
    let serial = gjj_pki::CertIdentity::from_der(&sm2_cert).expect("id").serial;
    assert_eq!(
        out["me"]["certificate_serial"],
        serial.as_str(),
        "the SM2 certificate logged in"
    );

    // 基数调整 from Excel, signed on the key.
    // From the month after 缴至年月, as the spine test does.
    let paid: gjj_domain::month::Month = out["me"]["unit"]["paid_through"]
        .as_str()
        .expect("paid_through")
        .parse()
        .expect("month");
    let due = paid.next().to_string();
    let employees = gjj_tests::runtime()
        .block_on(centre.active_employees(units::EMPLOYER_B))
        .expect("employees");
    let rows: Vec<SheetRow> = employees
        .iter()
        .take(5)
        .map(|e| SheetRow::adjust(e, Fen((e.base.0 * 110 / 100) / 100 * 100), &due))
        .collect();
    let sheet = centre.dir.path().join("sm2-raise.xlsx");
    write_base_adjustment(&sheet, &rows).expect("sheet");
    let (code, out, err) = gjj_tests::run_gjj(
        gjj_sm2(&centre, &state)
            .args(["submit", "base-adjustment"])
            .arg(&sheet)
            .arg("--json"),
    );
    assert_eq!(code, 0, "{out} {err}");
    let receipt = &out["receipt"];
    assert_eq!(receipt["signature_alg"], "sm2-sm3", "{out}");
    assert_eq!(receipt["accepted_rows"], 5);
    assert_eq!(receipt["certificate_serial"], serial.as_str());

    // The stored signature is a GB/T 35275 CMS SignedData by the key over the stored payload: gmssl (with
    // asn1crypto reading the structure) says so, and refuses it for other bytes.
    let serial = receipt["serial"].as_str().expect("serial").to_owned();
    let (payload, signature, format): (String, String, String) = gjj_tests::runtime().block_on(async {
        let pool = centre.db().await.expect("db");
        sqlx::query_as("SELECT payload, signature, signature_format FROM submissions WHERE serial = $1")
            .bind(&serial)
            .fetch_one(&pool)
            .await
            .expect("row")
    });
    assert_eq!(format, "cms");
    let cms = base64::engine::general_purpose::STANDARD
        .decode(signature.trim())
        .expect("base64 signature");
    let cert = fixtures.dir.join("clients/sm2-employer-b-sign.pem");
    assert_eq!(gmssl_verifies_cms(&cert, payload.as_bytes(), &cms), "True");
    let mut other = payload.into_bytes();
    other[10] ^= 1;
    assert_eq!(gmssl_verifies_cms(&cert, &other, &cms), "DIGEST_MISMATCH");

    // The centre's signed PDF receipt, fetched over the SM2 session: pyHanko and gjj verify it.
    let pdf = centre.dir.path().join("sm2-receipt.pdf");
    let (code, _, err) = gjj_tests::run_gjj(
        gjj_sm2(&centre, &state)
            .args(["receipt", &serial, "-o"])
            .arg(&pdf),
    );
    assert_eq!(code, 0, "{err}");
    let (valid, report) = gjj_tests::pyhanko_validate(&fixtures, &pdf);
    assert!(valid, "pyHanko: {report}");
    assert!(gjj_tests::pdftotext(&pdf).contains(units::EMPLOYER_B));
    let (code, out, err) = gjj_tests::run_gjj(
        gjj_sm2(&centre, &state)
            .args(["receipt", "verify"])
            .arg(&pdf)
            .arg("--json"),
    );
    assert_eq!(
        (code, out["receipt"]["serial"].as_str()),
        (0, Some(serial.as_str())),
        "{out} {err}"
    );
    assert_eq!(out["receipt"]["signature_alg"], "sm2-sm3");

    // A locked key: refused on the key with the PKCS#11 key's code, even with the right PIN.
    std::fs::write(state.join("retries"), "0").expect("lock the key");
    let (code, out, _) = gjj_tests::run_gjj(gjj_sm2(&centre, &state).args(["whoami", "--json"]));
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (2, Some("PIN_LOCKED")),
        "{out}"
    );
}

/// gmssl's verdict on an SM2 CMS SignedData (GB/T 35275) over `content` by the key of `cert_pem`: the
/// messageDigest attribute against gmssl's SM3 of the content, then the SM2 signature over the DER of the
/// signed attributes (default ID). asn1crypto reads the structure; nothing of ours is involved.
fn gmssl_verifies_cms(cert_pem: &Path, content: &[u8], cms_der: &[u8]) -> String {
    let python =
        std::env::var("GJJ_PYTHON").expect("GJJ_PYTHON: a Python with gmssl; run with `cargo xtask test`");
    let dir = tempfile::tempdir().expect("tmp");
    let (content_file, cms_file) = (dir.path().join("content"), dir.path().join("sig.p7s"));
    std::fs::write(&content_file, content).expect("write");
    std::fs::write(&cms_file, cms_der).expect("write");
    let script = GMSSL_VERIFIER.to_owned()
        + r#"
from asn1crypto import cms, core, algos
from gmssl import sm3, func
info = cms.ContentInfo.load(open(sys.argv[3], 'rb').read())
assert info['content_type'].dotted == '1.2.156.10197.6.1.4.2.2', info['content_type'].dotted
signed = info['content'].parse(cms.SignedData)
si = signed['signer_infos'][0]
assert si['digest_algorithm']['algorithm'].dotted == '1.2.156.10197.1.401'
assert si['signature_algorithm']['algorithm'].dotted == '1.2.156.10197.1.301.1'
content = open(sys.argv[2], 'rb').read()
digest = None
for attr in si['signed_attrs']:
    if attr['type'].dotted == '1.2.840.113549.1.9.4':
        digest = attr['values'][0].native
if digest.hex() != sm3.sm3_hash(func.bytes_to_list(content)):
    print('DIGEST_MISMATCH'); sys.exit(0)
attrs = si['signed_attrs'].untag().dump(force=True)
attrs = b'1' + attrs[1:]
rs = algos.DSASignature.load(si['signature'].native).native
sig = '%064x%064x' % (rs['r'], rs['s'])
print(verifier.verify_with_sm3(sig, attrs))
"#;
    let out = Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(cert_pem)
        .arg(&content_file)
        .arg(&cms_file)
        .output()
        .expect("python");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn an_sm2_key_behind_a_vendor_pkcs11_module_logs_in_with_its_documented_mechanism() {
    let fixtures = Fixtures::from_env();
    let centre = LocalCentre::start(&fixtures, Backend::Sqlite).expect("centre");
    let state = employer_b_key(&fixtures, &centre.dir.path().join("p11"));
    std::fs::write(state.join("label"), units::EMPLOYER_B).expect("label");
    let gjj = || {
        let mut cmd = centre.gjj_with_module(units::EMPLOYER_B, &gjj_tests::pkcs11_sm2_double());
        cmd.env(gjj_tests::PKCS11_SM2_DOUBLE_DIR_ENV, &state);
        cmd
    };
    let (code, out, err) = gjj_tests::run_gjj(gjj().args(["token", "list", "--json"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.to_string().contains(EMPLOYER_B_USCC), "{out}");

    let (code, out, _) = gjj_tests::run_gjj(gjj().env("GJJ_TEST_PIN", "000000").args(["whoami", "--json"]));
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (2, Some("PIN_INCORRECT")),
        "{out}"
    );

    // The SM2 login over the real gateway: the vendor mechanism's signature verified there.
    let (code, out, err) = gjj_tests::run_gjj(gjj().args(["whoami", "--json"]));
    assert_eq!(code, 0, "{out} {err}");
    assert_eq!(out["me"]["unit"]["name"], units::EMPLOYER_B);
    let serial = gjj_pki::CertIdentity::from_der(&der(&fixtures, "clients/sm2-employer-b-sign.pem"))
        .expect("id")
        .serial;
    assert_eq!(out["me"]["certificate_serial"], serial.as_str());
}

/// A raw TLS 1.3 connection to the centre without a client certificate, and its exporter value: what a
/// client (or an attacker) has on its own connection.
struct Channel {
    sender: hyper::client::conn::http1::SendRequest<http_body_util::Full<bytes::Bytes>>,
    exporter: [u8; 32],
}

impl Channel {
    async fn open(centre: &LocalCentre) -> Channel {
        let trust = gjj_pki::TrustBundle::from_pem_file(&centre.fixtures.ca_bundle()).expect("bundle");
        let mut roots = rustls::RootCertStore::empty();
        for c in trust.all() {
            roots.add(c.clone()).expect("root");
        }
        let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("TLS 1.3")
        .with_root_certificates(roots)
        .with_no_client_auth();
        let tcp = tokio::net::TcpStream::connect(&centre.addr).await.expect("tcp");
        let tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
            .connect(
                rustls::pki_types::ServerName::try_from("127.0.0.1").expect("name"),
                tcp,
            )
            .await
            .expect("TLS 1.3 with server authentication only");
        let mut exporter = [0u8; 32];
        tls.get_ref()
            .1
            .export_keying_material(&mut exporter, b"EXPORTER-Channel-Binding", None)
            .expect("exporter");
        let (sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
            .await
            .expect("http1");
        tokio::spawn(conn);
        Channel { sender, exporter }
    }

    async fn call(&mut self, method: &str, path: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
        let request = http::Request::builder()
            .method(method)
            .uri(path)
            .header("Host", "127.0.0.1")
            .header("Content-Type", "application/json")
            .body(http_body_util::Full::new(bytes::Bytes::from(body.to_string())))
            .expect("request");
        self.sender.ready().await.expect("ready");
        let response = self.sender.send_request(request).await.expect("response");
        let status = response.status().as_u16();
        let bytes = http_body_util::BodyExt::collect(response.into_body())
            .await
            .expect("body")
            .to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or_default())
    }

    async fn challenge(&mut self) -> Vec<u8> {
        let (status, body) = self
            .call("POST", "/api/v1/sm2/challenge", &serde_json::json!({}))
            .await;
        assert_eq!(status, 200, "{body}");
        base64::engine::general_purpose::STANDARD
            .decode(body["challenge"].as_str().expect("challenge"))
            .expect("base64")
    }

    async fn login(&mut self, cert_der: &[u8], signature: &[u8]) -> (u16, serde_json::Value) {
        let b64 = base64::engine::general_purpose::STANDARD;
        self.call(
            "POST",
            "/api/v1/sm2/login",
            &serde_json::json!({"certificate": b64.encode(cert_der), "signature": b64.encode(signature)}),
        )
        .await
    }
}

/// An SM2 signature made by OpenSSL from a key file (the certificates no USB key holds here: expired,
/// revoked, foreign CA, the encryption certificate).
fn openssl_sm2_sign(key: &Path, message: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("tmp");
    let input = dir.path().join("m");
    std::fs::write(&input, message).expect("write");
    let out = Command::new("openssl")
        .args(["dgst", "-sm3", "-sign"])
        .arg(key)
        .args(["-sigopt", &format!("distid:{}", gjj_pki::sm2::DIST_ID)])
        .arg(&input)
        .output()
        .expect("openssl");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

#[test]
fn the_sm2_login_holds_on_its_own_connection_only_and_refuses_replay_relay_and_bad_certificates() {
    let fixtures = Fixtures::from_env();
    let centre = LocalCentre::start(&fixtures, Backend::Sqlite).expect("centre");
    let work = tempfile::tempdir().expect("tmp");
    let state = employer_b_key(&fixtures, work.path());
    std::env::set_var(SKF_DOUBLE_DIR_ENV, &state);
    let driver = gjj_pki::skf::SkfDriver::load(&skf_double()).expect("double");
    let key = driver.login(None, gjj_tests::DEV_PIN).expect("login on the key");
    let cert = key.certificate().to_vec();
    let sign = |challenge: &[u8], exporter: &[u8]| {
        key.sign(&gjj_pki::sm2::login_message(challenge, exporter))
            .expect("sign on the key")
    };

    gjj_tests::runtime().block_on(async {
        let mut a = Channel::open(&centre).await;
        let mut b = Channel::open(&centre).await;
        assert_ne!(
            a.exporter, b.exporter,
            "every connection has its own exporter value"
        );

        // Nothing answers before the login.
        let (status, body) = a.call("GET", "/api/v1/me", &serde_json::Value::Null).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("CERT_REQUIRED")),
            "{body}"
        );

        // Replay: a login signed for connection A, sent on connection B.
        let challenge_a = a.challenge().await;
        let signed_for_a = sign(&challenge_a, &a.exporter);
        let _challenge_b = b.challenge().await;
        let (status, body) = b.login(&cert, &signed_for_a).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("SM2_SIGNATURE_INVALID")),
            "{body}"
        );

        // Relay: a man in the middle holds connection A to the centre and gets the key to sign A's challenge
        // over the exporter of the key's own connection (here B's): useless on A.
        let challenge_a = a.challenge().await;
        let relayed = sign(&challenge_a, &b.exporter);
        let (status, body) = a.login(&cert, &relayed).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("SM2_SIGNATURE_INVALID")),
            "{body}"
        );

        // The real login on A: the unit's session, on A only.
        let challenge_a = a.challenge().await;
        let good = sign(&challenge_a, &a.exporter);
        let (status, body) = a.login(&cert, &good).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["unit"]["name"], units::EMPLOYER_B);
        let (status, body) = a.call("GET", "/api/v1/me", &serde_json::Value::Null).await;
        assert_eq!(
            (status, body["unit"]["name"].as_str()),
            (200, Some(units::EMPLOYER_B)),
            "{body}"
        );
        let (status, _) = b.call("GET", "/api/v1/me", &serde_json::Value::Null).await;
        assert_eq!(status, 401, "B is not logged in by A's login");
        // The same login again: the challenge was used up, here and anywhere else.
        let (status, body) = a.login(&cert, &good).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("SM2_CHALLENGE_MISSING")),
            "{body}"
        );
        let mut c = Channel::open(&centre).await;
        let _ = c.challenge().await;
        let (status, body) = c.login(&cert, &good).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("SM2_SIGNATURE_INVALID")),
            "{body}"
        );
        // Without asking for a challenge first.
        let mut d = Channel::open(&centre).await;
        let (status, body) = d.login(&cert, &good).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("SM2_CHALLENGE_MISSING")),
            "{body}"
        );

        // Certificates are judged as mutual TLS judges them, with the same codes, even with a valid signature.
        for (stem, code) in [
            ("sm2-expired-sign", "CERT_EXPIRED"),
            ("sm2-revoked-sign", "CERT_REVOKED"),
            ("sm2-foreign-sign", "CERT_UNTRUSTED"),
            ("sm2-employer-b-enc", "CERT_PURPOSE"),
        ] {
            let mut ch = Channel::open(&centre).await;
            let challenge = ch.challenge().await;
            let key = fixtures.dir.join(format!("clients/{stem}.key"));
            let signature = openssl_sm2_sign(&key, &gjj_pki::sm2::login_message(&challenge, &ch.exporter));
            let (status, body) = ch
                .login(&der(&fixtures, &format!("clients/{stem}.pem")), &signature)
                .await;
            assert_eq!(
                (status, body["code"].as_str()),
                (401, Some(code)),
                "{stem}: {body}"
            );
            assert!(
                body["message"].as_str().is_some_and(|m| m.contains("请")),
                "{body}"
            );
        }
        // And OpenSSL's signature with the unit's own key file logs in: the bytes signed are the documented ones.
        let mut e = Channel::open(&centre).await;
        let challenge = e.challenge().await;
        let signature = openssl_sm2_sign(
            &fixtures.dir.join("clients/sm2-employer-b-sign.key"),
            &gjj_pki::sm2::login_message(&challenge, &e.exporter),
        );
        let (status, body) = e.login(&cert, &signature).await;
        assert_eq!(status, 200, "{body}");
    });
}
