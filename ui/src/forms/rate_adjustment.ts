import { FORM_FIELDS } from "../generated/forms";
import type { FormDef } from "./types";

// gjj_domain::rate_adjustment::RateAdjustment: {unit_rate, person_rate: basis points; effective_month: "YYYYMM"}.
export const rateAdjustment: FormDef = {
  business: "rate_adjustment",
  current: "hint",
  intro: "填写调整后的单位和个人缴存比例（百分数）及生效年月。比例须在当年政策区间内，中心规则会随填随查。",
  fields: FORM_FIELDS.rate_adjustment,
  payload: (t) => ({
    unit_rate: t.unit_rate,
    person_rate: t.person_rate,
    effective_month: t.effective_month,
  }),
};
