import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startOfDay, toFilters } from "./search-filters.js";

describe("search filters", () => {
  it("maps a local day range to exclusive bounds covering both days", () => {
    const from = new Date(2026, 2, 1).getTime();
    const afterTo = new Date(2026, 2, 4).getTime();
    assert.deepEqual(toFilters({ conversationId: "c1", senderId: "u1", from: "2026-03-01", to: "2026-03-03" }, 10), {
      limit: 10,
      conversationId: "c1",
      senderId: "u1",
      after: from - 1,
      before: afterTo,
    });
  });

  it("leaves out empty and malformed fields", () => {
    assert.deepEqual(toFilters({ conversationId: null, senderId: "", from: "", to: "03/04/2026" }), { limit: 20 });
    assert.equal(startOfDay("2026-13-01"), undefined);
    assert.equal(startOfDay("2026-02-30"), undefined);
    assert.equal(startOfDay("nope"), undefined);
    assert.equal(startOfDay("2024-02-29"), new Date(2024, 1, 29).getTime());
  });
});
