//! 贷款申请 end to end over mTLS with the developer's SoftHSM token: a batch of applicants for houses of an
//! approved building → a receipt with each applicant's repayment plan → staff approve → the houses are 已售;
//! partial acceptance by applicant with the reasons; every loan rule and database fact failing on its own; a batch
//! with no acceptable applicant refused whole; an employer certificate refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use gjj_client::{ClientError, Outbox, Session, SessionConfig, Submitted};
use gjj_domain::api::Receipt;
use gjj_domain::ids::id_check_char;
use gjj_domain::issue::Code;
use gjj_domain::loan_application::{Applicant, LoanApplication, Party};
use gjj_domain::money::Fen;
use gjj_pki::TrustBundle;
use gjj_tests::{run_gjj as run, runtime as rt, scalar};
use gjj_tests::{token_credential, units, Backend, Fixtures, LocalCentre};

fn text(centre: &LocalCentre, sql: &str) -> String {
    rt().block_on(async {
        let pool = centre.db().await.unwrap();
        sqlx::query_scalar::<_, String>(sql)
            .fetch_one(&pool)
            .await
            .unwrap()
    })
}

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

fn write_houses(path: &Path, rows: &[(&str, f64)]) {
    let opts = gjj_sheets::building::TemplateOptions::default();
    let mut wb = gjj_sheets::building::template_workbook(&opts).unwrap();
    let sheet = wb.worksheet_from_index(0).unwrap();
    let first = gjj_sheets::building::FIRST_DATA_ROW;
    for (i, (no, price)) in rows.iter().enumerate() {
        let r = first + u32::try_from(i).unwrap();
        sheet.write_number(r, 0, (i + 1) as f64).unwrap();
        sheet.write_string(r, 1, *no).unwrap();
        for (c, v) in [(2u16, 1.0), (3, 1.0), (4, 120.0), (5, 100.0), (6, *price)] {
            sheet.write_number(r, c, v).unwrap();
        }
    }
    wb.save(path).unwrap();
}

/// An approved project with an approved building "1栋" whose houses 101…110 are 可售; (project id, building id).
fn approved_building(centre: &LocalCentre) -> (String, String) {
    let sets: Vec<String> = [
        ("楼盘名称", "华信·湘江壹号"),
        ("楼盘地址", "衡阳市蒸湘区解放大道88号华信湘江壹号"),
        ("预售许可证号", "衡房预售许字〔2025〕第012号"),
        ("建设用地规划许可证号", "地字第430400202500012号"),
        ("不动产权证号", "湘(2025)衡阳市不动产权第0012345号"),
        ("建设工程规划许可证号", "建字第430400202500123号"),
        ("建筑工程施工许可证号", "430400202503150101"),
        ("按揭协议日期", "2025-06-30"),
        ("保证金比例", "5"),
        ("保证金账户", "43050178400100000123"),
        ("保证金账户开户行", "中国建设银行衡阳分行"),
        ("保证金开户名", "衡阳华信置业有限公司"),
        ("建筑总面积", "125000.50"),
        ("建筑总金额", "650000000"),
        ("获取土地总价", "180000000"),
        ("土地单价", "3600"),
        ("联系人", "王建国"),
        ("联系电话", "13907340001"),
    ]
    .iter()
    .flat_map(|(k, v)| ["--set".to_owned(), format!("{k}={v}")])
    .collect();
    let (code, out, err) = run(centre
        .gjj(units::DEVELOPER)
        .args(["project", "submit", "--json"])
        .args(&sets));
    assert_eq!(code, 0, "{out} {err}");
    let serial = out["receipt"]["serial"].as_str().unwrap().to_owned();
    let (code, out, err) = run(centre
        .gjj_pfx("staff")
        .args(["review", "approve", &serial, "--json"]));
    assert_eq!(code, 0, "{out} {err}");
    let (_, list, _) = run(centre.gjj(units::DEVELOPER).args(["project", "list", "--json"]));
    let project = list[0]["id"].as_str().unwrap().to_owned();
    let file = centre.dir.path().join("户清单.xlsx");
    let rows: Vec<(String, f64)> = (101..=110).map(|n| (n.to_string(), 1_500_000.0)).collect();
    let rows: Vec<(&str, f64)> = rows.iter().map(|(n, p)| (n.as_str(), *p)).collect();
    write_houses(&file, &rows);
    let (code, out, err) = run(centre.gjj(units::DEVELOPER).args([
        "submit",
        "building",
        "--project",
        &project,
        "--building-no",
        "1栋",
        "--presale-permit",
        "衡房预售许字〔2025〕第013号",
        "--units",
        "2",
        "--floors",
        "18",
        "--completion",
        "2026-12-31",
        "--loan-ratio",
        "80",
        "--file",
        file.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(code, 0, "{out} {err}");
    let serial = out["receipt"]["serial"].as_str().unwrap().to_owned();
    let (code, out, err) = run(centre
        .gjj_pfx("staff")
        .args(["review", "approve", &serial, "--json"]));
    assert_eq!(code, 0, "{out} {err}");
    let building = text(centre, "SELECT id FROM buildings WHERE building_no = '1栋'");
    (project, building)
}

/// A valid 身份证 number born on `birth` (YYYYMMDD).
fn id(birth: &str, seq: u32) -> String {
    let first17 = format!("430405{birth}{seq:03}");
    format!("{first17}{}", id_check_char(&first17).unwrap())
}

/// A person of 衡阳雁城科技 (any unit's person may borrow) with `months` of contributions up to 202610.
fn person(centre: &LocalCentre, account: &str, id_number: &str, status: &str, first_month: &str) {
    execute(
        centre,
        &format!(
            "INSERT INTO persons (account, unit_account, name, id_number, status, base_fen, unit_amount_fen, \
             person_amount_fen, first_month, paid_through) VALUES ('{account}', '9815070100001', '借款人', \
             '{id_number}', '{status}', 800000, 96000, 96000, '{first_month}', '202610')"
        ),
    );
}

fn party(account: &str, id_number: &str) -> Party {
    Party {
        name: "李明".into(),
        id_type: "01".into(),
        id_number: id_number.into(),
        account: account.into(),
        mobile: "13907341234".into(),
        income: Fen::from_yuan(12_000),
        relation: None,
    }
}

fn applicant(row: u32, borrower: Party, project: &str, building: &str, house: &str) -> Applicant {
    Applicant {
        row,
        borrower,
        co_borrower: None,
        project_id: project.into(),
        building: building.into(),
        house_no: house.into(),
        price: Fen::from_yuan(1_000_000),
        down_payment: Fen::from_yuan(500_000),
        amount: Fen::from_yuan(500_000),
        // 36 y 5 m (born 1990-06, in 2026-11) + 25 years stays under 65.
        months: 300,
        repayment: "01".into(),
        house_count: 1,
        children: 0,
    }
}

fn submit(centre: &LocalCentre, label: &str, payload: &LoanApplication) -> Result<Receipt, ClientError> {
    let rt = rt();
    let session = session(centre, label);
    let outbox = rt
        .block_on(Outbox::open(&centre.dir.path().join(format!("{label}.sqlite"))))
        .unwrap();
    let rows = u32::try_from(payload.applicants.len()).unwrap();
    rt.block_on(session.submit(&outbox, "loan_application", payload, rows))
        .map(|Submitted::Accepted { receipt, .. }| receipt)
}

/// 借款人 born 1990-06 (36 in 2026) with 24 months of contributions.
const GOOD_BIRTH: &str = "19900615";

#[test]
fn a_batch_is_accepted_with_exact_payments_and_approval_sells_the_houses() {
    a_batch_is_accepted_with_exact_payments_and_approval_sells_the_houses_on(Backend::Sqlite);
}

#[test]
fn a_batch_is_accepted_with_exact_payments_and_approval_sells_the_houses_on_postgresql() {
    a_batch_is_accepted_with_exact_payments_and_approval_sells_the_houses_on(gjj_tests::postgres_backend());
}

fn a_batch_is_accepted_with_exact_payments_and_approval_sells_the_houses_on(backend: Backend) {
    let centre = LocalCentre::start(&Fixtures::from_env(), backend).unwrap();
    let (project, building) = approved_building(&centre);
    let ids: Vec<String> = (1..=3).map(|i| id(GOOD_BIRTH, i)).collect();
    for (i, n) in ids.iter().enumerate() {
        person(&centre, &format!("77000000000{i}"), n, "01", "202411");
    }
    let mut a1 = applicant(3, party("770000000000", &ids[0]), &project, "1栋", "101");
    a1.months = 300; // 36 y 5 m + 25 y ≤ 65.
    let mut a2 = applicant(4, party("770000000001", &ids[1]), &project, &building, "102");
    a2.repayment = "02".into();
    a2.months = 240;
    a2.amount = Fen::from_yuan(360_000);
    a2.down_payment = Fen::from_yuan(640_000);
    // The borrower has no account history that qualifies; the co-borrower (spouse) does.
    let mut a3 = applicant(5, party("770000000002", &ids[2]), &project, "1栋", "103");
    execute(
        &centre,
        "UPDATE persons SET first_month = '202609' WHERE account = '770000000002'",
    );
    let mut co = party("", &id("19920101", 9));
    co.name = "王芳".into();
    co.relation = Some("1".into());
    co.account = "770000000009".into();
    person(&centre, "770000000009", &co.id_number, "01", "202001");
    a3.co_borrower = Some(co);
    a3.months = 120;
    a3.house_count = 2;

    let receipt = submit(
        &centre,
        units::DEVELOPER,
        &LoanApplication {
            applicants: vec![a1, a2, a3],
        },
    )
    .unwrap();
    assert_eq!(receipt.business, "loan_application");
    assert_eq!(receipt.accepted_rows, 3);
    assert_eq!(receipt.applicants.len(), 3);
    assert!(
        receipt
            .applicants
            .iter()
            .all(|o| o.accepted && o.issues.is_empty()),
        "{receipt:?}"
    );
    // 500,000 元 over 300 months at 2.6 % 等额本息, computed here independently.
    let p1 = receipt.applicants[0].plan.as_ref().unwrap();
    let r = 0.026_f64 / 12.0;
    let g = (1.0 + r).powi(300);
    let m = (50_000_000.0 * r * g / (g - 1.0)).round() as i64;
    assert_eq!((p1.annual_rate, p1.first_payment.0), (2600, m));
    assert_eq!(p1.total_payment.0, 50_000_000 + p1.total_interest.0);
    assert_eq!(p1.total_payment.0, m * 299 + p1.last_payment.0);
    // 360,000 元 等额本金 over 240 months: 1500 元 + 360000 × 2.6 % / 12 = 780 元 in the first month.
    let p2 = receipt.applicants[1].plan.as_ref().unwrap();
    assert_eq!(p2.first_payment.0, 150_000 + 78_000);
    // Last month: 1500 + 1500 × 2.6 % / 12 = 3.25 元.
    assert_eq!(p2.last_payment.0, 150_000 + 325);
    // 二套, 10 years: 3.075 %.
    assert_eq!(receipt.applicants[2].plan.as_ref().unwrap().annual_rate, 3075);
    assert_eq!(scalar(&centre, "SELECT COUNT(*) FROM loan_application_rows"), 3);
    assert_eq!(
        scalar(&centre, "SELECT COUNT(*) FROM houses WHERE status = '可售'"),
        10
    );

    let (code, out, err) =
        run(centre
            .gjj_pfx("staff")
            .args(["review", "approve", &receipt.serial, "--json"]));
    assert_eq!(
        (code, out["status_label"].as_str()),
        (0, Some("已办结")),
        "{out} {err}"
    );
    assert_eq!(
        scalar(
            &centre,
            "SELECT COUNT(*) FROM houses WHERE status = '已售' AND house_no IN ('101', '102', '103')"
        ),
        3
    );
    assert_eq!(
        scalar(&centre, "SELECT COUNT(*) FROM houses WHERE status = '可售'"),
        7
    );

    // A sold house cannot be applied for again.
    let again = applicant(1, party("770000000000", &ids[0]), &project, "1栋", "101");
    match submit(
        &centre,
        units::DEVELOPER,
        &LoanApplication {
            applicants: vec![again],
        },
    ) {
        Err(ClientError::Api { status, body }) => {
            assert_eq!(status, 422);
            assert_eq!(body.issues[0].code, Code::HouseNotForSale, "{body:?}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn each_applicant_is_judged_on_its_own_and_every_rule_can_fail() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    let (project, _) = approved_building(&centre);
    let good = id(GOOD_BIRTH, 1);
    person(&centre, "770000000001", &good, "01", "202401");
    let old = id("19700101", 2);
    person(&centre, "770000000002", &old, "01", "202401");
    let fresh = id(GOOD_BIRTH, 3);
    person(&centre, "770000000003", &fresh, "01", "202607"); // 4 months up to 202610.
    let sealed = id(GOOD_BIRTH, 4);
    person(&centre, "770000000004", &sealed, "02", "201501");
    // Another developer's approved building with a 可售 house.
    execute(
        &centre,
        "INSERT INTO units (account, uscc, name, role, status, unit_rate_bp, person_rate_bp, first_month, address) \
         VALUES ('4000002', '91430400MA4PHX9999', '衡阳另一家置业有限公司', 'developer', '01', 0, 0, '202501', '衡阳市石鼓区某路 1 号')",
    );
    execute(
        &centre,
        "INSERT INTO projects (id, developer_account, name, status, created_at, updated_at) \
         VALUES ('XM00000900', '4000002', '别家楼盘', 'active', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')",
    );
    execute(
        &centre,
        "INSERT INTO buildings (id, project_id, building_no, presale_permit, unit_count, floor_count, completion_date, \
         loan_ratio_bp, serial, created_at) VALUES ('LD00000900', 'XM00000900', '9栋', '衡房预售许字〔2025〕第050号', \
         1, 10, '2026-01-01', 7000, 'counter', '2025-01-01T00:00:00Z')",
    );
    execute(
        &centre,
        "INSERT INTO houses (building_id, house_no, unit_no, floor, area_centi, inner_area_centi, price_fen, status) \
         VALUES ('LD00000900', '101', 1, 1, 12000, 10000, 150000000, '可售')",
    );

    // First an open application for house 110.
    let first = submit(
        &centre,
        units::DEVELOPER,
        &LoanApplication {
            applicants: vec![applicant(1, party("770000000001", &good), &project, "1栋", "110")],
        },
    )
    .unwrap();
    assert_eq!(first.accepted_rows, 1);

    let b = || party("770000000001", &good);
    let mut rows = Vec::new();
    // Row 2: good.
    rows.push(applicant(2, b(), &project, "1栋", "101"));
    // Row 3: over 80 % of the price.
    let mut a = applicant(3, b(), &project, "1栋", "102");
    a.amount = Fen::from_yuan(850_000);
    a.down_payment = Fen::from_yuan(150_000);
    rows.push(a);
    // Row 4: over the 900,000 cap (price 1,500,000 × 80 % = 1,200,000 allowed by ratio).
    let mut a = applicant(4, b(), &project, "1栋", "103");
    a.price = Fen::from_yuan(1_500_000);
    a.amount = Fen::from_yuan(1_000_000);
    a.down_payment = Fen::from_yuan(500_000);
    rows.push(a);
    // Row 5: 361 months.
    let mut a = applicant(5, b(), &project, "1栋", "104");
    a.months = 361;
    rows.push(a);
    // Row 6: age 56 + 10 years > 65.
    let mut a = applicant(6, party("770000000002", &old), &project, "1栋", "105");
    a.months = 120;
    rows.push(a);
    // Row 7: 4 months of contributions only.
    rows.push(applicant(
        7,
        party("770000000003", &fresh),
        &project,
        "1栋",
        "106",
    ));
    // Row 8: another developer's house (same answer as an unknown house).
    rows.push(applicant(8, b(), "XM00000900", "LD00000900", "101"));
    // Row 9: the house under the open application above.
    rows.push(applicant(9, b(), &project, "1栋", "110"));
    // Row 10: an account that is not the stated person's.
    rows.push(applicant(
        10,
        party("770000000002", &good),
        &project,
        "1栋",
        "107",
    ));
    // Row 11: a sealed (封存) account, however long.
    rows.push(applicant(
        11,
        party("770000000004", &sealed),
        &project,
        "1栋",
        "108",
    ));
    // Row 12: the same house as row 2 in the same batch.
    rows.push(applicant(12, b(), &project, "1栋", "101"));

    let receipt = submit(&centre, units::DEVELOPER, &LoanApplication { applicants: rows }).unwrap();
    assert_eq!(receipt.accepted_rows, 1, "{receipt:?}");
    let outcome = |row: u32| receipt.applicants.iter().find(|o| o.row == row).unwrap();
    assert!(outcome(2).accepted && outcome(2).plan.is_some());
    for (row, code) in [
        (3, Code::LoanAmountOverRatio),
        (4, Code::LoanAmountOverCap),
        (5, Code::LoanTermTooLong),
        (6, Code::LoanAgeOverLimit),
        (7, Code::LoanContributionTooShort),
        (8, Code::HouseNotFound),
        (9, Code::HouseUnderApplication),
        (10, Code::LoanAccountNotFound),
        (11, Code::LoanContributionTooShort),
        (12, Code::HouseUnderApplication),
    ] {
        let o = outcome(row);
        assert!(!o.accepted && o.plan.is_none(), "row {row}: {o:?}");
        assert!(o.issues.iter().any(|i| i.code == code), "row {row}: {o:?}");
    }
    // Nothing about the other developer or the other application leaks.
    let json = serde_json::to_string(&receipt).unwrap();
    for secret in ["别家楼盘", "衡阳另一家置业有限公司", "4000002", &first.serial] {
        assert!(!json.contains(secret), "{secret} in {json}");
    }
    assert_eq!(
        scalar(
            &centre,
            &format!(
                "SELECT COUNT(*) FROM loan_application_rows WHERE serial = '{}'",
                receipt.serial
            )
        ),
        1
    );

    // No acceptable applicant: refused whole, nothing stored.
    let before = scalar(&centre, "SELECT COUNT(*) FROM submissions");
    let mut a = applicant(1, b(), &project, "1栋", "109");
    a.months = 400;
    match submit(
        &centre,
        units::DEVELOPER,
        &LoanApplication { applicants: vec![a] },
    ) {
        Err(ClientError::Api { status, body }) => {
            assert_eq!((status, body.code.as_str()), (422, "RULES_VIOLATED"));
            assert_eq!(body.issues[0].code, Code::LoanTermTooLong);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(scalar(&centre, "SELECT COUNT(*) FROM submissions"), before);
}

#[test]
fn an_employer_certificate_is_refused() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    let a = applicant(
        1,
        party("770000000001", &id(GOOD_BIRTH, 1)),
        "XM00000001",
        "1栋",
        "101",
    );
    match submit(
        &centre,
        units::EMPLOYER_A,
        &LoanApplication { applicants: vec![a] },
    ) {
        Err(ClientError::Api { status, .. }) => assert_eq!(status, 403),
        other => panic!("{other:?}"),
    }
    assert_eq!(scalar(&centre, "SELECT COUNT(*) FROM loan_application_rows"), 0);
}

/// Writes a 贷款申请 sheet: per applicant (account, ID, house, price, down payment, amount) in 元.
fn write_loan_sheet(path: &Path, project: &str, rows: &[(&str, &str, &str, f64, f64, f64)]) {
    let opts = gjj_sheets::loan_application::TemplateOptions::default();
    let mut wb = gjj_sheets::loan_application::template_workbook(&opts).unwrap();
    let text = rust_xlsxwriter::Format::new().set_num_format("@");
    let sheet = wb.worksheet_from_index(0).unwrap();
    let first = gjj_sheets::loan_application::FIRST_DATA_ROW;
    for (i, (account, id_number, house, price, down, amount)) in rows.iter().enumerate() {
        let r = first + u32::try_from(i).unwrap();
        sheet.write_number(r, 0, (i + 1) as f64).unwrap();
        sheet.write_string(r, 1, "李明").unwrap();
        sheet.write_string_with_format(r, 3, *id_number, &text).unwrap();
        sheet.write_string_with_format(r, 4, *account, &text).unwrap();
        sheet
            .write_string_with_format(r, 5, "13907341234", &text)
            .unwrap();
        sheet.write_number(r, 6, 12_000.0).unwrap();
        sheet.write_string_with_format(r, 14, project, &text).unwrap();
        sheet.write_string_with_format(r, 15, "1栋", &text).unwrap();
        sheet.write_string_with_format(r, 16, *house, &text).unwrap();
        for (c, v) in [(17u16, *price), (18, *down), (19, *amount), (20, 300.0)] {
            sheet.write_number(r, c, v).unwrap();
        }
        sheet
            .write_string_with_format(r, 21, "01 等额本息", &text)
            .unwrap();
        sheet.write_number(r, 22, 1.0).unwrap();
    }
    wb.save(path).unwrap();
}

#[test]
fn a_sheet_submitted_with_the_cli_gets_a_partial_receipt() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    let (project, _) = approved_building(&centre);
    let ids: Vec<String> = (1..=2).map(|i| id(GOOD_BIRTH, i)).collect();
    person(&centre, "770000000001", &ids[0], "01", "202401");
    person(&centre, "770000000002", &ids[1], "01", "202401");
    let file = centre.dir.path().join("贷款申请.xlsx");
    write_loan_sheet(
        &file,
        &project,
        &[
            ("770000000001", &ids[0], "101", 1_000_000.0, 500_000.0, 500_000.0),
            // 85 % of the price: over the 80 % ratio.
            ("770000000002", &ids[1], "102", 1_000_000.0, 150_000.0, 850_000.0),
        ],
    );
    let file = file.to_str().unwrap();

    let (code, out, err) =
        run(centre
            .gjj(units::DEVELOPER)
            .args(["check", "loan-application", file, "--json"]));
    assert_eq!((code, out["rows"].as_u64()), (0, Some(2)), "{out} {err}");

    let (code, out, err) =
        run(centre
            .gjj(units::DEVELOPER)
            .args(["submit", "loan-application", file, "--json"]));
    assert_eq!(code, 0, "{out} {err}");
    let receipt = &out["receipt"];
    assert_eq!(receipt["business"], "loan_application", "{out}");
    assert_eq!(receipt["accepted_rows"], 1, "{out}");
    let first = gjj_sheets::loan_application::FIRST_DATA_ROW + 1;
    let outcomes = receipt["applicants"].as_array().unwrap();
    assert_eq!(outcomes.len(), 2, "{out}");
    assert_eq!(outcomes[0]["row"], first, "{out}");
    assert_eq!(outcomes[0]["accepted"], true, "{out}");
    // 500,000 元 over 300 months at 2.6 % 等额本息.
    let r = 0.026_f64 / 12.0;
    let g = (1.0 + r).powi(300);
    let m = (50_000_000.0 * r * g / (g - 1.0)).round() as i64;
    assert_eq!(outcomes[0]["plan"]["first_payment"], m, "{out}");
    assert_eq!(outcomes[1]["row"], first + 1, "{out}");
    assert_eq!(outcomes[1]["accepted"], false, "{out}");
    assert!(outcomes[1].get("plan").is_none(), "{out}");
    assert!(
        outcomes[1]["issues"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["code"] == "LOAN_AMOUNT_OVER_RATIO"),
        "{out}"
    );
    let serial = receipt["serial"].as_str().unwrap();
    assert_eq!(
        scalar(
            &centre,
            &format!("SELECT COUNT(*) FROM loan_application_rows WHERE serial = '{serial}'")
        ),
        1
    );
}
