// Configuration parsing: defaults, overrides and errors that name the variable.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ConfigError, loadConfig } from "../config/index.js";

describe("config", () => {
  it("has the documented defaults", () => {
    const c = loadConfig({});
    assert.equal(c.port, 8080);
    assert.equal(c.dataDir, "./data");
    assert.equal(c.maxGroupMembers, 500);
    assert.equal(c.wsCompression, false);
  });

  it("reads environment variables", () => {
    const c = loadConfig({ PARLEY_PORT: "9000", PARLEY_WS_COMPRESSION: "true", PARLEY_MAX_GROUP_MEMBERS: "50" });
    assert.deepEqual([c.port, c.wsCompression, c.maxGroupMembers], [9000, true, 50]);
  });

  it("names the variable of a bad value", () => {
    assert.throws(
      () => loadConfig({ PARLEY_PORT: "eighty" }),
      (e: ConfigError) => e.variable === "PARLEY_PORT" && /integer/.test(e.message),
    );
    assert.throws(
      () => loadConfig({ PARLEY_PORT: "70000" }),
      (e: ConfigError) => e.variable === "PARLEY_PORT",
    );
    assert.throws(
      () => loadConfig({ PARLEY_LOG_LEVEL: "loud" }),
      (e: ConfigError) => e.variable === "PARLEY_LOG_LEVEL",
    );
    assert.throws(
      () => loadConfig({ PARLEY_JWT_SECRET: "short" }),
      (e: ConfigError) => e.variable === "PARLEY_JWT_SECRET",
    );
    assert.throws(
      () => loadConfig({ PARLEY_WS_COMPRESSION: "maybe" }),
      (e: ConfigError) => e.variable === "PARLEY_WS_COMPRESSION",
    );
  });
});
