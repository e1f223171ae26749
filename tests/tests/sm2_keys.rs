//! 国密 (SM2) keys: the SM2 branch of the dev PKI as the centre's bundle holds it, the checks of an SM2 unit
//! certificate (chain with SM3 and the distinguishing ID, CRL, expiry, purpose), and an SM2 USB key reached
//! through its SKF driver — here the SKF TEST DOUBLE (tests/skf-double), loaded exactly as a vendor's library
//! — with the PIN states a real key has. Signatures are checked by an implementation that is not ours: Python
//! `gmssl` (PyPI), named by `GJJ_PYTHON`.

use std::path::Path;
use std::process::Command;

use gjj_pki::sm2::{verify_certificate, Sm2CertError};
use gjj_pki::TrustBundle;
use gjj_tests::{skf_double, skf_double_state, Fixtures, SKF_DOUBLE_DIR_ENV};
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

/// gmssl's verdict on an SM2 signature (r‖s hex) of `message` by the public key of `cert_pem`, with the
/// default ID 1234567812345678.
fn gmssl_verifies(cert_pem: &Path, message: &[u8], der_signature: &[u8]) -> bool {
    let python =
        std::env::var("GJJ_PYTHON").expect("GJJ_PYTHON: a Python with gmssl; run with `cargo xtask test`");
    let raw = gjj_pki::sm2::raw_signature(der_signature).expect("DER signature");
    let script = r#"
import sys
from asn1crypto import pem, x509
from gmssl import sm2
data = open(sys.argv[1], 'rb').read()
_, _, data = pem.unarmor(data)
point = x509.Certificate.load(data).public_key['public_key'].native
v = sm2.CryptSM2(public_key=point[1:].hex(), private_key='')
print(v.verify_with_sm3(sys.argv[3], bytes.fromhex(sys.argv[2])))
"#;
    let out = Command::new(python)
        .args(["-c", script])
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
fn the_cli_lists_an_skf_key_beside_the_others_and_says_plainly_that_sm2_login_is_not_open_yet() {
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

    let (code, out, _) = gjj_tests::run_gjj(gjj().args(["whoami", "--json"]));
    assert_eq!(code, 2);
    assert_eq!(out["error"]["code"], "SM2_LOGIN_UNAVAILABLE", "{out}");
    // No PIN try was used for that.
    assert_eq!(
        std::fs::read_to_string(state.join("retries"))
            .unwrap_or_else(|_| "6".into())
            .trim(),
        "6"
    );
}
