import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Welcome } from "@parley/protocol";
import { Backoff } from "./backoff.js";
import { Connection, type ConnectionOptions, type ConnectionState, closeActionFor } from "./connection.js";
import { ParleyError } from "./errors.js";
import { TEST_LIMITS } from "./testing/fake-server.js";
import { FakeTimers, settle } from "./testing/fake-timers.js";
import { fakeWebSocketFactory } from "./testing/fake-websocket.js";

const WELCOME: Welcome = {
  version: 1,
  user: { id: "u1", username: "ann", displayName: "Ann", createdAt: 0 },
  sessionId: "s1",
  connectionId: "c1",
  serverTime: 0,
  limits: { ...TEST_LIMITS, heartbeatIntervalMs: 10_000 },
};

function setup(overrides: Partial<ConnectionOptions> = {}) {
  const timers = new FakeTimers();
  const { WebSocket, sockets } = fakeWebSocketFactory();
  let token = "t1";
  const reauth: (string | undefined)[] = [];
  const states: ConnectionState[] = [];
  const connection = new Connection({
    url: "ws://test/v1/ws",
    WebSocket,
    getToken: async () => token,
    reauthenticate: async (rejected) => {
      reauth.push(rejected);
      token = "t2";
    },
    backoff: new Backoff({ initialMs: 1000, maxMs: 8000, random: () => 0.5 }),
    requestTimeoutMs: 5000,
    stableAfterMs: 3000,
    timers,
    ...overrides,
  });
  connection.on("state", (s) => states.push(s));
  const socket = () => sockets[sockets.length - 1]!;
  /** Opens the newest socket and answers its hello. */
  const handshake = async () => {
    await settle();
    socket().open();
    const hello = socket().sent[0]!;
    socket().reply(hello.rid, WELCOME);
    await settle();
  };
  return { timers, sockets, socket, connection, states, reauth, handshake };
}

describe("closeActionFor", () => {
  it("follows the registry, then the ranges", () => {
    const cases: [number, string][] = [
      [1000, "stop"],
      [1001, "reconnect"],
      [1006, "reconnect"],
      [1011, "reconnect"],
      [4000, "reconnect"],
      [4001, "reconnect"],
      [4050, "reconnect"],
      [4100, "reauthenticate"],
      [4101, "reauthenticate"],
      [4102, "reauthenticate"],
      [4150, "reauthenticate"],
      [4200, "stop"],
      [4201, "stop"],
      [4299, "stop"],
      [4300, "reconnect"],
    ];
    for (const [code, action] of cases) assert.equal(closeActionFor(code), action, `code ${code}`);
  });
});

describe("Connection", () => {
  it("offers the v1 subprotocol and sends hello (versions + token) as the first frame", async () => {
    const { connection, socket, handshake, states } = setup();
    const welcomes: Welcome[] = [];
    connection.on("welcome", (w) => welcomes.push(w));
    connection.start();
    await settle();
    assert.deepEqual(socket().protocols, ["parley.v1"]);
    assert.equal(socket().url, "ws://test/v1/ws");
    await handshake();
    const first = socket().sent[0]!;
    assert.equal(first.op, "hello");
    assert.deepEqual(first.args, { versions: [1], token: "t1" });
    assert.equal(typeof first.rid, "string");
    assert.equal(connection.state, "connected");
    assert.deepEqual(states, ["connecting", "connected"]);
    assert.deepEqual(welcomes, [WELCOME]);
  });

  it("refuses requests before the welcome without sending anything", async () => {
    const { connection, socket } = setup();
    connection.start();
    await settle();
    socket().open();
    await assert.rejects(
      connection.request("me.get", {}),
      (e: unknown) => e instanceof ParleyError && e.code === "not_connected",
    );
    assert.deepEqual(
      socket().sent.map((f) => f.op),
      ["hello"],
    );
  });

  it("matches answers to requests by rid, whatever their order", async () => {
    const { connection, socket, handshake } = setup();
    connection.start();
    await handshake();
    const a = connection.request("me.get", {});
    const b = connection.request("ping", {});
    const c = connection.request("users.get", { username: "zed" });
    const [fa, fb, fc] = socket().sent.slice(1);
    assert.equal(new Set([fa!.rid, fb!.rid, fc!.rid]).size, 3, "rids are unique");
    socket().reply(fb!.rid, { serverTime: 42 });
    socket().fail(fc!.rid, "not_found", "no such user", { details: { field: "username" } });
    socket().reply(fa!.rid, WELCOME.user);
    assert.deepEqual(await a, WELCOME.user);
    assert.deepEqual(await b, { serverTime: 42 });
    await assert.rejects(
      c,
      (e: unknown) => e instanceof ParleyError && e.code === "not_found" && e.details?.field === "username",
    );
  });

  it("times a request out and ignores its late answer", async () => {
    const { connection, socket, handshake, timers } = setup();
    connection.start();
    await handshake();
    const errors: ParleyError[] = [];
    connection.on("error", (e) => errors.push(e));
    const pending = connection.request("me.get", {});
    const rejected = assert.rejects(pending, (e: unknown) => e instanceof ParleyError && e.code === "timeout" && e.retryable);
    await timers.advance(4999);
    socket().reply("nope", {});
    await timers.advance(1);
    await rejected;
    socket().reply(socket().last("me.get")!.rid, WELCOME.user);
    assert.equal(errors.length, 0);
    assert.equal(connection.state, "connected");
  });

  it("delivers server events", async () => {
    const { connection, socket, handshake } = setup();
    const events: string[] = [];
    connection.on("event", (e) => events.push(e.event));
    connection.start();
    await handshake();
    socket().receive({
      type: "event",
      event: "typing",
      data: { conversationId: "c", userId: "u", typing: true, expiresInMs: 1 },
    });
    socket().receive("not json");
    assert.deepEqual(events, ["typing"]);
  });

  it("reconnects with backoff after a reconnect close code and fails what was in flight", async () => {
    const { connection, socket, sockets, handshake, timers, states } = setup();
    connection.start();
    await handshake();
    const pending = connection.request("me.get", {});
    const closes: number[] = [];
    connection.on("close", (c) => closes.push(c.code));
    socket().serverClose(1001, "restart");
    await assert.rejects(pending, (e: unknown) => e instanceof ParleyError && e.code === "connection_closed" && e.retryable);
    assert.equal(connection.state, "reconnecting");
    assert.deepEqual(closes, [1001]);
    assert.deepEqual(timers.delays(), [500], "first delay: half of the 1000 ms ceiling (random = 0.5)");
    await timers.advance(499);
    assert.equal(sockets.length, 1);
    await timers.advance(1);
    assert.equal(sockets.length, 2);
    await handshake();
    assert.equal(connection.state, "connected");
    assert.deepEqual(states, ["connecting", "connected", "reconnecting", "connected"]);
  });

  it("grows the delay while attempts fail and resets it once a connection stays up", async () => {
    const { connection, socket, handshake, timers } = setup();
    connection.start();
    await settle();
    socket().serverClose(1006);
    assert.deepEqual(timers.delays(), [500]);
    await timers.advance(500);
    socket().serverClose(1006);
    assert.deepEqual(timers.delays(), [1000]);
    await timers.advance(1000);
    await handshake();
    socket().serverClose(1011);
    assert.deepEqual(timers.delays(), [2000], "dropped before stableAfterMs: no reset");
    await timers.advance(2000);
    await handshake();
    await timers.advance(3000);
    socket().serverClose(1011);
    assert.deepEqual(timers.delays(), [500], "stable connection reset the backoff");
  });

  it("refreshes the token on 4101 and says hello with the new one", async () => {
    const { connection, socket, sockets, handshake, timers, reauth } = setup();
    connection.start();
    await handshake();
    socket().serverClose(4101, "token expired");
    await settle();
    assert.deepEqual(reauth, ["t1"]);
    await timers.advance(500);
    assert.equal(sockets.length, 2);
    await handshake();
    assert.deepEqual(sockets[1]!.sent[0]!.args, { versions: [1], token: "t2" });
  });

  it("treats an auth error answering hello like a reauthenticate close", async () => {
    const { connection, socket, timers, reauth, sockets } = setup();
    connection.start();
    await settle();
    socket().open();
    socket().fail(socket().sent[0]!.rid, "token_expired");
    await settle();
    assert.deepEqual(reauth, ["t1"]);
    await timers.advance(500);
    assert.equal(sockets.length, 2);
  });

  it("stops when the session cannot be refreshed", async () => {
    const lost = new ParleyError("invalid_refresh_token", "revoked");
    const { connection, socket, sockets, handshake, timers } = setup({
      reauthenticate: async () => {
        throw lost;
      },
    });
    const stopped: ParleyError[] = [];
    connection.on("stopped", (e) => stopped.push(e));
    connection.start();
    await handshake();
    socket().serverClose(4102, "session revoked");
    await settle();
    assert.deepEqual(stopped, [lost]);
    assert.equal(connection.state, "disconnected");
    await timers.advance(60_000);
    assert.equal(sockets.length, 1);
  });

  it("stops on a stop close code", async () => {
    const { connection, socket, sockets, handshake, timers } = setup();
    const stopped: ParleyError[] = [];
    connection.on("stopped", (e) => stopped.push(e));
    connection.start();
    await handshake();
    socket().serverClose(4200, "unsupported version");
    assert.equal(connection.state, "disconnected");
    assert.equal(stopped[0]?.details?.closeCode, 4200);
    await timers.advance(60_000);
    assert.equal(sockets.length, 1);
  });

  it("pings after one quiet heartbeat interval and gives up after two", async () => {
    const { connection, socket, sockets, handshake, timers } = setup();
    connection.start();
    await handshake();
    await timers.advance(9999);
    assert.equal(socket().last("ping"), undefined);
    await timers.advance(1);
    const ping = socket().last("ping");
    assert.ok(ping, "ping sent after 10 s without frames");
    assert.deepEqual(ping.args, {});
    // An answer is a sign of life: the clock starts over.
    socket().reply(ping.rid, { serverTime: 1 });
    await timers.advance(19_999);
    assert.equal(connection.state, "connected");
    assert.equal(sockets[0]!.sent.filter((f) => f.op === "ping").length, 2);
    await timers.advance(10_001);
    assert.equal(connection.state, "reconnecting", "nothing for 2× the interval: dead");
    assert.equal(sockets[0]!.terminated, true, "a dead socket is not waited for");
  });

  it("gives up on a socket that never opens or never answers hello", async () => {
    const { connection, sockets, timers } = setup({ helloTimeoutMs: 2000 });
    connection.start();
    await settle();
    await timers.advance(2000);
    assert.equal(connection.state, "reconnecting");
    await timers.advance(500);
    assert.equal(sockets.length, 2);
  });

  it("stop() closes normally, fails pending requests and never reconnects", async () => {
    const { connection, socket, sockets, handshake, timers } = setup();
    connection.start();
    await handshake();
    const pending = connection.request("me.get", {});
    connection.stop();
    await assert.rejects(pending, (e: unknown) => e instanceof ParleyError && e.code === "stopped");
    assert.equal(socket().closedWith?.code, 1000);
    assert.equal(connection.state, "disconnected");
    await timers.advance(60_000);
    assert.equal(sockets.length, 1);
    assert.equal(timers.pending, 0, "no timers left behind");
  });
});
