//! 缴存基数调整 (individual contribution-base adjustment) as a batch: the wire rows, the monthly
//! amounts they imply, and the rule checker.
//!
//! The rules follow Bijie's `PersonRadixImpl` (REFERENCE B3): 生效年月 between the unit's
//! 应汇缴年月 and the current month; 月缴存额 (unit + person, each side rounded separately) within
//! the policy year's limits, with the message stating the allowed base range; plus identifier,
//! base-limit and duplicate checks. The same [`check`] runs in the client before sending and in
//! the gateway on receipt — nothing here knows about Excel.

use serde::{Deserialize, Serialize};

use crate::dedup::FirstRows;
use crate::ids::{
    looks_like_number_cell, name_form, normalize_code, normalize_name, normalize_text, IdFacts,
};
use crate::issue::{Code, Issue};
use crate::money::Fen;
use crate::month::Month;
use crate::policy::Policy;
use crate::rate::Rate;
use crate::rounding::{self, RoundTo};
use crate::unit::{UnitFacts, UnitStatus};

/// Column titles of the 缴存基数调整 template, in template order. They are also the `column` of
/// every [`Issue`] the checker reports, so the user finds the cell by its header.
///
/// NB: the importer should compare header cells after [`normalize_text`] on both sides — NFKC
/// turns the full-width parentheses below into ASCII ones.
pub mod col {
    /// 序号.
    pub const SEQ: &str = "序号";
    /// 个人账号 (GRZH).
    pub const ACCOUNT: &str = "个人账号";
    /// 姓名.
    pub const NAME: &str = "姓名";
    /// 证件号码 (18-digit 居民身份证号码).
    pub const ID_NUMBER: &str = "证件号码";
    /// 调整前基数（元）— informational, prefilled from the centre's data.
    pub const OLD_BASE: &str = "调整前基数（元）";
    /// 调整后基数（元）.
    pub const NEW_BASE: &str = "调整后基数（元）";
    /// 生效年月 (SXNY).
    pub const EFFECTIVE_MONTH: &str = "生效年月";
    /// 备注.
    pub const NOTE: &str = "备注";
    /// All titles in template order.
    pub const ALL: [&str; 8] = [
        SEQ,
        ACCOUNT,
        NAME,
        ID_NUMBER,
        OLD_BASE,
        NEW_BASE,
        EFFECTIVE_MONTH,
        NOTE,
    ];
}

/// One row of a 缴存基数调整 submission — the client↔gateway wire contract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseAdjustmentRow {
    /// The Excel row number the user sees (1-based), used in every issue about this row.
    pub row: u32,
    /// 个人账号 (GRZH).
    pub account: String,
    /// 姓名.
    pub name: String,
    /// 证件号码 (18-digit 居民身份证号码).
    pub id_number: String,
    /// 调整前基数 — informational; the gateway compares it with its own records.
    pub old_base: Option<Fen>,
    /// 调整后基数.
    pub new_base: Fen,
    /// 生效年月.
    pub effective_month: Month,
    /// 备注.
    pub note: Option<String>,
}

impl BaseAdjustmentRow {
    /// Normalises the text fields in place the way the checker reads them: the account through
    /// [`normalize_text`], the ID number through [`normalize_code`], the name through
    /// [`normalize_name`], an empty note becomes `None`. Both sides should store the
    /// normalised form.
    pub fn normalize(&mut self) {
        normalize_identity(
            &mut self.account,
            &mut self.name,
            &mut self.id_number,
            &mut self.note,
        );
    }
}

/// The normalisation of a person row's identity and note (see [`BaseAdjustmentRow::normalize`]);
/// `pub(crate)`: every per-person batch (个人封存/启封 …) normalises its rows the same way.
pub(crate) fn normalize_identity(
    account: &mut String,
    name: &mut String,
    id_number: &mut String,
    note: &mut Option<String>,
) {
    *account = normalize_text(account).into_owned();
    *id_number = normalize_code(id_number).into_owned();
    *name = normalize_name(name);
    *note = note
        .as_deref()
        .map(normalize_text)
        .filter(|n| !n.is_empty())
        .map(|n| n.into_owned());
}

/// A whole 缴存基数调整 submission (the request payload).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseAdjustment {
    /// The rows in sheet order.
    pub rows: Vec<BaseAdjustmentRow>,
}

impl BaseAdjustment {
    /// Runs [`check`] over all rows.
    pub fn check(&self, policy: &Policy, unit: &UnitFacts, today: Month) -> Vec<Issue> {
        check(&self.rows, policy, unit, today)
    }
}

/// The monthly amounts a base implies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amounts {
    /// 单位月缴存额 (DWYJCE).
    pub unit: Fen,
    /// 个人月缴存额 (GRYJCE).
    pub person: Fen,
    /// 月缴存额 = unit + person.
    pub total: Fen,
}

/// 单位/个人月缴存额 for `base` at the unit's rates. Each side is rounded separately with the
/// policy's rule and the total is their sum (REFERENCE B4) — which can differ from rounding
/// `base × (unit + person rate)` once.
pub fn amounts(base: Fen, unit: &UnitFacts, policy: &Policy) -> Amounts {
    amounts_at(base, unit.unit_rate, unit.person_rate, policy.round_to)
}

fn amounts_at(base: Fen, unit_rate: Rate, person_rate: Rate, round_to: RoundTo) -> Amounts {
    let unit = rounding::amount(base, unit_rate, round_to);
    let person = rounding::amount(base, person_rate, round_to);
    Amounts {
        unit,
        person,
        total: unit.saturating_add(person),
    }
}

/// The bases (inclusive, in fen) whose 月缴存额 total lies within
/// `[monthly_min, monthly_max]` at the unit's rates and the policy's rounding, intersected with
/// `[base_min, base_max]` — Bijie's "缴存基数调整区间".
///
/// Exact, not `limit ÷ rate`: the total is a non-decreasing step function of the base, so both
/// ends are found by binary search on whole fen. One fen below the lower end or above the upper
/// end fails a limit; the ends themselves pass.
///
/// When no base satisfies everything the result has `lo > hi`; callers must check.
pub fn allowed_base_range(unit: &UnitFacts, policy: &Policy) -> (Fen, Fen) {
    range_at(unit.unit_rate, unit.person_rate, policy)
}

fn range_at(unit_rate: Rate, person_rate: Rate, policy: &Policy) -> (Fen, Fen) {
    let (min, max) = (policy.base_min.0, policy.base_max.0);
    if min > max {
        return (policy.base_min, policy.base_max);
    }
    let total = |b: i64| {
        amounts_at(Fen(b), unit_rate, person_rate, policy.round_to)
            .total
            .0
    };
    // Midpoints in i128: a nonsense policy (huge negative min) must not overflow.
    let mid = |a: i64, b: i64, round_up: bool| -> i64 {
        let sum = i128::from(a) + i128::from(b) + i128::from(round_up);
        // The midpoint of two i64s is an i64.
        sum.div_euclid(2) as i64
    };
    let lo = if total(max) < policy.monthly_min.0 {
        max.saturating_add(1)
    } else {
        // Smallest b in [min, max] with total(b) ≥ monthly_min.
        let (mut a, mut b) = (min, max);
        while a < b {
            let m = mid(a, b, false);
            if total(m) >= policy.monthly_min.0 {
                b = m;
            } else {
                a = m + 1;
            }
        }
        a
    };
    let hi = if total(min) > policy.monthly_max.0 {
        min.saturating_sub(1)
    } else {
        // Largest b in [min, max] with total(b) ≤ monthly_max.
        let (mut a, mut b) = (min, max);
        while a < b {
            let m = mid(a, b, true);
            if total(m) <= policy.monthly_max.0 {
                a = m;
            } else {
                b = m - 1;
            }
        }
        a
    };
    (Fen(lo), Fen(hi))
}

/// Checks a whole submission: every row through [`Checker::push`], then [`Checker::finish`].
/// Row issues come first, in row order; sheet-level issues (row 0) last.
pub fn check(rows: &[BaseAdjustmentRow], policy: &Policy, unit: &UnitFacts, today: Month) -> Vec<Issue> {
    let mut checker = Checker::new(policy, unit, today);
    let mut issues = Vec::new();
    for row in rows {
        checker.push(row, &mut issues);
    }
    checker.finish(&mut issues);
    issues
}

/// A streaming checker: feed rows one at a time, so a 100,000-row sheet is checked without
/// holding the rows.
///
/// Duplicate detection keeps only a compact, exact key per valid 个人账号 (8 bytes for up to 18
/// digits or 12 letters/digits, 16 beyond) and per valid 证件号码 (8 bytes: the 17 digits that
/// determine the check character) with the first row number — about 3.5 MB of tables for
/// 100,000 rows (see [`Checker::approx_heap_bytes`]).
#[derive(Debug)]
pub struct Checker {
    policy: Policy,
    unit_rate: Rate,
    person_rate: Rate,
    status: UnitStatus,
    paid_through: Option<Month>,
    due: Month,
    today: Month,
    range: (Fen, Fen),
    pushed: u64,
    accounts: FirstRows<u64>,
    /// Accounts too long for a `u64` key (rare).
    wide_accounts: FirstRows<u128>,
    ids: FirstRows<u64>,
}

impl Checker {
    /// A checker for one submission of `unit` under `policy`, with `today` the current month
    /// (passed in: the domain reads no clock).
    pub fn new(policy: &Policy, unit: &UnitFacts, today: Month) -> Checker {
        Checker {
            policy: policy.clone(),
            unit_rate: unit.unit_rate,
            person_rate: unit.person_rate,
            status: unit.status,
            paid_through: unit.paid_through,
            due: unit.due_month(),
            today,
            range: allowed_base_range(unit, policy),
            pushed: 0,
            accounts: FirstRows::new(),
            wide_accounts: FirstRows::new(),
            ids: FirstRows::new(),
        }
    }

    /// Checks one row and appends its issues (in column order): the row rules, then duplicates
    /// of 个人账号 / 证件号码 against earlier rows (reported on the later row, naming the
    /// earlier row number).
    pub fn push(&mut self, row: &BaseAdjustmentRow, issues: &mut Vec<Issue>) {
        self.pushed += 1;
        let r = row.row;
        self.check_account(r, &row.account, issues);
        self.check_name(r, &row.name, issues);
        self.check_id_number(r, &row.id_number, issues);
        if let Some(old) = row.old_base {
            if !old.is_positive() {
                issues.push(Issue::new(
                    r,
                    col::OLD_BASE,
                    Code::OldBaseNotPositive,
                    format!("调整前基数 {old} 元不正确，应大于 0；如不清楚请留空，中心会按系统记录核对"),
                ));
            }
        }
        self.check_base(r, row.new_base, row.effective_month, &WORDING, issues);
        self.check_month_window(r, row.effective_month, &WORDING, issues);
    }

    /// Sheet-level checks after the last row: no rows at all, and a unit status that does not
    /// allow 缴存 business (only 正常, 开户 and 缓缴 do).
    pub fn finish(self, issues: &mut Vec<Issue>) {
        // The importer already says so when the sheet itself had no data rows.
        if self.pushed == 0 && !issues.iter().any(|i| i.code == Code::NoRows) {
            issues.push(Issue::sheet(
                Code::NoRows,
                "清册中没有数据行，请至少填写一名职工的调整信息后再提交",
            ));
        }
        if !self.status.allows_deposit_business() {
            issues.push(Issue::sheet(
                Code::UnitStatusNotAllowed,
                format!(
                    "单位账户状态为“{}”（{}），只有正常、开户、缓缴状态的单位可以办理缴存基数调整；请先办理启封等相应业务，或联系公积金中心",
                    self.status.label(),
                    self.status.code()
                ),
            ));
        }
    }

    /// How many rows have been pushed.
    pub fn rows_checked(&self) -> u64 {
        self.pushed
    }

    /// The allowed base range used for the 月缴存额 rule (see [`allowed_base_range`]).
    pub fn allowed_base_range(&self) -> (Fen, Fen) {
        self.range
    }

    /// Approximate heap bytes held by the duplicate tables, for capacity planning and the
    /// memory test.
    pub fn approx_heap_bytes(&self) -> usize {
        self.accounts.heap_bytes() + self.wide_accounts.heap_bytes() + self.ids.heap_bytes()
    }

    /// 个人账号 cell rules + duplicates. `pub(crate)`: 个人封存/启封 reuse the identity checks.
    pub(crate) fn check_account(&mut self, r: u32, account: &str, issues: &mut Vec<Issue>) {
        // The usual account, 1–20 letters and digits, is already normalised and passes every rule below.
        let plain = |a: &str| (1..=20).contains(&a.len()) && a.bytes().all(|b| b.is_ascii_alphanumeric());
        let normalized;
        let a = if plain(account) {
            account
        } else {
            normalized = normalize_text(account);
            normalized.as_ref()
        };
        let problem = if plain(a) {
            None
        } else if a.is_empty() {
            Some((
                Code::Required,
                "个人账号为空，请填写职工的个人账号（可从单位职工列表中复制）".to_owned(),
            ))
        } else if looks_like_number_cell(a) {
            Some((
                Code::AccountStoredAsNumber,
                format!("个人账号“{a}”被 Excel 当成数字保存，开头的 0 或末尾数字可能已丢失；请把该列设为“文本”格式后重新填写"),
            ))
        } else if !a.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Some((
                Code::AccountInvalid,
                format!("个人账号“{a}”只能由数字和字母组成，请删除空格和其他字符后核对"),
            ))
        } else if a.len() > 20 {
            Some((
                Code::AccountInvalid,
                format!("个人账号“{a}”共 {} 位，超过 20 位，请核对", a.len()),
            ))
        } else {
            None
        };
        if let Some((code, message)) = problem {
            issues.push(Issue::new(r, col::ACCOUNT, code, message));
            return;
        }
        let first = match account_key(a) {
            None => return,
            Some(AccountKey::Narrow(k)) => self.accounts.first_or_insert(k, r),
            Some(AccountKey::Wide(k)) => self.wide_accounts.first_or_insert(k, r),
        };
        if let Some(first) = first {
            issues.push(Issue::new(
                r,
                col::ACCOUNT,
                Code::DuplicateAccount,
                format!("个人账号“{a}”与第 {first} 行重复，同一职工在一份清册中只能出现一次，请删除重复行"),
            ));
        }
    }

    /// 姓名 rules (shared with 个人封存/启封).
    pub(crate) fn check_name(&self, r: u32, name: &str, issues: &mut Vec<Issue>) {
        let n = name_form(name);
        let problem = if n.is_empty() {
            Some((Code::Required, "姓名为空，请填写与身份证一致的姓名".to_owned()))
        } else if n.chars().nth(1).is_none() {
            Some((
                Code::NameTooShort,
                format!("姓名“{n}”少于 2 个字，请填写与身份证一致的完整姓名"),
            ))
        } else if n.bytes().any(|b| b.is_ascii_digit()) {
            Some((
                Code::NameInvalid,
                format!("姓名“{n}”中含有数字，请检查是否把其他列的内容填进了姓名列"),
            ))
        } else {
            None
        };
        if let Some((code, message)) = problem {
            issues.push(Issue::new(r, col::NAME, code, message));
        }
    }

    /// 证件号码 rules + duplicates (shared with 个人封存/启封).
    pub(crate) fn check_id_number(&mut self, r: u32, id_number: &str, issues: &mut Vec<Issue>) {
        // A number in its printed form needs no normalising and is no number cell.
        let parsed = match IdFacts::of_printed(id_number) {
            Some(parsed) => parsed,
            None => {
                let t = normalize_text(id_number);
                if t.is_empty() {
                    issues.push(Issue::new(
                        r,
                        col::ID_NUMBER,
                        Code::Required,
                        "证件号码为空，请填写 18 位居民身份证号码",
                    ));
                    return;
                }
                if looks_like_number_cell(&t) {
                    issues.push(Issue::new(
                        r,
                        col::ID_NUMBER,
                        Code::IdStoredAsNumber,
                        "证件号码被 Excel 当成数字保存（显示为科学计数法），后几位已经丢失、无法恢复；请把证件号码列设为“文本”格式（或在号码前加英文单引号 '）后重新录入",
                    ));
                    return;
                }
                IdFacts::parse(&t)
            }
        };
        let card = match parsed {
            Ok(card) => card,
            Err(e) => {
                issues.push(Issue::new(r, col::ID_NUMBER, e.code(), e.to_string()));
                return;
            }
        };
        if card.birth_month().is_none_or(|born| born > self.today) {
            issues.push(Issue::new(
                r,
                col::ID_NUMBER,
                Code::IdNumberBirthDate,
                format!("身份证号码中的出生年月晚于本月 {}，请核对第 7–14 位", self.today),
            ));
        }
        if let Some(first) = self.ids.first_or_insert(card.key, r) {
            issues.push(Issue::new(
                r,
                col::ID_NUMBER,
                Code::DuplicateIdNumber,
                format!("证件号码与第 {first} 行重复，同一职工在一份清册中只能出现一次，请删除重复行"),
            ));
        }
    }

    /// The base rules (positive, within the policy year's base limits, 月缴存额 within its
    /// limits), worded for the business by `w` (shared with 个人启封's 启封后缴存基数).
    pub(crate) fn check_base(&self, r: u32, base: Fen, month: Month, w: &Wording, issues: &mut Vec<Issue>) {
        let label = w.base_label;
        let p = &self.policy;
        // Messages are built only for rows that fail: this runs on every row of 100,000-row sheets.
        let between = || format!("请改为 {} 至 {} 元之间", p.base_min, p.base_max);
        if !base.is_positive() {
            issues.push(Issue::new(
                r,
                w.base_column,
                Code::BaseNotPositive,
                format!("{label} {base} 元不正确，应大于 0；{}", between()),
            ));
            return;
        }
        // A month outside this policy year gets its own issue (EFFECTIVE_MONTH_OUTSIDE_POLICY);
        // judging the base by the wrong year's limits would only mislead.
        if !p.covers(month) {
            return;
        }
        if base < p.base_min {
            issues.push(Issue::new(
                r,
                w.base_column,
                Code::BaseBelowMin,
                format!(
                    "{label} {base} 元低于 {} 年度缴存基数下限 {} 元，{}",
                    p.year,
                    p.base_min,
                    between()
                ),
            ));
            return;
        }
        if base > p.base_max {
            issues.push(Issue::new(
                r,
                w.base_column,
                Code::BaseAboveMax,
                format!(
                    "{label} {base} 元超出 {} 年度缴存基数上限 {} 元，{}",
                    p.year,
                    p.base_max,
                    between()
                ),
            ));
            return;
        }
        let a = amounts_at(base, self.unit_rate, self.person_rate, p.round_to);
        let (code, word, limit) = if a.total < p.monthly_min {
            (Code::MonthlyBelowMin, "低于", ("下限", p.monthly_min))
        } else if a.total > p.monthly_max {
            (Code::MonthlyAboveMax, "超出", ("上限", p.monthly_max))
        } else {
            return;
        };
        let (lo, hi) = self.range;
        let advice = if lo <= hi {
            format!("缴存基数调整区间：{lo} - {hi}，请将{label}改在此区间内")
        } else {
            "按本单位现行缴存比例，没有任何缴存基数能使月缴存额落在限额内，请先办理缴存比例调整或联系公积金中心".to_owned()
        };
        issues.push(Issue::new(
            r,
            w.base_column,
            code,
            format!(
                "{label} {base} 元按单位比例 {}、个人比例 {} 计算（{}），月缴存额合计 {} 元（单位 {} 元 + 个人 {} 元），{word} {} 年度月缴存额{} {} 元。{advice}",
                self.unit_rate,
                self.person_rate,
                p.round_to.describe(),
                a.total,
                a.unit,
                a.person,
                p.year,
                limit.0,
                limit.1,
            ),
        ));
    }

    /// 生效年月 within [应汇缴年月, this month] (and, when `w.month_in_policy`, within the policy
    /// year the check uses), worded for the business by `w` (shared with 个人封存/启封).
    pub(crate) fn check_month_window(&self, r: u32, month: Month, w: &Wording, issues: &mut Vec<Issue>) {
        let (due, today) = (self.due, self.today);
        let in_policy = !w.month_in_policy || self.policy.covers(month);
        if month >= due && month <= today && in_policy {
            return;
        }
        let window = format!("请填写 {due} 至 {today} 之间的年月");
        let paid = match self.paid_through {
            Some(p) => format!("单位已缴至 {p}"),
            None => "单位尚未汇缴".to_owned(),
        };
        let problem = if due > today && (month < due || month > today) {
            // Nothing can take effect yet: the current month is already remitted.
            let code = if month < due {
                Code::EffectiveMonthTooEarly
            } else {
                Code::EffectiveMonthInFuture
            };
            Some((
                code,
                format!(
                    "{paid}，应汇缴年月 {due} 晚于本月 {today}，目前没有可以生效的年月；请在 {due} 再办理{}",
                    w.business
                ),
            ))
        } else if month < due {
            Some((
                Code::EffectiveMonthTooEarly,
                format!(
                    "生效年月 {month} 早于单位应汇缴年月 {due}（{paid}），{}；{window}",
                    w.past
                ),
            ))
        } else if month > today {
            Some((
                Code::EffectiveMonthInFuture,
                format!("生效年月 {month} 晚于本月 {today}，{}；{window}", w.future),
            ))
        } else if !in_policy {
            let p = &self.policy;
            Some((
                Code::EffectiveMonthOutsidePolicy,
                format!(
                    "生效年月 {month} 不在 {} 年度政策执行期（{} 至 {}）内，本次核对所用的缴存基数上下限不适用于该月；请按政策年度分开提交，或联系公积金中心",
                    p.year, p.starts, p.ends
                ),
            ))
        } else {
            None
        };
        if let Some((code, message)) = problem {
            issues.push(Issue::new(r, col::EFFECTIVE_MONTH, code, message));
        }
    }
}

/// How the shared base and month rules word their messages for one business; the rules
/// themselves are the same for every business that uses them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Wording {
    /// The column a base issue points at.
    pub base_column: &'static str,
    /// What the base is called in messages ("调整后基数").
    pub base_label: &'static str,
    /// Why a month before 应汇缴年月 is refused ("已汇缴月份的基数不能再调整").
    pub past: &'static str,
    /// Why a month after this month is refused ("不能提前调整以后月份的基数").
    pub future: &'static str,
    /// The business, for "请在 {due} 再办理…".
    pub business: &'static str,
    /// Whether 生效年月 must lie in the policy year the check uses (true when a base is judged
    /// by that year's limits).
    pub month_in_policy: bool,
}

/// 缴存基数调整's wording.
const WORDING: Wording = Wording {
    base_column: col::NEW_BASE,
    base_label: "调整后基数",
    past: "已汇缴月份的基数不能再调整",
    future: "不能提前调整以后月份的基数",
    business: "基数调整",
    month_in_policy: true,
};

/// Exact compact key of a valid 个人账号 (1–20 ASCII letters/digits, case-insensitive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AccountKey {
    /// Up to 18 digits (bijective base 11, top bit clear) or up to 12 letters and digits (bijective base
    /// 37, top bit set): what nearly every centre issues, in a `u64`. 11^18 and 37^12 are below 2^63.
    Narrow(u64),
    /// Anything longer: bijective base 37 in 128 bits; 37^20 < 2^128.
    Wide(u128),
}

fn account_key(a: &str) -> Option<AccountKey> {
    if a.is_empty() || a.len() > 20 {
        return None;
    }
    // Bijective digits (1-based), so leading zeros count: "01" ≠ "1".
    let value = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0' + 1),
        b'A'..=b'Z' => Some(b - b'A' + 11),
        b'a'..=b'z' => Some(b - b'a' + 11),
        _ => None,
    };
    if a.len() <= 18 && a.bytes().all(|b| b.is_ascii_digit()) {
        let k = a.bytes().fold(0u64, |k, b| k * 11 + u64::from(b - b'0' + 1));
        return Some(AccountKey::Narrow(k));
    }
    let mut k: u128 = 0;
    for b in a.bytes() {
        k = k * 37 + u128::from(value(b)?);
    }
    if a.len() <= 12 {
        // 37^12 < 2^63: the top bit is free to tell these from the digit-only keys.
        return Some(AccountKey::Narrow(k as u64 | 1 << 63));
    }
    Some(AccountKey::Wide(k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::id_check_char;

    fn m(year: i32, month: u32) -> Month {
        Month::new(year, month).unwrap()
    }

    /// 衡阳 figures from REFERENCE §C (secondary source; test data only).
    fn hengyang(round_to: RoundTo) -> Policy {
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
            round_to,
        }
    }

    fn unit(unit_rate: u32, person_rate: u32) -> UnitFacts {
        UnitFacts {
            account: "9817112009060".into(),
            name: "衡阳示例有限公司".into(),
            uscc: "91350200776049653A".into(),
            status: UnitStatus::Normal,
            unit_rate: Rate(unit_rate),
            person_rate: Rate(person_rate),
            first_month: m(2020, 3),
            paid_through: Some(m(2026, 6)),
        }
    }

    fn id(first17: &str) -> String {
        format!("{first17}{}", id_check_char(first17).unwrap())
    }

    /// The n-th distinct valid ID number (n < 336,000).
    fn nth_id(n: u32) -> String {
        let seq = n % 1000;
        let day = (n / 1000) % 28 + 1;
        let month = (n / 28_000) % 12 + 1;
        id(&format!(
            "430402{:04}{month:02}{day:02}{seq:03}",
            1980 + n / 336_000
        ))
    }

    fn row(r: u32) -> BaseAdjustmentRow {
        BaseAdjustmentRow {
            row: r,
            account: format!("99131016{r:05}"),
            name: "张三".into(),
            id_number: nth_id(r),
            old_base: Some(Fen::from_yuan(3000)),
            new_base: Fen::from_yuan(3500),
            effective_month: m(2026, 7),
            note: None,
        }
    }

    const TODAY: Month = match Month::new(2026, 8) {
        Some(t) => t,
        None => Month::MIN,
    };

    fn codes(issues: &[Issue]) -> Vec<(u32, &str, Code)> {
        issues
            .iter()
            .map(|i| (i.row, i.column.as_str(), i.code))
            .collect()
    }

    fn check_one(r: BaseAdjustmentRow, policy: &Policy, unit: &UnitFacts) -> Vec<Issue> {
        let mut c = Checker::new(policy, unit, TODAY);
        let mut issues = Vec::new();
        c.push(&r, &mut issues);
        issues
    }

    #[test]
    fn amounts_round_each_side_separately() {
        let p = hengyang(RoundTo::Yuan);
        // 1850 元 × 5% = 92.5 元 per side → 93 + 93 = 186; rounding the 10% sum once gives 185.
        let a = amounts(Fen::from_yuan(1850), &unit(500, 500), &p);
        assert_eq!(
            a,
            Amounts {
                unit: Fen(9300),
                person: Fen(9300),
                total: Fen(18_600)
            }
        );
        assert_eq!(
            rounding::amount(Fen::from_yuan(1850), Rate(1000), RoundTo::Yuan),
            Fen(18_500)
        );
        // Bijie rounding (分), different unit and person rates.
        let p = hengyang(RoundTo::Fen);
        let a = amounts(Fen(1_234_567), &unit(1200, 500), &p);
        assert_eq!(
            a,
            Amounts {
                unit: Fen(148_148),
                person: Fen(61_728),
                total: Fen(209_876)
            }
        );
    }

    #[test]
    fn allowed_base_range_is_exact_at_both_ends() {
        // (policy tweak, unit rate, person rate, rounding, expected (lo, hi) in fen)
        let wide = |mut p: Policy| {
            p.base_min = Fen::from_yuan(1000);
            p.base_max = Fen::from_yuan(25_000);
            p
        };
        type Case = (bool, u32, u32, RoundTo, (i64, i64));
        let cases: &[Case] = &[
            // 衡阳 as published: the amount limits never bind at 12%+12% — the base limits do.
            (false, 1200, 1200, RoundTo::Fen, (170_000, 2_114_200)),
            (false, 500, 500, RoundTo::Fen, (170_000, 2_114_200)),
            // Wider base limits: the amount limits bind, and rounding moves the ends off the
            // naive quotients (5076 ÷ 24% = 21150.00, 170 ÷ 10% = 1700.00).
            (true, 1200, 1200, RoundTo::Fen, (100_000, 2_115_004)),
            (true, 1200, 1200, RoundTo::Yuan, (100_000, 2_115_416)),
            (true, 500, 500, RoundTo::Fen, (169_990, 2_500_000)),
            (true, 500, 500, RoundTo::Yuan, (169_000, 2_500_000)),
        ];
        for &(widen, ur, pr, to, (lo, hi)) in cases {
            let p = if widen { wide(hengyang(to)) } else { hengyang(to) };
            let u = unit(ur, pr);
            let (got_lo, got_hi) = allowed_base_range(&u, &p);
            assert_eq!(
                (got_lo, got_hi),
                (Fen(lo), Fen(hi)),
                "{ur}/{pr} {to:?} widen={widen}"
            );
            let total = |b: i64| amounts(Fen(b), &u, &p).total;
            // The ends pass, one fen beyond fails (unless the base limit is what binds).
            assert!(total(lo) >= p.monthly_min && total(hi) <= p.monthly_max);
            assert!(lo == p.base_min.0 || total(lo - 1) < p.monthly_min);
            assert!(hi == p.base_max.0 || total(hi + 1) > p.monthly_max);
        }
    }

    #[test]
    fn allowed_base_range_agrees_with_a_linear_scan() {
        for to in [RoundTo::Fen, RoundTo::Jiao, RoundTo::Yuan] {
            for (ur, pr) in [(500, 500), (1200, 500), (833, 1117), (1200, 1200)] {
                let mut p = hengyang(to);
                p.base_min = Fen::from_yuan(1500);
                p.base_max = Fen::from_yuan(1900);
                p.monthly_min = Fen(17_037);
                p.monthly_max = Fen(40_011);
                let u = unit(ur, pr);
                let ok: Vec<i64> = (p.base_min.0..=p.base_max.0)
                    .filter(|&b| {
                        let t = amounts(Fen(b), &u, &p).total;
                        p.monthly_min <= t && t <= p.monthly_max
                    })
                    .collect();
                let want = match (ok.first(), ok.last()) {
                    (Some(&a), Some(&b)) => Some((Fen(a), Fen(b))),
                    _ => None,
                };
                let (lo, hi) = allowed_base_range(&u, &p);
                let got = (lo <= hi).then_some((lo, hi));
                assert_eq!(got, want, "{ur}/{pr} {to:?}");
                if let Some((a, b)) = want {
                    // Monotone total ⇒ the valid set is contiguous.
                    assert_eq!(ok.len() as i64, b.0 - a.0 + 1);
                }
            }
        }
    }

    #[test]
    fn allowed_base_range_can_be_empty() {
        let mut p = hengyang(RoundTo::Fen);
        p.monthly_max = Fen::from_yuan(100); // below what base_min yields even at 5%+5%
        let (lo, hi) = allowed_base_range(&unit(500, 500), &p);
        assert!(lo > hi);
        let mut p = hengyang(RoundTo::Fen);
        p.monthly_min = Fen::from_yuan(6000); // above what base_max yields at 12%+12%
        let (lo, hi) = allowed_base_range(&unit(1200, 1200), &p);
        assert!(lo > hi);
        let (lo, hi) = allowed_base_range(&unit(0, 0), &hengyang(RoundTo::Fen));
        assert!(lo > hi, "zero rates can never reach a positive monthly minimum");
    }

    #[test]
    fn a_valid_row_has_no_issues() {
        let p = hengyang(RoundTo::Fen);
        assert_eq!(check_one(row(5), &p, &unit(1200, 1200)), vec![]);
        // Leniently typed but valid values.
        let mut r = row(6);
        r.account = " 9913101600006\u{3000}".into();
        r.name = "阿依古丽 • 买买提".into();
        r.id_number = format!(" {} ", r.id_number.to_lowercase());
        r.old_base = None;
        assert_eq!(check_one(r, &p, &unit(1200, 1200)), vec![]);
    }

    #[test]
    fn each_rule_passes_and_fails() {
        type Mutate = fn(&mut BaseAdjustmentRow);
        type Case = (&'static str, Mutate, Vec<(&'static str, Code)>);
        let x_id = {
            // An ID whose check character is X, written with a lower-case x.
            let mut n = 0;
            loop {
                let s = nth_id(n);
                if s.ends_with('X') {
                    break s.to_lowercase();
                }
                n += 1;
            }
        };
        let cases: Vec<Case> = vec![
            (
                "account empty",
                |r| r.account = " ".into(),
                vec![(col::ACCOUNT, Code::Required)],
            ),
            ("account 20 chars", |r| r.account = "A".repeat(20), vec![]),
            (
                "account 21 chars",
                |r| r.account = "1".repeat(21),
                vec![(col::ACCOUNT, Code::AccountInvalid)],
            ),
            (
                "account with hyphen",
                |r| r.account = "9913-1016".into(),
                vec![(col::ACCOUNT, Code::AccountInvalid)],
            ),
            (
                "account with inner space",
                |r| r.account = "9913 1016".into(),
                vec![(col::ACCOUNT, Code::AccountInvalid)],
            ),
            (
                "account as number",
                |r| r.account = "9.91310E+12".into(),
                vec![(col::ACCOUNT, Code::AccountStoredAsNumber)],
            ),
            (
                "account as float",
                |r| r.account = "9913101600019.0".into(),
                vec![(col::ACCOUNT, Code::AccountStoredAsNumber)],
            ),
            (
                "name empty",
                |r| r.name = String::new(),
                vec![(col::NAME, Code::Required)],
            ),
            (
                "name one char",
                |r| r.name = " 张 ".into(),
                vec![(col::NAME, Code::NameTooShort)],
            ),
            ("name two chars", |r| r.name = "张三".into(), vec![]),
            (
                "name with digits",
                |r| r.name = "430402".into(),
                vec![(col::NAME, Code::NameInvalid)],
            ),
            (
                "id empty",
                |r| r.id_number = String::new(),
                vec![(col::ID_NUMBER, Code::Required)],
            ),
            (
                "id scientific",
                |r| r.id_number = "4.30402E+17".into(),
                vec![(col::ID_NUMBER, Code::IdStoredAsNumber)],
            ),
            (
                "id too short",
                |r| r.id_number = "43040219900307".into(),
                vec![(col::ID_NUMBER, Code::IdNumberFormat)],
            ),
            (
                "id legacy 15",
                |r| r.id_number = "430402900307001".into(),
                vec![(col::ID_NUMBER, Code::IdNumberFormat)],
            ),
            (
                "id letter",
                |r| r.id_number = "43040219900307A011".into(),
                vec![(col::ID_NUMBER, Code::IdNumberFormat)],
            ),
            (
                "id bad date",
                |r| r.id_number = id("43040219900231001"),
                vec![(col::ID_NUMBER, Code::IdNumberBirthDate)],
            ),
            (
                "id born after today",
                |r| r.id_number = id("43040220300101001"),
                vec![(col::ID_NUMBER, Code::IdNumberBirthDate)],
            ),
            (
                "id bad check",
                |r| {
                    let last = r.id_number.pop().unwrap();
                    r.id_number.push(if last == '1' { '2' } else { '1' });
                },
                vec![(col::ID_NUMBER, Code::IdNumberChecksum)],
            ),
            ("old base none", |r| r.old_base = None, vec![]),
            (
                "old base zero",
                |r| r.old_base = Some(Fen::ZERO),
                vec![(col::OLD_BASE, Code::OldBaseNotPositive)],
            ),
            (
                "old base negative",
                |r| r.old_base = Some(Fen(-1)),
                vec![(col::OLD_BASE, Code::OldBaseNotPositive)],
            ),
            (
                "base zero",
                |r| r.new_base = Fen::ZERO,
                vec![(col::NEW_BASE, Code::BaseNotPositive)],
            ),
            (
                "base negative",
                |r| r.new_base = Fen(-100),
                vec![(col::NEW_BASE, Code::BaseNotPositive)],
            ),
            ("base at min", |r| r.new_base = Fen::from_yuan(1700), vec![]),
            (
                "base below min",
                |r| r.new_base = Fen(169_999),
                vec![(col::NEW_BASE, Code::BaseBelowMin)],
            ),
            ("base at max", |r| r.new_base = Fen::from_yuan(21142), vec![]),
            (
                "base above max",
                |r| r.new_base = Fen(2_114_201),
                vec![(col::NEW_BASE, Code::BaseAboveMax)],
            ),
            (
                "month = due",
                |r| r.effective_month = Month::new(2026, 7).unwrap(),
                vec![],
            ),
            ("month = today", |r| r.effective_month = TODAY, vec![]),
            (
                "month before due",
                |r| r.effective_month = Month::new(2026, 6).unwrap(),
                vec![(col::EFFECTIVE_MONTH, Code::EffectiveMonthTooEarly)],
            ),
            (
                "month after today",
                |r| r.effective_month = TODAY.next(),
                vec![(col::EFFECTIVE_MONTH, Code::EffectiveMonthInFuture)],
            ),
        ];
        let p = hengyang(RoundTo::Fen);
        let u = unit(1200, 1200);
        for (what, mutate, want) in cases {
            let mut r = row(7);
            mutate(&mut r);
            let issues = check_one(r, &p, &u);
            let got: Vec<(&str, Code)> = issues.iter().map(|i| (i.column.as_str(), i.code)).collect();
            assert_eq!(got, want, "{what}: {issues:#?}");
            for issue in &issues {
                assert_eq!(issue.row, 7);
                assert!(
                    issue.message.contains('请'),
                    "{what}: message must say what to do: {}",
                    issue.message
                );
            }
        }
        // The lower-case x ID is accepted.
        let mut r = row(8);
        r.id_number = x_id;
        assert_eq!(check_one(r, &p, &u), vec![]);
    }

    #[test]
    fn base_messages_name_the_range() {
        let p = hengyang(RoundTo::Fen);
        let mut r = row(3);
        r.new_base = Fen::from_yuan(25_000);
        let issues = check_one(r, &p, &unit(1200, 1200));
        assert_eq!(
            issues[0].message,
            "调整后基数 25000.00 元超出 2026 年度缴存基数上限 21142.00 元，请改为 1700.00 至 21142.00 元之间"
        );
        let mut r = row(3);
        r.new_base = Fen::from_yuan(1500);
        let issues = check_one(r, &p, &unit(1200, 1200));
        assert_eq!(
            issues[0].message,
            "调整后基数 1500.00 元低于 2026 年度缴存基数下限 1700.00 元，请改为 1700.00 至 21142.00 元之间"
        );
    }

    #[test]
    fn monthly_limits_at_the_exact_boundaries() {
        // Base limits wide open so the amount limits bind; ends from the exactness test.
        let mut p = hengyang(RoundTo::Fen);
        p.base_min = Fen::from_yuan(1000);
        p.base_max = Fen::from_yuan(25_000);
        let high = unit(1200, 1200);
        let low = unit(500, 500);
        let cases: &[(&UnitFacts, i64, Option<Code>)] = &[
            (&high, 2_115_004, None),
            (&high, 2_115_005, Some(Code::MonthlyAboveMax)),
            (&low, 169_990, None),
            (&low, 169_989, Some(Code::MonthlyBelowMin)),
        ];
        for &(u, base, want) in cases {
            let mut r = row(9);
            r.new_base = Fen(base);
            let issues = check_one(r, &p, u);
            assert_eq!(issues.first().map(|i| i.code), want, "base {base}: {issues:#?}");
        }
        let mut r = row(9);
        r.new_base = Fen(2_115_005);
        let issues = check_one(r, &p, &high);
        assert_eq!(
            issues[0].message,
            "调整后基数 21150.05 元按单位比例 12%、个人比例 12% 计算（四舍五入到分），月缴存额合计 5076.02 元（单位 2538.01 元 + 个人 2538.01 元），超出 2026 年度月缴存额上限 5076.00 元。缴存基数调整区间：1000.00 - 21150.04，请将调整后基数改在此区间内"
        );
        assert!(issues[0].message.contains("缴存基数调整区间：1000.00 - 21150.04"));
        let mut r = row(9);
        r.new_base = Fen(169_989);
        let issues = check_one(r, &p, &low);
        assert!(
            issues[0].message.contains("低于 2026 年度月缴存额下限 170.00 元"),
            "{}",
            issues[0].message
        );
        assert!(
            issues[0].message.contains("缴存基数调整区间：1699.90 - 25000.00"),
            "{}",
            issues[0].message
        );
    }

    #[test]
    fn monthly_message_when_no_base_can_work() {
        let mut p = hengyang(RoundTo::Fen);
        p.monthly_min = Fen::from_yuan(6000);
        let issues = check_one(row(4), &p, &unit(1200, 1200));
        assert_eq!(codes(&issues), vec![(4, col::NEW_BASE, Code::MonthlyBelowMin)]);
        assert!(
            issues[0].message.contains("缴存比例调整"),
            "{}",
            issues[0].message
        );
    }

    #[test]
    fn effective_month_windows() {
        let p = hengyang(RoundTo::Fen);
        // Unit already paid through the current month: nothing can take effect yet.
        let mut ahead = unit(1200, 1200);
        ahead.paid_through = Some(TODAY);
        let issues = check_one(row(2), &p, &ahead);
        assert_eq!(
            codes(&issues),
            vec![(2, col::EFFECTIVE_MONTH, Code::EffectiveMonthTooEarly)]
        );
        assert!(issues[0].message.contains("202609"), "{}", issues[0].message);
        // Never remitted: due = first month.
        let mut fresh = unit(1200, 1200);
        fresh.paid_through = None;
        fresh.first_month = m(2026, 8);
        let issues = check_one(row(2), &p, &fresh);
        assert_eq!(
            codes(&issues),
            vec![(2, col::EFFECTIVE_MONTH, Code::EffectiveMonthTooEarly)]
        );
        assert!(
            issues[0].message.contains("单位尚未汇缴"),
            "{}",
            issues[0].message
        );
        // Window message names both ends.
        let mut r = row(2);
        r.effective_month = m(2026, 9);
        let issues = check_one(r, &p, &unit(1200, 1200));
        assert_eq!(
            issues[0].message,
            "生效年月 202609 晚于本月 202608，不能提前调整以后月份的基数；请填写 202607 至 202608 之间的年月"
        );
    }

    #[test]
    fn effective_month_outside_the_policy_year() {
        // A unit in arrears: 应汇缴年月 202605 lies in the previous policy year.
        let p = hengyang(RoundTo::Fen);
        let mut late = unit(1200, 1200);
        late.paid_through = Some(m(2026, 4));
        let mut r = row(2);
        r.effective_month = m(2026, 6);
        r.new_base = Fen::from_yuan(25_000); // not judged by the wrong year's limits
        let issues = check_one(r, &p, &late);
        assert_eq!(
            codes(&issues),
            vec![(2, col::EFFECTIVE_MONTH, Code::EffectiveMonthOutsidePolicy)]
        );
        assert!(
            issues[0].message.contains("202607 至 202706"),
            "{}",
            issues[0].message
        );
    }

    #[test]
    fn streaming_duplicates_name_the_earlier_row() {
        let p = hengyang(RoundTo::Fen);
        let u = unit(1200, 1200);
        let mut c = Checker::new(&p, &u, TODAY);
        let mut issues = Vec::new();
        let r2 = row(2);
        let r3 = row(3);
        let mut r4 = row(4);
        r4.account = r2.account.clone();
        let mut r5 = row(5);
        r5.id_number = r3.id_number.clone();
        let mut r6 = row(6);
        r6.account = "0".to_owned() + &row(6).account; // a leading zero makes a different account
        for r in [&r2, &r3, &r4, &r5, &r6] {
            c.push(r, &mut issues);
        }
        assert_eq!(
            codes(&issues),
            vec![
                (4, col::ACCOUNT, Code::DuplicateAccount),
                (5, col::ID_NUMBER, Code::DuplicateIdNumber)
            ]
        );
        assert!(
            issues[0].message.contains("与第 2 行重复"),
            "{}",
            issues[0].message
        );
        assert!(
            issues[1].message.contains("与第 3 行重复"),
            "{}",
            issues[1].message
        );
        assert!(
            !issues[1].message.contains(&r3.id_number),
            "ID numbers stay out of messages"
        );
        assert_eq!(c.rows_checked(), 5);
        c.finish(&mut issues);
        assert_eq!(issues.len(), 2);
    }

    #[test]
    fn duplicates_match_after_normalisation() {
        let p = hengyang(RoundTo::Fen);
        let u = unit(1200, 1200);
        let mut a = row(2);
        a.account = "AB12".into();
        a.id_number = {
            let mut n = 0;
            loop {
                let s = nth_id(n);
                if s.ends_with('X') {
                    break s;
                }
                n += 1;
            }
        };
        let mut b = row(3);
        b.account = "ab12".into();
        b.id_number = format!("\u{3000}{}", a.id_number.to_lowercase());
        let issues = check(&[a, b], &p, &u, TODAY);
        assert_eq!(
            codes(&issues),
            vec![
                (3, col::ACCOUNT, Code::DuplicateAccount),
                (3, col::ID_NUMBER, Code::DuplicateIdNumber)
            ]
        );
    }

    #[test]
    fn hundred_thousand_rows_stream_in_compact_memory() {
        let p = hengyang(RoundTo::Fen);
        let u = unit(1200, 1200);
        let mut c = Checker::new(&p, &u, TODAY);
        let mut issues = Vec::new();
        let mut r = row(0);
        for n in 0..100_000u32 {
            r.row = n + 2;
            r.account = format!("{:012}", 990_000_000_000u64 + u64::from(n));
            r.id_number = nth_id(n);
            c.push(&r, &mut issues);
        }
        assert_eq!(issues, vec![]);
        let bytes = c.approx_heap_bytes();
        assert!(bytes < 6 * 1024 * 1024, "duplicate tables use {bytes} bytes");
        // A repeat of row 50,002 is still caught at the very end.
        r.row = 100_002;
        r.account = format!("{:012}", 990_000_000_000u64 + 50_000);
        r.id_number = nth_id(50_000);
        c.push(&r, &mut issues);
        assert_eq!(codes(&issues).len(), 2);
        assert!(issues
            .iter()
            .all(|i| i.row == 100_002 && i.message.contains("与第 50002 行重复")));
    }

    #[test]
    fn sheet_level_issues() {
        let p = hengyang(RoundTo::Fen);
        let u = unit(1200, 1200);
        assert_eq!(codes(&check(&[], &p, &u, TODAY)), vec![(0, "", Code::NoRows)]);
        for (status, allowed) in [
            (UnitStatus::Normal, true),
            (UnitStatus::Opened, true),
            (UnitStatus::Deferred, true),
            (UnitStatus::Closed, false),
            (UnitStatus::Sealed, false),
            (UnitStatus::Other, false),
        ] {
            let mut su = u.clone();
            su.status = status;
            let issues = check(&[row(2)], &p, &su, TODAY);
            let want = if allowed {
                vec![]
            } else {
                vec![(0, "", Code::UnitStatusNotAllowed)]
            };
            assert_eq!(codes(&issues), want, "{status:?}");
            if !allowed {
                assert!(issues[0].message.contains(status.label()));
            }
        }
        let mut sealed = u.clone();
        sealed.status = UnitStatus::Sealed;
        assert_eq!(
            codes(&check(&[], &p, &sealed, TODAY)),
            vec![(0, "", Code::NoRows), (0, "", Code::UnitStatusNotAllowed)]
        );
    }

    #[test]
    fn check_orders_row_issues_then_sheet_issues() {
        let p = hengyang(RoundTo::Fen);
        let mut sealed = unit(1200, 1200);
        sealed.status = UnitStatus::Sealed;
        let mut bad = row(3);
        bad.name = "张".into();
        bad.new_base = Fen::ZERO;
        let rows = vec![row(2), bad];
        let issues = BaseAdjustment { rows }.check(&p, &sealed, TODAY);
        assert_eq!(
            codes(&issues),
            vec![
                (3, col::NAME, Code::NameTooShort),
                (3, col::NEW_BASE, Code::BaseNotPositive),
                (0, "", Code::UnitStatusNotAllowed)
            ]
        );
    }

    #[test]
    fn normalize_row() {
        let mut r = row(2);
        let id = r.id_number.clone();
        r.account = "\u{3000}９９１３\n1016 ".into();
        r.name = "阿依古丽．买买提".into();
        r.id_number = format!(" {} {}", &id[..6], id[6..].to_lowercase());
        r.note = Some("\u{3000}".into());
        r.normalize();
        assert_eq!(r.account, "99131016");
        assert_eq!(r.name, "阿依古丽·买买提");
        assert_eq!(r.id_number, id);
        assert_eq!(r.note, None);
        r.note = Some(" 工资上调 ".into());
        r.normalize();
        assert_eq!(r.note.as_deref(), Some("工资上调"));
    }

    #[test]
    fn wire_shape() {
        let mut r = row(2);
        r.note = Some("备注".into());
        let json = serde_json::to_value(BaseAdjustment {
            rows: vec![r.clone()],
        })
        .unwrap();
        let want = serde_json::json!({
            "rows": [{
                "row": 2,
                "account": "9913101600002",
                "name": "张三",
                "id_number": r.id_number,
                "old_base": 300_000,
                "new_base": 350_000,
                "effective_month": "202607",
                "note": "备注"
            }]
        });
        assert_eq!(json, want);
        let back: BaseAdjustment = serde_json::from_value(json).unwrap();
        assert_eq!(back.rows, vec![r]);
        // Optional fields may be absent or null.
        let minimal = serde_json::json!({"row": 2, "account": "1", "name": "张三", "id_number": "x",
            "new_base": 1, "effective_month": "202607"});
        let parsed: BaseAdjustmentRow = serde_json::from_value(minimal).unwrap();
        assert_eq!((parsed.old_base, parsed.note), (None, None));
        let amounts = serde_json::to_value(Amounts {
            unit: Fen(1),
            person: Fen(2),
            total: Fen(3),
        })
        .unwrap();
        assert_eq!(amounts, serde_json::json!({"unit": 1, "person": 2, "total": 3}));
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
                "调整前基数（元）",
                "调整后基数（元）",
                "生效年月",
                "备注"
            ]
        );
    }

    #[test]
    fn account_keys_are_exact() {
        assert_eq!(account_key("1"), account_key("1"));
        assert_ne!(account_key("1"), account_key("01"));
        assert_ne!(account_key("10"), account_key("A"));
        assert_eq!(account_key("ab"), account_key("AB"));
        assert!(account_key(&"Z".repeat(20)).is_some());
        assert_eq!(account_key(&"Z".repeat(21)), None);
        assert_eq!(account_key(""), None);
        assert_eq!(account_key("A-1"), None);
        // The narrow forms reach their ends without overflow; one character more is wide.
        assert!(matches!(account_key(&"9".repeat(18)), Some(AccountKey::Narrow(k)) if k < 1 << 63));
        assert!(matches!(account_key(&"9".repeat(19)), Some(AccountKey::Wide(_))));
        assert!(matches!(account_key(&"Z".repeat(12)), Some(AccountKey::Narrow(k)) if k >= 1 << 63));
        assert!(matches!(account_key(&"Z".repeat(13)), Some(AccountKey::Wide(_))));
        // Digit-only and mixed keys never meet: the largest digit-only key is below every mixed one.
        assert_ne!(account_key("1"), account_key("0"));
        assert_ne!(account_key("000000000000"), account_key("00000000000A"));
    }
}
