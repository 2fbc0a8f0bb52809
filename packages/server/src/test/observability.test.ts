// Observability as operators meet it: Prometheus metrics at /metrics, health and readiness, and structured logs that
// carry request and connection ids but never secrets or message bodies.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { AuthResult } from "@parley/protocol";
import {
  http,
  LongPollClient,
  type ProtocolError,
  RawClient,
  register,
  scrapeMetrics as scrape,
  sleep,
  startTestServer,
  type TestServer,
} from "./harness.js";

describe("metrics", () => {
  let server: TestServer;
  let a: AuthResult;
  let b: AuthResult;
  before(async () => {
    server = await startTestServer({ rateTyping: { capacity: 1, windowMs: 60_000 } });
    [a, b] = (await Promise.all([register(server), register(server)])) as [AuthResult, AuthResult];
  });
  after(() => server.close());

  it("counts connections, frames, stored messages, latencies, sync sizes and rate-limit hits", async () => {
    const aw = await RawClient.connect(server, a.accessToken);
    const bw = await RawClient.connect(server, b.accessToken);
    const { id } = await aw.request("conversations.openDirect", { userId: b.user.id });
    for (let i = 0; i < 5; i++) await aw.request("messages.send", { conversationId: id, clientId: `m-${i}`, body: `hello ${i}` });
    await aw.request("messages.send", { conversationId: id, clientId: "m-0", body: "hello 0" });
    await bw.waitFor(() => (bw.messages(id).filter((m) => m.kind === "text").length === 5 ? true : undefined));
    await bw.request("sync", { cursors: { [id]: 0 } });
    await aw.request("typing", { conversationId: id, typing: true });
    await assert.rejects(
      aw.request("typing", { conversationId: id, typing: false }),
      (e: ProtocolError) => e.error.code === "rate_limited",
    );
    await assert.rejects(aw.requestRaw("no.such.op", {}));
    const res = await http(
      server,
      "POST",
      `/v1/conversations/${id}/messages`,
      { clientId: "h-1", body: "over http" },
      a.accessToken,
    );
    assert.equal(res.status, 200);

    const m = await scrape(server);
    assert.equal(m.get('parley_connections_open{transport="ws"}'), 2);
    assert.equal(m.get("parley_messages_stored_total"), 6, "5 over the WebSocket, 1 over HTTP; the repeat is not counted");
    assert.equal(m.get('parley_send_ack_seconds_count{transport="ws"}'), 6, "the idempotent repeat is acknowledged too");
    assert.equal(m.get('parley_send_ack_seconds_count{transport="http"}'), 1);
    // One sample per recipient connection: 5 sends to b; the HTTP send to b and to a's socket (it came from no socket).
    assert.equal(m.get("parley_send_deliver_seconds_count"), 7);
    assert.ok((m.get('parley_send_deliver_seconds_bucket{le="1"}') ?? 0) >= 7);
    // Stages: every stored send (6, the repeat is not stored again), every delivery to a connection (7 as above).
    assert.equal(m.get('parley_message_stage_seconds_count{stage="send_stored"}'), 6);
    assert.equal(m.get('parley_message_stage_seconds_count{stage="stored_delivered"}'), 7);
    assert.equal(m.get('parley_message_stage_seconds_count{stage="delivered_read"}') ?? 0, 0, "nobody has read yet");
    assert.equal(m.get('parley_messages_undelivered_total{reason="slow_consumer"}') ?? 0, 0);
    assert.ok((m.get("parley_sync_messages_sum") ?? 0) >= 5);
    assert.equal(m.get('parley_requests_total{transport="ws",op="messages.send",result="ok"}'), 6);
    assert.equal(m.get('parley_requests_total{transport="http",op="messages.send",result="ok"}'), 1);
    assert.equal(m.get('parley_requests_total{transport="ws",op="typing",result="rate_limited"}'), 1);
    assert.equal(
      m.get('parley_requests_total{transport="ws",op="unknown",result="unknown_op"}'),
      1,
      "client op names never become labels",
    );
    assert.equal(m.get('parley_rate_limited_total{limit="typing"}'), 1);
    assert.ok((m.get('parley_frames_received_total{transport="ws"}') ?? 0) >= 12);
    assert.ok((m.get('parley_frames_sent_total{transport="ws"}') ?? 0) >= 18);
    assert.equal(m.get("parley_push_sent_total"), 0);
    assert.equal(m.get("parley_push_failed_total"), 0);
    assert.ok((m.get('parley_store_duration_seconds_count{method="append"}') ?? 0) >= 1);
    assert.ok((m.get('parley_bus_duration_seconds_count{method="publish"}') ?? 0) >= 1);
    assert.ok(m.has("nodejs_eventloop_lag_seconds"), "process metrics: event-loop lag");
    assert.ok(m.has("process_resident_memory_bytes") || m.has("nodejs_heap_size_used_bytes"));

    // b reads up to the newest: its first unread delivery (the first message) ends the delivered→read stage, once.
    const newest = bw.messages(id).at(-1)!.seq;
    await bw.request("receipts.mark", { conversationId: id, read: newest });
    await bw.request("receipts.mark", { conversationId: id, read: newest });
    const read = await scrape(server);
    assert.equal(read.get('parley_message_stage_seconds_count{stage="delivered_read"}'), 1);

    await Promise.all([aw.close(), bw.close()]);
    await sleep(50);
    const after = await scrape(server);
    assert.equal(after.get('parley_connections_open{transport="ws"}'), 0);
    assert.equal(after.get('parley_disconnects_total{code="1000"}'), 2);
  });

  it("keeps one registry per server, so servers in one process do not mix their numbers", async () => {
    const other = await startTestServer();
    try {
      const mine = await scrape(server);
      const theirs = await scrape(other);
      assert.ok((mine.get("parley_messages_stored_total") ?? 0) > 0);
      assert.equal(theirs.get("parley_messages_stored_total"), 0);
    } finally {
      await other.close();
    }
  });

  it("protects /metrics with PARLEY_METRICS_TOKEN when set, and can be turned off", async () => {
    const token = "metrics-token-0123456789";
    const guarded = await startTestServer({ metricsToken: token });
    try {
      const refused = await http(guarded, "GET", "/metrics");
      assert.equal(refused.status, 401);
      assert.equal(refused.body.error.code, "unauthorized");
      assert.equal((await http(guarded, "GET", "/metrics", undefined, "wrong-token-0123456789")).status, 401);
      assert.ok((await scrape(guarded, token)).has("parley_messages_stored_total"));
    } finally {
      await guarded.close();
    }
    const off = await startTestServer({ metricsEnabled: false });
    try {
      // Whatever answers the path then (the web app, a 404), it is not the metrics.
      const res = await fetch(`${off.url}/metrics`);
      assert.ok(!(await res.text()).includes("parley_"));
    } finally {
      await off.close();
    }
  });
});

/**
 * Issue 23 item 5: `parley_disconnects_total{code}` counts why the server closed a connection. A peer that stopped
 * reading never completes the close handshake, which `ws` reports as 1006; only a peer that vanished by itself is 1006.
 */
describe("disconnect codes in metrics", () => {
  /** Waits until `parley_disconnects_total` has counted `n` closes in all, then returns the counts by code. */
  async function disconnects(server: TestServer, n: number): Promise<Record<string, number>> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const counts: Record<string, number> = {};
      for (const [key, value] of await scrape(server)) {
        const code = /^parley_disconnects_total\{code="([^"]+)"\}$/.exec(key)?.[1];
        if (code !== undefined && value > 0) counts[code] = value;
      }
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      if (total >= n || Date.now() > deadline) return counts;
      await sleep(50);
    }
  }

  /** Stops reading from the socket: no pongs, no close frame answered, the server's send buffer fills. */
  function stopReading(client: RawClient): void {
    (client.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  }

  it("counts a WebSocket client that stopped reading as 4000 (slow consumer), not 1006", async () => {
    const server = await startTestServer({ maxBufferedBytes: 16 * 1024 });
    try {
      const [a, b] = (await Promise.all([register(server), register(server)])) as [AuthResult, AuthResult];
      const sender = await RawClient.connect(server, a.accessToken);
      const slow = await RawClient.connect(server, b.accessToken);
      const { id } = await sender.request("conversations.openDirect", { userId: b.user.id });
      stopReading(slow);
      let i = 0;
      while (server.connections() >= 2 && i < 20_000) {
        await Promise.all(
          Array.from({ length: 50 }, () =>
            sender.request("messages.send", { conversationId: id, clientId: `flood-${i++}`, body: "y".repeat(3000) }),
          ),
        );
      }
      assert.equal(server.connections(), 1, "the slow consumer was dropped");
      assert.deepEqual(await disconnects(server, 1), { "4000": 1 });
      const m = await scrape(server);
      // The message it was closed instead of taking, and those that reached it while it was being closed.
      const undelivered = m.get('parley_messages_undelivered_total{reason="slow_consumer"}') ?? 0;
      assert.ok(undelivered >= 1 && undelivered <= i, `undelivered ${undelivered} of ${i} sent`);
      await sender.close();
    } finally {
      await server.close();
    }
  });

  it("counts a WebSocket client that stopped answering pings as 4001 (heartbeat), not 1006", async () => {
    const server = await startTestServer({ heartbeatIntervalMs: 100 });
    try {
      const user = await register(server);
      const silent = await RawClient.connect(server, user.accessToken);
      stopReading(silent);
      assert.deepEqual(await disconnects(server, 1), { "4001": 1 });
    } finally {
      await server.close();
    }
  });

  it("counts a peer that vanished without the server deciding anything as 1006", async () => {
    const server = await startTestServer();
    try {
      const user = await register(server);
      const gone = await RawClient.connect(server, user.accessToken);
      (gone.ws as unknown as { _socket: { destroy(): void } })._socket.destroy();
      assert.deepEqual(await disconnects(server, 1), { "1006": 1 });
    } finally {
      await server.close();
    }
  });

  it("counts long-poll sessions closed by the server by the server's code: 4000 (slow consumer), 4001 (expiry)", async () => {
    const server = await startTestServer({ maxBufferedBytes: 16 * 1024, longPollExpiryMs: 300, longPollHoldMs: 100 });
    try {
      const [a, b, c] = (await Promise.all([register(server), register(server), register(server)])) as AuthResult[];
      const sender = await RawClient.connect(server, a!.accessToken);
      const slow = await LongPollClient.connect(server, b!.accessToken);
      const { id } = await sender.request("conversations.openDirect", { userId: b!.user.id });
      slow.pausePolling();
      let i = 0;
      while (server.connections() >= 2 && i < 20_000) {
        await Promise.all(
          Array.from({ length: 50 }, () =>
            sender.request("messages.send", { conversationId: id, clientId: `lp-flood-${i++}`, body: "y".repeat(3000) }),
          ),
        );
      }
      assert.deepEqual(await disconnects(server, 1), { "4000": 1 });
      const expiring = await LongPollClient.connect(server, c!.accessToken);
      expiring.pausePolling();
      assert.deepEqual(await disconnects(server, 2), { "4000": 1, "4001": 1 });
      await sender.close();
    } finally {
      await server.close();
    }
  });
});

describe("Grafana dashboard", () => {
  it("queries only metrics the server exports", async () => {
    const dashboard = readFileSync(new URL("../../../../docs/grafana-dashboard.json", import.meta.url), "utf8");
    JSON.parse(dashboard);
    const server = await startTestServer();
    try {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      const exported = new Set<string>();
      for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
        exported.add(name!);
        if (type === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) exported.add(name + suffix);
      }
      const used = new Set(dashboard.match(/\b(?:parley|nodejs|process)_[a-z0-9_]+/g));
      assert.ok(used.size >= 15);
      for (const name of used) assert.ok(exported.has(name), `the dashboard queries ${name}, which is not exported`);
    } finally {
      await server.close();
    }
  });
});

describe("health and readiness", () => {
  it("answers /healthz while serving and /readyz with the checks of the store and the bus", async () => {
    const server = await startTestServer();
    try {
      assert.deepEqual(await http(server, "GET", "/healthz"), { status: 200, body: { status: "ok" } });
      const ready = await http(server, "GET", "/readyz");
      assert.equal(ready.status, 200);
      assert.equal(ready.body.status, "ready");
      assert.equal(ready.body.checks.store, "ok");
      assert.equal(ready.body.checks.bus, "ok");
    } finally {
      await server.close();
    }
  });
});

describe("structured logs", () => {
  const lines: string[] = [];
  let server: TestServer;
  const password = "hunter2-is-my-password";
  const secretBody = "the eagle lands at midnight";
  before(async () => {
    server = await startTestServer(
      { logLevel: "trace", rateMessages: { capacity: 4, windowMs: 60_000 } },
      { logDestination: { write: (line: string) => void lines.push(line) } },
    );
  });
  after(() => server.close());

  it("carry request and connection ids, and never a password, token or message body", async () => {
    const reg = await http(server, "POST", "/v1/auth/register", { username: "logged_user", password });
    assert.equal(reg.status, 201);
    const other = await register(server);
    await http(server, "POST", "/v1/auth/login", { username: "logged_user", password: `${password}-wrong` });
    const session = (await http(server, "POST", "/v1/auth/login", { username: "logged_user", password })).body as AuthResult;
    const refreshed = (await http(server, "POST", "/v1/auth/refresh", { refreshToken: session.refreshToken })).body as AuthResult;
    // The token subprotocol carries a token in a header: it must not be logged either.
    const c = await RawClient.open(server, { protocols: ["parley.v1", `parley.token.${refreshed.accessToken}`] });
    await c.request("hello", { versions: [1] });
    const { id } = await c.request("conversations.openDirect", { userId: other.user.id });
    await c.request("messages.send", { conversationId: id, clientId: "s1", body: secretBody });
    await c
      .requestRaw("messages.send", { conversationId: id, clientId: "s2", body: `${secretBody} 2`, extra: secretBody })
      .catch(() => {});
    c.sendRaw(`{"rid":"x","op":"messages.send","args":{"body":"${secretBody} 3"`);
    await c.request("messages.send", { conversationId: id, clientId: "s3", body: `${secretBody} 4` });
    await c.request("messages.send", { conversationId: id, clientId: "s4", body: `${secretBody} 5` });
    await assert.rejects(c.request("messages.send", { conversationId: id, clientId: "s5", body: `${secretBody} 6` }));
    await http(
      server,
      "POST",
      `/v1/conversations/${id}/messages`,
      { clientId: "h1", body: `${secretBody} 7` },
      refreshed.accessToken,
    );
    await http(server, "POST", "/v1/auth/logout", {}, session.accessToken);
    await c.close();
    await sleep(50);

    const text = lines.join("");
    const jwtSecret = readFileSync(join(server.dataDir, "jwt-secret"), "utf8").trim();
    for (const [name, secret] of [
      ["password", password],
      ["message body", secretBody],
      ["access token", session.accessToken],
      ["access token (subprotocol)", refreshed.accessToken],
      ["refresh token", session.refreshToken.split(".")[1]!],
      ["rotated refresh token", refreshed.refreshToken.split(".")[1]!],
      ["signing secret", jwtSecret],
    ]) {
      assert.ok(!text.includes(secret!), `the logs contain a ${name}`);
    }
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const requests = entries.filter((e) => e["msg"] === "http request");
    assert.ok(requests.length >= 7);
    for (const r of requests) {
      assert.equal(typeof r["reqId"], "string");
      assert.ok(typeof r["route"] === "string" && !String(r["route"]).includes("?"));
      assert.equal(typeof r["status"], "number");
    }
    const socket = entries.filter((e) => typeof e["conn"] === "string");
    assert.ok(socket.some((e) => e["msg"] === "websocket authenticated" && typeof e["userId"] === "string"));
    assert.ok(socket.some((e) => e["msg"] === "rate limited" && e["limit"] === "messages"));
    // Logging out the session closed its socket with 4102.
    assert.ok(socket.some((e) => e["msg"] === "websocket closed" && e["code"] === 4102));
  });
});
