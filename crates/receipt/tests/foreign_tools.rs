//! The receipt judged by tools that are not ours: poppler's pdftotext, qpdf and pyHanko. Behind the
//! `foreign-tools` feature (`cargo test -p gjj-receipt --features foreign-tools`); a missing tool fails the test.
//! Paths: GJJ_PDFTOTEXT (default `pdftotext`, Debian poppler-utils), GJJ_QPDF (default `qpdf`), GJJ_PYHANKO
//! (default `pyhanko`; PyPI pyhanko + pyhanko-cli, e.g. in a venv).
#![cfg(feature = "foreign-tools")]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{facts, flip_signed_byte, signed_receipt, TestPki};
use gjj_receipt::signed_parts;

fn tool(var: &str, default: &str, hint: &str) -> String {
    let program = std::env::var(var).unwrap_or_else(|_| default.to_owned());
    match Command::new(&program).arg("--version").output() {
        Ok(_) => program,
        Err(e) => panic!("{program} is needed by this test and could not be run ({e}): {hint}, or set {var}"),
    }
}

fn run(program: &str, args: &[&str]) -> Output {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    eprintln!(
        "$ {program} {}\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn pyhanko() -> String {
    tool(
        "GJJ_PYHANKO",
        "pyhanko",
        "python3 -m venv /tmp/pyhanko-venv && /tmp/pyhanko-venv/bin/pip install pyhanko pyhanko-certvalidator \
         pyhanko-cli, then GJJ_PYHANKO=/tmp/pyhanko-venv/bin/pyhanko",
    )
}

fn validate(pyhanko: &str, ca: &Path, pdf: &Path) -> (bool, String, String) {
    let ca = ca.to_str().expect("utf-8 path");
    let pdf = pdf.to_str().expect("utf-8 path");
    let summary = run(
        pyhanko,
        &["sign", "validate", "--trust", ca, "--trust-replace", pdf],
    );
    let pretty = run(
        pyhanko,
        &[
            "sign",
            "validate",
            "--trust",
            ca,
            "--trust-replace",
            "--pretty-print",
            pdf,
        ],
    );
    (
        summary.status.success(),
        String::from_utf8_lossy(&summary.stdout).into_owned(),
        String::from_utf8_lossy(&pretty.stdout).into_owned(),
    )
}

#[test]
fn pdftotext_reads_the_chinese_text() {
    let pdftotext = tool("GJJ_PDFTOTEXT", "pdftotext", "apt-get install poppler-utils");
    let pki = TestPki::new();
    let (pdf, _) = signed_receipt(&pki);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("receipt.pdf");
    std::fs::write(&path, &pdf).expect("write");
    let out = run(&pdftotext, &["-enc", "UTF-8", path.to_str().expect("path"), "-"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let f = facts();
    for expected in [
        "住房公积金业务受理回执",
        "业务流水号",
        "统一社会信用代码",
        "签章单位",
        &f.serial,
        &f.unit_name,
        &f.uscc,
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} not in pdftotext output:\n{text}"
        );
    }
    assert!(text.contains("本回执由住房公积金管理中心电子签章"), "{text}");
}

#[test]
fn qpdf_finds_no_errors() {
    let qpdf = tool("GJJ_QPDF", "qpdf", "apt-get install qpdf");
    let pki = TestPki::new();
    let (pdf, _) = signed_receipt(&pki);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("receipt.pdf");
    std::fs::write(&path, &pdf).expect("write");
    let out = run(&qpdf, &["--check", path.to_str().expect("path")]);
    assert!(out.status.success(), "qpdf --check failed");
    assert!(String::from_utf8_lossy(&out.stdout).contains("No syntax or stream encoding errors"));
}

#[test]
fn pyhanko_judges_the_signature_valid_and_a_tampered_copy_invalid() {
    let pyhanko = pyhanko();
    let pki = TestPki::new();
    let (pdf, _) = signed_receipt(&pki);
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("ca.pem");
    pki.write_ca_pem(&ca);

    let good = dir.path().join("receipt.pdf");
    std::fs::write(&good, &pdf).expect("write");
    let (ok, summary, pretty) = validate(&pyhanko, &ca, &good);
    assert!(ok, "pyHanko rejected the receipt:\n{summary}\n{pretty}");
    assert!(summary.contains("INTACT:TRUSTED,UNTOUCHED"), "{summary}");
    assert!(
        pretty.contains("The signature is cryptographically sound."),
        "{pretty}"
    );
    assert!(
        pretty.contains("The signer's certificate is trusted."),
        "{pretty}"
    );
    assert!(
        pretty.contains("The signature covers the entire file."),
        "{pretty}"
    );
    assert!(pretty.contains("The signature is judged VALID."), "{pretty}");

    let bad_pdf = flip_signed_byte(&pdf);
    let bad = dir.path().join("tampered.pdf");
    std::fs::write(&bad, &bad_pdf).expect("write");
    let (ok, summary, pretty) = validate(&pyhanko, &ca, &bad);
    assert!(!ok, "pyHanko accepted a tampered receipt:\n{summary}");
    assert!(summary.contains(":INVALID"), "{summary}");
    assert!(
        pretty.contains("The signature is cryptographically unsound."),
        "{pretty}"
    );
    assert!(pretty.contains("The signature is judged INVALID."), "{pretty}");
    // Our side agrees: the structure reads, the CMS does not verify.
    let parts = signed_parts(&bad_pdf).expect("structure");
    pki.verify(&parts.cms_der, &parts.signed_bytes)
        .expect_err("openssl must reject the tampered bytes");

    // Bytes appended after the signed range: ours refuses, pyHanko no longer sees an untouched file.
    let mut appended = pdf.clone();
    appended.extend_from_slice(b"\n% appended after signing\n");
    assert_eq!(
        signed_parts(&appended).expect_err("appended").code(),
        "PDF_MODIFIED_AFTER_SIGNING"
    );
}
