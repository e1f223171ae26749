//! Text normalisation and identifier checks: 统一社会信用代码 (GB 32100), 组织机构代码
//! (GB 11714), 居民身份证号码 (GB 11643), mobile and landline numbers.
//!
//! Every checker normalises its input first ([`normalize_text`]), because what arrives from a
//! spreadsheet is full of full-width digits, stray spaces, zero-width characters and Alt+Enter
//! line breaks (REFERENCE F2). Checks are hand-written character loops: no regex engine.

use std::borrow::Cow;

use crate::issue::Code;
use crate::month;
use crate::text::is_common_cjk;

/// Why an identifier was refused. Every message says what is wrong and what to do about it.
///
/// The messages never repeat the number itself: they end up in logs and error files, and
/// identity numbers must not (docs/security: ID numbers never above DEBUG).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// Nothing left after normalisation.
    #[error("{what}为空，请填写{what}")]
    Empty {
        /// Which identifier was expected, e.g. "身份证号码".
        what: &'static str,
    },
    /// 统一社会信用代码 is not 18 characters long.
    #[error("统一社会信用代码应为 18 位，当前为 {len} 位，请对照营业执照核对")]
    UsccLength {
        /// Number of characters found.
        len: usize,
    },
    /// A character outside the GB 32100 alphabet (digits and capitals except I, O, S, V, Z).
    #[error(
        "统一社会信用代码第 {position} 位“{ch}”不是允许的字符（只能是数字或除 I、O、S、V、Z 以外的大写字母），请对照营业执照核对"
    )]
    UsccChar {
        /// 1-based position of the offending character.
        position: usize,
        /// The offending character.
        ch: char,
    },
    /// Positions 3–8 (登记管理机关行政区划码) must be digits.
    #[error(
        "统一社会信用代码第 3–8 位是行政区划码，只能是数字，第 {position} 位却是“{ch}”，请对照营业执照核对"
    )]
    UsccRegion {
        /// 1-based position of the offending character.
        position: usize,
        /// The offending character.
        ch: char,
    },
    /// The 18th character (GB 32100 check character) does not match.
    #[error(
        "统一社会信用代码校验位（第 18 位）应为“{expected}”，实际为“{found}”，代码中可能有字符填错，请对照营业执照逐位核对"
    )]
    UsccChecksum {
        /// The check character computed from positions 1–17.
        expected: char,
        /// The check character found.
        found: char,
    },
    /// Positions 9–17 (the embedded 组织机构代码) fail their own GB 11714 check.
    #[error(
        "统一社会信用代码第 9–17 位（组织机构代码）的校验位（第 17 位）应为“{expected}”，实际为“{found}”，请对照营业执照逐位核对"
    )]
    UsccOrgCode {
        /// The check character computed from positions 9–16.
        expected: char,
        /// The check character found.
        found: char,
    },
    /// 组织机构代码 is not 8 body characters + 1 check character.
    #[error("组织机构代码应为 8 位本体代码加 1 位校验码（数字或大写字母，如 12345678-9），请核对")]
    OrgCodeFormat,
    /// The 组织机构代码 check character does not match.
    #[error("组织机构代码校验码应为“{expected}”，实际为“{found}”，代码中可能有字符填错，请核对")]
    OrgCodeChecksum {
        /// The check character computed from the body.
        expected: char,
        /// The check character found.
        found: char,
    },
    /// A 15-digit first-generation ID number where an 18-digit one is required.
    #[error("这是 15 位旧版身份证号码，请改填现行的 18 位居民身份证号码")]
    IdLegacy15,
    /// The 身份证号码 has the wrong length.
    #[error("身份证号码应为 18 位，当前为 {len} 位，请核对是否多填或漏填")]
    IdLength {
        /// Number of characters found.
        len: usize,
    },
    /// A character that cannot appear at its position.
    #[error(
        "身份证号码第 {position} 位“{ch}”不符合格式（第 1 位为 1–9，第 2–17 位为数字，第 18 位为数字或 X），请核对"
    )]
    IdFormat {
        /// 1-based position of the offending character.
        position: usize,
        /// The offending character.
        ch: char,
    },
    /// Positions 7–14 are not a real date in or after 1900.
    #[error("身份证号码中的出生日期（第 7–14 位）{date} 不是有效日期，请核对")]
    IdBirthDate {
        /// The eight digits as found, `YYYYMMDD`.
        date: String,
    },
    /// The 18th character (ISO 7064 MOD 11-2) does not match.
    #[error(
        "身份证号码校验位（第 18 位）应为“{expected}”，实际为“{found}”，号码中可能有数字填错，请对照身份证逐位核对"
    )]
    IdChecksum {
        /// The check character computed from positions 1–17.
        expected: char,
        /// The check character found.
        found: char,
    },
    /// Not an 11-digit mainland mobile number `1[3-9]xxxxxxxxx`.
    #[error("手机号码应为 11 位数字，以 1 开头、第 2 位为 3–9，请核对")]
    MobileFormat,
    /// Not a landline `0AA(A)-NNNNNNN(N)` with an optional extension.
    #[error("固定电话应为“区号-号码”，如 0734-8123456（可带分机，如 0734-8123456-801），请核对")]
    LandlineFormat,
}

impl IdError {
    /// The stable [`Code`] to report this error under.
    pub fn code(&self) -> Code {
        match self {
            IdError::Empty { .. } => Code::Required,
            IdError::UsccLength { .. } | IdError::UsccChar { .. } | IdError::UsccRegion { .. } => {
                Code::UsccFormat
            }
            IdError::UsccChecksum { .. } => Code::UsccChecksum,
            IdError::UsccOrgCode { .. } => Code::UsccOrgCodeChecksum,
            IdError::OrgCodeFormat => Code::OrgCodeFormat,
            IdError::OrgCodeChecksum { .. } => Code::OrgCodeChecksum,
            IdError::IdLegacy15 | IdError::IdLength { .. } | IdError::IdFormat { .. } => Code::IdNumberFormat,
            IdError::IdBirthDate { .. } => Code::IdNumberBirthDate,
            IdError::IdChecksum { .. } => Code::IdNumberChecksum,
            IdError::MobileFormat => Code::MobileInvalid,
            IdError::LandlineFormat => Code::LandlineInvalid,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Text normalisation
// ---------------------------------------------------------------------------------------------

pub use crate::text::normalize_text;

/// What Excel does to a long number in a General/Number cell: `4.30402E+17`, `9913101600019.0`. For the
/// identifier columns (证件号码, 个人账号, 银行账号) of the checkers, whose text may come from such a cell.
pub(crate) fn looks_like_number_cell(s: &str) -> bool {
    // Both shapes need a '+' or a '.': one byte scan settles the usual cell.
    if !s.bytes().any(|b| b == b'+' || b == b'.') {
        return false;
    }
    let sci = s.contains("E+") || s.contains("e+");
    let float = s
        .strip_suffix(".0")
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
    sci || float
}

/// Normalises a person's name: [`normalize_text`], then every middle-dot variant
/// (`•` `・` `．` `‧` `.` `∙` `⋅`) becomes U+00B7 `·` (ethnic-minority names such as
/// 阿依古丽·买买提), spaces next to a `·` are dropped and other runs of whitespace become one
/// ASCII space.
///
/// The ASCII full stop is mapped too: in a Chinese name it is always a mistyped separator
/// (and NFKC has already turned the full-width `．` into it).
pub fn normalize_name(s: &str) -> String {
    name_form(s).into_owned()
}

/// [`normalize_name`], borrowed when the name is already in that form (the usual case, and the checkers
/// read every row's name: no copy for them).
pub(crate) fn name_form(s: &str) -> Cow<'_, str> {
    // The usual name (Chinese characters, maybe a U+00B7 dot, no blanks) is its own normal form.
    if s.chars()
        .all(|c| is_common_cjk(c) || c == '\u{00B7}' || (c.is_ascii_graphic() && c != '.'))
    {
        return Cow::Borrowed(s);
    }
    let t = normalize_text(s);
    // Without whitespace and other dots, the loop below would copy `t` unchanged.
    if !t
        .chars()
        .any(|c| c.is_whitespace() || (is_middle_dot(c) && c != '\u{00B7}'))
    {
        return t;
    }
    let mut out = String::with_capacity(t.len());
    let mut pending_space = false;
    for c in t.chars() {
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if is_middle_dot(c) {
            // Drop a space before the dot; `pending_space` reset also drops one after it.
            pending_space = false;
            out.push('\u{00B7}');
            continue;
        }
        if pending_space && !out.is_empty() && !out.ends_with('\u{00B7}') {
            out.push(' ');
        }
        pending_space = false;
        out.push(c);
    }
    Cow::Owned(out)
}

fn is_middle_dot(c: char) -> bool {
    matches!(
        c,
        '\u{00B7}'
            | '\u{2022}'
            | '\u{30FB}'
            | '\u{FF65}'
            | '\u{FF0E}'
            | '\u{2027}'
            | '.'
            | '\u{2219}'
            | '\u{22C5}'
    )
}

/// Normalises a check-character-protected code (身份证号码, 统一社会信用代码, 组织机构代码):
/// [`normalize_text`], then interior whitespace removed ("430402 1990…" is grouping, not
/// content — the check character still catches a lost digit) and ASCII letters upper-cased
/// (a lower-case `x` is the same check character).
///
/// Not for 个人账号: with no check character a space there may hide a missing digit.
pub fn normalize_code(s: &str) -> Cow<'_, str> {
    // Digits and capitals only (the usual cell) are already in this form.
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()) {
        return Cow::Borrowed(s);
    }
    let n = normalize_text(s);
    if n.chars().any(|c| c.is_ascii_lowercase() || c.is_whitespace()) {
        Cow::Owned(
            n.chars()
                .filter(|c| !c.is_whitespace())
                .map(|c| c.to_ascii_uppercase())
                .collect(),
        )
    } else {
        n
    }
}

// ---------------------------------------------------------------------------------------------
// 统一社会信用代码 / 组织机构代码
// ---------------------------------------------------------------------------------------------

/// GB 32100 alphabet: value = index. No I, O, S, V, Z.
const USCC_CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// W_i = 3^(i-1) mod 31 (REFERENCE D1).
const USCC_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
/// GB 11714 weights (REFERENCE D2).
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

fn uscc_value(b: u8) -> Option<u32> {
    USCC_CHARSET.iter().position(|&c| c == b).map(|p| p as u32)
}

/// Checks a 统一社会信用代码 (GB 32100-2015): 18 characters of the 31-character alphabet,
/// positions 3–8 digits, the check character at position 18, and the embedded 组织机构代码
/// (positions 9–17, GB 11714) — each failure its own [`IdError`] variant.
///
/// Lower-case letters and full-width characters are accepted after normalisation.
///
/// Some early pilot-area codes are genuine yet fail the check (e.g. `91350203M0001QAY9B`):
/// callers that must accept them should offer a reviewed override, not skip the check.
pub fn check_uscc(s: &str) -> Result<(), IdError> {
    let code = normalize_code(s);
    let bytes = code.as_bytes();
    if bytes.is_empty() {
        return Err(IdError::Empty {
            what: "统一社会信用代码",
        });
    }
    let len = code.chars().count();
    if len != 18 {
        return Err(IdError::UsccLength { len });
    }
    let mut values = [0u32; 18];
    for (i, ch) in code.chars().enumerate() {
        let v = u8::try_from(ch).ok().and_then(uscc_value);
        let Some(v) = v else {
            return Err(IdError::UsccChar { position: i + 1, ch });
        };
        if (2..8).contains(&i) && !ch.is_ascii_digit() {
            return Err(IdError::UsccRegion { position: i + 1, ch });
        }
        values[i] = v;
    }
    // All 18 characters are in the ASCII alphabet from here on.
    let sum: u32 = values[..17].iter().zip(USCC_WEIGHTS).map(|(v, w)| v * w).sum();
    let expected = char::from(USCC_CHARSET[((31 - sum % 31) % 31) as usize]);
    let found = char::from(bytes[17]);
    if expected != found {
        return Err(IdError::UsccChecksum { expected, found });
    }
    let org_expected = org_check_char(&bytes[8..16]);
    let org_found = char::from(bytes[16]);
    if Some(org_found) != org_expected {
        return Err(IdError::UsccOrgCode {
            // The body is from the USCC alphabet, a subset of GB 11714's, so this is `Some`.
            expected: org_expected.unwrap_or('?'),
            found: org_found,
        });
    }
    Ok(())
}

/// GB 11714 check character for an 8-character body of `[0-9A-Z]`; `None` for other bytes.
fn org_check_char(body: &[u8]) -> Option<char> {
    let mut sum = 0u32;
    for (&b, w) in body.iter().zip(ORG_WEIGHTS) {
        let v = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            _ => return None,
        };
        sum += v * w;
    }
    Some(match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        n => char::from(b'0' + n as u8),
    })
}

/// Checks a 组织机构代码 (GB 11714-1997), written `XXXXXXXX-X` or without the hyphen.
pub fn check_org_code(s: &str) -> Result<(), IdError> {
    let code = normalize_code(s);
    if code.is_empty() {
        return Err(IdError::Empty {
            what: "组织机构代码"
        });
    }
    let bytes = code.as_bytes();
    let (body, check) = match bytes.len() {
        9 => (&bytes[..8], bytes[8]),
        10 if bytes[8] == b'-' => (&bytes[..8], bytes[9]),
        _ => return Err(IdError::OrgCodeFormat),
    };
    let expected = org_check_char(body).ok_or(IdError::OrgCodeFormat)?;
    if !(check.is_ascii_digit() || check == b'X') {
        return Err(IdError::OrgCodeFormat);
    }
    let found = char::from(check);
    if expected != found {
        return Err(IdError::OrgCodeChecksum { expected, found });
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// 居民身份证号码
// ---------------------------------------------------------------------------------------------

/// GB 11643 / ISO 7064 MOD 11-2 weights (REFERENCE D3).
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";

/// The MOD 11-2 check character for the first 17 digits of an ID number, or `None` when the
/// input is not exactly 17 ASCII digits.
pub fn id_check_char(first17: &str) -> Option<char> {
    let b = first17.as_bytes();
    if b.len() != 17 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = b
        .iter()
        .zip(ID_WEIGHTS)
        .map(|(&d, w)| u32::from(d - b'0') * w)
        .sum();
    Some(char::from(ID_CHECK[(sum % 11) as usize]))
}

/// Sex as GB/T 2261.1 codes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sex {
    /// 男, code "1" (odd 17th digit).
    Male,
    /// 女, code "2" (even 17th digit).
    Female,
}

impl Sex {
    /// GB/T 2261.1 code: "1" 男, "2" 女.
    pub const fn code(self) -> &'static str {
        match self {
            Sex::Male => "1",
            Sex::Female => "2",
        }
    }

    /// Chinese label: 男 / 女.
    pub const fn label(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }
}

/// A validated 18-digit 居民身份证号码 with the facts it encodes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IdCard {
    /// The normalised number: 18 ASCII characters, check character upper-case.
    pub number: String,
    /// Birth date (year, month, day) from positions 7–14; a real date, year ≥ 1900.
    pub birth: (i32, u8, u8),
    /// Sex from position 17 (odd = male).
    pub sex: Sex,
}

impl IdCard {
    /// Parses and validates an 18-digit number: format, birth date (real, year ≥ 1900), then
    /// the check character. Full-width digits, surrounding blanks and a lower-case `x` are
    /// accepted (normalised away). Whether the birth date lies in the future is a question for
    /// the caller, who knows "today".
    pub fn parse(s: &str) -> Result<IdCard, IdError> {
        let n = normalize_code(s);
        let facts = IdFacts::of_normalized(&n)?;
        Ok(IdCard {
            number: n.into_owned(),
            birth: facts.birth,
            sex: facts.sex,
        })
    }

    /// Converts a 15-digit first-generation number (6 region + YYMMDD + 3 sequence) to the
    /// 18-digit form: insert "19" before the year and append the check character, then validate
    /// as [`IdCard::parse`] does.
    pub fn from_legacy15(s: &str) -> Result<IdCard, IdError> {
        let n = normalize_code(s);
        if n.is_empty() {
            return Err(IdError::Empty {
                what: "身份证号码"
            });
        }
        let len = n.chars().count();
        if len != 15 {
            return Err(IdError::IdLength { len });
        }
        if let Some((i, ch)) = n
            .chars()
            .enumerate()
            .find(|&(i, c)| !c.is_ascii_digit() || (i == 0 && c == '0'))
        {
            return Err(IdError::IdFormat { position: i + 1, ch });
        }
        let first17 = format!("{}19{}", &n[..6], &n[6..]);
        let check = id_check_char(&first17).ok_or(IdError::IdLength { len })?;
        IdCard::parse(&format!("{first17}{check}"))
    }

    /// The six-digit GB/T 2260 address code (positions 1–6).
    pub fn region(&self) -> &str {
        self.number.get(..6).unwrap_or("")
    }

    /// The month of birth, for comparisons with other months ("not born in the future").
    pub fn birth_month(&self) -> Option<month::Month> {
        month::Month::new(self.birth.0, u32::from(self.birth.1))
    }
}

/// What a valid 18-digit 身份证号码 encodes, without holding the number: [`IdCard::parse`]'s checks
/// for the batch checkers, which run them on every row and need no copy of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IdFacts {
    /// Birth date (year, month, day) from positions 7–14.
    pub birth: (i32, u8, u8),
    /// Sex from position 17.
    pub sex: Sex,
    /// The first 17 digits as an integer: they determine the 18th, so equal keys are equal numbers.
    pub key: u64,
}

impl IdFacts {
    /// [`IdCard::parse`] of `s`: the same normalisation, checks, order of checks and errors.
    pub(crate) fn parse(s: &str) -> Result<IdFacts, IdError> {
        IdFacts::of_printed(s).unwrap_or_else(|| IdFacts::of_normalized(&normalize_code(s)))
    }

    /// [`IdFacts::parse`] of a number already in its printed form (18 ASCII characters: 1–9, 16 digits, a
    /// digit or X), which every normalisation leaves as it is; `None` for anything else. Nearly every cell
    /// is in this form, and the checkers take it without normalising.
    pub(crate) fn of_printed(s: &str) -> Option<Result<IdFacts, IdError>> {
        printed(s).map(IdFacts::of_digits)
    }

    /// The checks of [`IdCard::parse`] on a number already through [`normalize_code`].
    fn of_normalized(n: &str) -> Result<IdFacts, IdError> {
        if let Some(b) = printed(n) {
            return IdFacts::of_digits(b);
        }
        if n.is_empty() {
            return Err(IdError::Empty {
                what: "身份证号码"
            });
        }
        let len = n.chars().count();
        if len == 15 && n.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdError::IdLegacy15);
        }
        if len != 18 {
            return Err(IdError::IdLength { len });
        }
        for (i, ch) in n.chars().enumerate() {
            let ok = match i {
                0 => ('1'..='9').contains(&ch),
                1..=16 => ch.is_ascii_digit(),
                _ => ch.is_ascii_digit() || ch == 'X',
            };
            if !ok {
                return Err(IdError::IdFormat { position: i + 1, ch });
            }
        }
        // 18 characters, each of them one byte: the printed form after all.
        printed(n).map_or(
            Err(IdError::IdFormat { position: 1, ch: '?' }),
            IdFacts::of_digits,
        )
    }

    /// Birth date, check character and sex of a number in the printed form.
    fn of_digits(b: &[u8; 18]) -> Result<IdFacts, IdError> {
        let digit = |i: usize| u32::from(b[i] - b'0');
        let number = |r: std::ops::Range<usize>| r.fold(0u32, |acc, i| acc * 10 + digit(i));
        // Four digits: the year fits an i32.
        let birth = birth_date(number(6..10) as i32, number(10..12), number(12..14)).ok_or_else(|| {
            IdError::IdBirthDate {
                date: b[6..14].iter().map(|&d| char::from(d)).collect(),
            }
        })?;
        let (mut key, mut sum) = (0u64, 0u32);
        for (i, w) in ID_WEIGHTS.iter().enumerate() {
            key = key * 10 + u64::from(digit(i));
            sum += digit(i) * w;
        }
        let expected = char::from(ID_CHECK[(sum % 11) as usize]);
        let found = char::from(b[17]);
        if expected != found {
            return Err(IdError::IdChecksum { expected, found });
        }
        let sex = if digit(16) % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        };
        Ok(IdFacts { birth, sex, key })
    }

    /// The month of birth (see [`IdCard::birth_month`]).
    pub(crate) fn birth_month(&self) -> Option<month::Month> {
        month::Month::new(self.birth.0, u32::from(self.birth.1))
    }
}

/// The bytes of an ID number in its printed form: 18 ASCII characters, 1–9, then 16 digits, then a digit or
/// X.
fn printed(s: &str) -> Option<&[u8; 18]> {
    let b: &[u8; 18] = s.as_bytes().try_into().ok()?;
    let ok = (b'1'..=b'9').contains(&b[0])
        && b[1..17].iter().all(u8::is_ascii_digit)
        && (b[17].is_ascii_digit() || b[17] == b'X');
    ok.then_some(b)
}

/// A real date with year ≥ 1900.
fn birth_date(year: i32, m: u32, d: u32) -> Option<(i32, u8, u8)> {
    if year < 1900 || !(1..=12).contains(&m) || d == 0 || d > month::days_in_month(year, m) {
        return None;
    }
    // Both checked above: a month ≤ 12 and a day ≤ 31.
    Some((year, m as u8, d as u8))
}

// ---------------------------------------------------------------------------------------------
// Phone numbers
// ---------------------------------------------------------------------------------------------

/// Checks a mainland mobile number: `^1[3-9]\d{9}$` after normalisation.
pub fn check_mobile(s: &str) -> Result<(), IdError> {
    let n = normalize_text(s);
    if n.is_empty() {
        return Err(IdError::Empty { what: "手机号码" });
    }
    let b = n.as_bytes();
    let ok =
        b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) && b.iter().all(u8::is_ascii_digit);
    if ok {
        Ok(())
    } else {
        Err(IdError::MobileFormat)
    }
}

/// Checks a landline number: `^0\d{2,3}-?\d{7,8}(-\d{1,6})?$` after normalisation.
///
/// Deliberately not Bijie's pattern, which rejects area codes containing 0 (010, 0734 …)
/// — REFERENCE D5.
pub fn check_landline(s: &str) -> Result<(), IdError> {
    let n = normalize_text(s);
    if n.is_empty() {
        return Err(IdError::Empty { what: "固定电话" });
    }
    if landline_matches(n.as_bytes()) {
        Ok(())
    } else {
        Err(IdError::LandlineFormat)
    }
}

/// A hand-rolled backtracking match of the landline pattern (at most 2×2×2 branches).
fn landline_matches(b: &[u8]) -> bool {
    fn digits(b: &[u8]) -> bool {
        b.iter().all(u8::is_ascii_digit)
    }
    if b.first() != Some(&b'0') {
        return false;
    }
    for area_len in [2usize, 3] {
        let Some(area) = b.get(1..1 + area_len) else {
            continue;
        };
        if !digits(area) {
            continue;
        }
        let after_area = &b[1 + area_len..];
        for hyphen in [false, true] {
            let rest = if hyphen {
                match after_area.split_first() {
                    Some((b'-', r)) => r,
                    _ => continue,
                }
            } else {
                after_area
            };
            for sub_len in [7usize, 8] {
                let Some(sub) = rest.get(..sub_len) else { continue };
                if !digits(sub) {
                    continue;
                }
                let tail = &rest[sub_len..];
                let ext_ok = match tail.split_first() {
                    None => true,
                    Some((b'-', ext)) => (1..=6).contains(&ext.len()) && digits(ext),
                    Some(_) => false,
                };
                if ext_ok {
                    return true;
                }
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a valid ID number from 17 digits by computing the check character.
    fn id(first17: &str) -> String {
        format!("{first17}{}", id_check_char(first17).unwrap())
    }

    #[test]
    fn normalize_text_table() {
        let cases: &[(&str, &str)] = &[
            ("abc", "abc"),
            ("  abc  ", "abc"),
            ("", ""),
            ("   ", ""),
            ("\u{3000}张三\u{3000}", "张三"),
            ("\u{00A0}430402\u{00A0}", "430402"),
            ("４３０４０２１９９００３０７００１Ｘ", "43040219900307001X"),
            ("4304\u{200B}02\u{FEFF}", "430402"),
            ("\u{FEFF}abc", "abc"),
            ("12345\n678", "12345678"),
            ("12345\r\n678", "12345678"),
            ("a\tb", "a b"),
            ("\tabc\t", "abc"),
            ("张\u{3000}三", "张 三"),
            ("调整前基数（元）", "调整前基数(元)"),
            ("\u{200B}\u{3000}x", "x"),
            ("２０２４年７月", "2024年7月"),
        ];
        for (input, want) in cases {
            assert_eq!(normalize_text(input), *want, "input {input:?}");
        }
    }

    #[test]
    fn normalize_text_borrows_on_the_fast_paths() {
        for s in ["430402199003070011", "  9913101600019 ", "张三", "  缴存基数 "] {
            assert!(
                matches!(normalize_text(s), Cow::Borrowed(_)),
                "{s:?} should not allocate"
            );
        }
        for s in ["４３", "a\u{200B}b", "a\nb", "张\u{3000}三"] {
            assert!(
                matches!(normalize_text(s), Cow::Owned(_)),
                "{s:?} needs rewriting"
            );
        }
    }

    #[test]
    fn normalize_name_table() {
        let cases: &[(&str, &str)] = &[
            ("张三", "张三"),
            (" 张三 ", "张三"),
            ("阿依古丽•买买提", "阿依古丽·买买提"),
            ("阿依古丽・买买提", "阿依古丽·买买提"),
            ("阿依古丽．买买提", "阿依古丽·买买提"),
            ("阿依古丽‧买买提", "阿依古丽·买买提"),
            ("阿依古丽.买买提", "阿依古丽·买买提"),
            ("阿依古丽 · 买买提", "阿依古丽·买买提"),
            ("John   Smith", "John Smith"),
            ("John\u{3000}\u{3000}Smith", "John Smith"),
            ("张\n三", "张三"),
            ("阿依古丽·买买提", "阿依古丽·买买提"),
            ("O'Neil", "O'Neil"),
            ("A.B", "A·B"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(normalize_name(input), *want, "input {input:?}");
        }
        // Names already in normal form are not copied.
        for plain in ["张三", "阿依古丽·买买提", "O'Neil", "㐀丂"] {
            assert!(
                matches!(name_form(plain), Cow::Borrowed(b) if b == plain),
                "{plain}"
            );
        }
    }

    #[test]
    fn uscc_real_codes_pass() {
        // Real codes (REFERENCE D1 sources), including the GB 32100 worked example.
        for code in [
            "91350200776049653A",
            "91350500798359476R",
            "91350503MA31DKY80A",
            "91350200MA31E12PXF",
            "91440101MA5CJQ4N59",
            "913502000728319549",
            "123502001549897397",
            "9135021359498494XQ",
            "91350213678251743X",
            "91512081MA62K0260E",
            "91310115591693856A",
            "91310110666007217T",
            " 91350503ma31dky80a ",
            "９１３５０２００７７６０４９６５３Ａ",
        ] {
            assert_eq!(check_uscc(code), Ok(()), "{code}");
        }
    }

    #[test]
    fn uscc_failures_name_the_part() {
        let cases: &[(&str, IdError)] = &[
            (
                "",
                IdError::Empty {
                    what: "统一社会信用代码",
                },
            ),
            ("9135020077604965", IdError::UsccLength { len: 16 }),
            ("913502007760496533A", IdError::UsccLength { len: 19 }),
            // Whitelisted as genuine by its source, yet the check character computes to '9'.
            (
                "91350203M0001QAY9B",
                IdError::UsccChecksum {
                    expected: '9',
                    found: 'B',
                },
            ),
            (
                "91350211M00013FA1N",
                IdError::UsccChecksum {
                    expected: '3',
                    found: 'N',
                },
            ),
            (
                "91350200776049653B",
                IdError::UsccChecksum {
                    expected: 'A',
                    found: 'B',
                },
            ),
            (
                "9135020077604I653A",
                IdError::UsccChar {
                    position: 14,
                    ch: 'I',
                },
            ),
            (
                "913502007760496S3A",
                IdError::UsccChar {
                    position: 16,
                    ch: 'S',
                },
            ),
            ("9135A200776049653A", IdError::UsccRegion { position: 5, ch: 'A' }),
        ];
        for (input, want) in cases {
            assert_eq!(check_uscc(input).as_ref(), Err(want), "input {input:?}");
        }
    }

    #[test]
    fn uscc_embedded_org_code_is_checked() {
        // Take a real code, break the org-code check character (pos 17: 3 → 4), then recompute
        // the overall check character so that only the embedded part is wrong.
        let first17 = "91350200776049654";
        let sum: u32 = first17
            .bytes()
            .zip(USCC_WEIGHTS)
            .map(|(b, w)| uscc_value(b).unwrap() * w)
            .sum();
        let c18 = char::from(USCC_CHARSET[((31 - sum % 31) % 31) as usize]);
        let code = format!("{first17}{c18}");
        assert_eq!(
            check_uscc(&code),
            Err(IdError::UsccOrgCode {
                expected: '3',
                found: '4'
            })
        );
        assert_eq!(
            IdError::UsccOrgCode {
                expected: '3',
                found: '4'
            }
            .code(),
            Code::UsccOrgCodeChecksum
        );
    }

    #[test]
    fn org_code_table() {
        let cases: &[(&str, Result<(), IdError>)] = &[
            ("59467239-9", Ok(())), // the worked example of GB 11714
            ("594672399", Ok(())),
            ("77604965-3", Ok(())),
            ("MA31E12P-X", Ok(())),
            ("ma31e12px", Ok(())),
            ("07283195-4", Ok(())),
            (
                "59467239-8",
                Err(IdError::OrgCodeChecksum {
                    expected: '9',
                    found: '8',
                }),
            ),
            ("5946723-9", Err(IdError::OrgCodeFormat)),
            ("59467239_9", Err(IdError::OrgCodeFormat)),
            ("5946723*9", Err(IdError::OrgCodeFormat)),
            ("59467239-Y", Err(IdError::OrgCodeFormat)),
            (
                "",
                Err(IdError::Empty {
                    what: "组织机构代码"
                }),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(check_org_code(input), *want, "input {input:?}");
        }
    }

    #[test]
    fn id_check_char_matches_published_examples() {
        // GB 11643-1999's own examples.
        assert_eq!(id_check_char("11010519491231002"), Some('X'));
        assert_eq!(id_check_char("44052418800101001"), Some('4'));
        assert_eq!(id_check_char("1101051949123100"), None);
        assert_eq!(id_check_char("1101051949123100a"), None);
    }

    #[test]
    fn id_card_parses_valid_numbers() {
        let card = IdCard::parse("11010519491231002X").unwrap();
        assert_eq!(card.birth, (1949, 12, 31));
        assert_eq!(card.sex, Sex::Female);
        assert_eq!(card.sex.code(), "2");
        assert_eq!(card.region(), "110105");

        let male = id("43040219900307001");
        let card = IdCard::parse(&male).unwrap();
        assert_eq!(
            (card.birth, card.sex, card.sex.code()),
            ((1990, 3, 7), Sex::Male, "1")
        );

        // Lower-case x, full-width digits and blanks normalise away.
        let card = IdCard::parse(" 11010519491231002x\u{3000}").unwrap();
        assert_eq!(card.number, "11010519491231002X");
        let card = IdCard::parse("１１０１０５１９４９１２３１００２Ｘ").unwrap();
        assert_eq!(card.number, "11010519491231002X");

        // Grouping spaces are not content.
        let card = IdCard::parse("110105 19491231 002x").unwrap();
        assert_eq!(card.number, "11010519491231002X");
        assert_eq!(normalize_code(" 9135 0200 7760 4965 3a "), "91350200776049653A");
        assert!(matches!(normalize_code("91350200776049653A"), Cow::Borrowed(_)));

        // Leap day.
        assert!(IdCard::parse(&id("43040220000229002")).is_ok());
        assert_eq!(
            IdCard::parse(&id("43040220000229002")).unwrap().birth_month(),
            crate::month::Month::new(2000, 2)
        );
    }

    #[test]
    fn id_card_failures_have_their_own_variant() {
        let bad_check = {
            let good = id("43040219900307001");
            let wrong = if good.ends_with('0') { '1' } else { '0' };
            (
                format!("{}{wrong}", &good[..17]),
                good.chars().last().unwrap(),
                wrong,
            )
        };
        let cases: Vec<(String, IdError)> = vec![
            (
                "".into(),
                IdError::Empty {
                    what: "身份证号码"
                },
            ),
            ("43040219900307001".into(), IdError::IdLength { len: 17 }),
            ("4304021990030700111".into(), IdError::IdLength { len: 19 }),
            ("430402900307001".into(), IdError::IdLegacy15),
            (
                "03040219900307001X".into(),
                IdError::IdFormat { position: 1, ch: '0' },
            ),
            (
                "4304021990030700AX".into(),
                IdError::IdFormat {
                    position: 17,
                    ch: 'A',
                },
            ),
            (
                "43040219900307001Y".into(),
                IdError::IdFormat {
                    position: 18,
                    ch: 'Y',
                },
            ),
            ("4.30402199003E+17".into(), IdError::IdLength { len: 17 }),
            (
                "4.304021990030E+17".into(),
                IdError::IdFormat { position: 2, ch: '.' },
            ),
            (
                id("43040219900230001"),
                IdError::IdBirthDate {
                    date: "19900230".into(),
                },
            ),
            (
                id("43040219901307001"),
                IdError::IdBirthDate {
                    date: "19901307".into(),
                },
            ),
            (
                id("43040219900300001"),
                IdError::IdBirthDate {
                    date: "19900300".into(),
                },
            ),
            (
                id("43040219010229001"),
                IdError::IdBirthDate {
                    date: "19010229".into(),
                },
            ),
            // Real check digit, but born 1880: outside what we accept.
            (
                "440524188001010014".into(),
                IdError::IdBirthDate {
                    date: "18800101".into(),
                },
            ),
            (
                bad_check.0,
                IdError::IdChecksum {
                    expected: bad_check.1,
                    found: bad_check.2,
                },
            ),
        ];
        for (input, want) in &cases {
            assert_eq!(IdCard::parse(input).as_ref(), Err(want), "input {input:?}");
            // The checkers' path: the same error, with and without normalising first.
            assert_eq!(IdFacts::parse(input).as_ref(), Err(want), "input {input:?}");
            assert_eq!(
                IdFacts::parse(&normalize_text(input)).as_ref(),
                Err(want),
                "input {input:?}"
            );
        }
        for input in [
            "11010519491231002X",
            " 11010519491231002x\u{3000}",
            "１１０１０５１９４９１２３１００２Ｘ",
        ] {
            let (card, facts) = (IdCard::parse(input).unwrap(), IdFacts::parse(input).unwrap());
            assert_eq!(
                (facts.birth, facts.sex, facts.key),
                (card.birth, card.sex, 11010519491231002)
            );
        }
        assert_eq!(
            IdError::IdBirthDate { date: String::new() }.code(),
            Code::IdNumberBirthDate
        );
        assert_eq!(
            IdError::IdChecksum {
                expected: '1',
                found: '2'
            }
            .code(),
            Code::IdNumberChecksum
        );
        assert_eq!(IdError::IdLength { len: 3 }.code(), Code::IdNumberFormat);
    }

    #[test]
    fn legacy15_conversion() {
        // 15-digit 430402900307001 → 430402 19 900307001 + check.
        let card = IdCard::from_legacy15("430402900307001").unwrap();
        assert_eq!(card.number, id("43040219900307001"));
        assert_eq!(card.birth, (1990, 3, 7));
        assert_eq!(card.sex, Sex::Male);
        assert_eq!(
            IdCard::from_legacy15("43040290030700"),
            Err(IdError::IdLength { len: 14 })
        );
        assert_eq!(
            IdCard::from_legacy15("43040290030700A"),
            Err(IdError::IdFormat {
                position: 15,
                ch: 'A'
            })
        );
        assert_eq!(
            IdCard::from_legacy15("430402901307001"),
            Err(IdError::IdBirthDate {
                date: "19901307".into()
            })
        );
    }

    #[test]
    fn mobile_table() {
        let cases: &[(&str, bool)] = &[
            ("13812345678", true),
            ("19912345678", true),
            ("138 1234 5678", false),
            ("１３８１２３４５６７８", true),
            ("12812345678", false),
            ("1381234567", false),
            ("138123456789", false),
            ("2381234567a", false),
            ("+8613812345678", false),
        ];
        for (input, ok) in cases {
            assert_eq!(check_mobile(input).is_ok(), *ok, "input {input:?}");
        }
        assert_eq!(check_mobile(""), Err(IdError::Empty { what: "手机号码" }));
    }

    #[test]
    fn landline_table() {
        let cases: &[(&str, bool)] = &[
            ("0734-8123456", true),
            ("07348123456", true),
            ("010-12345678", true),
            ("01012345678", true),
            ("0734-81234567", true),
            ("0734-8123456-801", true),
            ("0734-8123456-123456", true),
            ("0734-8123456-1234567", false),
            ("0734-8123456-", false),
            ("734-8123456", false),
            ("0734-812345", false),
            ("0734-812345678", false),
            ("0734--8123456", false),
            ("0734 8123456", false),
            ("０７３４－８１２３４５６", true),
        ];
        for (input, ok) in cases {
            assert_eq!(check_landline(input).is_ok(), *ok, "input {input:?}");
        }
    }

    #[test]
    fn messages_are_chinese_and_actionable() {
        let msg = IdError::IdChecksum {
            expected: '1',
            found: '2',
        }
        .to_string();
        assert!(msg.contains("校验位") && msg.contains("请"), "{msg}");
        assert!(IdError::LandlineFormat.to_string().contains("0734-8123456"));
    }
}

/// A 证件号码 or account number for a screen: its first 4 and last 4 characters, the rest `*` (values shorter
/// than 8 characters are shown as they are). The full value stays in JSON output for scripts.
pub fn mask_middle(value: &str) -> String {
    let n = value.chars().count();
    if n < 8 {
        return value.to_owned();
    }
    value
        .chars()
        .enumerate()
        .map(|(i, c)| if i < 4 || i >= n - 4 { c } else { '*' })
        .collect()
}

/// `text` with every 身份证-shaped run (15 digits, or 17 digits + a digit or X) masked to its first 4 and last 4
/// characters: what logs and exported diagnostics may contain.
pub fn mask_id_numbers_in(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let run = chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        let with_x = run == 17 && chars.get(i + 17).is_some_and(|c| matches!(c, 'X' | 'x'));
        let len = if with_x { 18 } else { run };
        let bounded = i == 0 || !chars[i - 1].is_ascii_alphanumeric();
        if bounded && (len == 15 || len == 18) {
            out.extend(&chars[i..i + 4]);
            out.extend(std::iter::repeat_n('*', len - 8));
            out.extend(&chars[i + len - 4..i + len]);
            i += len;
        } else if run > 0 {
            out.extend(&chars[i..i + run]);
            i += run;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod mask_tests {
    use super::mask_id_numbers_in;

    #[test]
    fn id_numbers_in_text_are_masked_and_other_numbers_kept() {
        assert_eq!(
            mask_id_numbers_in("证件 43040519900101002X 账号 9913101600019124 金额 5000"),
            "证件 4304**********002X 账号 9913101600019124 金额 5000"
        );
        assert_eq!(mask_id_numbers_in("430405900101002"), "4304*******1002");
        assert_eq!(mask_id_numbers_in("1234567890123456789"), "1234567890123456789");
        assert_eq!(mask_id_numbers_in("无号码"), "无号码");
    }
}
