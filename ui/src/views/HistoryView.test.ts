import { clearMocks } from "@tauri-apps/api/mocks";
import type { VueWrapper } from "@vue/test-utils";
import { ElDatePicker, ElSelect } from "element-plus";
import { afterEach, describe, expect, it, vi } from "vitest";
import { clearLogin, setLogin } from "../session";
import type { BatchSummary, DraftView, HistoryEntry, SheetOrigin } from "../api";
import { batchSummary, loginInfo, mockCommands, mountApp, settle, type IpcCall } from "../testing";

let mounted: VueWrapper | null = null;

afterEach(() => {
  mounted?.unmount();
  mounted = null;
  clearMocks();
  clearLogin();
  vi.useRealTimers();
  document.body.innerHTML = "";
});

function entry(over: Partial<HistoryEntry>): HistoryEntry {
  return {
    idempotency_key: `k-${Math.random()}`,
    business: "base_adjustment",
    business_label: "缴存基数调整",
    created_at: "2026-11-20T02:00:00Z",
    month: "202611",
    state: "sent",
    serial: null,
    status: null,
    status_label: null,
    return_reason: null,
    error: null,
    has_sheet: false,
    ...over,
  };
}

const SENT = entry({ serial: "0226112000001", status: "accepted", status_label: "已受理" });
const DONE = entry({ serial: "0226111000004", business: "remittance", business_label: "汇缴", status: "done", status_label: "已办结" });
const RETURNED = entry({
  serial: "0226110900002",
  status: "returned",
  status_label: "已退回",
  return_reason: "缴存基数低于最低标准",
});
const PENDING = entry({ state: "pending", error: "无法连接中心：网络不通" });
const REJECTED = entry({ state: "rejected", error: "单位已封存，不能办理基数调整" });

const DRAFT: DraftView = {
  id: "d1",
  business: "unit_change",
  business_label: "单位信息变更",
  stale: false,
  title: "变更联系人",
  data: {},
  updated_at: "2026-11-21T08:00:00Z",
};

const histories = (calls: IpcCall[]) => calls.filter((c) => c.cmd === "history").map((c) => c.args.filter);

async function openHistory(entries: HistoryEntry[], path = "/history", extra: Record<string, (a: Record<string, unknown>) => unknown> = {}) {
  setLogin(loginInfo("employer"));
  let drafts = [DRAFT];
  const calls = mockCommands({
    history: () => entries,
    drafts_list: () => drafts,
    draft_delete: (a) => {
      drafts = drafts.filter((d) => d.id !== a.id);
    },
    send_pending: () => 0,
    ...extra,
  });
  const r = await mountApp(path);
  mounted = r.wrapper;
  return { ...r, calls };
}

describe("history", () => {
  it("lists the submissions with their status at the centre or their local state", async () => {
    const { wrapper, calls } = await openHistory([SENT, DONE, RETURNED, REJECTED]);
    expect(histories(calls)).toEqual([{ business: null, month: null }]);
    const rows = wrapper.findAll('[data-testid="history-row"]');
    expect(rows.map((r) => r.attributes("data-serial"))).toEqual(["0226112000001", "0226111000004", "0226110900002", ""]);
    expect(rows.map((r) => r.attributes("data-business"))).toEqual([
      "base_adjustment",
      "remittance",
      "base_adjustment",
      "base_adjustment",
    ]);
    expect(rows.map((r) => r.get('[data-testid="history-status"]').text())).toEqual(["已受理", "已办结", "已退回", "被拒绝"]);
    expect(rows[2].text()).toContain("缴存基数低于最低标准");
    expect(rows[3].text()).toContain("单位已封存");
    // Only an accepted submission can still be withdrawn; every one the centre received has its receipt.
    expect(rows.map((r) => r.find('[data-testid="history-withdraw"]').exists())).toEqual([true, false, false, false]);
    expect(rows.map((r) => r.find('[data-testid="history-open"]').exists())).toEqual([true, true, true, false]);
  });

  it("passes the business and month filters to the command", async () => {
    const { wrapper, calls } = await openHistory([SENT]);
    wrapper.getComponent(ElSelect).vm.$emit("update:modelValue", "base_adjustment");
    await settle();
    wrapper.getComponent(ElDatePicker).vm.$emit("update:modelValue", "202611");
    await settle();
    await wrapper.get('[data-testid="history-refresh"]').trigger("click");
    await settle();
    expect(histories(calls)).toEqual([
      { business: null, month: null },
      { business: "base_adjustment", month: null },
      { business: "base_adjustment", month: "202611" },
      { business: "base_adjustment", month: "202611" },
    ]);
    // Clearing the select means every business again.
    wrapper.getComponent(ElSelect).vm.$emit("update:modelValue", "");
    await settle();
    expect(histories(calls)[histories(calls).length - 1]).toEqual({ business: null, month: "202611" });
  });

  it("accepts a month typed into the picker as YYYY-MM", async () => {
    const { wrapper, calls } = await openHistory([]);
    const month = wrapper.get('[data-testid="history-month"] input');
    await month.setValue("2026-11");
    await month.trigger("change");
    await settle();
    expect(histories(calls)[histories(calls).length - 1]).toEqual({ business: null, month: "202611" });
  });

  it("takes the filters from the address", async () => {
    const { calls } = await openHistory([], "/history?business=remittance&month=202610");
    expect(histories(calls)).toEqual([{ business: "remittance", month: "202610" }]);
  });

  it("offers the session's businesses as filter options", async () => {
    const { wrapper } = await openHistory([]);
    await wrapper.get('[data-testid="history-business"] .el-select__wrapper').trigger("click");
    await settle();
    const options = [...document.querySelectorAll('[data-testid="history-business-option"]')];
    expect(options.map((o) => o.getAttribute("data-code"))).toEqual([
      "unit_change",
      "base_adjustment",
      "rate_adjustment",
      "remittance",
    ]);
  });

  it("opens the receipt of a row that has a serial", async () => {
    const { wrapper, router } = await openHistory([SENT, PENDING], "/history", {
      receipt: () => {
        throw { code: "NETWORK", message: "offline", issues: [] };
      },
    });
    await wrapper.findAll('[data-testid="history-row"]')[1].trigger("click");
    await settle();
    expect(router.currentRoute.value.name).toBe("history");
    await wrapper.findAll('[data-testid="history-row"]')[0].trigger("click");
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe("/receipt/0226112000001"));
  });

  it("offers 重新打开表格 only on rows whose grid is kept", async () => {
    const { wrapper } = await openHistory([{ ...SENT, has_sheet: true }, DONE, { ...REJECTED, has_sheet: true }]);
    const rows = wrapper.findAll('[data-testid="history-row"]');
    expect(rows.map((r) => r.find('[data-testid="history-reopen"]').exists())).toEqual([true, false, true]);
    expect(rows[0].get('[data-testid="history-reopen"]').text()).toBe("重新打开表格");
  });

  /** What `submission_open` answers for a submission in this state: the grid checked again, and its origin. */
  function reopened(origin: Partial<SheetOrigin>): BatchSummary {
    return {
      ...batchSummary({ business: "base_adjustment", file: "基数调整.xlsx", columns: ["姓名", "调整后缴存基数（元）"], rows: 1 }, []),
      origin: {
        idempotency_key: "k-1",
        serial: "0226112000001",
        state: "sent",
        status: "accepted",
        status_label: "已受理",
        submitted_at: "2026-11-20T02:00:00Z",
        submit_blocked: null,
        ...origin,
      },
    };
  }

  async function reopen(row: HistoryEntry, summary: BatchSummary) {
    const r = await openHistory([row], "/history", {
      submission_open: () => summary,
      batch_rows: () => [{ row: 2, cells: ["张三", "6000.00"], issues: [] }],
    });
    await r.wrapper.get('[data-testid="history-reopen"]').trigger("click");
    await vi.waitFor(() =>
      expect(r.router.currentRoute.value.fullPath).toBe(`/business/base_adjustment?reopen=${row.idempotency_key}`),
    );
    await settle();
    return r;
  }

  it("reopens an accepted submission's grid with a banner, and no submit: it must be withdrawn first", async () => {
    const blocked = "此笔业务已受理（流水号 0226112000001），不能再次提交。如需更正，请先在办理记录中撤回。";
    const row = { ...SENT, idempotency_key: "k-1", has_sheet: true };
    const { wrapper, calls } = await reopen(row, reopened({ submit_blocked: blocked }));
    expect(calls.filter((c) => c.cmd === "submission_open").map((c) => c.args)).toEqual([{ id: "k-1" }]);
    expect(calls.some((c) => c.cmd === "batch_import")).toBe(false);
    const banner = wrapper.get('[data-testid="origin-banner"]');
    expect(banner.text()).toContain("来自办理记录：流水号 0226112000001（已受理）");
    expect(banner.text()).toContain(blocked);
    expect(wrapper.get('[data-testid="batch-summary"]').text()).toContain("基数调整.xlsx");
    expect(wrapper.get('[data-testid="submit-button"]').attributes("disabled")).toBeDefined();
    expect(wrapper.get('[data-testid="origin-no-submit"]').text()).toBe(blocked);
  });

  it("reopens a returned submission's grid to fix and submit again", async () => {
    const row = { ...RETURNED, idempotency_key: "k-2", has_sheet: true };
    const { wrapper } = await reopen(
      row,
      reopened({ idempotency_key: "k-2", serial: RETURNED.serial, status: "returned", status_label: "已退回" }),
    );
    const banner = wrapper.get('[data-testid="origin-banner"]');
    expect(banner.text()).toContain(`来自办理记录：流水号 ${RETURNED.serial}（已退回）`);
    expect(banner.text()).toContain("再次提交");
    expect(wrapper.get('[data-testid="submit-button"]').attributes("disabled")).toBeUndefined();
    expect(wrapper.find('[data-testid="origin-no-submit"]').exists()).toBe(false);
  });

  it("says so when the grid is no longer kept", async () => {
    const row = { ...SENT, idempotency_key: "k-3", has_sheet: true };
    const r = await openHistory([row], "/history", {
      submission_open: () => {
        throw { code: "SHEET_NOT_KEPT", message: "这笔业务没有保存提交时的表格", issues: [] };
      },
    });
    await r.wrapper.get('[data-testid="history-reopen"]').trigger("click");
    await vi.waitFor(() => expect(r.router.currentRoute.value.name).toBe("business"));
    await settle();
    const error = r.wrapper.get('[data-testid="import-error"]');
    expect(error.text()).toContain("打开表格失败：这笔业务没有保存提交时的表格");
    expect(error.text()).toContain("SHEET_NOT_KEPT");
  });

  it("withdraws an accepted submission after confirmation", async () => {
    const { wrapper, calls } = await openHistory([SENT], "/history", {
      withdraw: () => ({ status: "withdrawn", status_label: "已撤回" }),
    });
    await wrapper.get('[data-testid="history-withdraw"]').trigger("click");
    await settle();
    (document.querySelector(".el-message-box__btns .el-button--primary") as HTMLElement).click();
    await settle();
    expect(calls.find((c) => c.cmd === "withdraw")?.args).toEqual({ serial: "0226112000001" });
    expect(histories(calls)).toHaveLength(2);
  });

  it("flags a draft kept longer than the retention period, and only that one", async () => {
    const { wrapper } = await openHistory([], "/history", {
      drafts_list: () => [DRAFT, { ...DRAFT, id: "d2", title: "上季度的登记", stale: true }],
    });
    const rows = wrapper.findAll('[data-testid="draft-row"]');
    expect(rows[0].find('[data-testid="draft-stale"]').exists()).toBe(false);
    expect(rows[1].get('[data-testid="draft-stale"]').text()).toContain("已超过保留期限");
  });

  it("opens and deletes drafts", async () => {
    const { wrapper, calls } = await openHistory([]);
    const row = wrapper.get('[data-testid="draft-row"]');
    expect(row.text()).toContain("变更联系人");
    expect(row.text()).toContain("单位信息变更");

    await row.get('[data-testid="draft-delete"]').trigger("click");
    await settle();
    (document.querySelector(".el-message-box__btns .el-button--primary") as HTMLElement).click();
    await settle();
    expect(calls.find((c) => c.cmd === "draft_delete")?.args).toEqual({ id: "d1" });
    expect(wrapper.find('[data-testid="draft-row"]').exists()).toBe(false);

    mounted?.unmount();
    const again = await openHistory([]);
    await again.wrapper.get('[data-testid="draft-open"]').trigger("click");
    await vi.waitFor(() => expect(again.router.currentRoute.value.fullPath).toBe("/business/unit_change?draft=d1"));
  });

  it("retries pending sends every 30 s and when the network returns", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    let queue = [PENDING, SENT];
    const { calls } = await openHistory([], "/history", {
      history: () => queue,
      send_pending: () => {
        queue = [entry({ ...PENDING, state: "sent", serial: "0226112000009", status: "accepted", status_label: "已受理" }), SENT];
        return 0;
      },
    });
    const sends = () => calls.filter((c) => c.cmd === "send_pending").length;
    expect(sends()).toBe(0);

    vi.advanceTimersByTime(29_000);
    await settle();
    expect(sends()).toBe(0);
    vi.advanceTimersByTime(1_000);
    await settle();
    expect(sends()).toBe(1);
    expect(histories(calls)).toHaveLength(2);

    // Nothing pending any more: the timer stops and going online does nothing.
    vi.advanceTimersByTime(60_000);
    window.dispatchEvent(new Event("online"));
    await settle();
    expect(sends()).toBe(1);
  });

  it("retries at once when the browser reports the network is back", async () => {
    const { calls } = await openHistory([PENDING]);
    expect(mounted!.get('[data-testid="history-status"]').text()).toContain("待发送");
    expect(mounted!.text()).toContain("网络不通");
    window.dispatchEvent(new Event("online"));
    await settle();
    expect(calls.filter((c) => c.cmd === "send_pending")).toHaveLength(1);
    expect(histories(calls)).toHaveLength(2);
  });
});
