//! gjj-desktop: the Tauri window that hosts `ui/`. Each command is a one-line adapter over
//! `gjj_client::app::App` (see commands.rs); business logic never lives in this shell.

// Keeps a console window from opening next to the app in Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod update;

use gjj_client::app::App;

fn main() {
    let app = App::with_default_dirs();
    init_logging(&app);
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_updater::Builder::new().build())
        .setup(|tauri_app| {
            update::spawn_check(tauri_app.handle());
            Ok(())
        })
        .manage(app)
        .invoke_handler(commands::handler())
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            tracing::error!("the window could not start: {e}");
            eprintln!("公积金网厅无法启动窗口：{e}");
            std::process::exit(1);
        });
}

/// Logs to the data directory's log file (exported from 诊断); the level comes from the settings.
fn init_logging(app: &App) {
    let level = gjj_client::settings::load()
        .map(|s| s.effective.log_level)
        .unwrap_or_else(|_| "info".to_owned());
    let path = app.log_file();
    let file = path
        .parent()
        .and_then(|dir| std::fs::create_dir_all(dir).ok())
        .and_then(|()| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .ok()
        });
    if let Some(file) = file {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(format!(
                "gjj={level},gjj_client={level}"
            )))
            .with_ansi(false)
            .with_writer(std::sync::Mutex::new(file))
            .try_init();
    }
}
