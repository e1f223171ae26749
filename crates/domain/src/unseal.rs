//! 个人启封 (unsealing contributors' accounts) as a batch: the wire rows, the 启封原因 code
//! table and the rule checker.
//!
//! The sheet follows the Chengdu 启封清册 (REFERENCE §A4: 个人客户号 | 职工姓名 | 执行时间 |
//! 启封后缴存基数 | 启封原因 1/2) in our template conventions, plus 证件号码. "启封后缴存基数：
//! 办理启封的职工需要填写" — the account resumes contributing at a new base, so the base obeys
//! the same rules as a 基数调整 (policy base limits, 月缴存额 limits at the unit's rates); those
//! rules, the identity checks and the 生效年月 window are
//! [`base_adjustment`](crate::base_adjustment)'s own, reused.
//!
//! What only the centre knows — the person belongs to the unit, is 封存 (02) now, no other
//! open 启封 — is decided by the gateway.

use serde::{Deserialize, Serialize};

use crate::base_adjustment::{normalize_identity, Wording};
use crate::code_table::{CodeEntry, CodeTable};
use crate::issue::{Code, Issue};
use crate::money::Fen;
use crate::month::Month;
use crate::policy::Policy;
use crate::seal::{check_rows, normalize_reason, Direction, StatusChecker};
use crate::unit::UnitFacts;

/// Column titles of the 个人启封 template, in template order (also the `column` of issues).
pub mod col {
    pub use crate::base_adjustment::col::{ACCOUNT, EFFECTIVE_MONTH, ID_NUMBER, NAME, NOTE, SEQ};
    /// 启封后缴存基数（元）.
    pub const NEW_BASE: &str = "启封后缴存基数（元）";
    /// 启封原因 (code or label of [`UNSEAL_REASONS`](super::UNSEAL_REASONS)).
    pub const REASON: &str = "启封原因";
    /// All titles in template order.
    pub const ALL: [&str; 8] = [
        SEQ,
        ACCOUNT,
        NAME,
        ID_NUMBER,
        EFFECTIVE_MONTH,
        NEW_BASE,
        REASON,
        NOTE,
    ];
}

/// 启封原因: the Chengdu codes (REFERENCE §A4, list validation "1,2").
///
/// The original is inconsistent about code 2: the template's note calls it "错误启封", its
/// validation message "错误封存". 错误封存 is what the code means (the account was sealed by
/// mistake and is being reopened), so that is the label; "错误启封" is still accepted as an
/// alias because clerks copying the Chengdu note will type it.
pub const UNSEAL_REASONS: CodeTable = CodeTable {
    name: "启封原因",
    entries: &[
        CodeEntry {
            code: "1",
            label: "正常",
            aliases: &["正常启封"],
        },
        CodeEntry {
            code: "2",
            label: "错误封存",
            aliases: &["错误启封"],
        },
    ],
};

/// One row of a 个人启封 submission — the client↔gateway wire contract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnsealRow {
    /// The Excel row number the user sees (1-based).
    pub row: u32,
    /// 个人账号 (GRZH).
    pub account: String,
    /// 姓名.
    pub name: String,
    /// 证件号码.
    pub id_number: String,
    /// 生效年月 (SXNY): the first month the account contributes again.
    pub effective_month: Month,
    /// 启封后缴存基数.
    pub new_base: Fen,
    /// 启封原因 as typed; [`UnsealRow::normalize`] turns a recognised one into its code.
    pub reason: String,
    /// 备注.
    pub note: Option<String>,
}

impl UnsealRow {
    /// Normalises in place the way the checker reads the row; a recognised 启封原因 becomes
    /// its code.
    pub fn normalize(&mut self) {
        normalize_identity(
            &mut self.account,
            &mut self.name,
            &mut self.id_number,
            &mut self.note,
        );
        normalize_reason(&UNSEAL_REASONS, &mut self.reason);
    }
}

/// A whole 个人启封 submission (the request payload).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unseal {
    /// The rows in sheet order.
    pub rows: Vec<UnsealRow>,
}

impl Unseal {
    /// Runs [`check`] over all rows.
    pub fn check(&self, policy: &Policy, unit: &UnitFacts, today: Month) -> Vec<Issue> {
        check(&self.rows, policy, unit, today)
    }
}

/// Checks a whole submission: row issues in row order, then sheet-level issues (row 0).
pub fn check(rows: &[UnsealRow], policy: &Policy, unit: &UnitFacts, today: Month) -> Vec<Issue> {
    check_rows(rows, policy, unit, today)
}

/// 个人启封's direction. The base is judged by the policy year's limits, so 生效年月 must lie in that year, as
/// for a 基数调整.
pub const UNSEAL: Direction = Direction {
    reasons: &UNSEAL_REASONS,
    reason_column: col::REASON,
    reason_invalid: Code::UnsealReasonInvalid,
    wording: Wording {
        base_column: col::NEW_BASE,
        base_label: "启封后缴存基数",
        past: "已汇缴的月份不能追溯启封（以前月份请启封后办理补缴）",
        future: "不能提前启封以后的月份",
        business: "个人启封",
        month_in_policy: true,
    },
};

crate::seal::status_row!(UnsealRow, UNSEAL, new_base);

/// A streaming 个人启封 checker: feed rows one at a time.
pub type Checker = StatusChecker<UnsealRow>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seal::tests::{codes, id, m, policy, unit, TODAY};
    use crate::unit::UnitStatus;

    fn row(r: u32) -> UnsealRow {
        UnsealRow {
            row: r,
            account: format!("99131016{r:05}"),
            name: "李四".into(),
            id_number: id(r),
            effective_month: m(2026, 7),
            new_base: Fen::from_yuan(4000),
            reason: "1".into(),
            note: None,
        }
    }

    fn check_one(r: UnsealRow) -> Vec<Issue> {
        let mut c = Checker::new(&policy(), &unit(), TODAY);
        let mut issues = Vec::new();
        c.push(&r, &mut issues);
        issues
    }

    #[test]
    fn a_clean_row_has_no_issues() {
        assert_eq!(check(&[row(5), row(6)], &policy(), &unit(), TODAY), vec![]);
    }

    #[test]
    fn one_issue_per_rule() {
        /// (what, how the clean row is spoiled, the (column, code) issues expected).
        type Case = (&'static str, fn(&mut UnsealRow), Vec<(&'static str, Code)>);
        let cases: Vec<Case> = vec![
            (
                "account invalid",
                |r| r.account = "99-13".into(),
                vec![(col::ACCOUNT, Code::AccountInvalid)],
            ),
            (
                "name empty",
                |r| r.name.clear(),
                vec![(col::NAME, Code::Required)],
            ),
            (
                "id as number",
                |r| r.id_number = "4.30402E+17".into(),
                vec![(col::ID_NUMBER, Code::IdStoredAsNumber)],
            ),
            (
                "month before due",
                |r| r.effective_month = m(2026, 6),
                vec![(col::EFFECTIVE_MONTH, Code::EffectiveMonthTooEarly)],
            ),
            (
                "month after today",
                |r| r.effective_month = m(2026, 9),
                vec![(col::EFFECTIVE_MONTH, Code::EffectiveMonthInFuture)],
            ),
            (
                "base zero",
                |r| r.new_base = Fen::ZERO,
                vec![(col::NEW_BASE, Code::BaseNotPositive)],
            ),
            (
                "base below min",
                |r| r.new_base = Fen(169_999),
                vec![(col::NEW_BASE, Code::BaseBelowMin)],
            ),
            ("base at min", |r| r.new_base = Fen::from_yuan(1700), vec![]),
            ("base at max", |r| r.new_base = Fen::from_yuan(21142), vec![]),
            (
                "base above max",
                |r| r.new_base = Fen(2_114_201),
                vec![(col::NEW_BASE, Code::BaseAboveMax)],
            ),
            (
                "reason unknown",
                |r| r.reason = "3".into(),
                vec![(col::REASON, Code::UnsealReasonInvalid)],
            ),
            (
                "reason empty",
                |r| r.reason.clear(),
                vec![(col::REASON, Code::Required)],
            ),
            ("reason label", |r| r.reason = "错误封存".into(), vec![]),
            (
                "reason Chengdu's other spelling",
                |r| r.reason = "错误启封".into(),
                vec![],
            ),
            ("reason dropdown", |r| r.reason = "1 正常".into(), vec![]),
        ];
        for (what, mutate, want) in cases {
            let mut r = row(7);
            mutate(&mut r);
            let issues = check_one(r);
            let got: Vec<(&str, Code)> = issues.iter().map(|i| (i.column.as_str(), i.code)).collect();
            assert_eq!(got, want, "{what}: {issues:#?}");
            for i in &issues {
                assert_eq!(i.row, 7);
                assert!(i.message.contains('请'), "{what}: {}", i.message);
            }
        }
    }

    #[test]
    fn monthly_limits_name_the_range_in_unseal_words() {
        // Base limits wide open so the 月缴存额 limit binds (12% + 12%: 5076 元 ÷ 24% ≈ 21150).
        let mut p = policy();
        p.base_max = Fen::from_yuan(25_000);
        let mut c = Checker::new(&p, &unit(), TODAY);
        let mut r = row(4);
        r.new_base = Fen(2_115_005);
        let mut issues = Vec::new();
        c.push(&r, &mut issues);
        assert_eq!(codes(&issues), vec![(4, col::NEW_BASE, Code::MonthlyAboveMax)]);
        assert!(
            issues[0]
                .message
                .starts_with("启封后缴存基数 21150.05 元按单位比例 12%"),
            "{}",
            issues[0].message
        );
        assert!(
            issues[0]
                .message
                .ends_with("缴存基数调整区间：1700.00 - 21150.04，请将启封后缴存基数改在此区间内"),
            "{}",
            issues[0].message
        );
        assert_eq!(c.allowed_base_range(), (Fen(170_000), Fen(2_115_004)));
        r.new_base = Fen(2_115_004);
        let mut none = Vec::new();
        c.push(&r, &mut none);
        assert_eq!(
            codes(&none),
            vec![
                (4, col::ACCOUNT, Code::DuplicateAccount),
                (4, col::ID_NUMBER, Code::DuplicateIdNumber)
            ]
        );
    }

    #[test]
    fn the_month_must_lie_in_the_policy_year_that_judges_the_base() {
        let mut late = unit();
        late.paid_through = Some(m(2026, 4));
        let mut r = row(2);
        r.effective_month = m(2026, 5);
        let issues = check(&[r], &policy(), &late, TODAY);
        assert_eq!(
            codes(&issues),
            vec![(2, col::EFFECTIVE_MONTH, Code::EffectiveMonthOutsidePolicy)]
        );
    }

    #[test]
    fn messages_speak_of_unsealing() {
        let mut r = row(3);
        r.effective_month = m(2026, 6);
        r.reason = "复工".into();
        let issues = check_one(r);
        assert!(
            issues[0].message.contains("已汇缴的月份不能追溯启封"),
            "{}",
            issues[0].message
        );
        assert_eq!(
            issues[1].message,
            "启封原因“复工”不在代码表中，请填写代码或名称：1 正常、2 错误封存"
        );
    }

    #[test]
    fn sheet_level_issues() {
        let mut closed = unit();
        closed.status = UnitStatus::Closed;
        let issues = check(&[], &policy(), &closed, TODAY);
        assert_eq!(
            codes(&issues),
            vec![(0, "", Code::NoRows), (0, "", Code::UnitStatusNotAllowed)]
        );
        assert!(issues[1].message.contains("个人启封"), "{}", issues[1].message);
    }

    #[test]
    fn normalize_and_wire_shape() {
        let mut r = row(2);
        r.reason = "错误启封".into();
        r.normalize();
        assert_eq!(r.reason, "2");
        let json = serde_json::to_value(Unseal {
            rows: vec![r.clone()],
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"rows": [{
                "row": 2, "account": "9913101600002", "name": "李四", "id_number": r.id_number,
                "effective_month": "202607", "new_base": 400_000, "reason": "2", "note": null
            }]})
        );
        let back: Unseal = serde_json::from_value(json).unwrap();
        assert_eq!(back.rows, vec![r]);
        assert_eq!(
            col::ALL,
            [
                "序号",
                "个人账号",
                "姓名",
                "证件号码",
                "生效年月",
                "启封后缴存基数（元）",
                "启封原因",
                "备注"
            ]
        );
    }
}
