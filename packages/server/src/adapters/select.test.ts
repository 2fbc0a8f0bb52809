// Adapter selection: embedded by default, cluster only with a shared store and secret, and the cluster variables.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { startParley } from "../app.js";
import { ConfigError, loadConfig } from "../config/index.js";
import { randomNodeId, validateDeployment } from "./select.js";

const SECRET = "x".repeat(40);

describe("adapter selection", () => {
  it("refuses Redis without PostgreSQL, naming both variables", () => {
    const config = loadConfig({ PARLEY_REDIS_URL: "redis://127.0.0.1:6379", PARLEY_JWT_SECRET: SECRET });
    assert.throws(
      () => validateDeployment(config),
      (e: ConfigError) => e instanceof ConfigError && e.variable === "PARLEY_REDIS_URL" && /PARLEY_DATABASE_URL/.test(e.message),
    );
  });

  it("refuses cluster mode without a shared token secret", () => {
    const config = loadConfig({ PARLEY_REDIS_URL: "redis://127.0.0.1:6379", PARLEY_DATABASE_URL: "postgres://h/db" });
    assert.throws(
      () => validateDeployment(config),
      (e: ConfigError) => e.variable === "PARLEY_JWT_SECRET",
    );
  });

  it("allows embedded, PostgreSQL alone, and the full cluster", () => {
    validateDeployment(loadConfig({}));
    validateDeployment(loadConfig({ PARLEY_DATABASE_URL: "postgres://h/db" }));
    validateDeployment(
      loadConfig({ PARLEY_DATABASE_URL: "postgresql://h/db", PARLEY_REDIS_URL: "rediss://h:6380/1", PARLEY_JWT_SECRET: SECRET }),
    );
  });

  it("stops start-up before touching any engine when the deployment is invalid", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "parley-select-"));
    try {
      await assert.rejects(
        startParley({ port: 0, host: "127.0.0.1", dataDir, logLevel: "silent" }, { PARLEY_REDIS_URL: "redis://127.0.0.1:1" }),
        (e: ConfigError) => e.variable === "PARLEY_REDIS_URL",
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("validates the cluster variables", () => {
    const bad: Record<string, string> = {
      PARLEY_DATABASE_URL: "mysql://h/db",
      PARLEY_REDIS_URL: "http://h",
      PARLEY_DATABASE_SCHEMA: "Bad-Schema",
      PARLEY_NODE_ID: "node:1",
      PARLEY_CLUSTER_PREFIX: "a b",
      PARLEY_PRESENCE_TTL_MS: "10",
    };
    for (const [variable, value] of Object.entries(bad)) {
      assert.throws(
        () => loadConfig({ [variable]: value }),
        (e: ConfigError) => e.variable === variable,
        variable,
      );
    }
    const c = loadConfig({ PARLEY_NODE_ID: "eu-1.b", PARLEY_CLUSTER_PREFIX: "prod", PARLEY_DATABASE_SCHEMA: "chat_v1" });
    assert.deepEqual([c.nodeId, c.clusterPrefix, c.databaseSchema, c.presenceTtlMs], ["eu-1.b", "prod", "chat_v1", 30_000]);
    assert.match(randomNodeId(), /^[A-Za-z0-9_.-]+-[0-9a-f]{8}$/);
  });
});
