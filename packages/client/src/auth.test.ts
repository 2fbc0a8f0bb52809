import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AuthResult } from "@parley/protocol";
import { AuthSession, type Credentials } from "./auth.js";
import { ParleyError } from "./errors.js";

const user = { id: "u1", username: "ann", displayName: "Ann", createdAt: 0 };

function result(n: number): AuthResult {
  return { user, sessionId: "s1", accessToken: `a${n}`, refreshToken: `r${n}`, expiresIn: 900 };
}

describe("AuthSession", () => {
  it("shares one refresh among concurrent callers and reports the change", async () => {
    let now = 0;
    let calls = 0;
    let release: () => void = () => {};
    const session = new AuthSession({
      refresh: (rt) => {
        calls++;
        assert.equal(rt, "r1");
        return new Promise((resolve) => {
          release = () => resolve(result(2));
        });
      },
      now: () => now,
    });
    const changes: (Credentials | undefined)[] = [];
    session.on("change", (c) => changes.push(c));
    session.set(result(1));
    now = 1000;
    const a = session.refresh("a1");
    const b = session.refresh("a1");
    release();
    assert.deepEqual(await Promise.all([a, b]), ["a2", "a2"]);
    assert.equal(calls, 1);
    assert.equal(session.credentials?.accessExpiresAt, 1000 + 900_000);
    assert.equal(changes.length, 2);
    // A caller that still holds the old token gets the new one without another refresh.
    assert.equal(await session.refresh("a1"), "a2");
    assert.equal(calls, 1);
  });

  it("refreshes ahead of expiry", async () => {
    let now = 0;
    const session = new AuthSession({ refresh: async () => result(2), now: () => now });
    session.set(result(1));
    assert.equal(await session.accessToken(), "a1");
    now = 900_000 - 10_000;
    assert.equal(await session.accessToken(), "a2");
  });

  it("clears the credentials and reports loss when the refresh token is refused", async () => {
    const refused = new ParleyError("invalid_refresh_token", "revoked");
    const session = new AuthSession({
      refresh: async () => {
        throw refused;
      },
    });
    const lost: ParleyError[] = [];
    session.on("lost", (e) => lost.push(e));
    session.set(result(1));
    await assert.rejects(session.refresh("a1"), refused);
    assert.equal(session.credentials, undefined);
    assert.deepEqual(lost, [refused]);
  });

  it("keeps the credentials when the refresh fails for a transient reason", async () => {
    const session = new AuthSession({
      refresh: async () => {
        throw new ParleyError("network_error", "offline");
      },
    });
    session.set(result(1));
    await assert.rejects(session.refresh("a1"), /offline/);
    assert.equal(session.credentials?.accessToken, "a1");
  });
});
