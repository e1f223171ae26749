//! What the sheet benchmarks (bench_check, bench_registration, bench_write) share: 衡阳's policy year, the bench
//! unit, the process's peak memory, and the row order of the generated sheets. A module of the examples, not an
//! example of its own.

use gjj_domain::money::Fen;
use gjj_domain::month::Month;
use gjj_domain::policy::Policy;
use gjj_domain::rate::Rate;
use gjj_domain::rounding::RoundTo;
use gjj_domain::unit::{UnitFacts, UnitStatus};

/// A month literal of the benchmarks.
pub fn month(yyyymm: u32) -> Month {
    Month::new((yyyymm / 100) as i32, yyyymm % 100).expect("valid month literal")
}

/// 衡阳 figures (REFERENCE §C, secondary source; the 2026 policy year).
pub fn hengyang_policy() -> Policy {
    Policy {
        year: 2026,
        starts: month(202607),
        ends: month(202706),
        base_min: Fen::from_yuan(1700),
        base_max: Fen::from_yuan(21142),
        monthly_min: Fen::from_yuan(170),
        monthly_max: Fen::from_yuan(5076),
        unit_rate_min: Rate::from_percent(5),
        unit_rate_max: Rate::from_percent(12),
        person_rate_min: Rate::from_percent(5),
        person_rate_max: Rate::from_percent(12),
        round_to: RoundTo::Fen,
    }
}

/// The bench unit (12 % / 12 %), remitted through `paid_through` (YYYYMM).
pub fn unit(paid_through: u32) -> UnitFacts {
    UnitFacts {
        account: "430400000001".to_owned(),
        name: "衡阳市示例科技有限公司".to_owned(),
        // Not checked by these businesses; a placeholder of the right shape.
        uscc: "91430400MA4L000000".to_owned(),
        status: UnitStatus::Normal,
        unit_rate: Rate::from_percent(12),
        person_rate: Rate::from_percent(12),
        first_month: month(201001),
        paid_through: Some(month(paid_through)),
    }
}

/// A fixed shuffle of `0..n` (Fisher–Yates driven by a 64-bit LCG with a constant seed): the order in which the
/// generated sheets list their rows. Real sheets come sorted by department or name, not by 个人账号, 证件号码 or
/// 手机号码; rows in key order would flatter any duplicate table that favours a key above the largest so far (or
/// near the last one). Fixed, so every run and every version reads the same file.
#[allow(dead_code)] // bench_write generates no sheet to read.
pub fn shuffled(n: u32) -> Vec<u32> {
    let mut order: Vec<u32> = (0..n).collect();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for k in (1..order.len()).rev() {
        // Knuth's MMIX LCG; the high bits are the good ones.
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let j = ((state >> 32) * (k as u64 + 1)) >> 32;
        order.swap(k, j as usize);
    }
    order
}

/// Peak resident set size (`VmHWM`) in KiB, 0 if unavailable (non-Linux).
pub fn peak_rss_kib() -> u64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
