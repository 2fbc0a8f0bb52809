// Message search from the store's side: the panel's state, pages of hits with their senders' names, and the jump to a
// hit (the history filled back to it, then the message focused).

import type { ParleyClient, SearchFilters, SearchPage } from "@parley/client";
import { t } from "../i18n/i18n.js";
import type { Encryption } from "./encryption.js";
import type { People } from "./people.js";
import type { StoreCore } from "./store-core.js";
import type { Timelines } from "./timelines.js";

/** A jump to a search result fills the history back to it, at most this many pages; older ones open at the top. */
const MAX_JUMP_PAGES = 25;

export class SearchJump {
  readonly #core: StoreCore;
  readonly #client: ParleyClient;
  readonly #people: People;
  readonly #timelines: Timelines;
  #focusTokens = 0;

  readonly #encryption: Encryption;

  constructor(core: StoreCore, client: ParleyClient, people: People, timelines: Timelines, encryption: Encryption) {
    this.#encryption = encryption;
    this.#core = core;
    this.#client = client;
    this.#people = people;
    this.#timelines = timelines;
  }

  /** Shows the search panel, limited to `scope` (a conversation id) when given. */
  openSearch(scope: string | null): void {
    this.#core.set((s) => ({ ...s, searchOpen: true, searchScope: scope, searchInFront: true }));
  }

  closeSearch(): void {
    this.#core.set((s) => (s.searchOpen ? { ...s, searchOpen: false, searchScope: null, searchInFront: false } : s));
  }

  /**
   * One page of search hits; the senders' names are fetched along. The first page also holds the hits of this
   * device's local index of encrypted conversations (which the server cannot search), first.
   */
  async search(query: string, filters: SearchFilters): Promise<SearchPage> {
    const [page, local] = await Promise.all([this.#client.search(query, filters), this.#encryption.search(query, filters)]);
    const merged = { ...page, results: [...local, ...page.results] };
    this.#people.ensure(merged.results.map((h) => h.message.senderId));
    return merged;
  }

  /** The page after `page`, names fetched along. */
  async searchMore(page: SearchPage): Promise<SearchPage> {
    const next = await page.next();
    this.#people.ensure(next.results.map((h) => h.message.senderId));
    return next;
  }

  /**
   * Opens the conversation at message `seq`: the history is filled back to it (contiguously, so the timeline has no
   * hole), then the message list scrolls to it and highlights it (`focus`).
   */
  async jumpTo(conversationId: string, seq: number): Promise<void> {
    const core = this.#core;
    const focus = { conversationId, seq, token: ++this.#focusTokens };
    core.set((s) => ({ ...s, focus, activeId: conversationId, searchInFront: false }));
    if (!core.state.conversations[conversationId]) await this.#timelines.fetchConversation(conversationId);
    await this.#timelines.loadLatest(conversationId);
    const pageSize = this.#client.limits?.historyPageMax ?? 200;
    for (let i = 0; i < MAX_JUMP_PAGES; i++) {
      const c = core.state.conversations[conversationId];
      const first = c?.messages[0]?.seq;
      if (!c?.loaded || !c.hasOlder || first === undefined || first <= seq || core.state.focus?.token !== focus.token) return;
      if (!(await this.#timelines.loadBefore(conversationId, first, pageSize))) return;
    }
    const reached = (core.state.conversations[conversationId]?.messages[0]?.seq ?? Number.POSITIVE_INFINITY) <= seq;
    if (!reached && core.state.focus?.token === focus.token) {
      core.set((s) => ({ ...s, focus: null, notice: t("search.tooFarBack") }));
    }
  }

  /** The message list has shown the focused message. */
  focusShown(token: number): void {
    this.#core.set((s) => (s.focus?.token === token ? { ...s, focus: null } : s));
  }
}
