// Profiles, user lookup, contacts, blocks and who may add the user to groups.

import type { GroupAdds, User } from "@parley/protocol";
import { AppError } from "../domain/app-error.js";
import type { BestEffort } from "../observability/best-effort.js";
import type { AccountStore, UserRecord } from "../ports/store.js";
import { toUser } from "./auth-service.js";
import type { BlockCache } from "./block-cache.js";
import type { Delivery } from "./delivery.js";

/** Default page size of `users.search`. */
export const USER_SEARCH_PAGE = 20;

export class AccountService {
  constructor(
    private readonly store: AccountStore,
    private readonly delivery: Pick<Delivery, "presenceNarrowed" | "blocksChanged" | "userUpdated">,
    private readonly failures: BestEffort,
    private readonly blocks: Pick<BlockCache, "invalidate">,
    /** Who may add a user to groups while the user has not chosen. */
    private readonly groupAddsDefault: GroupAdds = "everyone",
  ) {}

  async me(userId: string): Promise<User> {
    const user = await this.store.getUserById(userId);
    if (!user) throw new AppError("not_found", "User not found");
    return toUser(user);
  }

  /** `displayName` has passed the protocol's visible-name rule (normalised, trimmed, something visible). */
  async updateProfile(userId: string, displayName: string): Promise<User> {
    return this.changed(await this.store.updateDisplayName(userId, displayName));
  }

  /** `avatarId`: an upload of the user's made by `MediaService.storeAvatar`, or null to remove the picture. */
  async setAvatar(userId: string, avatarId: string | null): Promise<User> {
    return this.changed(await this.store.setAvatar(userId, avatarId));
  }

  /** The stored profile is the answer; the event that tells the others is best effort (they fetch users anyway). */
  private async changed(record: UserRecord | undefined): Promise<User> {
    if (!record) throw new AppError("not_found", "User not found");
    const user = toUser(record);
    await this.failures.attempt("profile.updated", this.delivery.userUpdated(user), { userId: user.id });
    return user;
  }

  /** `users.search`: a substring of the username or display name, any case; see AccountStore.searchUsers. */
  async search(
    viewerId: string,
    args: { query: string; after?: string | undefined; limit?: number | undefined },
  ): Promise<{ users: User[]; next: string | null }> {
    const query = args.query.trim().replace(/^@/, "");
    if (query === "") throw new AppError("validation_failed", "Type part of a name or username", { field: "query" });
    const limit = args.limit ?? USER_SEARCH_PAGE;
    // One more than the page tells whether there is a next one.
    const found = await this.store.searchUsers(viewerId, query, args.after ?? "", limit + 1);
    const page = found.slice(0, limit);
    return { users: page.map(toUser), next: found.length > limit ? (page.at(-1)?.username ?? null) : null };
  }

  async byUsername(username: string): Promise<User> {
    const user = await this.store.getUserByUsername(username.toLowerCase());
    if (!user) throw new AppError("not_found", `No user named "${username}"`, { field: "username" });
    return toUser(user);
  }

  async byIds(userIds: readonly string[]): Promise<User[]> {
    return (await this.store.getUsersByIds(userIds)).map(toUser);
  }

  async contacts(ownerId: string): Promise<User[]> {
    return (await this.store.listContacts(ownerId)).map(toUser);
  }

  async addContact(ownerId: string, contactId: string): Promise<User[]> {
    if (contactId === ownerId)
      throw new AppError("validation_failed", "You cannot add yourself as a contact", { field: "userId" });
    if (!(await this.store.getUserById(contactId))) throw new AppError("not_found", "User not found", { field: "userId" });
    await this.store.addContact(ownerId, contactId, Date.now());
    return this.contacts(ownerId);
  }

  async removeContact(ownerId: string, contactId: string): Promise<User[]> {
    await this.store.removeContact(ownerId, contactId);
    // The removed contact may have watched the owner's presence by being listed: that watch ends (if nothing else allows it).
    await this.delivery.presenceNarrowed([ownerId, contactId]);
    return this.contacts(ownerId);
  }

  async blocked(ownerId: string): Promise<User[]> {
    return (await this.store.listBlocked(ownerId)).map(toUser);
  }

  /** Blocking is private like contacts: the blocked user is not told (refusals answer `not_allowed`). */
  async block(ownerId: string, blockedId: string): Promise<User[]> {
    if (blockedId === ownerId) throw new AppError("validation_failed", "You cannot block yourself", { field: "userId" });
    if (!(await this.store.getUserById(blockedId))) throw new AppError("not_found", "User not found", { field: "userId" });
    await this.store.addBlock(ownerId, blockedId, Date.now());
    await this.blocksChanged(ownerId, blockedId);
    // Neither sees the other's presence while the block stands (docs/protocol.md §11.2): their watches end now.
    await this.delivery.presenceNarrowed([ownerId, blockedId]);
    return this.blocked(ownerId);
  }

  async unblock(ownerId: string, blockedId: string): Promise<User[]> {
    await this.store.removeBlock(ownerId, blockedId);
    await this.blocksChanged(ownerId, blockedId);
    return this.blocked(ownerId);
  }

  /** This node forgets the pair at once (even if the bus is down); the other nodes when the bus tells them. */
  private blocksChanged(ownerId: string, blockedId: string): Promise<void> {
    this.blocks.invalidate(ownerId, blockedId);
    return this.delivery.blocksChanged(ownerId, blockedId);
  }

  async groupAdds(userId: string): Promise<GroupAdds> {
    return (await this.store.getGroupAdds(userId)) ?? this.groupAddsDefault;
  }

  async setGroupAdds(userId: string, value: GroupAdds): Promise<GroupAdds> {
    await this.store.setGroupAdds(userId, value);
    return value;
  }
}
