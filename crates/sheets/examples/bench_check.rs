//! The 基数调整 import benchmark (run as separate release processes by `cargo xtask bench`).
//!
//! ```text
//! cargo run --release -p gjj-sheets --example bench_check -- generate 100000 /tmp/base.xlsx
//! cargo run --release -p gjj-sheets --example bench_check -- bare  /tmp/base.xlsx
//! cargo run --release -p gjj-sheets --example bench_check -- check /tmp/base.xlsx
//! ```
//!
//! * `generate-bad N FILE`: the same with every 调整后基数 above the policy maximum (an issue on every row).
//! * `generate N FILE`: an N-row filled sheet in the template layout, written by rust_xlsxwriter
//!   in low-memory mode with a shared-string table (as Excel writes): unique valid 18-digit IDs,
//!   accounts/IDs/months as text, amounts as numbers; the rows in a fixed shuffled order (not by
//!   个人账号, see `common::shuffled`).
//! * `bare FILE`: calamine's own streaming read — open, `worksheet_cells_reader`, count cells.
//! * `import FILE`: the streaming import alone (to attribute cost; not part of the target).
//! * `check FILE`: `gjj_sheets` streaming import + the domain `Checker`, with 衡阳 policy
//!   figures from REFERENCE §C (base 1700–21142 元, monthly 170–5076 元, rates 5–12 %,
//!   unit/person 12 %/12 %, rounded to 分).
//!
//! `bare` and `check` print one JSON line:
//! `{"mode":…,"rows":…,"cells"|"issues":…,"seconds":…,"peak_rss_kib":…}`; peak RSS is
//! `VmHWM` from `/proc/self/status` at the end (0 where unavailable).

use std::process::ExitCode;
use std::time::Instant;

use calamine::{Reader, Xlsx};
use gjj_domain::base_adjustment::{col, Checker};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

mod common;
use common::{hengyang_policy, month, peak_rss_kib, shuffled, unit};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["generate", n, file] => match n.parse::<u32>() {
            Ok(n) => generate(n, file, false).map_err(|e| e.to_string()),
            Err(_) => Err(format!("not a row count: {n}")),
        },
        ["generate-bad", n, file] => match n.parse::<u32>() {
            Ok(n) => generate(n, file, true).map_err(|e| e.to_string()),
            Err(_) => Err(format!("not a row count: {n}")),
        },
        ["bare", file] => bare(file),
        ["check", file] => check(file),
        ["import", file] => import_only(file),
        _ => Err(
            "usage: bench_check (generate N FILE | generate-bad N FILE | bare FILE | check FILE | import FILE)"
                .to_owned(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_check: {e}");
            ExitCode::FAILURE
        }
    }
}

// ------------------------------------------------------------------------------------------
// bare: calamine alone
// ------------------------------------------------------------------------------------------

fn bare(file: &str) -> Result<(), String> {
    let start = Instant::now();
    let mut wb: Xlsx<_> = calamine::open_workbook(file).map_err(|e| format!("{e}"))?;
    let name = wb.sheet_names().first().cloned().ok_or("no sheet")?;
    let mut cells_reader = wb.worksheet_cells_reader(&name).map_err(|e| format!("{e}"))?;
    let mut cells: u64 = 0;
    let mut rows: u64 = 0;
    let mut last_row = u32::MAX;
    while let Some(cell) = cells_reader.next_cell().map_err(|e| format!("{e}"))? {
        cells += 1;
        let row = cell.get_position().0;
        if row != last_row {
            rows += 1;
            last_row = row;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{{\"mode\":\"bare\",\"rows\":{rows},\"cells\":{cells},\"seconds\":{seconds:.3},\"peak_rss_kib\":{}}}",
        peak_rss_kib()
    );
    Ok(())
}

// ------------------------------------------------------------------------------------------
// check: streaming import + domain checker
// ------------------------------------------------------------------------------------------

fn check(file: &str) -> Result<(), String> {
    let start = Instant::now();
    let mut checker = Checker::new(&hengyang_policy(), &unit(202606), month(202607));
    let mut issues = Vec::new();
    let stats =
        gjj_sheets::base_adjustment::import_with(file, |row, issues| checker.push(&row, issues), &mut issues)
            .map_err(|e| format!("{} {e}", e.code()))?;
    checker.finish(&mut issues);
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{{\"mode\":\"check\",\"rows\":{},\"issues\":{},\"seconds\":{seconds:.3},\"peak_rss_kib\":{}}}",
        stats.data_rows,
        issues.len(),
        peak_rss_kib()
    );
    Ok(())
}

/// The importer alone (no domain checker), to attribute the cost between the two crates.
fn import_only(file: &str) -> Result<(), String> {
    let start = Instant::now();
    let mut issues = Vec::new();
    let mut rows = 0u64;
    let stats = gjj_sheets::base_adjustment::import_with(file, |_, _| rows += 1, &mut issues)
        .map_err(|e| format!("{} {e}", e.code()))?;
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{{\"mode\":\"import\",\"rows\":{},\"issues\":{},\"seconds\":{seconds:.3},\"peak_rss_kib\":{}}}",
        stats.data_rows,
        issues.len(),
        peak_rss_kib()
    );
    debug_assert_eq!(rows, u64::from(stats.rows_delivered));
    Ok(())
}

// ------------------------------------------------------------------------------------------
// generate
// ------------------------------------------------------------------------------------------

const AREAS: [&str; 8] = [
    "430405", "430406", "430407", "430408", "430412", "430421", "430422", "430481",
];
const SURNAMES: [&str; 40] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何",
    "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田",
    "董", "袁", "潘", "于", "蒋", "蔡",
];
const GIVEN: [&str; 30] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
    "秀英", "霞", "平", "刚", "桂英", "建华", "志强", "晓燕", "海燕", "文博", "子涵", "欣怡", "浩然",
];

/// GB 11643 check character.
fn id_check(first17: &[u8]) -> char {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let s: u32 = first17.iter().zip(W).map(|(d, w)| u32::from(d - b'0') * w).sum();
    b"10X98765432"[(s % 11) as usize] as char
}

/// (year, month, day) of a day count since 1970-01-01 (H. Hinnant's civil_from_days).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A unique, valid ID for row `i`: (area, birth date, sequence) is a bijection of `i`.
fn id_number(i: u32) -> String {
    let area = AREAS[(i % 8) as usize];
    let (y, m, d) = civil(i64::from((i / 8) % 12_000));
    let seq = 101 + 2 * (i / 96_000);
    let mut s = format!("{area}{y:04}{m:02}{d:02}{seq:03}");
    let c = id_check(s.as_bytes());
    s.push(c);
    s
}

/// `bad`: every row's 调整后基数 above the policy year's maximum (an issue on each row, whoever checks it).
fn generate(n: u32, file: &str, bad: bool) -> Result<(), XlsxError> {
    let mut wb = Workbook::new();
    let mut ws = wb.new_worksheet_with_low_memory()?;
    ws.set_name("基数调整")?;
    let text = Format::new().set_num_format("@");
    let money = Format::new().set_num_format("0.00");
    ws.write_string(
        0,
        0,
        "衡阳市住房公积金管理中心缴存基数调整清册（批量导入文件格式）",
    )?;
    ws.write_string(
        1,
        0,
        "填写说明：证件号码/个人账号/生效年月 列为文本格式，请勿改成数字",
    )?;
    for (c, h) in col::ALL.iter().enumerate() {
        ws.write_string(2, c as u16, *h)?;
    }
    ws.write_string(3, 0, "例")?;
    ws.write_string_with_format(3, 1, "430000000001", &text)?;
    ws.write_string(3, 2, "张三")?;
    ws.write_string_with_format(3, 3, "430405198803150011", &text)?;
    ws.write_number_with_format(3, 4, 3000, &money)?;
    ws.write_number_with_format(3, 5, 3500, &money)?;
    ws.write_string_with_format(3, 6, "202607", &text)?;
    for (k, i) in (0..n).zip(shuffled(n)) {
        let r = 4 + k;
        let old = 2000 + (i * 37) % 15_000;
        let name = format!(
            "{}{}",
            SURNAMES[(i % 40) as usize],
            GIVEN[((i / 40) % 30) as usize]
        );
        ws.write_number(r, 0, f64::from(k + 1))?;
        ws.write_string_with_format(r, 1, format!("4304{:08}", i + 1), &text)?;
        ws.write_string(r, 2, name)?;
        ws.write_string_with_format(r, 3, id_number(i), &text)?;
        ws.write_number_with_format(r, 4, f64::from(old), &money)?;
        let new = if bad { 30_000.0 } else { f64::from(old) + 150.5 };
        ws.write_number_with_format(r, 5, new, &money)?;
        ws.write_string_with_format(r, 6, "202607", &text)?;
        if i % 50 == 0 {
            ws.write_string(r, 7, "年度调整")?;
        }
    }
    wb.push_worksheet(ws);
    wb.save(file)
}

// ------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_valid_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for i in (0..200_000).step_by(7) {
            let id = id_number(i);
            assert_eq!(id.len(), 18);
            assert!(gjj_domain::ids::IdCard::parse(&id).is_ok(), "{id}");
            assert!(seen.insert(id));
        }
        assert_eq!(civil(0), (1970, 1, 1));
        // The row order is a permutation, far from the key order.
        let order = shuffled(100_000);
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert!(sorted.iter().copied().eq(0..100_000));
        assert!(order.windows(2).filter(|w| w[0] < w[1]).count() < 60_000);
        assert_eq!(order, shuffled(100_000));
        assert_eq!(civil(20_635), (2026, 7, 1));
    }

    /// The generated data is "realistic": it passes both the importer and the domain rules.
    #[test]
    fn generated_file_is_clean() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bench.xlsx");
        generate(500, path.to_str().unwrap(), false).unwrap();
        let mut checker = Checker::new(&hengyang_policy(), &unit(202606), month(202607));
        let mut issues = Vec::new();
        let stats = gjj_sheets::base_adjustment::import_with(
            &path,
            |row, issues| checker.push(&row, issues),
            &mut issues,
        )
        .unwrap();
        checker.finish(&mut issues);
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!((stats.data_rows, stats.rows_delivered), (500, 500));
    }
}
