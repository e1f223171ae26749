//! `gjj template`, `gjj check` and `gjj submit` for every Excel batch business, by its code: import the sheet, run
//! the centre's rules on it (streaming), report every issue, or sign and send the rows. The business comes from
//! the client core's registry (`gjj_client::sheet::batch`), the same one the desktop app uses, so a new batch
//! business needs no code here.

use std::path::Path;
use std::process::ExitCode;

use anyhow::anyhow;
use anyhow::Result;
use gjj_client::sheet::{BatchSheet, CheckedSheet};
use gjj_client::Submitted;
use gjj_domain::api::Me;
use gjj_domain::month::Month;
use gjj_domain::policy::Policy;
use gjj_domain::unit::UnitFacts;
use serde_json::json;

use crate::{config, login, output};

/// The centre's facts for checking: the cached ones from today's login, else a fresh login.
pub async fn context(settings: &config::Settings) -> Result<(Me, Policy)> {
    let outbox = login::outbox(settings).await?;
    if let Some(identity) = login::identity_without_pin(settings)? {
        if let Some(uscc) = identity.uscc {
            if let Some(cached) = outbox.cached_context(&uscc).await? {
                let today = time::OffsetDateTime::now_utc().date().to_string();
                if cached.fetched_at.starts_with(&today) {
                    return Ok((cached.me, cached.policy));
                }
            }
        }
    }
    let session = login::session(settings)?;
    Ok(session.refresh_context(&outbox).await?)
}

/// The batch business with this code (a code the argument parser let through).
pub fn sheet(code: &str) -> Result<&'static dyn BatchSheet> {
    gjj_client::sheet::batch(code).ok_or_else(|| anyhow!("“{code}”不是可以用表格办理的业务"))
}

/// Import + the same domain rules the centre runs, streaming; builds the payload only when it will be sent.
fn check_sheet(
    sheet: &dyn BatchSheet,
    file: &Path,
    policy: &Policy,
    unit: &UnitFacts,
    today: Month,
    keep_rows: bool,
) -> Result<CheckedSheet> {
    Ok(sheet.check(file, policy, unit, today, keep_rows, &mut |_| {})?)
}

/// `gjj template BUSINESS -o FILE`: the blank template. Only 基数调整 and 启封 have a `--prefill` (main.rs):
/// every other sheet lists only the people or applicants the clerk acts on, which the centre cannot know.
pub fn template(code: &str, output: &Path, prefill: bool) -> Result<ExitCode> {
    let sheet = sheet(code)?;
    if prefill {
        let label = gjj_domain::business::Business::parse(code).map_or(code, |b| b.label());
        return Err(anyhow!(
            "{label}模板不提供 --prefill：请只填写要办理的职工或申请人（以免漏删的行被误办理）。请去掉 --prefill。"
        ));
    }
    sheet.write_template(output)?;
    println!("已生成模板：{}", output.display());
    Ok(ExitCode::SUCCESS)
}

fn report(file: &Path, checked: &CheckedSheet, json: bool) -> ExitCode {
    let clean = checked.issues.is_empty();
    if json {
        println!("{}", json!({ "rows": checked.rows, "issues": checked.issues }));
    } else {
        output::print_issues(&checked.issues);
        if clean {
            println!("{}：共 {} 行，检查通过。", file.display(), checked.rows);
        } else {
            println!(
                "{}：共 {} 行，发现 {} 处问题。请按上面的行号和列名在 Excel 中修改后重新检查。",
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

/// `gjj check BUSINESS FILE`: exit 0 clean, 1 issues.
pub async fn check(settings: &config::Settings, code: &str, file: &Path, json: bool) -> Result<ExitCode> {
    let sheet = sheet(code)?;
    let (me, policy) = context(settings).await?;
    let checked = check_sheet(sheet, file, &policy, &me.unit, me.today, false)?;
    Ok(report(file, &checked, json))
}

/// `gjj submit BUSINESS FILE`: check, sign with the key, send, print the receipt.
pub async fn submit(settings: &config::Settings, code: &str, file: &Path, json: bool) -> Result<ExitCode> {
    let sheet = sheet(code)?;
    let session = login::session(settings)?;
    let outbox = login::outbox(settings).await?;
    // With the centre unreachable, today's cached facts still allow checking and queueing: the submission
    // goes to the outbox and is sent when the network is back.
    let (me, policy) = match session.refresh_context(&outbox).await {
        Ok(context) => context,
        Err(e) if e.is_retryable() => {
            let uscc = session.credential().identity().uscc.clone().unwrap_or_default();
            let cached = outbox.cached_context(&uscc).await?.ok_or(e)?;
            (cached.me, cached.policy)
        }
        Err(e) => return Err(e.into()),
    };
    // Earlier submissions that never got an answer go first, under their original keys.
    for (entry, result) in session.resend_pending(&outbox).await? {
        match result {
            Ok(Submitted::Accepted { receipt, .. }) => {
                eprintln!(
                    "已重发上次未确认的提交 {}：业务流水号 {}",
                    entry.idempotency_key, receipt.serial
                )
            }
            Err(e) => eprintln!(
                "上次未确认的提交 {} 仍未送达 [{}] {e}",
                entry.idempotency_key,
                e.code()
            ),
        }
    }
    let checked = check_sheet(sheet, file, &policy, &me.unit, me.today, true)?;
    if !checked.issues.is_empty() {
        if !json {
            eprintln!("文件有问题，未提交任何内容：");
        }
        return Ok(report(file, &checked, json));
    }
    let payload = checked
        .payload
        .ok_or_else(|| anyhow!("表格检查没有生成提交内容"))?;
    let Submitted::Accepted { receipt, replayed } = session
        .submit(&outbox, sheet.code(), &payload, checked.valid_rows)
        .await?;
    if json {
        println!("{}", json!({ "receipt": receipt, "replayed": replayed }));
    } else {
        println!("提交成功，中心已受理。");
        println!("业务流水号：{}", receipt.serial);
        println!("单位：{}（{}）", receipt.unit_name, receipt.unit_account);
        println!("受理行数：{}", receipt.accepted_rows);
        println!("签名内容摘要（SHA-256）：{}", receipt.payload_sha256);
        println!(
            "签名算法：{}  证书序列号：{}",
            receipt.signature_alg, receipt.certificate_serial
        );
        println!("受理时间：{}", receipt.received_at);
        // 贷款申请: the centre judges each applicant on its own.
        if !receipt.applicants.is_empty() {
            crate::loan_application::print_outcomes(&receipt);
        }
    }
    Ok(ExitCode::SUCCESS)
}
