//! The generic part of every importer: find the header row, map columns by their text, and
//! assemble each data row from the cell stream, skipping what is not data.
//!
//! A business (see [`crate::base_adjustment`]) only supplies a [`RowKind`]: its columns and
//! how one row of cells becomes one typed row.
//!
//! Flow: a worker thread streams cells ([`source::visit`]) into the [`Assembler`], which finds
//! the header, keeps only the known columns of each row in a reusable [`Batch`] (each cell's
//! text copied once into one arena) and drops blank, 例 and 合计 rows. Full batches go through a
//! bounded channel to the calling thread, which converts each row with [`RowKind::build`] and
//! hands it to the caller's callback, then returns the emptied batch for reuse.

use std::io::{Read, Seek};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use gjj_domain::issue::{Code, Issue};

use crate::cell::CellRef;
use crate::error::SheetError;
use crate::header::{is_invisible, ColumnSpec, HeaderMatcher};
use crate::source;
use crate::value::{CellKind, CellValue, Flow, SheetVisitor, WorkbookFormat};

/// The default cap on data rows per import (REFERENCE: batch files of up to 100,000 people).
pub const MAX_ROWS: u32 = 100_000;

/// How many rows from the top of a sheet are searched for the header row by default.
pub const HEADER_SEARCH_ROWS: u32 = 20;

/// Rows and columns of an Excel sheet (XFD1048576): no cell of a real workbook lies beyond.
const EXCEL_ROWS: u32 = 1 << 20;
const EXCEL_COLUMNS: u32 = 1 << 14;

/// Knobs for an import. `ImportOptions::default()` is what the client and the gateway use.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImportOptions {
    /// Data rows beyond this many are not read; one [`Code::TooManyRows`] issue is reported.
    pub max_rows: u32,
    /// The header row must be within this many rows of the top of the sheet.
    pub header_search_rows: u32,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            max_rows: MAX_ROWS,
            header_search_rows: HEADER_SEARCH_ROWS,
        }
    }
}

impl ImportOptions {
    /// The defaults with a different row cap.
    pub fn with_max_rows(mut self, max_rows: u32) -> Self {
        self.max_rows = max_rows;
        self
    }

    /// The defaults with a different header search window.
    pub fn with_header_search_rows(mut self, rows: u32) -> Self {
        self.header_search_rows = rows;
        self
    }
}

/// Everything an import produced: the rows without cell problems, every problem found, and
/// how many data rows the sheet had (with or without problems).
#[derive(Clone, Debug, PartialEq)]
pub struct Imported<T> {
    /// Rows that converted cleanly, in sheet order (still to be checked by the domain rules).
    pub rows: Vec<T>,
    /// Cell- and sheet-level problems, in sheet order.
    pub issues: Vec<Issue>,
    /// Data rows seen (rows with cell problems included; blank, 例 and 合计 rows excluded).
    pub data_rows: u32,
}

/// What a streaming import saw, besides the rows and issues it delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImportStats {
    /// The detected file format.
    pub format: WorkbookFormat,
    /// The sheet whose header was found, if any.
    pub sheet: Option<String>,
    /// The 1-based Excel row number of the header row, if found.
    pub header_row: Option<u32>,
    /// Data rows seen (see [`Imported::data_rows`]).
    pub data_rows: u32,
    /// Rows handed to the callback (data rows without cell problems).
    pub rows_delivered: u32,
}

/// One business's row layout and conversion.
pub(crate) trait RowKind {
    /// The typed row.
    type Row;
    /// The columns, in template order.
    const COLUMNS: &'static [ColumnSpec];
    /// A row containing all of these columns (indexes into `COLUMNS`) is the header row.
    const HEADER_KEYS: &'static [usize];
    /// A row is a data row when any of these columns holds a value.
    const DATA_KEYS: &'static [usize];
    /// The 序号 column, whose "例" marks the example row.
    const SEQ: Option<usize>;
    /// What to call the header keys in a [`Code::HeaderNotFound`] message.
    const HEADER_HINT: &'static str;

    /// Whether a row is a footer such as "合计" rather than a person.
    fn is_footer(cells: &RowCells<'_>) -> bool;

    /// Converts one data row; on any cell problem pushes the issues and returns `None`.
    fn build(cells: &RowCells<'_>, ctx: &RowCtx, issues: &mut Vec<Issue>) -> Option<Self::Row>;
}

/// Where the row being built lives, for messages and conversions.
pub(crate) struct RowCtx {
    /// The 1-based Excel row number.
    pub row: u32,
    /// The workbook uses the 1904 date system.
    pub date1904: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Text,
    Number,
    Bool,
    DateSerial,
    DateIso,
    Error,
}

/// One non-empty cell of a known column, as stored in a [`Batch`]: 16 bytes, as batches of them are what
/// the reader holds in memory besides calamine.
#[derive(Clone, Copy, Debug)]
struct RawCell {
    /// A number's bits, or the byte range of the cell text in the batch's text arena (start << 32 | end).
    payload: u64,
    /// 0-based sheet column (for the cell reference in messages); below `EXCEL_COLUMNS`.
    col: u16,
    /// Index into `RowKind::COLUMNS`.
    slot: u8,
    kind: Kind,
}

const _: () = assert!(std::mem::size_of::<RawCell>() == 16);

/// The known cells of one row: a view into a [`Batch`]. A row has at most one cell per known
/// column.
#[derive(Clone, Copy)]
pub(crate) struct RowCells<'b> {
    cells: &'b [RawCell],
    text: &'b str,
}

impl<'b> RowCells<'b> {
    /// A row has a handful of cells (at most one per known column): a scan is all a lookup needs.
    fn raw(&self, i: usize) -> Option<&'b RawCell> {
        self.cells.iter().find(|c| usize::from(c.slot) == i)
    }

    /// The value of column `i` (an index into `COLUMNS`); `None` when empty or blank text.
    pub(crate) fn get(&self, i: usize) -> Option<CellValue<'b>> {
        self.raw(i).map(|c| self.value(c))
    }

    /// The value of column `i` with its cell reference ("D5") in Excel row `row`: one lookup for both.
    pub(crate) fn get_at(&self, i: usize, row: u32) -> Option<(CellValue<'b>, CellRef)> {
        self.raw(i).map(|c| {
            let col = u32::from(c.col);
            (self.value(c), CellRef { col, row })
        })
    }

    fn value(&self, c: &RawCell) -> CellValue<'b> {
        let text = || {
            let (start, end) = ((c.payload >> 32) as usize, (c.payload as u32) as usize);
            self.text.get(start..end).unwrap_or_default()
        };
        let num = f64::from_bits(c.payload);
        match c.kind {
            Kind::Text => CellValue::Text(text()),
            Kind::Number => CellValue::Number(num),
            Kind::Bool => CellValue::Bool(num != 0.0),
            Kind::DateSerial => CellValue::DateSerial(num),
            Kind::DateIso => CellValue::DateIso(text()),
            Kind::Error => CellValue::Error(text()),
        }
    }

    /// The text of column `i` if it is a text cell.
    pub(crate) fn text(&self, i: usize) -> Option<&'b str> {
        match self.get(i)? {
            CellValue::Text(t) => Some(t),
            _ => None,
        }
    }
}

/// Text that is only whitespace or invisible characters counts as an empty cell.
fn is_blank(t: &str) -> bool {
    if t.as_bytes().first().is_some_and(u8::is_ascii_graphic) {
        return false;
    }
    t.chars()
        .all(|c| c.is_whitespace() || is_invisible(c) || c.is_control())
}

const UNMAPPED: u8 = u8::MAX;

// ---------------------------------------------------------------------------------------------
// Producer: cell stream → batches of raw data rows (runs on a worker thread)
// ---------------------------------------------------------------------------------------------

/// Rows per batch handed from the reading thread to the converting thread: each hand-over wakes the other
/// thread (a system call and a context switch), so a few hundred per 100,000 rows.
const BATCH_ROWS: usize = 512;
/// Cells per batch, allocated once with the batch (64 KiB): a batch is flushed before a row could overflow.
const BATCH_CELLS: usize = 4096;
/// Text bytes after which a batch is flushed. A cell's text range is packed as two `u32` offsets into the
/// batch's text (`start << 32 | end`), so a batch must stay far below 4 GiB: under this, plus the one row
/// committed last (at most a few dozen cells of what the reader limits allow, 128 MiB each).
const BATCH_TEXT_BYTES: usize = 16 << 20;
/// Batches in flight (bounded, so a slow consumer throttles the reader and memory stays flat).
const BATCHES_IN_FLIGHT: usize = 2;

/// Raw data rows: their known cells and one text arena, reused batch after batch. The row
/// being assembled lives at the end (after the last committed row) until it is committed or
/// discarded, so each cell's text is copied exactly once.
struct Batch {
    rows: Vec<RowEnd>,
    cells: Vec<RawCell>,
    text: String,
}

/// A committed row of a [`Batch`]: where its cells and text end.
#[derive(Clone, Copy)]
struct RowEnd {
    /// The 1-based Excel row.
    row: u32,
    date1904: bool,
    cells: u32,
    text: u32,
}

impl Batch {
    fn new() -> Self {
        Batch {
            rows: Vec::with_capacity(BATCH_ROWS),
            cells: Vec::with_capacity(BATCH_CELLS),
            text: String::new(),
        }
    }

    /// Whether another row of `columns` cells may not fit, or the text is as much as a batch should carry.
    fn full(&self, columns: usize) -> bool {
        self.rows.len() >= BATCH_ROWS
            || self.cells.len() + columns > BATCH_CELLS
            || self.text.len() > BATCH_TEXT_BYTES
    }

    fn committed_cells(&self) -> usize {
        self.rows.last().map_or(0, |r| r.cells as usize)
    }

    fn push_cell(&mut self, slot: u8, col: u16, value: CellValue<'_>) {
        let mut text = |t: &str| {
            let start = self.text.len();
            self.text.push_str(t);
            // Below 4 GiB: see BATCH_TEXT_BYTES.
            (start as u64) << 32 | self.text.len() as u64
        };
        let (kind, payload) = match value {
            CellValue::Text(t) => (Kind::Text, text(t)),
            CellValue::Number(n) => (Kind::Number, n.to_bits()),
            CellValue::Bool(b) => (Kind::Bool, if b { 1.0f64 } else { 0.0 }.to_bits()),
            CellValue::DateSerial(n) => (Kind::DateSerial, n.to_bits()),
            CellValue::DateIso(t) => (Kind::DateIso, text(t)),
            CellValue::Error(t) => (Kind::Error, text(t)),
        };
        self.cells.push(RawCell {
            payload,
            col,
            slot,
            kind,
        });
    }

    /// The row being assembled.
    fn pending(&self) -> RowCells<'_> {
        RowCells {
            cells: &self.cells[self.committed_cells()..],
            text: &self.text,
        }
    }

    fn discard_pending(&mut self) {
        let (cells, text) = self
            .rows
            .last()
            .map_or((0, 0), |r| (r.cells as usize, r.text as usize));
        self.cells.truncate(cells);
        self.text.truncate(text);
    }

    fn commit_pending(&mut self, row: u32, date1904: bool) {
        // A batch holds a few hundred rows and under 4 GiB of text (BATCH_TEXT_BYTES): both fit in u32.
        self.rows.push(RowEnd {
            row,
            date1904,
            cells: self.cells.len() as u32,
            text: self.text.len() as u32,
        });
    }

    /// Committed row `k`.
    fn row(&self, k: usize) -> RowCells<'_> {
        let start = k.checked_sub(1).map_or(0, |p| self.rows[p].cells as usize);
        RowCells {
            cells: &self.cells[start..self.rows[k].cells as usize],
            text: &self.text,
        }
    }

    fn clear(&mut self) {
        self.rows.clear();
        self.cells.clear();
        self.text.clear();
    }
}

enum Msg {
    Rows(Batch),
    Issue(Issue),
}

/// The producer's end of the hand-over.
struct Output {
    tx: SyncSender<Msg>,
    recycled: Receiver<Batch>,
    batch: Batch,
}

impl Output {
    /// Sends the committed rows (the pending row must be empty). `false`: consumer gone.
    fn flush(&mut self) -> bool {
        if self.batch.rows.is_empty() {
            return true;
        }
        let fresh = self.recycled.try_recv().unwrap_or_else(|_| Batch::new());
        let full = std::mem::replace(&mut self.batch, fresh);
        self.tx.send(Msg::Rows(full)).is_ok()
    }

    /// A header- or sheet-level issue, ordered after the rows before it.
    fn issue(&mut self, issue: Issue) -> bool {
        self.batch.discard_pending();
        self.flush() && self.tx.send(Msg::Issue(issue)).is_ok()
    }
}

enum Phase {
    /// Looking for the header in the current sheet; holds the texts of the pending row.
    Searching {
        row: Option<u32>,
        texts: Vec<(u32, String)>,
    },
    /// Header found; assembling data rows.
    Data,
    /// Nothing more to read.
    Done,
}

/// What the producer found, besides rows and issues.
struct Found {
    header_row: Option<u32>,
    sheet: Option<String>,
    data_rows: u32,
    column_missing: bool,
}

/// The [`SheetVisitor`] that finds the header and assembles data rows of `K` from the cells.
struct Assembler<'o, K> {
    opts: &'o ImportOptions,
    matcher: HeaderMatcher,
    out: Output,
    phase: Phase,
    sheet: String,
    date1904: bool,
    /// Sheet column → index into `K::COLUMNS` (or `UNMAPPED`).
    col_map: Vec<u8>,
    /// The row being assembled (0-based) and whether column A starts with 例.
    cur_row: Option<u32>,
    row_is_example: bool,
    found: Found,
    _kind: std::marker::PhantomData<K>,
}

impl<'o, K: RowKind> Assembler<'o, K> {
    fn new(opts: &'o ImportOptions, out: Output) -> Self {
        Assembler {
            opts,
            matcher: HeaderMatcher::new(K::COLUMNS),
            out,
            phase: Phase::Searching {
                row: None,
                texts: Vec::new(),
            },
            sheet: String::new(),
            date1904: false,
            col_map: Vec::new(),
            cur_row: None,
            row_is_example: false,
            found: Found {
                header_row: None,
                sheet: None,
                data_rows: 0,
                column_missing: false,
            },
            _kind: std::marker::PhantomData,
        }
    }

    /// Checks whether the pending search row is the header; if so switches to [`Phase::Data`].
    /// `None`: not the header. `Some(Flow::Stop)`: header found but required columns missing.
    fn try_header(&mut self, row: u32, texts: &[(u32, String)]) -> Option<Flow> {
        let mut found: Vec<Option<u32>> = vec![None; K::COLUMNS.len()];
        for (col, text) in texts {
            if let Some(i) = self.matcher.column_of(text) {
                if found[i].is_none() {
                    found[i] = Some(*col);
                }
            }
        }
        if !K::HEADER_KEYS.iter().all(|&k| found[k].is_some()) {
            return None;
        }
        let excel_row = row + 1;
        self.found.header_row = Some(excel_row);
        self.found.sheet = Some(self.sheet.clone());
        for (i, spec) in K::COLUMNS.iter().enumerate() {
            if spec.required && found[i].is_none() {
                self.found.column_missing = true;
                self.out.issue(Issue::new(
                    excel_row,
                    spec.name,
                    Code::ColumnMissing,
                    format!(
                        "第 {excel_row} 行的表头里没有“{}”列。请使用最新模板，或在表头行补上这一列（列名须与模板一致）",
                        spec.name
                    ),
                ));
            }
        }
        if self.found.column_missing {
            self.phase = Phase::Done;
            return Some(Flow::Stop);
        }
        let width = found.iter().flatten().max().map_or(0, |&c| c as usize + 1);
        self.col_map = vec![UNMAPPED; width];
        for (i, col) in found.iter().enumerate() {
            if let Some(c) = col {
                // COLUMNS has far fewer than 255 entries.
                self.col_map[*c as usize] = i as u8;
            }
        }
        self.phase = Phase::Data;
        Some(Flow::Continue)
    }

    fn data_cell(&mut self, row: u32, col: u32, value: CellValue<'_>) -> Flow {
        if self.cur_row != Some(row) {
            if let Some(prev) = self.cur_row {
                if self.finish_row(prev) == Flow::Stop {
                    return Flow::Stop;
                }
            }
            self.cur_row = Some(row);
        }
        if col == 0 {
            if let CellValue::Text(t) = value {
                self.row_is_example = is_example(t);
            }
        }
        let Some(&slot) = self.col_map.get(col as usize) else {
            return Flow::Continue;
        };
        if slot == UNMAPPED || matches!(value, CellValue::Text(t) if is_blank(t)) {
            return Flow::Continue;
        }
        // `cell` drops columns from EXCEL_COLUMNS (2^14) on: the column fits in a u16.
        self.out
            .batch
            .push_cell(slot, u16::try_from(col).unwrap_or(u16::MAX), value);
        Flow::Continue
    }

    /// Commits or discards the pending row.
    fn finish_row(&mut self, row: u32) -> Flow {
        let example = std::mem::take(&mut self.row_is_example);
        if self.out.batch.cells.len() == self.out.batch.committed_cells() {
            return Flow::Continue;
        }
        let pending = self.out.batch.pending();
        let seq_example = K::SEQ.and_then(|i| pending.text(i)).is_some_and(is_example);
        let is_data = K::DATA_KEYS.iter().any(|&k| pending.get(k).is_some()) && !K::is_footer(&pending);
        if example || seq_example || !is_data {
            self.out.batch.discard_pending();
            return Flow::Continue;
        }
        let excel_row = row + 1;
        if self.found.data_rows >= self.opts.max_rows {
            let max = self.opts.max_rows;
            self.out.issue(Issue::sheet(
                Code::TooManyRows,
                format!(
                    "数据超过 {max} 行，从第 {excel_row} 行起没有读取。请把名单拆成多个文件，每个不超过 {max} 行，分批导入"
                ),
            ));
            self.phase = Phase::Done;
            return Flow::Stop;
        }
        self.found.data_rows += 1;
        self.out.batch.commit_pending(excel_row, self.date1904);
        if self.out.batch.full(K::COLUMNS.len()) && !self.out.flush() {
            self.phase = Phase::Done;
            return Flow::Stop;
        }
        Flow::Continue
    }
}

fn is_example(t: &str) -> bool {
    let t = t.trim_matches(|c: char| c.is_whitespace() || is_invisible(c));
    t.starts_with('例') || t.starts_with("示例")
}

impl<K: RowKind> SheetVisitor for Assembler<'_, K> {
    fn begin_sheet(&mut self, name: &str, date1904: bool) {
        self.sheet.clear();
        self.sheet.push_str(name);
        self.date1904 = date1904;
        if !matches!(self.phase, Phase::Done) {
            self.phase = Phase::Searching {
                row: None,
                texts: Vec::new(),
            };
        }
    }

    fn cell(&mut self, row: u32, col: u32, value: CellValue<'_>) -> Flow {
        // Excel's grid is 1,048,576 rows × 16,384 columns. A reader reports a cell beyond it only for a damaged
        // or hostile file (SpreadsheetML `ss:Index="4294967295"`, an .xlsb row header): no sheet a person made has
        // one, so it is ignored. Found by the fuzzing: the last row overflowed `row + 1` (a panic in debug
        // builds, row "0" in release ones) and a header at column 4,000,000,000 made a 4 GB column map.
        if row >= EXCEL_ROWS || col >= EXCEL_COLUMNS {
            return Flow::Continue;
        }
        match &mut self.phase {
            Phase::Data => self.data_cell(row, col, value),
            Phase::Done => Flow::Stop,
            Phase::Searching { row: pending, texts } => {
                if *pending != Some(row) {
                    if let Some(prev) = *pending {
                        let texts = std::mem::take(texts);
                        match self.try_header(prev, &texts) {
                            Some(Flow::Continue) => return self.data_cell(row, col, value),
                            Some(flow) => return flow,
                            None => {}
                        }
                    }
                    if row >= self.opts.header_search_rows {
                        return Flow::NextSheet;
                    }
                    self.phase = Phase::Searching {
                        row: Some(row),
                        texts: Vec::new(),
                    };
                }
                if let (Phase::Searching { texts, .. }, CellValue::Text(t)) = (&mut self.phase, value) {
                    if !is_blank(t) {
                        texts.push((col, t.to_owned()));
                    }
                }
                Flow::Continue
            }
        }
    }

    fn end_sheet(&mut self) -> Flow {
        if let Phase::Searching {
            row: Some(prev),
            texts,
        } = &mut self.phase
        {
            let prev = *prev;
            let texts = std::mem::take(texts);
            if self.try_header(prev, &texts).is_none() {
                return Flow::Continue;
            }
        }
        match self.phase {
            Phase::Searching { .. } => Flow::Continue,
            Phase::Done => Flow::Stop,
            Phase::Data => {
                if let Some(prev) = self.cur_row.take() {
                    self.finish_row(prev);
                }
                self.phase = Phase::Done;
                Flow::Stop
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Consumer: batches → typed rows → callback (the calling thread)
// ---------------------------------------------------------------------------------------------

/// Runs an import of `K` over a workbook read from `rs`.
///
/// Two threads: a worker reads the workbook (decompression, XML, the cell stream), finds the
/// header and assembles raw rows; the calling thread converts them to `K::Row`s and runs
/// `on_row` (so `on_row` need not be `Send`). They are joined by a bounded channel of reusable
/// batches, so memory stays flat and, on two cores, conversion plus the caller's checks overlap
/// with reading instead of adding to it.
pub(crate) fn run<K, RS, F>(
    rs: RS,
    file: &str,
    opts: &ImportOptions,
    alongside: Alongside<'_>,
    mut on_row: F,
    issues: &mut Vec<Issue>,
) -> Result<ImportStats, SheetError>
where
    K: RowKind,
    RS: Read + Seek + Send,
    F: FnMut(K::Row, &mut Vec<Issue>),
{
    let mut delivered = 0u32;
    let Alongside { grid, mut drain } = alongside;
    // The grid, when asked for, is filled from the same cells on the same pass: a window that shows the sheet
    // and checks it reads the file once (reading it twice side by side doubled the wait on two cores).
    let mut fill = grid.map(GridFill::new::<K>);
    let mut stats = run_raw::<K, RS>(rs, file, opts, issues, &mut |cells, ctx, issues| {
        if let Some(fill) = fill.as_mut() {
            fill.push::<K>(cells, ctx);
        }
        if let Some(typed) = K::build(cells, ctx, issues) {
            delivered += 1;
            on_row(typed, issues);
        }
        if issues.len() >= DRAIN_AT {
            if let Some(drain) = drain.as_mut() {
                drain(issues);
            }
        }
    })?;
    if let Some(fill) = fill {
        fill.finish(stats.header_row);
    }
    stats.rows_delivered = delivered;
    Ok(stats)
}

/// The raw cells of every data row of layout `K`, as the user sees them: what the desktop grid shows and
/// edits. Cell problems are not judged here (that is [`run`]'s job on the same file).
pub(crate) fn grid<K, RS>(rs: RS, file: &str, opts: &ImportOptions) -> Result<crate::Grid, SheetError>
where
    K: RowKind,
    RS: Read + Seek + Send,
{
    let mut grid = crate::Grid::default();
    let mut fill = GridFill::new::<K>(&mut grid);
    let mut ignored = Vec::new();
    let stats = run_raw::<K, RS>(rs, file, opts, &mut ignored, &mut |cells, ctx, _| {
        fill.push::<K>(cells, ctx);
    })?;
    fill.finish(stats.header_row);
    Ok(grid)
}

/// What an import does on its pass besides delivering rows (the desktop's 导入并检查: the grid it shows, and the
/// issues kept compactly as they come, so a sheet with a problem on every row never holds 100,000 `Issue`s with
/// their messages at once).
#[derive(Default)]
pub struct Alongside<'a> {
    /// Replaced by the file's grid (what `read_grid` returns), built from the same cells.
    pub grid: Option<&'a mut crate::Grid>,
    /// Handed the issue list whenever it holds [`DRAIN_AT`] issues, to take them (in order) elsewhere; what is
    /// left at the end stays in the list.
    pub drain: Option<&'a mut Drain<'a>>,
}

/// What takes the issues found so far (see [`Alongside::drain`]).
pub type Drain<'a> = dyn FnMut(&mut Vec<Issue>) + 'a;

/// Issues held before [`Alongside::drain`] is called.
pub const DRAIN_AT: usize = 1024;

/// Fills a grid row by row with each cell as shown and its stored type (scratch buffers reused across rows).
struct GridFill<'g> {
    grid: &'g mut crate::Grid,
    text: String,
    kinds: Vec<CellKind>,
    ranges: Vec<std::ops::Range<usize>>,
}

impl<'g> GridFill<'g> {
    /// Starts `grid` afresh under `K`'s columns.
    fn new<K: RowKind>(grid: &'g mut crate::Grid) -> Self {
        *grid = crate::Grid::new(K::COLUMNS.iter().map(|c| c.name.to_owned()).collect(), None);
        GridFill {
            grid,
            text: String::new(),
            kinds: Vec::with_capacity(K::COLUMNS.len()),
            ranges: Vec::with_capacity(K::COLUMNS.len()),
        }
    }

    fn push<K: RowKind>(&mut self, cells: &RowCells<'_>, ctx: &RowCtx) {
        self.text.clear();
        self.kinds.clear();
        self.ranges.clear();
        for i in 0..K::COLUMNS.len() {
            let start = self.text.len();
            if let Some(v) = cells.get(i) {
                push_shown(&mut self.text, v, ctx.date1904);
                self.kinds.push(kind(v, ctx.date1904));
            } else {
                self.kinds.push(CellKind::Text);
            }
            self.ranges.push(start..self.text.len());
        }
        let text = &self.text;
        self.grid.push_row(
            ctx.row,
            self.ranges
                .iter()
                .zip(&self.kinds)
                .map(|(r, k)| (text.get(r.clone()).unwrap_or_default(), *k)),
        );
    }

    fn finish(self, header_row: Option<u32>) {
        self.grid.header_row = header_row;
        self.grid.shrink_to_fit();
    }
}

/// Appends a cell as Excel shows it (numbers without a trailing ".0", dates as YYYY-MM-DD) to `out`: text, most
/// cells, is copied without a `String` of its own (this runs for every cell of a sheet the window shows).
fn push_shown(out: &mut String, v: CellValue<'_>, date1904: bool) {
    match v {
        CellValue::Text(t) | CellValue::DateIso(t) | CellValue::Error(t) => out.push_str(t),
        CellValue::Number(n) => out.push_str(&crate::cell::number_text(n)),
        CellValue::Bool(b) => out.push_str(if b { "TRUE" } else { "FALSE" }),
        CellValue::DateSerial(n) => {
            out.push_str(&excel_date(n, date1904).unwrap_or_else(|| crate::cell::number_text(n)))
        }
    }
}

/// A cell's stored type for writing it back unchanged (dates in the 1900 system).
fn kind(v: CellValue<'_>, date1904: bool) -> CellKind {
    match v {
        CellValue::Number(n) => CellKind::Number(n),
        CellValue::DateSerial(n) => CellKind::Date(if date1904 { n + 1462.0 } else { n }),
        CellValue::Bool(b) => CellKind::Bool(b),
        CellValue::Text(_) | CellValue::DateIso(_) | CellValue::Error(_) => CellKind::Text,
    }
}

/// An Excel date serial as YYYY-MM-DD (civil-from-days; 1900 system counts from 1899-12-30).
pub(crate) fn excel_date(serial: f64, date1904: bool) -> Option<String> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    // Days since 1970-01-01 (serial 25569 in the 1900 system; the 1904 system starts 1462 days later).
    let days = serial.floor() as i64 - if date1904 { 24107 } else { 25569 };
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

/// The reading machinery shared by [`run`] and [`grid`]: `consume` sees each data row's known cells.
fn run_raw<K, RS>(
    rs: RS,
    file: &str,
    opts: &ImportOptions,
    issues: &mut Vec<Issue>,
    consume: &mut dyn FnMut(&RowCells<'_>, &RowCtx, &mut Vec<Issue>),
) -> Result<ImportStats, SheetError>
where
    K: RowKind,
    RS: Read + Seek + Send,
{
    let (tx, rx) = sync_channel::<Msg>(BATCHES_IN_FLIGHT);
    let (recycle_tx, recycled) = sync_channel::<Batch>(BATCHES_IN_FLIGHT + 2);
    let produced = std::thread::scope(|scope| {
        let producer = scope.spawn(move || {
            let out = Output {
                tx,
                recycled,
                batch: Batch::new(),
            };
            let mut asm: Assembler<'_, K> = Assembler::new(opts, out);
            let format = source::visit(rs, file, &mut asm)?;
            asm.out.batch.discard_pending();
            asm.out.flush();
            Ok::<_, SheetError>((format, asm.found))
        });
        for msg in rx {
            match msg {
                Msg::Issue(i) => issues.push(i),
                Msg::Rows(mut batch) => {
                    for (k, r) in batch.rows.iter().enumerate() {
                        let ctx = RowCtx {
                            row: r.row,
                            date1904: r.date1904,
                        };
                        consume(&batch.row(k), &ctx, issues);
                    }
                    batch.clear();
                    // The producer may have finished; then the batch is simply dropped.
                    let _ = recycle_tx.try_send(batch);
                }
            }
        }
        match producer.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    let (format, found) = produced?;
    if found.header_row.is_none() {
        let n = opts.header_search_rows;
        issues.push(Issue::sheet(
            Code::HeaderNotFound,
            format!(
                "没有找到表头：任何工作表的前 {n} 行里都没有同时包含 {} 的行。请使用本业务的导入模板，\
                 不要删除或改动表头行",
                K::HEADER_HINT
            ),
        ));
    } else if found.data_rows == 0 && !found.column_missing {
        issues.push(Issue::sheet(
            Code::NoRows,
            "表头下面没有数据行（示例“例”行不算）。请从表头下一行起逐行填写后再导入".to_owned(),
        ));
    }
    Ok(ImportStats {
        format,
        sheet: found.sheet,
        header_row: found.header_row,
        data_rows: found.data_rows,
        rows_delivered: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cell::column_letters;

    #[test]
    fn letters() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }

    fn shown(v: CellValue<'_>, date1904: bool) -> String {
        let mut out = String::new();
        push_shown(&mut out, v, date1904);
        out
    }

    #[test]
    fn dates_as_shown() {
        assert_eq!(excel_date(45292.0, false).as_deref(), Some("2024-01-01"));
        assert_eq!(excel_date(45292.0 - 1462.0, true).as_deref(), Some("2024-01-01"));
        assert_eq!(excel_date(60.0, false).as_deref(), Some("1900-02-28"));
        assert_eq!(shown(CellValue::Number(5000.0), false), "5000");
        assert_eq!(shown(CellValue::Number(5000.5), false), "5000.5");
    }

    #[test]
    fn row_lookups_in_and_out_of_column_order() {
        let cell = |slot: u8| RawCell {
            payload: f64::from(slot).to_bits(),
            col: u16::from(slot) + 1,
            slot,
            kind: Kind::Number,
        };
        let sparse = [cell(0), cell(2), cell(3), cell(6)];
        let shuffled = [cell(3), cell(0), cell(6)];
        for cells in [&sparse[..], &shuffled[..], &[]] {
            let row = RowCells { cells, text: "" };
            for i in 0..10u8 {
                let want = cells
                    .iter()
                    .find(|c| c.slot == i)
                    .map(|c| CellValue::Number(f64::from(c.slot)));
                assert_eq!(row.get(usize::from(i)), want, "{i}");
            }
        }
    }

    #[test]
    fn a_batch_is_full_by_rows_cells_or_text() {
        let mut b = Batch::new();
        b.push_cell(0, 0, CellValue::Text("甲"));
        b.push_cell(1, 1, CellValue::Number(2.5));
        b.commit_pending(5, false);
        assert!(!b.full(8));
        let row = b.row(0);
        assert_eq!(row.get(0), Some(CellValue::Text("甲")));
        assert_eq!(row.get(1), Some(CellValue::Number(2.5)));
        // A row past the text budget fills the batch, whatever its row and cell counts: the text offsets stay
        // far from the u32 range they are packed in.
        let long = "x".repeat(BATCH_TEXT_BYTES);
        b.push_cell(0, 0, CellValue::Text(&long));
        b.commit_pending(6, false);
        assert!(b.full(8));
        assert_eq!(b.row(1).text(0).map(str::len), Some(BATCH_TEXT_BYTES));
        assert_eq!(b.row(0).get(0), Some(CellValue::Text("甲")));
        b.clear();
        assert!(!b.full(8));
        for r in 0..BATCH_ROWS as u32 {
            b.push_cell(0, 0, CellValue::Number(1.0));
            b.commit_pending(r, false);
        }
        assert!(b.full(1));
    }

    #[test]
    fn examples_and_blanks() {
        assert!(is_example("例"));
        assert!(is_example(" 例： "));
        assert!(is_example("示例"));
        assert!(!is_example("1"));
        assert!(is_blank(" \u{3000}\u{00A0}\u{200B}\n"));
        assert!(!is_blank(" x "));
    }
}
