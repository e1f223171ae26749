//! 补缴: the batch-import template and the importer that turns a filled workbook into
//! [`SupplementaryRow`]s plus cell [`Issue`]s. The rules (months, amounts, overlaps, 补缴原因)
//! are [`gjj_domain::supplementary::Checker`]'s, fed row by row from [`import_with`]'s callback.
//!
//! Template (REFERENCE §F1's recommended 补缴 template, in our conventions — see
//! [`crate::base_adjustment`]): title, red instructions, header, red 例 row, then 1,000
//! pre-formatted rows; 个人账号/证件号码/起止年月/补缴原因 are text cells, 补缴原因 has a
//! drop-down of "code label" entries.

use gjj_domain::issue::Issue;
use gjj_domain::supplementary::{col, SupplementaryRow, REASONS};

use crate::cell;
use crate::header::ColumnSpec;
use crate::import::{RowCells, RowCtx, RowKind};
use crate::layout::{self, Column, Kind, Layout};
use crate::layout::{is_totals_row, Builder};

pub use crate::layout::TemplateOptions;

/// The worksheet name of the template.
pub const SHEET_NAME: &str = "补缴";
/// The 0-based row index of the first data row (Excel row 5).
pub const FIRST_DATA_ROW: u32 = layout::FIRST_DATA_ROW;
/// Pre-formatted empty data rows below the example row.
pub const TEMPLATE_DATA_ROWS: u32 = layout::TEMPLATE_DATA_ROWS;

const COLUMNS: [Column; 11] = [
    layout::SEQ_COLUMN,
    layout::ACCOUNT_COLUMN,
    layout::NAME_COLUMN,
    layout::ID_NUMBER_COLUMN,
    Column {
        name: col::START,
        aliases: &["起始年月", "补缴开始年月", "开始年月", "补缴起始月份"],
        required: true,
        width: 12.0,
        kind: Kind::Month,
        example: "202607",
    },
    Column {
        name: col::END,
        aliases: &["终止年月", "补缴结束年月", "结束年月", "补缴终止月份"],
        required: true,
        width: 12.0,
        kind: Kind::Month,
        example: "202609",
    },
    Column {
        name: col::BASE,
        aliases: &["补缴基数", "个人缴存基数", "GRJCJS"],
        required: true,
        width: 14.0,
        kind: Kind::Money,
        example: "3000",
    },
    Column {
        name: col::UNIT_AMOUNT,
        aliases: &["单位补缴额", "单位月补缴额", "DWBJE"],
        required: true,
        width: 14.0,
        kind: Kind::Money,
        example: "360",
    },
    Column {
        name: col::PERSON_AMOUNT,
        aliases: &["个人补缴额", "个人月补缴额", "GRBJE"],
        required: true,
        width: 14.0,
        kind: Kind::Money,
        example: "360",
    },
    Column {
        name: col::REASON,
        aliases: &["补缴原因代码", "BJYY"],
        required: true,
        width: 18.0,
        kind: Kind::Code(&REASONS),
        example: "01 漏缴",
    },
    Column {
        name: col::REASON_TEXT,
        aliases: &["补缴原因说明", "备注", "说明"],
        required: false,
        width: 24.0,
        kind: Kind::General,
        example: "示例行，导入时自动跳过",
    },
];

fn layout() -> Layout {
    Layout {
        sheet: SHEET_NAME,
        title: "补缴清册（批量导入文件格式）",
        instructions: format!(
            "填写说明：1. 红色表头为必填列；2. 个人账号/证件号码/起止年月 列为文本格式，请勿改成数字；\
             3. 补缴只适用于单位已经汇缴过的月份：起止年月写 202607 这样的 6 位，不早于职工首次汇缴年月、\
             不晚于缴至年月，同一职工的同一月份只能补缴一次；4. 单位/个人月补缴额填每月金额（缴存基数 × 缴存比例），\
             不是多个月的合计；基数调整差额填调整前后基数之差；5. 补缴原因 从下拉列表选择，或填代码/名称：{}，\
             选 99 其他 时须填写原因说明；6. 红字“例”行为示例，导入时自动跳过，可保留或删除。",
            REASONS.describe()
        ),
        columns: &COLUMNS,
    }
}

layout::template_api!();

layout::import_api!(SupplementarySheet, SupplementaryRow, "补缴");

/// Column indexes into [`SupplementarySheet::COLUMNS`].
const SEQ: usize = 0;
const ACCOUNT: usize = 1;
const NAME: usize = 2;
const ID_NUMBER: usize = 3;
const START: usize = 4;
const END: usize = 5;
const BASE: usize = 6;
const UNIT_AMOUNT: usize = 7;
const PERSON_AMOUNT: usize = 8;
const REASON: usize = 9;
const REASON_TEXT: usize = 10;

/// The 补缴 row layout.
struct SupplementarySheet;

impl RowKind for SupplementarySheet {
    type Row = SupplementaryRow;

    /// Aliases: REFERENCE §F1 spellings and Bijie's JGJ/T 320-style field ids (§B3 BJXX).
    const COLUMNS: &'static [ColumnSpec] = &layout::specs(&COLUMNS);
    const HEADER_KEYS: &'static [usize] = &[ACCOUNT, START, END];
    const DATA_KEYS: &'static [usize] = &[
        ACCOUNT,
        NAME,
        ID_NUMBER,
        START,
        END,
        BASE,
        UNIT_AMOUNT,
        PERSON_AMOUNT,
    ];
    const SEQ: Option<usize> = Some(SEQ);
    const HEADER_HINT: &'static str = "“个人账号”“补缴起始年月”“补缴终止年月”";

    fn is_footer(cells: &RowCells<'_>) -> bool {
        is_totals_row(cells, &[ACCOUNT, ID_NUMBER], &[SEQ, NAME])
    }

    fn build(cells: &RowCells<'_>, ctx: &RowCtx, issues: &mut Vec<Issue>) -> Option<SupplementaryRow> {
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
        let start = b.required(START, |v, what, _| cell::month(v, what, ctx.date1904));
        let end = b.required(END, |v, what, _| cell::month(v, what, ctx.date1904));
        let base = b.required(BASE, |v, what, _| cell::money(v, what));
        let unit_amount = b.required(UNIT_AMOUNT, |v, what, _| cell::money(v, what));
        let person_amount = b.required(PERSON_AMOUNT, |v, what, _| cell::money(v, what));
        let reason = b.required(REASON, |v, what, _| cell::text(v, what));
        let reason_text = b.optional(REASON_TEXT, |v, what, _| cell::text(v, what));
        if b.failed {
            return None;
        }
        let mut row = SupplementaryRow {
            row: ctx.row,
            account: account?,
            name: name?,
            id_number: id_number?,
            start: start?,
            end: end?,
            base: base?,
            unit_amount: unit_amount?,
            person_amount: person_amount?,
            reason: reason?,
            reason_text,
        };
        // "01 漏缴" from the drop-down, or the label, becomes the code "01".
        row.normalize();
        Some(row)
    }
}
