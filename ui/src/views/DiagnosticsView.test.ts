import { clearMocks } from "@tauri-apps/api/mocks";
import type { VueWrapper } from "@vue/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { clearLogin } from "../session";
import type { DoctorReport } from "../api";
import { mockCommands, mountApp, settle } from "../testing";

let mounted: VueWrapper | null = null;

afterEach(() => {
  mounted?.unmount();
  mounted = null;
  clearMocks();
  clearLogin();
  document.body.innerHTML = "";
});

const REPORT: DoctorReport = {
  generated_at: "2026-11-27T03:00:00Z",
  checks: [
    { id: "modules", title: "USB key 驱动", status: "ok", detail: "找到 1 个驱动：SoftHSM 2.6", advice: null },
    {
      id: "certificate",
      title: "证书有效期",
      status: "warn",
      detail: "证书将在 12 天后过期",
      advice: "请尽快到 CA 办理证书更新",
    },
    {
      id: "handshake",
      title: "与中心的安全连接",
      status: "fail",
      detail: "中心拒绝了证书：证书已被吊销",
      advice: "请联系 CA 重新签发证书",
    },
    { id: "clock", title: "本机时间", status: "skip", detail: "未连接到中心，无法比较时间", advice: null },
  ],
};

async function openDiagnostics(extra: Record<string, (a: Record<string, unknown>) => unknown> = {}) {
  const calls = mockCommands({
    doctor: () => REPORT,
    app_info: () => ({ version: "1.2.3", data_dir: "/home/clerk/.local/share/gjj", log_file: "/home/clerk/.local/share/gjj/gjj.log" }),
    ...extra,
  });
  const r = await mountApp("/diagnostics");
  mounted = r.wrapper;
  return { ...r, calls };
}

describe("diagnostics", () => {
  it("is reachable logged out and shows every check with its status, detail and advice", async () => {
    const { wrapper, router } = await openDiagnostics();
    expect(router.currentRoute.value.name).toBe("diagnostics");
    const checks = wrapper.findAll('[data-testid="check"]');
    expect(checks.map((c) => [c.attributes("data-id"), c.attributes("data-status")])).toEqual([
      ["modules", "ok"],
      ["certificate", "warn"],
      ["handshake", "fail"],
      ["clock", "skip"],
    ]);
    expect(checks[2].classes()).toContain("check--fail");
    expect(checks[2].text()).toContain("证书已被吊销");
    expect(checks[2].text()).toContain("建议：请联系 CA 重新签发证书");
    expect(checks[0].text()).not.toContain("建议");
    expect(wrapper.get('[data-testid="doctor-summary"]').text()).toContain("1 项检测失败");
    expect(wrapper.get('[data-testid="app-version"]').text()).toBe("1.2.3");
    expect(wrapper.text()).toContain("/home/clerk/.local/share/gjj/gjj.log");
  });

  it("runs the checks again", async () => {
    const { wrapper, calls } = await openDiagnostics();
    await wrapper.get('[data-testid="doctor-rerun"]').trigger("click");
    await settle();
    expect(calls.filter((c) => c.cmd === "doctor")).toHaveLength(2);
  });

  it("exports the logs to the file the user picks, and not when cancelled", async () => {
    let pick: string | null = null;
    const { wrapper, calls } = await openDiagnostics({ pick_save: () => pick, logs_export: () => null });
    await wrapper.get('[data-testid="logs-export"]').trigger("click");
    await settle();
    expect(calls.some((c) => c.cmd === "logs_export")).toBe(false);

    pick = "/tmp/gjj-logs.zip";
    await wrapper.get('[data-testid="logs-export"]').trigger("click");
    await settle();
    expect(calls.find((c) => c.cmd === "pick_save")?.args.title).toBe("导出日志");
    expect(calls.find((c) => c.cmd === "logs_export")?.args).toEqual({ path: "/tmp/gjj-logs.zip" });
  });

  it("says when the checks could not run", async () => {
    const { wrapper } = await openDiagnostics({
      doctor: () => {
        throw { code: "INTERNAL", message: "读取配置失败", issues: [] };
      },
    });
    expect(wrapper.text()).toContain("检测没有完成（INTERNAL）");
    expect(wrapper.text()).toContain("读取配置失败");
  });
});
