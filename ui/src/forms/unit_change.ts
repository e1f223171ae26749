import type { FieldDef, FormDef } from "./types";

const ID_TYPE = { codeTable: "id_type" };

// gjj_domain::unit_change::UnitField: key = the wire name, label = the issue column.
const fields: FieldDef[] = [
  { key: "name", label: "单位名称", kind: "text" },
  { key: "address", label: "单位地址", kind: "text" },
  { key: "legal_rep_name", label: "法定代表人姓名", kind: "text" },
  { key: "legal_rep_id_type", label: "法定代表人证件类型", kind: "select", options: ID_TYPE },
  { key: "legal_rep_id_number", label: "法定代表人证件号码", kind: "text" },
  { key: "agent_name", label: "经办人姓名", kind: "text" },
  { key: "agent_id_type", label: "经办人证件类型", kind: "select", options: ID_TYPE },
  { key: "agent_id_number", label: "经办人证件号码", kind: "text" },
  { key: "agent_mobile", label: "经办人手机号码", kind: "text" },
  { key: "agent_landline", label: "经办人固定电话", kind: "text", optional: true },
  { key: "phone", label: "单位联系电话", kind: "text", optional: true },
  { key: "fax", label: "传真号码", kind: "text", optional: true },
  { key: "postcode", label: "邮政编码", kind: "text", optional: true },
  { key: "email", label: "电子信箱", kind: "text", optional: true },
  { key: "payday", label: "发薪日", kind: "text", optional: true, placeholder: "每月几号，如 15" },
  { key: "payroll_account", label: "发薪账号", kind: "text", optional: true },
  { key: "payroll_account_name", label: "发薪账户户名", kind: "text", optional: true },
  { key: "payroll_bank", label: "发薪账户开户银行", kind: "text", optional: true },
  { key: "trustee_bank_code", label: "受托银行代码", kind: "text", optional: true },
  { key: "trustee_bank_name", label: "受托银行名称", kind: "text", optional: true },
];

// gjj_domain::unit_change::UnitChange: {changes: [{field, old, new}]}, only the changed fields.
export const unitChange: FormDef = {
  business: "unit_change",
  current: "diff",
  intro:
    "表中是中心登记的单位信息。只改需要变更的项，提交的是改动部分。统一社会信用代码不能在网上变更，请到中心柜台办理。",
  identity: [
    ["account", "单位账号"],
    ["uscc", "统一社会信用代码"],
  ],
  fields,
  payload: (_t, ctx) => ({ changes: ctx.changes }),
};
