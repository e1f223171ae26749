import type { FormDef } from "./types";

// gjj_domain::project::Project (ProjectField key/label): rates in basis points, areas in hundredths of m²,
// money in 分, dates YYYY-MM-DD. Every field is optional in a draft; the rules decide what submission needs.
export const project: FormDef = {
  business: "project",
  current: "none",
  intro: "可以先“保存草稿”，资料齐全后再提交中心审核。被退回或撤回的项目可在下方列表中载入、修改后重新提交。",
  fields: [
    { key: "name", label: "楼盘名称", kind: "text" },
    { key: "address", label: "楼盘地址", kind: "text" },
    { key: "presale_permit", label: "预售许可证号", kind: "text" },
    { key: "land_planning_permit", label: "建设用地规划许可证号", kind: "text" },
    { key: "land_certificate", label: "国有土地使用证号", kind: "text", columns: ["不动产权证号"] },
    { key: "engineering_planning_permit", label: "建设工程规划许可证号", kind: "text" },
    { key: "construction_permit", label: "建筑工程施工许可证号", kind: "text" },
    { key: "mortgage_agreement_date", label: "按揭协议日期", kind: "date" },
    { key: "deposit_ratio", label: "保证金比例", kind: "percent", placeholder: "如 5（表示 5%）" },
    { key: "deposit_account", label: "保证金账户", kind: "text" },
    { key: "deposit_bank", label: "保证金账户开户行", kind: "text" },
    { key: "deposit_account_name", label: "保证金开户名", kind: "text" },
    { key: "total_area", label: "建筑总面积", kind: "area" },
    { key: "total_amount", label: "建筑总金额", kind: "money" },
    { key: "land_total", label: "获取土地总价", kind: "money" },
    { key: "land_unit_price", label: "土地单价", kind: "money", placeholder: "元/平方米" },
    { key: "contact_name", label: "联系人", kind: "text" },
    { key: "contact_phone", label: "联系电话", kind: "text" },
    { key: "note", label: "备注", kind: "textarea", optional: true },
  ],
  payload: (t, ctx) => {
    const out: Record<string, unknown> = { ...t };
    if (ctx.projectId) out.project_id = ctx.projectId;
    return out;
  },
};
