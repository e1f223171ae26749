import type { FormDef } from "./types";

// gjj_domain::building::Building without `houses`: the window sends `houses_file`, the path of the filled 户
// list template, and Rust reads it. loan_ratio in basis points, completion_date YYYY-MM-DD.
export const building: FormDef = {
  business: "building",
  current: "none",
  intro: "楼栋须属于已办结（审核通过）的项目。户清单请先“下载户清单模板”填写，再选择文件。",
  fields: [
    { key: "project_id", label: "项目编号", kind: "select", options: { projects: "active" } },
    { key: "building_no", label: "楼栋号", kind: "text", placeholder: "如 1栋" },
    { key: "presale_permit", label: "预售许可证号", kind: "text" },
    { key: "unit_count", label: "单元数", kind: "integer" },
    { key: "floor_count", label: "层数", kind: "integer" },
    { key: "completion_date", label: "竣工日期", kind: "date" },
    { key: "loan_ratio", label: "贷款比例", kind: "percent", placeholder: "如 70（表示 70%）" },
    { key: "note", label: "备注", kind: "text", optional: true },
    {
      key: "houses_file",
      label: "户清单",
      kind: "file",
      extensions: ["xlsx", "xls", "et", "ods", "xml"],
      placeholder: "填好的户清单表格路径",
      template: "building",
      sheet: true,
    },
  ],
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
