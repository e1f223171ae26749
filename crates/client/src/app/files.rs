//! Sheets straight from a file, as `gjj check|submit BUSINESS FILE` takes them: streamed through the centre's
//! rules with nothing held but the issues (the desktop's import keeps a [`super::Grid`] to edit instead), the
//! prefilled templates and the centre's 汇缴 清册. The business is a code of the registry
//! ([`crate::sheet::batch`]), so a new batch business needs nothing here.

use std::path::Path;

use gjj_domain::api::Receipt;
use gjj_domain::base_adjustment::col;
use gjj_domain::code_table::PERSON_SEALED;
use gjj_domain::issue::Issue;
use gjj_domain::money::Fen;
use gjj_domain::month::Month;
use gjj_domain::remittance::{Remittance, RemittanceList};
use gjj_sheets::{Alongside, Prefill};

use super::{blocking_err, unknown_batch, App, AppError, AppResult, IssueList};
use crate::sheet::{self, CheckedSheet, RemittanceTerms};
use crate::{ClientError, OutboxEntry, Submitted};

/// A sheet sent from a file: refused by the rules here (nothing signed), or accepted by the centre.
#[derive(Debug)]
pub enum FileSubmission {
    /// The sheet has issues; nothing was sent.
    Issues(CheckedSheet),
    /// The centre accepted it.
    Accepted {
        /// The receipt.
        receipt: Box<Receipt>,
        /// The centre had accepted this very submission before (a resend).
        replayed: bool,
    },
}

/// A sheet checked from its file: its issues held compactly as they were found, so a sheet with a problem on each
/// of 100,000 rows costs 16 bytes an issue, not an `Issue` each.
pub struct CheckedFile {
    /// Data rows in the file.
    pub rows: u32,
    /// Every issue, in row order.
    pub issues: IssueList,
}

/// A 汇缴 清册 checked for the stated terms.
#[derive(Debug)]
pub struct RemittanceCheck {
    /// Data rows in the file.
    pub rows: u32,
    /// Every issue, in row order.
    pub issues: Vec<Issue>,
    /// 发生人数 as judged (stated, else the sheet's).
    pub count: u32,
    /// 发生额 as judged.
    pub total: Fen,
}

/// A submission sent again under its original key, and how it went.
pub type Resent = (OutboxEntry, Result<Submitted, ClientError>);

impl App {
    /// Resends what never got an answer, under the original idempotency keys (the centre never accepts one
    /// twice); each entry with its outcome.
    pub async fn resend(&self) -> AppResult<Vec<Resent>> {
        let (session, outbox, ..) = self.logged_in().await?;
        Ok(session.resend_pending(&outbox).await?)
    }

    /// Checks `file` of a batch business with the centre's rules (logged in, or [`App::offline`]), streaming.
    pub async fn check_file(&self, business: &str, file: &Path) -> AppResult<CheckedFile> {
        let (me, policy) = self.context().await?;
        let basis = self.offline_basis().await;
        let batch = sheet::batch(business).ok_or_else(|| unknown_batch(business))?;
        let file = file.to_owned();
        let (rows, issues) = tokio::task::spawn_blocking(move || {
            super::check_compact(batch, &file, &policy, &me, basis.as_ref(), None, &mut |_| {})
        })
        .await
        .map_err(blocking_err)??;
        Ok(CheckedFile { rows, issues })
    }

    /// Checks, signs and sends `file` of a batch business; what never got an answer before goes first (see
    /// [`App::resend`]: call it before to report those).
    pub async fn submit_file(&self, business: &str, file: &Path) -> AppResult<FileSubmission> {
        let (session, outbox, me, policy) = self.logged_in().await?;
        let batch = sheet::batch(business).ok_or_else(|| unknown_batch(business))?;
        let path = file.to_owned();
        let checked = tokio::task::spawn_blocking(move || {
            batch.check(
                &path,
                sheet::Facts {
                    policy: &policy,
                    unit: &me.unit,
                    today: me.today,
                },
                true,
                Alongside::default(),
                &mut |_| {},
            )
        })
        .await
        .map_err(blocking_err)??;
        if !checked.issues.is_empty() {
            return Ok(FileSubmission::Issues(checked));
        }
        let payload = checked
            .payload
            .ok_or_else(|| AppError::new("INTERNAL", "表格检查没有生成提交内容。请重试。"))?;
        let Submitted::Accepted { receipt, replayed } = session
            .submit(&outbox, batch.code(), &payload, checked.valid_rows)
            .await?;
        tracing::info!(business, serial = %receipt.serial, rows = receipt.accepted_rows, "submitted");
        Ok(FileSubmission::Accepted {
            receipt: Box::new(receipt),
            replayed,
        })
    }

    /// Checks a 汇缴 清册 for the month due with the sheet's own figures (logged in, or [`App::offline`]).
    pub async fn check_remittance(&self, file: &Path) -> AppResult<RemittanceCheck> {
        let (me, policy) = self.context().await?;
        let terms = RemittanceTerms::due(&me.unit);
        let file = file.to_owned();
        let mut checked = tokio::task::spawn_blocking(move || -> AppResult<RemittanceCheck> {
            Ok(remittance_check(
                &file,
                &policy,
                &me.unit,
                me.today,
                &terms,
                &mut |_| {},
            )?)
        })
        .await
        .map_err(blocking_err)??;
        self.offline_filter(&mut checked.issues).await;
        Ok(checked)
    }

    /// Checks, signs and sends a 汇缴 清册 with the clerk's terms. A unit in arrears remits a month of an
    /// earlier policy year: that year's limits apply (the centre's 清册 of that month says which).
    pub async fn submit_remittance(
        &self,
        file: &Path,
        terms: RemittanceTerms,
    ) -> AppResult<Result<(Receipt, bool, Remittance), RemittanceCheck>> {
        let (session, outbox, me, mut policy) = self.logged_in().await?;
        if !policy.covers(terms.month) {
            // When the centre refuses to list the month (not due), the local check says why with the current
            // figures.
            if let Ok(list) = session.remittance_list(Some(terms.month)).await {
                policy = list.policy;
            }
        }
        let path = file.to_owned();
        let (check, valid) = tokio::task::spawn_blocking(move || -> AppResult<_> {
            let mut valid = Vec::new();
            let check = remittance_check(&path, &policy, &me.unit, me.today, &terms, &mut |row| {
                valid.push(row)
            })?;
            Ok((check, valid))
        })
        .await
        .map_err(blocking_err)??;
        if !check.issues.is_empty() {
            return Ok(Err(check));
        }
        let rows = u32::try_from(valid.len()).unwrap_or(u32::MAX);
        let payload = Remittance {
            month: terms.month,
            method: terms.method,
            person_count: check.count,
            total: check.total,
            rows: valid,
        };
        let Submitted::Accepted { receipt, replayed } =
            session.submit(&outbox, "remittance", &payload, rows).await?;
        Ok(Ok((receipt, replayed, payload)))
    }

    /// The centre's 汇缴 清册 of `month` (default: the month due) saved as the workbook to fill in.
    pub async fn save_remittance_list(&self, month: Option<Month>, path: &Path) -> AppResult<RemittanceList> {
        let (session, ..) = self.logged_in().await?;
        let list = session.remittance_list(month).await?;
        gjj_sheets::remittance::write_list(path, &list, &Default::default())?;
        Ok(list)
    }

    /// The template prefilled with the unit's contributors the business acts on — 基数调整: the 正常 ones with
    /// their current base; 启封: the 封存 ones — and the unit's 应汇缴年月; the decision columns are left to the
    /// clerk. Returns how many were filled in.
    /// A business without one is refused before anything else, logged in or not.
    pub async fn save_template_prefilled(&self, business: &str, path: &Path) -> AppResult<usize> {
        let status = match business {
            "base_adjustment" => "01",
            "unseal" => PERSON_SEALED,
            other => {
                let label = gjj_domain::business::Business::parse(other).map_or(other, |b| b.label());
                return Err(AppError::new(
                    "NO_PREFILL",
                    format!(
                        "{label}模板不提供 --prefill：请只填写要办理的职工或申请人（以免漏删的行被误办理）。请去掉 --prefill。"
                    ),
                ));
            }
        };
        let (session, _, me, _) = self.logged_in().await?;
        let people: Vec<_> = session
            .employees()
            .await?
            .into_iter()
            .filter(|e| e.status == status)
            .collect();
        let month = me.unit.due_month().to_string();
        let rows: Vec<Vec<(&str, Prefill<'_>)>> = people
            .iter()
            .map(|e| {
                vec![
                    (col::ACCOUNT, Prefill::Text(&e.account)),
                    (col::NAME, Prefill::Text(&e.name)),
                    (col::ID_NUMBER, Prefill::Text(&e.id_number)),
                    // 调整前基数 (基数调整 only: 启封's layout has no such column).
                    (col::OLD_BASE, Prefill::Money(e.base)),
                    (col::EFFECTIVE_MONTH, Prefill::Text(&month)),
                ]
            })
            .collect();
        if business == "base_adjustment" {
            gjj_sheets::base_adjustment::write_prefilled(path, &Default::default(), &rows)?;
        } else {
            gjj_sheets::unseal::write_prefilled(path, &Default::default(), &rows)?;
        }
        Ok(people.len())
    }
}

/// A 汇缴 清册 streamed through the centre's checker for `terms`, its issues in row order.
fn remittance_check(
    file: &Path,
    policy: &gjj_domain::policy::Policy,
    unit: &gjj_domain::unit::UnitFacts,
    today: Month,
    terms: &RemittanceTerms,
    on_row: &mut dyn FnMut(gjj_domain::remittance::RemittanceRow),
) -> Result<RemittanceCheck, gjj_sheets::SheetError> {
    let mut issues = Vec::new();
    let (rows, count, total) = sheet::check_remittance(
        file,
        sheet::Facts { policy, unit, today },
        terms,
        Alongside::default(),
        on_row,
        &mut issues,
    )?;
    issues.sort_by_key(|i| i.row);
    Ok(RemittanceCheck {
        rows,
        issues,
        count,
        total,
    })
}
