//! Every batch importer, chosen by a byte.

use std::io::Cursor;
use std::path::PathBuf;
use std::sync::OnceLock;

use gjj_sheets::ImportOptions;

/// Every batch business with an importer (`gjj_sheets::read_grid`'s codes).
pub const BUSINESSES: [&str; 9] = [
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

/// The business `which` picks.
pub fn business(which: u8) -> &'static str {
    BUSINESSES[usize::from(which) % BUSINESSES.len()]
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
            _ => {
                use gjj_sheets::building as $m;
                $body
            }
        }
    };
}

/// Panics raised inside calamine (count since start): `gjj_sheets` turns them into `SHEET_UNREADABLE`
/// (`limits::guarded`), so they are contained, not crashes of the importer.
pub static CALAMINE_PANICS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// libfuzzer-sys aborts on every panic, caught or not. A panic inside calamine is caught by the importer and
/// becomes an unreadable-file error, so it is let through to that catch (and counted); any other panic still
/// aborts the run as a crash.
fn contain_calamine_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let fuzzer_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_calamine = info.location().is_some_and(|l| l.file().contains("/calamine-"));
            if in_calamine {
                CALAMINE_PANICS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            } else {
                fuzzer_hook(info);
            }
        }));
    });
}

/// Reads `bytes` with the importer of business `which`: rows or a `SheetError` with a stable code; anything else
/// (a panic, another code, an abort) is a finding.
pub fn import(which: u8, bytes: &[u8]) {
    contain_calamine_panics();
    let opts = ImportOptions::default();
    let mut issues = Vec::new();
    let mut rows = 0usize;
    let result = with_module!(business(which), m => m::import_reader(Cursor::new(bytes), "fuzz.xlsx", &opts, |_, _| rows += 1, &mut issues));
    match result {
        Ok(stats) => assert!(
            rows as u64 <= u64::from(stats.data_rows),
            "more rows delivered than seen"
        ),
        Err(e) => {
            assert!(
                crate::SHEET_CODES.contains(&e.code()),
                "unknown error code {}",
                e.code()
            );
            assert!(!e.to_string().is_empty());
        }
    }
}

/// The desktop grid of `bytes` for business `which` (through a file: the grid is read from a path).
pub fn grid(which: u8, bytes: &[u8]) {
    contain_calamine_panics();
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    let path = PATH.get_or_init(|| {
        let dir = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        // Files left by earlier runs (their processes are gone).
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if let Some(pid) = name
                    .strip_prefix("gjj-fuzz-grid-")
                    .and_then(|n| n.strip_suffix(".xlsx"))
                {
                    if !std::path::Path::new("/proc").join(pid).exists() {
                        let _ = std::fs::remove_file(e.path());
                    }
                }
            }
        }
        dir.join(format!("gjj-fuzz-grid-{}.xlsx", std::process::id()))
    });
    if std::fs::write(path, bytes).is_err() {
        return;
    }
    match gjj_sheets::read_grid(business(which), path) {
        Some(Ok(grid)) => {
            for i in 0..grid.len() {
                let row = grid.row(i).expect("a row of the grid");
                assert_eq!(row.cells.len(), grid.columns.len());
            }
        }
        Some(Err(e)) => assert!(
            crate::SHEET_CODES.contains(&e.code()),
            "unknown error code {}",
            e.code()
        ),
        None => panic!("read_grid does not know {}", business(which)),
    }
}

/// Every column title and alias-worthy text of every business's template (a dictionary for structure-aware
/// workbooks: a header row the importer recognises reaches its row conversion).
pub fn titles() -> &'static [String] {
    static TITLES: OnceLock<Vec<String>> = OnceLock::new();
    TITLES.get_or_init(|| {
        let t = gjj_sheets::base_adjustment::TemplateOptions::default();
        let templates = [
            ("base_adjustment", gjj_sheets::base_adjustment::template_bytes(&t)),
            (
                "contributor_registration",
                gjj_sheets::contributor_registration::template_bytes(&t),
            ),
            (
                "contributor_change",
                gjj_sheets::contributor_change::template_bytes(&t),
            ),
            ("seal", gjj_sheets::seal::template_bytes(&t)),
            ("unseal", gjj_sheets::unseal::template_bytes(&t)),
            ("supplementary", gjj_sheets::supplementary::template_bytes(&t)),
            (
                "loan_application",
                gjj_sheets::loan_application::template_bytes(&t),
            ),
            ("building", gjj_sheets::building::template_bytes(&t)),
            (
                "remittance",
                Ok(include_bytes!("../../crates/sheets/tests/fixtures/remittance_openpyxl.xlsx").to_vec()),
            ),
        ];
        let path = std::env::temp_dir().join(format!("gjj-fuzz-titles-{}.xlsx", std::process::id()));
        let mut out: Vec<String> = Vec::new();
        for (business, bytes) in templates {
            let Ok(bytes) = bytes else { continue };
            if std::fs::write(&path, bytes).is_err() {
                continue;
            }
            if let Some(Ok(grid)) = gjj_sheets::read_grid(business, &path) {
                out.extend(grid.columns);
            }
        }
        let _ = std::fs::remove_file(&path);
        out.sort();
        out.dedup();
        out
    })
}
