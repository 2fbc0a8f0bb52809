// Security review #10: the data directory (database, WAL, media, secrets) is private to the server's user, whatever
// the umask, and an existing directory that others can read is tightened at start-up.

import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startParley } from "../../app.js";
import { RATE_LIMITS_OFF, register } from "../harness.js";

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe("security review #10: data directory permissions", () => {
  let root: string;
  let umask: number;

  before(() => {
    root = mkdtempSync(join(tmpdir(), "parley-dirmode-"));
    // The usual default umask, under which the database and media used to be world-readable.
    umask = process.umask(0o022);
  });
  after(() => {
    process.umask(umask);
    rmSync(root, { recursive: true, force: true });
  });

  async function start(dataDir: string) {
    const server = await startParley({ host: "127.0.0.1", port: 0, dataDir, logLevel: "silent", ...RATE_LIMITS_OFF }, {});
    await register(server);
    return server;
  }

  it("creates a missing data directory (and its parents) with mode 0700 under umask 022", async () => {
    const dataDir = join(root, "fresh", "data");
    const server = await start(dataDir);
    try {
      assert.equal(modeOf(dataDir).toString(8), "700");
    } finally {
      await server.close();
    }
  });

  it("tightens an existing data directory that other users can enter to 0700", async () => {
    const dataDir = join(root, "existing");
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o755);
    const server = await start(dataDir);
    try {
      assert.equal(modeOf(dataDir).toString(8), "700");
    } finally {
      await server.close();
    }
  });
});
