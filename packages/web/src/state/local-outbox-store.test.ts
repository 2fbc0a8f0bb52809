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
});
