//! 个人封存: the batch-import template and the importer that turns a filled workbook into
//! [`SealRow`]s plus cell [`Issue`]s. The rules (identity, 生效年月, 封存原因) are
//! [`gjj_domain::seal::Checker`]'s, fed row by row from [`import_with`]'s callback.
//!
//! Template (the Chengdu 封存清册, REFERENCE §A3, in our conventions — see
//! [`crate::base_adjustment`]): title, red instructions, header, red 例 row, then 1,000
//! pre-formatted rows; 个人账号/证件号码/生效年月/封存原因 are text cells, 封存原因 has a
//! drop-down of "code label" entries.

use gjj_domain::issue::Issue;
use gjj_domain::seal::{col, SealRow, SEAL_REASONS};

use crate::cell;
use crate::header::ColumnSpec;
use crate::import::{RowCells, RowCtx, RowKind};
use crate::layout::{self, Column, Kind, Layout};
use crate::layout::{aliases, is_totals_row, Builder};

pub use crate::layout::TemplateOptions;

/// The worksheet name of the template.
pub const SHEET_NAME: &str = "个人封存";
/// The 0-based row index of the first data row (Excel row 5).
pub const FIRST_DATA_ROW: u32 = layout::FIRST_DATA_ROW;
/// Pre-formatted empty data rows below the example row.
pub const TEMPLATE_DATA_ROWS: u32 = layout::TEMPLATE_DATA_ROWS;

const COLUMNS: [Column; 7] = [
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
        name: col::REASON,
        aliases: &["封存原因代码", "FCYY"],
        required: true,
        width: 26.0,
        kind: Kind::Code(&SEAL_REASONS),
        example: "1 保留劳动关系停发工资",
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
        title: "个人封存清册（批量导入文件格式）",
        instructions: format!(
            "填写说明：1. 红色表头为必填列；2. 个人账号/证件号码/生效年月 列为文本格式，请勿改成数字\
             （18 位证件号码存成数字后最后几位会变成 0）；3. 生效年月 为开始封存的月份，写 202607 这样的 6 位，\
             不早于单位应汇缴年月、不晚于本月；4. 封存原因 从下拉列表选择，或填代码/名称：{}；\
             5. 只有“正常”缴存状态的职工可以封存；6. 红字“例”行为示例，导入时自动跳过，可保留或删除。",
            SEAL_REASONS.describe()
        ),
        columns: &COLUMNS,
    }
}

layout::template_api!();

layout::import_api!(SealSheet, SealRow, "封存");

/// Column indexes into [`SealSheet::COLUMNS`].
const SEQ: usize = 0;
const ACCOUNT: usize = 1;
const NAME: usize = 2;
const ID_NUMBER: usize = 3;
const EFFECTIVE_MONTH: usize = 4;
const REASON: usize = 5;
const NOTE: usize = 6;

/// The 封存 row layout.
struct SealSheet;

impl RowKind for SealSheet {
    type Row = SealRow;

    const COLUMNS: &'static [ColumnSpec] = &layout::specs(&COLUMNS);
    // Not 证件号码: a Chengdu 封存清册 has none, and "表头缺少证件号码列" is the useful answer
    // for it, not "找不到表头".
    const HEADER_KEYS: &'static [usize] = &[ACCOUNT, REASON];
    const DATA_KEYS: &'static [usize] = &[ACCOUNT, NAME, ID_NUMBER, EFFECTIVE_MONTH, REASON];
    const SEQ: Option<usize> = Some(SEQ);
    const HEADER_HINT: &'static str = "“个人账号”“封存原因”";

    fn is_footer(cells: &RowCells<'_>) -> bool {
        is_totals_row(cells, &[ACCOUNT, ID_NUMBER], &[SEQ, NAME])
    }

    fn build(cells: &RowCells<'_>, ctx: &RowCtx, issues: &mut Vec<Issue>) -> Option<SealRow> {
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
        let reason = b.required(REASON, |v, what, _| cell::text(v, what));
        let note = b.optional(NOTE, |v, what, _| cell::text(v, what));
        if b.failed {
            return None;
        }
        let mut row = SealRow {
            row: ctx.row,
            account: account?,
            name: name?,
            id_number: id_number?,
            effective_month: effective_month?,
            reason: reason?,
            note,
        };
        // "1 保留劳动关系停发工资" from the drop-down, or the label, becomes the code "1".
        row.normalize();
        Some(row)
    }
}
