// Child process of the kill -9 test in adapters/sqlite/durability.test.ts: appends messages to an encrypted store
// (checkpoints in the worker thread, fsync off the event loop) and prints each acknowledged seq, until it is killed.

import { AtRestKey, parseKey } from "../adapters/at-rest/at-rest-key.js";
import { SqliteStore } from "../adapters/sqlite/sqlite-store.js";
import type { MessageDraft } from "../ports/store.js";

const [path, hex] = process.argv.slice(2);
if (!path || !hex) throw new Error("usage: encrypted-writer.js <database path> <key hex>");
const key = new AtRestKey(parseKey(hex, "key"));
const store = SqliteStore.open(path, { encryptionKey: key.sqliteKey, asyncFsync: true, backgroundCheckpoints: true });
for (const id of ["a", "b"]) await store.createUser({ id, username: id, displayName: id, passwordHash: "x", createdAt: 1 });
const { conversation } = await store.openDirect({ id: "c1", userA: "a", userB: "b", messageId: "m0", createdAt: 1 });
let n = 0;
for (;;) {
  const drafts: MessageDraft[] = Array.from({ length: 20 }, () => {
    n++;
    const body = `durable canary ${n} ${"x".repeat(200)}`;
    return { id: `m${n}`, conversationId: conversation.id, senderId: "a", clientId: `c${n}`, body, createdAt: Date.now() };
  });
  const outcomes = await store.append(drafts);
  const last = outcomes.at(-1);
  if (!last?.ok) throw new Error("append refused");
  process.stdout.write(`${last.message.seq}\n`);
}
