import { clearMocks } from "@tauri-apps/api/mocks";
import type { VueWrapper } from "@vue/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { clearLogin } from "../session";
import type { Settings, SettingsView } from "../api";
import { appError, mockCommands, mountApp, settle } from "../testing";

let mounted: VueWrapper | null = null;

afterEach(() => {
  mounted?.unmount();
  mounted = null;
  clearMocks();
  clearLogin();
  document.body.innerHTML = "";
});

const USER: Settings = {
  server: "https://user.example",
  ca_bundle: "/home/clerk/ca.pem",
  pkcs11_modules: ["/opt/ft/libshuttle_p11v220.so"],
  proxy: null,
  log_level: "info",
};

function view(locked: (keyof Settings)[]): SettingsView {
  return {
    effective: { ...USER, server: "https://gjj.example.gov.cn", ca_bundle: "/etc/gjj/ca.pem" },
    user: USER,
    locked,
    managed_path: locked.length ? "/etc/gjj/managed.toml" : null,
    retention_days: 30,
  };
}

async function openSettings(v: SettingsView, save: (a: Record<string, unknown>) => unknown = (a) => ({ ...v, user: a.user })) {
  const calls = mockCommands({ settings_get: () => v, settings_save: save, pick_open: () => "/usr/lib/libgm3000.so" });
  const r = await mountApp("/settings");
  mounted = r.wrapper;
  return { ...r, calls };
}

const input = (w: VueWrapper, id: string) => w.get(`[data-testid="${id}"] input`).element as HTMLInputElement;

describe("settings", () => {
  it("shows fields fixed by IT disabled, with their effective value and where they come from", async () => {
    const { wrapper } = await openSettings(view(["server", "ca_bundle"]));
    expect(input(wrapper, "settings-server").value).toBe("https://gjj.example.gov.cn");
    expect(input(wrapper, "settings-server").disabled).toBe(true);
    expect(input(wrapper, "settings-ca-bundle").value).toBe("/etc/gjj/ca.pem");
    expect(input(wrapper, "settings-ca-bundle").disabled).toBe(true);
    expect(input(wrapper, "settings-proxy").disabled).toBe(false);
    const tags = wrapper.findAll('[data-testid="settings-locked"]');
    expect(tags.map((t) => t.attributes("data-field"))).toEqual(["server", "ca_bundle"]);
    expect(tags[0].text()).toBe("由 IT 统一配置");
    expect(wrapper.get('[data-testid="settings-managed-path"]').text()).toBe("/etc/gjj/managed.toml");
    expect(wrapper.find('[data-testid="settings-ca-browse"]').exists()).toBe(false);
  });

  it("is editable when nothing is locked", async () => {
    const { wrapper } = await openSettings(view([]));
    expect(input(wrapper, "settings-server").value).toBe("https://user.example");
    expect(input(wrapper, "settings-server").disabled).toBe(false);
    expect(wrapper.find('[data-testid="settings-locked"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="settings-managed"]').exists()).toBe(false);
  });

  it("saves the user's values, keeping locked fields as the user had them", async () => {
    const { wrapper, calls } = await openSettings(view(["server"]));
    await wrapper.get('[data-testid="settings-proxy"] input').setValue("  http://proxy:8080 ");
    await wrapper.get('[data-testid="settings-module-add"]').trigger("click");
    await settle();
    const modules = wrapper.findAll('[data-testid="settings-module"]');
    expect(modules).toHaveLength(2);
    await modules[1].findAll("button")[0].trigger("click"); // 浏览… → pick_open
    await settle();
    await wrapper.get('[data-testid="settings-module-add"]').trigger("click"); // left empty: dropped
    await settle();
    await wrapper.get('[data-testid="settings-save"]').trigger("click");
    await settle();
    expect(calls.find((c) => c.cmd === "settings_save")?.args.user).toEqual({
      server: "https://user.example",
      ca_bundle: "/home/clerk/ca.pem",
      pkcs11_modules: ["/opt/ft/libshuttle_p11v220.so", "/usr/lib/libgm3000.so"],
      proxy: "http://proxy:8080",
      log_level: "info",
    });
  });

  it("removes a driver path and shows why a save was refused", async () => {
    const { wrapper, calls } = await openSettings(view([]), () => {
      throw appError("SETTINGS_INVALID", "中心地址必须以 https:// 开头。");
    });
    await wrapper.get('[data-testid="settings-server"] input').setValue("http://plain.example");
    await wrapper.get('[data-testid="settings-module-remove"]').trigger("click");
    await wrapper.get('[data-testid="settings-save"]').trigger("click");
    await settle();
    const user = calls.find((c) => c.cmd === "settings_save")?.args.user as Settings;
    expect(user.server).toBe("http://plain.example");
    expect(user.pkcs11_modules).toEqual([]);
    expect(user.proxy).toBeNull();
    expect(wrapper.get('[data-testid="settings-error"]').text()).toContain("中心地址必须以 https:// 开头");
  });
});
