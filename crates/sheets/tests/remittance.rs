//! 汇缴清册: the workbook we write for the centre's list imports back to exactly the rows the
//! centre listed (header area and 合计 row skipped), and passes the domain rules untouched.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use calamine::{Reader, Xlsx};
use gjj_domain::ids::id_check_char;
use gjj_domain::issue::{Code, Issue};
use gjj_domain::money::Fen;
use gjj_domain::month::Month;
use gjj_domain::policy::Policy;
use gjj_domain::rate::Rate;
use gjj_domain::remittance::{self as rules, col, ListEntry, Method, Remittance, RemittanceList};
use gjj_domain::rounding::RoundTo;
use gjj_domain::unit::{UnitFacts, UnitStatus};
use gjj_sheets::remittance::{self, TemplateOptions, FIRST_DATA_ROW, HEADER_ROW, SHEET_NAME};

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
        account: "9815070100001".into(),
        name: "衡阳雁城科技有限公司".into(),
        uscc: "91430405MA4PYC0138".into(),
        status: UnitStatus::Normal,
        unit_rate: Rate(1200),
        person_rate: Rate(1200),
        first_month: m(2015, 7),
        paid_through: Some(m(2026, 9)),
    }
}

fn id(n: u32) -> String {
    let first17 = format!("43040519880315{n:03}");
    format!("{first17}{}", id_check_char(&first17).unwrap())
}

/// A list of `n` people with bases that exercise rounding (odd fen).
fn list(n: u32) -> RemittanceList {
    let (u, p) = (unit(), policy());
    let entries = (0..n)
        .map(|i| {
            ListEntry::new(
                format!("9901{:08}", i + 1),
                if i % 2 == 0 {
                    "王伟".into()
                } else {
                    "阿依古丽·买买提".into()
                },
                id(i),
                Fen(300_000 + i64::from(i) * 1_237),
                &u,
                &p,
            )
        })
        .collect();
    RemittanceList::new(u, m(2026, 10), p, entries)
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
fn the_list_round_trips_and_passes_the_rules_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("清册.xlsx");
    let list = list(25);
    remittance::write_list(&path, &list, &hengyang()).unwrap();

    let imported = remittance::import(&path).unwrap();
    assert_eq!(imported.issues, vec![]);
    assert_eq!(
        imported.data_rows, 25,
        "the 合计 row and the header area are not data"
    );
    for (i, (row, e)) in imported.rows.iter().zip(&list.entries).enumerate() {
        assert_eq!(row.row, FIRST_DATA_ROW + 1 + i as u32);
        assert_eq!(
            (&row.account, &row.name, &row.id_number, row.base),
            (&e.account, &e.name, &e.id_number, e.base)
        );
        assert_eq!(
            (row.unit_amount, row.person_amount, row.total),
            (e.amounts.unit, e.amounts.person, Some(e.amounts.total))
        );
    }
    let (count, total) = rules::totals(&imported.rows);
    assert_eq!((count, total), (list.person_count, list.total));
    let payload = Remittance {
        month: list.month,
        method: Method::Transfer,
        person_count: count,
        total,
        rows: imported.rows,
    };
    assert_eq!(payload.check(&policy(), &unit(), m(2026, 11)), vec![]);
}

#[test]
fn layout_header_area_and_formats() {
    let bytes = remittance::list_bytes(&list(3), &hengyang()).unwrap();
    let mut wb = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(wb.sheet_names(), vec![SHEET_NAME.to_owned()]);
    let range = wb.worksheet_range(SHEET_NAME).unwrap();
    let text = |r: u32, c: u32| range.get_value((r, c)).map(|v| v.to_string()).unwrap_or_default();
    assert_eq!(text(0, 0), "衡阳市住房公积金管理中心汇缴清册（清册确认单）");
    assert_eq!(
        (
            text(2, 0),
            text(2, 1),
            text(2, 3),
            text(2, 4),
            text(2, 5),
            text(2, 6)
        ),
        (
            col::UNIT_NAME.to_owned(),
            "衡阳雁城科技有限公司".to_owned(),
            col::UNIT_ACCOUNT.to_owned(),
            "9815070100001".to_owned(),
            col::MONTH.to_owned(),
            "202610".to_owned()
        )
    );
    assert_eq!(text(3, 0), col::PERSON_COUNT);
    assert_eq!(text(3, 3), col::SUM);
    let header: Vec<String> = (0..8).map(|c| text(HEADER_ROW, c)).collect();
    assert_eq!(header, col::ALL.map(str::to_owned));
    // The 合计 row after the last person.
    assert_eq!(text(FIRST_DATA_ROW + 3, 2), "合计");
    let styles = wb.worksheet_style(SHEET_NAME).unwrap();
    let format = |r: u32, c: u32| {
        styles
            .get((r, c))
            .and_then(|s| s.number_format.as_ref())
            .map(|f| f.format_code.clone())
            .unwrap_or_default()
    };
    assert_eq!(format(FIRST_DATA_ROW, 1), "@");
    assert_eq!(format(FIRST_DATA_ROW, 3), "@");
    assert_eq!(format(FIRST_DATA_ROW, 4), "0.00");
}

#[test]
fn an_empty_list_imports_as_no_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("空.xlsx");
    let empty = RemittanceList::new(unit(), m(2026, 10), policy(), vec![]);
    remittance::write_list(&path, &empty, &hengyang()).unwrap();
    let imported = remittance::import(&path).unwrap();
    assert_eq!(codes(&imported.issues), vec![(0, String::new(), Code::NoRows)]);
}

#[test]
fn an_edited_cell_is_read_as_edited_for_the_rules_to_judge() {
    // A clerk's workbook in another writer's layout: header on row 1, JGJ/T 320 ids as headers,
    // amounts typed as text, an ID as a number.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("改过.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["GRZH", "XingMing", "ZJHM", "GRJCJS", "DWYJCE", "GRYJCE"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "990100000001").unwrap();
    ws.write_string(1, 1, "王伟").unwrap();
    ws.write_string(1, 2, id(0)).unwrap();
    ws.write_number(1, 3, 3000.0).unwrap();
    ws.write_string(1, 4, "360").unwrap();
    ws.write_string(1, 5, "300.00元").unwrap();
    ws.write_string(2, 0, "990100000002").unwrap();
    ws.write_string(2, 1, "李四").unwrap();
    ws.write_number(2, 2, 430405198803150000.0).unwrap();
    ws.write_number(2, 3, 3000.0).unwrap();
    ws.write_number(2, 4, 360.0).unwrap();
    ws.write_number(2, 5, 360.0).unwrap();
    wb.save(&path).unwrap();
    let imported = remittance::import(&path).unwrap();
    assert_eq!(
        codes(&imported.issues),
        vec![(3, col::ID_NUMBER.to_owned(), Code::IdStoredAsNumber)]
    );
    assert_eq!(imported.rows.len(), 1);
    let row = &imported.rows[0];
    assert_eq!(
        (row.unit_amount, row.person_amount, row.total),
        (Fen(36_000), Fen(30_000), None)
    );
    // The domain names the right figures for the edited 个人月缴存额.
    let mut checker = rules::Checker::new(&policy(), &unit(), m(2026, 10), m(2026, 11));
    let mut issues = Vec::new();
    checker.push(row, &mut issues);
    assert_eq!(
        codes(&issues),
        vec![(2, col::PERSON_AMOUNT.to_owned(), Code::RemittanceAmountMismatch)]
    );
    assert!(
        issues[0].message.contains("个人 360.00 元"),
        "{}",
        issues[0].message
    );
}

/// The fixture dir (committed files; see `fixtures/make_remittance_supplementary.py`).
fn fixture(name: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// `ours_remittance_list.xlsx` (the committed input of `make_remittance_supplementary.py`) still reads exactly
/// like what our writer produces today; regenerate it by writing `list(5)` with `remittance::write_list` if not.
#[test]
fn the_committed_fixture_input_matches_our_writer() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("fresh.xlsx");
    remittance::write_list(&fresh, &list(5), &hengyang()).unwrap();
    let (a, b) = (
        remittance::import(&fresh).unwrap(),
        remittance::import(fixture("ours_remittance_list.xlsx")).unwrap(),
    );
    assert_eq!(a.rows.len(), 5);
    assert_eq!((a.rows, a.issues), (b.rows, b.issues));
}

/// Our 清册, opened and saved by openpyxl (formulas lose their cached values) and converted by LibreOffice
/// (recalculated): the same five rows, and nothing else.
#[test]
fn our_list_saved_by_openpyxl_and_libreoffice_imports_the_same_rows() {
    let want = list(5);
    for name in ["remittance_openpyxl.xlsx", "remittance_libreoffice.xlsx"] {
        let imported = remittance::import(fixture(name)).unwrap();
        assert_eq!(imported.issues, vec![], "{name}");
        let got: Vec<_> = imported
            .rows
            .iter()
            .map(|r| {
                (
                    r.row,
                    r.account.clone(),
                    r.id_number.clone(),
                    r.base,
                    r.unit_amount,
                    r.person_amount,
                )
            })
            .collect();
        let expected: Vec<_> = want
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                (
                    FIRST_DATA_ROW + 1 + i as u32,
                    e.account.clone(),
                    e.id_number.clone(),
                    e.base,
                    e.amounts.unit,
                    e.amounts.person,
                )
            })
            .collect();
        assert_eq!(got, expected, "{name}");
    }
}
