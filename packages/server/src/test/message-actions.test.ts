// Protocol tests for replies, edits, deletes (for everyone, for me) and reactions: entries in the sequence, the
// target updated in place (storage, history, sync, conversations.list), idempotency, authorization and time windows.

import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { AuthResult, EventFrame, Message } from "@parley/protocol";
import Database from "better-sqlite3-multiple-ciphers";
import {
  connectVia,
  http,
  type ProtocolClient,
  ProtocolError,
  register,
  sleep,
  startTestServer,
  type TestServer,
  TRANSPORTS,
} from "./harness.js";

let ids = 0;
const cid = (prefix: string) => `${prefix}-${++ids}`;

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProtocolError) return error.error.code;
    throw error;
  }
  assert.fail("expected a refusal");
}

/** The stored row of a message, read from the SQLite file behind the server's back. */
function storedRow(server: TestServer, conversationId: string, seq: number) {
  const db = new Database(join(server.dataDir, "parley.db"), { readonly: true });
  try {
    return db
      .prepare("SELECT body, edited_at AS editedAt, deleted_at AS deletedAt FROM messages WHERE conversation_id = ? AND seq = ?")
      .get(conversationId, seq) as { body: string | null; editedAt: number | null; deletedAt: number | null };
  } finally {
    db.close();
  }
}

function countBodyInDatabase(server: TestServer, text: string): number {
  const db = new Database(join(server.dataDir, "parley.db"), { readonly: true });
  try {
    const rows = db.prepare("SELECT body, action_json AS a FROM messages").all() as { body: string | null; a: string | null }[];
    return rows.filter((r) => r.body?.includes(text) || r.a?.includes(text)).length;
  } finally {
    db.close();
  }
}

const isMessage = (e: EventFrame): e is Extract<EventFrame, { event: "message" }> => e.event === "message";

/** Applies entries the way a client does: text by seq, actions replace their target with `updated`. */
function applyEntries(state: Map<number, Message>, entries: readonly Message[]): void {
  for (const m of entries) {
    state.set(m.seq, m);
    if (m.kind === "action" && m.updated) state.set(m.updated.seq, m.updated);
  }
}

for (const transport of TRANSPORTS)
  describe(`message actions over ${transport}`, () => {
    let server: TestServer;
    let alice: AuthResult;
    let bob: AuthResult;
    let carol: AuthResult;
    let outsider: AuthResult;
    let a: ProtocolClient;
    let b: ProtocolClient;
    let c: ProtocolClient;
    let group: string;

    before(async () => {
      server = await startTestServer({ maxReactionsPerMessage: 3 });
      [alice, bob, carol, outsider] = await Promise.all([register(server), register(server), register(server), register(server)]);
      [a, b, c] = (await Promise.all([alice, bob, carol].map((u) => connectVia(transport, server, u.accessToken)))) as [
        ProtocolClient,
        ProtocolClient,
        ProtocolClient,
      ];
      const g = await a.request("conversations.createGroup", { title: "Actions", memberIds: [bob.user.id, carol.user.id] });
      group = g.id;
    });
    after(async () => {
      await Promise.all([a, b, c].map((x) => x.close()));
      await server.close();
    });

    const send = (client: ProtocolClient, body: string, replyTo?: number) =>
      client.request("messages.send", { conversationId: group, clientId: cid("m"), body, ...(replyTo ? { replyTo } : {}) });

    it("replies carry the quoted message, resolved again after it is edited or deleted", async () => {
      const quoted = await send(a, "the original question");
      const reply = await send(b, "my answer", quoted.seq);
      const live = await a.waitForEvent(
        (e): e is Extract<EventFrame, { event: "message" }> => isMessage(e) && e.data.seq === reply.seq,
      );
      assert.deepEqual(live.data.replyTo, { seq: quoted.seq, senderId: alice.user.id, preview: "the original question" });

      await a.request("messages.edit", {
        conversationId: group,
        seq: quoted.seq,
        clientId: cid("e"),
        body: "the better question",
      });
      let page = await c.request("messages.history", { conversationId: group, after: reply.seq - 1, limit: 1 });
      assert.equal(page.messages[0]!.replyTo?.preview, "the better question");

      await a.request("messages.delete", { conversationId: group, seq: quoted.seq, clientId: cid("d"), scope: "everyone" });
      page = await c.request("messages.history", { conversationId: group, after: reply.seq - 1, limit: 1 });
      assert.deepEqual(page.messages[0]!.replyTo, { seq: quoted.seq, senderId: alice.user.id, preview: null, deleted: true });

      assert.equal(await refusal(send(b, "to nothing", 99_999)), "message_not_found");
      assert.equal(await refusal(send(b, "to the creation event", 1)), "invalid_target");
      assert.equal(await refusal(send(b, "to a tombstone", quoted.seq)), "message_deleted");
    });

    it("an edit is a new entry, replaces the stored body in place and reaches every member with the new text", async () => {
      const original = await send(a, "teh typo");
      const edit = await a.request("messages.edit", {
        conversationId: group,
        seq: original.seq,
        clientId: cid("edit"),
        body: "the fix",
      });
      assert.ok(edit.ack);
      assert.equal(edit.ack.seq, original.seq + 1, "the edit takes the next seq");
      assert.equal(edit.message.body, "the fix");
      assert.equal(typeof edit.message.editedAt, "number");

      const event = await b.waitForEvent(
        (e): e is Extract<EventFrame, { event: "message" }> => isMessage(e) && e.data.seq === edit.ack!.seq,
      );
      assert.equal(event.data.kind, "action");
      assert.deepEqual(event.data.action, { type: "edit", target: original.seq });
      assert.equal(event.data.body, null, "the entry carries no copy of the text");
      assert.equal(event.data.updated?.body, "the fix");
      assert.equal(event.data.updated?.editedAt, edit.message.editedAt);

      const row = storedRow(server, group, original.seq);
      assert.equal(row.body, "the fix");
      assert.equal(countBodyInDatabase(server, "teh typo"), 0, "the old text is gone from storage");

      const history = await c.request("messages.history", { conversationId: group });
      const target = history.messages.find((m) => m.seq === original.seq)!;
      assert.equal(target.body, "the fix");
      assert.equal(target.editedAt, edit.message.editedAt);
    });

    it("retrying an action with the same clientId stores nothing new", async () => {
      const m = await send(a, "retry me");
      const args = { conversationId: group, seq: m.seq, clientId: cid("same"), body: "retried" };
      const first = await a.request("messages.edit", args);
      const second = await a.request("messages.edit", args);
      assert.equal(second.ack?.seq, first.ack?.seq);
      assert.equal(second.ack?.duplicate, true);
      const { lastSeq } = await a.request("conversations.get", { conversationId: group });
      assert.equal(lastSeq, first.ack?.seq);
      // The same clientId for another kind of request is a conflict, not a silent duplicate.
      const code = await refusal(
        a.request("messages.react", { conversationId: group, seq: m.seq, clientId: args.clientId, emoji: "👍" }),
      );
      assert.equal(code, "conflict");
    });

    it("delete for everyone leaves a tombstone: body gone from storage, history, sync and conversations.list", async () => {
      const secret = `secret-${transport}-${Date.now()}`;
      const m = await send(b, secret);
      await a.request("messages.react", { conversationId: group, seq: m.seq, clientId: cid("r"), emoji: "👍" });
      const del = await b.request("messages.delete", {
        conversationId: group,
        seq: m.seq,
        clientId: cid("del"),
        scope: "everyone",
      });
      assert.equal(del.message.body, null);
      assert.equal(typeof del.message.deletedAt, "number");
      assert.equal(del.message.reactions, undefined, "reactions go with the content");

      const event = await c.waitForEvent(
        (e): e is Extract<EventFrame, { event: "message" }> => isMessage(e) && e.data.seq === del.ack!.seq,
      );
      assert.deepEqual(event.data.action, { type: "delete", target: m.seq });
      assert.equal(event.data.updated?.deletedAt, del.message.deletedAt);

      assert.equal(storedRow(server, group, m.seq).body, null);
      assert.equal(countBodyInDatabase(server, secret), 0);

      const history = await c.request("messages.history", { conversationId: group });
      const tomb = history.messages.find((x) => x.seq === m.seq)!;
      assert.equal(tomb.body, null);
      assert.ok(tomb.deletedAt);
      const sync = await c.request("sync", { cursors: { [group]: m.seq - 1 } });
      const synced = sync.conversations.find((x) => x.conversationId === group)!;
      assert.ok(!JSON.stringify(synced).includes(secret));
      assert.equal(synced.messages[0]!.seq, m.seq, "the tombstone keeps its place");

      // lastMessage: the latest visible entry, never an action; here the tombstone itself.
      const list = await a.request("conversations.list", {});
      const summary = list.conversations.find((x) => x.id === group)!;
      assert.equal(summary.lastMessage?.seq, m.seq);
      assert.equal(summary.lastMessage?.body, null);
      assert.ok(summary.lastMessage?.deletedAt);

      const edit = a.request("messages.edit", { conversationId: group, seq: m.seq, clientId: cid("e"), body: "x" });
      assert.equal(await refusal(edit), "message_deleted", "a tombstone has nothing left to act on, for anyone");
      const own = b.request("messages.edit", { conversationId: group, seq: m.seq, clientId: cid("e"), body: "x" });
      assert.equal(await refusal(own), "message_deleted");
      const react = c.request("messages.react", { conversationId: group, seq: m.seq, clientId: cid("r"), emoji: "👍" });
      assert.equal(await refusal(react), "message_deleted");
    });

    it("only the author edits; the author or a group admin deletes for everyone; outsiders are not members", async () => {
      const m = await send(b, "bob's words");
      const edit = (client: ProtocolClient) =>
        client.request("messages.edit", { conversationId: group, seq: m.seq, clientId: cid("e"), body: "not yours" });
      const del = (client: ProtocolClient, seq = m.seq) =>
        client.request("messages.delete", { conversationId: group, seq, clientId: cid("d"), scope: "everyone" });
      assert.equal(await refusal(edit(a)), "not_author", "not even the owner edits someone else's message");
      assert.equal(await refusal(edit(c)), "not_author");
      assert.equal(await refusal(del(c)), "not_author", "a plain member cannot delete others' messages");
      assert.equal(
        await refusal(a.request("messages.edit", { conversationId: group, seq: 1, clientId: cid("e"), body: "x" })),
        "invalid_target",
      );
      assert.equal(await refusal(del(a, 99_999)), "message_not_found");

      const o = await connectVia(transport, server, outsider.accessToken);
      try {
        assert.equal(await refusal(edit(o)), "not_found");
        assert.equal(await refusal(del(o)), "not_found");
        assert.equal(
          await refusal(o.request("messages.react", { conversationId: group, seq: m.seq, clientId: cid("r"), emoji: "👍" })),
          "not_found",
        );
        assert.equal(
          await refusal(o.request("messages.delete", { conversationId: group, seq: m.seq, clientId: cid("d"), scope: "me" })),
          "not_found",
        );
      } finally {
        await o.close();
      }

      // The owner (and admins) moderate: deleting bob's message works.
      const done = await del(a);
      assert.ok(done.message.deletedAt);
      await a.request("members.setRole", { conversationId: group, userId: carol.user.id, role: "admin" });
      const other = await send(b, "moderate me too");
      const byAdmin = await del(c, other.seq);
      assert.ok(byAdmin.message.deletedAt);
      await a.request("members.setRole", { conversationId: group, userId: carol.user.id, role: "member" });
    });

    it("reactions aggregate per emoji with counts and who reacted; removing and limits", async () => {
      const m = await send(a, "react to me");
      const react = (client: ProtocolClient, emoji: string, remove?: boolean) =>
        client.request("messages.react", {
          conversationId: group,
          seq: m.seq,
          clientId: cid("r"),
          emoji,
          ...(remove ? { remove } : {}),
        });
      await react(a, "👍");
      await react(b, "👍");
      const last = await react(c, "❤️");
      assert.deepEqual(last.message.reactions, [
        { emoji: "👍", count: 2, userIds: [alice.user.id, bob.user.id] },
        { emoji: "❤️", count: 1, userIds: [carol.user.id] },
      ]);
      // Reacting twice is one reaction.
      await react(b, "👍");
      const removed = await react(a, "👍", true);
      assert.deepEqual(removed.message.reactions, [
        { emoji: "👍", count: 1, userIds: [bob.user.id] },
        { emoji: "❤️", count: 1, userIds: [carol.user.id] },
      ]);
      const event = await b.waitForEvent(
        (e): e is Extract<EventFrame, { event: "message" }> => isMessage(e) && e.data.seq === removed.ack!.seq,
      );
      assert.deepEqual(event.data.action, { type: "reaction", target: m.seq, emoji: "👍", remove: true });
      assert.deepEqual(event.data.updated?.reactions, removed.message.reactions);

      const history = await b.request("messages.history", { conversationId: group });
      assert.deepEqual(history.messages.find((x) => x.seq === m.seq)?.reactions, removed.message.reactions);

      for (const bad of ["ab", "👍👍", "1", " ", "👍 "]) assert.equal(await refusal(react(a, bad)), "invalid_emoji", bad);
      await react(a, "🎉"); // the third distinct emoji (limit 3 in this test)
      assert.equal(await refusal(react(b, "🚀")), "too_many_reactions");
      assert.ok((await react(b, "🎉")).ack, "an emoji already there can still be added");
      assert.equal(
        await refusal(a.request("messages.react", { conversationId: group, seq: 1, clientId: cid("r"), emoji: "👍" })),
        "invalid_target",
      );
    });

    it("edits, deletes and reactions never count as unread", async () => {
      const m = await send(a, "count me once");
      await c.request("receipts.mark", { conversationId: group, read: m.seq });
      await a.request("messages.edit", { conversationId: group, seq: m.seq, clientId: cid("e"), body: "edited" });
      await b.request("messages.react", { conversationId: group, seq: m.seq, clientId: cid("r"), emoji: "👀" });
      const list = await c.request("conversations.list", {});
      const summary = list.conversations.find((x) => x.id === group)!;
      assert.equal(summary.unread, 0);
      assert.equal(summary.lastMessage?.seq, m.seq, "lastMessage is the message, not the reaction");
      assert.equal(summary.lastMessage?.body, "edited");
    });

    it("sync from an old cursor replays to the same final state as history", async () => {
      const { lastSeq: cursor } = await b.request("conversations.get", { conversationId: group });
      const x = await send(a, "x1");
      const y = await send(b, "y1", x.seq);
      await a.request("messages.edit", { conversationId: group, seq: x.seq, clientId: cid("e"), body: "x2" });
      await c.request("messages.react", { conversationId: group, seq: y.seq, clientId: cid("r"), emoji: "👍" });
      await b.request("messages.delete", { conversationId: group, seq: y.seq, clientId: cid("d"), scope: "everyone" });
      await a.request("messages.edit", { conversationId: group, seq: x.seq, clientId: cid("e"), body: "x3" });

      // A device that held the state at `cursor` (including x and y from live events is not needed: it replays).
      const state = new Map<number, Message>();
      const before = await b.request("messages.history", { conversationId: group, before: cursor + 1, limit: 1000 });
      applyEntries(state, before.messages);
      const sync = await b.request("sync", { cursors: { [group]: cursor } });
      applyEntries(state, sync.conversations.find((s) => s.conversationId === group)!.messages);

      const history = await b.request("messages.history", { conversationId: group, limit: 1000 });
      for (const m of history.messages) assert.deepEqual(state.get(m.seq), m, `seq ${m.seq}`);
      assert.equal(state.get(x.seq)?.body, "x3");
      assert.ok(state.get(y.seq)?.deletedAt);
      assert.equal(state.get(y.seq)?.body, null);
      // Every entry of the sync, the intermediate edit included, shows the current state of its target.
      const entries = sync.conversations.find((s) => s.conversationId === group)!.messages;
      const edits = entries.filter((m) => m.action?.type === "edit");
      assert.equal(edits.length, 2);
      for (const e of edits) assert.equal(e.updated?.body, "x3");
    });

    it("delete for me hides the message on all of the caller's devices only", async () => {
      const m = await send(a, "hide me, bob");
      const later = await send(a, "still visible");
      const b2 = await connectVia(transport, server, bob.accessToken);
      try {
        const { lastSeq: cursor } = await b.request("conversations.get", { conversationId: group });
        const since = Date.now();
        const hidden = await b.request("messages.delete", {
          conversationId: group,
          seq: m.seq,
          clientId: cid("me"),
          scope: "me",
        });
        assert.equal(hidden.ack, null, "not an entry in the sequence");
        assert.equal(hidden.message.hidden, true);
        assert.equal(hidden.message.body, null);
        const { lastSeq } = await b.request("conversations.get", { conversationId: group });
        assert.equal(lastSeq, cursor, "nobody's sequence moved");

        const ev = await b2.waitForEvent((e) => e.event === "message.hidden");
        assert.deepEqual(ev.data, { conversationId: group, seq: m.seq });

        const mine = await b2.request("messages.history", { conversationId: group, after: m.seq - 1, limit: 2 });
        assert.equal(mine.messages[0]!.hidden, true);
        assert.equal(mine.messages[0]!.body, null);
        assert.equal(mine.messages[1]!.body, "still visible");
        const theirs = await c.request("messages.history", { conversationId: group, after: m.seq - 1, limit: 1 });
        assert.equal(theirs.messages[0]!.body, "hide me, bob");
        assert.equal(theirs.messages[0]!.hidden, undefined);

        // From an old cursor: the entry comes flagged (no gap); at the cursor: announced in `hidden`.
        const old = await b2.request("sync", { cursors: { [group]: m.seq - 1 } });
        const conv = old.conversations.find((x) => x.conversationId === group)!;
        assert.deepEqual(
          conv.messages.slice(0, 2).map((x) => [x.seq, x.hidden ?? false, x.body]),
          [
            [m.seq, true, null],
            [later.seq, false, "still visible"],
          ],
        );
        const current = await b2.request("sync", { cursors: { [group]: cursor }, receiptsSince: since });
        assert.deepEqual(current.conversations.find((x) => x.conversationId === group)?.hidden, [m.seq]);
        const otherUser = await c.request("sync", { cursors: { [group]: cursor }, receiptsSince: since });
        assert.equal(otherUser.conversations.find((x) => x.conversationId === group)?.hidden, undefined);
        assert.ok(!JSON.stringify(await b2.request("sync", { cursors: { [group]: 0 } })).includes("hide me, bob"));

        // Hiding again is harmless; hiding the newest message moves bob's lastMessage back.
        await b.request("messages.delete", { conversationId: group, seq: m.seq, clientId: cid("me"), scope: "me" });
        const newest = await send(a, "newest for bob to hide");
        await b.request("messages.delete", { conversationId: group, seq: newest.seq, clientId: cid("me"), scope: "me" });
        const bobList = await b.request("conversations.list", {});
        assert.equal(bobList.conversations.find((x) => x.id === group)?.lastMessage?.seq, later.seq);
        const carolList = await c.request("conversations.list", {});
        assert.equal(carolList.conversations.find((x) => x.id === group)?.lastMessage?.seq, newest.seq);
      } finally {
        await b2.close();
      }
    });
  });

describe("message actions over HTTP", () => {
  let server: TestServer;
  let alice: AuthResult;
  let bob: AuthResult;
  let conversationId: string;

  before(async () => {
    server = await startTestServer();
    [alice, bob] = await Promise.all([register(server), register(server)]);
    const res = await http(server, "POST", "/v1/conversations/direct", { userId: bob.user.id }, alice.accessToken);
    conversationId = res.body.id;
  });
  after(() => server.close());

  it("sends a reply, edits, reacts and deletes through the JSON routes", async () => {
    const base = `/v1/conversations/${conversationId}/messages`;
    const first = await http(server, "POST", base, { clientId: "h1", body: "over http" }, alice.accessToken);
    assert.equal(first.status, 200);
    const reply = await http(server, "POST", base, { clientId: "h2", body: "re", replyTo: first.body.seq }, bob.accessToken);
    assert.equal(reply.status, 200);

    const edit = await http(
      server,
      "PATCH",
      `${base}/${first.body.seq}`,
      { clientId: "h3", body: "edited over http" },
      alice.accessToken,
    );
    assert.equal(edit.status, 200);
    assert.equal(edit.body.message.body, "edited over http");
    const notMine = await http(server, "PATCH", `${base}/${first.body.seq}`, { clientId: "h4", body: "no" }, bob.accessToken);
    assert.equal(notMine.status, 403);
    assert.equal(notMine.body.error.code, "not_author");

    const react = await http(
      server,
      "POST",
      `${base}/${first.body.seq}/reactions`,
      { clientId: "h5", emoji: "🔥" },
      bob.accessToken,
    );
    assert.equal(react.status, 200);
    assert.deepEqual(react.body.message.reactions, [{ emoji: "🔥", count: 1, userIds: [bob.user.id] }]);
    const bad = await http(
      server,
      "POST",
      `${base}/${first.body.seq}/reactions`,
      { clientId: "h6", emoji: "fire" },
      bob.accessToken,
    );
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, "invalid_emoji");

    const del = await http(
      server,
      "POST",
      `${base}/${first.body.seq}/delete`,
      { clientId: "h7", scope: "everyone" },
      alice.accessToken,
    );
    assert.equal(del.status, 200);
    assert.equal(del.body.message.body, null);
    const history = await http(server, "GET", base, undefined, bob.accessToken);
    const seqs = history.body.messages.map((m: Message) => [m.seq, m.kind, m.action?.type ?? null]);
    assert.deepEqual(seqs.slice(-5), [
      [first.body.seq, "text", null],
      [reply.body.seq, "text", null],
      [edit.body.ack.seq, "action", "edit"],
      [react.body.ack.seq, "action", "reaction"],
      [del.body.ack.seq, "action", "delete"],
    ]);
    const quoted = history.body.messages.find((m: Message) => m.seq === reply.body.seq);
    assert.deepEqual(quoted.replyTo, { seq: first.body.seq, senderId: alice.user.id, preview: null, deleted: true });
    const badSeq = await http(server, "PATCH", `${base}/abc`, { clientId: "h8", body: "x" }, alice.accessToken);
    assert.equal(badSeq.status, 400);
  });
});

describe("edit and delete windows", () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ editWindowMs: 150, deleteWindowMs: 150 });
  });
  after(() => server.close());

  it("refuses edits and author deletes after the window; group admins still delete", async () => {
    const [owner, member] = await Promise.all([register(server), register(server)]);
    const [o, m] = await Promise.all([connectVia("ws", server, owner.accessToken), connectVia("ws", server, member.accessToken)]);
    try {
      const g = await o.request("conversations.createGroup", { title: "Windows", memberIds: [member.user.id] });
      const mine = await m.request("messages.send", { conversationId: g.id, clientId: "w1", body: "soon too late" });
      const ownerMsg = await o.request("messages.send", { conversationId: g.id, clientId: "w2", body: "owner's" });
      const early = await m.request("messages.edit", { conversationId: g.id, seq: mine.seq, clientId: "w3", body: "in time" });
      assert.equal(early.message.body, "in time");
      await sleep(250);
      const late = m.request("messages.edit", { conversationId: g.id, seq: mine.seq, clientId: "w4", body: "late" });
      assert.equal(await refusal(late), "window_expired");
      const lateDelete = m.request("messages.delete", { conversationId: g.id, seq: mine.seq, clientId: "w5", scope: "everyone" });
      assert.equal(await refusal(lateDelete), "window_expired");
      // Retrying the edit that was in time still answers with its original ack.
      const retry = await m.request("messages.edit", { conversationId: g.id, seq: mine.seq, clientId: "w3", body: "in time" });
      assert.equal(retry.ack?.duplicate, true);
      // Delete for me has no window, and the owner moderates without one (own messages included).
      await m.request("messages.delete", { conversationId: g.id, seq: ownerMsg.seq, clientId: "w6", scope: "me" });
      const moderated = await o.request("messages.delete", {
        conversationId: g.id,
        seq: mine.seq,
        clientId: "w7",
        scope: "everyone",
      });
      assert.ok(moderated.message.deletedAt);
      const own = await o.request("messages.delete", {
        conversationId: g.id,
        seq: ownerMsg.seq,
        clientId: "w8",
        scope: "everyone",
      });
      assert.ok(own.message.deletedAt);
    } finally {
      await Promise.all([o.close(), m.close()]);
    }
  });
});
