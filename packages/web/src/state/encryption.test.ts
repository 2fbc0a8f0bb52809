// Starting encryption from the store's side: a start that fails is shown (state `failed`, its error once) and tried
// again by itself after a wait, not only on the next reconnection; the open chat is read again once it succeeds.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Backoff, type E2ee, type ParleyClient } from "@parley/client";
import type { LocalSearchIndex } from "../e2ee/local-search.js";
import { type DeviceEncryption, Encryption } from "./encryption.js";
import { StoreCore } from "./store-core.js";

const client = {
  credentials: { user: { id: "ann" }, sessionId: "S1" },
  useEncryption() {},
} as unknown as ParleyClient;

/** A device whose first `failures` starts fail (the MLS worker does not answer), then start. */
function device(failures: number): DeviceEncryption & { starts: number } {
  return {
    starts: 0,
    async start() {
      this.starts++;
      if (this.starts <= failures) throw new Error("The MLS worker did not answer within 30 s");
      return { e2ee: {} as E2ee, index: {} as LocalSearchIndex };
    },
    async forget() {},
  };
}

async function until(what: string, done: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("Encryption: starting", () => {
  it("a failed start is shown, its error once, and tried again after a wait until it succeeds; then the chat is read again", async () => {
    const core = new StoreCore(true);
    const browser = device(2);
    let rereads = 0;
    const notices: string[] = [];
    let shown: string | null = null;
    core.subscribe(() => {
      if (core.state.notice !== shown && core.state.notice !== null) notices.push(core.state.notice);
      shown = core.state.notice;
    });
    const encryption = new Encryption(
      core,
      client,
      browser,
      undefined,
      () => rereads++,
      new Backoff({ initialMs: 20, maxMs: 20 }),
    );
    await encryption.start();
    assert.equal(core.state.encryption, "failed");
    assert.equal(core.state.notice, "The MLS worker did not answer within 30 s");
    core.set((s) => ({ ...s, notice: null })); // dismissed: the next failure of the row does not show it again
    await until("the start tried again and succeeding", () => core.state.encryption === "ready");
    assert.equal(browser.starts, 3);
    assert.deepEqual(notices, ["The MLS worker did not answer within 30 s"], "the error is shown once for the row");
    assert.equal(rereads, 1);
    assert.ok(encryption.e2ee !== undefined);
  });

  it("signing out stops the retries", async () => {
    const core = new StoreCore(true);
    const browser = device(Infinity);
    const encryption = new Encryption(core, client, browser, undefined, () => {}, new Backoff({ initialMs: 20, maxMs: 20 }));
    await encryption.start();
    encryption.reset();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(browser.starts, 1);
  });
});
