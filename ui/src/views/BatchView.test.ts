import { flushPromises, mount, type VueWrapper } from "@vue/test-utils";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
import { afterEach, describe, expect, it } from "vitest";
import BatchView from "./BatchView.vue";
import { ElPagination } from "element-plus";
import type { BatchSummary, BusinessInfo, CellIssue, GridRowView, HistoryEntry, Issue, Receipt } from "../api";
import { batchSummary, issueOrder, SUMMARY_ISSUES } from "../testing";

const BUSINESS: BusinessInfo = { code: "base_adjustment", label: "缴存基数调整", kind: "batch", hall: "employer" };
const COLUMNS = ["序号", "个人账号", "姓名", "证件号码", "调整后缴存基数（元）"];
const FILE = "/home/clerk/基数调整.xlsx";
const ROWS = 5_000;

function rowAt(i: number, issues: CellIssue[] = []): GridRowView {
  return { row: i + 2, cells: [String(i + 1), `10${i}`, `职工${i}`, "520102199001011234", "5000.00"], issues };
}

function summary(issues: Issue[], rows = ROWS): BatchSummary {
  return batchSummary({ business: BUSINESS.code, file: FILE, columns: COLUMNS, header_row: 1, rows }, issues);
}

const ISSUES: Issue[] = [
  { row: 0, column: "", code: "BASE_MONTH", message: "本年度的基数调整已办理，不能重复提交" },
  { row: 4, column: "姓名", code: "NAME_MISMATCH", message: "姓名与中心登记的“王五”不一致，请核对" },
  { row: 4001, column: "调整后缴存基数（元）", code: "BASE_TOO_LOW", message: "缴存基数低于最低标准 2,130.00 元" },
];

const RECEIPT: Receipt = {
  serial: "0226112700042",
  business: BUSINESS.code,
  unit_account: "9817112009060",
  unit_name: "示例科技有限公司",
  accepted_rows: ROWS,
  payload_sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
  signature_alg: "SHA256withRSA",
  certificate_serial: "0a1b",
  idempotency_key: "k1",
  received_at: "2026-11-27T02:00:00Z",
};

interface Call {
  cmd: string;
  args: Record<string, unknown>;
}

type Handlers = Record<string, (args: Record<string, unknown>) => unknown>;

/** The sheet as Rust holds it: its row count and its full issue list (an edit may change it). */
interface Sheet {
  rows: number;
  issues: Issue[];
}

/**
 * The Rust side of a batch screen: the sheet (by default the one above), handlers per command, every call
 * recorded. Rows carry their own issues; the summary only the first SUMMARY_ISSUES; batch_issues pages them all.
 */
function backend(over: Handlers = {}, sheet: Sheet = { rows: ROWS, issues: ISSUES }): Call[] {
  const calls: Call[] = [];
  const handlers: Handlers = {
    batch_import: () => summary(sheet.issues, sheet.rows),
    batch_rows: (a) => {
      const byRow = new Map<number, CellIssue[]>();
      for (const { row, column, code, message } of sheet.issues) {
        const list = byRow.get(row) ?? [];
        list.push({ column, code, message });
        byRow.set(row, list);
      }
      const out: GridRowView[] = [];
      const [offset, limit] = [a.offset as number, a.limit as number];
      for (let i = offset; i < Math.min(sheet.rows, offset + limit); i++) out.push(rowAt(i, byRow.get(i + 2)));
      return out;
    },
    batch_issues: (a) => issueOrder(sheet.issues).slice(a.offset as number, (a.offset as number) + (a.limit as number)),
    batch_row_index: (a) => (a.row as number) - 2,
    ...over,
  };
  mockIPC(
    (cmd, payload) => {
      const args = (payload ?? {}) as Record<string, unknown>;
      calls.push({ cmd, args });
      const h = handlers[cmd];
      if (!h) throw { code: "INTERNAL", message: `no mock for ${cmd}`, issues: [] };
      return h(args);
    },
    { shouldMockEvents: true },
  );
  return calls;
}

async function settle() {
  for (let i = 0; i < 5; i++) {
    await flushPromises();
    await new Promise((r) => setTimeout(r, 0));
  }
}

let wrapper: VueWrapper | null = null;

afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
  document.body.innerHTML = "";
  clearMocks();
});

async function imported(over: Handlers = {}, sheet?: Sheet) {
  const calls = backend(over, sheet);
  wrapper = mount(BatchView, { props: { business: BUSINESS }, attachTo: document.body });
  await settle();
  await wrapper.get('[data-testid="file-path"] input').setValue(FILE);
  await wrapper.get('[data-testid="import-button"]').trigger("click");
  await settle();
  return calls;
}

describe("BatchView", () => {
  it("imports the sheet: summary, bad cells marked with their message, the issue list, sheet issues above", async () => {
    const calls = await imported();
    const w = wrapper!;

    expect(calls).toContainEqual({ cmd: "batch_import", args: { business: "base_adjustment", path: FILE } });
    const s = w.get('[data-testid="batch-summary"]').text();
    expect(s).toContain("共 5,000 行");
    expect(s).toContain("发现 3 个问题");
    expect(s).not.toContain("检查通过");

    const bad = w.get('[data-testid="cell"][data-row="4"][data-col="姓名"]');
    expect(bad.classes()).toContain("cell-bad");
    expect(bad.attributes("title")).toContain("不一致");

    expect(s).toContain("发现 3 个问题（涉及 2 行）");

    // The whole list, sheet-level first; the summary carries all of it, so no page is asked for.
    const items = w.findAll('[data-testid="issue-item"]');
    expect(items).toHaveLength(3);
    expect(items[0].attributes("data-row")).toBe("0");
    expect(items[0].text()).toContain("整张表");
    expect(items[1].attributes("data-row")).toBe("4");
    expect(items[1].attributes("data-col")).toBe("姓名");
    expect(calls.some((c) => c.cmd === "batch_issues")).toBe(false);
    expect(w.findComponent(ElPagination).exists()).toBe(false);
    expect(w.get('[data-testid="sheet-issue"]').text()).toContain("不能重复提交");

    expect(w.get('[data-testid="submit-button"]').attributes("disabled")).toBeDefined();
    expect(w.get('[data-testid="export-issues"]').attributes("disabled")).toBeUndefined();
  });

  it("shows progress while Rust reads the file, fed by batch-progress events", async () => {
    let finish: (s: BatchSummary) => void = () => {};
    backend({ batch_import: () => new Promise<BatchSummary>((r) => (finish = r)) });
    wrapper = mount(BatchView, { props: { business: BUSINESS }, attachTo: document.body });
    await settle();
    await wrapper.get('[data-testid="file-path"] input').setValue(FILE);
    await wrapper.get('[data-testid="import-button"]').trigger("click");
    await settle();

    expect(wrapper.get('[data-testid="import-progress"]').text()).toContain("读取中");
    await emit("batch-progress", { business: "base_adjustment", stage: "reading", rows: 12_345, message: null });
    await settle();
    expect(wrapper.get('[data-testid="import-progress"]').text()).toContain("已读取 12,345 行");
    // Another business's progress is not ours.
    await emit("batch-progress", { business: "remittance", stage: "checking", rows: 1, message: null });
    await emit("batch-progress", { business: "base_adjustment", stage: "checking", rows: 50_000, message: null });
    await settle();
    expect(wrapper.get('[data-testid="import-progress"]').text()).toContain("检查中，已读取 50,000 行");

    finish(summary([]));
    await settle();
    expect(wrapper.find('[data-testid="import-progress"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="batch-summary"]').text()).toContain("检查通过");
  });

  it("clicking an issue asks for the row's index and scrolls the grid to the cell", async () => {
    const calls = await imported();
    const w = wrapper!;
    expect(w.find('[data-testid="cell"][data-row="4001"]').exists()).toBe(false);

    await w.findAll('[data-testid="issue-item"]')[2].trigger("click");
    await settle();

    expect(calls).toContainEqual({ cmd: "batch_row_index", args: { row: 4001 } });
    const cell = w.get('[data-testid="cell"][data-row="4001"][data-col="调整后缴存基数（元）"]');
    expect(cell.classes()).toContain("cell-bad");
    expect(cell.classes()).toContain("cell-focus");
    expect(document.activeElement).toBe(cell.element);
  });

  it("fixing cells in place updates the issues; clean enables submit; submit confirms and hands on the receipt", async () => {
    const sheet: Sheet = { rows: ROWS, issues: ISSUES };
    const calls = await imported(
      {
        batch_edit: (a) => {
          // The fix also settles the sheet-level problem (say, it was about this row).
          sheet.issues = sheet.issues.filter((i) => i.row !== 0 && !(i.row === a.row && i.column === a.column));
          return summary(sheet.issues);
        },
        batch_submit: () => RECEIPT,
      },
      sheet,
    );
    const w = wrapper!;

    // Only the first fix: one issue left, still not clean.
    await w.get('[data-testid="cell"][data-row="4"][data-col="姓名"]').trigger("dblclick");
    await w.get('[data-testid="cell-editor"]').setValue("王五");
    await w.get('[data-testid="cell-editor"]').trigger("keydown", { key: "Enter" });
    await settle();
    expect(calls).toContainEqual({ cmd: "batch_edit", args: { row: 4, column: "姓名", value: "王五" } });
    expect(w.findAll('[data-testid="issue-item"]')).toHaveLength(1);
    expect(w.get('[data-testid="batch-summary"]').text()).toContain("发现 1 个问题（涉及 1 行）");
    // The grid fetched the row again: its mark is gone.
    expect(w.get('[data-testid="cell"][data-row="4"][data-col="姓名"]').classes()).not.toContain("cell-bad");
    expect(w.find('[data-testid="sheet-issue"]').exists()).toBe(false);
    expect(w.get('[data-testid="submit-button"]').attributes("disabled")).toBeDefined();

    // The second through the issue list.
    await w.get('[data-testid="issue-item"]').trigger("click");
    await settle();
    await w.get('[data-testid="cell"][data-row="4001"][data-col="调整后缴存基数（元）"]').trigger("dblclick");
    await w.get('[data-testid="cell-editor"]').setValue("3000");
    await w.get('[data-testid="cell-editor"]').trigger("keydown", { key: "Enter" });
    await settle();

    expect(w.findAll('[data-testid="issue-item"]')).toHaveLength(0);
    expect(w.get('[data-testid="batch-summary"]').text()).toContain("检查通过");
    expect(w.find(".cell-bad").exists()).toBe(false);
    const submit = w.get('[data-testid="submit-button"]');
    expect(submit.attributes("disabled")).toBeUndefined();

    await submit.trigger("click");
    await settle();
    expect(calls.some((c) => c.cmd === "batch_submit")).toBe(false);
    await w.get('[data-testid="submit-confirm"]').trigger("click");
    await settle();

    expect(calls.filter((c) => c.cmd === "batch_submit")).toHaveLength(1);
    // The receipt goes to the page that shows it (BusinessView navigates); no card under the grid.
    expect(w.emitted("submitted")).toEqual([[RECEIPT]]);
    expect(w.find('[data-testid="receipt"]').exists()).toBe(false);
    // Until the screen makes way, the sheet is the centre's: no second submit, no edit.
    expect(w.get('[data-testid="submit-button"]').attributes("disabled")).toBeDefined();
    await w.get('[data-testid="cell"][data-row="4001"][data-col="姓名"]').trigger("dblclick");
    expect(w.find('[data-testid="cell-editor"]').exists()).toBe(false);
  });

  it("a submit that did not reach the centre but was kept in the outbox is handed on as queued, not as an error", async () => {
    const queued: HistoryEntry = {
      idempotency_key: "k-queued",
      business: BUSINESS.code,
      business_label: BUSINESS.label,
      created_at: new Date().toISOString(),
      month: "202611",
      state: "pending",
      serial: null,
      status: null,
      status_label: null,
      return_reason: null,
      error: "无法连接中心服务器（连接超时）。",
      has_sheet: false,
    };
    const older: HistoryEntry = { ...queued, idempotency_key: "k-old", created_at: "2026-01-01T00:00:00Z" };
    const calls = await imported({
      batch_import: () => summary([]),
      batch_submit: () => {
        throw { code: "NETWORK", message: "无法连接中心服务器（连接超时）。", issues: [] };
      },
      history: () => [queued, older],
    });
    const w = wrapper!;
    await w.get('[data-testid="submit-button"]').trigger("click");
    await w.get('[data-testid="submit-confirm"]').trigger("click");
    await settle();

    expect(calls).toContainEqual({ cmd: "history", args: { filter: { business: null, month: null } } });
    expect(w.emitted("queued")).toEqual([[queued]]);
    expect(w.find('[data-testid="submit-error"]').exists()).toBe(false);
    expect(w.get('[data-testid="submit-button"]').attributes("disabled")).toBeDefined();
  });

  it("a network failure that left nothing queued is an error, and the sheet can be submitted again", async () => {
    await imported({
      batch_import: () => summary([]),
      batch_submit: () => {
        throw { code: "NETWORK", message: "无法连接中心服务器（连接被拒绝）。", issues: [] };
      },
      // Only an old entry is pending: not this submit's.
      history: () => [
        {
          idempotency_key: "k-old",
          business: BUSINESS.code,
          business_label: BUSINESS.label,
          created_at: "2026-01-01T00:00:00Z",
          month: "202601",
          state: "pending",
          serial: null,
          status: null,
          status_label: null,
          return_reason: null,
          error: null,
          has_sheet: false,
        },
      ],
    });
    const w = wrapper!;
    await w.get('[data-testid="submit-button"]').trigger("click");
    await w.get('[data-testid="submit-confirm"]').trigger("click");
    await settle();

    expect(w.emitted("queued")).toBeUndefined();
    expect(w.get('[data-testid="submit-error"]').text()).toContain("NETWORK");
    expect(w.get('[data-testid="submit-button"]').attributes("disabled")).toBeUndefined();
  });

  it("a 100,000-row sheet where every row is wrong: counts from the summary, the list by pages from Rust", async () => {
    const rows = 100_000;
    const issues: Issue[] = [{ row: 0, column: "", code: "BASE_MONTH", message: "本年度的基数调整已办理，不能重复提交" }];
    for (let r = 2; r < rows + 2; r++) {
      issues.push({ row: r, column: "调整后缴存基数（元）", code: "BASE_TOO_LOW", message: `第 ${r} 行基数低于下限` });
    }
    const sheet: Sheet = { rows, issues };
    let sent: BatchSummary | null = null;
    const calls = await imported(
      {
        batch_import: () => (sent = summary(sheet.issues, sheet.rows)),
      },
      sheet,
    );
    const w = wrapper!;
    // The window gets only the first issues, whatever the sheet holds.
    expect(sent!.issues).toHaveLength(SUMMARY_ISSUES);

    const s = w.get('[data-testid="batch-summary"]').text();
    expect(s).toContain("共 100,000 行");
    expect(s).toContain("发现 100,001 个问题（涉及 100,000 行）");
    expect(w.get('[data-testid="sheet-issue"]').text()).toContain("不能重复提交");

    // The first page of the list comes from Rust, 50 at a time; the pagination counts every issue.
    expect(calls.filter((c) => c.cmd === "batch_issues")).toEqual([
      { cmd: "batch_issues", args: { offset: 0, limit: 50 } },
    ]);
    let items = w.findAll('[data-testid="issue-item"]');
    expect(items).toHaveLength(50);
    expect(items[0].attributes("data-row")).toBe("0");
    expect(items[49].attributes("data-row")).toBe("50");
    expect(w.findComponent(ElPagination).props("total")).toBe(100_001);

    // The next page asks Rust for the next 50.
    await w.get(".el-pagination .btn-next").trigger("click");
    await settle();
    expect(calls.filter((c) => c.cmd === "batch_issues").map((c) => c.args)).toEqual([
      { offset: 0, limit: 50 },
      { offset: 50, limit: 50 },
    ]);
    items = w.findAll('[data-testid="issue-item"]');
    expect(items).toHaveLength(50);
    expect(items[0].attributes("data-row")).toBe("51");
    expect(items[0].attributes("data-col")).toBe("调整后缴存基数（元）");

    // An issue of that page still jumps to its cell, marked from the row's own issues.
    await items[10].trigger("click");
    await settle();
    expect(calls).toContainEqual({ cmd: "batch_row_index", args: { row: 61 } });
    const cell = w.get('[data-testid="cell"][data-row="61"][data-col="调整后缴存基数（元）"]');
    expect(cell.classes()).toContain("cell-bad");
    expect(cell.attributes("title")).toBe("第 61 行基数低于下限");
    expect(document.activeElement).toBe(cell.element);
    // The grid renders a window of rows, not the sheet.
    expect(w.findAll('[data-testid="cell"]').length).toBeLessThan(100 * COLUMNS.length);
  });

  it("after an edit the current page of a long list is asked for again", async () => {
    const issues: Issue[] = [];
    for (let r = 2; r < 302; r++) issues.push({ row: r, column: "姓名", code: "NAME_MISMATCH", message: `第 ${r} 行姓名不一致` });
    const sheet: Sheet = { rows: ROWS, issues };
    const calls = await imported(
      {
        batch_edit: (a) => {
          sheet.issues = sheet.issues.filter((i) => i.row !== a.row);
          return summary(sheet.issues);
        },
      },
      sheet,
    );
    const w = wrapper!;
    await w.get('[data-testid="cell"][data-row="2"][data-col="姓名"]').trigger("dblclick");
    await w.get('[data-testid="cell-editor"]').setValue("张三");
    await w.get('[data-testid="cell-editor"]').trigger("keydown", { key: "Enter" });
    await settle();

    expect(calls.filter((c) => c.cmd === "batch_issues").map((c) => c.args)).toEqual([
      { offset: 0, limit: 50 },
      { offset: 0, limit: 50 },
    ]);
    expect(w.get('[data-testid="batch-summary"]').text()).toContain("发现 299 个问题（涉及 299 行）");
    expect(w.findAll('[data-testid="issue-item"]')[0].attributes("data-row")).toBe("3");
    expect(w.findComponent(ElPagination).props("total")).toBe(299);
  });

  it("a refused submission shows the code, the message and the issues", async () => {
    const calls = await imported({
      batch_import: () => summary([]),
      batch_submit: () => {
        throw {
          code: "SHEET_REFUSED",
          message: "中心拒收了这份表格，请按下列问题改正后重新提交",
          issues: [{ row: 7, column: "个人账号", code: "ACCOUNT_UNKNOWN", message: "个人账号 107 不存在" }],
        };
      },
    });
    const w = wrapper!;
    await w.get('[data-testid="submit-button"]').trigger("click");
    await w.get('[data-testid="submit-confirm"]').trigger("click");
    await settle();

    const err = w.get('[data-testid="submit-error"]').text();
    expect(err).toContain("SHEET_REFUSED");
    expect(err).toContain("中心拒收了这份表格");
    expect(err).toContain("第 7 行");
    expect(err).toContain("个人账号 107 不存在");
    expect(w.emitted("submitted")).toBeUndefined();
    // Refused by the centre's rules: nothing was queued, so the outbox is not asked.
    expect(calls.some((c) => c.cmd === "history")).toBe(false);
  });

  it("downloads the template, exports the issues and saves a draft through the save dialog", async () => {
    const calls = await imported({
      pick_save: (a) => `/home/clerk/${a.defaultName as string}`,
      template_save: () => null,
      batch_export_issues: () => null,
      draft_save: (a) => ({ id: "d1", business: a.business, business_label: "缴存基数调整", title: a.title, data: a.data, updated_at: "" }),
    });
    const w = wrapper!;

    await w.get('[data-testid="template-download"]').trigger("click");
    await w.get('[data-testid="export-issues"]').trigger("click");
    await w.get('[data-testid="save-draft"]').trigger("click");
    await settle();

    expect(calls).toContainEqual({
      cmd: "template_save",
      args: { business: "base_adjustment", path: "/home/clerk/缴存基数调整模板.xlsx" },
    });
    expect(calls).toContainEqual({ cmd: "batch_export_issues", args: { path: "/home/clerk/基数调整-问题清单.xlsx" } });
    const draft = calls.find((c) => c.cmd === "draft_save");
    expect(draft?.args).toMatchObject({ id: null, business: "base_adjustment", data: { file: FILE } });
  });

  it("an import that fails says why and keeps the window usable", async () => {
    await imported({
      batch_import: () => {
        throw { code: "SHEET_UNREADABLE", message: "文件不是有效的 Excel 表格，请用模板重新填写", issues: [] };
      },
    });
    const w = wrapper!;
    expect(w.get('[data-testid="import-error"]').text()).toContain("文件不是有效的 Excel 表格");
    expect(w.find('[data-testid="batch-summary"]').exists()).toBe(false);
    expect(w.get('[data-testid="import-button"]').attributes("disabled")).toBeUndefined();
  });
});
