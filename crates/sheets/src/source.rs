//! Opening a workbook by its content and streaming its cells, whatever the format.
//!
//! * `.xlsx`/`.xlsm` (zip with `xl/workbook.xml`) and `.xlsb`: streamed with calamine's
//!   [`XlsxCellReader`](calamine::XlsxCellReader) / `XlsbCellsReader`; the sheet is never materialised.
//!   Memory is the shared-string table (which calamine loads whole) plus a few reusable buffers.
//! * `.xls` (BIFF8 in an OLE compound file), `.ods`: calamine has no streaming reader for these,
//!   so the sheet is read into a [`calamine::Range`] and walked in row order (at most
//!   [`crate::limits::MAX_CELLS`] cells: `.xls` is capped at 65,536 rows by the format; `.ods`
//!   files of that size are rare for this business).
//! * SpreadsheetML 2003 (XML, often saved with an `.xls` name by WPS and by older centre
//!   templates): streamed by our own reader in [`crate::spreadsheetml`].
//!
//! The format is chosen from the first bytes, never from the file name. Before calamine opens a file,
//! [`crate::limits`] checks what it would allocate, and every call into calamine is [`guarded`]: a damaged file
//! is an unreadable file, never an aborted or panicking importer.

use std::io::{BufReader, Read, Seek, SeekFrom};

use calamine::{
    Cell, CellErrorType, Data, DataRef, Ods, OdsError, Reader, SheetType, SheetVisible, Xls, XlsError, Xlsb,
    Xlsx, XlsxError,
};

use crate::error::{unreadable, SheetError};
use crate::limits::{self, guarded};
use crate::value::{CellValue, Flow, SheetVisitor, WorkbookFormat};

/// Detects the format of `rs` from its first bytes and streams its sheets into `visitor`.
pub(crate) fn visit<RS, V>(mut rs: RS, file: &str, visitor: &mut V) -> Result<WorkbookFormat, SheetError>
where
    RS: Read + Seek,
    V: SheetVisitor,
{
    let mut head = [0u8; 512];
    let n = read_head(&mut rs, &mut head).map_err(|e| unreadable(file, &e))?;
    rs.seek(SeekFrom::Start(0)).map_err(|e| unreadable(file, &e))?;
    let head = &head[..n];
    match sniff(head) {
        Sniffed::Zip => visit_zip(rs, file, visitor),
        Sniffed::Cfb => visit_cfb(rs, file, visitor),
        Sniffed::Xml => {
            crate::spreadsheetml::visit(BufReader::new(rs), file, visitor)?;
            Ok(WorkbookFormat::SpreadsheetMl2003)
        }
        Sniffed::Other(what) => Err(SheetError::FormatUnsupported {
            file: file.to_owned(),
            what,
        }),
    }
}

fn read_head<R: Read>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(k) => filled += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[derive(Debug, PartialEq, Eq)]
enum Sniffed {
    Zip,
    Cfb,
    Xml,
    Other(&'static str),
}

fn sniff(head: &[u8]) -> Sniffed {
    const CFB: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if head.is_empty() {
        return Sniffed::Other("文件是空的");
    }
    if head.starts_with(b"PK\x03\x04") {
        return Sniffed::Zip;
    }
    if head.starts_with(&CFB) {
        return Sniffed::Cfb;
    }
    if head.starts_with(b"%PDF") {
        return Sniffed::Other("看起来是 PDF 文件");
    }
    // UTF-16 text: look at the low bytes (enough to recognise ASCII markup).
    let ascii: Vec<u8>;
    let text = if head.starts_with(&[0xFF, 0xFE]) {
        ascii = head[2..].iter().step_by(2).copied().collect();
        &ascii[..]
    } else if head.starts_with(&[0xFE, 0xFF]) {
        ascii = head[2..].iter().skip(1).step_by(2).copied().collect();
        &ascii[..]
    } else {
        head.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(head)
    };
    let start = text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(text.len());
    let text = &text[start..];
    if text.starts_with(b"<") {
        let lower: Vec<u8> = text.iter().map(u8::to_ascii_lowercase).collect();
        // SpreadsheetML has a `<Table>` too (found by the fuzzing: a short SpreadsheetML file without styles was
        // taken for a web page); a `<table>` is HTML only outside a `<Workbook>`.
        let table = contains(&lower, b"<table") && !contains(&lower, b"workbook");
        if contains(&lower, b"<html") || table || contains(&lower, b"<!doctype") {
            return Sniffed::Other("看起来是网页（HTML）格式，只是文件名是 .xls");
        }
        // SpreadsheetML names its namespace near the top; other XML is refused by the reader.
        return Sniffed::Xml;
    }
    if std::str::from_utf8(text).is_ok() || text.iter().all(|b| *b >= 0x09) {
        if text.contains(&b',') || text.contains(&b'\t') {
            return Sniffed::Other("看起来是 CSV 或制表符分隔的文本");
        }
        return Sniffed::Other("看起来是纯文本");
    }
    Sniffed::Other("无法识别的文件内容")
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn encrypted(file: &str) -> SheetError {
    SheetError::Encrypted {
        file: file.to_owned(),
    }
}

/// Worksheet names in the order we try them: visible worksheets first, then hidden ones
/// (a template may keep a hidden code-list sheet before the data sheet).
fn sheet_order(sheets: &[calamine::Sheet]) -> Vec<String> {
    let worksheets = sheets.iter().filter(|s| s.typ == SheetType::WorkSheet);
    let visible = worksheets.clone().filter(|s| s.visible == SheetVisible::Visible);
    let hidden = worksheets.filter(|s| s.visible != SheetVisible::Visible);
    visible.chain(hidden).map(|s| s.name.clone()).collect()
}

fn visit_zip<RS, V>(mut rs: RS, file: &str, visitor: &mut V) -> Result<WorkbookFormat, SheetError>
where
    RS: Read + Seek,
    V: SheetVisitor,
{
    limits::check_zip(&mut rs, file)?;
    let xlsx_err = match guarded(file, || Ok(Xlsx::new(&mut rs)))? {
        Ok(wb) => {
            stream_xlsx(wb, file, visitor)?;
            return Ok(WorkbookFormat::Xlsx);
        }
        Err(XlsxError::Password) => return Err(encrypted(file)),
        Err(e @ (XlsxError::Zip(_) | XlsxError::Io(_))) => return Err(unreadable(file, &e)),
        Err(e) => e,
    };
    rs.seek(SeekFrom::Start(0)).map_err(|e| unreadable(file, &e))?;
    match guarded(file, || Ok(Ods::new(&mut rs)))? {
        Ok(mut wb) => {
            let order = sheet_order(wb.sheets_metadata());
            walk_ranges(&order, file, false, visitor, |name| wb.worksheet_range(name))?;
            return Ok(WorkbookFormat::Ods);
        }
        Err(OdsError::Password) => return Err(encrypted(file)),
        Err(_) => {}
    }
    rs.seek(SeekFrom::Start(0)).map_err(|e| unreadable(file, &e))?;
    if let Ok(mut wb) = guarded(file, || Ok(Xlsb::new(&mut rs)))? {
        // Streamed like .xlsx: calamine's range of an .xlsb spans from its first to its last cell, so two cells
        // far apart would allocate gigabytes (the bomb the fuzzing found in .xls ranges; limits.rs).
        let order = sheet_order(wb.sheets_metadata());
        let date1904 = wb.has_1904_epoch();
        for name in &order {
            let mut cells = guarded(file, || {
                wb.worksheet_cells_reader(name).map_err(|e| unreadable(file, &e))
            })?;
            visitor.begin_sheet(name, date1904);
            stream_cells(file, visitor, || cells.next_cell())?;
            if visitor.end_sheet() == Flow::Stop {
                break;
            }
        }
        return Ok(WorkbookFormat::Xlsb);
    }
    match xlsx_err {
        // A zip without an Office workbook part: a .docx, a plain archive …
        XlsxError::FileNotFound(_) | XlsxError::RelationshipNotFound => Err(SheetError::FormatUnsupported {
            file: file.to_owned(),
            what: "是压缩包或其他 Office 文档，不是工作簿",
        }),
        other => Err(unreadable(file, &other)),
    }
}

fn visit_cfb<RS, V>(mut rs: RS, file: &str, visitor: &mut V) -> Result<WorkbookFormat, SheetError>
where
    RS: Read + Seek,
    V: SheetVisitor,
{
    limits::check_cfb(&mut rs, file)?;
    // An encrypted .xlsx is an OLE container holding "EncryptedPackage"; calamine's xlsx
    // opener recognises exactly that case. But a file can be a compound file at its start and a zip at its end
    // (the fuzzer made one): calamine then reads it as a workbook, so it gets the zip's limits first.
    limits::check_zip(&mut rs, file)?;
    if let Err(XlsxError::Password) = guarded(file, || Ok(Xlsx::new(&mut rs)))? {
        return Err(encrypted(file));
    }
    rs.seek(SeekFrom::Start(0)).map_err(|e| unreadable(file, &e))?;
    match guarded(file, || Ok(Xls::new(&mut rs)))? {
        Ok(mut wb) => {
            let order = sheet_order(wb.sheets_metadata());
            let date1904 = wb.has_1904_epoch();
            walk_ranges(&order, file, date1904, visitor, |name| wb.worksheet_range(name))?;
            Ok(WorkbookFormat::Xls)
        }
        Err(XlsError::Password) => Err(encrypted(file)),
        // The CFB error type is private to calamine; its message names the missing stream.
        Err(e @ XlsError::Cfb(_)) if e.to_string().contains("Cannot find Workbook stream") => {
            Err(SheetError::FormatUnsupported {
                file: file.to_owned(),
                what: "是其他 Office/WPS 文件（如 .doc、.et），不是 Excel 工作簿",
            })
        }
        Err(e) => Err(unreadable(file, &e)),
    }
}

fn stream_xlsx<RS, V>(mut wb: Xlsx<RS>, file: &str, visitor: &mut V) -> Result<(), SheetError>
where
    RS: Read + Seek,
    V: SheetVisitor,
{
    let order = sheet_order(wb.sheets_metadata());
    let date1904 = wb.has_1904_epoch();
    for name in &order {
        let mut cells = match guarded(file, || Ok(wb.worksheet_cells_reader(name)))? {
            Ok(cells) => cells,
            Err(XlsxError::NotAWorksheet(_)) => continue,
            Err(e) => return Err(unreadable(file, &e)),
        };
        visitor.begin_sheet(name, date1904);
        stream_cells(file, visitor, || cells.next_cell())?;
        if visitor.end_sheet() == Flow::Stop {
            break;
        }
    }
    Ok(())
}

/// Hands the cells of one sheet to `visitor` until it has seen enough; every step into calamine is guarded
/// (and a panic in the visitor is not taken for a damaged file).
fn stream_cells<'a, V, E, N>(file: &str, visitor: &mut V, mut next: N) -> Result<(), SheetError>
where
    V: SheetVisitor,
    E: std::fmt::Display,
    N: FnMut() -> Result<Option<Cell<DataRef<'a>>>, E>,
{
    limits::guarded_loop(file, |ours| {
        loop {
            *ours = false;
            let Some(cell) = next().map_err(|e| unreadable(file, &e))? else {
                return Ok(());
            };
            // Ours until the next step of the reader: the conversion and the visitor (calamine's accessors
            // only read fields). A panic there is a bug of ours, not a damaged file.
            *ours = true;
            let (row, col) = cell.get_position();
            let Some(value) = from_data_ref(cell.get_value()) else {
                continue;
            };
            if visitor.cell(row, col, value) != Flow::Continue {
                return Ok(());
            }
        }
    })
}

fn walk_ranges<E, V, F>(
    order: &[String],
    file: &str,
    date1904: bool,
    visitor: &mut V,
    mut range_of: F,
) -> Result<(), SheetError>
where
    E: std::fmt::Display,
    V: SheetVisitor,
    F: FnMut(&str) -> Result<calamine::Range<Data>, E>,
{
    for name in order {
        let range = guarded(file, || range_of(name).map_err(|e| unreadable(file, &e)))?;
        visitor.begin_sheet(name, date1904);
        let (row0, col0) = range.start().unwrap_or((0, 0));
        for (r, c, data) in range.used_cells() {
            let Some(value) = from_data(data) else { continue };
            // `used_cells` positions are relative to the range start; `Range` is bounded by
            // u32 positions so these conversions cannot overflow.
            let row = row0 + u32::try_from(r).unwrap_or(u32::MAX - row0);
            let col = col0 + u32::try_from(c).unwrap_or(u32::MAX - col0);
            match visitor.cell(row, col, value) {
                Flow::Continue => {}
                Flow::NextSheet | Flow::Stop => break,
            }
        }
        if visitor.end_sheet() == Flow::Stop {
            break;
        }
    }
    Ok(())
}

fn from_data_ref<'a>(d: &'a DataRef<'_>) -> Option<CellValue<'a>> {
    Some(match d {
        DataRef::Empty => return None,
        DataRef::String(s) => CellValue::Text(s),
        DataRef::SharedString(s) => CellValue::Text(s),
        DataRef::Float(f) => CellValue::Number(*f),
        // Integer cells come only from small RK/ODS values; i64 → f64 is exact below 2^53.
        #[allow(clippy::cast_precision_loss)]
        DataRef::Int(i) => CellValue::Number(*i as f64),
        DataRef::Bool(b) => CellValue::Bool(*b),
        DataRef::DateTime(dt) if dt.is_datetime() => CellValue::DateSerial(dt.as_f64()),
        DataRef::DateTime(dt) => CellValue::Number(dt.as_f64()),
        DataRef::DateTimeIso(s) => CellValue::DateIso(s),
        DataRef::DurationIso(s) => CellValue::Text(s),
        DataRef::Error(e) => CellValue::Error(error_text(e)),
    })
}

fn from_data(d: &Data) -> Option<CellValue<'_>> {
    Some(match d {
        Data::Empty => return None,
        Data::String(s) => CellValue::Text(s),
        Data::Float(f) => CellValue::Number(*f),
        #[allow(clippy::cast_precision_loss)]
        Data::Int(i) => CellValue::Number(*i as f64),
        Data::Bool(b) => CellValue::Bool(*b),
        Data::DateTime(dt) if dt.is_datetime() => CellValue::DateSerial(dt.as_f64()),
        Data::DateTime(dt) => CellValue::Number(dt.as_f64()),
        Data::DateTimeIso(s) => CellValue::DateIso(s),
        Data::DurationIso(s) => CellValue::Text(s),
        Data::Error(e) => CellValue::Error(error_text(e)),
    })
}

fn error_text(e: &CellErrorType) -> &'static str {
    match e {
        CellErrorType::Div0 => "#DIV/0!",
        CellErrorType::NA => "#N/A",
        CellErrorType::Name => "#NAME?",
        CellErrorType::Null => "#NULL!",
        CellErrorType::Num => "#NUM!",
        CellErrorType::Ref => "#REF!",
        CellErrorType::Value => "#VALUE!",
        CellErrorType::GettingData => "#DATA!",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff_by_content() {
        assert_eq!(sniff(b"PK\x03\x04rest"), Sniffed::Zip);
        assert_eq!(
            sniff(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0]),
            Sniffed::Cfb
        );
        assert_eq!(
            sniff(b"\xEF\xBB\xBF  <?xml version=\"1.0\"?><Workbook"),
            Sniffed::Xml
        );
        assert!(matches!(sniff(b"<html><table>"), Sniffed::Other(_)));
        assert!(matches!(sniff("序号,姓名\n".as_bytes()), Sniffed::Other(w) if w.contains("CSV")));
        assert!(matches!(sniff(b""), Sniffed::Other(w) if w.contains("空")));
        assert!(matches!(sniff(b"%PDF-1.7"), Sniffed::Other(w) if w.contains("PDF")));
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("<?xml?><Workbook>".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(sniff(&utf16), Sniffed::Xml);
        let html16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("<html><table>".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert!(matches!(sniff(&html16), Sniffed::Other(w) if w.contains("HTML")));
    }
}
