//! Server side of the 缴存人登记 benchmark (issue 3: "the server accepting and storing a 50,000-row batch
//! (SQLite) — target ≤ 2 s"): a local centre on a fresh SQLite file, one signed 50,000-row registration from
//! 衡阳雁城科技's SoftHSM key, timed from the first byte sent to the receipt (signature check, the rules, the
//! centre-wide uniqueness lookups, account allocation and the one transaction). Then the staff approval that
//! opens the 50,000 accounts, timed through `gjj review approve`. Prints figures; asserts nothing about time.
//!
//! ```text
//! cargo build --release -p gjj-server -p gjj-cli
//! GJJ_TEST_FIXTURES=target/gjj-test-fixtures \
//!   cargo run --release -p gjj-tests --example bench_registration_store -- [ROWS]
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use base64::Engine;
use gjj_client::{Session, SessionConfig};
use gjj_domain::api::{self, Receipt};
use gjj_domain::contributor_registration::{ContributorRegistration, ContributorRegistrationRow};
use gjj_domain::ids::id_check_char;
use gjj_domain::money::Fen;
use gjj_pki::TrustBundle;
use gjj_tests::{units, Backend, Fixtures, LocalCentre};

/// A body limit large enough for 50,000 rows (~13 MB of JSON); the test centre's own limit is 8 MB (and its
/// request timeout 5 s, raised too so a slow run is measured rather than cut off).
const BENCH_BODY_BYTES: usize = 64 * 1024 * 1024;

/// A unique valid ID for row `i`, outside the demo centre's regions (no seeded person has it).
fn id_number(i: u32) -> String {
    let day = i % 28 + 1;
    let m = (i / 28) % 12 + 1;
    let year = 1970 + (i / 336) % 30;
    let seq = 100 + i / 10_080;
    let first17 = format!("110101{year:04}{m:02}{day:02}{seq:03}");
    format!("{first17}{}", id_check_char(&first17).unwrap())
}

fn main() {
    let rows: u32 = std::env::args()
        .nth(1)
        .map(|n| n.parse().expect("ROWS is a number"))
        .unwrap_or(50_000);
    let fixtures = Fixtures::from_env();
    let mut centre = LocalCentre::start(&fixtures, Backend::Sqlite).expect("start the local centre");
    let config = centre.dir.path().join("server.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let text = text
        .replace(
            &format!("max_body_bytes = {}", gjj_tests::MAX_BODY_BYTES),
            &format!("max_body_bytes = {BENCH_BODY_BYTES}"),
        )
        .replace(
            &format!("request_timeout_secs = {}", gjj_tests::REQUEST_TIMEOUT_SECS),
            "request_timeout_secs = 600",
        );
    std::fs::write(&config, text).unwrap();
    centre.restart(None).unwrap();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let credential = gjj_tests::token_credential(&fixtures, units::EMPLOYER_A);
    let session = Session::open(
        &SessionConfig {
            server: centre.url(),
            trust: TrustBundle::from_pem_file(&fixtures.ca_bundle()).unwrap(),
            timeout: Duration::from_secs(600),
        },
        credential.clone(),
    )
    .unwrap();
    let today = rt.block_on(session.me()).unwrap().today;
    let payload = ContributorRegistration {
        rows: (0..rows)
            .map(|i| ContributorRegistrationRow {
                row: i + 5,
                name: "王建华".to_owned(),
                id_type: "01".to_owned(),
                id_number: id_number(i),
                sex: None,
                birth_month: None,
                mobile: format!("139{i:08}"),
                landline: None,
                base: Fen::from_yuan(2000 + i64::from(i * 37 % 15_000)),
                first_month: today,
                bank_account: (i % 20 == 0).then(|| format!("62220212{i:011}")),
                bank_name: (i % 20 == 0).then(|| "中国工商银行衡阳分行".to_owned()),
                note: None,
            })
            .collect(),
    };
    let body = serde_json::to_vec(&payload).unwrap();
    let signature = credential.sign_detached(&body).unwrap();
    let client = centre.raw_client(&credential);
    // The connection and the TLS session first, so the figure is the submission alone.
    rt.block_on(client.get(format!("{}/api/v1/me", centre.url())).send())
        .unwrap();

    let start = Instant::now();
    let response = rt
        .block_on(
            client
                .post(format!("{}/api/v1/contributor_registration", centre.url()))
                .header(api::IDEMPOTENCY_KEY, "bench-registration-0001")
                .header(api::SIGNATURE_ALG, signature.alg.as_str())
                .header(
                    api::SIGNATURE,
                    base64::engine::general_purpose::STANDARD.encode(&signature.signature),
                )
                .header("content-type", "application/json")
                .body(body.clone())
                .send(),
        )
        .unwrap();
    let status = response.status();
    let bytes = rt.block_on(response.bytes()).unwrap();
    let store = start.elapsed().as_secs_f64();
    assert!(
        status.is_success(),
        "{status}: {}",
        String::from_utf8_lossy(&bytes)
    );
    let receipt: Receipt = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(receipt.accounts.len(), rows as usize);

    let start = Instant::now();
    let out = centre
        .gjj_pfx("staff")
        .args(["review", "approve", &receipt.serial, "--json"])
        .output()
        .unwrap();
    let approve = start.elapsed().as_secs_f64();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));

    println!(
        "{{\"mode\":\"store\",\"rows\":{rows},\"payload_mib\":{:.1},\"seconds\":{store:.3},\"approve_seconds\":{approve:.3}}}",
        body.len() as f64 / (1024.0 * 1024.0)
    );
}
