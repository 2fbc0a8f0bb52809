import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { WebSocketLike } from "@parley/client";
import { networkAwareSockets } from "./network-aware-socket.js";

class FakeNative implements WebSocketLike {
  static made: FakeNative[] = [];
  readyState = 1;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  sent: string[] = [];
  closed: [number | undefined, string | undefined] | undefined;
  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {
    FakeNative.made.push(this);
  }
  send(data: string) {
    this.sent.push(data);
  }
  close(code?: number, reason?: string) {
    this.closed = [code, reason];
  }
}

const now = (fn: () => void) => fn();

describe("networkAwareSockets", () => {
  it("forwards to the native socket while online", () => {
    FakeNative.made = [];
    const sockets = networkAwareSockets(FakeNative, () => true, now);
    const ws = new sockets.WebSocket("ws://h/v1/ws", ["parley.v1"]);
    const got: unknown[] = [];
    ws.onmessage = (e) => got.push(e.data);
    const native = FakeNative.made[0]!;
    assert.deepEqual(native.protocols, ["parley.v1"]);
    native.onmessage?.({ data: "hi" });
    ws.send("x");
    assert.deepEqual(got, ["hi"]);
    assert.deepEqual(native.sent, ["x"]);
    assert.equal(sockets.size, 1);
  });

  it("drops live sockets with an abnormal close when the network goes away", () => {
    FakeNative.made = [];
    const sockets = networkAwareSockets(FakeNative, () => true, now);
    const ws = new sockets.WebSocket("ws://h/v1/ws");
    const closes: number[] = [];
    ws.onclose = (e) => closes.push(e.code);
    sockets.dropAll("offline");
    assert.deepEqual(closes, [1006]);
    assert.equal(ws.readyState, 3);
    assert.deepEqual(FakeNative.made[0]!.closed, [1000, "offline"]);
    // A late close from the native socket is not reported twice.
    FakeNative.made[0]!.onclose?.({ code: 1000, reason: "" });
    assert.deepEqual(closes, [1006]);
    assert.equal(sockets.size, 0);
    assert.throws(() => ws.send("x"));
  });

  it("does not try to connect while offline", () => {
    FakeNative.made = [];
    const later: (() => void)[] = [];
    const sockets = networkAwareSockets(
      FakeNative,
      () => false,
      (fn) => later.push(fn),
    );
    const ws = new sockets.WebSocket("ws://h/v1/ws");
    const closes: number[] = [];
    ws.onclose = (e) => closes.push(e.code);
    for (const fn of later) fn();
    assert.equal(FakeNative.made.length, 0);
    assert.deepEqual(closes, [1006]);
  });
});
