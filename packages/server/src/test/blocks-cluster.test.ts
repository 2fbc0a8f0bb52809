// Blocks in cluster mode: each node caches who blocks whom for the send path, so a block made through one node must
// reach the cache of every other node at once (the `blocks-changed` bus message), not after the cache's maximum age.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AuthResult } from "@parley/protocol";
import { probePostgres, probeRedis } from "./cluster-harness.js";
import { http, register, startTestCluster, type TestCluster, type TestServer } from "./harness.js";
import { requireService } from "./services.js";

const available = await requireService("cluster block tests (PostgreSQL, Redis)", async () => {
  await probePostgres();
  await probeRedis();
});

describe("blocks across cluster nodes", { skip: !available && "services unavailable" }, () => {
  let cluster: TestCluster | undefined;
  let na: TestServer;
  let nb: TestServer;
  let victim: AuthResult;
  let pest: AuthResult;

  before(async () => {
    cluster = await startTestCluster({ label: "blocks", nodeIds: ["a", "b"] });
    [na, nb] = cluster.nodes as [TestServer, TestServer];
    [victim, pest] = await Promise.all([register(na), register(nb)]);
  });

  after(async () => {
    await cluster?.close();
  });

  it("a block made through one node refuses the next send through another, and an unblock lifts it there", async () => {
    const direct = await http(nb, "POST", "/v1/conversations/direct", { userId: victim.user.id }, pest.accessToken);
    assert.equal(direct.status, 200, JSON.stringify(direct.body));
    const send = (n: number) =>
      http(nb, "POST", `/v1/conversations/${direct.body.id}/messages`, { clientId: `p-${n}`, body: `hi ${n}` }, pest.accessToken);
    // Node b now holds "not blocked" for the pair in its cache.
    assert.equal((await send(1)).status, 200);

    assert.equal((await http(na, "PUT", `/v1/blocks/${pest.user.id}`, undefined, victim.accessToken)).status, 200);
    const refused = await send(2);
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, "not_allowed");

    assert.equal((await http(na, "DELETE", `/v1/blocks/${pest.user.id}`, undefined, victim.accessToken)).status, 200);
    assert.equal((await send(3)).status, 200);
  });
});
