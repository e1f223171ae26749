//! Issue 14 §2: backup and restore of both stores, and every receipt found again afterwards.
//! SQLite: `gjj-server backup` while the gateway serves, `gjj-server restore` after the database is lost.
//! PostgreSQL: the centre's own tools, `pg_dump -Fc` and `pg_restore` (docs/deploy.md), into a new database.

use std::path::PathBuf;
use std::process::Command;

use gjj_tests::{bin, run_ok, Backend, Fixtures, GatewayConfig, LocalCentre, SheetRow};

fn month() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!("{}-{:02}", now.year(), u8::from(now.month()))
}

/// Submits a 基数调整 of `rows` rows for `unit` through the clerk's `gjj`; the receipt.
fn submit(centre: &LocalCentre, unit: &str, rows: usize, raise: i64) -> serde_json::Value {
    let employees = gjj_tests::runtime()
        .block_on(centre.active_employees(unit))
        .expect("employees");
    let sheet: Vec<SheetRow> = employees
        .iter()
        .take(rows)
        .map(|e| SheetRow::adjust(e, gjj_domain::money::Fen(e.base.0 + raise), &month()))
        .collect();
    let path = centre.dir.path().join(format!("raise-{raise}.xlsx"));
    gjj_tests::write_base_adjustment(&path, &sheet).expect("sheet");
    let (code, out, err) = gjj_tests::run_gjj(
        centre
            .gjj(unit)
            .args(["submit", "base-adjustment"])
            .arg(&path)
            .arg("--json"),
    );
    assert_eq!(code, 0, "{out} {err}");
    out["receipt"].clone()
}

/// What the centre answers for a serial now: the stored receipt, or the HTTP status.
fn stored_receipt(centre: &LocalCentre, unit: &str, serial: &str) -> Result<serde_json::Value, u16> {
    let credential = gjj_tests::token_credential(&centre.fixtures, unit);
    let client = centre.raw_client(&credential);
    let url = format!("{}/api/v1/submissions/{serial}", centre.url());
    gjj_tests::runtime().block_on(async {
        let resp = client.get(&url).send().await.expect("request");
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(status);
        }
        let view: serde_json::Value = resp.json().await.expect("json");
        Ok(view["receipt"].clone())
    })
}

fn server(centre: &LocalCentre) -> Command {
    let mut cmd = Command::new(bin("gjj-server"));
    cmd.arg("--config")
        .arg(centre.dir.path().join("server.toml"))
        .env("RUST_LOG", "warn");
    cmd
}

/// Two units' businesses, receipts kept: what must survive.
fn businesses(centre: &LocalCentre) -> Vec<(&'static str, serde_json::Value)> {
    use gjj_tests::units::{EMPLOYER_A, EMPLOYER_B};
    vec![
        (EMPLOYER_A, submit(centre, EMPLOYER_A, 5, 10_000)),
        (EMPLOYER_B, submit(centre, EMPLOYER_B, 3, 20_000)),
    ]
}

fn assert_found(centre: &LocalCentre, before: &[(&str, serde_json::Value)]) {
    for (unit, receipt) in before {
        let serial = receipt["serial"].as_str().expect("serial");
        let found = stored_receipt(centre, unit, serial).unwrap_or_else(|s| panic!("{serial}: HTTP {s}"));
        assert_eq!(&found, receipt, "receipt {serial} after the restore");
    }
}

#[test]
fn a_sqlite_backup_taken_while_serving_restores_every_receipt() {
    let fixtures = Fixtures::from_env();
    let mut centre = LocalCentre::start(&fixtures, Backend::Sqlite).expect("centre");
    let before = businesses(&centre);
    let backup: PathBuf = centre.dir.path().join("backup-1.sqlite");

    // Online: the gateway keeps running and serving.
    let said = run_ok(server(&centre).arg("backup").arg("--to").arg(&backup));
    assert!(said.contains("已备份"), "{said}");
    // Never over an existing file.
    let again = server(&centre)
        .arg("backup")
        .arg("--to")
        .arg(&backup)
        .output()
        .expect("backup");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("已存在"));
    // After the backup: not in it, so gone after the restore (the backup is a point in time).
    let after = submit(&centre, gjj_tests::units::EMPLOYER_C, 2, 30_000);

    // The database is lost.
    centre.stop();
    let db = PathBuf::from(
        centre
            .database_url
            .trim_start_matches("sqlite://")
            .split('?')
            .next()
            .expect("path"),
    );
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    // A broken backup is refused and leaves things as they are.
    let broken = centre.dir.path().join("broken.sqlite");
    std::fs::write(&broken, b"not a database at all").expect("write");
    let refused = server(&centre)
        .arg("restore")
        .arg("--from")
        .arg(&broken)
        .output()
        .expect("restore");
    assert!(!refused.status.success());
    assert!(!db.exists(), "a refused restore wrote the database");

    run_ok(server(&centre).arg("restore").arg("--from").arg(&backup));
    centre.restart(None).expect("restart");
    assert_found(&centre, &before);
    let serial = after["serial"].as_str().expect("serial");
    assert_eq!(
        stored_receipt(&centre, gjj_tests::units::EMPLOYER_C, serial),
        Err(404),
        "a business after the backup is not in it"
    );
    // The restored centre takes the lost business again (the clerk resubmits it), with a serial that repeats
    // none it holds.
    let next = submit(&centre, gjj_tests::units::EMPLOYER_C, 2, 40_000);
    assert!(before.iter().all(|(_, r)| r["serial"] != next["serial"]));
}

fn pg_tool(name: &str) -> PathBuf {
    // Debian's wrapper in PATH picks the cluster's version; the versioned directory is the fallback.
    if Command::new(name)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return PathBuf::from(name);
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL installed")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin").join(name)))
        .filter(|p| p.exists())
        .collect();
    dirs.sort();
    dirs.pop().expect("pg tool")
}

#[test]
fn a_postgresql_dump_restored_into_a_new_database_finds_every_receipt() {
    let fixtures = Fixtures::from_env();
    let Backend::Postgres(server_url) = gjj_tests::postgres_backend() else {
        unreachable!("postgres_backend gives PostgreSQL")
    };
    let mut centre = LocalCentre::start(&fixtures, Backend::Postgres(server_url.clone())).expect("centre");
    let before = businesses(&centre);
    let dump = centre.dir.path().join("centre.dump");
    // pg_dump is consistent while the gateway serves (one snapshot transaction).
    run_ok(
        Command::new(pg_tool("pg_dump"))
            .args(["-Fc", "--no-owner", "-f"])
            .arg(&dump)
            .arg(&centre.database_url),
    );
    centre.stop();
    let restored = gjj_tests::fresh_postgres_database(&server_url).expect("new database");
    run_ok(
        Command::new(pg_tool("pg_restore"))
            .args(["--no-owner", "--exit-on-error", "-d"])
            .arg(&restored)
            .arg(&dump),
    );
    GatewayConfig::new("127.0.0.1:0", &restored)
        .write(&fixtures, &centre.dir.path().join("server.toml"))
        .expect("config");
    centre.database_url = restored;
    centre.restart(None).expect("restart on the restored database");
    assert_found(&centre, &before);
    let next = submit(&centre, gjj_tests::units::EMPLOYER_C, 2, 50_000);
    assert!(before.iter().all(|(_, r)| r["serial"] != next["serial"]));
}
