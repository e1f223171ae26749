import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { VueWrapper } from "@vue/test-utils";
import type { Issue, OfflineReport } from "../api";
import { batchSummary, mountApp, settle } from "../testing";

const REPORT: OfflineReport = {
  basis: "cached",
  unit_name: "示例科技有限公司",
  unit_uscc: "91520100MA6DXXXX1X",
  fetched_at: "2026-12-01T08:00:00Z",
  age_days: 5,
  policy_year: 2026,
  left_for_centre: ["个人账号是否属于本单位，姓名、证件号码是否与中心记录一致", "缴存人账户是否为正常状态"],
  summary: "离线检查（未连接中心）：依据 2026-12-01 登录时缓存的“示例科技有限公司”单位信息（5 天前）和 2026 年度政策。",
};
const FILE = "/home/clerk/基数调整.xlsx";

let wrapper: VueWrapper | null = null;

afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
  document.body.innerHTML = "";
  clearMocks();
});

function backend(issues: Issue[], offline: OfflineReport | null = { ...REPORT, left_for_centre: [...REPORT.left_for_centre] }) {
  const calls: string[] = [];
  mockIPC(
    (cmd, payload) => {
      calls.push(cmd);
      const args = (payload ?? {}) as Record<string, unknown>;
      switch (cmd) {
        case "offline_check":
          return REPORT;
        case "batch_import":
          return {
            ...batchSummary(
              { business: args.business as string, file: FILE, columns: ["个人账号", "姓名", "证件号码"], rows: 3 },
              issues,
            ),
            offline,
          };
        case "batch_rows":
          return [];
        case "keys_list":
          return { modules: [], keys: [], hint: null, store_error: null };
        default:
          throw { code: "INTERNAL", message: `no mock for ${cmd}`, issues: [] };
      }
    },
    { shouldMockEvents: true },
  );
  return calls;
}

describe("离线检查", () => {
  it("is reachable from the login screen without a key", async () => {
    backend([]);
    const { wrapper: w, router } = await mountApp("/login");
    wrapper = w;
    await w.get('[data-testid="offline-check-link"]').trigger("click");
    // A lazy chunk: its first import takes a moment.
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe("offline-check"));
    await vi.waitFor(() => expect(w.get('[data-testid="offline-basis"]').text()).toContain("5 天前"));
  });

  it("checks a sheet, says on what and what is left for the centre, and offers no submit", async () => {
    const calls = backend([{ row: 3, column: "证件号码", code: "ID_NUMBER_CHECKSUM", message: "校验位不正确" }]);
    const { wrapper: w } = await mountApp("/check");
    wrapper = w;
    await w.get('[data-testid="file-path"] input').setValue(FILE);
    await w.get('[data-testid="import-button"]').trigger("click");
    await settle();
    expect(calls).toContain("offline_check");
    expect(calls).toContain("batch_import");
    const banner = w.get('[data-testid="offline-banner"]');
    expect(banner.text()).toContain("离线检查");
    expect(w.findAll('[data-testid="offline-left"]').map((l) => l.text())).toEqual(REPORT.left_for_centre);
    expect(w.get('[data-testid="issue-item"]').text()).toContain("校验位不正确");
    expect(w.find('[data-testid="submit-button"]').exists()).toBe(false);
    expect(w.find('[data-testid="save-draft"]').exists()).toBe(false);
    expect(w.get('[data-testid="offline-no-submit"]').text()).toContain("USB key");
  });

  it("a clean sheet is 离线检查通过, never plain 检查通过", async () => {
    backend([]);
    const { wrapper: w } = await mountApp("/check");
    wrapper = w;
    await w.get('[data-testid="file-path"] input').setValue(FILE);
    await w.get('[data-testid="import-button"]').trigger("click");
    await settle();
    expect(w.get('[data-testid="batch-summary"]').text()).toContain("离线检查通过");
  });
});
