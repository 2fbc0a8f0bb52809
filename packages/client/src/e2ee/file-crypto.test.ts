// Files of encrypted conversations: sealed with a fresh key per file, opened only with that key and only unchanged.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FILE_MAGIC, openFile, sealFile } from "./file-crypto.js";

describe("encrypted files", () => {
  it("round-trips, uses a new key and nonce per file, and refuses a changed blob or the wrong key", async () => {
    const data = new TextEncoder().encode("the plan, in full");
    const a = await sealFile(data);
    const b = await sealFile(data);
    assert.deepEqual(a.blob.subarray(0, FILE_MAGIC.length), FILE_MAGIC);
    assert.notDeepEqual(a.key, b.key);
    assert.notDeepEqual(a.blob, b.blob);
    assert.ok(!Buffer.from(a.blob).includes(Buffer.from("the plan")));
    const meta = { key: a.key, iv: a.iv, sha256: a.sha256, size: data.length };
    assert.deepEqual(await openFile(a.blob, meta), data);
    const changed = a.blob.slice();
    changed[changed.length - 1]! ^= 1;
    await assert.rejects(openFile(changed, meta), (e: { code?: string }) => e.code === "bad_response");
    await assert.rejects(openFile(a.blob, { ...meta, key: b.key }), (e: { code?: string }) => e.code === "bad_response");
    await assert.rejects(openFile(a.blob, { ...meta, size: 3 }), (e: { code?: string }) => e.code === "bad_response");
  });
});
