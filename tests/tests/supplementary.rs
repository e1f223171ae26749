//! 补缴 end to end over mTLS with the SoftHSM keys: a filled template submitted, receipted, approved by staff —
//! and its person-months recorded as paid; every rule refusing the whole batch with its code (the centre's own
//! facts included: the person's 首次汇缴年月/缴至年月, months an open or completed 补缴 already covers); another
//! unit's person refused without revealing anything about them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use gjj_domain::api::Me;
use gjj_domain::base_adjustment::amounts;
use gjj_domain::money::Fen;
use gjj_domain::month::Month;
use gjj_domain::policy::Policy;
use gjj_sheets::supplementary::{template_workbook, TemplateOptions, FIRST_DATA_ROW};
use gjj_tests::{execute, run_gjj as run, runtime as rt, scalar};
use gjj_tests::{units, Backend, Fixtures, LocalCentre};
use serde_json::Value;

const UNIT_B: &str = "9816030200002";

/// A contributor as the centre stores them, with the months that bound a 补缴.
#[derive(Clone, Debug)]
struct Person {
    account: String,
    name: String,
    id_number: String,
    base: Fen,
    status: String,
    first_month: Month,
}

fn persons(centre: &LocalCentre, unit: &str) -> Vec<Person> {
    let rows: Vec<(String, String, String, i64, String, String)> = rt().block_on(async {
        let pool = centre.db().await.unwrap();
        sqlx::query_as(
            "SELECT account, name, id_number, base_fen, status, first_month FROM persons WHERE unit_account = $1 \
             ORDER BY account",
        )
        .bind(unit)
        .fetch_all(&pool)
        .await
        .unwrap()
    });
    rows.into_iter()
        .map(|(account, name, id_number, base, status, first)| Person {
            account,
            name,
            id_number,
            base: Fen(base),
            status,
            first_month: first.parse().unwrap(),
        })
        .collect()
}

/// The unit and the policy in force, as the centre tells the unit.
fn context(centre: &LocalCentre, label: &str) -> (Me, Policy) {
    let (code, out, err) = run(centre.gjj(label).args(["whoami", "--json"]));
    assert_eq!(code, 0, "{out} {err}");
    (
        serde_json::from_value(out["me"].clone()).unwrap(),
        serde_json::from_value(out["policy"].clone()).unwrap(),
    )
}

/// One row of a 补缴 sheet.
#[derive(Clone, Debug)]
struct Row {
    person: Person,
    start: String,
    end: String,
    base: Fen,
    unit_amount: Fen,
    person_amount: Fen,
    reason: String,
    text: String,
}

impl Row {
    /// A correct row: the person's base (or `base`) and the amounts it implies at the unit's rates.
    fn new(p: &Person, start: &str, end: &str, base: Option<Fen>, reason: &str, ctx: &(Me, Policy)) -> Row {
        let base = base.unwrap_or(p.base);
        let a = amounts(base, &ctx.0.unit, &ctx.1);
        Row {
            person: p.clone(),
            start: start.into(),
            end: end.into(),
            base,
            unit_amount: a.unit,
            person_amount: a.person,
            reason: reason.into(),
            text: String::new(),
        }
    }
}

/// Our template with `rows` filled in from the first data row.
fn sheet(centre: &LocalCentre, name: &str, rows: &[Row]) -> PathBuf {
    let path = centre.dir.path().join(name);
    let mut wb = template_workbook(&TemplateOptions::default()).unwrap();
    let ws = wb.worksheet_from_index(0).unwrap();
    for (i, r) in rows.iter().enumerate() {
        let n = FIRST_DATA_ROW + i as u32;
        ws.write_number(n, 0, (i + 1) as f64).unwrap();
        ws.write_string(n, 1, &r.person.account).unwrap();
        ws.write_string(n, 2, &r.person.name).unwrap();
        ws.write_string(n, 3, &r.person.id_number).unwrap();
        ws.write_string(n, 4, &r.start).unwrap();
        ws.write_string(n, 5, &r.end).unwrap();
        for (c, fen) in [(6u16, r.base), (7, r.unit_amount), (8, r.person_amount)] {
            ws.write_number(n, c, fen.0 as f64 / 100.0).unwrap();
        }
        ws.write_string(n, 9, &r.reason).unwrap();
        if !r.text.is_empty() {
            ws.write_string(n, 10, &r.text).unwrap();
        }
    }
    wb.save(&path).unwrap();
    path
}

fn submit(centre: &LocalCentre, label: &str, file: &PathBuf) -> (i32, Value, String) {
    run(centre
        .gjj(label)
        .args(["submit", "supplementary"])
        .arg(file)
        .arg("--json"))
}

/// (row, code, message) of a refusal: the client's own check or the centre's.
fn issues(out: &Value) -> Vec<(u64, String, String)> {
    out["issues"]
        .as_array()
        .or_else(|| out["error"]["issues"].as_array())
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|i| {
            (
                i["row"].as_u64().unwrap(),
                i["code"].as_str().unwrap().to_owned(),
                i["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The Excel row of sheet row `i`.
fn excel_row(i: usize) -> u64 {
    u64::from(FIRST_DATA_ROW) + 1 + i as u64
}

#[test]
fn a_supplementary_is_receipted_approved_and_its_months_recorded_as_paid() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    let label = units::EMPLOYER_B;
    let ctx = context(&centre, label);
    let people = persons(&centre, UNIT_B);
    let active: Vec<&Person> = people.iter().filter(|p| p.status == "01").collect();
    let sealed = people.iter().find(|p| p.status == "02").unwrap();
    let rows = vec![
        // 漏缴 in three remitted months, at the person's base.
        Row::new(active[0], "202607", "202609", None, "01 漏缴", &ctx),
        // A base-adjustment difference: the base column is the difference.
        Row::new(
            active[1],
            "202609",
            "202609",
            Some(Fen::from_yuan(500)),
            "基数调整差额",
            &ctx,
        ),
        // A person sealed since may still be paid for months past.
        Row::new(sealed, "202601", "202603", None, "2", &ctx),
    ];
    let file = sheet(&centre, "补缴.xlsx", &rows);
    let (code, out, err) = run(centre
        .gjj(label)
        .args(["check", "supplementary"])
        .arg(&file)
        .arg("--json"));
    assert_eq!((code, out["rows"].as_u64()), (0, Some(3)), "{out} {err}");

    let (code, out, err) = submit(&centre, label, &file);
    assert_eq!(code, 0, "{out} {err}");
    let receipt = &out["receipt"];
    assert_eq!(
        (receipt["business"].as_str(), receipt["accepted_rows"].as_u64()),
        (Some("supplementary"), Some(3))
    );
    let serial = receipt["serial"].as_str().unwrap().to_owned();
    // Stored: the rows (reasons as codes) and one row per person-month, not yet paid.
    let stored: Vec<(String, String, String, String)> = rt().block_on(async {
        let pool = centre.db().await.unwrap();
        sqlx::query_as(
            "SELECT person_account, start_month, end_month, reason_code FROM supplementary_rows WHERE serial = $1 \
             ORDER BY row_no",
        )
        .bind(&serial)
        .fetch_all(&pool)
        .await
        .unwrap()
    });
    assert_eq!(
        stored,
        vec![
            (
                active[0].account.clone(),
                "202607".into(),
                "202609".into(),
                "01".into()
            ),
            (
                active[1].account.clone(),
                "202609".into(),
                "202609".into(),
                "03".into()
            ),
            (
                sealed.account.clone(),
                "202601".into(),
                "202603".into(),
                "02".into()
            ),
        ]
    );
    let months = |paid: bool| {
        scalar(
            &centre,
            &format!(
                "SELECT COUNT(*) FROM supplementary_months WHERE serial = '{serial}' AND paid_at IS {}NULL",
                if paid { "NOT " } else { "" }
            ),
        )
    };
    assert_eq!((months(false), months(true)), (7, 0));

    let (code, out, err) = run(centre
        .gjj_pfx("staff")
        .args(["review", "approve", &serial, "--json"]));
    assert_eq!(
        (code, out["status_label"].as_str()),
        (0, Some("已办结")),
        "{out} {err}"
    );
    let (_, view, _) = run(centre.gjj(label).args(["status", &serial, "--json"]));
    assert_eq!(view["status"], "done");
    assert_eq!((months(false), months(true)), (0, 7));

    // Paid months cannot be paid again: the centre names the 补缴 that paid them.
    let again = vec![Row::new(active[0], "202608", "202609", None, "01", &ctx)];
    let (code, out, _) = submit(&centre, label, &sheet(&centre, "再补.xlsx", &again));
    let found = issues(&out);
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (1, Some("RULES_VIOLATED")),
        "{out}"
    );
    assert_eq!(
        found.iter().map(|i| (i.0, i.1.as_str())).collect::<Vec<_>>(),
        vec![(excel_row(0), "SUPPLEMENTARY_MONTH_ALREADY_PAID")]
    );
    assert!(
        found[0].2.contains(&serial) && found[0].2.contains("202608–202609"),
        "{}",
        found[0].2
    );
}

#[test]
fn every_rule_refuses_the_whole_batch_with_its_code() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    let label = units::EMPLOYER_B;
    let ctx = context(&centre, label);
    let people = persons(&centre, UNIT_B);
    let active: Vec<&Person> = people.iter().filter(|p| p.status == "01").collect();
    let ok = |i: usize| Row::new(active[i], "202607", "202609", None, "01", &ctx);
    let refused = |name: &str, rows: &[Row]| {
        let (code, out, err) = submit(&centre, label, &sheet(&centre, name, rows));
        assert_eq!(code, 1, "{name}: {out} {err}");
        issues(&out)
    };
    let codes = |found: &[(u64, String, String)]| -> Vec<(u64, String)> {
        found.iter().map(|i| (i.0, i.1.clone())).collect()
    };

    // --- Rules the client checks too (the same domain functions) -------------------------------------------------
    let mut reversed = ok(0);
    (reversed.start, reversed.end) = ("202609".into(), "202607".into());
    let mut too_late = ok(0);
    too_late.end = "202610".into();
    let mut edited = ok(0);
    edited.unit_amount = Fen(edited.unit_amount.0 * 3);
    let mut bad_reason = ok(0);
    bad_reason.reason = "05".into();
    let mut other = ok(0);
    other.reason = "99 其他".into();
    for (name, row, code) in [
        ("reversed.xlsx", reversed, "SUPPLEMENTARY_RANGE_REVERSED"),
        (
            "too-late.xlsx",
            too_late,
            "SUPPLEMENTARY_MONTH_AFTER_PAID_THROUGH",
        ),
        ("edited.xlsx", edited, "SUPPLEMENTARY_AMOUNT_MISMATCH"),
        ("reason.xlsx", bad_reason, "SUPPLEMENTARY_REASON_INVALID"),
        ("other.xlsx", other, "REQUIRED"),
    ] {
        let found = refused(name, &[ok(1), row]);
        assert_eq!(codes(&found), vec![(excel_row(1), code.to_owned())], "{name}");
    }
    // The same person-month twice in one sheet.
    let mut overlap = ok(0);
    (overlap.start, overlap.end) = ("202609".into(), "202609".into());
    let found = refused("overlap.xlsx", &[ok(0), overlap]);
    assert_eq!(
        codes(&found),
        vec![(excel_row(1), "SUPPLEMENTARY_MONTHS_OVERLAP".to_owned())]
    );
    assert!(
        found[0].2.contains(&format!("第 {} 行", excel_row(0))),
        "{}",
        found[0].2
    );

    // --- The centre's facts ------------------------------------------------------------------------------------
    // Before the person's own 首次汇缴年月 (but after the unit's).
    let late_joiner = active
        .iter()
        .find(|p| p.first_month > ctx.0.unit.first_month)
        .unwrap();
    let early = Row::new(
        late_joiner,
        &late_joiner.first_month.prev().to_string(),
        &late_joiner.first_month.to_string(),
        None,
        "01",
        &ctx,
    );
    let found = refused("early.xlsx", &[early]);
    assert_eq!(
        codes(&found),
        vec![(excel_row(0), "SUPPLEMENTARY_MONTH_BEFORE_FIRST".to_owned())]
    );
    assert!(
        found[0].2.contains(&late_joiner.first_month.to_string()),
        "{}",
        found[0].2
    );
    // After the person's own 缴至年月 (the person was not in the last 汇缴).
    execute(
        &centre,
        &format!(
            "UPDATE persons SET paid_through = '202608' WHERE account = '{}'",
            active[2].account
        ),
    );
    let found = refused("behind.xlsx", &[ok(2)]);
    assert_eq!(
        codes(&found),
        vec![(excel_row(0), "SUPPLEMENTARY_MONTH_AFTER_PAID_THROUGH".to_owned())]
    );
    assert!(found[0].2.contains("该职工的缴至年月 202608"), "{}", found[0].2);
    // A closed account.
    execute(
        &centre,
        &format!(
            "UPDATE persons SET status = '05' WHERE account = '{}'",
            active[3].account
        ),
    );
    let found = refused("closed.xlsx", &[ok(3)]);
    assert_eq!(
        codes(&found),
        vec![(excel_row(0), "PERSON_NOT_ACTIVE".to_owned())]
    );
    // Another unit's person: the answer for an unknown account, and nothing about them.
    let stranger = rt().block_on(centre.active_employees(units::EMPLOYER_A)).unwrap()[3].clone();
    let foreign = Person {
        account: stranger.account.clone(),
        name: stranger.name.clone(),
        id_number: stranger.id_number.clone(),
        base: stranger.base,
        status: "01".into(),
        first_month: ctx.0.unit.first_month,
    };
    let (code, out, _) = submit(
        &centre,
        label,
        &sheet(
            &centre,
            "foreign.xlsx",
            &[Row::new(&foreign, "202607", "202609", None, "01", &ctx)],
        ),
    );
    let found = issues(&out);
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        codes(&found),
        vec![(excel_row(0), "PERSON_NOT_IN_UNIT".to_owned())]
    );
    let body = out.to_string();
    assert!(
        !body.contains(&stranger.name)
            && !body.contains(&stranger.id_number)
            && !body.contains(units::EMPLOYER_A),
        "{body}"
    );
    let mut nobody = foreign.clone();
    nobody.account = "990099999999".into();
    let (_, out, _) = submit(
        &centre,
        label,
        &sheet(
            &centre,
            "nobody.xlsx",
            &[Row::new(&nobody, "202607", "202609", None, "01", &ctx)],
        ),
    );
    assert_eq!(
        issues(&out)[0].2.replace("990099999999", "#"),
        found[0].2.replace(&stranger.account, "#")
    );
    // Nothing of any refused batch was stored.
    assert_eq!(scalar(&centre, "SELECT COUNT(*) FROM submissions"), 0);
    assert_eq!(scalar(&centre, "SELECT COUNT(*) FROM supplementary_months"), 0);

    // An open 补缴 holds its months: another covering one of them is refused; once withdrawn, they are free.
    let first = vec![Row::new(active[4], "202601", "202603", None, "01", &ctx)];
    let (code, out, err) = submit(&centre, label, &sheet(&centre, "open.xlsx", &first));
    assert_eq!(code, 0, "{out} {err}");
    let open_serial = out["receipt"]["serial"].as_str().unwrap().to_owned();
    let second = vec![ok(5), Row::new(active[4], "202603", "202605", None, "01", &ctx)];
    let second_file = sheet(&centre, "second.xlsx", &second);
    let (code, out, _) = submit(&centre, label, &second_file);
    let found = issues(&out);
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        codes(&found),
        vec![(excel_row(1), "SUPPLEMENTARY_MONTH_ALREADY_PAID".to_owned())]
    );
    assert!(
        found[0].2.contains(&open_serial) && found[0].2.contains("202603"),
        "{}",
        found[0].2
    );
    let (code, out, _) = run(centre.gjj(label).args(["withdraw", &open_serial, "--json"]));
    assert_eq!(code, 0, "{out}");
    let (code, out, err) = submit(&centre, label, &second_file);
    assert_eq!(code, 0, "{out} {err}");
    assert_eq!(out["receipt"]["accepted_rows"], 2);
}

#[test]
fn a_supplementary_runs_on_postgresql() {
    let server = std::env::var(gjj_tests::POSTGRES_ENV).unwrap_or_else(|_| {
        panic!(
            "{} is not set: run with `cargo xtask test` (it starts PostgreSQL)",
            gjj_tests::POSTGRES_ENV
        )
    });
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Postgres(server)).unwrap();
    let label = units::EMPLOYER_B;
    let ctx = context(&centre, label);
    let people = persons(&centre, UNIT_B);
    let active: Vec<&Person> = people.iter().filter(|p| p.status == "01").collect();
    let rows = vec![
        Row::new(active[0], "202605", "202609", None, "01", &ctx),
        Row::new(active[1], "202609", "202609", None, "99", &ctx),
    ];
    let mut rows = rows;
    rows[1].text = "劳动仲裁裁定补缴".into();
    let (code, out, err) = submit(&centre, label, &sheet(&centre, "补缴.xlsx", &rows));
    assert_eq!(code, 0, "{out} {err}");
    let serial = out["receipt"]["serial"].as_str().unwrap().to_owned();
    let (code, out, err) = run(centre
        .gjj_pfx("staff")
        .args(["review", "approve", &serial, "--json"]));
    assert_eq!(code, 0, "{out} {err}");
    assert_eq!(
        scalar(
            &centre,
            &format!(
                "SELECT COUNT(*) FROM supplementary_months WHERE serial = '{serial}' AND paid_at IS NOT NULL"
            )
        ),
        6
    );
    // The same months again: refused on this backend too.
    let (code, out, _) = submit(&centre, label, &sheet(&centre, "again.xlsx", &rows[..1]));
    assert_eq!(code, 1, "{out}");
    assert_eq!(issues(&out)[0].1, "SUPPLEMENTARY_MONTH_ALREADY_PAID");
}
