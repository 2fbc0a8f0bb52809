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
import { topics } from "../../ports/broker.js";
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
});
