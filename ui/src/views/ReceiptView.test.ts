// After 提交 the clerk lands on the receipt (or on the queued submission), not on the emptied screen; 继续办理
// goes back to the business, empty; 办理记录 opens the same receipt again.
import { clearMocks } from "@tauri-apps/api/mocks";
import type { VueWrapper } from "@vue/test-utils";
import type { Router } from "vue-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { clearLogin, setLogin } from "../session";
import type { HistoryEntry, Receipt, SubmissionView } from "../api";
import { batchSummary, loginInfo, mockCommands, mountApp, settle } from "../testing";

let mounted: VueWrapper | null = null;

afterEach(() => {
  mounted?.unmount();
  mounted = null;
  document.body.innerHTML = "";
  clearMocks();
  clearLogin();
  vi.restoreAllMocks();
});

const APP = { app_info: () => ({ version: "1.0.0", data_dir: "/d", log_file: "/d/log" }) };
const FILE = "/home/clerk/基数调整.xlsx";
const COLUMNS = ["序号", "个人账号", "姓名", "调整后缴存基数（元）"];

const BATCH_RECEIPT: Receipt = {
  serial: "0226112700042",
  business: "base_adjustment",
  unit_account: "9817112009060",
  unit_name: "示例科技有限公司",
  accepted_rows: 3,
  payload_sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
  signature_alg: "SHA256withRSA",
  certificate_serial: "0a1b",
  idempotency_key: "k1",
  received_at: "2026-11-27T02:00:00Z",
};

const FORM_RECEIPT: Receipt = {
  ...BATCH_RECEIPT,
  serial: "0226112700077",
  business: "contributor_registration",
  accepted_rows: 1,
  idempotency_key: "k2",
  accounts: [{ row: 1, account: "100000123" }],
};

function status(r: Receipt, over: Partial<SubmissionView> = {}): SubmissionView {
  return { receipt: r, status: "accepted", status_label: "已受理", return_reason: null, updated_at: r.received_at, ...over };
}

function employer() {
  const info = loginInfo("employer");
  info.businesses = [
    ...info.businesses,
    { code: "contributor_registration", label: "缴存人登记", kind: "batch", hall: "employer" },
  ];
  setLogin(info);
}

/** The batch screen's commands for a clean three-row sheet. */
const SHEET = {
  batch_import: () =>
    batchSummary({ business: "base_adjustment", file: FILE, columns: COLUMNS, header_row: 1, rows: 3 }, []),
  batch_rows: () =>
    [0, 1, 2].map((i) => ({ row: i + 2, cells: [String(i + 1), `10${i}`, `职工${i}`, "5000.00"], issues: [] })),
};

async function open(path: string) {
  const r = await mountApp(path);
  mounted = r.wrapper;
  return r;
}

async function submitSheet(w: VueWrapper) {
  await w.get('[data-testid="file-path"] input').setValue(FILE);
  await w.get('[data-testid="import-button"]').trigger("click");
  await settle();
  await w.get('[data-testid="submit-button"]').trigger("click");
  await settle();
  await w.get('[data-testid="submit-confirm"]').trigger("click");
  await settle();
}

/** Waits for the router to reach `path` (a page's component loads lazily the first time), then for the page. */
async function arrived(router: Router, path: string, part: "fullPath" | "path" = "fullPath") {
  await vi.waitFor(() => expect(router.currentRoute.value[part]).toBe(path));
  await settle();
}

/** The view's text without whitespace, and where each piece starts in it. */
function order(w: VueWrapper, pieces: string[]): number[] {
  const text = w.get('[data-testid="receipt-view"]').text().replace(/\s+/g, "");
  return pieces.map((p) => text.indexOf(p.replace(/\s+/g, "")));
}

describe("after 提交", () => {
  it("a batch lands on its receipt: the 流水号 first, then business, unit, time, what was accepted, what comes next, the actions", async () => {
    employer();
    const calls = mockCommands({ ...APP, ...SHEET, batch_submit: () => BATCH_RECEIPT, receipt: () => status(BATCH_RECEIPT) });
    const { wrapper: w, router } = await open("/business/base_adjustment");
    await submitSheet(w);

    await arrived(router, "/receipt/0226112700042");
    // The grid and its buttons are gone: the receipt is the page.
    expect(w.find('[data-testid="batch-view"]').exists()).toBe(false);
    expect(w.find('[data-testid="submit-button"]').exists()).toBe(false);
    const view = w.get('[data-testid="receipt-view"]');
    expect(view.text().replace(/\s+/g, "")).toMatch(/^业务流水号0226112700042复制提交成功/);
    expect(view.get('[data-testid="receipt-serial"]').text()).toBe("0226112700042");
    const at = order(w, ["0226112700042", "缴存基数调整", "示例科技有限公司", "受理时间", "受理 3 笔", "接下来", "保存 PDF 回执", "继续办理"]);
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(view.get('[data-testid="receipt-next"]').text()).toContain("可在“办理记录”查看进度");
    expect(view.get('[data-testid="receipt-next"]').text()).toContain("撤回");
    // The centre's status, asked for after landing, joins the receipt the submit returned.
    expect(calls).toContainEqual({ cmd: "receipt", args: { serial: "0226112700042" } });
    expect(view.get('[data-testid="receipt-status"]').text()).toBe("已受理");
    // The menu marks 办理记录 while a receipt is shown.
    expect(w.get('[data-testid="nav-history"]').classes()).toContain("is-active");
  });

  it("继续办理 goes back to the business with an empty screen", async () => {
    employer();
    const calls = mockCommands({ ...APP, ...SHEET, batch_submit: () => BATCH_RECEIPT, receipt: () => status(BATCH_RECEIPT) });
    const { wrapper: w, router } = await open("/business/base_adjustment");
    await submitSheet(w);
    await w.get('[data-testid="receipt-continue"]').trigger("click");
    await settle();

    await arrived(router, "/business/base_adjustment");
    expect(w.find('[data-testid="receipt-view"]').exists()).toBe(false);
    expect((w.get('[data-testid="file-path"] input').element as HTMLInputElement).value).toBe("");
    expect(w.find('[data-testid="batch-summary"]').exists()).toBe(false);
    expect(calls.filter((c) => c.cmd === "batch_import")).toHaveLength(1);
  });

  it("打开表格 reopens the grid that was sent, which cannot go again while 已受理", async () => {
    employer();
    const blocked = "此笔业务已受理（流水号 0226112700042），不能再次提交。如需更正，请先在办理记录中撤回。";
    const calls = mockCommands({
      ...APP,
      ...SHEET,
      batch_submit: () => BATCH_RECEIPT,
      receipt: () => status(BATCH_RECEIPT),
      submission_open: () => ({
        ...SHEET.batch_import(),
        origin: {
          idempotency_key: "k1",
          serial: BATCH_RECEIPT.serial,
          state: "sent",
          status: "accepted",
          status_label: "已受理",
          submitted_at: BATCH_RECEIPT.received_at,
          submit_blocked: blocked,
        },
      }),
    });
    const { wrapper: w, router } = await open("/business/base_adjustment");
    await submitSheet(w);
    await arrived(router, "/receipt/0226112700042");
    await w.get('[data-testid="receipt-reopen"]').trigger("click");

    await arrived(router, "/business/base_adjustment?reopen=0226112700042");
    expect(calls.filter((c) => c.cmd === "submission_open").map((c) => c.args)).toEqual([{ id: "0226112700042" }]);
    expect(w.get('[data-testid="origin-banner"]').text()).toContain("来自办理记录：流水号 0226112700042（已受理）");
    expect(w.get('[data-testid="submit-button"]').attributes("disabled")).toBeDefined();
  });

  it("a form lands on its receipt the same way, with the new 个人账号, even when the centre's status cannot be read", async () => {
    employer();
    const calls = mockCommands({
      ...APP,
      code_table: () => [],
      form_validate: () => [],
      form_submit: () => FORM_RECEIPT,
      receipt: () => {
        throw { code: "NETWORK", message: "无法连接中心服务器", issues: [] };
      },
    });
    const { wrapper: w, router } = await open("/business/contributor_registration?tab=form");
    await w.get('[data-testid="field"][data-field="name"] input').setValue("张三");
    await w.get('[data-testid="form-submit"]').trigger("click");
    await settle();

    expect(calls.filter((c) => c.cmd === "form_submit")).toHaveLength(1);
    await arrived(router, "/receipt/0226112700077", "path");
    expect(w.find('[data-testid="form-view"]').exists()).toBe(false);
    const view = w.get('[data-testid="receipt-view"]');
    expect(view.text().replace(/\s+/g, "")).toMatch(/^业务流水号0226112700077/);
    // A form keeps no grid: nothing to reopen.
    expect(w.find('[data-testid="receipt-reopen"]').exists()).toBe(false);
    // The receipt 提交 returned is all the page needs: no error for the status it could not add.
    expect(w.find('[data-testid="receipt-error"]').exists()).toBe(false);
    expect(view.find('[data-testid="receipt-status"]').exists()).toBe(false);
    expect(view.get('[data-testid="receipt-accepted"]').text()).toContain("1 名职工分配个人账号");
    expect(view.get('[data-testid="receipt-accounts"]').text()).toContain("100000123");

    // Back to the single-record tab, emptied.
    await w.get('[data-testid="receipt-continue"]').trigger("click");
    await settle();
    await arrived(router, "/business/contributor_registration?tab=form");
    const name = w.get('[data-testid="form-view"] [data-testid="field"][data-field="name"] input');
    expect((name.element as HTMLInputElement).value).toBe("");
  });

  it("a submit kept in the outbox lands on 待发送: no 流水号 yet, do not submit again; once sent, the receipt", async () => {
    employer();
    const queued: HistoryEntry = {
      idempotency_key: "k-queued",
      business: "base_adjustment",
      business_label: "缴存基数调整",
      // As Rust writes it: nanoseconds.
      created_at: new Date().toISOString().replace("Z", "456789Z"),
      month: "202611",
      state: "pending",
      serial: null,
      status: null,
      status_label: null,
      return_reason: null,
      error: "无法连接中心服务器（连接超时）。",
      has_sheet: false,
    };
    let outbox = [queued];
    const calls = mockCommands({
      ...APP,
      ...SHEET,
      batch_submit: () => {
        throw { code: "NETWORK", message: "无法连接中心服务器（连接超时）。", issues: [] };
      },
      history: () => outbox,
      send_pending: () => {
        outbox = [{ ...queued, state: "sent", serial: BATCH_RECEIPT.serial, status: "accepted", status_label: "已受理" }];
        return 0;
      },
      receipt: () => status(BATCH_RECEIPT),
    });
    const { wrapper: w, router } = await open("/business/base_adjustment");
    await submitSheet(w);

    await arrived(router, "/queued/k-queued");
    expect(w.find('[data-testid="batch-view"]').exists()).toBe(false);
    const page = w.get('[data-testid="queued-view"]');
    expect(page.get('[data-testid="queued-state"]').text()).toContain("待发送");
    expect(page.get('[data-testid="queued-serial"]').text()).toContain("送达中心后生成");
    expect(page.get('[data-testid="queued-error-text"]').text()).toContain("连接超时");
    expect(page.get('[data-testid="queued-next"]').text()).toContain("请不要再次提交同一份数据");

    await page.get('[data-testid="queued-send"]').trigger("click");
    await settle();
    expect(calls.filter((c) => c.cmd === "send_pending")).toHaveLength(1);
    await arrived(router, "/receipt/0226112700042");
    expect(w.get('[data-testid="receipt-serial"]').text()).toBe("0226112700042");
  });
});

describe("the receipt from 办理记录", () => {
  const ENTRY: HistoryEntry = {
    idempotency_key: "k1",
    business: "base_adjustment",
    business_label: "缴存基数调整",
    created_at: "2026-11-27T02:00:00Z",
    month: "202611",
    state: "sent",
    serial: BATCH_RECEIPT.serial,
    status: "reviewing",
    status_label: "审核中",
    return_reason: null,
    error: null,
    has_sheet: false,
  };

  it("a history entry's 查看回执 opens the centre's receipt with its status; 办理记录 goes back", async () => {
    employer();
    const calls = mockCommands({
      ...APP,
      history: () => [ENTRY],
      drafts_list: () => [],
      receipt: () => status(BATCH_RECEIPT, { status: "reviewing", status_label: "审核中" }),
    });
    const { wrapper: w, router } = await open("/history");
    await w.get('[data-testid="history-row"] [data-testid="history-open"]').trigger("click");
    await settle();

    await arrived(router, "/receipt/0226112700042");
    expect(calls).toContainEqual({ cmd: "receipt", args: { serial: "0226112700042" } });
    const view = w.get('[data-testid="receipt-view"]');
    expect(view.text().replace(/\s+/g, "")).toMatch(/^业务流水号0226112700042/);
    // Not just submitted: the centre's status instead of 提交成功, and what that status means.
    expect(view.find('[data-testid="receipt-fresh"]').exists()).toBe(false);
    expect(view.get('[data-testid="receipt-status"]').text()).toBe("审核中");
    expect(view.get('[data-testid="receipt-next"]').text()).toContain("不能再撤回");
    expect(view.find('[data-testid="receipt-continue"]').exists()).toBe(true);

    await view.get('[data-testid="receipt-actions"] [data-testid="receipt-history"]').trigger("click");
    await settle();
    await arrived(router, "/history");
  });

  it("a receipt that cannot be read says why and can be asked for again", async () => {
    employer();
    let fail = true;
    mockCommands({
      ...APP,
      receipt: () => {
        if (fail) throw { code: "NETWORK", message: "无法连接中心服务器，请检查网络后重试。", issues: [] };
        return status(BATCH_RECEIPT);
      },
    });
    const { wrapper: w } = await open("/receipt/0226112700042");
    expect(w.get('[data-testid="receipt-error"]').text()).toContain("无法连接中心服务器");
    expect(w.find('[data-testid="receipt"]').exists()).toBe(false);

    fail = false;
    await w.get('[data-testid="receipt-retry"]').trigger("click");
    await settle();
    expect(w.find('[data-testid="receipt-error"]').exists()).toBe(false);
    expect(w.get('[data-testid="receipt-serial"]').text()).toBe("0226112700042");
  });
});
