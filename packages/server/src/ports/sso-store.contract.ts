// The behavioural contract every SsoStore adapter must pass, run from each adapter's test (SQLite and PostgreSQL).

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { SsoStore } from "./sso-store.js";
import type { Store } from "./store.js";

export interface SsoStoreFixture {
  /** The Store whose database the SSO store shares (users are created through it). */
  store: Store;
  sso: SsoStore;
}

export function runSsoStoreContract(
  name: string,
  open: () => Promise<SsoStoreFixture>,
  cleanup: (f: SsoStoreFixture) => Promise<void>,
): void {
  describe(`SsoStore contract: ${name}`, () => {
    let f: SsoStoreFixture;
    const run = randomUUID().replaceAll("-", "").slice(0, 8);
    let counter = 0;
    const id = (prefix: string) => `${prefix}${run}${++counter}`;
    const NOW = 1_700_000_000_000;

    before(async () => {
      f = await open();
    });
    after(async () => {
      await cleanup(f);
    });

    async function user(): Promise<string> {
      const userId = id("u");
      await f.store.createUser({ id: userId, username: userId, displayName: userId, passwordHash: "x", createdAt: NOW });
      return userId;
    }

    it("a grant is taken once, by its kind, before it expires", async () => {
      const idHash = id("h");
      await f.sso.putSsoGrant({ idHash, kind: "state", data: '{"n":1}', expiresAt: NOW + 1000 });
      assert.equal(await f.sso.takeSsoGrant(idHash, "code", NOW), undefined, "another kind");
      assert.equal(await f.sso.takeSsoGrant(idHash, "state", NOW), '{"n":1}');
      assert.equal(await f.sso.takeSsoGrant(idHash, "state", NOW), undefined, "used up");
    });

    it("an expired grant is not taken (and is removed)", async () => {
      const idHash = id("h");
      await f.sso.putSsoGrant({ idHash, kind: "code", data: "{}", expiresAt: NOW + 1000 });
      assert.equal(await f.sso.takeSsoGrant(idHash, "code", NOW + 1000), undefined);
      assert.equal(await f.sso.takeSsoGrant(idHash, "code", NOW), undefined, "removed when found expired");
    });

    it("concurrent takes of one grant: exactly one wins", async () => {
      const idHash = id("h");
      await f.sso.putSsoGrant({ idHash, kind: "state", data: "{}", expiresAt: NOW + 1000 });
      const taken = await Promise.all(Array.from({ length: 8 }, () => f.sso.takeSsoGrant(idHash, "state", NOW)));
      assert.equal(taken.filter((t) => t !== undefined).length, 1);
    });

    it("links a subject to one account, and an account to one subject per issuer", async () => {
      const [a, b] = [await user(), await user()];
      const issuer = `https://idp.example/${run}`;
      const link = (subject: string, userId: string) => f.sso.linkSsoIdentity({ issuer, subject, userId, createdAt: NOW });
      assert.equal(await f.sso.ssoUserId(issuer, "s1"), undefined);
      assert.equal(await link("s1", a), true);
      assert.equal(await f.sso.ssoUserId(issuer, "s1"), a);
      assert.equal(await link("s1", b), false, "the subject is linked already");
      assert.equal(await link("s2", a), false, "the account has a subject of this issuer");
      assert.equal(await f.sso.ssoUserId(issuer, "s1"), a, "unchanged");
      assert.equal(await f.sso.ssoUserId(`${issuer}/other`, "s1"), undefined, "subjects are per issuer");
      assert.equal(await f.sso.linkSsoIdentity({ issuer: `${issuer}/other`, subject: "s1", userId: a, createdAt: NOW }), true);
    });
  });
}
