import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Message } from "@parley/protocol";
import { applyHidden, applyUpdate, hasReacted, isShown, quoteOf } from "./message-state.js";

const text = (seq: number, body: string, extra: Partial<Omit<Message, "attachments">> = {}): Message => ({
  id: `m${seq}`,
  conversationId: "c",
  seq,
  senderId: seq % 2 ? "a" : "b",
  clientId: `k${seq}`,
  kind: "text",
  body,
  event: null,
  createdAt: seq,
  attachments: [],
  ...extra,
});

describe("message state", () => {
  const list = [text(1, "one"), text(2, "two", { replyTo: { seq: 1, senderId: "a", preview: "one" } }), text(3, "three")];

  it("replaces the updated message and refreshes the quotes of its replies", () => {
    const edited = applyUpdate(list, text(1, "uno", { editedAt: 9 }));
    assert.equal(edited[0]!.body, "uno");
    assert.equal(edited[1]!.replyTo?.preview, "uno");
    assert.equal(edited[2], list[2], "untouched entries are kept as they are");
    const deleted = applyUpdate(edited, text(1, "", { body: null, deletedAt: 10 }));
    assert.deepEqual(deleted[1]!.replyTo, { seq: 1, senderId: "a", preview: null, deleted: true });
    assert.equal(applyUpdate(list, text(99, "elsewhere")), list, "no change, same list");
  });

  it("keeps hidden messages hidden through later updates", () => {
    const hidden = applyHidden(list, 3);
    assert.deepEqual([hidden[2]!.body, hidden[2]!.hidden], [null, true]);
    const updated = applyUpdate(hidden, text(3, "three, edited", { reactions: [{ emoji: "👍", count: 1, userIds: ["b"] }] }));
    assert.deepEqual([updated[2]!.body, updated[2]!.hidden, updated[2]!.reactions], [null, true, undefined]);
    assert.equal(applyHidden(hidden, 3), hidden);
  });

  it("answers the small questions a UI asks", () => {
    assert.equal(isShown(text(1, "x")), true);
    assert.equal(isShown({ ...text(4, "x"), kind: "action", body: null, action: { type: "edit", target: 1 } }), false);
    const reacted = text(5, "x", { reactions: [{ emoji: "🎉", count: 2, userIds: ["a", "b"] }] });
    assert.equal(hasReacted(reacted, "🎉", "b"), true);
    assert.equal(hasReacted(reacted, "👍", "b"), false);
    assert.deepEqual(quoteOf(text(6, "y".repeat(300))).preview?.length, 200);
  });
});
