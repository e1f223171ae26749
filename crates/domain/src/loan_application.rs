//! 贷款申请 (`loan_application`, developer hall): the developer submits, on behalf of buyers of houses in its
//! approved buildings, one application per applicant (REFERENCE §B6, §H). Each applicant is judged on its own:
//! the pure rules live here ([`check_applicant`]), the centre's facts (accounts, contributions, the house) in the
//! gateway. An accepted applicant gets its repayment plan ([`plan`]) on the receipt.
//!
//! Loan policy is DATA ([`LoanPolicy`], table `loan_policies`, seeded from seed/demo.toml), never constants here.

use serde::{Deserialize, Serialize};

use crate::ids::{check_mobile, normalize_code, normalize_name, normalize_text, IdCard};
use crate::issue::{Code, Issue};
use crate::money::Fen;
use crate::month::Month;
use crate::rate::Rate;

/// What an approved 贷款申请 makes of its house (REFERENCE §H 可售/已售/已抵押): 已售 — the mortgage is registered
/// later, after disbursement, and 已抵押 is for that step [I].
pub const HOUSE_SOLD: &str = "已售";

/// Column titles of the sheet and issue column names.
pub mod col {
    /// 借款人姓名.
    pub const NAME: &str = "借款人姓名";
    /// 借款人证件号码.
    pub const ID_NUMBER: &str = "借款人证件号码";
    /// 借款人证件类型.
    pub const ID_TYPE: &str = "借款人证件类型";
    /// 借款人公积金账号.
    pub const ACCOUNT: &str = "借款人公积金账号";
    /// 借款人手机.
    pub const MOBILE: &str = "借款人手机";
    /// 借款人月收入.
    pub const INCOME: &str = "借款人月收入";
    /// 共同借款人姓名.
    pub const CO_NAME: &str = "共同借款人姓名";
    /// 共同借款人证件号码.
    pub const CO_ID_NUMBER: &str = "共同借款人证件号码";
    /// 共同借款人证件类型.
    pub const CO_ID_TYPE: &str = "共同借款人证件类型";
    /// 共同借款人公积金账号.
    pub const CO_ACCOUNT: &str = "共同借款人公积金账号";
    /// 共同借款人手机.
    pub const CO_MOBILE: &str = "共同借款人手机";
    /// 共同借款人月收入.
    pub const CO_INCOME: &str = "共同借款人月收入";
    /// 参贷关系.
    pub const RELATION: &str = "参贷关系";
    /// 项目编号.
    pub const PROJECT: &str = "项目编号";
    /// 楼栋 (楼栋编号 LD… or 楼栋号).
    pub const BUILDING: &str = "楼栋";
    /// 房号.
    pub const HOUSE_NO: &str = "房号";
    /// 合同金额.
    pub const PRICE: &str = "合同金额";
    /// 首付款.
    pub const DOWN_PAYMENT: &str = "首付款";
    /// 贷款金额.
    pub const AMOUNT: &str = "贷款金额";
    /// 贷款期数 (months).
    pub const MONTHS: &str = "贷款期数";
    /// 还款方式.
    pub const REPAYMENT: &str = "还款方式";
    /// 第几套.
    pub const HOUSE_COUNT: &str = "第几套";
    /// 家庭子女数.
    pub const CHILDREN: &str = "家庭子女数";
}

/// 贷款还款方式 (JGJ/T 320 附A.11) offered online: 01 等额本息, 02 等额本金 (03 一次还本付息 / 04 自由还款 are
/// counter products, not for developer-submitted mortgages [I]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Repayment {
    /// 01 等额本息.
    #[serde(rename = "01")]
    EqualInstalment,
    /// 02 等额本金.
    #[serde(rename = "02")]
    EqualPrincipal,
}

impl Repayment {
    /// Parses the code or the label.
    pub fn parse(s: &str) -> Option<Repayment> {
        match normalize_text(s).as_ref() {
            "01" | "1" | "等额本息" => Some(Repayment::EqualInstalment),
            "02" | "2" | "等额本金" => Some(Repayment::EqualPrincipal),
            _ => None,
        }
    }

    /// The 附A.11 code.
    pub const fn code(self) -> &'static str {
        match self {
            Repayment::EqualInstalment => "01",
            Repayment::EqualPrincipal => "02",
        }
    }
}

/// 参贷关系 (Bijie CHGX, REFERENCE §B2; 0 本人或户主 cannot be a co-borrower).
pub const RELATIONS: [(&str, &str); 8] = [
    ("1", "配偶"),
    ("2", "子"),
    ("3", "女"),
    ("4", "孙子女/外孙子女"),
    ("5", "父母"),
    ("6", "祖父母/外祖父母"),
    ("7", "兄弟姐妹"),
    ("8", "其他"),
];

/// One borrower or co-borrower.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    /// 姓名.
    pub name: String,
    /// 证件类型 (附A.1; a loan needs a 居民身份证 "01" for the age rule [I]).
    pub id_type: String,
    /// 证件号码.
    pub id_number: String,
    /// 公积金个人账号 (may be empty for a co-borrower without an account).
    #[serde(default)]
    pub account: String,
    /// 手机号码.
    pub mobile: String,
    /// 月收入.
    pub income: Fen,
    /// 参贷关系 code (co-borrower only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation: Option<String>,
}

/// One applicant (a row of the sheet, or the single form as row 1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applicant {
    /// Excel row number (1 for the form).
    pub row: u32,
    /// 借款人.
    pub borrower: Party,
    /// 共同借款人.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub co_borrower: Option<Party>,
    /// 项目编号 ("XM…") of this developer's approved project.
    pub project_id: String,
    /// 楼栋编号 ("LD…") or 楼栋号 of an approved building of the project.
    pub building: String,
    /// 房号.
    pub house_no: String,
    /// 合同金额.
    pub price: Fen,
    /// 首付款.
    pub down_payment: Fen,
    /// 贷款金额.
    pub amount: Fen,
    /// 贷款期数 (months).
    pub months: u32,
    /// 还款方式 (附A.11 code).
    pub repayment: String,
    /// 第几套 (1 or 2).
    pub house_count: u32,
    /// 家庭子女数 (decides the 二孩/三孩 uplift of REFERENCE §C).
    #[serde(default)]
    pub children: u32,
}

/// The signed 贷款申请 payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoanApplication {
    /// The applicants.
    pub applicants: Vec<Applicant>,
}

/// A policy year of the centre's loan rules (table `loan_policies`). Annual interest rates are in units of
/// 0.001 % (2.525 % = 2525) because basis points cannot hold 2.525 %.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoanPolicy {
    /// Policy year.
    pub year: i32,
    /// First month it applies.
    pub starts: Month,
    /// 最高额度 (家庭).
    pub max_amount: Fen,
    /// 最高贷款比例 (of 合同金额).
    pub max_ratio: Rate,
    /// Minimum 首付比例.
    pub min_down_ratio: Rate,
    /// 最长年限.
    pub max_years: u32,
    /// 年龄 + 贷款年限 ≤ this.
    pub age_limit: u32,
    /// 连续正常缴存月数 at least.
    pub min_contribution_months: u32,
    /// Terms up to this many years take the short rate.
    pub short_term_years: u32,
    /// 首套, ≤ short term (0.001 %).
    pub first_short_rate: u32,
    /// 首套, > short term.
    pub first_long_rate: u32,
    /// 二套, ≤ short term.
    pub second_short_rate: u32,
    /// 二套, > short term.
    pub second_long_rate: u32,
    /// Cap uplift for a family with two children.
    pub uplift_two_children: Rate,
    /// Cap uplift for a family with three or more children.
    pub uplift_three_children: Rate,
}

impl LoanPolicy {
    /// The annual rate (0.001 %) for a 套数 and term.
    pub fn annual_rate(&self, house_count: u32, months: u32) -> u32 {
        let short = months <= self.short_term_years * 12;
        match (house_count <= 1, short) {
            (true, true) => self.first_short_rate,
            (true, false) => self.first_long_rate,
            (false, true) => self.second_short_rate,
            (false, false) => self.second_long_rate,
        }
    }

    /// The family cap with the children uplift.
    pub fn cap(&self, children: u32) -> Fen {
        let uplift = match children {
            0 | 1 => 0,
            2 => self.uplift_two_children.0,
            _ => self.uplift_three_children.0,
        };
        Fen(mul_bp_floor(self.max_amount.0, 10_000 + uplift))
    }
}

/// `fen × bp / 10000`, rounded down (a limit is never rounded up in the borrower's favour).
fn mul_bp_floor(fen: i64, bp: u32) -> i64 {
    let v = i128::from(fen) * i128::from(bp) / 10_000;
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// `fen × bp / 10000`, rounded up (a minimum is never rounded down).
fn mul_bp_ceil(fen: i64, bp: u32) -> i64 {
    let v = (i128::from(fen) * i128::from(bp) + 9_999) / 10_000;
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The repayment plan of an accepted applicant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LoanPlan {
    /// 还款方式 code.
    pub repayment: String,
    /// Annual rate in 0.001 %.
    pub annual_rate: u32,
    /// 贷款金额.
    pub amount: Fen,
    /// 贷款期数.
    pub months: u32,
    /// First month's payment (等额本息: every month but the last).
    pub first_payment: Fen,
    /// Last month's payment (absorbs the rounding of the earlier months).
    pub last_payment: Fen,
    /// 利息总额.
    pub total_interest: Fen,
    /// 还款总额 = 贷款金额 + 利息总额.
    pub total_payment: Fen,
}

/// One month's interest on `balance` at `annual` (0.001 %): balance × annual / 100000 / 12, half-up to the fen.
fn month_interest(balance: i64, annual: u32) -> i64 {
    let num = i128::from(balance) * i128::from(annual);
    let den: i128 = 100_000 * 12;
    i64::try_from((num * 2 + den) / (2 * den)).unwrap_or(i64::MAX)
}

/// The repayment plan (REFERENCE §H formulas), computed month by month in whole fen so the figures add up
/// exactly: each month's interest is the balance × r rounded half-up to the fen (integer arithmetic), and the
/// last month pays whatever principal is left, so Σ principal = 贷款金额 exactly.
///
/// 等额本息 needs M = P·r·(1+r)^n / ((1+r)^n − 1). The power has no exact integer form for n up to 360 (the
/// rational (1+r)^n has thousands of digits), so M alone is computed in f64 and rounded to the fen ONCE: the
/// relative error of f64 here is ~1e-13, i.e. under 1e-7 fen on any real loan, which can only matter for a value
/// that lies exactly on a half fen. Everything after M is integer.
pub fn plan(amount: Fen, months: u32, annual: u32, repayment: Repayment) -> LoanPlan {
    let p = amount.0;
    let n = i64::from(months.max(1));
    let (mut balance, mut interest_total) = (p, 0i64);
    let (mut first, mut last) = (0i64, 0i64);
    let level = match repayment {
        Repayment::EqualInstalment if annual > 0 => {
            let r = f64::from(annual) / 100_000.0 / 12.0;
            let g = (1.0 + r).powi(months.max(1) as i32);
            (p as f64 * r * g / (g - 1.0)).round() as i64
        }
        Repayment::EqualInstalment => (p + n - 1) / n,
        Repayment::EqualPrincipal => 0,
    };
    for k in 1..=n {
        let interest = month_interest(balance, annual);
        let principal = if k == n {
            balance
        } else {
            match repayment {
                Repayment::EqualInstalment => (level - interest).min(balance),
                Repayment::EqualPrincipal => (p / n).min(balance),
            }
        };
        let pay = principal + interest;
        if k == 1 {
            first = pay;
        }
        if k == n {
            last = pay;
        }
        balance -= principal;
        interest_total += interest;
    }
    LoanPlan {
        repayment: repayment.code().to_owned(),
        annual_rate: annual,
        amount,
        months,
        first_payment: Fen(first),
        last_payment: Fen(last),
        total_interest: Fen(interest_total),
        total_payment: Fen(p + interest_total),
    }
}

/// Age in completed months at `at` (month precision: the birth day is ignored, in the applicant's favour [I]).
fn age_months(id: &IdCard, at: Month) -> i64 {
    match id.birth_month() {
        Some(b) => i64::from(b.months_until(at)),
        None => 0,
    }
}

fn check_party(p: &Party, row: u32, co: bool, issues: &mut Vec<Issue>) -> Option<IdCard> {
    let c = |a: &'static str, b: &'static str| if co { b } else { a };
    let who = c("借款人", "共同借款人");
    let name = normalize_name(&p.name);
    if name.chars().count() < 2 {
        issues.push(Issue::new(
            row,
            c(col::NAME, col::CO_NAME),
            Code::NameTooShort,
            format!("{who}姓名至少两个字，请按身份证填写。"),
        ));
    } else if name.chars().any(|ch| ch.is_ascii_digit()) {
        issues.push(Issue::new(
            row,
            c(col::NAME, col::CO_NAME),
            Code::NameInvalid,
            format!("{who}姓名含有数字，请按身份证填写。"),
        ));
    }
    let mut card = None;
    if normalize_code(&p.id_type) != "01" {
        issues.push(Issue::new(
            row,
            c(col::ID_TYPE, col::CO_ID_TYPE),
            Code::IdTypeInvalid,
            format!("{who}证件类型须为 01 居民身份证：贷款年龄由身份证出生日期核定。持其他证件的请到中心柜台办理。"),
        ));
    } else {
        match IdCard::parse(&p.id_number) {
            Ok(id) => card = Some(id),
            Err(e) => issues.push(Issue::new(
                row,
                c(col::ID_NUMBER, col::CO_ID_NUMBER),
                e.code(),
                format!("{who}证件号码：{e}"),
            )),
        }
    }
    let account = normalize_code(&p.account);
    if !account.is_empty() && (account.len() > 20 || !account.bytes().all(|b| b.is_ascii_alphanumeric())) {
        issues.push(Issue::new(
            row,
            c(col::ACCOUNT, col::CO_ACCOUNT),
            Code::AccountInvalid,
            format!("{who}公积金账号应为 1–20 位字母或数字，请核对。"),
        ));
    }
    if !co && account.is_empty() {
        issues.push(Issue::new(
            row,
            col::ACCOUNT,
            Code::Required,
            "请填写借款人的公积金个人账号。",
        ));
    }
    if let Err(e) = check_mobile(&p.mobile) {
        issues.push(Issue::new(
            row,
            c(col::MOBILE, col::CO_MOBILE),
            e.code(),
            format!("{who}手机：{e}"),
        ));
    }
    if p.income.0 <= 0 {
        issues.push(Issue::new(
            row,
            c(col::INCOME, col::CO_INCOME),
            Code::LoanIncomeNotPositive,
            format!("{who}月收入须大于 0，请按收入证明填写。"),
        ));
    }
    if co {
        let rel = p.relation.as_deref().map(normalize_text).unwrap_or_default();
        if !RELATIONS
            .iter()
            .any(|(code, label)| rel == *code || rel == *label)
        {
            issues.push(Issue::new(
                row,
                col::RELATION,
                Code::LoanRelationInvalid,
                "参贷关系须为 1 配偶、2 子、3 女、4 孙子女/外孙子女、5 父母、6 祖父母/外祖父母、7 兄弟姐妹、8 其他之一。",
            ));
        }
    }
    card
}

fn yuan(f: i64) -> String {
    Fen(f).to_string()
}

/// The pure rules for one applicant at application month `today`; the plan when all hold.
pub fn check_applicant(a: &Applicant, policy: &LoanPolicy, today: Month) -> Result<LoanPlan, Vec<Issue>> {
    let row = a.row;
    let mut issues = Vec::new();
    let borrower = check_party(&a.borrower, row, false, &mut issues);
    let co = a
        .co_borrower
        .as_ref()
        .map(|p| check_party(p, row, true, &mut issues));
    if let (Some(Some(b)), Some(c)) = (co.as_ref(), borrower.as_ref()) {
        if b.number == c.number {
            issues.push(Issue::new(
                row,
                col::CO_ID_NUMBER,
                Code::DuplicateIdNumber,
                "共同借款人与借款人是同一人，请删除共同借款人或填写另一人。",
            ));
        }
    }
    for (v, column, what) in [
        (&a.project_id, col::PROJECT, "项目编号"),
        (&a.building, col::BUILDING, "楼栋"),
        (&a.house_no, col::HOUSE_NO, "房号"),
    ] {
        if normalize_text(v).is_empty() {
            issues.push(Issue::new(row, column, Code::Required, format!("请填写{what}。")));
        }
    }
    let repayment = Repayment::parse(&a.repayment);
    if repayment.is_none() {
        issues.push(Issue::new(
            row,
            col::REPAYMENT,
            Code::LoanRepaymentInvalid,
            "还款方式须为 01 等额本息 或 02 等额本金。",
        ));
    }
    if !(1..=2).contains(&a.house_count) {
        issues.push(Issue::new(
            row,
            col::HOUSE_COUNT,
            Code::LoanHouseCountInvalid,
            "第几套须为 1（首套）或 2（二套）；第三套及以上不予公积金贷款。",
        ));
    }
    let (price, down, amount) = (a.price.0, a.down_payment.0, a.amount.0);
    if price <= 0 || amount <= 0 || down < 0 {
        issues.push(Issue::new(
            row,
            col::AMOUNT,
            Code::LoanAmountNotPositive,
            "合同金额、贷款金额须大于 0，首付款不能为负数。",
        ));
    } else {
        if down != price - amount {
            issues.push(Issue::new(
                row,
                col::DOWN_PAYMENT,
                Code::LoanDownPaymentMismatch,
                format!(
                    "首付款 {} 元不等于合同金额 {} 元减贷款金额 {} 元（应为 {} 元），请核对。",
                    yuan(down),
                    yuan(price),
                    yuan(amount),
                    yuan(price - amount)
                ),
            ));
        }
        let min_down = mul_bp_ceil(price, policy.min_down_ratio.0);
        if price - amount < min_down {
            issues.push(Issue::new(
                row,
                col::DOWN_PAYMENT,
                Code::LoanDownPaymentTooLow,
                format!(
                    "首付款不得低于合同金额的 {}（{} 元），请降低贷款金额。",
                    policy.min_down_ratio,
                    yuan(min_down)
                ),
            ));
        }
        let by_ratio = mul_bp_floor(price, policy.max_ratio.0);
        if amount > by_ratio {
            issues.push(Issue::new(
                row,
                col::AMOUNT,
                Code::LoanAmountOverRatio,
                format!(
                    "贷款金额 {} 元超过合同金额的最高贷款比例 {}（{} 元），请降低贷款金额。",
                    yuan(amount),
                    policy.max_ratio,
                    yuan(by_ratio)
                ),
            ));
        }
        let cap = policy.cap(a.children);
        if amount > cap.0 {
            issues.push(Issue::new(
                row,
                col::AMOUNT,
                Code::LoanAmountOverCap,
                format!(
                    "贷款金额 {} 元超过最高额度 {} 元（家庭子女数 {}，已含多子女上浮），请降低贷款金额。",
                    yuan(amount),
                    cap,
                    a.children
                ),
            ));
        }
    }
    let max_months = (policy.max_years * 12).min(360);
    if a.months == 0 || a.months > max_months {
        issues.push(Issue::new(
            row,
            col::MONTHS,
            Code::LoanTermTooLong,
            format!(
                "贷款期数须在 1–{max_months} 个月之间（最长 {} 年），请核对。",
                max_months / 12
            ),
        ));
    }
    for (card, who, column) in [
        (borrower.as_ref(), "借款人", col::ID_NUMBER),
        (
            co.as_ref().and_then(Option::as_ref),
            "共同借款人",
            col::CO_ID_NUMBER,
        ),
    ] {
        if let Some(card) = card {
            let age = age_months(card, today);
            // Month precision: 年龄 (in months at the application month) + 期数 ≤ limit × 12.
            if age + i64::from(a.months) > i64::from(policy.age_limit) * 12 {
                issues.push(Issue::new(
                    row,
                    column,
                    Code::LoanAgeOverLimit,
                    format!(
                        "{who}现年 {} 岁，加上贷款年限 {} 个月超过 {} 岁，请缩短贷款期数。",
                        age / 12,
                        a.months,
                        policy.age_limit
                    ),
                ));
            }
        }
    }
    match (issues.is_empty(), repayment) {
        (true, Some(r)) => Ok(plan(
            a.amount,
            a.months,
            policy.annual_rate(a.house_count, a.months),
            r,
        )),
        _ => Err(issues),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    pub(crate) fn policy() -> LoanPolicy {
        LoanPolicy {
            year: 2026,
            starts: Month::new(2026, 7).unwrap(),
            max_amount: Fen::from_yuan(900_000),
            max_ratio: Rate(8000),
            min_down_ratio: Rate(2000),
            max_years: 30,
            age_limit: 65,
            min_contribution_months: 6,
            short_term_years: 5,
            first_short_rate: 2100,
            first_long_rate: 2600,
            second_short_rate: 2525,
            second_long_rate: 3075,
            uplift_two_children: Rate(3000),
            uplift_three_children: Rate(5000),
        }
    }

    fn party(id: &str) -> Party {
        Party {
            name: "李明".into(),
            id_type: "01".into(),
            id_number: id.into(),
            account: "990100000001".into(),
            mobile: "13907340001".into(),
            income: Fen::from_yuan(8000),
            relation: None,
        }
    }

    fn id(birth: &str) -> String {
        let first17 = format!("430405{birth}001");
        format!("{first17}{}", crate::ids::id_check_char(&first17).unwrap())
    }

    fn applicant(price: i64, amount: i64, months: u32) -> Applicant {
        Applicant {
            row: 3,
            borrower: party(&id("20000101")),
            co_borrower: None,
            project_id: "XM00000001".into(),
            building: "1栋".into(),
            house_no: "1-1801".into(),
            price: Fen::from_yuan(price),
            down_payment: Fen::from_yuan(price - amount),
            amount: Fen::from_yuan(amount),
            months,
            repayment: "01".into(),
            house_count: 1,
            children: 0,
        }
    }

    fn codes(r: Result<LoanPlan, Vec<Issue>>) -> Vec<Code> {
        r.err().unwrap().into_iter().map(|i| i.code).collect()
    }

    fn today() -> Month {
        Month::new(2026, 11).unwrap()
    }

    #[test]
    fn equal_instalment_matches_the_formula() {
        let p = plan(Fen::from_yuan(500_000), 360, 2600, Repayment::EqualInstalment);
        let r = 0.026_f64 / 12.0;
        let g = (1.0 + r).powi(360);
        let m = (50_000_000.0 * r * g / (g - 1.0)).round() as i64;
        assert_eq!(p.first_payment.0, m);
        assert_eq!(m, 200_170, "2001.70 元");
        // The last month pays what is left: within a few fen of M.
        assert!((p.last_payment.0 - m).abs() < 100, "{p:?}");
        assert_eq!(p.total_payment.0, p.amount.0 + p.total_interest.0);
        assert_eq!(p.total_payment.0, m * 359 + p.last_payment.0);
    }

    #[test]
    fn equal_principal_first_and_last_month() {
        let p = plan(Fen::from_yuan(360_000), 360, 2600, Repayment::EqualPrincipal);
        // 1000 元 principal + 360000 × 2.6% / 12 = 780 元 interest.
        assert_eq!(p.first_payment.0, 100_000 + 78_000);
        // Last month: 1000 元 + 1000 × 2.6%/12 = 2.1666… → 2.17 元.
        assert_eq!(p.last_payment.0, 100_000 + 217);
        // Σ interest = P·r·(n+1)/2 = 360000 × 0.026/12 × 180.5 = 140790 元 (rounding per month may move fen).
        assert!((p.total_interest.0 - 14_079_000).abs() < 360, "{p:?}");
    }

    #[test]
    fn a_good_applicant_passes_with_the_long_first_home_rate() {
        let plan = check_applicant(&applicant(625_000, 500_000, 360), &policy(), today()).unwrap();
        assert_eq!(plan.annual_rate, 2600);
        assert_eq!(plan.first_payment.0, 200_170);
        let mut a = applicant(625_000, 500_000, 60);
        a.house_count = 2;
        assert_eq!(check_applicant(&a, &policy(), today()).unwrap().annual_rate, 2525);
    }

    #[test]
    fn each_rule_fails_on_its_own() {
        let p = policy();
        // Over 80 % of the price (and so the down payment under 20 %).
        let c = codes(check_applicant(&applicant(500_000, 450_000, 360), &p, today()));
        assert!(c.contains(&Code::LoanAmountOverRatio), "{c:?}");
        assert!(c.contains(&Code::LoanDownPaymentTooLow), "{c:?}");
        // Over the 900,000 cap; with two children the cap is 1,170,000.
        let a = applicant(1_500_000, 1_000_000, 360);
        assert_eq!(
            codes(check_applicant(&a, &p, today())),
            vec![Code::LoanAmountOverCap]
        );
        let mut a2 = a.clone();
        a2.children = 2;
        assert!(check_applicant(&a2, &p, today()).is_ok());
        a2.amount = Fen::from_yuan(1_170_001);
        a2.down_payment = Fen::from_yuan(1_500_000 - 1_170_001);
        assert_eq!(
            codes(check_applicant(&a2, &p, today())),
            vec![Code::LoanAmountOverCap]
        );
        // Term.
        assert_eq!(
            codes(check_applicant(&applicant(625_000, 500_000, 361), &p, today())),
            vec![Code::LoanTermTooLong]
        );
        // Age: born 1970-01 is 56 y 10 m (682 months) in 2026-11; 65 y = 780 months, so 98 months is the most.
        let mut old = applicant(625_000, 500_000, 99);
        old.borrower = party(&id("19700101"));
        assert_eq!(
            codes(check_applicant(&old, &p, today())),
            vec![Code::LoanAgeOverLimit]
        );
        old.months = 98;
        assert!(check_applicant(&old, &p, today()).is_ok());
        // Down payment not price − amount.
        let mut d = applicant(625_000, 500_000, 360);
        d.down_payment = Fen::from_yuan(100_000);
        assert_eq!(
            codes(check_applicant(&d, &p, today())),
            vec![Code::LoanDownPaymentMismatch]
        );
        // Repayment, 套数, relation, identity.
        let mut x = applicant(625_000, 500_000, 360);
        x.repayment = "03".into();
        x.house_count = 3;
        let mut co = party(&id("19910101"));
        co.relation = Some("0".into());
        x.co_borrower = Some(co);
        x.borrower.id_number = "430405200001010010".into();
        let c = codes(check_applicant(&x, &p, today()));
        for want in [
            Code::LoanRepaymentInvalid,
            Code::LoanHouseCountInvalid,
            Code::LoanRelationInvalid,
            Code::IdNumberChecksum,
        ] {
            assert!(c.contains(&want), "{want:?} in {c:?}");
        }
    }
}
