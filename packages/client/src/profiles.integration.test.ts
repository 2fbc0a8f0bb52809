// Integration: profiles through the SDK against a real server: a profile picture set from bytes and removed, its URL,
// the `user` event another client receives, and finding people with `searchUsers`, page by page.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { User } from "@parley/protocol";
import { type ParleyClient, ParleyError } from "./node.js";
import { SdkTestServer, signUp } from "./testing/real-server.js";

const PNG_1x1 = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

describe("SDK: profiles", () => {
  let server: SdkTestServer;
  let alice: ParleyClient;
  let bob: ParleyClient;
  let carol: ParleyClient;
  let aliceUser: User;
  const suffix = `${process.pid % 10_000}p`;

  before(async () => {
    server = await SdkTestServer.start({ label: "profiles" });
    [alice, bob, carol] = [server.client(), server.client(), server.client()];
    [aliceUser] = await signUp([alice, `alice_${suffix}`], [bob, `bob_${suffix}`], [carol, `carol_${suffix}`]);
    await bob.openDirect(aliceUser.id);
    await bob.subscribePresence([aliceUser.id]);
  });
  after(async () => {
    await server.close();
  });

  it("sets a picture from bytes (the other side is told), serves it at avatarUrl, and removes it", async () => {
    assert.equal(alice.avatarUrl(aliceUser), undefined, "no picture, no URL");
    const told = new Promise<User>((resolve) => bob.on("user", (u) => u.avatarId && resolve(u)));
    const updated = await alice.setAvatar(PNG_1x1, { type: "image/png" });
    assert.ok(updated.avatarId);
    assert.equal((await told).avatarId, updated.avatarId);
    const small = alice.avatarUrl(updated);
    assert.equal(small, `${server.url}/v1/avatars/${updated.avatarId}?size=small`);
    const res = await fetch(small!);
    assert.deepEqual([res.status, res.headers.get("content-type")], [200, "image/webp"]);
    assert.equal((await fetch(alice.avatarUrl(updated, "large")!)).status, 200);

    await assert.rejects(alice.setAvatar(Buffer.from("not a picture")), (error: unknown) => {
      assert.ok(error instanceof ParleyError);
      assert.equal(error.code, "unsupported_media_type");
      return true;
    });
    const removed = await alice.removeAvatar();
    assert.equal(removed.avatarId, undefined);
    assert.equal((await fetch(small!)).status, 404);
  });

  it("finds people by part of their name, a page at a time", async () => {
    const first = await bob.searchUsers(suffix, { limit: 1 });
    assert.deepEqual(
      first.users.map((u) => u.username),
      [`alice_${suffix}`],
    );
    assert.equal(first.next, `alice_${suffix}`);
    const second = await bob.searchUsers(suffix, { limit: 1, after: first.next! });
    assert.deepEqual([second.users.map((u) => u.username), second.next], [[`carol_${suffix}`], null], "never himself");
  });
});
