//! `cargo xtask demo [--headless] [--serve]`: the whole system on one machine — dev PKI, SoftHSM "USB keys",
//! the gateway on SQLite with the demo centre, and either the desktop app (with a display) or the CLI flow:
//! template → a filled sample → check → submit → receipt → status.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};
use calamine::{open_workbook_auto, Data, Reader};
use gjj_domain::money::Fen;
use gjj_tests::{units, Backend, Fixtures, LocalCentre, SheetRow, DEV_PIN, SOFTHSM_MODULE};

use crate::{deps, pki, sh, token};

/// Options.
pub struct DemoOptions {
    /// Run the CLI flow instead of opening the app.
    pub headless: bool,
    /// Keep the gateway running afterwards (Ctrl-C to stop), with a gjj.toml to try the CLI by hand.
    pub serve: bool,
}

pub fn run(root: &Path, opts: &DemoOptions) -> Result<()> {
    let display = std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    let headless = opts.headless || !display;
    deps::ensure(deps::CORE)?;
    if !headless {
        deps::ensure(deps::DESKTOP)?;
    }
    let dir = pki::default_dir(root);
    pki::run(&dir)?;
    token::run(&dir)?;
    sh::run(
        "build gjj-server and gjj",
        sh::cargo().args(["build", "-p", "gjj-server", "-p", "gjj-cli"]),
    )?;
    let centre = LocalCentre::start(&Fixtures { dir: dir.clone() }, Backend::Sqlite)?;
    println!(
        "\n中心网关已启动：{}（演示数据：衡阳，SQLite {}）",
        centre.url(),
        centre.database_url
    );
    let gjj_toml = write_gjj_toml(&dir, &centre)?;

    if headless {
        cli_flow(&centre, &dir.join("demo-files"))?;
    } else {
        crate::test::build_ui(root)?;
        let exe = crate::test::build_desktop(root)?;
        // The app's own settings, pointed at the demo centre and the SoftHSM "USB keys" (PIN 123456); its data
        // (outbox, drafts, logs) stays in certs/dev/app-data, away from a real installation's.
        let config = dir.join("app-config");
        std::fs::create_dir_all(&config)?;
        std::fs::write(
            config.join("settings.toml"),
            format!(
                "server = \"{}\"\nca_bundle = \"{}\"\npkcs11_modules = [\"{SOFTHSM_MODULE}\"]\n",
                centre.url(),
                dir.join("ca-bundle.pem").display()
            ),
        )?;
        println!("\n演示：选择任一单位的证书，PIN 为 {DEV_PIN}。");
        sh::run(
            "desktop app (close the window to end the demo)",
            Command::new(exe)
                .env("GJJ_CONFIG_DIR", &config)
                .env("GJJ_DATA_DIR", dir.join("app-data"))
                .env("GJJ_MANAGED_CONFIG", dir.join("no-managed-config.toml"))
                .env("SOFTHSM2_CONF", centre.softhsm_conf()),
        )?;
    }
    if opts.serve {
        println!("\n网关保持运行。另开终端试用命令行：");
        println!(
            "  export SOFTHSM2_CONF={}  PIN={DEV_PIN}",
            token::softhsm_conf(&dir).display()
        );
        println!(
            "  target/debug/gjj --config {} whoami --pin-env PIN",
            gjj_toml.display()
        );
        println!("按 Ctrl-C 结束。");
        loop {
            std::thread::park();
        }
    }
    Ok(())
}

fn write_gjj_toml(dir: &Path, centre: &LocalCentre) -> Result<PathBuf> {
    let path = dir.join("gjj.toml");
    std::fs::write(
        &path,
        format!(
            "# Written by `cargo xtask demo`: the demo centre and employer A's SoftHSM USB key.\nserver = \"{}\"\nca_bundle = \"ca-bundle.pem\"\npkcs11_module = \"{SOFTHSM_MODULE}\"\ntoken_label = \"{}\"\nstore = \"demo-client.sqlite\"\n",
            centre.url(),
            units::EMPLOYER_A
        ),
    )?;
    Ok(path)
}

fn cli_flow(centre: &LocalCentre, work: &Path) -> Result<()> {
    let label = units::EMPLOYER_A;
    std::fs::create_dir_all(work)?;
    let step = |name: &str, args: &[&str]| sh::run(name, centre.gjj(label).args(args));
    step("gjj token list（无需 PIN）", &["token", "list"])?;
    step("gjj whoami（USB key 登录，双向 TLS）", &["whoami"])?;
    let blank = work.join("基数调整模板.xlsx");
    step(
        "gjj template base-adjustment（空白模板）",
        &["template", "base-adjustment", "-o", &blank.to_string_lossy()],
    )?;
    let prefilled = work.join("基数调整-预填.xlsx");
    step(
        "gjj template base-adjustment --prefill（带职工名单）",
        &[
            "template",
            "base-adjustment",
            "--prefill",
            "-o",
            &prefilled.to_string_lossy(),
        ],
    )?;
    let filled = work.join("基数调整-已填写.xlsx");
    let rows = fill_sample(&prefilled, &filled)?;
    println!(
        "\n▶ 演示：把预填模板中 {rows} 名职工的调整后基数填为原基数 +5%（取整到元）→ {}",
        filled.display()
    );
    let file = filled.to_string_lossy();
    step("gjj check base-adjustment", &["check", "base-adjustment", &file])?;
    let output = centre
        .gjj(label)
        .args(["submit", "base-adjustment", &file, "--json"])
        .output()?;
    let receipt: serde_json::Value =
        serde_json::from_slice(&output.stdout).context("submit --json output")?;
    let serial = receipt["receipt"]["serial"]
        .as_str()
        .context("no receipt in submit output")?
        .to_owned();
    println!(
        "\n✔ gjj submit base-adjustment：业务流水号 {serial}，受理 {} 行，签名内容摘要 {}",
        receipt["receipt"]["accepted_rows"],
        receipt["receipt"]["payload_sha256"].as_str().unwrap_or_default()
    );
    step("gjj status", &["status", &serial])?;
    println!(
        "\n演示完成：模板 → 填写 → 检查 → USB key 签名提交 → 回执 → 状态。文件在 {}",
        work.display()
    );
    Ok(())
}

/// Reads the prefilled template and writes a filled copy: new base = old base + 5%, whole yuan.
fn fill_sample(prefilled: &Path, filled: &Path) -> Result<usize> {
    let mut wb = open_workbook_auto(prefilled)?;
    let range = wb.worksheet_range_at(0).context("empty workbook")??;
    let first = gjj_tests::FIRST_DATA_ROW as usize;
    let mut rows = Vec::new();
    for row in range.rows().skip(first) {
        let text = |i: usize| row.get(i).map(|c| c.to_string()).unwrap_or_default();
        let account = text(1);
        if account.is_empty() {
            break;
        }
        let old = match row.get(4) {
            Some(Data::Float(f)) => Fen((f * 100.0).round() as i64),
            _ => continue,
        };
        let new = Fen((old.0 * 105 / 100 + 50) / 100 * 100);
        let e = gjj_tests::Employee {
            account,
            name: text(2),
            id_number: text(3),
            base: old,
        };
        rows.push(SheetRow::adjust(&e, new, &text(6)));
    }
    gjj_tests::write_base_adjustment(filled, &rows)?;
    Ok(rows.len())
}
