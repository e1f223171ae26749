//! The fields of every form as the window draws them, derived from the domain's own field lists (`UnitField`,
//! `PersonField`, `ProjectField`, the column constants): key, label, input kind, whether optional, the issue
//! columns that mean the field. `tests/tests/ui_types.rs` writes them to `ui/src/generated/forms.ts` and fails
//! when that file is stale, so a field added, renamed or made optional in Rust reaches the screen without a
//! hand-written copy.

use std::collections::BTreeMap;

use gjj_domain::contributor_change::PersonField;
use gjj_domain::contributor_registration::col as reg;
use gjj_domain::project::ProjectField;
use gjj_domain::unit_change::UnitField;
use serde::Serialize;

/// Where a select's choices come from.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum FieldOptions {
    /// A code table of `code_table` (the `code_table` command).
    CodeTable {
        /// Its name.
        #[serde(rename = "codeTable")]
        code_table: &'static str,
    },
    /// The developer's projects: `all`, or only the approved (`active`) ones.
    Projects {
        /// Which.
        projects: &'static str,
    },
}

/// One field of a form (the shape of `FieldDef` in ui/src/forms/types.ts).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FormField {
    /// The payload's serde key.
    pub key: &'static str,
    /// The Chinese label, also the `column` of issues about it.
    pub label: &'static str,
    /// text | textarea | select | money | percent | area | integer | month | date | file.
    pub kind: &'static str,
    /// Other issue columns that mean this field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<&'static str>,
    /// A select's choices.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<FieldOptions>,
    /// file: the extensions the open dialog offers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<&'static str>,
    /// A hint in the empty input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<&'static str>,
    /// Shown as （选填）; the rules still decide.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
    /// diff forms: not a record field (备注): sent as is, never in the diff.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub extra: bool,
    /// file: the business whose template the file is filled from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<&'static str>,
    /// file: the issues of the file's rows are shown under this field.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub sheet: bool,
}

fn field(key: &'static str, label: &'static str, kind: &'static str) -> FormField {
    FormField {
        key,
        label,
        kind,
        columns: Vec::new(),
        options: None,
        extensions: Vec::new(),
        placeholder: None,
        optional: false,
        extra: false,
        template: None,
        sheet: false,
    }
}

impl FormField {
    fn optional(self, optional: bool) -> FormField {
        FormField { optional, ..self }
    }
    fn code_table(self, code_table: &'static str) -> FormField {
        FormField {
            options: Some(FieldOptions::CodeTable { code_table }),
            ..self
        }
    }
    fn placeholder(self, text: &'static str) -> FormField {
        FormField {
            placeholder: Some(text),
            ..self
        }
    }
    fn columns(self, columns: &[&'static str]) -> FormField {
        FormField {
            columns: columns.to_vec(),
            ..self
        }
    }
}

fn unit_change() -> Vec<FormField> {
    UnitField::ALL
        .iter()
        .map(|&f| {
            let base = match f {
                UnitField::LegalRepIdType | UnitField::AgentIdType => {
                    field(f.key(), f.label(), "select").code_table("id_type")
                }
                _ => field(f.key(), f.label(), "text"),
            };
            let base = if f == UnitField::Payday {
                base.placeholder("每月几号，如 15")
            } else {
                base
            };
            base.optional(!f.required())
        })
        .collect()
}

fn contributor_change() -> Vec<FormField> {
    let mut fields: Vec<FormField> = PersonField::ALL
        .iter()
        .map(|&f| {
            let base = match f {
                PersonField::IdType => field(f.key(), f.label(), "select").code_table("id_type"),
                PersonField::Sex => field(f.key(), f.label(), "select").code_table("sex"),
                PersonField::BirthMonth => field(f.key(), f.label(), "month"),
                _ => field(f.key(), f.label(), "text"),
            };
            // The sheet's column ("新手机号码") names the same field in the centre's issues.
            base.optional(!f.required()).columns(&[f.column()])
        })
        .collect();
    fields.push(FormField {
        extra: true,
        ..field("note", "备注", "text").optional(true)
    });
    fields
}

fn contributor_registration() -> Vec<FormField> {
    vec![
        field("name", reg::NAME, "text"),
        field("id_type", reg::ID_TYPE, "select").code_table("id_type"),
        field("id_number", reg::ID_NUMBER, "text"),
        field("sex", reg::SEX, "select").code_table("sex").optional(true),
        field("birth_month", reg::BIRTH_MONTH, "month")
            .optional(true)
            .placeholder("身份证可不填，如 199003"),
        field("mobile", reg::MOBILE, "text"),
        field("landline", reg::LANDLINE, "text").optional(true),
        field("base", "个人缴存基数", "money").columns(&[reg::BASE]),
        field("first_month", reg::FIRST_MONTH, "month").placeholder("如 202611"),
        field("bank_account", reg::BANK_ACCOUNT, "text").optional(true),
        field("bank_name", reg::BANK_NAME, "text").optional(true),
        field("note", reg::NOTE, "text").optional(true),
    ]
}

fn rate_adjustment() -> Vec<FormField> {
    use gjj_domain::rate_adjustment::field as f;
    vec![
        field("unit_rate", f::UNIT_RATE, "percent").placeholder("如 12（表示 12%）"),
        field("person_rate", f::PERSON_RATE, "percent").placeholder("如 12（表示 12%）"),
        field("effective_month", f::EFFECTIVE_MONTH, "month").placeholder("如 202611"),
    ]
}

fn project() -> Vec<FormField> {
    ProjectField::ALL
        .iter()
        .map(|&f| {
            let kind = match f {
                ProjectField::MortgageAgreementDate => "date",
                ProjectField::DepositRatio => "percent",
                ProjectField::TotalArea => "area",
                ProjectField::TotalAmount | ProjectField::LandTotal | ProjectField::LandUnitPrice => "money",
                ProjectField::Note => "textarea",
                _ => "text",
            };
            let base = field(f.key(), f.label(), kind).optional(!f.required());
            match f {
                ProjectField::DepositRatio => base.placeholder("如 5（表示 5%）"),
                ProjectField::LandUnitPrice => base.placeholder("元/平方米"),
                // The newer certificate's name, as the rules may report it.
                ProjectField::LandCertificate => base.columns(&["不动产权证号"]),
                _ => base,
            }
        })
        .collect()
}

fn building() -> Vec<FormField> {
    use gjj_domain::building::field as f;
    vec![
        FormField {
            options: Some(FieldOptions::Projects { projects: "active" }),
            ..field("project_id", f::PROJECT, "select")
        },
        field("building_no", f::BUILDING_NO, "text").placeholder("如 1栋"),
        field("presale_permit", f::PRESALE_PERMIT, "text"),
        field("unit_count", f::UNIT_COUNT, "integer"),
        field("floor_count", f::FLOOR_COUNT, "integer"),
        field("completion_date", f::COMPLETION_DATE, "date"),
        field("loan_ratio", f::LOAN_RATIO, "percent").placeholder("如 70（表示 70%）"),
        field("note", "备注", "text").optional(true),
        // The filled 户清单: every workbook format the importer reads.
        FormField {
            extensions: vec!["xlsx", "xls", "et", "ods", "xml"],
            template: Some("building"),
            sheet: true,
            ..field("houses_file", "户清单", "file").placeholder("填好的户清单表格路径")
        },
    ]
}

/// Every form's fields, by business code.
pub fn form_fields() -> BTreeMap<&'static str, Vec<FormField>> {
    BTreeMap::from([
        ("unit_change", unit_change()),
        ("rate_adjustment", rate_adjustment()),
        ("contributor_registration", contributor_registration()),
        ("contributor_change", contributor_change()),
        ("project", project()),
        ("building", building()),
    ])
}
