// The slow-consumer rule is one rule for every transport: the same frames of multi-byte characters close a session at
// the same UTF-8 byte budget over WebSocket and over long polling.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { WebSocket } from "ws";
import { WebSocketCarrier } from "./connection.js";
import { LongPollCarrier } from "./long-poll.js";
import { type Carrier, Session } from "./session.js";

/** A socket that never drains: everything written stays buffered, counted in bytes as ws counts it. */
class StalledSocket {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  closedWith: number | undefined;
  send(data: string | Buffer): void {
    this.bufferedAmount += Buffer.byteLength(data);
  }
  close(code: number): void {
    this.closedWith = code;
    this.readyState = 2;
  }
  terminate(): void {}
}

const registry = { watch() {}, unwatch() {} };
const turn = () => new Promise((r) => setImmediate(r));
const LIMIT = 100;
/** 41 UTF-16 code units, 71 UTF-8 bytes: two of them exceed the limit in bytes but not in code units. */
const frame = JSON.stringify({ body: "é".repeat(30) });

const carriers: Record<string, () => { carrier: Carrier; closedWith: () => number | undefined }> = {
  WebSocket: () => {
    const socket = new StalledSocket();
    return { carrier: new WebSocketCarrier(socket as unknown as WebSocket), closedWith: () => socket.closedWith };
  },
  "long polling": () => {
    let closedWith: number | undefined;
    const config = { maxBufferedBytes: LIMIT, maxFrameBytes: 1 << 20, longPollHoldMs: 1000, longPollExpiryMs: 60_000 };
    const carrier = new LongPollCarrier(
      Buffer.alloc(32),
      config,
      () => {},
      () => {
        closedWith = 4000;
      },
    );
    return {
      carrier,
      closedWith: () => {
        carrier.dispose();
        return closedWith;
      },
    };
  },
};

describe("Session slow-consumer rule", () => {
  for (const [name, open] of Object.entries(carriers)) {
    it(`counts UTF-8 bytes, not string length, over ${name}: in the same turn and across turns`, async () => {
      assert.ok(Buffer.byteLength(frame) > 50 && frame.length <= 50, "the frame is over half the limit only in bytes");
      const { carrier, closedWith } = open();
      const s = new Session("c1", "u1", "s1", carrier, LIMIT, registry);
      s.send(frame);
      s.send(frame); // 1 frame (71 bytes) queued ≤ 100: accepted
      s.send(frame); // 2 frames (142 bytes) queued > 100: the client is a slow consumer
      assert.deepEqual([s.closed, s.closeReason], [true, "slow_consumer"]);
      assert.equal(closedWith(), 4000);

      const { carrier: next, closedWith: nextClosedWith } = open();
      const later = new Session("c2", "u1", "s1", next, LIMIT, registry);
      later.send(frame);
      await turn();
      later.send(frame);
      await turn();
      assert.equal(later.closed, false, "71 bytes the client has not taken are within the limit");
      later.send(frame);
      assert.equal(later.closeReason, "slow_consumer", "142 bytes the client has not taken exceed it");
      assert.equal(nextClosedWith(), 4000);
    });
  }
});
