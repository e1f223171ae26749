//! The receipt (回执) as plain text, for `gjj receipt` and for a file a Windows user opens in Notepad.

use std::path::Path;

use gjj_domain::api::SubmissionView;
use gjj_domain::business::Business;

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
