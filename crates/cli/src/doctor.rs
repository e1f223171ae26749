//! `gjj doctor [--json]`: the app's diagnostics on the command line (gjj_client::doctor), for IT.
//!
//! Uses the CLI's settings (server, CA bundle, PKCS#11 module); logs in only when a PIN source (`--pin-env`)
//! is given, so that an unattended run never prompts. Exit 0 when no check failed, 1 otherwise.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use gjj_client::doctor::{self, Check, CheckStatus, DoctorReport};
use gjj_client::keys;

use crate::config::Settings;
use crate::{login, output};

/// The CLI's options as the app's settings.
fn client_settings(settings: &Settings) -> gjj_client::settings::Settings {
    gjj_client::settings::Settings {
        server: settings.server.clone().unwrap_or_default(),
        ca_bundle: settings
            .ca_bundle
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        pkcs11_modules: settings
            .pkcs11_module
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        ..Default::default()
    }
}

/// Runs the checks and prints them.
pub async fn run(settings: &Settings, json: bool) -> Result<ExitCode> {
    let config = client_settings(settings);
    let configured = config.module_paths();
    let keys = tokio::task::spawn_blocking(move || {
        keys::discover(
            &configured,
            Path::new("/"),
            keys::Platform::current(),
            time::OffsetDateTime::now_utc(),
        )
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
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print(&report);
    }
    Ok(if report.failed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn print(report: &DoctorReport) {
    for c in &report.checks {
        let mut lines = c.detail.lines();
        println!(
            "[{}] {}：{}",
            c.status.label(),
            c.title,
            lines.next().unwrap_or_default()
        );
        for more in lines {
            println!("       {more}");
        }
        if let Some(advice) = &c.advice {
            println!("       建议：{advice}");
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
        println!("全部检查通过。");
    } else {
        println!("{failed} 项失败，{warned} 项警告。");
    }
}
