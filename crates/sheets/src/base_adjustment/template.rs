//! The 基数调整 batch-import template, written with rust_xlsxwriter.
//!
//! Layout (modelled on the Chengdu 缴存基数调整清册, REFERENCE §A2/§F1):
//!
//! | row | content |
//! |-----|---------|
//! | 1 | title (merged A:H): "{centre}缴存基数调整清册（批量导入文件格式）" |
//! | 2 | red instructions (merged A:H) |
//! | 3 | header: the `gjj_domain::base_adjustment::col` constants, required ones in red |
//! | 4 | red "例" example row (skipped by the importer) |
//! | 5… | empty data rows; 个人账号/证件号码/生效年月 cells pre-formatted as text (`@`) |
//!
//! The text format is set both on the columns and on every pre-made cell: Excel applies a
//! column format to newly typed cells, but some tools only honour per-cell formats
//! (REFERENCE §F2, "直接设列是失效的, 单个单元格设是可行的").

use std::path::Path;

use gjj_domain::base_adjustment::col;
use rust_xlsxwriter::{
    DataValidation, DataValidationRule, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};

use crate::error::{file_label, write_failed, SheetError};
use crate::layout::{TemplateOptions, FIRST_DATA_ROW, TEMPLATE_DATA_ROWS};

/// The worksheet name of the template.
pub const SHEET_NAME: &str = "基数调整";

/// Header, whether required, column width, and the kind of cell below it.
const COLUMNS: [(&str, bool, f64, Kind); 8] = [
    (col::SEQ, false, 6.0, Kind::General),
    (col::ACCOUNT, true, 18.0, Kind::Text),
    (col::NAME, true, 12.0, Kind::General),
    (col::ID_NUMBER, true, 22.0, Kind::Text),
    (col::OLD_BASE, false, 16.0, Kind::Money),
    (col::NEW_BASE, true, 16.0, Kind::Money),
    (col::EFFECTIVE_MONTH, true, 11.0, Kind::Text),
    (col::NOTE, false, 24.0, Kind::General),
];

#[derive(Clone, Copy)]
enum Kind {
    General,
    Text,
    Money,
}

/// The example row. The ID number carries a correct GB 11643 check digit.
const EXAMPLE: [&str; 8] = [
    "例",
    "430000000001",
    "张三",
    "430405198803150011",
    "3000",
    "3500",
    "202607",
    "示例行，导入时自动跳过",
];

const INSTRUCTIONS: &str = "填写说明：1. 红色表头为必填列；2. 证件号码/个人账号/生效年月 列为文本格式，请勿改成数字\
（18 位证件号码存成数字后最后几位会变成 0）；3. 生效年月 写 202607 这样的 6 位；4. 金额单位为元，最多两位小数；\
5. 红字“例”行为示例，导入时自动跳过，可保留或删除。";

const RED: u32 = 0xC0_00_00;
const HEADER_FILL: u32 = 0xD9_E1_F2;

/// Writes the template to `path` (an `.xlsx` file).
pub fn write_template(path: impl AsRef<Path>, opts: &TemplateOptions) -> Result<(), SheetError> {
    let path = path.as_ref();
    let label = file_label(path);
    let mut wb = build(opts).map_err(|e| write_failed(&label, &e))?;
    wb.save(path).map_err(|e| write_failed(&label, &e))
}

/// The template as `.xlsx` bytes (for a download endpoint or a save dialog).
pub fn template_bytes(opts: &TemplateOptions) -> Result<Vec<u8>, SheetError> {
    let mut wb = build(opts).map_err(|e| write_failed("(内存)", &e))?;
    wb.save_to_buffer().map_err(|e| write_failed("(内存)", &e))
}

/// The template as a rust_xlsxwriter [`Workbook`] whose only sheet is [`SHEET_NAME`], for
/// callers that add rows before saving (e.g. pre-filling 个人账号/姓名/证件号码/调整前基数 from
/// the unit's roster, starting at [`FIRST_DATA_ROW`]).
pub fn template_workbook(opts: &TemplateOptions) -> Result<Workbook, SheetError> {
    build(opts).map_err(|e| write_failed("(内存)", &e))
}

fn build(opts: &TemplateOptions) -> Result<Workbook, XlsxError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(SHEET_NAME)?;
    fill(ws, opts)?;
    Ok(wb)
}

fn fill(ws: &mut Worksheet, opts: &TemplateOptions) -> Result<(), XlsxError> {
    let last_col = (COLUMNS.len() - 1) as u16;
    let border = |f: Format| f.set_border(FormatBorder::Thin);
    let text = Format::new().set_num_format("@");
    let money = Format::new().set_num_format("0.00");

    // Row 1: title.
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
        &format!("{}缴存基数调整清册（批量导入文件格式）", opts.centre_name),
        &title,
    )?;
    ws.set_row_height(0, 30)?;

    // Row 2: instructions in red.
    let note = Format::new()
        .set_font_color(RED)
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter);
    ws.merge_range(1, 0, 1, last_col, INSTRUCTIONS, &note)?;
    ws.set_row_height(1, 48)?;

    // Row 3: header. The text is exactly the domain constant so the importer finds it;
    // required columns are marked by colour, not by decorating the text.
    let header = border(Format::new().set_bold().set_background_color(HEADER_FILL))
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap();
    let header_required = header.clone().set_font_color(RED);
    for (c, (name, required, width, kind)) in COLUMNS.iter().enumerate() {
        let c = c as u16;
        ws.write_string_with_format(2, c, *name, if *required { &header_required } else { &header })?;
        ws.set_column_width(c, *width)?;
        match kind {
            Kind::Text => {
                ws.set_column_format(c, &text)?;
            }
            Kind::Money => {
                ws.set_column_format(c, &money)?;
            }
            Kind::General => {}
        }
    }
    ws.set_row_height(2, 24)?;

    // Row 4: the red 例 row, with each value in the cell type the column expects.
    let red = |f: Format| border(f.set_font_color(RED));
    for (c, ((_, _, _, kind), value)) in COLUMNS.iter().zip(EXAMPLE).enumerate() {
        let c = c as u16;
        match kind {
            Kind::Money => {
                let n: f64 = value.parse().unwrap_or_default();
                ws.write_number_with_format(3, c, n, &red(money.clone()))?;
            }
            Kind::Text => {
                ws.write_string_with_format(3, c, value, &red(text.clone()))?;
            }
            Kind::General => {
                ws.write_string_with_format(3, c, value, &red(Format::new()))?;
            }
        }
    }

    // Rows 5…: empty, pre-formatted cells.
    let cell_formats = COLUMNS.map(|(_, _, _, kind)| match kind {
        Kind::General => border(Format::new()),
        Kind::Text => border(text.clone()),
        Kind::Money => border(money.clone()),
    });
    let first = FIRST_DATA_ROW;
    let last = first + TEMPLATE_DATA_ROWS - 1;
    for row in first..=last {
        for (c, f) in cell_formats.iter().enumerate() {
            ws.write_blank(row, c as u16, f)?;
        }
    }

    // 生效年月: six characters.
    let month_col = COLUMNS
        .iter()
        .position(|(n, ..)| *n == col::EFFECTIVE_MONTH)
        .unwrap_or(6) as u16;
    let dv = DataValidation::new()
        .allow_text_length(DataValidationRule::EqualTo(6))
        .set_input_title("生效年月")?
        .set_input_message("写 6 位年月，如 202607")?
        .set_error_title("生效年月格式不对")?
        .set_error_message("生效年月请写成 6 位，如 202607（单元格为文本格式）")?;
    ws.add_data_validation(first, month_col, last, month_col, &dv)?;

    ws.set_freeze_panes(3, 0)?;
    ws.set_landscape();
    ws.set_repeat_rows(2, 2)?;
    ws.set_print_fit_to_pages(1, 0);
    Ok(())
}
