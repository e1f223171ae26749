//! The developer hall's 项目录入 and 楼栋录入 on the command line:
//! - `gjj project draft [--id XM…] --set 字段=值 …` saves a draft (unsigned; a new project gets its id);
//! - `gjj project submit [--id XM…] [--set 字段=值 …]` checks every rule, signs and submits the project (the
//!   stored draft with the `--set` changes on top; a returned project is corrected and resubmitted the same way);
//! - `gjj project show XM…` / `gjj project list`;
//! - `gjj template building-houses -o 户清单.xlsx`, `gjj check building-houses FILE`, and
//!   `gjj submit building --project XM… --building-no 1栋 --presale-permit … --units 2 --floors 18
//!   --completion 2026-12-31 --loan-ratio 70 --file 户清单.xlsx`.
//!
//! Exit codes as everywhere: 0 done, 1 the rules (here or at the centre) refused the content, 2 anything else.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Result};
use clap::{Args, Subcommand};
use gjj_client::Submitted;
use gjj_domain::api::Receipt;
use gjj_domain::building::{self, Building, HouseChecker, HouseRow};
use gjj_domain::issue::Issue;
use gjj_domain::project::{self, Project, ProjectField, ProjectView};
use gjj_domain::rate::Rate;
use serde_json::json;

use crate::{config, login, output};

fn fields_help() -> String {
    let list: Vec<String> = ProjectField::ALL
        .iter()
        .map(|f| {
            format!(
                "  {} / {}{}",
                f.key(),
                f.label(),
                if f.required() { "" } else { "（选填）" }
            )
        })
        .collect();
    format!(
        "字段（FIELD 可写英文键或中文名；金额单位元，面积单位平方米，比例写 5 或 5%，日期 2025-06-30）：\n{}",
        list.join("\n")
    )
}

/// `gjj project …`.
#[derive(Subcommand)]
pub enum ProjectCmd {
    /// Save a 项目录入 draft (not signed, not reviewed); prints the project id
    #[command(after_help = fields_help())]
    Draft {
        /// The project to update (omit to create a new one)
        #[arg(long)]
        id: Option<String>,
        /// FIELD=VALUE, repeatable; an empty VALUE clears the field
        #[arg(long = "set", value_name = "FIELD=VALUE")]
        set: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Check, sign and submit a project for the centre's review (the stored draft plus any --set)
    #[command(after_help = fields_help())]
    Submit {
        /// The project (a draft, or one the centre returned); omit to submit a new project from --set alone
        #[arg(long)]
        id: Option<String>,
        /// FIELD=VALUE, repeatable
        #[arg(long = "set", value_name = "FIELD=VALUE")]
        set: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// One project: fields, status (草稿/审核中/已退回/已撤回/已办结), return reason, buildings and houses
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// The developer's projects
    List {
        #[arg(long)]
        json: bool,
    },
}

impl ProjectCmd {
    /// Whether the output is JSON.
    pub fn json(&self) -> bool {
        match self {
            ProjectCmd::Draft { json, .. }
            | ProjectCmd::Submit { json, .. }
            | ProjectCmd::Show { json, .. }
            | ProjectCmd::List { json } => *json,
        }
    }
}

fn refuse(issues: &[Issue], json: bool) -> ExitCode {
    let message = format!(
        "填写内容有 {} 处不符合规定，未提交。请按问题清单修改后重新提交。",
        issues.len()
    );
    if json {
        println!(
            "{}",
            json!({ "error": { "code": "RULES_VIOLATED", "message": message, "issues": issues } })
        );
    } else {
        eprintln!("错误 [RULES_VIOLATED] {message}");
        output::print_issues(issues);
    }
    ExitCode::from(1)
}

/// Applies `FIELD=VALUE` arguments; every bad one is an issue.
fn apply_sets(p: &mut Project, sets: &[String], issues: &mut Vec<Issue>) -> Result<()> {
    for s in sets {
        let (k, v) = s
            .split_once('=')
            .ok_or_else(|| anyhow!("--set 应写成 字段=值（如 --set 楼盘名称=华信·湘江壹号），收到“{s}”"))?;
        let field = ProjectField::lookup(k)
            .ok_or_else(|| anyhow!("没有字段“{k}”。可用字段见 gjj project draft --help"))?;
        if let Err(issue) = p.set(field, v) {
            issues.push(issue);
        }
    }
    Ok(())
}

fn print_view(v: &ProjectView) {
    println!("项目编号：{}  状态：{}", v.id, v.status_label);
    if let Some(reason) = &v.return_reason {
        println!("退回原因：{reason}");
    }
    if let Some(serial) = &v.last_serial {
        println!("最近一次提交：{serial}");
    }
    for &f in ProjectField::ALL {
        if let Some(value) = v.project.get(f) {
            println!("  {}：{value}", f.label());
        }
    }
    for b in &v.buildings {
        println!(
            "  楼栋 {} {}（预售许可证 {}，{} 单元 {} 层，{} 户）",
            b.id,
            b.building_no,
            b.presale_permit,
            b.unit_count,
            b.floor_count,
            b.houses.len()
        );
    }
}

fn print_receipt(receipt: &Receipt, what: &str) {
    println!("提交成功，中心已受理。");
    println!("业务流水号：{}", receipt.serial);
    println!("{what}");
    println!("开发商：{}（{}）", receipt.unit_name, receipt.unit_account);
    println!("签名内容摘要（SHA-256）：{}", receipt.payload_sha256);
    println!(
        "签名算法：{}  证书序列号：{}",
        receipt.signature_alg, receipt.certificate_serial
    );
    println!("受理时间：{}", receipt.received_at);
}

/// `gjj project …`.
pub async fn run(settings: &config::Settings, cmd: ProjectCmd) -> Result<ExitCode> {
    let session = login::session(settings)?;
    match cmd {
        ProjectCmd::Draft { id, set, json } => {
            let mut p = match &id {
                Some(id) => session.project(id).await?.project,
                None => Project::default(),
            };
            let mut issues = Vec::new();
            apply_sets(&mut p, &set, &mut issues)?;
            if let Err(more) = project::check_draft(&p) {
                issues.extend(more);
            }
            if !issues.is_empty() {
                return Ok(refuse(&issues, json));
            }
            let view = session.project_draft(&p).await?;
            if json {
                println!("{}", serde_json::to_string(&view)?);
            } else {
                println!(
                    "草稿已保存（未签名、未提交审核）。提交：gjj project submit --id {}",
                    view.id
                );
                print_view(&view);
            }
            Ok(ExitCode::SUCCESS)
        }
        ProjectCmd::Submit { id, set, json } => {
            let mut p = match &id {
                Some(id) => session.project(id).await?.project,
                None => Project::default(),
            };
            let mut issues = Vec::new();
            apply_sets(&mut p, &set, &mut issues)?;
            let me = session.me().await?;
            let valid = match project::check_submit(&p, me.today) {
                Ok(v) if issues.is_empty() => v,
                Ok(_) => return Ok(refuse(&issues, json)),
                Err(more) => {
                    issues.extend(more);
                    return Ok(refuse(&issues, json));
                }
            };
            let outbox = login::outbox(settings).await?;
            let Submitted::Accepted { receipt, replayed } =
                session.submit(&outbox, "project", &valid, 1).await?;
            let project_id = receipt
                .accounts
                .first()
                .map(|a| a.account.clone())
                .unwrap_or_default();
            if json {
                println!(
                    "{}",
                    json!({ "receipt": receipt, "replayed": replayed, "project_id": project_id })
                );
            } else {
                print_receipt(
                    &receipt,
                    &format!("项目编号：{project_id}（审核通过后可录入楼栋）"),
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        ProjectCmd::Show { id, json } => {
            let view = session.project(&id).await?;
            if json {
                println!("{}", serde_json::to_string(&view)?);
            } else {
                print_view(&view);
            }
            Ok(ExitCode::SUCCESS)
        }
        ProjectCmd::List { json } => {
            let list = session.projects().await?;
            if json {
                println!("{}", serde_json::to_string(&list)?);
            } else if list.is_empty() {
                println!("本公司还没有项目。新建：gjj project draft --set 楼盘名称=…");
            } else {
                for v in &list {
                    println!(
                        "{}  {}  {}",
                        v.id,
                        v.status_label,
                        v.project.name.as_deref().unwrap_or("")
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `gjj template building-houses -o FILE`.
pub fn template(output: &Path) -> Result<ExitCode> {
    gjj_sheets::building::write_template(output, &gjj_sheets::building::TemplateOptions::default())?;
    println!("已生成楼栋户清单模板：{}", output.display());
    Ok(ExitCode::SUCCESS)
}

/// Imports the 户 sheet and runs the house rules (`limits` = 单元数/层数 when known).
fn import_houses(file: &Path, limits: (u32, u32), issues: &mut Vec<Issue>) -> Result<(u32, Vec<HouseRow>)> {
    let mut checker = HouseChecker::new(limits.0, limits.1);
    let mut rows = Vec::new();
    let stats = gjj_sheets::building::import_with(
        file,
        |row, issues| {
            checker.push(&row, issues);
            rows.push(row);
        },
        issues,
    )?;
    checker.finish(issues);
    issues.sort_by_key(|i| i.row);
    Ok((stats.data_rows, rows))
}

/// `gjj check building-houses FILE`: cells and house rules (单元/楼层 bounds need the form: checked at submit).
pub fn check(file: &Path, json: bool) -> Result<ExitCode> {
    let mut issues = Vec::new();
    let (rows, _) = import_houses(file, (u32::MAX, u32::MAX), &mut issues)?;
    if json {
        println!("{}", json!({ "rows": rows, "issues": issues }));
    } else {
        output::print_issues(&issues);
        if issues.is_empty() {
            println!("{}：共 {rows} 户，检查通过。", file.display());
        } else {
            println!("{}：共 {rows} 户，发现 {} 处问题。", file.display(), issues.len());
        }
    }
    Ok(if issues.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `gjj submit building …`.
#[derive(Args, Debug)]
pub struct BuildingArgs {
    /// The approved project (项目编号 XM…)
    #[arg(long)]
    pub project: String,
    /// 楼栋号 (e.g. 1栋)
    #[arg(long)]
    pub building_no: String,
    /// 预售许可证号 of this building
    #[arg(long)]
    pub presale_permit: String,
    /// 单元数
    #[arg(long)]
    pub units: u32,
    /// 层数 (above ground)
    #[arg(long)]
    pub floors: u32,
    /// 竣工日期 (2026-12-31)
    #[arg(long)]
    pub completion: String,
    /// 贷款比例 (70 or 70%)
    #[arg(long)]
    pub loan_ratio: String,
    /// 备注
    #[arg(long)]
    pub note: Option<String>,
    /// The 户清单 (.xlsx from `gjj template building-houses`)
    #[arg(long)]
    pub file: PathBuf,
}

/// `gjj submit building …`: import + every rule, sign, send.
pub async fn submit_building(
    settings: &config::Settings,
    args: BuildingArgs,
    json: bool,
) -> Result<ExitCode> {
    let mut issues = Vec::new();
    let loan_ratio = match Rate::parse_percent(&args.loan_ratio) {
        Ok(r) => r,
        Err(e) => {
            issues.push(Issue::new(
                0,
                building::field::LOAN_RATIO,
                e.code(),
                format!("贷款比例：{e}"),
            ));
            Rate(0)
        }
    };
    let (_, houses) = import_houses(&args.file, (args.units, args.floors), &mut issues)?;
    let b = Building {
        project_id: args.project.trim().to_uppercase(),
        building_no: args.building_no,
        presale_permit: args.presale_permit,
        unit_count: args.units,
        floor_count: args.floors,
        completion_date: args.completion,
        loan_ratio,
        note: args.note,
        houses,
    };
    if !issues.is_empty() {
        return Ok(refuse(&issues, json));
    }
    let valid = match building::check(&b) {
        Ok(v) => v,
        Err(issues) => return Ok(refuse(&issues, json)),
    };
    if valid.houses.is_empty() {
        bail!("户清单没有数据行");
    }
    let session = login::session(settings)?;
    let outbox = login::outbox(settings).await?;
    let rows = u32::try_from(valid.houses.len())?;
    let Submitted::Accepted { receipt, replayed } = session.submit(&outbox, "building", &valid, rows).await?;
    if json {
        println!("{}", json!({ "receipt": receipt, "replayed": replayed }));
    } else {
        print_receipt(
            &receipt,
            &format!(
                "项目 {} 楼栋 {}：{} 户（审核通过后生成楼栋编号，房屋为可售）",
                valid.project_id, valid.building_no, receipt.accepted_rows
            ),
        );
    }
    Ok(ExitCode::SUCCESS)
}
