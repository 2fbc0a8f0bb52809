import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_SEARCH_TERMS, MIN_PREFIX_LENGTH, parseSearchQuery, searchQueryProblem, searchWords } from "./search-query.js";
import { scoreMessage } from "./search-rank.js";
import { buildSnippet, SNIPPET_LENGTH } from "./search-snippet.js";

describe("parseSearchQuery", () => {
  it("splits words and quoted phrases, folding case and accents", () => {
    assert.deepEqual(parseSearchQuery('Crème "Brûlée at dawn" now'), [
      { text: "Crème", words: ["creme"], prefix: false },
      { text: "Brûlée at dawn", words: ["brulee", "at", "dawn"], prefix: false },
      { text: "now", words: ["now"], prefix: false },
    ]);
  });

  it("makes `word*` a prefix and keeps punctuation out of words", () => {
    assert.deepEqual(parseSearchQuery("deplo* a* state-of-the-art"), [
      { text: "deplo", words: ["deplo"], prefix: true },
      { text: "a", words: ["a"], prefix: true },
      { text: "state-of-the-art", words: ["state", "of", "the", "art"], prefix: false },
    ]);
  });

  it("drops terms without words and runs an unclosed quote to the end", () => {
    assert.deepEqual(parseSearchQuery(`* - ( " `), []);
    assert.deepEqual(
      parseSearchQuery('a "b c').map((t) => t.words),
      [["a"], ["b", "c"]],
    );
  });

  it("refuses more than MAX_SEARCH_TERMS terms and prefixes shorter than MIN_PREFIX_LENGTH, never cutting silently", () => {
    const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(" ");
    assert.equal(searchQueryProblem(parseSearchQuery(words(MAX_SEARCH_TERMS))), undefined);
    assert.match(searchQueryProblem(parseSearchQuery(words(MAX_SEARCH_TERMS + 1))) ?? "", /at most 8/);
    assert.equal(searchQueryProblem(parseSearchQuery("dep* 日本語* x")), undefined);
    for (const query of ["de*", "x a*", "launch-de*", "日本*"]) {
      assert.match(searchQueryProblem(parseSearchQuery(query)) ?? "", new RegExp(`at least ${MIN_PREFIX_LENGTH}`), query);
    }
  });
});

describe("scoreMessage", () => {
  it("requires every term, phrases in a row and prefixes as typed, from the message alone", () => {
    const score = (body: string, query: string) => scoreMessage(body, parseSearchQuery(query));
    assert.equal(score("deploy the rocket", "deplo* rocket"), score("deployment the rocket", "deplo* rocket"));
    assert.equal(score("depot and rocket", "deplo* rocket"), undefined);
    assert.equal(score("launch the plan", '"launch plan"'), undefined);
    assert.notEqual(score("the launch plan", '"launch plan"'), undefined);
  });

  it("ranks more occurrences in fewer words first (lower is better)", () => {
    const score = (body: string) => scoreMessage(body, parseSearchQuery("alpha"))!;
    assert.ok(score("alpha alpha beta") < score("alpha beta gamma"));
    assert.ok(score("alpha beta") < score("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu"));
  });

  it("reads letters and digits of any script", () => {
    assert.deepEqual(searchWords("Ünïcode 123 日本語, ΑΘΗΝΑ!"), ["unicode", "123", "日本語", "αθηνα"]);
  });
});

describe("buildSnippet", () => {
  it("returns a short body whole with every occurrence of every query word", () => {
    const { snippet, highlights } = buildSnippet("Launch, then LAUNCH again at the café", parseSearchQuery("launch cafe"));
    assert.equal(snippet, "Launch, then LAUNCH again at the café");
    assert.deepEqual(
      highlights.map((h) => snippet.slice(h.start, h.end)),
      ["Launch", "LAUNCH", "café"],
    );
  });

  it("cuts a long body around the densest matches on word boundaries, with ellipses and shifted ranges", () => {
    const body = `${"alpha ".repeat(50)}the needle and another needle ${"omega ".repeat(50)}`;
    const { snippet, highlights } = buildSnippet(body, parseSearchQuery("needle"));
    assert.ok(snippet.startsWith("…") && snippet.endsWith("…"), snippet);
    assert.ok(snippet.length <= SNIPPET_LENGTH + 2);
    assert.match(snippet, /^…alpha /, "the cut falls between words");
    assert.deepEqual(
      highlights.map((h) => snippet.slice(h.start, h.end)),
      ["needle", "needle"],
    );
  });

  it("highlights prefixes only as prefixes, and never splits a surrogate pair", () => {
    const { snippet, highlights } = buildSnippet("deploying the deployment of depot", parseSearchQuery("deplo*"));
    assert.deepEqual(
      highlights.map((h) => snippet.slice(h.start, h.end)),
      ["deploying", "deployment"],
    );
    const emoji = "😀".repeat(200);
    const cut = buildSnippet(emoji, parseSearchQuery("x"));
    assert.ok(!/[\uD800-\uDBFF]…$/.test(cut.snippet) && !/^…[\uDC00-\uDFFF]/.test(cut.snippet));
  });
});
