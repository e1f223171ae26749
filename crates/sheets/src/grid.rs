//! The sheet as the desktop grid shows it: every data row's cells as text, under the business's column
//! titles, at its Excel row number. A grid edited in place is written back as a workbook of the same layout
//! ([`write_grid`]) and goes through the very importer and checker a file from Excel goes through, so a fix
//! made in the app is judged exactly like one made in Excel. Also the issue list as a workbook
//! ([`write_issues`]) for whoever fills the sheet.

use std::path::Path;

use gjj_domain::issue::Issue;
use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, XlsxError};
use serde::{Deserialize, Serialize};

use crate::value::CellKind;
use crate::SheetError;

/// The data rows of a workbook under one business's columns, stored compactly (one text arena for every cell,
/// the stored type of the non-text cells aside), so a 100,000-row sheet costs a few MiB; cells edited in the app
/// are kept beside the arena. Serialisable as it is stored (the client keeps a submitted grid, sealed, beside its
/// outbox entry so it can be reopened); the fields stay private.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Grid {
    /// Column titles in template order (also `Issue::column`).
    pub columns: Vec<String>,
    /// The 1-based Excel row of the header, when found.
    pub header_row: Option<u32>,
    /// The Excel row of each data row, in sheet order (blank, 例 and 合计 rows excluded).
    rows: Vec<u32>,
    /// Every cell's text, row after row.
    text: String,
    /// Where each cell's text ends in `text` (cell k = row × columns + column; it starts where k − 1 ends).
    ends: Vec<u32>,
    /// The non-text cells: (cell, stored type), by cell.
    #[serde(with = "stored_kinds")]
    typed: Vec<(u32, CellKind)>,
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
        let first = self.ends.len();
        for (text, kind) in cells.into_iter().take(width) {
            if kind != CellKind::Text {
                self.typed.push((cell_index(self.ends.len()), kind));
            }
            self.text.push_str(text);
            self.ends.push(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
        }
        while self.ends.len() < first + width {
            self.ends.push(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
        }
        self.rows.push(row);
    }

    /// Gives back what growing by doubling left unused (up to half of each vector): a grid is read once and held
    /// while the clerk fixes it.
    pub fn shrink_to_fit(&mut self) {
        self.rows.shrink_to_fit();
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
        self.typed.shrink_to_fit();
    }

    /// Bytes held on the heap (for the import's log line: what a sheet costs the window's process).
    pub fn heap_bytes(&self) -> usize {
        self.columns.iter().map(|c| c.capacity()).sum::<usize>()
            + self.rows.capacity() * size_of::<u32>()
            + self.text.capacity()
            + self.ends.capacity() * size_of::<u32>()
            + self.typed.capacity() * size_of::<(u32, CellKind)>()
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
    pub fn cell(&self, i: usize, col: usize) -> &str {
        if col >= self.columns.len() {
            return "";
        }
        let k = self.key(i, col);
        if let Ok(e) = self.edited.binary_search_by_key(&cell_index(k), |(c, _)| *c) {
            return &self.edited[e].1;
        }
        let start = if k == 0 {
            0
        } else {
            self.ends.get(k - 1).copied().unwrap_or(0)
        };
        let end = self.ends.get(k).copied().unwrap_or(start);
        self.text.get(start as usize..end as usize).unwrap_or_default()
    }

    /// The stored type of a cell.
    pub fn kind(&self, i: usize, col: usize) -> CellKind {
        let k = cell_index(self.key(i, col));
        if self.edited.binary_search_by_key(&k, |(c, _)| *c).is_ok() {
            return CellKind::Text;
        }
        self.typed
            .binary_search_by_key(&k, |(c, _)| *c)
            .map_or(CellKind::Text, |t| self.typed[t].1)
    }

    /// Data row `i` for the window.
    pub fn row(&self, i: usize) -> Option<GridRow> {
        Some(GridRow {
            row: self.row_number(i)?,
            cells: (0..self.columns.len())
                .map(|c| self.cell(i, c).to_owned())
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
        let k = cell_index(self.key(i, col));
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

/// `CellKind` (gjj-sheets' `value` layer) has no serde of its own: the grid's stored form names each kind here.
mod stored_kinds {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::value::CellKind;

    #[derive(Serialize, Deserialize)]
    enum Kind {
        Text,
        Number(f64),
        Date(f64),
        Bool(bool),
    }

    pub(super) fn serialize<S: Serializer>(typed: &[(u32, CellKind)], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(typed.iter().map(|(cell, kind)| {
            let kind = match *kind {
                CellKind::Text => Kind::Text,
                CellKind::Number(n) => Kind::Number(n),
                CellKind::Date(n) => Kind::Date(n),
                CellKind::Bool(b) => Kind::Bool(b),
            };
            (*cell, kind)
        }))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(u32, CellKind)>, D::Error> {
        let stored = Vec::<(u32, Kind)>::deserialize(d)?;
        Ok(stored
            .into_iter()
            .map(|(cell, kind)| {
                let kind = match kind {
                    Kind::Text => CellKind::Text,
                    Kind::Number(n) => CellKind::Number(n),
                    Kind::Date(n) => CellKind::Date(n),
                    Kind::Bool(b) => CellKind::Bool(b),
                };
                (cell, kind)
            })
            .collect())
    }
}

fn cell_index(k: usize) -> u32 {
    u32::try_from(k).unwrap_or(u32::MAX)
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
pub fn write_issues(issues: &[Issue], source: &str, path: &Path) -> Result<(), SheetError> {
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
    for (i, issue) in issues.iter().enumerate() {
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
