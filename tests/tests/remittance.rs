//! 汇缴 end to end over mTLS with the SoftHSM keys: the centre's 清册 downloaded as Excel, submitted unchanged,
//! receipted, approved by staff — and the unit's and the persons' 缴至年月 advanced; every rule refusing the whole
//! 清册 with its code; another unit's person refused without revealing anything about them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use gjj_domain::money::Fen;
use gjj_domain::month::Month;
use gjj_domain::remittance::{ListEntry, RemittanceList};
use gjj_sheets::remittance::{write_list, TemplateOptions, FIRST_DATA_ROW};
use gjj_tests::{execute, run_gjj as run, runtime as rt, scalar};
use gjj_tests::{units, Backend, Fixtures, LocalCentre};
use serde_json::Value;

const UNIT_A: &str = "9815070100001";
const UNIT_B: &str = "9816030200002";

fn text(centre: &LocalCentre, sql: &str) -> Option<String> {
    rt().block_on(async {
        let pool = centre.db().await.unwrap();
        sqlx::query_scalar::<_, Option<String>>(sql)
            .fetch_one(&pool)
            .await
            .unwrap()
    })
}

/// `gjj remittance list -o FILE --json`: the file and the list it holds.
fn download(centre: &LocalCentre, label: &str, name: &str) -> (PathBuf, RemittanceList) {
    let path = centre.dir.path().join(name);
    let (code, out, err) = run(centre
        .gjj(label)
        .args(["remittance", "list", "-o"])
        .arg(&path)
        .arg("--json"));
    assert_eq!(code, 0, "{out} {err}");
    assert!(path.exists());
    (path, serde_json::from_value(out["list"].clone()).unwrap())
}

/// A 清册 workbook of our own layout holding `list` (as a clerk's edits would leave it).
fn sheet(centre: &LocalCentre, name: &str, list: &RemittanceList) -> PathBuf {
    let path = centre.dir.path().join(name);
    write_list(&path, list, &TemplateOptions::default()).unwrap();
    path
}

/// `gjj submit remittance FILE --month M --json` with 汇缴方式 01 unless `extra` names one.
fn submit(
    centre: &LocalCentre,
    label: &str,
    file: &PathBuf,
    month: Month,
    extra: &[&str],
) -> (i32, Value, String) {
    let mut cmd = centre.gjj(label);
    cmd.args(["submit", "remittance"])
        .arg(file)
        .args(["--month", &month.to_string(), "--json"])
        .args(extra);
    if !extra.contains(&"--method") {
        cmd.args(["--method", "01"]);
    }
    run(&mut cmd)
}

/// The issues of a refusal: the client's own check (`{"issues"}`) or the centre's (`{"error":{"issues"}}`).
fn issues(out: &Value) -> Vec<(u64, String, String, String)> {
    let list = out["issues"]
        .as_array()
        .or_else(|| out["error"]["issues"].as_array())
        .cloned()
        .unwrap_or_default();
    list.iter()
        .map(|i| {
            (
                i["row"].as_u64().unwrap(),
                i["column"].as_str().unwrap().to_owned(),
                i["code"].as_str().unwrap().to_owned(),
                i["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The Excel row of entry `i` of a written 清册.
fn excel_row(i: usize) -> u64 {
    u64::from(FIRST_DATA_ROW) + 1 + i as u64
}

/// Today's month by the centre's clock.
fn today(centre: &LocalCentre, label: &str) -> Month {
    let (code, me, err) = run(centre.gjj(label).args(["whoami", "--json"]));
    assert_eq!(code, 0, "{me} {err}");
    me["me"]["today"].as_str().unwrap().parse().unwrap()
}

#[test]
fn the_centres_list_submitted_unchanged_is_approved_and_advances_paid_through() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    let label = units::EMPLOYER_A;
    let staff = || centre.gjj_pfx("staff");
    let (file, list) = download(&centre, label, "清册.xlsx");

    // The 清册: the unit's 正常 contributors (every 20th demo person is 封存), due month, 12% + 12% amounts.
    let paid: Month = text(
        &centre,
        &format!("SELECT paid_through FROM units WHERE account = '{UNIT_A}'"),
    )
    .unwrap()
    .parse()
    .unwrap();
    let due = paid.next();
    assert_eq!(list.month, due);
    let active = rt().block_on(centre.active_employees(label)).unwrap();
    assert_eq!(list.person_count, 190);
    assert_eq!(
        list.entries
            .iter()
            .map(|e| e.account.as_str())
            .collect::<Vec<_>>(),
        active.iter().map(|e| e.account.as_str()).collect::<Vec<_>>()
    );
    for e in &list.entries {
        let side = Fen((e.base.0 * 1200 + 5_000) / 10_000);
        assert_eq!((e.amounts.unit, e.amounts.person), (side, side), "{}", e.account);
    }
    let sum: i64 = list.entries.iter().map(|e| e.amounts.total.0).sum();
    assert_eq!(list.total, Fen(sum));

    let (code, out, err) = run(centre
        .gjj(label)
        .args(["check", "remittance"])
        .arg(&file)
        .arg("--json"));
    assert_eq!((code, out["rows"].as_u64()), (0, Some(190)), "{out} {err}");
    assert_eq!(out["issues"], serde_json::json!([]));

    // Submitted unchanged, with the figures of the bank slip stated.
    let (code, out, err) = submit(
        &centre,
        label,
        &file,
        due,
        &["--count", "190", "--total", &list.total.to_string()],
    );
    assert_eq!(code, 0, "{out} {err}");
    let receipt = &out["receipt"];
    let serial = receipt["serial"].as_str().unwrap().to_owned();
    assert_eq!(receipt["business"], "remittance");
    assert_eq!(receipt["accepted_rows"], 190);
    assert_eq!(receipt["signature_alg"], "ecdsa-p256-sha256");
    assert_eq!(
        text(
            &centre,
            &format!("SELECT month || '/' || method FROM remittance_batches WHERE serial = '{serial}'")
        ),
        Some(format!("{due}/01"))
    );
    assert_eq!(
        scalar(
            &centre,
            &format!("SELECT total_fen FROM remittance_batches WHERE serial = '{serial}'")
        ),
        list.total.0
    );
    assert_eq!(
        scalar(
            &centre,
            &format!("SELECT COUNT(*) FROM remittance_rows WHERE serial = '{serial}'")
        ),
        190
    );
    assert_eq!(
        scalar(
            &centre,
            &format!("SELECT SUM(unit_amount_fen + person_amount_fen) FROM remittance_rows WHERE serial = '{serial}'")
        ),
        list.total.0
    );
    // Nothing moves before the centre approves.
    assert_eq!(
        text(
            &centre,
            &format!("SELECT paid_through FROM units WHERE account = '{UNIT_A}'")
        ),
        Some(paid.to_string())
    );
    let (code, view, _) = run(centre.gjj(label).args(["status", &serial, "--json"]));
    assert_eq!((code, view["status"].as_str()), (0, Some("accepted")), "{view}");

    let (code, out, err) = run(staff().args(["review", "approve", &serial, "--json"]));
    assert_eq!(
        (code, out["status_label"].as_str()),
        (0, Some("已办结")),
        "{out} {err}"
    );
    let (_, view, _) = run(centre.gjj(label).args(["status", &serial, "--json"]));
    assert_eq!(view["status"], "done");

    // Approved: the unit and the 190 remitted persons are paid through the month; the 封存 ones are not.
    assert_eq!(
        text(
            &centre,
            &format!("SELECT paid_through FROM units WHERE account = '{UNIT_A}'")
        ),
        Some(due.to_string())
    );
    assert_eq!(
        scalar(
            &centre,
            &format!(
                "SELECT COUNT(*) FROM persons WHERE unit_account = '{UNIT_A}' AND paid_through = '{due}'"
            )
        ),
        190
    );
    assert_eq!(
        scalar(
            &centre,
            &format!(
                "SELECT COUNT(*) FROM persons WHERE unit_account = '{UNIT_A}' AND status = '02' AND paid_through = '{paid}'"
            )
        ),
        10
    );
    // Another unit is untouched.
    assert_eq!(
        text(
            &centre,
            &format!("SELECT paid_through FROM units WHERE account = '{UNIT_B}'")
        ),
        Some(paid.to_string())
    );

    // The same 清册 again: that month is no longer due (the client's own check says which one is).
    let (code, out, _) = submit(&centre, label, &file, due, &[]);
    let found = issues(&out);
    assert_eq!(code, 1, "{out}");
    assert_eq!(found[0].2, "REMITTANCE_MONTH_NOT_DUE", "{out}");
    assert!(found[0].3.contains(&due.next().to_string()), "{}", found[0].3);
    // The next 清册 is for the next month, once that month has come.
    let next = due.next();
    let path = centre.dir.path().join("下月.xlsx");
    let (code, out, _) = run(centre
        .gjj(label)
        .args(["remittance", "list", "-o"])
        .arg(&path)
        .arg("--json"));
    if next <= today(&centre, label) {
        assert_eq!(
            (code, out["list"]["month"].as_str()),
            (0, Some(next.to_string().as_str())),
            "{out}"
        );
    } else {
        assert_eq!(out["error"]["code"], "REMITTANCE_MONTH_IN_FUTURE", "{out}");
    }
}

#[test]
fn every_rule_refuses_the_whole_list_with_its_code() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    let label = units::EMPLOYER_B;
    let (file, list) = download(&centre, label, "清册.xlsx");
    let due = list.month;
    assert_eq!(list.person_count, 114);

    // 汇缴年月 not due: the centre lists no such 清册, and a submission for it is refused naming the due month.
    let (code, out, _) = run(centre.gjj(label).args([
        "remittance",
        "list",
        "-o",
        "x.xlsx",
        "--month",
        &due.prev().to_string(),
        "--json",
    ]));
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (1, Some("REMITTANCE_MONTH_NOT_DUE")),
        "{out}"
    );
    assert!(out["error"]["message"]
        .as_str()
        .unwrap()
        .contains(&due.to_string()));
    let (code, out, _) = submit(&centre, label, &file, due.prev(), &[]);
    let found = issues(&out);
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        found.iter().map(|i| (i.0, i.2.as_str())).collect::<Vec<_>>(),
        vec![(0, "REMITTANCE_MONTH_NOT_DUE")]
    );
    assert!(
        found[0].3.contains(&format!("请把汇缴年月改为 {due}")),
        "{}",
        found[0].3
    );

    // 发生人数 / 发生额 stated from the bank slip must be the 清册's: both figures named.
    let (code, out, _) = submit(&centre, label, &file, due, &["--count", "113"]);
    let found = issues(&out);
    assert_eq!((code, found.len()), (1, 1), "{out}");
    assert_eq!(
        (found[0].1.as_str(), found[0].2.as_str()),
        ("发生人数", "REMITTANCE_COUNT_MISMATCH")
    );
    assert!(
        found[0].3.contains("113 人") && found[0].3.contains("114 人"),
        "{}",
        found[0].3
    );
    let (code, out, _) = submit(&centre, label, &file, due, &["--total", "1.00"]);
    let found = issues(&out);
    assert_eq!(
        (code, found[0].2.as_str()),
        (1, "REMITTANCE_TOTAL_MISMATCH"),
        "{out}"
    );
    assert!(
        found[0].3.contains(&format!("{} 元", list.total)),
        "{}",
        found[0].3
    );

    // An amount edited without its base: the right figures are named.
    let mut edited = list.clone();
    let right = edited.entries[3].amounts;
    edited.entries[3].amounts.person = Fen(right.person.0 + 100);
    let path = sheet(&centre, "改金额.xlsx", &edited);
    let (code, out, _) = submit(&centre, label, &path, due, &[]);
    let found = issues(&out);
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        found.iter().map(|i| (i.0, i.2.as_str())).collect::<Vec<_>>(),
        vec![(excel_row(3), "REMITTANCE_AMOUNT_MISMATCH")]
    );
    assert!(
        found[0]
            .3
            .contains(&format!("应为单位 {} 元、个人 {} 元", right.unit, right.person)),
        "{}",
        found[0].3
    );

    // A base beyond the policy year's limits (amounts consistent with it).
    let mut high = list.clone();
    let e = &high.entries[0];
    high.entries[0] = ListEntry::new(
        e.account.clone(),
        e.name.clone(),
        e.id_number.clone(),
        Fen::from_yuan(25_000),
        &list.unit,
        &list.policy,
    );
    let (code, out, _) = submit(&centre, label, &sheet(&centre, "超上限.xlsx", &high), due, &[]);
    let found = issues(&out);
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        found.iter().map(|i| (i.0, i.2.as_str())).collect::<Vec<_>>(),
        vec![(excel_row(0), "BASE_ABOVE_MAX")]
    );

    // The same person twice.
    let mut twice = list.clone();
    twice.entries.push(list.entries[1].clone());
    let (code, out, _) = submit(&centre, label, &sheet(&centre, "重复.xlsx", &twice), due, &[]);
    let found = issues(&out);
    assert_eq!(code, 1, "{out}");
    assert!(
        found
            .iter()
            .any(|i| i.0 == excel_row(114) && i.2 == "DUPLICATE_ACCOUNT"),
        "{out}"
    );

    // --- The centre's facts (the client cannot know them; the centre refuses) ----------------------------------
    // A base that is not the centre's current one (amounts consistent with it): 请先办理缴存基数调整.
    let mut rebased = list.clone();
    let e = &rebased.entries[2];
    let centre_base = e.base;
    rebased.entries[2] = ListEntry::new(
        e.account.clone(),
        e.name.clone(),
        e.id_number.clone(),
        Fen(e.base.0 + 10_000),
        &list.unit,
        &list.policy,
    );
    let (code, out, err) = submit(&centre, label, &sheet(&centre, "改基数.xlsx", &rebased), due, &[]);
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (1, Some("RULES_VIOLATED")),
        "{out} {err}"
    );
    let found = issues(&out);
    assert_eq!(
        found
            .iter()
            .map(|i| (i.0, i.1.as_str(), i.2.as_str()))
            .collect::<Vec<_>>(),
        vec![(excel_row(2), "个人缴存基数（元）", "REMITTANCE_BASE_NOT_CURRENT")]
    );
    assert!(
        found[0].3.contains("请先办理缴存基数调整") && found[0].3.contains(&format!("{centre_base} 元")),
        "{}",
        found[0].3
    );

    // A 正常 contributor left out (e.g. "he left"): listed by 个人账号, told to 封存 first.
    let mut short = list.clone();
    let gone = short.entries.remove(5);
    let (code, out, _) = submit(&centre, label, &sheet(&centre, "少人.xlsx", &short), due, &[]);
    let found = issues(&out);
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        found.iter().map(|i| (i.0, i.2.as_str())).collect::<Vec<_>>(),
        vec![(0, "REMITTANCE_PERSON_MISSING")]
    );
    assert!(
        found[0].3.contains(&gone.account) && found[0].3.contains("个人封存"),
        "{}",
        found[0].3
    );

    // A 封存 person of the unit in the 清册.
    let sealed: (String, String, String, i64) = rt().block_on(async {
        let pool = centre.db().await.unwrap();
        sqlx::query_as(&format!(
            "SELECT account, name, id_number, base_fen FROM persons WHERE unit_account = '{UNIT_B}' AND status = '02' \
             ORDER BY account LIMIT 1"
        ))
        .fetch_one(&pool)
        .await
        .unwrap()
    });
    let mut with_sealed = list.clone();
    with_sealed.entries.push(ListEntry::new(
        sealed.0.clone(),
        sealed.1,
        sealed.2,
        Fen(sealed.3),
        &list.unit,
        &list.policy,
    ));
    let (code, out, _) = submit(
        &centre,
        label,
        &sheet(&centre, "封存.xlsx", &with_sealed),
        due,
        &[],
    );
    let found = issues(&out);
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        found.iter().map(|i| (i.0, i.2.as_str())).collect::<Vec<_>>(),
        vec![(excel_row(114), "PERSON_NOT_ACTIVE")]
    );

    // Another unit's person: the same answer as an unknown account, and nothing about them in it.
    let stranger = rt().block_on(centre.active_employees(units::EMPLOYER_A)).unwrap()[7].clone();
    let mut foreign = list.clone();
    foreign.entries.push(ListEntry::new(
        stranger.account.clone(),
        stranger.name.clone(),
        stranger.id_number.clone(),
        stranger.base,
        &list.unit,
        &list.policy,
    ));
    let (code, out, _) = submit(&centre, label, &sheet(&centre, "外单位.xlsx", &foreign), due, &[]);
    let found = issues(&out);
    assert_eq!((code, found.len()), (1, 1), "{out}");
    assert_eq!(
        (found[0].0, found[0].2.as_str()),
        (excel_row(114), "PERSON_NOT_IN_UNIT")
    );
    let body = out.to_string();
    assert!(
        !body.contains(&stranger.name)
            && !body.contains(&stranger.id_number)
            && !body.contains(units::EMPLOYER_A)
            && !body.contains(UNIT_A),
        "{body}"
    );
    let mut unknown = foreign.clone();
    if let Some(last) = unknown.entries.last_mut() {
        last.account = "990099999999".into();
    }
    let (_, out, _) = submit(&centre, label, &sheet(&centre, "不存在.xlsx", &unknown), due, &[]);
    let unknown_found = issues(&out);
    assert_eq!(unknown_found[0].2, "PERSON_NOT_IN_UNIT");
    assert_eq!(
        found[0].3.replace(&stranger.account, "#"),
        unknown_found[0].3.replace("990099999999", "#")
    );

    // A contributor registered with a later 首次汇缴年月 is not in this month's 清册, and may not be remitted for.
    let newcomer = &list.entries[9];
    let first = text(
        &centre,
        &format!(
            "SELECT first_month FROM persons WHERE account = '{}'",
            newcomer.account
        ),
    )
    .unwrap();
    execute(
        &centre,
        &format!(
            "UPDATE persons SET first_month = '{}' WHERE account = '{}'",
            due.next(),
            newcomer.account
        ),
    );
    let (_, without) = download(&centre, label, "清册-新职工.xlsx");
    assert_eq!(without.person_count, 113);
    assert!(without.entries.iter().all(|e| e.account != newcomer.account));
    let (code, out, _) = submit(&centre, label, &file, due, &[]);
    let found = issues(&out);
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        found.iter().map(|i| (i.0, i.2.as_str())).collect::<Vec<_>>(),
        vec![(excel_row(9), "REMITTANCE_BEFORE_FIRST_MONTH")]
    );
    assert!(found[0].3.contains(&due.next().to_string()), "{}", found[0].3);
    execute(
        &centre,
        &format!(
            "UPDATE persons SET first_month = '{first}' WHERE account = '{}'",
            newcomer.account
        ),
    );

    // None of the refused 清册 was stored, not a row.
    assert_eq!(scalar(&centre, "SELECT COUNT(*) FROM submissions"), 0);
    assert_eq!(scalar(&centre, "SELECT COUNT(*) FROM remittance_rows"), 0);

    // One open 汇缴 at a time: the month's first is accepted, a second is refused while it is open.
    let (code, out, err) = submit(&centre, label, &file, due, &[]);
    assert_eq!(code, 0, "{out} {err}");
    let (code, out, _) = submit(&centre, label, &file, due, &[]);
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (1, Some("BUSINESS_OPEN")),
        "{out}"
    );

    // A unit whose status allows no 汇缴 (封存 05): the list and the submission are refused.
    execute(
        &centre,
        &format!("UPDATE units SET status = '05' WHERE account = '{UNIT_B}'"),
    );
    let (code, out, _) = run(centre
        .gjj(label)
        .args(["remittance", "list", "-o", "y.xlsx", "--json"]));
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (1, Some("UNIT_STATUS_NOT_ALLOWED")),
        "{out}"
    );
    let (code, out, _) = submit(&centre, label, &file, due, &[]);
    let found = issues(&out);
    assert_eq!(code, 1, "{out}");
    assert!(found.iter().any(|i| i.2 == "UNIT_STATUS_NOT_ALLOWED"), "{out}");
    assert_eq!(scalar(&centre, "SELECT COUNT(*) FROM submissions"), 1);
}

#[test]
fn a_remittance_runs_on_postgresql() {
    let server = std::env::var(gjj_tests::POSTGRES_ENV).unwrap_or_else(|_| {
        panic!(
            "{} is not set: run with `cargo xtask test` (it starts PostgreSQL)",
            gjj_tests::POSTGRES_ENV
        )
    });
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Postgres(server)).unwrap();
    let label = units::EMPLOYER_C;
    let (file, list) = download(&centre, label, "清册.xlsx");
    let (code, out, err) = submit(&centre, label, &file, list.month, &["--method", "04"]);
    assert_eq!(code, 0, "{out} {err}");
    assert_eq!(out["method"], "04");
    let serial = out["receipt"]["serial"].as_str().unwrap().to_owned();
    assert_eq!(
        scalar(
            &centre,
            &format!("SELECT person_count FROM remittance_batches WHERE serial = '{serial}'")
        ),
        i64::from(list.person_count)
    );
    let (code, out, err) = run(centre
        .gjj_pfx("staff")
        .args(["review", "approve", &serial, "--json"]));
    assert_eq!(code, 0, "{out} {err}");
    assert_eq!(
        text(
            &centre,
            "SELECT paid_through FROM units WHERE account = '9818110500003'"
        ),
        Some(list.month.to_string())
    );
    assert_eq!(
        scalar(
            &centre,
            &format!(
                "SELECT COUNT(*) FROM persons WHERE unit_account = '9818110500003' AND paid_through = '{}'",
                list.month
            )
        ),
        i64::from(list.person_count)
    );
}
