//! Excel round-trips (issue 3, "Tests") for 基数调整, 缴存人登记, 个人封存, 个人启封 and 缴存人信息变更: a template
//! written by us
//! (`fixtures/ours_<business>_template.xlsx`), filled by openpyxl (a writer we did not write) and that file
//! converted by LibreOffice (`fixtures/make_roundtrips.py`), imports to exactly the rows the script wrote, with no
//! issue, and the rows pass the domain rules. The committed inputs are checked against what our writer produces
//! today (`cargo run -p gjj-sheets --example fixture_templates` rewrites them).
//!
//! The tests read committed files only; CI runs neither Python nor LibreOffice.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use calamine::{open_workbook, Reader, Xlsx};
use gjj_domain::contributor_registration::ContributorRegistrationRow;
use gjj_domain::ids::id_check_char;
use gjj_domain::issue::Issue;
use gjj_domain::money::Fen;
use gjj_domain::month::Month;
use gjj_domain::policy::Policy;
use gjj_domain::rate::Rate;
use gjj_domain::rounding::RoundTo;
use gjj_domain::unit::{UnitFacts, UnitStatus};
use gjj_sheets::base_adjustment::TemplateOptions;
use gjj_sheets::{base_adjustment, contributor_registration, seal, unseal, SheetError};

/// The two files every business has: openpyxl's fill of our template, and LibreOffice's conversion of it.
fn outputs(business: &str) -> [String; 2] {
    [
        format!("{business}_openpyxl.xlsx"),
        format!("{business}_libreoffice.xlsx"),
    ]
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// As in `examples/fixture_templates.rs`.
fn hengyang() -> TemplateOptions {
    TemplateOptions {
        centre_name: "衡阳市住房公积金管理中心".to_owned(),
    }
}

/// An 18-character 身份证号码 from its first 17 digits (the same bodies as in make_roundtrips.py).
fn id(body17: &str) -> String {
    format!("{body17}{}", id_check_char(body17).unwrap())
}

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
        paid_through: Some(m(2026, 10)),
    }
}

/// "Today" for the domain checks: 应汇缴年月 is 202611, so 202611 and 202612 are both acceptable months.
fn today() -> Month {
    m(2026, 12)
}

/// The committed `ours_*` file still reads exactly like what `write` produces today: every cell value of the
/// sheet, every cell's style (number formats: text `@` for identifiers and 年月, `0.00` for money) down to the last
/// pre-formatted row, and the import (no rows, the same issues).
fn assert_matches_our_writer<T: PartialEq + std::fmt::Debug>(
    committed: &str,
    sheet: &str,
    width: u32,
    write: impl Fn(&std::path::Path, &TemplateOptions) -> Result<(), SheetError>,
    import: impl Fn(&std::path::Path) -> Result<gjj_sheets::Imported<T>, SheetError>,
) {
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("fresh.xlsx");
    write(&fresh, &hengyang()).unwrap();
    let committed = fixture(committed);

    let mut a: Xlsx<_> = open_workbook(&fresh).unwrap();
    let mut b: Xlsx<_> = open_workbook(&committed).unwrap();
    assert_eq!(a.sheet_names(), b.sheet_names());
    assert_eq!(a.sheet_names(), vec![sheet.to_owned()]);
    assert_eq!(
        a.worksheet_range(sheet).unwrap(),
        b.worksheet_range(sheet).unwrap(),
        "cell values of {} differ from our writer: rerun `cargo run -p gjj-sheets --example fixture_templates` \
         and make_roundtrips.py",
        committed.display()
    );
    let (sa, sb) = (
        a.worksheet_style(sheet).unwrap(),
        b.worksheet_style(sheet).unwrap(),
    );
    let last = base_adjustment::FIRST_DATA_ROW + base_adjustment::TEMPLATE_DATA_ROWS;
    let text_cells = (0..width)
        .filter(|&c| {
            sb.get((last - 1, c))
                .and_then(|s| s.number_format.as_ref())
                .is_some_and(|f| f.format_code == "@")
        })
        .count();
    assert!(
        text_cells >= 3,
        "the last prepared row of {} has text cells",
        committed.display()
    );
    for r in 0..=last {
        for c in 0..width {
            assert_eq!(
                sa.get((r, c)),
                sb.get((r, c)),
                "style of cell ({r}, {c}) of {}",
                committed.display()
            );
        }
    }

    let (a, b) = (import(&fresh).unwrap(), import(&committed).unwrap());
    assert_eq!(a.rows, vec![]);
    assert_eq!((a.rows, a.issues, a.data_rows), (b.rows, b.issues, b.data_rows));
}

fn no_issues(issues: &[Issue], what: &str) {
    assert_eq!(issues, &[] as &[Issue], "{what}");
}

// ------------------------------------------------------------------------------------------------ 基数调整

#[test]
fn base_adjustment_committed_input_matches_our_writer() {
    assert_matches_our_writer(
        "ours_base_adjustment_template.xlsx",
        base_adjustment::SHEET_NAME,
        8,
        |p, o| base_adjustment::write_template(p, o),
        |p| base_adjustment::import(p),
    );
}

/// (row, 个人账号, 姓名, 证件号码, 调整前基数, 调整后基数, 生效年月, 备注)
type BaseView = (
    u32,
    String,
    String,
    String,
    Option<Fen>,
    Fen,
    Month,
    Option<String>,
);

#[test]
fn base_adjustment_template_filled_by_openpyxl_and_libreoffice_imports_exactly() {
    let want: Vec<BaseView> = vec![
        (
            5,
            "430000300001".into(),
            "张三".into(),
            id("43040519880315003"),
            Some(Fen(300_000)),
            Fen(350_000),
            m(2026, 11),
            None,
        ),
        // 生效年月 was a real Excel date; the ID ends in X.
        (
            6,
            "430000300002".into(),
            "李四".into(),
            "43040519880315002X".into(),
            Some(Fen(420_050)),
            Fen(456_789),
            m(2026, 12),
            Some("年度调整".into()),
        ),
        (
            7,
            "430000300003".into(),
            "阿依古丽·买买提".into(),
            id("43040719950620001"),
            None,
            Fen(200_005),
            m(2026, 11),
            Some("新入职".into()),
        ),
    ];
    assert_eq!(want[1].3, id("43040519880315002"));
    for name in outputs("base_adjustment") {
        let got = base_adjustment::import(fixture(&name)).unwrap();
        no_issues(&got.issues, &name);
        assert_eq!(got.data_rows, 3, "{name}");
        let view: Vec<BaseView> = got
            .rows
            .iter()
            .map(|r| {
                (
                    r.row,
                    r.account.clone(),
                    r.name.clone(),
                    r.id_number.clone(),
                    r.old_base,
                    r.new_base,
                    r.effective_month,
                    r.note.clone(),
                )
            })
            .collect();
        assert_eq!(view, want, "{name}");
        let issues = gjj_domain::base_adjustment::check(&got.rows, &policy(), &unit(), today());
        no_issues(&issues, &name);
    }
}

// ------------------------------------------------------------------------------------------------ 缴存人登记

#[test]
fn contributor_registration_committed_input_matches_our_writer() {
    assert_matches_our_writer(
        "ours_contributor_registration_template.xlsx",
        contributor_registration::SHEET_NAME,
        13,
        |p, o| contributor_registration::write_template(p, o),
        |p| contributor_registration::import(p),
    );
}

#[test]
fn contributor_registration_template_filled_by_openpyxl_and_libreoffice_imports_exactly() {
    let s = |t: &str| Some(t.to_owned());
    let want = vec![
        // The drop-down entries: "01 身份证" → 01, 女 → 2.
        ContributorRegistrationRow {
            row: 5,
            name: "王芳".into(),
            id_type: "01".into(),
            id_number: id("43040619920518002"),
            sex: s("2"),
            birth_month: Some(m(1992, 5)),
            mobile: "13812345678".into(),
            landline: s("0734-8123456"),
            base: Fen(567_890),
            first_month: m(2026, 11),
            bank_account: s("6222021234567890123"),
            bank_name: s("中国工商银行衡阳分行"),
            note: None,
        },
        // Codes typed: "01", 性别 "1"; 出生年月 left to the ID; 首次汇缴年月 a real Excel date.
        ContributorRegistrationRow {
            row: 6,
            name: "刘洋".into(),
            id_type: "01".into(),
            id_number: id("43042119930915003"),
            sex: s("1"),
            birth_month: None,
            mobile: "13912345678".into(),
            landline: None,
            base: Fen(400_000),
            first_month: m(2026, 11),
            bank_account: None,
            bank_name: None,
            note: s("新入职"),
        },
        // Labels: 护照 → 03, 男 → 1.
        ContributorRegistrationRow {
            row: 7,
            name: "JOHN SMITH".into(),
            id_type: "03".into(),
            id_number: "E12345678".into(),
            sex: s("1"),
            birth_month: Some(m(1985, 6)),
            mobile: "13700000003".into(),
            landline: None,
            base: Fen(800_025),
            first_month: m(2026, 11),
            bank_account: None,
            bank_name: None,
            note: None,
        },
        // 证件类型 typed as the number 1.
        ContributorRegistrationRow {
            row: 8,
            name: "陈静".into(),
            id_type: "01".into(),
            id_number: id("43040819900101004"),
            sex: None,
            birth_month: None,
            mobile: "13600000004".into(),
            landline: None,
            base: Fen(345_678),
            first_month: m(2026, 11),
            bank_account: None,
            bank_name: None,
            note: None,
        },
    ];
    for name in outputs("contributor_registration") {
        let got = contributor_registration::import(fixture(&name)).unwrap();
        no_issues(&got.issues, &name);
        assert_eq!(got.data_rows, 4, "{name}");
        assert_eq!(got.rows, want, "{name}");
        let issues = gjj_domain::contributor_registration::check(&got.rows, &policy(), &unit(), today());
        no_issues(&issues, &name);
    }
}

// ------------------------------------------------------------------------------------------------ 个人封存

#[test]
fn seal_committed_input_matches_our_writer() {
    assert_matches_our_writer(
        "ours_seal_template.xlsx",
        seal::SHEET_NAME,
        7,
        |p, o| seal::write_template(p, o),
        |p| seal::import(p),
    );
}

/// (row, 个人账号, 姓名, 证件号码, 生效年月, 封存原因, 备注)
type SealView = (u32, String, String, String, Month, String, Option<String>);

#[test]
fn seal_template_filled_by_openpyxl_and_libreoffice_imports_exactly() {
    let want: Vec<SealView> = vec![
        // The drop-down entry.
        (
            5,
            "990300000001".into(),
            "周七".into(),
            id("43040519870203001"),
            m(2026, 11),
            "1".into(),
            None,
        ),
        // The label alone; 生效年月 a real Excel date.
        (
            6,
            "990300000002".into(),
            "吴八".into(),
            id("43040519870203002"),
            m(2026, 11),
            "3".into(),
            Some("调往长沙分公司".into()),
        ),
        // The code typed as a number.
        (
            7,
            "990300000003".into(),
            "郑九".into(),
            id("43040519870203003"),
            m(2026, 12),
            "2".into(),
            None,
        ),
    ];
    for name in outputs("seal") {
        let got = seal::import(fixture(&name)).unwrap();
        no_issues(&got.issues, &name);
        assert_eq!(got.data_rows, 3, "{name}");
        let view: Vec<SealView> = got
            .rows
            .iter()
            .map(|r| {
                (
                    r.row,
                    r.account.clone(),
                    r.name.clone(),
                    r.id_number.clone(),
                    r.effective_month,
                    r.reason.clone(),
                    r.note.clone(),
                )
            })
            .collect();
        assert_eq!(view, want, "{name}");
        let issues = gjj_domain::seal::check(&got.rows, &policy(), &unit(), today());
        no_issues(&issues, &name);
    }
}

// ------------------------------------------------------------------------------------------------ 个人启封

#[test]
fn unseal_committed_input_matches_our_writer() {
    assert_matches_our_writer(
        "ours_unseal_template.xlsx",
        unseal::SHEET_NAME,
        8,
        |p, o| unseal::write_template(p, o),
        |p| unseal::import(p),
    );
}

/// (row, 个人账号, 姓名, 证件号码, 生效年月, 启封后缴存基数, 启封原因, 备注)
type UnsealView = (u32, String, String, String, Month, Fen, String, Option<String>);

#[test]
fn unseal_template_filled_by_openpyxl_and_libreoffice_imports_exactly() {
    let want: Vec<UnsealView> = vec![
        // The drop-down entry.
        (
            5,
            "990400000001".into(),
            "冯十".into(),
            id("43040519910714001"),
            m(2026, 11),
            Fen(350_000),
            "1".into(),
            None,
        ),
        // The label alone; 生效年月 a real Excel date; a base with fen; 备注's full-width comma read as ",".
        (
            6,
            "990400000002".into(),
            "陈十一".into(),
            id("43040519910714002"),
            m(2026, 12),
            Fen(432_105),
            "2".into(),
            Some("误封存,恢复缴存".into()),
        ),
        // The code typed as text.
        (
            7,
            "990400000003".into(),
            "褚十二".into(),
            id("43040519910714003"),
            m(2026, 12),
            Fen(280_050),
            "1".into(),
            None,
        ),
    ];
    for name in outputs("unseal") {
        let got = unseal::import(fixture(&name)).unwrap();
        no_issues(&got.issues, &name);
        assert_eq!(got.data_rows, 3, "{name}");
        let view: Vec<UnsealView> = got
            .rows
            .iter()
            .map(|r| {
                (
                    r.row,
                    r.account.clone(),
                    r.name.clone(),
                    r.id_number.clone(),
                    r.effective_month,
                    r.new_base,
                    r.reason.clone(),
                    r.note.clone(),
                )
            })
            .collect();
        assert_eq!(view, want, "{name}");
        let issues = gjj_domain::unseal::check(&got.rows, &policy(), &unit(), today());
        no_issues(&issues, &name);
    }
}

// ------------------------------------------------------------------------------------------------ 缴存人信息变更

#[test]
fn contributor_change_committed_input_matches_our_writer() {
    assert_matches_our_writer(
        "ours_contributor_change_template.xlsx",
        gjj_sheets::contributor_change::SHEET_NAME,
        14,
        |p, o| gjj_sheets::contributor_change::write_template(p, o),
        |p| gjj_sheets::contributor_change::import(p),
    );
}

#[test]
fn contributor_change_template_filled_by_openpyxl_and_libreoffice_imports_exactly() {
    use gjj_domain::contributor_change::{ContributorChangeRow, FieldChange};
    let set = |field: &str, new: &str| FieldChange {
        field: field.to_owned(),
        old: None,
        new: Some(new.to_owned()),
    };
    let want = vec![
        // A new mobile typed as a number.
        ContributorChangeRow {
            row: 5,
            account: "990500000001".into(),
            name: "蒋十三".into(),
            id_number: id("43040519850612001"),
            changes: vec![set("mobile", "13807345678")],
            olds: false,
            note: Some("换号".into()),
        },
        // A corrected 身份证号码 typed with a lower-case x: read upper-case; the old number is the identity.
        ContributorChangeRow {
            row: 6,
            account: "990500000002".into(),
            name: "沈十四".into(),
            id_number: id("43040519850612002"),
            changes: vec![set("id_number", "43048119850612004X")],
            olds: false,
            note: Some("证件号码登记错误更正".into()),
        },
        // A new salary card (19 digits kept as text), its bank and a new 固定电话, in template order.
        ContributorChangeRow {
            row: 7,
            account: "990500000003".into(),
            name: "韩十五".into(),
            id_number: id("43040519850612003"),
            changes: vec![
                set("landline", "0734-8234567"),
                set("bank_account", "6217002920101234567"),
                set("bank_name", "中国建设银行衡阳分行"),
            ],
            olds: false,
            note: None,
        },
    ];
    assert_eq!(id("43048119850612004"), "43048119850612004X");
    for name in outputs("contributor_change") {
        let got = gjj_sheets::contributor_change::import(fixture(&name)).unwrap();
        no_issues(&got.issues, &name);
        assert_eq!(got.data_rows, 3, "{name}");
        assert_eq!(got.rows, want, "{name}");
        let issues = gjj_domain::contributor_change::check(&got.rows, &policy(), &unit(), today());
        no_issues(&issues, &name);
    }
}
