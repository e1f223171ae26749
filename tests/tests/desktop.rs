//! The desktop app end to end on the real window: the app built with the embedded ui, driven by WebDriver
//! (tauri-driver + WebKitWebDriver) under Xvfb, against a real gateway and SoftHSM tokens. Built and run by
//! `cargo xtask test` (feature `desktop-e2e`), which provides the environment below; each step also saves a
//! screenshot (docs/screenshots/ via `cargo xtask screenshots`). The locked-key and last-try cases see the
//! tokens through the PKCS#11 test double (tests/pkcs11-double): SoftHSM never reaches those PIN states.
//!
//! Environment: GJJ_DESKTOP_BIN (the app), GJJ_TAURI_DRIVER (tauri-driver), GJJ_SCREENSHOTS (a directory),
//! DISPLAY (Xvfb), plus the fixtures of every end-to-end test.

use std::path::{Path, PathBuf};
use std::time::Duration;

use gjj_domain::money::Fen;
use gjj_tests::run_gjj as run;
use gjj_tests::webdriver::{open_desk, App, WAIT};
use gjj_tests::{units, write_base_adjustment, Cell, LocalCentre, SheetRow, DEV_PIN};

/// A 基数调整 sheet for the first three active employees with one unreadable amount (row 2's new base).
async fn sheet_with_an_error(centre: &LocalCentre, dir: &Path) -> (PathBuf, String) {
    let employees = centre
        .active_employees(units::EMPLOYER_A)
        .await
        .expect("employees");
    let (code, me, err) = run(centre.gjj(units::EMPLOYER_A).args(["whoami", "--json"]));
    assert_eq!(code, 0, "{me} {err}");
    let paid: gjj_domain::month::Month = me["me"]["unit"]["paid_through"]
        .as_str()
        .unwrap_or_default()
        .parse()
        .expect("month");
    let due = paid.next().to_string();
    let raise = |base: Fen| Fen((base.0 * 110 / 100) / 100 * 100);
    let mut rows: Vec<SheetRow> = employees
        .iter()
        .take(3)
        .map(|e| SheetRow::adjust(e, raise(e.base), &due))
        .collect();
    let fixed = raise(employees[1].base);
    rows[1].new_base = Cell::Text("五千".into());
    let path = dir.join("基数调整-有错误.xlsx");
    write_base_adjustment(&path, &rows).expect("sheet");
    (path, format!("{}.{:02}", fixed.0 / 100, fixed.0 % 100))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clerk_goes_from_usb_key_to_receipt_and_sees_the_centre_finish_it() {
    let mut desk = open_desk(None).await;
    let app = &desk.app;

    // Login: every token's certificate is listed without a PIN.
    app.el("[data-testid=cert-option]").await;
    for unit in [units::EMPLOYER_A, units::EMPLOYER_B, units::DEVELOPER] {
        app.el(&format!("[data-testid=cert-option][data-unit='{unit}']"))
            .await;
    }
    app.shot("01-login").await;

    // Without the key: 离线检查 from the login screen. This PC never cached a unit's facts, so the policy shipped
    // with the app is the basis; the sheet's own error is found, and nothing can be sent from there.
    let (sheet, fixed) = sheet_with_an_error(&desk.centre, desk.home.path()).await;
    app.click("[data-testid=offline-check-link]").await;
    app.text_contains("[data-testid=offline-basis]", "客户端自带")
        .await;
    app.type_into("[data-testid=file-path] input", &sheet.display().to_string())
        .await;
    app.click("[data-testid=import-button]").await;
    app.text_contains("[data-testid=offline-banner]", "离线检查")
        .await;
    app.el(".cell-bad[data-testid=cell]").await;
    assert!(app.all("[data-testid=submit-button]").await.is_empty());
    app.shot("01b-offline-check").await;
    app.client
        .execute("window.location.hash = '#/login'", vec![])
        .await
        .expect("back to the login screen");
    app.el("[data-testid=cert-option]").await;

    // Wrong PIN, then the right one.
    app.login(units::EMPLOYER_A, "000000").await;
    app.text_contains("[data-testid=pin-error]", "PIN 错误").await;
    app.shot("02-pin-error").await;
    app.type_into("[data-testid=pin-input] input", DEV_PIN).await;
    app.click("[data-testid=pin-submit]").await;
    app.el("[data-testid=home]").await;
    app.text_contains("[data-testid=unit-name]", units::EMPLOYER_A)
        .await;
    app.el("[data-testid=menu-item][data-code=base_adjustment]").await;
    assert!(app
        .all("[data-testid=menu-item][data-code=project]")
        .await
        .is_empty());
    app.shot("03-home").await;

    // Import the sheet with an error, logged in: the bad cell is marked with the message.
    app.click("[data-testid=menu-item][data-code=base_adjustment]")
        .await;
    app.type_into("[data-testid=file-path] input", &sheet.display().to_string())
        .await;
    app.click("[data-testid=import-button]").await;
    let bad = app.el(".cell-bad[data-testid=cell]").await;
    let row = bad.attr("data-row").await.ok().flatten().expect("data-row");
    let col = bad.attr("data-col").await.ok().flatten().expect("data-col");
    assert_eq!(col, "调整后基数（元）");
    assert_eq!(app.all(".cell-bad[data-testid=cell]").await.len(), 1);
    let title = bad.attr("title").await.ok().flatten().unwrap_or_default();
    assert!(!title.is_empty(), "the bad cell explains itself on hover");
    app.el(&format!("[data-testid=issue-item][data-row='{row}']"))
        .await;
    app.shot("04-grid-with-errors").await;

    // Fix it in place, submit: the clerk lands on the receipt page, 流水号 first, the grid gone.
    app.client
        .execute(
            "arguments[0].dispatchEvent(new MouseEvent('dblclick', {bubbles: true}))",
            vec![serde_json::to_value(&bad).expect("element")],
        )
        .await
        .expect("double-click");
    // One key sequence (select all, the value, Enter): clearing first would blur the editor and commit.
    app.el("[data-testid=cell-editor]")
        .await
        .send_keys(&format!("\u{E009}a\u{E009}{fixed}\u{E007}"))
        .await
        .expect("type the fix");
    app.until_gone(".cell-bad[data-testid=cell]").await;
    app.click("[data-testid=submit-button]").await;
    app.click("[data-testid=submit-confirm]").await;
    let serial = app
        .el("[data-testid=receipt-view] [data-testid=receipt-serial]")
        .await
        .text()
        .await
        .expect("serial");
    let serial = serial.trim().to_owned();
    assert!(!serial.is_empty());
    assert!(app.all("[data-testid=batch-view]").await.is_empty());
    app.shot("05-receipt").await;

    // History (from the receipt's 办理记录) shows it; staff approve it; the app shows 已办结, on its receipt too.
    app.click("[data-testid=receipt-actions] [data-testid=receipt-history]")
        .await;
    app.el(&format!("[data-testid=history-row][data-serial='{serial}']"))
        .await;
    let (code, out, err) = run(desk
        .centre
        .gjj_pfx("staff")
        .args(["review", "start", &serial, "--json"]));
    assert_eq!(code, 0, "{out} {err}");
    let (code, out, err) = run(desk
        .centre
        .gjj_pfx("staff")
        .args(["review", "approve", &serial, "--json"]));
    assert_eq!(code, 0, "{out} {err}");
    app.click("[data-testid=history-refresh]").await;
    app.text_contains(
        &format!("[data-testid=history-row][data-serial='{serial}'] [data-testid=history-status]"),
        "已办结",
    )
    .await;
    app.shot("06-history").await;
    app.click(&format!(
        "[data-testid=history-row][data-serial='{serial}'] [data-testid=history-open]"
    ))
    .await;
    app.text_contains(
        "[data-testid=receipt-view] [data-testid=receipt-status]",
        "已办结",
    )
    .await;

    // A developer logs in and gets the developer menu.
    app.click("[data-testid=nav-logout]").await;
    app.login(units::DEVELOPER, DEV_PIN).await;
    app.el("[data-testid=home]").await;
    app.el("[data-testid=menu-item][data-code=project]").await;
    app.el("[data-testid=menu-item][data-code=loan_application]")
        .await;
    assert!(app
        .all("[data-testid=menu-item][data-code=base_adjustment]")
        .await
        .is_empty());
    app.shot("07-developer-home").await;

    // Diagnostics with a failing check: the centre goes away.
    desk.centre.stop();
    app.click("[data-testid=nav-diagnostics]").await;
    app.click("[data-testid=doctor-rerun]").await;
    app.el("[data-testid=check][data-id=reachability][data-status=fail]")
        .await;
    app.el("[data-testid=check][data-id=modules][data-status=ok]")
        .await;
    app.shot_at(
        "08-diagnostics-failing",
        "[data-testid=check][data-id=reachability]",
    )
    .await;

    app.client.clone().close().await.expect("close session");
}

/// Whether the element is disabled, as the DOM says (`disabled` property).
async fn disabled(app: &App, css: &str) -> bool {
    !app.el(css)
        .await
        .is_enabled()
        .await
        .unwrap_or_else(|e| panic!("{css} enabled?: {e}"))
}

// A locked PIN is a vendor-driver state SoftHSM never reaches: the key here is SoftHSM's, seen through the
// PKCS#11 test double (tests/pkcs11-double) that reports CKF_USER_PIN_LOCKED and refuses C_Login.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_usb_key_is_shown_locked_and_the_pin_cannot_be_typed() {
    let desk = open_desk(Some("locked")).await;
    let app = &desk.app;

    // Every key is listed once (only the double is loaded), each marked locked before anyone types a PIN.
    let unit = format!("[data-testid=cert-option][data-unit='{}']", units::EMPLOYER_A);
    app.el(&unit).await;
    assert_eq!(app.all("[data-testid=cert-option]").await.len(), 4);
    // Polled: the tags zoom in (an Element Plus transition); text mid-animation is not "shown" to WebDriver.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let mut texts = Vec::new();
        for key in app.all("[data-testid=key]").await {
            texts.push(key.text().await.unwrap_or_default());
        }
        if texts.len() == 4 && texts.iter().all(|t| t.contains("已锁定")) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "every key is marked locked in the list: {texts:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Choosing it opens the PIN dialog with the advice, and nothing can be typed or sent.
    app.click(&unit).await;
    app.click("[data-testid=login-button]").await;
    let advice = app
        .text_contains("[data-testid=pin-flag][data-flag=locked]", "解锁")
        .await;
    assert!(advice.contains("CA"), "says who unlocks it: {advice}");
    assert!(disabled(app, "[data-testid=pin-input] input").await);
    assert!(disabled(app, "[data-testid=pin-submit]").await);
    assert!(app.all("[data-testid=pin-error]").await.is_empty());
    app.shot("09-locked-key").await;

    app.client.clone().close().await.expect("close session");
}

// The last try before the lock, through the same double (CKF_USER_PIN_FINAL_TRY; C_Login is SoftHSM's).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_usb_key_on_its_last_try_warns_before_and_after_a_wrong_pin() {
    let desk = open_desk(Some("final_try")).await;
    let app = &desk.app;

    app.login(units::EMPLOYER_A, "000000").await;
    app.text_contains("[data-testid=pin-flag][data-flag=final_try]", "最后一次")
        .await;
    app.text_contains("[data-testid=pin-error]", "最后一次").await;
    assert!(
        !disabled(app, "[data-testid=pin-input] input").await,
        "the last try can still be typed"
    );
    app.shot("10-pin-final-try").await;

    // The right PIN still opens the key, and the double passes the TLS handshake's signature through.
    app.type_into("[data-testid=pin-input] input", DEV_PIN).await;
    app.click("[data-testid=pin-submit]").await;
    app.el("[data-testid=home]").await;
    app.text_contains("[data-testid=unit-name]", units::EMPLOYER_A)
        .await;

    app.client.clone().close().await.expect("close session");
}
