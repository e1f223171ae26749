//! 月缴存额 = 缴存基数 × 缴存比例, rounded half-up to a per-centre unit.
//!
//! Bijie rounds each side to 分 (`setScale(2, ROUND_HALF_UP)`, REFERENCE B4); many centres
//! round to whole 元. The unit is therefore policy data ([`crate::policy::Policy::round_to`]),
//! never a constant.

use serde::{Deserialize, Serialize};

use crate::money::Fen;
use crate::rate::Rate;

/// The unit a monthly amount is rounded to (half-up, i.e. 四舍五入).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundTo {
    /// To the 分 (0.01 元).
    Fen,
    /// To the 角 (0.10 元).
    Jiao,
    /// To the whole 元.
    Yuan,
}

impl RoundTo {
    /// The unit in 分: 1, 10 or 100.
    pub const fn unit_fen(self) -> i64 {
        match self {
            RoundTo::Fen => 1,
            RoundTo::Jiao => 10,
            RoundTo::Yuan => 100,
        }
    }

    /// How the rule reads in a message: "四舍五入到分".
    pub const fn describe(self) -> &'static str {
        match self {
            RoundTo::Fen => "四舍五入到分",
            RoundTo::Jiao => "四舍五入到角",
            RoundTo::Yuan => "四舍五入到元",
        }
    }
}

/// `base × rate`, rounded half-up (away from zero at exactly .5) to the unit `to`.
///
/// Integer arithmetic only: the exact product is `base.0 × rate.0 / 10000` 分, computed in
/// `i128` so no intermediate can overflow. A result beyond `i64` (impossible for real bases)
/// saturates.
pub fn amount(base: Fen, rate: Rate, to: RoundTo) -> Fen {
    let product = i128::from(base.0) * i128::from(rate.0); // in 分 × 1/10000
    let divisor = 10_000 * i128::from(to.unit_fen());
    let half = divisor / 2; // divisor is even, so "half" is exact
    let units = if product >= 0 {
        (product + half) / divisor
    } else {
        -((-product + half) / divisor)
    };
    let fen = units * i128::from(to.unit_fen());
    Fen(i64::try_from(fen).unwrap_or(if fen < 0 { i64::MIN } else { i64::MAX }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_up_at_the_boundary() {
        // (base fen, rate bp, mode, expected fen)
        let cases: &[(i64, u32, RoundTo, i64)] = &[
            // Exact products are untouched in every mode that divides them.
            (300_000, 1200, RoundTo::Fen, 36_000),
            (300_000, 1200, RoundTo::Jiao, 36_000),
            (300_000, 1200, RoundTo::Yuan, 36_000),
            // 分: 0.125 分 products. 12.5 分 → 13, 12.4999 → 12.
            (125, 1000, RoundTo::Fen, 13),            // 12.5 分 → 13
            (124, 1000, RoundTo::Fen, 12),            // 12.4 分 → 12
            (1_234_567, 1200, RoundTo::Fen, 148_148), // 148148.04 → 148148
            (170_004, 500, RoundTo::Fen, 8500),       // 8500.2 → 8500
            (169_990, 500, RoundTo::Fen, 8500),       // 8499.5 → 8500 (exactly .5)
            (169_989, 500, RoundTo::Fen, 8499),       // 8499.45 → 8499
            // 角: 12.5 角 boundary = 125 分.
            (1250, 1000, RoundTo::Jiao, 130), // 125 分 = 12.5 角 → 13 角
            (1249, 1000, RoundTo::Jiao, 120), // 124.9 分 → 12 角
            (1150, 1000, RoundTo::Jiao, 120), // 115 分 = 11.5 角 → 12 角
            // 元: 12.5 元 boundary = 1250 分.
            (12_500, 1000, RoundTo::Yuan, 1300),       // 1250 分 → 13 元
            (12_499, 1000, RoundTo::Yuan, 1200),       // 1249.9 分 → 12 元
            (2_115_416, 1200, RoundTo::Yuan, 253_800), // 2538.4992 元 → 2538 元
            (2_115_417, 1200, RoundTo::Yuan, 253_900), // 2538.5004 元 → 2539 元
            // Zero and full rate.
            (300_000, 0, RoundTo::Fen, 0),
            (300_000, 10_000, RoundTo::Yuan, 300_000),
            // Away from zero for negatives (never produced by the rules, but symmetric).
            (-125, 1000, RoundTo::Fen, -13),
            (-12_500, 1000, RoundTo::Yuan, -1300),
        ];
        for &(base, rate, to, want) in cases {
            assert_eq!(
                amount(Fen(base), Rate(rate), to),
                Fen(want),
                "{base} × {rate}bp {to:?}"
            );
        }
    }

    #[test]
    fn no_overflow_for_extreme_bases() {
        assert_eq!(amount(Fen(i64::MAX), Rate(10_000), RoundTo::Fen), Fen(i64::MAX));
        assert_eq!(
            amount(Fen(i64::MAX), Rate(u32::MAX), RoundTo::Yuan),
            Fen(i64::MAX)
        );
        assert_eq!(amount(Fen(i64::MIN), Rate(u32::MAX), RoundTo::Fen), Fen(i64::MIN));
    }

    #[test]
    fn serde_is_snake_case() {
        assert_eq!(serde_json::to_string(&RoundTo::Yuan).unwrap(), "\"yuan\"");
        assert_eq!(
            serde_json::from_str::<RoundTo>("\"jiao\"").unwrap(),
            RoundTo::Jiao
        );
        assert_eq!(RoundTo::Fen.describe(), "四舍五入到分");
    }
}
