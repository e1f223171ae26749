//! USB-key discovery on the real SoftHSM module: every token and its certificate listed without a PIN.
//!
//! In its own test binary: the PKCS#11 module reads SOFTHSM2_CONF once, when the process first loads it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use gjj_client::keys::{self, Platform};
use gjj_domain::api::Role;
use gjj_pki::CertIdentity;
use gjj_tests::{units, Backend, Fixtures, LocalCentre, SOFTHSM_MODULE};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

fn fingerprint(fixtures: &Fixtures, stem: &str) -> String {
    let path = fixtures.dir.join("clients").join(format!("{stem}.pem"));
    let der = CertificateDer::from_pem_file(&path).unwrap();
    CertIdentity::from_der(&der).unwrap().fingerprint
}

#[test]
fn every_token_and_certificate_is_listed_without_a_pin() {
    let fixtures = Fixtures::from_env();
    let centre = LocalCentre::start(&fixtures, Backend::Sqlite).unwrap();
    std::env::set_var("SOFTHSM2_CONF", centre.softhsm_conf());
    let list = keys::discover(
        &[PathBuf::from(SOFTHSM_MODULE)],
        Path::new("/"),
        Platform::current(),
        time::OffsetDateTime::now_utc(),
    );

    // The configured module first, loaded, and not listed again under the path it was also found at.
    let first = &list.modules[0];
    assert_eq!(first.path, SOFTHSM_MODULE);
    assert!(first.configured);
    assert_eq!(first.error, None, "{first:?}");
    assert!(first.library_version.is_some());
    assert!(first.vendor.starts_with("SoftHSM"), "{}", first.vendor);
    let softhsm = std::fs::canonicalize(SOFTHSM_MODULE).unwrap();
    let same: Vec<_> = list
        .modules
        .iter()
        .filter(|m| std::fs::canonicalize(&m.path).ok().as_ref() == Some(&softhsm))
        .collect();
    assert_eq!(same.len(), 1, "one module, one listing: {:?}", list.modules);

    let mut from_softhsm: Vec<_> = list.keys.iter().filter(|k| k.module == SOFTHSM_MODULE).collect();
    from_softhsm.sort_by(|a, b| a.label.cmp(&b.label));
    let mut labels: Vec<&str> = from_softhsm.iter().map(|k| k.label.as_str()).collect();
    labels.sort_unstable();
    let mut want = vec![
        units::EMPLOYER_A,
        units::EMPLOYER_B,
        units::EMPLOYER_C,
        units::DEVELOPER,
    ];
    want.sort_unstable();
    assert_eq!(labels, want, "every key is listed, none guessed");

    for (label, stem, role) in [
        (units::EMPLOYER_A, "token-employer-a", Role::Employer),
        (units::EMPLOYER_B, "token-employer-b", Role::Employer),
        (units::EMPLOYER_C, "token-employer-c", Role::Employer),
        (units::DEVELOPER, "token-developer", Role::Developer),
    ] {
        let key = from_softhsm.iter().find(|k| k.label == label).unwrap();
        assert!(!key.pin_flags.locked);
        assert!(!key.serial.is_empty());
        assert_eq!(key.certificates.len(), 1, "{label}");
        let cert = &key.certificates[0];
        assert_eq!(cert.unit_name, label);
        let uscc = cert.uscc.as_deref().expect("USCC read from the certificate");
        assert_eq!(uscc.len(), 18);
        assert_eq!(cert.role, Some(role));
        assert_eq!(cert.fingerprint, fingerprint(&fixtures, stem), "{label}");
        assert!(cert.days_left > 30, "{label}: {}", cert.days_left);
        assert_eq!(cert.expiry_warning, None);
        assert!(cert.issuer.contains("CA"), "{}", cert.issuer);
    }
    assert_eq!(list.hint, None);

    // The window's shape (ui/src/api.ts KeyList / KeyInfo / PinFlags / CertInfo).
    let v = serde_json::to_value(&list).unwrap();
    let names = |o: &serde_json::Value| {
        let mut k: Vec<String> = o.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(names(&v), ["hint", "keys", "modules"]);
    assert_eq!(
        names(&v["modules"][0]),
        ["configured", "error", "library_version", "path", "vendor"]
    );
    assert_eq!(
        names(&v["keys"][0]),
        [
            "certificates",
            "label",
            "module",
            "pin_flags",
            "serial",
            "slot",
            "vendor"
        ]
    );
    assert_eq!(
        names(&v["keys"][0]["pin_flags"]),
        ["count_low", "final_try", "locked"]
    );
}
