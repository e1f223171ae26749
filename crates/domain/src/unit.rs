//! What the gateway knows about the submitting unit (缴存单位) that the rules need.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::month::Month;
use crate::rate::Rate;

/// The unit facts a business rule needs. Comes from the centre's records, never from the sheet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UnitFacts {
    /// 单位账号 (DWZH).
    pub account: String,
    /// 单位名称 (DWMC).
    pub name: String,
    /// 统一社会信用代码.
    pub uscc: String,
    /// 单位账户状态 (JGJ/T 320 附A.4).
    pub status: UnitStatus,
    /// 单位缴存比例 (DWJCBL).
    pub unit_rate: Rate,
    /// 个人缴存比例 (GRJCBL).
    pub person_rate: Rate,
    /// 单位首次汇缴年月 (DWSCHJNY).
    pub first_month: Month,
    /// 缴至年月 (JZNY): the last month remitted; `None` if the unit never remitted.
    pub paid_through: Option<Month>,
}

impl UnitFacts {
    /// 单位应汇缴年月: the month after 缴至年月, or 单位首次汇缴年月 when the unit has never
    /// remitted (Bijie `getDWYHJNY`, REFERENCE B4).
    pub fn due_month(&self) -> Month {
        match self.paid_through {
            Some(paid) => paid.next(),
            None => self.first_month,
        }
    }
}

/// 单位账户状态, JGJ/T 320 附A.4. Serialised as its two-digit code (`"01"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(type = "string"))]
pub enum UnitStatus {
    /// 01 正常.
    Normal,
    /// 02 开户.
    Opened,
    /// 03 缓缴 (deferred payment approved).
    Deferred,
    /// 04 销户.
    Closed,
    /// 05 封存.
    Sealed,
    /// 99 其他.
    Other,
}

impl UnitStatus {
    /// All statuses in code order.
    pub const ALL: [UnitStatus; 6] = [
        UnitStatus::Normal,
        UnitStatus::Opened,
        UnitStatus::Deferred,
        UnitStatus::Closed,
        UnitStatus::Sealed,
        UnitStatus::Other,
    ];

    /// The two-digit code: "01" … "05", "99".
    pub const fn code(self) -> &'static str {
        match self {
            UnitStatus::Normal => "01",
            UnitStatus::Opened => "02",
            UnitStatus::Deferred => "03",
            UnitStatus::Closed => "04",
            UnitStatus::Sealed => "05",
            UnitStatus::Other => "99",
        }
    }

    /// The Chinese label: 正常, 开户, 缓缴, 销户, 封存, 其他.
    pub const fn label(self) -> &'static str {
        match self {
            UnitStatus::Normal => "正常",
            UnitStatus::Opened => "开户",
            UnitStatus::Deferred => "缓缴",
            UnitStatus::Closed => "销户",
            UnitStatus::Sealed => "封存",
            UnitStatus::Other => "其他",
        }
    }

    /// The status for a code (`"01"`) or, leniently, a code without its leading zero (`"1"`)
    /// or a label (`"正常"`) — people type all three (REFERENCE F2).
    pub fn parse(s: &str) -> Option<UnitStatus> {
        let s = s.trim();
        UnitStatus::ALL.into_iter().find(|st| {
            let code = st.code();
            s == code || s == st.label() || code.strip_prefix('0') == Some(s)
        })
    }

    /// Whether 缴存 business (汇缴, 基数调整 …) is allowed: 正常, 开户 or 缓缴 (REFERENCE B3).
    pub const fn allows_deposit_business(self) -> bool {
        matches!(
            self,
            UnitStatus::Normal | UnitStatus::Opened | UnitStatus::Deferred
        )
    }
}

impl fmt::Display for UnitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl Serialize for UnitStatus {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for UnitStatus {
    /// Strict: only the two-digit codes of 附A.4.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<UnitStatus, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        UnitStatus::ALL
            .into_iter()
            .find(|st| st.code() == s)
            .ok_or_else(|| {
                serde::de::Error::invalid_value(
                    serde::de::Unexpected::Str(&s),
                    &"a unit status code 01–05 or 99",
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(paid_through: Option<Month>) -> UnitFacts {
        UnitFacts {
            account: "9817112009060".into(),
            name: "衡阳示例有限公司".into(),
            uscc: "91350200776049653A".into(),
            status: UnitStatus::Normal,
            unit_rate: Rate(1200),
            person_rate: Rate(1200),
            first_month: Month::new(2020, 3).unwrap(),
            paid_through,
        }
    }

    #[test]
    fn due_month_follows_paid_through() {
        assert_eq!(unit(None).due_month(), Month::new(2020, 3).unwrap());
        assert_eq!(
            unit(Month::new(2026, 5)).due_month(),
            Month::new(2026, 6).unwrap()
        );
        assert_eq!(
            unit(Month::new(2025, 12)).due_month(),
            Month::new(2026, 1).unwrap()
        );
    }

    #[test]
    fn status_codes_labels_and_parse() {
        let table = [
            (UnitStatus::Normal, "01", "正常", true),
            (UnitStatus::Opened, "02", "开户", true),
            (UnitStatus::Deferred, "03", "缓缴", true),
            (UnitStatus::Closed, "04", "销户", false),
            (UnitStatus::Sealed, "05", "封存", false),
            (UnitStatus::Other, "99", "其他", false),
        ];
        for (status, code, label, allowed) in table {
            assert_eq!(
                (status.code(), status.label(), status.allows_deposit_business()),
                (code, label, allowed)
            );
            assert_eq!(UnitStatus::parse(code), Some(status));
            assert_eq!(UnitStatus::parse(label), Some(status));
            assert_eq!(serde_json::to_string(&status).unwrap(), format!("\"{code}\""));
            assert_eq!(
                serde_json::from_str::<UnitStatus>(&format!("\"{code}\"")).unwrap(),
                status
            );
        }
        assert_eq!(UnitStatus::parse("1"), Some(UnitStatus::Normal));
        assert_eq!(UnitStatus::parse(" 05 "), Some(UnitStatus::Sealed));
        assert_eq!(UnitStatus::parse("9"), None);
        assert_eq!(UnitStatus::parse("06"), None);
        assert!(serde_json::from_str::<UnitStatus>("\"1\"").is_err());
        assert!(serde_json::from_str::<UnitStatus>("\"正常\"").is_err());
    }

    #[test]
    fn unit_facts_serde_shape() {
        let u = unit(Month::new(2026, 5));
        let json = serde_json::to_value(&u).unwrap();
        assert_eq!(json["status"], "01");
        assert_eq!(json["paid_through"], "202605");
        assert_eq!(json["first_month"], "202003");
        assert_eq!(json["unit_rate"], 1200);
        assert_eq!(serde_json::from_value::<UnitFacts>(json).unwrap(), u);
        let never: UnitFacts = serde_json::from_value(serde_json::to_value(unit(None)).unwrap()).unwrap();
        assert_eq!(never.paid_through, None);
    }
}
