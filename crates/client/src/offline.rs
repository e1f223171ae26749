//! Checking a sheet without the USB key and without the centre: at home, on a laptop, before coming back to the
//! key. Every rule that needs only the sheet and the policy year runs (cells, 身份证 check digits and dates,
//! duplicates, limits) against the centre's facts cached at the last login on this PC, of any age, or, when no
//! unit ever logged in here, the policy years shipped with the app (policy/shipped.toml). The result says which
//! checks are left for the centre and how old the facts are; nothing of the sort is ever sent.
//!
//! The roster (the unit's contributors) is deliberately not cached: it is personal data the PC would keep for
//! nothing but this, and the centre checks it at submit anyway. So "个人账号 belongs to this unit" and its kin are
//! always left for the centre offline.

use gjj_domain::api::{Me, Role};
use gjj_domain::issue::{Code, Issue};
use gjj_domain::money::Fen;
use gjj_domain::month::Month;
use gjj_domain::policy::Policy;
use gjj_domain::rate::Rate;
use gjj_domain::rounding::RoundTo;
use gjj_domain::unit::{UnitFacts, UnitStatus};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::CachedContext;

/// Codes whose verdict depends on the unit's own facts (status, rates, 首次汇缴年月, 缴至年月): kept when the basis
/// is the unit's cached facts, dropped (and named as left for the centre) on the shipped policy alone.
const UNIT_FACT_CODES: &[Code] = &[
    Code::UnitStatusNotAllowed,
    Code::EffectiveMonthTooEarly,
    Code::FirstMonthTooEarly,
    Code::MonthlyBelowMin,
    Code::MonthlyAboveMax,
    Code::RemittanceMonthNotDue,
    Code::RemittanceMonthInFuture,
    Code::RemittanceAmountMismatch,
    Code::SupplementaryMonthBeforeFirst,
    Code::SupplementaryMonthAfterPaidThrough,
    Code::SupplementaryAmountMismatch,
    Code::NoChanges,
];

/// Where the facts of an offline check come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// The unit's facts and policy cached at a login on this PC.
    Cached {
        /// When the centre answered (RFC 3339).
        fetched_at: String,
    },
    /// No unit ever logged in here: the policy years shipped with the app, no unit facts.
    Shipped,
}

/// The facts an offline check runs on.
#[derive(Clone, Debug)]
pub struct OfflineBasis {
    /// The unit (placeholder facts when [`Source::Shipped`]); `today` is this PC's current month.
    pub me: Me,
    /// The policy year covering `me.today` when one is known, else the latest known.
    pub policy: Policy,
    /// Where they came from.
    pub source: Source,
    /// When the basis was made: the age of the cached facts is measured from here.
    now: OffsetDateTime,
}

/// What an offline check tells the user besides its issues (shown by `gjj check` and the batch screen).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OfflineReport {
    /// "cached" | "shipped".
    pub basis: String,
    /// The unit whose cached facts were used.
    pub unit_name: Option<String>,
    /// Its 统一社会信用代码.
    pub unit_uscc: Option<String>,
    /// When those facts were fetched from the centre (RFC 3339).
    pub fetched_at: Option<String>,
    /// Whole days since then.
    pub age_days: Option<i64>,
    /// The 政策年度 whose limits were applied.
    pub policy_year: u16,
    /// The checks only the centre can make, in Chinese, for this business.
    pub left_for_centre: Vec<String>,
    /// One Chinese sentence for the top of the result.
    pub summary: String,
}

/// This PC's current month (local time when the offset is known; UTC otherwise, a day off at most).
pub fn local_month(now: OffsetDateTime) -> Option<Month> {
    let d = now.date();
    Month::new(d.year(), u32::from(u8::from(d.month())))
}

/// One policy year of policy/shipped.toml, in the seed's units (元, %).
#[derive(Deserialize)]
struct ShippedYear {
    year: u16,
    starts: String,
    ends: String,
    base_min_yuan: i64,
    base_max_yuan: i64,
    monthly_min_yuan: i64,
    monthly_max_yuan: i64,
    unit_rate_min_pct: u32,
    unit_rate_max_pct: u32,
    person_rate_min_pct: u32,
    person_rate_max_pct: u32,
    round_to: RoundTo,
}

#[derive(Deserialize)]
struct Shipped {
    policy: Vec<ShippedYear>,
}

/// The policy years shipped with the app, latest first; a broken file (a build error) yields none.
pub fn shipped_policies() -> Vec<Policy> {
    let Ok(shipped) = toml::from_str::<Shipped>(include_str!("../policy/shipped.toml")) else {
        return Vec::new();
    };
    let mut years: Vec<Policy> = shipped
        .policy
        .into_iter()
        .filter_map(|p| {
            let policy = Policy {
                year: p.year,
                starts: Month::parse(&p.starts).ok()?,
                ends: Month::parse(&p.ends).ok()?,
                base_min: Fen(p.base_min_yuan * 100),
                base_max: Fen(p.base_max_yuan * 100),
                monthly_min: Fen(p.monthly_min_yuan * 100),
                monthly_max: Fen(p.monthly_max_yuan * 100),
                unit_rate_min: Rate(p.unit_rate_min_pct * 100),
                unit_rate_max: Rate(p.unit_rate_max_pct * 100),
                person_rate_min: Rate(p.person_rate_min_pct * 100),
                person_rate_max: Rate(p.person_rate_max_pct * 100),
                round_to: p.round_to,
            };
            policy.validate().ok()?;
            Some(policy)
        })
        .collect();
    years.sort_by_key(|p| std::cmp::Reverse(p.year));
    years
}

/// The year of `years` covering `month`, else the latest.
fn covering(years: &[Policy], month: Month) -> Option<&Policy> {
    years.iter().find(|p| p.covers(month)).or_else(|| years.first())
}

impl OfflineBasis {
    /// The unit's cached facts. `today` becomes this PC's month (the cache may be last month's); when July has
    /// brought a new policy year the cache does not hold, the shipped year covering today is used.
    pub fn cached(cached: CachedContext, now: OffsetDateTime) -> OfflineBasis {
        let mut me = cached.me;
        if let Some(month) = local_month(now) {
            me.today = me.today.max(month);
        }
        let policy = if cached.policy.covers(me.today) {
            cached.policy
        } else {
            let shipped = shipped_policies();
            match shipped.iter().find(|p| p.covers(me.today)) {
                Some(p) => p.clone(),
                None => cached.policy,
            }
        };
        OfflineBasis {
            me,
            policy,
            source: Source::Cached {
                fetched_at: cached.fetched_at,
            },
            now,
        }
    }

    /// The shipped policy alone (no unit ever logged in on this PC); `None` when the app ships none.
    pub fn shipped(now: OffsetDateTime) -> Option<OfflineBasis> {
        let today = local_month(now)?;
        let years = shipped_policies();
        let policy = covering(&years, today)?.clone();
        // Facts that let every unit-dependent rule pass: the issues those rules raise are dropped anyway
        // (`keep`), and nothing else reads them.
        let unit = UnitFacts {
            account: String::new(),
            name: String::new(),
            uscc: String::new(),
            status: UnitStatus::Normal,
            unit_rate: policy.unit_rate_min,
            person_rate: policy.person_rate_min,
            first_month: Month::new(1991, 1)?,
            paid_through: None,
        };
        Some(OfflineBasis {
            me: Me {
                unit,
                role: Role::Employer,
                certificate_serial: String::new(),
                certificate_not_after: 0,
                server_time: now.unix_timestamp(),
                today,
            },
            policy,
            source: Source::Shipped,
            now,
        })
    }

    /// The unit's own facts are known (cached), so the rules on them ran.
    pub fn unit_known(&self) -> bool {
        matches!(self.source, Source::Cached { .. })
    }

    /// Whether an issue found on this basis stands: not when it judged placeholder unit facts.
    pub fn keep(&self, issue: &Issue) -> bool {
        self.unit_known() || !UNIT_FACT_CODES.contains(&issue.code)
    }

    /// The report for a check of `business` on this basis.
    pub fn report(&self, business: &str) -> OfflineReport {
        let mut left: Vec<String> = centre_checks(business).iter().map(|s| (*s).to_owned()).collect();
        if !self.unit_known() {
            left.push(
                "与本单位信息有关的检查：单位状态、缴存比例与月缴存额上下限、首次汇缴年月、缴至年月（本机没有本单位登录时\
                 缓存的信息）"
                    .to_owned(),
            );
        }
        let policy_year = self.policy.year;
        match &self.source {
            Source::Cached { fetched_at } => {
                let age_days = OffsetDateTime::parse(fetched_at, &time::format_description::well_known::Rfc3339)
                    .ok()
                    .map(|at| (self.now - at).whole_days().max(0));
                let when = fetched_at.get(..10).unwrap_or(fetched_at);
                let age = match age_days {
                    Some(0) => "今天".to_owned(),
                    Some(d) => format!("{d} 天前"),
                    None => "时间不详".to_owned(),
                };
                OfflineReport {
                    basis: "cached".to_owned(),
                    unit_name: Some(self.me.unit.name.clone()),
                    unit_uscc: Some(self.me.unit.uscc.clone()),
                    fetched_at: Some(fetched_at.clone()),
                    age_days,
                    policy_year,
                    summary: format!(
                        "离线检查（未连接中心）：依据 {when} 登录时缓存的“{}”单位信息（{age}）和 {policy_year} 年度政策。\
                         插入 USB key 登录后提交时，中心会用最新数据再检查一遍。",
                        self.me.unit.name
                    ),
                    left_for_centre: left,
                }
            }
            Source::Shipped => OfflineReport {
                basis: "shipped".to_owned(),
                unit_name: None,
                unit_uscc: None,
                fetched_at: None,
                age_days: None,
                policy_year,
                summary: format!(
                    "离线检查（未连接中心）：本机没有本单位登录时缓存的信息，依据客户端自带的 {policy_year} 年度政策\
                     检查。插入 USB key 登录一次后，离线检查也会核对本单位信息。"
                ),
                left_for_centre: left,
            },
        }
    }
}

/// The checks of a business that need the centre's records (the gateway's own, never the PC's), in Chinese.
pub fn centre_checks(business: &str) -> &'static [&'static str] {
    match business {
        "base_adjustment" => &[
            "个人账号是否属于本单位，姓名、证件号码是否与中心记录一致",
            "缴存人账户是否为正常状态",
            "调整前基数是否与中心当前基数一致",
        ],
        "contributor_registration" => &["证件号码、手机号码是否已在中心其他未销户账户（含审核中的登记）使用"],
        "contributor_change" => &["个人账号是否属于本单位", "变更前的值是否与中心记录一致"],
        "seal" => &[
            "个人账号是否属于本单位，姓名、证件号码是否与中心记录一致",
            "账户是否为正常状态（只有正常账户可以封存）",
        ],
        "unseal" => &[
            "个人账号是否属于本单位，姓名、证件号码是否与中心记录一致",
            "账户是否为封存状态（只有封存账户可以启封）",
        ],
        "supplementary" => &[
            "个人账号是否属于本单位，姓名、证件号码是否与中心记录一致",
            "补缴的月份是否已经缴过（已有汇缴或补缴）",
        ],
        "remittance" => &[
            "清册中的缴存基数是否为中心当前基数",
            "本单位的正常缴存人是否都在清册中，每人首次汇缴年月是否已到",
        ],
        "loan_application" => &[
            "房屋是否存在、可售且没有其他贷款申请",
            "借款人的公积金账户是否存在、连续缴存时间是否足够",
        ],
        "building" => &["项目是否属于本开发商且已办结", "预售许可证号、楼栋号是否已被使用"],
        _ => &["与中心记录的核对"],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> OffsetDateTime {
        OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap()
    }

    #[test]
    fn the_shipped_policy_parses_and_covers_the_current_year() {
        let years = shipped_policies();
        assert!(years.len() >= 2, "{years:?}");
        assert!(years.windows(2).all(|w| w[0].year > w[1].year));
        let basis = OfflineBasis::shipped(at("2026-12-06T10:00:00Z")).unwrap();
        assert_eq!(basis.policy.year, 2026);
        assert_eq!(basis.me.today.to_string(), "202612");
        assert!(!basis.unit_known());
    }

    #[test]
    fn the_shipped_basis_drops_what_judged_placeholder_unit_facts() {
        let basis = OfflineBasis::shipped(at("2026-12-06T10:00:00Z")).unwrap();
        assert!(!basis.keep(&Issue::new(3, "调整后基数", Code::MonthlyBelowMin, "x")));
        assert!(basis.keep(&Issue::new(3, "证件号码", Code::IdNumberChecksum, "x")));
        let report = basis.report("base_adjustment");
        assert_eq!(report.basis, "shipped");
        assert!(report.left_for_centre.iter().any(|s| s.contains("缴存比例")));
        assert!(report.left_for_centre.iter().any(|s| s.contains("属于本单位")));
    }

    #[test]
    fn a_cached_basis_says_how_old_it_is_and_moves_today_forward() {
        let basis = OfflineBasis::shipped(at("2026-09-01T00:00:00Z")).unwrap();
        let mut me = basis.me.clone();
        me.unit.name = "衡阳雁城科技有限公司".into();
        me.today = Month::parse("202609").unwrap();
        let cached = CachedContext {
            me,
            policy: basis.policy.clone(),
            fetched_at: "2026-09-01T08:00:00Z".into(),
        };
        let basis = OfflineBasis::cached(cached, at("2026-12-06T10:00:00Z"));
        assert!(basis.unit_known());
        assert_eq!(basis.me.today.to_string(), "202612");
        assert!(basis.keep(&Issue::new(3, "调整后基数", Code::MonthlyBelowMin, "x")));
        let report = basis.report("contributor_registration");
        assert_eq!(report.age_days, Some(96));
        assert!(report.summary.contains("2026-09-01"), "{}", report.summary);
        assert!(report.summary.contains("96 天前"), "{}", report.summary);
        assert_eq!(report.left_for_centre.len(), 1);
    }
}
