// Keeps test code out of what ships: each package's production build (tsconfig.json → dist/) compiles no test, contract
// suite or harness, not even one pulled in by an import of a production file (tsconfig's `exclude` does not stop those).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = fileURLToPath(new URL("../../../../", import.meta.url));
const PACKAGES = ["protocol", "conformance", "server", "client"];
/** Test code by path: tests, contract suites, the server's harnesses (test/, testing.ts), the client's (testing/). */
const TEST_CODE = /\.test\.tsx?$|\.contract\.ts$|\/src\/test\/|\/src\/testing(\.ts$|\/)/;

/** The sources the package's shipped build compiles: tsconfig's own list and every file those import (relatively). */
function shippedSources(pkg: string): string[] {
  const dir = `${root}packages/${pkg}`;
  const config = ts.getParsedCommandLineOfConfigFile(
    `${dir}/tsconfig.json`,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(ts.flattenDiagnosticMessageText(d.messageText, "\n")),
    },
  );
  assert.ok(config, `packages/${pkg}/tsconfig.json parses`);
  const imported = config.fileNames.flatMap((file) =>
    ts
      .preProcessFile(readFileSync(file, "utf8"), true, true)
      .importedFiles.filter(({ fileName }) => fileName.startsWith("."))
      .map(({ fileName }) => join(dirname(file), fileName).replace(/\.js$/, ".ts")),
  );
  return [...config.fileNames, ...imported];
}

describe("shipped build", () => {
  for (const pkg of PACKAGES) {
    it(`packages/${pkg}/dist compiles no test code`, () => {
      const sources = shippedSources(pkg);
      assert.ok(sources.length > 0, "the production build has sources");
      assert.deepEqual(
        sources.filter((f) => TEST_CODE.test(f)),
        [],
        "test code in the production build",
      );
    });
  }

  it("@parley/server/testing resolves into the test build", () => {
    assert.match(import.meta.resolve("@parley/server/testing"), /\/packages\/server\/dist-test\/testing\.js$/);
  });
});
