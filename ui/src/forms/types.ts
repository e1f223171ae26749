// What a form business looks like to the window: its fields (serde key, Chinese label, input kind) and how the
// typed values become the wire payload. The rules are not here: `formValidate` runs the centre's own checks.

/** How a field is typed and converted: money 元→分, percent %→basis points, area m²→hundredths, month YYYYMM. */
export type FieldKind =
  | "text"
  | "textarea"
  | "select"
  | "money"
  | "percent"
  | "area"
  | "integer"
  | "month"
  | "date"
  | "file";

/** Where a select's choices come from. */
export type OptionSource =
  | { codeTable: string }
  | { static: [string, string][] }
  /** The developer's projects (all, or only the approved ones). */
  | { projects: "all" | "active" };

export interface FieldDef {
  /** The serde field name of the payload (also `data-field`). */
  key: string;
  /** The Chinese label; the `column` of the issues about this field. */
  label: string;
  kind: FieldKind;
  /** Other issue columns that mean this field (e.g. the template title "个人缴存基数（元）"). */
  columns?: string[];
  options?: OptionSource;
  /** file: the extensions offered by the open dialog. */
  extensions?: string[];
  placeholder?: string;
  /** Shown as "（选填）" after the label; the rules still decide. */
  optional?: boolean;
  /** diff forms: not one of the changeable record fields (e.g. 备注): sent as is, never in the diff. */
  extra?: boolean;
  /** file: the business whose Excel template (templateSave) this file is filled from. */
  template?: string;
  /** file: the issues of the file's rows (row > 0) are shown under this field. */
  sheet?: boolean;
}

/** A field's converted value: null when empty. */
export type Typed = Record<string, string | number | null>;

export interface PayloadContext {
  /** The centre's current record (formCurrent), when the form uses one. */
  current: Record<string, unknown> | null;
  /** diff forms: the changed fields with the value the clerk saw and the new one. */
  changes: { field: string; old: string | null; new: string | null }[];
  /** The project being edited (project form), when one was loaded. */
  projectId: string | null;
}

export interface FormDef {
  business: string;
  fields: FieldDef[];
  /**
   * How the centre's current values are used: `none`; `hint` (shown beside each field, e.g. the current rates);
   * `diff` (inputs start from them and only the changes are sent).
   */
  current: "none" | "hint" | "diff";
  /** The record is looked up by a key the clerk types first (缴存人信息变更: 个人账号). */
  lookup?: { label: string; placeholder: string };
  /** Read-only facts of the current record shown above the form: [key, label]. */
  identity?: [string, string][];
  payload(typed: Typed, ctx: PayloadContext): unknown;
  /** Short explanation shown under the title. */
  intro?: string;
}
