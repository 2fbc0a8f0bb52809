import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { WebSocketConstructor } from "./connection.js";
import { FakeLongPollServer } from "./testing/fake-long-poll.js";
import { FakeTimers, settle } from "./testing/fake-timers.js";
import { fakeWebSocketFactory } from "./testing/fake-websocket.js";
import { SWITCH_REASON, TransportSelector, type TransportSelectorOptions } from "./transport-selector.js";

const URL_WS = "ws://parley.test/v1/ws";

function setup(options: Partial<TransportSelectorOptions> = {}) {
  const timers = new FakeTimers();
  const lp = new FakeLongPollServer();
  const { WebSocket, sockets } = fakeWebSocketFactory();
  const selector = new TransportSelector({
    baseUrl: "http://parley.test",
    WebSocket,
    fetch: lp.fetch,
    timers,
    retryWebSocketMs: 60_000,
    probeTimeoutMs: 5000,
    ...options,
  });
  const open = () => new selector.WebSocket(URL_WS, ["parley.v1"]);
  return { timers, lp, sockets, selector, open };
}

describe("TransportSelector", () => {
  it("auto: WebSocket first; long polling after two attempts that never got a frame", async () => {
    const { selector, sockets, lp, open } = setup();
    for (let i = 0; i < 2; i++) {
      const s = open();
      assert.equal(selector.current, "websocket");
      sockets[i]!.serverClose(1006);
      assert.equal(s.readyState, 3);
    }
    open();
    assert.equal(selector.current, "long-poll");
    assert.equal(sockets.length, 2, "no third WebSocket");
    await settle();
    assert.equal(lp.requests.length, 0, "nothing is sent before hello");
  });

  it("a WebSocket that delivered a frame resets the count; a deliberate close (1000) is no failure", () => {
    const { selector, sockets, open } = setup();
    open();
    sockets[0]!.serverClose(1006);
    const second = open();
    second.onmessage = () => {};
    sockets[1]!.open();
    sockets[1]!.receive({ type: "result", rid: "h", result: {} });
    sockets[1]!.serverClose(1001);
    open();
    sockets[2]!.serverClose(1006);
    const fourth = open();
    fourth.close(1000, "client closed");
    open();
    assert.equal(selector.current, "websocket");
  });

  it("a WebSocket that opens but never answers (hello timeout, 4002) counts as failed", () => {
    const { selector, sockets, open } = setup();
    for (let i = 0; i < 2; i++) {
      const s = open();
      sockets[i]!.open();
      s.close(4002, "no welcome in time");
    }
    open();
    assert.equal(selector.current, "long-poll");
  });

  it("uses long polling at once when constructing a WebSocket throws, and never in websocket mode", () => {
    const Throwing = function Throwing() {
      throw new Error("blocked");
    } as unknown as WebSocketConstructor;
    const auto = setup({ WebSocket: Throwing });
    auto.open();
    assert.equal(auto.selector.current, "long-poll");
    const strict = setup({ WebSocket: Throwing, mode: "websocket" });
    assert.throws(() => strict.open(), /blocked/);
  });

  it("modes: long-poll never opens a WebSocket; without a WebSocket, auto long-polls; websocket mode is unusable without one", () => {
    const lpOnly = setup({ mode: "long-poll" });
    lpOnly.open();
    assert.deepEqual([lpOnly.selector.current, lpOnly.sockets.length], ["long-poll", 0]);
    const none = setup({ WebSocket: undefined });
    none.open();
    assert.equal(none.selector.current, "long-poll");
    assert.equal(setup({ WebSocket: undefined, mode: "websocket" }).selector.usable, false);
    assert.equal(none.selector.usable, true);
  });

  it("when long polling cannot reach the server either, the next attempt tries a WebSocket again", async () => {
    const { selector, sockets, open, timers, lp } = setup();
    open();
    sockets[0]!.serverClose(1006);
    open();
    sockets[1]!.serverClose(1006);
    const polling = open();
    lp.offline = true;
    await timers.advance(0);
    polling.send(JSON.stringify({ rid: "h", op: "hello", args: { versions: [1] } }));
    await settle();
    open();
    assert.equal(selector.current, "websocket");
  });

  it("probes WebSockets while long polling: a failed probe retries later, a working one hands over (1012)", async () => {
    // (Probes well inside the fake's poll hold, which never answers.)
    const { selector, sockets, open, timers, lp } = setup({ retryWebSocketMs: 10_000 });
    open();
    sockets[0]!.serverClose(1006);
    open();
    sockets[1]!.serverClose(1006);
    const polling = open();
    const closes: { code: number; reason: string }[] = [];
    polling.onclose = (e) => closes.push(e);
    polling.onmessage = () => {};
    await timers.advance(0);
    polling.send(JSON.stringify({ rid: "h", op: "hello", args: { versions: [1] } }));
    await settle();
    assert.equal(selector.current, "long-poll");
    // First probe: the WebSocket opens but closes before answering.
    await timers.advance(10_000);
    assert.equal(sockets.length, 3);
    assert.equal(sockets[2]!.url, URL_WS);
    sockets[2]!.open();
    assert.deepEqual(sockets[2]!.sent, [{}], "the probe is a frame no server can take for a request");
    sockets[2]!.serverClose(1006);
    assert.equal(closes.length, 0, "still long polling");
    // Second probe answers: the long-poll connection ends with 1012 so that the reconnect takes the WebSocket.
    await timers.advance(10_000);
    assert.equal(sockets.length, 4);
    sockets[3]!.open();
    sockets[3]!.receive({ type: "error", rid: null, error: { code: "invalid_frame", message: "", retryable: false } });
    assert.deepEqual(closes, [{ code: 1012, reason: SWITCH_REASON }]);
    assert.equal(sockets[3]!.closedWith?.code, 1000, "the probe itself is closed");
    await settle();
    assert.equal(lp.of("close").length, 1, "the long-poll session is ended on the server");
    open();
    assert.equal(selector.current, "websocket");
  });

  it("a WebSocket closed 'normally' (1000) before any frame reaches the connection as 1006, not as 'stop'", () => {
    const { sockets, open } = setup();
    const s = open();
    const closes: number[] = [];
    s.onclose = (e) => closes.push(e.code);
    sockets[0]!.open();
    sockets[0]!.serverClose(1000);
    assert.deepEqual(closes, [1006]);
  });

  it("failures while the browser reports itself offline do not count towards falling back", () => {
    const { selector, sockets, open } = setup();
    const nav = Object.getOwnPropertyDescriptor(globalThis, "navigator");
    Object.defineProperty(globalThis, "navigator", { value: { onLine: false }, configurable: true });
    try {
      for (let i = 0; i < 4; i++) {
        open();
        sockets[i]!.serverClose(1006);
      }
    } finally {
      if (nav) Object.defineProperty(globalThis, "navigator", nav);
      else delete (globalThis as { navigator?: unknown }).navigator;
    }
    open();
    assert.equal(selector.current, "websocket");
  });

  it("dispose() stops probing", async () => {
    const { selector, sockets, open, timers } = setup({ WebSocket: undefined });
    const polling = open();
    polling.onmessage = () => {};
    await timers.advance(0);
    polling.send(JSON.stringify({ rid: "h", op: "hello", args: { versions: [1] } }));
    await settle();
    selector.dispose();
    await timers.advance(120_000);
    assert.equal(sockets.length, 0);
  });
});
