//! 楼栋录入 (`building`, developer hall): one building of an approved project (REFERENCE §B5 LDXX + §H) — 楼栋号,
//! its own 预售许可证, 单元数, 层数, 竣工日期, 贷款比例 — and its 户 list (房号, 单元, 楼层, 建筑面积, 套内面积,
//! 备案总价) imported from the Excel template of gjj-sheets.
//!
//! The pure rules live here ([`check_form`], [`HouseChecker`]); that the project is this developer's and approved,
//! that the 预售许可证 is not used by any other building of the centre and that the 楼栋号 is new in the project are
//! facts only the gateway has.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::area::Area;
use crate::ids::normalize_text;
use crate::issue::{Code, Issue};
use crate::money::Fen;
use crate::month::parse_date;
use crate::permit::{check_permit, is_project_id};
use crate::rate::Rate;

/// Column titles of the 户 sheet (and issue column names).
pub mod col {
    /// 序号.
    pub const SEQ: &str = "序号";
    /// 房号.
    pub const HOUSE_NO: &str = "房号";
    /// 单元.
    pub const UNIT_NO: &str = "单元";
    /// 楼层.
    pub const FLOOR: &str = "楼层";
    /// 建筑面积 (m²).
    pub const AREA: &str = "建筑面积";
    /// 套内面积 (m²).
    pub const INNER_AREA: &str = "套内面积";
    /// 备案总价 (元).
    pub const PRICE: &str = "备案总价";
    /// 备注.
    pub const NOTE: &str = "备注";
}

/// Form field names (issue columns).
pub mod field {
    /// 项目编号.
    pub const PROJECT: &str = "项目编号";
    /// 楼栋号.
    pub const BUILDING_NO: &str = "楼栋号";
    /// 预售许可证号.
    pub const PRESALE_PERMIT: &str = "预售许可证号";
    /// 单元数.
    pub const UNIT_COUNT: &str = "单元数";
    /// 层数.
    pub const FLOOR_COUNT: &str = "层数";
    /// 竣工日期.
    pub const COMPLETION_DATE: &str = "竣工日期";
    /// 贷款比例.
    pub const LOAN_RATIO: &str = "贷款比例";
}

/// The most 单元 a building may have, and the most 层 (the tallest residential towers have ~100).
pub const MAX_UNITS: u32 = 99;
/// See [`MAX_UNITS`].
pub const MAX_FLOORS: u32 = 200;

/// One 户 (house) of the sheet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseRow {
    /// Excel row number.
    pub row: u32,
    /// 房号 (e.g. "1-1801").
    pub house_no: String,
    /// 单元 (1-based).
    pub unit_no: u32,
    /// 楼层 (1-based, above ground).
    pub floor: u32,
    /// 建筑面积.
    pub area: Area,
    /// 套内面积.
    pub inner_area: Area,
    /// 备案总价.
    pub price: Fen,
}

/// The signed 楼栋录入 payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Building {
    /// The approved project ("XM…") the building belongs to.
    pub project_id: String,
    /// 楼栋号 / 楼栋名 (e.g. "1栋").
    pub building_no: String,
    /// 预售许可证号 of this building.
    pub presale_permit: String,
    /// 单元数.
    pub unit_count: u32,
    /// 层数 (above ground).
    pub floor_count: u32,
    /// 竣工日期 `YYYY-MM-DD` (planned, for a building under construction).
    pub completion_date: String,
    /// 贷款比例 (the highest loan-to-price ratio agreed for the building).
    pub loan_ratio: Rate,
    /// 备注.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The 户 list.
    pub houses: Vec<HouseRow>,
}

/// An approved building with its houses, as the centre holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BuildingView {
    /// 楼栋编号 ("LD" + 8 digits).
    pub id: String,
    /// 楼栋号.
    pub building_no: String,
    /// 预售许可证号.
    pub presale_permit: String,
    /// 单元数.
    pub unit_count: u32,
    /// 层数.
    pub floor_count: u32,
    /// 竣工日期.
    pub completion_date: String,
    /// 贷款比例.
    pub loan_ratio: Rate,
    /// The houses, by 房号.
    pub houses: Vec<HouseView>,
}

/// A house of an approved building.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HouseView {
    /// 房号.
    pub house_no: String,
    /// 单元.
    pub unit_no: u32,
    /// 楼层.
    pub floor: u32,
    /// 建筑面积.
    pub area: Area,
    /// 套内面积.
    pub inner_area: Area,
    /// 备案总价.
    pub price: Fen,
    /// 可售 / 已售 / 已抵押.
    pub status: String,
}

/// The status of a house when its building is approved.
pub const HOUSE_FOR_SALE: &str = "可售";

/// The building's own fields (everything but the houses); returns them normalised.
pub fn check_form(b: &Building, issues: &mut Vec<Issue>) -> Building {
    let mut out = Building {
        houses: Vec::new(),
        ..b.clone()
    };
    if !is_project_id(&b.project_id) {
        issues.push(Issue::new(
            0,
            field::PROJECT,
            Code::ProjectNotFound,
            format!(
                "项目编号“{}”格式不正确（应为 XM 加 8 位数字）。请用 gjj project list 查看本公司已办结的项目",
                b.project_id
            ),
        ));
    }
    let no = normalize_text(&b.building_no).trim().to_owned();
    if no.is_empty() || no.chars().count() > 20 {
        issues.push(Issue::new(
            0,
            field::BUILDING_NO,
            Code::Required,
            "楼栋号不能为空且不超过 20 个字（如 1栋、A座）",
        ));
    }
    out.building_no = no;
    match check_permit(field::PRESALE_PERMIT, &b.presale_permit) {
        Ok(n) => out.presale_permit = n,
        Err(issue) => issues.push(issue),
    }
    if !(1..=MAX_UNITS).contains(&b.unit_count) {
        issues.push(Issue::new(
            0,
            field::UNIT_COUNT,
            Code::BuildingCountInvalid,
            format!("单元数应为 1–{MAX_UNITS}，本次为 {}", b.unit_count),
        ));
    }
    if !(1..=MAX_FLOORS).contains(&b.floor_count) {
        issues.push(Issue::new(
            0,
            field::FLOOR_COUNT,
            Code::BuildingCountInvalid,
            format!("层数（地上）应为 1–{MAX_FLOORS}，本次为 {}", b.floor_count),
        ));
    }
    match parse_date(&b.completion_date) {
        Some(d) => out.completion_date = d,
        None => issues.push(Issue::new(
            0,
            field::COMPLETION_DATE,
            Code::DateInvalid,
            format!(
                "竣工日期“{}”不是有效日期，请写成 2026-12-31 这样的年-月-日",
                b.completion_date
            ),
        )),
    }
    if b.loan_ratio.0 == 0 {
        issues.push(Issue::new(
            0,
            field::LOAN_RATIO,
            Code::LoanRatioInvalid,
            "贷款比例必须大于 0（按与中心签订的协议填写，如 70%）",
        ));
    }
    out.note = b
        .note
        .as_deref()
        .map(|n| normalize_text(n).trim().to_owned())
        .filter(|n| !n.is_empty());
    out
}

/// The 户 rules, row by row (streaming, as the sheet is read): 房号 unique in the building, 单元 ≤ 单元数, 楼层 ≤
/// 层数, 0 < 套内面积 ≤ 建筑面积, 备案总价 > 0.
pub struct HouseChecker {
    unit_count: u32,
    floor_count: u32,
    seen: HashMap<String, u32>,
    rows: u32,
}

impl HouseChecker {
    /// A checker for a building of `unit_count` 单元 and `floor_count` 层 (`u32::MAX` when not known yet, e.g.
    /// `gjj check building-houses` without the form).
    pub fn new(unit_count: u32, floor_count: u32) -> HouseChecker {
        HouseChecker {
            unit_count,
            floor_count,
            seen: HashMap::new(),
            rows: 0,
        }
    }

    /// Checks one row.
    pub fn push(&mut self, h: &HouseRow, issues: &mut Vec<Issue>) {
        self.rows += 1;
        let r = h.row;
        let house_no = normalize_text(&h.house_no).trim().to_uppercase();
        if house_no.is_empty() || house_no.chars().count() > 30 {
            issues.push(Issue::new(
                r,
                col::HOUSE_NO,
                Code::Required,
                "房号不能为空且不超过 30 个字",
            ));
        } else if let Some(first) = self.seen.get(&house_no) {
            issues.push(Issue::new(
                r,
                col::HOUSE_NO,
                Code::DuplicateHouseNo,
                format!("房号 {house_no} 与第 {first} 行重复：同一楼栋的房号不能重复，请核对楼盘表"),
            ));
        } else {
            self.seen.insert(house_no, r);
        }
        if h.unit_no == 0 || h.unit_no > self.unit_count {
            issues.push(Issue::new(
                r,
                col::UNIT_NO,
                Code::HouseUnitOutOfRange,
                format!(
                    "单元 {} 超出本楼栋的单元数 {}：单元从 1 起编号",
                    h.unit_no, self.unit_count
                ),
            ));
        }
        if h.floor == 0 || h.floor > self.floor_count {
            issues.push(Issue::new(
                r,
                col::FLOOR,
                Code::HouseFloorOutOfRange,
                format!(
                    "楼层 {} 超出本楼栋的层数 {}：楼层从 1 起编号",
                    h.floor, self.floor_count
                ),
            ));
        }
        if h.area.0 <= 0 {
            issues.push(Issue::new(
                r,
                col::AREA,
                Code::AreaNotPositive,
                "建筑面积必须大于 0",
            ));
        }
        if h.inner_area.0 <= 0 {
            issues.push(Issue::new(
                r,
                col::INNER_AREA,
                Code::AreaNotPositive,
                "套内面积必须大于 0",
            ));
        } else if h.inner_area > h.area {
            issues.push(Issue::new(
                r,
                col::INNER_AREA,
                Code::InnerAreaExceedsArea,
                format!(
                    "套内面积 {} m² 大于建筑面积 {} m²：套内面积不含公摊，不能大于建筑面积，请按测绘报告核对",
                    h.inner_area, h.area
                ),
            ));
        }
        if h.price.0 <= 0 {
            issues.push(Issue::new(
                r,
                col::PRICE,
                Code::AmountNotPositive,
                "备案总价必须大于 0（元）",
            ));
        }
    }

    /// After the last row: a building without houses is refused.
    pub fn finish(self, issues: &mut Vec<Issue>) {
        if self.rows == 0 {
            issues.push(Issue::sheet(
                Code::NoRows,
                "户清单没有数据行：请在模板第 5 行起逐户填写房号、单元、楼层、面积和备案总价",
            ));
        }
    }
}

/// Every rule of a 楼栋录入 (what the gateway re-runs): the form and its houses. Returns the normalised building.
pub fn check(b: &Building) -> Result<Building, Vec<Issue>> {
    let mut issues = Vec::new();
    let mut out = check_form(b, &mut issues);
    let mut checker = HouseChecker::new(b.unit_count, b.floor_count);
    for h in &b.houses {
        checker.push(h, &mut issues);
        out.houses.push(HouseRow {
            house_no: normalize_text(&h.house_no).trim().to_uppercase(),
            ..h.clone()
        });
    }
    checker.finish(&mut issues);
    if issues.is_empty() {
        Ok(out)
    } else {
        issues.sort_by_key(|i| i.row);
        Err(issues)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn house(row: u32, no: &str) -> HouseRow {
        HouseRow {
            row,
            house_no: no.into(),
            unit_no: 1,
            floor: 18,
            area: Area(8950),
            inner_area: Area(7420),
            price: Fen(53_700_000),
        }
    }

    fn valid() -> Building {
        Building {
            project_id: "XM00000001".into(),
            building_no: "1栋".into(),
            presale_permit: "衡房预售许字〔2025〕第013号".into(),
            unit_count: 2,
            floor_count: 18,
            completion_date: "2026/12/31".into(),
            loan_ratio: Rate(7000),
            note: None,
            houses: vec![house(5, "1-1801"), house(6, "1-1802")],
        }
    }

    fn codes(b: &Building) -> Vec<Code> {
        check(b)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|i| i.code)
            .collect()
    }

    #[test]
    fn valid_building_passes_normalised() {
        let b = check(&valid()).unwrap();
        assert_eq!(b.completion_date, "2026-12-31");
        assert_eq!(b.houses.len(), 2);
    }

    #[test]
    fn each_rule() {
        let mut b = valid();
        b.houses[1].house_no = "1-1801".into();
        assert_eq!(codes(&b), vec![Code::DuplicateHouseNo]);
        let mut b = valid();
        b.houses[0].inner_area = Area(8951);
        assert_eq!(codes(&b), vec![Code::InnerAreaExceedsArea]);
        let mut b = valid();
        b.houses[0].floor = 19;
        assert_eq!(codes(&b), vec![Code::HouseFloorOutOfRange]);
        let mut b = valid();
        b.houses[0].unit_no = 3;
        assert_eq!(codes(&b), vec![Code::HouseUnitOutOfRange]);
        let mut b = valid();
        b.houses[0].price = Fen(0);
        assert_eq!(codes(&b), vec![Code::AmountNotPositive]);
        let mut b = valid();
        b.houses.clear();
        assert_eq!(codes(&b), vec![Code::NoRows]);
        let mut b = valid();
        b.completion_date = "2026-02-30".into();
        assert_eq!(codes(&b), vec![Code::DateInvalid]);
        let mut b = valid();
        b.unit_count = 0;
        assert!(codes(&b).contains(&Code::BuildingCountInvalid));
        let mut b = valid();
        b.loan_ratio = Rate(0);
        assert_eq!(codes(&b), vec![Code::LoanRatioInvalid]);
        let mut b = valid();
        b.project_id = "X1".into();
        assert_eq!(codes(&b), vec![Code::ProjectNotFound]);
    }
}
