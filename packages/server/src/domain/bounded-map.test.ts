import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setNewest } from "./bounded-map.js";

describe("setNewest", () => {
  it("keeps at most capacity entries, dropping the least recently set", () => {
    const map = new Map<string, number>();
    setNewest(map, "a", 1, 2);
    setNewest(map, "b", 2, 2);
    setNewest(map, "a", 3, 2); // a is now newer than b
    setNewest(map, "c", 4, 2);
    assert.deepEqual(
      [...map],
      [
        ["a", 3],
        ["c", 4],
      ],
    );
  });

  it("keeps nothing with capacity 0", () => {
    const map = new Map<string, number>();
    setNewest(map, "a", 1, 0);
    assert.equal(map.size, 0);
  });
});
