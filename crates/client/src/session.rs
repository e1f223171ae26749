//! One mutual-TLS session per login.

use std::time::Duration;

use base64::Engine;
use gjj_domain::api::{self, ApiError, Employee, Me, Receipt, ReturnReason, ReviewItem, SubmissionView};
use gjj_domain::policy::Policy;
use gjj_pki::{Credential, TrustBundle};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::outbox::{Outbox, OutboxEntry};
use crate::ClientError;

mod bound;
mod project_material;
use bound::{Bound, Reply};
pub use project_material::{manifest_of, MaterialFile, MaterialUpload};

/// Where the centre is and whom to trust.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    /// Base URL, e.g. "https://127.0.0.1:8443".
    pub server: String,
    /// The centre's CA bundle: the only trust anchors (never the system roots).
    pub trust: TrustBundle,
    /// Per-request timeout.
    pub timeout: Duration,
}

/// A logged-in session.
#[derive(Clone, Debug)]
pub struct Session {
    transport: Transport,
    base: String,
    credential: Credential,
}

/// How requests reach the centre.
#[derive(Clone, Debug)]
enum Transport {
    /// Mutual TLS: the key signs the handshake; reqwest pools the connections.
    Mtls(reqwest::Client),
    /// An SM2 key: one TLS 1.3 connection, logged in by a signature bound to it.
    Sm2(std::sync::Arc<Bound>),
}

/// The outcome of sending one outbox entry.
#[derive(Debug)]
pub enum Submitted {
    /// The centre accepted it (or had accepted it before: same receipt).
    Accepted {
        /// The receipt.
        receipt: Receipt,
        /// True when the centre answered with the receipt of an earlier identical send.
        replayed: bool,
    },
}

impl Session {
    /// Opens a session for a credential. No request is made yet; the handshake happens on the first call.
    pub fn open(config: &SessionConfig, credential: Credential) -> Result<Session, ClientError> {
        Session::open_via(config, credential, None)
    }

    /// [`Session::open`] through an HTTP proxy (CONNECT tunnel: the TLS session, and the USB key's signature,
    /// stay end to end with the centre). `None` keeps reqwest's default (the proxy environment variables).
    pub fn open_via(
        config: &SessionConfig,
        credential: Credential,
        proxy: Option<&str>,
    ) -> Result<Session, ClientError> {
        let tls = credential.client_config(&config.trust)?;
        let base = config.server.trim_end_matches('/').to_owned();
        if credential.is_sm2() {
            let bound = Bound::new(&base, tls, credential.clone(), proxy, config.timeout)?;
            return Ok(Session {
                transport: Transport::Sm2(std::sync::Arc::new(bound)),
                base,
                credential,
            });
        }
        let mut builder = reqwest::Client::builder();
        if let Some(url) = proxy.map(str::trim).filter(|p| !p.is_empty()) {
            let proxy = reqwest::Proxy::all(url).map_err(|e| {
                ClientError::Protocol(format!(
                    "代理地址“{url}”无效（{e}）。请在设置中改正或请 IT 检查统一配置"
                ))
            })?;
            builder = builder.proxy(proxy);
        }
        let http = builder
            .use_preconfigured_tls(tls)
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(15))
            // Keep the connection (and with it the token's one handshake signature) for the whole login.
            .pool_idle_timeout(Duration::from_secs(600))
            .pool_max_idle_per_host(2)
            .tcp_keepalive(Duration::from_secs(60))
            .user_agent(concat!("gjj-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Protocol(e.to_string()))?;
        Ok(Session {
            transport: Transport::Mtls(http),
            base,
            credential,
        })
    }

    /// The credential of this session.
    pub fn credential(&self) -> &Credential {
        &self.credential
    }

    /// One request, whichever transport: the whole answer.
    async fn exchange(
        &self,
        method: Method,
        path: &str,
        headers: HeaderMap,
        body: Vec<u8>,
    ) -> Result<Reply, ClientError> {
        match &self.transport {
            Transport::Sm2(bound) => bound.send(method, path, headers, body).await,
            Transport::Mtls(http) => {
                let transport =
                    |e: reqwest::Error| ClientError::from_transport(&e, self.credential.identity());
                let response = http
                    .request(method, format!("{}{path}", self.base))
                    .headers(headers)
                    .body(body)
                    .send()
                    .await
                    .map_err(transport)?;
                let status = response.status();
                let headers = response.headers().clone();
                let body = response.bytes().await.map_err(transport)?;
                Ok(Reply {
                    status,
                    headers,
                    body,
                })
            }
        }
    }

    /// A request with a JSON answer: the value, and whether the centre replayed an earlier answer.
    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        headers: HeaderMap,
        body: Vec<u8>,
    ) -> Result<(T, bool), ClientError> {
        let reply = self.exchange(method, path, headers, body).await?;
        let replayed = reply.headers.contains_key(api::REPLAYED);
        if reply.status.is_success() {
            let value =
                serde_json::from_slice(&reply.body).map_err(|e| ClientError::Protocol(e.to_string()))?;
            return Ok((value, replayed));
        }
        Err(api_error(reply.status, &reply.body))
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        Ok(self
            .send(Method::GET, path, HeaderMap::new(), Vec::new())
            .await?
            .0)
    }

    /// `GET /api/v1/me`.
    pub async fn me(&self) -> Result<Me, ClientError> {
        self.get("/api/v1/me").await
    }

    /// `GET /api/v1/policy`.
    pub async fn policy(&self) -> Result<Policy, ClientError> {
        self.get("/api/v1/policy").await
    }

    /// `GET /api/v1/employees`.
    pub async fn employees(&self) -> Result<Vec<Employee>, ClientError> {
        self.get("/api/v1/employees").await
    }

    /// `GET /api/v1/remittance/list[?month=YYYYMM]`: the centre's current 汇缴清册 for the 应汇缴年月 (or the month
    /// given, which the centre refuses unless it is the one due).
    pub async fn remittance_list(
        &self,
        month: Option<gjj_domain::month::Month>,
    ) -> Result<gjj_domain::remittance::RemittanceList, ClientError> {
        match month {
            Some(m) => self.get(&format!("/api/v1/remittance/list?month={m}")).await,
            None => self.get("/api/v1/remittance/list").await,
        }
    }

    /// `GET /api/v1/employees/{account}`: one contributor's record (the "old" side of a 缴存人信息变更).
    pub async fn employee(
        &self,
        account: &str,
    ) -> Result<gjj_domain::contributor_change::PersonDetails, ClientError> {
        self.get(&format!("/api/v1/employees/{}", clean(account))).await
    }

    /// `GET /api/v1/unit`: the unit's record as the centre holds it (the "old" side of a 单位信息变更).
    pub async fn unit(&self) -> Result<gjj_domain::unit_change::UnitDetails, ClientError> {
        self.get("/api/v1/unit").await
    }

    /// `POST /api/v1/project/draft` (developer hall): save a 项目录入 draft (unsigned); the project as saved.
    pub async fn project_draft(
        &self,
        project: &gjj_domain::project::Project,
    ) -> Result<gjj_domain::project::ProjectView, ClientError> {
        self.post_json("/api/v1/project/draft", project).await
    }

    /// `GET /api/v1/projects` (developer hall).
    pub async fn projects(&self) -> Result<Vec<gjj_domain::project::ProjectView>, ClientError> {
        self.get("/api/v1/projects").await
    }

    /// `GET /api/v1/projects/{id}` (developer hall): one project with its approved buildings and houses.
    pub async fn project(&self, id: &str) -> Result<gjj_domain::project::ProjectView, ClientError> {
        self.get(&format!("/api/v1/projects/{}", clean(id))).await
    }

    /// `GET /api/v1/submissions/{serial}`.
    pub async fn status(&self, serial: &str) -> Result<SubmissionView, ClientError> {
        self.get(&format!("/api/v1/submissions/{}", clean(serial))).await
    }

    /// `GET /api/v1/submissions/{serial}/receipt`: the receipt with the centre's seal (CMS over its JSON).
    pub async fn sealed_receipt(&self, serial: &str) -> Result<api::SignedReceipt, ClientError> {
        self.get(&format!("/api/v1/submissions/{}/receipt", clean(serial)))
            .await
    }

    /// `GET /api/v1/submissions/{serial}/receipt.pdf`: the PDF receipt the centre signed.
    pub async fn receipt_pdf(&self, serial: &str) -> Result<Vec<u8>, ClientError> {
        let reply = self
            .exchange(
                Method::GET,
                &format!("/api/v1/submissions/{}/receipt.pdf", clean(serial)),
                HeaderMap::new(),
                Vec::new(),
            )
            .await?;
        if !reply.status.is_success() {
            return Err(api_error(reply.status, &reply.body));
        }
        if !reply.body.starts_with(b"%PDF-") {
            return Err(ClientError::Protocol("中心返回的回执不是 PDF 文件".into()));
        }
        Ok(reply.body.to_vec())
    }

    /// `GET /api/v1/submissions`.
    pub async fn submissions(&self) -> Result<Vec<SubmissionView>, ClientError> {
        self.get("/api/v1/submissions").await
    }

    /// `POST /api/v1/submissions/{serial}/withdraw`: take back a submission nobody has started reviewing.
    pub async fn withdraw(&self, serial: &str) -> Result<SubmissionView, ClientError> {
        self.post_json(&format!("/api/v1/submissions/{}/withdraw", clean(serial)), &())
            .await
    }

    /// `GET /api/v1/review/pending` (centre staff).
    pub async fn review_pending(&self) -> Result<Vec<ReviewItem>, ClientError> {
        self.get("/api/v1/review/pending").await
    }

    /// `POST /api/v1/review/{serial}/start|approve` (centre staff).
    pub async fn review(&self, serial: &str, action: ReviewAction) -> Result<SubmissionView, ClientError> {
        let serial = clean(serial);
        match action {
            ReviewAction::Start => {
                self.post_json(&format!("/api/v1/review/{serial}/start"), &())
                    .await
            }
            ReviewAction::Approve => {
                self.post_json(&format!("/api/v1/review/{serial}/approve"), &())
                    .await
            }
            ReviewAction::Return(reason) => {
                self.post_json(
                    &format!("/api/v1/review/{serial}/return"),
                    &ReturnReason { reason },
                )
                .await
            }
        }
    }

    async fn post_json<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        let body = serde_json::to_vec(body).map_err(|e| ClientError::Protocol(e.to_string()))?;
        Ok(self
            .send(Method::POST, path, content_type("application/json"), body)
            .await?
            .0)
    }

    /// A signed JSON body: a detached CMS SignedData of exactly these bytes (signer certificate and signing
    /// time inside) goes in the headers.
    async fn post_signed_json<T: DeserializeOwned>(
        &self,
        path: &str,
        idempotency_key: &str,
        body: Vec<u8>,
    ) -> Result<(T, bool), ClientError> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let signature = gjj_pki::cms::sign(&self.credential, &body, now)?;
        let mut headers = content_type("application/json");
        let header =
            |v: &str| HeaderValue::from_str(v).map_err(|_| ClientError::Protocol("请求头含非法字符".into()));
        headers.insert(HeaderName::from_static(IDEMPOTENCY), header(idempotency_key)?);
        headers.insert(
            HeaderName::from_static(SIG_FORMAT),
            HeaderValue::from_static("cms"),
        );
        headers.insert(
            HeaderName::from_static(SIG),
            header(&base64::engine::general_purpose::STANDARD.encode(&signature))?,
        );
        self.send(Method::POST, path, headers, body).await
    }

    /// Fetches `me` + `policy` and caches them in the outbox for offline checks.
    pub async fn refresh_context(&self, outbox: &Outbox) -> Result<(Me, Policy), ClientError> {
        let me = self.me().await?;
        let policy = self.policy().await?;
        outbox.cache_context(&me, &policy).await?;
        Ok((me, policy))
    }

    /// Writes a submission to the outbox, then signs and sends it.
    pub async fn submit<T: Serialize>(
        &self,
        outbox: &Outbox,
        business: &str,
        payload: &T,
        rows: u32,
    ) -> Result<Submitted, ClientError> {
        self.submit_with_sheet(outbox, business, payload, rows, None)
            .await
    }

    /// [`Session::submit`], keeping the sheet a batch submission was made from beside its outbox entry (so it can
    /// be reopened from 办理记录).
    pub async fn submit_with_sheet<T: Serialize>(
        &self,
        outbox: &Outbox,
        business: &str,
        payload: &T,
        rows: u32,
        sheet: Option<&crate::SubmittedSheet>,
    ) -> Result<Submitted, ClientError> {
        let json = serde_json::to_string(payload).map_err(|e| ClientError::Protocol(e.to_string()))?;
        let uscc = self.credential.identity().uscc.clone().unwrap_or_default();
        let entry = outbox
            .write_with_sheet(&uscc, business, &json, rows, sheet)
            .await?;
        self.deliver(outbox, &entry).await
    }

    /// Sends one outbox entry (signing it with the session's key) and records the outcome.
    pub async fn deliver(&self, outbox: &Outbox, entry: &OutboxEntry) -> Result<Submitted, ClientError> {
        let result = self
            .post_signed(&entry.business, &entry.idempotency_key, entry.payload.as_bytes())
            .await;
        match result {
            Ok((receipt, replayed)) => {
                outbox.mark_sent(&entry.idempotency_key, &receipt).await?;
                Ok(Submitted::Accepted { receipt, replayed })
            }
            Err(e) if e.is_retryable() => {
                outbox.attempt_failed(&entry.idempotency_key, &e).await?;
                Err(e)
            }
            Err(e) => {
                outbox.mark_rejected(&entry.idempotency_key, &e).await?;
                Err(e)
            }
        }
    }

    /// Resends every pending entry of this unit, oldest first; stops at the first network failure.
    pub async fn resend_pending(
        &self,
        outbox: &Outbox,
    ) -> Result<Vec<(OutboxEntry, Result<Submitted, ClientError>)>, ClientError> {
        let uscc = self.credential.identity().uscc.clone().unwrap_or_default();
        let mut out = Vec::new();
        for entry in outbox.entries(&uscc, Some(crate::OutboxState::Pending)).await? {
            let result = self.deliver(outbox, &entry).await;
            let stop = matches!(&result, Err(e) if e.is_retryable());
            out.push((entry, result));
            if stop {
                break;
            }
        }
        Ok(out)
    }

    async fn post_signed(
        &self,
        business: &str,
        key: &str,
        body: &[u8],
    ) -> Result<(Receipt, bool), ClientError> {
        let (receipt, replayed): (Receipt, bool) = self
            .post_signed_json(&format!("/api/v1/{business}"), key, body.to_vec())
            .await?;
        if receipt.idempotency_key != key {
            return Err(ClientError::Protocol("回执与提交编号不符".into()));
        }
        Ok((receipt, replayed))
    }
}

/// What a reviewer does with a submission.
#[derive(Clone, Debug)]
pub enum ReviewAction {
    /// 已受理 → 审核中.
    Start,
    /// → 已办结, applied to the centre's data.
    Approve,
    /// → 已退回 with this reason.
    Return(String),
}

// The api header names, lower-cased as `HeaderName::from_static` wants them.
const IDEMPOTENCY: &str = "idempotency-key";
const SIG: &str = "x-gjj-signature";
const SIG_FORMAT: &str = "x-gjj-signature-format";

fn content_type(value: &'static str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(value));
    headers
}

/// The centre's error answer (its `ApiError`, or a generic one when the body is not one).
pub(crate) fn api_error(status: StatusCode, body: &[u8]) -> ClientError {
    let body = serde_json::from_slice::<ApiError>(body).unwrap_or_else(|_| ApiError {
        code: format!("HTTP_{}", status.as_u16()),
        message: format!("中心返回错误 {status}。请稍后重试；仍失败请联系中心。"),
        issues: Vec::new(),
    });
    ClientError::Api {
        status: status.as_u16(),
        body,
    }
}

/// A serial as a path segment: only its letters and digits.
fn clean(serial: &str) -> String {
    serial.chars().filter(char::is_ascii_alphanumeric).collect()
}
