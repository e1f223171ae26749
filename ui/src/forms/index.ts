import type { FormDef } from "./types";
import { building } from "./building";
import { contributorChange } from "./contributor_change";
import { contributorRegistration } from "./contributor_registration";
import { project } from "./project";
import { rateAdjustment } from "./rate_adjustment";
import { unitChange } from "./unit_change";

/** Every business with a form, by code. (补充项目材料 is an upload screen of its own: UploadView.) */
export const FORMS: Record<string, FormDef> = Object.fromEntries(
  [unitChange, rateAdjustment, contributorRegistration, contributorChange, project, building].map((f) => [
    f.business,
    f,
  ]),
);

export type { FieldDef, FormDef } from "./types";
