//! 贷款申请 template and importer: a template filled the way a developer's clerk fills it (numbers as numbers,
//! identifiers as text, codes from the drop-downs or as labels) imports to exactly the applicants written; bad
//! cells give exact issues and keep the row out.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gjj_domain::issue::Code;
use gjj_domain::loan_application::{Applicant, Party};
use gjj_domain::money::Fen;
use gjj_sheets::loan_application as la;
use rust_xlsxwriter::Format;

/// Writes `rows` (cells by column index: text or number) from the first data row.
fn write(path: &std::path::Path, rows: &[Vec<(u16, Cell)>]) {
    let mut wb = la::template_workbook(&la::TemplateOptions::default()).unwrap();
    let text = Format::new().set_num_format("@");
    let sheet = wb.worksheet_from_index(0).unwrap();
    for (i, row) in rows.iter().enumerate() {
        let r = la::FIRST_DATA_ROW + u32::try_from(i).unwrap();
        for (c, v) in row {
            match v {
                Cell::T(s) => sheet.write_string_with_format(r, *c, *s, &text).unwrap(),
                Cell::N(n) => sheet.write_number(r, *c, *n).unwrap(),
            };
        }
    }
    wb.save(path).unwrap();
}

enum Cell {
    T(&'static str),
    N(f64),
}
use Cell::{N, T};

fn borrower_only() -> Vec<(u16, Cell)> {
    vec![
        (0, N(1.0)),
        (1, T("李明")),
        (3, T("430405199006150011")),
        (4, T("770000000001")),
        (5, N(13_907_341_234.0)),
        (6, N(12_000.5)),
        (14, T("XM00000001")),
        (15, T("1栋")),
        (16, T("101")),
        (17, N(1_000_000.0)),
        (18, N(500_000.0)),
        (19, N(500_000.0)),
        (20, N(300.0)),
        (21, T("01 等额本息")),
        (22, N(1.0)),
    ]
}

fn with_co_borrower() -> Vec<(u16, Cell)> {
    vec![
        (0, N(2.0)),
        (1, T("张三")),
        (2, T("居民身份证")),
        (3, T("430405199006150038")),
        (4, T("770000000002")),
        (5, T("13907345678")),
        (6, T("8,000.00")),
        (7, T("王芳")),
        (8, T("01 居民身份证")),
        (9, T("430405199201010097")),
        (11, T("13907340000")),
        (12, N(6_000.0)),
        (13, T("配偶")),
        (14, T("XM00000001")),
        (15, T("LD00000001")),
        (16, T("102")),
        (17, N(1_200_000.0)),
        (18, N(840_000.0)),
        (19, N(360_000.0)),
        (20, T("240期")),
        (21, T("等额本金")),
        (22, T("2")),
        (23, N(2.0)),
    ]
}

#[test]
fn a_filled_template_round_trips_to_exact_applicants() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("贷款申请.xlsx");
    write(&path, &[borrower_only(), with_co_borrower()]);
    let imported = la::import(&path).unwrap();
    assert_eq!(imported.issues, vec![]);
    assert_eq!(imported.data_rows, 2);
    let first = la::FIRST_DATA_ROW + 1;
    assert_eq!(
        imported.rows,
        vec![
            Applicant {
                row: first,
                borrower: Party {
                    name: "李明".into(),
                    id_type: "01".into(),
                    id_number: "430405199006150011".into(),
                    account: "770000000001".into(),
                    mobile: "13907341234".into(),
                    income: Fen(1_200_050),
                    relation: None,
                },
                co_borrower: None,
                project_id: "XM00000001".into(),
                building: "1栋".into(),
                house_no: "101".into(),
                price: Fen::from_yuan(1_000_000),
                down_payment: Fen::from_yuan(500_000),
                amount: Fen::from_yuan(500_000),
                months: 300,
                repayment: "01".into(),
                house_count: 1,
                children: 0,
            },
            Applicant {
                row: first + 1,
                borrower: Party {
                    name: "张三".into(),
                    id_type: "01".into(),
                    id_number: "430405199006150038".into(),
                    account: "770000000002".into(),
                    mobile: "13907345678".into(),
                    income: Fen::from_yuan(8_000),
                    relation: None,
                },
                co_borrower: Some(Party {
                    name: "王芳".into(),
                    id_type: "01".into(),
                    id_number: "430405199201010097".into(),
                    account: String::new(),
                    mobile: "13907340000".into(),
                    income: Fen::from_yuan(6_000),
                    relation: Some("1".into()),
                }),
                project_id: "XM00000001".into(),
                building: "LD00000001".into(),
                house_no: "102".into(),
                price: Fen::from_yuan(1_200_000),
                down_payment: Fen::from_yuan(840_000),
                amount: Fen::from_yuan(360_000),
                months: 240,
                repayment: "02".into(),
                house_count: 2,
                children: 2,
            },
        ]
    );
}

#[test]
fn bad_cells_are_exact_issues_and_keep_the_row_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("贷款申请.xlsx");
    let mut bad = borrower_only();
    bad.retain(|(c, _)| *c != 21 && *c != 3 && *c != 19);
    bad.push((21, T("03 一次还本付息")));
    bad.push((3, N(430_405_199_006_150_011.0)));
    bad.push((19, T("五十万")));
    // A half-filled co-borrower group: the relation alone.
    let mut half = borrower_only();
    half.push((13, T("配偶")));
    write(&path, &[bad, half, borrower_only()]);
    let imported = la::import(&path).unwrap();
    let row = la::FIRST_DATA_ROW + 1;
    let mut got: Vec<(u32, String, Code)> = imported
        .issues
        .iter()
        .map(|i| (i.row, i.column.clone(), i.code))
        .collect();
    got.sort();
    let mut want = vec![
        (row, "借款人证件号码".to_owned(), Code::IdStoredAsNumber),
        (row, "贷款金额".to_owned(), Code::MoneyInvalid),
        (row, "还款方式".to_owned(), Code::LoanRepaymentInvalid),
        (row + 1, "共同借款人姓名".to_owned(), Code::Required),
        (row + 1, "共同借款人证件号码".to_owned(), Code::Required),
        (row + 1, "共同借款人手机".to_owned(), Code::Required),
        (row + 1, "共同借款人月收入".to_owned(), Code::Required),
    ];
    want.sort();
    assert_eq!(got, want);
    assert_eq!(imported.rows.len(), 1);
    assert_eq!(imported.rows[0].row, row + 2);
    assert_eq!(imported.data_rows, 3);
}

#[test]
fn the_empty_template_imports_to_no_applicant() {
    let bytes = la::template_bytes(&la::TemplateOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("空模板.xlsx");
    std::fs::write(&path, bytes).unwrap();
    // The header is found and the 例 row skipped: the only issue is that no applicant was filled in.
    let imported = la::import(&path).unwrap();
    assert_eq!((imported.rows.len(), imported.data_rows), (0, 0));
    assert_eq!(imported.issues.len(), 1, "{:?}", imported.issues);
    assert_eq!(imported.issues[0].code, Code::NoRows, "{:?}", imported.issues);
}
