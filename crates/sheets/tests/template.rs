//! The template writer, and importer behaviour on workbooks built in the test with
//! rust_xlsxwriter: round trip, row cap, header search and column problems.

use std::path::{Path, PathBuf};

use calamine::{Reader, Xlsx};
use gjj_domain::base_adjustment::col;
use gjj_domain::ids::IdCard;
use gjj_domain::issue::{Code, Issue};
use gjj_sheets::base_adjustment::{
    self, import, template_bytes, template_workbook, write_template, TemplateOptions, FIRST_DATA_ROW,
    SHEET_NAME, TEMPLATE_DATA_ROWS,
};
use gjj_sheets::{ImportOptions, WorkbookFormat, MAX_ROWS};
use rust_xlsxwriter::{Format, Workbook};

fn codes(issues: &[Issue]) -> Vec<(u32, String, Code)> {
    issues.iter().map(|i| (i.row, i.column.clone(), i.code)).collect()
}

fn tmp(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

fn hengyang() -> TemplateOptions {
    TemplateOptions {
        centre_name: "衡阳市住房公积金管理中心".to_owned(),
    }
}

#[test]
fn empty_template_imports_as_no_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = tmp(&dir, "模板.xlsx");
    write_template(&path, &hengyang()).unwrap();

    let mut issues = Vec::new();
    let stats = base_adjustment::import_with(&path, |_, _| panic!("no data rows"), &mut issues).unwrap();
    assert_eq!(stats.format, WorkbookFormat::Xlsx);
    assert_eq!(stats.sheet.as_deref(), Some(SHEET_NAME));
    assert_eq!(stats.header_row, Some(3));
    assert_eq!(stats.data_rows, 0);
    // The 例 row and 1000 pre-formatted empty rows are not data.
    assert_eq!(codes(&issues), vec![(0, String::new(), Code::NoRows)]);
}

#[test]
fn template_layout_and_formats() {
    let bytes = template_bytes(&hengyang()).unwrap();
    let mut wb = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(wb.sheet_names(), vec![SHEET_NAME.to_owned()]);
    let range = wb.worksheet_range(SHEET_NAME).unwrap();
    let text = |r: u32, c: u32| range.get_value((r, c)).map(|v| v.to_string()).unwrap_or_default();
    assert_eq!(
        text(0, 0),
        "衡阳市住房公积金管理中心缴存基数调整清册（批量导入文件格式）"
    );
    assert!(text(1, 0).contains("请勿改成数字") && text(1, 0).contains("202607"));
    let header: Vec<String> = (0..8).map(|c| text(2, c)).collect();
    assert_eq!(header, col::ALL.map(str::to_owned));
    assert_eq!(text(3, 0), "例");
    // The example ID carries a correct check digit.
    assert!(IdCard::parse(&text(3, 3)).is_ok(), "{}", text(3, 3));

    let styles = wb.worksheet_style(SHEET_NAME).unwrap();
    let num_format = |r: u32, c: u32| {
        styles
            .get((r, c))
            .and_then(|s| s.number_format.as_ref())
            .map(|f| f.format_code.clone())
            .unwrap_or_default()
    };
    let last = FIRST_DATA_ROW + TEMPLATE_DATA_ROWS - 1;
    for c in [1, 3, 6] {
        // 个人账号, 证件号码, 生效年月: text, on the 例 row and down to the last prepared row.
        assert_eq!(num_format(3, c), "@", "例 row col {c}");
        assert_eq!(num_format(FIRST_DATA_ROW, c), "@", "first data row col {c}");
        assert_eq!(num_format(last, c), "@", "last data row col {c}");
    }
    assert_eq!(num_format(FIRST_DATA_ROW, 5), "0.00");
    // Required headers are red.
    let header_red = |c: u32| {
        styles
            .get((2, c))
            .and_then(|s| s.font.as_ref())
            .and_then(|f| f.color)
            .map(|c| c.to_argb() & 0xFF_FFFF)
    };
    assert_eq!(header_red(5), Some(0xC0_00_00));
    assert_ne!(header_red(0), Some(0xC0_00_00));
}

#[test]
fn default_centre_name() {
    assert_eq!(TemplateOptions::default().centre_name, "住房公积金管理中心");
}

/// Fills the template the way a user would (mixing text and number cells) and imports it.
#[test]
fn template_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = tmp(&dir, "填好的.xlsx");
    let mut wb = template_workbook(&hengyang()).unwrap();
    let text = Format::new().set_num_format("@");
    let ws = wb.worksheet_from_name(SHEET_NAME).unwrap();
    let r0 = FIRST_DATA_ROW;
    // Row 5: everything as the template intends.
    ws.write_number(r0, 0, 1).unwrap();
    ws.write_string_with_format(r0, 1, "430000100001", &text).unwrap();
    ws.write_string(r0, 2, "张三").unwrap();
    ws.write_string_with_format(r0, 3, "430405198803150011", &text)
        .unwrap();
    ws.write_number(r0, 4, 3000).unwrap();
    ws.write_number(r0, 5, 3500.5).unwrap();
    ws.write_string_with_format(r0, 6, "202607", &text).unwrap();
    // Row 6: account and month typed as numbers, amount as text, a note.
    ws.write_number(r0 + 1, 0, 2).unwrap();
    ws.write_number(r0 + 1, 1, 430_000_100_002.0).unwrap();
    ws.write_string(r0 + 1, 2, "阿依古丽·买买提").unwrap();
    ws.write_string_with_format(r0 + 1, 3, "43040519880315002X", &text)
        .unwrap();
    ws.write_string(r0 + 1, 5, "4,200元").unwrap();
    ws.write_number(r0 + 1, 6, 202607).unwrap();
    ws.write_string(r0 + 1, 7, "新入职").unwrap();
    // Row 8 (after a blank row 7): the ID typed into a General cell.
    ws.write_number(r0 + 3, 0, 3).unwrap();
    ws.write_string(r0 + 3, 1, "430000100003").unwrap();
    ws.write_string(r0 + 3, 2, "王五").unwrap();
    ws.write_number(r0 + 3, 3, 430405198803150038_u64 as f64).unwrap();
    ws.write_number(r0 + 3, 5, 5000).unwrap();
    ws.write_string(r0 + 3, 6, "202607").unwrap();
    wb.save(&path).unwrap();

    let got = import(&path).unwrap();
    assert_eq!(
        codes(&got.issues),
        vec![(8, col::ID_NUMBER.to_owned(), Code::IdStoredAsNumber)]
    );
    assert_eq!(got.data_rows, 3);
    let rows: Vec<_> = got
        .rows
        .iter()
        .map(|r| {
            (
                r.row,
                r.account.as_str(),
                r.name.as_str(),
                r.id_number.as_str(),
                r.old_base.map(|f| f.0),
                r.new_base.0,
                r.effective_month.to_string(),
                r.note.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (
                5,
                "430000100001",
                "张三",
                "430405198803150011",
                Some(300_000),
                350_050,
                "202607".to_owned(),
                None
            ),
            (
                6,
                "430000100002",
                "阿依古丽·买买提",
                "43040519880315002X",
                None,
                420_000,
                "202607".to_owned(),
                Some("新入职")
            ),
        ]
    );
}

/// A plain sheet: header in `header_row` (0-based) with `headers`, then `rows` of strings.
fn plain_sheet(path: &Path, sheet: &str, header_row: u32, headers: &[&str], rows: &[Vec<String>]) {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet).expect("write test sheet");
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(header_row, c as u16, *h)
            .expect("write test sheet");
    }
    for (i, r) in rows.iter().enumerate() {
        for (c, v) in r.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(header_row + 1 + i as u32, c as u16, v)
                    .expect("write test sheet");
            }
        }
    }
    wb.save(path).expect("write test sheet");
}

fn person(i: u32) -> Vec<String> {
    let body = format!("4304051988031{:04}", i % 10_000);
    let id = id18(&body);
    vec![
        i.to_string(),
        format!("4300{i:08}"),
        "张三".into(),
        id,
        "3000".into(),
        "3500".into(),
        "202607".into(),
    ]
}

fn id18(first17: &str) -> String {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let s: u32 = first17.bytes().zip(W).map(|(d, w)| u32::from(d - b'0') * w).sum();
    format!("{first17}{}", b"10X98765432"[(s % 11) as usize] as char)
}

#[test]
fn too_many_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = tmp(&dir, "101.xlsx");
    let rows: Vec<_> = (1..=101).map(person).collect();
    plain_sheet(&path, "Sheet1", 0, &col::ALL[..7], &rows);

    let mut issues = Vec::new();
    let mut delivered = 0;
    let opts = ImportOptions::default().with_max_rows(100);
    let stats =
        base_adjustment::import_with_options(&path, &opts, |_, _| delivered += 1, &mut issues).unwrap();
    assert_eq!(codes(&issues), vec![(0, String::new(), Code::TooManyRows)]);
    assert!(issues[0].message.contains("第 102 行"), "{}", issues[0].message);
    assert_eq!(stats.data_rows, 100);
    assert_eq!(delivered, 100);

    // Exactly at the cap is fine; the default cap is 100,000.
    let mut issues = Vec::new();
    let opts = ImportOptions::default().with_max_rows(101);
    base_adjustment::import_with_options(&path, &opts, |_, _| {}, &mut issues).unwrap();
    assert!(issues.is_empty(), "{issues:?}");
    assert_eq!(ImportOptions::default().max_rows, MAX_ROWS);
    assert_eq!(MAX_ROWS, 100_000);
}

#[test]
fn header_found_by_text_in_any_order_and_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let path = tmp(&dir, "order.xlsx");
    let mut wb = Workbook::new();
    // A first sheet that only mentions one header word.
    let info = wb.add_worksheet();
    info.set_name("说明").unwrap();
    info.write_string(0, 0, "个人账号请填写 12 位").unwrap();
    let ws = wb.add_worksheet();
    ws.set_name("数据").unwrap();
    ws.write_string(0, 0, "标题").unwrap();
    // Header on row 6, reversed order, decorated, Chengdu/Bijie spellings, an extra column.
    let headers = [
        "联系电话",
        "执行时间",
        "*调整后缴存基数",
        "身份证号码",
        "职工姓名",
        "*个人客户号 ",
        "调整前基数(元)",
    ];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(5, c as u16, *h).unwrap();
    }
    let vals = [
        "13800000000",
        "2026-07",
        "3600",
        "430405198803150011",
        "张 三",
        "220081525530",
        "",
    ];
    for (c, v) in vals.iter().enumerate() {
        if !v.is_empty() {
            ws.write_string(6, c as u16, *v).unwrap();
        }
    }
    wb.save(&path).unwrap();

    let mut issues = Vec::new();
    let mut rows = Vec::new();
    let stats = base_adjustment::import_with(&path, |r, _| rows.push(r), &mut issues).unwrap();
    assert!(issues.is_empty(), "{issues:?}");
    assert_eq!(stats.sheet.as_deref(), Some("数据"));
    assert_eq!(stats.header_row, Some(6));
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(
        (
            r.row,
            r.account.as_str(),
            r.name.as_str(),
            r.id_number.as_str(),
            r.old_base,
            r.new_base.0
        ),
        (7, "220081525530", "张 三", "430405198803150011", None, 360_000)
    );
    assert_eq!(r.effective_month.to_string(), "202607");
}

#[test]
fn missing_required_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = tmp(&dir, "no-month.xlsx");
    let headers = [col::SEQ, col::ACCOUNT, col::ID_NUMBER, col::NEW_BASE];
    plain_sheet(
        &path,
        "Sheet1",
        2,
        &headers,
        &[vec!["1".into(), "4300".into(), "x".into(), "1".into()]],
    );
    let mut issues = Vec::new();
    let stats =
        base_adjustment::import_with(&path, |_, _| panic!("no rows without all columns"), &mut issues)
            .unwrap();
    assert_eq!(
        codes(&issues),
        vec![
            (3, col::NAME.to_owned(), Code::ColumnMissing),
            (3, col::EFFECTIVE_MONTH.to_owned(), Code::ColumnMissing),
        ]
    );
    assert_eq!(stats.header_row, Some(3));
}

#[test]
fn header_not_found() {
    let dir = tempfile::tempdir().unwrap();
    // Header below the search window.
    let path = tmp(&dir, "deep.xlsx");
    plain_sheet(&path, "Sheet1", 25, &col::ALL, &[person(1)]);
    let got = import(&path).unwrap();
    assert_eq!(codes(&got.issues), vec![(0, String::new(), Code::HeaderNotFound)]);
    assert!(got.issues[0].message.contains("证件号码"));
    assert!(got.rows.is_empty());

    // …but found with a larger window.
    let mut issues = Vec::new();
    let opts = ImportOptions::default().with_header_search_rows(30);
    let stats = base_adjustment::import_with_options(&path, &opts, |_, _| {}, &mut issues).unwrap();
    assert!(issues.is_empty(), "{issues:?}");
    assert_eq!(stats.rows_delivered, 1);

    // An empty workbook.
    let path = tmp(&dir, "empty.xlsx");
    Workbook::new().save(&path).unwrap();
    let got = import(&path).unwrap();
    assert_eq!(codes(&got.issues), vec![(0, String::new(), Code::HeaderNotFound)]);
}

#[test]
fn blank_example_footer_and_seq_only_rows_are_not_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = tmp(&dir, "skip.xlsx");
    let mut rows = vec![
        vec![
            "例：".into(),
            "430000000001".into(),
            "张三".into(),
            "430405198803150011".into(),
        ],
        person(1),
        vec!["2".into()],
        vec![String::new(), String::new(), " \u{3000}".into()],
        person(3),
        vec![
            "合计".into(),
            String::new(),
            String::new(),
            String::new(),
            "6000".into(),
            "7000".into(),
        ],
    ];
    rows.extend((0..60).map(|_| vec![]));
    rows.push(person(4));
    plain_sheet(&path, "Sheet1", 0, &col::ALL[..7], &rows);
    let got = import(&path).unwrap();
    assert!(got.issues.is_empty(), "{:?}", got.issues);
    // Rows after a long gap are still read: dropping them silently would lose people.
    assert_eq!(got.rows.iter().map(|r| r.row).collect::<Vec<_>>(), vec![3, 6, 68]);
    assert_eq!(got.data_rows, 3);
}

#[test]
fn required_cells_reported_per_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = tmp(&dir, "required.xlsx");
    let rows = vec![vec![
        "1".into(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        "3000".into(),
    ]];
    plain_sheet(&path, "Sheet1", 0, &col::ALL[..7], &rows);
    let got = import(&path).unwrap();
    assert_eq!(
        codes(&got.issues),
        vec![
            (2, col::ACCOUNT.to_owned(), Code::Required),
            (2, col::NAME.to_owned(), Code::Required),
            (2, col::ID_NUMBER.to_owned(), Code::Required),
            (2, col::EFFECTIVE_MONTH.to_owned(), Code::Required),
        ]
    );
    assert!(got.rows.is_empty());
    assert_eq!(got.data_rows, 1);
}

#[test]
fn write_failure_is_a_sheet_error() {
    let dir = tempfile::tempdir().unwrap();
    // The path is a directory.
    let err = write_template(dir.path(), &TemplateOptions::default()).unwrap_err();
    assert_eq!(err.code(), "SHEET_WRITE_FAILED");
    assert!(err.to_string().contains("保存"), "{err}");
}
