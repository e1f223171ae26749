//! A centre's 缴存 policy for one policy year (政策年度): base and amount limits, rate ranges and
//! the rounding rule.
//!
//! These figures are published yearly (often from 1 July, some cities from 1 January —
//! REFERENCE C1) and differ per centre, so they are data the gateway stores per year and hands to
//! the rules. No figure is a constant in this crate; tests build their own.

use serde::{Deserialize, Serialize};

use crate::money::Fen;
use crate::month::Month;
use crate::rate::Rate;
use crate::rounding::RoundTo;

/// One policy year's 缴存 parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// 政策年度, e.g. 2026 — named in messages ("2026 年度缴存基数上限").
    pub year: u16,
    /// First month the figures apply to (e.g. 202607).
    pub starts: Month,
    /// Last month the figures apply to (e.g. 202706).
    pub ends: Month,
    /// 缴存基数下限.
    pub base_min: Fen,
    /// 缴存基数上限.
    pub base_max: Fen,
    /// 月缴存额下限 (unit + person together).
    pub monthly_min: Fen,
    /// 月缴存额上限 (unit + person together).
    pub monthly_max: Fen,
    /// 单位缴存比例下限.
    pub unit_rate_min: Rate,
    /// 单位缴存比例上限.
    pub unit_rate_max: Rate,
    /// 个人缴存比例下限.
    pub person_rate_min: Rate,
    /// 个人缴存比例上限.
    pub person_rate_max: Rate,
    /// How each side's monthly amount is rounded.
    pub round_to: RoundTo,
}

/// Why a policy record is inconsistent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// `starts` is after `ends`.
    #[error("政策执行期起始年月 {starts} 晚于结束年月 {ends}")]
    PeriodReversed {
        /// The start month.
        starts: Month,
        /// The end month.
        ends: Month,
    },
    /// `base_min` is not positive or exceeds `base_max`.
    #[error("缴存基数下限 {min} 元与上限 {max} 元不合理（下限须大于 0 且不高于上限）")]
    BaseRange {
        /// 缴存基数下限.
        min: Fen,
        /// 缴存基数上限.
        max: Fen,
    },
    /// `monthly_min` is negative or exceeds `monthly_max`.
    #[error("月缴存额下限 {min} 元与上限 {max} 元不合理（下限不能为负且不高于上限）")]
    MonthlyRange {
        /// 月缴存额下限.
        min: Fen,
        /// 月缴存额上限.
        max: Fen,
    },
    /// A rate range is reversed or reaches beyond 100%.
    #[error("{side}缴存比例区间 {min} – {max} 不合理（下限不高于上限，且不超过 100%）")]
    RateRange {
        /// "单位" or "个人".
        side: &'static str,
        /// Lower bound.
        min: Rate,
        /// Upper bound.
        max: Rate,
    },
}

impl Policy {
    /// Whether `month` lies within this policy year's period.
    pub fn covers(&self, month: Month) -> bool {
        self.starts <= month && month <= self.ends
    }

    /// Whether `rate` is an allowed 单位缴存比例.
    pub fn unit_rate_allowed(&self, rate: Rate) -> bool {
        self.unit_rate_min <= rate && rate <= self.unit_rate_max
    }

    /// Whether `rate` is an allowed 个人缴存比例.
    pub fn person_rate_allowed(&self, rate: Rate) -> bool {
        self.person_rate_min <= rate && rate <= self.person_rate_max
    }

    /// Checks internal consistency — for the gateway before it stores a policy record.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.starts > self.ends {
            return Err(PolicyError::PeriodReversed {
                starts: self.starts,
                ends: self.ends,
            });
        }
        if !self.base_min.is_positive() || self.base_min > self.base_max {
            return Err(PolicyError::BaseRange {
                min: self.base_min,
                max: self.base_max,
            });
        }
        if self.monthly_min < Fen::ZERO || self.monthly_min > self.monthly_max {
            return Err(PolicyError::MonthlyRange {
                min: self.monthly_min,
                max: self.monthly_max,
            });
        }
        let full = Rate(10_000);
        for (side, min, max) in [
            ("单位", self.unit_rate_min, self.unit_rate_max),
            ("个人", self.person_rate_min, self.person_rate_max),
        ] {
            if min > max || max > full {
                return Err(PolicyError::RateRange { side, min, max });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 衡阳 figures from REFERENCE §C (secondary source; test data only).
    fn hengyang() -> Policy {
        Policy {
            year: 2026,
            starts: Month::new(2026, 7).unwrap(),
            ends: Month::new(2027, 6).unwrap(),
            base_min: Fen::from_yuan(1700),
            base_max: Fen::from_yuan(21142),
            monthly_min: Fen::from_yuan(170),
            monthly_max: Fen::from_yuan(5076),
            unit_rate_min: Rate(500),
            unit_rate_max: Rate(1200),
            person_rate_min: Rate(500),
            person_rate_max: Rate(1200),
            round_to: RoundTo::Fen,
        }
    }

    #[test]
    fn validate_table() {
        let ok = hengyang();
        assert_eq!(ok.validate(), Ok(()));
        let cases: Vec<(Policy, PolicyError)> = vec![
            (
                Policy {
                    starts: Month::new(2027, 7).unwrap(),
                    ..hengyang()
                },
                PolicyError::PeriodReversed {
                    starts: Month::new(2027, 7).unwrap(),
                    ends: ok.ends,
                },
            ),
            (
                Policy {
                    base_min: Fen(0),
                    ..hengyang()
                },
                PolicyError::BaseRange {
                    min: Fen(0),
                    max: ok.base_max,
                },
            ),
            (
                Policy {
                    base_max: Fen::from_yuan(1000),
                    ..hengyang()
                },
                PolicyError::BaseRange {
                    min: ok.base_min,
                    max: Fen::from_yuan(1000),
                },
            ),
            (
                Policy {
                    monthly_min: Fen::from_yuan(6000),
                    ..hengyang()
                },
                PolicyError::MonthlyRange {
                    min: Fen::from_yuan(6000),
                    max: ok.monthly_max,
                },
            ),
            (
                Policy {
                    unit_rate_min: Rate(1300),
                    ..hengyang()
                },
                PolicyError::RateRange {
                    side: "单位",
                    min: Rate(1300),
                    max: Rate(1200),
                },
            ),
            (
                Policy {
                    person_rate_max: Rate(10_001),
                    ..hengyang()
                },
                PolicyError::RateRange {
                    side: "个人",
                    min: Rate(500),
                    max: Rate(10_001),
                },
            ),
        ];
        for (policy, want) in cases {
            assert_eq!(policy.validate(), Err(want));
        }
    }

    #[test]
    fn covers_and_rates() {
        let p = hengyang();
        assert!(p.covers(Month::new(2026, 7).unwrap()));
        assert!(p.covers(Month::new(2027, 6).unwrap()));
        assert!(!p.covers(Month::new(2026, 6).unwrap()));
        assert!(!p.covers(Month::new(2027, 7).unwrap()));
        assert!(p.unit_rate_allowed(Rate(500)) && p.unit_rate_allowed(Rate(1200)));
        assert!(!p.unit_rate_allowed(Rate(499)) && !p.person_rate_allowed(Rate(1201)));
    }

    #[test]
    fn serde_round_trip_and_shape() {
        let p = hengyang();
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["starts"], "202607");
        assert_eq!(json["base_max"], 2_114_200);
        assert_eq!(json["unit_rate_max"], 1200);
        assert_eq!(json["round_to"], "fen");
        assert_eq!(serde_json::from_value::<Policy>(json).unwrap(), p);
        assert!(PolicyError::BaseRange {
            min: Fen(0),
            max: Fen(1)
        }
        .to_string()
        .contains("0.00 元"));
    }
}
