//! 楼栋录入 end to end over mTLS with the developer's SoftHSM token: a building of an approved project with its
//! 户清单 from the Excel template → staff approve → the building and its houses (可售) exist; the 预售许可证号 is
//! unique across the centre without revealing who holds it; duplicate 房号 and 套内面积 > 建筑面积 refused; a
//! building under a project not yet approved refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use gjj_client::{ClientError, Outbox, Session, SessionConfig, Submitted};
use gjj_domain::area::Area;
use gjj_domain::building::{Building, HouseRow};
use gjj_domain::issue::Issue;
use gjj_domain::money::Fen;
use gjj_domain::rate::Rate;
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

fn refusal(result: Result<Submitted, ClientError>) -> (u16, String, Vec<Issue>) {
    match result {
        Err(ClientError::Api { status, body }) => (status, body.code, body.issues),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// One 户 row as typed into the sheet: 房号, 单元, 楼层, 建筑面积, 套内面积, 备案总价 (元).
type Row<'a> = (&'a str, f64, f64, f64, f64, f64);

fn write_houses(path: &Path, rows: &[Row<'_>]) {
    let opts = gjj_sheets::building::TemplateOptions::default();
    let mut wb = gjj_sheets::building::template_workbook(&opts).unwrap();
    let sheet = wb.worksheet_from_index(0).unwrap();
    let first = gjj_sheets::building::FIRST_DATA_ROW;
    for (i, (no, unit, floor, area, inner, price)) in rows.iter().enumerate() {
        let r = first + u32::try_from(i).unwrap();
        sheet.write_number(r, 0, (i + 1) as f64).unwrap();
        sheet.write_string(r, 1, *no).unwrap();
        for (c, v) in [(2u16, unit), (3, floor), (4, area), (5, inner), (6, price)] {
            sheet.write_number(r, c, *v).unwrap();
        }
    }
    wb.save(path).unwrap();
}

/// An approved project of the developer, made through the CLI; its id.
fn approved_project(centre: &LocalCentre, name: &str) -> String {
    let sets: Vec<String> = [
        ("楼盘名称", name),
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
    out.to_string();
    let (_, show, _) = run(centre.gjj(units::DEVELOPER).args(["project", "list", "--json"]));
    show[0]["id"].as_str().unwrap().to_owned()
}

fn submit_building(
    centre: &LocalCentre,
    project: &str,
    no: &str,
    permit: &str,
    file: &Path,
) -> (i32, Value, String) {
    run(centre.gjj(units::DEVELOPER).args([
        "submit",
        "building",
        "--project",
        project,
        "--building-no",
        no,
        "--presale-permit",
        permit,
        "--units",
        "2",
        "--floors",
        "18",
        "--completion",
        "2026-12-31",
        "--loan-ratio",
        "70",
        "--file",
        file.to_str().unwrap(),
        "--json",
    ]))
}

#[test]
fn a_building_with_its_houses_is_created_on_approval() {
    a_building_with_its_houses_is_created_on_approval_on(Backend::Sqlite);
}

#[test]
fn a_building_with_its_houses_is_created_on_approval_on_postgresql() {
    a_building_with_its_houses_is_created_on_approval_on(gjj_tests::postgres_backend());
}

fn a_building_with_its_houses_is_created_on_approval_on(backend: Backend) {
    let centre = LocalCentre::start(&Fixtures::from_env(), backend).unwrap();
    let project = approved_project(&centre, "华信·湘江壹号");
    let file = centre.dir.path().join("户清单.xlsx");
    write_houses(
        &file,
        &[
            ("1-1801", 1.0, 18.0, 89.5, 74.2, 537_000.0),
            ("1-1802", 1.0, 18.0, 120.33, 101.07, 721_980.5),
            ("2-0101", 2.0, 1.0, 0.29, 0.29, 1.0),
        ],
    );
    let (code, out, err) = submit_building(&centre, &project, "1栋", "衡房预售许字〔2025〕第013号", &file);
    assert_eq!(code, 0, "{out} {err}");
    assert_eq!(out["receipt"]["business"], "building");
    assert_eq!(out["receipt"]["accepted_rows"], 3);
    let serial = out["receipt"]["serial"].as_str().unwrap().to_owned();
    // Nothing exists before approval.
    assert_eq!(scalar(&centre, "SELECT COUNT(*) FROM buildings"), 0);
    assert_eq!(scalar(&centre, "SELECT COUNT(*) FROM houses"), 0);

    let (code, out, err) = run(centre
        .gjj_pfx("staff")
        .args(["review", "approve", &serial, "--json"]));
    assert_eq!(
        (code, out["status_label"].as_str()),
        (0, Some("已办结")),
        "{out} {err}"
    );
    let (_, show, _) = run(centre
        .gjj(units::DEVELOPER)
        .args(["project", "show", &project, "--json"]));
    let b = &show["buildings"][0];
    assert_eq!(b["id"], "LD00000001", "{show}");
    assert_eq!(b["building_no"], "1栋");
    assert_eq!(b["presale_permit"], "衡房预售许字〔2025〕第013号");
    assert_eq!(
        (b["unit_count"].as_u64(), b["floor_count"].as_u64()),
        (Some(2), Some(18))
    );
    assert_eq!(b["completion_date"], "2026-12-31");
    assert_eq!(b["loan_ratio"], 7000);
    let houses = b["houses"].as_array().unwrap();
    assert_eq!(houses.len(), 3);
    let h = houses.iter().find(|h| h["house_no"] == "1-1802").unwrap();
    // Exact hundredths and fen, no float noise.
    assert_eq!(
        (h["area"].as_i64(), h["inner_area"].as_i64(), h["price"].as_i64()),
        (Some(12_033), Some(10_107), Some(72_198_050))
    );
    assert!(houses.iter().all(|h| h["status"] == "可售"));
    let tiny = houses.iter().find(|h| h["house_no"] == "2-0101").unwrap();
    assert_eq!(tiny["area"], 29);
    assert_eq!(
        scalar(
            &centre,
            "SELECT COUNT(*) FROM houses WHERE building_id = 'LD00000001' AND status = '可售'"
        ),
        3
    );

    // The same 楼栋号 again in the project: refused.
    let (code, out, _) = submit_building(&centre, &project, "1栋", "衡房预售许字〔2025〕第099号", &file);
    assert_eq!(code, 1, "{out}");
    assert_eq!(out["error"]["issues"][0]["code"], "BUILDING_NO_IN_USE", "{out}");
}

#[test]
fn presale_permit_is_unique_across_the_centre_without_revealing_the_holder() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    let project = approved_project(&centre, "华信·湘江壹号");
    // Another developer of the centre already has a building with permit 第050号 (entered at the counter).
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
    let file = centre.dir.path().join("户清单.xlsx");
    write_houses(&file, &[("101", 1.0, 1.0, 89.5, 74.2, 537_000.0)]);
    let (code, out, _) = submit_building(&centre, &project, "2栋", "衡房预售许字〔2025〕第050号", &file);
    assert_eq!(code, 1, "{out}");
    let issue = &out["error"]["issues"][0];
    assert_eq!(issue["code"], "PRESALE_PERMIT_IN_USE", "{out}");
    let text = out.to_string();
    for secret in [
        "别家楼盘",
        "XM00000900",
        "衡阳另一家置业有限公司",
        "4000002",
        "9栋",
        "LD00000900",
    ] {
        assert!(!text.contains(secret), "the refusal names {secret}: {text}");
    }
    assert_eq!(scalar(&centre, "SELECT COUNT(*) FROM building_submissions"), 0);

    // A permit under review (not approved yet) is taken too.
    let (code, out, err) = submit_building(&centre, &project, "2栋", "衡房预售许字〔2025〕第051号", &file);
    assert_eq!(code, 0, "{out} {err}");
    let (code, out, _) = submit_building(&centre, &project, "3栋", "衡房预售许字〔2025〕第051号", &file);
    assert_eq!(
        (code, out["error"]["issues"][0]["code"].as_str()),
        (1, Some("PRESALE_PERMIT_IN_USE")),
        "{out}"
    );
}

fn house(row: u32, no: &str, area: i64, inner: i64) -> HouseRow {
    HouseRow {
        row,
        house_no: no.into(),
        unit_no: 1,
        floor: 2,
        area: Area(area),
        inner_area: Area(inner),
        price: Fen(50_000_000),
    }
}

#[test]
fn house_rules_and_project_facts_are_refused() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    let project = approved_project(&centre, "华信·湘江壹号");

    // Through the CLI: duplicate 房号 and 套内面积 > 建筑面积 are found in the sheet, nothing is sent.
    let file = centre.dir.path().join("bad.xlsx");
    write_houses(
        &file,
        &[
            ("101", 1.0, 1.0, 89.5, 74.2, 537_000.0),
            ("101", 1.0, 1.0, 89.5, 74.2, 537_000.0),
            ("102", 1.0, 1.0, 89.5, 89.51, 537_000.0),
            ("103", 3.0, 19.0, 89.5, 74.2, 537_000.0),
        ],
    );
    let (code, out, _) = submit_building(&centre, &project, "1栋", "衡房预售许字〔2025〕第013号", &file);
    assert_eq!(code, 1, "{out}");
    let codes: Vec<&str> = out["error"]["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "DUPLICATE_HOUSE_NO",
            "INNER_AREA_EXCEEDS_AREA",
            "HOUSE_UNIT_OUT_OF_RANGE",
            "HOUSE_FLOOR_OUT_OF_RANGE"
        ],
        "{out}"
    );
    assert_eq!(
        scalar(
            &centre,
            "SELECT COUNT(*) FROM submissions WHERE business = 'building'"
        ),
        0
    );
    let (code, out, _) = run(centre.gjj(units::DEVELOPER).args([
        "check",
        "building-houses",
        file.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!((code, out["rows"].as_u64()), (1, Some(4)), "{out}");

    // Straight to the centre: the same rules again, plus the project facts.
    let rt = rt();
    let session = session(&centre, units::DEVELOPER);
    let outbox = rt
        .block_on(Outbox::open(&centre.dir.path().join("raw.sqlite")))
        .unwrap();
    let building = |project: &str, houses: Vec<HouseRow>| Building {
        project_id: project.into(),
        building_no: "5栋".into(),
        presale_permit: "衡房预售许字〔2025〕第077号".into(),
        unit_count: 2,
        floor_count: 18,
        completion_date: "2026-12-31".into(),
        loan_ratio: Rate(7000),
        note: None,
        houses,
    };
    for (want, b) in [
        (
            "DUPLICATE_HOUSE_NO",
            building(
                &project,
                vec![house(5, "1-201", 8950, 7420), house(6, "1-201", 8950, 7420)],
            ),
        ),
        (
            "INNER_AREA_EXCEEDS_AREA",
            building(&project, vec![house(5, "1-201", 8950, 8951)]),
        ),
        (
            "PROJECT_NOT_FOUND",
            building("XM00000777", vec![house(5, "1-201", 8950, 7420)]),
        ),
        ("NO_ROWS", building(&project, vec![])),
    ] {
        let (status, code, issues) = refusal(rt.block_on(session.submit(&outbox, "building", &b, 1)));
        assert_eq!((status, code.as_str()), (422, "RULES_VIOLATED"), "{want}");
        assert_eq!(issues[0].code.as_str(), want, "{issues:?}");
    }
    // A project not yet approved (a draft) cannot take buildings.
    let (code, out, _) =
        run(centre
            .gjj(units::DEVELOPER)
            .args(["project", "draft", "--set", "楼盘名称=未审项目", "--json"]));
    assert_eq!(code, 0);
    let draft = out["id"].as_str().unwrap().to_owned();
    let (_, code, issues) = refusal(rt.block_on(session.submit(
        &outbox,
        "building",
        &building(&draft, vec![house(5, "1-201", 8950, 7420)]),
        1,
    )));
    assert_eq!(
        (code.as_str(), issues[0].code.as_str()),
        ("RULES_VIOLATED", "PROJECT_NOT_ACTIVE")
    );
    assert_eq!(
        scalar(
            &centre,
            "SELECT COUNT(*) FROM submissions WHERE business = 'building'"
        ),
        0
    );
}
