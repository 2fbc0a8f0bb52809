// Cluster mode end to end: three node processes on PostgreSQL and Redis behind haproxy, driven by the SDK. Cross-node
// delivery, presence and typing, member-cache invalidation, and a node killed with SIGKILL under load.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { MessageAck, Presence } from "@parley/protocol";
import { Cluster, probeClusterServices, requireService, sleep, waitUntil } from "@parley/server/testing";
import { ParleyClient } from "../node.js";
import { nextEvent, recorder } from "../testing/client-events.js";

const available = await requireService("cluster tests (PostgreSQL, Redis, haproxy)", () => probeClusterServices());

const PASSWORD = "correct horse battery";
const PRESENCE_TTL_MS = 1500;

describe("cluster: three nodes on PostgreSQL and Redis behind haproxy", { skip: !available && "services unavailable" }, () => {
  let cluster: Cluster;
  const clients: ParleyClient[] = [];
  let counter = 0;
  const run = Math.random().toString(36).slice(2, 7);

  /** A client of a new user (or a new device of `username`) talking to `server`. */
  async function device(server: string, username?: string): Promise<{ client: ParleyClient; userId: string; username: string }> {
    const client = new ParleyClient({
      server,
      gapWaitMs: 100,
      receiptDelayMs: 50,
      requestTimeoutMs: 5000,
      reconnectBackoff: { initialMs: 100, maxMs: 1000 },
    });
    client.on("error", () => {});
    clients.push(client);
    const name = username ?? `u${run}${++counter}`;
    const user = username ? await client.login(name, PASSWORD) : await client.register(name, PASSWORD);
    await client.connect();
    return { client, userId: user.id, username: name };
  }

  before(async () => {
    cluster = await Cluster.start({
      nodes: 3,
      env: {
        PARLEY_PRESENCE_TTL_MS: String(PRESENCE_TTL_MS),
        PARLEY_PRESENCE_GRACE_MS: "300",
        PARLEY_TYPING_TIMEOUT_MS: "800",
        PARLEY_RECEIPT_FLUSH_MS: "20",
        // The load test sends far faster than a person; per-IP limits would also see one address (loopback).
        PARLEY_RATE_REQUESTS: "off",
        PARLEY_RATE_MESSAGES: "off",
        PARLEY_RATE_TYPING: "off",
        PARLEY_RATE_RECEIPTS: "off",
        PARLEY_RATE_AUTH_IP: "off",
        PARLEY_RATE_REGISTER_IP: "off",
        PARLEY_RATE_CONNECT_IP: "off",
      },
    });
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await cluster?.close();
  });

  it("delivers across nodes: sender on node 1, the recipient's devices on nodes 2 and 3", async () => {
    const [a, b, c] = cluster.nodes.map((n) => n.url) as [string, string, string];
    const alice = await device(a);
    const bob = await device(b);
    const bobPhone = await device(c, bob.username);
    const carol = await device(c);
    const seen = [bob, bobPhone, carol].map((d) => recorder(d.client));
    const group = await alice.client.createGroup("across", [bob.userId, carol.userId]);
    const acks: MessageAck[] = [];
    for (let i = 0; i < 20; i++) acks.push(await alice.client.send(group.id, `m${i}`));
    const last = acks.at(-1)!.seq;
    for (const [k, s] of seen.entries()) {
      await waitUntil(`recipient ${k} to receive seq ${last}`, () => s.get(group.id)?.at(-1)?.seq === last, 8000);
      const texts = s.get(group.id)!.filter((m) => m.kind === "text");
      assert.deepEqual(
        texts.map((m) => m.body),
        acks.map((_, i) => `m${i}`),
        `recipient ${k}: every message once, in order`,
      );
    }
  });

  it("presence and typing work across nodes; offline is announced after the grace period", async () => {
    const [a, b] = cluster.nodes.map((n) => n.url) as [string, string];
    const alice = await device(a);
    const dave = await device(b);
    const direct = await alice.client.openDirect(dave.userId);
    await waitUntil("dave to see the conversation", () => dave.client.cursor(direct.id) !== undefined);

    const [initial] = await alice.client.subscribePresence([dave.userId]);
    assert.equal(initial?.online, true, "dave's device on node 2 is visible from node 1");

    const typing = nextEvent(dave.client, "typing", (e) => e.userId === alice.userId && e.typing, 8000);
    alice.client.setTyping(direct.id, true);
    await typing;
    // The typing timer runs on alice's node; its expiry reaches dave on the other node.
    await nextEvent(dave.client, "typing", (e) => e.userId === alice.userId && !e.typing, 3000);

    const offline = nextEvent(alice.client, "presence", (p: Presence) => p.userId === dave.userId && !p.online, 5000);
    await dave.client.close();
    const gone = await offline;
    assert.ok(gone.lastSeenAt !== null);
  });

  it("a membership change on one node reaches the member caches of the others", async () => {
    const [a, b, c] = cluster.nodes.map((n) => n.url) as [string, string, string];
    const alice = await device(a);
    const bob = await device(b);
    const frank = await device(c);
    const frankSeen = recorder(frank.client);
    const group = await alice.client.createGroup("cache", [bob.userId]);
    await alice.client.call("members.setRole", { conversationId: group.id, userId: bob.userId, role: "admin" });
    await alice.client.send(group.id, "warm"); // node 1 now caches the member list [alice, bob]
    // Node 2 changes the membership; node 1 learns it only through the bus (`system` topic).
    await bob.client.call("members.add", { conversationId: group.id, userIds: [frank.userId] });
    const ack = await alice.client.send(group.id, "after frank");
    await waitUntil("frank (added on node 2) to get node 1's message live", () =>
      (frankSeen.get(group.id) ?? []).some((m) => m.seq === ack.seq),
    );
  });

  it("long polling through haproxy: the cookie brings every request of a session back to the node that opened it", async () => {
    const lb = cluster.lb!.url;
    const reg = await fetch(`${lb}/v1/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: `lp${run}`, password: PASSWORD }),
    });
    const { accessToken } = (await reg.json()) as { accessToken: string };
    const opened = await fetch(`${lb}/v1/lp/open`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ versions: [1], token: accessToken }),
    });
    assert.equal(opened.status, 200);
    const cookie = opened.headers.get("set-cookie")?.split(";")[0];
    assert.match(cookie ?? "", /^PARLEY_NODE=node\d$/, "haproxy names the node in a cookie");
    const { welcome, secret } = (await opened.json()) as { welcome: { connectionId: string }; secret: string };
    const headers = { "parley-poll-secret": secret, cookie: cookie! };
    let ack = 0;
    // Without stickiness, leastconn would spread these over the three nodes and two of them know no such session.
    for (let i = 1; i <= 6; i++) {
      const sent = await fetch(`${lb}/v1/lp/send?connection=${welcome.connectionId}&batch=${i}`, {
        method: "POST",
        headers: { ...headers, "content-type": "application/x-ndjson" },
        body: JSON.stringify({ rid: `p${i}`, op: "ping", args: {} }),
      });
      assert.equal(sent.status, 200, `send ${i}`);
      const polled = await fetch(`${lb}/v1/lp/poll?connection=${welcome.connectionId}&ack=${ack}`, { headers });
      assert.equal(polled.status, 200, `poll ${i}`);
      const body = (await polled.json()) as { last: number; frames: { rid?: string }[] };
      assert.ok(
        body.frames.some((f) => f.rid === `p${i}`),
        `poll ${i} answers ping ${i}`,
      );
      ack = body.last;
    }
  });

  it("a node killed with SIGKILL under load: its clients reconnect through haproxy and every acked message reaches every member once, in order", async () => {
    const lb = cluster.lb!.url;
    const users: Awaited<ReturnType<typeof device>>[] = [];
    for (let i = 0; i < 6; i++) users.push(await device(lb));
    const seen = users.map((u) => recorder(u.client));
    const [owner, ...others] = users as [(typeof users)[0], ...typeof users];
    const group = await owner.client.createGroup(
      "load",
      others.map((u) => u.userId),
    );
    await Promise.all(users.map((u) => waitUntil("the group to reach everyone", () => u.client.cursor(group.id) !== undefined)));

    // A watcher on node 1 follows a user whose only device is on node 2 and cannot come back (it points at node 2).
    const watcher = await device(cluster.nodes[0]!.url);
    const stranded = await device(cluster.nodes[1]!.url);
    await watcher.client.openDirect(stranded.userId);
    const [before] = await watcher.client.subscribePresence([stranded.userId]);
    assert.equal(before?.online, true);

    const reconnected = new Set<number>();
    users.forEach((u, i) => {
      u.client.on("state", (s) => {
        if (s === "reconnecting") reconnected.add(i);
      });
    });

    const acks: MessageAck[] = [];
    let sending = true;
    const senders = users.map(async (u, i) => {
      let n = 0;
      while (sending) {
        // Not awaited one by one: each user keeps a few sends in flight, as a fast typist on a slow link would.
        const batch = [0, 1, 2].map(() => u.client.send(group.id, `u${i}-${n++}`).then((ack) => acks.push(ack)));
        await Promise.all(batch);
        await sleep(10);
      }
    });

    await sleep(1500);
    const offline = nextEvent(watcher.client, "presence", (p) => p.userId === stranded.userId && !p.online, PRESENCE_TTL_MS * 4);
    const killedAt = Date.now();
    await cluster.nodes[1]!.kill();
    let movedMs = 0;
    await waitUntil("the moved clients to be connected again", () => {
      movedMs = Date.now() - killedAt;
      return reconnected.size > 0 && [...reconnected].every((i) => users[i]!.client.state === "connected");
    });
    await sleep(Math.max(0, 2000 - movedMs));
    sending = false;
    await Promise.all(senders);
    for (const u of users) assert.ok(await u.client.flush(20_000), "every send acknowledged");

    // Presence: the killed node never said goodbye; its devices expired and another node announced them offline.
    const gone = await offline;
    assert.equal(gone.online, false);
    const detectedMs = Date.now() - killedAt;

    const lastSeq = Math.max(...acks.map((a) => a.seq));
    const ackedIds = new Set(acks.map((a) => a.id));
    for (const [k, s] of seen.entries()) {
      await waitUntil(`member ${k} to catch up to seq ${lastSeq}`, () => (s.get(group.id)?.at(-1)?.seq ?? 0) >= lastSeq, 20_000);
      const entries = s.get(group.id)!;
      const seqs = entries.map((m) => m.seq);
      for (let j = 1; j < seqs.length; j++)
        assert.equal(seqs[j], seqs[j - 1]! + 1, `member ${k}: seq ${seqs[j]} follows ${seqs[j - 1]}`);
      const ids = entries.map((m) => m.id);
      assert.equal(new Set(ids).size, ids.length, `member ${k}: no entry twice`);
      const got = new Set(ids);
      const missing = [...ackedIds].filter((id) => !got.has(id));
      assert.deepEqual(missing, [], `member ${k}: every acknowledged message delivered`);
    }
    assert.ok(reconnected.size >= 1, "some clients were on the killed node and reconnected");
    console.log(
      `# kill -9 under load: ${acks.length} acked messages, ${reconnected.size}/6 clients moved and reconnected within ${movedMs} ms, stranded device offline after ${detectedMs} ms`,
    );
  });
});
