// Presentation helpers of the shell's screens: how numbers, months and times the Rust side sends are shown.
// No rules here. (The business screens' conversions live in forms/units.ts.)
import { formatScaled } from "./forms/units";

/** Basis points as a percentage with two decimals: 1200 → "12.00%". */
export function rateText(bp: number): string {
  return `${formatScaled(bp, 2)}%`;
}

/** "202611" → "2026年11月"; anything else as it came. */
export function monthText(yyyymm: string | null | undefined): string {
  if (!yyyymm) return "—";
  const m = /^(\d{4})(\d{2})$/.exec(yyyymm);
  return m ? `${m[1]}年${m[2]}月` : yyyymm;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** An ISO date-time in local time, "2026-11-27 09:12"; unparseable text is shown as it came. */
export function dateTimeText(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** An ISO date-time as a date, "2027-03-31". */
export function dateText(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

// 单位账户状态, JGJ/T 320 附A.4 (gjj_domain::unit::UnitStatus): the centre sends the code only.
const UNIT_STATUS: Record<string, string> = {
  "01": "正常",
  "02": "开户",
  "03": "缓缴",
  "04": "销户",
  "05": "封存",
  "99": "其他",
};

/** "01" → "正常"; an unknown code is shown as the code. */
export function unitStatusText(code: string): string {
  return UNIT_STATUS[code] ?? code;
}

/** Today as "20261127", for default file names. */
export function todayStamp(now: Date = new Date()): string {
  return `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}`;
}
