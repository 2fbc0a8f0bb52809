// Issue 21 (docs/channels.md, "What is measured"): what the store writes per channel message does not grow with the
// channel's member count. Two channels, one of 10 members and one of 100,000 (member rows inserted directly, not
// registered one by one), take the same messages through `Store.append`; on SQLite the rows written are counted
// (`total_changes()`, triggers included), on PostgreSQL the statements sent and the rows PostgreSQL's table statistics count (functions and triggers included)
// (channel-write-counter.ts, shared with the `channel` benchmark scenario).

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { createChannel, postgresCounter, sqliteCounter, type WriteCounter, writesOfSends } from "./channel-write-counter.js";
import { requireService } from "./services.js";

const DATABASE_URL = process.env["PARLEY_TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";
const pgAvailable = await requireService("channel write counts on PostgreSQL", async () => {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2000 });
  await client.connect();
  await client.end();
});

const BIG = 100_000;
const SMALL = 10;
const MESSAGES = 5;

const engines: [string, () => Promise<WriteCounter>, boolean][] = [
  ["SQLite", async () => sqliteCounter(), true],
  ["PostgreSQL", () => postgresCounter(DATABASE_URL, `parley_test_${randomBytes(6).toString("hex")}`), pgAvailable],
];

for (const [name, open, available] of engines) {
  describe(`channel writes per message: ${name}`, { skip: !available && "PostgreSQL unavailable", timeout: 180_000 }, () => {
    let engine: WriteCounter;
    const author = `author_${randomBytes(4).toString("hex")}`;

    before(async () => {
      engine = await open();
      await engine.store.createUser({ id: author, username: author, displayName: "Author", passwordHash: "x", createdAt: 0 });
    });
    after(() => engine?.close());

    async function channelOf(members: number, prefix: string): Promise<string> {
      const id = `ch_${prefix}`;
      await createChannel(engine.store, id, author);
      await engine.addMembers(id, prefix, members);
      assert.equal(await engine.store.countMembers(id), members + 1);
      return id;
    }

    it(`writes the same per message in a channel of ${SMALL} members as in one of ${BIG}`, async () => {
      const small = await channelOf(SMALL, `s${randomBytes(3).toString("hex")}`);
      const big = await channelOf(BIG, `b${randomBytes(3).toString("hex")}`);
      const atSmall = await writesOfSends(engine, small, author, MESSAGES);
      const atBig = await writesOfSends(engine, big, author, MESSAGES);
      assert.ok(atSmall.rows > 0, "the counter sees the writes (the check can fail)");
      assert.deepEqual(atBig, atSmall, `${MESSAGES} messages at ${BIG} members wrote what they wrote at ${SMALL}`);
      // A message is one row and the conversation's last seq (plus the search index's pending mark on SQLite).
      assert.ok(atSmall.rows / MESSAGES <= 3, `${atSmall.rows / MESSAGES} rows per message`);
    });
  });
}
