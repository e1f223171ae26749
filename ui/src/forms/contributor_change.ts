import { FORM_FIELDS } from "../generated/forms";
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
  fields: FORM_FIELDS.contributor_change,
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
