// The conversation log over a real store: one batch mixing messages and membership changes reaches each user in seq
// order, and only the entries their membership window covers.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryBroker } from "../../adapters/memory/memory-broker.js";
import { SqliteStore } from "../../adapters/sqlite/sqlite-store.js";
import { createLogger } from "../../logger.js";
import { BestEffort } from "../../observability/best-effort.js";
import { Metrics } from "../../observability/metrics.js";
import { Tracing } from "../../observability/tracing.js";
import { type BusMessage, topics } from "../../ports/broker.js";
import { Delivery } from "../delivery.js";
import { MemberCache } from "../member-cache.js";
import { MessageView } from "../message-view.js";
import { ConversationLog } from "./conversation-log.js";
import { membershipDraft, textDraft } from "./entry-drafts.js";
import { FanOut } from "./fan-out.js";
import { forgetChangedMembers } from "./subscribers.js";

describe("ConversationLog", () => {
  it("fans a batch that mixes messages and membership changes out to the members whose window covers each entry", async () => {
    const store = SqliteStore.open(":memory:");
    const broker = new MemoryBroker();
    const received = new Map<string, string[]>();
    for (const user of ["owner", "alice", "bob"]) {
      await store.createUser({ id: user, username: user, displayName: user, passwordHash: "x", createdAt: 1 });
      received.set(user, []);
      await broker.subscribe(topics.user(user), (message) => {
        if (message.type !== "frame") return;
        const { data } = JSON.parse(message.frame) as { data: { seq: number; kind: string } };
        received.get(user)!.push(`${data.kind}:${data.seq}`);
      });
    }
    const { conversation } = await store.createGroup({
      id: "g",
      title: "G",
      ownerId: "owner",
      memberIds: ["alice"],
      createdAt: 1,
      messageId: "created",
    });
    const members = new MemberCache(store);
    await members.current(conversation.id); // cached before the batch: the log must drop it
    const fanOut = new FanOut(members, new Delivery(broker), new MessageView(store), Tracing.off);
    const failures = new BestEffort(createLogger({ logLevel: "silent" }), new Metrics(false));
    const log = new ConversationLog(store, [forgetChangedMembers(members), fanOut], failures);
    const text = (sender: string) => textDraft(sender, { conversationId: "g", clientId: `c-${Math.random()}`, body: "hi" }, []);

    // Submitted in one event-loop turn: one batch, one transaction.
    const outcomes = await Promise.all([
      log.submit(text("alice")),
      log.submit(membershipDraft("owner", "g", { type: "add", userIds: ["bob"], maxMembers: 10 })),
      log.submit(text("owner")),
      log.submit(membershipDraft("owner", "g", { type: "remove", userId: "alice" })),
      log.submit(text("owner")),
    ]);
    assert.deepEqual(
      outcomes.map((o) => o.ok && o.message.seq),
      [2, 3, 4, 5, 6],
    );
    assert.deepEqual(received.get("owner"), ["text:2", "system:3", "text:4", "system:5", "text:6"]);
    // Alice was a member until her removal (seq 5): she gets everything up to it, in order, and nothing after.
    assert.deepEqual(received.get("alice"), ["text:2", "system:3", "text:4", "system:5"]);
    // Bob joined at seq 3: nothing from before.
    assert.deepEqual(received.get("bob"), ["system:3", "text:4", "system:5", "text:6"]);
    await store.close();
  });

  it("answers writers once the batch's publishes are issued in order, not when the bus confirms them; drain waits for them", async () => {
    const store = SqliteStore.open(":memory:");
    for (const user of ["ann", "ben"]) {
      await store.createUser({ id: user, username: user, displayName: user, passwordHash: "x", createdAt: 1 });
    }
    await store.openDirect({ id: "d", userA: "ann", userB: "ben", messageId: "first", createdAt: 1 });
    // A bus that takes publishes in order and confirms (or refuses) them only when told to.
    const issued: number[] = [];
    const confirmations: { resolve: () => void; reject: (error: Error) => void }[] = [];
    const broker = new (class extends MemoryBroker {
      override publish(_topics: readonly string[], message: BusMessage): Promise<void> {
        if (message.type === "frame") issued.push((JSON.parse(message.frame) as { data: { seq: number } }).data.seq);
        return new Promise((resolve, reject) => confirmations.push({ resolve, reject }));
      }
    })();
    const metrics = new Metrics(false);
    const failures = new BestEffort(createLogger({ logLevel: "silent" }), metrics);
    const members = new MemberCache(store);
    const fanOut = new FanOut(members, new Delivery(broker), new MessageView(store), Tracing.off);
    const log = new ConversationLog(store, [forgetChangedMembers(members), fanOut], failures, metrics);
    const text = () => textDraft("ann", { conversationId: "d", clientId: `c-${Math.random()}`, body: "hi" }, []);

    const first = await log.submit(text());
    const second = await log.submit(text());
    assert.deepEqual([first.ok && first.message.seq, second.ok && second.message.seq], [2, 3]);
    assert.deepEqual(issued, [2, 3], "both published, in commit order, before any confirmation");
    assert.equal(confirmations.length, 2);

    let drained = false;
    const draining = log.drain().then(() => {
      drained = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(drained, false, "drain waits for unconfirmed publishes");
    confirmations[0]!.resolve();
    confirmations[1]!.reject(new Error("bus gone"));
    await draining;
    const text2 = await metrics.registry.getSingleMetricAsString("parley_messages_undelivered_total");
    assert.match(text2, /parley_messages_undelivered_total\{reason="fanout_failed"\} 1/, "the refused one is counted");
    await store.close();
  });
});
