// Protocol tests for ephemeral and derived state: receipts, typing indicators and presence.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AuthResult, EventFrame } from "@parley/protocol";
import {
  connectVia,
  http,
  type ProtocolClient,
  type ProtocolError,
  register,
  sleep,
  startTestServer,
  type TestServer,
  TRANSPORTS,
} from "./harness.js";

for (const transport of TRANSPORTS)
  describe(`receipts, typing and presence over ${transport}`, () => {
    let server: TestServer;
    let alice: AuthResult;
    let bob: AuthResult;
    let carol: AuthResult;
    let a: ProtocolClient;
    let b: ProtocolClient;
    let direct: string;

    before(async () => {
      server = await startTestServer({ typingTimeoutMs: 400, presenceGraceMs: 300, receiptFlushMs: 10 });
      [alice, bob, carol] = await Promise.all([register(server), register(server), register(server)]);
      [a, b] = await Promise.all([
        connectVia(transport, server, alice.accessToken),
        connectVia(transport, server, bob.accessToken),
      ]);
      direct = (await a.request("conversations.openDirect", { userId: bob.user.id })).id;
    });
    after(async () => {
      await Promise.all([a.close(), b.close()]);
      await server.close();
    });

    it("receipts: watermarks only move forward, read implies delivered, members get receipt events", async () => {
      const acks = [];
      for (let i = 0; i < 3; i++)
        acks.push(await a.request("messages.send", { conversationId: direct, clientId: `rc-${i}`, body: `m${i}` }));
      const last = acks.at(-1)!.seq;
      const delivered = await b.request("receipts.mark", { conversationId: direct, delivered: last });
      assert.deepEqual(delivered, { userId: bob.user.id, deliveredSeq: last, readSeq: 0 });
      const ev = await a.waitForEvent(
        (e) => e.event === "receipts" && e.data.receipts.some((r) => r.userId === bob.user.id && r.deliveredSeq === last),
      );
      assert.equal(ev.event, "receipts");
      const read = await b.request("receipts.mark", { conversationId: direct, read: acks[0]!.seq });
      assert.deepEqual(read, { userId: bob.user.id, deliveredSeq: last, readSeq: acks[0]!.seq });
      const backwards = await b.request("receipts.mark", { conversationId: direct, delivered: 1, read: 1 });
      assert.deepEqual(backwards, read, "a lower watermark changes nothing");
      const beyond = await b.request("receipts.mark", { conversationId: direct, read: last + 1000 });
      assert.equal(beyond.readSeq, last, "clamped to the conversation's last seq");
      // Per-message state is derivable from conversations.get: alice's messages are read by bob.
      const view = await a.request("conversations.get", { conversationId: direct });
      const bobMember = view.members.find((m) => m.userId === bob.user.id)!;
      assert.equal(bobMember.readSeq, last);
      assert.equal(view.unread, 0, "alice's own messages are not unread for her");
      const bobView = await b.request("conversations.get", { conversationId: direct });
      assert.equal(bobView.unread, 0);
    });

    it("unread counts messages from others after the read watermark", async () => {
      const before = (await b.request("conversations.get", { conversationId: direct })).unread;
      await a.request("messages.send", { conversationId: direct, clientId: "u-1", body: "1" });
      await a.request("messages.send", { conversationId: direct, clientId: "u-2", body: "2" });
      await b.request("messages.send", { conversationId: direct, clientId: "u-3", body: "mine" });
      const list = await b.request("conversations.list", {});
      const row = list.conversations.find((x) => x.id === direct)!;
      assert.equal(row.unread, before + 2);
      assert.equal(row.lastMessage?.body, "mine");
    });

    it("a user who was never a member cannot mark receipts or type: not_found, as for no such conversation", async () => {
      const c = await connectVia(transport, server, carol.accessToken);
      await assert.rejects(
        c.request("receipts.mark", { conversationId: direct, read: 1 }),
        (e: ProtocolError) => e.error.code === "not_found",
      );
      await assert.rejects(
        c.request("typing", { conversationId: direct, typing: true }),
        (e: ProtocolError) => e.error.code === "not_found",
      );
      await c.close();
    });

    it("typing is forwarded to the other member, throttled, and expires by itself", async () => {
      const isTyping = (value: boolean) => (e: EventFrame) =>
        e.event === "typing" && e.data.userId === alice.user.id && e.data.typing === value && e.data.conversationId === direct;
      const start = b.events.length;
      await a.request("typing", { conversationId: direct, typing: true });
      await a.request("typing", { conversationId: direct, typing: true });
      const ev = await b.waitForEvent(isTyping(true));
      assert.equal(ev.event === "typing" && ev.data.expiresInMs, 400);
      await b.waitForEvent((e) => isTyping(false)(e));
      const since = b.events.slice(start);
      assert.equal(since.filter(isTyping(true)).length, 1, "the second start inside the throttle window is not forwarded");
      assert.equal(since.filter(isTyping(false)).length, 1, "the server stopped it after the timeout");
      assert.equal(
        a.events.filter((e) => e.event === "typing" && e.data.userId === alice.user.id).length,
        0,
        "never echoed to the typer",
      );
    });

    it("typing stops when the typer sends a message", async () => {
      const start = b.events.length;
      await a.request("typing", { conversationId: direct, typing: true });
      await a.request("messages.send", { conversationId: direct, clientId: "t-send", body: "done typing" });
      await b.waitFor(() =>
        b.events.slice(start).find((e) => e.event === "typing" && !e.data.typing && e.data.userId === alice.user.id),
      );
    });

    it("presence: subscribe, online/offline with a grace period against flapping, last seen", async () => {
      const watcher = await connectVia(transport, server, alice.accessToken);
      const initial = await watcher.request("presence.subscribe", { userIds: [bob.user.id] });
      assert.deepEqual(
        initial.presence.map((p) => [p.userId, p.online]),
        [[bob.user.id, true]],
      );
      // A quick reconnect inside the grace period is not announced.
      await b.close();
      await sleep(50);
      b = await connectVia(transport, server, bob.accessToken);
      await sleep(500);
      assert.equal(watcher.events.filter((e) => e.event === "presence").length, 0, "no flap for a quick reconnect");
      await b.close();
      const offline = await watcher.waitForEvent(
        (e) => e.event === "presence" && e.data.userId === bob.user.id && !e.data.online,
      );
      assert.ok(offline.event === "presence" && offline.data.lastSeenAt && offline.data.lastSeenAt <= Date.now());
      b = await connectVia(transport, server, bob.accessToken);
      await watcher.waitForEvent((e) => e.event === "presence" && e.data.userId === bob.user.id && e.data.online);
      const q = await a.request("presence.query", { userIds: [bob.user.id] });
      assert.equal(q.presence[0]?.online, true);
      await watcher.close();
    });

    it("presence is visible only to people who share a conversation or are the user's contacts", async () => {
      const stranger = await register(server);
      const s = await connectVia(transport, server, stranger.accessToken);
      assert.deepEqual((await s.request("presence.query", { userIds: [bob.user.id] })).presence, []);
      assert.deepEqual((await s.request("presence.subscribe", { userIds: [bob.user.id] })).presence, []);
      await b.close();
      await sleep(500);
      assert.equal(s.events.filter((e) => e.event === "presence").length, 0, "no events for invisible users");
      // The stranger adding bob as a contact does not help; bob adding the stranger does.
      await s.request("contacts.add", { userId: bob.user.id });
      assert.deepEqual((await s.request("presence.query", { userIds: [bob.user.id] })).presence, []);
      b = await connectVia(transport, server, bob.accessToken);
      await b.request("contacts.add", { userId: stranger.user.id });
      const seen = await s.request("presence.query", { userIds: [bob.user.id] });
      assert.deepEqual(
        seen.presence.map((p) => [p.userId, p.online]),
        [[bob.user.id, true]],
      );
      await s.close();
    });
  });

// Issue 23 items 6 and 7: what `online` and `lastSeenAt` mean (docs/protocol.md §11.2, the one statement of both).
describe("presence: who is online and when they were last seen", () => {
  const GRACE_MS = 1500;
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ presenceGraceMs: GRACE_MS });
  });
  after(() => server.close());

  for (const transport of TRANSPORTS)
    it(`records the time the last ${transport} session closed as lastSeenAt, announced after the grace period`, async () => {
      const [watcherUser, user] = await Promise.all([register(server), register(server)]);
      const watcher = await connectVia("ws", server, watcherUser.accessToken);
      await watcher.request("conversations.openDirect", { userId: user.user.id });
      const session = await connectVia(transport, server, user.accessToken);
      await watcher.request("presence.subscribe", { userIds: [user.user.id] });
      const closing = Date.now();
      await session.close();
      const closed = Date.now();
      const offline = await watcher.waitForEvent(
        (e) => e.event === "presence" && e.data.userId === user.user.id && !e.data.online,
        GRACE_MS + 5000,
      );
      const announced = Date.now();
      assert.ok(offline.event === "presence");
      const lastSeenAt = offline.data.lastSeenAt!;
      assert.ok(announced - closing >= GRACE_MS - 50, `the offline announcement waits for the grace (${announced - closing} ms)`);
      assert.ok(
        lastSeenAt >= closing - 5 && lastSeenAt <= closed + 250,
        `lastSeenAt is when the session closed (${lastSeenAt - closing} ms after closing it), not the end of the grace`,
      );
      const [queried] = (await watcher.request("presence.query", { userIds: [user.user.id] })).presence;
      assert.deepEqual([queried?.online, queried?.lastSeenAt], [false, lastSeenAt], "the recorded time is the one announced");
      await watcher.close();
    });

  it("counts a long-poll session as online, and plain HTTP requests not at all", async () => {
    const [watcherUser, user] = await Promise.all([register(server), register(server)]);
    const watcher = await connectVia("ws", server, watcherUser.accessToken);
    await watcher.request("conversations.openDirect", { userId: user.user.id });
    const me = await http(server, "GET", "/v1/me", undefined, user.accessToken);
    assert.equal(me.status, 200);
    const [before] = (await watcher.request("presence.subscribe", { userIds: [user.user.id] })).presence;
    assert.equal(before?.online, false, "an HTTP request does not make its user online");
    const session = await connectVia("long-poll", server, user.accessToken);
    await watcher.waitForEvent((e) => e.event === "presence" && e.data.userId === user.user.id && e.data.online);
    const [during] = (await watcher.request("presence.query", { userIds: [user.user.id] })).presence;
    assert.equal(during?.online, true, "a long-poll session makes its user online");
    await session.close();
    await watcher.close();
  });
});
