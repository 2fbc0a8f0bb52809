// Long-poll transport tests: the open handshake and its refusals, session secrets, cursors and acknowledgements,
// replaced polls, expiry, revocation, shutdown, and mixing transports (the shared suites run over both transports).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AuthResult, Message, ServerFrame } from "@parley/protocol";
import { POLL_SECRET_HEADER } from "../transport/long-poll.js";
import {
  expiredAccessToken,
  http,
  LongPollClient,
  RawClient,
  register,
  sleep,
  startTestServer,
  type TestServer,
} from "./harness.js";

interface PollAnswer {
  last: number;
  frames: ServerFrame[];
  close?: { code: number; reason: string };
}

/** One long-poll HTTP request, by hand. */
async function lp(
  server: TestServer,
  endpoint: string,
  options: { query?: Record<string, string | number>; secret?: string; body?: string; type?: string; token?: string } = {},
  // biome-ignore lint/suspicious/noExplicitAny: answers of several shapes, checked field by field in each test
): Promise<{ status: number; body: any; headers: Headers }> {
  const query = new URLSearchParams(Object.entries(options.query ?? {}).map(([k, v]): [string, string] => [k, String(v)]));
  const headers: Record<string, string> = {};
  if (options.secret !== undefined) headers[POLL_SECRET_HEADER] = options.secret;
  if (options.body !== undefined) headers["content-type"] = options.type ?? "application/json";
  if (options.token) headers["authorization"] = `Bearer ${options.token}`;
  const res = await fetch(`${server.url}/v1/lp/${endpoint}${query.size ? `?${query}` : ""}`, {
    method: endpoint === "poll" ? "GET" : "POST",
    headers,
    ...(options.body !== undefined ? { body: options.body } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/** Opens a session by hand: its id and secret, nothing polling. */
async function openByHand(server: TestServer, token: string) {
  const res = await lp(server, "open", { body: JSON.stringify({ versions: [1], token }) });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return { id: res.body.welcome.connectionId as string, secret: res.body.secret as string, body: res.body };
}

function poll(server: TestServer, s: { id: string; secret: string }, ack: number): Promise<{ status: number; body: PollAnswer }> {
  return lp(server, "poll", { query: { connection: s.id, ack }, secret: s.secret });
}

function send(server: TestServer, s: { id: string; secret: string }, frames: unknown[], batch?: number) {
  return lp(server, "send", {
    query: { connection: s.id, ...(batch !== undefined ? { batch } : {}) },
    secret: s.secret,
    body: frames.map((f) => (typeof f === "string" ? f : JSON.stringify(f))).join("\n"),
    type: "application/x-ndjson",
  });
}

/** Seq of each frame in a poll answer. */
function seqs(answer: PollAnswer): number[] {
  return answer.frames.map((_, i) => answer.last - answer.frames.length + 1 + i);
}

describe("long polling", () => {
  let server: TestServer;
  let alice: AuthResult;
  let bob: AuthResult;
  let direct: string;

  before(async () => {
    // Streams of hundreds of sends: the per-user rate limits (tested elsewhere) would refuse them.
    server = await startTestServer({
      longPollHoldMs: 400,
      longPollExpiryMs: 1500,
      presenceGraceMs: 50,
      rateMessages: null,
      rateRequests: null,
    });
    [alice, bob] = await Promise.all([register(server), register(server)]);
    direct = (await http(server, "POST", "/v1/conversations/direct", { userId: bob.user.id }, alice.accessToken)).body.id;
  });
  after(() => server.close());

  it("open is the hello: the same welcome, plus a secret and the poll timings", async () => {
    const s = await openByHand(server, alice.accessToken);
    const ws = await RawClient.open(server);
    const wsWelcome = await ws.request("hello", { versions: [1], token: alice.accessToken });
    await ws.close();
    const { welcome } = s.body;
    assert.deepEqual(Object.keys(welcome).sort(), Object.keys(wsWelcome).sort());
    assert.deepEqual(welcome.limits, wsWelcome.limits);
    assert.equal(welcome.user.id, alice.user.id);
    assert.match(s.secret, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual([s.body.pollTimeoutMs, s.body.expiresAfterMs], [400, 1500]);
    const res = await lp(server, "close", { query: { connection: s.id }, secret: s.secret });
    assert.equal(res.status, 200);
  });

  it("takes the token from Authorization when hello carries none", async () => {
    const res = await lp(server, "open", { body: JSON.stringify({ versions: [1] }), token: bob.accessToken });
    assert.equal(res.status, 200);
    assert.equal(res.body.welcome.user.id, bob.user.id);
    assert.equal(res.headers.get("cache-control"), "no-store");
    await lp(server, "close", { query: { connection: res.body.welcome.connectionId }, secret: res.body.secret });
  });

  it("refuses opens with the error and close code a WebSocket hello would get", async () => {
    const user = await register(server);
    const expired = await expiredAccessToken(server, user);
    const cases: [string, unknown, number, string, number][] = [
      ["no token", { versions: [1] }, 401, "unauthorized", 4100],
      ["forged token", { versions: [1], token: "x.y.z" }, 401, "unauthorized", 4100],
      ["expired token", { versions: [1], token: expired }, 401, "token_expired", 4101],
      ["no common version", { versions: [99], token: user.accessToken }, 400, "validation_failed", 4200],
      ["bad arguments", { versions: [1], token: user.accessToken, extra: 1 }, 400, "validation_failed", 4201],
      ["not an object", [1], 400, "validation_failed", 4201],
    ];
    for (const [what, body, status, code, close] of cases) {
      const res = await lp(server, "open", { body: JSON.stringify(body) });
      assert.deepEqual([res.status, res.body.error.code, res.body.close.code], [status, code, close], what);
    }
    const versions = await lp(server, "open", { body: JSON.stringify({ versions: [99], token: user.accessToken }) });
    assert.deepEqual(versions.body.error.details, { field: "versions", supported: [1] });
    await http(server, "POST", "/v1/auth/logout", {}, user.accessToken);
    const revoked = await lp(server, "open", { body: JSON.stringify({ versions: [1], token: user.accessToken }) });
    assert.deepEqual([revoked.status, revoked.body.close.code], [401, 4102]);
    // Tokens never travel in URLs: unknown query parameters are refused before anything else.
    const inUrl = await lp(server, "open", { query: { token: user.accessToken }, body: JSON.stringify({ versions: [1] }) });
    assert.deepEqual([inUrl.status, inUrl.body.error.code, inUrl.body.error.details.field], [400, "validation_failed", "token"]);
  });

  it("requires the session secret in its header on every later request; unknown and unproven look the same", async () => {
    const s = await openByHand(server, alice.accessToken);
    for (const secret of [undefined, "", "wrong", `${s.secret}x`]) {
      for (const endpoint of ["poll", "send", "close"]) {
        const res = await lp(server, endpoint, {
          query: endpoint === "poll" ? { connection: s.id, ack: 0 } : { connection: s.id },
          ...(secret !== undefined ? { secret } : {}),
          ...(endpoint === "send" ? { body: '{"rid":"1","op":"ping"}', type: "application/x-ndjson" } : {}),
        });
        assert.deepEqual(
          [res.status, res.body.error.code, res.body.close],
          [404, "not_found", { code: 4004, reason: "unknown_session" }],
        );
      }
    }
    const unknown = await poll(server, { id: "K_nope", secret: s.secret }, 0);
    assert.deepEqual([unknown.status, unknown.body.close?.code], [404, 4004]);
    const inUrl = await lp(server, "poll", { query: { connection: s.id, ack: 0, secret: s.secret } });
    assert.deepEqual([inUrl.status, inUrl.body.error.details.field], [400, "secret"]);
    const noId = await lp(server, "poll", { query: { ack: 0 }, secret: s.secret });
    assert.deepEqual([noId.status, noId.body.error.details.field], [400, "connection"]);
    const badAck = await poll(server, s, -1 as number);
    assert.deepEqual(
      [badAck.status, (badAck.body as unknown as { error: { details: { field: string } } }).error.details.field],
      [400, "ack"],
    );
    const future = await poll(server, s, 99);
    assert.deepEqual(
      [future.status, (future.body as unknown as { error: { details: { field: string } } }).error.details.field],
      [400, "ack"],
    );
    // The session survived all of that.
    await send(server, s, [{ rid: "p", op: "ping", args: {} }]);
    const answer = await poll(server, s, 0);
    assert.equal(answer.body.frames[0]?.type, "result");
    await lp(server, "close", { query: { connection: s.id }, secret: s.secret });
  });

  it("numbers frames, repeats unacknowledged ones, forgets acknowledged ones", async () => {
    const s = await openByHand(server, bob.accessToken);
    await send(
      server,
      s,
      [1, 2, 3].map((i) => ({ rid: `r${i}`, op: "ping", args: {} })),
    );
    await sleep(50);
    const first = await poll(server, s, 0);
    assert.deepEqual(seqs(first.body), [1, 2, 3]);
    // The answer was "lost": polling again with the old cursor returns the same frames.
    const again = await poll(server, s, 0);
    assert.deepEqual(seqs(again.body), [1, 2, 3]);
    assert.deepEqual(
      again.body.frames.map((f) => f.type === "result" && f.rid),
      ["r1", "r2", "r3"],
    );
    await send(server, s, [{ rid: "r4", op: "ping", args: {} }]);
    await sleep(50);
    // Acknowledging 2 drops 1–2 only.
    const partial = await poll(server, s, 2);
    assert.deepEqual(seqs(partial.body), [3, 4]);
    const rest = await poll(server, s, 4);
    assert.deepEqual([rest.body.frames.length, rest.body.last], [0, 4], "held, then answered empty when the hold ends");
    await lp(server, "close", { query: { connection: s.id }, secret: s.secret });
  });

  it("a second poll replaces a held one, which is answered empty without acknowledging anything", async () => {
    const s = await openByHand(server, bob.accessToken);
    const held = poll(server, s, 0);
    await sleep(50);
    const replacing = poll(server, s, 0);
    const firstAnswer = await held;
    assert.deepEqual([firstAnswer.status, firstAnswer.body.frames.length, firstAnswer.body.last], [200, 0, 0]);
    await http(
      server,
      "POST",
      `/v1/conversations/${direct}/messages`,
      { clientId: "replaced-1", body: "to the newest poll" },
      alice.accessToken,
    );
    const second = await replacing;
    assert.equal(second.body.frames.length, 1);
    assert.equal(second.body.frames[0]?.type === "event" && (second.body.frames[0].data as Message).body, "to the newest poll");
    await lp(server, "close", { query: { connection: s.id }, secret: s.secret });
  });

  it("delivers a long stream across many polls with acknowledgements, each message once and in order", async () => {
    const receiver = await LongPollClient.connect(server, bob.accessToken);
    const sender = await RawClient.connect(server, alice.accessToken);
    const total = 400;
    const sends = [];
    for (let i = 0; i < total; i++) {
      sends.push(sender.request("messages.send", { conversationId: direct, clientId: `stream-${i}`, body: `s${i}` }));
      if (i % 40 === 39) await sleep(15); // spread over many polls
    }
    const acks = await Promise.all(sends);
    await receiver.waitFor(
      () => (receiver.messages(direct).filter((m) => m.clientId?.startsWith("stream-")).length >= total ? true : undefined),
      10_000,
    );
    const got = receiver.messages(direct).filter((m) => m.clientId?.startsWith("stream-"));
    assert.deepEqual(
      got.map((m) => m.seq),
      acks.map((a) => a.seq),
    );
    assert.ok(receiver.polls.length > 3, `expected many polls, got ${receiver.polls.length}`);
    // Every poll continued exactly where the previous one stopped.
    for (let i = 1; i < receiver.polls.length; i++) {
      const p = receiver.polls[i]!;
      assert.equal(p.ack, Math.max(...receiver.polls.slice(0, i).map((x) => x.last)));
    }
    await Promise.all([receiver.close(), sender.close()]);
  });

  it("a retried send batch (same batch number) is applied once", async () => {
    const s = await openByHand(server, alice.accessToken);
    const frame = { rid: "once", op: "messages.send", args: { conversationId: direct, clientId: "batch-retry", body: "once" } };
    assert.equal((await send(server, s, [frame], 1)).status, 200);
    assert.equal((await send(server, s, [frame], 1)).status, 200);
    await sleep(100);
    const answer = await poll(server, s, 0);
    assert.deepEqual(
      answer.body.frames.map((f) => f.type),
      ["result"],
    );
    const history = await http(server, "GET", `/v1/conversations/${direct}/messages?limit=5`, undefined, alice.accessToken);
    assert.equal(history.body.messages.filter((m: Message) => m.clientId === "batch-retry").length, 1);
    await lp(server, "close", { query: { connection: s.id }, secret: s.secret });
  });

  it("expires a session that stops polling, with the cleanup of a closed WebSocket (presence, registry)", async () => {
    const watcher = await RawClient.connect(server, alice.accessToken);
    const gone = await LongPollClient.connect(server, bob.accessToken);
    const [presence] = (await watcher.request("presence.subscribe", { userIds: [bob.user.id] })).presence;
    assert.equal(presence?.online, true);
    const before = server.connections();
    gone.abandon();
    const offline = await watcher.waitForEvent(
      (e) => e.event === "presence" && e.data.userId === bob.user.id && !e.data.online,
      5000,
    );
    assert.equal(offline.event, "presence");
    assert.equal(server.connections(), before - 1);
    // A late poll learns why: the heartbeat code, as a close notice.
    const late = await poll(server, { id: gone.connectionId!, secret: gone.secret! }, gone.ack);
    assert.deepEqual(late.body.close, { code: 4001, reason: "heartbeat_timeout" });
    await watcher.close();
  });

  it("closes a revoked session's long poll with 4102 on its next poll", async () => {
    const extra = (
      await http(server, "POST", "/v1/auth/login", { username: bob.user.username, password: "correct horse battery" })
    ).body;
    const c = await LongPollClient.connect(server, extra.accessToken);
    await http(server, "POST", "/v1/auth/logout", {}, extra.accessToken);
    assert.equal(await c.closed, 4102);
  });

  it("mixes transports: events cross between WebSocket and long-poll sessions; the sender's session gets only the ack", async () => {
    const [a, aPhone, b] = await Promise.all([
      LongPollClient.connect(server, alice.accessToken),
      RawClient.connect(server, alice.accessToken),
      RawClient.connect(server, bob.accessToken),
    ]);
    const ack = await a.request("messages.send", { conversationId: direct, clientId: "mixed-1", body: "from long polling" });
    await b.waitForEvent((e) => e.event === "message" && e.data.id === ack.id);
    await aPhone.waitForEvent((e) => e.event === "message" && e.data.id === ack.id);
    const reply = await b.request("messages.send", { conversationId: direct, clientId: "mixed-2", body: "from a WebSocket" });
    await a.waitForEvent((e) => e.event === "message" && e.data.id === reply.id);
    assert.equal(a.messages(direct).filter((m) => m.id === ack.id).length, 0);
    await a.request("typing", { conversationId: direct, typing: true });
    await b.waitForEvent((e) => e.event === "typing" && e.data.userId === alice.user.id && e.data.typing);
    await Promise.all([a.close(), aPhone.close(), b.close()]);
  });
});

describe("long polling lifecycle", () => {
  it("shutdown answers held polls with 1001 at once", async () => {
    const server = await startTestServer({ longPollHoldMs: 60_000 });
    const user = await register(server);
    const c = await LongPollClient.connect(server, user.accessToken);
    await sleep(50);
    const started = Date.now();
    await server.close();
    assert.equal(await c.closed, 1001);
    assert.ok(Date.now() - started < 5000, "the held poll did not delay the shutdown");
  });

  it("a closed session is forgotten after one expiry period: then its id is unknown (4004)", async () => {
    const server = await startTestServer({ longPollExpiryMs: 200 });
    try {
      const user = await register(server);
      const s = await openByHand(server, user.accessToken);
      await lp(server, "close", { query: { connection: s.id }, secret: s.secret });
      const soon = await poll(server, s, 0);
      assert.deepEqual([soon.status, soon.body.close], [200, { code: 1000, reason: "normal" }]);
      await sleep(400);
      const later = await poll(server, s, 0);
      assert.deepEqual([later.status, later.body.close?.code], [404, 4004]);
    } finally {
      await server.close();
    }
  });

  it("a session whose client stops reading is closed as a slow consumer and told so with 4000", async () => {
    const server = await startTestServer({ maxBufferedBytes: 4096 });
    try {
      const [a, b] = await Promise.all([register(server), register(server)]);
      const s = await openByHand(server, b.accessToken);
      const { id } = (await http(server, "POST", "/v1/conversations/direct", { userId: b.user.id }, a.accessToken)).body;
      for (let i = 0; i < 10; i++) {
        await http(
          server,
          "POST",
          `/v1/conversations/${id}/messages`,
          { clientId: `slow-${i}`, body: "z".repeat(1000) },
          a.accessToken,
        );
      }
      const answer = await poll(server, s, 0);
      assert.deepEqual(answer.body.close, { code: 4000, reason: "slow_consumer" });
      assert.equal(answer.body.frames.length, 0, "the backlog is dropped: the client syncs after reconnecting");
      assert.equal(server.connections(), 0);
    } finally {
      await server.close();
    }
  });
});
