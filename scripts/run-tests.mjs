#!/usr/bin/env node
// Runs every compiled test file (packages/*/dist/**/*.test.js) with Node's test runner, plus the web app's tests:
// its unit tests compiled by tsc (packages/web/lib/**/*.test.js) and its browser tests (packages/web/test/**/*.test.mjs).
// Usage: node scripts/run-tests.mjs [substring filter...]
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function walk(dir, out, suffix = ".test.js") {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out, suffix);
    else if (name.endsWith(suffix)) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = [];
for (const pkg of readdirSync("packages")) {
  const dist = join("packages", pkg, "dist");
  try {
    statSync(dist);
  } catch {
    continue;
  }
  walk(dist, files);
}
for (const [dir, suffix] of [
  [join("packages", "web", "lib"), ".test.js"],
  [join("packages", "web", "test"), ".test.mjs"],
]) {
  try {
    statSync(dir);
  } catch {
    continue;
  }
  walk(dir, files, suffix);
}
const selected = files.filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort();
if (selected.length === 0) {
  console.error("run-tests: no test files found (did the build run?)");
  process.exit(1);
}
const result = spawnSync(process.execPath, ["--test", "--test-reporter=spec", ...selected], { stdio: "inherit" });
process.exit(result.status ?? 1);
