//! Calendar months (年月): the unit of every 公积金 period — 缴至年月, 生效年月, 汇补缴年月.

use std::fmt;
use std::str::FromStr;

use crate::issue::Code;
use crate::text::normalize_text;

/// A calendar month, 1900-01 through 9999-12. Ordered chronologically.
///
/// Displayed and serialised as the six-character `YYYYMM` string JGJ/T 320 and the Chengdu
/// templates use (e.g. `"202407"`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(type = "string"))]
pub struct Month {
    // Field order matters: the derived `Ord` compares year first.
    year: u16,
    month: u8,
}

/// Why a month text was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MonthError {
    /// Nothing left after normalisation.
    #[error("年月为空，请填写年月，如 202407")]
    Empty,
    /// Not one of the accepted shapes.
    #[error("年月“{input}”无法识别，请填写 6 位年月（如 202407）或 2024-07、2024年7月")]
    Invalid {
        /// The (normalised) text as found.
        input: String,
    },
    /// Month number outside 1–12.
    #[error("年月“{input}”中的月份不在 1–12 之间，请核对")]
    MonthOutOfRange {
        /// The (normalised) text as found.
        input: String,
    },
    /// A day was given but that day does not exist in that month.
    #[error("日期“{input}”不存在（该月没有这一天），请核对")]
    DayOutOfRange {
        /// The (normalised) text as found.
        input: String,
    },
    /// Year before 1900 or after 9999.
    #[error("年月“{input}”中的年份不在 1900–9999 之间，请核对")]
    YearOutOfRange {
        /// The (normalised) text as found.
        input: String,
    },
}

impl MonthError {
    /// The stable [`Code`] to report this error under.
    pub fn code(&self) -> Code {
        match self {
            MonthError::Empty => Code::Required,
            _ => Code::MonthInvalid,
        }
    }
}

const MIN_YEAR: i32 = 1900;
const MAX_YEAR: i32 = 9999;

/// Days since 1899-12-30 (Excel's day 0) of 9999-12-31, the last day Excel can show.
const EXCEL_MAX_DAY: i64 = 2_958_465;
/// 1904-01-01, day 0 of the Mac/1904 date system, counted from 1899-12-30.
const EXCEL_1904_OFFSET: i64 = 1462;

impl Month {
    /// The earliest representable month, 1900-01.
    pub const MIN: Month = Month {
        year: MIN_YEAR as u16,
        month: 1,
    };
    /// The latest representable month, 9999-12.
    pub const MAX: Month = Month {
        year: MAX_YEAR as u16,
        month: 12,
    };

    /// The month `year`-`month`, or `None` outside 1900-01..=9999-12 or month ∉ 1..=12.
    pub const fn new(year: i32, month: u32) -> Option<Month> {
        if year < MIN_YEAR || year > MAX_YEAR || month < 1 || month > 12 {
            return None;
        }
        Some(Month {
            year: year as u16,
            month: month as u8,
        })
    }

    /// The year, e.g. 2024.
    pub const fn year(self) -> i32 {
        self.year as i32
    }

    /// The month of the year, 1–12.
    pub const fn month(self) -> u32 {
        self.month as u32
    }

    /// The month as the number `YYYYMM`, e.g. 202407.
    pub const fn yyyymm(self) -> u32 {
        self.year as u32 * 100 + self.month as u32
    }

    /// Months since year 0 — a linear index for arithmetic.
    const fn index(self) -> i64 {
        self.year as i64 * 12 + self.month as i64 - 1
    }

    fn from_index(i: i64) -> Option<Month> {
        let year = i32::try_from(i.div_euclid(12)).ok()?;
        Month::new(year, (i.rem_euclid(12) + 1) as u32)
    }

    /// `self + n` months, or `None` when that leaves 1900-01..=9999-12.
    pub fn checked_add_months(self, n: i32) -> Option<Month> {
        Month::from_index(self.index() + i64::from(n))
    }

    /// `self + n` months (n may be negative), clamped to [`Month::MIN`]..=[`Month::MAX`].
    ///
    /// Clamping instead of failing keeps everyday arithmetic (`paid_through + 1`) free of
    /// `Option`s; the range is centuries beyond any real 公积金 date.
    pub fn add_months(self, n: i32) -> Month {
        let i = (self.index() + i64::from(n)).clamp(Month::MIN.index(), Month::MAX.index());
        Month::from_index(i).unwrap_or(if n < 0 { Month::MIN } else { Month::MAX })
    }

    /// The following month (clamped at 9999-12).
    pub fn next(self) -> Month {
        self.add_months(1)
    }

    /// The preceding month (clamped at 1900-01).
    pub fn prev(self) -> Month {
        self.add_months(-1)
    }

    /// How many months from `self` to `other`: positive when `other` is later.
    /// `202401.months_until(202407) == 6`.
    pub fn months_until(self, other: Month) -> i32 {
        // Both indexes lie within 1900*12..=9999*12, so the difference fits an i32.
        (other.index() - self.index()) as i32
    }

    /// Parses the month forms people actually type into a sheet (after NFKC normalisation, so
    /// full-width digits and separators work too):
    ///
    /// - `202407`, `20240701`
    /// - `2024-07`, `2024/7`, `2024.07` (the same separator throughout)
    /// - `2024-07-01`, `2024/7/1`, `2024.7.1`, optionally followed by a time (`2024-07-01 00:00:00`)
    /// - `2024年7月`, `2024年07月`, `2024年7月1日` (or `1号`)
    ///
    /// A full date yields its month; the day must still exist (`2023-02-29` is refused).
    ///
    /// Numeric Excel cells are the caller's job: a date-formatted cell goes through
    /// [`Month::from_excel_serial`]; a plain number such as `202407.0` must be passed as the text
    /// of its integer value (`"202407"`). A number with a fraction (`2024.1`) is ambiguous — the
    /// user may have typed `2024.10` — and should be reported as an unexpected cell type rather
    /// than parsed.
    pub fn parse(s: &str) -> Result<Month, MonthError> {
        let n = normalize_text(s);
        let n = n.as_ref();
        if n.is_empty() {
            return Err(MonthError::Empty);
        }
        let invalid = || MonthError::Invalid { input: n.to_owned() };
        // An optional time part after a space or 'T' (exports of datetime columns).
        let date = match n.find([' ', 'T']) {
            Some(at) => {
                let time = n[at + 1..].trim();
                let time_char = |b: u8| b.is_ascii_digit() || matches!(b, b':' | b'.' | b'Z' | b'+' | b'-');
                if time.is_empty() || !time.bytes().all(time_char) {
                    return Err(invalid());
                }
                &n[..at]
            }
            None => n,
        };
        let (y, m, d) = split_date(date).ok_or_else(invalid)?;
        let year: i32 = y.parse().map_err(|_| invalid())?;
        let month: u32 = m.parse().map_err(|_| invalid())?;
        if !(1..=12).contains(&month) {
            return Err(MonthError::MonthOutOfRange { input: n.to_owned() });
        }
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(MonthError::YearOutOfRange { input: n.to_owned() });
        }
        if let Some(d) = d {
            let day: u32 = d.parse().map_err(|_| invalid())?;
            if day == 0 || day > days_in_month(year, month) {
                return Err(MonthError::DayOutOfRange { input: n.to_owned() });
            }
        }
        Month::new(year, month).ok_or_else(invalid)
    }

    /// Strict `YYYYMM` only — the wire format.
    fn parse_yyyymm(s: &str) -> Option<Month> {
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Month::new(s[..4].parse().ok()?, s[4..].parse().ok()?)
    }

    /// The month of an Excel date serial number (the fraction, i.e. the time, is ignored).
    ///
    /// 1900 system (`date1904 == false`): serial 1 = 1900-01-01, and serial 60 is Lotus'
    /// fictitious 1900-02-29, which we read as February 1900; from serial 61 on it is days since
    /// 1899-12-30 (45474 = 2024-07-01). 1904 system: serial 0 = 1904-01-01 (offset 1462).
    /// `None` for non-finite, pre-epoch or post-9999 values.
    pub fn from_excel_serial(serial: f64, date1904: bool) -> Option<Month> {
        if !serial.is_finite() {
            return None;
        }
        let whole = serial.floor();
        if whole < 0.0 || whole > EXCEL_MAX_DAY as f64 {
            return None;
        }
        // In range, so the cast is exact.
        let whole = whole as i64;
        let days_since_18991230 = if date1904 {
            whole + EXCEL_1904_OFFSET
        } else {
            match whole {
                i64::MIN..=0 => return None,
                1..=59 => whole + 1, // before the phantom leap day the epoch is really 1899-12-31
                60 => return Month::new(1900, 2),
                _ => whole,
            }
        };
        if days_since_18991230 > EXCEL_MAX_DAY {
            return None;
        }
        let (y, m, _) = civil_from_days(days_since_18991230 + DAYS_18991230_TO_UNIX);
        Month::new(y, m)
    }
}

/// Splits a date text into (year, month, optional day) digit strings, or `None` for an
/// unrecognised shape.
/// A date `YYYY-MM-DD` from `2025-06-30`, `2025/6/30`, `2025年6月30日` or `20250630`.
pub fn parse_date(s: &str) -> Option<String> {
    let n = normalize_text(s);
    let t = n.trim().trim_end_matches('日');
    let parts: Vec<&str> = t.split(['-', '/', '.', '年', '月']).collect();
    let (y, m, d) = match parts.as_slice() {
        [y, m, d] => (
            y.parse::<i32>().ok()?,
            m.parse::<u32>().ok()?,
            d.parse::<u32>().ok()?,
        ),
        [one] if one.len() == 8 && one.bytes().all(|b| b.is_ascii_digit()) => (
            one[..4].parse().ok()?,
            one[4..6].parse().ok()?,
            one[6..].parse().ok()?,
        ),
        _ => return None,
    };
    if !(1900..=2200).contains(&y) || !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

/// The month of a `YYYY-MM-DD` date.
pub fn date_month(date: &str) -> Option<Month> {
    Month::new(date.get(..4)?.parse().ok()?, date.get(5..7)?.parse().ok()?)
}

fn split_date(s: &str) -> Option<(&str, &str, Option<&str>)> {
    let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let year_ok = |t: &str| t.len() == 4 && all_digits(t);
    let part_ok = |t: &str| (1..=2).contains(&t.len()) && all_digits(t);
    if all_digits(s) {
        return match s.len() {
            6 => Some((&s[..4], &s[4..], None)),
            8 => Some((&s[..4], &s[4..6], Some(&s[6..]))),
            _ => None,
        };
    }
    if let Some((y, rest)) = s.split_once('年') {
        let (m, rest) = rest.split_once('月')?;
        let d = if rest.is_empty() {
            None
        } else {
            let d = rest.strip_suffix('日').or_else(|| rest.strip_suffix('号'))?;
            Some(d)
        };
        return (year_ok(y) && part_ok(m) && d.is_none_or(part_ok)).then_some((y, m, d));
    }
    let sep = s.bytes().find(|b| !b.is_ascii_digit())?;
    if !matches!(sep, b'-' | b'/' | b'.') {
        return None;
    }
    let mut parts = s.split(char::from(sep));
    let y = parts.next()?;
    let m = parts.next()?;
    let d = parts.next();
    if parts.next().is_some() {
        return None;
    }
    (year_ok(y) && part_ok(m) && d.is_none_or(part_ok)).then_some((y, m, d))
}

pub(crate) const fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Number of days in `month` (1–12) of `year`; 0 for an invalid month.
pub(crate) const fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days from 1970-01-01 back to 1899-12-30 (negative).
const DAYS_18991230_TO_UNIX: i64 = -25_569;

/// Proleptic Gregorian (year, month, day) of a day count since 1970-01-01
/// (H. Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    // Callers pass Excel-range days, so the year fits comfortably.
    (y as i32, m as u32, d as u32)
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}{:02}", self.year, self.month)
    }
}

impl fmt::Debug for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Month({self})")
    }
}

impl FromStr for Month {
    type Err = MonthError;

    /// Same as [`Month::parse`] (lenient).
    fn from_str(s: &str) -> Result<Month, MonthError> {
        Month::parse(s)
    }
}

impl serde::Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Month {
    /// Strict: the wire format is the `YYYYMM` string (an integer 202407 is tolerated).
    /// Lenient parsing belongs to the importer, not to the contract.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Month, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Month;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a month as a YYYYMM string, e.g. \"202407\"")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Month, E> {
                Month::parse_yyyymm(v).ok_or_else(|| E::invalid_value(serde::de::Unexpected::Str(v), &self))
            }

            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Month, E> {
                u32::try_from(v)
                    .ok()
                    .and_then(|v| Month::new((v / 100) as i32, v % 100))
                    .filter(|_| v >= 100_000)
                    .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Unsigned(v), &self))
            }

            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Month, E> {
                let u = u64::try_from(v)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(v), &self))?;
                self.visit_u64(u)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(year: i32, month: u32) -> Month {
        Month::new(year, month).unwrap()
    }

    #[test]
    fn new_validates() {
        assert_eq!(
            Month::new(2024, 7).map(|m| (m.year(), m.month())),
            Some((2024, 7))
        );
        assert_eq!(Month::new(2024, 0), None);
        assert_eq!(Month::new(2024, 13), None);
        assert_eq!(Month::new(1899, 12), None);
        assert_eq!(Month::new(10_000, 1), None);
    }

    #[test]
    fn parse_accepts_every_documented_form() {
        let july = m(2024, 7);
        for input in [
            "202407",
            "2024-07",
            "2024-7",
            "2024/7",
            "2024/07",
            "2024.07",
            "2024.7",
            "2024年7月",
            "2024年07月",
            "2024-07-01",
            "2024/7/1",
            "2024.07.31",
            "2024年7月1日",
            "2024年7月1号",
            "20240701",
            "2024-07-01 00:00:00",
            "2024-07-01T08:30",
            "2024-07-01T00:00:00.000Z",
            "2024-07-01T00:00:00+08:00",
            " 202407 ",
            "２０２４０７",
            "２０２４年７月",
            "２０２４－０７",
            "2024／7／1",
            "\u{3000}2024年7月\u{3000}",
        ] {
            assert_eq!(Month::parse(input), Ok(july), "input {input:?}");
        }
    }

    #[test]
    fn parse_rejects_with_specific_errors() {
        let invalid = |s: &str| MonthError::Invalid { input: s.to_owned() };
        let cases: Vec<(&str, MonthError)> = vec![
            ("", MonthError::Empty),
            ("   ", MonthError::Empty),
            ("2024", invalid("2024")),
            ("24-07", invalid("24-07")),
            ("2024-07/01", invalid("2024-07/01")),
            ("2024-007", invalid("2024-007")),
            ("2024年7", invalid("2024年7")),
            ("2024年7月1", invalid("2024年7月1")),
            ("July 2024", invalid("July 2024")),
            ("2024-07-01 noon", invalid("2024-07-01 noon")),
            ("2024-07-01-02", invalid("2024-07-01-02")),
            ("2024_07", invalid("2024_07")),
            (
                "202413",
                MonthError::MonthOutOfRange {
                    input: "202413".into(),
                },
            ),
            (
                "2024-00",
                MonthError::MonthOutOfRange {
                    input: "2024-00".into(),
                },
            ),
            (
                "2023-02-29",
                MonthError::DayOutOfRange {
                    input: "2023-02-29".into(),
                },
            ),
            (
                "2024/4/31",
                MonthError::DayOutOfRange {
                    input: "2024/4/31".into(),
                },
            ),
            (
                "2024年7月0日",
                MonthError::DayOutOfRange {
                    input: "2024年7月0日".into(),
                },
            ),
            (
                "189912",
                MonthError::YearOutOfRange {
                    input: "189912".into(),
                },
            ),
        ];
        for (input, want) in cases {
            assert_eq!(Month::parse(input), Err(want), "input {input:?}");
        }
        assert_eq!(Month::parse("2024-02-29"), Ok(m(2024, 2)));
        assert_eq!(MonthError::Empty.code(), Code::Required);
        assert_eq!(
            MonthError::Invalid { input: String::new() }.code(),
            Code::MonthInvalid
        );
    }

    #[test]
    fn excel_serials() {
        let cases: &[(f64, bool, Option<Month>)] = &[
            (45474.0, false, Some(m(2024, 7))),  // 2024-07-01 (REFERENCE F2)
            (45473.0, false, Some(m(2024, 6))),  // 2024-06-30
            (45504.75, false, Some(m(2024, 7))), // 2024-07-31 18:00
            (45505.0, false, Some(m(2024, 8))),
            (1.0, false, Some(m(1900, 1))),
            (31.0, false, Some(m(1900, 1))),
            (32.0, false, Some(m(1900, 2))),
            (59.0, false, Some(m(1900, 2))), // 1900-02-28
            (60.0, false, Some(m(1900, 2))), // the fictitious 1900-02-29
            (61.0, false, Some(m(1900, 3))), // 1900-03-01
            (2_958_465.0, false, Some(m(9999, 12))),
            (2_958_466.0, false, None),
            (0.0, false, None),
            (0.5, false, None),
            (-1.0, false, None),
            (f64::NAN, false, None),
            (f64::INFINITY, false, None),
            (0.0, true, Some(m(1904, 1))),
            (44012.0, true, Some(m(2024, 7))), // 45474 − 1462
            (44011.0, true, Some(m(2024, 6))),
            (-1.0, true, None),
        ];
        for (serial, date1904, want) in cases {
            assert_eq!(
                Month::from_excel_serial(*serial, *date1904),
                *want,
                "serial {serial} 1904={date1904}"
            );
        }
    }

    #[test]
    fn arithmetic() {
        assert_eq!(m(2024, 12).next(), m(2025, 1));
        assert_eq!(m(2025, 1).prev(), m(2024, 12));
        assert_eq!(m(2024, 7).add_months(-19), m(2022, 12));
        assert_eq!(m(2024, 7).add_months(30), m(2027, 1));
        assert_eq!(m(2024, 1).months_until(m(2024, 7)), 6);
        assert_eq!(m(2024, 7).months_until(m(2023, 7)), -12);
        assert_eq!(Month::MAX.next(), Month::MAX);
        assert_eq!(Month::MIN.prev(), Month::MIN);
        assert_eq!(Month::MIN.add_months(i32::MIN), Month::MIN);
        assert_eq!(Month::MAX.add_months(i32::MAX), Month::MAX);
        assert_eq!(m(2024, 7).checked_add_months(1), Some(m(2024, 8)));
        assert_eq!(Month::MAX.checked_add_months(1), None);
        assert!(m(2023, 12) < m(2024, 1));
        assert!(m(2024, 2) > m(2024, 1));
    }

    #[test]
    fn display_and_serde_are_yyyymm() {
        assert_eq!(m(2024, 7).to_string(), "202407");
        assert_eq!(m(2024, 7).yyyymm(), 202_407);
        assert_eq!(format!("{:?}", m(1900, 1)), "Month(190001)");
        assert_eq!(serde_json::to_string(&m(2024, 7)).unwrap(), "\"202407\"");
        assert_eq!(serde_json::from_str::<Month>("\"202407\"").unwrap(), m(2024, 7));
        assert_eq!(serde_json::from_str::<Month>("202407").unwrap(), m(2024, 7));
        for bad in [
            "\"2024-07\"",
            "\"202413\"",
            "\"20240\"",
            "2024",
            "-202407",
            "\"\"",
            "null",
        ] {
            assert!(
                serde_json::from_str::<Month>(bad).is_err(),
                "{bad} must be refused"
            );
        }
        assert_eq!("2024年7月".parse::<Month>(), Ok(m(2024, 7)));
    }
}
