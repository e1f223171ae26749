//! The SM2 (国密) login: TLS cannot carry an SM2 client key (rustls has neither TLCP nor RFC 8998), so a unit
//! with an SM2 USB key connects with TLS 1.3 and server authentication, asks for a one-time challenge, and
//! signs it together with the connection's exporter value. The certificate is judged as mutual TLS judges
//! one (chain, CRL, expiry, purpose, unit binding, same codes); the login holds for this connection only.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use base64::Engine;
use gjj_domain::api::{Me, Sm2Challenge, Sm2Login};
use gjj_pki::sm2::{self, Sm2CertError};
use gjj_pki::CertIdentity;

use super::{unit_of, AppState, HttpError};
use crate::tls::{ChannelLogin, Peer};

/// How long a challenge may wait for its signature (a PIN dialog included).
const CHALLENGE_TTL: Duration = Duration::from_secs(120);

fn no_channel() -> HttpError {
    HttpError::new(
        StatusCode::BAD_REQUEST,
        "SM2_LOGIN_NOT_HERE",
        "国密证书登录需要不带客户端证书的 TLS 1.3 连接；本连接已用证书登录或不是 TLS 1.3。请升级客户端后重试。",
    )
}

/// `POST /api/v1/sm2/challenge`: a fresh challenge for this connection (replacing any earlier one).
pub async fn challenge(login: Option<Extension<Arc<ChannelLogin>>>) -> Result<Json<Sm2Challenge>, HttpError> {
    let Extension(login) = login.ok_or_else(no_channel)?;
    let mut challenge = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut challenge).map_err(|_| {
        HttpError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            "生成登录挑战失败，请重试。",
        )
    })?;
    let mut slot = login.challenge.lock().unwrap_or_else(|p| p.into_inner());
    *slot = Some((challenge, Instant::now()));
    Ok(Json(Sm2Challenge {
        challenge: base64::engine::general_purpose::STANDARD.encode(challenge),
        expires_in: u32::try_from(CHALLENGE_TTL.as_secs()).unwrap_or(u32::MAX),
    }))
}

/// `POST /api/v1/sm2/login`: checks the certificate, the unit and the channel-bound signature; from then on
/// this connection's requests are the unit's.
pub async fn login(
    State(state): State<AppState>,
    login: Option<Extension<Arc<ChannelLogin>>>,
    body: Result<Json<Sm2Login>, JsonRejection>,
) -> Result<Json<Me>, HttpError> {
    let Extension(login) = login.ok_or_else(no_channel)?;
    let Json(body) = body.map_err(|e| {
        HttpError::new(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            format!("登录请求格式错误（{e}）。请升级客户端后重试。"),
        )
    })?;
    // One use: a second login attempt on this connection needs a new challenge.
    let taken = login.challenge.lock().unwrap_or_else(|p| p.into_inner()).take();
    let challenge = match taken {
        Some((c, issued)) if issued.elapsed() <= CHALLENGE_TTL => c,
        _ => {
            return Err(HttpError::new(
                StatusCode::UNAUTHORIZED,
                "SM2_CHALLENGE_MISSING",
                "登录挑战不存在或已过期（每个挑战只能用一次，且只在取得它的连接上有效）。请重新登录。",
            ))
        }
    };
    let b64 = base64::engine::general_purpose::STANDARD;
    let (Ok(certificate), Ok(signature)) = (b64.decode(&body.certificate), b64.decode(&body.signature))
    else {
        return Err(HttpError::new(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "登录请求中的证书或签名不是 base64。请升级客户端后重试。",
        ));
    };
    let now = state.now().unix_timestamp();
    let trust = state.tls.trust();
    let identity = sm2::verify_certificate(&certificate, &trust.bundle, &trust.sm2_crls, now)
        .map_err(|e| refused(&e, &certificate))?;
    let message = sm2::login_message(&challenge, &login.exporter);
    if sm2::verify_by_certificate(&certificate, &message, &signature).is_err() {
        tracing::info!(serial = %identity.serial, "SM2 login: signature does not match this connection");
        return Err(HttpError::new(
            StatusCode::UNAUTHORIZED,
            "SM2_SIGNATURE_INVALID",
            "登录签名与本次连接不符（签名可能被重放或经第三方转发），中心拒绝登录。请直接连接中心后重新登录；如反复出现请联系 IT 检查网络。",
        ));
    }
    let peer = Peer::new(certificate, identity);
    let unit = unit_of(&state, &peer).await?;
    let peer = Arc::new(peer);
    if login.peer.set(peer.clone()).is_err() {
        return Err(HttpError::new(
            StatusCode::CONFLICT,
            "SM2_ALREADY_LOGGED_IN",
            "本连接已经登录。请直接办理业务。",
        ));
    }
    tracing::info!(serial = %peer.identity.serial, unit = %unit.facts.account, "SM2 login");
    Ok(Json(Me {
        unit: unit.facts.clone(),
        role: unit.role,
        certificate_serial: peer.identity.serial.clone(),
        certificate_not_after: peer.identity.not_after,
        server_time: now,
        today: state.today(),
    }))
}

/// The refusal for a certificate, with the codes and words of the mutual-TLS refusals.
fn refused(error: &Sm2CertError, certificate: &[u8]) -> HttpError {
    let identity = CertIdentity::from_der(certificate).ok();
    let date = |t: i64| {
        time::OffsetDateTime::from_unix_timestamp(t)
            .map(|d| format!("{}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()))
            .unwrap_or_default()
    };
    let message = match error {
        Sm2CertError::Expired => match &identity {
            Some(id) => format!(
                "证书有效期为 {} 至 {}，当前不在有效期内，中心拒绝登录。证书过期请联系证书颁发机构办理续期；尚未生效请检查电脑日期时间。",
                date(id.not_before),
                date(id.not_after)
            ),
            None => "证书不在有效期内，中心拒绝登录。请联系证书颁发机构办理续期。".to_owned(),
        },
        Sm2CertError::Revoked => "证书已被证书颁发机构吊销，中心拒绝登录。请联系证书颁发机构补办新证书；如 USB key 遗失请立即挂失。".to_owned(),
        Sm2CertError::Untrusted => format!(
            "证书不是中心认可的证书颁发机构签发的（签发者：{}），中心拒绝登录。请使用中心指定机构办理的单位证书。",
            identity.map(|i| i.issuer).unwrap_or_default()
        ),
        Sm2CertError::Purpose => "这是 USB key 中的加密证书或不允许用于登录的证书，不能用于登录网厅。请选择签名证书；仍不行请联系证书颁发机构。".to_owned(),
        Sm2CertError::Invalid(detail) => format!("证书无法识别为国密 SM2 签名证书（{detail}），中心拒绝登录。请联系证书颁发机构核对证书。"),
    };
    HttpError::new(StatusCode::UNAUTHORIZED, error.code(), message)
}
