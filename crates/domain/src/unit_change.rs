//! 单位信息变更 (unit information change) as a form: the changeable fields of the unit record, the
//! unit's current values as the centre returns them, the change as a diff, and its rules.
//!
//! The fields are Bijie's `UnitAcctAlterPost` groups (REFERENCE B3) that a clerk can keep up to
//! date online: 单位名称/地址, 法定代表人 + 证件, 经办人 + 证件 + 电话, 联系方式, 发薪日/发薪账号,
//! 受托银行. Left out on purpose:
//! - the 统一社会信用代码 and the 组织机构代码 inside it: the gateway binds the USB-key
//!   certificate to the unit by that code, so changing it online would change who the
//!   certificate is — refused with [`Code::UsccChangeRefused`] ("请到中心柜台办理");
//! - rates and 首次汇缴年月 (rates are the 缴存比例调整 business);
//! - 经济类型, 隶属关系, 行业 and other GB code-table fields: the centre keeps no code tables for
//!   them yet, and a free-text value there would be wrong data [I].
//!
//! The change is a diff: each changed field with the value the clerk saw (`old`) and the new one.
//! [`check`] refuses a diff whose `old` no longer matches the centre's record — the form was
//! filled from stale data — so two clerks cannot silently overwrite each other.

use serde::{Deserialize, Serialize};

use crate::formats::{self, FormatError, IdType};
use crate::ids::{check_landline, check_mobile, normalize_text};
use crate::issue::{Code, Issue};
use crate::month::Month;

macro_rules! unit_fields {
    ($( $(#[$doc:meta])* $variant:ident => $key:ident, $pinyin:literal, $label:literal; )*) => {
        /// A changeable field of the unit record.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum UnitField {
            $( $(#[$doc])* $variant, )*
        }

        impl UnitField {
            /// Every changeable field, in form order.
            pub const ALL: &'static [UnitField] = &[$(UnitField::$variant,)*];

            /// The snake_case key: the wire name, the JSON key of [`UnitDetails`] and the
            /// database column.
            pub const fn key(self) -> &'static str {
                match self { $(UnitField::$variant => stringify!($key),)* }
            }

            /// The JGJ/T 320 / Bijie pinyin abbreviation (e.g. `DWDZ`).
            pub const fn pinyin(self) -> &'static str {
                match self { $(UnitField::$variant => $pinyin,)* }
            }

            /// The Chinese label (the `column` of an [`Issue`] about it).
            pub const fn label(self) -> &'static str {
                match self { $(UnitField::$variant => $label,)* }
            }
        }

        /// `GET /api/v1/unit`: the unit's record as the centre holds it — the identity (read
        /// only) and every changeable field (`null` when the centre has no value).
        #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
        pub struct UnitDetails {
            /// 单位账号 (DWZH), read only.
            pub account: String,
            /// 统一社会信用代码, read only (changed at the centre's counter).
            pub uscc: String,
            $( $(#[$doc])* #[serde(default)] pub $key: Option<String>, )*
        }

        impl UnitDetails {
            /// The current value of a field.
            pub fn get(&self, field: UnitField) -> Option<&str> {
                match field { $(UnitField::$variant => self.$key.as_deref(),)* }
            }

            /// Sets a field.
            pub fn set(&mut self, field: UnitField, value: Option<String>) {
                match field { $(UnitField::$variant => self.$key = value,)* }
            }
        }
    };
}

unit_fields! {
    /// 单位名称.
    Name => name, "DWMC", "单位名称";
    /// 单位地址.
    Address => address, "DWDZ", "单位地址";
    /// 法定代表人姓名.
    LegalRepName => legal_rep_name, "DWFRDBXM", "法定代表人姓名";
    /// 法定代表人证件类型 (附A.1 code).
    LegalRepIdType => legal_rep_id_type, "DWFRDBZJLX", "法定代表人证件类型";
    /// 法定代表人证件号码.
    LegalRepIdNumber => legal_rep_id_number, "DWFRDBZJHM", "法定代表人证件号码";
    /// 经办人姓名.
    AgentName => agent_name, "JBRXM", "经办人姓名";
    /// 经办人证件类型 (附A.1 code).
    AgentIdType => agent_id_type, "JBRZJLX", "经办人证件类型";
    /// 经办人证件号码.
    AgentIdNumber => agent_id_number, "JBRZJHM", "经办人证件号码";
    /// 经办人手机号码.
    AgentMobile => agent_mobile, "JBRSJHM", "经办人手机号码";
    /// 经办人固定电话.
    AgentLandline => agent_landline, "JBRGDDHHM", "经办人固定电话";
    /// 单位联系电话.
    Phone => phone, "DWLXDH", "单位联系电话";
    /// 传真号码.
    Fax => fax, "CZHM", "传真号码";
    /// 邮政编码.
    Postcode => postcode, "DWYB", "邮政编码";
    /// 电子信箱.
    Email => email, "DWDZXX", "电子信箱";
    /// 发薪日 (day of month).
    Payday => payday, "DWFXR", "发薪日";
    /// 发薪账号.
    PayrollAccount => payroll_account, "FXZH", "发薪账号";
    /// 发薪账户户名.
    PayrollAccountName => payroll_account_name, "FXZHHM", "发薪账户户名";
    /// 发薪账户开户银行.
    PayrollBank => payroll_bank, "FXZHKHYH", "发薪账户开户银行";
    /// 受托银行代码 (联行号前三位).
    TrusteeBankCode => trustee_bank_code, "STYHDM", "受托银行代码";
    /// 受托银行名称.
    TrusteeBankName => trustee_bank_name, "STYHMC", "受托银行名称";
}

/// What a field key names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKey {
    /// A changeable field.
    Field(UnitField),
    /// The unit's identity (统一社会信用代码 / 组织机构代码): never changeable online.
    Identity,
    /// Nothing we know.
    Unknown,
}

impl UnitField {
    /// Looks a field up by its key (`address`), pinyin id (`DWDZ`, any case) or label (`单位地址`).
    pub fn lookup(key: &str) -> FieldKey {
        let k = normalize_text(key);
        let k = k.as_ref();
        if let Some(f) = UnitField::ALL
            .iter()
            .copied()
            .find(|f| k == f.key() || k.eq_ignore_ascii_case(f.pinyin()) || k == f.label())
        {
            return FieldKey::Field(f);
        }
        const IDENTITY: [&str; 7] = [
            "uscc",
            "TYSHXYDM",
            "统一社会信用代码",
            "org_code",
            "ZZJGDM",
            "组织机构代码",
            "单位统一社会信用代码",
        ];
        if IDENTITY.iter().any(|i| k.eq_ignore_ascii_case(i)) {
            FieldKey::Identity
        } else {
            FieldKey::Unknown
        }
    }

    /// Whether the record must keep a value (the field cannot be cleared).
    pub const fn required(self) -> bool {
        matches!(
            self,
            UnitField::Name
                | UnitField::Address
                | UnitField::LegalRepName
                | UnitField::LegalRepIdType
                | UnitField::LegalRepIdNumber
                | UnitField::AgentName
                | UnitField::AgentIdType
                | UnitField::AgentIdNumber
                | UnitField::AgentMobile
        )
    }

    /// Validates and normalises a non-empty value of this field (e.g. for loading records). 证件号码
    /// fields are only normalised here: their rule depends on the 证件类型 and is applied by
    /// [`check`].
    pub fn validate(self, value: &str) -> Result<String, FormatError> {
        let what = self.label();
        let phone = |r: Result<(), crate::ids::IdError>, code| {
            r.map(|()| normalize_text(value).into_owned())
                .map_err(|e| FormatError::Identifier {
                    what,
                    message: e.to_string(),
                    code,
                })
        };
        match self {
            UnitField::Name => formats::check_text(what, value, 100),
            UnitField::Address | UnitField::PayrollAccountName => formats::check_text(what, value, 200),
            UnitField::PayrollBank | UnitField::TrusteeBankName => formats::check_text(what, value, 100),
            UnitField::LegalRepName | UnitField::AgentName => formats::check_person_name(what, value),
            UnitField::LegalRepIdType | UnitField::AgentIdType => formats::check_id_type(what, value),
            UnitField::LegalRepIdNumber | UnitField::AgentIdNumber => {
                Ok(crate::ids::normalize_code(value).into_owned())
            }
            UnitField::AgentMobile => phone(check_mobile(value), Code::MobileInvalid),
            UnitField::AgentLandline | UnitField::Fax => phone(check_landline(value), Code::LandlineInvalid),
            // A unit's switchboard may be a landline or a mobile (small units often have only one).
            UnitField::Phone => {
                if check_mobile(value).is_ok() {
                    Ok(normalize_text(value).into_owned())
                } else {
                    check_landline(value)
                        .map(|()| normalize_text(value).into_owned())
                        .map_err(|_| FormatError::Identifier {
                            what,
                            message: "应为固定电话“区号-号码”（如 0734-8123456）或 11 位手机号码，请核对"
                                .to_owned(),
                            code: Code::LandlineInvalid,
                        })
                }
            }
            UnitField::Postcode => formats::check_postcode(value),
            UnitField::Email => formats::check_email(value),
            UnitField::Payday => formats::check_payday(value),
            UnitField::PayrollAccount => formats::check_corporate_account(what, value),
            UnitField::TrusteeBankCode => formats::check_bank_code(what, value),
        }
    }
}

/// One changed field of a 单位信息变更: the value the clerk saw and the new one (`None` / absent /
/// empty = no value).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// The field key ([`UnitField::key`]; the pinyin id or the label are accepted too).
    pub field: String,
    /// The value shown to the clerk when the form was filled.
    #[serde(default)]
    pub old: Option<String>,
    /// The new value.
    #[serde(default)]
    pub new: Option<String>,
}

impl FieldChange {
    /// A change of `field` from its value in `current` to `new`.
    pub fn of(current: &UnitDetails, field: UnitField, new: Option<String>) -> FieldChange {
        FieldChange {
            field: field.key().to_owned(),
            old: current.get(field).map(str::to_owned),
            new,
        }
    }
}

/// A 单位信息变更 submission (the request payload): only the changed fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitChange {
    /// The changed fields, in form order.
    pub changes: Vec<FieldChange>,
}

/// A change that passed [`check`], normalised: what the centre stores and applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidChange {
    /// The field.
    pub field: UnitField,
    /// The centre's current value.
    pub old: Option<String>,
    /// The new value, normalised (`None` clears the field).
    pub new: Option<String>,
}

impl UnitChange {
    /// The payload of changes that passed [`check`]: the normalised values, so what is signed is exactly what
    /// the centre stores.
    pub fn normalised(valid: &[ValidChange]) -> UnitChange {
        UnitChange {
            changes: valid
                .iter()
                .map(|c| FieldChange {
                    field: c.field.key().to_owned(),
                    old: c.old.clone(),
                    new: c.new.clone(),
                })
                .collect(),
        }
    }
}

/// `None` for a missing or blank value, else the normalised text.
fn present(value: Option<&str>) -> Option<String> {
    value
        .map(normalize_text)
        .filter(|v| !v.is_empty())
        .map(|v| v.into_owned())
}

/// Checks a diff against the centre's current record (`current`) and "today" (for 身份证 birth
/// dates). Returns the normalised changes, or every issue (row 0, `column` = the field's label).
///
/// Per change: a known field (the 统一社会信用代码 is refused: [`Code::UsccChangeRefused`]),
/// named once, whose `old` still equals the centre's value ([`Code::UnitChangeStale`]), whose new
/// value passes its rule and differs from the current one ([`Code::NoChanges`]). Then each
/// 证件类型/证件号码 pair touched by the diff is checked as it will stand after the change.
pub fn check(
    payload: &UnitChange,
    current: &UnitDetails,
    today: Month,
) -> Result<Vec<ValidChange>, Vec<Issue>> {
    let mut issues = Vec::new();
    let mut valid: Vec<ValidChange> = Vec::new();
    let mut seen: Vec<UnitField> = Vec::new();
    if payload.changes.is_empty() {
        issues.push(Issue::sheet(
            Code::NoChanges,
            "变更内容为空：请至少填写一项要变更的单位信息",
        ));
    }
    for change in &payload.changes {
        let field = match UnitField::lookup(&change.field) {
            FieldKey::Field(f) => f,
            FieldKey::Identity => {
                issues.push(Issue::new(
                    0,
                    "统一社会信用代码",
                    Code::UsccChangeRefused,
                    "统一社会信用代码（含其中的组织机构代码）决定了单位 USB key 证书的身份，不能在网上变更。请到中心柜台办理（携带新的营业执照，并同时更换 USB key 证书）",
                ));
                continue;
            }
            FieldKey::Unknown => {
                let shown: String = normalize_text(&change.field).chars().take(40).collect();
                issues.push(Issue::new(
                    0,
                    shown.clone(),
                    Code::UnitFieldUnknown,
                    format!(
                        "“{shown}”不是可在网上变更的单位信息项。可变更的项目及其名称见“gjj unit show”（如 address、DWDZ 或 单位地址）"
                    ),
                ));
                continue;
            }
        };
        let what = field.label();
        if seen.contains(&field) {
            issues.push(Issue::new(
                0,
                what,
                Code::FieldDuplicate,
                format!("{what}在本次变更中出现了不止一次，请只保留一项"),
            ));
            continue;
        }
        seen.push(field);
        let now = current.get(field).map(str::to_owned);
        if present(change.old.as_deref()) != now {
            // Values stay out of the message: the field may be a 证件号码.
            issues.push(Issue::new(
                0,
                what,
                Code::UnitChangeStale,
                format!(
                    "{what}的原值与中心当前记录不一致，可能已被他人变更或页面数据已过期。请重新获取单位信息（gjj unit show）后再填写变更"
                ),
            ));
            continue;
        }
        let new = match present(change.new.as_deref()) {
            None if field.required() => {
                issues.push(Issue::new(
                    0,
                    what,
                    Code::Required,
                    format!("{what}是必填信息，不能清空；如需更正请填写新的{what}"),
                ));
                continue;
            }
            None => None,
            Some(v) => match field.validate(&v) {
                Ok(n) => Some(n),
                Err(e) => {
                    issues.push(Issue::new(0, what, e.code(), e.to_string()));
                    continue;
                }
            },
        };
        if new == now {
            issues.push(Issue::new(
                0,
                what,
                Code::NoChanges,
                format!("{what}的新值与当前值相同，无需变更；请删除这一项"),
            ));
            continue;
        }
        valid.push(ValidChange { field, old: now, new });
    }
    check_id_pairs(&mut valid, &seen, current, today, &mut issues);
    if issues.is_empty() {
        Ok(valid)
    } else {
        Err(issues)
    }
}

/// Each 证件类型/证件号码 pair named by the diff, as it will stand after the change: a 身份证
/// number must be a valid one; other types have a shape rule. Normalises the number in `valid`.
fn check_id_pairs(
    valid: &mut [ValidChange],
    seen: &[UnitField],
    current: &UnitDetails,
    today: Month,
    issues: &mut Vec<Issue>,
) {
    for (type_field, number_field) in [
        (UnitField::LegalRepIdType, UnitField::LegalRepIdNumber),
        (UnitField::AgentIdType, UnitField::AgentIdNumber),
    ] {
        if !seen.contains(&type_field) && !seen.contains(&number_field) {
            continue;
        }
        // A member of the pair that already failed has its own issue; judging the other against it
        // would only repeat it.
        let ok = |f: UnitField| !seen.contains(&f) || valid.iter().any(|v| v.field == f);
        if !ok(type_field) || !ok(number_field) {
            continue;
        }
        let after = |f: UnitField| -> Option<String> {
            match valid.iter().find(|v| v.field == f) {
                Some(v) => v.new.clone(),
                None => current.get(f).map(str::to_owned),
            }
        };
        // A record without a type is read as 身份证, the type almost every unit files.
        let id_type = after(type_field)
            .as_deref()
            .and_then(IdType::parse)
            .unwrap_or(IdType::IdCard);
        let Some(number) = after(number_field) else {
            continue;
        };
        match formats::check_certificate_number(number_field.label(), id_type, &number, today) {
            Ok(normalised) => {
                if let Some(v) = valid.iter_mut().find(|v| v.field == number_field) {
                    v.new = Some(normalised);
                }
            }
            Err(e) if seen.contains(&number_field) => {
                issues.push(Issue::new(0, number_field.label(), e.code(), e.to_string()));
            }
            Err(e) => issues.push(Issue::new(
                0,
                type_field.label(),
                e.code(),
                format!(
                    "{}改为“{}”后，现有的{}不符合该证件类型（{e}）；请同时变更{}",
                    type_field.label(),
                    id_type.label(),
                    number_field.label(),
                    number_field.label()
                ),
            )),
        }
    }
}

/// The keys a person may use for a field, for help texts: `address / DWDZ / 单位地址`.
pub fn field_help() -> String {
    UnitField::ALL
        .iter()
        .map(|f| format!("{} / {} / {}", f.key(), f.pinyin(), f.label()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::id_check_char;

    fn today() -> Month {
        Month::new(2026, 11).unwrap()
    }

    fn id(first17: &str) -> String {
        format!("{first17}{}", id_check_char(first17).unwrap())
    }

    fn current() -> UnitDetails {
        UnitDetails {
            account: "9815070100001".into(),
            uscc: "91430405MA4PYC0138".into(),
            name: Some("衡阳雁城科技有限公司".into()),
            address: Some("衡阳市雁峰区先锋路 18 号".into()),
            legal_rep_name: Some("刘建国".into()),
            legal_rep_id_type: Some("01".into()),
            legal_rep_id_number: Some(id("43040519700312001")),
            agent_name: Some("王芳".into()),
            agent_id_type: Some("01".into()),
            agent_id_number: Some(id("43040619880506002")),
            agent_mobile: Some("13907341234".into()),
            agent_landline: Some("0734-8123456".into()),
            phone: Some("0734-8123400".into()),
            fax: None,
            postcode: Some("421001".into()),
            email: Some("hr@yancheng-tech.cn".into()),
            payday: Some("15".into()),
            payroll_account: Some("43050178400100000123".into()),
            payroll_account_name: Some("衡阳雁城科技有限公司".into()),
            payroll_bank: Some("中国建设银行衡阳分行".into()),
            trustee_bank_code: Some("105".into()),
            trustee_bank_name: Some("中国建设银行".into()),
        }
    }

    fn change(field: &str, old: Option<&str>, new: Option<&str>) -> FieldChange {
        FieldChange {
            field: field.into(),
            old: old.map(Into::into),
            new: new.map(Into::into),
        }
    }

    fn set(c: &UnitDetails, field: UnitField, new: &str) -> FieldChange {
        FieldChange::of(c, field, Some(new.to_owned()))
    }

    fn codes(r: &Result<Vec<ValidChange>, Vec<Issue>>) -> Vec<(String, Code)> {
        match r {
            Ok(_) => vec![],
            Err(issues) => issues.iter().map(|i| (i.column.clone(), i.code)).collect(),
        }
    }

    fn one(column: &str, code: Code) -> Vec<(String, Code)> {
        vec![(column.to_owned(), code)]
    }

    #[test]
    fn a_valid_diff_is_normalised() {
        let c = current();
        let new_id = id("43040719900101003");
        let payload = UnitChange {
            changes: vec![
                set(&c, UnitField::Address, " 衡阳市雁峰区白沙洲工业园 8 号 "),
                change("JBRSJHM", Some("13907341234"), Some("１３８０７３４５６７８")),
                change(
                    "经办人证件号码",
                    c.agent_id_number.as_deref(),
                    Some(&new_id.to_lowercase()),
                ),
                set(&c, UnitField::Email, "HR@Yancheng-Tech.CN.com"),
                set(&c, UnitField::Payday, "10日"),
                set(&c, UnitField::PayrollAccount, "4305 0178 4001 0000 0999"),
                FieldChange::of(&c, UnitField::AgentLandline, None),
                set(&c, UnitField::Fax, "0734-8123401"),
            ],
        };
        let valid = check(&payload, &c, today()).unwrap();
        let got: Vec<(UnitField, Option<&str>)> = valid.iter().map(|v| (v.field, v.new.as_deref())).collect();
        assert_eq!(
            got,
            vec![
                (UnitField::Address, Some("衡阳市雁峰区白沙洲工业园 8 号")),
                (UnitField::AgentMobile, Some("13807345678")),
                (UnitField::AgentIdNumber, Some(new_id.as_str())),
                (UnitField::Email, Some("HR@yancheng-tech.cn.com")),
                (UnitField::Payday, Some("10")),
                (UnitField::PayrollAccount, Some("43050178400100000999")),
                (UnitField::AgentLandline, None),
                (UnitField::Fax, Some("0734-8123401")),
            ]
        );
        assert_eq!(valid[0].old.as_deref(), Some("衡阳市雁峰区先锋路 18 号"));
        assert_eq!(valid[7].old, None);
    }

    #[test]
    fn uscc_and_org_code_are_refused() {
        let c = current();
        for key in ["uscc", "TYSHXYDM", "统一社会信用代码", "zzjgdm", "组织机构代码"] {
            let payload = UnitChange {
                changes: vec![change(key, Some(&c.uscc), Some("91430405MA4PYC0146"))],
            };
            let r = check(&payload, &c, today());
            assert_eq!(
                codes(&r),
                one("统一社会信用代码", Code::UsccChangeRefused),
                "{key}"
            );
            assert!(r.unwrap_err()[0].message.contains("请到中心柜台办理"));
        }
    }

    #[test]
    fn a_stale_old_value_is_refused_without_echoing_it() {
        let c = current();
        let payload = UnitChange {
            changes: vec![
                change("address", Some("衡阳市雁峰区先锋路 1 号"), Some("新地址 1 号")),
                change(
                    "legal_rep_id_number",
                    Some("430405197003120000"),
                    Some(&id("43040519700312011")),
                ),
                // Never had a fax: the form must say so (null or empty), not invent a value.
                change("fax", Some("0734-1111111"), Some("0734-8123401")),
            ],
        };
        let r = check(&payload, &c, today());
        assert_eq!(
            codes(&r),
            vec![
                ("单位地址".to_owned(), Code::UnitChangeStale),
                ("法定代表人证件号码".to_owned(), Code::UnitChangeStale),
                ("传真号码".to_owned(), Code::UnitChangeStale),
            ]
        );
        let issues = r.unwrap_err();
        assert!(
            issues[0].message.contains("重新获取单位信息"),
            "{}",
            issues[0].message
        );
        assert!(issues.iter().all(|i| !i.message.contains("430405")));
        // Blank and absent are the same "no value".
        let ok = UnitChange {
            changes: vec![change("fax", Some("  "), Some("0734-8123401"))],
        };
        assert!(check(&ok, &c, today()).is_ok());
    }

    #[test]
    fn each_field_rule() {
        let c = current();
        let cases: &[(UnitField, &str, Code)] = &[
            (UnitField::AgentMobile, "1390734123", Code::MobileInvalid),
            (UnitField::AgentMobile, "12907341234", Code::MobileInvalid),
            (UnitField::AgentLandline, "8123456", Code::LandlineInvalid),
            (UnitField::Phone, "734-812", Code::LandlineInvalid),
            (UnitField::Postcode, "42100", Code::PostcodeInvalid),
            (UnitField::Email, "hr@yancheng", Code::EmailInvalid),
            (UnitField::Payday, "32", Code::PaydayInvalid),
            (UnitField::PayrollAccount, "12345", Code::BankAccountInvalid),
            (UnitField::TrusteeBankCode, "1050", Code::BankCodeInvalid),
            (UnitField::LegalRepIdType, "07", Code::IdTypeInvalid),
            (UnitField::AgentName, "王", Code::NameTooShort),
            (UnitField::LegalRepName, "刘2", Code::NameInvalid),
        ];
        for &(field, value, code) in cases {
            let payload = UnitChange {
                changes: vec![set(&c, field, value)],
            };
            assert_eq!(
                codes(&check(&payload, &c, today())),
                one(field.label(), code),
                "{field:?} {value:?}"
            );
        }
        let long = "长".repeat(101);
        let payload = UnitChange {
            changes: vec![set(&c, UnitField::Name, &long)],
        };
        assert_eq!(
            codes(&check(&payload, &c, today())),
            one("单位名称", Code::TextTooLong)
        );
        // A mobile is a fine 单位联系电话 too.
        let payload = UnitChange {
            changes: vec![set(&c, UnitField::Phone, "13807345678")],
        };
        assert!(check(&payload, &c, today()).is_ok());
    }

    #[test]
    fn id_numbers_follow_their_type() {
        let c = current();
        let mut bad = id("43040619880506002");
        let last = if bad.ends_with('1') { "2" } else { "1" };
        bad.replace_range(17.., last);
        let payload = UnitChange {
            changes: vec![set(&c, UnitField::AgentIdNumber, &bad)],
        };
        let r = check(&payload, &c, today());
        assert_eq!(codes(&r), one("经办人证件号码", Code::IdNumberChecksum));
        assert!(!r.unwrap_err()[0].message.contains(&bad[..17]));
        // A passport number is fine once the type says 护照 …
        let payload = UnitChange {
            changes: vec![
                set(&c, UnitField::AgentIdType, "护照"),
                set(&c, UnitField::AgentIdNumber, "E12345678"),
            ],
        };
        let valid = check(&payload, &c, today()).unwrap();
        assert_eq!(valid[0].new.as_deref(), Some("03"));
        // … but not while the type stays 身份证.
        let payload = UnitChange {
            changes: vec![set(&c, UnitField::AgentIdNumber, "E12345678")],
        };
        assert_eq!(
            codes(&check(&payload, &c, today())),
            one("经办人证件号码", Code::IdNumberFormat)
        );
        // Changing only the type to 身份证 re-checks the number on record.
        let mut passport_holder = c.clone();
        passport_holder.legal_rep_id_type = Some("03".into());
        passport_holder.legal_rep_id_number = Some("E12345678".into());
        let payload = UnitChange {
            changes: vec![set(&passport_holder, UnitField::LegalRepIdType, "01")],
        };
        let r = check(&payload, &passport_holder, today());
        assert_eq!(codes(&r), one("法定代表人证件类型", Code::IdNumberFormat));
        assert!(r.unwrap_err()[0].message.contains("请同时变更法定代表人证件号码"));
    }

    #[test]
    fn empty_duplicate_unknown_unchanged_and_required() {
        let c = current();
        assert_eq!(
            codes(&check(&UnitChange::default(), &c, today())),
            one("", Code::NoChanges)
        );
        let payload = UnitChange {
            changes: vec![
                set(&c, UnitField::Postcode, "421002"),
                change("DWYB", c.postcode.as_deref(), Some("421003")),
                change("单位账号", Some("9815070100001"), Some("1")),
                set(&c, UnitField::Payday, "15"),
                FieldChange::of(&c, UnitField::AgentMobile, Some(" ".into())),
            ],
        };
        assert_eq!(
            codes(&check(&payload, &c, today())),
            vec![
                ("邮政编码".to_owned(), Code::FieldDuplicate),
                ("单位账号".to_owned(), Code::UnitFieldUnknown),
                ("发薪日".to_owned(), Code::NoChanges),
                ("经办人手机号码".to_owned(), Code::Required),
            ]
        );
    }

    #[test]
    fn lookup_by_key_pinyin_or_label() {
        for f in UnitField::ALL {
            assert_eq!(UnitField::lookup(f.key()), FieldKey::Field(*f));
            assert_eq!(UnitField::lookup(f.pinyin()), FieldKey::Field(*f));
            assert_eq!(UnitField::lookup(&f.pinyin().to_lowercase()), FieldKey::Field(*f));
            assert_eq!(UnitField::lookup(f.label()), FieldKey::Field(*f));
        }
        assert_eq!(UnitField::lookup("USCC"), FieldKey::Identity);
        assert_eq!(UnitField::lookup("rate"), FieldKey::Unknown);
        let mut keys: Vec<_> = UnitField::ALL.iter().map(|f| f.pinyin()).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), UnitField::ALL.len());
        assert!(field_help().contains("address / DWDZ / 单位地址"));
    }

    #[test]
    fn wire_shapes() {
        let c = current();
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["account"], "9815070100001");
        assert_eq!(json["address"], "衡阳市雁峰区先锋路 18 号");
        assert_eq!(json["fax"], serde_json::Value::Null);
        assert_eq!(serde_json::from_value::<UnitDetails>(json).unwrap(), c);
        let payload = UnitChange {
            changes: vec![FieldChange::of(&c, UnitField::Fax, Some("0734-8123401".into()))],
        };
        assert_eq!(
            serde_json::to_value(&payload).unwrap(),
            serde_json::json!({"changes": [{"field": "fax", "old": null, "new": "0734-8123401"}]})
        );
        let minimal: UnitChange =
            serde_json::from_str(r#"{"changes":[{"field":"fax","new":"0734-8123401"}]}"#).unwrap();
        assert_eq!(minimal, payload);
    }
}
