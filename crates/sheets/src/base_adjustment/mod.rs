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

use gjj_domain::base_adjustment::{col, BaseAdjustmentRow};
use gjj_domain::issue::Issue;

use crate::cell;
use crate::header::ColumnSpec;
use crate::import::{RowCells, RowCtx, RowKind};
use crate::layout::{self, is_totals_row, Builder, Column, Kind, Layout};

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
    layout::EFFECTIVE_MONTH_COLUMN,
    layout::NOTE_COLUMN,
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

layout::import_api!(BaseAdjustment, BaseAdjustmentRow, "基数调整");

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
