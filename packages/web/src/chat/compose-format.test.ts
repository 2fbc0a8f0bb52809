import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseFormatting } from "@parley/protocol";
import { toggleMarker } from "./compose-format.js";

describe("composer formatting shortcuts", () => {
  it("wraps the selection and keeps it selected", () => {
    assert.deepEqual(toggleMarker("make this bold", 5, 9, "**"), {
      text: "make **this** bold",
      selectionStart: 7,
      selectionEnd: 11,
    });
    assert.equal(parseFormatting(toggleMarker("make this bold", 5, 9, "**").text)[0]?.type, "paragraph");
  });

  it("unwraps a selection that is already wrapped, inside or outside the markers", () => {
    assert.deepEqual(toggleMarker("make **this** bold", 7, 11, "**"), {
      text: "make this bold",
      selectionStart: 5,
      selectionEnd: 9,
    });
    assert.deepEqual(toggleMarker("make _this_ x", 5, 11, "_"), { text: "make this x", selectionStart: 5, selectionEnd: 9 });
  });

  it("inserts a pair of markers at the caret without a selection", () => {
    assert.deepEqual(toggleMarker("ab", 1, 1, "_"), { text: "a__b", selectionStart: 2, selectionEnd: 2 });
  });
});
