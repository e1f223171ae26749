//! 项目录入 end to end over mTLS with the developer's SoftHSM token: draft → submit → staff returns it with a
//! reason → the developer corrects and resubmits (a new submission, same project id) → staff approve → 已办结;
//! each project rule refused by the centre with nothing stored; hall separation both ways (ROLE_FORBIDDEN).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use gjj_client::{ClientError, Outbox, Session, SessionConfig, Submitted};
use gjj_domain::area::Area;
use gjj_domain::issue::Issue;
use gjj_domain::money::Fen;
use gjj_domain::project::Project;
use gjj_domain::rate::Rate;
use gjj_pki::TrustBundle;
use gjj_tests::{run_gjj as run, runtime as rt, scalar};
use gjj_tests::{token_credential, units, Backend, Fixtures, LocalCentre};

fn session(centre: &LocalCentre, label: &str) -> Session {
    let config = SessionConfig {
        server: centre.url(),
        trust: TrustBundle::from_pem_file(&centre.fixtures.ca_bundle()).unwrap(),
        timeout: Duration::from_secs(60),
    };
    Session::open(&config, token_credential(&centre.fixtures, label)).unwrap()
}

fn refusal(result: Result<Submitted, ClientError>) -> (u16, String, Vec<Issue>) {
    match result {
        Err(ClientError::Api { status, body }) => (status, body.code, body.issues),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// `--set` arguments of a complete, valid project (except what a test overrides).
pub fn valid_sets(name: &str) -> Vec<String> {
    [
        ("楼盘名称", name),
        ("楼盘地址", "衡阳市蒸湘区解放大道88号华信湘江壹号"),
        ("预售许可证号", "衡房预售许字〔2025〕第012号"),
        ("建设用地规划许可证号", "地字第430400202500012号"),
        ("不动产权证号", "湘(2025)衡阳市不动产权第0012345号"),
        ("建设工程规划许可证号", "建字第430400202500123号"),
        ("建筑工程施工许可证号", "430400202503150101"),
        ("按揭协议日期", "2025-06-30"),
        ("保证金比例", "5%"),
        ("保证金账户", "43050178400100000123"),
        ("保证金账户开户行", "中国建设银行衡阳分行"),
        ("保证金开户名", "衡阳华信置业有限公司"),
        ("建筑总面积", "125000.50"),
        ("建筑总金额", "650000000"),
        ("获取土地总价", "180000000"),
        ("土地单价", "3600"),
        ("联系人", "王建国"),
        ("联系电话", "0734-8123456"),
    ]
    .iter()
    .flat_map(|(k, v)| ["--set".to_owned(), format!("{k}={v}")])
    .collect()
}

#[test]
fn draft_submit_return_correct_resubmit_approve() {
    draft_submit_return_correct_resubmit_approve_on(Backend::Sqlite);
}

#[test]
fn draft_submit_return_correct_resubmit_approve_on_postgresql() {
    draft_submit_return_correct_resubmit_approve_on(gjj_tests::postgres_backend());
}

fn draft_submit_return_correct_resubmit_approve_on(backend: Backend) {
    let centre = LocalCentre::start(&Fixtures::from_env(), backend).unwrap();
    let dev = units::DEVELOPER;

    // A draft with only a name is saved, unsigned, and is not in the review queue.
    let (code, out, err) =
        run(centre
            .gjj(dev)
            .args(["project", "draft", "--set", "楼盘名称=华信·湘江壹号", "--json"]));
    assert_eq!(code, 0, "{out} {err}");
    let id = out["id"].as_str().unwrap().to_owned();
    assert_eq!(id, "XM00000001");
    assert_eq!(
        (out["status"].as_str(), out["editable"].as_bool()),
        (Some("draft"), Some(true))
    );
    assert_eq!(scalar(&centre, "SELECT COUNT(*) FROM submissions"), 0);

    // Submitting the incomplete draft is refused locally (REQUIRED for every missing field), nothing sent.
    let (code, out, _) = run(centre.gjj(dev).args(["project", "submit", "--id", &id, "--json"]));
    assert_eq!(code, 1, "{out}");
    let issues = out["error"]["issues"].as_array().unwrap();
    assert_eq!(issues.len(), 17, "{out}");
    assert!(issues.iter().all(|i| i["code"] == "REQUIRED"));
    assert_eq!(scalar(&centre, "SELECT COUNT(*) FROM submissions"), 0);

    // The draft is completed (with a too-short address the centre would refuse) and saved again.
    let mut args = vec!["project".to_owned(), "draft".into(), "--id".into(), id.clone()];
    args.extend(valid_sets("华信·湘江壹号"));
    args.extend(["--set".into(), "楼盘地址=衡阳市蒸湘区".into(), "--json".into()]);
    let (code, out, err) = run(centre.gjj(dev).args(&args));
    assert_eq!(code, 0, "{out} {err}");
    assert_eq!(out["project"]["total_area"], 12_500_050);
    assert_eq!(out["project"]["land_total"], 18_000_000_000i64);

    // Signed submission: refused for the address, then fixed on the command line and accepted.
    let (code, out, _) = run(centre.gjj(dev).args(["project", "submit", "--id", &id, "--json"]));
    assert_eq!(code, 1);
    assert_eq!(
        out["error"]["issues"][0]["code"], "PROJECT_ADDRESS_TOO_SHORT",
        "{out}"
    );
    let (code, out, err) = run(centre.gjj(dev).args([
        "project",
        "submit",
        "--id",
        &id,
        "--set",
        "楼盘地址=衡阳市蒸湘区解放大道 88 号",
        "--json",
    ]));
    assert_eq!(code, 0, "{out} {err}");
    assert_eq!(out["project_id"], id.as_str());
    let first = out["receipt"]["serial"].as_str().unwrap().to_owned();
    assert_eq!(out["receipt"]["business"], "project");

    // Under review: not editable, no second submission.
    let (_, show, _) = run(centre.gjj(dev).args(["project", "show", &id, "--json"]));
    assert_eq!(
        (show["status"].as_str(), show["editable"].as_bool()),
        (Some("reviewing"), Some(false))
    );
    let (code, out, _) = run(centre.gjj(dev).args([
        "project",
        "draft",
        "--id",
        &id,
        "--set",
        "联系人=李四光",
        "--json",
    ]));
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (1, Some("PROJECT_NOT_EDITABLE")),
        "{out}"
    );

    // Staff see it in the queue under its Chinese name and return it with a reason.
    let (_, pending, _) = run(centre.gjj_pfx("staff").args(["review", "list", "--json"]));
    assert!(pending.to_string().contains("项目录入"), "{pending}");
    let (code, out, err) = run(centre.gjj_pfx("staff").args([
        "review",
        "return",
        &first,
        "--reason",
        "保证金比例应为 8%，请按合作协议更正",
        "--json",
    ]));
    assert_eq!(code, 0, "{out} {err}");
    let (_, show, _) = run(centre.gjj(dev).args(["project", "show", &id, "--json"]));
    assert_eq!(show["status"], "returned");
    assert_eq!(show["return_reason"], "保证金比例应为 8%，请按合作协议更正");
    assert_eq!(show["editable"], true);
    // Not active: no building may be entered under it yet.
    assert_eq!(
        scalar(&centre, "SELECT COUNT(*) FROM projects WHERE status = 'active'"),
        0
    );

    // Corrected and resubmitted: a new submission for the same project id.
    let (code, out, err) = run(centre.gjj(dev).args([
        "project",
        "submit",
        "--id",
        &id,
        "--set",
        "保证金比例=8",
        "--json",
    ]));
    assert_eq!(code, 0, "{out} {err}");
    let second = out["receipt"]["serial"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    assert_eq!(out["project_id"], id.as_str());
    assert_eq!(scalar(&centre, "SELECT COUNT(*) FROM projects"), 1);
    assert_eq!(
        scalar(
            &centre,
            &format!("SELECT COUNT(*) FROM project_submissions WHERE project_id = '{id}'")
        ),
        2
    );
    // The returned submission cannot be approved any more; the new one can.
    let (code, _, _) = run(centre
        .gjj_pfx("staff")
        .args(["review", "approve", &first, "--json"]));
    assert_ne!(code, 0);
    let (code, out, err) = run(centre
        .gjj_pfx("staff")
        .args(["review", "approve", &second, "--json"]));
    assert_eq!(
        (code, out["status_label"].as_str()),
        (0, Some("已办结")),
        "{out} {err}"
    );
    let (_, show, _) = run(centre.gjj(dev).args(["project", "show", &id, "--json"]));
    assert_eq!(
        (show["status"].as_str(), show["status_label"].as_str()),
        (Some("active"), Some("已办结"))
    );
    assert_eq!(show["project"]["deposit_ratio"], 800);
    assert_eq!(show["project"]["address"], "衡阳市蒸湘区解放大道 88 号");
    assert_eq!(show["editable"], false);
    let (_, list, _) = run(centre.gjj(dev).args(["project", "list", "--json"]));
    assert_eq!(list.as_array().unwrap().len(), 1);
}

fn valid_project() -> Project {
    Project {
        project_id: None,
        name: Some("华信·蒸湘里".into()),
        address: Some("衡阳市蒸湘区蒸湘北路 66 号华信蒸湘里".into()),
        presale_permit: Some("衡房预售许字〔2025〕第020号".into()),
        land_planning_permit: Some("地字第430400202500020号".into()),
        land_certificate: Some("湘(2025)衡阳市不动产权第0020000号".into()),
        engineering_planning_permit: Some("建字第430400202500200号".into()),
        construction_permit: Some("430400202504010101".into()),
        mortgage_agreement_date: Some("2025-05-20".into()),
        deposit_ratio: Some(Rate(500)),
        deposit_account: Some("43050178400100000456".into()),
        deposit_bank: Some("中国建设银行衡阳分行".into()),
        deposit_account_name: Some("衡阳华信置业有限公司".into()),
        total_area: Some(Area(8_000_000)),
        total_amount: Some(Fen(40_000_000_000)),
        land_total: Some(Fen(10_000_000_000)),
        land_unit_price: Some(Fen(300_000)),
        contact_name: Some("王建国".into()),
        contact_phone: Some("13907340001".into()),
        note: None,
    }
}

/// Payloads the client would never send, straight to the centre: the gateway re-runs every rule.
#[test]
fn each_project_rule_is_refused_by_the_centre_and_nothing_is_stored() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    let rt = rt();
    let session = session(&centre, units::DEVELOPER);
    let outbox = rt
        .block_on(Outbox::open(&centre.dir.path().join("raw.sqlite")))
        .unwrap();
    type Mutation = Box<dyn Fn(&mut Project)>;
    let cases: Vec<(&str, Mutation)> = vec![
        (
            "PROJECT_ADDRESS_TOO_SHORT",
            Box::new(|p| p.address = Some("衡阳市蒸湘区".into())),
        ),
        ("AREA_NOT_POSITIVE", Box::new(|p| p.total_area = Some(Area(0)))),
        ("AMOUNT_NOT_POSITIVE", Box::new(|p| p.land_total = Some(Fen(0)))),
        (
            "AMOUNT_NOT_POSITIVE",
            Box::new(|p| p.land_unit_price = Some(Fen(0))),
        ),
        ("AMOUNT_NOT_POSITIVE", Box::new(|p| p.total_amount = Some(Fen(0)))),
        (
            "PHONE_INVALID",
            Box::new(|p| p.contact_phone = Some("7340001".into())),
        ),
        ("REQUIRED", Box::new(|p| p.construction_permit = None)),
        ("REQUIRED", Box::new(|p| p.land_planning_permit = None)),
        ("REQUIRED", Box::new(|p| p.deposit_account = None)),
        ("REQUIRED", Box::new(|p| p.mortgage_agreement_date = None)),
        (
            "DEPOSIT_RATIO_INVALID",
            Box::new(|p| p.deposit_ratio = Some(Rate(0))),
        ),
        (
            "BANK_ACCOUNT_INVALID",
            Box::new(|p| p.deposit_account = Some("12-AB".into())),
        ),
        (
            "PERMIT_NUMBER_INVALID",
            Box::new(|p| p.presale_permit = Some("预售;许可".into())),
        ),
        (
            "DATE_INVALID",
            Box::new(|p| p.mortgage_agreement_date = Some("2099-01-01".into())),
        ),
        (
            "PROJECT_NOT_FOUND",
            Box::new(|p| p.project_id = Some("XM1".into())),
        ),
    ];
    for (want, mutate) in &cases {
        let mut p = valid_project();
        mutate(&mut p);
        let (status, code, issues) = refusal(rt.block_on(session.submit(&outbox, "project", &p, 1)));
        assert_eq!((status, code.as_str()), (422, "RULES_VIOLATED"), "{want}");
        assert_eq!(issues.len(), 1, "{want}: {issues:?}");
        assert_eq!(issues[0].code.as_str(), *want, "{issues:?}");
    }
    // Another developer's / an unknown project id: the same 404 either way.
    let mut p = valid_project();
    p.project_id = Some("XM00000099".into());
    let (status, code, _) = refusal(rt.block_on(session.submit(&outbox, "project", &p, 1)));
    assert_eq!((status, code.as_str()), (404, "PROJECT_NOT_FOUND"));
    assert_eq!(scalar(&centre, "SELECT COUNT(*) FROM submissions"), 0);
    assert_eq!(scalar(&centre, "SELECT COUNT(*) FROM projects"), 0);

    // The valid one without a draft: a new project in one step.
    let Submitted::Accepted { receipt, .. } = rt
        .block_on(session.submit(&outbox, "project", &valid_project(), 1))
        .unwrap();
    assert_eq!(receipt.accounts[0].account, "XM00000001");
    assert_eq!(
        scalar(
            &centre,
            "SELECT COUNT(*) FROM projects WHERE status = 'submitted'"
        ),
        1
    );
}

/// Halls are separate: an employer certificate is refused on developer routes, the developer's on an employer one.
#[test]
fn role_forbidden_both_ways() {
    let centre = LocalCentre::start(&Fixtures::from_env(), Backend::Sqlite).unwrap();
    let (code, out, err) =
        run(centre
            .gjj(units::EMPLOYER_A)
            .args(["project", "draft", "--set", "楼盘名称=某楼盘", "--json"]));
    assert_eq!(
        (code, out["error"]["code"].as_str()),
        (2, Some("ROLE_FORBIDDEN")),
        "{out} {err}"
    );
    let (code, out, _) = run(centre.gjj(units::EMPLOYER_A).args(["project", "list", "--json"]));
    assert_eq!(out["error"]["code"], "ROLE_FORBIDDEN", "{code} {out}");
    let rt = rt();
    let employer = session(&centre, units::EMPLOYER_A);
    let outbox = rt
        .block_on(Outbox::open(&centre.dir.path().join("e.sqlite")))
        .unwrap();
    for business in ["project", "building"] {
        let (status, code, _) = refusal(rt.block_on(employer.submit(&outbox, business, &valid_project(), 1)));
        assert_eq!((status, code.as_str()), (403, "ROLE_FORBIDDEN"), "{business}");
    }
    // The developer's certificate on an employer business.
    let developer = session(&centre, units::DEVELOPER);
    let payload = serde_json::json!({ "rows": [] });
    let (status, code, _) = refusal(rt.block_on(developer.submit(&outbox, "base_adjustment", &payload, 0)));
    assert_eq!((status, code.as_str()), (403, "ROLE_FORBIDDEN"));
    assert_eq!(scalar(&centre, "SELECT COUNT(*) FROM submissions"), 0);
}
