//! Personal data on the clerk's PC (issue 16), proven from outside the client's own reading of it:
//! - the demo flow (template → import → fix in the grid → submit → the centre approves), a form draft and a
//!   queued registration, with the app logging at debug level; then every file the client wrote — the local
//!   store with its WAL, the log, the exported log, the doctor report, the work and temp directories, the key
//!   file — is scanned byte by byte for the sheet's 身份证 numbers and names in UTF-8, UTF-16LE and UTF-16BE:
//!   none may be found;
//! - the retention period: nothing is purged before it; once the centre's 已办结 is older than the period IT
//!   set, the payload (and the grid it was made from) is gone, the receipt (with the signed payload's digest) stays and the centre's sealed PDF
//!   receipt still verifies; what the centre has not finished stays; an old draft is flagged, not deleted;
//! - the store copied to another user's profile (another key) cannot be read: a stable `LOCAL_STORE_KEY`.
//!
//! One test function: the SoftHSM module reads SOFTHSM2_CONF once per process, and the app reads its settings
//! from the environment.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use gjj_client::app::App;
use gjj_client::vault::Vault;
use gjj_client::Outbox;
use gjj_domain::money::Fen;
use gjj_tests::{
    units, write_base_adjustment, Backend, Cell, Fixtures, LocalCentre, SheetRow, DEV_PIN, SOFTHSM_MODULE,
};
use serde_json::json;

/// `needle` as the bytes a file could hold it in.
fn encodings(needle: &str) -> Vec<(&'static str, Vec<u8>)> {
    let le: Vec<u8> = needle.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = needle.encode_utf16().flat_map(u16::to_be_bytes).collect();
    vec![
        ("UTF-8", needle.as_bytes().to_vec()),
        ("UTF-16LE", le),
        ("UTF-16BE", be),
    ]
}

/// (file, needle, encoding) for each needle found in a file below `roots`.
fn leaks(roots: &[&Path], needles: &[String]) -> Vec<String> {
    let all: Vec<PathBuf> = roots.iter().flat_map(|r| gjj_tests::files_below(r)).collect();
    let names: Vec<String> = all
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    if roots.len() > 1 {
        for expected in [
            "outbox.sqlite",
            "store.key",
            "gjj-hall.log",
            "doctor.json",
            "日志.txt",
        ] {
            assert!(
                names.iter().any(|n| n == expected),
                "{expected} was scanned: {names:?}"
            );
        }
    }
    let mut found = Vec::new();
    for file in &all {
        let bytes = std::fs::read(file).unwrap_or_default();
        for needle in needles {
            for (encoding, pattern) in encodings(needle) {
                if bytes.windows(pattern.len()).any(|w| w == pattern.as_slice()) {
                    found.push(format!("{} holds {needle} ({encoding})", file.display()));
                }
            }
        }
    }
    found
}

fn gjj_staff(centre: &LocalCentre, args: &[&str]) -> serde_json::Value {
    let (code, out, err) = gjj_tests::run_gjj(centre.gjj_pfx("staff").args(args));
    assert_eq!(code, 0, "gjj {args:?}: {out} {err}");
    out
}

/// A 身份证 number with a correct check character.
fn id_number(first17: &str) -> String {
    format!("{first17}{}", gjj_domain::ids::id_check_char(first17).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_data_is_sealed_on_the_pc_and_leaves_after_the_retention_period() {
    let fixtures = Fixtures::from_env();
    let centre = LocalCentre::start(&fixtures, Backend::Sqlite).unwrap();
    let home = tempfile::tempdir().unwrap();
    let tmp = home.path().join("tmp");
    let clerk = home.path().join("clerk"); // the clerk's own Excel files: not the client's to protect
    for d in [&tmp, &clerk] {
        std::fs::create_dir_all(d).unwrap();
    }
    let config = gjj_tests::app_settings(
        home.path(),
        &centre,
        Path::new(SOFTHSM_MODULE),
        "log_level = \"debug\"\n",
        "retention_days = 30\n",
    )
    .unwrap();
    std::env::set_var("SOFTHSM2_CONF", centre.softhsm_conf());
    // Whatever the client puts in the temp directory lands where the scan looks.
    std::env::set_var("TMPDIR", &tmp);
    let data = home.path().join("data");
    let app = App::new(data.clone());
    assert!(gjj_client::logs::init_file(&app.log_file(), "debug"));
    assert_eq!(app.settings().unwrap().retention_days, 30);

    let keys = app.keys().await.unwrap();
    app.login(gjj_tests::key_choice(&keys, units::EMPLOYER_A), DEV_PIN.into())
        .await
        .unwrap();
    let due = app.home().await.unwrap().me.unit.due_month().to_string();

    // The sheet: four of the unit's people, one base mistyped and fixed in the window (a work file).
    let employees = centre.active_employees(units::EMPLOYER_A).await.unwrap();
    let people: Vec<_> = employees.iter().take(4).collect();
    let raise = |base: Fen| Fen((base.0 * 110 / 100) / 100 * 100);
    let mut rows: Vec<SheetRow> = people
        .iter()
        .map(|e| SheetRow::adjust(e, raise(e.base), &due))
        .collect();
    rows[1].new_base = Cell::Text("一万".into());
    let sheet = clerk.join("基数调整.xlsx");
    write_base_adjustment(&sheet, &rows).unwrap();
    app.save_template("base_adjustment", &clerk.join("模板.xlsx"))
        .await
        .unwrap();
    let summary = app
        .batch_import("base_adjustment", sheet.clone(), |_| {})
        .await
        .unwrap();
    let bad = summary.issues[0].clone();
    let fixed = raise(people[1].base);
    let fixed = app
        .batch_edit(
            bad.row,
            &bad.column,
            &format!("{}.{:02}", fixed.0 / 100, fixed.0 % 100),
        )
        .await
        .unwrap();
    assert!(fixed.clean, "{fixed:?}");
    assert!(
        data.join("work").is_dir(),
        "the fixed sheet is written while it is worked on"
    );
    let receipt = app.batch_submit(|_| {}).await.unwrap();
    assert!(
        !data.join("work").exists(),
        "the fixed copy goes once the sheet is sent"
    );

    // A draft and a queued (accepted, not finished) registration of a new person.
    let newcomer = ("欧阳新来", id_number("43040519950607001"));
    let form = json!({ "rows": [{
        "row": 1, "name": newcomer.0, "id_type": "01", "id_number": newcomer.1, "sex": null, "birth_month": null,
        "mobile": "13807341234", "landline": null, "base": 500_000, "first_month": due, "bank_account": null,
        "bank_name": null, "note": null,
    }]});
    let draft = app
        .save_draft(None, "contributor_registration", "新职工登记", form.clone())
        .await
        .unwrap();
    let registration = app.form_submit("contributor_registration", form).await.unwrap();

    // The centre approves the 基数调整.
    gjj_staff(&centre, &["review", "start", &receipt.serial, "--json"]);
    gjj_staff(&centre, &["review", "approve", &receipt.serial, "--json"]);
    let home_view = app.home().await.unwrap();
    assert!(home_view.open.iter().all(|s| s.receipt.serial != receipt.serial));
    app.history(Default::default()).await.unwrap();

    // Diagnostics the clerk sends to IT.
    let exports = home.path().join("exports");
    std::fs::create_dir_all(&exports).unwrap();
    let report = app.doctor().await.unwrap();
    let local = report.checks.iter().find(|c| c.id == "local_data").unwrap();
    assert!(local.detail.contains("已加密"), "{local:?}");
    // Where the key is: the desktop's Secret Service when there is one (`cargo xtask test` runs this test once in
    // a D-Bus session with GNOME Keyring), else a file only this user can read — and the doctor says which.
    let kept_by = Vault::inspect(&config.join("store.key")).unwrap();
    if std::env::var_os("GJJ_EXPECT_SECRET_SERVICE").is_some() {
        assert_eq!(kept_by, Some(gjj_client::vault::Protection::SecretService));
        assert!(local.detail.contains("系统密钥库"), "{local:?}");
    } else {
        assert_eq!(kept_by, Some(gjj_client::vault::Protection::UserFile));
        assert!(local.detail.contains("仅当前用户可读"), "{local:?}");
    }
    std::fs::write(exports.join("doctor.json"), serde_json::to_vec(&report).unwrap()).unwrap();
    app.export_logs(&exports.join("日志.txt")).await.unwrap();
    let log = std::fs::read_to_string(app.log_file()).unwrap();
    assert!(log.contains("submitted"), "the log has the day's work: {log}");

    // Nothing the client wrote holds a person's 身份证 number or name, in any encoding.
    let mut needles: Vec<String> = people
        .iter()
        .flat_map(|e| [e.id_number.clone(), e.name.clone()])
        .collect();
    needles.extend([newcomer.0.to_owned(), newcomer.1.clone()]);
    // The scan finds what is there: the same needles written plainly, in UTF-16LE, are found.
    let control = home.path().join("control");
    std::fs::create_dir_all(&control).unwrap();
    let plain: Vec<u8> = needles
        .join(",")
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    std::fs::write(control.join("plain.txt"), plain).unwrap();
    let seen = leaks(&[&control], &needles);
    assert!(
        needles
            .iter()
            .all(|n| seen.iter().any(|f| f.contains(&format!(" {n} (UTF-16LE)")))),
        "{seen:?}"
    );
    let found = leaks(&[&data, &config, &tmp, &exports], &needles);
    assert!(
        found.is_empty(),
        "personal data in plain text:\n{}",
        found.join("\n")
    );

    // Retention: before the period nothing goes; the store still opens every payload.
    let store = data.join("outbox.sqlite");
    let outbox = Outbox::open(&store).await.unwrap();
    let uscc = home_view.me.unit.uscc.clone();
    let entry = |entries: &[gjj_client::OutboxEntry], serial: &str| {
        entries
            .iter()
            .find(|e| e.receipt.as_ref().is_some_and(|r| r.serial == serial))
            .cloned()
            .unwrap()
    };
    let before = outbox.entries(&uscc, None).await.unwrap();
    assert!(entry(&before, &receipt.serial)
        .payload
        .contains(&people[0].id_number));
    assert!(entry(&before, &receipt.serial).purged_at.is_none());
    // The grid it was made from (sealed: the scan above found none of its people) is kept for 办理记录 too.
    assert!(entry(&before, &receipt.serial).has_sheet);

    // The clock moves on: the centre's 已办结 (and everything else) is now 31 days old.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", store.display()))
        .await
        .unwrap();
    let long_ago = (time::OffsetDateTime::now_utc() - time::Duration::days(31))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    sqlx::query("UPDATE outbox SET finished_at = ?, created_at = ? WHERE finished_at IS NOT NULL")
        .bind(&long_ago)
        .bind(&long_ago)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE outbox SET created_at = ? WHERE finished_at IS NULL")
        .bind(&long_ago)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE drafts SET updated_at = ?")
        .bind(&long_ago)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    app.home().await.unwrap();

    let after = outbox.entries(&uscc, None).await.unwrap();
    let purged = entry(&after, &receipt.serial);
    assert_eq!(purged.payload, "", "the finished payload is purged");
    assert!(purged.purged_at.is_some());
    assert!(!purged.has_sheet, "the grid goes with the payload");
    assert!(outbox.sheet(&purged.idempotency_key).await.unwrap().is_none());
    assert_eq!(
        app.submission_open(&receipt.serial).await.unwrap_err().code,
        "SHEET_NOT_KEPT"
    );
    let kept = purged.receipt.unwrap();
    assert_eq!(
        kept.payload_sha256, receipt.payload_sha256,
        "the receipt and its digest stay"
    );
    let waiting = entry(&after, &registration.serial);
    assert!(
        waiting.payload.contains(&newcomer.1),
        "a business the centre has not finished is never purged"
    );
    // The centre's sealed receipt still verifies against the centre's CA, offline.
    let pdf = home.path().join("exports").join("回执.pdf");
    app.save_receipt_pdf(&receipt.serial, &pdf).await.unwrap();
    let trust = gjj_pki::TrustBundle::from_pem_file(&fixtures.ca_bundle()).unwrap();
    let verified = gjj_client::receipt::verify_file(&pdf, &trust).unwrap();
    assert_eq!(verified.receipt.serial, receipt.serial);
    // An old draft is flagged, not deleted.
    let drafts = app.drafts().await.unwrap();
    let old = drafts.iter().find(|d| d.draft.id == draft.draft.id).unwrap();
    assert!(old.stale);

    // The store copied to another user's profile (another key) cannot be read there.
    let other = home.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    app.logout().await;
    drop(outbox);
    for suffix in ["", "-wal", "-shm"] {
        let from = PathBuf::from(format!("{}{suffix}", store.display()));
        if from.exists() {
            std::fs::copy(&from, other.join(format!("outbox.sqlite{suffix}"))).unwrap();
        }
    }
    let stranger = Arc::new(Vault::at(&other.join("store.key")).unwrap());
    let copied = Outbox::open_with(&other.join("outbox.sqlite"), stranger)
        .await
        .unwrap();
    let refused = copied.entries(&uscc, None).await.unwrap_err();
    assert_eq!(refused.code(), "LOCAL_STORE_KEY", "{refused}");
    assert!(refused.to_string().contains("另一"), "{refused}");
    assert_eq!(copied.drafts(&uscc).await.unwrap_err().code(), "LOCAL_STORE_KEY");
}
