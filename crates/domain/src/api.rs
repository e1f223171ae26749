//! The client–gateway wire contract for /api/v1: one definition serves both sides (and the OpenAPI document).

use serde::{Deserialize, Serialize};

use crate::issue::Issue;
use crate::month::Month;
use crate::unit::UnitFacts;

/// Header carrying the client-generated idempotency key of a submission.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
/// Header carrying the base64 detached signature over the exact request body.
pub const SIGNATURE: &str = "X-Gjj-Signature";
/// Header naming the signature algorithm ("ecdsa-p256-sha256", "rsa-pss-sha256", "rsa-pkcs1-sha256", "sm2-sm3").
pub const SIGNATURE_ALG: &str = "X-Gjj-Signature-Alg";
/// Header naming the signature's format: "cms" (detached CMS SignedData, DER, carrying the signer certificate;
/// what this client sends) or absent/"raw" (the bare signature of earlier clients, with `SIGNATURE_ALG`).
pub const SIGNATURE_FORMAT: &str = "X-Gjj-Signature-Format";
/// Response header set when a submission was already received under the same idempotency key.
pub const REPLAYED: &str = "Idempotent-Replayed";

/// Which hall a caller uses; decided by the gateway from its own records of the certificate's unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Role {
    /// 单位 (employer).
    Employer,
    /// 开发商 (developer).
    Developer,
    /// 中心 staff.
    Staff,
}

impl Role {
    /// Stable code as stored.
    pub fn code(self) -> &'static str {
        match self {
            Role::Employer => "employer",
            Role::Developer => "developer",
            Role::Staff => "staff",
        }
    }

    /// Parses [`Role::code`] or the Chinese label.
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "employer" | "单位" => Some(Role::Employer),
            "developer" | "开发商" => Some(Role::Developer),
            "staff" | "中心" => Some(Role::Staff),
            _ => None,
        }
    }

    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Role::Employer => "单位",
            Role::Developer => "开发商",
            Role::Staff => "中心",
        }
    }
}

/// `GET /api/v1/me`: who the certificate is, as the centre knows it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Me {
    /// The unit the certificate is bound to.
    pub unit: UnitFacts,
    /// The hall the unit uses.
    pub role: Role,
    /// Serial of the certificate presented (hex).
    pub certificate_serial: String,
    /// End of the certificate's validity (Unix seconds).
    pub certificate_not_after: i64,
    /// The gateway's clock (Unix seconds): lets the client show clock skew.
    pub server_time: i64,
    /// The current month by the gateway's clock: the "today" of every month rule.
    pub today: Month,
}

/// `POST /api/v1/sm2/challenge`: a one-time challenge for logging in an SM2 (国密) key on this TLS connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sm2Challenge {
    /// 32 random bytes, base64.
    pub challenge: String,
    /// Seconds the challenge stays valid.
    pub expires_in: u32,
}

/// `POST /api/v1/sm2/login`: the SM2 signing certificate and its signature over the challenge and this
/// connection's TLS exporter value (`gjj_pki::sm2::login_message`). Answered with [`Me`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sm2Login {
    /// The signing certificate, DER, base64.
    pub certificate: String,
    /// SM2-with-SM3 signature (DER `SEQUENCE { r, s }`), base64.
    pub signature: String,
}

/// Where a submission is in the centre.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum SubmissionStatus {
    /// 已受理: stored, waiting for review.
    Accepted,
    /// 审核中.
    Reviewing,
    /// 已办结: approved and applied.
    Done,
    /// 已退回: returned with a reason.
    Returned,
    /// 已撤回 by the unit before review.
    Withdrawn,
}

impl SubmissionStatus {
    /// Stable code as stored.
    pub fn code(self) -> &'static str {
        match self {
            SubmissionStatus::Accepted => "accepted",
            SubmissionStatus::Reviewing => "reviewing",
            SubmissionStatus::Done => "done",
            SubmissionStatus::Returned => "returned",
            SubmissionStatus::Withdrawn => "withdrawn",
        }
    }

    /// Parses [`SubmissionStatus::code`].
    pub fn parse(code: &str) -> Option<SubmissionStatus> {
        [
            Self::Accepted,
            Self::Reviewing,
            Self::Done,
            Self::Returned,
            Self::Withdrawn,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }

    /// Chinese label shown to users.
    pub fn label(self) -> &'static str {
        match self {
            SubmissionStatus::Accepted => "已受理",
            SubmissionStatus::Reviewing => "审核中",
            SubmissionStatus::Done => "已办结",
            SubmissionStatus::Returned => "已退回",
            SubmissionStatus::Withdrawn => "已撤回",
        }
    }

    /// Still waiting for the centre (blocks another submission of the same business where rules say so).
    pub fn is_open(self) -> bool {
        matches!(self, SubmissionStatus::Accepted | SubmissionStatus::Reviewing)
    }
}

/// The centre's receipt for an accepted submission (回执).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Receipt {
    /// 业务流水号.
    pub serial: String,
    /// Business name (module/route name, e.g. "base_adjustment").
    pub business: String,
    /// 单位账号.
    pub unit_account: String,
    /// 单位名称.
    pub unit_name: String,
    /// Rows accepted (all of them: a batch is accepted whole or not at all).
    pub accepted_rows: u32,
    /// SHA-256 (hex) of the signed payload: names exactly what was signed and stored.
    pub payload_sha256: String,
    /// Algorithm of the stored detached signature.
    pub signature_alg: String,
    /// Serial of the certificate that signed.
    pub certificate_serial: String,
    /// The client's idempotency key.
    pub idempotency_key: String,
    /// When the centre accepted it (RFC 3339, UTC).
    pub received_at: String,
    /// 个人账号 the centre assigned at acceptance, per row (缴存人登记); empty (and absent on the wire) for
    /// businesses that assign none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<RowAccount>,
    /// 贷款申请: the outcome per applicant (accepted with its repayment plan, or refused with its issues); empty
    /// (and absent on the wire) for every other business.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applicants: Vec<ApplicantOutcome>,
}

/// One applicant of a 贷款申请 as the centre judged it: each is accepted or refused whole, on its own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ApplicantOutcome {
    /// The row number as submitted.
    pub row: u32,
    /// 借款人姓名.
    pub name: String,
    /// Accepted (stored for review) or not.
    pub accepted: bool,
    /// The repayment plan, when accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<crate::loan_application::LoanPlan>,
    /// Why not, when refused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<Issue>,
}

/// A 个人账号 assigned to one row of a submission.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RowAccount {
    /// The row number as submitted (the Excel row, or 1 for a single registration).
    pub row: u32,
    /// The new 个人账号.
    pub account: String,
}

/// `GET /api/v1/submissions/{serial}/receipt`: the receipt sealed by the centre. `receipt_json` is the canonical
/// receipt (exactly the bytes sealed; a [`Receipt`]), `signature` a detached CMS SignedData over them (DER, base64)
/// by the centre's receipt-signing certificate. Saved as `X.json` + `X.json.p7s`, `openssl cms -verify` checks it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedReceipt {
    /// The canonical receipt JSON.
    pub receipt_json: String,
    /// The centre's seal over it.
    pub signature: String,
}

/// `GET /api/v1/submissions/{serial}`: a receipt and where it stands now.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SubmissionView {
    /// The receipt issued on acceptance.
    pub receipt: Receipt,
    /// Current status.
    pub status: SubmissionStatus,
    /// Chinese label of the status.
    pub status_label: String,
    /// Why it was returned, when it was.
    pub return_reason: Option<String>,
    /// Last status change (RFC 3339, UTC).
    pub updated_at: String,
}

/// Body of every error response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ApiError {
    /// Stable code.
    pub code: String,
    /// Chinese message: what happened and what to do.
    pub message: String,
    /// Rule violations, row by row, when the error is about the content.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<Issue>,
}

/// `GET /api/v1/employees`: one of the caller unit's contributors (职工列表), for prefilled templates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Employee {
    /// 个人账号.
    pub account: String,
    /// 姓名.
    pub name: String,
    /// 证件号码.
    pub id_number: String,
    /// 个人账户状态 (JGJ/T 320 附A.6: 01 正常, 02 封存, …).
    pub status: String,
    /// 当前缴存基数.
    pub base: crate::money::Fen,
}

/// `GET /api/v1/review/pending` (centre staff): a submission waiting for review.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReviewItem {
    /// The submission and its status.
    pub submission: SubmissionView,
    /// The business's Chinese name.
    pub business_label: String,
}

/// `POST /api/v1/review/{serial}/return` body.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReturnReason {
    /// Why it is returned: what the unit must correct (shown to the unit as is).
    pub reason: String,
}
