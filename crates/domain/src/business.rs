//! Every business of the two halls, under the one name it has in every layer (module, route, table prefix,
//! CLI subcommand, UI view). ARCHITECTURE.md "Businesses".

use serde::{Deserialize, Serialize};

use crate::api::Role;

/// A business a unit can submit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Business {
    /// 单位信息变更 (form).
    UnitChange,
    /// 缴存基数调整 (Excel batch).
    BaseAdjustment,
    /// 缴存比例调整 (form).
    RateAdjustment,
    /// 汇缴 (清册, Excel batch).
    Remittance,
    /// 补缴 (Excel batch).
    Supplementary,
    /// 缴存人登记 / 个人开户 (Excel batch or single).
    ContributorRegistration,
    /// 缴存人信息变更 (form or batch).
    ContributorChange,
    /// 个人封存 (Excel batch).
    Seal,
    /// 个人启封 (Excel batch).
    Unseal,
    /// 项目录入 (form).
    Project,
    /// 楼栋录入 + 户 (form + Excel).
    Building,
    /// 补充项目材料 (file uploads).
    ProjectMaterial,
    /// 贷款申请 (Excel batch).
    LoanApplication,
}

impl Business {
    /// Every business, employer hall first.
    pub const ALL: [Business; 13] = [
        Business::UnitChange,
        Business::BaseAdjustment,
        Business::RateAdjustment,
        Business::Remittance,
        Business::Supplementary,
        Business::ContributorRegistration,
        Business::ContributorChange,
        Business::Seal,
        Business::Unseal,
        Business::Project,
        Business::Building,
        Business::ProjectMaterial,
        Business::LoanApplication,
    ];

    /// The name in every layer: route `/api/v1/{code}`, stored `submissions.business`.
    pub const fn code(self) -> &'static str {
        match self {
            Business::UnitChange => "unit_change",
            Business::BaseAdjustment => "base_adjustment",
            Business::RateAdjustment => "rate_adjustment",
            Business::Remittance => "remittance",
            Business::Supplementary => "supplementary",
            Business::ContributorRegistration => "contributor_registration",
            Business::ContributorChange => "contributor_change",
            Business::Seal => "seal",
            Business::Unseal => "unseal",
            Business::Project => "project",
            Business::Building => "building",
            Business::ProjectMaterial => "project_material",
            Business::LoanApplication => "loan_application",
        }
    }

    /// The name on the command line (`gjj check base-adjustment …`): the code in kebab case.
    pub const fn cli(self) -> &'static str {
        match self {
            Business::UnitChange => "unit-change",
            Business::BaseAdjustment => "base-adjustment",
            Business::RateAdjustment => "rate-adjustment",
            Business::Remittance => "remittance",
            Business::Supplementary => "supplementary",
            Business::ContributorRegistration => "contributor-registration",
            Business::ContributorChange => "contributor-change",
            Business::Seal => "seal",
            Business::Unseal => "unseal",
            Business::Project => "project",
            Business::Building => "building",
            Business::ProjectMaterial => "project-material",
            Business::LoanApplication => "loan-application",
        }
    }

    /// The business whose [`Business::cli`] name this is.
    pub fn parse_cli(name: &str) -> Option<Business> {
        Business::ALL.into_iter().find(|b| b.cli() == name)
    }

    /// The Chinese name users know.
    pub const fn label(self) -> &'static str {
        match self {
            Business::UnitChange => "单位信息变更",
            Business::BaseAdjustment => "缴存基数调整",
            Business::RateAdjustment => "缴存比例调整",
            Business::Remittance => "汇缴",
            Business::Supplementary => "补缴",
            Business::ContributorRegistration => "缴存人登记",
            Business::ContributorChange => "缴存人信息变更",
            Business::Seal => "个人封存",
            Business::Unseal => "个人启封",
            Business::Project => "项目录入",
            Business::Building => "楼栋录入",
            Business::ProjectMaterial => "补充项目材料",
            Business::LoanApplication => "贷款申请",
        }
    }

    /// Which hall offers it.
    pub const fn hall(self) -> Role {
        match self {
            Business::Project
            | Business::Building
            | Business::ProjectMaterial
            | Business::LoanApplication => Role::Developer,
            _ => Role::Employer,
        }
    }

    /// Parses [`Business::code`].
    pub fn parse(code: &str) -> Option<Business> {
        Business::ALL.into_iter().find(|b| b.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        for b in Business::ALL {
            assert_eq!(Business::parse(b.code()), Some(b));
            assert_eq!(Business::parse_cli(b.cli()), Some(b));
            assert_eq!(b.cli().replace('-', "_"), b.code());
            assert_eq!(serde_json::to_string(&b).unwrap(), format!("\"{}\"", b.code()));
        }
        let mut codes: Vec<_> = Business::ALL.iter().map(|b| b.code()).collect();
        codes.dedup();
        assert_eq!(codes.len(), Business::ALL.len());
    }
}
