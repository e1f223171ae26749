//! Shapes of the contact, payroll and certificate fields of unit and person records: 邮政编码,
//! 电子信箱, 发薪日, 对公账号, 银行代码, 证件类型 + 证件号码, and free text with a length limit.
//!
//! Each check normalises first ([`normalize_text`]) and returns the value as it should be stored,
//! or a [`FormatError`] with a stable [`Code`] and a Chinese message that says what to do. Like
//! [`crate::ids`], no message repeats a 证件号码.

pub use crate::contributor_registration::IdType;
use crate::ids::{normalize_code, normalize_name, normalize_text, IdCard};
use crate::issue::Code;
use crate::month::Month;
use crate::text::is_common_cjk;

/// Why a field value was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// Nothing left after normalisation where a value is required.
    #[error("{what}不能为空，请填写{what}")]
    Empty {
        /// The field, e.g. "单位地址".
        what: &'static str,
    },
    /// Longer than the field holds.
    #[error("{what}共 {len} 个字，超过 {max} 个字的长度限制，请精简后填写")]
    TooLong {
        /// The field.
        what: &'static str,
        /// Characters found.
        len: usize,
        /// Characters allowed.
        max: usize,
    },
    /// A person's name shorter than two characters.
    #[error("{what}“{value}”少于 2 个字，应与身份证件上的姓名一致，请核对")]
    NameTooShort {
        /// The field.
        what: &'static str,
        /// The normalised value.
        value: String,
    },
    /// A person's name with digits in it.
    #[error("{what}“{value}”中含有数字，应与身份证件上的姓名一致，请核对")]
    NameDigits {
        /// The field.
        what: &'static str,
        /// The normalised value.
        value: String,
    },
    /// Not a 6-digit 邮政编码.
    #[error("邮政编码应为 6 位数字（如衡阳市 421001），请核对")]
    Postcode,
    /// Not an e-mail address.
    #[error("电子信箱“{0}”格式不正确，应形如 hr@example.com，请核对")]
    Email(String),
    /// 发薪日 outside 1–31.
    #[error("发薪日应为每月的 1–31 日之间的一天（填写数字，如 15），请核对")]
    Payday,
    /// A corporate account number of the wrong length or characters.
    #[error("{what}应为 9–32 位数字（可按开户许可证或银行回单抄录，空格会被忽略），请核对")]
    BankAccount {
        /// The field, e.g. "发薪账号".
        what: &'static str,
    },
    /// A bank code that is not 3 digits.
    #[error(
        "{what}应为 3 位数字的银行代码（人民银行联行号的前三位，如 102 工商银行、105 建设银行），请核对"
    )]
    BankCode {
        /// The field.
        what: &'static str,
    },
    /// Not a code of JGJ/T 320 附A.1.
    #[error("{what}“{value}”无法识别，请填写代码或名称：{choices}")]
    IdType {
        /// The field.
        what: &'static str,
        /// The normalised value.
        value: String,
        /// The choices ([`IdType::choices`]).
        choices: String,
    },
    /// A certificate number of another type with the wrong shape.
    #[error("{what}应为 1–20 位字母、数字或汉字，不能含空格或符号，请对照证件核对")]
    CertificateNumber {
        /// The field.
        what: &'static str,
    },
    /// An identifier check of [`crate::ids`] failed (身份证, phone numbers); the message is the
    /// check's own.
    #[error("{what}：{message}")]
    Identifier {
        /// The field.
        what: &'static str,
        /// The identifier check's message.
        message: String,
        /// The identifier check's code.
        code: Code,
    },
}

impl FormatError {
    /// The stable [`Code`] to report this error under.
    pub fn code(&self) -> Code {
        match self {
            FormatError::Empty { .. } => Code::Required,
            FormatError::TooLong { .. } => Code::TextTooLong,
            FormatError::NameTooShort { .. } => Code::NameTooShort,
            FormatError::NameDigits { .. } => Code::NameInvalid,
            FormatError::Postcode => Code::PostcodeInvalid,
            FormatError::Email(_) => Code::EmailInvalid,
            FormatError::Payday => Code::PaydayInvalid,
            FormatError::BankAccount { .. } => Code::BankAccountInvalid,
            FormatError::BankCode { .. } => Code::BankCodeInvalid,
            FormatError::IdType { .. } => Code::IdTypeInvalid,
            FormatError::CertificateNumber { .. } => Code::CertificateNumberInvalid,
            FormatError::Identifier { code, .. } => *code,
        }
    }
}

/// Free text (names of units and banks, addresses): normalised, at most `max` characters.
pub fn check_text(what: &'static str, s: &str, max: usize) -> Result<String, FormatError> {
    let n = normalize_text(s);
    if n.is_empty() {
        return Err(FormatError::Empty { what });
    }
    let len = n.chars().count();
    if len > max {
        return Err(FormatError::TooLong { what, len, max });
    }
    Ok(n.into_owned())
}

/// A person's name (法定代表人, 经办人): [`normalize_name`], 2–60 characters, no digits.
pub fn check_person_name(what: &'static str, s: &str) -> Result<String, FormatError> {
    let n = normalize_name(s);
    if n.is_empty() {
        return Err(FormatError::Empty { what });
    }
    let len = n.chars().count();
    if len > 60 {
        return Err(FormatError::TooLong { what, len, max: 60 });
    }
    if len < 2 {
        Err(FormatError::NameTooShort { what, value: n })
    } else if n.chars().any(|c| c.is_ascii_digit()) {
        Err(FormatError::NameDigits { what, value: n })
    } else {
        Ok(n)
    }
}

/// 邮政编码 (YD/T 603): exactly six digits.
pub fn check_postcode(s: &str) -> Result<String, FormatError> {
    let n = normalize_text(s);
    if n.len() == 6 && n.bytes().all(|b| b.is_ascii_digit()) {
        Ok(n.into_owned())
    } else {
        Err(FormatError::Postcode)
    }
}

/// 电子信箱: the shape `local@domain.tld` — an ASCII local part of `A–Z a–z 0–9 . _ % + -`
/// (no leading, trailing or double dots), a domain of at least two labels of letters, digits and
/// hyphens, a top-level label of letters; at most 254 characters. Lower-cased domain.
///
/// Shape only, by design: whether the mailbox exists is not a question a form can answer.
pub fn check_email(s: &str) -> Result<String, FormatError> {
    let n = normalize_text(s);
    let bad = || FormatError::Email(n.clone().into_owned());
    if n.len() > 254 || !n.is_ascii() {
        return Err(bad());
    }
    let Some((local, domain)) = n.split_once('@') else {
        return Err(bad());
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-'));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()));
    if local_ok && domain_ok {
        Ok(format!("{local}@{}", domain.to_ascii_lowercase()))
    } else {
        Err(bad())
    }
}

/// 发薪日 (DWFXR): a day of the month 1–31, typed as `15`, `15日` or `15号`; stored as the
/// number without leading zero.
pub fn check_payday(s: &str) -> Result<String, FormatError> {
    let n = normalize_text(s);
    let digits = n
        .strip_suffix('日')
        .or_else(|| n.strip_suffix('号'))
        .unwrap_or(&n)
        .trim();
    if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FormatError::Payday);
    }
    match digits.parse::<u8>() {
        Ok(day @ 1..=31) => Ok(day.to_string()),
        _ => Err(FormatError::Payday),
    }
}

/// A corporate settlement account (对公账户: 发薪账号, 受托银行账号): 9–32 digits after removing
/// grouping spaces and hyphens. Length and characters only — corporate accounts do not carry a
/// Luhn check digit (REFERENCE D4), so none is applied.
pub fn check_corporate_account(what: &'static str, s: &str) -> Result<String, FormatError> {
    let n = normalize_text(s);
    let digits: String = n.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    if (9..=32).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(digits)
    } else {
        Err(FormatError::BankAccount { what })
    }
}

/// A JGJ/T 320 银行代码 (受托银行代码 STYHDM, 开户银行代码): the first three digits of the bank's
/// 联行号 (REFERENCE D4).
pub fn check_bank_code(what: &'static str, s: &str) -> Result<String, FormatError> {
    let n = normalize_text(s);
    if n.len() == 3 && n.bytes().all(|b| b.is_ascii_digit()) {
        Ok(n.into_owned())
    } else {
        Err(FormatError::BankCode { what })
    }
}

/// A 证件类型 as typed → its code.
pub fn check_id_type(what: &'static str, s: &str) -> Result<String, FormatError> {
    let n = normalize_text(s);
    if n.is_empty() {
        return Err(FormatError::Empty { what });
    }
    IdType::parse(&n)
        .map(|t| t.code().to_owned())
        .ok_or_else(|| FormatError::IdType {
            what,
            value: n.into_owned(),
            choices: IdType::choices(),
        })
}

/// A 证件号码 of the given type: a 身份证 goes through [`IdCard::parse`] (and may not be born after
/// `today`); other types are 1–20 letters, digits or CJK characters (军官证 numbers carry
/// characters such as “南字第…号”).
pub fn check_certificate_number(
    what: &'static str,
    id_type: IdType,
    s: &str,
    today: Month,
) -> Result<String, FormatError> {
    let n = normalize_code(s);
    if n.is_empty() {
        return Err(FormatError::Empty { what });
    }
    if id_type == IdType::IdCard {
        let card = IdCard::parse(&n).map_err(|e| FormatError::Identifier {
            what,
            message: e.to_string(),
            code: e.code(),
        })?;
        if card.birth_month().is_none_or(|born| born > today) {
            return Err(FormatError::Identifier {
                what,
                message: format!("身份证号码中的出生年月晚于本月 {today}，请核对第 7–14 位"),
                code: Code::IdNumberBirthDate,
            });
        }
        return Ok(card.number);
    }
    let ok = n.chars().count() <= 20 && n.chars().all(|c| c.is_ascii_alphanumeric() || is_common_cjk(c));
    if ok {
        Ok(n.into_owned())
    } else {
        Err(FormatError::CertificateNumber { what })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::id_check_char;

    fn today() -> Month {
        Month::new(2026, 11).unwrap()
    }

    fn valid_id() -> String {
        let first17 = "43040519850312001";
        format!("{first17}{}", id_check_char(first17).unwrap())
    }

    #[test]
    fn postcode() {
        assert_eq!(check_postcode(" 421001 ").as_deref(), Ok("421001"));
        assert_eq!(check_postcode("４２１００１").as_deref(), Ok("421001"));
        for bad in ["", "42100", "4210011", "42100A", "421 001"] {
            assert_eq!(check_postcode(bad), Err(FormatError::Postcode), "{bad:?}");
        }
        assert_eq!(FormatError::Postcode.code(), Code::PostcodeInvalid);
    }

    #[test]
    fn email() {
        for (input, want) in [
            ("hr@yancheng.com", "hr@yancheng.com"),
            (" Li.Ming+gjj@Example.COM.cn ", "Li.Ming+gjj@example.com.cn"),
            ("ｈｒ＠ｑｑ．ｃｏｍ", "hr@qq.com"),
            ("a_b-c%d@mail-1.example.org", "a_b-c%d@mail-1.example.org"),
        ] {
            assert_eq!(check_email(input).as_deref(), Ok(want), "{input:?}");
        }
        for bad in [
            "",
            "hr",
            "hr@",
            "@example.com",
            "hr@example",
            "hr@@example.com",
            "hr@example.c",
            "hr@example.123",
            ".hr@example.com",
            "h..r@example.com",
            "hr.@example.com",
            "hr@-example.com",
            "hr@exa_mple.com",
            "hr@example..com",
            "人事@example.com",
            "h r@example.com",
        ] {
            let err = check_email(bad).unwrap_err();
            assert_eq!(err.code(), Code::EmailInvalid, "{bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(65));
        assert!(check_email(&long).is_err());
    }

    #[test]
    fn payday() {
        for (input, want) in [
            ("15", "15"),
            ("05", "5"),
            ("1", "1"),
            ("31", "31"),
            ("15日", "15"),
            ("１０号", "10"),
        ] {
            assert_eq!(check_payday(input).as_deref(), Ok(want), "{input:?}");
        }
        for bad in ["", "0", "32", "100", "-1", "1.5", "十五", "日"] {
            assert_eq!(check_payday(bad), Err(FormatError::Payday), "{bad:?}");
        }
    }

    #[test]
    fn corporate_accounts_are_length_and_charset_only() {
        // Not Luhn-valid, and accepted: corporate accounts carry no Luhn digit (REFERENCE D4).
        let a = "43050178400100000123";
        assert_eq!(check_corporate_account("发薪账号", a).as_deref(), Ok(a));
        assert_eq!(
            check_corporate_account("发薪账号", "4305 0178 4001-0000 0123").as_deref(),
            Ok(a)
        );
        assert_eq!(
            check_corporate_account("发薪账号", "123456789").as_deref(),
            Ok("123456789")
        );
        for bad in [
            "",
            "12345678",
            &"1".repeat(33),
            "4305017840010000012A",
            "43050178.400",
        ] {
            let err = check_corporate_account("发薪账号", bad).unwrap_err();
            assert_eq!(err.code(), Code::BankAccountInvalid, "{bad:?}");
            assert!(err.to_string().starts_with("发薪账号"));
        }
    }

    #[test]
    fn bank_code() {
        assert_eq!(check_bank_code("受托银行代码", "105").as_deref(), Ok("105"));
        for bad in ["", "10", "1050", "10A"] {
            assert_eq!(
                check_bank_code("受托银行代码", bad).unwrap_err().code(),
                Code::BankCodeInvalid
            );
        }
    }

    #[test]
    fn id_types() {
        for (input, want) in [
            ("01", "01"),
            ("1", "01"),
            ("身份证", "01"),
            ("居民身份证", "01"),
            ("护照", "03"),
            ("99", "99"),
        ] {
            assert_eq!(check_id_type("证件类型", input).as_deref(), Ok(want), "{input:?}");
        }
        assert_eq!(
            check_id_type("证件类型", "05").unwrap_err().code(),
            Code::IdTypeInvalid
        );
        assert_eq!(check_id_type("证件类型", " ").unwrap_err().code(), Code::Required);
    }

    #[test]
    fn certificate_numbers() {
        let id = valid_id();
        assert_eq!(
            check_certificate_number("证件号码", IdType::IdCard, &id.to_lowercase(), today()).as_deref(),
            Ok(id.as_str())
        );
        let mut wrong = id.clone();
        let last = if wrong.ends_with('0') { "1" } else { "0" };
        wrong.replace_range(17.., last);
        let err = check_certificate_number("证件号码", IdType::IdCard, &wrong, today()).unwrap_err();
        assert_eq!(err.code(), Code::IdNumberChecksum);
        assert!(
            !err.to_string().contains(&wrong[..17]),
            "no ID number in messages"
        );
        assert_eq!(
            check_certificate_number("证件号码", IdType::IdCard, "4304051985", today())
                .unwrap_err()
                .code(),
            Code::IdNumberFormat
        );
        // Born after "today".
        let first17 = "43040520270101001";
        let future = format!("{first17}{}", id_check_char(first17).unwrap());
        assert_eq!(
            check_certificate_number("证件号码", IdType::IdCard, &future, today())
                .unwrap_err()
                .code(),
            Code::IdNumberBirthDate
        );
        // Other types: shape only.
        assert_eq!(
            check_certificate_number("证件号码", IdType::Passport, "e12345678", today()).as_deref(),
            Ok("E12345678")
        );
        assert_eq!(
            check_certificate_number("证件号码", IdType::OfficerCard, "南字第123456号", today()).as_deref(),
            Ok("南字第123456号")
        );
        for bad in ["E1234-5678", &"1".repeat(21)] {
            assert_eq!(
                check_certificate_number("证件号码", IdType::Passport, bad, today())
                    .unwrap_err()
                    .code(),
                Code::CertificateNumberInvalid,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn text_and_names() {
        assert_eq!(
            check_text("单位地址", " 衡阳市\u{3000}雁峰区 ", 10).as_deref(),
            Ok("衡阳市 雁峰区")
        );
        assert_eq!(
            check_text("单位地址", "一二三四五六七八九十一", 10),
            Err(FormatError::TooLong {
                what: "单位地址",
                len: 11,
                max: 10
            })
        );
        assert_eq!(
            check_text("单位地址", "\u{200B}", 10),
            Err(FormatError::Empty { what: "单位地址" })
        );
        assert_eq!(
            check_person_name("经办人姓名", "阿依古丽．买买提").as_deref(),
            Ok("阿依古丽·买买提")
        );
        assert_eq!(
            check_person_name("经办人姓名", "张").unwrap_err().code(),
            Code::NameTooShort
        );
        assert_eq!(
            check_person_name("经办人姓名", "张3").unwrap_err().code(),
            Code::NameInvalid
        );
    }
}
