// The people the app shows: users' names fetched once each (batched per tick), presence followed for everyone in the
// user's conversations, usernames resolved to users, and people found by name.

import { isParleyError, type Message, type ParleyClient, type User } from "@parley/client";
import { joinNames } from "../format/system-events.js";
import { t } from "../i18n/i18n.js";
import type { StoreCore } from "./store-core.js";

export class People {
  readonly #core: StoreCore;
  readonly #client: ParleyClient;
  /** Users asked for (or known): never fetched twice. */
  readonly #requested = new Set<string>();
  #batch: Set<string> | undefined;
  readonly #presenceFollowed = new Set<string>();

  constructor(core: StoreCore, client: ParleyClient) {
    this.#core = core;
    this.#client = client;
  }

  /** Forgets everyone of a previous account; `me` is known. */
  reset(me: string): void {
    this.#requested.clear();
    this.#presenceFollowed.clear();
    this.#requested.add(me);
  }

  /** Fetches unknown users in one batch per tick. */
  ensure(ids: readonly string[]): void {
    const missing = ids.filter((id) => !this.#requested.has(id));
    if (missing.length === 0) return;
    for (const id of missing) this.#requested.add(id);
    if (!this.#batch) {
      const batch = new Set<string>();
      this.#batch = batch;
      queueMicrotask(() => {
        this.#batch = undefined;
        void this.#fetch([...batch]);
      });
    }
    for (const id of missing) this.#batch.add(id);
  }

  async #fetch(ids: string[]): Promise<void> {
    try {
      this.#remember(await this.#client.getUsers(ids));
    } catch {
      // Names are asked for again the next time they are needed.
      for (const id of ids) this.#requested.delete(id);
    }
  }

  followPresence(ids: readonly string[]): void {
    const me = this.#core.state.me?.id;
    const fresh = [...new Set(ids)].filter((id) => id !== me && !this.#presenceFollowed.has(id));
    if (fresh.length === 0) return;
    for (const id of fresh) this.#presenceFollowed.add(id);
    this.#client.subscribePresence(fresh).then(
      (list) =>
        this.#core.set((s) => {
          const presence = { ...s.presence };
          for (const p of list) presence[p.userId] = p;
          return { ...s, presence };
        }),
      // The SDK subscribes again after reconnecting; a query lost to the disconnection only delays the first dot.
      (error: unknown) => this.#core.notifyUnlessDisconnected(error),
    );
  }

  /** People whose name or username contains `text` (server side: never this user, deactivated or blocked users). */
  async search(text: string, limit: number): Promise<User[]> {
    const { users } = await this.#client.searchUsers(text, { limit });
    this.#remember(users);
    return users;
  }

  #remember(users: readonly User[]): void {
    if (users.length === 0) return;
    this.#core.set((s) => {
      const next = { ...s.users };
      for (const u of users) next[u.id] = u;
      return { ...s, users: next };
    });
    for (const u of users) this.#requested.add(u.id);
  }

  /** Resolves usernames to users; the error names every username that does not exist. */
  async lookupMany(usernames: readonly string[]): Promise<User[]> {
    const wanted = [...new Set(usernames.map(normalizeUsername).filter(Boolean))];
    const results = await Promise.allSettled(wanted.map((u) => this.lookup(u)));
    const missing = wanted.filter((_, i) => results[i]?.status === "rejected");
    const notFound = results.find((r) => r.status === "rejected" && !isParleyError(r.reason, "not_found"));
    if (notFound?.status === "rejected") throw notFound.reason;
    if (missing.length > 0)
      throw new Error(t("people.noSuchUsers", { names: joinNames(missing.map((u) => `“${u}”`)), count: missing.length }));
    return results.map((r) => (r as PromiseFulfilledResult<User>).value);
  }

  async lookup(username: string): Promise<User> {
    const name = normalizeUsername(username);
    try {
      const user = await this.#client.getUser(name);
      this.#core.set((s) => ({ ...s, users: { ...s.users, [user.id]: user } }));
      this.#requested.add(user.id);
      return user;
    } catch (error) {
      if (isParleyError(error, "not_found") || isParleyError(error, "validation_failed")) {
        throw Object.assign(new Error(t("people.noSuchUsers", { names: `“${name}”`, count: 1 })), {
          code: "not_found",
          reason: error,
        });
      }
      throw error;
    }
  }
}

/** User ids a message mentions (sender and the people of a system event): their names are needed to render it. */
export function userIdsIn(messages: readonly Message[]): string[] {
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

export function normalizeUsername(username: string): string {
  return username.trim().replace(/^@/, "").toLowerCase();
}
