//! gjj-desktop: the Tauri window that hosts `ui/`. Only the builder lives here; business logic belongs in the
//! library crates (gjj-domain, gjj-client, ...), never in this shell.

// Keeps a console window from opening next to the app in Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    tauri::Builder::default()
        .run(tauri::generate_context!())
        .expect("error while running the Tauri application");
}
