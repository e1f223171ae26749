//! 缴存人信息变更 end to end over mutual TLS with the SoftHSM tokens against the real gateway: a form changing a
//! mobile and a batch sheet changing an ID number are accepted, staff approval writes the persons (the derived
//! 性别/出生年月 with the new 身份证); a stale old value, a new ID open in another unit (named nowhere), a
//! duplicate new mobile within a batch and another unit's person are refused and store nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use gjj_client::{ClientError, Outbox, Session, SessionConfig, Submitted};
use gjj_domain::contributor_change::{ContributorChange, ContributorChangeRow, FieldChange};
use gjj_domain::ids::id_check_char;
use gjj_domain::issue::Issue;
use gjj_pki::TrustBundle;
use gjj_sheets::contributor_change::{template_workbook, TemplateOptions, FIRST_DATA_ROW, SHEET_NAME};
use gjj_tests::{token_credential, units, Backend, Fixtures, LocalCentre};
use rust_xlsxwriter::Format;
use serde_json::Value;

fn run(cmd: &mut Command) -> (i32, Value, String) {
    let out = cmd.output().expect("run gjj");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_str(text.trim()).unwrap_or(Value::String(text)),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn scalar(centre: &LocalCentre, sql: &str) -> i64 {
    rt().block_on(async {
        let pool = centre.db().await.unwrap();
        sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await.unwrap()
    })
}

fn text(centre: &LocalCentre, sql: &str) -> Option<String> {
    rt().block_on(async {
        let pool = centre.db().await.unwrap();
        sqlx::query_scalar::<_, Option<String>>(sql)
            .fetch_one(&pool)
            .await
            .unwrap()
    })
}

fn execute(centre: &LocalCentre, sql: &str) {
    rt().block_on(async {
        let pool = centre.db().await.unwrap();
        sqlx::query(sql).execute(&pool).await.unwrap();
    });
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
    let config = SessionConfig {
        server: centre.url(),
        trust: TrustBundle::from_pem_file(&centre.fixtures.ca_bundle()).unwrap(),
        timeout: Duration::from_secs(60),
    };
    Session::open(&config, token_credential(&centre.fixtures, label)).unwrap()
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
