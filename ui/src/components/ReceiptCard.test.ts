import { mount } from "@vue/test-utils";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it, vi } from "vitest";
import ReceiptCard from "./ReceiptCard.vue";
import { clearLogin, setLogin } from "../session";
import { loginInfo } from "../testing";
import type { Receipt, SubmissionView } from "../api";

const BASE: Receipt = {
  serial: "0226112700042",
  business: "contributor_registration",
  unit_account: "9817112009060",
  unit_name: "示例科技有限公司",
  accepted_rows: 2,
  payload_sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
  signature_alg: "SHA256withRSA",
  certificate_serial: "0a1b2c",
  idempotency_key: "k1",
  received_at: "2026-11-27T02:00:00Z",
};

afterEach(() => {
  vi.restoreAllMocks();
  clearLogin();
});

describe("ReceiptCard", () => {
  it("shows the serial, the business, the unit, the digest and certificate, and the new accounts", () => {
    const w = mount(ReceiptCard, {
      props: {
        label: "缴存人登记",
        receipt: {
          ...BASE,
          accounts: [
            { row: 3, account: "100000123" },
            { row: 4, account: "100000124" },
          ],
        },
      },
    });
    expect(w.get('[data-testid="receipt-serial"]').text()).toBe("0226112700042");
    const text = w.text();
    expect(text).toContain("缴存人登记");
    expect(text).toContain("示例科技有限公司");
    expect(text).toContain("9817112009060");
    expect(text).toContain(BASE.payload_sha256);
    expect(text).toContain("SHA256withRSA");
    expect(text).toContain("0a1b2c");
    const rows = w.get('[data-testid="receipt-accounts"]').findAll("tbody tr");
    expect(rows.map((r) => r.text())).toEqual(["3100000123", "4100000124"]);
    expect(w.find('[data-testid="receipt-status"]').exists()).toBe(false);
  });

  it("shows accepted applicants with their plan and refused ones with the reasons", () => {
    const w = mount(ReceiptCard, {
      props: {
        receipt: {
          ...BASE,
          business: "loan_application",
          applicants: [
            {
              row: 2,
              name: "张三",
              accepted: true,
              plan: {
                repayment: "01",
                annual_rate: 3100,
                amount: 50_000_000,
                months: 360,
                first_payment: 213_514,
                last_payment: 213_480,
                total_interest: 26_865_000,
                total_payment: 76_865_000,
              },
              issues: [],
            },
            {
              row: 3,
              name: "李四",
              accepted: false,
              plan: null,
              issues: [{ row: 3, column: "贷款金额", code: "LOAN_TOO_HIGH", message: "贷款金额超过最高额度 60 万元" }],
            },
          ],
        },
      },
    });
    const ok = w.get('[data-testid="receipt-applicants-accepted"]').text();
    expect(ok).toContain("张三");
    expect(ok).toContain("等额本息");
    expect(ok).toContain("3.1%");
    expect(ok).toContain("500,000.00");
    expect(ok).toContain("2,135.14");
    const refused = w.get('[data-testid="receipt-applicants-refused"]').text();
    expect(refused).toContain("李四");
    expect(refused).toContain("贷款金额：贷款金额超过最高额度 60 万元");
    // No label given: the code.
    expect(w.text()).toContain("loan_application");
  });

  it("names the business from the session when no label is given", () => {
    setLogin(loginInfo("employer"));
    const w = mount(ReceiptCard, { props: { receipt: { ...BASE, business: "remittance" } } });
    expect(w.text()).toContain("汇缴");
  });

  it("shows the status and the return reason when given", () => {
    const status: SubmissionView = {
      receipt: BASE,
      status: "returned",
      status_label: "已退回",
      return_reason: "第 3 行证件号码与姓名不符",
      updated_at: "2026-11-28T02:00:00Z",
    };
    const w = mount(ReceiptCard, { props: { receipt: BASE, status } });
    expect(w.get('[data-testid="receipt-status"]').text()).toBe("已退回");
    expect(w.get('[data-testid="receipt-return-reason"]').text()).toBe("第 3 行证件号码与姓名不符");
  });

  it("saves the centre's signed PDF where the clerk chooses, not a print of the page", async () => {
    const calls: [string, Record<string, unknown> | undefined][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args as Record<string, unknown>]);
      if (cmd === "pick_save") return "/home/clerk/回执.pdf";
      return null;
    });
    const print = vi.spyOn(window, "print").mockImplementation(() => {});
    const w = mount(ReceiptCard, { props: { receipt: BASE } });
    await w.get('[data-testid="receipt-pdf"]').trigger("click");
    await new Promise((r) => setTimeout(r, 0));
    expect(calls.map((c) => c[0])).toEqual(["pick_save", "receipt_pdf_save"]);
    expect(calls[1][1]).toMatchObject({ serial: BASE.serial, path: "/home/clerk/回执.pdf" });
    expect(print).not.toHaveBeenCalled();
    clearMocks();
  });

  it("puts the serial first and copies it to the clipboard", async () => {
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    try {
      const w = mount(ReceiptCard, { props: { receipt: BASE, label: "缴存人登记" }, attachTo: document.body });
      expect(w.text().replace(/\s+/g, "")).toMatch(/^业务流水号0226112700042/);
      await w.get('[data-testid="receipt-copy"]').trigger("click");
      await new Promise((r) => setTimeout(r, 0));
      expect(writeText).toHaveBeenCalledWith("0226112700042");
      w.unmount();
    } finally {
      Reflect.deleteProperty(navigator, "clipboard");
      document.body.innerHTML = "";
    }
  });

  it("pages a long list of new 个人账号 and counts them all", async () => {
    const accounts = Array.from({ length: 45 }, (_, i) => ({ row: i + 2, account: String(100000000 + i) }));
    const w = mount(ReceiptCard, {
      props: { label: "缴存人登记", receipt: { ...BASE, accepted_rows: 45, accounts } },
      attachTo: document.body,
    });
    expect(w.text()).toContain("中心分配的个人账号（共 45 个）");
    expect(w.get('[data-testid="receipt-accepted"]').text()).toBe("受理 45 笔，中心已为 45 名职工分配个人账号");
    let rows = w.get('[data-testid="receipt-accounts"]').findAll("tbody tr");
    expect(rows).toHaveLength(20);
    expect(rows[0].text()).toBe("2100000000");
    await w.get('[data-testid="receipt-accounts-pages"] .btn-next').trigger("click");
    rows = w.get('[data-testid="receipt-accounts"]').findAll("tbody tr");
    expect(rows).toHaveLength(20);
    expect(rows[0].text()).toBe("22100000020");
    w.unmount();
    document.body.innerHTML = "";
  });

  it("says what happens next by the centre's status", () => {
    const next = (over: Partial<SubmissionView>) =>
      mount(ReceiptCard, {
        props: {
          receipt: BASE,
          status: { receipt: BASE, status: "accepted", status_label: "已受理", return_reason: null, updated_at: "", ...over },
        },
      })
        .get('[data-testid="receipt-next"]')
        .text();
    expect(next({})).toContain("中心开始审核前，可以在“办理记录”中撤回");
    expect(next({ status: "reviewing", status_label: "审核中" })).toContain("不能再撤回");
    expect(next({ status: "returned", status_label: "已退回", return_reason: "证件号码有误" })).toContain(
      "请按退回原因改正后重新提交",
    );
    expect(next({ status: "done", status_label: "已办结" })).toContain("已办结");
  });

  it("prints through the window's print dialog", async () => {
    const print = vi.spyOn(window, "print").mockImplementation(() => {});
    const w = mount(ReceiptCard, { props: { receipt: BASE } });
    await w.get('[data-testid="receipt-print"]').trigger("click");
    expect(print).toHaveBeenCalledOnce();
  });
});
