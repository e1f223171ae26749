//! Two gateways on one PostgreSQL database behind HAProxy (TCP passthrough, mTLS ends at the gateway): many
//! concurrent signed submissions from different units, each one sent at the same moment to both instances
//! directly and twice through HAProxy under the same Idempotency-Key — as a client retrying after a lost answer
//! lands wherever the balancer sends it. Every 业务流水号 is unique, one submission is stored per key, every
//! answer to a key is its first receipt; then a killed instance is taken out by HAProxy and comes back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use base64::Engine;
use gjj_domain::api::{self, Receipt};
use gjj_domain::contributor_registration::{ContributorRegistration, ContributorRegistrationRow};
use gjj_domain::ids::id_check_char;
use gjj_domain::money::Fen;
use gjj_domain::month::Month;
use gjj_pki::{Credential, TrustBundle};
use gjj_tests::cluster::Cluster;
use gjj_tests::{units, Backend, Fixtures, DEV_PIN};

/// Keys per unit; each is sent 4 times at once.
const KEYS: usize = 8;
const ROWS: u32 = 3;

fn client(fixtures: &Fixtures, credential: &Credential) -> reqwest::Client {
    let trust = TrustBundle::from_pem_file(&fixtures.ca_bundle()).expect("CA bundle");
    reqwest::Client::builder()
        .use_preconfigured_tls(credential.client_config(&trust).expect("TLS config"))
        .timeout(Duration::from_secs(60))
        .build()
        .expect("HTTP client")
}

/// A valid 身份证 number nobody in the demo centre has (region 110101, outside 衡阳), unique per `n`.
fn id_number(n: u32) -> String {
    let first17 = format!(
        "1101011985{:02}{:02}{:03}",
        n / 28 % 12 + 1,
        n % 28 + 1,
        n / 336 % 1000
    );
    format!("{first17}{}", id_check_char(&first17).expect("17 digits"))
}

fn registration(first: u32, month: Month) -> ContributorRegistration {
    ContributorRegistration {
        rows: (0..ROWS)
            .map(|i| ContributorRegistrationRow {
                row: 5 + i,
                name: "李思远".to_owned(),
                id_type: "01".to_owned(),
                id_number: id_number(first + i),
                sex: None,
                birth_month: None,
                mobile: format!("137{:08}", first + i),
                landline: None,
                base: Fen::from_yuan(5000),
                first_month: month,
                bank_account: None,
                bank_name: None,
                note: None,
            })
            .collect(),
    }
}

struct Answer {
    key: String,
    status: u16,
    replayed: bool,
    body: String,
}

async fn submit(client: reqwest::Client, url: String, key: String, body: Vec<u8>, cms: Vec<u8>) -> Answer {
    let response = client
        .post(format!("{url}/api/v1/contributor_registration"))
        .header(api::IDEMPOTENCY_KEY, &key)
        .header(api::SIGNATURE_FORMAT, "cms")
        .header(
            api::SIGNATURE,
            base64::engine::general_purpose::STANDARD.encode(cms),
        )
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{url} {key}: {e:?}"));
    let status = response.status().as_u16();
    let replayed = response.headers().get(api::REPLAYED).is_some();
    Answer {
        key,
        status,
        replayed,
        body: response.text().await.expect("body"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_gateways_behind_haproxy_store_each_idempotency_key_once() {
    let fixtures = Fixtures::from_env();
    let Backend::Postgres(server) = gjj_tests::postgres_backend() else {
        unreachable!("postgres_backend is PostgreSQL")
    };
    let f = fixtures.clone();
    let mut cluster = tokio::task::spawn_blocking(move || Cluster::start(&f, &server, 2))
        .await
        .unwrap()
        .expect("cluster starts and HAProxy sees both instances UP");

    if cluster.has_ops() {
        // The ops port: TLS with the gateway's own certificate, no client certificate asked for.
        let trust = TrustBundle::from_pem_file(&fixtures.ca_bundle()).unwrap();
        let mut roots = rustls::RootCertStore::empty();
        for c in trust.all() {
            roots.add(c.clone()).unwrap();
        }
        let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        let ops = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .build()
            .unwrap();
        for i in 0..2 {
            for path in ["/healthz", "/readyz"] {
                let r = ops
                    .get(format!("{}{path}", cluster.ops_url(i)))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200, "instance {i} {path}");
            }
        }
    }

    // Three units, three key types: A with its soft .pfx (EC), B (RSA, PSS) and C (RSA PKCS#1, TLS 1.2) on tokens.
    let credentials = [
        gjj_pki::pfx::load_pfx(&fixtures.pfx("employer-a-soft"), DEV_PIN).expect("employer A .pfx"),
        gjj_tests::token_credential(&fixtures, units::EMPLOYER_B),
        gjj_tests::token_credential(&fixtures, units::EMPLOYER_C),
    ];
    let targets = [
        cluster.instance_url(0),
        cluster.instance_url(1),
        cluster.url(),
        cluster.url(),
    ];
    let me: api::Me = client(&fixtures, &credentials[0])
        .get(format!("{}/api/v1/me", cluster.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();

    // Signed up front (a token signs one thing at a time), then everything is sent at once.
    let mut sends = Vec::new();
    let mut expected_keys = Vec::new();
    for (u, credential) in credentials.iter().enumerate() {
        let clients: Vec<reqwest::Client> = targets.iter().map(|_| client(&fixtures, credential)).collect();
        for k in 0..KEYS {
            let first = u32::try_from((u * KEYS + k) * ROWS as usize).unwrap();
            let body = serde_json::to_vec(&registration(first, me.today)).unwrap();
            let cms = gjj_pki::cms::sign(credential, &body, now).expect("CMS signature");
            let key = format!("cluster-{u}-{k:04}");
            expected_keys.push(key.clone());
            for (t, url) in targets.iter().enumerate() {
                sends.push(tokio::spawn(submit(
                    clients[t].clone(),
                    url.clone(),
                    key.clone(),
                    body.clone(),
                    cms.clone(),
                )));
            }
        }
    }
    let mut by_key: HashMap<String, Vec<Answer>> = HashMap::new();
    for send in sends {
        let answer = send.await.unwrap();
        by_key.entry(answer.key.clone()).or_default().push(answer);
    }

    let mut serials = HashSet::new();
    for key in &expected_keys {
        let answers = &by_key[key];
        for a in answers {
            assert!(
                a.status == 201 || a.status == 200,
                "{key}: {} {}",
                a.status,
                a.body
            );
        }
        let created: Vec<&Answer> = answers.iter().filter(|a| a.status == 201).collect();
        assert_eq!(created.len(), 1, "{key}: exactly one request stores it");
        assert!(answers.iter().filter(|a| a.status == 200).all(|a| a.replayed));
        let first: Receipt = serde_json::from_str(&created[0].body).unwrap();
        for a in answers {
            let r: Receipt = serde_json::from_str(&a.body).unwrap();
            assert_eq!(r, first, "{key}: every answer is the first receipt");
        }
        assert_eq!(first.idempotency_key, *key);
        assert!(
            serials.insert(first.serial.clone()),
            "serial {} given twice",
            first.serial
        );
    }

    // A later retry through HAProxy: the first receipt again.
    let key = &expected_keys[0];
    let first: Receipt =
        serde_json::from_str(&by_key[key].iter().find(|a| a.status == 201).unwrap().body).unwrap();
    let body = serde_json::to_vec(&registration(0, me.today)).unwrap();
    let cms = gjj_pki::cms::sign(&credentials[0], &body, now).unwrap();
    let again = submit(
        client(&fixtures, &credentials[0]),
        cluster.url(),
        key.clone(),
        body,
        cms,
    )
    .await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert!(again.replayed);
    assert_eq!(serde_json::from_str::<Receipt>(&again.body).unwrap(), first);

    // What the database holds: one submission per key, every serial distinct.
    let pool = cluster.db().await.unwrap();
    let stored: Vec<(String, String)> =
        sqlx::query_as("SELECT idempotency_key, serial FROM submissions ORDER BY idempotency_key")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(stored.len(), expected_keys.len(), "{stored:?}");
    let keys: HashSet<&String> = stored.iter().map(|(k, _)| k).collect();
    let stored_serials: HashSet<&String> = stored.iter().map(|(_, s)| s).collect();
    assert_eq!(keys.len(), expected_keys.len());
    assert_eq!(stored_serials.len(), expected_keys.len());
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contributor_registration_rows")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, (expected_keys.len() * ROWS as usize) as i64);

    // kill -9 one instance: HAProxy takes it out, the hall keeps answering, and it comes back on its port.
    cluster.kill(0);
    cluster
        .wait_instance(0, "DOWN", Duration::from_secs(20))
        .expect("HAProxy marks the killed instance DOWN");
    let a = client(&fixtures, &credentials[0]);
    for _ in 0..4 {
        let r = a
            .get(format!("{}/api/v1/me", cluster.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    tokio::task::block_in_place(|| cluster.start_instance(0)).expect("instance 0 restarts");
    cluster
        .wait_instance(0, "UP", Duration::from_secs(20))
        .expect("HAProxy takes it back");
    let r = client(&fixtures, &credentials[1])
        .get(format!("{}/api/v1/me", cluster.instance_url(0)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
