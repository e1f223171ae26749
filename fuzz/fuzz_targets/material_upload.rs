//! The 补充项目材料 upload protocol through the gateway's real handlers: declare (project, kind, name, size,
//! SHA-256 — true or hostile: 0, u64::MAX, past the limits, malformed digests), put chunks (any upload id, any
//! index text, bodies of the right length or not, twice, changed), complete with a signed manifest (true,
//! edited, signed over something else, by another unit), list and fetch back. Files: PDF, PNG, JPEG, OFD, an
//! executable, garbage; up to three 1 MiB chunks.
//! Oracles: never a 5xx, no panic; whatever is fetched back has the SHA-256 the centre states for it.
//! The material tables are emptied before each input, so an input replays the same way.
#![no_main]

use arbitrary::Arbitrary;
use base64::Engine;
use gjj_domain::project_material::{chunk_count, chunk_len, UploadState, CHUNK_SIZE};
use gjj_fuzz::gateway::{Gateway, Who, PROJECT};
use gjj_fuzz::keys;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct File {
    kind: u8,
    len: u16,
    /// Adds 1 or 2 MiB: more than one chunk.
    chunks: u8,
    fill: u8,
}

#[derive(Arbitrary, Debug)]
enum Size {
    True,
    Any(u64),
    Max,
    Zero,
}

#[derive(Arbitrary, Debug)]
enum Digest {
    True,
    Any(String),
}

#[derive(Arbitrary, Debug)]
enum Project {
    Ours,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Upload {
    Last,
    Nth(u8),
    Any(String),
}

#[derive(Arbitrary, Debug)]
enum Index {
    Next,
    Nth(u64),
    Text(String),
}

#[derive(Arbitrary, Debug)]
enum Chunk {
    Exact,
    Short,
    Long,
    Changed,
    Bytes(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum Manifest {
    True,
    Size(u64),
    Digest(String),
    Kind(String),
    Name(String),
    Project(String),
    Building(String),
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum Signed {
    Cms,
    Raw,
    Over(Vec<u8>),
    None,
}

#[derive(Arbitrary, Debug)]
enum Op {
    Declare {
        who: Who,
        file: u8,
        project: Project,
        building: Option<String>,
        kind: u8,
        any_kind: Option<String>,
        name: String,
        size: Size,
        digest: Digest,
    },
    Put {
        upload: Upload,
        index: Index,
        chunk: Chunk,
    },
    Complete {
        who: Who,
        upload: Upload,
        manifest: Manifest,
        signed: Signed,
    },
    /// The client's whole happy path for one file: declare, send every missing chunk, complete signed (CMS):
    /// gets the input to the assembly, the type check and the recording every time.
    Whole {
        file: u8,
        kind: u8,
        name: String,
        building: Option<String>,
    },
    List {
        who: Who,
        project: Project,
    },
    Fetch {
        who: Who,
        material: u8,
        any: Option<String>,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    files: Vec<File>,
    ops: Vec<Op>,
}

const KINDS: &[&str] = &["01", "02", "03", "04", "05", "06", "07", "08", "09", "99"];

fn bytes_of(f: &File) -> Vec<u8> {
    let head: Vec<u8> = match f.kind % 6 {
        0 => b"%PDF-1.7\n".to_vec(),
        1 => vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A],
        2 => vec![0xFF, 0xD8, 0xFF, 0xE0],
        3 => gjj_fuzz::xlsx::zip_stored(&[("OFD.xml".to_owned(), b"<ofd:OFD/>".to_vec())]),
        4 => b"MZ\x90\x00".to_vec(),
        _ => Vec::new(),
    };
    let extra = usize::from(f.chunks % 3) * CHUNK_SIZE as usize;
    let mut out = head;
    out.resize(out.len() + usize::from(f.len) + extra, f.fill);
    out
}

struct Declared {
    id: String,
    file: Vec<u8>,
    sent: u64,
    /// What was declared: the manifest the client signs says the same.
    decl: serde_json::Value,
}

fn sha_hex(b: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, b))
}

fn check(reply: &gjj_fuzz::gateway::Reply, what: &str) {
    assert!(
        reply.status < 500,
        "{what} answered {}: {}",
        reply.status,
        String::from_utf8_lossy(&reply.body)
    );
}

fuzz_target!(|input: Input| {
    let gateway = Gateway::get();
    gateway.sql(&[
        "DELETE FROM project_materials",
        "DELETE FROM project_material_chunks",
        "DELETE FROM project_material_uploads",
        "DELETE FROM submissions WHERE business = 'project_material'",
    ]);
    let files: Vec<Vec<u8>> = input.files.iter().take(3).map(bytes_of).collect();
    let mut uploads: Vec<Declared> = Vec::new();
    let mut materials: Vec<(String, String)> = Vec::new();
    let json = [("Content-Type".to_owned(), "application/json".to_owned())];
    for op in input.ops.into_iter().take(12) {
        match op {
            Op::Declare {
                who,
                file,
                project,
                building,
                kind,
                any_kind,
                name,
                size,
                digest,
            } => {
                let bytes = files
                    .get(usize::from(file) % files.len().max(1))
                    .cloned()
                    .unwrap_or_default();
                let decl = serde_json::json!({
                    "project": match &project { Project::Ours => PROJECT.to_owned(), Project::Other(p) => p.clone() },
                    "building": building,
                    "kind": any_kind.unwrap_or_else(|| KINDS[usize::from(kind) % KINDS.len()].to_owned()),
                    "name": name,
                    "size": match size { Size::True => bytes.len() as u64, Size::Any(n) => n, Size::Max => u64::MAX, Size::Zero => 0 },
                    "sha256": match &digest { Digest::True => sha_hex(&bytes), Digest::Any(d) => d.clone() },
                });
                let reply = gateway.send(
                    who,
                    "POST",
                    "/api/v1/project_material/uploads",
                    &json,
                    serde_json::to_vec(&decl).unwrap_or_default(),
                );
                check(&reply, "declare");
                if let Ok(state) = serde_json::from_slice::<UploadState>(&reply.body) {
                    // The centre's answer for a file it accepted fits the file (the client relies on it).
                    let size = decl["size"].as_u64().unwrap_or(0);
                    assert_eq!(
                        state.chunk_count,
                        chunk_count(size, state.chunk_size),
                        "chunk count"
                    );
                    uploads.push(Declared {
                        id: state.upload_id,
                        file: bytes,
                        sent: 0,
                        decl,
                    });
                }
            }
            Op::Put { upload, index, chunk } => {
                let (id, target) = match upload {
                    Upload::Last => match uploads.last_mut() {
                        Some(u) => (u.id.clone(), Some(u)),
                        None => continue,
                    },
                    Upload::Nth(n) => {
                        let len = uploads.len();
                        match uploads.get_mut(usize::from(n) % len.max(1)) {
                            Some(u) => (u.id.clone(), Some(u)),
                            None => continue,
                        }
                    }
                    Upload::Any(s) => (s, None),
                };
                let (file, next) = target
                    .as_ref()
                    .map_or((Vec::new(), 0), |u| (u.file.clone(), u.sent));
                let size = file.len() as u64;
                let (index_text, i) = match index {
                    Index::Next => (next.to_string(), next),
                    Index::Nth(i) => (i.to_string(), i),
                    Index::Text(t) => (t, u64::MAX),
                };
                let len = chunk_len(size, CHUNK_SIZE, i) as usize;
                let start = (i.saturating_mul(CHUNK_SIZE) as usize).min(file.len());
                let exact = file[start..(start + len).min(file.len())].to_vec();
                let body = match chunk {
                    Chunk::Exact => exact,
                    Chunk::Short => exact[..exact.len().saturating_sub(1)].to_vec(),
                    Chunk::Long => {
                        let mut b = exact;
                        b.push(0);
                        b
                    }
                    Chunk::Changed => {
                        let mut b = exact;
                        if let Some(x) = b.first_mut() {
                            *x ^= 0xFF;
                        }
                        b
                    }
                    Chunk::Bytes(b) => b,
                };
                let uri = format!(
                    "/api/v1/project_material/uploads/{}/chunks/{}",
                    urlencode(&id),
                    urlencode(&index_text)
                );
                let reply = gateway.send(Who::Developer, "PUT", &uri, &[], body);
                check(&reply, "put chunk");
                if reply.status == 200 {
                    if let Some(u) = target {
                        u.sent = u.sent.max(i.saturating_add(1));
                    }
                }
            }
            Op::Complete {
                who,
                upload,
                manifest,
                signed,
            } => {
                let declared = match upload {
                    Upload::Last => uploads.last(),
                    Upload::Nth(n) => uploads.get(usize::from(n) % uploads.len().max(1)),
                    Upload::Any(_) => None,
                };
                let id = match (&upload, declared) {
                    (Upload::Any(s), _) => s.clone(),
                    (_, Some(d)) => d.id.clone(),
                    _ => continue,
                };
                // The manifest the client signs: what it declared.
                let mut m = declared.map(|d| d.decl.clone()).unwrap_or_else(|| {
                    serde_json::json!({
                        "project": PROJECT, "building": null, "kind": "01", "name": "材料.pdf",
                        "size": 1, "sha256": sha_hex(b"x"),
                    })
                });
                let body = match manifest {
                    Manifest::True => serde_json::to_vec(&m).unwrap_or_default(),
                    Manifest::Size(n) => {
                        m["size"] = n.into();
                        serde_json::to_vec(&m).unwrap_or_default()
                    }
                    Manifest::Digest(d) => {
                        m["sha256"] = d.into();
                        serde_json::to_vec(&m).unwrap_or_default()
                    }
                    Manifest::Kind(k) => {
                        m["kind"] = k.into();
                        serde_json::to_vec(&m).unwrap_or_default()
                    }
                    Manifest::Name(n) => {
                        m["name"] = n.into();
                        serde_json::to_vec(&m).unwrap_or_default()
                    }
                    Manifest::Project(p) => {
                        m["project"] = p.into();
                        serde_json::to_vec(&m).unwrap_or_default()
                    }
                    Manifest::Building(b) => {
                        m["building"] = b.into();
                        serde_json::to_vec(&m).unwrap_or_default()
                    }
                    Manifest::Raw(b) => b,
                };
                let key = keys::ec();
                let cert = gateway.certificate(who).unwrap_or_default().to_vec();
                let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
                let mut headers = json.to_vec();
                let digest = ring::digest::digest(&ring::digest::SHA256, &body);
                headers.push((
                    "Idempotency-Key".into(),
                    format!("fuzz-{}", hex::encode(&digest.as_ref()[..12])),
                ));
                match signed {
                    Signed::Cms if !cert.is_empty() => {
                        headers.push(("X-Gjj-Signature".into(), b64(&keys::cms(key, &cert, &body))));
                        headers.push(("X-Gjj-Signature-Format".into(), "cms".into()));
                    }
                    Signed::Raw => {
                        headers.push(("X-Gjj-Signature".into(), b64(&key.sign_raw(&body))));
                        headers.push(("X-Gjj-Signature-Alg".into(), key.alg().as_str().into()));
                    }
                    Signed::Over(other) => {
                        headers.push(("X-Gjj-Signature".into(), b64(&key.sign_raw(&other))));
                        headers.push(("X-Gjj-Signature-Alg".into(), key.alg().as_str().into()));
                    }
                    _ => {}
                }
                let uri = format!("/api/v1/project_material/uploads/{}/complete", urlencode(&id));
                let reply = gateway.send(who, "POST", &uri, &headers, body);
                check(&reply, "complete");
                if reply.status == 200 || reply.status == 201 {
                    if let Ok(r) = serde_json::from_slice::<serde_json::Value>(&reply.body) {
                        let material = &r["material"];
                        if let (Some(id), Some(sha)) = (material["id"].as_str(), material["sha256"].as_str())
                        {
                            materials.push((id.to_owned(), sha.to_owned()));
                        }
                    }
                }
            }
            Op::Whole {
                file,
                kind,
                name,
                building,
            } => {
                let bytes = files
                    .get(usize::from(file) % files.len().max(1))
                    .cloned()
                    .unwrap_or_default();
                let decl = serde_json::json!({
                    "project": PROJECT, "building": building, "kind": KINDS[usize::from(kind) % KINDS.len()],
                    "name": name, "size": bytes.len() as u64, "sha256": sha_hex(&bytes),
                });
                let body = serde_json::to_vec(&decl).unwrap_or_default();
                let reply = gateway.send(
                    Who::Developer,
                    "POST",
                    "/api/v1/project_material/uploads",
                    &json,
                    body.clone(),
                );
                check(&reply, "declare");
                let Ok(state) = serde_json::from_slice::<UploadState>(&reply.body) else {
                    continue;
                };
                assert!(
                    state.fits(bytes.len() as u64),
                    "the centre's answer does not fit the file"
                );
                for i in state.missing() {
                    let start = (i * state.chunk_size) as usize;
                    let len = chunk_len(bytes.len() as u64, state.chunk_size, i) as usize;
                    let uri = format!(
                        "/api/v1/project_material/uploads/{}/chunks/{i}",
                        urlencode(&state.upload_id)
                    );
                    let reply = gateway.send(
                        Who::Developer,
                        "PUT",
                        &uri,
                        &[],
                        bytes[start..start + len].to_vec(),
                    );
                    check(&reply, "put chunk");
                    assert_eq!(
                        reply.status,
                        200,
                        "a true chunk was refused: {}",
                        String::from_utf8_lossy(&reply.body)
                    );
                }
                let key = keys::ec();
                let cert = gateway.certificate(Who::Developer).unwrap_or_default().to_vec();
                let mut headers = json.to_vec();
                let digest = ring::digest::digest(&ring::digest::SHA256, &body);
                headers.push((
                    "Idempotency-Key".into(),
                    format!("fuzz-{}", hex::encode(&digest.as_ref()[..12])),
                ));
                headers.push((
                    "X-Gjj-Signature".into(),
                    base64::engine::general_purpose::STANDARD.encode(keys::cms(key, &cert, &body)),
                ));
                headers.push(("X-Gjj-Signature-Format".into(), "cms".into()));
                let uri = format!(
                    "/api/v1/project_material/uploads/{}/complete",
                    urlencode(&state.upload_id)
                );
                let reply = gateway.send(Who::Developer, "POST", &uri, &headers, body);
                check(&reply, "complete");
                if reply.status == 200 || reply.status == 201 {
                    let r: serde_json::Value =
                        serde_json::from_slice(&reply.body).expect("a material receipt");
                    let material = &r["material"];
                    assert_eq!(material["sha256"].as_str(), Some(sha_hex(&bytes).as_str()));
                    if let Some(id) = material["id"].as_str() {
                        materials.push((id.to_owned(), sha_hex(&bytes)));
                    }
                }
                uploads.push(Declared {
                    id: state.upload_id,
                    file: bytes,
                    sent: state.chunk_count,
                    decl,
                });
            }
            Op::List { who, project } => {
                let p = match project {
                    Project::Ours => PROJECT.to_owned(),
                    Project::Other(p) => p,
                };
                let reply = gateway.send(
                    who,
                    "GET",
                    &format!("/api/v1/project_material?project={}", urlencode(&p)),
                    &[],
                    Vec::new(),
                );
                check(&reply, "list");
            }
            Op::Fetch { who, material, any } => {
                let known = materials
                    .get(usize::from(material) % materials.len().max(1))
                    .cloned();
                let id = any
                    .or_else(|| known.as_ref().map(|m| m.0.clone()))
                    .unwrap_or_default();
                let reply = gateway.send(
                    who,
                    "GET",
                    &format!("/api/v1/project_material/{}/content", urlencode(&id)),
                    &[],
                    Vec::new(),
                );
                check(&reply, "fetch");
                if reply.status == 200 {
                    if let Some((kid, sha)) = known {
                        if kid == id {
                            assert_eq!(
                                sha_hex(&reply.body),
                                sha,
                                "fetched bytes differ from the recorded digest"
                            );
                        }
                    }
                }
            }
        }
    }
});

/// Percent-encodes a path segment or query value (every byte but unreserved ASCII).
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
