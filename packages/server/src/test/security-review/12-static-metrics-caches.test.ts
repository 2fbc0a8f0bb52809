// Security review #12: path-traversal probes on the web app answer a quiet 404 (no 500, no stack trace in the log);
// /metrics without a token is announced at start-up; the per-conversation caches stay bounded.

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SqliteStore } from "../../adapters/sqlite/sqlite-store.js";
import { newId } from "../../domain/ids.js";
import type { ConversationStore } from "../../ports/store.js";
import { MemberCache } from "../../services/member-cache.js";
import { startTestServer, type TestServer } from "../harness.js";

/** A GET sent byte for byte (fetch and URL would resolve the `..` before sending). */
function rawGet(server: TestServer, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () =>
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`),
    );
    let data = "";
    socket.on("data", (chunk: Buffer) => (data += chunk.toString()));
    socket.on("error", reject);
    socket.on("end", () => resolve({ status: Number(data.split(" ")[1]), body: data.slice(data.indexOf("\r\n\r\n") + 4) }));
  });
}

describe("security review #12: static files, metrics, caches", () => {
  let server: TestServer;
  let webRoot: string;
  const lines: string[] = [];

  before(async () => {
    webRoot = mkdtempSync(join(tmpdir(), "parley-webroot-"));
    mkdirSync(join(webRoot, "assets"));
    writeFileSync(join(webRoot, "index.html"), '<!doctype html><div id="root"></div>');
    writeFileSync(join(webRoot, "assets", "app-1234.js"), "console.log(1)");
    writeFileSync(join(webRoot, ".env.txt"), "SECRET=1");
    server = await startTestServer(
      { logLevel: "info" },
      { webRoot, logDestination: { write: (line: string) => void lines.push(line) } },
    );
  });
  after(async () => {
    await server.close();
    rmSync(webRoot, { recursive: true, force: true });
  });

  it("answers traversal and dotfile probes with a JSON 404 and logs no error", async () => {
    const probes = [
      "/assets/../../package.json",
      "/assets/..%2f..%2fpackage.json",
      "/assets/%2e%2e/%2e%2e/package.json",
      "/x/../../../etc/passwd.txt",
      "/..%5c..%5cpackage.json",
      "/.env.txt",
      "/assets/%E0%A4%A.js",
      "/assets/a%00.js",
    ];
    for (const path of probes) {
      const res = await rawGet(server, path);
      assert.equal(res.status, 404, path);
      assert.equal(JSON.parse(res.body).error.code, "not_found", path);
    }
    const errors = lines.map((l) => JSON.parse(l)).filter((l) => l.level >= 50);
    assert.deepEqual(errors, [], "no error lines (stack traces) for probes");
    // The app itself is still served.
    assert.equal((await rawGet(server, "/assets/app-1234.js")).status, 200);
    assert.equal((await rawGet(server, "/c/some-conversation")).status, 200);
  });

  it("warns at start-up that /metrics is open when no token is set", () => {
    const warnings = lines.map((l) => JSON.parse(l)).filter((l) => l.level === 40);
    assert.ok(
      warnings.some((w) => /metrics/.test(w.msg) && /PARLEY_METRICS_TOKEN/.test(w.msg)),
      "a warning names /metrics and PARLEY_METRICS_TOKEN",
    );
  });

  it("keeps the member cache bounded however many conversations are invalidated and loaded", async () => {
    const store = { getMembers: async () => [{ userId: "u1" }] } as unknown as ConversationStore;
    const cache = new MemberCache(store, 100);
    for (let i = 0; i < 5000; i++) {
      const id = `c${i}`;
      await cache.get(id);
      cache.invalidate(id);
      cache.invalidate(`never-loaded-${i}`);
      await cache.get(id);
    }
    assert.ok(cache.size <= 100, `member cache holds ${cache.size} conversations`);
  });

  it("still refuses to cache a member list loaded across an invalidation", async () => {
    let members = ["a"];
    let release: () => void = () => {};
    const store = {
      getMembers: async () => {
        const snapshot = members.map((userId) => ({ userId }));
        await new Promise<void>((r) => (release = r));
        return snapshot;
      },
    } as unknown as ConversationStore;
    const cache = new MemberCache(store, 100);
    const stale = cache.get("c");
    members = ["a", "b"];
    cache.invalidate("c");
    release();
    assert.deepEqual(await stale, ["a"]);
    const fresh = cache.get("c");
    release();
    assert.deepEqual(await fresh, ["a", "b"], "the raced load was not cached");
  });

  it("keeps the SQLite last-seq cache bounded, and appends stay correct after eviction", async () => {
    const store = new SqliteStore(new (await import("better-sqlite3-multiple-ciphers")).default(":memory:"), {
      seqCacheSize: 20,
    });
    try {
      const owner = newId();
      await store.createUser({ id: owner, username: "owner", displayName: "O", passwordHash: "h", createdAt: Date.now() });
      const groups: string[] = [];
      for (let i = 0; i < 200; i++) {
        const id = newId();
        await store.createGroup({ id, title: "g", ownerId: owner, memberIds: [], createdAt: Date.now(), messageId: newId() });
        groups.push(id);
      }
      for (const round of [1, 2]) {
        for (const conversationId of groups) {
          const [outcome] = await store.append([
            { id: newId(), conversationId, senderId: owner, clientId: newId(), body: "x", createdAt: Date.now() },
          ]);
          assert.equal((outcome as { message: { seq: number } }).message.seq, 1 + round);
        }
        assert.ok(store.cachedSeqCount <= 20, `last-seq cache holds ${store.cachedSeqCount}`);
      }
    } finally {
      await store.close();
    }
  });
});
