import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LongPollSocket, POLL_SECRET_HEADER } from "./long-poll-socket.js";
import { FakeLongPollServer } from "./testing/fake-long-poll.js";
import { FakeTimers, settle } from "./testing/fake-timers.js";

function setup() {
  const server = new FakeLongPollServer();
  const timers = new FakeTimers();
  const socket = new LongPollSocket({ baseUrl: "http://parley.test/", fetch: server.fetch, timers });
  const messages: unknown[] = [];
  const closes: { code: number; reason: string }[] = [];
  let opened = false;
  socket.onopen = () => {
    opened = true;
  };
  socket.onmessage = (e) => messages.push(JSON.parse(e.data as string));
  socket.onclose = (e) => closes.push(e);
  /** Opens and completes hello. */
  const handshake = async () => {
    await timers.advance(0);
    socket.send(JSON.stringify({ rid: "h", op: "hello", args: { versions: [1], token: "t1" } }));
    await settle();
  };
  return { server, timers, socket, messages, closes, handshake, opened: () => opened };
}

describe("LongPollSocket", () => {
  it("opens like a WebSocket; hello becomes POST open, the welcome its result, and polling starts at ack 0", async () => {
    const { server, socket, messages, handshake, opened } = setup();
    assert.equal(socket.readyState, 0);
    await handshake();
    assert.ok(opened());
    const [open] = server.of("open");
    assert.equal(open?.method, "POST");
    assert.deepEqual(JSON.parse(open!.body!), { versions: [1], token: "t1" });
    assert.equal(open?.headers[POLL_SECRET_HEADER], undefined, "no secret exists yet");
    assert.deepEqual(messages, [{ type: "result", rid: "h", result: { version: 1, connectionId: "K1" } }]);
    const [poll] = server.held;
    assert.deepEqual(poll?.request.query, { connection: "K1", ack: "0" });
    assert.equal(poll?.request.headers[POLL_SECRET_HEADER], "s3cret");
    assert.equal(socket.connectionId, "K1");
  });

  it("holds frames pipelined behind hello until the welcome, then sends NDJSON batches, one request at a time", async () => {
    const { server, timers, socket } = setup();
    await timers.advance(0);
    socket.send(JSON.stringify({ rid: "h", op: "hello", args: { versions: [1] } }));
    socket.send('{"rid":"1","op":"ping","args":{}}');
    socket.send('{"rid":"2","op":"me.get","args":{}}');
    await timers.advance(0);
    const [first] = server.of("send");
    assert.deepEqual(first?.query, { connection: "K1", batch: "1" });
    assert.equal(first?.headers["content-type"], "application/x-ndjson");
    assert.equal(first?.body, '{"rid":"1","op":"ping","args":{}}\n{"rid":"2","op":"me.get","args":{}}');
    socket.send('{"rid":"3","op":"ping","args":{}}');
    await timers.advance(0);
    assert.deepEqual(
      server.of("send").map((r) => r.query["batch"]),
      ["1", "2"],
    );
  });

  it("delivers polled frames in order, acknowledges them, and skips frames a repeated answer carries again", async () => {
    const { server, messages, handshake } = setup();
    await handshake();
    messages.length = 0;
    const ev = (n: number) => ({ type: "event", event: "typing", data: { n } });
    server.answerPoll({ last: 2, frames: [ev(1), ev(2)] });
    await settle();
    assert.equal(server.held[0]?.request.query["ack"], "2");
    // The answer to ack=2 repeats 2 (as after a lost answer) and brings 3.
    server.answerPoll({ last: 3, frames: [ev(2), ev(3)] });
    await settle();
    assert.deepEqual(
      messages.map((m) => (m as { data: { n: number } }).data.n),
      [1, 2, 3],
    );
    server.answerPoll({ last: 3, frames: [] });
    await settle();
    assert.equal(server.held[0]?.request.query["ack"], "3");
  });

  it("turns a close notice into a close event with the code, after the frames that came with it", async () => {
    const { server, socket, messages, closes, handshake } = setup();
    await handshake();
    server.answerPoll({
      last: 1,
      frames: [{ type: "event", event: "typing", data: {} }],
      close: { code: 4000, reason: "slow_consumer" },
    });
    await settle();
    assert.equal(messages.length, 2);
    assert.deepEqual(closes, [{ code: 4000, reason: "slow_consumer" }]);
    assert.equal(socket.readyState, 3);
    assert.equal(server.held.length, 0, "no more polls");
  });

  it("answers a refused open like a refused hello: the error frame, then the close code", async () => {
    const { server, messages, closes, handshake } = setup();
    const error = { code: "token_expired", message: "expired", retryable: false };
    server.openAnswer = { status: 401, body: { error, close: { code: 4101, reason: "token_expired" } } };
    await handshake();
    assert.deepEqual(messages, [{ type: "error", rid: "h", error }]);
    assert.deepEqual(closes, [{ code: 4101, reason: "token_expired" }]);
  });

  it("treats an answer without a close notice (an older server, a proxy) as a dropped connection", async () => {
    const { server, messages, closes, handshake } = setup();
    server.openAnswer = { status: 404, body: { error: { code: "not_found", message: "No route", retryable: false } } };
    await handshake();
    assert.equal(messages.length, 0);
    assert.equal(closes[0]?.code, 1006);
  });

  it("retries a send that failed on the network with the same batch number, then gives up as a drop", async () => {
    const { server, timers, socket, closes, handshake } = setup();
    await handshake();
    server.sendAnswers.push("network");
    socket.send('{"rid":"1","op":"ping","args":{}}');
    await timers.advance(0);
    await timers.advance(300);
    assert.deepEqual(
      server.of("send").map((r) => r.query["batch"]),
      ["1", "1"],
    );
    assert.equal(closes.length, 0, "a retry that succeeds is invisible");
    server.sendAnswers.push("network", "network", "network");
    socket.send('{"rid":"2","op":"ping","args":{}}');
    await timers.advance(0);
    await timers.advance(1000);
    assert.deepEqual(
      server.of("send").map((r) => r.query["batch"]),
      ["1", "1", "2", "2", "2"],
    );
    assert.equal(closes[0]?.code, 1006);
  });

  it("retries failed polls with backoff and closes (1006) once the session must have expired", async () => {
    const { server, timers, closes, handshake } = setup();
    await handshake();
    server.answerPoll({ error: "bad gateway" }, 502);
    await settle();
    assert.equal(server.held.length, 0);
    await timers.advance(500);
    assert.equal(server.held.length, 1, "polled again after a pause");
    assert.equal(server.held[0]?.request.query["ack"], "0");
    for (let i = 0; i < 20 && closes.length === 0; i++) {
      if (server.held.length > 0) server.answerPoll({}, 503);
      await timers.advance(5000);
    }
    assert.equal(closes[0]?.code, 1006);
  });

  it("refuses a first frame that is not hello, as the server would (4201)", async () => {
    const { timers, socket, messages, closes, server } = setup();
    await timers.advance(0);
    socket.send('{"rid":"x","op":"ping","args":{}}');
    assert.equal((messages[0] as { error: { code: string } }).error.code, "unauthorized");
    assert.equal(closes[0]?.code, 4201);
    assert.equal(server.requests.length, 0);
  });

  it("returns cookies a load balancer set on open (sticky sessions) where the runtime shows them (Node)", async () => {
    const { server, handshake } = setup();
    server.openCookies = ["PARLEY_NODE=node2; path=/; HttpOnly"];
    await handshake();
    assert.equal(server.held[0]?.request.headers["cookie"], "PARLEY_NODE=node2");
    assert.equal(server.of("open")[0]?.headers["cookie"], undefined);
  });

  it("close() ends the session on the server and stops polling", async () => {
    const { server, socket, handshake } = setup();
    await handshake();
    socket.close(1000, "bye");
    await settle();
    assert.deepEqual(server.of("close")[0]?.query, { connection: "K1" });
    assert.equal(server.of("close")[0]?.headers[POLL_SECRET_HEADER], "s3cret");
    assert.equal(socket.readyState, 3);
    assert.throws(() => socket.send("{}"));
  });
});
