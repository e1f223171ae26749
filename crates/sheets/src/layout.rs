//! What every business sheet shares, below all of them (no business module is imported here): the template
//! writer driven by a [`Layout`] (the conventions of our templates, REFERENCE §A/§F1: title row, red
//! instructions, header, red "例" row, pre-formatted empty rows with text-formatted identifier and 年月 columns),
//! the header aliases people columns are found by, totals-row detection, the row [`Builder`] that turns cells into
//! typed values with per-cell issues, and the file/reader entry points of an import.

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

use gjj_domain::base_adjustment::col;
use gjj_domain::code_table::CodeTable;
use gjj_domain::issue::{Code, Issue};
use rust_xlsxwriter::{
    DataValidation, DataValidationErrorStyle, DataValidationRule, Format, FormatAlign, FormatBorder,
    Workbook, Worksheet, XlsxError,
};

use crate::cell::{CellRef, Problem};
use crate::error::{file_label, write_failed, SheetError};
use crate::header::ColumnSpec;
use crate::import::{self, ImportOptions, ImportStats, RowCells, RowCtx, RowKind};
use crate::value::CellValue;

/// Opens a workbook file with the errors users understand (shared by every importer).
pub(crate) fn open(path: &Path, label: &str) -> Result<File, SheetError> {
    if path.is_dir() {
        return Err(SheetError::NotFound {
            file: label.to_owned(),
        });
    }
    File::open(path).map_err(|e| crate::error::open_failed(label, &e))
}

/// Header spellings of the person columns found in real centre templates (REFERENCE §A:
/// Chengdu 个人客户号/职工姓名/执行时间; §G1: JGJ/T 320 field ids). `pub(crate)`: every
/// per-person batch (个人封存/启封 …) names its people the same way.
pub(crate) mod aliases {
    /// 序号.
    pub(crate) const SEQ: &[&str] = &["编号"];
    /// 个人账号.
    pub(crate) const ACCOUNT: &[&str] = &[
        "个人公积金账号",
        "公积金账号",
        "个人客户号",
        "职工账号",
        "个人账户号",
        "GRZH",
    ];
    /// 姓名.
    pub(crate) const NAME: &[&str] = &["职工姓名", "缴存人姓名", "XingMing"];
    /// 证件号码.
    pub(crate) const ID_NUMBER: &[&str] = &["身份证号码", "身份证号", "证件号", "身份证件号码", "ZJHM"];
    /// 生效年月 (+ the adjustment-specific 调整年月, harmless elsewhere).
    pub(crate) const EFFECTIVE_MONTH: &[&str] =
        &["生效月份", "执行时间", "执行年月", "生效时间", "调整年月", "SXNY"];
    /// 备注.
    pub(crate) const NOTE: &[&str] = &["说明", "BeiZhu"];
}

/// "合计/总计/小计" in one of the `labels` columns with nothing in the `ids` columns: a
/// totals row, not a person (shared by the per-person batches).
pub(crate) fn is_totals_row(cells: &RowCells<'_>, ids: &[usize], labels: &[usize]) -> bool {
    if ids.iter().any(|&i| cells.get(i).is_some()) {
        return false;
    }
    labels.iter().filter_map(|&i| cells.text(i)).any(|t| {
        let t = t.trim_start();
        t.starts_with("合计") || t.starts_with("总计") || t.starts_with("小计")
    })
}

/// Converts the cells of one row, pushing an issue per failed cell. `pub(crate)`: every
/// batch importer builds its rows with it.
pub(crate) struct Builder<'a> {
    /// The layout's columns (`RowKind::COLUMNS`), for the names in issues.
    pub(crate) columns: &'static [ColumnSpec],
    pub(crate) cells: &'a RowCells<'a>,
    pub(crate) ctx: &'a RowCtx,
    pub(crate) issues: &'a mut Vec<Issue>,
    /// Some cell of the row failed: the row is not delivered.
    pub(crate) failed: bool,
}

impl Builder<'_> {
    fn convert<T, F>(&mut self, i: usize, f: F) -> Option<T>
    where
        F: FnOnce(CellValue<'_>, &str, CellRef) -> Result<Option<T>, Problem>,
    {
        let spec = &self.columns[i];
        let (value, cell_ref) = self.cells.get_at(i, self.ctx.row)?;
        match f(value, spec.name, cell_ref) {
            Ok(v) => v,
            Err(p) => {
                self.failed = true;
                self.issues
                    .push(Issue::new(self.ctx.row, spec.name, p.code, p.message));
                None
            }
        }
    }

    /// Column `i`'s value, or `None` when empty or unconvertible (with an issue).
    pub(crate) fn optional<T, F>(&mut self, i: usize, f: F) -> Option<T>
    where
        F: FnOnce(CellValue<'_>, &str, CellRef) -> Result<Option<T>, Problem>,
    {
        self.convert(i, f)
    }

    /// Column `i`'s value; an empty cell is a [`Code::Required`] issue.
    pub(crate) fn required<T, F>(&mut self, i: usize, f: F) -> Option<T>
    where
        F: FnOnce(CellValue<'_>, &str, CellRef) -> Result<Option<T>, Problem>,
    {
        let had_issue = self.issues.len();
        let v = self.convert(i, f);
        if v.is_none() && self.issues.len() == had_issue {
            let spec = &self.columns[i];
            self.failed = true;
            self.issues.push(Issue::new(
                self.ctx.row,
                spec.name,
                Code::Required,
                format!("“{}”不能为空，请填写", spec.name),
            ));
        }
        v
    }
}

/// Pre-formatted empty data rows below the example row.
pub const TEMPLATE_DATA_ROWS: u32 = 1000;

/// The 0-based row index of the first data row (Excel row 5), for callers that fill a
/// `template_workbook`.
pub const FIRST_DATA_ROW: u32 = 4;

/// What varies between centres.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateOptions {
    /// The centre's name, first part of the title, e.g. "衡阳市住房公积金管理中心".
    pub centre_name: String,
}

impl Default for TemplateOptions {
    fn default() -> Self {
        TemplateOptions {
            centre_name: "住房公积金管理中心".to_owned(),
        }
    }
}

/// The kind of cell below a header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// No number format.
    General,
    /// Text (`@`): identifiers and 年月, so Excel cannot turn them into numbers.
    Text,
    /// Amount in yuan (`0.00`).
    Money,
    /// Text with a drop-down of a code table's "code label" entries.
    Code(&'static CodeTable),
    /// Text with a drop-down of a code table's labels alone (性别: "男"/"女"); codes are read too.
    Labels(&'static CodeTable),
    /// A six-character 年月, text, with a length check.
    Month,
}

/// One column of a template.
pub(crate) struct Column {
    /// The header (the `gjj_domain` column constant).
    pub name: &'static str,
    /// Other spellings the importer accepts for it (real centre templates, REFERENCE §A, §F1).
    pub aliases: &'static [&'static str],
    /// Required columns have a red header.
    pub required: bool,
    /// Column width in characters.
    pub width: f64,
    /// What goes below it.
    pub kind: Kind,
    /// The value in the red 例 row.
    pub example: &'static str,
}

/// A [`Column`] in one line, for the long column lists.
pub(crate) const fn column(
    name: &'static str,
    aliases: &'static [&'static str],
    required: bool,
    width: f64,
    kind: Kind,
    example: &'static str,
) -> Column {
    Column {
        name,
        aliases,
        required,
        width,
        kind,
        example,
    }
}

impl Column {
    /// What the importer looks for: the header, its aliases, and whether a file without it is refused.
    pub(crate) const fn spec(&self) -> ColumnSpec {
        ColumnSpec {
            name: self.name,
            aliases: self.aliases,
            required: self.required,
        }
    }
}

/// A template: its sheet, title and columns.
pub(crate) struct Layout {
    /// Worksheet name.
    pub sheet: &'static str,
    /// The title after the centre's name, e.g. "个人封存清册（批量导入文件格式）".
    pub title: &'static str,
    /// The red instructions row.
    pub instructions: String,
    /// The columns in template order.
    pub columns: &'static [Column],
}

const RED: u32 = 0xC0_00_00;
const HEADER_FILL: u32 = 0xD9_E1_F2;

/// The template as a [`Workbook`] whose only sheet is `layout.sheet`.
pub(crate) fn workbook(layout: &Layout, opts: &TemplateOptions) -> Result<Workbook, SheetError> {
    build(layout, opts).map_err(|e| write_failed("(内存)", &e))
}

/// The template as `.xlsx` bytes.
pub(crate) fn bytes(layout: &Layout, opts: &TemplateOptions) -> Result<Vec<u8>, SheetError> {
    let mut wb = build(layout, opts).map_err(|e| write_failed("(内存)", &e))?;
    wb.save_to_buffer().map_err(|e| write_failed("(内存)", &e))
}

/// Writes the template to `path`.
pub(crate) fn write(layout: &Layout, path: &Path, opts: &TemplateOptions) -> Result<(), SheetError> {
    let label = file_label(path);
    let mut wb = build(layout, opts).map_err(|e| write_failed(&label, &e))?;
    wb.save(path).map_err(|e| write_failed(&label, &e))
}

/// A value a template is prefilled with, under its column's title.
#[derive(Clone, Copy, Debug)]
pub enum Prefill<'a> {
    /// Text (identifiers and 年月 keep their leading zeros: the column is text-formatted).
    Text(&'a str),
    /// An amount, shown with 2 decimals.
    Money(gjj_domain::money::Fen),
}

/// The template with `rows` filled in from [`FIRST_DATA_ROW`], 序号 numbered, each value under its column's
/// title in that column's format; a title the layout lacks is skipped (the layout decides what is asked).
pub(crate) fn write_rows(
    layout: &Layout,
    path: &Path,
    opts: &TemplateOptions,
    rows: &[Vec<(&str, Prefill<'_>)>],
) -> Result<(), SheetError> {
    let label = file_label(path);
    let fail = |e: XlsxError| write_failed(&label, &e);
    let mut wb = build(layout, opts).map_err(fail)?;
    let ws = wb.worksheet_from_index(0).map_err(fail)?;
    let text = Format::new().set_num_format("@");
    let money = Format::new().set_num_format("0.00");
    let index = |title: &str| layout.columns.iter().position(|c| c.name == title);
    for (r, row) in (FIRST_DATA_ROW..).zip(rows) {
        if let Some(seq) = index(col::SEQ) {
            ws.write_number(r, seq as u16, f64::from(r - FIRST_DATA_ROW + 1))
                .map_err(fail)?;
        }
        for (title, value) in row {
            let Some(c) = index(title).and_then(|c| u16::try_from(c).ok()) else {
                continue;
            };
            match value {
                Prefill::Text(t) if layout.columns[usize::from(c)].kind == Kind::General => {
                    ws.write_string(r, c, *t).map_err(fail)?;
                }
                Prefill::Text(t) => {
                    ws.write_string_with_format(r, c, *t, &text).map_err(fail)?;
                }
                // An Excel cell holds a double; 分 / 100 is exact for display up to 2^53 分.
                Prefill::Money(f) => {
                    ws.write_number_with_format(r, c, f.0 as f64 / 100.0, &money)
                        .map_err(fail)?;
                }
            }
        }
    }
    wb.save(path).map_err(fail)
}

fn build(layout: &Layout, opts: &TemplateOptions) -> Result<Workbook, XlsxError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(layout.sheet)?;
    fill(ws, layout, opts)?;
    Ok(wb)
}

fn fill(ws: &mut Worksheet, layout: &Layout, opts: &TemplateOptions) -> Result<(), XlsxError> {
    let columns = layout.columns;
    let last_col = u16::try_from(columns.len().saturating_sub(1)).unwrap_or(0);
    let border = |f: Format| f.set_border(FormatBorder::Thin);
    let text = Format::new().set_num_format("@");
    let money = Format::new().set_num_format("0.00");
    let format_of = |kind: Kind| match kind {
        Kind::General => Format::new(),
        Kind::Text | Kind::Code(_) | Kind::Labels(_) | Kind::Month => text.clone(),
        Kind::Money => money.clone(),
    };

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
        &format!("{}{}", opts.centre_name, layout.title),
        &title,
    )?;
    ws.set_row_height(0, 30)?;

    // Row 2: instructions in red.
    let note = Format::new()
        .set_font_color(RED)
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter);
    ws.merge_range(1, 0, 1, last_col, &layout.instructions, &note)?;
    ws.set_row_height(1, 60)?;

    // Row 3: header, exactly the domain constants so the importer finds them; required ones red.
    let header = border(Format::new().set_bold().set_background_color(HEADER_FILL))
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap();
    let header_required = header.clone().set_font_color(RED);
    for (c, column) in (0u16..).zip(columns) {
        let style = if column.required {
            &header_required
        } else {
            &header
        };
        ws.write_string_with_format(2, c, column.name, style)?;
        ws.set_column_width(c, column.width)?;
        if column.kind != Kind::General {
            ws.set_column_format(c, &format_of(column.kind))?;
        }
    }
    ws.set_row_height(2, 24)?;

    // Row 4: the red 例 row, each value in the cell type the column expects.
    for (c, column) in (0u16..).zip(columns) {
        let red = border(format_of(column.kind).set_font_color(RED));
        match column.kind {
            Kind::Money => {
                let n: f64 = column.example.parse().unwrap_or_default();
                ws.write_number_with_format(3, c, n, &red)?;
            }
            _ => {
                ws.write_string_with_format(3, c, column.example, &red)?;
            }
        }
    }

    // Rows 5…: empty, pre-formatted cells (per cell as well as per column: some tools only
    // honour per-cell formats, REFERENCE §F2).
    let cell_formats: Vec<Format> = columns.iter().map(|c| border(format_of(c.kind))).collect();
    let first = FIRST_DATA_ROW;
    let last = first + TEMPLATE_DATA_ROWS - 1;
    for row in first..=last {
        for (c, f) in (0u16..).zip(&cell_formats) {
            ws.write_blank(row, c, f)?;
        }
    }

    for (c, column) in (0u16..).zip(columns) {
        match column.kind {
            Kind::Month => {
                // A warning, not a stop: the importer also reads a real Excel date in a 年月 column.
                let dv = DataValidation::new()
                    .allow_text_length(DataValidationRule::EqualTo(6))
                    .set_error_style(DataValidationErrorStyle::Warning)
                    .set_input_title(column.name)?
                    .set_input_message("写 6 位年月，如 202607")?
                    .set_error_title(format!("{}格式不对", column.name))?
                    .set_error_message(format!(
                        "{}请写成 6 位，如 202607（单元格为文本格式）",
                        column.name
                    ))?;
                ws.add_data_validation(first, c, last, c, &dv)?;
            }
            Kind::Code(table) | Kind::Labels(table) => {
                let items: Vec<String> = table
                    .entries
                    .iter()
                    .map(|e| match column.kind {
                        Kind::Labels(_) => e.label.to_owned(),
                        _ => format!("{} {}", e.code, e.label),
                    })
                    .collect();
                // A warning, not a stop: the code alone ("1") or the label alone is accepted
                // too, and the importer reads all three forms.
                let dv = DataValidation::new()
                    .allow_list_strings(&items)?
                    .set_error_style(DataValidationErrorStyle::Warning)
                    .set_input_title(table.name)?
                    .set_input_message(format!("从下拉列表选择，或填写代码：{}", table.describe()))?
                    .set_error_title(format!("{}不在代码表中", table.name))?
                    .set_error_message(format!("{}请填写：{}", table.name, table.describe()))?;
                ws.add_data_validation(first, c, last, c, &dv)?;
            }
            Kind::General | Kind::Text | Kind::Money => {}
        }
    }

    ws.set_freeze_panes(3, 0)?;
    ws.set_landscape();
    ws.set_repeat_rows(2, 2)?;
    ws.set_print_fit_to_pages(1, 0);
    Ok(())
}

/// Streams a workbook file of layout `K` (see `base_adjustment::import_with_options`).
pub(crate) fn import_path<K, F>(
    path: &Path,
    opts: &ImportOptions,
    alongside: crate::Alongside<'_>,
    on_row: F,
    issues: &mut Vec<Issue>,
) -> Result<ImportStats, SheetError>
where
    K: RowKind,
    F: FnMut(K::Row, &mut Vec<Issue>),
{
    let label = file_label(path);
    let file = open(path, &label)?;
    import::run::<K, _, _>(BufReader::new(file), &label, opts, alongside, on_row, issues)
}

/// The grid of a workbook of layout `K` at `path`.
pub(crate) fn grid_path<K: RowKind>(path: &Path) -> Result<crate::Grid, SheetError> {
    let label = file_label(path);
    let file = open(path, &label)?;
    import::grid::<K, _>(BufReader::new(file), &label, &ImportOptions::default())
}

/// Streams a workbook of layout `K` from any seekable reader.
pub(crate) fn import_from<K, R, F>(
    reader: R,
    file_name: &str,
    opts: &ImportOptions,
    on_row: F,
    issues: &mut Vec<Issue>,
) -> Result<ImportStats, SheetError>
where
    K: RowKind,
    R: Read + Seek + Send,
    F: FnMut(K::Row, &mut Vec<Issue>),
{
    import::run::<K, _, _>(reader, file_name, opts, Default::default(), on_row, issues)
}

/// The identity columns every person batch starts with (序号 | 个人账号 | 姓名 | 证件号码), one definition for the
/// 封存, 启封 and 补缴 templates.
pub(crate) const SEQ_COLUMN: Column = Column {
    name: col::SEQ,
    aliases: aliases::SEQ,
    required: false,
    width: 6.0,
    kind: Kind::General,
    example: "例",
};
/// 个人账号: text, so leading zeros and long accounts survive Excel.
pub(crate) const ACCOUNT_COLUMN: Column = Column {
    name: col::ACCOUNT,
    aliases: aliases::ACCOUNT,
    required: true,
    width: 18.0,
    kind: Kind::Text,
    example: "430000000001",
};
/// 姓名.
pub(crate) const NAME_COLUMN: Column = Column {
    name: col::NAME,
    aliases: aliases::NAME,
    required: true,
    width: 12.0,
    kind: Kind::General,
    example: "张三",
};
/// 证件号码: text (an 18-digit number loses its last digits in a Number cell); the example has a correct
/// GB 11643 check digit.
pub(crate) const ID_NUMBER_COLUMN: Column = Column {
    name: col::ID_NUMBER,
    aliases: aliases::ID_NUMBER,
    required: true,
    width: 22.0,
    kind: Kind::Text,
    example: "430405198803150011",
};
/// 生效年月: the month a change takes effect.
pub(crate) const EFFECTIVE_MONTH_COLUMN: Column = Column {
    name: col::EFFECTIVE_MONTH,
    aliases: aliases::EFFECTIVE_MONTH,
    required: true,
    width: 11.0,
    kind: Kind::Month,
    example: "202607",
};
/// 备注, last; the 例 row says it is skipped.
pub(crate) const NOTE_COLUMN: Column = Column {
    name: col::NOTE,
    aliases: aliases::NOTE,
    required: false,
    width: 24.0,
    kind: Kind::General,
    example: "示例行，导入时自动跳过",
};

/// The import entry points every batch sheet module offers (`import`, `import_with`, `import_with_options`,
/// `import_alongside`, `import_reader`), generated over the module's [`RowKind`] so the seven businesses share one definition.
macro_rules! import_api {
    ($kind:ty, $row:ty, $what:literal) => {
        #[doc = concat!("Reads a ", $what, " workbook: every clean row, every issue and the data-row count ")]
        #[doc = "(in memory; prefer `import_with` for large files)."]
        pub fn import(
            path: impl AsRef<std::path::Path>,
        ) -> Result<$crate::Imported<$row>, $crate::SheetError> {
            let mut rows = Vec::new();
            let mut issues = Vec::new();
            let stats = import_with(path, |row, _| rows.push(row), &mut issues)?;
            Ok($crate::Imported { rows, issues, data_rows: stats.data_rows })
        }

        #[doc = concat!("Streams a ", $what, " workbook: `on_row` receives each row without cell problems, in sheet ")]
        #[doc = "order, with the issue list (for a checker to append to). `Err` only for an unreadable file."]
        pub fn import_with<F>(
            path: impl AsRef<std::path::Path>,
            on_row: F,
            issues: &mut Vec<gjj_domain::issue::Issue>,
        ) -> Result<$crate::ImportStats, $crate::SheetError>
        where
            F: FnMut($row, &mut Vec<gjj_domain::issue::Issue>),
        {
            import_with_options(path, &$crate::ImportOptions::default(), on_row, issues)
        }

        /// `import_with` with explicit [`ImportOptions`](crate::ImportOptions).
        pub fn import_with_options<F>(
            path: impl AsRef<std::path::Path>,
            opts: &$crate::ImportOptions,
            on_row: F,
            issues: &mut Vec<gjj_domain::issue::Issue>,
        ) -> Result<$crate::ImportStats, $crate::SheetError>
        where
            F: FnMut($row, &mut Vec<gjj_domain::issue::Issue>),
        {
            $crate::layout::import_path::<$kind, _>(path.as_ref(), opts, Default::default(), on_row, issues)
        }

        /// `import_with`, doing on the same pass what [`Alongside`](crate::Alongside) asks (the grid, the
        /// issues taken as they come): a window that shows and checks a sheet reads the file once.
        pub fn import_alongside<F>(
            path: impl AsRef<std::path::Path>,
            alongside: $crate::Alongside<'_>,
            on_row: F,
            issues: &mut Vec<gjj_domain::issue::Issue>,
        ) -> Result<$crate::ImportStats, $crate::SheetError>
        where
            F: FnMut($row, &mut Vec<gjj_domain::issue::Issue>),
        {
            let opts = $crate::ImportOptions::default();
            $crate::layout::import_path::<$kind, _>(path.as_ref(), &opts, alongside, on_row, issues)
        }

        #[doc = concat!("The raw cells of every data row of a ", $what, " workbook, for a grid that shows and edits them.")]
        pub fn read_grid(path: impl AsRef<std::path::Path>) -> Result<$crate::Grid, $crate::SheetError> {
            $crate::layout::grid_path::<$kind>(path.as_ref())
        }

        /// `import_with_options` over any seekable reader (`file_name` only for messages).
        pub fn import_reader<R, F>(
            reader: R,
            file_name: &str,
            opts: &$crate::ImportOptions,
            on_row: F,
            issues: &mut Vec<gjj_domain::issue::Issue>,
        ) -> Result<$crate::ImportStats, $crate::SheetError>
        where
            R: std::io::Read + std::io::Seek + Send,
            F: FnMut($row, &mut Vec<gjj_domain::issue::Issue>),
        {
            $crate::layout::import_from::<$kind, _, _>(reader, file_name, opts, on_row, issues)
        }
    };
}
pub(crate) use import_api;

/// The template entry points every batch sheet module offers (`write_template`, `template_bytes`,
/// `template_workbook`), over the module's `layout()`.
macro_rules! template_api {
    () => {
        /// Writes the template to `path` (an `.xlsx` file).
        pub fn write_template(
            path: impl AsRef<std::path::Path>,
            opts: &$crate::layout::TemplateOptions,
        ) -> Result<(), $crate::SheetError> {
            $crate::layout::write(&layout(), path.as_ref(), opts)
        }

        /// The template as `.xlsx` bytes.
        pub fn template_bytes(opts: &$crate::layout::TemplateOptions) -> Result<Vec<u8>, $crate::SheetError> {
            $crate::layout::bytes(&layout(), opts)
        }

        /// The template as a workbook whose only sheet is `SHEET_NAME`, for callers that fill rows from
        /// `FIRST_DATA_ROW` before saving.
        pub fn template_workbook(
            opts: &$crate::layout::TemplateOptions,
        ) -> Result<rust_xlsxwriter::Workbook, $crate::SheetError> {
            $crate::layout::workbook(&layout(), opts)
        }

        /// The template with `rows` prefilled (each value under its column's title), to `path`.
        pub fn write_prefilled(
            path: impl AsRef<std::path::Path>,
            opts: &$crate::layout::TemplateOptions,
            rows: &[Vec<(&str, $crate::layout::Prefill<'_>)>],
        ) -> Result<(), $crate::SheetError> {
            $crate::layout::write_rows(&layout(), path.as_ref(), opts, rows)
        }
    };
}
pub(crate) use template_api;

/// The importer's view of a template's columns (name, aliases, required), derived from the one list each
/// business writes: the template and the reader cannot disagree about a column.
pub(crate) const fn specs<const N: usize>(columns: &[Column; N]) -> [ColumnSpec; N] {
    const EMPTY: ColumnSpec = ColumnSpec {
        name: "",
        aliases: &[],
        required: false,
    };
    let mut out = [EMPTY; N];
    let mut i = 0;
    while i < N {
        out[i] = columns[i].spec();
        i += 1;
    }
    out
}
