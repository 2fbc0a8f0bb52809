// The sealed blob format: round trips at chunk boundaries, any range, and refusal of every kind of alteration.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { AtRestKey, loadKey, parseKey } from "./at-rest-key.js";
import { CHUNK_BYTES, rewrapFile, SealedFile, sealFile, sealState } from "./sealed-blob.js";

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const NAME = "a".repeat(64);
const key = new AtRestKey(randomBytes(32));
const otherKey = new AtRestKey(randomBytes(32));

describe("sealed blobs", () => {
  let dir: string;
  let n = 0;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "parley-sealed-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const seal = async (bytes: Buffer, with_ = key, name = NAME) => {
    const source = join(dir, `plain-${++n}`);
    const target = join(dir, `sealed-${n}`);
    writeFileSync(source, bytes);
    await sealFile(source, target, with_, name);
    return target;
  };
  const read = async (path: string, range?: { start: number; end: number }, with_ = key, name = NAME) =>
    readAll((await SealedFile.open(path, with_, name)).stream(range));

  it("round-trips every size around the chunk boundaries, and any range of them", async () => {
    for (const size of [0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * CHUNK_BYTES + 777, 33 * CHUNK_BYTES + 5]) {
      const bytes = randomBytes(size);
      const path = await seal(bytes);
      const sealed = await SealedFile.open(path, key, NAME);
      assert.equal(sealed.size, size);
      await sealed.close();
      assert.deepEqual(await read(path), bytes, `size ${size}`);
      if (size < 2) continue;
      for (const [start, end] of [
        [0, 0],
        [size - 1, size - 1],
        [1, size - 2],
        [Math.max(0, CHUNK_BYTES - 3), Math.min(size - 1, CHUNK_BYTES + 3)],
      ] as const) {
        assert.deepEqual(await read(path, { start, end }), bytes.subarray(start, end + 1), `size ${size} ${start}-${end}`);
      }
    }
  });

  it("stores no plaintext: the same bytes sealed twice differ, and neither contains them", async () => {
    const bytes = Buffer.from("a secret line that must not be on disk ".repeat(100));
    const one = readFileSync(await seal(bytes));
    const two = readFileSync(await seal(bytes));
    assert.ok(!one.includes(Buffer.from("a secret line")));
    assert.notDeepEqual(one.subarray(24), two.subarray(24), "a fresh blob key and nonce per blob");
  });

  it("refuses a changed byte, a changed size, swapped chunks, a truncated file, another name and another key", async () => {
    const bytes = randomBytes(2 * CHUNK_BYTES + 10);
    const path = await seal(bytes);
    const original = readFileSync(path);
    const variant = async (edit: (b: Buffer) => Buffer, pattern: RegExp) => {
      const file = join(dir, `variant-${++n}`);
      writeFileSync(file, edit(Buffer.from(original)));
      await assert.rejects(read(file), pattern);
    };
    await variant((b) => {
      b[92 + 5] = (b[92 + 5] ?? 0) ^ 1;
      return b;
    }, /chunk 0 fails authentication/);
    await variant((b) => {
      b.writeBigUInt64BE(BigInt(bytes.length - 5), 16);
      return b;
    }, /does not unwrap/);
    const chunk = CHUNK_BYTES + 16;
    await variant(
      (b) =>
        Buffer.concat([
          b.subarray(0, 92),
          b.subarray(92 + chunk, 92 + 2 * chunk),
          b.subarray(92, 92 + chunk),
          b.subarray(92 + 2 * chunk),
        ]),
      /chunk 0 fails authentication/,
    );
    await variant((b) => b.subarray(0, b.length - 1), /truncated/);
    await assert.rejects(read(path, undefined, key, "b".repeat(64)), /does not unwrap/);
    await assert.rejects(read(path, undefined, otherKey), /another key/);
  });

  it("rewraps for another key without touching the chunks; sealState tells plain, this key and other keys apart", async () => {
    const bytes = randomBytes(CHUNK_BYTES + 5);
    const path = await seal(bytes);
    const moved = join(dir, `rewrapped-${++n}`);
    await rewrapFile(path, moved, key, otherKey, NAME);
    assert.deepEqual(readFileSync(moved).subarray(92), readFileSync(path).subarray(92));
    assert.deepEqual(await read(moved, undefined, otherKey), bytes);
    await assert.rejects(read(moved, undefined, key), /another key/);
    assert.equal(await sealState(moved, otherKey, NAME), "this_key");
    assert.equal(await sealState(moved, key, NAME), "other");
    const plain = join(dir, `plain-${++n}`);
    writeFileSync(plain, Buffer.concat([Buffer.from("PARLEYSB"), Buffer.alloc(100)]));
    assert.equal(await sealState(plain, key, NAME), "other");
    writeFileSync(plain, "just text");
    assert.equal(await sealState(plain, key, NAME), "plain");
  });

  it("a stream given up before its first read still closes the file", async () => {
    const path = await seal(randomBytes(10));
    const stream = (await SealedFile.open(path, key, NAME)).stream();
    await new Promise<void>((resolve) => {
      stream.once("close", () => resolve());
      stream.destroy();
    });
  });
});

describe("at-rest keys", () => {
  it("accepts 32 bytes as hex or base64, refuses anything else naming the variable", () => {
    const bytes = randomBytes(32);
    assert.deepEqual(parseKey(bytes.toString("hex"), "V"), bytes);
    assert.deepEqual(parseKey(` ${bytes.toString("base64")}\n`, "V"), bytes);
    assert.deepEqual(parseKey(bytes.toString("base64url"), "V"), bytes);
    for (const bad of [
      "",
      "short",
      bytes.toString("hex").slice(2),
      randomBytes(16).toString("hex"),
      "correct horse battery staple",
    ]) {
      assert.throws(() => parseKey(bad, "PARLEY_ENCRYPTION_KEY"), /PARLEY_ENCRYPTION_KEY: expected a 32-byte key/);
    }
  });

  it("loads from the variable or a file, not both; a missing file is named", () => {
    const dir = mkdtempSync(join(tmpdir(), "parley-key-"));
    try {
      const hex = AtRestKey.generate();
      const file = join(dir, "key");
      writeFileSync(file, `${hex}\n`);
      assert.equal(loadKey({ key: undefined, keyFile: undefined }), undefined);
      assert.deepEqual(loadKey({ key: undefined, keyFile: file })?.id, loadKey({ key: hex, keyFile: undefined })?.id);
      assert.throws(() => loadKey({ key: hex, keyFile: file }), /not both/);
      assert.throws(
        () => loadKey({ key: undefined, keyFile: join(dir, "nope") }),
        /PARLEY_ENCRYPTION_KEY_FILE: cannot read .*ENOENT/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
