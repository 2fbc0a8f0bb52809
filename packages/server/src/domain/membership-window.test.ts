// Unit tests of the membership-window rule: audiences of a live fan-out, changes after leaving, withheld quotes.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Message } from "@parley/protocol";
import { audiencesOf, changedSinceLeaving, LEAVE_CLOCK_SLACK_MS, limitToWindow } from "./membership-window.js";

const text = (seq: number, extra: Partial<Message> = {}): Message => ({
  id: `m${seq}`,
  conversationId: "c",
  seq,
  senderId: "alice",
  clientId: `k${seq}`,
  kind: "text",
  body: `body ${seq}`,
  event: null,
  createdAt: 1000,
  attachments: [],
  ...extra,
});

const reply = (seq: number, quoted: number) =>
  text(seq, { replyTo: { seq: quoted, senderId: "alice", preview: `body ${quoted}` } });

const action = (seq: number, target: Message): Message => ({
  ...text(seq),
  kind: "action",
  body: null,
  action: { type: "reaction", target: target.seq, emoji: "👍", remove: false },
  updated: target,
});

describe("membership window", () => {
  it("groups live recipients by what they may see: one audience per combination of covered targets", () => {
    // A reaction (seq 20) to a reply (seq 10) quoting seq 5: joined ≤ 5 sees all, 6…10 the reply without its quote,
    // after 10 neither.
    const entry = action(20, reply(10, 5));
    const joined = new Map([
      ["old", 1],
      ["old2", 5],
      ["middle", 8],
      ["new", 15],
    ]);
    const audiences = audiencesOf(entry, ["old", "old2", "middle", "new", "unknown"], joined);
    const byUsers = new Map(audiences.map((a) => [a.userIds.join(","), a.entry]));
    assert.deepEqual([...byUsers.keys()].sort(), ["middle", "new,unknown", "old,old2"]);
    assert.equal(byUsers.get("old,old2"), entry, "the full entry, not a copy");
    assert.deepEqual(byUsers.get("middle")?.updated?.replyTo, { seq: 5, senderId: "", preview: null, withheld: true });
    assert.equal(byUsers.get("new,unknown")?.updated, undefined);
  });

  it("entries that show no other message go to everyone as they are", () => {
    const m = text(3);
    assert.deepEqual(audiencesOf(m, ["a", "b"], new Map([["a", 1]])), [{ userIds: ["a", "b"], entry: m }]);
  });

  it("a former member: changes from their leave time minus the clock slack count as after leaving", () => {
    const window = { joinedSeq: 1, leftSeq: 30, leftAt: 100_000 };
    assert.equal(changedSinceLeaving(window, { editedAt: 100_000 - LEAVE_CLOCK_SLACK_MS - 1 }), false);
    assert.equal(changedSinceLeaving(window, { editedAt: 100_000 - LEAVE_CLOCK_SLACK_MS }), true);
    assert.equal(changedSinceLeaving(window, { deletedAt: 200_000 }), true);
    assert.equal(changedSinceLeaving({ ...window, leftAt: null }, {}), true, "unknown leave time: withheld");
    assert.equal(changedSinceLeaving({ ...window, leftSeq: null, leftAt: null }, { editedAt: 1e12 }), false);
    const withheld = limitToWindow(text(4, { editedAt: 150_000, reactions: [] }), window, new Map());
    assert.deepEqual(
      { body: withheld.body, withheld: withheld.withheld, editedAt: withheld.editedAt, reactions: withheld.reactions },
      { body: null, withheld: true, editedAt: undefined, reactions: undefined },
    );
    // A quote a former member saw stays when the quoted message did not change, and is withheld when it did.
    const quoted = new Map([[2, text(2)]]);
    assert.equal(limitToWindow(reply(5, 2), window, quoted).replyTo?.preview, "body 2");
    const edited = new Map([[2, text(2, { editedAt: 150_000 })]]);
    assert.equal(limitToWindow(reply(5, 2), window, edited).replyTo?.withheld, true);
  });
});
