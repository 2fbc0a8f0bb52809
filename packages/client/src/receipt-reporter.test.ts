import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { OpArgs } from "@parley/protocol";
import { ParleyError } from "./errors.js";
import { ReceiptReporter } from "./receipt-reporter.js";
import { FakeTimers } from "./testing/fake-timers.js";

function setup(fail?: () => ParleyError | undefined) {
  const timers = new FakeTimers();
  const sent: OpArgs<"receipts.mark">[] = [];
  const reporter = new ReceiptReporter({
    send: async (args) => {
      sent.push(args);
      const error = fail?.();
      if (error) throw error;
      return { userId: "me", deliveredSeq: args.delivered ?? args.read ?? 0, readSeq: args.read ?? 0 };
    },
    delayMs: 150,
    timers,
  });
  return { timers, sent, reporter };
}

describe("ReceiptReporter", () => {
  it("coalesces watermarks per conversation within the window", async () => {
    const { timers, sent, reporter } = setup();
    reporter.setOnline(true);
    await timers.advance(0);
    reporter.delivered("c1", 3);
    reporter.delivered("c1", 5);
    reporter.delivered("c1", 4);
    reporter.delivered("c2", 1);
    await timers.advance(149);
    assert.equal(sent.length, 0);
    await timers.advance(1);
    assert.deepEqual(sent, [
      { conversationId: "c1", delivered: 5 },
      { conversationId: "c2", delivered: 1 },
    ]);
    reporter.delivered("c1", 5);
    await timers.advance(500);
    assert.equal(sent.length, 2, "nothing new, nothing sent");
  });

  it("sends read alone when it covers delivered (read implies delivered)", async () => {
    const { timers, sent, reporter } = setup();
    reporter.setOnline(true);
    reporter.delivered("c1", 5);
    reporter.read("c1", 5);
    await timers.advance(150);
    assert.deepEqual(sent, [{ conversationId: "c1", read: 5 }]);
    reporter.delivered("c1", 8);
    reporter.read("c1", 6);
    await timers.advance(150);
    assert.deepEqual(sent[1], { conversationId: "c1", read: 6, delivered: 8 });
  });

  it("waits while offline and retries what failed after reconnecting", async () => {
    let failing = true;
    const { timers, sent, reporter } = setup(() => (failing ? new ParleyError("connection_closed", "x") : undefined));
    reporter.read("c1", 2);
    await timers.advance(1000);
    assert.equal(sent.length, 0, "nothing goes out offline");
    reporter.setOnline(true);
    await timers.advance(0);
    assert.equal(sent.length, 1);
    reporter.setOnline(false);
    failing = false;
    reporter.setOnline(true);
    await timers.advance(0);
    assert.deepEqual(sent[1], { conversationId: "c1", read: 2 });
    reporter.setOnline(false);
    reporter.setOnline(true);
    await timers.advance(500);
    assert.equal(sent.length, 2, "reported once it succeeded");
  });
});
