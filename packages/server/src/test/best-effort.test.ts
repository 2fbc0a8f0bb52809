// Best-effort failures as an operator meets them: work that may fail without failing the request (fan-out, presence)
// is logged at warn with where it failed and counted in parley_best_effort_failures_total{where}. Provoked for real:
// a cluster node whose Redis (bus and presence store) is killed.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AuthResult } from "@parley/protocol";
import { PrivateRedis, probeBinary, probePostgres, waitUntil } from "./cluster-harness.js";
import { http, RawClient, register, startTestCluster, type TestCluster, type TestServer } from "./harness.js";
import { requireService } from "./services.js";

const available = await requireService("best-effort failure tests (PostgreSQL, redis-server)", async () => {
  await probePostgres();
  await probeBinary("redis-server", ["--version"]);
});

async function failures(server: TestServer): Promise<Map<string, number>> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const counts = new Map<string, number>();
  for (const [, where, value] of text.matchAll(/^parley_best_effort_failures_total\{where="([^"]+)"\} (\S+)$/gm)) {
    counts.set(where!, Number(value));
  }
  return counts;
}

describe("best-effort failures", { skip: !available && "services unavailable" }, () => {
  let redis: PrivateRedis;
  let cluster: TestCluster;
  let node: TestServer;
  let alice: AuthResult;
  let bob: AuthResult;
  let direct: string;
  const lines: Record<string, unknown>[] = [];
  const clients: RawClient[] = [];

  before(async () => {
    redis = await PrivateRedis.start();
    cluster = await startTestCluster({
      label: "besteffort",
      nodeIds: ["a"],
      config: { redisUrl: redis.url, logLevel: "warn" },
      start: { logDestination: { write: (line: string) => void lines.push(JSON.parse(line)) } },
    });
    node = cluster.nodes[0]!;
    [alice, bob] = (await Promise.all([register(node), register(node)])) as [AuthResult, AuthResult];
    direct = (await http(node, "POST", "/v1/conversations/direct", { userId: bob.user.id }, alice.accessToken)).body.id;
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await cluster?.close();
    await redis?.kill();
  });

  it("every site starts at 0, so the first failure is an increase", async () => {
    const counts = await failures(node);
    assert.equal(counts.get("message.fanout"), 0);
    assert.equal(counts.get("presence.connect"), 0);
  });

  it("a fan-out and a presence announcement that fail are logged with `where` and counted; the requests succeed", async () => {
    const sender = await RawClient.connect(node, alice.accessToken);
    clients.push(sender);
    await redis.kill();
    await waitUntil("the node to report the bus down", async () => (await http(node, "GET", "/readyz")).status === 503);

    // The store is up: the message is stored and acknowledged; only its live fan-out through the bus fails.
    const ack = await sender.request("messages.send", { conversationId: direct, clientId: "be-1", body: "during" });
    assert.equal(ack.duplicate, false);
    // A device that connects now is admitted; announcing it online (the presence store is in Redis) fails.
    const late = await RawClient.connect(node, bob.accessToken);
    clients.push(late);

    await waitUntil("both failures to be counted", async () => {
      const counts = await failures(node);
      return (counts.get("message.fanout") ?? 0) >= 1 && (counts.get("presence.connect") ?? 0) >= 1;
    });
    for (const where of ["message.fanout", "presence.connect"]) {
      const line = lines.find((l) => l["where"] === where);
      assert.ok(line, `a log line for ${where}`);
      assert.equal(line["level"], 40, "logged at warn");
      assert.equal(line["msg"], "best-effort work failed");
      const err = line["err"] as { message?: string } | undefined;
      assert.ok(typeof err?.message === "string" && err.message.length > 0, `${where}: the error is in the line`);
    }
    assert.ok(!JSON.stringify(lines).includes("during"), "the message body is not logged");
  });
});
