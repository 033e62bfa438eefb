import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Built into web/dist and served by the API process itself (src/http/web-app.ts), so the
// browser talks to the API on the same origin with the session cookie and nothing else.
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1500 },
  server: { proxy: { "/api": "http://localhost:3000", "/auth": "http://localhost:3000" } },
});
