// The message-search contract every Store adapter must pass: matching, ranking, filters, paging, authorization by the
// history window, the effect of edits and deletes (written to the messages table directly), and hostile query text.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { parseSearchQuery } from "../domain/search-query.js";
import { applyChange } from "./store.contract.js";
import type { MessageSearch, SearchMatch, Store } from "./store.js";

/** Replaces a stored message's body as an edit does (null: deleted for everyone), bypassing the services. */
export type SetBody = (store: Store, conversationId: string, seq: number, body: string | null) => Promise<void>;

export function runSearchContract(
  name: string,
  makeStore: () => Promise<Store>,
  setBody: SetBody,
  cleanup: (s: Store) => Promise<void> = (s) => s.close(),
): void {
  describe(`Search contract: ${name}`, () => {
    let store: Store;
    const run = randomUUID().replaceAll("-", "").slice(0, 8);
    // Every word a test searches for carries the run id, so runs sharing a database never see each other's messages.
    const w = (word: string) => `${word}${run}`;
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
      await store.createUser({ id, username: `s${run}${counter}`, displayName: id, passwordHash: "h", createdAt: now() });
      return id;
    }

    async function group(ownerId: string, memberIds: string[], title = "Group"): Promise<string> {
      const id = newId("g");
      await store.createGroup({ id, title, ownerId, memberIds, createdAt: now(), messageId: newId("m") });
      return id;
    }

    async function send(conversationId: string, senderId: string, body: string) {
      const [outcome] = await store.append([
        { id: newId("m"), conversationId, senderId, clientId: newId("c"), body, createdAt: now() },
      ]);
      if (!outcome?.ok) assert.fail(`append failed: ${JSON.stringify(outcome)}`);
      return outcome.message;
    }

    function search(userId: string, query: string, options: Partial<Omit<MessageSearch, "terms">> = {}) {
      return store.searchMessages(userId, { terms: parseSearchQuery(query), limit: 50, ...options });
    }

    const bodies = (matches: SearchMatch[]) => matches.map((m) => m.message.body);

    it("finds text messages by every word, case-insensitively, as complete messages", async () => {
      const [a, b] = [await user(), await user()];
      const g = await group(a, [b], `Title ${w("alpha")}`);
      const m1 = await send(g, a, `The ${w("alpha")} release ships ${w("beta")} today`);
      await send(g, b, `Only ${w("alpha")} here`);
      await send(g, b, `Nothing relevant`);
      const hits = await search(b, `${w("ALPHA")} ${w("beta")}`);
      assert.equal(hits.length, 1);
      assert.deepEqual(hits[0]?.message, m1);
      assert.equal(typeof hits[0]?.score, "number");
      assert.equal((await search(b, w("alpha"))).length, 2, "the group title (a system event) never matches");
      assert.deepEqual(await search(b, w("gamma")), []);
    });

    // Expected on every adapter: hits are read with the same row mapping as history. (PostgresStore.searchMessages
    // gets that mapping in a change made in parallel with this case; both are meant to be merged together.)
    it("returns a hit exactly as history reads it: a reply carries what it quotes", async () => {
      const [a, b] = [await user(), await user()];
      const g = await group(a, [b]);
      const quoted = await send(g, a, `Where is the ${w("question")}?`);
      const [outcome] = await store.append([
        {
          id: newId("m"),
          conversationId: g,
          senderId: b,
          clientId: newId("c"),
          body: `Here is the ${w("answer")}`,
          createdAt: now(),
          replyTo: quoted.seq,
        },
      ]);
      if (!outcome?.ok) assert.fail(`append failed: ${JSON.stringify(outcome)}`);
      assert.deepEqual(outcome.message.replyTo, { seq: quoted.seq, senderId: a, preview: quoted.body });
      const [hit] = await search(a, w("answer"));
      assert.deepEqual(hit?.message, outcome.message);
      const [stored] = await store.getMessagesBySeq(g, [outcome.message.seq]);
      assert.deepEqual(hit?.message, stored, "the same fields as a history read");
    });

    it("ranks denser matches first and breaks ties by recency", async () => {
      const a = await user();
      const g = await group(a, []);
      const word = w("rank");
      await send(g, a, `${word} once in a much longer message with many other words that dilute the term a lot`);
      await send(g, a, `${word} ${word} ${word}`);
      const tieOld = await send(g, a, `tie ${w("tie")}`);
      const tieNew = await send(g, a, `tie ${w("tie")}`);
      assert.deepEqual(bodies(await search(a, word)), [
        `${word} ${word} ${word}`,
        `${word} once in a much longer message with many other words that dilute the term a lot`,
      ]);
      const ties = await search(a, w("tie"));
      assert.deepEqual(
        ties.map((h) => h.message.seq),
        [tieNew.seq, tieOld.seq],
      );
    });

    it("filters by conversation, sender and creation time (exclusive bounds)", async () => {
      const [a, b] = [await user(), await user()];
      const g1 = await group(a, [b]);
      const g2 = await group(b, [a]);
      const word = w("filter");
      const x1 = await send(g1, a, `${word} one`);
      const x2 = await send(g1, b, `${word} two`);
      const x3 = await send(g2, a, `${word} three`);
      const ids = (hits: SearchMatch[]) => hits.map((h) => h.message.id).sort();
      assert.deepEqual(ids(await search(a, word)), [x1.id, x2.id, x3.id].sort());
      assert.deepEqual(ids(await search(a, word, { conversationId: g1 })), [x1.id, x2.id].sort());
      assert.deepEqual(ids(await search(a, word, { senderId: a })), [x1.id, x3.id].sort());
      assert.deepEqual(ids(await search(a, word, { conversationId: g1, senderId: b })), [x2.id]);
      assert.deepEqual(ids(await search(a, word, { after: x1.createdAt })), [x2.id, x3.id].sort());
      assert.deepEqual(ids(await search(a, word, { before: x3.createdAt })), [x1.id, x2.id].sort());
      assert.deepEqual(ids(await search(a, word, { after: x1.createdAt, before: x3.createdAt })), [x2.id]);
    });

    it("pages from a position without repeating or skipping a hit", async () => {
      const a = await user();
      const g1 = await group(a, []);
      const g2 = await group(a, []);
      const word = w("page");
      const sent = [];
      for (let i = 0; i < 11; i++) sent.push(await send(i % 2 ? g1 : g2, a, `${word} ${"pad ".repeat(i % 4)}item ${i}`));
      const seen: SearchMatch[] = [];
      let from: MessageSearch["from"];
      for (let page = 0; page < 10; page++) {
        const hits = await search(a, word, { limit: 3, ...(from ? { from } : {}) });
        seen.push(...hits);
        const last = hits.at(-1);
        if (hits.length < 3 || !last) break;
        from = {
          score: last.score,
          createdAt: last.message.createdAt,
          conversationId: last.message.conversationId,
          seq: last.message.seq,
        };
      }
      assert.deepEqual(seen.map((h) => h.message.id).sort(), sent.map((m) => m.id).sort());
      const all = await search(a, word);
      assert.deepEqual(
        seen.map((h) => h.message.id),
        all.map((h) => h.message.id),
        "pages concatenate to the one-shot order",
      );
    });

    it("searches only the caller's history window: never other conversations, a late joiner from joining, a former member up to leaving", async () => {
      const [owner, member, outsider, late] = [await user(), await user(), await user(), await user()];
      const g = await group(owner, [member]);
      const word = w("secret");
      await send(g, owner, `${word} before`);
      await applyChange(store, {
        conversationId: g,
        actorId: owner,
        change: { type: "add", userIds: [late], maxMembers: 100 },
        createdAt: now(),
        messageId: newId("m"),
      });
      await send(g, owner, `${word} middle`);
      await applyChange(store, {
        conversationId: g,
        actorId: owner,
        change: { type: "remove", userId: member },
        createdAt: now(),
        messageId: newId("m"),
      });
      await send(g, owner, `${word} after`);
      assert.deepEqual(await search(outsider, word), []);
      assert.deepEqual(await search(outsider, word, { conversationId: g }), []);
      assert.deepEqual(bodies(await search(member, word)).sort(), [`${word} before`, `${word} middle`]);
      assert.deepEqual(bodies(await search(late, word)).sort(), [`${word} after`, `${word} middle`]);
      assert.equal((await search(owner, word)).length, 3);
    });

    it("follows edits and deletes written to the messages table", async () => {
      const a = await user();
      const g = await group(a, []);
      const m = await send(g, a, `${w("original")} wording`);
      const gone = await send(g, a, `${w("doomed")} message`);
      await setBody(store, g, m.seq, `${w("edited")} wording`);
      await setBody(store, g, gone.seq, null);
      assert.deepEqual(await search(a, w("original")), []);
      const edited = await search(a, w("edited"));
      assert.deepEqual(bodies(edited), [`${w("edited")} wording`]);
      assert.equal(edited[0]?.message.id, m.id);
      assert.deepEqual(await search(a, w("doomed")), [], "a tombstone never matches");
      assert.deepEqual(
        (await search(a, "wording", { conversationId: g })).map((h) => h.message.id),
        [m.id],
        "the edited message is indexed once, not once per version",
      );
    });

    it("matches quoted phrases as adjacent words and `word*` as a prefix", async () => {
      const a = await user();
      const g = await group(a, []);
      const [quick, fox] = [w("quick"), w("fox")];
      await send(g, a, `the ${quick} ${fox} jumps`);
      await send(g, a, `${quick} brown ${fox}`);
      await send(g, a, `${w("deploy")}ment finished`);
      await send(g, a, `${w("deploy")}ing now`);
      assert.deepEqual(bodies(await search(a, `"${quick} ${fox}"`)), [`the ${quick} ${fox} jumps`]);
      assert.equal((await search(a, `${quick} ${fox}`)).length, 2);
      assert.equal((await search(a, `${w("deploy")}*`)).length, 2);
      assert.equal((await search(a, w("deploy"))).length, 0, "without `*` a word matches whole words only");
      // A prefix longer than an index keeps (SQLite keeps 3 characters) still matches exactly what it says.
      await send(g, a, `${w("depart")}ure gate`);
      assert.equal((await search(a, `${w("depart")}*`)).length, 1);
      assert.equal((await search(a, `${w("dep")}*`)).length, 0, "the first three characters alone are not the prefix");
      assert.equal((await search(a, `"${w("deploy")}ment fin"*`)).length, 0, "a phrase is never a prefix");
      assert.equal((await search(a, `${w("deploy")}ment-fin*`)).length, 1, "a hyphenated prefix is a phrase with a prefix");
    });

    it("treats operator characters and keywords as plain words, never as engine syntax", async () => {
      const a = await user();
      const g = await group(a, []);
      const [x, y] = [w("xx"), w("yy")];
      await send(g, a, `${x} or ${y}`);
      await send(g, a, `near ${x} ${y} not`);
      await send(g, a, `${x} only`);
      const hostile = [
        `${x} OR ${y}`,
        `${x} -${y}`,
        `NEAR(${x} ${y})`,
        `${x} NOT ${y}`,
        `"${x}`,
        `${x}"`,
        `"${x}" "`,
        `${x} AND`,
        `body:${x}`,
        `{body}: ${x}`,
        `^${x}`,
        `${x} * ${y}`,
        `(${x}`,
        `${x}) OR (${y}`,
        `${x} ''; DROP TABLE messages; --`,
        `${x} & ${y} | !${y} <-> ${y}:*`,
        `${x}\\`,
      ];
      for (const query of hostile) {
        const hits = await search(a, query);
        for (const hit of hits) {
          for (const term of parseSearchQuery(query)) {
            for (const word of term.words) {
              assert.ok(hit.message.body?.toLowerCase().includes(word), `${query}: hit ${hit.message.body} lacks ${word}`);
            }
          }
        }
      }
      assert.deepEqual(bodies(await search(a, `${x} OR ${y}`)), [`${x} or ${y}`], "OR is a word, not a disjunction");
      assert.deepEqual(bodies(await search(a, `NEAR(${x} ${y})`)), [`near ${x} ${y} not`]);
      assert.equal((await search(a, `${x} -${y}`)).length, 2, "- does not exclude");
      assert.equal((await search(a, `{body}: ${x}`)).length, 0, "a column filter is just the word 'body'");
      assert.equal((await search(a, `"${x}`)).length, 3);
    });

    it("finds an e-mail address and a hyphenated word as typed", async () => {
      const a = await user();
      const g = await group(a, []);
      const mail = `bob.${run}@example.com`;
      await send(g, a, `write to ${mail} about the ${w("state")}-of-the-art thing`);
      assert.equal((await search(a, mail)).length, 1);
      assert.equal((await search(a, `${w("state")}-of-the-art`)).length, 1);
    });
  });
}
