import { flushPromises, mount, type VueWrapper } from "@vue/test-utils";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import FormView from "./FormView.vue";
import type { BusinessInfo, Issue, Receipt } from "../api";

interface Call {
  cmd: string;
  args: Record<string, unknown>;
}
type Handlers = Record<string, (args: Record<string, unknown>) => unknown>;

function backend(handlers: Handlers): Call[] {
  const calls: Call[] = [];
  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args });
    const h = handlers[cmd];
    if (!h) throw { code: "INTERNAL", message: `no mock for ${cmd}`, issues: [] };
    return h(args);
  });
  return calls;
}

async function settle() {
  for (let i = 0; i < 5; i++) {
    await flushPromises();
    await new Promise((r) => setTimeout(r, 0));
  }
}

/** Past the 300 ms pause after the last keystroke. */
async function afterTyping() {
  await new Promise((r) => setTimeout(r, 350));
  await settle();
}

const RECEIPT: Receipt = {
  serial: "0226112700077",
  business: "rate_adjustment",
  unit_account: "9817112009060",
  unit_name: "示例科技有限公司",
  accepted_rows: 1,
  payload_sha256: "ab".repeat(32),
  signature_alg: "SHA256withRSA",
  certificate_serial: "0a1b",
  idempotency_key: "k2",
  received_at: "2026-11-27T02:00:00Z",
};

let wrapper: VueWrapper | null = null;

afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
  document.body.innerHTML = "";
  clearMocks();
});

function open(business: BusinessInfo) {
  wrapper = mount(FormView, { props: { business }, attachTo: document.body });
  return wrapper;
}

function field(w: VueWrapper, key: string) {
  return w.get(`[data-testid="field"][data-field="${key}"]`);
}

const RATE: BusinessInfo = { code: "rate_adjustment", label: "缴存比例调整", kind: "form", hall: "employer" };

describe("FormView: 缴存比例调整", () => {
  it("shows the current rates, converts % to basis points and shows the rules' issues under their fields", async () => {
    const validated: unknown[] = [];
    const calls = backend({
      form_current: () => ({ unit_rate: 1200, person_rate: 1000 }),
      form_validate: (a) => {
        validated.push(a.data);
        const d = a.data as { unit_rate: number | null };
        const issues: Issue[] = [];
        if (d.unit_rate !== null && d.unit_rate > 1200)
          issues.push({ row: 0, column: "单位缴存比例", code: "RATE_OUT_OF_RANGE", message: "单位缴存比例须在 5% - 12% 之间" });
        issues.push({ row: 0, column: "缴存比例之和", code: "RATE_SUM", message: "单位缴存比例与个人缴存比例之和区间：10% - 24%" });
        issues.push({ row: 0, column: "生效年月", code: "EMPTY", message: "生效年月为空" });
        return issues;
      },
    });
    const w = open(RATE);
    await settle();

    expect(calls).toContainEqual({ cmd: "form_current", args: { business: "rate_adjustment", key: null } });
    expect(field(w, "unit_rate").text()).toContain("中心当前：12%");
    expect(field(w, "person_rate").text()).toContain("中心当前：10%");
    // Nothing is checked before the clerk types.
    expect(calls.some((c) => c.cmd === "form_validate")).toBe(false);

    await field(w, "unit_rate").get("input").setValue("12.5");
    await afterTyping();

    expect(validated).toHaveLength(1);
    expect(validated[0]).toEqual({ unit_rate: 1250, person_rate: null, effective_month: null });
    expect(field(w, "unit_rate").get('[data-testid="field-error"]').text()).toBe("单位缴存比例须在 5% - 12% 之间");
    // Untouched fields keep quiet until a submit attempt; issues of no field show above the form.
    expect(field(w, "effective_month").find('[data-testid="field-error"]').exists()).toBe(false);
    expect(w.get('[data-testid="form-issue"]').text()).toContain("之和区间");
  });

  it("debounces: a burst of keystrokes makes one check with the last value", async () => {
    const validated: unknown[] = [];
    backend({
      form_current: () => ({ unit_rate: 1200, person_rate: 1000 }),
      form_validate: (a) => {
        validated.push(a.data);
        return [];
      },
    });
    const w = open(RATE);
    await settle();
    const input = field(w, "person_rate").get("input");
    await input.setValue("1");
    await input.setValue("11");
    await input.setValue("11.05");
    await afterTyping();
    expect(validated).toEqual([{ unit_rate: null, person_rate: 1105, effective_month: null }]);
  });

  it("a value that is not a percentage is pointed out at its field", async () => {
    backend({ form_current: () => ({ unit_rate: 1200, person_rate: 1000 }), form_validate: () => [] });
    const w = open(RATE);
    await settle();
    await field(w, "unit_rate").get("input").setValue("12.345");
    await afterTyping();
    expect(field(w, "unit_rate").get('[data-testid="field-error"]').text()).toContain("最多两位小数");
  });

  it("submits the converted payload and hands on the receipt", async () => {
    const calls = backend({
      form_current: () => ({ unit_rate: 1200, person_rate: 1000 }),
      form_validate: () => [],
      form_submit: () => RECEIPT,
    });
    const w = open(RATE);
    await settle();
    await field(w, "unit_rate").get("input").setValue("10");
    await field(w, "person_rate").get("input").setValue("10");
    // The month picker, as a clerk picking 2026年12月 would set it.
    const picker = w.findAllComponents({ name: "ElDatePicker" })[0];
    picker.vm.$emit("update:modelValue", "202612");
    await afterTyping();
    await w.get('[data-testid="form-submit"]').trigger("click");
    await settle();

    expect(calls.filter((c) => c.cmd === "form_submit")).toEqual([
      {
        cmd: "form_submit",
        args: { business: "rate_adjustment", data: { unit_rate: 1000, person_rate: 1000, effective_month: "202612" } },
      },
    ]);
    expect(w.emitted("submitted")).toEqual([[RECEIPT]]);
    // The receipt page shows it (BusinessView navigates); the form takes no more input meanwhile.
    expect(w.find('[data-testid="receipt"]').exists()).toBe(false);
    expect(w.get('[data-testid="form-submit"]').attributes("disabled")).toBeDefined();
  });

  it("does not submit while the rules find issues, and shows them all", async () => {
    const calls = backend({
      form_current: () => ({ unit_rate: 1200, person_rate: 1000 }),
      form_validate: () => [{ row: 0, column: "生效年月", code: "EMPTY", message: "生效年月为空，请填写" }],
      form_submit: () => RECEIPT,
    });
    const w = open(RATE);
    await settle();
    await field(w, "unit_rate").get("input").setValue("10");
    await w.get('[data-testid="form-submit"]').trigger("click");
    await settle();

    expect(calls.some((c) => c.cmd === "form_submit")).toBe(false);
    expect(field(w, "effective_month").get('[data-testid="field-error"]').text()).toBe("生效年月为空，请填写");
  });

  it("a refused submission shows the error code and message", async () => {
    backend({
      form_current: () => ({ unit_rate: 1200, person_rate: 1000 }),
      form_validate: () => [],
      form_submit: () => {
        throw { code: "NETWORK_UNREACHABLE", message: "连不上公积金中心，请检查网络后重试", issues: [] };
      },
    });
    const w = open(RATE);
    await settle();
    await field(w, "unit_rate").get("input").setValue("10");
    await w.get('[data-testid="form-submit"]').trigger("click");
    await settle();
    const err = w.get('[data-testid="form-error"]').text();
    expect(err).toContain("NETWORK_UNREACHABLE");
    expect(err).toContain("连不上公积金中心");
    expect(w.emitted("submitted")).toBeUndefined();
  });

  it("a network failure: queued when the outbox kept it, an error when the form never got that far", async () => {
    const pending = {
      idempotency_key: "k-form",
      business: "rate_adjustment",
      business_label: "缴存比例调整",
      created_at: new Date().toISOString(),
      month: "202611",
      state: "pending",
      serial: null,
      status: null,
      status_label: null,
      return_reason: null,
      error: "无法连接中心服务器",
    };
    let outbox: unknown[] = [pending];
    backend({
      form_current: () => ({ unit_rate: 1200, person_rate: 1000 }),
      form_validate: () => [],
      form_submit: () => {
        throw { code: "NETWORK", message: "无法连接中心服务器（连接超时）。", issues: [] };
      },
      history: () => outbox,
    });
    let w = open(RATE);
    await settle();
    await field(w, "unit_rate").get("input").setValue("10");
    await w.get('[data-testid="form-submit"]').trigger("click");
    await settle();
    expect(w.emitted("queued")).toEqual([[pending]]);
    expect(w.find('[data-testid="form-error"]').exists()).toBe(false);

    // The form's own check asks the centre too: failing there leaves nothing in the outbox.
    wrapper!.unmount();
    outbox = [];
    w = open(RATE);
    await settle();
    await field(w, "unit_rate").get("input").setValue("10");
    await w.get('[data-testid="form-submit"]').trigger("click");
    await settle();
    expect(w.emitted("queued")).toBeUndefined();
    expect(w.get('[data-testid="form-error"]').text()).toContain("无法连接中心服务器");
  });
});

describe("FormView: 单位信息变更", () => {
  const UNIT: BusinessInfo = { code: "unit_change", label: "单位信息变更", kind: "form", hall: "employer" };
  const CURRENT = {
    account: "9817112009060",
    uscc: "91520100MA6DXXXX1X",
    name: "示例科技有限公司",
    address: "贵阳市观山湖区长岭北路 1 号",
    agent_mobile: "13800000000",
    fax: null,
  };

  it("starts from the centre's values and sends only the changes, with the value the clerk saw", async () => {
    const calls = backend({
      form_current: () => CURRENT,
      form_validate: () => [],
      code_table: () => [
        ["01", "身份证"],
        ["03", "护照"],
      ],
      form_submit: () => ({ ...RECEIPT, business: "unit_change" }),
    });
    const w = open(UNIT);
    await settle();

    expect(w.text()).toContain("91520100MA6DXXXX1X");
    expect((field(w, "address").get("input").element as HTMLInputElement).value).toBe(CURRENT.address);
    expect(calls).toContainEqual({ cmd: "code_table", args: { name: "id_type" } });

    await field(w, "address").get("input").setValue("贵阳市观山湖区林城西路 8 号");
    await field(w, "fax").get("input").setValue("0851-8123456");
    await afterTyping();
    expect(field(w, "address").text()).toContain("原值：贵阳市观山湖区长岭北路 1 号");

    await w.get('[data-testid="form-submit"]').trigger("click");
    await settle();
    const submitted = calls.find((c) => c.cmd === "form_submit");
    expect(submitted?.args).toEqual({
      business: "unit_change",
      data: {
        changes: [
          { field: "address", old: CURRENT.address, new: "贵阳市观山湖区林城西路 8 号" },
          { field: "fax", old: null, new: "0851-8123456" },
        ],
      },
    });
    expect(w.emitted("submitted")).toHaveLength(1);
  });

  it("an issue about a field shows under it (matched by the label)", async () => {
    backend({
      form_current: () => CURRENT,
      code_table: () => [],
      form_validate: () => [
        { row: 0, column: "经办人手机号码", code: "MOBILE_INVALID", message: "手机号码应为 11 位数字" },
      ],
    });
    const w = open(UNIT);
    await settle();
    await field(w, "agent_mobile").get("input").setValue("1380000");
    await afterTyping();
    expect(field(w, "agent_mobile").get('[data-testid="field-error"]').text()).toBe("手机号码应为 11 位数字");
  });
});

describe("FormView: 缴存人登记（单笔）", () => {
  it("sends one row with the base in 分 and shows an issue named by the template title under the field", async () => {
    const validated: unknown[] = [];
    backend({
      code_table: () => [],
      form_validate: (a) => {
        validated.push(a.data);
        return [{ row: 1, column: "个人缴存基数（元）", code: "BASE_TOO_LOW", message: "缴存基数低于最低标准" }];
      },
    });
    const w = open({ code: "contributor_registration", label: "缴存人登记", kind: "batch", hall: "employer" });
    await settle();
    await field(w, "name").get("input").setValue("张三");
    await field(w, "base").get("input").setValue("1,234.5");
    await afterTyping();

    expect(validated[validated.length - 1]).toMatchObject({
      rows: [{ row: 1, name: "张三", id_type: "", base: 123450, first_month: null, sex: null }],
    });
    expect(field(w, "base").get('[data-testid="field-error"]').text()).toBe("缴存基数低于最低标准");
  });
});

describe("FormView: 项目录入", () => {
  const PROJECT: BusinessInfo = { code: "project", label: "项目录入", kind: "form", hall: "developer" };
  const RETURNED = {
    id: "XM00000012",
    status: "returned",
    status_label: "已退回",
    editable: true,
    last_serial: "0326112000001",
    return_reason: "预售许可证号与住建部门登记不符",
    project: { project_id: "XM00000012", name: "观山湖·云著", deposit_ratio: 500, total_area: 1234567, total_amount: 98765432100 },
    buildings: [],
  };

  it("lists the projects, loads a returned one converted for reading, saves a draft and submits it with its id", async () => {
    const calls = backend({
      projects: () => [RETURNED, { ...RETURNED, id: "XM00000013", status: "active", status_label: "已办结", editable: false }],
      form_validate: () => [],
      project_draft: (a) => ({ ...RETURNED, status: "draft", status_label: "草稿", project: a.project }),
      form_submit: () => ({ ...RECEIPT, business: "project" }),
    });
    const w = open(PROJECT);
    await settle();

    const list = w.get('[data-testid="project-list"]').text();
    expect(list).toContain("XM00000012");
    expect(list).toContain("预售许可证号与住建部门登记不符");
    const load = w.findAll('[data-testid="project-load"]');
    expect(load).toHaveLength(1);
    await load[0].trigger("click");
    await settle();

    expect((field(w, "name").get("input").element as HTMLInputElement).value).toBe("观山湖·云著");
    expect((field(w, "deposit_ratio").get("input").element as HTMLInputElement).value).toBe("5");
    expect((field(w, "total_area").get("input").element as HTMLInputElement).value).toBe("12345.67");
    expect((field(w, "total_amount").get("input").element as HTMLInputElement).value).toBe("987654321.00");

    await field(w, "presale_permit").get("input").setValue("筑住建预售字（2026）第 018 号");
    await w.get('[data-testid="form-draft"]').trigger("click");
    await settle();
    const draft = calls.find((c) => c.cmd === "project_draft");
    expect(draft?.args.id).toBe("XM00000012");
    expect(draft?.args.project).toMatchObject({
      project_id: "XM00000012",
      name: "观山湖·云著",
      presale_permit: "筑住建预售字（2026）第 018 号",
      deposit_ratio: 500,
      total_area: 1234567,
      total_amount: 98765432100,
      note: null,
    });

    await w.get('[data-testid="form-submit"]').trigger("click");
    await settle();
    const submitted = calls.find((c) => c.cmd === "form_submit");
    expect(submitted?.args).toMatchObject({ business: "project", data: { project_id: "XM00000012" } });
    expect(w.emitted("submitted")).toHaveLength(1);
  });
});

describe("FormView: 楼栋录入", () => {
  it("sends the 户 list as a file path and shows its rows' issues under the file field", async () => {
    const validated: unknown[] = [];
    backend({
      projects: () => [
        { id: "XM00000013", status: "active", status_label: "已办结", editable: false, last_serial: null, return_reason: null, project: { name: "云著" }, buildings: [] },
        { id: "XM00000014", status: "draft", status_label: "草稿", editable: true, last_serial: null, return_reason: null, project: { name: "草稿盘" }, buildings: [] },
      ],
      pick_open: () => "/home/dev/1栋户清单.xlsx",
      form_validate: (a) => {
        validated.push(a.data);
        return [
          { row: 5, column: "套内面积", code: "INNER_AREA_TOO_BIG", message: "套内面积大于建筑面积" },
          { row: 0, column: "层数", code: "FLOORS", message: "层数须在 1 - 200 之间" },
        ];
      },
    });
    const w = open({ code: "building", label: "楼栋录入", kind: "form", hall: "developer" });
    await settle();

    // Only approved projects can take buildings.
    const select = w.findAllComponents({ name: "ElSelect" })[0];
    const options = w.findAllComponents({ name: "ElOption" }).map((o) => o.props("value"));
    expect(options).toEqual(["XM00000013"]);
    select.vm.$emit("update:modelValue", "XM00000013");
    await field(w, "floor_count").get("input").setValue("0");
    await field(w, "loan_ratio").get("input").setValue("70");
    await field(w, "houses_file").get('[data-testid="field-browse"]').trigger("click");
    await afterTyping();

    expect(validated[validated.length - 1]).toMatchObject({
      project_id: "XM00000013",
      floor_count: 0,
      loan_ratio: 7000,
      houses_file: "/home/dev/1栋户清单.xlsx",
    });
    expect(field(w, "houses_file").get('[data-testid="field-error"]').text()).toBe("第 5 行 套内面积：套内面积大于建筑面积");
    expect(field(w, "floor_count").get('[data-testid="field-error"]').text()).toBe("层数须在 1 - 200 之间");
  });
});

describe("FormView: 缴存人信息变更（单笔）", () => {
  it("looks the person up by 个人账号, then sends one row with the changes and the values they were made against", async () => {
    const person = {
      account: "100000123",
      status: "01",
      name: "张三",
      id_type: "01",
      id_number: "520102199001011234",
      sex: "1",
      birth_month: "199001",
      mobile: "13800000000",
      landline: null,
      bank_account: null,
      bank_name: null,
    };
    const calls = backend({
      code_table: () => [],
      form_current: () => person,
      form_validate: () => [],
      form_submit: () => ({ ...RECEIPT, business: "contributor_change" }),
    });
    const w = open({ code: "contributor_change", label: "缴存人信息变更", kind: "batch", hall: "employer" });
    await settle();
    expect(w.find('[data-testid="field"]').exists()).toBe(false);

    await w.get('[data-testid="lookup-key"] input').setValue("100000123");
    await w.get('[data-testid="lookup-button"]').trigger("click");
    await settle();
    expect(calls).toContainEqual({ cmd: "form_current", args: { business: "contributor_change", key: "100000123" } });
    expect((field(w, "mobile").get("input").element as HTMLInputElement).value).toBe("13800000000");

    await field(w, "mobile").get("input").setValue("13900000000");
    await field(w, "note").get("input").setValue("本人申请");
    await w.get('[data-testid="form-submit"]').trigger("click");
    await settle();

    expect(calls.find((c) => c.cmd === "form_submit")?.args).toEqual({
      business: "contributor_change",
      data: {
        rows: [
          {
            row: 1,
            account: "100000123",
            name: "张三",
            id_number: "520102199001011234",
            changes: [{ field: "mobile", old: "13800000000", new: "13900000000" }],
            olds: true,
            note: "本人申请",
          },
        ],
      },
    });
  });
});
