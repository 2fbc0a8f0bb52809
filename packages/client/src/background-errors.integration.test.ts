// Background failures reach the application through the client's `error` event instead of vanishing: an outbox store
// that cannot remove an acknowledged entry, and a logout the server did not hear.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ParleyError } from "./errors.js";
import { MemoryOutboxStore } from "./outbox.js";
import { directChat, PASSWORD, SdkTestServer } from "./testing/real-server.js";

/** Keeps entries like the memory store, but refuses to remove them (a full or read-only disk). */
class StuckOutboxStore extends MemoryOutboxStore {
  override async remove(): Promise<void> {
    throw new Error("outbox store is read-only");
  }
}

describe("SDK background failures", () => {
  let server: SdkTestServer;
  before(async () => {
    server = await SdkTestServer.start({ label: "bg" });
  });
  after(() => server.close());

  it("an outbox store that cannot remove a sent message: the send succeeds and `error` says why", async () => {
    const suffix = `${process.pid % 10_000}o`;
    const alice = server.client({ outboxStore: new StuckOutboxStore() });
    const bob = server.client();
    const { id } = await directChat([alice, `bg_alice_${suffix}`], [bob, `bg_bob_${suffix}`]);
    const errors: ParleyError[] = [];
    alice.on("error", (error) => errors.push(error));
    const ack = await alice.send(id, "stored, but not removed locally");
    assert.ok(ack.seq > 0, "the send itself succeeded");
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(
      errors.some((e) => e.message.includes("outbox store is read-only")),
      `the store failure was reported: ${errors.map((e) => e.message).join("; ")}`,
    );
  });

  it("a logout the server did not hear (it is gone): signed out locally, and `error` says so", async () => {
    const suffix = `${process.pid % 10_000}l`;
    // The network fails on the way to the logout only.
    const alice = server.client({
      fetch: (url, init) =>
        String(url).endsWith("/v1/auth/logout") ? Promise.reject(new TypeError("fetch failed")) : globalThis.fetch(url, init),
    });
    await alice.register(`bg_leaver_${suffix}`, PASSWORD);
    const errors: ParleyError[] = [];
    alice.on("error", (error) => errors.push(error));
    await alice.logout();
    assert.equal(alice.credentials, undefined, "signed out locally");
    assert.ok(errors.length >= 1, "the failed server-side logout was reported");
  });
});
