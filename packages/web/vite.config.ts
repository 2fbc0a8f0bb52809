// Vite build of the web app into dist/ (served by the Parley server at /); `npm run dev -w @parley/web` proxies the
// API and WebSocket to a Parley server on localhost:8080.
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const server = process.env.PARLEY_DEV_SERVER ?? "http://localhost:8080";

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
  },
  server: {
    proxy: {
      "/v1/ws": { target: server.replace(/^http/, "ws"), ws: true },
      "/v1": server,
      "/healthz": server,
      "/readyz": server,
    },
  },
});
