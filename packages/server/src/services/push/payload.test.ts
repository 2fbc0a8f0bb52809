import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildPayload, conversationTopic, PREVIEW_CHARS } from "./payload.js";
import { retryDelay } from "./push-notifier.js";

const direct = { id: "C1", kind: "direct" as const, title: null };
const group = { id: "G1", kind: "group" as const, title: "Team" };
const base = { senders: ["Ann"], lastBody: "hello", count: 1, seq: 9, previews: false };

describe("push payload", () => {
  it("without previews names the sender only", () => {
    assert.deepEqual(buildPayload({ ...base, conversation: direct }), {
      type: "message",
      conversationId: "C1",
      title: "Ann",
      body: "New message from Ann",
      count: 1,
      seq: 9,
      url: "/c/C1",
    });
    assert.equal(buildPayload({ ...base, conversation: direct, count: 3 }).body, "3 new messages from Ann");
    const many = buildPayload({ ...base, conversation: group, senders: ["Ann", "Bob"], count: 4 });
    assert.equal(many.title, "Team");
    assert.equal(many.body, "4 new messages");
  });

  it("an encrypted conversation's never carries a preview (the server has no text) and says it is encrypted", () => {
    const secret = { ...direct, encrypted: true };
    assert.deepEqual(buildPayload({ ...base, conversation: secret, previews: true, lastBody: "" }), {
      type: "message",
      conversationId: "C1",
      title: "Ann",
      body: "New message from Ann",
      count: 1,
      seq: 9,
      url: "/c/C1",
      encrypted: true,
    });
    const team = buildPayload({ ...base, conversation: { ...group, encrypted: true }, previews: true, count: 2 });
    assert.equal(team.body, "2 new messages from Ann");
    assert.equal(buildPayload({ ...base, conversation: direct, previews: true }).encrypted, undefined);
  });

  it("with previews carries the text, collapsed and cut, prefixed by the sender in groups", () => {
    assert.equal(buildPayload({ ...base, conversation: direct, previews: true, lastBody: "a\n\n b" }).body, "a b");
    assert.equal(buildPayload({ ...base, conversation: group, previews: true }).body, "Ann: hello");
    const long = buildPayload({ ...base, conversation: direct, previews: true, lastBody: "😀".repeat(500) }).body;
    assert.equal([...long].length, PREVIEW_CHARS);
    assert.ok(long.endsWith("…"));
    assert.ok(!/[\uD800-\uDBFF]$/.test(long.slice(0, -1)), "no broken surrogate pair");
  });

  it("being added to a group (and no message since) says who added the user", () => {
    assert.deepEqual(buildPayload({ ...base, conversation: group, count: 0, addedBy: "Ann" }), {
      type: "added",
      conversationId: "G1",
      title: "Team",
      body: "Ann added you",
      count: 0,
      seq: 9,
      url: "/c/G1",
    });
    assert.equal(buildPayload({ ...base, conversation: group, count: 2, addedBy: "Ann" }).type, "message");
  });

  it("the topic is a per-conversation id of at most 32 base64url characters", () => {
    const t = conversationTopic("C1");
    assert.match(t, /^[A-Za-z0-9_-]{1,32}$/);
    assert.equal(t, conversationTopic("C1"));
    assert.notEqual(t, conversationTopic("C2"));
  });
});

describe("push retry delay", () => {
  it("doubles per attempt with ±50% jitter, honours Retry-After, and is capped", () => {
    assert.equal(
      retryDelay(1, 1000, undefined, () => 0.5),
      1000,
    );
    assert.equal(
      retryDelay(3, 1000, undefined, () => 0.5),
      4000,
    );
    assert.equal(
      retryDelay(3, 1000, undefined, () => 0),
      2000,
    );
    assert.equal(
      retryDelay(3, 1000, undefined, () => 0.999),
      5996,
    );
    assert.equal(retryDelay(2, 1000, 30_000), 30_000);
    assert.equal(
      retryDelay(20, 1000, undefined, () => 0.5),
      600_000,
    );
    assert.equal(retryDelay(1, 1000, 86_400_000), 600_000);
  });
});
