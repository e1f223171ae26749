//! gjj: the headless client for IT and automation.
//!
//! The command names and their output are a contract scripts rely on: `gjj token list`, `gjj whoami`,
//! `gjj template base-adjustment -o FILE`, `gjj check base-adjustment FILE [--json]` (exit 0 clean, 1 issues),
//! `gjj submit base-adjustment FILE [--json]`, `gjj status SERIAL`, `gjj doctor [--json]` (exit 1 when a check
//! fails). Exit codes: 0 success, 1 the content has issues or the centre refused it, 2 any other error
//! (certificate, network, configuration).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, Result};
use base64::Engine;
use clap::{Parser, Subcommand};
use gjj_client::app::Reach;
use gjj_client::{OutboxState, ReviewAction, Submitted};
use gjj_domain::api::{Me, SubmissionView};
use gjj_domain::month::Month;
use gjj_domain::policy::Policy;
use serde_json::json;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use batch::HOUSES;

mod batch;
mod config;
mod doctor;
mod forms;
mod login;
mod material;
mod output;

#[derive(Parser)]
#[command(name = "gjj", version, about = "住房公积金网厅客户端（命令行）")]
struct Cli {
    #[command(flatten)]
    global: config::GlobalArgs,
    #[command(subcommand)]
    cmd: Cmd,
}

/// The businesses the sheet commands take, by their command-line name: every batch business of the client core
/// (`gjj_client::sheet::batch`) and 楼栋录入's 户清单 (`building-houses`; submitted with `gjj submit building`).
fn sheet_business() -> impl clap::builder::TypedValueParser<Value = String> {
    let mut values: Vec<clap::builder::PossibleValue> = gjj_domain::business::Business::ALL
        .into_iter()
        .filter(|b| gjj_client::sheet::batch(b.code()).is_some())
        .map(|b| clap::builder::PossibleValue::new(b.cli()).help(b.label()))
        .collect();
    values.push(
        clap::builder::PossibleValue::new(HOUSES)
            .help("楼栋录入的户清单（开发商；用 gjj submit building --file … 提交）"),
    );
    clap::builder::TypedValueParser::map(clap::builder::PossibleValuesParser::new(values), |name| {
        gjj_domain::business::Business::parse_cli(&name).map_or(name, |b| b.code().to_owned())
    })
}

#[derive(Subcommand)]
enum Cmd {
    /// USB keys and their certificates (no PIN needed)
    Token {
        #[command(subcommand)]
        cmd: TokenCmd,
    },
    /// Log in and show who the centre says the certificate is
    Whoami {
        #[arg(long)]
        json: bool,
    },
    /// Write the Excel template of a business
    Template {
        #[arg(value_parser = sheet_business())]
        business: String,
        /// Output file (.xlsx)
        #[arg(short, long)]
        output: PathBuf,
        /// Fill in the unit's contributors from the centre (logs in)
        #[arg(long)]
        prefill: bool,
    },
    /// Check a filled sheet: every bad cell with row, column and message (exit 1 when issues are found)
    Check {
        #[arg(value_parser = sheet_business())]
        business: String,
        file: PathBuf,
        #[arg(long)]
        json: bool,
        /// Check without the USB key and without the centre, on the facts cached at the last login on this PC
        /// (or the policy shipped with gjj); the result lists what is left for the centre. Without this flag an
        /// absent key or an unreachable centre falls back to it
        #[arg(long)]
        offline: bool,
        /// With --offline: the unit (统一社会信用代码) whose cached facts to use, when several logged in here
        #[arg(long, value_name = "USCC")]
        unit: Option<String>,
    },
    /// Check, sign and submit a sheet (`submit BUSINESS FILE`) or a form (`submit unit-change …`,
    /// `submit rate-adjustment …`); prints the receipt
    #[command(subcommand_negates_reqs = true)]
    Submit {
        // Options only so that a form subcommand can stand in for them; clap still requires both for a sheet.
        #[arg(required = true, value_parser = sheet_business())]
        business: Option<String>,
        #[arg(required = true)]
        file: Option<PathBuf>,
        #[arg(long, global = true)]
        json: bool,
        #[command(subcommand)]
        form: Option<forms::SubmitForm>,
        #[command(flatten)]
        remittance: batch::RemittanceArgs,
    },
    /// The unit's record as the centre holds it (单位信息)
    Unit {
        #[command(subcommand)]
        cmd: forms::UnitCmd,
    },
    /// One contributor's record as the centre holds it (`gjj employee show ACCOUNT`)
    Employee {
        #[command(subcommand)]
        cmd: forms::EmployeeCmd,
    },
    /// Register one new contributor (缴存人登记 without a sheet); prints the receipt with the new 个人账号
    Register(forms::RegisterArgs),
    /// 汇缴: download the centre's current 清册 (`gjj remittance list -o FILE`)
    Remittance {
        #[command(subcommand)]
        cmd: RemittanceCmd,
    },
    /// 项目录入 (developer): save a draft, submit, show or list projects
    Project {
        #[command(subcommand)]
        cmd: forms::ProjectCmd,
    },
    /// 补充项目材料 (developer): upload a file to a project, list a project's materials, download one
    Material {
        #[command(subcommand)]
        cmd: material::MaterialCmd,
    },
    /// Status of a submission by 业务流水号
    Status {
        serial: String,
        #[arg(long)]
        json: bool,
    },
    /// The receipt (回执) of a submission as the centre holds it now; `-o X.pdf` saves the PDF receipt the
    /// centre signed, `-o X.json` the sealed JSON with X.json.p7s, any other name a text file.
    /// `gjj receipt verify FILE` checks a saved PDF or JSON receipt offline against the centre's CA.
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Receipt {
        #[command(subcommand)]
        cmd: Option<ReceiptCmd>,
        #[arg(required = true)]
        serial: Option<String>,
        /// Save the receipt: .pdf (signed PDF), .json (+ .p7s seal), else a text file (CRLF on Windows)
        #[arg(short, long)]
        output: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// The local outbox: list entries, or resend the pending ones
    Outbox {
        #[command(subcommand)]
        cmd: OutboxCmd,
    },
    /// Take back a submission the centre has not started reviewing
    Withdraw {
        serial: String,
        #[arg(long)]
        json: bool,
    },
    /// Diagnostics for IT: drivers, keys, certificates, network, TLS handshake, clock (exit 1 when a check
    /// fails); logs in only with --pin-env
    Doctor {
        #[arg(long)]
        json: bool,
        /// Also save the report to this file (to send to IT; CRLF on Windows)
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Centre staff: review submissions (a staff certificate is required)
    Review {
        #[command(subcommand)]
        cmd: ReviewCmd,
    },
}

#[derive(Subcommand)]
enum ReviewCmd {
    /// Submissions waiting for the centre
    List {
        #[arg(long)]
        json: bool,
    },
    /// 已受理 → 审核中
    Start {
        serial: String,
        #[arg(long)]
        json: bool,
    },
    /// Approve: 已办结, the change is applied to the centre's data
    Approve {
        serial: String,
        #[arg(long)]
        json: bool,
    },
    /// Return to the unit with a reason: 已退回
    Return {
        serial: String,
        /// What the unit must correct
        #[arg(long)]
        reason: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum RemittanceCmd {
    /// Download the centre's 清册 (the unit's 正常 contributors with their 月缴存额) as Excel, to check and submit
    List {
        /// Output file (.xlsx)
        #[arg(short, long)]
        output: PathBuf,
        /// 清册年月 (YYYYMM); default: the unit's 应汇缴年月
        #[arg(long, value_parser = |s: &str| Month::parse(s).map_err(|e| e.to_string()))]
        month: Option<Month>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum TokenCmd {
    /// List inserted USB keys and their certificates
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ReceiptCmd {
    /// Check a saved receipt (X.pdf, or X.json with X.json.p7s) against the centre's CA, offline
    Verify {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum OutboxCmd {
    /// Entries of the configured unit
    List {
        #[arg(long)]
        json: bool,
    },
    /// Resend pending entries (same idempotency keys: never accepted twice)
    Send {
        #[arg(long)]
        json: bool,
    },
}

impl Cmd {
    fn json(&self) -> bool {
        match self {
            Cmd::Token {
                cmd: TokenCmd::List { json },
            }
            | Cmd::Whoami { json }
            | Cmd::Check { json, .. }
            | Cmd::Submit { json, .. }
            | Cmd::Status { json, .. }
            | Cmd::Receipt { json, cmd: None, .. }
            | Cmd::Receipt {
                cmd: Some(ReceiptCmd::Verify { json, .. }),
                ..
            }
            | Cmd::Outbox {
                cmd: OutboxCmd::List { json } | OutboxCmd::Send { json },
            }
            | Cmd::Withdraw { json, .. }
            | Cmd::Doctor { json, .. }
            | Cmd::Review {
                cmd:
                    ReviewCmd::List { json }
                    | ReviewCmd::Start { json, .. }
                    | ReviewCmd::Approve { json, .. }
                    | ReviewCmd::Return { json, .. },
            } => *json,
            Cmd::Register(args) => args.json,
            Cmd::Unit {
                cmd: forms::UnitCmd::Show { json },
            }
            | Cmd::Employee {
                cmd: forms::EmployeeCmd::Show { json, .. },
            }
            | Cmd::Remittance {
                cmd: RemittanceCmd::List { json, .. },
            } => *json,
            Cmd::Material { cmd } => cmd.json(),
            Cmd::Project { cmd } => cmd.json(),
            Cmd::Template { .. } => false,
        }
    }
}

fn main() -> ExitCode {
    // GJJ_LOG takes `target=level` directives (`filter::Targets`): EnvFilter's span and field filters are not
    // needed here and its regex engine would ship in gjj.exe.
    let targets = std::env::var("GJJ_LOG")
        .ok()
        .and_then(|s| s.parse::<Targets>().ok())
        .unwrap_or_else(|| {
            Targets::new()
                .with_default(LevelFilter::WARN)
                .with_target("cryptoki::mechanism", LevelFilter::OFF)
        });
    tracing_subscriber::fmt()
        // A full 身份证 number never reaches the terminal or a redirected log, whatever message carried it.
        .with_writer(gjj_client::logs::Masking::new(std::io::stderr()))
        .finish()
        .with(targets)
        .init();
    gjj_client::logs::mask_panics();
    let cli = Cli::parse();
    let json_mode = cli.cmd.json();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("错误 [RUNTIME] {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(err) => {
            output::error(&err, json_mode);
            ExitCode::from(output::exit_code(&err))
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let settings = cli.global.resolve()?;
    match cli.cmd {
        Cmd::Token {
            cmd: TokenCmd::List { json },
        } => token_list(&settings, json),
        Cmd::Whoami { json } => whoami(&settings, json).await,
        Cmd::Template {
            business,
            output,
            prefill,
        } => batch::template(&settings, &business, &output, prefill).await,
        Cmd::Check {
            business,
            file,
            json,
            offline,
            unit,
        } => batch::check(&settings, &business, &file, json, offline, unit.as_deref()).await,
        Cmd::Submit {
            form: Some(form),
            json,
            ..
        } => forms::submit(&settings, form, json).await,
        Cmd::Submit {
            business: Some(business),
            file: Some(file),
            json,
            remittance,
            ..
        } => batch::submit(&settings, &business, &file, remittance, json).await,
        Cmd::Submit { .. } => Err(anyhow!(
            "请指定业务和文件，如 gjj submit base-adjustment 清册.xlsx"
        )),
        Cmd::Employee { cmd } => forms::employee(&settings, cmd).await,
        Cmd::Register(args) => forms::register(&settings, args).await,
        Cmd::Remittance {
            cmd: RemittanceCmd::List { output, month, json },
        } => batch::remittance_list(&settings, &output, month, json).await,
        Cmd::Project { cmd } => forms::project(&settings, cmd).await,
        Cmd::Material { cmd } => material::run(&settings, cmd).await,
        Cmd::Unit { cmd } => forms::unit(&settings, cmd).await,
        Cmd::Status { serial, json } => status(&settings, &serial, json).await,
        Cmd::Receipt {
            cmd: Some(ReceiptCmd::Verify { file, json }),
            ..
        } => receipt_verify(&settings, &file, json),
        Cmd::Receipt {
            serial, output, json, ..
        } => {
            receipt(
                &settings,
                serial.as_deref().unwrap_or_default(),
                output.as_deref(),
                json,
            )
            .await
        }
        Cmd::Outbox {
            cmd: OutboxCmd::List { json },
        } => outbox_list(&settings, json).await,
        Cmd::Outbox {
            cmd: OutboxCmd::Send { json },
        } => outbox_send(&settings, json).await,
        Cmd::Withdraw { serial, json } => {
            let view = login::login(&settings, Reach::Online)
                .await?
                .withdraw(&serial)
                .await?;
            show_view(&view, json)
        }
        Cmd::Doctor { json, output } => doctor::run(&settings, json, output.as_deref()).await,
        Cmd::Review { cmd } => match cmd {
            ReviewCmd::List { json } => review_list(&settings, json).await,
            ReviewCmd::Start { serial, json } => review(&settings, &serial, ReviewAction::Start, json).await,
            ReviewCmd::Approve { serial, json } => {
                review(&settings, &serial, ReviewAction::Approve, json).await
            }
            ReviewCmd::Return { serial, reason, json } => {
                review(&settings, &serial, ReviewAction::Return(reason), json).await
            }
        },
    }
}

fn token_list(settings: &config::Settings, json: bool) -> Result<ExitCode> {
    // Certificates a CA's driver registered in the Windows certificate store (empty elsewhere).
    let store = gjj_pki::winstore::certificates().certificates;
    let module = match login::key_source(settings) {
        Ok(login::KeySource::Token(module)) => Some(module),
        Ok(login::KeySource::Skf(driver)) => return skf_list(&driver, json),
        Ok(login::KeySource::Pfx(_)) if store.is_empty() => {
            return Err(anyhow!("当前配置使用 .pfx 证书文件，没有 USB key 可列出。"));
        }
        Ok(_) => None,
        Err(_) if !store.is_empty() => None,
        Err(e) => return Err(e),
    };
    let store_json: Vec<_> = store
        .iter()
        .map(|c| {
            json!({
                "location": c.location.id(), "provider": c.provider, "cng": c.cng_provider,
                "thumbprint": c.thumbprint(), "fingerprint": c.identity.fingerprint, "name": c.identity.name,
                "uscc": c.identity.uscc, "issuer": c.identity.issuer, "not_after": output::date(c.identity.not_after),
            })
        })
        .collect();
    let Some(module) = module else {
        if json {
            println!("{}", json!({ "windows_store": store_json }));
        } else {
            print_store(&store);
        }
        return Ok(ExitCode::SUCCESS);
    };
    let tokens = module.tokens()?;
    if json {
        println!(
            "{}",
            json!({ "module": module.info()?, "tokens": tokens, "windows_store": store_json })
        );
        return Ok(ExitCode::SUCCESS);
    }
    let info = module.info()?;
    println!(
        "驱动：{}（{} {}，版本 {}）",
        info.path.display(),
        info.manufacturer,
        info.description,
        info.version
    );
    if tokens.is_empty() {
        println!("未检测到 USB key。请插入单位的 USB key。");
    }
    for t in &tokens {
        let warn = if t.pin.locked {
            "（PIN 已锁定）"
        } else if t.pin.final_try {
            "（PIN 仅剩最后一次机会）"
        } else if t.pin.count_low {
            "（PIN 曾输错）"
        } else {
            ""
        };
        println!("USB key “{}” 序列号 {} {}{warn}", t.label, t.serial, t.model);
        for c in &t.certificates {
            println!("{}", cert_line("证书", &c.identity));
        }
    }
    print_store(&store);
    Ok(ExitCode::SUCCESS)
}

/// `gjj token list` for an SM2 key's SKF driver: the keys, their signing certificates and PIN counters.
fn skf_list(driver: &gjj_pki::skf::SkfDriver, json: bool) -> Result<ExitCode> {
    let keys = driver.keys()?;
    if json {
        let list: Vec<_> = keys
            .iter()
            .map(|k| {
                json!({
                    "device": k.device, "application": k.application, "container": k.container,
                    "name": k.identity.name, "uscc": k.identity.uscc, "issuer": k.identity.issuer,
                    "fingerprint": k.identity.fingerprint, "not_after": output::date(k.identity.not_after),
                    "encryption_certificate": k.encryption.as_ref().map(|e| e.serial.clone()),
                    "pin": { "remaining": k.pin.remaining, "max": k.pin.max, "locked": k.pin.locked },
                })
            })
            .collect();
        println!("{}", json!({ "skf_driver": driver.path(), "keys": list }));
        return Ok(ExitCode::SUCCESS);
    }
    println!("SKF 驱动（国密）：{}", driver.path().display());
    if keys.is_empty() {
        println!("未检测到国密 USB key。请插入单位的 USB key。");
    }
    for k in &keys {
        let pin = if k.pin.locked {
            "（PIN 已锁定）".to_owned()
        } else {
            format!("（PIN 剩余 {}/{} 次）", k.pin.remaining, k.pin.max)
        };
        println!("国密 USB key “{}” 容器 {}{pin}", k.device, k.container);
        println!(
            "{}{}",
            cert_line("签名证书", &k.identity),
            if k.encryption.is_some() {
                "  （另有加密证书，不用于登录）"
            } else {
                ""
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn print_store(store: &[gjj_pki::winstore::StoreCertificate]) {
    for c in store {
        let interface = if c.cng_provider { "CNG" } else { "CSP" };
        println!(
            "{}（{}，{interface}）指纹 {}",
            c.location.label(),
            c.provider,
            c.thumbprint()
        );
        println!("{}", cert_line("证书", &c.identity));
    }
}

/// One certificate under its key in `gjj token list`.
fn cert_line(label: &str, id: &gjj_pki::CertIdentity) -> String {
    format!(
        "  {label}：{}  统一社会信用代码 {}  签发者 {}  有效期至 {}  序列号 {}",
        id.name,
        id.uscc.as_deref().unwrap_or("（无）"),
        id.issuer,
        output::date(id.not_after),
        id.serial
    )
}

async fn whoami(settings: &config::Settings, json: bool) -> Result<ExitCode> {
    let app = login::login(settings, Reach::Online).await?;
    let (me, policy) = app.context().await?;
    let key = app.key_description().await?;
    if json {
        println!("{}", json!({ "me": me, "policy": policy, "key": key }));
    } else {
        print_me(&me, &policy);
        println!("密钥：{key}");
    }
    Ok(ExitCode::SUCCESS)
}

fn print_me(me: &Me, policy: &Policy) {
    let u = &me.unit;
    println!("单位：{}（{}网厅）", u.name, me.role.label());
    println!(
        "统一社会信用代码：{}  单位账号：{}  状态：{}",
        u.uscc,
        u.account,
        u.status.label()
    );
    println!(
        "缴存比例：单位 {} / 个人 {}  缴至年月：{}  应汇缴年月：{}",
        u.unit_rate,
        u.person_rate,
        u.paid_through
            .map(|m| m.to_string())
            .unwrap_or_else(|| "（未缴）".into()),
        u.due_month()
    );
    println!(
        "{} 年度政策：缴存基数 {} – {} 元，月缴存额 {} – {} 元",
        policy.year, policy.base_min, policy.base_max, policy.monthly_min, policy.monthly_max
    );
    println!(
        "证书序列号：{}  有效期至 {}",
        me.certificate_serial,
        output::date(me.certificate_not_after)
    );
}

fn print_view(v: &SubmissionView) {
    println!(
        "业务流水号：{}  业务：{}  状态：{}",
        v.receipt.serial, v.receipt.business, v.status_label
    );
    if let Some(reason) = &v.return_reason {
        println!("退回原因：{reason}");
    }
    println!(
        "受理行数：{}  受理时间：{}  最近更新：{}",
        v.receipt.accepted_rows, v.receipt.received_at, v.updated_at
    );
}

async fn status(settings: &config::Settings, serial: &str, json: bool) -> Result<ExitCode> {
    let view = login::login(settings, Reach::Online)
        .await?
        .receipt(serial)
        .await?;
    show_view(&view, json)
}

async fn receipt(
    settings: &config::Settings,
    serial: &str,
    output: Option<&Path>,
    json: bool,
) -> Result<ExitCode> {
    let app = login::login(settings, Reach::Online).await?;
    let view = app.receipt(serial).await?;
    let text = gjj_client::receipt::receipt_text(&view);
    let extension = output
        .and_then(Path::extension)
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match (output, extension.as_deref()) {
        (Some(path), Some("pdf")) => app.save_receipt_pdf(serial, path).await?,
        (Some(path), Some("json")) => {
            let sealed = app.sealed_receipt(serial).await?;
            let signature = base64::engine::general_purpose::STANDARD
                .decode(&sealed.signature)
                .map_err(|e| anyhow!("中心返回的签章不是 base64（{e}）"))?;
            std::fs::write(path, sealed.receipt_json.as_bytes())
                .map_err(|e| gjj_sheets::save_failed(path, &e))?;
            let mut p7s = path.as_os_str().to_owned();
            p7s.push(".p7s");
            let p7s = PathBuf::from(p7s);
            std::fs::write(&p7s, signature).map_err(|e| gjj_sheets::save_failed(&p7s, &e))?;
        }
        (Some(path), _) => gjj_client::receipt::write_text_file(path, &text)?,
        (None, _) => {}
    }
    if json {
        println!("{}", serde_json::to_string(&view)?);
    } else {
        print!("{text}");
        if let Some(path) = output {
            println!("回执已保存：{}", path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `gjj receipt verify FILE`: the seal checked offline against the configured CA bundle.
fn receipt_verify(settings: &config::Settings, file: &Path, json: bool) -> Result<ExitCode> {
    let verified = gjj_client::receipt::verify_file(file, &login::trust(settings)?)?;
    if json {
        println!(
            "{}",
            json!({
                "valid": true,
                "kind": verified.kind,
                "signer": verified.seal.signer.name,
                "signer_serial": verified.seal.signer.serial,
                "signing_time": verified.seal.signing_time,
                "signature_alg": verified.seal.alg.as_str(),
                "verification_code": verified.verification_code,
                "receipt": verified.receipt,
            })
        );
    } else {
        print!("{}", gjj_client::receipt::verified_text(&verified));
    }
    Ok(ExitCode::SUCCESS)
}

fn show_view(view: &SubmissionView, json: bool) -> Result<ExitCode> {
    if json {
        println!("{}", serde_json::to_string(view)?);
    } else {
        print_view(view);
    }
    Ok(ExitCode::SUCCESS)
}

async fn review_list(settings: &config::Settings, json: bool) -> Result<ExitCode> {
    let items = login::login(settings, Reach::Online)
        .await?
        .review_pending()
        .await?;
    if json {
        println!("{}", json!({ "pending": items }));
    } else if items.is_empty() {
        println!("没有待审核的业务。");
    } else {
        for item in &items {
            let r = &item.submission.receipt;
            println!(
                "{}  {}  {}（{}）  {} 行  {}  受理于 {}",
                r.serial,
                item.business_label,
                r.unit_name,
                r.unit_account,
                r.accepted_rows,
                item.submission.status_label,
                r.received_at
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn review(
    settings: &config::Settings,
    serial: &str,
    action: ReviewAction,
    json: bool,
) -> Result<ExitCode> {
    let view = login::login(settings, Reach::Online)
        .await?
        .review(serial, action)
        .await?;
    show_view(&view, json)
}

async fn outbox_list(settings: &config::Settings, json: bool) -> Result<ExitCode> {
    let app = login::app(settings);
    let identity = login::identity_without_pin(settings)?;
    let uscc = match identity.and_then(|i| i.uscc) {
        Some(u) => u,
        None => login::credential(settings)?
            .identity()
            .uscc
            .clone()
            .unwrap_or_default(),
    };
    let entries = app.outbox_entries(&uscc).await?;
    if json {
        let list: Vec<_> = entries
            .iter()
            .map(|e| json!({
                "idempotency_key": e.idempotency_key, "business": e.business, "rows": e.row_count,
                "state": format!("{:?}", e.state).to_lowercase(), "attempts": e.attempts,
                "serial": e.receipt.as_ref().map(|r| r.serial.clone()), "last_error": e.last_error, "created_at": e.created_at,
                "purged_at": e.purged_at,
            }))
            .collect();
        println!("{}", json!({ "entries": list }));
    } else {
        for e in &entries {
            let state = match e.state {
                OutboxState::Pending => "待发送",
                OutboxState::Sent => "已受理",
                OutboxState::Rejected => "被退回",
            };
            let serial = e.receipt.as_ref().map(|r| r.serial.as_str()).unwrap_or("-");
            println!(
                "{}  {}  {} 行  {state}  流水号 {serial}  尝试 {} 次",
                e.created_at, e.business, e.row_count, e.attempts
            );
        }
        if entries.is_empty() {
            println!("本地没有提交记录。");
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn outbox_send(settings: &config::Settings, json: bool) -> Result<ExitCode> {
    let results = login::login(settings, Reach::CachedWhenOffline)
        .await?
        .resend()
        .await?;
    let mut failed = false;
    let mut out = Vec::new();
    for (entry, result) in results {
        match result {
            Ok(Submitted::Accepted { receipt, replayed }) => {
                if !json {
                    println!(
                        "{} → 业务流水号 {}{}",
                        entry.idempotency_key,
                        receipt.serial,
                        if replayed {
                            "（中心此前已受理）"
                        } else {
                            ""
                        }
                    );
                }
                out.push(json!({ "idempotency_key": entry.idempotency_key, "receipt": receipt, "replayed": replayed }));
            }
            Err(e) => {
                failed = true;
                if !json {
                    eprintln!("{} 未送达 [{}] {e}", entry.idempotency_key, e.code());
                }
                out.push(json!({ "idempotency_key": entry.idempotency_key, "error": { "code": e.code(), "message": e.to_string() } }));
            }
        }
    }
    if json {
        println!("{}", json!({ "sent": out }));
    } else if out.is_empty() {
        println!("没有待发送的提交。");
    }
    Ok(if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
