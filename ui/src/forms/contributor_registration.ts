import type { FormDef } from "./types";

// gjj_domain::contributor_registration::ContributorRegistrationRow; labels = the template titles (issue columns).
export const contributorRegistration: FormDef = {
  business: "contributor_registration",
  current: "none",
  intro: "单笔登记一名缴存人。人数较多时请用“批量导入”。",
  fields: [
    { key: "name", label: "姓名", kind: "text" },
    { key: "id_type", label: "证件类型", kind: "select", options: { codeTable: "id_type" } },
    { key: "id_number", label: "证件号码", kind: "text" },
    { key: "sex", label: "性别", kind: "select", options: { codeTable: "sex" }, optional: true },
    { key: "birth_month", label: "出生年月", kind: "month", optional: true, placeholder: "身份证可不填，如 199003" },
    { key: "mobile", label: "手机号码", kind: "text" },
    { key: "landline", label: "固定电话", kind: "text", optional: true },
    { key: "base", label: "个人缴存基数", kind: "money", columns: ["个人缴存基数（元）"] },
    { key: "first_month", label: "首次汇缴年月", kind: "month", placeholder: "如 202611" },
    { key: "bank_account", label: "个人存款账户号码", kind: "text", optional: true },
    { key: "bank_name", label: "开户银行", kind: "text", optional: true },
    { key: "note", label: "备注", kind: "text", optional: true },
  ],
  // ContributorRegistration {rows}: one row, row 1. Text the struct requires goes as "" so the rules name it.
  payload: (t) => ({
    rows: [
      {
        row: 1,
        name: t.name ?? "",
        id_type: t.id_type ?? "",
        id_number: t.id_number ?? "",
        sex: t.sex,
        birth_month: t.birth_month,
        mobile: t.mobile ?? "",
        landline: t.landline,
        base: t.base,
        first_month: t.first_month,
        bank_account: t.bank_account,
        bank_name: t.bank_name,
        note: t.note,
      },
    ],
  }),
};
