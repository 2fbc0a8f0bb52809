import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  bodyAsText,
  decodeMentions,
  encodeMentions,
  insertMention,
  matchCandidates,
  mentionParts,
  mentionQuery,
} from "./mention-text.js";

const names: Record<string, string> = { U_ann: "Ann Lee", U_bob: "Bob", U_bobby: "Bob Ross" };
const nameOf = (id: string) => names[id] ?? "someone";

describe("mention text", () => {
  it("splits a body into text and mentions, marking the reader's own", () => {
    assert.deepEqual(mentionParts("hi <@U_ann> and <@U_bob>!", nameOf, "U_bob"), [
      { type: "text", text: "hi " },
      { type: "mention", userId: "U_ann", label: "@Ann Lee", self: false },
      { type: "text", text: " and " },
      { type: "mention", userId: "U_bob", label: "@Bob", self: true },
      { type: "text", text: "!" },
    ]);
    assert.equal(bodyAsText("<@U_x> hi", nameOf), "@someone hi");
    assert.equal(bodyAsText("**<@U_ann>** said _hi_", nameOf), "@Ann Lee said hi", "without formatting markers");
  });

  it("encodes picked labels as tokens, the longest label first, and decodes them back", () => {
    const picked = [
      { userId: "U_bob", label: "@Bob" },
      { userId: "U_bobby", label: "@Bob Ross" },
    ];
    const body = encodeMentions("@Bob Ross and @Bob, not Bob", picked);
    assert.equal(body, "<@U_bobby> and <@U_bob>, not Bob");
    const back = decodeMentions(body, nameOf);
    assert.equal(back.text, "@Bob Ross and @Bob, not Bob");
    assert.equal(encodeMentions(back.text, back.picked), body);
    assert.equal(encodeMentions("@Bob", []), "@Bob", "typed by hand, not picked: plain text");
    assert.equal(encodeMentions("@Bobby and @Bob.", picked), "@Bobby and <@U_bob>.", "a whole word only");
    assert.equal(encodeMentions("@A.B (x) and @A.Bc", [{ userId: "U_x", label: "@A.B (x)" }]), "<@U_x> and @A.Bc");
  });

  it("finds the @query before the caret, not in an e-mail address or across lines", () => {
    assert.deepEqual(mentionQuery("hi @an", 6), { start: 3, query: "an" });
    assert.deepEqual(mentionQuery("@", 1), { start: 0, query: "" });
    assert.deepEqual(mentionQuery("hi @Ann L", 9), { start: 3, query: "Ann L" });
    assert.equal(mentionQuery("mail@example", 12), null);
    assert.equal(mentionQuery("@an\nx", 5), null);
    assert.equal(mentionQuery("@ an", 4), null);
  });

  it("matches names and usernames by prefix, names first", () => {
    const people = [
      { userId: "U_bob", displayName: "Bob", username: "bob" },
      { userId: "U_ann", displayName: "Ann Lee", username: "ann_l" },
      { userId: "U_lee", displayName: "Zed", username: "lee" },
    ];
    assert.deepEqual(
      matchCandidates("lee", people).map((c) => c.userId),
      ["U_lee", "U_ann"],
    );
    assert.deepEqual(
      matchCandidates("", people).map((c) => c.userId),
      ["U_ann", "U_bob", "U_lee"],
    );
    assert.deepEqual(matchCandidates("x", people), []);
  });

  it("inserts the label in place of the query", () => {
    assert.deepEqual(insertMention("hi @an there", 3, 6, "@Ann Lee"), { text: "hi @Ann Lee  there", caret: 12 });
  });
});
