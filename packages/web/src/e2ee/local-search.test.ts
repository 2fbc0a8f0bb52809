import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Message } from "@parley/client";
import { LocalSearchIndex, MemorySearchBackend, snippetOf, tokens } from "./local-search.js";

const message = (seq: number, body: string, extra: Partial<Message> = {}) =>
  ({ conversationId: "C1", seq, senderId: "U1", kind: "text", body, createdAt: 1000 + seq, ...extra }) as Message;

describe("local search index (encrypted conversations)", () => {
  it("normalises: case, diacritics, compatibility forms, punctuation", () => {
    assert.deepEqual(tokens("Grüße, Ｆｏｏ-bar! café CAFÉ 42"), ["gruße", "foo", "bar", "cafe", "42"]);
    assert.deepEqual(tokens("  ...  "), []);
  });

  it("finds messages whose tokens start with every query token, newest first", async () => {
    const index = new LocalSearchIndex(new MemorySearchBackend());
    await index.add(message(1, "Meet at the Café tomorrow"));
    await index.add(message(2, "the cafeteria is closed"));
    await index.add(message(3, "nothing here"));
    await index.add(message(4, "Tomorrow, café again", { conversationId: "C2" }));
    assert.deepEqual(
      (await index.search("CAFE")).map((m) => `${m.conversationId}/${m.seq}`),
      ["C2/4", "C1/2", "C1/1"],
    );
    assert.deepEqual(
      (await index.search("café tomor")).map((m) => m.seq),
      [4, 1],
    );
    assert.deepEqual(await index.search("closed cafe tomorrow"), []);
    assert.deepEqual(await index.search("!!!"), []);
    assert.deepEqual(
      (await index.search("cafe", { conversationId: "C1", after: 1001 })).map((m) => m.seq),
      [2],
    );
  });

  it("ignores entries without text and replaces a message indexed again", async () => {
    const index = new LocalSearchIndex(new MemorySearchBackend());
    await index.add(message(1, "", {}));
    await index.add({ ...message(2, "x"), body: null } as Message);
    await index.add(message(3, "first words"));
    await index.add(message(3, "second words"));
    assert.deepEqual(await index.search("first"), []);
    assert.deepEqual(
      (await index.search("second")).map((m) => m.body),
      ["second words"],
    );
  });

  it("makes a snippet around the first match with its highlights", () => {
    const body = `${"x".repeat(100)} Grüße aus Köln`;
    const { snippet, highlights } = snippetOf(body, tokens("grusse gru koln"));
    assert.ok(snippet.startsWith("…"));
    const marked = highlights.map((h) => snippet.slice(h.start, h.end));
    assert.deepEqual(marked, ["Grü", "Köln"]);
  });
});
