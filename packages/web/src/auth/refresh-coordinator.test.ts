import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FetchLike } from "@parley/client";
import { MemoryStorage } from "../state/local-outbox-store.js";
import { CredentialStore } from "./credential-store.js";
import { coordinateRefresh, type LockRunner } from "./refresh-coordinator.js";

const user = { id: "U1", username: "ann", displayName: "Ann", createdAt: 0 };
const NOW = 1_000_000;

/** A fake server that rotates refresh tokens: t0 → t1 → t2 …; replaying an old one is an error. */
function fakeServer() {
  let generation = 0;
  const calls: string[] = [];
  const fetch: FetchLike = async (url, init) => {
    const { refreshToken } = JSON.parse(init.body ?? "{}");
    calls.push(`${init.method} ${url} ${refreshToken ?? ""}`);
    if (!url.endsWith("/v1/auth/refresh")) return { status: 200, text: async () => "{}" };
    if (refreshToken !== `S.t${generation}`) {
      return {
        status: 401,
        text: async () => JSON.stringify({ error: { code: "invalid_refresh_token", message: "x", retryable: false } }),
      };
    }
    generation++;
    const body = { user, sessionId: "S", accessToken: `a${generation}`, expiresIn: 900, refreshToken: `S.t${generation}` };
    return { status: 200, text: async () => JSON.stringify(body) };
  };
  return { fetch, calls };
}

function serialLock(): LockRunner {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>) => {
    const run = tail.then(task, task);
    tail = run.catch(() => {});
    return run;
  };
}

const refresh = (token: string) => ({ method: "POST", headers: {}, body: JSON.stringify({ refreshToken: token }) });

describe("coordinateRefresh", () => {
  it("lets a second tab adopt the token the first tab rotated instead of replaying the old one", async () => {
    const server = fakeServer();
    const storage = new MemoryStorage();
    const credentials = new CredentialStore(storage);
    const lock = serialLock();
    const tab = () => coordinateRefresh({ fetch: server.fetch, credentials, lock, currentSessionId: () => "S", now: () => NOW });
    const [a, b] = await Promise.all([
      tab()("http://h/v1/auth/refresh", refresh("S.t0")),
      tab()("http://h/v1/auth/refresh", refresh("S.t0")),
    ]);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    const bodyA = JSON.parse(await a.text());
    const bodyB = JSON.parse(await b.text());
    assert.equal(bodyA.refreshToken, "S.t1");
    assert.equal(bodyB.refreshToken, "S.t1");
    assert.equal(bodyB.accessToken, "a1");
    assert.equal(bodyB.expiresIn, 900);
    assert.equal(server.calls.length, 1, "only one tab talked to the server");
    assert.equal(credentials.load()?.refreshToken, "S.t1");
  });

  it("refreshes for real when the stored session is another one or about to expire", async () => {
    const server = fakeServer();
    const credentials = new CredentialStore(new MemoryStorage());
    credentials.save({ user, sessionId: "OTHER", accessToken: "x", refreshToken: "OTHER.t9", accessExpiresAt: NOW + 900_000 });
    const f = coordinateRefresh({ fetch: server.fetch, credentials, currentSessionId: () => "S", now: () => NOW });
    const r = await f("http://h/v1/auth/refresh", refresh("S.t0"));
    assert.equal(JSON.parse(await r.text()).refreshToken, "S.t1");
    credentials.save({ user, sessionId: "S", accessToken: "a1", refreshToken: "S.t1", accessExpiresAt: NOW + 10_000 });
    const again = await f("http://h/v1/auth/refresh", refresh("S.t0"));
    assert.equal(again.status, 401, "an almost expired stored token is not adopted");
  });

  it("passes other requests through untouched", async () => {
    const server = fakeServer();
    const f = coordinateRefresh({
      fetch: server.fetch,
      credentials: new CredentialStore(new MemoryStorage()),
      currentSessionId: () => "S",
    });
    await f("http://h/v1/me", { method: "GET", headers: {} });
    assert.deepEqual(server.calls, ["GET http://h/v1/me "]);
  });
});
