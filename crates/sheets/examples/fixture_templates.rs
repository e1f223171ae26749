//! Writes the committed inputs of `tests/fixtures/make_roundtrips.py`: our own empty templates, exactly as
//! the writers of this crate produce them today, for openpyxl and LibreOffice to fill and convert.
//!
//! ```text
//! cargo run -p gjj-sheets --example fixture_templates            # writes into crates/sheets/tests/fixtures
//! cargo run -p gjj-sheets --example fixture_templates -- DIR     # or into DIR
//! ```
//!
//! `tests/roundtrips.rs` (`*_committed_input_matches_our_writer`) fails when a committed file no longer reads
//! like what the writer produces; run this, then the Python script, and commit all of them.

use std::path::PathBuf;
use std::process::ExitCode;

use gjj_sheets::base_adjustment::TemplateOptions;
use gjj_sheets::{base_adjustment, contributor_change, contributor_registration, seal, unseal, SheetError};

/// The centre name every round-trip fixture is written with (the same in `tests/roundtrips.rs`).
const CENTRE: &str = "衡阳市住房公积金管理中心";

type Writer = fn(&std::path::Path, &TemplateOptions) -> Result<(), SheetError>;

fn main() -> ExitCode {
    let dir = std::env::args_os().nth(1).map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"),
        PathBuf::from,
    );
    let opts = TemplateOptions {
        centre_name: CENTRE.to_owned(),
    };
    let writers: [(&str, Writer); 5] = [
        ("ours_base_adjustment_template.xlsx", |p, o| {
            base_adjustment::write_template(p, o)
        }),
        ("ours_contributor_registration_template.xlsx", |p, o| {
            contributor_registration::write_template(p, o)
        }),
        ("ours_seal_template.xlsx", |p, o| seal::write_template(p, o)),
        ("ours_unseal_template.xlsx", |p, o| unseal::write_template(p, o)),
        ("ours_contributor_change_template.xlsx", |p, o| {
            contributor_change::write_template(p, o)
        }),
    ];
    for (name, write) in writers {
        let path = dir.join(name);
        if let Err(e) = write(&path, &opts) {
            eprintln!("{}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("{}", path.display());
    }
    ExitCode::SUCCESS
}
