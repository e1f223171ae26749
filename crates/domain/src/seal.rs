//! 个人封存 (sealing contributors' accounts) as a batch: the wire rows, the 封存原因 code table
//! and the rule checker.
//!
//! The sheet follows the Chengdu 封存清册 (REFERENCE §A3: 个人客户号 | 职工姓名 | 生效时间 |
//! 封存原因 1/2/3) in our template conventions, plus 证件号码 so the centre can tell that the
//! row names the person it thinks. The identity, duplicate and 生效年月 rules are
//! [`base_adjustment`](crate::base_adjustment)'s own, reused (one implementation): 生效年月
//! must lie between the unit's 应汇缴年月 and the current month — sealing takes a person out
//! of the 汇缴清册 from that month, and months already remitted cannot be undone here.
//!
//! What only the centre knows — the person belongs to the unit, is 正常 (01) now, no other
//! open 封存 — is decided by the gateway.

use serde::{Deserialize, Serialize};

use crate::base_adjustment::{self, Wording};
use crate::code_table::{CodeEntry, CodeTable};
use crate::ids::normalize_text;
use crate::issue::{Code, Issue};
use crate::month::Month;
use crate::policy::Policy;
use crate::unit::{UnitFacts, UnitStatus};

/// Column titles of the 个人封存 template, in template order (also the `column` of issues).
pub mod col {
    pub use crate::base_adjustment::col::{ACCOUNT, EFFECTIVE_MONTH, ID_NUMBER, NAME, NOTE, SEQ};
    /// 封存原因 (code or label of [`SEAL_REASONS`](super::SEAL_REASONS)).
    pub const REASON: &str = "封存原因";
    /// All titles in template order.
    pub const ALL: [&str; 7] = [SEQ, ACCOUNT, NAME, ID_NUMBER, EFFECTIVE_MONTH, REASON, NOTE];
}

/// 封存原因: the Chengdu codes (REFERENCE §A3, list validation "1,2,3"). JGJ/T 320 has no
/// national table for it; these are the only published ones we have.
pub const SEAL_REASONS: CodeTable = CodeTable {
    name: "封存原因",
    entries: &[
        CodeEntry {
            code: "1",
            label: "保留劳动关系停发工资",
            aliases: &[],
        },
        CodeEntry {
            code: "2",
            label: "符合销户条件暂不支取",
            aliases: &[],
        },
        CodeEntry {
            code: "3",
            label: "调动暂不转移",
            aliases: &[],
        },
    ],
};

/// One row of a 个人封存 submission — the client↔gateway wire contract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealRow {
    /// The Excel row number the user sees (1-based).
    pub row: u32,
    /// 个人账号 (GRZH).
    pub account: String,
    /// 姓名.
    pub name: String,
    /// 证件号码.
    pub id_number: String,
    /// 生效年月 (SXNY): the first month the account is sealed.
    pub effective_month: Month,
    /// 封存原因 as typed; [`SealRow::normalize`] turns a recognised one into its code.
    pub reason: String,
    /// 备注.
    pub note: Option<String>,
}

impl SealRow {
    /// Normalises in place the way the checker reads the row; a recognised 封存原因 becomes
    /// its code, so the signed payload and the stored rows carry "1", not the label.
    pub fn normalize(&mut self) {
        normalize_identity(
            &mut self.account,
            &mut self.name,
            &mut self.id_number,
            &mut self.note,
        );
        normalize_reason(&SEAL_REASONS, &mut self.reason);
    }
}

/// A whole 个人封存 submission (the request payload).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seal {
    /// The rows in sheet order.
    pub rows: Vec<SealRow>,
}

impl Seal {
    /// Runs [`check`] over all rows.
    pub fn check(&self, policy: &Policy, unit: &UnitFacts, today: Month) -> Vec<Issue> {
        check(&self.rows, policy, unit, today)
    }
}

/// Checks a whole submission: row issues in row order, then sheet-level issues (row 0).
pub fn check(rows: &[SealRow], policy: &Policy, unit: &UnitFacts, today: Month) -> Vec<Issue> {
    check_rows(rows, policy, unit, today)
}

/// 个人封存's direction. There is no base in a 封存, and the policy year does not matter (no limit is applied),
/// so a unit in arrears may seal from its 应汇缴年月 even when that month lies in an earlier policy year.
pub const SEAL: Direction = Direction {
    reasons: &SEAL_REASONS,
    reason_column: col::REASON,
    reason_invalid: Code::SealReasonInvalid,
    wording: Wording {
        // Unused: a 封存 has no base.
        base_column: col::EFFECTIVE_MONTH,
        base_label: "",
        past: "已汇缴的月份不能再封存",
        future: "不能提前封存以后的月份",
        business: "个人封存",
        month_in_policy: false,
    },
};

/// Implements [`StatusRow`] for a row with the people fields (and a base field, for 启封).
macro_rules! status_row {
    ($row:ty, $direction:expr $(, $base:ident)?) => {
        impl $crate::seal::StatusRow for $row {
            const DIRECTION: &'static $crate::seal::Direction = &$direction;
            fn person(&self) -> $crate::seal::Person<'_> {
                $crate::seal::Person {
                    row: self.row,
                    account: &self.account,
                    name: &self.name,
                    id_number: &self.id_number,
                    effective_month: self.effective_month,
                    reason: &self.reason,
                }
            }
            $(fn new_base(&self) -> Option<$crate::money::Fen> {
                Some(self.$base)
            })?
        }
    };
}
pub(crate) use status_row;

status_row!(SealRow, SEAL);

/// A streaming 个人封存 checker: feed rows one at a time.
pub type Checker = StatusChecker<SealRow>;

/// Which way an account's status goes — 封存 or 启封 — and all that differs between the two: the reasons, the
/// wording of the shared month (and base) rules. One checker serves both.
#[derive(Debug)]
pub struct Direction {
    /// The reason code table.
    pub reasons: &'static CodeTable,
    /// The reason column's title.
    pub reason_column: &'static str,
    /// The code of an unknown reason.
    pub reason_invalid: Code,
    pub(crate) wording: Wording,
}

/// The person a 封存 / 启封 row names, as the shared checker reads it.
#[derive(Debug)]
pub struct Person<'a> {
    /// Excel row.
    pub row: u32,
    /// 个人账号.
    pub account: &'a str,
    /// 姓名.
    pub name: &'a str,
    /// 证件号码.
    pub id_number: &'a str,
    /// 生效年月.
    pub effective_month: Month,
    /// 封存原因 / 启封原因.
    pub reason: &'a str,
}

/// A row of either direction.
pub trait StatusRow {
    /// Its direction.
    const DIRECTION: &'static Direction;
    /// The person and month it names.
    fn person(&self) -> Person<'_>;
    /// The base the account resumes at (启封 only).
    fn new_base(&self) -> Option<crate::money::Fen> {
        None
    }
}

/// A streaming checker for a 封存 or 启封 (see [`base_adjustment::Checker`], whose identity, month and base
/// rules it runs): feed rows one at a time.
#[derive(Debug)]
pub struct StatusChecker<R> {
    /// Holds the duplicate tables, the unit's month window, rates and allowed base range.
    common: base_adjustment::Checker,
    status: UnitStatus,
    pushed: u64,
    row: std::marker::PhantomData<fn(&R)>,
}

impl<R: StatusRow> StatusChecker<R> {
    /// A checker for one submission of `unit` under `policy`, with `today` the current month.
    pub fn new(policy: &Policy, unit: &UnitFacts, today: Month) -> StatusChecker<R> {
        StatusChecker {
            common: base_adjustment::Checker::new(policy, unit, today),
            status: unit.status,
            pushed: 0,
            row: std::marker::PhantomData,
        }
    }

    /// Checks one row and appends its issues in column order.
    pub fn push(&mut self, row: &R, issues: &mut Vec<Issue>) {
        self.pushed += 1;
        let d = R::DIRECTION;
        let p = row.person();
        let r = p.row;
        self.common.check_account(r, p.account, issues);
        self.common.check_name(r, p.name, issues);
        self.common.check_id_number(r, p.id_number, issues);
        self.common
            .check_month_window(r, p.effective_month, &d.wording, issues);
        if let Some(base) = row.new_base() {
            self.common
                .check_base(r, base, p.effective_month, &d.wording, issues);
        }
        check_reason(d.reasons, r, d.reason_column, d.reason_invalid, p.reason, issues);
    }

    /// Sheet-level checks after the last row (no rows; unit status).
    pub fn finish(self, issues: &mut Vec<Issue>) {
        finish_sheet(self.pushed, self.status, R::DIRECTION.wording.business, issues);
    }

    /// How many rows have been pushed.
    pub fn rows_checked(&self) -> u64 {
        self.pushed
    }

    /// The bases the 月缴存额 rule allows at the unit's rates (see
    /// [`base_adjustment::allowed_base_range`]).
    pub fn allowed_base_range(&self) -> (crate::money::Fen, crate::money::Fen) {
        self.common.allowed_base_range()
    }
}

/// Checks a whole 封存 or 启封: row issues in row order, then sheet-level issues (row 0).
pub fn check_rows<R: StatusRow>(rows: &[R], policy: &Policy, unit: &UnitFacts, today: Month) -> Vec<Issue> {
    let mut checker = StatusChecker::<R>::new(policy, unit, today);
    let mut issues = Vec::new();
    for row in rows {
        checker.push(row, &mut issues);
    }
    checker.finish(&mut issues);
    issues
}

/// The identity normalisation of [`base_adjustment::BaseAdjustmentRow::normalize`], re-exported for the
/// per-person batches that reach it through this module.
pub(crate) use crate::base_adjustment::normalize_identity;

/// A recognised reason becomes its code; anything else is kept (normalised) for the checker
/// to report.
pub(crate) fn normalize_reason(table: &CodeTable, reason: &mut String) {
    *reason = match table.find(reason) {
        Some(e) => e.code.to_owned(),
        None => normalize_text(reason).into_owned(),
    };
}

/// The reason cell names an entry of `table`.
pub(crate) fn check_reason(
    table: &CodeTable,
    r: u32,
    column: &str,
    code: Code,
    reason: &str,
    issues: &mut Vec<Issue>,
) {
    if table.find(reason).is_some() {
        return;
    }
    let t = normalize_text(reason);
    let (code, message) = if t.is_empty() {
        (
            Code::Required,
            format!("{}为空，请填写代码：{}", table.name, table.describe()),
        )
    } else {
        (
            code,
            format!(
                "{}“{t}”不在代码表中，请填写代码或名称：{}",
                table.name,
                table.describe()
            ),
        )
    };
    issues.push(Issue::new(r, column, code, message));
}

/// No rows at all; a unit status that allows no 缴存 business (only 正常, 开户 and 缓缴 do:
/// a 封存 or 销户 unit must first be dealt with at the centre).
pub(crate) fn finish_sheet(pushed: u64, status: UnitStatus, business: &str, issues: &mut Vec<Issue>) {
    if pushed == 0 && !issues.iter().any(|i| i.code == Code::NoRows) {
        issues.push(Issue::sheet(
            Code::NoRows,
            format!("清册中没有数据行，请至少填写一名职工的{business}信息后再提交"),
        ));
    }
    if !status.allows_deposit_business() {
        issues.push(Issue::sheet(
            Code::UnitStatusNotAllowed,
            format!(
                "单位账户状态为“{}”（{}），只有正常、开户、缓缴状态的单位可以办理{business}；请先办理单位启封等相应业务，或联系公积金中心",
                status.label(),
                status.code()
            ),
        ));
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ids::id_check_char;
    use crate::money::Fen;
    use crate::rate::Rate;
    use crate::rounding::RoundTo;

    pub(crate) fn m(year: i32, month: u32) -> Month {
        Month::new(year, month).unwrap()
    }

    pub(crate) const TODAY: Month = match Month::new(2026, 8) {
        Some(t) => t,
        None => Month::MIN,
    };

    /// 衡阳 figures (REFERENCE §C; test data only).
    pub(crate) fn policy() -> Policy {
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

    /// Paid through 202606: 应汇缴年月 202607, this month 202608.
    pub(crate) fn unit() -> UnitFacts {
        UnitFacts {
            account: "9817112009060".into(),
            name: "衡阳示例有限公司".into(),
            uscc: "91350200776049653A".into(),
            status: UnitStatus::Normal,
            unit_rate: Rate(1200),
            person_rate: Rate(1200),
            first_month: m(2020, 3),
            paid_through: Some(m(2026, 6)),
        }
    }

    pub(crate) fn id(n: u32) -> String {
        let first17 = format!("430402198801{:02}{:03}", n % 28 + 1, n % 1000);
        format!("{first17}{}", id_check_char(&first17).unwrap())
    }

    fn row(r: u32) -> SealRow {
        SealRow {
            row: r,
            account: format!("99131016{r:05}"),
            name: "张三".into(),
            id_number: id(r),
            effective_month: m(2026, 7),
            reason: "1".into(),
            note: None,
        }
    }

    pub(crate) fn codes(issues: &[Issue]) -> Vec<(u32, &str, Code)> {
        issues
            .iter()
            .map(|i| (i.row, i.column.as_str(), i.code))
            .collect()
    }

    fn check_one(r: SealRow) -> Vec<Issue> {
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
        type Case = (&'static str, fn(&mut SealRow), Vec<(&'static str, Code)>);
        let cases: Vec<Case> = vec![
            (
                "account empty",
                |r| r.account.clear(),
                vec![(col::ACCOUNT, Code::Required)],
            ),
            (
                "account as number",
                |r| r.account = "9.91310160001E+12".into(),
                vec![(col::ACCOUNT, Code::AccountStoredAsNumber)],
            ),
            (
                "name short",
                |r| r.name = "张".into(),
                vec![(col::NAME, Code::NameTooShort)],
            ),
            (
                "id checksum",
                |r| {
                    let mut id = r.id_number.clone();
                    let last = if id.ends_with('0') { "1" } else { "0" };
                    id.replace_range(17.., last);
                    r.id_number = id;
                },
                vec![(col::ID_NUMBER, Code::IdNumberChecksum)],
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
            ("month = today", |r| r.effective_month = TODAY, vec![]),
            (
                "reason unknown code",
                |r| r.reason = "4".into(),
                vec![(col::REASON, Code::SealReasonInvalid)],
            ),
            (
                "reason unknown text",
                |r| r.reason = "辞职".into(),
                vec![(col::REASON, Code::SealReasonInvalid)],
            ),
            (
                "reason empty",
                |r| r.reason = " ".into(),
                vec![(col::REASON, Code::Required)],
            ),
            ("reason label", |r| r.reason = "调动暂不转移".into(), vec![]),
            (
                "reason dropdown",
                |r| r.reason = "2 符合销户条件暂不支取".into(),
                vec![],
            ),
            ("reason full-width", |r| r.reason = "３".into(), vec![]),
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
    fn messages_speak_of_sealing_and_list_the_codes() {
        let mut r = row(3);
        r.effective_month = m(2026, 9);
        r.reason = "9".into();
        let issues = check_one(r);
        assert_eq!(
            issues[0].message,
            "生效年月 202609 晚于本月 202608，不能提前封存以后的月份；请填写 202607 至 202608 之间的年月"
        );
        assert_eq!(
            issues[1].message,
            "封存原因“9”不在代码表中，请填写代码或名称：1 保留劳动关系停发工资、2 符合销户条件暂不支取、3 调动暂不转移"
        );
    }

    #[test]
    fn the_policy_year_does_not_bound_a_seal() {
        // A unit in arrears: 应汇缴年月 202605 lies in the previous policy year — sealing from
        // it is fine (no base limit is judged), unlike a 基数调整.
        let mut late = unit();
        late.paid_through = Some(m(2026, 4));
        let mut r = row(2);
        r.effective_month = m(2026, 5);
        assert_eq!(check(&[r], &policy(), &late, TODAY), vec![]);
    }

    #[test]
    fn duplicates_in_one_sheet() {
        let a = row(2);
        let mut b = row(3);
        b.account = a.account.clone();
        let mut c = row(4);
        c.id_number = a.id_number.clone();
        let issues = check(&[a, b, c], &policy(), &unit(), TODAY);
        assert_eq!(
            codes(&issues),
            vec![
                (3, col::ACCOUNT, Code::DuplicateAccount),
                (4, col::ID_NUMBER, Code::DuplicateIdNumber)
            ]
        );
        assert!(issues[0].message.contains("与第 2 行重复"));
    }

    #[test]
    fn sheet_level_issues() {
        assert_eq!(
            codes(&check(&[], &policy(), &unit(), TODAY)),
            vec![(0, "", Code::NoRows)]
        );
        let mut sealed = unit();
        sealed.status = UnitStatus::Sealed;
        let issues = check(&[row(2)], &policy(), &sealed, TODAY);
        assert_eq!(codes(&issues), vec![(0, "", Code::UnitStatusNotAllowed)]);
        assert!(issues[0].message.contains("个人封存") && issues[0].message.contains("封存"));
    }

    #[test]
    fn normalize_turns_the_reason_into_its_code() {
        let mut r = row(2);
        let id = r.id_number.clone();
        r.account = "\u{3000}９９１３1016 ".into();
        r.id_number = format!(" {}", id.to_lowercase());
        r.reason = "\u{3000}保留劳动关系停发工资 ".into();
        r.note = Some(" ".into());
        r.normalize();
        assert_eq!(
            (
                r.account.as_str(),
                r.id_number.as_str(),
                r.reason.as_str(),
                r.note.as_deref()
            ),
            ("99131016", id.as_str(), "1", None)
        );
        r.reason = " 辞职 ".into();
        r.normalize();
        assert_eq!(
            r.reason, "辞职",
            "an unknown reason is kept for the checker to report"
        );
    }

    #[test]
    fn wire_shape() {
        let r = row(2);
        let json = serde_json::to_value(Seal {
            rows: vec![r.clone()],
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"rows": [{
                "row": 2, "account": "9913101600002", "name": "张三", "id_number": r.id_number,
                "effective_month": "202607", "reason": "1", "note": null
            }]})
        );
        let back: Seal = serde_json::from_value(json).unwrap();
        assert_eq!(back.rows, vec![r]);
    }

    #[test]
    fn reason_table_is_chengdus() {
        assert_eq!(
            SEAL_REASONS.describe(),
            "1 保留劳动关系停发工资、2 符合销户条件暂不支取、3 调动暂不转移"
        );
        assert_eq!(
            col::ALL,
            [
                "序号",
                "个人账号",
                "姓名",
                "证件号码",
                "生效年月",
                "封存原因",
                "备注"
            ]
        );
    }
}
