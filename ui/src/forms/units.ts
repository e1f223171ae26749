// Presentation conversions between what a clerk reads and types (元, %, m², YYYYMM) and the wire's integers
// (分, basis points, hundredths of m²). Exact decimal text arithmetic: a typed "0.29" must become 29 分, which
// floating point does not guarantee. Whether a value is allowed is for the Rust rules to say, not these.

/** A conversion result: the wire value, or why the text is not in the expected shape. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** Parses "1234", "1,234.5", "１２.３４" into an integer scaled by 10^decimals; null when not a plain number. */
export function parseScaled(text: string, decimals: number): number | null {
  const t = toHalfWidth(text).replace(/[\s,，]/g, "");
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(t);
  if (!m) return null;
  const frac = m[3] ?? "";
  if (frac.length > decimals) return null;
  const digits = m[2] + frac.padEnd(decimals, "0");
  const n = Number(digits);
  if (!Number.isSafeInteger(n)) return null;
  return m[1] === "-" && n !== 0 ? -n : n;
}

/** Formats an integer scaled by 10^decimals as a decimal text ("1234.50"); `trim` drops trailing zeros. */
export function formatScaled(value: number, decimals: number, trim = false): string {
  const neg = value < 0;
  const s = String(Math.abs(Math.trunc(value))).padStart(decimals + 1, "0");
  let int = s.slice(0, s.length - decimals);
  let frac = s.slice(s.length - decimals);
  if (trim) frac = frac.replace(/0+$/, "");
  int = int || "0";
  return (neg ? "-" : "") + int + (frac ? "." + frac : "");
}

/** 元 text → 分. */
export function yuanToFen(text: string): Parsed<number> {
  const v = parseScaled(text.replace(/[元¥￥]/g, ""), 2);
  return v === null
    ? { ok: false, error: "金额请填写元，最多两位小数，如 3500 或 3500.50" }
    : { ok: true, value: v };
}

/** Percent text ("12", "12.5%") → basis points (1200, 1250). */
export function percentToBp(text: string): Parsed<number> {
  const v = parseScaled(text.replace(/[%％]/g, ""), 2);
  return v === null || v < 0
    ? { ok: false, error: "比例请填写百分数，最多两位小数，如 12 或 12.5（表示 12.5%）" }
    : { ok: true, value: v };
}

/** m² text → hundredths of m². */
export function areaToHundredths(text: string): Parsed<number> {
  const v = parseScaled(text.replace(/(m²|㎡|平方米)/g, ""), 2);
  return v === null || v < 0
    ? { ok: false, error: "面积请填写平方米数，最多两位小数，如 89.50" }
    : { ok: true, value: v };
}

/** A whole non-negative number. */
export function parseCount(text: string): Parsed<number> {
  const v = parseScaled(text, 0);
  return v === null || v < 0 ? { ok: false, error: "请填写整数，如 3" } : { ok: true, value: v };
}

/** 分 → "1,234.56". */
export function fenText(fen: number): string {
  const [int, frac] = formatScaled(fen, 2).split(".");
  return int.replace(/\B(?=(\d{3})+(?!\d))/g, ",") + "." + frac;
}

/** Basis points → "12.5%". */
export function bpText(bp: number): string {
  return formatScaled(bp, 2, true) + "%";
}

/** Hundredths of m² → "89.50 m²". */
export function areaText(h: number): string {
  return formatScaled(h, 2) + " m²";
}

/** "202611" → "2026年11月" (other text unchanged). */
export function monthText(m: string): string {
  return /^\d{6}$/.test(m) ? `${m.slice(0, 4)}年${m.slice(4)}月` : m;
}

/** An RFC 3339 time as local "YYYY-MM-DD HH:mm:ss"; the text unchanged when it does not parse. */
export function timeText(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, "0");
  return (
    `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
  );
}

/** Full-width digits, dot and percent sign (a Chinese IME) → ASCII. */
function toHalfWidth(s: string): string {
  return s.replace(/[０-９．％－]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
}
