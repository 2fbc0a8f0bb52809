// Security review #1 (issue 24): one account must not freeze an embedded (SQLite) server with searches. On a generated
// corpus of messages in conversations the attacker is not in, the attack queries must cost about what a normal search
// costs, another user's pings must stay fast while they run, and an outsider's timing must not tell how often a word
// occurs in other people's conversations. Every check is a ratio of times measured in this run.

import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { AuthResult } from "@parley/protocol";
import Database from "better-sqlite3-multiple-ciphers";
import pg from "pg";
import { PostgresStore } from "../../adapters/postgres/postgres-store.js";
import { SearchService } from "../../services/search-service.js";
import { dropSchema, probePostgres, TEST_DATABASE_URL, uniqueName } from "../cluster-harness.js";
import { connectVia, http, type ProtocolClient, register, startTestServer, type TestServer } from "../harness.js";
import { requireService } from "../services.js";

/** Messages in other people's conversations: enough that whole-index work dwarfs a normal search. */
const CORPUS_MESSAGES = 120_000;
const CORPUS_CONVERSATIONS = 1_200;
/** How many of them carry FREQUENT: just under what made the old code switch to filtering by conversation. */
const FREQUENT_HITS = 1_900;
const FREQUENT = "quasarword";
/** In every other message of the corpus: what a member of much of it finds in thousands of messages. */
const COMMON = "team";
/** How many corpus conversations the veteran (a legitimate user with a large history) is a member of. */
const VETERAN_CONVERSATIONS = 300;
const ABSENT = "nebulaword";
const SYLLABLES = ["ta", "ri", "po", "ka", "mi", "so", "lu", "ne", "da", "fe", "go", "hi", "ju", "ve", "zo", "be"];
/** The reported attack: 16 two-letter prefixes. */
const ATTACK = SYLLABLES.map((s) => `${s}*`).join(" ");
/** The costliest query the limits still accept: the most terms, each a prefix of the shortest length. */
const WORST_ALLOWED = SYLLABLES.slice(0, 8)
  .map((s, i) => `${s}${SYLLABLES[(i + 3) % SYLLABLES.length]![0]}*`)
  .join(" ");

/** A deterministic pseudo-random sequence, so every run builds the same corpus. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
    return x / 2_147_483_648;
  };
}

/** Writes the corpus straight into the server's database (a second connection), as many users' history would. */
function writeCorpus(dataDir: string, veteranId: string): void {
  const db = new Database(join(dataDir, "parley.db"));
  const next = random(24);
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
  const word = () => pick(SYLLABLES) + pick(SYLLABLES) + pick(SYLLABLES);
  try {
    db.transaction(() => {
      const user = db.prepare(
        "INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES (?, ?, ?, 'x', 1)",
      );
      const conversation = db.prepare(
        "INSERT INTO conversations (id, kind, title, created_at, last_seq) VALUES (?, 'group', 'g', 1, ?)",
      );
      const member = db.prepare(
        `INSERT INTO members (conversation_id, user_id, role, joined_seq, delivered_seq, read_seq, receipt_at)
         VALUES (?, ?, 'member', 1, 0, 0, 1)`,
      );
      const message = db.prepare(
        `INSERT INTO messages (conversation_id, seq, id, sender_id, client_id, kind, body, created_at)
         VALUES (?, ?, ?, ?, ?, 'text', ?, ?)`,
      );
      for (let u = 0; u < 100; u++) user.run(`U_other${u}`, `other${u}`, `Other ${u}`);
      const perConversation = CORPUS_MESSAGES / CORPUS_CONVERSATIONS;
      const frequentEvery = Math.floor(CORPUS_MESSAGES / FREQUENT_HITS);
      let n = 0;
      for (let c = 0; c < CORPUS_CONVERSATIONS; c++) {
        const id = `C_other${c}`;
        conversation.run(id, perConversation);
        const a = `U_other${c % 100}`;
        const b = `U_other${(c + 1) % 100}`;
        member.run(id, a);
        member.run(id, b);
        if (c < VETERAN_CONVERSATIONS) member.run(id, veteranId);
        for (let seq = 1; seq <= perConversation; seq++, n++) {
          const words = Array.from({ length: 8 + Math.floor(next() * 5) }, word);
          if (n % frequentEvery === 0) words.push(FREQUENT);
          if (n % 2 === 0) words.push(COMMON);
          message.run(id, seq, `M_${n}`, seq % 2 ? a : b, `c${n}`, words.join(" "), 1_000 + n);
        }
      }
    })();
  } finally {
    db.close();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe("security review #1: search cost is bounded by the caller's own conversations (SQLite)", () => {
  let server: TestServer;
  let attacker: AuthResult;
  let friend: AuthResult;
  let victim: AuthResult;
  let outsider: AuthResult;
  let veteran: AuthResult;
  let victimSocket: ProtocolClient;

  /** One search over HTTP as `who`, timed; a refused query counts too (it is what the attacker gets back). */
  async function timed(who: AuthResult, query: string): Promise<{ ms: number; status: number }> {
    const start = performance.now();
    const res = await http(server, "GET", `/v1/search/messages?query=${encodeURIComponent(query)}`, undefined, who.accessToken);
    return { ms: performance.now() - start, status: res.status };
  }

  /**
   * The fastest of `runs` searches of each query, interleaved: load from outside this test (other processes, GC) only
   * ever adds time, so the minimum is the cost of the search itself.
   */
  async function fastest(who: AuthResult, queries: readonly string[], runs: number): Promise<number[]> {
    const times = queries.map((): number[] => []);
    for (let r = 0; r < runs; r++) {
      for (const [i, query] of queries.entries()) times[i]!.push((await timed(who, query)).ms);
    }
    return times.map((list) => Math.min(...list));
  }

  /** The slowest of the victim's pings, sent one after another while `concurrent` searches of `query` run. */
  async function slowestPing(who: AuthResult, query: string, concurrent: number): Promise<number> {
    let running = true;
    const searches = Promise.all(Array.from({ length: concurrent }, () => timed(who, query))).finally(() => {
      running = false;
    });
    let slowest = 0;
    do {
      const start = performance.now();
      await victimSocket.request("ping", {});
      slowest = Math.max(slowest, performance.now() - start);
    } while (running);
    await searches;
    return slowest;
  }

  before(async () => {
    server = await startTestServer();
    [attacker, friend, victim, outsider, veteran] = await Promise.all([
      register(server),
      register(server),
      register(server),
      register(server),
      register(server),
    ]);
    writeCorpus(server.dataDir, veteran.user.id);
    // The attacker has a small history of their own, so their searches do reach the index.
    const socket = await connectVia("ws", server, attacker.accessToken);
    const group = (await socket.request("conversations.createGroup", { title: "Mine", memberIds: [friend.user.id] })).id;
    for (let i = 0; i < 20; i++) {
      await socket.request("messages.send", {
        conversationId: group,
        clientId: `own${i}`,
        body: `hello ${SYLLABLES[i % 16]}${SYLLABLES[(i + 5) % 16]}${SYLLABLES[(i + 9) % 16]} plans`,
      });
    }
    await socket.close();
    victimSocket = await connectVia("ws", server, victim.accessToken);
    // Indexes the whole corpus (searches index what is pending first) and warms the caches of every statement.
    await fastest(attacker, ["hello", ATTACK, WORST_ALLOWED, FREQUENT, ABSENT], 1);
    await fastest(outsider, [FREQUENT, ABSENT], 1);
    await fastest(veteran, [COMMON], 1);
  });

  after(async () => {
    await victimSocket?.close();
    await server?.close();
  });

  it("refuses the reported query shape: more than 8 terms, prefixes shorter than 3 characters", async () => {
    for (const query of [ATTACK, "ta*", "hello ri*"]) {
      const res = await http(
        server,
        "GET",
        `/v1/search/messages?query=${encodeURIComponent(query)}`,
        undefined,
        attacker.accessToken,
      );
      assert.equal(res.status, 400, query);
      assert.equal(res.body.error.code, "validation_failed");
      assert.equal(res.body.error.details.field, "query");
    }
  });

  it("makes the attack queries cost about what a normal search costs", async (t) => {
    const [normal, attack, worst] = await fastest(attacker, ["hello", ATTACK, WORST_ALLOWED], 9);
    t.diagnostic(`fastest ms: normal ${normal}, 16 short prefixes ${attack}, 8 three-letter prefixes ${worst}`);
    assert.ok(attack! / normal! < 4, `16 short prefixes: ${attack!.toFixed(1)} ms vs ${normal!.toFixed(1)} ms for "hello"`);
    assert.ok(worst! / normal! < 4, `8 three-letter prefixes: ${worst!.toFixed(1)} ms vs ${normal!.toFixed(1)} ms`);
  });

  it("keeps another user's pings fast while attack searches, or one broad search of a large history, run", async (t) => {
    const rounds = { normal: [] as number[], attack: [] as number[], worst: [] as number[], broad: [] as number[] };
    for (let r = 0; r < 5; r++) {
      rounds.normal.push(await slowestPing(attacker, "hello", 4));
      rounds.attack.push(await slowestPing(attacker, ATTACK, 4));
      rounds.worst.push(await slowestPing(attacker, WORST_ALLOWED, 4));
      rounds.broad.push(await slowestPing(veteran, COMMON, 1));
    }
    t.diagnostic(`slowest ping ms per round: ${JSON.stringify(rounds)}`);
    const base = median(rounds.normal);
    for (const kind of ["attack", "worst", "broad"] as const) {
      const slowest = median(rounds[kind]);
      assert.ok(slowest / base < 5, `slowest ping during ${kind}: ${slowest.toFixed(1)} ms vs ${base.toFixed(1)} ms`);
    }
  });

  it("does not let an outsider's timing tell a frequent word of other people's conversations from an absent one", async (t) => {
    for (const who of [outsider, attacker]) {
      const [frequent, absent] = await fastest(who, [FREQUENT, ABSENT], 15);
      t.diagnostic(`${who === outsider ? "outsider" : "attacker"} fastest ms: frequent ${frequent}, absent ${absent}`);
      assert.ok(
        frequent! / absent! < 2,
        `${who === outsider ? "outsider" : "attacker"}: "${FREQUENT}" (${FREQUENT_HITS} hits elsewhere): ${frequent!.toFixed(2)} ms vs absent: ${absent!.toFixed(2)} ms`,
      );
    }
  });
});

describe("security review #1: PostgreSQL search cost follows the caller's history, not the table", async () => {
  if (!(await requireService("PostgreSQL", () => probePostgres()))) return;
  const schema = uniqueName("search_dos");
  let store: PostgresStore;
  let search: SearchService;
  /** Conversations (of CORPUS_CONVERSATIONS) the searching user is a member of. */
  const MINE = 300;

  before(async () => {
    store = await PostgresStore.connect(TEST_DATABASE_URL, { schema, poolSize: 2 });
    search = new SearchService(store);
    const next = random(24);
    const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
    const word = () => pick(SYLLABLES) + pick(SYLLABLES) + pick(SYLLABLES);
    const frequentEvery = Math.floor(CORPUS_MESSAGES / FREQUENT_HITS);
    const per = CORPUS_MESSAGES / CORPUS_CONVERSATIONS;
    const bodies = Array.from({ length: CORPUS_MESSAGES }, (_, n) => {
      const words = Array.from({ length: 8 + Math.floor(next() * 5) }, word);
      // Frequent in the conversations the searching user is not in only: their own hits would cost them, rightly.
      if (n % frequentEvery === 0 && n >= MINE * per) words.push(FREQUENT);
      return words.join(" ");
    });
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${schema}` });
    await client.connect();
    try {
      await client.query(`INSERT INTO users (id, username, display_name, password_hash, created_at)
                          VALUES ('U_me', 'me', 'Me', 'x', 1), ('U_other', 'other', 'Other', 'x', 1)`);
      await client.query(`INSERT INTO conversations (id, kind, title, created_at, last_seq)
                          SELECT 'C' || g, 'group', 'g', 1, ${per} FROM generate_series(0, ${CORPUS_CONVERSATIONS - 1}) g`);
      await client.query(`INSERT INTO members (conversation_id, user_id, role, joined_seq, delivered_seq, read_seq, receipt_at)
                          SELECT 'C' || g, 'U_me', 'member', 1, 0, 0, 1 FROM generate_series(0, ${MINE - 1}) g`);
      await client.query(
        `INSERT INTO messages (conversation_id, seq, id, sender_id, client_id, kind, body, created_at)
         SELECT 'C' || ((i - 1) / ${per}), ((i - 1) % ${per}) + 1, 'M' || i, 'U_other', 'c' || i, 'text', b, i
         FROM unnest($1::text[]) WITH ORDINALITY AS t(b, i)`,
        [bodies],
      );
      await client.query("ANALYZE");
    } finally {
      await client.end();
    }
  });

  after(async () => {
    await store?.close();
    await dropSchema(schema);
  });

  /** The fastest of `runs` searches of each query (interleaved; outside load only adds time). */
  async function fastest(queries: readonly string[], runs: number): Promise<number[]> {
    const times = queries.map((): number[] => []);
    for (let r = 0; r < runs; r++) {
      for (const [i, query] of queries.entries()) {
        const start = performance.now();
        await search.search("U_me", { query });
        times[i]!.push(performance.now() - start);
      }
    }
    return times.map((list) => Math.min(...list));
  }

  it("costs a member of many conversations about the same for any query, however frequent its words elsewhere", async (t) => {
    await fastest([ABSENT, FREQUENT, WORST_ALLOWED], 1);
    const [absent, frequent, worst] = await fastest([ABSENT, FREQUENT, WORST_ALLOWED], 7);
    t.diagnostic(`fastest ms: absent ${absent}, frequent ${frequent}, 8 three-letter prefixes ${worst}`);
    assert.ok(worst! / absent! < 2.5, `8 three-letter prefixes: ${worst!.toFixed(1)} ms vs ${absent!.toFixed(1)} ms`);
    assert.ok(frequent! / absent! < 2, `"${FREQUENT}": ${frequent!.toFixed(1)} ms vs absent: ${absent!.toFixed(1)} ms`);
  });
});
