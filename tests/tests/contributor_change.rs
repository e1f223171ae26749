//! 缴存人信息变更 end to end over mutual TLS with the SoftHSM tokens against the real gateway: a form changing a
//! mobile and a batch sheet changing an ID number are accepted, staff approval writes the persons (the derived
//! 性别/出生年月 with the new 身份证); a stale old value, a new ID open in another unit (named nowhere), a
//! duplicate new mobile within a batch and another unit's person are refused and store nothing; a closed (销户)
//! account is refused while a 封存 one may still correct its data; a value changed between submission and approval
//! makes the approval fail (409) with nothing applied; the main flow also runs on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use gjj_client::{ClientError, Outbox, ReviewAction, Session, SessionConfig, Submitted};
use gjj_domain::contributor_change::{ContributorChange, ContributorChangeRow, FieldChange};
use gjj_domain::ids::id_check_char;
use gjj_domain::issue::Issue;
use gjj_pki::TrustBundle;
use gjj_sheets::contributor_change::{template_workbook, TemplateOptions, FIRST_DATA_ROW, SHEET_NAME};
use gjj_tests::{execute, run_gjj as run, runtime as rt, scalar};
use gjj_tests::{token_credential, units, Backend, Fixtures, LocalCentre};
use rust_xlsxwriter::Format;
use serde_json::Value;

fn text(centre: &LocalCentre, sql: &str) -> Option<String> {
    rt().block_on(async {
        let pool = centre.db().await.unwrap();
        sqlx::query_scalar::<_, Option<String>>(sql)
            .fetch_one(&pool)
            .await
            .unwrap()
    })
}

/// A valid 身份证号码 outside the demo centre's regions, so it collides with no seeded person.
fn new_id(seq: u32) -> String {
    let first17 = format!("11010119900307{seq:03}");
    format!("{first17}{}", id_check_char(&first17).unwrap())
}

/// The first 正常 person of a unit: (个人账号, 姓名, 证件号码).
fn first_person(centre: &LocalCentre, unit: &str, skip: usize) -> (String, String, String) {
    let people = rt().block_on(centre.active_employees(unit)).unwrap();
    let e = &people[skip];
    (e.account.clone(), e.name.clone(), e.id_number.clone())
}

fn staff_approve(centre: &LocalCentre, serial: &str) -> (i32, Value, String) {
    run(centre
        .gjj_pfx("staff")
        .args(["review", "approve", serial, "--json"]))
}

fn session(centre: &LocalCentre, label: &str) -> Session {
    session_as(centre, token_credential(&centre.fixtures, label))
}

fn session_as(centre: &LocalCentre, credential: gjj_pki::Credential) -> Session {
    let config = SessionConfig {
        server: centre.url(),
        trust: TrustBundle::from_pem_file(&centre.fixtures.ca_bundle()).unwrap(),
        timeout: Duration::from_secs(60),
    };
    Session::open(&config, credential).unwrap()
}

/// Centre staff in this process, to see the HTTP status of a refused approval.
fn staff_session(centre: &LocalCentre) -> Session {
    let pfx = gjj_pki::pfx::load_pfx(&centre.fixtures.pfx("staff"), gjj_tests::DEV_PIN).unwrap();
    session_as(centre, pfx)
}

/// `gjj submit contributor-change --account … --set …` (the form).
fn submit_form(centre: &LocalCentre, unit: &str, account: &str, set: &str) -> (i32, Value, String) {
    run(centre.gjj(unit).args([
        "submit",
        "contributor-change",
        "--account",
        account,
        "--set",
        set,
        "--json",
    ]))
}

fn submission_status(centre: &LocalCentre, serial: &str) -> Option<String> {
    text(
        centre,
        &format!("SELECT status FROM submissions WHERE serial = '{serial}'"),
    )
}

fn refusal(result: Result<Submitted, ClientError>) -> (u16, String, Vec<Issue>) {
    match result {
        Err(ClientError::Api { status, body }) => (status, body.code, body.issues),
        Err(other) => panic!("expected the centre's refusal, got {other}"),
        Ok(Submitted::Accepted { receipt, .. }) => panic!("accepted {}", receipt.serial),
    }
}

fn codes(issues: &[Issue]) -> Vec<(u32, String, String)> {
    issues
        .iter()
        .map(|i| (i.row, i.column.clone(), i.code.as_str().to_owned()))
        .collect()
}

/// Writes a 缴存人信息变更 sheet: (个人账号, 姓名, 证件号码, 新证件号码, 新手机号码) per row.
fn write_sheet(path: &Path, rows: &[(&str, &str, &str, &str, &str)]) {
    let mut wb = template_workbook(&TemplateOptions::default()).unwrap();
    let ws = wb.worksheet_from_name(SHEET_NAME).unwrap();
    let t = Format::new().set_num_format("@");
    for (i, (account, name, id, new_id, mobile)) in rows.iter().enumerate() {
        let r = FIRST_DATA_ROW + u32::try_from(i).unwrap();
        ws.write_number(r, 0, (i + 1) as f64).unwrap();
        ws.write_string_with_format(r, 1, *account, &t).unwrap();
        ws.write_string(r, 2, *name).unwrap();
        ws.write_string_with_format(r, 3, *id, &t).unwrap();
        if !new_id.is_empty() {
            ws.write_string_with_format(r, 6, *new_id, &t).unwrap();
        }
        if !mobile.is_empty() {
            ws.write_string_with_format(r, 9, *mobile, &t).unwrap();
        }
    }
    wb.save(path).unwrap();
}

#[test]
fn a_mobile_and_an_id_change_are_applied_on_approval_and_bad_ones_refused() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    let a = units::EMPLOYER_A;
    let (acc1, name1, id1) = first_person(&centre, a, 0);
    let (acc2, name2, id2) = first_person(&centre, a, 1);
    let (acc3, name3, id3) = first_person(&centre, a, 2);
    let (other_acc, other_name, other_id) = first_person(&centre, units::EMPLOYER_B, 0);

    // The record a form starts from.
    let (code, shown, err) = run(centre.gjj(a).args(["employee", "show", &acc1, "--json"]));
    assert_eq!(code, 0, "{shown} {err}");
    assert_eq!(shown["id_number"], id1.as_str());
    // Another unit's person: the same answer as an unknown account.
    let (code, out, _) = run(centre.gjj(a).args(["employee", "show", &other_acc, "--json"]));
    let (code2, out2, _) = run(centre
        .gjj(a)
        .args(["employee", "show", "9999999999999", "--json"]));
    // A 404 is not a rule refusal: exit 2, as for any other error the centre answers.
    assert_eq!((code, code2), (2, 2), "{out} {out2}");
    assert_eq!(out["error"]["code"], "PERSON_NOT_IN_UNIT");
    assert_eq!(
        out["error"]["message"].as_str().unwrap().replace(&other_acc, "X"),
        out2["error"]["message"]
            .as_str()
            .unwrap()
            .replace("9999999999999", "X")
    );

    // 1. The form: a new mobile.
    let (code, out, err) = run(centre.gjj(a).args([
        "submit",
        "contributor-change",
        "--account",
        &acc1,
        "--set",
        "手机号码=138 0734 5678",
        "--json",
    ]));
    assert_eq!(code, 0, "{out} {err}");
    let serial1 = out["receipt"]["serial"].as_str().unwrap().to_owned();
    assert_eq!(
        scalar(
            &centre,
            &format!("SELECT COUNT(*) FROM contributor_change_rows WHERE serial = '{serial1}'")
        ),
        1
    );
    // One open 缴存人信息变更 per unit.
    let dir = tempfile::tempdir().unwrap();
    let sheet = dir.path().join("变更.xlsx");
    let nid = new_id(1);
    write_sheet(&sheet, &[(&acc2, &name2, &id2, &nid, "")]);
    let (code, out, _) =
        run(centre
            .gjj(a)
            .args(["submit", "contributor-change", sheet.to_str().unwrap(), "--json"]));
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (1, Some("BUSINESS_OPEN")),
        "{out}"
    );
    let (code, out, err) = staff_approve(&centre, &serial1);
    assert_eq!(
        (code, out["status_label"].as_str()),
        (0, Some("已办结")),
        "{out} {err}"
    );
    assert_eq!(
        text(
            &centre,
            &format!("SELECT mobile FROM persons WHERE account = '{acc1}'")
        )
        .as_deref(),
        Some("13807345678")
    );

    // 2. The batch: an ID-number change (old number in 证件号码, new in 新证件号码).
    let (code, out, err) =
        run(centre
            .gjj(a)
            .args(["check", "contributor-change", sheet.to_str().unwrap(), "--json"]));
    assert_eq!(code, 0, "{out} {err}");
    let (code, out, err) =
        run(centre
            .gjj(a)
            .args(["submit", "contributor-change", sheet.to_str().unwrap(), "--json"]));
    assert_eq!(code, 0, "{out} {err}");
    let serial2 = out["receipt"]["serial"].as_str().unwrap().to_owned();
    let (code, out, err) = staff_approve(&centre, &serial2);
    assert_eq!(
        (code, out["status_label"].as_str()),
        (0, Some("已办结")),
        "{out} {err}"
    );
    assert_eq!(
        text(
            &centre,
            &format!("SELECT id_number FROM persons WHERE account = '{acc2}'")
        )
        .as_deref(),
        Some(nid.as_str())
    );
    // 性别/出生年月 follow the new 身份证 (born 199003, the 17th digit 1 → 男).
    assert_eq!(
        text(
            &centre,
            &format!("SELECT birth_month FROM persons WHERE account = '{acc2}'")
        )
        .as_deref(),
        Some("199003")
    );
    assert_eq!(
        text(
            &centre,
            &format!("SELECT sex FROM persons WHERE account = '{acc2}'")
        )
        .as_deref(),
        Some("1")
    );

    // 3. A stale old value (the form was filled before the change above).
    let s = session(&centre, a);
    let outbox = rt()
        .block_on(Outbox::open(&dir.path().join("outbox.sqlite")))
        .unwrap();
    let stale = ContributorChange {
        rows: vec![ContributorChangeRow {
            row: 1,
            account: acc1.clone(),
            name: name1.clone(),
            id_number: id1.clone(),
            changes: vec![FieldChange {
                field: "mobile".into(),
                old: None,
                new: Some("13907349999".into()),
            }],
            olds: true,
            note: None,
        }],
    };
    let (status, code, issues) = refusal(rt().block_on(s.submit(&outbox, "contributor_change", &stale, 1)));
    assert_eq!((status, code.as_str()), (422, "RULES_VIOLATED"));
    assert_eq!(
        codes(&issues),
        vec![(1, "新手机号码".to_owned(), "CONTRIBUTOR_CHANGE_STALE".to_owned())]
    );
    assert!(issues[0].message.contains("重新获取"), "{}", issues[0].message);

    // 4. A new ID open in another unit: refused without a word about where; another unit's person refused as
    // unknown; a new mobile twice in one sheet.
    let sheet2 = dir.path().join("变更2.xlsx");
    write_sheet(
        &sheet2,
        &[
            (&acc3, &name3, &id3, &other_id, ""),
            (&other_acc, &other_name, &other_id, "", "13607341111"),
            (&acc1, &name1, &id1, "", "13607342222"),
            (&acc2, &name2, &nid, "", "13607342222"),
        ],
    );
    let (code, out, err) =
        run(centre
            .gjj(a)
            .args(["submit", "contributor-change", sheet2.to_str().unwrap(), "--json"]));
    assert_eq!(code, 1, "{out} {err}");
    let got: Vec<(u64, String, String)> = out["error"]["issues"]
        .as_array()
        .unwrap_or_else(|| out["issues"].as_array().unwrap())
        .iter()
        .map(|i| {
            (
                i["row"].as_u64().unwrap(),
                i["column"].as_str().unwrap().to_owned(),
                i["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    // The client already sees the duplicate mobile; the rest is the centre's.
    assert!(
        got.contains(&(8, "新手机号码".to_owned(), "DUPLICATE_MOBILE".to_owned())),
        "{got:?}"
    );
    let body = out.to_string();
    assert!(!body.contains(units::EMPLOYER_B), "{body}");
    // Send the three rows without the duplicate: the centre refuses the others.
    write_sheet(
        &sheet2,
        &[
            (&acc3, &name3, &id3, &other_id, ""),
            (&other_acc, &other_name, &other_id, "", "13607341111"),
        ],
    );
    let (code, out, err) =
        run(centre
            .gjj(a)
            .args(["submit", "contributor-change", sheet2.to_str().unwrap(), "--json"]));
    assert_eq!(code, 1, "{out} {err}");
    let issues: Vec<Issue> = serde_json::from_value(out["error"]["issues"].clone()).unwrap();
    assert_eq!(
        codes(&issues),
        vec![
            (5, "新证件号码".to_owned(), "ID_NUMBER_IN_USE".to_owned()),
            (6, "个人账号".to_owned(), "PERSON_NOT_IN_UNIT".to_owned()),
        ]
    );
    let all = out.to_string();
    assert!(
        !all.contains(units::EMPLOYER_B) && !all.contains(&other_name),
        "{all}"
    );
    assert_eq!(
        scalar(&centre, "SELECT COUNT(*) FROM contributor_change_rows"),
        4,
        "the mobile change (1) and the ID change with its derived 性别/出生年月 (3); nothing of the refused ones"
    );

    // 5. Approval re-checks: the new mobile went to another open account meanwhile → 409, nothing applied.
    let (code, out, err) = run(centre.gjj(a).args([
        "submit",
        "contributor-change",
        "--account",
        &acc3,
        "--set",
        "SJHM=13607343333",
        "--json",
    ]));
    assert_eq!(code, 0, "{out} {err}");
    let serial3 = out["receipt"]["serial"].as_str().unwrap().to_owned();
    execute(
        &centre,
        &format!("UPDATE persons SET mobile = '13607343333' WHERE account = '{other_acc}'"),
    );
    let (code, out, err) = staff_approve(&centre, &serial3);
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (1, Some("MOBILE_IN_USE")),
        "{out} {err}"
    );
    assert!(!out.to_string().contains(&other_acc));
    assert_ne!(
        text(
            &centre,
            &format!("SELECT mobile FROM persons WHERE account = '{acc3}'")
        )
        .as_deref(),
        Some("13607343333")
    );
}

#[test]
fn a_closed_account_is_refused_and_a_sealed_one_may_still_change() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    let a = units::EMPLOYER_A;
    let (closed, _, _) = first_person(&centre, a, 0);
    let (sealed, _, _) = first_person(&centre, a, 1);
    // 04 外部转出销户 (附A.6): the account is closed.
    execute(
        &centre,
        &format!("UPDATE persons SET status = '04' WHERE account = '{closed}'"),
    );
    let (code, out, err) = submit_form(&centre, a, &closed, "手机号码=13607345001");
    assert_eq!(code, 1, "{out} {err}");
    assert_eq!(out["error"]["code"], "RULES_VIOLATED", "{out}");
    let issues: Vec<Issue> = serde_json::from_value(out["error"]["issues"].clone()).unwrap();
    assert_eq!(
        codes(&issues),
        vec![(1, "个人账号".to_owned(), "PERSON_NOT_ACTIVE".to_owned())]
    );
    assert!(issues[0].message.contains("已销户"), "{}", issues[0].message);
    assert_eq!(
        scalar(
            &centre,
            "SELECT COUNT(*) FROM submissions WHERE business = 'contributor_change'"
        ),
        0
    );
    assert_eq!(scalar(&centre, "SELECT COUNT(*) FROM contributor_change_rows"), 0);
    assert_ne!(
        text(
            &centre,
            &format!("SELECT mobile FROM persons WHERE account = '{closed}'")
        )
        .as_deref(),
        Some("13607345001")
    );

    // 02 封存 is not closed: the person may still correct their data, as at a real counter.
    execute(
        &centre,
        &format!("UPDATE persons SET status = '02' WHERE account = '{sealed}'"),
    );
    let (code, out, err) = submit_form(&centre, a, &sealed, "手机号码=13607345002");
    assert_eq!(code, 0, "{out} {err}");
    let serial = out["receipt"]["serial"].as_str().unwrap().to_owned();
    let (code, out, err) = staff_approve(&centre, &serial);
    assert_eq!(
        (code, out["status_label"].as_str()),
        (0, Some("已办结")),
        "{out} {err}"
    );
    assert_eq!(
        text(
            &centre,
            &format!("SELECT mobile FROM persons WHERE account = '{sealed}'")
        )
        .as_deref(),
        Some("13607345002")
    );
}

#[test]
fn approval_refuses_a_value_changed_since_submission_and_applies_nothing() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    let a = units::EMPLOYER_A;
    let (acc1, name1, id1) = first_person(&centre, a, 0);
    let (acc2, name2, id2) = first_person(&centre, a, 1);
    let mobile_before = text(
        &centre,
        &format!("SELECT mobile FROM persons WHERE account = '{acc1}'"),
    );
    // A batch of two: a new mobile, then a new salary card. The gateway records the values they replace.
    let dir = tempfile::tempdir().unwrap();
    let sheet = dir.path().join("变更.xlsx");
    {
        let mut wb = template_workbook(&TemplateOptions::default()).unwrap();
        let ws = wb.worksheet_from_name(SHEET_NAME).unwrap();
        let t = Format::new().set_num_format("@");
        let r = FIRST_DATA_ROW;
        for (i, (account, name, id)) in [(&acc1, &name1, &id1), (&acc2, &name2, &id2)]
            .into_iter()
            .enumerate()
        {
            let r = r + u32::try_from(i).unwrap();
            ws.write_number(r, 0, (i + 1) as f64).unwrap();
            ws.write_string_with_format(r, 1, account.as_str(), &t).unwrap();
            ws.write_string(r, 2, name.as_str()).unwrap();
            ws.write_string_with_format(r, 3, id.as_str(), &t).unwrap();
        }
        ws.write_string_with_format(r, 9, "13607346001", &t).unwrap();
        ws.write_string_with_format(r + 1, 11, "6217002920107654321", &t)
            .unwrap();
        wb.save(&sheet).unwrap();
    }
    let (code, out, err) =
        run(centre
            .gjj(a)
            .args(["submit", "contributor-change", sheet.to_str().unwrap(), "--json"]));
    assert_eq!(code, 0, "{out} {err}");
    let serial = out["receipt"]["serial"].as_str().unwrap().to_owned();
    assert_eq!(
        scalar(
            &centre,
            &format!("SELECT COUNT(*) FROM contributor_change_rows WHERE serial = '{serial}'")
        ),
        2
    );
    let status_before = submission_status(&centre, &serial);

    // Meanwhile the centre's counter records another card for the second person.
    execute(
        &centre,
        &format!("UPDATE persons SET bank_account = '6222021234500001111' WHERE account = '{acc2}'"),
    );
    let staff = staff_session(&centre);
    let refused = rt().block_on(staff.review(&serial, ReviewAction::Approve));
    match refused {
        Err(ClientError::Api { status, body }) => {
            assert_eq!(
                (status, body.code.as_str()),
                (409, "CONTRIBUTOR_CHANGE_STALE"),
                "{}",
                body.message
            );
            assert!(body.message.contains(&serial), "{}", body.message);
            assert!(body.message.contains("个人存款账户号码"), "{}", body.message);
        }
        other => panic!("expected a 409, got {other:?}"),
    }
    // Nothing applied, not even the first row's mobile, and the submission still awaits a decision.
    assert_eq!(
        text(
            &centre,
            &format!("SELECT mobile FROM persons WHERE account = '{acc1}'")
        ),
        mobile_before
    );
    assert_eq!(
        text(
            &centre,
            &format!("SELECT bank_account FROM persons WHERE account = '{acc2}'")
        )
        .as_deref(),
        Some("6222021234500001111")
    );
    assert_eq!(submission_status(&centre, &serial), status_before);
    // The CLI says the same to staff.
    let (code, out, err) = staff_approve(&centre, &serial);
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (1, Some("CONTRIBUTOR_CHANGE_STALE")),
        "{out} {err}"
    );
}

#[test]
fn contributor_change_runs_on_postgresql() {
    let server = std::env::var(gjj_tests::POSTGRES_ENV).unwrap_or_else(|_| {
        panic!(
            "{} is not set: run with `cargo xtask test` (it starts PostgreSQL)",
            gjj_tests::POSTGRES_ENV
        )
    });
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Postgres(server)).unwrap();
    let a = units::EMPLOYER_A;
    let (acc1, _, _) = first_person(&centre, a, 0);
    let (acc2, name2, id2) = first_person(&centre, a, 1);

    // The form: a new mobile, approved and written with the same portable SQL.
    let (code, out, err) = submit_form(&centre, a, &acc1, "SJHM=13807346001");
    assert_eq!(code, 0, "{out} {err}");
    let serial1 = out["receipt"]["serial"].as_str().unwrap().to_owned();
    assert_eq!(
        scalar(
            &centre,
            &format!("SELECT COUNT(*) FROM contributor_change_rows WHERE serial = '{serial1}'")
        ),
        1
    );
    // One open 缴存人信息变更 per unit on this backend too.
    let (code, out, _) = submit_form(&centre, a, &acc2, "SJHM=13807346002");
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (1, Some("BUSINESS_OPEN")),
        "{out}"
    );
    let (code, out, err) = staff_approve(&centre, &serial1);
    assert_eq!(
        (code, out["status_label"].as_str()),
        (0, Some("已办结")),
        "{out} {err}"
    );
    assert_eq!(
        text(
            &centre,
            &format!("SELECT mobile FROM persons WHERE account = '{acc1}'")
        )
        .as_deref(),
        Some("13807346001")
    );

    // The batch: an ID change with its derived 性别/出生年月 (the in-use queries run on PostgreSQL).
    let dir = tempfile::tempdir().unwrap();
    let sheet = dir.path().join("变更.xlsx");
    let nid = new_id(7);
    write_sheet(&sheet, &[(&acc2, &name2, &id2, &nid, "")]);
    let (code, out, err) =
        run(centre
            .gjj(a)
            .args(["submit", "contributor-change", sheet.to_str().unwrap(), "--json"]));
    assert_eq!(code, 0, "{out} {err}");
    let serial2 = out["receipt"]["serial"].as_str().unwrap().to_owned();
    let (code, out, err) = staff_approve(&centre, &serial2);
    assert_eq!(
        (code, out["status_label"].as_str()),
        (0, Some("已办结")),
        "{out} {err}"
    );
    let row = |column: &str| {
        text(
            &centre,
            &format!("SELECT {column} FROM persons WHERE account = '{acc2}'"),
        )
    };
    assert_eq!(row("id_number").as_deref(), Some(nid.as_str()));
    assert_eq!(row("birth_month").as_deref(), Some("199003"));
    assert_eq!(row("sex").as_deref(), Some("1"));
}
