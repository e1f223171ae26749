//! The form businesses in the app: the window's JSON → the domain payload, checked with the very rules the
//! centre runs (with the centre's current records where a rule needs them) — as the user types
//! (`form_validate`) and once more before signing (`form_submit`).

use std::path::Path;

use gjj_domain::api::Me;
use gjj_domain::building::{self, Building};
use gjj_domain::contributor_change::{self, ContributorChange};
use gjj_domain::contributor_registration::{self, ContributorRegistration};
use gjj_domain::issue::{Code, Issue};
use gjj_domain::policy::Policy;
use gjj_domain::project::{self, Project};
use gjj_domain::rate_adjustment::{self, RateAdjustment};
use gjj_domain::unit_change::{self, UnitChange};
use serde::de::DeserializeOwned;

use super::{AppError, AppResult};
use crate::Session;

/// A form ready to sign and send.
pub(super) struct Prepared {
    pub route: &'static str,
    pub body: serde_json::Value,
    pub rows: u32,
}

fn parse<T: DeserializeOwned>(data: serde_json::Value) -> Result<T, Vec<Issue>> {
    serde_json::from_value(data).map_err(|e| {
        vec![Issue::sheet(
            Code::FormInvalid,
            format!("表单内容不完整或格式不对（{e}）。请检查各项填写后再试。"),
        )]
    })
}

fn body<T: serde::Serialize>(route: &'static str, payload: &T, rows: u32) -> AppResult<Prepared> {
    Ok(Prepared {
        route,
        body: serde_json::to_value(payload).map_err(|e| AppError::new("INTERNAL", e.to_string()))?,
        rows,
    })
}

/// Parses and checks a form; `Ok(Err(issues))` when the form is not acceptable yet.
pub(super) async fn prepare(
    session: &Session,
    me: &Me,
    policy: &Policy,
    business: &str,
    data: serde_json::Value,
) -> AppResult<Result<Prepared, Vec<Issue>>> {
    Ok(match business {
        "rate_adjustment" => match parse::<RateAdjustment>(data) {
            Err(issues) => Err(issues),
            Ok(payload) => {
                let bases: Vec<_> = session
                    .employees()
                    .await?
                    .into_iter()
                    .filter(|e| e.status == "01")
                    .map(|e| e.base)
                    .collect();
                let issues = rate_adjustment::check(&payload, policy, &me.unit, me.today, &bases);
                if issues.is_empty() {
                    Ok(body("rate_adjustment", &payload, 1)?)
                } else {
                    Err(issues)
                }
            }
        },
        "unit_change" => match parse::<UnitChange>(data) {
            Err(issues) => Err(issues),
            Ok(payload) => {
                let current = session.unit().await?;
                match unit_change::check(&payload, &current, me.today) {
                    Err(issues) => Err(issues),
                    Ok(valid) => {
                        let rows = u32::try_from(valid.len()).unwrap_or(u32::MAX);
                        Ok(body("unit_change", &UnitChange::normalised(&valid), rows)?)
                    }
                }
            }
        },
        // The single forms send the batch payload with one row: one shape for the centre either way.
        "contributor_registration" => match parse::<ContributorRegistration>(data) {
            Err(issues) => Err(issues),
            Ok(payload) => {
                let issues = contributor_registration::check(&payload.rows, policy, &me.unit, me.today);
                if issues.is_empty() {
                    let rows = u32::try_from(payload.rows.len()).unwrap_or(u32::MAX);
                    Ok(body("contributor_registration", &payload, rows)?)
                } else {
                    Err(issues)
                }
            }
        },
        "contributor_change" => match parse::<ContributorChange>(data) {
            Err(issues) => Err(issues),
            Ok(payload) => {
                let mut checker = contributor_change::Checker::new(policy, &me.unit, me.today);
                let mut issues = Vec::new();
                for row in &payload.rows {
                    // With the person's record: stale old values and the derived fields are judged here too.
                    let current = session.employee(&row.account).await.ok();
                    checker.push(row, current.as_ref(), &mut issues);
                }
                checker.finish(&mut issues);
                if issues.is_empty() {
                    let rows = u32::try_from(payload.rows.len()).unwrap_or(u32::MAX);
                    Ok(body("contributor_change", &payload, rows)?)
                } else {
                    Err(issues)
                }
            }
        },
        "project" => match parse::<Project>(data) {
            Err(issues) => Err(issues),
            Ok(p) => match project::check_submit(&p, me.today) {
                Ok(valid) => Ok(body("project", &valid, 1)?),
                Err(issues) => Err(issues),
            },
        },
        "building" => {
            // The form's fields plus `houses_file`: the filled 户 list template.
            let houses_file = data
                .get("houses_file")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned();
            let mut data = data;
            if let Some(o) = data.as_object_mut() {
                o.remove("houses_file");
                o.entry("houses").or_insert(serde_json::json!([]));
            }
            match parse::<Building>(data) {
                Err(issues) => Err(issues),
                Ok(mut b) => {
                    let mut issues = Vec::new();
                    if houses_file.trim().is_empty() {
                        issues.push(Issue::new(
                            0,
                            "户清单",
                            Code::FormInvalid,
                            "请选择填好的户清单 Excel 文件（先下载模板填写）。",
                        ));
                    } else {
                        let imported = gjj_sheets::building::import(Path::new(houses_file.trim()))?;
                        issues.extend(imported.issues);
                        b.houses = imported.rows;
                    }
                    if !issues.is_empty() {
                        Err(issues)
                    } else {
                        match building::check(&b) {
                            Ok(valid) => {
                                let rows = u32::try_from(valid.houses.len()).unwrap_or(u32::MAX);
                                Ok(body("building", &valid, rows)?)
                            }
                            Err(issues) => Err(issues),
                        }
                    }
                }
            }
        }
        other => {
            return Err(AppError::new(
                "UNKNOWN_BUSINESS",
                format!("“{other}”不是表单类业务。请从首页的业务菜单进入。"),
            ))
        }
    })
}

/// Code tables the forms offer as selects.
pub(super) fn code_table(name: &str) -> Option<Vec<(String, String)>> {
    use gjj_domain::code_table as t;
    let table: &t::CodeTable = match name {
        "material_kind" => &gjj_domain::project_material::KINDS,
        "seal_reason" => &gjj_domain::seal::SEAL_REASONS,
        "unseal_reason" => &gjj_domain::unseal::UNSEAL_REASONS,
        "supplementary_reason" => &gjj_domain::supplementary::REASONS,
        "id_type" => &gjj_domain::contributor_registration::ID_TYPES,
        "sex" => &gjj_domain::contributor_registration::SEXES,
        "remittance_method" => &gjj_domain::remittance::METHODS,
        _ => return None,
    };
    Some(
        table
            .entries
            .iter()
            .map(|e| (e.code.to_owned(), e.label.to_owned()))
            .collect(),
    )
}
