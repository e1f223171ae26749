//! 缴存人信息变更 (Bijie `IndiAcctAlterPost`, REFERENCE §B3): a unit corrects the personal data of its own
//! contributors — 姓名, 证件类型 + 证件号码, 性别/出生年月, 手机, 固定电话, 个人存款账户 + 开户银行 — as a form
//! (one person, a diff against the centre's record) or an Excel batch (one row per person).
//!
//! Every row names the person by 个人账号 + 姓名 + 证件号码 as they stand *now* (as in every per-person business);
//! the changes are a list of `{field, old, new}` like 单位信息变更's diff. A form states the value each change was
//! made against (`olds = true`): the gateway refuses a stale one ([`Code::ContributorChangeStale`]), so two clerks
//! cannot silently overwrite each other. A sheet row states only the new values: its 姓名/证件号码 columns are the
//! old identity (so an ID change carries both the old and the new number), and the gateway records the values it
//! replaces, which approval checks again.
//!
//! Rules (the same functions as 缴存人登记, not copies): the new 证件号码 is valid for its 证件类型 (a 身份证 by
//! GB 11643); 性别 and 出生年月 follow from a 身份证 and cannot be changed on their own — a new 身份证号码 brings
//! them along (the gateway records the derived values); 手机 is an 11-digit mobile; the bank account is 9–32
//! digits. 姓名, 证件类型, 证件号码 and 手机 cannot be cleared (the registration requires them). The new 证件号码
//! and 手机 are unique within the submission; uniqueness among the centre's open accounts is a database fact the
//! gateway decides (never saying where the other account is).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::base_adjustment;
use crate::contributor_registration::{
    bank_text, check_bank_account, mobile_text, other_number_problem, parse_sex,
};
use crate::formats::{self, IdType};
use crate::ids::{check_landline, check_mobile, normalize_code, normalize_text, IdCard};
use crate::issue::{Code, Issue};
use crate::month::Month;
use crate::policy::Policy;
use crate::unit::{UnitFacts, UnitStatus};

pub use crate::unit_change::FieldChange;

/// Column titles of the 缴存人信息变更 template, in template order (also the `column` of issues).
///
/// Layout: one row per person, one column per changeable field holding its NEW value, empty = unchanged. Chosen
/// over a "字段 | 原值 | 新值" row per change because a clerk's source is a list of people ("these five changed
/// phone numbers"), one row per person makes the within-batch uniqueness and the ID-type/number pair plain to see,
/// and the identifying 姓名/证件号码 columns already are the old values where they matter (an ID or name change).
/// Clearing an optional field (固定电话, 开户银行 …) is a form-only operation: an empty cell means "unchanged".
pub mod col {
    pub use crate::base_adjustment::col::{ACCOUNT, ID_NUMBER, NAME, NOTE, SEQ};
    /// 新姓名.
    pub const NEW_NAME: &str = "新姓名";
    /// 新证件类型.
    pub const NEW_ID_TYPE: &str = "新证件类型";
    /// 新证件号码.
    pub const NEW_ID_NUMBER: &str = "新证件号码";
    /// 新性别.
    pub const NEW_SEX: &str = "新性别";
    /// 新出生年月.
    pub const NEW_BIRTH_MONTH: &str = "新出生年月";
    /// 新手机号码.
    pub const NEW_MOBILE: &str = "新手机号码";
    /// 新固定电话.
    pub const NEW_LANDLINE: &str = "新固定电话";
    /// 新个人存款账户号码.
    pub const NEW_BANK_ACCOUNT: &str = "新个人存款账户号码";
    /// 新开户银行.
    pub const NEW_BANK_NAME: &str = "新开户银行";
    /// All titles in template order.
    pub const ALL: [&str; 14] = [
        SEQ,
        ACCOUNT,
        NAME,
        ID_NUMBER,
        NEW_NAME,
        NEW_ID_TYPE,
        NEW_ID_NUMBER,
        NEW_SEX,
        NEW_BIRTH_MONTH,
        NEW_MOBILE,
        NEW_LANDLINE,
        NEW_BANK_ACCOUNT,
        NEW_BANK_NAME,
        NOTE,
    ];
}

/// A changeable field of a person's record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PersonField {
    /// 姓名 (XingMing).
    Name,
    /// 证件类型 (ZJLX, 附A.1).
    IdType,
    /// 证件号码 (ZJHM).
    IdNumber,
    /// 性别 (XingBie, GB/T 2261.1 code).
    Sex,
    /// 出生年月 (CSNY).
    BirthMonth,
    /// 手机号码 (SJHM).
    Mobile,
    /// 固定电话 (GDDHHM).
    Landline,
    /// 个人存款账户号码 (GRCKZHHM).
    BankAccount,
    /// 个人存款账户开户银行 (GRCKZHKHYHMC).
    BankName,
}

impl PersonField {
    /// Every field, in template order.
    pub const ALL: [PersonField; 9] = [
        PersonField::Name,
        PersonField::IdType,
        PersonField::IdNumber,
        PersonField::Sex,
        PersonField::BirthMonth,
        PersonField::Mobile,
        PersonField::Landline,
        PersonField::BankAccount,
        PersonField::BankName,
    ];

    /// The snake_case key: the wire name and the `persons` column.
    pub const fn key(self) -> &'static str {
        match self {
            PersonField::Name => "name",
            PersonField::IdType => "id_type",
            PersonField::IdNumber => "id_number",
            PersonField::Sex => "sex",
            PersonField::BirthMonth => "birth_month",
            PersonField::Mobile => "mobile",
            PersonField::Landline => "landline",
            PersonField::BankAccount => "bank_account",
            PersonField::BankName => "bank_name",
        }
    }

    /// The JGJ/T 320 / Bijie pinyin abbreviation.
    pub const fn pinyin(self) -> &'static str {
        match self {
            PersonField::Name => "XingMing",
            PersonField::IdType => "ZJLX",
            PersonField::IdNumber => "ZJHM",
            PersonField::Sex => "XingBie",
            PersonField::BirthMonth => "CSNY",
            PersonField::Mobile => "SJHM",
            PersonField::Landline => "GDDHHM",
            PersonField::BankAccount => "GRCKZHHM",
            PersonField::BankName => "GRCKZHKHYHMC",
        }
    }

    /// The Chinese label.
    pub const fn label(self) -> &'static str {
        match self {
            PersonField::Name => "姓名",
            PersonField::IdType => "证件类型",
            PersonField::IdNumber => "证件号码",
            PersonField::Sex => "性别",
            PersonField::BirthMonth => "出生年月",
            PersonField::Mobile => "手机号码",
            PersonField::Landline => "固定电话",
            PersonField::BankAccount => "个人存款账户号码",
            PersonField::BankName => "开户银行",
        }
    }

    /// The template column of its new value (the `column` of issues about it).
    pub const fn column(self) -> &'static str {
        match self {
            PersonField::Name => col::NEW_NAME,
            PersonField::IdType => col::NEW_ID_TYPE,
            PersonField::IdNumber => col::NEW_ID_NUMBER,
            PersonField::Sex => col::NEW_SEX,
            PersonField::BirthMonth => col::NEW_BIRTH_MONTH,
            PersonField::Mobile => col::NEW_MOBILE,
            PersonField::Landline => col::NEW_LANDLINE,
            PersonField::BankAccount => col::NEW_BANK_ACCOUNT,
            PersonField::BankName => col::NEW_BANK_NAME,
        }
    }

    /// Looks a field up by key, pinyin (any case), label or template column.
    pub fn lookup(key: &str) -> Option<PersonField> {
        let k = normalize_text(key);
        let k = k.as_ref();
        PersonField::ALL
            .into_iter()
            .find(|f| k == f.key() || k.eq_ignore_ascii_case(f.pinyin()) || k == f.label() || k == f.column())
    }

    /// Whether the record must keep a value (the 缴存人登记 requires it).
    pub const fn required(self) -> bool {
        matches!(
            self,
            PersonField::Name | PersonField::IdType | PersonField::IdNumber | PersonField::Mobile
        )
    }
}

/// The keys a person may use for a field, for help texts: `mobile / SJHM / 手机号码`.
pub fn field_help() -> String {
    PersonField::ALL
        .iter()
        .map(|f| format!("{} / {} / {}", f.key(), f.pinyin(), f.label()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `GET /api/v1/employees/{account}`: one contributor of the caller's unit as the centre holds them — the values a
/// 缴存人信息变更 form starts from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonDetails {
    /// 个人账号.
    pub account: String,
    /// 个人账户状态 (附A.6).
    pub status: String,
    /// 姓名.
    pub name: String,
    /// 证件类型 code.
    pub id_type: String,
    /// 证件号码.
    pub id_number: String,
    /// 性别 code (1 男, 2 女).
    #[serde(default)]
    pub sex: Option<String>,
    /// 出生年月 (YYYYMM).
    #[serde(default)]
    pub birth_month: Option<String>,
    /// 手机号码.
    #[serde(default)]
    pub mobile: Option<String>,
    /// 固定电话.
    #[serde(default)]
    pub landline: Option<String>,
    /// 个人存款账户号码.
    #[serde(default)]
    pub bank_account: Option<String>,
    /// 开户银行.
    #[serde(default)]
    pub bank_name: Option<String>,
}

impl PersonDetails {
    /// The current value of a field (`None`: no value).
    pub fn get(&self, field: PersonField) -> Option<&str> {
        let v = match field {
            PersonField::Name => Some(self.name.as_str()),
            PersonField::IdType => Some(self.id_type.as_str()),
            PersonField::IdNumber => Some(self.id_number.as_str()),
            PersonField::Sex => self.sex.as_deref(),
            PersonField::BirthMonth => self.birth_month.as_deref(),
            PersonField::Mobile => self.mobile.as_deref(),
            PersonField::Landline => self.landline.as_deref(),
            PersonField::BankAccount => self.bank_account.as_deref(),
            PersonField::BankName => self.bank_name.as_deref(),
        };
        v.filter(|s| !s.is_empty())
    }

    /// A form change of `field` from its current value to `new`.
    pub fn change(&self, field: PersonField, new: Option<String>) -> FieldChange {
        FieldChange {
            field: field.key().to_owned(),
            old: self.get(field).map(str::to_owned),
            new,
        }
    }
}

/// One person of a 缴存人信息变更 — the client↔gateway wire contract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContributorChangeRow {
    /// The Excel row number (1 for the form).
    pub row: u32,
    /// 个人账号.
    pub account: String,
    /// 姓名 as the centre has it now.
    pub name: String,
    /// 证件号码 as the centre has it now (the OLD number of an ID change).
    pub id_number: String,
    /// The changes.
    pub changes: Vec<FieldChange>,
    /// Whether every change states the value it was made against (the form; a stale one is refused). A sheet
    /// row states only its new values.
    #[serde(default)]
    pub olds: bool,
    /// 备注.
    #[serde(default)]
    pub note: Option<String>,
}

impl ContributorChangeRow {
    /// Normalises the identity and note the way the checker reads them (the changes are normalised by the
    /// checker into [`ValidChange`]s).
    pub fn normalize(&mut self) {
        base_adjustment::normalize_identity(
            &mut self.account,
            &mut self.name,
            &mut self.id_number,
            &mut self.note,
        );
    }
}

/// A whole 缴存人信息变更 (the request payload): a sheet, or the form (one row).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContributorChange {
    /// The rows in sheet order.
    pub rows: Vec<ContributorChangeRow>,
}

/// A change that passed the rules, normalised: what the centre stores and applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidChange {
    /// The field.
    pub field: PersonField,
    /// The value it replaces: the centre's record when known, else what the row stated.
    pub old: Option<String>,
    /// The new value, normalised (`None` clears the field).
    pub new: Option<String>,
}

/// `None` for a missing or blank value, else the normalised text.
fn present(value: Option<&str>) -> Option<String> {
    value
        .map(normalize_text)
        .filter(|v| !v.is_empty())
        .map(|v| v.into_owned())
}

/// Checks a whole submission without the centre's records (the client's check of a sheet).
pub fn check(rows: &[ContributorChangeRow], policy: &Policy, unit: &UnitFacts, today: Month) -> Vec<Issue> {
    let mut checker = Checker::new(policy, unit, today);
    let mut issues = Vec::new();
    for row in rows {
        checker.push(row, None, &mut issues);
    }
    checker.finish(&mut issues);
    issues
}

/// A streaming checker. The client feeds rows without records (`current = None`: what depends on the record is
/// left to the centre); the gateway feeds each row with the person's record and gets the normalised changes,
/// the derived 性别/出生年月 included.
#[derive(Debug)]
pub struct Checker {
    /// The identity rules and duplicate 个人账号 (one row per person).
    common: base_adjustment::Checker,
    status: UnitStatus,
    today: Month,
    pushed: u64,
    new_ids: HashMap<String, u32>,
    new_mobiles: HashMap<String, u32>,
}

impl Checker {
    /// A checker for one submission of `unit`, with `today` the current month.
    pub fn new(policy: &Policy, unit: &UnitFacts, today: Month) -> Checker {
        Checker {
            common: base_adjustment::Checker::new(policy, unit, today),
            status: unit.status,
            today,
            pushed: 0,
            new_ids: HashMap::new(),
            new_mobiles: HashMap::new(),
        }
    }

    /// How many rows have been pushed.
    pub fn rows_checked(&self) -> u64 {
        self.pushed
    }

    /// Checks one row (against `current`, the person's record, when given) and appends its issues. Returns the
    /// normalised changes when the row has no issue.
    pub fn push(
        &mut self,
        row: &ContributorChangeRow,
        current: Option<&PersonDetails>,
        issues: &mut Vec<Issue>,
    ) -> Option<Vec<ValidChange>> {
        self.pushed += 1;
        let before = issues.len();
        let r = row.row;
        self.common.check_account(r, &row.account, issues);
        self.common.check_name(r, &row.name, issues);
        if normalize_code(&row.id_number).is_empty() {
            issues.push(Issue::new(
                r,
                col::ID_NUMBER,
                Code::Required,
                "证件号码为空，请填写职工当前登记的证件号码（变更证件号码的，新号码填在“新证件号码”列）",
            ));
        }
        let valid = self.changes(row, current, issues);
        if issues.len() == before {
            self.duplicates(r, &valid, issues);
        }
        (issues.len() == before).then_some(valid)
    }

    /// Sheet-level checks after the last row (no rows; unit status).
    pub fn finish(self, issues: &mut Vec<Issue>) {
        crate::seal::finish_sheet(self.pushed, self.status, "缴存人信息变更", issues);
    }

    /// Per change: a known field, named once, not stale (against the record), a valid new value that differs
    /// from the current one; then the 证件类型/证件号码 pair and 性别/出生年月 as they will stand.
    fn changes(
        &self,
        row: &ContributorChangeRow,
        current: Option<&PersonDetails>,
        issues: &mut Vec<Issue>,
    ) -> Vec<ValidChange> {
        let r = row.row;
        let mut valid: Vec<ValidChange> = Vec::new();
        let mut seen: Vec<PersonField> = Vec::new();
        if row.changes.is_empty() {
            issues.push(Issue::new(
                r,
                col::ACCOUNT,
                Code::NoChanges,
                "本行没有填写任何要变更的内容：请在“新…”列填写新值，或删除这一行",
            ));
        }
        for change in &row.changes {
            let Some(field) = PersonField::lookup(&change.field) else {
                let shown: String = normalize_text(&change.field).chars().take(40).collect();
                issues.push(Issue::new(
                    r,
                    shown.clone(),
                    Code::ContributorFieldUnknown,
                    format!("“{shown}”不是可变更的个人信息项。可变更的项目：{}", field_names()),
                ));
                continue;
            };
            let column = field.column();
            let label = field.label();
            if seen.contains(&field) {
                issues.push(Issue::new(
                    r,
                    column,
                    Code::FieldDuplicate,
                    format!("{label}在本行的变更中出现了不止一次，请只保留一项"),
                ));
                continue;
            }
            seen.push(field);
            // The value it replaces: the record's; a sheet's identity columns are the old 姓名/证件号码.
            let stated_old = if row.olds {
                Some(present(change.old.as_deref()))
            } else {
                match field {
                    PersonField::Name => Some(Some(row.name.clone())),
                    PersonField::IdNumber => Some(Some(row.id_number.clone())),
                    _ => None,
                }
            };
            let now = match current {
                Some(c) => c.get(field).map(str::to_owned),
                None => stated_old.clone().flatten(),
            };
            if let (Some(stated), Some(c)) = (&stated_old, current) {
                let same = match (stated, c.get(field)) {
                    (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                    (a, b) => a.is_none() && b.is_none(),
                };
                if !same {
                    // Values stay out of the message: the field may be a 证件号码.
                    issues.push(Issue::new(
                        r,
                        column,
                        Code::ContributorChangeStale,
                        format!(
                            "{label}的原值与中心当前记录不一致，可能已被变更或页面数据已过期。请重新获取该职工的信息（gjj employee show 个人账号）后再填写变更"
                        ),
                    ));
                    continue;
                }
            }
            let new = match present(change.new.as_deref()) {
                None if field.required() => {
                    issues.push(Issue::new(
                        r,
                        column,
                        Code::Required,
                        format!("{label}是必填信息，不能清空；如需更正请填写新的{label}"),
                    ));
                    continue;
                }
                None => None,
                Some(v) => match self.value(r, field, &v, issues) {
                    Some(n) => Some(n),
                    None => continue,
                },
            };
            let unchanged = match (&new, &now) {
                (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                (a, b) => a.is_none() && b.is_none(),
            };
            if unchanged && (current.is_some() || stated_old.is_some()) {
                issues.push(Issue::new(
                    r,
                    column,
                    Code::NoChanges,
                    format!("新{label}与当前登记的相同，无需变更；请删除这一项"),
                ));
                continue;
            }
            valid.push(ValidChange { field, old: now, new });
        }
        let failed = |f: PersonField| seen.contains(&f) && !valid.iter().any(|v| v.field == f);
        if !failed(PersonField::IdType) && !failed(PersonField::IdNumber) {
            self.id_pair(r, row, &mut valid, current, issues);
            self.sex_and_birth(r, row, &mut valid, current, issues);
        }
        valid
    }

    /// A non-empty new value through its field's rule (the 证件号码 waits for the pair check).
    fn value(&self, r: u32, field: PersonField, v: &str, issues: &mut Vec<Issue>) -> Option<String> {
        let column = field.column();
        let format_issue = |e: formats::FormatError, issues: &mut Vec<Issue>| {
            issues.push(Issue::new(r, column, e.code(), e.to_string()));
        };
        match field {
            PersonField::Name => formats::check_person_name(field.label(), v)
                .map_err(|e| format_issue(e, issues))
                .ok(),
            PersonField::IdType => formats::check_id_type(field.label(), v)
                .map_err(|e| format_issue(e, issues))
                .ok(),
            PersonField::IdNumber => Some(normalize_code(v).into_owned()),
            PersonField::Sex => match parse_sex(v) {
                Some(s) => Some(s.code().to_owned()),
                None => {
                    issues.push(Issue::new(
                        r,
                        column,
                        Code::SexInvalid,
                        format!("性别“{v}”无法识别，请填写“男”或“女”（或代码 1 男、2 女）"),
                    ));
                    None
                }
            },
            PersonField::BirthMonth => match Month::parse(v) {
                Ok(m) if m <= self.today => Some(m.to_string()),
                Ok(m) => {
                    issues.push(Issue::new(
                        r,
                        column,
                        Code::IdNumberBirthDate,
                        format!("出生年月 {m} 晚于本月 {}，请按证件核对", self.today),
                    ));
                    None
                }
                Err(e) => {
                    issues.push(Issue::new(r, column, e.code(), e.to_string()));
                    None
                }
            },
            PersonField::Mobile => {
                let m = mobile_text(v);
                match check_mobile(&m) {
                    Ok(()) => Some(m.into_owned()),
                    Err(e) => {
                        issues.push(Issue::new(r, column, e.code(), e.to_string()));
                        None
                    }
                }
            }
            PersonField::Landline => match check_landline(v) {
                Ok(()) => Some(v.to_owned()),
                Err(e) => {
                    issues.push(Issue::new(r, column, e.code(), e.to_string()));
                    None
                }
            },
            PersonField::BankAccount => {
                let a = bank_text(v).into_owned();
                let before = issues.len();
                check_bank_account(r, &a, issues);
                // The shared rule reports on the registration's column; here the column is the new value's.
                for i in &mut issues[before..] {
                    i.column = column.to_owned();
                }
                (issues.len() == before).then_some(a)
            }
            PersonField::BankName => formats::check_text(field.label(), v, 100)
                .map_err(|e| format_issue(e, issues))
                .ok(),
        }
    }

    /// The 证件类型/证件号码 pair as it will stand after the change, when the row touches either: the number
    /// valid for the type (the type from the change, else the record; without a record a valid 身份证 in the
    /// identity column says 身份证, anything else is left to the centre). Normalises the new number.
    fn id_pair(
        &self,
        r: u32,
        row: &ContributorChangeRow,
        valid: &mut [ValidChange],
        current: Option<&PersonDetails>,
        issues: &mut Vec<Issue>,
    ) {
        let new_of = |f: PersonField| valid.iter().find(|v| v.field == f).map(|v| v.new.clone());
        let new_type = new_of(PersonField::IdType).flatten();
        let new_number = new_of(PersonField::IdNumber).flatten();
        if new_type.is_none() && new_number.is_none() {
            return;
        }
        let id_type = match (&new_type, current) {
            (Some(t), _) => IdType::parse(t),
            (None, Some(c)) => IdType::parse(&c.id_type),
            (None, None) => IdCard::parse(&row.id_number).ok().map(|_| IdType::IdCard),
        };
        let Some(id_type) = id_type else { return };
        let (number, column) = match (&new_number, current) {
            (Some(n), _) => (n.clone(), col::NEW_ID_NUMBER),
            (None, Some(c)) => (c.id_number.clone(), col::NEW_ID_TYPE),
            (None, None) => (row.id_number.clone(), col::NEW_ID_TYPE),
        };
        let problem = if id_type == IdType::IdCard {
            match formats::check_certificate_number("证件号码", id_type, &number, self.today) {
                Ok(n) => {
                    if let Some(v) = valid.iter_mut().find(|v| v.field == PersonField::IdNumber) {
                        v.new = Some(n);
                    }
                    None
                }
                Err(e) => Some((e.code(), e.to_string())),
            }
        } else {
            other_number_problem(id_type, &number).map(|m| (Code::CertificateNumberInvalid, m))
        };
        if let Some((code, message)) = problem {
            let message = if column == col::NEW_ID_TYPE {
                format!(
                    "证件类型改为“{}”后，现有的证件号码不符合该证件类型（{message}）；请同时填写新证件号码",
                    id_type.label()
                )
            } else {
                message
            };
            issues.push(Issue::new(r, column, code, message));
        }
    }

    /// 性别/出生年月 of a person whose (new) 证件 is a 身份证 follow from the number: changed on their own they
    /// are refused ([`Code::ContributorFieldDerived`]); with a new number, stated values must agree, and with the
    /// record known the derived values are added as changes (so the centre stores them).
    fn sex_and_birth(
        &self,
        r: u32,
        row: &ContributorChangeRow,
        valid: &mut Vec<ValidChange>,
        current: Option<&PersonDetails>,
        issues: &mut Vec<Issue>,
    ) {
        let new_of = |f: PersonField| valid.iter().find(|v| v.field == f).map(|v| v.new.clone());
        let id_changed = new_of(PersonField::IdType).is_some() || new_of(PersonField::IdNumber).is_some();
        let id_type = match (new_of(PersonField::IdType).flatten(), current) {
            (Some(t), _) => IdType::parse(&t),
            (None, Some(c)) => IdType::parse(&c.id_type),
            (None, None) => Some(IdType::IdCard),
        };
        let number = match (new_of(PersonField::IdNumber).flatten(), current) {
            (Some(n), _) => n,
            (None, Some(c)) => c.id_number.clone(),
            (None, None) => row.id_number.clone(),
        };
        let card = match id_type {
            Some(IdType::IdCard) => IdCard::parse(&number).ok(),
            _ => None,
        };
        // Not a (valid) 身份证: 性别 and 出生年月 are the clerk's to state.
        let Some(card) = card else { return };
        let derived_sex = card.sex.code().to_owned();
        let derived_birth = card.birth_month().map(|m| m.to_string());
        for v in valid.iter() {
            let derived = match v.field {
                PersonField::Sex => Some(derived_sex.clone()),
                PersonField::BirthMonth => derived_birth.clone(),
                _ => continue,
            };
            let label = v.field.label();
            if !id_changed {
                issues.push(Issue::new(
                    r,
                    v.field.column(),
                    Code::ContributorFieldDerived,
                    format!(
                        "证件类型为身份证的职工，{label}由身份证号码确定，不能单独变更；如身份证号码登记有误，请填写新证件号码（{label}随之更正）"
                    ),
                ));
            } else if v.new != derived {
                let code = if v.field == PersonField::Sex {
                    Code::SexMismatch
                } else {
                    Code::BirthMonthMismatch
                };
                issues.push(Issue::new(
                    r,
                    v.field.column(),
                    code,
                    format!("新{label}与新身份证号码不一致；请核对，或留空由系统按证件号码填写"),
                ));
            }
        }
        let Some(c) = current.filter(|_| id_changed) else {
            return;
        };
        for (field, value) in [
            (PersonField::Sex, Some(derived_sex)),
            (PersonField::BirthMonth, derived_birth),
        ] {
            if value.is_some() && value.as_deref() != c.get(field) && !valid.iter().any(|v| v.field == field)
            {
                valid.push(ValidChange {
                    field,
                    old: c.get(field).map(str::to_owned),
                    new: value,
                });
            }
        }
    }

    /// The new 证件号码 and 手机号码 are unique within the submission.
    fn duplicates(&mut self, r: u32, valid: &[ValidChange], issues: &mut Vec<Issue>) {
        for v in valid {
            let (table, code, what) = match v.field {
                PersonField::IdNumber => (&mut self.new_ids, Code::DuplicateIdNumber, "新证件号码"),
                PersonField::Mobile => (&mut self.new_mobiles, Code::DuplicateMobile, "新手机号码"),
                _ => continue,
            };
            let Some(value) = &v.new else { continue };
            if let Some(first) = table.get(value) {
                issues.push(Issue::new(
                    r,
                    v.field.column(),
                    code,
                    format!("{what}与第 {first} 行的{what}相同，每名职工须使用本人的号码，请核对"),
                ));
            } else {
                table.insert(value.clone(), r);
            }
        }
    }
}

fn field_names() -> String {
    PersonField::ALL
        .iter()
        .map(|f| f.label())
        .collect::<Vec<_>>()
        .join("、")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seal::tests::{id, policy, unit, TODAY};

    fn record() -> PersonDetails {
        PersonDetails {
            account: "9901000000001".into(),
            status: "01".into(),
            name: "张三".into(),
            id_type: "01".into(),
            id_number: id(1),
            sex: Some("1".into()),
            birth_month: Some("198801".into()),
            mobile: Some("13907341234".into()),
            landline: None,
            bank_account: None,
            bank_name: None,
        }
    }

    fn row(r: u32, changes: Vec<FieldChange>, olds: bool) -> ContributorChangeRow {
        let c = record();
        ContributorChangeRow {
            row: r,
            account: c.account,
            name: c.name,
            id_number: c.id_number,
            changes,
            olds,
            note: None,
        }
    }

    fn set(field: PersonField, new: &str) -> FieldChange {
        record().change(field, Some(new.to_owned()))
    }

    type Outcome = (Vec<Vec<ValidChange>>, Vec<(u32, String, Code)>);

    fn run(rows: &[ContributorChangeRow], with_record: bool) -> Outcome {
        let mut checker = Checker::new(&policy(), &unit(), TODAY);
        let mut issues = Vec::new();
        let c = record();
        let valid = rows
            .iter()
            .filter_map(|r| checker.push(r, with_record.then_some(&c), &mut issues))
            .collect();
        checker.finish(&mut issues);
        (
            valid,
            issues.into_iter().map(|i| (i.row, i.column, i.code)).collect(),
        )
    }

    #[test]
    fn a_mobile_and_an_id_change_are_normalised_and_derive_sex_and_birth() {
        let new = "11010119900307002";
        let new = format!("{new}{}", crate::ids::id_check_char(new).unwrap());
        let r = row(
            5,
            vec![
                set(PersonField::Mobile, "+86 138-0734-5678"),
                set(PersonField::IdNumber, &new.to_lowercase()),
            ],
            true,
        );
        let (valid, issues) = run(&[r], true);
        assert_eq!(issues, vec![]);
        let got: Vec<(PersonField, Option<&str>)> =
            valid[0].iter().map(|v| (v.field, v.new.as_deref())).collect();
        assert_eq!(
            got,
            vec![
                (PersonField::Mobile, Some("13807345678")),
                (PersonField::IdNumber, Some(new.as_str())),
                (PersonField::Sex, Some("2")),
                (PersonField::BirthMonth, Some("199003")),
            ]
        );
        assert_eq!(valid[0][1].old.as_deref(), Some(id(1).as_str()));
    }

    #[test]
    fn a_stale_old_value_is_refused_without_echoing_it() {
        let mut c = set(PersonField::Mobile, "13807345678");
        c.old = Some("13900000000".into());
        let (_, issues) = run(&[row(2, vec![c.clone()], true)], true);
        assert_eq!(
            issues,
            vec![(2, col::NEW_MOBILE.to_owned(), Code::ContributorChangeStale)]
        );
        // A sheet row states no old mobile: nothing to be stale.
        c.old = None;
        let (_, issues) = run(&[row(2, vec![c], false)], true);
        assert_eq!(issues, vec![]);
    }

    #[test]
    fn one_issue_per_rule() {
        let cases: Vec<(FieldChange, &str, Code)> = vec![
            (
                set(PersonField::Mobile, "1390734123"),
                col::NEW_MOBILE,
                Code::MobileInvalid,
            ),
            (
                set(PersonField::Landline, "8123456"),
                col::NEW_LANDLINE,
                Code::LandlineInvalid,
            ),
            (
                set(PersonField::BankAccount, "12ab"),
                col::NEW_BANK_ACCOUNT,
                Code::BankAccountInvalid,
            ),
            (set(PersonField::Name, "张"), col::NEW_NAME, Code::NameTooShort),
            (
                set(PersonField::IdType, "07"),
                col::NEW_ID_TYPE,
                Code::IdTypeInvalid,
            ),
            (
                set(PersonField::IdNumber, "E12345678"),
                col::NEW_ID_NUMBER,
                Code::IdNumberFormat,
            ),
            (
                set(PersonField::Sex, "2"),
                col::NEW_SEX,
                Code::ContributorFieldDerived,
            ),
            (set(PersonField::Sex, "x"), col::NEW_SEX, Code::SexInvalid),
            (
                set(PersonField::Mobile, "13907341234"),
                col::NEW_MOBILE,
                Code::NoChanges,
            ),
            (
                record().change(PersonField::Mobile, None),
                col::NEW_MOBILE,
                Code::Required,
            ),
            (
                FieldChange {
                    field: "base".into(),
                    old: None,
                    new: Some("1".into()),
                },
                "base",
                Code::ContributorFieldUnknown,
            ),
        ];
        for (change, column, code) in cases {
            let what = format!("{change:?}");
            let (_, issues) = run(&[row(3, vec![change], true)], true);
            assert_eq!(issues, vec![(3, column.to_owned(), code)], "{what}");
        }
        // A passport holder: the type and number change together.
        let (_, issues) = run(
            &[row(
                3,
                vec![
                    set(PersonField::IdType, "护照"),
                    set(PersonField::IdNumber, "E12345678"),
                ],
                true,
            )],
            true,
        );
        assert_eq!(issues, vec![]);
        // Changing the type alone re-checks the number on record (a 身份证 number is no 永久居留证 number).
        let (_, issues) = run(
            &[row(3, vec![set(PersonField::IdType, "外国人永久居留证")], true)],
            true,
        );
        assert_eq!(
            issues,
            vec![(3, col::NEW_ID_TYPE.to_owned(), Code::CertificateNumberInvalid)]
        );
        let (_, issues) = run(&[row(3, vec![], true)], true);
        assert_eq!(issues, vec![(3, col::ACCOUNT.to_owned(), Code::NoChanges)]);
    }

    #[test]
    fn duplicates_within_a_batch() {
        let mut a = row(5, vec![set(PersonField::Mobile, "13807345678")], false);
        a.account = "9901000000002".into();
        a.id_number = id(2);
        let b = row(6, vec![set(PersonField::Mobile, "13807345678")], false);
        let (_, issues) = run(&[a, b], false);
        assert_eq!(
            issues,
            vec![(6, col::NEW_MOBILE.to_owned(), Code::DuplicateMobile)]
        );
        let (_, issues) = run(&[], false);
        assert_eq!(issues, vec![(0, String::new(), Code::NoRows)]);
    }
}
