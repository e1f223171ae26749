// Test helpers for the screens: fixtures shaped like the Rust side's answers, a recording IPC mock, and
// a mount of the whole window (Element Plus zh-CN + a memory-history router). Used only by *.test.ts.
import { flushPromises, mount, type VueWrapper } from "@vue/test-utils";
import { mockIPC } from "@tauri-apps/api/mocks";
import ElementPlus from "element-plus";
import zhCn from "element-plus/es/locale/lang/zh-cn";
import { createMemoryHistory, type Router } from "vue-router";
import App from "./App.vue";
import { createAppRouter } from "./router";
import type { BatchSummary, BusinessInfo, CellIssue, CertInfo, Issue, KeyInfo, KeyList, LoginInfo, Role } from "./api";

export const EMPLOYER_BUSINESSES: BusinessInfo[] = [
  { code: "unit_change", label: "单位信息变更", kind: "form", hall: "employer" },
  { code: "base_adjustment", label: "缴存基数调整", kind: "batch", hall: "employer" },
  { code: "rate_adjustment", label: "缴存比例调整", kind: "form", hall: "employer" },
  { code: "remittance", label: "汇缴", kind: "batch", hall: "employer" },
];

export const DEVELOPER_BUSINESSES: BusinessInfo[] = [
  { code: "project", label: "项目录入", kind: "form", hall: "developer" },
  { code: "building", label: "楼栋录入", kind: "form", hall: "developer" },
  { code: "project_material", label: "补充项目材料", kind: "upload", hall: "developer" },
  { code: "loan_application", label: "贷款申请", kind: "batch", hall: "developer" },
];

export function cert(over: Partial<CertInfo> = {}): CertInfo {
  return {
    fingerprint: "aa11",
    unit_name: "示例科技有限公司",
    uscc: "91520100MA6DXXXX1X",
    issuer: "贵州省数字证书认证中心",
    serial: "0a1b",
    not_before: "2025-01-01T00:00:00Z",
    not_after: "2027-03-31T00:00:00Z",
    days_left: 120,
    expiry_warning: null,
    role: "employer",
    ...over,
  };
}

export function key(over: Partial<KeyInfo> = {}): KeyInfo {
  return {
    module: "/usr/lib/softhsm/libsofthsm2.so",
    vendor: "SoftHSM",
    slot: 1,
    label: "unit-a",
    serial: "K0001",
    pin_flags: { count_low: false, final_try: false, locked: false },
    certificates: [cert()],
    ...over,
  };
}

export function keyList(keys: KeyInfo[], hint: string | null = null): KeyList {
  return {
    modules: [
      { path: "/usr/lib/softhsm/libsofthsm2.so", vendor: "SoftHSM", library_version: "2.6", configured: true, error: null },
    ],
    keys,
    hint,
  };
}

export function loginInfo(role: Role = "employer"): LoginInfo {
  const developer = role === "developer";
  return {
    me: {
      unit: {
        account: developer ? "4000012" : "9817112009060",
        name: developer ? "示例房地产开发有限公司" : "示例科技有限公司",
        uscc: "91520100MA6DXXXX1X",
        status: "01",
        unit_rate: 1200,
        person_rate: 1050,
        first_month: "201801",
        paid_through: "202610",
      },
      role,
      certificate_serial: "0a1b",
      certificate_not_after: 1806451200,
      server_time: 1795000000,
      today: "202611",
    },
    businesses: developer ? DEVELOPER_BUSINESSES : EMPLOYER_BUSINESSES,
    certificate: cert({ role }),
  };
}

/** How many issues a BatchSummary carries (the rest are paged with `batchIssues`), as the Rust side caps it. */
export const SUMMARY_ISSUES = 200;

/** The full issue list in the order Rust keeps it: sheet-level (row 0) first, then by row (stable). */
export function issueOrder(issues: Issue[]): Issue[] {
  return issues.slice().sort((a, b) => a.row - b.row);
}

/**
 * A BatchSummary as the Rust side builds it from a sheet's full issue list: the first SUMMARY_ISSUES issues
 * only, the count of all of them and of the rows they touch.
 */
export function batchSummary(
  sheet: { business: string; file: string; columns: string[]; header_row?: number | null; rows: number },
  issues: Issue[],
): BatchSummary {
  const all = issueOrder(issues);
  return {
    business: sheet.business,
    file: sheet.file,
    columns: sheet.columns,
    header_row: sheet.header_row ?? 1,
    rows: sheet.rows,
    issues: all.slice(0, SUMMARY_ISSUES),
    issue_count: all.length,
    rows_with_issues: new Set(all.filter((i) => i.row > 0).map((i) => i.row)).size,
    clean: all.length === 0,
    // Checked with the centre's facts of the login (not `gjj check` without the key).
    offline: null,
    // Imported from a file, not reopened from 办理记录.
    origin: null,
  };
}

/** The issues of one Excel row as a GridRowView carries them. */
export function cellIssues(issues: Issue[], row: number): CellIssue[] {
  return issues.filter((i) => i.row === row).map(({ column, code, message }) => ({ column, code, message }));
}

export interface IpcCall {
  cmd: string;
  args: Record<string, unknown>;
}

type Handler = (args: Record<string, unknown>) => unknown;

/**
 * Mocks the Tauri core with one handler per command and records every call. A handler that throws
 * makes `invoke` reject with what it threw (an AppError object, as the Rust side sends). Commands
 * without a handler reject, so a screen calling something unexpected fails its test.
 */
export function mockCommands(handlers: Record<string, Handler>): IpcCall[] {
  const calls: IpcCall[] = [];
  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args });
    const h = handlers[cmd];
    if (!h) throw { code: "INTERNAL", message: `no mock for ${cmd}`, issues: [] };
    return h(args);
  });
  return calls;
}

/** An AppError as `invoke` rejects with it. */
export function appError(code: string, message: string) {
  return { code, message, issues: [] };
}

/** Mounts the whole window at `path`; resolves when the route and its first IPC answers settled. */
export async function mountApp(path: string): Promise<{ wrapper: VueWrapper; router: Router }> {
  const router = createAppRouter(createMemoryHistory());
  await router.push(path);
  await router.isReady();
  const wrapper = mount(App, {
    attachTo: document.body,
    // Real transitions: the stubs would take the attributes (data-testid) meant for the component.
    global: { plugins: [[ElementPlus, { locale: zhCn }], router], stubs: { transition: false } },
  });
  await settle();
  return { wrapper, router };
}

/** Lets promises, lazy route components and re-renders finish. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await flushPromises();
    await new Promise((r) => setTimeout(r, 0));
  }
}
