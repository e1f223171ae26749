//! Issue 14 §6: the SQLite store's disk fills up mid-business. The clerk gets a clear refusal with a stable
//! code, nothing of the business is stored, and the same submission goes through once there is space again
//! (the client's outbox resends it under the same idempotency key).
//!
//! The database lives on a small tmpfs mounted for the test (root only, as `cargo xtask test` runs in CI).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use gjj_tests::{Backend, Fixtures, GatewayConfig, LocalCentre, SheetRow};

struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).expect("filler");
    for size in [1 << 20, 4096, 512] {
        let block = vec![0u8; size];
        while file.write_all(&block).and_then(|()| file.sync_data()).is_ok() {}
    }
    path
}

fn count(centre: &LocalCentre, sql: &str) -> i64 {
    gjj_tests::scalar(centre, sql)
}

#[test]
fn a_full_disk_refuses_the_business_whole_and_the_resend_goes_through_once_there_is_space() {
    let fixtures = Fixtures::from_env();
    let mut centre = LocalCentre::start(&fixtures, Backend::Sqlite).expect("centre");
    centre.stop();
    let disk = centre.dir.path().join("disk");
    std::fs::create_dir_all(&disk).expect("dir");
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=16m", "tmpfs"])
        .arg(&disk)
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        mounted,
        "mounting a tmpfs needs root (cargo xtask test runs as root in CI)"
    );
    let _mount = Mount(disk.clone());
    let db = disk.join("centre.sqlite");
    // The gateway was stopped with SIGKILL: the seeded rows may still be in its write-ahead log, so the copy is
    // the centre's own online backup, not a file copy.
    let out = Command::new(gjj_tests::bin("gjj-server"))
        .arg("--config")
        .arg(centre.dir.path().join("server.toml"))
        .arg("backup")
        .arg("--to")
        .arg(&db)
        .env("RUST_LOG", "warn")
        .output()
        .expect("gjj-server backup");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    centre.database_url = format!("sqlite://{}?mode=rwc", db.display());
    GatewayConfig::new("127.0.0.1:0", &centre.database_url)
        .write(&fixtures, &centre.dir.path().join("server.toml"))
        .expect("config");
    centre.restart(None).expect("gateway on the small disk");

    let unit = gjj_tests::units::EMPLOYER_A;
    let employees = gjj_tests::runtime()
        .block_on(centre.active_employees(unit))
        .expect("employees");
    let now = time::OffsetDateTime::now_utc();
    let month = format!("{}-{:02}", now.year(), u8::from(now.month()));
    let rows: Vec<SheetRow> = employees
        .iter()
        .map(|e| SheetRow::adjust(e, gjj_domain::money::Fen(e.base.0 + 10_000), &month))
        .collect();
    let sheet = centre.dir.path().join("raise.xlsx");
    gjj_tests::write_base_adjustment(&sheet, &rows).expect("sheet");
    let submissions = "SELECT COUNT(*) FROM submissions";
    let stored_rows = "SELECT COUNT(*) FROM base_adjustment_rows";
    let (before, before_rows) = (count(&centre, submissions), count(&centre, stored_rows));

    let filler = fill(&disk);
    let (code, out, err) = gjj_tests::run_gjj(
        centre
            .gjj(unit)
            .args(["submit", "base-adjustment"])
            .arg(&sheet)
            .arg("--json"),
    );
    assert_ne!(code, 0, "accepted on a full disk? {out}");
    let said = format!("{out} {err}");
    assert!(said.contains("CENTRE_STORAGE_FULL"), "{said}");
    assert!(said.contains("存储空间已满"), "{said}");
    assert!(!said.contains("INTERNAL"), "{said}");
    // Nothing of it: no submission, no row.
    assert_eq!(count(&centre, submissions), before);
    assert_eq!(count(&centre, stored_rows), before_rows);

    // Space again: the outbox's resend is accepted once, with every row.
    std::fs::remove_file(&filler).expect("free the disk");
    let (code, out, err) = gjj_tests::run_gjj(centre.gjj(unit).args(["outbox", "send", "--json"]));
    assert_eq!(code, 0, "{out} {err}");
    assert_eq!(out["sent"][0]["replayed"], false, "{out}");
    assert_eq!(count(&centre, submissions), before + 1);
    assert_eq!(
        count(&centre, stored_rows),
        before_rows + i64::try_from(rows.len()).expect("rows")
    );
    centre.stop();
}
