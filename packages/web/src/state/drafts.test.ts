import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DraftStorage, withDraft } from "./drafts.js";
import { MemoryStorage } from "./local-outbox-store.js";

describe("drafts", () => {
  it("keeps each user's drafts under their own key across instances, and forgets them on clear", () => {
    const storage = new MemoryStorage();
    new DraftStorage(storage).save("U_ann", { C_1: "half a thought" });
    new DraftStorage(storage).save("U_bob", { C_2: "other" });
    assert.deepEqual(new DraftStorage(storage).load("U_ann"), { C_1: "half a thought" });
    new DraftStorage(storage).clear("U_ann");
    assert.deepEqual(new DraftStorage(storage).load("U_ann"), {});
    assert.deepEqual(new DraftStorage(storage).load("U_bob"), { C_2: "other" }, "another user's drafts stay");
    new DraftStorage(storage).save("U_bob", {});
    assert.equal(storage.getItem("parley.drafts.U_bob"), null, "no empty record is kept");
  });

  it("drops corrupt records and non-text entries", () => {
    const storage = new MemoryStorage();
    storage.setItem("parley.drafts.U_1", "{not json");
    storage.setItem("parley.drafts.U_2", JSON.stringify({ C_1: 5, C_2: "ok", C_3: "" }));
    storage.setItem("parley.drafts.U_3", JSON.stringify(["a"]));
    const drafts = new DraftStorage(storage);
    assert.deepEqual(drafts.load("U_1"), {});
    assert.deepEqual(drafts.load("U_2"), { C_2: "ok" });
    assert.deepEqual(drafts.load("U_3"), {});
  });

  it("replaces one conversation's text; the same text or removing a missing one returns the same map", () => {
    const empty = {};
    assert.equal(withDraft(empty, "C_1", ""), empty);
    const one = withDraft(empty, "C_1", "hi");
    assert.deepEqual(one, { C_1: "hi" });
    assert.equal(withDraft(one, "C_1", "hi"), one);
    assert.deepEqual(withDraft(one, "C_1", ""), {});
  });
});
