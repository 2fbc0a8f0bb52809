#!/usr/bin/env node
// Runs the test suite with Node's test runner. The tests are found from their SOURCES, then run from the test build:
// packages/*/src/**/*.test.ts compiled into packages/*/dist-test/ (tsconfig.test.json), the web app's unit tests
// compiled into packages/web/lib/, and the web app's browser tests (packages/web/test/**/*.test.mjs) as they are.
// Deriving the list from the sources means a deleted or renamed test never runs from a stale build output.
// Usage: node scripts/run-tests.mjs [substring filter...] (a filter matches the path of the file that runs)
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function walk(dir, out, suffixes) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out, suffixes);
    else if (suffixes.some((suffix) => name.endsWith(suffix))) out.push(path);
  }
  return out;
}

/** Where each source tree's tests run from: `[source dir, build dir]` (the same dir for tests that are not compiled). */
const trees = readdirSync("packages").flatMap((pkg) => {
  const root = join("packages", pkg);
  if (pkg === "web") return [[join(root, "src"), join(root, "lib")], [join(root, "test")]];
  return existsSync(join(root, "tsconfig.test.json")) ? [[join(root, "src"), join(root, "dist-test")]] : [];
});

const files = [];
for (const [src, out] of trees) {
  if (!existsSync(src)) continue;
  for (const source of walk(src, [], [".test.ts", ".test.tsx", ".test.mjs"])) {
    files.push(out === undefined ? source : join(out, source.slice(src.length)).replace(/\.test\.tsx?$/, ".test.js"));
  }
}
const filters = process.argv.slice(2);
const selected = files.filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort();
if (selected.length === 0) {
  console.error("run-tests: no test files match");
  process.exit(1);
}
const missing = selected.filter((f) => !existsSync(f));
if (missing.length > 0) {
  console.error(`run-tests: ${missing.length} test(s) not built, e.g. ${missing[0]} (run \`npx tsc -b\` first)`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ["--test", "--test-reporter=spec", ...selected], { stdio: "inherit" });
process.exit(result.status ?? 1);
