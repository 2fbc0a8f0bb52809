// Runs the black-box conformance suite (packages/conformance) against an embedded server (SQLite) and a cluster node
// (PostgreSQL + Redis): any failed case fails this test. Short timers let the timed cases run within the budget.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type CaseResult, runConformance } from "@parley/conformance";
import type { Config } from "../config/index.js";
import { TestClamd } from "./clamd.js";
import { probePostgres, probeRedis } from "./cluster-harness.js";
import { register, startTestCluster, startTestServer, type TestServer } from "./harness.js";
import { startOidcProvider } from "./oidc-provider.js";
import { TestS3 } from "./s3rver.js";
import { requireService } from "./services.js";

const clamdAvailable = await requireService("conformance suite with upload scanning (clamd)", async () => {
  await (await TestClamd.start()).stop();
});

const clusterAvailable = await requireService("conformance suite on a cluster node (PostgreSQL, Redis)", async () => {
  await probePostgres();
  await probeRedis();
});

/**
 * Timers short enough for the suite's timed cases (token expiry, heartbeats, hello timeout, long-poll expiry), and a
 * conversation cap low enough for the `conversation_limit` case to fill it.
 */
const SHORT_TIMERS: Partial<Config> = {
  maxConversationsPerUser: 120,
  maxGroupsPerDay: 200,
  accessTokenTtlSeconds: 10,
  heartbeatIntervalMs: 1000,
  helloTimeoutMs: 1000,
  longPollHoldMs: 500,
  longPollExpiryMs: 2000,
  editWindowMs: 1500,
  // The too_many_pins case pins up to the limit: a small one keeps it short.
  maxPinsPerConversation: 5,
};

async function conformance(server: TestServer, close: () => Promise<void>): Promise<CaseResult[]> {
  let closed = false;
  // The first account of the fresh server is its administrator: the suite's admin cases run as it.
  const admin = { username: "cfadmin", password: "conformance-admin" };
  assert.equal((await register(server, admin.username, admin.password)).user.admin, true);
  const report = await runConformance({
    url: server.url,
    admin,
    maxWaitMs: 15_000,
    helloTimeoutMs: SHORT_TIMERS.helloTimeoutMs,
    editWindowMs: SHORT_TIMERS.editWindowMs,
    shutdown: async () => {
      closed = true;
      await close();
    },
  });
  if (!closed) await close();
  return report.results;
}

function assertConforms(results: CaseResult[]): void {
  const lines = results.filter((r) => r.status !== "pass").map((r) => `${r.status}: ${r.id}${r.detail ? ` — ${r.detail}` : ""}`);
  if (lines.length) console.log(lines.join("\n"));
  const failed = results.filter((r) => r.status === "fail");
  assert.deepEqual(
    failed.map((r) => `${r.id}: ${r.detail}`),
    [],
  );
}

describe("conformance suite", { timeout: 120_000 }, () => {
  it("passes against an embedded server (SQLite)", async () => {
    // Uploads scanned by clamd here (upload_infected), not on the cluster node.
    const clamd = clamdAvailable ? await TestClamd.start() : undefined;
    try {
      // Link previews may fetch the suite's loopback page here (links.preview succeeds); they are off on the cluster node.
      const server = await startTestServer({ ...SHORT_TIMERS, ...clamd?.serverConfig(), linkPreviewsAllowPrivate: true });
      assertConforms(await conformance(server, () => server.close()));
    } finally {
      await clamd?.stop();
    }
  });

  it("passes against a cluster node (PostgreSQL + Redis)", { skip: !clusterAvailable && "services unavailable" }, async () => {
    // The features the embedded server lacks or has, the other way round, so that each engine checks one side:
    // push off here (push_disabled; on there: push.subscribe), link previews off here (link_previews_disabled; on there
    // with loopback allowed: links.preview), files on S3 here (uploads.presign and
    // uploads.complete succeed; local files there: not_supported).
    // Single sign-on configured here (its cases skip on the embedded server); the suite never completes a sign-in.
    const callbackUrl = "http://127.0.0.1:9/v1/auth/sso/callback";
    const idp = await startOidcProvider(callbackUrl);
    const s3 = await TestS3.start();
    try {
      await s3.createBucket("conformance");
      const sso = {
        oidcIssuer: idp.issuer,
        oidcClientId: idp.clientId,
        oidcClientSecret: idp.clientSecret,
        oidcRedirectUrl: callbackUrl,
      };
      const config = {
        ...SHORT_TIMERS,
        ...s3.serverConfig("conformance"),
        ...sso,
        pushEnabled: false,
        linkPreviews: "off" as const,
      };
      const cluster = await startTestCluster({ label: "conformance", nodeIds: ["n1"], config });
      const [node] = cluster.nodes;
      assert.ok(node);
      assertConforms(await conformance(node, () => cluster.close()));
    } finally {
      await s3.close();
      await idp.close();
    }
  });
});
