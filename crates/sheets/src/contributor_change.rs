//! 缴存人信息变更: the batch template and the importer that turns a filled workbook into
//! [`ContributorChangeRow`]s plus cell [`Issue`]s. The rules are
//! [`gjj_domain::contributor_change::Checker`]'s, fed row by row from [`import_with`]'s callback.
//!
//! Layout (why one column per field, empty = unchanged: see [`gjj_domain::contributor_change::col`]):
//! 序号 | 个人账号 | 姓名 | 证件号码 (as the centre has them now) | 新姓名 | 新证件类型 | 新证件号码 | 新性别 |
//! 新出生年月 | 新手机号码 | 新固定电话 | 新个人存款账户号码 | 新开户银行 | 备注, in the conventions of every
//! template of ours (title, red instructions, header, red 例 row, pre-formatted text cells).

use gjj_domain::contributor_change::{col, ContributorChangeRow, FieldChange, PersonField};
use gjj_domain::contributor_registration::{ID_TYPES, SEXES};
use gjj_domain::issue::Issue;

use crate::cell;
use crate::header::ColumnSpec;
use crate::import::{RowCells, RowCtx, RowKind};
use crate::layout::{self, column, Column, Kind, Layout};
use crate::layout::{aliases, is_totals_row, Builder};

pub use crate::layout::TemplateOptions;

/// The worksheet name of the template.
pub const SHEET_NAME: &str = "缴存人信息变更";
/// The 0-based row index of the first data row (Excel row 5).
pub const FIRST_DATA_ROW: u32 = layout::FIRST_DATA_ROW;
/// Pre-formatted empty data rows below the example row.
pub const TEMPLATE_DATA_ROWS: u32 = layout::TEMPLATE_DATA_ROWS;

const COLUMNS: [Column; 14] = [
    column(col::SEQ, aliases::SEQ, false, 6.0, Kind::General, "例"),
    column(
        col::ACCOUNT,
        aliases::ACCOUNT,
        true,
        18.0,
        Kind::Text,
        "430000000001",
    ),
    column(col::NAME, aliases::NAME, true, 12.0, Kind::General, "张三"),
    // A correct GB 11643 check digit.
    column(
        col::ID_NUMBER,
        &["原证件号码", "身份证号码", "身份证号", "证件号", "ZJHM"],
        true,
        22.0,
        Kind::Text,
        "430405198803150011",
    ),
    column(col::NEW_NAME, &["变更后姓名"], false, 12.0, Kind::General, ""),
    column(
        col::NEW_ID_TYPE,
        &["变更后证件类型"],
        false,
        14.0,
        Kind::Code(&ID_TYPES),
        "",
    ),
    column(
        col::NEW_ID_NUMBER,
        &["变更后证件号码"],
        false,
        22.0,
        Kind::Text,
        "",
    ),
    column(col::NEW_SEX, &["变更后性别"], false, 8.0, Kind::Code(&SEXES), ""),
    column(
        col::NEW_BIRTH_MONTH,
        &["变更后出生年月"],
        false,
        11.0,
        Kind::Month,
        "",
    ),
    column(
        col::NEW_MOBILE,
        &["变更后手机号码", "新手机号"],
        false,
        14.0,
        Kind::Text,
        "13807345678",
    ),
    column(
        col::NEW_LANDLINE,
        &["变更后固定电话"],
        false,
        14.0,
        Kind::Text,
        "",
    ),
    column(
        col::NEW_BANK_ACCOUNT,
        &["变更后个人存款账户号码", "新银行卡号"],
        false,
        24.0,
        Kind::Text,
        "",
    ),
    column(
        col::NEW_BANK_NAME,
        &["变更后开户银行"],
        false,
        20.0,
        Kind::General,
        "",
    ),
    column(
        col::NOTE,
        aliases::NOTE,
        false,
        24.0,
        Kind::General,
        "示例行，导入时自动跳过",
    ),
];

fn layout() -> Layout {
    Layout {
        sheet: SHEET_NAME,
        title: "缴存人信息变更清册（批量导入文件格式）",
        instructions: "填写说明：1. 每名职工一行；个人账号、姓名、证件号码 填中心当前登记的信息（红色表头，必填）；\
             2. 只在要变更的“新…”列填写新值，留空的项目不变（清空固定电话、开户银行等请使用网厅表单）；\
             3. 变更证件号码的，原号码填在“证件号码”列、新号码填在“新证件号码”列；证件类型为身份证的，性别和出生年月按新号码自动更正，无需填写；\
             4. 证件号码、手机号码、卡号等列为文本格式，请勿改成数字；5. 红字“例”行为示例，导入时自动跳过。"
            .to_owned(),
        columns: &COLUMNS,
    }
}

layout::template_api!();

layout::import_api!(ChangeSheet, ContributorChangeRow, "缴存人信息变更");

const SEQ: usize = 0;
const ACCOUNT: usize = 1;
const NAME: usize = 2;
const ID_NUMBER: usize = 3;
/// The "新…" columns, in [`PersonField::ALL`] order.
const FIRST_NEW: usize = 4;
const NOTE: usize = 13;

struct ChangeSheet;

impl RowKind for ChangeSheet {
    type Row = ContributorChangeRow;

    const COLUMNS: &'static [ColumnSpec] = &layout::specs(&COLUMNS);
    const HEADER_KEYS: &'static [usize] = &[ACCOUNT, FIRST_NEW + 5];
    const DATA_KEYS: &'static [usize] = &[ACCOUNT, NAME, ID_NUMBER];
    const SEQ: Option<usize> = Some(SEQ);
    const HEADER_HINT: &'static str = "“个人账号”“新手机号码”";

    fn is_footer(cells: &RowCells<'_>) -> bool {
        is_totals_row(cells, &[ACCOUNT, ID_NUMBER], &[SEQ, NAME])
    }

    fn build(cells: &RowCells<'_>, ctx: &RowCtx, issues: &mut Vec<Issue>) -> Option<ContributorChangeRow> {
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
        let mut changes = Vec::new();
        for (i, field) in (FIRST_NEW..).zip(PersonField::ALL) {
            let value = match field {
                PersonField::Name => b.optional(i, |v, what, _| cell::name(v, what)),
                PersonField::IdNumber => b.optional(i, cell::id_number),
                PersonField::BirthMonth => b
                    .optional(i, |v, what, _| cell::month(v, what, ctx.date1904))
                    .map(|m| m.to_string()),
                // Digits that a Number cell may hold: read like an account (a long card number stored as a
                // number has lost digits and is refused).
                PersonField::Mobile | PersonField::BankAccount => b.optional(i, cell::account),
                PersonField::IdType | PersonField::Sex | PersonField::Landline | PersonField::BankName => {
                    b.optional(i, |v, what, _| cell::text(v, what))
                }
            };
            if let Some(new) = value {
                changes.push(FieldChange {
                    field: field.key().to_owned(),
                    old: None,
                    new: Some(new),
                });
            }
        }
        let note = b.optional(NOTE, |v, what, _| cell::text(v, what));
        if b.failed {
            return None;
        }
        let mut row = ContributorChangeRow {
            row: ctx.row,
            account: account?,
            name: name?,
            id_number: id_number?,
            changes,
            olds: false,
            note,
        };
        row.normalize();
        Some(row)
    }
}
