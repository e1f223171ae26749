//! 缴存人登记 (个人开户): the batch-import template and the importer that turns a filled workbook into
//! [`ContributorRegistrationRow`]s plus cell [`Issue`]s.
//!
//! Cell level only, as for every importer: an empty required cell, an ID that Excel turned into a number, a
//! 证件类型 or 性别 that names no code, an amount or month that cannot be read. The rules (ID checksum, 性别/出生年月
//! against the ID, base limits, months, duplicates) are [`gjj_domain::contributor_registration::Checker`]'s,
//! fed row by row from [`import_with`]'s callback.
//!
//! Code-typed columns take what clerks type: "01", "1", "身份证", "01 身份证" (the drop-down) for 证件类型;
//! "男", "1", "1 男" for 性别 (REFERENCE §F2) — the rows carry the code.

use std::borrow::Cow;

use gjj_domain::contributor_registration::{
    col, parse_sex, ContributorRegistrationRow, IdType, ID_TYPES, SEXES,
};
use gjj_domain::issue::{Code, Issue};

use crate::cell::CellRef;
use crate::cell::{self, Problem};
use crate::header::ColumnSpec;
use crate::import::{RowCells, RowCtx, RowKind};
use crate::layout::{self, column, is_totals_row, Builder, Column, Kind, Layout};
use crate::value::CellValue;

/// The template options are the same for every business (the centre's name).
pub use crate::layout::TemplateOptions;

/// The worksheet name of the template.
pub const SHEET_NAME: &str = "缴存人登记";
/// The 0-based row index of the first data row (Excel row 5).
pub const FIRST_DATA_ROW: u32 = layout::FIRST_DATA_ROW;
/// Pre-formatted empty data rows below the example row.
pub const TEMPLATE_DATA_ROWS: u32 = layout::TEMPLATE_DATA_ROWS;

/// Template order (as `col::ALL`). Aliases are spellings of real centre templates: Chengdu's 个人账户设立清册
/// (REFERENCE §A1: 职工姓名, 证件种类, 缴存基数（元）, 初次缴存时间, 个人联系电话, 个人固定电话) and the JGJ/T 320
/// abbreviations Bijie uses (§B1). The example 身份证号码 carries a correct GB 11643 check character; its 17th
/// digit is odd (男) and it encodes 1988-03.
const COLUMNS: [Column; 13] = [
    layout::SEQ_COLUMN,
    layout::NAME_COLUMN,
    column(
        col::ID_TYPE,
        &["证件种类", "证件类别", "ZJLX"],
        true,
        14.0,
        Kind::Code(&ID_TYPES),
        "01 身份证",
    ),
    layout::ID_NUMBER_COLUMN,
    // 性别's drop-down offers the labels alone ("男"/"女"); "1", "1 男" are read too.
    column(col::SEX, &["XingBie"], false, 7.0, Kind::Labels(&SEXES), "男"),
    column(
        col::BIRTH_MONTH,
        &["出生日期", "出生年月日", "CSNY"],
        false,
        10.0,
        Kind::Month,
        "198803",
    ),
    column(
        col::MOBILE,
        &["手机", "手机号", "个人联系电话", "移动电话", "SJHM"],
        true,
        14.0,
        Kind::Text,
        "13800138000",
    ),
    column(
        col::LANDLINE,
        &["个人固定电话", "固定电话号码", "座机", "GDDHHM"],
        false,
        15.0,
        Kind::Text,
        "0734-8123456",
    ),
    column(
        col::BASE,
        &["缴存基数", "个人缴存基数", "月缴存基数", "GRJCJS"],
        true,
        14.0,
        Kind::Money,
        "6000",
    ),
    column(
        col::FIRST_MONTH,
        &["初次缴存时间", "首次缴存年月", "公积金首次汇缴年月", "GJJSCHJNY"],
        true,
        12.0,
        Kind::Month,
        "202607",
    ),
    column(
        col::BANK_ACCOUNT,
        &["个人存款账号", "存款账户号码", "银行账号", "GRCKZHHM"],
        false,
        24.0,
        Kind::Text,
        "6222021234567890123",
    ),
    column(
        col::BANK_NAME,
        &[
            "开户银行名称",
            "个人存款账户开户银行",
            "存款账户开户银行",
            "GRCKZHKHYHMC",
        ],
        false,
        20.0,
        Kind::General,
        "中国工商银行衡阳分行",
    ),
    column(
        col::NOTE,
        layout::aliases::NOTE,
        false,
        20.0,
        Kind::General,
        "示例行，导入时自动跳过",
    ),
];

fn layout() -> Layout {
    Layout {
        sheet: SHEET_NAME,
        title: "缴存人登记清册（批量导入文件格式）",
        instructions: "填写说明：1. 红色表头为必填列；2. 证件类型从下拉列表选择（也可填代码 01/02/03/04/99 或名称）；\
3. 证件号码、手机号码、年月、存款账号等列为文本格式，请勿改成数字（18 位证件号码存成数字后最后几位会变成 0）；\
4. 证件类型为身份证时，性别和出生年月可留空，系统按证件号码自动填写；其他证件须填写；\
5. 首次汇缴年月写 202607 这样的 6 位，不早于本单位首次汇缴年月、不晚于下月；6. 金额单位为元，最多两位小数；\
7. 红字“例”行为示例，导入时自动跳过，可保留或删除。"
            .to_owned(),
        columns: &COLUMNS,
    }
}

layout::template_api!();

layout::import_api!(Registration, ContributorRegistrationRow, "缴存人登记");

/// Column indexes into [`COLUMNS`] (template order, as `col::ALL`).
const SEQ: usize = 0;
const NAME: usize = 1;
const ID_TYPE: usize = 2;
const ID_NUMBER: usize = 3;
const SEX: usize = 4;
const BIRTH_MONTH: usize = 5;
const MOBILE: usize = 6;
const LANDLINE: usize = 7;
const BASE: usize = 8;
const FIRST_MONTH: usize = 9;
const BANK_ACCOUNT: usize = 10;
const BANK_NAME: usize = 11;
const NOTE: usize = 12;

/// The 缴存人登记 row layout.
struct Registration;

impl RowKind for Registration {
    type Row = ContributorRegistrationRow;

    const COLUMNS: &'static [ColumnSpec] = &layout::specs(&COLUMNS);
    const HEADER_KEYS: &'static [usize] = &[NAME, ID_NUMBER, BASE];
    const DATA_KEYS: &'static [usize] = &[NAME, ID_NUMBER, MOBILE, BASE, FIRST_MONTH];
    const SEQ: Option<usize> = Some(SEQ);
    const HEADER_HINT: &'static str = "“姓名”“证件号码”“个人缴存基数（元）”";

    /// "合计/总计/小计" in 序号 or 姓名 with no ID: a totals row.
    fn is_footer(cells: &RowCells<'_>) -> bool {
        is_totals_row(cells, &[ID_NUMBER], &[SEQ, NAME])
    }

    fn build(
        cells: &RowCells<'_>,
        ctx: &RowCtx,
        issues: &mut Vec<Issue>,
    ) -> Option<ContributorRegistrationRow> {
        let mut b = Builder {
            columns: Self::COLUMNS,
            cells,
            ctx,
            issues,
            failed: false,
        };
        let name = b.required(NAME, |v, what, _| cell::name(v, what));
        let id_type = b.required(ID_TYPE, |v, what, _| id_type(v, what));
        let id_number = b.required(ID_NUMBER, cell::id_number);
        let sex = b.optional(SEX, |v, what, _| sex(v, what));
        let birth_month = b.optional(BIRTH_MONTH, |v, what, _| cell::month(v, what, ctx.date1904));
        let mobile = b.required(MOBILE, |v, what, cell| digits(v, what, cell, Code::MobileInvalid));
        let landline = b.optional(LANDLINE, |v, what, _| cell::text(v, what));
        let base = b.required(BASE, |v, what, _| cell::money(v, what));
        let first_month = b.required(FIRST_MONTH, |v, what, _| cell::month(v, what, ctx.date1904));
        let bank_account = b.optional(BANK_ACCOUNT, |v, what, cell| {
            digits(v, what, cell, Code::AccountStoredAsNumber)
        });
        let bank_name = b.optional(BANK_NAME, |v, what, _| cell::text(v, what));
        let note = b.optional(NOTE, |v, what, _| cell::text(v, what));
        if b.failed {
            return None;
        }
        Some(ContributorRegistrationRow {
            row: ctx.row,
            name: name?,
            id_type: id_type?,
            id_number: id_number?,
            sex,
            birth_month,
            mobile: mobile?,
            landline,
            base: base?,
            first_month: first_month?,
            bank_account,
            bank_name,
            note,
        })
    }
}

/// A 证件类型 cell → its code. Text or a Number (Chengdu's list writes "1").
fn id_type(v: CellValue<'_>, what: &str) -> Result<Option<String>, Problem> {
    let Some(t) = code_cell(v, what)? else {
        return Ok(None);
    };
    match IdType::parse(&t) {
        Some(id_type) => Ok(Some(id_type.code().to_owned())),
        None => Err(Problem {
            code: Code::IdTypeInvalid,
            message: format!(
                "{what}“{t}”不是可选的类型，请从下拉列表选择，或填写代码或名称：{}",
                IdType::choices()
            ),
        }),
    }
}

/// A 性别 cell → its GB/T 2261.1 code.
fn sex(v: CellValue<'_>, what: &str) -> Result<Option<String>, Problem> {
    let Some(t) = code_cell(v, what)? else {
        return Ok(None);
    };
    match parse_sex(&t) {
        Some(sex) => Ok(Some(sex.code().to_owned())),
        None => Err(Problem {
            code: Code::SexInvalid,
            message: format!(
                "{what}“{t}”无法识别，请填写“男”或“女”（或代码 1 男、2 女）；身份证登记的可以留空，系统按证件号码自动填写"
            ),
        }),
    }
}

/// The text of a code cell; a Number cell ("1" typed into a General cell) as its integer text. Borrowed when
/// it can be: it is only looked up.
fn code_cell<'a>(v: CellValue<'a>, what: &str) -> Result<Option<Cow<'a, str>>, Problem> {
    match v {
        CellValue::Number(n) => Ok(Some(Cow::Owned(cell::number_text(n)))),
        other => cell::text_cow(other, what),
    }
}

/// Excel keeps 15 significant digits: a whole number from 10^15 up may have lost its last digits.
const EXACT_DIGITS_LIMIT: f64 = 1e15;

/// A number written with digits (手机号码, 个人存款账户号码): text as typed (normalised, blanks removed — the
/// domain judges the rest), or a whole Number below 10^15, which Excel holds exactly. A longer number (a
/// 19-digit bank card typed into a General cell) has lost digits: `lost` with a message naming the column.
fn digits(v: CellValue<'_>, what: &str, at: CellRef, lost: Code) -> Result<Option<String>, Problem> {
    match v {
        CellValue::Text(t) => {
            let c = cell::code_text(t);
            Ok((!c.is_empty()).then(|| c.into_owned()))
        }
        CellValue::Number(n) if n.fract() == 0.0 && (0.0..EXACT_DIGITS_LIMIT).contains(&n) => {
            Ok(Some(format!("{n:.0}")))
        }
        CellValue::Number(n) if n >= EXACT_DIGITS_LIMIT => Err(Problem {
            code: lost,
            message: format!(
                "{what}被 Excel 存成了数字（单元格 {at} 显示为 {n:.5e}），超过 15 位的号码最后几位已经丢失。请把“{what}”列设置为“文本”格式后重新输入，或在号码前加英文单引号 ' 再输入"
            ),
        }),
        other => cell::text(other, what).and_then(|t| {
            Err(Problem {
                code: Code::CellTypeUnexpected,
                message: format!(
                    "{what}单元格里是“{}”，这里应填写数字号码。请把单元格格式改为“文本”后重新填写",
                    t.unwrap_or_default()
                ),
            })
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_follow_the_domain_titles() {
        let names: Vec<&str> = Registration::COLUMNS.iter().map(|c| c.name).collect();
        assert_eq!(names, col::ALL);
    }

    #[test]
    fn code_cells() {
        assert_eq!(
            id_type(CellValue::Number(1.0), "证件类型").unwrap().as_deref(),
            Some("01")
        );
        assert_eq!(
            id_type(CellValue::Text("身份证"), "证件类型").unwrap().as_deref(),
            Some("01")
        );
        assert_eq!(
            id_type(CellValue::Text("03 护照"), "证件类型")
                .unwrap()
                .as_deref(),
            Some("03")
        );
        assert_eq!(
            id_type(CellValue::Text("驾照"), "证件类型")
                .map_err(|p| p.code)
                .err(),
            Some(Code::IdTypeInvalid)
        );
        assert_eq!(sex(CellValue::Text("女"), "性别").unwrap().as_deref(), Some("2"));
        assert_eq!(sex(CellValue::Number(1.0), "性别").unwrap().as_deref(), Some("1"));
        assert_eq!(
            sex(CellValue::Text("?"), "性别").map_err(|p| p.code).err(),
            Some(Code::SexInvalid)
        );
        assert_eq!(sex(CellValue::Text(" "), "性别").unwrap(), None);
    }

    #[test]
    fn digit_cells() {
        let at = CellRef { col: 6, row: 5 };
        let d = |v| digits(v, "手机号码", at, Code::MobileInvalid);
        assert_eq!(
            d(CellValue::Number(13800138000.0)).unwrap().as_deref(),
            Some("13800138000")
        );
        assert_eq!(
            d(CellValue::Text("138 0013 8000")).unwrap().as_deref(),
            Some("13800138000")
        );
        let lost = digits(
            CellValue::Number(6.222021234567891e18),
            "个人存款账户号码",
            at,
            Code::AccountStoredAsNumber,
        )
        .map_err(|p| (p.code, p.message))
        .err();
        let (code, message) = lost.unwrap();
        assert_eq!(code, Code::AccountStoredAsNumber);
        assert!(message.contains("G5") && message.contains("文本"), "{message}");
        assert_eq!(
            d(CellValue::Bool(true)).map_err(|p| p.code).err(),
            Some(Code::CellTypeUnexpected)
        );
    }
}
