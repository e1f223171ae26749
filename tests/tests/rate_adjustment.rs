//! 缴存比例调整 end to end over mTLS with SoftHSM tokens: the CLI form, the centre's re-check with its own data
//! (policy bounds, 生效年月 window, every 正常 contributor's 月缴存额 naming the allowed range of the sum of rates,
//! open businesses), staff approval changing the unit's rates and every 正常 person's amounts, and a developer
//! certificate refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use gjj_client::{ClientError, Outbox, Session, SessionConfig, Submitted};
use gjj_domain::money::Fen;
use gjj_domain::month::Month;
use gjj_domain::rate::Rate;
use gjj_domain::rate_adjustment::RateAdjustment;
use gjj_domain::rounding::{amount, RoundTo};
use gjj_pki::TrustBundle;
use gjj_tests::{run_gjj as run, runtime as rt, scalar};
use gjj_tests::{token_credential, units, write_base_adjustment, Backend, Fixtures, LocalCentre, SheetRow};

/// (应汇缴年月, this month) as the centre tells the unit.
fn months(centre: &LocalCentre, label: &str) -> (Month, Month) {
    let (code, me, err) = run(centre.gjj(label).args(["whoami", "--json"]));
    assert_eq!(code, 0, "whoami: {me} {err}");
    let paid: Month = me["me"]["unit"]["paid_through"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    (paid.next(), me["me"]["today"].as_str().unwrap().parse().unwrap())
}

fn execute(centre: &LocalCentre, sql: &str) {
    rt().block_on(async {
        let pool = centre.db().await.unwrap();
        sqlx::query(sql).execute(&pool).await.unwrap();
    })
}

/// (account, status, base, unit amount, person amount) of every person of a unit.
fn persons(centre: &LocalCentre, unit_account: &str) -> Vec<(String, String, Fen, Fen, Fen)> {
    use sqlx::Row;
    rt().block_on(async {
        let pool = centre.db().await.unwrap();
        sqlx::query(
            "SELECT account, status, base_fen, unit_amount_fen, person_amount_fen FROM persons \
             WHERE unit_account = $1 ORDER BY account",
        )
        .bind(unit_account)
        .fetch_all(&pool)
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.get("account"),
                r.get("status"),
                Fen(r.get("base_fen")),
                Fen(r.get("unit_amount_fen")),
                Fen(r.get("person_amount_fen")),
            )
        })
        .collect()
    })
}

fn session(centre: &LocalCentre, label: &str) -> Session {
    let config = SessionConfig {
        server: centre.url(),
        trust: TrustBundle::from_pem_file(&centre.fixtures.ca_bundle()).unwrap(),
        timeout: Duration::from_secs(60),
    };
    Session::open(&config, token_credential(&centre.fixtures, label)).unwrap()
}

/// Sends a payload the CLI would have refused locally, straight to the centre: the gateway's own check answers.
async fn send(
    session: &Session,
    outbox: &Outbox,
    payload: &RateAdjustment,
) -> Result<Submitted, ClientError> {
    session.submit(outbox, "rate_adjustment", payload, 1).await
}

/// The centre's refusal: (HTTP status, code, issues).
fn refusal(result: Result<Submitted, ClientError>) -> (u16, String, Vec<gjj_domain::issue::Issue>) {
    match result {
        Err(ClientError::Api { status, body }) => (status, body.code, body.issues),
        Err(other) => panic!("expected the centre's refusal, got {other}"),
        Ok(Submitted::Accepted { receipt, .. }) => panic!("accepted {}", receipt.serial),
    }
}

const EMPLOYER_B_ACCOUNT: &str = "9816030200002";

#[test]
fn a_rate_change_is_received_approved_and_every_active_persons_amounts_follow() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    let label = units::EMPLOYER_B; // 10% / 10%
    let (_, today) = months(&centre, label);
    let before = persons(&centre, EMPLOYER_B_ACCOUNT);

    // Percent on the command line; the receipt names the business and what was signed.
    let (code, out, err) = run(centre.gjj(label).args([
        "submit",
        "rate-adjustment",
        "--unit-rate",
        "12",
        "--person-rate",
        "8%",
        "--effective",
        &today.to_string(),
        "--json",
    ]));
    assert_eq!(code, 0, "{out} {err}");
    let receipt = &out["receipt"];
    assert_eq!(receipt["business"], "rate_adjustment");
    assert_eq!(receipt["unit_account"], EMPLOYER_B_ACCOUNT);
    assert_eq!(receipt["accepted_rows"], 1);
    assert_eq!(receipt["payload_sha256"].as_str().unwrap().len(), 64);
    let serial = receipt["serial"].as_str().unwrap().to_owned();
    let active = before.iter().filter(|p| p.1 == "01").count() as i64;
    assert_eq!(
        scalar(
            &centre,
            &format!(
                "SELECT COUNT(*) FROM rate_adjustments WHERE serial = '{serial}' AND old_unit_rate_bp = 1000 \
                 AND new_unit_rate_bp = 1200 AND new_person_rate_bp = 800 AND effective_month = '{today}' \
                 AND active_persons = {active}"
            )
        ),
        1
    );
    // Received is not done: nothing changes before the centre approves.
    assert_eq!(persons(&centre, EMPLOYER_B_ACCOUNT), before);
    let (_, status, _) = run(centre.gjj(label).args(["status", &serial, "--json"]));
    assert_eq!(status["status_label"], "已受理");

    let (code, out, err) = run(centre
        .gjj_pfx("staff")
        .args(["review", "approve", &serial, "--json"]));
    assert_eq!(
        (code, out["status_label"].as_str()),
        (0, Some("已办结")),
        "{out} {err}"
    );
    let (_, status, _) = run(centre.gjj(label).args(["status", &serial, "--json"]));
    assert_eq!(status["status"], "done");

    // The unit's rates, and every 正常 person's amounts at the new rates (each side rounded, 分, half-up);
    // 封存 persons keep theirs until 启封.
    let (_, me, _) = run(centre.gjj(label).args(["whoami", "--json"]));
    assert_eq!(
        (
            me["me"]["unit"]["unit_rate"].as_u64(),
            me["me"]["unit"]["person_rate"].as_u64()
        ),
        (Some(1200), Some(800))
    );
    let after = persons(&centre, EMPLOYER_B_ACCOUNT);
    assert_eq!(after.len(), before.len());
    let mut recomputed = 0;
    for (old, new) in before.iter().zip(&after) {
        let (account, status, base, ..) = new;
        assert_eq!(base, &old.2, "{account}: the base is untouched");
        if status == "01" {
            assert_eq!(
                new.3,
                amount(*base, Rate(1200), RoundTo::Fen),
                "{account} unit amount"
            );
            assert_eq!(
                new.4,
                amount(*base, Rate(800), RoundTo::Fen),
                "{account} person amount"
            );
            recomputed += 1;
        } else {
            assert_eq!(
                (new.3, new.4),
                (old.3, old.4),
                "{account} is sealed: amounts kept"
            );
        }
    }
    assert_eq!(recomputed, active);
    assert!(
        after.iter().any(|p| p.1 == "02"),
        "the demo unit has sealed persons"
    );
    // Other units are untouched.
    assert_eq!(
        scalar(
            &centre,
            "SELECT unit_rate_bp FROM units WHERE account = '9815070100001'"
        ),
        1200
    );
}

#[test]
fn each_rule_is_refused_by_the_centre_and_nothing_is_stored() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    let label = units::EMPLOYER_B;
    let (due, today) = months(&centre, label);
    let rt = rt();
    let session = session(&centre, label);
    let outbox = rt
        .block_on(Outbox::open(&centre.dir.path().join("rate-rules.sqlite")))
        .unwrap();
    let form = |unit: u32, person: u32, month: Month| RateAdjustment {
        unit_rate: Rate(unit),
        person_rate: Rate(person),
        effective_month: month,
    };
    let refused = |payload: RateAdjustment| refusal(rt.block_on(send(&session, &outbox, &payload)));

    // Rates outside the policy year's bounds: the message names the allowed range.
    let (status, code, issues) = refused(form(1300, 1000, today));
    assert_eq!((status, code.as_str()), (422, "RULES_VIOLATED"));
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(issues[0].code.as_str(), "UNIT_RATE_OUT_OF_RANGE");
    assert_eq!(issues[0].column, "单位缴存比例");
    assert!(
        issues[0].message.contains("单位调整比例区间: 5% - 12%"),
        "{}",
        issues[0].message
    );
    let (_, _, issues) = refused(form(1000, 400, today));
    assert_eq!(issues[0].code.as_str(), "PERSON_RATE_OUT_OF_RANGE");
    assert!(
        issues[0].message.contains("个人调整比例区间: 5% - 12%"),
        "{}",
        issues[0].message
    );

    // 生效年月 outside [应汇缴年月, this month].
    let (_, _, issues) = refused(form(1100, 1100, due.prev()));
    assert_eq!(issues[0].code.as_str(), "EFFECTIVE_MONTH_TOO_EARLY");
    assert!(
        issues[0]
            .message
            .contains(&format!("请填写 {due} 至 {today} 之间的年月")),
        "{}",
        issues[0].message
    );
    let (_, _, issues) = refused(form(1100, 1100, today.next()));
    assert_eq!(issues[0].code.as_str(), "EFFECTIVE_MONTH_IN_FUTURE");

    // The current rates again: nothing to change.
    let (_, _, issues) = refused(form(1000, 1000, today));
    assert_eq!(issues[0].code.as_str(), "NO_CHANGES");

    // One 正常 employee with a legacy base of 25000 元 (above this year's cap): at 11% + 11% the total 5500 元
    // exceeds 5076 元; the centre names the allowed range of the SUM of rates from its own data.
    let first_active: String = {
        use sqlx::Row;
        rt.block_on(async {
            let pool = centre.db().await.unwrap();
            sqlx::query(
                "SELECT account FROM persons WHERE unit_account = $1 AND status = '01' ORDER BY account",
            )
            .bind(EMPLOYER_B_ACCOUNT)
            .fetch_one(&pool)
            .await
            .unwrap()
            .get("account")
        })
    };
    execute(
        &centre,
        &format!("UPDATE persons SET base_fen = 2500000 WHERE account = '{first_active}'"),
    );
    let (status, _, issues) = refused(form(1100, 1100, today));
    assert_eq!(status, 422);
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(issues[0].code.as_str(), "MONTHLY_ABOVE_MAX");
    let msg = &issues[0].message;
    assert!(
        msg.contains("根据缴存额度限制，单位缴存比例与个人缴存比例之和区间：10% - 20.3%"),
        "{msg}"
    );
    assert!(msg.contains("1 名正常缴存职工"), "{msg}");
    assert!(!msg.contains(&first_active), "no account in the message: {msg}");
    // The CLI runs the same rule with the centre's bases and refuses before signing: exit 1, same issue.
    let (code, out, _) = run(centre.gjj(label).args([
        "submit",
        "rate-adjustment",
        "--unit-rate",
        "11",
        "--person-rate",
        "11",
        "--effective",
        &today.to_string(),
        "--json",
    ]));
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (1, Some("RULES_VIOLATED")),
        "{out}"
    );
    assert_eq!(out["error"]["issues"][0]["code"], "MONTHLY_ABOVE_MAX");
    // Bad input on the command line is a content problem too.
    let (code, out, _) = run(centre.gjj(label).args([
        "submit",
        "rate-adjustment",
        "--unit-rate",
        "twelve",
        "--person-rate",
        "11",
        "--effective",
        "2026-13",
        "--json",
    ]));
    assert_eq!(code, 1, "{out}");
    let codes: Vec<&str> = out["error"]["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["RATE_INVALID", "MONTH_INVALID"]);
    assert_eq!(scalar(&centre, "SELECT COUNT(*) FROM rate_adjustments"), 0);
    assert_eq!(
        scalar(
            &centre,
            "SELECT COUNT(*) FROM submissions WHERE business = 'rate_adjustment'"
        ),
        0
    );

    // Inside the range it is accepted; then a second one is refused while the first is open.
    let Submitted::Accepted { receipt, .. } = rt
        .block_on(send(&session, &outbox, &form(1030, 1000, today)))
        .unwrap();
    let (status, code, _) = refused(form(900, 900, today));
    assert_eq!((status, code.as_str()), (409, "BUSINESS_OPEN"));
    let (code, out, _) = run(centre.gjj(label).args([
        "submit",
        "rate-adjustment",
        "--unit-rate",
        "9",
        "--person-rate",
        "9",
        "--effective",
        &today.to_string(),
        "--json",
    ]));
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (1, Some("BUSINESS_OPEN")),
        "{out}"
    );
    assert!(out["error"]["message"]
        .as_str()
        .unwrap()
        .contains(&receipt.serial));
    assert_eq!(scalar(&centre, "SELECT COUNT(*) FROM rate_adjustments"), 1);

    // Approval re-runs the 月缴存额 rule on the bases as they are then: a base raised meanwhile refuses it.
    execute(
        &centre,
        &format!("UPDATE persons SET base_fen = 3000000 WHERE account = '{first_active}'"),
    );
    let (code, out, _) = run(centre
        .gjj_pfx("staff")
        .args(["review", "approve", &receipt.serial, "--json"]));
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (1, Some("RULES_VIOLATED")),
        "{out}"
    );
    assert_eq!(out["error"]["issues"][0]["code"], "MONTHLY_ABOVE_MAX");
    assert_eq!(
        scalar(
            &centre,
            &format!("SELECT unit_rate_bp FROM units WHERE account = '{EMPLOYER_B_ACCOUNT}'")
        ),
        1000
    );
    let (_, view, _) = run(centre.gjj(label).args(["status", &receipt.serial, "--json"]));
    assert_eq!(view["status"], "accepted", "a refused approval changes nothing");
}

#[test]
fn an_open_base_adjustment_blocks_a_rate_change() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    let label = units::EMPLOYER_A; // 12% / 12%
    let (due, today) = months(&centre, label);
    let employees = rt().block_on(centre.active_employees(label)).unwrap();
    let rows: Vec<SheetRow> = employees
        .iter()
        .take(3)
        .map(|e| SheetRow::adjust(e, Fen(e.base.0 + 10_000), &due.to_string()))
        .collect();
    let sheet = centre.dir.path().join("raise.xlsx");
    write_base_adjustment(&sheet, &rows).unwrap();
    let (code, out, err) = run(centre
        .gjj(label)
        .arg("submit")
        .arg("base-adjustment")
        .arg(&sheet)
        .arg("--json"));
    assert_eq!(code, 0, "{out} {err}");
    let base_serial = out["receipt"]["serial"].as_str().unwrap().to_owned();
    // Its rows carry amounts at 12% + 12%: a rate change now would leave them stale once approved.
    let args = [
        "submit",
        "rate-adjustment",
        "--unit-rate",
        "10",
        "--person-rate",
        "10",
        "--effective",
    ];
    let (code, out, _) = run(centre.gjj(label).args(args).arg(today.to_string()).arg("--json"));
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (1, Some("BUSINESS_OPEN")),
        "{out}"
    );
    let msg = out["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("缴存基数调整") && msg.contains(&base_serial),
        "{msg}"
    );
    // Once it is done, the rate change goes through.
    let (code, out, _) = run(centre
        .gjj_pfx("staff")
        .args(["review", "approve", &base_serial, "--json"]));
    assert_eq!(code, 0, "{out}");
    let (code, out, err) = run(centre.gjj(label).args(args).arg(today.to_string()).arg("--json"));
    assert_eq!(code, 0, "{out} {err}");
    // And the other way round: while the rate change is open, a 基数调整 would store stale amounts.
    let rate_serial = out["receipt"]["serial"].as_str().unwrap().to_owned();
    let rows: Vec<SheetRow> = employees
        .iter()
        .skip(3)
        .take(2)
        .map(|e| SheetRow::adjust(e, Fen(e.base.0 + 10_000), &due.to_string()))
        .collect();
    write_base_adjustment(&sheet, &rows).unwrap();
    let (code, out, _) = run(centre
        .gjj(label)
        .arg("submit")
        .arg("base-adjustment")
        .arg(&sheet)
        .arg("--json"));
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (1, Some("RATE_ADJUSTMENT_OPEN")),
        "{out}"
    );
    assert!(
        out["error"]["message"].as_str().unwrap().contains(&rate_serial),
        "{out}"
    );
}

#[test]
fn a_developer_certificate_is_refused() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    let (code, me, _) = run(centre.gjj(units::DEVELOPER).args(["whoami", "--json"]));
    assert_eq!(code, 0, "{me}");
    let today = me["me"]["today"].as_str().unwrap().to_owned();
    let (code, out, err) = run(centre.gjj(units::DEVELOPER).args([
        "submit",
        "rate-adjustment",
        "--unit-rate",
        "10",
        "--person-rate",
        "10",
        "--effective",
        &today,
        "--json",
    ]));
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (2, Some("ROLE_FORBIDDEN")),
        "{out} {err}"
    );
    assert!(out["error"]["message"].as_str().unwrap().contains("单位网厅"));
    assert_eq!(scalar(&centre, "SELECT COUNT(*) FROM rate_adjustments"), 0);
}

#[test]
fn the_rate_change_runs_on_postgresql() {
    let server = std::env::var(gjj_tests::POSTGRES_ENV).unwrap_or_else(|_| {
        panic!(
            "{} is not set: run with `cargo xtask test` (it starts PostgreSQL)",
            gjj_tests::POSTGRES_ENV
        )
    });
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Postgres(server)).unwrap();
    let label = units::EMPLOYER_C; // 8% / 8%, RSA PKCS#1-only key
    let (_, today) = months(&centre, label);
    let (code, out, err) = run(centre.gjj(label).args([
        "submit",
        "rate-adjustment",
        "--unit-rate",
        "9",
        "--person-rate",
        "7",
        "--effective",
        &today.to_string(),
        "--json",
    ]));
    assert_eq!(code, 0, "{out} {err}");
    let serial = out["receipt"]["serial"].as_str().unwrap().to_owned();
    let (code, out, err) = run(centre
        .gjj_pfx("staff")
        .args(["review", "approve", &serial, "--json"]));
    assert_eq!(code, 0, "{out} {err}");
    let unit = "9818110500003";
    for (_, status, base, unit_amount, person_amount) in persons(&centre, unit) {
        if status == "01" {
            assert_eq!(unit_amount, amount(base, Rate(900), RoundTo::Fen));
            assert_eq!(person_amount, amount(base, Rate(700), RoundTo::Fen));
        }
    }
    assert_eq!(
        scalar(
            &centre,
            &format!("SELECT person_rate_bp FROM units WHERE account = '{unit}'")
        ),
        700
    );
}
