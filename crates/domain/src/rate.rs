//! Contribution rates (缴存比例) in basis points.
//!
//! Rates are entered as percents in the hall UI and stored as fractions (decimal(4,2)) by
//! JGJ/T 320 systems (REFERENCE B3/B4); basis points hold both exactly as an integer.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::decimal::{parse_scaled, DecimalError};
use crate::ids::normalize_text;
use crate::issue::Code;

/// A rate in basis points: `Rate(1200)` = 12% = 0.12. Serialised as the bare integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Rate(pub u32);

/// Why a rate text was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RateError {
    /// Nothing left after normalisation.
    #[error("缴存比例为空，请填写比例，如 12%")]
    Empty,
    /// Not a number in any accepted form.
    #[error("缴存比例“{input}”无法识别，请填写如 12、12% 或 0.12")]
    Invalid {
        /// The (normalised) text as found.
        input: String,
    },
    /// Finer than a basis point (0.01%).
    #[error("缴存比例“{input}”过于精细，百分数最多两位小数（如 12.25%）")]
    TooPrecise {
        /// The (normalised) text as found.
        input: String,
    },
    /// Above 100%.
    #[error("缴存比例“{input}”超过 100%，请核对")]
    OutOfRange {
        /// The (normalised) text as found.
        input: String,
    },
}

impl RateError {
    /// The stable [`Code`] to report this error under.
    pub fn code(&self) -> Code {
        match self {
            RateError::Empty => Code::Required,
            _ => Code::RateInvalid,
        }
    }
}

/// 100% in basis points.
const FULL: u32 = 10_000;

impl Rate {
    /// Zero.
    pub const ZERO: Rate = Rate(0);

    /// Whole percent → rate: `Rate::from_percent(12) == Rate(1200)` (saturating).
    pub const fn from_percent(percent: u32) -> Rate {
        Rate(percent.saturating_mul(100))
    }

    /// The rate in basis points.
    pub const fn basis_points(self) -> u32 {
        self.0
    }

    /// Parses `12`, `12%`, `12.5%`, `１２％` or a fraction `0.12`.
    ///
    /// With a `%` sign the number is always a percent. Without one, a value below 1 is read as
    /// a fraction (`0.12` = 12%, as JGJ/T 320 stores it) and a value of 1 or more as a percent
    /// (`12` = 12%). Resolution is one basis point; more than 100% is refused.
    pub fn parse_percent(s: &str) -> Result<Rate, RateError> {
        let n = normalize_text(s);
        let n = n.as_ref();
        if n.is_empty() {
            return Err(RateError::Empty);
        }
        let map = |e: DecimalError| match e {
            DecimalError::Invalid => RateError::Invalid { input: n.to_owned() },
            DecimalError::TooPrecise => RateError::TooPrecise { input: n.to_owned() },
            DecimalError::Overflow => RateError::OutOfRange { input: n.to_owned() },
        };
        let bp = if let Some(p) = n.strip_suffix('%') {
            parse_scaled(p.trim_end(), 2, false).map_err(map)?
        } else {
            // Parse once at fraction resolution (4 places) to see the magnitude, then re-read
            // percents at theirs, so "12.345" is refused rather than silently truncated.
            let as_fraction = parse_scaled(n, 4, false).map_err(map)?;
            if as_fraction < i64::from(FULL) {
                as_fraction
            } else {
                parse_scaled(n, 2, false).map_err(map)?
            }
        };
        match u32::try_from(bp) {
            Ok(bp) if bp <= FULL => Ok(Rate(bp)),
            _ => Err(RateError::OutOfRange { input: n.to_owned() }),
        }
    }
}

impl fmt::Display for Rate {
    /// Percent without trailing zeros: `12%`, `12.5%`, `12.25%`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / 100;
        match self.0 % 100 {
            0 => write!(f, "{whole}%"),
            frac if frac % 10 == 0 => write!(f, "{whole}.{}%", frac / 10),
            frac => write!(f, "{whole}.{frac:02}%"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_percent_accepts() {
        let cases: &[(&str, u32)] = &[
            ("12", 1200),
            ("12%", 1200),
            ("12 %", 1200),
            ("12.5%", 1250),
            ("12.5", 1250),
            ("12.25%", 1225),
            ("5", 500),
            ("1", 100),
            ("100%", 10_000),
            ("0.12", 1200),
            ("0.125", 1250),
            ("0.05", 500),
            ("0.1234", 1234),
            ("0", 0),
            ("0%", 0),
            ("0.5%", 50),
            ("１２％", 1200),
            (" 12% ", 1200),
        ];
        for (input, bp) in cases {
            assert_eq!(Rate::parse_percent(input), Ok(Rate(*bp)), "input {input:?}");
        }
    }

    #[test]
    fn parse_percent_rejects() {
        let cases: &[(&str, RateError)] = &[
            ("", RateError::Empty),
            ("abc", RateError::Invalid { input: "abc".into() }),
            ("-12%", RateError::Invalid { input: "-12%".into() }),
            ("12%%", RateError::Invalid { input: "12%%".into() }),
            (
                "12.345%",
                RateError::TooPrecise {
                    input: "12.345%".into(),
                },
            ),
            (
                "12.345",
                RateError::TooPrecise {
                    input: "12.345".into(),
                },
            ),
            (
                "0.12345",
                RateError::TooPrecise {
                    input: "0.12345".into(),
                },
            ),
            ("101%", RateError::OutOfRange { input: "101%".into() }),
            ("120", RateError::OutOfRange { input: "120".into() }),
            (
                "99999999999999999999",
                RateError::OutOfRange {
                    input: "99999999999999999999".into(),
                },
            ),
        ];
        for (input, want) in cases {
            assert_eq!(Rate::parse_percent(input).as_ref(), Err(want), "input {input:?}");
        }
        assert_eq!(RateError::Empty.code(), Code::Required);
        assert_eq!(
            RateError::Invalid { input: String::new() }.code(),
            Code::RateInvalid
        );
    }

    #[test]
    fn display() {
        let cases: &[(u32, &str)] = &[
            (1200, "12%"),
            (1250, "12.5%"),
            (1225, "12.25%"),
            (1205, "12.05%"),
            (0, "0%"),
            (10_000, "100%"),
        ];
        for (bp, want) in cases {
            assert_eq!(Rate(*bp).to_string(), *want);
        }
        assert_eq!(Rate::from_percent(12), Rate(1200));
        assert_eq!(Rate(1200).basis_points(), 1200);
        assert_eq!(serde_json::to_string(&Rate(1200)).unwrap(), "1200");
    }
}
