//! `gjj-server seed --demo`: loads the demo centre (衡阳) from seed/demo.toml — units, policy years — and a few
//! hundred synthetic employees with valid 身份证 numbers, deterministically (the same data on every machine).

use anyhow::{bail, Context, Result};
use gjj_domain::ids::id_check_char;
use gjj_domain::money::Fen;
use gjj_domain::month::Month;
use gjj_domain::rate::Rate;
use gjj_domain::rounding::amount;
use serde::Deserialize;

use crate::db::{parse_round_to, Db};

/// The demo data file, compiled in so the binary seeds anywhere.
pub const DEMO_TOML: &str = include_str!("../seed/demo.toml");

#[derive(Deserialize)]
struct Demo {
    policy: Vec<PolicyYear>,
    #[serde(default)]
    loan_policy: Vec<crate::http::loan_application::SeedLoanPolicy>,
    unit: Vec<Unit>,
}

#[derive(Deserialize)]
struct PolicyYear {
    year: i64,
    starts: String,
    ends: String,
    base_min_yuan: i64,
    base_max_yuan: i64,
    monthly_min_yuan: i64,
    monthly_max_yuan: i64,
    unit_rate_min_pct: i64,
    unit_rate_max_pct: i64,
    person_rate_min_pct: i64,
    person_rate_max_pct: i64,
    round_to: String,
}

#[derive(Deserialize)]
struct Unit {
    name: String,
    uscc: String,
    role: String,
    account: String,
    status: String,
    #[serde(default)]
    unit_rate_pct: i64,
    #[serde(default)]
    person_rate_pct: i64,
    #[serde(default = "default_first_month")]
    first_month: String,
    #[serde(default)]
    paid_through: Option<String>,
    #[serde(default)]
    employees: u32,
    address: String,
    /// `[unit.details]`: the 单位信息变更 fields beyond name and address (unit_details, migration 0002).
    #[serde(default)]
    details: std::collections::BTreeMap<String, String>,
}

fn default_first_month() -> String {
    "201501".into()
}

/// Small deterministic generator (the demo must be identical everywhere; no rand dependency for this).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % bound
    }
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何",
    "高", "林", "罗", "欧阳", "谢", "唐", "邓",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
    "秀兰", "霞", "平", "刚", "桂英", "华", "建国", "思远", "雨桐", "子涵", "浩然",
];
/// 衡阳 districts and counties (GB/T 2260).
const REGIONS: &[&str] = &[
    "430405", "430406", "430407", "430408", "430412", "430421", "430422", "430423", "430424", "430426",
    "430481", "430482",
];

/// A valid 18-digit 身份证 number for a synthetic person.
fn id_number(rng: &mut Lcg, seq: u32) -> String {
    let region = REGIONS[rng.next(REGIONS.len() as u64) as usize];
    let year = 1966 + rng.next(36);
    let month = 1 + rng.next(12);
    let day = 1 + rng.next(28);
    let first17 = format!("{region}{year}{month:02}{day:02}{:03}", seq % 1000);
    let check = id_check_char(&first17).unwrap_or('0');
    format!("{first17}{check}")
}

/// Loads the demo centre; refuses to touch a database that already has units.
pub async fn demo(db: &Db) -> Result<()> {
    let demo: Demo = toml::from_str(DEMO_TOML).context("seed/demo.toml")?;
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM units")
        .fetch_one(db.pool())
        .await?;
    if existing > 0 {
        println!("数据库中已有 {existing} 个单位，跳过演示数据。");
        return Ok(());
    }
    let mut tx = db.pool().begin().await?;
    for p in &demo.policy {
        if parse_round_to(&p.round_to).is_none() {
            bail!("policy {}: unknown round_to {}", p.year, p.round_to);
        }
        sqlx::query(
            "INSERT INTO policies (year, starts, ends, base_min_fen, base_max_fen, monthly_min_fen, monthly_max_fen, \
             unit_rate_min_bp, unit_rate_max_bp, person_rate_min_bp, person_rate_max_bp, round_to) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(p.year)
        .bind(&p.starts)
        .bind(&p.ends)
        .bind(p.base_min_yuan * 100)
        .bind(p.base_max_yuan * 100)
        .bind(p.monthly_min_yuan * 100)
        .bind(p.monthly_max_yuan * 100)
        .bind(p.unit_rate_min_pct * 100)
        .bind(p.unit_rate_max_pct * 100)
        .bind(p.person_rate_min_pct * 100)
        .bind(p.person_rate_max_pct * 100)
        .bind(&p.round_to)
        .execute(&mut *tx)
        .await?;
    }
    for lp in &demo.loan_policy {
        crate::http::loan_application::seed_policy(&mut tx, lp).await?;
    }
    let round_to = demo
        .policy
        .first()
        .and_then(|p| parse_round_to(&p.round_to))
        .context("no policy year")?;
    let mut people = 0;
    for (index, u) in demo.unit.iter().enumerate() {
        let role =
            gjj_domain::api::Role::parse(&u.role).with_context(|| format!("unknown role {}", u.role))?;
        sqlx::query(
            "INSERT INTO units (account, uscc, name, role, status, unit_rate_bp, person_rate_bp, first_month, \
             paid_through, address) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&u.account)
        .bind(&u.uscc)
        .bind(&u.name)
        .bind(role.code())
        .bind(&u.status)
        .bind(u.unit_rate_pct * 100)
        .bind(u.person_rate_pct * 100)
        .bind(&u.first_month)
        .bind(&u.paid_through)
        .bind(&u.address)
        .execute(&mut *tx)
        .await?;
        crate::http::unit_change::seed_details(&mut tx, &u.account, &u.details).await?;
        let first = Month::parse(&u.first_month).map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut rng = Lcg(0x9e37_79b9_7f4a_7c15 ^ index as u64);
        for i in 0..u.employees {
            let name = format!(
                "{}{}",
                SURNAMES[rng.next(SURNAMES.len() as u64) as usize],
                GIVEN[rng.next(GIVEN.len() as u64) as usize]
            );
            // Whole yuan between 2000 and 15000: inside every demo unit's limits with its rates.
            let base = Fen::from_yuan(2000 + rng.next(13_001) as i64);
            let status = if i % 20 == 19 { "02" } else { "01" };
            let joined = first.add_months(rng.next(24) as i32);
            sqlx::query(
                "INSERT INTO persons (account, unit_account, name, id_number, status, base_fen, unit_amount_fen, \
                 person_amount_fen, first_month, paid_through) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(format!("99{:02}{:08}", index + 1, i + 1))
            .bind(&u.account)
            .bind(&name)
            .bind(id_number(&mut rng, i))
            .bind(status)
            .bind(base.0)
            .bind(amount(base, Rate(u.unit_rate_pct as u32 * 100), round_to).0)
            .bind(amount(base, Rate(u.person_rate_pct as u32 * 100), round_to).0)
            .bind(joined.to_string())
            .bind(&u.paid_through)
            .execute(&mut *tx)
            .await?;
            people += 1;
        }
    }
    tx.commit().await?;
    println!(
        "已载入演示中心：{} 个单位，{people} 名缴存职工，{} 个政策年度。",
        demo.unit.len(),
        demo.policy.len()
    );
    Ok(())
}
