// The retention sweeper over fake ports: it steps until the store has nothing due, deletes the files the expired
// entries shared with the sweep's clock, tells the members, and a failed sweep is logged and counted, never dropped.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BestEffort } from "../observability/best-effort.js";
import { Metrics } from "../observability/metrics.js";
import type { ExpiredEntries, RetentionPolicy, RetentionStore } from "../ports/store.js";
import { RetentionSweeper } from "./retention-sweeper.js";

function expired(conversationId: string, through: number, uploadIds: string[] = []): ExpiredEntries {
  return { conversationId, expiredThrough: through, deleted: through, uploadIds };
}

function setup(steps: (ExpiredEntries[] | Error)[]) {
  const metrics = new Metrics(false);
  const errors: unknown[] = [];
  const log = { error: (fields: unknown) => errors.push(fields), warn: () => {} };
  const policies: RetentionPolicy[] = [];
  const store: RetentionStore = {
    async expireEntries(policy) {
      policies.push(policy);
      const step = steps.shift() ?? [];
      if (step instanceof Error) throw step;
      return step;
    },
  };
  const forgotten: { ids: readonly string[]; now: number }[] = [];
  const events: unknown[] = [];
  const sweeper = new RetentionSweeper(
    store,
    { maxMessageAge: async () => 7200 },
    {
      forgetUploads: async (ids, now) => {
        forgotten.push({ ids, now });
        return { uploads: ids.length, blobs: 0 };
      },
    },
    { get: () => ["U_a", "U_b"] },
    {
      toUsers: async (userIds, event, data) => {
        events.push({ userIds: [...userIds], event, data });
      },
      framesToConversation: async () => assert.fail("no channel here"),
    },
    { metrics, failures: new BestEffort(log, metrics), log },
  );
  return { sweeper, metrics, errors, policies, forgotten, events };
}

describe("RetentionSweeper", () => {
  it("steps until a step returns fewer conversations than asked, with the sweep's clock and the server's maximum", async () => {
    const full = Array.from({ length: 100 }, (_, i) => expired(`C${i}`, 1));
    const t = setup([full, [expired("C_last", 3, ["up1", "up2"])], []]);
    const result = await t.sweeper.sweep(5_000_000);
    assert.deepEqual(result, { entries: 103, conversations: 101, uploads: 2, devices: 0 });
    assert.equal(t.policies.length, 2, "the short second step ends the sweep");
    assert.deepEqual(
      t.policies.map((p) => [p.now, p.serverMaxAgeSeconds]),
      [
        [5_000_000, 7200],
        [5_000_000, 7200],
      ],
    );
    assert.deepEqual(t.forgotten, [{ ids: ["up1", "up2"], now: 5_000_000 }]);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(t.events.at(-1), {
      userIds: ["U_a", "U_b"],
      event: "messages.expired",
      data: { conversationId: "C_last", expiredThrough: 3 },
    });
    const counted = (await t.metrics.retentionSwept.get()).values;
    assert.equal(counted.find((v) => v.labels.kind === "entry")?.value, 103);
    assert.equal(counted.find((v) => v.labels.kind === "upload")?.value, 2);
  });

  it("logs and counts a failed sweep and tries again at the next interval; stopping waits for a sweep under way", async () => {
    const t = setup([new Error("database on fire"), [expired("C1", 2)]]);
    const stop = t.sweeper.start(5);
    const deadline = Date.now() + 2000;
    while (t.policies.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    await stop();
    assert.ok(t.policies.length >= 2, "the sweep after the failure ran");
    assert.equal(t.errors.length, 1);
    assert.match(String((t.errors[0] as { err: Error }).err.message), /database on fire/);
    assert.equal((await t.metrics.retentionSweepFailures.get()).values[0]?.value, 1);
    const calls = t.policies.length;
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(t.policies.length, calls, "no sweep after stop");
  });
});
