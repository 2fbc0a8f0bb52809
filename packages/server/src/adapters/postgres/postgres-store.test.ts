// Runs the Store contract against PostgresStore on a real server, plus what only several nodes sharing one database,
// concurrent migrations and a lost server can get wrong. Each suite works in its own schema and drops it afterwards.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import type { Message } from "@parley/protocol";
import pg from "pg";
import { parseSearchQuery } from "../../domain/search-query.js";
import { runMessageActionsContract } from "../../ports/message-actions.contract.js";
import { runRetentionContract } from "../../ports/retention.contract.js";
import { runSearchContract } from "../../ports/search.contract.js";
import { applyChange, runStoreContract } from "../../ports/store.contract.js";
import type { AppendOutcome, MessageDraft, Store } from "../../ports/store.js";
import { runUploadStoreContract } from "../../ports/upload-store.contract.js";
import { requireService } from "../../test/services.js";
import { MIGRATIONS, migrate, SCHEMA_VERSION } from "./migrations.js";
import { PostgresStore } from "./postgres-store.js";
import { PostgresUploadStore } from "./postgres-upload-store.js";

const DATABASE_URL = process.env["PARLEY_TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";

let unavailableReason = "";
const available = await requireService("postgres tests", async () => {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2000, query_timeout: 2000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (error) {
    unavailableReason = `${DATABASE_URL}: ${error instanceof Error ? error.message : String(error)}`;
    throw new Error(unavailableReason);
  } finally {
    await client.end().catch(() => {});
  }
});
const skip = available ? false : `PostgreSQL unreachable at ${unavailableReason}`;

const newSchema = () => `parley_test_${randomBytes(6).toString("hex")}`;

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>, schema?: string): Promise<T> {
  const client = new pg.Client({
    connectionString: DATABASE_URL,
    connectionTimeoutMillis: 5000,
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  client.on("error", () => {});
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const dropSchema = (schema: string) => withAdmin((c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

let n = 0;
function draft(conversationId: string, senderId: string, clientId = `c${++n}`): MessageDraft {
  return { id: `m${++n}`, conversationId, senderId, clientId, body: `body ${n}`, createdAt: 1_700_000_000_000 + n };
}

function ok(outcome: AppendOutcome | undefined) {
  assert.ok(outcome?.ok, `append failed: ${JSON.stringify(outcome)}`);
  return outcome;
}

async function seqsOf(store: PostgresStore, conversationId: string): Promise<number[]> {
  const history = await store.getHistory({ conversationId, minSeq: 0, maxSeq: 1e9, limit: 1e6, direction: "asc" });
  return history.map((m) => m.seq);
}

describe("PostgresStore", { skip }, () => {
  {
    let schema = "";
    runSearchContract(
      "PostgresStore",
      async () => {
        schema = newSchema();
        return PostgresStore.connect(DATABASE_URL, { schema, poolSize: 5 });
      },
      // Raw SQL, as an edit or a delete for everyone will write it: the generated column must follow.
      (_store: Store, conversationId, seq, body) =>
        withAdmin(async (c) => {
          await c.query("UPDATE messages SET body = $1 WHERE conversation_id = $2 AND seq = $3", [body, conversationId, seq]);
        }, schema),
      async (store) => {
        await store.close();
        await dropSchema(schema);
      },
    );
  }
  {
    let schema = "";
    runStoreContract(
      "PostgresStore",
      async () => {
        schema = newSchema();
        return PostgresStore.connect(DATABASE_URL, { schema, poolSize: 5 });
      },
      async (store) => {
        await store.close();
        await dropSchema(schema);
      },
    );
  }
  {
    let schema = "";
    runMessageActionsContract(
      "PostgresStore",
      async () => {
        schema = newSchema();
        return PostgresStore.connect(DATABASE_URL, { schema, poolSize: 3 });
      },
      async (store) => {
        await store.close();
        await dropSchema(schema);
      },
    );
  }

  {
    let schema = "";
    runUploadStoreContract(
      "PostgresUploadStore",
      async () => {
        schema = newSchema();
        const store = await PostgresStore.connect(DATABASE_URL, { schema, poolSize: 5 });
        return { store, uploads: new PostgresUploadStore(store.handle) };
      },
      async ({ store }) => {
        await store.close();
        await dropSchema(schema);
      },
    );
  }

  {
    let schema = "";
    runRetentionContract(
      "PostgresStore",
      async () => {
        schema = newSchema();
        const store = await PostgresStore.connect(DATABASE_URL, { schema, poolSize: 5 });
        return { store, uploads: new PostgresUploadStore(store.handle) };
      },
      async ({ store }) => {
        await store.close();
        await dropSchema(schema);
      },
    );
  }

  describe("search hits", () => {
    const schema = newSchema();
    let store: PostgresStore;

    before(async () => {
      store = await PostgresStore.connect(DATABASE_URL, { schema, poolSize: 2 });
    });
    after(async () => {
      await store?.close();
      await dropSchema(schema);
    });

    it("are whole messages, as every other read returns them: a reply carries replyTo", async () => {
      for (const id of ["sa", "sb"])
        await store.createUser({ id, username: id, displayName: id, passwordHash: "h", createdAt: 1 });
      await store.createGroup({ id: "sg", title: "sg", ownerId: "sa", memberIds: ["sb"], createdAt: 2, messageId: "sm1" });
      const quoted = ok((await store.append([{ ...draft("sg", "sa"), body: "the needle in the haystack" }]))[0]);
      const reply = ok(
        (await store.append([{ ...draft("sg", "sb"), body: "found the needle", replyTo: quoted.message.seq }]))[0],
      );
      const hits = await store.searchMessages("sb", { terms: parseSearchQuery("needle"), limit: 10 });
      const bySeq = (a: Message, b: Message) => a.seq - b.seq;
      assert.deepEqual(
        hits.map((h) => h.message).sort(bySeq),
        await store.getMessagesBySeq("sg", [quoted.message.seq, reply.message.seq]),
      );
      const hit = hits.find((h) => h.message.seq === reply.message.seq);
      assert.deepEqual(hit?.message.replyTo, { seq: quoted.message.seq, senderId: "sa", preview: "the needle in the haystack" });
    });
  });

  describe("several nodes on one database", () => {
    const schema = newSchema();
    let nodes: PostgresStore[] = [];
    let userCount = 0;

    before(async () => {
      nodes = await Promise.all(range(1, 3).map(() => PostgresStore.connect(DATABASE_URL, { schema, poolSize: 6 })));
    });
    after(async () => {
      await Promise.all(nodes.map((node) => node.close()));
      await dropSchema(schema);
    });

    const node = (i: number) => nodes[i % nodes.length]!;

    async function users(count: number): Promise<string[]> {
      const ids = range(1, count).map(() => `u${++userCount}`);
      for (const id of ids) await node(0).createUser({ id, username: id, displayName: id, passwordHash: "h", createdAt: 1 });
      return ids;
    }

    async function group(members: string[]): Promise<string> {
      const id = `g${++n}`;
      await node(0).createGroup({
        id,
        title: id,
        ownerId: members[0]!,
        memberIds: members.slice(1),
        createdAt: 2,
        messageId: `m${++n}`,
      });
      return id;
    }

    it("keeps seqs unique and gap-free when every node appends to the same conversations at once", async () => {
      const conversations: { id: string; senders: string[] }[] = [];
      for (let i = 0; i < 4; i++) {
        const senders = await users(4);
        conversations.push({ id: await group(senders), senders });
      }
      const calls: { nodeIndex: number; drafts: MessageDraft[] }[] = [];
      for (let round = 0; round < 30; round++) {
        for (let nodeIndex = 0; nodeIndex < 3; nodeIndex++) {
          // Every batch spans several conversations, in an order that differs between nodes and rounds.
          const order = [...conversations].sort(() => Math.random() - 0.5);
          const drafts = order.flatMap(({ id, senders }, k) =>
            range(1, 1 + ((round + k + nodeIndex) % 3)).map((j) => draft(id, senders[(round + j) % senders.length]!)),
          );
          calls.push({ nodeIndex, drafts });
        }
      }
      // System events take seqs from the same sequence, from yet other nodes, in the middle of it all.
      const renames = conversations.flatMap(({ id, senders }) =>
        range(1, 5).map(
          (k) => () =>
            applyChange(node(k), {
              conversationId: id,
              actorId: senders[0]!,
              change: { type: "rename", title: `t${k}` },
              createdAt: 3,
              messageId: `m${++n}`,
            }),
        ),
      );
      const [results, events] = await Promise.all([
        Promise.all(calls.map(({ nodeIndex, drafts }) => node(nodeIndex).append(drafts))),
        Promise.all(renames.map((rename) => rename())),
      ]);

      const seqs = new Map<string, number[]>(conversations.map((c) => [c.id, [1]]));
      for (const event of events) seqs.get(event.conversationId)!.push(event.seq);
      results.forEach((outcomes, i) => {
        const lastInCall = new Map<string, number>();
        outcomes.forEach((outcome, j) => {
          const { message, duplicate } = ok(outcome);
          assert.equal(duplicate, false);
          assert.equal(message.clientId, calls[i]!.drafts[j]!.clientId);
          assert.ok(message.seq > (lastInCall.get(message.conversationId) ?? 0), "seqs must follow draft order");
          lastInCall.set(message.conversationId, message.seq);
          seqs.get(message.conversationId)!.push(message.seq);
        });
      });
      for (const { id } of conversations) {
        const assigned = seqs.get(id)!.sort((a, b) => a - b);
        assert.deepEqual(assigned, range(1, assigned.length), `seqs of ${id} have gaps or repeats`);
        assert.deepEqual(await seqsOf(node(1), id), assigned);
        assert.equal((await node(2).getConversation(id))?.lastSeq, assigned.length);
      }
    });

    it("stores one message for a clientId sent through two nodes at once", async () => {
      const [sender, other] = await users(2);
      const g = await group([sender!, other!]);
      const pairs = range(1, 40).map((k) => {
        const clientId = `dup${++n}`;
        return [draft(g, sender!, clientId), { ...draft(g, sender!, clientId), body: `resent ${k}` }] as const;
      });
      const results = await Promise.all(
        pairs.map(([first, second], k) => Promise.all([node(k).append([first]), node(k + 1).append([second])])),
      );
      for (const [[a], [b]] of results) {
        const x = ok(a);
        const y = ok(b);
        assert.deepEqual([x.duplicate, y.duplicate].sort(), [false, true]);
        assert.deepEqual(x.message, y.message);
      }
      assert.deepEqual(await seqsOf(node(0), g), range(1, 41));
    });

    /**
     * Starts `work` while another session holds the conversations' row locks, so that every call queues on them and
     * they all proceed together once the locks go: the interleavings that matter happen on every run, not by luck.
     */
    async function releasedTogether<T>(conversationIds: string[], work: () => Promise<T>): Promise<T> {
      return withAdmin(async (c) => {
        await c.query("BEGIN");
        await c.query("SELECT 1 FROM conversations WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE", [conversationIds]);
        const running = work();
        running.catch(() => {});
        await sleep(150);
        await c.query("COMMIT");
        return running;
      }, schema);
    }

    it("resolves the same clientId racing into two conversations without leaving a gap", async () => {
      const [sender, other] = await users(2);
      const g1 = await group([sender!, other!]);
      const g2 = await group([sender!, other!]);
      for (let round = 0; round < 4; round++) {
        // Neither batch can see the other's uncommitted row: the unique index decides and the loser is retried.
        const results = await releasedTogether([g1, g2], () =>
          Promise.all(
            range(1, 5).map((k) => {
              const clientId = `race${++n}`;
              return Promise.all([
                node(k).append([draft(g1, other!), draft(g1, sender!, clientId)]),
                node(k + 1).append([draft(g2, sender!, clientId), draft(g2, other!)]),
              ]);
            }),
          ),
        );
        for (const [[, a], [b]] of results) {
          const x = ok(a);
          const y = ok(b);
          assert.deepEqual([x.duplicate, y.duplicate].sort(), [false, true]);
          assert.deepEqual(x.message, y.message);
        }
      }
      const s1 = await seqsOf(node(0), g1);
      const s2 = await seqsOf(node(0), g2);
      assert.deepEqual(s1, range(1, s1.length));
      assert.deepEqual(s2, range(1, s2.length));
      // A creation event and 20 plain messages each, plus the 20 contested messages split between the two.
      assert.equal(s1.length + s2.length, 2 + 40 + 20);
    });

    /**
     * Waits until at least `atLeast` sessions queue on the row locks this admin transaction holds and no more join for
     * a while; returns how many wait. The first waiter waits on this transaction's id, the rest on the tuple lock.
     */
    async function settledLockQueue(c: pg.Client, atLeast: number): Promise<number> {
      const count = async () =>
        (
          await c.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND (
               (locktype = 'transactionid' AND transactionid::text = pg_current_xact_id()::text)
               OR (locktype = 'tuple' AND relation = 'conversations'::regclass))`,
          )
        ).rows[0]!.n;
      const deadline = Date.now() + 10_000;
      let seen = await count();
      let stableSince = Date.now();
      while (seen < atLeast || Date.now() - stableSince < 150) {
        assert.ok(Date.now() < deadline, `lock queue stuck at ${seen}, expected at least ${atLeast}`);
        await sleep(10);
        const now = await count();
        if (now !== seen) stableSince = Date.now();
        seen = now;
      }
      return seen;
    }

    it("never stores a message from a member after their removal, whichever node sends it", async () => {
      const [owner, leaver] = await users(2);
      const g = await group([owner!, leaver!]);
      const before = await Promise.all(range(1, 10).map((k) => node(1 + (k % 2)).append([draft(g, leaver!)])));
      // Sends queued behind the removal must re-check membership once they hold the lock. The removal is made the
      // first in the lock queue by watching the queue, not by sleeping: it waits on this transaction's id while the
      // later sends wait on the tuple lock it holds, so it commits first. (Among the later waiters PostgreSQL keeps
      // no order once the row has a newer version, so the test orders only what PostgreSQL guarantees.)
      const [removal, afterwards] = await withAdmin(async (c) => {
        await c.query("BEGIN");
        await c.query("SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE", [g]);
        const removed = applyChange(node(0), {
          conversationId: g,
          actorId: owner!,
          change: { type: "remove", userId: leaver! },
          createdAt: 4,
          messageId: `m${++n}`,
        });
        await settledLockQueue(c, 1);
        const late = range(1, 10).map((k) => node(1 + (k % 2)).append([draft(g, leaver!)]));
        await settledLockQueue(c, 2);
        const all = Promise.all([removed, Promise.all(late)]);
        all.catch(() => {});
        await c.query("COMMIT");
        return all;
      }, schema);
      for (const outcome of before.flat()) assert.ok(ok(outcome).message.seq < removal.seq);
      for (const outcome of afterwards.flat()) {
        assert.equal(outcome.ok, false, "a send queued behind the removal was stored");
        if (!outcome.ok) assert.equal(outcome.code, "not_member");
      }
      const history = await node(1).getHistory({ conversationId: g, minSeq: 0, maxSeq: 1e9, limit: 1e6, direction: "asc" });
      assert.deepEqual(
        history.map((m) => m.seq),
        range(1, history.length),
      );
      assert.equal(history.at(-1)?.seq, removal.seq);
    });

    it("lets exactly one node create the direct conversation of a pair", async () => {
      const ids = await users(10);
      const results = await Promise.all(
        range(0, 4).flatMap((p) =>
          range(0, 2).map((k) =>
            node(k).openDirect({
              id: `d${++n}`,
              userA: k % 2 === 0 ? ids[2 * p]! : ids[2 * p + 1]!,
              userB: k % 2 === 0 ? ids[2 * p + 1]! : ids[2 * p]!,
              createdAt: 5,
              messageId: `m${++n}`,
            }),
          ),
        ),
      );
      for (let p = 0; p < 5; p++) {
        const mine = results.slice(3 * p, 3 * p + 3);
        assert.equal(mine.filter((r) => r.created).length, 1);
        assert.equal(new Set(mine.map((r) => r.conversation.id)).size, 1);
        assert.deepEqual(await seqsOf(node(0), mine[0]!.conversation.id), [1]);
      }
    });

    it("moves receipts forward only under concurrent updates from every node", async () => {
      const members = await users(5);
      const g = await group(members);
      await node(0).append(range(1, 20).map(() => draft(g, members[0]!)));
      const proposals = range(1, 60).map((k) => ({
        userId: members[1 + (k % 4)]!,
        deliveredSeq: (k * 7) % 25,
        readSeq: (k * 5) % 25,
      }));
      // Batches name several members in differing orders: row locks are taken in key order, so no deadlock.
      const batches = range(0, 11).map((b) => proposals.slice(b * 5, b * 5 + 5).reverse());
      await Promise.all(
        batches.map((batch, b) => node(b).updateReceipts(batch.map((p) => ({ conversationId: g, ...p, at: 6 })))),
      );
      for (const userId of members.slice(1)) {
        const mine = proposals.filter((p) => p.userId === userId);
        const read = Math.max(...mine.map((p) => Math.min(p.readSeq, 21)));
        const delivered = Math.max(read, ...mine.map((p) => Math.min(p.deliveredSeq, 21)));
        const membership = await node(2).getMembership(g, userId);
        assert.equal(membership?.readSeq, read);
        assert.equal(membership?.deliveredSeq, delivered);
      }
    });

    it("consumes no seq when a batch fails half-way", async () => {
      const [sender] = await users(1);
      const g = await group([sender!]);
      await withAdmin(async (c) => {
        await c.query(`CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$
                       BEGIN IF NEW.body = 'boom' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$`);
        await c.query("CREATE TRIGGER boom BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION boom()");
      }, schema);
      await assert.rejects(
        node(0).append([draft(g, sender!), draft(g, sender!), { ...draft(g, sender!), body: "boom" }]),
        /boom/,
      );
      assert.equal((await node(1).getConversation(g))?.lastSeq, 1);
      assert.equal(ok((await node(2).append([draft(g, sender!)]))[0]).message.seq, 2);
      await withAdmin((c) => c.query("DROP TRIGGER boom ON messages"), schema);
    });
  });

  describe("migrations", () => {
    const schemas: string[] = [];
    const fresh = () => {
      const schema = newSchema();
      schemas.push(schema);
      return schema;
    };
    after(async () => {
      for (const schema of schemas) await dropSchema(schema);
    });

    it("migrates exactly once when several nodes start at the same time", async () => {
      const schema = fresh();
      const stores = await Promise.all(range(1, 4).map(() => PostgresStore.connect(DATABASE_URL, { schema, poolSize: 1 })));
      await Promise.all(stores.map((s) => s.ping()));
      await Promise.all(stores.map((s) => s.close()));
      await withAdmin(async (c) => {
        const { rows } = await c.query<{ version: number }>("SELECT version FROM parley_migrations ORDER BY version");
        assert.deepEqual(
          rows.map((r) => r.version),
          MIGRATIONS.map((m) => m.version),
        );
        assert.equal(await migrate(c, { schema }), 0, "a second run applies nothing");
      }, schema);
      // Reconnecting to a current schema changes nothing either.
      const again = await PostgresStore.connect(DATABASE_URL, { schema });
      await again.close();
    });

    // A number below the newest that this build leaves free (other features' migrations are numbered in advance).
    const free = Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1).find((v) => !MIGRATIONS.some((m) => m.version === v));
    it("applies a migration numbered below the newest applied one that is still missing, in version order", {
      skip: free === undefined && "every version up to the newest is taken",
    }, async () => {
      const schema = fresh();
      const late = { version: free!, name: "numbered earlier, merged later", sql: "CREATE TABLE late (x integer);" };
      await withAdmin(async (c) => {
        assert.equal(await migrate(c, { schema }), MIGRATIONS.length);
        assert.equal(await migrate(c, { schema, migrations: [late, ...MIGRATIONS] }), 1);
        assert.equal(await migrate(c, { schema, migrations: [...MIGRATIONS, late] }), 0);
        const { rowCount } = await c.query("SELECT 1 FROM late");
        assert.equal(rowCount, 0);
      }, schema);
    });

    it("refuses a schema newer than the build", async () => {
      const schema = fresh();
      await (await PostgresStore.connect(DATABASE_URL, { schema })).close();
      await withAdmin(
        (c) => c.query("INSERT INTO parley_migrations (version, name) VALUES ($1, 'from the future')", [SCHEMA_VERSION + 1]),
        schema,
      );
      await assert.rejects(PostgresStore.connect(DATABASE_URL, { schema }), /newer than this build/);
    });

    it("resumes an upgrade from the last applied migration and rolls a failed one back whole", async () => {
      const schema = fresh();
      const extra = { version: SCHEMA_VERSION + 1, name: "extra", sql: "CREATE TABLE extra (x integer);" };
      const broken = {
        version: SCHEMA_VERSION + 2,
        name: "broken",
        sql: "CREATE TABLE half_done (x integer); CREATE TABLE extra (x integer);",
      };
      await withAdmin(async (c) => {
        assert.equal(await migrate(c, { schema }), MIGRATIONS.length);
        assert.equal(await migrate(c, { schema, migrations: [...MIGRATIONS, extra] }), 1);
        await assert.rejects(migrate(c, { schema, migrations: [...MIGRATIONS, extra, broken] }), /already exists/);
        const { rows } = await c.query<{ version: number }>("SELECT max(version) AS version FROM parley_migrations");
        assert.equal(rows[0]?.version, SCHEMA_VERSION + 1);
        const half = await c.query("SELECT to_regclass('half_done') AS t");
        assert.equal(half.rows[0]?.t, null, "the failed migration left a table behind");
        // The advisory lock was released: another session can migrate right away.
        await withAdmin(
          async (other) => assert.equal(await migrate(other, { schema, migrations: [...MIGRATIONS, extra] }), 0),
          schema,
        );
      }, schema);
    });

    it("rejects a schema name it would have to quote", async () => {
      await assert.rejects(PostgresStore.connect(DATABASE_URL, { schema: "Bad-Name; DROP" }), /invalid schema name/);
    });
  });

  describe("when the server is unreachable", () => {
    const target = new URL(DATABASE_URL);
    const urlVia = (port: number) => {
      const url = new URL(DATABASE_URL);
      url.hostname = "127.0.0.1";
      url.port = String(port);
      return url.toString();
    };

    async function freePort(): Promise<number> {
      const server = net.createServer();
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const { port } = server.address() as net.AddressInfo;
      await new Promise((resolve) => server.close(resolve));
      return port;
    }

    /** A TCP relay in front of the server that a test can cut, freeze or turn into a black hole. */
    class Relay {
      private readonly sockets = new Set<net.Socket>();
      private server: net.Server | undefined;
      mode: "relay" | "frozen" | "silent" = "relay";
      port = 0;

      async start(port = 0): Promise<void> {
        const server = net.createServer((downstream) => {
          this.sockets.add(downstream);
          downstream.on("close", () => this.sockets.delete(downstream));
          downstream.on("error", () => downstream.destroy());
          if (this.mode === "silent") return; // accepts and never answers
          const upstream = net.connect(Number(target.port || 5432), target.hostname);
          this.sockets.add(upstream);
          upstream.on("close", () => {
            this.sockets.delete(upstream);
            downstream.destroy();
          });
          upstream.on("error", () => upstream.destroy());
          downstream.on("close", () => upstream.destroy());
          downstream.on("data", (chunk) => this.mode === "relay" && upstream.write(chunk));
          upstream.on("data", (chunk) => this.mode === "relay" && downstream.write(chunk));
        });
        await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
        this.server = server;
        this.port = (server.address() as net.AddressInfo).port;
      }

      /** Stops listening and resets every relayed connection, like a server that went away. */
      async stop(): Promise<void> {
        for (const socket of this.sockets) socket.destroy();
        const server = this.server;
        this.server = undefined;
        if (server) await new Promise((resolve) => server.close(resolve));
      }
    }

    async function rejectsWithin(promise: Promise<unknown>, ms: number): Promise<void> {
      const started = Date.now();
      await assert.rejects(promise);
      assert.ok(Date.now() - started < ms, `took ${Date.now() - started} ms to reject`);
    }

    it("rejects connecting when nothing listens on the port", async () => {
      await rejectsWithin(PostgresStore.connect(urlVia(await freePort()), { connectionTimeoutMs: 1000 }), 3000);
    });

    it("rejects connecting when the server accepts but never answers", async () => {
      const relay = new Relay();
      relay.mode = "silent";
      await relay.start();
      try {
        await rejectsWithin(PostgresStore.connect(urlVia(relay.port), { connectionTimeoutMs: 500 }), 3000);
      } finally {
        await relay.stop();
      }
    });

    it("rejects calls while the server is gone and works again once it is back", async () => {
      const schema = newSchema();
      const relay = new Relay();
      await relay.start();
      const errors: Error[] = [];
      const store = await PostgresStore.connect(urlVia(relay.port), {
        schema,
        poolSize: 3,
        connectionTimeoutMs: 500,
        statementTimeoutMs: 300,
        onError: (error) => errors.push(error),
      });
      try {
        await store.createUser({ id: "a", username: "a", displayName: "A", passwordHash: "h", createdAt: 1 });
        await store.createGroup({ id: "g", title: "G", ownerId: "a", memberIds: [], createdAt: 2, messageId: "m1" });
        await store.ping();

        // A reset of the idle pooled connection, then refused reconnects: every call rejects, the process lives on.
        await relay.stop();
        await new Promise((resolve) => setTimeout(resolve, 50));
        await rejectsWithin(store.ping(), 2000);
        await rejectsWithin(store.append([draft("g", "a")]), 2000);
        await rejectsWithin(store.getHistory({ conversationId: "g", minSeq: 0, maxSeq: 10, limit: 10, direction: "asc" }), 2000);
        assert.ok(errors.length > 0, "the idle connection's error reached onError");

        await relay.start(relay.port);
        await store.ping();
        assert.equal(ok((await store.append([draft("g", "a")]))[0]).message.seq, 2);

        // A server that stops answering mid-call (network cut, no reset): the read timeout rejects the call.
        relay.mode = "frozen";
        await rejectsWithin(store.append([draft("g", "a")]), 3000);
        await rejectsWithin(store.ping(), 3000);
        relay.mode = "relay";
        await relay.stop();
        await relay.start(relay.port);
        await store.ping();
        // Whatever the frozen call did, the sequence has no gap.
        const seqs = await seqsOf(store, "g");
        assert.deepEqual(seqs, range(1, seqs.length));
      } finally {
        await relay.stop();
        await store.close();
        await dropSchema(schema);
      }
    });
  });
});
