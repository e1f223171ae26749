import type { FormDef } from "./types";

// gjj_domain::rate_adjustment::RateAdjustment: {unit_rate, person_rate: basis points; effective_month: "YYYYMM"}.
export const rateAdjustment: FormDef = {
  business: "rate_adjustment",
  current: "hint",
  intro: "填写调整后的单位和个人缴存比例（百分数）及生效年月。比例须在当年政策区间内，中心规则会随填随查。",
  fields: [
    { key: "unit_rate", label: "单位缴存比例", kind: "percent", placeholder: "如 12（表示 12%）" },
    { key: "person_rate", label: "个人缴存比例", kind: "percent", placeholder: "如 12（表示 12%）" },
    { key: "effective_month", label: "生效年月", kind: "month", placeholder: "如 202611" },
  ],
  payload: (t) => ({
    unit_rate: t.unit_rate,
    person_rate: t.person_rate,
    effective_month: t.effective_month,
  }),
};
