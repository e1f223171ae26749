//! What a workbook may make the reader allocate, checked before calamine opens it — found by the fuzzing
//! (`fuzz/`, tests/tests/fuzz_corpus.rs; issue 14, item 8).
//!
//! calamine trusts sizes and positions written in the file. A few hundred bytes can make it allocate gigabytes
//! (and the app abort, which no error handling catches) or loop forever:
//! - a zip entry that inflates a thousandfold (a "zip bomb"), or one huge XML text the parser buffers whole;
//! - a shared-strings table whose `uniqueCount` claims billions of entries (calamine reserves them up front);
//! - an .xls sheet with two cells far apart, or a DIMENSIONS record beyond the format (calamine materialises the
//!   whole rectangle, for every sheet, when the file is opened); a sector chain that loops back on itself;
//! - an .ods row or cell repeated to the format's limits, or `<text:s text:c="4000000000"/>` (calamine expands
//!   repeats and spaces into memory);
//! - an .xlsb record whose length field says 256 MB.
//!
//! [`check_zip`] and [`check_cfb`] mirror what calamine will read and refuse such a file as
//! [`SheetError::Unreadable`] with the reason. A file calamine cannot parse at all passes them: calamine then
//! says why. [`guarded`] turns a panic inside calamine (an index or an arithmetic overflow on a damaged file)
//! into the same error instead of taking the importer down.
//!
//! The bound this gives, besides a few MB of reader state: an XML part is at most [`MAX_ENTRY_BYTES`] (and at
//! most [`MAX_RATIO`] times its compressed size), of which the parser holds at most one event (one cell text);
//! the shared strings at most [`MAX_SHARED_STRINGS_BYTES`]; an .xls/.ods workbook at most [`MAX_CELLS`] cells
//! in calamine's ranges (32 bytes each, plus their texts: at most [`MAX_ODS_TEXT_BYTES`] for .ods).

use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};

use quick_xml::events::{BytesStart, Event};

use crate::error::SheetError;

/// A zip entry may inflate to at most this many times its compressed size once it is past [`RATIO_GRACE`]
/// (Apache POI's default minimum inflate ratio, 1 %): real workbook parts inflate 5–15 times, a zip bomb 1,000.
pub(crate) const MAX_RATIO: u64 = 100;
/// Entries up to this size are never judged by their ratio (a small, very regular part may compress well).
pub(crate) const RATIO_GRACE: u64 = 1 << 20;
/// Largest zip entry, uncompressed: about five times the sheet part of `MAX_ROWS` rows of 50 columns.
pub(crate) const MAX_ENTRY_BYTES: u64 = 256 << 20;
/// Largest shared-strings part: calamine holds the whole table in memory (about three bytes per byte of XML).
pub(crate) const MAX_SHARED_STRINGS_BYTES: u64 = 64 << 20;
/// Cells calamine may materialise for an .xls or .ods workbook (every sheet, values and formulas together):
/// 65,536 rows × 64 columns. calamine builds these rectangles for every sheet when it opens the file.
pub(crate) const MAX_CELLS: u64 = 1 << 22;
/// An .xls DIMENSIONS record may not claim more than the format holds (65,536 rows × 256 columns): calamine
/// reserves that many cells up front.
const MAX_XLS_DIMENSIONS: u64 = 65_536 * 256;
/// Text an .ods workbook may expand to in calamine's cells (a repeated cell repeats its text).
pub(crate) const MAX_ODS_TEXT_BYTES: u64 = 128 << 20;

fn refuse(file: &str, reason: String) -> SheetError {
    SheetError::Unreadable {
        file: file.to_owned(),
        reason,
    }
}

fn mib(bytes: u64) -> u64 {
    bytes.div_ceil(1 << 20)
}

/// Runs a call into calamine: a panic inside it (a damaged file it did not expect) becomes
/// [`SheetError::Unreadable`]. Only calamine's code runs inside, so a panic in ours still shows.
pub(crate) fn guarded<T>(file: &str, f: impl FnOnce() -> Result<T, SheetError>) -> Result<T, SheetError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|panic| Err(damaged(file, &*panic)))
}

/// [`guarded`] for a loop that alternates calamine's code with ours (a sheet's cells): `f` sets the flag while
/// our code runs, and a panic there is raised again, as it would be unguarded. One guard per sheet rather than
/// per cell: at a few hundred instructions a cell, the guard was a tenth of them.
pub(crate) fn guarded_loop<T>(
    file: &str,
    f: impl FnOnce(&mut bool) -> Result<T, SheetError>,
) -> Result<T, SheetError> {
    let mut ours = false;
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut ours))) {
        Ok(result) => result,
        Err(panic) if ours => std::panic::resume_unwind(panic),
        Err(panic) => Err(damaged(file, &*panic)),
    }
}

/// The error for a panic inside calamine, with its message.
fn damaged(file: &str, panic: &(dyn std::any::Any + Send)) -> SheetError {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    refuse(file, format!("文件内容已损坏，读取库无法处理（{what}）"))
}

// ---------------------------------------------------------------------------------------------------------------
// Zip workbooks: .xlsx/.xlsm, .xlsb, .ods
// ---------------------------------------------------------------------------------------------------------------

/// Checks a zip workbook's entries (sizes, ratios) and what calamine reserves from their content. Leaves `rs`
/// at the start.
pub(crate) fn check_zip<RS: Read + Seek>(rs: &mut RS, file: &str) -> Result<(), SheetError> {
    let result = check_zip_entries(rs, file);
    rs.seek(SeekFrom::Start(0))
        .map_err(|e| crate::error::unreadable(file, &e))?;
    result
}

fn check_zip_entries<RS: Read + Seek>(rs: &mut RS, file: &str) -> Result<(), SheetError> {
    // Not a zip the zip crate can read: calamine will say so.
    let Ok(mut zip) = zip::ZipArchive::new(&mut *rs) else {
        return Ok(());
    };
    let mut shared_strings = Vec::new();
    let mut records = Vec::new();
    let mut ods_content = None;
    for i in 0..zip.len() {
        let Ok(entry) = zip.by_index_data(i) else {
            continue;
        };
        let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        // The zip crate stops reading an entry at its declared size, so the declared sizes are the bound.
        let (size, packed) = (entry.size(), entry.compressed_size());
        if size > MAX_ENTRY_BYTES {
            return Err(refuse(
                file,
                format!(
                    "压缩包中的“{name}”解压后有 {} MB，超过 {} MB 的上限",
                    mib(size),
                    mib(MAX_ENTRY_BYTES)
                ),
            ));
        }
        if size > RATIO_GRACE && size / MAX_RATIO > packed {
            return Err(refuse(
                file,
                format!(
                    "压缩包中的“{name}”解压后有 {} MB，是压缩后大小的 {} 倍以上，像是“压缩炸弹”",
                    mib(size),
                    MAX_RATIO
                ),
            ));
        }
        let lower = name.to_ascii_lowercase();
        if lower.ends_with("sharedstrings.xml") {
            shared_strings.push((i, name, size));
        } else if lower.ends_with(".bin") {
            records.push((i, name, size));
        } else if name == "content.xml" {
            ods_content = Some(i);
        }
    }
    for (i, name, size) in shared_strings {
        if size > MAX_SHARED_STRINGS_BYTES {
            return Err(refuse(
                file,
                format!(
                    "共享字符串表“{name}”解压后有 {} MB，超过 {} MB 的上限",
                    mib(size),
                    mib(MAX_SHARED_STRINGS_BYTES)
                ),
            ));
        }
        if let Ok(part) = zip.by_index(i) {
            check_unique_count(BufReader::new(part), size, file)?;
        }
    }
    for (i, name, size) in records {
        if let Ok(part) = zip.by_index(i) {
            check_record_lengths(BufReader::new(part), &name, size, file)?;
        }
    }
    if let Some(i) = ods_content {
        if let Ok(part) = zip.by_index(i) {
            check_ods_content(BufReader::new(part), file)?;
        }
    }
    Ok(())
}

/// calamine reserves `uniqueCount` strings before reading any: the count may not exceed what the part can hold
/// (an `<si></si>` is at least 9 bytes).
fn check_unique_count<R: BufRead>(part: R, size: u64, file: &str) -> Result<(), SheetError> {
    let mut xml = quick_xml::Reader::from_reader(part);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.local_name().as_ref() == "sst" => {
                let count = e
                    .try_get_attribute("uniqueCount")
                    .ok()
                    .flatten()
                    .and_then(|a| parse_count(a.value.as_bytes()));
                let possible = size / 9 + 1;
                return match count {
                    Some(n) if n > possible => Err(refuse(
                        file,
                        format!("共享字符串表声明有 {n} 项，远超其内容可容纳的 {possible} 项，文件已损坏"),
                    )),
                    _ => Ok(()),
                };
            }
            Ok(Event::Eof) | Err(_) => return Ok(()),
            Ok(_) => {}
        }
    }
}

/// A decimal count as calamine reads it (digits, maybe a leading '+'); `None` when it would not parse as one.
fn parse_count(raw: &[u8]) -> Option<u64> {
    let digits = raw.strip_prefix(b"+").unwrap_or(raw);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // Beyond u64 it does not fit calamine's usize either.
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// .xlsb parts are records (type, length, data); calamine allocates a record's declared length before reading
/// it. A length beyond the rest of the part is a damaged file.
fn check_record_lengths<R: BufRead>(
    mut part: R,
    name: &str,
    size: u64,
    file: &str,
) -> Result<(), SheetError> {
    fn byte<R: Read>(part: &mut R, left: &mut u64) -> Option<u8> {
        let mut b = [0u8];
        part.read_exact(&mut b).ok()?;
        *left = left.saturating_sub(1);
        Some(b[0])
    }
    let mut left = size;
    loop {
        // Type: one or two bytes of 7 bits.
        let Some(b) = byte(&mut part, &mut left) else {
            return Ok(());
        };
        if b & 0x80 != 0 && byte(&mut part, &mut left).is_none() {
            return Ok(());
        }
        // Length: up to four bytes of 7 bits.
        let mut len = 0u64;
        for i in 0..4 {
            let Some(b) = byte(&mut part, &mut left) else {
                return Ok(());
            };
            len |= u64::from(b & 0x7F) << (7 * i);
            if b & 0x80 == 0 {
                break;
            }
        }
        if len > left {
            return Err(refuse(
                file,
                format!("“{name}”中的记录声明长度 {len} 字节，超出该部件的剩余内容，文件已损坏"),
            ));
        }
        let skipped = std::io::copy(&mut (&mut part).take(len), &mut std::io::sink()).unwrap_or(0);
        if skipped < len {
            return Ok(());
        }
        left -= len;
    }
}

/// What calamine materialises from one .ods table.
#[derive(Default)]
struct OdsRow {
    /// Row repeats (capped as calamine caps them).
    repeats: u64,
    /// Cells calamine keeps for the row: up to its last non-empty cell.
    width: u64,
    /// Index of the first non-empty cell.
    first: Option<u64>,
    /// Bytes of text (strings, formulas) in those cells.
    text: u64,
}

/// The limits calamine applies to an .ods table.
const ODS_MAX_ROWS: u64 = 1_048_576;
const ODS_MAX_COLUMNS: u64 = 16_384;

/// Mirrors calamine's .ods reader (`parse_content`, `read_table`, `read_row`, `get_datatype`) to total the cells
/// and text it will build: the rows as parsed, then the sheet's rectangle with repeated rows expanded.
fn check_ods_content<R: BufRead>(part: R, file: &str) -> Result<(), SheetError> {
    let mut xml = quick_xml::Reader::from_reader(part);
    let config = xml.config_mut();
    config.check_end_names = false;
    config.trim_text(false);
    config.check_comments = false;
    config.expand_empty_elements = true;
    let mut buf = Vec::new();
    let (mut cells, mut text) = (0u64, 0u64);
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.name().as_ref() == "table:table" => {
                if e.try_get_attribute("table:name").ok().flatten().is_none() {
                    continue;
                }
                // Incomplete: calamine fails on this table (and so on the file) — but only after building the
                // rows it read (a damaged deflate stream or a stray tag late in the part), so they count too.
                let mut rows = Vec::new();
                let complete = ods_table(&mut xml, &mut rows).is_some();
                let (c, t) = ods_estimate(&rows);
                cells = cells.saturating_add(c);
                text = text.saturating_add(t);
                if cells > MAX_CELLS {
                    return Err(refuse(
                        file,
                        format!(
                            "表格展开重复的行和列后有 {} 万个单元格，超过 {} 万的上限；请删除多余的行列，或另存为 .xlsx",
                            cells / 10_000,
                            MAX_CELLS / 10_000
                        ),
                    ));
                }
                if text > MAX_ODS_TEXT_BYTES {
                    return Err(refuse(
                        file,
                        format!(
                            "表格展开重复的单元格后文字超过 {} MB；请删除多余的重复内容，或另存为 .xlsx",
                            mib(MAX_ODS_TEXT_BYTES)
                        ),
                    ));
                }
                if !complete {
                    return Ok(());
                }
            }
            Ok(Event::Eof) | Err(_) => return Ok(()),
            Ok(_) => {}
        }
    }
}

/// Cells and text bytes calamine builds for a table: every kept cell of every row as parsed (value and formula),
/// then the rectangle from the first to the last non-empty row, repeats expanded.
fn ods_estimate(rows: &[OdsRow]) -> (u64, u64) {
    let parsed: u64 = rows.iter().map(|r| r.width).fold(0, u64::saturating_add);
    let parsed_text: u64 = rows.iter().map(|r| r.text).fold(0, u64::saturating_add);
    let (Some(first), Some(last)) = (
        rows.iter().position(|r| r.width > 0),
        rows.iter().rposition(|r| r.width > 0),
    ) else {
        return (parsed, parsed_text);
    };
    let span = &rows[first..=last];
    let col_min = span.iter().filter_map(|r| r.first).min().unwrap_or(0);
    let col_max = span.iter().map(|r| r.width.saturating_sub(1)).max().unwrap_or(0);
    let width = (col_max + 1).saturating_sub(col_min);
    let height: u64 = span.iter().map(|r| r.repeats).fold(0, u64::saturating_add);
    let text: u64 = span
        .iter()
        .map(|r| r.repeats.saturating_mul(r.text))
        .fold(0, u64::saturating_add);
    // Values and formulas are two rectangles of the same shape.
    let rect = height.saturating_mul(width).saturating_mul(2);
    (
        parsed.saturating_mul(2).saturating_add(rect),
        parsed_text.saturating_add(text),
    )
}

fn attr<'a>(e: &'a BytesStart<'_>, name: &str) -> Option<Cow<'a, str>> {
    e.attributes()
        .with_checks(false)
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .map(|a| a.value)
}

/// A repeat count as calamine parses it; `Err` when calamine would fail on it.
fn repeats(e: &BytesStart<'_>, name: &str) -> Result<u64, ()> {
    match attr(e, name) {
        None => Ok(1),
        Some(v) => v.parse::<usize>().map(|n| n as u64).map_err(|_| ()),
    }
}

/// The rows of a table into `rows` (also when it ends badly: `None`, with the rows read so far).
fn ods_table<R: BufRead>(xml: &mut quick_xml::Reader<R>, rows: &mut Vec<OdsRow>) -> Option<()> {
    let mut total_rows = 0u64;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf).ok()? {
            Event::Start(e) if e.name().as_ref() == "table:table-row" => {
                let n = repeats(&e, "table:number-rows-repeated").ok()?;
                let capped = n.min(ODS_MAX_ROWS.saturating_sub(total_rows));
                total_rows = total_rows.saturating_add(capped);
                let mut row = OdsRow::default();
                let complete = ods_row(xml, &mut row);
                row.repeats = capped;
                rows.push(row);
                complete?;
            }
            Event::End(e) if e.name().as_ref() == "table:table" => return Some(()),
            Event::Eof => return None,
            _ => {}
        }
    }
}

/// One row into `row` (what was read of it also when it ends badly: `None`).
fn ods_row<R: BufRead>(xml: &mut quick_xml::Reader<R>, row: &mut OdsRow) -> Option<()> {
    let mut pending_empty = 0u64;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf).ok()? {
            Event::Start(e)
                if e.name().as_ref() == "table:table-cell"
                    || e.name().as_ref() == "table:covered-table-cell" =>
            {
                let n = repeats(&e, "table:number-columns-repeated").ok()?;
                let (non_empty, text) = ods_cell(xml, &e)?;
                // Empty cells are kept only when a value follows them.
                let empties = pending_empty.min(ODS_MAX_COLUMNS.saturating_sub(row.width));
                row.width += empties;
                pending_empty = 0;
                let capped = n.min(ODS_MAX_COLUMNS.saturating_sub(row.width));
                if non_empty {
                    row.first.get_or_insert(row.width);
                    row.width += capped;
                    row.text = row.text.saturating_add(capped.saturating_mul(text));
                } else {
                    pending_empty = capped;
                }
            }
            Event::End(e) if e.name().as_ref() == "table:table-row" => return Some(()),
            // calamine's `read_row` refuses anything else (text between cells included).
            _ => return None,
        }
    }
}

/// Whether calamine's `get_datatype` gives the cell a value, and the bytes of its text (string and formula).
/// Consumes the cell up to its end tag.
fn ods_cell<R: BufRead>(xml: &mut quick_xml::Reader<R>, e: &BytesStart<'_>) -> Option<(bool, u64)> {
    let (mut is_string, mut is_error, mut value_set, mut value_text) = (false, false, false, None::<u64>);
    let mut formula = 0u64;
    for a in e.attributes().with_checks(false).flatten() {
        match a.key.as_ref() {
            "office:value" if !value_set => {
                a.value.trim().parse::<f64>().ok()?;
                value_set = true;
            }
            "office:string-value" | "office:date-value" | "office:time-value" if !value_set => {
                value_text = Some(a.value.len() as u64);
                value_set = true;
            }
            "office:boolean-value" if !value_set => value_set = true,
            "office:value-type" if !value_set => is_string = a.value.as_ref() == "string",
            "calcext:value-type" => is_error = a.value.as_ref() == "error",
            "table:formula" => formula = a.value.len() as u64,
            _ => {}
        }
    }
    if (!value_set && is_string) || (is_error && value_text == Some(0)) {
        // The cell's paragraphs are its text.
        let mut len = 0u64;
        let mut first_paragraph = true;
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match xml.read_event_into(&mut buf).ok()? {
                Event::Text(t) => len = len.saturating_add(t.len() as u64),
                Event::GeneralRef(r) => len = len.saturating_add(r.len() as u64),
                Event::End(end)
                    if end.name().as_ref() == "table:table-cell"
                        || end.name().as_ref() == "table:covered-table-cell" =>
                {
                    return Some((true, len.saturating_add(formula)));
                }
                Event::Start(s) if s.name().as_ref() == "office:annotation" => {
                    let name = s.name().as_ref().to_owned();
                    let mut inner = Vec::new();
                    loop {
                        inner.clear();
                        match xml.read_event_into(&mut inner).ok()? {
                            Event::End(end) if end.name().as_ref() == name => break,
                            Event::Eof => return None,
                            _ => {}
                        }
                    }
                }
                // A paragraph after the first: a line break.
                Event::Start(s) if s.name().as_ref() == "text:p" => {
                    len = len.saturating_add(u64::from(!std::mem::take(&mut first_paragraph)));
                }
                // `<text:s text:c="n"/>`: n spaces, written out by calamine one by one.
                Event::Start(s) if s.name().as_ref() == "text:s" => {
                    len = len.saturating_add(repeats(&s, "text:c").ok()?);
                }
                Event::Start(s)
                    if s.name().as_ref() == "text:tab" || s.name().as_ref() == "text:line-break" =>
                {
                    len = len.saturating_add(1);
                }
                Event::Eof => return None,
                _ => {}
            }
        }
    }
    // calamine skips the rest of the cell.
    let mut skip = Vec::new();
    xml.read_to_end_into(e.name(), &mut skip).ok()?;
    Some((value_set, value_text.unwrap_or(0).saturating_add(formula)))
}

// ---------------------------------------------------------------------------------------------------------------
// Compound files: .xls (and an encrypted .xlsx, which calamine opens as a compound file to say so)
// ---------------------------------------------------------------------------------------------------------------

/// Checks an OLE compound file the way calamine will read it: its sector chains, and, for an .xls, the cells
/// every sheet will materialise. Leaves `rs` at the start.
pub(crate) fn check_cfb<RS: Read + Seek>(rs: &mut RS, file: &str) -> Result<(), SheetError> {
    let mut bytes = Vec::new();
    rs.seek(SeekFrom::Start(0))
        .and_then(|_| rs.read_to_end(&mut bytes))
        .and_then(|_| rs.seek(SeekFrom::Start(0)))
        .map_err(|e| crate::error::unreadable(file, &e))?;
    match cfb_problem(&bytes) {
        Some(reason) => Err(refuse(file, reason)),
        None => Ok(()),
    }
}

const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
const RESERVED_SECTORS: u32 = 0xFFFF_FFFA;
const DIFSECT: u32 = 0xFFFF_FFFC;

fn u16_at(b: &[u8], i: usize) -> Option<u16> {
    b.get(i..i + 2).map(|s| u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], i: usize) -> Option<u32> {
    b.get(i..i + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn words(b: &[u8]) -> impl Iterator<Item = u32> + '_ {
    b.chunks_exact(4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// The sectors of a compound file as calamine addresses them: sector `id` follows the header, a sector past
/// the end of the file is short or empty, and an id beyond `maxid` is an error.
struct Sectors<'a> {
    data: &'a [u8],
    size: usize,
    maxid: usize,
    /// Mini sectors: calamine fills one past the mini stream from wherever the file reader happens to be, which
    /// no real file needs; such a chain is refused rather than mirrored.
    whole: bool,
}

/// Why a chain cannot be followed the way calamine follows it.
enum Chain {
    /// calamine fails on it by itself (an id past the end, a FAT too short): nothing to guard.
    Fails,
    /// It comes back to a sector it passed: calamine loops, forever or until it has `len` bytes of repeats.
    Loops,
    /// A mini sector past the mini stream.
    Beyond,
}

impl Sectors<'_> {
    fn get(&self, id: u32) -> Result<&[u8], Chain> {
        let id = id as usize;
        if id > self.maxid {
            return Err(Chain::Fails);
        }
        let start = (id * self.size).min(self.data.len());
        let end = (start + self.size).min(self.data.len());
        Ok(&self.data[start..end])
    }

    /// The bytes of the chain from `start` (at most `len`), as calamine's `get_chain` gathers them.
    fn chain(&self, mut id: u32, fat: &[u32], len: usize) -> Result<Vec<u8>, Chain> {
        let mut out = Vec::new();
        let mut steps = 0usize;
        while id != ENDOFCHAIN {
            let sector = self.get(id)?;
            if self.whole && sector.len() < self.size.min(len - out.len()) {
                return Err(Chain::Beyond);
            }
            steps += 1;
            // More steps than sectors: the chain went round.
            if steps > self.maxid + 1 {
                return Err(Chain::Loops);
            }
            let take = sector.len().min(len - out.len());
            out.extend_from_slice(&sector[..take]);
            if out.len() >= len {
                break;
            }
            id = *fat.get(id as usize).ok_or(Chain::Fails)?;
        }
        Ok(out)
    }
}

fn cfb_problem(b: &[u8]) -> Option<String> {
    const LOOPS: &str = "文件内部的扇区链首尾相接（循环），文件已损坏";
    if b.len() < 512 {
        return None;
    }
    let size = match u16_at(b, 30)? {
        9 => 512usize,
        12 => 4096,
        _ => return None,
    };
    if u16_at(b, 32)? != 6 || b.len() < size {
        return None;
    }
    let sectors = Sectors {
        data: &b[size..],
        size,
        maxid: b.len() / size,
        whole: false,
    };
    // The DIFAT: 109 entries in the header, then a chain of DIFAT sectors (each ending with the next one's id).
    let mut difat: Vec<u32> = words(&b[76..512]).collect();
    let mut id = u32_at(b, 68)?;
    let mut steps = 0usize;
    while id < RESERVED_SECTORS {
        steps += 1;
        if steps > sectors.maxid + 1 {
            return None; // calamine bounds this chain itself
        }
        difat.extend(words(sectors.get(id).ok()?));
        id = difat.pop()?;
    }
    let mut fat = Vec::new();
    for id in difat.into_iter().filter(|id| *id < DIFSECT) {
        fat.extend(words(sectors.get(id).ok()?));
    }
    let chain = |start: u32, len: usize| match sectors.chain(start, &fat, len) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(Chain::Fails | Chain::Beyond) => Ok(None),
        Err(Chain::Loops) => Err(LOOPS.to_owned()),
    };
    let dirs = match chain(u32_at(b, 48)?, usize::MAX) {
        Ok(Some(d)) => d,
        Ok(None) => return None,
        Err(e) => return Some(e),
    };
    // Directory entries: UTF-16 name, start sector at 116, size at 120 (32 bits with 512-byte sectors).
    let entries: Vec<(String, u32, usize)> = dirs
        .chunks_exact(128)
        .map(|d| {
            let units: Vec<u16> = d[..64]
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            let name = String::from_utf16_lossy(&units);
            let name = name.split('\0').next().unwrap_or_default().to_owned();
            let start = u32_at(d, 116).unwrap_or(ENDOFCHAIN);
            let len = if size == 512 {
                u32_at(d, 120).map_or(0, |l| l as usize)
            } else {
                d.get(120..128).map_or(0, |s| {
                    u64::from_le_bytes([s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]]) as usize
                })
            };
            (name, start, len)
        })
        .collect();
    let root = entries.first()?;
    let mini_fat_len = u32_at(b, 64)? as usize;
    let (ministream, minifat) = if mini_fat_len > 0 {
        let stream = match chain(root.1, root.2) {
            Ok(Some(s)) => s,
            Ok(None) => return None,
            Err(e) => return Some(e),
        };
        let fat_bytes = match chain(u32_at(b, 60)?, mini_fat_len.saturating_mul(size)) {
            Ok(Some(s)) => s,
            Ok(None) => return None,
            Err(e) => return Some(e),
        };
        (stream, words(&fat_bytes).collect::<Vec<u32>>())
    } else {
        (Vec::new(), Vec::new())
    };
    // The workbook stream, as calamine's Xls finds it.
    let find = |name: &str| entries.iter().find(|e| e.0.eq_ignore_ascii_case(name));
    let &(_, start, len) = find("Workbook").or_else(|| find("Book"))?;
    let stream = if len < 4096 {
        // A small stream lives in 64-byte sectors of the mini stream.
        let mini = Sectors {
            data: &ministream,
            size: 64,
            maxid: sectors.maxid * 8,
            whole: true,
        };
        match mini.chain(start, &minifat, len) {
            Ok(s) => s,
            Err(Chain::Fails) => return None,
            Err(Chain::Loops) => return Some(LOOPS.to_owned()),
            Err(Chain::Beyond) => return Some("工作簿数据流指向小扇区流之外，文件已损坏".to_owned()),
        }
    } else {
        match chain(start, len) {
            Ok(Some(s)) => s,
            Ok(None) => return None,
            Err(e) => return Some(e),
        }
    };
    biff_problem(&stream)
}

/// BIFF records as calamine's `RecordIter` walks them: type, length, data; stops at a truncated record.
fn records(mut s: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let typ = u16_at(s, 0)?;
        let len = usize::from(u16_at(s, 2)?);
        let data = s.get(4..4 + len)?;
        s = &s[4 + len..];
        Some((typ, data))
    })
}

/// The rectangle spanned by some cells.
#[derive(Default)]
struct Span {
    min: Option<(u32, u32)>,
    max: (u32, u32),
}

impl Span {
    fn add(&mut self, row: u16, col: u16) {
        let (r, c) = (u32::from(row), u32::from(col));
        self.min = Some(self.min.map_or((r, c), |(mr, mc)| (mr.min(r), mc.min(c))));
        self.max = (self.max.0.max(r), self.max.1.max(c));
    }

    fn cells(&self) -> u64 {
        self.min.map_or(0, |(r, c)| {
            u64::from(self.max.0 - r + 1).saturating_mul(u64::from(self.max.1 - c + 1))
        })
    }
}

/// Mirrors calamine's `Xls::parse_workbook`: the sheets' positions from BoundSheet8 records, then each sheet's
/// cells (values and formulas, which calamine materialises as two rectangles) and DIMENSIONS reservations.
fn biff_problem(stream: &[u8]) -> Option<String> {
    let mut sheets = Vec::new();
    for (typ, data) in records(stream) {
        match typ {
            // FilePass: encrypted, calamine stops here.
            0x002F if u16_at(data, 0)? != 0 => return None,
            0x0085 => sheets.push(u32_at(data, 0)? as usize),
            0x000A => break,
            _ => {}
        }
    }
    let mut total = 0u64;
    for pos in sheets {
        let Some(sheet) = stream.get(pos..) else { continue };
        let (mut values, mut formulas) = (Span::default(), Span::default());
        let (mut depth, mut seen_bof) = (0usize, false);
        for (typ, data) in records(sheet) {
            if depth > 0 {
                match typ {
                    0x0809 => depth += 1,
                    0x000A => depth -= 1,
                    _ => {}
                }
                continue;
            }
            let at = |i: usize| u16_at(data, i);
            match typ {
                0x0809 if seen_bof => depth += 1,
                0x0809 => seen_bof = true,
                0x0200 => {
                    let claimed = dimensions(data)?;
                    if claimed > MAX_XLS_DIMENSIONS {
                        return Some(format!(
                            "工作表的尺寸记录声称有 {claimed} 个单元格，超出 .xls 格式本身的上限，文件已损坏"
                        ));
                    }
                }
                // Number, Label, RString, BoolErr, Rk, LabelSst: row, column first.
                0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD => {
                    if let (Some(r), Some(c)) = (at(0), at(2)) {
                        values.add(r, c);
                    }
                }
                // MulRk: row, first column, …, last column.
                0x00BD if data.len() >= 6 => {
                    if let (Some(r), Some(first), Some(last)) = (at(0), at(2), at(data.len() - 2)) {
                        values.add(r, first);
                        values.add(r, last);
                    }
                }
                // Formula: a value and a formula text.
                0x0006 if data.len() >= 20 => {
                    if let (Some(r), Some(c)) = (at(0), at(2)) {
                        values.add(r, c);
                        formulas.add(r, c);
                    }
                }
                0x000A => break,
                _ => {}
            }
        }
        total = total
            .saturating_add(values.cells())
            .saturating_add(formulas.cells());
        if total > MAX_CELLS {
            return Some(format!(
                "工作表的已用区域有 {} 万个单元格（含空白），超过 {} 万的上限；请删除表格下方和右侧多余的内容，或另存为 .xlsx",
                total / 10_000,
                MAX_CELLS / 10_000
            ));
        }
    }
    None
}

/// The cells a DIMENSIONS record makes calamine reserve (`parse_dimensions`, then rows × columns with its
/// unchecked arithmetic); `None` when calamine refuses the record.
fn dimensions(r: &[u8]) -> Option<u64> {
    let (rf, rl, mut cf, cl) = match r.len() {
        10 => (
            u32::from(u16_at(r, 0)?),
            u32::from(u16_at(r, 2)?),
            u32::from(u16_at(r, 4)?),
            u32::from(u16_at(r, 6)?),
        ),
        14 | 16 => (
            u32_at(r, 0)?,
            u32_at(r, 4)?,
            u32::from(u16_at(r, 8)?),
            u32::from(u16_at(r, 10)?),
        ),
        _ => return None,
    };
    if 0xFF < cf || cl < cf {
        cf = 0;
    }
    let (start, end) = if 1 <= rl && 1 <= cl {
        ((rf, cf), (rl - 1, cl - 1))
    } else {
        ((rf, cf), (rf, cf))
    };
    let rows = end.0.wrapping_sub(start.0).wrapping_add(1);
    let cols = end.1.wrapping_sub(start.1).wrapping_add(1);
    Some(u64::from(rows).saturating_mul(u64::from(cols)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_in_the_reader_is_an_error_and_one_in_our_code_stays_a_panic() {
        let err = guarded_loop("a.xlsx", |_| -> Result<(), SheetError> {
            panic!("index out of bounds")
        })
        .unwrap_err();
        assert_eq!(err.code(), "SHEET_UNREADABLE");
        assert!(err.to_string().contains("index out of bounds"));
        let ours = std::panic::catch_unwind(|| {
            guarded_loop("a.xlsx", |ours| -> Result<(), SheetError> {
                *ours = true;
                panic!("a bug of ours")
            })
        });
        assert!(ours.is_err());
        assert_eq!(guarded_loop("a.xlsx", |_| Ok(7)).ok(), Some(7));
    }

    #[test]
    fn counts_parse_as_calamine_reads_them() {
        assert_eq!(parse_count(b"42"), Some(42));
        assert_eq!(parse_count(b"+42"), Some(42));
        assert_eq!(parse_count(b"-1"), None);
        assert_eq!(parse_count(b"99999999999999999999999"), None);
    }

    #[test]
    fn a_lying_unique_count_is_refused() {
        let sst = br#"<sst xmlns="x" count="4294967295" uniqueCount="4294967295"><si><t>x</t></si></sst>"#;
        let err = check_unique_count(&sst[..], sst.len() as u64, "a.xlsx").unwrap_err();
        assert_eq!(err.code(), "SHEET_UNREADABLE");
        let ok = br#"<sst uniqueCount="1"><si><t>x</t></si></sst>"#;
        assert!(check_unique_count(&ok[..], ok.len() as u64, "a.xlsx").is_ok());
    }

    #[test]
    fn a_record_longer_than_its_part_is_refused() {
        // Type 0x13, length 0x7F | 0x7F << 7 | … (four bytes: 256 MB), no data.
        let part = [0x13, 0xFF, 0xFF, 0xFF, 0x7F];
        assert!(check_record_lengths(&part[..], "xl/sharedStrings.bin", 5, "a.xlsb").is_err());
        let fine = [0x13, 0x02, 0xAA, 0xBB, 0x14, 0x00];
        assert!(check_record_lengths(&fine[..], "xl/sharedStrings.bin", 6, "a.xlsb").is_ok());
    }

    #[test]
    fn ods_repeats_are_totalled() {
        let content = |body: &str| {
            format!(
                "<office:document-content><office:body><office:spreadsheet><table:table table:name=\"S\">{body}</table:table></office:spreadsheet></office:body></office:document-content>"
            )
        };
        let cell = "<table:table-cell office:value-type=\"float\" office:value=\"1\"/>";
        let small = content(&format!("<table:table-row>{cell}{cell}</table:table-row>"));
        assert!(check_ods_content(small.as_bytes(), "a.ods").is_ok());
        let bomb = content(
            "<table:table-row table:number-rows-repeated=\"1048576\"><table:table-cell table:number-columns-repeated=\"16384\" office:value-type=\"float\" office:value=\"1\"/></table:table-row>",
        );
        assert!(check_ods_content(bomb.as_bytes(), "a.ods").is_err());
        let spaces = content(
            "<table:table-row><table:table-cell office:value-type=\"string\"><text:p><text:s text:c=\"4000000000\"/></text:p></table:table-cell></table:table-row>",
        );
        assert!(check_ods_content(spaces.as_bytes(), "a.ods").is_err());
        // LibreOffice's own tail: empty rows and cells repeated to the format's limits cost nothing.
        let tail = content(&format!(
            "<table:table-row>{cell}</table:table-row><table:table-row table:number-rows-repeated=\"1048575\"><table:table-cell table:number-columns-repeated=\"16384\"/></table:table-row>"
        ));
        assert!(check_ods_content(tail.as_bytes(), "a.ods").is_ok());
    }

    #[test]
    fn xls_dimensions_and_spans() {
        // Rows 0..65536, columns 0..256: the format's own limit, allowed; past it, refused.
        let mut d = Vec::new();
        d.extend_from_slice(&0u32.to_le_bytes());
        d.extend_from_slice(&65_536u32.to_le_bytes());
        d.extend_from_slice(&0u16.to_le_bytes());
        d.extend_from_slice(&256u16.to_le_bytes());
        d.extend_from_slice(&0u16.to_le_bytes());
        assert_eq!(dimensions(&d), Some(MAX_XLS_DIMENSIONS));
        d[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(dimensions(&d).is_some_and(|n| n > MAX_XLS_DIMENSIONS));
        let mut s = Span::default();
        s.add(0, 0);
        s.add(65_535, 255);
        assert_eq!(s.cells(), 65_536 * 256);
    }
}
