import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Message } from "@parley/protocol";
import {
  conversationName,
  describeAction,
  describeEvent,
  formatBody,
  formatMessage,
  formatSearchHit,
  formatTicks,
  formatTime,
  table,
  visibleWidth,
} from "./format.js";

const names: Record<string, string> = { a: "Alice", b: "Bob", c: "Carol" };
const nameOf = (id: string) => names[id] ?? id;

describe("CLI formatting", () => {
  it("ticks: sent, delivered, read, and read by k of n in groups", () => {
    assert.equal(formatTicks({ delivered: 0, read: 0, total: 1 }), "✓");
    assert.equal(formatTicks({ delivered: 1, read: 0, total: 1 }), "✓✓");
    assert.equal(formatTicks({ delivered: 1, read: 1, total: 1 }), "✓✓ read");
    assert.equal(formatTicks({ delivered: 1, read: 0, total: 3 }), "✓ delivered to 1 of 3");
    assert.equal(formatTicks({ delivered: 3, read: 0, total: 3 }), "✓✓");
    assert.equal(formatTicks({ delivered: 3, read: 2, total: 3 }), "✓✓ read by 2 of 3");
    assert.equal(formatTicks({ delivered: 3, read: 3, total: 3 }), "✓✓ read");
  });

  it("messages show time, sender (you for own) and ticks on own text only", () => {
    const at = new Date(2030, 0, 2, 9, 5).getTime();
    const m: Message = {
      id: "1",
      conversationId: "c",
      seq: 1,
      senderId: "a",
      clientId: "k",
      kind: "text",
      body: "hi",
      event: null,
      createdAt: at,
      attachments: [],
    };
    assert.equal(formatMessage(m, { me: "b", nameOf, ticks: "✓", now: at }), "[09:05] Alice: hi");
    assert.equal(formatMessage(m, { me: "a", nameOf, ticks: "✓✓", now: at }), "[09:05] you: hi ✓✓");
    assert.equal(formatTime(at, at + 86_400_000), "Jan 2 09:05");
  });

  it("messages show their #seq, quote, edited marker, reactions and tombstones", () => {
    const at = new Date(2026, 0, 1, 9, 5).getTime();
    const base: Message = {
      id: "m",
      conversationId: "c",
      seq: 7,
      senderId: "a",
      clientId: "x",
      kind: "text",
      body: "ok",
      event: null,
      createdAt: at,
      attachments: [],
    };
    const reply: Message = {
      ...base,
      replyTo: { seq: 5, senderId: "b", preview: "shall we?" },
      editedAt: at,
      reactions: [
        { emoji: "👍", count: 2, userIds: ["b", "c"] },
        { emoji: "🎉", count: 1, userIds: ["c"] },
      ],
    };
    assert.equal(
      formatMessage(reply, { me: "b", nameOf, now: at, showSeq: true }),
      '#7 [09:05] Alice: (re #5 Bob: "shall we?") ok (edited) 👍 2  🎉 1',
    );
    assert.equal(
      formatBody({ ...base, replyTo: { seq: 5, senderId: "b", preview: null, deleted: true } }, nameOf),
      "(re #5 deleted message) ok",
    );
    assert.equal(formatBody({ ...base, body: null, deletedAt: at }, nameOf), "(this message was deleted)");
    assert.equal(formatBody({ ...base, body: null, hidden: true }, nameOf), "(you deleted this message)");
    // security review #3: what the reader's membership window withholds.
    assert.equal(
      formatBody({ ...base, replyTo: { seq: 5, senderId: "", preview: null, withheld: true } }, nameOf),
      "(re #5 message not available) ok",
    );
    assert.equal(formatBody({ ...base, body: null, withheld: true }, nameOf), "(changed after you left: not available)");
    const action: Message = {
      ...base,
      kind: "action",
      body: null,
      action: { type: "reaction", target: 5, emoji: "👍", remove: false },
    };
    assert.equal(describeAction(action, nameOf), "Alice reacted 👍 to #5");
    assert.equal(describeAction({ ...action, action: { type: "delete", target: 5 } }, nameOf), "Alice deleted #5");
  });

  it("system events read as sentences", () => {
    assert.equal(describeEvent({ type: "member.added", actorId: "a", userIds: ["b", "c"] }, nameOf), "Alice added Bob, Carol");
    assert.equal(
      describeEvent({ type: "conversation.created", actorId: "a", title: "T", userIds: [] }, nameOf),
      'Alice created the group "T"',
    );
    assert.equal(
      describeEvent({ type: "member.role", actorId: "a", userId: "b", role: "admin" }, nameOf),
      "Alice made Bob admin",
    );
  });

  it("names a direct conversation after the other member", () => {
    const members = [
      { userId: "a", role: "member" as const, joinedSeq: 1, deliveredSeq: 0, readSeq: 0 },
      { userId: "b", role: "member" as const, joinedSeq: 1, deliveredSeq: 0, readSeq: 0 },
    ];
    assert.equal(conversationName({ kind: "direct", title: null, members }, "a", nameOf), "Bob");
    assert.equal(conversationName({ kind: "group", title: "Team", members }, "a", nameOf), "Team");
  });

  it("prints a search hit with its highlights marked and control characters neutralized", () => {
    const at = new Date(2026, 0, 5, 9, 30).getTime();
    const message: Message = {
      id: "m",
      conversationId: "c",
      seq: 7,
      senderId: "b",
      clientId: "k",
      kind: "text",
      body: "deploy \x1b[2Jnow",
      event: null,
      createdAt: at,
      attachments: [],
    };
    const hit = { conversationId: "c", seq: 7, message, snippet: "deploy \x1b[2Jnow", highlights: [{ start: 0, end: 6 }] };
    assert.equal(formatSearchHit(hit, { me: "a", nameOf, where: "Team #7", now: at }), "[09:30] Team #7 Bob: *deploy*  [2Jnow");
    assert.equal(formatSearchHit(hit, { me: "b", nameOf, now: at, mark: (t) => `<${t}>` }), "[09:30] you: <deploy>  [2Jnow");
  });

  it("aligns tables and measures text without escapes", () => {
    assert.equal(
      table([
        ["ID", "NAME"],
        ["abc", "x"],
      ]),
      "ID   NAME\nabc  x",
    );
    assert.equal(visibleWidth("\x1b[1mbold\x1b[22m ✓✓"), 7);
  });
});
