// The contract between the window and the Rust side: one typed wrapper per Tauri command of src-tauri
// (src-tauri/src/commands.rs), whose data types are serialised by gjj_client::app. Views call only these
// functions, never `invoke` directly, so a renamed command breaks the type check and not a screen.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";

// ---------------------------------------------------------------------------------------------------------
// Shared shapes (mirrors of gjj_domain::api and gjj_client::app; money in 分 (fen), rates in basis points)
// ---------------------------------------------------------------------------------------------------------

export type Role = "employer" | "developer" | "staff";

/** An error from any command: a stable code, a Chinese message saying what happened and what to do. */
export interface AppError {
  code: string;
  message: string;
  issues: Issue[];
}

/** One problem of a sheet or form: Excel row (0 = whole submission), column title, stable code, message. */
export interface Issue {
  row: number;
  column: string;
  code: string;
  message: string;
}

export interface UnitFacts {
  account: string;
  name: string;
  uscc: string;
  status: string; // code, e.g. "01"
  unit_rate: number; // basis points: 1200 = 12%
  person_rate: number;
  first_month: string; // YYYYMM
  paid_through: string | null; // 缴至年月
}

export interface Me {
  unit: UnitFacts;
  role: Role;
  certificate_serial: string;
  certificate_not_after: number; // Unix seconds
  server_time: number;
  today: string; // YYYYMM by the centre's clock
}

export interface RowAccount {
  row: number;
  account: string;
}

export interface ApplicantOutcome {
  row: number;
  name: string;
  accepted: boolean;
  plan: Record<string, unknown> | null;
  issues: Issue[];
}

export interface Receipt {
  serial: string; // 业务流水号
  business: string;
  unit_account: string;
  unit_name: string;
  accepted_rows: number;
  payload_sha256: string;
  signature_alg: string;
  certificate_serial: string;
  idempotency_key: string;
  received_at: string;
  accounts?: RowAccount[];
  applicants?: ApplicantOutcome[];
}

export type SubmissionStatus = "accepted" | "reviewing" | "done" | "returned" | "withdrawn";

export interface SubmissionView {
  receipt: Receipt;
  status: SubmissionStatus;
  status_label: string; // 已受理 / 审核中 / 已办结 / 已退回 / 已撤回
  return_reason: string | null;
  updated_at: string;
}

export type BusinessKind = "batch" | "form" | "upload";

export interface BusinessInfo {
  code: string; // e.g. "base_adjustment": one name in every layer
  label: string; // e.g. "缴存基数调整"
  kind: BusinessKind;
  hall: Role;
}

// ---------------------------------------------------------------------------------------------------------
// App, settings
// ---------------------------------------------------------------------------------------------------------

export interface AppInfo {
  version: string;
  data_dir: string;
  log_file: string;
}

export interface Settings {
  server: string; // the centre's URL, https://…
  ca_bundle: string; // path of the centre's CA bundle (PEM)
  pkcs11_modules: string[]; // extra PKCS#11 module paths (USB-key drivers)
  proxy: string | null;
  log_level: string; // error | warn | info | debug
}

export interface SettingsView {
  effective: Settings;
  user: Settings;
  /** Fields fixed by IT in the managed config file: shown read-only. */
  locked: (keyof Settings)[];
  managed_path: string | null;
  /** The centre's update service set by IT (managed `update_url`); absent = no automatic updates. */
  update_url?: string | null;
}

export const appInfo = () => invoke<AppInfo>("app_info");
export const settingsGet = () => invoke<SettingsView>("settings_get");
export const settingsSave = (user: Settings) => invoke<SettingsView>("settings_save", { user });

// ---------------------------------------------------------------------------------------------------------
// USB keys and login
// ---------------------------------------------------------------------------------------------------------

export interface ModuleInfo {
  path: string;
  vendor: string; // from the known-driver table, else the module's manufacturer
  library_version: string | null;
  configured: boolean; // listed in settings (true) or found at a known vendor path (false)
  error: string | null; // could not be loaded: why
}

export interface ExpiryWarning {
  level: "info" | "warning" | "danger"; // 30 / 15 / 7 days (or expired)
  message: string;
}

export interface CertInfo {
  fingerprint: string; // SHA-256 hex: the id used to pick it
  unit_name: string;
  uscc: string | null;
  issuer: string;
  serial: string;
  not_before: string; // ISO date-time
  not_after: string;
  days_left: number;
  expiry_warning: ExpiryWarning | null;
  role: Role | null; // from the certificate; the centre confirms it at login
}

export interface PinFlags {
  count_low: boolean;
  final_try: boolean;
  locked: boolean;
}

export interface KeyInfo {
  module: string; // module path
  vendor: string;
  slot: number;
  label: string;
  serial: string;
  pin_flags: PinFlags;
  certificates: CertInfo[];
  /** A certificate of the Windows certificate store: its driver asks for the PIN in its own dialog. */
  store?: StoreKeyInfo;
  /** An SM2 (国密) key behind its SKF driver: `label` is the device, `serial` the container. */
  skf?: SkfKeyInfo;
}

/** keys.rs `SkfKeyInfo`. */
export interface SkfKeyInfo {
  application: string;
  container: string;
  pin_remaining: number;
  pin_max: number;
  encryption_certificate?: CertInfo;
}

/** keys.rs `StoreKeyInfo`. */
export interface StoreKeyInfo {
  location: "CurrentUser" | "LocalMachine";
  provider: string;
  cng: boolean;
  /** Legacy CSP RSA key: PKCS#1 v1.5 only, so the login uses TLS 1.2. */
  tls12_only: boolean;
}

export interface KeyList {
  modules: ModuleInfo[];
  keys: KeyInfo[];
  /** When no key is found: which driver to install, in words. */
  hint: string | null;
}

export interface LoginInfo {
  me: Me;
  businesses: BusinessInfo[];
  certificate: CertInfo;
}

export interface KeyChoice {
  module: string;
  label: string;
  fingerprint: string;
}

export const keysList = () => invoke<KeyList>("keys_list");
/** Errors: PIN_INCORRECT, PIN_COUNT_LOW, PIN_FINAL_TRY, PIN_LOCKED, TOKEN_*, CERT_*, UNIT_UNKNOWN, NETWORK_* … */
export const login = (key: KeyChoice, pin: string) => invoke<LoginInfo>("login", { key, pin });
export const loginPfx = (path: string, password: string) => invoke<LoginInfo>("login_pfx", { path, password });
export const logout = () => invoke<void>("logout");

// ---------------------------------------------------------------------------------------------------------
// Home and history
// ---------------------------------------------------------------------------------------------------------

export interface Home {
  me: Me;
  policy_year: number;
  businesses: BusinessInfo[];
  /** Submissions still open at the centre (已受理 / 审核中) and the returned ones. */
  open: SubmissionView[];
  returned: SubmissionView[];
  pending_sends: number; // queued locally, not yet delivered
}

export interface HistoryEntry {
  idempotency_key: string;
  business: string;
  business_label: string;
  created_at: string; // ISO
  month: string; // YYYYMM of created_at
  state: "pending" | "sent" | "rejected";
  serial: string | null;
  status: SubmissionStatus | null;
  status_label: string | null;
  return_reason: string | null;
  error: string | null; // last delivery error (pending) or refusal (rejected)
}

export interface HistoryFilter {
  business?: string | null;
  month?: string | null; // YYYYMM
}

export interface Draft {
  id: string;
  business: string;
  business_label: string;
  title: string;
  data: unknown; // a form's fields, or {file} for a batch
  updated_at: string;
}

export const home = () => invoke<Home>("home");
/** Local store joined with the centre's statuses (refreshed when reachable). */
export const history = (filter: HistoryFilter) => invoke<HistoryEntry[]>("history", { filter });
/** Sends what is queued; returns how many are still pending. */
export const sendPending = () => invoke<number>("send_pending");
export const withdraw = (serial: string) => invoke<SubmissionView>("withdraw", { serial });
export const receipt = (serial: string) => invoke<SubmissionView>("receipt", { serial });
/** Saves the PDF receipt the centre signed (PDF signature; its text, QR code and receipt.json inside). */
export const receiptPdfSave = (serial: string, path: string) => invoke<void>("receipt_pdf_save", { serial, path });
export const draftsList = () => invoke<Draft[]>("drafts_list");
export const draftSave = (business: string, title: string, data: unknown, id?: string) =>
  invoke<Draft>("draft_save", { id: id ?? null, business, title, data });
export const draftDelete = (id: string) => invoke<void>("draft_delete", { id });

// ---------------------------------------------------------------------------------------------------------
// Batch businesses (Excel): template, import with progress, grid, fix in place, issues export, submit
// ---------------------------------------------------------------------------------------------------------

export interface BatchSummary {
  business: string;
  file: string;
  columns: string[]; // column titles, template order
  header_row: number | null;
  rows: number; // data rows
  /** The first issues only (sheet-level ones first, then by row; at most 200): page the rest with batchIssues. */
  issues: Issue[];
  issue_count: number; // every issue
  rows_with_issues: number;
  clean: boolean;
}

/** A problem of one cell, as the grid shows it (on hover) — the row is the GridRow's. */
export interface CellIssue {
  column: string; // column title ("" = the row as a whole: shown on the 行号 cell)
  code: string;
  message: string;
}

export interface GridRow {
  row: number; // Excel row number
  cells: string[]; // one text per column of BatchSummary.columns
  issues: CellIssue[]; // this row's issues (the grid marks those cells)
}

export interface BatchProgress {
  business: string;
  stage: "reading" | "checking" | "signing" | "sending" | "done" | "failed";
  rows: number; // rows read so far
  message: string | null;
}

export const templateSave = (business: string, path: string) =>
  invoke<void>("template_save", { business, path });
/** Resolves when the whole file is read and checked; `onBatchProgress` reports rows on the way. */
export const batchImport = (business: string, path: string) =>
  invoke<BatchSummary>("batch_import", { business, path });
export const batchRows = (offset: number, limit: number) => invoke<GridRow[]>("batch_rows", { offset, limit });
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

export interface ProjectView {
  id: string; // XM + 8 digits
  status: string; // draft | reviewing | returned | withdrawn | active
  status_label: string;
  editable: boolean;
  last_serial: string | null;
  return_reason: string | null;
  project: Record<string, unknown>; // gjj_domain::project::Project fields
  buildings: Record<string, unknown>[];
}

export interface MaterialView {
  id: string;
  project: string;
  building: string | null;
  kind: string;
  kind_label: string;
  name: string;
  file_type: string;
  size: number;
  sha256: string;
}

export const projects = () => invoke<ProjectView[]>("projects");
/** Saves (creates or updates) an unsigned draft at the centre; returns it with its id. */
export const projectDraft = (project: unknown, id?: string) =>
  invoke<ProjectView>("project_draft", { project, id: id ?? null });
/** building: the form fields plus `houses_file`, the path of the filled 户 list template. */
export const materialUpload = (project: string, kind: string, path: string, building?: string) =>
  invoke<MaterialView>("material_upload", { project, kind, path, building: building ?? null });
export const materials = (project: string) => invoke<MaterialView[]>("materials", { project });
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

export type CheckStatus = "ok" | "warn" | "fail" | "skip";

export interface Check {
  id: string; // stable: modules, keys, certificate, chain, reachability, handshake, clock, version …
  title: string;
  status: CheckStatus;
  detail: string; // plain words
  advice: string | null; // what to do
}

export interface DoctorReport {
  checks: Check[];
  generated_at: string;
}

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
