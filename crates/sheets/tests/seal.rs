//! 个人封存 / 个人启封 templates and importers: the templates we write round-trip through the
//! importers, and the pitfalls of real files give exact issues.

use std::path::PathBuf;

use calamine::{Reader, Xlsx};
use gjj_domain::ids::IdCard;
use gjj_domain::issue::{Code, Issue};
use gjj_domain::money::Fen;
use gjj_domain::month::Month;
use gjj_domain::policy::Policy;
use gjj_domain::rate::Rate;
use gjj_domain::rounding::RoundTo;
use gjj_domain::unit::{UnitFacts, UnitStatus};
use gjj_domain::{seal as seal_rules, unseal as unseal_rules};
use gjj_sheets::{seal, unseal};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

fn codes(issues: &[Issue]) -> Vec<(u32, String, Code)> {
    issues.iter().map(|i| (i.row, i.column.clone(), i.code)).collect()
}

fn tmp(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

fn hengyang() -> seal::TemplateOptions {
    seal::TemplateOptions {
        centre_name: "衡阳市住房公积金管理中心".to_owned(),
    }
}

/// The header row, 例 row and number formats of a template.
fn layout(bytes: Vec<u8>, sheet: &str, width: u32) -> (String, Vec<String>, Vec<String>, Vec<String>) {
    let mut wb = Xlsx::new(std::io::Cursor::new(bytes)).expect("read our template");
    assert_eq!(wb.sheet_names(), vec![sheet.to_owned()]);
    let range = wb.worksheet_range(sheet).expect("read our template");
    let text = |r: u32, c: u32| range.get_value((r, c)).map(|v| v.to_string()).unwrap_or_default();
    let title = text(0, 0);
    let header = (0..width).map(|c| text(2, c)).collect();
    let example = (0..width).map(|c| text(3, c)).collect();
    let styles = wb.worksheet_style(sheet).expect("read our template");
    let formats = (0..width)
        .map(|c| {
            styles
                .get((seal::FIRST_DATA_ROW + seal::TEMPLATE_DATA_ROWS - 1, c))
                .and_then(|s| s.number_format.as_ref())
                .map(|f| f.format_code.clone())
                .unwrap_or_default()
        })
        .collect();
    (title, header, example, formats)
}

#[test]
fn seal_template_layout() {
    let (title, header, example, formats) =
        layout(seal::template_bytes(&hengyang()).unwrap(), seal::SHEET_NAME, 7);
    assert_eq!(title, "衡阳市住房公积金管理中心个人封存清册（批量导入文件格式）");
    assert_eq!(header, seal_rules::col::ALL.map(str::to_owned));
    assert_eq!(example[0], "例");
    assert!(IdCard::parse(&example[3]).is_ok(), "{}", example[3]);
    assert_eq!(example[5], "1 保留劳动关系停发工资");
    // 个人账号, 证件号码, 生效年月, 封存原因: text down to the last prepared row.
    for c in [1, 3, 4, 5] {
        assert_eq!(formats[c], "@", "column {c}");
    }
}

#[test]
fn unseal_template_layout() {
    let (title, header, example, formats) = layout(
        unseal::template_bytes(&hengyang()).unwrap(),
        unseal::SHEET_NAME,
        8,
    );
    assert_eq!(title, "衡阳市住房公积金管理中心个人启封清册（批量导入文件格式）");
    assert_eq!(header, unseal_rules::col::ALL.map(str::to_owned));
    assert_eq!((example[5].as_str(), example[6].as_str()), ("3500", "1 正常"));
    for c in [1, 3, 4, 6] {
        assert_eq!(formats[c], "@", "column {c}");
    }
    assert_eq!(formats[5], "0.00");
}

#[test]
fn empty_templates_import_as_no_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (s, u) = (tmp(&dir, "封存.xlsx"), tmp(&dir, "启封.xlsx"));
    seal::write_template(&s, &hengyang()).unwrap();
    unseal::write_template(&u, &hengyang()).unwrap();
    let got = seal::import(&s).unwrap();
    assert_eq!(codes(&got.issues), vec![(0, String::new(), Code::NoRows)]);
    let got = unseal::import(&u).unwrap();
    assert_eq!(codes(&got.issues), vec![(0, String::new(), Code::NoRows)]);
}

/// Filled the way clerks do: text and number cells mixed, the drop-down form, the label, a
/// code typed as a number, a date cell for the month.
#[test]
fn seal_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = tmp(&dir, "封存.xlsx");
    let mut wb = seal::template_workbook(&hengyang()).unwrap();
    let text = Format::new().set_num_format("@");
    let ws = wb.worksheet_from_name(seal::SHEET_NAME).unwrap();
    let r0 = seal::FIRST_DATA_ROW;
    ws.write_number(r0, 0, 1).unwrap();
    ws.write_string_with_format(r0, 1, "991500000001", &text).unwrap();
    ws.write_string(r0, 2, "张三").unwrap();
    ws.write_string_with_format(r0, 3, "430405198803150011", &text)
        .unwrap();
    ws.write_string_with_format(r0, 4, "202610", &text).unwrap();
    ws.write_string_with_format(r0, 5, "1 保留劳动关系停发工资", &text)
        .unwrap();
    // Account and month as numbers, the reason as the number 2, full-width name dot.
    ws.write_number(r0 + 1, 1, 991_500_000_002.0).unwrap();
    ws.write_string(r0 + 1, 2, "阿依古丽．买买提").unwrap();
    ws.write_string(r0 + 1, 3, "43040519880315002x").unwrap();
    ws.write_number(r0 + 1, 4, 202_610.0).unwrap();
    ws.write_number(r0 + 1, 5, 2.0).unwrap();
    ws.write_string(r0 + 1, 6, "待岗").unwrap();
    // The label alone; the month as a real date cell.
    ws.write_string(r0 + 2, 1, "991500000003").unwrap();
    ws.write_string(r0 + 2, 2, "王五").unwrap();
    ws.write_string(r0 + 2, 3, "430405198803150038").unwrap();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    ws.write_datetime_with_format(r0 + 2, 4, ExcelDateTime::from_ymd(2026, 11, 1).unwrap(), &date)
        .unwrap();
    ws.write_string(r0 + 2, 5, "调动暂不转移").unwrap();
    wb.save(&path).unwrap();

    let got = seal::import(&path).unwrap();
    assert!(got.issues.is_empty(), "{:?}", got.issues);
    let rows: Vec<_> = got
        .rows
        .iter()
        .map(|r| {
            (
                r.row,
                r.account.as_str(),
                r.name.as_str(),
                r.id_number.as_str(),
                r.effective_month.to_string(),
                r.reason.as_str(),
                r.note.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (
                5,
                "991500000001",
                "张三",
                "430405198803150011",
                "202610".into(),
                "1",
                None
            ),
            (
                6,
                "991500000002",
                "阿依古丽·买买提",
                "43040519880315002X",
                "202610".into(),
                "2",
                Some("待岗")
            ),
            (
                7,
                "991500000003",
                "王五",
                "430405198803150038",
                "202611".into(),
                "3",
                None
            ),
        ]
    );
}

#[test]
fn unseal_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = tmp(&dir, "启封.xlsx");
    let mut wb = unseal::template_workbook(&hengyang()).unwrap();
    let ws = wb.worksheet_from_name(unseal::SHEET_NAME).unwrap();
    let r0 = unseal::FIRST_DATA_ROW;
    ws.write_string(r0, 1, "991500000001").unwrap();
    ws.write_string(r0, 2, "张三").unwrap();
    ws.write_string(r0, 3, "430405198803150011").unwrap();
    ws.write_string(r0, 4, "202610").unwrap();
    ws.write_number(r0, 5, 4200.5).unwrap();
    ws.write_string(r0, 6, "2 错误封存").unwrap();
    ws.write_string(r0 + 1, 1, "991500000002").unwrap();
    ws.write_string(r0 + 1, 2, "李四").unwrap();
    ws.write_string(r0 + 1, 3, "43040519880315002X").unwrap();
    ws.write_string(r0 + 1, 4, "2026年10月").unwrap();
    ws.write_string(r0 + 1, 5, "5,000元").unwrap();
    // Chengdu's note spells code 2 "错误启封": accepted as 2.
    ws.write_string(r0 + 1, 6, "错误启封").unwrap();
    wb.save(&path).unwrap();

    let got = unseal::import(&path).unwrap();
    assert!(got.issues.is_empty(), "{:?}", got.issues);
    let rows: Vec<_> = got
        .rows
        .iter()
        .map(|r| {
            (
                r.row,
                r.effective_month.to_string(),
                r.new_base,
                r.reason.as_str(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (5, "202610".into(), Fen(420_050), "2"),
            (6, "202610".into(), Fen(500_000), "2")
        ]
    );
}

/// A sheet with a header row at `header_row` and rows of text cells (empty = no cell), or a
/// number when the text starts with '#'.
fn plain(path: &PathBuf, header_row: u32, headers: &[&str], rows: &[&[&str]]) {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in (0u16..).zip(headers) {
        ws.write_string(header_row, c, *h).expect("write test sheet");
    }
    for (r, row) in (header_row + 1..).zip(rows) {
        for (c, v) in (0u16..).zip(row.iter()) {
            if let Some(n) = v.strip_prefix('#') {
                ws.write_number(r, c, n.parse::<f64>().expect("write test sheet"))
                    .expect("write test sheet");
            } else if !v.is_empty() {
                ws.write_string(r, c, *v).expect("write test sheet");
            }
        }
    }
    wb.save(path).expect("write test sheet");
}

#[test]
fn seal_pitfalls() {
    let dir = tempfile::tempdir().unwrap();
    let path = tmp(&dir, "坑.xlsx");
    let all = seal_rules::col::ALL;
    plain(
        &path,
        0,
        &all,
        &[
            // The 18-digit ID typed into a General cell: digits lost.
            &["1", "991500000001", "张三", "#430405198803150011", "202610", "1"],
            // The reason left empty.
            &["2", "991500000002", "李四", "43040519880315002X", "202610", ""],
            // Full-width digits and blanks everywhere: fine after normalisation.
            &[
                "3",
                "９９１５ 0000 0003",
                " 王五 ",
                "４３０４０５１９８８０３１５００３８",
                "２０２６１０",
                "３",
            ],
            // A 合计 row is not a person.
            &["合计", "", "", "", "", ""],
        ],
    );
    let got = seal::import(&path).unwrap();
    assert_eq!(
        codes(&got.issues),
        vec![
            (2, "证件号码".into(), Code::IdStoredAsNumber),
            (3, "封存原因".into(), Code::Required),
        ]
    );
    assert_eq!(got.data_rows, 3);
    assert_eq!(got.rows.len(), 1);
    let r = &got.rows[0];
    assert_eq!(
        (
            r.account.as_str(),
            r.name.as_str(),
            r.id_number.as_str(),
            r.reason.as_str()
        ),
        ("991500000003", "王五", "430405198803150038", "3")
    );
}

#[test]
fn a_chengdu_sheet_without_id_numbers_is_told_which_column_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let path = tmp(&dir, "成都封存清册.xlsx");
    // REFERENCE §A3: 序号 | 个人客户号 | 职工姓名 | 生效时间 | 封存原因, title in row 1.
    plain(
        &path,
        1,
        &["序号", "个人客户号", "职工姓名", "生效时间", "封存原因"],
        &[&["1", "220081525530", "张三", "202610", "1"]],
    );
    let got = seal::import(&path).unwrap();
    assert_eq!(
        codes(&got.issues),
        vec![(2, "证件号码".into(), Code::ColumnMissing)]
    );
    assert!(got.rows.is_empty());
}

#[test]
fn unseal_pitfalls() {
    let dir = tempfile::tempdir().unwrap();
    let path = tmp(&dir, "坑.xlsx");
    let all = unseal_rules::col::ALL;
    plain(
        &path,
        2,
        &all,
        &[
            // 启封后缴存基数 must be filled for every person (REFERENCE §A4).
            &[
                "1",
                "991500000001",
                "张三",
                "430405198803150011",
                "202610",
                "",
                "1",
            ],
            // Not an amount.
            &[
                "2",
                "991500000002",
                "李四",
                "43040519880315002X",
                "202610",
                "三千",
                "1",
            ],
            // The month typed as the number 2026.1 (lost its trailing zero): ambiguous.
            &[
                "3",
                "991500000003",
                "王五",
                "430405198803150038",
                "#2026.1",
                "3000",
                "1",
            ],
        ],
    );
    let got = unseal::import(&path).unwrap();
    assert_eq!(
        codes(&got.issues),
        vec![
            (4, "启封后缴存基数（元）".into(), Code::Required),
            (5, "启封后缴存基数（元）".into(), Code::MoneyInvalid),
            (6, "生效年月".into(), Code::CellTypeUnexpected),
        ]
    );
    assert!(got.rows.is_empty());
}

#[test]
fn the_wrong_template_is_not_taken_for_this_one() {
    let dir = tempfile::tempdir().unwrap();
    let (s, u) = (tmp(&dir, "封存.xlsx"), tmp(&dir, "启封.xlsx"));
    seal::write_template(&s, &hengyang()).unwrap();
    unseal::write_template(&u, &hengyang()).unwrap();
    // A 封存 sheet given to the 启封 importer and vice versa: no header found, nothing read.
    let got = unseal::import(&s).unwrap();
    assert_eq!(codes(&got.issues), vec![(0, String::new(), Code::HeaderNotFound)]);
    assert!(
        got.issues[0].message.contains("启封原因"),
        "{}",
        got.issues[0].message
    );
    let got = seal::import(&u).unwrap();
    assert_eq!(codes(&got.issues), vec![(0, String::new(), Code::HeaderNotFound)]);
    // A 基数调整 template is not a 封存 one either.
    let b = tmp(&dir, "基数调整.xlsx");
    gjj_sheets::base_adjustment::write_template(&b, &hengyang()).unwrap();
    let got = seal::import(&b).unwrap();
    assert_eq!(codes(&got.issues), vec![(0, String::new(), Code::HeaderNotFound)]);
}

fn month(y: i32, m: u32) -> Month {
    Month::new(y, m).expect("valid month")
}

/// Like `gjj check`: cell issues and rule issues arrive in one list, in row order.
#[test]
fn importer_feeds_the_domain_checkers() {
    let policy = Policy {
        year: 2026,
        starts: month(2026, 7),
        ends: month(2027, 6),
        base_min: Fen::from_yuan(1700),
        base_max: Fen::from_yuan(21142),
        monthly_min: Fen::from_yuan(170),
        monthly_max: Fen::from_yuan(5076),
        unit_rate_min: Rate::from_percent(5),
        unit_rate_max: Rate::from_percent(12),
        person_rate_min: Rate::from_percent(5),
        person_rate_max: Rate::from_percent(12),
        round_to: RoundTo::Fen,
    };
    let unit = UnitFacts {
        account: "9815070100001".into(),
        name: "衡阳雁城科技有限公司".into(),
        uscc: "91430405MA4PYC0138".into(),
        status: UnitStatus::Normal,
        unit_rate: Rate::from_percent(12),
        person_rate: Rate::from_percent(12),
        first_month: month(2015, 7),
        paid_through: Some(month(2026, 9)),
    };
    let today = month(2026, 11);
    let dir = tempfile::tempdir().unwrap();
    let path = tmp(&dir, "启封.xlsx");
    plain(
        &path,
        0,
        &unseal_rules::col::ALL,
        &[
            &[
                "1",
                "991500000001",
                "张三",
                "430405198803150011",
                "202610",
                "#3000",
                "1",
            ],
            &[
                "2",
                "991500000002",
                "李四",
                "43040519880315002X",
                "202610",
                "30000",
                "正常",
            ],
            &[
                "3",
                "991500000003",
                "王五",
                "430405198803150038",
                "202609",
                "#3000",
                "5",
            ],
            &[
                "4",
                "991500000001",
                "赵六",
                "430405198803150046",
                "202610",
                "三千",
                "1",
            ],
        ],
    );
    let mut checker = unseal_rules::Checker::new(&policy, &unit, today);
    let mut issues = Vec::new();
    unseal::import_with(&path, |row, issues| checker.push(&row, issues), &mut issues).unwrap();
    checker.finish(&mut issues);
    assert_eq!(
        codes(&issues),
        vec![
            (3, "启封后缴存基数（元）".into(), Code::BaseAboveMax),
            (4, "生效年月".into(), Code::EffectiveMonthTooEarly),
            (4, "启封原因".into(), Code::UnsealReasonInvalid),
            (5, "启封后缴存基数（元）".into(), Code::MoneyInvalid),
        ]
    );

    let path = tmp(&dir, "封存.xlsx");
    plain(
        &path,
        0,
        &seal_rules::col::ALL,
        &[
            &["1", "991500000001", "张三", "430405198803150011", "202610", "4"],
            &["2", "991500000001", "李四", "43040519880315002X", "202612", "1"],
        ],
    );
    let mut checker = seal_rules::Checker::new(&policy, &unit, today);
    let mut issues = Vec::new();
    seal::import_with(&path, |row, issues| checker.push(&row, issues), &mut issues).unwrap();
    checker.finish(&mut issues);
    assert_eq!(
        codes(&issues),
        vec![
            (2, "封存原因".into(), Code::SealReasonInvalid),
            (3, "个人账号".into(), Code::DuplicateAccount),
            (3, "生效年月".into(), Code::EffectiveMonthInFuture),
        ]
    );
}
