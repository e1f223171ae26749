// The logged-in state of the window: the LoginInfo the `login` command answered, cleared on logout.
// One small reactive store instead of a state library: the screens only read it, and only the login and
// logout paths write it.
import { computed, reactive } from "vue";
import type { BusinessInfo, LoginInfo, Role } from "./api";

interface SessionState {
  info: LoginInfo | null;
}

const state = reactive<SessionState>({ info: null });

/** Read-only view of the session for templates and guards. */
export const session = {
  get info(): LoginInfo | null {
    return state.info;
  },
  get loggedIn(): boolean {
    return state.info !== null;
  },
  /** The businesses the centre offers this certificate's role, in the centre's order. */
  get businesses(): BusinessInfo[] {
    return state.info?.businesses ?? [];
  },
};

export const loggedIn = computed(() => state.info !== null);

export function setLogin(info: LoginInfo): void {
  state.info = info;
}

export function clearLogin(): void {
  state.info = null;
}

const ROLE_LABELS: Record<Role, string> = {
  employer: "单位网厅",
  developer: "开发商网厅",
  staff: "中心",
};

/** The hall a role works in, as the header names it. */
export function roleLabel(role: Role): string {
  return ROLE_LABELS[role] ?? role;
}
