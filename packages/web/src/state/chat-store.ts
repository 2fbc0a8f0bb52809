// The app's state and every action on it: one store fed by the SDK's events (connection, messages, receipts, typing,
// presence, credentials) and by API answers. React reads it through useSyncExternalStore; components stay thin.
// This module holds the session and wires the SDK to the parts: the state cell (store-core.ts), conversations and
// their entries (timelines.ts), what the user sends (outgoing.ts), names and presence (people.ts) and search.

import {
  type Attachment,
  type Credentials,
  isAuthLoss,
  isParleyError,
  type Message,
  type ParleyClient,
  type SearchFilters,
  type SearchPage,
  type User,
} from "@parley/client";
import type { SsoInfo } from "@parley/protocol";
import { reportBestEffort } from "../app/best-effort.js";
import { type CredentialStore, parseCredentials, SESSION_KEY } from "../auth/credential-store.js";
import { pictureThumbnail } from "../e2ee/thumbnail.js";
import { t } from "../i18n/i18n.js";
import { DraftStorage, withDraft } from "./drafts.js";
import { type ContactTrust, type DeviceEncryption, Encryption } from "./encryption.js";
import type { KeyValueStorage } from "./local-outbox-store.js";
import { Outgoing } from "./outgoing.js";
import { People } from "./people.js";
import { SearchJump } from "./search-jump.js";
import { initialState, StoreCore } from "./store-core.js";
import { Timelines } from "./timelines.js";
import type { ChatState, ConversationState } from "./types.js";

export { normalizeUsername } from "./people.js";

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
  /** Where drafts survive a reload (localStorage); without it they last as long as the page. */
  storage?: KeyValueStorage;
  /** End-to-end encryption on this device (IndexedDB state, MLS in a Web Worker); without it encrypted chats are off. */
  encryption?: DeviceEncryption;
}

export class ChatStore {
  readonly client: ParleyClient;
  readonly #credentials: CredentialStore;
  readonly #dropSockets: (reason: string) => void;
  readonly #browser: BrowserHooks | undefined;
  readonly #core: StoreCore;
  readonly #people: People;
  readonly #outgoing: Outgoing;
  readonly #timelines: Timelines;
  readonly #search: SearchJump;
  readonly #drafts: DraftStorage;
  readonly #encryption: Encryption;
  #started = false;

  constructor(options: ChatStoreOptions) {
    this.client = options.client;
    this.#credentials = options.credentials;
    this.#dropSockets = options.dropSockets ?? (() => {});
    this.#browser = options.browser;
    this.#core = new StoreCore(options.browser?.isOnline() ?? true);
    this.#people = new People(this.#core, this.client);
    this.#outgoing = new Outgoing(this.#core, this.client, options.now ?? Date.now);
    this.#encryption = new Encryption(this.#core, this.client, options.encryption, options.storage, () => {
      const active = this.#core.state.activeId;
      if (active === null || this.#core.state.conversations[active]?.encrypted !== true) return;
      this.#core.patchConversation(active, (c) => ({ ...c, loaded: false }));
      void this.#timelines.loadLatest(active);
    });
    this.#timelines = new Timelines(this.#core, this.client, this.#people, this.#outgoing, this.#encryption);
    this.#search = new SearchJump(this.#core, this.client, this.#people, this.#timelines, this.#encryption);
    this.#drafts = new DraftStorage(options.storage);
  }

  // ── store protocol (useSyncExternalStore) ──────────────────────────────────

  readonly getState = (): ChatState => this.#core.state;

  readonly subscribe = (listener: () => void): (() => void) => this.#core.subscribe(listener);

  // ── lifecycle ──────────────────────────────────────────────────────────────

  /** Wires the SDK and browser events and resumes a saved session, if any. Call once. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    const c = this.client;
    const core = this.#core;
    c.on("credentials", (credentials) => this.#credentials.save(credentials));
    c.on("auth-lost", (error) =>
      this.#signedOut(isParleyError(error, "account_deactivated") ? t("session.deactivated") : t("session.ended")),
    );
    c.on("state", (connection) => {
      core.set((s) => ({
        ...s,
        connection,
        maxMessageBytes: c.limits?.maxMessageBytes ?? s.maxMessageBytes,
        maxUploadBytes: c.limits?.maxUploadBytes ?? s.maxUploadBytes,
        maxAttachments: c.limits?.maxAttachments ?? s.maxAttachments,
      }));
      this.#outgoing.adoptOutbox();
      if (connection === "connected") {
        void this.#timelines.refreshList();
        this.#encryption.retry();
      }
    });
    c.on("message", (message) => {
      this.#timelines.onMessage(message);
      this.#encryption.index(message);
    });
    c.on("updated", (message) => this.#timelines.onUpdated(message));
    c.on("hidden", ({ conversationId, seq }) => this.#timelines.onHidden(conversationId, seq));
    c.on("expired", ({ conversationId, expiredThrough }) => this.#timelines.onExpired(conversationId, expiredThrough));
    c.on("receipts", ({ conversationId }) => this.#timelines.onReceipts(conversationId));
    c.on("typing", ({ conversationId }) => {
      const typing = c.typingIn(conversationId);
      core.set((s) => ({ ...s, typing: { ...s.typing, [conversationId]: typing } }));
    });
    c.on("presence", (presence) => core.set((s) => ({ ...s, presence: { ...s.presence, [presence.userId]: presence } })));
    c.on("user", (user) => this.#userChanged(user));
    // The ack stands for the message (the SDK delivers it as a `message` right after, in order).
    c.on("ack", (ack) => this.#outgoing.dropPending([ack.clientId]));
    c.on("send-failed", ({ entry, error }) => this.#outgoing.onSendFailed(entry, error));
    c.on("pins", ({ conversationId, pins }) => core.set((s) => ({ ...s, pins: { ...s.pins, [conversationId]: pins } })));

    const browser = this.#browser;
    if (browser) {
      browser.addEventListener("online", () => {
        core.set((s) => ({ ...s, online: true }));
        this.client.reconnectNow();
        // An attempt that was already failing when the network came back schedules a backoff wait: skip that too.
        setTimeout(() => {
          if (core.state.online && this.client.state === "reconnecting") this.client.reconnectNow();
        }, 1000);
      });
      browser.addEventListener("offline", () => {
        core.set((s) => ({ ...s, online: false }));
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
      if (!isAuthLoss(error) && !(isParleyError(error) && error.retryable)) this.#core.notify(error);
    }
    if (this.#core.state.session === "signed-in") this.#connect();
  }

  /** Starts encryption (its interim hooks are in place at once, so arriving entries wait for it) and connects. */
  #connect(): void {
    void this.#encryption.start();
    this.client.connect().catch((error: unknown) => {
      if (isAuthLoss(error) || isParleyError(error, "stopped")) return;
      this.#core.notify(error);
    });
  }

  /** A fresh signed-in state for `user`: nothing of a previous account stays. */
  #enter(user: User): void {
    this.#people.reset(user.id);
    this.#timelines.reset();
    this.#core.set((s) => ({
      ...initialState(s.online),
      session: "signed-in",
      me: user,
      connection: this.client.state,
      users: { [user.id]: user },
      activeId: s.activeId,
      drafts: this.#drafts.load(user.id),
    }));
  }

  #signedOut(notice: string | null): void {
    this.#encryption.reset();
    this.#core.set((s) => ({ ...initialState(s.online), notice }));
  }

  /** Another tab changed the shared session (refreshed, signed out, or signed in). */
  #onSharedSession(next: Credentials | undefined): void {
    const current = this.client.credentials;
    if (!next) {
      if (current) void this.logout(t("session.otherTab"));
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

  /** `invite`: the token of an invitation link (needed while registration is invite-only). */
  async register(username: string, password: string, displayName?: string, invite?: string): Promise<void> {
    const user = await this.client.register(username, password, {
      ...(displayName ? { displayName } : {}),
      ...(invite ? { invite } : {}),
    });
    this.#enter(user);
    this.#connect();
  }

  /** Uses a password-reset link: every other device is signed out, this one signed in. */
  async resetPassword(token: string, password: string): Promise<void> {
    if (this.client.credentials) await this.client.logout();
    const user = await this.client.resetPassword(token, password);
    this.#enter(user);
    this.#connect();
  }

  async setDisplayName(displayName: string): Promise<void> {
    this.#userChanged(await this.client.updateProfile(displayName));
  }

  /** Sets the profile picture from an image file; the server crops the centre square and resizes it. */
  async setAvatar(image: Blob): Promise<void> {
    this.#userChanged(await this.client.setAvatar(image, image.type ? { type: image.type } : {}));
  }

  async removeAvatar(): Promise<void> {
    this.#userChanged(await this.client.removeAvatar());
  }

  /** A user's new profile (this user's own answer, or a `user` event): replaces what was known of them. */
  #userChanged(user: User): void {
    this.#core.set((s) => ({ ...s, me: s.me?.id === user.id ? user : s.me, users: { ...s.users, [user.id]: user } }));
  }

  async login(username: string, password: string): Promise<void> {
    const user = await this.client.login(username, password);
    this.#enter(user);
    this.#connect();
  }

  /** Signs in with the one-time code a single sign-on's redirect handed the app. */
  async ssoSignIn(code: string): Promise<void> {
    const user = await this.client.ssoSignIn(code);
    this.#enter(user);
    this.#connect();
  }

  /** Whether the server offers single sign-on (`auth.sso`), for the sign-in screen. */
  ssoInfo(): Promise<SsoInfo> {
    return this.client.call("auth.sso", {});
  }

  async logout(notice: string | null = null): Promise<void> {
    const me = this.#core.state.me?.id;
    if (me !== undefined) this.#drafts.clear(me);
    await this.client.logout();
    // The device session's MLS secrets and the texts it decrypted go with it (Encryption.reset).
    this.#signedOut(notice);
  }

  /** Shows a failure of something the user did outside the store (a refused clipboard write) as a notice. */
  notify(error: unknown): void {
    this.#core.notify(error);
  }

  dismissNotice(): void {
    this.#core.set((s) => (s.notice === null ? s : { ...s, notice: null }));
  }

  // ── conversations ──────────────────────────────────────────────────────────

  /** Shows what this device saved of the user's last state until the server answers (Timelines.hydrate). */
  hydrate(saved: { userId: string; conversations: readonly ConversationState[]; users: readonly User[] }): void {
    this.#timelines.hydrate(saved);
  }

  /** Shows a conversation (null: the list only) and loads its newest messages. */
  open(conversationId: string | null): void {
    this.#timelines.open(conversationId);
  }

  /** Loads the newest page of a conversation once; later entries arrive live. */
  loadLatest(id: string): Promise<void> {
    return this.#timelines.loadLatest(id);
  }

  /** Loads the page before the oldest loaded entry (scrolling back). */
  loadOlder(id: string): Promise<void> {
    return this.#timelines.loadOlder(id);
  }

  /** Opens the direct chat with `username`; `encrypted`: the end-to-end encrypted one (a separate conversation). */
  async startDirect(username: string, encrypted = false): Promise<string> {
    const user = await this.#people.lookup(username);
    if (user.id === this.#core.state.me?.id) throw new Error(t("newChat.isYou"));
    const conversation = encrypted ? await this.#e2ee().openDirect(user.id) : await this.client.openDirect(user.id);
    this.#timelines.upsert(conversation);
    this.open(conversation.id);
    return conversation.id;
  }

  /** `encrypted`: end-to-end encrypted, fixed for the group's life. */
  async createGroup(title: string, usernames: readonly string[], encrypted = false): Promise<string> {
    const users = await this.lookupUsers(usernames);
    const ids = users.map((u) => u.id).filter((id) => id !== this.#core.state.me?.id);
    const conversation = encrypted
      ? await this.#e2ee().createGroup(title.trim(), ids)
      : await this.client.createGroup(title.trim(), ids);
    this.#timelines.upsert(conversation);
    this.open(conversation.id);
    return conversation.id;
  }

  /** Creates a channel with the user as its admin and opens it. */
  async createChannel(options: {
    title: string;
    visibility: "public" | "private";
    posting: "everyone" | "admins";
    history: "full" | "from_join";
  }): Promise<string> {
    const conversation = await this.client.createChannel({ ...options, title: options.title.trim() });
    this.#timelines.upsert(conversation);
    this.open(conversation.id);
    return conversation.id;
  }

  /** Joins a public channel (or opens one the user is in) and opens it. */
  async joinChannel(id: string): Promise<void> {
    this.#timelines.upsert(await this.client.joinChannel(id));
    this.open(id);
  }

  /** Joins the channel of an invite link's token and opens it. */
  async joinChannelByInvite(token: string): Promise<void> {
    const conversation = await this.client.joinChannelByInvite(token);
    this.#timelines.upsert(conversation);
    this.open(conversation.id);
  }

  /** Adds people to a channel by username (admins), in one entry. */
  async addChannelMembers(id: string, usernames: readonly string[]): Promise<void> {
    const users = await this.lookupUsers(usernames);
    this.#timelines.onMessage(
      await this.client.addChannelMembers(
        id,
        users.map((u) => u.id),
      ),
    );
  }

  async removeChannelMembers(id: string, userIds: readonly string[]): Promise<void> {
    this.#timelines.onMessage(await this.client.removeChannelMembers(id, userIds));
  }

  async rename(id: string, title: string): Promise<void> {
    this.#timelines.onMessage(await this.client.renameConversation(id, title.trim()));
  }

  /** The members' disappearing-messages timer (null: off); the entry it appends updates the conversation. */
  async setDisappearing(id: string, seconds: 3600 | 86_400 | 604_800 | 2_592_000 | null): Promise<void> {
    this.#timelines.onMessage(await this.client.setDisappearing(id, seconds));
  }

  /** The conversation's retention (null: the server's maximum only). */
  async setRetention(id: string, seconds: number | null): Promise<void> {
    this.#timelines.onMessage(await this.client.setRetention(id, seconds));
  }

  async addMembers(id: string, usernames: readonly string[]): Promise<void> {
    const users = await this.lookupUsers(usernames);
    const ids = users.map((u) => u.id);
    // In an encrypted group the new members' devices are added to its MLS group by a commit.
    const encrypted = this.#core.state.conversations[id]?.encrypted === true;
    this.#timelines.onMessage(encrypted ? await this.#e2ee().addMembers(id, ids) : await this.client.addMembers(id, ids));
  }

  async removeMember(id: string, userId: string): Promise<void> {
    const encrypted = this.#core.state.conversations[id]?.encrypted === true;
    this.#timelines.onMessage(
      encrypted ? await this.#e2ee().removeMember(id, userId) : await this.client.removeMember(id, userId),
    );
  }

  // ── end-to-end encryption ──────────────────────────────────────────────────

  #e2ee() {
    const e2ee = this.#encryption.e2ee;
    if (e2ee === undefined) throw new Error(t("e2ee.unavailable"));
    return e2ee;
  }

  /**
   * Encrypts a file of an encrypted conversation with a key of its own and uploads the ciphertext (the key travels
   * inside the message that sends it); a picture gets a thumbnail made here, encrypted the same way.
   */
  async uploadEncrypted(file: File): Promise<Attachment> {
    const e2ee = this.#e2ee();
    const [data, picture] = await Promise.all([file.arrayBuffer(), pictureThumbnail(file)]);
    return e2ee.upload(new Uint8Array(data), { name: file.name, type: file.type || "application/octet-stream", ...picture });
  }

  /** A file of an encrypted conversation (or its thumbnail), downloaded and decrypted: an object URL to revoke. */
  async decryptedFileUrl(attachment: Attachment, thumbnail = false): Promise<string> {
    const bytes = await this.#e2ee().download(attachment.id, { thumbnail });
    return URL.createObjectURL(new Blob([new Uint8Array(bytes)], { type: thumbnail ? "image/jpeg" : attachment.mimeType }));
  }

  /** The safety number with a contact, their devices and whether the user verified them. */
  contactTrust(userId: string): Promise<ContactTrust> {
    return this.#encryption.contact(userId);
  }

  /** Whether a contact's devices changed since this browser last accepted them. */
  devicesChanged(userId: string): Promise<{ changed: boolean; keys: string[] }> {
    return this.#encryption.devicesChanged(userId);
  }

  /** The user saw that a contact's devices changed. */
  acknowledgeDevices(userId: string, keys: readonly string[]): void {
    this.#encryption.acknowledge(userId, keys);
  }

  /** The user compared safety numbers with a contact: their current devices are verified. */
  verifyContact(userId: string, keys: readonly string[]): void {
    this.#encryption.verify(userId, keys);
  }

  async setRole(id: string, userId: string, role: "admin" | "member"): Promise<void> {
    this.#timelines.onMessage(await this.client.setRole(id, userId, role));
  }

  async leave(id: string): Promise<void> {
    this.#timelines.onMessage(await this.client.leaveConversation(id));
  }

  /** People to start a chat with or add to a group, by part of their name or username. */
  findPeople(text: string, limit = 8): Promise<User[]> {
    return this.#people.search(text, limit);
  }

  /** Resolves usernames to users; the error names every username that does not exist. */
  lookupUsers(usernames: readonly string[]): Promise<User[]> {
    return this.#people.lookupMany(usernames);
  }

  // ── messages ───────────────────────────────────────────────────────────────

  /**
   * Sends a message (a reply when the composer is replying), or saves the edit when it is editing. A send shows as
   * pending until stored; sends and edits survive reloads and offline periods (SDK outbox).
   */
  send(conversationId: string, body: string, attachments: Attachment[] = []): void {
    this.#outgoing.send(conversationId, body, attachments);
  }

  /** The composer answers message `seq` (or, with "edit", changes it). */
  /** Keeps what is typed in a conversation's composer (saved for this user; "" removes it). */
  setDraft(conversationId: string, text: string): void {
    const me = this.#core.state.me?.id;
    const drafts = withDraft(this.#core.state.drafts, conversationId, text);
    if (drafts === this.#core.state.drafts) return;
    this.#core.set((s) => ({ ...s, drafts }));
    if (me !== undefined) this.#drafts.save(me, drafts);
  }

  /** Fetches a conversation's pinned messages; the SDK keeps them current from then on (`pins` events). */
  loadPins(conversationId: string): void {
    // Optional: without the list the header shows no pin button; the next connection fetches it again.
    this.client.pins(conversationId).catch((error: unknown) => reportBestEffort("loading the pinned messages", error));
  }

  setPinned(conversationId: string, seq: number, pinned: boolean): void {
    this.#outgoing.setPinned(conversationId, seq, pinned);
  }

  /** Forwards a text message of one conversation to another. */
  forward(conversationId: string, message: Message): void {
    this.#outgoing.forward(conversationId, message);
  }

  compose(conversationId: string, mode: "reply" | "edit", seq: number): void {
    this.#outgoing.compose(conversationId, mode, seq);
  }

  cancelCompose(conversationId: string): void {
    this.#outgoing.cancelCompose(conversationId);
  }

  /** Deletes for everyone (queued like a send) or only for this user (needs the server now). */
  deleteMessage(conversationId: string, seq: number, scope: "everyone" | "me"): void {
    this.#outgoing.deleteMessage(conversationId, seq, scope);
  }

  /** Adds the user's reaction, or takes it back when it is already there. */
  toggleReaction(conversationId: string, seq: number, emoji: string): void {
    this.#outgoing.toggleReaction(conversationId, seq, emoji);
  }

  /** Sends a refused message again as a new message. */
  retry(clientId: string): void {
    this.#outgoing.retry(clientId);
  }

  discard(clientId: string): void {
    this.#outgoing.discard(clientId);
  }

  /** Marks everything up to the newest entry read (the conversation is on screen and scrolled to the end). */
  markRead(conversationId: string): void {
    this.#timelines.markRead(conversationId);
  }

  setTyping(conversationId: string, typing: boolean): void {
    // Channels have no typing indicator (the server refuses it there).
    if (this.#core.state.conversations[conversationId]?.kind === "channel") return;
    this.client.setTyping(conversationId, typing);
  }

  // ── search ─────────────────────────────────────────────────────────────────

  /** Shows the search panel, limited to `scope` (a conversation id) when given. */
  openSearch(scope: string | null = null): void {
    this.#search.openSearch(scope);
  }

  closeSearch(): void {
    this.#search.closeSearch();
  }

  /** One page of search hits; the senders' names are fetched along. */
  search(query: string, filters: SearchFilters): Promise<SearchPage> {
    return this.#search.search(query, filters);
  }

  /** The page after `page`, names fetched along. */
  searchMore(page: SearchPage): Promise<SearchPage> {
    return this.#search.searchMore(page);
  }

  /**
   * Opens the conversation at message `seq`: the history is filled back to it (contiguously, so the timeline has no
   * hole), then the message list scrolls to it and highlights it (`focus`).
   */
  jumpTo(conversationId: string, seq: number): Promise<void> {
    return this.#search.jumpTo(conversationId, seq);
  }

  /** The message list has shown the focused message. */
  focusShown(token: number): void {
    this.#search.focusShown(token);
  }
}
