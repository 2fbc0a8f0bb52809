import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { renderFormatted } from "./formatted.js";

const names: Record<string, string> = { U_ann: "Ann" };
/** The markup React produces for a body (a mention shows as a span with the name). */
function html(body: string): string {
  const { blocks, content } = renderFormatted(body, (userId) =>
    createElement("span", { className: "mention" }, `@${names[userId] ?? "someone"}`),
  );
  return renderToStaticMarkup(createElement(blocks ? "div" : "span", null, content));
}

const ALLOWED_TAGS = new Set(["span", "div", "a", "strong", "em", "del", "code", "pre", "p", "blockquote", "ul", "ol", "li"]);
const ALLOWED_ATTRIBUTES = new Set(["class", "href", "target", "rel", "start", "data-lang"]);

describe("formatted message text", () => {
  it("renders the set: bold, italic, strikethrough, inline code", () => {
    assert.equal(
      html("**b** _i_ ~~s~~ `c`"),
      '<span><strong>b</strong> <em>i</em> <del>s</del> <code class="fmt-code">c</code></span>',
    );
    assert.equal(html("**bold _both_**"), "<span><strong>bold <em>both</em></strong></span>");
  });

  it("renders code blocks, quotes and lists as blocks", () => {
    assert.equal(
      html("```js\nif (a < b) **x**\n```"),
      '<div><pre class="fmt-pre" data-lang="js"><code>if (a &lt; b) **x**</code></pre></div>',
    );
    assert.equal(html("> q"), '<div><blockquote class="fmt-quote"><p class="fmt-p">q</p></blockquote></div>');
    assert.equal(
      html("- a\n- b"),
      '<div><ul class="fmt-list"><li><p class="fmt-p">a</p></li><li><p class="fmt-p">b</p></li></ul></div>',
    );
    assert.equal(html("7. a"), '<div><ol class="fmt-list" start="7"><li><p class="fmt-p">a</p></li></ol></div>');
  });

  it("makes links of http(s) URLs, also inside bold, without the full stop after a closing bracket", () => {
    assert.equal(
      html("**see https://x.org/Foo_(bar)**."),
      '<span><strong>see <a href="https://x.org/Foo_(bar)" target="_blank" rel="noopener noreferrer nofollow">https://x.org/Foo_(bar)</a></strong>.</span>',
    );
  });

  it("shows mentions by name, also inside formatting, and keeps line breaks", () => {
    assert.equal(html("hi _<@U_ann>_\nbye"), '<span>hi <em><span class="mention">@Ann</span></em>\nbye</span>');
  });

  it("shows unclosed markers and markers in code as typed", () => {
    assert.equal(html("**open *and `not code"), "<span>**open *and `not code</span>");
    assert.equal(html("`**not bold**`"), '<span><code class="fmt-code">**not bold**</code></span>');
  });

  it("never renders HTML or a script link (XSS attempts stay text)", () => {
    const attempts = [
      "<img src=x onerror=alert(1)>",
      '<a href="javascript:alert(1)">x</a>',
      "[x](javascript:alert(1))",
      "[x](https://x.org)",
      "![x](https://x.org/i.png)",
      "<script>alert(1)</script>",
      "javascript:alert(1)",
      "**<img src=x onerror=alert(1)>**",
      "&lt;img src=x onerror=alert(1)&gt;",
      "<javascript:alert(1)>",
      "[x]: javascript:alert(1)\n\n[x]",
    ];
    for (const body of attempts) {
      const out = html(body);
      // Every tag in the markup is one the renderer makes, with only its own attributes; links go to http(s) only.
      for (const [, tag, attrs] of out.matchAll(/<\/?([a-z]+)([^>]*)>/g)) {
        assert.ok(ALLOWED_TAGS.has(tag!), `${body} → ${out}`);
        for (const [, name] of attrs!.matchAll(/ ([a-z-]+)=/g)) assert.ok(ALLOWED_ATTRIBUTES.has(name!), `${body} → ${out}`);
      }
      for (const [, href] of out.matchAll(/href="([^"]*)"/g)) assert.match(href!, /^https?:\/\//, `${body} → ${out}`);
    }
    assert.equal(html("<img src=x onerror=alert(1)>"), "<span>&lt;img src=x onerror=alert(1)&gt;</span>");
    assert.equal(html("[x](javascript:alert(1))"), "<span>[x](javascript:alert(1))</span>");
    assert.equal(html("&lt;b&gt;"), "<span>&amp;lt;b&amp;gt;</span>", "entities are not decoded: the text shows as typed");
    assert.equal(
      html("[x](https://x.org)"),
      '<span>[x](<a href="https://x.org" target="_blank" rel="noopener noreferrer nofollow">https://x.org</a>)</span>',
    );
  });
});
