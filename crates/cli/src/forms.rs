//! The form businesses on the command line — 单位信息变更 (`gjj submit unit-change --set 字段=值 …`), 缴存比例调整
//! (`gjj submit rate-adjustment --unit-rate 10 --person-rate 10 --effective 202611`), one contributor's
//! 缴存人信息变更 (`gjj submit contributor-change --account … --set …`, or a sheet), 缴存人登记 of one person
//! (`gjj register …`), 项目录入 (`gjj project draft|submit|show|list`) and 楼栋录入 (`gjj submit building …`) — and
//! the records they start from (`gjj unit show`, `gjj employee show ACCOUNT`).
//!
//! The client core builds each form from the arguments on top of the centre's current record, checks it with the
//! rules the centre runs, signs and sends it (`gjj_client::app::App`, as in the desktop app); this module only
//! turns arguments into the form and says the outcome. Exit codes as everywhere: 0 accepted, 1 the rules (here or
//! at the centre) refused the content, 2 anything else.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use gjj_client::app::{person_field_masked, unit_field_masked, App, Reach};
use gjj_domain::api::Receipt;
use gjj_domain::contributor_change::PersonField;
use gjj_domain::contributor_registration::{col, ContributorRegistration, ContributorRegistrationRow};
use gjj_domain::ids::mask_middle;
use gjj_domain::issue::{Code, Issue};
use gjj_domain::money::Fen;
use gjj_domain::month::Month;
use gjj_domain::project::{ProjectField, ProjectView};
use gjj_domain::rate::Rate;
use gjj_domain::rate_adjustment::RateAdjustment;
use gjj_domain::unit_change::UnitField;
use serde_json::{json, Value};

use crate::{batch, config, login, output};

/// `gjj unit …`.
#[derive(Subcommand)]
pub enum UnitCmd {
    /// The unit's record as the centre holds it: the values a 单位信息变更 starts from
    Show {
        #[arg(long)]
        json: bool,
    },
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

/// `gjj submit <form business> …`.
#[derive(Subcommand)]
pub enum SubmitForm {
    /// 单位信息变更: change fields of the unit's record (sent as a diff against the centre's current values)
    #[command(after_help = unit_change_help())]
    UnitChange {
        /// FIELD=VALUE, repeatable. FIELD is the snake_case key, the JGJ/T 320 pinyin id or the Chinese label (list
        /// below); an empty VALUE clears an optional field. The 统一社会信用代码 cannot be changed online.
        #[arg(long = "set", value_name = "FIELD=VALUE", required = true)]
        set: Vec<String>,
        /// Check with the centre's current record and show the diff; sign and send nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// 缴存人信息变更: a sheet (`FILE`) or one contributor's changed fields (`--account … --set FIELD=VALUE`)
    ContributorChange(ContributorChangeArgs),
    /// 楼栋录入 (developer): a building of an approved project with its 户清单 (`--file`, from
    /// `gjj template building-houses`)
    Building(BuildingArgs),
    /// 缴存比例调整: new unit and personal contribution rates (percent) from 生效年月
    RateAdjustment {
        /// 调整后单位缴存比例, in percent: 10, 10% or 10.5
        #[arg(long, value_name = "PERCENT")]
        unit_rate: String,
        /// 调整后个人缴存比例, in percent
        #[arg(long, value_name = "PERCENT")]
        person_rate: String,
        /// 生效年月 (YYYYMM): from the unit's 应汇缴年月 to the current month
        #[arg(long, value_name = "YYYYMM")]
        effective: String,
        /// Check with the centre's data (policy, every 正常 contributor's base); sign and send nothing
        #[arg(long)]
        dry_run: bool,
    },
}

fn unit_change_help() -> String {
    format!(
        "Fields (key / pinyin / label):\n{}\n\nExample:\n  gjj submit unit-change --set DWDZ=衡阳市雁峰区白沙洲工业园8号 --set agent_mobile=13807345678",
        gjj_domain::unit_change::field_help()
    )
}

/// `gjj submit contributor-change …`: a sheet (`FILE`) or the form (`--account … --set …`).
#[derive(Args)]
#[command(after_help = contributor_change_help())]
pub struct ContributorChangeArgs {
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

fn contributor_change_help() -> String {
    format!(
        "Fields (key / pinyin / label):\n{}\n\nExamples:\n  gjj submit contributor-change --account 9901000000001 --set 手机号码=13807345678\n  gjj submit contributor-change 变更清册.xlsx",
        gjj_domain::contributor_change::field_help()
    )
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

/// `gjj register …`: 缴存人登记 of one person.
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

/// `gjj project …` (developer).
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

/// How a form's outcome is said.
struct Say {
    json: bool,
    /// `--dry-run`: check only.
    dry_run: bool,
    /// What `--dry-run --json` shows of the checked payload.
    checked: fn(&Value) -> Value,
}

/// Checks the form (issues found while building it go with the rules' own), shows what it changes, then signs
/// and sends it unless `--dry-run`. The receipt with `detail` lines, or JSON with `extra` fields.
async fn check_and_send(
    app: &App,
    business: &str,
    data: Value,
    mut issues: Vec<Issue>,
    say: Say,
    detail: impl Fn(&Receipt, &Value) -> Vec<String>,
) -> Result<ExitCode> {
    let checked = match app.form_check(business, data.clone()).await? {
        Err(more) => {
            issues.extend(more);
            return Ok(refuse(&issues, say.json));
        }
        Ok(_) if !issues.is_empty() => return Ok(refuse(&issues, say.json)),
        Ok(checked) => checked,
    };
    if !say.json {
        for line in &checked.lines {
            println!("{line}");
        }
    }
    if say.dry_run {
        if say.json {
            println!(
                "{}",
                json!({ "ok": true, "checked": (say.checked)(&checked.payload) })
            );
        } else {
            println!("检查通过（--dry-run：未签名、未提交）。");
        }
        return Ok(ExitCode::SUCCESS);
    }
    batch::resend(app).await?;
    let (receipt, replayed) = app.form_send(business, data).await?;
    if say.json {
        let mut out = json!({ "receipt": receipt, "replayed": replayed });
        if business == "project" {
            out["project_id"] = json!(project_id(&receipt));
        }
        println!("{out}");
    } else {
        print!(
            "{}",
            gjj_client::receipt::accepted_text(&receipt, &detail(&receipt, &checked.payload))
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A submitted project's 项目编号 (the receipt's one assigned number).
fn project_id(receipt: &Receipt) -> String {
    receipt
        .accounts
        .first()
        .map(|a| a.account.clone())
        .unwrap_or_default()
}

fn no_detail(_: &Receipt, _: &Value) -> Vec<String> {
    Vec::new()
}

/// `gjj submit unit-change|rate-adjustment|contributor-change|building`.
pub async fn submit(settings: &config::Settings, form: SubmitForm, json: bool) -> Result<ExitCode> {
    let say = |dry_run, checked| Say {
        json,
        dry_run,
        checked,
    };
    match form {
        SubmitForm::ContributorChange(ContributorChangeArgs { file: Some(file), .. }) => {
            let code = gjj_domain::business::Business::ContributorChange.code();
            batch::submit(settings, code, &file, Default::default(), json).await
        }
        SubmitForm::ContributorChange(ContributorChangeArgs {
            account,
            set,
            dry_run,
            ..
        }) => {
            let Some(account) = account else {
                bail!("请指定清册文件（gjj submit contributor-change 清册.xlsx），或用 --account 个人账号 --set 字段=新值 变更一名职工");
            };
            let app = login::login(settings, Reach::Online).await?;
            let (data, issues) = app
                .form_from_sets("contributor_change", Some(&account), &set)
                .await?;
            let checked = |p: &Value| json!({ "changes": p["rows"][0]["changes"] });
            check_and_send(
                &app,
                "contributor_change",
                data,
                issues,
                say(dry_run, checked),
                no_detail,
            )
            .await
        }
        SubmitForm::UnitChange { set, dry_run } => {
            let app = login::login(settings, Reach::Online).await?;
            let (data, issues) = app.form_from_sets("unit_change", None, &set).await?;
            let checked = |p: &Value| json!({ "changes": p["changes"] });
            check_and_send(
                &app,
                "unit_change",
                data,
                issues,
                say(dry_run, checked),
                no_detail,
            )
            .await
        }
        SubmitForm::RateAdjustment {
            unit_rate,
            person_rate,
            effective,
            dry_run,
        } => {
            let app = login::login(settings, Reach::Online).await?;
            let payload = match RateAdjustment::parse(&unit_rate, &person_rate, &effective) {
                Ok(p) => p,
                Err(issues) => return Ok(refuse(&issues, json)),
            };
            let checked = |p: &Value| json!({ "rate_adjustment": p });
            let data = serde_json::to_value(payload)?;
            check_and_send(
                &app,
                "rate_adjustment",
                data,
                Vec::new(),
                say(dry_run, checked),
                no_detail,
            )
            .await
        }
        SubmitForm::Building(args) => {
            let mut issues = Vec::new();
            let loan_ratio = Rate::parse_percent(&args.loan_ratio).unwrap_or_else(|e| {
                let field = gjj_domain::building::field::LOAN_RATIO;
                issues.push(Issue::new(0, field, e.code(), format!("贷款比例：{e}")));
                Rate(0)
            });
            let data = json!({
                "project_id": args.project.trim().to_uppercase(),
                "building_no": args.building_no,
                "presale_permit": args.presale_permit,
                "unit_count": args.units,
                "floor_count": args.floors,
                "completion_date": args.completion,
                "loan_ratio": loan_ratio,
                "note": args.note,
                "houses_file": args.file,
            });
            let app = login::login(settings, Reach::Online).await?;
            let detail = |r: &Receipt, p: &Value| {
                vec![format!(
                    "项目 {} 楼栋 {}：{} 户（审核通过后生成楼栋编号，房屋为可售）",
                    p["project_id"].as_str().unwrap_or_default(),
                    p["building_no"].as_str().unwrap_or_default(),
                    r.accepted_rows
                )]
            };
            check_and_send(&app, "building", data, issues, say(false, |p| p.clone()), detail).await
        }
    }
}

/// `gjj project …`.
pub async fn project(settings: &config::Settings, cmd: ProjectCmd) -> Result<ExitCode> {
    let app = login::login(settings, Reach::Online).await?;
    match cmd {
        ProjectCmd::Draft { id, set, json } => {
            let (data, issues) = app.form_from_sets("project", id.as_deref(), &set).await?;
            if !issues.is_empty() {
                return Ok(refuse(&issues, json));
            }
            let view = match app.project_draft(data, None).await {
                Err(e) if e.code == "RULES_VIOLATED" => return Ok(refuse(&e.issues, json)),
                other => other?,
            };
            if json {
                println!("{}", serde_json::to_string(&view)?);
            } else {
                println!(
                    "草稿已保存（未签名、未提交审核）。提交：gjj project submit --id {}",
                    view.id
                );
                print_project(&view);
            }
            Ok(ExitCode::SUCCESS)
        }
        ProjectCmd::Submit { id, set, json } => {
            let (data, issues) = app.form_from_sets("project", id.as_deref(), &set).await?;
            let say = Say {
                json,
                dry_run: false,
                checked: |p| p.clone(),
            };
            let detail =
                |r: &Receipt, _: &Value| vec![format!("项目编号：{}（审核通过后可录入楼栋）", project_id(r))];
            check_and_send(&app, "project", data, issues, say, detail).await
        }
        ProjectCmd::Show { id, json } => {
            let view = app.project(&id).await?;
            if json {
                println!("{}", serde_json::to_string(&view)?);
            } else {
                print_project(&view);
            }
            Ok(ExitCode::SUCCESS)
        }
        ProjectCmd::List { json } => {
            let list = app.projects().await?;
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

fn print_project(v: &ProjectView) {
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

/// `gjj unit show`.
pub async fn unit(settings: &config::Settings, cmd: UnitCmd) -> Result<ExitCode> {
    let UnitCmd::Show { json } = cmd;
    let details = login::login(settings, Reach::Online).await?.unit().await?;
    if json {
        println!("{}", serde_json::to_string(&details)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "单位账号：{}  统一社会信用代码：{}（不可在网上变更）",
        details.account, details.uscc
    );
    for &f in UnitField::ALL {
        let value = details
            .get(f)
            .map_or_else(|| "（未登记）".to_owned(), |v| shown(unit_field_masked(f), v));
        println!("{}（{} / {}）：{value}", f.label(), f.key(), f.pinyin());
    }
    println!(
        "变更示例：gjj submit unit-change --set {}=新值",
        UnitField::Address.pinyin()
    );
    Ok(ExitCode::SUCCESS)
}

/// `gjj employee show ACCOUNT`.
pub async fn employee(settings: &config::Settings, cmd: EmployeeCmd) -> Result<ExitCode> {
    let EmployeeCmd::Show { account, json } = cmd;
    let p = login::login(settings, Reach::Online)
        .await?
        .employee(&account)
        .await?;
    if json {
        println!("{}", serde_json::to_string(&p)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("个人账号：{}  个人账户状态：{}", p.account, p.status);
    for f in PersonField::ALL {
        let value = p
            .get(f)
            .map_or_else(|| "（未登记）".to_owned(), |v| shown(person_field_masked(f), v));
        println!("{}（{} / {}）：{value}", f.label(), f.key(), f.pinyin());
    }
    Ok(ExitCode::SUCCESS)
}

/// A value for the screen: numbers partly masked (the full value is in `--json` for scripts).
fn shown(masked: bool, value: &str) -> String {
    if masked {
        mask_middle(value)
    } else {
        value.to_owned()
    }
}

/// `gjj register …`: the batch payload with one row, checked by the same rules; the receipt lists the new
/// 个人账号.
pub async fn register(settings: &config::Settings, args: RegisterArgs) -> Result<ExitCode> {
    let json = args.json;
    // Like a sheet: with the centre unreachable, checked with today's cached facts and queued.
    let app = login::login(settings, Reach::CachedWhenOffline).await?;
    let (row, mut issues) = row_from_args(args);
    if let Some(row) = row {
        let data = serde_json::to_value(ContributorRegistration { rows: vec![row] })?;
        match app.form_check("contributor_registration", data.clone()).await? {
            Err(more) => issues.extend(more),
            Ok(_) if issues.is_empty() => {
                batch::resend(&app).await?;
                let (receipt, replayed) = app.form_send("contributor_registration", data).await?;
                if json {
                    println!("{}", json!({ "receipt": receipt, "replayed": replayed }));
                } else {
                    print!("{}", gjj_client::receipt::accepted_text(&receipt, &[]));
                }
                return Ok(ExitCode::SUCCESS);
            }
            Ok(_) => {}
        }
    }
    if json {
        println!("{}", json!({ "rows": 1, "issues": issues }));
    } else {
        eprintln!("有问题，未提交任何内容：");
        output::print_issues(&issues);
        println!(
            "登记信息：共 1 行，发现 {} 处问题。请按上面的行号和列名修改后重新检查。",
            issues.len()
        );
    }
    Ok(ExitCode::from(1))
}

/// The row from the arguments; an unreadable month or amount is an issue naming its option.
fn row_from_args(a: RegisterArgs) -> (Option<ContributorRegistrationRow>, Vec<Issue>) {
    let mut issues = Vec::new();
    let mut month = |text: &str, column: &str, flag: &str| match Month::parse(text) {
        Ok(m) => Some(m),
        Err(e) => {
            issues.push(Issue::new(
                1,
                column,
                Code::MonthInvalid,
                format!("--{flag}：{e}"),
            ));
            None
        }
    };
    let first_month = month(&a.first_month, col::FIRST_MONTH, "first-month");
    let birth_month = match a.birth_month.as_deref() {
        Some(b) => month(b, col::BIRTH_MONTH, "birth-month").map(Some),
        None => Some(None),
    };
    let base = Fen::parse_yuan(&a.base)
        .map_err(|e| {
            issues.push(Issue::new(
                1,
                col::BASE,
                Code::MoneyInvalid,
                format!("--base：{e}"),
            ))
        })
        .ok();
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
