// Integration: retention and disappearing messages through the SDK against a real server (protocol §6.14). The
// server's sweeper runs with a clock two hours ahead instead of waiting an hour; the clients must drop what expired,
// live and after being offline, and never take the expired seqs for a gap.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Message } from "@parley/protocol";
import type { ClientEvents } from "./node.js";
import { waitUntil } from "./testing/client-events.js";
import { directChat, SdkTestServer } from "./testing/real-server.js";

const HOUR = 3_600_000;

describe("SDK retention", () => {
  let server: SdkTestServer;
  const suffix = `${process.pid % 10_000}`;

  before(async () => {
    server = await SdkTestServer.start({ label: "retention", config: { retentionSweepIntervalMs: 0 } });
  });
  after(async () => {
    await server.close();
  });

  it("sets the timer and the retention, and drops expired entries live and after an offline gap", async () => {
    const alice = server.client({ gapWaitMs: 50 });
    const bob = server.client({ gapWaitMs: 50 });
    const { id } = await directChat([alice, `reta_${suffix}`], [bob, `retb_${suffix}`]);
    // What a UI keeps: the entries shown, dropped again when they expire.
    let shown: Message[] = [];
    const expired: ClientEvents["expired"][] = [];
    bob.on("message", (m) => {
      if (m.conversationId === id) shown = [...shown, m];
    });
    bob.on("expired", (e) => {
      expired.push(e);
      if (e.conversationId === id) shown = shown.filter((m) => m.seq > e.expiredThrough);
    });

    await alice.send(id, "soon gone");
    await alice.send(id, "also gone");
    const timer = await bob.setDisappearing(id, 3600);
    assert.deepEqual(timer.event, { type: "conversation.disappearing", actorId: bob.user!.id, seconds: 3600 });
    assert.equal((await alice.conversation(id)).disappearAfter, 3600);
    await waitUntil("bob holds seq 4", () => shown.some((m) => m.seq === 4));
    await assert.rejects(bob.setRetention(id, 10), (error: Error & { code?: string }) => error.code === "validation_failed");

    // A second device of bob's goes offline holding everything up to seq 4.
    const offline = server.client({ credentials: bob.credentials! });
    await offline.connect();
    const cursors = offline.cursors();
    assert.equal(cursors[id], 4);
    await offline.close();

    const swept = await server.server.services.retention.sweep(Date.now() + 2 * HOUR);
    assert.equal(swept.entries >= 4, true);
    await waitUntil("bob's open chat dropped the expired entries", () => expired.some((e) => e.conversationId === id));
    assert.deepEqual(expired, [{ conversationId: id, expiredThrough: 4 }]);
    assert.deepEqual(shown, []);

    // Back online: sync says what expired, and the seqs below the watermark are no gap to repair.
    const resumed = server.client({ credentials: bob.credentials!, cursors, gapWaitMs: 50 });
    const resumedExpired: ClientEvents["expired"][] = [];
    const resumedMessages: number[] = [];
    resumed.on("expired", (e) => resumedExpired.push(e));
    resumed.on("message", (m) => {
      if (m.conversationId === id) resumedMessages.push(m.seq);
    });
    await resumed.connect();
    await waitUntil("the resumed device learns the watermark", () => resumedExpired.length > 0);
    assert.deepEqual(resumedExpired, [{ conversationId: id, expiredThrough: 4 }]);
    const next = await alice.send(id, "after the sweep");
    assert.equal(next.seq, 5);
    await waitUntil("the new entry arrives in order", () => resumedMessages.includes(5));
    assert.deepEqual(resumedMessages, [5]);
    assert.equal(resumed.cursors()[id], 5);
    const history = await resumed.history(id);
    assert.deepEqual(
      history.messages.map((m) => m.seq),
      [5],
    );
    assert.equal(history.expiredThrough, 4);

    const retention = await alice.setRetention(id, 86_400);
    assert.deepEqual(retention.event, { type: "conversation.retention", actorId: alice.user!.id, seconds: 86_400 });
    const summary = await bob.conversation(id);
    assert.equal(summary.retention, 86_400);
    assert.equal(summary.maxAge, 3600, "the timer is shorter");
    assert.equal(summary.expiredThrough, 4);
  });
});
