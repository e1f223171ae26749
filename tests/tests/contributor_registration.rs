//! 缴存人登记 end to end over mutual TLS with the SoftHSM tokens against the real gateway: a batch sheet and a
//! single registration get a new 个人账号 per row on the receipt, staff approval opens the accounts (正常), and
//! every refusal — repeated ID/mobile in the sheet, an ID or mobile open elsewhere in the centre (named nowhere),
//! 性别/出生年月 against the ID, a 首次汇缴年月 before the unit's — stores nothing. A client that is not ours
//! (openssl cms + curl) gets the same receipt.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use gjj_client::{ClientError, Outbox, Session, SessionConfig};
use gjj_domain::contributor_registration::{ContributorRegistration, ContributorRegistrationRow};
use gjj_domain::ids::id_check_char;
use gjj_domain::money::Fen;
use gjj_domain::month::Month;
use gjj_pki::TrustBundle;
use gjj_sheets::contributor_registration::{template_workbook, TemplateOptions, FIRST_DATA_ROW, SHEET_NAME};
use gjj_tests::{execute, run_gjj as run, runtime as rt, scalar as count};
use gjj_tests::{units, Backend, Fixtures, LocalCentre};
use rust_xlsxwriter::Format;
use serde_json::Value;
use sqlx::Row;

/// The current month by the centre's clock.
fn today(centre: &LocalCentre, label: &str) -> Month {
    let (code, me, err) = run(centre.gjj(label).args(["whoami", "--json"]));
    assert_eq!(code, 0, "whoami: {me} {err}");
    me["me"]["today"].as_str().unwrap().parse().unwrap()
}

/// A valid 身份证号码 outside the demo centre's regions (衡阳 4304xx), so it collides with no seeded person.
fn new_id(birth: &str, seq: u32) -> String {
    let first17 = format!("110101{birth}{seq:03}");
    format!("{first17}{}", id_check_char(&first17).unwrap())
}

/// One person as a clerk types it into the template.
#[derive(Clone, Debug)]
struct Person {
    name: String,
    id_type: String,
    id_number: String,
    sex: String,
    birth: String,
    mobile: String,
    base_yuan: f64,
    first_month: String,
}

impl Person {
    fn new(name: &str, id_number: &str, mobile: &str, first_month: Month) -> Person {
        Person {
            name: name.to_owned(),
            id_type: "01 身份证".to_owned(),
            id_number: id_number.to_owned(),
            sex: String::new(),
            birth: String::new(),
            mobile: mobile.to_owned(),
            base_yuan: 6000.0,
            first_month: first_month.to_string(),
        }
    }
}

fn write_sheet(path: &Path, people: &[Person]) {
    let mut wb = template_workbook(&TemplateOptions::default()).unwrap();
    let text = Format::new().set_num_format("@");
    let ws = wb.worksheet_from_name(SHEET_NAME).unwrap();
    for (i, p) in people.iter().enumerate() {
        let r = FIRST_DATA_ROW + i as u32;
        ws.write_number(r, 0, (i + 1) as f64).unwrap();
        for (c, v) in [
            (1u16, &p.name),
            (2, &p.id_type),
            (3, &p.id_number),
            (4, &p.sex),
            (5, &p.birth),
            (6, &p.mobile),
            (9, &p.first_month),
        ] {
            if !v.is_empty() {
                ws.write_string_with_format(r, c, v, &text).unwrap();
            }
        }
        ws.write_number(r, 8, p.base_yuan).unwrap();
    }
    wb.save(path).unwrap();
}

fn sheet(centre: &LocalCentre, name: &str, people: &[Person]) -> PathBuf {
    let path = centre.dir.path().join(name);
    write_sheet(&path, people);
    path
}

fn issue_codes(out: &Value, key: &str) -> Vec<(u64, String, String)> {
    let issues = if key.is_empty() {
        &out["issues"]
    } else {
        &out[key]["issues"]
    };
    issues
        .as_array()
        .unwrap_or_else(|| panic!("no issues in {out}"))
        .iter()
        .map(|i| {
            (
                i["row"].as_u64().unwrap(),
                i["column"].as_str().unwrap().to_owned(),
                i["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn staff_approves(centre: &LocalCentre, serial: &str) {
    let (code, out, err) = run(centre
        .gjj_pfx("staff")
        .args(["review", "approve", serial, "--json"]));
    assert_eq!(
        (code, out["status_label"].as_str()),
        (0, Some("已办结")),
        "{out} {err}"
    );
}

/// A person as the centre stores it.
#[derive(Debug, PartialEq)]
struct Stored {
    unit: String,
    status: String,
    id_type: String,
    sex: Option<String>,
    birth_month: Option<String>,
    mobile: Option<String>,
    base: i64,
    unit_amount: i64,
    person_amount: i64,
    first_month: String,
}

fn person(centre: &LocalCentre, account: &str) -> Option<(String, String, Stored)> {
    rt().block_on(async {
        let pool = centre.db().await.unwrap();
        let row = sqlx::query(
            "SELECT name, id_number, unit_account, status, id_type, sex, birth_month, mobile, base_fen, \
             unit_amount_fen, person_amount_fen, first_month FROM persons WHERE account = $1",
        )
        .bind(account)
        .fetch_optional(&pool)
        .await
        .unwrap()?;
        Some((
            row.get("name"),
            row.get("id_number"),
            Stored {
                unit: row.get("unit_account"),
                status: row.get("status"),
                id_type: row.get("id_type"),
                sex: row.get("sex"),
                birth_month: row.get("birth_month"),
                mobile: row.get("mobile"),
                base: row.get("base_fen"),
                unit_amount: row.get("unit_amount_fen"),
                person_amount: row.get("person_amount_fen"),
                first_month: row.get("first_month"),
            },
        ))
    })
}

const UNIT_A_ACCOUNT: &str = "9815070100001";
const UNIT_B_ACCOUNT: &str = "9816030200002";

#[test]
fn a_valid_batch_gets_an_account_per_row_and_approval_opens_them() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    let label = units::EMPLOYER_A;
    let now = today(&centre, label);
    let male = new_id("19900512", 11);
    let female = new_id("19850320", 22);
    let mut passport = Person::new("JOHN SMITH", "E12345678", "13900000003", now.next());
    passport.id_type = "护照".to_owned();
    passport.sex = "男".to_owned();
    passport.birth = "198506".to_owned();
    let people = vec![
        Person::new("周新", &male, "13900000001", now),
        Person::new("吴丽", &female, "139 0000 0002", Month::parse("201507").unwrap()),
        passport,
    ];
    let file = sheet(&centre, "登记.xlsx", &people);

    let (code, out, err) = run(centre
        .gjj(label)
        .args(["check", "contributor-registration"])
        .arg(&file)
        .arg("--json"));
    assert_eq!((code, out["rows"].as_u64()), (0, Some(3)), "{out} {err}");
    assert_eq!(out["issues"], Value::Array(vec![]));

    let (code, out, err) = run(centre
        .gjj(label)
        .args(["submit", "contributor-registration"])
        .arg(&file)
        .arg("--json"));
    assert_eq!(code, 0, "{out} {err}");
    let receipt = &out["receipt"];
    assert_eq!(receipt["business"], "contributor_registration");
    assert_eq!(receipt["accepted_rows"], 3);
    let serial = receipt["serial"].as_str().unwrap().to_owned();
    let accounts: Vec<(u64, String)> = receipt["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["row"].as_u64().unwrap(),
                a["account"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(accounts.iter().map(|a| a.0).collect::<Vec<_>>(), vec![5, 6, 7]);
    for (_, a) in &accounts {
        assert!(
            a.len() == 14 && a.starts_with("9900") && a.bytes().all(|b| b.is_ascii_digit()),
            "{a}"
        );
    }
    assert!(accounts[0].1 < accounts[1].1 && accounts[1].1 < accounts[2].1);
    // Stored with the submission; not yet persons.
    assert_eq!(
        count(
            &centre,
            &format!("SELECT COUNT(*) FROM contributor_registration_rows WHERE serial = '{serial}'")
        ),
        3
    );
    assert!(person(&centre, &accounts[0].1).is_none());
    // The status view shows the same receipt with the accounts.
    let (code, view, _) = run(centre.gjj(label).args(["status", &serial, "--json"]));
    assert_eq!((code, view["status_label"].as_str()), (0, Some("已受理")));
    assert_eq!(view["receipt"]["accounts"], receipt["accounts"]);

    staff_approves(&centre, &serial);
    let (name, id, stored) = person(&centre, &accounts[0].1).expect("opened on approval");
    assert_eq!((name.as_str(), id.as_str()), ("周新", male.as_str()));
    assert_eq!(
        stored,
        Stored {
            unit: UNIT_A_ACCOUNT.to_owned(),
            status: "01".to_owned(),
            id_type: "01".to_owned(),
            sex: Some("1".to_owned()),
            birth_month: Some("199005".to_owned()),
            mobile: Some("13900000001".to_owned()),
            base: 600_000,
            // 衡阳雁城: 12% + 12%, rounded to 分.
            unit_amount: 72_000,
            person_amount: 72_000,
            first_month: now.to_string(),
        }
    );
    let (_, _, stored) = person(&centre, &accounts[1].1).unwrap();
    assert_eq!(
        (
            stored.sex.as_deref(),
            stored.birth_month.as_deref(),
            stored.mobile.as_deref()
        ),
        (Some("2"), Some("198503"), Some("13900000002"))
    );
    let (name, id, stored) = person(&centre, &accounts[2].1).unwrap();
    assert_eq!(
        (name.as_str(), id.as_str(), stored.id_type.as_str()),
        ("JOHN SMITH", "E12345678", "03")
    );
    assert_eq!(
        (stored.sex.as_deref(), stored.birth_month.as_deref()),
        (Some("1"), Some("198506"))
    );
    // They are the unit's contributors now: the employee list shows them as 正常.
    let employees = rt().block_on(centre.active_employees(label)).unwrap();
    assert!(accounts
        .iter()
        .all(|(_, a)| employees.iter().any(|e| &e.account == a)));

    // One person without a sheet: the same business, one row.
    let single = new_id("19950101", 33);
    let (code, out, err) = run(centre.gjj(label).args([
        "register",
        "--name",
        "郑一",
        "--id-number",
        &single,
        "--mobile",
        "13900000009",
        "--base",
        "6000",
        "--first-month",
        &now.to_string(),
        "--json",
    ]));
    assert_eq!(code, 0, "{out} {err}");
    let account = out["receipt"]["accounts"][0]["account"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(out["receipt"]["accounts"][0]["row"], 1);
    assert!(
        account > accounts[2].1,
        "the centre-wide sequence goes on: {account}"
    );
    staff_approves(&centre, out["receipt"]["serial"].as_str().unwrap());
    assert_eq!(person(&centre, &account).unwrap().2.status, "01");

    // The same people again: their IDs and mobiles now have open accounts.
    let (code, out, _) = run(centre
        .gjj(label)
        .args(["submit", "contributor-registration"])
        .arg(&file)
        .arg("--json"));
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (1, Some("RULES_VIOLATED")),
        "{out}"
    );
    let codes = issue_codes(&out, "error");
    for row in [5, 6, 7] {
        assert!(
            codes.contains(&(row, "证件号码".into(), "ID_NUMBER_IN_USE".into())),
            "{codes:?}"
        );
        assert!(
            codes.contains(&(row, "手机号码".into(), "MOBILE_IN_USE".into())),
            "{codes:?}"
        );
    }
}

#[test]
fn sheet_rule_violations_are_reported_before_anything_is_sent() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    let label = units::EMPLOYER_A;
    let now = today(&centre, label);
    let a = new_id("19900512", 41);
    let b = new_id("19900513", 42);
    let mut mismatch = Person::new("钱二", &new_id("19880101", 43), "13900000013", now);
    // The 17th digit of this ID is odd (男) and it encodes 198801.
    mismatch.sex = "女".to_owned();
    mismatch.birth = "198802".to_owned();
    let people = vec![
        Person::new("孙三", &a, "13900000011", now),
        // The same ID and the same mobile again.
        Person::new("孙三", &a, "13900000011", now),
        Person::new("李四", &b, "13900000012", Month::parse("201506").unwrap()),
        mismatch,
    ];
    let file = sheet(&centre, "问题.xlsx", &people);
    let (code, out, err) = run(centre
        .gjj(label)
        .args(["check", "contributor-registration"])
        .arg(&file)
        .arg("--json"));
    assert_eq!(code, 1, "{out} {err}");
    assert_eq!(
        issue_codes(&out, ""),
        vec![
            (6, "证件号码".into(), "DUPLICATE_ID_NUMBER".into()),
            (6, "手机号码".into(), "DUPLICATE_MOBILE".into()),
            (7, "首次汇缴年月".into(), "FIRST_MONTH_TOO_EARLY".into()),
            (8, "性别".into(), "SEX_MISMATCH".into()),
            (8, "出生年月".into(), "BIRTH_MONTH_MISMATCH".into()),
        ]
    );
    let messages = out["issues"].to_string();
    assert!(
        messages.contains("与第 5 行重复") && messages.contains("201507"),
        "{messages}"
    );
    assert!(!messages.contains(&a), "ID numbers stay out of messages");
    let (code, out, _) = run(centre
        .gjj(label)
        .args(["submit", "contributor-registration"])
        .arg(&file)
        .arg("--json"));
    assert_eq!(code, 1, "{out}");
    assert_eq!(count(&centre, "SELECT COUNT(*) FROM submissions"), 0);
    // The single form runs the same rules.
    let (code, out, _) = run(centre.gjj(label).args([
        "register",
        "--name",
        "钱二",
        "--id-number",
        &new_id("19880101", 43),
        "--sex",
        "女",
        "--mobile",
        "13900000013",
        "--base",
        "6000",
        "--first-month",
        &now.to_string(),
        "--json",
    ]));
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        issue_codes(&out, ""),
        vec![(1, "性别".into(), "SEX_MISMATCH".into())]
    );
    assert_eq!(count(&centre, "SELECT COUNT(*) FROM submissions"), 0);
}

fn lib_session(centre: &LocalCentre, label: &str) -> Session {
    let config = SessionConfig {
        server: centre.url(),
        trust: TrustBundle::from_pem_file(&centre.fixtures.ca_bundle()).unwrap(),
        timeout: Duration::from_secs(60),
    };
    Session::open(&config, gjj_tests::token_credential(&centre.fixtures, label)).unwrap()
}

fn wire_row(row: u32, id_number: &str, mobile: &str, first_month: Month) -> ContributorRegistrationRow {
    ContributorRegistrationRow {
        row,
        name: "冯五".into(),
        id_type: "01".into(),
        id_number: id_number.into(),
        sex: None,
        birth_month: None,
        mobile: mobile.into(),
        landline: None,
        base: Fen::from_yuan(6000),
        first_month,
        bank_account: None,
        bank_name: None,
        note: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_gateway_re_runs_the_rules_on_what_it_receives() {
    let fixtures = Fixtures::from_env();
    let centre = LocalCentre::start(&fixtures, Backend::Sqlite).unwrap();
    let session = lib_session(&centre, units::EMPLOYER_B);
    let outbox = Outbox::open(&centre.dir.path().join("lib-outbox.sqlite"))
        .await
        .unwrap();
    let now = session.me().await.unwrap().today;
    // What the client's own check would have stopped: the gateway must stop it too.
    let mut sex = wire_row(2, &new_id("19900101", 51), "13900000021", now);
    sex.sex = Some("2".into());
    let early = wire_row(
        3,
        &new_id("19900101", 53),
        "13900000022",
        Month::parse("201602").unwrap(),
    );
    let twin = wire_row(4, &new_id("19900101", 55), "13900000021", now);
    let payload = ContributorRegistration {
        rows: vec![sex, early, twin],
    };
    let err = session
        .submit(&outbox, "contributor_registration", &payload, 3)
        .await
        .unwrap_err();
    let ClientError::Api { status, body } = err else {
        panic!("{err:?}")
    };
    assert_eq!((status, body.code.as_str()), (422, "RULES_VIOLATED"));
    let codes: Vec<(u32, &str)> = body.issues.iter().map(|i| (i.row, i.code.as_str())).collect();
    assert_eq!(
        codes,
        vec![
            (2, "SEX_MISMATCH"),
            (3, "FIRST_MONTH_TOO_EARLY"),
            (4, "DUPLICATE_MOBILE")
        ]
    );
    let pool = centre.db().await.unwrap();
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contributor_registration_rows")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);
    let counter: Option<i64> = sqlx::query_scalar("SELECT value FROM counters WHERE name = 'person_account'")
        .fetch_optional(&pool)
        .await
        .unwrap();
    assert_eq!(counter, None, "a refused batch takes no account numbers");

    // A clean one; sent again under the same key (a resend after a lost answer) it gets the same receipt, with
    // the same accounts, and nothing is stored twice.
    let payload = ContributorRegistration {
        rows: vec![
            wire_row(2, &new_id("19900101", 51), "13900000021", now),
            wire_row(3, &new_id("19900101", 53), "13900000022", now),
        ],
    };
    let gjj_client::Submitted::Accepted { receipt, replayed } = session
        .submit(&outbox, "contributor_registration", &payload, 2)
        .await
        .unwrap();
    assert!(!replayed);
    assert_eq!(receipt.accounts.len(), 2);
    let uscc = session.credential().identity().uscc.clone().unwrap();
    let entry = outbox
        .entries(&uscc, None)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.idempotency_key == receipt.idempotency_key)
        .unwrap();
    let gjj_client::Submitted::Accepted {
        receipt: again,
        replayed,
    } = session.deliver(&outbox, &entry).await.unwrap();
    assert!(replayed);
    assert_eq!(again, receipt);
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contributor_registration_rows")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, 2);
}

#[test]
fn an_id_or_mobile_open_elsewhere_in_the_centre_is_refused_without_saying_where() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    let now = today(&centre, units::EMPLOYER_A);
    let others = rt().block_on(centre.active_employees(units::EMPLOYER_B)).unwrap();
    let stranger = &others[0];
    let sealed: String = rt().block_on(async {
        let pool = centre.db().await.unwrap();
        sqlx::query_scalar(
            "SELECT id_number FROM persons WHERE unit_account = $1 AND status = '02' ORDER BY account LIMIT 1",
        )
        .bind(UNIT_B_ACCOUNT)
        .fetch_one(&pool)
        .await
        .unwrap()
    });
    let people = vec![
        // 正常 in 衡阳蒸湘机械 (seeded).
        Person::new("陌生人", &stranger.id_number, "13900000031", now),
        // 封存 there: still an open account.
        Person::new("封存人", &sealed, "13900000032", now),
    ];
    let file = sheet(&centre, "他单位.xlsx", &people);
    let (code, out, err) = run(centre
        .gjj(units::EMPLOYER_A)
        .args(["submit", "contributor-registration"])
        .arg(&file)
        .arg("--json"));
    assert_eq!(code, 1, "{out} {err}");
    assert_eq!(
        issue_codes(&out, "error"),
        vec![
            (5, "证件号码".into(), "ID_NUMBER_IN_USE".into()),
            (6, "证件号码".into(), "ID_NUMBER_IN_USE".into()),
        ]
    );
    let text = out.to_string();
    for secret in [
        units::EMPLOYER_B,
        UNIT_B_ACCOUNT,
        stranger.account.as_str(),
        stranger.name.as_str(),
        stranger.id_number.as_str(),
    ] {
        assert!(!text.contains(secret), "the refusal reveals {secret}: {text}");
    }
    assert_eq!(count(&centre, "SELECT COUNT(*) FROM submissions"), 0);

    // Once that account is closed (04 外部转出销户) the person can be registered here.
    execute(
        &centre,
        &format!(
            "UPDATE persons SET status = '04' WHERE id_number = '{}'",
            stranger.id_number
        ),
    );
    let file = sheet(
        &centre,
        "调入.xlsx",
        &[Person::new("陌生人", &stranger.id_number, "13900000031", now)],
    );
    let (code, out, err) = run(centre
        .gjj(units::EMPLOYER_A)
        .args(["submit", "contributor-registration"])
        .arg(&file)
        .arg("--json"));
    assert_eq!(code, 0, "{out} {err}");
    let serial = out["receipt"]["serial"].as_str().unwrap().to_owned();

    // That registration is still under review: unit B cannot register the same ID or use the same mobile.
    let (code, out, _) = run(centre.gjj(units::EMPLOYER_B).args([
        "register",
        "--name",
        "陌生人",
        "--id-number",
        &stranger.id_number,
        "--mobile",
        "13900000031",
        "--base",
        "6000",
        "--first-month",
        &now.to_string(),
        "--json",
    ]));
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        issue_codes(&out, "error"),
        vec![
            (1, "证件号码".into(), "ID_NUMBER_IN_USE".into()),
            (1, "手机号码".into(), "MOBILE_IN_USE".into()),
        ]
    );
    assert!(!out.to_string().contains(units::EMPLOYER_A), "{out}");

    // The old account reopened before the centre reviewed the registration: approval is refused, nothing opened.
    execute(
        &centre,
        &format!(
            "UPDATE persons SET status = '01' WHERE id_number = '{}'",
            stranger.id_number
        ),
    );
    let (code, out, _) = run(centre
        .gjj_pfx("staff")
        .args(["review", "approve", &serial, "--json"]));
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (1, Some("ID_NUMBER_IN_USE")),
        "{out}"
    );
    let (_, view, _) = run(centre.gjj(units::EMPLOYER_A).args(["status", &serial, "--json"]));
    assert_eq!(view["status_label"], "已受理");
    assert_eq!(
        count(
            &centre,
            &format!(
                "SELECT COUNT(*) FROM persons WHERE id_number = '{}'",
                stranger.id_number
            )
        ),
        1
    );
}

#[test]
fn registration_runs_on_postgresql() {
    let server = std::env::var(gjj_tests::POSTGRES_ENV).unwrap_or_else(|_| {
        panic!(
            "{} is not set: run with `cargo xtask test` (it starts PostgreSQL)",
            gjj_tests::POSTGRES_ENV
        )
    });
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Postgres(server)).unwrap();
    let label = units::EMPLOYER_C;
    let now = today(&centre, label);
    let people = vec![
        Person::new("卫六", &new_id("19920202", 61), "13900000041", now),
        Person::new("蒋七", &new_id("19930303", 62), "13900000042", now),
    ];
    let file = sheet(&centre, "pg.xlsx", &people);
    let (code, out, err) = run(centre
        .gjj(label)
        .args(["submit", "contributor-registration"])
        .arg(&file)
        .arg("--json"));
    assert_eq!(code, 0, "{out} {err}");
    let serial = out["receipt"]["serial"].as_str().unwrap().to_owned();
    let accounts: Vec<String> = out["receipt"]["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["account"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(accounts.len(), 2);
    staff_approves(&centre, &serial);
    for a in &accounts {
        let (_, _, stored) = person(&centre, a).unwrap();
        // 衡阳石鼓物流: 8% + 8% of 6000 元.
        assert_eq!(
            (stored.status.as_str(), stored.unit_amount, stored.person_amount),
            ("01", 48_000, 48_000)
        );
    }
    // The uniqueness lookups (UNION with shared parameters) on this backend.
    let (code, out, _) = run(centre
        .gjj(units::EMPLOYER_A)
        .args(["submit", "contributor-registration"])
        .arg(&file)
        .arg("--json"));
    assert_eq!(code, 1, "{out}");
    let codes = issue_codes(&out, "error");
    assert_eq!(codes.len(), 4, "{codes:?}");
}

/// A client that is not ours: OpenSSL signs the payload (CMS, detached, the .pfx's key) and curl sends it over
/// mutual TLS. The gateway stores it once, with a 个人账号 per row on its receipt and in its table, and answers a
/// resend under the same key with that receipt.
#[test]
fn a_foreign_client_registers_with_openssl_and_curl() {
    use std::process::Command;
    let fixtures = Fixtures::from_env();
    let centre = LocalCentre::start(&fixtures, Backend::Sqlite).unwrap();
    let now = today(&centre, units::EMPLOYER_A);
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("employer-a.pem");
    // The dev .pfx is written with legacy RC2 (as older CA tools do): OpenSSL 3 needs its legacy provider.
    gjj_tests::run_ok(
        Command::new("openssl")
            .args(["pkcs12", "-legacy", "-nodes", "-passin", "pass:123456", "-in"])
            .arg(fixtures.pfx("employer-a-soft"))
            .arg("-out")
            .arg(&pem),
    );
    let body = dir.path().join("body.json");
    let payload = ContributorRegistration {
        rows: vec![
            wire_row(5, &new_id("19900101", 71), "13900000071", now),
            wire_row(6, &new_id("19910202", 72), "13900000072", now),
        ],
    };
    std::fs::write(&body, serde_json::to_vec(&payload).unwrap()).unwrap();
    let p7s = dir.path().join("body.p7s");
    gjj_tests::run_ok(
        Command::new("openssl")
            .args(["cms", "-sign", "-binary", "-outform", "DER", "-in"])
            .arg(&body)
            .arg("-signer")
            .arg(&pem)
            .arg("-out")
            .arg(&p7s),
    );
    let signature = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        std::fs::read(&p7s).unwrap(),
    );
    let curl = || {
        let out = Command::new("curl")
            .args(["-sS", "--max-time", "60", "-w", "\n%{http_code}", "--cacert"])
            .arg(fixtures.ca_bundle())
            .arg("--cert")
            .arg(&pem)
            .args(["-H", "Content-Type: application/json"])
            .args(["-H", "Idempotency-Key: foreign-client-0001"])
            .args(["-H", "X-Gjj-Signature-Format: cms"])
            .args(["-H", &format!("X-Gjj-Signature: {signature}")])
            .arg("--data-binary")
            .arg(format!("@{}", body.display()))
            .arg(format!("{}/api/v1/contributor_registration", centre.url()))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (json, status) = text.rsplit_once('\n').unwrap();
        (status.to_owned(), serde_json::from_str::<Value>(json).unwrap())
    };
    let (status, receipt) = curl();
    assert_eq!(status, "201", "{receipt}");
    let serial = receipt["serial"].as_str().unwrap().to_owned();
    let accounts: Vec<&str> = receipt["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["account"].as_str().unwrap())
        .collect();
    assert_eq!(accounts.len(), 2);
    assert_ne!(accounts[0], accounts[1]);
    for (row, account) in [5, 6].iter().zip(&accounts) {
        let stored = count(
            &centre,
            &format!(
                "SELECT COUNT(*) FROM contributor_registration_rows WHERE serial = '{serial}' \
                 AND row_no = {row} AND person_account = '{account}'"
            ),
        );
        assert_eq!(stored, 1, "row {row} → {account}");
    }
    // The same request again: the first receipt, nothing stored twice.
    let (status, again) = curl();
    assert_eq!(status, "200", "{again}");
    assert_eq!(again["serial"], receipt["serial"]);
    assert_eq!(again["accounts"], receipt["accounts"]);
    assert_eq!(
        count(
            &centre,
            &format!("SELECT COUNT(*) FROM contributor_registration_rows WHERE serial = '{serial}'")
        ),
        2
    );
}
