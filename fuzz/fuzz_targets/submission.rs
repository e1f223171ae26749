//! A signed submission as the gateway receives it, through its real router: the idempotency key, the signature
//! headers (CMS or raw, made by the caller's key as the client makes them, or edited, or anything), the body
//! limit, the JSON payload of each business (the base-adjustment payload of a fixture sheet, edited field by
//! field), the business rules with the centre's data, and the database. Callers: an employer, a developer,
//! centre staff, a certificate of no unit, one without a USCC, none.
//! Oracle: never a 5xx (a 500 is the gateway failing on what a client sent); no panic.
#![no_main]

use std::io::Cursor;
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use base64::Engine;
use gjj_fuzz::gateway::{Gateway, Who};
use gjj_fuzz::keys;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const ROUTES: &[&str] = &[
    "/api/v1/base_adjustment",
    "/api/v1/contributor_registration",
    "/api/v1/contributor_change",
    "/api/v1/unit_change",
    "/api/v1/rate_adjustment",
    "/api/v1/seal",
    "/api/v1/unseal",
    "/api/v1/remittance",
    "/api/v1/supplementary",
    "/api/v1/project/draft",
    "/api/v1/project",
    "/api/v1/building",
    "/api/v1/loan_application",
    "/api/v1/project_material/uploads",
    "/api/v1/sm2/login",
];

#[derive(Arbitrary, Debug)]
enum Field {
    Valid,
    Free(String),
    Missing,
}

#[derive(Arbitrary, Debug)]
enum Sig {
    Cms,
    CmsEdited(Vec<(u16, u8)>),
    Raw,
    /// Signed over other bytes than the body.
    RawOther(Vec<u8>),
    Free(String),
    Missing,
}

#[derive(Arbitrary, Debug)]
enum Step {
    Key(u8),
    Index(u8),
}

#[derive(Arbitrary, Debug)]
enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Big,
    Float(f64),
    Str(String),
    Dict(u8),
    Array(u8),
    Object,
}

#[derive(Arbitrary, Debug)]
struct Edit {
    path: Vec<Step>,
    value: Json,
}

#[derive(Arbitrary, Debug)]
enum Body {
    Raw(Vec<u8>),
    /// The fixture payload of the route's business (or `{}`), edited.
    Json(Vec<Edit>),
    /// A base-adjustment payload the centre accepts (its own persons), edited: reaches the recording, the
    /// receipt and the idempotent replay.
    Accepted(Vec<Edit>),
}

#[derive(Arbitrary, Debug)]
struct Input {
    who: Who,
    route: u8,
    key: Field,
    sig: Sig,
    format: Field,
    alg: Field,
    body: Body,
    headers: Vec<(String, String)>,
}

/// Field names and values the payloads use: the fixture payload's, and the other businesses' common ones.
const KEYS: &[&str] = &[
    "rows",
    "account",
    "name",
    "id_number",
    "id_type",
    "effective_month",
    "new_base",
    "old_base",
    "note",
    "seq",
    "month",
    "months",
    "unit_rate",
    "person_rate",
    "rate",
    "base",
    "reason",
    "project",
    "building",
    "kind",
    "size",
    "sha256",
    "applicants",
    "houses",
    "phone",
    "address",
    "draft",
    "fields",
    "status",
    "amount",
];
const STRINGS: &[&str] = &[
    "430405198803150011",
    "43040519880315001X",
    "9815070100001",
    "202607",
    "199001",
    "999912",
    "张三",
    "",
    "0",
    "-1",
    "99999999999999999999",
    "1e309",
    XM,
];
const XM: &str = gjj_fuzz::gateway::PROJECT;

/// The base-adjustment payload of a fixture sheet (the rows the client would send).
fn fixture_payload() -> &'static Value {
    static PAYLOAD: OnceLock<Value> = OnceLock::new();
    PAYLOAD.get_or_init(|| {
        let bytes = include_bytes!("../../crates/sheets/tests/fixtures/base_adjustment_openpyxl.xlsx");
        let mut rows = Vec::new();
        let mut issues = Vec::new();
        let _ = gjj_sheets::base_adjustment::import_reader(
            Cursor::new(&bytes[..]),
            "fixture.xlsx",
            &gjj_sheets::ImportOptions::default(),
            |row, _| rows.push(row),
            &mut issues,
        );
        serde_json::to_value(gjj_domain::base_adjustment::BaseAdjustment { rows }).unwrap_or(Value::Null)
    })
}

fn json_value(j: &Json) -> Value {
    match j {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Int(i) => Value::from(*i),
        Json::Big => Value::from(u64::MAX),
        Json::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Json::Str(s) => Value::String(s.clone()),
        Json::Dict(i) => Value::String(STRINGS[usize::from(*i) % STRINGS.len()].to_owned()),
        Json::Array(n) => Value::Array(vec![fixture_payload()["rows"][0].clone(); usize::from(*n % 4)]),
        Json::Object => Value::Object(serde_json::Map::new()),
    }
}

/// Sets `value` at `path` in `root`, making objects and array slots on the way.
fn apply(root: &mut Value, path: &[Step], value: Value) {
    let mut at = root;
    for step in path.iter().take(6) {
        at = match step {
            Step::Key(k) => {
                if !at.is_object() {
                    *at = Value::Object(serde_json::Map::new());
                }
                let key = KEYS[usize::from(*k) % KEYS.len()];
                at.as_object_mut()
                    .map(|o| o.entry(key).or_insert(Value::Null))
                    .expect("an object")
            }
            Step::Index(i) => {
                if !at.is_array() {
                    *at = Value::Array(Vec::new());
                }
                let a = at.as_array_mut().expect("an array");
                let i = usize::from(*i % 8);
                while a.len() <= i {
                    a.push(Value::Null);
                }
                &mut a[i]
            }
        };
    }
    *at = value;
}

fuzz_target!(|input: Input| {
    let gateway = Gateway::get();
    let mut route = ROUTES[usize::from(input.route) % ROUTES.len()];
    let body = match &input.body {
        Body::Raw(b) => b.clone(),
        Body::Accepted(edits) => {
            route = "/api/v1/base_adjustment";
            let mut v = gateway.accepted_base_adjustment.clone();
            for e in edits.iter().take(16) {
                apply(&mut v, &e.path, json_value(&e.value));
            }
            serde_json::to_vec(&v).unwrap_or_default()
        }
        Body::Json(edits) => {
            let mut v = if route == "/api/v1/base_adjustment" {
                fixture_payload().clone()
            } else {
                Value::Object(serde_json::Map::new())
            };
            for e in edits.iter().take(16) {
                apply(&mut v, &e.path, json_value(&e.value));
            }
            serde_json::to_vec(&v).unwrap_or_default()
        }
    };
    let key = keys::ec();
    let cert = gateway.certificate(input.who).unwrap_or_default().to_vec();
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let mut headers: Vec<(String, String)> = Vec::new();
    match &input.key {
        Field::Valid => {
            let digest = ring::digest::digest(&ring::digest::SHA256, &body);
            headers.push((
                "Idempotency-Key".into(),
                format!("fuzz-{}", hex::encode(&digest.as_ref()[..12])),
            ));
        }
        Field::Free(k) => headers.push(("Idempotency-Key".into(), k.clone())),
        Field::Missing => {}
    }
    let signature = match &input.sig {
        Sig::Cms if !cert.is_empty() => Some(b64(&keys::cms(key, &cert, &body))),
        Sig::CmsEdited(edits) if !cert.is_empty() => {
            let mut s = keys::cms(key, &cert, &body);
            for (at, x) in edits {
                let i = usize::from(*at) % s.len();
                s[i] ^= x;
            }
            Some(b64(&s))
        }
        Sig::Raw => Some(b64(&key.sign_raw(&body))),
        Sig::RawOther(other) => Some(b64(&key.sign_raw(other))),
        Sig::Free(s) => Some(s.clone()),
        _ => None,
    };
    if let Some(s) = signature {
        headers.push(("X-Gjj-Signature".into(), s));
    }
    let cms = matches!(input.sig, Sig::Cms | Sig::CmsEdited(_));
    match &input.format {
        Field::Valid => headers.push((
            "X-Gjj-Signature-Format".into(),
            if cms { "cms" } else { "raw" }.into(),
        )),
        Field::Free(f) => headers.push(("X-Gjj-Signature-Format".into(), f.clone())),
        Field::Missing => {}
    }
    match &input.alg {
        Field::Valid => headers.push(("X-Gjj-Signature-Alg".into(), key.alg().as_str().into())),
        Field::Free(a) => headers.push(("X-Gjj-Signature-Alg".into(), a.clone())),
        Field::Missing => {}
    }
    headers.push(("Content-Type".into(), "application/json".into()));
    headers.extend(input.headers.iter().take(4).cloned());
    let reply = gateway.send(input.who, "POST", route, &headers, body);
    assert!(
        reply.status < 500,
        "{route} answered {}: {}",
        reply.status,
        String::from_utf8_lossy(&reply.body)
    );
});
