import { clearMocks } from "@tauri-apps/api/mocks";
import type { VueWrapper } from "@vue/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";
import { clearLogin, setLogin } from "../session";
import type { Home, SubmissionView } from "../api";
import { loginInfo, mockCommands, mountApp, settle } from "../testing";

let mounted: VueWrapper | null = null;

afterEach(() => {
  mounted?.unmount();
  mounted = null;
  clearMocks();
  clearLogin();
});

function submission(serial: string, over: Partial<SubmissionView> = {}): SubmissionView {
  return {
    receipt: {
      serial,
      business: "base_adjustment",
      unit_account: "9817112009060",
      unit_name: "示例科技有限公司",
      accepted_rows: 3,
      payload_sha256: "ab",
      signature_alg: "rsa-pkcs1-sha256",
      certificate_serial: "0a1b",
      idempotency_key: `k-${serial}`,
      received_at: "2026-11-20T02:00:00Z",
    },
    status: "accepted",
    status_label: "已受理",
    return_reason: null,
    updated_at: "2026-11-20T02:00:00Z",
    ...over,
  };
}

function homeData(over: Partial<Home> = {}): Home {
  const info = loginInfo("employer");
  return {
    me: info.me,
    policy_year: 2026,
    businesses: info.businesses,
    open: [submission("0226112000001"), submission("0226112000002", { status: "reviewing", status_label: "审核中" })],
    returned: [
      submission("0226111500009", {
        receipt: { ...submission("0226111500009").receipt, business: "remittance" },
        status: "returned",
        status_label: "已退回",
        return_reason: "第 3 行缴存基数低于最低标准，请核对后重新提交。",
      }),
    ],
    pending_sends: 0,
    ...over,
  };
}

async function openHome(data: Home) {
  setLogin(loginInfo("employer"));
  const calls = mockCommands({ home: () => data, send_pending: () => 0, receipt: () => submission("0226112000001") });
  const r = await mountApp("/home");
  mounted = r.wrapper;
  return { ...r, calls };
}

describe("home", () => {
  it("shows the unit's facts from the centre", async () => {
    const { wrapper } = await openHome(homeData());
    const home = wrapper.get('[data-testid="home"]');
    expect(home.get('[data-testid="unit-name"]').text()).toBe("示例科技有限公司");
    expect(home.get('[data-testid="unit-account"]').text()).toBe("9817112009060");
    expect(home.get('[data-testid="paid-through"]').text()).toBe("2026年10月");
    expect(home.get('[data-testid="policy-year"]').text()).toContain("2026");
    expect(home.get('[data-testid="unit-status"]').text()).toBe("正常");
    expect(home.get('[data-testid="unit-rate"]').text()).toBe("12.00%");
    expect(home.get('[data-testid="person-rate"]').text()).toBe("10.50%");
  });

  it("lists open and returned submissions with the return reason, and opens a receipt", async () => {
    const { wrapper, router } = await openHome(homeData());
    const open = wrapper.get('[data-testid="open-submissions"]');
    expect(open.findAll('[data-testid="open-row"]').map((r) => r.attributes("data-serial"))).toEqual([
      "0226112000001",
      "0226112000002",
    ]);
    expect(open.text()).toContain("缴存基数调整");
    expect(open.text()).toContain("审核中");
    const returned = wrapper.get('[data-testid="returned-submissions"]');
    expect(returned.text()).toContain("汇缴");
    expect(returned.text()).toContain("第 3 行缴存基数低于最低标准");

    await open.findAll('[data-testid="open-row"]')[0].trigger("click");
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe("/receipt/0226112000001"));
  });

  it("opens a business from its tile", async () => {
    const { wrapper, router } = await openHome(homeData());
    await wrapper.get('[data-testid="menu-item"][data-code="rate_adjustment"]').trigger("click");
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe("/business/rate_adjustment"));
  });

  it("offers 立即发送 when sends are queued and reloads after sending", async () => {
    const { wrapper, calls } = await openHome(homeData({ pending_sends: 2 }));
    expect(wrapper.get('[data-testid="pending-sends"]').text()).toContain("2");
    await wrapper.get('[data-testid="send-pending"]').trigger("click");
    await settle();
    expect(calls.map((c) => c.cmd).filter((c) => c !== "app_info")).toEqual(["home", "send_pending", "home"]);
  });

  it("hides the pending banner when nothing is queued", async () => {
    const { wrapper } = await openHome(homeData());
    expect(wrapper.find('[data-testid="pending-sends"]').exists()).toBe(false);
  });
});
