//! 贷款申请 (`loan_application`, developer hall): the batch template — one row per applicant (借款人, optional
//! 共同借款人, the house, the loan) — and the importer that turns a filled workbook into
//! [`Applicant`]s plus cell [`Issue`]s. The loan rules need the centre's [`LoanPolicy`](gjj_domain::loan_application::LoanPolicy)
//! and its facts, so they are judged by the gateway applicant by applicant; this module only decides what each
//! cell says (money in fen, codes, whole numbers, identifiers as text).

use gjj_domain::code_table::{CodeEntry, CodeTable};
use gjj_domain::issue::{Code, Issue};
use gjj_domain::loan_application::{col, Applicant, Party, Repayment};

use crate::cell::{self, Problem};
use crate::header::ColumnSpec;
use crate::import::{RowCells, RowCtx, RowKind};
use crate::layout::{self, column, Column, Kind, Layout};
use crate::layout::{aliases, is_totals_row, Builder};
use crate::value::CellValue;

pub use crate::layout::TemplateOptions;

/// The worksheet name of the template.
pub const SHEET_NAME: &str = "贷款申请";
/// The 0-based row index of the first data row (Excel row 5).
pub const FIRST_DATA_ROW: u32 = layout::FIRST_DATA_ROW;
/// Pre-formatted empty data rows below the example row.
pub const TEMPLATE_DATA_ROWS: u32 = layout::TEMPLATE_DATA_ROWS;

/// 序号 (not a domain column: the applicant's row number is the Excel row).
const COL_SEQ: &str = "序号";

/// 还款方式 as the drop-down offers it (the codes of [`Repayment`]).
const REPAYMENTS: CodeTable = CodeTable {
    name: "还款方式",
    entries: &[
        CodeEntry {
            code: "01",
            label: "等额本息",
            aliases: &["1"],
        },
        CodeEntry {
            code: "02",
            label: "等额本金",
            aliases: &["2"],
        },
    ],
};

/// 参贷关系 as the drop-down offers it (the domain's `RELATIONS`, checked equal in the tests).
const RELATIONS: CodeTable = CodeTable {
    name: "参贷关系",
    entries: &[
        CodeEntry {
            code: "1",
            label: "配偶",
            aliases: &[],
        },
        CodeEntry {
            code: "2",
            label: "子",
            aliases: &[],
        },
        CodeEntry {
            code: "3",
            label: "女",
            aliases: &[],
        },
        CodeEntry {
            code: "4",
            label: "孙子女/外孙子女",
            aliases: &[],
        },
        CodeEntry {
            code: "5",
            label: "父母",
            aliases: &[],
        },
        CodeEntry {
            code: "6",
            label: "祖父母/外祖父母",
            aliases: &[],
        },
        CodeEntry {
            code: "7",
            label: "兄弟姐妹",
            aliases: &[],
        },
        CodeEntry {
            code: "8",
            label: "其他",
            aliases: &[],
        },
    ],
};

/// 证件类型 offered for a loan: only 居民身份证, which the age rule needs [I].
const ID_TYPES: CodeTable = CodeTable {
    name: "证件类型",
    entries: &[CodeEntry {
        code: "01",
        label: "居民身份证",
        aliases: &["1", "身份证"],
    }],
};

const COLUMNS: [Column; 24] = [
    column(COL_SEQ, aliases::SEQ, false, 6.0, Kind::General, "例"),
    column(
        col::NAME,
        &["借款人", "主借款人姓名", "姓名"],
        true,
        12.0,
        Kind::General,
        "李明",
    ),
    column(
        col::ID_TYPE,
        &["证件类型"],
        false,
        14.0,
        Kind::Code(&ID_TYPES),
        "01 居民身份证",
    ),
    // A correct GB 11643 check digit.
    column(
        col::ID_NUMBER,
        &["借款人身份证号码", "借款人身份证号", "证件号码"],
        true,
        22.0,
        Kind::Text,
        "430405198803150011",
    ),
    column(
        col::ACCOUNT,
        &["借款人个人账号", "借款人账号", "个人账号"],
        true,
        18.0,
        Kind::Text,
        "990100000001",
    ),
    column(
        col::MOBILE,
        &["借款人手机号码", "借款人联系电话", "手机号码"],
        true,
        14.0,
        Kind::Text,
        "13907341234",
    ),
    column(
        col::INCOME,
        &["借款人月收入（元）", "月收入"],
        true,
        12.0,
        Kind::Money,
        "12000.00",
    ),
    column(col::CO_NAME, &["共同借款人"], false, 12.0, Kind::General, "王芳"),
    column(
        col::CO_ID_TYPE,
        &[],
        false,
        14.0,
        Kind::Code(&ID_TYPES),
        "01 居民身份证",
    ),
    column(
        col::CO_ID_NUMBER,
        &["共同借款人身份证号码", "共同借款人身份证号"],
        false,
        22.0,
        Kind::Text,
        "430405199201010022",
    ),
    column(
        col::CO_ACCOUNT,
        &["共同借款人个人账号", "共同借款人账号"],
        false,
        18.0,
        Kind::Text,
        "",
    ),
    column(
        col::CO_MOBILE,
        &["共同借款人手机号码", "共同借款人联系电话"],
        false,
        14.0,
        Kind::Text,
        "13907345678",
    ),
    column(
        col::CO_INCOME,
        &["共同借款人月收入（元）"],
        false,
        12.0,
        Kind::Money,
        "8000.00",
    ),
    column(
        col::RELATION,
        &["与借款人关系", "参贷关系代码", "CHGX"],
        false,
        14.0,
        Kind::Code(&RELATIONS),
        "1 配偶",
    ),
    column(
        col::PROJECT,
        &["项目编码", "楼盘编号"],
        true,
        14.0,
        Kind::Text,
        "XM00000001",
    ),
    column(
        col::BUILDING,
        &["楼栋编号", "楼栋号", "楼号"],
        true,
        12.0,
        Kind::Text,
        "1栋",
    ),
    column(
        col::HOUSE_NO,
        &["房屋号", "户号", "室号"],
        true,
        10.0,
        Kind::Text,
        "101",
    ),
    column(
        col::PRICE,
        &["购房合同金额", "房屋总价", "合同总价"],
        true,
        14.0,
        Kind::Money,
        "1000000.00",
    ),
    column(
        col::DOWN_PAYMENT,
        &["首付金额", "首付"],
        true,
        14.0,
        Kind::Money,
        "500000.00",
    ),
    column(
        col::AMOUNT,
        &["申请贷款金额", "贷款额度"],
        true,
        14.0,
        Kind::Money,
        "500000.00",
    ),
    column(
        col::MONTHS,
        &["贷款期限（月）", "贷款期限", "期数"],
        true,
        10.0,
        Kind::General,
        "300",
    ),
    column(
        col::REPAYMENT,
        &["还款方式代码", "HKFS"],
        true,
        14.0,
        Kind::Code(&REPAYMENTS),
        "01 等额本息",
    ),
    column(
        col::HOUSE_COUNT,
        &["购房套数", "套数", "第几套房"],
        true,
        8.0,
        Kind::General,
        "1",
    ),
    column(
        col::CHILDREN,
        &["子女数", "上浮类别"],
        false,
        10.0,
        Kind::General,
        "0",
    ),
];

fn layout() -> Layout {
    Layout {
        sheet: SHEET_NAME,
        title: "个人住房公积金贷款申请清单（批量导入文件格式）",
        instructions: format!(
            "填写说明：1. 每行一位申请人，红色表头为必填列；2. 证件号码/公积金账号/手机/项目编号/楼栋/房号 列为文本格式，\
             请勿改成数字（18 位证件号码存成数字后最后几位会变成 0）；3. 金额单位为元，最多两位小数，\
             合同金额 = 首付款 + 贷款金额；4. 贷款期数为月数；还款方式：{}；第几套填 1 或 2；\
             家庭子女数决定二孩/三孩的额度上浮，空为 0；5. 有共同借款人时填写其姓名、证件号码、手机、月收入和参贷关系（{}），\
             没有则整组留空；证件类型空为 01 居民身份证；6. 楼栋可填楼栋编号（LD…）或楼栋号；\
             7. 中心逐人审核，不合格的申请人单独退回；8. 红字“例”行为示例，导入时自动跳过，可保留或删除。",
            REPAYMENTS.describe(),
            RELATIONS.describe()
        ),
        columns: &COLUMNS,
    }
}

layout::template_api!();

layout::import_api!(LoanApplicationSheet, Applicant, "贷款申请");

/// Column indexes into [`LoanApplicationSheet::COLUMNS`] (same order as the template).
const SEQ: usize = 0;
const NAME: usize = 1;
const ID_TYPE: usize = 2;
const ID_NUMBER: usize = 3;
const ACCOUNT: usize = 4;
const MOBILE: usize = 5;
const INCOME: usize = 6;
const CO_NAME: usize = 7;
const CO_ID_TYPE: usize = 8;
const CO_ID_NUMBER: usize = 9;
const CO_ACCOUNT: usize = 10;
const CO_MOBILE: usize = 11;
const CO_INCOME: usize = 12;
const RELATION: usize = 13;
const PROJECT: usize = 14;
const BUILDING: usize = 15;
const HOUSE_NO: usize = 16;
const PRICE: usize = 17;
const DOWN_PAYMENT: usize = 18;
const AMOUNT: usize = 19;
const MONTHS: usize = 20;
const REPAYMENT: usize = 21;
const HOUSE_COUNT: usize = 22;
const CHILDREN: usize = 23;

/// The co-borrower columns: any of them filled means there is a co-borrower.
const CO_COLUMNS: [usize; 7] = [
    CO_NAME,
    CO_ID_TYPE,
    CO_ID_NUMBER,
    CO_ACCOUNT,
    CO_MOBILE,
    CO_INCOME,
    RELATION,
];

/// A whole number ≥ 0 (贷款期数, 第几套, 子女数): a Number cell or text such as "300", "300期", "2套".
fn count(v: CellValue<'_>, what: &str) -> Result<Option<u32>, Problem> {
    let Some(t) = cell::text(v, what)? else {
        return Ok(None);
    };
    let digits = t.trim_end_matches(['期', '月', '套', '个', '人']);
    digits.trim().parse::<u32>().map(Some).map_err(|_| Problem {
        code: Code::CellTypeUnexpected,
        message: format!("{what}“{t}”不是整数，请填写数字"),
    })
}

/// A code cell ("01", "等额本息", "01 等额本息") → its code, or `bad` with the table's entries.
fn code(
    table: &'static CodeTable,
    bad: Code,
) -> impl Fn(CellValue<'_>, &str) -> Result<Option<String>, Problem> {
    move |v, what| {
        let Some(t) = cell::text(v, what)? else {
            return Ok(None);
        };
        match table.find(&t) {
            Some(e) => Ok(Some(e.code.to_owned())),
            None => Err(Problem {
                code: bad,
                message: format!("{what}“{t}”不在代码表中，请填写：{}", table.describe()),
            }),
        }
    }
}

/// The 贷款申请 row layout.
struct LoanApplicationSheet;

impl RowKind for LoanApplicationSheet {
    type Row = Applicant;

    const COLUMNS: &'static [ColumnSpec] = &layout::specs(&COLUMNS);
    const HEADER_KEYS: &'static [usize] = &[ID_NUMBER, AMOUNT];
    const DATA_KEYS: &'static [usize] = &[NAME, ID_NUMBER, ACCOUNT, PROJECT, HOUSE_NO, AMOUNT];
    const SEQ: Option<usize> = Some(SEQ);
    const HEADER_HINT: &'static str = "“借款人证件号码”“贷款金额”";

    fn is_footer(cells: &RowCells<'_>) -> bool {
        is_totals_row(cells, &[ID_NUMBER, ACCOUNT, HOUSE_NO], &[SEQ, NAME])
    }

    fn build(cells: &RowCells<'_>, ctx: &RowCtx, issues: &mut Vec<Issue>) -> Option<Applicant> {
        let has_co = CO_COLUMNS.iter().any(|&i| cells.get(i).is_some());
        let mut b = Builder {
            columns: Self::COLUMNS,
            cells,
            ctx,
            issues,
            failed: false,
        };
        let ids = code(&ID_TYPES, Code::IdTypeInvalid);
        let name = b.required(NAME, |v, what, _| cell::name(v, what));
        let id_type = b.optional(ID_TYPE, |v, what, _| ids(v, what));
        let id_number = b.required(ID_NUMBER, cell::id_number);
        let account = b.required(ACCOUNT, cell::account);
        let mobile = b.required(MOBILE, |v, what, _| cell::text(v, what));
        let income = b.required(INCOME, |v, what, _| cell::money(v, what));
        // The co-borrower group is all or nothing: once one of its cells is filled, the ones the centre needs
        // are required (公积金账号 stays optional: a co-borrower may have none).
        let co = if has_co {
            let name = b.required(CO_NAME, |v, what, _| cell::name(v, what));
            let id_type = b.optional(CO_ID_TYPE, |v, what, _| ids(v, what));
            let id_number = b.required(CO_ID_NUMBER, cell::id_number);
            let account = b.optional(CO_ACCOUNT, cell::account);
            let mobile = b.required(CO_MOBILE, |v, what, _| cell::text(v, what));
            let income = b.required(CO_INCOME, |v, what, _| cell::money(v, what));
            let relation = b.required(RELATION, |v, what, _| {
                code(&RELATIONS, Code::LoanRelationInvalid)(v, what)
            });
            Some((name, id_type, id_number, account, mobile, income, relation))
        } else {
            None
        };
        let project_id = b.required(PROJECT, |v, what, _| cell::text(v, what));
        let building = b.required(BUILDING, |v, what, _| cell::text(v, what));
        let house_no = b.required(HOUSE_NO, |v, what, _| cell::text(v, what));
        let price = b.required(PRICE, |v, what, _| cell::money(v, what));
        let down_payment = b.required(DOWN_PAYMENT, |v, what, _| cell::money(v, what));
        let amount = b.required(AMOUNT, |v, what, _| cell::money(v, what));
        let months = b.required(MONTHS, |v, what, _| count(v, what));
        let repayment = b.required(REPAYMENT, |v, what, _| {
            code(&REPAYMENTS, Code::LoanRepaymentInvalid)(v, what)
        });
        let house_count = b.required(HOUSE_COUNT, |v, what, _| count(v, what));
        let children = b.optional(CHILDREN, |v, what, _| count(v, what));
        if b.failed {
            return None;
        }
        let co_borrower = match co {
            Some((name, id_type, id_number, account, mobile, income, relation)) => Some(Party {
                name: name?,
                id_type: id_type.unwrap_or_else(|| "01".to_owned()),
                id_number: id_number?,
                account: account.unwrap_or_default(),
                mobile: mobile?,
                income: income?,
                relation: Some(relation?),
            }),
            None => None,
        };
        let repayment = repayment?;
        debug_assert!(Repayment::parse(&repayment).is_some());
        Some(Applicant {
            row: ctx.row,
            borrower: Party {
                name: name?,
                id_type: id_type.unwrap_or_else(|| "01".to_owned()),
                id_number: id_number?,
                account: account?,
                mobile: mobile?,
                income: income?,
                relation: None,
            },
            co_borrower,
            project_id: project_id?,
            building: building?,
            house_no: house_no?,
            price: price?,
            down_payment: down_payment?,
            amount: amount?,
            months: months?,
            repayment,
            house_count: house_count?,
            children: children.unwrap_or(0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_drop_downs_are_the_domain_tables() {
        let relations: Vec<(&str, &str)> = RELATIONS.entries.iter().map(|e| (e.code, e.label)).collect();
        assert_eq!(relations, gjj_domain::loan_application::RELATIONS.to_vec());
        for e in REPAYMENTS.entries {
            assert_eq!(Repayment::parse(e.code).map(Repayment::code), Some(e.code));
            assert_eq!(Repayment::parse(e.label).map(Repayment::code), Some(e.code));
        }
    }

    /// `CodeTable::find`'s drop-down shortcut answers what its general reading would for these tables too (the
    /// domain's own are checked in its tests).
    #[test]
    fn the_drop_down_shortcut_reads_these_tables_as_the_general_reading_does() {
        for table in [REPAYMENTS, RELATIONS, ID_TYPES] {
            assert_eq!(table.dropdown_shortcut_agrees(), Ok(()));
        }
    }
}
