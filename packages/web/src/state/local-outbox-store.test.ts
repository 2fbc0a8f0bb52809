import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LocalStorageOutboxStore, MemoryStorage } from "./local-outbox-store.js";

describe("LocalStorageOutboxStore", () => {
  it("saves, loads and removes entries under their own keys", async () => {
    const storage = new MemoryStorage();
    storage.setItem("parley.session", "{}");
    const store = new LocalStorageOutboxStore(storage);
    await store.save({ clientId: "a", conversationId: "C", body: "hi", createdAt: 1 });
    await store.save({ clientId: "b", conversationId: "C", body: "there", createdAt: 2 });
    assert.deepEqual((await store.load()).map((e) => e.clientId).sort(), ["a", "b"]);
    await store.remove("a");
    assert.deepEqual(await store.load(), [{ clientId: "b", conversationId: "C", body: "there", createdAt: 2 }]);
    assert.equal(storage.getItem("parley.session"), "{}");
  });

  it("survives a new instance (a page reload) and skips corrupt entries", async () => {
    const storage = new MemoryStorage();
    await new LocalStorageOutboxStore(storage).save({ clientId: "a", conversationId: "C", body: "x", createdAt: 1 });
    storage.setItem("parley.outbox.bad", "{not json");
    storage.setItem("parley.outbox.partial", JSON.stringify({ clientId: "p" }));
    assert.deepEqual(await new LocalStorageOutboxStore(storage).load(), [
      { clientId: "a", conversationId: "C", body: "x", createdAt: 1 },
    ]);
  });

  it("keeps a reply's quote, its files, a forward's source and queued actions across a reload", async () => {
    const storage = new MemoryStorage();
    const file = { id: "U1", name: "a.png", size: 3, mimeType: "image/png", width: 1, height: 1, hasThumbnail: true };
    const entries = [
      { clientId: "r", conversationId: "C", body: "re", createdAt: 1, replyTo: 7, attachments: [file] },
      { clientId: "f", conversationId: "D", body: "fwd", createdAt: 2, forwardOf: { conversationId: "C", seq: 7 } },
      { clientId: "e", conversationId: "C", body: "new text", createdAt: 3, action: { type: "edit" as const, seq: 7 } },
      {
        clientId: "x",
        conversationId: "C",
        body: "",
        createdAt: 4,
        action: { type: "reaction" as const, seq: 7, emoji: "👍", remove: false },
      },
      { clientId: "p", conversationId: "C", body: "", createdAt: 5, action: { type: "pin" as const, seq: 7 } },
      { clientId: "d", conversationId: "C", body: "", createdAt: 6, action: { type: "delete" as const, seq: 8 } },
    ];
    for (const entry of entries) await new LocalStorageOutboxStore(storage).save(entry);
    const loaded = (await new LocalStorageOutboxStore(storage).load()).sort((a, b) => a.createdAt - b.createdAt);
    assert.deepEqual(loaded, entries);
  });

  it("skips an entry whose action, quote or files are malformed instead of sending something else", async () => {
    const storage = new MemoryStorage();
    const base = { conversationId: "C", body: "", createdAt: 1 };
    storage.setItem("parley.outbox.a", JSON.stringify({ ...base, clientId: "a", action: { type: "explode", seq: 1 } }));
    storage.setItem("parley.outbox.b", JSON.stringify({ ...base, clientId: "b", action: { type: "reaction", seq: 1 } }));
    storage.setItem("parley.outbox.c", JSON.stringify({ ...base, clientId: "c", replyTo: "7" }));
    storage.setItem("parley.outbox.d", JSON.stringify({ ...base, clientId: "d", attachments: [{ id: 1 }] }));
    storage.setItem("parley.outbox.e", JSON.stringify({ ...base, clientId: "e", forwardOf: { seq: 2 } }));
    assert.deepEqual(await new LocalStorageOutboxStore(storage).load(), []);
  });
});
