// Runs the bus and presence contracts against Redis (two brokers = two nodes), plus Redis-only behaviour: expiry of a
// silent node's devices, resubscription after a killed connection, and a Redis that dies and comes back.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, describe, it } from "node:test";
import { Redis } from "ioredis";
import { createLogger } from "../../logger.js";
import { BestEffort } from "../../observability/best-effort.js";
import { Metrics } from "../../observability/metrics.js";
import { runBrokerContract } from "../../ports/broker.contract.js";
import type { BusMessage } from "../../ports/broker.js";
import { BackendUnavailableError } from "../../ports/errors.js";
import { runPresenceStoreContract } from "../../ports/presence-store.contract.js";
import { freePort, PrivateRedis, probeBinary, probeRedis, TEST_REDIS_URL, waitUntil } from "../../test/cluster-harness.js";
import { requireService } from "../../test/services.js";
import { decodeBusMessage, encodeBusMessage, RedisBroker } from "./redis-broker.js";
import { keyspace } from "./redis-connection.js";
import { RedisPresenceStore } from "./redis-presence-store.js";

const REDIS_URL = TEST_REDIS_URL;
const run = randomUUID().slice(0, 8);
const prefixes: string[] = [];
/** A fresh deployment prefix, deleted with all its keys after the file's tests. */
const newPrefix = (label: string) => {
  const prefix = `test-${run}-${label}`;
  prefixes.push(prefix);
  return prefix;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const failures = new BestEffort(createLogger({ logLevel: "silent" }), new Metrics(false));

const available = await requireService(`Redis at ${REDIS_URL}`, () => probeRedis(REDIS_URL));

describe("bus wire encoding", () => {
  it("round-trips every message type with and without an excepted connection", () => {
    const messages: BusMessage[] = [
      { type: "frame", frame: '{"type":"event","event":"message","data":{"body":"a\\nb"}}' },
      { type: "frame", frame: "{}", exceptConnection: "conn_123" },
      {
        type: "frame",
        frame: "{}",
        exceptConnection: "conn_123",
        sentAt: 1765000000123.456,
        storedAt: 1765000000125.5,
        conversationId: "C_1",
        seq: 42,
        traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      },
      { type: "frame", frame: "{}", sentAt: 1765000000123.25, storedAt: 1765000000124 },
      { type: "frame", frame: '{"a":"x\\ny"}', userIds: ["U_1", "u-2"] },
      {
        type: "frame",
        frame: "{}",
        exceptConnection: "conn_123",
        sentAt: 1765000000123.5,
        storedAt: 1765000000124,
        conversationId: "C_1",
        seq: 7,
        userIds: ["U_1"],
      },
      { type: "members-changed", conversationId: "C_1" },
      { type: "session-revoked", sessionId: "S_1" },
      { type: "user-deactivated", userId: "U_1" },
      { type: "presence-narrowed", userIds: ["U_1", "U-2", "u3"] },
      { type: "blocks-changed", ownerId: "U_1", userId: "u-2" },
    ];
    for (const m of messages) {
      const wire = encodeBusMessage(m, "origin01");
      assert.deepEqual(decodeBusMessage(wire), { origin: "origin01", message: m });
    }
    assert.equal(encodeBusMessage({ type: "frame", frame: "{}" }, "origin01"), "Forigin01\n{}", "no JSON wrapping");
    assert.equal(decodeBusMessage("Xorigin01whatever"), undefined, "unknown types are ignored");
  });
});

if (available) {
  const admin = new Redis(REDIS_URL);
  after(async () => {
    for (const prefix of prefixes) {
      const keys = await admin.keys(`${keyspace(prefix)}*`);
      if (keys.length > 0) await admin.del(...keys);
    }
    admin.disconnect();
  });

  runBrokerContract("RedisBroker (two nodes)", async () => {
    const prefix = newPrefix("broker");
    return [
      await RedisBroker.connect(REDIS_URL, { failures, prefix }),
      await RedisBroker.connect(REDIS_URL, { failures, prefix }),
    ];
  });

  runPresenceStoreContract("RedisPresenceStore", async () =>
    RedisPresenceStore.connect(REDIS_URL, { prefix: newPrefix("presence"), nodeId: "n1", ttlMs: 30_000 }),
  );

  describe("RedisBroker (Redis-specific)", () => {
    it("serves local subscribers in-process and does not deliver the Redis echo twice", async () => {
      const broker = await RedisBroker.connect(REDIS_URL, { failures, prefix: newPrefix("local") });
      try {
        const got: BusMessage[] = [];
        await broker.subscribe("user:me", (m) => got.push(m));
        await broker.publish(["user:me"], { type: "members-changed", conversationId: "c" });
        assert.equal(got.length, 1, "delivered before publish resolved");
        await sleep(50);
        assert.equal(got.length, 1, "the echo from Redis is skipped");
      } finally {
        await broker.close();
      }
    });

    it("keeps one node's publish order across topics, single or fanned out (an invalidation precedes what follows it)", async () => {
      const prefix = newPrefix("order");
      const a = await RedisBroker.connect(REDIS_URL, { failures, prefix });
      const b = await RedisBroker.connect(REDIS_URL, { failures, prefix });
      try {
        const got: string[] = [];
        const record = (m: BusMessage) => got.push(m.type === "frame" ? m.frame : m.type);
        for (const t of ["system", "user:o1", "user:o2"]) await b.subscribe(t, record);
        const sent: Promise<void>[] = [];
        for (let i = 0; i < 50; i++) {
          sent.push(a.publish(["system"], { type: "members-changed", conversationId: "c" }));
          sent.push(a.publish(["user:o1", "user:o2"], { type: "frame", frame: String(i) }));
        }
        await Promise.all(sent);
        await waitUntil("all 150 messages", () => got.length === 150);
        const expected = Array.from({ length: 50 }, (_, i) => ["members-changed", String(i), String(i)]).flat();
        assert.deepEqual(got, expected);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    it("keeps deployments apart by prefix", async () => {
      const [a, b] = [
        await RedisBroker.connect(REDIS_URL, { failures, prefix: newPrefix("one") }),
        await RedisBroker.connect(REDIS_URL, { failures, prefix: newPrefix("two") }),
      ];
      try {
        const got: BusMessage[] = [];
        await b.subscribe("system", (m) => got.push(m));
        await a.publish(["system"], { type: "session-revoked", sessionId: "s" });
        await sleep(50);
        assert.equal(got.length, 0);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    it("resubscribes after its subscriber connection is killed and reports the gap", async () => {
      const prefix = newPrefix("kill");
      const a = await RedisBroker.connect(REDIS_URL, { failures, prefix });
      const b = await RedisBroker.connect(REDIS_URL, { failures, prefix });
      try {
        const got: string[] = [];
        let gaps = 0;
        b.onReconnect(() => gaps++);
        for (let i = 0; i < 3; i++) await b.subscribe(`user:k${i}`, (m) => m.type === "frame" && got.push(m.frame));
        // Kill every subscriber connection of this deployment (only b's subscriber has channels).
        const clients = String(await admin.call("CLIENT", "LIST", "TYPE", "pubsub"));
        const ids = clients
          .split("\n")
          .filter((line) => line.includes(`name=parley-${prefix}-bus-subscriber`))
          .map((line) => /id=(\d+)/.exec(line)?.[1]);
        assert.ok(ids.length >= 1, "found the subscriber connection");
        for (const id of ids) await admin.client("KILL", "ID", id!);
        await waitUntil("the reconnect listener", () => gaps === 1);
        await a.publish(["user:k0", "user:k1", "user:k2"], { type: "frame", frame: "after" });
        await waitUntil("delivery on every resubscribed topic", () => got.length === 3);
        await b.ping();
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });
  });

  describe("RedisPresenceStore (Redis-specific)", () => {
    it("a node that stops heartbeating loses its devices by expiry; one node claims them for the offline announcement", async () => {
      const prefix = newPrefix("ttl");
      const dying = await RedisPresenceStore.connect(REDIS_URL, { prefix, nodeId: "dying", ttlMs: 400 });
      const alive = await RedisPresenceStore.connect(REDIS_URL, { prefix, nodeId: "alive", ttlMs: 400 });
      const other = await RedisPresenceStore.connect(REDIS_URL, { prefix, nodeId: "other", ttlMs: 400 });
      try {
        assert.equal(await dying.connect("solo", "c1"), true);
        assert.equal(await dying.connect("shared", "c2"), true);
        assert.equal(await alive.connect("shared", "c3"), false, "a second node's device does not make the user online again");
        assert.deepEqual([...(await other.online(["solo", "shared"]))].sort(), ["shared", "solo"]);
        // `dying` goes silent; `alive` keeps its device fresh.
        for (let i = 0; i < 5; i++) {
          await sleep(120);
          assert.deepEqual(await alive.heartbeat([{ userId: "shared", connectionId: "c3" }]), []);
        }
        assert.deepEqual([...(await other.online(["solo", "shared"]))], ["shared"], "expired devices are ignored");
        const [first, second] = await Promise.all([alive.expired(100), other.expired(100)]);
        assert.deepEqual([...first!, ...second!], ["solo"], "claimed by exactly one node; 'shared' still has a live device");
        assert.deepEqual(await other.expired(100), [], "claimed once");
        // The silent node comes back: its heartbeat revives the user it had lost.
        assert.deepEqual(await dying.heartbeat([{ userId: "solo", connectionId: "c1" }]), ["solo"]);
        assert.deepEqual([...(await other.online(["solo"]))], ["solo"]);
      } finally {
        await Promise.all([dying.close(), alive.close(), other.close()]);
      }
    });

    it("a clean last disconnect removes the user from the expiry index (no second offline announcement)", async () => {
      const prefix = newPrefix("clean");
      const p = await RedisPresenceStore.connect(REDIS_URL, { prefix, nodeId: "n", ttlMs: 200 });
      try {
        await p.connect("u", "c");
        assert.equal(await p.disconnect("u", "c"), true);
        await sleep(300);
        assert.deepEqual(await p.expired(100), []);
        assert.equal(await admin.exists(`${keyspace(prefix)}presence:user:u`), 0, "no key left behind");
      } finally {
        await p.close();
      }
    });
  });

  describe("Redis going away and coming back (private redis-server)", () => {
    let server: PrivateRedis | undefined;
    after(() => server?.kill());

    it("fails fast while Redis is down and recovers by itself when it returns", async (t) => {
      const hasBinary = await requireService("redis-server binary", () => probeBinary("redis-server", ["--version"]));
      if (!hasBinary) return t.skip("redis-server not installed");
      server = await PrivateRedis.start();
      const prefix = newPrefix("outage");
      const a = await RedisBroker.connect(server.url, { failures, prefix, commandTimeoutMs: 500 });
      const b = await RedisBroker.connect(server.url, { failures, prefix, commandTimeoutMs: 500 });
      const presence = await RedisPresenceStore.connect(server.url, {
        prefix,
        nodeId: "n",
        ttlMs: 10_000,
        commandTimeoutMs: 500,
      });
      try {
        let gaps = 0;
        b.onReconnect(() => gaps++);
        const got: string[] = [];
        await b.subscribe("user:x", (m) => m.type === "frame" && got.push(m.frame));
        await presence.connect("x", "c1");

        await server.kill();
        await waitUntil("the adapters to notice", () =>
          a.ping().then(
            () => false,
            () => true,
          ),
        );
        const started = Date.now();
        await assert.rejects(a.publish(["user:x"], { type: "frame", frame: "lost" }), BackendUnavailableError);
        await assert.rejects(b.ping(), BackendUnavailableError);
        await assert.rejects(presence.online(["x"]), BackendUnavailableError);
        assert.ok(Date.now() - started < 1500, "failures are immediate, not queued");
        // Subscribing while down is remembered and happens on reconnect.
        await b.subscribe("user:y", (m) => m.type === "frame" && got.push(`y:${m.frame}`));

        await server.restart();
        await waitUntil("both brokers and presence to reconnect", async () =>
          Promise.all([a.ping(), b.ping(), presence.ping()]).then(
            () => gaps === 1,
            () => false,
          ),
        );
        await a.publish(["user:x", "user:y"], { type: "frame", frame: "back" });
        await waitUntil("delivery after recovery", () => got.length === 2);
        assert.deepEqual(got.sort(), ["back", "y:back"]);
        // The restarted Redis lost every key: the node's next heartbeat restores its devices and reports the user.
        assert.deepEqual(await presence.heartbeat([{ userId: "x", connectionId: "c1" }]), ["x"]);
        assert.deepEqual([...(await presence.online(["x"]))], ["x"]);
      } finally {
        await Promise.all([a.close(), b.close(), presence.close()]);
      }
    });

    it("refuses to start when Redis cannot be reached, naming the URL without its password", async () => {
      const url = `redis://:secret@127.0.0.1:${await freePort()}`;
      await assert.rejects(RedisBroker.connect(url, { failures, prefix: "none", connectTimeoutMs: 300 }), (error: Error) => {
        assert.ok(error instanceof BackendUnavailableError);
        assert.match(error.message, /cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1/);
        assert.doesNotMatch(error.message, /secret/);
        return true;
      });
    });
  });
}
