import { clearMocks } from "@tauri-apps/api/mocks";
import type { DOMWrapper, VueWrapper } from "@vue/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";
import { clearLogin } from "../session";
import type { Home } from "../api";
import { appError, cert, key, keyList, loginInfo, mockCommands, mountApp, settle } from "../testing";

let mounted: VueWrapper | null = null;

afterEach(() => {
  mounted?.unmount();
  mounted = null;
  clearMocks();
  clearLogin();
});

async function open(path = "/login") {
  const r = await mountApp(path);
  mounted = r.wrapper;
  return r;
}

function homeOf(role: "employer" | "developer"): Home {
  const info = loginInfo(role);
  return { me: info.me, policy_year: 2026, businesses: info.businesses, open: [], returned: [], pending_sends: 0 };
}

const pinInput = (w: VueWrapper) => w.get('[data-testid="pin-input"] input');

async function typePinAndSubmit(w: VueWrapper, pin: string, how: "click" | "enter" = "click") {
  await pinInput(w).setValue(pin);
  if (how === "enter") await pinInput(w).trigger("keyup", { key: "Enter" });
  else await w.get('[data-testid="pin-submit"]').trigger("click");
  await settle();
}

describe("login: keys and certificates", () => {
  it("lists every key and certificate with the expiry warning, and needs a choice when there are several", async () => {
    mockCommands({
      keys_list: () =>
        keyList([
          key({
            label: "unit-a",
            vendor: "飞天诚信",
            certificates: [
              cert({ fingerprint: "f1", unit_name: "甲公司" }),
              cert({
                fingerprint: "f2",
                unit_name: "乙公司",
                days_left: 12,
                expiry_warning: { level: "warning", message: "证书将在 12 天后过期，请尽快到 CA 办理更新。" },
              }),
            ],
          }),
          key({ label: "unit-b", slot: 2, vendor: "握奇", certificates: [cert({ fingerprint: "f3", unit_name: "丙公司" })] }),
        ]),
    });
    const { wrapper } = await open();

    const list = wrapper.get('[data-testid="key-list"]');
    expect(list.text()).toContain("unit-a");
    expect(list.text()).toContain("飞天诚信");
    expect(list.text()).toContain("握奇");
    const options = wrapper.findAll('[data-testid="cert-option"]');
    expect(options.map((o) => o.attributes("data-unit"))).toEqual(["甲公司", "乙公司", "丙公司"]);
    expect(options.map((o) => o.attributes("data-fingerprint"))).toEqual(["f1", "f2", "f3"]);
    expect(options[0].text()).toContain("91520100MA6DXXXX1X");
    expect(options[0].text()).toContain("贵州省数字证书认证中心");
    expect(options[0].text()).toContain("2027-03-31");
    expect(options[0].text()).toContain("剩余 120 天");

    const warnings = wrapper.findAll('[data-testid="expiry-warning"]');
    expect(warnings).toHaveLength(1);
    expect(warnings[0].text()).toContain("12 天后过期");
    expect(warnings[0].classes()).toContain("el-alert--warning");
    expect(options[1].find('[data-testid="expiry-warning"]').exists()).toBe(true);

    // Several certificates: nothing is preselected, so login waits for a choice.
    const button = wrapper.get('[data-testid="login-button"]');
    expect(button.attributes("disabled")).toBeDefined();
    await options[2].trigger("click");
    expect(button.attributes("disabled")).toBeUndefined();
    expect(options[2].classes()).toContain("is-chosen");
  });

  it("shows a danger-level expiry warning as an error alert", async () => {
    mockCommands({
      keys_list: () =>
        keyList([
          key({
            certificates: [
              cert({ days_left: 3, expiry_warning: { level: "danger", message: "证书 3 天后过期" } }),
            ],
          }),
        ]),
    });
    const { wrapper } = await open();
    expect(wrapper.get('[data-testid="expiry-warning"]').classes()).toContain("el-alert--error");
  });

  it("preselects the only certificate", async () => {
    mockCommands({ keys_list: () => keyList([key()]) });
    const { wrapper } = await open();
    expect(wrapper.get('[data-testid="login-button"]').attributes("disabled")).toBeUndefined();
    expect(wrapper.get('[data-testid="cert-option"]').classes()).toContain("is-chosen");
  });

  it("shows the driver hint and a way to diagnostics when no key is found, and 刷新 lists again", async () => {
    let plugged = false;
    const calls = mockCommands({
      keys_list: () => (plugged ? keyList([key()]) : keyList([], "没有找到 USB key 驱动：请安装证书服务商提供的驱动。")),
    });
    const { wrapper, router } = await open();

    expect(wrapper.get('[data-testid="key-hint"]').text()).toContain("请安装证书服务商提供的驱动");
    expect(wrapper.findAll('[data-testid="cert-option"]')).toHaveLength(0);
    expect(wrapper.get('[data-testid="login-button"]').attributes("disabled")).toBeDefined();

    plugged = true;
    await wrapper.get('[data-testid="key-refresh"]').trigger("click");
    await settle();
    expect(calls.filter((c) => c.cmd === "keys_list")).toHaveLength(2);
    expect(wrapper.findAll('[data-testid="cert-option"]')).toHaveLength(1);
    expect(wrapper.find('[data-testid="key-hint"]').exists()).toBe(false);

    plugged = false;
    await wrapper.get('[data-testid="key-refresh"]').trigger("click");
    await settle();
    await wrapper.get('[data-testid="hint-diagnostics"]').trigger("click");
    // The diagnostics screen is a lazy chunk: its first import takes a moment.
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe("diagnostics"));
  });
});

describe("login: PIN", () => {
  it("says PIN 错误 and then the token's count-low, final-try and locked variants", async () => {
    const answers = [
      appError("PIN_INCORRECT", "PIN 不正确，请重新输入。"),
      appError("PIN_COUNT_LOW", "PIN 不正确，可尝试的次数已不多。"),
      appError("PIN_FINAL_TRY", "PIN 不正确，再错一次将锁定。"),
      appError("PIN_LOCKED", "USB key 的 PIN 已被锁定。"),
    ];
    const calls = mockCommands({
      keys_list: () => keyList([key()]),
      login: () => {
        throw answers.shift();
      },
    });
    const { wrapper } = await open();
    await wrapper.get('[data-testid="login-button"]').trigger("click");
    await settle();

    await typePinAndSubmit(wrapper, "000000");
    let error = wrapper.get('[data-testid="pin-error"]');
    expect(error.text()).toContain("PIN 错误");
    expect(error.text()).toContain("PIN 不正确，请重新输入。");
    expect((pinInput(wrapper).element as HTMLInputElement).value).toBe("");
    expect(wrapper.find('[data-testid="pin-flag"]').exists()).toBe(false);

    await typePinAndSubmit(wrapper, "111111");
    error = wrapper.get('[data-testid="pin-error"]');
    expect(error.text()).toContain("PIN 错误，剩余次数不多");
    expect(wrapper.get('[data-testid="pin-flag"]').attributes("data-flag")).toBe("count_low");

    await typePinAndSubmit(wrapper, "222222");
    expect(wrapper.get('[data-testid="pin-error"]').text()).toContain("PIN 错误，只剩最后一次机会");
    expect(wrapper.get('[data-testid="pin-flag"]').attributes("data-flag")).toBe("final_try");

    await typePinAndSubmit(wrapper, "333333");
    error = wrapper.get('[data-testid="pin-error"]');
    expect(error.text()).toContain("USB key 已锁定");
    expect(error.text()).toContain("请不要再尝试输入 PIN");
    expect(error.text()).toContain("CA / 证书服务商解锁");
    expect(pinInput(wrapper).attributes("disabled")).toBeDefined();
    expect(wrapper.get('[data-testid="pin-submit"]').attributes("disabled")).toBeDefined();

    const logins = calls.filter((c) => c.cmd === "login");
    expect(logins.map((c) => c.args.pin)).toEqual(["000000", "111111", "222222", "333333"]);
    expect(logins[0].args.key).toEqual({ module: "/usr/lib/softhsm/libsofthsm2.so", label: "unit-a", fingerprint: "aa11" });
  });

  it("disables the PIN input of a key that is already locked and says what to do", async () => {
    const calls = mockCommands({
      keys_list: () => keyList([key({ pin_flags: { count_low: true, final_try: true, locked: true } })]),
    });
    const { wrapper } = await open();
    expect(wrapper.get('[data-testid="key-list"]').text()).toContain("已锁定");
    await wrapper.get('[data-testid="login-button"]').trigger("click");
    await settle();

    expect(pinInput(wrapper).attributes("disabled")).toBeDefined();
    expect(wrapper.get('[data-testid="pin-submit"]').attributes("disabled")).toBeDefined();
    const flag = wrapper.get('[data-testid="pin-flag"]');
    expect(flag.attributes("data-flag")).toBe("locked");
    expect(flag.text()).toContain("USB key 已锁定");
    expect(flag.text()).toContain("CA / 证书服务商解锁");

    await pinInput(wrapper).trigger("keyup", { key: "Enter" });
    await settle();
    expect(calls.some((c) => c.cmd === "login")).toBe(false);
  });

  it("warns before typing when the token already reports few tries left", async () => {
    mockCommands({ keys_list: () => keyList([key({ pin_flags: { count_low: true, final_try: false, locked: false } })]) });
    const { wrapper } = await open();
    await wrapper.get('[data-testid="login-button"]').trigger("click");
    await settle();
    expect(wrapper.get('[data-testid="pin-flag"]').attributes("data-flag")).toBe("count_low");
    expect(pinInput(wrapper).attributes("disabled")).toBeUndefined();
  });

  it("shows code and message of other login errors", async () => {
    mockCommands({
      keys_list: () => keyList([key()]),
      login: () => {
        throw appError("UNIT_UNKNOWN", "中心没有此证书对应的单位，请联系中心核对单位登记信息。");
      },
    });
    const { wrapper } = await open();
    await wrapper.get('[data-testid="login-button"]').trigger("click");
    await settle();
    await typePinAndSubmit(wrapper, "123456");
    const error = wrapper.get('[data-testid="pin-error"]').text();
    expect(error).toContain("UNIT_UNKNOWN");
    expect(error).toContain("中心没有此证书对应的单位");
    expect(error).not.toContain("PIN 错误");
  });
});

describe("login: a certificate of the Windows certificate store", () => {
  const storeKey = () =>
    key({
      module: "windows-store:CurrentUser",
      label: "Windows 证书存储（当前用户\\个人）",
      vendor: "HaiTai Cryptographic Service Provider",
      serial: "ff10aac62c8fd84cdbd6b8c227d3b70785678595",
      store: { location: "CurrentUser", provider: "HaiTai Cryptographic Service Provider", cng: false, tls12_only: true },
    });

  it("logs in without our PIN dialog (the driver asks) and says a legacy CSP means TLS 1.2", async () => {
    const calls = mockCommands({
      keys_list: () => keyList([storeKey()]),
      login: () => loginInfo("employer"),
      home: () => homeOf("employer"),
    });
    const { wrapper, router } = await open();
    expect(wrapper.get('[data-testid="store-tag"]').text()).toBe("CSP · TLS 1.2");
    expect(wrapper.get('[data-testid="key"]').text()).toContain("指纹 ff10aac6");
    await wrapper.get('[data-testid="login-button"]').trigger("click");
    await settle();
    expect(wrapper.find('[data-testid="pin-dialog"] input').exists()).toBe(false);
    const call = calls.find((c) => c.cmd === "login");
    expect(call?.args.pin).toBe("");
    expect((call?.args.key as { module: string }).module).toBe("windows-store:CurrentUser");
    expect(router.currentRoute.value.name).toBe("home");
  });

  it("reports the driver dialog's cancel as a cancel, not as a wrong PIN", async () => {
    mockCommands({
      keys_list: () => keyList([storeKey()]),
      login: () => {
        throw appError("PIN_CANCELLED", "已取消输入 PIN，未登录。");
      },
    });
    const { wrapper, router } = await open();
    await wrapper.get('[data-testid="login-button"]').trigger("click");
    await settle();
    const error = wrapper.get('[data-testid="driver-pin-error"]').text();
    expect(error).toContain("已取消登录");
    expect(error).not.toContain("PIN 错误");
    expect(router.currentRoute.value.name).toBe("login");
  });
});

describe("login: success and the role's menu", () => {
  async function loginAs(role: "employer" | "developer") {
    const calls = mockCommands({
      keys_list: () => keyList([key({ certificates: [cert({ role })] })]),
      login: () => loginInfo(role),
      home: () => homeOf(role),
    });
    const r = await open();
    await r.wrapper.get('[data-testid="login-button"]').trigger("click");
    await settle();
    await typePinAndSubmit(r.wrapper, "123456", "enter");
    return { ...r, calls };
  }

  const codes = (els: DOMWrapper<Element>[]) => els.map((e) => e.attributes("data-code"));

  it("an employer lands on home with the employer hall's businesses", async () => {
    const { wrapper, router, calls } = await loginAs("employer");
    expect(calls.find((c) => c.cmd === "login")?.args.pin).toBe("123456");
    expect(router.currentRoute.value.name).toBe("home");
    expect(wrapper.get('[data-testid="header-unit"]').text()).toBe("示例科技有限公司");
    expect(wrapper.get('[data-testid="header-role"]').text()).toBe("单位网厅");
    expect(codes(wrapper.findAll('[data-testid="menu-item"]'))).toEqual([
      "unit_change",
      "base_adjustment",
      "rate_adjustment",
      "remittance",
    ]);
    expect(codes(wrapper.findAll('[data-testid="nav-business"]'))).toContain("base_adjustment");
    expect(wrapper.find('[data-testid="login"]').exists()).toBe(false);
  });

  it("a developer gets the developer hall instead", async () => {
    const { wrapper, router } = await loginAs("developer");
    expect(router.currentRoute.value.name).toBe("home");
    expect(wrapper.get('[data-testid="header-role"]').text()).toBe("开发商网厅");
    const tiles = codes(wrapper.findAll('[data-testid="menu-item"]'));
    expect(tiles).toEqual(["project", "building", "project_material", "loan_application"]);
    expect(tiles).not.toContain("base_adjustment");
    expect(codes(wrapper.findAll('[data-testid="nav-business"]'))).not.toContain("base_adjustment");
  });

  it("logs in with a .pfx file", async () => {
    const calls = mockCommands({
      keys_list: () => keyList([]),
      pick_open: () => "/home/clerk/unit.pfx",
      login_pfx: (args) => {
        if (args.password !== "secret") throw appError("PFX_PASSWORD", "证书文件的密码不正确。");
        return loginInfo("employer");
      },
      home: () => homeOf("employer"),
    });
    const { wrapper, router } = await open();
    await wrapper.get('[data-testid="pfx-tab"]').trigger("click");
    await settle();
    await wrapper.get('[data-testid="pfx-browse"]').trigger("click");
    await settle();
    expect((wrapper.get('[data-testid="pfx-path"] input').element as HTMLInputElement).value).toBe("/home/clerk/unit.pfx");

    await wrapper.get('[data-testid="pfx-password"] input').setValue("wrong");
    await wrapper.get('[data-testid="pfx-login"]').trigger("click");
    await settle();
    expect(wrapper.get('[data-testid="pfx-error"]').text()).toContain("证书文件的密码不正确");
    expect(router.currentRoute.value.name).toBe("login");

    await wrapper.get('[data-testid="pfx-password"] input').setValue("secret");
    await wrapper.get('[data-testid="pfx-login"]').trigger("click");
    await settle();
    expect(calls.filter((c) => c.cmd === "login_pfx").map((c) => c.args)).toEqual([
      { path: "/home/clerk/unit.pfx", password: "wrong" },
      { path: "/home/clerk/unit.pfx", password: "secret" },
    ]);
    expect(router.currentRoute.value.name).toBe("home");
  });
});
