//! 汇缴 (monthly remittance): the centre's 清册 for a month, the unit's confirmed 清册 as a
//! batch, and the rule checker.
//!
//! The flow follows Bijie's 清册确认 + 汇缴 (REFERENCE §B3 InventoryConfirmPost /
//! UnitRemittancePost, §F1 InventoryConfirmationTemp): the centre lists the unit's 正常
//! contributors with their bases and the monthly amounts those bases imply ([`RemittanceList`]);
//! the clerk confirms it and submits it for the 应汇缴年月 with a 汇缴方式 and the 发生人数 /
//! 发生额 of the bank slip ([`Remittance`]).
//!
//! Rules here (client and gateway alike): unit status 正常/开户/缓缴; 汇缴年月 = 应汇缴年月 and
//! not after the current month; every row's amounts are exactly what its base implies
//! ([`base_adjustment::amounts`], the one formula); bases within the policy year's limits;
//! 发生人数 = rows and 发生额 = Σ(单位 + 个人); no person twice. The identity, duplicate and base
//! rules are [`base_adjustment::Checker`]'s own, reused.
//!
//! What only the centre knows — each person belongs to the unit and is 正常, the base is the
//! centre's current one, no 正常 contributor is left out, no other open 汇缴 — is decided by the
//! gateway.

use serde::{Deserialize, Serialize};

use crate::base_adjustment::{self, Amounts, Wording};
use crate::code_table::{CodeEntry, CodeTable};
use crate::issue::{Code, Issue};
use crate::money::Fen;
use crate::month::Month;
use crate::policy::Policy;
use crate::unit::UnitFacts;

/// Column titles of the 汇缴清册, in sheet order (also the `column` of issues), and the labels
/// of its header area.
pub mod col {
    pub use crate::base_adjustment::col::{ACCOUNT, ID_NUMBER, NAME, SEQ};
    /// 个人缴存基数 (GRJCJS).
    pub const BASE: &str = "个人缴存基数（元）";
    /// 单位月缴存额 (DWYJCE).
    pub const UNIT_AMOUNT: &str = "单位月缴存额（元）";
    /// 个人月缴存额 (GRYJCE).
    pub const PERSON_AMOUNT: &str = "个人月缴存额（元）";
    /// 月缴存额 = 单位 + 个人 (optional in an imported sheet).
    pub const TOTAL: &str = "月缴存额（元）";
    /// All column titles in sheet order (Bijie InventoryConfirmationTemp order).
    pub const ALL: [&str; 8] = [
        SEQ,
        ACCOUNT,
        NAME,
        ID_NUMBER,
        BASE,
        UNIT_AMOUNT,
        PERSON_AMOUNT,
        TOTAL,
    ];

    /// Header area: 单位名称 (DWMC).
    pub const UNIT_NAME: &str = "单位名称";
    /// Header area: 单位账号 (DWZH).
    pub const UNIT_ACCOUNT: &str = "单位账号";
    /// Header area: 清册年月 (QCNY) = 汇缴年月; also the column of month issues.
    pub const MONTH: &str = "清册年月";
    /// Header area: 发生人数 (FSRS); also the column of count issues.
    pub const PERSON_COUNT: &str = "发生人数";
    /// Header area: 发生额 (FSE); also the column of total issues.
    pub const SUM: &str = "发生额（元）";
}

/// 汇缴方式 (HJFS) as coded in Bijie (REFERENCE §B3): 03 is not used there.
pub const METHODS: CodeTable = CodeTable {
    name: "汇缴方式",
    entries: &[
        CodeEntry {
            code: "01",
            label: "转账收款",
            aliases: &["转账"],
        },
        CodeEntry {
            code: "02",
            label: "暂收(未分摊余额)收款",
            aliases: &["暂收收款", "暂收", "未分摊余额收款"],
        },
        CodeEntry {
            code: "04",
            label: "委托收款",
            aliases: &["委托"],
        },
    ],
};

/// 汇缴方式 (HJFS). Serialised as its two-digit code.
///
/// For 02 the Bijie rule is 暂收余额 ≥ 发生额; the gateway keeps no 暂收 ledger (that lives in
/// the centre's accounting system), so the balance is checked when the centre books the
/// remittance, not at submission [I].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Method {
    /// 01 转账收款: the unit transfers; the centre matches the bank's 到账通知.
    #[serde(rename = "01")]
    Transfer,
    /// 02 暂收(未分摊余额)收款: paid from money the centre already holds for the unit.
    #[serde(rename = "02")]
    Suspense,
    /// 04 委托收款: the centre collects from the unit's 发薪账号 through the bank.
    #[serde(rename = "04")]
    Entrusted,
}

impl Method {
    /// Every method in code order.
    pub const ALL: [Method; 3] = [Method::Transfer, Method::Suspense, Method::Entrusted];

    /// The two-digit code.
    pub const fn code(self) -> &'static str {
        match self {
            Method::Transfer => "01",
            Method::Suspense => "02",
            Method::Entrusted => "04",
        }
    }

    /// The Chinese label.
    pub const fn label(self) -> &'static str {
        match self {
            Method::Transfer => "转账收款",
            Method::Suspense => "暂收(未分摊余额)收款",
            Method::Entrusted => "委托收款",
        }
    }

    /// Leniently, what a clerk types: "01", "1", "转账收款", "01 转账收款".
    pub fn parse(text: &str) -> Option<Method> {
        let entry = METHODS.find(text)?;
        Method::ALL.into_iter().find(|m| m.code() == entry.code)
    }
}

/// One person of the centre's 清册 (`GET /api/v1/remittance/list`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListEntry {
    /// 个人账号.
    pub account: String,
    /// 姓名.
    pub name: String,
    /// 证件号码.
    pub id_number: String,
    /// 个人缴存基数 (the centre's current base).
    pub base: Fen,
    /// 单位/个人/月缴存额 that base implies at the unit's rates.
    pub amounts: Amounts,
}

impl ListEntry {
    /// An entry with the amounts computed by [`base_adjustment::amounts`].
    pub fn new(
        account: String,
        name: String,
        id_number: String,
        base: Fen,
        unit: &UnitFacts,
        policy: &Policy,
    ) -> ListEntry {
        ListEntry {
            amounts: base_adjustment::amounts(base, unit, policy),
            account,
            name,
            id_number,
            base,
        }
    }
}

/// `GET /api/v1/remittance/list`: the centre's current 清册 for the unit's 应汇缴年月.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemittanceList {
    /// The unit (单位名称, 单位账号, rates, 缴至年月).
    pub unit: UnitFacts,
    /// 清册年月 = the unit's 应汇缴年月.
    pub month: Month,
    /// The policy year covering the month (its limits and rounding were used).
    pub policy: Policy,
    /// The unit's 正常 contributors, by 个人账号.
    pub entries: Vec<ListEntry>,
    /// 发生人数 = entries.
    pub person_count: u32,
    /// 发生额 = Σ 月缴存额.
    pub total: Fen,
}

impl RemittanceList {
    /// The list with its 发生人数 / 发生额 computed from the entries.
    pub fn new(unit: UnitFacts, month: Month, policy: Policy, entries: Vec<ListEntry>) -> RemittanceList {
        let total = entries
            .iter()
            .fold(Fen::ZERO, |sum, e| sum.saturating_add(e.amounts.total));
        RemittanceList {
            person_count: u32::try_from(entries.len()).unwrap_or(u32::MAX),
            total,
            unit,
            month,
            policy,
            entries,
        }
    }
}

/// One row of a 汇缴 submission — the client↔gateway wire contract (Bijie QCXX {GRZH, GRJCJS,
/// GRYJCE, DWYJCE} plus 姓名/证件号码, so the centre can tell the row names whom it thinks).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemittanceRow {
    /// The Excel row number the user sees (1-based).
    pub row: u32,
    /// 个人账号.
    pub account: String,
    /// 姓名.
    pub name: String,
    /// 证件号码.
    pub id_number: String,
    /// 个人缴存基数.
    pub base: Fen,
    /// 单位月缴存额.
    pub unit_amount: Fen,
    /// 个人月缴存额.
    pub person_amount: Fen,
    /// 月缴存额 when the sheet states it (must be 单位 + 个人).
    #[serde(default)]
    pub total: Option<Fen>,
}

impl RemittanceRow {
    /// Normalises the identity fields the way the checker reads them (see
    /// [`base_adjustment::BaseAdjustmentRow::normalize`]).
    pub fn normalize(&mut self) {
        let mut no_note = None;
        crate::seal::normalize_identity(
            &mut self.account,
            &mut self.name,
            &mut self.id_number,
            &mut no_note,
        );
    }
}

/// A whole 汇缴 submission (the request payload, signed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remittance {
    /// 汇缴年月 (HBJNY) = 清册年月.
    pub month: Month,
    /// 汇缴方式 (HJFS).
    pub method: Method,
    /// 发生人数 (FSRS) as the clerk states it.
    pub person_count: u32,
    /// 发生额 (FSE) as the clerk states it.
    pub total: Fen,
    /// The 清册 rows in sheet order.
    pub rows: Vec<RemittanceRow>,
}

impl Remittance {
    /// Runs every rule over the submission.
    pub fn check(&self, policy: &Policy, unit: &UnitFacts, today: Month) -> Vec<Issue> {
        let mut checker = Checker::new(policy, unit, self.month, today);
        let mut issues = Vec::new();
        for row in &self.rows {
            checker.push(row, &mut issues);
        }
        checker.finish(self.person_count, self.total, &mut issues);
        issues
    }
}

/// 发生人数 and 发生额 (Σ 单位 + 个人月缴存额) of rows — what the client states when the clerk
/// gives none.
pub fn totals(rows: &[RemittanceRow]) -> (u32, Fen) {
    let sum = rows.iter().fold(Fen::ZERO, |s, r| {
        s.saturating_add(r.unit_amount).saturating_add(r.person_amount)
    });
    (u32::try_from(rows.len()).unwrap_or(u32::MAX), sum)
}

/// The month rules on their own (also used by the gateway before it lists a 清册): 汇缴年月 must
/// be the unit's 应汇缴年月 — months are remitted in order, each once — and that month must not
/// lie after the current month.
///
/// Paying ahead (预缴) is a separate business at the centres that offer it; online we refuse it
/// rather than take money for months whose 清册 may still change [I].
pub fn check_month(unit: &UnitFacts, month: Month, today: Month) -> Option<Issue> {
    let due = unit.due_month();
    let paid = match unit.paid_through {
        Some(p) => format!("单位已缴至 {p}"),
        None => format!("单位尚未汇缴，首次汇缴年月为 {}", unit.first_month),
    };
    if month != due {
        let why = if month < due {
            format!("{month} 已经汇缴，不能再汇缴一次（漏缴的职工请办理补缴）")
        } else {
            format!("{due} 还没有汇缴，不能跳过它先缴 {month}")
        };
        let what = if due > today {
            format!("应汇缴年月 {due} 晚于本月 {today}，本月无需汇缴；请在 {due} 再办理汇缴")
        } else {
            format!("请把汇缴年月改为 {due}")
        };
        return Some(Issue::new(
            0,
            col::MONTH,
            Code::RemittanceMonthNotDue,
            format!("汇缴年月 {month} 不是本单位的应汇缴年月 {due}（{paid}）：{why}。{what}"),
        ));
    }
    if month > today {
        return Some(Issue::new(
            0,
            col::MONTH,
            Code::RemittanceMonthInFuture,
            format!("应汇缴年月 {due} 晚于本月 {today}（{paid}），网上不办理预缴；请在 {due} 再办理汇缴"),
        ));
    }
    None
}

/// 汇缴's wording of the shared base rule (the month rule is [`check_month`]).
const WORDING: Wording = Wording {
    base_column: col::BASE,
    base_label: "个人缴存基数",
    past: "",
    future: "",
    business: "汇缴",
    month_in_policy: true,
};

/// A streaming checker: feed rows one at a time, then [`Checker::finish`] with the stated
/// 发生人数 / 发生额.
#[derive(Debug)]
pub struct Checker {
    /// Identity rules, duplicate tables and the base rule.
    common: base_adjustment::Checker,
    unit: UnitFacts,
    policy: Policy,
    month: Month,
    today: Month,
    pushed: u64,
    sum: Fen,
}

impl Checker {
    /// A checker for `unit`'s 清册 of `month` under `policy` (the policy year covering `month`),
    /// with `today` the current month.
    pub fn new(policy: &Policy, unit: &UnitFacts, month: Month, today: Month) -> Checker {
        Checker {
            common: base_adjustment::Checker::new(policy, unit, today),
            unit: unit.clone(),
            policy: policy.clone(),
            month,
            today,
            pushed: 0,
            sum: Fen::ZERO,
        }
    }

    /// Checks one row and appends its issues in column order.
    pub fn push(&mut self, row: &RemittanceRow, issues: &mut Vec<Issue>) {
        self.pushed += 1;
        self.sum = self
            .sum
            .saturating_add(row.unit_amount)
            .saturating_add(row.person_amount);
        let r = row.row;
        self.common.check_account(r, &row.account, issues);
        self.common.check_name(r, &row.name, issues);
        self.common.check_id_number(r, &row.id_number, issues);
        self.common.check_base(r, row.base, self.month, &WORDING, issues);
        self.check_amounts(row, issues);
    }

    /// Rows pushed so far and the sum of their 单位 + 个人月缴存额.
    pub fn totals(&self) -> (u64, Fen) {
        (self.pushed, self.sum)
    }

    /// The amounts are what the base implies — one formula, [`base_adjustment::amounts`]. An
    /// amount edited without its base is refused with the right figures; a base edited without
    /// its amounts gets the figures for the new base (and, at the gateway, the base rule).
    fn check_amounts(&self, row: &RemittanceRow, issues: &mut Vec<Issue>) {
        if !row.base.is_positive() {
            // The base rule has said what is wrong; no figures follow from a non-positive base.
            return;
        }
        let want = base_adjustment::amounts(row.base, &self.unit, &self.policy);
        let (unit_ok, person_ok) = (row.unit_amount == want.unit, row.person_amount == want.person);
        if !unit_ok || !person_ok {
            issues.push(Issue::new(
                row.row,
                if unit_ok { col::PERSON_AMOUNT } else { col::UNIT_AMOUNT },
                Code::RemittanceAmountMismatch,
                format!(
                    "单位月缴存额 {} 元、个人月缴存额 {} 元与个人缴存基数 {} 元不符：按单位比例 {}、个人比例 {}（{}）应为单位 {} 元、个人 {} 元，合计 {} 元。月缴存额由缴存基数计算，不能单独修改；请改为单位 {} 元、个人 {} 元（基数如有变化，请先办理缴存基数调整）",
                    row.unit_amount,
                    row.person_amount,
                    row.base,
                    self.unit.unit_rate,
                    self.unit.person_rate,
                    self.policy.round_to.describe(),
                    want.unit,
                    want.person,
                    want.total,
                    want.unit,
                    want.person,
                ),
            ));
            return;
        }
        if let Some(total) = row.total.filter(|t| *t != want.total) {
            issues.push(Issue::new(
                row.row,
                col::TOTAL,
                Code::RemittanceAmountMismatch,
                format!(
                    "月缴存额 {total} 元不等于单位 {} 元 + 个人 {} 元 = {} 元；请改为 {} 元",
                    want.unit, want.person, want.total, want.total
                ),
            ));
        }
    }

    /// Sheet-level checks after the last row: no rows, unit status, the month, the policy year,
    /// and the stated 发生人数 / 发生额 against the rows.
    pub fn finish(self, stated_count: u32, stated_total: Fen, issues: &mut Vec<Issue>) {
        crate::seal::finish_sheet(self.pushed, self.unit.status, "汇缴", issues);
        match check_month(&self.unit, self.month, self.today) {
            Some(issue) => issues.push(issue),
            None if !self.policy.covers(self.month) => {
                let p = &self.policy;
                issues.push(Issue::new(
                    0,
                    col::MONTH,
                    Code::RemittanceMonthOutsidePolicy,
                    format!(
                        "汇缴年月 {} 不在 {} 年度政策执行期（{} 至 {}）内，本次核对所用的缴存基数上下限不适用于该月；请重新下载该月的清册后再提交，或联系公积金中心",
                        self.month, p.year, p.starts, p.ends
                    ),
                ));
            }
            None => {}
        }
        if u64::from(stated_count) != self.pushed {
            issues.push(Issue::new(
                0,
                col::PERSON_COUNT,
                Code::RemittanceCountMismatch,
                format!(
                    "发生人数填写为 {stated_count} 人，清册中有 {} 人，两者不符。发生人数应等于清册人数；请核对银行缴款凭证和清册后重新填写",
                    self.pushed
                ),
            ));
        }
        if stated_total != self.sum {
            issues.push(Issue::new(
                0,
                col::SUM,
                Code::RemittanceTotalMismatch,
                format!(
                    "发生额填写为 {stated_total} 元，清册合计（单位月缴存额 + 个人月缴存额）为 {} 元，两者不符。请核对银行缴款凭证和清册后重新填写",
                    self.sum
                ),
            ));
        }
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

    /// 衡阳 figures from REFERENCE §C (test data only).
    fn hengyang() -> Policy {
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
            person_rate: Rate(1000),
            first_month: m(2015, 7),
            paid_through: Some(m(2026, 9)),
        }
    }

    fn id(n: u32) -> String {
        let first17 = format!("43040519880315{n:03}");
        format!("{first17}{}", id_check_char(&first17).unwrap())
    }

    /// A correct row for base `yuan` at 12% / 10%.
    fn row(r: u32, yuan: i64) -> RemittanceRow {
        let base = Fen::from_yuan(yuan);
        let a = base_adjustment::amounts(base, &unit(), &hengyang());
        RemittanceRow {
            row: r,
            account: format!("9901{r:08}"),
            name: "张三".into(),
            id_number: id(r),
            base,
            unit_amount: a.unit,
            person_amount: a.person,
            total: Some(a.total),
        }
    }

    fn payload(rows: Vec<RemittanceRow>) -> Remittance {
        let (person_count, total) = totals(&rows);
        Remittance {
            month: m(2026, 10),
            method: Method::Transfer,
            person_count,
            total,
            rows,
        }
    }

    fn codes(issues: &[Issue]) -> Vec<(u32, &str, Code)> {
        issues
            .iter()
            .map(|i| (i.row, i.column.as_str(), i.code))
            .collect()
    }

    #[test]
    fn a_correct_list_passes() {
        let p = payload(vec![row(6, 3000), row(7, 5000), row(8, 21142)]);
        assert_eq!(p.check(&hengyang(), &unit(), TODAY), vec![]);
        assert_eq!(p.person_count, 3);
        // 3000 × 22% + 5000 × 22% + 21142 × 22% = 660 + 1100 + 4651.24
        assert_eq!(p.total, Fen(641_124));
    }

    #[test]
    fn an_edited_amount_names_the_right_figures() {
        let mut r = row(6, 3000);
        r.person_amount = Fen::from_yuan(200);
        let mut p = payload(vec![r]);
        p.total = totals(&p.rows).1;
        let issues = p.check(&hengyang(), &unit(), TODAY);
        assert_eq!(
            codes(&issues),
            vec![(6, col::PERSON_AMOUNT, Code::RemittanceAmountMismatch)]
        );
        assert!(
            issues[0]
                .message
                .contains("应为单位 360.00 元、个人 300.00 元，合计 660.00 元"),
            "{}",
            issues[0].message
        );
        assert!(issues[0].message.contains("请"));
        // The unit side is named first when it is wrong.
        let mut r = row(6, 3000);
        r.unit_amount = Fen(1);
        let issues = Checker::new(&hengyang(), &unit(), m(2026, 10), TODAY);
        let mut out = Vec::new();
        let mut c = issues;
        c.push(&r, &mut out);
        assert_eq!(
            codes(&out),
            vec![(6, col::UNIT_AMOUNT, Code::RemittanceAmountMismatch)]
        );
        // A stated 月缴存额 must be the sum.
        let mut r = row(7, 3000);
        r.total = Some(Fen::from_yuan(661));
        let mut out = Vec::new();
        c.push(&r, &mut out);
        assert_eq!(codes(&out), vec![(7, col::TOTAL, Code::RemittanceAmountMismatch)]);
        assert!(out[0].message.contains("请改为 660.00 元"), "{}", out[0].message);
        // An edited base without its amounts: the figures for the new base.
        let mut r = row(8, 3000);
        r.base = Fen::from_yuan(4000);
        let mut out = Vec::new();
        c.push(&r, &mut out);
        assert_eq!(
            codes(&out),
            vec![(8, col::UNIT_AMOUNT, Code::RemittanceAmountMismatch)]
        );
        assert!(
            out[0].message.contains("应为单位 480.00 元、个人 400.00 元"),
            "{}",
            out[0].message
        );
    }

    #[test]
    fn bases_within_the_policy_limits() {
        let mut low = row(6, 1500);
        low.row = 6;
        let mut high = row(7, 25_000);
        high.row = 7;
        let p = payload(vec![low, high, row(8, 1700)]);
        let issues = p.check(&hengyang(), &unit(), TODAY);
        assert_eq!(
            codes(&issues),
            vec![
                (6, col::BASE, Code::BaseBelowMin),
                (7, col::BASE, Code::BaseAboveMax)
            ]
        );
        assert!(issues[0]
            .message
            .starts_with("个人缴存基数 1500.00 元低于 2026 年度缴存基数下限"));
        let mut zero = row(6, 3000);
        zero.base = Fen::ZERO;
        let issues = payload(vec![zero]).check(&hengyang(), &unit(), TODAY);
        // No amount figures follow from a zero base: only the base issue.
        assert_eq!(codes(&issues), vec![(6, col::BASE, Code::BaseNotPositive)]);
    }

    #[test]
    fn the_month_must_be_the_due_month() {
        let u = unit();
        for (month, want) in [
            (m(2026, 10), None),
            (m(2026, 9), Some(Code::RemittanceMonthNotDue)),
            (m(2026, 11), Some(Code::RemittanceMonthNotDue)),
        ] {
            let mut p = payload(vec![row(6, 3000)]);
            p.month = month;
            let issues = p.check(&hengyang(), &u, TODAY);
            assert_eq!(issues.first().map(|i| i.code), want, "{month}: {issues:#?}");
            if let Some(i) = issues.first() {
                assert_eq!((i.row, i.column.as_str()), (0, col::MONTH));
                assert!(i.message.contains("应汇缴年月 202610"), "{}", i.message);
                assert!(i.message.contains("请把汇缴年月改为 202610"), "{}", i.message);
            }
        }
        let early = check_month(&u, m(2026, 9), TODAY).unwrap();
        assert!(early.message.contains("202609 已经汇缴"), "{}", early.message);
        let skip = check_month(&u, m(2026, 11), TODAY).unwrap();
        assert!(skip.message.contains("202610 还没有汇缴"), "{}", skip.message);
        // Never remitted: the due month is the unit's first month.
        let mut fresh = u.clone();
        fresh.paid_through = None;
        fresh.first_month = m(2026, 10);
        assert_eq!(check_month(&fresh, m(2026, 10), TODAY), None);
        let i = check_month(&fresh, m(2026, 11), TODAY).unwrap();
        assert!(
            i.message.contains("单位尚未汇缴，首次汇缴年月为 202610"),
            "{}",
            i.message
        );
    }

    #[test]
    fn paying_ahead_is_refused() {
        let mut ahead = unit();
        ahead.paid_through = Some(TODAY);
        let mut p = payload(vec![row(6, 3000)]);
        p.month = TODAY.next();
        let issues = p.check(&hengyang(), &ahead, TODAY);
        assert_eq!(
            codes(&issues),
            vec![(0, col::MONTH, Code::RemittanceMonthInFuture)]
        );
        assert!(
            issues[0].message.contains("网上不办理预缴"),
            "{}",
            issues[0].message
        );
        // The current month when already paid: not due, and told when to come back.
        p.month = TODAY;
        let issues = p.check(&hengyang(), &ahead, TODAY);
        assert_eq!(codes(&issues), vec![(0, col::MONTH, Code::RemittanceMonthNotDue)]);
        assert!(
            issues[0].message.contains("本月无需汇缴"),
            "{}",
            issues[0].message
        );
    }

    #[test]
    fn a_policy_year_that_does_not_cover_the_month() {
        let mut late = unit();
        late.paid_through = Some(m(2026, 5));
        let mut p = payload(vec![row(6, 3000)]);
        p.month = m(2026, 6);
        let issues = p.check(&hengyang(), &late, TODAY);
        assert_eq!(
            codes(&issues),
            vec![(0, col::MONTH, Code::RemittanceMonthOutsidePolicy)]
        );
    }

    #[test]
    fn stated_count_and_total_must_match_the_rows() {
        let mut p = payload(vec![row(6, 3000), row(7, 5000)]);
        p.person_count = 3;
        p.total = Fen::from_yuan(1000);
        let issues = p.check(&hengyang(), &unit(), TODAY);
        assert_eq!(
            codes(&issues),
            vec![
                (0, col::PERSON_COUNT, Code::RemittanceCountMismatch),
                (0, col::SUM, Code::RemittanceTotalMismatch)
            ]
        );
        assert!(issues[0].message.contains("3 人") && issues[0].message.contains("2 人"));
        assert!(
            issues[1].message.contains("1000.00 元") && issues[1].message.contains("1760.00 元"),
            "{}",
            issues[1].message
        );
    }

    #[test]
    fn duplicates_and_identity_rules_are_the_shared_ones() {
        let mut twice = row(7, 3000);
        twice.account = row(6, 3000).account;
        let mut bad_id = row(8, 3000);
        bad_id.id_number = "430405198803150010".into();
        let p = payload(vec![row(6, 3000), twice, bad_id]);
        let issues = p.check(&hengyang(), &unit(), TODAY);
        assert_eq!(
            codes(&issues),
            vec![
                (7, col::ACCOUNT, Code::DuplicateAccount),
                (8, col::ID_NUMBER, Code::IdNumberChecksum)
            ]
        );
    }

    #[test]
    fn unit_status_and_empty_lists() {
        let mut sealed = unit();
        sealed.status = UnitStatus::Sealed;
        let issues = payload(vec![row(6, 3000)]).check(&hengyang(), &sealed, TODAY);
        assert_eq!(codes(&issues), vec![(0, "", Code::UnitStatusNotAllowed)]);
        assert!(issues[0].message.contains("汇缴"));
        for ok in [UnitStatus::Opened, UnitStatus::Deferred] {
            let mut u = unit();
            u.status = ok;
            assert_eq!(payload(vec![row(6, 3000)]).check(&hengyang(), &u, TODAY), vec![]);
        }
        let issues = payload(vec![]).check(&hengyang(), &unit(), TODAY);
        assert_eq!(codes(&issues), vec![(0, "", Code::NoRows)]);
    }

    #[test]
    fn methods_and_wire_shape() {
        for (text, want) in [
            ("01", Some(Method::Transfer)),
            ("1", Some(Method::Transfer)),
            ("转账收款", Some(Method::Transfer)),
            ("02 暂收（未分摊余额）收款", Some(Method::Suspense)),
            ("04", Some(Method::Entrusted)),
            ("委托收款", Some(Method::Entrusted)),
            ("03", None),
            ("", None),
        ] {
            assert_eq!(Method::parse(text), want, "{text:?}");
        }
        let p = payload(vec![row(6, 3000)]);
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["month"], "202610");
        assert_eq!(json["method"], "01");
        assert_eq!(json["person_count"], 1);
        assert_eq!(json["total"], 66_000);
        assert_eq!(json["rows"][0]["unit_amount"], 36_000);
        assert_eq!(serde_json::from_value::<Remittance>(json).unwrap(), p);
        let bad =
            serde_json::json!({"month": "202610", "method": "03", "person_count": 0, "total": 0, "rows": []});
        assert!(serde_json::from_value::<Remittance>(bad).is_err());
        // 月缴存额 may be absent.
        let minimal = serde_json::json!({"row": 6, "account": "1", "name": "张三", "id_number": "x",
            "base": 1, "unit_amount": 0, "person_amount": 0});
        assert_eq!(
            serde_json::from_value::<RemittanceRow>(minimal).unwrap().total,
            None
        );
    }

    #[test]
    fn the_centre_list_computes_amounts_and_totals() {
        let u = unit();
        let p = hengyang();
        let entries = vec![
            ListEntry::new("1".into(), "张三".into(), id(1), Fen::from_yuan(3000), &u, &p),
            ListEntry::new("2".into(), "李四".into(), id(2), Fen(1_234_567), &u, &p),
        ];
        assert_eq!(entries[1].amounts.unit, Fen(148_148));
        assert_eq!(entries[1].amounts.person, Fen(123_457));
        let list = RemittanceList::new(u, m(2026, 10), p, entries);
        assert_eq!(list.person_count, 2);
        assert_eq!(list.total, Fen(66_000 + 148_148 + 123_457));
    }

    #[test]
    fn normalize_row() {
        let mut r = row(6, 3000);
        let clean = r.clone();
        r.account = format!(" {} ", r.account);
        r.id_number = r.id_number.to_lowercase();
        r.name = "\u{3000}张三 ".into();
        r.normalize();
        assert_eq!(r.account, clean.account);
        assert_eq!(r.id_number, clean.id_number);
        assert_eq!(r.name, "张三");
    }

    #[test]
    fn column_titles() {
        assert_eq!(
            col::ALL,
            [
                "序号",
                "个人账号",
                "姓名",
                "证件号码",
                "个人缴存基数（元）",
                "单位月缴存额（元）",
                "个人月缴存额（元）",
                "月缴存额（元）"
            ]
        );
    }
}
