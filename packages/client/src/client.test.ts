import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Message, MessageAck } from "@parley/protocol";
import { ParleyClient } from "./client.js";
import type { ConnectionState } from "./connection.js";
import type { FetchLike } from "./http-api.js";
import { FakeServer } from "./testing/fake-server.js";
import { FakeTimers, settle } from "./testing/fake-timers.js";
import type { TypingEvent } from "./typing.js";

const credentials = {
  user: { id: "me", username: "me", displayName: "Me", createdAt: 0 },
  sessionId: "s1",
  accessToken: "a1",
  refreshToken: "r1",
  accessExpiresAt: Number.MAX_SAFE_INTEGER,
};

function setup(fetch?: FetchLike) {
  const timers = new FakeTimers();
  const server = new FakeServer();
  server.conversation("c1");
  const client = new ParleyClient({
    server: "http://parley.test",
    WebSocket: server.factory.WebSocket,
    fetch: fetch ?? (async () => ({ status: 500, text: async () => "" })),
    credentials,
    timers,
    gapWaitMs: 200,
    receiptDelayMs: 100,
    reconnectBackoff: { initialMs: 1000, maxMs: 1000, random: () => 0.5 },
  });
  const messages: string[] = [];
  client.on("message", (m: Message) => messages.push(`${m.seq}:${m.senderId}:${m.body}`));
  const states: ConnectionState[] = [];
  client.on("state", (s) => states.push(s));
  return { timers, server, client, messages, states };
}

/** Resolves `connect()` by letting the fake server answer hello, list and sync. */
async function connect(client: ParleyClient): Promise<void> {
  const connected = client.connect();
  await settle();
  await connected;
}

describe("ParleyClient", () => {
  it("connects: hello, then conversations.list and sync; live delivery starts after the present", async () => {
    const { server, client, messages, states } = setup();
    server.append("c1", "bob", "old");
    await connect(client);
    assert.equal(server.socket.url, "ws://parley.test/v1/ws");
    assert.deepEqual(
      server.socket.sent.map((f) => f.op),
      ["hello", "conversations.list", "sync"],
    );
    assert.deepEqual(server.socket.sent[0]!.args, { versions: [1], token: "a1" });
    assert.deepEqual(states, ["connecting", "connected"]);
    assert.deepEqual(messages, [], "existing messages are history, fetched on demand");
    assert.equal(client.cursor("c1"), 1);
    server.deliver(server.append("c1", "bob", "new"));
    assert.deepEqual(messages, ["2:bob:new"]);
    await client.close();
  });

  it("sends while offline, delivers the ack and the own message once, in order with others", async () => {
    const { server, client, messages, timers } = setup();
    const acked = client.send("c1", "queued");
    await connect(client);
    const ack: MessageAck = await acked;
    assert.equal(ack.seq, 1);
    assert.equal(ack.duplicate, false);
    assert.deepEqual(messages, ["1:me:queued"]);
    assert.equal(client.pendingSends().length, 0);
    server.deliver(server.append("c1", "bob", "reply"));
    assert.deepEqual(messages, ["1:me:queued", "2:bob:reply"]);
    await timers.advance(100);
    assert.deepEqual(
      server.socket.last("receipts.mark")?.args,
      { conversationId: "c1", delivered: 2 },
      "delivery reported by itself",
    );
    await client.close();
  });

  it("repairs a gap from history and delivers each seq exactly once", async () => {
    const { server, client, messages, timers } = setup();
    await connect(client);
    const m1 = server.append("c1", "bob", "one");
    const m2 = server.append("c1", "bob", "two");
    const m3 = server.append("c1", "bob", "three");
    server.deliver(m3);
    server.deliver(m1);
    assert.deepEqual(messages, ["1:bob:one"]);
    await timers.advance(200);
    assert.deepEqual(server.socket.last("messages.history")?.args, { conversationId: "c1", after: 1, limit: 1 });
    server.deliver(m2);
    server.deliver(m3);
    assert.deepEqual(messages, ["1:bob:one", "2:bob:two", "3:bob:three"]);
    await client.close();
  });

  it("after a drop: catches up by sync, resends unacked sends with the same clientId, shows everything once", async () => {
    const { server, client, messages, timers, states } = setup();
    await connect(client);
    server.deliver(server.append("c1", "bob", "before"));
    // The server stores the next send but the ack is lost with the connection.
    server.hold.add("messages.send");
    const sent = client.send("c1", "mine");
    await settle();
    const firstTry = server.socket.last("messages.send")!;
    server.hold.delete("messages.send");
    server.socket.onSend?.(firstTry); // the server processes it; its answer never arrives
    server.socket.serverClose(1006);
    assert.equal(client.state, "reconnecting");
    server.append("c1", "bob", "while away 1");
    server.append("c1", "bob", "while away 2");
    const offline = client.send("c1", "offline");
    await timers.advance(500);
    await settle();
    assert.deepEqual(states, ["connecting", "connected", "reconnecting", "connected"]);
    const resent = server.socket.sent.filter((f) => f.op === "messages.send");
    assert.equal(resent[0]!.args.clientId, firstTry.args.clientId, "resent with the same clientId");
    assert.equal((await sent).duplicate, true);
    assert.equal((await offline).duplicate, false);
    assert.deepEqual(messages, ["1:bob:before", "2:me:mine", "3:bob:while away 1", "4:bob:while away 2", "5:me:offline"]);
    assert.equal(server.logs.get("c1")!.length, 5, "stored once each");
    await client.close();
  });

  it("reports typing, clears it when the typist's message arrives, and throttles its own", async () => {
    const { server, client, timers } = setup();
    await connect(client);
    const typing: TypingEvent[] = [];
    client.on("typing", (t) => typing.push(t));
    server.socket.receive({
      type: "event",
      event: "typing",
      data: { conversationId: "c1", userId: "bob", typing: true, expiresInMs: 6000 },
    });
    assert.deepEqual(client.typingIn("c1"), ["bob"]);
    server.deliver(server.append("c1", "bob", "done typing"));
    assert.deepEqual(
      typing.map((t) => t.typing),
      [true, false],
    );
    client.setTyping("c1", true);
    client.setTyping("c1", true);
    await timers.advance(1000);
    client.setTyping("c1", true);
    void client.send("c1", "hi");
    await settle();
    const ops = server.socket.sent
      .filter((f) => f.op === "typing" || f.op === "messages.send")
      .map((f) => `${f.op}:${f.args.typing ?? ""}`);
    assert.deepEqual(ops, ["typing:true", "typing:false", "messages.send:"]);
    await client.close();
  });

  it("marks read and surfaces receipt events as per-message state", async () => {
    const { server, client, timers } = setup();
    await connect(client);
    const ack = await client.send("c1", "hello");
    const receipts: string[] = [];
    client.on("receipts", (r) => receipts.push(r.receipts.map((x) => `${x.userId}:${x.deliveredSeq}/${x.readSeq}`).join()));
    assert.deepEqual(client.messageStatus("c1", ack.seq), { delivered: 0, read: 0, total: 1 });
    server.socket.receive({
      type: "event",
      event: "receipts",
      data: { conversationId: "c1", receipts: [{ userId: "bob", deliveredSeq: 1, readSeq: 1 }] },
    });
    assert.deepEqual(receipts, ["bob:1/1"]);
    assert.deepEqual(client.messageStatus("c1", ack.seq), { delivered: 1, read: 1, total: 1 });
    server.deliver(server.append("c1", "bob", "x"));
    client.markRead("c1");
    await timers.advance(100);
    assert.deepEqual(server.socket.last("receipts.mark")?.args, { conversationId: "c1", read: 2 });
    await client.close();
  });

  it("emits auth-lost and stops when the session was revoked", async () => {
    const fetch: FetchLike = async () => ({
      status: 401,
      text: async () => JSON.stringify({ error: { code: "invalid_refresh_token", message: "revoked", retryable: false } }),
    });
    const { server, client, timers } = setup(fetch);
    await connect(client);
    const lost: string[] = [];
    client.on("auth-lost", (e) => lost.push(e.code));
    const creds: unknown[] = [];
    client.on("credentials", (c) => creds.push(c));
    server.socket.serverClose(4102, "session revoked");
    await settle();
    assert.deepEqual(lost, ["invalid_refresh_token"]);
    assert.deepEqual(creds, [undefined]);
    assert.equal(client.state, "disconnected");
    await timers.advance(60_000);
    assert.equal(server.sockets.length, 1, "no reconnect without a session");
  });

  it("refuses to connect without credentials, or without a WebSocket when told to use only WebSockets", async () => {
    const noCreds = new ParleyClient({ server: "http://x", WebSocket: new FakeServer().factory.WebSocket });
    await assert.rejects(noCreds.connect(), /Log in/);
    // (`auto`, the default, would long-poll instead.)
    const noWs = new ParleyClient({ server: "http://x", credentials, WebSocket: undefined, transport: "websocket" });
    if (!("WebSocket" in globalThis)) await assert.rejects(noWs.connect(), TypeError);
  });
});
