import type { FormDef } from "./types";

// gjj_domain::contributor_change::PersonField: key (wire), label; issues name the template column "新…".
export const contributorChange: FormDef = {
  business: "contributor_change",
  current: "diff",
  lookup: { label: "个人账号", placeholder: "要变更的缴存人的个人账号" },
  intro: "先输入个人账号查出中心登记的信息，再只改需要变更的项。",
  identity: [
    ["account", "个人账号"],
    ["name", "姓名"],
    ["id_number", "证件号码"],
  ],
  fields: [
    { key: "name", label: "姓名", kind: "text", columns: ["新姓名"] },
    { key: "id_type", label: "证件类型", kind: "select", options: { codeTable: "id_type" }, columns: ["新证件类型"] },
    { key: "id_number", label: "证件号码", kind: "text", columns: ["新证件号码"] },
    { key: "sex", label: "性别", kind: "select", options: { codeTable: "sex" }, columns: ["新性别"] },
    { key: "birth_month", label: "出生年月", kind: "month", columns: ["新出生年月"] },
    { key: "mobile", label: "手机号码", kind: "text", columns: ["新手机号码"] },
    { key: "landline", label: "固定电话", kind: "text", optional: true, columns: ["新固定电话"] },
    { key: "bank_account", label: "个人存款账户号码", kind: "text", optional: true, columns: ["新个人存款账户号码"] },
    { key: "bank_name", label: "开户银行", kind: "text", optional: true, columns: ["新开户银行"] },
    { key: "note", label: "备注", kind: "text", optional: true, extra: true },
  ],
  // ContributorChange {rows}: one row; `olds` = every change states the value it was made against.
  payload: (t, ctx) => {
    const c = ctx.current ?? {};
    const text = (k: string) => (typeof c[k] === "string" ? (c[k] as string) : "");
    return {
      rows: [
        {
          row: 1,
          account: text("account"),
          name: text("name"),
          id_number: text("id_number"),
          changes: ctx.changes,
          olds: true,
          note: t.note,
        },
      ],
    };
  },
};
