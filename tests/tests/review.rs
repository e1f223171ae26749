//! The centre's review over mTLS: staff start, approve (applied to the centre's data), return with a reason;
//! a unit withdraws what nobody has started; employers cannot call staff routes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use gjj_domain::money::Fen;
use gjj_domain::month::Month;
use gjj_tests::runtime as rt;
use gjj_tests::{units, write_base_adjustment, Backend, Fixtures, LocalCentre, SheetRow};
use serde_json::Value;

fn run(cmd: &mut Command) -> (i32, Value) {
    let out = cmd.output().expect("run gjj");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_str(text.trim()).unwrap_or(Value::String(text)),
    )
}

/// Submits a 基数调整 of `n` employees starting at `skip`; returns (serial, [(account, new base)]).
fn submit(centre: &LocalCentre, skip: usize, n: usize) -> (String, Vec<(String, Fen)>) {
    let label = units::EMPLOYER_A;
    let (_, me) = run(centre.gjj(label).args(["whoami", "--json"]));
    let due = me["me"]["unit"]["paid_through"]
        .as_str()
        .unwrap()
        .parse::<Month>()
        .unwrap()
        .next();
    let employees = rt().block_on(centre.active_employees(label)).unwrap();
    let chosen: Vec<_> = employees.iter().skip(skip).take(n).collect();
    let rows: Vec<SheetRow> = chosen
        .iter()
        .map(|e| SheetRow::adjust(e, Fen(e.base.0 + 50_000), &due.to_string()))
        .collect();
    let sheet = centre.dir.path().join(format!("review-{skip}.xlsx"));
    write_base_adjustment(&sheet, &rows).unwrap();
    let (code, out) = run(centre
        .gjj(label)
        .arg("submit")
        .arg("base-adjustment")
        .arg(&sheet)
        .arg("--json"));
    assert_eq!(code, 0, "{out}");
    let serial = out["receipt"]["serial"].as_str().unwrap().to_owned();
    (
        serial,
        chosen
            .iter()
            .map(|e| (e.account.clone(), Fen(e.base.0 + 50_000)))
            .collect(),
    )
}

fn status(centre: &LocalCentre, serial: &str) -> Value {
    let (code, out) = run(centre.gjj(units::EMPLOYER_A).args(["status", serial, "--json"]));
    assert_eq!(code, 0, "{out}");
    out
}

#[test]
fn approve_applies_the_change_return_explains_withdraw_takes_back() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    let staff = || centre.gjj_pfx("staff");

    // Approve: 已受理 → 审核中 → 已办结, and the bases are the new ones in the centre's data.
    let (serial, changes) = submit(&centre, 0, 10);
    let (_, pending) = run(staff().args(["review", "list", "--json"]));
    let listed: Vec<&str> = pending["pending"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["submission"]["receipt"]["serial"].as_str().unwrap())
        .collect();
    assert_eq!(listed, vec![serial.as_str()]);
    assert_eq!(pending["pending"][0]["business_label"], "缴存基数调整");
    let (code, out) = run(staff().args(["review", "start", &serial, "--json"]));
    assert_eq!((code, out["status_label"].as_str()), (0, Some("审核中")), "{out}");
    assert_eq!(status(&centre, &serial)["status"], "reviewing");
    // Under review: the unit can no longer withdraw it.
    let (code, out) = run(centre
        .gjj(units::EMPLOYER_A)
        .args(["withdraw", &serial, "--json"]));
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (1, Some("STATUS_CONFLICT")),
        "{out}"
    );
    let (code, out) = run(staff().args(["review", "approve", &serial, "--json"]));
    assert_eq!((code, out["status_label"].as_str()), (0, Some("已办结")), "{out}");
    assert_eq!(status(&centre, &serial)["status_label"], "已办结");
    let stored = rt().block_on(centre.active_employees(units::EMPLOYER_A)).unwrap();
    for (account, new_base) in &changes {
        let person = stored.iter().find(|e| &e.account == account).unwrap();
        assert_eq!(person.base, *new_base, "{account} has its new base");
    }

    // Return: the reason reaches the unit; a returned one cannot be approved.
    let (serial, _) = submit(&centre, 10, 3);
    let (code, out) = run(staff().args([
        "review",
        "return",
        &serial,
        "--reason",
        "第 5 行职工已离职，请删除后重新提交",
        "--json",
    ]));
    assert_eq!(code, 0, "{out}");
    let view = status(&centre, &serial);
    assert_eq!(view["status_label"], "已退回");
    assert_eq!(view["return_reason"], "第 5 行职工已离职，请删除后重新提交");
    let (code, out) = run(staff().args(["review", "approve", &serial, "--json"]));
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (1, Some("STATUS_CONFLICT")),
        "{out}"
    );
    let (code, out) = run(staff().args(["review", "return", &serial, "--reason", " ", "--json"]));
    assert_eq!(code, 1, "{out}");

    // Withdraw: before review starts, the unit takes it back; staff can then do nothing with it.
    let (serial, _) = submit(&centre, 13, 2);
    let (code, out) = run(centre
        .gjj(units::EMPLOYER_A)
        .args(["withdraw", &serial, "--json"]));
    assert_eq!((code, out["status_label"].as_str()), (0, Some("已撤回")), "{out}");
    let (code, _) = run(staff().args(["review", "start", &serial, "--json"]));
    assert_eq!(code, 1);
}

#[test]
fn an_employer_certificate_cannot_call_staff_routes() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    let (code, out) = run(centre.gjj(units::EMPLOYER_A).args(["review", "list", "--json"]));
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (2, Some("ROLE_FORBIDDEN")),
        "{out}"
    );
    let (code, out) =
        run(centre
            .gjj(units::EMPLOYER_B)
            .args(["review", "approve", "022611270000001", "--json"]));
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (2, Some("ROLE_FORBIDDEN")),
        "{out}"
    );
}
