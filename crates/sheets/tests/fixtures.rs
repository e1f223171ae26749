//! The committed fixture workbooks (tests/fixtures, made by `make_fixtures.py` with openpyxl,
//! xlwt, LibreOffice and by hand) and the exact rows and issues each must produce.

use std::path::PathBuf;

use gjj_domain::base_adjustment::{col, BaseAdjustmentRow};
use gjj_domain::issue::{Code, Issue};
use gjj_sheets::base_adjustment::{self, import};
use gjj_sheets::{ImportOptions, WorkbookFormat};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// (row, 个人账号, 姓名, 证件号码, 调整前基数 fen, 调整后基数 fen, 生效年月, 备注)
type RowView = (
    u32,
    String,
    String,
    String,
    Option<i64>,
    i64,
    String,
    Option<String>,
);

fn view(r: &BaseAdjustmentRow) -> RowView {
    (
        r.row,
        r.account.clone(),
        r.name.clone(),
        r.id_number.clone(),
        r.old_base.map(|f| f.0),
        r.new_base.0,
        r.effective_month.to_string(),
        r.note.clone(),
    )
}

#[allow(clippy::too_many_arguments)]
fn row(
    row: u32,
    account: &str,
    name: &str,
    id: &str,
    old: Option<i64>,
    new: i64,
    month: &str,
    note: Option<&str>,
) -> RowView {
    (
        row,
        account.into(),
        name.into(),
        id.into(),
        old,
        new,
        month.into(),
        note.map(Into::into),
    )
}

fn issues_view(issues: &[Issue]) -> Vec<(u32, String, Code)> {
    issues.iter().map(|i| (i.row, i.column.clone(), i.code)).collect()
}

fn issue(row: u32, column: &str, code: Code) -> (u32, String, Code) {
    (row, column.to_owned(), code)
}

fn clean_rows() -> Vec<RowView> {
    vec![
        row(
            5,
            "430000100001",
            "张三",
            "430405198803150011",
            Some(300_000),
            350_000,
            "202607",
            None,
        ),
        row(
            6,
            "430000100002",
            "李四",
            "43040519880315002X",
            Some(420_050),
            450_000,
            "202607",
            None,
        ),
        row(
            7,
            "430000100003",
            "王五",
            "43042119900101010X",
            Some(500_000),
            520_075,
            "202607",
            Some("年度调整"),
        ),
        row(
            8,
            "430000100004",
            "赵六",
            "430481197912080018",
            None,
            200_000,
            "202607",
            Some("新入职"),
        ),
        row(
            9,
            "430000100005",
            "阿依古丽·买买提",
            "430407199506200016",
            Some(600_000),
            660_000,
            "202607",
            None,
        ),
    ]
}

#[test]
fn clean_openpyxl_xlsx() {
    let got = import(fixture("clean_openpyxl.xlsx")).unwrap();
    assert_eq!(issues_view(&got.issues), vec![]);
    assert_eq!(got.rows.iter().map(view).collect::<Vec<_>>(), clean_rows());
    assert_eq!(got.data_rows, 5);
}

#[test]
fn clean_libreoffice_xlsx_shared_strings() {
    let got = import(fixture("clean_libreoffice.xlsx")).unwrap();
    assert_eq!(issues_view(&got.issues), vec![]);
    assert_eq!(got.rows.iter().map(view).collect::<Vec<_>>(), clean_rows());
    assert_eq!(got.data_rows, 5);
}

/// Rows 6–21 of `pitfalls_openpyxl.xlsx` that convert cleanly (see make_fixtures.py).
fn pitfall_rows() -> Vec<RowView> {
    vec![
        // full-width digits and Ｘ, U+3000 padding, "3,000.50元", "2026年7月"
        row(
            6,
            "430000200002",
            "李四",
            "43040519880315002X",
            None,
            300_050,
            "202607",
            None,
        ),
        // lower-case x, • → ·, account typed as a number, ￥ amounts, "2026/07"
        row(
            7,
            "430000200003",
            "阿依古丽·买买提",
            "43042119900101002X",
            Some(300_000),
            350_000,
            "202607",
            None,
        ),
        // NBSP / zero-width padding, Alt+Enter, month 202607 as a number
        row(
            9,
            "430000200004",
            "王五",
            "430481197912080018",
            Some(400_000),
            420_000,
            "202607",
            Some("年度调整补录"),
        ),
        // month as a date-formatted cell
        row(
            10,
            "430000200005",
            "赵六",
            "430407199506200016",
            Some(450_000),
            480_000,
            "202607",
            None,
        ),
        // month as a bare serial number
        row(
            11,
            "430000200006",
            "钱七",
            "43040719950620018X",
            None,
            500_050,
            "202607",
            None,
        ),
        // 15-digit legacy ID typed as a number: passed on as text for the domain to judge
        row(
            19,
            "430000200012",
            "陈十三",
            "430421900101123",
            None,
            380_000,
            "202607",
            None,
        ),
        // hidden row: imported like any other
        row(
            20,
            "430000200013",
            "褚十四",
            "430407199506200024",
            None,
            390_000,
            "202607",
            None,
        ),
        // katakana middle dot, padded text amount and month
        row(
            21,
            "430000200014",
            "卫·十五",
            "430407199506200032",
            None,
            410_000,
            "202607",
            None,
        ),
    ]
}

fn pitfall_issues() -> Vec<(u32, String, Code)> {
    vec![
        issue(5, col::ID_NUMBER, Code::IdStoredAsNumber),
        issue(14, col::NEW_BASE, Code::Required),
        issue(15, col::NEW_BASE, Code::CellTypeUnexpected),
        issue(16, col::ID_NUMBER, Code::IdStoredAsNumber),
        issue(17, col::ACCOUNT, Code::AccountStoredAsNumber),
        issue(18, col::NEW_BASE, Code::MoneyInvalid),
        issue(18, col::EFFECTIVE_MONTH, Code::MonthInvalid),
        issue(25, col::ID_NUMBER, Code::Required),
    ]
}

#[test]
fn pitfalls_openpyxl_xlsx() {
    let got = import(fixture("pitfalls_openpyxl.xlsx")).unwrap();
    assert_eq!(issues_view(&got.issues), pitfall_issues());
    assert_eq!(got.rows.iter().map(view).collect::<Vec<_>>(), pitfall_rows());
    assert_eq!(got.data_rows, 15);
}

#[test]
fn pitfall_messages_say_what_to_do() {
    let got = import(fixture("pitfalls_openpyxl.xlsx")).unwrap();
    let msg = |row: u32, code: Code| {
        got.issues
            .iter()
            .find(|i| i.row == row && i.code == code)
            .map(|i| i.message.clone())
            .unwrap()
    };
    let id = msg(5, Code::IdStoredAsNumber);
    assert!(id.contains("430421199001010000"), "{id}");
    assert!(id.contains("D5"), "{id}");
    assert!(id.contains("文本") && id.contains('\''), "{id}");
    assert!(msg(16, Code::IdStoredAsNumber).contains("4.30421E+17"));
    assert!(msg(15, Code::CellTypeUnexpected).contains("#N/A"));
    assert!(msg(18, Code::MoneyInvalid).contains("三千元"));
    assert!(msg(18, Code::MonthInvalid).contains("2026年13月"));
}

#[test]
fn pitfalls_libreoffice_ods() {
    let mut issues = Vec::new();
    let mut rows = Vec::new();
    let stats = base_adjustment::import_with(
        fixture("pitfalls_libreoffice.ods"),
        |r, _| rows.push(view(&r)),
        &mut issues,
    )
    .unwrap();
    assert_eq!(stats.format, WorkbookFormat::Ods);
    assert_eq!(stats.sheet.as_deref(), Some("基数调整"));
    assert_eq!(stats.header_row, Some(3));
    assert_eq!(issues_view(&issues), pitfall_issues());
    assert_eq!(rows, pitfall_rows());
    assert_eq!(stats.data_rows, 15);
}

#[test]
fn pitfalls_xlwt_xls() {
    let mut issues = Vec::new();
    let mut rows = Vec::new();
    let stats = base_adjustment::import_with(
        fixture("pitfalls_xlwt.xls"),
        |r, _| rows.push(view(&r)),
        &mut issues,
    )
    .unwrap();
    assert_eq!(stats.format, WorkbookFormat::Xls);
    assert_eq!(stats.header_row, Some(2));
    assert_eq!(
        issues_view(&issues),
        vec![issue(5, col::ID_NUMBER, Code::IdStoredAsNumber)]
    );
    assert_eq!(
        rows,
        vec![
            row(
                4,
                "430000300001",
                "张三",
                "430405198803150011",
                Some(300_000),
                350_000,
                "202607",
                None
            ),
            row(
                6,
                "430000300003",
                "王五",
                "43040519880315010X",
                Some(300_000),
                300_050,
                "202607",
                None
            ),
            row(
                7,
                "430000300004",
                "赵六",
                "430421199001010011",
                Some(280_000),
                300_000,
                "202607",
                None
            ),
            row(
                8,
                "430000300005",
                "钱七",
                "430421199001010038",
                Some(400_000),
                410_000,
                "202607",
                None
            ),
            row(
                10,
                "430000300006",
                "孙八",
                "43042119900101010X",
                Some(500_000),
                550_000,
                "202607",
                Some("备注")
            ),
        ]
    );
    assert_eq!(stats.data_rows, 6);
}

#[test]
fn spreadsheetml_2003_named_xls() {
    let mut issues = Vec::new();
    let mut rows = Vec::new();
    let stats = base_adjustment::import_with(
        fixture("spreadsheetml_2003.xls"),
        |r, _| rows.push(view(&r)),
        &mut issues,
    )
    .unwrap();
    assert_eq!(stats.format, WorkbookFormat::SpreadsheetMl2003);
    assert_eq!(stats.sheet.as_deref(), Some("基数调整"));
    assert_eq!(stats.header_row, Some(2));
    assert_eq!(
        issues_view(&issues),
        vec![
            issue(5, col::ID_NUMBER, Code::IdStoredAsNumber),
            issue(7, col::OLD_BASE, Code::CellTypeUnexpected)
        ]
    );
    assert_eq!(
        rows,
        vec![
            row(
                4,
                "220081525531",
                "李四",
                "43040519880315002X",
                Some(300_000),
                320_050,
                "202607",
                None
            ),
            row(
                8,
                "220081525534",
                "钱七",
                "430421199001010038",
                None,
                350_000,
                "202607",
                Some("备注 & 说明")
            ),
        ]
    );
    assert_eq!(stats.data_rows, 4);
}

#[test]
fn encrypted_workbook_is_a_sheet_error() {
    let err = import(fixture("encrypted.xlsx")).unwrap_err();
    assert_eq!(err.code(), "SHEET_ENCRYPTED");
    assert!(err.to_string().contains("密码"), "{err}");
}

#[test]
fn non_workbook_is_a_sheet_error() {
    let err = import(fixture("not_a_workbook.xlsx")).unwrap_err();
    assert_eq!(err.code(), "SHEET_FORMAT_UNSUPPORTED");
    assert!(err.to_string().contains("CSV"), "{err}");
    assert!(err.to_string().contains("not_a_workbook.xlsx"), "{err}");
}

#[test]
fn missing_file_is_a_sheet_error() {
    let err = import(fixture("no_such_file.xlsx")).unwrap_err();
    assert_eq!(err.code(), "SHEET_NOT_FOUND");
    let err = import(fixture("")).unwrap_err();
    assert_eq!(err.code(), "SHEET_NOT_FOUND");
}

#[test]
fn reader_form_matches_path_form() {
    let bytes = std::fs::read(fixture("pitfalls_openpyxl.xlsx")).unwrap();
    let mut issues = Vec::new();
    let mut rows = Vec::new();
    base_adjustment::import_reader(
        std::io::Cursor::new(&bytes[..]),
        "上传.xlsx",
        &ImportOptions::default(),
        |r, _| rows.push(view(&r)),
        &mut issues,
    )
    .unwrap();
    assert_eq!(rows, pitfall_rows());
    assert_eq!(issues_view(&issues), pitfall_issues());
}
