// Edge security as browsers and clients meet it: security headers, CORS, WebSocket Origin rules, body limits, TLS.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { OP_NAMES, operations } from "@parley/protocol";
import WebSocket from "ws";
import { type ConfigError, DEFAULT_CSP, loadConfig } from "../config/index.js";
import { LONG_POLL_PATH } from "../transport/long-poll.js";
import { http, RawClient, register, startTestServer, type TestServer } from "./harness.js";

/** Resolves with the HTTP status of the upgrade: 101 when the socket opened. */
function upgrade(url: string, options: WebSocket.ClientOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ["parley.v1"], options);
    ws.once("open", () => {
      ws.close();
      resolve(101);
    });
    ws.once("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once("error", (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error);
    });
  });
}

describe("security headers", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it("sends CSP, nosniff, no-referrer, DENY framing and a request id on every answer, and no HSTS over plain HTTP", async () => {
    const ids = new Set<string>();
    for (const [method, path] of [
      ["GET", "/healthz"],
      ["GET", "/v1/me"],
      ["POST", "/v1/auth/login"],
      ["GET", "/no/such/route"],
    ] as const) {
      const res = await fetch(server.url + path, {
        method,
        ...(method === "POST" ? { body: "{", headers: { "content-type": "application/json" } } : {}),
      });
      await res.text();
      assert.equal(res.headers.get("content-security-policy"), DEFAULT_CSP, path);
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      assert.equal(res.headers.get("referrer-policy"), "no-referrer");
      assert.equal(res.headers.get("x-frame-options"), "DENY");
      assert.equal(res.headers.get("strict-transport-security"), null, "no HSTS over http");
      assert.equal(res.headers.get("access-control-allow-origin"), null, "no CORS by default");
      const id = res.headers.get("x-request-id");
      assert.ok(id && !ids.has(id), "a fresh request id");
      ids.add(id);
    }
  });

  it("has a CSP for the web app: same-origin scripts and connections, no inline scripts, no framing", () => {
    const directives: Record<string, string[]> = {};
    for (const directive of DEFAULT_CSP.split(";")) {
      const [name = "", ...values] = directive.trim().split(/\s+/);
      directives[name] = values;
    }
    assert.deepEqual(directives["script-src"], ["'self'"]);
    assert.deepEqual(directives["connect-src"], ["'self'"], "'self' covers ws:/wss: to the same host (CSP Level 3)");
    assert.deepEqual(directives["frame-ancestors"], ["'none'"]);
    assert.deepEqual(directives["object-src"], ["'none'"]);
    assert.deepEqual(directives["base-uri"], ["'none'"]);
  });

  it("refuses cross-origin WebSocket upgrades, allowing same-origin pages and clients without Origin", async () => {
    const own = new URL(server.url).origin;
    assert.equal(await upgrade(server.wsUrl), 101, "no Origin: a non-browser client");
    assert.equal(await upgrade(server.wsUrl, { origin: own }), 101, "the server's own pages");
    assert.equal(await upgrade(server.wsUrl, { origin: "https://evil.example" }), 403);
    assert.equal(
      await upgrade(server.wsUrl, { origin: `http://127.0.0.1:${Number(new URL(server.url).port) + 1}` }),
      403,
      "other port",
    );
    assert.equal(await upgrade(server.wsUrl, { origin: "null" }), 403, "sandboxed pages and file: URLs");
  });

  it("answers preflights from unknown origins without CORS headers", async () => {
    const res = await fetch(`${server.url}/v1/me`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "GET" },
    });
    await res.text();
    assert.equal(res.headers.get("access-control-allow-origin"), null);
  });
});

describe("CORS and Origin allow-list", () => {
  let server: TestServer;
  const app = "https://app.example.com";
  before(async () => {
    server = await startTestServer({ allowedOrigins: [app] });
  });
  after(() => server.close());

  it("answers preflights of allowed origins and exposes Retry-After, never with credentials", async () => {
    const pre = await fetch(`${server.url}/v1/conversations/C1/messages`, {
      method: "OPTIONS",
      headers: {
        origin: app,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });
    await pre.text();
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get("access-control-allow-origin"), app);
    assert.match(pre.headers.get("access-control-allow-methods") ?? "", /POST/);
    assert.match(pre.headers.get("access-control-allow-headers") ?? "", /Authorization/);
    assert.equal(pre.headers.get("access-control-allow-credentials"), null);
    const user = await register(server);
    const res = await fetch(`${server.url}/v1/me`, { headers: { origin: app, authorization: `Bearer ${user.accessToken}` } });
    assert.equal(res.status, 200);
    await res.json();
    assert.equal(res.headers.get("access-control-allow-origin"), app);
    assert.match(res.headers.get("access-control-expose-headers") ?? "", /Retry-After/);
    assert.match(res.headers.get("vary") ?? "", /Origin/);
    const other = await fetch(`${server.url}/v1/me`, { headers: { origin: "https://evil.example" } });
    await other.text();
    assert.equal(other.headers.get("access-control-allow-origin"), null);
  });

  it("lets allowed origins open WebSockets", async () => {
    assert.equal(await upgrade(server.wsUrl, { origin: app }), 101);
    assert.equal(await upgrade(server.wsUrl, { origin: "https://evil.example" }), 403);
  });

  it("validates the allow-list and TLS settings at start-up", () => {
    assert.deepEqual(loadConfig({ PARLEY_ALLOWED_ORIGINS: "https://a.example, http://b.example:8080/" }).allowedOrigins, [
      "https://a.example",
      "http://b.example:8080",
    ]);
    assert.throws(
      () => loadConfig({ PARLEY_ALLOWED_ORIGINS: "https://a.example/app" }),
      (e: ConfigError) => e.variable === "PARLEY_ALLOWED_ORIGINS",
    );
    assert.throws(
      () => loadConfig({ PARLEY_TLS_CERT: "/x.pem" }),
      (e: ConfigError) => e.variable === "PARLEY_TLS_KEY",
    );
    assert.throws(
      () => loadConfig({ PARLEY_RATE_MESSAGES: "lots" }),
      (e: ConfigError) => e.variable === "PARLEY_RATE_MESSAGES",
    );
    assert.equal(loadConfig({ PARLEY_RATE_MESSAGES: "off" }).rateMessages, null);
    assert.equal(loadConfig({ PARLEY_TRUST_PROXY: "2" }).trustProxy, 2);
  });
});

describe("HSTS behind a TLS-terminating proxy", () => {
  it("is sent when a trusted proxy reports https, and not when the header could be spoofed", async () => {
    for (const trustProxy of [true, false]) {
      const server = await startTestServer({ trustProxy });
      try {
        const res = await fetch(`${server.url}/healthz`, { headers: { "x-forwarded-proto": "https" } });
        await res.text();
        assert.equal(res.headers.get("strict-transport-security") !== null, trustProxy);
      } finally {
        await server.close();
      }
    }
  });
});

describe("body size limits", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ maxBodyBytes: 1024 });
  });
  after(() => server.close());

  it("answers 413 too_large for an oversized body on every route that takes one, long polling included", async () => {
    const user = await register(server);
    const big = JSON.stringify({ pad: "x".repeat(2000) });
    let checked = 0;
    for (const op of OP_NAMES) {
      const route = operations[op].http;
      if (!route || route.method === "GET") continue;
      const path = route.path.replace(/:(\w+)/g, "abc");
      const res = await http(server, route.method, path, JSON.parse(big), user.accessToken);
      assert.equal(res.status, 413, `${route.method} ${route.path}`);
      assert.equal(res.body.error.code, "too_large");
      checked++;
    }
    assert.ok(checked >= 15, `${checked} routes checked`);
    // The long-poll transport's routes, whatever the body's type.
    for (const endpoint of ["open", "send", "poll", "close"]) {
      for (const type of ["application/json", "application/x-ndjson"]) {
        const res = await fetch(`${server.url}${LONG_POLL_PATH}/${endpoint}?connection=x`, {
          method: "POST",
          headers: { "content-type": type },
          body: "x".repeat(2000),
        });
        assert.equal(res.status, 413, `${endpoint} ${type}`);
        assert.equal(((await res.json()) as { error: { code: string } }).error.code, "too_large");
      }
    }
  });

  it("ignores bodies sent with GET (never parsed, so never buffered)", async () => {
    const body = JSON.stringify({ pad: "x".repeat(5000) });
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        `${server.url}/v1/conversations`,
        { method: "GET", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        },
      );
      req.on("error", reject);
      req.end(body);
    });
    assert.equal(status, 401, "answered by the route (no token), not by a body parser");
  });
});

const opensslAvailable = (() => {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

describe("native TLS", () => {
  it("serves HTTPS and WSS with PARLEY_TLS_CERT/PARLEY_TLS_KEY, with HSTS", {
    skip: !opensslAvailable && "openssl is not installed",
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "parley-tls-"));
    try {
      const [cert, key] = [join(dir, "cert.pem"), join(dir, "key.pem")];
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "ec",
          "-pkeyopt",
          "ec_paramgen_curve:prime256v1",
          "-nodes",
          "-days",
          "1",
          "-subj",
          "/CN=localhost",
        ].concat(["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert]),
        { stdio: "ignore" },
      );
      const ca = readFileSync(cert);
      const server = await startTestServer({ tlsCert: cert, tlsKey: key });
      try {
        assert.match(server.url, /^https:\/\//);
        assert.match(server.wsUrl, /^wss:\/\//);
        const { status, headers, body } = await new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
          (resolve, reject) => {
            const req = httpsRequest(`${server.url}/healthz`, { ca }, (res) => {
              let text = "";
              res.on("data", (chunk) => {
                text += chunk;
              });
              res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
            });
            req.on("error", reject);
            req.end();
          },
        );
        assert.equal(status, 200);
        assert.deepEqual(JSON.parse(body), { status: "ok" });
        assert.match(String(headers["strict-transport-security"]), /max-age=\d+/);
        const registered = await new Promise<{ accessToken: string }>((resolve, reject) => {
          const req = httpsRequest(
            `${server.url}/v1/auth/register`,
            { ca, method: "POST", headers: { "content-type": "application/json" } },
            (res) => {
              let text = "";
              res.on("data", (chunk) => {
                text += chunk;
              });
              res.on("end", () => resolve(JSON.parse(text)));
            },
          );
          req.on("error", reject);
          req.end(JSON.stringify({ username: "tls_user", password: "long enough pw" }));
        });
        const ws = new WebSocket(server.wsUrl, ["parley.v1"], { ca });
        await new Promise((resolve, reject) => {
          ws.once("open", resolve);
          ws.once("error", reject);
        });
        const client = new RawClient(ws);
        const welcome = await client.request("hello", { versions: [1], token: registered.accessToken });
        assert.equal(welcome.user.username, "tls_user");
        await client.close();
        // Plain HTTP on the TLS port is not served.
        await assert.rejects(http({ ...server, url: server.url.replace("https:", "http:") }, "GET", "/healthz"));
      } finally {
        await server.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
