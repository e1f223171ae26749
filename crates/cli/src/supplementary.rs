//! 补缴 from the command line: `gjj template supplementary -o FILE`, `gjj check supplementary FILE`,
//! `gjj submit supplementary FILE` — the generic batch commands ([`crate::batch`]) with the 补缴 importer and
//! checker.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{anyhow, Result};
use gjj_domain::issue::Issue;
use gjj_domain::month::Month;
use gjj_domain::policy::Policy;
use gjj_domain::supplementary::{Checker, Supplementary, SupplementaryRow};
use gjj_domain::unit::UnitFacts;

use crate::batch::Sheet;

/// 补缴.
pub struct SupplementarySheet;

impl Sheet for SupplementarySheet {
    const BUSINESS: &'static str = "supplementary";
    type Row = SupplementaryRow;
    type Payload = Supplementary;

    /// The client knows only the policy year in force; months of earlier years are judged by the centre, which
    /// has every year's limits.
    fn check(
        file: &Path,
        policy: &Policy,
        unit: &UnitFacts,
        today: Month,
        on_row: &mut dyn FnMut(SupplementaryRow),
        issues: &mut Vec<Issue>,
    ) -> Result<u32> {
        let mut checker = Checker::new(policy, &[], unit, today);
        let stats = gjj_sheets::supplementary::import_with(
            file,
            |row, issues| {
                checker.push(&row, issues);
                on_row(row);
            },
            issues,
        )?;
        checker.finish(issues);
        Ok(stats.data_rows)
    }

    fn payload(rows: Vec<SupplementaryRow>) -> Supplementary {
        Supplementary { rows }
    }
}

/// `gjj template supplementary -o FILE`. There is nothing to prefill: a 补缴 names only the people and months
/// that were missed, which the centre's data cannot tell.
pub fn template(path: &Path, prefill: bool) -> Result<ExitCode> {
    if prefill {
        return Err(anyhow!(
            "补缴模板不提供 --prefill：请只填写需要补缴的职工和月份（个人账号等可从 gjj remittance list 下载的清册中复制）。"
        ));
    }
    gjj_sheets::supplementary::write_template(path, &gjj_sheets::supplementary::TemplateOptions::default())?;
    println!("已生成模板：{}", path.display());
    Ok(ExitCode::SUCCESS)
}
