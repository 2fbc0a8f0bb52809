import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { VerifiedTokens } from "./verified-tokens.js";

const claims = (n: number) => ({ userId: `u${n}`, sessionId: `s${n}` });

describe("VerifiedTokens", () => {
  it("answers a remembered token until its expiry, then forgets it", () => {
    const cache = new VerifiedTokens(10);
    cache.put("a.b.c", claims(1), 5000);
    assert.deepEqual({ ...cache.get("a.b.c", 4999) }, { ...claims(1), expiresAt: 5000 });
    assert.equal(cache.get("other", 0), undefined);
    // jose: expired once exp <= floor(now / 1000), i.e. from exp × 1000 on.
    assert.equal(cache.get("a.b.c", 5000), undefined);
    assert.equal(cache.size, 0, "the expired entry is dropped");
    assert.equal(cache.get("a.b.c", 0), undefined, "and not served again, even for an earlier clock");
  });

  it("keys by the whole token, not a part of it", () => {
    const cache = new VerifiedTokens(10);
    cache.put("h.p1.sig", claims(1), 10_000);
    assert.equal(cache.get("h.p2.sig", 0), undefined);
  });

  it("stays within its capacity, evicting the oldest entry", () => {
    const cache = new VerifiedTokens(3);
    for (let i = 1; i <= 3; i++) cache.put(`t${i}`, claims(i), 10_000);
    cache.put("t1", claims(1), 10_000); // put again: now the newest
    cache.put("t4", claims(4), 10_000);
    assert.equal(cache.size, 3);
    assert.equal(cache.get("t2", 0), undefined, "t2 was the oldest");
    for (const t of ["t1", "t3", "t4"]) assert.ok(cache.get(t, 0), `${t} kept`);
  });

  it("keeps nothing with capacity 0 or without an expiry, and refuses a bad capacity", () => {
    const off = new VerifiedTokens(0);
    off.put("t", claims(1), 10_000);
    assert.equal(off.get("t", 0), undefined);
    const cache = new VerifiedTokens(5);
    cache.put("t", claims(1), Number.NaN);
    cache.put("u", claims(2), Number.POSITIVE_INFINITY);
    assert.equal(cache.size, 0);
    assert.throws(() => new VerifiedTokens(-1), RangeError);
    assert.throws(() => new VerifiedTokens(1.5), RangeError);
  });
});
