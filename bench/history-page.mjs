#!/usr/bin/env node
// Cost of reading a history page now that entries carry replies, edits, deletes and reactions: the bare SELECT of
// before, the SELECT with the reply LEFT JOIN, the store's getHistory (row mapping), and MessageView.present
// (reactions + the reader's hidden messages). SQLite in memory, one 10 000-message conversation, pages of 50.
// Usage: node bench/history-page.mjs [--reactions] [--iterations 3000]
import { parseArgs } from "node:util";
import { SqliteStore } from "../packages/server/dist/adapters/sqlite/sqlite-store.js";
import { MessageView } from "../packages/server/dist/services/message-view.js";
import { appendTo } from "./lib/store-append.mjs";

const { values } = parseArgs({
  options: { reactions: { type: "boolean", default: false }, iterations: { type: "string", default: "3000" } },
});
const iterations = Number(values.iterations);
const store = SqliteStore.open(":memory:");
const at = Date.now();
for (const id of ["a", "b"]) {
  await store.createUser({ id, username: `user_${id}`, displayName: id, passwordHash: "x", createdAt: at });
}
await store.createGroup({ id: "g", title: "g", ownerId: "a", memberIds: ["b"], createdAt: at, messageId: "m0" });
for (let batch = 0, n = 0; batch < 100; batch++) {
  const drafts = [];
  for (let i = 0; i < 100; i++, n++) {
    const draft = { id: `m${n + 1}`, conversationId: "g", senderId: n % 2 ? "a" : "b", clientId: `c${n}`, body: `text ${n}` };
    // Every tenth message replies to the one before it.
    drafts.push({ ...draft, createdAt: at + n, ...(n % 10 === 5 ? { replyTo: n + 1 } : {}) });
  }
  await appendTo(store, drafts);
}
if (values.reactions) {
  const drafts = [];
  for (let seq = 2; seq < 10_000; seq += 5) {
    const action = { type: "reaction", target: seq, emoji: "👍", remove: false, maxKinds: 20 };
    drafts.push({ id: `r${seq}`, conversationId: "g", senderId: "b", clientId: `r${seq}`, body: "", createdAt: at, action });
  }
  await appendTo(store, drafts);
}
const view = new MessageView(store);
const lastSeq = (await store.getConversation("g")).lastSeq;
const before = (i) => 200 + ((i * 97) % (lastSeq - 300));
const query = (i) => ({ conversationId: "g", minSeq: 1, maxSeq: lastSeq, beforeSeq: before(i), limit: 50, direction: "desc" });
const bare = store.db.prepare(
  "SELECT id, conversation_id, seq, sender_id, client_id, kind, body, event_json, created_at FROM messages " +
    "WHERE conversation_id = ? AND seq BETWEEN ? AND ? ORDER BY seq DESC LIMIT ?",
);
const joined = store.db.prepare(
  "SELECT m.*, r.sender_id, substr(r.body, 1, 200), r.deleted_at FROM messages AS m " +
    "LEFT JOIN messages AS r ON r.conversation_id = m.conversation_id AND r.seq = m.reply_to " +
    "WHERE m.conversation_id = ? AND m.seq BETWEEN ? AND ? ORDER BY m.seq DESC LIMIT ?",
);

async function time(label, fn) {
  for (let i = 0; i < 200; i++) await fn(i);
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await fn(i);
  const us = Number(process.hrtime.bigint() - start) / 1000 / iterations;
  console.log(`${label.padEnd(40)} ${us.toFixed(0).padStart(6)} µs per page`);
}

console.log(`pages of 50 from ${lastSeq} entries${values.reactions ? ", a reaction on every fifth message" : ""}`);
await time("bare SELECT (before replies)", (i) => bare.all("g", 1, before(i) - 1, 50));
await time("SELECT with the reply join", (i) => joined.all("g", 1, before(i) - 1, 50));
await time("store.getHistory", (i) => store.getHistory(query(i)));
await time("getHistory + MessageView.present", async (i) => view.present("g", await store.getHistory(query(i)), "a"));
await store.close();
