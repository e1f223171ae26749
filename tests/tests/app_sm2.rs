//! The desktop app's core (`gjj_client::app::App`) with a 国密 SM2 key behind its SKF driver — the SKF TEST
//! DOUBLE configured as the USB-key driver, exactly as IT would configure a vendor's `*_SKF.dll`: the key is
//! listed beside the others without a PIN, the same PIN screen's codes come back, and after login every call
//! goes over the SM2 session bound to its TLS connection. Its own process: the app reads its settings from the
//! environment.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gjj_client::app::{App, KeyChoice};
use gjj_tests::{
    skf_double, skf_double_state, units, Backend, Fixtures, LocalCentre, DEV_PIN, SKF_DOUBLE_DIR_ENV,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_logs_an_sm2_key_in_through_its_skf_driver_with_the_same_pin_screen() {
    let fixtures = Fixtures::from_env();
    let centre = LocalCentre::start(&fixtures, Backend::Sqlite).unwrap();
    let home = tempfile::tempdir().unwrap();
    let state = skf_double_state(
        &fixtures,
        "sm2-employer-b-sign",
        Some("sm2-employer-b-enc"),
        &home.path().join("key"),
    )
    .unwrap();
    // IT fixes the driver list to the SM2 key's driver: nothing else on this machine is loaded.
    gjj_tests::app_settings(home.path(), &centre, &skf_double(), "", "").unwrap();
    std::env::set_var(SKF_DOUBLE_DIR_ENV, &state);
    let app = App::new(home.path().join("data"));

    // Listed without a PIN, with the key's own counter; the login screen is not told which interface it is.
    let keys = app.keys().await.unwrap();
    let key = keys
        .keys
        .iter()
        .find(|k| k.skf.is_some())
        .unwrap_or_else(|| panic!("the SM2 key is listed: {keys:?}"));
    let cert = &key.certificates[0];
    assert_eq!(cert.unit_name, units::EMPLOYER_B);
    let choice = KeyChoice {
        module: key.module.clone(),
        label: key.label.clone(),
        fingerprint: cert.fingerprint.clone(),
    };

    let wrong = app.login(choice.clone(), "000000".into()).await.unwrap_err();
    assert_eq!(wrong.code, "PIN_INCORRECT", "{}", wrong.message);
    let info = app.login(choice, DEV_PIN.into()).await.unwrap();
    assert_eq!(info.me.unit.name, units::EMPLOYER_B);
    assert_eq!(info.certificate.fingerprint, cert.fingerprint);

    // Every later call goes over the SM2 session.
    let home_view = app.home().await.unwrap();
    assert_eq!(home_view.me.unit.name, units::EMPLOYER_B);
    let report = app.doctor().await.unwrap();
    let handshake = report
        .checks
        .iter()
        .find(|c| c.id == "handshake")
        .expect("handshake check");
    assert!(
        handshake.detail.contains("国密登录成功") && handshake.detail.contains("本连接"),
        "{}",
        handshake.detail
    );
}
