import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fingerprintDigits, safetyNumber } from "./safety-number.js";

const key = (n: number) => Uint8Array.from({ length: 32 }, (_, i) => (n * 31 + i) & 0xff);

describe("safety numbers", () => {
  const ann = { userId: "U_ann", deviceKeys: [key(1), key(2)] };
  const bob = { userId: "U_bob", deviceKeys: [key(3)] };

  it("are 12 groups of 5 digits, the same on both sides and whatever the order of the devices", () => {
    const number = safetyNumber(ann, bob);
    assert.equal(number.length, 12);
    for (const group of number) assert.match(group, /^\d{5}$/);
    assert.deepEqual(safetyNumber(bob, ann), number);
    assert.deepEqual(safetyNumber({ ...ann, deviceKeys: [key(2), key(1)] }, bob), number);
  });

  it("change when a device is added, removed or re-keyed, or when the user differs", () => {
    const number = safetyNumber(ann, bob).join("");
    assert.notEqual(safetyNumber({ ...ann, deviceKeys: [key(1)] }, bob).join(""), number);
    assert.notEqual(safetyNumber({ ...ann, deviceKeys: [key(1), key(2), key(4)] }, bob).join(""), number);
    assert.notEqual(safetyNumber(ann, { ...bob, deviceKeys: [key(5)] }).join(""), number);
    assert.notEqual(safetyNumber(ann, { ...bob, userId: "U_eve" }).join(""), number);
  });

  it("put the smaller half first, each half the user's own 30 digits", () => {
    const halves = [fingerprintDigits(ann.userId, ann.deviceKeys), fingerprintDigits(bob.userId, bob.deviceKeys)];
    assert.equal(halves[0]!.length, 30);
    assert.equal(safetyNumber(ann, bob).join(""), [...halves].sort().join(""));
  });
});
