//! gjj-desktop: the Tauri window that hosts `ui/`. Each command is a one-line adapter over
//! `gjj_client::app::App` (see commands.rs); business logic never lives in this shell.

// Keeps a console window from opening next to the app in Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod update;

use gjj_client::app::App;
use gjj_client::desktop;

fn main() {
    // First: it sets what WebKitGTK reads at start, before any other thread exists.
    let prepared = desktop::prepare_process();
    let app = App::with_default_dirs();
    init_logging(&app);
    prepared.log();
    // Without the WebView2 runtime the window cannot exist: say so natively and exit, never hang.
    if let Err(e) = tauri::webview_version() {
        fatal(
            &desktop::webview2_missing(&e.to_string()),
            desktop::EXIT_WEBVIEW2_MISSING,
        );
    }
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_updater::Builder::new().build())
        .setup(|tauri_app| {
            parent_window(tauri_app);
            update::spawn_check(tauri_app.handle());
            Ok(())
        })
        .manage(app)
        .invoke_handler(commands::handler())
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            fatal(
                &desktop::window_failed(&e.to_string()),
                desktop::EXIT_WINDOW_FAILED,
            )
        });
}

/// Logs the message, prints it, shows it in a native message box where there is one, and exits.
fn fatal(message: &str, code: i32) -> ! {
    tracing::error!(code, "{message}");
    eprintln!("{message}");
    #[cfg(windows)]
    rfd::MessageDialog::new()
        .set_level(rfd::MessageLevel::Error)
        .set_title(desktop::DIALOG_TITLE)
        .set_description(message)
        .set_buttons(rfd::MessageButtons::Ok)
        .show();
    std::process::exit(code)
}

/// Hands the main window's HWND to the app: a USB-key driver's PIN dialog opens over it.
fn parent_window(tauri_app: &tauri::App) {
    #[cfg(windows)]
    if let Some(window) = tauri::Manager::get_webview_window(tauri_app, "main") {
        if let Ok(hwnd) = window.hwnd() {
            tauri::Manager::state::<App>(tauri_app).set_parent_window(hwnd.0 as isize);
        }
    }
    #[cfg(not(windows))]
    let _ = tauri_app;
}

/// Logs to the data directory's log file (exported from 诊断), masked; the level comes from the settings.
fn init_logging(app: &App) {
    let level = gjj_client::settings::load()
        .map(|s| s.effective.log_level)
        .unwrap_or_else(|_| "info".to_owned());
    gjj_client::logs::init_file(&app.log_file(), &level);
    gjj_client::logs::mask_panics();
}
