import { FORM_FIELDS } from "../generated/forms";
import type { FormDef } from "./types";

// gjj_domain::building::Building without `houses`: the window sends `houses_file`, the path of the filled 户
// list template, and Rust reads it. loan_ratio in basis points, completion_date YYYY-MM-DD.
export const building: FormDef = {
  business: "building",
  current: "none",
  intro: "楼栋须属于已办结（审核通过）的项目。户清单请先“下载户清单模板”填写，再选择文件。",
  fields: FORM_FIELDS.building,
  payload: (t) => ({
    project_id: t.project_id ?? "",
    building_no: t.building_no ?? "",
    presale_permit: t.presale_permit ?? "",
    unit_count: t.unit_count,
    floor_count: t.floor_count,
    completion_date: t.completion_date ?? "",
    loan_ratio: t.loan_ratio,
    note: t.note,
    houses_file: t.houses_file ?? "",
  }),
};
