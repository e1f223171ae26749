//! The /api/v1 router: one module per area, one shared state, one error type, one caller extractor.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use gjj_domain::api::Role;
use gjj_domain::month::Month;
use time::{OffsetDateTime, UtcOffset};

use crate::audit::{AuditEvent, AuditLog};
use crate::config::Limits;
use crate::db::{Db, UnitRecord};
use crate::tls::{ChannelLogin, Peer, Remote, TlsState};

mod base_adjustment;
mod building;
mod contributor_change;
mod contributor_registration;
pub mod error;
mod intake;
pub(crate) mod loan_application;
mod me;
pub(crate) mod project;
mod project_material;
mod rate_adjustment;
mod remittance;
mod review;
mod seal;
mod sm2_login;
mod submissions;
mod supplementary;
pub(crate) mod unit_change;
mod unseal;

pub use error::HttpError;

/// Shared by every handler.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// Request limits.
    pub limits: Limits,
    /// The centre's UTC offset: "this month" is the centre's month.
    pub offset: UtcOffset,
    /// The CA bundle and CRLs in force (the SM2 login checks SM2 certificates against them).
    pub tls: Arc<TlsState>,
    /// The receipt seal, when configured.
    pub receipts: Option<Arc<crate::receipts::ReceiptSeal>>,
    /// Requests per certificate.
    pub rate: RateLimit,
    /// Where refusals go.
    pub audit: AuditLog,
    /// Permits for requests handled at once (`max_in_flight`).
    pub in_flight: Arc<tokio::sync::Semaphore>,
}

type Limiter = governor::DefaultKeyedRateLimiter<[u8; 32]>;

/// The per-certificate request rate limit (GCRA: `rate_per_second` on average, `rate_burst` at once). Kept per
/// gateway instance: behind a balancer a certificate's connection stays on one instance, so the limit holds
/// for it.
#[derive(Clone, Debug)]
pub struct RateLimit(Arc<Limiter>);

impl RateLimit {
    /// The limiter of the configured limits.
    pub fn new(limits: &Limits) -> RateLimit {
        let per_second = NonZeroU32::new(limits.rate_per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(limits.rate_burst).unwrap_or(per_second);
        RateLimit(Arc::new(governor::RateLimiter::keyed(
            governor::Quota::per_second(per_second).allow_burst(burst),
        )))
    }

    /// Ok, or how long the certificate must wait.
    fn check(&self, key: &[u8; 32]) -> Result<(), Duration> {
        use governor::clock::{Clock, DefaultClock};
        self.0
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Forgets certificates that have been quiet (the limiter's memory stays bounded by active ones).
    fn forget_quiet(&self) {
        self.0.retain_recent();
        self.0.shrink_to_fit();
    }
}

impl AppState {
    /// The centre's current time.
    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc().to_offset(self.offset)
    }

    /// The centre's current month: the "today" of every month rule.
    pub fn today(&self) -> Month {
        let now = self.now();
        Month::new(now.year(), u32::from(u8::from(now.month())))
            .unwrap_or_else(|| Month::new(2000, 1).expect("valid month"))
    }
}

/// The router with every /api/v1 route.
pub fn app(state: AppState) -> Router {
    let timeout = Duration::from_secs(state.limits.request_timeout_secs);
    let body_limit = state.limits.max_body_bytes;
    Router::new()
        .route("/api/v1/sm2/challenge", post(sm2_login::challenge))
        .route("/api/v1/sm2/login", post(sm2_login::login))
        .route("/api/v1/me", get(me::me))
        .route("/api/v1/policy", get(me::policy))
        .route("/api/v1/employees", get(me::employees))
        .route("/api/v1/employees/{account}", get(contributor_change::show))
        .route("/api/v1/contributor_change", post(contributor_change::submit))
        .route("/api/v1/base_adjustment", post(base_adjustment::submit))
        .route(
            "/api/v1/contributor_registration",
            post(contributor_registration::submit),
        )
        .route("/api/v1/unit", get(unit_change::show))
        .route("/api/v1/unit_change", post(unit_change::submit))
        .route("/api/v1/rate_adjustment", post(rate_adjustment::submit))
        .route("/api/v1/seal", post(seal::submit))
        .route("/api/v1/unseal", post(unseal::submit))
        .route("/api/v1/remittance/list", get(remittance::list))
        .route("/api/v1/remittance", post(remittance::submit))
        .route("/api/v1/supplementary", post(supplementary::submit))
        // 补充项目材料: chunks have their own body limit (one chunk); the JSON routes stay small.
        .route(
            "/api/v1/project_material/uploads",
            post(project_material::declare).layer(DefaultBodyLimit::max(project_material::JSON_BODY_LIMIT)),
        )
        .route(
            "/api/v1/project_material/uploads/{id}/chunks/{index}",
            put(project_material::put_chunk).layer(DefaultBodyLimit::max(project_material::CHUNK_BODY_LIMIT)),
        )
        .route(
            "/api/v1/project_material/uploads/{id}/complete",
            post(project_material::complete).layer(DefaultBodyLimit::max(project_material::JSON_BODY_LIMIT)),
        )
        .route("/api/v1/project_material", get(project_material::list))
        .route(
            "/api/v1/project_material/{id}/content",
            get(project_material::content),
        )
        .route("/api/v1/project/draft", post(project::draft))
        .route("/api/v1/project", post(project::submit))
        .route("/api/v1/projects", get(project::list))
        .route("/api/v1/projects/{id}", get(project::show))
        .route("/api/v1/building", post(building::submit))
        .route("/api/v1/loan_application", post(loan_application::submit))
        .route("/api/v1/submissions", get(submissions::list))
        .route("/api/v1/submissions/{serial}", get(submissions::show))
        .route("/api/v1/submissions/{serial}/receipt", get(submissions::receipt))
        .route(
            "/api/v1/submissions/{serial}/receipt.pdf",
            get(submissions::receipt_pdf),
        )
        .route("/api/v1/submissions/{serial}/withdraw", post(review::withdraw))
        .route("/api/v1/review/pending", get(review::pending))
        .route("/api/v1/review/{serial}/start", post(review::start))
        .route("/api/v1/review/{serial}/approve", post(review::approve))
        .route("/api/v1/review/{serial}/return", post(review::return_))
        .fallback(|| async {
            HttpError::new(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                "没有这个接口。请确认客户端版本与中心接口版本一致。",
            )
        })
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            request_timeout(timeout, req, next)
        }))
        .layer(middleware::from_fn_with_state(state.clone(), admit))
        .layer(middleware::from_fn_with_state(state.clone(), rate_limit))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// Lets at most `max_in_flight` requests run at once; the others wait here, before their body is read.
async fn admit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Ok(_permit) = state.in_flight.clone().acquire_owned().await else {
        return next.run(req).await;
    };
    let _running = crate::tls::Gauge::up(metrics::gauge!("gjj_requests_in_flight"));
    next.run(req).await
}

/// Refuses a certificate's request above its rate with 429, a Retry-After, and words a clerk understands.
async fn rate_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let peer = connection_peer(req.extensions());
    let Some(peer) = peer else {
        return next.run(req).await;
    };
    match state.rate.check(&peer.fingerprint) {
        Ok(()) => next.run(req).await,
        Err(wait) => {
            let secs = wait.as_secs().max(1);
            let mut resp = HttpError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "RATE_LIMITED",
                format!("操作过于频繁，中心暂时没有受理这次请求。请等待 {secs} 秒后再试；已经提交成功的业务不受影响。"),
            )
            .into_response();
            if let Ok(v) = axum::http::HeaderValue::from_str(&secs.to_string()) {
                resp.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
            }
            resp
        }
    }
}

/// Every request: its count and latency by route, and for every answer ≥ 400 its code in the metrics and an
/// audit event (who, what, when, why).
async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "(none)".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let remote = req.extensions().get::<Remote>().map(|r| r.0.to_string());
    let peer = connection_peer(req.extensions());
    let resp = next.run(req).await;
    let status = resp.status();
    metrics::counter!("gjj_requests_total", "route" => route.clone(), "status" => status.as_str().to_owned())
        .increment(1);
    metrics::histogram!("gjj_request_duration_seconds", "route" => route.clone())
        .record(started.elapsed().as_secs_f64());
    if status.as_u16() >= 400 {
        let (code, message) = resp.extensions().get::<error::ErrorCode>().map_or_else(
            || (format!("HTTP_{}", status.as_u16()), String::new()),
            |c| (c.code.clone(), c.message.clone()),
        );
        metrics::counter!("gjj_refusals_total", "code" => code.clone()).increment(1);
        // No database read here: a flood of refusals must not become a flood of queries. The audit query
        // finds the unit from the USCC.
        state.audit.record(AuditEvent {
            listener: "api",
            remote: remote.unwrap_or_default(),
            code,
            status: Some(status.as_u16()),
            method: Some(method),
            route: Some(route),
            cert_serial: peer.as_ref().map(|p| p.identity.serial.clone()),
            cert_subject: peer.as_ref().map(|p| {
                crate::tls::clip(
                    &format!("CN={}, O={}", p.identity.common_name, p.identity.name),
                    512,
                )
            }),
            uscc: peer.as_ref().and_then(|p| p.identity.uscc.clone()),
            detail: crate::tls::clip(&message, 512),
        });
    }
    resp
}

/// The certificate a request comes with: the connection's, or the SM2 login made on it.
fn connection_peer(ext: &axum::http::Extensions) -> Option<Arc<Peer>> {
    ext.get::<Arc<Peer>>()
        .cloned()
        .or_else(|| ext.get::<Arc<ChannelLogin>>().and_then(|l| l.peer.get().cloned()))
}

/// Forgets quiet certificates' rate state every minute.
pub async fn forget_quiet(rate: RateLimit) {
    loop {
        tokio::time::sleep(Duration::from_secs(60)).await;
        rate.forget_quiet();
    }
}

/// Cuts off a request that is not finished in time (e.g. a half-sent body) with a clear error.
async fn request_timeout(limit: Duration, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => HttpError::new(
            StatusCode::REQUEST_TIMEOUT,
            "REQUEST_TIMEOUT",
            "请求在规定时间内没有传完，中心未受理。请检查网络后重新提交（重新提交不会重复受理）。",
        )
        .into_response(),
    }
}

/// The caller: the verified certificate and the unit the centre binds it to.
#[derive(Debug)]
pub struct Caller {
    /// The connection's certificate.
    pub peer: Arc<Peer>,
    /// The unit, from the centre's own records.
    pub unit: UnitRecord,
}

impl Caller {
    /// Refuses callers of another hall.
    pub fn require(&self, role: Role) -> Result<(), HttpError> {
        if self.unit.role == role {
            Ok(())
        } else {
            Err(HttpError::new(
                StatusCode::FORBIDDEN,
                "ROLE_FORBIDDEN",
                format!(
                    "此业务属于{}网厅，当前证书属于{}网厅，无权办理。请使用对应的证书登录。",
                    role.label(),
                    self.unit.role.label()
                ),
            ))
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // The mTLS certificate, or the SM2 login made on this very connection.
        let peer = connection_peer(&parts.extensions).ok_or_else(|| {
            HttpError::new(
                StatusCode::UNAUTHORIZED,
                "CERT_REQUIRED",
                "需要使用 USB key 证书登录。请在登录页选择 USB key 并输入 PIN。",
            )
        })?;
        let unit = unit_of(state, &peer).await?;
        Ok(Caller { peer, unit })
    }
}

/// The unit the centre binds a certificate to, by the 统一社会信用代码 in it.
async fn unit_of(state: &AppState, peer: &Peer) -> Result<UnitRecord, HttpError> {
    let Some(uscc) = peer.identity.uscc.clone() else {
        return Err(HttpError::new(
            StatusCode::FORBIDDEN,
            "CERT_NO_USCC",
            "证书中没有统一社会信用代码，无法确定所属单位。请联系证书颁发机构核对证书信息。",
        ));
    };
    if gjj_domain::ids::check_uscc(&uscc).is_err() {
        return Err(HttpError::new(
            StatusCode::FORBIDDEN,
            "CERT_USCC_INVALID",
            format!("证书中的统一社会信用代码 {uscc} 校验位不正确，不是有效的代码。请联系证书颁发机构核对并重新签发证书。"),
        ));
    }
    let unit = state.db.unit_by_uscc(&uscc).await?.ok_or_else(|| {
        HttpError::new(
            StatusCode::FORBIDDEN,
            "UNIT_UNKNOWN",
            format!("证书对应的单位（统一社会信用代码 {uscc}）未在中心登记。请先到中心办理单位登记或核对证书信息。"),
        )
    })?;
    // The code names one unit, the certificate's name another registered unit: the certificate is not what
    // it claims, whichever part is wrong. (A name no unit has — an old name after 单位信息变更 — is fine.)
    let named = &peer.identity.name;
    if !same_name(named, &unit.facts.name) {
        if let Some(other) = state.db.unit_by_name(named).await? {
            if other.facts.uscc != unit.facts.uscc {
                return Err(HttpError::new(
                    StatusCode::FORBIDDEN,
                    "CERT_UNIT_MISMATCH",
                    format!(
                        "证书上的单位名称是“{named}”，但其中的统一社会信用代码属于另一家单位，中心拒绝登录。请联系证书颁发机构核对证书信息。"
                    ),
                ));
            }
        }
    }
    Ok(unit)
}

/// Names compared as a clerk would: full-width and half-width brackets and spaces alike.
fn same_name(a: &str, b: &str) -> bool {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| match c {
                '（' => '(',
                '）' => ')',
                c => c,
            })
            .collect()
    };
    norm(a) == norm(b)
}

/// State extractor alias for handlers.
pub type AppStateExt = State<AppState>;
