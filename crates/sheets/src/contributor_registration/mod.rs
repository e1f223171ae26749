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

use std::io::{Read, Seek};
use std::path::Path;

use gjj_domain::contributor_registration::{col, parse_sex, ContributorRegistrationRow, IdType};
use gjj_domain::issue::{Code, Issue};

use crate::cell::CellRef;
use crate::cell::{self, Problem};
use crate::error::{file_label, SheetError};
use crate::header::ColumnSpec;
use crate::import::{self, ImportOptions, ImportStats, Imported, RowCells, RowCtx, RowKind};
use crate::layout::Builder;
use crate::value::CellValue;

mod template;

/// The template options are the same for every business (the centre's name).
pub use crate::layout::TemplateOptions;
pub use template::{
    template_bytes, template_workbook, write_template, FIRST_DATA_ROW, SHEET_NAME, TEMPLATE_DATA_ROWS,
};

/// Reads a 缴存人登记 workbook and returns every clean row, every issue and the data-row count.
///
/// Holds all rows in memory; for large files prefer [`import_with`], which streams.
pub fn import(path: impl AsRef<Path>) -> Result<Imported<ContributorRegistrationRow>, SheetError> {
    let mut rows = Vec::new();
    let mut issues = Vec::new();
    let stats = import_with(path, |row, _| rows.push(row), &mut issues)?;
    Ok(Imported {
        rows,
        issues,
        data_rows: stats.data_rows,
    })
}

/// Streams a 缴存人登记 workbook: `on_row` receives each row without a cell problem, in sheet order, with the
/// issue list (so a checker appends its issues in row order). Returns `Err` only when the file cannot be read
/// at all; if that happens part way through, rows already delivered must be discarded by the caller.
pub fn import_with<F>(
    path: impl AsRef<Path>,
    on_row: F,
    issues: &mut Vec<Issue>,
) -> Result<ImportStats, SheetError>
where
    F: FnMut(ContributorRegistrationRow, &mut Vec<Issue>),
{
    import_with_options(path, &ImportOptions::default(), on_row, issues)
}

/// The raw cells of every data row of a 缴存人登记 workbook, for a grid that shows and edits them.
pub fn read_grid(path: impl AsRef<Path>) -> Result<crate::Grid, SheetError> {
    crate::layout::grid_path::<Registration>(path.as_ref())
}

/// [`import_with`] with explicit [`ImportOptions`].
pub fn import_with_options<F>(
    path: impl AsRef<Path>,
    opts: &ImportOptions,
    on_row: F,
    issues: &mut Vec<Issue>,
) -> Result<ImportStats, SheetError>
where
    F: FnMut(ContributorRegistrationRow, &mut Vec<Issue>),
{
    let path = path.as_ref();
    let label = file_label(path);
    let file = crate::layout::open(path, &label)?;
    import::run::<Registration, _, _>(std::io::BufReader::new(file), &label, opts, on_row, issues)
}

/// [`import_with_options`] over any seekable reader (an upload held in memory). `file_name` is only used in
/// error messages.
pub fn import_reader<R, F>(
    reader: R,
    file_name: &str,
    opts: &ImportOptions,
    on_row: F,
    issues: &mut Vec<Issue>,
) -> Result<ImportStats, SheetError>
where
    R: Read + Seek + Send,
    F: FnMut(ContributorRegistrationRow, &mut Vec<Issue>),
{
    import::run::<Registration, _, _>(reader, file_name, opts, on_row, issues)
}

/// Column indexes into [`Registration::COLUMNS`] (template order, as `col::ALL`).
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

    /// Template order. Aliases are spellings of real centre templates: Chengdu's 个人账户设立清册 (REFERENCE
    /// §A1: 职工姓名, 证件种类, 缴存基数（元）, 初次缴存时间, 个人联系电话, 个人固定电话) and the JGJ/T 320
    /// abbreviations Bijie uses (§B1).
    const COLUMNS: &'static [ColumnSpec] = &[
        ColumnSpec {
            name: col::SEQ,
            aliases: &["编号"],
            required: false,
        },
        ColumnSpec {
            name: col::NAME,
            aliases: &["职工姓名", "缴存人姓名", "XingMing"],
            required: true,
        },
        ColumnSpec {
            name: col::ID_TYPE,
            aliases: &["证件种类", "证件类别", "ZJLX"],
            required: true,
        },
        ColumnSpec {
            name: col::ID_NUMBER,
            aliases: &["身份证号码", "身份证号", "证件号", "身份证件号码", "ZJHM"],
            required: true,
        },
        ColumnSpec {
            name: col::SEX,
            aliases: &["XingBie"],
            required: false,
        },
        ColumnSpec {
            name: col::BIRTH_MONTH,
            aliases: &["出生日期", "出生年月日", "CSNY"],
            required: false,
        },
        ColumnSpec {
            name: col::MOBILE,
            aliases: &["手机", "手机号", "个人联系电话", "移动电话", "SJHM"],
            required: true,
        },
        ColumnSpec {
            name: col::LANDLINE,
            aliases: &["个人固定电话", "固定电话号码", "座机", "GDDHHM"],
            required: false,
        },
        ColumnSpec {
            name: col::BASE,
            aliases: &["缴存基数", "个人缴存基数", "月缴存基数", "GRJCJS"],
            required: true,
        },
        ColumnSpec {
            name: col::FIRST_MONTH,
            aliases: &["初次缴存时间", "首次缴存年月", "公积金首次汇缴年月", "GJJSCHJNY"],
            required: true,
        },
        ColumnSpec {
            name: col::BANK_ACCOUNT,
            aliases: &["个人存款账号", "存款账户号码", "银行账号", "GRCKZHHM"],
            required: false,
        },
        ColumnSpec {
            name: col::BANK_NAME,
            aliases: &[
                "开户银行名称",
                "个人存款账户开户银行",
                "存款账户开户银行",
                "GRCKZHKHYHMC",
            ],
            required: false,
        },
        ColumnSpec {
            name: col::NOTE,
            aliases: &["说明", "BeiZhu"],
            required: false,
        },
    ];
    const HEADER_KEYS: &'static [usize] = &[NAME, ID_NUMBER, BASE];
    const DATA_KEYS: &'static [usize] = &[NAME, ID_NUMBER, MOBILE, BASE, FIRST_MONTH];
    const SEQ: Option<usize> = Some(SEQ);
    const HEADER_HINT: &'static str = "“姓名”“证件号码”“个人缴存基数（元）”";

    /// "合计/总计/小计" in 序号 or 姓名 with no ID: a totals row.
    fn is_footer(cells: &RowCells<'_>) -> bool {
        if cells.get(ID_NUMBER).is_some() {
            return false;
        }
        [SEQ, NAME].iter().filter_map(|&i| cells.text(i)).any(|t| {
            let t = t.trim_start();
            t.starts_with("合计") || t.starts_with("总计") || t.starts_with("小计")
        })
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

/// The text of a code cell; a Number cell ("1" typed into a General cell) as its integer text.
fn code_cell(v: CellValue<'_>, what: &str) -> Result<Option<String>, Problem> {
    match v {
        CellValue::Number(n) => Ok(Some(cell::number_text(n))),
        other => cell::text(other, what),
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
