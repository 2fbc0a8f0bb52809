import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseChatCommand } from "./chat-commands.js";

describe("chat commands", () => {
  it("parses message commands with or without #", () => {
    assert.deepEqual(parseChatCommand("/reply 5 sure,  see you"), { type: "reply", seq: 5, text: "sure,  see you" });
    assert.deepEqual(parseChatCommand("/edit #12 fixed"), { type: "edit", seq: 12, text: "fixed" });
    assert.deepEqual(parseChatCommand("/delete 7"), { type: "delete", seq: 7, forMe: false });
    assert.deepEqual(parseChatCommand("/delete 7 --me"), { type: "delete", seq: 7, forMe: true });
    assert.deepEqual(parseChatCommand("/react 3 👍"), { type: "react", seq: 3, emoji: "👍", remove: false });
    assert.deepEqual(parseChatCommand("/unreact 3 👍"), { type: "react", seq: 3, emoji: "👍", remove: true });
    assert.deepEqual(parseChatCommand("/pin #4"), { type: "pin", seq: 4, remove: false });
    assert.deepEqual(parseChatCommand("/unpin 4"), { type: "pin", seq: 4, remove: true });
    assert.deepEqual(parseChatCommand("/pins"), { type: "pins" });
    assert.deepEqual(parseChatCommand("/disappear 7d"), { type: "disappear", seconds: 604_800 });
    assert.deepEqual(parseChatCommand("/disappear off"), { type: "disappear", seconds: null });
  });

  it("answers anything else with help", () => {
    for (const line of [
      "/help",
      "/edit",
      "/edit x text",
      "/reply 5",
      "/delete 7 --all",
      "/react 3",
      "/pin",
      "/pin x",
      "/frob",
      "/disappear",
      "/disappear 2h",
    ]) {
      assert.deepEqual(parseChatCommand(line), { type: "help" }, line);
    }
  });
});
