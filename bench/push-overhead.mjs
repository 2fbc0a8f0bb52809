// What push notifications cost the send path: the same load against a server with push on and off. One sender sends
// into a 100-member group (one other member online, 98 offline, 20 of them with a Web Push subscription on a local
// push service in this process), closed loop with a few sends in flight; reports ack latency, send→deliver latency to
// the online member, the server's CPU per message, and the notifications the push service received.
// Usage: npm run build && node bench/push-overhead.mjs [--messages 3000] [--inflight 4]
import { parseArgs } from "node:util";
import { TestPushService } from "@parley/server/testing";
import { startMainServer } from "./lib/main-server.mjs";
import { api, nowMs, ParleyConnection } from "./lib/parley-client.mjs";
import { cpuSecondsOf } from "./lib/procs.mjs";
import { percentiles, table } from "./stats.mjs";

const { values } = parseArgs({
  options: { messages: { type: "string", default: "3000" }, inflight: { type: "string", default: "4" } },
});
const MESSAGES = Number(values.messages);
const INFLIGHT = Number(values.inflight);
const MEMBERS = 100;
const SUBSCRIBED = 20;

function startServer(push) {
  return startMainServer({
    PARLEY_PUSH: String(push),
    PARLEY_PUSH_ALLOW_PRIVATE_ENDPOINTS: "true",
    PARLEY_PRESENCE_GRACE_MS: "1000",
    PARLEY_PUSH_COALESCE_MS: "3000",
  });
}

async function run(push, pushService) {
  const server = await startServer(push);
  try {
    const users = [];
    for (let i = 0; i < MEMBERS; i++)
      users.push(
        await api(server.base, "POST", "/v1/auth/register", {
          username: `pb${push ? 1 : 0}_${i}`,
          password: "correct horse battery",
        }),
      );
    const [sender, online, ...offline] = users;
    const subs = [];
    if (push)
      for (const u of offline.slice(0, SUBSCRIBED)) {
        const sub = pushService.subscription();
        subs.push(sub);
        await api(server.base, "POST", "/v1/push/subscriptions", sub, u.accessToken);
      }
    const group = await api(
      server.base,
      "POST",
      "/v1/conversations/group",
      { title: "bench", memberIds: users.slice(1).map((u) => u.user.id) },
      sender.accessToken,
    );
    const s = await ParleyConnection.connect(server.ws, { token: sender.accessToken });
    const r = await ParleyConnection.connect(server.ws, { token: online.accessToken });
    const sentAt = new Map();
    const deliver = [];
    r.onEvent = (event, data) => {
      if (event !== "message") return;
      const t = sentAt.get(data.clientId);
      if (t !== undefined) deliver.push(nowMs() - t);
    };
    const acks = [];
    let next = 0;
    const cpu0 = cpuSecondsOf(server.pid);
    const t0 = nowMs();
    async function lane() {
      while (next < MESSAGES) {
        const clientId = `c${next++}`;
        const start = nowMs();
        sentAt.set(clientId, start);
        await s.request("messages.send", { conversationId: group.id, clientId, body: `message ${clientId}` });
        acks.push(nowMs() - start);
      }
    }
    await Promise.all(Array.from({ length: INFLIGHT }, lane));
    const elapsed = (nowMs() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 500));
    const cpu = cpuSecondsOf(server.pid) - cpu0;
    // Let the last coalescing window close so that its notifications are counted.
    if (push) await new Promise((r) => setTimeout(r, 4000));
    const received = subs.reduce((n, sub) => n + pushService.delivered(sub.endpoint).length, 0);
    s.ws.close();
    r.ws.close();
    const a = percentiles(acks);
    const d = percentiles(deliver);
    return {
      push: push ? "on" : "off",
      "msgs/s": MESSAGES / elapsed,
      "ack p50 ms": a.p50,
      "ack p99 ms": a.p99,
      "deliver p50 ms": d.p50,
      "deliver p99 ms": d.p99,
      "server cpu ms/msg": (cpu * 1000) / MESSAGES,
      notifications: received,
    };
  } finally {
    await server.stop();
  }
}

const pushService = await TestPushService.start();
const rows = [];
for (const push of [false, true, false, true]) rows.push(await run(push, pushService));
await pushService.close();
console.log(table(rows));
