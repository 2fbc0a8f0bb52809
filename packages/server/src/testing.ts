// Test utilities for other packages' tests and for benchmarks (`@parley/server/testing`): service gates, cluster
// deployments in child processes, a push service, an S3 server (s3rver), channels filled in bulk with a write
// counter, and the fault rig with its checker. Not part of the server's runtime surface.

export {
  createChannel,
  postgresCounter,
  sqliteCounter,
  type WriteCounter,
  type Writes,
  writesOfSends,
} from "./test/channel-write-counter.js";
export {
  Cluster,
  type ClusterOptions,
  deletePrefix,
  dropSchema,
  freePort,
  HAPROXY_CFG,
  Haproxy,
  haproxyConfig,
  NodeProcess,
  PrivateRedis,
  probeBinary,
  probeClusterServices,
  probePostgres,
  probeRedis,
  sleep,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
  uniqueName,
  waitUntil,
} from "./test/cluster-harness.js";
export {
  type ClientHistory,
  check,
  type Observation,
  type Reference,
  type SendRecord,
  type Verdict,
  violations,
} from "./test/faults/checker.js";
export { type FullRunOptions, runFaults } from "./test/faults/full-run.js";
export { probeNetworkRig } from "./test/faults/rig/netns.js";
export { type Deployment, Rig } from "./test/faults/rig/rig.js";
export { type ClientSlot, formatRowLine, type RigClient, type Row, runScenario } from "./test/faults/runner.js";
export { SCENARIOS, SHORT } from "./test/faults/scenarios.js";
export { signInAtProvider, startOidcProvider, type TestOidcProvider } from "./test/oidc-provider.js";
export { type ReceivedPush, TestPushService, type TestSubscription } from "./test/push-endpoint.js";
export { TestS3 } from "./test/s3rver.js";
export { requireService } from "./test/services.js";
export { TcpProxy } from "./test/tcp-proxy.js";
