// The behavioural contract every Scanner adapter must pass, run from each adapter's test against a real engine.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { ScanError, type Scanner } from "./scanner.js";

export interface ScannerFixture {
  scanner: Scanner;
  /** Bytes the engine is set up to detect wherever they appear in a file, and the signature name it reports. */
  sample: { bytes: Buffer; signature: string };
  /** A scanner of the same kind pointed at an engine that does not run. */
  unreachable: Scanner;
  /** The engine's largest accepted stream, when it has one the fixture configured (bytes). */
  sizeLimit?: number;
  stop(): Promise<void>;
}

/** `bytes` as a stream of `chunk`-byte pieces. */
function chunked(bytes: Buffer, chunk: number): () => Readable {
  return () => {
    const pieces: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += chunk) pieces.push(bytes.subarray(at, at + chunk));
    return Readable.from(pieces, { objectMode: false });
  };
}

async function scanError(promise: Promise<unknown>): Promise<ScanError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof ScanError, `expected a ScanError, got ${String(error)}`);
  return error;
}

export function runScannerContract(name: string, open: () => Promise<ScannerFixture>): void {
  describe(`Scanner contract: ${name}`, () => {
    let f: ScannerFixture;
    before(async () => {
      f = await open();
    });
    after(() => f?.stop());

    it("answers a ping", async () => {
      await f.scanner.ping();
    });

    it("finds nothing in clean bytes, and the sample wherever it lies in a file", async () => {
      assert.deepEqual(await f.scanner.scan(chunked(randomBytes(10_000), 4096)), { infected: false });
      const { bytes, signature } = f.sample;
      assert.deepEqual(await f.scanner.scan(chunked(bytes, 65_536)), { infected: true, signature });
      const inside = Buffer.concat([randomBytes(5000), bytes, randomBytes(5000)]);
      assert.deepEqual(await f.scanner.scan(chunked(inside, 4096)), { infected: true, signature });
    });

    it("reads the whole stream: the sample after a megabyte of clean bytes, split across small chunks", async () => {
      const tail = Buffer.concat([Buffer.alloc(1_048_576 + 7, 0x41), f.sample.bytes]);
      assert.deepEqual(await f.scanner.scan(chunked(tail, 1000)), { infected: true, signature: f.sample.signature });
      assert.deepEqual(await f.scanner.scan(chunked(Buffer.alloc(1_048_576 + 7, 0x41), 1000)), { infected: false });
    });

    it("fails as unavailable, without a verdict, when the engine does not run", async () => {
      assert.equal((await scanError(f.unreachable.ping())).reason, "unavailable");
      let opened = 0;
      const error = await scanError(
        f.unreachable.scan(() => {
          opened++;
          return chunked(f.sample.bytes, 10)();
        }),
      );
      assert.equal(error.reason, "unavailable");
      assert.ok(opened <= 1);
    });

    it("fails as too_large for a stream over the engine's size limit, and still answers afterwards", async (t) => {
      if (f.sizeLimit === undefined) return t.skip("the fixture configured no size limit");
      const over = Buffer.concat([Buffer.alloc(f.sizeLimit + 200_000, 0x42), f.sample.bytes]);
      assert.equal((await scanError(f.scanner.scan(chunked(over, 65_536)))).reason, "too_large");
      // Just under the limit is scanned whole.
      const under = Buffer.concat([Buffer.alloc(f.sizeLimit - f.sample.bytes.length - 10, 0x42), f.sample.bytes]);
      assert.deepEqual(await f.scanner.scan(chunked(under, 65_536)), { infected: true, signature: f.sample.signature });
      await f.scanner.ping();
    });
  });
}
