// A Redis outage in cluster mode, seen by SDK clients: the nodes keep every connection open, and once the bus is back
// they tell their sessions to catch up (`resync`), so that what the bus lost arrives without a reconnect.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { MessageAck } from "@parley/protocol";
import { Cluster, PrivateRedis, probeBinary, probePostgres, requireService } from "@parley/server/testing";
import { ParleyClient } from "../node.js";
import { recorder, waitUntil } from "../testing/client-events.js";

const available = await requireService("bus outage tests (PostgreSQL, redis-server)", async () => {
  await probePostgres();
  await probeBinary("redis-server", ["--version"]);
});

const PASSWORD = "correct horse battery";

const ready = async (node: string) => (await fetch(`${node}/readyz`)).status;

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("cluster: the bus goes away and comes back", { skip: !available && "services unavailable" }, () => {
  let redis: PrivateRedis;
  let cluster: Cluster;
  const clients: ParleyClient[] = [];
  const run = Math.random().toString(36).slice(2, 7);

  async function device(server: string, name: string) {
    const client = new ParleyClient({ server, gapWaitMs: 100, requestTimeoutMs: 5000 });
    client.on("error", () => {});
    clients.push(client);
    const user = await client.register(`${name}${run}`, PASSWORD);
    await client.connect();
    return { client, userId: user.id };
  }

  before(async () => {
    redis = await PrivateRedis.start();
    cluster = await Cluster.start({
      nodes: 2,
      haproxy: false,
      redisUrl: redis.url,
      env: { PARLEY_RATE_AUTH_IP: "off", PARLEY_RATE_REGISTER_IP: "off", PARLEY_RATE_CONNECT_IP: "off" },
    });
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await cluster?.close();
    await redis?.kill();
  });

  it("keeps every connection open and delivers what was sent during the outage once Redis is back", async () => {
    const [a, b] = cluster.nodes.map((n) => n.url) as [string, string];
    const alice = await device(a, "alice");
    const bob = await device(b, "bob");
    const chat = await alice.client.openDirect(bob.userId);
    const states: string[] = [];
    for (const c of [alice.client, bob.client]) c.on("state", (s) => states.push(s));
    const seen = recorder(bob.client);

    await redis.kill();
    await waitFor("both nodes to notice the bus is down", async () => (await ready(a)) === 503 && (await ready(b)) === 503);
    // PostgreSQL is up: sends are stored and acknowledged; only their live delivery to node b is lost.
    const during: MessageAck[] = [];
    for (let i = 0; i < 5; i++) during.push(await alice.client.send(chat.id, `during ${i}`));
    await redis.restart();
    await waitFor("both nodes to be ready again", async () => (await ready(a)) === 200 && (await ready(b)) === 200);

    const last = during.at(-1)!.seq;
    await waitUntil("bob to catch up with what the bus lost", () => seen.get(chat.id)?.at(-1)?.seq === last, 20_000);
    const after = await alice.client.send(chat.id, "after");
    await waitUntil("a live message after the outage", () => seen.get(chat.id)?.at(-1)?.seq === after.seq, 10_000);
    assert.deepEqual(
      seen
        .get(chat.id)!
        .filter((m) => m.kind === "text")
        .map((m) => m.body),
      ["during 0", "during 1", "during 2", "during 3", "during 4", "after"],
    );
    assert.deepEqual(states, [], "no client was disconnected");
    assert.equal(alice.client.state, "connected");
    assert.equal(bob.client.state, "connected");
  });
});
