import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { typingText } from "./typing.js";

describe("typingText", () => {
  it("is empty when nobody types", () => {
    assert.equal(typingText([], "group"), "");
    assert.equal(typingText([], "direct"), "");
  });

  it("does not repeat the name in a direct chat", () => {
    assert.equal(typingText(["Bob"], "direct"), "typing…");
  });

  it("names one or two typers and counts the rest", () => {
    assert.equal(typingText(["Bob"], "group"), "Bob is typing…");
    assert.equal(typingText(["Bob", "Carol"], "group"), "Bob and Carol are typing…");
    assert.equal(typingText(["Bob", "Carol", "Dan"], "group"), "Bob and 2 others are typing…");
  });
});
