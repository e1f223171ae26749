//! 缴存人信息变更: our template, filled in, imports to the rows a clerk meant (empty "新…" cells = unchanged),
//! with cell problems reported by row and column.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gjj_domain::contributor_change::col;
use gjj_sheets::contributor_change::{
    import, template_workbook, TemplateOptions, FIRST_DATA_ROW, SHEET_NAME,
};
use rust_xlsxwriter::Format;

#[test]
fn a_filled_template_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("变更.xlsx");
    let mut wb = template_workbook(&TemplateOptions::default()).unwrap();
    let ws = wb.worksheet_from_name(SHEET_NAME).unwrap();
    let t = Format::new().set_num_format("@");
    let r = FIRST_DATA_ROW;
    ws.write_number(r, 0, 1.0).unwrap();
    ws.write_string_with_format(r, 1, "9901000000001", &t).unwrap();
    ws.write_string(r, 2, "张三").unwrap();
    ws.write_string_with_format(r, 3, "430405198803150011", &t)
        .unwrap();
    ws.write_string_with_format(r, 6, "11010119900307002x", &t)
        .unwrap();
    // A mobile typed as a number is fine (11 digits are exact).
    ws.write_number(r, 9, 13807345678.0).unwrap();
    ws.write_string(r, 12, "中国建设银行衡阳分行").unwrap();
    // Row 2: a card number stored as a Number cell has lost digits.
    ws.write_number(r + 1, 0, 2.0).unwrap();
    ws.write_string_with_format(r + 1, 1, "9901000000002", &t)
        .unwrap();
    ws.write_string(r + 1, 2, "李四").unwrap();
    ws.write_string_with_format(r + 1, 3, "430405198803150011", &t)
        .unwrap();
    ws.write_number(r + 1, 11, 6.222021234567891e18).unwrap();
    wb.save(&path).unwrap();

    let imported = import(&path).unwrap();
    assert_eq!(imported.data_rows, 2);
    assert_eq!(imported.rows.len(), 1, "{:?}", imported.issues);
    let row = &imported.rows[0];
    assert_eq!(
        (row.row, row.account.as_str(), row.name.as_str()),
        (5, "9901000000001", "张三")
    );
    assert!(!row.olds);
    let changes: Vec<(&str, Option<&str>, Option<&str>)> = row
        .changes
        .iter()
        .map(|c| (c.field.as_str(), c.old.as_deref(), c.new.as_deref()))
        .collect();
    assert_eq!(
        changes,
        vec![
            ("id_number", None, Some("11010119900307002X")),
            ("mobile", None, Some("13807345678")),
            ("bank_name", None, Some("中国建设银行衡阳分行")),
        ]
    );
    assert_eq!(imported.issues.len(), 1, "{:?}", imported.issues);
    assert_eq!(
        (imported.issues[0].row, imported.issues[0].column.as_str()),
        (6, col::NEW_BANK_ACCOUNT)
    );
}
