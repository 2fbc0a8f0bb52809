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

  it("drops a full stop after a closing bracket and brackets that do not belong to the link", () => {
    assert.deepEqual(linkify("See https://en.wikipedia.org/wiki/Foo_(bar)."), [
      { type: "text", text: "See " },
      { type: "link", text: "https://en.wikipedia.org/wiki/Foo_(bar)", href: "https://en.wikipedia.org/wiki/Foo_(bar)" },
      { type: "text", text: "." },
    ]);
    const links = (text: string) => linkify(text).flatMap((p) => (p.type === "link" ? [p.href] : []));
    assert.deepEqual(links("(see https://x.org/a)"), ["https://x.org/a"]);
    assert.deepEqual(links("(https://x.org/Foo_(bar))."), ["https://x.org/Foo_(bar)"]);
    assert.deepEqual(links("[https://x.org/a?q=[1]]!"), ["https://x.org/a?q=[1]"]);
    assert.deepEqual(links("https://x.org/a)...?!"), ["https://x.org/a"]);
    assert.deepEqual(links('"https://x.org/quoted"'), ["https://x.org/quoted"]);
  });

  it("does not turn other schemes into links", () => {
    assert.deepEqual(linkify("javascript:alert(1)"), [{ type: "text", text: "javascript:alert(1)" }]);
  });
});
