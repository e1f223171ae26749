//! The form businesses in the app: the window's JSON → the domain payload, checked with the very rules the
//! centre runs (with the centre's current records where a rule needs them) — as the user types
//! (`form_validate`) and once more before signing (`form_submit`).

use std::path::Path;

use gjj_domain::api::{Me, Receipt};
use gjj_domain::building::{self, Building};
use gjj_domain::contributor_change::{self, ContributorChange};
use gjj_domain::contributor_registration::{self, ContributorRegistration};
use gjj_domain::issue::{Code, Issue};
use gjj_domain::policy::Policy;
use gjj_domain::project::{self, Project};
use gjj_domain::rate_adjustment::{self, RateAdjustment};
use gjj_domain::unit_change::{self, UnitChange};
use serde::de::DeserializeOwned;

use super::{App, AppError, AppResult};
use crate::{Session, Submitted};

/// A form ready to sign and send.
pub(super) struct Prepared {
    pub route: &'static str,
    pub body: serde_json::Value,
    pub rows: u32,
    /// What it changes, for a person to read before signing (numbers masked).
    pub lines: Vec<String>,
}

/// A form checked with the centre's rules and ready to sign.
#[derive(Clone, Debug)]
pub struct FormCheck {
    /// What it changes, in lines for a person to read (证件号码 and account numbers masked).
    pub lines: Vec<String>,
    /// The payload as it will be signed (normalised values).
    pub payload: serde_json::Value,
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
        lines: Vec::new(),
    })
}

/// "label：old → new", the values masked where the field is a number a screen should not show whole.
fn change_line(label: &str, masked: bool, old: &Option<String>, new: &Option<String>) -> String {
    let show = |v: &Option<String>| match v.as_deref() {
        None => "（空）".to_owned(),
        Some(v) if masked => gjj_domain::ids::mask_middle(v),
        Some(v) => v.to_owned(),
    };
    format!("{label}：{} → {}", show(old), show(new))
}

/// Whether a 单位信息 field is shown masked.
pub fn unit_field_masked(f: unit_change::UnitField) -> bool {
    matches!(
        f,
        unit_change::UnitField::LegalRepIdNumber | unit_change::UnitField::AgentIdNumber
    )
}

/// Whether a 缴存人 field is shown masked.
pub fn person_field_masked(f: contributor_change::PersonField) -> bool {
    matches!(
        f,
        contributor_change::PersonField::IdNumber | contributor_change::PersonField::BankAccount
    )
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
                    let mut prepared = body("rate_adjustment", &payload, 1)?;
                    prepared.lines.push(format!(
                        "单位缴存比例 {} → {}，个人缴存比例 {} → {}，生效年月 {}；{} 名正常缴存职工的月缴存额均在限额内。",
                        me.unit.unit_rate,
                        payload.unit_rate,
                        me.unit.person_rate,
                        payload.person_rate,
                        payload.effective_month,
                        bases.len()
                    ));
                    Ok(prepared)
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
                        let mut prepared = body("unit_change", &UnitChange::normalised(&valid), rows)?;
                        prepared.lines = valid
                            .iter()
                            .map(|c| change_line(c.field.label(), unit_field_masked(c.field), &c.old, &c.new))
                            .collect();
                        Ok(prepared)
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
                let mut rows = Vec::with_capacity(payload.rows.len());
                let mut lines = Vec::new();
                for row in payload.rows {
                    // With the person's record: stale old values and the derived fields are judged here too.
                    let current = session.employee(&row.account).await.ok();
                    let valid = checker.push(&row, current.as_ref(), &mut issues);
                    // The normalised values (the derived 性别/出生年月 included) are sent: what is signed is what
                    // the centre stores.
                    let changes = match valid {
                        Some(valid) => valid
                            .iter()
                            .map(|c| {
                                lines.push(change_line(
                                    c.field.label(),
                                    person_field_masked(c.field),
                                    &c.old,
                                    &c.new,
                                ));
                                contributor_change::FieldChange {
                                    field: c.field.key().to_owned(),
                                    old: c.old.clone(),
                                    new: c.new.clone(),
                                }
                            })
                            .collect(),
                        None => row.changes.clone(),
                    };
                    rows.push(contributor_change::ContributorChangeRow { changes, ..row });
                }
                checker.finish(&mut issues);
                if issues.is_empty() {
                    let count = u32::try_from(rows.len()).unwrap_or(u32::MAX);
                    let mut prepared = body("contributor_change", &ContributorChange { rows }, count)?;
                    prepared.lines = lines;
                    Ok(prepared)
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

impl App {
    /// The form a front end builds from `FIELD=VALUE` pairs (FIELD: key, pinyin id or Chinese label; an empty
    /// VALUE clears an optional field), on top of the centre's current record: 单位信息变更 (the unit),
    /// 缴存人信息变更 (the contributor `key`), 项目录入 (the stored project `key`, or a new one). Returns the form's
    /// data and the values that could not be set (issues, for the front end to report with the form's own).
    pub async fn form_from_sets(
        &self,
        business: &str,
        key: Option<&str>,
        sets: &[String],
    ) -> AppResult<(serde_json::Value, Vec<Issue>)> {
        let (session, ..) = self.logged_in().await?;
        let pairs = sets
            .iter()
            .map(|s| {
                s.split_once('=').ok_or_else(|| {
                    AppError::new(
                        "ARGUMENT",
                        format!("--set 的格式应为 字段=值（如 --set 地址=新地址），当前为“{s}”。清空字段请写 字段="),
                    )
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        let new = |v: &str| Some(v.to_owned()).filter(|v| !v.trim().is_empty());
        let mut issues = Vec::new();
        let data = match business {
            "unit_change" => {
                let current = session.unit().await?;
                let changes = pairs
                    .iter()
                    .map(|(k, v)| match unit_change::UnitField::lookup(k) {
                        unit_change::FieldKey::Field(f) => unit_change::FieldChange::of(&current, f, new(v)),
                        // Passed through so that the rules report them with their own codes.
                        unit_change::FieldKey::Identity => unit_change::FieldChange {
                            field: (*k).to_owned(),
                            old: Some(current.uscc.clone()),
                            new: new(v),
                        },
                        unit_change::FieldKey::Unknown => unit_change::FieldChange {
                            field: (*k).to_owned(),
                            old: None,
                            new: new(v),
                        },
                    })
                    .collect();
                serde_json::to_value(UnitChange { changes })
            }
            "contributor_change" => {
                let account =
                    key.ok_or_else(|| AppError::new("FORM_KEY", "请先填写要变更的职工的个人账号。"))?;
                let current = session.employee(account).await?;
                let changes = pairs
                    .iter()
                    .map(|(k, v)| match contributor_change::PersonField::lookup(k) {
                        Some(f) => current.change(f, new(v)),
                        None => contributor_change::FieldChange {
                            field: (*k).to_owned(),
                            old: None,
                            new: new(v),
                        },
                    })
                    .collect();
                let row = contributor_change::ContributorChangeRow {
                    row: 1,
                    account: current.account.clone(),
                    name: current.name.clone(),
                    id_number: current.id_number.clone(),
                    changes,
                    olds: true,
                    note: None,
                };
                serde_json::to_value(ContributorChange { rows: vec![row] })
            }
            "project" => {
                let mut p = match key {
                    Some(id) => session.project(id).await?.project,
                    None => Project::default(),
                };
                for (k, v) in &pairs {
                    let field = project::ProjectField::lookup(k).ok_or_else(|| {
                        AppError::new(
                            "ARGUMENT",
                            format!("没有字段“{k}”。可用字段见 gjj project draft --help"),
                        )
                    })?;
                    if let Err(issue) = p.set(field, v) {
                        issues.push(issue);
                    }
                }
                serde_json::to_value(p)
            }
            other => {
                return Err(AppError::new(
                    "UNKNOWN_BUSINESS",
                    format!("“{other}”不能用 字段=值 填写。"),
                ))
            }
        };
        Ok((
            data.map_err(|e| AppError::new("INTERNAL", e.to_string()))?,
            issues,
        ))
    }

    /// The centre's rules on a form, with what it would change; `Err(issues)` when not acceptable.
    pub async fn form_check(
        &self,
        business: &str,
        data: serde_json::Value,
    ) -> AppResult<Result<FormCheck, Vec<Issue>>> {
        let (session, _, me, policy) = self.logged_in().await?;
        Ok(prepare(&session, &me, &policy, business, data)
            .await?
            .map(|p| FormCheck {
                lines: p.lines,
                payload: p.body,
            }))
    }

    /// Validates, signs and sends a form; the receipt and whether the centre had it already (a resend).
    pub async fn form_send(&self, business: &str, data: serde_json::Value) -> AppResult<(Receipt, bool)> {
        let (session, outbox, me, policy) = self.logged_in().await?;
        let payload = match prepare(&session, &me, &policy, business, data).await? {
            Ok(p) => p,
            Err(issues) => {
                return Err(AppError::rules(
                    "FORM_HAS_ISSUES",
                    format!("表单还有 {} 处问题，没有提交。请按提示修改。", issues.len()),
                    issues,
                ))
            }
        };
        let Submitted::Accepted { receipt, replayed } = session
            .submit(&outbox, payload.route, &payload.body, payload.rows)
            .await?;
        tracing::info!(business, serial = %receipt.serial, "form submitted");
        Ok((receipt, replayed))
    }
}
