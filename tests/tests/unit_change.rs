//! 单位信息变更 end to end over mTLS with SoftHSM tokens: `gjj unit show`, a diff from the CLI, the centre's
//! re-check against its own record (stale old values, the 统一社会信用代码 refused, every field's rule), staff
//! approval writing the record (and refusing when the record moved meanwhile), and a developer certificate refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use gjj_client::{ClientError, Outbox, Session, SessionConfig, Submitted};
use gjj_domain::issue::Issue;
use gjj_domain::unit_change::{FieldChange, UnitChange};
use gjj_pki::TrustBundle;
use gjj_tests::{run_gjj as run, runtime as rt, scalar};
use gjj_tests::{token_credential, units, Backend, Fixtures, LocalCentre};
use serde_json::Value;

fn execute(centre: &LocalCentre, sql: &str) {
    rt().block_on(async {
        let pool = centre.db().await.unwrap();
        sqlx::query(sql).execute(&pool).await.unwrap();
    })
}

fn session(centre: &LocalCentre, label: &str) -> Session {
    let config = SessionConfig {
        server: centre.url(),
        trust: TrustBundle::from_pem_file(&centre.fixtures.ca_bundle()).unwrap(),
        timeout: Duration::from_secs(60),
    };
    Session::open(&config, token_credential(&centre.fixtures, label)).unwrap()
}

fn change(field: &str, old: Option<&str>, new: Option<&str>) -> FieldChange {
    FieldChange {
        field: field.into(),
        old: old.map(Into::into),
        new: new.map(Into::into),
    }
}

/// The centre's refusal: (HTTP status, code, issues).
fn refusal(result: Result<Submitted, ClientError>) -> (u16, String, Vec<Issue>) {
    match result {
        Err(ClientError::Api { status, body }) => (status, body.code, body.issues),
        Err(other) => panic!("expected the centre's refusal, got {other}"),
        Ok(Submitted::Accepted { receipt, .. }) => panic!("accepted {}", receipt.serial),
    }
}

fn show(centre: &LocalCentre, label: &str) -> Value {
    let (code, out, err) = run(centre.gjj(label).args(["unit", "show", "--json"]));
    assert_eq!(code, 0, "{out} {err}");
    out
}

#[test]
fn the_unit_record_is_shown_changed_by_a_diff_and_written_on_approval() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    let label = units::EMPLOYER_A;

    // The centre's current values, from the demo seed.
    let before = show(&centre, label);
    assert_eq!(before["account"], "9815070100001");
    assert_eq!(before["uscc"], "91430405MA4PYC0138");
    assert_eq!(before["name"], units::EMPLOYER_A);
    assert_eq!(before["address"], "衡阳市雁峰区先锋路 18 号");
    assert_eq!(before["agent_mobile"], "13907341234");
    assert_eq!(before["agent_landline"], "0734-8123456");
    assert_eq!(before["fax"], Value::Null);
    assert_eq!(before["trustee_bank_code"], "105");
    // On screen every field is listed with its keys; 证件号码 are masked.
    let (code, text, _) = run(centre.gjj(label).args(["unit", "show"]));
    let text = text.as_str().unwrap().to_owned();
    assert_eq!(code, 0);
    assert!(
        text.contains("单位地址（address / DWDZ）：衡阳市雁峰区先锋路 18 号"),
        "{text}"
    );
    assert!(text.contains("传真号码（fax / CZHM）：（未登记）"), "{text}");
    assert!(
        !text.contains(before["agent_id_number"].as_str().unwrap()),
        "{text}"
    );

    // --dry-run checks against the centre's record and sends nothing.
    let (code, out, _) = run(centre.gjj(label).args([
        "submit",
        "unit-change",
        "--set",
        "DWYB=421002",
        "--dry-run",
        "--json",
    ]));
    assert_eq!((code, out["ok"].as_bool()), (0, Some(true)), "{out}");
    assert_eq!(scalar(&centre, "SELECT COUNT(*) FROM submissions"), 0);

    // Keys by pinyin, label or snake_case; values normalised (full-width digits); an empty value clears.
    let (code, out, err) = run(centre.gjj(label).args([
        "submit",
        "unit-change",
        "--set",
        "DWDZ=衡阳市雁峰区白沙洲工业园 8 号",
        "--set",
        "经办人手机号码=１３８０７３４５６７８",
        "--set",
        "fax=0734-8123401",
        "--set",
        "agent_landline=",
        "--json",
    ]));
    assert_eq!(code, 0, "{out} {err}");
    let receipt = &out["receipt"];
    assert_eq!(receipt["business"], "unit_change");
    assert_eq!(receipt["accepted_rows"], 4);
    let serial = receipt["serial"].as_str().unwrap().to_owned();
    let stored = |sql: &str| {
        scalar(
            &centre,
            &format!("SELECT COUNT(*) FROM unit_change_rows WHERE serial = '{serial}' AND {sql}"),
        )
    };
    assert_eq!(stored("field = 'address' AND old_value = '衡阳市雁峰区先锋路 18 号' AND new_value = '衡阳市雁峰区白沙洲工业园 8 号'"), 1);
    assert_eq!(
        stored("field = 'agent_mobile' AND old_value = '13907341234' AND new_value = '13807345678'"),
        1
    );
    assert_eq!(
        stored("field = 'fax' AND old_value IS NULL AND new_value = '0734-8123401'"),
        1
    );
    assert_eq!(
        stored("field = 'agent_landline' AND old_value = '0734-8123456' AND new_value IS NULL"),
        1
    );
    // Not applied before approval; a second change waits for the first.
    assert_eq!(show(&centre, label), before);
    let (code, out, _) =
        run(centre
            .gjj(label)
            .args(["submit", "unit-change", "--set", "DWYB=421002", "--json"]));
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (1, Some("BUSINESS_OPEN")),
        "{out}"
    );

    let (code, out, err) = run(centre
        .gjj_pfx("staff")
        .args(["review", "approve", &serial, "--json"]));
    assert_eq!(
        (code, out["status_label"].as_str()),
        (0, Some("已办结")),
        "{out} {err}"
    );
    let after = show(&centre, label);
    assert_eq!(after["address"], "衡阳市雁峰区白沙洲工业园 8 号");
    assert_eq!(after["agent_mobile"], "13807345678");
    assert_eq!(after["fax"], "0734-8123401");
    assert_eq!(after["agent_landline"], Value::Null);
    for untouched in ["name", "uscc", "postcode", "agent_id_number", "payroll_account"] {
        assert_eq!(after[untouched], before[untouched], "{untouched}");
    }

    // A form filled from the old record is now stale: the centre refuses it and says to reload.
    let rt = rt();
    let session = session(&centre, label);
    let outbox = rt
        .block_on(Outbox::open(&centre.dir.path().join("stale.sqlite")))
        .unwrap();
    let stale = UnitChange {
        changes: vec![change(
            "address",
            before["address"].as_str(),
            Some("衡阳市雁峰区先锋路 20 号"),
        )],
    };
    let (status, code, issues) = refusal(rt.block_on(session.submit(&outbox, "unit_change", &stale, 1)));
    assert_eq!((status, code.as_str()), (422, "RULES_VIOLATED"));
    assert_eq!(issues.len(), 1);
    assert_eq!(
        (issues[0].code.as_str(), issues[0].column.as_str()),
        ("UNIT_CHANGE_STALE", "单位地址")
    );
    assert!(
        issues[0].message.contains("重新获取单位信息"),
        "{}",
        issues[0].message
    );

    // A name change goes through the same way and the receipt shows the new name afterwards.
    let (code, out, _) = run(centre.gjj(label).args([
        "submit",
        "unit-change",
        "--set",
        "单位名称=衡阳雁城智能科技有限公司",
        "--json",
    ]));
    assert_eq!(code, 0, "{out}");
    let serial = out["receipt"]["serial"].as_str().unwrap().to_owned();
    let (code, _, _) = run(centre
        .gjj_pfx("staff")
        .args(["review", "approve", &serial, "--json"]));
    assert_eq!(code, 0);
    assert_eq!(show(&centre, label)["name"], "衡阳雁城智能科技有限公司");
    let (_, me, _) = run(centre.gjj(label).args(["whoami", "--json"]));
    assert_eq!(me["me"]["unit"]["name"], "衡阳雁城智能科技有限公司");
}

#[test]
fn each_rule_is_refused_by_the_centre_and_nothing_is_stored() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    let label = units::EMPLOYER_B;
    let current = show(&centre, label);
    let cur = |k: &str| current[k].as_str().map(str::to_owned);
    let rt = rt();
    let session = session(&centre, label);
    let outbox = rt
        .block_on(Outbox::open(&centre.dir.path().join("rules.sqlite")))
        .unwrap();
    let refused = |changes: Vec<FieldChange>| {
        refusal(rt.block_on(session.submit(&outbox, "unit_change", &UnitChange { changes }, 1)))
    };

    // The 统一社会信用代码 is who the certificate is: never online.
    let (status, code, issues) = refused(vec![change(
        "uscc",
        cur("uscc").as_deref(),
        Some("91430408MA4PKX0235"),
    )]);
    assert_eq!((status, code.as_str()), (422, "RULES_VIOLATED"));
    assert_eq!(issues[0].code.as_str(), "USCC_CHANGE_REFUSED");
    assert!(
        issues[0].message.contains("请到中心柜台办理"),
        "{}",
        issues[0].message
    );
    let (_, _, issues) = refused(vec![change("ZZJGDM", None, Some("MA4PKX023"))]);
    assert_eq!(issues[0].code.as_str(), "USCC_CHANGE_REFUSED");

    // A stale old value.
    let (_, _, issues) = refused(vec![change(
        "address",
        Some("衡阳市蒸湘区长丰大道 1 号"),
        Some("衡阳市蒸湘区长丰大道 88 号"),
    )]);
    assert_eq!(issues[0].code.as_str(), "UNIT_CHANGE_STALE");

    // Every field with its own rule, all reported at once (row 0, the field's label as the column).
    let mut bad_id = cur("agent_id_number").unwrap();
    let last = if bad_id.ends_with('1') { "2" } else { "1" };
    bad_id.replace_range(17.., last);
    let (_, _, issues) = refused(vec![
        change("agent_mobile", cur("agent_mobile").as_deref(), Some("1380734567")),
        change(
            "agent_id_number",
            cur("agent_id_number").as_deref(),
            Some(&bad_id),
        ),
        change("postcode", cur("postcode").as_deref(), Some("42100")),
        change("email", cur("email").as_deref(), Some("renshi@zhengxiang")),
        change("payday", cur("payday").as_deref(), Some("32")),
        change(
            "payroll_account",
            cur("payroll_account").as_deref(),
            Some("6222-0201"),
        ),
        change("agent_landline", None, Some("8123456")),
        change(
            "trustee_bank_code",
            cur("trustee_bank_code").as_deref(),
            Some("1O2"),
        ),
        change("legal_rep_name", cur("legal_rep_name").as_deref(), Some("赵")),
        change("address", cur("address").as_deref(), Some(" ")),
        change("unit_rate", None, Some("12")),
        change("postcode", cur("postcode").as_deref(), Some("421003")),
    ]);
    let got: Vec<(&str, &str)> = issues
        .iter()
        .map(|i| (i.column.as_str(), i.code.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("经办人手机号码", "MOBILE_INVALID"),
            ("邮政编码", "POSTCODE_INVALID"),
            ("电子信箱", "EMAIL_INVALID"),
            ("发薪日", "PAYDAY_INVALID"),
            ("发薪账号", "BANK_ACCOUNT_INVALID"),
            ("经办人固定电话", "LANDLINE_INVALID"),
            ("受托银行代码", "BANK_CODE_INVALID"),
            ("法定代表人姓名", "NAME_TOO_SHORT"),
            ("单位地址", "REQUIRED"),
            ("unit_rate", "UNIT_FIELD_UNKNOWN"),
            ("邮政编码", "FIELD_DUPLICATE"),
            ("经办人证件号码", "ID_NUMBER_CHECKSUM"),
        ]
    );
    assert!(
        issues.iter().all(|i| !i.message.contains(&bad_id[..17])),
        "ID numbers never in messages"
    );
    assert_eq!(
        scalar(
            &centre,
            "SELECT COUNT(*) FROM submissions WHERE business = 'unit_change'"
        ),
        0
    );
    assert_eq!(scalar(&centre, "SELECT COUNT(*) FROM unit_change_rows"), 0);

    // The CLI runs the same rules before signing: exit 1 with the same codes.
    for (set, code) in [
        ("uscc=91430408MA4PKX0235", "USCC_CHANGE_REFUSED"),
        ("JBRSJHM=12345", "MOBILE_INVALID"),
        ("DWYB=4210", "POSTCODE_INVALID"),
        (&*format!("JBRZJHM={bad_id}"), "ID_NUMBER_CHECKSUM"),
    ] {
        let (exit, out, _) = run(centre
            .gjj(label)
            .args(["submit", "unit-change", "--set", set, "--json"]));
        assert_eq!(
            (exit, out["error"]["code"].as_str()),
            (1, Some("RULES_VIOLATED")),
            "{set}: {out}"
        );
        assert_eq!(out["error"]["issues"][0]["code"], code, "{set}: {out}");
    }
    let (exit, _, err) = run(centre.gjj(label).args(["submit", "unit-change", "--set", "DWDZ"]));
    assert_eq!(exit, 2, "a malformed --set is a usage error: {err}");
    assert_eq!(
        scalar(
            &centre,
            "SELECT COUNT(*) FROM submissions WHERE business = 'unit_change'"
        ),
        0
    );

    // Approval checks the record once more: changed at the counter meanwhile, the approval is refused whole.
    let Submitted::Accepted { receipt, .. } = rt
        .block_on(session.submit(
            &outbox,
            "unit_change",
            &UnitChange {
                changes: vec![
                    change("email", cur("email").as_deref(), Some("hr@zhengxiang-jx.com")),
                    change("phone", cur("phone").as_deref(), Some("0734-8456700")),
                ],
            },
            2,
        ))
        .unwrap();
    execute(
        &centre,
        "UPDATE unit_details SET phone = '0734-8000000' WHERE unit_account = '9816030200002'",
    );
    let (code, out, _) = run(centre
        .gjj_pfx("staff")
        .args(["review", "approve", &receipt.serial, "--json"]));
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (1, Some("UNIT_CHANGE_STALE")),
        "{out}"
    );
    assert!(out["error"]["message"].as_str().unwrap().contains("单位联系电话"));
    assert_eq!(
        show(&centre, label)["email"],
        current["email"],
        "nothing of it was written"
    );
    let (_, view, _) = run(centre.gjj(label).args(["status", &receipt.serial, "--json"]));
    assert_eq!(view["status"], "accepted");
}

#[test]
fn a_developer_certificate_is_refused() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    let (code, out, err) = run(centre.gjj(units::DEVELOPER).args([
        "submit",
        "unit-change",
        "--set",
        "DWDZ=衡阳市高新区解放大道 101 号",
        "--json",
    ]));
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (2, Some("ROLE_FORBIDDEN")),
        "{out} {err}"
    );
    assert_eq!(scalar(&centre, "SELECT COUNT(*) FROM submissions"), 0);
}

#[test]
fn the_unit_change_runs_on_postgresql() {
    let server = std::env::var(gjj_tests::POSTGRES_ENV).unwrap_or_else(|_| {
        panic!(
            "{} is not set: run with `cargo xtask test` (it starts PostgreSQL)",
            gjj_tests::POSTGRES_ENV
        )
    });
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Postgres(server)).unwrap();
    let label = units::EMPLOYER_C;
    let before = show(&centre, label);
    assert_eq!(before["email"], Value::Null);
    let (code, out, err) = run(centre.gjj(label).args([
        "submit",
        "unit-change",
        "--set",
        "email=hr@shigu-wl.cn",
        "--set",
        "agent_landline=",
        "--set",
        "address=衡阳市石鼓区人民路 19 号",
        "--json",
    ]));
    assert_eq!(code, 0, "{out} {err}");
    let serial = out["receipt"]["serial"].as_str().unwrap().to_owned();
    let (code, out, err) = run(centre
        .gjj_pfx("staff")
        .args(["review", "approve", &serial, "--json"]));
    assert_eq!(code, 0, "{out} {err}");
    let after = show(&centre, label);
    assert_eq!(after["email"], "hr@shigu-wl.cn");
    assert_eq!(after["agent_landline"], Value::Null);
    assert_eq!(after["address"], "衡阳市石鼓区人民路 19 号");
}
