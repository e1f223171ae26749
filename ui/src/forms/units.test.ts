import { describe, expect, it } from "vitest";
import { areaToHundredths, bpText, fenText, formatScaled, parseScaled, percentToBp, yuanToFen } from "./units";

describe("units", () => {
  it("converts typed 元 to 分 exactly, without floating point", () => {
    expect(yuanToFen("0.29")).toEqual({ ok: true, value: 29 });
    expect(yuanToFen("1,234.5")).toEqual({ ok: true, value: 123450 });
    expect(yuanToFen("３５００元")).toEqual({ ok: true, value: 350000 });
    expect(yuanToFen("12.345").ok).toBe(false);
    expect(yuanToFen("abc").ok).toBe(false);
  });

  it("converts percents to basis points and back", () => {
    expect(percentToBp("12")).toEqual({ ok: true, value: 1200 });
    expect(percentToBp("12.5%")).toEqual({ ok: true, value: 1250 });
    expect(percentToBp("0.07")).toEqual({ ok: true, value: 7 });
    expect(percentToBp("-1").ok).toBe(false);
    expect(bpText(1250)).toBe("12.5%");
    expect(bpText(1200)).toBe("12%");
  });

  it("converts m² to hundredths and formats scaled integers", () => {
    expect(areaToHundredths("89.5㎡")).toEqual({ ok: true, value: 8950 });
    expect(formatScaled(5, 2)).toBe("0.05");
    expect(formatScaled(-123456, 2)).toBe("-1234.56");
    expect(fenText(123456789)).toBe("1,234,567.89");
    expect(parseScaled("9".repeat(20), 2)).toBeNull();
  });
});
