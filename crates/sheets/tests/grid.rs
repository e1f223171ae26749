//! The desktop grid: a workbook read as text cells, edited, written back and imported again gives the rows
//! of the edited sheet, with the original Excel row numbers.

use std::path::PathBuf;

use gjj_domain::issue::Code;
use gjj_sheets::{base_adjustment, read_grid, write_grid, write_issues};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn every_batch_fixture_reads_as_a_grid_with_the_importers_row_count() {
    for (business, file) in [
        ("base_adjustment", "clean_openpyxl.xlsx"),
        ("base_adjustment", "pitfalls_openpyxl.xlsx"),
        ("base_adjustment", "pitfalls_xlwt.xls"),
        ("base_adjustment", "pitfalls_libreoffice.ods"),
        (
            "contributor_registration",
            "contributor_registration_openpyxl.xlsx",
        ),
        ("contributor_change", "contributor_change_libreoffice.xlsx"),
        ("seal", "seal_openpyxl.xlsx"),
        ("unseal", "unseal_libreoffice.xlsx"),
        ("supplementary", "supplementary_openpyxl.xlsx"),
        ("remittance", "remittance_libreoffice.xlsx"),
    ] {
        let grid = read_grid(business, &fixture(file)).unwrap().unwrap();
        assert!(!grid.is_empty(), "{file}");
        let rows: Vec<_> = (0..grid.len()).filter_map(|i| grid.row(i)).collect();
        assert_eq!(rows.len(), grid.len());
        assert!(
            rows.windows(2).all(|w| w[0].row < w[1].row),
            "{file}: sheet order"
        );
        assert!(rows.iter().all(|r| r.cells.len() == grid.columns.len()));
        assert!(grid.header_row.is_some_and(|h| h < rows[0].row));
        assert!(rows
            .iter()
            .enumerate()
            .all(|(i, r)| grid.index_of(r.row) == Some(i)));
    }
    assert!(read_grid("unit_change", &fixture("clean_openpyxl.xlsx")).is_none());
}

/// The desktop's import reads the file once: the grid built on the check's pass is the grid `read_grid` reads
/// (typed cells and header row included), and the issues handed over as they come, then what is left, are the
/// issues found without either, in the same order.
#[test]
fn a_grid_and_issues_taken_on_the_checks_pass_equal_those_found_alone() {
    macro_rules! same {
        ($module:ident, $business:literal, $path:expr) => {{
            let path: PathBuf = $path;
            let alone = read_grid($business, &path).unwrap().unwrap();
            let (mut plain_rows, mut plain_issues) = (0u32, Vec::new());
            let plain =
                gjj_sheets::$module::import_with(&path, |_, _| plain_rows += 1, &mut plain_issues).unwrap();
            let mut grid = gjj_sheets::Grid::default();
            let (mut rows, mut issues, mut drained, mut drains) = (0u32, Vec::new(), Vec::new(), 0);
            let mut drain = |found: &mut Vec<gjj_domain::issue::Issue>| {
                assert!(found.len() >= gjj_sheets::DRAIN_AT);
                drains += 1;
                drained.append(found);
            };
            let alongside = gjj_sheets::Alongside {
                grid: Some(&mut grid),
                drain: Some(&mut drain),
            };
            let stats =
                gjj_sheets::$module::import_alongside(&path, alongside, |_, _| rows += 1, &mut issues)
                    .unwrap();
            drained.append(&mut issues);
            let p = path.display();
            assert!(!grid.is_empty(), "{p}");
            assert_eq!(format!("{grid:?}"), format!("{alone:?}"), "{p}");
            assert_eq!((rows, stats.data_rows), (plain_rows, plain.data_rows), "{p}");
            assert_eq!(drained, plain_issues, "{p}");
            drains
        }};
    }
    same!(base_adjustment, "base_adjustment", fixture("clean_openpyxl.xlsx"));
    same!(
        base_adjustment,
        "base_adjustment",
        fixture("pitfalls_openpyxl.xlsx")
    );
    same!(base_adjustment, "base_adjustment", fixture("pitfalls_xlwt.xls"));
    same!(
        base_adjustment,
        "base_adjustment",
        fixture("pitfalls_libreoffice.ods")
    );
    same!(
        contributor_registration,
        "contributor_registration",
        fixture("contributor_registration_openpyxl.xlsx")
    );
    same!(
        contributor_change,
        "contributor_change",
        fixture("contributor_change_libreoffice.xlsx")
    );
    same!(seal, "seal", fixture("seal_openpyxl.xlsx"));
    same!(remittance, "remittance", fixture("remittance_libreoffice.xlsx"));

    // 3,000 rows, each with a cell problem (words in the amount column): the issues are handed over in chunks.
    use gjj_domain::base_adjustment::col;
    use gjj_sheets::Prefill;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("每行都有问题.xlsx");
    let accounts: Vec<String> = (0..3000).map(|i| format!("43{i:010}")).collect();
    let rows: Vec<Vec<(&str, Prefill<'_>)>> = accounts
        .iter()
        .map(|a| {
            vec![
                (col::ACCOUNT, Prefill::Text(a)),
                (col::NAME, Prefill::Text("张三")),
                (col::NEW_BASE, Prefill::Text("三万元")),
            ]
        })
        .collect();
    base_adjustment::write_prefilled(&path, &Default::default(), &rows).unwrap();
    let drains = same!(base_adjustment, "base_adjustment", path.clone());
    assert!(drains >= 2, "{drains} drains for 3,000 issues");
}

#[test]
fn an_edited_grid_written_back_imports_with_the_fix_and_the_same_row_numbers() {
    let src = fixture("pitfalls_openpyxl.xlsx");
    let before = base_adjustment::import(&src).unwrap();
    let bad = before
        .issues
        .iter()
        .find(|i| i.code == Code::IdStoredAsNumber)
        .expect("the pitfall sheet has an ID stored as a number");
    let mut grid = read_grid("base_adjustment", &src).unwrap().unwrap();
    assert!(grid.set(bad.row, &bad.column, "430405199001011234"));
    let i = grid.index_of(bad.row).unwrap();
    let col = grid.columns.iter().position(|c| *c == bad.column).unwrap();
    assert_eq!(grid.cell(i, col), "430405199001011234");
    assert_eq!(grid.kind(i, col), gjj_sheets::CellKind::Text);
    assert!(
        grid.set(bad.row, &bad.column, " 430405199001011234 "),
        "edited twice, trimmed"
    );
    assert_eq!(grid.row(i).unwrap().cells[col], "430405199001011234");
    assert!(!grid.set(bad.row, "没有这一列", "x"));
    assert!(!grid.set(99_999, &bad.column, "x"));

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("edited.xlsx");
    write_grid(&grid, &out).unwrap();
    let after = base_adjustment::import(&out).unwrap();
    assert_eq!(after.data_rows, before.data_rows);
    assert!(!after
        .issues
        .iter()
        .any(|i| i.row == bad.row && i.code == Code::IdStoredAsNumber));
    // The other problems are still reported, at the rows the user saw: unedited cells keep their type
    // (a month typed as a date serial stays a number; an account stored as a number is still flagged).
    let others = |v: &[gjj_domain::issue::Issue]| {
        v.iter()
            .filter(|i| i.row != bad.row)
            .map(|i| (i.row, i.column.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(others(&after.issues), others(&before.issues));
    // And the grid of the written file is the edited grid.
    assert_eq!(read_grid("base_adjustment", &out).unwrap().unwrap(), grid);
}

#[test]
fn the_issue_list_is_a_workbook_with_one_line_per_issue() {
    let before = base_adjustment::import(fixture("pitfalls_openpyxl.xlsx")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("issues.xlsx");
    write_issues(&before.issues, "pitfalls.xlsx", &out).unwrap();
    use calamine::{open_workbook_auto, Reader};
    let mut wb = open_workbook_auto(&out).unwrap();
    let range = wb.worksheet_range("问题清单").unwrap();
    assert_eq!(range.height(), before.issues.len() + 3);
    let first = &before.issues[0];
    assert_eq!(range.get_value((3, 2)).unwrap().to_string(), first.code.as_str());
    assert_eq!(range.get_value((3, 3)).unwrap().to_string(), first.message);
}
