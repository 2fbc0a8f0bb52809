import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { placePopover } from "./popover-position.js";

const phone = { width: 390, height: 844 };
const menu = { width: 180, height: 200 };

describe("placePopover", () => {
  it("keeps a menu anchored near either screen edge inside the viewport", () => {
    // Own message: the toggle sits near the left edge, the menu wants to end at its right edge.
    const own = placePopover({ left: 2, top: 100, width: 40, height: 40 }, menu, phone, "end");
    assert.deepEqual(own, { left: 8, top: 144 });
    // Someone else's: the toggle sits near the right edge, the menu wants to start at its left edge.
    const theirs = placePopover({ left: 350, top: 100, width: 40, height: 40 }, menu, phone, "start");
    assert.deepEqual(theirs, { left: 390 - 8 - 180, top: 144 });
  });

  it("opens above the anchor when there is no room below, and never leaves the top", () => {
    assert.deepEqual(placePopover({ left: 100, top: 780, width: 40, height: 40 }, menu, phone, "start"), {
      left: 100,
      top: 780 - 4 - 200,
    });
    const tall = placePopover({ left: 100, top: 300, width: 40, height: 40 }, { width: 180, height: 900 }, phone, "start");
    assert.equal(tall.top, 8);
  });
});
