//! gjj-sheets: the Excel side of batch businesses — templates written with rust_xlsxwriter and
//! streaming importers (calamine) that turn a unit's workbook into typed rows plus typed cell
//! problems.
//!
//! Architecture invariants:
//! - **Parsing never fails.** An import returns rows *and* [`Issue`](gjj_domain::issue::Issue)s;
//!   [`SheetError`] is only for a file that cannot be read at all (missing, encrypted, not a
//!   workbook, damaged).
//! - **Cells, not rules.** This crate decides what a cell *says* (text, amount, month) and
//!   reports cells that cannot say it. Whether a row is acceptable (ID checksum, base limits,
//!   duplicates) is `gjj_domain`'s job; importers feed its checker row by row.
//! - **Streaming.** `.xlsx` and SpreadsheetML files are read cell by cell and rows are handed
//!   to a callback as they complete, so a 100,000-row file is never held in memory.
//! - **Content, not file names.** The format is detected from the first bytes.
//!
//! The public interface is:
//! - [`base_adjustment`]: the 缴存基数调整 template and importer.
//! - [`contributor_registration`]: the 缴存人登记 template and importer.
//! - [`contributor_change`]: the 缴存人信息变更 template and importer.
//! - [`seal`], [`unseal`]: the 个人封存 / 个人启封 templates and importers.
//! - [`remittance`]: the centre's 汇缴清册 writer and its importer; [`supplementary`]: the 补缴
//!   template and importer.
//! - [`building`]: the 楼栋录入 户 list template and importer.
//! - [`loan_application`]: the 贷款申请 (one row per applicant) template and importer.
//! - [`Grid`], [`read_grid`], [`write_grid`], [`write_issues`]: the sheet as the desktop grid shows and edits
//!   it, written back through the same importer; the issue list as a workbook.
//! - [`SheetError`], [`Imported`], [`ImportStats`], [`ImportOptions`], [`WorkbookFormat`],
//!   [`MAX_ROWS`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod base_adjustment;
pub mod building;
pub mod contributor_change;
pub mod contributor_registration;
pub mod loan_application;
pub mod remittance;
pub mod seal;
pub mod supplementary;
pub mod unseal;

mod cell;
mod error;
mod grid;
mod header;
mod import;
mod layout;
mod limits;
mod source;
mod spreadsheetml;
mod value;

pub use error::{save_failed, save_workbook, SheetError};
pub use grid::{read_grid, write_grid, write_issues, Grid, GridRow};
pub use import::{
    Alongside, Drain, ImportOptions, ImportStats, Imported, DRAIN_AT, HEADER_SEARCH_ROWS, MAX_ROWS,
};
pub use layout::Prefill;
pub use value::{CellKind, WorkbookFormat};
