import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryStorage } from "./local-outbox-store.js";
import { TrustBook } from "./trust.js";

describe("TrustBook (contacts' devices as this browser knows them)", () => {
  it("accepts the first sight, then reports a change until acknowledged", () => {
    const storage = new MemoryStorage();
    const book = new TrustBook(storage, "U1");
    assert.deepEqual(book.observe("U2", ["k2", "k1"]), { changed: false, verified: false, verifiedKeys: new Set() });
    assert.equal(book.observe("U2", ["k1", "k2"]).changed, false, "the order does not matter");
    assert.equal(book.observe("U2", ["k1", "k2", "k3"]).changed, true, "a device was added");
    assert.equal(book.observe("U2", ["k1"]).changed, true, "a device was removed");
    book.acknowledge("U2", ["k1", "k2", "k3"]);
    assert.equal(book.observe("U2", ["k3", "k2", "k1"]).changed, false);
    // Kept per signed-in user across page loads.
    assert.equal(new TrustBook(storage, "U1").observe("U2", ["k1", "k2", "k3"]).changed, false);
    assert.equal(new TrustBook(storage, "U9").observe("U2", ["k1"]).changed, false, "another account starts afresh");
  });

  it("verifies exactly the current devices; a new device is not verified", () => {
    const book = new TrustBook(new MemoryStorage(), "U1");
    book.verify("U2", ["k1", "k2"]);
    const now = book.observe("U2", ["k2", "k1"]);
    assert.equal(now.verified, true);
    const later = book.observe("U2", ["k1", "k2", "k3"]);
    assert.equal(later.verified, false);
    assert.equal(later.changed, true);
    assert.deepEqual([...later.verifiedKeys].sort(), ["k1", "k2"]);
    book.acknowledge("U2", ["k1", "k2", "k3"]);
    assert.equal(book.observe("U2", ["k1", "k2", "k3"]).verifiedKeys.has("k3"), false, "acknowledging is not verifying");
  });

  it("starts afresh when what was saved cannot be read", () => {
    const storage = new MemoryStorage();
    storage.setItem("parley.trust.U1", "{not json");
    const book = new TrustBook(storage, "U1");
    assert.equal(book.observe("U2", ["k1"]).changed, false);
  });
});
