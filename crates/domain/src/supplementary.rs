//! 补缴 (supplementary contributions) as a batch: the wire rows, the 补缴原因 code table and the
//! rule checker.
//!
//! A 补缴 pays months the unit has already remitted but in which a person was missed or paid
//! too little (Bijie UnitPayBackPost, REFERENCE §B3: "months where the unit already remitted
//! but the person was not included, months after 启封, persons opened with an earlier
//! 首次汇缴年月"). One row = one person, a range of months, the base and the per-month amounts
//! per side, and the reason (REFERENCE §F1's recommended 补缴 template).
//!
//! Rules here (client and gateway alike): identity cells (the shared
//! [`base_adjustment::Checker`] rules); 起始 ≤ 终止; the months within the unit's
//! [首次汇缴年月, 缴至年月]; the base within the limits of every policy year the range touches;
//! the amounts per side = [`base_adjustment::amounts`] of the base (the one formula); a known
//! 补缴原因 (99 其他 needs its text); and no person-month twice within the sheet.
//!
//! The same month rule against the *person's* 首次汇缴年月 / 缴至年月 is
//! [`check_person_months`], fed by the gateway with the centre's data, which also refuses a
//! person-month that an open or completed 补缴 already covers.
//!
//! Choices where REFERENCE is silent [I]:
//! - **Rates:** the unit's current 单位/个人缴存比例 for every month. The gateway keeps no rate
//!   history; a 补缴 for months under an earlier rate is handled at the centre's counter.
//! - **基数调整差额 (03):** the 缴存基数 column holds the *difference* between the new and the
//!   old base (补差基数), and each side's amount is that difference × the rate, rounded once
//!   (the same formula as every other row). Rounding `new × rate` and `old × rate` separately
//!   and subtracting can differ by 1 分; we take the single-formula reading because the
//!   centre books the 差额 as its own 补缴 line with its own base. A difference is not a base,
//!   so the policy's base limits do not apply to it (it must still be positive).
//! - **Person status:** 补缴 is for months already past, so a person sealed since (封存) may
//!   still be paid for; closed accounts may not (decided by the gateway).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::base_adjustment::{self, Wording};
use crate::code_table::{CodeEntry, CodeTable};
use crate::ids::normalize_text;
use crate::issue::{Code, Issue};
use crate::money::Fen;
use crate::month::Month;
use crate::policy::Policy;
use crate::unit::UnitFacts;

/// Column titles of the 补缴 template, in template order (also the `column` of issues).
pub mod col {
    pub use crate::base_adjustment::col::{ACCOUNT, ID_NUMBER, NAME, SEQ};
    /// 补缴起始年月.
    pub const START: &str = "补缴起始年月";
    /// 补缴终止年月.
    pub const END: &str = "补缴终止年月";
    /// 缴存基数 of the months (for 03 基数调整差额: the difference of the bases).
    pub const BASE: &str = "缴存基数（元）";
    /// 单位补缴额 per month (DWBJE / 月数).
    pub const UNIT_AMOUNT: &str = "单位月补缴额（元）";
    /// 个人补缴额 per month (GRBJE / 月数).
    pub const PERSON_AMOUNT: &str = "个人月补缴额（元）";
    /// 补缴原因 (BJYY): a code of [`REASONS`](super::REASONS) or its label.
    pub const REASON: &str = "补缴原因";
    /// 原因说明: free text; required for 99 其他.
    pub const REASON_TEXT: &str = "原因说明";
    /// All titles in template order.
    pub const ALL: [&str; 11] = [
        SEQ,
        ACCOUNT,
        NAME,
        ID_NUMBER,
        START,
        END,
        BASE,
        UNIT_AMOUNT,
        PERSON_AMOUNT,
        REASON,
        REASON_TEXT,
    ];
}

/// The 补缴原因 code table [I]: JGJ/T 320 has no national table for it and REFERENCE gives no
/// centre's codes, so these are the cases Bijie's source comment names (漏缴, after 启封, base
/// difference) plus 99 其他 in the JGJ/T 320 style.
pub const REASONS: CodeTable = CodeTable {
    name: "补缴原因",
    entries: &[
        CodeEntry {
            code: "01",
            label: "漏缴",
            aliases: &["漏缴职工", "漏报", "未汇缴"],
        },
        CodeEntry {
            code: "02",
            label: "启封后补缴",
            aliases: &["启封补缴", "启封"],
        },
        CodeEntry {
            code: "03",
            label: "基数调整差额",
            aliases: &["基数差额", "补差", "基数调整补差"],
        },
        CodeEntry {
            code: "99",
            label: "其他",
            aliases: &["其它"],
        },
    ],
};

/// 补缴原因 03: the base column holds the difference of the bases (see the module docs).
pub const REASON_BASE_DIFFERENCE: &str = "03";
/// 补缴原因 99: the 原因说明 must say what it is.
pub const REASON_OTHER: &str = "99";

/// One row of a 补缴 submission — the client↔gateway wire contract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplementaryRow {
    /// The Excel row number the user sees (1-based).
    pub row: u32,
    /// 个人账号.
    pub account: String,
    /// 姓名.
    pub name: String,
    /// 证件号码.
    pub id_number: String,
    /// 补缴起始年月.
    pub start: Month,
    /// 补缴终止年月 (inclusive).
    pub end: Month,
    /// 缴存基数 of those months (03: the difference of the bases).
    pub base: Fen,
    /// 单位补缴额 per month.
    pub unit_amount: Fen,
    /// 个人补缴额 per month.
    pub person_amount: Fen,
    /// 补缴原因: after [`SupplementaryRow::normalize`] the code ("01") when recognised.
    pub reason: String,
    /// 原因说明.
    #[serde(default)]
    pub reason_text: Option<String>,
}

impl SupplementaryRow {
    /// Normalises in place the way the checker reads the row; a recognised 补缴原因 becomes its
    /// code, so the signed payload and the stored rows carry "01", not the label.
    pub fn normalize(&mut self) {
        crate::seal::normalize_identity(
            &mut self.account,
            &mut self.name,
            &mut self.id_number,
            &mut self.reason_text,
        );
        crate::seal::normalize_reason(&REASONS, &mut self.reason);
    }

    /// How many months the row covers (0 when the range is reversed).
    pub fn month_count(&self) -> u32 {
        u32::try_from(self.start.months_until(self.end) + 1).unwrap_or(0)
    }

    /// The months the row covers, in order (none when the range is reversed).
    pub fn months(&self) -> impl Iterator<Item = Month> {
        let (start, end) = (self.start, self.end);
        std::iter::successors((start <= end).then_some(start), move |m| {
            (*m < end).then(|| m.next())
        })
    }

    /// 发生额 of the row: (单位 + 个人) × months.
    pub fn amount(&self) -> Fen {
        let monthly = self.unit_amount.saturating_add(self.person_amount);
        monthly
            .checked_mul(i64::from(self.month_count()))
            .unwrap_or(Fen(i64::MAX))
    }
}

/// A whole 补缴 submission (the request payload, signed).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supplementary {
    /// The rows in sheet order.
    pub rows: Vec<SupplementaryRow>,
}

impl Supplementary {
    /// Runs [`check`] over all rows.
    pub fn check(&self, policy: &Policy, earlier: &[Policy], unit: &UnitFacts, today: Month) -> Vec<Issue> {
        check(&self.rows, policy, earlier, unit, today)
    }

    /// 发生额 of the whole submission.
    pub fn amount(&self) -> Fen {
        self.rows
            .iter()
            .fold(Fen::ZERO, |sum, r| sum.saturating_add(r.amount()))
    }
}

/// Checks a whole submission: row issues in row order, then sheet-level issues (row 0).
pub fn check(
    rows: &[SupplementaryRow],
    policy: &Policy,
    earlier: &[Policy],
    unit: &UnitFacts,
    today: Month,
) -> Vec<Issue> {
    let mut checker = Checker::new(policy, earlier, unit, today);
    let mut issues = Vec::new();
    for row in rows {
        checker.push(row, &mut issues);
    }
    checker.finish(&mut issues);
    issues
}

/// 补缴's wording of the shared base rule (its month rules are its own).
const WORDING: Wording = Wording {
    base_column: col::BASE,
    base_label: "缴存基数",
    past: "",
    future: "",
    business: "补缴",
    month_in_policy: true,
};

/// A streaming checker: feed rows one at a time.
///
/// Unlike the other batches, one person may have several rows (different ranges or reasons),
/// so duplicates are judged by overlapping months, not by a repeated 个人账号.
#[derive(Debug)]
pub struct Checker {
    /// The policy in force: its rounding is the one the amounts use.
    policy: Policy,
    /// Every policy year known (the one in force included): the base limits of each year a
    /// range touches apply to it.
    years: Vec<Policy>,
    unit: UnitFacts,
    today: Month,
    pushed: u64,
    /// Per 个人账号 (upper-case): the ranges seen so far, with their row.
    ranges: HashMap<String, Vec<(Month, Month, u32)>>,
}

impl Checker {
    /// A checker for `unit` under `policy` (the year in force, whose rounding the amounts use)
    /// and `earlier` (other policy years on record; the client passes none and the gateway all,
    /// so only the gateway judges bases of months in earlier years), with `today` the current
    /// month.
    pub fn new(policy: &Policy, earlier: &[Policy], unit: &UnitFacts, today: Month) -> Checker {
        let mut years = vec![policy.clone()];
        years.extend(earlier.iter().filter(|p| p.year != policy.year).cloned());
        Checker {
            policy: policy.clone(),
            years,
            unit: unit.clone(),
            today,
            pushed: 0,
            ranges: HashMap::new(),
        }
    }

    /// Checks one row and appends its issues in column order.
    pub fn push(&mut self, row: &SupplementaryRow, issues: &mut Vec<Issue>) {
        self.pushed += 1;
        let r = row.row;
        // A fresh identity checker per row: its duplicate tables must not carry over, because
        // one person may legitimately have several rows here (see the type's docs).
        let mut identity = base_adjustment::Checker::new(&self.policy, &self.unit, self.today);
        identity.check_account(r, &row.account, issues);
        identity.check_name(r, &row.name, issues);
        identity.check_id_number(r, &row.id_number, issues);
        let range_ok = self.check_unit_months(row, issues);
        self.check_base(row, range_ok, issues);
        self.check_amounts(row, issues);
        crate::seal::check_reason(
            &REASONS,
            r,
            col::REASON,
            Code::SupplementaryReasonInvalid,
            &row.reason,
            issues,
        );
        let other = REASONS.find(&row.reason).is_some_and(|e| e.code == REASON_OTHER);
        let no_text = row
            .reason_text
            .as_deref()
            .is_none_or(|t| normalize_text(t).is_empty());
        if other && no_text {
            issues.push(Issue::new(
                r,
                col::REASON_TEXT,
                Code::Required,
                "补缴原因为“99 其他”时，请在“原因说明”中写明补缴的原因",
            ));
        }
        if range_ok {
            self.check_overlap(row, issues);
        }
    }

    /// 起始 ≤ 终止, and the range within the unit's [首次汇缴年月, 缴至年月]. Returns whether the
    /// range itself is usable (not reversed).
    fn check_unit_months(&self, row: &SupplementaryRow, issues: &mut Vec<Issue>) -> bool {
        let (r, start, end) = (row.row, row.start, row.end);
        if start > end {
            issues.push(Issue::new(
                r,
                col::START,
                Code::SupplementaryRangeReversed,
                format!(
                    "补缴起始年月 {start} 晚于补缴终止年月 {end}；请把起始年月改为不晚于终止年月（只补一个月时两者相同）"
                ),
            ));
            return false;
        }
        let first = self.unit.first_month;
        if start < first {
            issues.push(Issue::new(
                r,
                col::START,
                Code::SupplementaryMonthBeforeFirst,
                format!(
                    "补缴起始年月 {start} 早于单位首次汇缴年月 {first}，单位开始缴存前的月份不能补缴；请改为 {first} 或以后"
                ),
            ));
        }
        match self.unit.paid_through {
            None => issues.push(Issue::new(
                r,
                col::END,
                Code::SupplementaryMonthAfterPaidThrough,
                "单位尚未汇缴过任何月份，没有可以补缴的月份；请先办理汇缴",
            )),
            Some(paid) if end > paid => issues.push(Issue::new(
                r,
                col::END,
                Code::SupplementaryMonthAfterPaidThrough,
                format!(
                    "补缴终止年月 {end} 晚于单位缴至年月 {paid}。补缴只适用于已经汇缴过的月份，{} 及以后的月份请随汇缴缴存；请把终止年月改为 {paid} 或更早",
                    paid.next()
                ),
            )),
            Some(_) => {}
        }
        true
    }

    /// Positive; and, except for a 基数调整差额, within the base limits of every policy year
    /// the range touches (years the centre has no record of are not judged here).
    fn check_base(&self, row: &SupplementaryRow, range_ok: bool, issues: &mut Vec<Issue>) {
        if !row.base.is_positive() {
            issues.push(Issue::new(
                row.row,
                col::BASE,
                Code::BaseNotPositive,
                format!(
                    "缴存基数 {} 元不正确，应大于 0；请填写补缴月份的缴存基数（基数调整差额填调整前后基数之差）",
                    row.base
                ),
            ));
            return;
        }
        let difference = REASONS
            .find(&row.reason)
            .is_some_and(|e| e.code == REASON_BASE_DIFFERENCE);
        if difference || !range_ok {
            return;
        }
        for p in &self.years {
            if p.starts > row.end || p.ends < row.start {
                continue;
            }
            let month = row.start.max(p.starts);
            base_adjustment::Checker::new(p, &self.unit, self.today)
                .check_base(row.row, row.base, month, &WORDING, issues);
        }
    }

    /// The per-month amounts are what the base implies at the unit's rates.
    fn check_amounts(&self, row: &SupplementaryRow, issues: &mut Vec<Issue>) {
        if !row.base.is_positive() {
            return;
        }
        let want = base_adjustment::amounts(row.base, &self.unit, &self.policy);
        let (unit_ok, person_ok) = (row.unit_amount == want.unit, row.person_amount == want.person);
        if unit_ok && person_ok {
            return;
        }
        let months = row.month_count().max(1);
        let total = want.total.checked_mul(i64::from(months)).unwrap_or(Fen(i64::MAX));
        issues.push(Issue::new(
            row.row,
            if unit_ok { col::PERSON_AMOUNT } else { col::UNIT_AMOUNT },
            Code::SupplementaryAmountMismatch,
            format!(
                "单位月补缴额 {} 元、个人月补缴额 {} 元与缴存基数 {} 元不符：按单位比例 {}、个人比例 {}（{}）每月应为单位 {} 元、个人 {} 元（{months} 个月共 {total} 元）。请改为单位 {} 元、个人 {} 元（补缴额填每月金额，不是多个月的合计）",
                row.unit_amount,
                row.person_amount,
                row.base,
                self.unit.unit_rate,
                self.unit.person_rate,
                self.policy.round_to.describe(),
                want.unit,
                want.person,
                want.unit,
                want.person,
            ),
        ));
    }

    /// No month of a person twice within the sheet: reported on the later row, naming the
    /// earlier one and the months both cover.
    fn check_overlap(&mut self, row: &SupplementaryRow, issues: &mut Vec<Issue>) {
        let key = normalize_text(&row.account).to_ascii_uppercase();
        if key.is_empty() {
            return;
        }
        let ranges = self.ranges.entry(key).or_default();
        if let Some(&(s, e, first)) = ranges.iter().find(|(s, e, _)| *s <= row.end && row.start <= *e) {
            let (from, to) = (row.start.max(s), row.end.min(e));
            issues.push(Issue::new(
                row.row,
                col::START,
                Code::SupplementaryMonthsOverlap,
                format!(
                    "本行补缴 {}–{} 与第 {first} 行的 {s}–{e} 重叠，{from}–{to} 被补缴了两次。同一职工的同一月份只能补缴一次；请合并这两行或调整年月范围",
                    row.start, row.end
                ),
            ));
        }
        ranges.push((row.start, row.end, row.row));
    }

    /// Sheet-level checks after the last row (no rows; unit status).
    pub fn finish(self, issues: &mut Vec<Issue>) {
        crate::seal::finish_sheet(self.pushed, self.unit.status, "补缴", issues);
    }

    /// How many rows have been pushed.
    pub fn rows_checked(&self) -> u64 {
        self.pushed
    }
}

/// The month rule against one person's own facts (the gateway feeds the centre's data): not
/// before the person's 首次汇缴年月, not after the person's 缴至年月. A reversed range is
/// [`Checker`]'s to report.
pub fn check_person_months(
    row: &SupplementaryRow,
    first_month: Month,
    paid_through: Option<Month>,
    issues: &mut Vec<Issue>,
) {
    let (r, start, end) = (row.row, row.start, row.end);
    if start > end {
        return;
    }
    if start < first_month {
        issues.push(Issue::new(
            r,
            col::START,
            Code::SupplementaryMonthBeforeFirst,
            format!(
                "补缴起始年月 {start} 早于该职工的首次汇缴年月 {first_month}，之前的月份该职工尚未在本单位缴存；请改为 {first_month} 或以后"
            ),
        ));
    }
    match paid_through {
        None => issues.push(Issue::new(
            r,
            col::END,
            Code::SupplementaryMonthAfterPaidThrough,
            "该职工尚未汇缴过任何月份，没有可以补缴的月份；请先随单位汇缴为其缴存",
        )),
        Some(paid) if end > paid => issues.push(Issue::new(
            r,
            col::END,
            Code::SupplementaryMonthAfterPaidThrough,
            format!(
                "补缴终止年月 {end} 晚于该职工的缴至年月 {paid}。补缴只适用于已经汇缴过的月份；请把终止年月改为 {paid} 或更早，以后的月份随汇缴缴存"
            ),
        )),
        Some(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::id_check_char;
    use crate::rate::Rate;
    use crate::rounding::RoundTo;
    use crate::unit::UnitStatus;

    fn m(year: i32, month: u32) -> Month {
        Month::new(year, month).unwrap()
    }

    const TODAY: Month = match Month::new(2026, 11) {
        Some(t) => t,
        None => Month::MIN,
    };

    fn policy(year: u16, base_min_yuan: i64) -> Policy {
        Policy {
            year,
            starts: m(i32::from(year), 7),
            ends: m(i32::from(year) + 1, 6),
            base_min: Fen::from_yuan(base_min_yuan),
            base_max: Fen::from_yuan(21142),
            monthly_min: Fen::from_yuan(100),
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
            person_rate: Rate(800),
            first_month: m(2016, 3),
            paid_through: Some(m(2026, 9)),
        }
    }

    fn id(n: u32) -> String {
        let first17 = format!("43040819900101{n:03}");
        format!("{first17}{}", id_check_char(&first17).unwrap())
    }

    /// A correct 漏缴 row of 202607–202609 at `yuan`, 10% / 8%.
    fn row(r: u32, yuan: i64) -> SupplementaryRow {
        let base = Fen::from_yuan(yuan);
        let a = base_adjustment::amounts(base, &unit(), &policy(2026, 1700));
        SupplementaryRow {
            row: r,
            account: format!("9902{r:08}"),
            name: "李四".into(),
            id_number: id(r),
            start: m(2026, 7),
            end: m(2026, 9),
            base,
            unit_amount: a.unit,
            person_amount: a.person,
            reason: "01".into(),
            reason_text: None,
        }
    }

    fn run(rows: Vec<SupplementaryRow>) -> Vec<Issue> {
        check(&rows, &policy(2026, 1700), &[], &unit(), TODAY)
    }

    fn codes(issues: &[Issue]) -> Vec<(u32, &str, Code)> {
        issues
            .iter()
            .map(|i| (i.row, i.column.as_str(), i.code))
            .collect()
    }

    #[test]
    fn a_correct_sheet_passes_and_sums() {
        let rows = vec![row(6, 3000), row(7, 5000)];
        assert_eq!(run(rows.clone()), vec![]);
        assert_eq!(rows[0].month_count(), 3);
        assert_eq!(
            rows[0].months().collect::<Vec<_>>(),
            vec![m(2026, 7), m(2026, 8), m(2026, 9)]
        );
        // (300 + 240) × 3 + (500 + 400) × 3
        assert_eq!(Supplementary { rows }.amount(), Fen::from_yuan(1620 + 2700));
    }

    #[test]
    fn one_failing_case_per_rule() {
        type Mutate = fn(&mut SupplementaryRow);
        type Case = (&'static str, Mutate, Vec<(&'static str, Code)>);
        let cases: Vec<Case> = vec![
            (
                "reversed range",
                |r| (r.start, r.end) = (m(2026, 9), m(2026, 7)),
                vec![(col::START, Code::SupplementaryRangeReversed)],
            ),
            (
                "before the unit's first month",
                |r| r.start = m(2016, 2),
                vec![(col::START, Code::SupplementaryMonthBeforeFirst)],
            ),
            (
                "after the unit's paid-through month",
                |r| r.end = m(2026, 10),
                vec![(col::END, Code::SupplementaryMonthAfterPaidThrough)],
            ),
            (
                "unit amount edited",
                |r| r.unit_amount = Fen(r.unit_amount.0 + 1),
                vec![(col::UNIT_AMOUNT, Code::SupplementaryAmountMismatch)],
            ),
            (
                "person amount edited",
                |r| r.person_amount = Fen(r.person_amount.0 * 3),
                vec![(col::PERSON_AMOUNT, Code::SupplementaryAmountMismatch)],
            ),
            (
                "base below the year's minimum",
                |r| {
                    r.base = Fen::from_yuan(1000);
                    r.unit_amount = Fen::from_yuan(100);
                    r.person_amount = Fen::from_yuan(80);
                },
                vec![(col::BASE, Code::BaseBelowMin)],
            ),
            (
                "base not positive",
                |r| r.base = Fen::ZERO,
                vec![(col::BASE, Code::BaseNotPositive)],
            ),
            (
                "unknown reason",
                |r| r.reason = "05".into(),
                vec![(col::REASON, Code::SupplementaryReasonInvalid)],
            ),
            (
                "empty reason",
                |r| r.reason = String::new(),
                vec![(col::REASON, Code::Required)],
            ),
            (
                "其他 without its text",
                |r| r.reason = "99".into(),
                vec![(col::REASON_TEXT, Code::Required)],
            ),
            (
                "bad ID",
                |r| r.id_number.replace_range(17.., "Z"),
                vec![(col::ID_NUMBER, Code::IdNumberFormat)],
            ),
        ];
        for (what, mutate, want) in cases {
            let mut r = row(6, 3000);
            mutate(&mut r);
            let issues = run(vec![r]);
            let got: Vec<(&str, Code)> = issues.iter().map(|i| (i.column.as_str(), i.code)).collect();
            assert_eq!(got, want, "{what}: {issues:#?}");
            assert!(
                issues.iter().all(|i| i.message.contains('请')),
                "{what}: {issues:#?}"
            );
        }
        // 其他 with its text, and labels for codes, are fine.
        let mut r = row(6, 3000);
        r.reason = "其他".into();
        r.reason_text = Some("劳动仲裁裁定补缴".into());
        assert_eq!(run(vec![r]), vec![]);
    }

    #[test]
    fn messages_name_the_right_figures() {
        let mut r = row(6, 3000);
        r.unit_amount = Fen::from_yuan(900);
        r.person_amount = Fen::from_yuan(720);
        let issues = run(vec![r]);
        assert!(
            issues[0]
                .message
                .contains("每月应为单位 300.00 元、个人 240.00 元（3 个月共 1620.00 元）"),
            "{}",
            issues[0].message
        );
        let mut r = row(6, 3000);
        r.end = m(2026, 12);
        let issues = run(vec![r]);
        assert!(
            issues[0].message.contains("单位缴至年月 202609"),
            "{}",
            issues[0].message
        );
        assert!(
            issues[0].message.contains("202610 及以后"),
            "{}",
            issues[0].message
        );
    }

    #[test]
    fn overlapping_ranges_of_one_person_within_the_sheet() {
        let mut a = row(6, 3000);
        a.start = m(2026, 1);
        a.end = m(2026, 6);
        let mut b = row(7, 3000);
        b.account = a.account.to_lowercase();
        b.id_number = a.id_number.clone();
        b.start = m(2026, 6);
        b.end = m(2026, 8);
        // The same person, adjacent months and another reason: allowed.
        let mut c = row(8, 500);
        c.account = a.account.clone();
        c.id_number = a.id_number.clone();
        c.start = m(2026, 9);
        c.end = m(2026, 9);
        c.reason = "03 基数调整差额".into();
        let issues = run(vec![a, b, c]);
        assert_eq!(
            codes(&issues),
            vec![(7, col::START, Code::SupplementaryMonthsOverlap)]
        );
        assert!(issues[0].message.contains("第 6 行"), "{}", issues[0].message);
        assert!(
            issues[0].message.contains("202606–202606"),
            "{}",
            issues[0].message
        );
        // Different people may share months.
        assert_eq!(run(vec![row(6, 3000), row(7, 3000)]), vec![]);
    }

    #[test]
    fn a_base_difference_is_not_judged_by_the_base_limits() {
        let mut r = row(6, 500);
        r.reason = "03".into();
        assert_eq!(run(vec![r.clone()]), vec![]);
        // The same base as 漏缴 is below the minimum.
        r.reason = "01".into();
        assert_eq!(codes(&run(vec![r])), vec![(6, col::BASE, Code::BaseBelowMin)]);
    }

    #[test]
    fn every_policy_year_the_range_touches_applies() {
        // 2025 had a higher minimum: a range into 2025 fails only where the gateway knows 2025.
        let mut r = row(6, 1800);
        r.start = m(2026, 5);
        let current = policy(2026, 1700);
        let y2025 = policy(2025, 1900);
        assert_eq!(check(&[r.clone()], &current, &[], &unit(), TODAY), vec![]);
        let issues = check(
            &[r.clone()],
            &current,
            std::slice::from_ref(&y2025),
            &unit(),
            TODAY,
        );
        assert_eq!(codes(&issues), vec![(6, col::BASE, Code::BaseBelowMin)]);
        assert!(issues[0].message.contains("2025 年度"), "{}", issues[0].message);
        // A range wholly in 2026 is not judged by 2025.
        r.start = m(2026, 7);
        assert_eq!(check(&[r], &current, &[y2025], &unit(), TODAY), vec![]);
    }

    #[test]
    fn the_persons_own_months() {
        let r = row(6, 3000);
        let mut issues = Vec::new();
        check_person_months(&r, m(2026, 7), Some(m(2026, 9)), &mut issues);
        assert_eq!(issues, vec![]);
        check_person_months(&r, m(2026, 8), Some(m(2026, 8)), &mut issues);
        assert_eq!(
            codes(&issues),
            vec![
                (6, col::START, Code::SupplementaryMonthBeforeFirst),
                (6, col::END, Code::SupplementaryMonthAfterPaidThrough)
            ]
        );
        assert!(issues[0].message.contains("该职工的首次汇缴年月 202608"));
        assert!(issues[1].message.contains("该职工的缴至年月 202608"));
        let mut never = Vec::new();
        check_person_months(&r, m(2026, 7), None, &mut never);
        assert_eq!(
            codes(&never),
            vec![(6, col::END, Code::SupplementaryMonthAfterPaidThrough)]
        );
    }

    #[test]
    fn sheet_level_issues() {
        assert_eq!(codes(&run(vec![])), vec![(0, "", Code::NoRows)]);
        let mut sealed = unit();
        sealed.status = UnitStatus::Closed;
        let issues = check(&[row(6, 3000)], &policy(2026, 1700), &[], &sealed, TODAY);
        assert_eq!(codes(&issues), vec![(0, "", Code::UnitStatusNotAllowed)]);
        let mut never = unit();
        never.paid_through = None;
        let issues = check(&[row(6, 3000)], &policy(2026, 1700), &[], &never, TODAY);
        assert_eq!(
            codes(&issues),
            vec![(6, col::END, Code::SupplementaryMonthAfterPaidThrough)]
        );
    }

    #[test]
    fn normalize_and_wire_shape() {
        let mut r = row(6, 3000);
        r.reason = " 漏缴 ".into();
        r.reason_text = Some("\u{3000}".into());
        r.account = format!(" {}", r.account);
        r.normalize();
        assert_eq!(r.reason, "01");
        assert_eq!(r.reason_text, None);
        assert_eq!(r, row(6, 3000));
        let json = serde_json::to_value(Supplementary {
            rows: vec![r.clone()],
        })
        .unwrap();
        assert_eq!(json["rows"][0]["start"], "202607");
        assert_eq!(json["rows"][0]["end"], "202609");
        assert_eq!(json["rows"][0]["unit_amount"], 30_000);
        assert_eq!(json["rows"][0]["reason"], "01");
        let back: Supplementary = serde_json::from_value(json).unwrap();
        assert_eq!(back.rows, vec![r]);
        assert_eq!(
            REASONS.describe(),
            "01 漏缴、02 启封后补缴、03 基数调整差额、99 其他"
        );
        assert_eq!(
            col::ALL,
            [
                "序号",
                "个人账号",
                "姓名",
                "证件号码",
                "补缴起始年月",
                "补缴终止年月",
                "缴存基数（元）",
                "单位月补缴额（元）",
                "个人月补缴额（元）",
                "补缴原因",
                "原因说明"
            ]
        );
    }
}
