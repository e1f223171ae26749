//! 缴存基数调整 (individual contribution-base adjustment): the batch-import template and the
//! importer that turns a filled workbook into [`BaseAdjustmentRow`]s plus cell [`Issue`]s.
//!
//! The importer reports only *cell-level* problems (empty required cell, an ID that Excel turned
//! into a number, an amount that is not a number …). Whether a row obeys the rules (ID checksum,
//! base limits, months, duplicates) is decided by [`gjj_domain::base_adjustment::Checker`], fed
//! row by row from [`import_with`]'s callback:
//!
//! ```no_run
//! # use gjj_sheets::base_adjustment;
//! # fn run(checker: &mut impl FnMut(&gjj_domain::base_adjustment::BaseAdjustmentRow,
//! #                                 &mut Vec<gjj_domain::issue::Issue>)) -> Result<(), gjj_sheets::SheetError> {
//! let mut issues = Vec::new();
//! let stats = base_adjustment::import_with("清册.xlsx", |row, issues| checker(&row, issues), &mut issues)?;
//! println!("{} 行数据，{} 个问题", stats.data_rows, issues.len());
//! # Ok(()) }
//! ```

use std::io::{BufReader, Read, Seek};
use std::path::Path;

use gjj_domain::base_adjustment::{col, BaseAdjustmentRow};
use gjj_domain::issue::Issue;

use crate::cell;
use crate::error::{file_label, SheetError};
use crate::header::ColumnSpec;
use crate::import::{self, ImportOptions, ImportStats, Imported, RowCells, RowCtx, RowKind};
use crate::layout::{self, aliases, is_totals_row, open, Builder, Column, Kind, Layout};

pub use crate::layout::{TemplateOptions, FIRST_DATA_ROW, TEMPLATE_DATA_ROWS};

/// The worksheet name of the template.
pub const SHEET_NAME: &str = "基数调整";

/// The template and the importer's columns, in template order (modelled on the Chengdu 缴存基数调整清册,
/// REFERENCE §A2/§F1). Aliases are spellings found in real centre templates; the example 证件号码 carries a
/// correct GB 11643 check digit.
const COLUMNS: [Column; 8] = [
    layout::SEQ_COLUMN,
    layout::ACCOUNT_COLUMN,
    layout::NAME_COLUMN,
    layout::ID_NUMBER_COLUMN,
    Column {
        name: col::OLD_BASE,
        aliases: &[
            "调整前缴存基数",
            "调整前基数",
            "原缴存基数",
            "原基数",
            "TZQGRJCJS",
        ],
        required: false,
        width: 16.0,
        kind: Kind::Money,
        example: "3000",
    },
    Column {
        name: col::NEW_BASE,
        aliases: &[
            "调整后缴存基数",
            "调整后基数",
            "新缴存基数",
            "新基数",
            "TZHGRJCJS",
        ],
        required: true,
        width: 16.0,
        kind: Kind::Money,
        example: "3500",
    },
    Column {
        name: col::EFFECTIVE_MONTH,
        aliases: aliases::EFFECTIVE_MONTH,
        required: true,
        width: 11.0,
        kind: Kind::Month,
        example: "202607",
    },
    Column {
        name: col::NOTE,
        aliases: aliases::NOTE,
        required: false,
        width: 24.0,
        kind: Kind::General,
        example: "示例行，导入时自动跳过",
    },
];

fn layout() -> Layout {
    Layout {
        sheet: SHEET_NAME,
        title: "缴存基数调整清册（批量导入文件格式）",
        instructions: "填写说明：1. 红色表头为必填列；2. 证件号码/个人账号/生效年月 列为文本格式，请勿改成数字\
（18 位证件号码存成数字后最后几位会变成 0）；3. 生效年月 写 202607 这样的 6 位；4. 金额单位为元，最多两位小数；\
5. 红字“例”行为示例，导入时自动跳过，可保留或删除。"
            .to_owned(),
        columns: &COLUMNS,
    }
}

layout::template_api!();

/// Reads a 基数调整 workbook and returns every clean row, every issue and the data-row count.
///
/// Holds all rows in memory; for large files prefer [`import_with`], which streams.
pub fn import(path: impl AsRef<Path>) -> Result<Imported<BaseAdjustmentRow>, SheetError> {
    let mut rows = Vec::new();
    let mut issues = Vec::new();
    let stats = import_with(path, |row, _| rows.push(row), &mut issues)?;
    Ok(Imported {
        rows,
        issues,
        data_rows: stats.data_rows,
    })
}

/// Streams a 基数调整 workbook: `on_row` receives each row that has no cell problem, in sheet
/// order, together with the issue list (so a checker can append its own issues in row order).
/// Cell problems and sheet-level problems are pushed to `issues`.
///
/// Memory does not grow with the number of rows for `.xlsx` and SpreadsheetML files (see the
/// crate README). Returns `Err` only when the file cannot be read at all; if that happens part
/// way through (a damaged file), rows already delivered must be discarded by the caller.
pub fn import_with<F>(
    path: impl AsRef<Path>,
    on_row: F,
    issues: &mut Vec<Issue>,
) -> Result<ImportStats, SheetError>
where
    F: FnMut(BaseAdjustmentRow, &mut Vec<Issue>),
{
    import_with_options(path, &ImportOptions::default(), on_row, issues)
}

/// The raw cells of every data row of a 缴存基数调整 workbook, for a grid that shows and edits them.
pub fn read_grid(path: impl AsRef<Path>) -> Result<crate::Grid, SheetError> {
    crate::layout::grid_path::<BaseAdjustment>(path.as_ref())
}

/// [`import_with`] with explicit [`ImportOptions`] (e.g. a different row cap).
pub fn import_with_options<F>(
    path: impl AsRef<Path>,
    opts: &ImportOptions,
    on_row: F,
    issues: &mut Vec<Issue>,
) -> Result<ImportStats, SheetError>
where
    F: FnMut(BaseAdjustmentRow, &mut Vec<Issue>),
{
    let path = path.as_ref();
    let label = file_label(path);
    let file = open(path, &label)?;
    // The same 8 KiB buffer calamine's own `open_workbook` uses.
    let reader = BufReader::new(file);
    import::run::<BaseAdjustment, _, _>(reader, &label, opts, on_row, issues)
}

/// [`import_with_options`] over any seekable reader, e.g. `Cursor<&[u8]>` for an upload the
/// gateway holds in memory. `file_name` is only used in error messages. The reader is moved to
/// the reading thread (see the crate README), hence `Send`.
pub fn import_reader<R, F>(
    reader: R,
    file_name: &str,
    opts: &ImportOptions,
    on_row: F,
    issues: &mut Vec<Issue>,
) -> Result<ImportStats, SheetError>
where
    R: Read + Seek + Send,
    F: FnMut(BaseAdjustmentRow, &mut Vec<Issue>),
{
    import::run::<BaseAdjustment, _, _>(reader, file_name, opts, on_row, issues)
}

/// Column indexes into [`BaseAdjustment::COLUMNS`].
const SEQ: usize = 0;
const ACCOUNT: usize = 1;
const NAME: usize = 2;
const ID_NUMBER: usize = 3;
const OLD_BASE: usize = 4;
const NEW_BASE: usize = 5;
const EFFECTIVE_MONTH: usize = 6;
const NOTE: usize = 7;

/// The 基数调整 row layout.
struct BaseAdjustment;

impl RowKind for BaseAdjustment {
    type Row = BaseAdjustmentRow;

    /// Template order. Aliases are spellings found in real centre templates (REFERENCE §A2:
    /// Chengdu 个人客户号/职工姓名/执行时间; §F1: Bijie 调整前/后缴存基数).
    const COLUMNS: &'static [ColumnSpec] = &layout::specs(&COLUMNS);
    const HEADER_KEYS: &'static [usize] = &[ACCOUNT, ID_NUMBER, NEW_BASE];
    const DATA_KEYS: &'static [usize] = &[ACCOUNT, NAME, ID_NUMBER, NEW_BASE, EFFECTIVE_MONTH];
    const SEQ: Option<usize> = Some(SEQ);
    const HEADER_HINT: &'static str = "“个人账号”“证件号码”“调整后基数（元）”";

    /// "合计/总计/小计" in 序号 or 姓名 with no account and no ID: a totals row.
    fn is_footer(cells: &RowCells<'_>) -> bool {
        is_totals_row(cells, &[ACCOUNT, ID_NUMBER], &[SEQ, NAME])
    }

    fn build(cells: &RowCells<'_>, ctx: &RowCtx, issues: &mut Vec<Issue>) -> Option<BaseAdjustmentRow> {
        let mut b = Builder {
            columns: Self::COLUMNS,
            cells,
            ctx,
            issues,
            failed: false,
        };
        let account = b.required(ACCOUNT, cell::account);
        let name = b.required(NAME, |v, what, _| cell::name(v, what));
        let id_number = b.required(ID_NUMBER, cell::id_number);
        let old_base = b.optional(OLD_BASE, |v, what, _| cell::money(v, what));
        let new_base = b.required(NEW_BASE, |v, what, _| cell::money(v, what));
        let effective_month = b.required(EFFECTIVE_MONTH, |v, what, _| cell::month(v, what, ctx.date1904));
        let note = b.optional(NOTE, |v, what, _| cell::text(v, what));
        if b.failed {
            return None;
        }
        Some(BaseAdjustmentRow {
            row: ctx.row,
            account: account?,
            name: name?,
            id_number: id_number?,
            old_base,
            new_base: new_base?,
            effective_month: effective_month?,
            note,
        })
    }
}
