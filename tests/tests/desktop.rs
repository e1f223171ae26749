//! The desktop app end to end on the real window: the app built with the embedded ui, driven by WebDriver
//! (tauri-driver + WebKitWebDriver) under Xvfb, against a real gateway and SoftHSM tokens. Built and run by
//! `cargo xtask test` (feature `desktop-e2e`), which provides the environment below; each step also saves a
//! screenshot (docs/screenshots/ via `cargo xtask screenshots`).
//!
//! Environment: GJJ_DESKTOP_BIN (the app), GJJ_TAURI_DRIVER (tauri-driver), GJJ_SCREENSHOTS (a directory),
//! DISPLAY (Xvfb), plus the fixtures of every end-to-end test.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use gjj_domain::money::Fen;
use gjj_tests::{
    units, write_base_adjustment, Backend, Cell, Fixtures, LocalCentre, SheetRow, DEV_PIN, SOFTHSM_MODULE,
};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(30);

fn env_path(name: &str) -> PathBuf {
    std::env::var_os(name)
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("{name} is not set: run the desktop tests with `cargo xtask test`"))
}

/// tauri-driver on its fixed ports; stopped with SIGTERM (a killed driver leaves WebKitWebDriver behind).
struct Driver(Child);

impl Driver {
    fn start(env: &[(&str, &Path)]) -> Driver {
        let mut cmd = Command::new(env_path("GJJ_TAURI_DRIVER"));
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        Driver(cmd.spawn().expect("tauri-driver"))
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

struct App {
    client: Client,
    shots: PathBuf,
}

impl App {
    async fn connect(bin: &Path, shots: PathBuf) -> App {
        let caps = json!({ "browserName": "wry", "tauri:options": { "application": bin } });
        let caps = caps.as_object().cloned().unwrap_or_default();
        let mut last = None;
        for _ in 0..50 {
            match ClientBuilder::native()
                .capabilities(caps.clone())
                .connect("http://127.0.0.1:4444")
                .await
            {
                Ok(client) => return App { client, shots },
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("no WebDriver session: {last:?}");
    }

    async fn el(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} did not appear: {e}"))
    }

    async fn all(&self, css: &str) -> Vec<Element> {
        self.client.find_all(Locator::Css(css)).await.unwrap_or_default()
    }

    async fn click(&self, css: &str) {
        self.el(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    async fn type_into(&self, css: &str, text: &str) {
        let e = self.el(css).await;
        e.clear().await.unwrap_or_else(|err| panic!("clear {css}: {err}"));
        e.send_keys(text)
            .await
            .unwrap_or_else(|err| panic!("type into {css}: {err}"));
    }

    /// Waits until `css` exists and its text contains `needle`; returns the text.
    async fn text_contains(&self, css: &str, needle: &str) -> String {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            for e in self.all(css).await {
                if let Ok(t) = e.text().await {
                    if t.contains(needle) {
                        return t;
                    }
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{css} never showed “{needle}”"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn until_gone(&self, css: &str) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !self.all(css).await.is_empty() {
            assert!(tokio::time::Instant::now() < deadline, "{css} is still there");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn shot(&self, name: &str) {
        // Let transitions settle so the picture shows the state, not the animation.
        tokio::time::sleep(Duration::from_millis(400)).await;
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::create_dir_all(&self.shots).expect("screenshot dir");
        std::fs::write(self.shots.join(format!("{name}.png")), png).expect("write screenshot");
    }

    async fn login(&self, unit: &str, pin: &str) {
        self.click(&format!("[data-testid=cert-option][data-unit='{unit}']"))
            .await;
        self.click("[data-testid=login-button]").await;
        self.type_into("[data-testid=pin-input] input", pin).await;
        self.click("[data-testid=pin-submit]").await;
    }
}

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

fn run(cmd: &mut Command) -> (i32, serde_json::Value, String) {
    let out = cmd.output().expect("gjj");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clerk_goes_from_usb_key_to_receipt_and_sees_the_centre_finish_it() {
    let fixtures = Fixtures::from_env();
    let mut centre = LocalCentre::start(&fixtures, Backend::Sqlite).expect("centre");
    let home = tempfile::tempdir().expect("tempdir");
    let config = home.path().join("config");
    let data = home.path().join("data");
    std::fs::create_dir_all(&config).expect("config dir");
    std::fs::write(
        config.join("settings.toml"),
        format!(
            "server = \"{}\"\nca_bundle = \"{}\"\npkcs11_modules = [\"{SOFTHSM_MODULE}\"]\nlog_level = \"debug\"\n",
            centre.url(),
            fixtures.ca_bundle().display()
        ),
    )
    .expect("settings");
    let no_managed = home.path().join("no-managed.toml");
    let softhsm = centre.softhsm_conf();
    let _driver = Driver::start(&[
        ("GJJ_CONFIG_DIR", &config),
        ("GJJ_DATA_DIR", &data),
        ("GJJ_MANAGED_CONFIG", &no_managed),
        ("SOFTHSM2_CONF", &softhsm),
    ]);
    let app = App::connect(&env_path("GJJ_DESKTOP_BIN"), env_path("GJJ_SCREENSHOTS")).await;

    // Login: every token's certificate is listed without a PIN.
    app.el("[data-testid=cert-option]").await;
    for unit in [units::EMPLOYER_A, units::EMPLOYER_B, units::DEVELOPER] {
        app.el(&format!("[data-testid=cert-option][data-unit='{unit}']"))
            .await;
    }
    app.shot("01-login").await;

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

    // Import a sheet with an error: the bad cell is marked with the message.
    let (sheet, fixed) = sheet_with_an_error(&centre, home.path()).await;
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

    // Fix it in place, submit, receipt.
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
        .el("[data-testid=receipt-serial]")
        .await
        .text()
        .await
        .expect("serial");
    let serial = serial.trim().to_owned();
    assert!(!serial.is_empty());
    app.shot("05-receipt").await;

    // History shows it; staff approve it; the app shows 已办结.
    app.click("[data-testid=nav-history]").await;
    app.el(&format!("[data-testid=history-row][data-serial='{serial}']"))
        .await;
    let (code, out, err) = run(centre
        .gjj_pfx("staff")
        .args(["review", "start", &serial, "--json"]));
    assert_eq!(code, 0, "{out} {err}");
    let (code, out, err) = run(centre
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
    centre.stop();
    app.click("[data-testid=nav-diagnostics]").await;
    app.click("[data-testid=doctor-rerun]").await;
    app.el("[data-testid=check][data-id=reachability][data-status=fail]")
        .await;
    app.el("[data-testid=check][data-id=modules][data-status=ok]")
        .await;
    app.shot("08-diagnostics-failing").await;

    app.client.close().await.expect("close session");
}
