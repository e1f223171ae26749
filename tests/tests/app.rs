//! `gjj_client::app::App` — everything the desktop window can ask for — end to end without the window: a real
//! gateway, the unit's SoftHSM token, real workbooks and the app's own local store. The window test
//! (desktop.rs) drives the main path through WebDriver; this one covers the rest of the commands.
//!
//! One test function: the SoftHSM module reads SOFTHSM2_CONF once per process, and the app reads its settings
//! from the environment.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use gjj_client::app::{App, HistoryFilter};
use gjj_domain::money::Fen;
use gjj_tests::{
    units, write_base_adjustment, Backend, Cell, Fixtures, LocalCentre, SheetRow, DEV_PIN, SOFTHSM_MODULE,
};
use serde_json::json;

async fn sheet(centre: &LocalCentre, due: &str, dir: &Path) -> (std::path::PathBuf, String) {
    let employees = centre.active_employees(units::EMPLOYER_A).await.unwrap();
    let raise = |base: Fen| Fen((base.0 * 110 / 100) / 100 * 100);
    let mut rows: Vec<SheetRow> = employees
        .iter()
        .take(4)
        .map(|e| SheetRow::adjust(e, raise(e.base), due))
        .collect();
    let fixed = raise(employees[2].base);
    rows[2].new_base = Cell::Text("一万".into());
    let path = dir.join("基数调整.xlsx");
    write_base_adjustment(&path, &rows).unwrap();
    (path, format!("{}.{:02}", fixed.0 / 100, fixed.0 % 100))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_app_command_works_against_a_real_centre() {
    let fixtures = Fixtures::from_env();
    let centre = LocalCentre::start(&fixtures, Backend::Sqlite).unwrap();
    let home = tempfile::tempdir().unwrap();
    // The managed file locks the driver list to SoftHSM: nothing else on this machine is loaded.
    gjj_tests::app_settings(home.path(), &centre, Path::new(SOFTHSM_MODULE), "", "").unwrap();
    std::env::set_var("SOFTHSM2_CONF", centre.softhsm_conf());
    let data = home.path().join("data");
    let app = App::new(data.clone());

    // Settings: the managed field is locked, the user's server is kept.
    let view = app.settings().unwrap();
    assert_eq!(view.locked, vec!["pkcs11_modules".to_owned()]);
    assert_eq!(view.effective.server, centre.url());

    // Keys without a PIN; a wrong PIN is a PIN error with its code; nothing works before login.
    let keys = app.keys().await.unwrap();
    assert!(keys.keys.len() >= 3, "{keys:?}");
    let a = gjj_tests::key_choice(&keys, units::EMPLOYER_A);
    assert_eq!(app.home().await.unwrap_err().code, "NOT_LOGGED_IN");
    let wrong = app.login(a.clone(), "000000".into()).await.unwrap_err();
    assert!(wrong.code.starts_with("PIN_"), "{wrong:?}");
    let info = app.login(a.clone(), DEV_PIN.into()).await.unwrap();
    assert_eq!(info.me.unit.name, units::EMPLOYER_A);
    assert!(info
        .businesses
        .iter()
        .any(|b| b.code == "base_adjustment" && b.kind == "batch"));

    let home_view = app.home().await.unwrap();
    let due = home_view.me.unit.due_month().to_string();
    assert_eq!(home_view.pending_sends, 0);

    // Template, import with progress, the bad cell, fix in place, issue export, submit.
    app.save_template("base_adjustment", &home.path().join("模板.xlsx"))
        .await
        .unwrap();
    assert!(gjj_sheets::base_adjustment::import(home.path().join("模板.xlsx")).is_ok());
    app.save_template("remittance", &home.path().join("清册.xlsx"))
        .await
        .unwrap();
    let list = gjj_sheets::remittance::import(home.path().join("清册.xlsx")).unwrap();
    assert!(list.data_rows > 0, "the 清册 lists the unit's people");
    assert!(app.batch_rows(0, 10).await.is_err(), "no sheet yet");

    let (path, fixed) = sheet(&centre, &due, home.path()).await;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let s2 = seen.clone();
    let summary = app
        .batch_import("base_adjustment", path.clone(), move |p| {
            s2.lock().unwrap().push(p.stage)
        })
        .await
        .unwrap();
    assert_eq!(summary.rows, 4);
    assert!(!summary.clean);
    let bad = &summary.issues[0];
    assert_eq!(bad.column, "调整后基数（元）");
    assert_eq!(seen.lock().unwrap().last().copied(), Some("done"));
    let rows = app.batch_rows(0, 100).await.unwrap();
    assert_eq!(rows.len(), 4);
    let index = app.batch_row_index(bad.row).await.unwrap().unwrap();
    assert_eq!(rows[index].row.row, bad.row);
    assert!(rows[index].row.cells.contains(&"一万".to_owned()));
    // Each row carries its own issues (the grid marks those cells); the others have none.
    assert_eq!(rows[index].issues.len(), 1);
    assert_eq!(rows[index].issues[0].column, bad.column);
    assert!(rows
        .iter()
        .filter(|r| r.row.row != bad.row)
        .all(|r| r.issues.is_empty()));
    assert_eq!(summary.issue_count, 1);
    assert_eq!(summary.rows_with_issues, 1);
    assert_eq!(app.batch_issues(0, 50).await.unwrap().len(), 1);
    assert!(app.batch_issues(1, 50).await.unwrap().is_empty());

    let refused = app.batch_submit(|_| {}).await.unwrap_err();
    assert_eq!(refused.code, "SHEET_HAS_ISSUES");
    assert_eq!(refused.issues.len(), summary.issues.len());

    let issues_file = home.path().join("问题清单.xlsx");
    app.batch_export_issues(&issues_file).await.unwrap();
    assert!(issues_file.metadata().unwrap().len() > 0);
    assert_eq!(
        app.batch_edit(bad.row, "没有这一列", "x").await.unwrap_err().code,
        "CELL_NOT_FOUND"
    );
    let summary = app.batch_edit(bad.row, &bad.column, &fixed).await.unwrap();
    assert!(summary.clean, "{:?}", summary.issues);
    let saved = home.path().join("改好的.xlsx");
    app.batch_save_sheet(&saved).await.unwrap();
    assert!(gjj_sheets::base_adjustment::import(&saved)
        .unwrap()
        .issues
        .is_empty());
    let sent_rows: Vec<_> = app
        .batch_rows(0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.row)
        .collect();
    let receipt = app.batch_submit(|_| {}).await.unwrap();
    assert_eq!(receipt.business, "base_adjustment");
    assert_eq!(receipt.accepted_rows, 4);
    // The grid still on screen is that submission now: it does not go twice.
    assert_eq!(
        app.batch_submit(|_| {}).await.unwrap_err().code,
        "RESUBMIT_NOT_ALLOWED"
    );

    // History joins the local store with the centre's status; filters; the receipt by serial.
    let history = app.history(HistoryFilter::default()).await.unwrap();
    let entry = history
        .iter()
        .find(|h| h.serial.as_deref() == Some(&receipt.serial))
        .unwrap();
    assert_eq!(entry.state, "sent");
    assert_eq!(entry.status_label.as_deref(), Some("已受理"));
    let other = HistoryFilter {
        business: Some("seal".into()),
        month: None,
    };
    assert!(app.history(other).await.unwrap().is_empty());
    let this_month = HistoryFilter {
        business: Some("base_adjustment".into()),
        month: Some(entry.month.clone()),
    };
    assert_eq!(app.history(this_month).await.unwrap().len(), 1);
    assert_eq!(
        app.receipt(&receipt.serial).await.unwrap().receipt.serial,
        receipt.serial
    );
    let open = app.home().await.unwrap().open;
    assert!(open.iter().any(|s| s.receipt.serial == receipt.serial));
    // 保存 PDF 回执: the centre's signed PDF, which the clerk's copy verifies offline.
    let pdf = home.path().join("回执.pdf");
    app.save_receipt_pdf(&receipt.serial, &pdf).await.unwrap();
    let trust = gjj_pki::TrustBundle::from_pem_file(&fixtures.ca_bundle()).unwrap();
    let verified = gjj_client::receipt::verify_file(&pdf, &trust).unwrap();
    assert_eq!(verified.receipt.serial, receipt.serial);

    // 办理记录 reopens the grid that was sent (by its 流水号, or by the local id every line has), whatever sheet is
    // in the workspace: the same rows, checked again; it cannot go again while 已受理; once withdrawn it goes as a
    // new submission.
    assert!(entry.has_sheet);
    app.batch_import("base_adjustment", path.clone(), |_| {})
        .await
        .unwrap();
    let reopened = app.submission_open(&receipt.serial).await.unwrap();
    assert_eq!(reopened.file, "基数调整.xlsx");
    assert_eq!(reopened.rows, 4);
    assert!(reopened.clean, "{:?}", reopened.issues);
    let origin = reopened.origin.clone().unwrap();
    assert_eq!(origin.serial.as_deref(), Some(receipt.serial.as_str()));
    assert_eq!(origin.idempotency_key, receipt.idempotency_key);
    assert_eq!(origin.status, Some(gjj_domain::api::SubmissionStatus::Accepted));
    assert_eq!(origin.status_label, "已受理");
    let blocked = origin.submit_blocked.unwrap();
    assert!(
        blocked.contains("已受理") && blocked.contains(&receipt.serial),
        "{blocked}"
    );
    let rows: Vec<_> = app
        .batch_rows(0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.row)
        .collect();
    assert_eq!(rows, sent_rows, "exactly what was sent, fixes included");
    let refused = app.batch_submit(|_| {}).await.unwrap_err();
    assert_eq!(refused.code, "RESUBMIT_NOT_ALLOWED");
    assert_eq!(refused.message, blocked);
    let by_key = app.submission_open(&entry.idempotency_key).await.unwrap();
    assert_eq!(by_key.origin.unwrap().serial, Some(receipt.serial.clone()));
    assert_eq!(
        app.submission_open("no-such-submission").await.unwrap_err().code,
        "SUBMISSION_NOT_FOUND"
    );
    app.withdraw(&receipt.serial).await.unwrap();
    // Asked again at submit: the grid opened while 已受理 may go now that it is withdrawn.
    let again = app.batch_submit(|_| {}).await.unwrap();
    assert_ne!(again.serial, receipt.serial);
    assert_ne!(again.idempotency_key, receipt.idempotency_key);
    assert_eq!(again.accepted_rows, 4);
    let withdrawn = app.submission_open(&receipt.serial).await.unwrap();
    let origin = withdrawn.origin.unwrap();
    assert_eq!(origin.status, Some(gjj_domain::api::SubmissionStatus::Withdrawn));
    assert!(origin.submit_blocked.is_none());
    let history = app.history(HistoryFilter::default()).await.unwrap();
    assert!(history
        .iter()
        .any(|h| h.serial.as_deref() == Some(&again.serial) && h.has_sheet));

    // Forms: the centre's rules as the user types; a valid one is signed and sent.
    let current = app.form_current("rate_adjustment", None).await.unwrap();
    assert_eq!(current["unit_rate"], json!(home_view.me.unit.unit_rate));
    let too_high = json!({ "unit_rate": 1300, "person_rate": 1200, "effective_month": due });
    let issues = app.form_validate("rate_adjustment", too_high).await.unwrap();
    assert!(
        issues.iter().any(|i| i.code.as_str() == "UNIT_RATE_OUT_OF_RANGE"),
        "{issues:?}"
    );
    let half = app
        .form_validate("rate_adjustment", json!({ "unit_rate": null }))
        .await
        .unwrap();
    assert_eq!(half[0].code.as_str(), "FORM_INVALID");
    let unit = app.form_current("unit_change", None).await.unwrap();
    let change = json!({ "changes": [{ "field": "address", "old": unit["address"], "new": "衡阳市雁峰区新址路 88 号" }] });
    assert!(app
        .form_validate("unit_change", change.clone())
        .await
        .unwrap()
        .is_empty());
    let stale = json!({ "changes": [{ "field": "address", "old": "不是现在的地址", "new": "衡阳市雁峰区新址路 88 号" }] });
    assert!(!app.form_validate("unit_change", stale).await.unwrap().is_empty());
    let unit_receipt = app.form_submit("unit_change", change).await.unwrap();
    assert_eq!(unit_receipt.business, "unit_change");
    // A form keeps no grid: there is nothing to reopen.
    assert_eq!(
        app.submission_open(&unit_receipt.serial).await.unwrap_err().code,
        "SHEET_NOT_KEPT"
    );
    assert_eq!(
        app.form_submit("base_adjustment", json!({}))
            .await
            .unwrap_err()
            .code,
        "UNKNOWN_BUSINESS"
    );

    // Drafts survive a restart of the app.
    let draft = app
        .save_draft(
            None,
            "rate_adjustment",
            "明年的比例",
            json!({ "unit_rate": 1000 }),
        )
        .await
        .unwrap();
    app.logout().await;
    let app = App::new(data.clone());
    app.login(a, DEV_PIN.into()).await.unwrap();
    let drafts = app.drafts().await.unwrap();
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0].draft.id, draft.draft.id);
    assert_eq!(drafts[0].business_label, "缴存比例调整");
    app.delete_draft(&draft.draft.id).await.unwrap();
    assert!(app.drafts().await.unwrap().is_empty());

    // Diagnostics with the session: mutual TLS and the clock are checked through the centre.
    let report = app.doctor().await.unwrap();
    let status = |id: &str| {
        report
            .checks
            .iter()
            .find(|c| c.id == id)
            .map(|c| serde_json::to_value(c.status).unwrap())
    };
    assert_eq!(status("handshake"), Some(json!("ok")), "{report:?}");
    assert_eq!(status("clock"), Some(json!("ok")));
    std::fs::create_dir_all(data.join("logs")).unwrap();
    std::fs::write(app.log_file(), "证件号码 43040519900101002X 已导入\n").unwrap();
    let exported = home.path().join("logs.txt");
    app.export_logs(&exported).await.unwrap();
    let text = std::fs::read_to_string(&exported).unwrap();
    assert!(text.contains("4304**********002X") && !text.contains("43040519900101002X"));

    // A developer gets the developer hall: drafts of projects at the centre, code tables for its selects.
    app.logout().await;
    let dev = gjj_tests::key_choice(&app.keys().await.unwrap(), units::DEVELOPER);
    let info = app.login(dev, DEV_PIN.into()).await.unwrap();
    assert!(info
        .businesses
        .iter()
        .all(|b| b.hall == gjj_domain::api::Role::Developer));
    let draft = app
        .project_draft(json!({ "name": "雁城花园二期" }), None)
        .await
        .unwrap();
    assert!(draft.id.starts_with("XM"));
    assert!(app.projects().await.unwrap().iter().any(|p| p.id == draft.id));
    assert!(!app.code_table("material_kind").unwrap().is_empty());
    assert_eq!(app.code_table("nope").unwrap_err().code, "UNKNOWN_CODE_TABLE");
}
