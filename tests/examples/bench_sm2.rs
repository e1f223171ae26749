//! 国密 figures (issue 12): an SM2 key behind the SKF TEST DOUBLE (software SM2, so the key's own signing time is
//! the double's, not a USB key's), against a local centre on SQLite (release builds):
//! - the SM3+Z digest and SM2 signature through the SKF interface;
//! - a detached CMS SignedData (GB/T 35275) of a 1 MB payload, and of the same with an ECDSA SoftHSM key;
//! - the whole SM2 login (TCP, TLS 1.3, challenge, signature bound to the exporter, login) next to the mTLS
//!   login of the SoftHSM ECDSA key (TCP + handshake signed on the token), each on a fresh session;
//! - the centre's signed PDF receipt (size and time per request).
//!
//! Prints medians; asserts nothing about time.
//!
//! ```text
//! cargo build --release -p gjj-server -p gjj-skf-test-double
//! GJJ_TEST_FIXTURES=target/gjj-bench-fixtures SOFTHSM2_CONF=… \
//!   cargo run --release -p gjj-tests --example bench_sm2
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use gjj_client::{Session, SessionConfig};
use gjj_pki::TrustBundle;
use gjj_tests::{skf_double, skf_double_state, units, Backend, Fixtures, LocalCentre, SKF_DOUBLE_DIR_ENV};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn time<T>(n: usize, mut f: impl FnMut() -> T) -> Duration {
    median(
        (0..n)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(f());
                start.elapsed()
            })
            .collect(),
    )
}

fn main() {
    let fixtures = Fixtures::from_env();
    let centre = LocalCentre::start(&fixtures, Backend::Sqlite).expect("start the local centre");
    let work = tempfile::tempdir().unwrap();
    let state = skf_double_state(&fixtures, "sm2-employer-b-sign", None, work.path()).unwrap();
    std::env::set_var(SKF_DOUBLE_DIR_ENV, &state);
    let driver = gjj_pki::skf::SkfDriver::load(&skf_double()).unwrap();
    let pin_start = Instant::now();
    let signer = driver.login(None, gjj_tests::DEV_PIN).unwrap();
    let pin = pin_start.elapsed();
    let sm2 = signer.clone().into_credential().unwrap();
    let ecdsa = gjj_tests::token_credential(&fixtures, units::EMPLOYER_A);

    println!("国密 SM2 key（SKF 测试替身，软件 SM2）与 SoftHSM ECDSA key，中位数：");
    println!("  SKF 核对 PIN（SKF_VerifyPIN）               {}", ms(pin));
    println!(
        "  SM2 签名 32 字节消息（Z+SM3 在本机，签名在 key）  {}",
        ms(time(50, || signer
            .sign(b"0123456789abcdef0123456789abcdef")
            .unwrap()))
    );
    let payload = vec![b'x'; 1024 * 1024];
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    println!(
        "  CMS 签名 1 MB（SM2，GB/T 35275）             {}",
        ms(time(20, || gjj_pki::cms::sign(&sm2, &payload, now).unwrap()))
    );
    println!(
        "  CMS 签名 1 MB（ECDSA P-256，SoftHSM）         {}",
        ms(time(20, || gjj_pki::cms::sign(&ecdsa, &payload, now).unwrap()))
    );
    let cms = gjj_pki::cms::sign(&sm2, &payload, now).unwrap();
    println!(
        "  CMS 验证 1 MB（SM2，网关侧）                 {}",
        ms(time(20, || gjj_pki::cms::verify(&cms, &payload).unwrap()))
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let config = SessionConfig {
        server: centre.url(),
        trust: TrustBundle::from_pem_file(&fixtures.ca_bundle()).unwrap(),
        timeout: Duration::from_secs(60),
    };
    let login = |credential: &gjj_pki::Credential| {
        let session = Session::open(&config, credential.clone()).unwrap();
        rt.block_on(session.me()).unwrap()
    };
    println!(
        "  国密登录（TCP+TLS 1.3+挑战+绑定签名+登录+me）   {}",
        ms(time(20, || login(&sm2)))
    );
    println!(
        "  双向 TLS 登录（TCP+握手在 key 上签名+me）      {}",
        ms(time(20, || login(&ecdsa)))
    );

    let session = Session::open(&config, sm2.clone()).unwrap();
    let serial = rt.block_on(async {
        let list = session.submissions().await.unwrap();
        list.first().map(|s| s.receipt.serial.clone())
    });
    let serial = serial.unwrap_or_else(|| {
        // No submission yet in a fresh centre: one small 基数调整 to have a receipt.
        let employees = rt.block_on(centre.active_employees(units::EMPLOYER_B)).unwrap();
        let me = rt.block_on(session.me()).unwrap();
        let row = gjj_domain::base_adjustment::BaseAdjustmentRow {
            row: 5,
            account: employees[0].account.clone(),
            name: employees[0].name.clone(),
            id_number: employees[0].id_number.clone(),
            old_base: None,
            new_base: employees[0].base,
            effective_month: me.unit.paid_through.expect("缴至年月").next(),
            note: None,
        };
        let payload = gjj_domain::base_adjustment::BaseAdjustment { rows: vec![row] };
        let outbox = rt
            .block_on(gjj_client::Outbox::open(&work.path().join("outbox.sqlite")))
            .unwrap();
        match rt
            .block_on(session.submit(&outbox, "base_adjustment", &payload, 1))
            .unwrap()
        {
            gjj_client::Submitted::Accepted { receipt, .. } => receipt.serial,
        }
    });
    let mut size = 0;
    let pdf_time = time(10, || {
        size = rt.block_on(session.receipt_pdf(&serial)).unwrap().len();
    });
    println!(
        "  中心签章 PDF 回执（子集字体 + 签章，经国密会话）   {}，{} KB",
        ms(pdf_time),
        size / 1024
    );
}
