//! 楼栋录入's 户 list: the template (`gjj template building-houses`) and the importer that turns a filled workbook
//! into [`HouseRow`]s plus cell [`Issue`]s. The rules (房号 unique, 单元/楼层 within the building, 套内面积 ≤
//! 建筑面积) are [`gjj_domain::building::HouseChecker`]'s, fed row by row from [`import_with`]'s callback.
//!
//! Template: the conventions of every template of ours (title, red instructions, header, red 例 row, pre-formatted
//! rows); 房号 is a text cell (so "0101" keeps its zero), areas are numbers with two decimals (m²), 备案总价 in 元.

use gjj_domain::area::Area;
use gjj_domain::building::{col, HouseRow};
use gjj_domain::issue::{Code, Issue};

use crate::cell::{self, Problem};
use crate::header::ColumnSpec;
use crate::import::{RowCells, RowCtx, RowKind};
use crate::layout::{self, Column, Kind, Layout};
use crate::layout::{aliases, is_totals_row, Builder};
use crate::value::CellValue;

pub use crate::layout::TemplateOptions;

/// The worksheet name of the template.
pub const SHEET_NAME: &str = "户清单";
/// The 0-based row index of the first data row (Excel row 5).
pub const FIRST_DATA_ROW: u32 = layout::FIRST_DATA_ROW;

const COLUMNS: [Column; 8] = [
    Column {
        name: col::SEQ,
        aliases: aliases::SEQ,
        required: false,
        width: 6.0,
        kind: Kind::General,
        example: "例",
    },
    Column {
        name: col::HOUSE_NO,
        aliases: &["房屋编号", "户号", "室号", "FH"],
        required: true,
        width: 12.0,
        kind: Kind::Text,
        example: "1-1801",
    },
    Column {
        name: col::UNIT_NO,
        aliases: &["单元号", "DY"],
        required: true,
        width: 8.0,
        kind: Kind::General,
        example: "1",
    },
    Column {
        name: col::FLOOR,
        aliases: &["所在楼层", "层", "LC"],
        required: true,
        width: 8.0,
        kind: Kind::General,
        example: "18",
    },
    Column {
        name: col::AREA,
        aliases: &["建筑面积（㎡）", "建筑面积(㎡)", "FWJZMJ"],
        required: true,
        width: 14.0,
        kind: Kind::Money,
        example: "89.50",
    },
    Column {
        name: col::INNER_AREA,
        aliases: &["套内面积（㎡）", "套内面积(㎡)", "套内建筑面积", "FWTNMJ"],
        required: true,
        width: 14.0,
        kind: Kind::Money,
        example: "74.20",
    },
    Column {
        name: col::PRICE,
        aliases: &["备案总价（元）", "备案价", "总价", "FWZJ"],
        required: true,
        width: 16.0,
        kind: Kind::Money,
        example: "537000.00",
    },
    layout::NOTE_COLUMN,
];

fn layout() -> Layout {
    Layout {
        sheet: SHEET_NAME,
        title: "楼栋户清单（楼栋录入导入文件格式）",
        instructions: "填写说明：1. 红色表头为必填列；2. 每户一行，房号在同一楼栋内不能重复（房号列为文本格式）；\
                       3. 单元、楼层 填数字，从 1 起，不超过楼栋的单元数、层数；4. 建筑面积、套内面积 单位为平方米，最多两位小数，\
                       套内面积不能大于建筑面积；5. 备案总价 单位为元，最多两位小数；6. 红字“例”行为示例，导入时自动跳过。"
            .to_owned(),
        columns: &COLUMNS,
    }
}

layout::template_api!();

layout::import_api!(HouseSheet, HouseRow, "楼栋户");

/// A whole number ≥ 0 (单元, 楼层): a Number cell or text such as "18", "18层", "2单元".
fn count(v: CellValue<'_>, what: &str) -> Result<Option<u32>, Problem> {
    let Some(t) = cell::text(v, what)? else {
        return Ok(None);
    };
    let digits = t
        .trim_end_matches(['层', '楼', 'F', 'f'])
        .trim_end_matches("单元");
    digits.trim().parse::<u32>().map(Some).map_err(|_| Problem {
        code: Code::CellTypeUnexpected,
        message: format!("{what}“{t}”不是整数，请填写数字（从 1 起）"),
    })
}

/// An area in m² with at most two decimals.
fn area(v: CellValue<'_>, what: &str) -> Result<Option<Area>, Problem> {
    let r = match v {
        CellValue::Number(n) => Area::from_cell_number(n),
        CellValue::Text(t) if t.trim().is_empty() => return Ok(None),
        CellValue::Text(t) => Area::parse(t),
        other => {
            return cell::text(other, what).and_then(|_| {
                Err(Problem {
                    code: Code::AreaInvalid,
                    message: format!("{what}应为平方米数（数字，最多两位小数）"),
                })
            })
        }
    };
    r.map(Some).map_err(|e| Problem {
        code: e.code(),
        message: format!("{what}：{e}"),
    })
}

const SEQ: usize = 0;
const HOUSE_NO: usize = 1;
const UNIT_NO: usize = 2;
const FLOOR: usize = 3;
const AREA: usize = 4;
const INNER_AREA: usize = 5;
const PRICE: usize = 6;
const NOTE: usize = 7;

/// The 户 row layout.
struct HouseSheet;

impl RowKind for HouseSheet {
    type Row = HouseRow;

    const COLUMNS: &'static [ColumnSpec] = &layout::specs(&COLUMNS);
    const HEADER_KEYS: &'static [usize] = &[HOUSE_NO, AREA];
    const DATA_KEYS: &'static [usize] = &[HOUSE_NO, UNIT_NO, FLOOR, AREA, INNER_AREA, PRICE];
    const SEQ: Option<usize> = Some(SEQ);
    const HEADER_HINT: &'static str = "“房号”“建筑面积”";

    fn is_footer(cells: &RowCells<'_>) -> bool {
        is_totals_row(cells, &[HOUSE_NO], &[SEQ, UNIT_NO])
    }

    fn build(cells: &RowCells<'_>, ctx: &RowCtx, issues: &mut Vec<Issue>) -> Option<HouseRow> {
        let mut b = Builder {
            columns: Self::COLUMNS,
            cells,
            ctx,
            issues,
            failed: false,
        };
        let house_no = b.required(HOUSE_NO, |v, what, _| cell::text(v, what));
        let unit_no = b.required(UNIT_NO, |v, what, _| count(v, what));
        let floor = b.required(FLOOR, |v, what, _| count(v, what));
        let area_v = b.required(AREA, |v, what, _| area(v, what));
        let inner = b.required(INNER_AREA, |v, what, _| area(v, what));
        let price = b.required(PRICE, |v, what, _| cell::money(v, what));
        let _note = b.optional(NOTE, |v, what, _| cell::text(v, what));
        if b.failed {
            return None;
        }
        Some(HouseRow {
            row: ctx.row,
            house_no: house_no?,
            unit_no: unit_no?,
            floor: floor?,
            area: area_v?,
            inner_area: inner?,
            price: price?,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn template_round_trips_through_the_importer() {
        let bytes = template_bytes(&TemplateOptions::default()).unwrap();
        let mut issues = Vec::new();
        let mut rows = Vec::new();
        let stats = import_reader(
            std::io::Cursor::new(bytes),
            "户清单.xlsx",
            &crate::ImportOptions::default(),
            |r, _| rows.push(r),
            &mut issues,
        )
        .unwrap();
        // The 例 row is skipped; an empty template has no data rows.
        assert_eq!(stats.data_rows, 0, "{issues:?}");
        assert!(rows.is_empty());
    }

    #[test]
    fn cells_convert_exactly() {
        assert_eq!(count(CellValue::Text("18层"), "楼层").unwrap(), Some(18));
        assert_eq!(count(CellValue::Number(2.0), "单元").unwrap(), Some(2));
        assert!(count(CellValue::Text("二"), "单元").is_err());
        assert_eq!(
            area(CellValue::Number(89.5), "建筑面积").unwrap(),
            Some(Area(8950))
        );
        assert_eq!(
            area(CellValue::Text("74.20㎡"), "套内面积").unwrap(),
            Some(Area(7420))
        );
        assert_eq!(
            area(CellValue::Number(89.555), "建筑面积").unwrap_err().code,
            Code::AreaInvalid
        );
    }
}
