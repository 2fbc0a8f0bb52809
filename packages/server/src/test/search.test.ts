// Protocol tests for `messages.search` over every transport: results with snippets and highlights, filters, paging by
// cursor, authorization (only the caller's conversations and history window), edits by the store, validation, limits.

import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { AuthResult, SearchHit, SearchResult } from "@parley/protocol";
import Database from "better-sqlite3-multiple-ciphers";
import {
  connectVia,
  http,
  type ProtocolClient,
  type ProtocolError,
  register,
  startTestServer,
  type TestServer,
  TRANSPORTS,
} from "./harness.js";

type Search = (token: AuthResult, args: Record<string, unknown>) => Promise<SearchResult>;
type Failure = (token: AuthResult, args: Record<string, unknown>) => Promise<{ code: string; field?: unknown; status?: number }>;

const marked = (hit: SearchHit) => hit.highlights.map((h) => hit.snippet.slice(h.start, h.end));

for (const transport of ["http", ...TRANSPORTS] as const)
  describe(`messages.search over ${transport}`, () => {
    let server: TestServer;
    let alice: AuthResult;
    let bob: AuthResult;
    let carol: AuthResult;
    const live = new Map<string, ProtocolClient>();
    let group: string;
    let direct: string;
    let search: Search;
    let failure: Failure;

    async function client(who: AuthResult): Promise<ProtocolClient> {
      let c = live.get(who.user.id);
      if (!c) {
        c = await connectVia(transport === "http" ? "ws" : transport, server, who.accessToken);
        live.set(who.user.id, c);
      }
      return c;
    }

    async function send(who: AuthResult, conversationId: string, body: string) {
      return (await client(who)).request("messages.send", { conversationId, clientId: `c${Math.random()}`, body });
    }

    before(async () => {
      server = await startTestServer();
      [alice, bob, carol] = await Promise.all([register(server), register(server), register(server)]);
      const a = await client(alice);
      group = (await a.request("conversations.createGroup", { title: "Launch", memberIds: [bob.user.id] })).id;
      direct = (await a.request("conversations.openDirect", { userId: carol.user.id })).id;
      if (transport === "http") {
        const call = async (who: AuthResult, args: Record<string, unknown>) => {
          const query = new URLSearchParams(Object.entries(args).map(([k, v]): [string, string] => [k, String(v)]));
          return http(server, "GET", `/v1/search/messages?${query}`, undefined, who.accessToken);
        };
        search = async (who, args) => {
          const res = await call(who, args);
          assert.equal(res.status, 200, JSON.stringify(res.body));
          return res.body as SearchResult;
        };
        failure = async (who, args) => {
          const res = await call(who, args);
          assert.ok(res.status >= 400, `expected an error, got ${res.status}`);
          return { code: res.body.error.code, field: res.body.error.details?.field, status: res.status };
        };
      } else {
        search = async (who, args) => (await client(who)).request("messages.search", args as never);
        failure = async (who, args) => {
          try {
            await (await client(who)).request("messages.search", args as never);
          } catch (error) {
            const e = (error as ProtocolError).error;
            return { code: e.code, field: e.details?.["field"] };
          }
          assert.fail("expected an error");
        };
      }
      await send(alice, group, "The rocket launch is planned for Friday at dawn");
      await send(bob, group, "Is the launch still on? The weather looks bad");
      await send(alice, direct, "Secret launch codes are in the usual place");
    });
    after(async () => {
      await Promise.all([...live.values()].map((c) => c.close()));
      await server.close();
    });

    it("finds the caller's messages with the snippet, highlight ranges, conversation and seq", async () => {
      const { results, nextCursor } = await search(bob, { query: "rocket LAUNCH" });
      assert.equal(nextCursor, null);
      assert.equal(results.length, 1);
      const [hit] = results as [SearchHit];
      assert.equal(hit.conversationId, group);
      assert.equal(hit.seq, hit.message.seq);
      assert.equal(hit.message.body, "The rocket launch is planned for Friday at dawn");
      assert.equal(hit.message.senderId, alice.user.id);
      assert.equal(hit.snippet, hit.message.body);
      assert.deepEqual(marked(hit), ["rocket", "launch"]);
    });

    it("never shows a conversation the caller is not in", async () => {
      const bobs = await search(bob, { query: "launch" });
      assert.equal(bobs.results.length, 2);
      assert.ok(bobs.results.every((h) => h.conversationId === group));
      assert.ok(!JSON.stringify(bobs).includes("Secret"));
      const carols = await search(carol, { query: "launch" });
      assert.deepEqual(
        carols.results.map((h) => h.conversationId),
        [direct],
      );
      assert.deepEqual((await search(carol, { query: "launch", conversationId: group })).results, []);
      const alices = await search(alice, { query: "launch" });
      assert.equal(alices.results.length, 3);
    });

    it("filters by conversation, sender and time", async () => {
      const bySender = await search(alice, { query: "launch", senderId: bob.user.id });
      assert.deepEqual(
        bySender.results.map((h) => h.message.senderId),
        [bob.user.id],
      );
      const inDirect = await search(alice, { query: "launch", conversationId: direct });
      assert.deepEqual(
        inDirect.results.map((h) => h.conversationId),
        [direct],
      );
      assert.deepEqual((await search(alice, { query: "launch", after: Date.now() + 60_000 })).results, []);
      assert.equal((await search(alice, { query: "launch", before: Date.now() + 60_000 })).results.length, 3);
    });

    it("pages with an opaque cursor, every hit once", async () => {
      const word = `page${transport.replace("-", "")}`;
      for (let i = 0; i < 7; i++) await send(alice, group, `${word} number ${i}`);
      const seen: number[] = [];
      let cursor: string | null | undefined;
      let pages = 0;
      do {
        const page: SearchResult = await search(bob, { query: word, limit: 3, ...(cursor ? { cursor } : {}) });
        seen.push(...page.results.map((h) => h.seq));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      assert.equal(pages, 3);
      assert.equal(new Set(seen).size, 7);
    });

    it("finds the current body after an edit and nothing after a delete, with no code in those paths", async () => {
      const ack = await send(alice, group, "draft wording zeppelin");
      // A second connection to the server's database writes what an edit and a delete for everyone write.
      const db = new Database(join(server.dataDir, "parley.db"));
      try {
        const setBody = db.prepare("UPDATE messages SET body = ? WHERE conversation_id = ? AND seq = ?");
        setBody.run("final wording dirigible", group, ack.seq);
        assert.deepEqual((await search(bob, { query: "zeppelin" })).results, []);
        assert.equal((await search(bob, { query: "dirigible" })).results[0]?.message.body, "final wording dirigible");
        setBody.run(null, group, ack.seq);
      } finally {
        db.close();
      }
      assert.deepEqual((await search(bob, { query: "dirigible" })).results, []);
    });

    it("shows each hit as history does, with its reactions", async () => {
      const ack = await send(alice, group, "reaction magnet quokka");
      for (const [who, emoji] of [
        [bob, "👍"],
        [alice, "👍"],
        [bob, "🎉"],
      ] as const) {
        await (await client(who)).request("messages.react", {
          conversationId: group,
          seq: ack.seq,
          clientId: `r${Math.random()}`,
          emoji,
        });
      }
      const [hit] = (await search(bob, { query: "quokka" })).results as [SearchHit];
      const history = await (await client(bob)).request("messages.history", { conversationId: group });
      const shown = history.messages.find((m) => m.seq === ack.seq);
      assert.deepEqual(hit.message.reactions, [
        { emoji: "👍", count: 2, userIds: [bob.user.id, alice.user.id] },
        { emoji: "🎉", count: 1, userIds: [bob.user.id] },
      ]);
      assert.deepEqual(hit.message, shown);
    });

    it("cuts long bodies to a snippet around the match, highlights relative to the snippet", async () => {
      const long = `${"filler ".repeat(60)}the needle sits here ${"padding ".repeat(60)}`;
      await send(alice, group, long);
      const [hit] = (await search(bob, { query: "needle" })).results as [SearchHit];
      assert.ok(hit.snippet.length <= 170, `${hit.snippet.length} characters`);
      assert.ok(hit.snippet.startsWith("…") && hit.snippet.endsWith("…"));
      assert.deepEqual(marked(hit), ["needle"]);
      assert.equal(hit.message.body, long, "the message itself is whole");
    });

    it("treats markup and engine syntax in the query as words", async () => {
      await send(alice, group, '<b>bold</b> claims & "quotes" OR NEAR(x)');
      const { results } = await search(bob, { query: '<b>bold</b> "quotes" OR NEAR(' });
      assert.equal(results.length, 1);
      assert.ok(marked(results[0]!).includes("bold"));
      for (const query of ['"', "*", "NEAR(", "-", "OR", "AND NOT", "^", "{body}:", "' OR 1=1 --"]) {
        const answer = await search(bob, { query: `${query} launch` });
        assert.ok(Array.isArray(answer.results), query);
      }
    });

    it("rejects bad arguments with validation_failed naming the field", async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ query: "" }, "query"],
        [{ query: "x".repeat(257) }, "query"],
        [{ query: "!!! ***" }, "query"],
        [{ query: "la*" }, "query"],
        [{ query: "a b c d e f g h i" }, "query"],
        [{ query: "launch", limit: 51 }, "limit"],
        [{ query: "launch", limit: 0 }, "limit"],
        [{ query: "launch", cursor: "not-a-cursor" }, "cursor"],
        [{ query: "launch", cursor: Buffer.from('[1,0,0,"../x",1]').toString("base64url") }, "cursor"],
        [{ query: "launch", conversationId: "bad id!" }, "conversationId"],
        [{ query: "launch", after: -1 }, "after"],
      ];
      if (transport !== "http") cases.push([{ query: "launch", extra: 1 }, "extra"]);
      for (const [args, field] of cases) {
        const answer = await failure(bob, args);
        assert.equal(answer.code, "validation_failed", JSON.stringify(args));
        assert.equal(answer.field, field, JSON.stringify(args));
        if (transport === "http") assert.equal(answer.status, 400);
      }
    });
  });

describe("messages.search rate limit", () => {
  it("draws from its own bucket and answers rate_limited with the limit's name", async () => {
    const server = await startTestServer({ rateSearch: { capacity: 2, windowMs: 60_000 } });
    try {
      const user = await register(server);
      const c = await connectVia("ws", server, user.accessToken);
      await c.request("messages.search", { query: "a" });
      await c.request("messages.search", { query: "b" });
      await assert.rejects(
        c.request("messages.search", { query: "c" }),
        (e: ProtocolError) => e.error.code === "rate_limited" && e.error.details?.["limit"] === "search",
      );
      await c.request("conversations.list", {});
      await c.close();
    } finally {
      await server.close();
    }
  });
});
