import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mentionedUserIds, mentionsUser, mentionToken } from "./index.js";

describe("mention tokens", () => {
  it("finds each mentioned id once, in order of first appearance", () => {
    assert.deepEqual(mentionedUserIds("<@U_b> and <@U_a-1>, again <@U_b>"), ["U_b", "U_a-1"]);
  });

  it("ignores what is not a token", () => {
    assert.deepEqual(mentionedUserIds("@U_a <@> <@U a> <U_a> <@U/a> mail@example.com"), []);
  });

  it("tells whether a body mentions a user", () => {
    assert.equal(mentionsUser(`hi ${mentionToken("U_a")}`, "U_a"), true);
    assert.equal(mentionsUser("hi <@U_ab>", "U_a"), false);
  });
});
