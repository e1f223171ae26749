//! The client library against the real gateway: one handshake signature per login, the TLS 1.2 fallback for a
//! PKCS#1-only key, idempotency, and refusals of tampered or misplaced requests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use base64::Engine;
use gjj_client::{ClientError, Outbox, Session, SessionConfig, Submitted};
use gjj_domain::base_adjustment::{BaseAdjustment, BaseAdjustmentRow};
use gjj_domain::money::Fen;
use gjj_pki::{Credential, TrustBundle};
use gjj_tests::{units, Backend, Fixtures, LocalCentre};

fn login(fixtures: &Fixtures, label: &str) -> Credential {
    gjj_tests::token_credential(fixtures, label)
}

fn session(centre: &LocalCentre, credential: Credential) -> Session {
    let config = SessionConfig {
        server: centre.url(),
        trust: TrustBundle::from_pem_file(&centre.fixtures.ca_bundle()).unwrap(),
        timeout: Duration::from_secs(60),
    };
    Session::open(&config, credential).unwrap()
}

async fn payload(centre: &LocalCentre, label: &str, session: &Session, n: usize) -> BaseAdjustment {
    let me = session.me().await.unwrap();
    let month = me.unit.due_month();
    let employees = centre.active_employees(label).await.unwrap();
    let rows = employees
        .iter()
        .take(n)
        .enumerate()
        .map(|(i, e)| BaseAdjustmentRow {
            row: 5 + i as u32,
            account: e.account.clone(),
            name: e.name.clone(),
            id_number: e.id_number.clone(),
            old_base: Some(e.base),
            new_base: Fen(e.base.0 + 10_000),
            effective_month: month,
            note: None,
        })
        .collect();
    BaseAdjustment { rows }
}

async fn count(centre: &LocalCentre, sql: &str) -> i64 {
    let pool = centre.db().await.unwrap();
    sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn one_login_signs_one_handshake_however_many_requests() {
    let fixtures = Fixtures::from_env();
    let centre = LocalCentre::start(&fixtures, Backend::Sqlite).unwrap();
    let credential = login(&fixtures, units::EMPLOYER_A);
    let session = session(&centre, credential.clone());
    for _ in 0..5 {
        session.me().await.unwrap();
        session.policy().await.unwrap();
    }
    session.employees().await.unwrap();
    let outbox = Outbox::open(&centre.dir.path().join("lib-outbox.sqlite"))
        .await
        .unwrap();
    let body = payload(&centre, units::EMPLOYER_A, &session, 3).await;
    let Submitted::Accepted { receipt, .. } = session
        .submit(&outbox, "base_adjustment", &body, 3)
        .await
        .unwrap();
    session.status(&receipt.serial).await.unwrap();
    assert_eq!(
        credential.handshake_signatures(),
        1,
        "the token signed one handshake for 14 requests"
    );
    assert_eq!(credential.detached_signatures(), 1, "and one submission");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pkcs1_only_key_falls_back_to_tls12_and_works() {
    let fixtures = Fixtures::from_env();
    let centre = LocalCentre::start(&fixtures, Backend::Sqlite).unwrap();
    let credential = login(&fixtures, units::EMPLOYER_C);
    // Decided from the token's mechanisms and the key's CKA_ALLOWED_MECHANISMS before connecting.
    assert_eq!(credential.schemes(), &[rustls::SignatureScheme::RSA_PKCS1_SHA256]);
    assert!(credential.tls12_only());
    let pss = login(&fixtures, units::EMPLOYER_B);
    assert!(!pss.tls12_only(), "an RSA key with PSS uses TLS 1.3");
    let session = session(&centre, credential.clone());
    let me = session.me().await.unwrap();
    assert_eq!(me.unit.name, units::EMPLOYER_C);
    assert_eq!(credential.handshake_signatures(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_idempotency_key_twice_gives_one_record_and_the_same_receipt() {
    let fixtures = Fixtures::from_env();
    let centre = LocalCentre::start(&fixtures, Backend::Sqlite).unwrap();
    let session = session(&centre, login(&fixtures, units::EMPLOYER_B));
    let outbox = Outbox::open(&centre.dir.path().join("idem.sqlite"))
        .await
        .unwrap();
    let body = payload(&centre, units::EMPLOYER_B, &session, 4).await;
    let json = serde_json::to_string(&body).unwrap();
    let uscc = session.credential().identity().uscc.clone().unwrap();
    let entry = outbox.write(&uscc, "base_adjustment", &json, 4).await.unwrap();

    let Submitted::Accepted {
        receipt: first,
        replayed,
    } = session.deliver(&outbox, &entry).await.unwrap();
    assert!(!replayed);
    let Submitted::Accepted {
        receipt: second,
        replayed,
    } = session.deliver(&outbox, &entry).await.unwrap();
    assert!(replayed);
    assert_eq!(first, second);
    assert_eq!(count(&centre, "SELECT COUNT(*) FROM submissions").await, 1);
    assert_eq!(
        count(&centre, "SELECT COUNT(*) FROM base_adjustment_rows").await,
        4
    );

    // The same key with different content is a conflict, not a silent replay.
    let mut changed = entry.clone();
    changed.payload = json.replace("\"row\":5,", "\"row\":6,");
    let err = session.deliver(&outbox, &changed).await.unwrap_err();
    assert_eq!(err.code(), "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(count(&centre, "SELECT COUNT(*) FROM submissions").await, 1);
}

fn raw_client(centre: &LocalCentre, credential: &Credential) -> reqwest::Client {
    centre.raw_client(credential)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tampered_signature_is_refused_and_nothing_is_stored() {
    let fixtures = Fixtures::from_env();
    let centre = LocalCentre::start(&fixtures, Backend::Sqlite).unwrap();
    let credential = login(&fixtures, units::EMPLOYER_A);
    let session = session(&centre, credential.clone());
    let body = serde_json::to_vec(&payload(&centre, units::EMPLOYER_A, &session, 2).await).unwrap();
    let signature = credential.sign_detached(&body).unwrap();
    let mut tampered = body.clone();
    let at = tampered.iter().position(|b| *b == b'1').unwrap();
    tampered[at] = b'9'; // one digit of a base or account changed after signing
    let response = raw_client(&centre, &credential)
        .post(format!("{}/api/v1/base_adjustment", centre.url()))
        .header("Idempotency-Key", "tampered-0001")
        .header("X-Gjj-Signature-Alg", signature.alg.as_str())
        .header(
            "X-Gjj-Signature",
            base64::engine::general_purpose::STANDARD.encode(&signature.signature),
        )
        .body(tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let error: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error["code"], "SIGNATURE_INVALID");

    // The CMS format: tampered content, and a CMS made by another unit's key on A's connection.
    let b64 = base64::engine::general_purpose::STANDARD;
    let post_cms = |key: &'static str, cms: Vec<u8>, body: Vec<u8>| {
        raw_client(&centre, &credential)
            .post(format!("{}/api/v1/base_adjustment", centre.url()))
            .header("Idempotency-Key", key)
            .header("X-Gjj-Signature-Format", "cms")
            .header("X-Gjj-Signature", b64.encode(cms))
            .body(body)
            .send()
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let cms = gjj_pki::cms::sign(&credential, &body, now).unwrap();
    let mut tampered = body.clone();
    tampered[at] = b'9';
    let response = post_cms("tampered-0002", cms.clone(), tampered).await.unwrap();
    let error: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error["code"], "SIGNATURE_INVALID", "{error}");
    let other = gjj_pki::cms::sign(&login(&fixtures, units::EMPLOYER_B), &body, now).unwrap();
    let response = post_cms("other-key-0001", other, body.clone()).await.unwrap();
    let error: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error["code"], "SIGNATURE_CERT_MISMATCH", "{error}");
    let response = post_cms("garbage-0001", b"not a CMS".to_vec(), body.clone())
        .await
        .unwrap();
    let error: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error["code"], "SIGNATURE_FORMAT", "{error}");
    assert_eq!(count(&centre, "SELECT COUNT(*) FROM submissions").await, 0);

    // A client of the earlier raw format is still served, and both stored formats verify with one reader.
    let response = raw_client(&centre, &credential)
        .post(format!("{}/api/v1/base_adjustment", centre.url()))
        .header("Idempotency-Key", "raw-format-0001")
        .header("X-Gjj-Signature-Alg", signature.alg.as_str())
        .header("X-Gjj-Signature", b64.encode(&signature.signature))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    let pool = centre.db().await.unwrap();
    let (format, alg, stored): (String, String, String) =
        sqlx::query_as("SELECT signature_format, signature_alg, signature FROM submissions")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(format, "raw");
    let leaf = credential.leaf().to_vec();
    let verify = |format: &str, sig: &[u8], payload: &[u8]| {
        gjj_pki::cms::verify_stored(format, &alg, sig, payload, &leaf)
    };
    verify(&format, &b64.decode(stored).unwrap(), &body).unwrap();
    verify("cms", &cms, &body).unwrap();
    assert!(verify("cms", &cms, b"other").is_err());
    assert!(verify("raw", &signature.signature, b"other").is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_developer_certificate_cannot_submit_an_employer_business() {
    let fixtures = Fixtures::from_env();
    let centre = LocalCentre::start(&fixtures, Backend::Sqlite).unwrap();
    let session = session(&centre, login(&fixtures, units::DEVELOPER));
    let outbox = Outbox::open(&centre.dir.path().join("dev.sqlite")).await.unwrap();
    let err = session
        .submit(&outbox, "base_adjustment", &BaseAdjustment { rows: vec![] }, 0)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "ROLE_FORBIDDEN");
    assert!(matches!(err, ClientError::Api { status: 403, .. }));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_without_a_certificate_gets_no_data_only_cert_required() {
    let fixtures = Fixtures::from_env();
    let centre = LocalCentre::start(&fixtures, Backend::Sqlite).unwrap();
    let trust = TrustBundle::from_pem_file(&fixtures.ca_bundle()).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for cert in trust.all() {
        roots.add(cert.clone()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let builder = reqwest::Client::builder().use_preconfigured_tls(config);
    let client = builder.build().unwrap();
    // The connection exists (an SM2 key logs in on it) but no route answers before a login.
    for path in ["/api/v1/me", "/api/v1/employees", "/api/v1/submissions"] {
        let response = client
            .get(format!("{}{path}", centre.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 401, "{path}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["code"], "CERT_REQUIRED", "{path}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_huge_upload_is_refused_with_a_clear_code_and_nothing_is_stored() {
    let fixtures = Fixtures::from_env();
    let centre = LocalCentre::start(&fixtures, Backend::Sqlite).unwrap();
    let credential = login(&fixtures, units::EMPLOYER_A);
    let huge = vec![b' '; gjj_tests::MAX_BODY_BYTES + 1];
    let response = raw_client(&centre, &credential)
        .post(format!("{}/api/v1/base_adjustment", centre.url()))
        .header("Idempotency-Key", "huge-upload-0001")
        .header("X-Gjj-Signature-Alg", "ecdsa-p256-sha256")
        .header("X-Gjj-Signature", "AAAA")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let error: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error["code"], "PAYLOAD_TOO_LARGE");
    assert!(error["message"].as_str().unwrap().contains("拆分"));
    assert_eq!(count(&centre, "SELECT COUNT(*) FROM submissions").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_half_sent_request_is_cut_off_with_a_clear_code() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let fixtures = Fixtures::from_env();
    let centre = LocalCentre::start(&fixtures, Backend::Sqlite).unwrap();
    let credential = login(&fixtures, units::EMPLOYER_A);
    let trust = TrustBundle::from_pem_file(&fixtures.ca_bundle()).unwrap();
    let connector =
        tokio_rustls::TlsConnector::from(std::sync::Arc::new(credential.client_config(&trust).unwrap()));
    let tcp = tokio::net::TcpStream::connect(&centre.addr).await.unwrap();
    let name = rustls_pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    // Headers promise 1000 bytes; 20 arrive, then the client goes quiet.
    let head = "POST /api/v1/base_adjustment HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
                Content-Length: 1000\r\nIdempotency-Key: half-sent-0001\r\nX-Gjj-Signature-Alg: ecdsa-p256-sha256\r\n\
                X-Gjj-Signature: AAAA\r\n\r\n{\"rows\":[{\"row\":5,";
    tls.write_all(head.as_bytes()).await.unwrap();
    tls.flush().await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(
        Duration::from_secs(gjj_tests::REQUEST_TIMEOUT_SECS + 10),
        tls.read_to_end(&mut answer),
    )
    .await;
    let text = String::from_utf8_lossy(&answer);
    assert!(read.is_ok(), "the centre must answer, not wait forever");
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("REQUEST_TIMEOUT"), "{text}");
    assert_eq!(count(&centre, "SELECT COUNT(*) FROM submissions").await, 0);
}
