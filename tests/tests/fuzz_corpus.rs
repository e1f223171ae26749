//! The always-run half of the importers' fuzzing (issue 14, item 8): a corpus-driven mutation test. The other
//! half is cargo-fuzz (`fuzz/`, `cargo xtask fuzz`); see fuzz/README.md.
//!
//! Seeds are the real workbooks under crates/sheets/tests/fixtures (Excel/openpyxl/LibreOffice .xlsx, an xlwt
//! .xls, a LibreOffice .ods, SpreadsheetML 2003, an encrypted .xlsx, a text file) and our own templates. Each
//! seed gets deterministic mutations — byte flips, truncations, zip entries removed or duplicated, XML inside
//! the zip edited (cell references, types, shared-string indexes, rows out of order, nesting bombs, wrong sheet
//! types) — and a fixed set of hostile inputs is added: zip bombs (1 GiB of zeros, a 1 GiB cell text, sizes that
//! lie), a 100,000-entry shared-strings table and absurd `uniqueCount`s, .xls and .ods "range bombs" (two cells
//! far apart, repeats to the format's limits, 2 G spaces), an .xls whose sector chain loops, the largest cell
//! text the limits allow a stored part, SpreadsheetML with huge indexes and deep nesting, CSV/PDF/empty files. Every input is written as
//! `<case>.xlsx`, so every .xls/.ods/.csv/.pdf is one "renamed to .xlsx".
//!
//! Each input is read in a child process (this test binary again, test `child`) under an address-space limit:
//! the business's own importer by path, its desktop grid, and one other business's importer over a reader —
//! so all nine importers see the corpus. Asserted per input: no panic and no abort, every importer finishes in
//! [`TIME_LIMIT`], peak RSS (VmHWM, reset before each input) stays within [`MEMORY_BOUND_MB`], and a failure is
//! a `SheetError` with one of its stable codes. The figures are printed at the end.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Every importer run must finish within this.
const TIME_LIMIT: Duration = Duration::from_secs(10);
/// Peak RSS of the child while reading one input, asserted; the measured maximum is printed.
const MEMORY_BOUND_MB: u64 = 512;
/// The child's address-space limit (`ulimit -v`): an allocation bomb aborts instead of taking the machine.
const ADDRESS_SPACE_LIMIT_MB: u64 = 4096;
/// The stable codes a workbook that cannot be read may fail with (`SheetError::code`).
const SHEET_CODES: &[&str] = &[
    "SHEET_NOT_FOUND",
    "SHEET_UNREADABLE",
    "SHEET_ENCRYPTED",
    "SHEET_FORMAT_UNSUPPORTED",
    "FILE_IN_USE",
];
/// Every batch business with an importer (`gjj_sheets::read_grid`'s codes).
const BUSINESSES: [&str; 9] = [
    "base_adjustment",
    "contributor_registration",
    "contributor_change",
    "seal",
    "unseal",
    "supplementary",
    "remittance",
    "loan_application",
    "building",
];

const CHILD_DIR: &str = "GJJ_FUZZ_CORPUS_DIR";
const CHILD_FROM: &str = "GJJ_FUZZ_CORPUS_FROM";
const CHILD_TO: &str = "GJJ_FUZZ_CORPUS_TO";

// ---------------------------------------------------------------------------------------------------------------
// The parent: build the corpus, run it through children, judge.
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn importers_survive_the_mutated_corpus() {
    let started = Instant::now();
    let mut cases = corpus();
    // GJJ_FUZZ_CORPUS_ONLY=TEXT: only the inputs whose name contains TEXT (to look into one).
    if let Ok(only) = std::env::var("GJJ_FUZZ_CORPUS_ONLY") {
        cases.retain(|c| c.name.contains(&only));
    }
    let generated = started.elapsed();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut list = String::new();
    for (i, case) in cases.iter().enumerate() {
        std::fs::write(dir.path().join(file_name(i, case)), &case.bytes).expect("write case");
        let other = BUSINESSES[i % BUSINESSES.len()];
        list.push_str(&format!("{}\t{}\t{}\n", file_name(i, case), case.business, other));
    }
    std::fs::write(dir.path().join("list.tsv"), list).expect("write list");
    // GJJ_FUZZ_CORPUS_KEEP=1 keeps the inputs; one of them is read again with
    // `GJJ_FUZZ_CORPUS_DIR=… GJJ_FUZZ_CORPUS_FROM=i GJJ_FUZZ_CORPUS_TO=i+1 RUST_BACKTRACE=1 <test binary> child`.
    let dir = if std::env::var_os("GJJ_FUZZ_CORPUS_KEEP").is_some() {
        let kept = dir.keep();
        println!("inputs kept in {}", kept.display());
        Dir::Kept(kept)
    } else {
        Dir::Temp(dir)
    };
    let bytes: usize = cases.iter().map(|c| c.bytes.len()).sum();
    println!(
        "corpus: {} inputs, {:.1} MB, generated in {:.1} s",
        cases.len(),
        bytes as f64 / 1e6,
        generated.as_secs_f64()
    );

    // Two chains of children (two cores); each restarts after a crash or a hang.
    let jobs: usize = std::env::var("GJJ_FUZZ_CORPUS_JOBS")
        .ok()
        .and_then(|j| j.parse().ok())
        .unwrap_or(2)
        .max(1);
    let n = cases.len();
    let per = n.div_ceil(jobs);
    let results: Vec<Vec<Outcome>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..jobs)
            .map(|j| {
                let dir = dir.path();
                s.spawn(move || run_range(dir, j * per, ((j + 1) * per).min(n)))
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("runner")).collect()
    });
    let outcomes: Vec<Outcome> = results.into_iter().flatten().collect();

    // GJJ_FUZZ_CORPUS_REPORT=FILE: every run's outcome, one line each (for looking into a failure).
    if let Some(report) = std::env::var_os("GJJ_FUZZ_CORPUS_REPORT") {
        let mut text = String::new();
        for o in &outcomes {
            let fate = match &o.fate {
                Fate::Finished { hwm_kb } => format!("{} MB", hwm_kb / 1024),
                Fate::Crashed(why) => format!("CRASHED {why}"),
                Fate::Hung => "HUNG".to_owned(),
            };
            text.push_str(&format!("{}\t{}\t{fate}\n", o.index, cases[o.index].name));
            for r in &o.runs {
                text.push_str(&format!("\t{}\t{} ms\t{}\n", r.importer, r.ms, r.outcome));
            }
        }
        std::fs::write(report, text).expect("write report");
    }
    let mut failures = Vec::new();
    let mut runs = 0usize;
    let mut errors = std::collections::BTreeMap::<String, usize>::new();
    let (mut max_rss, mut max_rss_case) = (0u64, String::new());
    let (mut max_ms, mut max_ms_case) = (0u128, String::new());
    for o in &outcomes {
        let name = &cases[o.index].name;
        match &o.fate {
            Fate::Finished { hwm_kb } => {
                if *hwm_kb > max_rss {
                    (max_rss, max_rss_case) = (*hwm_kb, name.clone());
                }
                if *hwm_kb > MEMORY_BOUND_MB * 1024 {
                    failures.push(format!(
                        "{name}: peak RSS {} MB > {MEMORY_BOUND_MB} MB",
                        hwm_kb / 1024
                    ));
                }
            }
            Fate::Crashed(why) => failures.push(format!("{name}: child died ({why})")),
            Fate::Hung => failures.push(format!("{name}: no answer within {TIME_LIMIT:?} (hang)")),
        }
        for r in &o.runs {
            runs += 1;
            if r.ms > max_ms {
                (max_ms, max_ms_case) = (r.ms, format!("{name} [{}]", r.importer));
            }
            if r.ms >= TIME_LIMIT.as_millis() {
                failures.push(format!("{name} [{}]: {} ms", r.importer, r.ms));
            }
            if let Some((code, _message)) = r.outcome.strip_prefix("err:").and_then(|e| e.split_once('|')) {
                *errors.entry(code.to_owned()).or_default() += 1;
                if !SHEET_CODES.contains(&code) {
                    failures.push(format!("{name} [{}]: unknown error code {code}", r.importer));
                }
            } else if let Some(msg) = r.outcome.strip_prefix("panic:") {
                failures.push(format!("{name} [{}]: PANIC {msg}", r.importer));
            }
        }
    }
    println!(
        "fuzz_corpus: {} inputs, {runs} importer runs, {} failures, in {:.1} s",
        outcomes.len(),
        failures.len(),
        started.elapsed().as_secs_f64()
    );
    println!("  errors by code: {errors:?}");
    println!("  peak RSS: {:.1} MB ({max_rss_case})", max_rss as f64 / 1024.0);
    println!("  slowest importer run: {max_ms} ms ({max_ms_case})");
    assert_eq!(outcomes.len(), cases.len(), "every input was run");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Where the inputs are written: removed afterwards, or kept to look into.
enum Dir {
    Temp(tempfile::TempDir),
    Kept(PathBuf),
}

impl Dir {
    fn path(&self) -> &Path {
        match self {
            Dir::Temp(t) => t.path(),
            Dir::Kept(p) => p,
        }
    }
}

fn file_name(i: usize, case: &Case) -> String {
    let safe: String = case
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{i:04}-{safe}.xlsx")
}

struct Run {
    importer: String,
    ms: u128,
    outcome: String,
}

enum Fate {
    Finished { hwm_kb: u64 },
    Crashed(String),
    Hung,
}

struct Outcome {
    index: usize,
    runs: Vec<Run>,
    fate: Fate,
}

fn spawn_child(dir: &Path, from: usize, to: usize) -> Child {
    let exe = std::env::current_exe().expect("test binary");
    // `ulimit -v` (KiB) bounds the child's address space: an allocation bomb fails there, not on the machine.
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {} && exec \"$0\" \"$@\"",
            ADDRESS_SPACE_LIMIT_MB * 1024
        ))
        .arg(exe)
        .args(["child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, dir)
        .env(CHILD_FROM, from.to_string())
        .env(CHILD_TO, to.to_string())
        .env("RUST_BACKTRACE", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn child")
}

/// Runs inputs `from..to` in children, restarting after the input that crashed or hung one.
fn run_range(dir: &Path, from: usize, to: usize) -> Vec<Outcome> {
    let mut out = Vec::new();
    let mut next = from;
    while next < to {
        let mut child = spawn_child(dir, next, to);
        let stdout = child.stdout.take().expect("child stdout");
        let (tx, rx) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut current: Option<Outcome> = None;
        loop {
            // Every importer run prints a line: silence longer than the limit (plus start-up) is a hang.
            match rx.recv_timeout(TIME_LIMIT + Duration::from_secs(3)) {
                Ok(line) => {
                    // libtest may print "test child ... " on the same line before the first one.
                    let Some(rest) = line.find("FUZZ|").map(|at| &line[at + 5..]) else {
                        continue;
                    };
                    let f: Vec<&str> = rest.splitn(5, '|').collect();
                    match f.as_slice() {
                        ["BEGIN", i] => {
                            current = Some(Outcome {
                                index: i.parse().expect("index"),
                                runs: Vec::new(),
                                fate: Fate::Hung,
                            });
                        }
                        ["RUN", _, importer, ms, outcome] => {
                            if let Some(c) = current.as_mut() {
                                c.runs.push(Run {
                                    importer: (*importer).to_owned(),
                                    ms: ms.parse().unwrap_or(u128::MAX),
                                    outcome: (*outcome).to_owned(),
                                });
                            }
                        }
                        ["END", _, hwm] => {
                            if let Some(mut c) = current.take() {
                                c.fate = Fate::Finished {
                                    hwm_kb: hwm.parse().unwrap_or(u64::MAX),
                                };
                                next = c.index + 1;
                                out.push(c);
                            }
                        }
                        _ => {}
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let mut c = current.take().unwrap_or(Outcome {
                        index: next,
                        runs: Vec::new(),
                        fate: Fate::Hung,
                    });
                    c.fate = Fate::Hung;
                    next = c.index + 1;
                    out.push(c);
                    break;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = child.wait().expect("wait child");
                    if let Some(mut c) = current.take() {
                        c.fate = Fate::Crashed(format!("{status}"));
                        next = c.index + 1;
                        out.push(c);
                    } else if next < to {
                        // Died before starting an input (should not happen): count it against that input.
                        out.push(Outcome {
                            index: next,
                            runs: Vec::new(),
                            fate: Fate::Crashed(format!("{status} before the input started")),
                        });
                        next += 1;
                    }
                    break;
                }
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------------------------
// The child: read inputs, print one line per importer run.
// ---------------------------------------------------------------------------------------------------------------

/// Not a test of its own: the parent runs this test binary again with [`CHILD_DIR`] set.
#[test]
fn child() {
    let Some(dir) = std::env::var_os(CHILD_DIR).map(PathBuf::from) else {
        return;
    };
    let from: usize = std::env::var(CHILD_FROM).expect("from").parse().expect("from");
    let to: usize = std::env::var(CHILD_TO).expect("to").parse().expect("to");
    // Panics are reported as outcomes; their default message would only repeat them (unless a backtrace is
    // asked for, to look into one).
    if std::env::var_os("RUST_BACKTRACE").is_none_or(|v| v == "0") {
        std::panic::set_hook(Box::new(|_| {}));
    }
    let list = std::fs::read_to_string(dir.join("list.tsv")).expect("list");
    let mut stdout = std::io::stdout().lock();
    for (i, line) in list.lines().enumerate().take(to).skip(from) {
        let f: Vec<&str> = line.split('\t').collect();
        let (file, business, other) = (f[0], f[1], f[2]);
        let path = dir.join(file);
        let bytes = std::fs::read(&path).expect("read case");
        reset_peak_rss();
        writeln!(stdout, "FUZZ|BEGIN|{i}").expect("stdout");
        stdout.flush().expect("flush");
        let mut run = |importer: String, f: &dyn Fn() -> Result<String, gjj_sheets::SheetError>| {
            let t = Instant::now();
            let outcome = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
                Ok(Ok(summary)) => format!("ok:{summary}"),
                Ok(Err(e)) => format!("err:{}|{}", e.code(), e.to_string().replace('\n', " ")),
                Err(p) => format!(
                    "panic:{}",
                    p.downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_default()
                        .replace('\n', " ")
                ),
            };
            writeln!(
                stdout,
                "FUZZ|RUN|{i}|{importer}|{}|{outcome}",
                t.elapsed().as_millis()
            )
            .expect("stdout");
            stdout.flush().expect("flush");
        };
        run(format!("{business}::import"), &|| import_path(business, &path));
        run(format!("read_grid({business})"), &|| {
            gjj_sheets::read_grid(business, &path)
                .expect("known business")
                .map(|g| format!("{} rows", g.len()))
        });
        run(format!("{other}::import_reader"), &|| {
            import_reader(other, &bytes)
        });
        writeln!(stdout, "FUZZ|END|{i}|{}", peak_rss_kb()).expect("stdout");
        stdout.flush().expect("flush");
    }
}

/// Runs `$body` with `$m` naming the business's importer module.
macro_rules! with_module {
    ($business:expr, $m:ident => $body:expr) => {
        match $business {
            "base_adjustment" => {
                use gjj_sheets::base_adjustment as $m;
                $body
            }
            "contributor_registration" => {
                use gjj_sheets::contributor_registration as $m;
                $body
            }
            "contributor_change" => {
                use gjj_sheets::contributor_change as $m;
                $body
            }
            "seal" => {
                use gjj_sheets::seal as $m;
                $body
            }
            "unseal" => {
                use gjj_sheets::unseal as $m;
                $body
            }
            "supplementary" => {
                use gjj_sheets::supplementary as $m;
                $body
            }
            "remittance" => {
                use gjj_sheets::remittance as $m;
                $body
            }
            "loan_application" => {
                use gjj_sheets::loan_application as $m;
                $body
            }
            "building" => {
                use gjj_sheets::building as $m;
                $body
            }
            other => panic!("unknown business {other}"),
        }
    };
}

fn import_path(business: &str, path: &Path) -> Result<String, gjj_sheets::SheetError> {
    with_module!(business, m => m::import(path).map(|i| format!("{} rows {} issues{}", i.data_rows, i.issues.len(), codes(&i.issues))))
}

fn import_reader(business: &str, bytes: &[u8]) -> Result<String, gjj_sheets::SheetError> {
    let opts = gjj_sheets::ImportOptions::default();
    let mut issues = Vec::new();
    let stats = with_module!(business, m => m::import_reader(Cursor::new(bytes), "上传.xlsx", &opts, |_, _| {}, &mut issues))?;
    Ok(format!(
        "{} rows {} issues{}",
        stats.data_rows,
        issues.len(),
        codes(&issues)
    ))
}

/// The first issues' codes, for the report.
fn codes(issues: &[gjj_domain::issue::Issue]) -> String {
    issues
        .iter()
        .take(3)
        .map(|i| format!(" {}", i.code.as_str()))
        .collect()
}

/// Resets VmHWM to the current RSS (Linux ≥ 4.0: "5" to clear_refs), so each input's peak is its own.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------------------------
// The corpus.
// ---------------------------------------------------------------------------------------------------------------

struct Case {
    name: String,
    /// The business whose importer reads it by path (and whose grid is built).
    business: &'static str,
    bytes: Vec<u8>,
}

fn case(name: impl Into<String>, business: &'static str, bytes: Vec<u8>) -> Case {
    Case {
        name: name.into(),
        business,
        bytes,
    }
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("crates")
        .join("sheets")
        .join("tests")
        .join("fixtures")
}

fn business_of(file: &str) -> &'static str {
    BUSINESSES
        .iter()
        .copied()
        .filter(|b| file.contains(b))
        // "seal" is inside "unseal": the longest match wins.
        .max_by_key(|b| b.len())
        .unwrap_or("base_adjustment")
}

/// The seeds: every fixture workbook, and our templates.
fn seeds() -> Vec<Case> {
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e != "py"))
        .collect();
    files.sort();
    for p in files {
        let name = p.file_name().expect("name").to_string_lossy().into_owned();
        out.push(case(
            name.clone(),
            business_of(&name),
            std::fs::read(&p).expect("read seed"),
        ));
    }
    // Our templates of the businesses without a template among the fixtures (the fixtures' ours_*_template.xlsx
    // are the others).
    let t = gjj_sheets::base_adjustment::TemplateOptions::default();
    let templates: [(&'static str, Vec<u8>); 2] = [
        (
            "loan_application",
            gjj_sheets::loan_application::template_bytes(&t).expect("template"),
        ),
        (
            "building",
            gjj_sheets::building::template_bytes(&t).expect("template"),
        ),
    ];
    for (b, bytes) in templates {
        out.push(case(format!("template_{b}"), b, bytes));
    }
    // What the fuzzers found (fuzz/seeds/sheet_bytes/regress-*): each must stay refused or read, within bounds.
    let found = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/sheet_bytes");
    let mut regress: Vec<PathBuf> = std::fs::read_dir(&found)
        .expect("fuzz seeds dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("regress-"))
        })
        .collect();
    regress.sort();
    for p in regress {
        let name = p.file_name().expect("name").to_string_lossy().into_owned();
        out.push(case(
            name,
            "base_adjustment",
            std::fs::read(&p).expect("read regression input"),
        ));
    }
    out
}

/// Seeds, their mutations, and the hostile inputs.
fn corpus() -> Vec<Case> {
    let seeds = seeds();
    let mut out = Vec::new();
    let mut rng = Lcg(0x5EED_F022);
    for (si, seed) in seeds.iter().enumerate() {
        out.push(case(
            format!("{}/seed", seed.name),
            seed.business,
            seed.bytes.clone(),
        ));
        byte_mutations(seed, &mut rng, &mut out);
        if let Some(entries) = unzip(&seed.bytes) {
            zip_mutations(si, seed, &entries, &mut rng, &mut out);
        }
    }
    hostile(&seeds, &mut out);
    out
}

/// Deterministic pseudo-random numbers (no rand dependency; the corpus is the same on every machine).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 17
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn byte_mutations(seed: &Case, rng: &mut Lcg, out: &mut Vec<Case>) {
    let b = &seed.bytes;
    if b.is_empty() {
        return;
    }
    // Byte flips: few (reach past the zip/CFB checks) and many.
    for (k, flips) in [1usize, 4, 64].into_iter().enumerate() {
        let mut m = b.clone();
        for _ in 0..flips {
            let i = rng.below(m.len());
            m[i] ^= 1 << rng.below(8);
        }
        out.push(case(format!("{}/flip{flips}-{k}", seed.name), seed.business, m));
    }
    // The first 512 bytes (format sniffing, zip local header, CFB header) zeroed or randomised.
    let mut m = b.clone();
    for x in m.iter_mut().take(512).skip(4) {
        *x = rng.next() as u8;
    }
    out.push(case(format!("{}/head-random", seed.name), seed.business, m));
    // Truncations: just after the magic, halfway, and the last bytes (zip: inside the end record).
    for cut in [5usize, b.len() / 2, b.len().saturating_sub(1)] {
        if cut < b.len() {
            out.push(case(
                format!("{}/truncate{cut}", seed.name),
                seed.business,
                b[..cut].to_vec(),
            ));
        }
    }
}

/// The sheet parts of a workbook (or the ODS content): what the mutations edit.
fn is_sheet_part(name: &str) -> bool {
    name.starts_with("xl/worksheets/") && name.ends_with(".xml") || name == "content.xml"
}

fn zip_mutations(si: usize, seed: &Case, entries: &[Entry], rng: &mut Lcg, out: &mut Vec<Case>) {
    let n = &seed.name;
    let b = seed.business;
    // Re-zipped unchanged (stored, not deflated): the baseline of the XML mutations.
    out.push(case(format!("{n}/restored"), b, zip_of(entries)));
    // Each entry removed in turn would be ~10 inputs per seed: two per seed, rotating through the entries.
    for k in 0..2 {
        let drop = (si * 2 + k) % entries.len();
        let kept: Vec<Entry> = entries
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != drop)
            .map(|(_, e)| e.clone())
            .collect();
        out.push(case(
            format!("{n}/without-{}", entries[drop].name),
            b,
            zip_of(&kept),
        ));
    }
    // Every sheet part removed at once; a sheet part duplicated (two entries of one name).
    let kept: Vec<Entry> = entries
        .iter()
        .filter(|e| !is_sheet_part(&e.name))
        .cloned()
        .collect();
    out.push(case(format!("{n}/without-sheets"), b, zip_of(&kept)));
    let mut dup = entries.to_vec();
    if let Some(s) = entries.iter().find(|e| is_sheet_part(&e.name)) {
        let mut other = s.clone();
        other.data = b"<worksheet/>".to_vec();
        dup.insert(0, other);
        dup.push(s.clone());
    }
    out.push(case(format!("{n}/duplicate-sheet-entry"), b, zip_of(&dup)));

    // Structure-aware XML edits inside the sheet part, rotating through the edits by seed.
    let Some(sheet_index) = entries.iter().position(|e| is_sheet_part(&e.name)) else {
        return;
    };
    let xml = String::from_utf8_lossy(&entries[sheet_index].data).into_owned();
    let edits: Vec<(&str, String)> = vec![
        ("refs-huge", replace_refs(&xml, |r| format!("{r}4294967296"))),
        ("refs-max", replace_refs(&xml, |_| "XFD1048576".to_owned())),
        ("refs-garbage", replace_refs(&xml, |_| "Z!Z".to_owned())),
        (
            "types-swapped",
            xml.replace("t=\"s\"", "t=\"e\"").replace("t=\"n\"", "t=\"s\""),
        ),
        ("shared-index-huge", replace_values(&xml, "99999999999")),
        ("values-nan", replace_values(&xml, "NaN")),
        ("values-huge", replace_values(&xml, "1e309")),
        ("rows-reversed", reverse_rows(&xml)),
        (
            "dimension-max",
            xml.replacen("<sheetData", "<dimension ref=\"A1:XFD1048576\"/><sheetData", 1),
        ),
        ("nesting-bomb", nest_in_first_cell(&xml, 100_000)),
        ("mangled-tags", mangle_tags(&xml, rng)),
    ];
    for (k, (what, edited)) in edits.into_iter().enumerate() {
        // Each seed gets four of the eleven edits (all eleven over the corpus).
        if (k + si) % 3 != 0 && k % 11 != si % 11 {
            continue;
        }
        let mut e = entries.to_vec();
        e[sheet_index].data = edited.into_bytes();
        out.push(case(format!("{n}/{what}"), b, zip_of(&e)));
    }
}

/// Every cell reference `r="B5"` rewritten by `f` (given the column letters).
fn replace_refs(xml: &str, f: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(at) = rest.find("<c r=\"") {
        let (head, tail) = rest.split_at(at + 6);
        out.push_str(head);
        let end = tail.find('"').unwrap_or(0);
        let letters: String = tail[..end]
            .chars()
            .take_while(char::is_ascii_alphabetic)
            .collect();
        out.push_str(&f(&letters));
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Every `<v>…</v>` value replaced.
fn replace_values(xml: &str, v: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(at) = rest.find("<v>") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        out.push_str(v);
        rest = &tail[tail.find("</v>").unwrap_or(0)..];
    }
    out.push_str(rest);
    out
}

/// The `<row …>…</row>` elements in reverse order (cells arrive bottom-up).
fn reverse_rows(xml: &str) -> String {
    let (Some(start), Some(end)) = (xml.find("<row"), xml.rfind("</row>")) else {
        return xml.to_owned();
    };
    let body = &xml[start..end + 6];
    let mut rows: Vec<&str> = body.split_inclusive("</row>").collect();
    rows.reverse();
    format!("{}{}{}", &xml[..start], rows.concat(), &xml[end + 6..])
}

/// `depth` nested elements inside the first cell (or the sheet data).
fn nest_in_first_cell(xml: &str, depth: usize) -> String {
    let at = xml
        .find("<v>")
        .or_else(|| xml.find("<sheetData>").map(|i| i + 11))
        .or_else(|| xml.find("<table:table-cell"))
        .unwrap_or(xml.len() / 2);
    format!(
        "{}{}{}{}",
        &xml[..at],
        "<x>".repeat(depth),
        "</x>".repeat(depth),
        &xml[at..]
    )
}

/// Stray end tags and unclosed cells before random tags, and the end cut off.
fn mangle_tags(xml: &str, rng: &mut Lcg) -> String {
    let mut s = xml.to_owned();
    for _ in 0..8 {
        let from = rng.below(s.len());
        // A '<' is ASCII: its position is a char boundary.
        let Some(i) = s.as_bytes()[from..]
            .iter()
            .position(|&b| b == b'<')
            .map(|k| from + k)
        else {
            continue;
        };
        if rng.below(2) == 0 {
            s.insert_str(i, "</row>");
        } else {
            s.insert_str(i, "<c r=\"A1\" t=\"s\"><v>");
        }
    }
    let cut = s.len() * 9 / 10;
    let cut = (cut..s.len()).find(|&i| s.is_char_boundary(i)).unwrap_or(s.len());
    s.truncate(cut);
    s
}

/// The fixed hostile inputs.
fn hostile(seeds: &[Case], out: &mut Vec<Case>) {
    let seed = |name: &str| {
        seeds
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("seed {name}"))
    };
    let ba = "base_adjustment";
    let xlsx = unzip(&seed("base_adjustment_openpyxl.xlsx").bytes).expect("xlsx seed");
    let with = |name: &str, data: Vec<u8>| -> Vec<u8> {
        let mut e: Vec<Entry> = xlsx.iter().filter(|e| e.name != name).cloned().collect();
        e.push(Entry::stored(name, data));
        zip_of(&e)
    };

    // Not workbooks, all named .xlsx.
    out.push(case("empty", ba, Vec::new()));
    out.push(case("one-byte", ba, b"P".to_vec()));
    out.push(case("zip-magic-only", ba, b"PK\x03\x04".to_vec()));
    out.push(case(
        "cfb-magic-only",
        ba,
        vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1],
    ));
    out.push(case(
        "csv-utf8-bom",
        ba,
        "\u{feff}序号,个人账号,姓名\n1,430000000001,张三\n"
            .as_bytes()
            .to_vec(),
    ));
    out.push(case(
        "csv-gbk",
        ba,
        vec![0xD0, 0xF2, 0xBA, 0xC5, b',', 0xD0, 0xD5, 0xC3, 0xFB, b'\n'],
    ));
    out.push(case(
        "pdf",
        ba,
        b"%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\ntrailer<<>>\n%%EOF".to_vec(),
    ));
    out.push(case(
        "html-as-xls",
        ba,
        b"<html><table><tr><td>1</td></tr></table></html>".to_vec(),
    ));
    out.push(case("utf16-odd", ba, vec![0xFF, 0xFE, b'<', 0, b'W', 0, b'o']));
    out.push(case("empty-zip", ba, zip_of(&[])));
    out.push(case(
        "docx-like-zip",
        ba,
        zip_of(&[Entry::stored("word/document.xml", b"<w:document/>".to_vec())]),
    ));

    // Zip bombs: 1 GiB of zeros as the sheet and as the shared strings; a 1 GiB cell text (valid XML);
    // a 1 GiB sheet whose entry says it is 1 KiB.
    const GIB: u64 = 1 << 30;
    out.push(case(
        "bomb-sheet-zeros",
        ba,
        with_raw(&xlsx, "xl/worksheets/sheet1.xml", b"", 0, GIB, b"", true),
    ));
    out.push(case(
        "bomb-shared-strings-zeros",
        ba,
        with_raw(&xlsx, "xl/sharedStrings.xml", b"", 0, GIB, b"", true),
    ));
    out.push(case(
        "bomb-cell-text",
        ba,
        with_raw(
            &xlsx,
            "xl/worksheets/sheet1.xml",
            b"<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>",
            b'A',
            GIB,
            b"</t></is></c></row></sheetData></worksheet>",
            true,
        ),
    ));
    out.push(case(
        "bomb-shared-string",
        ba,
        with_raw(
            &xlsx,
            "xl/sharedStrings.xml",
            b"<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" count=\"1\" uniqueCount=\"1\"><si><t>",
            b'A',
            GIB,
            b"</t></si></sst>",
            true,
        ),
    ));
    // Under the size cap, over the ratio: 200 MiB of zeros.
    out.push(case(
        "bomb-sheet-zeros-200mib",
        ba,
        with_raw(&xlsx, "xl/worksheets/sheet1.xml", b"", 0, 200 << 20, b"", true),
    ));
    // Within the limits, what costs an .xlsx reader the most memory: one huge cell text (8 MiB, stored: ratio
    // 1), which the XML parser, calamine and the header search each hold whole. Its peak RSS per MiB scales the
    // bound to a part of the largest size allowed (fuzz/README.md).
    let mut big = b"<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>".to_vec();
    big.resize(big.len() + (8 << 20), b'A');
    big.extend_from_slice(b"</t></is></c></row></sheetData></worksheet>");
    out.push(case(
        "big-cell-text-8mib",
        ba,
        with("xl/worksheets/sheet1.xml", big),
    ));
    out.push(case(
        "bomb-size-lies",
        ba,
        with_raw(&xlsx, "xl/worksheets/sheet1.xml", b"", 0, GIB, b"", false),
    ));

    // Shared strings: 100,000 entries (valid), and counts that lie.
    let mut sst = String::from(
        "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" count=\"100000\" uniqueCount=\"100000\">",
    );
    for i in 0..100_000 {
        sst.push_str(&format!("<si><t>字符串{i:06}</t></si>"));
    }
    sst.push_str("</sst>");
    out.push(case(
        "shared-strings-100k",
        ba,
        with("xl/sharedStrings.xml", sst.into_bytes()),
    ));
    for count in ["4294967295", "99999999999", "18446744073709551615", "-1"] {
        let sst = format!(
            "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" count=\"{count}\" uniqueCount=\"{count}\"><si><t>x</t></si></sst>"
        );
        out.push(case(
            format!("shared-strings-count-{count}"),
            ba,
            with("xl/sharedStrings.xml", sst.into_bytes()),
        ));
    }
    out.push(case(
        "shared-strings-nesting-bomb",
        ba,
        with(
            "xl/sharedStrings.xml",
            format!(
                "<sst><si>{}{}</si></sst>",
                "<r>".repeat(100_000),
                "</r>".repeat(100_000)
            )
            .into_bytes(),
        ),
    ));
    out.push(case(
        "workbook-nesting-bomb",
        ba,
        with(
            "xl/workbook.xml",
            format!(
                "<workbook><sheets>{}{}</sheets></workbook>",
                "<a>".repeat(100_000),
                "</a>".repeat(100_000)
            )
            .into_bytes(),
        ),
    ));

    // Wrong sheet types: the sheet declared as a chartsheet / dialogsheet / macrosheet, a chart as the sheet.
    let rels = String::from_utf8_lossy(
        &xlsx
            .iter()
            .find(|e| e.name == "xl/_rels/workbook.xml.rels")
            .expect("rels")
            .data,
    )
    .into_owned();
    for (what, ty) in [
        (
            "chartsheet",
            "http://schemas.openxmlformats.org/officeDocument/2006/relationships/chartsheet",
        ),
        (
            "dialogsheet",
            "http://schemas.openxmlformats.org/officeDocument/2006/relationships/dialogsheet",
        ),
        (
            "macrosheet",
            "http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet",
        ),
        (
            "image",
            "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image",
        ),
    ] {
        let r = rels.replace(
            "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet",
            ty,
        );
        out.push(case(
            format!("sheet-typed-{what}"),
            ba,
            with("xl/_rels/workbook.xml.rels", r.into_bytes()),
        ));
    }
    out.push(case(
        "sheet-is-a-chartsheet",
        ba,
        with(
            "xl/worksheets/sheet1.xml",
            b"<chartsheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetPr/><drawing r:id=\"rId1\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"/></chartsheet>".to_vec(),
        ),
    ));
    out.push(case(
        "sheet-is-binary",
        ba,
        with(
            "xl/worksheets/sheet1.xml",
            (0..4096u32).map(|i| (i * 7 % 251) as u8).collect(),
        ),
    ));
    out.push(case(
        "rels-target-outside",
        ba,
        with(
            "xl/_rels/workbook.xml.rels",
            rels.replace("worksheets/sheet1.xml", "../../../../etc/passwd")
                .into_bytes(),
        ),
    ));

    // .xls range bombs: one cell record moved to the last row and to column 255 / 65535.
    let xls = &seed("pitfalls_xlwt.xls").bytes;
    for (what, col) in [("last-row-col-255", 0x00FFu16), ("col-65535", 0xFFFF)] {
        if let Some(m) = move_xls_cell(xls, 0xFFFF, col) {
            out.push(case(format!("xls-range-{what}"), ba, m));
        }
    }

    // .xls: the directory's sector chain pointed back at itself (calamine followed it until memory ran out).
    if let Some(m) = loop_xls_directory(xls) {
        out.push(case("xls-directory-chain-loop", ba, m));
    }

    // .ods: a row repeated to the format's limit, a cell repeated across every column; 2 G spaces in a cell.
    let ods = unzip(&seed("pitfalls_libreoffice.ods").bytes).expect("ods seed");
    for (what, from, to) in [
        ("rows", "<table:table-row ", "<table:table-row table:number-rows-repeated=\"1048576\" "),
        (
            "cells",
            "<table:table-cell ",
            "<table:table-cell table:number-columns-repeated=\"16384\" ",
        ),
        (
            "both",
            "<table:table-row ",
            "<table:table-row table:number-rows-repeated=\"6000\" ><table:table-cell table:number-columns-repeated=\"16000\" office:value-type=\"float\" office:value=\"1\"/></table:table-row><table:table-row ",
        ),
        (
            "spaces",
            "<text:p>",
            "<text:p><text:s text:c=\"2000000000\"/>",
        ),
    ] {
        let mut e = ods.clone();
        if let Some(c) = e.iter_mut().find(|e| e.name == "content.xml") {
            c.data = String::from_utf8_lossy(&c.data).replacen(from, to, 1).into_bytes();
        }
        out.push(case(format!("ods-repeat-{what}"), ba, zip_of(&e)));
    }

    // SpreadsheetML 2003: indexes at the u32 limit, a header far to the right, merges across everything,
    // deep nesting, character references out of range, an unknown encoding.
    let ssml = |body: &str| -> Vec<u8> {
        format!(
            "<?xml version=\"1.0\"?><Workbook xmlns=\"urn:schemas-microsoft-com:office:spreadsheet\" xmlns:ss=\"urn:schemas-microsoft-com:office:spreadsheet\"><Worksheet ss:Name=\"S\"><Table>{body}</Table></Worksheet></Workbook>"
        )
        .into_bytes()
    };
    // The 基数调整 header (every column) and one valid data row.
    let header: String = gjj_domain::base_adjustment::col::ALL
        .iter()
        .map(|t| format!("<Cell><Data ss:Type=\"String\">{t}</Data></Cell>"))
        .collect();
    let data: String = [
        "1",
        "430000000001",
        "张三",
        "430405198803150011",
        "3000",
        "3500",
        "202607",
        "",
    ]
    .iter()
    .map(|v| format!("<Cell><Data ss:Type=\"String\">{v}</Data></Cell>"))
    .collect();
    out.push(case(
        "ssml-row-index-max",
        ba,
        ssml(&format!(
            "<Row>{header}</Row><Row ss:Index=\"4294967295\">{data}</Row><Row>{data}</Row>"
        )),
    ));
    out.push(case(
        "ssml-header-far-right",
        ba,
        ssml(&format!(
            "<Row><Cell ss:Index=\"4000000000\"/>{}</Row><Row><Cell ss:Index=\"4000000000\"/>{}</Row>",
            header.replacen("<Cell>", "<Cell ss:Index=\"4000000001\">", 1),
            data.replacen("<Cell>", "<Cell ss:Index=\"4000000001\">", 1)
        )),
    ));
    out.push(case(
        "ssml-merge-across-max",
        ba,
        ssml("<Row><Cell ss:MergeAcross=\"4294967295\"><Data ss:Type=\"String\">x</Data></Cell><Cell><Data ss:Type=\"String\">y</Data></Cell></Row>"),
    ));
    out.push(case(
        "ssml-nesting-bomb",
        ba,
        ssml(&format!(
            "<Row><Cell><Data ss:Type=\"String\">{}{}</Data></Cell></Row>",
            "<B>".repeat(100_000),
            "</B>".repeat(100_000)
        )),
    ));
    out.push(case(
        "ssml-char-refs",
        ba,
        ssml("<Row><Cell><Data ss:Type=\"String\">&#0;&#xFFFFFFFF;&#99999999999;&#xD800;&unknown;&amp</Data></Cell></Row>"),
    ));
    out.push(case(
        "ssml-unknown-encoding",
        ba,
        b"<?xml version=\"1.0\" encoding=\"x-no-such\"?><Workbook><Worksheet ss:Name=\"S\"/></Workbook>"
            .to_vec(),
    ));
    out.push(case(
        "ssml-row-numbers-backwards",
        ba,
        ssml(&format!(
            "<Row ss:Index=\"10\">{header}</Row><Row ss:Index=\"12\">{data}</Row><Row ss:Index=\"11\">{data}</Row><Row ss:Index=\"1\">{data}</Row>"
        )),
    ));
}

/// `xls` (a compound file) with the FAT entry of its directory's first sector pointing at that sector: a
/// directory chain without end.
fn loop_xls_directory(xls: &[u8]) -> Option<Vec<u8>> {
    let u32_at = |i: usize| {
        xls.get(i..i + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let sector = 1usize << xls.get(30..32).map(|b| u16::from_le_bytes([b[0], b[1]]))?;
    let dir_start = u32_at(48)?;
    let fat_sector = u32_at(76)? as usize;
    let at = (fat_sector + 1) * sector + dir_start as usize * 4;
    let mut m = xls.to_vec();
    m.get_mut(at..at + 4)?.copy_from_slice(&dir_start.to_le_bytes());
    Some(m)
}

/// `xls` with its first LABELSST/NUMBER/RK cell record moved to (`row`, `col`): a sheet whose used range spans
/// from that cell to the others.
fn move_xls_cell(xls: &[u8], row: u16, col: u16) -> Option<Vec<u8>> {
    // BIFF8 records: type u16, length u16, then for cell records row u16, col u16.
    let patterns: [[u8; 4]; 3] = [
        [0xFD, 0x00, 0x0A, 0x00],
        [0x03, 0x02, 0x0E, 0x00],
        [0x7E, 0x02, 0x0A, 0x00],
    ];
    let at = patterns
        .iter()
        .filter_map(|p| xls.windows(4).position(|w| w == p))
        .min()?;
    let mut m = xls.to_vec();
    m[at + 4..at + 6].copy_from_slice(&row.to_le_bytes());
    m[at + 6..at + 8].copy_from_slice(&col.to_le_bytes());
    Some(m)
}

// ---------------------------------------------------------------------------------------------------------------
// Zip: read entries with the zip crate; write our own (stored or raw deflate, sizes and names as we say).
// ---------------------------------------------------------------------------------------------------------------

#[derive(Clone)]
struct Entry {
    name: String,
    /// 0 stored, 8 deflate.
    method: u16,
    /// The entry's bytes as stored (compressed for deflate).
    data: Vec<u8>,
    crc: u32,
    /// Uncompressed size as declared (may lie).
    size: u64,
}

impl Entry {
    fn stored(name: &str, data: Vec<u8>) -> Entry {
        Entry {
            name: name.to_owned(),
            method: 0,
            crc: 0, // computed by `zip`
            size: data.len() as u64,
            data,
        }
    }
}

fn unzip(bytes: &[u8]) -> Option<Vec<Entry>> {
    let mut z = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let mut out = Vec::new();
    for i in 0..z.len() {
        let mut f = z.by_index(i).ok()?;
        let name = f.name().ok()?.into_owned();
        let mut data = Vec::new();
        f.read_to_end(&mut data).ok()?;
        out.push(Entry::stored(&name, data));
    }
    Some(out)
}

/// A zip of `entries`: stored ones get their CRC and size computed; raw deflate ones are written as given.
fn zip_of(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for e in entries {
        let (crc, size) = if e.method == 0 {
            (crc32(0, &e.data), e.data.len() as u64)
        } else {
            (e.crc, e.size)
        };
        let offset = out.len() as u32;
        let name = e.name.as_bytes();
        let fields = |out: &mut Vec<u8>| {
            out.extend_from_slice(&20u16.to_le_bytes()); // version needed
            out.extend_from_slice(&0u16.to_le_bytes()); // flags
            out.extend_from_slice(&e.method.to_le_bytes());
            out.extend_from_slice(&[0, 0, 0x21, 0]); // time, date (1980-01-01)
            out.extend_from_slice(&crc.to_le_bytes());
            out.extend_from_slice(&(e.data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(size as u32).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes()); // extra
        };
        out.extend_from_slice(b"PK\x03\x04");
        fields(&mut out);
        out.extend_from_slice(name);
        out.extend_from_slice(&e.data);
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&20u16.to_le_bytes()); // version made by
        fields(&mut central);
        central.extend_from_slice(&[0; 6]); // comment len, disk, internal attrs
        central.extend_from_slice(&0u32.to_le_bytes()); // external attrs
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name);
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06");
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// `entries` with `name` replaced by a raw deflate entry of `prefix`, `n` copies of `byte`, `suffix`; the size
/// is declared truthfully, or as 1 KiB when `honest` is false.
fn with_raw(
    entries: &[Entry],
    name: &str,
    prefix: &[u8],
    byte: u8,
    n: u64,
    suffix: &[u8],
    honest: bool,
) -> Vec<u8> {
    let data = deflate_run(prefix, byte, n, suffix);
    let crc = crc32_run(crc32(0, prefix), byte, n);
    let crc = crc32(crc, suffix);
    let size = prefix.len() as u64 + n + suffix.len() as u64;
    let mut e: Vec<Entry> = entries.iter().filter(|e| e.name != name).cloned().collect();
    e.push(Entry {
        name: name.to_owned(),
        method: 8,
        data,
        crc,
        size: if honest { size } else { 1024 },
    });
    zip_of(&e)
}

/// One fixed-Huffman deflate block: `prefix` and `suffix` as literals, the run as a literal and matches of 258
/// at distance 1 (13 bits per 258 bytes: 1 GiB in 6.8 MB).
fn deflate_run(prefix: &[u8], byte: u8, n: u64, suffix: &[u8]) -> Vec<u8> {
    let mut w = Bits::default();
    w.put(1, 1); // BFINAL
    w.put(1, 2); // BTYPE = 01, fixed Huffman
    for &b in prefix {
        w.literal(b);
    }
    if n > 0 {
        w.literal(byte);
        let mut left = n - 1;
        // Length symbol 285 (= 258, code 11000101) then distance code 0 (= 1, code 00000), bits reversed once.
        let bits = reversed(0b1100_0101, 8) | reversed(0, 5) << 8;
        while left >= 258 {
            w.put(bits, 13);
            left -= 258;
        }
        for _ in 0..left {
            w.literal(byte);
        }
    }
    for &b in suffix {
        w.literal(b);
    }
    w.huffman(0, 7); // end of block (256)
    w.finish()
}

#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    /// `count` bits of `value`, least significant first (header fields, extra bits).
    fn put(&mut self, value: u64, count: u32) {
        self.acc |= value << self.n;
        self.n += count;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code: most significant bit first.
    fn huffman(&mut self, code: u32, len: u32) {
        self.put(reversed(code, len), len);
    }

    fn literal(&mut self, b: u8) {
        if b < 144 {
            self.huffman(0x30 + u32::from(b), 8);
        } else {
            self.huffman(0x190 + u32::from(b - 144), 9);
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// The `len` low bits of `code` in reverse order (deflate writes Huffman codes most significant bit first).
fn reversed(code: u32, len: u32) -> u64 {
    (0..len).fold(0, |rev, i| rev | u64::from((code >> i) & 1) << (len - 1 - i))
}

fn crc32(crc: u32, data: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, e) in t.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    (c >> 1) ^ 0xEDB8_8320
                } else {
                    c >> 1
                };
            }
            *e = c;
        }
        t
    });
    let mut c = !crc;
    for &b in data {
        c = table[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8);
    }
    !c
}

/// CRC-32 of `crc`'s message followed by `n` copies of `byte`, in O(log n): runs of 2^k bytes are built by
/// doubling, joined with zlib's crc32_combine (GF(2) matrix powers).
fn crc32_run(crc: u32, byte: u8, n: u64) -> u32 {
    let mut result = crc;
    let mut chunk_crc = crc32(0, &[byte]);
    let mut chunk_len = 1u64;
    let mut left = n;
    while left > 0 {
        if left & 1 != 0 {
            result = crc32_combine(result, chunk_crc, chunk_len);
        }
        left >>= 1;
        if left > 0 {
            chunk_crc = crc32_combine(chunk_crc, chunk_crc, chunk_len);
            chunk_len *= 2;
        }
    }
    result
}

fn gf2_times(mat: &[u32; 32], mut vec: u32) -> u32 {
    let mut sum = 0;
    let mut i = 0;
    while vec != 0 {
        if vec & 1 != 0 {
            sum ^= mat[i];
        }
        vec >>= 1;
        i += 1;
    }
    sum
}

fn gf2_square(mat: &[u32; 32]) -> [u32; 32] {
    let mut sq = [0u32; 32];
    for (n, s) in sq.iter_mut().enumerate() {
        *s = gf2_times(mat, mat[n]);
    }
    sq
}

/// zlib's crc32_combine: the CRC of A‖B from CRC(A), CRC(B) and len(B).
fn crc32_combine(crc1: u32, crc2: u32, mut len2: u64) -> u32 {
    if len2 == 0 {
        return crc1;
    }
    let mut odd = [0u32; 32];
    odd[0] = 0xEDB8_8320;
    let mut row = 1u32;
    for o in odd.iter_mut().skip(1) {
        *o = row;
        row <<= 1;
    }
    let mut even = gf2_square(&odd);
    odd = gf2_square(&even);
    let mut crc1 = crc1;
    loop {
        even = gf2_square(&odd);
        if len2 & 1 != 0 {
            crc1 = gf2_times(&even, crc1);
        }
        len2 >>= 1;
        if len2 == 0 {
            break;
        }
        odd = gf2_square(&even);
        if len2 & 1 != 0 {
            crc1 = gf2_times(&odd, crc1);
        }
        len2 >>= 1;
        if len2 == 0 {
            break;
        }
    }
    crc1 ^ crc2
}

#[test]
fn the_zip_bomb_helpers_are_right() {
    // A small run through our deflate and CRC, read back by the zip crate.
    let z = with_raw(&[], "a.xml", b"<a>", b'A', 100_000, b"</a>", true);
    let entries = unzip(&z).expect("valid zip");
    let mut want = b"<a>".to_vec();
    want.extend(std::iter::repeat_n(b'A', 100_000));
    want.extend_from_slice(b"</a>");
    assert_eq!(entries[0].data, want);
    assert_eq!(crc32_run(0, 0, 1000), crc32(0, &[0u8; 1000]));
}
