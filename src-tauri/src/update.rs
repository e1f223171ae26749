//! Updates (issue 6 item 5): the Tauri updater plugin against the centre's update service, checked once after
//! the window opens. Shell glue only; what is checked and why:
//!
//! - Only when IT set `update_url` in the managed file (`gjj_client::settings::SettingsView::update_url`).
//! - The update service is a server-auth-only HTTPS port of the gateway (crates/server/src/updates.rs): the
//!   updater cannot present the USB key, and an update must reach a user whose certificate has expired. Its
//!   TLS certificate is checked against the centre's CA bundle only (`tls_certs_only`), like every other
//!   connection of this app, and through the configured proxy.
//! - The installer is verified against the public key compiled into the app (tauri.conf.json
//!   `plugins.updater.pubkey`, injected by `cargo xtask dist`) before anything is run: a tampered or truncated
//!   download is refused and the installed version keeps working.
//! - The user's data (outbox database, settings, logs) lives in the per-user data and config dirs, never in
//!   the install dir, so replacing the program cannot touch it; the installers (NSIS, MSI, dpkg) replace the
//!   program files as a whole or roll back.

use std::time::Duration;

use gjj_client::settings;
use tauri::AppHandle;
use tauri_plugin_dialog::{DialogExt, MessageDialogButtons, MessageDialogKind};
use tauri_plugin_updater::UpdaterExt;

/// Checks in the background; problems are logged, never shown as errors (the app works without updates).
pub fn spawn_check(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        if let Err(e) = check(&app).await {
            tracing::warn!("update check: {e}");
        }
    });
}

async fn check(app: &AppHandle) -> Result<(), String> {
    let view = settings::load().map_err(|e| e.to_string())?;
    let Some(base) = view.update_url else {
        tracing::info!("updates off: no update_url in the managed configuration");
        return Ok(());
    };
    if installed_for_all_users() {
        // A clerk cannot write to Program Files: IT pushes the new MSI or setup.exe /ALLUSERS instead.
        tracing::info!("updates off: installed for all users, IT installs new versions");
        return Ok(());
    }
    let bundle = view.effective.ca_bundle.trim().to_owned();
    let pem = std::fs::read(&bundle).map_err(|e| format!("CA bundle {bundle}: {e}"))?;
    let roots =
        reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| format!("CA bundle {bundle}: {e}"))?;
    let endpoint: tauri::Url = settings::update_endpoint(&base)
        .parse()
        .map_err(|e| format!("update_url {base}: {e}"))?;
    let mut builder = app
        .updater_builder()
        .endpoints(vec![endpoint])
        .map_err(|e| e.to_string())?
        .timeout(Duration::from_secs(60))
        .configure_client(move |client| client.tls_certs_only(roots.clone()));
    builder = match view.effective.proxy.as_deref() {
        Some(proxy) => builder.proxy(proxy.parse().map_err(|e| format!("proxy {proxy}: {e}"))?),
        None => builder.no_proxy(),
    };
    let updater = builder.build().map_err(|e| e.to_string())?;
    let Some(update) = updater.check().await.map_err(|e| e.to_string())? else {
        tracing::info!("no newer version at {base}");
        return Ok(());
    };
    tracing::info!(version = %update.version, "update offered");
    let notes = update
        .body
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .map(|n| format!("\n\n更新内容：{n}"))
        .unwrap_or_default();
    let question = app
        .dialog()
        .message(format!(
            "发现新版本 {}（当前版本 {}）。{notes}\n\n更新时程序会关闭，安装完成后自动重新打开；本机保存的业务数据和设置不受影响。现在更新吗？",
            update.version, update.current_version
        ))
        .title("住房公积金网厅 — 发现新版本")
        .kind(MessageDialogKind::Info)
        .buttons(MessageDialogButtons::OkCancelCustom(
            "现在更新".into(),
            "以后再说".into(),
        ));
    let yes = tauri::async_runtime::spawn_blocking(move || question.blocking_show())
        .await
        .unwrap_or(false);
    if !yes {
        return Ok(());
    }
    // Verified against the compiled-in public key before the installer runs; on Windows this exits the app
    // and the installer restarts it.
    match update.download_and_install(|_, _| {}, || {}).await {
        Ok(()) => {
            tracing::info!(version = %update.version, "update installed, restarting");
            app.restart();
        }
        Err(e) => {
            tracing::error!("update failed: {e}");
            app.dialog()
                .message(format!(
                    "更新未完成：{e}\n\n当前版本 {} 仍可正常使用。请稍后重试；多次失败请联系单位 IT 安装新版本安装包。",
                    update.current_version
                ))
                .title("住房公积金网厅 — 更新未完成")
                .kind(MessageDialogKind::Warning)
                .show(|_| {});
            Ok(())
        }
    }
}

/// Windows: the program lives under Program Files (MSI, or setup.exe /ALLUSERS).
fn installed_for_all_users() -> bool {
    if !cfg!(windows) {
        return false;
    }
    let Ok(exe) = std::env::current_exe() else {
        return false;
    };
    ["ProgramFiles", "ProgramW6432", "ProgramFiles(x86)"]
        .iter()
        .filter_map(std::env::var_os)
        .any(|dir| exe.starts_with(dir))
}
