//! The spine, end to end: a 基数调整 sheet from Excel to the centre's receipt, signed by a SoftHSM "USB key"
//! over mutual TLS, against the real gateway binary on SQLite (and PostgreSQL).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use base64::Engine;

use gjj_domain::money::Fen;
use gjj_domain::month::Month;
use gjj_tests::{run_gjj as run, runtime as rt, scalar as count};
use gjj_tests::{units, write_base_adjustment, Backend, Cell, Fixtures, LocalCentre, SheetRow};

/// 应汇缴年月 and the current month, as the centre tells this unit.
fn months(centre: &LocalCentre, label: &str) -> (Month, Month) {
    let (code, me, err) = run(centre.gjj(label).args(["whoami", "--json"]));
    assert_eq!(code, 0, "whoami failed: {me} {err}");
    let paid: Month = me["me"]["unit"]["paid_through"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let today: Month = me["me"]["today"].as_str().unwrap().parse().unwrap();
    (paid.next(), today)
}

/// A sheet raising 10% of the first `n` active employees' bases, from the due month.
fn raise_sheet(centre: &LocalCentre, label: &str, n: usize) -> std::path::PathBuf {
    let (due, _) = months(centre, label);
    let employees = rt().block_on(centre.active_employees(label)).unwrap();
    let rows: Vec<SheetRow> = employees
        .iter()
        .take(n)
        .map(|e| SheetRow::adjust(e, Fen((e.base.0 * 110 / 100) / 100 * 100), &due.to_string()))
        .collect();
    let path = centre.dir.path().join(format!("raise-{}.xlsx", rows.len()));
    write_base_adjustment(&path, &rows).unwrap();
    path
}

#[test]
fn a_valid_sheet_is_accepted_stored_and_receipted_for_every_key_type() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    for (label, alg) in [
        (units::EMPLOYER_A, "ecdsa-p256-sha256"),
        (units::EMPLOYER_B, "rsa-pss-sha256"),
        (units::EMPLOYER_C, "rsa-pkcs1-sha256"),
    ] {
        let sheet = raise_sheet(&centre, label, 20);
        let (code, out, err) = run(centre
            .gjj(label)
            .arg("check")
            .arg("base-adjustment")
            .arg(&sheet)
            .arg("--json"));
        assert_eq!(
            (code, out["rows"].as_u64(), out["issues"].as_array().map(Vec::len)),
            (0, Some(20), Some(0)),
            "{err}"
        );

        let (code, out, err) = run(centre
            .gjj(label)
            .arg("submit")
            .arg("base-adjustment")
            .arg(&sheet)
            .arg("--json"));
        assert_eq!(code, 0, "{out} {err}");
        let receipt = &out["receipt"];
        let serial = receipt["serial"].as_str().unwrap().to_owned();
        assert!(
            serial.starts_with("02") && serial.len() == 15,
            "业务流水号 {serial}"
        );
        assert_eq!(receipt["accepted_rows"], 20);
        assert_eq!(receipt["signature_alg"], alg);

        // Stored: the rows, the payload whose digest the receipt names, and the signature.
        assert_eq!(
            count(
                &centre,
                &format!("SELECT COUNT(*) FROM base_adjustment_rows WHERE serial = '{serial}'")
            ),
            20
        );
        let (payload, digest, signature): (String, String, String) = rt().block_on(async {
            let pool = centre.db().await.unwrap();
            sqlx::query_as("SELECT payload, payload_sha256, signature FROM submissions WHERE serial = $1")
                .bind(&serial)
                .fetch_one(&pool)
                .await
                .unwrap()
        });
        assert_eq!(digest, receipt["payload_sha256"].as_str().unwrap());
        assert_eq!(digest, sha256_hex(payload.as_bytes()));
        // A detached CMS SignedData that OpenSSL itself verifies over the stored payload, and refuses for
        // other bytes.
        let cms = base64::engine::general_purpose::STANDARD
            .decode(signature.trim())
            .unwrap();
        let fixtures = Fixtures::from_env();
        gjj_tests::openssl_cms_verify(&fixtures, payload.as_bytes(), &cms)
            .unwrap_or_else(|e| panic!("{label}: openssl cms -verify: {e}"));
        let mut tampered = payload.clone().into_bytes();
        tampered[10] ^= 1;
        assert!(
            gjj_tests::openssl_cms_verify(&fixtures, &tampered, &cms).is_err(),
            "{label}: tampered payload verified"
        );

        let (code, status, _) = run(centre.gjj(label).args(["status", &serial, "--json"]));
        assert_eq!(code, 0);
        assert_eq!(status["status"], "accepted");
        assert_eq!(status["status_label"], "已受理");
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let digest = ring_like_sha256(bytes);
    digest.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// SHA-256 through OpenSSL's command-line tool: an implementation independent of the code under test.
fn ring_like_sha256(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut child = Command::new("openssl")
        .args(["dgst", "-sha256", "-binary"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    child.wait_with_output().unwrap().stdout
}

#[test]
fn a_sheet_with_every_pitfall_gets_exact_issues_and_nothing_is_sent() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    let label = units::EMPLOYER_A;
    let (due, today) = months(&centre, label);
    let e = rt().block_on(centre.active_employees(label)).unwrap();
    let m = due.to_string();
    let fen = |yuan: i64| Fen::from_yuan(yuan);
    let mut rows = vec![
        // 5: clean
        SheetRow::adjust(&e[0], fen(6000), &m),
        // 6: an 18-digit ID typed into a Number cell (Excel kept 15 significant digits)
        SheetRow {
            id_number: Cell::Number(e[1].id_number[..17].parse::<f64>().unwrap() * 10.0),
            ..SheetRow::adjust(&e[1], fen(6000), &m)
        },
        // 7: wrong check character
        SheetRow {
            id_number: wrong_check(&e[2].id_number).into(),
            ..SheetRow::adjust(&e[2], fen(6000), &m)
        },
        // 8: 调整后基数 left empty
        SheetRow {
            new_base: Cell::Empty,
            ..SheetRow::adjust(&e[3], fen(6000), &m)
        },
        // 9: above the 2026 ceiling 21142
        SheetRow::adjust(&e[4], fen(25000), &m),
        // 10: before 应汇缴年月
        SheetRow::adjust(&e[5], fen(6000), &due.prev().to_string()),
        // 11: in the future
        SheetRow::adjust(&e[6], fen(6000), &today.next().to_string()),
        // 12: the same person as row 5 again
        SheetRow::adjust(&e[0], fen(6100), &m),
        // 13: money as text with separators and 元, full-width digits and a trailing lower-case x are fine
        SheetRow {
            new_base: "6,000.50元".into(),
            month: format!("{}年{}月", due.year(), due.month()).into(),
            ..SheetRow::adjust(&e[7], fen(0), &m)
        },
        // 14: garbage money
        SheetRow {
            new_base: "六千".into(),
            ..SheetRow::adjust(&e[8], fen(0), &m)
        },
    ];
    rows[8].account = Cell::Text(format!(" {}\u{3000}", e[7].account));
    let sheet = centre.dir.path().join("pitfalls.xlsx");
    write_base_adjustment(&sheet, &rows).unwrap();

    let (code, out, err) = run(centre
        .gjj(label)
        .arg("check")
        .arg("base-adjustment")
        .arg(&sheet)
        .arg("--json"));
    assert_eq!(code, 1, "{out} {err}");
    assert_eq!(out["rows"], 10);
    let got: Vec<(u64, String, String)> = out["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["row"].as_u64().unwrap(),
                i["column"].as_str().unwrap().to_owned(),
                i["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let want: Vec<(u64, String, String)> = [
        (6, "证件号码", "ID_STORED_AS_NUMBER"),
        (7, "证件号码", "ID_NUMBER_CHECKSUM"),
        (8, "调整后基数（元）", "REQUIRED"),
        (9, "调整后基数（元）", "BASE_ABOVE_MAX"),
        (10, "生效年月", "EFFECTIVE_MONTH_TOO_EARLY"),
        (11, "生效年月", "EFFECTIVE_MONTH_IN_FUTURE"),
        (12, "个人账号", "DUPLICATE_ACCOUNT"),
        (12, "证件号码", "DUPLICATE_ID_NUMBER"),
        (14, "调整后基数（元）", "MONEY_INVALID"),
    ]
    .iter()
    .map(|(r, c, k)| (*r, c.to_string(), k.to_string()))
    .collect();
    assert_eq!(got, want);
    for issue in out["issues"].as_array().unwrap() {
        let msg = issue["message"].as_str().unwrap();
        assert!(
            msg.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "message in Chinese: {msg}"
        );
    }

    let (code, _, _) = run(centre
        .gjj(label)
        .arg("submit")
        .arg("base-adjustment")
        .arg(&sheet)
        .arg("--json"));
    assert_eq!(code, 1);
    assert_eq!(
        count(&centre, "SELECT COUNT(*) FROM submissions"),
        0,
        "nothing was sent"
    );

    // A file that is not a workbook at all: a stable SHEET_* code and a Chinese message, exit 2.
    let broken = centre.dir.path().join("broken.xlsx");
    std::fs::write(&broken, "序号,个人账号\n1,9901\n").unwrap();
    let (code, out, _) = run(centre
        .gjj(label)
        .arg("check")
        .arg("base-adjustment")
        .arg(&broken)
        .arg("--json"));
    assert_eq!(code, 2, "{out}");
    assert!(
        out["error"]["code"].as_str().unwrap().starts_with("SHEET_"),
        "{out}"
    );
}

fn wrong_check(id: &str) -> String {
    let last = id.chars().last().unwrap();
    let replacement = if last == '1' { '2' } else { '1' };
    format!("{}{replacement}", &id[..17])
}

#[test]
fn every_negative_certificate_is_refused_and_the_cli_says_which_case_in_chinese() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    for (stem, code, words) in [
        ("expired", "CERT_EXPIRED", "过期"),
        ("not-yet-valid", "CERT_NOT_YET_VALID", "尚未生效"),
        ("revoked", "CERT_REVOKED", "吊销"),
        ("foreign-ca", "CERT_UNTRUSTED", "不是中心认可"),
        ("server-auth-only", "CERT_PURPOSE", "用途"),
        ("unknown-unit", "UNIT_UNKNOWN", "未在中心登记"),
    ] {
        let (exit, out, err) = run(centre.gjj_pfx(stem).args(["whoami", "--json"]));
        assert_eq!(exit, 2, "{stem}: {out} {err}");
        assert_eq!(out["error"]["code"], code, "{stem}: {out}");
        let message = out["error"]["message"].as_str().unwrap();
        assert!(message.contains(words), "{stem}: {message}");
    }
    // The soft-certificate path itself works (legacy RC2 .pfx through OpenSSL's legacy provider).
    let (exit, out, err) = run(centre.gjj_pfx("employer-a-soft").args(["whoami", "--json"]));
    assert_eq!(exit, 0, "{out} {err}");
    assert_eq!(out["me"]["unit"]["name"], units::EMPLOYER_A);
    assert_eq!(count(&centre, "SELECT COUNT(*) FROM submissions"), 0);
}

#[test]
fn a_wrong_pin_is_reported_with_the_token_warning_and_the_right_pin_works() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    // The developer token is used by no other test here: its PIN flags are ours to read.
    let (exit, out, _) = run(centre
        .gjj(units::DEVELOPER)
        .env("GJJ_TEST_PIN", "000000")
        .args(["whoami", "--json"]));
    assert_eq!(exit, 2);
    // SoftHSM2 sets CKF_USER_PIN_COUNT_LOW after a failed login (and never FINAL_TRY/LOCKED).
    assert_eq!(out["error"]["code"], "PIN_COUNT_LOW", "{out}");
    assert!(out["error"]["message"].as_str().unwrap().contains("PIN 错误"));
    let (exit, out, err) = run(centre.gjj(units::DEVELOPER).args(["whoami", "--json"]));
    assert_eq!(exit, 0, "{out} {err}");
    assert_eq!(out["me"]["role"], "developer");
}

#[test]
fn the_server_killed_after_commit_gets_the_resend_and_stores_nothing_twice() {
    let mut centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    let label = units::EMPLOYER_A;
    let sheet = raise_sheet(&centre, label, 15);
    centre.restart(Some("exit-after-commit")).unwrap();
    let (exit, out, _) = run(centre
        .gjj(label)
        .arg("submit")
        .arg("base-adjustment")
        .arg(&sheet)
        .arg("--json"));
    assert_eq!(exit, 2, "{out}");
    assert_eq!(out["error"]["code"], "NETWORK", "{out}");
    assert_eq!(
        centre.wait_exit(std::time::Duration::from_secs(10)).unwrap(),
        Some(75)
    );
    assert_eq!(
        count(&centre, "SELECT COUNT(*) FROM submissions"),
        1,
        "the centre committed before dying"
    );

    centre.restart(None).unwrap();
    let (exit, out, err) = run(centre.gjj(label).args(["outbox", "send", "--json"]));
    assert_eq!(exit, 0, "{out} {err}");
    let sent = &out["sent"][0];
    assert_eq!(sent["replayed"], true, "{out}");
    let stored: String = rt().block_on(async {
        let pool = centre.db().await.unwrap();
        sqlx::query_scalar("SELECT serial FROM submissions")
            .fetch_one(&pool)
            .await
            .unwrap()
    });
    assert_eq!(sent["receipt"]["serial"].as_str().unwrap(), stored);
    assert_eq!(count(&centre, "SELECT COUNT(*) FROM submissions"), 1);
    assert_eq!(count(&centre, "SELECT COUNT(*) FROM base_adjustment_rows"), 15);
    let (_, list, _) = run(centre.gjj(label).args(["outbox", "list", "--json"]));
    assert_eq!(list["entries"][0]["state"], "sent");
}

#[test]
fn a_submission_made_while_the_centre_is_down_is_sent_when_it_is_back() {
    let mut centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    let label = units::EMPLOYER_B;
    let sheet = raise_sheet(&centre, label, 5);
    // Check works offline from today's cached context; submitting needs the centre.
    centre.stop();
    let (exit, out, _) = run(centre
        .gjj(label)
        .arg("check")
        .arg("base-adjustment")
        .arg(&sheet)
        .arg("--json"));
    assert_eq!(exit, 0, "offline check: {out}");
    let (exit, out, _) = run(centre
        .gjj(label)
        .arg("submit")
        .arg("base-adjustment")
        .arg(&sheet)
        .arg("--json"));
    assert_eq!(
        (exit, out["error"]["code"].as_str()),
        (2, Some("NETWORK")),
        "{out}"
    );

    centre.restart(None).unwrap();
    assert_eq!(count(&centre, "SELECT COUNT(*) FROM submissions"), 0);
    let (_, list, _) = run(centre.gjj(label).args(["outbox", "list", "--json"]));
    assert_eq!(list["entries"][0]["state"], "pending");
    let (exit, out, err) = run(centre.gjj(label).args(["outbox", "send", "--json"]));
    assert_eq!(exit, 0, "{out} {err}");
    assert_eq!(out["sent"][0]["replayed"], false);
    assert_eq!(count(&centre, "SELECT COUNT(*) FROM submissions"), 1);
}

#[test]
fn another_units_employee_is_refused_without_revealing_their_data() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    let (due, _) = months(&centre, units::EMPLOYER_A);
    let others = rt().block_on(centre.active_employees(units::EMPLOYER_B)).unwrap();
    let stranger = &others[0];
    let sheet = centre.dir.path().join("stranger.xlsx");
    write_base_adjustment(
        &sheet,
        &[SheetRow::adjust(stranger, Fen::from_yuan(6000), &due.to_string())],
    )
    .unwrap();
    let (exit, out, _) = run(centre
        .gjj(units::EMPLOYER_A)
        .arg("submit")
        .arg("base-adjustment")
        .arg(&sheet)
        .arg("--json"));
    assert_eq!(exit, 1, "{out}");
    let issues = out["error"]["issues"].as_array().unwrap();
    assert_eq!(issues[0]["code"], "PERSON_NOT_IN_UNIT", "{out}");
    let text = out.to_string();
    assert!(
        !text.contains(units::EMPLOYER_B) && !text.contains(&stranger.base.to_string()),
        "{text}"
    );
    assert_eq!(count(&centre, "SELECT COUNT(*) FROM submissions"), 0);
}

#[test]
fn the_spine_runs_on_postgresql() {
    let server = std::env::var(gjj_tests::POSTGRES_ENV).unwrap_or_else(|_| {
        panic!(
            "{} is not set: run with `cargo xtask test` (it starts PostgreSQL)",
            gjj_tests::POSTGRES_ENV
        )
    });
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Postgres(server)).unwrap();
    let sheet = raise_sheet(&centre, units::EMPLOYER_A, 30);
    let (exit, out, err) = run(centre
        .gjj(units::EMPLOYER_A)
        .arg("submit")
        .arg("base-adjustment")
        .arg(&sheet)
        .arg("--json"));
    assert_eq!(exit, 0, "{out} {err}");
    let serial = out["receipt"]["serial"].as_str().unwrap();
    assert_eq!(
        count(
            &centre,
            &format!("SELECT COUNT(*) FROM base_adjustment_rows WHERE serial = '{serial}'")
        ),
        30
    );
    // A second one while the first is open is refused by the same rule on this backend.
    let (exit, out, _) = run(centre
        .gjj(units::EMPLOYER_A)
        .arg("submit")
        .arg("base-adjustment")
        .arg(&sheet)
        .arg("--json"));
    assert_eq!(
        (exit, out["error"]["code"].as_str()),
        (1, Some("BUSINESS_OPEN")),
        "{out}"
    );
    // Approval applies the new bases with the same portable SQL (correlated UPDATE) on PostgreSQL.
    let serial = serial.to_owned();
    let (exit, out, err) = run(centre
        .gjj_pfx("staff")
        .args(["review", "approve", &serial, "--json"]));
    assert_eq!(exit, 0, "{out} {err}");
    assert_eq!(
        count(
            &centre,
            &format!(
                "SELECT COUNT(*) FROM persons p JOIN base_adjustment_rows r ON r.person_account = p.account \
                 WHERE r.serial = '{serial}' AND p.base_fen = r.new_base_fen"
            )
        ),
        30
    );
}
