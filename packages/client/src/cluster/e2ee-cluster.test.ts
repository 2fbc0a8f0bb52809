// End-to-end encryption in cluster mode: two node processes on PostgreSQL and Redis, the members' devices spread over
// both. Encrypted messages, a reply, a reaction and a file cross the nodes; afterwards no table of the cluster's
// PostgreSQL schema holds any of the texts (docs/e2ee.md).

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Message } from "@parley/protocol";
import { Cluster, probeClusterServices, requireService, waitUntil } from "@parley/server/testing";
import { E2ee, MemoryMlsStateStore, ParleyClient } from "../node.js";
import { assertNoPlaintext, databaseBytes } from "../testing/database-bytes.js";

const available = await requireService("E2EE cluster test (PostgreSQL, Redis)", () => probeClusterServices({ haproxy: false }));

const PASSWORD = "correct horse battery";

describe("cluster: encrypted conversations across two nodes", { skip: !available && "services unavailable" }, () => {
  let cluster: Cluster;
  const clients: ParleyClient[] = [];
  const run = randomBytes(3).toString("hex");
  const secrets: string[] = [];
  const secret = (label: string) => {
    const value = `secret-${label}-${randomBytes(6).toString("hex")}`;
    secrets.push(value);
    return value;
  };

  before(async () => {
    cluster = await Cluster.start({
      nodes: 2,
      haproxy: false,
      env: { PARLEY_RATE_REQUESTS: "off", PARLEY_RATE_MESSAGES: "off" },
    });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await cluster?.close();
  });

  async function device(server: string, username: string, register: boolean) {
    const client = new ParleyClient({ server, gapWaitMs: 100, requestTimeoutMs: 10_000 });
    client.on("error", () => {});
    clients.push(client);
    if (register) await client.register(username, PASSWORD);
    else await client.login(username, PASSWORD);
    await client.connect();
    const e2ee = await E2ee.start(client, { store: new MemoryMlsStateStore(), keyPackages: 4 });
    const seen: Message[] = [];
    const updates: Message[] = [];
    const failures: number[] = [];
    client.on("message", (m) => seen.push(m));
    client.on("updated", (m) => updates.push(m));
    client.on("decrypt-failed", (f) => failures.push(f.seq));
    return { client, e2ee, seen, updates, failures };
  }

  it("members on two nodes exchange encrypted messages, replies, reactions and files; PostgreSQL holds no plaintext", async () => {
    const [n1, n2] = cluster.nodes.map((n) => n.url) as [string, string];
    const a = await device(n1, `ca${run}`, true);
    const b1 = await device(n2, `cb${run}`, true);
    const b2 = await device(n1, `cb${run}`, false);
    const group = await a.e2ee.createGroup(`cluster ${run}`, [b1.client.user!.id]);
    const texts = (d: { seen: Message[] }) =>
      d.seen.filter((m) => m.conversationId === group.id && m.kind === "text").map((m) => m.body);

    const hello = secret("hello");
    const first = await a.client.send(group.id, hello);
    await waitUntil("b1 (node 2) reads it", () => texts(b1).includes(hello), 10_000);
    await waitUntil("b2 (node 1) reads it", () => texts(b2).includes(hello), 10_000);
    const answer = secret("answer");
    const reply = await b1.client.send(group.id, answer, { replyTo: first.seq });
    await b1.client.react(group.id, first.seq, "🎉");
    const fileBytes = Buffer.from(secret("file"));
    const file = await b2.e2ee.upload(fileBytes, { name: `${secret("file-name")}.txt`, type: "text/plain" });
    const caption = secret("caption");
    await b2.client.send(group.id, caption, { attachments: [file] });

    await waitUntil("a reads the reply and the file", () => texts(a).includes(answer) && texts(a).includes(caption), 10_000);
    const shownReply = a.seen.find((m) => m.conversationId === group.id && m.seq === reply.seq)!;
    assert.equal(shownReply.replyTo?.preview, hello);
    await waitUntil("a sees the reaction", () => a.updates.some((m) => m.seq === first.seq && m.reactions?.length === 1), 10_000);
    const withFile = a.seen.find((m) => m.conversationId === group.id && m.body === caption)!;
    assert.deepEqual(Buffer.from(await a.e2ee.download(withFile.attachments[0]!.id)), fileBytes);
    assert.deepEqual([...a.failures, ...b1.failures, ...b2.failures], []);

    const dump = await databaseBytes({ schema: cluster.schema });
    assert.ok(
      dump.includes(Buffer.from(`cluster ${run}`)),
      "the group's title (not encrypted) is in the dump: the search can fail",
    );
    assertNoPlaintext(dump, secrets);
  });
});
