// Vite build of the web app into dist/ (served by the Parley server at /); `npm run dev -w @parley/web` proxies the
// API and WebSocket to a Parley server on localhost:8080. Source maps stay out of dist/ (it is served publicly):
// PARLEY_SOURCEMAP=1 writes them for local debugging, and the server refuses to serve them anyway.
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";
import { precompress } from "./build/compress.js";

const server = process.env.PARLEY_DEV_SERVER ?? "http://localhost:8080";

export default defineConfig({
  plugins: [react(), precompress()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: process.env.PARLEY_SOURCEMAP === "1",
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
