import { flushPromises, mount, type VueWrapper } from "@vue/test-utils";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import VirtualGrid from "./VirtualGrid.vue";
import type { BatchSummary, CellIssue, GridRowView } from "../api";

const COLUMNS = ["序号", "个人账号", "姓名", "调整后缴存基数（元）"];

type IssuesOf = (row: number) => CellIssue[];

/** A sheet whose data starts at Excel row 3 (title row, header row), every row in order, with its issues. */
function rowAt(index: number, issuesOf: IssuesOf = () => []): GridRowView {
  const row = index + 3;
  return { row, cells: [String(index + 1), `10${index}`, `职工${index}`, "5000.00"], issues: issuesOf(row) };
}

function summary(rows: number, over: Partial<BatchSummary> = {}): BatchSummary {
  return {
    business: "base_adjustment",
    file: "/home/clerk/基数.xlsx",
    columns: COLUMNS,
    header_row: 2,
    rows,
    issues: [],
    issue_count: 0,
    rows_with_issues: 0,
    clean: true,
    offline: null,
    origin: null,
    ...over,
  };
}

interface Call {
  cmd: string;
  args: Record<string, unknown>;
}

/**
 * The Rust side of the sheet: rows by pages, each with its issues as `issues.of` says at the time of the fetch
 * (an edit may change it), every call recorded.
 */
function sheet(
  total: number,
  edit?: (args: Record<string, unknown>) => BatchSummary,
  issues: { of: IssuesOf } = { of: () => [] },
): Call[] {
  const calls: Call[] = [];
  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args });
    if (cmd === "batch_rows") {
      const offset = args.offset as number;
      const limit = args.limit as number;
      const out: GridRowView[] = [];
      for (let i = offset; i < Math.min(total, offset + limit); i++) out.push(rowAt(i, issues.of));
      return out;
    }
    if (cmd === "batch_row_index") {
      const i = (args.row as number) - 3;
      return i >= 0 && i < total ? i : null;
    }
    if (cmd === "batch_edit" && edit) return edit(args);
    throw { code: "INTERNAL", message: `no mock for ${cmd}`, issues: [] };
  });
  return calls;
}

async function settle() {
  for (let i = 0; i < 4; i++) {
    await flushPromises();
    await new Promise((r) => setTimeout(r, 0));
  }
}

let wrapper: VueWrapper | null = null;

afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
  clearMocks();
});

function renderedRows(w: VueWrapper): number[] {
  const rows = new Set<number>();
  for (const c of w.findAll('[data-testid="cell"]')) rows.add(Number(c.attributes("data-row")));
  return [...rows].sort((a, b) => a - b);
}

describe("VirtualGrid", () => {
  it("renders only a window of a 100,000-row sheet and fetches it by pages", async () => {
    const calls = sheet(100_000);
    wrapper = mount(VirtualGrid, { props: { summary: summary(100_000), height: 480 }, attachTo: document.body });
    await settle();

    const rows = renderedRows(wrapper);
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.length).toBeLessThan(100);
    expect(rows[0]).toBe(3);
    const fetches = calls.filter((c) => c.cmd === "batch_rows");
    expect(fetches).toEqual([{ cmd: "batch_rows", args: { offset: 0, limit: 200 } }]);
    // The spacer is as tall as every row, so the scrollbar is true to the sheet.
    const spacer = wrapper.get(".vg-spacer").element as HTMLElement;
    expect(spacer.style.height).toBe(`${(100_000 + 1) * 32}px`);
    // Every rendered cell names its Excel row and column.
    const cell = wrapper.get('[data-testid="cell"][data-row="5"][data-col="姓名"]');
    expect(cell.text()).toBe("职工2");
  });

  it("scrolling far down fetches the page there and renders those rows only", async () => {
    const calls = sheet(100_000);
    wrapper = mount(VirtualGrid, { props: { summary: summary(100_000), height: 480 }, attachTo: document.body });
    await settle();

    const el = wrapper.get('[data-testid="grid"]').element as HTMLElement;
    Object.defineProperty(el, "scrollTop", { value: 70_000 * 32, configurable: true, writable: true });
    await wrapper.get('[data-testid="grid"]').trigger("scroll");
    await new Promise((r) => requestAnimationFrame(() => r(null)));
    await settle();

    const rows = renderedRows(wrapper);
    expect(rows.length).toBeLessThan(100);
    expect(rows).toContain(70_003);
    expect(rows).not.toContain(3);
    expect(calls.filter((c) => c.cmd === "batch_rows").map((c) => c.args.offset)).toContain(69_800);
  });

  it("marks cells from each fetched row's own issues: class cell-bad and the messages as the title", async () => {
    const byRow: Record<number, CellIssue[]> = {
      4: [
        { column: "姓名", code: "NAME_MISMATCH", message: "姓名与中心登记的不一致" },
        { column: "姓名", code: "X", message: "姓名含有非法字符" },
      ],
      6: [{ column: "", code: "DUPLICATE", message: "与第 5 行重复" }],
      7: [{ column: "备注", code: "EXTRA", message: "模板中没有这一列" }],
    };
    sheet(50, undefined, { of: (r) => byRow[r] ?? [] });
    // The summary carries none of them (it holds only the first few of a big sheet's issues) and one the rows
    // do not have: the marks follow the rows, never the summary.
    const s = summary(50, {
      clean: false,
      issues: [{ row: 5, column: "姓名", code: "STALE", message: "不应标出" }],
      issue_count: 5,
      rows_with_issues: 3,
    });
    wrapper = mount(VirtualGrid, { props: { summary: s, height: 480 }, attachTo: document.body });
    await settle();

    const bad = wrapper.get('[data-testid="cell"][data-row="4"][data-col="姓名"]');
    expect(bad.classes()).toContain("cell-bad");
    expect(bad.attributes("title")).toBe("姓名与中心登记的不一致\n姓名含有非法字符");
    const good = wrapper.get('[data-testid="cell"][data-row="4"][data-col="个人账号"]');
    expect(good.classes()).not.toContain("cell-bad");
    expect(good.attributes("title")).toBeUndefined();
    expect(wrapper.get('[data-testid="cell"][data-row="5"][data-col="姓名"]').classes()).not.toContain("cell-bad");
    // A row-level issue, or one naming a column the grid does not have, marks the row number.
    const rownum = wrapper.get('.vg-rownum[data-row="6"]');
    expect(rownum.classes()).toContain("cell-bad");
    expect(rownum.attributes("title")).toBe("与第 5 行重复");
    expect(wrapper.get('.vg-rownum[data-row="7"]').attributes("title")).toBe("备注：模板中没有这一列");
    expect(wrapper.findAll(".cell-bad")).toHaveLength(3);
  });

  it("a 100,000-row sheet where every row is wrong: marks only the rendered rows, from their pages", async () => {
    const calls = sheet(100_000, undefined, {
      of: (r) => [{ column: "调整后缴存基数（元）", code: "BASE_TOO_LOW", message: `第 ${r} 行基数低于下限` }],
    });
    const s = summary(100_000, { clean: false, issues: [], issue_count: 100_000, rows_with_issues: 100_000 });
    wrapper = mount(VirtualGrid, { props: { summary: s, height: 480 }, attachTo: document.body });
    await settle();
    const el = wrapper.get('[data-testid="grid"]').element as HTMLElement;
    Object.defineProperty(el, "scrollTop", { value: 70_000 * 32, configurable: true, writable: true });
    await wrapper.get('[data-testid="grid"]').trigger("scroll");
    await new Promise((r) => requestAnimationFrame(() => r(null)));
    await settle();

    const marked = wrapper.findAll(".cell-bad");
    expect(marked.length).toBe(renderedRows(wrapper).length);
    expect(marked.length).toBeLessThan(100);
    const far = wrapper.get('[data-testid="cell"][data-row="70003"][data-col="调整后缴存基数（元）"]');
    expect(far.classes()).toContain("cell-bad");
    expect(far.attributes("title")).toBe("第 70003 行基数低于下限");
    expect(calls.every((c) => c.cmd === "batch_rows")).toBe(true);
  });

  it("scrollToRow asks Rust for the row's index, scrolls there and focuses the cell", async () => {
    const calls = sheet(100_000);
    wrapper = mount(VirtualGrid, { props: { summary: summary(100_000), height: 480 }, attachTo: document.body });
    await settle();

    const found = await (wrapper.vm as unknown as { scrollToRow(r: number, c?: string): Promise<boolean> }).scrollToRow(
      42_003,
      "姓名",
    );
    await settle();

    expect(found).toBe(true);
    expect(calls).toContainEqual({ cmd: "batch_row_index", args: { row: 42_003 } });
    const cell = wrapper.get('[data-testid="cell"][data-row="42003"][data-col="姓名"]');
    expect(cell.classes()).toContain("cell-focus");
    expect(document.activeElement).toBe(cell.element);
    expect(renderedRows(wrapper).length).toBeLessThan(100);

    const missing = await (wrapper.vm as unknown as { scrollToRow(r: number): Promise<boolean> }).scrollToRow(1);
    expect(missing).toBe(false);
  });

  it("double-click edits a cell in place: Enter sends batchEdit(row, column, value) and emits the new summary", async () => {
    const issue = { row: 5, column: "姓名", code: "NAME_MISMATCH", message: "姓名与中心登记的不一致" };
    let fixed = false;
    const next = summary(50, { issues: [], clean: true });
    const calls = sheet(
      50,
      () => {
        fixed = true;
        return next;
      },
      { of: (r) => (r === 5 && !fixed ? [issue] : []) },
    );
    wrapper = mount(VirtualGrid, {
      props: {
        summary: summary(50, { clean: false, issues: [issue], issue_count: 1, rows_with_issues: 1 }),
        height: 480,
      },
      attachTo: document.body,
    });
    await settle();
    const cellAt = () => wrapper!.get('[data-testid="cell"][data-row="5"][data-col="姓名"]');
    expect(cellAt().classes()).toContain("cell-bad");

    await wrapper.get('[data-testid="cell"][data-row="5"][data-col="姓名"]').trigger("dblclick");
    const editor = wrapper.get('[data-testid="cell-editor"]');
    await flushPromises();
    const input = editor.element as HTMLInputElement;
    expect(input.value).toBe("职工2");
    expect(document.activeElement).toBe(input);
    // The old text is selected: typing replaces it.
    expect([input.selectionStart, input.selectionEnd]).toEqual([0, 3]);
    await editor.setValue("张三");
    await editor.trigger("keydown", { key: "Enter" });
    await settle();

    expect(calls.filter((c) => c.cmd === "batch_edit")).toEqual([
      { cmd: "batch_edit", args: { row: 5, column: "姓名", value: "张三" } },
    ]);
    expect(wrapper.emitted("edited")).toEqual([[next]]);
    expect(wrapper.find('[data-testid="cell-editor"]').exists()).toBe(false);
    // The new text shows at once, before the parent passes the new summary down; the mark stays until then.
    expect(cellAt().text()).toBe("张三");
    expect(cellAt().classes()).toContain("cell-bad");

    // The parent passes the new summary: the visible page is fetched again, and the row's issues with it.
    const before = calls.filter((c) => c.cmd === "batch_rows").length;
    await wrapper.setProps({ summary: next });
    await settle();
    expect(calls.filter((c) => c.cmd === "batch_rows").length).toBe(before + 1);
    expect(cellAt().classes()).not.toContain("cell-bad");
    expect(cellAt().attributes("title")).toBeUndefined();
    expect(wrapper.find(".cell-bad").exists()).toBe(false);
  });

  it("Esc cancels an edit without calling Rust", async () => {
    const calls = sheet(50);
    wrapper = mount(VirtualGrid, { props: { summary: summary(50), height: 480 }, attachTo: document.body });
    await settle();

    await wrapper.get('[data-testid="cell"][data-row="3"][data-col="个人账号"]').trigger("dblclick");
    const editor = wrapper.get('[data-testid="cell-editor"]');
    await editor.setValue("999");
    await editor.trigger("keydown", { key: "Escape" });
    await settle();

    expect(wrapper.find('[data-testid="cell-editor"]').exists()).toBe(false);
    expect(calls.some((c) => c.cmd === "batch_edit")).toBe(false);
    expect(wrapper.get('[data-testid="cell"][data-row="3"][data-col="个人账号"]').text()).toBe("100");
  });

  it("a refused edit puts the old text back and reports the error", async () => {
    sheet(50, () => {
      throw { code: "SESSION_EXPIRED", message: "登录已过期，请重新登录", issues: [] };
    });
    wrapper = mount(VirtualGrid, { props: { summary: summary(50), height: 480 }, attachTo: document.body });
    await settle();

    await wrapper.get('[data-testid="cell"][data-row="3"][data-col="姓名"]').trigger("dblclick");
    const editor = wrapper.get('[data-testid="cell-editor"]');
    await editor.setValue("李四");
    await editor.trigger("blur");
    await settle();

    expect(wrapper.get('[data-testid="cell"][data-row="3"][data-col="姓名"]').text()).toBe("职工0");
    expect(wrapper.emitted("error")?.[0]?.[0]).toMatchObject({ code: "SESSION_EXPIRED" });
  });
});

describe("VirtualGrid keyboard", () => {
  it("Enter in the editor saves once and does not reopen it, even when Rust answers at once", async () => {
    const calls = sheet(50, () => summary(50));
    wrapper = mount(VirtualGrid, { props: { summary: summary(50), height: 480 }, attachTo: document.body });
    await settle();
    await wrapper.get('[data-testid="cell"][data-row="3"][data-col="姓名"]').trigger("dblclick");
    await flushPromises();
    const input = wrapper.get('[data-testid="cell-editor"]');
    await input.setValue("AB");
    // In the window, Rust's answer can land between the editor's listener and its cell's (microtasks run
    // between listeners of a native event): the cell must never see the editor's Enter, or it reopens.
    const leaked: string[] = [];
    wrapper.get('[data-testid="grid"]').element.addEventListener("keydown", (e) => leaked.push((e as KeyboardEvent).key));
    input.element.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true }));
    expect(leaked).toEqual([]);
    await settle();
    expect(calls.filter((c) => c.cmd === "batch_edit")).toHaveLength(1);
    expect(wrapper.find('[data-testid="cell-editor"]').exists()).toBe(false);

    // Enter (or F2) on a focused cell opens the editor.
    const cell = wrapper.get('[data-testid="cell"][data-row="4"][data-col="姓名"]');
    cell.element.dispatchEvent(new KeyboardEvent("keydown", { key: "F2", bubbles: true, cancelable: true }));
    await flushPromises();
    expect(wrapper.find('[data-testid="cell-editor"]').exists()).toBe(true);
  });
});
