//! The big writes (issue 15 §4), each mode in its own process so peak RSS is its own:
//!
//! ```text
//! cargo run --release -p gjj-sheets --example bench_write -- list 50000 /tmp/list.xlsx
//! cargo run --release -p gjj-sheets --example bench_write -- bare-list 50000 /tmp/bare-list.xlsx
//! cargo run --release -p gjj-sheets --example bench_write -- issues 100000 /tmp/issues.xlsx
//! cargo run --release -p gjj-sheets --example bench_write -- bare-issues 100000 /tmp/bare-issues.xlsx
//! ```
//!
//! * `list N`: the 汇缴清册 of a unit with N 正常 contributors (`remittance::write_list`).
//! * `issues N`: the 问题清单 export of N issues (`write_issues`), one per row of a checked sheet.
//! * `bare-list N` / `bare-issues N`: rust_xlsxwriter alone writing the same cells with the same number formats in
//!   constant-memory mode: the anchor.
//!
//! The data is built in memory first (as the app holds it), then only the write is timed. One JSON line:
//! `{"mode":…,"rows":…,"seconds":…,"peak_rss_kib":…}` (VmHWM; 0 where /proc is missing).

use std::process::ExitCode;
use std::time::Instant;

use gjj_domain::issue::{Code, Issue};
use gjj_domain::money::Fen;
use gjj_domain::remittance::{ListEntry, RemittanceList};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

mod common;
use common::{hengyang_policy, month, peak_rss_kib, unit};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let run = |mode: &str, n: &str, file: &str| -> Result<(), String> {
        let n: u32 = n.parse().map_err(|_| format!("not a count: {n}"))?;
        let (rows, seconds) = match mode {
            "list" => {
                let list = list(n)?;
                let start = Instant::now();
                gjj_sheets::remittance::write_list(file, &list, &Default::default())
                    .map_err(|e| e.to_string())?;
                (list.entries.len(), start.elapsed().as_secs_f64())
            }
            "bare-list" => {
                let list = list(n)?;
                let start = Instant::now();
                bare_list(&list, file).map_err(|e| e.to_string())?;
                (list.entries.len(), start.elapsed().as_secs_f64())
            }
            "issues" => {
                let issues = issues(n);
                let start = Instant::now();
                gjj_sheets::write_issues(&issues, "基数调整.xlsx", std::path::Path::new(file))
                    .map_err(|e| e.to_string())?;
                (issues.len(), start.elapsed().as_secs_f64())
            }
            "bare-issues" => {
                let issues = issues(n);
                let start = Instant::now();
                bare_issues(&issues, file).map_err(|e| e.to_string())?;
                (issues.len(), start.elapsed().as_secs_f64())
            }
            other => return Err(format!("unknown mode {other}")),
        };
        println!(
            "{{\"mode\":\"{mode}\",\"rows\":{rows},\"seconds\":{seconds:.3},\"peak_rss_kib\":{}}}",
            peak_rss_kib()
        );
        Ok(())
    };
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        [mode, n, file] => run(mode, n, file),
        _ => Err("usage: bench_write (list|bare-list|issues|bare-issues) N FILE".to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_write: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A unit of N contributors with 衡阳's 2026 figures (the bench_check unit).
fn list(n: u32) -> Result<RemittanceList, String> {
    let policy = hengyang_policy();
    let unit = unit(202611);
    let entries = (0..n)
        .map(|i| {
            ListEntry::new(
                format!("9901{i:08}"),
                format!("职工{i}"),
                format!("430405199001{:02}{:04}", i % 28 + 1, i % 10_000),
                Fen(300_000 + i64::from(i % 1000) * 1_000),
                &unit,
                &policy,
            )
        })
        .collect();
    Ok(RemittanceList::new(unit, month(202612), policy, entries))
}

/// The same cells as the 清册's data rows, with the same number formats, and nothing else.
fn bare_list(list: &RemittanceList, file: &str) -> Result<(), XlsxError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet_with_constant_memory()?;
    let text = Format::new().set_num_format("@");
    let money = Format::new().set_num_format("0.00");
    let yuan = |f: Fen| f.0 as f64 / 100.0;
    for (i, e) in list.entries.iter().enumerate() {
        let r = u32::try_from(i + 6).unwrap_or(u32::MAX);
        ws.write_number(r, 0, (i + 1) as f64)?;
        ws.write_string_with_format(r, 1, &e.account, &text)?;
        ws.write_string(r, 2, &e.name)?;
        ws.write_string_with_format(r, 3, &e.id_number, &text)?;
        ws.write_number_with_format(r, 4, yuan(e.base), &money)?;
        ws.write_number_with_format(r, 5, yuan(e.amounts.unit), &money)?;
        ws.write_number_with_format(r, 6, yuan(e.amounts.person), &money)?;
        ws.write_number_with_format(r, 7, yuan(e.amounts.total), &money)?;
    }
    wb.save(file)
}

/// One issue per row, as a checked sheet where every row is wrong produces them.
fn issues(n: u32) -> Vec<Issue> {
    (0..n)
        .map(|i| {
            Issue::new(
                i + 5,
                "调整后基数",
                Code::BaseAboveMax,
                format!(
                    "调整后基数 {} 元超出 2026 年度缴存基数上限 21142 元，请按上限填写",
                    30_000 + i % 1000
                ),
            )
        })
        .collect()
}

/// The same cells as the 问题清单's rows, and nothing else.
fn bare_issues(issues: &[Issue], file: &str) -> Result<(), XlsxError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet_with_constant_memory()?;
    let wrap = Format::new().set_text_wrap();
    for (i, issue) in issues.iter().enumerate() {
        let r = u32::try_from(i + 3).unwrap_or(u32::MAX);
        ws.write_number(r, 0, issue.row)?;
        ws.write_string(r, 1, &issue.column)?;
        ws.write_string(r, 2, issue.code.as_str())?;
        ws.write_string_with_format(r, 3, &issue.message, &wrap)?;
    }
    wb.save(file)
}
