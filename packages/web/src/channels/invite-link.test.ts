import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { followInviteLink, inviteTokenFromLocation, inviteUrl } from "./invite-link.js";

describe("channel invite links", () => {
  it("puts the token in the fragment and reads it back, only from /join", () => {
    const url = new URL(inviteUrl("I_1.s3cr/et", "https://chat.example"));
    assert.equal(url.pathname, "/join");
    assert.equal(inviteTokenFromLocation(url), "I_1.s3cr/et");
    assert.equal(inviteTokenFromLocation({ pathname: "/join/", hash: "#abc.def" }), "abc.def");
    assert.equal(inviteTokenFromLocation({ pathname: "/invite", hash: "#abc.def" }), null);
    assert.equal(inviteTokenFromLocation({ pathname: "/join", hash: "" }), null);
  });

  it("joins once the user is signed in, once, and reports a refusal", async () => {
    let session: "signed-in" | "signed-out" = "signed-out";
    const listeners = new Set<() => void>();
    const joined: string[] = [];
    const notices: unknown[] = [];
    const store = {
      getState: () => ({ session }),
      subscribe(listener: () => void) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      async joinChannelByInvite(token: string) {
        joined.push(token);
        throw new Error("used up");
      },
      notify: (error: unknown) => notices.push(error),
    };
    followInviteLink(store, "tok.en");
    assert.deepEqual(joined, [], "not before signing in");
    session = "signed-in";
    for (const listener of [...listeners]) listener();
    for (const listener of [...listeners]) listener();
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.deepEqual(joined, ["tok.en"]);
    assert.equal(notices.length, 1);
    assert.equal(listeners.size, 0, "stops listening");
  });
});
