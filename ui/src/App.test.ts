import { flushPromises, mount } from "@vue/test-utils";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import App from "./App.vue";

afterEach(() => {
  clearMocks();
});

describe("App", () => {
  it("shows the app name and the version reported by the Tauri core", async () => {
    mockIPC((cmd) => {
      if (cmd === "plugin:app|version") {
        return "9.8.7";
      }
      throw new Error(`unexpected IPC command ${cmd}`);
    });

    const wrapper = mount(App);
    await flushPromises();

    expect(wrapper.text()).toContain("住房公积金网厅");
    expect(wrapper.get('[data-testid="version"]').text()).toBe("版本 9.8.7");
  });

  it("says the version is unknown when there is no Tauri core to ask", async () => {
    mockIPC(() => {
      throw new Error("no core");
    });

    const wrapper = mount(App);
    await flushPromises();

    expect(wrapper.get('[data-testid="version"]').text()).toBe("版本 未知");
  });
});
