import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

// The agent serves dist/ with @fastify/static (agent/src/server/routes/web-app.ts). Built files only, no
// dev server needed: `npx vite build webui` (or `npm run build`). Relative asset URLs ("./assets/…") so the
// same build works behind a path prefix (fleet pooling behind nginx).
export default defineConfig({
  root: import.meta.dirname,
  base: "./",
  plugins: [preact()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2020",
    sourcemap: false,
  },
});
