//! `gjj check` without the USB key and without the centre (issue 15 §3): at home or on a laptop the clerk still
//! learns what is wrong with the sheet itself, on the facts cached at the last login (or the policy shipped with
//! the client), and the result says what is left for the centre and how old those facts are.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use gjj_domain::money::Fen;
use gjj_domain::month::Month;
use gjj_tests::{run_gjj as run, runtime as rt};
use gjj_tests::{units, write_base_adjustment, Fixtures, LocalCentre, SheetRow};

fn codes(out: &serde_json::Value) -> BTreeSet<String> {
    out["issues"]
        .as_array()
        .unwrap_or_else(|| panic!("no issues in {out}"))
        .iter()
        .map(|i| i["code"].as_str().unwrap().to_owned())
        .collect()
}

/// The same 身份证号码 with a wrong check character.
fn broken_check_char(id: &str) -> String {
    let (body, last) = id.split_at(17);
    let wrong = if last == "0" { "1" } else { "0" };
    format!("{body}{wrong}")
}

#[test]
fn a_sheet_is_checked_without_the_key_and_without_the_centre() {
    let mut centre = LocalCentre::start(&Fixtures::from_env(), gjj_tests::Backend::Sqlite).unwrap();
    let label = units::EMPLOYER_A;
    // A login on this PC: the unit's facts and the policy are cached.
    let (exit, me, err) = run(centre.gjj(label).args(["whoami", "--json"]));
    assert_eq!(exit, 0, "{me} {err}");
    let uscc = me["me"]["unit"]["uscc"].as_str().unwrap().to_owned();
    let due = Month::parse(me["me"]["unit"]["paid_through"].as_str().unwrap())
        .unwrap()
        .next();
    let employees = rt().block_on(centre.active_employees(label)).unwrap();
    let raise = |e: &gjj_tests::Employee| Fen((e.base.0 * 110 / 100) / 100 * 100);

    // Row 4: a broken 身份证 check character (the sheet alone says so); row 5: a base above the policy year's
    // maximum (the policy says so); row 6: 生效年月 before the unit's 应汇缴年月 (only the unit's facts say so).
    let mut bad_id = SheetRow::adjust(&employees[0], raise(&employees[0]), &due.to_string());
    bad_id.id_number = broken_check_char(&employees[0].id_number).as_str().into();
    let too_high = SheetRow::adjust(&employees[1], Fen::from_yuan(30_000), &due.to_string());
    let too_early = SheetRow::adjust(&employees[2], raise(&employees[2]), &due.prev().to_string());
    let sheet = centre.dir.path().join("offline.xlsx");
    write_base_adjustment(&sheet, &[bad_id, too_high, too_early]).unwrap();
    let clean = centre.dir.path().join("offline-clean.xlsx");
    write_base_adjustment(
        &clean,
        &[SheetRow::adjust(
            &employees[3],
            raise(&employees[3]),
            &due.to_string(),
        )],
    )
    .unwrap();

    centre.stop();
    // The key unplugged: the driver loads but finds no token.
    let empty = centre.dir.path().join("no-key");
    std::fs::create_dir_all(empty.join("tokens")).unwrap();
    let conf = empty.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            empty.join("tokens").display()
        ),
    )
    .unwrap();

    let (exit, out, err) = run(centre
        .gjj(label)
        .env("SOFTHSM2_CONF", &conf)
        .args(["check", "base-adjustment"])
        .arg(&sheet)
        .arg("--json"));
    assert_eq!(exit, 1, "{out} {err}");
    assert!(err.contains("改为离线检查"), "{err}");
    let found = codes(&out);
    for code in [
        "ID_NUMBER_CHECKSUM",
        "BASE_ABOVE_MAX",
        "EFFECTIVE_MONTH_TOO_EARLY",
    ] {
        assert!(found.contains(code), "{code} missing: {out}");
    }
    let offline = &out["offline"];
    assert_eq!(offline["basis"], "cached", "{out}");
    assert_eq!(offline["unit_uscc"], uscc.as_str());
    assert_eq!(offline["age_days"], 0);
    let left = offline["left_for_centre"].to_string();
    assert!(left.contains("属于本单位"), "{left}");
    assert!(offline["summary"].as_str().unwrap().contains("今天"), "{offline}");

    // A PC where no unit ever logged in and no key driver configured, asked explicitly: the policy shipped with
    // gjj. What needs the unit's
    // own facts (its 应汇缴年月 here) is not judged but named as left for the centre.
    let fresh_store = centre.dir.path().join("fresh-pc.sqlite");
    let (exit, out, err) = run(std::process::Command::new(gjj_tests::bin("gjj"))
        .env_remove("GJJ_CONFIG")
        .arg("--store")
        .arg(&fresh_store)
        .args(["check", "base-adjustment"])
        .arg(&sheet)
        .args(["--json", "--offline"]));
    assert_eq!(exit, 1, "{out} {err}");
    let found = codes(&out);
    assert!(found.contains("ID_NUMBER_CHECKSUM"), "{out}");
    assert!(found.contains("BASE_ABOVE_MAX"), "{out}");
    assert!(!found.contains("EFFECTIVE_MONTH_TOO_EARLY"), "{out}");
    assert_eq!(out["offline"]["basis"], "shipped", "{out}");
    assert!(
        out["offline"]["left_for_centre"].to_string().contains("缴存比例"),
        "{out}"
    );

    // A clean sheet passes, and the words say it was an offline check and what the centre will still check.
    let (exit, _, _) = run(centre
        .gjj(label)
        .env("SOFTHSM2_CONF", &conf)
        .args(["check", "base-adjustment"])
        .arg(&clean)
        .arg("--json"));
    assert_eq!(exit, 0);
    // --offline touches neither the key nor the network (the PIN variable is not even read).
    let text = centre
        .gjj(label)
        .env_remove("GJJ_TEST_PIN")
        .args(["check", "base-adjustment", "--offline"])
        .arg(&clean)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert_eq!(text.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("离线检查通过"), "{stdout}");
    assert!(stdout.contains("以下检查留待提交时由中心进行"), "{stdout}");
}
