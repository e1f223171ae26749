//! The PIN states SoftHSM never reaches (locked, last try, few tries left), through the `gjj` CLI and the
//! PKCS#11 test double (tests/pkcs11-double/locked_token_double.c) over a centre's own SoftHSM tokens: the
//! token list shows the flag without a PIN, and a login reports the state with its code and what to do.
//!
//! Each `gjj` run is its own process: each loads the double afresh, with the state its environment gives.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use gjj_tests::run_gjj as run;
use gjj_tests::{locked_token_double, units, Backend, Fixtures, LocalCentre, DOUBLE_PIN_STATE_ENV};
use serde_json::Value;

/// A centre with its private tokens, and the double built next to it.
fn centre_and_double() -> (LocalCentre, PathBuf) {
    let fixtures = Fixtures::from_env();
    let centre = LocalCentre::start(&fixtures, Backend::Sqlite).unwrap();
    let double = locked_token_double(centre.dir.path()).unwrap();
    (centre, double)
}

/// `gjj` over the double as `label`'s key; `state` None = the double reports SoftHSM's own flags.
fn gjj(centre: &LocalCentre, double: &Path, label: &str, state: Option<&str>) -> Command {
    let mut cmd = centre.gjj_with_module(label, double);
    match state {
        Some(s) => cmd.env(DOUBLE_PIN_STATE_ENV, s),
        None => cmd.env_remove(DOUBLE_PIN_STATE_ENV),
    };
    cmd
}

/// The PIN flags of every token, by label, as `gjj token list --json` shows them (no PIN asked).
fn flags(cmd: &mut Command) -> Vec<(String, Value)> {
    let (code, out, err) = run(cmd.args(["token", "list", "--json"]));
    assert_eq!(code, 0, "{out} {err}");
    out["tokens"]
        .as_array()
        .expect("tokens")
        .iter()
        .map(|t| {
            (
                t["label"].as_str().unwrap_or_default().to_owned(),
                t["pin"].clone(),
            )
        })
        .collect()
}

fn wrong_pin(cmd: &mut Command) -> &mut Command {
    cmd.env("GJJ_TEST_PIN", "000000")
}

fn error_of(cmd: &mut Command) -> (String, String) {
    let (code, out, err) = run(cmd.args(["whoami", "--json"]));
    assert_eq!(code, 2, "a PIN problem is not the content's fault: {out} {err}");
    (
        out["error"]["code"].as_str().unwrap_or_default().to_owned(),
        out["error"]["message"].as_str().unwrap_or_default().to_owned(),
    )
}

fn logs_in(cmd: &mut Command, label: &str) {
    let (code, out, err) = run(cmd.args(["whoami", "--json"]));
    assert_eq!(code, 0, "{out} {err}");
    assert_eq!(out["me"]["unit"]["name"], label, "{out}");
}

#[test]
fn a_locked_key_is_listed_locked_and_refuses_even_the_right_pin() {
    let (centre, double) = centre_and_double();
    let label = units::EMPLOYER_A;

    // Without a state the double is SoftHSM: same tokens, no flags, and it logs in and signs the handshake.
    let plain = flags(&mut gjj(&centre, &double, label, None));
    assert_eq!(plain.len(), 4, "{plain:?}");
    assert!(plain.iter().all(|(_, f)| f["locked"] == false), "{plain:?}");
    logs_in(&mut gjj(&centre, &double, label, None), label);

    let locked = flags(&mut gjj(&centre, &double, label, Some("locked")));
    assert_eq!(
        locked.iter().map(|(l, _)| l).collect::<Vec<_>>(),
        plain.iter().map(|(l, _)| l).collect::<Vec<_>>()
    );
    for (l, f) in &locked {
        assert_eq!(f["locked"], true, "{l}: {f}");
    }

    let (code, message) = error_of(&mut gjj(&centre, &double, label, Some("locked")));
    assert_eq!(code, "PIN_LOCKED", "{message}");
    assert!(message.contains("已被锁定"), "{message}");
    assert!(
        message.contains("证书颁发机构解锁"),
        "says where to unlock: {message}"
    );
    // The human form says the same on stderr.
    let out = gjj(&centre, &double, label, Some("locked"))
        .arg("whoami")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("错误 [PIN_LOCKED]"), "{stderr}");
    assert!(stderr.contains("解锁"), "{stderr}");
}

#[test]
fn a_key_on_its_last_try_says_so_after_a_wrong_pin_and_the_right_pin_still_works() {
    let (centre, double) = centre_and_double();
    let label = units::EMPLOYER_B;

    let listed = flags(&mut gjj(&centre, &double, label, Some("final_try")));
    let (_, f) = listed
        .iter()
        .find(|(l, _)| l == label)
        .expect("the key is listed");
    assert_eq!(f["final_try"], true, "{f}");
    assert_eq!(f["locked"], false, "{f}");

    let (code, message) = error_of(wrong_pin(&mut gjj(&centre, &double, label, Some("final_try"))));
    assert_eq!(code, "PIN_FINAL_TRY", "{message}");
    assert!(message.contains("最后一次"), "{message}");
    assert!(
        message.contains("锁定"),
        "warns what the next wrong PIN does: {message}"
    );

    logs_in(&mut gjj(&centre, &double, label, Some("final_try")), label);
}

#[test]
fn a_key_with_few_tries_left_says_so_before_any_wrong_pin() {
    let (centre, double) = centre_and_double();
    let label = units::DEVELOPER;

    // A successful login clears SoftHSM's own COUNT_LOW: from here on the flag can only come from the double.
    logs_in(&mut centre.gjj(label), label);
    let own = flags(&mut centre.gjj(label));
    let (_, f) = own.iter().find(|(l, _)| l == label).expect("the key is listed");
    assert_eq!(f["count_low"], false, "{f}");

    let listed = flags(&mut gjj(&centre, &double, label, Some("count_low")));
    let (_, f) = listed
        .iter()
        .find(|(l, _)| l == label)
        .expect("the key is listed");
    assert_eq!(f["count_low"], true, "{f}");
    assert_eq!(f["final_try"], false, "{f}");
    assert_eq!(f["locked"], false, "{f}");

    let (code, message) = error_of(wrong_pin(&mut gjj(&centre, &double, label, Some("count_low"))));
    assert_eq!(code, "PIN_COUNT_LOW", "{message}");
    assert!(message.contains("剩余尝试次数"), "{message}");
}
