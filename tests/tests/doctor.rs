//! `gjj doctor` against a running centre: mutual TLS with the developer's token and the clock when a PIN is
//! given, the server certificate alone without one, and a wrong port named as a network failure (exit 1).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use gjj_tests::doctor_check as check;
use gjj_tests::{bin, units, Backend, Fixtures, LocalCentre, DEV_PIN, SOFTHSM_MODULE};
use serde_json::Value;

/// `gjj doctor` for the developer's token against `server`, logging in only when `pin` is true.
fn doctor(centre: &LocalCentre, server: &str, pin: bool) -> Command {
    let mut cmd = Command::new(bin("gjj"));
    cmd.env("SOFTHSM2_CONF", centre.softhsm_conf())
        .env("GJJ_TEST_PIN", DEV_PIN)
        .env_remove("GJJ_CONFIG")
        .current_dir(centre.dir.path())
        .args(["--server", server])
        .arg("--ca-bundle")
        .arg(centre.fixtures.ca_bundle())
        .args(["--pkcs11-module", SOFTHSM_MODULE, "--token", units::DEVELOPER]);
    if pin {
        cmd.args(["--pin-env", "GJJ_TEST_PIN"]);
    }
    cmd.arg("doctor");
    cmd
}

fn report(cmd: &mut Command) -> (i32, Value) {
    let out = cmd.arg("--json").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{e}: {text}\n{}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), report)
}

#[test]
fn doctor_with_the_developer_token_proves_mutual_tls_and_the_clock() {
    let fixtures = Fixtures::from_env();
    let centre = LocalCentre::start(&fixtures, Backend::Sqlite).unwrap();

    let (code, r) = report(&mut doctor(&centre, &centre.url(), true));
    let handshake = check(&r, "handshake");
    assert_eq!(handshake["status"], "ok", "{r:#}");
    let detail = handshake["detail"].as_str().unwrap();
    assert!(
        detail.contains("双向认证成功") && detail.contains(units::DEVELOPER),
        "{detail}"
    );
    assert_eq!(check(&r, "clock")["status"], "ok", "{r:#}");
    assert_eq!(check(&r, "revocation")["status"], "ok", "{r:#}");
    assert_eq!(check(&r, "reachability")["status"], "ok", "{r:#}");
    assert_eq!(check(&r, "settings")["status"], "ok", "{r:#}");
    let cert = check(&r, "certificate");
    assert_eq!(cert["status"], "ok", "{r:#}");
    assert!(
        cert["detail"].as_str().unwrap().contains("签名逐级验证通过"),
        "{cert}"
    );
    // Four tokens in the store: listed, with a warning to pick the right one.
    let keys = check(&r, "keys");
    assert_eq!(keys["status"], "warn", "{keys}");
    assert!(
        keys["advice"].as_str().unwrap().contains("4 个 USB key"),
        "{keys}"
    );
    assert!(
        r["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["status"] != "fail"),
        "{r:#}"
    );
    assert_eq!(code, 0);

    // Without a PIN: the server certificate is proved, the rest waits for a login.
    let (code, r) = report(&mut doctor(&centre, &centre.url(), false));
    let handshake = check(&r, "handshake");
    assert_eq!(handshake["status"], "ok", "{r:#}");
    let detail = handshake["detail"].as_str().unwrap();
    assert!(
        detail.contains("服务器证书可信") && detail.contains("localhost"),
        "{detail}"
    );
    assert_eq!(check(&r, "clock")["status"], "skip");
    assert_eq!(check(&r, "revocation")["status"], "skip");
    assert_eq!(code, 0);
}

#[test]
fn a_wrong_port_is_a_network_failure_with_exit_1() {
    let fixtures = Fixtures::from_env();
    let centre = LocalCentre::start(&fixtures, Backend::Sqlite).unwrap();
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let wrong = format!("https://127.0.0.1:{port}");

    let (code, r) = report(&mut doctor(&centre, &wrong, true));
    assert_eq!(code, 1);
    let reach = check(&r, "reachability");
    assert_eq!(reach["status"], "fail", "{r:#}");
    assert!(reach["detail"].as_str().unwrap().contains("网络不通"), "{reach}");
    assert!(reach["advice"].as_str().unwrap().contains("防火墙"), "{reach}");
    assert_eq!(check(&r, "handshake")["status"], "skip");
    // The key and its certificate are still checked locally.
    assert_eq!(check(&r, "certificate")["status"], "ok", "{r:#}");

    let out = doctor(&centre, &wrong, false).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("[失败] 网络连通：网络不通"), "{text}");
    assert!(text.contains("[通过] 客户端版本："), "{text}");
    assert!(text.contains("建议："), "{text}");
}
