// The app's state and every action on it: one store fed by the SDK's events (connection, messages, receipts, typing,
// presence, credentials) and by API answers. React reads it through useSyncExternalStore; components stay thin.

import {
  type Attachment,
  applyHidden,
  applyUpdate,
  type Conversation,
  type ConversationSummary,
  type Credentials,
  hasReacted,
  isAuthLoss,
  isParleyError,
  isShown,
  type Message,
  newClientId,
  type ParleyClient,
  type SearchFilters,
  type SearchPage,
  type User,
} from "@parley/client";
import { type CredentialStore, parseCredentials, SESSION_KEY } from "../auth/credential-store.js";
import { mergeMessages } from "./conversations.js";
import type { ChatState, ConversationState, PendingMessage } from "./types.js";

/** Entries per history page. */
const PAGE_SIZE = 50;
/** A jump to a search result fills the history back to it, at most this many pages; older ones open at the top. */
const MAX_JUMP_PAGES = 25;
const DEFAULT_MAX_MESSAGE_BYTES = 16_384;

/** What the store needs from the browser window; tests and non-browser hosts leave it out. */
export interface BrowserHooks {
  isOnline(): boolean;
  addEventListener(type: "online" | "offline", listener: () => void): void;
  addEventListener(type: "storage", listener: (event: { key: string | null; newValue: string | null }) => void): void;
  /** Another tab signed in to another account: start over with it. */
  reload(): void;
}

export interface ChatStoreOptions {
  client: ParleyClient;
  credentials: CredentialStore;
  /** Drops the live sockets when the browser reports it went offline. */
  dropSockets?: (reason: string) => void;
  browser?: BrowserHooks;
  now?: () => number;
}

function initialState(online: boolean): ChatState {
  return {
    session: "signed-out",
    me: null,
    connection: "disconnected",
    online,
    listLoaded: false,
    conversations: {},
    users: {},
    presence: {},
    typing: {},
    pending: [],
    activeId: null,
    notice: null,
    maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
    composing: {},
    maxUploadBytes: 26_214_400,
    maxAttachments: 10,
    searchOpen: false,
    searchScope: null,
    searchInFront: false,
    focus: null,
  };
}

/** User ids a message mentions (sender and the people of a system event): their names are needed to render it. */
function userIdsIn(messages: readonly Message[]): string[] {
  const ids = new Set<string>();
  for (const m of messages) {
    ids.add(m.senderId);
    // A withheld quote names no one (senderId ""): nothing to look up.
    if (m.replyTo && !m.replyTo.withheld) ids.add(m.replyTo.senderId);
    for (const r of m.reactions ?? []) for (const id of r.userIds) ids.add(id);
    const e = m.event;
    if (!e) continue;
    ids.add(e.actorId);
    if ("userIds" in e) for (const id of e.userIds) ids.add(id);
    if ("userId" in e) ids.add(e.userId);
  }
  return [...ids];
}

function newer(a: Message | null | undefined, b: Message | null | undefined): Message | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return b.seq > a.seq ? b : a;
}

export class ChatStore {
  readonly client: ParleyClient;
  readonly #credentials: CredentialStore;
  readonly #dropSockets: (reason: string) => void;
  readonly #browser: BrowserHooks | undefined;
  readonly #now: () => number;
  readonly #listeners = new Set<() => void>();
  #state: ChatState;
  #started = false;
  /** Users asked for (or known): never fetched twice. */
  readonly #requestedUsers = new Set<string>();
  #userBatch: Set<string> | undefined;
  readonly #presenceFollowed = new Set<string>();
  /** Refusals already shown by the `send-failed` handler, so a send's rejection does not show them twice. */
  readonly #shownRefusals = new WeakSet<object>();
  readonly #fetchingConversations = new Map<string, Promise<void>>();
  /** Entries that arrived for a conversation not fetched yet. */
  readonly #early = new Map<string, Message[]>();
  readonly #loadingLatest = new Set<string>();
  /** Conversations shown from this device's cache that the server's list has not confirmed yet. */
  readonly #cachedOnly = new Set<string>();
  #focusTokens = 0;

  constructor(options: ChatStoreOptions) {
    this.client = options.client;
    this.#credentials = options.credentials;
    this.#dropSockets = options.dropSockets ?? (() => {});
    this.#browser = options.browser;
    this.#now = options.now ?? Date.now;
    this.#state = initialState(options.browser?.isOnline() ?? true);
  }

  // ── store protocol (useSyncExternalStore) ──────────────────────────────────

  readonly getState = (): ChatState => this.#state;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  #set(update: (state: ChatState) => ChatState): void {
    const next = update(this.#state);
    if (next === this.#state) return;
    this.#state = next;
    for (const listener of [...this.#listeners]) listener();
  }

  #patchConversation(id: string, update: (c: ConversationState) => ConversationState): void {
    this.#set((s) => {
      const current = s.conversations[id];
      if (!current) return s;
      const next = update(current);
      return next === current ? s : { ...s, conversations: { ...s.conversations, [id]: next } };
    });
  }

  // ── lifecycle ──────────────────────────────────────────────────────────────

  /** Wires the SDK and browser events and resumes a saved session, if any. Call once. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    const c = this.client;
    c.on("credentials", (credentials) => this.#credentials.save(credentials));
    c.on("auth-lost", () => this.#signedOut("Your session has ended. Please sign in again."));
    c.on("state", (connection) => {
      this.#set((s) => ({
        ...s,
        connection,
        maxMessageBytes: c.limits?.maxMessageBytes ?? s.maxMessageBytes,
        maxUploadBytes: c.limits?.maxUploadBytes ?? s.maxUploadBytes,
        maxAttachments: c.limits?.maxAttachments ?? s.maxAttachments,
      }));
      this.#adoptOutbox();
      if (connection === "connected") void this.#refreshList();
    });
    c.on("message", (message) => this.#onMessage(message));
    c.on("updated", (message) => this.#onUpdated(message));
    c.on("hidden", ({ conversationId, seq }) =>
      this.#patchConversation(conversationId, (x) => {
        const messages = applyHidden(x.messages, seq) as Message[];
        return messages === x.messages ? x : { ...x, messages };
      }),
    );
    c.on("receipts", ({ conversationId }) => this.#onReceipts(conversationId));
    c.on("typing", ({ conversationId }) => {
      const typing = c.typingIn(conversationId);
      this.#set((s) => ({ ...s, typing: { ...s.typing, [conversationId]: typing } }));
    });
    c.on("presence", (presence) => this.#set((s) => ({ ...s, presence: { ...s.presence, [presence.userId]: presence } })));
    // The ack stands for the message (the SDK delivers it as a `message` right after, in order).
    c.on("ack", (ack) => this.#dropPending([ack.clientId]));
    c.on("send-failed", ({ entry, error }) => {
      this.#shownRefusals.add(error);
      if (entry.action) {
        this.#notify(error);
        return;
      }
      this.#set((s) => ({
        ...s,
        pending: s.pending.map((p) => (p.clientId === entry.clientId ? { ...p, error: error.message } : p)),
      }));
    });

    const browser = this.#browser;
    if (browser) {
      browser.addEventListener("online", () => {
        this.#set((s) => ({ ...s, online: true }));
        this.client.reconnectNow();
        // An attempt that was already failing when the network came back schedules a backoff wait: skip that too.
        setTimeout(() => {
          if (this.#state.online && this.client.state === "reconnecting") this.client.reconnectNow();
        }, 1000);
      });
      browser.addEventListener("offline", () => {
        this.#set((s) => ({ ...s, online: false }));
        this.#dropSockets("the browser went offline");
      });
      browser.addEventListener("storage", (event) => {
        if (event.key === SESSION_KEY || event.key === null) this.#onSharedSession(parseCredentials(event.newValue));
      });
    }

    const saved = c.credentials;
    if (saved) {
      this.#enter(saved.user);
      void this.#resume();
    }
  }

  /** Refreshes the saved session's tokens first (a revoked session shows the sign-in form at once), then connects. */
  async #resume(): Promise<void> {
    try {
      await this.client.auth.refresh(undefined);
    } catch (error) {
      // Session loss arrives as `auth-lost`; a failure that may pass (network, server busy) is retried by the
      // connection. Anything else is shown.
      if (!isAuthLoss(error) && !(isParleyError(error) && error.retryable)) this.#notify(error);
    }
    if (this.#state.session === "signed-in") this.#connect();
  }

  #connect(): void {
    this.client.connect().catch((error: unknown) => {
      if (isAuthLoss(error) || isParleyError(error, "stopped")) return;
      this.#notify(error);
    });
  }

  /** A fresh signed-in state for `user`: nothing of a previous account stays. */
  #enter(user: User): void {
    this.#requestedUsers.clear();
    this.#presenceFollowed.clear();
    this.#early.clear();
    this.#cachedOnly.clear();
    this.#requestedUsers.add(user.id);
    this.#set((s) => ({
      ...initialState(s.online),
      session: "signed-in",
      me: user,
      connection: this.client.state,
      users: { [user.id]: user },
      activeId: s.activeId,
    }));
  }

  #signedOut(notice: string | null): void {
    this.#set((s) => ({ ...initialState(s.online), notice }));
  }

  /** Another tab changed the shared session (refreshed, signed out, or signed in). */
  #onSharedSession(next: Credentials | undefined): void {
    const current = this.client.credentials;
    if (!next) {
      if (current) void this.logout("You signed out in another tab.");
      return;
    }
    if (current?.sessionId === next.sessionId) {
      // The other tab rotated the tokens: use them, or our next refresh would replay a rotated token.
      if (current.refreshToken !== next.refreshToken) this.client.auth.restore(next);
      return;
    }
    if (!current) {
      this.client.auth.restore(next);
      this.#enter(next.user);
      this.#connect();
      return;
    }
    this.#browser?.reload();
  }

  // ── session ────────────────────────────────────────────────────────────────

  async register(username: string, password: string, displayName?: string): Promise<void> {
    const user = await this.client.register(username, password, displayName ? { displayName } : {});
    this.#enter(user);
    this.#connect();
  }

  async login(username: string, password: string): Promise<void> {
    const user = await this.client.login(username, password);
    this.#enter(user);
    this.#connect();
  }

  async logout(notice: string | null = null): Promise<void> {
    await this.client.logout();
    this.#signedOut(notice);
  }

  dismissNotice(): void {
    this.#set((s) => (s.notice === null ? s : { ...s, notice: null }));
  }

  #notify(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.#set((s) => ({ ...s, notice: message }));
  }

  /** Background work that failed: shown, unless the connection went away under it (the reconnect redoes it). */
  #notifyUnlessDisconnected(error: unknown): void {
    if (!isParleyError(error, "not_connected") && !isParleyError(error, "connection_closed")) this.#notify(error);
  }

  /**
   * Lets a send or action settle on its own: a refusal arrives as `send-failed` (and is shown there), one still queued
   * when the client stops stays for the next start; anything else (the outbox store failed) is shown here.
   */
  #settles(sent: Promise<unknown>): void {
    sent.catch((error: unknown) => {
      if (!this.#shownRefusals.has(error as object) && !isParleyError(error, "stopped")) this.#notify(error);
    });
  }

  // ── conversations ──────────────────────────────────────────────────────────

  /** Shows a conversation (null: the list only) and loads its newest messages. */
  open(conversationId: string | null): void {
    if (this.#state.activeId === conversationId) return;
    this.#set((s) => ({ ...s, activeId: conversationId, searchInFront: false }));
    if (conversationId) void this.loadLatest(conversationId);
  }

  /**
   * Shows what this device saved of the signed-in user's last state (see offline/conversation-cache.ts) until the
   * server answers: ignored once the server's list is in. Cached messages are replaced by the first page fetched.
   */
  hydrate(saved: { userId: string; conversations: readonly ConversationState[]; users: readonly User[] }): void {
    const s = this.#state;
    if (s.session !== "signed-in" || s.me?.id !== saved.userId || s.listLoaded) return;
    const fresh = saved.conversations.filter((c) => !s.conversations[c.id]);
    for (const c of fresh) this.#cachedOnly.add(c.id);
    this.#set((state) => ({
      ...state,
      users: { ...Object.fromEntries(saved.users.map((u) => [u.id, u])), ...state.users },
      conversations: {
        ...Object.fromEntries(fresh.map((c) => [c.id, { ...c, loaded: false, loadingOlder: false }])),
        ...state.conversations,
      },
    }));
  }

  async #refreshList(): Promise<void> {
    let list: ConversationSummary[];
    try {
      list = await this.client.conversations();
    } catch (error) {
      this.#notifyUnlessDisconnected(error);
      return;
    }
    for (const summary of list) {
      this.#cachedOnly.delete(summary.id);
      this.#upsert(summary);
    }
    // Cached conversations the server no longer lists for this user are gone.
    const gone = new Set(this.#cachedOnly);
    this.#cachedOnly.clear();
    this.#set((s) => ({
      ...s,
      listLoaded: true,
      conversations:
        gone.size === 0 ? s.conversations : Object.fromEntries(Object.entries(s.conversations).filter(([id]) => !gone.has(id))),
    }));
    const active = this.#state.activeId;
    if (active) void this.loadLatest(active);
  }

  /** Adds or refreshes a conversation from the server's view of it, keeping loaded messages and local progress. */
  #upsert(summary: ConversationSummary | Conversation): void {
    const me = this.#state.me?.id;
    const full = "membership" in summary ? summary : undefined;
    const early = this.#early.get(summary.id) ?? [];
    this.#early.delete(summary.id);
    this.#set((s) => {
      const old = s.conversations[summary.id];
      const myReadSeq = summary.members.find((m) => m.userId === me)?.readSeq ?? 0;
      const readSeq = Math.max(old?.readSeq ?? 0, myReadSeq);
      let messages = old?.messages ?? [];
      if (early.length > 0) messages = mergeMessages(messages, early);
      const lastSeq = Math.max(old?.lastSeq ?? 0, summary.lastSeq, messages[messages.length - 1]?.seq ?? 0);
      const lastMessage = newer(newer(old?.lastMessage, full?.lastMessage), messages[messages.length - 1]);
      // The server's count is current unless this device has seen newer entries since it was computed.
      let unread = full && summary.lastSeq >= (old?.lastSeq ?? 0) ? full.unread : (old?.unread ?? 0);
      if (!old) unread += early.filter((m) => m.kind === "text" && m.senderId !== me && m.seq > summary.lastSeq).length;
      if (readSeq >= lastSeq) unread = 0;
      const next: ConversationState = {
        id: summary.id,
        kind: summary.kind,
        title: summary.title,
        createdAt: summary.createdAt,
        members: summary.members,
        membership: full?.membership ?? "member",
        lastSeq,
        lastMessage,
        unread,
        readSeq,
        messages,
        loaded: old?.loaded ?? false,
        hasOlder: old?.hasOlder ?? true,
        loadingOlder: old?.loadingOlder ?? false,
        receipts: this.client.receipts(summary.id),
      };
      return { ...s, conversations: { ...s.conversations, [summary.id]: next } };
    });
    const ids = summary.members.map((m) => m.userId);
    this.#ensureUsers([...ids, ...userIdsIn(full?.lastMessage ? [full.lastMessage] : [])]);
    this.#followPresence(ids);
  }

  /** Fetches one conversation (new to this device, or its members changed); concurrent calls share the request. */
  #fetchConversation(id: string): Promise<void> {
    let inflight = this.#fetchingConversations.get(id);
    if (!inflight) {
      inflight = (async () => {
        try {
          this.#upsert(await this.client.conversation(id));
          if (this.#state.activeId === id) void this.loadLatest(id);
        } catch (error) {
          if (!isParleyError(error, "not_found")) this.#notify(error);
        } finally {
          this.#fetchingConversations.delete(id);
        }
      })();
      this.#fetchingConversations.set(id, inflight);
    }
    return inflight;
  }

  /** Loads the newest page of a conversation once; later entries arrive live. */
  async loadLatest(id: string): Promise<void> {
    const conversation = this.#state.conversations[id];
    if (!conversation || conversation.loaded || this.#loadingLatest.has(id)) return;
    this.#loadingLatest.add(id);
    // Enough to reach the first unread message, so that the chat can open there.
    const limit = Math.min(Math.max(PAGE_SIZE, conversation.unread + 20), this.client.limits?.historyPageMax ?? 200);
    try {
      const page = await this.client.history(id, { limit });
      this.#applyHistory(id, page.messages, page.hasMore);
    } catch (error) {
      this.#notify(error);
    } finally {
      this.#loadingLatest.delete(id);
    }
  }

  /** Loads the page before the oldest loaded entry (scrolling back). */
  async loadOlder(id: string): Promise<void> {
    const conversation = this.#state.conversations[id];
    if (!conversation?.loaded || !conversation.hasOlder || conversation.loadingOlder) return;
    const before = conversation.messages[0]?.seq;
    if (before === undefined || before <= 1) {
      this.#patchConversation(id, (c) => ({ ...c, hasOlder: false }));
      return;
    }
    this.#patchConversation(id, (c) => ({ ...c, loadingOlder: true }));
    try {
      const page = await this.client.history(id, { before, limit: PAGE_SIZE });
      this.#applyHistory(id, page.messages, page.hasMore);
    } catch (error) {
      this.#patchConversation(id, (c) => ({ ...c, loadingOlder: false }));
      this.#notify(error);
    }
  }

  #applyHistory(id: string, all: readonly Message[], hasMore: boolean): void {
    // Action entries are already applied to the messages of the page (the server shows their latest state).
    const page = all.filter(isShown);
    this.#ensureUsers(userIdsIn(page));
    this.#patchConversation(id, (c) => {
      // The first page replaces what the cache showed before it: older cached entries could leave a gap.
      const first = all[0]?.seq;
      const kept = c.loaded || first === undefined ? c.messages : c.messages.filter((m) => m.seq >= first);
      const messages = mergeMessages(kept, page);
      const last = messages[messages.length - 1];
      return {
        ...c,
        messages,
        loaded: true,
        loadingOlder: false,
        hasOlder: hasMore && (all[0]?.seq ?? messages[0]?.seq ?? 1) > 1,
        lastSeq: Math.max(c.lastSeq, last?.seq ?? 0, all[all.length - 1]?.seq ?? 0),
        lastMessage: newer(c.lastMessage, last),
      };
    });
    // Sends restored from an earlier session may have been stored before the ack was lost: they are on screen now.
    const me = this.#state.me?.id;
    this.#dropPending(page.filter((m) => m.senderId === me && m.clientId).map((m) => m.clientId!));
  }

  #dropPending(clientIds: readonly string[]): void {
    if (clientIds.length === 0) return;
    const gone = new Set(clientIds);
    this.#set((s) =>
      s.pending.some((p) => gone.has(p.clientId)) ? { ...s, pending: s.pending.filter((p) => !gone.has(p.clientId)) } : s,
    );
  }

  async startDirect(username: string): Promise<string> {
    const user = await this.#lookup(username);
    if (user.id === this.#state.me?.id) throw new Error("That is you: pick someone else.");
    const conversation = await this.client.openDirect(user.id);
    this.#upsert(conversation);
    this.open(conversation.id);
    return conversation.id;
  }

  async createGroup(title: string, usernames: readonly string[]): Promise<string> {
    const users = await this.lookupUsers(usernames);
    const conversation = await this.client.createGroup(
      title.trim(),
      users.map((u) => u.id).filter((id) => id !== this.#state.me?.id),
    );
    this.#upsert(conversation);
    this.open(conversation.id);
    return conversation.id;
  }

  async rename(id: string, title: string): Promise<void> {
    this.#onMessage(await this.client.renameConversation(id, title.trim()));
  }

  async addMembers(id: string, usernames: readonly string[]): Promise<void> {
    const users = await this.lookupUsers(usernames);
    this.#onMessage(
      await this.client.addMembers(
        id,
        users.map((u) => u.id),
      ),
    );
  }

  async removeMember(id: string, userId: string): Promise<void> {
    this.#onMessage(await this.client.removeMember(id, userId));
  }

  async setRole(id: string, userId: string, role: "admin" | "member"): Promise<void> {
    this.#onMessage(await this.client.setRole(id, userId, role));
  }

  async leave(id: string): Promise<void> {
    this.#onMessage(await this.client.leaveConversation(id));
  }

  /** Resolves usernames to users; the error names every username that does not exist. */
  async lookupUsers(usernames: readonly string[]): Promise<User[]> {
    const wanted = [...new Set(usernames.map(normalizeUsername).filter(Boolean))];
    const results = await Promise.allSettled(wanted.map((u) => this.#lookup(u)));
    const missing = wanted.filter((_, i) => results[i]?.status === "rejected");
    const notFound = results.find((r) => r.status === "rejected" && !isParleyError(r.reason, "not_found"));
    if (notFound?.status === "rejected") throw notFound.reason;
    if (missing.length > 0) throw new Error(`No user named ${missing.map((u) => `“${u}”`).join(", ")}.`);
    return results.map((r) => (r as PromiseFulfilledResult<User>).value);
  }

  async #lookup(username: string): Promise<User> {
    const name = normalizeUsername(username);
    try {
      const user = await this.client.getUser(name);
      this.#set((s) => ({ ...s, users: { ...s.users, [user.id]: user } }));
      this.#requestedUsers.add(user.id);
      return user;
    } catch (error) {
      if (isParleyError(error, "not_found") || isParleyError(error, "validation_failed")) {
        throw Object.assign(new Error(`No user named “${name}”.`), { code: "not_found", reason: error });
      }
      throw error;
    }
  }

  // ── messages ───────────────────────────────────────────────────────────────

  #onMessage(message: Message): void {
    const id = message.conversationId;
    const me = this.#state.me?.id;
    if (message.kind === "action") {
      // Not a line of its own: the `updated` event that follows changes its target; it only moves the sequence.
      if (!this.#state.conversations[id]) void this.#fetchConversation(id);
      else this.#patchConversation(id, (c) => (message.seq > c.lastSeq ? { ...c, lastSeq: message.seq } : c));
      return;
    }
    if (message.senderId === me && message.clientId) this.#dropPending([message.clientId]);
    if (!this.#state.conversations[id]) {
      this.#early.set(id, [...(this.#early.get(id) ?? []), message]);
      void this.#fetchConversation(id);
      return;
    }
    this.#ensureUsers(userIdsIn([message]));
    this.#patchConversation(id, (c) => {
      const isNew = message.seq > c.lastSeq;
      const counts = isNew && message.kind === "text" && message.senderId !== me && message.seq > c.readSeq;
      let { title, membership } = c;
      const event = message.event;
      if (event?.type === "conversation.renamed") title = event.title;
      if ((event?.type === "member.removed" && event.userId === me) || (event?.type === "member.left" && event.actorId === me)) {
        membership = "left";
      }
      return {
        ...c,
        title,
        membership,
        messages: mergeMessages(c.messages, [message]),
        lastSeq: Math.max(c.lastSeq, message.seq),
        lastMessage: newer(c.lastMessage, message),
        unread: c.unread + (counts ? 1 : 0),
      };
    });
    if (message.kind === "system" && message.event && message.event.type !== "conversation.created") {
      // Members and roles changed: the conversation's member list (with watermarks) is fetched again.
      void this.#fetchConversation(id);
    }
  }

  /** An earlier message changed (edited, deleted, reactions): its bubble, the quotes of it and the list preview follow. */
  #onUpdated(message: Message): void {
    this.#ensureUsers(userIdsIn([message]));
    this.#patchConversation(message.conversationId, (c) => {
      const messages = applyUpdate(c.messages, message) as Message[];
      const lastMessage = c.lastMessage?.seq === message.seq ? message : c.lastMessage;
      return messages === c.messages && lastMessage === c.lastMessage ? c : { ...c, messages, lastMessage };
    });
  }

  #onReceipts(conversationId: string): void {
    const me = this.#state.me?.id;
    const receipts = this.client.receipts(conversationId);
    const mine = receipts.find((r) => r.userId === me);
    this.#patchConversation(conversationId, (c) => {
      const readSeq = Math.max(c.readSeq, mine?.readSeq ?? 0);
      // Read on another device of this user: the badge goes away here too.
      const unread = readSeq >= c.lastSeq ? 0 : c.unread;
      return { ...c, receipts, readSeq, unread };
    });
  }

  /**
   * Sends a message (a reply when the composer is replying), or saves the edit when it is editing. A send shows as
   * pending until stored; sends and edits survive reloads and offline periods (SDK outbox).
   */
  send(conversationId: string, body: string, attachments: Attachment[] = []): void {
    if (body.trim() === "" && attachments.length === 0) return;
    const compose = this.#state.composing[conversationId];
    this.cancelCompose(conversationId);
    if (compose?.mode === "edit") {
      if (body.trim() === "") return;
      // A refusal arrives as `send-failed` (shown as a notice); the new text arrives as an `updated` event.
      this.#settles(this.client.edit(conversationId, compose.seq, body));
      return;
    }
    const clientId = newClientId();
    const pending: PendingMessage = {
      clientId,
      conversationId,
      body,
      createdAt: this.#now(),
      ...(attachments.length > 0 ? { attachments } : {}),
    };
    if (compose?.mode === "reply") pending.replyTo = compose.seq;
    this.#set((s) => ({ ...s, pending: [...s.pending, pending] }));
    // A refusal arrives as `send-failed` and marks the entry; the promise adds nothing.
    const options = compose?.mode === "reply" ? { clientId, attachments, replyTo: compose.seq } : { clientId, attachments };
    this.#settles(this.client.send(conversationId, body, options));
  }

  /** The composer answers message `seq` (or, with "edit", changes it). */
  compose(conversationId: string, mode: "reply" | "edit", seq: number): void {
    this.#set((s) => ({ ...s, composing: { ...s.composing, [conversationId]: { mode, seq } } }));
  }

  cancelCompose(conversationId: string): void {
    this.#set((s) => {
      if (!s.composing[conversationId]) return s;
      const { [conversationId]: _, ...rest } = s.composing;
      return { ...s, composing: rest };
    });
  }

  /** Deletes for everyone (queued like a send) or only for this user (needs the server now). */
  deleteMessage(conversationId: string, seq: number, scope: "everyone" | "me"): void {
    if (this.#state.composing[conversationId]?.seq === seq) this.cancelCompose(conversationId);
    this.client.deleteMessage(conversationId, seq, { scope }).catch((error: unknown) => {
      // Refusals of the queued delete arrive as `send-failed`.
      if (scope === "me") this.#notify(error);
    });
  }

  /** Adds the user's reaction, or takes it back when it is already there. */
  toggleReaction(conversationId: string, seq: number, emoji: string): void {
    const me = this.#state.me?.id ?? "";
    const message = this.#state.conversations[conversationId]?.messages.find((m) => m.seq === seq);
    const remove = message !== undefined && hasReacted(message, emoji, me);
    const sent = remove ? this.client.unreact(conversationId, seq, emoji) : this.client.react(conversationId, seq, emoji);
    this.#settles(sent);
  }

  /** Sends a refused message again as a new message. */
  retry(clientId: string): void {
    const failed = this.#state.pending.find((p) => p.clientId === clientId);
    if (!failed) return;
    this.discard(clientId);
    this.send(failed.conversationId, failed.body, failed.attachments);
  }

  discard(clientId: string): void {
    this.#set((s) => ({ ...s, pending: s.pending.filter((p) => p.clientId !== clientId) }));
  }

  /** Shows sends restored from localStorage by the SDK outbox (written before a reload, not yet stored). */
  #adoptOutbox(): void {
    const known = new Set(this.#state.pending.map((p) => p.clientId));
    const shown = (conversationId: string, clientId: string) =>
      this.#state.conversations[conversationId]?.messages.some((m) => m.clientId === clientId) ?? false;
    // Queued edits, deletes and reactions are not bubbles of their own.
    const restored = this.client
      .pendingSends()
      .filter((e) => !e.action && !known.has(e.clientId) && !shown(e.conversationId, e.clientId));
    if (restored.length === 0) return;
    this.#set((s) => ({
      ...s,
      pending: [...s.pending, ...restored.map((e) => ({ ...e }))].sort((a, b) => a.createdAt - b.createdAt),
    }));
  }

  /** Marks everything up to the newest entry read (the conversation is on screen and scrolled to the end). */
  markRead(conversationId: string): void {
    const c = this.#state.conversations[conversationId];
    if (c?.membership !== "member") return;
    if (c.lastSeq <= c.readSeq && c.unread === 0) return;
    this.client.markRead(conversationId, c.lastSeq);
    this.#patchConversation(conversationId, (x) => ({ ...x, readSeq: Math.max(x.readSeq, c.lastSeq), unread: 0 }));
  }

  setTyping(conversationId: string, typing: boolean): void {
    this.client.setTyping(conversationId, typing);
  }

  // ── search ─────────────────────────────────────────────────────────────────

  /** Shows the search panel, limited to `scope` (a conversation id) when given. */
  openSearch(scope: string | null = null): void {
    this.#set((s) => ({ ...s, searchOpen: true, searchScope: scope, searchInFront: true }));
  }

  closeSearch(): void {
    this.#set((s) => (s.searchOpen ? { ...s, searchOpen: false, searchScope: null, searchInFront: false } : s));
  }

  /** One page of search hits; the senders' names are fetched along. */
  async search(query: string, filters: SearchFilters): Promise<SearchPage> {
    const page = await this.client.search(query, filters);
    this.#ensureUsers(page.results.map((h) => h.message.senderId));
    return page;
  }

  /** The page after `page`, names fetched along. */
  async searchMore(page: SearchPage): Promise<SearchPage> {
    const next = await page.next();
    this.#ensureUsers(next.results.map((h) => h.message.senderId));
    return next;
  }

  /**
   * Opens the conversation at message `seq`: the history is filled back to it (contiguously, so the timeline has no
   * hole), then the message list scrolls to it and highlights it (`focus`).
   */
  async jumpTo(conversationId: string, seq: number): Promise<void> {
    const focus = { conversationId, seq, token: ++this.#focusTokens };
    this.#set((s) => ({ ...s, focus, activeId: conversationId, searchInFront: false }));
    if (!this.#state.conversations[conversationId]) await this.#fetchConversation(conversationId);
    await this.loadLatest(conversationId);
    const pageSize = this.client.limits?.historyPageMax ?? 200;
    for (let i = 0; i < MAX_JUMP_PAGES; i++) {
      const c = this.#state.conversations[conversationId];
      const first = c?.messages[0]?.seq;
      if (!c?.loaded || !c.hasOlder || first === undefined || first <= seq || this.#state.focus?.token !== focus.token) return;
      this.#patchConversation(conversationId, (x) => ({ ...x, loadingOlder: true }));
      try {
        const page = await this.client.history(conversationId, { before: first, limit: pageSize });
        this.#applyHistory(conversationId, page.messages, page.hasMore);
      } catch (error) {
        this.#patchConversation(conversationId, (x) => ({ ...x, loadingOlder: false }));
        this.#notify(error);
        return;
      }
    }
    const reached = (this.#state.conversations[conversationId]?.messages[0]?.seq ?? Number.POSITIVE_INFINITY) <= seq;
    if (!reached && this.#state.focus?.token === focus.token) {
      this.#set((s) => ({ ...s, focus: null, notice: "That message is too far back to open here: scroll up to reach it." }));
    }
  }

  /** The message list has shown the focused message. */
  focusShown(token: number): void {
    this.#set((s) => (s.focus?.token === token ? { ...s, focus: null } : s));
  }

  // ── users and presence ─────────────────────────────────────────────────────

  /** Fetches unknown users in one batch per tick. */
  #ensureUsers(ids: readonly string[]): void {
    const missing = ids.filter((id) => !this.#requestedUsers.has(id));
    if (missing.length === 0) return;
    for (const id of missing) this.#requestedUsers.add(id);
    if (!this.#userBatch) {
      const batch = new Set<string>();
      this.#userBatch = batch;
      queueMicrotask(() => {
        this.#userBatch = undefined;
        void this.#fetchUsers([...batch]);
      });
    }
    for (const id of missing) this.#userBatch.add(id);
  }

  async #fetchUsers(ids: string[]): Promise<void> {
    try {
      const users = await this.client.getUsers(ids);
      this.#set((s) => {
        const next = { ...s.users };
        for (const u of users) next[u.id] = u;
        return { ...s, users: next };
      });
    } catch {
      // Names are asked for again the next time they are needed.
      for (const id of ids) this.#requestedUsers.delete(id);
    }
  }

  #followPresence(ids: readonly string[]): void {
    const me = this.#state.me?.id;
    const fresh = [...new Set(ids)].filter((id) => id !== me && !this.#presenceFollowed.has(id));
    if (fresh.length === 0) return;
    for (const id of fresh) this.#presenceFollowed.add(id);
    this.client.subscribePresence(fresh).then(
      (list) =>
        this.#set((s) => {
          const presence = { ...s.presence };
          for (const p of list) presence[p.userId] = p;
          return { ...s, presence };
        }),
      // The SDK subscribes again after reconnecting; a query lost to the disconnection only delays the first dot.
      (error: unknown) => this.#notifyUnlessDisconnected(error),
    );
  }
}

export function normalizeUsername(username: string): string {
  return username.trim().replace(/^@/, "").toLowerCase();
}
