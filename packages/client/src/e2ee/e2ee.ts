// End-to-end encryption for a signed-in ParleyClient (docs/e2ee.md): this device's MLS identity in the server's
// directory, its KeyPackages, the MLS group of every encrypted conversation it is in, and the hooks that make
// `send` encrypt and the `message` event decrypt. All MLS work goes through one MlsProvider; all state through one
// MlsStateStore, written before anything made with it is sent.

import type { Attachment, ClaimedKeyPackage, Conversation, Message, MlsWelcome, OpResult } from "@parley/protocol";
import type { EncryptionHooks, HistoryOptions, ParleyClient } from "../client.js";
import { isParleyError, ParleyError, toParleyError } from "../errors.js";
import { hiddenForMe, quoteOf } from "../message-state.js";
import { applyAction, type Content, type ContentDraft, type EncryptedFile, messageOf, parseContent } from "./content.js";
import { openFile, sealFile } from "./file-crypto.js";
import type { CredentialCheck, MlsDeviceKeys, MlsIdentity, MlsProvider, OwnKeyPackage } from "./mls-provider.js";
import type { MlsStateStore } from "./mls-state-store.js";
import { TsMlsProvider } from "./ts-mls-provider.js";

export interface E2eeOptions {
  /** Where this device's MLS state lives (a FileMlsStateStore in Node, IndexedDB in a browser). */
  store: MlsStateStore;
  /** The MLS implementation; TsMlsProvider by default. */
  provider?: (check: CredentialCheck) => Promise<MlsProvider>;
  /** Top up to this many single-use KeyPackages when fewer than half are left (default 20). */
  keyPackages?: number;
  /** How long a KeyPackage is valid (default 30 days; the server takes at most 90). */
  keyPackageLifetimeMs?: number;
}

/** A file this device encrypted and uploaded, until a message carries it. */
interface PendingUpload {
  file: EncryptedFile;
  /** The opaque uploads the server links to the message: the file's and its thumbnail's. */
  uploads: Attachment[];
}

/** What `E2ee.upload` takes besides the bytes. */
export interface EncryptedUploadOptions {
  name: string;
  /** The file's type (shown to the recipients; the server sees only `application/octet-stream`). */
  type: string;
  width?: number;
  height?: number;
  /** A thumbnail the caller made (the SDK has no image library in Node): encrypted and uploaded the same way. */
  thumbnail?: { data: Uint8Array; type: string; width: number; height: number };
}

const text = new TextEncoder();
const fromText = new TextDecoder();
const b64 = (bytes: Uint8Array) => {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
};
const unb64 = (value: string) => Uint8Array.from(atob(value.replaceAll("-", "+").replaceAll("_", "/")), (c) => c.charCodeAt(0));
const json = (value: unknown) => text.encode(JSON.stringify(value));
const parse = <T>(bytes: Uint8Array) => JSON.parse(fromText.decode(bytes)) as T;
const MAX_COMMIT_ATTEMPTS = 5;
/** The name and type every encrypted upload has on the server: nothing of the file. */
const OPAQUE_NAME = "encrypted.bin";
const OPAQUE_TYPE = "application/octet-stream";

interface StoredKeyPackage {
  ref: string;
  publicMessage: string;
  privateBytes: string;
  expiresAt: number;
  lastResort: boolean;
}

export class E2ee {
  readonly #client: ParleyClient;
  readonly #store: MlsStateStore;
  readonly #mls: MlsProvider;
  readonly #device: MlsDeviceKeys;
  readonly #target: number;
  readonly #lifetimeMs: number;
  /** userId → deviceId → signature key (base64url), as the directory last said. */
  readonly #directory = new Map<string, Map<string, string>>();
  readonly #encrypted = new Map<string, boolean>();
  /** One chain of work per conversation: its group state is read and written by one task at a time. */
  readonly #queues = new Map<string, Promise<unknown>>();

  private constructor(client: ParleyClient, store: MlsStateStore, mls: MlsProvider, device: MlsDeviceKeys, options: E2eeOptions) {
    this.#client = client;
    this.#store = store;
    this.#mls = mls;
    this.#device = device;
    this.#target = options.keyPackages ?? 20;
    this.#lifetimeMs = options.keyPackageLifetimeMs ?? 30 * 86_400_000;
  }

  /**
   * Sets up end-to-end encryption for the signed-in device: registers its signature key (made on first use), tops up
   * its KeyPackages, joins conversations it was added to meanwhile, and installs the hooks on `client`.
   */
  static async start(client: ParleyClient, options: E2eeOptions): Promise<E2ee> {
    const credentials = client.credentials;
    if (credentials === undefined) throw new ParleyError("not_authenticated", "Sign in before starting encryption");
    const identity = { userId: credentials.user.id, deviceId: credentials.sessionId };
    let directory: E2ee | undefined;
    const check: CredentialCheck = (who, key) => directory!.#verify(who, key);
    const mls = await (options.provider ?? ((c) => TsMlsProvider.create(c)))(check);
    const device = await E2ee.#loadDevice(mls, options.store, identity);
    const e2ee = new E2ee(client, options.store, mls, device, options);
    directory = e2ee;
    await client.call("e2ee.devices.register", { signatureKey: b64(device.signaturePublicKey) });
    await e2ee.topUp();
    client.on("mls-welcome", (welcome) => {
      if (welcome.deviceId === identity.deviceId) e2ee.#background(e2ee.joinPending());
    });
    client.on("mls-device-removed", ({ userId, deviceId }) => e2ee.#background(e2ee.removeDevice(userId, deviceId)));
    const hooks: EncryptionHooks = {
      isEncrypted: (conversationId) => e2ee.isEncrypted(conversationId),
      encrypt: (conversationId, draft, clientId) => e2ee.#encrypt(conversationId, draft, clientId),
      decrypt: (messages) => e2ee.#decrypt(messages),
    };
    client.useEncryption(hooks);
    await e2ee.joinPending();
    await e2ee.joinAll();
    return e2ee;
  }

  static async #loadDevice(mls: MlsProvider, store: MlsStateStore, identity: MlsIdentity): Promise<MlsDeviceKeys> {
    const saved = await store.get("device");
    if (saved !== undefined) {
      const d = parse<{ userId: string; deviceId: string; publicKey: string; privateKey: string }>(saved);
      if (d.userId === identity.userId && d.deviceId === identity.deviceId) {
        return { ...identity, signaturePublicKey: unb64(d.publicKey), signaturePrivateKey: unb64(d.privateKey) };
      }
      throw new ParleyError("conflict", "This MLS state store belongs to another device session");
    }
    const device = await mls.newDevice(identity);
    await store.put(
      "device",
      json({ ...identity, publicKey: b64(device.signaturePublicKey), privateKey: b64(device.signaturePrivateKey) }),
    );
    return device;
  }

  /** This device as MLS names it. */
  get identity(): MlsIdentity {
    return { userId: this.#device.userId, deviceId: this.#device.deviceId };
  }

  /** Uploads KeyPackages when fewer than half of the target are left, and a last-resort one when there is none. */
  async topUp(): Promise<void> {
    const count = await this.#client.call("e2ee.keyPackages.count", {});
    const missing = count.count < this.#target / 2 ? this.#target - count.count : 0;
    if (missing === 0 && count.lastResort) return;
    const fresh = await this.#mls.createKeyPackages(this.#device, missing, this.#lifetimeMs);
    const last = count.lastResort ? undefined : (await this.#mls.createKeyPackages(this.#device, 1, this.#lifetimeMs))[0];
    // The private parts are kept before the public ones leave: a Welcome may come back at once.
    for (const k of fresh) await this.#saveKeyPackage(k, false);
    if (last) await this.#saveKeyPackage(last, true);
    const upload = (k: OwnKeyPackage) => ({ data: b64(k.publicMessage), expiresAt: k.expiresAt });
    await this.#client.call("e2ee.keyPackages.upload", {
      keyPackages: fresh.map(upload),
      ...(last ? { lastResort: upload(last) } : {}),
    });
  }

  async #saveKeyPackage(k: OwnKeyPackage, lastResort: boolean): Promise<void> {
    const stored: StoredKeyPackage = {
      ref: k.ref,
      publicMessage: b64(k.publicMessage),
      privateBytes: b64(k.privateBytes),
      expiresAt: k.expiresAt,
      lastResort,
    };
    await this.#store.put(`kp/${k.ref}`, json(stored));
  }

  async #keyPackages(): Promise<StoredKeyPackage[]> {
    const out: StoredKeyPackage[] = [];
    for (const key of await this.#store.keys("kp/")) {
      const bytes = await this.#store.get(key);
      if (bytes) out.push(parse<StoredKeyPackage>(bytes));
    }
    return out;
  }

  // ── conversations ─────────────────────────────────────────────────────────

  /** Opens the encrypted direct conversation with `userId` and sets up its MLS group when this device creates it. */
  async openDirect(userId: string): Promise<Conversation> {
    const conversation = await this.#client.call("conversations.openDirect", { userId, encrypted: true });
    await this.#setUp(conversation);
    return conversation;
  }

  /** Creates an encrypted group and its MLS group with every device of every member. */
  async createGroup(title: string, memberIds: readonly string[]): Promise<Conversation> {
    const conversation = await this.#client.call("conversations.createGroup", {
      title,
      memberIds: [...memberIds],
      encrypted: true,
    });
    await this.#setUp(conversation);
    return conversation;
  }

  /** Adds members to an encrypted group, then commits the Add of all their devices. */
  async addMembers(conversationId: string, userIds: readonly string[]): Promise<Message> {
    const entry = await this.#client.addMembers(conversationId, userIds);
    await this.#serial(conversationId, () => this.#commitAdding(conversationId, userIds));
    return entry;
  }

  /** Removes a member, then commits the Remove of all their devices: they cannot read anything sent after it. */
  async removeMember(conversationId: string, userId: string): Promise<Message> {
    const entry = await this.#client.removeMember(conversationId, userId);
    await this.#serial(conversationId, () =>
      this.#commit(conversationId, async (state) => {
        const leaving = this.#mls.members(state).filter((m) => m.userId === userId);
        return leaving.length === 0 ? undefined : { remove: leaving };
      }),
    );
    return entry;
  }

  /**
   * Entries of encrypted conversations read from `messages.history` (which the SDK does not decrypt): each goes
   * through the same per-conversation queue as the stream, so a text this device read before comes from its store,
   * one it has not met yet is decrypted, and one it cannot read has `body: null` (and a `decrypt-failed` event).
   */
  readHistory(messages: readonly Message[]): Promise<Message[]> {
    return this.#decrypt(messages);
  }

  async isEncrypted(conversationId: string): Promise<boolean> {
    const known = this.#encrypted.get(conversationId);
    if (known !== undefined) return known;
    const conversation = await this.#client.conversation(conversationId);
    this.#encrypted.set(conversationId, conversation.encrypted === true);
    return conversation.encrypted === true;
  }

  /** The group of a conversation this device created: every other device of every member is added at epoch 0. */
  async #setUp(conversation: Conversation): Promise<void> {
    this.#encrypted.set(conversation.id, true);
    await this.#serial(conversation.id, async () => {
      if ((await this.#store.get(`group/${conversation.id}`)) !== undefined) return;
      const { epoch } = await this.#client.call("e2ee.groupInfo", { conversationId: conversation.id });
      if (epoch > 0) return; // someone else's device made the group: this one joins from its Welcome
      await this.#store.put(`group/${conversation.id}`, await this.#mls.createGroup(this.#device, conversation.id));
      await this.#commitAdding(
        conversation.id,
        conversation.members.map((m) => m.userId),
      );
    });
  }

  /** Claims KeyPackages for every device of `userIds` not in the group yet and commits their Add. */
  async #commitAdding(conversationId: string, userIds: readonly string[]): Promise<void> {
    let claimed: ClaimedKeyPackage[] = [];
    await this.#commit(
      conversationId,
      async (state) => {
        const present = new Set(this.#mls.members(state).map((m) => `${m.userId}/${m.deviceId}`));
        claimed = (await this.#client.call("e2ee.keyPackages.claim", { userIds: [...userIds] })).keyPackages.filter(
          (k) => !present.has(`${k.userId}/${k.deviceId}`),
        );
        return claimed.length === 0 ? undefined : { add: claimed.map((k) => unb64(k.keyPackage)) };
      },
      () => claimed.map((k) => k.deviceId),
    );
  }

  /**
   * Commits the change `make` computes from the current state, on the conversation's current epoch. When another
   * commit won that epoch (`stale_epoch`) the stream is processed up to it and the change computed and sent again.
   * The new state is kept only once the server accepted the commit; a refused commit's state is dropped, never used.
   */
  async #commit(
    conversationId: string,
    make: (state: Uint8Array) => Promise<{ add?: Uint8Array[]; remove?: MlsIdentity[] } | undefined>,
    welcomed: () => string[] = () => [],
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const state = await this.#store.get(`group/${conversationId}`);
      if (state === undefined) throw new ParleyError("not_found", "This device is not in the conversation's MLS group");
      const change = await make(state);
      if (change === undefined) return;
      const result = await this.#mls.commit(state, change);
      try {
        await this.#client.call("e2ee.commit", {
          conversationId,
          epoch: result.epoch,
          commit: b64(result.commit),
          groupInfo: b64(result.groupInfo),
          ...(result.welcome === undefined ? {} : { welcome: { data: b64(result.welcome), deviceIds: welcomed() } }),
        });
      } catch (error) {
        if (!(isParleyError(error) && error.code === "stale_epoch") || attempt >= MAX_COMMIT_ATTEMPTS) throw error;
        await this.#catchUp(conversationId);
        continue;
      }
      await this.#store.put(`group/${conversationId}`, result.state);
      return;
    }
  }

  /** Processes the conversation's stream after the last entry this device handled (inside its queue). */
  async #catchUp(conversationId: string): Promise<void> {
    const after = Number(fromText.decode((await this.#store.get(`seq/${conversationId}`)) ?? text.encode("0")));
    const { messages } = await this.#client.history(conversationId, { after, limit: 1000 });
    // Membership and other plain entries carry no MLS message: only the stream's MLS entries are processed.
    for (const m of messages) if (m.mls !== undefined) await this.#open(m);
  }

  /** Joins every conversation a pending Welcome of this device is for, then acknowledges them. */
  async joinPending(): Promise<void> {
    const { welcomes } = await this.#client.call("e2ee.welcomes.list", {});
    if (welcomes.length === 0) return;
    const done: string[] = [];
    for (const welcome of welcomes) {
      await this.#serial(welcome.conversationId, () => this.#join(welcome));
      done.push(welcome.id);
    }
    await this.#client.call("e2ee.welcomes.ack", { ids: done });
    await this.topUp();
  }

  /**
   * Joins every encrypted conversation of this user that this device is not in yet (a device added later) by an
   * external commit from the conversation's latest GroupInfo. It reads the entries from the time it joined.
   */
  async joinAll(): Promise<void> {
    let after: string | undefined;
    do {
      const page = await this.#client.call("conversations.list", after === undefined ? {} : { after });
      for (const c of page.conversations) {
        if (c.encrypted !== true || c.membership !== "member") continue;
        this.#encrypted.set(c.id, true);
        await this.#serial(c.id, () => this.#joinExternally(c.id));
      }
      after = page.next ?? undefined;
    } while (after !== undefined);
  }

  async #joinExternally(conversationId: string): Promise<void> {
    for (let attempt = 1; attempt <= MAX_COMMIT_ATTEMPTS; attempt++) {
      if ((await this.#store.get(`group/${conversationId}`)) !== undefined) return;
      const { groupInfo } = await this.#client.call("e2ee.groupInfo", { conversationId });
      if (groupInfo === null) return; // its creator's device has not made the group yet: a Welcome will come
      const result = await this.#mls.joinExternal(this.#device, unb64(groupInfo));
      try {
        await this.#client.call("e2ee.commit", {
          conversationId,
          epoch: result.epoch,
          commit: b64(result.commit),
          groupInfo: b64(result.groupInfo),
        });
      } catch (error) {
        if (!(isParleyError(error) && error.code === "stale_epoch")) throw error;
        continue; // another commit won the epoch: read the newer GroupInfo and try again
      }
      await this.#store.put(`group/${conversationId}`, result.state);
      return;
    }
    throw new ParleyError("stale_epoch", "Could not join the conversation: its group kept changing");
  }

  async #join(welcome: MlsWelcome): Promise<void> {
    const current = await this.#store.get(`group/${welcome.conversationId}`);
    if (current !== undefined && this.#mls.epoch(current) >= welcome.epoch) return;
    const stored = await this.#keyPackages();
    const own = stored.map((k) => ({
      ref: k.ref,
      publicMessage: unb64(k.publicMessage),
      privateBytes: unb64(k.privateBytes),
      expiresAt: k.expiresAt,
    }));
    try {
      const joined = await this.#mls.join(this.#device, unb64(welcome.data), own);
      await this.#store.put(`group/${welcome.conversationId}`, joined.state);
      this.#encrypted.set(welcome.conversationId, true);
      // A single-use package is spent; the last-resort one stays until replaced.
      if (!stored.find((k) => k.ref === joined.used)?.lastResort) await this.#store.delete(`kp/${joined.used}`);
    } catch (error) {
      // A Welcome that cannot be used (forged, for a package this device no longer has) is reported and dropped.
      this.#client.emit("error", toParleyError(error));
    }
  }

  // ── messages ──────────────────────────────────────────────────────────────

  async #encrypt(
    conversationId: string,
    draft: ContentDraft & { attachments?: readonly Attachment[] },
    clientId: string,
  ): Promise<{ epoch: number; data: string; uploads: Attachment[] }> {
    return this.#serial(conversationId, async () => {
      const state = await this.#store.get(`group/${conversationId}`);
      if (state === undefined) throw new ParleyError("not_found", "This device is not in the conversation's MLS group yet");
      const { content, uploads } = await this.#content(conversationId, draft);
      // The content is kept here (this device cannot decrypt its own messages), then the new state, then it is sent.
      await this.#store.put(`sent/${clientId}`, json(content));
      const result = await this.#mls.encrypt(state, json(content));
      await this.#store.put(`group/${conversationId}`, result.state);
      return { epoch: result.epoch, data: b64(result.message), uploads };
    });
  }

  /** The content of a draft: a reply's quote from this device's copy of the message, files from `upload`. */
  async #content(
    conversationId: string,
    draft: ContentDraft & { attachments?: readonly Attachment[] },
  ): Promise<{ content: Content; uploads: Attachment[] }> {
    if (draft.type !== "text") return { content: { v: 1, ...draft }, uploads: [] };
    const files: EncryptedFile[] = [];
    const uploads: Attachment[] = [];
    for (const a of draft.attachments ?? []) {
      const pending = await this.#store.get(`upload/${a.id}`);
      if (pending === undefined) {
        throw new ParleyError("validation_failed", "Files in an encrypted conversation are uploaded with E2ee.upload", {
          details: { field: "attachments", uploadId: a.id },
        });
      }
      const p = parse<PendingUpload>(pending);
      files.push(p.file);
      uploads.push(...p.uploads);
    }
    const content: Content = { v: 1, type: "text", body: draft.body };
    if (draft.replyTo !== undefined) {
      const quoted = await this.#entry(conversationId, draft.replyTo);
      if (quoted === undefined || quoted.kind !== "text") {
        throw new ParleyError("message_not_found", "This device has no readable message with that seq to reply to", {
          details: { field: "replyTo" },
        });
      }
      const q = quoteOf(quoted);
      content.replyTo = { seq: q.seq, senderId: q.senderId, preview: q.preview };
    }
    if (files.length > 0) content.files = files;
    return { content, uploads };
  }

  /**
   * Encrypts a file with a random key (AES-256-GCM), uploads the ciphertext (and the caller's thumbnail, likewise),
   * and returns the attachment to pass to `send` in an encrypted conversation: its id is the opaque upload's, its name,
   * type and size the file's (which only the message's recipients learn).
   */
  async upload(data: Uint8Array, options: EncryptedUploadOptions): Promise<Attachment> {
    const sealed = await sealFile(data);
    const opaque = await this.#client.upload(sealed.blob, { name: OPAQUE_NAME, type: OPAQUE_TYPE });
    const file: EncryptedFile = {
      uploadId: opaque.id,
      name: options.name,
      mimeType: options.type,
      size: data.length,
      sha256: b64(sealed.sha256),
      key: b64(sealed.key),
      iv: b64(sealed.iv),
      ...(options.width === undefined ? {} : { width: options.width }),
      ...(options.height === undefined ? {} : { height: options.height }),
    };
    const uploads = [opaque];
    if (options.thumbnail !== undefined) {
      const t = options.thumbnail;
      const sealedThumb = await sealFile(t.data);
      const thumb = await this.#client.upload(sealedThumb.blob, { name: OPAQUE_NAME, type: OPAQUE_TYPE });
      uploads.push(thumb);
      file.thumbnail = {
        uploadId: thumb.id,
        mimeType: t.type,
        size: t.data.length,
        sha256: b64(sealedThumb.sha256),
        key: b64(sealedThumb.key),
        iv: b64(sealedThumb.iv),
        width: t.width,
        height: t.height,
      };
    }
    const pending: PendingUpload = { file, uploads };
    await this.#store.put(`upload/${opaque.id}`, json(pending));
    return {
      id: opaque.id,
      name: options.name,
      size: data.length,
      mimeType: options.type,
      width: file.width ?? null,
      height: file.height ?? null,
      hasThumbnail: file.thumbnail !== undefined,
    };
  }

  /**
   * The plaintext of an encrypted file of a message this device decrypted (`attachment.id`), or of its thumbnail:
   * downloaded, decrypted and checked against the digest the message carries.
   */
  async download(uploadId: string, options: { thumbnail?: boolean } = {}): Promise<Uint8Array> {
    const known = (await this.#store.get(`file/${uploadId}`)) ?? (await this.#store.get(`upload/${uploadId}`));
    if (known === undefined)
      throw new ParleyError("not_found", "This device knows no encrypted file with that id", { details: { uploadId } });
    const record = parse<EncryptedFile | PendingUpload>(known);
    const file = "file" in record ? record.file : record;
    const part = options.thumbnail ? file.thumbnail : file;
    if (part === undefined) throw new ParleyError("not_found", "The file has no thumbnail", { details: { uploadId } });
    const signed = (await this.#client.fileUrls([part.uploadId])).get(part.uploadId);
    if (signed === undefined) throw new ParleyError("not_found", "File not found", { details: { uploadId: part.uploadId } });
    const response = await fetch(signed.url);
    if (!response.ok)
      throw new ParleyError("bad_response", `Download failed with HTTP ${response.status}`, {
        details: { uploadId: part.uploadId },
      });
    const blob = new Uint8Array(await response.arrayBuffer());
    return openFile(blob, { key: unb64(part.key), iv: unb64(part.iv), sha256: unb64(part.sha256), size: part.size });
  }

  async #decrypt(messages: readonly Message[]): Promise<Message[]> {
    const out: Message[] = [];
    for (const m of messages) {
      if (m.mls !== undefined) {
        out.push(await this.#serial(m.conversationId, () => this.#open(m)));
        continue;
      }
      out.push(m);
      const departed =
        m.event?.type === "member.left" ? m.event.actorId : m.event?.type === "member.removed" ? m.event.userId : undefined;
      if (departed !== undefined && this.#encrypted.get(m.conversationId) === true) {
        this.#background(this.#serial(m.conversationId, () => this.#removeDeparted(m.conversationId, departed)));
      }
    }
    return out;
  }

  /**
   * A device left the directory (its session ended): its leaf is removed from every group this device shares with it,
   * so that it cannot read anything sent after. Every device that got the announcement tries; the first commit of each
   * group wins and the others find nothing left to remove.
   */
  async removeDevice(userId: string, deviceId: string): Promise<void> {
    this.#directory.get(userId)?.delete(deviceId);
    if (deviceId === this.#device.deviceId) return;
    for (const key of await this.#store.keys("group/")) {
      const conversationId = key.slice("group/".length);
      // One conversation's failure (say, this user left it meanwhile) is reported and does not stop the others.
      await this.#serial(conversationId, () =>
        this.#commit(conversationId, async (state) => {
          const leaving = this.#mls.members(state).filter((m) => m.userId === userId && m.deviceId === deviceId);
          return leaving.length === 0 ? undefined : { remove: leaving };
        }),
      ).catch((error: unknown) => this.#client.emit("error", toParleyError(error)));
    }
  }

  /**
   * A member left or was removed: its devices' leaves are removed by a commit, so that it cannot read what follows.
   * Every remaining device that sees the entry tries; the first commit wins and the others find nothing left to do.
   */
  async #removeDeparted(conversationId: string, userId: string): Promise<void> {
    if (userId === this.#device.userId || (await this.#store.get(`group/${conversationId}`)) === undefined) return;
    await this.#commit(conversationId, async (state) => {
      const leaving = this.#mls.members(state).filter((m) => m.userId === userId);
      return leaving.length === 0 ? undefined : { remove: leaving };
    });
  }

  /**
   * One entry of an encrypted conversation's stream, in seq order (inside the conversation's queue). An entry the
   * reader deleted for themself is still processed (the stream's keys move on) but shown hidden.
   */
  async #open(m: Message): Promise<Message> {
    const shown = await this.#openEntry(m);
    return m.hidden ? hiddenForMe(shown) : shown;
  }

  async #openEntry(m: Message): Promise<Message> {
    const mls = m.mls!;
    const cached = await this.#entry(m.conversationId, m.seq);
    if (cached !== undefined) return this.#current(cached);
    try {
      if (mls.deviceId === this.#device.deviceId) return await this.#own(m);
      let state = await this.#store.get(`group/${m.conversationId}`);
      if (state === undefined) {
        await this.#joinFromPending(m.conversationId);
        state = await this.#store.get(`group/${m.conversationId}`);
        // A commit from before this device joined (its member.added came first, its Welcome with a later commit).
        if (state === undefined && m.kind === "system") return m;
        if (state === undefined) throw new ParleyError("not_found", "This device is not in the conversation's MLS group");
      }
      // A commit of an epoch this state is past (the one that added this device, or one already processed).
      if (m.kind === "system" && mls.epoch < this.#mls.epoch(state)) return m;
      const result = await this.#mls.process(state, unb64(mls.data));
      await this.#store.put(`group/${m.conversationId}`, result.state);
      await this.#store.put(`seq/${m.conversationId}`, text.encode(String(m.seq)));
      if (result.kind !== "application") return m;
      // The device that signed it must be the one the delivery service names: the server cannot re-attribute messages.
      if (result.sender.userId !== m.senderId || result.sender.deviceId !== mls.deviceId) {
        throw new ParleyError("bad_response", "The message was signed by another device than the one it is said to come from");
      }
      return await this.#resolve(m, parseContent(result.plaintext));
    } catch (error) {
      this.#client.emit("decrypt-failed", { conversationId: m.conversationId, seq: m.seq, error: toParleyError(error) });
      return { ...m, body: null };
    }
  }

  /** This device's own entry: its commits are applied already; its messages' text was kept when they were sent. */
  async #own(m: Message): Promise<Message> {
    if (m.kind !== "text") return m;
    const sent = m.clientId === null ? undefined : await this.#store.get(`sent/${m.clientId}`);
    if (sent === undefined) throw new ParleyError("not_found", "This device no longer has the text of its own message");
    return this.#resolve(m, parseContent(sent));
  }

  /**
   * The message a decrypted entry shows, kept as this device's copy: a text (its reply quote from this device's copy
   * of the quoted message when it has one), or an edit, delete or reaction applied to its target's copy.
   */
  async #resolve(m: Message, content: Content): Promise<Message> {
    const quoted =
      content.type === "text" && content.replyTo ? await this.#entry(m.conversationId, content.replyTo.seq) : undefined;
    const shown = messageOf(m, content, quoted);
    if (content.type === "text") for (const f of content.files ?? []) await this.#store.put(`file/${f.uploadId}`, json(f));
    await this.#store.put(`entry/${m.conversationId}/${m.seq}`, json(shown));
    if (shown.action === undefined) return shown;
    const target = await this.#entry(m.conversationId, shown.action.target);
    if (target === undefined) return shown; // from before this device joined, or never readable
    const updated = applyAction(target, shown);
    if (updated !== undefined) await this.#store.put(`entry/${m.conversationId}/${target.seq}`, json(updated));
    return { ...shown, updated: updated ?? target };
  }

  /**
   * An entry read again, as things are now: an action with its target's current copy, a reply with the current quote
   * of the message it answers (edited or deleted since).
   */
  async #current(shown: Message): Promise<Message> {
    const related = shown.action?.target ?? shown.replyTo?.seq;
    const other = related === undefined ? undefined : await this.#entry(shown.conversationId, related);
    if (other === undefined) return shown;
    return shown.action !== undefined ? { ...shown, updated: other } : { ...shown, replyTo: quoteOf(other) };
  }

  /** This device's copy of a decrypted entry. */
  async #entry(conversationId: string, seq: number): Promise<Message | undefined> {
    const bytes = await this.#store.get(`entry/${conversationId}/${seq}`);
    return bytes === undefined ? undefined : parse<Message>(bytes);
  }

  async #joinFromPending(conversationId: string): Promise<void> {
    const { welcomes } = await this.#client.call("e2ee.welcomes.list", {});
    for (const welcome of welcomes) if (welcome.conversationId === conversationId) await this.#join(welcome);
  }

  /**
   * A page of the conversation's history (`messages.history`) as this device reads it: encrypted entries decrypted
   * (from its own copies when it processed them already), in seq order.
   */
  async history(conversationId: string, options: HistoryOptions = {}): Promise<OpResult<"messages.history">> {
    const page = await this.#client.history(conversationId, options);
    const messages: Message[] = [];
    for (const m of page.messages)
      messages.push(m.mls === undefined ? m : await this.#serial(conversationId, () => this.#open(m)));
    return { ...page, messages };
  }

  // ── the directory ─────────────────────────────────────────────────────────

  /** The credential check of every leaf: the directory must list exactly this key for (userId, deviceId). */
  async #verify(identity: MlsIdentity, signatureKey: Uint8Array): Promise<boolean> {
    const key = b64(signatureKey);
    if (this.#directory.get(identity.userId)?.get(identity.deviceId) === key) return true;
    // Not known (or changed): read the directory again once.
    const { devices } = await this.#client.call("e2ee.devices.list", { userId: identity.userId });
    this.#directory.set(identity.userId, new Map(devices.map((d) => [d.deviceId, d.signatureKey])));
    return this.#directory.get(identity.userId)?.get(identity.deviceId) === key;
  }

  // ── plumbing ──────────────────────────────────────────────────────────────

  #serial<T>(conversationId: string, task: () => Promise<T>): Promise<T> {
    // The next task runs after this one whether it succeeded or not; its outcome is the caller's (returned).
    const previous = this.#queues.get(conversationId) ?? Promise.resolve();
    const run = previous.then(task, task);
    this.#queues.set(conversationId, run);
    const forget = () => {
      if (this.#queues.get(conversationId) === run) this.#queues.delete(conversationId);
    };
    void run.then(forget, forget);
    return run;
  }

  #background(task: Promise<unknown>): void {
    task.catch((error: unknown) => this.#client.emit("error", toParleyError(error)));
  }
}
