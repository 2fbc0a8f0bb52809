import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { linkify } from "./linkify.js";

describe("linkify", () => {
  it("returns plain text as one part", () => {
    assert.deepEqual(linkify("hello there"), [{ type: "text", text: "hello there" }]);
    assert.deepEqual(linkify(""), []);
  });

  it("finds http and https links between text", () => {
    assert.deepEqual(linkify("see https://example.org/a?b=1 and http://x.io"), [
      { type: "text", text: "see " },
      { type: "link", text: "https://example.org/a?b=1", href: "https://example.org/a?b=1" },
      { type: "text", text: " and " },
      { type: "link", text: "http://x.io", href: "http://x.io" },
    ]);
  });

  it("leaves sentence punctuation out of the link but keeps balanced parentheses", () => {
    assert.deepEqual(linkify("read https://example.org."), [
      { type: "text", text: "read " },
      { type: "link", text: "https://example.org", href: "https://example.org" },
      { type: "text", text: "." },
    ]);
    assert.equal(
      linkify("https://en.wikipedia.org/wiki/Chat_(software)")[0]?.text,
      "https://en.wikipedia.org/wiki/Chat_(software)",
    );
  });

  it("does not turn other schemes into links", () => {
    assert.deepEqual(linkify("javascript:alert(1)"), [{ type: "text", text: "javascript:alert(1)" }]);
  });
});
