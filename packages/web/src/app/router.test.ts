import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { conversationIdFromPath, pathForConversation } from "./router.js";

describe("conversation paths", () => {
  it("round-trips an id", () => {
    assert.equal(pathForConversation("C_abc-1"), "/c/C_abc-1");
    assert.equal(conversationIdFromPath("/c/C_abc-1"), "C_abc-1");
    assert.equal(conversationIdFromPath("/c/C_abc-1/"), "C_abc-1");
    assert.equal(pathForConversation(null), "/");
  });

  it("ignores other paths and ids that are not protocol ids", () => {
    assert.equal(conversationIdFromPath("/"), null);
    assert.equal(conversationIdFromPath("/settings"), null);
    assert.equal(conversationIdFromPath("/c/"), null);
    assert.equal(conversationIdFromPath("/c/a%2Fb"), null);
    assert.equal(conversationIdFromPath(`/c/${"x".repeat(65)}`), null);
  });
});
