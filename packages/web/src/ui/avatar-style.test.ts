import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { avatarHue, initials } from "./avatar-style.js";

describe("initials", () => {
  it("takes the first letters of the first and last word", () => {
    assert.equal(initials("Ann Lee"), "AL");
    assert.equal(initials("  ann   marie   lee "), "AL");
    assert.equal(initials("bob"), "B");
    assert.equal(initials(""), "?");
  });

  it("keeps emoji and accented letters whole", () => {
    assert.equal(initials("😀 Party"), "😀P");
    assert.equal(initials("élodie"), "É");
  });
});

describe("avatarHue", () => {
  it("is stable and within the color wheel", () => {
    assert.equal(avatarHue("U_ann"), avatarHue("U_ann"));
    for (const id of ["a", "U_ann", "U_bob", "C_team", ""]) {
      const hue = avatarHue(id);
      assert.ok(Number.isInteger(hue) && hue >= 0 && hue < 360);
    }
    assert.notEqual(avatarHue("U_ann"), avatarHue("U_bob"));
  });
});
