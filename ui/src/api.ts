// The contract between the window and the Rust side: one typed wrapper per Tauri command of src-tauri
// (src-tauri/src/commands.rs), whose data types are serialised by gjj_client::app. Views call only these
// functions, never `invoke` directly, so a renamed command breaks the type check and not a screen.
import { invoke } from "@tauri-apps/api/core";
import type {
  AppError,
  AppInfo,
  BatchProgress,
  BatchSummary,
  DoctorReport,
  DraftView,
  GridRowView,
  HistoryEntry,
  HistoryFilter,
  Home,
  Issue,
  KeyChoice,
  KeyList,
  LoginInfo,
  Material,
  OfflineReport,
  ProjectView,
  Receipt,
  Settings,
  SettingsView,
  SubmissionView,
} from "./generated/types";
// The types of the window are generated from the Rust definitions (tests/tests/ui_types.rs): never restate them.
export type * from "./generated/types";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";

// ---------------------------------------------------------------------------------------------------------
// Shared shapes (mirrors of gjj_domain::api and gjj_client::app; money in 分 (fen), rates in basis points)
// ---------------------------------------------------------------------------------------------------------












// ---------------------------------------------------------------------------------------------------------
// App, settings
// ---------------------------------------------------------------------------------------------------------




export const appInfo = () => invoke<AppInfo>("app_info");
export const settingsGet = () => invoke<SettingsView>("settings_get");
export const settingsSave = (user: Settings) => invoke<SettingsView>("settings_save", { user });

// ---------------------------------------------------------------------------------------------------------
// USB keys and login
// ---------------------------------------------------------------------------------------------------------











export const keysList = () => invoke<KeyList>("keys_list");
/** Errors: PIN_INCORRECT, PIN_COUNT_LOW, PIN_FINAL_TRY, PIN_LOCKED, TOKEN_*, CERT_*, UNIT_UNKNOWN, NETWORK_* … */
export const login = (key: KeyChoice, pin: string) => invoke<LoginInfo>("login", { key, pin });
export const loginPfx = (path: string, password: string) => invoke<LoginInfo>("login_pfx", { path, password });
export const logout = () => invoke<void>("logout");

// ---------------------------------------------------------------------------------------------------------
// Home and history
// ---------------------------------------------------------------------------------------------------------





export const home = () => invoke<Home>("home");
/** Local store joined with the centre's statuses (refreshed when reachable). */
export const history = (filter: HistoryFilter) => invoke<HistoryEntry[]>("history", { filter });
/** Sends what is queued; returns how many are still pending. */
export const sendPending = () => invoke<number>("send_pending");
export const withdraw = (serial: string) => invoke<SubmissionView>("withdraw", { serial });
export const receipt = (serial: string) => invoke<SubmissionView>("receipt", { serial });
/** Saves the PDF receipt the centre signed (PDF signature; its text, QR code and receipt.json inside). */
export const receiptPdfSave = (serial: string, path: string) => invoke<void>("receipt_pdf_save", { serial, path });
export const draftsList = () => invoke<DraftView[]>("drafts_list");
export const draftSave = (business: string, title: string, data: unknown, id?: string) =>
  invoke<DraftView>("draft_save", { id: id ?? null, business, title, data });
export const draftDelete = (id: string) => invoke<void>("draft_delete", { id });

// ---------------------------------------------------------------------------------------------------------
// Batch businesses (Excel): template, import with progress, grid, fix in place, issues export, submit
// ---------------------------------------------------------------------------------------------------------





export const templateSave = (business: string, path: string) =>
  invoke<void>("template_save", { business, path });
/** Checking without the USB key and the centre: on the facts cached at the last login, or the shipped policy. */
export const offlineCheck = () => invoke<OfflineReport>("offline_check");
/** Resolves when the whole file is read and checked; `onBatchProgress` reports rows on the way. */
export const batchImport = (business: string, path: string) =>
  invoke<BatchSummary>("batch_import", { business, path });
export const batchRows = (offset: number, limit: number) => invoke<GridRowView[]>("batch_rows", { offset, limit });
/** A page of the issue list (row order, sheet-level first), for sheets with more issues than the summary carries. */
export const batchIssues = (offset: number, limit: number) => invoke<Issue[]>("batch_issues", { offset, limit });
/** The grid index (0-based, sheet order) of an Excel row of the imported sheet; null when no such row. */
export const batchRowIndex = (row: number) => invoke<number | null>("batch_row_index", { row });
/** Changes one cell and checks the whole sheet again. */
export const batchEdit = (row: number, column: string, value: string) =>
  invoke<BatchSummary>("batch_edit", { row, column, value });
export const batchExportIssues = (path: string) => invoke<void>("batch_export_issues", { path });
/** Saves the sheet as it is now (with in-place fixes) as an .xlsx. */
export const batchSaveSheet = (path: string) => invoke<void>("batch_save_sheet", { path });
export const batchSubmit = () => invoke<Receipt>("batch_submit");
/**
 * Reopens the grid a batch submission was made from (办理记录): by its idempotency key, or its 业务流水号. The
 * summary's `origin` says which submission it was and, in `submit_blocked`, why it cannot be submitted again.
 * Errors: SUBMISSION_NOT_FOUND, SHEET_NOT_KEPT (a form, an older client's, or purged after the retention period).
 */
export const submissionOpen = (id: string) => invoke<BatchSummary>("submission_open", { id });
export const onBatchProgress = (f: (p: BatchProgress) => void): Promise<UnlistenFn> =>
  listen<BatchProgress>("batch-progress", (e) => f(e.payload));

// ---------------------------------------------------------------------------------------------------------
// Form businesses: current values, validation with the centre's rules as you type, submit
// ---------------------------------------------------------------------------------------------------------

/** unit_change: UnitDetails; rate_adjustment: {unit_rate, person_rate}; contributor_change: the employee … */
export const formCurrent = (business: string, key?: string) =>
  invoke<Record<string, unknown>>("form_current", { business, key: key ?? null });
/** The same domain checks the centre runs; [] when the form is acceptable. */
export const formValidate = (business: string, data: unknown) =>
  invoke<Issue[]>("form_validate", { business, data });
export const formSubmit = (business: string, data: unknown) => invoke<Receipt>("form_submit", { business, data });

// ---------------------------------------------------------------------------------------------------------
// Developer hall: projects (drafts → submit), buildings (form + 户 list from Excel), materials (uploads)
// ---------------------------------------------------------------------------------------------------------


export const projects = () => invoke<ProjectView[]>("projects");
/** Saves (creates or updates) an unsigned draft at the centre; returns it with its id. */
export const projectDraft = (project: unknown, id?: string) =>
  invoke<ProjectView>("project_draft", { project, id: id ?? null });
/** building: the form fields plus `houses_file`, the path of the filled 户 list template. */
export const materialUpload = (project: string, kind: string, path: string, building?: string) =>
  invoke<Material>("material_upload", { project, kind, path, building: building ?? null });
export const materials = (project: string) => invoke<Material[]>("materials", { project });
/** Code tables for selects: material kinds, seal reasons, 还款方式 … as [code, label]. */
export const codeTable = (name: string) => invoke<[string, string][]>("code_table", { name });

// ---------------------------------------------------------------------------------------------------------
// Files, diagnostics
// ---------------------------------------------------------------------------------------------------------

/** Native open/save dialogs; null when cancelled. */
export const pickOpen = (title: string, extensions: string[]) =>
  invoke<string | null>("pick_open", { title, extensions });
export const pickSave = (title: string, defaultName: string) =>
  invoke<string | null>("pick_save", { title, defaultName });




export const doctor = () => invoke<DoctorReport>("doctor");
export const logsExport = (path: string) => invoke<void>("logs_export", { path });

/** Normalises anything thrown by `invoke` into an AppError. */
export function asAppError(e: unknown): AppError {
  if (e && typeof e === "object" && "code" in e && "message" in e) {
    const o = e as AppError;
    return { code: o.code, message: o.message, issues: o.issues ?? [] };
  }
  return { code: "INTERNAL", message: String(e), issues: [] };
}
