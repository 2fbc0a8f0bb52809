// Keeps the docs true: every error code, close code and configuration variable is documented.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { CLOSE_CODES, ERROR_CODES, OP_NAMES } from "@parley/protocol";
import { CONFIG_VARS } from "../config/index.js";
import { startTestServer } from "./harness.js";

const root = new URL("../../../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");

describe("documentation", () => {
  it("docs/protocol.md documents every error code, close code and operation", () => {
    const spec = read("docs/protocol.md");
    for (const code of ERROR_CODES) assert.ok(spec.includes(`\`${code}\``), `error code ${code} is not documented`);
    for (const [name, { code }] of Object.entries(CLOSE_CODES)) {
      assert.ok(spec.includes(String(code)), `close code ${code} (${name}) is not documented`);
    }
    for (const op of OP_NAMES) assert.ok(spec.includes(`\`${op}\``), `operation ${op} is not documented`);
  });

  it("README.md documents every configuration variable", () => {
    const readme = read("README.md");
    for (const spec of Object.values(CONFIG_VARS)) assert.ok(readme.includes(spec.env), `${spec.env} is not in the README`);
  });

  it("lists every operation once in the §6.1 operation table, which is one table", () => {
    const spec = read("docs/protocol.md");
    const section = spec.slice(spec.indexOf("### 6.1 Operation table"), spec.indexOf("### 6.2"));
    const lines = section.split("\n");
    const start = lines.findIndex((l) => l.startsWith("|"));
    const end = lines.findIndex((l, i) => i > start && !l.startsWith("|"));
    const table = lines.slice(start, end);
    const rows = table.map((l) => /^\| `([^`]+)` \|/.exec(l)?.[1]).filter((op) => op !== undefined);
    assert.deepEqual([...rows].sort(), [...OP_NAMES].sort(), "the table's rows are exactly the operations");
    const strays = lines.slice(end).filter((l) => /^\| `/.test(l));
    assert.deepEqual(strays, [], "no operation row outside the table");
  });

  it("numbers every section of the docs once", () => {
    for (const doc of ["docs/protocol.md", "docs/security.md", "docs/operations.md", "docs/architecture.md"]) {
      const numbers = read(doc)
        .split("\n")
        .map((l) => /^#{2,4} (\d+(?:\.\d+)*)\.? /.exec(l)?.[1])
        .filter((n) => n !== undefined);
      const repeated = numbers.filter((n, i) => numbers.indexOf(n) !== i);
      assert.deepEqual(repeated, [], `${doc}: section numbers used twice`);
    }
  });

  it("README.md states the range PARLEY_FILE_URL_TTL_SECONDS accepts, as the configuration enforces it", () => {
    const row = read("README.md")
      .split("\n")
      .find((l) => l.startsWith("| `PARLEY_FILE_URL_TTL_SECONDS`"));
    assert.match(row ?? "", /5–604800/);
    const { parse, env } = CONFIG_VARS.fileUrlTtlSeconds;
    for (const ok of ["5", "604800"]) assert.doesNotThrow(() => parse(ok, env), ok);
    for (const bad of ["4", "604801"]) assert.throws(() => parse(bad, env), bad);
  });

  it("shows the checks /readyz answers with in the §2.2 example", async () => {
    const example = /`GET \/readyz` \| `200 (\{.*?\})`/.exec(read("docs/protocol.md"))?.[1];
    assert.ok(example, "the /readyz row of §2.2");
    const server = await startTestServer();
    try {
      const res = await fetch(`${server.url}/readyz`);
      assert.deepEqual(JSON.parse(example), await res.json());
    } finally {
      await server.close();
    }
  });
});
