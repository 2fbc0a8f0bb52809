// `GET /v1/me/export` as a user meets it, on both engines: the archive unpacks into the profile, every text message
// the user sent (in every conversation, edits and deletes as they stand, nobody else's), and the files they uploaded
// byte for byte (nobody else's); a missing or bad token gets the documented error.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { createGunzip } from "node:zlib";
import type { Message } from "@parley/protocol";
import { extract } from "tar-stream";
import { probeClusterServices } from "./cluster-harness.js";
import {
  connectVia,
  type ProtocolClient,
  register,
  startTestCluster,
  startTestServer,
  type TestServer,
  uploadFile,
} from "./harness.js";
import { requireService } from "./services.js";

const clusterAvailable = await requireService("data export on PostgreSQL", () => probeClusterServices({ haproxy: false }));

/** Reads a tar.gz into a map of path → bytes. */
async function unpack(bytes: Buffer): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const reader = extract();
  reader.on("entry", (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: unknown) => chunks.push(c as Buffer));
    stream.on("end", () => {
      files.set(header.name, Buffer.concat(chunks));
      next();
    });
  });
  const done = new Promise<void>((resolve, reject) => {
    reader.once("finish", resolve);
    reader.once("error", reject);
  });
  Readable.from([bytes]).pipe(createGunzip()).pipe(reader);
  await done;
  return files;
}

const ENGINES = [
  { name: "embedded", start: async () => ({ server: await startTestServer(), close: async () => {} }) },
  {
    name: "PostgreSQL",
    skip: !clusterAvailable,
    start: async () => {
      const cluster = await startTestCluster({ label: "export", nodeIds: ["a"] });
      return { server: cluster.nodes[0] as TestServer, close: () => cluster.close() };
    },
  },
];

for (const engine of ENGINES) {
  describe(`GET /v1/me/export (${engine.name})`, { skip: engine.skip && "services unavailable" }, () => {
    let server: TestServer;
    let close: () => Promise<void>;
    let alice: ProtocolClient;
    let bob: ProtocolClient;
    let aliceToken: string;
    let aliceId: string;
    before(async () => {
      ({ server, close } = await engine.start());
      const a = await register(server, `exp_a_${randomBytes(3).toString("hex")}`);
      const b = await register(server);
      aliceToken = a.accessToken;
      aliceId = a.user.id;
      alice = await connectVia("ws", server, a.accessToken);
      bob = await connectVia("ws", server, b.accessToken);
    });
    after(async () => {
      await alice?.close();
      await bob?.close();
      await server?.close();
      await close?.();
    });

    it("unpacks into the profile, the messages the user sent and the files they uploaded", async () => {
      const file = randomBytes(200_000);
      const upload = await uploadFile(server, aliceToken, "..notes β.bin", file, "application/octet-stream");
      const direct = await alice.request("conversations.openDirect", { userId: (await bob.request("me.get", {})).id });
      const group = await alice.request("conversations.createGroup", { title: "export group", memberIds: [] });
      const sent = async (conversationId: string, body: string, attachments: string[] = []) =>
        (await alice.request("messages.send", { conversationId, clientId: body, body, attachments })) as { seq: number };
      await sent(direct.id, "first to bob", [upload.id]);
      const edited = await sent(direct.id, "to be edited");
      await alice.request("messages.edit", {
        conversationId: direct.id,
        clientId: "edit1",
        seq: edited.seq,
        body: "edited text",
      });
      await bob.request("messages.send", { conversationId: direct.id, clientId: "b1", body: "bob's reply" });
      await uploadFile(server, (await register(server)).accessToken, "other.txt", Buffer.from("not alice's"), "text/plain");
      for (let i = 0; i < 3; i++) await sent(group.id, `group ${i}`);

      const response = await fetch(`${server.url}/v1/me/export`, { headers: { authorization: `Bearer ${aliceToken}` } });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "application/gzip");
      assert.match(response.headers.get("content-disposition") ?? "", /attachment; filename="parley-export-.*\.tar\.gz"/);
      const files = await unpack(Buffer.from(await response.arrayBuffer()));

      const profile = JSON.parse(files.get("parley-export/profile.json")?.toString() ?? "null");
      assert.equal(profile.user.id, aliceId);
      assert.equal(typeof profile.exportedAt, "number");

      const messages = (files.get("parley-export/messages/00001.jsonl")?.toString() ?? "")
        .split("\n")
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as Message);
      assert.ok(messages.every((m) => m.senderId === aliceId && m.kind === "text"));
      const bodies = messages.map((m) => m.body).sort();
      assert.deepEqual(bodies, ["edited text", "first to bob", "group 0", "group 1", "group 2"]);
      assert.equal(messages.find((m) => m.body === "first to bob")?.attachments[0]?.id, upload.id);

      const listed = JSON.parse(files.get("parley-export/files.json")?.toString() ?? "[]");
      assert.equal(listed.length, 1, "only alice's upload");
      assert.equal(listed[0].id, upload.id);
      assert.equal(listed[0].name, "..notes β.bin");
      assert.equal(listed[0].path, `files/${upload.id}-_notes β.bin`);
      assert.deepEqual(files.get(`parley-export/${listed[0].path}`), file);
    });

    it("refuses a request without a valid token", async () => {
      const none = await fetch(`${server.url}/v1/me/export`);
      assert.equal(none.status, 401);
      assert.equal(((await none.json()) as { error: { code: string } }).error.code, "unauthorized");
      const bad = await fetch(`${server.url}/v1/me/export`, { headers: { authorization: "Bearer nope" } });
      assert.equal(bad.status, 401);
    });
  });
}
