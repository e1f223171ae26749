//! What a workbook reader hands over, below every reader and importer: the value of one cell, the visitor a
//! reader drives sheet by sheet, the detected format, and the stored kind of a grid cell.

/// One cell value, borrowed for the duration of a [`SheetVisitor::cell`] call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum CellValue<'a> {
    /// A text cell (shared or inline string, formula string result).
    Text(&'a str),
    /// A number without a date format.
    Number(f64),
    /// `TRUE`/`FALSE`.
    Bool(bool),
    /// A number with a date format: the raw serial, in the workbook's own date system.
    DateSerial(f64),
    /// A date the file stores as ISO 8601 text (ODS, SpreadsheetML, xlsx `t="d"`).
    DateIso(&'a str),
    /// A formula error such as `#N/A` or `#REF!`.
    Error(&'a str),
}

/// What a visitor wants after a cell or at the end of a sheet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Keep going in this sheet.
    Continue,
    /// This sheet is not the one: move on to the next sheet.
    NextSheet,
    /// Done: stop reading the workbook.
    Stop,
}

/// Receives the cells of one sheet after another, in row-major order.
pub(crate) trait SheetVisitor {
    /// A new sheet starts. `date1904` is the workbook's date system.
    fn begin_sheet(&mut self, name: &str, date1904: bool);
    /// One non-empty cell (`row`, `col` are 0-based). Cells come in row-major order.
    fn cell(&mut self, row: u32, col: u32, value: CellValue<'_>) -> Flow;
    /// The sheet ended (or the visitor asked for [`Flow::NextSheet`]/[`Flow::Stop`]).
    /// Return [`Flow::Stop`] when the workbook needs no further reading.
    fn end_sheet(&mut self) -> Flow;
}

/// The workbook formats the importer reads, as detected from the file content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WorkbookFormat {
    /// Office Open XML workbook (`.xlsx`, `.xlsm`), streamed.
    Xlsx,
    /// Excel 97–2003 BIFF8 (`.xls`).
    Xls,
    /// Excel binary workbook (`.xlsb`).
    Xlsb,
    /// OpenDocument spreadsheet (`.ods`).
    Ods,
    /// SpreadsheetML 2003 XML (often named `.xls` or `.xml`), streamed.
    SpreadsheetMl2003,
}

/// The stored type of a grid cell: an unedited cell is written back as it came (a date stays a date, an ID
/// stored as a number is still reported as one); edited cells become text.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum CellKind {
    /// Text (or empty, or edited in the grid).
    #[default]
    Text,
    /// A number.
    Number(f64),
    /// A number with a date format (the serial, in the 1900 system).
    Date(f64),
    /// TRUE/FALSE.
    Bool(bool),
}

/// Excel's error literals. ODS files (LibreOffice) store a formula error as the text itself.
pub(crate) fn is_error_literal(s: &str) -> bool {
    matches!(
        s,
        "#N/A" | "#REF!" | "#VALUE!" | "#DIV/0!" | "#NAME?" | "#NUM!" | "#NULL!" | "#DATA!" | "Err:502"
    )
}
