//! 个人启封: the batch-import template and the importer that turns a filled workbook into
//! [`UnsealRow`]s plus cell [`Issue`]s. The rules (identity, 生效年月, 启封后缴存基数,
//! 启封原因) are [`gjj_domain::unseal::Checker`]'s, fed row by row from [`import_with`]'s
//! callback.
//!
//! Template (the Chengdu 启封清册, REFERENCE §A4, in our conventions — see
//! [`crate::base_adjustment`]): title, red instructions, header, red 例 row, then 1,000
//! pre-formatted rows; 个人账号/证件号码/生效年月/启封原因 are text cells, 启封后缴存基数 a
//! `0.00` amount, 启封原因 has a drop-down of "code label" entries.

use gjj_domain::issue::Issue;
use gjj_domain::unseal::{col, UnsealRow, UNSEAL_REASONS};

use crate::cell;
use crate::header::ColumnSpec;
use crate::import::{RowCells, RowCtx, RowKind};
use crate::layout::{self, Column, Kind, Layout};
use crate::layout::{aliases, is_totals_row, Builder};

pub use crate::layout::TemplateOptions;

/// The worksheet name of the template.
pub const SHEET_NAME: &str = "个人启封";
/// The 0-based row index of the first data row (Excel row 5).
pub const FIRST_DATA_ROW: u32 = layout::FIRST_DATA_ROW;
/// Pre-formatted empty data rows below the example row.
pub const TEMPLATE_DATA_ROWS: u32 = layout::TEMPLATE_DATA_ROWS;

const COLUMNS: [Column; 8] = [
    layout::SEQ_COLUMN,
    layout::ACCOUNT_COLUMN,
    layout::NAME_COLUMN,
    layout::ID_NUMBER_COLUMN,
    Column {
        name: col::EFFECTIVE_MONTH,
        aliases: aliases::EFFECTIVE_MONTH,
        required: true,
        width: 11.0,
        kind: Kind::Month,
        example: "202607",
    },
    Column {
        name: col::NEW_BASE,
        aliases: &["启封后缴存基数", "启封后基数", "缴存基数", "GRJCJS"],
        required: true,
        width: 16.0,
        kind: Kind::Money,
        example: "3500",
    },
    Column {
        name: col::REASON,
        aliases: &["启封原因代码", "QFYY"],
        required: true,
        width: 16.0,
        kind: Kind::Code(&UNSEAL_REASONS),
        example: "1 正常",
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
        title: "个人启封清册（批量导入文件格式）",
        instructions: format!(
            "填写说明：1. 红色表头为必填列；2. 个人账号/证件号码/生效年月 列为文本格式，请勿改成数字\
             （18 位证件号码存成数字后最后几位会变成 0）；3. 生效年月 为恢复缴存的月份，写 202607 这样的 6 位，\
             不早于单位应汇缴年月、不晚于本月；4. 启封后缴存基数 每名职工都要填写，单位为元，最多两位小数，\
             须在本年度缴存基数上下限之内；5. 启封原因 从下拉列表选择，或填代码/名称：{}；\
             6. 只有“封存”状态的职工可以启封；7. 红字“例”行为示例，导入时自动跳过，可保留或删除。",
            UNSEAL_REASONS.describe()
        ),
        columns: &COLUMNS,
    }
}

layout::template_api!();

layout::import_api!(UnsealSheet, UnsealRow, "启封");

/// Column indexes into [`UnsealSheet::COLUMNS`].
const SEQ: usize = 0;
const ACCOUNT: usize = 1;
const NAME: usize = 2;
const ID_NUMBER: usize = 3;
const EFFECTIVE_MONTH: usize = 4;
const NEW_BASE: usize = 5;
const REASON: usize = 6;
const NOTE: usize = 7;

/// The 启封 row layout.
struct UnsealSheet;

impl RowKind for UnsealSheet {
    type Row = UnsealRow;

    const COLUMNS: &'static [ColumnSpec] = &layout::specs(&COLUMNS);
    // Not 证件号码: a Chengdu 启封清册 has none, and "表头缺少证件号码列" is the useful answer
    // for it, not "找不到表头".
    const HEADER_KEYS: &'static [usize] = &[ACCOUNT, NEW_BASE, REASON];
    const DATA_KEYS: &'static [usize] = &[ACCOUNT, NAME, ID_NUMBER, EFFECTIVE_MONTH, NEW_BASE, REASON];
    const SEQ: Option<usize> = Some(SEQ);
    const HEADER_HINT: &'static str = "“个人账号”“启封后缴存基数（元）”“启封原因”";

    fn is_footer(cells: &RowCells<'_>) -> bool {
        is_totals_row(cells, &[ACCOUNT, ID_NUMBER], &[SEQ, NAME])
    }

    fn build(cells: &RowCells<'_>, ctx: &RowCtx, issues: &mut Vec<Issue>) -> Option<UnsealRow> {
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
        let effective_month = b.required(EFFECTIVE_MONTH, |v, what, _| cell::month(v, what, ctx.date1904));
        let new_base = b.required(NEW_BASE, |v, what, _| cell::money(v, what));
        let reason = b.required(REASON, |v, what, _| cell::text(v, what));
        let note = b.optional(NOTE, |v, what, _| cell::text(v, what));
        if b.failed {
            return None;
        }
        let mut row = UnsealRow {
            row: ctx.row,
            account: account?,
            name: name?,
            id_number: id_number?,
            effective_month: effective_month?,
            new_base: new_base?,
            reason: reason?,
            note,
        };
        // "2 错误封存" from the drop-down, or the label, becomes the code "2".
        row.normalize();
        Some(row)
    }
}
