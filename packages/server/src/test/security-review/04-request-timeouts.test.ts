// Security review #4: a client that sends a request slowly (or never finishes it) is cut off in time, and one client
// address cannot hold more than its share of open requests and WebSockets; long polls and WebSockets, which stay
// open legitimately, are not cut.

import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import type { AuthResult } from "@parley/protocol";
import WebSocket from "ws";
import { LongPollClient, RawClient, register, sleep, startTestServer, type TestServer } from "../harness.js";

const HEADERS_TIMEOUT_MS = 300;
const REQUEST_TIMEOUT_MS = 500;
const HOLD_MS = 800;
const IDLE_TIMEOUT_MS = 2000;
const CAP = 4;

/** Every raw socket a test opened, destroyed at the end so that a failing run does not hang in server.close(). */
const opened: { destroy(): void }[] = [];

/** A raw TCP request: writes `head` (and later nothing), resolves with what the server sent when it closes. */
function stalled(server: TestServer, head: string): { closed: Promise<{ text: string; ms: number }>; end: () => void } {
  const { hostname, port } = new URL(server.url);
  const started = Date.now();
  const socket = connect({ host: hostname, port: Number(port) }, () => socket.write(head));
  opened.push(socket);
  let text = "";
  socket.on("data", (chunk: Buffer) => (text += chunk.toString()));
  const closed = new Promise<{ text: string; ms: number }>((resolve) => {
    socket.on("close", () => resolve({ text, ms: Date.now() - started }));
    socket.on("error", () => {});
  });
  return { closed, end: () => socket.destroy() };
}

/** Resolves with the value, or rejects after `ms`: a request held forever must fail the test, not hang it. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, sleep(ms).then(() => Promise.reject(new Error(`${what}: still open after ${ms} ms`)))]);
}

const slowLogin = (from?: string) =>
  "POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n" +
  `${from ? `X-Forwarded-For: ${from}\r\n` : ""}\r\n{`;

async function healthz(server: TestServer, from: string) {
  const res = await fetch(`${server.url}/healthz`, { headers: { "x-forwarded-for": from } });
  return { status: res.status, body: (await res.json()) as { error: { code: string; details: { limit: string } } } };
}

describe("security review #4: request timeouts and a per-address connection cap", () => {
  let server: TestServer;
  let alice: AuthResult;

  before(async () => {
    server = await startTestServer({
      httpHeadersTimeoutMs: HEADERS_TIMEOUT_MS,
      httpRequestTimeoutMs: REQUEST_TIMEOUT_MS,
      httpIdleTimeoutMs: IDLE_TIMEOUT_MS,
      longPollHoldMs: HOLD_MS,
      maxConnectionsPerAddress: CAP,
      trustProxy: true,
    });
    alice = await register(server);
  });
  after(async () => {
    for (const socket of opened) socket.destroy();
    await server.close();
  });

  it("answers a body that never completes (Content-Length 1000, one byte) with 408 and closes it", async () => {
    const { closed } = stalled(server, slowLogin());
    const { text, ms } = await within(closed, REQUEST_TIMEOUT_MS + 3000, "stalled login");
    assert.match(text, /^HTTP\/1\.1 408/);
    assert.ok(ms >= REQUEST_TIMEOUT_MS * 0.8, `cut after ${ms} ms, not before the timeout`);
  });

  it("closes a connection whose headers never complete", async () => {
    const { closed } = stalled(server, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    const { text } = await within(closed, HEADERS_TIMEOUT_MS + 3000, "stalled headers");
    assert.match(text, /^HTTP\/1\.1 408/);
  });

  it("refuses an address's requests and WebSockets beyond the cap with 429 rate_limited, others unaffected", async () => {
    const attacker = "203.0.113.7";
    const held = Array.from({ length: CAP }, () => stalled(server, slowLogin(attacker)));
    await sleep(100);
    const refused = await healthz(server, attacker);
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error.code, "rate_limited");
    assert.equal(refused.body.error.details.limit, "connections");
    const ws = new WebSocket(server.wsUrl, ["parley.v1"], { headers: { "x-forwarded-for": attacker } });
    const status = await new Promise<number>((resolve) => {
      ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.once("open", () => resolve(101));
      ws.once("error", () => {});
    });
    ws.terminate();
    assert.equal(status, 429, "a WebSocket upgrade counts too");
    assert.equal((await healthz(server, "203.0.113.8")).status, 200, "another address is served");
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /parley_rate_limited_total\{limit="connections"\} [1-9]/, "refusals are counted");
    // The stalled requests are cut by the request timeout, and their slots come back.
    await within(Promise.all(held.map((h) => h.closed)), REQUEST_TIMEOUT_MS + 3000, "stalled requests");
    assert.equal((await healthz(server, attacker)).status, 200);
  });

  it("releases the slot of a request whose client went away", async () => {
    const from = "203.0.113.9";
    for (let round = 0; round < 3; round++) {
      const held = Array.from({ length: CAP }, () => stalled(server, slowLogin(from)));
      await sleep(50);
      for (const h of held) h.end();
      await Promise.all(held.map((h) => h.closed));
      await sleep(50);
      assert.equal((await healthz(server, from)).status, 200, `round ${round}`);
    }
  });

  it("keeps long polls held past the request timeout and WebSockets idle past the idle timeout", async () => {
    const ws = await RawClient.connect(server, alice.accessToken);
    const lp = await LongPollClient.connect(server, alice.accessToken);
    try {
      // Several holds longer than the request timeout, and a WebSocket silent longer than the idle timeout.
      await sleep(IDLE_TIMEOUT_MS + 300);
      assert.deepEqual(await ws.request("presence.query", { userIds: [alice.user.id] }).then(() => "ok"), "ok");
      assert.deepEqual(await lp.request("presence.query", { userIds: [alice.user.id] }).then(() => "ok"), "ok");
    } finally {
      await ws.close();
      await lp.close();
    }
  });
});
