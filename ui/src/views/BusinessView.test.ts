import { clearMocks } from "@tauri-apps/api/mocks";
import type { VueWrapper } from "@vue/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { clearLogin, setLogin } from "../session";
import type { BatchSummary, DraftView } from "../api";
import { appError, batchSummary, loginInfo, mockCommands, mountApp, settle } from "../testing";

let mounted: VueWrapper | null = null;

afterEach(() => {
  mounted?.unmount();
  mounted = null;
  document.body.innerHTML = "";
  clearMocks();
  clearLogin();
});

const APP = { app_info: () => ({ version: "1.0.0", data_dir: "/d", log_file: "/d/log" }) };

function employer() {
  const info = loginInfo("employer");
  info.businesses = [
    ...info.businesses,
    { code: "contributor_registration", label: "缴存人登记", kind: "batch", hall: "employer" },
  ];
  setLogin(info);
}

async function open(path: string) {
  const { wrapper } = await mountApp(path);
  mounted = wrapper;
  return wrapper;
}

describe("BusinessView", () => {
  it("opens a batch business as the Excel screen", async () => {
    employer();
    mockCommands(APP);
    const w = await open("/business/base_adjustment");
    expect(w.get('[data-testid="batch-view"]').text()).toContain("缴存基数调整");
    expect(w.find('[data-testid="form-view"]').exists()).toBe(false);
  });

  it("opens a form business as the form, asking for the centre's current values", async () => {
    employer();
    const calls = mockCommands({ ...APP, form_current: () => ({ unit_rate: 1200, person_rate: 1000 }) });
    const w = await open("/business/rate_adjustment");
    expect(w.get('[data-testid="form-view"]').text()).toContain("缴存比例调整");
    expect(calls.some((c) => c.cmd === "form_current" && c.args.business === "rate_adjustment")).toBe(true);
  });

  it("a business that is both a batch and a form gets a tab for each", async () => {
    employer();
    mockCommands({ ...APP, code_table: () => [] });
    const w = await open("/business/contributor_registration");
    expect(w.find('[data-testid="batch-view"]').exists()).toBe(true);
    const tabs = w.findAll(".el-tabs__item");
    expect(tabs.map((t) => t.text())).toEqual(["批量导入（Excel）", "单笔录入"]);
    await tabs[1].trigger("click");
    await settle();
    expect(w.find('[data-testid="form-view"] [data-field="id_number"]').exists()).toBe(true);
  });

  it("opens the developer's upload screen for 补充项目材料", async () => {
    setLogin(loginInfo("developer"));
    const calls = mockCommands({
      ...APP,
      projects: () => [],
      code_table: () => [["01", "营业执照"]],
    });
    const w = await open("/business/project_material");
    expect(w.get('[data-testid="form-view"]').text()).toContain("补充项目材料");
    expect(w.find('[data-field="kind"]').exists()).toBe(true);
    expect(calls).toContainEqual({ cmd: "code_table", args: { name: "material_kind" } });
  });

  it("?draft= resumes a batch draft: the file is filled in and imported again", async () => {
    employer();
    const draft: DraftView = {
      id: "d7",
      business: "base_adjustment",
      business_label: "缴存基数调整",
      stale: false,
      title: "缴存基数调整 · 11月.xlsx",
      data: { file: "/home/clerk/11月.xlsx" },
      updated_at: "2026-11-20T02:00:00Z",
    };
    const summary: BatchSummary = batchSummary(
      { business: "base_adjustment", file: "/home/clerk/11月.xlsx", columns: ["序号", "姓名"], rows: 1 },
      [],
    );
    const calls = mockCommands({
      ...APP,
      drafts_list: () => [draft],
      batch_import: () => summary,
      batch_rows: () => [{ row: 2, cells: ["1", "张三"], issues: [] }],
    });
    const w = await open("/business/base_adjustment?draft=d7");
    expect(calls).toContainEqual({
      cmd: "batch_import",
      args: { business: "base_adjustment", path: "/home/clerk/11月.xlsx" },
    });
    expect((w.get('[data-testid="file-path"] input').element as HTMLInputElement).value).toBe("/home/clerk/11月.xlsx");
    expect(w.get('[data-testid="batch-summary"]').text()).toContain("检查通过");
  });

  it("a business this certificate cannot do says so", async () => {
    employer();
    mockCommands(APP);
    const w = await open("/business/project");
    expect(w.get('[data-testid="business-missing"]').text()).toContain("没有这项业务");
  });

  it("without businesses in the session (e.g. after a reload) asks the centre through home()", async () => {
    const info = loginInfo("employer");
    setLogin({ ...info, businesses: [] });
    const calls = mockCommands({
      ...APP,
      home: () => ({ me: info.me, policy_year: 2026, businesses: info.businesses, open: [], returned: [], pending_sends: 0 }),
      drafts_list: () => {
        throw appError("STORE_UNAVAILABLE", "本地数据无法读取");
      },
    });
    const w = await open("/business/base_adjustment");
    expect(calls.some((c) => c.cmd === "home")).toBe(true);
    expect(w.find('[data-testid="batch-view"]').exists()).toBe(true);
  });
});
