import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Message, OpArgs, SyncResult } from "@parley/protocol";
import { ReorderBuffer } from "./reorder-buffer.js";
import { SyncEngine } from "./sync.js";
import { FakeTimers } from "./testing/fake-timers.js";

function msg(conversationId: string, seq: number): Message {
  return {
    id: `${conversationId}${seq}`,
    conversationId,
    seq,
    senderId: "x",
    clientId: null,
    kind: "text",
    body: "",
    event: null,
    createdAt: 0,
    attachments: [],
  };
}

function conv(conversationId: string, lastSeq: number, messages: Message[]) {
  return { conversationId, membership: "member" as const, lastSeq, messages, members: [] };
}

function setup(pages: SyncResult[], listed: { id: string; lastSeq: number }[] = [], pageSize?: number) {
  const delivered: string[] = [];
  const buffer = new ReorderBuffer({
    deliver: (ms) => delivered.push(...ms.map((m) => `${m.conversationId}:${m.seq}`)),
    repair: async () => {},
    timers: new FakeTimers(),
  });
  const requests: { op: string; args: unknown }[] = [];
  const engine = new SyncEngine({
    buffer,
    ...(pageSize === undefined ? {} : { conversationPageSize: () => pageSize }),
    call: (async (op: string, args: OpArgs<"sync">) => {
      requests.push({ op, args: structuredClone(args) });
      if (op === "conversations.list") return { conversations: listed.map((c) => ({ ...c, members: [] })) };
      const page = pages.shift();
      if (!page) throw new Error("no more pages");
      return page;
    }) as never,
  });
  return { delivered, buffer, requests, engine };
}

describe("SyncEngine", () => {
  it("starts from conversations.list when there is no local state (history stays on demand)", async () => {
    const { engine, requests, buffer, delivered } = setup(
      [{ conversations: [], hasMore: false, next: null, serverTime: 100 }],
      [{ id: "a", lastSeq: 7 }],
    );
    await engine.run();
    assert.deepEqual(
      requests.map((r) => r.op),
      ["conversations.list", "sync"],
    );
    assert.deepEqual(requests[1]!.args, { cursors: { a: 7 } });
    assert.equal(buffer.cursor("a"), 7);
    assert.deepEqual(delivered, []);
    assert.equal(engine.receiptsSince, 100);
  });

  it("pages while hasMore with advancing cursors, then passes the first page's serverTime as receiptsSince", async () => {
    const { engine, requests, buffer, delivered } = setup([
      { conversations: [conv("a", 5, [msg("a", 3), msg("a", 4)])], hasMore: true, next: null, serverTime: 10 },
      { conversations: [conv("a", 5, [msg("a", 5)])], hasMore: false, next: null, serverTime: 11 },
      { conversations: [], hasMore: false, next: null, serverTime: 20 },
    ]);
    buffer.advance("a", 2);
    await engine.run();
    assert.deepEqual(delivered, ["a:3", "a:4", "a:5"]);
    assert.deepEqual(
      requests.map((r) => r.args),
      [{ cursors: { a: 2 } }, { cursors: { a: 4 } }],
    );
    // Receipts are asked for since the pass's first page: a page of a pass must not skip changes other pages did not see.
    await engine.run();
    assert.deepEqual(requests[2]!.args, { cursors: { a: 5 }, receiptsSince: 10 });
  });

  it("delivers conversations joined while away from their first visible seq", async () => {
    const { engine, buffer, delivered } = setup([
      {
        conversations: [conv("new", 42, [msg("new", 40), msg("new", 41), msg("new", 42)])],
        hasMore: false,
        next: null,
        serverTime: 1,
      },
    ]);
    buffer.advance("a", 1);
    await engine.run();
    assert.deepEqual(delivered, ["new:40", "new:41", "new:42"]);
    assert.equal(buffer.cursor("new"), 42);
  });

  it("runs once more when asked during a run, not once per call", async () => {
    const { engine, buffer, requests } = setup([
      { conversations: [], hasMore: false, next: null, serverTime: 1 },
      { conversations: [], hasMore: false, next: null, serverTime: 2 },
    ]);
    buffer.advance("a", 1);
    const runs = [engine.run(), engine.run(), engine.run()];
    await Promise.all(runs);
    assert.equal(requests.length, 2);
  });

  it("security review #02: walks the conversations page by page with at most a page of cursors per request", async () => {
    const ids = Array.from({ length: 7 }, (_, i) => `c${i}`);
    const { engine, requests, buffer, delivered } = setup(
      [
        { conversations: [conv("c1", 4, [msg("c1", 4)])], hasMore: false, next: "c2", serverTime: 50 },
        // A page cut by the message budget is asked again (same page) before moving on.
        { conversations: [conv("c4", 6, [msg("c4", 4)])], hasMore: true, next: "c5", serverTime: 51 },
        { conversations: [conv("c4", 6, [msg("c4", 5), msg("c4", 6)])], hasMore: false, next: "c5", serverTime: 52 },
        { conversations: [conv("new", 1, [msg("new", 1)])], hasMore: false, next: null, serverTime: 53 },
        { conversations: [], hasMore: false, next: null, serverTime: 60 },
      ],
      [],
      3,
    );
    for (const id of ids) buffer.advance(id, 3);
    await engine.run();
    assert.deepEqual(
      requests.map((r) => r.args),
      [
        { cursors: { c0: 3, c1: 3, c2: 3 }, through: "c2" },
        { cursors: { c3: 3, c4: 3, c5: 3 }, after: "c2", through: "c5" },
        { cursors: { c3: 3, c4: 4, c5: 3 }, after: "c2", through: "c5" },
        // The last page: no `through`, so the server lists what the client does not know yet.
        { cursors: { c6: 3 }, after: "c5" },
      ],
    );
    assert.deepEqual(delivered, ["c1:4", "c4:4", "c4:5", "c4:6", "new:1"]);
    // The next pass asks for receipts since the first page of this one, and starts again at the beginning.
    assert.equal(engine.receiptsSince, 50);
    await engine.run();
    assert.deepEqual(requests[4]!.args, { cursors: { c0: 3, c1: 4, c2: 3 }, through: "c2", receiptsSince: 50 });
  });
});
