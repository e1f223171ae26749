import { FORM_FIELDS } from "../generated/forms";
import type { FormDef } from "./types";

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
  fields: FORM_FIELDS.unit_change,
  payload: (_t, ctx) => ({ changes: ctx.changes }),
};
