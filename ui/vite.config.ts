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
  },
});
