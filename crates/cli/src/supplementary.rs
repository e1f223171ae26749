//! 补缴 from the command line: `gjj template supplementary -o FILE`, `gjj check supplementary FILE`,
//! `gjj submit supplementary FILE` — the generic batch commands ([`crate::batch`]) with the 补缴 importer and
//! checker.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{anyhow, Result};

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
