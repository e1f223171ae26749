/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";

// Tauri expects a fixed dev port (tauri.conf.json devUrl) and loads ui/dist in release.
export default defineConfig({
  plugins: [vue()],
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
    // Whole-window tests (router, lazy routes, several screens in one case) take 1–3 s alone and far longer on a
    // 2-core CI machine building Rust beside them: the 5 s default failed one there while it passed alone.
    testTimeout: 30_000,
  },
});
