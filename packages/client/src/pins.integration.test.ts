// Integration: pins and forwards through the SDK against a real server: the pinned list a UI shows stays current on
// every device from the action entries alone, and a forward is queued like a send and echoed as forwarded.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Message, PinnedMessage } from "@parley/protocol";
import { waitUntil as waitFor } from "./testing/client-events.js";
import { directChat, SdkTestServer, signUp } from "./testing/real-server.js";

for (const transport of ["websocket", "long-poll"] as const)
  describe(`SDK pins and forwards over ${transport}`, () => {
    let server: SdkTestServer;
    const suffix = `${process.pid % 10_000}${transport === "websocket" ? "w" : "l"}`;

    before(async () => {
      server = await SdkTestServer.start({ label: "pins", client: { transport } });
    });
    after(async () => {
      await server.close();
    });

    it("keeps the pinned list current on both sides from pin, unpin, edit and delete entries", async () => {
      const alice = server.client({ gapWaitMs: 100 });
      const bob = server.client({ gapWaitMs: 100 });
      const { id } = await directChat([alice, `pina_${suffix}`], [bob, `pinb_${suffix}`]);
      const seen = { alice: [] as readonly PinnedMessage[], bob: [] as readonly PinnedMessage[] };
      alice.on("pins", (e) => {
        if (e.conversationId === id) seen.alice = e.pins;
      });
      bob.on("pins", (e) => {
        if (e.conversationId === id) seen.bob = e.pins;
      });
      const one = await alice.send(id, "one");
      const two = await bob.send(id, "two");
      assert.deepEqual(await alice.pins(id), []);
      assert.deepEqual(await bob.pins(id), []);

      await alice.pin(id, one.seq);
      await bob.pin(id, two.seq);
      const order = (pins: readonly PinnedMessage[]) => pins.map((p) => [p.seq, p.message.body]);
      for (const [who, client] of [
        ["alice", alice],
        ["bob", bob],
      ] as const) {
        await waitFor(`${who} sees both pins`, () => seen[who].length === 2);
        assert.deepEqual(order(seen[who]), [
          [two.seq, "two"],
          [one.seq, "one"],
        ]);
        assert.deepEqual(order(client.pinned(id)!), order(seen[who]));
      }

      await alice.edit(id, one.seq, "one, edited");
      await waitFor(
        "bob's pinned copy follows the edit",
        () => seen.bob.find((p) => p.seq === one.seq)?.message.body === "one, edited",
      );
      await alice.unpin(id, two.seq);
      await waitFor("bob sees the unpin", () => seen.bob.length === 1);
      await bob.deleteMessage(id, two.seq);
      await alice.deleteMessage(id, one.seq);
      await waitFor("a deleted message leaves both lists", () => seen.alice.length === 0 && seen.bob.length === 0);
      assert.deepEqual(await bob.pins(id), [], "the server agrees");
    });

    it("forwards a message into another conversation, echoed and delivered as forwarded", async () => {
      const alice = server.client({ gapWaitMs: 100 });
      const bob = server.client({ gapWaitMs: 100 });
      const carol = server.client({ gapWaitMs: 100 });
      const { id: ab } = await directChat([alice, `fwa_${suffix}`], [bob, `fwb_${suffix}`]);
      await signUp([carol, `fwc_${suffix}`]);
      const ac = await alice.openDirect(carol.user!.id);
      const original = await bob.send(ab, "pass it on");
      const received: Message[] = [];
      alice.on("message", (m) => received.push(m));
      carol.on("message", (m) => received.push(m));
      const source = (await alice.history(ab, { limit: 10 })).messages.find((m) => m.seq === original.seq)!;
      const ack = await alice.forward(ac.id, source);
      const copies = () => received.filter((m) => m.conversationId === ac.id && m.seq === ack.seq);
      await waitFor("alice's echo and carol's delivery", () => copies().length === 2);
      for (const copy of copies()) {
        assert.equal(copy.body, "pass it on");
        assert.equal(copy.forwarded, true);
        assert.equal(copy.senderId, alice.user!.id);
      }
    });
  });
