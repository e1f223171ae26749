//! 个人启封: the [`crate::seal`] layout in the other direction — the 启封原因 table, and 启封后缴存基数 (the account
//! resumes contributing at a new base: "办理启封的职工需要填写", REFERENCE §A4). The rules are
//! [`gjj_domain::unseal::Checker`]'s.

use gjj_domain::unseal::{col, UnsealRow, UNSEAL_REASONS};

use crate::header::ColumnSpec;
use crate::layout::{self, Column, Kind, Layout};
use crate::seal::{Direction, Status, StatusCells};

pub use crate::layout::TemplateOptions;

/// The worksheet name of the template.
pub const SHEET_NAME: &str = "个人启封";
/// The 0-based row index of the first data row (Excel row 5).
pub const FIRST_DATA_ROW: u32 = layout::FIRST_DATA_ROW;
/// Pre-formatted empty data rows below the example row.
pub const TEMPLATE_DATA_ROWS: u32 = layout::TEMPLATE_DATA_ROWS;

/// 个人启封.
pub(crate) struct Unsealing;

const COLUMNS: [Column; 8] = [
    layout::SEQ_COLUMN,
    layout::ACCOUNT_COLUMN,
    layout::NAME_COLUMN,
    layout::ID_NUMBER_COLUMN,
    layout::EFFECTIVE_MONTH_COLUMN,
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
    layout::NOTE_COLUMN,
];

impl Direction for Unsealing {
    type Row = UnsealRow;
    const SHEET_NAME: &'static str = SHEET_NAME;
    const TITLE: &'static str = "个人启封清册（批量导入文件格式）";
    const COLUMNS: &'static [Column] = &COLUMNS;
    const SPECS: &'static [ColumnSpec] = &layout::specs(&COLUMNS);
    const HAS_BASE: bool = true;
    const HEADER_HINT: &'static str = "“个人账号”“启封后缴存基数（元）”“启封原因”";

    fn instructions() -> String {
        format!(
            "填写说明：1. 红色表头为必填列；2. 个人账号/证件号码/生效年月 列为文本格式，请勿改成数字\
             （18 位证件号码存成数字后最后几位会变成 0）；3. 生效年月 为恢复缴存的月份，写 202607 这样的 6 位，\
             不早于单位应汇缴年月、不晚于本月；4. 启封后缴存基数 每名职工都要填写，单位为元，最多两位小数，\
             须在本年度缴存基数上下限之内；5. 启封原因 从下拉列表选择，或填代码/名称：{}；\
             6. 只有“封存”状态的职工可以启封；7. 红字“例”行为示例，导入时自动跳过，可保留或删除。",
            UNSEAL_REASONS.describe()
        )
    }

    fn row(c: StatusCells) -> UnsealRow {
        let mut row = UnsealRow {
            row: c.row,
            account: c.account,
            name: c.name,
            id_number: c.id_number,
            effective_month: c.effective_month,
            // A 启封 always asks the base; `Status` converts it before building the row.
            new_base: c.new_base.unwrap_or_default(),
            reason: c.reason,
            note: c.note,
        };
        // "2 错误封存" from the drop-down, or the label, becomes the code "2".
        row.normalize();
        row
    }
}

fn layout() -> Layout {
    crate::seal::layout_of::<Unsealing>()
}

layout::template_api!();

layout::import_api!(Status<Unsealing>, UnsealRow, "启封");
