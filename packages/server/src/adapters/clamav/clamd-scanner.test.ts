// ClamdScanner against Debian's clamd (a private instance with a test signature database): the Scanner contract over
// its Unix socket and over TCP, and a clamd that accepts but never answers.

import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { runScannerContract } from "../../ports/scanner.contract.js";
import { ScanError } from "../../ports/scanner.js";
import { TEST_MARKER, TEST_MARKER_SIGNATURE, TestClamd } from "../../test/clamd.js";
import { freePort } from "../../test/cluster-harness.js";
import { requireService } from "../../test/services.js";
import { ClamdScanner } from "./clamd-scanner.js";

let clamd: TestClamd | undefined;
const available = await requireService("clamd (apt-get install clamav-daemon)", async () => {
  clamd = await TestClamd.start({ streamMaxLength: "2M" });
});

const OPTIONS = { timeoutMs: 10_000 };
const sample = { bytes: Buffer.from(`some text ${TEST_MARKER} more text`), signature: TEST_MARKER_SIGNATURE };

if (available && clamd) {
  const running = clamd;
  // Stopped after both suites (node:test runs top-level suites in order).
  let suites = 2;
  const stop = async () => {
    if (--suites === 0) await running.stop();
  };
  runScannerContract("clamd over its Unix socket", async () => ({
    scanner: new ClamdScanner({ path: running.socketPath }, OPTIONS),
    sample,
    unreachable: new ClamdScanner({ path: join(tmpdir(), `parley-no-clamd-${process.pid}.sock`) }, OPTIONS),
    sizeLimit: 2 * 1024 * 1024,
    stop,
  }));
  runScannerContract("clamd over TCP", async () => ({
    scanner: new ClamdScanner({ host: "127.0.0.1", port: running.tcpPort }, OPTIONS),
    sample,
    unreachable: new ClamdScanner({ host: "127.0.0.1", port: await freePort() }, OPTIONS),
    sizeLimit: 2 * 1024 * 1024,
    stop,
  }));
}

describe("ClamdScanner against a clamd that never answers", () => {
  let port: number;
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => {
    sockets.add(socket);
    socket.resume();
  });
  before(async () => {
    port = await new Promise((resolve) =>
      silent.listen(0, "127.0.0.1", () => resolve((silent.address() as { port: number }).port)),
    );
  });
  after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it("gives up after its timeout, as unavailable", async () => {
    const scanner = new ClamdScanner({ host: "127.0.0.1", port }, { timeoutMs: 300 });
    const started = Date.now();
    const error = await scanner.scan(() => Readable.from([Buffer.from("hello")])).catch((e: unknown) => e);
    assert.ok(error instanceof ScanError);
    assert.equal(error.reason, "unavailable");
    assert.match(error.message, /no answer within 300 ms/);
    assert.ok(Date.now() - started < 5000);
    const ping = await scanner.ping().catch((e: unknown) => e);
    assert.ok(ping instanceof ScanError && ping.reason === "unavailable");
  });
});
