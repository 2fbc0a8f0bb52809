// The ParleyClient facade: sign-in, the live connection, sending through the outbox, in-order delivery, typed events.
// It wires the parts: calls (client-calls.ts), what arrives (inbound.ts), catching up (catch-up.ts), followed presence
// (presence-follow.ts) and this device's own entries (own-entries.ts).

import type {
  Attachment,
  AuthResult,
  Limits,
  LinkPreview,
  Message,
  MessageAck,
  PinnedMessage,
  Presence,
  ReceiptState,
  SignedFile,
  User,
  Welcome,
} from "@parley/protocol";
import { AdminApi } from "./admin.js";
import { AuthSession, type Credentials } from "./auth.js";
import { CatchUp } from "./catch-up.js";
import { ClientCalls } from "./client-calls.js";
import { carriersFor, type ParleyClientOptions } from "./client-options.js";
import type { Connection, ConnectionState } from "./connection.js";
import type { ContentDraft } from "./e2ee/content.js";
import { isAuthLoss, isDisconnection, ParleyError, toParleyError } from "./errors.js";
import type { HttpApi } from "./http-api.js";
import { newClientId } from "./ids.js";
import { Inbound } from "./inbound.js";
import { Outbox, type OutboxAction, type OutboxEntry } from "./outbox.js";
import { OwnEntries } from "./own-entries.js";
import { PinBook } from "./pin-book.js";
import { PresenceFollow } from "./presence-follow.js";
import { PushApi } from "./push.js";
import { type MessageReceiptStatus, ReceiptBook } from "./receipt-book.js";
import { ReceiptReporter } from "./receipt-reporter.js";
import type { ReorderBuffer } from "./reorder-buffer.js";
import { SyncEngine } from "./sync.js";
import { systemTimers, type TimerHandle, type Timers } from "./timers.js";
import type { TransportName, TransportSelector } from "./transport-selector.js";
import { TypingNotifier, TypingTracker } from "./typing.js";
import { type AvatarOptions, FileUrlCache, type UploadData, Uploader, type UploadOptions } from "./uploads.js";

export { type ClientEvents, defaultWsUrl, type HistoryOptions, type ParleyClientOptions } from "./client-options.js";

/** What `ParleyClient.useEncryption` needs: the SDK's end-to-end encryption (e2ee/e2ee.ts) provides it. */
export interface EncryptionHooks {
  isEncrypted(conversationId: string): Promise<boolean>;
  /**
   * The MLS application message of a text, edit, delete or reaction (protocol §6.15, encrypted content), made and
   * persisted before anything is sent; `uploads` are the opaque uploads of its files, linked by the server.
   */
  encrypt(
    conversationId: string,
    draft: ContentDraft & { attachments?: readonly Attachment[] },
    clientId: string,
  ): Promise<{ epoch: number; data: string; uploads: Attachment[] }>;
  /** The same entries in the same order, encrypted ones with their plaintext `body` (null when they cannot be read). */
  decrypt(messages: readonly Message[]): Promise<Message[]>;
}

interface Waiter<T> {
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

export class ParleyClient extends ClientCalls {
  readonly http: HttpApi;
  readonly auth: AuthSession;
  readonly connection: Connection;
  /** Push notifications: subscription of this device, mutes, do not disturb and previews. */
  readonly push: PushApi;
  /** Running the server: users, registration, invitations, the audit log (administrators only, §6.11). */
  readonly admin: AdminApi;
  readonly #options: ParleyClientOptions;
  readonly #timers: Timers;
  readonly #transports: TransportSelector;
  readonly #buffer: ReorderBuffer;
  readonly #outbox: Outbox;
  readonly #sync: SyncEngine;
  readonly #catchUp: CatchUp;
  readonly #reporter: ReceiptReporter;
  readonly #book = new ReceiptBook();
  readonly #pins = new PinBook();
  readonly #typingOut: TypingNotifier;
  readonly #typingIn: TypingTracker;
  readonly #presence: PresenceFollow;
  readonly #inbound: Inbound;
  readonly #own = new OwnEntries((op, args) => this.connection.request(op, args));
  readonly #uploader: Uploader;
  readonly #fileUrls: FileUrlCache;
  readonly #loaded: Promise<void>;
  #connectWaiters: Waiter<Welcome>[] = [];
  #encryption: EncryptionHooks | undefined;
  /** True once the sync that follows the current welcome has run. */
  #ready = false;

  constructor(options: ParleyClientOptions) {
    super();
    this.#options = options;
    this.#timers = options.timers ?? systemTimers;
    const timers = this.#timers;
    this.auth = new AuthSession({
      refresh: (refreshToken) => this.http.call("auth.refresh", { refreshToken }),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      now: () => timers.now(),
    });
    ({ http: this.http, transports: this.#transports, connection: this.connection } = carriersFor(options, this.auth, timers));
    this.push = new PushApi((op, args) => this.call(op, args));
    this.admin = new AdminApi(
      (op, args) => this.call(op, args),
      (path) => this.http.download(path),
    );
    this.#uploader = new Uploader(options.server, this.auth, {
      presign: (args) => this.call("uploads.presign", args),
      complete: (args) => this.call("uploads.complete", args),
    });
    this.#fileUrls = new FileUrlCache(
      options.server,
      async (uploadIds) => (await this.call("files.sign", { uploadIds })).files,
      () => timers.now(),
    );
    this.#reporter = new ReceiptReporter({
      send: (args) => this.connection.request("receipts.mark", args),
      timers,
      onError: (error) => this.emit("error", toParleyError(error)),
      ...(options.receiptDelayMs !== undefined ? { delayMs: options.receiptDelayMs } : {}),
    });
    this.#typingOut = new TypingNotifier({
      send: (conversationId, typing) => {
        if (this.connection.state !== "connected") return;
        // Typing is ephemeral: a lost indicator is not retried, only reported.
        this.connection.request("typing", { conversationId, typing }).catch((error: unknown) => this.#reportBackground(error));
      },
      timers,
    });
    this.#typingIn = new TypingTracker({ onChange: (event) => this.emit("typing", event), timers });
    this.#inbound = new Inbound({
      emit: (event, payload) => this.emit(event, payload),
      me: () => this.user?.id,
      book: this.#book,
      typing: this.#typingIn,
      reporter: this.#reporter,
      repair: (conversationId, after, until) => this.#catchUp.repairGap(conversationId, after, until),
      resync: () => {
        void this.#presence.resubscribe();
        void this.#catchUp.run();
      },
      timers,
      ...(options.gapWaitMs !== undefined ? { gapWaitMs: options.gapWaitMs } : {}),
    });
    this.#buffer = this.#inbound.buffer;
    for (const [conversationId, seq] of Object.entries(options.cursors ?? {})) this.#buffer.advance(conversationId, seq);
    this.#outbox = new Outbox({
      transport: (entry) => this.#own.transmit(entry),
      timers,
      ...(options.outboxStore ? { store: options.outboxStore } : {}),
    });
    this.#sync = new SyncEngine({
      call: (op, args) => this.connection.request(op, args),
      buffer: this.#buffer,
      conversationPageSize: () => this.connection.welcome?.limits.conversationPageMax,
      onList: (conversations) => {
        for (const c of conversations) {
          this.membersSeen(c.id, c.members);
          if (c.expiredThrough !== undefined) this.#inbound.expire(c.id, c.expiredThrough);
        }
      },
      onConversation: (c) => {
        this.membersSeen(c.conversationId, c.members);
        for (const seq of c.hidden ?? []) this.#inbound.markHidden(c.conversationId, seq);
        if (c.expiredThrough !== undefined) this.#inbound.expire(c.conversationId, c.expiredThrough);
      },
    });
    this.#catchUp = new CatchUp({
      sync: this.#sync,
      buffer: this.#buffer,
      call: (op, args) => this.call(op, args),
      connected: () => this.connection.state === "connected",
      historyPageMax: () => this.limits?.historyPageMax,
      timers,
      onError: (error) => this.emit("error", error),
    });
    this.#presence = new PresenceFollow({
      request: (op, args) => this.connection.request(op, args),
      call: (op, args) => this.call(op, args),
      connected: () => this.connection.state === "connected",
      onPresence: (presence) => this.emit("presence", presence),
      onError: (error) => this.#reportBackground(error),
    });

    this.#loaded = this.#outbox.load().catch((error) => this.emit("error", toParleyError(error)));
    this.#outbox.on("ack", ({ entry, ack }) => {
      this.emit("ack", ack);
      // The live `message` event never echoes a send to its own connection: the ack stands in for it.
      const message = this.#own.fromAck(entry, ack, this.user?.id, this.credentials?.sessionId);
      if (message) this.#buffer.push(message);
    });
    // Pins follow the entries every device sees (its own included), so every tracked list stays current.
    const pinsSeen = (m: Message) => {
      if (this.#pins.apply(m)) this.emit("pins", { conversationId: m.conversationId, pins: this.#pins.get(m.conversationId)! });
    };
    this.on("message", pinsSeen);
    this.on("updated", pinsSeen);
    this.#outbox.on("failed", (failure) => this.emit("send-failed", failure));
    this.#outbox.on("error", (error) => this.emit("error", error));
    this.auth.on("change", (credentials) => this.emit("credentials", credentials));
    this.auth.on("lost", (error) => {
      this.connection.stop("session lost");
      this.#stopBackground();
      this.#rejectConnect(error);
      this.emit("auth-lost", error);
    });
    this.connection.on("state", (state) => this.#onState(state));
    this.connection.on("welcome", (welcome) => void this.#onWelcome(welcome));
    this.connection.on("event", (frame) => this.#inbound.event(frame));
    this.connection.on("stopped", (error) => {
      this.#rejectConnect(error);
      if (!isAuthLoss(error)) this.emit("error", error);
    });
    this.connection.on("error", (error) => this.emit("error", error));
  }

  /** The signed-in user, if any. */
  get user(): User | undefined {
    return this.auth.credentials?.user;
  }

  get credentials(): Credentials | undefined {
    return this.auth.credentials;
  }

  get state(): ConnectionState {
    return this.connection.state;
  }

  /** What carries the live connection: `websocket` or `long-poll` (undefined while not connected). */
  get transport(): TransportName | undefined {
    return this.connection.state === "connected" ? this.#transports.current : undefined;
  }

  /** Server limits from the latest welcome. */
  get limits(): Limits | undefined {
    return this.connection.welcome?.limits;
  }

  // ── session ────────────────────────────────────────────────────────────────

  /** Creates an account and signs in; `invite` is an invitation's token (needed while registration is invite-only). */
  async register(
    username: string,
    password: string,
    options: { displayName?: string; deviceName?: string; invite?: string } = {},
  ): Promise<User> {
    const { displayName, invite } = options;
    return this.#signedIn(
      await this.http.call("auth.register", {
        username,
        password,
        ...(displayName ? { displayName } : {}),
        ...(invite ? { invite } : {}),
        ...this.#device(options),
      }),
    );
  }

  async login(username: string, password: string, options: { deviceName?: string } = {}): Promise<User> {
    return this.#signedIn(await this.http.call("auth.login", { username, password, ...this.#device(options) }));
  }

  /** Uses a password-reset link's token: sets the password, signs out every device and signs this one in. */
  async resetPassword(token: string, password: string, options: { deviceName?: string } = {}): Promise<User> {
    return this.#signedIn(await this.http.call("auth.resetPassword", { token, password, ...this.#device(options) }));
  }

  /** Finishes a single sign-on: the one-time code of the server's redirect (`#sso_code=…`) becomes this device's session. */
  async ssoSignIn(code: string, options: { deviceName?: string } = {}): Promise<User> {
    return this.#signedIn(await this.http.call("auth.ssoExchange", { code, ...this.#device(options) }));
  }

  #device(options: { deviceName?: string }): { deviceName?: string } {
    const deviceName = options.deviceName ?? this.#options.deviceName;
    return deviceName ? { deviceName } : {};
  }

  #signedIn(result: AuthResult): User {
    this.#adopt(result.user.id);
    return this.auth.set(result).user;
  }

  /** Revokes this device's session on the server (best effort) and forgets all local state. */
  async logout(): Promise<void> {
    if (this.auth.credentials) {
      try {
        await this.http.call("auth.logout", {});
      } catch (error) {
        // Signing out locally is what matters to the user and goes ahead. Unless the session is already gone, it stays
        // valid on the server until it expires: the application hears of it.
        if (!isAuthLoss(error)) this.emit("error", toParleyError(error));
      }
    }
    await this.close();
    this.auth.clear();
    this.#resetLocalState();
  }

  // ── connection ─────────────────────────────────────────────────────────────

  /**
   * Opens the live connection and resolves once it is welcomed and caught up (first sync done). It keeps reconnecting
   * on its own afterwards; it rejects only when connecting stops for good (session lost, refused version, close()).
   */
  async connect(): Promise<Welcome> {
    if (!this.#transports.usable) {
      throw new TypeError("No WebSocket implementation: pass `WebSocket` or import from @parley/client/node");
    }
    if (!this.auth.credentials) throw new ParleyError("not_authenticated", "Log in or register before connecting");
    await this.#loaded;
    const welcome = this.connection.welcome;
    if (this.connection.state === "connected" && this.#ready && welcome) return welcome;
    return new Promise<Welcome>((resolve, reject) => {
      this.#connectWaiters.push({ resolve, reject });
      this.connection.start();
    });
  }

  /** Reports pending receipts if possible, then closes the connection. Unsent messages stay in the outbox. */
  async close(): Promise<void> {
    if (this.connection.state === "connected")
      await this.#reporter.flush().catch((error: unknown) => this.#reportBackground(error));
    this.connection.stop();
    this.#transports.dispose();
    this.#stopBackground();
    this.#rejectConnect(new ParleyError("stopped", "The client was closed"));
  }

  /** Skips the reconnect backoff wait (e.g. on the browser's `online` event). */
  reconnectNow(): void {
    this.connection.reconnectNow();
  }

  /** Waits until every send is acknowledged and receipts are reported; false if `timeoutMs` passed first. */
  async flush(timeoutMs = 10_000): Promise<boolean> {
    let timer: TimerHandle | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = this.#timers.setTimeout(() => resolve(false), timeoutMs);
    });
    const done = (async () => {
      await this.#outbox.whenEmpty();
      await this.#reporter.flush();
      return true as const;
    })();
    try {
      return await Promise.race([done, timeout]);
    } finally {
      this.#timers.clearTimeout(timer);
    }
  }

  // ── messages ───────────────────────────────────────────────────────────────

  /**
   * Sends a text message; works offline (queued, sent after reconnecting). Resolves with the ack once stored; rejects
   * only when the server refuses it for good (e.g. not a member, too large). Pass a `clientId` (from `newClientId()`)
   * to match the message when it comes back through the `message` event.
   */
  send(
    conversationId: string,
    body: string,
    options: { clientId?: string; replyTo?: number; attachments?: Attachment[] } = {},
  ): Promise<MessageAck> {
    this.#typingOut.typing(conversationId, false);
    const draft = {
      type: "text",
      body,
      ...(options.replyTo === undefined ? {} : { replyTo: options.replyTo }),
      ...(options.attachments === undefined ? {} : { attachments: options.attachments }),
    } as const;
    return this.#sendOrEncrypt(conversationId, options.clientId, draft, () =>
      this.#outbox.enqueue(conversationId, body, options.clientId, {
        ...(options.replyTo === undefined ? {} : { replyTo: options.replyTo }),
        ...(options.attachments === undefined ? {} : { attachments: options.attachments }),
      }),
    );
  }

  /**
   * End-to-end encryption (the `E2ee` helper installs it): which conversations are encrypted, how a send is
   * encrypted, and how arriving entries are decrypted. Undefined removes it.
   */
  useEncryption(hooks: EncryptionHooks | undefined): void {
    this.#encryption = hooks;
    this.#inbound.setDecryptor(hooks === undefined ? undefined : (messages) => hooks.decrypt(messages));
  }

  /** Resolves once every arrived entry waiting for its decryption has been emitted. */
  decrypted(): Promise<void> {
    return this.#inbound.settled();
  }

  /**
   * Replaces the text of one of the user's messages. Queued and retried like a send (same clientId, works offline);
   * resolves with the ack of the `edit` entry; the new state arrives as an `updated` event.
   */
  edit(conversationId: string, seq: number, body: string, options: { clientId?: string } = {}): Promise<MessageAck> {
    return this.#sendOrEncrypt(conversationId, options.clientId, { type: "edit", target: seq, body }, () =>
      this.#enqueueAction(conversationId, { type: "edit", seq }, body, options.clientId),
    );
  }

  /**
   * Deletes a message. `everyone` (default): a tombstone for all members (queued like a send). `me`: hidden on all of
   * this user's devices only; needs the server now (no queue) and resolves with null.
   */
  async deleteMessage(
    conversationId: string,
    seq: number,
    options: { scope?: "everyone" | "me"; clientId?: string } = {},
  ): Promise<MessageAck | null> {
    if (options.scope === "me") {
      await this.call("messages.delete", { conversationId, seq, clientId: options.clientId ?? newClientId(), scope: "me" });
      this.#inbound.markHidden(conversationId, seq);
      return null;
    }
    return this.#sendOrEncrypt(conversationId, options.clientId, { type: "delete", target: seq }, () =>
      this.#enqueueAction(conversationId, { type: "delete", seq }, "", options.clientId),
    );
  }

  /** Adds the user's reaction (one emoji) to a message; queued like a send. */
  react(conversationId: string, seq: number, emoji: string, options: { clientId?: string } = {}): Promise<MessageAck> {
    const draft = { type: "reaction", target: seq, emoji, remove: false } as const;
    return this.#sendOrEncrypt(conversationId, options.clientId, draft, () =>
      this.#enqueueAction(conversationId, { type: "reaction", seq, emoji, remove: false }, "", options.clientId),
    );
  }

  /** Withdraws the user's reaction; queued like a send. */
  unreact(conversationId: string, seq: number, emoji: string, options: { clientId?: string } = {}): Promise<MessageAck> {
    const draft = { type: "reaction", target: seq, emoji, remove: true } as const;
    return this.#sendOrEncrypt(conversationId, options.clientId, draft, () =>
      this.#enqueueAction(conversationId, { type: "reaction", seq, emoji, remove: true }, "", options.clientId),
    );
  }

  /** Pins a message to its conversation for every member; queued like a send. */
  pin(conversationId: string, seq: number, options: { clientId?: string } = {}): Promise<MessageAck> {
    return this.#enqueueAction(conversationId, { type: "pin", seq }, "", options.clientId);
  }

  /** Removes a message's pin; queued like a send. */
  unpin(conversationId: string, seq: number, options: { clientId?: string } = {}): Promise<MessageAck> {
    return this.#enqueueAction(conversationId, { type: "unpin", seq }, "", options.clientId);
  }

  /**
   * Fetches the conversation's pinned messages (newest pin first) and keeps that list current from then on: every
   * change emits `pins`; `pinned()` reads it without a request.
   */
  async pins(conversationId: string): Promise<readonly PinnedMessage[]> {
    const { pins } = await this.call("messages.pins", { conversationId });
    this.#pins.set(conversationId, pins);
    const current = this.#pins.get(conversationId)!;
    this.emit("pins", { conversationId, pins: current });
    return current;
  }

  /** The pinned messages as last fetched with `pins()` and updated since; undefined before the first fetch. */
  pinned(conversationId: string): readonly PinnedMessage[] | undefined {
    return this.#pins.get(conversationId);
  }

  /**
   * Forwards a text message (as this client holds it) to another conversation: the server copies its current body
   * and files as the user's own message, marked `forwarded`. Queued like a send; the local echo shows `message`'s body.
   */
  forward(conversationId: string, message: Message, options: { clientId?: string } = {}): Promise<MessageAck> {
    return this.#outbox.enqueue(conversationId, message.body ?? "", options.clientId, {
      forwardOf: { conversationId: message.conversationId, seq: message.seq },
      attachments: message.attachments,
    });
  }

  /** Whether the user deleted this message for themself (as far as this client has learned). */
  isHidden(conversationId: string, seq: number): boolean {
    return this.#inbound.isHidden(conversationId, seq);
  }

  /**
   * Uploads a file and resolves with its metadata; pass it in `send(…, { attachments })`. Progress is reported as
   * bytes leave. Errors: `upload_too_large`, `empty_upload`, `unsupported_media_type`, `content_type_mismatch`,
   * `invalid_file_name` (see the protocol).
   */
  upload(data: UploadData, options: UploadOptions): Promise<Attachment> {
    return this.#uploader.upload(data, options);
  }

  /**
   * Sets this user's profile picture from an image (JPEG, PNG, WebP or GIF, at most 5 MiB): the server crops the
   * centre square and stores it at 256 and 96 px; the updated user. Errors: `upload_too_large`, `unsupported_media_type`,
   * `empty_upload`, `suspicious_image`, `rate_limited`.
   */
  setAvatar(data: Blob | Uint8Array, options?: AvatarOptions): Promise<User> {
    return this.#uploader.setAvatar(data, options);
  }

  /** The absolute URL of a user's profile picture (`small`: 96 px, else 256 px); undefined when they have none. */
  avatarUrl(user: Pick<User, "avatarId">, size: "small" | "large" = "small"): string | undefined {
    if (!user.avatarId) return undefined;
    return `${this.#options.server.replace(/\/+$/, "")}/v1/avatars/${encodeURIComponent(user.avatarId)}${size === "small" ? "?size=small" : ""}`;
  }

  /**
   * What the web page at `url` shows (title, description, site name, a thumbnail of its image), fetched by the server
   * so that the client never contacts the page's host (docs/protocol.md §6.16); `image` is made absolute. Errors:
   * `link_previews_disabled`, `link_preview_unavailable` (`details.reason`), `validation_failed`, `rate_limited`.
   */
  async linkPreview(url: string): Promise<LinkPreview> {
    const preview = await this.call("links.preview", { url });
    if (preview.image === null) return preview;
    return { ...preview, image: `${this.#options.server.replace(/\/+$/, "")}${preview.image}` };
  }

  /** Signed download URLs (absolute) for uploads the caller may see, cached until shortly before they expire. */
  fileUrls(uploadIds: readonly string[]): Promise<Map<string, SignedFile>> {
    return this.#fileUrls.get(uploadIds);
  }

  /** Sends not yet acknowledged, oldest first. */
  pendingSends(): readonly OutboxEntry[] {
    return this.#outbox.entries;
  }

  /** Marks the conversation read up to `seq` (default: everything delivered so far); reported in the background. */
  markRead(conversationId: string, seq?: number): void {
    const upTo = seq ?? this.#buffer.cursor(conversationId);
    if (upTo !== undefined && upTo > 0) this.#reporter.read(conversationId, upTo);
  }

  /** Call with true on every keystroke and false when the input is cleared; the SDK throttles what is sent. */
  setTyping(conversationId: string, typing: boolean): void {
    this.#typingOut.typing(conversationId, typing);
  }

  /** User ids typing in the conversation now. */
  typingIn(conversationId: string): string[] {
    return this.#typingIn.typingIn(conversationId);
  }

  /** The highest seq delivered through `message` events for the conversation. */
  cursor(conversationId: string): number | undefined {
    return this.#buffer.cursor(conversationId);
  }

  /** Every cursor; save them and pass them back as `cursors` to resume exactly where this client stopped. */
  cursors(): Record<string, number> {
    return this.#buffer.cursors();
  }

  /**
   * Members' watermarks as last seen. In a group, live events keep only the user's own watermarks and the states
   * that moved past the user's own messages current; `conversation(id)` loads everyone's current watermarks.
   */
  receipts(conversationId: string): ReceiptState[] {
    return this.#book.get(conversationId);
  }

  /**
   * How many other members received and read `seq` (sent by `senderId`, default: the signed-in user). Live for the
   * user's own messages; for someone else's message in a group, call `conversation(id)` first for a current count.
   */
  messageStatus(conversationId: string, seq: number, senderId = this.user?.id ?? ""): MessageReceiptStatus {
    return this.#book.status(conversationId, seq, senderId);
  }

  // ── presence ───────────────────────────────────────────────────────────────

  /** Follows the users' presence (kept across reconnects); resolves with their current state. */
  subscribePresence(userIds: readonly string[]): Promise<Presence[]> {
    return this.#presence.subscribe(userIds);
  }

  unsubscribePresence(userIds: readonly string[]): Promise<void> {
    return this.#presence.unsubscribe(userIds);
  }

  queryPresence(userIds: readonly string[]): Promise<Presence[]> {
    return this.#presence.query(userIds);
  }

  // ── internals ──────────────────────────────────────────────────────────────

  #onState(state: ConnectionState): void {
    if (state !== "connected") {
      this.#ready = false;
      this.#outbox.setOnline(false);
      this.#reporter.setOnline(false);
      this.#typingOut.reset();
      // Nobody will tell us when remote indicators stop while we are away.
      this.#typingIn.reset();
      this.#catchUp.cancelRetry();
    }
    this.emit("state", state);
  }

  async #onWelcome(welcome: Welcome): Promise<void> {
    const typingTimeout = welcome.limits.typingTimeoutMs;
    if (typingTimeout > 0) this.#typingOut.intervalMs = Math.max(250, Math.min(3000, Math.floor(typingTimeout / 2)));
    this.#buffer.resumeTimers();
    this.#reporter.setOnline(true);
    void this.#presence.resubscribe();
    await this.#catchUp.run();
    if (this.connection.state !== "connected" || this.connection.welcome !== welcome) return;
    // Sends go out after the catch-up, so their acks land beyond the cursors it established and show up in the
    // `message` stream (a first connect with no local state would otherwise count them as history).
    this.#outbox.setOnline(true);
    this.#ready = true;
    const waiters = this.#connectWaiters;
    this.#connectWaiters = [];
    for (const w of waiters) w.resolve(welcome);
  }

  /**
   * A background task failed: reported as `error`, unless the connection went away under it (then the next welcome
   * redoes the work, and `state` already told the application).
   */
  #reportBackground(caught: unknown): void {
    if (!isDisconnection(caught)) this.emit("error", toParleyError(caught));
  }

  /**
   * A send, edit, delete or reaction: `plain` queues it as is; in an encrypted conversation it is one MLS application
   * message instead (protocol §6.15), encrypted once before queuing (and persisted by the helper first): retries
   * resend these bytes. Without encryption, `plain` runs at once (the entry is queued before this returns).
   */
  #sendOrEncrypt(
    conversationId: string,
    clientId: string | undefined,
    draft: ContentDraft & { attachments?: readonly Attachment[] },
    plain: () => Promise<MessageAck>,
  ): Promise<MessageAck> {
    const encryption = this.#encryption;
    if (encryption === undefined) return plain();
    return (async () =>
      (await encryption.isEncrypted(conversationId)) ? this.#encrypted(encryption, conversationId, clientId, draft) : plain())();
  }

  async #encrypted(
    encryption: EncryptionHooks,
    conversationId: string,
    clientId: string | undefined,
    draft: ContentDraft & { attachments?: readonly Attachment[] },
  ): Promise<MessageAck> {
    const id = clientId ?? newClientId();
    const { uploads, ...mls } = await encryption.encrypt(conversationId, draft, id);
    return this.#outbox.enqueue(conversationId, draft.type === "text" || draft.type === "edit" ? draft.body : "", id, {
      mls,
      ...(uploads.length > 0 ? { attachments: uploads } : {}),
    });
  }

  #enqueueAction(conversationId: string, action: OutboxAction, body: string, clientId?: string): Promise<MessageAck> {
    return this.#outbox.enqueue(conversationId, body, clientId, { action });
  }

  protected membersSeen(conversationId: string, members: readonly ReceiptState[]): void {
    const changed = this.#book.setMembers(conversationId, members);
    if (changed.length > 0) this.emit("receipts", { conversationId, receipts: changed });
  }

  /** Local state belongs to one user: a different user signing in starts from nothing. */
  #adopt(userId: string): void {
    const previous = this.auth.credentials?.user.id;
    if (previous !== undefined && previous !== userId) this.#resetLocalState();
  }

  #resetLocalState(): void {
    this.#inbound.clear();
    this.#book.clear();
    this.#pins.clear();
    this.#reporter.clear();
    this.#sync.reset();
    this.#presence.clear();
    this.#own.clear();
    this.#outbox.clear(new ParleyError("not_authenticated", "Signed out before the message was sent"));
  }

  #stopBackground(): void {
    this.#outbox.setOnline(false);
    this.#reporter.dispose();
    this.#typingOut.reset();
    this.#typingIn.reset();
    this.#buffer.pauseTimers();
    this.#catchUp.cancelRetry();
  }

  #rejectConnect(error: unknown): void {
    const waiters = this.#connectWaiters;
    this.#connectWaiters = [];
    for (const w of waiters) w.reject(error);
  }
}
