//! 汇缴 from the command line: `gjj remittance list -o FILE [--month YYYYMM]` downloads the centre's current
//! 清册 as Excel; `gjj check remittance FILE` runs the centre's rules on it; `gjj submit remittance FILE --month
//! YYYYMM --method 01|02|04 [--count N --total YUAN]` checks, signs and sends it.
//!
//! `--count` / `--total` are the 发生人数 / 发生额 the clerk states from the bank slip. When omitted, the client
//! states what the sheet adds up to (its rows; Σ 单位 + 个人月缴存额) — the centre checks them against the rows
//! either way, so a stated figure that disagrees with the sheet is refused with both figures named.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, Result};
use clap::{Args, Subcommand};
use gjj_client::Submitted;
use gjj_domain::issue::Issue;
use gjj_domain::money::Fen;
use gjj_domain::month::Month;
use gjj_domain::policy::Policy;
use gjj_domain::remittance::{Checker, Method, Remittance, RemittanceRow};
use gjj_domain::unit::UnitFacts;
use serde_json::json;

use crate::{config, login, output};

/// The business name in every layer.
const BUSINESS: &str = "remittance";

/// `gjj remittance …`.
#[derive(Subcommand)]
pub enum RemittanceCmd {
    /// Download the centre's current 汇缴清册 (the unit's 正常 contributors, bases and monthly amounts) as Excel
    List {
        /// Output file (.xlsx)
        #[arg(short, long)]
        output: PathBuf,
        /// 清册年月 (YYYYMM); the unit's 应汇缴年月 when omitted (the centre lists no other month)
        #[arg(long, value_parser = parse_month)]
        month: Option<Month>,
        #[arg(long)]
        json: bool,
    },
}

impl RemittanceCmd {
    /// Whether errors print as JSON.
    pub fn json(&self) -> bool {
        match self {
            RemittanceCmd::List { json, .. } => *json,
        }
    }
}

/// The 汇缴 options of `gjj submit remittance FILE` (ignored by the other businesses).
#[derive(Args, Debug, Default)]
pub struct SubmitArgs {
    /// (汇缴) 汇缴年月 = 清册年月, YYYYMM — required for `submit remittance`
    #[arg(long, value_parser = parse_month)]
    pub month: Option<Month>,
    /// (汇缴) 汇缴方式: 01 转账收款, 02 暂收(未分摊余额)收款, 04 委托收款 — required for `submit remittance`
    #[arg(long, value_parser = parse_method)]
    pub method: Option<Method>,
    /// (汇缴) 发生人数 from the bank slip; the sheet's row count when omitted
    #[arg(long)]
    pub count: Option<u32>,
    /// (汇缴) 发生额 in yuan from the bank slip; the sheet's Σ 单位 + 个人月缴存额 when omitted
    #[arg(long, value_parser = parse_yuan)]
    pub total: Option<Fen>,
}

fn parse_month(s: &str) -> Result<Month, String> {
    Month::parse(s).map_err(|e| e.to_string())
}

fn parse_method(s: &str) -> Result<Method, String> {
    Method::parse(s).ok_or_else(|| {
        format!("汇缴方式“{s}”不正确，请填写 01（转账收款）、02（暂收(未分摊余额)收款）或 04（委托收款）")
    })
}

fn parse_yuan(s: &str) -> Result<Fen, String> {
    Fen::parse_yuan(s).map_err(|e| e.to_string())
}

/// `gjj remittance …`.
pub async fn run(settings: &config::Settings, cmd: RemittanceCmd) -> Result<ExitCode> {
    match cmd {
        RemittanceCmd::List { output, month, json } => list(settings, &output, month, json).await,
    }
}

/// Downloads the 清册 and writes it as Excel (also `gjj template remittance -o FILE`).
pub async fn list(
    settings: &config::Settings,
    path: &Path,
    month: Option<Month>,
    json: bool,
) -> Result<ExitCode> {
    let session = login::session(settings)?;
    let list = session.remittance_list(month).await?;
    gjj_sheets::remittance::write_list(path, &list, &gjj_sheets::remittance::TemplateOptions::default())?;
    if json {
        println!("{}", json!({ "file": path, "list": list }));
    } else {
        println!(
            "已下载 {} 的汇缴清册：{}（{} 人，发生额 {} 元；缴存比例 单位 {} / 个人 {}）",
            list.month,
            path.display(),
            list.person_count,
            list.total,
            list.unit.unit_rate,
            list.unit.person_rate
        );
        println!(
            "核对无误后提交：gjj submit remittance {} --month {} --method 01|02|04",
            path.display(),
            list.month
        );
    }
    Ok(ExitCode::SUCCESS)
}

struct Checked {
    rows: u32,
    issues: Vec<Issue>,
    valid: Vec<RemittanceRow>,
    count: u32,
    total: Fen,
}

/// Import + the domain rules the centre runs, streaming. The stated 发生人数/发生额 default to the sheet's.
fn check_sheet(
    file: &Path,
    policy: &Policy,
    unit: &UnitFacts,
    month: Month,
    today: Month,
    args: &SubmitArgs,
) -> Result<Checked> {
    let mut checker = Checker::new(policy, unit, month, today);
    let mut issues = Vec::new();
    let mut valid = Vec::new();
    let stats = gjj_sheets::remittance::import_with(
        file,
        |row, issues| {
            checker.push(&row, issues);
            valid.push(row);
        },
        &mut issues,
    )?;
    let (pushed, sum) = checker.totals();
    let count = args
        .count
        .unwrap_or_else(|| u32::try_from(pushed).unwrap_or(u32::MAX));
    let total = args.total.unwrap_or(sum);
    checker.finish(count, total, &mut issues);
    issues.sort_by_key(|i| i.row);
    Ok(Checked {
        rows: stats.data_rows,
        issues,
        valid,
        count,
        total,
    })
}

fn report(file: &Path, checked: &Checked, json: bool) -> ExitCode {
    let clean = checked.issues.is_empty();
    if json {
        println!("{}", json!({ "rows": checked.rows, "issues": checked.issues }));
    } else {
        output::print_issues(&checked.issues);
        if clean {
            println!(
                "{}：共 {} 行，发生人数 {}，发生额 {} 元，检查通过。",
                file.display(),
                checked.rows,
                checked.count,
                checked.total
            );
        } else {
            println!(
                "{}：共 {} 行，发现 {} 处问题。请按上面的行号和列名修改，或重新下载清册后再检查。",
                file.display(),
                checked.rows,
                checked.issues.len()
            );
        }
    }
    if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// `gjj check remittance FILE`: the sheet against the rules for the 应汇缴年月 (exit 0 clean, 1 issues).
pub async fn check(settings: &config::Settings, file: &Path, json: bool) -> Result<ExitCode> {
    let (me, policy) = crate::context(settings).await?;
    let month = me.unit.due_month();
    let checked = check_sheet(file, &policy, &me.unit, month, me.today, &SubmitArgs::default())?;
    Ok(report(file, &checked, json))
}

/// `gjj submit remittance FILE --month … --method …`.
pub async fn submit(
    settings: &config::Settings,
    file: &Path,
    args: SubmitArgs,
    json: bool,
) -> Result<ExitCode> {
    let month = args
        .month
        .ok_or_else(|| anyhow!("请用 --month 写明汇缴年月（清册年月，如 202610）。"))?;
    let method = args.method.ok_or_else(|| {
        anyhow!("请用 --method 写明汇缴方式：01 转账收款、02 暂收(未分摊余额)收款、04 委托收款。")
    })?;
    let session = login::session(settings)?;
    let outbox = login::outbox(settings).await?;
    let (me, mut policy) = session.refresh_context(&outbox).await?;
    // Earlier submissions that never got an answer go first, under their original keys.
    for (entry, result) in session.resend_pending(&outbox).await? {
        match result {
            Ok(Submitted::Accepted { receipt, .. }) => eprintln!(
                "已重发上次未确认的提交 {}：业务流水号 {}",
                entry.idempotency_key, receipt.serial
            ),
            Err(e) => eprintln!(
                "上次未确认的提交 {} 仍未送达 [{}] {e}",
                entry.idempotency_key,
                e.code()
            ),
        }
    }
    if !policy.covers(month) {
        // A unit in arrears remits a month of an earlier policy year: that year's limits apply. When the centre
        // refuses to list the month (not due), the local check says why with the current figures.
        if let Ok(list) = session.remittance_list(Some(month)).await {
            policy = list.policy;
        }
    }
    let checked = check_sheet(file, &policy, &me.unit, month, me.today, &args)?;
    if !checked.issues.is_empty() {
        if !json {
            eprintln!("清册有问题，未提交任何内容：");
        }
        return Ok(report(file, &checked, json));
    }
    let rows = u32::try_from(checked.valid.len())?;
    let payload = Remittance {
        month,
        method,
        person_count: checked.count,
        total: checked.total,
        rows: checked.valid,
    };
    let Submitted::Accepted { receipt, replayed } = session.submit(&outbox, BUSINESS, &payload, rows).await?;
    if json {
        println!(
            "{}",
            json!({ "receipt": receipt, "replayed": replayed, "month": month, "method": method,
                    "person_count": payload.person_count, "total": payload.total })
        );
    } else {
        println!("提交成功，中心已受理。");
        println!("业务流水号：{}", receipt.serial);
        println!("单位：{}（{}）", receipt.unit_name, receipt.unit_account);
        println!(
            "汇缴年月：{month}  汇缴方式：{} {}  发生人数：{}  发生额：{} 元",
            method.code(),
            method.label(),
            payload.person_count,
            payload.total
        );
        println!("签名内容摘要（SHA-256）：{}", receipt.payload_sha256);
        println!(
            "签名算法：{}  证书序列号：{}",
            receipt.signature_alg, receipt.certificate_serial
        );
        println!("受理时间：{}", receipt.received_at);
    }
    Ok(ExitCode::SUCCESS)
}
