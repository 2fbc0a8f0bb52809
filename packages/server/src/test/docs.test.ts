// Keeps the docs true: every error code, close code and configuration variable is documented.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { CLOSE_CODES, ERROR_CODES, OP_NAMES } from "@parley/protocol";
import { CONFIG_VARS } from "../config.js";

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
});
