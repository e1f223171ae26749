//! Receipts the centre seals (回执签章): the sealed JSON (+ .p7s) and the signed PDF of a real submission,
//! checked with tools that are not ours — `openssl cms -verify`, pyHanko, pdftotext — and by `gjj receipt verify`
//! offline, which must refuse a tampered file, a file extended after signing and a "receipt" a unit sealed
//! with its own USB key.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use gjj_domain::money::Fen;
use gjj_tests::{run_gjj, units, write_base_adjustment, Backend, Fixtures, LocalCentre, SheetRow};

/// A 基数调整 of employer A's first 3 employees, submitted; its 业务流水号.
fn submitted(centre: &LocalCentre) -> String {
    let (code, me, err) = run_gjj(centre.gjj(units::EMPLOYER_A).args(["whoami", "--json"]));
    assert_eq!(code, 0, "{err}");
    let paid: gjj_domain::month::Month = me["me"]["unit"]["paid_through"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let employees = gjj_tests::runtime()
        .block_on(centre.active_employees(units::EMPLOYER_A))
        .unwrap();
    let rows: Vec<SheetRow> = employees
        .iter()
        .take(3)
        .map(|e| {
            SheetRow::adjust(
                e,
                Fen((e.base.0 * 105 / 100) / 100 * 100),
                &paid.next().to_string(),
            )
        })
        .collect();
    let sheet = centre.dir.path().join("receipt-sheet.xlsx");
    write_base_adjustment(&sheet, &rows).unwrap();
    let (code, out, err) = run_gjj(
        centre
            .gjj(units::EMPLOYER_A)
            .args(["submit", "base-adjustment"])
            .arg(&sheet)
            .arg("--json"),
    );
    assert_eq!(code, 0, "{out} {err}");
    out["receipt"]["serial"].as_str().unwrap().to_owned()
}

fn verify(centre: &LocalCentre, file: &Path) -> (i32, serde_json::Value, String) {
    run_gjj(
        std::process::Command::new(gjj_tests::bin("gjj"))
            .env_remove("GJJ_CONFIG")
            .arg("--ca-bundle")
            .arg(centre.fixtures.ca_bundle())
            .args(["receipt", "verify"])
            .arg(file)
            .arg("--json"),
    )
}

#[test]
fn the_centre_seals_receipts_that_openssl_pyhanko_and_gjj_verify_and_tampering_is_refused() {
    let fixtures = Fixtures::from_env();
    let centre = LocalCentre::start(&fixtures, Backend::Sqlite).unwrap();
    let serial = submitted(&centre);
    let dir = centre.dir.path();

    // The sealed JSON: OpenSSL checks the seal over the exact bytes against the centre's CA.
    let json = dir.join(format!("{serial}.json"));
    let (code, _, err) = run_gjj(
        centre
            .gjj(units::EMPLOYER_A)
            .args(["receipt", &serial, "-o"])
            .arg(&json),
    );
    assert_eq!(code, 0, "{err}");
    let content = std::fs::read(&json).unwrap();
    let p7s = std::fs::read(dir.join(format!("{serial}.json.p7s"))).unwrap();
    gjj_tests::openssl_cms_verify(&fixtures, &content, &p7s).expect("openssl verifies the centre's seal");
    let receipt: serde_json::Value = serde_json::from_slice(&content).unwrap();
    assert_eq!(receipt["serial"], serial.as_str());
    let (code, out, err) = verify(&centre, &json);
    assert_eq!(code, 0, "{out} {err}");
    assert_eq!(
        (out["valid"].as_bool(), out["kind"].as_str()),
        (Some(true), Some("json"))
    );
    assert_eq!(out["receipt"]["serial"], serial.as_str());

    // The PDF: pyHanko finds the signature intact, trusted and covering the whole file; pdftotext reads the
    // Chinese text; gjj verifies it offline and reads the receipt inside.
    let pdf = dir.join(format!("{serial}.pdf"));
    let (code, _, err) = run_gjj(
        centre
            .gjj(units::EMPLOYER_A)
            .args(["receipt", &serial, "-o"])
            .arg(&pdf),
    );
    assert_eq!(code, 0, "{err}");
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(
        bytes.len() < 200 * 1024,
        "subset font keeps it small: {} bytes",
        bytes.len()
    );
    let (valid, report) = gjj_tests::pyhanko_validate(&fixtures, &pdf);
    assert!(valid, "pyHanko: {report}");
    let text = gjj_tests::pdftotext(&pdf);
    for expected in [
        "住房公积金业务受理回执",
        serial.as_str(),
        units::EMPLOYER_A,
        "基数调整",
    ] {
        assert!(text.contains(expected), "pdftotext lacks {expected}: {text}");
    }
    let (code, out, err) = verify(&centre, &pdf);
    assert_eq!(code, 0, "{out} {err}");
    assert_eq!(
        (out["kind"].as_str(), out["receipt"]["accepted_rows"].as_u64()),
        (Some("pdf"), Some(3))
    );
    let code_on_page = out["verification_code"].as_str().unwrap();
    assert!(
        text.contains(code_on_page),
        "the page shows the verification code {code_on_page}"
    );

    // Tampered: one digit of the JSON; one byte inside the PDF's signed range; bytes appended after signing.
    let forged = dir.join("forged.json");
    let changed = String::from_utf8(content.clone())
        .unwrap()
        .replace("\"accepted_rows\":3", "\"accepted_rows\":4");
    assert_ne!(changed.as_bytes(), content.as_slice());
    std::fs::write(&forged, changed).unwrap();
    std::fs::write(dir.join("forged.json.p7s"), &p7s).unwrap();
    let (code, out, _) = verify(&centre, &forged);
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (2, Some("RECEIPT_SEAL_INVALID")),
        "{out}"
    );
    assert!(gjj_tests::openssl_cms_verify(&fixtures, &std::fs::read(&forged).unwrap(), &p7s).is_err());

    let mut flipped = bytes.clone();
    let at = find(&flipped, b"/Producer").expect("a Producer entry") + 12;
    flipped[at] ^= 0x01;
    let flipped_pdf = dir.join("flipped.pdf");
    std::fs::write(&flipped_pdf, &flipped).unwrap();
    let (code, out, _) = verify(&centre, &flipped_pdf);
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (2, Some("RECEIPT_SEAL_INVALID")),
        "{out}"
    );
    assert!(
        !gjj_tests::pyhanko_validate(&fixtures, &flipped_pdf).0,
        "pyHanko refuses it too"
    );

    let mut extended = bytes.clone();
    extended.extend_from_slice(b"\n% appended after signing\n");
    let extended_pdf = dir.join("extended.pdf");
    std::fs::write(&extended_pdf, &extended).unwrap();
    let (code, out, _) = verify(&centre, &extended_pdf);
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (2, Some("PDF_MODIFIED_AFTER_SIGNING")),
        "{out}"
    );

    // A "receipt" sealed by a unit's own USB key (same CA): a valid CMS, but not the centre's seal.
    let unit_key = gjj_tests::token_credential(&fixtures, units::EMPLOYER_A);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let self_sealed = gjj_pki::cms::sign(&unit_key, &content, now).unwrap();
    let fake = dir.join("self-sealed.json");
    std::fs::write(&fake, &content).unwrap();
    std::fs::write(dir.join("self-sealed.json.p7s"), &self_sealed).unwrap();
    gjj_tests::openssl_cms_verify(&fixtures, &content, &self_sealed).expect("a valid CMS by the unit");
    let (code, out, _) = verify(&centre, &fake);
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (2, Some("RECEIPT_SEAL_INVALID")),
        "{out}"
    );
    assert!(
        out["error"]["message"].as_str().unwrap().contains("回执签章证书"),
        "{out}"
    );
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
