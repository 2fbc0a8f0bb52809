// Integration: two users drive the SDK against a real server (temp data dir, random port).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Message } from "@parley/protocol";
import type { ParleyClient } from "./node.js";
import { nextEvent, recorder, waitUntil as waitFor } from "./testing/client-events.js";
import { directChat, PASSWORD as password, SdkTestServer } from "./testing/real-server.js";

function assertExactlyOnceInOrder(messages: readonly Message[]): void {
  for (let i = 1; i < messages.length; i++) {
    assert.equal(messages[i]!.seq, messages[i - 1]!.seq + 1, `seq ${messages[i]!.seq} follows ${messages[i - 1]!.seq}`);
  }
}

for (const transport of ["websocket", "long-poll"] as const)
  describe(`SDK against the real server over ${transport}`, () => {
    let server: SdkTestServer;
    const suffix = `${process.pid % 10_000}${transport === "websocket" ? "w" : "l"}`;

    function newClient(credentials?: ParleyClient["credentials"]): ParleyClient {
      return server.client({ gapWaitMs: 100, receiptDelayMs: 20, ...(credentials ? { credentials } : {}) });
    }

    before(async () => {
      server = await SdkTestServer.start({ label: "it", client: { transport } });
    });

    after(async () => {
      await server.close();
    });

    it("two users chat: messages, receipts, typing, offline catch-up and offline sends, each exactly once in order", async () => {
      const alice = newClient();
      const bob = newClient();
      const aliceUser = await alice.register(`alice_${suffix}`, password, { displayName: "Alice" });
      const bobUser = await bob.register(`bob_${suffix}`, password);
      assert.equal(aliceUser.displayName, "Alice");
      const aliceSeen = recorder(alice);
      const bobSeen = recorder(bob);
      const welcome = await alice.connect();
      assert.equal(welcome.user.id, aliceUser.id);
      assert.equal(alice.transport, transport);
      await bob.connect();
      assert.equal(alice.state, "connected");

      // Open the direct conversation: bob learns about it live.
      const conversation = await alice.openDirect(bobUser.id);
      const cid = conversation.id;
      await waitFor("bob to see the conversation start", () => (bobSeen.get(cid)?.length ?? 0) >= 1);
      assert.equal(bobSeen.get(cid)![0]!.kind, "system");

      // A message: alice gets the ack (and her own entry), bob the event.
      const ack = await alice.send(cid, "hello bob");
      assert.equal(ack.duplicate, false);
      await waitFor("bob to receive hello", () => bobSeen.get(cid)?.some((m) => m.body === "hello bob") ?? false);
      await waitFor("alice's own entry", () => aliceSeen.get(cid)?.some((m) => m.seq === ack.seq) ?? false);
      const bobGot = bobSeen.get(cid)!.find((m) => m.body === "hello bob")!;
      assert.equal(bobGot.seq, ack.seq);
      assert.equal(bobGot.senderId, aliceUser.id);
      assert.equal(bobGot.clientId, ack.clientId);

      // Receipts: delivered is reported by bob's SDK by itself; read when bob's app says so.
      await waitFor("delivered receipt", () => alice.messageStatus(cid, ack.seq).delivered === 1);
      assert.equal(alice.messageStatus(cid, ack.seq).read, 0);
      const readEvent = nextEvent(
        alice,
        "receipts",
        (r) => r.conversationId === cid && r.receipts.some((x) => x.userId === bobUser.id && x.readSeq >= ack.seq),
      );
      bob.markRead(cid);
      await readEvent;
      assert.deepEqual(alice.messageStatus(cid, ack.seq), { delivered: 1, read: 1, total: 1 });

      // Typing arrives, and stops when the typist sends.
      const typingOn = nextEvent(bob, "typing", (t) => t.conversationId === cid && t.userId === aliceUser.id && t.typing);
      alice.setTyping(cid, true);
      const on = await typingOn;
      assert.ok(on.expiresInMs > 0);
      const typingOff = nextEvent(bob, "typing", (t) => t.conversationId === cid && t.userId === aliceUser.id && !t.typing);
      await alice.send(cid, "done typing");
      await typingOff;
      await waitFor("bob to receive 'done typing'", () => bobSeen.get(cid)?.some((m) => m.body === "done typing") ?? false);

      // Bob goes offline; alice writes; bob comes back and gets exactly the missed messages via sync, in order.
      await bob.close();
      assert.equal(bob.state, "disconnected");
      const missed = ["while you were away 1", "while you were away 2", "while you were away 3"];
      for (const body of missed) await alice.send(cid, body);
      const before = bobSeen.get(cid)!.length;
      await bob.connect();
      await waitFor("bob to catch up", () => bobSeen.get(cid)!.length >= before + missed.length);
      assert.deepEqual(
        bobSeen
          .get(cid)!
          .slice(before)
          .map((m) => m.body),
        missed,
      );

      // Bob sends while offline: queued, delivered once after reconnecting.
      await bob.close();
      const queued = bob.send(cid, "sent while offline");
      assert.equal(bob.pendingSends().length, 1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(aliceSeen.get(cid)!.filter((m) => m.body === "sent while offline").length, 0);
      await bob.connect();
      const queuedAck = await queued;
      assert.equal(queuedAck.duplicate, false);
      assert.equal(bob.pendingSends().length, 0);
      await waitFor("alice to receive the queued message", () =>
        aliceSeen.get(cid)!.some((m) => m.body === "sent while offline"),
      );
      const history = await alice.history(cid, { limit: 50 });
      assert.equal(history.messages.filter((m) => m.body === "sent while offline").length, 1, "stored once");

      // Exactly once, in order, on both sides; and nothing was left undelivered.
      await new Promise((resolve) => setTimeout(resolve, 200));
      for (const seen of [aliceSeen, bobSeen]) assertExactlyOnceInOrder(seen.get(cid)!);
      assert.equal(bobSeen.get(cid)!.at(-1)!.seq, history.messages.at(-1)!.seq);
      assert.equal(aliceSeen.get(cid)!.at(-1)!.seq, history.messages.at(-1)!.seq);
    });

    it("a new client with saved credentials and cursors resumes exactly where the old one stopped", async () => {
      const carol = newClient();
      const dave = newClient();
      const {
        id: cid,
        users: [carolUser, daveUser],
      } = await directChat([carol, `carol_${suffix}`], [dave, `dave_${suffix}`]);
      await carol.send(cid, "one");
      await waitFor("dave to see 'one'", () => (dave.cursor(cid) ?? 0) >= 2);
      const saved = { credentials: dave.credentials!, cursors: dave.cursors() };
      await dave.close();

      await carol.send(cid, "two");
      await carol.send(cid, "three");
      const resumed = server.client({ credentials: saved.credentials, cursors: saved.cursors });
      const seen = recorder(resumed);
      await resumed.connect();
      await waitFor("catch-up", () => (seen.get(cid)?.length ?? 0) >= 2);
      assert.deepEqual(
        seen.get(cid)!.map((m) => m.body),
        ["two", "three"],
      );
      assert.equal(resumed.user?.id, daveUser.id);
      assert.notEqual(carolUser.id, daveUser.id);
    });

    it("groups: read by k of n, and a member added later sees entries from their join", async () => {
      const [owner, m1, m2, late] = [newClient(), newClient(), newClient(), newClient()];
      const ownerUser = await owner.register(`owner_${suffix}`, password);
      const u1 = await m1.register(`member1_${suffix}`, password);
      const u2 = await m2.register(`member2_${suffix}`, password);
      const lateUser = await late.register(`late_${suffix}`, password);
      for (const c of [owner, m1, m2, late]) await c.connect();
      const lateSeen = recorder(late);
      const group = await owner.createGroup("Team", [u1.id, u2.id]);
      const ack = await owner.send(group.id, "hi team");
      await waitFor("both delivered", () => owner.messageStatus(group.id, ack.seq).delivered === 2);
      m1.markRead(group.id, ack.seq);
      await waitFor("read by 1 of 2", () => owner.messageStatus(group.id, ack.seq).read === 1);
      assert.deepEqual(owner.messageStatus(group.id, ack.seq, ownerUser.id), { delivered: 2, read: 1, total: 2 });
      // m2 did not write it, so live events need not tell m2 that m1 read it; conversation() loads everyone's state
      // (a "message info" view).
      await m2.conversation(group.id);
      assert.deepEqual(m2.messageStatus(group.id, ack.seq, ownerUser.id), { delivered: 2, read: 1, total: 2 });

      await owner.addMembers(group.id, [lateUser.id]);
      await owner.send(group.id, "welcome late");
      await waitFor("late member to get entries", () => lateSeen.get(group.id)?.some((m) => m.body === "welcome late") ?? false);
      const lateMessages = lateSeen.get(group.id)!;
      assert.equal(lateMessages[0]!.kind, "system", "starts at the member.added entry");
      assert.ok(!lateMessages.some((m) => m.body === "hi team"), "nothing from before the join");
      assertExactlyOnceInOrder(lateMessages);
    });

    it("reports auth-lost when the session was logged out elsewhere", async () => {
      const erin = newClient();
      await erin.register(`erin_${suffix}`, password);
      const other = newClient(erin.credentials);
      await erin.connect();
      const lost = nextEvent(erin, "auth-lost");
      const credentialChanges: unknown[] = [];
      erin.on("credentials", (c) => credentialChanges.push(c));
      // Same session on another client: logging out revokes it, the server closes erin's socket (4102), and the
      // refresh that follows is refused.
      await other.logout();
      const error = await lost;
      assert.equal(error.code, "invalid_refresh_token");
      assert.equal(erin.credentials, undefined);
      assert.deepEqual(credentialChanges, [undefined]);
      await waitFor("disconnected", () => erin.state === "disconnected");
      await assert.rejects(erin.connect(), (e: unknown) => e instanceof Error && /Log in/.test(e.message));
    });
  });
