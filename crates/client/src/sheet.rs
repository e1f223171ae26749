//! Every Excel batch business as the clerk's side sees it: its template, its importer streamed through the
//! same domain checker the centre runs, and the payload that is signed and sent. One [`Sheet`] impl per
//! business, shared by `gjj check|submit` and the desktop app; [`batch`] looks one up by its code for callers
//! that pick the business at run time (the app's commands).

use std::marker::PhantomData;
use std::path::Path;

use gjj_domain::base_adjustment::{BaseAdjustment, BaseAdjustmentRow};
use gjj_domain::contributor_change::{ContributorChange, ContributorChangeRow};
use gjj_domain::contributor_registration::{ContributorRegistration, ContributorRegistrationRow};
use gjj_domain::issue::Issue;
use gjj_domain::loan_application::{Applicant, LoanApplication};
use gjj_domain::money::Fen;
use gjj_domain::month::Month;
use gjj_domain::policy::Policy;
use gjj_domain::remittance::{Method, Remittance, RemittanceRow};
use gjj_domain::seal::{Seal, SealRow};
use gjj_domain::supplementary::{Supplementary, SupplementaryRow};
use gjj_domain::unit::UnitFacts;
use gjj_domain::unseal::{Unseal, UnsealRow};
use gjj_sheets::base_adjustment::TemplateOptions;
use gjj_sheets::{Alongside, SheetError};
use serde::Serialize;

/// What a check judges a sheet against: the policy year, the unit's facts and the current month.
#[derive(Clone, Copy, Debug)]
pub struct Facts<'a> {
    /// The policy year.
    pub policy: &'a Policy,
    /// The unit's facts (placeholders on the shipped basis of an offline check).
    pub unit: &'a UnitFacts,
    /// The current month.
    pub today: Month,
}

/// One batch business.
pub trait Sheet {
    /// The business code in every layer (route `/api/v1/{BUSINESS}`).
    const BUSINESS: &'static str;
    /// A row as sent.
    type Row;
    /// The signed payload.
    type Payload: Serialize;

    /// Writes the blank template.
    fn write_template(path: &Path) -> Result<(), SheetError>;

    /// Streams `file` through the importer and the domain checker the centre also runs: every issue goes to
    /// `issues`, every row without a cell problem to `on_row`. Returns the number of data rows.
    /// `alongside`: what the import also does on its pass (the grid, the issues taken as they come).
    fn check(
        file: &Path,
        facts: Facts<'_>,
        alongside: Alongside<'_>,
        on_row: &mut dyn FnMut(Self::Row),
        issues: &mut Vec<Issue>,
    ) -> Result<u32, SheetError>;

    /// The payload for the checked rows.
    fn payload(rows: Vec<Self::Row>, unit: &UnitFacts) -> Self::Payload;
}

/// Defines a [`Sheet`] that streams its importer through a domain checker: `$checker` builds it from
/// (policy, unit, today), `$push` checks one row, `finish` closes the sheet-wide rules (duplicates).
macro_rules! checked_sheet {
    (
        $(#[$doc:meta])* $name:ident, $code:literal, $module:ident, $row:ty, $payload:ident { $field:ident },
        |$p:ident, $u:ident, $t:ident| $checker:expr,
        |$c:ident, $r:ident, $i:ident| $push:expr $(,)?
    ) => {
        $(#[$doc])*
        pub struct $name;

        impl Sheet for $name {
            const BUSINESS: &'static str = $code;
            type Row = $row;
            type Payload = $payload;

            fn write_template(path: &Path) -> Result<(), SheetError> {
                gjj_sheets::$module::write_template(path, &TemplateOptions::default())
            }

            fn check(
                file: &Path,
                facts: Facts<'_>,
                alongside: Alongside<'_>,
                on_row: &mut dyn FnMut($row),
                issues: &mut Vec<Issue>,
            ) -> Result<u32, SheetError> {
                let ($p, $u, $t) = (facts.policy, facts.unit, facts.today);
                let mut checker = $checker;
                let stats = gjj_sheets::$module::import_alongside(
                    file,
                    alongside,
                    |row, issues| {
                        {
                            let ($c, $r, $i) = (&mut checker, &row, &mut *issues);
                            $push;
                        }
                        on_row(row);
                    },
                    issues,
                )?;
                checker.finish(issues);
                Ok(stats.data_rows)
            }

            fn payload(rows: Vec<$row>, _unit: &UnitFacts) -> $payload {
                $payload { $field: rows }
            }
        }
    };
}

checked_sheet!(
    /// 缴存基数调整.
    BaseAdjustmentSheet, "base_adjustment", base_adjustment, BaseAdjustmentRow, BaseAdjustment { rows },
    |policy, unit, today| gjj_domain::base_adjustment::Checker::new(policy, unit, today),
    |c, row, issues| c.push(row, issues),
);
checked_sheet!(
    /// 个人封存.
    SealSheet, "seal", seal, SealRow, Seal { rows },
    |policy, unit, today| gjj_domain::seal::Checker::new(policy, unit, today),
    |c, row, issues| c.push(row, issues),
);
checked_sheet!(
    /// 个人启封.
    UnsealSheet, "unseal", unseal, UnsealRow, Unseal { rows },
    |policy, unit, today| gjj_domain::unseal::Checker::new(policy, unit, today),
    |c, row, issues| c.push(row, issues),
);
checked_sheet!(
    /// 缴存人登记 (batch).
    ContributorRegistrationSheet, "contributor_registration", contributor_registration,
    ContributorRegistrationRow, ContributorRegistration { rows },
    |policy, unit, today| gjj_domain::contributor_registration::Checker::new(policy, unit, today),
    |c, row, issues| c.push(row, issues),
);
checked_sheet!(
    /// 缴存人信息变更 (batch). Without the records: what depends on them (stale values, the derived
    /// 性别/出生年月, uniqueness across the centre) is the centre's to judge.
    ContributorChangeSheet, "contributor_change", contributor_change, ContributorChangeRow,
    ContributorChange { rows },
    |policy, unit, today| gjj_domain::contributor_change::Checker::new(policy, unit, today),
    |c, row, issues| {
        c.push(row, None, issues);
    },
);
checked_sheet!(
    /// 补缴: the months already paid are the centre's facts, judged there.
    SupplementarySheet, "supplementary", supplementary, SupplementaryRow, Supplementary { rows },
    |policy, unit, today| gjj_domain::supplementary::Checker::new(policy, &[], unit, today),
    |c, row, issues| c.push(row, issues),
);

/// 汇缴 of the month due (应汇缴年月: the only month the centre accepts) by 转账收款, the stated 发生人数/发生额
/// being the sheet's. Other methods and stated totals: `gjj remittance submit --method --count --total`.
pub struct RemittanceSheet;

impl Sheet for RemittanceSheet {
    const BUSINESS: &'static str = "remittance";
    type Row = RemittanceRow;
    type Payload = Remittance;

    fn write_template(path: &Path) -> Result<(), SheetError> {
        // There is no blank 汇缴 template: the 清册 is the centre's list of the unit's people
        // (`Session::remittance_list` + `gjj_sheets::remittance::write_list`).
        Err(SheetError::Unreadable {
            file: path.display().to_string(),
            reason: "汇缴清册由中心生成，请用“下载清册”取得本月清册".to_owned(),
        })
    }

    fn check(
        file: &Path,
        facts: Facts<'_>,
        alongside: Alongside<'_>,
        on_row: &mut dyn FnMut(RemittanceRow),
        issues: &mut Vec<Issue>,
    ) -> Result<u32, SheetError> {
        let terms = RemittanceTerms::due(facts.unit);
        Ok(check_remittance(file, facts, &terms, alongside, on_row, issues)?.0)
    }

    fn payload(rows: Vec<RemittanceRow>, unit: &UnitFacts) -> Remittance {
        let (person_count, total) = gjj_domain::remittance::totals(&rows);
        Remittance {
            month: unit.due_month(),
            method: Method::Transfer,
            person_count,
            total,
            rows,
        }
    }
}

/// What a clerk states for a 汇缴 besides the 清册: its month, the method of payment and, from the bank slip,
/// 发生人数 / 发生额 (when left out, what the sheet adds up to: the centre checks them against the rows either way).
#[derive(Clone, Copy, Debug)]
pub struct RemittanceTerms {
    /// 汇缴年月.
    pub month: Month,
    /// 汇缴方式.
    pub method: Method,
    /// 发生人数 as stated.
    pub count: Option<u32>,
    /// 发生额 as stated.
    pub total: Option<Fen>,
}

impl RemittanceTerms {
    /// The month due, 转账收款, the sheet's own figures.
    pub fn due(unit: &UnitFacts) -> RemittanceTerms {
        RemittanceTerms {
            month: unit.due_month(),
            method: Method::Transfer,
            count: None,
            total: None,
        }
    }
}

/// Streams a 汇缴 清册 through the centre's checker for `terms`; returns (data rows, 发生人数, 发生额) as judged.
pub fn check_remittance(
    file: &Path,
    facts: Facts<'_>,
    terms: &RemittanceTerms,
    alongside: Alongside<'_>,
    on_row: &mut dyn FnMut(RemittanceRow),
    issues: &mut Vec<Issue>,
) -> Result<(u32, u32, Fen), SheetError> {
    let mut checker =
        gjj_domain::remittance::Checker::new(facts.policy, facts.unit, terms.month, facts.today);
    let stats = gjj_sheets::remittance::import_alongside(
        file,
        alongside,
        |row, issues| {
            checker.push(&row, issues);
            on_row(row);
        },
        issues,
    )?;
    let (pushed, sum) = checker.totals();
    let count = terms
        .count
        .unwrap_or_else(|| u32::try_from(pushed).unwrap_or(u32::MAX));
    let total = terms.total.unwrap_or(sum);
    checker.finish(count, total, issues);
    Ok((stats.data_rows, count, total))
}

/// 贷款申请: each applicant is judged at the centre (its rules need the centre's accounts and houses).
pub struct LoanApplicationSheet;

impl Sheet for LoanApplicationSheet {
    const BUSINESS: &'static str = "loan_application";
    type Row = Applicant;
    type Payload = LoanApplication;

    fn write_template(path: &Path) -> Result<(), SheetError> {
        gjj_sheets::loan_application::write_template(path, &TemplateOptions::default())
    }

    fn check(
        file: &Path,
        _facts: Facts<'_>,
        alongside: Alongside<'_>,
        on_row: &mut dyn FnMut(Applicant),
        issues: &mut Vec<Issue>,
    ) -> Result<u32, SheetError> {
        let stats =
            gjj_sheets::loan_application::import_alongside(file, alongside, |row, _| on_row(row), issues)?;
        Ok(stats.data_rows)
    }

    fn payload(rows: Vec<Applicant>, _unit: &UnitFacts) -> LoanApplication {
        LoanApplication { applicants: rows }
    }
}

/// A checked sheet with its typed rows.
#[derive(Debug)]
pub struct CheckedRows<R> {
    /// Data rows in the file.
    pub rows: u32,
    /// Every issue, in row order.
    pub issues: Vec<Issue>,
    /// The rows without cell problems, when kept.
    pub valid: Vec<R>,
    /// Rows without cell problems seen.
    pub seen: u32,
}

/// Import + the domain rules the centre runs, streaming; keeps the rows only when they will be sent.
/// `progress` sees the rows read (every 2,000).
pub fn check_rows<S: Sheet>(
    file: &Path,
    facts: Facts<'_>,
    keep_rows: bool,
    alongside: Alongside<'_>,
    progress: &mut dyn FnMut(u32),
) -> Result<CheckedRows<S::Row>, SheetError> {
    let mut issues = Vec::new();
    let mut valid = Vec::new();
    let mut seen = 0u32;
    let rows = S::check(
        file,
        facts,
        alongside,
        &mut |row| {
            seen += 1;
            if seen % 2000 == 0 {
                progress(seen);
            }
            if keep_rows {
                valid.push(row);
            }
        },
        &mut issues,
    )?;
    issues.sort_by_key(|i| i.row);
    Ok(CheckedRows {
        rows,
        issues,
        valid,
        seen,
    })
}

/// A checked sheet with its payload (as JSON) when the rows were kept.
#[derive(Debug)]
pub struct CheckedSheet {
    /// Data rows in the file.
    pub rows: u32,
    /// Every issue, in row order.
    pub issues: Vec<Issue>,
    /// Rows that will be sent (without cell problems).
    pub valid_rows: u32,
    /// The payload of the valid rows, when asked for.
    pub payload: Option<serde_json::Value>,
}

/// A batch business chosen at run time.
pub trait BatchSheet: Send + Sync {
    /// The business code.
    fn code(&self) -> &'static str;
    /// Writes the blank template.
    fn write_template(&self, path: &Path) -> Result<(), SheetError>;
    /// Imports and checks `file`; with `keep_rows` also builds the payload; `alongside`: what the import also does
    /// on its pass (the grid, the issues taken as they come; those left are in the result). `progress` sees the
    /// rows read.
    fn check(
        &self,
        file: &Path,
        facts: Facts<'_>,
        keep_rows: bool,
        alongside: Alongside<'_>,
        progress: &mut dyn FnMut(u32),
    ) -> Result<CheckedSheet, SheetError>;
}

struct Dyn<S>(PhantomData<fn() -> S>);

impl<S: Sheet> BatchSheet for Dyn<S> {
    fn code(&self) -> &'static str {
        S::BUSINESS
    }

    fn write_template(&self, path: &Path) -> Result<(), SheetError> {
        S::write_template(path)
    }

    fn check(
        &self,
        file: &Path,
        facts: Facts<'_>,
        keep_rows: bool,
        alongside: Alongside<'_>,
        progress: &mut dyn FnMut(u32),
    ) -> Result<CheckedSheet, SheetError> {
        let checked = check_rows::<S>(file, facts, keep_rows, alongside, progress)?;
        let seen = checked.seen;
        let valid_rows = u32::try_from(checked.valid.len()).unwrap_or(u32::MAX);
        let payload = if keep_rows {
            let payload = S::payload(checked.valid, facts.unit);
            Some(
                serde_json::to_value(&payload).map_err(|e| SheetError::Unreadable {
                    file: S::BUSINESS.to_owned(),
                    reason: e.to_string(),
                })?,
            )
        } else {
            None
        };
        let (rows, issues) = (checked.rows, checked.issues);
        Ok(CheckedSheet {
            rows,
            issues,
            valid_rows: if keep_rows { valid_rows } else { seen },
            payload,
        })
    }
}

/// The batch business with this code, if it is one.
pub fn batch(code: &str) -> Option<&'static dyn BatchSheet> {
    Some(match code {
        BaseAdjustmentSheet::BUSINESS => &Dyn::<BaseAdjustmentSheet>(PhantomData),
        SealSheet::BUSINESS => &Dyn::<SealSheet>(PhantomData),
        UnsealSheet::BUSINESS => &Dyn::<UnsealSheet>(PhantomData),
        ContributorRegistrationSheet::BUSINESS => &Dyn::<ContributorRegistrationSheet>(PhantomData),
        ContributorChangeSheet::BUSINESS => &Dyn::<ContributorChangeSheet>(PhantomData),
        SupplementarySheet::BUSINESS => &Dyn::<SupplementarySheet>(PhantomData),
        RemittanceSheet::BUSINESS => &Dyn::<RemittanceSheet>(PhantomData),
        LoanApplicationSheet::BUSINESS => &Dyn::<LoanApplicationSheet>(PhantomData),
        _ => return None,
    })
}

/// 楼栋录入's 户清单 on its own (`gjj check building-houses`): cells and the 户 rules that need no building (房号
/// unique, areas, prices); 单元/楼层 against the building's counts are judged with the form.
pub fn check_houses(file: &Path) -> Result<CheckedRows<gjj_domain::building::HouseRow>, SheetError> {
    let mut checker = gjj_domain::building::HouseChecker::new(u32::MAX, u32::MAX);
    let mut issues = Vec::new();
    let mut seen = 0;
    let stats = gjj_sheets::building::import_with(
        file,
        |row, issues| {
            seen += 1;
            checker.push(&row, issues);
        },
        &mut issues,
    )?;
    checker.finish(&mut issues);
    issues.sort_by_key(|i| i.row);
    Ok(CheckedRows {
        rows: stats.data_rows,
        issues,
        valid: Vec::new(),
        seen,
    })
}
