import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeTimers } from "./testing/fake-timers.js";
import { type TypingEvent, TypingNotifier, TypingTracker } from "./typing.js";

describe("TypingNotifier", () => {
  it("sends typing:true at most every interval, and false when told or when idle", async () => {
    const timers = new FakeTimers();
    const sent: string[] = [];
    const n = new TypingNotifier({ send: (c, t) => sent.push(`${c}:${t}`), intervalMs: 3000, idleMs: 5000, timers });
    n.typing("c1", true);
    await timers.advance(1000);
    n.typing("c1", true);
    await timers.advance(1999);
    n.typing("c1", true);
    assert.deepEqual(sent, ["c1:true"]);
    await timers.advance(1);
    n.typing("c1", true);
    assert.deepEqual(sent, ["c1:true", "c1:true"]);
    n.typing("c1", false);
    n.typing("c1", false);
    assert.deepEqual(sent, ["c1:true", "c1:true", "c1:false"]);
    n.typing("c2", true);
    await timers.advance(5000);
    assert.deepEqual(sent.slice(3), ["c2:true", "c2:false"]);
    assert.equal(timers.pending, 0);
  });
});

describe("TypingTracker", () => {
  it("reports changes only, and expires indicators that are not refreshed", async () => {
    const timers = new FakeTimers();
    const seen: TypingEvent[] = [];
    const t = new TypingTracker({ onChange: (e) => seen.push(e), timers, slackMs: 0 });
    t.apply({ conversationId: "c", userId: "bob", typing: true, expiresInMs: 6000 });
    await timers.advance(5000);
    t.apply({ conversationId: "c", userId: "bob", typing: true, expiresInMs: 6000 });
    assert.equal(seen.length, 1, "a refresh is not a change");
    assert.deepEqual(t.typingIn("c"), ["bob"]);
    await timers.advance(6000);
    assert.deepEqual(
      seen.map((e) => e.typing),
      [true, false],
    );
    assert.deepEqual(t.typingIn("c"), []);
    t.apply({ conversationId: "c", userId: "bob", typing: false, expiresInMs: 0 });
    assert.equal(seen.length, 2, "stopping twice is not a change");
  });
});
