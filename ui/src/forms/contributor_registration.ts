import { FORM_FIELDS } from "../generated/forms";
import type { FormDef } from "./types";

// gjj_domain::contributor_registration::ContributorRegistrationRow; labels = the template titles (issue columns).
export const contributorRegistration: FormDef = {
  business: "contributor_registration",
  current: "none",
  intro: "单笔登记一名缴存人。人数较多时请用“批量导入”。",
  fields: FORM_FIELDS.contributor_registration,
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
