//! The 缴存人登记 batch-import template, written with rust_xlsxwriter.
//!
//! Layout (REFERENCE §A1 Chengdu 个人账户设立清册 and the recommended template of §F1):
//!
//! | row | content |
//! |-----|---------|
//! | 1 | title (merged): "{centre}缴存人登记清册（批量导入文件格式）" |
//! | 2 | red instructions (merged) |
//! | 3 | header: the `gjj_domain::contributor_registration::col` constants, required ones in red |
//! | 4 | red "例" example row (skipped by the importer) |
//! | 5… | empty data rows; 证件类型/证件号码/性别/出生年月/手机/电话/首次汇缴年月/存款账号 cells formatted as text |
//!
//! 证件类型 and 性别 carry drop-down lists ("01 身份证" …, "男"/"女") with a *warning* style: the importer also
//! reads the bare code or label, so a clerk who types "1" is not stopped by Excel.

use std::path::Path;

use gjj_domain::contributor_registration::{col, ID_TYPES, SEXES};
use rust_xlsxwriter::{
    DataValidation, DataValidationErrorStyle, DataValidationRule, Format, FormatAlign, FormatBorder,
    Workbook, Worksheet, XlsxError,
};

use super::TemplateOptions;
use crate::error::{file_label, write_failed, SheetError};

/// The worksheet name of the template.
pub const SHEET_NAME: &str = "缴存人登记";

/// Pre-formatted empty data rows below the example row.
pub const TEMPLATE_DATA_ROWS: u32 = 1000;

/// The 0-based row index of the first data row (Excel row 5).
pub const FIRST_DATA_ROW: u32 = 4;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    General,
    Text,
    Money,
    /// Text, six characters (年月).
    Month,
    /// Text with the 证件类型 drop-down.
    IdType,
    /// Text with the 性别 drop-down.
    Sex,
}

/// Header, whether required, column width, kind, and the value in the 例 row. The example 身份证号码 carries a
/// correct GB 11643 check character; its 17th digit is odd (男) and it encodes 1988-03.
const COLUMNS: [(&str, bool, f64, Kind, &str); 13] = [
    (col::SEQ, false, 6.0, Kind::General, "例"),
    (col::NAME, true, 12.0, Kind::General, "张三"),
    (col::ID_TYPE, true, 14.0, Kind::IdType, "01 身份证"),
    (col::ID_NUMBER, true, 22.0, Kind::Text, "430405198803150011"),
    (col::SEX, false, 7.0, Kind::Sex, "男"),
    (col::BIRTH_MONTH, false, 10.0, Kind::Month, "198803"),
    (col::MOBILE, true, 14.0, Kind::Text, "13800138000"),
    (col::LANDLINE, false, 15.0, Kind::Text, "0734-8123456"),
    (col::BASE, true, 14.0, Kind::Money, "6000"),
    (col::FIRST_MONTH, true, 12.0, Kind::Month, "202607"),
    (col::BANK_ACCOUNT, false, 24.0, Kind::Text, "6222021234567890123"),
    (col::BANK_NAME, false, 20.0, Kind::General, "中国工商银行衡阳分行"),
    (col::NOTE, false, 20.0, Kind::General, "示例行，导入时自动跳过"),
];

const INSTRUCTIONS: &str = "填写说明：1. 红色表头为必填列；2. 证件类型从下拉列表选择（也可填代码 01/02/03/04/99 或名称）；\
3. 证件号码、手机号码、年月、存款账号等列为文本格式，请勿改成数字（18 位证件号码存成数字后最后几位会变成 0）；\
4. 证件类型为身份证时，性别和出生年月可留空，系统按证件号码自动填写；其他证件须填写；\
5. 首次汇缴年月写 202607 这样的 6 位，不早于本单位首次汇缴年月、不晚于下月；6. 金额单位为元，最多两位小数；\
7. 红字“例”行为示例，导入时自动跳过，可保留或删除。";

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

/// The template as a rust_xlsxwriter [`Workbook`] whose only sheet is [`SHEET_NAME`], for callers that fill
/// rows (from [`FIRST_DATA_ROW`]) before saving.
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
    let format_of = |kind: Kind| match kind {
        Kind::General => Format::new(),
        Kind::Money => money.clone(),
        Kind::Text | Kind::Month | Kind::IdType | Kind::Sex => text.clone(),
    };

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
        &format!("{}缴存人登记清册（批量导入文件格式）", opts.centre_name),
        &title,
    )?;
    ws.set_row_height(0, 30)?;

    let note = Format::new()
        .set_font_color(RED)
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter);
    ws.merge_range(1, 0, 1, last_col, INSTRUCTIONS, &note)?;
    ws.set_row_height(1, 64)?;

    // Header: exactly the domain constants so the importer finds them; required columns red.
    let header = border(Format::new().set_bold().set_background_color(HEADER_FILL))
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap();
    let header_required = header.clone().set_font_color(RED);
    for (c, (name, required, width, kind, _)) in (0u16..).zip(COLUMNS.iter()) {
        ws.write_string_with_format(2, c, *name, if *required { &header_required } else { &header })?;
        ws.set_column_width(c, *width)?;
        if *kind != Kind::General {
            ws.set_column_format(c, &format_of(*kind))?;
        }
    }
    ws.set_row_height(2, 30)?;

    // The red 例 row, each value in the cell type the column expects.
    for (c, (_, _, _, kind, example)) in (0u16..).zip(COLUMNS.iter()) {
        let red = border(format_of(*kind).set_font_color(RED));
        if *kind == Kind::Money {
            let n: f64 = example.parse().unwrap_or_default();
            ws.write_number_with_format(3, c, n, &red)?;
        } else {
            ws.write_string_with_format(3, c, *example, &red)?;
        }
    }

    // Empty, pre-formatted cells: per cell as well as per column, because some tools only honour per-cell
    // formats (REFERENCE §F2).
    let cell_formats: Vec<Format> = COLUMNS.iter().map(|c| border(format_of(c.3))).collect();
    let first = FIRST_DATA_ROW;
    let last = first + TEMPLATE_DATA_ROWS - 1;
    for row in first..=last {
        for (c, f) in (0u16..).zip(&cell_formats) {
            ws.write_blank(row, c, f)?;
        }
    }

    for (c, (name, _, _, kind, _)) in (0u16..).zip(COLUMNS.iter()) {
        let table = match kind {
            Kind::Month => {
                let dv = DataValidation::new()
                    .allow_text_length(DataValidationRule::EqualTo(6))
                    .set_error_style(DataValidationErrorStyle::Warning)
                    .set_input_title(*name)?
                    .set_input_message("写 6 位年月，如 202607")?
                    .set_error_title(format!("{name}格式不对"))?
                    .set_error_message(format!("{name}请写成 6 位，如 202607（单元格为文本格式）"))?;
                ws.add_data_validation(first, c, last, c, &dv)?;
                continue;
            }
            Kind::IdType => &ID_TYPES,
            Kind::Sex => &SEXES,
            Kind::General | Kind::Text | Kind::Money => continue,
        };
        let items: Vec<String> = if *kind == Kind::Sex {
            table.entries.iter().map(|e| e.label.to_owned()).collect()
        } else {
            table
                .entries
                .iter()
                .map(|e| format!("{} {}", e.code, e.label))
                .collect()
        };
        let dv = DataValidation::new()
            .allow_list_strings(&items)?
            .set_error_style(DataValidationErrorStyle::Warning)
            .set_input_title(table.name)?
            .set_input_message(format!("从下拉列表选择，或填写代码：{}", table.describe()))?
            .set_error_title(format!("{}不在代码表中", table.name))?
            .set_error_message(format!("{}请填写：{}", table.name, table.describe()))?;
        ws.add_data_validation(first, c, last, c, &dv)?;
    }

    ws.set_freeze_panes(3, 0)?;
    ws.set_landscape();
    ws.set_repeat_rows(2, 2)?;
    ws.set_print_fit_to_pages(1, 0);
    Ok(())
}
