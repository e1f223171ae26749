//! 缴存比例调整 (contribution-rate adjustment) as a form: the wire payload and its rules.
//!
//! The rules follow Bijie's `UnitDepositRatioImpl` (REFERENCE B3 "Additional Bijie rules for
//! 比例调整"): each new rate within the policy year's bounds ("单位调整比例区间: 5% - 12%"); 生效年月
//! between the unit's 应汇缴年月 and the current month; and for **every 正常 employee** of the
//! unit, 基数 × (新单位比例 + 新个人比例) — each side rounded with the policy's rule, then summed
//! (REFERENCE B4) — within the policy's 月缴存额 limits, else the message names the allowed range
//! of the SUM of the two rates ("根据缴存额度限制，单位缴存比例与个人缴存比例之和区间：x% - y%").
//!
//! The employees' bases are a parameter ([`check`] takes them as a slice): the gateway passes its
//! own records, the client the list it fetched. Nothing here knows where they came from.

use serde::{Deserialize, Serialize};

use crate::issue::{Code, Issue};
use crate::money::Fen;
use crate::month::Month;
use crate::policy::Policy;
use crate::rate::Rate;
use crate::rounding;
use crate::unit::UnitFacts;

/// Field labels of the form. They are the `column` of every [`Issue`] the checker reports
/// (row 0: a form has no rows).
pub mod field {
    /// 调整后单位缴存比例 (TZHDWJCBL).
    pub const UNIT_RATE: &str = "单位缴存比例";
    /// 调整后个人缴存比例 (TZHGRJCBL).
    pub const PERSON_RATE: &str = "个人缴存比例";
    /// 生效年月 (SXNY).
    pub const EFFECTIVE_MONTH: &str = "生效年月";
    /// The two rates together (the 月缴存额 rule is about their sum).
    pub const RATE_SUM: &str = "缴存比例之和";
}

/// A 缴存比例调整 submission (the request payload) — Bijie `UnitDepositRatioPut` without the
/// unit account, which the gateway takes from the certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateAdjustment {
    /// 调整后单位缴存比例.
    pub unit_rate: Rate,
    /// 调整后个人缴存比例.
    pub person_rate: Rate,
    /// 生效年月.
    pub effective_month: Month,
}

impl RateAdjustment {
    /// The form from text as a person types it (rates in percent: `10`, `10%`, `10.5`; 生效年月 `YYYYMM`); each
    /// unreadable value is an issue under its field's name.
    pub fn parse(unit_rate: &str, person_rate: &str, effective: &str) -> Result<RateAdjustment, Vec<Issue>> {
        let mut issues = Vec::new();
        let mut rate = |text: &str, column: &str| {
            Rate::parse_percent(text)
                .map_err(|e| issues.push(Issue::new(0, column, e.code(), e.to_string())))
                .ok()
        };
        let unit_rate = rate(unit_rate, field::UNIT_RATE);
        let person_rate = rate(person_rate, field::PERSON_RATE);
        let month = Month::parse(effective)
            .map_err(|e| issues.push(Issue::new(0, field::EFFECTIVE_MONTH, e.code(), e.to_string())))
            .ok();
        match (unit_rate, person_rate, month) {
            (Some(unit_rate), Some(person_rate), Some(effective_month)) => Ok(RateAdjustment {
                unit_rate,
                person_rate,
                effective_month,
            }),
            _ => Err(issues),
        }
    }
}

/// Checks a 缴存比例调整 against the policy year, the unit's facts, "today" and the current bases
/// of the unit's 正常 employees (`bases`: one per employee, any order).
///
/// Issues come in form order: unit rate, person rate, "nothing changes", 生效年月, the 月缴存额
/// rule, then the unit status.
pub fn check(
    payload: &RateAdjustment,
    policy: &Policy,
    unit: &UnitFacts,
    today: Month,
    bases: &[Fen],
) -> Vec<Issue> {
    let mut issues = Vec::new();
    let p = policy;
    let unit_ok = p.unit_rate_allowed(payload.unit_rate);
    if !unit_ok {
        issues.push(Issue::new(
            0,
            field::UNIT_RATE,
            Code::UnitRateOutOfRange,
            format!(
                "单位缴存比例 {} 不在 {} 年度规定范围内。单位调整比例区间: {} - {}，请在此区间内填写",
                payload.unit_rate, p.year, p.unit_rate_min, p.unit_rate_max
            ),
        ));
    }
    let person_ok = p.person_rate_allowed(payload.person_rate);
    if !person_ok {
        issues.push(Issue::new(
            0,
            field::PERSON_RATE,
            Code::PersonRateOutOfRange,
            format!(
                "个人缴存比例 {} 不在 {} 年度规定范围内。个人调整比例区间: {} - {}，请在此区间内填写",
                payload.person_rate, p.year, p.person_rate_min, p.person_rate_max
            ),
        ));
    }
    if payload.unit_rate == unit.unit_rate && payload.person_rate == unit.person_rate {
        issues.push(Issue::new(
            0,
            field::UNIT_RATE,
            Code::NoChanges,
            format!(
                "调整后的比例（单位 {} / 个人 {}）与本单位现行比例相同，无需办理缴存比例调整；如需调整请填写新的比例",
                payload.unit_rate, payload.person_rate
            ),
        ));
    }
    let month_ok = check_effective_month(payload.effective_month, policy, unit, today, &mut issues);
    // The 月缴存额 rule only makes sense for rates the policy allows and a month whose limits are
    // the ones we hold; otherwise the issues above already say what to fix.
    if unit_ok && person_ok && month_ok {
        issues.extend(amounts_issue(payload, policy, bases));
    }
    if !unit.status.allows_deposit_business() {
        issues.push(Issue::sheet(
            Code::UnitStatusNotAllowed,
            format!(
                "单位账户状态为“{}”（{}），只有正常、开户、缓缴状态的单位可以办理缴存比例调整；请先办理启封等相应业务，或联系公积金中心",
                unit.status.label(),
                unit.status.code()
            ),
        ));
    }
    issues
}

/// 生效年月 ≥ 应汇缴年月, ≤ the current month, and inside the policy year whose limits are used.
/// Returns whether the month is acceptable.
fn check_effective_month(
    month: Month,
    policy: &Policy,
    unit: &UnitFacts,
    today: Month,
    issues: &mut Vec<Issue>,
) -> bool {
    let due = unit.due_month();
    if month >= due && month <= today && policy.covers(month) {
        return true;
    }
    let paid = match unit.paid_through {
        Some(p) => format!("单位已缴至 {p}"),
        None => "单位尚未汇缴".to_owned(),
    };
    let (code, message) = if due > today {
        let code = if month < due {
            Code::EffectiveMonthTooEarly
        } else {
            Code::EffectiveMonthInFuture
        };
        (
            code,
            format!("{paid}，应汇缴年月 {due} 晚于本月 {today}，目前没有可以生效的年月；请在 {due} 再办理缴存比例调整"),
        )
    } else if month < due {
        (
            Code::EffectiveMonthTooEarly,
            format!(
                "生效年月 {month} 早于单位应汇缴年月 {due}（{paid}），已汇缴月份的比例不能再调整；请填写 {due} 至 {today} 之间的年月"
            ),
        )
    } else if month > today {
        (
            Code::EffectiveMonthInFuture,
            format!(
                "生效年月 {month} 晚于本月 {today}，不能提前调整以后月份的比例；请填写 {due} 至 {today} 之间的年月"
            ),
        )
    } else {
        (
            Code::EffectiveMonthOutsidePolicy,
            format!(
                "生效年月 {month} 不在 {} 年度政策执行期 {} 至 {} 内，不能按本年度的缴存额度核定；请填写 {} 至 {today} 之间的年月，更早月份请到中心柜台办理",
                policy.year,
                policy.starts,
                policy.ends,
                due.max(policy.starts)
            ),
        )
    };
    issues.push(Issue::new(0, field::EFFECTIVE_MONTH, code, message));
    false
}

/// The 月缴存额 rule alone: every employee's total at the new rates within the policy's limits, or
/// one issue for the whole unit naming the allowed range of the sum of rates (what to do does not
/// depend on who the employees are). The gateway re-runs it at approval, when bases may have moved.
pub fn amounts_issue(payload: &RateAdjustment, policy: &Policy, bases: &[Fen]) -> Option<Issue> {
    let total = |base: Fen| {
        rounding::amount(base, payload.unit_rate, policy.round_to).saturating_add(rounding::amount(
            base,
            payload.person_rate,
            policy.round_to,
        ))
    };
    let below: Vec<Fen> = bases
        .iter()
        .copied()
        .filter(|&b| total(b) < policy.monthly_min)
        .collect();
    let above: Vec<Fen> = bases
        .iter()
        .copied()
        .filter(|&b| total(b) > policy.monthly_max)
        .collect();
    if below.is_empty() && above.is_empty() {
        return None;
    }
    let sum = Rate(payload.unit_rate.0.saturating_add(payload.person_rate.0));
    let mut what = Vec::new();
    if let Some(&b) = below.iter().min() {
        what.push(format!(
            "{} 名正常缴存职工的月缴存额将低于下限 {} 元（如基数 {b} 元的职工，月缴存额 {} 元）",
            below.len(),
            policy.monthly_min,
            total(b)
        ));
    }
    if let Some(&b) = above.iter().max() {
        what.push(format!(
            "{} 名正常缴存职工的月缴存额将超出上限 {} 元（如基数 {b} 元的职工，月缴存额 {} 元）",
            above.len(),
            policy.monthly_max,
            total(b)
        ));
    }
    let advice = match allowed_sum_range(bases, policy) {
        Some((lo, hi)) => format!(
            "根据缴存额度限制，单位缴存比例与个人缴存比例之和区间：{lo} - {hi}，请调整比例后重新提交"
        ),
        None => "按本单位职工现行缴存基数，没有任何比例组合能使全部职工的月缴存额落在限额内；请先办理缴存基数调整，或联系公积金中心".to_owned(),
    };
    Some(Issue::new(
        0,
        field::RATE_SUM,
        if below.is_empty() {
            Code::MonthlyAboveMax
        } else {
            Code::MonthlyBelowMin
        },
        format!(
            "按单位比例 {} + 个人比例 {} = {sum}（{}），{}。{advice}",
            payload.unit_rate,
            payload.person_rate,
            policy.round_to.describe(),
            what.join("；"),
        ),
    ))
}

/// The sums of 单位 + 个人 缴存比例 (inclusive, basis points) that keep every one of `bases`
/// within the policy's 月缴存额 limits, within the sums the rate bounds allow
/// (`unit_rate_min + person_rate_min` … `unit_rate_max + person_rate_max`).
///
/// Each side is rounded separately (REFERENCE B4), so the total depends on how a sum is split, by
/// at most one rounding unit. The range is the safe one: **every** split of a sum inside it (each
/// side within its own bounds) keeps every employee within the limits, so a refused submission's
/// sum always lies outside the range the message names. Only the smallest base can fall below the
/// floor and only the largest exceed the ceiling (the total grows with the base), and the
/// worst-case total over splits grows with the sum, so both ends are found by binary search.
///
/// `None` when no sum works (or the policy's rate bounds are reversed). With no bases at all the
/// whole allowed span is returned.
pub fn allowed_sum_range(bases: &[Fen], policy: &Policy) -> Option<(Rate, Rate)> {
    let (umin, umax) = (policy.unit_rate_min.0, policy.unit_rate_max.0);
    let (pmin, pmax) = (policy.person_rate_min.0, policy.person_rate_max.0);
    if umin > umax || pmin > pmax {
        return None;
    }
    let (smin, smax) = (umin + pmin, umax + pmax);
    let (Some(&low_base), Some(&high_base)) = (bases.iter().min(), bases.iter().max()) else {
        return Some((Rate(smin), Rate(smax)));
    };
    // Totals of `base` over every split of `sum` (each side within its bounds): (min, max).
    let totals = |base: Fen, sum: u32| -> (Fen, Fen) {
        let from = umin.max(sum.saturating_sub(pmax));
        let to = umax.min(sum - pmin);
        let mut lo = Fen(i64::MAX);
        let mut hi = Fen(i64::MIN);
        for u in from..=to {
            let t = rounding::amount(base, Rate(u), policy.round_to).saturating_add(rounding::amount(
                base,
                Rate(sum - u),
                policy.round_to,
            ));
            lo = lo.min(t);
            hi = hi.max(t);
        }
        (lo, hi)
    };
    let floor_ok = |sum: u32| totals(low_base, sum).0 >= policy.monthly_min;
    let ceiling_ok = |sum: u32| totals(high_base, sum).1 <= policy.monthly_max;
    // Smallest sum meeting the floor (monotone: false … false true … true).
    if !floor_ok(smax) {
        return None;
    }
    let (mut a, mut b) = (smin, smax);
    while a < b {
        let m = a + (b - a) / 2;
        if floor_ok(m) {
            b = m;
        } else {
            a = m + 1;
        }
    }
    let lo = a;
    // Largest sum under the ceiling (monotone: true … true false … false).
    if !ceiling_ok(smin) {
        return None;
    }
    let (mut a, mut b) = (smin, smax);
    while a < b {
        let m = a + (b - a).div_ceil(2);
        if ceiling_ok(m) {
            a = m;
        } else {
            b = m - 1;
        }
    }
    let hi = a;
    (lo <= hi).then_some((Rate(lo), Rate(hi)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rounding::RoundTo;
    use crate::unit::UnitStatus;

    fn m(y: i32, mo: u32) -> Month {
        Month::new(y, mo).unwrap()
    }

    const TODAY: Month = match Month::new(2026, 11) {
        Some(m) => m,
        None => panic!(),
    };

    /// 衡阳 figures from REFERENCE §C (test data only).
    fn hengyang(round_to: RoundTo) -> Policy {
        Policy {
            year: 2026,
            starts: m(2026, 7),
            ends: m(2027, 6),
            base_min: Fen::from_yuan(1700),
            base_max: Fen::from_yuan(21142),
            monthly_min: Fen::from_yuan(170),
            monthly_max: Fen::from_yuan(5076),
            unit_rate_min: Rate(500),
            unit_rate_max: Rate(1200),
            person_rate_min: Rate(500),
            person_rate_max: Rate(1200),
            round_to,
        }
    }

    fn unit() -> UnitFacts {
        UnitFacts {
            account: "9816030200002".into(),
            name: "衡阳蒸湘机械有限公司".into(),
            uscc: "91430408MA4PKX0227".into(),
            status: UnitStatus::Normal,
            unit_rate: Rate(1000),
            person_rate: Rate(1000),
            first_month: m(2016, 3),
            paid_through: Some(m(2026, 9)),
        }
    }

    fn form(unit_rate: u32, person_rate: u32, month: Month) -> RateAdjustment {
        RateAdjustment {
            unit_rate: Rate(unit_rate),
            person_rate: Rate(person_rate),
            effective_month: month,
        }
    }

    fn codes(issues: &[Issue]) -> Vec<(&str, Code)> {
        issues.iter().map(|i| (i.column.as_str(), i.code)).collect()
    }

    fn bases() -> Vec<Fen> {
        vec![Fen::from_yuan(2000), Fen::from_yuan(8000), Fen::from_yuan(15_000)]
    }

    #[test]
    fn a_valid_adjustment_passes() {
        let p = hengyang(RoundTo::Fen);
        for month in [m(2026, 10), m(2026, 11)] {
            assert_eq!(
                check(&form(1200, 800, month), &p, &unit(), TODAY, &bases()),
                vec![]
            );
        }
        // No employees at all: only the rate bounds and the month apply.
        assert_eq!(check(&form(500, 500, TODAY), &p, &unit(), TODAY, &[]), vec![]);
    }

    #[test]
    fn rates_outside_their_bounds_name_the_range() {
        let p = hengyang(RoundTo::Fen);
        let issues = check(&form(1300, 400, TODAY), &p, &unit(), TODAY, &bases());
        assert_eq!(
            codes(&issues),
            vec![
                (field::UNIT_RATE, Code::UnitRateOutOfRange),
                (field::PERSON_RATE, Code::PersonRateOutOfRange)
            ]
        );
        assert!(
            issues[0].message.contains("单位调整比例区间: 5% - 12%"),
            "{}",
            issues[0].message
        );
        assert!(
            issues[1].message.contains("个人调整比例区间: 5% - 12%"),
            "{}",
            issues[1].message
        );
        // The bounds themselves are allowed; one basis point beyond is not.
        assert_eq!(
            check(&form(500, 1200, TODAY), &p, &unit(), TODAY, &bases()),
            vec![]
        );
        assert_eq!(
            codes(&check(&form(1201, 1000, TODAY), &p, &unit(), TODAY, &bases())),
            vec![(field::UNIT_RATE, Code::UnitRateOutOfRange)]
        );
        assert_eq!(
            codes(&check(&form(1000, 499, TODAY), &p, &unit(), TODAY, &bases())),
            vec![(field::PERSON_RATE, Code::PersonRateOutOfRange)]
        );
    }

    #[test]
    fn the_current_rates_are_no_change() {
        let p = hengyang(RoundTo::Fen);
        let issues = check(&form(1000, 1000, TODAY), &p, &unit(), TODAY, &bases());
        assert_eq!(codes(&issues), vec![(field::UNIT_RATE, Code::NoChanges)]);
        assert!(issues[0].message.contains("现行比例相同"));
    }

    #[test]
    fn effective_month_window() {
        let p = hengyang(RoundTo::Fen);
        let u = unit(); // 缴至 202609 → 应汇缴 202610
        let issues = check(&form(1100, 1100, m(2026, 9)), &p, &u, TODAY, &bases());
        assert_eq!(
            codes(&issues),
            vec![(field::EFFECTIVE_MONTH, Code::EffectiveMonthTooEarly)]
        );
        assert!(
            issues[0].message.contains("请填写 202610 至 202611 之间的年月"),
            "{}",
            issues[0].message
        );
        let issues = check(&form(1100, 1100, m(2026, 12)), &p, &u, TODAY, &bases());
        assert_eq!(
            codes(&issues),
            vec![(field::EFFECTIVE_MONTH, Code::EffectiveMonthInFuture)]
        );
        // Already remitted through this month: nothing can take effect yet.
        let mut ahead = unit();
        ahead.paid_through = Some(m(2026, 11));
        let issues = check(&form(1100, 1100, TODAY), &p, &ahead, TODAY, &bases());
        assert_eq!(
            codes(&issues),
            vec![(field::EFFECTIVE_MONTH, Code::EffectiveMonthTooEarly)]
        );
        assert!(
            issues[0].message.contains("请在 202612 再办理"),
            "{}",
            issues[0].message
        );
        // In arrears into the previous policy year: limits of that year are not the ones held.
        let mut late = unit();
        late.paid_through = Some(m(2026, 4));
        let issues = check(&form(1100, 1100, m(2026, 6)), &p, &late, TODAY, &bases());
        assert_eq!(
            codes(&issues),
            vec![(field::EFFECTIVE_MONTH, Code::EffectiveMonthOutsidePolicy)]
        );
        assert!(
            issues[0].message.contains("202607 至 202611"),
            "{}",
            issues[0].message
        );
    }

    #[test]
    fn an_employee_out_of_limits_names_the_allowed_sum_range() {
        let p = hengyang(RoundTo::Fen);
        // A legacy base of 25000 元 (above this year's cap): 25000 × 24% = 6000 > 5076.
        let mut b = bases();
        b.push(Fen::from_yuan(25_000));
        let issues = check(&form(1200, 1200, TODAY), &p, &unit(), TODAY, &b);
        assert_eq!(codes(&issues), vec![(field::RATE_SUM, Code::MonthlyAboveMax)]);
        let msg = &issues[0].message;
        assert!(
            msg.contains("根据缴存额度限制，单位缴存比例与个人缴存比例之和区间：10% - 20.3%"),
            "{msg}"
        );
        assert!(
            msg.contains("1 名正常缴存职工的月缴存额将超出上限 5076.00 元"),
            "{msg}"
        );
        // The range's end passes, one basis point more fails.
        assert_eq!(check(&form(1030, 1000, TODAY), &p, &unit(), TODAY, &b), vec![]);
        assert_eq!(
            codes(&check(&form(1031, 1000, TODAY), &p, &unit(), TODAY, &b)),
            vec![(field::RATE_SUM, Code::MonthlyAboveMax)]
        );
        // A tiny base under the floor: 1000 元 × 10% = 100 < 170.
        let issues = check(
            &form(500, 500, TODAY),
            &p,
            &unit(),
            TODAY,
            &[Fen::from_yuan(1000)],
        );
        assert_eq!(codes(&issues), vec![(field::RATE_SUM, Code::MonthlyBelowMin)]);
        assert!(
            issues[0].message.contains("之和区间：17% - 24%"),
            "{}",
            issues[0].message
        );
        // Both ends at once (16.95%: 169.50 元 and 5085 元): no sum works.
        let issues = check(
            &form(850, 845, TODAY),
            &p,
            &unit(),
            TODAY,
            &[Fen::from_yuan(1000), Fen::from_yuan(30_000)],
        );
        assert_eq!(codes(&issues), vec![(field::RATE_SUM, Code::MonthlyBelowMin)]);
        assert!(
            issues[0].message.contains("没有任何比例组合"),
            "{}",
            issues[0].message
        );
        assert!(issues[0].message.contains("低于下限") && issues[0].message.contains("超出上限"));
    }

    #[test]
    fn the_range_is_safe_for_every_split_with_per_side_rounding() {
        // Rounding to 元 makes the split matter: check every sum and every split exhaustively.
        let p = hengyang(RoundTo::Yuan);
        let b = vec![Fen(170_050), Fen(2_110_049)];
        let (lo, hi) = allowed_sum_range(&b, &p).unwrap();
        for sum in 1000..=2400u32 {
            let mut all_pass = true;
            let mut any_pass = false;
            for u in 500..=1200u32 {
                let Some(pr) = sum.checked_sub(u).filter(|r| (500..=1200).contains(r)) else {
                    continue;
                };
                let f = form(u, pr, TODAY);
                let ok = check_amounts_ok(&f, &p, &b);
                all_pass &= ok;
                any_pass |= ok;
            }
            if (lo.0..=hi.0).contains(&sum) {
                assert!(all_pass, "sum {sum} inside {lo}–{hi} must pass for every split");
            }
            if !any_pass {
                assert!(!(lo.0..=hi.0).contains(&sum), "sum {sum} fails for every split");
            }
        }
        // The safe range is at most one rounding step narrower than the exact one.
        assert!(lo.0 <= 1005 && hi.0 >= 2395, "{lo} – {hi}");
    }

    fn check_amounts_ok(f: &RateAdjustment, p: &Policy, b: &[Fen]) -> bool {
        amounts_issue(f, p, b).is_none()
    }

    #[test]
    fn allowed_sum_range_ends() {
        let p = hengyang(RoundTo::Fen);
        assert_eq!(allowed_sum_range(&[], &p), Some((Rate(1000), Rate(2400))));
        assert_eq!(
            allowed_sum_range(&[Fen::from_yuan(25_000)], &p),
            Some((Rate(1000), Rate(2030)))
        );
        assert_eq!(
            allowed_sum_range(&[Fen::from_yuan(1000)], &p),
            Some((Rate(1700), Rate(2400)))
        );
        assert_eq!(
            allowed_sum_range(&[Fen::from_yuan(1000), Fen::from_yuan(30_000)], &p),
            None
        );
        let reversed = Policy {
            unit_rate_min: Rate(1300),
            ..hengyang(RoundTo::Fen)
        };
        assert_eq!(allowed_sum_range(&bases(), &reversed), None);
    }

    #[test]
    fn a_sealed_unit_cannot_adjust() {
        let p = hengyang(RoundTo::Fen);
        let mut sealed = unit();
        sealed.status = UnitStatus::Sealed;
        let issues = check(&form(1100, 1100, TODAY), &p, &sealed, TODAY, &bases());
        assert_eq!(codes(&issues), vec![("", Code::UnitStatusNotAllowed)]);
        assert!(issues[0].message.contains("封存"));
    }

    #[test]
    fn wire_shape() {
        let f = form(1200, 1000, m(2026, 11));
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"unit_rate": 1200, "person_rate": 1000, "effective_month": "202611"})
        );
        assert_eq!(serde_json::from_value::<RateAdjustment>(json).unwrap(), f);
    }
}
