//! Areas in square metres, held as integer hundredths (0.01 m², the precision of a 房产测绘 report), so that
//! 套内面积 ≤ 建筑面积 and sums never go through binary floating point.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::decimal::{parse_scaled, DecimalError};
use crate::ids::normalize_text;
use crate::issue::Code;
use crate::money::{Fen, MoneyError};

/// An area in hundredths of a square metre (`Area(8950)` = 89.50 m²).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Area(pub i64);

/// Why an area was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AreaError {
    /// Nothing typed.
    #[error("面积为空，请填写面积（平方米），如 89.50")]
    Empty,
    /// Not a number with at most two decimals.
    #[error("面积“{0}”不是有效数值，请填写平方米数，最多两位小数，如 89.50")]
    Invalid(String),
}

impl AreaError {
    /// The stable code.
    pub fn code(&self) -> Code {
        match self {
            AreaError::Empty => Code::Required,
            AreaError::Invalid(_) => Code::AreaInvalid,
        }
    }
}

impl Area {
    /// Parses `89.5`, `89.50`, `1,234.56`, `89.50㎡` or `89.50平方米`.
    pub fn parse(s: &str) -> Result<Area, AreaError> {
        let n = normalize_text(s);
        let mut t = n.trim();
        if t.is_empty() {
            return Err(AreaError::Empty);
        }
        for suffix in ["平方米", "㎡", "m²", "m2"] {
            if let Some(rest) = t.strip_suffix(suffix) {
                t = rest.trim_end();
            }
        }
        parse_scaled(t, 2, true)
            .map(Area)
            .map_err(|_: DecimalError| AreaError::Invalid(n.to_string()))
    }

    /// An Excel numeric cell: the same exactness rules as money (two decimals, no binary noise).
    pub fn from_cell_number(v: f64) -> Result<Area, AreaError> {
        Fen::from_cell_number(v)
            .map(|f| Area(f.0))
            .map_err(|_: MoneyError| AreaError::Invalid(format!("{v}")))
    }
}

impl fmt::Display for Area {
    /// Square metres with two decimals: `89.50`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exact_hundredths() {
        assert_eq!(Area::parse("89.5"), Ok(Area(8950)));
        assert_eq!(Area::parse(" 1,234.56㎡ "), Ok(Area(123_456)));
        assert_eq!(Area::parse("100平方米"), Ok(Area(10_000)));
        assert_eq!(Area::parse("0.29"), Ok(Area(29)));
        assert_eq!(Area::parse("").unwrap_err().code(), Code::Required);
        for bad in ["89.555", "-3", "abc", "1.2.3"] {
            assert_eq!(Area::parse(bad).unwrap_err().code(), Code::AreaInvalid, "{bad}");
        }
        assert_eq!(Area::from_cell_number(89.5), Ok(Area(8950)));
        assert_eq!(Area::from_cell_number(0.29), Ok(Area(29)));
        assert!(Area::from_cell_number(89.555).is_err());
        assert_eq!(Area(8950).to_string(), "89.50");
    }
}
