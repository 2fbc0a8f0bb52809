import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createIdGenerator, newClientId } from "./ids.js";

const UUIDV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("client ids (UUIDv7)", () => {
  it("have the UUIDv7 layout and carry the timestamp", () => {
    const id = createIdGenerator({ now: () => 0x0123456789ab })();
    assert.match(id, UUIDV7);
    assert.ok(id.startsWith("01234567-89ab-7"));
    assert.match(newClientId(), UUIDV7);
  });

  it("increase strictly, also within one millisecond and when the clock steps back", () => {
    let t = 1_700_000_000_000;
    const clock = [0, 0, 0, -5, -5, 1, 1];
    let i = 0;
    const next = createIdGenerator({ now: () => t + (clock[i++ % clock.length] ?? 0) });
    const ids = Array.from({ length: 5000 }, () => next());
    for (let k = 1; k < ids.length; k++) assert.ok(ids[k - 1]! < ids[k]!, `${ids[k - 1]} !< ${ids[k]}`);
    assert.equal(new Set(ids).size, ids.length);
    t += 1;
  });

  it("sort by creation time across milliseconds", () => {
    let t = 1000;
    const next = createIdGenerator({ now: () => t });
    const a = next();
    t = 2000;
    const b = next();
    assert.ok(a < b);
  });
});
