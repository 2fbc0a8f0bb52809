import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formattedAsPlainText, findLinks as linkify, MAX_FORMAT_DEPTH, parseFormatting } from "./formatting.js";

describe("links (findLinks)", () => {
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
  it("leaves formatting markers and backticks around a link out of it", () => {
    const links = (text: string) => linkify(text).flatMap((p) => (p.type === "link" ? [p.href] : []));
    assert.deepEqual(links("**https://x.org/a**"), ["https://x.org/a"]);
    assert.deepEqual(links("_https://x.org/a_b_"), ["https://x.org/a_b"]);
    assert.deepEqual(links("~~https://x.org/a~~"), ["https://x.org/a"]);
    assert.deepEqual(links("`https://x.org/a`b"), ["https://x.org/a"]);
  });
});

const text = (t: string) => ({ type: "text", text: t });
const para = (...children: unknown[]) => ({ type: "paragraph", children });

describe("formatting (parseFormatting)", () => {
  it("reads plain text as one paragraph, line breaks kept", () => {
    assert.deepEqual(parseFormatting("hello"), [para(text("hello"))]);
    assert.deepEqual(parseFormatting("a\nb"), [para(text("a"), { type: "break" }, text("b"))]);
    assert.deepEqual(parseFormatting(""), []);
  });

  it("reads bold, italic, strikethrough and inline code, nested", () => {
    assert.deepEqual(parseFormatting("**b** *i* _i_ ~~s~~ `c`"), [
      para(
        { type: "strong", children: [text("b")] },
        text(" "),
        { type: "emphasis", children: [text("i")] },
        text(" "),
        { type: "emphasis", children: [text("i")] },
        text(" "),
        { type: "strike", children: [text("s")] },
        text(" "),
        { type: "code", text: "c" },
      ),
    ]);
    assert.deepEqual(parseFormatting("**bold _and italic_**"), [
      para({ type: "strong", children: [text("bold "), { type: "emphasis", children: [text("and italic")] }] }),
    ]);
  });

  it("shows unclosed markers as they were typed", () => {
    assert.deepEqual(parseFormatting("**not closed"), [para(text("**not closed"))]);
    assert.deepEqual(parseFormatting("a * b _ c ~~ d `e"), [para(text("a * b _ c ~~ d `e"))]);
    assert.deepEqual(parseFormatting("2*3*4 snake_case_name"), [
      para(text("2"), { type: "emphasis", children: [text("3")] }, text("4 snake_case_name")),
    ]);
  });

  it("keeps markers, links and mentions inside code as text", () => {
    assert.deepEqual(parseFormatting("`**x** https://x.org <@U_a>`"), [
      para({ type: "code", text: "**x** https://x.org <@U_a>" }),
    ]);
    assert.deepEqual(parseFormatting("```ts\nconst a = *b*; // https://x.org\n<@U_a>\n```"), [
      { type: "code", lang: "ts", text: "const a = *b*; // https://x.org\n<@U_a>" },
    ]);
    assert.deepEqual(parseFormatting("```\nnever closed **x**"), [{ type: "code", text: "never closed **x**" }]);
  });

  it("finds links and mentions inside formatting, and never reads markers inside them", () => {
    assert.deepEqual(parseFormatting("**see https://x.org/a_b_c**."), [
      para(
        { type: "strong", children: [text("see "), { type: "link", href: "https://x.org/a_b_c", text: "https://x.org/a_b_c" }] },
        text("."),
      ),
    ]);
    assert.deepEqual(parseFormatting("https://x.org/*a*/b"), [
      para({ type: "link", href: "https://x.org/*a*/b", text: "https://x.org/*a*/b" }),
    ]);
    assert.deepEqual(parseFormatting("<@_ab> and <@cd_>"), [
      para({ type: "mention", userId: "_ab" }, text(" and "), { type: "mention", userId: "cd_" }),
    ]);
    assert.deepEqual(parseFormatting("_<@U_a>_"), [para({ type: "emphasis", children: [{ type: "mention", userId: "U_a" }] })]);
  });

  it("reads block quotes and bullet and numbered lists", () => {
    assert.deepEqual(parseFormatting("> quoted\n> **more**\n\nafter"), [
      { type: "quote", children: [para(text("quoted"), { type: "break" }, { type: "strong", children: [text("more")] })] },
      para(text("after")),
    ]);
    assert.deepEqual(parseFormatting("- a\n- b\n\n3. c\n4. d"), [
      { type: "list", ordered: false, items: [[para(text("a"))], [para(text("b"))]] },
      { type: "list", ordered: true, start: 3, items: [[para(text("c"))], [para(text("d"))]] },
    ]);
  });

  it("renders nothing outside the set: headings, links, images, HTML, entities, rules stay text", () => {
    for (const body of [
      "# heading",
      "[x](javascript:alert(1))",
      "![x](https://x.org/i.png)",
      "<img src=x onerror=alert(1)>",
      "<script>alert(1)</script>",
      "&lt;b&gt; &amp;",
      "<https://x.org>",
      "[ref]: https://x.org",
    ]) {
      const out = JSON.stringify(parseFormatting(body));
      assert.ok(!out.includes('"javascript'), body);
      const plain = formattedAsPlainText(body, () => "x");
      assert.equal(plain.replace(/https:\/\/x\.org/, ""), body.replace(/https:\/\/x\.org/, ""), `${body} stays as typed`);
    }
    assert.deepEqual(parseFormatting("[x](javascript:alert(1))"), [para(text("[x](javascript:alert(1))"))]);
    assert.deepEqual(parseFormatting("---\n    indented"), [para(text("---"), { type: "break" }, text("indented"))]);
  });

  it("flattens nesting deeper than the limit into text", () => {
    const deep = `${">".repeat(200)} deep **x**`;
    let node = parseFormatting(deep)[0] as { type: string; children?: unknown[] };
    let depth = 0;
    while (node.type === "quote") {
      node = node.children![0] as typeof node;
      depth++;
    }
    assert.equal(depth, MAX_FORMAT_DEPTH);
    assert.equal(node.type, "paragraph");
  });

  it("keeps private-use characters typed by the user", () => {
    assert.deepEqual(parseFormatting("a\ue000b \uf8ff"), [para(text("a\ue000b \uf8ff"))]);
  });
});

describe("formattedAsPlainText", () => {
  it("drops the markers and names mentions", () => {
    const nameOf = (id: string) => (id === "U_a" ? "Ann" : "someone");
    assert.equal(formattedAsPlainText("**hi** _<@U_a>_, see ~~x~~ `y` https://x.org", nameOf), "hi @Ann, see x y https://x.org");
    assert.equal(formattedAsPlainText("> q\n\n- a\n- b", nameOf), "q\na\nb");
    assert.equal(formattedAsPlainText("**open", nameOf), "**open");
  });
});
