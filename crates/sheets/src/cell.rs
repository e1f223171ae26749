//! Cell → value conversions shared by the importers. Each returns the value or a [`Problem`]
//! with the specific [`Code`] and a Chinese message naming what the user typed.
//!
//! Fast paths: the common cell in a 100,000-row sheet is plain ASCII ("202607",
//! "430000100001", "430405198803150011"); those are validated byte-wise and borrowed, with no
//! normalisation and no allocation. Anything else goes through
//! [`gjj_domain::ids::normalize_text`] (NFKC, 全角→半角, zero-width/NBSP/U+3000/line-break
//! removal, trimming).

use std::borrow::Cow;

use gjj_domain::ids::{normalize_name, normalize_text};
use gjj_domain::issue::Code;
use gjj_domain::money::Fen;
use gjj_domain::month::Month;

use crate::value::{is_error_literal, CellValue};

/// Why a cell could not be converted.
#[derive(Debug)]
pub(crate) struct Problem {
    pub code: Code,
    pub message: String,
}

impl Problem {
    fn new(code: Code, message: String) -> Self {
        Problem { code, message }
    }
}

/// Excel keeps 15 significant digits: integers from 10^15 up may have lost their last digits.
const EXACT_DIGITS_LIMIT: f64 = 1e15;

/// Plain text of a cell for free-text columns (备注): normalised, `None` when it ends up empty.
pub(crate) fn text(v: CellValue<'_>, what: &str) -> Result<Option<String>, Problem> {
    text_cow(v, what).map(|t| t.map(Cow::into_owned))
}

/// [`text`], borrowed from the cell when normalising changes nothing (for callers that only read it).
pub(crate) fn text_cow<'a>(v: CellValue<'a>, what: &str) -> Result<Option<Cow<'a, str>>, Problem> {
    let s: Cow<'a, str> = match v {
        CellValue::Text(t) | CellValue::DateIso(t) => {
            if is_error_literal(t.trim()) {
                return Err(error_cell(t.trim(), what));
            }
            normalize_text(t)
        }
        CellValue::Number(n) => Cow::Owned(number_text(n)),
        CellValue::Bool(b) => Cow::Borrowed(if b { "TRUE" } else { "FALSE" }),
        CellValue::DateSerial(n) => Cow::Owned(number_text(n)),
        CellValue::Error(e) => return Err(error_cell(e, what)),
    };
    Ok((!s.is_empty()).then_some(s))
}

/// A person's name: [`normalize_name`] (middle dots unified to U+00B7).
pub(crate) fn name(v: CellValue<'_>, what: &str) -> Result<Option<String>, Problem> {
    match v {
        CellValue::Text(t) => {
            if is_error_literal(t.trim()) {
                return Err(error_cell(t.trim(), what));
            }
            let n = normalize_name(t);
            Ok((!n.is_empty()).then_some(n))
        }
        other => Err(wrong_type(other, what, "姓名（文字）")),
    }
}

/// A 证件号码. Text is normalised (full-width digits, `Ｘ`/`x` → `X`, blanks removed); an
/// 18-digit number stored as a Number cell (≥ 10^15) or pasted as "4.30421E+17" text has lost
/// digits and is refused with [`Code::IdStoredAsNumber`]; a smaller number (a 15-digit legacy
/// ID) is taken as its integer text for the domain to judge.
pub(crate) fn id_number(v: CellValue<'_>, what: &str, cell: CellRef) -> Result<Option<String>, Problem> {
    match v {
        CellValue::Text(t) => {
            let plain = plain_code(t);
            if plain.is_none() && is_error_literal(t.trim()) {
                return Err(error_cell(t.trim(), what));
            }
            let c = if plain.is_some() {
                Cow::Borrowed(t)
            } else {
                code_text(t)
            };
            if c.is_empty() {
                return Ok(None);
            }
            if plain.is_none_or(|p| p.has_e) && is_scientific(&c) {
                return Err(id_as_number(&c, cell));
            }
            let lower = plain.map_or_else(|| c.bytes().any(|b| b.is_ascii_lowercase()), |p| p.has_lower);
            Ok(Some(if lower {
                c.to_ascii_uppercase()
            } else {
                c.into_owned()
            }))
        }
        CellValue::Number(n) if n >= EXACT_DIGITS_LIMIT => Err(id_as_number(&excel_shown(n), cell)),
        CellValue::Number(n) => match integer_text(n) {
            Some(s) => Ok(Some(s)),
            None => Err(wrong_type(v, what, "证件号码（文本）")),
        },
        other => Err(wrong_type(other, what, "证件号码（文本）")),
    }
}

fn id_as_number(shown: &str, cell: CellRef) -> Problem {
    Problem::new(
        Code::IdStoredAsNumber,
        format!(
            "证件号码被 Excel 存成了数字（单元格 {cell} 的值是 {shown}）。Excel 只保留 15 位有效数字，\
             18 位号码的最后几位已经变成 0，无法从文件中恢复。请把“证件号码”列的单元格格式设置为“文本”后\
             重新输入号码，或在号码前加英文单引号 ' 再输入"
        ),
    )
}

/// A 个人账号. Accounts are text; a Number cell is accepted when it is a whole number below
/// 10^15 (exact in Excel), otherwise [`Code::AccountStoredAsNumber`].
pub(crate) fn account(v: CellValue<'_>, what: &str, cell: CellRef) -> Result<Option<String>, Problem> {
    match v {
        CellValue::Text(t) => {
            let plain = plain_code(t);
            if plain.is_none() && is_error_literal(t.trim()) {
                return Err(error_cell(t.trim(), what));
            }
            let c = if plain.is_some() {
                Cow::Borrowed(t)
            } else {
                code_text(t)
            };
            if c.is_empty() {
                return Ok(None);
            }
            if plain.is_none_or(|p| p.has_e) && is_scientific(&c) {
                return Err(account_as_number(&c, cell));
            }
            Ok(Some(c.into_owned()))
        }
        CellValue::Number(n) if n >= EXACT_DIGITS_LIMIT => Err(account_as_number(&excel_shown(n), cell)),
        CellValue::Number(n) => match integer_text(n) {
            Some(s) => Ok(Some(s)),
            None => Err(wrong_type(v, what, "个人账号（文本）")),
        },
        other => Err(wrong_type(other, what, "个人账号（文本）")),
    }
}

fn account_as_number(shown: &str, cell: CellRef) -> Problem {
    Problem::new(
        Code::AccountStoredAsNumber,
        format!(
            "个人账号被 Excel 存成了数字（单元格 {cell} 的值是 {shown}），超过 15 位的账号最后几位已经丢失。\
             请把“个人账号”列的单元格格式设置为“文本”后重新输入，或在账号前加英文单引号 ' 再输入"
        ),
    )
}

/// An amount in yuan: Number cells via [`Fen::from_cell_number`], text via
/// [`Fen::parse_yuan`] (thousands separators, 元, ￥).
pub(crate) fn money(v: CellValue<'_>, what: &str) -> Result<Option<Fen>, Problem> {
    let r = match v {
        CellValue::Number(n) => Fen::from_cell_number(n),
        CellValue::Text(t) => {
            if is_error_literal(t.trim()) {
                return Err(error_cell(t.trim(), what));
            }
            Fen::parse_yuan(t)
        }
        other => return Err(wrong_type(other, what, "金额（数字）")),
    };
    r.map(Some)
        .map_err(|e| Problem::new(money_code(e.code()), e.to_string()))
}

/// `Fen`'s own codes, but an amount that is present yet unusable is always `MONEY_INVALID`
/// here (emptiness was decided before parsing).
fn money_code(c: Code) -> Code {
    if c == Code::Required {
        Code::MoneyInvalid
    } else {
        c
    }
}

/// A 年月. Text via [`Month::parse`]; a Number 190001–209912 is `YYYYMM` (and 19000101–
/// 20991231 is `YYYYMMDD`), not a date serial; other numbers and date cells are Excel serial
/// dates in the workbook's date system.
pub(crate) fn month(v: CellValue<'_>, what: &str, date1904: bool) -> Result<Option<Month>, Problem> {
    match v {
        CellValue::Text(t) => {
            // Fast path: the template's own form, "202607", needs no normalising.
            if let Some(m) = yyyymm(t) {
                return Ok(Some(m));
            }
            if is_error_literal(t.trim()) {
                return Err(error_cell(t.trim(), what));
            }
            let c = code_text(t);
            let parsed = if c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()) {
                Month::parse(&c)
            } else {
                Month::parse(t)
            };
            parsed
                .map(Some)
                .map_err(|e| Problem::new(month_code(e.code()), e.to_string()))
        }
        CellValue::DateIso(t) => Month::parse(t)
            .map(Some)
            .map_err(|e| Problem::new(month_code(e.code()), e.to_string())),
        CellValue::Number(n) | CellValue::DateSerial(n) => {
            if let Some(s) = integer_text(n).filter(|s| yyyymm_like(s)) {
                return Month::parse(&s)
                    .map(Some)
                    .map_err(|e| Problem::new(month_code(e.code()), e.to_string()));
            }
            if (1900.0..2100.0).contains(&n) && matches!(v, CellValue::Number(_)) {
                // "2026" or "2026.07" typed as a number: a year, or a fraction that has lost
                // its trailing zero (2026.10 → 2026.1). Ambiguous; ask for text.
                return Err(Problem::new(
                    Code::CellTypeUnexpected,
                    format!(
                        "{what}“{}”是数字，无法确定是哪个月。请把单元格设置为“文本”后写成 6 位年月，如 202607",
                        number_text(n)
                    ),
                ));
            }
            Month::from_excel_serial(n, date1904).map(Some).ok_or_else(|| {
                Problem::new(
                    Code::MonthInvalid,
                    format!(
                        "{what}“{}”不是有效的年月或日期，请写成 6 位年月，如 202607",
                        number_text(n)
                    ),
                )
            })
        }
        other => Err(wrong_type(other, what, "年月（如 202607）")),
    }
}

fn month_code(c: Code) -> Code {
    if c == Code::Required {
        Code::MonthInvalid
    } else {
        c
    }
}

/// Exactly six ASCII digits forming a valid month; anything else (including "202613") is left
/// to [`Month::parse`] and its messages.
fn yyyymm(t: &str) -> Option<Month> {
    let b = t.as_bytes();
    if b.len() != 6 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| b[r].iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
    let year = i32::try_from(n(0..4)).ok()?;
    Month::new(year, n(4..6))
}

/// 190001–209912 (YYYYMM) or 19000101–20991231 (YYYYMMDD).
fn yyyymm_like(s: &str) -> bool {
    let b = s.as_bytes();
    (b.len() == 6 || b.len() == 8) && (s.starts_with("19") || s.starts_with("20"))
}

/// Text for an identifier column: normalised, interior blanks and a leading apostrophe removed.
/// Plain ASCII letters/digits are borrowed as they are.
pub(crate) fn code_text(t: &str) -> Cow<'_, str> {
    if plain_code(t).is_some() {
        return Cow::Borrowed(t);
    }
    let n = normalize_text(t);
    let n = match n {
        Cow::Borrowed(b) => Cow::Borrowed(b.trim_start_matches(['\'', '‘', '’', '`'])),
        Cow::Owned(o) => Cow::Owned(o.trim_start_matches(['\'', '‘', '’', '`']).to_owned()),
    };
    if n.chars().any(char::is_whitespace) {
        Cow::Owned(n.chars().filter(|c| !c.is_whitespace()).collect())
    } else {
        n
    }
}

/// An identifier of ASCII letters and digits only, as typed: already in [`code_text`] form and never a formula
/// error literal (those all have a '#' or ':').
#[derive(Clone, Copy)]
struct PlainCode {
    /// An 'E' or 'e': it may still be "4E17".
    has_e: bool,
    has_lower: bool,
}

/// [`PlainCode`] of `t` in one pass (identifier cells are most of a sheet), `None` when `t` is empty or has
/// anything but ASCII letters and digits.
fn plain_code(t: &str) -> Option<PlainCode> {
    let mut p = PlainCode {
        has_e: false,
        has_lower: false,
    };
    for b in t.bytes() {
        if !b.is_ascii_alphanumeric() {
            return None;
        }
        p.has_e |= b == b'E' || b == b'e';
        p.has_lower |= b.is_ascii_lowercase();
    }
    (!t.is_empty()).then_some(p)
}

/// "4.30421E+17", "4.3E17", "4.30421e+017": what Excel shows (and people paste) for a long
/// number in a General cell.
fn is_scientific(s: &str) -> bool {
    // A byte scan: 'E' and 'e' are ASCII, and this runs on every identifier cell.
    let Some(at) = s.bytes().position(|b| b == b'E' || b == b'e') else {
        return false;
    };
    let (mantissa, exp) = (&s[..at], &s[at + 1..]);
    let exp = exp.strip_prefix('+').unwrap_or(exp);
    let mut parts = mantissa.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next().unwrap_or("0");
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && !exp.is_empty()
        && exp.bytes().all(|b| b.is_ascii_digit())
}

/// The integer text of a whole, non-negative number below 10^15; `None` otherwise.
fn integer_text(n: f64) -> Option<String> {
    ((0.0..EXACT_DIGITS_LIMIT).contains(&n) && n.fract() == 0.0).then(|| format!("{n:.0}"))
}

/// A large number the way Excel holds and shows it: 15 significant digits, and the General
/// format's scientific form — "430421199001010000（显示为 4.30421E+17）".
fn excel_shown(n: f64) -> String {
    let sci = |digits: usize| {
        let s = format!("{n:.digits$e}");
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        (m.to_owned(), e.parse::<i32>().unwrap_or(0))
    };
    let (m15, exp) = sci(14);
    let digits: String = m15.chars().filter(char::is_ascii_digit).collect();
    let held = match usize::try_from(exp + 1) {
        Ok(len) if len >= digits.len() => format!("{digits}{}", "0".repeat(len - digits.len())),
        _ => number_text(n),
    };
    let (m6, exp6) = sci(5);
    let m6 = m6.trim_end_matches('0').trim_end_matches('.');
    format!("{held}，Excel 显示为 {m6}E+{exp6:02}")
}

/// A number as a person would write it: no exponent, no trailing ".0".
pub(crate) fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e21 {
        format!("{n:.0}")
    } else {
        format!("{n}")
    }
}

fn error_cell(e: &str, what: &str) -> Problem {
    Problem::new(
        Code::CellTypeUnexpected,
        format!("{what}单元格是公式错误值 {e}。请修正公式，或直接填写内容（可“选择性粘贴 → 数值”）"),
    )
}

fn wrong_type(v: CellValue<'_>, what: &str, expected: &str) -> Problem {
    let found = match v {
        CellValue::Error(e) => return error_cell(e, what),
        CellValue::Bool(b) => format!("逻辑值 {}", if b { "TRUE" } else { "FALSE" }),
        CellValue::DateSerial(_) | CellValue::DateIso(_) => "日期格式的单元格".to_owned(),
        CellValue::Number(n) => format!("数字 {}", number_text(n)),
        CellValue::Text(t) => format!("文字“{}”", normalize_text(t)),
    };
    Problem::new(
        Code::CellTypeUnexpected,
        format!("{what}单元格里是{found}，这里应填写{expected}。请把单元格格式改为“常规”或“文本”后重新填写"),
    )
}

/// A cell position that displays as "D5".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CellRef {
    /// 0-based column.
    pub col: u32,
    /// 1-based Excel row.
    pub row: u32,
}

impl std::fmt::Display for CellRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", column_letters(self.col), self.row)
    }
}

/// "A", "B", …, "Z", "AA", … for a 0-based column.
pub(crate) fn column_letters(col: u32) -> String {
    let mut n = col + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        out.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> CellValue<'_> {
        CellValue::Text(s)
    }

    #[test]
    fn ids() {
        let id = |v| id_number(v, "证件号码", CellRef { col: 3, row: 5 }).map_err(|p| p.code);
        assert_eq!(
            id(t("430405198803150011")).unwrap().as_deref(),
            Some("430405198803150011")
        );
        assert_eq!(
            id(t("４３０４０５１９８８０３１５００２Ｘ")).unwrap().as_deref(),
            Some("43040519880315002X")
        );
        assert_eq!(
            id(t("43040519880315002x")).unwrap().as_deref(),
            Some("43040519880315002X")
        );
        assert_eq!(
            id(t("\u{200B}4304 0519 8803 1500 11\u{00A0}"))
                .unwrap()
                .as_deref(),
            Some("430405198803150011")
        );
        assert_eq!(
            id(t("'430405198803150011")).unwrap().as_deref(),
            Some("430405198803150011")
        );
        assert_eq!(id(t("4.30421E+17")), Err(Code::IdStoredAsNumber));
        assert_eq!(
            id(CellValue::Number(4.3042119900101e17)),
            Err(Code::IdStoredAsNumber)
        );
        assert_eq!(
            id(CellValue::Number(430421900101123.0)).unwrap().as_deref(),
            Some("430421900101123")
        );
        assert_eq!(id(CellValue::Number(1.5)), Err(Code::CellTypeUnexpected));
        assert_eq!(id(CellValue::Error("#N/A")), Err(Code::CellTypeUnexpected));
        assert_eq!(id(t("#REF!")), Err(Code::CellTypeUnexpected));
        assert_eq!(id(t(" \u{3000}")).unwrap(), None);
    }

    #[test]
    fn accounts() {
        let a = |v| account(v, "个人账号", CellRef { col: 1, row: 5 }).map_err(|p| p.code);
        assert_eq!(
            a(CellValue::Number(430000200003.0)).unwrap().as_deref(),
            Some("430000200003")
        );
        assert_eq!(
            a(CellValue::Number(9913101600019123.0)),
            Err(Code::AccountStoredAsNumber)
        );
        assert_eq!(a(t("9.91310160001912E+15")), Err(Code::AccountStoredAsNumber));
        assert_eq!(a(t("００１２３")).unwrap().as_deref(), Some("00123"));
        assert_eq!(a(CellValue::Bool(true)), Err(Code::CellTypeUnexpected));
    }

    #[test]
    fn months() {
        let m = |v| {
            month(v, "生效年月", false)
                .map(|m| m.map(|m| m.to_string()))
                .map_err(|p| p.code)
        };
        for v in [
            t("202607"),
            t("2026年7月"),
            t("2026/07"),
            t("2026-07"),
            t(" 202607 "),
            t("２０２６０７"),
            CellValue::Number(202607.0),
            CellValue::Number(20260701.0),
            CellValue::Number(46204.0),
            CellValue::DateSerial(46204.0),
            CellValue::DateSerial(46204.75),
            CellValue::DateIso("2026-07-01T00:00:00.000"),
            CellValue::DateIso("2026-07-01"),
        ] {
            assert_eq!(m(v), Ok(Some("202607".to_owned())), "{v:?}");
        }
        assert_eq!(m(CellValue::Number(2026.07)), Err(Code::CellTypeUnexpected));
        assert_eq!(m(CellValue::Number(2026.0)), Err(Code::CellTypeUnexpected));
        assert_eq!(m(t("2026年13月")), Err(Code::MonthInvalid));
        assert_eq!(m(t("202613")), Err(Code::MonthInvalid));
        assert_eq!(m(t("'202607")), Ok(Some("202607".to_owned())));
        assert_eq!(m(t("2026 07")), Ok(Some("202607".to_owned())));
        assert_eq!(m(CellValue::Number(202613.0)), Err(Code::MonthInvalid));
        assert_eq!(m(t("下个月")), Err(Code::MonthInvalid));
        assert_eq!(m(CellValue::Bool(false)), Err(Code::CellTypeUnexpected));
        // 1904 date system: the same month is 1462 days earlier.
        assert_eq!(
            month(CellValue::DateSerial(46204.0 - 1462.0), "生效年月", true)
                .unwrap()
                .map(|m| m.to_string()),
            Some("202607".to_owned())
        );
    }

    #[test]
    fn amounts() {
        let f = |v| money(v, "调整后基数（元）").map_err(|p| p.code);
        assert_eq!(f(CellValue::Number(3000.5)), Ok(Some(Fen(300_050))));
        assert_eq!(f(t("3,000.50元")), Ok(Some(Fen(300_050))));
        assert_eq!(f(t("￥3000")), Ok(Some(Fen(300_000))));
        assert_eq!(f(t(" 4,100.00 ")), Ok(Some(Fen(410_000))));
        assert_eq!(f(t("三千元")), Err(Code::MoneyInvalid));
        assert_eq!(f(t("#N/A")), Err(Code::CellTypeUnexpected));
        assert_eq!(f(CellValue::DateSerial(3000.0)), Err(Code::CellTypeUnexpected));
    }

    #[test]
    fn names_and_notes() {
        assert_eq!(
            name(t("阿依古丽•买买提"), "姓名").unwrap().as_deref(),
            Some("阿依古丽·买买提")
        );
        assert_eq!(
            name(t("\u{3000}李四\u{3000}"), "姓名").unwrap().as_deref(),
            Some("李四")
        );
        assert_eq!(name(t("王五\n"), "姓名").unwrap().as_deref(), Some("王五"));
        assert!(name(CellValue::Number(1.0), "姓名").is_err());
        assert_eq!(
            text(CellValue::Number(3.0), "备注").unwrap().as_deref(),
            Some("3")
        );
        assert_eq!(text(t("  "), "备注").unwrap(), None);
    }

    #[test]
    fn scientific() {
        assert!(is_scientific("4.30421E+17"));
        assert_eq!(
            excel_shown(4.3042119900101e17),
            "430421199001010000，Excel 显示为 4.30421E+17"
        );
        assert_eq!(
            excel_shown(9913101600019123.0),
            "9913101600019120，Excel 显示为 9.9131E+15"
        );
        assert!(is_scientific("4E17"));
        assert!(is_scientific("4.3e+017"));
        assert!(!is_scientific("43040519880315002X"));
        assert!(!is_scientific("E+17"));
        assert!(!is_scientific("4.3E"));
    }
}
