//! The Tauri commands: each one forwards to `gjj_client::app::App` and returns its result; the names and
//! argument names are the contract of ui/src/api.ts.

use std::path::PathBuf;

use gjj_client::app::{
    App, AppInfo, AppResult, BatchSummary, DraftView, GridRowView, HistoryEntry, HistoryFilter, Home,
    KeyChoice, LoginInfo,
};
use gjj_client::doctor::DoctorReport;
use gjj_client::keys::KeyList;
use gjj_client::settings::{Settings, SettingsView};
use gjj_domain::api::{Receipt, SubmissionView};
use gjj_domain::project::ProjectView;
use gjj_domain::project_material::Material;
use tauri::{AppHandle, Emitter, State};
use tauri_plugin_dialog::DialogExt;

/// Every command, for `invoke_handler`.
pub fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        app_info,
        settings_get,
        settings_save,
        keys_list,
        login,
        login_pfx,
        logout,
        offline_check,
        home,
        history,
        send_pending,
        withdraw,
        receipt,
        receipt_pdf_save,
        drafts_list,
        draft_save,
        draft_delete,
        template_save,
        batch_import,
        batch_rows,
        batch_issues,
        batch_row_index,
        batch_edit,
        batch_export_issues,
        batch_save_sheet,
        batch_submit,
        submission_open,
        form_current,
        form_validate,
        form_submit,
        projects,
        project_draft,
        material_upload,
        materials,
        code_table,
        pick_open,
        pick_save,
        doctor,
        logs_export,
    ]
}

fn progress(handle: AppHandle) -> impl Fn(gjj_client::app::BatchProgress) + Send + 'static {
    move |p| {
        let _ = handle.emit("batch-progress", p);
    }
}

#[tauri::command]
fn app_info(app: State<'_, App>) -> AppInfo {
    app.info()
}

#[tauri::command]
fn settings_get(app: State<'_, App>) -> AppResult<SettingsView> {
    app.settings()
}

#[tauri::command]
fn settings_save(app: State<'_, App>, user: Settings) -> AppResult<SettingsView> {
    app.save_settings(&user)
}

#[tauri::command]
async fn keys_list(app: State<'_, App>) -> AppResult<KeyList> {
    app.keys().await
}

#[tauri::command]
async fn login(app: State<'_, App>, key: KeyChoice, pin: String) -> AppResult<LoginInfo> {
    app.login(key, pin).await
}

#[tauri::command]
async fn login_pfx(app: State<'_, App>, path: String, password: String) -> AppResult<LoginInfo> {
    app.login_pfx(path, password).await
}

#[tauri::command]
async fn logout(app: State<'_, App>) -> AppResult<()> {
    app.logout().await;
    Ok(())
}

/// 不插 USB key 检查表格: checks go on with the facts cached at the last login (or the shipped policy).
#[tauri::command]
async fn offline_check(app: State<'_, App>) -> AppResult<gjj_client::offline::OfflineReport> {
    app.offline_check(None).await
}

#[tauri::command]
async fn home(app: State<'_, App>) -> AppResult<Home> {
    app.home().await
}

#[tauri::command]
async fn history(app: State<'_, App>, filter: HistoryFilter) -> AppResult<Vec<HistoryEntry>> {
    app.history(filter).await
}

#[tauri::command]
async fn send_pending(app: State<'_, App>) -> AppResult<usize> {
    app.send_pending().await
}

#[tauri::command]
async fn withdraw(app: State<'_, App>, serial: String) -> AppResult<SubmissionView> {
    app.withdraw(&serial).await
}

#[tauri::command]
async fn receipt(app: State<'_, App>, serial: String) -> AppResult<SubmissionView> {
    app.receipt(&serial).await
}

#[tauri::command]
async fn receipt_pdf_save(app: State<'_, App>, serial: String, path: PathBuf) -> AppResult<()> {
    app.save_receipt_pdf(&serial, &path).await
}

#[tauri::command]
async fn drafts_list(app: State<'_, App>) -> AppResult<Vec<DraftView>> {
    app.drafts().await
}

#[tauri::command]
async fn draft_save(
    app: State<'_, App>,
    id: Option<String>,
    business: String,
    title: String,
    data: serde_json::Value,
) -> AppResult<DraftView> {
    app.save_draft(id, &business, &title, data).await
}

#[tauri::command]
async fn draft_delete(app: State<'_, App>, id: String) -> AppResult<()> {
    app.delete_draft(&id).await
}

#[tauri::command]
async fn template_save(app: State<'_, App>, business: String, path: PathBuf) -> AppResult<()> {
    app.save_template(&business, &path).await
}

#[tauri::command]
async fn batch_import(
    handle: AppHandle,
    app: State<'_, App>,
    business: String,
    path: PathBuf,
) -> AppResult<BatchSummary> {
    app.batch_import(&business, path, progress(handle)).await
}

#[tauri::command]
async fn batch_rows(app: State<'_, App>, offset: usize, limit: usize) -> AppResult<Vec<GridRowView>> {
    app.batch_rows(offset, limit).await
}

#[tauri::command]
async fn batch_issues(
    app: State<'_, App>,
    offset: usize,
    limit: usize,
) -> AppResult<Vec<gjj_domain::issue::Issue>> {
    app.batch_issues(offset, limit).await
}

#[tauri::command]
async fn batch_row_index(app: State<'_, App>, row: u32) -> AppResult<Option<usize>> {
    app.batch_row_index(row).await
}

#[tauri::command]
async fn batch_edit(app: State<'_, App>, row: u32, column: String, value: String) -> AppResult<BatchSummary> {
    app.batch_edit(row, &column, &value).await
}

#[tauri::command]
async fn batch_export_issues(app: State<'_, App>, path: PathBuf) -> AppResult<()> {
    app.batch_export_issues(&path).await
}

#[tauri::command]
async fn batch_save_sheet(app: State<'_, App>, path: PathBuf) -> AppResult<()> {
    app.batch_save_sheet(&path).await
}

#[tauri::command]
async fn batch_submit(handle: AppHandle, app: State<'_, App>) -> AppResult<Receipt> {
    app.batch_submit(progress(handle)).await
}

#[tauri::command]
async fn submission_open(app: State<'_, App>, id: String) -> AppResult<BatchSummary> {
    app.submission_open(&id).await
}

#[tauri::command]
async fn form_current(
    app: State<'_, App>,
    business: String,
    key: Option<String>,
) -> AppResult<serde_json::Value> {
    app.form_current(&business, key.as_deref()).await
}

#[tauri::command]
async fn form_validate(
    app: State<'_, App>,
    business: String,
    data: serde_json::Value,
) -> AppResult<Vec<gjj_domain::issue::Issue>> {
    app.form_validate(&business, data).await
}

#[tauri::command]
async fn form_submit(app: State<'_, App>, business: String, data: serde_json::Value) -> AppResult<Receipt> {
    app.form_submit(&business, data).await
}

#[tauri::command]
async fn projects(app: State<'_, App>) -> AppResult<Vec<ProjectView>> {
    app.projects().await
}

#[tauri::command]
async fn project_draft(
    app: State<'_, App>,
    project: serde_json::Value,
    id: Option<String>,
) -> AppResult<ProjectView> {
    app.project_draft(project, id).await
}

#[tauri::command]
async fn material_upload(
    app: State<'_, App>,
    project: String,
    kind: String,
    path: PathBuf,
    building: Option<String>,
) -> AppResult<Material> {
    app.material_upload(&project, &kind, &path, building.as_deref())
        .await
}

#[tauri::command]
async fn materials(app: State<'_, App>, project: String) -> AppResult<Vec<Material>> {
    app.materials(&project).await
}

#[tauri::command]
fn code_table(app: State<'_, App>, name: String) -> AppResult<Vec<(String, String)>> {
    app.code_table(&name)
}

#[tauri::command]
async fn pick_open(handle: AppHandle, title: String, extensions: Vec<String>) -> AppResult<Option<String>> {
    let exts: Vec<&str> = extensions.iter().map(String::as_str).collect();
    let mut dialog = handle.dialog().file().set_title(title);
    if !exts.is_empty() {
        dialog = dialog.add_filter("文件", &exts);
    }
    Ok(dialog.blocking_pick_file().map(|p| p.to_string()))
}

#[tauri::command]
async fn pick_save(handle: AppHandle, title: String, default_name: String) -> AppResult<Option<String>> {
    Ok(handle
        .dialog()
        .file()
        .set_title(title)
        .set_file_name(default_name)
        .blocking_save_file()
        .map(|p| p.to_string()))
}

#[tauri::command]
async fn doctor(app: State<'_, App>) -> AppResult<DoctorReport> {
    app.doctor().await
}

#[tauri::command]
async fn logs_export(app: State<'_, App>, path: PathBuf) -> AppResult<()> {
    app.export_logs(&path).await
}
