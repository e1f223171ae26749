//! The sheet as the desktop grid shows it: every data row's cells as text, under the business's column
//! titles, at its Excel row number. A grid edited in place is written back as a workbook of the same layout
//! ([`write_grid`]) and goes through the very importer and checker a file from Excel goes through, so a fix
//! made in the app is judged exactly like one made in Excel. Also the issue list as a workbook
//! ([`write_issues`]) for whoever fills the sheet.

use std::path::Path;

use gjj_domain::issue::Issue;
use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, XlsxError};
use serde::{Deserialize, Serialize};

use crate::SheetError;

/// The data rows of a workbook under one business's columns.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grid {
    /// Column titles in template order (also `Issue::column`).
    pub columns: Vec<String>,
    /// The 1-based Excel row of the header, when found.
    pub header_row: Option<u32>,
    /// Data rows in sheet order (blank, 例 and 合计 rows excluded).
    pub rows: Vec<GridRow>,
}

/// One data row.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridRow {
    /// The 1-based Excel row number.
    pub row: u32,
    /// One text per column of [`Grid::columns`] ("" when empty).
    pub cells: Vec<String>,
    /// What each cell was in the workbook, so an unedited cell is written back as it came (a date stays a
    /// date, an ID stored as a number is still reported as one); edited cells become text.
    #[serde(skip)]
    pub kinds: Vec<CellKind>,
}

/// The stored type of a grid cell.
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

impl Eq for CellKind {}

impl Grid {
    /// The index of Excel row `row` in [`Grid::rows`] (rows are in sheet order).
    pub fn index_of(&self, row: u32) -> Option<usize> {
        self.rows.binary_search_by_key(&row, |r| r.row).ok()
    }

    /// Sets one cell; `false` when the row or column does not exist.
    pub fn set(&mut self, row: u32, column: &str, value: &str) -> bool {
        let Some(col) = self.columns.iter().position(|c| c == column) else {
            return false;
        };
        let Some(i) = self.index_of(row) else {
            return false;
        };
        match self.rows[i].cells.get_mut(col) {
            Some(cell) => {
                value.trim().clone_into(cell);
                if let Some(kind) = self.rows[i].kinds.get_mut(col) {
                    *kind = CellKind::Text;
                }
                true
            }
            None => false,
        }
    }
}

fn xlsx_err(file: &Path) -> impl Fn(XlsxError) -> SheetError + '_ {
    move |e| SheetError::Unreadable {
        file: file.display().to_string(),
        reason: e.to_string(),
    }
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
    for r in &grid.rows {
        for (c, v) in r.cells.iter().enumerate() {
            if v.is_empty() {
                continue;
            }
            let c16 = u16::try_from(c).unwrap_or(u16::MAX);
            let row = r.row.saturating_sub(1);
            match r.kinds.get(c).copied().unwrap_or_default() {
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
    let ws = wb.add_worksheet();
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
