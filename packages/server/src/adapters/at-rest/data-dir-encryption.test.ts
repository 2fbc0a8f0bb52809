// Migration and rotation of a data directory at the file level: what the protocol tests (test/encryption-at-rest)
// cannot set up, such as an uploaded file that imitates the sealed format, a half-written marker, a repeated key.

import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { after, describe, it } from "node:test";
import { LocalBlobStore } from "../local/local-blob-store.js";
import { SqliteStore } from "../sqlite/sqlite-store.js";
import { AtRestKey } from "./at-rest-key.js";
import { checkNotInterrupted, migrateDataDir, rotateDataDir } from "./data-dir-encryption.js";

async function readAll(stream: Readable | undefined): Promise<Buffer> {
  assert.ok(stream);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe("data directory encryption", () => {
  const dirs: string[] = [];
  const newDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "parley-dde-"));
    dirs.push(dir);
    return dir;
  };
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("migrates an upload that imitates the sealed header like any other plaintext file", async () => {
    const dataDir = newDir();
    const store = SqliteStore.open(join(dataDir, "parley.db"));
    await store.close();
    const plain = await LocalBlobStore.open(join(dataDir, "media"));
    const bytes = Buffer.concat([Buffer.from("PARLEYSB"), Buffer.from([1, 0, 0, 0]), randomBytes(500)]);
    const sha = createHash("sha256").update(bytes).digest("hex");
    const source = join(dataDir, "upload");
    writeFileSync(source, bytes);
    await plain.putFile(sha, source, "application/octet-stream");

    const key = new AtRestKey(randomBytes(32));
    const report = await migrateDataDir(dataDir, key);
    assert.deepEqual(report, { database: "encrypted", sealed: 1, rewrapped: 0, unchanged: 0 });
    const sealed = await LocalBlobStore.open(join(dataDir, "media"), { key });
    assert.deepEqual(await readAll(await sealed.get(sha)), bytes);
    assert.deepEqual(await sealed.stat(sha), { size: bytes.length });
  });

  it("encrypts a directory that has media but no database yet, and refuses to rotate to the same key", async () => {
    const dataDir = newDir();
    const key = new AtRestKey(randomBytes(32));
    assert.deepEqual(await migrateDataDir(dataDir, key), { database: "none", sealed: 0, rewrapped: 0, unchanged: 0 });
    await assert.rejects(rotateDataDir(dataDir, key, key), /the new key is the current key/);
    await assert.rejects(migrateDataDir(join(dataDir, "missing"), key), /no data directory/);
  });

  it("a marker cut short by a crash still stops the start with the message", () => {
    const dataDir = newDir();
    writeFileSync(join(dataDir, "encryption-in-progress"), '{"operation":"rot');
    assert.throws(() => checkNotInterrupted(dataDir), /`encryption migrate` or `rotate` was interrupted/);
    writeFileSync(join(dataDir, "encryption-in-progress"), '{"operation":"rotate","startedAt":"x"}');
    assert.throws(() => checkNotInterrupted(dataDir), /`encryption rotate` was interrupted .* encryption rotate` again/);
  });
});
