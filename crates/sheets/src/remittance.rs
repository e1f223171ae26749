//! 汇缴: the centre's 清册 written as a workbook for the clerk to confirm, and the importer that
//! turns the confirmed workbook into [`RemittanceRow`]s plus cell [`Issue`]s. The rules
//! (amounts, bases, 发生人数/发生额 …) are [`gjj_domain::remittance::Checker`]'s.
//!
//! Layout (Bijie 清册确认单 InventoryConfirmationTemp, REFERENCE §F1, in our conventions):
//!
//! | row | content |
//! |-----|---------|
//! | 1 | title (merged): "{centre}汇缴清册（清册确认单）" |
//! | 2 | red instructions |
//! | 3 | header area: 单位名称 · 单位账号 · 清册年月 |
//! | 4 | header area: 发生人数 · 发生额（元） · 缴存比例 (formulas over the rows, so edits show) |
//! | 5 | column header: the `gjj_domain::remittance::col` constants |
//! | 6… | one row per 正常 contributor, then a 合计 row (formulas; skipped by the importer) |
//!
//! There is no 例 row: the sheet is the centre's own list, not an empty template. The header
//! area is for the clerk; the importer reads only the rows (the month, method and stated
//! figures come with the submission, not from cells a clerk might not have updated).

use std::path::Path;

use gjj_domain::issue::Issue;
use gjj_domain::remittance::{col, RemittanceList, RemittanceRow};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Formula, Workbook, Worksheet, XlsxError};

use crate::cell;
use crate::cell::column_letters;
use crate::error::{file_label, write_failed, SheetError};
use crate::header::ColumnSpec;
use crate::import::{RowCells, RowCtx, RowKind};
use crate::layout;
use crate::layout::{is_totals_row, Builder};

pub use crate::layout::TemplateOptions;

/// The worksheet name of the 清册.
pub const SHEET_NAME: &str = "汇缴清册";
/// The 0-based row index of the column header (Excel row 5).
pub const HEADER_ROW: u32 = 4;
/// The 0-based row index of the first person (Excel row 6).
pub const FIRST_DATA_ROW: u32 = 5;

const INSTRUCTIONS: &str =
    "说明：1. 本清册由中心按单位正常缴存职工及其当前缴存基数生成，月缴存额按单位、个人缴存比例分别计算；\
2. 请核对后原样提交（gjj submit remittance 文件 --month 清册年月 --method 汇缴方式）；3. 缴存基数有变化的，\
请先办理缴存基数调整；职工已离职的，请先办理个人封存，再重新下载清册；不能直接删改本表的人员和金额；\
4. 个人账号/证件号码 列为文本格式，请勿改成数字。";

const RED: u32 = 0xC0_00_00;
const HEADER_FILL: u32 = 0xD9_E1_F2;

/// (header, width, text column?) in sheet order — `col::ALL`.
const COLUMNS: [(&str, f64, bool); 8] = [
    (col::SEQ, 6.0, false),
    (col::ACCOUNT, 18.0, true),
    (col::NAME, 12.0, false),
    (col::ID_NUMBER, 22.0, true),
    (col::BASE, 16.0, false),
    (col::UNIT_AMOUNT, 16.0, false),
    (col::PERSON_AMOUNT, 16.0, false),
    (col::TOTAL, 14.0, false),
];

/// Writes the 清册 to `path` (an `.xlsx` file).
pub fn write_list(
    path: impl AsRef<Path>,
    list: &RemittanceList,
    opts: &TemplateOptions,
) -> Result<(), SheetError> {
    let path = path.as_ref();
    let label = file_label(path);
    let mut wb = build(list, opts).map_err(|e| write_failed(&label, &e))?;
    wb.save(path).map_err(|e| write_failed(&label, &e))
}

/// The 清册 as `.xlsx` bytes.
pub fn list_bytes(list: &RemittanceList, opts: &TemplateOptions) -> Result<Vec<u8>, SheetError> {
    let mut wb = build(list, opts).map_err(|e| write_failed("(内存)", &e))?;
    wb.save_to_buffer().map_err(|e| write_failed("(内存)", &e))
}

fn build(list: &RemittanceList, opts: &TemplateOptions) -> Result<Workbook, XlsxError> {
    let mut wb = Workbook::new();
    // Row by row to a temp file: a 50,000-person 清册 costs what one row costs. `fill` writes in row order.
    let ws = wb.add_worksheet_with_constant_memory()?;
    ws.set_name(SHEET_NAME)?;
    fill(ws, list, opts)?;
    Ok(wb)
}

/// Yuan for a cell: an Excel cell holds a double, and 分 / 100 displays exactly to 2^53 分.
fn yuan(fen: gjj_domain::money::Fen) -> f64 {
    fen.0 as f64 / 100.0
}

fn fill(ws: &mut Worksheet, list: &RemittanceList, opts: &TemplateOptions) -> Result<(), XlsxError> {
    let last_col = (COLUMNS.len() - 1) as u16;
    let border = |f: Format| f.set_border(FormatBorder::Thin);
    let text = border(Format::new().set_num_format("@"));
    let money = border(Format::new().set_num_format("0.00"));
    let plain = border(Format::new());
    let label = border(Format::new().set_bold().set_background_color(HEADER_FILL));

    let title = Format::new()
        .set_bold()
        .set_font_size(16)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    ws.merge_range(
        0,
        0,
        0,
        last_col,
        &format!("{}汇缴清册（清册确认单）", opts.centre_name),
        &title,
    )?;
    ws.set_row_height(0, 30)?;
    let note = Format::new()
        .set_font_color(RED)
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter);
    ws.merge_range(1, 0, 1, last_col, INSTRUCTIONS, &note)?;
    ws.set_row_height(1, 60)?;

    // Header area. Labels and values in separate cells, so neither is mistaken for a column.
    let u = &list.unit;
    ws.write_string_with_format(2, 0, col::UNIT_NAME, &label)?;
    ws.merge_range(2, 1, 2, 2, &u.name, &plain)?;
    ws.write_string_with_format(2, 3, col::UNIT_ACCOUNT, &label)?;
    ws.write_string_with_format(2, 4, &u.account, &text)?;
    ws.write_string_with_format(2, 5, col::MONTH, &label)?;
    ws.write_string_with_format(2, 6, list.month.to_string(), &text)?;

    let first = FIRST_DATA_ROW;
    let n = u32::try_from(list.entries.len()).unwrap_or(u32::MAX);
    let last = first + n.saturating_sub(1);
    let range = |c: usize| {
        let letters = column_letters(c as u32);
        format!("{letters}{}:{letters}{}", first + 1, last + 1)
    };
    ws.write_string_with_format(3, 0, col::PERSON_COUNT, &label)?;
    ws.write_formula_with_format(
        3,
        1,
        Formula::new(format!("=COUNTA({})", range(1))).set_result(list.person_count.to_string()),
        &plain,
    )?;
    ws.write_string_with_format(3, 3, col::SUM, &label)?;
    ws.write_formula_with_format(
        3,
        4,
        Formula::new(format!("=SUM({})", range(7))).set_result(format!("{:.2}", yuan(list.total))),
        &money,
    )?;
    ws.write_string_with_format(3, 5, "缴存比例", &label)?;
    ws.write_string_with_format(
        3,
        6,
        format!("单位 {} / 个人 {}", u.unit_rate, u.person_rate),
        &plain,
    )?;

    let header = border(Format::new().set_bold().set_background_color(HEADER_FILL))
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap();
    for (c, (name, width, is_text)) in (0u16..).zip(COLUMNS) {
        ws.write_string_with_format(HEADER_ROW, c, name, &header)?;
        ws.set_column_width(c, width)?;
        if is_text {
            // Also on the column: a row the clerk adds gets text cells too (REFERENCE §F2).
            ws.set_column_format(c, &Format::new().set_num_format("@"))?;
        }
    }
    ws.set_row_height(HEADER_ROW, 24)?;

    for (i, e) in list.entries.iter().enumerate() {
        let r = first + u32::try_from(i).unwrap_or(u32::MAX);
        ws.write_number_with_format(r, 0, (i + 1) as f64, &plain)?;
        ws.write_string_with_format(r, 1, &e.account, &text)?;
        ws.write_string_with_format(r, 2, &e.name, &plain)?;
        ws.write_string_with_format(r, 3, &e.id_number, &text)?;
        ws.write_number_with_format(r, 4, yuan(e.base), &money)?;
        ws.write_number_with_format(r, 5, yuan(e.amounts.unit), &money)?;
        ws.write_number_with_format(r, 6, yuan(e.amounts.person), &money)?;
        ws.write_number_with_format(r, 7, yuan(e.amounts.total), &money)?;
    }

    // 合计: formulas (the importer skips the row: no account, 合计 in 姓名).
    if n > 0 {
        let total_row = last + 1;
        let bold = border(Format::new().set_bold());
        let bold_money = border(Format::new().set_bold().set_num_format("0.00"));
        ws.write_string_with_format(total_row, 2, "合计", &bold)?;
        let sums = [
            (5, list.entries.iter().map(|e| e.amounts.unit.0).sum::<i64>()),
            (6, list.entries.iter().map(|e| e.amounts.person.0).sum::<i64>()),
            (7, list.total.0),
        ];
        for (c, fen) in sums {
            ws.write_formula_with_format(
                total_row,
                c as u16,
                Formula::new(format!("=SUM({})", range(c))).set_result(format!("{:.2}", fen as f64 / 100.0)),
                &bold_money,
            )?;
        }
    }

    ws.set_freeze_panes(FIRST_DATA_ROW, 0)?;
    ws.set_landscape();
    ws.set_repeat_rows(HEADER_ROW, HEADER_ROW)?;
    ws.set_print_fit_to_pages(1, 0);
    Ok(())
}

layout::import_api!(RemittanceSheet, RemittanceRow, "汇缴清册");

/// Column indexes into [`RemittanceSheet::COLUMNS`].
const SEQ: usize = 0;
const ACCOUNT: usize = 1;
const NAME: usize = 2;
const ID_NUMBER: usize = 3;
const BASE: usize = 4;
const UNIT_AMOUNT: usize = 5;
const PERSON_AMOUNT: usize = 6;
const TOTAL: usize = 7;

/// The 清册 row layout.
struct RemittanceSheet;

impl RowKind for RemittanceSheet {
    type Row = RemittanceRow;

    /// Aliases: Bijie's print headers and JGJ/T 320 field ids (REFERENCE §B1, §F1).
    const COLUMNS: &'static [ColumnSpec] = &[
        layout::SEQ_COLUMN.spec(),
        layout::ACCOUNT_COLUMN.spec(),
        layout::NAME_COLUMN.spec(),
        layout::ID_NUMBER_COLUMN.spec(),
        ColumnSpec {
            name: col::BASE,
            aliases: &["缴存基数", "个人缴存基数(元)", "GRJCJS"],
            required: true,
        },
        ColumnSpec {
            name: col::UNIT_AMOUNT,
            aliases: &["单位缴存额", "DWYJCE"],
            required: true,
        },
        ColumnSpec {
            name: col::PERSON_AMOUNT,
            aliases: &["个人缴存额", "GRYJCE"],
            required: true,
        },
        ColumnSpec {
            name: col::TOTAL,
            aliases: &["月缴存额合计", "清册发生额", "YJCE"],
            required: false,
        },
    ];
    const HEADER_KEYS: &'static [usize] = &[ACCOUNT, BASE, UNIT_AMOUNT];
    const DATA_KEYS: &'static [usize] = &[ACCOUNT, NAME, ID_NUMBER, BASE, UNIT_AMOUNT, PERSON_AMOUNT];
    const SEQ: Option<usize> = Some(SEQ);
    const HEADER_HINT: &'static str = "“个人账号”“个人缴存基数（元）”“单位月缴存额（元）”";

    fn is_footer(cells: &RowCells<'_>) -> bool {
        is_totals_row(cells, &[ACCOUNT, ID_NUMBER], &[SEQ, NAME])
    }

    fn build(cells: &RowCells<'_>, ctx: &RowCtx, issues: &mut Vec<Issue>) -> Option<RemittanceRow> {
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
        let base = b.required(BASE, |v, what, _| cell::money(v, what));
        let unit_amount = b.required(UNIT_AMOUNT, |v, what, _| cell::money(v, what));
        let person_amount = b.required(PERSON_AMOUNT, |v, what, _| cell::money(v, what));
        let total = b.optional(TOTAL, |v, what, _| cell::money(v, what));
        if b.failed {
            return None;
        }
        let mut row = RemittanceRow {
            row: ctx.row,
            account: account?,
            name: name?,
            id_number: id_number?,
            base: base?,
            unit_amount: unit_amount?,
            person_amount: person_amount?,
            total,
        };
        row.normalize();
        Some(row)
    }
}
