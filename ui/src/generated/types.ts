// Generated from the Rust types by tests/tests/ui_types.rs (ts-rs): do not edit.
// After changing one of these types run `GJJ_WRITE_UI_TYPES=1 cargo test -p gjj-tests --test ui_types`.

export type Issue = { 
/**
 * The Excel row number as the user sees it (1-based); 0 for the whole submission.
 */
row: number, 
/**
 * The column title (e.g. "证件号码"); empty for the whole submission.
 */
column: string, 
/**
 * Stable machine-readable code.
 */
code: string, 
/**
 * Chinese message: what happened and what to do.
 */
message: string, };

export type Month = string;

export type Fen = number;

export type Rate = number;

export type Area = number;

export type UnitStatus = string;

export type UnitFacts = { 
/**
 * 单位账号 (DWZH).
 */
account: string, 
/**
 * 单位名称 (DWMC).
 */
name: string, 
/**
 * 统一社会信用代码.
 */
uscc: string, 
/**
 * 单位账户状态 (JGJ/T 320 附A.4).
 */
status: UnitStatus, 
/**
 * 单位缴存比例 (DWJCBL).
 */
unit_rate: Rate, 
/**
 * 个人缴存比例 (GRJCBL).
 */
person_rate: Rate, 
/**
 * 单位首次汇缴年月 (DWSCHJNY).
 */
first_month: Month, 
/**
 * 缴至年月 (JZNY): the last month remitted; `None` if the unit never remitted.
 */
paid_through: Month | null, };

export type Role = "employer" | "developer" | "staff";

export type Me = { 
/**
 * The unit the certificate is bound to.
 */
unit: UnitFacts, 
/**
 * The hall the unit uses.
 */
role: Role, 
/**
 * Serial of the certificate presented (hex).
 */
certificate_serial: string, 
/**
 * End of the certificate's validity (Unix seconds).
 */
certificate_not_after: number, 
/**
 * The gateway's clock (Unix seconds): lets the client show clock skew.
 */
server_time: number, 
/**
 * The current month by the gateway's clock: the "today" of every month rule.
 */
today: Month, };

export type RowAccount = { 
/**
 * The row number as submitted (the Excel row, or 1 for a single registration).
 */
row: number, 
/**
 * The new 个人账号.
 */
account: string, };

export type LoanPlan = { 
/**
 * 还款方式 code.
 */
repayment: string, 
/**
 * Annual rate in 0.001 %.
 */
annual_rate: number, 
/**
 * 贷款金额.
 */
amount: Fen, 
/**
 * 贷款期数.
 */
months: number, 
/**
 * First month's payment (等额本息: every month but the last).
 */
first_payment: Fen, 
/**
 * Last month's payment (absorbs the rounding of the earlier months).
 */
last_payment: Fen, 
/**
 * 利息总额.
 */
total_interest: Fen, 
/**
 * 还款总额 = 贷款金额 + 利息总额.
 */
total_payment: Fen, };

export type ApplicantOutcome = { 
/**
 * The row number as submitted.
 */
row: number, 
/**
 * 借款人姓名.
 */
name: string, 
/**
 * Accepted (stored for review) or not.
 */
accepted: boolean, 
/**
 * The repayment plan, when accepted.
 */
plan?: LoanPlan | null, 
/**
 * Why not, when refused.
 */
issues?: Array<Issue>, };

export type Receipt = { 
/**
 * 业务流水号.
 */
serial: string, 
/**
 * Business name (module/route name, e.g. "base_adjustment").
 */
business: string, 
/**
 * 单位账号.
 */
unit_account: string, 
/**
 * 单位名称.
 */
unit_name: string, 
/**
 * Rows accepted (all of them: a batch is accepted whole or not at all).
 */
accepted_rows: number, 
/**
 * SHA-256 (hex) of the signed payload: names exactly what was signed and stored.
 */
payload_sha256: string, 
/**
 * Algorithm of the stored detached signature.
 */
signature_alg: string, 
/**
 * Serial of the certificate that signed.
 */
certificate_serial: string, 
/**
 * The client's idempotency key.
 */
idempotency_key: string, 
/**
 * When the centre accepted it (RFC 3339, UTC).
 */
received_at: string, 
/**
 * 个人账号 the centre assigned at acceptance, per row (缴存人登记); empty (and absent on the wire) for
 * businesses that assign none.
 */
accounts?: Array<RowAccount>, 
/**
 * 贷款申请: the outcome per applicant (accepted with its repayment plan, or refused with its issues); empty
 * (and absent on the wire) for every other business.
 */
applicants?: Array<ApplicantOutcome>, };

export type SubmissionStatus = "accepted" | "reviewing" | "done" | "returned" | "withdrawn";

export type SubmissionView = { 
/**
 * The receipt issued on acceptance.
 */
receipt: Receipt, 
/**
 * Current status.
 */
status: SubmissionStatus, 
/**
 * Chinese label of the status.
 */
status_label: string, 
/**
 * Why it was returned, when it was.
 */
return_reason: string | null, 
/**
 * Last status change (RFC 3339, UTC).
 */
updated_at: string, };

export type Project = { 
/**
 * 项目编号 ("XM…"): absent for a new project, present to update a draft or (re)submit it.
 */
project_id: string | null, 
/**
 * 楼盘名称.
 */
name: string | null, 
/**
 * 楼盘地址 (≥ 10 characters, Bijie).
 */
address: string | null, 
/**
 * 预售许可证号 (project level).
 */
presale_permit: string | null, 
/**
 * 建设用地规划许可证号.
 */
land_planning_permit: string | null, 
/**
 * 国有土地使用证号 / 不动产权证号.
 */
land_certificate: string | null, 
/**
 * 建设工程规划许可证号.
 */
engineering_planning_permit: string | null, 
/**
 * 建筑工程施工许可证号.
 */
construction_permit: string | null, 
/**
 * 按揭协议日期 (the 合作协议 with the centre), `YYYY-MM-DD`.
 */
mortgage_agreement_date: string | null, 
/**
 * 保证金比例.
 */
deposit_ratio: Rate | null, 
/**
 * 保证金账户.
 */
deposit_account: string | null, 
/**
 * 保证金账户开户行.
 */
deposit_bank: string | null, 
/**
 * 保证金开户名.
 */
deposit_account_name: string | null, 
/**
 * 建筑总面积.
 */
total_area: Area | null, 
/**
 * 建筑总金额.
 */
total_amount: Fen | null, 
/**
 * 获取土地总价.
 */
land_total: Fen | null, 
/**
 * 获取土地单价 (per m²).
 */
land_unit_price: Fen | null, 
/**
 * 联系人.
 */
contact_name: string | null, 
/**
 * 联系电话 (mobile or landline).
 */
contact_phone: string | null, 
/**
 * 备注.
 */
note: string | null, };

export type HouseView = { 
/**
 * 房号.
 */
house_no: string, 
/**
 * 单元.
 */
unit_no: number, 
/**
 * 楼层.
 */
floor: number, 
/**
 * 建筑面积.
 */
area: Area, 
/**
 * 套内面积.
 */
inner_area: Area, 
/**
 * 备案总价.
 */
price: Fen, 
/**
 * 可售 / 已售 / 已抵押.
 */
status: string, };

export type BuildingView = { 
/**
 * 楼栋编号 ("LD" + 8 digits).
 */
id: string, 
/**
 * 楼栋号.
 */
building_no: string, 
/**
 * 预售许可证号.
 */
presale_permit: string, 
/**
 * 单元数.
 */
unit_count: number, 
/**
 * 层数.
 */
floor_count: number, 
/**
 * 竣工日期.
 */
completion_date: string, 
/**
 * 贷款比例.
 */
loan_ratio: Rate, 
/**
 * The houses, by 房号.
 */
houses: Array<HouseView>, };

export type ProjectView = { 
/**
 * 项目编号 ("XM…").
 */
id: string, 
/**
 * `draft` 草稿, `reviewing` 审核中 (已受理 or 审核中), `returned` 已退回, `withdrawn` 已撤回, `active` 已办结.
 */
status: string, 
/**
 * Chinese label of the status.
 */
status_label: string, 
/**
 * Whether the developer may change it (draft, returned, withdrawn) and submit it again.
 */
editable: boolean, 
/**
 * The latest signed submission of the project.
 */
last_serial: string | null, 
/**
 * Why the centre returned it, when it did.
 */
return_reason: string | null, 
/**
 * The fields (with `project_id` set).
 */
project: Project, 
/**
 * The approved buildings of the project.
 */
buildings: Array<BuildingView>, };

export type FileType = "pdf" | "jpeg" | "png" | "ofd";

export type Material = { 
/**
 * 材料编号 ("CL00000001").
 */
id: string, 
/**
 * 项目编号.
 */
project: string, 
/**
 * 楼栋编号.
 */
building: string | null, 
/**
 * 材料类型 code.
 */
kind: string, 
/**
 * 材料类型 label.
 */
kind_label: string, 
/**
 * Original file name (sanitised, metadata only).
 */
name: string, 
/**
 * Type judged from the content.
 */
file_type: FileType, 
/**
 * Size in bytes.
 */
size: number, 
/**
 * SHA-256, lowercase hex.
 */
sha256: string, 
/**
 * 业务流水号 of the signed submission that recorded it.
 */
serial: string, 
/**
 * Where that submission is in the centre's review.
 */
status: SubmissionStatus, 
/**
 * When it was recorded (RFC 3339, UTC).
 */
uploaded_at: string, };

export type GridRow = { 
/**
 * The 1-based Excel row number.
 */
row: number, 
/**
 * One text per column of [`Grid::columns`] ("" when empty).
 */
cells: Array<string>, };

export type AppError = { 
/**
 * Stable code.
 */
code: string, 
/**
 * Chinese message.
 */
message: string, 
/**
 * Row/field problems.
 */
issues: Array<Issue>, };

export type BusinessInfo = { 
/**
 * Code (one name in every layer).
 */
code: string, 
/**
 * Chinese label.
 */
label: string, 
/**
 * batch | form | upload.
 */
kind: string, 
/**
 * Whose hall.
 */
hall: Role, };

export type AppInfo = { 
/**
 * The app version.
 */
version: string, 
/**
 * Where the local store and logs live.
 */
data_dir: string, 
/**
 * The log file.
 */
log_file: string, };

export type Settings = { 
/**
 * The centre's URL, https://…; empty = not configured (the doctor says so).
 */
server: string, 
/**
 * Path of the centre's CA bundle (PEM); empty = not configured.
 */
ca_bundle: string, 
/**
 * PKCS#11 module paths (USB-key drivers) besides the known vendor paths. When IT fixes this list in the
 * managed file, only these modules are loaded ([`SettingsView::modules_locked`]).
 */
pkcs11_modules: Array<string>, 
/**
 * HTTP(S) proxy URL; none = direct.
 */
proxy: string | null, 
/**
 * error | warn | info | debug | trace.
 */
log_level: string, };

export type SettingsView = { 
/**
 * What is in force.
 */
effective: Settings, 
/**
 * The user's own file (locked fields may differ from `effective`: the managed value wins).
 */
user: Settings, 
/**
 * Field names fixed by the managed file, shown read-only.
 */
locked: Array<string>, 
/**
 * The managed file in force, if any.
 */
managed_path: string | null, 
/**
 * Base URL of the centre's update service, set only by IT in the managed file (`update_url`); none = the
 * app never looks for updates. See [`update_endpoint`].
 */
update_url?: string | null, 
/**
 * Days a finished business's payload stays on this PC after the centre finished it (已办结 / withdrawn),
 * set only by IT in the managed file (`retention_days`, 1–3650); [`DEFAULT_RETENTION_DAYS`] otherwise.
 */
retention_days: number, };

export type ModuleInfo = { 
/**
 * Module path.
 */
path: string, 
/**
 * From the known-driver table, else the module's manufacturer.
 */
vendor: string, 
/**
 * The module's library version "major.minor", when it loaded.
 */
library_version: string | null, 
/**
 * Listed in the settings (true) or found at a known vendor path (false).
 */
configured: boolean, 
/**
 * Why it could not be loaded or read.
 */
error: string | null, };

export type WarningLevel = "info" | "warning" | "danger";

export type ExpiryWarning = { 
/**
 * How urgent.
 */
level: WarningLevel, 
/**
 * What happens and what to do, in Chinese.
 */
message: string, };

export type CertInfo = { 
/**
 * SHA-256 of the DER certificate, hex: the id used to pick it (`TokenSelector::certificate`).
 */
fingerprint: string, 
/**
 * Unit name (subject O, else CN).
 */
unit_name: string, 
/**
 * 统一社会信用代码, when the certificate carries one.
 */
uscc: string | null, 
/**
 * Issuer "CN (O)".
 */
issuer: string, 
/**
 * Serial number, upper-case hex.
 */
serial: string, 
/**
 * Start of validity, RFC 3339.
 */
not_before: string, 
/**
 * End of validity, RFC 3339.
 */
not_after: string, 
/**
 * See [`days_left`].
 */
days_left: number, 
/**
 * Expiry (or not-yet-valid) warning.
 */
expiry_warning: ExpiryWarning | null, 
/**
 * Hall role stated by the certificate; the centre confirms it at login.
 */
role: Role | null, };

export type PinFlags = { 
/**
 * A wrong PIN was entered since the last success.
 */
count_low: boolean, 
/**
 * One more wrong PIN locks the key.
 */
final_try: boolean, 
/**
 * The PIN is locked.
 */
locked: boolean, };

export type SkfKeyInfo = { 
/**
 * SKF application holding the PIN and the container.
 */
application: string, 
/**
 * Container of the signing key.
 */
container: string, 
/**
 * PIN tries left, as the key counts them.
 */
pin_remaining: number, 
/**
 * PIN tries allowed.
 */
pin_max: number, 
/**
 * The encryption certificate of the pair (never used to log in).
 */
encryption_certificate?: CertInfo | null, };

export type StoreKeyInfo = { 
/**
 * "CurrentUser" or "LocalMachine".
 */
location: string, 
/**
 * The CSP or key storage provider the CA's driver registered.
 */
provider: string, 
/**
 * A CNG key storage provider (else a legacy CSP).
 */
cng: boolean, 
/**
 * The key can only sign RSA PKCS#1 v1.5 (a legacy CSP): the login uses TLS 1.2.
 */
tls12_only: boolean, };

export type KeyInfo = { 
/**
 * Path of the module that reads it.
 */
module: string, 
/**
 * Driver vendor (table), else the token's manufacturer.
 */
vendor: string, 
/**
 * PKCS#11 slot id.
 */
slot: number, 
/**
 * Token label.
 */
label: string, 
/**
 * Token serial number.
 */
serial: string, 
/**
 * PIN warning flags.
 */
pin_flags: PinFlags, 
/**
 * Its certificates.
 */
certificates: Array<CertInfo>, 
/**
 * Set for a certificate in the Windows certificate store (then `module` is [`STORE_MODULE_PREFIX`] +
 * location, `serial` the SHA-1 thumbprint): its PIN dialog is the driver's, not ours.
 */
store?: StoreKeyInfo | null, 
/**
 * Set for an SM2 (国密) key reached through its SKF driver (then `label` is the device, `serial` the
 * container): the PIN counter is the key's own.
 */
skf?: SkfKeyInfo | null, };

export type KeyList = { 
/**
 * Every module tried.
 */
modules: Array<ModuleInfo>, 
/**
 * Every inserted key, in module then slot order.
 */
keys: Array<KeyInfo>, 
/**
 * When no usable key is found: what to do, in words.
 */
hint: string | null, };

export type LoginInfo = { 
/**
 * The centre's view of the unit.
 */
me: Me, 
/**
 * The hall's businesses.
 */
businesses: Array<BusinessInfo>, 
/**
 * The certificate used.
 */
certificate: CertInfo, };

export type KeyChoice = { 
/**
 * PKCS#11 module path.
 */
module: string, 
/**
 * Token label.
 */
label: string, 
/**
 * Certificate fingerprint.
 */
fingerprint: string, };

export type Home = { 
/**
 * The centre's view of the unit.
 */
me: Me, 
/**
 * The policy year in force.
 */
policy_year: number, 
/**
 * The hall's businesses.
 */
businesses: Array<BusinessInfo>, 
/**
 * Open at the centre (已受理 / 审核中).
 */
open: Array<SubmissionView>, 
/**
 * Returned by the centre.
 */
returned: Array<SubmissionView>, 
/**
 * Queued locally, not yet delivered.
 */
pending_sends: number, };

export type HistoryEntry = { 
/**
 * Idempotency key (the local id).
 */
idempotency_key: string, 
/**
 * Business code.
 */
business: string, 
/**
 * Business label.
 */
business_label: string, 
/**
 * When written (RFC 3339).
 */
created_at: string, 
/**
 * YYYYMM of `created_at`.
 */
month: string, 
/**
 * pending | sent | rejected.
 */
state: string, 
/**
 * 业务流水号.
 */
serial: string | null, 
/**
 * The centre's status.
 */
status: SubmissionStatus | null, 
/**
 * Its label.
 */
status_label: string | null, 
/**
 * Why it was returned.
 */
return_reason: string | null, 
/**
 * Last delivery error or refusal.
 */
error: string | null, 
/**
 * The grid of a batch submission is kept: 办理记录 can reopen it ([`App::submission_open`]).
 */
has_sheet: boolean, };

export type HistoryFilter = { 
/**
 * Business code.
 */
business: string | null, 
/**
 * YYYYMM.
 */
month: string | null, };

export type Draft = { 
/**
 * Its id.
 */
id: string, 
/**
 * Business code.
 */
business: string, 
/**
 * What the clerk called it.
 */
title: string, 
/**
 * A form's fields, or `{file}` for a sheet.
 */
data: unknown, 
/**
 * Last saved (RFC 3339).
 */
updated_at: string, };

export type DraftView = { 
/**
 * Business label.
 */
business_label: string, 
/**
 * Older than the retention period IT set: flagged for the clerk to finish or delete (never deleted
 * silently).
 */
stale: boolean, 
/**
 * Its id.
 */
id: string, 
/**
 * Business code.
 */
business: string, 
/**
 * What the clerk called it.
 */
title: string, 
/**
 * A form's fields, or `{file}` for a sheet.
 */
data: unknown, 
/**
 * Last saved (RFC 3339).
 */
updated_at: string, };

export type BatchSummary = { 
/**
 * Business code.
 */
business: string, 
/**
 * The file imported.
 */
file: string, 
/**
 * Column titles.
 */
columns: Array<string>, 
/**
 * Header row.
 */
header_row: number | null, 
/**
 * Data rows.
 */
rows: number, 
/**
 * The first issues (sheet-level ones first, then by row; at most [`SUMMARY_ISSUES`]): the window pages
 * the rest with `batch_issues`, so a sheet with an issue on each of 100,000 rows does not cross at once.
 */
issues: Array<Issue>, 
/**
 * Every issue.
 */
issue_count: number, 
/**
 * Rows with at least one issue.
 */
rows_with_issues: number, 
/**
 * No issue.
 */
clean: boolean, 
/**
 * Checked without the key and the centre: on what, and what is left for the centre.
 */
offline: OfflineReport | null, 
/**
 * Reopened from 办理记录 ([`App::submission_open`]), or just submitted: the submission this grid was.
 */
origin: SheetOrigin | null, };

export type SheetOrigin = { 
/**
 * Idempotency key of that submission (the local id).
 */
idempotency_key: string, 
/**
 * Its 业务流水号, once the centre accepted it.
 */
serial: string | null, 
/**
 * pending | sent | rejected (the local store's state).
 */
state: string, 
/**
 * The centre's status, when it answered.
 */
status: SubmissionStatus | null, 
/**
 * What the banner says about it: 已受理, 已退回, 被拒绝, 待发送 …
 */
status_label: string, 
/**
 * When it was submitted (RFC 3339).
 */
submitted_at: string, 
/**
 * Why this grid cannot be submitted again; `None`: it can, as a new submission (refused, returned or
 * withdrawn).
 */
submit_blocked: string | null, };

export type OfflineReport = { 
/**
 * "cached" | "shipped".
 */
basis: string, 
/**
 * The unit whose cached facts were used.
 */
unit_name: string | null, 
/**
 * Its 统一社会信用代码.
 */
unit_uscc: string | null, 
/**
 * When those facts were fetched from the centre (RFC 3339).
 */
fetched_at: string | null, 
/**
 * Whole days since then.
 */
age_days: number | null, 
/**
 * The 政策年度 whose limits were applied.
 */
policy_year: number, 
/**
 * The checks only the centre can make, in Chinese, for this business.
 */
left_for_centre: Array<string>, 
/**
 * One Chinese sentence for the top of the result.
 */
summary: string, };

export type CellIssue = { 
/**
 * Column title ("" for the row as a whole).
 */
column: string, 
/**
 * Stable code.
 */
code: string, 
/**
 * Chinese message.
 */
message: string, };

export type GridRowView = { 
/**
 * Its issues.
 */
issues: Array<CellIssue>, 
/**
 * The 1-based Excel row number.
 */
row: number, 
/**
 * One text per column of [`Grid::columns`] ("" when empty).
 */
cells: Array<string>, };

export type BatchProgress = { 
/**
 * Business code.
 */
business: string, 
/**
 * reading | checking | signing | sending | done | failed.
 */
stage: string, 
/**
 * Rows read so far.
 */
rows: number, 
/**
 * Optional words.
 */
message: string | null, };

export type CheckStatus = "ok" | "warn" | "fail" | "skip";

export type Check = { 
/**
 * Stable id.
 */
id: string, 
/**
 * Title in Chinese.
 */
title: string, 
/**
 * Outcome.
 */
status: CheckStatus, 
/**
 * What was found, in plain words.
 */
detail: string, 
/**
 * What to do.
 */
advice: string | null, };

export type DoctorReport = { 
/**
 * In a fixed order.
 */
checks: Array<Check>, 
/**
 * RFC 3339.
 */
generated_at: string, };
