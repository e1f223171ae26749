//! Every route in docs/openapi.json answers on the live gateway (the router's fallback would say NOT_FOUND).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gjj_tests::{token_credential, units, Backend, Fixtures, LocalCentre};

#[tokio::test(flavor = "multi_thread")]
async fn every_documented_route_is_served() {
    let fixtures = Fixtures::from_env();
    let centre = LocalCentre::start(&fixtures, Backend::Sqlite).unwrap();
    let client = centre.raw_client(&token_credential(&fixtures, units::EMPLOYER_A));
    let doc: serde_json::Value = serde_json::from_str(include_str!("../../docs/openapi.json")).unwrap();
    let mut probed = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let url = format!("{}{}", centre.url(), path.replace("{serial}", "020000000000000"));
            let request = match method.as_str() {
                "get" => client.get(&url),
                "post" => client
                    .post(&url)
                    .header("Content-Type", "application/json")
                    .body("{}"),
                "put" => client
                    .put(&url)
                    .header("Content-Type", "application/octet-stream")
                    .body(vec![0u8; 16]),
                other => panic!("undocumented method kind {other}"),
            };
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            assert_ne!(status, 405, "{method} {path}: method not allowed");
            assert_ne!(body["code"], "NOT_FOUND", "{method} {path} is not routed");
            assert!(
                body.is_object() || body.is_array(),
                "{method} {path}: JSON answer"
            );
            probed += 1;
        }
    }
    assert!(probed >= 11, "probed {probed} routes");
}
