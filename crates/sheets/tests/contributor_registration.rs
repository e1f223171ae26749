//! The 缴存人登记 template and importer: the template's layout and formats, a round trip of a template filled
//! the way clerks fill it (codes as labels, numbers in text columns and text in number columns), the pitfalls
//! of REFERENCE §F2, a Chengdu-style file, and the domain checker fed from the importer.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use calamine::{Reader, Xlsx};
use gjj_domain::contributor_registration::{col, Checker};
use gjj_domain::ids::{id_check_char, IdCard};
use gjj_domain::issue::{Code, Issue};
use gjj_domain::money::Fen;
use gjj_domain::month::Month;
use gjj_domain::policy::Policy;
use gjj_domain::rate::Rate;
use gjj_domain::rounding::RoundTo;
use gjj_domain::unit::{UnitFacts, UnitStatus};
use gjj_sheets::contributor_registration::{
    import, import_with, template_bytes, template_workbook, write_template, TemplateOptions, FIRST_DATA_ROW,
    SHEET_NAME, TEMPLATE_DATA_ROWS,
};
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

fn id(first17: &str) -> String {
    format!("{first17}{}", id_check_char(first17).unwrap())
}

fn m(s: &str) -> Month {
    Month::parse(s).unwrap()
}

fn col_of(name: &str) -> u16 {
    col::ALL.iter().position(|c| *c == name).unwrap() as u16
}

#[test]
fn template_layout_formats_and_example() {
    let bytes = template_bytes(&hengyang()).unwrap();
    let mut wb = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(wb.sheet_names(), vec![SHEET_NAME.to_owned()]);
    let range = wb.worksheet_range(SHEET_NAME).unwrap();
    let text = |r: u32, c: u16| {
        range
            .get_value((r, u32::from(c)))
            .map(|v| v.to_string())
            .unwrap_or_default()
    };
    assert_eq!(
        text(0, 0),
        "衡阳市住房公积金管理中心缴存人登记清册（批量导入文件格式）"
    );
    assert!(text(1, 0).contains("请勿改成数字") && text(1, 0).contains("下月"));
    let header: Vec<String> = (0..13).map(|c| text(2, c)).collect();
    assert_eq!(header, col::ALL.map(str::to_owned));
    assert_eq!(text(3, 0), "例");
    // The example is consistent: a valid ID whose sex and birth month are the ones shown.
    let card = IdCard::parse(&text(3, col_of(col::ID_NUMBER))).unwrap();
    assert_eq!(card.sex.label(), text(3, col_of(col::SEX)));
    assert_eq!(
        card.birth_month().unwrap().to_string(),
        text(3, col_of(col::BIRTH_MONTH))
    );

    let styles = wb.worksheet_style(SHEET_NAME).unwrap();
    let num_format = |r: u32, c: u16| {
        styles
            .get((r, u32::from(c)))
            .and_then(|s| s.number_format.as_ref())
            .map(|f| f.format_code.clone())
            .unwrap_or_default()
    };
    let last = FIRST_DATA_ROW + TEMPLATE_DATA_ROWS - 1;
    for name in [
        col::ID_TYPE,
        col::ID_NUMBER,
        col::SEX,
        col::BIRTH_MONTH,
        col::MOBILE,
        col::LANDLINE,
        col::FIRST_MONTH,
        col::BANK_ACCOUNT,
    ] {
        let c = col_of(name);
        for r in [3, FIRST_DATA_ROW, last] {
            assert_eq!(num_format(r, c), "@", "{name} row {r}: text");
        }
    }
    assert_eq!(num_format(FIRST_DATA_ROW, col_of(col::BASE)), "0.00");

    // The empty template is no data (例 row and pre-formatted rows are skipped).
    let dir = tempfile::tempdir().unwrap();
    let path = tmp(&dir, "模板.xlsx");
    write_template(&path, &hengyang()).unwrap();
    let got = import(&path).unwrap();
    assert_eq!(codes(&got.issues), vec![(0, String::new(), Code::NoRows)]);
}

/// Writes values into our template from the first data row: `None` leaves a cell empty.
enum V<'a> {
    T(&'a str),
    N(f64),
}

fn fill(path: &Path, rows: &[Vec<Option<V<'_>>>]) {
    let mut wb = template_workbook(&hengyang()).unwrap();
    let text = Format::new().set_num_format("@");
    let ws = wb.worksheet_from_name(SHEET_NAME).unwrap();
    for (i, row) in rows.iter().enumerate() {
        let r = FIRST_DATA_ROW + i as u32;
        for (c, v) in row.iter().enumerate() {
            match v {
                Some(V::T(t)) => {
                    ws.write_string_with_format(r, c as u16, *t, &text).unwrap();
                }
                Some(V::N(n)) => {
                    ws.write_number(r, c as u16, *n).unwrap();
                }
                None => {}
            }
        }
    }
    wb.save(path).unwrap();
}

#[test]
fn template_round_trip_with_labels_and_mixed_cell_types() {
    let dir = tempfile::tempdir().unwrap();
    let path = tmp(&dir, "登记.xlsx");
    let id_male = "430405198803150011";
    let id_female = id("43040519900512002");
    fill(
        &path,
        &[
            // As the template intends, with the drop-down entry.
            vec![
                Some(V::N(1.0)),
                Some(V::T("张三")),
                Some(V::T("01 身份证")),
                Some(V::T(id_male)),
                Some(V::T("男")),
                Some(V::T("198803")),
                Some(V::T("13800138000")),
                Some(V::T("0734-8123456")),
                Some(V::N(6000.0)),
                Some(V::T("202611")),
                Some(V::T("6222 0212 3456 7890 123")),
                Some(V::T("中国工商银行衡阳分行")),
                None,
            ],
            // Type as the bare code typed as a number, label text; mobile and month as numbers, amount as text,
            // sex/birth left for the ID to supply, a full-width ID.
            vec![
                Some(V::N(2.0)),
                Some(V::T("李  梅")),
                Some(V::N(1.0)),
                Some(V::T(&id_female.replace('0', "０"))),
                None,
                None,
                Some(V::N(13900139000.0)),
                None,
                Some(V::T("5,500.50元")),
                Some(V::N(202612.0)),
                None,
                None,
                Some(V::T("新入职")),
            ],
            // A passport holder: type by label, sex by code.
            vec![
                Some(V::N(3.0)),
                Some(V::T("JOHN SMITH")),
                Some(V::T("护照")),
                Some(V::T("e12345678")),
                Some(V::N(1.0)),
                Some(V::T("1985-06")),
                Some(V::T("137 0000 0003")),
                None,
                Some(V::N(8000.0)),
                Some(V::T("2026年11月")),
                None,
                None,
                None,
            ],
        ],
    );
    let got = import(&path).unwrap();
    assert_eq!(codes(&got.issues), vec![]);
    assert_eq!(got.data_rows, 3);
    let r = &got.rows;
    assert_eq!(
        (
            r[0].row,
            r[0].name.as_str(),
            r[0].id_type.as_str(),
            r[0].id_number.as_str()
        ),
        (5, "张三", "01", id_male)
    );
    assert_eq!(
        (r[0].sex.as_deref(), r[0].birth_month),
        (Some("1"), Some(m("198803")))
    );
    assert_eq!(
        (r[0].mobile.as_str(), r[0].landline.as_deref()),
        ("13800138000", Some("0734-8123456"))
    );
    assert_eq!((r[0].base, r[0].first_month), (Fen::from_yuan(6000), m("202611")));
    assert_eq!(r[0].bank_account.as_deref(), Some("6222021234567890123"));
    assert_eq!(r[0].bank_name.as_deref(), Some("中国工商银行衡阳分行"));
    assert_eq!(
        (r[1].name.as_str(), r[1].id_type.as_str(), r[1].id_number.as_str()),
        ("李 梅", "01", id_female.as_str())
    );
    assert_eq!((r[1].sex.as_deref(), r[1].birth_month), (None, None));
    assert_eq!(
        (r[1].mobile.as_str(), r[1].base, r[1].first_month),
        ("13900139000", Fen(550_050), m("202612"))
    );
    assert_eq!(r[1].note.as_deref(), Some("新入职"));
    assert_eq!(
        (
            r[2].id_type.as_str(),
            r[2].id_number.as_str(),
            r[2].sex.as_deref(),
            r[2].birth_month
        ),
        ("03", "E12345678", Some("1"), Some(m("198506")))
    );
    assert_eq!(r[2].mobile, "13700000003");
}

#[test]
fn pitfalls_are_cell_issues() {
    let dir = tempfile::tempdir().unwrap();
    let path = tmp(&dir, "问题.xlsx");
    let ok = |seq: f64, id: &'static str, mobile: &'static str| -> Vec<Option<V<'static>>> {
        vec![
            Some(V::N(seq)),
            Some(V::T("王五")),
            Some(V::T("01")),
            Some(V::T(id)),
            None,
            None,
            Some(V::T(mobile)),
            None,
            Some(V::N(6000.0)),
            Some(V::T("202611")),
            None,
            None,
            None,
        ]
    };
    let mut id_as_number = ok(1.0, "", "13800000001");
    id_as_number[3] = Some(V::N(430405198803150011_u64 as f64));
    let mut bad_type = ok(2.0, "430405198803150011", "13800000002");
    bad_type[2] = Some(V::T("驾驶证"));
    let mut bad_sex = ok(3.0, "430405198803150011", "13800000003");
    bad_sex[4] = Some(V::T("未知"));
    let mut no_mobile = ok(4.0, "430405198803150011", "");
    no_mobile[6] = None;
    let mut card_as_number = ok(5.0, "430405198803150011", "13800000005");
    card_as_number[10] = Some(V::N(6.222021234567891e18));
    let mut bad_month = ok(6.0, "430405198803150011", "13800000006");
    bad_month[9] = Some(V::T("下个月"));
    let mut totals: Vec<Option<V<'_>>> = (0..13).map(|_| None).collect();
    totals[0] = Some(V::T("合计"));
    totals[8] = Some(V::N(36000.0));
    fill(
        &path,
        &[
            id_as_number,
            bad_type,
            bad_sex,
            no_mobile,
            card_as_number,
            bad_month,
            totals,
        ],
    );
    let got = import(&path).unwrap();
    assert_eq!(
        codes(&got.issues),
        vec![
            (5, col::ID_NUMBER.to_owned(), Code::IdStoredAsNumber),
            (6, col::ID_TYPE.to_owned(), Code::IdTypeInvalid),
            (7, col::SEX.to_owned(), Code::SexInvalid),
            (8, col::MOBILE.to_owned(), Code::Required),
            (9, col::BANK_ACCOUNT.to_owned(), Code::AccountStoredAsNumber),
            (10, col::FIRST_MONTH.to_owned(), Code::MonthInvalid),
        ]
    );
    // The 合计 row is not a person.
    assert_eq!(got.data_rows, 6);
    assert!(got.rows.is_empty());
    let type_issue = &got.issues[1];
    assert!(type_issue.message.contains("01 身份证") && type_issue.message.contains("驾驶证"));
}

#[test]
fn a_chengdu_style_file_imports() {
    // REFERENCE §A1: title row, header with Chengdu's names, a 例 row, 证件种类 "1", 缴存基数 as a number.
    let dir = tempfile::tempdir().unwrap();
    let path = tmp(&dir, "person_open.xlsx");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "成都住房公积金个人账户设立清册（批量导入文件格式）")
        .unwrap();
    let headers = [
        "序号",
        "职工姓名",
        "证件种类",
        "证件号码",
        "缴存基数（元）",
        "初次缴存时间",
        "人员身份",
        "个人联系电话",
        "个人固定电话",
        "个人邮箱",
    ];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(1, c as u16, *h).unwrap();
    }
    let example = [
        "例",
        "张三",
        "1",
        "430405198803150011",
        "3000",
        "201201",
        "1",
        "13800138000",
        "",
        "",
    ];
    for (c, v) in example.iter().enumerate() {
        ws.write_string(2, c as u16, *v).unwrap();
    }
    ws.write_number(3, 0, 1).unwrap();
    ws.write_string(3, 1, "赵六").unwrap();
    ws.write_number(3, 2, 1).unwrap();
    ws.write_string(3, 3, "430405198803150011").unwrap();
    ws.write_number(3, 4, 3000).unwrap();
    ws.write_number(3, 5, 202611).unwrap();
    ws.write_number(3, 6, 1).unwrap();
    ws.write_number(3, 7, 13800138000.0).unwrap();
    ws.write_string(3, 8, "028-88888888").unwrap();
    wb.save(&path).unwrap();
    let got = import(&path).unwrap();
    assert_eq!(codes(&got.issues), vec![]);
    assert_eq!(got.rows.len(), 1);
    let r = &got.rows[0];
    assert_eq!(
        (
            r.name.as_str(),
            r.id_type.as_str(),
            r.mobile.as_str(),
            r.landline.as_deref()
        ),
        ("赵六", "01", "13800138000", Some("028-88888888"))
    );
    assert_eq!((r.base, r.first_month), (Fen::from_yuan(3000), m("202611")));
}

#[test]
fn a_file_without_the_mobile_column_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = tmp(&dir, "缺列.xlsx");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["姓名", "证件类型", "证件号码", "个人缴存基数", "首次汇缴年月"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (c, v) in ["赵六", "01", "430405198803150011", "3000", "202611"]
        .iter()
        .enumerate()
    {
        ws.write_string(1, c as u16, *v).unwrap();
    }
    wb.save(&path).unwrap();
    let got = import(&path).unwrap();
    assert_eq!(
        codes(&got.issues),
        vec![(1, col::MOBILE.to_owned(), Code::ColumnMissing)]
    );
}

fn policy() -> Policy {
    Policy {
        year: 2026,
        starts: m("202607"),
        ends: m("202706"),
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
        first_month: m("201507"),
        paid_through: Some(m("202609")),
    }
}

#[test]
fn the_checker_runs_on_the_imported_rows_in_row_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = tmp(&dir, "核对.xlsx");
    let row = |seq: f64,
               id: &'static str,
               sex: Option<&'static str>,
               birth: Option<&'static str>,
               mobile: &'static str,
               first: &'static str| {
        vec![
            Some(V::N(seq)),
            Some(V::T("孙七")),
            Some(V::T("身份证")),
            Some(V::T(id)),
            sex.map(V::T),
            birth.map(V::T),
            Some(V::T(mobile)),
            None,
            Some(V::N(6000.0)),
            Some(V::T(first)),
            None,
            None,
            None,
        ]
    };
    fill(
        &path,
        &[
            row(
                1.0,
                "430405198803150011",
                Some("男"),
                Some("198803"),
                "13800000001",
                "202611",
            ),
            // Sex and birth month that the ID contradicts.
            row(
                2.0,
                "43040519880315002X",
                Some("男"),
                Some("198804"),
                "13800000002",
                "202611",
            ),
            // The first row's ID and mobile again.
            row(3.0, "430405198803150011", None, None, "13800000001", "202611"),
            // Before the unit's first month.
            row(4.0, "430405199001010011", None, None, "13800000004", "201506"),
        ],
    );
    let mut checker = Checker::new(&policy(), &unit(), m("202611"));
    let mut issues = Vec::new();
    let stats = import_with(&path, |r, issues| checker.push(&r, issues), &mut issues).unwrap();
    checker.finish(&mut issues);
    assert_eq!(stats.data_rows, 4);
    assert_eq!(
        codes(&issues),
        vec![
            (6, col::SEX.to_owned(), Code::SexMismatch),
            (6, col::BIRTH_MONTH.to_owned(), Code::BirthMonthMismatch),
            (7, col::ID_NUMBER.to_owned(), Code::DuplicateIdNumber),
            (7, col::MOBILE.to_owned(), Code::DuplicateMobile),
            (8, col::FIRST_MONTH.to_owned(), Code::FirstMonthTooEarly),
        ]
    );
}
