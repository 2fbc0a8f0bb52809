import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Message } from "@parley/protocol";
import { type GapRepair, ReorderBuffer } from "./reorder-buffer.js";
import { FakeTimers } from "./testing/fake-timers.js";

function msg(seq: number, conversationId = "c1"): Message {
  return {
    id: `m${seq}`,
    conversationId,
    seq,
    senderId: "u",
    clientId: null,
    kind: "text",
    body: `#${seq}`,
    event: null,
    createdAt: seq,
    attachments: [],
  };
}

function setup(repair?: GapRepair) {
  const timers = new FakeTimers();
  const delivered: string[] = [];
  const repairs: [string, number, number][] = [];
  const buffer: ReorderBuffer = new ReorderBuffer({
    deliver: (ms) => delivered.push(...ms.map((m) => `${m.conversationId}:${m.seq}`)),
    repair: async (c, after, until) => {
      repairs.push([c, after, until]);
      await repair?.(c, after, until);
    },
    gapWaitMs: 200,
    timers,
  });
  return { timers, delivered, repairs, buffer };
}

describe("ReorderBuffer", () => {
  it("delivers in-order messages at once", () => {
    const { buffer, delivered } = setup();
    buffer.advance("c1", 4);
    for (const s of [5, 6, 7]) buffer.push(msg(s));
    assert.deepEqual(delivered, ["c1:5", "c1:6", "c1:7"]);
    assert.equal(buffer.cursor("c1"), 7);
  });

  it("drops duplicates, whether already delivered or already held", () => {
    const { buffer, delivered } = setup();
    assert.equal(buffer.push(msg(1)), true);
    assert.equal(buffer.push(msg(1)), false);
    assert.equal(buffer.push(msg(3)), true);
    assert.equal(buffer.push(msg(3)), false);
    buffer.push(msg(2));
    buffer.push(msg(2));
    buffer.push(msg(3));
    assert.deepEqual(delivered, ["c1:1", "c1:2", "c1:3"]);
  });

  it("holds early messages and releases them in order when the gap closes", () => {
    const { buffer, delivered, timers } = setup();
    buffer.push(msg(1));
    buffer.push(msg(4));
    buffer.push(msg(3));
    assert.deepEqual(delivered, ["c1:1"]);
    assert.equal(buffer.buffered("c1"), 2);
    buffer.push(msg(2));
    assert.deepEqual(delivered, ["c1:1", "c1:2", "c1:3", "c1:4"]);
    assert.equal(buffer.buffered(), 0);
    assert.equal(timers.pending, 0, "no gap timer left behind");
  });

  it("keeps conversations independent", () => {
    const { buffer, delivered } = setup();
    buffer.push(msg(2, "a"));
    buffer.push(msg(1, "b"));
    buffer.push(msg(1, "a"));
    assert.deepEqual(delivered, ["b:1", "a:1", "a:2"]);
  });

  it("requests a repair of exactly the missing range after a short wait", async () => {
    let b: ReorderBuffer | undefined;
    const { buffer, delivered, repairs, timers } = setup(async (_c, after, until) => {
      for (let s = after + 1; s <= until; s++) b!.push(msg(s));
    });
    b = buffer;
    buffer.advance("c1", 10);
    buffer.push(msg(14));
    buffer.push(msg(15));
    await timers.advance(199);
    assert.deepEqual(repairs, [], "waits before repairing: the missing ones may just be late");
    await timers.advance(1);
    assert.deepEqual(repairs, [["c1", 10, 13]]);
    assert.deepEqual(delivered, ["c1:11", "c1:12", "c1:13", "c1:14", "c1:15"]);
  });

  it("does not repair when the gap closes by itself in time", async () => {
    const { buffer, repairs, timers } = setup();
    buffer.push(msg(2));
    await timers.advance(100);
    buffer.push(msg(1));
    await timers.advance(1000);
    assert.deepEqual(repairs, []);
  });

  it("skips seqs the server does not return (not visible to this user)", async () => {
    const { buffer, delivered, timers } = setup(async () => {});
    buffer.push(msg(57));
    await timers.advance(200);
    assert.deepEqual(delivered, ["c1:57"]);
    assert.equal(buffer.cursor("c1"), 57);
  });

  it("retries a failed repair with growing delays and never skips on failure", async () => {
    let fail = true;
    let b: ReorderBuffer | undefined;
    const { buffer, delivered, repairs, timers } = setup(async (_c, after, until) => {
      if (fail) throw new Error("offline");
      for (let s = after + 1; s <= until; s++) b!.push(msg(s));
    });
    b = buffer;
    buffer.push(msg(3));
    await timers.advance(200);
    assert.equal(repairs.length, 1);
    await timers.advance(399);
    assert.equal(repairs.length, 1);
    await timers.advance(1);
    assert.equal(repairs.length, 2, "second attempt after 2× the wait");
    assert.deepEqual(delivered, []);
    fail = false;
    await timers.advance(800);
    assert.equal(repairs.length, 3);
    assert.deepEqual(delivered, ["c1:1", "c1:2", "c1:3"]);
  });

  it("advance() drops held messages it covers and releases the rest", () => {
    const { buffer, delivered } = setup();
    buffer.push(msg(3));
    buffer.push(msg(5));
    buffer.push(msg(6));
    buffer.advance("c1", 4);
    assert.deepEqual(delivered, ["c1:5", "c1:6"]);
    buffer.advance("c1", 2);
    assert.equal(buffer.cursor("c1"), 6, "cursors never move back");
  });

  it("pauses and resumes gap timers", async () => {
    const { buffer, repairs, timers } = setup(async () => {});
    buffer.push(msg(2));
    buffer.pauseTimers();
    assert.equal(timers.pending, 0);
    await timers.advance(1000);
    assert.deepEqual(repairs, []);
    buffer.resumeTimers();
    await timers.advance(200);
    assert.deepEqual(repairs, [["c1", 0, 1]]);
  });
});
