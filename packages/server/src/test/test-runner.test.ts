// scripts/run-tests.mjs runs the tests that have a source: a test deleted from src/ no longer runs from a stale build.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const RUNNER = fileURLToPath(new URL("../../../../scripts/run-tests.mjs", import.meta.url));
/** The runner as `npm test` starts it: not as a child of this test run (which would report to it instead of printing). */
const { NODE_TEST_CONTEXT: _, ...env } = process.env;

describe("test runner", () => {
  const root = mkdtempSync(join(tmpdir(), "parley-runner-"));
  after(() => rmSync(root, { recursive: true, force: true }));
  const put = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  const runs = (name: string) => `import { it } from "node:test"; it("${name} ran", () => {});\n`;

  it("runs each built test whose source exists, and none whose source was deleted", () => {
    put("packages/p/tsconfig.test.json", "{}");
    put("packages/p/src/kept.test.ts", "");
    put("packages/p/src/deep/nested.test.ts", "");
    put("packages/p/dist-test/kept.test.js", runs("kept"));
    put("packages/p/dist-test/deep/nested.test.js", runs("nested"));
    put("packages/p/dist-test/deleted.test.js", runs("deleted")); // left over from a build before its source went
    const run = spawnSync(process.execPath, [RUNNER], { cwd: root, env, encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /kept ran/);
    assert.match(run.stdout, /nested ran/);
    assert.doesNotMatch(run.stdout, /deleted ran/);
  });

  it("fails, naming it, when a test was not built", () => {
    put("packages/p/src/unbuilt.test.ts", "");
    const run = spawnSync(process.execPath, [RUNNER, "unbuilt"], { cwd: root, env, encoding: "utf8" });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /not built, e\.g\. packages\/p\/dist-test\/unbuilt\.test\.js/);
  });
});
