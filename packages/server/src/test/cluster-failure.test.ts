// Cluster mode on real engines, two nodes in this process: cross-node delivery and presence, and what a node does when
// PostgreSQL (behind a TCP proxy that the test cuts) or Redis (a private redis-server that it kills) goes away.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AuthResult, EventFrame } from "@parley/protocol";
import { PrivateRedis, probeBinary, probePostgres, TEST_DATABASE_URL, waitUntil } from "./cluster-harness.js";
import {
  http,
  ProtocolError,
  RawClient,
  register,
  sleep,
  startTestCluster,
  type TestCluster,
  type TestServer,
} from "./harness.js";
import { requireService } from "./services.js";
import { TcpProxy } from "./tcp-proxy.js";

const available = await requireService("cluster failure tests (PostgreSQL, redis-server)", async () => {
  await probePostgres();
  await probeBinary("redis-server", ["--version"]);
});

async function readyz(server: TestServer): Promise<{ status: number; checks: Record<string, string> }> {
  const res = await http(server, "GET", "/readyz");
  return { status: res.status, checks: res.body.checks };
}

const isPresence = (userId: string, online: boolean) => (e: EventFrame) =>
  e.event === "presence" && e.data.userId === userId && e.data.online === online;

describe("cluster mode: two nodes, and PostgreSQL or Redis going away", { skip: !available && "services unavailable" }, () => {
  let redis: PrivateRedis;
  let proxy: TcpProxy;
  let cluster: TestCluster;
  let a: TestServer;
  let b: TestServer;
  let alice: AuthResult;
  let bob: AuthResult;
  let direct: string;
  const clients: RawClient[] = [];

  async function connect(server: TestServer, user: AuthResult): Promise<RawClient> {
    const c = await RawClient.connect(server, user.accessToken);
    clients.push(c);
    return c;
  }

  before(async () => {
    redis = await PrivateRedis.start();
    const target = new URL(TEST_DATABASE_URL);
    proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    target.host = `127.0.0.1:${proxy.port}`;
    cluster = await startTestCluster({
      label: "failure",
      nodeIds: ["a", "b"],
      config: { databaseUrl: target.toString(), redisUrl: redis.url, presenceTtlMs: 900, presenceGraceMs: 200 },
    });
    [a, b] = cluster.nodes as [TestServer, TestServer];
    [alice, bob] = await Promise.all([register(a), register(b)]);
    direct = (await http(a, "POST", "/v1/conversations/direct", { userId: bob.user.id }, alice.accessToken)).body.id;
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await cluster?.close();
    await redis?.kill();
    await proxy?.close();
  });

  it("reports ready with every check, and delivers from one node to the other", async () => {
    assert.deepEqual(await readyz(a), { status: 200, checks: { store: "ok", bus: "ok", presence: "ok" } });
    const ca = await connect(a, alice);
    const cb = await connect(b, bob);
    const ack = await ca.request("messages.send", { conversationId: direct, clientId: "x-1", body: "across" });
    const got = await cb.waitForEvent((e) => e.event === "message" && e.data.seq === ack.seq);
    assert.equal(got.event === "message" && got.data.body, "across");
    await Promise.all([ca.close(), cb.close()]);
  });

  it("announces offline only when the user's last device on any node is gone", async () => {
    const watcher = await connect(b, bob);
    const onA = await connect(a, alice);
    const onB = await connect(b, alice);
    await watcher.request("presence.subscribe", { userIds: [alice.user.id] });
    await onA.close();
    await sleep(500); // > grace: node a checked presence across nodes and saw the device on node b
    assert.equal(watcher.events.filter(isPresence(alice.user.id, false)).length, 0, "still online through node b");
    await onB.close();
    await watcher.waitForEvent(isPresence(alice.user.id, false), 3000);
    await watcher.close();
  });

  it("PostgreSQL cut: /readyz names the store, sends fail with retryable `unavailable`, and all recovers by itself", async () => {
    const ca = await connect(a, alice);
    const cb = await connect(b, bob);
    await proxy.cut();
    await waitUntil("node a to report the store down", async () => (await readyz(a)).status === 503);
    const { checks } = await readyz(a);
    assert.notEqual(checks["store"], "ok");
    assert.equal(checks["bus"], "ok");

    const error = await ca.request("messages.send", { conversationId: direct, clientId: "pg-1", body: "during" }).then(
      () => assert.fail("no ack may be sent without a commit"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ProtocolError);
    assert.equal(error.error.code, "unavailable");
    assert.equal((error.error as { retryable?: boolean }).retryable, true);
    const viaHttp = await http(
      a,
      "POST",
      `/v1/conversations/${direct}/messages`,
      { clientId: "pg-2", body: "during" },
      alice.accessToken,
    );
    assert.equal(viaHttp.status, 503);
    assert.equal(viaHttp.body.error.code, "unavailable");

    await proxy.restore();
    await waitUntil("node a to be ready again", async () => (await readyz(a)).status === 200);
    // The client's retry with the same clientId is now stored once.
    const ack = await ca.request("messages.send", { conversationId: direct, clientId: "pg-1", body: "during" });
    assert.equal(ack.duplicate, false);
    await cb.waitForEvent((e) => e.event === "message" && e.data.seq === ack.seq);
    await Promise.all([ca.close(), cb.close()]);
  });

  it("Redis killed: /readyz names the bus, sends are still stored and acknowledged, and after Redis returns open sessions are told to resync", async () => {
    const ca = await connect(a, alice);
    const cb = await connect(b, bob);
    await redis.kill();
    await waitUntil("node a to report the bus down", async () => (await readyz(a)).status === 503);
    const { checks } = await readyz(a);
    assert.notEqual(checks["bus"], "ok");
    assert.equal(checks["store"], "ok");

    // The store is up, so the ack is true: the message is durable; only its live fan-out is lost.
    const started = Date.now();
    const during = await ca.request("messages.send", {
      conversationId: direct,
      clientId: "redis-1",
      body: "while redis was down",
    });
    assert.ok(Date.now() - started < 3000, "fan-out failures do not hold the ack back");
    // A committed change is not reported as failed because it could not be announced (a retry would repeat it).
    const group = await http(
      a,
      "POST",
      "/v1/conversations/group",
      { title: "during", memberIds: [bob.user.id] },
      alice.accessToken,
    );
    assert.equal(group.status, 200);

    await redis.restart();
    // Both nodes lost their subscriptions for a while: each tells its sessions to catch up, and closes none of them.
    for (const c of [ca, cb]) {
      const resync = await c.waitForEvent((e) => e.event === "resync", 10_000);
      assert.deepEqual(resync.data, { reason: "events_lost" });
    }
    await waitUntil("both nodes to be ready", async () => (await readyz(a)).status === 200 && (await readyz(b)).status === 200);
    const stillOpen = Symbol("open");
    for (const c of [ca, cb]) assert.equal(await Promise.race([c.closed, Promise.resolve(stillOpen)]), stillOpen);

    const again = cb;
    const sync = await again.request("sync", { cursors: { [direct]: during.seq - 1 } });
    const entry = sync.conversations.find((c) => c.conversationId === direct);
    assert.deepEqual(
      entry?.messages.map((m) => m.body),
      ["while redis was down"],
      "sync returns what the bus lost",
    );
    const ack = await ca.request("messages.send", { conversationId: direct, clientId: "redis-2", body: "live again" });
    await again.waitForEvent((e) => e.event === "message" && e.data.seq === ack.seq);
  });
});
