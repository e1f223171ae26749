//! 缴存人登记 from the command line: `gjj template|check|submit contributor-registration` for a batch sheet, and
//! `gjj register --name … --id-number … --mobile … --base … --first-month …` for one person (the same payload
//! with one row, checked by the same rules). The receipt lists the 个人账号 the centre assigned per row.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use gjj_client::Submitted;
use gjj_domain::api::{Me, Receipt};
use gjj_domain::contributor_registration::{
    col, Checker, ContributorRegistration, ContributorRegistrationRow,
};
use gjj_domain::issue::{Code, Issue};
use gjj_domain::money::Fen;
use gjj_domain::month::Month;
use gjj_domain::policy::Policy;
use gjj_sheets::contributor_registration as sheet;
use serde_json::json;

use crate::{config, login, output};

/// The route (business name) on the gateway.
pub const ROUTE: &str = "contributor_registration";

/// `gjj register`: one person, without a sheet.
#[derive(clap::Args, Debug)]
pub struct RegisterArgs {
    /// 姓名
    #[arg(long)]
    pub name: String,
    /// 证件类型: 01 身份证, 02 军官证, 03 护照, 04 外国人永久居留证, 99 其他 (code or name)
    #[arg(long, default_value = "01")]
    pub id_type: String,
    /// 证件号码
    #[arg(long)]
    pub id_number: String,
    /// 性别 (男/女); derived from a 身份证号码 when omitted
    #[arg(long)]
    pub sex: Option<String>,
    /// 出生年月 (YYYYMM); derived from a 身份证号码 when omitted
    #[arg(long)]
    pub birth_month: Option<String>,
    /// 手机号码
    #[arg(long)]
    pub mobile: String,
    /// 固定电话
    #[arg(long)]
    pub landline: Option<String>,
    /// 个人缴存基数 in yuan, e.g. 6000 or 6000.50
    #[arg(long)]
    pub base: String,
    /// 首次汇缴年月 (YYYYMM)
    #[arg(long)]
    pub first_month: String,
    /// 个人存款账户号码
    #[arg(long)]
    pub bank_account: Option<String>,
    /// 开户银行
    #[arg(long)]
    pub bank_name: Option<String>,
    /// 备注
    #[arg(long)]
    pub note: Option<String>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

/// `gjj template contributor-registration -o FILE`.
pub fn template(path: &Path) -> Result<ExitCode> {
    sheet::write_template(path, &sheet::TemplateOptions::default())?;
    println!("已生成模板：{}", path.display());
    Ok(ExitCode::SUCCESS)
}

struct Checked {
    rows: u32,
    issues: Vec<Issue>,
    valid: Vec<ContributorRegistrationRow>,
}

/// Import + the same rules the centre runs, streaming; keeps rows only when they will be sent.
fn check_sheet(file: &Path, policy: &Policy, me: &Me, keep_rows: bool) -> Result<Checked> {
    let mut checker = Checker::new(policy, &me.unit, me.today);
    let mut issues = Vec::new();
    let mut valid = Vec::new();
    let stats = sheet::import_with(
        file,
        |row, issues| {
            checker.push(&row, issues);
            if keep_rows {
                valid.push(row);
            }
        },
        &mut issues,
    )?;
    checker.finish(&mut issues);
    issues.sort_by_key(|i| i.row);
    Ok(Checked {
        rows: stats.data_rows,
        issues,
        valid,
    })
}

/// Prints a check result the way `gjj check base-adjustment` does (same JSON shape); exit 1 with issues.
fn report(what: &str, checked: &Checked, json: bool) -> ExitCode {
    let clean = checked.issues.is_empty();
    if json {
        println!("{}", json!({ "rows": checked.rows, "issues": checked.issues }));
    } else {
        output::print_issues(&checked.issues);
        if clean {
            println!("{what}：共 {} 行，检查通过。", checked.rows);
        } else {
            println!(
                "{what}：共 {} 行，发现 {} 处问题。请按上面的行号和列名修改后重新检查。",
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

/// `gjj check contributor-registration FILE [--json]`.
pub async fn check(settings: &config::Settings, file: &Path, json: bool) -> Result<ExitCode> {
    let (me, policy) = crate::context(settings).await?;
    let checked = check_sheet(file, &policy, &me, false)?;
    Ok(report(&file.display().to_string(), &checked, json))
}

/// `gjj submit contributor-registration FILE [--json]`.
pub async fn submit(settings: &config::Settings, file: &Path, json: bool) -> Result<ExitCode> {
    send(
        settings,
        json,
        |me, policy| check_sheet(file, policy, me, true),
        &file.display().to_string(),
    )
    .await
}

/// `gjj register …`: one person, checked and sent as a one-row 缴存人登记.
pub async fn register(settings: &config::Settings, args: RegisterArgs) -> Result<ExitCode> {
    let json = args.json;
    let (row, mut parse_issues) = row_from_args(args);
    send(
        settings,
        json,
        move |me, policy| {
            let mut issues = std::mem::take(&mut parse_issues);
            let mut valid = Vec::new();
            if let Some(row) = row {
                let mut checker = Checker::new(policy, &me.unit, me.today);
                checker.push(&row, &mut issues);
                checker.finish(&mut issues);
                valid.push(row);
            }
            Ok(Checked {
                rows: 1,
                issues,
                valid,
            })
        },
        "登记信息",
    )
    .await
}

/// The one row of `gjj register`, or the issues of the arguments that are not a month / an amount.
fn row_from_args(a: RegisterArgs) -> (Option<ContributorRegistrationRow>, Vec<Issue>) {
    let mut issues = Vec::new();
    let mut month = |text: &str, column: &str| match Month::parse(text) {
        Ok(m) => Some(m),
        Err(e) => {
            issues.push(Issue::new(
                1,
                column,
                Code::MonthInvalid,
                format!("--{}：{e}", flag(column)),
            ));
            None
        }
    };
    let first_month = month(&a.first_month, col::FIRST_MONTH);
    let birth_month = match a.birth_month.as_deref() {
        Some(b) => month(b, col::BIRTH_MONTH).map(Some),
        None => Some(None),
    };
    let base = match Fen::parse_yuan(&a.base) {
        Ok(f) => Some(f),
        Err(e) => {
            issues.push(Issue::new(
                1,
                col::BASE,
                Code::MoneyInvalid,
                format!("--base：{e}"),
            ));
            None
        }
    };
    let (Some(first_month), Some(birth_month), Some(base)) = (first_month, birth_month, base) else {
        return (None, issues);
    };
    let row = ContributorRegistrationRow {
        row: 1,
        name: a.name,
        id_type: a.id_type,
        id_number: a.id_number,
        sex: a.sex,
        birth_month,
        mobile: a.mobile,
        landline: a.landline,
        base,
        first_month,
        bank_account: a.bank_account,
        bank_name: a.bank_name,
        note: a.note,
    };
    (Some(row), issues)
}

fn flag(column: &str) -> &'static str {
    if column == col::BIRTH_MONTH {
        "birth-month"
    } else {
        "first-month"
    }
}

/// Logs in, checks with the centre's facts (today's cached ones when the centre is unreachable), resends what
/// never got an answer, then signs and sends; prints the receipt with the new 个人账号.
async fn send<F>(settings: &config::Settings, json: bool, check: F, what: &str) -> Result<ExitCode>
where
    F: FnOnce(&Me, &Policy) -> Result<Checked>,
{
    let session = login::session(settings)?;
    let outbox = login::outbox(settings).await?;
    let (me, policy) = match session.refresh_context(&outbox).await {
        Ok(context) => context,
        Err(e) if e.is_retryable() => {
            let uscc = session.credential().identity().uscc.clone().unwrap_or_default();
            let cached = outbox.cached_context(&uscc).await?.ok_or(e)?;
            (cached.me, cached.policy)
        }
        Err(e) => return Err(e.into()),
    };
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
    let checked = check(&me, &policy)?;
    if !checked.issues.is_empty() {
        if !json {
            eprintln!("有问题，未提交任何内容：");
        }
        return Ok(report(what, &checked, json));
    }
    let rows = u32::try_from(checked.valid.len())?;
    let payload = ContributorRegistration { rows: checked.valid };
    let Submitted::Accepted { receipt, replayed } = session.submit(&outbox, ROUTE, &payload, rows).await?;
    if json {
        println!("{}", json!({ "receipt": receipt, "replayed": replayed }));
    } else {
        print_receipt(&receipt);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_receipt(receipt: &Receipt) {
    println!("提交成功，中心已受理。");
    println!("业务流水号：{}", receipt.serial);
    println!("单位：{}（{}）", receipt.unit_name, receipt.unit_account);
    println!("受理人数：{}", receipt.accepted_rows);
    println!("签名内容摘要（SHA-256）：{}", receipt.payload_sha256);
    println!(
        "签名算法：{}  证书序列号：{}",
        receipt.signature_alg, receipt.certificate_serial
    );
    println!("受理时间：{}", receipt.received_at);
    println!("新开个人账号（中心审核通过后生效）：");
    for a in &receipt.accounts {
        println!("  第 {} 行 → {}", a.row, a.account);
    }
}
