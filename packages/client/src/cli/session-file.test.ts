import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { deleteSession, loadSession, parleyHome, saveSession, sessionPath } from "./session-file.js";

const credentials = {
  user: { id: "u", username: "ann", displayName: "Ann", createdAt: 0 },
  sessionId: "s",
  accessToken: "a",
  refreshToken: "r",
  accessExpiresAt: 1,
};

describe("session file", () => {
  it("saves with mode 0600 in a 0700 directory, loads and deletes", () => {
    const root = mkdtempSync(join(tmpdir(), "parley-home-"));
    try {
      const home = join(root, "nested", ".parley");
      assert.equal(loadSession(home), undefined);
      saveSession(home, { server: "http://h", credentials });
      assert.equal(statSync(sessionPath(home)).mode & 0o777, 0o600);
      assert.equal(statSync(home).mode & 0o777, 0o700);
      // A pre-existing file with loose permissions is tightened on the next save.
      writeFileSync(sessionPath(home), "{}", { mode: 0o644 });
      saveSession(home, { server: "http://h", credentials: { ...credentials, refreshToken: "r2" } });
      assert.equal(statSync(sessionPath(home)).mode & 0o777, 0o600);
      assert.equal(loadSession(home)?.credentials.refreshToken, "r2");
      deleteSession(home);
      assert.equal(loadSession(home), undefined);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("lives in $PARLEY_HOME, else ~/.parley", () => {
    assert.equal(parleyHome({ PARLEY_HOME: "/x/y" }), "/x/y");
    assert.ok(parleyHome({}).endsWith(".parley"));
  });
});
