import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { authLinkFromLocation, authLinkUrl } from "./auth-link.js";

const at = (pathname: string, hash = "", search = "") => authLinkFromLocation({ pathname, hash, search });

describe("invite and reset links", () => {
  it("reads the token from the fragment, or from the query string", () => {
    assert.deepEqual(at("/invite", "#I_1.abc"), { kind: "invite", token: "I_1.abc" });
    assert.deepEqual(at("/reset/", "#R_1.xyz"), { kind: "reset", token: "R_1.xyz" });
    assert.deepEqual(at("/invite", "", "?invite=I_2.def"), { kind: "invite", token: "I_2.def" });
    assert.deepEqual(at("/reset", "", "?token=R_2.ghi"), { kind: "reset", token: "R_2.ghi" });
  });

  it("is no link elsewhere or without a token", () => {
    assert.equal(at("/", "#I_1.abc"), null);
    assert.equal(at("/c/abc", "#I_1.abc"), null);
    assert.equal(at("/invite"), null);
    assert.equal(at("/invite", "#has space"), null);
  });

  it("round-trips through the address an administrator copies", () => {
    const url = new URL(authLinkUrl("https://chat.example.com", { kind: "invite", token: "I_1.abc" }));
    assert.deepEqual(authLinkFromLocation(url), { kind: "invite", token: "I_1.abc" });
  });
});
