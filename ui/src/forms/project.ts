import { FORM_FIELDS } from "../generated/forms";
import type { FormDef } from "./types";

// gjj_domain::project::Project (ProjectField key/label): rates in basis points, areas in hundredths of m²,
// money in 分, dates YYYY-MM-DD. Every field is optional in a draft; the rules decide what submission needs.
export const project: FormDef = {
  business: "project",
  current: "none",
  intro: "可以先“保存草稿”，资料齐全后再提交中心审核。被退回或撤回的项目可在下方列表中载入、修改后重新提交。",
  fields: FORM_FIELDS.project,
  payload: (t, ctx) => {
    const out: Record<string, unknown> = { ...t };
    if (ctx.projectId) out.project_id = ctx.projectId;
    return out;
  },
};
