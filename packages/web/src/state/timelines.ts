// The conversations and their entries: the list from the server, each conversation's window of history (newest page
// on opening, older pages on scrolling back), the live stream merged in, and the unread counts and watermarks.

import {
  applyHidden,
  applyUpdate,
  type Conversation,
  type ConversationSummary,
  isParleyError,
  isShown,
  type Message,
  type ParleyClient,
  type User,
} from "@parley/client";
import { mentionsUser } from "@parley/protocol";
import { mergeMessages } from "./conversations.js";
import type { Encryption } from "./encryption.js";
import type { Outgoing } from "./outgoing.js";
import { type People, userIdsIn } from "./people.js";
import { newer, type StoreCore } from "./store-core.js";
import type { ConversationState } from "./types.js";

/** Entries per history page. */
const PAGE_SIZE = 50;

export class Timelines {
  readonly #core: StoreCore;
  readonly #client: ParleyClient;
  readonly #people: People;
  readonly #outgoing: Outgoing;
  readonly #fetching = new Map<string, Promise<void>>();
  /** Entries that arrived for a conversation not fetched yet. */
  readonly #early = new Map<string, Message[]>();
  readonly #loadingLatest = new Set<string>();
  /** Conversations shown from this device's cache that the server's list has not confirmed yet. */
  readonly #cachedOnly = new Set<string>();

  readonly #encryption: Encryption;

  constructor(core: StoreCore, client: ParleyClient, people: People, outgoing: Outgoing, encryption: Encryption) {
    this.#encryption = encryption;
    this.#core = core;
    this.#client = client;
    this.#people = people;
    this.#outgoing = outgoing;
  }

  /** Forgets what arrived for a previous account. */
  reset(): void {
    this.#early.clear();
    this.#cachedOnly.clear();
  }

  /**
   * Shows what this device saved of the signed-in user's last state (see offline/conversation-cache.ts) until the
   * server answers: ignored once the server's list is in. Cached messages are replaced by the first page fetched.
   */
  hydrate(saved: { userId: string; conversations: readonly ConversationState[]; users: readonly User[] }): void {
    const s = this.#core.state;
    if (s.session !== "signed-in" || s.me?.id !== saved.userId || s.listLoaded) return;
    const fresh = saved.conversations.filter((c) => !s.conversations[c.id]);
    for (const c of fresh) this.#cachedOnly.add(c.id);
    this.#core.set((state) => ({
      ...state,
      users: { ...Object.fromEntries(saved.users.map((u) => [u.id, u])), ...state.users },
      conversations: {
        // A cache written before mentions were counted has none.
        ...Object.fromEntries(fresh.map((c) => [c.id, { ...c, mentions: c.mentions ?? 0, loaded: false, loadingOlder: false }])),
        ...state.conversations,
      },
    }));
  }

  /** Shows a conversation (null: the list only) and loads its newest messages. */
  open(conversationId: string | null): void {
    if (this.#core.state.activeId === conversationId) return;
    this.#core.set((s) => ({ ...s, activeId: conversationId, searchInFront: false }));
    if (conversationId) void this.loadLatest(conversationId);
  }

  async refreshList(): Promise<void> {
    let list: ConversationSummary[];
    try {
      list = await this.#client.conversations();
    } catch (error) {
      this.#core.notifyUnlessDisconnected(error);
      return;
    }
    for (const summary of list) {
      this.#cachedOnly.delete(summary.id);
      this.upsert(summary);
    }
    // Cached conversations the server no longer lists for this user are gone.
    const gone = new Set(this.#cachedOnly);
    this.#cachedOnly.clear();
    this.#core.set((s) => ({
      ...s,
      listLoaded: true,
      conversations:
        gone.size === 0 ? s.conversations : Object.fromEntries(Object.entries(s.conversations).filter(([id]) => !gone.has(id))),
    }));
    const active = this.#core.state.activeId;
    if (active) void this.loadLatest(active);
  }

  /** Adds or refreshes a conversation from the server's view of it, keeping loaded messages and local progress. */
  upsert(summary: ConversationSummary | Conversation): void {
    const me = this.#core.state.me?.id;
    const full = "membership" in summary ? summary : undefined;
    const early = this.#early.get(summary.id) ?? [];
    this.#early.delete(summary.id);
    this.#core.set((s) => {
      const old = s.conversations[summary.id];
      const myReadSeq = summary.members.find((m) => m.userId === me)?.readSeq ?? 0;
      const readSeq = Math.max(old?.readSeq ?? 0, myReadSeq);
      let messages = old?.messages ?? [];
      if (early.length > 0) messages = mergeMessages(messages, early);
      const lastSeq = Math.max(old?.lastSeq ?? 0, summary.lastSeq, messages[messages.length - 1]?.seq ?? 0);
      const lastMessage = newer(newer(old?.lastMessage, full?.lastMessage), messages[messages.length - 1]);
      // The server's count is current unless this device has seen newer entries since it was computed.
      const current = full && summary.lastSeq >= (old?.lastSeq ?? 0);
      let unread = current ? full.unread : (old?.unread ?? 0);
      let mentions = current ? full.mentions : (old?.mentions ?? 0);
      if (!old) {
        const news = early.filter((m) => m.kind === "text" && m.senderId !== me && m.seq > summary.lastSeq);
        unread += news.length;
        mentions += news.filter((m) => me !== undefined && mentionsUser(m.body ?? "", me)).length;
      }
      if (readSeq >= lastSeq) {
        unread = 0;
        mentions = 0;
      }
      const next: ConversationState = {
        id: summary.id,
        kind: summary.kind,
        title: summary.title,
        createdAt: summary.createdAt,
        members: summary.members,
        ...(summary.encrypted === true ? { encrypted: true as const } : {}),
        membership: full?.membership ?? "member",
        lastSeq,
        lastMessage,
        unread,
        mentions,
        readSeq,
        messages,
        loaded: old?.loaded ?? false,
        hasOlder: old?.hasOlder ?? true,
        loadingOlder: old?.loadingOlder ?? false,
        receipts: this.#client.receipts(summary.id),
      };
      // The server's view of the limits replaces ours; the watermark only rises.
      for (const key of ["disappearAfter", "retention", "maxAge"] as const) {
        if (summary[key] !== undefined) next[key] = summary[key];
      }
      if (summary.channel !== undefined) next.channel = summary.channel;
      if (summary.memberCount !== undefined) next.memberCount = summary.memberCount;
      const expiredThrough = Math.max(old?.expiredThrough ?? 0, summary.expiredThrough ?? 0);
      if (expiredThrough > 0) return { ...s, conversations: { ...s.conversations, [summary.id]: expire(next, expiredThrough) } };
      return { ...s, conversations: { ...s.conversations, [summary.id]: next } };
    });
    const ids = summary.members.map((m) => m.userId);
    this.#people.ensure([...ids, ...userIdsIn(full?.lastMessage ? [full.lastMessage] : [])]);
    this.#people.followPresence(ids);
  }

  /** Fetches one conversation (new to this device, or its members changed); concurrent calls share the request. */
  fetchConversation(id: string): Promise<void> {
    let inflight = this.#fetching.get(id);
    if (!inflight) {
      inflight = (async () => {
        try {
          this.upsert(await this.#client.conversation(id));
          if (this.#core.state.activeId === id) void this.loadLatest(id);
        } catch (error) {
          if (!isParleyError(error, "not_found")) this.#core.notify(error);
        } finally {
          this.#fetching.delete(id);
        }
      })();
      this.#fetching.set(id, inflight);
    }
    return inflight;
  }

  /** Loads the newest page of a conversation once; later entries arrive live. */
  async loadLatest(id: string): Promise<void> {
    const conversation = this.#core.state.conversations[id];
    if (!conversation || conversation.loaded || this.#loadingLatest.has(id)) return;
    this.#loadingLatest.add(id);
    // Enough to reach the first unread message, so that the chat can open there.
    const limit = Math.min(Math.max(PAGE_SIZE, conversation.unread + 20), this.#client.limits?.historyPageMax ?? 200);
    try {
      const page = await this.#client.history(id, { limit });
      this.#applyHistory(id, await this.#encryption.readHistory(id, page.messages), page.hasMore);
    } catch (error) {
      this.#core.notify(error);
    } finally {
      this.#loadingLatest.delete(id);
    }
  }

  /** Loads the page before the oldest loaded entry (scrolling back). */
  async loadOlder(id: string): Promise<void> {
    const conversation = this.#core.state.conversations[id];
    if (!conversation?.loaded || !conversation.hasOlder || conversation.loadingOlder) return;
    const before = conversation.messages[0]?.seq;
    if (before === undefined || before <= 1) {
      this.#core.patchConversation(id, (c) => ({ ...c, hasOlder: false }));
      return;
    }
    await this.loadBefore(id, before, PAGE_SIZE);
  }

  /** Loads up to `limit` entries before `before` into the window; false (and shown) when that failed. */
  async loadBefore(id: string, before: number, limit: number): Promise<boolean> {
    this.#core.patchConversation(id, (c) => ({ ...c, loadingOlder: true }));
    try {
      const page = await this.#client.history(id, { before, limit });
      this.#applyHistory(id, await this.#encryption.readHistory(id, page.messages), page.hasMore);
      return true;
    } catch (error) {
      this.#core.patchConversation(id, (c) => ({ ...c, loadingOlder: false }));
      this.#core.notify(error);
      return false;
    }
  }

  #applyHistory(id: string, all: readonly Message[], hasMore: boolean): void {
    // Action entries are already applied to the messages of the page (the server shows their latest state); the
    // removals by an administrator among them are remembered for the tombstones' text.
    const page = all.filter(isShown);
    const removed = adminRemovals(all);
    this.#people.ensure(userIdsIn(page));
    if (removed.length > 0) this.#core.patchConversation(id, (c) => withAdminRemovals(c, removed));
    this.#core.patchConversation(id, (c) => {
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
    const me = this.#core.state.me?.id;
    this.#outgoing.dropPending(page.filter((m) => m.senderId === me && m.clientId).map((m) => m.clientId!));
  }

  /** A new entry of a conversation (live, or the answer to a membership change). */
  onMessage(message: Message): void {
    const id = message.conversationId;
    const state = this.#core.state;
    const me = state.me?.id;
    if (message.kind === "action") {
      // Not a line of its own: the `updated` event that follows changes its target; it only moves the sequence.
      if (!state.conversations[id]) void this.fetchConversation(id);
      else this.#core.patchConversation(id, (c) => (message.seq > c.lastSeq ? { ...c, lastSeq: message.seq } : c));
      const removed = adminRemovals([message]);
      if (removed.length > 0) this.#core.patchConversation(id, (c) => withAdminRemovals(c, removed));
      return;
    }
    if (message.senderId === me && message.clientId) this.#outgoing.dropPending([message.clientId]);
    if (!this.#core.state.conversations[id]) {
      this.#early.set(id, [...(this.#early.get(id) ?? []), message]);
      void this.fetchConversation(id);
      return;
    }
    this.#people.ensure(userIdsIn([message]));
    this.#core.patchConversation(id, (c) => {
      const isNew = message.seq > c.lastSeq;
      const counts = isNew && message.kind === "text" && message.senderId !== me && message.seq > c.readSeq;
      let { title, membership } = c;
      const event = message.event;
      if (event?.type === "conversation.renamed") title = event.title;
      if (
        (event?.type === "member.removed" && event.userId === me) ||
        (event?.type === "members.removed" && me !== undefined && event.userIds.includes(me)) ||
        (event?.type === "member.left" && event.actorId === me)
      ) {
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
        mentions: c.mentions + (counts && me !== undefined && mentionsUser(message.body ?? "", me) ? 1 : 0),
      };
    });
    if (message.kind === "system" && message.event && message.event.type !== "conversation.created") {
      // Members and roles changed: the conversation's member list (with watermarks) is fetched again.
      void this.fetchConversation(id);
    }
  }

  /** An earlier message changed (edited, deleted, reactions): its bubble, the quotes of it and the list preview follow. */
  onUpdated(message: Message): void {
    this.#people.ensure(userIdsIn([message]));
    this.#core.patchConversation(message.conversationId, (c) => {
      const messages = applyUpdate(c.messages, message) as Message[];
      const lastMessage = c.lastMessage?.seq === message.seq ? message : c.lastMessage;
      return messages === c.messages && lastMessage === c.lastMessage ? c : { ...c, messages, lastMessage };
    });
  }

  /** Retention deleted the conversation's entries up to `expiredThrough`: they leave the screen. */
  onExpired(conversationId: string, expiredThrough: number): void {
    this.#core.patchConversation(conversationId, (c) => expire(c, expiredThrough));
  }

  /** The user deleted a message for themself (here or on another device). */
  onHidden(conversationId: string, seq: number): void {
    this.#core.patchConversation(conversationId, (x) => {
      const messages = applyHidden(x.messages, seq) as Message[];
      return messages === x.messages ? x : { ...x, messages };
    });
  }

  onReceipts(conversationId: string): void {
    const me = this.#core.state.me?.id;
    const receipts = this.#client.receipts(conversationId);
    const mine = receipts.find((r) => r.userId === me);
    this.#core.patchConversation(conversationId, (c) => {
      const readSeq = Math.max(c.readSeq, mine?.readSeq ?? 0);
      // Read on another device of this user: the badge goes away here too.
      const read = readSeq >= c.lastSeq;
      return { ...c, receipts, readSeq, unread: read ? 0 : c.unread, mentions: read ? 0 : c.mentions };
    });
  }

  /** Marks everything up to the newest entry read (the conversation is on screen and scrolled to the end). */
  markRead(conversationId: string): void {
    const c = this.#core.state.conversations[conversationId];
    if (c?.membership !== "member") return;
    if (c.lastSeq <= c.readSeq && c.unread === 0) return;
    this.#client.markRead(conversationId, c.lastSeq);
    this.#core.patchConversation(conversationId, (x) => ({
      ...x,
      readSeq: Math.max(x.readSeq, c.lastSeq),
      unread: 0,
      mentions: 0,
    }));
  }
}

/** `c` without its entries at or below `expiredThrough` (unchanged when it holds none and knew the watermark). */
function expire(c: ConversationState, expiredThrough: number): ConversationState {
  if (expiredThrough <= (c.expiredThrough ?? 0) && (c.messages[0]?.seq ?? Number.POSITIVE_INFINITY) > expiredThrough) return c;
  const messages = c.messages.filter((m) => m.seq > expiredThrough);
  const lastMessage =
    c.lastMessage && c.lastMessage.seq <= expiredThrough ? (messages[messages.length - 1] ?? null) : c.lastMessage;
  // Nothing before the watermark is left on the server to page back to.
  const hasOlder = c.hasOlder && (messages[0]?.seq ?? expiredThrough + 1) > expiredThrough + 1;
  return { ...c, messages, lastMessage, hasOlder, expiredThrough: Math.max(c.expiredThrough ?? 0, expiredThrough) };
}

/** The targets of `delete` entries an administrator made (docs/protocol.md §6.11, `admin.messages.remove`). */
function adminRemovals(entries: readonly Message[]): number[] {
  const seqs: number[] = [];
  for (const m of entries) if (m.action?.type === "delete" && m.action.by === "admin") seqs.push(m.action.target);
  return seqs;
}

function withAdminRemovals(c: ConversationState, seqs: readonly number[]): ConversationState {
  const known = c.removedByAdmin ?? [];
  const added = seqs.filter((seq) => !known.includes(seq));
  return added.length === 0 ? c : { ...c, removedByAdmin: [...known, ...added] };
}
