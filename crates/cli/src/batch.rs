//! `gjj template`, `gjj check` and `gjj submit` for every Excel batch business, by its code: the client core
//! (`gjj_client::app::App`, the same one the desktop app adapts) imports the sheet, runs the centre's rules on
//! it (streaming) and signs and sends it; this module only says it. The business comes from the core's registry
//! (`gjj_client::sheet::batch`), so a new batch business needs no code here. 汇缴 takes its terms
//! (`--month --method --count --total`) and 楼栋录入's 户清单 is checked on its own (`building-houses`).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{anyhow, Result};
use gjj_client::app::{App, FileSubmission, IssueList, Reach};
use gjj_client::offline::OfflineReport;
use gjj_client::sheet::RemittanceTerms;
use gjj_domain::money::Fen;
use gjj_domain::month::Month;
use gjj_domain::remittance::Method;
use serde::Serialize;
use serde_json::json;

use crate::{config, login, output};

/// 楼栋录入's 户清单: a sheet, but part of the 楼栋录入 form rather than a business of its own.
pub const HOUSES: &str = "building-houses";

/// `gjj template BUSINESS -o FILE [--prefill]`. Only 基数调整 and 启封 have a `--prefill` (the unit's
/// contributors they act on); every other sheet lists only the people or applicants the clerk acts on.
pub async fn template(
    settings: &config::Settings,
    code: &str,
    output: &Path,
    prefill: bool,
) -> Result<ExitCode> {
    if code == HOUSES {
        gjj_sheets::building::write_template(output, &Default::default())?;
        println!("已生成楼栋户清单模板：{}", output.display());
        return Ok(ExitCode::SUCCESS);
    }
    if code == "remittance" {
        return remittance_list(settings, output, None, false).await;
    }
    if !prefill {
        login::app(settings).save_template(code, output).await?;
        println!("已生成模板：{}", output.display());
        return Ok(ExitCode::SUCCESS);
    }
    // Only 基数调整 and 启封 have one: the others are refused by the core before a PIN is asked for.
    let app = if matches!(code, "base_adjustment" | "unseal") {
        login::login(settings, Reach::Online).await?
    } else {
        login::app(settings)
    };
    let n = app.save_template_prefilled(code, output).await?;
    if code == "base_adjustment" {
        println!(
            "已生成模板：{}（已填入 {n} 名正常缴存职工，请填写“调整后基数”列）",
            output.display()
        );
    } else {
        println!(
            "已生成模板：{}（已填入 {n} 名封存职工，请为要启封的职工填写“启封后缴存基数”和“启封原因”，删除不启封的行）",
            output.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `gjj remittance list -o FILE [--month]` (and `gjj template remittance`): the centre's 清册.
pub async fn remittance_list(
    settings: &config::Settings,
    path: &Path,
    month: Option<Month>,
    json: bool,
) -> Result<ExitCode> {
    let app = login::login(settings, Reach::Online).await?;
    let list = app.save_remittance_list(month, path).await?;
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

/// A check's outcome: each issue, then one line; exit 0 clean, 1 issues. `unit` counts the rows (行, 户);
/// `figures` follow the count when clean (汇缴's 发生人数 / 发生额).
struct Report<'a> {
    what: String,
    rows: u32,
    unit: &'a str,
    figures: String,
    advice: &'a str,
}

impl Report<'_> {
    fn print(&self, issues: &IssueList, json: bool, offline: Option<&OfflineReport>) -> ExitCode {
        let Report {
            what,
            rows,
            unit,
            figures,
            advice,
        } = self;
        if json {
            // Written as it is read out of the compact list: 100,000 issues are never a JSON tree in memory.
            #[derive(Serialize)]
            struct Out<'a> {
                issues: &'a IssueList,
                offline: Option<&'a OfflineReport>,
                rows: u32,
            }
            let out = Out {
                issues,
                offline,
                rows: *rows,
            };
            let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
            // A closed pipe (`| head`) is not an error of the check.
            if serde_json::to_writer(&mut stdout, &out).is_ok() {
                let _ = writeln!(stdout);
            }
        } else {
            output::print_issues(issues.iter());
            let passed = if offline.is_some() {
                "离线检查通过"
            } else {
                "检查通过"
            };
            if issues.is_empty() {
                println!("{what}：共 {rows} {unit}{figures}，{passed}。");
            } else {
                println!("{what}：共 {rows} {unit}，发现 {} 处问题。{advice}", issues.len());
            }
            if let Some(o) = offline {
                println!("{}", o.summary);
                println!("以下检查留待提交时由中心进行：");
                for check in &o.left_for_centre {
                    println!("  · {check}");
                }
            }
        }
        if issues.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        }
    }
}

fn rows_report(file: &Path, rows: u32) -> Report<'static> {
    Report {
        what: file.display().to_string(),
        rows,
        unit: "行",
        figures: String::new(),
        advice: EXCEL_ADVICE,
    }
}

fn remittance_report(file: &Path, c: &gjj_client::app::RemittanceCheck) -> Report<'static> {
    Report {
        what: file.display().to_string(),
        rows: c.rows,
        unit: "行",
        figures: format!("，发生人数 {}，发生额 {} 元", c.count, c.total),
        advice: "请按上面的行号和列名修改，或重新下载清册后再检查。",
    }
}

const EXCEL_ADVICE: &str = "请按上面的行号和列名在 Excel 中修改后重新检查。";

/// `gjj check BUSINESS FILE`: exit 0 clean, 1 issues. Checked with today's cached facts when the key can be
/// read without a PIN, else after a login; without the key or the centre (or with `--offline`), offline on the
/// facts cached at the last login, saying what is left for the centre.
pub async fn check(
    settings: &config::Settings,
    code: &str,
    file: &Path,
    json: bool,
    offline: bool,
    unit: Option<&str>,
) -> Result<ExitCode> {
    if code == HOUSES {
        let checked = gjj_client::sheet::check_houses(file)?;
        let report = Report {
            unit: "户",
            advice: "",
            ..rows_report(file, checked.rows)
        };
        return Ok(report.print(&checked.issues.into_iter().collect(), json, None));
    }
    let app = login::for_check(settings, offline, unit).await?;
    // None after a login or with today's facts: the check was the full one.
    let offline = app.offline_report(code).await;
    if code == "remittance" {
        let c = app.check_remittance(file).await?;
        return Ok(remittance_report(file, &c).print(
            &c.issues.into_iter().collect(),
            json,
            offline.as_ref(),
        ));
    }
    let checked = app.check_file(code, file).await?;
    Ok(rows_report(file, checked.rows).print(&checked.issues, json, offline.as_ref()))
}

/// Earlier submissions that never got an answer go first, under their original keys; each is reported.
pub async fn resend(app: &App) -> Result<()> {
    for (entry, result) in app.resend().await? {
        match result {
            Ok(gjj_client::Submitted::Accepted { receipt, .. }) => eprintln!(
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
    Ok(())
}

/// 汇缴's terms on the command line.
#[derive(clap::Args, Debug, Default)]
pub struct RemittanceArgs {
    /// 汇缴年月 (YYYYMM; 汇缴 only): the 清册's month, the unit's 应汇缴年月
    #[arg(long, value_parser = parse_month)]
    pub month: Option<Month>,
    /// 汇缴方式 (汇缴 only): 01 转账收款, 02 暂收(未分摊余额)收款, 04 委托收款
    #[arg(long, value_parser = parse_method)]
    pub method: Option<Method>,
    /// 发生人数 as on the bank slip (汇缴 only; default: the sheet's rows)
    #[arg(long)]
    pub count: Option<u32>,
    /// 发生额 in yuan as on the bank slip (汇缴 only; default: Σ 单位 + 个人月缴存额 of the sheet)
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

/// `gjj submit BUSINESS FILE`: check, sign with the key, send, print the receipt. With the centre unreachable,
/// today's cached facts still allow checking and queueing: the submission goes to the outbox and is sent when
/// the network is back.
pub async fn submit(
    settings: &config::Settings,
    code: &str,
    file: &Path,
    terms: RemittanceArgs,
    json: bool,
) -> Result<ExitCode> {
    if code == HOUSES {
        return Err(anyhow!(
            "请指定业务和文件，如 gjj submit base-adjustment 清册.xlsx"
        ));
    }
    if code == "remittance" {
        return submit_remittance(settings, file, terms, json).await;
    }
    let app = login::login(settings, Reach::CachedWhenOffline).await?;
    resend(&app).await?;
    match app.submit_file(code, file).await? {
        FileSubmission::Issues(checked) => {
            if !json {
                eprintln!("文件有问题，未提交任何内容：");
            }
            Ok(rows_report(file, checked.rows).print(&checked.issues.into_iter().collect(), json, None))
        }
        FileSubmission::Accepted { receipt, replayed } => {
            if json {
                println!("{}", json!({ "receipt": receipt, "replayed": replayed }));
            } else {
                print!("{}", gjj_client::receipt::accepted_text(&receipt, &[]));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn submit_remittance(
    settings: &config::Settings,
    file: &Path,
    args: RemittanceArgs,
    json: bool,
) -> Result<ExitCode> {
    let month = args
        .month
        .ok_or_else(|| anyhow!("请用 --month 写明汇缴年月（清册年月，如 202610）。"))?;
    let method = args.method.ok_or_else(|| {
        anyhow!("请用 --method 写明汇缴方式：01 转账收款、02 暂收(未分摊余额)收款、04 委托收款。")
    })?;
    let terms = RemittanceTerms {
        month,
        method,
        count: args.count,
        total: args.total,
    };
    let app = login::login(settings, Reach::Online).await?;
    resend(&app).await?;
    match app.submit_remittance(file, terms).await? {
        Err(c) => {
            if !json {
                eprintln!("清册有问题，未提交任何内容：");
            }
            Ok(remittance_report(file, &c).print(&c.issues.into_iter().collect(), json, None))
        }
        Ok((receipt, replayed, payload)) => {
            if json {
                println!(
                    "{}",
                    json!({ "receipt": receipt, "replayed": replayed, "month": month, "method": method,
                            "person_count": payload.person_count, "total": payload.total })
                );
            } else {
                let detail = format!(
                    "汇缴年月：{month}  汇缴方式：{} {}  发生人数：{}  发生额：{} 元",
                    method.code(),
                    method.label(),
                    payload.person_count,
                    payload.total
                );
                print!("{}", gjj_client::receipt::accepted_text(&receipt, &[detail]));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
