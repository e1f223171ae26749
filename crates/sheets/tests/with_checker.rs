//! The importer feeding the domain checker, as `gjj check` does: cell issues and rule issues
//! arrive in row order in one list.

use std::path::PathBuf;

use gjj_domain::base_adjustment::{col, Checker};
use gjj_domain::issue::Code;
use gjj_domain::money::Fen;
use gjj_domain::month::Month;
use gjj_domain::policy::Policy;
use gjj_domain::rate::Rate;
use gjj_domain::rounding::RoundTo;
use gjj_domain::unit::{UnitFacts, UnitStatus};
use gjj_sheets::base_adjustment;

fn month(y: i32, m: u32) -> Month {
    Month::new(y, m).expect("valid month")
}

fn policy() -> Policy {
    Policy {
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
    }
}

fn unit() -> UnitFacts {
    UnitFacts {
        account: "430400000001".into(),
        name: "衡阳市示例科技有限公司".into(),
        uscc: "91430400MA4L000000".into(),
        status: UnitStatus::Normal,
        unit_rate: Rate::from_percent(12),
        person_rate: Rate::from_percent(12),
        first_month: month(2010, 1),
        paid_through: Some(month(2026, 6)),
    }
}

#[test]
fn pitfalls_then_rules_in_row_order() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pitfalls_openpyxl.xlsx");
    let mut checker = Checker::new(&policy(), &unit(), month(2026, 7));
    let mut issues = Vec::new();
    let stats =
        base_adjustment::import_with(&path, |row, issues| checker.push(&row, issues), &mut issues).unwrap();
    checker.finish(&mut issues);
    assert_eq!(stats.rows_delivered, 8);
    let got: Vec<_> = issues
        .iter()
        .map(|i| (i.row, i.column.as_str(), i.code))
        .collect();
    let rows: Vec<u32> = got.iter().map(|g| g.0).collect();
    let mut sorted = rows.clone();
    sorted.sort_unstable();
    assert_eq!(rows, sorted, "issues arrive in row order: {got:?}");
    // The 15-digit legacy ID (row 19) passed the importer as text; the domain refuses it.
    assert!(
        got.iter().any(|&(r, c, _)| r == 19 && c == col::ID_NUMBER),
        "row 19 ID judged by the domain: {got:?}"
    );
    // Importer issues are all still there.
    for (r, c, code) in [
        (5, col::ID_NUMBER, Code::IdStoredAsNumber),
        (17, col::ACCOUNT, Code::AccountStoredAsNumber),
        (25, col::ID_NUMBER, Code::Required),
    ] {
        assert!(got.contains(&(r, c, code)), "{r} {c} {code:?} in {got:?}");
    }
}
