// Integration: replies, edits, deletes and reactions through the SDK against a real server; each side keeps a timeline
// with the SDK's helpers and must converge on the server's final state, including a device that was offline.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { isDeepStrictEqual } from "node:util";
import type { Message } from "@parley/protocol";
import { applyHidden, applyUpdate, isShown } from "./message-state.js";
import type { ParleyClient } from "./node.js";
import { waitUntil as waitFor } from "./testing/client-events.js";
import { directChat, SdkTestServer } from "./testing/real-server.js";

/** What a UI keeps: shown entries in order, updated in place by `updated` and `hidden` events. */
function timeline(client: ParleyClient, conversationId: string): { list: readonly Message[] } {
  const state = { list: [] as readonly Message[] };
  client.on("message", (m) => {
    if (m.conversationId === conversationId && isShown(m)) state.list = [...state.list, m];
  });
  client.on("updated", (m) => {
    if (m.conversationId === conversationId) state.list = applyUpdate(state.list, m);
  });
  client.on("hidden", (h) => {
    if (h.conversationId === conversationId) state.list = applyHidden(state.list, h.seq);
  });
  return state;
}

for (const transport of ["websocket", "long-poll"] as const)
  describe(`SDK message actions over ${transport}`, () => {
    let server: SdkTestServer;
    const suffix = `${process.pid % 10_000}${transport === "websocket" ? "w" : "l"}`;

    const newClient = () => server.client({ gapWaitMs: 100 });

    before(async () => {
      server = await SdkTestServer.start({ label: "actions", client: { transport } });
    });
    after(async () => {
      await server.close();
    });

    it("reply, edit, react, delete and delete-for-me reach every device and converge after an offline gap", async () => {
      const alice = newClient();
      const bob = newClient();
      const { id } = await directChat([alice, `acta_${suffix}`], [bob, `actb_${suffix}`]);
      const a = timeline(alice, id);
      const b = timeline(bob, id);

      const first = await alice.send(id, "first draft");
      const reply = await bob.send(id, "a reply", { replyTo: first.seq });
      assert.deepEqual(reply.replyTo, { seq: first.seq, senderId: alice.user!.id, preview: "first draft" });
      await waitFor("alice sees the reply", () => a.list.some((m) => m.seq === reply.seq));
      assert.equal(a.list.find((m) => m.seq === reply.seq)?.replyTo?.preview, "first draft");
      assert.equal(b.list.find((m) => m.seq === reply.seq)?.replyTo?.seq, first.seq, "own sends carry the quote too");

      // A second device of bob's goes offline before the changes, holding the conversation as it was then.
      const offline = server.client({ credentials: bob.credentials! });
      await offline.connect();
      const cursors = offline.cursors();
      const heldThen = (await offline.history(id, { limit: 100 })).messages.filter(isShown);
      await offline.close();

      const edit = await alice.edit(id, first.seq, "final text");
      assert.equal(edit.seq, reply.seq + 1);
      await waitFor("bob sees the edit", () => b.list.find((m) => m.seq === first.seq)?.body === "final text");
      assert.ok(b.list.find((m) => m.seq === first.seq)?.editedAt);
      await waitFor("alice's own timeline too", () => a.list.find((m) => m.seq === first.seq)?.body === "final text");

      await bob.react(id, first.seq, "👍");
      await alice.react(id, first.seq, "👍");
      await waitFor("both reactions on alice's side", () => a.list.find((m) => m.seq === first.seq)?.reactions?.[0]?.count === 2);
      await bob.unreact(id, first.seq, "👍");
      await waitFor("one left", () => a.list.find((m) => m.seq === first.seq)?.reactions?.[0]?.count === 1);
      assert.deepEqual(a.list.find((m) => m.seq === first.seq)?.reactions, [
        { emoji: "👍", count: 1, userIds: [alice.user!.id] },
      ]);

      await bob.deleteMessage(id, reply.seq);
      await waitFor("tombstone on alice's side", () => a.list.find((m) => m.seq === reply.seq)?.deletedAt !== undefined);
      assert.equal(a.list.find((m) => m.seq === reply.seq)?.body, null);

      // Delete for me: bob's timeline hides it, alice's does not.
      assert.equal(await bob.deleteMessage(id, first.seq, { scope: "me" }), null);
      assert.equal(b.list.find((m) => m.seq === first.seq)?.hidden, true);
      assert.equal(bob.isHidden(id, first.seq), true);
      assert.equal(a.list.find((m) => m.seq === first.seq)?.hidden, undefined);

      // An update of a message bob hid stays hidden for him.
      await alice.edit(id, first.seq, "edited once more");
      await waitFor("alice's edit", () => a.list.find((m) => m.seq === first.seq)?.body === "edited once more");
      await alice.send(id, "marker");
      await waitFor("bob gets the marker", () => b.list.some((m) => m.body === "marker"));
      assert.equal(b.list.find((m) => m.seq === first.seq)?.body, null);
      assert.equal(b.list.find((m) => m.seq === first.seq)?.hidden, true);

      // The offline device comes back from its old cursors and ends in the same state as the server.
      const resumed = server.client({ credentials: bob.credentials!, cursors });
      const r = timeline(resumed, id);
      r.list = heldThen;
      await resumed.connect();
      const expected = (await resumed.history(id, { limit: 100 })).messages.filter(isShown);
      await waitFor("the resumed device converges", () => isDeepStrictEqual(r.list, expected));
      assert.equal(r.list.find((m) => m.seq === first.seq)?.hidden, true);
      assert.ok(r.list.find((m) => m.seq === reply.seq)?.deletedAt);
      assert.ok(r.list.some((m) => m.body === "marker"));
    });

    it("queues actions offline and sends them once with their clientId", async () => {
      const alice = newClient();
      const bob = newClient();
      const { id } = await directChat([alice, `actq_${suffix}`], [bob, `actr_${suffix}`]);
      const b = timeline(bob, id);
      const m = await alice.send(id, "offline edit target");
      await alice.close();
      const edited = alice.edit(id, m.seq, "edited while offline");
      const reacted = alice.react(id, m.seq, "🎉");
      assert.equal(alice.pendingSends().length, 2);
      await alice.connect();
      const [e, r] = await Promise.all([edited, reacted]);
      assert.equal(r.seq, e.seq + 1, "queued actions keep their order");
      await waitFor("bob sees both", () => {
        const t = b.list.find((x) => x.seq === m.seq);
        return t?.body === "edited while offline" && t.reactions?.[0]?.emoji === "🎉";
      });
      await assert.rejects(alice.edit(id, 1, "the creation event"), (error: Error & { code?: string }) => {
        assert.equal(error.code, "invalid_target");
        return true;
      });
    });
  });
