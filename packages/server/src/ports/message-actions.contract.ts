// The Store contract for replies and actions (edit, delete, reaction) and "delete for me", run by every adapter's test.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Message } from "@parley/protocol";
import { applyChange } from "./store.contract.js";
import type { ActionDraft, AppendOutcome, MessageDraft, Store } from "./store.js";

export function runMessageActionsContract(
  name: string,
  makeStore: () => Promise<Store>,
  cleanup: (s: Store) => Promise<void> = (s) => s.close(),
): void {
  describe(`Store contract, message actions: ${name}`, () => {
    let store: Store;
    const run = randomUUID().replaceAll("-", "").slice(0, 8);
    let counter = 0;
    const newId = (prefix: string) => `${prefix}_${run}_${++counter}`;
    let clock = 1_700_000_000_000;
    const now = () => (clock += 1000);

    before(async () => {
      store = await makeStore();
    });
    after(async () => {
      await cleanup(store);
    });

    async function user(): Promise<string> {
      const id = newId("u");
      await store.createUser({ id, username: id.toLowerCase(), displayName: id, passwordHash: "h", createdAt: now() });
      return id;
    }

    /** A group of owner + members, with `texts` messages sent by the first member (seqs 2…). */
    async function setup(memberCount = 2) {
      const owner = await user();
      const members: string[] = [];
      for (let i = 0; i < memberCount; i++) members.push(await user());
      const id = newId("g");
      await store.createGroup({ id, title: "g", ownerId: owner, memberIds: members, createdAt: now(), messageId: newId("m") });
      return { id, owner, members };
    }

    function text(conversationId: string, senderId: string, body: string, replyTo?: number): MessageDraft {
      return {
        id: newId("m"),
        conversationId,
        senderId,
        clientId: newId("c"),
        body,
        createdAt: now(),
        ...(replyTo === undefined ? {} : { replyTo }),
      };
    }

    function act(conversationId: string, senderId: string, action: ActionDraft, clientId = newId("c")): MessageDraft {
      return { id: newId("m"), conversationId, senderId, clientId, body: "", createdAt: now(), action };
    }

    async function one(draft: MessageDraft): Promise<AppendOutcome> {
      const [outcome] = await store.append([draft]);
      return outcome!;
    }

    async function seqOf(draft: MessageDraft): Promise<number> {
      const outcome = await one(draft);
      assert.ok(outcome.ok, JSON.stringify(outcome));
      return outcome.message.seq;
    }

    const code = (o: AppendOutcome) => (o.ok ? "ok" : o.code);
    const get = async (conversationId: string, seq: number) => (await store.getMessagesBySeq(conversationId, [seq]))[0]!;

    it("lists a sender's text messages across conversations, in (conversation, seq) pages", async () => {
      const owner = await user();
      const sender = await user();
      const [a, b] = [
        { id: newId("g"), owner },
        { id: newId("g"), owner },
      ];
      for (const g of [b, a]) {
        await store.createGroup({
          id: g.id,
          title: "g",
          ownerId: owner,
          memberIds: [sender],
          createdAt: now(),
          messageId: newId("m"),
        });
      }
      const sent: { conversationId: string; seq: number }[] = [];
      for (const g of [a, b]) {
        for (let i = 0; i < 3; i++) sent.push({ conversationId: g.id, seq: await seqOf(text(g.id, sender, `${g.id} ${i}`)) });
        await seqOf(text(g.id, g.owner, "not the sender's"));
      }
      // An edit is an entry of the sender's too, but an action, not a text message: left out; the target shows the edit.
      await seqOf(act(a.id, sender, { type: "edit", target: sent[0]!.seq, body: "edited", notBefore: null }));
      const pages: Message[][] = [];
      for (let after: Message | null = null; ; ) {
        const page = await store.listSentMessages(sender, after, 2);
        pages.push(page);
        if (page.length < 2) break;
        after = page.at(-1)!;
      }
      const listed = pages.flat();
      const expected = [...sent].sort((x, y) => x.conversationId.localeCompare(y.conversationId) || x.seq - y.seq);
      assert.deepEqual(
        listed.map((m) => ({ conversationId: m.conversationId, seq: m.seq })),
        expected,
      );
      assert.ok(listed.every((m) => m.senderId === sender && m.kind === "text"));
      assert.equal(listed.find((m) => m.seq === sent[0]!.seq && m.conversationId === a.id)?.body, "edited");
      assert.deepEqual(await store.listSentMessages(newId("nobody"), null, 10), []);
    });

    it("stores replies with the quoted message resolved at read time", async () => {
      const g = await setup();
      const q = await seqOf(text(g.id, g.owner, "quoted text"));
      const reply = await one(text(g.id, g.members[0]!, "answer", q));
      assert.ok(reply.ok);
      assert.deepEqual(reply.message.replyTo, { seq: q, senderId: g.owner, preview: "quoted text" });
      await seqOf(act(g.id, g.owner, { type: "edit", target: q, body: "quoted, edited", notBefore: null }));
      assert.deepEqual((await get(g.id, reply.message.seq)).replyTo, { seq: q, senderId: g.owner, preview: "quoted, edited" });
      await seqOf(act(g.id, g.owner, { type: "delete", target: q, notBefore: null }));
      assert.deepEqual((await get(g.id, reply.message.seq)).replyTo, { seq: q, senderId: g.owner, preview: null, deleted: true });
      assert.equal(code(await one(text(g.id, g.owner, "x", q))), "message_deleted");
      assert.equal(code(await one(text(g.id, g.owner, "x", 1))), "invalid_target");
      assert.equal(code(await one(text(g.id, g.owner, "x", 9999))), "message_not_found");
    });

    it("edits and deletes change the target in place, as new entries in the sequence", async () => {
      const g = await setup();
      const author = g.members[0]!;
      const t = await seqOf(text(g.id, author, "v1"));
      const edit = await one(act(g.id, author, { type: "edit", target: t, body: "v2", notBefore: null }));
      assert.ok(edit.ok);
      assert.equal(edit.message.seq, t + 1);
      assert.equal(edit.message.kind, "action");
      assert.equal(edit.message.body, null);
      assert.deepEqual(edit.message.action, { type: "edit", target: t });
      const edited = await get(g.id, t);
      assert.equal(edited.body, "v2");
      assert.equal(edited.editedAt, edit.message.createdAt);

      const del = await one(act(g.id, author, { type: "delete", target: t, notBefore: null }));
      assert.ok(del.ok);
      const tomb = await get(g.id, t);
      assert.equal(tomb.body, null);
      assert.equal(tomb.deletedAt, del.message.createdAt);
      assert.equal(tomb.editedAt, undefined);

      const history = await store.getHistory({ conversationId: g.id, minSeq: 1, maxSeq: 100, limit: 100, direction: "asc" });
      assert.deepEqual(
        history.map((m) => [m.seq, m.kind, m.action?.type ?? null]),
        [
          [1, "system", null],
          [t, "text", null],
          [t + 1, "action", "edit"],
          [t + 2, "action", "delete"],
        ],
      );
      const conversation = await store.getConversation(g.id);
      assert.equal(conversation?.lastSeq, t + 2);
      // The list shows the tombstone, never an action entry; deleted messages do not count as unread.
      assert.equal((await store.getLastMessage(g.id, t + 2))?.seq, t);
      assert.equal(await store.countUnread(g.id, g.owner, 0, t + 2), 0);
    });

    it("is idempotent by (sender, clientId) before any rule is checked", async () => {
      const g = await setup();
      const author = g.members[0]!;
      const t = await seqOf(text(g.id, author, "once"));
      const draft = act(g.id, author, { type: "delete", target: t, notBefore: null });
      const first = await one(draft);
      const again = await one({ ...draft, id: newId("m") });
      assert.ok(first.ok && again.ok);
      assert.equal(again.duplicate, true);
      assert.equal(again.message.seq, first.message.seq);
      assert.deepEqual(again.message.action, { type: "delete", target: t });
    });

    it("enforces author, admin, window and target rules", async () => {
      const g = await setup();
      const [author, other] = g.members as [string, string];
      const t = await seqOf(text(g.id, author, "mine"));
      const created = (await get(g.id, t)).createdAt;
      const edit = (sender: string, notBefore: number | null = null) =>
        one(act(g.id, sender, { type: "edit", target: t, body: "new", notBefore }));
      const del = (sender: string, notBefore: number | null = null) =>
        one(act(g.id, sender, { type: "delete", target: t, notBefore }));
      assert.equal(code(await edit(other)), "not_author");
      assert.equal(code(await edit(g.owner)), "not_author");
      assert.equal(code(await del(other)), "not_author");
      assert.equal(code(await edit(author, created + 1)), "window_expired");
      assert.equal(code(await del(author, created + 1)), "window_expired");
      assert.equal(code(await edit(author, created)), "ok");
      assert.equal(code(await one(act(g.id, author, { type: "edit", target: 1, body: "x", notBefore: null }))), "invalid_target");
      assert.equal(
        code(await one(act(g.id, author, { type: "edit", target: t + 1, body: "x", notBefore: null }))),
        "invalid_target",
        "an action entry is not a target",
      );
      const outsider = await user();
      assert.equal(code(await edit(outsider)), "not_member");
      // The owner moderates: no authorship, no window.
      assert.equal(code(await del(g.owner, created + 1)), "ok");
      assert.equal(code(await edit(author)), "message_deleted");
    });

    it("keeps targets before a member's join out of reach", async () => {
      const g = await setup(1);
      const early = await seqOf(text(g.id, g.owner, "before you came"));
      const late = await user();
      await applyChange(store, {
        conversationId: g.id,
        actorId: g.owner,
        change: { type: "add", userIds: [late], maxMembers: 10 },
        createdAt: now(),
        messageId: newId("m"),
      });
      const reaction: ActionDraft = { type: "reaction", target: early, emoji: "👍", remove: false, maxKinds: 5 };
      assert.equal(code(await one(act(g.id, late, reaction))), "message_not_found");
      assert.equal(code(await one(text(g.id, late, "re", early))), "message_not_found");
    });

    it("stores reactions per (user, emoji), removes them, limits distinct emojis and drops them on delete", async () => {
      const g = await setup();
      const [m1, m2] = g.members as [string, string];
      const t = await seqOf(text(g.id, g.owner, "react"));
      const react = (sender: string, emoji: string, remove = false, maxKinds = 2) =>
        one(act(g.id, sender, { type: "reaction", target: t, emoji, remove, maxKinds }));
      assert.equal(code(await react(m1, "👍")), "ok");
      assert.equal(code(await react(m2, "👍")), "ok");
      assert.equal(code(await react(m1, "👍")), "ok", "a repeat is harmless");
      assert.equal(code(await react(m2, "🎉")), "ok");
      assert.equal(code(await react(m1, "🚀")), "too_many_reactions");
      assert.equal(code(await react(m1, "🎉")), "ok", "an emoji already present is not a new kind");
      assert.deepEqual(
        (await store.getReactions(g.id, [t])).map((r) => [r.emoji, r.userId]),
        [
          ["👍", m1],
          ["👍", m2],
          ["🎉", m2],
          ["🎉", m1],
        ],
      );
      assert.equal(code(await react(m1, "👍", true)), "ok");
      assert.deepEqual(
        (await store.getReactions(g.id, [t])).map((r) => [r.emoji, r.userId]),
        [
          ["👍", m2],
          ["🎉", m2],
          ["🎉", m1],
        ],
      );
      await seqOf(act(g.id, g.owner, { type: "delete", target: t, notBefore: null }));
      assert.deepEqual(await store.getReactions(g.id, [t]), []);
      assert.equal(code(await react(m1, "👍")), "message_deleted");
    });

    it("pins and unpins text messages, newest pin first, capped per conversation, dropped on delete", async () => {
      const g = await setup();
      const [m1, m2] = g.members as [string, string];
      const a = await seqOf(text(g.id, g.owner, "a"));
      const b = await seqOf(text(g.id, m1, "b"));
      const c = await seqOf(text(g.id, m2, "c"));
      const pin = (sender: string, target: number, maxPins = 2) => one(act(g.id, sender, { type: "pin", target, maxPins }));
      const unpin = (sender: string, target: number) => one(act(g.id, sender, { type: "unpin", target }));
      const pinned = async () => (await store.listPins(g.id)).map((p) => [p.seq, p.pinnedBy]);
      assert.deepEqual(await store.listPins(g.id), []);
      const first = await pin(m1, a);
      assert.ok(first.ok && first.message.kind === "action");
      assert.deepEqual(first.ok && first.message.action, { type: "pin", target: a });
      assert.equal(code(await pin(m2, b)), "ok", "any member pins, not only the author");
      assert.deepEqual(await pinned(), [
        [b, m2],
        [a, m1],
      ]);
      assert.equal(code(await pin(m1, c)), "too_many_pins");
      const repin = await pin(m2, a);
      assert.equal(code(repin), "ok", "re-pinning a pinned message is not a new pin");
      assert.deepEqual(await pinned(), [
        [a, m2],
        [b, m2],
      ]);
      const [newest] = await store.listPins(g.id);
      assert.equal(newest!.entrySeq, repin.ok ? repin.message.seq : -1);
      assert.equal(code(await one(act(g.id, m1, { type: "pin", target: 1, maxPins: 5 }))), "invalid_target");
      assert.equal(code(await one(act(g.id, m1, { type: "pin", target: 999, maxPins: 5 }))), "message_not_found");
      const unpinned = await unpin(m1, b);
      assert.deepEqual(unpinned.ok && unpinned.message.action, { type: "unpin", target: b });
      assert.equal(code(await unpin(m1, b)), "ok", "unpinning twice changes nothing");
      assert.deepEqual(await pinned(), [[a, m2]]);
      await seqOf(act(g.id, g.owner, { type: "delete", target: a, notBefore: null }));
      assert.deepEqual(await store.listPins(g.id), [], "a deleted message is no longer pinned");
      assert.equal(code(await pin(m1, a)), "message_deleted");
      const outsider = await user();
      assert.equal(code(await pin(outsider, c)), "not_member");
    });

    it("stores forwarded copies with their flag", async () => {
      const g = await setup();
      const plain = await seqOf(text(g.id, g.owner, "plain"));
      const copy = await one({ ...text(g.id, g.owner, "copied"), forwarded: true });
      assert.ok(copy.ok);
      assert.equal(copy.message.forwarded, true);
      assert.equal((await get(g.id, copy.message.seq)).forwarded, true);
      assert.equal((await get(g.id, plain)).forwarded, undefined);
    });

    it("lists reactions in the order the conversation assigned them, even within one millisecond", async () => {
      const g = await setup(3);
      const t = await seqOf(text(g.id, g.owner, "react"));
      const at = now();
      // Users whose ids sort against the order they react in, all at the same instant.
      const [first, second, third] = [...g.members].sort().reverse() as [string, string, string];
      const react = (sender: string, emoji: string) => ({
        ...act(g.id, sender, { type: "reaction", target: t, emoji, remove: false, maxKinds: 5 }),
        createdAt: at,
      });
      for (const [sender, emoji] of [
        [first, "❤️"],
        [second, "👍"],
        [third, "❤️"],
      ] as const) {
        assert.equal(code(await one(react(sender, emoji))), "ok");
      }
      assert.deepEqual(
        (await store.getReactions(g.id, [t])).map((r) => [r.emoji, r.userId]),
        [
          ["❤️", first],
          ["👍", second],
          ["❤️", third],
        ],
      );
    });

    it("hides messages per user and lists what was hidden since a time", async () => {
      const g = await setup();
      const [m1, m2] = g.members as [string, string];
      const a = await seqOf(text(g.id, g.owner, "a"));
      const b = await seqOf(text(g.id, g.owner, "b"));
      assert.equal(await store.hideMessage(m1, g.id, a, 1000), true);
      assert.equal(await store.hideMessage(m1, g.id, a, 2000), false, "hiding twice changes nothing");
      assert.equal(await store.hideMessage(m1, g.id, b, 3000), true);
      assert.deepEqual((await store.getHiddenSeqs(m1, g.id, [a, b, 99])).sort(), [a, b].sort());
      assert.deepEqual(await store.getHiddenSeqs(m2, g.id, [a, b]), []);
      const all = (await store.listHiddenSince(m1, undefined)).filter((h) => h.conversationId === g.id);
      assert.deepEqual(
        all.map((h) => h.seq),
        [a, b],
      );
      assert.deepEqual(
        (await store.listHiddenSince(m1, 2500)).filter((h) => h.conversationId === g.id).map((h) => h.seq),
        [b],
      );
      // The viewer's last message skips what they hid; others still see it.
      assert.equal((await store.getLastMessage(g.id, b, m1))?.seq, 1);
      assert.equal((await store.getLastMessage(g.id, b, m2))?.seq, b);
    });

    it("applies several actions of one batch in order", async () => {
      const g = await setup();
      const author = g.members[0]!;
      const t = await seqOf(text(g.id, author, "batch"));
      const outcomes = await store.append([
        act(g.id, author, { type: "edit", target: t, body: "batch 2", notBefore: null }),
        act(g.id, author, { type: "delete", target: t, notBefore: null }),
        act(g.id, author, { type: "edit", target: t, body: "too late", notBefore: null }),
        text(g.id, author, "after"),
      ]);
      assert.deepEqual(outcomes.map(code), ["ok", "ok", "message_deleted", "ok"]);
      const seqs = outcomes.filter((o) => o.ok).map((o) => (o.ok ? o.message.seq : 0));
      assert.deepEqual(seqs, [t + 1, t + 2, t + 3], "a refused draft consumes no seq");
      assert.equal((await get(g.id, t)).body, null);
    });
  });
}
