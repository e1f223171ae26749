//! 补缴: the template we write, filled the way clerks fill it, imports to the rows meant and
//! passes the domain rules; the empty template has no rows.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use calamine::{Reader, Xlsx};
use gjj_domain::base_adjustment::amounts;
use gjj_domain::ids::{id_check_char, IdCard};
use gjj_domain::issue::{Code, Issue};
use gjj_domain::money::Fen;
use gjj_domain::month::Month;
use gjj_domain::policy::Policy;
use gjj_domain::rate::Rate;
use gjj_domain::rounding::RoundTo;
use gjj_domain::supplementary::{self as rules, col};
use gjj_domain::unit::{UnitFacts, UnitStatus};
use gjj_sheets::supplementary::{self, TemplateOptions, FIRST_DATA_ROW, SHEET_NAME, TEMPLATE_DATA_ROWS};

fn m(y: i32, mo: u32) -> Month {
    Month::new(y, mo).unwrap()
}

fn policy() -> Policy {
    Policy {
        year: 2026,
        starts: m(2026, 7),
        ends: m(2027, 6),
        base_min: Fen::from_yuan(1700),
        base_max: Fen::from_yuan(21142),
        monthly_min: Fen::from_yuan(170),
        monthly_max: Fen::from_yuan(5076),
        unit_rate_min: Rate(500),
        unit_rate_max: Rate(1200),
        person_rate_min: Rate(500),
        person_rate_max: Rate(1200),
        round_to: RoundTo::Fen,
    }
}

fn unit() -> UnitFacts {
    UnitFacts {
        account: "9816030200002".into(),
        name: "衡阳蒸湘机械有限公司".into(),
        uscc: "91430408MA4PKX0227".into(),
        status: UnitStatus::Normal,
        unit_rate: Rate(1000),
        person_rate: Rate(1000),
        first_month: m(2016, 3),
        paid_through: Some(m(2026, 9)),
    }
}

fn id(n: u32) -> String {
    let first17 = format!("43040819900101{n:03}");
    format!("{first17}{}", id_check_char(&first17).unwrap())
}

fn hengyang() -> TemplateOptions {
    TemplateOptions {
        centre_name: "衡阳市住房公积金管理中心".to_owned(),
    }
}

fn codes(issues: &[Issue]) -> Vec<(u32, String, Code)> {
    issues.iter().map(|i| (i.row, i.column.clone(), i.code)).collect()
}

#[test]
fn template_layout() {
    let bytes = supplementary::template_bytes(&hengyang()).unwrap();
    let mut wb = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(wb.sheet_names(), vec![SHEET_NAME.to_owned()]);
    let range = wb.worksheet_range(SHEET_NAME).unwrap();
    let text = |r: u32, c: u32| range.get_value((r, c)).map(|v| v.to_string()).unwrap_or_default();
    assert_eq!(text(0, 0), "衡阳市住房公积金管理中心补缴清册（批量导入文件格式）");
    assert!(text(1, 0).contains("01 漏缴、02 启封后补缴、03 基数调整差额、99 其他"));
    let header: Vec<String> = (0..11).map(|c| text(2, c)).collect();
    assert_eq!(header, col::ALL.map(str::to_owned));
    assert_eq!(text(3, 0), "例");
    assert!(IdCard::parse(&text(3, 3)).is_ok());
    let styles = wb.worksheet_style(SHEET_NAME).unwrap();
    let last = FIRST_DATA_ROW + TEMPLATE_DATA_ROWS - 1;
    let format = |c: u32| {
        styles
            .get((last, c))
            .and_then(|s| s.number_format.as_ref())
            .map(|f| f.format_code.clone())
            .unwrap_or_default()
    };
    for c in [1, 3, 4, 5, 9] {
        assert_eq!(format(c), "@", "column {c}");
    }
    for c in [6, 7, 8] {
        assert_eq!(format(c), "0.00", "column {c}");
    }
}

#[test]
fn the_empty_template_has_no_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("模板.xlsx");
    supplementary::write_template(&path, &hengyang()).unwrap();
    let imported = supplementary::import(&path).unwrap();
    assert_eq!(codes(&imported.issues), vec![(0, String::new(), Code::NoRows)]);
}

#[test]
fn a_filled_template_round_trips_and_passes_the_rules() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("补缴.xlsx");
    let mut wb = supplementary::template_workbook(&hengyang()).unwrap();
    let ws = wb.worksheet_from_index(0).unwrap();
    let a = amounts(Fen::from_yuan(3000), &unit(), &policy());
    let d = amounts(Fen::from_yuan(500), &unit(), &policy());
    // (account, start, end, base yuan, unit, person, reason as typed, text)
    type Filled<'a> = (&'a str, &'a str, &'a str, f64, Fen, Fen, &'a str, &'a str);
    let rows: [Filled<'_>; 3] = [
        (
            "990200000001",
            "202607",
            "202609",
            3000.0,
            a.unit,
            a.person,
            "01 漏缴",
            "",
        ),
        (
            "990200000001",
            "2026年6月",
            "2026-06",
            3000.0,
            a.unit,
            a.person,
            "启封后补缴",
            "",
        ),
        (
            "990200000002",
            "202609",
            "202609",
            500.0,
            d.unit,
            d.person,
            "3",
            "2026 年度基数调整补差",
        ),
    ];
    for (i, (account, start, end, base, unit_amount, person_amount, reason, text)) in rows.iter().enumerate()
    {
        let r = FIRST_DATA_ROW + i as u32;
        ws.write_number(r, 0, (i + 1) as f64).unwrap();
        ws.write_string(r, 1, *account).unwrap();
        ws.write_string(r, 2, "赵六").unwrap();
        ws.write_string(r, 3, id(i as u32 % 2)).unwrap();
        ws.write_string(r, 4, *start).unwrap();
        ws.write_string(r, 5, *end).unwrap();
        ws.write_number(r, 6, *base).unwrap();
        ws.write_number(r, 7, unit_amount.0 as f64 / 100.0).unwrap();
        ws.write_number(r, 8, person_amount.0 as f64 / 100.0).unwrap();
        ws.write_string(r, 9, *reason).unwrap();
        if !text.is_empty() {
            ws.write_string(r, 10, *text).unwrap();
        }
    }
    wb.save(&path).unwrap();

    let imported = supplementary::import(&path).unwrap();
    assert_eq!(imported.issues, vec![]);
    assert_eq!(imported.data_rows, 3);
    let got: Vec<_> = imported
        .rows
        .iter()
        .map(|r| {
            (
                r.row,
                r.account.as_str(),
                r.start,
                r.end,
                r.base,
                r.reason.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                5,
                "990200000001",
                m(2026, 7),
                m(2026, 9),
                Fen::from_yuan(3000),
                "01"
            ),
            (
                6,
                "990200000001",
                m(2026, 6),
                m(2026, 6),
                Fen::from_yuan(3000),
                "02"
            ),
            (
                7,
                "990200000002",
                m(2026, 9),
                m(2026, 9),
                Fen::from_yuan(500),
                "03"
            ),
        ]
    );
    assert_eq!(
        imported.rows[2].reason_text.as_deref(),
        Some("2026 年度基数调整补差")
    );
    assert_eq!(imported.rows[0].unit_amount, Fen(30_000));
    // 202606 lies in the 2025 policy year, which this check does not know: not judged here.
    let issues = rules::check(&imported.rows, &policy(), &[], &unit(), m(2026, 11));
    assert_eq!(issues, vec![]);
}

#[test]
fn cell_problems_are_reported_per_cell() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("坏.xlsx");
    let mut wb = supplementary::template_workbook(&hengyang()).unwrap();
    let ws = wb.worksheet_from_index(0).unwrap();
    let r = FIRST_DATA_ROW;
    ws.write_string(r, 1, "990200000001").unwrap();
    ws.write_string(r, 2, "赵六").unwrap();
    ws.write_string(r, 3, id(0)).unwrap();
    ws.write_string(r, 4, "2026-13").unwrap();
    ws.write_string(r, 5, "202609").unwrap();
    ws.write_string(r, 6, "三千").unwrap();
    ws.write_number(r, 7, 300.0).unwrap();
    ws.write_number(r, 8, 300.0).unwrap();
    wb.save(&path).unwrap();
    let imported = supplementary::import(&path).unwrap();
    assert_eq!(
        codes(&imported.issues),
        vec![
            (5, col::START.to_owned(), Code::MonthInvalid),
            (5, col::BASE.to_owned(), Code::MoneyInvalid),
            (5, col::REASON.to_owned(), Code::Required),
        ]
    );
    assert_eq!(imported.rows, vec![]);
}

/// The fixture dir (committed files; see `fixtures/make_remittance_supplementary.py`).
fn fixture(name: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// `ours_supplementary_template.xlsx` (the committed input of `make_remittance_supplementary.py`) still reads
/// exactly like the template our writer produces today; regenerate it with `supplementary::write_template` if not.
#[test]
fn the_committed_fixture_input_matches_our_writer() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("fresh.xlsx");
    supplementary::write_template(&fresh, &hengyang()).unwrap();
    let a = supplementary::import(&fresh).unwrap();
    let b = supplementary::import(fixture("ours_supplementary_template.xlsx")).unwrap();
    assert_eq!((a.rows, a.issues, a.data_rows), (b.rows, b.issues, b.data_rows));
}

/// Our template filled by openpyxl (a writer we did not write), and that file converted by LibreOffice: the rows
/// the script wrote (see make_remittance_supplementary.py), reasons as codes.
#[test]
fn our_template_filled_by_openpyxl_and_libreoffice_imports_correctly() {
    for name in ["supplementary_openpyxl.xlsx", "supplementary_libreoffice.xlsx"] {
        let imported = supplementary::import(fixture(name)).unwrap();
        assert_eq!(imported.issues, vec![], "{name}");
        let got: Vec<_> = imported
            .rows
            .iter()
            .map(|r| {
                (
                    r.row,
                    r.account.as_str(),
                    r.id_number.clone(),
                    r.start,
                    r.end,
                    r.base,
                    r.unit_amount,
                    r.person_amount,
                    r.reason.as_str(),
                    r.reason_text.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    5,
                    "990200000001",
                    id(0),
                    m(2026, 7),
                    m(2026, 9),
                    Fen::from_yuan(3000),
                    Fen::from_yuan(300),
                    Fen::from_yuan(300),
                    "01",
                    None
                ),
                (
                    6,
                    "990200000002",
                    id(1),
                    m(2026, 1),
                    m(2026, 3),
                    Fen(456_789),
                    Fen(45_679),
                    Fen(45_679),
                    "02",
                    None
                ),
                (
                    7,
                    "990200000003",
                    id(2),
                    m(2026, 9),
                    m(2026, 9),
                    Fen::from_yuan(500),
                    Fen::from_yuan(50),
                    Fen::from_yuan(50),
                    "03",
                    Some("2026 年度基数调整补差")
                ),
                (
                    8,
                    "990200000004",
                    id(3),
                    m(2025, 12),
                    m(2025, 12),
                    Fen::from_yuan(2000),
                    Fen::from_yuan(200),
                    Fen::from_yuan(200),
                    "99",
                    Some("劳动仲裁裁定补缴")
                ),
            ],
            "{name}"
        );
        let issues = rules::check(&imported.rows, &policy(), &[], &unit(), m(2026, 11));
        assert_eq!(issues, vec![], "{name}");
    }
}
