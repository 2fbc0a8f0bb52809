import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { matchSwitchable } from "./quick-switch.js";

describe("quick switcher matching", () => {
  const items = [
    { id: "1", title: "Design team" },
    { id: "2", title: "Ann Lee" },
    { id: "3", title: "Leeds trip" },
    { id: "4", title: "Bob" },
  ];

  it("puts titles or words starting with the query first, then titles containing it, in list order", () => {
    assert.deepEqual(
      matchSwitchable("lee", items).map((i) => i.id),
      ["2", "3"],
    );
    assert.deepEqual(
      matchSwitchable("ea", items).map((i) => i.id),
      ["1"],
    );
    assert.deepEqual(
      matchSwitchable("  ", items).map((i) => i.id),
      ["1", "2", "3", "4"],
    );
    assert.deepEqual(matchSwitchable("zzz", items), []);
  });
});
