//! The form businesses of the 单位网厅: 单位信息变更 (`gjj unit show`, `gjj submit unit-change --set 字段=值 …`) and
//! 缴存比例调整 (`gjj submit rate-adjustment --unit-rate 10 --person-rate 10 --effective 202611`).
//!
//! A form is checked here with the same gjj-domain rules the centre runs — against the centre's data fetched in the
//! same login (the unit record, the contributors' bases, the policy year) — then signed and sent. Exit codes as
//! everywhere: 0 accepted, 1 the rules (here or at the centre) refused the content, 2 anything else.

use std::process::ExitCode;

use anyhow::{anyhow, Result};
use clap::Subcommand;
use gjj_client::{Outbox, Session, Submitted};
use gjj_domain::api::Receipt;
use gjj_domain::issue::Issue;
use gjj_domain::month::Month;
use gjj_domain::rate::Rate;
use gjj_domain::rate_adjustment::{self, field, RateAdjustment};
use gjj_domain::unit_change::{self, FieldChange, FieldKey, UnitChange, UnitDetails, UnitField};
use serde::Serialize;
use serde_json::json;

use crate::{config, login};

/// `gjj unit …`.
#[derive(Subcommand)]
pub enum UnitCmd {
    /// The unit's record as the centre holds it: the values a 单位信息变更 starts from
    Show {
        #[arg(long)]
        json: bool,
    },
}

impl UnitCmd {
    /// Whether the output is JSON.
    pub fn json(&self) -> bool {
        match self {
            UnitCmd::Show { json } => *json,
        }
    }
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
    ContributorChange(crate::contributor_change::SubmitArgs),
    /// 楼栋录入 (developer): a building of an approved project with its 户清单 (`--file`, from
    /// `gjj template building-houses`)
    Building(crate::project::BuildingArgs),
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
        unit_change::field_help()
    )
}

/// `gjj unit show`.
pub async fn unit(settings: &config::Settings, cmd: UnitCmd) -> Result<ExitCode> {
    let UnitCmd::Show { json } = cmd;
    let details = login::session(settings)?.unit().await?;
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
            .map_or_else(|| "（未登记）".to_owned(), |v| shown(f, v));
        println!("{}（{} / {}）：{value}", f.label(), f.key(), f.pinyin());
    }
    println!(
        "变更示例：gjj submit unit-change --set {}=新值",
        UnitField::Address.pinyin()
    );
    Ok(ExitCode::SUCCESS)
}

/// A value for the screen: 证件号码 partly masked (the full number is in `--json` for scripts).
fn shown(field: UnitField, value: &str) -> String {
    let is_number = matches!(field, UnitField::LegalRepIdNumber | UnitField::AgentIdNumber);
    let n = value.chars().count();
    if !is_number || n < 8 {
        return value.to_owned();
    }
    value
        .chars()
        .enumerate()
        .map(|(i, c)| if i < 4 || i >= n - 4 { c } else { '*' })
        .collect()
}

/// `gjj submit unit-change|rate-adjustment`.
pub async fn submit(settings: &config::Settings, form: SubmitForm, json: bool) -> Result<ExitCode> {
    let session = login::session(settings)?;
    let outbox = login::outbox(settings).await?;
    // Forms are checked against the centre's live data (the record, the bases): no offline queueing before the
    // check. A send that fails on the network stays in the outbox (`gjj outbox send`).
    match form {
        // main.rs dispatches it before a session is opened here; kept for a complete match.
        SubmitForm::ContributorChange(args) => crate::contributor_change::submit(settings, args, json).await,
        SubmitForm::Building(args) => crate::project::submit_building(settings, args, json).await,
        SubmitForm::UnitChange { set, dry_run } => {
            // "Today" (for 身份证 birth dates) is the centre's month; no policy year is involved.
            let me = session.me().await?;
            let current = session.unit().await?;
            let payload = build_diff(&current, &set)?;
            let valid = match unit_change::check(&payload, &current, me.today) {
                Ok(valid) => valid,
                Err(issues) => return Ok(refuse(&issues, json)),
            };
            let normalised = UnitChange::normalised(&valid);
            if !json {
                for c in &valid {
                    let show = |v: &Option<String>| {
                        v.as_deref()
                            .map_or_else(|| "（空）".to_owned(), |v| shown(c.field, v))
                    };
                    println!("{}：{} → {}", c.field.label(), show(&c.old), show(&c.new));
                }
            }
            if dry_run {
                return Ok(checked(json, json!({ "changes": normalised.changes })));
            }
            let rows = u32::try_from(valid.len())?;
            send(&session, &outbox, "unit_change", &normalised, rows, json).await
        }
        SubmitForm::RateAdjustment {
            unit_rate,
            person_rate,
            effective,
            dry_run,
        } => {
            let (me, policy) = session.refresh_context(&outbox).await?;
            let mut issues = Vec::new();
            let mut rate = |text: &str, column: &str| {
                Rate::parse_percent(text)
                    .map_err(|e| issues.push(Issue::new(0, column, e.code(), e.to_string())))
                    .ok()
            };
            let unit_rate = rate(&unit_rate, field::UNIT_RATE);
            let person_rate = rate(&person_rate, field::PERSON_RATE);
            let month = Month::parse(&effective)
                .map_err(|e| issues.push(Issue::new(0, field::EFFECTIVE_MONTH, e.code(), e.to_string())))
                .ok();
            let (Some(unit_rate), Some(person_rate), Some(effective_month)) = (unit_rate, person_rate, month)
            else {
                return Ok(refuse(&issues, json));
            };
            let payload = RateAdjustment {
                unit_rate,
                person_rate,
                effective_month,
            };
            let bases: Vec<_> = session
                .employees()
                .await?
                .into_iter()
                .filter(|e| e.status == "01")
                .map(|e| e.base)
                .collect();
            let issues = rate_adjustment::check(&payload, &policy, &me.unit, me.today, &bases);
            if !issues.is_empty() {
                return Ok(refuse(&issues, json));
            }
            if !json {
                println!(
                    "单位缴存比例 {} → {}，个人缴存比例 {} → {}，生效年月 {}；{} 名正常缴存职工的月缴存额均在限额内。",
                    me.unit.unit_rate,
                    payload.unit_rate,
                    me.unit.person_rate,
                    payload.person_rate,
                    payload.effective_month,
                    bases.len()
                );
            }
            if dry_run {
                return Ok(checked(json, json!({ "rate_adjustment": payload })));
            }
            send(&session, &outbox, "rate_adjustment", &payload, 1, json).await
        }
    }
}

/// The diff from `--set FIELD=VALUE` arguments: each known field with the centre's current value as `old`.
/// Unknown and identity keys are passed through so the domain check reports them with their own codes.
fn build_diff(current: &UnitDetails, sets: &[String]) -> Result<UnitChange> {
    let mut changes = Vec::with_capacity(sets.len());
    for s in sets {
        let (key, value) = s.split_once('=').ok_or_else(|| {
            anyhow!("--set 的格式应为 字段=值（如 --set DWDZ=衡阳市雁峰区先锋路18号），当前为“{s}”。清空字段请写 字段=")
        })?;
        let new = Some(value.to_owned()).filter(|v| !v.trim().is_empty());
        changes.push(match UnitField::lookup(key) {
            FieldKey::Field(f) => FieldChange::of(current, f, new),
            FieldKey::Identity => FieldChange {
                field: key.to_owned(),
                old: Some(current.uscc.clone()),
                new,
            },
            FieldKey::Unknown => FieldChange {
                field: key.to_owned(),
                old: None,
                new,
            },
        });
    }
    Ok(UnitChange { changes })
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
        crate::output::print_issues(issues);
    }
    ExitCode::from(1)
}

fn checked(json: bool, value: serde_json::Value) -> ExitCode {
    if json {
        println!("{}", json!({ "ok": true, "checked": value }));
    } else {
        println!("检查通过（--dry-run：未签名、未提交）。");
    }
    ExitCode::SUCCESS
}

/// Resends what never got an answer, then signs and sends this form; prints the receipt.
async fn send<T: Serialize>(
    session: &Session,
    outbox: &Outbox,
    business: &str,
    payload: &T,
    rows: u32,
    json: bool,
) -> Result<ExitCode> {
    for (entry, result) in session.resend_pending(outbox).await? {
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
    let Submitted::Accepted { receipt, replayed } = session.submit(outbox, business, payload, rows).await?;
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
    println!("受理项数：{}", receipt.accepted_rows);
    println!("签名内容摘要（SHA-256）：{}", receipt.payload_sha256);
    println!(
        "签名算法：{}  证书序列号：{}",
        receipt.signature_alg, receipt.certificate_serial
    );
    println!("受理时间：{}", receipt.received_at);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_from_set_arguments() {
        let current = UnitDetails {
            account: "1".into(),
            uscc: "91430405MA4PYC0138".into(),
            address: Some("旧地址".into()),
            ..UnitDetails::default()
        };
        let sets = vec![
            "DWDZ=新地址 1 号".to_owned(),
            "fax=".to_owned(),
            "uscc=91430405MA4PYC0146".to_owned(),
            "a=b=c".to_owned(),
        ];
        let diff = build_diff(&current, &sets).unwrap();
        assert_eq!(diff.changes[0].field, "address");
        assert_eq!(diff.changes[0].old.as_deref(), Some("旧地址"));
        assert_eq!(diff.changes[0].new.as_deref(), Some("新地址 1 号"));
        assert_eq!(
            (diff.changes[1].field.as_str(), diff.changes[1].new.as_deref()),
            ("fax", None)
        );
        assert_eq!(diff.changes[2].old.as_deref(), Some("91430405MA4PYC0138"));
        assert_eq!(diff.changes[3].new.as_deref(), Some("b=c"));
        assert!(build_diff(&current, &["DWDZ".to_owned()]).is_err());
    }

    #[test]
    fn id_numbers_are_masked_on_screen() {
        assert_eq!(
            shown(UnitField::AgentIdNumber, "430406198805060024"),
            "4304**********0024"
        );
        assert_eq!(
            shown(UnitField::Address, "430406198805060024"),
            "430406198805060024"
        );
    }
}
