// Security review #3: what readers see of an entry's targets (an action's target, a reply's quote) respects their
// membership window, live and at rest: nothing from before they joined, no change made after they left.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AuthResult, EventFrame, Message } from "@parley/protocol";
import { probePostgres, probeRedis } from "../cluster-harness.js";
import {
  connectVia,
  type ProtocolClient,
  register,
  startTestCluster,
  startTestServer,
  type TestServer,
  TRANSPORTS,
} from "../harness.js";
import { requireService } from "../services.js";

let ids = 0;
const cid = (prefix: string) => `${prefix}-${++ids}`;

type MessageEvent = Extract<EventFrame, { event: "message" }>;
const entryAt =
  (conversationId: string, seq: number) =>
  (e: EventFrame): e is MessageEvent =>
    e.event === "message" && e.data.conversationId === conversationId && e.data.seq === seq;

/** Every frame the client received, as text: a secret must appear nowhere in it. */
const everything = (client: ProtocolClient) => JSON.stringify(client.frames);

const clusterAvailable = await requireService("membership window on PostgreSQL and Redis", async () => {
  await probePostgres();
  await probeRedis();
});

/** Each store's reads (reactions, leave entry, quotes) take part in the rule: both engines, every transport. */
const backends = [
  {
    name: "SQLite",
    skip: false,
    start: async () => {
      const server = await startTestServer();
      return { server, close: () => server.close() };
    },
  },
  {
    name: "PostgreSQL",
    skip: !clusterAvailable,
    start: async () => {
      const cluster = await startTestCluster({ label: "window", nodeIds: ["w"] });
      return { server: cluster.nodes[0]!, close: () => cluster.close() };
    },
  },
];

for (const backend of backends)
  for (const transport of TRANSPORTS)
    describe(`security review #3: membership window on ${backend.name} over ${transport}`, {
      skip: backend.skip && "services unavailable",
    }, () => {
      let server: TestServer;
      let closeBackend: () => Promise<void>;
      let alice: AuthResult;
      let bob: AuthResult;
      let carol: AuthResult;
      let dave: AuthResult;
      let a: ProtocolClient;
      let b: ProtocolClient;
      let c: ProtocolClient;
      let d: ProtocolClient;

      before(async () => {
        ({ server, close: closeBackend } = await backend.start());
        [alice, bob, carol, dave] = await Promise.all([register(server), register(server), register(server), register(server)]);
        [a, b, c, d] = (await Promise.all(
          [alice, bob, carol, dave].map((u) => connectVia(transport, server, u.accessToken)),
        )) as [ProtocolClient, ProtocolClient, ProtocolClient, ProtocolClient];
      });
      after(async () => {
        await Promise.all([a, b, c, d].map((x) => x.close()));
        await closeBackend();
      });

      const send = (client: ProtocolClient, conversationId: string, body: string, replyTo?: number) =>
        client.request("messages.send", { conversationId, clientId: cid("m"), body, ...(replyTo ? { replyTo } : {}) });
      const react = (client: ProtocolClient, conversationId: string, seq: number, emoji: string) =>
        client.request("messages.react", { conversationId, seq, clientId: cid("r"), emoji });
      const edit = (client: ProtocolClient, conversationId: string, seq: number, body: string) =>
        client.request("messages.edit", { conversationId, seq, clientId: cid("e"), body });
      const historyOf = async (client: ProtocolClient, conversationId: string) =>
        (await client.request("messages.history", { conversationId, limit: 100 })).messages;
      const syncOf = async (client: ProtocolClient, conversationId: string) =>
        (await client.request("sync", { cursors: {} })).conversations.find((x) => x.conversationId === conversationId)!.messages;
      const at = (messages: readonly Message[], seq: number) => messages.find((m) => m.seq === seq)!;

      it("a member added later gets reactions and edits of older messages without their content: live, history, sync", async () => {
        const group = (await a.request("conversations.createGroup", { title: "Before", memberIds: [bob.user.id] })).id;
        const old = await send(a, group, "preJoinSecret launch codes");
        await a.request("members.add", { conversationId: group, userIds: [carol.user.id] });

        const reaction = await react(b, group, old.seq, "👍");
        const editing = await edit(a, group, old.seq, "preJoinSecret edited codes");

        // Live: Bob (who saw the message) gets the target; Carol gets the entries without it.
        const bobSees = await b.waitForEvent(entryAt(group, editing.ack!.seq));
        assert.equal(bobSees.data.updated?.body, "preJoinSecret edited codes");
        const carolReaction = await c.waitForEvent(entryAt(group, reaction.ack!.seq));
        const carolEdit = await c.waitForEvent(entryAt(group, editing.ack!.seq));
        for (const entry of [carolReaction.data, carolEdit.data]) {
          assert.equal(entry.kind, "action");
          assert.equal(entry.updated, undefined, "no target outside the window");
        }
        assert.deepEqual(carolEdit.data.action, { type: "edit", target: old.seq });

        // At rest: history and sync present the same entries the same way.
        for (const messages of [await historyOf(c, group), await syncOf(c, group)]) {
          assert.equal(at(messages, old.seq), undefined, "the old message itself is outside the window");
          assert.equal(at(messages, reaction.ack!.seq).updated, undefined);
          assert.equal(at(messages, editing.ack!.seq).updated, undefined);
        }
        // Bob, a member all along, still gets the targets.
        assert.equal(at(await historyOf(b, group), editing.ack!.seq).updated?.body, "preJoinSecret edited codes");
        assert.ok(!everything(c).includes("preJoinSecret"), "Carol received nothing of the pre-join message");
      });

      it("a reply quoting a message from before the reader joined carries no preview: live, history, sync, list, search", async () => {
        const group = (await a.request("conversations.createGroup", { title: "Quotes", memberIds: [bob.user.id] })).id;
        const old = await send(a, group, "quotedSecret salary figures");
        await a.request("members.add", { conversationId: group, userIds: [carol.user.id] });
        const reply = await send(b, group, "replyvisible agreed", old.seq);

        const aliceSees = await a.waitForEvent(entryAt(group, reply.seq));
        assert.deepEqual(aliceSees.data.replyTo, {
          seq: old.seq,
          senderId: alice.user.id,
          preview: "quotedSecret salary figures",
        });
        const withheld = { seq: old.seq, senderId: "", preview: null, withheld: true };
        assert.deepEqual((await c.waitForEvent(entryAt(group, reply.seq))).data.replyTo, withheld);
        assert.deepEqual(at(await historyOf(c, group), reply.seq).replyTo, withheld);
        assert.deepEqual(at(await syncOf(c, group), reply.seq).replyTo, withheld);
        const listed = (await c.request("conversations.list", {})).conversations.find((x) => x.id === group)!;
        assert.deepEqual(listed.lastMessage?.replyTo, withheld);
        const hits = (await c.request("messages.search", { query: "replyvisible", conversationId: group })).results;
        assert.equal(hits.length, 1);
        assert.deepEqual(hits[0]!.message.replyTo, withheld);

        // A reaction to the reply shows the reply as Carol may see it (the quote withheld), Bob's with the quote.
        const reaction = await react(a, group, reply.seq, "🎉");
        assert.deepEqual((await c.waitForEvent(entryAt(group, reaction.ack!.seq))).data.updated?.replyTo, withheld);
        assert.equal(
          (await b.waitForEvent(entryAt(group, reaction.ack!.seq))).data.updated?.replyTo?.preview,
          "quotedSecret salary figures",
        );
        assert.ok(!everything(c).includes("quotedSecret"), "Carol received nothing of the quoted message");
      });

      it("a former member sees no change made after they left: history, sync and search withhold it alike", async () => {
        const group = (await a.request("conversations.createGroup", { title: "Window", memberIds: [bob.user.id, dave.user.id] }))
          .id;
        const changed = await send(a, group, "beforeLeaving draft plan");
        const kept = await send(a, group, "keptText stays");
        await react(b, group, kept.seq, "👍");
        const reply = await send(b, group, "replyToDraft noted", changed.seq);
        await a.request("members.remove", { conversationId: group, userId: dave.user.id });

        await edit(a, group, changed.seq, "afterLeaving final plan");
        await react(b, group, kept.seq, "🎉");

        const expectWindow = (messages: readonly Message[]) => {
          const m = at(messages, changed.seq);
          assert.equal(m.withheld, true, "edited after Dave left: withheld");
          assert.equal(m.body, null);
          assert.equal(m.editedAt, undefined);
          const k = at(messages, kept.seq);
          assert.equal(k.body, "keptText stays");
          assert.deepEqual(
            k.reactions?.map((r) => r.emoji),
            ["👍"],
            "only the reactions added while Dave was a member",
          );
          assert.deepEqual(at(messages, reply.seq).replyTo, { seq: changed.seq, senderId: "", preview: null, withheld: true });
        };
        expectWindow(await historyOf(d, group));
        expectWindow(await syncOf(d, group));

        for (const query of ["afterLeaving", "beforeLeaving", "final"]) {
          const hits = (await d.request("messages.search", { query })).results;
          assert.deepEqual(hits, [], `no hit for "${query}"`);
        }
        const keptHits = (await d.request("messages.search", { query: "keptText" })).results;
        assert.equal(keptHits.length, 1, "messages that did not change stay searchable");
        assert.ok(!everything(d).includes("afterLeaving"), "Dave received nothing of the later edit");

        // Members still see the edit.
        assert.equal(at(await historyOf(b, group), changed.seq).body, "afterLeaving final plan");
      });
    });
