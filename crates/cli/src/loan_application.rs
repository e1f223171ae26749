//! A receipt's per-applicant outcomes (贷款申请: the centre judges each applicant on its own), printed by the
//! generic `gjj submit` ([`crate::batch`]) whenever a receipt carries them.

use gjj_domain::api::Receipt;
use gjj_domain::money::Fen;

use crate::output;

fn yuan(f: Fen) -> String {
    format!("{}.{:02}", f.0 / 100, (f.0 % 100).abs())
}

/// Each applicant's outcome: accepted with its monthly payment, or refused with the reasons.
pub fn print_outcomes(receipt: &Receipt) {
    let refused = receipt.applicants.iter().filter(|o| !o.accepted).count();
    println!(
        "申请人：共 {} 人，受理 {} 人，退回 {} 人。",
        receipt.applicants.len(),
        receipt.applicants.len() - refused,
        refused
    );
    for o in &receipt.applicants {
        match (&o.plan, o.accepted) {
            (Some(plan), true) => {
                let rate = f64::from(plan.annual_rate) / 1000.0;
                let repayment = if plan.repayment == "02" {
                    "等额本金"
                } else {
                    "等额本息"
                };
                let monthly = if plan.first_payment == plan.last_payment {
                    format!("月供 {} 元", yuan(plan.first_payment))
                } else {
                    format!(
                        "首月月供 {} 元，末月 {} 元",
                        yuan(plan.first_payment),
                        yuan(plan.last_payment)
                    )
                };
                println!(
                    "  第 {} 行 {}：受理。贷款 {} 元，{} 期，{}，年利率 {rate:.3}%，{monthly}，利息合计 {} 元",
                    o.row,
                    o.name,
                    yuan(plan.amount),
                    plan.months,
                    repayment,
                    yuan(plan.total_interest)
                );
            }
            _ => {
                println!("  第 {} 行 {}：退回，原因如下：", o.row, o.name);
                output::print_issues(&o.issues);
            }
        }
    }
}
