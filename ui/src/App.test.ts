import { clearMocks } from "@tauri-apps/api/mocks";
import type { VueWrapper } from "@vue/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";
import { clearLogin, session, setLogin } from "./session";
import type { Home } from "./api";
import { appError, keyList, loginInfo, mockCommands, mountApp, settle } from "./testing";

let mounted: VueWrapper | null = null;

afterEach(() => {
  mounted?.unmount();
  mounted = null;
  clearMocks();
  clearLogin();
  document.body.innerHTML = "";
});

const APP_INFO = { version: "9.8.7", data_dir: "/d", log_file: "/d/gjj.log" };

function homeOf(): Home {
  const info = loginInfo("employer");
  return { me: info.me, policy_year: 2026, businesses: info.businesses, open: [], returned: [], pending_sends: 0 };
}

async function open(path: string) {
  const r = await mountApp(path);
  mounted = r.wrapper;
  return r;
}

describe("App shell", () => {
  it("shows the version the Rust side reports, logged out and logged in", async () => {
    mockCommands({ app_info: () => APP_INFO, keys_list: () => keyList([]), home: homeOf });
    const out = await open("/login");
    expect(out.wrapper.text()).toContain("住房公积金网厅");
    expect(out.wrapper.get('[data-testid="version"]').text()).toBe("版本 9.8.7");
    out.wrapper.unmount();

    setLogin(loginInfo("employer"));
    const inside = await open("/home");
    expect(inside.wrapper.get('[data-testid="version"]').text()).toBe("版本 9.8.7");
  });

  it("says the version is unknown when there is no Tauri core to ask", async () => {
    mockCommands({ keys_list: () => keyList([]) });
    const { wrapper } = await open("/login");
    expect(wrapper.get('[data-testid="version"]').text()).toBe("版本 未知");
  });

  it("sends a logged-out user to the login screen but lets them reach diagnostics and settings", async () => {
    mockCommands({
      app_info: () => APP_INFO,
      keys_list: () => keyList([]),
      doctor: () => ({ checks: [], generated_at: "2026-11-27T00:00:00Z" }),
      settings_get: () => {
        throw appError("INTERNAL", "x");
      },
    });
    const { wrapper, router } = await open("/history");
    expect(router.currentRoute.value.name).toBe("login");
    expect(wrapper.find('[data-testid="nav-logout"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="header-unit"]').exists()).toBe(false);

    await wrapper.get('[data-testid="nav-diagnostics"]').trigger("click");
    await vi.waitFor(() => expect(wrapper.find('[data-testid="diagnostics"]').exists()).toBe(true));
    await wrapper.get('[data-testid="nav-settings"]').trigger("click");
    await vi.waitFor(() => expect(wrapper.find('[data-testid="settings"]').exists()).toBe(true));
    await wrapper.get('[data-testid="nav-login"]').trigger("click");
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe("login"));
  });

  it("shows the unit and hall in the header, the role's menu, and logs out", async () => {
    setLogin(loginInfo("developer"));
    const calls = mockCommands({
      app_info: () => APP_INFO,
      home: () => ({ ...homeOf(), businesses: loginInfo("developer").businesses }),
      keys_list: () => keyList([]),
      history: () => [],
      drafts_list: () => [],
      logout: () => null,
    });
    const { wrapper, router } = await open("/");
    expect(router.currentRoute.value.name).toBe("home");
    expect(wrapper.get('[data-testid="header-unit"]').text()).toBe("示例房地产开发有限公司");
    expect(wrapper.get('[data-testid="header-role"]').text()).toBe("开发商网厅");
    expect(wrapper.findAll('[data-testid="nav-business"]').map((e) => e.text())).toEqual([
      "项目录入",
      "楼栋录入",
      "补充项目材料",
      "贷款申请",
    ]);

    await wrapper.get('[data-testid="nav-history"]').trigger("click");
    await vi.waitFor(() => expect(wrapper.find('[data-testid="history"]').exists()).toBe(true));
    await wrapper.get('[data-testid="nav-home"]').trigger("click");
    await vi.waitFor(() => expect(wrapper.find('[data-testid="home"]').exists()).toBe(true));

    await wrapper.get('[data-testid="nav-logout"]').trigger("click");
    await settle();
    expect(calls.some((c) => c.cmd === "logout")).toBe(true);
    expect(session.info).toBeNull();
    expect(router.currentRoute.value.name).toBe("login");
    expect(wrapper.find('[data-testid="nav-logout"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="login"]').exists()).toBe(true);
  });

  it("ends the local session even when the logout command fails", async () => {
    setLogin(loginInfo("employer"));
    mockCommands({
      home: homeOf,
      keys_list: () => keyList([]),
      logout: () => {
        throw appError("NETWORK_UNREACHABLE", "无法连接中心");
      },
    });
    const { wrapper, router } = await open("/home");
    await wrapper.get('[data-testid="nav-logout"]').trigger("click");
    await settle();
    expect(session.info).toBeNull();
    expect(router.currentRoute.value.name).toBe("login");
  });
});

describe("session end", () => {
  it("leaves a screen that needs a session when the session is cleared elsewhere", async () => {
    setLogin(loginInfo("employer"));
    mockCommands({ home: homeOf, keys_list: () => keyList([]) });
    const { wrapper, router } = await open("/home");
    expect(wrapper.find('[data-testid="home"]').exists()).toBe(true);
    clearLogin();
    await settle();
    expect(router.currentRoute.value.name).toBe("login");
    expect(wrapper.find('[data-testid="home"]').exists()).toBe(false);
  });
});

describe("receipt screen", () => {
  it("loads the receipt by serial and shows it", async () => {
    setLogin(loginInfo("employer"));
    const calls = mockCommands({
      receipt: (a) => ({
        receipt: {
          serial: a.serial,
          business: "base_adjustment",
          unit_account: "9817112009060",
          unit_name: "示例科技有限公司",
          accepted_rows: 3,
          payload_sha256: "ab",
          signature_alg: "rsa-pkcs1-sha256",
          certificate_serial: "0a1b",
          idempotency_key: "k",
          received_at: "2026-11-20T02:00:00Z",
        },
        status: "done",
        status_label: "已办结",
        return_reason: null,
        updated_at: "2026-11-21T02:00:00Z",
      }),
    });
    const { wrapper } = await open("/receipt/0226112000001");
    expect(calls.find((c) => c.cmd === "receipt")?.args).toEqual({ serial: "0226112000001" });
    const view = wrapper.get('[data-testid="receipt-view"]');
    expect(view.text()).toContain("0226112000001");
    expect(view.text()).toContain("已办结");
  });

  it("says why a receipt could not be read", async () => {
    setLogin(loginInfo("employer"));
    mockCommands({
      receipt: () => {
        throw appError("NOT_FOUND", "没有这个业务流水号的回执。");
      },
    });
    const { wrapper } = await open("/receipt/X");
    expect(wrapper.get('[data-testid="receipt-error"]').text()).toContain("没有这个业务流水号的回执");
  });
});
