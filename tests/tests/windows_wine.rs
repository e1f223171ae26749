//! The Windows builds, run: the cross-built `gjj.exe` and the installers under Wine (Debian's wine64 8.0)
//! against the Linux gateway over loopback mutual TLS (issue 11). `cargo xtask test` runs this file after it
//! has cross-built the Windows programs and installers (feature `wine-e2e`); where Wine cannot be installed
//! it prints `SKIPPED: Windows under Wine …` instead.
//!
//! What Wine cannot show, and where it is covered instead: Wine's ncrypt cannot open stored keys and its
//! `CryptAcquireCertificatePrivateKey` always hands out a CSP key, so the CNG path runs only on a real PC
//! (docs/windows-pilot.md); rsaenh has no PIN, so the vendor PIN dialog and its cancel are unit-tested
//! (`gjj_pki::winstore`); Wine has no WebView2, which is exactly the "runtime missing" path tested here.
#![cfg(feature = "wine-e2e")]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use gjj_domain::money::Fen;
use gjj_tests::wine::{self, text, z_path, Wine};
use gjj_tests::{
    doctor_check, runtime, scalar, units, write_base_adjustment, Backend, Fixtures, LocalCentre, SheetRow,
};

fn gjj_exe() -> PathBuf {
    PathBuf::from(std::env::var_os(wine::GJJ_EXE_ENV).expect("GJJ_WINE_GJJ_EXE: run with `cargo xtask test`"))
}

fn dist() -> PathBuf {
    PathBuf::from(std::env::var_os(wine::DIST_ENV).expect("GJJ_WINE_DIST: run with `cargo xtask test`"))
}

/// `gjj.exe` in the prefix, configured for the centre with a .pfx (password from the environment).
fn gjj(wine: &Wine, centre: &LocalCentre, pfx: &str) -> Command {
    let mut cmd = gjj_pfx_only(wine, centre, pfx);
    cmd.args(["--server", &centre.url()])
        .args(["--ca-bundle", &z_path(&centre.fixtures.ca_bundle())]);
    cmd
}

/// `gjj.exe` with only a .pfx (password from the environment): centre and CA bundle must come from settings.
fn gjj_pfx_only(wine: &Wine, centre: &LocalCentre, pfx: &str) -> Command {
    let mut cmd = wine.command(gjj_exe());
    cmd.env("GJJ_TEST_PIN", gjj_tests::DEV_PIN)
        .args(["--pfx", &z_path(&centre.fixtures.pfx(pfx))])
        .args(["--pin-env", "GJJ_TEST_PIN"]);
    cmd
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(out)))
}

/// The Windows user's desktop folder with a Chinese user name, as a Windows path and as the Linux path.
fn desktop(wine: &Wine) -> (String, PathBuf) {
    let dir = wine.c_drive().join("users").join("张三").join("桌面");
    std::fs::create_dir_all(&dir).expect("desktop folder");
    (r"C:\users\张三\桌面".to_owned(), dir)
}

/// A 基数调整 sheet raising the first `n` active contributors of employer A by 10 %, from the due month.
fn raise_rows(centre: &LocalCentre, wine: &Wine, n: usize) -> Vec<SheetRow> {
    let out = gjj(wine, centre, "employer-a-soft")
        .args(["whoami", "--json"])
        .output()
        .expect("whoami");
    assert!(out.status.success(), "{}", text(&out));
    let me = json(&out);
    let paid: gjj_domain::month::Month = me["me"]["unit"]["paid_through"]
        .as_str()
        .expect("paid_through")
        .parse()
        .expect("month");
    let due = paid.next().to_string();
    let employees = runtime()
        .block_on(centre.active_employees(units::EMPLOYER_A))
        .expect("employees");
    employees
        .iter()
        .take(n)
        .map(|e| SheetRow::adjust(e, Fen((e.base.0 * 110 / 100) / 100 * 100), &due))
        .collect()
}

#[test]
fn gjj_exe_runs_the_whole_flow_with_a_pfx_and_chinese_paths() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).expect("centre");
    let wine = Wine::new().expect("wine prefix");

    let out = wine.command(gjj_exe()).arg("--version").output().expect("run");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "gjj 0.1.0",
        "{}",
        text(&out)
    );

    let out = gjj(&wine, &centre, "employer-a-soft")
        .args(["doctor", "--json"])
        .output()
        .expect("doctor");
    let report = json(&out);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(doctor_check(&report, "handshake")["status"], "ok", "{report}");

    // 桌面\基数调整 2026.xlsx: a Chinese user folder and a space in the name.
    let (win_desktop, desktop) = desktop(&wine);
    let template = format!(r"{win_desktop}\基数调整 2026.xlsx");
    let out = gjj(&wine, &centre, "employer-a-soft")
        .args(["template", "base-adjustment", "--prefill", "-o", &template])
        .output()
        .expect("template");
    assert!(out.status.success(), "{}", text(&out));
    // The first command that opened the store (and made its key): what it said, for the DPAPI check below.
    let first_open = text(&out);
    let prefilled = desktop.join("基数调整 2026.xlsx");
    let rows = gjj_sheets::base_adjustment::import(&prefilled).expect("the template reads back");
    assert!(rows.data_rows > 0, "prefilled with the unit's contributors");

    // The clerk's filled sheet, and a sheet with a bad row.
    let mut good = raise_rows(&centre, &wine, 12);
    write_base_adjustment(&desktop.join("基数调整 2026 已填.xlsx"), &good).expect("sheet");
    good[3].new_base = gjj_tests::Cell::Text("六千".into());
    write_base_adjustment(&desktop.join("基数调整 有错.xlsx"), &good).expect("sheet");
    std::fs::write(desktop.join("不是表格.xlsx"), "姓名,基数\n张三,6000\n").expect("csv");

    let out = gjj(&wine, &centre, "employer-a-soft")
        .args([
            "check",
            "base-adjustment",
            &format!(r"{win_desktop}\基数调整 2026 已填.xlsx"),
            "--json",
        ])
        .output()
        .expect("check");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(json(&out)["rows"], 12);

    let out = gjj(&wine, &centre, "employer-a-soft")
        .args([
            "check",
            "base-adjustment",
            &format!(r"{win_desktop}\基数调整 有错.xlsx"),
            "--json",
        ])
        .output()
        .expect("check");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let issues = json(&out)["issues"].as_array().cloned().unwrap_or_default();
    assert!(
        issues.iter().any(|i| i["row"] == 8),
        "row 8 (the 4th data row) is named: {issues:?}"
    );

    let out = gjj(&wine, &centre, "employer-a-soft")
        .args([
            "check",
            "base-adjustment",
            &format!(r"{win_desktop}\不是表格.xlsx"),
            "--json",
        ])
        .output()
        .expect("check");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(json(&out)["error"]["code"], "SHEET_FORMAT_UNSUPPORTED");

    let out = gjj(&wine, &centre, "employer-a-soft")
        .args([
            "submit",
            "base-adjustment",
            &format!(r"{win_desktop}\基数调整 2026 已填.xlsx"),
            "--json",
        ])
        .output()
        .expect("submit");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let serial = json(&out)["receipt"]["serial"]
        .as_str()
        .expect("serial")
        .to_owned();
    assert_eq!(
        scalar(
            &centre,
            &format!("SELECT COUNT(*) FROM submissions WHERE serial = '{serial}' AND row_count = 12")
        ),
        1,
        "stored once, all 12 rows"
    );

    // What gjj.exe keeps of it is sealed: the store key is wrapped by Wine's DPAPI for this user, and neither
    // the store nor its WAL holds a person's 身份证 number or name.
    let written = gjj_tests::files_below(&wine.c_drive().join("users"));
    let key_path = written
        .iter()
        .find(|p| p.ends_with("AppData/Roaming/gjj-hall/store.key"))
        .unwrap_or_else(|| panic!("the store key under AppData: {written:?}"));
    let key = std::fs::read(key_path).expect("store.key");
    assert_eq!(
        &key[..5],
        b"GJJKD",
        "{} is wrapped with DPAPI, not kept in a plain file: {first_open}",
        key_path.display()
    );
    let store: Vec<u8> = written
        .iter()
        .filter(|p| p.to_string_lossy().contains("outbox.sqlite"))
        .flat_map(|p| std::fs::read(p).expect("store"))
        .collect();
    assert!(!store.is_empty(), "the store under AppData: {written:?}");
    for row in &good {
        for cell in [&row.id_number, &row.name] {
            let gjj_tests::Cell::Text(needle) = cell else {
                continue;
            };
            assert!(
                !store.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "the store holds {needle} in plain text"
            );
        }
    }

    let out = gjj(&wine, &centre, "employer-a-soft")
        .args(["status", &serial, "--json"])
        .output()
        .expect("status");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(json(&out)["receipt"]["serial"], serial.as_str());

    // The receipt as a text file a clerk opens in Notepad: BOM + CRLF.
    let out = gjj(&wine, &centre, "employer-a-soft")
        .args([
            "receipt",
            &serial,
            "-o",
            &format!(r"{win_desktop}\回执 {serial}.txt"),
        ])
        .output()
        .expect("receipt");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let saved = std::fs::read(desktop.join(format!("回执 {serial}.txt"))).expect("receipt file");
    assert!(saved.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM");
    let saved = String::from_utf8(saved[3..].to_vec()).expect("UTF-8");
    assert!(saved.contains(&format!("业务流水号：{serial}\r\n")), "{saved:?}");
    assert!(
        !saved.replace("\r\n", "").contains('\n'),
        "every line ends CRLF: {saved:?}"
    );
}

#[test]
fn a_certificate_in_the_windows_store_logs_in_through_its_csp_over_tls12() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).expect("centre");
    let wine = Wine::new().expect("wine prefix");
    let pfx = z_path(&centre.fixtures.pfx("employer-a-rsa"));
    let store_gjj = || {
        let mut cmd = wine.command(gjj_exe());
        cmd.args(["--server", &centre.url()])
            .args(["--ca-bundle", &z_path(&centre.fixtures.ca_bundle())]);
        cmd
    };

    // Nothing in the store yet: a fresh profile's store does not exist, which is "no certificate".
    let out = store_gjj()
        .args(["token", "list", "--json"])
        .output()
        .expect("token list");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));

    // IT imported it for the machine (LocalMachine\MY).
    let out = wine
        .helper()
        .args(["import-pfx", &pfx, gjj_tests::DEV_PIN, "machine"])
        .output()
        .expect("import");
    assert!(out.status.success(), "{}", text(&out));
    // Wine's import gives the chain's CA certificate the key property too: it lands in MY but is never offered.
    let imported = String::from_utf8_lossy(&out.stdout).into_owned();
    let out = store_gjj()
        .args(["token", "list", "--json"])
        .output()
        .expect("token list");
    let listed = json(&out)["windows_store"].as_array().cloned().expect("list");
    assert_eq!(listed.len(), 1, "only the unit's certificate: {listed:?}");
    assert_eq!(listed[0]["location"], "LocalMachine", "{listed:?}");
    let thumbprint = listed[0]["thumbprint"].as_str().expect("thumbprint").to_owned();
    assert!(imported.lines().any(|l| l.trim() == thumbprint), "{imported}");

    // The CA's tool put it in the user's store too (CurrentUser\MY): one certificate, listed once.
    let out = wine
        .helper()
        .args(["import-pfx", &pfx, gjj_tests::DEV_PIN, "user"])
        .output()
        .expect("import");
    assert!(out.status.success(), "{}", text(&out));
    let out = store_gjj()
        .args(["token", "list", "--json"])
        .output()
        .expect("token list");
    let listed = json(&out)["windows_store"].as_array().cloned().expect("list");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["location"], "CurrentUser");
    assert_eq!(listed[0]["cng"], false, "Wine's rsaenh is a legacy CSP");
    assert_eq!(listed[0]["uscc"], "91430405MA4PYC0138");

    // The doctor says which store, which CSP, and that this key means TLS 1.2.
    let out = store_gjj()
        .env("GJJ_NO_PIN", "")
        .args(["--pin-env", "GJJ_NO_PIN", "doctor", "--json"])
        .output()
        .expect("doctor");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = json(&out);
    let detail = |id: &str| {
        doctor_check(&report, id)["detail"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        detail("keys").contains("传统 CSP") && detail("keys").contains("TLS 1.2"),
        "{report}"
    );
    assert!(
        detail("handshake").contains("双向认证成功") && detail("handshake").contains("TLS 1.2"),
        "{report}"
    );

    // With no key configured, the one store certificate is used; it signs the submission too.
    let rows = {
        let employees = runtime()
            .block_on(centre.active_employees(units::EMPLOYER_A))
            .expect("employees");
        let out = store_gjj().args(["whoami", "--json"]).output().expect("whoami");
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let me = json(&out);
        assert!(
            me["key"]
                .as_str()
                .unwrap_or_default()
                .contains("Windows 证书存储"),
            "{me}"
        );
        let due: gjj_domain::month::Month = me["me"]["unit"]["paid_through"]
            .as_str()
            .expect("month")
            .parse()
            .expect("month");
        employees
            .iter()
            .take(3)
            .map(|e| SheetRow::adjust(e, Fen(e.base.0 + 10_000), &due.next().to_string()))
            .collect::<Vec<_>>()
    };
    let sheet = wine.c_drive().join("raise.xlsx");
    write_base_adjustment(&sheet, &rows).expect("sheet");
    let out = store_gjj()
        .args([
            "--windows-cert",
            &thumbprint,
            "submit",
            "base-adjustment",
            r"C:\raise.xlsx",
            "--json",
        ])
        .output()
        .expect("submit");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let receipt = json(&out)["receipt"].clone();
    assert_eq!(receipt["signature_alg"], "rsa-pkcs1-sha256", "{receipt}");
    let serial = receipt["serial"].as_str().expect("serial");
    // The gateway stored the CSP's signature after verifying it against the TLS client certificate.
    assert_eq!(
        scalar(
            &centre,
            &format!("SELECT COUNT(*) FROM submissions WHERE serial = '{serial}'")
        ),
        1
    );

    let out = store_gjj()
        .args([
            "--windows-cert",
            "00112233445566778899aabbccddeeff00112233",
            "whoami",
        ])
        .output()
        .expect("whoami");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("CERT_NOT_FOUND"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_workbook_excel_holds_open_gets_close_it_in_excel() {
    let wine = Wine::new().expect("wine prefix");
    let (win_desktop, desktop) = desktop(&wine);
    let file = format!(r"{win_desktop}\基数调整 2026.xlsx");
    let out = wine
        .command(gjj_exe())
        .args(["template", "base-adjustment", "-o", &file])
        .output()
        .expect("template");
    assert!(out.status.success(), "{}", text(&out));
    assert!(desktop.join("基数调整 2026.xlsx").exists());

    // "Excel" opens it: read/write, others may only read.
    let mut excel = wine
        .helper()
        .args(["hold-open", &file])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("helper");
    let mut ready = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(excel.stdout.as_mut().expect("stdout")),
        &mut ready,
    )
    .expect("ready");
    assert_eq!(ready.trim(), "ready");

    let out = wine
        .command(gjj_exe())
        .args(["template", "base-adjustment", "-o", &file])
        .output()
        .expect("template over the open file");
    drop(excel.stdin.take());
    let _ = excel.wait();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("[FILE_IN_USE]") && err.contains("请先在 Excel 中关闭该文件"),
        "{}",
        text(&out)
    );
    assert!(!err.contains("os error"), "no raw OS error: {err}");

    // Closed again: saving works.
    let out = wine
        .command(gjj_exe())
        .args(["template", "base-adjustment", "-o", &file])
        .output()
        .expect("template");
    assert!(out.status.success(), "{}", text(&out));
}

/// Runs `cmd /c "chcp CP >nul & COMMAND"` on a terminal (`script` gives Wine a pty, so it attaches a console)
/// and returns what the terminal shows, as UTF-8.
fn on_console(wine: &Wine, code_page: u32, command: &str) -> String {
    let line = format!(
        "'{}' cmd /c 'chcp {code_page} >nul & {command}'",
        wine::wine64().expect("wine64").display()
    );
    let out = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env("WINEPREFIX", wine.prefix.path())
        .env("WINEDEBUG", "-all")
        .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
        .env("LANG", "C.UTF-8")
        .env_remove("DISPLAY")
        .stdin(Stdio::null())
        .output()
        .expect("script");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_console_shows_chinese_at_code_page_936_and_65001_and_json_stays_utf8() {
    let wine = Wine::new().expect("wine prefix");
    // The check of the test itself: raw UTF-8 bytes written to a 936 console are mojibake.
    std::fs::write(wine.c_drive().join("utf8.txt"), "住房公积金\r\n").expect("probe");
    let raw = on_console(&wine, 936, r"type C:\utf8.txt");
    assert!(
        !raw.contains("住房公积金"),
        "a 936 console garbles raw UTF-8, else this proves nothing: {raw:?}"
    );
    assert!(on_console(&wine, 65001, r"type C:\utf8.txt").contains("住房公积金"));

    let gjj = z_path(&gjj_exe());
    for cp in [936, 65001] {
        let shown = on_console(&wine, cp, &format!("{gjj} --help"));
        assert!(
            shown.contains("住房公积金网厅客户端（命令行）"),
            "code page {cp}: {shown:?}"
        );
        // An error on stderr, too.
        let shown = on_console(
            &wine,
            cp,
            &format!(r"{gjj} template seal -o C:\没有这个目录\封存.xlsx"),
        );
        assert!(
            shown.contains("无法保存模板“封存.xlsx”"),
            "code page {cp}: {shown:?}"
        );
    }

    // --json to a pipe: UTF-8 bytes whatever the console's code page.
    let out = wine
        .command("cmd")
        .args([
            "/c",
            &format!("chcp 936 >nul & {} token list --json", z_path(&gjj_exe())),
        ])
        .output()
        .expect("json");
    let value: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    assert!(
        value["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("未配置"),
        "{value}"
    );
}

#[test]
fn settings_and_data_live_under_appdata_and_it_settings_under_programdata() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).expect("centre");
    let wine = Wine::new().expect("wine prefix");
    // The user's own settings (the app's 设置 page writes them): %APPDATA%\gjj-hall\settings.toml.
    let roaming = user_of(&wine).join("AppData").join("Roaming").join("gjj-hall");
    std::fs::create_dir_all(&roaming).expect("APPDATA");
    std::fs::write(
        roaming.join("settings.toml"),
        "server = \"https://wt.user-setting.example:8443\"\n",
    )
    .expect("settings");
    let out = wine
        .command(gjj_exe())
        .args(["doctor", "--json"])
        .output()
        .expect("doctor");
    assert!(
        json(&out).to_string().contains("wt.user-setting.example"),
        "the user's settings are read: {}",
        text(&out)
    );

    // IT's managed file where the installer lays it down: %ProgramData%\GJJ\managed.toml; it wins.
    let gjj_dir = wine.c_drive().join("ProgramData").join("GJJ");
    std::fs::create_dir_all(&gjj_dir).expect("ProgramData");
    std::fs::copy(centre.fixtures.ca_bundle(), gjj_dir.join("ca-bundle.pem")).expect("bundle");
    std::fs::write(
        gjj_dir.join("managed.toml"),
        format!(
            "server = \"{}\"\nca_bundle = 'C:\\ProgramData\\GJJ\\ca-bundle.pem'\nlog_level = \"debug\"\n",
            centre.url()
        ),
    )
    .expect("managed.toml");

    // No option at all but the key: centre and CA bundle come from IT's file.
    let out = gjj_pfx_only(&wine, &centre, "employer-a-soft")
        .args(["doctor", "--json"])
        .output()
        .expect("doctor");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = json(&out);
    let settings = doctor_check(&report, "settings");
    assert!(
        settings["detail"]
            .as_str()
            .unwrap_or_default()
            .contains(&centre.url()),
        "{settings}"
    );

    // The local store (outbox + receipts) under the user's %LOCALAPPDATA%\gjj-hall, created on first use.
    let out = gjj_pfx_only(&wine, &centre, "employer-a-soft")
        .args(["whoami", "--json"])
        .output()
        .expect("whoami");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let users = wine.c_drive().join("users");
    let store = std::fs::read_dir(&users)
        .expect("users")
        .filter_map(Result::ok)
        .map(|u| {
            u.path()
                .join("AppData")
                .join("Local")
                .join("gjj-hall")
                .join("outbox.sqlite")
        })
        .find(|p| p.exists());
    assert!(
        store.is_some(),
        "no outbox.sqlite under {}\\*\\AppData\\Local\\gjj-hall",
        users.display()
    );

    // The doctor report saved for IT: a text file with CRLF.
    let out = wine
        .command(gjj_exe())
        .args(["doctor", "-o", r"C:\诊断报告.txt"])
        .output()
        .expect("doctor -o");
    let saved = std::fs::read_to_string(wine.c_drive().join("诊断报告.txt")).expect("report");
    assert!(
        saved.contains("中心地址") && saved.contains("\r\n"),
        "{saved:?} {}",
        text(&out)
    );
}

/// The installed files of the app, relative to the install folder.
const APP_FILES: &[&str] = &["gjj-desktop.exe", "gjj.exe", "WebView2Loader.dll"];

fn user_of(wine: &Wine) -> PathBuf {
    std::fs::read_dir(wine.c_drive().join("users"))
        .expect("users")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.file_name().is_some_and(|n| n != "Public"))
        .expect("a user profile")
}

fn installer(ext: &str) -> PathBuf {
    std::fs::read_dir(dist())
        .expect("dist folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(ext))
        .unwrap_or_else(|| panic!("no *{ext} in {}", dist().display()))
}

const WEBVIEW2_KEY: &str =
    r"HKCU\SOFTWARE\Microsoft\EdgeUpdate\Clients\{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}";
const UNINSTALL_KEY: &str = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\GJJHall";

#[test]
fn setup_exe_installs_and_uninstalls_silently_and_the_app_says_webview2_is_missing() {
    let wine = Wine::new().expect("wine prefix");
    let setup = installer("-setup.exe");

    // Without the WebView2 runtime the installer stops with its documented code 2 and installs nothing.
    let out = wine.command(&setup).arg("/S").output().expect("setup");
    wine.wait_idle();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let dir = user_of(&wine)
        .join("AppData")
        .join("Local")
        .join("Programs")
        .join("GJJ Hall");
    assert!(!dir.join("gjj-desktop.exe").exists());

    // The runtime's registration as WebView2's own installer writes it (Wine has no WebView2 to install).
    wine.reg_add(WEBVIEW2_KEY, "pv", "120.0.2210.91").expect("reg");
    let out = wine.command(&setup).arg("/S").output().expect("setup");
    wine.wait_idle();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for f in APP_FILES.iter().chain(&["uninstall.exe"]) {
        assert!(dir.join(f).exists(), "{f} not installed in {}", dir.display());
    }
    let managed = wine.c_drive().join("ProgramData").join("GJJ");
    assert!(managed.join("managed.toml").exists() && managed.join("ca-bundle.pem").exists());
    let start_menu = user_of(&wine).join("AppData/Roaming/Microsoft/Windows/Start Menu/Programs");
    let shortcut = walk(&start_menu)
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "lnk"));
    assert!(
        shortcut.is_some(),
        "a Start-menu shortcut under {}",
        start_menu.display()
    );
    let uninstall = wine
        .reg_query(UNINSTALL_KEY, "UninstallString")
        .unwrap_or_default();
    assert!(
        uninstall.contains("uninstall.exe"),
        "Apps & features entry: {uninstall:?}"
    );

    // The installed gjj.exe reads the installed managed file.
    let out = wine
        .command(dir.join("gjj.exe"))
        .args(["doctor", "--json"])
        .output()
        .expect("doctor");
    let report = json(&out);
    assert!(report.to_string().contains("ca-bundle.pem"), "{report}");

    // The app itself, with no WebView2 runtime behind the registry value: a clear message and exit code 3,
    // never a hang. (No display here: the message box cannot be shown, the message goes to stderr and the log.)
    let started = std::time::Instant::now();
    let out = wine
        .command(dir.join("gjj-desktop.exe"))
        .output()
        .expect("desktop");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "the app must not hang"
    );
    assert_eq!(
        out.status.code(),
        Some(gjj_client::desktop::EXIT_WEBVIEW2_MISSING),
        "{}",
        text(&out)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Microsoft Edge WebView2 运行时") && err.contains("/silent /install"),
        "{}",
        text(&out)
    );
    let log = walk(&user_of(&wine).join("AppData").join("Local").join("gjj-hall"))
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "log"))
        .map(|p| std::fs::read_to_string(p).unwrap_or_default())
        .unwrap_or_default();
    assert!(
        log.contains("WebView2"),
        "the message is in the log for IT: {log:?}"
    );

    // On a screen the same message is a native message box, waiting for the user (not a crash, not a hang).
    let title = gjj_client::desktop::DIALOG_TITLE;
    assert!(
        message_box_appears(&wine, &dir.join("gjj-desktop.exe"), title),
        "no window “{title}” on the screen"
    );

    // Silent uninstall removes the program, the shortcut and the entry; IT's managed file stays.
    let out = wine
        .command(dir.join("uninstall.exe"))
        .arg("/S")
        .output()
        .expect("uninstall");
    wine.wait_idle();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        wine::wait_for_gone(&dir.join("gjj-desktop.exe"), Duration::from_secs(30)),
        "program removed"
    );
    assert!(
        walk(&start_menu)
            .iter()
            .all(|p| p.extension().is_none_or(|e| e != "lnk")),
        "shortcut removed"
    );
    assert_eq!(
        wine.reg_query(UNINSTALL_KEY, "UninstallString"),
        None,
        "entry removed"
    );
    assert!(managed.join("managed.toml").exists(), "IT's file is kept");

    // For every user of the PC: Program Files, the common Start menu and desktop, HKLM.
    let out = wine
        .command(&setup)
        .args(["/S", "/ALLUSERS"])
        .output()
        .expect("setup /ALLUSERS");
    wine.wait_idle();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let machine_dir = wine.c_drive().join("Program Files").join("GJJ Hall");
    for f in APP_FILES.iter().chain(&["uninstall.exe"]) {
        assert!(
            machine_dir.join(f).exists(),
            "{f} not installed in {}",
            machine_dir.display()
        );
    }
    let common = [
        wine.c_drive()
            .join("ProgramData/Microsoft/Windows/Start Menu/Programs"),
        wine.c_drive().join("users/Public/Desktop"),
    ];
    for place in &common {
        assert!(
            walk(place)
                .iter()
                .any(|p| p.extension().is_some_and(|e| e == "lnk")),
            "a shortcut under {}",
            place.display()
        );
    }
    let machine_key = UNINSTALL_KEY.replacen("HKCU", "HKLM", 1);
    assert!(wine
        .reg_query(&machine_key, "UninstallString")
        .is_some_and(|u| u.contains("/AllUsers")));
    let out = wine
        .command(machine_dir.join("uninstall.exe"))
        .args(["/AllUsers", "/S"])
        .output()
        .expect("uninstall /AllUsers");
    wine.wait_idle();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        wine::wait_for_gone(&machine_dir.join("gjj.exe"), Duration::from_secs(30)),
        "program removed"
    );
    for place in &common {
        assert!(
            walk(place)
                .iter()
                .all(|p| p.extension().is_none_or(|e| e != "lnk")),
            "shortcut removed"
        );
    }
    assert_eq!(
        wine.reg_query(&machine_key, "UninstallString"),
        None,
        "entry removed"
    );
}

#[test]
fn the_msi_installs_per_machine_and_uninstalls_silently() {
    let wine = Wine::new().expect("wine prefix");
    let msi = z_path(&installer(".msi"));
    let out = wine
        .command("msiexec")
        .args(["/i", &msi, "/qn"])
        .output()
        .expect("msiexec /i");
    wine.wait_idle();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let dir = wine.c_drive().join("Program Files").join("GJJ Hall");
    assert!(
        wine::wait_for(&dir.join("gjj.exe"), Duration::from_secs(60)),
        "msiexec laid no files in {}",
        dir.display()
    );
    for f in APP_FILES {
        assert!(dir.join(f).exists(), "{f} not installed");
    }
    let managed = wine
        .c_drive()
        .join("ProgramData")
        .join("GJJ")
        .join("managed.toml");
    assert!(managed.exists(), "managed.toml laid down where the app reads it");
    let out = wine
        .command(dir.join("gjj.exe"))
        .arg("--version")
        .output()
        .expect("installed gjj");
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("gjj "),
        "{}",
        text(&out)
    );

    let out = wine
        .command("msiexec")
        .args(["/x", &msi, "/qn"])
        .output()
        .expect("msiexec /x");
    wine.wait_idle();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        wine::wait_for_gone(&dir.join("gjj.exe"), Duration::from_secs(60)),
        "program files removed"
    );
}

/// Starts `exe` on a private Xvfb screen and waits up to 60 s for a top-level window titled `title`
/// (`xwininfo`, x11-utils); then closes everything.
fn message_box_appears(wine: &Wine, exe: &Path, title: &str) -> bool {
    use std::io::Read as _;
    let mut xvfb = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1024x768x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb (package xvfb)");
    let mut number = String::new();
    let mut stdout = xvfb.stdout.take().expect("stdout");
    let mut byte = [0u8; 1];
    while stdout.read(&mut byte).map(|n| n == 1).unwrap_or(false) && byte[0] != b'\n' {
        number.push(char::from(byte[0]));
    }
    let display = format!(":{}", number.trim());
    let mut app = wine
        .command(exe)
        .env("DISPLAY", &display)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("desktop");
    let started = std::time::Instant::now();
    let mut seen = false;
    while !seen && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(500));
        let tree = Command::new("xwininfo")
            .args(["-root", "-tree"])
            .env("DISPLAY", &display)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        seen = tree.contains(title);
        if !seen && matches!(app.try_wait(), Ok(Some(_))) {
            break; // exited without showing anything
        }
    }
    let _ = app.kill();
    wine.kill();
    let _ = app.wait();
    let _ = xvfb.kill();
    let _ = xvfb.wait();
    seen
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.filter_map(Result::ok) {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
