// Where docs/protocol.md and the server disagreed (issue 23): HTTP body decoding and clientId reuse, over HTTP.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AuthResult } from "@parley/protocol";
import { http, login, register, startTestServer, type TestServer } from "./harness.js";

describe("HTTP bodies and clientId reuse as docs/protocol.md states them", () => {
  let server: TestServer;
  let alice: AuthResult;
  let bob: AuthResult;
  let carol: AuthResult;

  before(async () => {
    server = await startTestServer();
    [alice, bob, carol] = await Promise.all([register(server), register(server), register(server)]);
  });
  after(() => server.close());

  const post = (path: string, body: string | undefined, contentType: string | undefined, token?: string) =>
    fetch(server.url + path, {
      method: "POST",
      headers: {
        ...(contentType ? { "content-type": contentType } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body === undefined ? {} : { body }),
    }).then(async (res) => ({ status: res.status, body: (await res.json()) as { error?: { code: string } } }));

  it("answers a body of any non-JSON content type with 400 invalid_json, whatever it holds (§2.2)", async () => {
    const login = JSON.stringify({ username: alice.user.username, password: "whatever password" });
    for (const type of ["text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded", "application/xml"]) {
      for (const [what, body] of [
        ["valid JSON", login],
        ["invalid JSON", "{nope"],
        ["nothing", ""],
      ] as const) {
        const res = await post("/v1/auth/login", body, type);
        assert.deepEqual([res.status, res.body.error?.code], [400, "invalid_json"], `${type} carrying ${what}`);
      }
    }
    // An operation with a token and a path parameter: the same, before anything else is looked at.
    const direct = await http(server, "POST", "/v1/conversations/direct", { userId: bob.user.id }, alice.accessToken);
    const send = await post(
      `/v1/conversations/${direct.body.id}/messages`,
      JSON.stringify({ clientId: "plain-1", body: "hi" }),
      "text/plain",
      alice.accessToken,
    );
    assert.deepEqual([send.status, send.body.error?.code], [400, "invalid_json"]);
    const history = await http(server, "GET", `/v1/conversations/${direct.body.id}/messages`, undefined, alice.accessToken);
    assert.ok(!history.body.messages.some((m: { clientId?: string }) => m.clientId === "plain-1"), "nothing was sent");
  });

  it("takes an empty body declared as JSON as no arguments (§2.2)", async () => {
    for (const body of ["", "  \n"]) {
      const session = await login(server, carol.user.username);
      const res = await post("/v1/auth/logout", body, "application/json", session.accessToken);
      assert.deepEqual([res.status, res.body], [200, {}], JSON.stringify(body));
      const after = await http(server, "GET", "/v1/me", undefined, session.accessToken);
      assert.equal(after.status, 401, "the logout happened");
    }
    // An operation with required arguments gets `{}`, and the schema names what is missing.
    const res = await post("/v1/conversations/direct", "", "application/json", alice.accessToken);
    assert.deepEqual([res.status, res.body.error?.code], [400, "validation_failed"]);
  });

  it("answers a clientId reused in another conversation with 409 conflict and stores nothing; a repeat is a duplicate (§8.3)", async () => {
    const one = (await http(server, "POST", "/v1/conversations/direct", { userId: bob.user.id }, alice.accessToken)).body.id;
    const two = (await http(server, "POST", "/v1/conversations/direct", { userId: carol.user.id }, alice.accessToken)).body.id;
    const first = await http(
      server,
      "POST",
      `/v1/conversations/${one}/messages`,
      { clientId: "reused", body: "a" },
      alice.accessToken,
    );
    assert.equal(first.status, 200);
    const repeat = await http(
      server,
      "POST",
      `/v1/conversations/${one}/messages`,
      { clientId: "reused", body: "b" },
      alice.accessToken,
    );
    assert.deepEqual([repeat.status, repeat.body.duplicate, repeat.body.seq], [200, true, first.body.seq]);
    const before = (await http(server, "GET", `/v1/conversations/${two}`, undefined, alice.accessToken)).body.lastSeq;
    const elsewhere = await http(
      server,
      "POST",
      `/v1/conversations/${two}/messages`,
      { clientId: "reused", body: "c" },
      alice.accessToken,
    );
    assert.deepEqual(
      [elsewhere.status, elsewhere.body.error.code, elsewhere.body.error.details],
      [409, "conflict", { field: "clientId" }],
    );
    assert.equal((await http(server, "GET", `/v1/conversations/${two}`, undefined, alice.accessToken)).body.lastSeq, before);
  });
});
