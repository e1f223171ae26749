//! 缴存人信息变更 in the CLI: its [`Sheet`] for `gjj template|check|submit contributor-change FILE`, the form
//! `gjj submit contributor-change --account 99… --set 手机号码=… [--set …]` (a diff against the centre's record of
//! that person, like 单位信息变更) and `gjj employee show ACCOUNT` (the record the form starts from).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, bail, Result};
use clap::{Args, Subcommand};
use gjj_client::Submitted;
use gjj_domain::contributor_change::{
    self, Checker, ContributorChange, ContributorChangeRow, FieldChange, PersonDetails, PersonField,
};
use gjj_domain::issue::Issue;
use serde_json::json;

use crate::{batch, config, login, output};

/// `gjj submit contributor-change …`: a sheet (`FILE`) or the form (`--account … --set …`).
#[derive(Args)]
#[command(after_help = form_help())]
pub struct SubmitArgs {
    /// The filled sheet (batch); leave out for the form
    pub file: Option<PathBuf>,
    /// 个人账号 of the contributor (form)
    #[arg(long, conflicts_with = "file", requires = "set")]
    pub account: Option<String>,
    /// FIELD=VALUE, repeatable (form). FIELD is the key, the pinyin id or the Chinese label (list below); an empty
    /// VALUE clears an optional field (固定电话, 个人存款账户号码, 开户银行)
    #[arg(long = "set", value_name = "FIELD=VALUE", requires = "account")]
    pub set: Vec<String>,
    /// Check with the centre's record and show the diff; sign and send nothing (form)
    #[arg(long, requires = "account")]
    pub dry_run: bool,
}

fn form_help() -> String {
    format!(
        "Fields (key / pinyin / label):\n{}\n\nExamples:\n  gjj submit contributor-change --account 9901000000001 --set 手机号码=13807345678\n  gjj submit contributor-change 变更清册.xlsx",
        contributor_change::field_help()
    )
}

/// `gjj employee …`.
#[derive(Subcommand)]
pub enum EmployeeCmd {
    /// One contributor's record as the centre holds it: the values a 缴存人信息变更 starts from
    Show {
        account: String,
        #[arg(long)]
        json: bool,
    },
}

/// `gjj employee show ACCOUNT`.
pub async fn employee(settings: &config::Settings, cmd: EmployeeCmd) -> Result<ExitCode> {
    let EmployeeCmd::Show { account, json } = cmd;
    let p = login::session(settings)?.employee(&account).await?;
    if json {
        println!("{}", serde_json::to_string(&p)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("个人账号：{}  个人账户状态：{}", p.account, p.status);
    for f in PersonField::ALL {
        let value = p.get(f).map_or_else(|| "（未登记）".to_owned(), |v| shown(f, v));
        println!("{}（{} / {}）：{value}", f.label(), f.key(), f.pinyin());
    }
    Ok(ExitCode::SUCCESS)
}

/// A value for the screen: 证件号码 and bank account partly masked (the full value is in `--json`).
fn shown(field: PersonField, value: &str) -> String {
    let masked = matches!(field, PersonField::IdNumber | PersonField::BankAccount);
    let n = value.chars().count();
    if !masked || n < 8 {
        return value.to_owned();
    }
    value
        .chars()
        .enumerate()
        .map(|(i, c)| if i < 4 || i >= n - 4 { c } else { '*' })
        .collect()
}

/// The form's row from `--set` arguments: each known field with the centre's current value as `old`; unknown
/// keys are passed through for the domain check to report with their own code.
fn build_row(current: &PersonDetails, sets: &[String]) -> Result<ContributorChangeRow> {
    let mut changes = Vec::with_capacity(sets.len());
    for s in sets {
        let (key, value) = s.split_once('=').ok_or_else(|| {
            anyhow!(
                "--set 的格式应为 字段=值（如 --set 手机号码=13807345678），当前为“{s}”。清空字段请写 字段="
            )
        })?;
        let new = Some(value.to_owned()).filter(|v| !v.trim().is_empty());
        changes.push(match PersonField::lookup(key) {
            Some(f) => current.change(f, new),
            None => FieldChange {
                field: key.to_owned(),
                old: None,
                new,
            },
        });
    }
    Ok(ContributorChangeRow {
        row: 1,
        account: current.account.clone(),
        name: current.name.clone(),
        id_number: current.id_number.clone(),
        changes,
        olds: true,
        note: None,
    })
}

/// `gjj submit contributor-change`.
pub async fn submit(settings: &config::Settings, args: SubmitArgs, json: bool) -> Result<ExitCode> {
    if let Some(file) = &args.file {
        return batch::submit(
            settings,
            gjj_domain::business::Business::ContributorChange.code(),
            file,
            json,
        )
        .await;
    }
    let Some(account) = args.account else {
        bail!("请指定清册文件（gjj submit contributor-change 清册.xlsx），或用 --account 个人账号 --set 字段=新值 变更一名职工");
    };
    let session = login::session(settings)?;
    let outbox = login::outbox(settings).await?;
    let (me, policy) = session.refresh_context(&outbox).await?;
    let current = session.employee(&account).await?;
    let row = build_row(&current, &args.set)?;
    let mut checker = Checker::new(&policy, &me.unit, me.today);
    let mut issues = Vec::new();
    let valid = checker.push(&row, Some(&current), &mut issues);
    checker.finish(&mut issues);
    let Some(valid) = valid.filter(|_| issues.is_empty()) else {
        return Ok(refuse(&issues, json));
    };
    // Send the normalised values (the derived 性别/出生年月 included): what is signed is what the centre stores.
    let row = ContributorChangeRow {
        changes: valid
            .iter()
            .map(|c| FieldChange {
                field: c.field.key().to_owned(),
                old: c.old.clone(),
                new: c.new.clone(),
            })
            .collect(),
        ..row
    };
    if !json {
        for c in &valid {
            let show = |v: &Option<String>| {
                v.as_deref()
                    .map_or_else(|| "（空）".to_owned(), |v| shown(c.field, v))
            };
            println!("{}：{} → {}", c.field.label(), show(&c.old), show(&c.new));
        }
    }
    if args.dry_run {
        if json {
            println!("{}", json!({ "ok": true, "checked": { "changes": row.changes } }));
        } else {
            println!("检查通过（--dry-run：未签名、未提交）。");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let payload = ContributorChange { rows: vec![row] };
    let Submitted::Accepted { receipt, replayed } =
        session.submit(&outbox, "contributor_change", &payload, 1).await?;
    if json {
        println!("{}", json!({ "receipt": receipt, "replayed": replayed }));
    } else {
        println!("提交成功，中心已受理。");
        println!("业务流水号：{}", receipt.serial);
        println!("单位：{}（{}）", receipt.unit_name, receipt.unit_account);
        println!("签名内容摘要（SHA-256）：{}", receipt.payload_sha256);
        println!("受理时间：{}", receipt.received_at);
    }
    Ok(ExitCode::SUCCESS)
}

/// The rules refused the form before anything was signed: the same shape as the centre's refusal, exit 1.
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
