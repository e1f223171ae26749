//! 个人封存 / 个人启封 end to end: sheets written with our templates, checked and signed by the CLI with a SoftHSM
//! key over mutual TLS, re-checked by the real gateway with its own data, approved by centre staff — and the
//! centre's records of the persons change (or, for every refusal, nothing is stored).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use gjj_client::{ClientError, Outbox, Session, SessionConfig};
use gjj_domain::money::Fen;
use gjj_domain::month::Month;
use gjj_domain::seal::{Seal, SealRow};
use gjj_pki::TrustBundle;
use gjj_tests::{runtime as rt, scalar as count};
use gjj_tests::{units, Backend, Employee, Fixtures, LocalCentre};
use serde_json::Value;
use sqlx::Row;

fn run(cmd: &mut Command) -> (i32, Value) {
    let out = cmd.output().expect("run gjj");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_str(text.trim()).unwrap_or(Value::String(text)),
    )
}

/// The unit's 应汇缴年月, as the centre tells it.
fn due(centre: &LocalCentre, label: &str) -> Month {
    let (code, me) = run(centre.gjj(label).args(["whoami", "--json"]));
    assert_eq!(code, 0, "{me}");
    me["me"]["unit"]["paid_through"]
        .as_str()
        .unwrap()
        .parse::<Month>()
        .unwrap()
        .next()
}

/// The unit's contributors in one 个人账户状态, as the centre stores them.
fn persons_in_status(centre: &LocalCentre, unit_name: &str, status: &str) -> Vec<Employee> {
    rt().block_on(async {
        let pool = centre.db().await.unwrap();
        let rows = sqlx::query(
            "SELECT p.account, p.name, p.id_number, p.base_fen FROM persons p JOIN units u ON u.account = p.unit_account \
             WHERE u.name = $1 AND p.status = $2 ORDER BY p.account",
        )
        .bind(unit_name)
        .bind(status)
        .fetch_all(&pool)
        .await
        .unwrap();
        rows.iter()
            .map(|r| Employee {
                account: r.get("account"),
                name: r.get("name"),
                id_number: r.get("id_number"),
                base: Fen(r.get("base_fen")),
            })
            .collect()
    })
}

/// (status, base, 单位月缴存额, 个人月缴存额) of a person.
fn person(centre: &LocalCentre, account: &str) -> (String, i64, i64, i64) {
    rt().block_on(async {
        let pool = centre.db().await.unwrap();
        let r = sqlx::query(
            "SELECT status, base_fen, unit_amount_fen, person_amount_fen FROM persons WHERE account = $1",
        )
        .bind(account)
        .fetch_one(&pool)
        .await
        .unwrap();
        (
            r.get("status"),
            r.get("base_fen"),
            r.get("unit_amount_fen"),
            r.get("person_amount_fen"),
        )
    })
}

/// Writes a 封存 sheet from our template: (person, 生效年月, 封存原因 as typed).
fn seal_sheet(centre: &LocalCentre, name: &str, rows: &[(&Employee, Month, &str)]) -> PathBuf {
    let path = centre.dir.path().join(name);
    let mut wb = gjj_sheets::seal::template_workbook(&Default::default()).unwrap();
    let ws = wb.worksheet_from_index(0).unwrap();
    for (r, (e, month, reason)) in (gjj_sheets::seal::FIRST_DATA_ROW..).zip(rows) {
        ws.write_string(r, 1, &e.account).unwrap();
        ws.write_string(r, 2, &e.name).unwrap();
        ws.write_string(r, 3, &e.id_number).unwrap();
        ws.write_string(r, 4, month.to_string()).unwrap();
        ws.write_string(r, 5, *reason).unwrap();
    }
    wb.save(&path).unwrap();
    path
}

/// Writes a 启封 sheet from our template: (person, 生效年月, 启封后缴存基数 in yuan, 启封原因 as typed).
fn unseal_sheet(centre: &LocalCentre, name: &str, rows: &[(&Employee, Month, f64, &str)]) -> PathBuf {
    let path = centre.dir.path().join(name);
    let mut wb = gjj_sheets::unseal::template_workbook(&Default::default()).unwrap();
    let ws = wb.worksheet_from_index(0).unwrap();
    for (r, (e, month, base, reason)) in (gjj_sheets::unseal::FIRST_DATA_ROW..).zip(rows) {
        ws.write_string(r, 1, &e.account).unwrap();
        ws.write_string(r, 2, &e.name).unwrap();
        ws.write_string(r, 3, &e.id_number).unwrap();
        ws.write_string(r, 4, month.to_string()).unwrap();
        ws.write_number(r, 5, *base).unwrap();
        ws.write_string(r, 6, *reason).unwrap();
    }
    wb.save(&path).unwrap();
    path
}

fn gjj_sheet(centre: &LocalCentre, verb: &str, business: &str, sheet: &Path) -> (i32, Value) {
    run(centre
        .gjj(units::EMPLOYER_A)
        .args([verb, business])
        .arg(sheet)
        .arg("--json"))
}

fn issue_codes(out: &Value) -> Vec<(u64, String)> {
    let issues = out["error"]["issues"]
        .as_array()
        .or_else(|| out["issues"].as_array())
        .unwrap_or_else(|| panic!("no issues in {out}"));
    issues
        .iter()
        .map(|i| (i["row"].as_u64().unwrap(), i["code"].as_str().unwrap().to_owned()))
        .collect()
}

fn approve(centre: &LocalCentre, serial: &str) -> (i32, Value) {
    run(centre
        .gjj_pfx("staff")
        .args(["review", "approve", serial, "--json"]))
}

#[test]
fn seal_then_unseal_changes_status_and_base_after_approval() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    seal_then_unseal(&centre);
}

#[test]
fn seal_and_unseal_run_on_postgresql() {
    let server = std::env::var(gjj_tests::POSTGRES_ENV).unwrap_or_else(|_| {
        panic!(
            "{} is not set: run with `cargo xtask test` (it starts PostgreSQL)",
            gjj_tests::POSTGRES_ENV
        )
    });
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Postgres(server)).unwrap();
    seal_then_unseal(&centre);
}

/// 封存 three 正常 persons → approved → 封存; 启封 them with new bases → approved → 正常 with those bases.
fn seal_then_unseal(centre: &LocalCentre) {
    let label = units::EMPLOYER_A;
    let month = due(centre, label);
    let normal = persons_in_status(centre, label, "01");
    let chosen: Vec<&Employee> = normal.iter().take(3).collect();

    // 封存: the three reason spellings a clerk uses — the drop-down entry, the bare code, the label.
    let sheet = seal_sheet(
        centre,
        "封存.xlsx",
        &[
            (chosen[0], month, "1 保留劳动关系停发工资"),
            (chosen[1], month, "2"),
            (chosen[2], month, "调动暂不转移"),
        ],
    );
    let (code, out) = gjj_sheet(centre, "check", "seal", &sheet);
    assert_eq!((code, out["rows"].as_u64()), (0, Some(3)), "{out}");
    let (code, out) = gjj_sheet(centre, "submit", "seal", &sheet);
    assert_eq!(code, 0, "{out}");
    let serial = out["receipt"]["serial"].as_str().unwrap().to_owned();
    assert_eq!(out["receipt"]["business"], "seal");
    assert_eq!(out["receipt"]["accepted_rows"], 3);
    let reasons: Vec<(String, String, String)> = rt().block_on(async {
        let pool = centre.db().await.unwrap();
        sqlx::query_as("SELECT person_account, reason_code, effective_month FROM seal_rows WHERE serial = $1 ORDER BY row_no")
            .bind(&serial)
            .fetch_all(&pool)
            .await
            .unwrap()
    });
    assert_eq!(
        reasons,
        chosen
            .iter()
            .zip(["1", "2", "3"])
            .map(|(e, r)| (e.account.clone(), r.to_owned(), month.to_string()))
            .collect::<Vec<_>>()
    );
    // Accepted is not applied: still 正常 until the centre approves.
    assert_eq!(person(centre, &chosen[0].account).0, "01");

    // A second 封存 while the first is open is refused whole (one open 封存 batch per unit).
    let other = seal_sheet(centre, "封存2.xlsx", &[(&normal[5], month, "1")]);
    let (code, out) = gjj_sheet(centre, "submit", "seal", &other);
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (1, Some("BUSINESS_OPEN")),
        "{out}"
    );

    let (code, out) = approve(centre, &serial);
    assert_eq!((code, out["status_label"].as_str()), (0, Some("已办结")), "{out}");
    for e in &chosen {
        assert_eq!(person(centre, &e.account).0, "02", "{} is 封存", e.account);
    }
    assert_eq!(
        person(centre, &normal[5].account).0,
        "01",
        "a person not in the batch is untouched"
    );

    // 启封 the same three with new bases.
    let bases = [5000.0, 6543.21, 8000.0];
    let sheet = unseal_sheet(
        centre,
        "启封.xlsx",
        &[
            (chosen[0], month, bases[0], "1"),
            (chosen[1], month, bases[1], "2 错误封存"),
            (chosen[2], month, bases[2], "正常"),
        ],
    );
    let (code, out) = gjj_sheet(centre, "submit", "unseal", &sheet);
    assert_eq!(code, 0, "{out}");
    let serial = out["receipt"]["serial"].as_str().unwrap().to_owned();
    assert_eq!(
        count(
            centre,
            &format!("SELECT COUNT(*) FROM unseal_rows WHERE serial = '{serial}' AND old_base_fen > 0")
        ),
        3
    );
    assert_eq!(person(centre, &chosen[1].account).0, "02");
    let (code, out) = approve(centre, &serial);
    assert_eq!((code, out["status_label"].as_str()), (0, Some("已办结")), "{out}");
    // 衡阳雁城科技: 12% + 12%, rounded to 分 per side.
    for (e, yuan) in chosen.iter().zip(bases) {
        let base = (yuan * 100.0_f64).round() as i64;
        let side = (base * 1200 + 5000) / 10_000;
        assert_eq!(
            person(centre, &e.account),
            ("01".to_owned(), base, side, side),
            "{} is 正常 with the new base",
            e.account
        );
    }
    let (code, view) = run(centre.gjj(label).args(["status", &serial, "--json"]));
    assert_eq!((code, view["status"].as_str()), (0, Some("done")), "{view}");
}

#[test]
fn status_transitions_are_enforced_by_the_centre() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    let label = units::EMPLOYER_A;
    let month = due(&centre, label);
    let normal = persons_in_status(&centre, label, "01");
    // The demo seed has every 20th contributor 封存.
    let sealed = persons_in_status(&centre, label, "02");
    assert!(!sealed.is_empty());

    // 封存 of an already sealed person: refused, the message names the current status; nothing stored.
    let sheet = seal_sheet(
        &centre,
        "再封存.xlsx",
        &[(&normal[0], month, "1"), (&sealed[0], month, "1")],
    );
    let (code, out) = gjj_sheet(&centre, "check", "seal", &sheet);
    assert_eq!(code, 0, "the client cannot know the status: {out}");
    let (code, out) = gjj_sheet(&centre, "submit", "seal", &sheet);
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (1, Some("RULES_VIOLATED")),
        "{out}"
    );
    assert_eq!(issue_codes(&out), vec![(6, "SEAL_REQUIRES_NORMAL".to_owned())]);
    let message = out["error"]["issues"][0]["message"].as_str().unwrap();
    assert!(message.contains("当前为“封存”状态（02）"), "{message}");

    // 启封 of a 正常 person: refused likewise.
    let sheet = unseal_sheet(&centre, "启封正常.xlsx", &[(&normal[1], month, 5000.0, "1")]);
    let (code, out) = gjj_sheet(&centre, "submit", "unseal", &sheet);
    assert_eq!(code, 1, "{out}");
    assert_eq!(issue_codes(&out), vec![(5, "UNSEAL_REQUIRES_SEALED".to_owned())]);
    let message = out["error"]["issues"][0]["message"].as_str().unwrap();
    assert!(message.contains("当前为“正常”状态（01）"), "{message}");
    assert_eq!(count(&centre, "SELECT COUNT(*) FROM submissions"), 0);
    assert_eq!(count(&centre, "SELECT COUNT(*) FROM seal_rows"), 0);
    assert_eq!(count(&centre, "SELECT COUNT(*) FROM unseal_rows"), 0);

    // A person who leaves 正常 after acceptance (here: frozen at the counter) makes the approval fail as a
    // whole: nobody of the batch is sealed, the submission stays open for the centre to return.
    let sheet = seal_sheet(
        &centre,
        "封存.xlsx",
        &[(&normal[2], month, "1"), (&normal[3], month, "3")],
    );
    let (code, out) = gjj_sheet(&centre, "submit", "seal", &sheet);
    assert_eq!(code, 0, "{out}");
    let serial = out["receipt"]["serial"].as_str().unwrap().to_owned();
    rt().block_on(async {
        let pool = centre.db().await.unwrap();
        sqlx::query("UPDATE persons SET status = '06' WHERE account = $1")
            .bind(&normal[3].account)
            .execute(&pool)
            .await
            .unwrap();
    });
    let (code, out) = approve(&centre, &serial);
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (1, Some("APPLY_CONFLICT")),
        "{out}"
    );
    assert_eq!(person(&centre, &normal[2].account).0, "01");
    let (_, view) = run(centre.gjj(label).args(["status", &serial, "--json"]));
    assert_eq!(view["status"], "accepted", "{view}");
}

#[test]
fn another_units_person_is_refused_without_revealing_their_data() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    let month = due(&centre, units::EMPLOYER_A);
    let strangers = persons_in_status(&centre, units::EMPLOYER_B, "01");
    let sealed_strangers = persons_in_status(&centre, units::EMPLOYER_B, "02");
    // An account nobody has (with someone else's valid name and ID, so that only the account differs).
    let unknown = Employee {
        account: "991599999999".into(),
        ..strangers[1].clone()
    };

    let sheet = seal_sheet(
        &centre,
        "他人.xlsx",
        &[(&strangers[0], month, "1"), (&unknown, month, "1")],
    );
    let (code, out) = gjj_sheet(&centre, "submit", "seal", &sheet);
    assert_eq!(code, 1, "{out}");
    // Only "not in this unit": not the status, not the name/ID comparison.
    assert_eq!(
        issue_codes(&out),
        vec![
            (5, "PERSON_NOT_IN_UNIT".to_owned()),
            (6, "PERSON_NOT_IN_UNIT".to_owned())
        ]
    );
    let issues = out["error"]["issues"].as_array().unwrap();
    // The same words for another unit's person and for an account that does not exist.
    assert_eq!(
        issues[0]["message"]
            .as_str()
            .unwrap()
            .replace(&strangers[0].account, "X"),
        issues[1]["message"]
            .as_str()
            .unwrap()
            .replace(&unknown.account, "X")
    );

    // A sealed person of another unit: still only "not in this unit" — the status stays private.
    let sheet = unseal_sheet(
        &centre,
        "他人启封.xlsx",
        &[(&sealed_strangers[0], month, 5000.0, "1")],
    );
    let (code, out) = gjj_sheet(&centre, "submit", "unseal", &sheet);
    assert_eq!(code, 1, "{out}");
    assert_eq!(issue_codes(&out), vec![(5, "PERSON_NOT_IN_UNIT".to_owned())]);
    let text = out.to_string();
    assert!(
        !text.contains(units::EMPLOYER_B)
            && !text.contains("封存")
            && !text.contains(&sealed_strangers[0].base.to_string()),
        "{text}"
    );
    assert_eq!(count(&centre, "SELECT COUNT(*) FROM submissions"), 0);
}

#[test]
fn a_bad_reason_code_is_an_issue_in_the_client_and_at_the_centre() {
    let fixtures = Fixtures::from_env();
    let centre = LocalCentre::start(&fixtures, Backend::Sqlite).unwrap();
    let label = units::EMPLOYER_A;
    let month = due(&centre, label);
    let normal = persons_in_status(&centre, label, "01");
    let sealed = persons_in_status(&centre, label, "02");

    // The CLI finds it before anything is signed.
    let sheet = seal_sheet(
        &centre,
        "原因.xlsx",
        &[(&normal[0], month, "1"), (&normal[1], month, "9")],
    );
    let (code, out) = gjj_sheet(&centre, "check", "seal", &sheet);
    assert_eq!(code, 1, "{out}");
    assert_eq!(issue_codes(&out), vec![(6, "SEAL_REASON_INVALID".to_owned())]);
    assert!(
        out["issues"][0]["message"]
            .as_str()
            .unwrap()
            .contains("1 保留劳动关系停发工资、2 符合销户条件暂不支取、3 调动暂不转移"),
        "{out}"
    );
    let sheet = unseal_sheet(&centre, "启封原因.xlsx", &[(&sealed[0], month, 5000.0, "启封")]);
    let (code, out) = gjj_sheet(&centre, "submit", "unseal", &sheet);
    assert_eq!(code, 1, "{out}");
    assert_eq!(issue_codes(&out), vec![(5, "UNSEAL_REASON_INVALID".to_owned())]);

    // The centre re-runs the rule on what another client might send: a signed payload with reason "9".
    let session = Session::open(
        &SessionConfig {
            server: centre.url(),
            trust: TrustBundle::from_pem_file(&fixtures.ca_bundle()).unwrap(),
            timeout: Duration::from_secs(60),
        },
        gjj_tests::token_credential(&fixtures, label),
    )
    .unwrap();
    let payload = Seal {
        rows: vec![SealRow {
            row: 5,
            account: normal[0].account.clone(),
            name: normal[0].name.clone(),
            id_number: normal[0].id_number.clone(),
            effective_month: month,
            reason: "9".into(),
            note: None,
        }],
    };
    let err = rt().block_on(async {
        let outbox = Outbox::open(&centre.dir.path().join("raw.sqlite")).await.unwrap();
        session.submit(&outbox, "seal", &payload, 1).await.unwrap_err()
    });
    let ClientError::Api { status, body } = err else {
        panic!("expected the centre's refusal, got {err:?}");
    };
    assert_eq!((status, body.code.as_str()), (422, "RULES_VIOLATED"));
    assert_eq!(
        body.issues
            .iter()
            .map(|i| (i.row, i.column.as_str(), i.code.as_str()))
            .collect::<Vec<_>>(),
        vec![(5, "封存原因", "SEAL_REASON_INVALID")]
    );
    assert_eq!(count(&centre, "SELECT COUNT(*) FROM submissions"), 0);
}

/// `--prefill` exists only where the centre's list is the clerk's starting point (基数调整, 启封): a 封存 template
/// asks for one in vain, refused with its own code before any PIN is asked for or the centre is called.
#[test]
fn a_seal_template_has_no_prefill() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    let out = centre.dir.path().join("封存.xlsx");
    let result = centre
        .gjj(units::EMPLOYER_A)
        // Without the PIN's variable a login would fail on it: the refusal must come first.
        .env_remove("GJJ_TEST_PIN")
        .args(["template", "seal", "--prefill", "-o"])
        .arg(&out)
        .output()
        .expect("run gjj");
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("[NO_PREFILL]"), "{stderr}");
    assert!(!out.exists(), "no template written");
}
