import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Message } from "@parley/client";
import { buildTimeline, type TimelineItem, type TimelineOptions } from "./timeline.js";

const T0 = Date.parse("2025-03-10T10:00:00Z");
const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const dayOf = (ts: number) => new Date(ts).toISOString().slice(0, 10);
const base: TimelineOptions = { me: "ann", unreadAfter: null, dayOf };

let nextSeq = 1;
function text(senderId: string, at: number, body = `m${nextSeq}`): Message {
  const seq = nextSeq++;
  return {
    id: `M${seq}`,
    conversationId: "C",
    seq,
    senderId,
    clientId: `cid-${seq}`,
    kind: "text",
    body,
    event: null,
    createdAt: at,
    attachments: [],
  };
}

function shape(items: TimelineItem[]): string[] {
  return items.map((i) => {
    if (i.type === "group") return `${i.own ? "own" : i.senderId}[${i.entries.map((e) => e.body).join(",")}]`;
    if (i.type === "unread") return `unread(${i.count})`;
    if (i.type === "system") return "system";
    return `day ${dayOf(i.at)}`;
  });
}

describe("buildTimeline", () => {
  it("skips action entries and keeps tombstones in their runs, with the stored message attached", () => {
    nextSeq = 1;
    const a = text("bob", T0, "a");
    const gone = { ...text("bob", T0 + MIN, ""), body: null, deletedAt: T0 + 3 * MIN };
    const action: Message = {
      ...text("bob", T0 + 2 * MIN),
      kind: "action",
      body: null,
      action: { type: "delete", target: gone.seq },
    };
    const items = buildTimeline(
      [a, gone, action],
      [{ clientId: "p1", body: "re", createdAt: T0 + 4 * MIN, replyTo: a.seq }],
      base,
    );
    assert.deepEqual(shape(items), ["day 2025-03-10", "bob[a,]", "own[re]"]);
    const bobRun = items[1] as Extract<TimelineItem, { type: "group" }>;
    assert.equal(bobRun.entries[1]!.message?.deletedAt, gone.deletedAt);
    const own = items[2] as Extract<TimelineItem, { type: "group" }>;
    assert.equal(own.entries[0]!.replyTo, a.seq);
  });

  it("groups consecutive messages by sender and splits runs by day and by a pause", () => {
    nextSeq = 1;
    const messages = [
      text("bob", T0, "a"),
      text("bob", T0 + MIN, "b"),
      text("ann", T0 + 2 * MIN, "c"),
      text("ann", T0 + 20 * MIN, "d"),
      text("ann", T0 + DAY, "e"),
    ];
    assert.deepEqual(shape(buildTimeline(messages, [], base)), [
      "day 2025-03-10",
      "bob[a,b]",
      "own[c]",
      "own[d]",
      "day 2025-03-11",
      "own[e]",
    ]);
  });

  it("puts system entries on their own line and restarts the run after them", () => {
    nextSeq = 1;
    const created: Message = {
      ...text("bob", T0),
      kind: "system",
      body: null,
      clientId: null,
      event: { type: "member.added", actorId: "bob", userIds: ["cat"] },
    };
    const messages = [text("bob", T0, "a"), created, text("bob", T0 + MIN, "b")];
    assert.deepEqual(shape(buildTimeline(messages, [], base)), ["day 2025-03-10", "bob[a]", "system", "bob[b]"]);
  });

  it("places the unread marker before the first new message from someone else, with the count", () => {
    nextSeq = 1;
    const messages = [
      text("bob", T0, "a"),
      text("ann", T0 + MIN, "b"),
      text("ann", T0 + 2 * MIN, "c"),
      text("bob", T0 + 3 * MIN, "d"),
      text("bob", T0 + 4 * MIN, "e"),
    ];
    // Read up to seq 1; own messages (2, 3) are never unread.
    assert.deepEqual(shape(buildTimeline(messages, [], { ...base, unreadAfter: 1 })), [
      "day 2025-03-10",
      "bob[a]",
      "own[b,c]",
      "unread(2)",
      "bob[d,e]",
    ]);
    assert.equal(
      buildTimeline(messages, [], { ...base, unreadAfter: 5 }).some((i) => i.type === "unread"),
      false,
    );
  });

  it("appends pending and failed sends as own messages with their state", () => {
    nextSeq = 1;
    const messages = [text("ann", T0, "a")];
    const items = buildTimeline(
      messages,
      [
        { clientId: "p1", body: "b", createdAt: T0 + MIN },
        { clientId: "p2", body: "c", createdAt: T0 + 2 * MIN, error: "Too large" },
      ],
      base,
    );
    assert.deepEqual(shape(items), ["day 2025-03-10", "own[a,b,c]"]);
    const group = items[1];
    assert.ok(group?.type === "group");
    assert.deepEqual(
      group.entries.map((e) => [e.status, e.seq]),
      [
        ["stored", 1],
        ["pending", null],
        ["failed", null],
      ],
    );
  });

  it("keys an own message by clientId so that pending and stored render as the same bubble", () => {
    nextSeq = 1;
    const pending = buildTimeline([], [{ clientId: "cid-1", body: "hi", createdAt: T0 }], base);
    const stored = buildTimeline([text("ann", T0, "hi")], [], base);
    const keyOf = (items: TimelineItem[]) => (items[1]?.type === "group" ? items[1].entries[0]?.key : undefined);
    assert.equal(keyOf(pending), keyOf(stored));
  });
});
