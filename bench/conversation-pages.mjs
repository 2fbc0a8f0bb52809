#!/usr/bin/env node
// Security review #2: what one `conversations.list` page and one `sync` page cost a user in 250 groups and in 5,000
// (time over HTTP, median of 10, and answer bytes): with pages, both should stay about the same.
// Usage: npx tsc -b && node bench/conversation-pages.mjs
import { http, register, startTestServer } from "../packages/server/dist-test/test/harness.js";

const server = await startTestServer({ sqliteSynchronous: "normal", maxGroupsPerDay: 100000, maxConversationsPerUser: 100000 });
const [victim, attacker] = await Promise.all([register(server), register(server)]);
let made = 0;
async function grow(n) {
  while (made < n) {
    const batch = [];
    for (let i = 0; i < 50 && made < n; i++, made++)
      batch.push(
        http(server, "POST", "/v1/conversations/group", { title: `g${made}`, memberIds: [victim.user.id] }, attacker.accessToken),
      );
    await Promise.all(batch);
  }
}
async function measure(label) {
  const times = { list: [], sync: [] };
  let listBytes = 0,
    syncBytes = 0;
  for (let i = 0; i < 10; i++) {
    let t = performance.now();
    const r = await fetch(`${server.url}/v1/conversations`, { headers: { authorization: `Bearer ${victim.accessToken}` } });
    const text = await r.text();
    times.list.push(performance.now() - t);
    listBytes = text.length;
    t = performance.now();
    const s = await fetch(`${server.url}/v1/sync`, {
      method: "POST",
      headers: { authorization: `Bearer ${victim.accessToken}`, "content-type": "application/json" },
      body: '{"cursors":{}}',
    });
    const st = await s.text();
    times.sync.push(performance.now() - t);
    syncBytes = st.length;
  }
  const med = (a) => a.sort((x, y) => x - y)[a.length >> 1].toFixed(1);
  console.log(`${label}: list page ${med(times.list)} ms ${listBytes} B; sync first page ${med(times.sync)} ms ${syncBytes} B`);
  return { list: +med(times.list), sync: +med(times.sync) };
}
await grow(250);
const a = await measure("250 groups");
await grow(5000);
const b = await measure("5000 groups");
console.log(`ratio 5000/250: list ${(b.list / a.list).toFixed(2)}, sync ${(b.sync / a.sync).toFixed(2)}`);
await server.close();
