//! The update service on its own port of a running gateway: reachable over TLS with the centre's CA and no
//! client certificate (the updater has no USB key), answering 204 and a signed manifest; and the API port of
//! the same gateway gives a client without a certificate nothing on the API port.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A CA and a server certificate for 127.0.0.1, as PEM files in `dir`; returns the CA certificate.
fn pki(dir: &Path) -> rcgen::Certificate {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "更新测试根CA");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let server = params.signed_by(&key, &ca, &ca_key).unwrap();
    std::fs::write(dir.join("server.pem"), server.pem()).unwrap();
    std::fs::write(dir.join("server.key"), key.serialize_pem()).unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    ca
}

async fn get(port: u16, ca: &rcgen::Certificate, path: &str) -> Result<String, std::io::Error> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der().clone()).unwrap();
    let config =
        rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(("127.0.0.1", port)).await?;
    let mut tls = connector
        .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
        .await?;
    tls.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await?;
    let mut out = Vec::new();
    tls.read_to_end(&mut out).await?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[tokio::test]
async fn updates_need_no_client_certificate_and_the_api_still_does() {
    let dir = tempfile::tempdir().unwrap();
    let ca = pki(dir.path());
    let updates = dir.path().join("updates");
    std::fs::create_dir_all(updates.join("files")).unwrap();
    std::fs::write(updates.join("files/gjj-hall_9.0.0_amd64.deb"), b"!<arch>\n").unwrap();
    std::fs::write(updates.join("files/gjj-hall_9.0.0_amd64.deb.sig"), "c2ln").unwrap();
    std::fs::write(
        updates.join("linux-x86_64.json"),
        r#"{"version":"9.0.0","file":"gjj-hall_9.0.0_amd64.deb"}"#,
    )
    .unwrap();
    let (api_port, updates_port) = (free_port(), free_port());
    let config = format!(
        "listen = \"127.0.0.1:{api_port}\"\ndatabase_url = \"sqlite://gjj.sqlite?mode=rwc\"\n\
         [tls]\ncert = \"server.pem\"\nkey = \"server.key\"\nclient_ca = \"ca.pem\"\n\
         [updates]\nlisten = \"127.0.0.1:{updates_port}\"\ndir = \"updates\"\n"
    );
    std::fs::write(dir.path().join("gateway.toml"), config).unwrap();
    let config = gjj_server::config::Config::load(&dir.path().join("gateway.toml")).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(gjj_server::run(config, async {
        let _ = stopped.await;
    }));

    let mut answer = Err(std::io::Error::other("not started"));
    for _ in 0..100 {
        answer = get(updates_port, &ca, "/updates/linux-x86_64/0.1.0").await;
        if answer.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let answer = answer.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains(&format!(
            "\"url\":\"https://127.0.0.1:{updates_port}/updates/files/gjj-hall_9.0.0_amd64.deb\""
        )),
        "{answer}"
    );
    let current = get(updates_port, &ca, "/updates/linux-x86_64/9.0.0")
        .await
        .unwrap();
    assert!(current.starts_with("HTTP/1.1 204"), "{current}");
    let file = get(updates_port, &ca, "/updates/files/gjj-hall_9.0.0_amd64.deb")
        .await
        .unwrap();
    assert!(
        file.starts_with("HTTP/1.1 200") && file.ends_with("!<arch>\n"),
        "{file}"
    );

    // The API port gives a client without a certificate nothing but CERT_REQUIRED (an SM2 key logs in there).
    let api = get(api_port, &ca, "/api/v1/me").await.unwrap_or_default();
    assert!(
        api.starts_with("HTTP/1.1 401") && api.contains("CERT_REQUIRED"),
        "the API answered a client without a certificate: {api:?}"
    );

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("both ports stop on the shutdown signal")
        .unwrap()
        .unwrap();
}
