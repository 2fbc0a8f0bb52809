// HTTP and WebSocket tests for accounts, sessions and tokens.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SignJWT } from "jose";
import WebSocket from "ws";
import { expiredAccessToken, http, RawClient, register, startTestServer, type TestServer } from "./harness.js";

describe("accounts and sessions", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it("registers, logs in on a second device, and reads the profile", async () => {
    const res = await http(server, "POST", "/v1/auth/register", {
      username: "ann",
      password: "long enough pw",
      displayName: "Ann A.",
    });
    assert.equal(res.status, 201);
    assert.equal(res.body.user.username, "ann");
    assert.equal(res.body.user.displayName, "Ann A.");
    assert.equal(res.body.expiresIn, 900);
    const second = await http(server, "POST", "/v1/auth/login", {
      username: "ann",
      password: "long enough pw",
      deviceName: "tablet",
    });
    assert.equal(second.status, 200);
    assert.notEqual(second.body.sessionId, res.body.sessionId);
    const me = await http(server, "GET", "/v1/me", undefined, second.body.accessToken);
    assert.equal(me.body.id, res.body.user.id);
    const renamed = await http(server, "PATCH", "/v1/me", { displayName: "Ann B." }, res.body.accessToken);
    assert.equal(renamed.body.displayName, "Ann B.");
    const found = await http(server, "GET", "/v1/users/by-username/ann", undefined, second.body.accessToken);
    assert.equal(found.body.displayName, "Ann B.");
    assert.equal(found.body.passwordHash, undefined);
  });

  it("stores passwords as argon2id hashes", async () => {
    await register(server, "hashcheck");
    // With WAL, recent writes are in the -wal file until a checkpoint.
    const db = Buffer.concat(
      ["parley.db", "parley.db-wal"].map((f) => {
        try {
          return readFileSync(join(server.dataDir, f));
        } catch {
          return Buffer.alloc(0);
        }
      }),
    );
    assert.ok(db.includes("$argon2id$"), "an argon2id hash is stored");
    assert.ok(!db.includes("correct horse battery"), "the password is not stored");
  });

  it("answers taken usernames with 409, bad input with 400 naming the field", async () => {
    await register(server, "taken");
    const taken = await http(server, "POST", "/v1/auth/register", { username: "taken", password: "long enough pw" });
    assert.deepEqual([taken.status, taken.body.error.code, taken.body.error.details.field], [409, "username_taken", "username"]);
    const weak = await http(server, "POST", "/v1/auth/register", { username: "weakling", password: "short" });
    assert.deepEqual([weak.status, weak.body.error.code, weak.body.error.details.field], [400, "weak_password", "password"]);
    const badName = await http(server, "POST", "/v1/auth/register", { username: "Bad Name!", password: "long enough pw" });
    assert.deepEqual(
      [badName.status, badName.body.error.code, badName.body.error.details.field],
      [400, "validation_failed", "username"],
    );
    const missing = await http(server, "POST", "/v1/auth/register", { password: "long enough pw" });
    assert.equal(missing.body.error.details.field, "username");
    const notJson = await fetch(`${server.url}/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{nope",
    });
    assert.equal(notJson.status, 400);
    assert.equal(((await notJson.json()) as { error: { code: string } }).error.code, "invalid_json");
  });

  it("gives the same 401 for an unknown user and a wrong password", async () => {
    await register(server, "carl");
    const wrong = await http(server, "POST", "/v1/auth/login", { username: "carl", password: "wrong password" });
    const unknown = await http(server, "POST", "/v1/auth/login", { username: "nobody", password: "wrong password" });
    assert.equal(wrong.status, 401);
    assert.deepEqual(wrong.body, unknown.body);
  });

  it("rotates refresh tokens and revokes the session when an old one is replayed", async () => {
    const user = await register(server, "rotator");
    const r1 = await http(server, "POST", "/v1/auth/refresh", { refreshToken: user.refreshToken });
    assert.equal(r1.status, 200);
    assert.notEqual(r1.body.refreshToken, user.refreshToken);
    assert.equal(r1.body.sessionId, user.sessionId);
    const replay = await http(server, "POST", "/v1/auth/refresh", { refreshToken: user.refreshToken });
    assert.deepEqual([replay.status, replay.body.error.code], [401, "invalid_refresh_token"]);
    const afterTheft = await http(server, "POST", "/v1/auth/refresh", { refreshToken: r1.body.refreshToken });
    assert.equal(afterTheft.status, 401, "the replay revoked the whole session");
    const me = await http(server, "GET", "/v1/me", undefined, r1.body.accessToken);
    assert.equal(me.status, 401);
  });

  it("logout revokes the refresh token and closes that device's sockets with 4102", async () => {
    const user = await register(server, "leaver");
    const other = await http(server, "POST", "/v1/auth/login", { username: "leaver", password: "correct horse battery" });
    const ws = await RawClient.connect(server, user.accessToken);
    const otherWs = await RawClient.connect(server, other.body.accessToken);
    const out = await http(server, "POST", "/v1/auth/logout", {}, user.accessToken);
    assert.equal(out.status, 200);
    assert.equal(await ws.closed, 4102);
    const refresh = await http(server, "POST", "/v1/auth/refresh", { refreshToken: user.refreshToken });
    assert.equal(refresh.status, 401);
    assert.equal(otherWs.closeCode, undefined, "the other device stays connected");
    await otherWs.request("ping", {});
    await otherWs.close();
  });

  it("refuses a token it verified before once its session is revoked (the verified-token cache keeps no session)", async () => {
    const user = await register(server, "cached");
    const first = await RawClient.connect(server, user.accessToken);
    const second = await RawClient.connect(server, user.accessToken); // the same token again: served from the cache
    assert.equal((await http(server, "GET", "/v1/me", undefined, user.accessToken)).status, 200);
    assert.equal((await http(server, "POST", "/v1/auth/logout", {}, user.accessToken)).status, 200);
    assert.equal(await first.closed, 4102);
    assert.equal(await second.closed, 4102);
    const me = await http(server, "GET", "/v1/me", undefined, user.accessToken);
    assert.deepEqual([me.status, me.body.error.code, me.body.error.details?.reason], [401, "unauthorized", "session_revoked"]);
    const again = await RawClient.open(server);
    await assert.rejects(again.request("hello", { versions: [1], token: user.accessToken }));
    assert.equal(await again.closed, 4102);
  });

  it("refuses expired and forged tokens over HTTP and WebSocket", async () => {
    const user = await register(server, "tokens");
    const expired = await expiredAccessToken(server, user);
    const forged = await new SignJWT({ sid: user.sessionId })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(user.user.id)
      .setIssuer("parley")
      .setExpirationTime("10m")
      .sign(new TextEncoder().encode("x".repeat(48)));
    const e1 = await http(server, "GET", "/v1/me", undefined, expired);
    assert.deepEqual([e1.status, e1.body.error.code], [401, "token_expired"]);
    const e2 = await http(server, "GET", "/v1/me", undefined, forged);
    assert.deepEqual([e2.status, e2.body.error.code], [401, "unauthorized"]);
    const e3 = await http(server, "GET", "/v1/conversations");
    assert.deepEqual([e3.status, e3.body.error.code], [401, "unauthorized"]);
    const c1 = await RawClient.open(server);
    await assert.rejects(c1.request("hello", { versions: [1], token: expired }));
    assert.equal(await c1.closed, 4101);
    const c2 = await RawClient.open(server);
    await assert.rejects(c2.request("hello", { versions: [1], token: forged }));
    assert.equal(await c2.closed, 4100);
  });

  it("accepts the token in a subprotocol header instead of the hello frame, never in the URL", async () => {
    const user = await register(server, "subproto");
    const c = await RawClient.open(server, { protocols: ["parley.v1", `parley.token.${user.accessToken}`] });
    assert.equal(c.ws.protocol, "parley.v1");
    const welcome = await c.request("hello", { versions: [1] });
    assert.equal(welcome.user.id, user.user.id);
    assert.equal(welcome.version, 1);
    assert.ok(welcome.limits.maxMessageBytes > 0);
    await c.close();
    const viaUrl = new WebSocket(`${server.wsUrl}?token=${user.accessToken}`);
    const client = await new Promise<RawClient>((resolve) => viaUrl.once("open", () => resolve(new RawClient(viaUrl))));
    await assert.rejects(client.request("hello", { versions: [1] }));
    assert.equal(await client.closed, 4100);
  });

  it("manages contacts", async () => {
    const u = await register(server, "contacter");
    const friend = await register(server, "friend1");
    const added = await http(server, "PUT", `/v1/contacts/${friend.user.id}`, {}, u.accessToken);
    assert.deepEqual(
      added.body.contacts.map((x: { username: string }) => x.username),
      ["friend1"],
    );
    await http(server, "PUT", `/v1/contacts/${friend.user.id}`, {}, u.accessToken);
    const list = await http(server, "GET", "/v1/contacts", undefined, u.accessToken);
    assert.equal(list.body.contacts.length, 1, "adding twice is idempotent");
    const self = await http(server, "PUT", `/v1/contacts/${u.user.id}`, {}, u.accessToken);
    assert.equal(self.status, 400);
    const removed = await http(server, "DELETE", `/v1/contacts/${friend.user.id}`, undefined, u.accessToken);
    assert.deepEqual(removed.body.contacts, []);
  });
});
