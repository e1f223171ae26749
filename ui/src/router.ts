// Routes of the window. Hash history: the release build loads ui/dist from Tauri's custom protocol,
// where only index.html exists. Screens behind `auth` need a session; diagnostics and settings stay
// reachable while logged out (a clerk whose key is not found needs them most).
import {
  createRouter,
  createWebHashHistory,
  type RouteRecordRaw,
  type Router,
  type RouterHistory,
} from "vue-router";
import { session } from "./session";
import LoginView from "./views/LoginView.vue";
import HomeView from "./views/HomeView.vue";

declare module "vue-router" {
  interface RouteMeta {
    /** Needs a logged-in session; otherwise the guard sends the user to /login. */
    auth?: boolean;
    /** Title shown in the header. */
    title?: string;
  }
}

export const routes: RouteRecordRaw[] = [
  { path: "/", redirect: () => (session.loggedIn ? "/home" : "/login") },
  { path: "/login", name: "login", component: LoginView, meta: { title: "登录" } },
  { path: "/home", name: "home", component: HomeView, meta: { auth: true, title: "首页" } },
  {
    path: "/business/:code",
    name: "business",
    component: () => import("./views/BusinessView.vue"),
    meta: { auth: true },
  },
  {
    path: "/history",
    name: "history",
    component: () => import("./views/HistoryView.vue"),
    meta: { auth: true, title: "办理记录" },
  },
  {
    path: "/receipt/:serial",
    name: "receipt",
    component: () => import("./views/ReceiptView.vue"),
    meta: { auth: true, title: "回执" },
  },
  {
    // A submission kept in this PC's outbox because the centre was not reached: no 流水号 yet.
    path: "/queued/:key",
    name: "queued",
    component: () => import("./views/QueuedView.vue"),
    meta: { auth: true, title: "待发送" },
  },
  {
    // No key, no centre: a sheet checked on the facts cached at the last login (or the shipped policy).
    path: "/check",
    name: "offline-check",
    component: () => import("./views/OfflineCheckView.vue"),
    meta: { title: "离线检查" },
  },
  {
    path: "/diagnostics",
    name: "diagnostics",
    component: () => import("./views/DiagnosticsView.vue"),
    meta: { title: "诊断" },
  },
  {
    path: "/settings",
    name: "settings",
    component: () => import("./views/SettingsView.vue"),
    meta: { title: "设置" },
  },
  { path: "/:rest(.*)*", redirect: "/" },
];

/** A router over `history` (hash history in the app, memory history in tests). */
export function createAppRouter(history: RouterHistory = createWebHashHistory()): Router {
  const router = createRouter({ history, routes });
  router.beforeEach((to) => {
    if (to.meta.auth && !session.loggedIn) return { name: "login" };
    if (to.name === "login" && session.loggedIn) return { name: "home" };
    return true;
  });
  return router;
}
