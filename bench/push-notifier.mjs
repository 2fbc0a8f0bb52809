// CPU the push notifier adds per committed message, in isolation: 100-member group, 1 member online, 98 offline
// (sender excluded), 10 conversations, windows long enough that nothing fires during the run; batches of 1 and 8
// messages (the send batcher's group commit). Usage: npm run build && node bench/push-notifier.mjs
import { MemoryPresenceStore } from "../packages/server/dist/adapters/memory/memory-presence-store.js";
import { Metrics } from "../packages/server/dist/observability/metrics.js";
import { PushNotifier } from "../packages/server/dist/services/push/push-notifier.js";

const MEMBERS = 100;
const MESSAGES = 50_000;
const presence = new MemoryPresenceStore();
const members = Array.from({ length: MEMBERS }, (_, i) => `u${i}`);
await presence.connect("u1", "c1");
const notifier = new PushNotifier(
  {
    presence,
    store: {},
    push: { listSubscriptions: async () => [] },
    providers: [],
    metrics: new Metrics(false),
    onError: (error) => console.error(error),
  },
  { graceMs: 600_000, coalesceMs: 600_000, ttlSeconds: 60, maxAttempts: 1, retryBaseMs: 1 },
);

async function measure(batchSize) {
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < MESSAGES; i += batchSize) {
    const batch = [];
    for (let j = 0; j < batchSize; j++) {
      const seq = i + j;
      batch.push({
        message: {
          id: `m${seq}`,
          conversationId: `c${seq % 10}`,
          seq,
          senderId: "u0",
          kind: "text",
          body: "hello",
          createdAt: 0,
        },
        memberIds: members,
      });
    }
    notifier.committed(batch);
    if (i % 1024 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / MESSAGES;
}

await measure(1); // warm-up
for (const batchSize of [1, 8]) console.log(`batch of ${batchSize}: ${(await measure(batchSize)).toFixed(1)} µs CPU per message`);
await notifier.close();
