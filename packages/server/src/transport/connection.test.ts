// The WebSocket session's outbox: frames of one event-loop turn are written corked (one socket write), in order, each
// its own WebSocket message; slow consumers are still cut off; a close sends what was queued before it.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { WebSocket } from "ws";
import { WebSocketCarrier } from "./connection.js";
import { Session } from "./session.js";

class FakeSocket {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  readonly log: string[] = [];
  readonly _socket = {
    cork: () => this.log.push("cork"),
    uncork: () => this.log.push("uncork"),
  };
  send(data: string | Buffer, options: { binary: boolean }): void {
    assert.equal(options.binary, false, "frames are text messages");
    this.log.push(`send ${data.toString()}`);
  }
  close(code: number): void {
    this.log.push(`close ${code}`);
    this.readyState = 2;
  }
  terminate(): void {}
}

const registry = { watch() {}, unwatch() {} };
const turn = () => new Promise((r) => setImmediate(r));

function open(maxBufferedBytes = 1_000_000) {
  const socket = new FakeSocket();
  const c = new Session("c1", "u1", "s1", new WebSocketCarrier(socket as unknown as WebSocket), maxBufferedBytes, registry);
  return { socket, c };
}

describe("WebSocket session outbox", () => {
  it("writes the frames of one turn corked, in order, as separate messages; a lone frame needs no cork", async () => {
    const { socket, c } = open();
    c.send('{"n":1}');
    c.send("ignored", Buffer.from('{"n":2}'));
    c.send('{"n":3}');
    assert.deepEqual(socket.log, [], "nothing is written before the turn ends");
    await turn();
    assert.deepEqual(socket.log, ["cork", 'send {"n":1}', 'send {"n":2}', 'send {"n":3}', "uncork"]);
    socket.log.length = 0;
    c.send('{"n":4}');
    await turn();
    assert.deepEqual(socket.log, ['send {"n":4}']);
  });

  it("closes a slow consumer with 4000 once the socket buffer and the outbox exceed the limit", async () => {
    const { socket, c } = open(100);
    socket.bufferedAmount = 60;
    c.send("x".repeat(30));
    c.send("y".repeat(30)); // 60 + 30 queued ≤ 100: accepted
    c.send("z".repeat(30)); // 60 + 60 queued > 100: refused, connection closed
    assert.equal(c.closed, true);
    assert.deepEqual(socket.log, ["cork", `send ${"x".repeat(30)}`, `send ${"y".repeat(30)}`, "uncork", "close 4000"]);
    c.send("late");
    await turn();
    assert.equal(socket.log.includes("send late"), false, "nothing is sent after close");
  });

  it("drops queued frames when the socket closed before the turn ended", async () => {
    const { socket, c } = open();
    c.send("a");
    socket.readyState = 3;
    await turn();
    assert.deepEqual(socket.log, []);
  });
});
