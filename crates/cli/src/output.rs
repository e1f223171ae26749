//! Printing: human text in Chinese, or JSON for scripts (`--json`).

use std::io::Write;

use gjj_client::app::AppError;
use gjj_client::ClientError;
use gjj_domain::issue::Issue;
use gjj_pki::PkiError;
use gjj_sheets::SheetError;
use serde_json::json;

/// The stable code of an error, wherever in the chain it came from.
pub fn code_of(err: &anyhow::Error) -> String {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<AppError>() {
            return e.code.clone();
        }
        if let Some(e) = cause.downcast_ref::<ClientError>() {
            return e.code().to_owned();
        }
        if let Some(e) = cause.downcast_ref::<PkiError>() {
            return e.code().to_owned();
        }
        if let Some(e) = cause.downcast_ref::<SheetError>() {
            return e.code().to_owned();
        }
    }
    "ERROR".to_owned()
}

/// The row issues an error carries (the centre's rule check), if any.
pub fn issues_of(err: &anyhow::Error) -> Vec<Issue> {
    if let Some(e) = err.chain().find_map(|c| c.downcast_ref::<AppError>()) {
        return e.issues.clone();
    }
    err.chain()
        .find_map(|c| c.downcast_ref::<ClientError>())
        .and_then(|e| match e {
            ClientError::Api { body, .. } => Some(body.issues.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

/// 1 when the centre refused the content (rules, conflicts, size), 2 for everything else.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    let refused = err.chain().any(|c| {
        c.downcast_ref::<AppError>().is_some_and(|e| e.refused)
            || c.downcast_ref::<ClientError>().is_some_and(
                |e| matches!(e, ClientError::Api { status, .. } if matches!(status, 400 | 409 | 413 | 422)),
            )
    });
    if refused {
        1
    } else {
        2
    }
}

/// Prints an error: `错误 [CODE] message` on stderr, or `{"error":{…}}` on stdout with `--json`.
pub fn error(err: &anyhow::Error, json_mode: bool) {
    let code = code_of(err);
    // The client core's error carries its code apart from its message.
    let message = match err.downcast_ref::<AppError>() {
        Some(e) => e.message.clone(),
        None => err.chain().map(ToString::to_string).next().unwrap_or_default(),
    };
    let issues = issues_of(err);
    if json_mode {
        println!(
            "{}",
            json!({ "error": { "code": code, "message": message, "issues": issues } })
        );
    } else {
        eprintln!("错误 [{code}] {message}");
        print_issues(&issues);
    }
}

/// One line per issue, as the user finds it in Excel (stderr).
pub fn print_issues<I: std::borrow::Borrow<Issue>>(issues: impl IntoIterator<Item = I>) {
    // Buffered: stderr writes each piece of a line at once otherwise (100,000 issues took 0.17 s in write calls).
    let mut stderr = std::io::BufWriter::new(std::io::stderr().lock());
    for i in issues {
        let _ = writeln!(stderr, "{}", gjj_client::receipt::issue_line(i.borrow()));
    }
    let _ = stderr.flush();
}

/// A date from Unix seconds, YYYY-MM-DD.
pub fn date(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .map(|d| format!("{}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()))
        .unwrap_or_default()
}
