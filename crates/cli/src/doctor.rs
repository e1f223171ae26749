//! `gjj doctor [--json]`: the app's diagnostics on the command line (gjj_client::doctor), for IT.
//!
//! Uses the desktop app's settings on this computer (IT's managed file, the user's settings) with the CLI's
//! options (server, CA bundle, PKCS#11 module) over them; logs in only when a PIN source (`--pin-env`)
//! is given, so that an unattended run never prompts. Exit 0 when no check failed, 1 otherwise.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use gjj_client::doctor::{self, Check, CheckStatus, DoctorReport};
use gjj_client::keys;

use crate::config::Settings;
use crate::{login, output};

/// What the desktop app on this computer uses (IT's managed file over the user's settings: the same files as
/// the app, so that IT checks the installed configuration), with the CLI's own options (flags, gjj.toml) over
/// it. The bool: IT fixed the driver list and no module was given here, so only those drivers are loaded.
fn client_settings(
    settings: &Settings,
    app: gjj_client::settings::SettingsView,
) -> (gjj_client::settings::Settings, bool) {
    let only_configured = app.modules_locked() && settings.pkcs11_module.is_none();
    let mut config = app.effective;
    if let Some(server) = &settings.server {
        config.server = server.clone();
    }
    if let Some(bundle) = &settings.ca_bundle {
        config.ca_bundle = bundle.display().to_string();
    }
    if let Some(module) = &settings.pkcs11_module {
        config.pkcs11_modules.insert(0, module.display().to_string());
    }
    (config, only_configured)
}

/// Runs the checks and prints them.
pub async fn run(settings: &Settings, json: bool, output: Option<&Path>) -> Result<ExitCode> {
    // A malformed managed or user file is an error naming the file and line, as in the app.
    let app = gjj_client::settings::load()?;
    let (config, only_configured) = client_settings(settings, app);
    let configured = config.module_paths();
    let keys = tokio::task::spawn_blocking(move || {
        let now = time::OffsetDateTime::now_utc();
        if only_configured {
            keys::discover_candidates(&keys::configured_candidates(&configured), now)
        } else {
            keys::discover(&configured, Path::new("/"), keys::Platform::current(), now)
        }
    })
    .await?;
    let mut login_failure = None;
    let session = if settings.pin_env.is_some() {
        match login::session(settings) {
            Ok(s) => Some(s),
            Err(e) => {
                login_failure = Some(e);
                None
            }
        }
    } else {
        None
    };
    let mut report = doctor::run(&config, &keys, session.as_ref()).await;
    if let Some(e) = login_failure {
        // Right after the key checks: the PIN or the key is why nothing after it could be tested with a login.
        let at = report
            .checks
            .iter()
            .position(|c| c.id == "keys")
            .map_or(report.checks.len(), |i| i + 1);
        report.checks.insert(
            at,
            Check {
                id: "login".into(),
                title: "登录".into(),
                status: CheckStatus::Fail,
                detail: format!("[{}] {e:#}", output::code_of(&e)),
                advice: None,
            },
        );
    }
    let text = if json {
        format!("{}\n", serde_json::to_string(&report)?)
    } else {
        report_text(&report)
    };
    print!("{text}");
    if let Some(path) = output {
        // The file IT sends back: CRLF and a BOM on Windows, so that Notepad shows it as written.
        gjj_client::receipt::write_text_file(path, &text)?;
        if !json {
            println!("诊断报告已保存：{}", path.display());
        }
    }
    Ok(if report.failed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn report_text(report: &DoctorReport) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for c in &report.checks {
        let mut lines = c.detail.lines();
        let _ = writeln!(
            out,
            "[{}] {}：{}",
            c.status.label(),
            c.title,
            lines.next().unwrap_or_default()
        );
        for more in lines {
            let _ = writeln!(out, "       {more}");
        }
        if let Some(advice) = &c.advice {
            let _ = writeln!(out, "       建议：{advice}");
        }
    }
    let failed = report
        .checks
        .iter()
        .filter(|c| c.status == CheckStatus::Fail)
        .count();
    let warned = report
        .checks
        .iter()
        .filter(|c| c.status == CheckStatus::Warn)
        .count();
    if failed == 0 && warned == 0 {
        out.push_str("全部检查通过。\n");
    } else {
        let _ = writeln!(out, "{failed} 项失败，{warned} 项警告。");
    }
    let _ = writeln!(out, "生成时间：{}", report.generated_at);
    out
}
