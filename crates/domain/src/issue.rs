//! The problem report shared by the sheet importer, the rule checker and the gateway.
//!
//! An [`Issue`] points at a cell the way the user sees it (Excel row number + column title) and
//! carries a stable machine [`Code`] plus a Chinese message that says what happened and what to
//! do. Codes are part of the wire contract: never rename one, only add.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One problem found in a submission.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Issue {
    /// The Excel row number as the user sees it (1-based); 0 for the whole submission.
    pub row: u32,
    /// The column title (e.g. "证件号码"); empty for the whole submission.
    pub column: String,
    /// Stable machine-readable code.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub code: Code,
    /// Chinese message: what happened and what to do.
    pub message: String,
}

impl Issue {
    /// An issue about one cell (or one row, with the most relevant column).
    pub fn new(row: u32, column: impl Into<String>, code: Code, message: impl Into<String>) -> Issue {
        Issue {
            row,
            column: column.into(),
            code,
            message: message.into(),
        }
    }

    /// An issue about the whole submission (row 0, no column).
    pub fn sheet(code: Code, message: impl Into<String>) -> Issue {
        Issue::new(0, "", code, message)
    }
}

impl fmt::Display for Issue {
    /// `第 3 行【证件号码】message`, or just the message for sheet-level issues.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.row, self.column.is_empty()) {
            (0, true) => f.write_str(&self.message),
            (0, false) => write!(f, "【{}】{}", self.column, self.message),
            (row, true) => write!(f, "第 {row} 行：{}", self.message),
            (row, false) => write!(f, "第 {row} 行【{}】{}", self.column, self.message),
        }
    }
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $name:ident = $text:literal, )*) => {
        /// Stable issue codes, serialised as SCREAMING_SNAKE strings (`ID_NUMBER_CHECKSUM`).
        ///
        /// `#[non_exhaustive]`: new codes are added over time; match with a wildcard arm.
        /// A code this build does not know (sent by a newer peer) deserialises as
        /// [`Code::Unknown`]; the message still tells the user what is wrong.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        #[non_exhaustive]
        pub enum Code {
            $( $(#[$doc])* $name, )*
            /// A code from a newer peer that this build does not know.
            #[serde(other)]
            Unknown,
        }

        impl Code {
            /// Every known code (excluding [`Code::Unknown`]), in declaration order.
            pub const ALL: &'static [Code] = &[$(Code::$name,)*];

            /// The wire string, e.g. `"ID_NUMBER_CHECKSUM"`; identical to the serde form.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$name => $text,)*
                    Code::Unknown => "UNKNOWN",
                }
            }

            /// The code for a wire string; [`Code::Unknown`] for anything unrecognised.
            pub fn from_wire(s: &str) -> Code {
                match s {
                    $($text => Code::$name,)*
                    _ => Code::Unknown,
                }
            }
        }
    };
}

codes! {
    // --- Sheet / importer ---------------------------------------------------------------------
    /// A required cell is empty.
    Required = "REQUIRED",
    /// An 18-digit ID number was typed into a Number cell and lost its last digits (4.3E+17).
    IdStoredAsNumber = "ID_STORED_AS_NUMBER",
    /// An account number was stored as a number (leading zeros / precision lost).
    AccountStoredAsNumber = "ACCOUNT_STORED_AS_NUMBER",
    /// An amount is not a valid non-negative number with at most two decimals.
    MoneyInvalid = "MONEY_INVALID",
    /// A month/date cell cannot be read as a month.
    MonthInvalid = "MONTH_INVALID",
    /// A rate cell cannot be read as a percent.
    RateInvalid = "RATE_INVALID",
    /// The header row of the template could not be located.
    HeaderNotFound = "HEADER_NOT_FOUND",
    /// A required column is missing from the header.
    ColumnMissing = "COLUMN_MISSING",
    /// The submission has no data rows.
    NoRows = "NO_ROWS",
    /// The submission has more rows than allowed.
    TooManyRows = "TOO_MANY_ROWS",
    /// A cell has a type that cannot hold this column's value (e.g. a formula error).
    CellTypeUnexpected = "CELL_TYPE_UNEXPECTED",

    // --- Identifiers --------------------------------------------------------------------------
    /// 个人账号 is not 1–20 letters/digits.
    AccountInvalid = "ACCOUNT_INVALID",
    /// 姓名 has fewer than two characters.
    NameTooShort = "NAME_TOO_SHORT",
    /// 姓名 contains characters a name cannot have (digits).
    NameInvalid = "NAME_INVALID",
    /// 身份证号码 has the wrong length or characters (incl. 15-digit legacy numbers).
    IdNumberFormat = "ID_NUMBER_FORMAT",
    /// 身份证号码 check character does not match.
    IdNumberChecksum = "ID_NUMBER_CHECKSUM",
    /// 身份证号码 birth date is not a real date (or lies in the future).
    IdNumberBirthDate = "ID_NUMBER_BIRTH_DATE",
    /// 统一社会信用代码 length or characters wrong.
    UsccFormat = "USCC_FORMAT",
    /// 统一社会信用代码 check character (position 18) does not match.
    UsccChecksum = "USCC_CHECKSUM",
    /// The 组织机构代码 inside a 统一社会信用代码 (positions 9–17) fails its check.
    UsccOrgCodeChecksum = "USCC_ORG_CODE_CHECKSUM",
    /// 组织机构代码 shape wrong.
    OrgCodeFormat = "ORG_CODE_FORMAT",
    /// 组织机构代码 check character does not match.
    OrgCodeChecksum = "ORG_CODE_CHECKSUM",
    /// Not a valid mobile number.
    MobileInvalid = "MOBILE_INVALID",
    /// Not a valid landline number.
    LandlineInvalid = "LANDLINE_INVALID",

    // --- 缴存基数调整 ---------------------------------------------------------------------------
    /// 调整后基数 is zero or negative.
    BaseNotPositive = "BASE_NOT_POSITIVE",
    /// 调整后基数 below the policy year's 缴存基数下限.
    BaseBelowMin = "BASE_BELOW_MIN",
    /// 调整后基数 above the policy year's 缴存基数上限.
    BaseAboveMax = "BASE_ABOVE_MAX",
    /// 月缴存额 (unit + person) below the policy year's lower limit.
    MonthlyBelowMin = "MONTHLY_BELOW_MIN",
    /// 月缴存额 (unit + person) above the policy year's upper limit.
    MonthlyAboveMax = "MONTHLY_ABOVE_MAX",
    /// 生效年月 earlier than the unit's 应汇缴年月.
    EffectiveMonthTooEarly = "EFFECTIVE_MONTH_TOO_EARLY",
    /// 生效年月 later than the current month.
    EffectiveMonthInFuture = "EFFECTIVE_MONTH_IN_FUTURE",
    /// 生效年月 outside the period of the policy year the check used.
    EffectiveMonthOutsidePolicy = "EFFECTIVE_MONTH_OUTSIDE_POLICY",
    /// Same 个人账号 as an earlier row.
    DuplicateAccount = "DUPLICATE_ACCOUNT",
    /// Same 证件号码 as an earlier row.
    DuplicateIdNumber = "DUPLICATE_ID_NUMBER",
    /// 调整前基数 given but not positive.
    OldBaseNotPositive = "OLD_BASE_NOT_POSITIVE",
    /// The unit's account status does not allow this business.
    UnitStatusNotAllowed = "UNIT_STATUS_NOT_ALLOWED",

    // --- 缴存人登记 (contributor_registration) ----------------------------------------------------
    /// 证件类型 is not one of JGJ/T 320 附A.1 (01 身份证, 02 军官证, 03 护照, 04 外国人永久居留证, 99 其他).
    IdTypeInvalid = "ID_TYPE_INVALID",
    /// 证件号码 of a type other than 身份证 has the wrong length or characters.
    CertificateNumberInvalid = "CERTIFICATE_NUMBER_INVALID",
    /// 性别 is not 男/女 (GB/T 2261.1 codes 1/2).
    SexInvalid = "SEX_INVALID",
    /// 性别 differs from the one the 身份证号码 encodes (17th digit).
    SexMismatch = "SEX_MISMATCH",
    /// 出生年月 differs from the one the 身份证号码 encodes (digits 7–12).
    BirthMonthMismatch = "BIRTH_MONTH_MISMATCH",
    /// The person would be under 16 at the 首次汇缴年月 (or is born after it).
    ContributorUnderage = "CONTRIBUTOR_UNDERAGE",
    /// Same 手机号码 as an earlier row.
    DuplicateMobile = "DUPLICATE_MOBILE",
    /// 首次汇缴年月 earlier than the unit's 首次汇缴年月.
    FirstMonthTooEarly = "FIRST_MONTH_TOO_EARLY",
    /// 首次汇缴年月 later than the latest month the centre accepts (next month).
    FirstMonthInFuture = "FIRST_MONTH_IN_FUTURE",
    /// 个人存款账户号码 is not 9–32 digits.
    BankAccountInvalid = "BANK_ACCOUNT_INVALID",

    // --- 个人封存 / 启封 -------------------------------------------------------------------------
    /// 封存原因 is not one of the centre's 封存原因 codes (or their labels).
    SealReasonInvalid = "SEAL_REASON_INVALID",
    /// 启封原因 is not one of the centre's 启封原因 codes (or their labels).
    UnsealReasonInvalid = "UNSEAL_REASON_INVALID",

    // --- 汇缴 (remittance) ----------------------------------------------------------------------
    /// 汇缴年月 is not the unit's 应汇缴年月 (缴至年月 + 1): months are remitted in order, once.
    RemittanceMonthNotDue = "REMITTANCE_MONTH_NOT_DUE",
    /// 应汇缴年月 lies after the current month: paying ahead (预缴) is not offered online.
    RemittanceMonthInFuture = "REMITTANCE_MONTH_IN_FUTURE",
    /// The policy year the check was given does not cover 汇缴年月, so its base limits do not apply.
    RemittanceMonthOutsidePolicy = "REMITTANCE_MONTH_OUTSIDE_POLICY",
    /// A row's 单位/个人/月缴存额 differs from what its 个人缴存基数 implies at the unit's rates.
    RemittanceAmountMismatch = "REMITTANCE_AMOUNT_MISMATCH",
    /// 发生人数 stated differs from the number of rows in the 清册.
    RemittanceCountMismatch = "REMITTANCE_COUNT_MISMATCH",
    /// 发生额 stated differs from the sum of the rows' 单位 + 个人月缴存额.
    RemittanceTotalMismatch = "REMITTANCE_TOTAL_MISMATCH",

    // --- 补缴 (supplementary) -------------------------------------------------------------------
    /// 补缴起始年月 is after 补缴终止年月.
    SupplementaryRangeReversed = "SUPPLEMENTARY_RANGE_REVERSED",
    /// 补缴起始年月 before the unit's or the person's 首次汇缴年月.
    SupplementaryMonthBeforeFirst = "SUPPLEMENTARY_MONTH_BEFORE_FIRST",
    /// 补缴终止年月 after the unit's or the person's 缴至年月 (补缴 covers months already remitted).
    SupplementaryMonthAfterPaidThrough = "SUPPLEMENTARY_MONTH_AFTER_PAID_THROUGH",
    /// 单位/个人补缴额 (per month) differs from 缴存基数 × the unit's rates.
    SupplementaryAmountMismatch = "SUPPLEMENTARY_AMOUNT_MISMATCH",
    /// 补缴原因 is not one of the 补缴原因 codes (or their labels).
    SupplementaryReasonInvalid = "SUPPLEMENTARY_REASON_INVALID",
    /// Two rows of the sheet cover the same month of the same person.
    SupplementaryMonthsOverlap = "SUPPLEMENTARY_MONTHS_OVERLAP",

    // --- 缴存比例调整 (rate_adjustment) / 单位信息变更 (unit_change) ------------------------------
    /// 单位缴存比例 outside the policy year's 单位缴存比例 bounds.
    UnitRateOutOfRange = "UNIT_RATE_OUT_OF_RANGE",
    /// 个人缴存比例 outside the policy year's 个人缴存比例 bounds.
    PersonRateOutOfRange = "PERSON_RATE_OUT_OF_RANGE",
    /// The form changes nothing (no field, or a new value equal to the current one).
    NoChanges = "NO_CHANGES",
    /// A form's fields are missing or of the wrong type (the desktop app's form as a whole).
    FormInvalid = "FORM_INVALID",
    /// A field key the 单位信息变更 form does not know (or that cannot be changed online).
    UnitFieldUnknown = "UNIT_FIELD_UNKNOWN",
    /// The same field is changed more than once in one form.
    FieldDuplicate = "FIELD_DUPLICATE",
    /// The 统一社会信用代码 (or the 组织机构代码 in it) cannot be changed online: it is who the certificate is.
    UsccChangeRefused = "USCC_CHANGE_REFUSED",
    /// A change's old value differs from the centre's record: the form was filled from stale data.
    UnitChangeStale = "UNIT_CHANGE_STALE",
    /// 缴存人信息变更: a field key that is not a changeable personal field.
    ContributorFieldUnknown = "CONTRIBUTOR_FIELD_UNKNOWN",
    /// 缴存人信息变更: a change's old value differs from the centre's record (reload and fill in again).
    ContributorChangeStale = "CONTRIBUTOR_CHANGE_STALE",
    /// 缴存人信息变更: 性别/出生年月 of a 身份证 holder follow from the number and cannot change on their own.
    ContributorFieldDerived = "CONTRIBUTOR_FIELD_DERIVED",
    /// A text longer than its field holds.
    TextTooLong = "TEXT_TOO_LONG",
    /// 邮政编码 is not six digits.
    PostcodeInvalid = "POSTCODE_INVALID",
    /// 电子信箱 is not shaped like an e-mail address.
    EmailInvalid = "EMAIL_INVALID",
    /// 发薪日 is not a day 1–31.
    PaydayInvalid = "PAYDAY_INVALID",
    /// 银行代码 is not three digits (联行号前三位).
    BankCodeInvalid = "BANK_CODE_INVALID",

    // --- Gateway facts (the centre's own data; only the gateway can decide these) -------------
    /// 个人账号 is not a contributor of the submitting unit (unknown or another unit's: same answer).
    PersonNotInUnit = "PERSON_NOT_IN_UNIT",
    /// 姓名 or 证件号码 differs from the centre's record of that 个人账号.
    PersonMismatch = "PERSON_MISMATCH",
    /// The person's account is not 正常 (e.g. 封存), so the business does not apply.
    PersonNotActive = "PERSON_NOT_ACTIVE",
    /// 调整前基数 differs from the centre's current base: the sheet was filled from stale data.
    OldBaseMismatch = "OLD_BASE_MISMATCH",
    /// 缴存人登记: the 证件号码 already has an account that is not closed (or is in a registration under review)
    /// somewhere in the centre; the message never says where.
    IdNumberInUse = "ID_NUMBER_IN_USE",
    /// 缴存人登记: the 手机号码 already belongs to an account that is not closed (or to a registration under review).
    MobileInUse = "MOBILE_IN_USE",
    /// 个人封存 of an account that is not 正常 (01): only a contributing account can be sealed.
    SealRequiresNormal = "SEAL_REQUIRES_NORMAL",
    /// 个人启封 of an account that is not 封存 (02): only a sealed account can be unsealed.
    UnsealRequiresSealed = "UNSEAL_REQUIRES_SEALED",
    /// 汇缴: the 清册's 个人缴存基数 differs from the centre's current base (a base change is 缴存基数调整).
    RemittanceBaseNotCurrent = "REMITTANCE_BASE_NOT_CURRENT",
    /// 汇缴: a 正常 contributor of the unit is missing from the 清册 (one issue per person).
    RemittancePersonMissing = "REMITTANCE_PERSON_MISSING",
    /// 汇缴: the person's 首次汇缴年月 lies after the 汇缴年月 (not contributing yet in that month).
    RemittanceBeforeFirstMonth = "REMITTANCE_BEFORE_FIRST_MONTH",
    /// 补缴: an open or completed 补缴 already covers this person-month.
    SupplementaryMonthAlreadyPaid = "SUPPLEMENTARY_MONTH_ALREADY_PAID",

    // --- 开发商网厅: 项目录入 (project) / 楼栋录入 (building) ------------------------------------------
    /// An area (m²) is not a number with at most two decimals.
    AreaInvalid = "AREA_INVALID",
    /// An area (建筑总面积, 建筑面积, 套内面积) is zero.
    AreaNotPositive = "AREA_NOT_POSITIVE",
    /// A price or amount that must be positive (建筑总金额, 获取土地总价, 土地单价, 备案总价) is zero.
    AmountNotPositive = "AMOUNT_NOT_POSITIVE",
    /// A date is not a real `YYYY-MM-DD` date (or lies after the current month where it must not).
    DateInvalid = "DATE_INVALID",
    /// 联系电话 is neither a mobile nor a landline number.
    PhoneInvalid = "PHONE_INVALID",
    /// A permit / certificate number has characters a permit cannot have, or is too long.
    PermitNumberInvalid = "PERMIT_NUMBER_INVALID",
    /// 楼盘地址 shorter than 10 characters (Bijie).
    ProjectAddressTooShort = "PROJECT_ADDRESS_TOO_SHORT",
    /// 保证金比例 is zero.
    DepositRatioInvalid = "DEPOSIT_RATIO_INVALID",
    /// 贷款比例 of a building is zero.
    LoanRatioInvalid = "LOAN_RATIO_INVALID",
    /// 单元数 or 层数 outside 1–99 / 1–200.
    BuildingCountInvalid = "BUILDING_COUNT_INVALID",
    /// The same 房号 twice in one building.
    DuplicateHouseNo = "DUPLICATE_HOUSE_NO",
    /// A house's 单元 is 0 or above the building's 单元数.
    HouseUnitOutOfRange = "HOUSE_UNIT_OUT_OF_RANGE",
    /// A house's 楼层 is 0 or above the building's 层数.
    HouseFloorOutOfRange = "HOUSE_FLOOR_OUT_OF_RANGE",
    /// 套内面积 larger than 建筑面积.
    InnerAreaExceedsArea = "INNER_AREA_EXCEEDS_AREA",
    /// The 项目编号 is not a project of this developer (unknown or another developer's: same answer).
    ProjectNotFound = "PROJECT_NOT_FOUND",
    /// The project is not 已办结 (approved) yet, so no building can be entered under it.
    ProjectNotActive = "PROJECT_NOT_ACTIVE",
    /// The 预售许可证号 is already used by a building of the centre (approved or under review); never says whose.
    PresalePermitInUse = "PRESALE_PERMIT_IN_USE",
    /// The 楼栋号 already exists (or is under review) in the project.
    BuildingNoInUse = "BUILDING_NO_IN_USE",
    /// 补充项目材料: the file's content is an executable (PE/ELF/Mach-O/script), whatever its name says.
    MaterialExecutable = "MATERIAL_EXECUTABLE",
    /// 补充项目材料: the content is not PDF, JPEG, PNG or OFD.
    MaterialTypeUnsupported = "MATERIAL_TYPE_UNSUPPORTED",
    /// 补充项目材料: 材料类型 not in the table.
    MaterialKindUnknown = "MATERIAL_KIND_UNKNOWN",
    /// 补充项目材料: an empty file.
    MaterialEmpty = "MATERIAL_EMPTY",
    /// 补充项目材料: the file exceeds the per-file limit.
    MaterialFileTooLarge = "MATERIAL_FILE_TOO_LARGE",
    /// 补充项目材料: the declared SHA-256 is not 64 lowercase hex digits.
    MaterialDigestInvalid = "MATERIAL_DIGEST_INVALID",

    // --- 贷款申请 (loan_application) ----------------------------------------------------------------
    /// 借款人/共同借款人 月收入 is zero or negative.
    LoanIncomeNotPositive = "LOAN_INCOME_NOT_POSITIVE",
    /// 参贷关系 not in the code table (1 配偶 … 8 其他).
    LoanRelationInvalid = "LOAN_RELATION_INVALID",
    /// 还款方式 not 01 等额本息 / 02 等额本金.
    LoanRepaymentInvalid = "LOAN_REPAYMENT_INVALID",
    /// 第几套 not 1 or 2 (no 公积金 loan for a third home).
    LoanHouseCountInvalid = "LOAN_HOUSE_COUNT_INVALID",
    /// 合同金额 / 贷款金额 not positive, or 首付款 negative.
    LoanAmountNotPositive = "LOAN_AMOUNT_NOT_POSITIVE",
    /// 首付款 differs from 合同金额 − 贷款金额.
    LoanDownPaymentMismatch = "LOAN_DOWN_PAYMENT_MISMATCH",
    /// 首付款 below the policy's minimum 首付比例.
    LoanDownPaymentTooLow = "LOAN_DOWN_PAYMENT_TOO_LOW",
    /// 贷款金额 above 合同金额 × 最高贷款比例.
    LoanAmountOverRatio = "LOAN_AMOUNT_OVER_RATIO",
    /// 贷款金额 above 最高额度 (with the children uplift).
    LoanAmountOverCap = "LOAN_AMOUNT_OVER_CAP",
    /// 贷款期数 0, over 360 or over 最长年限.
    LoanTermTooLong = "LOAN_TERM_TOO_LONG",
    /// 年龄 + 贷款年限 over the age limit.
    LoanAgeOverLimit = "LOAN_AGE_OVER_LIMIT",
    /// A stated 公积金账号 is unknown or not the stated person's (same answer for both).
    LoanAccountNotFound = "LOAN_ACCOUNT_NOT_FOUND",
    /// Neither borrower nor co-borrower has a 正常 account with enough continuous contributions.
    LoanContributionTooShort = "LOAN_CONTRIBUTION_TOO_SHORT",
    /// The house is not in an approved building of this developer (unknown and another's: same answer).
    HouseNotFound = "HOUSE_NOT_FOUND",
    /// The house is not 可售.
    HouseNotForSale = "HOUSE_NOT_FOR_SALE",
    /// The house is under another open 贷款申请 (or twice in this batch); never says whose.
    HouseUnderApplication = "HOUSE_UNDER_APPLICATION",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_serde_shape() {
        let issue = Issue::new(3, "证件号码", Code::IdNumberChecksum, "校验位不符");
        let json = serde_json::to_string(&issue).unwrap();
        assert_eq!(
            json,
            r#"{"row":3,"column":"证件号码","code":"ID_NUMBER_CHECKSUM","message":"校验位不符"}"#
        );
        assert_eq!(serde_json::from_str::<Issue>(&json).unwrap(), issue);
    }

    #[test]
    fn sheet_issue_is_row_zero_without_column() {
        let issue = Issue::sheet(Code::NoRows, "没有数据");
        assert_eq!((issue.row, issue.column.as_str()), (0, ""));
        assert_eq!(
            serde_json::to_string(&issue).unwrap(),
            r#"{"row":0,"column":"","code":"NO_ROWS","message":"没有数据"}"#
        );
    }

    #[test]
    fn as_str_is_the_serde_form_and_screaming_snake() {
        for &code in Code::ALL.iter().chain([Code::Unknown].iter()) {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()), "{code:?}");
            let s = code.as_str();
            assert!(s.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'), "{s}");
            // The string is the variant name in SCREAMING_SNAKE_CASE.
            let debug = format!("{code:?}");
            let snake: String = debug
                .chars()
                .enumerate()
                .flat_map(|(i, c)| {
                    let sep = (i > 0 && c.is_ascii_uppercase()).then_some('_');
                    sep.into_iter().chain(std::iter::once(c.to_ascii_uppercase()))
                })
                .collect();
            assert_eq!(s, snake);
            assert_eq!(serde_json::from_str::<Code>(&json).unwrap(), code);
            if code != Code::Unknown {
                assert_eq!(Code::from_wire(s), code);
            }
        }
    }

    #[test]
    fn codes_are_unique_and_include_the_importer_set() {
        let mut strings: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        strings.sort_unstable();
        let n = strings.len();
        strings.dedup();
        assert_eq!(strings.len(), n, "duplicate wire strings");
        for s in [
            "REQUIRED",
            "ID_STORED_AS_NUMBER",
            "ACCOUNT_STORED_AS_NUMBER",
            "MONEY_INVALID",
            "MONTH_INVALID",
            "HEADER_NOT_FOUND",
            "COLUMN_MISSING",
            "NO_ROWS",
            "TOO_MANY_ROWS",
            "CELL_TYPE_UNEXPECTED",
        ] {
            assert_ne!(Code::from_wire(s), Code::Unknown, "{s}");
        }
    }

    #[test]
    fn unknown_codes_from_a_newer_peer_do_not_break_decoding() {
        let json = r#"{"row":1,"column":"x","code":"SOMETHING_NEW","message":"m"}"#;
        assert_eq!(serde_json::from_str::<Issue>(json).unwrap().code, Code::Unknown);
        assert_eq!(Code::from_wire("nope"), Code::Unknown);
    }

    #[test]
    fn display() {
        assert_eq!(
            Issue::new(3, "姓名", Code::NameTooShort, "太短").to_string(),
            "第 3 行【姓名】太短"
        );
        assert_eq!(Issue::sheet(Code::NoRows, "空").to_string(), "空");
        assert_eq!(Code::NoRows.to_string(), "NO_ROWS");
    }
}
