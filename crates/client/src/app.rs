//! The desktop app's state and commands, with no Tauri in sight: src-tauri's commands are one-line adapters
//! over [`App`], and everything here is testable without a window. Every type that crosses to the window
//! serialises to the shapes of `ui/src/api.ts`.
//!
//! One login at a time: [`App::login`] opens the mTLS [`Session`] with the USB key (or a .pfx) and keeps it with
//! the local [`Outbox`]; the centre's facts (me, policy) are refreshed at login and on the home screen. A batch
//! sheet being worked on lives here as a [`Grid`] plus its last check, so the window only ever holds the rows it
//! shows.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use gjj_domain::api::{Me, Receipt, Role, SubmissionStatus, SubmissionView};
use gjj_domain::business::Business;
use gjj_domain::issue::Issue;
use gjj_domain::policy::Policy;
use gjj_pki::pkcs11::TokenSelector;
use gjj_pki::{Credential, TrustBundle};
pub use gjj_sheets::GridRow;
use gjj_sheets::{Alongside, Grid};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use zeroize::Zeroizing;

use crate::keys::{self, CertInfo, KeyList};
use crate::settings::{self, Settings, SettingsView};
use crate::{
    doctor, sheet, ClientError, Draft, Outbox, OutboxState, Session, SessionConfig, Submitted, SubmittedSheet,
};

/// An error for the window: stable code, Chinese message (what happened, what to do), issues when any.
#[derive(Clone, Debug, Serialize, thiserror::Error)]
#[error("[{code}] {message}")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AppError {
    /// Stable code.
    pub code: String,
    /// Chinese message.
    pub message: String,
    /// Row/field problems.
    pub issues: Vec<Issue>,
    /// The centre refused the content (its rules, a conflict, a size limit) rather than the request failing:
    /// `gjj` exits 1 for these, 2 for the rest.
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub refused: bool,
}

impl AppError {
    /// An error without issues.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> AppError {
        AppError {
            code: code.into(),
            message: message.into(),
            issues: Vec::new(),
            refused: false,
        }
    }

    /// The rules refused the content before anything was signed (exit 1 in `gjj`).
    pub fn rules(code: impl Into<String>, message: impl Into<String>, issues: Vec<Issue>) -> AppError {
        AppError {
            code: code.into(),
            message: message.into(),
            issues,
            refused: true,
        }
    }

    fn not_logged_in() -> AppError {
        AppError::new("NOT_LOGGED_IN", "尚未登录或登录已失效。请插入 USB key 重新登录。")
    }

    fn no_sheet() -> AppError {
        AppError::new(
            "NO_SHEET",
            "还没有导入文件。请先选择 Excel 文件并点“导入并检查”。",
        )
    }

    fn io(what: &str, path: &Path, e: impl std::fmt::Display) -> AppError {
        AppError::new(
            "FILE_ERROR",
            format!(
                "{what}“{}”失败（{e}）。请确认路径正确、有写入权限。",
                path.display()
            ),
        )
    }
}

impl From<ClientError> for AppError {
    fn from(e: ClientError) -> AppError {
        let issues = match &e {
            ClientError::Api { body, .. } => body.issues.clone(),
            _ => Vec::new(),
        };
        let refused =
            matches!(&e, ClientError::Api { status, .. } if matches!(status, 400 | 409 | 413 | 422));
        AppError {
            refused,
            code: e.code().to_owned(),
            message: match &e {
                ClientError::Api { body, .. } => body.message.clone(),
                other => other.to_string(),
            },
            issues,
        }
    }
}

impl From<gjj_pki::PkiError> for AppError {
    fn from(e: gjj_pki::PkiError) -> AppError {
        AppError::new(e.code(), e.to_string())
    }
}

impl From<gjj_sheets::SheetError> for AppError {
    fn from(e: gjj_sheets::SheetError) -> AppError {
        AppError::new(e.code(), e.to_string())
    }
}

impl From<settings::SettingsError> for AppError {
    fn from(e: settings::SettingsError) -> AppError {
        AppError::new(e.code(), e.to_string())
    }
}

/// What the window gets from every command.
pub type AppResult<T> = Result<T, AppError>;

/// `app_info`.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AppInfo {
    /// The app version.
    pub version: String,
    /// Where the local store and logs live.
    pub data_dir: String,
    /// The log file.
    pub log_file: String,
}

/// A business as the menu shows it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BusinessInfo {
    /// Code (one name in every layer).
    pub code: &'static str,
    /// Chinese label.
    pub label: &'static str,
    /// batch | form | upload.
    pub kind: &'static str,
    /// Whose hall.
    pub hall: Role,
}

/// The businesses of a hall, in menu order.
pub fn businesses(role: Role) -> Vec<BusinessInfo> {
    Business::ALL
        .iter()
        .filter(|b| b.hall() == role)
        .map(|b| BusinessInfo {
            code: b.code(),
            label: b.label(),
            kind: if b.code() == "project_material" {
                "upload"
            } else if sheet::batch(b.code()).is_some() {
                "batch"
            } else {
                "form"
            },
            hall: b.hall(),
        })
        .collect()
}

/// The certificate the user picked on the login screen.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct KeyChoice {
    /// PKCS#11 module path.
    pub module: String,
    /// Token label.
    pub label: String,
    /// Certificate fingerprint.
    pub fingerprint: String,
}

/// After login.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LoginInfo {
    /// The centre's view of the unit.
    pub me: Me,
    /// The hall's businesses.
    pub businesses: Vec<BusinessInfo>,
    /// The certificate used.
    pub certificate: CertInfo,
}

/// The home screen.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Home {
    /// The centre's view of the unit.
    pub me: Me,
    /// The policy year in force.
    pub policy_year: u16,
    /// The hall's businesses.
    pub businesses: Vec<BusinessInfo>,
    /// Open at the centre (已受理 / 审核中).
    pub open: Vec<SubmissionView>,
    /// Returned by the centre.
    pub returned: Vec<SubmissionView>,
    /// Queued locally, not yet delivered.
    pub pending_sends: usize,
}

/// One line of the history.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HistoryEntry {
    /// Idempotency key (the local id).
    pub idempotency_key: String,
    /// Business code.
    pub business: String,
    /// Business label.
    pub business_label: String,
    /// When written (RFC 3339).
    pub created_at: String,
    /// YYYYMM of `created_at`.
    pub month: String,
    /// pending | sent | rejected.
    pub state: &'static str,
    /// 业务流水号.
    pub serial: Option<String>,
    /// The centre's status.
    pub status: Option<SubmissionStatus>,
    /// Its label.
    pub status_label: Option<String>,
    /// Why it was returned.
    pub return_reason: Option<String>,
    /// Last delivery error or refusal.
    pub error: Option<String>,
    /// The grid of a batch submission is kept: 办理记录 can reopen it ([`App::submission_open`]).
    pub has_sheet: bool,
}

/// History filters.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HistoryFilter {
    /// Business code.
    #[serde(default)]
    pub business: Option<String>,
    /// YYYYMM.
    #[serde(default)]
    pub month: Option<String>,
}

/// A draft as the window shows it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DraftView {
    /// The draft.
    #[serde(flatten)]
    pub draft: Draft,
    /// Business label.
    pub business_label: String,
    /// Older than the retention period IT set: flagged for the clerk to finish or delete (never deleted
    /// silently).
    pub stale: bool,
}

/// A sheet's check, as the batch screen shows it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BatchSummary {
    /// Business code.
    pub business: String,
    /// The file imported.
    pub file: String,
    /// Column titles.
    pub columns: Vec<String>,
    /// Header row.
    pub header_row: Option<u32>,
    /// Data rows.
    pub rows: u32,
    /// The first issues (sheet-level ones first, then by row; at most [`SUMMARY_ISSUES`]): the window pages
    /// the rest with `batch_issues`, so a sheet with an issue on each of 100,000 rows does not cross at once.
    pub issues: Vec<Issue>,
    /// Every issue.
    pub issue_count: usize,
    /// Rows with at least one issue.
    pub rows_with_issues: usize,
    /// No issue.
    pub clean: bool,
    /// Checked without the key and the centre: on what, and what is left for the centre.
    pub offline: Option<crate::offline::OfflineReport>,
    /// Reopened from 办理记录 ([`App::submission_open`]), or just submitted: the submission this grid was.
    pub origin: Option<SheetOrigin>,
}

/// The submission a grid in the batch workspace was made from, and whether it may be submitted again.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SheetOrigin {
    /// Idempotency key of that submission (the local id).
    pub idempotency_key: String,
    /// Its 业务流水号, once the centre accepted it.
    pub serial: Option<String>,
    /// pending | sent | rejected (the local store's state).
    pub state: &'static str,
    /// The centre's status, when it answered.
    pub status: Option<SubmissionStatus>,
    /// What the banner says about it: 已受理, 已退回, 被拒绝, 待发送 …
    pub status_label: String,
    /// When it was submitted (RFC 3339).
    pub submitted_at: String,
    /// Why this grid cannot be submitted again; `None`: it can, as a new submission (refused, returned or
    /// withdrawn).
    pub submit_blocked: Option<String>,
}

/// How many issues a [`BatchSummary`] (or a refusal) carries.
pub const SUMMARY_ISSUES: usize = 200;

/// At most one import progress event per this long.
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

/// One problem of a cell as the grid shows it; the row is the [`GridRowView`]'s.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CellIssue {
    /// Column title ("" for the row as a whole).
    pub column: String,
    /// Stable code.
    pub code: &'static str,
    /// Chinese message.
    pub message: String,
}

/// A grid row with its issues, as the window gets it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GridRowView {
    /// The row.
    #[serde(flatten)]
    pub row: GridRow,
    /// Its issues.
    pub issues: Vec<CellIssue>,
}

/// Progress of an import or a submission.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BatchProgress {
    /// Business code.
    pub business: String,
    /// reading | checking | signing | sending | done | failed.
    pub stage: &'static str,
    /// Rows read so far.
    pub rows: u32,
    /// Optional words.
    pub message: Option<String>,
}

struct LoggedIn {
    session: Arc<Session>,
    outbox: Outbox,
    me: Me,
    policy: Policy,
    certificate: CertInfo,
}

struct Sheet {
    business: String,
    /// The file the user imported (shown).
    source: PathBuf,
    /// The file checked and sent: the source, or the grid written back after an edit.
    current: PathBuf,
    grid: Grid,
    /// Every issue of the last check, sorted by row, held compactly.
    issues: IssueList,
    summary: BatchSummary,
}

#[derive(Default)]
struct State {
    login: Option<LoggedIn>,
    /// The centre's facts cached at an earlier login, for checking a sheet without the key ([`App::offline`]).
    offline: Option<(Me, Policy)>,
    /// Checking without the key and the centre ([`App::offline_check`]): results carry what is left to check.
    basis: Option<crate::offline::OfflineBasis>,
    sheet: Option<Sheet>,
}

/// The centre as a front end with its own configuration names it (`gjj` and its gjj.toml). Without one, the
/// app reads the managed and user settings at each login.
#[derive(Clone, Debug)]
pub struct Connection {
    /// Centre URL, CA bundle, timeout.
    pub config: SessionConfig,
    /// HTTP(S) proxy, if any.
    pub proxy: Option<String>,
}

/// Whether a login may go on with the centre's facts cached at an earlier login when the centre cannot be
/// reached: a submission is then checked and queued in the outbox, and sent when the network is back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// The centre must answer (everything that shows or changes the centre's data).
    Online,
    /// Today's cached facts will do when the centre is unreachable (checking and queueing a submission).
    CachedWhenOffline,
}

/// The app.
pub struct App {
    data_dir: PathBuf,
    /// The local store (outbox, drafts, cached facts).
    store: PathBuf,
    connection: Option<Connection>,
    state: Mutex<State>,
    /// The window's native handle (HWND on Windows; 0 = none): owner of a USB-key driver's PIN dialog.
    parent_window: std::sync::atomic::AtomicIsize,
}

fn blocking_err(e: tokio::task::JoinError) -> AppError {
    AppError::new(
        "INTERNAL",
        format!("后台任务异常结束（{e}）。请重试；仍失败请在诊断页导出日志交给 IT。"),
    )
}

impl App {
    /// The app over a data directory (local store, logs, work files).
    pub fn new(data_dir: PathBuf) -> App {
        App {
            store: data_dir.join("outbox.sqlite"),
            data_dir,
            connection: None,
            state: Mutex::new(State::default()),
            parent_window: std::sync::atomic::AtomicIsize::new(0),
        }
    }

    /// The local store at `store` instead of the data directory's `outbox.sqlite`.
    pub fn with_store(mut self, store: PathBuf) -> App {
        self.store = store;
        self
    }

    /// Logins go to this centre instead of the one in the settings.
    pub fn with_connection(mut self, connection: Connection) -> App {
        self.connection = Some(connection);
        self
    }

    /// The default data directory (see [`settings::data_dir`]).
    pub fn with_default_dirs() -> App {
        let data_dir = settings::data_dir();
        // The window's start: a fixed sheet left by a run that ended without a logout (a crash, a power cut).
        // Not in `new`: `gjj` shares the data directory and must not pull the file from under a running window.
        clear_work_files(&data_dir);
        App::new(data_dir)
    }

    /// Where the log file is.
    pub fn log_file(&self) -> PathBuf {
        self.data_dir.join("logs").join("gjj-hall.log")
    }

    /// `app_info`.
    pub fn info(&self) -> AppInfo {
        AppInfo {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            data_dir: self.data_dir.display().to_string(),
            log_file: self.log_file().display().to_string(),
        }
    }

    /// `settings_get`.
    pub fn settings(&self) -> AppResult<SettingsView> {
        Ok(settings::load()?)
    }

    /// `settings_save`.
    pub fn save_settings(&self, user: &Settings) -> AppResult<SettingsView> {
        Ok(settings::save_user(user)?)
    }

    /// `keys_list`: every USB key of every driver found, without a PIN.
    pub async fn keys(&self) -> AppResult<KeyList> {
        let started = std::time::Instant::now();
        let view = settings::load()?;
        let configured: Vec<PathBuf> = view.effective.pkcs11_modules.iter().map(PathBuf::from).collect();
        // When IT fixed the driver list, only those drivers are loaded: another province's CA driver on the
        // same desk is never touched (REFERENCE §E4: driver conflicts).
        let only_configured = view.modules_locked();
        tokio::task::spawn_blocking(move || {
            let now = time::OffsetDateTime::now_utc();
            if only_configured {
                keys::discover_candidates(&keys::configured_candidates(&configured), now)
            } else {
                keys::discover(&configured, Path::new("/"), keys::Platform::current(), now)
            }
        })
        .await
        .map_err(blocking_err)
        .inspect(|list| {
            // `cargo xtask bench` reads this line to time the cold start to the login screen.
            tracing::info!(
                keys = list.keys.len(),
                ms = started.elapsed().as_millis() as u64,
                "keys listed"
            );
        })
    }

    /// The app window's native handle (HWND), so that a USB-key driver's PIN dialog opens over the window
    /// instead of behind it. Set once by the shell after the window exists.
    pub fn set_parent_window(&self, handle: isize) {
        self.parent_window
            .store(handle, std::sync::atomic::Ordering::Relaxed);
    }

    /// `login` with a USB key and its PIN (the PIN is wiped after use, never stored or logged). A key from the
    /// Windows certificate store ignores `pin`: its driver asks in its own dialog, on this blocking thread (the
    /// window stays responsive), and closing that dialog is reported as `PIN_CANCELLED`.
    pub async fn login(&self, key: KeyChoice, pin: String) -> AppResult<LoginInfo> {
        let pin = Zeroizing::new(pin);
        if key.module.starts_with(keys::STORE_MODULE_PREFIX) {
            let parent =
                Some(self.parent_window.load(std::sync::atomic::Ordering::Relaxed)).filter(|h| *h != 0);
            let credential =
                tokio::task::spawn_blocking(move || gjj_pki::winstore::login(&key.fingerprint, parent))
                    .await
                    .map_err(blocking_err)??;
            return self.login_credential(credential, Reach::Online).await;
        }
        let credential = tokio::task::spawn_blocking(move || -> AppResult<Credential> {
            let module = match gjj_pki::Driver::load(Path::new(&key.module))? {
                gjj_pki::Driver::Pkcs11(m) => m,
                // An SM2 key's SKF driver: the same PIN, then the channel-bound login (Session).
                gjj_pki::Driver::Skf(driver) => {
                    return Ok(driver.login(Some(&key.fingerprint), &pin)?.into_credential()?)
                }
            };
            let selector = TokenSelector {
                label: Some(key.label),
                certificate: Some(key.fingerprint),
            };
            Ok(module.login(&selector, &pin)?)
        })
        .await
        .map_err(blocking_err)??;
        self.login_credential(credential, Reach::Online).await
    }

    /// `login_pfx` with a soft certificate file.
    pub async fn login_pfx(&self, path: String, password: String) -> AppResult<LoginInfo> {
        let password = Zeroizing::new(password);
        let credential =
            tokio::task::spawn_blocking(move || gjj_pki::pfx::load_pfx(Path::new(&path), &password))
                .await
                .map_err(blocking_err)??;
        self.login_credential(credential, Reach::Online).await
    }

    fn connection(&self) -> AppResult<Connection> {
        if let Some(c) = &self.connection {
            return Ok(c.clone());
        }
        let effective = settings::load()?.effective;
        if effective.server.trim().is_empty() {
            return Err(AppError::new(
                "SETTINGS",
                "还没有配置中心地址。请在“设置”中填写中心地址和 CA 证书文件，或请 IT 下发统一配置。",
            ));
        }
        Ok(Connection {
            config: SessionConfig {
                server: effective.server.trim().to_owned(),
                trust: TrustBundle::from_pem_file(Path::new(&effective.ca_bundle))?,
                timeout: std::time::Duration::from_secs(300),
            },
            proxy: effective.proxy,
        })
    }

    /// Logs in with a key a front end opened (it asked for the PIN its own way): the session, the local store
    /// and the centre's facts. With [`Reach::CachedWhenOffline`], an unreachable centre leaves the facts cached
    /// at the last login.
    pub async fn login_credential(&self, credential: Credential, reach: Reach) -> AppResult<LoginInfo> {
        let connection = self.connection()?;
        let certificate = keys::cert_info(credential.identity(), time::OffsetDateTime::now_utc());
        let uscc = credential.identity().uscc.clone().unwrap_or_default();
        let session = Session::open_via(&connection.config, credential, connection.proxy.as_deref())?;
        let outbox = self.outbox().await?;
        outbox
            .purge_finished(time::OffsetDateTime::now_utc(), retention_days())
            .await?;
        let (me, policy) = match session.refresh_context(&outbox).await {
            Ok(context) => context,
            Err(e) if reach == Reach::CachedWhenOffline && e.is_retryable() => {
                let cached = outbox.cached_context(&uscc).await?.ok_or(e)?;
                tracing::info!(fetched_at = %cached.fetched_at, "centre unreachable: cached facts");
                (cached.me, cached.policy)
            }
            Err(e) => return Err(e.into()),
        };
        tracing::info!(unit = %me.unit.account, role = me.role.code(), "logged in");
        let info = LoginInfo {
            me: me.clone(),
            businesses: businesses(me.role),
            certificate: certificate.clone(),
        };
        let mut state = self.state.lock().await;
        *state = State {
            login: Some(LoggedIn {
                session: Arc::new(session),
                outbox,
                me,
                policy,
                certificate,
            }),
            offline: None,
            basis: None,
            sheet: None,
        };
        Ok(info)
    }

    async fn outbox(&self) -> AppResult<Outbox> {
        Outbox::open(&self.store)
            .await
            .map_err(|e| AppError::new(e.code(), format!("本地数据库 {}：{e}", self.store.display())))
    }

    /// Without the key: the centre's facts cached today for the unit `uscc` (its certificate read from the key
    /// without a PIN), so that a sheet can be checked offline. False when there are none from today.
    pub async fn offline(&self, uscc: &str) -> AppResult<bool> {
        let Some(cached) = self.outbox().await?.cached_context(uscc).await? else {
            return Ok(false);
        };
        let today = time::OffsetDateTime::now_utc().date().to_string();
        if !cached.fetched_at.starts_with(&today) {
            return Ok(false);
        }
        self.state.lock().await.offline = Some((cached.me, cached.policy));
        Ok(true)
    }

    /// Without the key and without the centre: checks go on with the facts cached at the latest login on this
    /// PC (of unit `uscc` when given), of any age, or the policy shipped with the app when that unit (or, without
    /// `uscc`, any unit) never logged in here: never another unit's facts. What the checks then leave to the
    /// centre is in every result ([`App::offline_report`]).
    pub async fn offline_check(&self, uscc: Option<&str>) -> AppResult<crate::offline::OfflineReport> {
        use crate::offline::OfflineBasis;
        let outbox = self.outbox().await?;
        let cached = match uscc {
            Some(u) => outbox.cached_context(u).await?,
            None => outbox.latest_cached_context().await?,
        };
        let now = time::OffsetDateTime::now_local().unwrap_or_else(|_| time::OffsetDateTime::now_utc());
        let basis = match cached {
            Some(c) => OfflineBasis::cached(c, now),
            None => OfflineBasis::shipped(now).ok_or_else(|| {
                AppError::new(
                    "NO_POLICY",
                    "本机没有缓存的政策，客户端也没有自带政策，无法离线检查。请插入 USB key 登录后检查。",
                )
            })?,
        };
        let report = basis.report("");
        tracing::info!(basis = %report.basis, policy_year = report.policy_year, "offline check");
        let mut state = self.state.lock().await;
        state.offline = None;
        state.basis = Some(basis);
        Ok(report)
    }

    /// What a check of `business` left to the centre, when it ran offline ([`App::offline_check`]); `None`
    /// after a login.
    pub async fn offline_report(&self, business: &str) -> Option<crate::offline::OfflineReport> {
        self.offline_basis().await.map(|b| b.report(business))
    }

    /// Drops the issues an offline check raised on placeholder facts (see [`crate::offline::OfflineBasis::keep`]).
    pub async fn offline_filter(&self, issues: &mut Vec<Issue>) {
        if let Some(basis) = self.offline_basis().await {
            issues.retain(|i| basis.keep(i));
        }
    }

    /// The basis of checks without the key, unless someone logged in since.
    async fn offline_basis(&self) -> Option<crate::offline::OfflineBasis> {
        let state = self.state.lock().await;
        match (&state.login, &state.basis) {
            (None, Some(basis)) => Some(basis.clone()),
            _ => None,
        }
    }

    /// The centre's facts for checking: the login's, else those cached for [`App::offline`] or
    /// [`App::offline_check`].
    pub async fn context(&self) -> AppResult<(Me, Policy)> {
        let state = self.state.lock().await;
        match (&state.login, &state.offline, &state.basis) {
            (Some(l), _, _) => Ok((l.me.clone(), l.policy.clone())),
            (None, Some(context), _) => Ok(context.clone()),
            (None, None, Some(b)) => Ok((b.me.clone(), b.policy.clone())),
            (None, None, None) => Err(AppError::not_logged_in()),
        }
    }

    /// What the key of this login is (driver, token, certificate), for `gjj whoami`.
    pub async fn key_description(&self) -> AppResult<String> {
        let (session, ..) = self.logged_in().await?;
        Ok(session.credential().key_description())
    }

    /// `logout`: forgets the session (the token session closes with it) and any sheet in progress.
    pub async fn logout(&self) {
        *self.state.lock().await = State::default();
        clear_work_files(&self.data_dir);
    }

    async fn logged_in(&self) -> AppResult<(Arc<Session>, Outbox, Me, Policy)> {
        let state = self.state.lock().await;
        let l = state.login.as_ref().ok_or_else(AppError::not_logged_in)?;
        Ok((
            l.session.clone(),
            l.outbox.clone(),
            l.me.clone(),
            l.policy.clone(),
        ))
    }

    /// `home`: the unit's facts fresh from the centre, open and returned submissions, the local queue.
    pub async fn home(&self) -> AppResult<Home> {
        let (session, outbox, _, _) = self.logged_in().await?;
        let (me, policy) = session.refresh_context(&outbox).await?;
        let submissions = session.submissions().await?;
        self.keep_only_what_is_needed(&outbox, &submissions).await?;
        let uscc = me.unit.uscc.clone();
        let pending = outbox.entries(&uscc, Some(OutboxState::Pending)).await?.len();
        if let Some(l) = self.state.lock().await.login.as_mut() {
            l.me = me.clone();
            l.policy = policy.clone();
        }
        let (open, returned) = submissions
            .into_iter()
            .filter(|s| {
                matches!(
                    s.status,
                    SubmissionStatus::Accepted | SubmissionStatus::Reviewing | SubmissionStatus::Returned
                )
            })
            .partition(|s| s.status != SubmissionStatus::Returned);
        Ok(Home {
            policy_year: policy.year,
            businesses: businesses(me.role),
            me,
            open,
            returned,
            pending_sends: pending,
        })
    }

    /// `history`: the local store joined with the centre's statuses (when reachable).
    pub async fn history(&self, filter: HistoryFilter) -> AppResult<Vec<HistoryEntry>> {
        let (session, outbox, me, _) = self.logged_in().await?;
        let entries = outbox.entries(&me.unit.uscc, None).await?;
        // Offline, the local states still show; the centre's statuses fill in when it answers.
        let statuses = session.submissions().await.unwrap_or_default();
        self.keep_only_what_is_needed(&outbox, &statuses).await?;
        let mut out: Vec<HistoryEntry> = entries
            .into_iter()
            .filter(|e| {
                filter
                    .business
                    .as_deref()
                    .is_none_or(|b| b.is_empty() || e.business == b)
            })
            .map(|e| {
                let serial = e.receipt.as_ref().map(|r| r.serial.clone());
                let view = serial
                    .as_deref()
                    .and_then(|s| statuses.iter().find(|v| v.receipt.serial == s));
                HistoryEntry {
                    business_label: business_label(&e.business),
                    month: e.created_at.get(..7).unwrap_or_default().replace('-', ""),
                    state: e.state.code(),
                    status: view.map(|v| v.status),
                    status_label: view.map(|v| v.status_label.clone()),
                    return_reason: view.and_then(|v| v.return_reason.clone()),
                    error: e.last_error.clone(),
                    has_sheet: e.has_sheet,
                    serial,
                    idempotency_key: e.idempotency_key,
                    business: e.business,
                    created_at: e.created_at,
                }
            })
            .filter(|h| {
                filter
                    .month
                    .as_deref()
                    .is_none_or(|m| m.is_empty() || h.month == m)
            })
            .collect();
        out.reverse();
        Ok(out)
    }

    /// `send_pending`: resends what is queued; returns how many are still pending.
    pub async fn send_pending(&self) -> AppResult<usize> {
        let (session, outbox, me, _) = self.logged_in().await?;
        for (entry, result) in session.resend_pending(&outbox).await? {
            if let Err(e) = result {
                tracing::info!(key = %entry.idempotency_key, code = e.code(), "still pending");
            }
        }
        Ok(outbox
            .entries(&me.unit.uscc, Some(OutboxState::Pending))
            .await?
            .len())
    }

    /// The local store's entries of the unit `uscc` (no login needed: what this PC sent or queued).
    pub async fn outbox_entries(&self, uscc: &str) -> AppResult<Vec<crate::OutboxEntry>> {
        Ok(self.outbox().await?.entries(uscc, None).await?)
    }

    /// `withdraw`.
    pub async fn withdraw(&self, serial: &str) -> AppResult<SubmissionView> {
        let (session, ..) = self.logged_in().await?;
        Ok(session.withdraw(serial).await?)
    }

    /// `receipt`: a submission's receipt and status.
    pub async fn receipt(&self, serial: &str) -> AppResult<SubmissionView> {
        let (session, outbox, ..) = self.logged_in().await?;
        let view = session.status(serial).await?;
        self.keep_only_what_is_needed(&outbox, std::slice::from_ref(&view))
            .await?;
        Ok(view)
    }

    /// Personal data kept only as long as needed: notes which submissions the centre has finished (已办结, or
    /// withdrawn after a return) and purges the payloads finished longer ago than the retention period IT set;
    /// receipts stay, and nothing the centre has not finished is touched.
    async fn keep_only_what_is_needed(&self, outbox: &Outbox, statuses: &[SubmissionView]) -> AppResult<()> {
        let finished: Vec<String> = statuses
            .iter()
            .filter(|v| matches!(v.status, SubmissionStatus::Done | SubmissionStatus::Withdrawn))
            .map(|v| v.receipt.serial.clone())
            .collect();
        outbox.record_finished(&finished).await?;
        outbox
            .purge_finished(time::OffsetDateTime::now_utc(), retention_days())
            .await?;
        Ok(())
    }

    /// `receipt_pdf_save`: the PDF receipt the centre signed, saved where the clerk chose (to file or print).
    pub async fn save_receipt_pdf(&self, serial: &str, path: &Path) -> AppResult<()> {
        let (session, ..) = self.logged_in().await?;
        let pdf = session.receipt_pdf(serial).await?;
        std::fs::write(path, pdf).map_err(|e| gjj_sheets::save_failed(path, &e))?;
        Ok(())
    }

    /// `drafts_list`.
    pub async fn drafts(&self) -> AppResult<Vec<DraftView>> {
        let (_, outbox, me, _) = self.logged_in().await?;
        // Read once, not per draft (the settings are two files).
        let retention = retention_days();
        Ok(outbox
            .drafts(&me.unit.uscc)
            .await?
            .into_iter()
            .map(|d| DraftView {
                business_label: business_label(&d.business),
                stale: is_stale(&d.updated_at, retention),
                draft: d,
            })
            .collect())
    }

    /// `draft_save`.
    pub async fn save_draft(
        &self,
        id: Option<String>,
        business: &str,
        title: &str,
        data: serde_json::Value,
    ) -> AppResult<DraftView> {
        let (_, outbox, me, _) = self.logged_in().await?;
        let draft = outbox
            .save_draft(&me.unit.uscc, id.as_deref(), business, title, &data)
            .await?;
        Ok(DraftView {
            business_label: business_label(&draft.business),
            stale: false,
            draft,
        })
    }

    /// `draft_delete`.
    pub async fn delete_draft(&self, id: &str) -> AppResult<()> {
        let (_, outbox, me, _) = self.logged_in().await?;
        Ok(outbox.delete_draft(&me.unit.uscc, id).await?)
    }

    // -----------------------------------------------------------------------------------------------------
    // Batch sheets
    // -----------------------------------------------------------------------------------------------------

    /// `template_save`: the business's template (for 汇缴: the centre's current 清册).
    pub async fn save_template(&self, business: &str, path: &Path) -> AppResult<()> {
        if business == <sheet::RemittanceSheet as sheet::Sheet>::BUSINESS {
            let (session, ..) = self.logged_in().await?;
            let list = session.remittance_list(None).await?;
            gjj_sheets::remittance::write_list(path, &list, &Default::default())?;
            return Ok(());
        }
        if business == "building" {
            // 楼栋录入's 户 list: a form business with an Excel part.
            gjj_sheets::building::write_template(path, &Default::default())?;
            return Ok(());
        }
        let batch = sheet::batch(business).ok_or_else(|| unknown_batch(business))?;
        Ok(batch.write_template(path)?)
    }

    /// `batch_import`: reads and checks the whole file off the window's thread; `progress` sees the rows.
    pub async fn batch_import(
        &self,
        business: &str,
        path: PathBuf,
        progress: impl Fn(BatchProgress) + Send + 'static,
    ) -> AppResult<BatchSummary> {
        let started = std::time::Instant::now();
        let (me, policy) = self.context().await?;
        let basis = self.offline_basis().await;
        let batch = sheet::batch(business).ok_or_else(|| unknown_batch(business))?;
        let code = business.to_owned();
        let src = path.clone();
        let (grid, issues, summary) =
            tokio::task::spawn_blocking(move || -> AppResult<(Grid, IssueList, BatchSummary)> {
                progress(stage(&code, "reading", 0));
                // One pass: the grid is filled from the cells the check reads (two readers side by side took
                // both cores twice over and held two workbooks' buffers at once).
                let mut grid = Grid::default();
                // A few updates a second are enough to see it move; each one is a repaint the import waits for.
                let mut shown = std::time::Instant::now();
                let (rows, issues) = check_compact(
                    batch,
                    &src,
                    &policy,
                    &me,
                    basis.as_ref(),
                    Some(&mut grid),
                    &mut |n| {
                        if shown.elapsed() >= PROGRESS_EVERY {
                            shown = std::time::Instant::now();
                            progress(stage(&code, "checking", n));
                        }
                    },
                )?;
                progress(stage(&code, "done", rows));
                let mut summary = summary_of(&code, &src, &grid, rows, &issues);
                summary.offline = basis.as_ref().map(|b| b.report(&code));
                Ok((grid, issues, summary))
            })
            .await
            .map_err(blocking_err)??;
        tracing::info!(
            business,
            rows = summary.rows,
            issues = summary.issue_count,
            grid_kib = grid.heap_bytes() / 1024,
            issues_kib = issues.heap_bytes() / 1024,
            // `cargo xtask bench` reads this: the app's own share of the wait the window shows.
            ms = started.elapsed().as_millis() as u64,
            "sheet imported"
        );
        let mut state = self.state.lock().await;
        // A new sheet replaces the one being fixed: its fixed copy goes.
        clear_work_files(&self.data_dir);
        let replaced = state.sheet.replace(Sheet {
            business: business.to_owned(),
            current: path.clone(),
            source: path,
            grid,
            issues,
            summary: summary.clone(),
        });
        drop(state);
        drop(replaced);
        // The import's read buffers (and any sheet it replaced) are free now, but glibc would keep their pages:
        // about 9 MiB after 100,000 rows, on top of the sheet itself. Off this thread: it walks every arena.
        tokio::task::spawn_blocking(|| {
            let released = gjj_os::release_free_memory();
            tracing::debug!(released, "free memory given back after an import");
        });
        Ok(summary)
    }

    /// `batch_rows`: a window of the grid, each row with its issues.
    pub async fn batch_rows(&self, offset: usize, limit: usize) -> AppResult<Vec<GridRowView>> {
        let state = self.state.lock().await;
        let sheet = state.sheet.as_ref().ok_or_else(AppError::no_sheet)?;
        let end = offset.saturating_add(limit.min(2000)).min(sheet.grid.len());
        Ok((offset.min(end)..end)
            .filter_map(|i| sheet.grid.row(i))
            .map(|row| {
                let issues = sheet
                    .issues
                    .of_row(row.row)
                    .map(|i| CellIssue {
                        column: i.column,
                        code: i.code.as_str(),
                        message: i.message,
                    })
                    .collect();
                GridRowView { row, issues }
            })
            .collect())
    }

    /// `batch_issues`: a page of the whole issue list (sheet-level first, then by row).
    pub async fn batch_issues(&self, offset: usize, limit: usize) -> AppResult<Vec<Issue>> {
        let state = self.state.lock().await;
        let sheet = state.sheet.as_ref().ok_or_else(AppError::no_sheet)?;
        Ok(sheet.issues.page(offset, limit.min(2000)))
    }

    /// `batch_row_index`: where Excel row `row` is in the grid.
    pub async fn batch_row_index(&self, row: u32) -> AppResult<Option<usize>> {
        let state = self.state.lock().await;
        let sheet = state.sheet.as_ref().ok_or_else(AppError::no_sheet)?;
        Ok(sheet.grid.index_of(row))
    }

    /// `batch_edit`: changes one cell, writes the grid back as a workbook and checks it again exactly as a
    /// file from Excel would be.
    pub async fn batch_edit(&self, row: u32, column: &str, value: &str) -> AppResult<BatchSummary> {
        let (me, policy) = self.context().await?;
        let basis = self.offline_basis().await;
        let mut state = self.state.lock().await;
        let sheet = state.sheet.as_mut().ok_or_else(AppError::no_sheet)?;
        if !sheet.grid.set(row, column, value) {
            return Err(AppError::new(
                "CELL_NOT_FOUND",
                format!("第 {row} 行没有“{column}”这一列。请重新导入文件后再修改。"),
            ));
        }
        let code = sheet.business.clone();
        let offline = basis.as_ref().map(|b| b.report(&code));
        let (current, _, rows, issues) = check_grid(
            &self.data_dir,
            &code,
            "edited",
            sheet.grid.clone(),
            me,
            policy,
            basis,
        )
        .await?;
        sheet.current = current;
        let origin = sheet.summary.origin.take();
        sheet.summary = summary_of(&code, &sheet.source, &sheet.grid, rows, &issues);
        sheet.summary.offline = offline;
        sheet.summary.origin = origin;
        sheet.issues = issues;
        Ok(sheet.summary.clone())
    }

    /// `submission_open`: the grid a batch submission was made from (by its idempotency key, which every line
    /// of 办理记录 has, or its 业务流水号) back in the batch workspace, checked again with this login's facts as
    /// after an import; `batch_rows` / `batch_issues` / `batch_edit` then work on it. The summary's `origin`
    /// says which submission it was and whether it may be submitted again (only after a refusal, a return or a
    /// withdrawal: as a new submission).
    pub async fn submission_open(&self, id: &str) -> AppResult<BatchSummary> {
        let (session, outbox, me, policy) = self.logged_in().await?;
        let entry = outbox.entry(&me.unit.uscc, id).await?.ok_or_else(|| {
            AppError::new(
                "SUBMISSION_NOT_FOUND",
                "本机的办理记录中没有这笔业务。请在“办理记录”中刷新后重试。",
            )
        })?;
        let stored = outbox.sheet(&entry.idempotency_key).await?.ok_or_else(|| {
            AppError::new(
                "SHEET_NOT_KEPT",
                "这笔业务没有保存提交时的表格（不是 Excel 批量业务、由较早版本的客户端提交，或已超过保留期限被清除）。\
                 如需再次办理，请重新导入 Excel 文件。",
            )
        })?;
        let origin = origin_of(&session, &outbox, &entry).await?;
        let code = stored.business.clone();
        // Its own work file: the sheet being fixed keeps its fixed copy until this one has replaced it.
        let (current, grid, rows, issues) =
            check_grid(&self.data_dir, &code, "reopened", stored.grid, me, policy, None)
                .await
                .inspect_err(|_| {
                    let _ = std::fs::remove_file(
                        self.data_dir.join("work").join(format!("{code}-reopened.xlsx")),
                    );
                })?;
        let source = PathBuf::from(&stored.file_name);
        let mut summary = summary_of(&code, &source, &grid, rows, &issues);
        summary.origin = Some(origin);
        tracing::info!(
            business = %code,
            rows = summary.rows,
            issues = summary.issue_count,
            "submitted sheet reopened"
        );
        let mut state = self.state.lock().await;
        // A new sheet replaces the one being fixed: its fixed copy goes.
        if let Some(old) = &state.sheet {
            if old.current != current && old.current.starts_with(self.data_dir.join("work")) {
                let _ = std::fs::remove_file(&old.current);
            }
        }
        state.sheet = Some(Sheet {
            business: code,
            source,
            current,
            grid,
            issues,
            summary: summary.clone(),
        });
        Ok(summary)
    }

    /// `batch_export_issues`: the issue list as a workbook for whoever fills the sheet.
    pub async fn batch_export_issues(&self, path: &Path) -> AppResult<()> {
        let state = self.state.lock().await;
        let sheet = state.sheet.as_ref().ok_or_else(AppError::no_sheet)?;
        let source = sheet
            .source
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(gjj_sheets::write_issues(sheet.issues.iter(), &source, path)?)
    }

    /// `batch_save_sheet`: the sheet as it is now (with fixes made in the app).
    pub async fn batch_save_sheet(&self, path: &Path) -> AppResult<()> {
        let state = self.state.lock().await;
        let sheet = state.sheet.as_ref().ok_or_else(AppError::no_sheet)?;
        Ok(gjj_sheets::write_grid(&sheet.grid, path)?)
    }

    /// `batch_submit`: checks the current sheet once more, signs it with the key, sends it; the receipt.
    pub async fn batch_submit(
        &self,
        progress: impl Fn(BatchProgress) + Send + 'static,
    ) -> AppResult<Receipt> {
        let (session, outbox, me, policy) = self.logged_in().await?;
        let (code, file, kept, origin) = {
            let state = self.state.lock().await;
            let sheet = state.sheet.as_ref().ok_or_else(AppError::no_sheet)?;
            let kept = SubmittedSheet {
                business: sheet.business.clone(),
                file_name: file_name(&sheet.source),
                grid: sheet.grid.clone(),
            };
            (
                sheet.business.clone(),
                sheet.current.clone(),
                kept,
                sheet.summary.origin.clone(),
            )
        };
        // A grid that was a submission goes again only when that one was refused, returned or withdrawn: asked
        // again now (it may have been withdrawn since it was reopened, or accepted since it was queued).
        if let Some(origin) = origin {
            let entry = outbox.entry(&me.unit.uscc, &origin.idempotency_key).await?;
            let blocked = match entry {
                Some(entry) => origin_of(&session, &outbox, &entry).await?.submit_blocked,
                None => origin.submit_blocked,
            };
            if let Some(reason) = blocked {
                return Err(AppError::new("RESUBMIT_NOT_ALLOWED", reason));
            }
        }
        let batch = sheet::batch(&code).ok_or_else(|| unknown_batch(&code))?;
        let unit = me.unit.clone();
        let today = me.today;
        let c = code.clone();
        let (checked, progress) = tokio::task::spawn_blocking(move || {
            progress(stage(&c, "checking", 0));
            let checked = batch.check(
                &file,
                sheet::Facts {
                    policy: &policy,
                    unit: &unit,
                    today,
                },
                true,
                Alongside::default(),
                &mut |n| {
                    progress(stage(&c, "checking", n));
                },
            );
            (checked, progress)
        })
        .await
        .map_err(blocking_err)?;
        let checked = checked?;
        if !checked.issues.is_empty() {
            progress(stage(&code, "failed", checked.rows));
            let count = checked.issues.len();
            let mut issues = checked.issues;
            issues.truncate(SUMMARY_ISSUES);
            return Err(AppError::rules(
                "SHEET_HAS_ISSUES",
                format!("文件还有 {count} 处问题，没有提交任何内容。请改正后再提交。"),
                issues,
            ));
        }
        let payload = checked.payload.unwrap_or_default();
        progress(stage(&code, "sending", checked.rows));
        // The grid goes with it (sealed beside the payload), so that 办理记录 can reopen it.
        let result = session
            .submit_with_sheet(&outbox, &code, &payload, checked.valid_rows, Some(&kept))
            .await;
        let Submitted::Accepted { receipt, .. } = result.inspect_err(|_| {
            progress(stage(&code, "failed", checked.rows));
        })?;
        progress(stage(&code, "done", checked.rows));
        tracing::info!(business = %code, serial = %receipt.serial, rows = receipt.accepted_rows, "submitted");
        // The fixed copy has done its job: the outbox holds what was sent, sealed.
        clear_work_files(&self.data_dir);
        // The grid still in the workspace is this submission now: submitting it again would send it twice.
        if let Some(sheet) = self.state.lock().await.sheet.as_mut() {
            let status = SubmissionStatus::Accepted;
            sheet.summary.origin = Some(SheetOrigin {
                idempotency_key: receipt.idempotency_key.clone(),
                serial: Some(receipt.serial.clone()),
                state: OutboxState::Sent.code(),
                status: Some(status),
                status_label: status.label().to_owned(),
                submitted_at: receipt.received_at.clone(),
                submit_blocked: blocked_reason(OutboxState::Sent, Some(&receipt.serial), Some(status)),
            });
        }
        Ok(receipt)
    }

    // -----------------------------------------------------------------------------------------------------
    // Forms
    // -----------------------------------------------------------------------------------------------------

    /// `form_current`: the centre's current values a form starts from.
    pub async fn form_current(&self, business: &str, key: Option<&str>) -> AppResult<serde_json::Value> {
        let (session, _, me, _) = self.logged_in().await?;
        let value = match business {
            "unit_change" => serde_json::to_value(session.unit().await?),
            "rate_adjustment" => Ok(serde_json::json!({
                "unit_rate": me.unit.unit_rate,
                "person_rate": me.unit.person_rate,
                "effective_month": me.today,
            })),
            "contributor_change" => {
                let account =
                    key.ok_or_else(|| AppError::new("FORM_KEY", "请先填写要变更的职工的个人账号。"))?;
                serde_json::to_value(session.employee(account).await?)
            }
            _ => Ok(serde_json::Value::Null),
        };
        value.map_err(|e| AppError::new("PROTOCOL", e.to_string()))
    }

    /// `form_validate`: the centre's rules on the form as it stands; `[]` when acceptable.
    pub async fn form_validate(&self, business: &str, data: serde_json::Value) -> AppResult<Vec<Issue>> {
        let (session, _, me, policy) = self.logged_in().await?;
        Ok(
            match forms::prepare(&session, &me, &policy, business, data).await? {
                Ok(_) => Vec::new(),
                Err(issues) => issues,
            },
        )
    }

    /// `form_submit`: validates, signs and sends a form; the receipt.
    pub async fn form_submit(&self, business: &str, data: serde_json::Value) -> AppResult<Receipt> {
        Ok(self.form_send(business, data).await?.0)
    }

    // -----------------------------------------------------------------------------------------------------
    // Developer hall
    // -----------------------------------------------------------------------------------------------------

    /// `projects`.
    pub async fn projects(&self) -> AppResult<Vec<gjj_domain::project::ProjectView>> {
        let (session, ..) = self.logged_in().await?;
        Ok(session.projects().await?)
    }

    /// `project_draft`: saves an unsigned draft at the centre.
    pub async fn project_draft(
        &self,
        project: serde_json::Value,
        id: Option<String>,
    ) -> AppResult<gjj_domain::project::ProjectView> {
        let (session, ..) = self.logged_in().await?;
        let mut project: gjj_domain::project::Project =
            serde_json::from_value(project).map_err(|e| AppError::new("FORM_INVALID", e.to_string()))?;
        if id.is_some() {
            project.project_id = id;
        }
        // A draft need not be complete, but what it holds must be well-formed.
        if let Err(issues) = gjj_domain::project::check_draft(&project) {
            return Err(AppError::rules(
                "RULES_VIOLATED",
                format!(
                    "填写内容有 {} 处不符合规定，未保存。请按问题清单修改后重新保存。",
                    issues.len()
                ),
                issues,
            ));
        }
        Ok(session.project_draft(&project).await?)
    }

    /// `material_upload`: a file attached to a project (resumable, checked by content).
    pub async fn material_upload(
        &self,
        project: &str,
        kind: &str,
        path: &Path,
        building: Option<&str>,
    ) -> AppResult<gjj_domain::project_material::Material> {
        Ok(self.upload(project, kind, path, building).await?.receipt.material)
    }

    /// `materials`.
    pub async fn materials(&self, project: &str) -> AppResult<Vec<gjj_domain::project_material::Material>> {
        let (session, ..) = self.logged_in().await?;
        Ok(session.materials(project).await?)
    }

    /// `code_table`: a code table for a select, as (code, label).
    pub fn code_table(&self, name: &str) -> AppResult<Vec<(String, String)>> {
        forms::code_table(name)
            .ok_or_else(|| AppError::new("UNKNOWN_CODE_TABLE", format!("没有名为 {name} 的代码表。")))
    }

    // -----------------------------------------------------------------------------------------------------
    // Diagnostics
    // -----------------------------------------------------------------------------------------------------

    /// `doctor`: the same checks as `gjj doctor`, with the logged-in session when there is one.
    pub async fn doctor(&self) -> AppResult<doctor::DoctorReport> {
        let effective = settings::load()?.effective;
        let keys = self.keys().await?;
        let session = self.state.lock().await.login.as_ref().map(|l| l.session.clone());
        Ok(doctor::run(&effective, &keys, session.as_deref()).await)
    }

    /// `logs_export`: a copy of the log (PINs are never logged; ID numbers are masked when written).
    pub async fn export_logs(&self, path: &Path) -> AppResult<()> {
        let log = self.log_file();
        let text = tokio::fs::read_to_string(&log).await.unwrap_or_default();
        let header = format!(
            "公积金网厅 {} 日志导出 {}\n数据目录：{}\n\n",
            env!("CARGO_PKG_VERSION"),
            time::OffsetDateTime::now_utc(),
            self.data_dir.display()
        );
        tokio::fs::write(path, header + &gjj_domain::ids::mask_id_numbers_in(&text))
            .await
            .map_err(|e| AppError::io("写入日志文件", path, e))
    }

    /// The certificate in use, when logged in.
    pub async fn certificate(&self) -> Option<CertInfo> {
        self.state
            .lock()
            .await
            .login
            .as_ref()
            .map(|l| l.certificate.clone())
    }
}

fn stage(business: &str, stage: &'static str, rows: u32) -> BatchProgress {
    BatchProgress {
        business: business.to_owned(),
        stage,
        rows,
        message: None,
    }
}

/// `issues` sorted by row (sheet-level, row 0, first).
fn summary_of(business: &str, source: &Path, grid: &Grid, rows: u32, issues: &IssueList) -> BatchSummary {
    BatchSummary {
        business: business.to_owned(),
        file: source.display().to_string(),
        columns: grid.columns.clone(),
        header_row: grid.header_row,
        rows,
        clean: issues.is_empty(),
        issue_count: issues.len(),
        rows_with_issues: issues.rows_with_issues(),
        issues: issues.page(0, SUMMARY_ISSUES),
        offline: None,
        origin: None,
    }
}

/// A batch check as the workspace holds it: the data rows and the issues, compact (taken as the import finds them,
/// those `basis` keeps when offline); with `grid`, the grid filled on the same pass.
fn check_compact(
    batch: &dyn sheet::BatchSheet,
    file: &Path,
    policy: &Policy,
    me: &Me,
    basis: Option<&crate::offline::OfflineBasis>,
    grid: Option<&mut Grid>,
    progress: &mut dyn FnMut(u32),
) -> Result<(u32, IssueList), gjj_sheets::SheetError> {
    let mut list = IssueList::default();
    let mut keep = |found: &mut Vec<Issue>| {
        list.extend(found.drain(..).filter(|i| basis.is_none_or(|b| b.keep(i))));
    };
    let alongside = Alongside {
        grid,
        drain: Some(&mut keep),
    };
    let facts = sheet::Facts {
        policy,
        unit: &me.unit,
        today: me.today,
    };
    let mut checked = batch.check(file, facts, false, alongside, progress)?;
    keep(&mut checked.issues);
    list.finish();
    Ok((checked.rows, list))
}

/// Writes `grid` as a workbook in the work directory and checks it exactly as a file from Excel would be (the
/// path of an edit and of a reopened submission): the file written, the grid, the data rows and the issues.
async fn check_grid(
    data_dir: &Path,
    code: &str,
    purpose: &str,
    grid: Grid,
    me: Me,
    policy: Policy,
    basis: Option<crate::offline::OfflineBasis>,
) -> AppResult<(PathBuf, Grid, u32, IssueList)> {
    let work = data_dir.join("work");
    std::fs::create_dir_all(&work).map_err(|e| AppError::io("创建工作目录", &work, e))?;
    let current = work.join(format!("{code}-{purpose}.xlsx"));
    let batch = sheet::batch(code).ok_or_else(|| unknown_batch(code))?;
    let file = current.clone();
    let (grid, rows, issues) = tokio::task::spawn_blocking(move || -> AppResult<_> {
        gjj_sheets::write_grid(&grid, &file)?;
        let (rows, issues) = check_compact(batch, &file, &policy, &me, basis.as_ref(), None, &mut |_| {})?;
        Ok((grid, rows, issues))
    })
    .await
    .map_err(blocking_err)??;
    Ok((current, grid, rows, issues))
}

/// Where an outbox entry stands now (the centre asked when it has a 流水号) and whether its grid may be submitted
/// again.
async fn origin_of(session: &Session, outbox: &Outbox, entry: &crate::OutboxEntry) -> AppResult<SheetOrigin> {
    let serial = entry.receipt.as_ref().map(|r| r.serial.clone());
    let view = match &serial {
        Some(s) => match session.status(s).await {
            Ok(view) => {
                // A status read here counts like one read by 办理记录 (finished → retention).
                if matches!(view.status, SubmissionStatus::Done | SubmissionStatus::Withdrawn) {
                    outbox.record_finished(std::slice::from_ref(s)).await?;
                }
                Some(view)
            }
            // The centre not reached: the grid opens, but cannot go again until its status is known.
            Err(e) if e.is_retryable() => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let status = view.as_ref().map(|v| v.status);
    let status_label = match (entry.state, &view) {
        (_, Some(v)) => v.status_label.clone(),
        (OutboxState::Pending, None) => "待发送".to_owned(),
        (OutboxState::Rejected, None) => "被拒绝".to_owned(),
        (OutboxState::Sent, None) => "已发送（暂时无法查询中心状态）".to_owned(),
    };
    Ok(SheetOrigin {
        idempotency_key: entry.idempotency_key.clone(),
        submit_blocked: blocked_reason(entry.state, serial.as_deref(), status),
        serial,
        state: entry.state.code(),
        status,
        status_label,
        submitted_at: entry.created_at.clone(),
    })
}

/// Why a submission's grid cannot be submitted again (`None`: refused, returned or withdrawn — it may go again,
/// as a new submission under a new idempotency key).
fn blocked_reason(
    state: OutboxState,
    serial: Option<&str>,
    status: Option<SubmissionStatus>,
) -> Option<String> {
    let serial = serial.unwrap_or("—");
    match (state, status) {
        (OutboxState::Rejected, _) => None,
        (OutboxState::Pending, _) => Some(
            "此笔业务尚未送达中心（待发送），网络恢复后会自动重发，不能再次提交。".to_owned(),
        ),
        (OutboxState::Sent, Some(SubmissionStatus::Returned | SubmissionStatus::Withdrawn)) => None,
        (OutboxState::Sent, Some(SubmissionStatus::Accepted)) => Some(format!(
            "此笔业务已受理（流水号 {serial}），不能再次提交。如需更正，请先在办理记录中撤回。"
        )),
        (OutboxState::Sent, Some(SubmissionStatus::Reviewing)) => Some(format!(
            "此笔业务中心正在审核（流水号 {serial}），不能再次提交。如需更正，请等待审核结果或联系中心退回。"
        )),
        (OutboxState::Sent, Some(SubmissionStatus::Done)) => Some(format!(
            "此笔业务已办结（流水号 {serial}），不能再次提交。如有新的变动，请导入新的表格办理。"
        )),
        (OutboxState::Sent, None) => Some(format!(
            "暂时无法向中心查询此笔业务（流水号 {serial}）的状态，不能再次提交。请联网后在办理记录中重新打开。"
        )),
    }
}

/// The file name of `path` (what the window shows of it).
fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn unknown_batch(business: &str) -> AppError {
    AppError::new(
        "UNKNOWN_BUSINESS",
        format!("“{business}”不是 Excel 导入类业务。请从首页的业务菜单进入。"),
    )
}

/// The retention period IT set (managed `retention_days`), else the default.
fn retention_days() -> u32 {
    settings::load().map_or(settings::DEFAULT_RETENTION_DAYS, |v| v.retention_days)
}

/// Saved longer ago than `retention_days`.
fn is_stale(updated_at: &str, retention_days: u32) -> bool {
    let Ok(at) = time::OffsetDateTime::parse(updated_at, &time::format_description::well_known::Rfc3339)
    else {
        return false;
    };
    time::OffsetDateTime::now_utc() - at > time::Duration::days(i64::from(retention_days))
}

/// Removes the sheets written while fixing cells in the window (`work/`): they hold the unit's people in plain
/// text and are needed only until the sheet is sent or dropped.
fn clear_work_files(data_dir: &Path) {
    let work = data_dir.join("work");
    if work.is_dir() {
        if let Err(e) = std::fs::remove_dir_all(&work) {
            tracing::warn!(error = %e, "work files not removed");
        }
    }
}

fn business_label(code: &str) -> String {
    Business::ALL
        .iter()
        .find(|b| b.code() == code)
        .map_or_else(|| code.to_owned(), |b| b.label().to_owned())
}

mod centre;
mod files;
mod form_fields;
mod forms;
mod issues;
pub use files::{CheckedFile, FileSubmission, RemittanceCheck, Resent};
pub use form_fields::{form_fields, FieldOptions, FormField};
pub use forms::{person_field_masked, unit_field_masked, FormCheck};
pub use issues::IssueList;

#[cfg(test)]
mod tests {
    use super::*;

    /// The workspace's check takes the issues as the import finds them (every `DRAIN_AT`, through the rules):
    /// on a sheet with a problem on every row it ends with exactly the issues of the whole list, kept and sorted.
    #[test]
    fn a_check_taken_in_chunks_finds_what_the_whole_list_holds() {
        use gjj_domain::base_adjustment::col;
        use gjj_domain::money::Fen;
        use gjj_sheets::Prefill;
        let basis =
            crate::offline::OfflineBasis::shipped(time::OffsetDateTime::now_utc()).expect("shipped policy");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("基数调整.xlsx");
        let people: Vec<(String, String)> = (0..3000u32)
            .map(|i| {
                // Every row breaks a rule (above the base ceiling); every 7th repeats an account, and the ID
                // numbers repeat after 1,000 rows (the duplicate rules report at the end, after the rows).
                let account = format!("43{:010}", if i % 7 == 0 { 1 } else { i });
                let first17 = format!("43040519880315{:03}", i % 1000);
                let id = format!(
                    "{first17}{}",
                    gjj_domain::ids::id_check_char(&first17).unwrap_or('X')
                );
                (account, id)
            })
            .collect();
        let rows: Vec<Vec<(&str, Prefill<'_>)>> = people
            .iter()
            .map(|(account, id)| {
                vec![
                    (col::ACCOUNT, Prefill::Text(account)),
                    (col::NAME, Prefill::Text("张三")),
                    (col::ID_NUMBER, Prefill::Text(id)),
                    (col::NEW_BASE, Prefill::Money(Fen(3_000_000))),
                    (col::EFFECTIVE_MONTH, Prefill::Text("202607")),
                ]
            })
            .collect();
        gjj_sheets::base_adjustment::write_prefilled(&path, &Default::default(), &rows).expect("sheet");
        let batch = sheet::batch("base_adjustment").expect("batch business");
        let whole = batch
            .check(
                &path,
                sheet::Facts {
                    policy: &basis.policy,
                    unit: &basis.me.unit,
                    today: basis.me.today,
                },
                false,
                Alongside::default(),
                &mut |_| {},
            )
            .expect("check");
        let mut expected: Vec<Issue> = whole.issues.into_iter().filter(|i| basis.keep(i)).collect();
        expected.sort_by_key(|i| i.row);
        assert!(
            expected.len() > 2 * gjj_sheets::DRAIN_AT,
            "{} issues",
            expected.len()
        );
        let (rows, list) = check_compact(
            batch,
            &path,
            &basis.policy,
            &basis.me,
            Some(&basis),
            None,
            &mut |_| {},
        )
        .expect("check");
        assert_eq!(rows, whole.rows);
        assert_eq!(list.iter().collect::<Vec<_>>(), expected);
    }

    #[test]
    fn each_hall_gets_its_own_businesses_with_the_right_kind() {
        let employer = businesses(Role::Employer);
        let developer = businesses(Role::Developer);
        assert!(employer.iter().all(|b| b.hall == Role::Employer));
        assert!(developer.iter().all(|b| b.hall == Role::Developer));
        let kind = |list: &[BusinessInfo], code: &str| list.iter().find(|b| b.code == code).map(|b| b.kind);
        assert_eq!(kind(&employer, "base_adjustment"), Some("batch"));
        assert_eq!(kind(&employer, "rate_adjustment"), Some("form"));
        assert_eq!(kind(&developer, "loan_application"), Some("batch"));
        assert_eq!(kind(&developer, "project_material"), Some("upload"));
        assert_eq!(kind(&developer, "project"), Some("form"));
        assert!(businesses(Role::Staff).is_empty());
    }

    #[test]
    fn errors_carry_code_message_and_issues() {
        let e = AppError::from(ClientError::Network("refused".into()));
        assert_eq!(e.code, "NETWORK");
        let json = serde_json::to_value(&e).unwrap_or_default();
        assert_eq!(json["code"], "NETWORK");
        assert!(json["issues"].as_array().is_some_and(Vec::is_empty));
        assert_eq!(AppError::not_logged_in().code, "NOT_LOGGED_IN");
    }
}
