// The ParleyClient facade: sign-in, the live connection, sending through the outbox, in-order delivery, typed events.

import {
  type Attachment,
  type Conversation,
  type ConversationSummary,
  type Limits,
  type Message,
  type MessageAck,
  type OpArgs,
  type OpName,
  type OpResult,
  operations,
  type Presence,
  type ReceiptState,
  type SignedFile,
  type User,
  type Welcome,
} from "@parley/protocol";
import { AuthSession, type Credentials } from "./auth.js";
import { Backoff, type BackoffOptions } from "./backoff.js";
import { Connection, type ConnectionState, type WebSocketConstructor } from "./connection.js";
import { isAuthLoss, ParleyError, toParleyError } from "./errors.js";
import { Emitter } from "./events.js";
import { type FetchLike, HttpApi } from "./http-api.js";
import { newClientId } from "./ids.js";
import { hiddenForMe } from "./message-state.js";
import { Outbox, type OutboxAction, type OutboxEntry, type OutboxStore } from "./outbox.js";
import { PushApi } from "./push.js";
import { type MessageReceiptStatus, ReceiptBook } from "./receipt-book.js";
import { ReceiptReporter } from "./receipt-reporter.js";
import { ReorderBuffer } from "./reorder-buffer.js";
import { type SearchFilters, type SearchPage, searchPage } from "./search.js";
import { listAllConversations, SyncEngine } from "./sync.js";
import { systemTimers, type TimerHandle, type Timers } from "./timers.js";
import { type TransportMode, type TransportName, TransportSelector } from "./transport-selector.js";
import { type TypingEvent, TypingNotifier, TypingTracker } from "./typing.js";
import { FileUrlCache, type UploadData, Uploader, type UploadOptions } from "./uploads.js";

export interface ParleyClientOptions {
  /** HTTP(S) base URL of the server, e.g. `https://chat.example.com`. */
  server: string;
  /** WebSocket URL; defaults to the server URL with ws(s): and `/v1/ws`. */
  wsUrl?: string;
  /** WebSocket implementation; defaults to `globalThis.WebSocket` (use `@parley/client/node` on Node 20). */
  WebSocket?: WebSocketConstructor;
  /**
   * `auto` (default): a WebSocket, falling back to long polling over fetch when WebSockets cannot connect, and back
   * to a WebSocket once one works again; `websocket` or `long-poll`: that transport only. The API is the same.
   */
  transport?: TransportMode;
  /** `auto` tuning: failed WebSocket attempts before long polling (2), and how often to retry WebSockets meanwhile. */
  longPoll?: { fallbackAfter?: number; retryWebSocketMs?: number };
  /** fetch implementation; defaults to `globalThis.fetch`. */
  fetch?: FetchLike;
  /** Saved credentials to resume a session (see the `credentials` event). */
  credentials?: Credentials;
  /** Device name recorded with new sessions. */
  deviceName?: string;
  /** Where unacknowledged sends are kept; defaults to memory. */
  outboxStore?: OutboxStore;
  /** Saved cursors (see `cursors()`): delivery resumes after them instead of at the present. */
  cursors?: Record<string, number>;
  requestTimeoutMs?: number;
  /** How long an out-of-order message waits for the missing ones before they are fetched. */
  gapWaitMs?: number;
  /** Coalescing window of delivered/read reports. */
  receiptDelayMs?: number;
  reconnectBackoff?: BackoffOptions;
  timers?: Timers;
}

export interface ClientEvents {
  /** A conversation entry, each (conversationId, seq) once and in seq order per conversation — including this
   * device's own sends (built from their acks) so that one stream renders the whole conversation. Action entries
   * (`kind: "action"`: edits, deletes, reactions) come here too, each followed by an `updated` event. */
  message: Message;
  /** An earlier message changed (edited, deleted for everyone, reactions): replace your copy of `seq` with it. */
  updated: Message;
  /** The signed-in user deleted this message for themself (here or on another device): show it as hidden. */
  hidden: { conversationId: string; seq: number };
  /** Members' watermarks that moved (compute per-message state with `messageStatus`). */
  receipts: { conversationId: string; receipts: ReceiptState[] };
  /** Someone started or stopped typing (expiry of stale indicators is handled for you). */
  typing: TypingEvent;
  /** A subscribed user went online or offline. */
  presence: Presence;
  state: ConnectionState;
  /** The server stored one of this device's sends. */
  ack: MessageAck;
  /** The server refused a send for good; it will not be retried. */
  "send-failed": { entry: OutboxEntry; error: ParleyError };
  /** A failure the client recovers from (or a background task failed); informational. */
  error: ParleyError;
  /** The session cannot be refreshed: log in again. */
  "auth-lost": ParleyError;
  /** The credentials changed (login, token refresh, logout): persist them to resume later. */
  credentials: Credentials | undefined;
}

export interface HistoryOptions {
  /** Only entries with seq < before (the newest page when neither bound is given). */
  before?: number;
  /** Only entries with seq > after. */
  after?: number;
  limit?: number;
}

interface Waiter<T> {
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

/** Presence ids per request; the protocol caps lists at 500. */
const ID_CHUNK = 500;

export function defaultWsUrl(server: string): string {
  const url = new URL(server);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/v1/ws`;
  url.search = "";
  url.hash = "";
  return url.toString();
}

export class ParleyClient extends Emitter<ClientEvents> {
  readonly http: HttpApi;
  readonly auth: AuthSession;
  readonly connection: Connection;
  /** Push notifications: subscription of this device, mutes, do not disturb and previews. */
  readonly push: PushApi;
  readonly #options: ParleyClientOptions;
  readonly #timers: Timers;
  readonly #transports: TransportSelector;
  readonly #buffer: ReorderBuffer;
  readonly #outbox: Outbox;
  readonly #sync: SyncEngine;
  readonly #reporter: ReceiptReporter;
  readonly #book = new ReceiptBook();
  readonly #typingOut: TypingNotifier;
  readonly #typingIn: TypingTracker;
  readonly #presence = new Set<string>();
  /** (conversation, seq) pairs the user deleted for themself: later updates of them stay hidden. */
  readonly #hidden = new Set<string>();
  /** The target's new state from an action's result, until its entry is delivered (by clientId). */
  readonly #actionResults = new Map<string, Message>();
  readonly #uploader: Uploader;
  readonly #fileUrls: FileUrlCache;
  readonly #syncBackoff = new Backoff({ initialMs: 1000, maxMs: 60_000 });
  readonly #loaded: Promise<void>;
  #connectWaiters: Waiter<Welcome>[] = [];
  /** True once the sync that follows the current welcome has run. */
  #ready = false;
  #syncRetry: TimerHandle | undefined;

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
    this.http = new HttpApi({
      baseUrl: options.server,
      tokens: this.auth,
      timers,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.requestTimeoutMs ? { timeoutMs: options.requestTimeoutMs } : {}),
    });
    this.push = new PushApi((op, args) => this.call(op, args));
    this.#uploader = new Uploader(options.server, this.auth, {
      presign: (args) => this.call("uploads.presign", args),
      complete: (args) => this.call("uploads.complete", args),
    });
    this.#fileUrls = new FileUrlCache(
      options.server,
      async (uploadIds) => (await this.call("files.sign", { uploadIds })).files,
      () => timers.now(),
    );
    this.#transports = new TransportSelector({
      mode: options.transport ?? "auto",
      WebSocket: options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket,
      baseUrl: options.server,
      timers,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.longPoll?.fallbackAfter !== undefined ? { fallbackAfter: options.longPoll.fallbackAfter } : {}),
      ...(options.longPoll?.retryWebSocketMs !== undefined ? { retryWebSocketMs: options.longPoll.retryWebSocketMs } : {}),
    });
    this.connection = new Connection({
      url: options.wsUrl ?? defaultWsUrl(options.server),
      WebSocket: this.#transports.WebSocket,
      getToken: () => this.auth.accessToken(),
      reauthenticate: async (rejected) => {
        await this.auth.refresh(rejected);
      },
      backoff: new Backoff(options.reconnectBackoff),
      timers,
      ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    });
    this.#buffer = new ReorderBuffer({
      deliver: (messages) => this.#deliver(messages),
      repair: (conversationId, after, until) => this.#repairGap(conversationId, after, until),
      timers,
      ...(options.gapWaitMs !== undefined ? { gapWaitMs: options.gapWaitMs } : {}),
    });
    for (const [conversationId, seq] of Object.entries(options.cursors ?? {})) this.#buffer.advance(conversationId, seq);
    this.#outbox = new Outbox({
      transport: (entry) => this.#transmit(entry),
      timers,
      ...(options.outboxStore ? { store: options.outboxStore } : {}),
    });
    this.#sync = new SyncEngine({
      call: (op, args) => this.connection.request(op, args),
      buffer: this.#buffer,
      conversationPageSize: () => this.connection.welcome?.limits.conversationPageMax,
      onList: (conversations) => {
        for (const c of conversations) this.#updateMembers(c.id, c.members);
      },
      onConversation: (c) => {
        this.#updateMembers(c.conversationId, c.members);
        for (const seq of c.hidden ?? []) this.#markHidden(c.conversationId, seq);
      },
    });
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

    this.#loaded = this.#outbox.load().catch((error) => this.emit("error", toParleyError(error)));
    this.#outbox.on("ack", ({ entry, ack }) => this.#onAck(entry, ack));
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
    this.connection.on("event", (frame) => {
      switch (frame.event) {
        case "message":
          this.#buffer.push(frame.data);
          break;
        case "receipts": {
          const changed = this.#book.apply(frame.data.conversationId, frame.data.receipts);
          if (changed.length > 0) this.emit("receipts", { conversationId: frame.data.conversationId, receipts: changed });
          break;
        }
        case "typing":
          this.#typingIn.apply(frame.data);
          break;
        case "presence":
          this.emit("presence", frame.data);
          break;
        case "message.hidden":
          this.#markHidden(frame.data.conversationId, frame.data.seq);
          break;
        case "resync":
          // Events may have been lost while the connection stayed open: catch up and re-subscribe, as after a reconnect;
          // a lost "stopped typing" would leave an indicator on until it expires.
          this.#typingIn.reset();
          void this.#resubscribePresence();
          void this.#syncNow();
          break;
      }
    });
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

  async register(username: string, password: string, options: { displayName?: string; deviceName?: string } = {}): Promise<User> {
    const deviceName = options.deviceName ?? this.#options.deviceName;
    const result = await this.http.call("auth.register", {
      username,
      password,
      ...(options.displayName ? { displayName: options.displayName } : {}),
      ...(deviceName ? { deviceName } : {}),
    });
    this.#adopt(result.user.id);
    return this.auth.set(result).user;
  }

  async login(username: string, password: string, options: { deviceName?: string } = {}): Promise<User> {
    const deviceName = options.deviceName ?? this.#options.deviceName;
    const result = await this.http.call("auth.login", { username, password, ...(deviceName ? { deviceName } : {}) });
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
    return this.#outbox.enqueue(conversationId, body, options.clientId, {
      ...(options.replyTo === undefined ? {} : { replyTo: options.replyTo }),
      ...(options.attachments === undefined ? {} : { attachments: options.attachments }),
    });
  }

  /**
   * Replaces the text of one of the user's messages. Queued and retried like a send (same clientId, works offline);
   * resolves with the ack of the `edit` entry; the new state arrives as an `updated` event.
   */
  edit(conversationId: string, seq: number, body: string, options: { clientId?: string } = {}): Promise<MessageAck> {
    return this.#enqueueAction(conversationId, { type: "edit", seq }, body, options.clientId);
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
      this.#markHidden(conversationId, seq);
      return null;
    }
    return this.#enqueueAction(conversationId, { type: "delete", seq }, "", options.clientId);
  }

  /** Adds the user's reaction (one emoji) to a message; queued like a send. */
  react(conversationId: string, seq: number, emoji: string, options: { clientId?: string } = {}): Promise<MessageAck> {
    return this.#enqueueAction(conversationId, { type: "reaction", seq, emoji, remove: false }, "", options.clientId);
  }

  /** Withdraws the user's reaction; queued like a send. */
  unreact(conversationId: string, seq: number, emoji: string, options: { clientId?: string } = {}): Promise<MessageAck> {
    return this.#enqueueAction(conversationId, { type: "reaction", seq, emoji, remove: true }, "", options.clientId);
  }

  /** Whether the user deleted this message for themself (as far as this client has learned). */
  isHidden(conversationId: string, seq: number): boolean {
    return this.#hidden.has(hiddenKey(conversationId, seq));
  }

  /**
   * Uploads a file and resolves with its metadata; pass it in `send(…, { attachments })`. Progress is reported as
   * bytes leave. Errors: `upload_too_large`, `empty_upload`, `unsupported_media_type`, `content_type_mismatch`,
   * `invalid_file_name` (see the protocol).
   */
  upload(data: UploadData, options: UploadOptions): Promise<Attachment> {
    return this.#uploader.upload(data, options);
  }

  /** Signed download URLs (absolute) for uploads the caller may see, cached until shortly before they expire. */
  fileUrls(uploadIds: readonly string[]): Promise<Map<string, SignedFile>> {
    return this.#fileUrls.get(uploadIds);
  }

  /** Sends not yet acknowledged, oldest first. */
  pendingSends(): readonly OutboxEntry[] {
    return this.#outbox.entries;
  }

  /** A page of older (or newer) entries; not part of the `message` stream. */
  history(conversationId: string, options: HistoryOptions = {}): Promise<{ messages: Message[]; hasMore: boolean }> {
    return this.call("messages.history", { conversationId, ...options });
  }

  /**
   * Full-text search over the messages of the user's conversations (docs/protocol.md §6.10): the first page of hits,
   * best first; `page.next()` fetches the following one. Render `hit.snippet` as text, emphasis from
   * `snippetSegments(hit.snippet, hit.highlights)`.
   */
  search(query: string, filters: SearchFilters = {}): Promise<SearchPage> {
    return searchPage((args) => this.call("messages.search", args), query, filters);
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
  async subscribePresence(userIds: readonly string[]): Promise<Presence[]> {
    for (const id of userIds) this.#presence.add(id);
    if (this.connection.state !== "connected") return this.queryPresence(userIds);
    const out: Presence[] = [];
    for (const chunk of chunks(userIds))
      out.push(...(await this.connection.request("presence.subscribe", { userIds: chunk })).presence);
    return out;
  }

  async unsubscribePresence(userIds: readonly string[]): Promise<void> {
    for (const id of userIds) this.#presence.delete(id);
    if (this.connection.state !== "connected") return;
    for (const chunk of chunks(userIds)) await this.connection.request("presence.unsubscribe", { userIds: chunk });
  }

  async queryPresence(userIds: readonly string[]): Promise<Presence[]> {
    const out: Presence[] = [];
    for (const chunk of chunks(userIds)) out.push(...(await this.call("presence.query", { userIds: chunk })).presence);
    return out;
  }

  // ── users, contacts, conversations ─────────────────────────────────────────

  me(): Promise<User> {
    return this.call("me.get", {});
  }

  updateProfile(displayName: string): Promise<User> {
    return this.call("me.update", { displayName });
  }

  getUser(username: string): Promise<User> {
    return this.call("users.get", { username });
  }

  async getUsers(userIds: readonly string[]): Promise<User[]> {
    const out: User[] = [];
    for (const chunk of chunks(userIds)) out.push(...(await this.call("users.getMany", { userIds: chunk })).users);
    return out;
  }

  async contacts(): Promise<User[]> {
    return (await this.call("contacts.list", {})).contacts;
  }

  async addContact(userId: string): Promise<User[]> {
    return (await this.call("contacts.add", { userId })).contacts;
  }

  async removeContact(userId: string): Promise<User[]> {
    return (await this.call("contacts.remove", { userId })).contacts;
  }

  /** The users this user blocked. */
  async blocked(): Promise<User[]> {
    return (await this.call("blocks.list", {})).blocked;
  }

  /** Blocks a user: they can no longer add this user to groups, open a direct chat with them or write in it. */
  async block(userId: string): Promise<User[]> {
    return (await this.call("blocks.add", { userId })).blocked;
  }

  async unblock(userId: string): Promise<User[]> {
    return (await this.call("blocks.remove", { userId })).blocked;
  }

  /** Every conversation of the user (all pages of `conversations.list`), each page by latest activity first. */
  async conversations(): Promise<ConversationSummary[]> {
    const conversations = await listAllConversations((op, args) => this.call(op, args));
    for (const c of conversations) if (c.membership === "member") this.#updateMembers(c.id, c.members);
    return conversations;
  }

  async conversation(conversationId: string): Promise<ConversationSummary> {
    const c = await this.call("conversations.get", { conversationId });
    if (c.membership === "member") this.#updateMembers(c.id, c.members);
    return c;
  }

  async openDirect(userId: string): Promise<Conversation> {
    const c = await this.call("conversations.openDirect", { userId });
    this.#updateMembers(c.id, c.members);
    return c;
  }

  async createGroup(title: string, memberIds: readonly string[]): Promise<Conversation> {
    const c = await this.call("conversations.createGroup", { title, memberIds: [...memberIds] });
    this.#updateMembers(c.id, c.members);
    return c;
  }

  async renameConversation(conversationId: string, title: string): Promise<Message> {
    return (await this.call("conversations.rename", { conversationId, title })).message;
  }

  async leaveConversation(conversationId: string): Promise<Message> {
    return (await this.call("conversations.leave", { conversationId })).message;
  }

  async addMembers(conversationId: string, userIds: readonly string[]): Promise<Message> {
    return (await this.call("members.add", { conversationId, userIds: [...userIds] })).message;
  }

  async removeMember(conversationId: string, userId: string): Promise<Message> {
    return (await this.call("members.remove", { conversationId, userId })).message;
  }

  async setRole(conversationId: string, userId: string, role: "admin" | "member"): Promise<Message> {
    return (await this.call("members.setRole", { conversationId, userId, role })).message;
  }

  /** Any operation: over the live connection when it is up and carries the op, otherwise over HTTP. */
  async call<K extends OpName>(op: K, args: OpArgs<K>): Promise<OpResult<K>> {
    const spec = operations[op];
    if (this.connection.state === "connected" && spec.transports.includes("live")) {
      try {
        return await this.connection.request(op, args);
      } catch (error) {
        // Only a request that was never sent may take the other road: a resent mutation could apply twice.
        if (!(error instanceof ParleyError && error.code === "not_connected" && spec.http)) throw error;
      }
    }
    if (!spec.http) throw new ParleyError("not_connected", `${op} needs the live connection`);
    return this.http.call(op, args);
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
      this.#clearSyncRetry();
    }
    this.emit("state", state);
  }

  async #onWelcome(welcome: Welcome): Promise<void> {
    const typingTimeout = welcome.limits.typingTimeoutMs;
    if (typingTimeout > 0) this.#typingOut.intervalMs = Math.max(250, Math.min(3000, Math.floor(typingTimeout / 2)));
    this.#buffer.resumeTimers();
    this.#reporter.setOnline(true);
    void this.#resubscribePresence();
    await this.#syncNow();
    if (this.connection.state !== "connected" || this.connection.welcome !== welcome) return;
    // Sends go out after the catch-up, so their acks land beyond the cursors it established and show up in the
    // `message` stream (a first connect with no local state would otherwise count them as history).
    this.#outbox.setOnline(true);
    this.#ready = true;
    const waiters = this.#connectWaiters;
    this.#connectWaiters = [];
    for (const w of waiters) w.resolve(welcome);
  }

  async #syncNow(): Promise<void> {
    try {
      await this.#sync.run();
      this.#syncBackoff.reset();
    } catch (caught) {
      const error = toParleyError(caught);
      if (error.code === "connection_closed" || error.code === "not_connected" || error.code === "stopped") return;
      this.emit("error", error);
      // A failed catch-up while still connected would leave quiet conversations behind until the next reconnect.
      if (this.connection.state === "connected" && this.#syncRetry === undefined) {
        this.#syncRetry = this.#timers.setTimeout(
          () => {
            this.#syncRetry = undefined;
            void this.#syncNow();
          },
          Math.max(this.#syncBackoff.next(), error.retryAfterMs ?? 0),
        );
      }
    }
  }

  async #resubscribePresence(): Promise<void> {
    const ids = [...this.#presence];
    try {
      for (const chunk of chunks(ids)) {
        const { presence } = await this.connection.request("presence.subscribe", { userIds: chunk });
        for (const p of presence) this.emit("presence", p);
      }
    } catch (error) {
      this.#reportBackground(error);
    }
  }

  /**
   * A background task failed: reported as `error`, unless the connection went away under it (then the next welcome
   * redoes the work, and `state` already told the application).
   */
  #reportBackground(caught: unknown): void {
    const error = toParleyError(caught);
    if (error.code !== "connection_closed" && error.code !== "not_connected") this.emit("error", error);
  }

  #deliver(messages: readonly Message[]): void {
    const me = this.user?.id;
    let fromOthers = false;
    for (const m of messages) {
      // Edits, deletes and reactions are not news: they neither stop typing nor count as received from others.
      if (m.kind === "action") {
        this.emit("message", m);
        if (m.updated) {
          const updated = this.isHidden(m.conversationId, m.updated.seq) ? hiddenForMe(m.updated) : m.updated;
          this.emit("updated", updated);
        }
        continue;
      }
      if (m.hidden) this.#hidden.add(hiddenKey(m.conversationId, m.seq));
      if (m.senderId !== me) fromOthers = true;
      this.#typingIn.stop(m.conversationId, m.senderId);
      this.emit("message", m);
    }
    const last = messages[messages.length - 1];
    if (last && fromOthers) this.#reporter.delivered(last.conversationId, last.seq);
  }

  /** The live `message` event never echoes a send to its own connection: the ack stands in for it. */
  #onAck(entry: OutboxEntry, ack: MessageAck): void {
    this.emit("ack", ack);
    const senderId = this.user?.id;
    const updated = this.#actionResults.get(entry.clientId);
    this.#actionResults.delete(entry.clientId);
    if (!senderId) return;
    const base = {
      id: ack.id,
      conversationId: ack.conversationId,
      seq: ack.seq,
      senderId,
      clientId: ack.clientId,
      event: null,
      createdAt: ack.createdAt,
      attachments: [] as Attachment[],
    };
    if (entry.action) {
      const a = entry.action;
      const message: Message = {
        ...base,
        kind: "action",
        body: null,
        action:
          a.type === "reaction"
            ? { type: "reaction", target: a.seq, emoji: a.emoji, remove: a.remove }
            : { type: a.type, target: a.seq },
      };
      if (updated) message.updated = updated;
      this.#buffer.push(message);
      return;
    }
    const message: Message = { ...base, kind: "text", body: entry.body, attachments: entry.attachments ?? [] };
    if (ack.replyTo) message.replyTo = ack.replyTo;
    this.#buffer.push(message);
  }

  /** Sends one outbox entry with the operation it stands for. */
  async #transmit(entry: OutboxEntry): Promise<MessageAck> {
    const { conversationId, clientId } = entry;
    const a = entry.action;
    if (!a) {
      return this.connection.request("messages.send", {
        conversationId,
        clientId,
        body: entry.body,
        ...(entry.replyTo === undefined ? {} : { replyTo: entry.replyTo }),
        ...(entry.attachments?.length ? { attachments: entry.attachments.map((a) => a.id) } : {}),
      });
    }
    const result =
      a.type === "edit"
        ? await this.connection.request("messages.edit", { conversationId, seq: a.seq, clientId, body: entry.body })
        : a.type === "delete"
          ? await this.connection.request("messages.delete", { conversationId, seq: a.seq, clientId, scope: "everyone" })
          : await this.connection.request("messages.react", {
              conversationId,
              seq: a.seq,
              clientId,
              emoji: a.emoji,
              remove: a.remove,
            });
    if (!result.ack) throw new ParleyError("bad_response", "The server answered an action without its entry");
    this.#actionResults.set(clientId, result.message);
    return result.ack;
  }

  #enqueueAction(conversationId: string, action: OutboxAction, body: string, clientId?: string): Promise<MessageAck> {
    return this.#outbox.enqueue(conversationId, body, clientId, { action });
  }

  #markHidden(conversationId: string, seq: number): void {
    const key = hiddenKey(conversationId, seq);
    if (this.#hidden.has(key)) return;
    this.#hidden.add(key);
    this.emit("hidden", { conversationId, seq });
  }

  async #repairGap(conversationId: string, after: number, until: number): Promise<void> {
    // A sync in flight may already bring the missing entries.
    await this.#sync.idle();
    let from = Math.max(after, this.#buffer.cursor(conversationId) ?? after);
    const pageMax = this.limits?.historyPageMax ?? 100;
    while (from < until) {
      const page = await this.call("messages.history", {
        conversationId,
        after: from,
        limit: Math.max(1, Math.min(until - from, pageMax)),
      });
      this.#buffer.pushMany(page.messages);
      const last = page.messages[page.messages.length - 1];
      if (!page.hasMore || !last) return;
      from = last.seq;
    }
  }

  #updateMembers(conversationId: string, members: readonly ReceiptState[]): void {
    const changed = this.#book.setMembers(conversationId, members);
    if (changed.length > 0) this.emit("receipts", { conversationId, receipts: changed });
  }

  /** Local state belongs to one user: a different user signing in starts from nothing. */
  #adopt(userId: string): void {
    const previous = this.auth.credentials?.user.id;
    if (previous !== undefined && previous !== userId) this.#resetLocalState();
  }

  #resetLocalState(): void {
    this.#buffer.clear();
    this.#book.clear();
    this.#reporter.clear();
    this.#sync.reset();
    this.#presence.clear();
    this.#hidden.clear();
    this.#actionResults.clear();
    this.#outbox.clear(new ParleyError("not_authenticated", "Signed out before the message was sent"));
  }

  #stopBackground(): void {
    this.#outbox.setOnline(false);
    this.#reporter.dispose();
    this.#typingOut.reset();
    this.#typingIn.reset();
    this.#buffer.pauseTimers();
    this.#clearSyncRetry();
  }

  #clearSyncRetry(): void {
    if (this.#syncRetry === undefined) return;
    this.#timers.clearTimeout(this.#syncRetry);
    this.#syncRetry = undefined;
  }

  #rejectConnect(error: unknown): void {
    const waiters = this.#connectWaiters;
    this.#connectWaiters = [];
    for (const w of waiters) w.reject(error);
  }
}

function hiddenKey(conversationId: string, seq: number): string {
  return `${conversationId}\u0000${seq}`;
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += ID_CHUNK) out.push(items.slice(i, i + ID_CHUNK));
  return out;
}
