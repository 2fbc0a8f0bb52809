import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MessageAck } from "@parley/protocol";
import { ParleyError } from "./errors.js";
import { MemoryOutboxStore, Outbox, type OutboxEntry } from "./outbox.js";
import { FakeTimers, settle } from "./testing/fake-timers.js";

/** A transport whose calls the test answers one by one. */
function manualTransport() {
  const calls: { entry: OutboxEntry; resolve: (ack: MessageAck) => void; reject: (e: unknown) => void }[] = [];
  const transport = (entry: OutboxEntry) =>
    new Promise<MessageAck>((resolve, reject) => {
      calls.push({ entry, resolve, reject });
    });
  return { calls, transport };
}

function ack(entry: OutboxEntry, seq: number, duplicate = false): MessageAck {
  return { id: `m${seq}`, conversationId: entry.conversationId, seq, clientId: entry.clientId, createdAt: 1, duplicate };
}

let n = 0;
const ids = () => `id-${String(++n).padStart(4, "0")}`;

describe("Outbox", () => {
  it("queues while offline and sends in order once online", async () => {
    const { calls, transport } = manualTransport();
    const outbox = new Outbox({ transport, newClientId: ids });
    const p1 = outbox.enqueue("c1", "one");
    const p2 = outbox.enqueue("c1", "two");
    await settle();
    assert.equal(calls.length, 0);
    assert.equal(outbox.size, 2);
    outbox.setOnline(true);
    assert.deepEqual(
      calls.map((c) => c.entry.body),
      ["one", "two"],
    );
    calls[0]!.resolve(ack(calls[0]!.entry, 1));
    calls[1]!.resolve(ack(calls[1]!.entry, 2));
    assert.equal((await p1).seq, 1);
    assert.equal((await p2).seq, 2);
    assert.equal(outbox.size, 0);
  });

  it("resends with the same clientId after the connection dropped, and removes the entry on ack", async () => {
    const { calls, transport } = manualTransport();
    const store = new MemoryOutboxStore();
    const outbox = new Outbox({ transport, store, newClientId: ids });
    outbox.setOnline(true);
    const sent = outbox.enqueue("c1", "hello");
    await settle();
    assert.equal(calls.length, 1);
    const firstId = calls[0]!.entry.clientId;
    assert.equal((await store.load()).length, 1, "persisted before sending");

    outbox.setOnline(false);
    calls[0]!.reject(new ParleyError("connection_closed", "gone"));
    await settle();
    assert.equal(outbox.size, 1, "kept after a connection failure");
    assert.equal(calls.length, 1, "not retried while offline");

    outbox.setOnline(true);
    assert.equal(calls.length, 2);
    assert.equal(calls[1]!.entry.clientId, firstId, "same idempotency key");
    calls[1]!.resolve(ack(calls[1]!.entry, 7));
    assert.equal((await sent).seq, 7);
    assert.equal(outbox.size, 0);
    await settle();
    assert.equal((await store.load()).length, 0, "removed from the store");
  });

  it("treats a duplicate ack as success and ignores a second ack for the same entry", async () => {
    const { calls, transport } = manualTransport();
    const outbox = new Outbox({ transport, newClientId: ids });
    const acks: MessageAck[] = [];
    outbox.on("ack", ({ ack }) => acks.push(ack));
    outbox.setOnline(true);
    const sent = outbox.enqueue("c1", "x");
    await settle();
    // Reconnect while the first attempt is still unanswered: the flush must not double-send it.
    outbox.flush();
    assert.equal(calls.length, 1);
    calls[0]!.resolve(ack(calls[0]!.entry, 3, true));
    const result = await sent;
    assert.equal(result.duplicate, true);
    assert.equal(result.seq, 3);
    assert.equal(outbox.size, 0);
    assert.equal(acks.length, 1);
  });

  it("drops and rejects an entry the server refuses for good", async () => {
    const { calls, transport } = manualTransport();
    const outbox = new Outbox({ transport, newClientId: ids });
    const failures: string[] = [];
    outbox.on("failed", ({ error }) => failures.push(error.code));
    outbox.setOnline(true);
    const sent = outbox.enqueue("c1", "x");
    await settle();
    calls[0]!.reject(new ParleyError("not_member", "no"));
    await assert.rejects(sent, (e: unknown) => e instanceof ParleyError && e.code === "not_member");
    assert.equal(outbox.size, 0);
    assert.deepEqual(failures, ["not_member"]);
  });

  it("retries a rate-limited send after retryAfterMs with the same clientId", async () => {
    const timers = new FakeTimers();
    const { calls, transport } = manualTransport();
    const outbox = new Outbox({ transport, newClientId: ids, timers });
    outbox.setOnline(true);
    const sent = outbox.enqueue("c1", "x");
    await settle();
    calls[0]!.reject(new ParleyError("rate_limited", "slow down", { retryable: true, retryAfterMs: 5000 }));
    await timers.advance(4999);
    assert.equal(calls.length, 1);
    await timers.advance(1);
    assert.equal(calls.length, 2);
    assert.equal(calls[1]!.entry.clientId, calls[0]!.entry.clientId);
    calls[1]!.resolve(ack(calls[1]!.entry, 1));
    assert.equal((await sent).seq, 1);
  });

  it("restores persisted entries in send order and sends them when online", async () => {
    const store = new MemoryOutboxStore();
    await store.save({ clientId: "id-b", conversationId: "c1", body: "second", createdAt: 2 });
    await store.save({ clientId: "id-a", conversationId: "c1", body: "first", createdAt: 1 });
    const { calls, transport } = manualTransport();
    const outbox = new Outbox({ transport, store });
    await outbox.load();
    outbox.setOnline(true);
    assert.deepEqual(
      calls.map((c) => c.entry.body),
      ["first", "second"],
    );
    const acked = new Promise<string>((resolve) => outbox.on("ack", ({ entry }) => resolve(entry.clientId)));
    calls[0]!.resolve(ack(calls[0]!.entry, 1));
    assert.equal(await acked, "id-a");
  });

  it("uses time-ordered clientIds by default", async () => {
    const { calls, transport } = manualTransport();
    const outbox = new Outbox({ transport });
    outbox.setOnline(true);
    void outbox.enqueue("c1", "a");
    void outbox.enqueue("c1", "b");
    await settle();
    const [a, b] = calls.map((c) => c.entry.clientId);
    assert.ok(a! < b!);
  });

  it("whenEmpty resolves once everything is acknowledged; clear() rejects what is left", async () => {
    const { calls, transport } = manualTransport();
    const outbox = new Outbox({ transport, newClientId: ids });
    outbox.setOnline(true);
    const kept = outbox.enqueue("c1", "a");
    const empty = outbox.whenEmpty();
    await settle();
    outbox.clear(new ParleyError("not_authenticated", "signed out"));
    await assert.rejects(kept, (e: unknown) => e instanceof ParleyError && e.code === "not_authenticated");
    await empty;
    calls[0]!.resolve(ack(calls[0]!.entry, 1));
    await settle();
    assert.equal(outbox.size, 0);
  });
});
