//! docs/openapi.json describes exactly the routes the router serves (both directions), and its references
//! resolve. A live probe of every documented route runs in the end-to-end suite (tests/tests/openapi.rs).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

const OPENAPI: &str = include_str!("../../../docs/openapi.json");
const ROUTER: &str = include_str!("../src/http/mod.rs");
const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

/// (path, method) pairs registered with `.route("…", get(…).post(…))` in the router source.
fn router_routes() -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for chunk in ROUTER.split(".route(").skip(1) {
        // rustfmt may put the path on its own line.
        let Some(chunk) = chunk.trim_start().strip_prefix('"') else {
            continue;
        };
        let (path, rest) = chunk.split_once('"').unwrap();
        // The handler expression ends where the next `.route(` or `.fallback(` begins.
        let expr = rest
            .split(".route(")
            .next()
            .unwrap()
            .split(".fallback(")
            .next()
            .unwrap();
        for method in METHODS {
            let mut search = expr;
            while let Some(at) = search.find(&format!("{method}(")) {
                let before = search[..at].chars().last().unwrap_or(' ');
                if !before.is_alphanumeric() && before != '_' && before != ':' {
                    out.insert((path.to_owned(), method.to_owned()));
                }
                search = &search[at + method.len()..];
            }
        }
    }
    out
}

fn documented_routes(doc: &serde_json::Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if METHODS.contains(&method.as_str()) {
                out.insert((path.clone(), method.clone()));
            }
        }
    }
    out
}

#[test]
fn the_document_and_the_router_list_the_same_routes() {
    let doc: serde_json::Value = serde_json::from_str(OPENAPI).expect("docs/openapi.json is JSON");
    let routes = router_routes();
    assert!(routes.len() >= 10, "parsed the router: {routes:?}");
    let documented = documented_routes(&doc);
    let undocumented: Vec<_> = routes.difference(&documented).collect();
    let phantom: Vec<_> = documented.difference(&routes).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from docs/openapi.json: {undocumented:?}"
    );
    assert!(phantom.is_empty(), "documented but not routed: {phantom:?}");
}

#[test]
fn every_reference_resolves() {
    let doc: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut stack = vec![&doc];
    let mut refs = 0;
    while let Some(v) = stack.pop() {
        match v {
            serde_json::Value::Object(map) => {
                if let Some(r) = map.get("$ref").and_then(|r| r.as_str()) {
                    let name = r.strip_prefix("#/components/schemas/").expect("local schema ref");
                    assert!(schemas.contains_key(name), "dangling $ref {r}");
                    refs += 1;
                }
                stack.extend(map.values());
            }
            serde_json::Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    assert!(refs > 10);
}
