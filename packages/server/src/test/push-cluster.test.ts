// Push notifications in cluster mode, two nodes in this process on PostgreSQL and Redis: both nodes end up with the
// same VAPID keys without configuring them, presence counts devices on any node, and only the node that committed a
// message pushes it (one notification, not one per node).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AuthResult } from "@parley/protocol";
import { probeClusterServices } from "./cluster-harness.js";
import { http, RawClient, register, sleep, startTestCluster, type TestCluster, type TestServer } from "./harness.js";
import { TestPushService, type TestSubscription } from "./push-endpoint.js";
import { requireService } from "./services.js";

const available = await requireService("push cluster tests (PostgreSQL, Redis)", () => probeClusterServices({ haproxy: false }));

const GRACE_MS = 300;
const COALESCE_MS = 300;
const QUIET_MS = GRACE_MS + COALESCE_MS + 800;

describe("push notifications in cluster mode", { skip: !available && "services unavailable" }, () => {
  let cluster: TestCluster;
  let a: TestServer;
  let b: TestServer;
  let pushService: TestPushService;
  let sub: TestSubscription;
  let alice: AuthResult;
  let bob: AuthResult;
  let direct: string;
  let clientIds = 0;

  const send = async (body: string) => {
    const res = await http(
      a,
      "POST",
      `/v1/conversations/${direct}/messages`,
      { clientId: `cl-${++clientIds}`, body },
      alice.accessToken,
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.seq as number;
  };

  before(async () => {
    pushService = await TestPushService.start();
    sub = pushService.subscription();
    // Started together: both race to generate and store the VAPID keys (the schema is migrated under a lock first).
    cluster = await startTestCluster({
      label: "push",
      nodeIds: ["a", "b"],
      together: true,
      config: { presenceGraceMs: GRACE_MS, pushCoalesceMs: COALESCE_MS, pushAllowPrivateEndpoints: true },
    });
    [a, b] = cluster.nodes as [TestServer, TestServer];
    [alice, bob] = await Promise.all([register(a), register(b)]);
    direct = (await http(a, "POST", "/v1/conversations/direct", { userId: bob.user.id }, alice.accessToken)).body.id;
    const res = await http(b, "POST", "/v1/push/subscriptions", sub, bob.accessToken);
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });

  after(async () => {
    await cluster?.close();
    await pushService?.close();
  });

  it("every node serves the same VAPID public key, generated once and kept in PostgreSQL", async () => {
    const [ka, kb] = await Promise.all(
      [a, b].map(async (s) => (await http(s, "GET", "/v1/push/config", undefined, bob.accessToken)).body.vapidPublicKey),
    );
    assert.ok(ka);
    assert.equal(ka, kb);
  });

  it("a device online on the other node counts: no notification", async () => {
    const bobOnB = await RawClient.connect(b, bob.accessToken);
    try {
      await send("while bob is on node b");
      await sleep(QUIET_MS);
      assert.equal(pushService.delivered(sub.endpoint).length, 0);
    } finally {
      await bobOnB.close();
    }
  });

  it("offline everywhere: one notification, from the node that committed the message, signed with the shared key", async () => {
    await sleep(COALESCE_MS);
    const seq = await send("bob is away");
    await pushService.waitFor(() => pushService.delivered(sub.endpoint).length > 0);
    await sleep(QUIET_MS);
    const pushes = pushService.delivered(sub.endpoint);
    assert.equal(pushes.length, 1, "one notification, not one per node");
    assert.equal(pushes[0]!.payload.seq, seq);
    const key = (await http(a, "GET", "/v1/push/config", undefined, alice.accessToken)).body.vapidPublicKey;
    assert.equal(pushes[0]!.vapidKey, key);
    assert.deepEqual(pushService.rejected, []);
  });
});
