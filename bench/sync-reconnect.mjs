// Micro-benchmark of the `sync` a reconnecting SDK client sends: a user in many groups, nothing missed, `receiptsSince`
// given. Measures the CPU of `MessageService.sync` on the embedded store per call, for this build and optionally for
// another build's root directory (a `git worktree` of an older commit, built), alternating, same data.
//   node bench/sync-reconnect.mjs [--groups 50] [--members 100] [--calls 300] [--rounds 2] [--other /path/to/old/root]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { ROOT } from "./lib/procs.mjs";

const { values } = parseArgs({
  options: {
    groups: { type: "string", default: "50" },
    members: { type: "string", default: "100" },
    calls: { type: "string", default: "300" },
    rounds: { type: "string", default: "2" },
    other: { type: "string" },
  },
});
const [groups, members, calls, rounds] = ["groups", "members", "calls", "rounds"].map((k) => Number(values[k]));
for (const [k, v] of Object.entries({ groups, members, calls, rounds })) {
  if (!(Number.isInteger(v) && v > 0 && v <= 100_000)) {
    console.error(`--${k} must be a positive integer`);
    process.exit(2);
  }
}
if (members < 2) {
  console.error("--members must be at least 2");
  process.exit(2);
}

/** µs of CPU per sync against a fresh database built by the server at `root`. */
async function measure(root) {
  const dist = (p) => import(pathToFileURL(join(root, "packages/server/dist", p)).href);
  const { SqliteStore } = await dist("adapters/sqlite/sqlite-store.js");
  const { MessageService } = await dist("services/message-service.js");
  const { MemberCache } = await dist("services/member-cache.js");
  const { Delivery } = await dist("services/delivery.js");
  const { MemoryBroker } = await dist("adapters/memory/memory-broker.js");
  // Builds with the conversation log (issue 15) take it and a best-effort sink; older ones do not.
  const { ConversationLog } = await dist("services/log/conversation-log.js").catch(() => ({}));
  const dir = mkdtempSync(join(tmpdir(), "parley-sync-"));
  const store = SqliteStore.open(join(dir, "p.db"));
  try {
    const users = [];
    for (let i = 0; i < members; i++) {
      users.push(
        (await store.createUser({ id: `u${i}`, username: `user${i}`, displayName: "U", passwordHash: "x", createdAt: 1 })).id,
      );
    }
    const cursors = {};
    for (let g = 0; g < groups; g++) {
      const { conversation } = await store.createGroup({
        id: `c${g}`,
        title: "t",
        ownerId: users[0],
        memberIds: users.slice(1),
        createdAt: 1,
        messageId: `m${g}`,
      });
      cursors[conversation.id] = conversation.lastSeq;
    }
    const limits = {
      maxMessageBytes: 4000,
      historyPageMax: 200,
      syncPageMax: 1000,
      editWindowMs: 0,
      deleteWindowMs: 0,
      maxReactionsPerMessage: 20,
      conversationPageMax: 200,
    };
    const delivery = new Delivery(new MemoryBroker());
    const service = ConversationLog
      ? await (async () => {
          const { BestEffort } = await dist("observability/best-effort.js");
          const { createLogger } = await dist("logger.js");
          const { Metrics } = await dist("observability/metrics.js");
          const failures = new BestEffort(createLogger({ logLevel: "silent" }), new Metrics(false));
          const log = new ConversationLog(store, [], failures);
          // Builds since the block cache take it after the member cache.
          const blocks = await dist("services/block-cache.js").then(
            ({ BlockCache }) => new BlockCache(store),
            () => undefined,
          );
          return blocks
            ? new MessageService(store, new MemberCache(store), blocks, log, delivery, limits, failures)
            : new MessageService(store, new MemberCache(store), log, delivery, limits, failures);
        })()
      : new MessageService(store, new MemberCache(store), delivery, limits);
    const args = { cursors, receiptsSince: Date.now() + 60_000 };
    const first = await service.sync(users[1], args);
    if (first.conversations.length !== 0) throw new Error(`${root}: sync reported ${first.conversations.length} conversations`);
    for (let i = 0; i < Math.min(30, calls); i++) await service.sync(users[1], args);
    const before = process.cpuUsage();
    for (let i = 0; i < calls; i++) await service.sync(users[1], args);
    const used = process.cpuUsage(before);
    return (used.user + used.system) / calls;
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const builds = [["this build", ROOT], ...(values.other ? [["other build", values.other]] : [])];
console.log(`sync of a user in ${groups} groups of ${members} members, nothing missed, receiptsSince given; ${calls} calls`);
for (let r = 0; r < rounds; r++) {
  for (const [name, root] of builds) console.log(`  ${name}: ${(await measure(root)).toFixed(0)} µs CPU per sync`);
}
