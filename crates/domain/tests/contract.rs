//! The public API exactly as the other crates use it (the agreed contract paths), exercised from
//! outside the crate: a 衡阳-style policy, a unit, a small batch, and the JSON the client sends.
// Helpers outside #[test] fns are not covered by clippy's allow-unwrap-in-tests; a failed
// unwrap here is a failed test, which is what we want.
#![allow(clippy::unwrap_used)]

use gjj_domain::base_adjustment::{
    self, allowed_base_range, amounts, col, BaseAdjustment, BaseAdjustmentRow, Checker,
};
use gjj_domain::ids::{self, IdCard, Sex};
use gjj_domain::issue::{Code, Issue};
use gjj_domain::money::Fen;
use gjj_domain::month::Month;
use gjj_domain::policy::Policy;
use gjj_domain::rate::Rate;
use gjj_domain::rounding::{self, RoundTo};
use gjj_domain::unit::{UnitFacts, UnitStatus};

fn month(s: &str) -> Month {
    Month::parse(s).unwrap()
}

/// REFERENCE §C 衡阳 figures (secondary source): base 1700–21142 元, monthly 170–5076 元,
/// rates 5%–12%. Policy is data: the library ships no figures.
fn policy() -> Policy {
    Policy {
        year: 2026,
        starts: month("202607"),
        ends: month("202706"),
        base_min: Fen::parse_yuan("1,700").unwrap(),
        base_max: Fen::parse_yuan("21142元").unwrap(),
        monthly_min: Fen::from_yuan(170),
        monthly_max: Fen::from_yuan(5076),
        unit_rate_min: Rate::parse_percent("5%").unwrap(),
        unit_rate_max: Rate::parse_percent("0.12").unwrap(),
        person_rate_min: Rate::parse_percent("5").unwrap(),
        person_rate_max: Rate::parse_percent("12%").unwrap(),
        round_to: RoundTo::Yuan,
    }
}

fn unit() -> UnitFacts {
    UnitFacts {
        account: "9817112009060".into(),
        name: "衡阳示例有限公司".into(),
        uscc: "91350200776049653A".into(),
        status: UnitStatus::Normal,
        unit_rate: Rate(1200),
        person_rate: Rate(1200),
        first_month: month("2020年3月"),
        paid_through: Some(month("2026-06")),
    }
}

fn id_number(first17: &str) -> String {
    format!("{first17}{}", ids::id_check_char(first17).unwrap())
}

#[test]
fn the_contract_paths_work_together() {
    let policy = policy();
    assert_eq!(policy.validate(), Ok(()));
    let unit = unit();
    assert_eq!(unit.due_month(), month("202607"));
    assert_eq!(ids::check_uscc(&unit.uscc), Ok(()));

    let a = amounts(Fen::from_yuan(3500), &unit, &policy);
    assert_eq!(
        (a.unit, a.person, a.total),
        (Fen(42_000), Fen(42_000), Fen(84_000))
    );
    assert_eq!(
        rounding::amount(Fen::from_yuan(3500), Rate(1200), RoundTo::Fen),
        Fen(42_000)
    );
    assert_eq!(
        allowed_base_range(&unit, &policy),
        (Fen::from_yuan(1700), Fen::from_yuan(21142))
    );

    let good = BaseAdjustmentRow {
        row: 5,
        account: "9913101600019".into(),
        name: "张三".into(),
        id_number: id_number("43040219900307001"),
        old_base: Fen::from_cell_number(3000.0).ok(),
        new_base: Fen::parse_yuan("3,500.00").unwrap(),
        effective_month: Month::from_excel_serial(46204.0, false).unwrap(), // 2026-07-01
        note: None,
    };
    let card = IdCard::parse(&good.id_number).unwrap();
    assert_eq!(
        (card.birth, card.sex, card.sex.code()),
        ((1990, 3, 7), Sex::Male, "1")
    );

    let mut dup = good.clone();
    dup.row = 6;
    dup.account = "9913101600020".into();
    dup.new_base = Fen::from_yuan(25_000);

    let payload = BaseAdjustment {
        rows: vec![good, dup],
    };
    let today = month("202608");
    let issues = payload.check(&policy, &unit, today);
    assert_eq!(
        issues,
        base_adjustment::check(&payload.rows, &policy, &unit, today)
    );
    let got: Vec<(u32, &str, Code)> = issues
        .iter()
        .map(|i| (i.row, i.column.as_str(), i.code))
        .collect();
    assert_eq!(
        got,
        vec![
            (6, col::ID_NUMBER, Code::DuplicateIdNumber),
            (6, col::NEW_BASE, Code::BaseAboveMax)
        ]
    );

    // Streaming gives the same answer.
    let mut checker = Checker::new(&policy, &unit, today);
    let mut streamed = Vec::new();
    for row in &payload.rows {
        checker.push(row, &mut streamed);
    }
    checker.finish(&mut streamed);
    assert_eq!(streamed, issues);

    // The JSON the gateway returns.
    let json = serde_json::to_string(&issues[1]).unwrap();
    assert_eq!(
        json,
        r#"{"row":6,"column":"调整后基数（元）","code":"BASE_ABOVE_MAX","message":"调整后基数 25000.00 元超出 2026 年度缴存基数上限 21142.00 元，请改为 1700.00 至 21142.00 元之间"}"#
    );
    let back: Issue = serde_json::from_str(&json).unwrap();
    assert_eq!(back, issues[1]);

    // And the payload round-trips.
    let wire = serde_json::to_string(&payload).unwrap();
    assert_eq!(serde_json::from_str::<BaseAdjustment>(&wire).unwrap(), payload);
}

#[test]
fn importer_facing_pieces() {
    assert_eq!(ids::normalize_text("  ４３０４０２ "), "430402");
    assert_eq!(ids::normalize_name("阿依古丽•买买提"), "阿依古丽·买买提");
    assert_eq!(Issue::sheet(Code::HeaderNotFound, "找不到表头").row, 0);
    assert_eq!(
        Issue::new(3, col::ID_NUMBER, Code::IdStoredAsNumber, "m").column,
        "证件号码"
    );
    for code in [
        Code::Required,
        Code::IdStoredAsNumber,
        Code::AccountStoredAsNumber,
        Code::MoneyInvalid,
        Code::MonthInvalid,
        Code::HeaderNotFound,
        Code::ColumnMissing,
        Code::NoRows,
        Code::TooManyRows,
        Code::CellTypeUnexpected,
    ] {
        assert_eq!(Code::from_wire(code.as_str()), code);
    }
    assert_eq!(Fen::parse_yuan("abc").unwrap_err().code(), Code::MoneyInvalid);
    assert_eq!(Month::parse("2024-13").unwrap_err().code(), Code::MonthInvalid);
    assert_eq!(ids::check_mobile("13812345678"), Ok(()));
    assert_eq!(ids::check_landline("0734-8123456"), Ok(()));
    assert_eq!(ids::check_org_code("59467239-9"), Ok(()));
    assert_eq!(
        Month::new(2024, 7)
            .unwrap()
            .next()
            .prev()
            .months_until(Month::new(2025, 7).unwrap()),
        12
    );
    assert_eq!(Month::new(2024, 7).unwrap().add_months(6).to_string(), "202501");
}
