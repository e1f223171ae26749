//! 缴存人登记 (个人开户, Bijie `IndiAcctSetPost`): a unit registers new contributors, as an Excel batch or one
//! person at a time. The wire rows, the code tables they use (证件类型 附A.1, 性别 GB/T 2261.1) and the rule
//! checker.
//!
//! Rules (REFERENCE §B3 个人开户, §D3, §D5, §F1/§F2):
//! - 证件号码 per 证件类型: a 身份证 passes GB 11643 (MOD 11-2, real birth date, not born in the future); the
//!   other types have no check character, so only their shape is checked.
//! - 性别 and 出生年月 come from the 身份证号码; when the clerk fills them anyway they must agree with it. For the
//!   other types they cannot be derived and are required (the person record needs both, JGJ/T 320 表4.0.3).
//! - Nobody under 16 at the 首次汇缴年月 (劳动法 第十五条: no employment under 16) [I].
//! - 手机号码 is required: the template marks it so (§F1). Chengdu accepts a mobile *or* a landline (§A1), but a
//!   centre today sends 缴存/提取 notices by SMS and uses the mobile as the person's online login, and the
//!   uniqueness rule (§D6) is on 手机 — so we require it and keep 固定电话 optional [I].
//! - 首次汇缴年月 not before the unit's 首次汇缴年月 (Bijie `IndiAcctSetImpl`), and not after next month: a new
//!   employee starts contributing in the month after joining (《住房公积金管理条例》第十五条), so a clerk who
//!   registers on the hiring day needs next month; anything later is registered when it comes [I].
//! - 个人缴存基数 within the policy year's base limits and 月缴存额 (each side rounded, REFERENCE §B4) within the
//!   monthly limits, with the allowed base range in the message — the amounts come from
//!   [`base_adjustment::amounts`] / [`base_adjustment::allowed_base_range`], one implementation for every
//!   business. The policy year is the one in force when registering: it governs the base from now on.
//! - 证件号码 and 手机号码 unique within the submission. Uniqueness among the centre's open accounts is a
//!   database fact: the gateway checks it (and never says where the other account is).
//!
//! The same [`Checker`] runs in the client before sending and in the gateway on receipt.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::base_adjustment::{self, allowed_base_range};
use crate::code_table::{CodeEntry, CodeTable};
use crate::dedup::{hash_map_heap_bytes, FirstRows};
use crate::ids::{
    check_landline, check_mobile, id_check_char, looks_like_number_cell, name_form, normalize_code,
    normalize_name, normalize_text, IdCard, IdFacts, Sex,
};
use crate::issue::{Code, Issue};
use crate::money::Fen;
use crate::month::Month;
use crate::policy::Policy;
use crate::unit::{UnitFacts, UnitStatus};

/// Column titles of the 缴存人登记 template, in template order; also the `column` of every [`Issue`].
pub mod col {
    /// 序号.
    pub const SEQ: &str = "序号";
    /// 姓名 (XingMing).
    pub const NAME: &str = "姓名";
    /// 证件类型 (ZJLX, JGJ/T 320 附A.1).
    pub const ID_TYPE: &str = "证件类型";
    /// 证件号码 (ZJHM).
    pub const ID_NUMBER: &str = "证件号码";
    /// 性别 (XingBie, GB/T 2261.1) — derived from a 身份证号码.
    pub const SEX: &str = "性别";
    /// 出生年月 (CSNY) — derived from a 身份证号码.
    pub const BIRTH_MONTH: &str = "出生年月";
    /// 手机号码 (SJHM).
    pub const MOBILE: &str = "手机号码";
    /// 固定电话 (GDDHHM).
    pub const LANDLINE: &str = "固定电话";
    /// 个人缴存基数（元） (GRJCJS).
    pub const BASE: &str = "个人缴存基数（元）";
    /// 首次汇缴年月 (GJJSCHJNY).
    pub const FIRST_MONTH: &str = "首次汇缴年月";
    /// 个人存款账户号码 (GRCKZHHM).
    pub const BANK_ACCOUNT: &str = "个人存款账户号码";
    /// 开户银行 (GRCKZHKHYHMC).
    pub const BANK_NAME: &str = "开户银行";
    /// 备注.
    pub const NOTE: &str = "备注";
    /// All titles in template order.
    pub const ALL: [&str; 13] = [
        SEQ,
        NAME,
        ID_TYPE,
        ID_NUMBER,
        SEX,
        BIRTH_MONTH,
        MOBILE,
        LANDLINE,
        BASE,
        FIRST_MONTH,
        BANK_ACCOUNT,
        BANK_NAME,
        NOTE,
    ];
}

/// The youngest a contributor can be at the 首次汇缴年月 (劳动法 第十五条) [I].
pub const MIN_AGE_YEARS: i32 = 16;

/// 个人证件类型, JGJ/T 320 附A.1 (REFERENCE §B2: trust the DDL comment, where 护照 is 03).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdType {
    /// 01 身份证 (居民身份证, GB 11643).
    IdCard,
    /// 02 军官证.
    OfficerCard,
    /// 03 护照.
    Passport,
    /// 04 外国人永久居留证.
    ForeignPermanentResident,
    /// 99 其他.
    Other,
}

impl IdType {
    /// Every type, in code order.
    pub const ALL: [IdType; 5] = [
        IdType::IdCard,
        IdType::OfficerCard,
        IdType::Passport,
        IdType::ForeignPermanentResident,
        IdType::Other,
    ];

    /// The two-digit code.
    pub const fn code(self) -> &'static str {
        match self {
            IdType::IdCard => "01",
            IdType::OfficerCard => "02",
            IdType::Passport => "03",
            IdType::ForeignPermanentResident => "04",
            IdType::Other => "99",
        }
    }

    /// The Chinese label.
    pub const fn label(self) -> &'static str {
        match self {
            IdType::IdCard => "身份证",
            IdType::OfficerCard => "军官证",
            IdType::Passport => "护照",
            IdType::ForeignPermanentResident => "外国人永久居留证",
            IdType::Other => "其他",
        }
    }

    /// Reads what a clerk types: the code ("01", or "1" as Chengdu's list and a Number cell have it), the label
    /// ("身份证", "居民身份证" …), or a drop-down entry "01 身份证" / "01-身份证" (REFERENCE §F2) — the lookup of
    /// [`ID_TYPES`].
    pub fn parse(s: &str) -> Option<IdType> {
        // A code exactly as stored (a checked row's own): what the lookup would find, without it.
        if let Some(t) = IdType::ALL.into_iter().find(|t| t.code() == s) {
            return Some(t);
        }
        let code = ID_TYPES.find(s)?.code;
        IdType::ALL.into_iter().find(|t| t.code() == code)
    }

    /// "01 身份证、02 军官证、…": the choices, for messages.
    pub fn choices() -> String {
        ID_TYPES.describe()
    }
}

/// 证件类型 as a code table (JGJ/T 320 附A.1), for lenient cell lookups and the template's drop-down.
pub const ID_TYPES: CodeTable = CodeTable {
    name: "证件类型",
    entries: &[
        CodeEntry {
            code: "01",
            label: "身份证",
            aliases: &["居民身份证", "二代身份证", "身份证号"],
        },
        CodeEntry {
            code: "02",
            label: "军官证",
            aliases: &["军人证"],
        },
        CodeEntry {
            code: "03",
            label: "护照",
            aliases: &[],
        },
        CodeEntry {
            code: "04",
            label: "外国人永久居留证",
            aliases: &["外国人永久居留身份证", "永久居留证", "外国人居留证"],
        },
        CodeEntry {
            code: "99",
            label: "其他",
            aliases: &["其它"],
        },
    ],
};

/// 性别 as a code table (GB/T 2261.1: 1 男, 2 女).
pub const SEXES: CodeTable = CodeTable {
    name: "性别",
    entries: &[
        CodeEntry {
            code: "1",
            label: "男",
            aliases: &["男性", "M", "m"],
        },
        CodeEntry {
            code: "2",
            label: "女",
            aliases: &["女性", "F", "f"],
        },
    ],
};

/// Reads a 性别 cell: 男/女, the GB/T 2261.1 codes 1/2, or "1 男" from a drop-down — the lookup of [`SEXES`].
pub fn parse_sex(s: &str) -> Option<Sex> {
    match SEXES.find(s)?.code {
        "1" => Some(Sex::Male),
        _ => Some(Sex::Female),
    }
}

/// One row of a 缴存人登记 submission — the client↔gateway wire contract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContributorRegistrationRow {
    /// The Excel row number the user sees (1 for a single registration), used in every issue about this row.
    pub row: u32,
    /// 姓名.
    pub name: String,
    /// 证件类型 code (附A.1: "01" … "99").
    pub id_type: String,
    /// 证件号码.
    pub id_number: String,
    /// 性别 code (GB/T 2261.1: "1" 男, "2" 女) when filled in; derived from a 身份证号码 otherwise.
    pub sex: Option<String>,
    /// 出生年月 when filled in; derived from a 身份证号码 otherwise.
    pub birth_month: Option<Month>,
    /// 手机号码.
    pub mobile: String,
    /// 固定电话.
    pub landline: Option<String>,
    /// 个人缴存基数.
    pub base: Fen,
    /// 首次汇缴年月.
    pub first_month: Month,
    /// 个人存款账户号码.
    pub bank_account: Option<String>,
    /// 个人存款账户开户银行.
    pub bank_name: Option<String>,
    /// 备注.
    pub note: Option<String>,
}

impl ContributorRegistrationRow {
    /// Normalises the row in place the way the checker reads it: codes to their canonical form (a label that
    /// names a 证件类型/性别 becomes its code), the 证件号码 through [`normalize_code`], the name through
    /// [`normalize_name`], phone and bank numbers without grouping blanks/hyphens, empty optional text → `None`.
    /// Both sides should store the normalised form.
    pub fn normalize(&mut self) {
        self.name = normalize_name(&self.name);
        if let Some(t) = IdType::parse(&self.id_type) {
            self.id_type = t.code().to_owned();
        } else {
            self.id_type = normalize_text(&self.id_type).into_owned();
        }
        self.id_number = normalize_code(&self.id_number).into_owned();
        self.sex = self.sex.as_deref().and_then(|s| {
            let t = normalize_text(s);
            if t.is_empty() {
                None
            } else {
                Some(parse_sex(&t).map_or_else(|| t.into_owned(), |s| s.code().to_owned()))
            }
        });
        self.mobile = mobile_text(&self.mobile).into_owned();
        let opt = |v: &Option<String>, f: fn(&str) -> Cow<'_, str>| {
            v.as_deref().map(f).filter(|t| !t.is_empty()).map(Cow::into_owned)
        };
        self.landline = opt(&self.landline, normalize_text);
        self.bank_account = opt(&self.bank_account, bank_text);
        self.bank_name = opt(&self.bank_name, normalize_text);
        self.note = opt(&self.note, normalize_text);
    }
}

/// A whole 缴存人登记 submission (the request payload): a sheet, or a single registration (one row).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContributorRegistration {
    /// The rows in sheet order.
    pub rows: Vec<ContributorRegistrationRow>,
}

impl ContributorRegistration {
    /// Runs [`check`] over all rows.
    pub fn check(&self, policy: &Policy, unit: &UnitFacts, today: Month) -> Vec<Issue> {
        check(&self.rows, policy, unit, today)
    }
}

/// 性别 and 出生年月 of a row as the centre records them: from a valid 身份证号码 when there is one (it is
/// authoritative), otherwise as filled in. `None` where neither is available.
pub fn person_facts(row: &ContributorRegistrationRow) -> (Option<Sex>, Option<Month>) {
    if IdType::parse(&row.id_type) == Some(IdType::IdCard) {
        if let Ok(card) = IdCard::parse(&row.id_number) {
            return (Some(card.sex), card.birth_month());
        }
    }
    (row.sex.as_deref().and_then(parse_sex), row.birth_month)
}

/// Checks a whole submission: every row through [`Checker::push`], then [`Checker::finish`].
/// Row issues come first, in row order; sheet-level issues (row 0) last.
pub fn check(
    rows: &[ContributorRegistrationRow],
    policy: &Policy,
    unit: &UnitFacts,
    today: Month,
) -> Vec<Issue> {
    let mut checker = Checker::new(policy, unit, today);
    let mut issues = Vec::new();
    for row in rows {
        checker.push(row, &mut issues);
    }
    checker.finish(&mut issues);
    issues
}

/// A streaming checker: feed rows one at a time, so a 100,000-row sheet is checked without holding the rows.
///
/// Duplicate detection keeps a compact key per valid 18-digit 证件号码 (8 bytes: the 17 digits that determine
/// the check character) and per 手机号码 (8 bytes), with the first row number; the rare other 证件 numbers are
/// kept as text.
#[derive(Debug)]
pub struct Checker {
    policy: Policy,
    unit: UnitFacts,
    today: Month,
    latest_first: Month,
    range: (Fen, Fen),
    pushed: u64,
    ids: FirstRows<u64>,
    other_ids: HashMap<String, u32>,
    mobiles: FirstRows<u64>,
}

impl Checker {
    /// A checker for one submission of `unit` under `policy` (the policy year in force now), with `today` the
    /// current month (passed in: the domain reads no clock).
    pub fn new(policy: &Policy, unit: &UnitFacts, today: Month) -> Checker {
        Checker {
            policy: policy.clone(),
            unit: unit.clone(),
            today,
            latest_first: today.next(),
            range: allowed_base_range(unit, policy),
            pushed: 0,
            ids: FirstRows::new(),
            other_ids: HashMap::new(),
            mobiles: FirstRows::new(),
        }
    }

    /// The months a 首次汇缴年月 may take: from the unit's 首次汇缴年月 to next month.
    pub fn first_month_window(&self) -> (Month, Month) {
        (self.unit.first_month, self.latest_first)
    }

    /// How many rows have been pushed.
    pub fn rows_checked(&self) -> u64 {
        self.pushed
    }

    /// Approximate heap bytes held by the duplicate tables, for capacity planning and the memory test.
    pub fn approx_heap_bytes(&self) -> usize {
        let others: usize = self.other_ids.keys().map(String::capacity).sum();
        self.ids.heap_bytes()
            + self.mobiles.heap_bytes()
            + hash_map_heap_bytes::<String, u32>(self.other_ids.capacity())
            + others
    }

    /// Checks one row and appends its issues in column order; duplicates of 证件号码 / 手机号码 against earlier
    /// rows are reported on the later row, naming the earlier row number.
    pub fn push(&mut self, row: &ContributorRegistrationRow, issues: &mut Vec<Issue>) {
        self.pushed += 1;
        let r = row.row;
        check_name(r, &row.name, issues);
        let id_type = self.check_id_type(r, &row.id_type, issues);
        let card = self.check_id_number(r, id_type, &row.id_number, issues);
        let birth = self.check_sex_and_birth(r, id_type, card.as_ref(), row, issues);
        self.check_mobile(r, &row.mobile, issues);
        if let Some(l) = row
            .landline
            .as_deref()
            .map(normalize_text)
            .filter(|l| !l.is_empty())
        {
            if let Err(e) = check_landline(&l) {
                issues.push(Issue::new(r, col::LANDLINE, e.code(), e.to_string()));
            }
        }
        self.check_base(r, row.base, issues);
        self.check_first_month(r, row.first_month, issues);
        if let Some(birth) = birth {
            self.check_age(r, birth, row.first_month, issues);
        }
        if let Some(a) = row
            .bank_account
            .as_deref()
            .map(bank_text)
            .filter(|a| !a.is_empty())
        {
            check_bank_account(r, &a, issues);
        }
    }

    /// Sheet-level checks after the last row: no rows at all, and a unit status that does not allow 缴存
    /// business (only 正常, 开户 and 缓缴 do).
    pub fn finish(self, issues: &mut Vec<Issue>) {
        if self.pushed == 0 && !issues.iter().any(|i| i.code == Code::NoRows) {
            issues.push(Issue::sheet(
                Code::NoRows,
                "没有要登记的缴存人，请至少填写一名职工的信息后再提交",
            ));
        }
        let status: UnitStatus = self.unit.status;
        if !status.allows_deposit_business() {
            issues.push(Issue::sheet(
                Code::UnitStatusNotAllowed,
                format!(
                    "单位账户状态为“{}”（{}），只有正常、开户、缓缴状态的单位可以办理缴存人登记；请先办理启封等相应业务，或联系公积金中心",
                    status.label(),
                    status.code()
                ),
            ));
        }
    }

    fn check_id_type(&self, r: u32, id_type: &str, issues: &mut Vec<Issue>) -> Option<IdType> {
        let t = normalize_text(id_type);
        if t.is_empty() {
            issues.push(Issue::new(
                r,
                col::ID_TYPE,
                Code::Required,
                format!("证件类型为空，请填写代码或名称：{}", IdType::choices()),
            ));
            return None;
        }
        let parsed = IdType::parse(&t);
        if parsed.is_none() {
            issues.push(Issue::new(
                r,
                col::ID_TYPE,
                Code::IdTypeInvalid,
                format!(
                    "证件类型“{t}”不是可选的类型，请改为代码或名称：{}",
                    IdType::choices()
                ),
            ));
        }
        parsed
    }

    /// Returns the parsed 身份证 when the type is 身份证 and the number is valid.
    fn check_id_number(
        &mut self,
        r: u32,
        id_type: Option<IdType>,
        id_number: &str,
        issues: &mut Vec<Issue>,
    ) -> Option<IdFacts> {
        let t = normalize_code(id_number);
        if t.is_empty() {
            let what = id_type.map_or("证件", IdType::label);
            issues.push(Issue::new(
                r,
                col::ID_NUMBER,
                Code::Required,
                format!("证件号码为空，请填写职工的{what}号码"),
            ));
            return None;
        }
        if looks_like_number_cell(&t) {
            issues.push(Issue::new(
                r,
                col::ID_NUMBER,
                Code::IdStoredAsNumber,
                "证件号码被 Excel 当成数字保存（显示为科学计数法），后几位已经丢失、无法恢复；请把证件号码列设为“文本”格式（或在号码前加英文单引号 '）后重新录入",
            ));
            return None;
        }
        // An unknown type is reported on its own cell; the number cannot be judged without it.
        let id_type = id_type?;
        let mut card = None;
        let key = match id_type {
            IdType::IdCard => match IdFacts::parse(&t) {
                Ok(c) => {
                    if c.birth_month().is_none_or(|born| born > self.today) {
                        issues.push(Issue::new(
                            r,
                            col::ID_NUMBER,
                            Code::IdNumberBirthDate,
                            format!("身份证号码中的出生年月晚于本月 {}，请核对第 7–14 位", self.today),
                        ));
                    }
                    card = Some(c);
                    Some(Key::Digits(c.key))
                }
                Err(e) => {
                    issues.push(Issue::new(r, col::ID_NUMBER, e.code(), e.to_string()));
                    return None;
                }
            },
            other => match other_number_problem(other, &t) {
                Some(message) => {
                    issues.push(Issue::new(
                        r,
                        col::ID_NUMBER,
                        Code::CertificateNumberInvalid,
                        message,
                    ));
                    return None;
                }
                // An 18-digit permanent-residence number has a check character like a 身份证: compact key.
                None => Some(id_key(&t).map_or_else(|| Key::Text(t.into_owned()), Key::Digits)),
            },
        };
        let first = match key {
            Some(Key::Digits(k)) => self.ids.first_or_insert(k, r),
            Some(Key::Text(k)) => match self.other_ids.entry(k) {
                Entry::Occupied(first) => Some(*first.get()),
                Entry::Vacant(slot) => {
                    slot.insert(r);
                    None
                }
            },
            None => None,
        };
        if let Some(first) = first {
            issues.push(Issue::new(
                r,
                col::ID_NUMBER,
                Code::DuplicateIdNumber,
                format!("证件号码与第 {first} 行重复，同一职工只能登记一次，请删除重复行"),
            ));
        }
        card
    }

    /// 性别 and 出生年月: cross-checked against a valid 身份证, required otherwise. Returns the birth month to
    /// judge the age by, when known.
    fn check_sex_and_birth(
        &self,
        r: u32,
        id_type: Option<IdType>,
        card: Option<&IdFacts>,
        row: &ContributorRegistrationRow,
        issues: &mut Vec<Issue>,
    ) -> Option<Month> {
        let sex_text = row.sex.as_deref().map(normalize_text).filter(|s| !s.is_empty());
        let sex = match sex_text.as_deref() {
            None => None,
            Some(s) => match parse_sex(s) {
                Some(sex) => Some(sex),
                None => {
                    issues.push(Issue::new(
                        r,
                        col::SEX,
                        Code::SexInvalid,
                        format!("性别“{s}”无法识别，请填写“男”或“女”（或代码 1 男、2 女）；身份证登记的可以留空，系统按证件号码自动填写"),
                    ));
                    None
                }
            },
        };
        if let Some(card) = card {
            if let Some(given) = sex.filter(|s| *s != card.sex) {
                issues.push(Issue::new(
                    r,
                    col::SEX,
                    Code::SexMismatch,
                    format!(
                        "性别填写为“{}”，但身份证号码第 17 位表示“{}”；请核对性别和证件号码（性别可以留空，系统按证件号码自动填写）",
                        given.label(),
                        card.sex.label()
                    ),
                ));
            }
            let derived = card.birth_month();
            if let (Some(given), Some(derived)) = (row.birth_month, derived) {
                if given != derived {
                    issues.push(Issue::new(
                        r,
                        col::BIRTH_MONTH,
                        Code::BirthMonthMismatch,
                        format!(
                            "出生年月填写为 {given}，但身份证号码中的出生年月是 {derived}；请核对出生年月和证件号码（出生年月可以留空，系统按证件号码自动填写）"
                        ),
                    ));
                }
            }
            // A birth date in the future already has its own issue on the 证件号码.
            return derived.filter(|b| *b <= self.today);
        }
        // Not a (valid) 身份证: nothing can be derived. An invalid 身份证 is already reported on its own cell.
        let id_type = id_type.filter(|t| *t != IdType::IdCard)?;
        if sex_text.is_none() {
            issues.push(Issue::new(
                r,
                col::SEX,
                Code::Required,
                format!(
                    "证件类型为{}，无法从证件号码得出性别，请填写“男”或“女”",
                    id_type.label()
                ),
            ));
        }
        match row.birth_month {
            None => {
                issues.push(Issue::new(
                    r,
                    col::BIRTH_MONTH,
                    Code::Required,
                    format!(
                        "证件类型为{}，无法从证件号码得出出生年月，请按证件填写，如 199005",
                        id_type.label()
                    ),
                ));
                None
            }
            Some(b) => Some(b),
        }
    }

    fn check_age(&self, r: u32, birth: Month, first: Month, issues: &mut Vec<Issue>) {
        let adult = birth.checked_add_months(MIN_AGE_YEARS * 12);
        if adult.is_some_and(|a| a <= first) {
            return;
        }
        issues.push(Issue::new(
            r,
            col::BIRTH_MONTH,
            Code::ContributorUnderage,
            format!(
                "按出生年月 {birth}，到首次汇缴年月 {first} 时未满 {MIN_AGE_YEARS} 周岁，不能登记为缴存职工；请核对证件号码、出生年月和首次汇缴年月"
            ),
        ));
    }

    fn check_mobile(&mut self, r: u32, mobile: &str, issues: &mut Vec<Issue>) {
        let m = mobile_text(mobile);
        if m.is_empty() {
            issues.push(Issue::new(
                r,
                col::MOBILE,
                Code::Required,
                "手机号码为空，请填写职工本人的 11 位手机号码（中心用它发送缴存、提取通知，也是职工网上办事的登录号码）",
            ));
            return;
        }
        if let Err(e) = check_mobile(&m) {
            issues.push(Issue::new(r, col::MOBILE, e.code(), e.to_string()));
            return;
        }
        let Ok(key) = m.parse::<u64>() else { return };
        if let Some(first) = self.mobiles.first_or_insert(key, r) {
            issues.push(Issue::new(
                r,
                col::MOBILE,
                Code::DuplicateMobile,
                format!("手机号码与第 {first} 行重复，每名职工须登记本人的手机号码，请核对"),
            ));
        }
    }

    fn check_base(&self, r: u32, base: Fen, issues: &mut Vec<Issue>) {
        let p = &self.policy;
        // Messages are built only for rows that fail: this runs on every row of large sheets.
        let between = || format!("请改为 {} 至 {} 元之间", p.base_min, p.base_max);
        if !base.is_positive() {
            issues.push(Issue::new(
                r,
                col::BASE,
                Code::BaseNotPositive,
                format!("个人缴存基数 {base} 元不正确，应大于 0；{}", between()),
            ));
            return;
        }
        if base < p.base_min || base > p.base_max {
            let (code, word, limit) = if base < p.base_min {
                (Code::BaseBelowMin, "低于", ("下限", p.base_min))
            } else {
                (Code::BaseAboveMax, "超出", ("上限", p.base_max))
            };
            issues.push(Issue::new(
                r,
                col::BASE,
                code,
                format!(
                    "个人缴存基数 {base} 元{word} {} 年度缴存基数{} {} 元，{}",
                    p.year,
                    limit.0,
                    limit.1,
                    between()
                ),
            ));
            return;
        }
        let a = base_adjustment::amounts(base, &self.unit, p);
        let (code, word, limit) = if a.total < p.monthly_min {
            (Code::MonthlyBelowMin, "低于", ("下限", p.monthly_min))
        } else if a.total > p.monthly_max {
            (Code::MonthlyAboveMax, "超出", ("上限", p.monthly_max))
        } else {
            return;
        };
        let (lo, hi) = self.range;
        let advice = if lo <= hi {
            format!("缴存基数区间：{lo} - {hi}，请将个人缴存基数改在此区间内")
        } else {
            "按本单位现行缴存比例，没有任何缴存基数能使月缴存额落在限额内，请先办理缴存比例调整或联系公积金中心".to_owned()
        };
        issues.push(Issue::new(
            r,
            col::BASE,
            code,
            format!(
                "个人缴存基数 {base} 元按单位比例 {}、个人比例 {} 计算（{}），月缴存额合计 {} 元（单位 {} 元 + 个人 {} 元），{word} {} 年度月缴存额{} {} 元。{advice}",
                self.unit.unit_rate,
                self.unit.person_rate,
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

    fn check_first_month(&self, r: u32, month: Month, issues: &mut Vec<Issue>) {
        let (earliest, latest) = self.first_month_window();
        // Formatted only for a row that fails: this runs on every row.
        let window = || format!("请填写 {earliest} 至 {latest} 之间的年月");
        if month < earliest {
            issues.push(Issue::new(
                r,
                col::FIRST_MONTH,
                Code::FirstMonthTooEarly,
                format!(
                    "首次汇缴年月 {month} 早于本单位的首次汇缴年月 {earliest}，职工不能早于单位开始缴存；{}",
                    window()
                ),
            ));
        } else if month > latest {
            issues.push(Issue::new(
                r,
                col::FIRST_MONTH,
                Code::FirstMonthInFuture,
                format!(
                    "首次汇缴年月 {month} 晚于下月 {latest}。新参加工作的职工从参加工作的第二个月开始缴存，最晚可登记到下月；{}，或到时再办理登记",
                    window()
                ),
            ));
        }
    }
}

enum Key {
    Digits(u64),
    Text(String),
}

fn check_name(r: u32, name: &str, issues: &mut Vec<Issue>) {
    let n = name_form(name);
    let problem = if n.is_empty() {
        Some((Code::Required, "姓名为空，请填写与证件一致的姓名".to_owned()))
    } else if n.chars().nth(1).is_none() {
        Some((
            Code::NameTooShort,
            format!("姓名“{n}”少于 2 个字，请填写与证件一致的完整姓名"),
        ))
    } else if n.chars().any(|c| c.is_ascii_digit()) {
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

/// What is wrong with the number of a 证件 that has no check character (all but 身份证), if anything. The
/// shapes are what the documents look like [I]: 军官证 "南字第123456号", passports 5–20 letters/digits, the
/// 外国人永久居留证 as 3 letters + 12 digits (2004 format) or 18 characters starting with 9 whose last one is a
/// MOD 11-2 check character (2017 format).
pub(crate) fn other_number_problem(id_type: IdType, n: &str) -> Option<String> {
    let len = n.chars().count();
    let has_digit = n.chars().any(|c| c.is_ascii_digit());
    match id_type {
        IdType::IdCard => None,
        IdType::OfficerCard => {
            let ok =
                (4..=30).contains(&len) && has_digit && n.chars().all(|c| c.is_alphanumeric() || c == '-');
            (!ok).then(|| {
                "军官证号码应为 4–30 位文字、字母或数字（如“南字第123456号”），请对照证件核对".to_owned()
            })
        }
        IdType::Passport => {
            let ok = (5..=20).contains(&len) && has_digit && n.bytes().all(|b| b.is_ascii_alphanumeric());
            (!ok).then(|| {
                "护照号码应为 5–20 位字母或数字（如 E12345678），请对照护照核对，不要填写空格或符号"
                    .to_owned()
            })
        }
        IdType::ForeignPermanentResident => {
            let b = n.as_bytes();
            let old = len == 15
                && b[..3].iter().all(u8::is_ascii_uppercase)
                && b[3..].iter().all(u8::is_ascii_digit);
            let new =
                len == 18 && b[0] == b'9' && n.get(..17).and_then(id_check_char) == Some(char::from(b[17]));
            (!old && !new).then(|| {
                "外国人永久居留证号码应为 15 位（3 位字母 + 12 位数字）或 18 位（以 9 开头，末位为校验码）；请对照证件逐位核对".to_owned()
            })
        }
        IdType::Other => {
            let ok = (2..=30).contains(&len) && n.chars().all(|c| c.is_alphanumeric() || c == '-');
            (!ok).then(|| {
                "证件号码应为 2–30 位文字、字母或数字，请对照证件核对，不要填写空格或符号".to_owned()
            })
        }
    }
}

pub(crate) fn check_bank_account(r: u32, a: &str, issues: &mut Vec<Issue>) {
    let message = if looks_like_number_cell(a) {
        "个人存款账户号码被 Excel 当成数字保存，16 位以上的卡号最后几位已经丢失；请把该列设为“文本”格式后重新填写".to_owned()
    } else if !a.bytes().all(|b| b.is_ascii_digit()) || !(9..=32).contains(&a.len()) {
        format!(
            "个人存款账户号码应为 9–32 位数字（银行卡号或存折账号），当前为“{a}”；请对照银行卡或存折核对，或留空"
        )
    } else {
        return;
    };
    issues.push(Issue::new(
        r,
        col::BANK_ACCOUNT,
        Code::BankAccountInvalid,
        message,
    ));
}

/// The 17 digits that determine an 18-character number with a MOD 11-2 check character, as an integer.
fn id_key(n: &str) -> Option<u64> {
    let first17 = n.get(..17)?;
    if n.len() != 18 || !first17.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    first17.parse().ok()
}

/// A mobile number without the blanks and hyphens people group it with, and without a +86 / 0086 prefix.
pub(crate) fn mobile_text(s: &str) -> Cow<'_, str> {
    // Eleven digits as typed: already the number.
    if s.len() == 11 && s.bytes().all(|b| b.is_ascii_digit()) {
        return Cow::Borrowed(s);
    }
    let t = normalize_text(s);
    if t.bytes().all(|b| b.is_ascii_digit()) && t.len() == 11 {
        return t;
    }
    let compact: String = t.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    let stripped = compact
        .strip_prefix("+86")
        .or_else(|| compact.strip_prefix("0086"))
        .filter(|rest| rest.len() == 11)
        .unwrap_or(&compact);
    Cow::Owned(stripped.to_owned())
}

/// A bank account number without grouping blanks and hyphens ("6222 0212 …").
pub(crate) fn bank_text(s: &str) -> Cow<'_, str> {
    let t = normalize_text(s);
    if t.chars().any(|c| c.is_whitespace() || c == '-') {
        Cow::Owned(t.chars().filter(|c| !c.is_whitespace() && *c != '-').collect())
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rate::Rate;
    use crate::rounding::RoundTo;

    fn m(year: i32, month: u32) -> Month {
        Month::new(year, month).unwrap()
    }

    const TODAY: Month = match Month::new(2026, 11) {
        Some(t) => t,
        None => Month::MIN,
    };

    /// 衡阳 figures from REFERENCE §C (secondary source; test data only).
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
            person_rate: Rate(1200),
            first_month: m(2015, 7),
            paid_through: Some(m(2026, 9)),
        }
    }

    fn id(first17: &str) -> String {
        format!("{first17}{}", id_check_char(first17).unwrap())
    }

    /// The n-th distinct valid ID number, born 1980–1990 (n < 336,000); odd n male.
    fn nth_id(n: u32) -> String {
        let seq = n % 1000;
        let day = (n / 1000) % 28 + 1;
        let month = (n / 28_000) % 12 + 1;
        id(&format!(
            "430405{:04}{month:02}{day:02}{seq:03}",
            1980 + n / 336_000
        ))
    }

    fn row(r: u32) -> ContributorRegistrationRow {
        ContributorRegistrationRow {
            row: r,
            name: "李四".into(),
            id_type: "01".into(),
            id_number: nth_id(r),
            sex: None,
            birth_month: None,
            mobile: format!("138{:08}", r),
            landline: None,
            base: Fen::from_yuan(6000),
            first_month: m(2026, 11),
            bank_account: None,
            bank_name: None,
            note: None,
        }
    }

    fn codes(issues: &[Issue]) -> Vec<(u32, &str, Code)> {
        issues
            .iter()
            .map(|i| (i.row, i.column.as_str(), i.code))
            .collect()
    }

    fn check_one(r: ContributorRegistrationRow) -> Vec<Issue> {
        let mut c = Checker::new(&hengyang(), &unit(), TODAY);
        let mut issues = Vec::new();
        c.push(&r, &mut issues);
        issues
    }

    #[test]
    fn a_clean_row_has_no_issues() {
        assert_eq!(check_one(row(5)), vec![]);
        let mut r = row(5);
        let card = IdCard::parse(&r.id_number).unwrap();
        r.sex = Some(card.sex.code().into());
        r.birth_month = card.birth_month();
        r.landline = Some("0734-8123456".into());
        r.bank_account = Some("6222 0212 3456 7890 123".into());
        r.bank_name = Some("中国工商银行衡阳分行".into());
        assert_eq!(check_one(r), vec![]);
    }

    #[test]
    fn id_types_accept_codes_labels_and_dropdown_entries() {
        for (s, t) in [
            ("01", IdType::IdCard),
            ("1", IdType::IdCard),
            ("身份证", IdType::IdCard),
            ("居民身份证", IdType::IdCard),
            ("01 身份证", IdType::IdCard),
            ("01-身份证", IdType::IdCard),
            ("０１", IdType::IdCard),
            ("02", IdType::OfficerCard),
            ("3", IdType::Passport),
            ("护照", IdType::Passport),
            ("04 外国人永久居留证", IdType::ForeignPermanentResident),
            ("99", IdType::Other),
            ("其它", IdType::Other),
        ] {
            assert_eq!(IdType::parse(s), Some(t), "{s}");
        }
        for s in ["", "5", "00", "01 护照", "驾驶证", "100"] {
            assert_eq!(IdType::parse(s), None, "{s}");
        }
        for t in IdType::ALL {
            assert_eq!(IdType::parse(t.code()), Some(t));
            assert_eq!(IdType::parse(t.label()), Some(t));
        }
        assert_eq!(parse_sex("男"), Some(Sex::Male));
        assert_eq!(parse_sex(" 2 "), Some(Sex::Female));
        assert_eq!(parse_sex("2 女"), Some(Sex::Female));
        assert_eq!(parse_sex("未知"), None);
    }

    #[test]
    fn one_failing_case_per_rule() {
        let x_id = {
            let mut n = 0;
            loop {
                let s = nth_id(n);
                if s.ends_with('X') {
                    break s.to_lowercase();
                }
                n += 1;
            }
        };
        let born_2012 = id("43040520120315001");
        let future = id("43040520280101001");
        type Mutate = Box<dyn Fn(&mut ContributorRegistrationRow)>;
        type Case = (&'static str, Mutate, Vec<(&'static str, Code)>);
        let cases: Vec<Case> = vec![
            (
                "name empty",
                Box::new(|r| r.name = " ".into()),
                vec![(col::NAME, Code::Required)],
            ),
            (
                "name short",
                Box::new(|r| r.name = "李".into()),
                vec![(col::NAME, Code::NameTooShort)],
            ),
            (
                "name digits",
                Box::new(|r| r.name = "李4".into()),
                vec![(col::NAME, Code::NameInvalid)],
            ),
            (
                "type empty",
                Box::new(|r| r.id_type = "".into()),
                vec![(col::ID_TYPE, Code::Required)],
            ),
            (
                "type unknown",
                Box::new(|r| r.id_type = "驾驶证".into()),
                vec![(col::ID_TYPE, Code::IdTypeInvalid)],
            ),
            ("type label", Box::new(|r| r.id_type = "身份证".into()), vec![]),
            (
                "id empty",
                Box::new(|r| r.id_number = "".into()),
                vec![(col::ID_NUMBER, Code::Required)],
            ),
            (
                "id as number",
                Box::new(|r| r.id_number = "4.30405E+17".into()),
                vec![(col::ID_NUMBER, Code::IdStoredAsNumber)],
            ),
            (
                "id checksum",
                Box::new(|r| {
                    let mut s = r.id_number.clone();
                    let last = if s.ends_with('0') { "1" } else { "0" };
                    s.replace_range(17.., last);
                    r.id_number = s;
                }),
                vec![(col::ID_NUMBER, Code::IdNumberChecksum)],
            ),
            (
                "id 15 digits",
                Box::new(|r| r.id_number = "430405880315001".into()),
                vec![(col::ID_NUMBER, Code::IdNumberFormat)],
            ),
            (
                "id born in the future",
                Box::new(move |r| r.id_number = future.clone()),
                vec![(col::ID_NUMBER, Code::IdNumberBirthDate)],
            ),
            (
                "id lower-case x",
                Box::new(move |r| r.id_number = x_id.clone()),
                vec![],
            ),
            (
                "sex unknown",
                Box::new(|r| r.sex = Some("未知".into())),
                vec![(col::SEX, Code::SexInvalid)],
            ),
            (
                "sex mismatch",
                Box::new(|r| {
                    let card = IdCard::parse(&r.id_number).unwrap();
                    r.sex = Some(if card.sex == Sex::Male { "女" } else { "男" }.into());
                }),
                vec![(col::SEX, Code::SexMismatch)],
            ),
            (
                "birth mismatch",
                Box::new(|r| r.birth_month = Some(m(1999, 1))),
                vec![(col::BIRTH_MONTH, Code::BirthMonthMismatch)],
            ),
            (
                "underage",
                Box::new(move |r| r.id_number = born_2012.clone()),
                vec![(col::BIRTH_MONTH, Code::ContributorUnderage)],
            ),
            (
                "mobile empty",
                Box::new(|r| r.mobile = "".into()),
                vec![(col::MOBILE, Code::Required)],
            ),
            (
                "mobile short",
                Box::new(|r| r.mobile = "1380013800".into()),
                vec![(col::MOBILE, Code::MobileInvalid)],
            ),
            (
                "mobile grouped",
                Box::new(|r| r.mobile = "+86 138-0013-8000".into()),
                vec![],
            ),
            (
                "landline bad",
                Box::new(|r| r.landline = Some("8123456".into())),
                vec![(col::LANDLINE, Code::LandlineInvalid)],
            ),
            (
                "base zero",
                Box::new(|r| r.base = Fen::ZERO),
                vec![(col::BASE, Code::BaseNotPositive)],
            ),
            (
                "base below",
                Box::new(|r| r.base = Fen(169_999)),
                vec![(col::BASE, Code::BaseBelowMin)],
            ),
            ("base at min", Box::new(|r| r.base = Fen::from_yuan(1700)), vec![]),
            (
                "base above",
                Box::new(|r| r.base = Fen(2_114_201)),
                vec![(col::BASE, Code::BaseAboveMax)],
            ),
            (
                "base at max",
                Box::new(|r| r.base = Fen::from_yuan(21142)),
                vec![],
            ),
            (
                "first before unit",
                Box::new(|r| r.first_month = m(2015, 6)),
                vec![(col::FIRST_MONTH, Code::FirstMonthTooEarly)],
            ),
            (
                "first = unit first",
                Box::new(|r| r.first_month = m(2015, 7)),
                vec![],
            ),
            (
                "first = next month",
                Box::new(|r| r.first_month = m(2026, 12)),
                vec![],
            ),
            (
                "first after next month",
                Box::new(|r| r.first_month = m(2027, 1)),
                vec![(col::FIRST_MONTH, Code::FirstMonthInFuture)],
            ),
            (
                "bank letters",
                Box::new(|r| r.bank_account = Some("6222ABC1234".into())),
                vec![(col::BANK_ACCOUNT, Code::BankAccountInvalid)],
            ),
            (
                "bank as number",
                Box::new(|r| r.bank_account = Some("6.22202E+18".into())),
                vec![(col::BANK_ACCOUNT, Code::BankAccountInvalid)],
            ),
        ];
        for (what, mutate, want) in cases {
            let mut r = row(7);
            mutate(&mut r);
            let issues = check_one(r);
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
    }

    #[test]
    fn other_id_types_need_sex_and_birth_and_have_shapes() {
        let other = |t: &str, n: &str| {
            let mut r = row(3);
            r.id_type = t.into();
            r.id_number = n.into();
            r.sex = Some("女".into());
            r.birth_month = Some(m(1990, 5));
            r
        };
        for (t, n) in [
            ("02", "南字第123456号"),
            ("03", "E12345678"),
            ("04", "USA110090628001"),
            ("04", &id("93301100199005120")),
            ("99", "HK-A1234567"),
        ] {
            assert_eq!(check_one(other(t, n)), vec![], "{t} {n}");
        }
        for (t, n) in [
            ("02", "南字第号"),
            ("03", "E123"),
            ("03", "护照E12345678"),
            ("04", "US1100906280011"),
            ("04", "933011001990051201"),
            ("99", "X"),
        ] {
            assert_eq!(
                codes(&check_one(other(t, n))),
                vec![(3, col::ID_NUMBER, Code::CertificateNumberInvalid)],
                "{t} {n}"
            );
        }
        let mut r = other("03", "E12345678");
        r.sex = None;
        r.birth_month = None;
        assert_eq!(
            codes(&check_one(r)),
            vec![
                (3, col::SEX, Code::Required),
                (3, col::BIRTH_MONTH, Code::Required)
            ]
        );
        // A given birth month is what the age is judged by.
        let mut r = other("03", "E12345678");
        r.birth_month = Some(m(2011, 1));
        assert_eq!(
            codes(&check_one(r)),
            vec![(3, col::BIRTH_MONTH, Code::ContributorUnderage)]
        );
        // An invalid 身份证 is reported once, on the number, not again as missing sex/birth.
        let mut r = row(3);
        r.id_number = "430405".into();
        assert_eq!(
            codes(&check_one(r)),
            vec![(3, col::ID_NUMBER, Code::IdNumberFormat)]
        );
    }

    #[test]
    fn messages_name_what_to_write() {
        let mut r = row(4);
        r.first_month = m(2027, 3);
        let issues = check_one(r);
        assert!(
            issues[0].message.contains("请填写 201507 至 202612 之间的年月"),
            "{}",
            issues[0].message
        );
        let mut r = row(4);
        r.base = Fen::from_yuan(25_000);
        assert_eq!(
            check_one(r)[0].message,
            "个人缴存基数 25000.00 元超出 2026 年度缴存基数上限 21142.00 元，请改为 1700.00 至 21142.00 元之间"
        );
        // Base limits wide open so the amount limit binds; the message names the allowed base range.
        let mut p = hengyang();
        p.base_max = Fen::from_yuan(25_000);
        let mut c = Checker::new(&p, &unit(), TODAY);
        let mut issues = Vec::new();
        let mut r = row(4);
        r.base = Fen(2_115_005);
        c.push(&r, &mut issues);
        assert_eq!(codes(&issues), vec![(4, col::BASE, Code::MonthlyAboveMax)]);
        assert!(
            issues[0].message.contains("缴存基数区间：1700.00 - 21150.04"),
            "{}",
            issues[0].message
        );
        // The ID number never appears in a message.
        let mut r = row(4);
        let n = r.id_number.clone();
        r.sex = Some("女".into());
        r.birth_month = Some(m(2000, 1));
        for i in check_one(r) {
            assert!(!i.message.contains(&n));
        }
    }

    #[test]
    fn duplicates_within_the_sheet_name_the_earlier_row() {
        let mut r2 = row(2);
        r2.mobile = "13800000002".into();
        let mut r3 = row(3);
        r3.id_number = r2.id_number.to_lowercase();
        let mut r4 = row(4);
        r4.mobile = "138 0000 0002".into();
        let mut r5 = row(5);
        r5.id_type = "03".into();
        r5.id_number = "E12345678".into();
        r5.sex = Some("男".into());
        r5.birth_month = Some(m(1990, 1));
        let mut r6 = r5.clone();
        r6.row = 6;
        r6.id_number = " e12345678 ".into();
        r6.mobile = "13800000006".into();
        let issues = check(&[r2, r3, r4, r5, r6], &hengyang(), &unit(), TODAY);
        assert_eq!(
            codes(&issues),
            vec![
                (3, col::ID_NUMBER, Code::DuplicateIdNumber),
                (4, col::MOBILE, Code::DuplicateMobile),
                (6, col::ID_NUMBER, Code::DuplicateIdNumber),
            ]
        );
        assert!(issues[0].message.contains("与第 2 行重复"));
        assert!(issues[1].message.contains("与第 2 行重复"));
        assert!(issues[2].message.contains("与第 5 行重复"));
    }

    #[test]
    fn sheet_level_issues() {
        assert_eq!(
            codes(&check(&[], &hengyang(), &unit(), TODAY)),
            vec![(0, "", Code::NoRows)]
        );
        let mut sealed = unit();
        sealed.status = UnitStatus::Sealed;
        let issues = ContributorRegistration { rows: vec![row(2)] }.check(&hengyang(), &sealed, TODAY);
        assert_eq!(codes(&issues), vec![(0, "", Code::UnitStatusNotAllowed)]);
        assert!(issues[0].message.contains("封存"));
    }

    #[test]
    fn hundred_thousand_rows_stream_in_compact_memory() {
        let p = hengyang();
        let u = unit();
        let mut c = Checker::new(&p, &u, TODAY);
        let mut issues = Vec::new();
        let mut r = row(0);
        for n in 0..100_000u32 {
            r.row = n + 2;
            r.id_number = nth_id(n);
            r.mobile = format!("139{n:08}");
            c.push(&r, &mut issues);
        }
        assert_eq!(issues, vec![]);
        let bytes = c.approx_heap_bytes();
        assert!(bytes < 6 * 1024 * 1024, "duplicate tables use {bytes} bytes");
        assert_eq!(c.rows_checked(), 100_000);
    }

    #[test]
    fn normalize_and_person_facts() {
        let mut r = row(2);
        let n = r.id_number.clone();
        r.name = " 阿依古丽．买买提 ".into();
        r.id_type = "身份证".into();
        r.id_number = format!(" {} {}", &n[..6], &n[6..]);
        r.sex = Some("  ".into());
        r.mobile = "+86 138-0013-8000".into();
        r.landline = Some("\u{3000}".into());
        r.bank_account = Some("6222 0212 3456".into());
        r.note = Some(" 新入职 ".into());
        r.normalize();
        assert_eq!(r.name, "阿依古丽·买买提");
        assert_eq!(r.id_type, "01");
        assert_eq!(r.id_number, n);
        assert_eq!(r.sex, None);
        assert_eq!(r.mobile, "13800138000");
        assert_eq!(r.landline, None);
        assert_eq!(r.bank_account.as_deref(), Some("622202123456"));
        assert_eq!(r.note.as_deref(), Some("新入职"));
        let card = IdCard::parse(&n).unwrap();
        assert_eq!(person_facts(&r), (Some(card.sex), card.birth_month()));
        r.sex = Some("女".into());
        r.normalize();
        assert_eq!(r.sex.as_deref(), Some("2"));
        let mut p = row(3);
        p.id_type = "03".into();
        p.id_number = "E12345678".into();
        p.sex = Some("1".into());
        p.birth_month = Some(m(1990, 5));
        assert_eq!(person_facts(&p), (Some(Sex::Male), Some(m(1990, 5))));
    }

    #[test]
    fn wire_shape() {
        let mut r = row(2);
        r.landline = Some("0734-8123456".into());
        let json = serde_json::to_value(ContributorRegistration {
            rows: vec![r.clone()],
        })
        .unwrap();
        let want = serde_json::json!({
            "rows": [{
                "row": 2, "name": "李四", "id_type": "01", "id_number": r.id_number, "sex": null,
                "birth_month": null, "mobile": "13800000002", "landline": "0734-8123456", "base": 600_000,
                "first_month": "202611", "bank_account": null, "bank_name": null, "note": null
            }]
        });
        assert_eq!(json, want);
        let back: ContributorRegistration = serde_json::from_value(json).unwrap();
        assert_eq!(back.rows, vec![r]);
        let minimal = serde_json::json!({"row": 1, "name": "李四", "id_type": "01", "id_number": "x",
            "mobile": "1", "base": 1, "first_month": "202611"});
        let parsed: ContributorRegistrationRow = serde_json::from_value(minimal).unwrap();
        assert_eq!((parsed.sex, parsed.birth_month, parsed.note), (None, None, None));
    }

    #[test]
    fn column_titles() {
        assert_eq!(
            col::ALL,
            [
                "序号",
                "姓名",
                "证件类型",
                "证件号码",
                "性别",
                "出生年月",
                "手机号码",
                "固定电话",
                "个人缴存基数（元）",
                "首次汇缴年月",
                "个人存款账户号码",
                "开户银行",
                "备注"
            ]
        );
    }
}
