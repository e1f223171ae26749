//! gjj-domain: the housing-provident-fund (住房公积金) business core, shared by the enterprise
//! client and the hall gateway.
//!
//! One job: turn what a unit submits (identifiers, money, months, batch rows) into typed values
//! and decide, with stable codes and Chinese messages, whether the submission obeys the rules.
//! The client runs these checks before sending; the gateway runs exactly the same functions on
//! the payload it receives, so the two sides can never disagree about a rule.
//!
//! Architecture invariants:
//! - **No IO.** Nothing here reads files, clocks, the network or the environment. "Today" is a
//!   parameter ([`month::Month`]), policy figures are parameters ([`policy::Policy`]).
//! - **Money is integer 分** ([`money::Fen`], `i64`). The only `f64` ever touched is the one an
//!   Excel numeric cell hands us, converted once by [`money::Fen::from_cell_number`].
//! - **Rates are basis points** ([`rate::Rate`], 1200 = 12%); monthly amounts are computed with
//!   `i128` intermediates and an explicit, per-centre rounding mode ([`rounding::RoundTo`]).
//! - **Policy is data.** Base and amount limits change every policy year and differ per centre;
//!   no figure is a constant in this crate.
//! - **Nothing Excel-specific in the rules.** [`base_adjustment::check`] takes plain rows; the
//!   sheet importer lives in another crate and only reuses the [`issue::Code`]s defined here.
//! - serde derives exist only on the types that form the client–gateway contract.
//!
//! Modules:
//! - [`money`], [`rate`], [`rounding`], [`month`]: value types and their lenient parsers.
//! - [`ids`]: text normalisation and the identifier algorithms (统一社会信用代码, 组织机构代码,
//!   居民身份证号码, phone numbers).
//! - [`issue`]: the problem report shared by importer, checker and gateway.
//! - [`policy`], [`unit`](mod@unit): the parameters a rule needs.
//! - [`base_adjustment`]: the 缴存基数调整 batch (rows, amounts, streaming checker).
//! - [`contributor_registration`]: the 缴存人登记 batch / single registration (rows, code tables, checker).
//! - [`seal`], [`unseal`]: the 个人封存 / 个人启封 batches (rows, reason tables, checkers);
//!   [`code_table`]: small code tables (reasons) as data.
//! - [`rate_adjustment`]: the 缴存比例调整 form (rate bounds, 生效年月, every employee's 月缴存额 with the
//!   allowed range of the sum of rates); [`unit_change`]: the 单位信息变更 form (changeable fields, the
//!   diff and its stale check); [`formats`]: shapes of contact, payroll and certificate fields.
//! - [`remittance`]: 汇缴 (the centre's 清册, the confirmed 清册 with 汇缴方式 and 发生人数/发生额, checker);
//!   [`supplementary`]: the 补缴 batch (months per person, 补缴原因 table, checker, the person-month rule).
//! - [`project_material`]: 补充项目材料 (材料类型 table, file types by content, safe names, chunked-upload
//!   wire types).
//! - [`project`], [`building`] (with [`area`]): the developer hall's 项目录入 and 楼栋录入 (+ 户 list).
//! - [`api`]: the other /api/v1 wire types (identity, receipts, submission status, errors).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod api;
pub mod area;
pub mod base_adjustment;
pub mod building;
pub mod business;
pub mod code_table;
pub mod contributor_change;
pub mod contributor_registration;
pub mod formats;
pub mod ids;
pub mod issue;
pub mod loan_application;
pub mod money;
pub mod month;
pub mod permit;
pub mod policy;
pub mod project;
pub mod project_material;
pub mod rate;
pub mod rate_adjustment;
pub mod remittance;
pub mod rounding;
pub mod seal;
pub mod supplementary;
pub mod text;
pub mod unit;
pub mod unit_change;
pub mod unseal;

mod decimal;
mod dedup;
