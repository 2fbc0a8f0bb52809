// The behavioural contract of every UploadStore adapter, together with the Store it shares a database with: upload
// records, attachments stored with messages, download authorization by membership window, and the sweep queries.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { applyChange } from "./store.contract.js";
import type { Store } from "./store.js";
import { toAttachment, type UploadRecord, type UploadStore } from "./upload-store.js";

export interface UploadFixture {
  store: Store;
  uploads: UploadStore;
}

export function runUploadStoreContract(
  name: string,
  open: () => Promise<UploadFixture>,
  cleanup: (f: UploadFixture) => Promise<void> = (f) => f.store.close(),
): void {
  describe(`UploadStore contract: ${name}`, () => {
    let f: UploadFixture;
    const run = randomUUID().replaceAll("-", "").slice(0, 8);
    let counter = 0;
    const id = (p: string) => `${p}_${run}_${++counter}`;
    const hash = () => (run + String(++counter).padStart(8, "0")).padEnd(64, "a");
    const T0 = 1_700_000_000_000;

    before(async () => {
      f = await open();
    });
    after(() => cleanup(f));

    async function user(): Promise<string> {
      const uid = id("u");
      await f.store.createUser({ id: uid, username: uid.toLowerCase(), displayName: uid, passwordHash: "x", createdAt: T0 });
      return uid;
    }

    function record(uploaderId: string, over: Partial<UploadRecord> = {}): UploadRecord {
      return {
        id: id("up"),
        uploaderId,
        sha256: hash(),
        size: 123,
        mimeType: "application/pdf",
        name: "file name ü.pdf",
        width: null,
        height: null,
        thumbSha256: null,
        createdAt: T0,
        scanStatus: "clean",
        ...over,
      };
    }

    async function create(r: UploadRecord, at = T0): Promise<UploadRecord> {
      const claims = [{ sha256: r.sha256, size: r.size }, ...(r.thumbSha256 ? [{ sha256: r.thumbSha256, size: 10 }] : [])];
      assert.equal(await f.uploads.createUpload(r, claims, at), true);
      return r;
    }

    /** A direct conversation of `a` and `b`. */
    async function direct(a: string, b: string): Promise<string> {
      const { conversation } = await f.store.openDirect({ id: id("c"), userA: a, userB: b, createdAt: T0, messageId: id("m") });
      return conversation.id;
    }

    /** Sends a message with `uploads` attached (and no text); resolves with its append outcome. */
    async function share(conversationId: string, senderId: string, uploads: UploadRecord[]) {
      const [outcome] = await f.store.append([
        {
          id: id("m"),
          conversationId,
          senderId,
          clientId: id("k"),
          body: "",
          createdAt: T0,
          attachments: uploads.map((u) => toAttachment(u)),
        },
      ]);
      return outcome;
    }

    it("keeps each upload's malware scan status, and flags unscanned ones in their attachments", async () => {
      const owner = await user();
      const statuses = ["clean", "unscanned", "off"] as const;
      const made = await Promise.all(statuses.map((scanStatus) => create(record(owner, { scanStatus }))));
      const read = await f.uploads.getUploads(made.map((r) => r.id));
      assert.deepEqual(
        statuses.map((_, i) => read.find((r) => r.id === made[i]!.id)?.scanStatus),
        [...statuses],
      );
      assert.deepEqual(
        made.map((r) => toAttachment(r).unscanned),
        [undefined, true, undefined],
      );
    });

    it("lists one uploader's uploads by id, in pages", async () => {
      const alice = await user();
      const bob = await user();
      const mine: string[] = [];
      for (let i = 0; i < 5; i++) mine.push((await create(record(alice))).id);
      await create(record(bob));
      const listed: string[] = [];
      for (let after: string | null = null; ; ) {
        const page = await f.uploads.listUploadsBy(alice, after, 2);
        listed.push(...page.map((u) => u.id));
        assert.ok(page.every((u) => u.uploaderId === alice));
        if (page.length < 2) break;
        after = page.at(-1)?.id ?? null;
      }
      assert.deepEqual(listed, [...mine].sort());
      assert.deepEqual(await f.uploads.listUploadsBy(id("nobody"), null, 10), []);
    });

    it("stores and reads upload records", async () => {
      const owner = await user();
      const image = await create(record(owner, { mimeType: "image/png", width: 640, height: 480, thumbSha256: hash() }));
      const doc = await create(record(owner));
      assert.deepEqual(await f.uploads.getUpload(image.id), image);
      assert.equal(await f.uploads.getUpload("missing"), undefined);
      const many = await f.uploads.getUploads([doc.id, image.id, "missing"]);
      assert.deepEqual(
        many.sort((x, y) => x.id.localeCompare(y.id)),
        [image, doc].sort((x, y) => x.id.localeCompare(y.id)),
      );
    });

    it("stores attachments with the message and returns them wherever messages are read", async () => {
      const owner = await user();
      const other = await user();
      const up1 = await create(record(owner, { mimeType: "image/webp", width: 10, height: 20, thumbSha256: hash() }));
      const up2 = await create(record(owner));
      const conversationId = await direct(owner, other);
      const attachments = [toAttachment(up1), toAttachment(up2)];
      const outcome = await share(conversationId, owner, [up1, up2]);
      assert.ok(outcome?.ok);
      assert.deepEqual(outcome.message.attachments, attachments);
      const history = await f.store.getHistory({
        conversationId,
        minSeq: 1,
        maxSeq: 10,
        limit: 10,
        direction: "asc",
      });
      assert.deepEqual(
        history.map((m) => m.attachments),
        [[], attachments],
      );
      assert.deepEqual((await f.store.getLastMessage(conversationId, 10))?.attachments, attachments);
      const [dup] = await f.store.append([
        {
          id: outcome.message.id,
          conversationId: outcome.message.conversationId,
          senderId: outcome.message.senderId,
          clientId: outcome.message.clientId!,
          body: "",
          createdAt: outcome.message.createdAt,
          attachments: [],
        },
      ]);
      assert.ok(dup?.ok && dup.duplicate);
      assert.deepEqual(dup.message.attachments, attachments, "a duplicate returns the original's attachments");
      assert.equal(await f.uploads.canAccess(up1.id, other), true, "shared with the other member");
    });

    it("authorizes the uploader and members whose window contains the sharing message", async () => {
      const [owner, member, outsider, late] = [await user(), await user(), await user(), await user()];
      const { conversation } = await f.store.createGroup({
        id: id("g"),
        title: "t",
        ownerId: owner,
        memberIds: [member],
        createdAt: T0,
        messageId: id("m"),
      });
      const shared = await create(record(owner));
      const unshared = await create(record(owner));
      await share(conversation.id, owner, [shared]);
      await applyChange(f.store, {
        conversationId: conversation.id,
        actorId: owner,
        change: { type: "remove", userId: member },
        createdAt: T0,
        messageId: id("m"),
      });
      await applyChange(f.store, {
        conversationId: conversation.id,
        actorId: owner,
        change: { type: "add", userIds: [late], maxMembers: 10 },
        createdAt: T0,
        messageId: id("m"),
      });
      const access = async (u: string) => [await f.uploads.canAccess(shared.id, u), await f.uploads.canAccess(unshared.id, u)];
      assert.deepEqual(await access(owner), [true, true]);
      assert.deepEqual(await access(member), [true, false], "a former member keeps what was shared before leaving");
      assert.deepEqual(await access(late), [false, false], "a later member does not see earlier history");
      assert.deepEqual(await access(outsider), [false, false]);
    });

    it("deletes expired unreferenced uploads, then marks their unused blobs; referenced ones stay", async () => {
      const owner = await user();
      const other = await user();
      const twin = hash();
      const thumb = hash();
      const gone = await create(record(owner, { createdAt: T0 - 10_000, thumbSha256: thumb }), T0 - 10_000);
      const goneTwin = await create(record(owner, { sha256: twin, createdAt: T0 - 10_000 }), T0 - 10_000);
      const keptTwin = await create(record(owner, { sha256: twin, createdAt: T0 - 10_000 }), T0 - 10_000);
      const young = await create(record(owner, { createdAt: T0 }), T0);
      await share(await direct(owner, other), owner, [keptTwin]);
      let deleted = 0;
      for (;;) {
        const n = await f.uploads.deleteExpiredUploads(T0 - 1000, 1000);
        deleted += n;
        if (n === 0) break;
      }
      assert.ok(deleted >= 2);
      assert.equal(await f.uploads.getUpload(gone.id), undefined);
      assert.equal(await f.uploads.getUpload(goneTwin.id), undefined);
      assert.ok(await f.uploads.getUpload(keptTwin.id), "referenced by a message");
      assert.ok(await f.uploads.getUpload(young.id), "not expired");

      const marked = await f.uploads.markUnusedBlobs(T0 - 1000, T0 - 1_000_000, T0, 10_000);
      assert.ok(marked.includes(gone.sha256) && marked.includes(thumb), "the deleted upload's blob and thumbnail");
      assert.ok(!marked.includes(twin), "still used by the kept twin");
      assert.ok(!marked.includes(young.sha256));
      // While marked, nobody can claim the blob; once forgotten, it can be claimed (uploaded) again.
      const again = record(owner, { sha256: gone.sha256 });
      assert.equal(await f.uploads.createUpload(again, [{ sha256: gone.sha256, size: 1 }], T0), false);
      assert.equal(await f.uploads.getUpload(again.id), undefined, "nothing stored");
      assert.deepEqual(await f.uploads.markUnusedBlobs(T0 - 1000, T0 - 1_000_000, T0, 10_000), [], "marked only once");
      await f.uploads.forgetBlob(gone.sha256);
      assert.equal(await f.uploads.createUpload(again, [{ sha256: gone.sha256, size: 1 }], T0), true);
      // A mark whose sweeper never finished is handed out again once stale.
      const stale = await f.uploads.markUnusedBlobs(T0 - 1000, T0 + 1, T0 + 2, 10_000);
      assert.ok(stale.includes(thumb));
    });

    it("does not mark a blob claimed within the grace period, even when unreferenced", async () => {
      const owner = await user();
      const r = await create(record(owner, { createdAt: T0 - 50_000 }), T0);
      await f.uploads.deleteExpiredUploads(T0 - 1000, 10_000);
      assert.equal(await f.uploads.getUpload(r.id), undefined);
      assert.ok(!(await f.uploads.markUnusedBlobs(T0 - 1000, T0 - 1_000_000, T0, 10_000)).includes(r.sha256));
      assert.ok((await f.uploads.markUnusedBlobs(T0 + 1, T0 - 1_000_000, T0, 10_000)).includes(r.sha256));
    });
  });
}
