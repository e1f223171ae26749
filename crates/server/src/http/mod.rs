//! The /api/v1 router: one module per area, one shared state, one error type, one caller extractor.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use gjj_domain::api::Role;
use gjj_domain::month::Month;
use time::{OffsetDateTime, UtcOffset};

use crate::config::Limits;
use crate::db::{Db, UnitRecord};
use crate::tls::{ChannelLogin, ClientTrust, Peer};

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
    /// The CA bundle and CRLs (the SM2 login checks SM2 certificates against them).
    pub trust: Arc<ClientTrust>,
    /// The receipt seal, when configured.
    pub receipts: Option<Arc<crate::receipts::ReceiptSeal>>,
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
        .with_state(state)
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
        let peer = parts
            .extensions
            .get::<Arc<Peer>>()
            .cloned()
            .or_else(|| {
                parts
                    .extensions
                    .get::<Arc<ChannelLogin>>()
                    .and_then(|l| l.peer.get().cloned())
            })
            .ok_or_else(|| {
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
    state.db.unit_by_uscc(&uscc).await?.ok_or_else(|| {
        HttpError::new(
            StatusCode::FORBIDDEN,
            "UNIT_UNKNOWN",
            format!("证书对应的单位（统一社会信用代码 {uscc}）未在中心登记。请先到中心办理单位登记或核对证书信息。"),
        )
    })
}

/// State extractor alias for handlers.
pub type AppStateExt = State<AppState>;
