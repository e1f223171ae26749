//! 个人启封's pre-filled template (`gjj template unseal --prefill`): the unit's 封存 contributors. Everything else
//! of 封存 / 启封 is the generic batch path ([`crate::batch`]).

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use gjj_domain::code_table::PERSON_SEALED;

use crate::{config, login};

/// `gjj template unseal [--prefill]`: with `--prefill`, the unit's 封存 contributors (account, name, ID and
/// the unit's 应汇缴年月); 启封后缴存基数 and 启封原因 are left for the clerk, so each row is a decision.
pub async fn template_unseal(settings: &config::Settings, path: &Path) -> Result<ExitCode> {
    let opts = gjj_sheets::unseal::TemplateOptions::default();
    let session = login::session(settings)?;
    let outbox = login::outbox(settings).await?;
    let (me, _) = session.refresh_context(&outbox).await?;
    let sealed: Vec<_> = session
        .employees()
        .await?
        .into_iter()
        .filter(|e| e.status == PERSON_SEALED)
        .collect();
    let mut wb = gjj_sheets::unseal::template_workbook(&opts)?;
    let text = rust_xlsxwriter::Format::new().set_num_format("@");
    let sheet = wb.worksheet_from_index(0)?;
    let first = gjj_sheets::unseal::FIRST_DATA_ROW;
    let month = me.unit.due_month().to_string();
    for (i, e) in sealed.iter().enumerate() {
        let r = first + u32::try_from(i)?;
        sheet.write_number(r, 0, (i + 1) as f64)?;
        sheet.write_string_with_format(r, 1, &e.account, &text)?;
        sheet.write_string(r, 2, &e.name)?;
        sheet.write_string_with_format(r, 3, &e.id_number, &text)?;
        sheet.write_string_with_format(r, 4, &month, &text)?;
    }
    gjj_sheets::save_workbook(&mut wb, path)?;
    println!(
        "已生成模板：{}（已填入 {} 名封存职工，请为要启封的职工填写“启封后缴存基数”和“启封原因”，删除不启封的行）",
        path.display(),
        sealed.len()
    );
    Ok(ExitCode::SUCCESS)
}
