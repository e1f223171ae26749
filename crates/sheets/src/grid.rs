//! The sheet as the desktop grid shows it: every data row's cells as text, under the business's column
//! titles, at its Excel row number. A grid edited in place is written back as a workbook of the same layout
//! ([`write_grid`]) and goes through the very importer and checker a file from Excel goes through, so a fix
//! made in the app is judged exactly like one made in Excel. Also the issue list as a workbook
//! ([`write_issues`]) for whoever fills the sheet.

use std::borrow::Cow;
use std::path::Path;

use gjj_domain::issue::Issue;
use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, XlsxError};
use serde::{Deserialize, Serialize};

use crate::value::CellKind;
use crate::SheetError;

/// The data rows of a workbook under one business's columns, stored compactly (one arena for every cell's text,
/// numerals two to a byte, and one byte per cell for its length and stored type), so a 100,000-row sheet costs a
/// few MiB; cells edited in the app are kept beside the arena. Serialisable (the client keeps a submitted grid,
/// sealed, beside its outbox entry so it can be reopened: [`stored`] is that form); the fields stay private.
#[derive(Clone, Debug, Default)]
pub struct Grid {
    /// Column titles in template order (also `Issue::column`).
    pub columns: Vec<String>,
    /// The 1-based Excel row of the header, when found.
    pub header_row: Option<u32>,
    /// The Excel row of each data row, in sheet order (blank, 例 and 合计 rows excluded).
    rows: Vec<u32>,
    /// Every cell's text, row after row: UTF-8, or for a cell in `packed` its characters two to a byte
    /// ([`pack`]). Most of a 基数调整 or 缴存人登记 sheet is numerals (证件号码, 个人账号, amounts, 年月): 100,000
    /// rows took 5.8 MB as text, 3.3 MB packed.
    text: Vec<u8>,
    /// Where each data row's text starts in `text`.
    starts: Vec<u32>,
    /// One byte per cell (cell k = row × columns + column): its stored type in the top 3 bits ([`Tag`]; 0 is
    /// text) and the bytes it takes in `text` in the low 5 ([`LONG`]: 31 bytes or more, the length is in `long`).
    /// A cell's text starts where the one before it in its row ends. 100,000 rows held 4 B a cell for where its
    /// text ended and 5 B a non-text cell for its type before.
    cells: Vec<u8>,
    /// The lengths of the cells whose text is [`LONG`], by cell.
    long: Vec<(u32, u32)>,
    /// One bit per cell (bit k % 64 of word k / 64): its text is packed.
    packed: Vec<u64>,
    /// A number or date whose shown text gives it back exactly is not stored twice; the others (a date with a time
    /// of day, say) keep their value here, by cell.
    values: Vec<(u32, f64)>,
    /// Cells changed in the app: (cell, text), by cell; they are text.
    edited: Vec<(u32, String)>,
}

/// One data row, as the window gets it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GridRow {
    /// The 1-based Excel row number.
    pub row: u32,
    /// One text per column of [`Grid::columns`] ("" when empty).
    pub cells: Vec<String>,
}

impl Grid {
    /// An empty grid with these columns.
    pub fn new(columns: Vec<String>, header_row: Option<u32>) -> Grid {
        Grid {
            columns,
            header_row,
            ..Grid::default()
        }
    }

    /// Appends a data row (Excel row `row`, rows in sheet order): one (text, kind) per column.
    pub fn push_row<'a>(&mut self, row: u32, cells: impl IntoIterator<Item = (&'a str, CellKind)>) {
        let width = self.columns.len();
        let first = self.cells.len();
        self.starts.push(stored_u32(self.text.len()));
        for (text, kind) in cells.into_iter().take(width) {
            let cell = stored_u32(self.cells.len());
            let tag = if kind == CellKind::Text {
                0
            } else {
                let (tag, kept) = Tag::of(kind, text);
                if let Some(value) = kept {
                    self.values.push((cell, value));
                }
                tag as u8
            };
            let len = match pack(text) {
                Some(bytes) => {
                    self.set_packed(cell as usize);
                    let before = self.text.len();
                    self.text.extend(bytes);
                    self.text.len() - before
                }
                None => {
                    self.text.extend_from_slice(text.as_bytes());
                    text.len()
                }
            };
            self.push_cell(tag, len);
        }
        while self.cells.len() < first + width {
            self.cells.push(0);
        }
        self.rows.push(row);
    }

    fn set_packed(&mut self, k: usize) {
        let word = k / 64;
        if self.packed.len() <= word {
            self.packed.resize(word + 1, 0);
        }
        self.packed[word] |= 1 << (k % 64);
    }

    fn is_packed(&self, k: usize) -> bool {
        self.packed.get(k / 64).is_some_and(|w| w & (1 << (k % 64)) != 0)
    }

    /// Appends the next cell's byte: `tag` and `len` bytes in the arena.
    fn push_cell(&mut self, tag: u8, len: usize) {
        let short = match u8::try_from(len) {
            Ok(n) if n < LONG => n,
            _ => {
                self.long.push((stored_u32(self.cells.len()), stored_u32(len)));
                LONG
            }
        };
        self.cells.push((tag << 5) | short);
    }

    /// Gives back what growing by doubling left unused (up to half of each vector): a grid is read once and held
    /// while the clerk fixes it.
    pub fn shrink_to_fit(&mut self) {
        self.rows.shrink_to_fit();
        self.text.shrink_to_fit();
        self.starts.shrink_to_fit();
        self.cells.shrink_to_fit();
        self.long.shrink_to_fit();
        self.packed.shrink_to_fit();
        self.values.shrink_to_fit();
    }

    /// Bytes held on the heap (for the import's log line: what a sheet costs the window's process).
    pub fn heap_bytes(&self) -> usize {
        self.columns.iter().map(|c| c.capacity()).sum::<usize>()
            + self.rows.capacity() * size_of::<u32>()
            + self.text.capacity()
            + self.starts.capacity() * size_of::<u32>()
            + self.cells.capacity()
            + self.long.capacity() * size_of::<(u32, u32)>()
            + self.packed.capacity() * size_of::<u64>()
            + self.values.capacity() * size_of::<(u32, f64)>()
            + self
                .edited
                .iter()
                .map(|(_, t)| t.capacity() + size_of::<(u32, String)>())
                .sum::<usize>()
    }

    /// Data rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// No data row.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The Excel row of data row `i`.
    pub fn row_number(&self, i: usize) -> Option<u32> {
        self.rows.get(i).copied()
    }

    /// The index of Excel row `row` (rows are in sheet order).
    pub fn index_of(&self, row: u32) -> Option<usize> {
        self.rows.binary_search(&row).ok()
    }

    fn key(&self, i: usize, col: usize) -> usize {
        i * self.columns.len() + col
    }

    /// The text of a cell ("" when empty or out of range).
    pub fn cell(&self, i: usize, col: usize) -> Cow<'_, str> {
        if col >= self.columns.len() {
            return Cow::Borrowed("");
        }
        let k = self.key(i, col);
        if let Ok(e) = self.edited.binary_search_by_key(&stored_u32(k), |(c, _)| *c) {
            return Cow::Borrowed(&self.edited[e].1);
        }
        self.read_text(k)
    }

    /// The bytes cell `k` takes in the arena.
    fn len_of(&self, k: usize) -> usize {
        match self.cells.get(k).map(|b| b & LONG) {
            Some(LONG) => self
                .long
                .binary_search_by_key(&stored_u32(k), |(c, _)| *c)
                .map_or(0, |i| self.long[i].1 as usize),
            Some(n) => usize::from(n),
            None => 0,
        }
    }

    /// Cell `k`'s bytes in the arena: it starts after the cells before it in its row.
    fn stored(&self, k: usize) -> &[u8] {
        let width = self.columns.len();
        if width == 0 {
            return &[];
        }
        let row = k / width;
        let Some(&row_start) = self.starts.get(row) else {
            return &[];
        };
        let start = row_start as usize + (row * width..k).map(|j| self.len_of(j)).sum::<usize>();
        self.text.get(start..start + self.len_of(k)).unwrap_or_default()
    }

    /// Cell `k`'s text as read (edits aside).
    fn read_text(&self, k: usize) -> Cow<'_, str> {
        let bytes = self.stored(k);
        if self.is_packed(k) {
            Cow::Owned(unpack(bytes))
        } else {
            // The arena holds the UTF-8 the cell was read as.
            Cow::Borrowed(std::str::from_utf8(bytes).unwrap_or_default())
        }
    }

    /// The byte length of cell `k`'s text as read (edits aside).
    fn text_len(&self, k: usize) -> usize {
        if !self.is_packed(k) {
            return self.len_of(k);
        }
        // A packed cell's last nibble says whether its count is odd: only then is it looked up.
        let bytes = self.stored(k);
        bytes.len() * 2 - usize::from(bytes.last().is_some_and(|last| last & 0xF == PAD))
    }

    /// The stored type of a cell.
    pub fn kind(&self, i: usize, col: usize) -> CellKind {
        if col >= self.columns.len() {
            return CellKind::Text;
        }
        let k = stored_u32(self.key(i, col));
        if self.edited.binary_search_by_key(&k, |(c, _)| *c).is_ok() {
            return CellKind::Text;
        }
        self.read_kind(k)
    }

    /// Cell `k`'s type as read (edits aside).
    fn read_kind(&self, k: u32) -> CellKind {
        let Some(tag) = self.cells.get(k as usize).and_then(|b| Tag::of_bits(b >> 5)) else {
            return CellKind::Text;
        };
        let kept = || {
            self.values
                .binary_search_by_key(&k, |(c, _)| *c)
                .map_or(0.0, |v| self.values[v].1)
        };
        let shown = self.read_text(k as usize);
        match tag {
            Tag::Number => CellKind::Number(shown.parse().unwrap_or(0.0)),
            Tag::Date => CellKind::Date(date_serial(&shown).unwrap_or(0.0)),
            Tag::NumberKept => CellKind::Number(kept()),
            Tag::DateKept => CellKind::Date(kept()),
            Tag::True => CellKind::Bool(true),
            Tag::False => CellKind::Bool(false),
        }
    }

    /// Data row `i` for the window.
    pub fn row(&self, i: usize) -> Option<GridRow> {
        Some(GridRow {
            row: self.row_number(i)?,
            cells: (0..self.columns.len())
                .map(|c| self.cell(i, c).into_owned())
                .collect(),
        })
    }

    /// Sets one cell (it becomes text); `false` when the row or column does not exist.
    pub fn set(&mut self, row: u32, column: &str, value: &str) -> bool {
        let Some(col) = self.columns.iter().position(|c| c == column) else {
            return false;
        };
        let Some(i) = self.index_of(row) else {
            return false;
        };
        let k = stored_u32(self.key(i, col));
        let value = value.trim().to_owned();
        match self.edited.binary_search_by_key(&k, |(c, _)| *c) {
            Ok(e) => self.edited[e].1 = value,
            Err(e) => self.edited.insert(e, (k, value)),
        }
        true
    }
}

/// Same columns, rows and cells (text and stored type), however they are stored.
impl PartialEq for Grid {
    fn eq(&self, other: &Grid) -> bool {
        self.columns == other.columns
            && self.header_row == other.header_row
            && self.rows == other.rows
            && (0..self.len()).all(|i| {
                (0..self.columns.len())
                    .all(|c| self.cell(i, c) == other.cell(i, c) && self.kind(i, c) == other.kind(i, c))
            })
    }
}

/// A cell byte's length bits when the text is 31 bytes or longer (its length is then in `Grid::long`).
const LONG: u8 = 0b1_1111;

/// The characters a packed cell may hold, by nibble; [`PAD`] ends an odd count.
const NIBBLES: &[u8; 15] = b"0123456789X.-/:";
/// The nibble after the last character of a packed cell of odd length.
const PAD: u8 = 0xF;

/// Each byte's nibble in [`NIBBLES`], or [`PAD`] for one a packed cell cannot hold.
const NIBBLE_OF: [u8; 256] = {
    let mut table = [PAD; 256];
    let mut n = 0;
    while n < NIBBLES.len() {
        table[NIBBLES[n] as usize] = n as u8;
        n += 1;
    }
    table
};

/// `text` two characters to a byte (high nibble first), when it has two or more and every one is in [`NIBBLES`]:
/// numerals, a 证件号码's X, decimals, signs, dates and times as the import shows them.
fn pack(text: &str) -> Option<impl Iterator<Item = u8> + '_> {
    let nibble = |b: u8| NIBBLE_OF[usize::from(b)];
    if text.len() < 2 || text.bytes().any(|b| nibble(b) == PAD) {
        return None;
    }
    Some(text.as_bytes().chunks(2).map(move |pair| {
        let lo = pair.get(1).map_or(PAD, |&b| nibble(b));
        (nibble(pair[0]) << 4) | lo
    }))
}

/// The text of a packed cell.
fn unpack(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() * 2);
    for n in bytes.iter().flat_map(|b| [b >> 4, b & 0xF]) {
        if let Some(&c) = NIBBLES.get(usize::from(n)) {
            text.push(char::from(c));
        }
    }
    text
}

/// A non-text cell's type in the top 3 bits of its byte: its value is its shown text read back, or kept aside when
/// that would not give it exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Tag {
    Number = 1,
    Date = 2,
    NumberKept = 3,
    DateKept = 4,
    True = 5,
    False = 6,
}

impl Tag {
    /// The tag of a cell byte's top 3 bits (None: text).
    fn of_bits(bits: u8) -> Option<Tag> {
        Some(match bits {
            1 => Tag::Number,
            2 => Tag::Date,
            3 => Tag::NumberKept,
            4 => Tag::DateKept,
            5 => Tag::True,
            6 => Tag::False,
            _ => return None,
        })
    }

    /// The tag of a cell of `kind` shown as `text`, and the value to keep when the text does not give it back.
    fn of(kind: CellKind, text: &str) -> (Tag, Option<f64>) {
        let exact = |read: Option<f64>, n: f64| read.is_some_and(|r| r.to_bits() == n.to_bits());
        match kind {
            CellKind::Number(n) if exact(text.parse().ok(), n) => (Tag::Number, None),
            CellKind::Number(n) => (Tag::NumberKept, Some(n)),
            CellKind::Date(n) if exact(date_serial(text), n) => (Tag::Date, None),
            CellKind::Date(n) => (Tag::DateKept, Some(n)),
            CellKind::Bool(true) => (Tag::True, None),
            // Text cells are never tagged; a Bool(false) is the only kind left.
            CellKind::Bool(false) | CellKind::Text => (Tag::False, None),
        }
    }
}

/// A shown date (YYYY-MM-DD, as the grid shows a date cell) as its Excel serial in the 1900 system
/// (days-from-civil: the inverse of the import's date text).
fn date_serial(text: &str) -> Option<f64> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| text.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((days + 25_569) as f64)
}

/// The grid's stored form: every field by name, the non-text cells as `(cell, kind)` pairs (the form grids were
/// first kept in, so a grid kept by an older client still opens).
mod stored {
    use serde::ser::SerializeSeq;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::Grid;
    use crate::value::CellKind;

    #[derive(Serialize, Deserialize)]
    enum Kind {
        Text,
        Number(f64),
        Date(f64),
        Bool(bool),
    }

    #[derive(Serialize)]
    struct Out<'a> {
        columns: &'a [String],
        header_row: Option<u32>,
        rows: &'a [u32],
        text: Text<'a>,
        ends: Ends<'a>,
        typed: Kinds<'a>,
        edited: &'a [(u32, String)],
    }

    /// Every cell's text, unpacked while written.
    struct Text<'a>(&'a Grid);

    impl Serialize for Text<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_str(self)
        }
    }

    impl std::fmt::Display for Text<'_> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            (0..self.0.cells.len()).try_for_each(|k| f.write_str(&self.0.read_text(k)))
        }
    }

    /// Where each cell's text ends in `text`, built while written.
    struct Ends<'a>(&'a Grid);

    impl Serialize for Ends<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let grid = self.0;
            let mut seq = s.serialize_seq(Some(grid.cells.len()))?;
            let mut end = 0usize;
            for k in 0..grid.cells.len() {
                end += grid.text_len(k);
                seq.serialize_element(&super::stored_u32(end))?;
            }
            seq.end()
        }
    }

    /// The non-text cells of a grid as `(cell, kind)`, built while written.
    struct Kinds<'a>(&'a Grid);

    impl Serialize for Kinds<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let typed = || (0..self.0.cells.len()).filter(|&k| self.0.cells[k] >> 5 != 0);
            let mut seq = s.serialize_seq(Some(typed().count()))?;
            for cell in typed() {
                let cell = super::stored_u32(cell);
                let kind = match self.0.read_kind(cell) {
                    CellKind::Text => Kind::Text,
                    CellKind::Number(n) => Kind::Number(n),
                    CellKind::Date(n) => Kind::Date(n),
                    CellKind::Bool(b) => Kind::Bool(b),
                };
                seq.serialize_element(&(cell, kind))?;
            }
            seq.end()
        }
    }

    #[derive(Deserialize)]
    struct In {
        columns: Vec<String>,
        header_row: Option<u32>,
        rows: Vec<u32>,
        text: String,
        ends: Vec<u32>,
        typed: Vec<(u32, Kind)>,
        edited: Vec<(u32, String)>,
    }

    impl Serialize for Grid {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            Out {
                columns: &self.columns,
                header_row: self.header_row,
                rows: &self.rows,
                text: Text(self),
                ends: Ends(self),
                typed: Kinds(self),
                edited: &self.edited,
            }
            .serialize(s)
        }
    }

    impl<'de> Deserialize<'de> for Grid {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Grid, D::Error> {
            let stored = In::deserialize(d)?;
            let mut grid = Grid {
                columns: stored.columns,
                header_row: stored.header_row,
                rows: stored.rows,
                text: stored.text.into_bytes(),
                edited: stored.edited,
                ..Grid::default()
            };
            let width = grid.columns.len();
            let ends = stored.ends;
            // Cells past the list are empty text, as reading it directly gave: only the listed ones take a byte.
            for k in 0..grid.rows.len().saturating_mul(width).min(ends.len()) {
                let start = if k == 0 {
                    0
                } else {
                    ends.get(k - 1).copied().unwrap_or(0)
                };
                if k % width == 0 {
                    grid.starts.push(start);
                }
                // A hostile list that runs backwards gives empty cells, as reading it directly did.
                let end = ends.get(k).copied().unwrap_or(start);
                grid.push_cell(0, end.saturating_sub(start) as usize);
            }
            let mut typed = stored.typed;
            // Lookups search by cell: a list out of order or with a cell twice is put right, not trusted.
            typed.sort_by_key(|(cell, _)| *cell);
            typed.dedup_by_key(|(cell, _)| *cell);
            for (cell, kind) in typed {
                let kind = match kind {
                    Kind::Text => continue,
                    Kind::Number(n) => CellKind::Number(n),
                    Kind::Date(n) => CellKind::Date(n),
                    Kind::Bool(b) => CellKind::Bool(b),
                };
                let Some(&byte) = grid.cells.get(cell as usize) else {
                    continue;
                };
                let (tag, kept) = super::Tag::of(kind, &grid.read_text(cell as usize));
                grid.cells[cell as usize] = ((tag as u8) << 5) | (byte & super::LONG);
                if let Some(value) = kept {
                    grid.values.push((cell, value));
                }
            }
            Ok(grid)
        }
    }
}

/// A cell index, or a byte offset or length in the text arena, as stored (a grid stays far below 4 Gi cells and
/// 4 GiB of text: the importer's limits).
fn stored_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn xlsx_err(file: &Path) -> impl Fn(XlsxError) -> SheetError + '_ {
    move |e| crate::error::write_failed(&crate::error::file_label(file), &e)
}

/// Writes the grid as a workbook the business's importer reads back: the header at its original row, each
/// data row at its own Excel row (so issue row numbers stay the ones the user saw), every cell as text.
pub fn write_grid(grid: &Grid, path: &Path) -> Result<(), SheetError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let text = Format::new().set_num_format("@");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let general = Format::new();
    let bold = Format::new().set_bold();
    let header = grid.header_row.unwrap_or(1).saturating_sub(1);
    for (c, title) in grid.columns.iter().enumerate() {
        let c = u16::try_from(c).unwrap_or(u16::MAX);
        ws.write_string_with_format(header, c, title, &bold)
            .map_err(xlsx_err(path))?;
        ws.set_column_format(c, &text).map_err(xlsx_err(path))?;
    }
    for i in 0..grid.len() {
        let row = grid.row_number(i).unwrap_or(1).saturating_sub(1);
        for c in 0..grid.columns.len() {
            let v = grid.cell(i, c);
            if v.is_empty() {
                continue;
            }
            let c16 = u16::try_from(c).unwrap_or(u16::MAX);
            match grid.kind(i, c) {
                CellKind::Text => ws.write_string_with_format(row, c16, v, &text),
                CellKind::Number(n) => ws.write_number_with_format(row, c16, n, &general),
                CellKind::Date(n) => ws.write_number_with_format(row, c16, n, &date),
                CellKind::Bool(b) => ws.write_boolean_with_format(row, c16, b, &general),
            }
            .map_err(xlsx_err(path))?;
        }
    }
    wb.save(path).map_err(xlsx_err(path))
}

/// Writes the issues as a workbook: 行号 | 列 | 问题代码 | 说明, one per line, for whoever fills the sheet.
pub fn write_issues<I>(issues: I, source: &str, path: &Path) -> Result<(), SheetError>
where
    I: IntoIterator,
    I::IntoIter: ExactSizeIterator,
    I::Item: std::borrow::Borrow<Issue>,
{
    // Taken one at a time: the desktop rebuilds each from its compact list, never all 100,000 at once.
    let issues = issues.into_iter();
    let mut wb = Workbook::new();
    // Row by row to a temp file: 100,000 issues cost what one row costs (rows below are written in order).
    let ws = wb.add_worksheet_with_constant_memory().map_err(xlsx_err(path))?;
    ws.set_name("问题清单").map_err(xlsx_err(path))?;
    let title = Format::new().set_bold().set_font_size(14);
    let head = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xFDE2E2))
        .set_border(FormatBorder::Thin);
    let wrap = Format::new().set_text_wrap();
    ws.write_string_with_format(
        0,
        0,
        format!("问题清单：{source}（共 {} 处）", issues.len()),
        &title,
    )
    .map_err(xlsx_err(path))?;
    for (c, h) in ["行号", "列", "问题代码", "说明"].iter().enumerate() {
        ws.write_string_with_format(2, c as u16, *h, &head)
            .map_err(xlsx_err(path))?;
    }
    for (i, issue) in issues.enumerate() {
        let issue = std::borrow::Borrow::<Issue>::borrow(&issue);
        let r = u32::try_from(i + 3).unwrap_or(u32::MAX);
        if issue.row > 0 {
            ws.write_number(r, 0, issue.row).map_err(xlsx_err(path))?;
        } else {
            ws.write_string(r, 0, "整表").map_err(xlsx_err(path))?;
        }
        ws.write_string(r, 1, &issue.column).map_err(xlsx_err(path))?;
        ws.write_string(r, 2, issue.code.as_str())
            .map_err(xlsx_err(path))?;
        ws.write_string_with_format(r, 3, &issue.message, &wrap)
            .map_err(xlsx_err(path))?;
    }
    for (c, w) in [(0u16, 8.0), (1, 14.0), (2, 26.0), (3, 90.0)] {
        ws.set_column_width(c, w).map_err(xlsx_err(path))?;
    }
    wb.save(path).map_err(xlsx_err(path))
}

/// The grid of `path` for a batch business by its code; `None` for a business without a sheet.
pub fn read_grid(business: &str, path: &Path) -> Option<Result<Grid, SheetError>> {
    Some(match business {
        "base_adjustment" => crate::base_adjustment::read_grid(path),
        "contributor_registration" => crate::contributor_registration::read_grid(path),
        "contributor_change" => crate::contributor_change::read_grid(path),
        "seal" => crate::seal::read_grid(path),
        "unseal" => crate::unseal::read_grid(path),
        "supplementary" => crate::supplementary::read_grid(path),
        "remittance" => crate::remittance::read_grid(path),
        "loan_application" => crate::loan_application::read_grid(path),
        "building" => crate::building::read_grid(path),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid_of(cells: &[(&str, CellKind)]) -> Grid {
        let mut grid = Grid::new((0..cells.len()).map(|c| format!("c{c}")).collect(), Some(1));
        grid.push_row(2, cells.iter().copied());
        grid
    }

    #[test]
    fn every_stored_type_comes_back_exactly_and_only_unreadable_values_are_kept_aside() {
        let cells = [
            ("12345", CellKind::Number(12345.0)),
            ("0.30000000000000004", CellKind::Number(0.1 + 0.2)),
            ("-0", CellKind::Number(-0.0)),
            ("1e21", CellKind::Number(1e21)),
            // A number shown other than it is read (not what the importer does, but the grid must not care).
            ("三", CellKind::Number(3.0)),
            ("2023-03-15", CellKind::Date(45000.0)),
            // A date with a time of day shows the day only.
            ("2023-03-15", CellKind::Date(45000.5)),
            ("1900-01-01", CellKind::Date(2.0)),
            ("TRUE", CellKind::Bool(true)),
            ("FALSE", CellKind::Bool(false)),
            ("文字", CellKind::Text),
        ];
        let grid = grid_of(&cells);
        for (c, (text, kind)) in cells.iter().enumerate() {
            assert_eq!(grid.cell(0, c), *text);
            match (grid.kind(0, c), *kind) {
                (CellKind::Number(a), CellKind::Number(b)) | (CellKind::Date(a), CellKind::Date(b)) => {
                    assert_eq!(a.to_bits(), b.to_bits(), "{text}")
                }
                (got, want) => assert_eq!(got, want, "{text}"),
            }
        }
        assert_eq!(grid.cells.iter().filter(|b| *b >> 5 != 0).count(), 10);
        let kept: Vec<f64> = grid.values.iter().map(|(_, v)| *v).collect();
        assert_eq!(kept, [3.0, 45000.5], "only values their text does not give back");
    }

    #[test]
    fn cells_of_every_length_read_back_and_keep_their_type() {
        let long = "很长的备注".repeat(20);
        let texts = [
            "",
            "a",
            &"x".repeat(30),
            &"y".repeat(31),
            &"z".repeat(32),
            "汉字十个字节",
            &long,
        ];
        let mut grid = Grid::new(vec!["a".into(), "b".into(), "c".into()], Some(1));
        for (r, chunk) in texts.chunks(3).enumerate() {
            grid.push_row(
                u32::try_from(r).unwrap() + 2,
                chunk.iter().map(|t| (*t, CellKind::Text)),
            );
        }
        grid.push_row(
            9,
            [("12345678901234567890123456789012345", CellKind::Number(1.0))],
        );
        for (k, text) in texts.iter().enumerate() {
            assert_eq!(grid.cell(k / 3, k % 3), *text, "cell {k}");
        }
        // A short row is padded with empty cells; the long number kept its value aside.
        assert_eq!(grid.cell(2, 1), "");
        assert_eq!(grid.cell(3, 0), "12345678901234567890123456789012345");
        assert_eq!(grid.kind(3, 0), CellKind::Number(1.0));
        assert_eq!(grid.cell(3, 2), "");
        let back: Grid = serde_json::from_str(&serde_json::to_string(&grid).unwrap()).unwrap();
        assert_eq!(back, grid);
        // 31 bytes and more; the 35 numerals take 18 packed.
        assert_eq!(grid.long.len(), 3);
    }

    #[test]
    fn numerals_are_stored_two_to_a_byte_and_read_back_exactly() {
        let cells = [
            ("430407197008121033", CellKind::Text),
            ("43040719700812103X", CellKind::Text),
            ("43040719700812103x", CellKind::Text),
            ("5082", CellKind::Number(5082.0)),
            ("12345", CellKind::Number(12345.0)),
            ("-1.5", CellKind::Number(-1.5)),
            ("2026-07-01", CellKind::Date(46204.0)),
            ("7", CellKind::Number(7.0)),
            ("", CellKind::Text),
            ("1 2", CellKind::Text),
            ("１２", CellKind::Text),
            ("12:30/", CellKind::Text),
            ("韩涛", CellKind::Text),
        ];
        let grid = grid_of(&cells);
        for (c, (text, kind)) in cells.iter().enumerate() {
            assert_eq!(grid.cell(0, c), *text, "cell {c}");
            assert_eq!(grid.kind(0, c), *kind, "cell {c}");
            assert_eq!(grid.text_len(c), text.len(), "cell {c}");
        }
        // Packed: the two 证件号码 with numerals and X, the amounts, the date, 12:30/; not a lower-case x, a
        // single character, a space or full-width numerals.
        let packed: Vec<usize> = (0..cells.len()).filter(|&k| grid.is_packed(k)).collect();
        assert_eq!(packed, vec![0, 1, 3, 4, 5, 6, 11]);
        // 18 + 18 + 18 + 4 + 5 + 4 + 10 + 1 + 0 + 3 + 6 + 6 + 6 bytes of text, 9 + 9 + 2 + 3 + 2 + 5 + 3 packed.
        assert_eq!(grid.text.len(), 33 + 18 + 1 + 3 + 6 + 6);
        // The stored form is the text itself: it reads back equal (and unpacked, as older clients kept it).
        let json = serde_json::to_string(&grid).unwrap();
        assert!(json.contains("\"text\":\"43040719700812103343040719700812103X43040719700812103x50821234"));
        let back: Grid = serde_json::from_str(&json).unwrap();
        assert_eq!(back, grid);
    }

    #[test]
    fn a_date_serial_reads_back_from_the_text_the_import_shows_in_both_date_systems() {
        for serial in (1..2_958_466).step_by(97).chain([59, 60, 61, 2_958_465]) {
            let serial = f64::from(serial);
            let shown = crate::import::excel_date(serial, false).expect("in range");
            assert_eq!(date_serial(&shown), Some(serial), "{shown}");
            // A 1904 workbook's serial is kept in the 1900 system (+1462): the same day, the same text (up to
            // 9999-12-31; a later one keeps its value aside).
            if serial + 1462.0 > 2_958_465.0 {
                continue;
            }
            let shown_1904 = crate::import::excel_date(serial, true).expect("in range");
            assert_eq!(date_serial(&shown_1904), Some(serial + 1462.0), "{shown_1904}");
        }
        assert_eq!(date_serial("2023-13-01"), None);
        assert_eq!(date_serial("2023/03/15"), None);
    }

    #[test]
    fn the_stored_form_is_the_one_older_clients_kept_and_reads_back_equal() {
        let mut grid = grid_of(&[
            ("2023-03-15", CellKind::Date(45000.5)),
            ("7", CellKind::Number(7.0)),
            ("x", CellKind::Text),
        ]);
        assert!(grid.set(2, "c2", "改过"));
        let json = serde_json::to_string(&grid).expect("serialise");
        assert!(
            json.contains(r#""typed":[[0,{"Date":45000.5}],[1,{"Number":7.0}]]"#),
            "{json}"
        );
        let back: Grid = serde_json::from_str(&json).expect("read back");
        assert_eq!(back, grid);
        assert_eq!(back.cell(0, 2), "改过");
        // Written by an older client, pairs out of order and one twice: read by cell.
        let old = r#"{"columns":["a","b"],"header_row":1,"rows":[2],"text":"72023-03-15","ends":[1,11],
            "typed":[[1,{"Date":45000.0}],[0,{"Number":7.0}],[1,{"Date":45000.0}]],"edited":[]}"#;
        let old: Grid = serde_json::from_str(old).expect("older form");
        assert_eq!(old.kind(0, 0), CellKind::Number(7.0));
        assert_eq!(old.kind(0, 1), CellKind::Date(45000.0));
        assert!(old.values.is_empty());
    }
}
