//! 个人封存 and 个人启封: one layout with a direction. Both sheets name the people whose account status changes
//! (序号, 个人账号, 姓名, 证件号码, 生效年月), a reason from the direction's code table and a 备注; a 启封 also asks
//! the base the account resumes at. The [`Direction`] says only what differs; the template, the header search,
//! the cell conversion and the row building are one. The rules are
//! [`gjj_domain::seal::StatusChecker`]'s, fed row by row from `import_with`'s callback.
//!
//! Template (the Chengdu 封存清册 / 启封清册, REFERENCE §A3/§A4, in our conventions — see
//! [`crate::base_adjustment`]): title, red instructions, header, red 例 row, then 1,000 pre-formatted rows;
//! 个人账号/证件号码/生效年月/原因 are text cells, 启封后缴存基数 a `0.00` amount, the reason has a drop-down of
//! "code label" entries.

use std::marker::PhantomData;

use gjj_domain::issue::Issue;
use gjj_domain::money::Fen;
use gjj_domain::month::Month;
use gjj_domain::seal::{col, SealRow, SEAL_REASONS};

use crate::cell;
use crate::header::ColumnSpec;
use crate::import::{RowCells, RowCtx, RowKind};
use crate::layout::{self, Column, Kind, Layout};
use crate::layout::{is_totals_row, Builder};

pub use crate::layout::TemplateOptions;

/// The worksheet name of the 封存 template.
pub const SHEET_NAME: &str = "个人封存";
/// The 0-based row index of the first data row (Excel row 5).
pub const FIRST_DATA_ROW: u32 = layout::FIRST_DATA_ROW;
/// Pre-formatted empty data rows below the example row.
pub const TEMPLATE_DATA_ROWS: u32 = layout::TEMPLATE_DATA_ROWS;

/// The people columns both directions start with (indexes below).
const SEQ: usize = 0;
const ACCOUNT: usize = 1;
const NAME: usize = 2;
const ID_NUMBER: usize = 3;
const EFFECTIVE_MONTH: usize = 4;

/// One row's cells, converted.
pub(crate) struct StatusCells {
    pub row: u32,
    pub account: String,
    pub name: String,
    pub id_number: String,
    pub effective_month: Month,
    pub new_base: Option<Fen>,
    pub reason: String,
    pub note: Option<String>,
}

/// What a direction adds to the shared layout. Its columns are the people columns, then 启封后缴存基数 when
/// [`Direction::HAS_BASE`], then the reason, then 备注.
pub(crate) trait Direction: 'static {
    /// The typed row.
    type Row;
    /// Worksheet name.
    const SHEET_NAME: &'static str;
    /// Title after the centre's name.
    const TITLE: &'static str;
    /// The columns in template order.
    const COLUMNS: &'static [Column];
    /// The same, as the importer sees them.
    const SPECS: &'static [ColumnSpec];
    /// Whether a base is asked (启封).
    const HAS_BASE: bool;
    /// What to call the header keys when no header is found.
    const HEADER_HINT: &'static str;
    /// The red instructions.
    fn instructions() -> String;
    /// The typed row from its cells (the reason normalised to its code).
    fn row(cells: StatusCells) -> Self::Row;
}

const fn reason_index(has_base: bool) -> usize {
    if has_base {
        EFFECTIVE_MONTH + 2
    } else {
        EFFECTIVE_MONTH + 1
    }
}

/// The template of a direction.
pub(crate) fn layout_of<D: Direction>() -> Layout {
    Layout {
        sheet: D::SHEET_NAME,
        title: D::TITLE,
        instructions: D::instructions(),
        columns: D::COLUMNS,
    }
}

/// The importer of a direction's rows.
pub(crate) struct Status<D>(PhantomData<D>);

impl<D: Direction> Status<D> {
    const REASON: usize = reason_index(D::HAS_BASE);
    const NOTE: usize = Self::REASON + 1;
    const BASE: usize = EFFECTIVE_MONTH + 1;
}

impl<D: Direction> RowKind for Status<D> {
    type Row = D::Row;

    const COLUMNS: &'static [ColumnSpec] = D::SPECS;
    // Not 证件号码: a Chengdu 封存/启封清册 has none, and "表头缺少证件号码列" is the useful answer for it, not
    // "找不到表头".
    const HEADER_KEYS: &'static [usize] = if D::HAS_BASE {
        &[ACCOUNT, EFFECTIVE_MONTH + 1, EFFECTIVE_MONTH + 2]
    } else {
        &[ACCOUNT, EFFECTIVE_MONTH + 1]
    };
    const DATA_KEYS: &'static [usize] = if D::HAS_BASE {
        &[
            ACCOUNT,
            NAME,
            ID_NUMBER,
            EFFECTIVE_MONTH,
            EFFECTIVE_MONTH + 1,
            EFFECTIVE_MONTH + 2,
        ]
    } else {
        &[ACCOUNT, NAME, ID_NUMBER, EFFECTIVE_MONTH, EFFECTIVE_MONTH + 1]
    };
    const SEQ: Option<usize> = Some(SEQ);
    const HEADER_HINT: &'static str = D::HEADER_HINT;

    fn is_footer(cells: &RowCells<'_>) -> bool {
        is_totals_row(cells, &[ACCOUNT, ID_NUMBER], &[SEQ, NAME])
    }

    fn build(cells: &RowCells<'_>, ctx: &RowCtx, issues: &mut Vec<Issue>) -> Option<D::Row> {
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
        let new_base = if D::HAS_BASE {
            Some(b.required(Self::BASE, |v, what, _| cell::money(v, what)))
        } else {
            None
        };
        let reason = b.required(Self::REASON, |v, what, _| cell::text(v, what));
        let note = b.optional(Self::NOTE, |v, what, _| cell::text(v, what));
        if b.failed {
            return None;
        }
        let new_base = match new_base {
            Some(base) => Some(base?),
            None => None,
        };
        Some(D::row(StatusCells {
            row: ctx.row,
            account: account?,
            name: name?,
            id_number: id_number?,
            effective_month: effective_month?,
            new_base,
            reason: reason?,
            note,
        }))
    }
}

/// 个人封存.
pub(crate) struct Sealing;

const COLUMNS: [Column; 7] = [
    layout::SEQ_COLUMN,
    layout::ACCOUNT_COLUMN,
    layout::NAME_COLUMN,
    layout::ID_NUMBER_COLUMN,
    layout::EFFECTIVE_MONTH_COLUMN,
    Column {
        name: col::REASON,
        aliases: &["封存原因代码", "FCYY"],
        required: true,
        width: 26.0,
        kind: Kind::Code(&SEAL_REASONS),
        example: "1 保留劳动关系停发工资",
    },
    layout::NOTE_COLUMN,
];

impl Direction for Sealing {
    type Row = SealRow;
    const SHEET_NAME: &'static str = SHEET_NAME;
    const TITLE: &'static str = "个人封存清册（批量导入文件格式）";
    const COLUMNS: &'static [Column] = &COLUMNS;
    const SPECS: &'static [ColumnSpec] = &layout::specs(&COLUMNS);
    const HAS_BASE: bool = false;
    const HEADER_HINT: &'static str = "“个人账号”“封存原因”";

    fn instructions() -> String {
        format!(
            "填写说明：1. 红色表头为必填列；2. 个人账号/证件号码/生效年月 列为文本格式，请勿改成数字\
             （18 位证件号码存成数字后最后几位会变成 0）；3. 生效年月 为开始封存的月份，写 202607 这样的 6 位，\
             不早于单位应汇缴年月、不晚于本月；4. 封存原因 从下拉列表选择，或填代码/名称：{}；\
             5. 只有“正常”缴存状态的职工可以封存；6. 红字“例”行为示例，导入时自动跳过，可保留或删除。",
            SEAL_REASONS.describe()
        )
    }

    fn row(c: StatusCells) -> SealRow {
        let mut row = SealRow {
            row: c.row,
            account: c.account,
            name: c.name,
            id_number: c.id_number,
            effective_month: c.effective_month,
            reason: c.reason,
            note: c.note,
        };
        // "1 保留劳动关系停发工资" from the drop-down, or the label, becomes the code "1".
        row.normalize();
        row
    }
}

fn layout() -> Layout {
    layout_of::<Sealing>()
}

layout::template_api!();

layout::import_api!(Status<Sealing>, SealRow, "封存");
