//! Money as an integer number of 分 (fen, 0.01 元).
//!
//! Amounts are never held in floating point: "0.1 + 0.2" must be 0.30 元 exactly, and the
//! gateway and the client must compute identical 月缴存额 to the fen.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::decimal::{parse_scaled, DecimalError};
use crate::ids::normalize_text;
use crate::issue::Code;

/// An amount of money in 分. Serialised as the bare integer (`300050` = 3000.50 元);
/// displayed as yuan with two decimals (`3000.50`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Fen(pub i64);

/// Why an amount was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MoneyError {
    /// Nothing left after normalisation.
    #[error("金额为空，请填写金额（元），如 3000 或 3000.50")]
    Empty,
    /// A negative amount where only amounts ≥ 0 make sense.
    #[error("金额“{input}”为负数，请填写不小于 0 的金额")]
    Negative {
        /// The (normalised) text as found.
        input: String,
    },
    /// More than two significant decimal places.
    #[error("金额“{input}”超过两位小数，请精确到分（最多两位小数）")]
    TooManyDecimals {
        /// The (normalised) text as found.
        input: String,
    },
    /// Not a number in any accepted form.
    #[error("金额“{input}”不是有效数字，请只填写数字，如 3000、3,000.50 或 3000元")]
    Invalid {
        /// The (normalised) text as found.
        input: String,
    },
    /// A spreadsheet number that is NaN or infinite (a broken formula).
    #[error("金额不是有效数值（可能是公式出错），请填写具体金额")]
    NotFinite,
    /// Too large to represent.
    #[error("金额“{input}”过大，请核对")]
    Overflow {
        /// The (normalised) text as found.
        input: String,
    },
}

impl MoneyError {
    /// The stable [`Code`] to report this error under.
    pub fn code(&self) -> Code {
        match self {
            MoneyError::Empty => Code::Required,
            _ => Code::MoneyInvalid,
        }
    }
}

/// Tolerance, in yuan, for an Excel number to count as an exact fen value.
const CELL_TOLERANCE_YUAN: f64 = 1e-6;
/// 2^53: above this an f64 can no longer represent every integer fen.
const F64_EXACT_LIMIT: f64 = 9_007_199_254_740_992.0;

impl Fen {
    /// Zero.
    pub const ZERO: Fen = Fen(0);

    /// Whole yuan → fen (saturating at the `i64` limits, which no real amount approaches).
    pub const fn from_yuan(yuan: i64) -> Fen {
        Fen(yuan.saturating_mul(100))
    }

    /// Parses an amount in yuan as people type it: `3000`, `3000.5`, `3,000.50`, `3000元`,
    /// `￥3000`, `¥3,000.5`, full-width digits, surrounding blanks.
    ///
    /// Refused: negatives, more than two significant decimals (`3000.500` is fine,
    /// `3000.505` is not), bad thousands grouping (`30,00`), anything else.
    pub fn parse_yuan(s: &str) -> Result<Fen, MoneyError> {
        let n = normalize_text(s);
        let n = n.as_ref();
        if n.is_empty() {
            return Err(MoneyError::Empty);
        }
        let mut t = n;
        // NFKC has already folded the full-width ￥ (U+FFE5) into ¥ (U+00A5).
        if let Some(rest) = t.strip_prefix('¥') {
            t = rest.trim_start();
        }
        if let Some(rest) = t.strip_suffix('元') {
            t = rest.trim_end();
        }
        if t.starts_with(['-', '\u{2212}']) {
            return Err(MoneyError::Negative { input: n.to_owned() });
        }
        if t.is_empty() {
            return Err(MoneyError::Invalid { input: n.to_owned() });
        }
        parse_scaled(t, 2, true).map(Fen).map_err(|e| match e {
            DecimalError::Invalid => MoneyError::Invalid { input: n.to_owned() },
            DecimalError::TooPrecise => MoneyError::TooManyDecimals { input: n.to_owned() },
            DecimalError::Overflow => MoneyError::Overflow { input: n.to_owned() },
        })
    }

    /// Converts the `f64` of an Excel numeric cell (in yuan) to fen — the one place where
    /// floating point meets money.
    ///
    /// Accepted when the value lies within 1e-6 yuan (plus a few ulps for large values) of an
    /// exact fen amount, so `0.1 + 0.2` (0.30000000000000004) is 30 fen. Refused: NaN/∞,
    /// negatives, more than two decimals (`3000.505`), and values beyond 2^53 fen.
    pub fn from_cell_number(v: f64) -> Result<Fen, MoneyError> {
        if !v.is_finite() {
            return Err(MoneyError::NotFinite);
        }
        if v < 0.0 {
            // -0.0 compares equal to 0.0 and is accepted as zero below.
            return Err(MoneyError::Negative {
                input: format!("{v}"),
            });
        }
        match whole_fen(v) {
            Some(fen) => Ok(fen),
            None => rounded_fen(v),
        }
    }

    /// `self + other`, `None` on overflow.
    pub const fn checked_add(self, other: Fen) -> Option<Fen> {
        match self.0.checked_add(other.0) {
            Some(v) => Some(Fen(v)),
            None => None,
        }
    }

    /// `self − other`, `None` on overflow.
    pub const fn checked_sub(self, other: Fen) -> Option<Fen> {
        match self.0.checked_sub(other.0) {
            Some(v) => Some(Fen(v)),
            None => None,
        }
    }

    /// `self × n`, `None` on overflow (e.g. 月缴存额 × 月数 for a 补缴).
    pub const fn checked_mul(self, n: i64) -> Option<Fen> {
        match self.0.checked_mul(n) {
            Some(v) => Some(Fen(v)),
            None => None,
        }
    }

    /// `self + other`, clamped at the `i64` limits.
    pub const fn saturating_add(self, other: Fen) -> Fen {
        Fen(self.0.saturating_add(other.0))
    }

    /// True when strictly greater than zero.
    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }
}

impl fmt::Display for Fen {
    /// Yuan with exactly two decimals, no grouping: `3000.50`, `-0.05`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

/// The fast path of [`Fen::from_cell_number`] (finite `v` ≥ 0): `v` × 100 already a whole number of fen (the usual
/// amount cell). Such a product needs no rounding and lies within a few ulps of `v`, inside the tolerance of
/// [`rounded_fen`], which would answer the same (see the test); `round` is a library call, and this runs on
/// every amount cell. The casts are exact under 2^53.
fn whole_fen(v: f64) -> Option<Fen> {
    let cents = v * 100.0;
    (cents < F64_EXACT_LIMIT && (cents as i64) as f64 == cents).then_some(Fen(cents as i64))
}

/// The general path of [`Fen::from_cell_number`] (finite `v` ≥ 0): the nearest fen, if `v` is close enough to it.
fn rounded_fen(v: f64) -> Result<Fen, MoneyError> {
    let input = || format!("{v}");
    let fen = (v * 100.0).round();
    if fen >= F64_EXACT_LIMIT {
        return Err(MoneyError::Overflow { input: input() });
    }
    let tolerance = CELL_TOLERANCE_YUAN + v * 4.0 * f64::EPSILON;
    if (fen / 100.0 - v).abs() > tolerance {
        return Err(MoneyError::TooManyDecimals { input: input() });
    }
    // |fen| < 2^53, so the cast is exact.
    Ok(Fen(fen as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path answers as the general path would, wherever it answers: every amount of 0.00–9,999.99
    /// yuan as i/100, and pseudo-random values (amounts with 0–4 decimals up to 10^12 yuan, near the 2^53 fen
    /// limit, and arbitrary finite doubles of every exponent).
    #[test]
    fn whole_fen_fast_path_agrees_with_rounding() {
        let agree = |v: f64| {
            let slow = rounded_fen(v);
            if let Some(fast) = whole_fen(v) {
                assert_eq!(Ok(fast), slow, "value {v:e} ({:#x})", v.to_bits());
            }
            assert_eq!(Fen::from_cell_number(v), slow, "value {v:e}");
        };
        let mut fast = 0u32;
        for i in 0..1_000_000i64 {
            let v = i as f64 / 100.0;
            agree(v);
            assert_eq!(Fen::from_cell_number(v), Ok(Fen(i)), "value {v}");
            fast += u32::from(whole_fen(v).is_some());
        }
        // The fast path is taken for most of them (else it would be no fast path).
        assert!(fast > 500_000, "{fast}");
        // A 64-bit LCG (Knuth's MMIX constants): fixed, so a failure reproduces.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            state
        };
        for _ in 0..1_000_000 {
            let r = next();
            let decimals = [1.0, 10.0, 100.0, 1000.0, 10_000.0][(r >> 61) as usize % 5];
            // Up to 10^12 yuan with 0–4 decimals, then an ulp or two either way.
            let v = (r % 1_000_000_000_000_000) as f64 / decimals;
            let bits = v.to_bits();
            for v in [
                v,
                f64::from_bits(bits + 1),
                f64::from_bits(bits.saturating_sub(1)),
            ] {
                agree(v);
            }
            // Around the 2^53-fen limit.
            agree(F64_EXACT_LIMIT / 100.0 + ((r >> 40) as f64 - 8_388_608.0) * 0.01);
            // Any finite, non-negative double.
            let any = f64::from_bits(next() >> 1);
            if any.is_finite() {
                agree(any);
            }
        }
    }

    #[test]
    fn parse_yuan_accepts() {
        let cases: &[(&str, i64)] = &[
            ("3000", 300_000),
            ("0", 0),
            ("3000.5", 300_050),
            ("3000.50", 300_050),
            ("3000.500", 300_050),
            ("3,000.50", 300_050),
            ("1,234,567.89", 123_456_789),
            ("3000元", 300_000),
            ("3000 元", 300_000),
            ("￥3000", 300_000),
            ("¥3,000.5", 300_050),
            ("¥ 3000", 300_000),
            ("￥3,000.05元", 300_005),
            ("３０００．５", 300_050),
            ("３，０００", 300_000),
            ("\u{3000}3000\u{00A0}", 300_000),
            ("0.29", 29),
            ("21142", 2_114_200),
        ];
        for (input, fen) in cases {
            assert_eq!(Fen::parse_yuan(input), Ok(Fen(*fen)), "input {input:?}");
        }
    }

    #[test]
    fn parse_yuan_rejects() {
        type MakeError = fn(String) -> MoneyError;
        let cases: &[(&str, MakeError)] = &[
            ("-3000", |input| MoneyError::Negative { input }),
            ("－3000", |input| MoneyError::Negative { input }),
            ("¥-3000", |input| MoneyError::Negative { input }),
            ("\u{2212}5", |input| MoneyError::Negative { input }),
            ("3000.505", |input| MoneyError::TooManyDecimals { input }),
            ("0.001", |input| MoneyError::TooManyDecimals { input }),
            ("abc", |input| MoneyError::Invalid { input }),
            ("30,00", |input| MoneyError::Invalid { input }),
            ("3000.", |input| MoneyError::Invalid { input }),
            (".5", |input| MoneyError::Invalid { input }),
            ("3 000", |input| MoneyError::Invalid { input }),
            ("+3000", |input| MoneyError::Invalid { input }),
            ("3e3", |input| MoneyError::Invalid { input }),
            ("元", |input| MoneyError::Invalid { input }),
            ("3000美元", |input| MoneyError::Invalid { input }),
            ("99999999999999999999", |input| MoneyError::Overflow { input }),
        ];
        for (input, make) in cases {
            let normalised = normalize_text(input).into_owned();
            assert_eq!(Fen::parse_yuan(input), Err(make(normalised)), "input {input:?}");
        }
        assert_eq!(Fen::parse_yuan("  "), Err(MoneyError::Empty));
        assert_eq!(MoneyError::Empty.code(), Code::Required);
        assert_eq!(MoneyError::NotFinite.code(), Code::MoneyInvalid);
    }

    #[test]
    fn from_cell_number_table() {
        let ok: &[(f64, i64)] = &[
            (3000.0, 300_000),
            (3000.5, 300_050),
            (0.29, 29),
            (0.1 + 0.2, 30),
            (1699.99, 169_999),
            (21142.0, 2_114_200),
            (0.0, 0),
            (-0.0, 0),
            (3000.0000004, 300_000), // within 1e-6 yuan
            (12_345_678_901.23, 1_234_567_890_123),
        ];
        for (v, fen) in ok {
            assert_eq!(Fen::from_cell_number(*v), Ok(Fen(*fen)), "value {v}");
        }
        assert_eq!(Fen::from_cell_number(f64::NAN), Err(MoneyError::NotFinite));
        assert_eq!(Fen::from_cell_number(f64::INFINITY), Err(MoneyError::NotFinite));
        assert_eq!(
            Fen::from_cell_number(f64::NEG_INFINITY),
            Err(MoneyError::NotFinite)
        );
        assert!(matches!(
            Fen::from_cell_number(-1.0),
            Err(MoneyError::Negative { .. })
        ));
        assert!(matches!(
            Fen::from_cell_number(3000.505),
            Err(MoneyError::TooManyDecimals { .. })
        ));
        assert!(matches!(
            Fen::from_cell_number(0.001),
            Err(MoneyError::TooManyDecimals { .. })
        ));
        assert!(matches!(
            Fen::from_cell_number(3000.00001),
            Err(MoneyError::TooManyDecimals { .. })
        ));
        assert!(matches!(
            Fen::from_cell_number(1e17),
            Err(MoneyError::Overflow { .. })
        ));
    }

    #[test]
    fn display_is_yuan_with_two_decimals() {
        let cases: &[(i64, &str)] = &[
            (0, "0.00"),
            (5, "0.05"),
            (300_050, "3000.50"),
            (2_114_200, "21142.00"),
            (-5, "-0.05"),
            (-300_050, "-3000.50"),
            (i64::MIN, "-92233720368547758.08"),
        ];
        for (fen, want) in cases {
            assert_eq!(Fen(*fen).to_string(), *want);
        }
    }

    #[test]
    fn arithmetic_and_serde() {
        assert_eq!(Fen::from_yuan(1700), Fen(170_000));
        assert_eq!(Fen::from_yuan(i64::MAX), Fen(i64::MAX));
        assert_eq!(Fen(1).checked_add(Fen(2)), Some(Fen(3)));
        assert_eq!(Fen(i64::MAX).checked_add(Fen(1)), None);
        assert_eq!(Fen(1).checked_sub(Fen(3)), Some(Fen(-2)));
        assert_eq!(Fen(i64::MIN).checked_sub(Fen(1)), None);
        assert_eq!(Fen(50_760).checked_mul(12), Some(Fen(609_120)));
        assert_eq!(Fen(i64::MAX).checked_mul(2), None);
        assert_eq!(Fen(i64::MAX).saturating_add(Fen(1)), Fen(i64::MAX));
        assert!(Fen(1).is_positive() && !Fen::ZERO.is_positive() && !Fen(-1).is_positive());
        assert_eq!(Fen::default(), Fen::ZERO);
        assert_eq!(serde_json::to_string(&Fen(300_050)).unwrap(), "300050");
        assert_eq!(serde_json::from_str::<Fen>("300050").unwrap(), Fen(300_050));
    }
}
