// What a business screen hands to the page the clerk lands on after 提交: the receipt the centre just issued
// (the receipt page shows it at once instead of asking the centre again, and keeps it if that asking fails),
// or the outbox entry a submit left queued when the centre could not be reached. Memory only: after a reload
// the receipt page asks the centre, which holds the same receipt.
import { watch } from "vue";
import { asAppError, history, type AppError, type HistoryEntry, type Receipt } from "./api";
import { loggedIn } from "./session";

let last: Receipt | null = null;

/** Keeps the receipt a submit returned for the receipt page. */
export function rememberReceipt(receipt: Receipt): void {
  last = receipt;
}

/** The receipt a submit of this session just returned under `serial`, if that was the last one. */
export function justSubmitted(serial: string): Receipt | null {
  return last && last.serial === serial ? last : null;
}

// Another unit may log in next: its receipt page must not show this one's receipt.
watch(loggedIn, (inside) => {
  if (!inside) last = null;
});

/**
 * After a submit failed to reach the centre: the entry it left in this PC's outbox, still pending, if it did.
 * A submit writes its entry before sending and keeps it pending when the centre could not be reached; a
 * failure before that (a form's check asks the centre too) leaves none, and the error alone does not say which.
 * `started`: Date.now() when the submit began (the store's clock is this PC's too).
 */
export async function queuedSince(started: number): Promise<HistoryEntry | null> {
  try {
    const entries = await history({ business: null, month: null });
    // A second of slack for how each side reads the clock.
    return entries.find((e) => e.state === "pending" && timeOf(e.created_at) >= started - 1000) ?? null;
  } catch {
    return null;
  }
}

/** RFC 3339 from Rust carries nanoseconds; Date.parse is only specified for milliseconds. NaN when unreadable. */
function timeOf(rfc3339: string): number {
  return Date.parse(rfc3339.replace(/(\.\d{3})\d+/, "$1"));
}

/** A submit error that may have left the submission queued in the outbox (the centre was not reached). */
export function mayBeQueued(code: string): boolean {
  return code === "NETWORK";
}

/** How a submit ended: the centre's receipt, the outbox entry it left queued, or the error to show. */
export type SubmitOutcome = { receipt: Receipt } | { queued: HistoryEntry } | { error: AppError };

/**
 * Runs a submit (batch or form). On an error that may have left it queued, looks in the outbox (`checking`
 * says while it does): a queued submission must not be submitted a second time, its own screen says so.
 */
export async function submitOutcome(
  send: () => Promise<Receipt>,
  checking: (on: boolean) => void,
): Promise<SubmitOutcome> {
  const started = Date.now();
  try {
    return { receipt: await send() };
  } catch (e) {
    const error = asAppError(e);
    if (mayBeQueued(error.code)) {
      checking(true);
      const queued = await queuedSince(started);
      checking(false);
      if (queued) return { queued };
    }
    return { error };
  }
}
