/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";
import components from "unplugin-vue-components/vite";
import { ElementPlusResolver } from "unplugin-vue-components/resolvers";

// Tauri expects a fixed dev port (tauri.conf.json devUrl) and loads ui/dist in release.
export default defineConfig(({ mode }) => ({
  // Element Plus component by component (each <el-*> and v-loading with its own CSS), not the whole library and
  // its 360 KB stylesheet before the login screen can show: the window's cold start parses only what it uses.
  // The screens' tests install the whole library themselves (src/testing.ts): Node cannot import the CSS.
  plugins: [
    vue(),
    ...(mode === "test"
      ? []
      : [components({ resolvers: [ElementPlusResolver({ importStyle: "css", directives: true })], dts: false })]),
  ],
  clearScreen: false,
  server: {
    port: 5173,
    strictPort: true,
    watch: { ignored: ["**/src-tauri/**"] },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // WebKitGTK 2.4x on Linux, WebView2 (Chromium) on Windows.
    target: ["es2021", "chrome105", "safari15"],
  },
  test: {
    environment: "jsdom",
    // Component styles imported beside a script's components: Vite stubs the CSS where Node could not load it.
    server: { deps: { inline: [/element-plus\/es\/components\/[^/]+\/style/] } },
    // Whole-window tests (router, lazy routes, several screens in one case) take 1–3 s alone and far longer on a
    // 2-core CI machine building Rust beside them: the 5 s default failed one there while it passed alone.
    testTimeout: 30_000,
  },
}));
