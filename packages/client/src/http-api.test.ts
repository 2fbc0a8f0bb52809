import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ParleyError } from "./errors.js";
import { buildHttpRequest, type FetchLike, HttpApi, type TokenSource } from "./http-api.js";

interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

function fakeFetch(answers: ({ status: number; body?: unknown; raw?: string } | Error)[]) {
  const calls: Call[] = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push({ url, method: init.method, headers: init.headers, body: init.body });
    const answer = answers.shift();
    if (!answer) throw new Error("unexpected fetch");
    if (answer instanceof Error) throw answer;
    return {
      status: answer.status,
      text: async () => answer.raw ?? (answer.body === undefined ? "" : JSON.stringify(answer.body)),
    };
  };
  return { calls, fetch };
}

function tokens(initial = "old"): TokenSource & { refreshes: (string | undefined)[] } {
  let current = initial;
  const refreshes: (string | undefined)[] = [];
  return {
    refreshes,
    accessToken: async () => current,
    refresh: async (rejected) => {
      refreshes.push(rejected);
      current = "new";
      return current;
    },
  };
}

const expired = { status: 401, body: { error: { code: "token_expired", message: "expired", retryable: false } } };

describe("buildHttpRequest", () => {
  it("fills path params, encoded, and leaves them out of the body", () => {
    const r = buildHttpRequest("members.setRole", { conversationId: "c 1", userId: "u/2", role: "admin" });
    assert.equal(r.method, "PATCH");
    assert.equal(r.path, "/v1/conversations/c%201/members/u%2F2");
    assert.deepEqual(JSON.parse(r.body!), { role: "admin" });
  });

  it("puts the remaining args of GET into the query string, skipping undefined", () => {
    const r = buildHttpRequest("messages.history", { conversationId: "c1", before: 10, limit: 5, after: undefined });
    assert.deepEqual(r, { method: "GET", path: "/v1/conversations/c1/messages?before=10&limit=5" });
    assert.deepEqual(buildHttpRequest("conversations.list", {}), { method: "GET", path: "/v1/conversations" });
  });

  it("sends the remaining args of other methods as a JSON body ({} when none)", () => {
    const r = buildHttpRequest("messages.send", { conversationId: "c1", clientId: "k", body: "hi" });
    assert.equal(r.method, "POST");
    assert.equal(r.path, "/v1/conversations/c1/messages");
    assert.deepEqual(JSON.parse(r.body!), { clientId: "k", body: "hi" });
    assert.deepEqual(buildHttpRequest("contacts.remove", { userId: "u1" }), {
      method: "DELETE",
      path: "/v1/contacts/u1",
      body: "{}",
    });
  });

  it("refuses WebSocket-only operations", () => {
    assert.throws(() => buildHttpRequest("typing", { conversationId: "c", typing: true }), TypeError);
  });
});

describe("HttpApi", () => {
  it("calls the route with the bearer token and returns the result", async () => {
    const { calls, fetch } = fakeFetch([{ status: 201, body: { id: "c9" } }]);
    const api = new HttpApi({ baseUrl: "http://h:1/prefix/", fetch, tokens: tokens("tok") });
    const result = await api.call("conversations.createGroup", { title: "T", memberIds: ["a"] });
    assert.deepEqual(result, { id: "c9" });
    assert.equal(calls[0]!.url, "http://h:1/prefix/v1/conversations/group");
    assert.equal(calls[0]!.method, "POST");
    assert.equal(calls[0]!.headers.authorization, "Bearer tok");
    assert.equal(calls[0]!.headers["content-type"], "application/json");
  });

  it("sends no token for public operations", async () => {
    const { calls, fetch } = fakeFetch([{ status: 200, body: {} }]);
    await new HttpApi({ baseUrl: "http://h", fetch, tokens: tokens() }).call("auth.login", { username: "a", password: "b" });
    assert.equal(calls[0]!.headers.authorization, undefined);
  });

  it("turns error bodies into ParleyErrors with status, retryability and details", async () => {
    const { fetch } = fakeFetch([
      {
        status: 429,
        body: { error: { code: "rate_limited", message: "slow", retryable: true, retryAfterMs: 1500, details: { field: "x" } } },
      },
    ]);
    const api = new HttpApi({ baseUrl: "http://h", fetch, tokens: tokens() });
    await assert.rejects(api.call("me.get", {}), (e: unknown) => {
      assert.ok(e instanceof ParleyError);
      assert.equal(e.code, "rate_limited");
      assert.equal(e.status, 429);
      assert.equal(e.retryable, true);
      assert.equal(e.retryAfterMs, 1500);
      assert.deepEqual(e.details, { field: "x" });
      return true;
    });
  });

  it("refreshes once on token_expired and retries with the new token", async () => {
    const { calls, fetch } = fakeFetch([expired, { status: 200, body: { contacts: [] } }]);
    const t = tokens();
    const result = await new HttpApi({ baseUrl: "http://h", fetch, tokens: t }).call("contacts.list", {});
    assert.deepEqual(result, { contacts: [] });
    assert.deepEqual(t.refreshes, ["old"]);
    assert.deepEqual(
      calls.map((c) => c.headers.authorization),
      ["Bearer old", "Bearer new"],
    );
  });

  it("does not loop when the retry is refused again", async () => {
    const { calls, fetch } = fakeFetch([expired, expired]);
    const t = tokens();
    await assert.rejects(
      new HttpApi({ baseUrl: "http://h", fetch, tokens: t }).call("me.get", {}),
      (e: unknown) => e instanceof ParleyError && e.code === "token_expired",
    );
    assert.equal(calls.length, 2);
    assert.equal(t.refreshes.length, 1);
  });

  it("does not refresh for other 401s", async () => {
    const { fetch } = fakeFetch([{ status: 401, body: { error: { code: "unauthorized", message: "no", retryable: false } } }]);
    const t = tokens();
    await assert.rejects(new HttpApi({ baseUrl: "http://h", fetch, tokens: t }).call("me.get", {}), /no/);
    assert.equal(t.refreshes.length, 0);
  });

  it("maps answers that are not protocol errors by status, and network failures to network_error", async () => {
    const { fetch } = fakeFetch([{ status: 502, raw: "<html>bad gateway</html>" }, new TypeError("fetch failed")]);
    const api = new HttpApi({ baseUrl: "http://h", fetch, tokens: tokens() });
    await assert.rejects(
      api.call("me.get", {}),
      (e: unknown) => e instanceof ParleyError && e.code === "internal" && e.retryable,
    );
    await assert.rejects(
      api.call("me.get", {}),
      (e: unknown) => e instanceof ParleyError && e.code === "network_error" && e.retryable,
    );
  });

  it("refuses user operations when signed out, without calling the server", async () => {
    const { calls, fetch } = fakeFetch([]);
    const api = new HttpApi({
      baseUrl: "http://h",
      fetch,
      tokens: { accessToken: async () => undefined, refresh: async () => "" },
    });
    await assert.rejects(api.call("me.get", {}), (e: unknown) => e instanceof ParleyError && e.code === "not_authenticated");
    assert.equal(calls.length, 0);
  });
});
