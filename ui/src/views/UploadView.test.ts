import { flushPromises, mount, type VueWrapper } from "@vue/test-utils";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import UploadView from "./UploadView.vue";
import type { Material } from "../api";

let wrapper: VueWrapper | null = null;

afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
  document.body.innerHTML = "";
  clearMocks();
});

async function settle() {
  for (let i = 0; i < 5; i++) {
    await flushPromises();
    await new Promise((r) => setTimeout(r, 0));
  }
}

const MATERIAL: Material = {
  id: "CL00000001",
  project: "XM00000013",
  building: "LD00000002",
  kind: "07",
  kind_label: "预售许可证",
  name: "预售许可证.pdf",
  file_type: "pdf",
  size: 2_400_000,
  sha256: "c0ffee".repeat(10) + "abcd",
  serial: "072612060000003",
  status: "accepted",
  uploaded_at: "2026-12-06T02:00:00Z",
};

describe("UploadView (补充项目材料)", () => {
  it("asks for what is missing, then uploads to the chosen project and building and lists the materials", async () => {
    const calls: { cmd: string; args: Record<string, unknown> }[] = [];
    let uploaded = false;
    mockIPC((cmd, payload) => {
      const args = (payload ?? {}) as Record<string, unknown>;
      calls.push({ cmd, args });
      switch (cmd) {
        case "projects":
          return [
            {
              id: "XM00000013",
              status: "active",
              status_label: "已办结",
              editable: false,
              last_serial: null,
              return_reason: null,
              project: { name: "云著" },
              buildings: [{ id: "LD00000002", building_no: "2栋" }],
            },
          ];
        case "code_table":
          return [
            ["01", "营业执照"],
            ["07", "预售许可证"],
          ];
        case "pick_open":
          return "/home/dev/预售许可证.pdf";
        case "material_upload":
          uploaded = true;
          return MATERIAL;
        case "materials":
          return uploaded ? [MATERIAL] : [];
      }
      throw { code: "INTERNAL", message: `no mock for ${cmd}`, issues: [] };
    });
    wrapper = mount(UploadView, {
      props: { business: { code: "project_material", label: "补充项目材料", kind: "upload", hall: "developer" } },
      attachTo: document.body,
    });
    await settle();
    const w = wrapper;

    await w.get('[data-testid="form-submit"]').trigger("click");
    await settle();
    expect(w.findAll('[data-testid="field-error"]').map((e) => e.text())).toEqual(["请选择材料类型", "请选择要上传的文件"]);
    expect(calls.some((c) => c.cmd === "material_upload")).toBe(false);

    // The only project is chosen already; pick the building and kind, browse for the file.
    const selects = w.findAllComponents({ name: "ElSelect" });
    selects[1].vm.$emit("update:modelValue", "LD00000002");
    selects[2].vm.$emit("update:modelValue", "07");
    await w.get('[data-testid="field-browse"]').trigger("click");
    await settle();
    await w.get('[data-testid="form-submit"]').trigger("click");
    await settle();

    expect(calls).toContainEqual({
      cmd: "material_upload",
      args: { project: "XM00000013", kind: "07", path: "/home/dev/预售许可证.pdf", building: "LD00000002" },
    });
    expect(w.get('[data-testid="material-list"]').text()).toContain("预售许可证.pdf");
    expect(w.get('[data-testid="material-list"]').text()).toContain("2.3 MB");
  });
});
