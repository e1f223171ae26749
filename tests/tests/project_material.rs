//! 补充项目材料 end to end: the developer's SoftHSM token over mTLS, chunked uploads that resume, the type judged by
//! content, size limits, the same file stored once, and who may see a project's materials.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use gjj_client::{manifest_of, ClientError, MaterialFile, Session, SessionConfig};
use gjj_domain::project_material::{UploadDeclaration, CHUNK_SIZE};
use gjj_pki::{Credential, TrustBundle};
use gjj_tests::run_gjj as run;
use gjj_tests::{token_credential, units, Backend, Fixtures, LocalCentre};
use serde_json::Value;

fn session(centre: &LocalCentre, credential: Credential) -> Session {
    let config = SessionConfig {
        server: centre.url(),
        trust: TrustBundle::from_pem_file(&centre.fixtures.ca_bundle()).unwrap(),
        timeout: Duration::from_secs(60),
    };
    Session::open(&config, credential).unwrap()
}

/// A project created the way the developer hall creates one: a 项目录入 draft (`POST /api/v1/project/draft`).
async fn new_project(centre: &LocalCentre, credential: &Credential, name: &str) -> String {
    let response = centre
        .raw_client(credential)
        .post(format!("{}/api/v1/project/draft", centre.url()))
        .json(&serde_json::json!({ "name": name }))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "draft: {}", response.status());
    let view: Value = response.json().await.unwrap();
    let id = view["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("XM"), "{view}");
    id
}

/// A PDF of `len` bytes whose content differs with `seed` (a real header; the body is filler).
fn pdf(len: usize, seed: u8) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut x = u32::from(seed).wrapping_mul(2_654_435_761).wrapping_add(1);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out.push((x & 0xFF) as u8);
    }
    out.truncate(len);
    out
}

fn sha256_hex(bytes: &[u8]) -> String {
    let f = MaterialFile {
        project: "",
        building: None,
        kind: "",
        name: "",
        bytes,
    };
    f.declaration().sha256
}

async fn count(centre: &LocalCentre, sql: &str) -> i64 {
    let pool = centre.db().await.unwrap();
    sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await.unwrap()
}

fn api_code(e: &ClientError) -> (u16, String, String) {
    match e {
        ClientError::Api { status, body } => (*status, body.code.clone(), body.message.clone()),
        other => panic!("not an API error: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pdf_is_uploaded_listed_fetched_back_and_stored_once() {
    upload_list_fetch_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn project_material_runs_on_postgresql() {
    let server = std::env::var(gjj_tests::POSTGRES_ENV).unwrap_or_else(|_| {
        panic!(
            "{} is not set: run with `cargo xtask test` (it starts PostgreSQL)",
            gjj_tests::POSTGRES_ENV
        )
    });
    upload_list_fetch_once(Backend::Postgres(server)).await;
}

async fn upload_list_fetch_once(backend: Backend) {
    let fixtures = Fixtures::from_env();
    // LocalCentre::start blocks (it creates the PostgreSQL database on its own runtime).
    let centre = tokio::task::spawn_blocking(move || LocalCentre::start(&fixtures, backend))
        .await
        .unwrap()
        .unwrap();
    let fixtures = centre.fixtures.clone();
    let credential = token_credential(&fixtures, units::DEVELOPER);
    let project = new_project(&centre, &credential, "华信·雁城府").await;
    let s = session(&centre, credential);
    let bytes = pdf(2 * CHUNK_SIZE as usize + 12_345, 1);
    let done = s
        .upload_material(MaterialFile {
            project: &project,
            building: None,
            kind: "01",
            name: "../扫描件/营业执照.pdf",
            bytes: &bytes,
        })
        .await
        .unwrap();
    assert_eq!((done.chunks_sent, done.chunks_skipped), (3, 0));
    let m = &done.receipt.material;
    assert!(!done.receipt.existing);
    assert!(m.id.starts_with("CL"), "{m:?}");
    assert_eq!(m.name, "营业执照.pdf", "the path part of the name is dropped");
    assert_eq!((m.kind.as_str(), m.kind_label.as_str()), ("01", "营业执照"));
    assert_eq!(m.size, bytes.len() as u64);
    assert_eq!(m.sha256, sha256_hex(&bytes));
    assert_eq!(done.receipt.receipt.business, "project_material");
    assert_eq!(done.receipt.receipt.serial, m.serial);

    let list = s.materials(&project).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].id, m.id);
    assert_eq!(s.material_content(&m.id).await.unwrap(), bytes);

    // The CLI: list, get (bytes identical), and the same file again → the existing material, nothing sent.
    let dev = || centre.gjj(units::DEVELOPER);
    let (code, out, err) = run(dev().args(["material", "list", "--project", &project, "--json"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out[0]["id"], m.id.as_str());
    let fetched = centre.dir.path().join("fetched.pdf");
    let (code, _, err) = run(dev()
        .args(["material", "get", &m.id, "-o"])
        .arg(&fetched)
        .arg("--json"));
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read(&fetched).unwrap(), bytes);
    let again = centre.dir.path().join("营业执照-副本.pdf");
    std::fs::write(&again, &bytes).unwrap();
    let (code, out, err) = run(dev()
        .args(["material", "upload", "--project", &project, "--kind", "营业执照"])
        .arg(&again)
        .arg("--json"));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out["existing"], true, "{out}");
    assert_eq!(out["chunks_sent"], 0, "{out}");
    assert_eq!(out["material"]["id"], m.id.as_str());
    assert_eq!(out["receipt"]["serial"], m.serial.as_str());
    assert_eq!(count(&centre, "SELECT COUNT(*) FROM project_materials").await, 1);
    assert_eq!(
        count(&centre, "SELECT COUNT(*) FROM project_material_chunks").await,
        3
    );
    assert_eq!(
        count(
            &centre,
            "SELECT COUNT(*) FROM submissions WHERE business = 'project_material'"
        )
        .await,
        1
    );

    // The centre reviews it like any submission; staff may read the material.
    let staff = || centre.gjj_pfx("staff");
    let (code, out, err) = run(staff().args(["review", "approve", &m.serial, "--json"]));
    assert_eq!(code, 0, "{err} {out}");
    let list = s.materials(&project).await.unwrap();
    assert_eq!(list[0].status, gjj_domain::api::SubmissionStatus::Done);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_cut_in_the_middle_resumes_without_resending() {
    let fixtures = Fixtures::from_env();
    let centre = LocalCentre::start(&fixtures, Backend::Sqlite).unwrap();
    let credential = token_credential(&fixtures, units::DEVELOPER);
    let project = new_project(&centre, &credential, "华信·蒸湘苑").await;
    let bytes = pdf(5 * CHUNK_SIZE as usize + 77, 2);
    let file = MaterialFile {
        project: &project,
        building: None,
        kind: "07",
        name: "预售许可证.pdf",
        bytes: &bytes,
    };
    let chunk =
        |i: usize| bytes[i * CHUNK_SIZE as usize..((i + 1) * CHUNK_SIZE as usize).min(bytes.len())].to_vec();
    {
        // First attempt: three chunks get through, then the connection is gone (session dropped).
        let first = session(&centre, credential.clone());
        let state = first.material_declare(&file.declaration()).await.unwrap();
        assert_eq!((state.chunk_count, state.received.len()), (6, 0));
        for i in 0..3 {
            first
                .material_put_chunk(&state.upload_id, i as u64, chunk(i))
                .await
                .unwrap();
        }
        // A chunk sent twice is accepted once.
        let state = first
            .material_put_chunk(&state.upload_id, 1, chunk(1))
            .await
            .unwrap();
        assert_eq!(state.received, [0, 1, 2]);
        assert_eq!(state.received_bytes, 3 * CHUNK_SIZE);
        // An index past the end is refused.
        let e = first
            .material_put_chunk(&state.upload_id, 6, vec![0; 10])
            .await
            .unwrap_err();
        assert_eq!(api_code(&e).1, "MATERIAL_CHUNK_OUT_OF_RANGE");
        // Other bytes under an index already held are refused (the file changed mid-upload).
        let e = first
            .material_put_chunk(&state.upload_id, 0, vec![0; CHUNK_SIZE as usize])
            .await
            .unwrap_err();
        assert_eq!(api_code(&e).1, "MATERIAL_CHUNK_CONFLICT");
    }
    assert_eq!(
        count(&centre, "SELECT COUNT(*) FROM project_material_chunks").await,
        3
    );
    assert_eq!(count(&centre, "SELECT COUNT(*) FROM project_materials").await, 0);

    // A new session (a new client after the break) asks what the centre has and sends only the rest.
    let second = session(&centre, credential);
    let done = second.upload_material(file).await.unwrap();
    assert_eq!((done.chunks_sent, done.chunks_skipped), (3, 3));
    assert_eq!(
        count(&centre, "SELECT COUNT(*) FROM project_material_chunks").await,
        6
    );
    assert_eq!(
        second.material_content(&done.receipt.material.id).await.unwrap(),
        bytes
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_executable_named_pdf_is_refused_by_content() {
    let fixtures = Fixtures::from_env();
    let centre = LocalCentre::start(&fixtures, Backend::Sqlite).unwrap();
    let credential = token_credential(&fixtures, units::DEVELOPER);
    let project = new_project(&centre, &credential, "华信·石鼓湾").await;

    // The CLI refuses an ELF binary named .pdf before sending (the centre's own rule).
    let mut elf = b"\x7FELF\x02\x01\x01\x00".to_vec();
    elf.extend_from_slice(&[0u8; 4000]);
    let fake = centre.dir.path().join("营业执照.pdf");
    std::fs::write(&fake, &elf).unwrap();
    let (code, out, _) = run(centre
        .gjj(units::DEVELOPER)
        .args(["material", "upload", "--project", &project, "--kind", "01"])
        .arg(&fake)
        .arg("--json"));
    assert_eq!(code, 1, "{out}");
    assert_eq!(out["error"]["code"], "MATERIAL_EXECUTABLE", "{out}");

    // The centre refuses it too when a client sends it anyway: a Windows PE named .pdf.
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00".to_vec();
    exe.extend_from_slice(&[0u8; 3000]);
    let s = session(&centre, credential);
    let decl = UploadDeclaration {
        project: project.clone(),
        building: None,
        kind: "01".into(),
        name: "营业执照.pdf".into(),
        size: exe.len() as u64,
        sha256: sha256_hex(&exe),
    };
    let state = s.material_declare(&decl).await.unwrap();
    s.material_put_chunk(&state.upload_id, 0, exe.clone())
        .await
        .unwrap();
    let e = s
        .material_complete(&state.upload_id, &manifest_of(&decl))
        .await
        .unwrap_err();
    let (status, code, message) = api_code(&e);
    assert_eq!((status, code.as_str()), (422, "MATERIAL_EXECUTABLE"));
    assert!(message.contains("可执行程序"), "{message}");
    assert_eq!(count(&centre, "SELECT COUNT(*) FROM project_materials").await, 0);
    assert_eq!(
        count(&centre, "SELECT COUNT(*) FROM project_material_uploads").await,
        0
    );
    assert_eq!(
        count(&centre, "SELECT COUNT(*) FROM project_material_chunks").await,
        0
    );
    assert_eq!(
        count(
            &centre,
            "SELECT COUNT(*) FROM submissions WHERE business = 'project_material'"
        )
        .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_sha256_at_completion_is_refused_and_nothing_recorded() {
    let fixtures = Fixtures::from_env();
    let centre = LocalCentre::start(&fixtures, Backend::Sqlite).unwrap();
    let credential = token_credential(&fixtures, units::DEVELOPER);
    let project = new_project(&centre, &credential, "华信·珠晖里").await;
    let s = session(&centre, credential);
    let bytes = pdf(CHUNK_SIZE as usize + 10, 3);
    let decl = UploadDeclaration {
        project: project.clone(),
        building: None,
        kind: "08".into(),
        name: "合作协议.pdf".into(),
        size: bytes.len() as u64,
        // The digest of other bytes: what a file changed after it was declared looks like.
        sha256: sha256_hex(&pdf(bytes.len(), 4)),
    };
    let state = s.material_declare(&decl).await.unwrap();
    // Completing before every chunk is there is refused, and says how many are missing.
    s.material_put_chunk(&state.upload_id, 0, bytes[..CHUNK_SIZE as usize].to_vec())
        .await
        .unwrap();
    let e = s
        .material_complete(&state.upload_id, &manifest_of(&decl))
        .await
        .unwrap_err();
    assert_eq!(api_code(&e).1, "MATERIAL_INCOMPLETE");
    s.material_put_chunk(&state.upload_id, 1, bytes[CHUNK_SIZE as usize..].to_vec())
        .await
        .unwrap();
    let e = s
        .material_complete(&state.upload_id, &manifest_of(&decl))
        .await
        .unwrap_err();
    assert_eq!(api_code(&e).1, "MATERIAL_DIGEST_MISMATCH");
    assert_eq!(count(&centre, "SELECT COUNT(*) FROM project_materials").await, 0);
    assert_eq!(
        count(&centre, "SELECT COUNT(*) FROM project_material_chunks").await,
        0
    );
    assert_eq!(
        count(
            &centre,
            "SELECT COUNT(*) FROM submissions WHERE business = 'project_material'"
        )
        .await,
        0
    );
    // The right file goes through afterwards.
    let done = s
        .upload_material(MaterialFile {
            project: &project,
            building: None,
            kind: "08",
            name: "合作协议.pdf",
            bytes: &bytes,
        })
        .await
        .unwrap();
    assert_eq!(done.chunks_sent, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn size_limits_per_file_and_per_project() {
    let fixtures = Fixtures::from_env();
    let centre = LocalCentre::start(&fixtures, Backend::Sqlite).unwrap();
    let credential = token_credential(&fixtures, units::DEVELOPER);
    let project = new_project(&centre, &credential, "华信·南岳居").await;
    let s = session(&centre, credential);
    const MB: u64 = 1024 * 1024;
    let decl = |size: u64, n: u8| UploadDeclaration {
        project: project.clone(),
        building: None,
        kind: "11".into(),
        name: format!("楼盘表{n}.pdf"),
        size,
        sha256: format!("{n:02x}").repeat(32),
    };
    // Default [limits]: 20 MB per file, 200 MB per project; refused before any byte is sent.
    let e = s.material_declare(&decl(20 * MB + 1, 0)).await.unwrap_err();
    let (status, code, message) = api_code(&e);
    assert_eq!((status, code.as_str()), (413, "MATERIAL_FILE_TOO_LARGE"));
    assert!(message.contains("20 MB"), "{message}");
    for n in 1..=10 {
        s.material_declare(&decl(20 * MB, n)).await.unwrap();
    }
    let e = s.material_declare(&decl(1, 11)).await.unwrap_err();
    let (status, code, message) = api_code(&e);
    assert_eq!((status, code.as_str()), (413, "MATERIAL_PROJECT_TOO_LARGE"));
    assert!(message.contains("200 MB"), "{message}");
    // Declaring a file the centre already has an upload for is not counted twice.
    let again = s.material_declare(&decl(20 * MB, 1)).await.unwrap();
    assert!(again.received.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn other_developers_and_employers_are_refused() {
    let fixtures = Fixtures::from_env();
    let centre = LocalCentre::start(&fixtures, Backend::Sqlite).unwrap();
    let developer = token_credential(&fixtures, units::DEVELOPER);
    let own = new_project(&centre, &developer, "华信·雁峰里").await;
    // The demo centre has one developer token, so the other developer and its project are inserted directly.
    let pool = centre.db().await.unwrap();
    sqlx::query(
        "INSERT INTO units (account, uscc, name, role, status, unit_rate_bp, person_rate_bp, first_month, paid_through, address) \
         SELECT '990000000099', '91430400MA4PZZ0099', '衡阳别家置业有限公司', role, status, unit_rate_bp, person_rate_bp, \
         first_month, paid_through, address FROM units WHERE name = $1",
    )
    .bind(units::DEVELOPER)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO projects (id, developer_account, name, status, created_at, updated_at) \
         VALUES ('XM99990001', '990000000099', '别家项目', 'draft', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')",
    )
    .execute(&pool)
    .await
    .unwrap();

    let s = session(&centre, developer);
    let bytes = pdf(1000, 5);
    let upload = |project: &'static str| MaterialFile {
        project,
        building: None,
        kind: "02",
        name: "资质证书.pdf",
        bytes: &bytes,
    };
    let theirs = api_code(&s.upload_material(upload("XM99990001")).await.unwrap_err());
    let unknown = api_code(&s.upload_material(upload("XM99990002")).await.unwrap_err());
    assert_eq!((theirs.0, theirs.1.as_str()), (404, "MATERIAL_PROJECT_UNKNOWN"));
    assert_eq!(theirs.0, unknown.0);
    assert_eq!(theirs.1, unknown.1);
    assert_eq!(
        theirs.2.replace("XM99990001", "?"),
        unknown.2.replace("XM99990002", "?"),
        "another developer's project reads like an unknown one"
    );
    let e = s.materials("XM99990001").await.unwrap_err();
    assert_eq!(api_code(&e).1, "MATERIAL_PROJECT_UNKNOWN");
    let e = s.material_content("CL99999999").await.unwrap_err();
    assert_eq!(api_code(&e).1, "MATERIAL_UNKNOWN");
    assert_eq!(
        count(&centre, "SELECT COUNT(*) FROM project_material_uploads").await,
        0
    );

    // The developer's own material is out of an employer's reach: the employer's certificate is refused.
    let own_material = s
        .upload_material(MaterialFile {
            project: &own,
            ..upload("")
        })
        .await
        .unwrap()
        .receipt
        .material;
    let employer = session(&centre, token_credential(&fixtures, units::EMPLOYER_A));
    for e in [
        employer.materials(&own).await.unwrap_err(),
        employer.material_content(&own_material.id).await.unwrap_err(),
        employer
            .upload_material(MaterialFile {
                project: &own,
                ..upload("")
            })
            .await
            .unwrap_err(),
    ] {
        let (status, code, _) = api_code(&e);
        assert_eq!((status, code.as_str()), (403, "ROLE_FORBIDDEN"));
    }
    let (code, out, _) =
        run(centre
            .gjj(units::EMPLOYER_B)
            .args(["material", "list", "--project", &own, "--json"]));
    assert_eq!(code, 2, "{out}");
    assert_eq!(out["error"]["code"], "ROLE_FORBIDDEN", "{out}");
}
