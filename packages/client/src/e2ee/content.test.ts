// The encrypted content of application messages (protocol §6.15): what a device accepts, and how actions resolve.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Message } from "@parley/protocol";
import { applyAction, type Content, messageOf, parseContent } from "./content.js";

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const entry = (seq: number, senderId: string, createdAt = 1000 + seq): Message => ({
  id: `m${seq}`,
  conversationId: "c",
  seq,
  senderId,
  clientId: `k${seq}`,
  kind: "text",
  body: "",
  event: null,
  createdAt,
  attachments: [],
  mls: { epoch: 1, deviceId: "d", data: "AA" },
});
const shown = (e: Message, c: Content) => messageOf(e, c, undefined);

describe("encrypted content", () => {
  it("accepts the four types of version 1 and refuses anything else", () => {
    for (const c of [
      { v: 1, type: "text", body: "hi" },
      { v: 1, type: "text", body: "re", replyTo: { seq: 1, senderId: "u", preview: null } },
      { v: 1, type: "edit", target: 3, body: "new" },
      { v: 1, type: "delete", target: 3 },
      { v: 1, type: "reaction", target: 3, emoji: "👍", remove: false },
    ]) {
      assert.deepEqual(parseContent(bytes(c)), c);
    }
    for (const bad of [
      "not json",
      { v: 2, type: "text", body: "x" },
      { v: 1, type: "poll", body: "x" },
      { v: 1, type: "text" },
      { v: 1, type: "edit", target: 0, body: "x" },
      { v: 1, type: "reaction", target: 1, emoji: "", remove: false },
      { v: 1, type: "text", body: "x", replyTo: { seq: 1, senderId: "u", preview: "p".repeat(201) } },
      { v: 1, type: "text", body: "x", files: [{ uploadId: "u", name: "n" }] },
    ]) {
      const input = typeof bad === "string" ? new TextEncoder().encode(bad) : bytes(bad);
      assert.throws(
        () => parseContent(input),
        (e: { code?: string }) => e.code === "bad_response",
        JSON.stringify(bad),
      );
    }
  });

  it("edits and deletes count only from the target's sender; reactions from anyone, toggled per user", () => {
    let target = shown(entry(1, "ann"), { v: 1, type: "text", body: "hello" });
    const byBob = shown(entry(2, "bob"), { v: 1, type: "edit", target: 1, body: "forged" });
    assert.equal(applyAction(target, byBob), undefined, "another user's edit is ignored");
    target = applyAction(target, shown(entry(3, "ann", 5000), { v: 1, type: "edit", target: 1, body: "hello!" }))!;
    assert.equal(target.body, "hello!");
    assert.equal(target.editedAt, 5000);
    target = applyAction(target, shown(entry(4, "bob"), { v: 1, type: "reaction", target: 1, emoji: "👍", remove: false }))!;
    target = applyAction(target, shown(entry(5, "cat"), { v: 1, type: "reaction", target: 1, emoji: "👍", remove: false }))!;
    assert.deepEqual(target.reactions, [{ emoji: "👍", count: 2, userIds: ["bob", "cat"] }]);
    target = applyAction(target, shown(entry(6, "bob"), { v: 1, type: "reaction", target: 1, emoji: "👍", remove: true }))!;
    target = applyAction(target, shown(entry(7, "cat"), { v: 1, type: "reaction", target: 1, emoji: "👍", remove: true }))!;
    assert.equal(target.reactions, undefined, "no reaction left");
    assert.equal(applyAction(target, shown(entry(8, "bob"), { v: 1, type: "delete", target: 1 })), undefined);
    const deleted = applyAction(target, shown(entry(9, "ann", 9000), { v: 1, type: "delete", target: 1 }))!;
    assert.equal(deleted.body, null);
    assert.equal(deleted.deletedAt, 9000);
    assert.equal(applyAction(deleted, shown(entry(10, "ann"), { v: 1, type: "edit", target: 1, body: "back" })), undefined);
  });

  it("a reply shows the device's own copy of the quoted message when it has one", () => {
    const quoted = { ...shown(entry(1, "ann"), { v: 1, type: "text", body: "now edited" }), editedAt: 2 };
    const reply: Content = { v: 1, type: "text", body: "yes", replyTo: { seq: 1, senderId: "ann", preview: "as sent" } };
    assert.equal(messageOf(entry(2, "bob"), reply, quoted).replyTo?.preview, "now edited");
    assert.equal(messageOf(entry(2, "bob"), reply, undefined).replyTo?.preview, "as sent");
  });
});
