// Error and close codes against docs/protocol.md: each has the shape the registry promises and the row §14 documents,
// and every error a documented example shows is a registered code with its registered `retryable`.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { CLOSE_CODES, ERROR_CODES, ERRORS, isErrorCode } from "./index.js";

const SPEC = readFileSync(new URL("../../../docs/protocol.md", import.meta.url), "utf8");

/** The rows of the first table after `heading`, as cells (backticks removed). */
function table(heading: string): string[][] {
  const section = SPEC.slice(SPEC.indexOf(heading));
  const lines = section.split("\n");
  const start = lines.findIndex((l) => l.startsWith("|"));
  const end = lines.findIndex((l, i) => i > start && !l.startsWith("|"));
  return lines.slice(start + 2, end).map((row) =>
    row
      .split("|")
      .slice(1, -1)
      .map((cell) => cell.trim().replaceAll("`", "")),
  );
}

describe("error codes", () => {
  const rows = new Map(table("### 14.1 Error codes").map(([code, http, retryable]) => [code!, { http, retryable }]));

  it("§14.1 lists exactly the registered codes", () => {
    assert.deepEqual([...rows.keys()].sort(), [...ERROR_CODES].sort());
  });

  for (const code of ERROR_CODES) {
    it(`${code}: snake_case, a 4xx/5xx status and retryable as documented`, () => {
      const spec = ERRORS[code];
      assert.match(code, /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
      assert.ok(Number.isInteger(spec.status) && spec.status >= 400 && spec.status <= 599, `status ${spec.status}`);
      assert.equal(typeof spec.retryable, "boolean");
      assert.ok(spec.description.length > 0, "described");
      assert.equal(rows.get(code)?.http, String(spec.status), "HTTP status in §14.1");
      assert.equal(rows.get(code)?.retryable, spec.retryable ? "yes" : "no", "retryable in §14.1");
      assert.ok(isErrorCode(code));
    });
  }

  it("refuses what is not a code", () => {
    for (const value of ["nope", "", "toString", "__proto__", 404, null, undefined]) assert.equal(isErrorCode(value), false);
  });

  it("every error in the documented examples is a registered code with its registered `retryable`", () => {
    const bodies = [...SPEC.matchAll(/"error":(\{"code":"[^"]+"[^{}]*(?:\{[^{}]*\}[^{}]*)?\})/g)].map(([, json]) =>
      JSON.parse(json!),
    );
    assert.ok(bodies.length >= 3, `only ${bodies.length} documented error bodies found`);
    for (const body of bodies) {
      assert.ok(isErrorCode(body.code), `${body.code} is registered`);
      assert.equal(typeof body.message, "string");
      assert.equal(body.retryable, ERRORS[body.code as keyof typeof ERRORS].retryable, body.code);
    }
  });
});

describe("close codes", () => {
  const rows = table("### 14.3 Close codes");
  /** §14.3: 4000–4099 reconnect, 4100–4199 reauthenticate, 4200–4299 stop; 1000–1999 are RFC 6455 codes. */
  const rangeAction = (code: number) =>
    code >= 4200 && code <= 4299 ? "stop" : code >= 4100 ? "reauthenticate" : code >= 4000 ? "reconnect" : undefined;

  it("§14.3 lists exactly the registered codes, each with its number, name and action", () => {
    const registered = Object.entries(CLOSE_CODES).map(([name, spec]) => [String(spec.code), name, spec.action]);
    assert.deepEqual(rows.map(([code, name, action]) => [code, name, action]).sort(), registered.sort());
  });

  for (const [name, spec] of Object.entries(CLOSE_CODES)) {
    it(`${spec.code} ${name}: in a documented range, with the range's action`, () => {
      assert.match(name, /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
      assert.ok(
        (spec.code >= 1000 && spec.code <= 1999) || (spec.code >= 4000 && spec.code <= 4299),
        `code ${spec.code} is in no documented range`,
      );
      const expected = rangeAction(spec.code);
      if (expected !== undefined) assert.equal(spec.action, expected);
      assert.ok(["reconnect", "reauthenticate", "stop"].includes(spec.action));
      assert.ok(spec.description.length > 0, "described");
    });
  }

  it("numbers are unique", () => {
    const codes = Object.values(CLOSE_CODES).map((spec) => spec.code);
    assert.equal(new Set(codes).size, codes.length);
  });
});
