// The closer stack: reverse order, every closer runs even after one fails, failures logged by name, unwound once.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Lifecycle } from "./lifecycle.js";
import { createLogger } from "./logger.js";

function capture() {
  const lines: { msg: string; resource?: string; err?: { message: string } }[] = [];
  const log = createLogger({ logLevel: "error" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { log, lines };
}

describe("Lifecycle", () => {
  it("closes last opened first, and every closer runs although one fails; the failure is logged and returned", async () => {
    const { log, lines } = capture();
    const lifecycle = new Lifecycle(log);
    const closed: string[] = [];
    const broken = new Error("socket already gone");
    lifecycle.defer("store", () => void closed.push("store"));
    lifecycle.defer("bus", async () => {
      closed.push("bus");
      throw broken;
    });
    lifecycle.defer("listener", async () => {
      await new Promise((r) => setTimeout(r, 5));
      closed.push("listener");
    });
    assert.deepEqual(await lifecycle.unwind(), [broken]);
    assert.deepEqual(closed, ["listener", "bus", "store"]);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.msg, "closing failed");
    assert.equal(lines[0]?.resource, "bus");
    assert.equal(lines[0]?.err?.message, "socket already gone");
  });

  it("unwinds once: a second call shares the first, and nothing may be opened once it began", async () => {
    const lifecycle = new Lifecycle(capture().log);
    let closes = 0;
    lifecycle.defer("timer", () => void closes++);
    const first = lifecycle.unwind();
    assert.equal(lifecycle.unwind(), first);
    await first;
    assert.equal(closes, 1);
    assert.throws(() => lifecycle.defer("late", () => {}), /late was opened while the node was closing/);
  });
});
