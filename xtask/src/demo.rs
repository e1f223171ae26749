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
        "build gjj-server, gjj and the SKF test double (the demo's 国密 USB key)",
        sh::cargo().args([
            "build",
            "-p",
            "gjj-server",
            "-p",
            "gjj-cli",
            "-p",
            "gjj-skf-test-double",
        ]),
    )?;
    let fixtures = Fixtures { dir: dir.clone() };
    // Employer B's SM2 signing + encryption certificates in the SKF test double (PIN 123456): an SM2 key the
    // app and the CLI find through its "driver" like a vendor's.
    let sm2_key = gjj_tests::skf_double_state(
        &fixtures,
        "sm2-employer-b-sign",
        Some("sm2-employer-b-enc"),
        &dir.join("sm2-key"),
    )?;
    let skf = gjj_tests::skf_double();
    let centre = LocalCentre::start(&fixtures, Backend::Sqlite)?;
    println!(
        "\n中心网关已启动：{}（演示数据：衡阳，SQLite {}）",
        centre.url(),
        centre.database_url
    );
    let gjj_toml = write_gjj_toml(&dir, &centre)?;

    if headless {
        cli_flow(&centre, &dir.join("demo-files"))?;
        sm2_flow(&centre, &skf, &sm2_key, &dir.join("demo-files"))?;
    } else {
        crate::desktop::build_ui(root)?;
        let exe = crate::desktop::build_desktop(root)?;
        // The app's own settings, pointed at the demo centre and the SoftHSM "USB keys" (PIN 123456); its data
        // (outbox, drafts, logs) stays in certs/dev/app-data, away from a real installation's.
        let config = dir.join("app-config");
        std::fs::create_dir_all(&config)?;
        std::fs::write(
            config.join("settings.toml"),
            format!(
                "server = \"{}\"\nca_bundle = \"{}\"\npkcs11_modules = [\"{SOFTHSM_MODULE}\", \"{}\"]\n",
                centre.url(),
                dir.join("ca-bundle.pem").display(),
                skf.display()
            ),
        )?;
        println!("\n演示：选择任一单位的证书（含“国密 SM2”标记的衡阳蒸湘机械 SM2 key），PIN 为 {DEV_PIN}。");
        sh::run(
            "desktop app (close the window to end the demo)",
            Command::new(exe)
                .env("GJJ_CONFIG_DIR", &config)
                .env("GJJ_DATA_DIR", dir.join("app-data"))
                .env("GJJ_MANAGED_CONFIG", dir.join("no-managed-config.toml"))
                .env("SOFTHSM2_CONF", centre.softhsm_conf())
                .env(gjj_tests::SKF_DOUBLE_DIR_ENV, &sm2_key),
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
    let pdf = work.join(format!("回执-{serial}.pdf"));
    step(
        "gjj receipt -o 回执.pdf（中心电子签章的 PDF 回执）",
        &["receipt", &serial, "-o", &pdf.to_string_lossy()],
    )?;
    step(
        "gjj receipt verify（离线核验中心签章）",
        &["receipt", "verify", &pdf.to_string_lossy()],
    )?;
    println!(
        "\n演示完成：模板 → 填写 → 检查 → USB key 签名提交 → 回执（签章 PDF）→ 状态。文件在 {}",
        work.display()
    );
    Ok(())
}

/// The same unit hall with a 国密 SM2 USB key (the SKF test double): the channel-bound SM2 login and a
/// submission signed SM2 (GB/T 35275 CMS).
fn sm2_flow(centre: &LocalCentre, skf: &Path, key: &Path, work: &Path) -> Result<()> {
    let gjj = || {
        let mut cmd = centre.gjj_with_module(units::EMPLOYER_B, skf);
        cmd.env(gjj_tests::SKF_DOUBLE_DIR_ENV, key);
        cmd
    };
    sh::run(
        "gjj token list（国密 SM2 key，经 SKF 驱动，无需 PIN）",
        gjj().args(["token", "list"]),
    )?;
    sh::run(
        "gjj whoami（国密登录：TLS 1.3 + 与本连接绑定的 SM2 签名）",
        gjj().arg("whoami"),
    )?;
    let template = work.join("基数调整-国密单位.xlsx");
    sh::run(
        "gjj template base-adjustment --prefill（衡阳蒸湘机械）",
        gjj().args([
            "template",
            "base-adjustment",
            "--prefill",
            "-o",
            &template.to_string_lossy(),
        ]),
    )?;
    let filled = work.join("基数调整-国密单位-已填写.xlsx");
    let rows = fill_sample(&template, &filled)?;
    println!("\n▶ 演示：国密单位 {rows} 名职工基数 +5%");
    sh::run(
        "gjj submit base-adjustment（SM2 签名，GB/T 35275 CMS）",
        gjj().args(["submit", "base-adjustment", &filled.to_string_lossy()]),
    )?;
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
