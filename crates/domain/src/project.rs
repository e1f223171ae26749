//! 项目录入 (`project`, developer hall): the 楼盘项目 form of REFERENCE §B5/§H — 楼盘名称/地址, the four permits of
//! JGJ/T 320's project table, 预售许可证号, 按揭协议日期, 保证金比例 and the developer's 保证金账户, the areas and
//! prices, the contact.
//!
//! A project is first saved as a draft (every field optional but the name; each present field must still have
//! its shape, so a draft never stores garbage), then submitted (every rule, [`check_submit`]). The same
//! [`Project`] is the draft body and the signed payload; the client and the gateway run the same checks.

use serde::{Deserialize, Serialize};

use crate::area::Area;
use crate::formats::{check_corporate_account, check_person_name, check_text};
use crate::ids::{check_landline, check_mobile, normalize_text};
use crate::issue::{Code, Issue};
use crate::money::Fen;
use crate::month::Month;
use crate::month::{date_month, parse_date};
use crate::permit::{check_permit, is_project_id};
use crate::rate::Rate;

/// The 楼盘项目 form, as a draft body or as the signed submission. `None` = not filled in.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Project {
    /// 项目编号 ("XM…"): absent for a new project, present to update a draft or (re)submit it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    /// 楼盘名称.
    pub name: Option<String>,
    /// 楼盘地址 (≥ 10 characters, Bijie).
    pub address: Option<String>,
    /// 预售许可证号 (project level).
    pub presale_permit: Option<String>,
    /// 建设用地规划许可证号.
    pub land_planning_permit: Option<String>,
    /// 国有土地使用证号 / 不动产权证号.
    pub land_certificate: Option<String>,
    /// 建设工程规划许可证号.
    pub engineering_planning_permit: Option<String>,
    /// 建筑工程施工许可证号.
    pub construction_permit: Option<String>,
    /// 按揭协议日期 (the 合作协议 with the centre), `YYYY-MM-DD`.
    pub mortgage_agreement_date: Option<String>,
    /// 保证金比例.
    pub deposit_ratio: Option<Rate>,
    /// 保证金账户.
    pub deposit_account: Option<String>,
    /// 保证金账户开户行.
    pub deposit_bank: Option<String>,
    /// 保证金开户名.
    pub deposit_account_name: Option<String>,
    /// 建筑总面积.
    pub total_area: Option<Area>,
    /// 建筑总金额.
    pub total_amount: Option<Fen>,
    /// 获取土地总价.
    pub land_total: Option<Fen>,
    /// 获取土地单价 (per m²).
    pub land_unit_price: Option<Fen>,
    /// 联系人.
    pub contact_name: Option<String>,
    /// 联系电话 (mobile or landline).
    pub contact_phone: Option<String>,
    /// 备注.
    pub note: Option<String>,
}

/// `GET /api/v1/projects/{id}` (and the answer of a draft save): a project as the centre holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProjectView {
    /// 项目编号 ("XM…").
    pub id: String,
    /// `draft` 草稿, `reviewing` 审核中 (已受理 or 审核中), `returned` 已退回, `withdrawn` 已撤回, `active` 已办结.
    pub status: String,
    /// Chinese label of the status.
    pub status_label: String,
    /// Whether the developer may change it (draft, returned, withdrawn) and submit it again.
    pub editable: bool,
    /// The latest signed submission of the project.
    pub last_serial: Option<String>,
    /// Why the centre returned it, when it did.
    pub return_reason: Option<String>,
    /// The fields (with `project_id` set).
    pub project: Project,
    /// The approved buildings of the project.
    #[serde(default)]
    pub buildings: Vec<crate::building::BuildingView>,
}

/// The project status codes of [`ProjectView::status`] with their labels.
pub const PROJECT_STATUSES: &[(&str, &str)] = &[
    ("draft", "草稿"),
    ("reviewing", "审核中"),
    ("returned", "已退回"),
    ("withdrawn", "已撤回"),
    ("active", "已办结"),
];

/// The label of a [`ProjectView::status`] code.
pub fn project_status_label(code: &str) -> &'static str {
    PROJECT_STATUSES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("未知", |(_, l)| l)
}

/// The fields of the form: key (wire, `--set`), label (messages, `--set 楼盘名称=…`), required at submission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum ProjectField {
    Name,
    Address,
    PresalePermit,
    LandPlanningPermit,
    LandCertificate,
    EngineeringPlanningPermit,
    ConstructionPermit,
    MortgageAgreementDate,
    DepositRatio,
    DepositAccount,
    DepositBank,
    DepositAccountName,
    TotalArea,
    TotalAmount,
    LandTotal,
    LandUnitPrice,
    ContactName,
    ContactPhone,
    Note,
}

impl ProjectField {
    /// Every field in form order.
    pub const ALL: &'static [ProjectField] = &[
        ProjectField::Name,
        ProjectField::Address,
        ProjectField::PresalePermit,
        ProjectField::LandPlanningPermit,
        ProjectField::LandCertificate,
        ProjectField::EngineeringPlanningPermit,
        ProjectField::ConstructionPermit,
        ProjectField::MortgageAgreementDate,
        ProjectField::DepositRatio,
        ProjectField::DepositAccount,
        ProjectField::DepositBank,
        ProjectField::DepositAccountName,
        ProjectField::TotalArea,
        ProjectField::TotalAmount,
        ProjectField::LandTotal,
        ProjectField::LandUnitPrice,
        ProjectField::ContactName,
        ProjectField::ContactPhone,
        ProjectField::Note,
    ];

    /// The wire key (= the `projects` column without unit suffix).
    pub const fn key(self) -> &'static str {
        match self {
            ProjectField::Name => "name",
            ProjectField::Address => "address",
            ProjectField::PresalePermit => "presale_permit",
            ProjectField::LandPlanningPermit => "land_planning_permit",
            ProjectField::LandCertificate => "land_certificate",
            ProjectField::EngineeringPlanningPermit => "engineering_planning_permit",
            ProjectField::ConstructionPermit => "construction_permit",
            ProjectField::MortgageAgreementDate => "mortgage_agreement_date",
            ProjectField::DepositRatio => "deposit_ratio",
            ProjectField::DepositAccount => "deposit_account",
            ProjectField::DepositBank => "deposit_bank",
            ProjectField::DepositAccountName => "deposit_account_name",
            ProjectField::TotalArea => "total_area",
            ProjectField::TotalAmount => "total_amount",
            ProjectField::LandTotal => "land_total",
            ProjectField::LandUnitPrice => "land_unit_price",
            ProjectField::ContactName => "contact_name",
            ProjectField::ContactPhone => "contact_phone",
            ProjectField::Note => "note",
        }
    }

    /// The Chinese label.
    pub const fn label(self) -> &'static str {
        match self {
            ProjectField::Name => "楼盘名称",
            ProjectField::Address => "楼盘地址",
            ProjectField::PresalePermit => "预售许可证号",
            ProjectField::LandPlanningPermit => "建设用地规划许可证号",
            ProjectField::LandCertificate => "国有土地使用证号",
            ProjectField::EngineeringPlanningPermit => "建设工程规划许可证号",
            ProjectField::ConstructionPermit => "建筑工程施工许可证号",
            ProjectField::MortgageAgreementDate => "按揭协议日期",
            ProjectField::DepositRatio => "保证金比例",
            ProjectField::DepositAccount => "保证金账户",
            ProjectField::DepositBank => "保证金账户开户行",
            ProjectField::DepositAccountName => "保证金开户名",
            ProjectField::TotalArea => "建筑总面积",
            ProjectField::TotalAmount => "建筑总金额",
            ProjectField::LandTotal => "获取土地总价",
            ProjectField::LandUnitPrice => "土地单价",
            ProjectField::ContactName => "联系人",
            ProjectField::ContactPhone => "联系电话",
            ProjectField::Note => "备注",
        }
    }

    /// Everything but 备注 is required at submission.
    pub const fn required(self) -> bool {
        !matches!(self, ProjectField::Note)
    }

    /// A field by key or label (不动产权证号 is an alias of 国有土地使用证号: the certificate that replaced it).
    pub fn lookup(s: &str) -> Option<ProjectField> {
        let n = normalize_text(s);
        let n = n.trim();
        if n == "不动产权证号" {
            return Some(ProjectField::LandCertificate);
        }
        ProjectField::ALL
            .iter()
            .copied()
            .find(|f| f.key().eq_ignore_ascii_case(n) || f.label() == n)
    }
}

/// 联系电话: a mobile (1[3-9]…) or a landline (0734-1234567).
pub fn check_phone(field: &'static str, s: &str) -> Result<String, Issue> {
    let n = normalize_text(s).replace(' ', "");
    if check_mobile(&n).is_ok() || check_landline(&n).is_ok() {
        Ok(n)
    } else {
        Err(Issue::new(
            0,
            field,
            Code::PhoneInvalid,
            format!("{field}应为 11 位手机号码或带区号的固定电话（如 0734-8123456），请核对"),
        ))
    }
}

impl Project {
    /// Sets one field from what a person typed; the value is parsed (amounts in 元, areas in m², ratios in %,
    /// dates) and normalised, or refused with an issue naming the field. An empty value clears the field.
    pub fn set(&mut self, field: ProjectField, raw: &str) -> Result<(), Issue> {
        let label = field.label();
        let raw = normalize_text(raw).trim().to_owned();
        let empty = raw.is_empty();
        let text = |max: usize| -> Result<Option<String>, Issue> {
            if empty {
                return Ok(None);
            }
            check_text(label, &raw, max)
                .map(Some)
                .map_err(|e| Issue::new(0, label, e.code(), e.to_string()))
        };
        let money = || -> Result<Option<Fen>, Issue> {
            if empty {
                return Ok(None);
            }
            Fen::parse_yuan(&raw)
                .map(Some)
                .map_err(|e| Issue::new(0, label, e.code(), format!("{label}：{e}")))
        };
        match field {
            ProjectField::Name => self.name = text(60)?,
            ProjectField::Address => self.address = text(120)?,
            ProjectField::PresalePermit => self.presale_permit = text(50)?,
            ProjectField::LandPlanningPermit => self.land_planning_permit = text(50)?,
            ProjectField::LandCertificate => self.land_certificate = text(50)?,
            ProjectField::EngineeringPlanningPermit => self.engineering_planning_permit = text(50)?,
            ProjectField::ConstructionPermit => self.construction_permit = text(50)?,
            ProjectField::MortgageAgreementDate => {
                self.mortgage_agreement_date = if empty {
                    None
                } else {
                    Some(parse_date(&raw).ok_or_else(|| date_issue(label, &raw))?)
                }
            }
            ProjectField::DepositRatio => {
                self.deposit_ratio = if empty {
                    None
                } else {
                    Some(
                        Rate::parse_percent(&raw)
                            .map_err(|e| Issue::new(0, label, e.code(), format!("{label}：{e}")))?,
                    )
                }
            }
            ProjectField::DepositAccount => self.deposit_account = text(40)?,
            ProjectField::DepositBank => self.deposit_bank = text(60)?,
            ProjectField::DepositAccountName => self.deposit_account_name = text(60)?,
            ProjectField::TotalArea => {
                self.total_area = if empty {
                    None
                } else {
                    Some(
                        Area::parse(&raw)
                            .map_err(|e| Issue::new(0, label, e.code(), format!("{label}：{e}")))?,
                    )
                }
            }
            ProjectField::TotalAmount => self.total_amount = money()?,
            ProjectField::LandTotal => self.land_total = money()?,
            ProjectField::LandUnitPrice => self.land_unit_price = money()?,
            ProjectField::ContactName => self.contact_name = text(20)?,
            ProjectField::ContactPhone => self.contact_phone = text(30)?,
            ProjectField::Note => self.note = text(200)?,
        }
        Ok(())
    }

    /// The field's value as text (for display and the `--set` round trip).
    pub fn get(&self, field: ProjectField) -> Option<String> {
        match field {
            ProjectField::Name => self.name.clone(),
            ProjectField::Address => self.address.clone(),
            ProjectField::PresalePermit => self.presale_permit.clone(),
            ProjectField::LandPlanningPermit => self.land_planning_permit.clone(),
            ProjectField::LandCertificate => self.land_certificate.clone(),
            ProjectField::EngineeringPlanningPermit => self.engineering_planning_permit.clone(),
            ProjectField::ConstructionPermit => self.construction_permit.clone(),
            ProjectField::MortgageAgreementDate => self.mortgage_agreement_date.clone(),
            ProjectField::DepositRatio => self.deposit_ratio.map(|r| r.to_string()),
            ProjectField::DepositAccount => self.deposit_account.clone(),
            ProjectField::DepositBank => self.deposit_bank.clone(),
            ProjectField::DepositAccountName => self.deposit_account_name.clone(),
            ProjectField::TotalArea => self.total_area.map(|a| a.to_string()),
            ProjectField::TotalAmount => self.total_amount.map(|f| f.to_string()),
            ProjectField::LandTotal => self.land_total.map(|f| f.to_string()),
            ProjectField::LandUnitPrice => self.land_unit_price.map(|f| f.to_string()),
            ProjectField::ContactName => self.contact_name.clone(),
            ProjectField::ContactPhone => self.contact_phone.clone(),
            ProjectField::Note => self.note.clone(),
        }
    }
}

fn date_issue(label: &'static str, raw: &str) -> Issue {
    Issue::new(
        0,
        label,
        Code::DateInvalid,
        format!("{label}“{raw}”不是有效日期，请写成 2025-06-30 这样的年-月-日"),
    )
}

/// The shape of every field that is present (a draft and a submission alike); the normalised project.
fn check_shapes(p: &Project, issues: &mut Vec<Issue>) -> Project {
    let mut out = Project {
        project_id: p.project_id.clone(),
        ..Project::default()
    };
    if let Some(id) = &p.project_id {
        if !is_project_id(id) {
            issues.push(Issue::new(
                0,
                "项目编号",
                Code::ProjectNotFound,
                format!(
                    "项目编号“{id}”格式不正确（应为 XM 加 8 位数字）。请用 gjj project list 查看本公司的项目"
                ),
            ));
        }
    }
    // Text fields go through `set` again, so a hand-made payload is normalised exactly as typed input is.
    for &field in ProjectField::ALL {
        if let Some(v) = p.get(field) {
            if let Err(issue) = out.set(field, &v) {
                issues.push(issue);
            }
        }
    }
    // Typed fields keep their exact values (set() round-trips them, but a ratio of 0.5% prints as "0.5%").
    out.deposit_ratio = p.deposit_ratio;
    out.total_area = p.total_area;
    out.total_amount = p.total_amount;
    out.land_total = p.land_total;
    out.land_unit_price = p.land_unit_price;
    let permits = [
        (ProjectField::PresalePermit, &mut out.presale_permit),
        (ProjectField::LandPlanningPermit, &mut out.land_planning_permit),
        (ProjectField::LandCertificate, &mut out.land_certificate),
        (
            ProjectField::EngineeringPlanningPermit,
            &mut out.engineering_planning_permit,
        ),
        (ProjectField::ConstructionPermit, &mut out.construction_permit),
    ];
    for (field, value) in permits {
        if let Some(v) = value.as_deref() {
            match check_permit(field.label(), v) {
                Ok(n) => *value = Some(n),
                Err(issue) => issues.push(issue),
            }
        }
    }
    if let Some(v) = out.deposit_account.as_deref() {
        match check_corporate_account(ProjectField::DepositAccount.label(), v) {
            Ok(n) => out.deposit_account = Some(n),
            Err(e) => issues.push(Issue::new(
                0,
                ProjectField::DepositAccount.label(),
                e.code(),
                e.to_string(),
            )),
        }
    }
    if let Some(v) = out.contact_name.as_deref() {
        match check_person_name(ProjectField::ContactName.label(), v) {
            Ok(n) => out.contact_name = Some(n),
            Err(e) => issues.push(Issue::new(
                0,
                ProjectField::ContactName.label(),
                e.code(),
                e.to_string(),
            )),
        }
    }
    if let Some(v) = out.contact_phone.as_deref() {
        match check_phone(ProjectField::ContactPhone.label(), v) {
            Ok(n) => out.contact_phone = Some(n),
            Err(issue) => issues.push(issue),
        }
    }
    out
}

/// A draft: the name is required, every other present field must have its shape. Returns the normalised draft.
pub fn check_draft(p: &Project) -> Result<Project, Vec<Issue>> {
    let mut issues = Vec::new();
    let out = check_shapes(p, &mut issues);
    if out.name.is_none() && !issues.iter().any(|i| i.column == ProjectField::Name.label()) {
        issues.push(Issue::new(
            0,
            ProjectField::Name.label(),
            Code::Required,
            "楼盘名称不能为空：草稿至少要有楼盘名称，便于以后找到它",
        ));
    }
    if issues.is_empty() {
        Ok(out)
    } else {
        Err(issues)
    }
}

/// A submission: every rule. `today` is the centre's month (按揭协议日期 may not lie in a later month).
pub fn check_submit(p: &Project, today: Month) -> Result<Project, Vec<Issue>> {
    let mut issues = Vec::new();
    let out = check_shapes(p, &mut issues);
    let failed: Vec<String> = issues.iter().map(|i| i.column.clone()).collect();
    for &field in ProjectField::ALL {
        if field.required() && out.get(field).is_none() && !failed.iter().any(|c| c == field.label()) {
            issues.push(Issue::new(
                0,
                field.label(),
                Code::Required,
                format!(
                    "{}不能为空，提交前请填写（gjj project draft --set {}=…）",
                    field.label(),
                    field.label()
                ),
            ));
        }
    }
    if let Some(address) = &out.address {
        let len = address.chars().count();
        if len < 10 {
            issues.push(Issue::new(
                0,
                ProjectField::Address.label(),
                Code::ProjectAddressTooShort,
                format!("楼盘地址只有 {len} 个字，至少要 10 个字：请写到区、街道（路）和门牌号"),
            ));
        }
    }
    if let Some(area) = out.total_area {
        if area.0 <= 0 {
            issues.push(Issue::new(
                0,
                ProjectField::TotalArea.label(),
                Code::AreaNotPositive,
                "建筑总面积必须大于 0，请按规划许可证填写",
            ));
        }
    }
    for (field, value) in [
        (ProjectField::TotalAmount, out.total_amount),
        (ProjectField::LandTotal, out.land_total),
        (ProjectField::LandUnitPrice, out.land_unit_price),
    ] {
        if value.is_some_and(|v| v.0 <= 0) {
            issues.push(Issue::new(
                0,
                field.label(),
                Code::AmountNotPositive,
                format!("{}必须大于 0，请按土地出让合同或预算填写", field.label()),
            ));
        }
    }
    if let Some(r) = out.deposit_ratio {
        if r.0 == 0 {
            issues.push(Issue::new(
                0,
                ProjectField::DepositRatio.label(),
                Code::DepositRatioInvalid,
                "保证金比例必须大于 0（按与中心签订的合作协议填写，通常为 5%–10%）",
            ));
        }
    }
    if let Some(date) = &out.mortgage_agreement_date {
        if date_month(date).is_some_and(|m| m > today) {
            issues.push(Issue::new(
                0,
                ProjectField::MortgageAgreementDate.label(),
                Code::DateInvalid,
                format!("按揭协议日期 {date} 晚于本月：请填写已签订的合作协议的日期"),
            ));
        }
    }
    if issues.is_empty() {
        Ok(out)
    } else {
        Err(issues)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A project that passes every rule.
    pub(crate) fn valid() -> Project {
        let mut p = Project::default();
        for (k, v) in [
            ("楼盘名称", "华信·湘江壹号"),
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
        ] {
            p.set(ProjectField::lookup(k).unwrap(), v).unwrap();
        }
        p
    }

    fn today() -> Month {
        Month::new(2026, 5).unwrap()
    }

    fn codes(r: Result<Project, Vec<Issue>>) -> Vec<Code> {
        r.err().unwrap_or_default().into_iter().map(|i| i.code).collect()
    }

    #[test]
    fn a_valid_project_passes_and_is_normalised() {
        let p = check_submit(&valid(), today()).unwrap();
        assert_eq!(p.total_area, Some(Area(12_500_050)));
        assert_eq!(p.deposit_ratio, Some(Rate(500)));
        assert_eq!(p.land_total, Some(Fen(18_000_000_000)));
        assert_eq!(
            p.land_certificate.as_deref(),
            Some("湘(2025)衡阳市不动产权第0012345号")
        );
    }

    #[test]
    fn each_rule_fails_on_its_own() {
        let mut p = valid();
        p.address = Some("衡阳市蒸湘区".into());
        assert_eq!(
            codes(check_submit(&p, today())),
            vec![Code::ProjectAddressTooShort]
        );
        let mut p = valid();
        p.total_area = Some(Area(0));
        assert_eq!(codes(check_submit(&p, today())), vec![Code::AreaNotPositive]);
        let mut p = valid();
        p.land_total = Some(Fen(0));
        assert_eq!(codes(check_submit(&p, today())), vec![Code::AmountNotPositive]);
        let mut p = valid();
        p.land_unit_price = Some(Fen(0));
        assert_eq!(codes(check_submit(&p, today())), vec![Code::AmountNotPositive]);
        let mut p = valid();
        p.contact_phone = Some("12345".into());
        assert_eq!(codes(check_submit(&p, today())), vec![Code::PhoneInvalid]);
        let mut p = valid();
        p.contact_phone = Some("13907340001".into());
        assert!(check_submit(&p, today()).is_ok());
        let mut p = valid();
        p.construction_permit = None;
        assert_eq!(codes(check_submit(&p, today())), vec![Code::Required]);
        let mut p = valid();
        p.deposit_ratio = Some(Rate(0));
        assert_eq!(codes(check_submit(&p, today())), vec![Code::DepositRatioInvalid]);
        let mut p = valid();
        p.deposit_account = Some("12AB".into());
        assert_eq!(codes(check_submit(&p, today())), vec![Code::BankAccountInvalid]);
        let mut p = valid();
        p.mortgage_agreement_date = Some("2026-07-01".into());
        assert_eq!(codes(check_submit(&p, today())), vec![Code::DateInvalid]);
        let mut p = valid();
        p.presale_permit = Some("预售;DROP".into());
        assert_eq!(codes(check_submit(&p, today())), vec![Code::PermitNumberInvalid]);
    }

    #[test]
    fn drafts_need_only_a_name_but_present_fields_must_have_their_shape() {
        let mut p = Project::default();
        assert_eq!(codes(check_draft(&p)), vec![Code::Required]);
        p.name = Some("华信·湘江壹号".into());
        assert!(check_draft(&p).is_ok());
        p.contact_phone = Some("abc".into());
        assert_eq!(codes(check_draft(&p)), vec![Code::PhoneInvalid]);
    }

    #[test]
    fn set_parses_and_refuses() {
        let mut p = Project::default();
        assert_eq!(
            p.set(ProjectField::TotalArea, "12.345").unwrap_err().code,
            Code::AreaInvalid
        );
        assert_eq!(
            p.set(ProjectField::MortgageAgreementDate, "2025-02-30")
                .unwrap_err()
                .code,
            Code::DateInvalid
        );
        p.set(ProjectField::MortgageAgreementDate, "2025年6月3日")
            .unwrap();
        assert_eq!(p.mortgage_agreement_date.as_deref(), Some("2025-06-03"));
        assert_eq!(ProjectField::lookup("land_total"), Some(ProjectField::LandTotal));
        assert!(is_project_id("XM00000001"));
        assert!(!is_project_id("XM0000001"));
    }
}
