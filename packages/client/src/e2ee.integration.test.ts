// Integration: end-to-end encrypted conversations through the SDK against a real server, on SQLite and PostgreSQL
// (docs/e2ee.md, protocol §6.15). Two users with two devices each exchange messages; afterwards neither the SQLite
// files nor the PostgreSQL tables hold any of the texts. A removed member cannot decrypt what follows its removal,
// concurrent commits are resolved, a tampered ciphertext and a replayed message are refused and reported, and a
// replayed commit is refused by the delivery service.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Message } from "@parley/protocol";
import { dropSchema, probePostgres, requireService, TEST_DATABASE_URL, uniqueName } from "@parley/server/testing";
import { E2ee, FileMlsStateStore, MemoryMlsStateStore, type MlsStateStore, type ParleyClient, TsMlsProvider } from "./node.js";
import { waitUntil } from "./testing/client-events.js";
import { assertNoPlaintext, databaseBytes } from "./testing/database-bytes.js";
import { PASSWORD, SdkTestServer } from "./testing/real-server.js";

const withPostgres = await requireService("E2EE SDK tests on PostgreSQL", () => probePostgres());

interface Device {
  client: ParleyClient;
  e2ee: E2ee;
  store: MlsStateStore;
  /** Every `message` event, by conversation. */
  seen: Message[];
  failures: { conversationId: string; seq: number; code: string }[];
}

const engines: ("sqlite" | "postgres")[] = withPostgres ? ["sqlite", "postgres"] : ["sqlite"];
for (const engine of engines) {
  describe(`SDK end-to-end encryption (${engine})`, () => {
    let server: SdkTestServer;
    const schema = uniqueName("parley_e2ee");
    const run = randomBytes(3).toString("hex");
    const stateDir = mkdtempSync(join(tmpdir(), "parley-mls-state-"));
    /** Every plaintext sent in an encrypted conversation: none may be found in the database afterwards. */
    const secrets: string[] = [];
    const secret = (label: string) => {
      const value = `secret-${label}-${randomBytes(6).toString("hex")}`;
      secrets.push(value);
      return value;
    };

    before(async () => {
      server = await SdkTestServer.start({
        label: "e2ee",
        config: engine === "postgres" ? { databaseUrl: TEST_DATABASE_URL, databaseSchema: schema } : {},
      });
    });
    after(async () => {
      await server.close();
      rmSync(stateDir, { recursive: true, force: true });
      if (engine === "postgres") await dropSchema(schema);
    });

    /** A signed-in, connected device with encryption started (a new account, or another session of `username`). */
    async function device(username: string, options: { register?: boolean; fileStore?: boolean } = {}): Promise<Device> {
      const client = server.client();
      if (options.register) await client.register(username, PASSWORD);
      else await client.login(username, PASSWORD);
      await client.connect();
      const store = options.fileStore
        ? new FileMlsStateStore(join(stateDir, `${username}-${client.credentials!.sessionId}`))
        : new MemoryMlsStateStore();
      const d: Device = { client, e2ee: await E2ee.start(client, { store, keyPackages: 4 }), store, seen: [], failures: [] };
      client.on("message", (m) => d.seen.push(m));
      client.on("decrypt-failed", (f) => d.failures.push({ conversationId: f.conversationId, seq: f.seq, code: f.error.code }));
      return d;
    }

    const bodies = (d: Device, conversationId: string) =>
      d.seen.filter((m) => m.conversationId === conversationId && m.kind === "text").map((m) => m.body);

    it("two users with two devices each exchange encrypted messages; the database holds none of the texts", async () => {
      const a1 = await device(`ea${run}`, { register: true });
      const b1 = await device(`eb${run}`, { register: true });
      const a2 = await device(`ea${run}`);
      const b2 = await device(`eb${run}`, { fileStore: true });
      const group = await a1.e2ee.createGroup("secret plans", [b1.client.user!.id]);
      assert.equal(group.encrypted, true);
      const sent = [secret("a1"), secret("b1"), secret("a2"), secret("b2")];
      await a1.client.send(group.id, sent[0]!);
      await b1.client.send(group.id, sent[1]!);
      await a2.client.send(group.id, sent[2]!);
      await b2.client.send(group.id, sent[3]!);
      for (const [name, d] of Object.entries({ a1, a2, b1, b2 })) {
        await waitUntil(`${name} reads all four messages`, () => sent.every((s) => bodies(d, group.id).includes(s)));
        assert.deepEqual(d.failures, [], `${name} could decrypt everything`);
      }
      // The server stored ciphertext only: its own reads return no text.
      const { messages } = await a1.client.history(group.id);
      assert.ok(messages.filter((m) => m.kind === "text").every((m) => m.body === "" && m.mls !== undefined));
      const search = await a1.client.call("messages.search", { query: sent[0]!.split("-")[2]! });
      assert.deepEqual(search.results, [], "server search finds nothing in encrypted conversations");

      // A control: text in a plain conversation is found, so the search below can fail.
      const control = `control-${randomBytes(6).toString("hex")}`;
      const plain = await a1.client.openDirect(b1.client.user!.id);
      await a1.client.send(plain.id, control);
      // The server cannot copy a message it cannot read: forwarding out of an encrypted conversation is refused.
      const [first] = messages.filter((m) => m.kind === "text");
      await assert.rejects(
        a1.client.call("messages.forward", {
          conversationId: plain.id,
          clientId: `fwd-${run}`,
          from: { conversationId: group.id, seq: first!.seq },
        }),
        (error: { code?: string }) => error.code === "encryption_required",
      );
      const dump = await databaseBytes(engine === "sqlite" ? { dataDir: server.dataDir } : { schema });
      assert.ok(dump.includes(Buffer.from(control)), "the plain control message is in the database");
      assertNoPlaintext(dump, secrets);
    });

    it("a removed member cannot decrypt anything sent after its removal", async () => {
      const a = await device(`rpa${run}`, { register: true });
      const c = await device(`rc${run}`, { register: true });
      const group = await a.e2ee.createGroup("before and after", [c.client.user!.id]);
      const before = secret("before");
      await a.client.send(group.id, before);
      await waitUntil("c reads the message before its removal", () => bodies(c, group.id).includes(before));
      const stateBefore = (await c.store.get(`group/${group.id}`))!;
      await a.e2ee.removeMember(group.id, c.client.user!.id);
      const afterRemoval = secret("after");
      const ack = await a.client.send(group.id, afterRemoval);
      const [entry] = (await a.client.history(group.id, { after: ack.seq - 1, limit: 1 })).messages;
      assert.equal(entry?.mls?.epoch, 2, "sent in the epoch the removal started");
      // The server no longer gives c the entry; and c's keys, had it the ciphertext, do not open it.
      const mls = await TsMlsProvider.create(async () => true);
      const data = Uint8Array.from(Buffer.from(entry!.mls!.data, "base64url"));
      await assert.rejects(mls.process(stateBefore, data));
      const stateNow = await c.store.get(`group/${group.id}`);
      if (stateNow !== undefined) await assert.rejects(mls.process(stateNow, data));
      assert.ok(!bodies(c, group.id).includes(afterRemoval));
    });

    it("a member who leaves is removed from the MLS group by the others' devices", async () => {
      const a = await device(`xa${run}`, { register: true });
      const c = await device(`xc${run}`, { register: true });
      const group = await a.e2ee.createGroup("leaving", [c.client.user!.id]);
      await c.e2ee.joinPending();
      const stateBefore = (await c.store.get(`group/${group.id}`))!;
      await c.client.call("conversations.leave", { conversationId: group.id });
      // a's device sees member.left and commits the removal of c's leaf: a second commit in the stream.
      const commitsOf = async () =>
        (await a.client.history(group.id)).messages.filter((m) => m.event?.type === "mls.commit").length;
      const deadline = Date.now() + 10_000;
      while ((await commitsOf()) < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(await commitsOf(), 2, "a's device committed c's removal");
      const later = secret("after-leaving");
      const ack = await a.client.send(group.id, later);
      const [entry] = (await a.client.history(group.id, { after: ack.seq - 1, limit: 1 })).messages;
      const mls = await TsMlsProvider.create(async () => true);
      await assert.rejects(mls.process(stateBefore, Uint8Array.from(Buffer.from(entry!.mls!.data, "base64url"))));
    });

    it("a revoked device is removed from the groups by the others' devices and cannot read what follows", async () => {
      const a = await device(`va${run}`, { register: true });
      const b1 = await device(`vb${run}`, { register: true });
      const b2 = await device(`vb${run}`);
      const group = await a.e2ee.createGroup("revocation", [b1.client.user!.id]);
      // A user who shares only a plain conversation with b is not told about b's devices.
      const outsider = await device(`vo${run}`, { register: true });
      await outsider.client.openDirect(b1.client.user!.id);
      const announced: { audience: string; deviceId: string }[] = [];
      for (const [audience, d] of Object.entries({ a, b1, outsider })) {
        d.client.on("mls-device-removed", (e) => announced.push({ audience, deviceId: e.deviceId }));
      }
      const before = secret("before-revocation");
      await a.client.send(group.id, before);
      await waitUntil("b2 reads the message before its revocation", () => bodies(b2, group.id).includes(before));
      const stateBefore = (await b2.store.get(`group/${group.id}`))!;
      const b2Device = b2.client.credentials!.sessionId;
      const inGroup = async () => {
        const state = await a.store.get(`group/${group.id}`);
        return (await TsMlsProvider.create(async () => true)).members(state!).some((m) => m.deviceId === b2Device);
      };
      assert.ok(await inGroup(), "b2's leaf is in the group before");
      // b's first device signs the second one out; the server announces the device's departure.
      await b1.client.call("sessions.revoke", { sessionId: b2Device });
      const deadline = Date.now() + 10_000;
      while ((await inGroup()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(await inGroup(), false, "a commit removed b2's leaf");
      await waitUntil("a and b1 are told", () => announced.length >= 2);
      assert.deepEqual(
        announced.map((x) => x.audience).sort(),
        ["a", "b1"],
        "announced to the members of b's encrypted conversations and to b, not to a plain contact",
      );
      assert.ok(announced.every((x) => x.deviceId === b2Device));
      const after = secret("after-revocation");
      const ack = await a.client.send(group.id, after);
      await waitUntil("b1 still reads", () => bodies(b1, group.id).includes(after));
      const [entry] = (await a.client.history(group.id, { after: ack.seq - 1, limit: 1 })).messages;
      const mls = await TsMlsProvider.create(async () => true);
      await assert.rejects(mls.process(stateBefore, Uint8Array.from(Buffer.from(entry!.mls!.data, "base64url"))));
      const stateNow = await b2.store.get(`group/${group.id}`);
      if (stateNow !== undefined) {
        await assert.rejects(mls.process(stateNow, Uint8Array.from(Buffer.from(entry!.mls!.data, "base64url"))));
      }
      assert.ok(!bodies(b2, group.id).includes(after));
      assert.deepEqual(a.failures, [], "a");
      assert.deepEqual(b1.failures, [], "b1");
    });

    it("resolves two concurrent commits: one wins its epoch, the other is made again on the next", async () => {
      const a1 = await device(`ca${run}`, { register: true });
      const a2 = await device(`ca${run}`);
      const d = await device(`cd${run}`, { register: true });
      const e = await device(`ce${run}`, { register: true });
      const group = await a1.e2ee.createGroup("two adds", []);
      // a2 joins from its Welcome (the event, or the pending list when the event was missed).
      await a2.e2ee.joinPending();
      assert.ok((await a2.store.get(`group/${group.id}`)) !== undefined, "a2 joined");
      await Promise.all([a1.e2ee.addMembers(group.id, [d.client.user!.id]), a2.e2ee.addMembers(group.id, [e.client.user!.id])]);
      const commits = (await a1.client.history(group.id)).messages.filter((m) => m.event?.type === "mls.commit");
      assert.deepEqual(
        commits.map((m) => m.mls?.epoch),
        [0, 1, 2],
        "the creation's commit, then one commit per epoch",
      );
      const hello = secret("after-adds");
      await a1.client.send(group.id, hello);
      await waitUntil("d reads it", () => bodies(d, group.id).includes(hello));
      await waitUntil("e reads it", () => bodies(e, group.id).includes(hello));
      assert.deepEqual([...a1.failures, ...a2.failures, ...d.failures, ...e.failures], []);
    });

    it("a device added later joins its user's conversations by itself (external commit) and reads from then on", async () => {
      const a1 = await device(`la${run}`, { register: true });
      const b = await device(`lb${run}`, { register: true });
      const group = await a1.e2ee.createGroup("later", [b.client.user!.id]);
      const direct = await b.e2ee.openDirect(a1.client.user!.id);
      const early = secret("early");
      await a1.client.send(group.id, early);
      await waitUntil("b reads the early message", () => bodies(b, group.id).includes(early));
      // A new sign-in of a's: a device the groups have never seen.
      const a3 = await device(`la${run}`);
      assert.ok((await a3.store.get(`group/${group.id}`)) !== undefined, "a3 joined the group");
      assert.ok((await a3.store.get(`group/${direct.id}`)) !== undefined, "a3 joined the direct conversation");
      const commits = (await a1.client.history(group.id)).messages.filter((m) => m.event?.type === "mls.commit");
      assert.equal(commits.at(-1)?.mls?.deviceId, a3.client.credentials!.sessionId, "by its own commit");
      const fromB = secret("to-the-new-device");
      await b.client.send(group.id, fromB);
      const fromA3 = secret("from-the-new-device");
      await a3.client.send(direct.id, fromA3);
      await waitUntil("a3 reads b's message", () => bodies(a3, group.id).includes(fromB));
      await waitUntil("a1 reads it too", () => bodies(a1, group.id).includes(fromB));
      await waitUntil("b reads a3's message", () => bodies(b, direct.id).includes(fromA3));
      assert.deepEqual([...a1.failures, ...a3.failures, ...b.failures], []);
    });

    it("replies (with the quote inside), edits, reactions and deletes travel encrypted and resolve on every device", async () => {
      const a = await device(`pa${run}`, { register: true });
      const b = await device(`pb${run}`, { register: true });
      const updates: Message[] = [];
      b.client.on("updated", (m) => updates.push(m));
      const group = await a.e2ee.createGroup("actions", [b.client.user!.id]);
      const original = secret("original");
      const first = await a.client.send(group.id, original);
      await waitUntil("b reads the original", () => bodies(b, group.id).includes(original));
      const answer = secret("answer");
      const reply = await b.client.send(group.id, answer, { replyTo: first.seq });
      await waitUntil("a reads the reply", () => bodies(a, group.id).includes(answer));
      const shownReply = a.seen.find((m) => m.seq === reply.seq && m.conversationId === group.id)!;
      assert.deepEqual(shownReply.replyTo, { seq: first.seq, senderId: a.client.user!.id, preview: original });
      // The server's copy of the reply has no reply reference: the quote is inside the ciphertext.
      const [stored] = (await a.client.history(group.id, { after: reply.seq - 1, limit: 1 })).messages;
      assert.equal(stored?.replyTo, undefined);
      assert.equal(stored?.body, "");

      const edited = secret("edited");
      await a.client.edit(group.id, first.seq, edited);
      await waitUntil("b sees the edit", () => updates.some((m) => m.seq === first.seq && m.body === edited));
      assert.ok(updates.find((m) => m.body === edited)?.editedAt !== undefined);
      // Only the sender may edit: b's edit of a's message is ignored by every device.
      const forged = secret("forged-edit");
      await b.client.edit(group.id, first.seq, forged);
      await b.client.react(group.id, first.seq, "👍");
      await waitUntil("b sees its reaction applied", () =>
        updates.some((m) => m.seq === first.seq && m.reactions?.[0]?.userIds.includes(b.client.user!.id) === true),
      );
      const last = updates.filter((m) => m.seq === first.seq).at(-1)!;
      assert.equal(last.body, edited, "the forged edit changed nothing");
      assert.deepEqual(last.reactions, [{ emoji: "👍", count: 1, userIds: [b.client.user!.id] }]);
      await b.client.unreact(group.id, first.seq, "👍");
      await waitUntil("the reaction is withdrawn", () => {
        const now = updates.filter((m) => m.seq === first.seq).at(-1)!;
        return now.reactions === undefined && now !== last;
      });
      await a.client.deleteMessage(group.id, first.seq);
      await waitUntil("b sees the delete", () => updates.some((m) => m.seq === first.seq && m.deletedAt !== undefined));
      const tomb = updates.filter((m) => m.seq === first.seq).at(-1)!;
      assert.equal(tomb.body, null);
      // Actions arrive as action entries, as in plain conversations.
      const actions = b.seen.filter((m) => m.conversationId === group.id && m.kind === "action").map((m) => m.action?.type);
      assert.deepEqual(actions, ["edit", "edit", "reaction", "reaction", "delete"]);
      // Delete for me: the reader's history shows the entry hidden, the others' still show it.
      await b.client.deleteMessage(group.id, reply.seq, { scope: "me" });
      const mine = (await b.e2ee.history(group.id)).messages.find((m) => m.seq === reply.seq);
      assert.equal(mine?.hidden, true);
      assert.equal(mine?.body, null);
      const theirs = (await a.e2ee.history(group.id)).messages.find((m) => m.seq === reply.seq);
      assert.equal(theirs?.body, answer);
      assert.equal(theirs?.replyTo?.deleted, true, "the quoted message was deleted since");
      assert.deepEqual([...a.failures, ...b.failures], []);
    });

    it("files are encrypted before upload, the server holds opaque blobs, the recipient decrypts them", async () => {
      const a = await device(`fa${run}`, { register: true });
      const b = await device(`fb${run}`, { register: true });
      const group = await a.e2ee.createGroup("files", [b.client.user!.id]);
      const content = Buffer.from(`${secret("file-content")}\n`.repeat(50));
      const thumb = Buffer.from(secret("thumbnail-bytes"));
      const file = await a.e2ee.upload(content, {
        name: `${secret("name")}.txt`,
        type: "text/plain",
        thumbnail: { data: thumb, type: "image/webp", width: 32, height: 16 },
      });
      const caption = secret("caption");
      const sent = await a.client.send(group.id, caption, { attachments: [file] });
      await waitUntil("b reads the message", () => bodies(b, group.id).includes(caption));
      const shown = b.seen.find((m) => m.conversationId === group.id && m.seq === sent.seq)!;
      assert.equal(shown.attachments.length, 1);
      assert.equal(shown.attachments[0]!.name, file.name);
      assert.equal(shown.attachments[0]!.mimeType, "text/plain");
      assert.equal(shown.attachments[0]!.size, content.length);
      assert.equal(shown.attachments[0]!.hasThumbnail, true);
      assert.deepEqual(Buffer.from(await b.e2ee.download(shown.attachments[0]!.id)), content);
      assert.deepEqual(Buffer.from(await b.e2ee.download(shown.attachments[0]!.id, { thumbnail: true })), thumb);
      // The server's view: two opaque uploads of the entry, no name, no type, no thumbnail of its own.
      const [stored] = (await b.client.history(group.id, { after: sent.seq - 1, limit: 1 })).messages;
      assert.equal(stored!.attachments.length, 2);
      for (const x of stored!.attachments) {
        assert.equal(x.name, "encrypted.bin");
        assert.equal(x.mimeType, "application/octet-stream");
        assert.equal(x.hasThumbnail, false);
      }
      const signed = await b.client.fileUrls([stored!.attachments[0]!.id]);
      const blob = Buffer.from(await (await fetch(signed.get(stored!.attachments[0]!.id)!.url)).arrayBuffer());
      assert.ok(!blob.includes(content.subarray(0, 20)), "the stored blob is not the plaintext");
      // A plain upload cannot ride in an encrypted message: the SDK refuses it before anything is sent.
      const plainUpload = await a.client.upload(Buffer.from("plain"), { name: "plain.txt" });
      await assert.rejects(
        a.client.send(group.id, "x", { attachments: [plainUpload] }),
        (e: { code?: string }) => e.code === "validation_failed",
      );
      assert.deepEqual(b.failures, []);
    });

    it("refuses a tampered ciphertext and reports it", async () => {
      const a = await device(`ta${run}`, { register: true });
      const b = await device(`tb${run}`, { register: true });
      const group = await a.e2ee.createGroup("integrity", [b.client.user!.id]);
      const real = secret("real");
      const ack = await a.client.send(group.id, real);
      await waitUntil("b reads the real message", () => bodies(b, group.id).includes(real));
      const [entry] = (await a.client.history(group.id, { after: ack.seq - 1, limit: 1 })).messages;
      const bytes = Buffer.from(entry!.mls!.data, "base64url");
      bytes[bytes.length - 3]! ^= 0x40;
      const forged = await a.client.call("messages.send", {
        conversationId: group.id,
        clientId: `forged-${run}`,
        body: "",
        mls: { epoch: entry!.mls!.epoch, data: bytes.toString("base64url") },
      });
      await waitUntil("b reports the tampered entry", () => b.failures.some((f) => f.seq === forged.seq));
      const shown = b.seen.find((m) => m.conversationId === group.id && m.seq === forged.seq);
      assert.equal(shown?.body, null, "delivered without a text");
    });

    it("refuses a replayed message and a replayed commit, and reports the message", async () => {
      const a = await device(`rplya${run}`, { register: true });
      const b = await device(`rplyb${run}`, { register: true });
      const group = await a.e2ee.createGroup("replays", [b.client.user!.id]);
      const original = secret("original");
      const ack = await a.client.send(group.id, original);
      await waitUntil("b reads the original", () => bodies(b, group.id).includes(original));
      const { messages } = await a.client.history(group.id, { after: 0, limit: 50 });
      // The application message again, byte for byte, as a new entry: its key was used up when b decrypted it first.
      const sent = messages.find((m) => m.seq === ack.seq)!;
      const replayed = await a.client.call("messages.send", {
        conversationId: group.id,
        clientId: `replayed-${run}`,
        body: "",
        mls: { epoch: sent.mls!.epoch, data: sent.mls!.data },
      });
      await waitUntil("b reports the replayed entry", () => b.failures.some((f) => f.seq === replayed.seq));
      assert.equal(b.seen.find((m) => m.conversationId === group.id && m.seq === replayed.seq)?.body, null);
      assert.equal(bodies(b, group.id).filter((body) => body === original).length, 1, "the original shows once");
      // The commit that added b, sent again: its epoch is past, so the delivery service refuses it.
      const commit = messages.find((m) => m.kind === "system" && m.mls !== undefined)!;
      const { groupInfo } = await a.client.call("e2ee.groupInfo", { conversationId: group.id });
      await assert.rejects(
        a.client.call("e2ee.commit", {
          conversationId: group.id,
          epoch: commit.mls!.epoch,
          commit: commit.mls!.data,
          groupInfo: groupInfo!,
        }),
        (error: { code?: string; details?: { epoch?: number } }) =>
          error.code === "stale_epoch" && error.details?.epoch === commit.mls!.epoch + 1,
      );
      assert.deepEqual(a.failures, []);
    });
  });
}
