//! The 缴存人登记 import benchmark (issue 3: "a 50,000-row 缴存人登记 check"), run as release processes:
//!
//! ```text
//! cargo build --release -p gjj-sheets --example bench_registration
//! target/release/examples/bench_registration generate 50000 /tmp/registration.xlsx
//! target/release/examples/bench_registration bare  /tmp/registration.xlsx
//! target/release/examples/bench_registration check /tmp/registration.xlsx
//! ```
//!
//! * `generate N FILE`: an N-row filled sheet in the template layout (rust_xlsxwriter low-memory mode, shared
//!   strings as Excel writes them): unique valid 18-digit IDs and unique mobiles, 证件类型 as the drop-down entry,
//!   性别/出生年月 filled (consistently) on every other row, one row in 20 a landline and a bank account, bases as
//!   numbers, months as text; the rows in a fixed shuffled order (not by 证件号码 or 手机号码, see `common::shuffled`).
//! * `bare FILE`: calamine's own streaming read of the same file (the floor).
//! * `check FILE`: `gjj_sheets` streaming import + the domain `Checker` (衡阳 figures of REFERENCE §C, unit at
//!   12 %/12 %, first month 201001, today 202611).
//!
//! `bare` and `check` print one JSON line: `{"mode":…,"rows":…,"cells"|"issues":…,"seconds":…,"peak_rss_kib":…}`.

use std::process::ExitCode;
use std::time::Instant;

use calamine::{Reader, Xlsx};
use gjj_domain::contributor_registration::{col, Checker};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

mod common;
use common::{hengyang_policy, month, peak_rss_kib, shuffled, unit};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["generate", n, file] => match n.parse::<u32>() {
            Ok(n) => generate(n, file).map_err(|e| e.to_string()),
            Err(_) => Err(format!("not a row count: {n}")),
        },
        ["bare", file] => bare(file),
        ["check", file] => check(file),
        _ => Err("usage: bench_registration (generate N FILE | bare FILE | check FILE)".to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_registration: {e}");
            ExitCode::FAILURE
        }
    }
}

const TODAY: u32 = 202611;

fn bare(file: &str) -> Result<(), String> {
    let start = Instant::now();
    let mut wb: Xlsx<_> = calamine::open_workbook(file).map_err(|e| format!("{e}"))?;
    let name = wb.sheet_names().first().cloned().ok_or("no sheet")?;
    let mut cells_reader = wb.worksheet_cells_reader(&name).map_err(|e| format!("{e}"))?;
    let (mut cells, mut rows, mut last_row) = (0u64, 0u64, u32::MAX);
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

fn check(file: &str) -> Result<(), String> {
    let start = Instant::now();
    let mut checker = Checker::new(&hengyang_policy(), &unit(202609), month(TODAY));
    let mut issues = Vec::new();
    let stats = gjj_sheets::contributor_registration::import_with(
        file,
        |row, issues| checker.push(&row, issues),
        &mut issues,
    )
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

const AREAS: [&str; 8] = [
    "430405", "430406", "430407", "430408", "430412", "430421", "430422", "430481",
];
const SURNAMES: [&str; 20] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何",
    "高", "林", "罗",
];
const GIVEN: [&str; 12] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "秀英", "建华", "子涵", "浩然",
];

/// GB 11643 check character.
fn id_check(first17: &[u8]) -> char {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let s: u32 = first17.iter().zip(W).map(|(d, w)| u32::from(d - b'0') * w).sum();
    b"10X98765432"[(s % 11) as usize] as char
}

/// A unique valid ID for row `i` (born 1970–2001, so everyone is over 16): (area, birth date, sequence) is a
/// bijection of `i` for i < 8 × 12 × 28 × 32 × 500.
fn id_number(i: u32) -> (String, u32, u32) {
    let area = AREAS[(i % 8) as usize];
    let k = i / 8;
    let day = k % 28 + 1;
    let m = (k / 28) % 12 + 1;
    let year = 1970 + (k / 336) % 32;
    let seq = 100 + (k / 10_752) % 500;
    let mut s = format!("{area}{year:04}{m:02}{day:02}{seq:03}");
    let c = id_check(s.as_bytes());
    s.push(c);
    (s, year, m)
}

/// Writes an N-row 缴存人登记 sheet.
fn generate(n: u32, file: &str) -> Result<(), XlsxError> {
    let mut wb = Workbook::new();
    let mut ws = wb.new_worksheet_with_low_memory()?;
    ws.set_name("缴存人登记")?;
    let text = Format::new().set_num_format("@");
    let money = Format::new().set_num_format("0.00");
    ws.write_string(0, 0, "衡阳市住房公积金管理中心缴存人登记清册（批量导入文件格式）")?;
    ws.write_string(
        1,
        0,
        "填写说明：证件号码、手机号码、年月等列为文本格式，请勿改成数字",
    )?;
    for (c, h) in col::ALL.iter().enumerate() {
        ws.write_string(2, c as u16, *h)?;
    }
    ws.write_string(3, 0, "例")?;
    for (k, i) in (0..n).zip(shuffled(n)) {
        let r = 4 + k;
        let (id, year, m) = id_number(i);
        let name = format!(
            "{}{}",
            SURNAMES[(i % 20) as usize],
            GIVEN[((i / 20) % 12) as usize]
        );
        ws.write_number(r, 0, f64::from(k + 1))?;
        ws.write_string(r, 1, name)?;
        ws.write_string_with_format(r, 2, "01 身份证", &text)?;
        ws.write_string_with_format(r, 3, &id, &text)?;
        if i % 2 == 0 {
            let male = (id.as_bytes()[16] - b'0') % 2 == 1;
            ws.write_string_with_format(r, 4, if male { "男" } else { "女" }, &text)?;
            ws.write_string_with_format(r, 5, format!("{year:04}{m:02}"), &text)?;
        }
        ws.write_string_with_format(r, 6, format!("139{i:08}"), &text)?;
        if i % 20 == 0 {
            ws.write_string_with_format(r, 7, "0734-8123456", &text)?;
            ws.write_string_with_format(r, 10, format!("62220212{i:011}"), &text)?;
            ws.write_string(r, 11, "中国工商银行衡阳分行")?;
        }
        ws.write_number_with_format(r, 8, f64::from(2000 + (i * 37) % 15_000), &money)?;
        ws.write_string_with_format(r, 9, "202611", &text)?;
    }
    wb.push_worksheet(ws);
    wb.save(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_valid_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for i in (0..120_000).step_by(7) {
            let (id, ..) = id_number(i);
            assert!(gjj_domain::ids::IdCard::parse(&id).is_ok(), "{id}");
            assert!(seen.insert(id));
        }
    }

    /// The generated data passes both the importer and the domain rules: the benchmark times a clean check.
    #[test]
    fn generated_file_is_clean() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bench.xlsx");
        generate(600, path.to_str().unwrap()).unwrap();
        let mut checker = Checker::new(&hengyang_policy(), &unit(202609), month(TODAY));
        let mut issues = Vec::new();
        let stats = gjj_sheets::contributor_registration::import_with(
            &path,
            |row, issues| checker.push(&row, issues),
            &mut issues,
        )
        .unwrap();
        checker.finish(&mut issues);
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!((stats.data_rows, stats.rows_delivered), (600, 600));
    }
}
