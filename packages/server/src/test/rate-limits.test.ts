// Rate limits as clients meet them: `rate_limited` with retryAfterMs (and Retry-After over HTTP), on both transports.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AuthResult } from "@parley/protocol";
import WebSocket from "ws";
import { CONFIG_VARS, type Config } from "../config/index.js";
import {
  connectVia,
  http,
  type ProtocolError,
  RATE_LIMITS_OFF,
  RawClient,
  register,
  sleep,
  startTestServer,
  type TestServer,
  TRANSPORTS,
} from "./harness.js";

const rule = (capacity: number, windowMs: number) => ({ capacity, windowMs });

async function withServer(overrides: Parameters<typeof startTestServer>[0], fn: (server: TestServer) => Promise<void>) {
  const server = await startTestServer(overrides);
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

function isRateLimited(limit: string) {
  return (e: ProtocolError) => {
    assert.equal(e.error.code, "rate_limited");
    assert.equal(e.error.details?.["limit"], limit);
    assert.equal((e.error as { retryable?: boolean }).retryable, true);
    const retry = (e.error as { retryAfterMs?: number }).retryAfterMs;
    assert.ok(typeof retry === "number" && retry > 0, `retryAfterMs ${retry}`);
    return true;
  };
}

/** Opens a WebSocket and resolves with the HTTP status of a refused upgrade, or 101 when it opened. */
function upgradeStatus(
  server: TestServer,
  headers: Record<string, string> = {},
): Promise<{ status: number; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(server.wsUrl, ["parley.v1"], { headers });
    ws.once("open", () => {
      ws.close();
      resolve({ status: 101 });
    });
    ws.once("unexpected-response", (_req, res) => {
      const retryAfter = res.headers["retry-after"];
      resolve({ status: res.statusCode ?? 0, ...(typeof retryAfter === "string" ? { retryAfter } : {}) });
      res.resume();
      ws.terminate();
    });
    ws.once("error", (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error);
    });
  });
}

describe("rate limits", () => {
  it("limits messages.send per user across WebSocket and HTTP, storing nothing that was refused", async () => {
    await withServer({ rateMessages: rule(3, 60_000) }, async (server) => {
      const [a, b] = await Promise.all([register(server), register(server)]);
      const c = await RawClient.connect(server, a.accessToken);
      const { id } = await c.request("conversations.openDirect", { userId: b.user.id });
      for (let i = 0; i < 3; i++) await c.request("messages.send", { conversationId: id, clientId: `ok-${i}`, body: `m${i}` });
      await assert.rejects(
        c.request("messages.send", { conversationId: id, clientId: "over", body: "too many" }),
        isRateLimited("messages"),
      );
      const res = await http(server, "POST", `/v1/conversations/${id}/messages`, { clientId: "h", body: "x" }, a.accessToken);
      assert.equal(res.status, 429);
      assert.equal(res.body.error.code, "rate_limited");
      assert.equal(res.body.error.details.limit, "messages");
      const raw = await fetch(`${server.url}/v1/conversations/${id}/messages`, {
        method: "POST",
        headers: { authorization: `Bearer ${a.accessToken}`, "content-type": "application/json" },
        body: JSON.stringify({ clientId: "h2", body: "x" }),
      });
      assert.equal(raw.status, 429);
      const retryAfter = Number(raw.headers.get("retry-after"));
      assert.ok(retryAfter >= 1 && retryAfter <= 20, `Retry-After ${retryAfter}`);
      await raw.text();
      // Other operations are unaffected, and the refused sends were not stored.
      const { messages } = await c.request("messages.history", { conversationId: id });
      assert.deepEqual(
        messages.filter((m) => m.kind === "text").map((m) => m.clientId),
        ["ok-0", "ok-1", "ok-2"],
      );
      // Another user has a bucket of their own.
      const cb = await RawClient.connect(server, b.accessToken);
      await cb.request("messages.send", { conversationId: id, clientId: "b-1", body: "mine" });
      await Promise.all([c.close(), cb.close()]);
    });
  });

  it("refills: a refused send succeeds after retryAfterMs", async () => {
    await withServer({ rateMessages: rule(1, 300) }, async (server) => {
      const [a, b] = await Promise.all([register(server), register(server)]);
      const c = await RawClient.connect(server, a.accessToken);
      const { id } = await c.request("conversations.openDirect", { userId: b.user.id });
      await c.request("messages.send", { conversationId: id, clientId: "1", body: "one" });
      let retryAfterMs = 0;
      await assert.rejects(c.request("messages.send", { conversationId: id, clientId: "2", body: "two" }), (e: ProtocolError) => {
        retryAfterMs = (e.error as unknown as { retryAfterMs: number }).retryAfterMs;
        return e.error.code === "rate_limited";
      });
      assert.ok(retryAfterMs > 0 && retryAfterMs <= 300);
      await sleep(retryAfterMs + 20);
      const ack = await c.request("messages.send", { conversationId: id, clientId: "2", body: "two" });
      assert.equal(ack.duplicate, false);
      await c.close();
    });
  });

  it("limits every request per user, counting frames that do not decode", async () => {
    await withServer({ rateRequests: rule(6, 60_000) }, async (server) => {
      const a = await register(server);
      const c = await RawClient.connect(server, a.accessToken);
      await c.request("ping", {});
      await c.request("me.get", {});
      for (let i = 0; i < 3; i++) c.sendRaw("{garbage");
      await c.request("ping", {});
      await assert.rejects(c.request("conversations.list", {}), isRateLimited("requests"));
      const res = await http(server, "GET", "/v1/me", undefined, a.accessToken);
      assert.equal(res.status, 429, "the HTTP API shares the user's budget");
      assert.equal(c.closeCode, undefined, "the connection stays open");
      await c.close();
    });
  });

  // Issue 23 item 8: a frame over the limit is refused before anything is looked at, decodable or not (§15.1).
  for (const transport of TRANSPORTS)
    it(`answers undecodable frames over the limit with rate_limited, like every frame, over ${transport}`, async () => {
      await withServer({ rateRequests: rule(4, 60_000) }, async (server) => {
        const a = await register(server);
        const c = await connectVia(transport, server, a.accessToken);
        try {
          await c.request("ping", {});
          for (let i = 0; i < 6; i++) c.sendRaw(i % 2 ? "[1]" : "{garbage");
          const answers = () => c.frames.filter((f) => f.type === "error" && f.rid === null);
          await c.waitFor(() => (answers().length >= 6 ? true : undefined));
          assert.deepEqual(
            answers().map((f) => f.type === "error" && f.error.code),
            ["invalid_json", "invalid_frame", "invalid_json", "rate_limited", "rate_limited", "rate_limited"],
            "within the budget the decoding error, over it rate_limited",
          );
          const over = answers()[3]!;
          assert.ok(over.type === "error");
          assert.equal(over.error.details?.["limit"], "requests");
          assert.ok((over.error.retryAfterMs ?? 0) > 0, "with retryAfterMs, as for any refused request");
          assert.equal(over.error.retryable, true);
          await assert.rejects(c.request("ping", {}), isRateLimited("requests"));
          assert.equal(c.closeCode, undefined, "the connection stays open");
        } finally {
          await c.close();
        }
      });
    });

  it("limits typing and receipts.mark by their own buckets", async () => {
    await withServer({ rateTyping: rule(2, 60_000), rateReceipts: rule(2, 60_000) }, async (server) => {
      const [a, b] = await Promise.all([register(server), register(server)]);
      const c = await RawClient.connect(server, a.accessToken);
      const { id } = await c.request("conversations.openDirect", { userId: b.user.id });
      await c.request("typing", { conversationId: id, typing: true });
      await c.request("typing", { conversationId: id, typing: false });
      await assert.rejects(c.request("typing", { conversationId: id, typing: true }), isRateLimited("typing"));
      await c.request("receipts.mark", { conversationId: id, delivered: 1 });
      await c.request("receipts.mark", { conversationId: id, read: 1 });
      await assert.rejects(c.request("receipts.mark", { conversationId: id, read: 1 }), isRateLimited("receipts"));
      await c.request("messages.send", { conversationId: id, clientId: "still", body: "sending works" });
      await c.close();
    });
  });

  it("locks a username out after repeated wrong passwords, exponentially, without revealing whether it exists", async () => {
    // The lockout must outlast an argon2 verification on a loaded machine, or the test races the clock.
    await withServer({ loginLockoutThreshold: 3, loginLockoutMs: 1500, loginLockoutMaxMs: 10_000 }, async (server) => {
      const user = await register(server);
      const name = user.user.username;
      const login = (username: string, password: string) => http(server, "POST", "/v1/auth/login", { username, password });
      for (let i = 0; i < 3; i++) assert.equal((await login(name, `wrong ${i}`)).body.error.code, "invalid_credentials");
      const locked = await login(name, "correct horse battery");
      assert.equal(locked.status, 429, "even the right password is refused while locked out");
      assert.equal(locked.body.error.code, "rate_limited");
      assert.equal(locked.body.error.details.limit, "login");
      assert.ok(locked.body.error.retryAfterMs > 0 && locked.body.error.retryAfterMs <= 1500);
      assert.equal((await login(name.toUpperCase(), "x")).status, 429, "usernames are compared lower-cased");
      // Unknown usernames behave the same: a lockout says nothing about which accounts exist.
      for (let i = 0; i < 3; i++) assert.equal((await login("nobody_here", "guess")).body.error.code, "invalid_credentials");
      assert.equal((await login("nobody_here", "guess")).body.error.code, "rate_limited");
      // Refused attempts do not count as failures; wait out the lockout.
      const remaining = (await login(name, "correct horse battery")).body.error?.retryAfterMs ?? 0;
      await sleep(remaining + 30);
      // One more failure after the lockout: twice as long.
      assert.equal((await login(name, "wrong again")).body.error.code, "invalid_credentials");
      const doubled = await login(name, "correct horse battery");
      assert.equal(doubled.status, 429);
      const ms = doubled.body.error.retryAfterMs;
      assert.ok(ms > 1500 && ms <= 3000, `second lockout ${ms} ms`);
      await sleep(ms + 30);
      assert.equal((await login(name, "correct horse battery")).status, 200);
      // Success forgot the failures: counting starts again.
      assert.equal((await login(name, "wrong")).body.error.code, "invalid_credentials");
      assert.equal((await login(name, "correct horse battery")).status, 200);
    });
  });

  it("lets one login of a username be verified at a time, so parallel guesses cannot outrun the lockout", async () => {
    await withServer({ loginLockoutThreshold: 3 }, async (server) => {
      const user = await register(server);
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          http(server, "POST", "/v1/auth/login", { username: user.user.username, password: `guess ${i}` }),
        ),
      );
      const codes = answers.map((a) => a.body.error.code);
      assert.ok(codes.includes("rate_limited"), codes.join());
      assert.ok(codes.filter((c) => c === "invalid_credentials").length <= 3, codes.join());
    });
  });

  it("limits sign-in and registration per client address", async () => {
    await withServer({ rateAuthIp: rule(3, 60_000), rateRegisterIp: rule(2, 3_600_000) }, async (server) => {
      await register(server);
      await register(server);
      const third = await http(server, "POST", "/v1/auth/register", { username: "third_one", password: "long enough pw" });
      assert.equal(third.status, 429);
      assert.equal(third.body.error.details.limit, "register_ip");
      // auth.login draws from the address's sign-in bucket: 3 in all, spent by the three registrations above.
      const login = await http(server, "POST", "/v1/auth/login", { username: "x", password: "y" });
      assert.equal(login.status, 429);
      assert.equal(login.body.error.details.limit, "auth_ip");
      const refresh = await http(server, "POST", "/v1/auth/refresh", { refreshToken: "a.b" });
      assert.equal(refresh.status, 429);
    });
  });

  it("takes the address from X-Forwarded-For only behind a trusted proxy", async () => {
    const forwarded = (ip: string) =>
      ({
        method: "POST",
        headers: { "content-type": "application/json", "x-forwarded-for": ip },
        body: '{"refreshToken":"a.b"}',
      }) as const;
    await withServer({ rateAuthIp: rule(1, 60_000) }, async (server) => {
      assert.equal((await fetch(`${server.url}/v1/auth/refresh`, forwarded("10.0.0.1"))).status, 401);
      assert.equal(
        (await fetch(`${server.url}/v1/auth/refresh`, forwarded("10.0.0.2"))).status,
        429,
        "a spoofed header changes nothing",
      );
    });
    await withServer({ rateAuthIp: rule(1, 60_000), trustProxy: true }, async (server) => {
      assert.equal((await fetch(`${server.url}/v1/auth/refresh`, forwarded("10.0.0.1"))).status, 401);
      assert.equal((await fetch(`${server.url}/v1/auth/refresh`, forwarded("10.0.0.2"))).status, 401, "another client");
      assert.equal((await fetch(`${server.url}/v1/auth/refresh`, forwarded("10.0.0.1"))).status, 429);
      // IPv6 clients are limited by their /64.
      assert.equal((await fetch(`${server.url}/v1/auth/refresh`, forwarded("2001:db8:1:2::1"))).status, 401);
      assert.equal((await fetch(`${server.url}/v1/auth/refresh`, forwarded("2001:db8:1:2:ffff::9"))).status, 429);
    });
  });

  it("refuses WebSocket upgrades over the per-address connection limit with 429 and Retry-After", async () => {
    await withServer({ rateConnectIp: rule(2, 60_000) }, async (server) => {
      assert.equal((await upgradeStatus(server)).status, 101);
      assert.equal((await upgradeStatus(server)).status, 101);
      const refused = await upgradeStatus(server);
      assert.equal(refused.status, 429);
      assert.ok(Number(refused.retryAfter) >= 1);
    });
  });

  it("keeps production defaults that ordinary use never meets", async () => {
    const defaults = Object.fromEntries(Object.keys(RATE_LIMITS_OFF).map((k) => [k, CONFIG_VARS[k as keyof Config].default]));
    await withServer(defaults, async (server) => {
      const users: AuthResult[] = await Promise.all(Array.from({ length: 3 }, () => register(server)));
      const c = await RawClient.connect(server, users[0]!.accessToken);
      const group = await c.request("conversations.createGroup", { title: "t", memberIds: users.slice(1).map((u) => u.user.id) });
      const sends = Array.from({ length: 100 }, (_, i) =>
        c.request("messages.send", { conversationId: group.id, clientId: `d-${i}`, body: `${i}` }),
      );
      assert.equal((await Promise.all(sends)).length, 100);
      await c.close();
    });
  });
});
