//! The receipt (回执) as plain text, for `gjj receipt` and for a file a Windows user opens in Notepad.

use std::path::Path;

use gjj_domain::api::{Receipt, SubmissionView};
use gjj_domain::business::Business;
use gjj_domain::money::Fen;

/// The receipt and the current status, one fact per line (`\n`; [`write_text_file`] turns it into CRLF on
/// Windows).
pub fn receipt_text(view: &SubmissionView) -> String {
    let r = &view.receipt;
    let business = Business::parse(&r.business).map_or(r.business.as_str(), |b| b.label());
    let mut lines = vec![
        "住房公积金网厅 业务回执".to_owned(),
        format!("业务流水号：{}", r.serial),
        format!("业务：{business}"),
        format!("单位：{}（单位账号 {}）", r.unit_name, r.unit_account),
        format!("受理行数：{}", r.accepted_rows),
        format!("受理时间：{}", r.received_at),
        format!("当前状态：{}（更新于 {}）", view.status_label, view.updated_at),
    ];
    if let Some(reason) = &view.return_reason {
        lines.push(format!("退回原因：{reason}"));
    }
    for a in &r.accounts {
        lines.push(format!("第 {} 行 个人账号：{}", a.row, a.account));
    }
    lines.extend([
        format!("所签内容 SHA-256：{}", r.payload_sha256),
        format!(
            "签名算法：{}  签名证书序列号：{}",
            r.signature_alg, r.certificate_serial
        ),
        format!("幂等键：{}", r.idempotency_key),
    ]);
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// Line endings for text files people open: CRLF on Windows (older Notepad shows LF files as one line), LF
/// elsewhere.
pub fn native_line_endings(text: &str) -> String {
    if cfg!(windows) {
        text.replace("\r\n", "\n").replace('\n', "\r\n")
    } else {
        text.to_owned()
    }
}

/// Writes a text file with the platform's line endings (UTF-8 with a BOM on Windows, so that Notepad and
/// Excel on a Chinese Windows do not read it as GBK). A file held open elsewhere gets the Excel advice.
pub fn write_text_file(path: &Path, text: &str) -> Result<(), gjj_sheets::SheetError> {
    let body = native_line_endings(text);
    let bytes = if cfg!(windows) {
        [&b"\xEF\xBB\xBF"[..], body.as_bytes()].concat()
    } else {
        body.into_bytes()
    };
    std::fs::write(path, bytes).map_err(|e| gjj_sheets::save_failed(path, &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_only_on_windows_and_never_doubled() {
        let out = native_line_endings("a\nb\r\nc\n");
        if cfg!(windows) {
            assert_eq!(out, "a\r\nb\r\nc\r\n");
        } else {
            assert_eq!(out, "a\nb\r\nc\n");
        }
    }
}

/// A receipt file whose centre seal holds: what it says and who sealed it.
#[derive(Clone, Debug)]
pub struct VerifiedReceipt {
    /// The receipt as sealed.
    pub receipt: gjj_domain::api::Receipt,
    /// Who sealed it, when, with what.
    pub seal: gjj_pki::receipt_seal::Seal,
    /// "pdf" or "json".
    pub kind: &'static str,
    /// The verification code printed on the PDF.
    pub verification_code: String,
}

/// Checks a saved receipt offline against the centre's CA bundle: a PDF receipt (its PDF signature, which must
/// cover the whole file, and the receipt.json inside it) or a receipt JSON with its `.p7s` beside it
/// (`X.json` + `X.json.p7s`, DER or PEM).
pub fn verify_file(path: &Path, trust: &gjj_pki::TrustBundle) -> Result<VerifiedReceipt, crate::ClientError> {
    let unreadable = |p: &Path, e: std::io::Error| {
        crate::ClientError::Pki(gjj_pki::PkiError::ReceiptSeal(format!(
            "无法读取 {}（{e}）",
            p.display()
        )))
    };
    let bytes = std::fs::read(path).map_err(|e| unreadable(path, e))?;
    let (content, seal, kind) = if bytes.starts_with(b"%PDF-") {
        let parts = gjj_receipt::signed_parts(&bytes)?;
        let seal = gjj_pki::receipt_seal::verify(&parts.signed_bytes, &parts.cms_der, trust)?;
        (parts.receipt_json, seal, "pdf")
    } else {
        let mut p7s = path.as_os_str().to_owned();
        p7s.push(".p7s");
        let p7s = std::path::PathBuf::from(p7s);
        let signature = std::fs::read(&p7s).map_err(|e| unreadable(&p7s, e))?;
        let der = match pem_body(&signature) {
            Some(der) => der,
            None => signature,
        };
        let seal = gjj_pki::receipt_seal::verify(&bytes, &der, trust)?;
        (bytes, seal, "json")
    };
    let receipt = serde_json::from_slice(&content).map_err(|e| {
        crate::ClientError::Pki(gjj_pki::PkiError::ReceiptSeal(format!("签章内容不是回执（{e}）")))
    })?;
    Ok(VerifiedReceipt {
        receipt,
        seal,
        kind,
        verification_code: gjj_pki::receipt_seal::verification_code(&content),
    })
}

/// The DER inside a PEM ("-----BEGIN CMS-----" / PKCS7), if the file is PEM.
fn pem_body(bytes: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine;
    let text = std::str::from_utf8(bytes).ok()?;
    let start = text.find("-----BEGIN")?;
    let body: String = text[start..]
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    base64::engine::general_purpose::STANDARD.decode(body.trim()).ok()
}

/// What a verified receipt proves, in words.
pub fn verified_text(v: &VerifiedReceipt) -> String {
    let r = &v.receipt;
    let business = Business::parse(&r.business).map_or(r.business.as_str(), |b| b.label());
    let when = v
        .seal
        .signing_time
        .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| "（未注明）".into());
    let lines = [
        format!(
            "回执签章有效（{}）：签章人“{}”，证书序列号 {}，签章时间 {when}。",
            if v.kind == "pdf" {
                "PDF 回执"
            } else {
                "JSON 回执 + .p7s"
            },
            v.seal.signer.name,
            v.seal.signer.serial
        ),
        format!("业务流水号：{}  验证码：{}", r.serial, v.verification_code),
        format!("业务：{business}"),
        format!("单位：{}（单位账号 {}）", r.unit_name, r.unit_account),
        format!("受理行数：{}  受理时间：{}", r.accepted_rows, r.received_at),
        format!("所签内容 SHA-256：{}", r.payload_sha256),
        "这证明：中心受理了上述业务并出具此回执，回执内容自签章后未被修改；提交内容可用上面的摘要核对。"
            .into(),
        "它不说明业务现在的办理状态（审核、办结或退回），请用 gjj status 或网厅“办理记录”查询。".into(),
    ];
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// What a front end says when the centre has accepted a submission: the receipt's facts, `detail` (what only
/// the caller knows, e.g. 汇缴年月 and 汇缴方式) after the 业务流水号, the new 个人账号 of a 缴存人登记 and each
/// applicant's outcome of a 贷款申请.
pub fn accepted_text(r: &Receipt, detail: &[String]) -> String {
    let mut lines = vec![
        "提交成功，中心已受理。".to_owned(),
        format!("业务流水号：{}", r.serial),
    ];
    lines.extend(detail.iter().cloned());
    let developer = matches!(r.business.as_str(), "project" | "building");
    let who = if developer { "开发商" } else { "单位" };
    lines.push(format!("{who}：{}（{}）", r.unit_name, r.unit_account));
    let counted = match r.business.as_str() {
        "contributor_registration" => Some("人数"),
        "unit_change" | "rate_adjustment" | "contributor_change" => Some("项数"),
        // Their detail line says what was accepted.
        "project" | "building" | "remittance" => None,
        _ => Some("行数"),
    };
    if let Some(noun) = counted {
        lines.push(format!("受理{noun}：{}", r.accepted_rows));
    }
    lines.push(format!("签名内容摘要（SHA-256）：{}", r.payload_sha256));
    lines.push(format!(
        "签名算法：{}  证书序列号：{}",
        r.signature_alg, r.certificate_serial
    ));
    lines.push(format!("受理时间：{}", r.received_at));
    if r.business == "contributor_registration" {
        lines.push("新开个人账号（中心审核通过后生效）：".to_owned());
        lines.extend(
            r.accounts
                .iter()
                .map(|a| format!("  第 {} 行 → {}", a.row, a.account)),
        );
    }
    if !r.applicants.is_empty() {
        lines.extend(applicant_lines(r));
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

fn yuan(f: Fen) -> String {
    format!("{}.{:02}", f.0 / 100, (f.0 % 100).abs())
}

/// 贷款申请: the centre judges each applicant on its own — accepted with the monthly payment, or refused with
/// the reasons (one indented line each).
fn applicant_lines(receipt: &Receipt) -> Vec<String> {
    let refused = receipt.applicants.iter().filter(|o| !o.accepted).count();
    let mut lines = vec![format!(
        "申请人：共 {} 人，受理 {} 人，退回 {} 人。",
        receipt.applicants.len(),
        receipt.applicants.len() - refused,
        refused
    )];
    for o in &receipt.applicants {
        match (&o.plan, o.accepted) {
            (Some(plan), true) => {
                let rate = f64::from(plan.annual_rate) / 1000.0;
                let repayment = if plan.repayment == "02" {
                    "等额本金"
                } else {
                    "等额本息"
                };
                let monthly = if plan.first_payment == plan.last_payment {
                    format!("月供 {} 元", yuan(plan.first_payment))
                } else {
                    format!(
                        "首月月供 {} 元，末月 {} 元",
                        yuan(plan.first_payment),
                        yuan(plan.last_payment)
                    )
                };
                lines.push(format!(
                    "  第 {} 行 {}：受理。贷款 {} 元，{} 期，{}，年利率 {rate:.3}%，{monthly}，利息合计 {} 元",
                    o.row,
                    o.name,
                    yuan(plan.amount),
                    plan.months,
                    repayment,
                    yuan(plan.total_interest)
                ));
            }
            _ => {
                lines.push(format!("  第 {} 行 {}：退回，原因如下：", o.row, o.name));
                lines.extend(o.issues.iter().map(issue_line));
            }
        }
    }
    lines
}

/// One issue as a line, as the user finds it in Excel: `  第 N 行 · 列 · CODE · message`; a form's field (no
/// row) or the whole file (no column) say so.
pub fn issue_line(i: &gjj_domain::issue::Issue) -> String {
    if i.row == 0 && i.column.is_empty() {
        format!("  整个文件 · {} · {}", i.code.as_str(), i.message)
    } else if i.row == 0 {
        format!("  {} · {} · {}", i.column, i.code.as_str(), i.message)
    } else {
        format!(
            "  第 {} 行 · {} · {} · {}",
            i.row,
            i.column,
            i.code.as_str(),
            i.message
        )
    }
}
