// Serves the web app (packages/web/dist) at `/`: fingerprinted assets cached for a year, index.html for every other
// GET that is not an API path (client-side routes such as /c/<id>), a build hint when the app was not built. Files the
// build compressed (`x.js.br`, `x.js.gz`) are sent instead of `x.js` to browsers that accept them; source maps are
// never served (the build does not put them in dist/ either).

import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "../logger.js";

/** Where `npm run build -w @parley/web` writes the app, seen from packages/server/dist/transport/. */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL("../../../web/dist/", import.meta.url));

/** Versioned API paths keep their JSON 404s; they never fall back to the app. */
const API_PATH = /^\/v\d+(\/|$)/;
/** Vite puts content-hashed files here: a changed file gets a new name, so they can be cached for good. */
const ASSETS_PREFIX = "/assets/";
/** Source maps and the build's compressed copies are not addressable as files of their own. */
const HIDDEN_FILE = /\.(?:map|br|gz)$/i;

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Parley</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem; line-height: 1.5">
<h1>Parley is running</h1>
<p>The web app has not been built yet. Run <code>npm run build</code> in the Parley directory, then reload this page.</p>
<p>The API (<code>/v1</code>) and WebSocket (<code>/v1/ws</code>) work without it.</p>
</body></html>
`;

export interface WebAppOptions {
  /** Directory with index.html and assets/; defaults to packages/web/dist. */
  root?: string;
}

function pathOf(request: FastifyRequest): string {
  const q = request.url.indexOf("?");
  return q === -1 ? request.url : request.url.slice(0, q);
}

/**
 * Whether a path may name a file of the app: no segment, once percent-decoded, is empty-dotted (`.`, `..`, dotfiles)
 * or holds a backslash or NUL, and the decoding is valid. Anything else is a probe (`/assets/../../package.json`) and
 * answers a plain 404: letting the file sender refuse it would log an error with a stack trace per request.
 */
export function isServablePath(path: string): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return false;
  }
  if (/[\\\0]/.test(decoded)) return false;
  return decoded.split("/").every((segment) => !segment.startsWith("."));
}

/** Registers the web app's routes on the HTTP API's Fastify instance (before it is ready). */
export function mountWebApp(app: FastifyInstance, log: Logger, options: WebAppOptions = {}): void {
  const root = options.root ?? DEFAULT_WEB_ROOT;
  if (!existsSync(join(root, "index.html"))) {
    log.warn({ root }, "web app not built: serving a build hint at / (run `npm run build`)");
    app.get("/*", async (request: FastifyRequest, reply: FastifyReply) => {
      if (API_PATH.test(pathOf(request))) return reply.callNotFound();
      return reply.code(503).header("cache-control", "no-store").type("text/html; charset=utf-8").send(NOT_BUILT_PAGE);
    });
    return;
  }

  // Only the `sendFile` decorator: the route below decides what each path serves.
  // `preCompressed`: the `.br` or `.gz` sibling the build wrote, by the request's Accept-Encoding, with
  // `Vary: Accept-Encoding` on every answer (the plain file is the fallback).
  void app.register(fastifyStatic, { root, serve: false, dotfiles: "deny", preCompressed: true });
  app.get("/*", (request: FastifyRequest, reply: FastifyReply) => {
    const path = pathOf(request);
    if (API_PATH.test(path) || !isServablePath(path) || HIDDEN_FILE.test(path)) return reply.callNotFound();
    if (path.startsWith(ASSETS_PREFIX)) return reply.sendFile(path.slice(1), { maxAge: "365d", immutable: true });
    const last = path.slice(path.lastIndexOf("/") + 1);
    // A file name (favicon.svg, robots.txt…) is a file or a 404, never the app.
    if (last.includes(".") && path !== "/index.html") return reply.sendFile(path.slice(1), { maxAge: "1h", immutable: false });
    // Security headers (CSP, framing, nosniff) come from the HTTP layer's hook, as for every answer.
    return reply.header("cache-control", "no-cache").sendFile("index.html", { cacheControl: false });
  });
}
