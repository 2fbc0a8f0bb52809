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

  it("reads clamd's address as a socket path or host:port, and the scan failure policy", () => {
    const off = loadConfig({});
    assert.deepEqual([off.clamdAddress, off.scanOnFailure, off.scanTimeoutMs], [undefined, "refuse", 60_000]);
    const parse = (raw: string) => loadConfig({ PARLEY_CLAMD_ADDRESS: raw }).clamdAddress;
    assert.deepEqual(parse("/run/clamav/clamd.ctl"), { path: "/run/clamav/clamd.ctl" });
    assert.deepEqual(parse("unix:/tmp/c.sock"), { path: "/tmp/c.sock" });
    assert.deepEqual(parse("clamav.internal:3310"), { host: "clamav.internal", port: 3310 });
    assert.deepEqual(parse("tcp://127.0.0.1:3310"), { host: "127.0.0.1", port: 3310 });
    assert.deepEqual(parse("[::1]:3310"), { host: "::1", port: 3310 });
    assert.equal(loadConfig({ PARLEY_SCAN_ON_FAILURE: "FLAG" }).scanOnFailure, "flag");
    for (const [variable, raw] of [
      ["PARLEY_CLAMD_ADDRESS", "clamd.ctl"],
      ["PARLEY_CLAMD_ADDRESS", "localhost"],
      ["PARLEY_CLAMD_ADDRESS", "localhost:0"],
      ["PARLEY_CLAMD_ADDRESS", "localhost:70000"],
      ["PARLEY_SCAN_ON_FAILURE", "ignore"],
      ["PARLEY_SCAN_TIMEOUT_MS", "10"],
    ]) {
      assert.throws(
        () => loadConfig({ [variable!]: raw }),
        (e: ConfigError) => e.variable === variable,
        `${variable}=${raw}`,
      );
    }
  });

  it("takes single sign-on whole: issuer, client id and redirect URL together, https (http on loopback only)", () => {
    const sso = {
      PARLEY_OIDC_ISSUER: "https://login.example.com/realms/staff",
      PARLEY_OIDC_CLIENT_ID: "parley",
      PARLEY_OIDC_REDIRECT_URL: "https://chat.example.com/v1/auth/sso/callback",
    };
    const config = loadConfig({ ...sso, PARLEY_SSO_ONLY: "true" });
    assert.deepEqual(
      [config.oidcIssuer, config.oidcClientId, config.oidcClientSecret, config.oidcName, config.ssoOnly],
      [sso.PARLEY_OIDC_ISSUER, "parley", undefined, "single sign-on", true],
    );
    assert.equal(loadConfig({ ...sso, PARLEY_OIDC_ISSUER: "http://127.0.0.1:9000" }).oidcIssuer, "http://127.0.0.1:9000");
    for (const [variable, env] of [
      ["PARLEY_OIDC_ISSUER", { ...sso, PARLEY_OIDC_ISSUER: "http://login.example.com" }],
      ["PARLEY_OIDC_ISSUER", { ...sso, PARLEY_OIDC_ISSUER: "not a url" }],
      ["PARLEY_OIDC_ISSUER", { ...sso, PARLEY_OIDC_CLIENT_ID: "" }],
      ["PARLEY_OIDC_ISSUER", { PARLEY_OIDC_CLIENT_ID: "parley" }],
      ["PARLEY_OIDC_REDIRECT_URL", { ...sso, PARLEY_OIDC_REDIRECT_URL: "http://chat.example.com/cb" }],
      ["PARLEY_SSO_ONLY", { PARLEY_SSO_ONLY: "true" }],
    ] as const) {
      assert.throws(
        () => loadConfig(env),
        (e: ConfigError) => e.variable === variable,
        JSON.stringify(env),
      );
    }
  });
});
